/* cli.c - the vpcemu command: a table of subcommands, each parsing its own
 * options and calling labops/probe/nsexec. The only place (with daemon.c)
 * that prints or exits.
 *
 * Exit status: 0 success; 1 the lab file has errors, an expectation failed,
 * or the kernel refused something; 2 usage error; exec: the command's own.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vpcemu/analyze.h"
#include "vpcemu/ctl.h"
#include "vpcemu/describe.h"
#include "vpcemu/diagram.h"
#include "vpcemu/evloop.h"
#include "vpcemu/dns.h"
#include "vpcemu/ec2.h"
#include "vpcemu/elbv2.h"
#include "vpcemu/execcli.h"
#include "vpcemu/iam.h"
#include "vpcemu/flowtail.h"
#include "vpcemu/load.h"
#include "vpcemu/model.h"
#include "vpcemu/restype.h"
#include "vpcemu/nsexec.h"
#include "vpcemu/probe.h"
#include "vpcemu/procs.h"
#include "vpcemu/state.h"
#include "vpcemu/util.h"

#define EXIT_USAGE 2

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
	const char *help;
};

static const struct cmd *find_cmd(const char *name);

static int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_error(const char *cmd, const char *fmt, ...)
{
	const struct cmd *c = find_cmd(cmd);
	va_list ap;

	fprintf(stderr, "vpcemu %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: vpcemu %s\n", c ? c->usage : cmd);
	return EXIT_USAGE;
}

static void print_help(const struct cmd *c)
{
	printf("usage: vpcemu %s\n\n%s\n", c->usage, c->help);
}

static bool want_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

/* `vpcemu ec2 CMD --help` (svc "ec2", and the same for elbv2): CMD's
 * own text, when it has one. */
static bool service_help(int argc, char **argv, const char *svc,
			 bool (*is_command)(const char *),
			 const char *(*usage)(const char *))
{
	int i;

	for (i = 1; i < argc && !is_command(argv[i]); i++)
		;
	if (i == argc || !usage(argv[i]))
		return false;
	printf("usage: vpcemu %s %s", svc, usage(argv[i]));
	return true;
}

static bool need_root(const char *cmd)
{
	if (geteuid() == 0)
		return true;
	fprintf(stderr, "vpcemu %s: needs root to change network namespaces "
		"(try: sudo vpcemu %s ...)\n", cmd, cmd);
	return false;
}

/* Loads FILE, prints its diagnostics; returns the lab or NULL (exit 1). */
static struct lab *load_lab(const char *file, const char *name)
{
	struct diags d = { 0 };
	struct lab *lab = NULL;
	int r;

	r = load_lab_file(file, NULL, name, &d, &lab);
	diag_print(&d, stderr, isatty(STDERR_FILENO));
	if (r) {
		if (r == -ENOMEM)
			fprintf(stderr, "vpcemu: out of memory\n");
		else
			fprintf(stderr, "%s: %zu error%s, nothing was created\n",
				file, d.nerrors, d.nerrors == 1 ? "" : "s");
		lab_free(lab);
		lab = NULL;
	}
	diags_free(&d);
	return lab;
}

/* ---- validate ---------------------------------------------------------- */

/* One line of details per resource, shared by the table and JSON. */
static char *details(const struct lab *lab, const struct res *r)
{
	struct strbuf b = { 0 };

	res_types[r->kind]->details(&b, lab, r);
	return sb_take(&b);
}

/* Every resource in a stable order: by kind, then file order. */
static void for_each_res(const struct lab *lab,
			 void (*fn)(const struct lab *, const struct res *,
				    void *),
			 void *arg)
{
	size_t k, i;

	for (k = 0; k < RES__COUNT; k++)
		for (i = 0; i < lab->res[k].n; i++)
			fn(lab, lab->res[k].v[i], arg);
}

static void table_row(const struct lab *lab, const struct res *r, void *arg)
{
	char *d = details(lab, r);

	(void)arg;
	printf("%-15s %-30s %-27s %s\n", res_kind_name(r->kind), r->name,
	       r->id, d ? d : "");
	free(d);
}

static void json_row(const struct lab *lab, const struct res *r, void *arg)
{
	char *d = details(lab, r);

	json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:b, s:s}",
					     "type", res_kind_name(r->kind),
					     "name", r->name, "id", r->id,
					     "implicit", r->implicit,
					     "details", d ? d : ""));
	free(d);
}

static int cmd_validate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ 0 },
	};
	const char *name = NULL, *output = "table";
	struct lab *lab;
	int c;

	while ((c = getopt_long(argc, argv, "n:o:", opts, NULL)) != -1) {
		if (c == 'n')
			name = optarg;
		else if (c == 'o')
			output = optarg;
		else
			return usage_error("validate", "bad option");
	}
	if (optind != argc - 1)
		return usage_error("validate", "expects one lab file");
	if (strcmp(output, "table") && strcmp(output, "json"))
		return usage_error("validate", "--output is table or json");
	lab = load_lab(argv[optind], name);
	if (!lab)
		return 1;
	if (!strcmp(output, "json")) {
		json_t *res = json_array();
		json_t *root = json_pack("{s:s, s:s, s:s, s:o}", "lab",
					 lab->name, "region", lab->region,
					 "account", lab->account, "resources",
					 res);

		for_each_res(lab, json_row, res);
		json_dumpf(root, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(root);
	} else {
		printf("lab %s  region %s  account %s\n\n", lab->name,
		       lab->region, lab->account);
		printf("%-15s %-30s %-27s %s\n", "TYPE", "NAME", "ID",
		       "DETAILS");
		for_each_res(lab, table_row, NULL);
		if (lab->nexpects)
			printf("\n%zu expect line%s\n", lab->nexpects,
			       lab->nexpects == 1 ? "" : "s");
	}
	lab_free(lab);
	return 0;
}

/* ---- up / down --------------------------------------------------------- */

/* The progress line of a long up, apply or down: stage, count and rate,
 * redrawn in place on stderr. */
struct progress_line {
	char stage[32];
	double t0;		/* when the stage was first told */
	size_t done0;		/* and how far it was then */
	bool shown;
};

static void progress_show(const char *stage, size_t done, size_t total,
			  void *data)
{
	struct progress_line *pl = data;
	double now = now_s(), dt;

	if (strcmp(stage, pl->stage)) {
		snprintf(pl->stage, sizeof(pl->stage), "%s", stage);
		pl->t0 = now;
		pl->done0 = done;
	}
	dt = now - pl->t0;
	/* \033[K: what a longer line left stays no more. */
	fprintf(stderr, "\r\033[K%s %zu/%zu", stage, done, total);
	if (dt >= 0.2 && done > pl->done0)
		fprintf(stderr, " (%.0f/s)", (double)(done - pl->done0) / dt);
	fflush(stderr);
	pl->shown = true;
}

/* Whether to ask for progress: on a terminal, or when a test says so. */
static bool progress_wanted(void)
{
	const char *force = getenv("VPCEMU_PROGRESS");

	return isatty(STDERR_FILENO) || (force && !strcmp(force, "1"));
}

/* Says why talking to vpcemud failed with r (ctl_call's errors). */
static void call_error(const char *cmd, int r)
{
	if (r == -EACCES)
		fprintf(stderr, "vpcemu %s: %s: permission denied (needs root, "
			"or the group vpcemud was started with --group)\n",
			cmd, ctl_socket_path());
	else if (r == -ENOENT || r == -ECONNREFUSED)
		fprintf(stderr, "vpcemu %s: no vpcemud answers on %s\n", cmd,
			ctl_socket_path());
	else if (r == -ECHILD)
		fprintf(stderr, "vpcemu %s: vpcemud could not start\n", cmd);
	else if (r)
		fprintf(stderr, "vpcemu %s: vpcemud at %s: %s\n", cmd,
			ctl_socket_path(), ctl_strerror(r));
}

/* Sends op to vpcemud (args consumed; starting it when none runs and
 * autostart says so), relays the reply's stdout and stderr (unless quiet)
 * and returns the exit status it carries. up, apply and down ask for
 * progress when progress_wanted(). */
