/* request.h - what vpcemud does for each control request: ping, up,
 * apply, down, status, show, ec2, elbv2, ssm and exec, as a table for
 * ctlsrv.h;
 * and the services (svc.h) of the labs those requests bring up.
 */
#ifndef VPCEMU_REQUEST_H
#define VPCEMU_REQUEST_H

#include <stddef.h>

#include <jansson.h>

#include "vpcemu/ctlsrv.h"

struct evloop;

/* The handlers, by the op names of ctl.c's table. */
extern const struct ctlsrv_op request_ops[];
extern const size_t request_nops;

/* What an AWS-style command answered, for the Query API (api.h). */
struct request_aws_result {
	json_t *out;		/* the answer (caller's), on success */
	char code[64];		/* AWS's error code, when the command */
	char message[512];	/* failed as AWS would; else "" */
};

/* Runs command argv (argv[0] "create-vpc", NULL-terminated) of service
 * ("ec2", "elbv2", "iam") on the running lab named lab, on behalf of p
 * (the lab's owner from now, state.h, when the command changes the lab's
 * text or its ec2 state; a describe leaves the owner), as `vpcemu SERVICE --lab LAB`
 * does. The answer or AWS's error goes to *res; any other failure is
 * text in r->err, with r->exit not CTL_EXIT_OK. */
void request_aws(const char *service, const struct peer *p,
		 const char *lab, size_t argc, char **argv, struct reply *r,
		 struct request_aws_result *res);

/* Runs `vpcemu ssm` command args ({"argv": [...], "lab": LAB}) as the
 * control socket's request does (ssmreq.h): it may set r->deferred and
 * complete r later, through ctlsrv_reply_complete. */
void request_ssm(json_t *args, struct reply *r);

/* Starts the services on el (none serves a lab yet). Returns 0 or
 * -ENOMEM. */
int request_start(struct evloop *el);

/* Gives the services every lab that runs, as last applied: a restarted
 * daemon serves them again. Service messages go to the daemon's log. */
void request_adopt_all(void);

/* Stops every service and forgets what was applied; labs stay up. */
void request_stop(void);

#endif
