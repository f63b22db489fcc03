/* request.c - the control requests vpcemud serves (request.h).
 *
 * Each handler runs a request through labops.c, the same functions the
 * CLI once called in its own process, and writes the text the CLI prints
 * and the exit status it returns into a reply (ctlsrv.h). Owns the
 * services of running labs (svc.c) and, per lab, the plan last carried
 * out, so that apply and ec2 diff against it; `vpcemu ssm` is ssmreq.c's.
 *
 * Labs live in the kernel and in state files, not in this process: what
 * is kept here is rebuilt from them at start-up (request_adopt_all).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vpcemu/check.h"
#include "vpcemu/cost.h"
#include "vpcemu/ctl.h"
#include "vpcemu/describe.h"
#include "vpcemu/diff.h"
#include "vpcemu/dlog.h"
#include "vpcemu/ec2.h"
#include "vpcemu/elbv2.h"
#include "vpcemu/execreq.h"
#include "vpcemu/health.h"
#include "vpcemu/iam.h"
#include "vpcemu/labops.h"
#include "vpcemu/load.h"
#include "vpcemu/model.h"
#include "vpcemu/netns.h"
#include "vpcemu/nft.h"
#include "vpcemu/nsexec.h"
#include "vpcemu/peer.h"
#include "vpcemu/plan.h"
#include "vpcemu/print.h"
#include "vpcemu/request.h"
#include "vpcemu/ssmreq.h"
#include "vpcemu/state.h"
#include "vpcemu/svc.h"
#include "vpcemu/util.h"

static const char *arg_str(json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}

/* The plan last carried out per lab (labops_applied): apply and ec2 diff
 * against it instead of rebuilding it from the kept text, which costs
 * more than the rest of a small change in a large lab. */
struct applied {
	struct applied *next;
	char *lab;
	struct labops_applied a;
};

static struct {
	struct evloop *el;
	struct svc *svc;
	struct applied *applied;
} R;

/* The record of lab (created empty when missing; NULL when out of
 * memory, which only costs a rebuild). */
static struct labops_applied *applied_of(const char *lab)
{
	struct applied *ap;

	for (ap = R.applied; ap; ap = ap->next)
		if (!strcmp(ap->lab, lab))
			return &ap->a;
	ap = calloc(1, sizeof(*ap));
	if (!ap || !(ap->lab = strdup(lab))) {
		free(ap);
		return NULL;
	}
	ap->next = R.applied;
	R.applied = ap;
	return &ap->a;
}

