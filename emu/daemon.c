/* daemon.c - vpcemud, the privileged daemon that owns every lab on the host.
 *
 * One thread, one event loop (evloop.c): the control socket, its clients and
 * the signal pipe. Each request is framed JSON (ctl.c), checked against the
 * peer's credentials (SO_PEERCRED), then run through labops.c, the same
 * functions the CLI called in its own process before; the reply carries the
 * text the CLI prints and the exit status it returns.
 *
 * Security model:
 *  - the socket directory is root's and not writable by anyone else; the
 *    socket is created by bind() under a umask that already gives it its
 *    final mode (0600, or 0660 with the allowed group as its group: bind
 *    runs with that egid), so it is never wider than intended;
 *  - every request is checked: peer uid 0, or (--group) peer gid or a
 *    supplementary group of the peer equal to the allowed group;
 *  - lab files are read with the peer's file system identity (setfsuid,
 *    setfsgid, its groups), so a group member cannot make root read a file
 *    it could not read itself (diagnostics quote source lines);
 *  - lab names that become paths are validated by ctl.c; nothing runs a
 *    shell.
 *
 * Labs live in the kernel and in state files, not in this process: SIGTERM
 * leaves them up, and a restarted daemon finds them again.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "vpcemu/ctl.h"
#include "vpcemu/describe.h"
#include "vpcemu/ec2.h"
#include "vpcemu/diff.h"
#include "vpcemu/evloop.h"
#include "vpcemu/labops.h"
#include "vpcemu/load.h"
#include "vpcemu/model.h"
#include "vpcemu/netns.h"
#include "vpcemu/print.h"
#include "vpcemu/ssm.h"
#include "vpcemu/state.h"
#include "vpcemu/svc.h"
#include "vpcemu/util.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

#define MAX_CLIENTS 64
#define CLIENT_IDLE_MS (60 * 1000)	/* a connection with no request */
#define SWEEP_MS (10 * 1000)
#define READ_CHUNK (64 * 1024)

struct client {
	struct client *next;
	int fd;
	char *in;		/* bytes received, not yet a whole frame */
	size_t inlen, incap;
	char *out;		/* encoded reply not yet sent */
	size_t outlen, outoff;
	bool eof;		/* the peer shut its side down */
	bool closing;		/* close once out is sent */
	uint64_t last;		/* evloop_now_ms() of the last activity */
	pid_t pid;		/* for the logs: SO_PEERCRED at accept */
	uid_t uid;
	uint64_t serial;	/* names the client to a deferred reply */
	bool waiting;		/* a deferred reply is due: read nothing */
};

/* The peer of one request, as the kernel saw it at connect(). */
struct peer {
	struct ucred cred;
	gid_t *groups;		/* supplementary groups (SO_PEERGROUPS) */
	size_t ngroups;
};

/* What a request handler produces: the CLI's stdout, stderr and exit
 * status, and the same facts as data. */
struct reply {
	FILE *out, *err;
	char *outbuf, *errbuf;
	size_t outlen, errlen;
	json_t *result;
	int exit;
	uint64_t client;	/* the asking client's serial */
	bool deferred;		/* the op answers later (reply_complete) */
};

static struct {
	struct evloop *el;
	const char *socket;
	char *pidfile;
	int lfd, pidfd;
	int sigpipe[2];
	bool foreground;
	bool group_set;
	gid_t group;
	gid_t egid;		/* ours, restored after binding */
	struct client *clients;
	unsigned nclients;
	uint64_t serial;
	struct svc *svc;
	struct applied *applied;
} D = { .lfd = -1, .pidfd = -1, .sigpipe = { -1, -1 } };

/* ---- logging ----------------------------------------------------------- */

/* One line per event, with the lab when there is one ("lab=NAME "); the
 * message names the resource (lab_error texts do). */
static void logmsg(int prio, const char *lab, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void logmsg(int prio, const char *lab, const char *fmt, ...)
{
	char msg[1024], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Names and paths come from clients: one event stays one line. */
	for (p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (D.foreground)
		fprintf(stderr, "vpcemud[%d]: %s%s%s%s\n", (int)getpid(),
			lab ? "lab=" : "", lab ? lab : "", lab ? " " : "", msg);
	else
		syslog(prio, "%s%s%s%s", lab ? "lab=" : "", lab ? lab : "",
		       lab ? " " : "", msg);
}

/* ---- peers ------------------------------------------------------------- */

static void peer_free(struct peer *p)
{
	free(p->groups);
	p->groups = NULL;
}

static int peer_get(int fd, struct peer *p)
{
	socklen_t len = sizeof(p->cred);
	gid_t *g;

	*p = (struct peer){ 0 };
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &p->cred, &len) < 0)
		return -errno;
	/* Supplementary groups, so that a member of the allowed group whose
	 * primary group is another may use the socket. Kernels before 4.13
	 * lack SO_PEERGROUPS: then only the primary gid counts. */
	len = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, NULL, &len) < 0 &&
	    errno != ERANGE)
		return 0;
	if (!len)
		return 0;
	g = malloc(len);
	if (!g)
		return -ENOMEM;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) < 0) {
		free(g);
		return 0;
	}
	p->groups = g;
	p->ngroups = len / sizeof(gid_t);
	return 0;
}

static bool peer_allowed(const struct peer *p)
{
	size_t i;

	if (p->cred.uid == 0)
		return true;
	if (!D.group_set)
		return false;
	if (p->cred.gid == D.group)
		return true;
	for (i = 0; i < p->ngroups; i++)
		if (p->groups[i] == D.group)
			return true;
	return false;
}

/* Reads and checks a lab file as the peer would: with its uid, gid and
 * groups for file access. setfsuid from 0 drops CAP_DAC_OVERRIDE and
 * CAP_DAC_READ_SEARCH from our effective set, and back to 0 restores them
 * (capabilities(7)), so permission checks are the peer's, and only file
 * access changes: netlink and signals keep our identity. The process is
 * single-threaded, so setgroups affects nothing else meanwhile. */
static int load_as_peer(const struct peer *p, const char *file,
			const char *as, const char *name, struct diags *d,
			struct lab **ret, FILE *err)
{
	gid_t *saved = NULL;
	int nsaved, r;

	if (p->cred.uid == 0)
		return load_lab_file(file, as, name, d, ret);
	*ret = NULL;
	nsaved = getgroups(0, NULL);
	if (nsaved >= 0)
		saved = calloc((size_t)nsaved + 1, sizeof(*saved));
	if (!saved || getgroups(nsaved, saved) != nsaved ||
	    setgroups(p->ngroups, p->groups) < 0) {
		r = saved ? -errno : -ENOMEM;
		fprintf(err, "vpcemud: cannot take the identity of uid %u to "
			"read %s: %s\n", (unsigned)p->cred.uid, file,
			strerror(-r));
		free(saved);
		return r;
	}
	setfsgid(p->cred.gid);
	setfsuid(p->cred.uid);
	/* setfs*id return the previous value, never an error: ask again. */
	if ((uid_t)setfsuid(-1) != p->cred.uid ||
	    (gid_t)setfsgid(-1) != p->cred.gid) {
		fprintf(err, "vpcemud: cannot take the identity of uid %u to "
			"read %s\n", (unsigned)p->cred.uid, file);
		r = -EPERM;
	} else {
		r = load_lab_file(file, as, name, d, ret);
	}
	setfsuid(0);
	setfsgid(D.egid);
	if (setgroups((size_t)nsaved, saved) < 0 ||
	    (uid_t)setfsuid(-1) != 0 || (gid_t)setfsgid(-1) != D.egid) {
		/* Going on with a borrowed identity would be worse than any
		 * outage: labs stay up without us. */
		logmsg(LOG_CRIT, NULL, "cannot restore our identity after "
		       "reading %s: exiting", file);
		_exit(1);
	}
	free(saved);
	return r;
}

