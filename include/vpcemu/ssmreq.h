/* ssmreq.h - vpcemud's `vpcemu ssm` requests: start-session and
 * describe-instance-information, answered once the instances' agents
 * were probed for real through the lab (ssm.h).
 */
#ifndef VPCEMU_SSMREQ_H
#define VPCEMU_SSMREQ_H

#include <jansson.h>

struct evloop;
struct reply;
struct svc;

/* Handles one request (args as ctl.c's "ssm" op carries them) over the
 * labs that svc serves, with probes on el. r is deferred
 * (ctlsrv_reply_complete) unless the request fails at once. */
void ssmreq_run(struct evloop *el, const struct svc *svc, json_t *args,
		struct reply *r);

/* Cancels the probes into lab name's instances, which are about to go:
 * their requests answer as if the agents were offline. */
void ssmreq_cancel_lab(const char *name);

#endif
