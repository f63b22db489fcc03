/* imds.h - the instance metadata service (R-12.9..R-12.15): HTTP on
 * 169.254.169.254:80 inside each VPC router's namespace.
 *
 * Two layers. imds_respond() is the whole of the service's behaviour as a
 * pure function: a request (method, path, the few headers that matter)
 * plus the requesting instance in, a status, a text/plain body and the IP
 * TTL to send it with out. It keeps IMDSv2 session tokens in a struct
 * imds_tokens and does no I/O besides asking the kernel for random bytes.
 * imds_server_*() put it on the wire with an httpd server (httpd.h),
 * driven by the daemon's event loop.
 *
 * The requesting instance is the connection's source IPv4: anti-spoofing
 * in the router's ruleset guarantees that an instance can only send from
 * its own address, so the address is the identity.
 */
#ifndef VPCEMU_IMDS_H
#define VPCEMU_IMDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct evloop;
struct httpd_reply;
struct httpd_request;
struct instance;
struct lab;

#define IMDS_TOKEN_TTL_MAX 21600	/* seconds, R-12.10 */
#define IMDS_TOKENS_MAX 4096		/* live tokens kept per server */
#define IMDS_CREDS_LIFETIME (6 * 3600)	/* role credentials, seconds */

/* Live IMDSv2 tokens: random, opaque, each tied to one instance ID and an
 * expiry. */
struct imds_tokens;

/* An empty store, or NULL with errno ENOMEM. */
struct imds_tokens *imds_tokens_new(void);
/* Frees the store and its tokens. NULL ok. */
void imds_tokens_free(struct imds_tokens *t);

/* What of an HTTP request the service looks at. Strings are borrowed. */
struct imds_request {
	const char *method;	/* "GET", "PUT", ... */
	const char *path;	/* "/latest/meta-data/", no query string */
	const char *token;	/* X-aws-ec2-metadata-token, or NULL */
	const char *ttl;	/* X-aws-ec2-metadata-token-ttl-seconds */
	bool forwarded;		/* X-Forwarded-For present (any value) */
	time_t launched;	/* identity document's pendingTime */
};

struct imds_response {
	int status;		/* HTTP status */
	char *body;		/* malloc'd, NUL-terminated; the caller's */
	size_t body_len;	/* bytes of body */
	unsigned ip_ttl;	/* IP TTL for this response; 0: the default */
	long token_ttl;		/* > 0: the token's seconds left, for the
				   X-aws-ec2-metadata-token-ttl-seconds
				   header */
	const char *allow;	/* 405: the Allow header (static) */
};

/* Answers rq from instance in (NULL: the source is no instance, 403) of
 * lab at wall-clock time now. PUT /latest/api/token stores a new token in
 * t. Every status, 4xx included, is a successful answer: returns 0 with
 * rs filled (free its body with imds_response_free), or -ENOMEM or
 * getrandom's -errno with rs empty. */
int imds_respond(struct imds_tokens *t, const struct lab *lab,
		 const struct instance *in, const struct imds_request *rq,
		 time_t now, struct imds_response *rs);
/* The HTTP face of imds_respond: answers hrq, sent by instance in (NULL:
 * no instance) of lab, into rp (zeroed by the caller), with the headers
 * IMDS sends. launched is the identity document's pendingTime. What the
 * server calls per request; no I/O. */
void imds_handle(struct imds_tokens *t, const struct lab *lab,
		 const struct instance *in, time_t launched, time_t now,
		 const struct httpd_request *hrq, struct httpd_reply *rp);
/* Frees rs's body and resets rs. */
void imds_response_free(struct imds_response *rs);

/* The MAC address IMDS reports for an ENI: "02:" + 5 bytes hashed from
 * its ID (locally administered, unicast). buf >= 18 bytes; returns buf. */
char *imds_eni_mac(const char *eni_id, char *buf);

/* Finds the instance whose private IP is src (host order) and sets
 * *ret_lab to its lab; NULL when there is none. Called once per request:
 * the daemon may reload models between requests, so nothing it returns is
 * kept past the request. Must not stop the server. */
typedef const struct instance *(*imds_lookup_fn)(void *data, uint32_t src,
						  const struct lab **ret_lab);

struct imds_server;

/* Serves IMDS on listen_fd (bound, listening, non-blocking), which passes
 * to the server whatever the outcome, from the loop el. Returns the server,
 * or NULL with errno set. */
struct imds_server *imds_server_start(struct evloop *el, int listen_fd,
				      imds_lookup_fn lookup, void *data);
/* Stops serving and closes every socket of the server (the listening one
 * and each connection), so the namespace is pinned by none of them.
 * Must not be called from the lookup callback. NULL ok. */
void imds_server_stop(struct imds_server *s);

#endif