/* ---- replies ----------------------------------------------------------- */

static int reply_open(struct reply *r, uint64_t client)
{
	*r = (struct reply){ .client = client };
	r->out = open_memstream(&r->outbuf, &r->outlen);
	r->err = open_memstream(&r->errbuf, &r->errlen);
	r->result = json_object();
	if (!r->out || !r->err || !r->result)
		return -ENOMEM;
	return 0;
}

/* Closes the streams and builds the reply (NULL on ENOMEM). */
static json_t *reply_close(struct reply *r)
{
	json_t *j = NULL;
	bool ok = true;

	if (r->out && fclose(r->out))
		ok = false;
	if (r->err && fclose(r->err))
		ok = false;
	if (ok && r->result) {
		j = ctl_reply_new(r->exit, r->outbuf, r->outlen, r->errbuf,
				  r->errlen, r->result);
		r->result = NULL;
	}
	json_decref(r->result);
	free(r->outbuf);
	free(r->errbuf);
	return j;
}

static void reply_complete(struct reply *r);
static void ssm_cancel_lab(const char *name);

static const char *arg_str(json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}

/* ---- what each lab's kernel holds --------------------------------------- */

/* The plan last carried out per lab (labops_applied): apply and ec2 diff
 * against it instead of rebuilding it from the kept text, which costs
 * more than the rest of a small change in a large lab. */
struct applied {
	struct applied *next;
	char *lab;
	struct labops_applied a;
};

/* The record of lab (created empty when missing; NULL when out of
 * memory, which only costs a rebuild). */
static struct labops_applied *applied_of(const char *lab)
{
	struct applied *ap;

	for (ap = D.applied; ap; ap = ap->next)
		if (!strcmp(ap->lab, lab))
			return &ap->a;
	ap = calloc(1, sizeof(*ap));
	if (!ap || !(ap->lab = strdup(lab))) {
		free(ap);
		return NULL;
	}
	ap->next = D.applied;
	D.applied = ap;
	return &ap->a;
}

/* Forgets lab's record (every record when lab is NULL). */
static void applied_drop(const char *lab)
{
	struct applied **pp = &D.applied, *ap;

	while ((ap = *pp)) {
		if (lab && strcmp(ap->lab, lab)) {
			pp = &ap->next;
			continue;
		}
		*pp = ap->next;
		labops_applied_free(&ap->a);
		free(ap->lab);
		free(ap);
	}
}

/* ---- services ---------------------------------------------------------- */

static void svc_log(int prio, const char *lab, const char *msg)
{
	logmsg(prio, lab, "%s", msg);
}

/* Gives the services the model lab name runs, as last applied (after an
 * AWS-style command, and for every lab at start-up). */
static void adopt(const char *name)
{
	struct lab_error err = { { 0 } };
	struct lab *lab;

	if (labops_running_lab(name, &lab, applied_of(name), &err)) {
		logmsg(LOG_WARNING, name, "no services: %s", err.what);
		return;
	}
	svc_lab_set(D.svc, lab);
}

/* A restarted daemon serves the labs that run. */
static void adopt_all(void)
{
	char **names = NULL;
	size_t n = 0, i;

	if (state_list(&names, &n))
		return;
	for (i = 0; i < n; i++)
		adopt(names[i]);
	state_names_free(names, n);
}

/* ---- ops --------------------------------------------------------------- */

static void op_ping(const struct peer *p, json_t *args, struct reply *r)
{
	json_object_set_new(r->result, "version", json_string(VPCEMU_VERSION));
	json_object_set_new(r->result, "pid", json_integer(getpid()));
}

/* Prints the file's diagnostics; on error the CLI's words for it. */
static struct lab *load_lab(const struct peer *p, const char *file,
			    const char *as, const char *name, bool color,
			    struct reply *r)
{
	struct diags d = { 0 };
	struct lab *lab = NULL;
	int e;

	e = load_as_peer(p, file, as, name, &d, &lab, r->err);
	diag_print(&d, r->err, color);
	if (e) {
		if (e == -ENOMEM)
			fprintf(r->err, "vpcemu: out of memory\n");
		else if (d.nerrors)
			fprintf(r->err, "%s: %zu error%s, nothing was created\n",
				as ? as : file, d.nerrors,
				d.nerrors == 1 ? "" : "s");
		logmsg(LOG_NOTICE, lab ? lab->name : name, "file=%s: %zu error%s "
		       "in the lab file", file, d.nerrors,
		       d.nerrors == 1 ? "" : "s");
		lab_free(lab);
		lab = NULL;
	}
	diags_free(&d);
	return lab;
}

static void op_up(const struct peer *p, json_t *args, struct reply *r)
{
	const char *file = arg_str(args, "file"), *name = arg_str(args, "name");
	const char *what[] = { "created", "unchanged", "repaired" };
	bool color = json_is_true(json_object_get(args, "color"));
	struct lab_error err = { { 0 } };
	enum labops_up_result res;
	struct lab *lab;
	double t0 = now_s();
	int e;

	r->exit = CTL_EXIT_FAIL;
	lab = load_lab(p, file, arg_str(args, "as"), name, color, r);
	if (!lab)
		return;
	logmsg(LOG_INFO, lab->name, "up from %s (uid %u)", file,
	       (unsigned)p->cred.uid);
	e = labops_up(lab, &res, applied_of(lab->name), &err);
	if (e) {
		fprintf(r->err, "vpcemu up: %s\n", err.what);
		if (e != -EBUSY)
			fprintf(r->err, "vpcemu up: the lab is half-built; "
				"`vpcemu up` again or `vpcemu down %s`\n",
				lab->name);
		logmsg(LOG_ERR, lab->name, "up failed: %s", err.what);
		goto out;
	}
	r->exit = CTL_EXIT_OK;
	if (res == LABOPS_UNCHANGED)
		fprintf(r->out, "lab %s is up to date: nothing changed\n",
			lab->name);
	else
		fprintf(r->out, "lab %s %s: %zu VPC%s, %zu instance%s, "
			"%zu peering%s in %.2f s\n", lab->name,
			res == LABOPS_CREATED ? "is up" : "repaired",
			lab->nvpcs, lab->nvpcs == 1 ? "" : "s",
			lab->ninstances, lab->ninstances == 1 ? "" : "s",
			lab->npeerings, lab->npeerings == 1 ? "" : "s",
			now_s() - t0);
	if (lab->ninstances >= 1)
		fprintf(r->out, "try: sudo vpcemu exec %s -- ip addr   |   "
			"sudo vpcemu status %s   |   sudo vpcemu down %s\n",
			lab->instances[0]->r.name, lab->name, lab->name);
	json_object_set_new(r->result, "lab", json_string(lab->name));
	json_object_set_new(r->result, "action", json_string(what[res]));
	json_object_set_new(r->result, "vpcs", json_integer(lab->nvpcs));
	json_object_set_new(r->result, "instances",
			    json_integer(lab->ninstances));
	json_object_set_new(r->result, "peerings",
			    json_integer(lab->npeerings));
	json_object_set_new(r->result, "seconds", json_real(now_s() - t0));
	logmsg(LOG_INFO, lab->name, "up: %s, %zu instance%s in %.2f s",
	       what[res], lab->ninstances, lab->ninstances == 1 ? "" : "s",
	       now_s() - t0);
	svc_lab_set(D.svc, lab);
	return;
out:
	lab_free(lab);
}