static int daemon_call(const char *cmd, const char *op, json_t *args,
		       bool autostart, bool quiet)
{
	struct progress_line pl = { .shown = false };
	bool watch = progress_wanted() && (!strcmp(op, "up") ||
					   !strcmp(op, "apply") ||
					   !strcmp(op, "down"));
	const char *out, *err;
	json_t *rep = NULL;
	int r, code = 1;

	if (args && watch)
		json_object_set_new(args, "progress", json_true());
	r = args ? ctl_call_progress(op, args, autostart,
				     watch ? progress_show : NULL, &pl, &rep)
		 : -ENOMEM;
	json_decref(args);
	if (pl.shown)
		fputs("\r\033[K", stderr);
	if (r) {
		call_error(cmd, r);
		return 1;
	}
	ctl_reply_parse(rep, &code, &out, &err, NULL);
	if (!quiet || code)
		fputs(out, stdout);
	fputs(err, stderr);
	json_decref(rep);
	return code;
}

/* The daemon loads FILE itself, by absolute path, and checks it (once: a
 * 1000-instance lab takes milliseconds to check); its diagnostics name the
 * file as the user wrote it ("as"). */
static json_t *file_args(const char *cmd, const char *file, const char *name)
{
	char path[PATH_MAX];
	json_t *args;

	if (!realpath(file, path)) {
		fprintf(stderr, "vpcemu %s: %s: %s\n", cmd, file,
			strerror(errno));
		return NULL;
	}
	args = json_pack("{s:s, s:s, s:b}", "file", path, "as", file, "color",
			 isatty(STDERR_FILENO));
	if (args && name)
		json_object_set_new(args, "name", json_string(name));
	return args;
}

/* up and apply: the same arguments, the same path through the daemon. */
static int cmd_file_op(const char *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ 0 },
	};
	const char *name = NULL, *mem;
	struct lab *lab;
	json_t *args;
	int c;

	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (c == 'n')
			name = optarg;
		else
			return usage_error(cmd, "bad option");
	}
	if (optind != argc - 1)
		return usage_error(cmd, "expects one lab file");
	/* Who cannot ask vpcemud still learns what is wrong with the file
	 * first, then why the daemon does not answer. */
	if (access(ctl_socket_path(), W_OK) < 0 && geteuid() != 0) {
		lab = load_lab(argv[optind], name);
		if (!lab)
			return 1;
		lab_free(lab);
	}
	args = file_args(cmd, argv[optind], name);
	if (!args)
		return 1;
	/* Tests make a lab too big for "this machine" (request.c). */
	mem = getenv("VPCEMU_MEM_AVAILABLE_KIB");
	if (mem && *mem && !strcmp(cmd, "up"))
		json_object_set_new(args, "mem_available_kib",
				    json_string(mem));
	return daemon_call(cmd, cmd, args, true, false);
}

/* up --empty NAME [--region REGION]: a lab with no resource, to build
 * with ec2 commands; vpcemud makes its text. */
static int up_empty(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "empty", no_argument, NULL, 'e' },
		{ "region", required_argument, NULL, 'r' },
		{ 0 },
	};
	const char *region = NULL;
	json_t *args;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "er:", opts, NULL)) != -1) {
		if (c == 'r')
			region = optarg;
		else if (c != 'e')
			return usage_error("up", "bad option");
	}
	if (optind != argc - 1)
		return usage_error("up", "--empty expects one lab name");
	if (!ctl_lab_name_ok(argv[optind]))
		return usage_error("up", "'%s' is not a lab name",
				   argv[optind]);
	args = json_pack("{s:s}", "name", argv[optind]);
	if (args && region)
		json_object_set_new(args, "region", json_string(region));
	return daemon_call("up", "up-empty", args, true, false);
}

static int cmd_up(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--empty"))
			return up_empty(argc, argv);
	return cmd_file_op("up", argc, argv);
}

static int cmd_apply(int argc, char **argv)
{
	return cmd_file_op("apply", argc, argv);
}

/* Whether name has a state file: up, half-built or being applied. */
static bool lab_is_up(const char *name)
{
	struct state_stamp st;
	bool next;

	return state_stamp(name, &st, &next) == 0;
}

/* Whether a LAB|FILE argument is the file: a running lab's name wins over
 * a file that happens to be called the same in the current directory. */
static bool names_file(const char *arg)
{
	return access(arg, F_OK) == 0 &&
	       !(ctl_lab_name_ok(arg) && lab_is_up(arg));
}

static int cmd_down(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ 0 },
	};
	const char *name = NULL, *arg;
	json_t *args;
	int c;

	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (c == 'n')
			name = optarg;
		else
			return usage_error("down", "bad option");
	}
	if (optind != argc - 1)
		return usage_error("down", "expects a lab name or a lab file");
	arg = argv[optind];
	if (names_file(arg)) {
		/* down FILE: the file names the lab, and its plan names the
		 * namespaces even when the state file is gone. */
		args = file_args("down", arg, name);
		if (!args)
			return 1;
		return daemon_call("down", "down", args, true, false);
	}
	if (name)
		return usage_error("down", "--name goes with a lab file");
	if (!ctl_lab_name_ok(arg)) {
		fprintf(stderr, "vpcemu down: %s: no such lab or file\n", arg);
		return 1;
	}
	/* Autostart: a lab left behind without a daemon can still go. */
	return daemon_call("down", "down", json_pack("{s:s}", "name", arg),
			   true, false);
}

static int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "instances", no_argument, NULL, 'i' },
		{ 0 },
	};
	bool list = false;
	json_t *args;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'i')
			return usage_error("status", "bad option");
		list = true;
	}
	if (argc - optind > 1)
		return usage_error("status", "expects at most one lab name");
	if (list && optind == argc)
		return usage_error("status", "--instances goes with a lab name");
	if (optind < argc && !ctl_lab_name_ok(argv[optind])) {
		fprintf(stderr, "vpcemu status: lab %s: not up\n",
			argv[optind]);
		return 1;
	}
	args = optind < argc ? json_pack("{s:s}", "lab", argv[optind])
			     : json_object();
	if (args && list)
		json_object_set_new(args, "instances", json_true());
	return daemon_call("status", "status", args, true, false);
}

/* ---- ec2 / describe ------------------------------------------------- */

/* The AWS CLI's own paging options (not the API's): how many items in
 * all, how many a request, where to start (a NextToken printed after
 * --max-items). */
struct paging_opts {
	long max_items, page_size;
	const char *starting_token;
};

/* The request for argv on lab, with the API's page size and token when
 * not 0 / NULL (pg names them). NULL on ENOMEM. */
static json_t *aws_args(const char *lab, int argc, char **argv,
			const struct describe_paging *pg, long size,
			const char *token)
{
	json_t *args = json_object(), *jargv = json_array();
	char num[24];
	int i;

	if (!args || !jargv || json_object_set_new(args, "argv", jargv)) {
		json_decref(args);
		return NULL;
	}
	for (i = 0; i < argc; i++)
		json_array_append_new(jargv, json_string(argv[i]));
	if (size) {
		snprintf(num, sizeof(num), "%ld", size);
		json_array_append_new(jargv, json_string(pg->size_opt));
		json_array_append_new(jargv, json_string(num));
	}
	if (token) {
		json_array_append_new(jargv, json_string(pg->token_opt));
		json_array_append_new(jargv, json_string(token));
	}
	if (lab)
		json_object_set_new(args, "lab", json_string(lab));
	return args;
}

/* describe is vpcemu's own, carried by the ec2 request. */
static const char *aws_op(const char *cmd)
{
	return strcmp(cmd, "describe") ? cmd : "ec2";
}

/* One request of service cmd (args consumed); *ret_out its answer (NULL
 * when it printed nothing). Returns the exit status, after saying why
 * when not 0. */
static int aws_request(const char *cmd, json_t *args, json_t **ret_out)
{
	const char *out, *err;
	json_t *rep = NULL;
	int r, code = 1;

	*ret_out = NULL;
	r = args ? ctl_call(aws_op(cmd), args, true, &rep) : -ENOMEM;
	json_decref(args);
	if (r) {
		fprintf(stderr, "vpcemu %s: vpcemud at %s: %s\n", cmd,
			ctl_socket_path(), ctl_strerror(r));
		return 1;
	}
	ctl_reply_parse(rep, &code, &out, &err, NULL);
	fputs(err, stderr);
	if (!code && *out) {
		*ret_out = json_loads(out, 0, NULL);
		if (!*ret_out) {
			fprintf(stderr, "vpcemu %s: vpcemud's answer is not "
				"JSON\n", cmd);
			code = 1;
		}
	}
	json_decref(rep);
	return code;
}