/* Forgets lab's record (every record when lab is NULL). */
static void applied_drop(const char *lab)
{
	struct applied **pp = &R.applied, *ap;

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

static void svc_log(int prio, const char *lab, const char *msg)
{
	dlog(prio, lab, "%s", msg);
}

/* Gives the services the model lab name runs, as last applied (after an
 * AWS-style command, and for every lab at start-up). */
static void adopt(const char *name)
{
	struct diags err = { 0 };
	struct lab *lab;

	if (labops_running_lab(name, &lab, applied_of(name), &err)) {
		dlog(LOG_WARNING, name, "no services: %s",
		     diag_first_message(&err));
		diags_free(&err);
		return;
	}
	svc_lab_set(R.svc, lab);
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

/* Records p as the owner of lab name before a request changes it: user
 * data the change starts takes p's identity (state.h). A lab whose owner
 * cannot be recorded is not changed, so that no script runs as a
 * previous owner, root perhaps. Only `up` brings a lab into being: for
 * the others (running), a lab that is not up gets no record, and the
 * request says it is not up. Returns 0 or -errno, said in r. */
static int own(const struct peer *p, const char *name, bool running,
	       struct reply *r)
{
	struct state_stamp st;
	struct nsexec_cred c;
	bool next;
	int e;

	if (running && state_stamp(name, &st, &next) == -ENOENT)
		return 0;
	peer_cred(p, &c);
	e = state_save_owner(name, &c);
	if (e)
		fprintf(r->err, "vpcemu: lab %s: cannot record its owner: "
			"%s\n", name, strerror(-e));
	return e;
}

/* lab.c's progress, to the client that asked for it. */
static void progress_to_client(const char *stage, size_t done, size_t total,
			       void *data)
{
	ctlsrv_reply_progress(data, stage, done, total);
}

static void op_ping(const struct peer *p, json_t *args, struct reply *r)
{
	json_object_set_new(r->result, "version", json_string(VPCEMU_VERSION));
	json_object_set_new(r->result, "pid", json_integer(getpid()));
}

/* The lab of `up --empty NAME [--region REGION]`: its text is only
 * these two settings, kept as any lab's for the commands that follow.
 * (ctl.c checked the name; a region that could be more than one word is
 * refused before it becomes text.) */
static int empty_lab(const char *name, const char *region, struct diags *d,
		     struct lab **ret)
{
	char *text;
	int e;

	*ret = NULL;
	if (region && strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
			      strlen(region)) {
		diag_error(d, (struct place){ 0 }, "InvalidParameterValue",
			   "'%s' is not a region", region);
		return -EINVAL;
	}
	text = region ? str_printf("lab %s\nregion %s\n", name, region)
		      : str_printf("lab %s\n", name);
	if (!text)
		return -ENOMEM;
	e = load_lab_text(name, text, strlen(text), NULL, d, ret);
	if (e) {
		free(text);
		return e;
	}
	(*ret)->text = text;
	(*ret)->text_len = strlen(text);
	return 0;
}

/* The lab file of an up or apply request (verb), read as its peer:
 * prints the file's diagnostics; on error the CLI's words for it. */
static struct lab *load_lab(const struct peer *p, json_t *args,
			    const char *verb, struct reply *r)
{
	const char *file = arg_str(args, "file"), *name = arg_str(args, "name");
	const char *as = arg_str(args, "as");
	bool color = json_is_true(json_object_get(args, "color"));
	struct diags d = { 0 };
	struct lab *lab = NULL;
	int e;

	e = peer_load_lab(p, file, as, name, &d, &lab, r->err);
	diag_print(&d, r->err, color);
	if (e) {
		if (e == -ENOMEM)
			fprintf(r->err, "vpcemu: out of memory\n");
		else if (d.nerrors)
			fprintf(r->err, "%s: %zu error%s, nothing was created\n",
				as ? as : file, d.nerrors,
				d.nerrors == 1 ? "" : "s");
		dlog(LOG_NOTICE, lab ? lab->name : name, "file=%s: %zu error%s "
		     "in the lab file", file, d.nerrors,
		     d.nerrors == 1 ? "" : "s");
		lab_free(lab);
		lab = NULL;
	}
	diags_free(&d);
	if (lab)
		dlog(LOG_INFO, lab->name, "%s from %s (uid %u)", verb, file,
		     (unsigned)p->cred.uid);
	return lab;
}

/* Brings lab up (taken: kept by the services, or freed). */
static void up_lab(const struct peer *p, struct lab *lab, struct reply *r)
{
	const char *what[] = { "created", "unchanged", "repaired" };
	struct diags err = { 0 };
	enum labops_up_result res;
	double t0 = now_s();
	char *note;
	int e;

	if (own(p, lab->name, false, r))
		goto out;
	lab_progress_set(progress_to_client, r);
	e = labops_up(lab, &res, applied_of(lab->name), &err);
	lab_progress_set(NULL, NULL);
	if (e) {
		fprintf(r->err, "vpcemu up: %s\n", diag_first_message(&err));
		if (e != -EBUSY)
			fprintf(r->err, "vpcemu up: the lab is half-built; "
				"`vpcemu up` again or `vpcemu down %s`\n",
				lab->name);
		dlog(LOG_ERR, lab->name, "up failed: %s",
		     diag_first_message(&err));
		diags_free(&err);
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
	note = labops_limits(lab, NULL, 0);
	if (note)
		fputs(note, r->out);
	free(note);
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
	dlog(LOG_INFO, lab->name, "up: %s, %zu instance%s in %.2f s",
	     what[res], lab->ninstances, lab->ninstances == 1 ? "" : "s",
	     now_s() - t0);
	svc_lab_set(R.svc, lab);
	return;
out:
	lab_free(lab);
}

/* /proc/meminfo's MemAvailable in KiB, or 0 when unknown. */
static uint64_t mem_available_kib(void)
{
	unsigned long long v = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Whether a lab not yet up fits this machine's memory; the refusal
 * printed as a lab file error, nothing built. The CLI's
 * VPCEMU_MEM_AVAILABLE_KIB (args' mem_available_kib) can only lower
 * what the kernel says is available: for tests. */
static bool fits_memory(json_t *args, const struct lab *lab, struct reply *r)
{
	const char *o = arg_str(args, "mem_available_kib");
	uint64_t avail = mem_available_kib(), v;
	struct state_stamp st;
	struct diags d = { 0 };
	struct place at;
	char *end;
	bool next, ok;

	if (state_stamp(lab->name, &st, &next) == 0)
		return true;	/* up already: its memory is taken */
	if (o) {
		errno = 0;
		v = strtoull(o, &end, 10);
		if (!errno && end != o && !*end && (!avail || v < avail))
			avail = v;
	}
	if (!avail)
		return true;
	at = lab->name_at;
	at.file = arg_str(args, "as") ? arg_str(args, "as") : lab->file;
	ok = check_memory(lab, avail, at, &d);
	diag_print(&d, r->err, json_is_true(json_object_get(args, "color")));
	if (!ok) {
		fprintf(r->err, "%s: 1 error, nothing was created\n",
			at.file);
		dlog(LOG_NOTICE, lab->name, "up refused: needs %" PRIu64
		     " KiB, %" PRIu64 " KiB available",
		     check_memory_need_kib(lab), avail);
	}
	diags_free(&d);
	return ok;
}

static void op_up(const struct peer *p, json_t *args, struct reply *r)
{
	struct lab *lab;

	r->exit = CTL_EXIT_FAIL;
	lab = load_lab(p, args, "up", r);
	if (lab && !fits_memory(args, lab, r)) {
		lab_free(lab);
		return;
	}
	if (lab)
		up_lab(p, lab, r);
}

static void op_up_empty(const struct peer *p, json_t *args, struct reply *r)
{
	const char *name = arg_str(args, "name");
	struct diags d = { 0 };
	struct lab *lab;

	r->exit = CTL_EXIT_FAIL;
	if (empty_lab(name, arg_str(args, "region"), &d, &lab) == -ENOMEM)
		fprintf(r->err, "vpcemu up: out of memory\n");
	diag_print(&d, r->err, false);
	diags_free(&d);
	if (lab)
		up_lab(p, lab, r);
}

static void op_apply(const struct peer *p, json_t *args, struct reply *r)
{
	struct labops_apply_result res = { 0 };
	struct diags err = { 0 };
	struct lab *lab;
	double t0 = now_s();
	char *sum = NULL;
	size_t i;
	int e;

	r->exit = CTL_EXIT_FAIL;
	lab = load_lab(p, args, "apply", r);
	if (!lab)
		return;
	e = own(p, lab->name, true, r);
	if (e)
		goto out;
	svc_lab_prune(R.svc, lab);
	lab_progress_set(progress_to_client, r);
	e = labops_apply(lab, NULL, applied_of(lab->name), &res, &err);
	lab_progress_set(NULL, NULL);
	if (e) {
		fprintf(r->err, "vpcemu apply: %s\n", diag_first_message(&err));
		if (res.changed)
			fprintf(r->err, "vpcemu apply: the lab is partly "
				"changed; `vpcemu apply` again, or `vpcemu "
				"down %s`\n", lab->name);
		dlog(LOG_ERR, lab->name, "apply failed: %s",
		     diag_first_message(&err));
		diags_free(&err);
		goto out;
	}
	r->exit = CTL_EXIT_OK;
	/* New instances get their groups and limits (quietly: up said
	 * once what this machine cannot limit). */
	free(labops_limits(lab, res.touched, res.ntouched));
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
	dlog(LOG_INFO, lab->name, "apply: %s, %zu namespace%s in %.0f ms",
	     sum ? sum : "changed", res.ntouched,
	     res.ntouched == 1 ? "" : "s", (now_s() - t0) * 1000);
out:
	free(sum);
	labops_apply_result_free(&res);
	if (!e) {
		svc_lab_set(R.svc, lab);
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

/* The lab a command of service ("ec2", "elbv2") is for: the one named, or
 * the only one running. */
static char *ec2_lab_name(const char *service, json_t *args, struct reply *r)
{
	const char *name = arg_str(args, "lab");
	char **labs = NULL, *one = NULL;
	size_t n = 0;

	if (name)
		return strdup(name);
	if (state_list(&labs, &n) == 0 && n == 1)
		one = strdup(labs[0]);
	else
		fprintf(r->err, "vpcemu %s: %s; say which with --lab LAB\n",
			service, n ? "several labs are up" : "no lab is up");
	state_names_free(labs, n);
	return one;
}

/* The lab's side table of ec2 state (peering lifecycles) as last saved;
 * a file that does not parse is logged and left out. */
static void op_ec2_load(const char *name, const char *path,
			struct ec2_state *st)
{
	json_t *js = json_load_file(path, 0, NULL);

	if (js && ec2_state_from_json(st, js))
		dlog(LOG_WARNING, name, "ignoring a malformed %s", path);
	json_decref(js);
}

static void op_ec2_save(const char *name, const char *path,
			const struct ec2_state *st)
{
	json_t *js = ec2_state_to_json(st);

	if (!js || json_dump_file(js, path, JSON_SORT_KEYS) < 0)
		dlog(LOG_ERR, name, "cannot save %s", path);
	json_decref(js);
}

/* describe-target-health's view of the health checks. */
static int target_health(void *data, const struct lab *lab,
			 const struct target_group *tg,
			 struct health_target **ret)
{
	return health_lab_targets(svc_health(R.svc), lab, tg, ret);
}

/* Runs the command argv of service ("ec2", "elbv2", or vpcemu's own
 * "describe") on lab and st (describe only reads them); its answer goes to
 * *ret_out. Returns 0, or -1 once the failure is written to r: AWS's own
 * errors as the AWS CLI prints them, exit 254, or into res when the
 * Query API asks. */
static int op_ec2_call(const char *service, struct lab *lab,
		       struct ec2_state *st, const struct ec2_clock *clock,
		       size_t argc, char **argv, json_t **ret_out,
		       struct reply *r, struct request_aws_result *res)
{
	struct diags e = { 0 };
	const struct diag *first;
	char op[64];
	int rc;

	if (!strcmp(argv[0], "describe")) {
		rc = ec2_tick(lab, st, clock);
		*ret_out = describe_lab_state(lab, st,
					      argc > 1 && argv[1][0] != '-' ?
						      argv[1] : NULL,
					      clock->now);
		if (rc >= 0 && !*ret_out)
			rc = -ENOMEM;
		if (rc >= 0)
			rc = ec2_page((int)argc, argv, &describe_paging_ec2,
				      *ret_out, &e);
	} else if (!strcmp(service, "iam")) {
		rc = iam_run(lab, st, (int)argc, argv, clock, ret_out, &e);
	} else if (!strcmp(service, "elbv2")) {
		rc = elbv2_run(lab, st, (int)argc, argv, clock, target_health,
			       NULL, ret_out, &e);
	} else {
		rc = ec2_run(lab, st, (int)argc, argv, clock, ret_out, &e);
	}
	first = diag_first_error(&e);
	if ((rc == -EINVAL || rc == -ENOTSUP) && first && res) {
		snprintf(res->code, sizeof(res->code), "%s", first->code);
		snprintf(res->message, sizeof(res->message), "%s",
			 first->message);
		rc = -1;
	} else if ((rc == -EINVAL || rc == -ENOTSUP) && first) {
		operation_name(argv[0], op, sizeof(op));
		fprintf(r->err, "\nAn error occurred (%s) when calling the %s "
			"operation: %s\n", first->code, op, first->message);
		r->exit = 254;
		rc = -1;
	} else if (rc < 0) {
		fprintf(r->err, "vpcemu %s: %s\n", service, strerror(-rc));
		rc = -1;
	}
	diags_free(&e);
	return rc < 0 ? -1 : 0;
}

/* A command's answer as the AWS CLI prints it; nothing when empty. */
static void print_answer(FILE *f, const json_t *out)
{
	char *o;

	if (!json_object_size(out) && !json_array_size(out))
		return;
	o = json_dumps(out, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	if (o)
		fprintf(f, "%s\n", o);
	free(o);
}

/* AWS-style command argv of service ("ec2", "elbv2", "iam") on the
 * running lab name, for p: the model changes (ec2_run, elbv2_run), is
 * printed as lab text, and goes through the same apply as `vpcemu
 * apply`; describe reads the model. The answer is printed to r, or,
 * when res is not NULL, handed over in it with AWS's error. */
void request_aws(const char *service, const struct peer *p,
		 const char *name, size_t argc, char **argv, struct reply *r,
		 struct request_aws_result *ares)
{
	struct ec2_clock clock = { .now = time(NULL) };
	struct labops_apply_result res = { 0 };
	struct ec2_state st = { 0 };
	struct diags err = { 0 };
	char *path = NULL, *text = NULL, *before = NULL;
	json_t *out = NULL, *st_before = NULL, *st_after = NULL;
	struct lab *lab = NULL;

	r->exit = CTL_EXIT_FAIL;
	path = state_ec2_path(name);
	if (!path) {
		fprintf(r->err, "vpcemu %s: out of memory\n", service);
		goto out;
	}
	if (labops_running_lab(name, &lab, applied_of(name), &err)) {
		fprintf(r->err, "vpcemu %s: %s\n", service,
			diag_first_message(&err));
		diags_free(&err);
		goto out;
	}
	op_ec2_load(name, path, &st);
	/* What the clock alone changes (peerings recorded, expired) is no
	 * requester's: done before the lab is looked at as it was. */
	if (ec2_tick(lab, &st, &clock) >= 0) {
		before = print_lab(lab);
		st_before = ec2_state_to_json(&st);
	}
	if (!before || !st_before) {
		fprintf(r->err, "vpcemu %s: out of memory\n", service);
		goto out;
	}
	if (op_ec2_call(service, lab, &st, &clock, argc, argv, &out, r,
			ares))
		goto out;

	/* Persist and apply only what changed (describe-* and failed
	 * transitions change nothing: apply then says so). */
	text = print_lab(lab);
	st_after = text ? ec2_state_to_json(&st) : NULL;
	if (!st_after) {
		fprintf(r->err, "vpcemu %s: lab %s cannot be written back as "
			"a lab file: %s\n", service, name, strerror(errno));
		goto out;
	}
	/* Only a change makes its requester the owner: a member's (or the
	 * API's) describe must not hand root's lab, and the user data of its
	 * next instances, to the member; nor root's describe a member's lab
	 * to root. */
	if ((strcmp(before, text) || !json_equal(st_before, st_after)) &&
	    own(p, name, true, r))
		goto out;
	svc_lab_prune(R.svc, lab);
	if (labops_apply(lab, text, applied_of(name), &res, &err)) {
		fprintf(r->err, "vpcemu %s: %s\n", service,
			diag_first_message(&err));
		dlog(LOG_ERR, name, "%s: apply failed: %s", argv[0],
		     diag_first_message(&err));
		diags_free(&err);
		goto out;
	}
	op_ec2_save(name, path, &st);
	if (res.nops)
		dlog(LOG_INFO, name, "%s: %zu operation%s in %zu namespace%s",
		     argv[0], res.nops, res.nops == 1 ? "" : "s",
		     res.ntouched, res.ntouched == 1 ? "" : "s");
	if (ares) {
		ares->out = out;
		out = NULL;
	} else {
		print_answer(r->out, out);
	}
	json_object_set_new(r->result, "lab", json_string(name));
	json_object_set_new(r->result, "operations", json_integer(res.nops));
	r->exit = CTL_EXIT_OK;
	if (res.changed)
		adopt(name);
out:
	labops_apply_result_free(&res);
	json_decref(out);
	json_decref(st_before);
	json_decref(st_after);
	ec2_state_free(&st);
	lab_free(lab);
	free(before);
	free(text);
	free(path);
}

/* `vpcemu SERVICE [--lab LAB] COMMAND ...`: the words come in args. */
static void op_aws(const char *service, const struct peer *p, json_t *args,
		   struct reply *r)
{
	json_t *jargv = json_object_get(args, "argv");
	size_t argc = json_array_size(jargv), i;
	char **argv, *name;

	r->exit = CTL_EXIT_FAIL;
	name = ec2_lab_name(service, args, r);
	if (!name)
		return;
	argv = calloc(argc + 1, sizeof(*argv));
	if (!argv) {
		fprintf(r->err, "vpcemu %s: out of memory\n", service);
		free(name);
		return;
	}
	for (i = 0; i < argc; i++)
		argv[i] = (char *)json_string_value(json_array_get(jargv, i));
	request_aws(service, p, name, argc, argv, r, NULL);
	free(argv);
	free(name);
}

static void op_ec2(const struct peer *p, json_t *args, struct reply *r)
{
	op_aws("ec2", p, args, r);
}

static void op_elbv2(const struct peer *p, json_t *args, struct reply *r)
{
	op_aws("elbv2", p, args, r);
}

static void op_iam(const struct peer *p, json_t *args, struct reply *r)
{
	op_aws("iam", p, args, r);
}

/* A running lab as lab text, in result "text": the model describe and
 * the ec2 commands see (peering expiries applied), for `vpcemu diagram
 * LAB` to draw. Reads only: an expiry noticed here is persisted by the
 * next request that changes the lab, as after a describe. */
static void op_show(const struct peer *p, json_t *args, struct reply *r)
{
	struct ec2_clock clock = { .now = time(NULL) };
	struct ec2_state st = { 0 };
	struct diags err = { 0 };
	char *name, *path = NULL, *text = NULL;
	struct lab *lab = NULL;

	r->exit = CTL_EXIT_FAIL;
	name = ec2_lab_name("diagram", args, r);
	if (!name)
		return;
	if (labops_running_lab(name, &lab, NULL, &err)) {
		fprintf(r->err, "vpcemu diagram: %s\n",
			diag_first_message(&err));
		diags_free(&err);
		goto out;
	}
	path = state_ec2_path(name);
	if (path)
		op_ec2_load(name, path, &st);
	if (!path || ec2_tick(lab, &st, &clock) < 0)
		errno = ENOMEM;
	else
		text = print_lab(lab);
	if (!text) {
		fprintf(r->err, "vpcemu diagram: lab %s: %s\n", name,
			strerror(errno));
		goto out;
	}
	json_object_set_new(r->result, "lab", json_string(name));
	json_object_set_new(r->result, "text", json_string(text));
	r->exit = CTL_EXIT_OK;
out:
	ec2_state_free(&st);
	lab_free(lab);
	free(text);
	free(path);
	free(name);
}

/* The cost counters of every router of lab (nftgen.h) into *v, and the
 * hours since the oldest router namespace was made (its nsfs inode's
 * time), a started hour counting whole as AWS bills them. Returns 0 or
 * -errno, with what failed on r->err. */
static int cost_read(const struct lab *lab, struct cost_count **v,
		     size_t *n, double *ret_hours, struct reply *r)
{
	time_t now = time(NULL), oldest = now;
	size_t cap = 0, i;
	int rc = 0;

	for (i = 0; !rc && i < lab->nvpcs; i++) {
		char *ns_name = plan_router_netns(lab, lab->vpcs[i]);
		char *json = NULL, *err = NULL;
		struct nsh *ns = NULL;
		struct stat st;

		rc = ns_name ? netns_open(ns_name, &ns) : -ENOMEM;
		if (!rc && !fstat(nsh_fd(ns), &st) && st.st_mtime < oldest)
			oldest = st.st_mtime;
		if (!rc)
			rc = nftk_list(ns, "list set inet vpcemu cost", &json,
				       &err);
		if (!rc)
			rc = cost_counts_parse(json, lab->vpcs[i], v, n, &cap);
		if (rc)
			fprintf(r->err, "vpcemu cost: router %s: %s\n",
				ns_name ? ns_name : lab->vpcs[i]->r.name,
				err ? err : strerror(-rc));
		nsh_close(ns);
		free(json);
		free(err);
		free(ns_name);
	}
	*ret_hours = (double)((now - oldest) / 3600 + 1);
	return rc;
}

/* The data-transfer bill of a running lab (cost.h) as data in result and,
 * on stdout, as text or (arg json) that data. Reads only. */
static void op_cost(const struct peer *p, json_t *args, struct reply *r)
{
	struct cost_prices prices = { 0 };
	struct cost_count *counts = NULL;
	struct cost_bill bill = { 0 };
	struct diags err = { 0 };
	struct lab *lab = NULL;
	char *name, *text = NULL;
	json_t *data = NULL;
	unsigned line;
	size_t n = 0;
	double hours;

	r->exit = CTL_EXIT_FAIL;
	name = ec2_lab_name("cost", args, r);
	if (!name)
		return;
	if (labops_running_lab(name, &lab, NULL, &err)) {
		fprintf(r->err, "vpcemu cost: %s\n", diag_first_message(&err));
		diags_free(&err);
		goto out;
	}
	if (cost_prices_parse(cost_prices_tsv, &prices, &line)) {
		fprintf(r->err, "vpcemu cost: built-in data/prices.tsv, line "
			"%u: not a price\n", line);
		goto out;
	}
	if (cost_read(lab, &counts, &n, &hours, r) < 0)
		goto out;
	if (cost_bill(lab, &prices, counts, n, hours, &bill) < 0 ||
	    !(text = cost_table(&bill, &prices)) ||
	    !(data = cost_json(&bill, &prices))) {
		fprintf(r->err, "vpcemu cost: out of memory\n");
		goto out;
	}
	json_object_set_new(data, "lab", json_string(name));
	json_object_update(r->result, data);
	if (json_is_true(json_object_get(args, "json"))) {
		json_dumpf(data, r->out, JSON_INDENT(2));
		fputc('\n', r->out);
	} else {
		fprintf(r->out, "lab %s\n%s", name, text);
	}
	r->exit = CTL_EXIT_OK;
out:
	json_decref(data);
	cost_bill_free(&bill);
	cost_prices_free(&prices);
	free(counts);
	free(text);
	lab_free(lab);
	free(name);
}

static void op_down(const struct peer *p, json_t *args, struct reply *r)
{
	const char *file = arg_str(args, "file"), *name = arg_str(args, "name");
	bool color = json_is_true(json_object_get(args, "color"));
	struct diags err = { 0 };
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
		peer_load_lab(p, file, arg_str(args, "as"), name, &d, &lab,
			      r->err);
		if (!lab) {
			diag_print(&d, r->err, color);
			goto out;
		}
		name = lab->name;
	}
	dlog(LOG_INFO, name, "down%s%s (uid %u)", file ? " from " : "",
	     file ? file : "", (unsigned)p->cred.uid);
	/* Service sockets pin the namespaces: they go first. */
	ssmreq_cancel_lab(name);
	svc_lab_drop(R.svc, name);
	applied_drop(name);
	lab_progress_set(progress_to_client, r);
	e = labops_down(name, d.nerrors ? NULL : lab, &found, &err);
	lab_progress_set(NULL, NULL);
	if (e) {
		fprintf(r->err, "vpcemu down: %s\n", diag_first_message(&err));
		dlog(LOG_ERR, name, "down failed: %s",
		     diag_first_message(&err));
		diags_free(&err);
		goto out;
	}
	r->exit = CTL_EXIT_OK;
	fprintf(r->out, found ? "lab %s is down (%.2f s)\n"
			      : "lab %s is not up: nothing to do\n",
		name, now_s() - t0);
	json_object_set_new(r->result, "lab", json_string(name));
	json_object_set_new(r->result, "found", json_boolean(found));
	json_object_set_new(r->result, "seconds", json_real(now_s() - t0));
	dlog(LOG_INFO, name, "down: %s in %.2f s",
	     found ? "removed" : "was not up", now_s() - t0);
out:
	lab_free(lab);
	diags_free(&d);
}


/* Labs with more instances are summarised by subnet unless asked. */
#define STATUS_LIST_MAX 100

static bool netns_present(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return access(path, F_OK) == 0;
}

/* The status to show: "up" only while every namespace is there; an up
 * lab with some gone (removed by hand, a down that failed) is "degraded",
 * with the missing ones in *ret_missing (a JSON array, caller's) and, for
 * people, in miss (the first few, comma-separated). */
static const char *status_shown(const struct lab_state *s, size_t *ret_present,
				json_t **ret_missing, char *miss, size_t len)
{
	size_t j, present = 0, at = 0;
	json_t *missing = json_array();

	miss[0] = '\0';
	for (j = 0; j < s->nnetns; j++) {
		if (netns_present(s->netns[j])) {
			present++;
			continue;
		}
		json_array_append_new(missing, json_string(s->netns[j]));
		if (at < len)
			at += (size_t)snprintf(miss + at, len - at, "%s%s",
					       at ? ", " : "", s->netns[j]);
	}
	*ret_present = present;
	*ret_missing = missing;
	if (present < s->nnetns && !strcmp(s->status, "up"))
		return "degraded";
	return s->status;
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

/* Instances of one subnet, for the summary of a big lab. */
struct status_group {
	const char *vpc, *subnet;
	size_t n, running;
};

/* One line per subnet (VPC, subnet, instances, running), in the state
 * file's order, in place of the instance list; in result "subnets". */
static void status_summary(const struct lab_state *s, struct reply *r)
{
	struct status_group *g = NULL, *e;
	size_t ng = 0, cap = 0, j, k, running = 0, nvpcs = 0;
	json_t *subnets = json_array();

	for (j = 0; j < s->ninstances; j++) {
		const struct state_instance *in = &s->instances[j];

		for (k = 0; k < ng; k++)
			if (!strcmp(g[k].vpc, in->vpc) &&
			    !strcmp(g[k].subnet, in->subnet))
				break;
		if (k == ng) {
			for (k = 0; k < ng && strcmp(g[k].vpc, in->vpc); k++)
				;
			nvpcs += k == ng;
			e = VEC_PUSH(g, ng, cap);
			if (!e)
				break;
			e->vpc = in->vpc;
			e->subnet = in->subnet;
		} else {
			e = &g[k];
		}
		e->n++;
		if (netns_present(in->netns)) {
			e->running++;
			running++;
		}
	}
	fprintf(r->out, "%-24s %-24s %9s %9s\n", "VPC", "SUBNET", "INSTANCES",
		"RUNNING");
	for (k = 0; k < ng; k++) {
		fprintf(r->out, "%-24s %-24s %9zu %9zu\n", g[k].vpc,
			g[k].subnet, g[k].n, g[k].running);
		json_array_append_new(subnets,
			json_pack("{s:s, s:s, s:I, s:I}", "vpc", g[k].vpc,
				  "subnet", g[k].subnet, "instances",
				  (json_int_t)g[k].n, "running",
				  (json_int_t)g[k].running));
	}
	fprintf(r->out, "\n%zu instances in %zu VPC%s and %zu subnet%s, %zu "
		"running (vpcemu status %s --instances lists them)\n",
		s->ninstances, nvpcs, nvpcs == 1 ? "" : "s", ng,
		ng == 1 ? "" : "s", running, s->lab);
	json_object_set_new(r->result, "subnets", subnets);
	free(g);
}

static void status_lab(const char *name, bool list, struct reply *r)
{
	json_t *insts = json_array(), *missing;
	struct lab_state *s;
	const char *shown;
	char ip[16], miss[512];
	size_t j, present;
	int e;

	e = state_load(name, &s);
	if (e) {
		fprintf(r->err, "vpcemu status: lab %s: %s\n", name,
			e == -ENOENT ? "not up" : strerror(-e));
		r->exit = CTL_EXIT_FAIL;
		json_decref(insts);
		return;
	}
	shown = status_shown(s, &present, &missing, miss, sizeof(miss));
	if (strcmp(shown, s->status))
		fprintf(r->out, "lab %s (%s: %zu of %zu namespaces missing: %s;"
			" vpcemu up repairs it) from %s\n\n", s->lab, shown,
			s->nnetns - present, s->nnetns, miss, s->file);
	else
		fprintf(r->out, "lab %s (%s) from %s\n\n", s->lab, shown,
			s->file);
	list = list || s->ninstances <= STATUS_LIST_MAX;
	if (list)
		fprintf(r->out, "%-24s %-21s %-15s %-12s %-28s %s\n",
			"INSTANCE", "ID", "IP", "VPC", "NAMESPACE", "STATE");
	else
		status_summary(s, r);
	for (j = 0; list && j < s->ninstances; j++) {
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
	status_user_data(s, list ? insts : NULL, r);
	json_object_set_new(r->result, "lab", json_string(s->lab));
	json_object_set_new(r->result, "status", json_string(shown));
	json_object_set_new(r->result, "missing", missing);
	json_object_set_new(r->result, "file", json_string(s->file));
	if (list)
		json_object_set_new(r->result, "instances", insts);
	else
		json_decref(insts);
	state_free(s);
}

static void op_status(const struct peer *p, json_t *args, struct reply *r)
{
	const char *lab = arg_str(args, "lab");
	json_t *labs;
	char **names = NULL;
	size_t n = 0, i;
	int e;

	if (lab) {
		status_lab(lab, json_is_true(json_object_get(args,
							      "instances")),
			   r);
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
		const char *shown;
		json_t *missing;
		size_t present;
		char miss[512];

		if (state_load(names[i], &s))
			continue;
		shown = status_shown(s, &present, &missing, miss,
				     sizeof(miss));
		fprintf(r->out, "%-24s %-9s %4zu/%-6zu %s\n", s->lab, shown,
			present, s->nnetns, s->file);
		if (strcmp(shown, s->status))
			fprintf(r->out, "  missing: %s (vpcemu up repairs it)\n",
				miss);
		json_array_append_new(labs,
			json_pack("{s:s, s:s, s:s, s:I, s:I, s:o}", "lab",
				  s->lab, "status", shown, "file", s->file,
				  "namespaces", (json_int_t)s->nnetns,
				  "present", (json_int_t)present,
				  "missing", missing));
		state_free(s);
	}
	state_names_free(names, n);
	json_object_set_new(r->result, "labs", labs);
}

void request_ssm(json_t *args, struct reply *r)
{
	ssmreq_run(R.el, R.svc, args, r);
}

static void op_ssm(const struct peer *p, json_t *args, struct reply *r)
{
	request_ssm(args, r);
}

static void op_exec(const struct peer *p, json_t *args, struct reply *r)
{
	execreq_run(R.el, p, args, r);
}

const struct ctlsrv_op request_ops[] = {
	{ "ping", op_ping },
	{ "up", op_up },
	{ "up-empty", op_up_empty },
	{ "apply", op_apply },
	{ "down", op_down },
	{ "status", op_status },
	{ "show", op_show },
	{ "cost", op_cost },
	{ "ec2", op_ec2 },
	{ "elbv2", op_elbv2 },
	{ "iam", op_iam },
	{ "ssm", op_ssm },
	{ "exec", op_exec },
};

const size_t request_nops = sizeof(request_ops) / sizeof(request_ops[0]);

int request_start(struct evloop *el)
{
	R.el = el;
	R.svc = svc_new(el);
	return R.svc ? 0 : -ENOMEM;
}

void request_adopt_all(void)
{
	svc_set_log(R.svc, svc_log);
	adopt_all();
}

void request_stop(void)
{
	svc_free(R.svc);
	R.svc = NULL;
	applied_drop(NULL);
}