static void op_apply(const struct peer *p, json_t *args, struct reply *r)
{
	const char *file = arg_str(args, "file"), *name = arg_str(args, "name");
	bool color = json_is_true(json_object_get(args, "color"));
	struct labops_apply_result res = { 0 };
	struct lab_error err = { { 0 } };
	struct lab *lab;
	double t0 = now_s();
	char *sum = NULL;
	size_t i;
	int e;

	r->exit = CTL_EXIT_FAIL;
	lab = load_lab(p, file, arg_str(args, "as"), name, color, r);
	if (!lab)
		return;
	logmsg(LOG_INFO, lab->name, "apply from %s (uid %u)", file,
	       (unsigned)p->cred.uid);
	svc_lab_prune(D.svc, lab);
	e = labops_apply(lab, NULL, applied_of(lab->name), &res, &err);
	if (e) {
		fprintf(r->err, "vpcemu apply: %s\n", err.what);
		if (res.changed)
			fprintf(r->err, "vpcemu apply: the lab is partly "
				"changed; `vpcemu apply` again, or `vpcemu "
				"down %s`\n", lab->name);
		logmsg(LOG_ERR, lab->name, "apply failed: %s", err.what);
		goto out;
	}
	r->exit = CTL_EXIT_OK;
	json_object_set_new(r->result, "lab", json_string(lab->name));
	json_object_set_new(r->result, "operations", json_integer(res.nops));
	json_object_set_new(r->result, "namespaces",
			    json_integer(res.ntouched));
	/* A file that only moved things around gives another digest and
	 * no operation. */
	if (!res.changed || !res.nops) {
		fprintf(r->out, "lab %s is up to date: nothing changed\n",
			lab->name);
		goto out;
	}
	sum = diff_summary(res.count);
	fprintf(r->out, "lab %s: %s", lab->name, sum ? sum : "changed");
	if (res.ntouched == 1) {
		fprintf(r->out, " in %s (1 namespace touched",
			res.touched[0]);
	} else {
		fprintf(r->out, " (%zu namespaces touched", res.ntouched);
		for (i = 0; i < res.ntouched && i < 4; i++)
			fprintf(r->out, "%s%s", i ? ", " : ": ",
				res.touched[i]);
		if (res.ntouched > 4)
			fprintf(r->out, ", ...");
	}
	fprintf(r->out, ", %.1f ms)\n", (now_s() - t0) * 1000);
	logmsg(LOG_INFO, lab->name, "apply: %s, %zu namespace%s in %.0f ms",
	       sum ? sum : "changed", res.ntouched,
	       res.ntouched == 1 ? "" : "s", (now_s() - t0) * 1000);
out:
	free(sum);
	labops_apply_result_free(&res);
	if (!e) {
		svc_lab_set(D.svc, lab);
		return;
	}
	lab_free(lab);
}

/* "create-route" -> "CreateRoute", as the AWS CLI names the operation. */
static void operation_name(const char *cmd, char *out, size_t len)
{
	size_t n = 0;
	bool up = true;

	for (; *cmd && n + 1 < len; cmd++) {
		if (*cmd == '-') {
			up = true;
			continue;
		}
		out[n++] = up ? (char)toupper((unsigned char)*cmd) : *cmd;
		up = false;
	}
	out[n] = '\0';
}

/* The lab a command is for: the one named, or the only one running. */
static char *ec2_lab_name(json_t *args, struct reply *r)
{
	const char *name = arg_str(args, "lab");
	char **labs = NULL, *one = NULL;
	size_t n = 0;

	if (name)
		return strdup(name);
	if (state_list(&labs, &n) == 0 && n == 1)
		one = strdup(labs[0]);
	else
		fprintf(r->err, "vpcemu ec2: %s; say which with --lab LAB\n",
			n ? "several labs are up" : "no lab is up");
	state_names_free(labs, n);
	return one;
}

/* AWS-style commands on a running lab: the model changes (ec2_run), is
 * printed as lab text, and goes through the same apply as `vpcemu apply`;
 * describe reads the model. Errors as the AWS CLI prints them, exit 254. */
static void op_ec2(const struct peer *p, json_t *args, struct reply *r)
{
	json_t *jargv = json_object_get(args, "argv"), *out = NULL, *js;
	struct ec2_clock clock = { .now = time(NULL) };
	struct labops_apply_result res = { 0 };
	struct ec2_state st = { 0 };
	struct ec2_error e = { .code = "" };
	struct lab_error err = { { 0 } };
	char **argv = NULL, *name, *path = NULL, *text = NULL, op[64];
	struct lab *lab = NULL;
	size_t argc = json_array_size(jargv), i;
	bool describe_all;
	int rc;

	r->exit = CTL_EXIT_FAIL;
	name = ec2_lab_name(args, r);
	if (!name)
		return;
	argv = calloc(argc + 1, sizeof(*argv));
	path = state_ec2_path(name);
	if (!argv || !path) {
		fprintf(r->err, "vpcemu ec2: out of memory\n");
		goto out;
	}
	for (i = 0; i < argc; i++)
		argv[i] = (char *)json_string_value(json_array_get(jargv, i));
	if (labops_running_lab(name, &lab, NULL, &err)) {
		fprintf(r->err, "vpcemu ec2: %s\n", err.what);
		goto out;
	}
	js = json_load_file(path, 0, NULL);
	if (js && ec2_state_from_json(&st, js))
		logmsg(LOG_WARNING, name, "ignoring a malformed %s", path);
	json_decref(js);

	describe_all = !strcmp(argv[0], "describe");
	if (describe_all) {
		rc = ec2_tick(lab, &st, &clock);
		out = describe_lab_state(lab, &st, argc > 1 ? argv[1] : NULL,
					 clock.now);
		if (rc >= 0 && !out)
			rc = -ENOMEM;
	} else {
		rc = ec2_run(lab, &st, (int)argc, argv, &clock, &out, &e);
	}
	if (rc == -EINVAL || rc == -ENOTSUP) {
		operation_name(argv[0], op, sizeof(op));
		fprintf(r->err, "\nAn error occurred (%s) when calling the %s "
			"operation: %s\n", e.code, op, e.message);
		r->exit = 254;
		goto out;
	} else if (rc < 0) {
		fprintf(r->err, "vpcemu ec2: %s\n", strerror(-rc));
		goto out;
	}

	/* Persist and apply only what changed (describe-* and failed
	 * transitions change nothing: apply then says so). */
	text = print_lab(lab);
	if (!text) {
		fprintf(r->err, "vpcemu ec2: lab %s cannot be written back as a "
			"lab file: %s\n", name, strerror(errno));
		goto out;
	}
	svc_lab_prune(D.svc, lab);
	rc = labops_apply(lab, text, applied_of(name), &res, &err);
	if (rc) {
		fprintf(r->err, "vpcemu ec2: %s\n", err.what);
		logmsg(LOG_ERR, name, "%s: apply failed: %s", argv[0],
		       err.what);
		goto out;
	}
	js = ec2_state_to_json(&st);
	if (!js || json_dump_file(js, path, JSON_SORT_KEYS) < 0)
		logmsg(LOG_ERR, name, "cannot save %s", path);
	json_decref(js);
	if (res.nops)
		logmsg(LOG_INFO, name, "%s: %zu operation%s in %zu namespace%s",
		       argv[0], res.nops, res.nops == 1 ? "" : "s",
		       res.ntouched, res.ntouched == 1 ? "" : "s");
	if (json_object_size(out) || json_array_size(out)) {
		char *o = json_dumps(out, JSON_INDENT(4) | JSON_PRESERVE_ORDER);

		if (o)
			fprintf(r->out, "%s\n", o);
		free(o);
	}
	json_object_set_new(r->result, "lab", json_string(name));
	json_object_set_new(r->result, "operations", json_integer(res.nops));
	r->exit = CTL_EXIT_OK;
	if (res.changed)
		adopt(name);
out:
	labops_apply_result_free(&res);
	json_decref(out);
	ec2_state_free(&st);
	lab_free(lab);
	free(text);
	free(path);
	free(argv);
	free(name);
}

