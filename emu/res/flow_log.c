/* res/flow_log.c - the VPC Flow Log: which ENIs, verdicts, interval, file.
 *
 * A flow log covers a VPC, a subnet or an instance and has no
 * kernel object of its own: a router whose VPC has a covered ENI gets
 * NFLOG statements on its drops (nftgen.c) and conntrack accounting
 * (plan.c), and the daemon's flow log service (svc/flowlog.c) turns both
 * into records. The destination is a file the daemon appends to as root:
 * it must lie under FLOW_LOG_DIR/LAB/, named without "." or ".." steps, so
 * that a lab file can make it write nowhere else, not even into another
 * lab's logs.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/describe.h"
#include "vpcemu/flowrec.h"
#include "vpcemu/restype.h"

/* ---- lab file -------------------------------------------------------- */

enum { F_RESOURCE, F_TRAFFIC, F_INTERVAL, F_DESTINATION, F_FORMAT };

static const struct attr fl_attrs[] = {
	[F_RESOURCE] = { "resource", A_REQ },
	[F_TRAFFIC] = { "traffic", 0 },
	[F_INTERVAL] = { "interval", 0 },
	[F_DESTINATION] = { "destination", 0 },
	[F_FORMAT] = { "format", 0 },
};

static const char *const traffic_words[] = { "all", "accept", "reject" };

static void fl_parse_resource(struct build *b, struct flow_log *f,
			      const struct conf_word *w)
{
	static const enum res_kind kinds[] = { RES_VPC, RES_SUBNET,
					       RES_INSTANCE };
	const struct name_ent *ne;
	size_t i;

	f->resource_at = w->at;
	for (i = 0; i < ARRAY_SIZE(kinds); i++)
		if ((f->resource = model_find(b->lab, kinds[i], w->text)))
			return;
	ne = model_name_lookup(b, w->text);
	if (ne && ne->unsupported)
		return;
	diag_error(b->d, w->at, "InvalidParameterValue",
		   "A flow log's resource must be a VPC, a subnet or an instance of the lab: '%s' is %s",
		   w->text, ne ? ne->type : "not defined");
}

static void fl_parse(struct build *b, struct res *res,
		     const struct conf_block *blk)
{
	struct flow_log *f = (struct flow_log *)res;
	const struct conf_stmt *seen[ARRAY_SIZE(fl_attrs)] = { 0 };
	size_t i, t;
	int a;

	f->interval = 600;
	f->resource_at = f->destination_at = f->format_at = f->r.at;
	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];
		const struct conf_word *w = &st->w[1];

		a = model_attr_find(b, "flow-log", fl_attrs,
				    ARRAY_SIZE(fl_attrs), seen, st);
		if (a < 0 || !model_want(b, st, 1, 1))
			continue;
		switch (a) {
		case F_RESOURCE:
			fl_parse_resource(b, f, w);
			break;
		case F_TRAFFIC:
			for (t = 0; t < ARRAY_SIZE(traffic_words) &&
				    strcmp(w->text, traffic_words[t]);
			     t++)
				;
			if (t == ARRAY_SIZE(traffic_words))
				diag_error(b->d, w->at,
					   "InvalidParameterValue",
					   "traffic must be accept, reject or all, not '%s'",
					   w->text);
			else
				f->traffic = t;
			break;
		case F_INTERVAL:
			/* AWS takes 60 or 600; less is for tests. */
			model_get_range(b, w, "interval", 1, 600,
					"InvalidParameterValue", &f->interval);
			break;
		case F_DESTINATION:
			f->destination_at = w->at;
			model_get_str(b, w, &f->destination);
			break;
		case F_FORMAT:
			f->format_at = w->at;
			model_get_str(b, w, &f->format);
			break;
		}
	}
	model_attrs_required(b, res, fl_attrs, ARRAY_SIZE(fl_attrs), seen);
}

static void fl_free(struct res *res)
{
	struct flow_log *f = (struct flow_log *)res;

	free(f->destination);
	free(f->format);
}

