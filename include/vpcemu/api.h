/* api.h - vpcemud's AWS API over HTTP: EC2's and IAM's Query protocols
 * and Session Manager's JSON 1.1, on 127.0.0.1, every request signed with
 * Signature Version 4 by the credentials only root (and, with vpcemud
 * --group, the group) can read.
 *
 * A request runs the same command as `vpcemu ec2|iam|elbv2 --lab LAB`
 * (request.h): the URL's path names the lab ("/LAB"; "/" is the only lab
 * that runs). Over HTTP there is no peer to ask the kernel about, so a
 * request acts as the least of those who can read the credentials: root
 * when only root can, else uid nobody with the group's gid.
 */
#ifndef VPCEMU_API_H
#define VPCEMU_API_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct evloop;
struct httpd_request;
struct httpd_reply;

/* The port when neither --api-port nor $VPCEMU_API_PORT says: beside
 * LocalStack's 4566 and its 4510-4559, not on it, so both can run. */
#define API_PORT_DEFAULT 4599
#define API_CREDENTIALS_DEFAULT "/etc/vpcemu/credentials"

struct api_config {
	uint16_t port;			/* 0: no API */
	const char *credentials;	/* the credentials file */
	const gid_t *group;		/* vpcemud --group, or NULL */
};

/* The API's state: its keys and whom a request acts as. */
struct api;

/* Reads the credentials file at path, creating it with fresh keys when
 * missing, and gives it the mode the daemon's admission asks: 0600, or
 * 0640 with group as its group. A file not owned by root, or not a
 * regular file, is refused. Returns the API (free with api_free) or NULL
 * with errno set. */
struct api *api_new(const char *path, const gid_t *group);
void api_free(struct api *a);

/* Answers one HTTP request (httpd.h's handler). */
void api_handle(void *a, const struct httpd_request *rq,
		struct httpd_reply *rp);

/* Starts serving cfg->port on 127.0.0.1 from el. Returns 0 or -errno
 * (the daemon goes on without the API). */
int api_start(struct evloop *el, const struct api_config *cfg);
void api_stop(void);

#endif
