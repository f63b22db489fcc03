/* res/target_group.c - the target group of Network Load Balancers.
 *
 * Instances of one VPC, each at the group's port or its own, and the
 * health check the load balancer's nodes run on them, with the defaults and
 * ranges of ELBv2's CreateTargetGroup for TCP, UDP and TCP_UDP groups
 * (interval 5-300 s, default 30; healthy threshold 2-10, default 5;
 * unhealthy threshold 2-10, default 2; HTTP path "/"). Listeners
 * (res/listener.c) forward to it. Only the model for now.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/describe.h"
#include "vpcemu/restype.h"

#define INTERVAL_MIN 5
#define INTERVAL_MAX 300
#define INTERVAL_DEFAULT 30
#define THRESHOLD_MIN 2
#define THRESHOLD_MAX 10
#define HEALTHY_DEFAULT 5
#define UNHEALTHY_DEFAULT 2
/* Not written in a lab: AWS's default for TCP groups, shown by describe. */
#define TIMEOUT_DEFAULT 10

/* ---- lab file -------------------------------------------------------- */

enum { T_VPC, T_PROTOCOL, T_PORT, T_TARGETS, T_HEALTH_CHECK, T_INTERVAL,
       T_HEALTHY, T_UNHEALTHY };

static const struct attr tg_attrs[] = {
	[T_VPC] = { "vpc", A_REQ },
	[T_PROTOCOL] = { "protocol", 0 },
	[T_PORT] = { "port", A_REQ },
	[T_TARGETS] = { "targets", A_REP },
	[T_HEALTH_CHECK] = { "health-check", 0 },
	[T_INTERVAL] = { "health-check-interval", 0 },
	[T_HEALTHY] = { "healthy-threshold", 0 },
	[T_UNHEALTHY] = { "unhealthy-threshold", 0 },
};

static bool get_port(struct build *b, const struct conf_word *w,
		     const char *attr, uint16_t *out)
{
	unsigned v;

	if (!model_get_range(b, w, attr, 1, 65535, "ValidationError", &v))
		return false;
	*out = (uint16_t)v;
	return true;
}

/* "tcp", "udp" or "tcp_udp". */
static void tg_protocol(struct build *b, struct target_group *tg,
			const struct conf_word *w)
{
	static const char *const names[] = {
		[LB_TCP] = "tcp", [LB_UDP] = "udp", [LB_TCP_UDP] = "tcp_udp",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(w->text, names[i])) {
			tg->protocol = (enum lb_protocol)i;
			return;
		}
	diag_error(b->d, w->at, "ValidationError",
		   "Invalid protocol '%s' for a target group: expected tcp, udp or tcp_udp",
		   w->text);
}

/* INSTANCE[:PORT] */
static void tg_target(struct build *b, struct target_group *tg,
		      const struct conf_word *w)
{
	const char *colon = strchr(w->text, ':');
	struct conf_word name = *w, port = *w;
	struct lb_target *t;
	struct instance *in;
	uint16_t p = 0;

	if (colon) {
		port.text = (char *)colon + 1;
		if (!get_port(b, &port, "a target's port", &p))
			return;
		name.text = strndup(w->text, (size_t)(colon - w->text));
		if (!name.text) {
			b->oom = true;
			return;
		}
	}
	in = (struct instance *)model_resolve(b, RES_INSTANCE, &name);
	if (colon)
		free(name.text);
	if (!in)
		return;
	t = MODEL_PUSH(b, tg->targets, tg->ntargets);
	if (!t)
		return;
	*t = (struct lb_target){ .instance = in, .port = p, .at = w->at };
}

/* "health-check tcp" or "health-check http [PATH]". */
static void tg_health_check(struct build *b, struct target_group *tg,
			    const struct conf_stmt *st)
{
	const char *path;
	bool http = false;

	if (!model_want(b, st, 1, 2) ||
	    !model_get_choice(b, &st->w[1], "health-check", "tcp", "http",
			      &http))
		return;
	tg->health_check_at = st->w[1].at;
	if (!http) {
		if (st->n == 3)
			diag_error(b->d, st->w[2].at, "ValidationError",
				   "A TCP health check takes no path");
		return;
	}
	tg->health_check = HEALTH_CHECK_HTTP;
	path = st->n == 3 ? st->w[2].text : TARGET_GROUP_HTTP_PATH;
	if (path[0] != '/') {
		diag_error(b->d, st->w[2].at, "ValidationError",
			   "Health check path '%s' must start with '/'", path);
		return;
	}
	free(tg->health_check_path);
	tg->health_check_path = model_strdup(b, path);
}