/* The page size of the next request: --page-size, but no more than
 * --max-items still wants, within what the API takes (0: the service's
 * choice). */
static long next_page_size(const struct paging_opts *po,
			   const struct describe_paging *pg, size_t got)
{
	long size = po->page_size;

	if (po->max_items && (!size || size > po->max_items - (long)got))
		size = po->max_items - (long)got;
	return size && size < pg->min ? pg->min : size;
}

/* Every page of a describe, as the AWS CLI fetches them: requests of
 * next_page_size items until the last, or until po->max_items, whose
 * answer then ends with the NextToken to resume from
 * (--starting-token). Returns the exit status, with *ret_all the items
 * of all pages in one answer. */
static int aws_pages(const char *cmd, const char *lab, int argc, char **argv,
		     const struct paging_opts *po, json_t **ret_all)
{
	const struct describe_paging *pg = strcmp(cmd, "elbv2") ?
		&describe_paging_ec2 : &describe_paging_elbv2;
	char *token = po->starting_token ? strdup(po->starting_token) : NULL;
	json_t *all = NULL, *page, *items = NULL, *next;
	char resume[DESCRIBE_TOKEN_MAX];
	size_t from = 0, n;
	int code = 0;

	*ret_all = NULL;
	if (token && describe_token_offset(token, &from)) {
		fprintf(stderr, "vpcemu %s: --starting-token %s: not a "
			"NextToken vpcemu printed\n", cmd, token);
		free(token);
		return EXIT_USAGE;
	}
	for (;;) {
		n = json_array_size(items);
		code = aws_request(cmd, aws_args(lab, argc, argv, pg,
						 next_page_size(po, pg, n),
						 token), &page);
		free(token);
		token = NULL;
		if (code || !page)
			break;
		next = json_object_get(page, pg->next_key);
		if (json_is_string(next))
			token = strdup(json_string_value(next));
		json_object_del(page, pg->next_key);
		if (!all) {
			all = page;
			items = json_object_get(all, describe_paged_key(all));
		} else {
			code = json_array_extend(items, json_object_get(page,
				describe_paged_key(page))) ? 1 : 0;
			json_decref(page);
		}
		if (code || !items)
			break;
		n = (size_t)po->max_items;
		if (po->max_items && json_array_size(items) >= n) {
			if (json_array_size(items) > n || token) {
				describe_token(from + n, resume);
				json_object_set_new(all, "NextToken",
						    json_string(resume));
			}
			while (json_array_size(items) > n)
				json_array_remove(items, n);
			break;
		}
		if (!token)
			break;
	}
	free(token);
	if (code)
		json_decref(all);
	else
		*ret_all = all;
	return code;
}

/* Sends an AWS-style command line of service cmd ("ec2", "elbv2", or
 * "describe") to the daemon; prints its JSON, or a table when asked.
 * argv holds the command and its options only; po the AWS CLI's paging,
 * when any is set. */
static int ec2_call(const char *cmd, const char *lab, int argc, char **argv,
		    bool table, const struct paging_opts *po)
{
	json_t *all = NULL;
	char *text;
	int code;

	if (!table && !po->max_items && !po->page_size && !po->starting_token)
		return daemon_call(cmd, aws_op(cmd),
				   aws_args(lab, argc, argv, NULL, 0, NULL),
				   true, false);
	code = aws_pages(cmd, lab, argc, argv, po, &all);
	if (code || !all)
		return code;
	text = table ? describe_table(all)
		     : json_dumps(all, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	if (text)
		printf("%s%s", text, table ? "" : "\n");
	else
		fprintf(stderr, "vpcemu %s: out of memory\n", cmd);
	free(text);
	json_decref(all);
	return text ? 0 : 1;
}

/* --lab LAB, --output FMT and, when po is given, the AWS CLI's paging
 * options may stand anywhere; the rest is the command line for the
 * daemon, in order. Returns the new argc, or -1 after a usage error. */
static int take_options(const char *cmd, int argc, char **argv,
			const char **lab, const char **output,
			struct paging_opts *po)
{
	long *num;
	char *end;
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		num = NULL;
		if (i + 1 < argc && !strcmp(argv[i], "--lab"))
			*lab = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--output"))
			*output = argv[++i];
		else if (po && i + 1 < argc &&
			 !strcmp(argv[i], "--starting-token"))
			po->starting_token = argv[++i];
		else if (po && !strcmp(argv[i], "--max-items"))
			num = &po->max_items;
		else if (po && !strcmp(argv[i], "--page-size"))
			num = &po->page_size;
		else
			argv[n++] = argv[i];
		if (!num)
			continue;
		end = NULL;
		errno = 0;
		if (i + 1 < argc)
			*num = strtol(argv[++i], &end, 10);
		if (!end || *end || errno || *num < 1) {
			usage_error(cmd, "%s takes a positive number",
				    argv[i - (end != NULL)]);
			return -1;
		}
	}
	return n;
}

/* `vpcemu SERVICE COMMAND ...` for the AWS CLI's services (ec2, elbv2),
 * whose commands is_command knows. */
static int aws_service(const char *service, bool (*is_command)(const char *),
		       int argc, char **argv)
{
	const char *lab = NULL, *output = "json";
	struct paging_opts po = { 0 };

	argc = take_options(service, argc - 1, argv + 1, &lab, &output, &po);
	if (argc < 0)
		return EXIT_USAGE;
	if (argc < 1 || !is_command(argv[1]))
		return usage_error(service, argc < 1 ? "expects a command"
					       : "unknown command");
	if (strcmp(output, "json") && strcmp(output, "table"))
		return usage_error(service, "--output is json or table");
	if (lab && !ctl_lab_name_ok(lab))
		return usage_error(service, "bad lab name");
	return ec2_call(service, lab, argc, argv + 1,
			!strcmp(output, "table"), &po);
}

static int cmd_ec2(int argc, char **argv)
{
	return aws_service("ec2", ec2_is_command, argc, argv);
}

static int cmd_elbv2(int argc, char **argv)
{
	return aws_service("elbv2", elbv2_is_command, argc, argv);
}

static int cmd_iam(int argc, char **argv)
{
	return aws_service("iam", iam_is_command, argc, argv);
}

static int cmd_describe(int argc, char **argv)
{
	const char *lab = NULL;
	const char *output = isatty(STDOUT_FILENO) ? "table" : "json";
	char *args[2] = { "describe", NULL };
	struct paging_opts po = { 0 };

	argc = take_options("describe", argc - 1, argv + 1, &lab, &output,
			    &po);
	if (argc < 0)
		return EXIT_USAGE;
	if (argc > 1)
		return usage_error("describe", "expects at most one type");
	if (strcmp(output, "json") && strcmp(output, "table"))
		return usage_error("describe", "--output is json or table");
	if (lab && !ctl_lab_name_ok(lab))
		return usage_error("describe", "bad lab name");
	args[1] = argc ? argv[1] : NULL;
	if (!argc && (po.max_items || po.page_size || po.starting_token))
		return usage_error("describe", "pages one TYPE at a time");
	return ec2_call("describe", lab, argc + 1, args,
			!strcmp(output, "table"), &po);
}

/* ---- cost -------------------------------------------------------------- */

static int cmd_cost(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ 0 },
	};
	const char *output = "table";
	json_t *args;
	int c;

	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (c != 'o')
			return usage_error("cost", "bad option");
		output = optarg;
	}
	if (strcmp(output, "table") && strcmp(output, "json"))
		return usage_error("cost", "--output is table or json");
	if (argc - optind > 1)
		return usage_error("cost", "expects at most one lab name");
	if (optind < argc && !ctl_lab_name_ok(argv[optind])) {
		fprintf(stderr, "vpcemu cost: lab %s: not up\n", argv[optind]);
		return 1;
	}
	args = json_pack("{s:b}", "json", !strcmp(output, "json"));
	if (args && optind < argc)
		json_object_set_new(args, "lab", json_string(argv[optind]));
	return daemon_call("cost", "cost", args, true, false);
}

/* ---- diagram ----------------------------------------------------------- */

/* A running lab's text as vpcemud keeps it (the model describe and ec2
 * work on), malloc'd, or NULL after saying why (cmd: who asks); name
 * NULL: the only lab up. */