/* ---- rules ----------------------------------------------------------- */

bool flow_log_covers(const struct flow_log *f, const struct eni *e)
{
	const struct res *r = f->resource;

	if (!r)
		return false;
	switch (r->kind) {
	case RES_VPC:
		return &e->subnet->vpc->r == r;
	case RES_SUBNET:
		return &e->subnet->r == r;
	case RES_INSTANCE:
		return e->instance && &e->instance->r == r;
	default:
		return false;
	}
}

bool flow_log_vpc_logged(const struct lab *lab, const struct vpc *vpc)
{
	const struct res_list *l = &lab->res[RES_FLOW_LOG];
	size_t i, j;

	for (i = 0; i < l->n; i++)
		for (j = 0; j < lab->nenis; j++)
			if (lab->enis[j]->subnet->vpc == vpc &&
			    flow_log_covers((const struct flow_log *)l->v[i],
					    lab->enis[j]))
				return true;
	return false;
}

char *flow_log_path(const struct lab *lab, const struct flow_log *f)
{
	return f->destination ? strdup(f->destination)
			      : str_printf(FLOW_LOG_DIR "/%s/%s.log",
					   lab->name, f->r.name);
}

/* Under FLOW_LOG_DIR/LAB/, each step a plain name: no "", ".", "..". */
static bool destination_ok(const struct lab *lab, const char *p)
{
	const char *s;
	size_t len;

	if (strncmp(p, FLOW_LOG_DIR "/", strlen(FLOW_LOG_DIR "/")))
		return false;
	s = p + strlen(FLOW_LOG_DIR "/");
	len = strlen(lab->name);
	if (strncmp(s, lab->name, len) || s[len] != '/')
		return false;
	for (s += len + 1;; s += len + 1) {
		len = strcspn(s, "/");
		if (!len || (len == 1 && s[0] == '.') ||
		    (len == 2 && !strncmp(s, "..", 2)))
			return false;
		if (!s[len])
			break;
	}
	for (s = p; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool same_path(const struct lab *lab, const struct flow_log *a,
		      const struct flow_log *b)
{
	char *pa = flow_log_path(lab, a), *pb = flow_log_path(lab, b);
	bool same = pa && pb && !strcmp(pa, pb);

	free(pa);
	free(pb);
	return same;
}

static void fl_check_one(const struct lab *lab, size_t i, struct diags *d)
{
	const struct res_list *l = &lab->res[RES_FLOW_LOG];
	const struct flow_log *f = (const struct flow_log *)l->v[i];
	struct flowrec_format fmt;
	size_t off, len, j;

	if (f->destination && !destination_ok(lab, f->destination))
		diag_error(d, f->destination_at, "InvalidParameterValue",
			   "destination must be a file under " FLOW_LOG_DIR
			   "/%s/ named without '.' or '..' steps (the daemon writes it as root): '%s'",
			   lab->name, f->destination);
	if (f->format &&
	    flowrec_format_parse(f->format, &fmt, &off, &len) < 0)
		diag_error(d, f->format_at, "InvalidParameter",
			   "format: '%.*s' is not a field: write \"${field} ${field}...\" with AWS's field names, each once, separated by one space",
			   (int)len, f->format + off);
	/* CreateFlowLogs refuses a second one with the same resource,
	 * traffic and destination. */
	for (j = 0; j < i; j++) {
		const struct flow_log *o = (const struct flow_log *)l->v[j];

		if (f->resource && o->resource == f->resource &&
		    o->traffic == f->traffic && same_path(lab, o, f)) {
			diag_error(d, f->r.at, "FlowLogAlreadyExists",
				   "Flow log %s already logs %s traffic of %s to the same destination",
				   o->r.name, traffic_words[f->traffic],
				   f->resource->name);
			break;
		}
	}
}

static void fl_check(struct lab *lab, struct diags *d)
{
	size_t i;

	for (i = 0; i < lab->res[RES_FLOW_LOG].n; i++)
		fl_check_one(lab, i, d);
}

/* ---- printed back ---------------------------------------------------- */

static void fl_print(struct printer *p, const struct res *res)
{
	const struct flow_log *f = (const struct flow_log *)res;

	if (!print_res_ok(p, res))
		return;
	print_block_open(p, res);
	sb_puts(&p->sb, "\tresource");
	print_ref(p, f->resource, res);
	sb_puts(&p->sb, "\n");
	if (f->traffic != FLOW_ALL)
		sb_printf(&p->sb, "\ttraffic %s\n", traffic_words[f->traffic]);
	if (f->interval != 600)
		sb_printf(&p->sb, "\tinterval %u\n", f->interval);
	if (f->destination) {
		sb_puts(&p->sb, "\tdestination");
		print_str(p, f->destination, false, res);
		sb_puts(&p->sb, "\n");
	}
	if (f->format) {
		sb_puts(&p->sb, "\tformat");
		print_str(p, f->format, true, res);
		sb_puts(&p->sb, "\n");
	}
	print_block_close(p);
}

/* ---- EC2 API --------------------------------------------------------- */

static void fl_describe(struct jb *b, json_t *a, const struct lab *lab,
			const struct ec2_state *st, time_t now,
			const struct res *res)
{
	const struct flow_log *f = (const struct flow_log *)res;
	json_t *o = jb_add(b, a, jb_obj(b));
	struct flowrec_format fmt;
	struct strbuf sb = { 0 };
	char *path = flow_log_path(lab, f);
	size_t off, len;

	(void)st;
	(void)now;
	jb_put_s(b, o, "FlowLogId", f->r.id);
	jb_put_s(b, o, "FlowLogStatus", "ACTIVE");
	jb_put_s(b, o, "DeliverLogsStatus", "SUCCESS");
	jb_put_s(b, o, "ResourceId", f->resource ? f->resource->id : "");
	jb_put_s(b, o, "TrafficType",
		 f->traffic == FLOW_ALL ? "ALL" :
		 f->traffic == FLOW_ACCEPT ? "ACCEPT" : "REJECT");
	/* vpcemu writes a local file: neither CloudWatch, S3 nor Firehose. */
	jb_put_s(b, o, "LogDestinationType", "file");
	jb_put_s(b, o, "LogDestination", path ? path : "");
	if (flowrec_format_parse(f->format, &fmt, &off, &len) == 0)
		flowrec_format_text(&sb, &fmt);
	jb_put_s(b, o, "LogFormat", sb.s ? sb.s : "");
	jb_put_i(b, o, "MaxAggregationInterval", f->interval);
	jb_put_tags(b, o, res);
	b->oom |= sb.oom || !path;
	sb_free(&sb);
	free(path);
}

static void fl_table(struct strbuf *sb, const json_t *o)
{
	sb_printf(sb, "  %-24s %-26s %-24s %-6s %s\n", describe_tag_name(o),
		  describe_jstr(o, "FlowLogId"), describe_jstr(o, "ResourceId"),
		  describe_jstr(o, "TrafficType"),
		  describe_jstr(o, "LogDestination"));
}

static void fl_details(struct strbuf *sb, const struct lab *lab,
		       const struct res *res)
{
	const struct flow_log *f = (const struct flow_log *)res;
	char *path = flow_log_path(lab, f);

	sb_printf(sb, "resource=%s traffic=%s interval=%us %s",
		  f->resource ? f->resource->name : "?",
		  traffic_words[f->traffic], f->interval, path ? path : "");
	free(path);
}

const struct res_type res_type_flow_log = {
	.keyword = "flow-log",
	.id_prefix = "fl-",
	.noun = "flow log",
	.notfound = "InvalidFlowLogId.NotFound",
	.size = sizeof(struct flow_log),
	.describe_what = "flow-logs",
	.describe_key = "FlowLogs",
	.parse = fl_parse,
	.check = fl_check,
	.print = fl_print,
	.describe = fl_describe,
	.table = fl_table,
	.details = fl_details,
	.free = fl_free,
};