static void tg_attr(struct build *b, struct target_group *tg, int a,
		    const struct conf_stmt *st)
{
	const struct conf_word *w = &st->w[1];
	size_t i;

	if (a == T_HEALTH_CHECK) {
		tg_health_check(b, tg, st);
		return;
	}
	if (a == T_TARGETS) {
		if (model_want(b, st, 1, 0))
			for (i = 1; i < st->n; i++)
				tg_target(b, tg, &st->w[i]);
		return;
	}
	if (!model_want(b, st, 1, 1))
		return;
	switch (a) {
	case T_VPC:
		tg->vpc = (struct vpc *)model_resolve(b, RES_VPC, w);
		break;
	case T_PROTOCOL:
		tg_protocol(b, tg, w);
		break;
	case T_PORT:
		get_port(b, w, "port", &tg->port);
		tg->port_at = w->at;
		break;
	case T_INTERVAL:
		model_get_range(b, w, "health-check-interval", INTERVAL_MIN,
				INTERVAL_MAX, "ValidationError", &tg->interval);
		tg->interval_at = w->at;
		break;
	case T_HEALTHY:
		model_get_range(b, w, "healthy-threshold", THRESHOLD_MIN,
				THRESHOLD_MAX, "ValidationError",
				&tg->healthy_threshold);
		tg->healthy_at = w->at;
		break;
	case T_UNHEALTHY:
		model_get_range(b, w, "unhealthy-threshold", THRESHOLD_MIN,
				THRESHOLD_MAX, "ValidationError",
				&tg->unhealthy_threshold);
		tg->unhealthy_at = w->at;
		break;
	}
}

void target_group_init(struct target_group *tg)
{
	tg->protocol = LB_TCP;
	tg->health_check = HEALTH_CHECK_TCP;
	tg->interval = INTERVAL_DEFAULT;
	tg->healthy_threshold = HEALTHY_DEFAULT;
	tg->unhealthy_threshold = UNHEALTHY_DEFAULT;
}

static void tg_parse(struct build *b, struct res *res,
		     const struct conf_block *blk)
{
	struct target_group *tg = (struct target_group *)res;
	const struct conf_stmt *seen[ARRAY_SIZE(tg_attrs)] = { 0 };
	size_t i;
	int a;

	target_group_init(tg);
	tg->port_at = tg->health_check_at = tg->interval_at = tg->healthy_at =
		tg->unhealthy_at = tg->r.at;
	for (i = 0; i < blk->n; i++) {
		a = model_attr_find(b, "target-group", tg_attrs,
				    ARRAY_SIZE(tg_attrs), seen, &blk->stmts[i]);
		if (a >= 0)
			tg_attr(b, tg, a, &blk->stmts[i]);
	}
	model_attrs_required(b, res, tg_attrs, ARRAY_SIZE(tg_attrs), seen);
}

/* ---- rules ----------------------------------------------------------- */

/* RegisterTargets: instances of the group's VPC, each (instance, port)
 * once (AWS ignores a repeat; in a file it is a slip: vpcemu). */
static void tg_check_one(const struct target_group *tg, struct diags *d)
{
	size_t i, j;

	elb_check_name(&tg->r, d);
	for (i = 0; tg->vpc && i < tg->ntargets; i++) {
		const struct lb_target *t = &tg->targets[i];

		if (t->instance->subnet && t->instance->subnet->vpc != tg->vpc)
			diag_error(d, t->at, "InvalidTarget",
				   "The following targets are not in the target group VPC '%s': '%s' (instance %s is in VPC %s)",
				   tg->vpc->r.id, t->instance->r.id,
				   t->instance->r.name,
				   t->instance->subnet->vpc->r.name);
		for (j = 0; j < i; j++)
			if (tg->targets[j].instance == t->instance &&
			    tg->targets[j].port == t->port) {
				diag_error(d, t->at, "ValidationError",
					   "Target %s is registered twice in target group %s",
					   t->instance->r.name, tg->r.name);
				break;
			}
	}
}

static void tg_check(struct lab *lab, struct diags *d)
{
	const struct res_list *l = &lab->res[RES_TARGET_GROUP];
	size_t i;

	for (i = 0; i < l->n; i++)
		tg_check_one((const struct target_group *)l->v[i], d);
}

/* ---- printed back ---------------------------------------------------- */

static void tg_print(struct printer *p, const struct res *res)
{
	const struct target_group *tg = (const struct target_group *)res;
	size_t i;

	if (!print_res_ok(p, res))
		return;
	print_block_open(p, res);
	sb_puts(&p->sb, "\tvpc");
	print_ref(p, tg->vpc ? &tg->vpc->r : NULL, res);
	sb_puts(&p->sb, "\n");
	if (tg->protocol != LB_TCP)
		sb_printf(&p->sb, "\tprotocol %s\n",
			  tg->protocol == LB_UDP ? "udp" : "tcp_udp");
	sb_printf(&p->sb, "\tport %u\n", tg->port);
	if (tg->ntargets) {
		sb_puts(&p->sb, "\ttargets");
		for (i = 0; i < tg->ntargets; i++) {
			print_ref(p, &tg->targets[i].instance->r, res);
			if (tg->targets[i].port)
				sb_printf(&p->sb, ":%u", tg->targets[i].port);
		}
		sb_puts(&p->sb, "\n");
	}
	if (tg->health_check == HEALTH_CHECK_HTTP) {
		sb_puts(&p->sb, "\thealth-check http");
		print_str(p, tg->health_check_path, false, res);
		sb_puts(&p->sb, "\n");
	}
	if (tg->interval != INTERVAL_DEFAULT)
		sb_printf(&p->sb, "\thealth-check-interval %u\n", tg->interval);
	if (tg->healthy_threshold != HEALTHY_DEFAULT)
		sb_printf(&p->sb, "\thealthy-threshold %u\n",
			  tg->healthy_threshold);
	if (tg->unhealthy_threshold != UNHEALTHY_DEFAULT)
		sb_printf(&p->sb, "\tunhealthy-threshold %u\n",
			  tg->unhealthy_threshold);
	print_block_close(p);
}