static void op_down(const struct peer *p, json_t *args, struct reply *r)
{
	const char *file = arg_str(args, "file"), *name = arg_str(args, "name");
	bool color = json_is_true(json_object_get(args, "color"));
	struct lab_error err = { { 0 } };
	struct diags d = { 0 };
	struct lab *lab = NULL;
	double t0 = now_s();
	bool found;
	int e;

	r->exit = CTL_EXIT_FAIL;
	if (file) {
		/* down FILE: the file names the lab, and its plan names the
		 * namespaces even when the state file is gone. A file with
		 * errors still names its lab if the model could be built. */
		load_as_peer(p, file, arg_str(args, "as"), name, &d, &lab,
			     r->err);
		if (!lab) {
			diag_print(&d, r->err, color);
			goto out;
		}
		name = lab->name;
	}
	logmsg(LOG_INFO, name, "down%s%s (uid %u)", file ? " from " : "",
	       file ? file : "", (unsigned)p->cred.uid);
	/* Service sockets pin the namespaces: they go first. */
	ssm_cancel_lab(name);
	svc_lab_drop(D.svc, name);
	applied_drop(name);
	e = labops_down(name, d.nerrors ? NULL : lab, &found, &err);
	if (e) {
		fprintf(r->err, "vpcemu down: %s\n", err.what);
		logmsg(LOG_ERR, name, "down failed: %s", err.what);
		goto out;
	}
	r->exit = CTL_EXIT_OK;
	fprintf(r->out, found ? "lab %s is down (%.2f s)\n"
			      : "lab %s is not up: nothing to do\n",
		name, now_s() - t0);
	json_object_set_new(r->result, "lab", json_string(name));
	json_object_set_new(r->result, "found", json_boolean(found));
	json_object_set_new(r->result, "seconds", json_real(now_s() - t0));
	logmsg(LOG_INFO, name, "down: %s in %.2f s",
	       found ? "removed" : "was not up", now_s() - t0);
out:
	lab_free(lab);
	diags_free(&d);
}

/* ---- ssm --------------------------------------------------------------- */

/* One `vpcemu ssm` request: the agents it asked (one for start-session,
 * every instance with a role for describe-instance-information), each a
 * real probe through the lab; the reply goes when the last one is done. */
struct ssm_ask {
	struct ssm_ask *next;	/* D.asks */
	struct reply *r;
	bool start;		/* start-session, else describe */
	size_t n, pending;
	struct ssm_agent {
		struct ssm_ask *ask;
		char lab[64], id[MODEL_ID_MAX], name[128], netns[160];
		uint32_t ip;
		struct ssm_probe *probe;	/* while it runs */
		bool online;
		char reason[256];
	} *agents;
};

/* Requests waiting for their probes: a lab going down cancels its own
 * (their sockets pin the instances' namespaces). */
static struct ssm_ask *asks;

static void ssm_finish(struct ssm_ask *a)
{
	struct ssm_ask **pp;
	struct reply *r = a->r;
	json_t *list;
	char ip[16], when[32];
	time_t now = time(NULL);
	size_t i;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", localtime(&now));
	if (a->start) {
		struct ssm_agent *g = &a->agents[0];

		if (!g->online) {
			fprintf(r->err, "\nAn error occurred (TargetNotConnected) "
				"when calling the StartSession operation: %s "
				"is not connected.\n", g->id);
			logmsg(LOG_NOTICE, g->lab, "ssm start-session %s: not "
			       "connected: %s", g->name, g->reason);
			json_object_set_new(r->result, "reason",
					    json_string(g->reason));
			r->exit = 254;
		} else {
			logmsg(LOG_INFO, g->lab, "ssm start-session %s",
			       g->name);
			json_object_set_new(r->result, "netns",
					    json_string(g->netns));
			json_object_set_new(r->result, "instance",
					    json_string(g->id));
			r->exit = CTL_EXIT_OK;
		}
		goto out;
	}
	list = json_array();
	for (i = 0; i < a->n; i++) {
		struct ssm_agent *g = &a->agents[i];

		json_array_append_new(list, json_pack(
			"{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s}",
			"InstanceId", g->id,
			"PingStatus", g->online ? "Online" : "ConnectionLost",
			"LastPingDateTime", when,
			"AgentVersion", "3.3.0.0",
			"IsLatestVersion", 1,
			"PlatformType", "Linux",
			"PlatformName", "Amazon Linux",
			"PlatformVersion", "2023",
			"ResourceType", "EC2Instance",
			"IPAddress", ip_fmt(g->ip, ip),
			"ComputerName", g->name));
		if (!g->online)
			json_object_set_new(json_array_get(list, i),
					    "VpcemuReason",
					    json_string(g->reason));
	}
	json_t *o = json_pack("{s:o}", "InstanceInformationList", list);
	char *text = json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER);

	if (text)
		fprintf(r->out, "%s\n", text);
	free(text);
	json_object_set_new(r->result, "InstanceInformationList",
			    json_incref(list));
	json_decref(o);
	r->exit = CTL_EXIT_OK;
out:
	for (pp = &asks; *pp; pp = &(*pp)->next) {
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	}
	free(a->agents);
	free(a);
	reply_complete(r);
}

static void ssm_done(void *data, const struct ssm_result *res)
{
	struct ssm_agent *g = data;

	g->probe = NULL;	/* freed before done is called */
	g->online = res->online;
	snprintf(g->reason, sizeof(g->reason), "%s", res->reason);
	if (--g->ask->pending == 0)
		ssm_finish(g->ask);
}

