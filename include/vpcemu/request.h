/* request.h - what vpcemud does for each control request: ping, up,
 * apply, down, status, show, ec2, elbv2, ssm and exec, as a table for
 * ctlsrv.h;
 * and the services (svc.h) of the labs those requests bring up.
 */
#ifndef VPCEMU_REQUEST_H
#define VPCEMU_REQUEST_H

#include <stddef.h>

#include "vpcemu/ctlsrv.h"

struct evloop;

/* The handlers, by the op names of ctl.c's table. */
extern const struct ctlsrv_op request_ops[];
extern const size_t request_nops;

/* Starts the services on el (none serves a lab yet). Returns 0 or
 * -ENOMEM. */
int request_start(struct evloop *el);

/* Gives the services every lab that runs, as last applied: a restarted
 * daemon serves them again. Service messages go to the daemon's log. */
void request_adopt_all(void);

/* Stops every service and forgets what was applied; labs stay up. */
void request_stop(void);

#endif
