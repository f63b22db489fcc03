/* ctlsrv.h - vpcemud's end of the control socket: connections, framed
 * JSON requests (ctl.h), the peer check, dispatch to a table of request
 * handlers, and replies, deferred ones included.
 */
#ifndef VPCEMU_CTLSRV_H
#define VPCEMU_CTLSRV_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "vpcemu/fdpass.h"

struct evloop;
struct peer;

/* What a request handler produces: the CLI's stdout, stderr and exit
 * status, and the same facts as data. */
struct reply {
	FILE *out, *err;
	char *outbuf, *errbuf;
	size_t outlen, errlen;
	json_t *result;
	int exit;
	uint64_t client;	/* the asking client's serial */
	bool deferred;		/* answered later: ctlsrv_reply_complete */
	bool progress;		/* the client asked for progress (ctl.h) */
	double progress_at;	/* now_s() of the last progress sent */
	char progress_stage[32];
	/* Descriptors that came with the request (fdpass.h): a handler
	 * that keeps one takes it out (sets nfds to 0 after copying); the
	 * rest are closed with the reply. */
	int fds[FDPASS_MAX];
	size_t nfds;
	/* Set by a deferred handler whose work lasts as long as its client
	 * waits (such a client is never closed as idle): called once if the
	 * client goes away first (it hung up, or the daemon stops); the
	 * handler still completes r. */
	void (*cancel)(void *data);
	void *cancel_data;
	/* Set by whoever made a reply that is no client's (api.c's SSM
	 * calls): ctlsrv_reply_complete hands r, untouched, to it. */
	void (*complete)(struct reply *r, void *data);
	void *complete_data;
};

/* A handler writes to r->out and r->err, sets r->exit and fills
 * r->result; or sets r->deferred and keeps r (its client then reads
 * nothing more) until it hands r to ctlsrv_reply_complete. */
typedef void (*ctlsrv_op_fn)(const struct peer *p, json_t *args,
			     struct reply *r);

struct ctlsrv_op {
	const char *name;	/* as ctl.c's table spells it */
	ctlsrv_op_fn fn;
};

/* Serves the listening socket lfd on el: clients, up to 64, each closed
 * after a minute without a whole request; requests of ops[0..nops) from
 * root, or also from members of *group when group is not NULL. The table
 * must outlive the server; lfd stays the caller's. Returns 0 or -errno. */
int ctlsrv_start(struct evloop *el, int lfd, const struct ctlsrv_op *ops,
		 size_t nops, const gid_t *group);

/* Closes every connection. */
void ctlsrv_stop(void);

/* Sends a progress message (ctl.h) to r's client at once, when it asked
 * for them, at most one a tenth of a second per stage besides a stage's
 * first and last; for handlers that work long before they answer. */
void ctlsrv_reply_progress(struct reply *r, const char *stage, size_t done,
			   size_t total);

/* Sends a deferred reply (consumed with r) to its client, if it is still
 * connected, and lets it ask again; or gives r to its complete. */
void ctlsrv_reply_complete(struct reply *r);

#endif