static void ssm_add(struct ssm_ask *a, const struct lab *lab,
		    const struct instance *in)
{
	struct ssm_agent *g = &a->agents[a->n++];

	g->ask = a;
	snprintf(g->lab, sizeof(g->lab), "%s", lab->name);
	snprintf(g->id, sizeof(g->id), "%s", in->r.id);
	snprintf(g->name, sizeof(g->name), "%s", in->r.name);
	snprintf(g->netns, sizeof(g->netns), "%s", in->eni->netns);
	g->ip = in->private_ip;
}

/* vpcemu ssm start-session --target ID|NAME | describe-instance-information:
 * answered once the agents were probed for real (ssm.c). */
static void op_ssm(const struct peer *p, json_t *args, struct reply *r)
{
	json_t *jargv = json_object_get(args, "argv");
	const char *cmd = json_string_value(json_array_get(jargv, 0));
	const char *want_lab = arg_str(args, "lab"), *target = NULL;
	const struct lab *labs[64];
	char **names = NULL;
	size_t n = 0, nlabs = 0, i, j, total = 0;
	struct ssm_ask *a = NULL;

	r->exit = CTL_EXIT_USAGE;
	for (i = 1; i + 1 < json_array_size(jargv); i++)
		if (!strcmp(json_string_value(json_array_get(jargv, i)),
			    "--target"))
			target = json_string_value(json_array_get(jargv,
								  i + 1));
	if (!strcmp(cmd, "start-session") && !target) {
		fprintf(r->err, "vpcemu ssm start-session: --target is "
			"required\n");
		return;
	}
	r->exit = CTL_EXIT_FAIL;
	if (want_lab) {
		labs[nlabs] = svc_lab_model(D.svc, want_lab);
		nlabs += labs[nlabs] != NULL;
	} else if (!state_list(&names, &n)) {
		for (i = 0; i < n && nlabs < 64; i++) {
			labs[nlabs] = svc_lab_model(D.svc, names[i]);
			nlabs += labs[nlabs] != NULL;
		}
		state_names_free(names, n);
	}
	for (i = 0; i < nlabs; i++)
		total += labs[i]->ninstances;
	a = calloc(1, sizeof(*a));
	if (a)
		a->agents = calloc(total + 1, sizeof(*a->agents));
	if (!a || !a->agents) {
		fprintf(r->err, "vpcemud: out of memory\n");
		if (a)
			free(a->agents);
		free(a);
		return;
	}
	a->r = r;
	a->start = !strcmp(cmd, "start-session");
	for (i = 0; i < nlabs; i++) {
		for (j = 0; j < labs[i]->ninstances; j++) {
			const struct instance *in = labs[i]->instances[j];

			if (a->start ? (!strcmp(in->r.name, target) ||
					!strcmp(in->r.id, target))
				     : ssm_role_ok(in->role))
				ssm_add(a, labs[i], in);
		}
	}
	if (a->start && a->n != 1) {
		/* AWS says the same of an instance it does not know. */
		fprintf(r->err, "\nAn error occurred (TargetNotConnected) when "
			"calling the StartSession operation: %s is not "
			"connected.\n", target);
		if (a->n > 1)
			fprintf(r->err, "vpcemu: %s names an instance in "
				"several labs: say which with --lab LAB\n",
				target);
		r->exit = 254;
		free(a->agents);
		free(a);
		return;
	}
	r->deferred = true;
	a->next = asks;
	asks = a;
	/* + 1 until every probe is started: a probe that cannot start is
	 * done at once. */
	a->pending = a->n + 1;
	for (i = 0; i < a->n; i++) {
		struct ssm_agent *g = &a->agents[i];
		const struct lab *lab = svc_lab_model(D.svc, g->lab);
		const struct instance *in = (const struct instance *)model_find(
			lab, RES_INSTANCE, g->id);

		g->probe = ssm_probe_start(D.el, g->netns,
					   in->subnet->vpc->region, in->role,
					   ssm_done, g);
		if (!g->probe) {
			struct ssm_result fail = { .online = false };

			snprintf(fail.reason, sizeof(fail.reason),
				 "the probe could not start: %s",
				 strerror(errno));
			ssm_done(g, &fail);
		}
	}
	if (--a->pending == 0)
		ssm_finish(a);
}

/* Cancels the probes into lab name's instances, which are about to go:
 * their requests answer as if the agents were offline. */
static void ssm_cancel_lab(const char *name)
{
	struct ssm_ask *a, *next;
	struct ssm_result gone = { .online = false };
	size_t i;

	snprintf(gone.reason, sizeof(gone.reason), "the lab went down");
	for (a = asks; a; a = next) {
		next = a->next;
		/* The last done frees a: stop looking at it then. */
		for (i = 0; i < a->n; i++) {
			struct ssm_agent *g = &a->agents[i];
			bool last = a->pending == 1;

			if (!g->probe || strcmp(g->lab, name))
				continue;
			ssm_probe_cancel(g->probe);
			ssm_done(g, &gone);
			if (last)
				break;
		}
	}
}

static bool netns_present(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return access(path, F_OK) == 0;
}

/* Where each instance's user data stands ("running", "exit N") and its
 * log, for the instances that have some. */
static void status_user_data(const struct lab_state *s, json_t *insts,
			     struct reply *r)
{
	bool first = true;
	size_t j;

	for (j = 0; j < s->ninstances; j++) {
		const char *name = s->instances[j].name;
		char *st = state_userdata_path(s->lab, name, "status");
		char *log = state_userdata_path(s->lab, name, "log");
		char *text = NULL;
		size_t len;

		if (st && log && !read_file(st, 64, &text, &len)) {
			text[strcspn(text, "\n")] = '\0';
			if (first)
				fprintf(r->out, "\n");
			first = false;
			fprintf(r->out, "user data of %s: %s, log %s\n", name,
				text, log);
			json_object_set_new(json_array_get(insts, j),
				"user_data", json_pack("{s:s, s:s}", "status",
						       text, "log", log));
		}
		free(text);
		free(st);
		free(log);
	}
}

static void status_lab(const char *name, struct reply *r)
{
	json_t *insts = json_array();
	struct lab_state *s;
	char ip[16];
	size_t j;
	int e;

	e = state_load(name, &s);
	if (e) {
		fprintf(r->err, "vpcemu status: lab %s: %s\n", name,
			e == -ENOENT ? "not up" : strerror(-e));
		r->exit = CTL_EXIT_FAIL;
		json_decref(insts);
		return;
	}
	fprintf(r->out, "lab %s (%s) from %s\n\n", s->lab, s->status, s->file);
	fprintf(r->out, "%-24s %-21s %-15s %-12s %-28s %s\n", "INSTANCE", "ID",
		"IP", "VPC", "NAMESPACE", "STATE");
	for (j = 0; j < s->ninstances; j++) {
		const struct state_instance *in = &s->instances[j];
		const char *st = netns_present(in->netns) ? "running"
							  : "missing";

		fprintf(r->out, "%-24s %-21s %-15s %-12s %-28s %s\n", in->name,
			in->id, ip_fmt(in->ip, ip), in->vpc, in->netns, st);
		json_array_append_new(insts,
			json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
				  "name", in->name, "id", in->id, "ip", ip,
				  "vpc", in->vpc, "subnet", in->subnet,
				  "netns", in->netns, "state", st));
	}
	status_user_data(s, insts, r);
	json_object_set_new(r->result, "lab", json_string(s->lab));
	json_object_set_new(r->result, "status", json_string(s->status));
	json_object_set_new(r->result, "file", json_string(s->file));
	json_object_set_new(r->result, "instances", insts);
	state_free(s);
}

