/* execreq.c - the exec request (execreq.h).
 *
 * The client gives its own descriptors (its terminal, a pty it relays, or
 * its pipes) and names a machine; the daemon, which alone may enter the
 * namespaces, starts the command there through nsspawn.c and drops to the
 * client's identity (SO_PEERCRED, SO_PEERGROUPS: peer.c) before the exec,
 * so the command gets what the client has and no more. The reply waits
 * for the command's end without holding up the event loop; a client that
 * hangs up takes its command with it. Owns the runs until they end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "vpcemu/ctl.h"
#include "vpcemu/ctlsrv.h"
#include "vpcemu/dlog.h"
#include "vpcemu/dns.h"
#include "vpcemu/execreq.h"
#include "vpcemu/nsspawn.h"
#include "vpcemu/peer.h"
#include "vpcemu/procs.h"
#include "vpcemu/state.h"

struct exec_run {
	struct reply *r;
	struct nsspawn *spawn;
	char lab[64], machine[128], cmd[256];
	uid_t uid;
};

static void on_done(void *data, int status, int err)
{
	struct exec_run *x = data;
	struct reply *r = x->r;

	if (status < 0)
		fprintf(r->err, "vpcemu exec: cannot run in %s as uid %u (its "
			"namespaces, the identity or the working directory): "
			"%s\n", x->machine, (unsigned)x->uid, strerror(err));
	else if (err)
		fprintf(r->err, "vpcemu exec: %s: %s\n", x->cmd, strerror(err));
	r->exit = status < 0 ? CTL_EXIT_FAIL : status;
	json_object_set_new(r->result, "status", json_integer(status));
	dlog(LOG_INFO, x->lab, "exec in %s as uid %u: %s ended with %d",
	     x->machine, (unsigned)x->uid, x->cmd, status);
	free(x);
	ctlsrv_reply_complete(r);
}

/* The client hung up: its command goes too (done follows). */
static void on_cancel(void *data)
{
	struct exec_run *x = data;

	nsspawn_kill(x->spawn);
}

/* A NULL-terminated vector of arr's strings (borrowed), or NULL. */
static char **strv_of(json_t *arr)
{
	size_t i, n = json_array_size(arr);
	char **v = calloc(n + 1, sizeof(*v));

	for (i = 0; v && i < n; i++)
		v[i] = (char *)json_string_value(json_array_get(arr, i));
	return v;
}

/* Starts the command of args in s's machine idx as p; 0 or -errno. */
static int start(struct evloop *el, const struct peer *p, json_t *args,
		 const struct lab_state *s, size_t idx, struct exec_run *x)
{
	static char *no_env[] = { NULL };
	const struct state_instance *in = &s->instances[idx];
	char **argv = strv_of(json_object_get(args, "argv"));
	char **envp = strv_of(json_object_get(args, "env"));
	const char *cwd = json_string_value(json_object_get(args, "cwd"));
	struct nsspawn_spec spec = {
		.netns = in->netns, .fds = x->r->fds, .nfds = x->r->nfds,
		.argv = argv, .envp = envp ? envp : no_env,
		.terminal = json_is_true(json_object_get(args, "tty")),
		.ctx = { .cgroup_fd = procs_group_open(in->netns),
			 .cwd = cwd ? cwd : "/" },
	};
	char host[DNS_NAME_MAX];
	struct nsexec_cred c;
	int e = 0;

	/* Root asking the daemon stays root, as in its own `exec`. */
	if (p->cred.uid) {
		peer_cred(p, &c);
		spec.ctx.cred = &c;
	}
	if (!state_instance_hostname(in, host, sizeof(host)))
		spec.ctx.hostname = host;
	if (!argv)
		e = -ENOMEM;
	else if (!(x->spawn = nsspawn_start(el, &spec, on_done, x)))
		e = -errno;
	if (spec.ctx.cgroup_fd >= 0)
		close(spec.ctx.cgroup_fd);
	free(argv);
	free(envp);
	return e;
}

void execreq_run(struct evloop *el, const struct peer *p, json_t *args,
		 struct reply *r)
{
	const char *lab = json_string_value(json_object_get(args, "lab"));
	const char *name = json_string_value(json_object_get(args, "instance"));
	const char *cmd = json_string_value(
		json_array_get(json_object_get(args, "argv"), 0));
	struct exec_run *x = NULL;
	struct lab_state *s = NULL;
	size_t idx;
	int e;

	r->exit = CTL_EXIT_FAIL;
	if (r->nfds != 3) {
		fprintf(r->err, "vpcemu exec: the request carries %zu "
			"descriptors, not stdin, stdout and stderr\n", r->nfds);
		r->exit = CTL_EXIT_USAGE;
		return;
	}
	e = state_find_instance(lab, name, &s, &idx);
	if (e) {
		state_find_instance_error(r->err, "exec", e, lab, name);
		return;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		fprintf(r->err, "vpcemud: out of memory\n");
		goto out;
	}
	x->r = r;
	x->uid = p->cred.uid;
	snprintf(x->lab, sizeof(x->lab), "%s", s->lab);
	snprintf(x->machine, sizeof(x->machine), "%s", s->instances[idx].name);
	snprintf(x->cmd, sizeof(x->cmd), "%s", cmd);
	e = start(el, p, args, s, idx, x);
	if (e) {
		fprintf(r->err, "vpcemu exec: %s: cannot start: %s\n",
			x->machine, strerror(-e));
		free(x);
		goto out;
	}
	dlog(LOG_INFO, x->lab, "exec in %s as uid %u: %s (pid %d)",
	     x->machine, (unsigned)x->uid, x->cmd,
	     (int)nsspawn_pid(x->spawn));
	/* The command holds them now; our copies would keep a terminal
	 * open after it ends, and its client would not see it end. */
	fdpass_close(r->fds, &r->nfds);
	r->deferred = true;
	r->cancel = on_cancel;
	r->cancel_data = x;
out:
	state_free(s);
}