static char *running_text(const char *cmd, const char *name)
{
	json_t *args = name ? json_pack("{s:s}", "lab", name) : json_object();
	json_t *rep = NULL, *result;
	const char *out, *err, *text;
	char *ret = NULL;
	int r, code = 1;

	r = args ? ctl_call("show", args, true, &rep) : -ENOMEM;
	json_decref(args);
	if (r) {
		fprintf(stderr, "vpcemu %s: vpcemud at %s: %s\n", cmd,
			ctl_socket_path(), ctl_strerror(r));
		return NULL;
	}
	ctl_reply_parse(rep, &code, &out, &err, &result);
	fputs(err, stderr);
	text = json_string_value(json_object_get(result, "text"));
	if (!code && text) {
		ret = strdup(text);
		if (!ret)
			fprintf(stderr, "vpcemu %s: out of memory\n", cmd);
	}
	json_decref(rep);
	return ret;
}

/* A running lab's model as vpcemud has it, or NULL after saying why
 * (cmd: who asks; name NULL: the only lab up). */
static struct lab *running_lab(const char *cmd, const char *name)
{
	char *text = running_text(cmd, name);
	struct diags d = { 0 };
	struct lab *lab = NULL;

	if (text && load_lab_text(name ? name : "vpcemud", text, strlen(text),
				  NULL, &d, &lab))
		diag_print(&d, stderr, isatty(STDERR_FILENO));
	diags_free(&d);
	free(text);
	return lab;
}

static int cmd_diagram(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ 0 },
	};
	const char *format = "svg", *output = NULL, *arg;
	struct lab *lab;
	char *dot;
	int c, r;

	while ((c = getopt_long(argc, argv, "f:o:", opts, NULL)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'o')
			output = optarg;
		else
			return usage_error("diagram", "bad option");
	}
	if (optind != argc - 1)
		return usage_error("diagram", "expects a lab file or name");
	if (strcmp(format, "svg") && strcmp(format, "png") &&
	    strcmp(format, "dot"))
		return usage_error("diagram", "--format is svg, png or dot");
	if (!output && !strcmp(format, "png") && isatty(STDOUT_FILENO))
		return usage_error("diagram", "a PNG goes to --output PATH "
				   "or a pipe, not a terminal");
	arg = argv[optind];
	if (!names_file(arg) && !(ctl_lab_name_ok(arg) && lab_is_up(arg))) {
		fprintf(stderr, "vpcemu diagram: %s: no such file or running "
			"lab\n", arg);
		return 1;
	}
	lab = names_file(arg) ? load_lab(arg, NULL) : running_lab("diagram", arg);
	if (!lab)
		return 1;
	dot = diagram_dot(lab);
	lab_free(lab);
	if (!dot) {
		fprintf(stderr, "vpcemu diagram: out of memory\n");
		return 1;
	}
	r = diagram_render(dot, format, output);
	free(dot);
	if (r == -ENOENT && strcmp(format, "dot"))
		fprintf(stderr, "vpcemu diagram: no dot program on PATH: "
			"install Graphviz (Debian: apt-get install graphviz), "
			"or use --format dot\n");
	else if (r == -EIO && strcmp(format, "dot"))
		fprintf(stderr, "vpcemu diagram: dot failed\n");
	else if (r)
		fprintf(stderr, "vpcemu diagram: %s: %s\n",
			output ? output : "stdout", strerror(-r));
	return r ? 1 : 0;
}

/* ---- export ------------------------------------------------------------ */

/* A running lab as a lab file: what vpcemud keeps (the model ec2 commands
 * changed), which validate passes and up builds again with the same IDs
 * (its lab line keeps the name; up --name gives a twin). */
static int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ 0 },
	};
	const char *output = NULL;
	char *text;
	int c, code = 0;
	FILE *f;

	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (c == 'o')
			output = optarg;
		else
			return usage_error("export", "bad option");
	}
	if (optind != argc - 1)
		return usage_error("export", "expects one lab name");
	if (!ctl_lab_name_ok(argv[optind]) || !lab_is_up(argv[optind])) {
		fprintf(stderr, "vpcemu export: lab %s: not up\n",
			argv[optind]);
		return 1;
	}
	text = running_text("export", argv[optind]);
	if (!text)
		return 1;
	f = output ? fopen(output, "w") : stdout;
	if (f && fputs(text, f) < 0)
		code = 1;
	if (f && output && fclose(f))
		code = 1;
	if (!f || code) {
		fprintf(stderr, "vpcemu export: %s: %s\n",
			output ? output : "stdout", strerror(errno));
		code = 1;
	}
	free(text);
	return code;
}

/* ---- exec through vpcemud ---------------------------------------------- */

extern char **environ;

/* The exec request, for a caller that cannot enter namespaces itself:
 * vpcemud runs argv in the machine with our identity and our descriptors
 * (execreq.h). At a terminal, the command gets a pseudo-terminal that we
 * relay (execcli.h); the other descriptors go as they are. Returns the
 * command's exit status, or 1 (said on stderr). */