static void op_status(const struct peer *p, json_t *args, struct reply *r)
{
	const char *lab = arg_str(args, "lab");
	json_t *labs;
	char **names = NULL;
	size_t n = 0, i, j;
	int e;

	if (lab) {
		status_lab(lab, r);
		return;
	}
	e = state_list(&names, &n);
	if (e) {
		fprintf(r->err, "vpcemu status: %s: %s\n", state_dir(),
			strerror(-e));
		r->exit = CTL_EXIT_FAIL;
		return;
	}
	labs = json_array();
	if (!n)
		fprintf(r->out, "no lab is up\n");
	else
		fprintf(r->out, "%-24s %-9s %-11s %s\n", "LAB", "STATUS",
			"NAMESPACES", "FILE");
	for (i = 0; i < n; i++) {
		struct lab_state *s;
		size_t present = 0;

		if (state_load(names[i], &s))
			continue;
		for (j = 0; j < s->nnetns; j++)
			present += netns_present(s->netns[j]);
		fprintf(r->out, "%-24s %-9s %4zu/%-6zu %s\n", s->lab, s->status,
			present, s->nnetns, s->file);
		json_array_append_new(labs,
			json_pack("{s:s, s:s, s:s, s:I, s:I}", "lab", s->lab,
				  "status", s->status, "file", s->file,
				  "namespaces", (json_int_t)s->nnetns,
				  "present", (json_int_t)present));
		state_free(s);
	}
	state_names_free(names, n);
	json_object_set_new(r->result, "labs", labs);
}

static const struct {
	const char *name;
	void (*fn)(const struct peer *p, json_t *args, struct reply *r);
} ops[] = {
	{ "ping", op_ping },
	{ "up", op_up },
	{ "apply", op_apply },
	{ "down", op_down },
	{ "status", op_status },
	{ "ec2", op_ec2 },
	{ "ssm", op_ssm },
};

/* ---- clients ----------------------------------------------------------- */

static void client_io(struct evloop *el, int fd, unsigned events, void *data);