/* ---- ELBv2 API ------------------------------------------------------- */

/* DescribeTargetGroups' TargetGroup. */
static void tg_describe(struct jb *b, json_t *a, const struct lab *lab,
			const struct ec2_state *st, time_t now,
			const struct res *res)
{
	const struct target_group *tg = (const struct target_group *)res;
	const struct res_list *ls = &lab->res[RES_LISTENER];
	json_t *o = jb_add(b, a, jb_obj(b)), *lbs;
	bool http = tg->health_check == HEALTH_CHECK_HTTP;
	char arn[MODEL_ARN_MAX];
	size_t i, j;

	load_balancer_arn(arn, lab, res);
	jb_put_s(b, o, "TargetGroupArn", arn);
	jb_put_s(b, o, "TargetGroupName", tg->r.name);
	jb_put_s(b, o, "Protocol", lb_protocol_name(tg->protocol));
	jb_put_i(b, o, "Port", tg->port);
	jb_put_s(b, o, "VpcId", tg->vpc->r.id);
	jb_put_s(b, o, "HealthCheckProtocol", http ? "HTTP" : "TCP");
	jb_put_s(b, o, "HealthCheckPort", "traffic-port");
	jb_put_b(b, o, "HealthCheckEnabled", true);
	jb_put_i(b, o, "HealthCheckIntervalSeconds", tg->interval);
	jb_put_i(b, o, "HealthCheckTimeoutSeconds", TIMEOUT_DEFAULT);
	jb_put_i(b, o, "HealthyThresholdCount", tg->healthy_threshold);
	jb_put_i(b, o, "UnhealthyThresholdCount", tg->unhealthy_threshold);
	if (http) {
		jb_put_s(b, o, "HealthCheckPath", tg->health_check_path);
		jb_put_s(b, jb_put(b, o, "Matcher", jb_obj(b)), "HttpCode",
			 "200-399");
	}
	/* The load balancers whose listeners forward here, each once. */
	lbs = jb_put(b, o, "LoadBalancerArns", jb_arr(b));
	for (i = 0; i < ls->n; i++) {
		const struct listener *l = (const struct listener *)ls->v[i];

		for (j = 0; j < i; j++)
			if (((const struct listener *)ls->v[j])->tg == tg &&
			    ((const struct listener *)ls->v[j])->lb == l->lb)
				break;
		if (l->tg != tg || !l->lb || j < i)
			continue;
		load_balancer_arn(arn, lab, &l->lb->r);
		jb_add(b, lbs, json_string(arn));
	}
	jb_put_s(b, o, "TargetType", "instance");
	jb_put_s(b, o, "IpAddressType", "ipv4");
}

static void tg_table(struct strbuf *sb, const json_t *o)
{
	sb_printf(sb, "  %-24s %-8s %-6lld %s\n",
		  describe_jstr(o, "TargetGroupName"),
		  describe_jstr(o, "Protocol"),
		  (long long)json_integer_value(json_object_get(o, "Port")),
		  describe_jstr(o, "VpcId"));
}

static void tg_details(struct strbuf *sb, const struct lab *lab,
		       const struct res *res)
{
	const struct target_group *tg = (const struct target_group *)res;
	size_t i;

	sb_printf(sb, "%s:%u vpc=%s targets=", lb_protocol_name(tg->protocol),
		  tg->port, tg->vpc->r.name);
	for (i = 0; i < tg->ntargets; i++) {
		sb_printf(sb, "%s%s", i ? "," : "",
			  tg->targets[i].instance->r.name);
		if (tg->targets[i].port)
			sb_printf(sb, ":%u", tg->targets[i].port);
	}
	if (!tg->ntargets)
		sb_puts(sb, "none");
	sb_printf(sb, " health-check=%s%s every %us healthy=%u unhealthy=%u",
		  tg->health_check == HEALTH_CHECK_HTTP ? "http " : "tcp",
		  tg->health_check == HEALTH_CHECK_HTTP ? tg->health_check_path
							: "",
		  tg->interval, tg->healthy_threshold, tg->unhealthy_threshold);
}

static void tg_free(struct res *res)
{
	struct target_group *tg = (struct target_group *)res;

	free(tg->targets);
	free(tg->health_check_path);
}

const struct res_type res_type_target_group = {
	.keyword = "target-group",
	.id_prefix = "tg-",
	.noun = "target group",
	.notfound = "TargetGroupNotFound",
	.size = sizeof(struct target_group),
	.describe_what = "target-groups",
	.describe_key = "TargetGroups",
	.parse = tg_parse,
	.check = tg_check,
	.print = tg_print,
	.describe = tg_describe,
	.table = tg_table,
	.details = tg_details,
	.free = tg_free,
};