static int daemon_exec(const char *cmd, const char *lab, const char *machine,
		       char *const argv[], const char *cwd)
{
	bool tty = isatty(STDIN_FILENO);
	int fds[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
	int master = -1, slave = -1, sock = -1, sig = 0, i, r, code = 1;
	const char *out, *err;
	json_t *args, *req = NULL, *rep = NULL;

	args = execcli_args(lab, machine, argv, environ, cwd, tty);
	req = args ? ctl_request_new("exec", args) : NULL;
	json_decref(args);
	if (!req) {
		fprintf(stderr, "vpcemu %s: out of memory, or too many "
			"arguments (at most 64)\n", cmd);
		return 1;
	}
	if (tty) {
		r = execcli_pty_open(STDIN_FILENO, &master, &slave);
		if (r) {
			fprintf(stderr, "vpcemu %s: a terminal for the "
				"session: %s\n", cmd, strerror(-r));
			goto out;
		}
		for (i = 0; i < 3; i++)
			if (isatty(fds[i]))
				fds[i] = slave;
	}
	sock = ctl_connect(ctl_socket_path());
	r = sock < 0 ? sock : ctl_send_fds(sock, req, fds, 3,
					   CTL_CALL_TIMEOUT_MS);
	/* The command holds the slave now: once it is gone, the master
	 * reads EOF. */
	if (slave >= 0)
		close(slave);
	if (!r && tty)
		r = execcli_relay(sock, master, &rep, &sig);
	else if (!r)
		r = ctl_recv(sock, &rep, -1);
	if (r == -EINTR && sig) {
		/* The daemon kills the command when we hang up. */
		code = 128 + sig;
		goto out;
	}
	if (!r && ctl_reply_parse(rep, &code, &out, &err, NULL))
		r = -EPROTO;
	if (r) {
		call_error(cmd, r);
		code = 1;
		goto out;
	}
	fputs(out, stdout);
	fputs(err, stderr);
out:
	if (sock >= 0)
		close(sock);
	if (master >= 0)
		close(master);
	json_decref(req);
	json_decref(rep);
	return code;
}

/* ---- ssm --------------------------------------------------------------- */

/* The session itself: a shell in the instance's namespace, run here for
 * root, by vpcemud as the caller for anyone else (the daemon first says
 * whether the agent is connected). On a terminal, an interactive sh with
 * Session Manager's prompt; otherwise sh reads the commands from stdin
 * and the session exits with their status. */
static int ssm_session(const char *lab, const char *netns,
		       const char *instance, const char *hostname)
{
	bool tty = isatty(STDIN_FILENO);
	char *sh_i[] = { "/bin/sh", "-i", NULL }, *sh_s[] = { "/bin/sh", "-s",
							     NULL };
	FILE *banner = tty ? stdout : stderr;
	struct nsexec_ctx ctx = { 0 };
	char session[64];
	int r, status;

	snprintf(session, sizeof(session), "vpcemu-%s", instance);
	fprintf(banner, "\nStarting session with SessionId: %s\n\n", session);
	fflush(NULL);
	/* What an SSM shell sees: ssm-user's prompt, from / . */
	setenv("PS1", "sh-5.2$ ", 1);
	if (geteuid() != 0) {
		status = daemon_exec("ssm", lab, instance, tty ? sh_i : sh_s,
				     "/");
		goto out;
	}
	if (chdir("/") < 0) {
	}
	/* The shell and what it starts belong to the instance: down and
	 * terminate-instances stop them (procs.h). Best effort: without a
	 * group, the scan of down still finds them. */
	ctx.cgroup_fd = procs_group_open(netns);
	ctx.hostname = hostname;
	r = nsexec_run_in(netns, &ctx, tty ? sh_i : sh_s, &status);
	if (ctx.cgroup_fd >= 0)
		close(ctx.cgroup_fd);
	if (r) {
		fprintf(stderr, "vpcemu ssm: namespace %s: %s\n", netns,
			strerror(-r));
		return 1;
	}
out:
	fprintf(banner, "\n\nExiting session with sessionId: %s.\n\n",
		session);
	return status;
}

static int cmd_ssm(int argc, char **argv)
{
	const char *lab = NULL, *output = "json", *out, *err;
	json_t *args, *jargv, *rep = NULL, *result = NULL;
	const char *netns, *instance;
	int i, r, code = 1;

	argc = take_options("ssm", argc - 1, argv + 1, &lab, &output, NULL);
	if (argc < 1 || (strcmp(argv[1], "start-session") &&
			 strcmp(argv[1], "describe-instance-information")))
		return usage_error("ssm", argc < 1 ? "expects a command"
					   : "unknown command");
	if (lab && !ctl_lab_name_ok(lab))
		return usage_error("ssm", "bad lab name");
	args = json_object();
	jargv = json_array();
	for (i = 1; args && jargv && i <= argc; i++)
		json_array_append_new(jargv, json_string(argv[i]));
	if (!args || !jargv ||
	    json_object_set_new(args, "argv", jargv) ||
	    (lab && json_object_set_new(args, "lab", json_string(lab)))) {
		json_decref(args);
		fprintf(stderr, "vpcemu ssm: out of memory\n");
		return 1;
	}
	if (strcmp(argv[1], "start-session"))
		return daemon_call("ssm", "ssm", args, true, false);
	r = ctl_call("ssm", args, true, &rep);
	json_decref(args);
	if (r) {
		fprintf(stderr, "vpcemu ssm: vpcemud at %s: %s\n",
			ctl_socket_path(), ctl_strerror(r));
		return 1;
	}
	ctl_reply_parse(rep, &code, &out, &err, &result);
	fputs(out, stdout);
	fputs(err, stderr);
	netns = json_string_value(json_object_get(result, "netns"));
	instance = json_string_value(json_object_get(result, "instance"));
	if (!code && netns && instance)
		code = ssm_session(lab, netns, instance, json_string_value(
				   json_object_get(result, "hostname")));
	json_decref(rep);
	return code;
}

/* ---- exec -------------------------------------------------------------- */

static int cmd_exec(int argc, char **argv)
{
	const char *lab = NULL, *instance;
	struct nsexec_ctx ctx = { 0 };
	char host[DNS_NAME_MAX];
	struct lab_state *s;
	size_t idx;
	int i = 1, r, status;

	if (i + 1 < argc && !strcmp(argv[i], "--lab")) {
		lab = argv[i + 1];
		i += 2;
	} else if (i < argc && !strncmp(argv[i], "--lab=", 6)) {
		lab = argv[i] + 6;
		i++;
	}
	if (i >= argc || argv[i][0] == '-')
		return usage_error("exec", "expects an instance");
	instance = argv[i++];
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc)
		return usage_error("exec", "expects a command after --");
	if (geteuid() != 0) {
		char cwd[PATH_MAX];

		fflush(NULL);
		return daemon_exec("exec", lab, instance, argv + i,
				   getcwd(cwd, sizeof(cwd)) ? cwd : NULL);
	}
	r = state_find_instance(lab, instance, &s, &idx);
	if (r) {
		state_find_instance_error(stderr, "exec", r, lab, instance);
		return 1;
	}
	fflush(NULL);
	/* In place, as `ip netns exec`: a signal for `vpcemu exec` is the
	 * command's, and its status is ours. Returns only on failure. */
	ctx.cgroup_fd = procs_group_open(s->instances[idx].netns);
	/* Labs up before the region was kept run on the host's name. */
	if (!state_instance_hostname(&s->instances[idx], host, sizeof(host)))
		ctx.hostname = host;
	r = nsexec_exec(s->instances[idx].netns, &ctx, argv + i, &status);
	if (r && status >= 0) {
		/* The namespace was entered; the command could not run. */
		fprintf(stderr, "vpcemu exec: %s: %s\n", argv[i],
			strerror(-r));
	} else if (r) {
		fprintf(stderr, "vpcemu exec: %s (namespace %s): %s%s\n",
			instance, s->instances[idx].netns, strerror(-r),
			r == -ENOENT ? "; is the lab half-built? "
				       "(vpcemu up again)" : "");
		status = 1;
	}
	state_free(s);
	return status;
}

/* ---- test -------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

/* How long `test` lets user data run before it probes. */
#define USER_DATA_WAIT_MS 60000u

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* The namespace that holds ip, where a listener can answer a probe to it:
 * an ENI's (private IPs), an instance's (its public IP: the gateway
 * translates it to the private one), an internet host's or an
 * on-premises host's; NULL when none
 * of the lab's does, and for the ENIs that pass what they get on (a load
 * balancer node, an endpoint to a service): their targets' own servers
 * must answer. */
static const char *netns_of_ip(const struct lab *lab, uint32_t ip)
{
	const struct res_list *hosts = &lab->res[RES_INTERNET_HOST];
	const struct res_list *onprem = &lab->res[RES_ONPREM_HOST];
	size_t i;

	if (!ip)	/* 0.0.0.0 is nobody's; public_ipv4 0 means none */
		return NULL;
	for (i = 0; i < lab->nenis; i++)
		if (lab->enis[i]->ip == ip)
			return lab->enis[i]->lb ||
					       (lab->enis[i]->endpoint &&
						lab->enis[i]->endpoint->svc)
				       ? NULL
				       : lab->enis[i]->netns;
	for (i = 0; i < lab->ninstances; i++)
		if (lab->instances[i]->public_ipv4 == ip)
			return lab->instances[i]->eni->netns;
	for (i = 0; i < hosts->n; i++)
		if (((const struct internet_host *)hosts->v[i])->ip == ip)
			return ((const struct internet_host *)hosts->v[i])->netns;
	for (i = 0; i < onprem->n; i++)
		if (((const struct onprem_host *)onprem->v[i])->ip == ip)
			return ((const struct onprem_host *)onprem->v[i])->netns;
	return NULL;
}

static void xml_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			fputc(*s, f);
	}
}

/* Whether name's user data, if it has some, is still running. */
static bool user_data_running(const char *lab, const char *name)
{
	char *path = state_userdata_path(lab, name, "status"), buf[16] = "";
	FILE *f = path ? fopen(path, "re") : NULL;

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	free(path);
	return !strncmp(buf, "running", 7);
}

/* Waits, up to cap_ms, until the user data of every instance and internet
 * host has ended: what it starts (a web server...) is part of what the
 * expect lines probe. */
static void wait_user_data(const struct lab *lab, unsigned cap_ms)
{
	const struct res_list *hosts = &lab->res[RES_INTERNET_HOST];
	struct timespec pause = { 0, 50 * 1000000L };
	unsigned waited = 0;
	size_t i;

	for (i = 0; i < lab->ninstances + hosts->n && !interrupted;) {
		const struct res *r = i < lab->ninstances
			? &lab->instances[i]->r
			: hosts->v[i - lab->ninstances];

		if (!user_data_running(lab->name, r->name) || waited >= cap_ms) {
			i++;
			continue;
		}
		if (!waited)
			printf("waiting for the user data of %s\n", r->name);
		nanosleep(&pause, NULL);
		waited += 50;
	}
}

#define TEST_VPN_SETTLE_MS 30000