static void client_close(struct client *c)
{
	struct client **pp;

	for (pp = &D.clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	D.nclients--;
	evloop_del_fd(D.el, c->fd);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Queues rep (consumed) for sending; a reply too large to frame, or no
 * memory to frame it, becomes a short error. */
static void client_queue(struct client *c, json_t *rep)
{
	int e = rep ? ctl_frame_encode(rep, &c->out, &c->outlen) : -ENOMEM;

	json_decref(rep);
	if (e) {
		rep = ctl_reply_error(CTL_EXIT_FAIL, "vpcemud: cannot send the "
				      "reply: %s", strerror(-e));
		if (!rep || ctl_frame_encode(rep, &c->out, &c->outlen))
			c->closing = true;
		json_decref(rep);
	}
	c->outoff = 0;
}

/* Drops a connection after telling the client why. */
static void client_refuse(struct client *c, int exit_status, const char *msg)
{
	client_queue(c, ctl_reply_error(exit_status, "%s", msg));
	c->closing = true;
}

static void client_bad_request(struct client *c, const char *why)
{
	logmsg(LOG_WARNING, NULL, "bad request from pid %d uid %u: %s",
	       (int)c->pid, (unsigned)c->uid, why);
	client_queue(c, ctl_reply_error(CTL_EXIT_USAGE,
					"vpcemud: bad request: %s", why));
	c->closing = true;
}

static void client_request(struct client *c, json_t *msg)
{
	struct peer p;
	const char *op;
	struct reply *r;
	json_t *args, *rep;
	char err[512];
	size_t i;
	int e;

	/* Asked for each request, not trusted from accept: cheap, and the
	 * rule reads the same wherever a request is handled. */
	e = peer_get(c->fd, &p);
	if (e) {
		logmsg(LOG_ERR, NULL, "client pid %d: SO_PEERCRED: %s",
		       (int)c->pid, strerror(-e));
		client_refuse(c, CTL_EXIT_FAIL, "vpcemud: cannot identify "
			      "the client");
		return;
	}
	if (!peer_allowed(&p)) {
		logmsg(LOG_WARNING, NULL, "refused a request from pid %d uid "
		       "%u gid %u: permission denied", (int)p.cred.pid,
		       (unsigned)p.cred.uid, (unsigned)p.cred.gid);
		client_refuse(c, CTL_EXIT_FAIL, "permission denied");
		goto out;
	}
	e = ctl_request_parse(msg, &op, &args, err, sizeof(err));
	if (e) {
		client_bad_request(c, err);
		goto out;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(ops[i].name, op))
			break;
	if (i == sizeof(ops) / sizeof(ops[0])) {
		/* In ctl.c's table but not served here: a build mismatch. */
		client_refuse(c, CTL_EXIT_FAIL, "vpcemud: op not served");
		goto out;
	}
	/* On the heap: a deferred reply outlives this call, and the memory
	 * streams hold the addresses of its buffers. */
	r = malloc(sizeof(*r));
	if (!r || reply_open(r, c->serial)) {
		if (r)
			json_decref(reply_close(r));
		free(r);
		client_queue(c, NULL);
		goto out;
	}
	ops[i].fn(&p, args, r);
	if (r->deferred) {
		c->waiting = true;
		goto out;
	}
	rep = reply_close(r);
	free(r);
	client_queue(c, rep);
out:
	peer_free(&p);
}

/* Handles every whole frame received, one at a time: the next is read
 * only after the previous reply went out. */
static void client_process(struct client *c)
{
	char err[256];
	json_t *msg;
	size_t used;
	int e;

	while (!c->closing && !c->waiting && c->outoff == c->outlen) {
		e = ctl_frame_decode(c->in, c->inlen, &used, &msg, err,
				     sizeof(err));
		if (e < 0) {
			client_bad_request(c, err);
			break;
		}
		if (e == 0) {
			if (c->eof && c->inlen) {
				snprintf(err, sizeof(err), "truncated: the "
					 "connection closed after %zu bytes",
					 c->inlen);
				client_bad_request(c, err);
			} else if (c->eof) {
				c->closing = true;
			}
			break;
		}
		memmove(c->in, c->in + used, c->inlen - used);
		c->inlen -= used;
		client_request(c, msg);
		json_decref(msg);
	}
}

/* Sends what is queued. Returns 0, or -errno when the client is gone. */
static int client_flush(struct client *c)
{
	ssize_t k;

	while (c->outoff < c->outlen) {
		k = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		c->outoff += (size_t)k;
	}
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	return 0;
}

/* Reads one chunk. Returns 0, or -errno when the client is gone. */
static int client_read(struct client *c)
{
	size_t max = CTL_HDR_LEN + CTL_MSG_MAX;
	ssize_t k;

	if (c->inlen == c->incap) {
		size_t cap = c->incap + READ_CHUNK;
		char *n;

		/* A whole frame always fits in max bytes and is handled
		 * before more is read, so the buffer never grows past. */
		if (cap > max)
			cap = max;
		if (cap == c->incap)
			return -ENOBUFS;
		n = realloc(c->in, cap);
		if (!n)
			return -ENOMEM;
		c->in = n;
		c->incap = cap;
	}
	k = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, MSG_DONTWAIT);
	if (k < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (k == 0)
		c->eof = true;
	c->inlen += (size_t)k;
	return 0;
}

static void client_io(struct evloop *el, int fd, unsigned events, void *data)
{
	struct client *c = data;
	int e = 0;

	c->last = evloop_now_ms();
	if (events & EVLOOP_WRITE)
		e = client_flush(c);
	if (!e && events & (EVLOOP_READ | EVLOOP_ERROR) && !c->closing &&
	    !c->waiting && c->outoff == c->outlen)
		e = client_read(c);
	/* Requests sent back to back: once a reply is out, the next frame
	 * may already be buffered, with no new byte coming to wake us. */
	while (!e) {
		size_t before = c->inlen;

		client_process(c);
		e = client_flush(c);
		/* The reply is out: now the kernel's wait (netns.h). */
		nsh_close_deferred();
		if (c->closing || c->waiting || c->outoff < c->outlen ||
		    c->inlen == before)
			break;
	}
	if (e || (c->closing && c->outoff == c->outlen)) {
		client_close(c);
		return;
	}
	/* Pending output: wait to write, and read nothing more until it is
	 * out (one request at a time per client). A client that shut its
	 * side down has nothing more to say either. */
	evloop_mod_fd(el, fd, c->outoff < c->outlen ? EVLOOP_WRITE
			      : c->eof || c->waiting ? 0 : EVLOOP_READ);
}

/* Sends a deferred reply (consumed with r) to its client, if it is still
 * connected, and lets it ask again. */
static void reply_complete(struct reply *r)
{
	json_t *rep = reply_close(r);
	struct client *c;

	for (c = D.clients; c && c->serial != r->client; c = c->next)
		;
	free(r);
	if (!c) {
		json_decref(rep);
		return;
	}
	c->waiting = false;
	client_queue(c, rep);
	client_io(D.el, c->fd, EVLOOP_WRITE, c);
}

static void on_accept(struct evloop *el, int fd, unsigned events, void *data)
{
	struct ucred cred = { 0 };
	socklen_t len = sizeof(cred);
	struct client *c;
	int cfd;

	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			logmsg(LOG_ERR, NULL, "accept: %s", strerror(errno));
		return;
	}
	getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
	if (D.nclients >= MAX_CLIENTS) {
		logmsg(LOG_WARNING, NULL, "%d clients already: dropping pid "
		       "%d uid %u", MAX_CLIENTS, (int)cred.pid,
		       (unsigned)cred.uid);
		close(cfd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || evloop_add_fd(el, cfd, EVLOOP_READ, client_io, c)) {
		logmsg(LOG_ERR, NULL, "no memory for a client");
		free(c);
		close(cfd);
		return;
	}
	c->fd = cfd;
	c->pid = cred.pid;
	c->uid = cred.uid;
	c->serial = ++D.serial;
	c->last = evloop_now_ms();
	c->next = D.clients;
	D.clients = c;
	D.nclients++;
}

/* Closes connections that sent no whole request for CLIENT_IDLE_MS, so
 * that idle clients cannot hold every slot. */
static void on_sweep(struct evloop *el, uint64_t id, void *data)
{
	uint64_t now = evloop_now_ms();
	struct client *c, *next;

	for (c = D.clients; c; c = next) {
		next = c->next;
		if (now - c->last > CLIENT_IDLE_MS) {
			logmsg(LOG_NOTICE, NULL, "closing idle client pid %d",
			       (int)c->pid);
			client_close(c);
		}
	}
}

/* ---- signals ----------------------------------------------------------- */

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char s = (unsigned char)sig;

	/* A full pipe already holds a wake-up: losing this byte is fine. */
	if (write(D.sigpipe[1], &s, 1) < 0) {
	}
	errno = saved;
}

static void on_sigpipe_fd(struct evloop *el, int fd, unsigned events,
			  void *data)
{
	unsigned char s;

	while (read(fd, &s, 1) == 1) {
		logmsg(LOG_NOTICE, NULL, "%s: exiting; labs stay up",
		       strsignal(s));
		evloop_stop(el);
	}
}

/* A self-pipe rather than a blocked mask and signalfd: blocked signals
 * survive execve, and children (probes, exec) must get default ones. */
static int signals_init(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	size_t i;

	if (pipe2(D.sigpipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -errno;
	return 0;
}

/* ---- start-up ---------------------------------------------------------- */

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Start-up errors go to stderr, which is the starter's until we detach,
 * and to syslog when we will detach (stderr is /dev/null after). */
static int fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vpcemud: %s\n", msg);
	if (!D.foreground)
		syslog(LOG_ERR, "%s", msg);
	return 1;
}

/* The socket's directory: created 0755 if missing; it must be root's and
 * writable by no one else, or whoever can write there could replace our
 * socket with theirs. */
static int prepare_dir(const char *sock)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", sock);
	slash = strrchr(dir, '/');
	if (!slash)
		return fail("--socket %s: not an absolute path", sock);
	if (slash == dir)
		slash++;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return fail("mkdir %s: %s", dir, strerror(errno));
	if (lstat(dir, &st) < 0)
		return fail("%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail("%s: not a directory", dir);
	if (st.st_uid != 0 || st.st_mode & (S_IWGRP | S_IWOTH))
		return fail("%s: must belong to root and be writable by root "
			    "only (owner uid %u, mode %04o)", dir,
			    (unsigned)st.st_uid, st.st_mode & 07777);
	return 0;
}

/* The pid file doubles as the lock that makes one daemon per socket: two
 * vpcemud starting together cannot both find the socket stale and remove
 * each other's. */
static int lock_pidfile(void)
{
	struct stat a, b;
	char buf[32] = "";
	ssize_t n;
	int fd;

	for (;;) {
		fd = open(D.pidfile, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			  0644);
		if (fd < 0)
			return fail("%s: %s", D.pidfile, strerror(errno));
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int e = errno;

			n = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			close(fd);
			if (e == EWOULDBLOCK)
				return fail("another vpcemud runs (pid %s, "
					    "%s)", *buf ? buf : "?", D.pidfile);
			return fail("lock %s: %s", D.pidfile, strerror(e));
		}
		/* The last holder may have unlinked the file on its way
		 * out: a lock on that orphan would lock nothing. */
		if (!fstat(fd, &a) && !stat(D.pidfile, &b) &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			break;
		close(fd);
	}
	D.pidfd = fd;
	return 0;
}

static int write_pidfile(void)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (ftruncate(D.pidfd, 0) < 0 || pwrite(D.pidfd, buf, (size_t)n, 0) != n)
		return fail("%s: %s", D.pidfile, strerror(errno));
	return 0;
}

static int bind_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t mode = D.group_set ? 0660 : 0600, old;
	struct stat st;
	int fd, r, e;

	if (strlen(D.socket) >= sizeof(sa.sun_path))
		return fail("%s: path too long for a socket", D.socket);
	strcpy(sa.sun_path, D.socket);

	fd = ctl_connect(D.socket);
	if (fd >= 0) {
		close(fd);
		return fail("another vpcemud answers on %s", D.socket);
	}
	if (fd == -ECONNREFUSED) {
		if (lstat(D.socket, &st) == 0 && !S_ISSOCK(st.st_mode))
			return fail("%s exists and is not a socket", D.socket);
		/* Left by a daemon that died (kill -9): nobody listens. */
		if (unlink(D.socket) < 0 && errno != ENOENT)
			return fail("remove stale %s: %s", D.socket,
				    strerror(errno));
	} else if (fd != -ENOENT) {
		return fail("%s: %s", D.socket, strerror(-fd));
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail("socket: %s", strerror(errno));
	/* The file is born with its final mode and group: umask before
	 * bind, the allowed group as our egid while binding. A chmod or
	 * chown after bind would leave a moment where the socket is wider
	 * than intended (redis anetListen's race). */
	old = umask(0777 & ~mode);
	if (D.group_set && setegid(D.group) < 0) {
		e = errno;
		umask(old);
		close(fd);
		return fail("setegid %u: %s", (unsigned)D.group, strerror(e));
	}
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	if (D.group_set && setegid(D.egid) < 0) {
		/* Cannot happen to root; if it did, nothing else would be
		 * safe either. */
		close(fd);
		unlink(D.socket);
		return fail("setegid %u: %s", (unsigned)D.egid,
			    strerror(errno));
	}
	umask(old);
	if (r < 0) {
		close(fd);
		return fail("bind %s: %s", D.socket, strerror(e));
	}
	/* A setgid directory would have imposed its own group. */
	if (lstat(D.socket, &st) < 0 || (st.st_mode & 0777) != mode ||
	    st.st_gid != (D.group_set ? D.group : D.egid)) {
		close(fd);
		unlink(D.socket);
		return fail("%s came out with mode %04o group %u, not %04o "
			    "group %u", D.socket, st.st_mode & 0777,
			    (unsigned)st.st_gid, mode,
			    (unsigned)(D.group_set ? D.group : D.egid));
	}
	if (listen(fd, 64) < 0) {
		e = errno;
		close(fd);
		unlink(D.socket);
		return fail("listen %s: %s", D.socket, strerror(e));
	}
	D.lfd = fd;
	return 0;
}

/* Double fork, new session, / as cwd, stdio on /dev/null. The first
 * process exits 0 only once the socket listens (bound before), so
 * whoever started us may connect as soon as it has reaped us. */
static int daemonize(void)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return fail("setsid: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		return fail("chdir /: %s", strerror(errno));
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail("/dev/null: %s", strerror(errno));
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return fail("dup2: %s", strerror(errno));
	close(fd);
	return 0;
}

static char *pidfile_of(const char *sock)
{
	size_t n = strlen(sock);
	char *p = malloc(n + sizeof(".pid"));

	if (!p)
		return NULL;
	/* /run/vpcemu/vpcemud.sock -> /run/vpcemu/vpcemud.pid */
	if (n > 5 && !strcmp(sock + n - 5, ".sock"))
		n -= 5;
	memcpy(p, sock, n);
	strcpy(p + n, ".pid");
	return p;
}

static int parse_group(const char *s, gid_t *ret)
{
	struct group *g = getgrnam(s);
	char *end;
	unsigned long v;

	if (g) {
		*ret = g->gr_gid;
		return 0;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v >= (gid_t)-1)
		return -ENOENT;
	*ret = (gid_t)v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vpcemud [--foreground] [--socket PATH] [--group NAME]\n"
		"               [--help] [--version]\n\n"
		"The vpcemu daemon: owns every lab on the host and answers "
		"vpcemu on a\nUnix socket. `vpcemu up` starts it when none "
		"runs.\n\n"
		"  --foreground   stay attached, log to stderr (systemd)\n"
		"  --socket PATH  control socket (default $VPCEMU_SOCKET or "
		"%s)\n"
		"  --group NAME   also admit members of group NAME (socket "
		"0660)\n", CTL_SOCKET_DEFAULT);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "group", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c, r, rc = 1;

	D.socket = ctl_socket_path();
	while ((c = getopt_long(argc, argv, "fs:g:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			D.foreground = true;
			break;
		case 's':
			D.socket = optarg;
			break;
		case 'g':
			if (parse_group(optarg, &D.group))
				return fail("--group %s: no such group",
					    optarg);
			D.group_set = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vpcemud %s\n", VPCEMU_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (D.socket[0] != '/')
		return fail("--socket %s: not an absolute path", D.socket);
	if (geteuid() != 0)
		return fail("must run as root (it changes network namespaces)");
	D.egid = getegid();
	/* Whatever umask we inherited, our directories and the lab files we
	 * write (/etc/netns) get the modes we ask for. */
	umask(022);
	if (!D.foreground) {
		/* A daemon keeps no fd of whoever started it: a pipe held
		 * open here would keep that caller waiting for EOF. */
		close_range(3, ~0U, 0);
		openlog("vpcemud", LOG_PID, LOG_DAEMON);
	}
	D.pidfile = pidfile_of(D.socket);
	if (!D.pidfile)
		return fail("out of memory");
	if (prepare_dir(D.socket) || lock_pidfile() || bind_socket())
		goto out;
	if (!D.foreground && daemonize())
		goto out_unlink;
	if (write_pidfile())
		goto out_unlink;

	D.el = evloop_new();
	r = D.el ? signals_init() : -errno;
	if (!r)
		r = evloop_add_fd(D.el, D.sigpipe[0], EVLOOP_READ,
				  on_sigpipe_fd, NULL);
	if (!r)
		r = evloop_add_fd(D.el, D.lfd, EVLOOP_READ, on_accept, NULL);
	if (!r && !evloop_add_timer(D.el, SWEEP_MS, SWEEP_MS, on_sweep, NULL))
		r = -errno;
	if (!r && !(D.svc = svc_new(D.el)))
		r = -ENOMEM;
	nsh_defer_close(true);
	if (r) {
		logmsg(LOG_ERR, NULL, "start: %s", strerror(-r));
		goto out_unlink;
	}
	logmsg(LOG_INFO, NULL, "vpcemud %s listening on %s (%s%s), state in "
	       "%s", VPCEMU_VERSION, D.socket,
	       D.group_set ? "root and group " : "root only",
	       D.group_set ? (getgrgid(D.group) ? getgrgid(D.group)->gr_name
						: "(numeric)") : "",
	       state_dir());
	svc_set_log(D.svc, svc_log);
	adopt_all();
	r = evloop_run(D.el);
	if (r)
		logmsg(LOG_ERR, NULL, "event loop: %s", strerror(-r));
	else
		rc = 0;

out_unlink:
	while (D.clients)
		client_close(D.clients);
	nsh_defer_close(false);
	svc_free(D.svc);
	applied_drop(NULL);
	if (D.lfd >= 0) {
		close(D.lfd);
		unlink(D.socket);
	}
	/* Unlinked while still locked; a successor checks that the file it
	 * locked is the one in the directory. */
	unlink(D.pidfile);
out:
	if (D.pidfd >= 0)
		close(D.pidfd);
	evloop_free(D.el);
	free(D.pidfile);
	if (!D.foreground)
		closelog();
	return rc;
}
