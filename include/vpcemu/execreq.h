/* execreq.h - vpcemud's exec request: a command in a lab's machine for a
 * client that is not root (`vpcemu exec`, Session Manager shells of a
 * group member), with that client's identity.
 */
#ifndef VPCEMU_EXECREQ_H
#define VPCEMU_EXECREQ_H

#include <jansson.h>

struct evloop;
struct peer;
struct reply;

/* Runs args' argv (ctl.c's "exec" op) in the instance or internet host it
 * names, as p: its uid, gid and groups, after the machine's network,
 * mount and UTS namespaces and its cgroup were entered, in args' cwd
 * entered with p's rights; stdin, stdout and stderr are the three
 * descriptors that came with the request, and with tty the first is a
 * terminal that becomes the command's controlling terminal. r is deferred
 * until the command ends (its exit status is the reply's), or answered at
 * once when it cannot start; if the client hangs up first, the command's
 * process group is killed. */
void execreq_run(struct evloop *el, const struct peer *p, json_t *args,
		 struct reply *r);

#endif