/* Probes expect line i, prints PASS or FAIL and records what it got. */
static void test_expect(const struct lab *lab, size_t i, unsigned timeout_ms,
			bool *passed, char **got)
{
	const struct expect *e = &lab->expects[i];
	const char *dst_ns = e->dst ? e->dst_netns : netns_of_ip(lab, e->dst_ip);
	uint64_t until = lab->res[RES_VPN_CONNECTION].n
				 ? evloop_now_ms() + TEST_VPN_SETTLE_MS
				 : 0;
	struct analysis *a = NULL;
	bool reachable = false;
	const char *code;
	int r;

	r = probe_run(e->src_netns, dst_ns, e->dst_ip, &e->proto,
		      timeout_ms, &reachable);
	/* A line that wants an answer and got none asks once more: the
	 * first packet of a fresh lab resolves every hop's neighbours, and
	 * a busy machine can stretch that past the timeout. VPN tunnels
	 * come up, and BGP converges, after up returns: in a lab with VPN
	 * connections it asks until TEST_VPN_SETTLE_MS after the first. A
	 * blocked line is never retried into passing. */
	if (!r && !reachable && e->reachable)
		do
			r = probe_run(e->src_netns, dst_ns, e->dst_ip,
				      &e->proto, timeout_ms, &reachable);
		while (!r && !reachable && evloop_now_ms() < until);
	/* The model's verdict: its code is printed for every blocked
	 * line, and must be the line's REASON when it gives one. */
	if (analyze_expect(lab, e, &a))
		a = NULL;
	code = !a ? "?" : a->found ? "path found" : a->code;
	if (r && r != -ECONNREFUSED) {
		got[i] = str_printf("probe failed: %s", strerror(-r));
	} else {
		got[i] = str_printf("%s%s%s", r == -ECONNREFUSED ? "refused"
					  : reachable ? "reachable"
						      : "blocked",
				    e->reason ? ", analyze: " : "",
				    e->reason ? code : "");
		passed[i] = reachable == e->reachable &&
			    (!e->reason || !strcmp(e->reason, code));
	}
	printf("%s  %s", passed[i] ? "PASS" : "FAIL", e->text);
	if (!reachable || !e->reachable)
		printf("   [analyze: %s%s%s]", code,
		       a && a->blocker ? " at " : "",
		       a && a->blocker ? a->blocker->name : "");
	analysis_free(a);
	if (!passed[i])
		printf("   (got %s; %s:%u)", got[i] ? got[i] : "?", lab->file,
		       e->at.line);
	putchar('\n');
	fflush(stdout);
}

/* The results as a JUnit testsuite for CI; 0 or -1 (reported). */
static int test_junit(const char *path, const struct lab *lab,
		      const bool *passed, char *const *got, size_t npass,
		      double elapsed)
{
	FILE *f = fopen(path, "w");
	size_t i;

	if (!f) {
		fprintf(stderr, "vpcemu test: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuite name=\"");
	xml_escape(f, lab->name);
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" "
		"time=\"%.3f\">\n", lab->nexpects,
		lab->nexpects - npass, elapsed);
	for (i = 0; i < lab->nexpects; i++) {
		fprintf(f, "  <testcase classname=\"");
		xml_escape(f, lab->name);
		fprintf(f, "\" name=\"");
		xml_escape(f, lab->expects[i].text);
		if (passed[i]) {
			fprintf(f, "\"/>\n");
			continue;
		}
		fprintf(f, "\">\n    <failure message=\"got ");
		xml_escape(f, got[i] ? got[i] : "not run");
		fprintf(f, "\"/>\n  </testcase>\n");
	}
	fprintf(f, "</testsuite>\n");
	fclose(f);
	return 0;
}

static int cmd_test(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "junit", required_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "keep", no_argument, NULL, 'k' },
		{ 0 },
	};
	const char *name = NULL, *junit = NULL;
	unsigned timeout_ms = 1000;
	bool keep = false, *passed = NULL;
	char **got = NULL;
	size_t i, npass = 0, nfail = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	struct lab_state *old;
	struct lab *lab;
	double t0 = now_s();
	int c, r = 1;

	while ((c = getopt_long(argc, argv, "n:j:t:k", opts, NULL)) != -1) {
		if (c == 'n')
			name = optarg;
		else if (c == 'j')
			junit = optarg;
		else if (c == 't')
			timeout_ms = (unsigned)strtoul(optarg, NULL, 10);
		else if (c == 'k')
			keep = true;
		else
			return usage_error("test", "bad option");
	}
	if (optind != argc - 1)
		return usage_error("test", "expects one lab file");
	if (timeout_ms < 100 || timeout_ms > 60000)
		return usage_error("test", "--timeout is 100 to 60000 ms");
	if (!need_root("test"))
		return 1;
	lab = load_lab(argv[optind], name);
	if (!lab)
		return 1;
	if (state_load(lab->name, &old) == 0) {
		state_free(old);
		fprintf(stderr, "vpcemu test: lab %s is already up; take it "
			"down or test under another name (--name)\n",
			lab->name);
		lab_free(lab);
		return 1;
	}
	passed = calloc(lab->nexpects + 1, sizeof(*passed));
	got = calloc(lab->nexpects + 1, sizeof(*got));
	if (!passed || !got) {
		fprintf(stderr, "vpcemu test: out of memory\n");
		goto out;
	}
	/* Ctrl-C or a CI timeout must still take the lab down. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (daemon_call("test", "up", file_args("test", argv[optind], name),
			true, true)) {
		daemon_call("test", "down", json_pack("{s:s}", "name", lab->name),
			    true, true);
		goto out;
	}
	wait_user_data(lab, USER_DATA_WAIT_MS);
	for (i = 0; i < lab->nexpects && !interrupted; i++) {
		test_expect(lab, i, timeout_ms, passed, got);
		passed[i] ? npass++ : nfail++;
	}
	if (interrupted)
		fprintf(stderr, "vpcemu test: interrupted\n");
	if (!keep && daemon_call("test", "down",
				 json_pack("{s:s}", "name", lab->name), true,
				 true))
		nfail++;
	printf("%zu passed, %zu failed\n", npass, nfail);
	if (junit && test_junit(junit, lab, passed, got, npass,
				now_s() - t0))
		nfail++;
	r = nfail || npass != lab->nexpects || interrupted ? 1 : 0;
out:
	for (i = 0; got && i < lab->nexpects; i++)
		free(got[i]);
	free(got);
	free(passed);
	lab_free(lab);
	return r;
}

/* ---- analyze ----------------------------------------------------------- */

/* The model of running lab name, from the text it was applied from. */
static struct lab *load_running(const char *name)
{
	struct diags d = { 0 };
	struct lab *lab = NULL;
	char *text = NULL;
	size_t len = 0;
	int r;

	r = state_load_text(name, &text, &len);
	if (r) {
		fprintf(stderr, "vpcemu analyze: lab %s: %s\n", name,
			r == -ENOENT ? "not running" : strerror(-r));
		return NULL;
	}
	r = load_lab_text(name, text, len, name, &d, &lab);
	diag_print(&d, stderr, isatty(STDERR_FILENO));
	diags_free(&d);
	free(text);
	return r ? NULL : lab;
}

static int cmd_analyze(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lab", required_argument, NULL, 'l' },
		{ "output", required_argument, NULL, 'o' },
		{ 0 },
	};
	const char *running = NULL, *output = "table";
	struct analyze_end src, dst;
	struct proto_match proto;
	struct analysis *a = NULL;
	struct lab *lab;
	int c, n, r = 1;

	while ((c = getopt_long(argc, argv, "l:o:", opts, NULL)) != -1) {
		if (c == 'l')
			running = optarg;
		else if (c == 'o')
			output = optarg;
		else
			return usage_error("analyze", "bad option");
	}
	if (strcmp(output, "table") && strcmp(output, "json"))
		return usage_error("analyze", "--output is table or json");
	if (!running && optind < argc)
		optind++;	/* FILE */
	if (argc - optind < 2)
		return usage_error("analyze", "expects %sSRC and DST",
				   running ? "" : "FILE, ");
	n = analyze_proto_parse(argv + optind + 2, argc - optind - 2, &proto);
	if (n < 0 || optind + 2 + n != argc)
		return usage_error("analyze", "the rule is icmp, tcp PORT or "
				   "udp PORT");
	lab = running ? load_running(running) : load_lab(argv[optind - 1],
							   NULL);
	if (!lab)
		return 1;
	if (analyze_end_parse(lab, argv[optind], &src) || !(src.eni || src.host || src.onprem)) {
		fprintf(stderr, "vpcemu analyze: %s: no instance, host, "
			"endpoint, load balancer or ENI of that name or IP\n",
			argv[optind]);
		goto out;
	}
	if (analyze_end_parse(lab, argv[optind + 1], &dst)) {
		fprintf(stderr, "vpcemu analyze: %s: no such resource\n",
			argv[optind + 1]);
		goto out;
	}
	if (analyze_path(lab, &src, &dst, &proto, &a)) {
		fprintf(stderr, "vpcemu analyze: out of memory\n");
		goto out;
	}
	if (!strcmp(output, "json")) {
		json_t *o = analyze_json(a);

		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		char *text = analyze_text(a);

		fputs(text ? text : "out of memory\n", stdout);
		free(text);
	}
	/* Like grep: 0 when the path is found, 1 when it is not. */
	r = a->found ? 0 : 1;
out:
	analysis_free(a);
	lab_free(lab);
	return r;
}

/* ---- flow-logs ------------------------------------------------------- */

static int cmd_flow_logs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lab", required_argument, NULL, 'l' },
		{ "lines", required_argument, NULL, 'n' },
		{ 0 },
	};
	const char *lab_name = NULL;
	unsigned long lines = 10;
	struct lab *lab;
	char *end;
	int c, r;

	while ((c = getopt_long(argc, argv, "l:n:", opts, NULL)) != -1) {
		if (c == 'l')
			lab_name = optarg;
		else if (c == 'n' && (lines = strtoul(optarg, &end, 10),
				      !*end && *optarg))
			continue;
		else
			return usage_error("flow-logs", "bad option");
	}
	if (argc - optind != 2 || strcmp(argv[optind], "tail"))
		return usage_error("flow-logs", "expects tail NAME");
	lab = running_lab("flow-logs", lab_name);
	if (!lab)
		return 1;
	r = flowtail_run(lab, argv[optind + 1], (unsigned)lines);
	lab_free(lab);
	return r;
}

/* ---- table ------------------------------------------------------------- */

static const struct cmd cmds[] = {
	{ "validate", cmd_validate,
	  "validate FILE [--name LAB] [--output table|json]",
	  "Parse and check a lab file against AWS's rules; print every error as\n"
	  "FILE:LINE:COL: error: CODE: message, or, when there is none, every\n"
	  "resource with its ID. Needs no root. Exit 1 on any error." },
	{ "up", cmd_up, "up FILE [--name LAB] | up --empty LAB [--region REGION]",
	  "Validate FILE, then build the lab in network namespaces (one router\n"
	  "per VPC, one namespace per instance). Idempotent: bringing up the\n"
	  "same file again changes nothing. --empty starts lab LAB with no\n"
	  "resource (region us-east-1 unless given), to build with `vpcemu\n"
	  "ec2` commands. Needs root." },
	{ "export", cmd_export, "export LAB [--output FILE]",
	  "Write the lab file of running lab LAB as it is now, commands\n"
	  "included (to stdout unless --output): validate passes on it, and up\n"
	  "of it after down gives the same IDs." },
	{ "down", cmd_down, "down LAB|FILE [--name LAB]",
	  "Remove every namespace, link, nftables ruleset, /etc/netns entry and\n"
	  "state file of the lab. Succeeds on a half-built lab and on a lab\n"
	  "that is not there. A running lab's name wins over a file of the\n"
	  "same name. Needs root." },
	{ "apply", cmd_apply, "apply FILE [--name LAB]",
	  "Bring the running lab to FILE's new content, touching only what\n"
	  "changed: a new route, rule, instance, subnet, peering status or\n"
	  "association changes those objects alone; namespaces and traffic of\n"
	  "everything else stay as they are. The lab must be up (vpcemu up).\n"
	  "Prints what was done and where. Needs root." },
	{ "ec2", cmd_ec2, "ec2 COMMAND [--lab LAB] [--output json|table] [OPTIONS]",
	  "Change or inspect a running lab with the AWS CLI's commands and\n"
	  "options, e.g. create-vpc-peering-connection, accept-vpc-peering-\n"
	  "connection, create-route, authorize-security-group-ingress,\n"
	  "create-network-acl-entry, run-instances, describe-route-tables.\n"
	  "IDs or lab names are accepted wherever AWS takes an ID. Changes go\n"
	  "through the same path as apply; errors are AWS's (exit 254).\n"
	  "--lab is needed when several labs are up.\n"
	  "Endpoint services (PrivateLink provider):\n"
	  "  accept-vpc-endpoint-connections --service-id ID\n"
	  "      --vpc-endpoint-ids ID...   pendingAcceptance -> available\n"
	  "  reject-vpc-endpoint-connections --service-id ID\n"
	  "      --vpc-endpoint-ids ID...   -> rejected (for good)\n"
	  "  describe-vpc-endpoint-services [--service-names NAME...]\n"
	  "  describe-vpc-endpoint-connections\n"
	  "  create-vpc-endpoint-service-configuration |\n"
	  "  delete-vpc-endpoint-service-configurations |\n"
	  "  modify-vpc-endpoint-service-permissions\n"
	  "Endpoints: create-vpc-endpoint | delete-vpc-endpoints\n"
	  "Flow logs: create-flow-logs | delete-flow-logs | describe-flow-logs\n"
	  "(vpcemu ec2 COMMAND --help)" },
	{ "elbv2", cmd_elbv2,
	  "elbv2 COMMAND [--lab LAB] [--output json|table] [OPTIONS]",
	  "Network Load Balancers of a running lab, with the AWS CLI's commands\n"
	  "(an ARN, a lab name or an ID wherever ELBv2 takes an ARN):\n"
	  "  describe-load-balancers | describe-target-groups |\n"
	  "  describe-listeners\n"
	  "  describe-target-health --target-group-arn TG\n"
	  "      [--targets Id=ID[,Port=N]...]\n"
	  "      initial, healthy, unhealthy (the nodes' real health checks),\n"
	  "      unused (no listener forwards to the group), draining (300 s\n"
	  "      after deregistration)\n"
	  "  register-targets --target-group-arn TG --targets Id=ID[,Port=N]...\n"
	  "  deregister-targets --target-group-arn TG --targets Id=ID[,Port=N]...\n"
	  "  create-load-balancer | delete-load-balancer | create-target-group |\n"
	  "  delete-target-group | create-listener | delete-listener\n"
	  "      (vpcemu elbv2 COMMAND --help)\n"
	  "--targets also takes a JSON list [{\"Id\":ID,\"Port\":N}]. Changes go\n"
	  "through the same path as apply; errors are AWS's (exit 254)." },
	{ "iam", cmd_iam, "iam COMMAND [--lab LAB] [--output json|table] [OPTIONS]",
	  "The IAM commands that give instances a role, on a running lab:\n"
	  "  create-role --role-name NAME --assume-role-policy-document DOC\n"
	  "  attach-role-policy --role-name NAME --policy-arn ARN\n"
	  "  create-instance-profile --instance-profile-name NAME\n"
	  "  add-role-to-instance-profile --instance-profile-name NAME\n"
	  "      --role-name NAME\n"
	  "A profile is the role of the same name (vpcemu iam COMMAND --help).\n"
	  "Changes go through the same path as apply; errors are AWS's (exit\n"
	  "254)." },
	{ "describe", cmd_describe,
	  "describe [TYPE] [--lab LAB] [--output json|table] [--page-size N]\n"
	  "    [--max-items N] [--starting-token T]",
	  "Resources of a running lab, AWS-shaped: vpcs, subnets, route-tables,\n"
	  "vpc-peering-connections, security-groups, network-acls, instances,\n"
	  "internet-gateways, addresses, nat-gateways, transit-gateways,\n"
	  "transit-gateway-attachments, transit-gateway-route-tables,\n"
	  "load-balancers, target-groups, listeners, vpc-endpoint-services,\n"
	  "flow-logs (all when no TYPE). A table on a terminal, JSON otherwise. A TYPE\n"
	  "pages as the AWS CLI does (so do ec2 and elbv2 describe-*):\n"
	  "--page-size items a request, --max-items in all (then a NextToken\n"
	  "for --starting-token); every page is fetched and merged." },
	{ "diagram", cmd_diagram,
	  "diagram FILE|LAB [--format svg|png|dot] [--output PATH]",
	  "Draw the lab as AWS architecture figures do: region, VPC, AZ and\n"
	  "subnet boxes; instances, NAT gateways, endpoints and load balancer\n"
	  "nodes in their subnets; internet gateways, peerings (with their\n"
	  "status), transit gateway attachments and internet hosts; each\n"
	  "expect line as an arrow, green if reachable, red if blocked. FILE\n"
	  "needs no root; a running LAB is asked of vpcemud. svg (default) and\n"
	  "png are rendered by Graphviz's dot; dot is the Graphviz text. To\n"
	  "stdout unless --output." },
	{ "ssm", cmd_ssm,
	  "ssm start-session --target ID|NAME | describe-instance-information\n"
	  "    [--lab LAB]",
	  "Session Manager. start-session opens a shell in the instance (on a\n"
	  "terminal an interactive sh; otherwise sh runs stdin and the exit\n"
	  "status is its) only when its agent would be connected: a role with\n"
	  "AmazonSSMManagedInstanceCore, and ssm, ssmmessages and ec2messages\n"
	  "resolving through the VPC's DNS and reachable on TCP 443, tried for\n"
	  "real from the instance. Else AWS's TargetNotConnected, exit 254.\n"
	  "A target that names an instance in several labs is a usage error\n"
	  "(exit 2): say which with --lab.\n"
	  "describe-instance-information: PingStatus of every instance with\n"
	  "such a role. Root's shell runs here; a member of vpcemud's group\n"
	  "gets one from vpcemud, with its own uid, gid and groups, on a\n"
	  "terminal of its own (job control) when it sits at one." },
	{ "status", cmd_status, "status [LAB [--instances]]",
	  "List running labs, or one lab's instances with their namespaces.\n"
	  "A lab of more than 100 instances is summarised: instances and how\n"
	  "many run, per VPC and subnet; --instances lists every one." },
	{ "cost", cmd_cost, "cost [LAB] [--output table|json]",
	  "The data-transfer bill of a running lab (the only one up when LAB\n"
	  "is left out): the bytes its routers forwarded since it came up, by\n"
	  "pair of ports, priced by AWS's rules (same AZ free, cross-AZ both\n"
	  "ways, peering, inter-region, NAT gateway, interface endpoint,\n"
	  "transit gateway, internet egress) with the price list built in\n"
	  "from data/prices.tsv (its date, region and sources printed), plus\n"
	  "hourly charges over the hours the lab has run." },
	{ "exec", cmd_exec, "exec [--lab LAB] INSTANCE -- CMD...",
	  "Run CMD inside the instance's namespace, like `ip netns exec`, with\n"
	  "/etc/netns/LAB-INSTANCE/ files bound over /etc and the instance's\n"
	  "hostname; CMD belongs to the instance (down stops it). Exits with\n"
	  "CMD's status. As root, exec replaces itself with CMD. A member of\n"
	  "vpcemud's group has vpcemud run CMD with the member's uid, gid and\n"
	  "groups, in its working directory (entered with its rights), with\n"
	  "its stdin, stdout and stderr, or a terminal of its own when stdin\n"
	  "is one; killing exec kills CMD." },
	{ "analyze", cmd_analyze,
	  "analyze [--lab LAB | FILE] SRC DST [icmp|tcp PORT|udp PORT]\n"
	  "    [--output table|json]",
	  "Reachability Analyzer on the model, no packet sent: walk a probe\n"
	  "from SRC to DST (an instance, internet or on-premises host,\n"
	  "endpoint, load balancer, ENI or IP) hop by hop, as the data\n"
	  "plane does (VPN tunnels taken as up), and print\n"
	  "the path (forward and return) or the first component that drops\n"
	  "it with AWS's explanation code (ENI_SG_RULES_MISMATCH,\n"
	  "SUBNET_ACL_RESTRICTION, NO_ROUTE_TO_DESTINATION, BAD_STATE_ROUTE,\n"
	  "PCX_REQUIRES_ADDRESS_IN_VPC_CIDR, IGW_PUBLIC_IP_ASSOCIATION_FOR_\n"
	  "EGRESS, TGW_...). JSON in the shape of DescribeNetworkInsights-\n"
	  "Analyses. Needs no root. Exit 0 path found, 1 not found." },
	{ "flow-logs", cmd_flow_logs,
	  "flow-logs tail [--lab LAB] [--lines N] NAME",
	  "Follow a running lab's flow log (its name or fl- ID) as tail -f\n"
	  "does: its last N lines (10), then each record as the daemon writes\n"
	  "it, every interval, until interrupted (exit 0). --lab is needed\n"
	  "when several labs are up." },
	{ "test", cmd_test,
	  "test FILE [--name LAB] [--junit PATH] [--timeout MS] [--keep]",
	  "Bring the lab up, check every `expect` line with real traffic (a\n"
	  "listener answers in the destination for tcp/udp, so `blocked` means\n"
	  "filtered), print one line per assertion and a summary, take the lab\n"
	  "down (unless --keep). Exit 0 only if every assertion holds." },
};

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static void main_help(FILE *f)
{
	size_t i;

	fprintf(f, "usage: vpcemu COMMAND [ARGS]   (vpcemu COMMAND --help)\n\n"
		"AWS VPC networking emulated on Linux network namespaces.\n\n"
		"commands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %s\n", cmds[i].usage);
	fprintf(f, "\nexit status: 0 success, 1 lab errors / failed "
		"expectations / kernel errors,\n2 usage errors; exec exits "
		"with the command's status.\n");
}

/* ---- __complete --------------------------------------------------------- */

static void print_word(void *arg, const char *word)
{
	(void)arg;
	puts(word);
}

/* `vpcemu __complete WHAT [LAB]`, hidden from --help: the words that
 * completion/vpcemu.bash offers, one a line, taken from the tables the
 * commands themselves use (so they follow this binary) and from the state
 * directory, which anyone may read. WHAT: commands, ec2, elbv2, iam, describe
 * (its types), labs, instances (of LAB, or of every running lab). */
static int cmd_complete(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	/* The script passes --lab's value, "" when there is none. */
	const char *only = argc > 2 && *argv[2] ? argv[2] : NULL;
	bool labs = !strcmp(what, "labs");
	struct lab_state *s;
	char **names;
	size_t i, j, n;

	if (!strcmp(what, "commands")) {
		for (i = 0; i < ARRAY_SIZE(cmds); i++)
			puts(cmds[i].name);
	} else if (!strcmp(what, "ec2")) {
		ec2_command_names(print_word, NULL);
	} else if (!strcmp(what, "elbv2")) {
		elbv2_command_names(print_word, NULL);
	} else if (!strcmp(what, "iam")) {
		iam_command_names(print_word, NULL);
	} else if (!strcmp(what, "describe")) {
		for (i = 0; i < RES__COUNT; i++)
			if (res_types[i]->describe_what)
				puts(res_types[i]->describe_what);
	} else if (labs || !strcmp(what, "instances")) {
		/* No state directory yet: no lab, nothing to offer. */
		if (state_list(&names, &n))
			return 0;
		for (i = 0; i < n; i++) {
			if (labs)
				puts(names[i]);
			if (labs || (only && strcmp(only, names[i])) ||
			    state_load(names[i], &s))
				continue;
			for (j = 0; j < s->ninstances; j++)
				puts(s->instances[j].name);
			state_free(s);
		}
		state_names_free(names, n);
	} else {
		return EXIT_USAGE;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2) {
		main_help(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		if (argc > 2 && (c = find_cmd(argv[2]))) {
			print_help(c);
			return 0;
		}
		main_help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "__complete"))
		return cmd_complete(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version")) {
		printf("vpcemu %s\n", VPCEMU_VERSION);
		return 0;
	}
	c = find_cmd(argv[1]);
	if (!c) {
		fprintf(stderr, "vpcemu: unknown command '%s'\n\n", argv[1]);
		main_help(stderr);
		return EXIT_USAGE;
	}
	/* exec passes everything after INSTANCE to the command. */
	if (strcmp(c->name, "exec") ? want_help(argc - 1, argv + 1)
				    : argc == 3 && !strcmp(argv[2], "--help")) {
		if (c->run == cmd_ec2 &&
		    service_help(argc - 1, argv + 1, "ec2", ec2_is_command,
				 ec2_usage))
			return 0;
		if (c->run == cmd_elbv2 &&
		    service_help(argc - 1, argv + 1, "elbv2", elbv2_is_command,
				 elbv2_usage))
			return 0;
		if (c->run == cmd_iam &&
		    service_help(argc - 1, argv + 1, "iam", iam_is_command,
				 iam_usage))
			return 0;
		print_help(c);
		return 0;
	}
	return c->run(argc - 1, argv + 1);
}
