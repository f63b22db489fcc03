/* res/listener.c - a Network Load Balancer's listener.
 *
 * A port of the load balancer, TCP or UDP, forwarding to one target group
 * of the load balancer's VPC (CreateListener with a forward default
 * action). Only the model for now.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/describe.h"
#include "vpcemu/restype.h"

/* ---- lab file -------------------------------------------------------- */

enum { L_LB, L_PROTOCOL, L_PORT, L_FORWARD };

static const struct attr listener_attrs[] = {
	[L_LB] = { "load-balancer", A_REQ },
	[L_PROTOCOL] = { "protocol", 0 },
	[L_PORT] = { "port", A_REQ },
	[L_FORWARD] = { "forward", A_REQ },
};

static void listener_attr(struct build *b, struct listener *l, int a,
			  const struct conf_word *w)
{
	bool udp = false;
	unsigned port;

	switch (a) {
	case L_LB:
		l->lb = (struct load_balancer *)model_resolve(
			b, RES_LOAD_BALANCER, w);
		l->lb_at = w->at;
		break;
	case L_PROTOCOL:
		if (model_get_choice(b, w, "protocol", "tcp", "udp", &udp))
			l->protocol = udp ? LB_UDP : LB_TCP;
		l->protocol_at = w->at;
		break;
	case L_PORT:
		if (model_get_range(b, w, "port", 1, 65535, "ValidationError",
				    &port))
			l->port = (uint16_t)port;
		l->port_at = w->at;
		break;
	case L_FORWARD:
		l->tg = (struct target_group *)model_resolve(
			b, RES_TARGET_GROUP, w);
		l->tg_at = w->at;
		break;
	}
}

static void listener_parse(struct build *b, struct res *res,
			   const struct conf_block *blk)
{
	struct listener *l = (struct listener *)res;
	const struct conf_stmt *seen[ARRAY_SIZE(listener_attrs)] = { 0 };
	size_t i;
	int a;

	l->protocol = LB_TCP;
	l->lb_at = l->protocol_at = l->port_at = l->tg_at = l->r.at;
	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];

		a = model_attr_find(b, "listener", listener_attrs,
				    ARRAY_SIZE(listener_attrs), seen, st);
		if (a >= 0 && model_want(b, st, 1, 1))
			listener_attr(b, l, a, &st->w[1]);
	}
	model_attrs_required(b, res, listener_attrs,
			     ARRAY_SIZE(listener_attrs), seen);
}

/* ---- rules ----------------------------------------------------------- */

/* A TCP listener forwards to TCP or TCP_UDP groups, a UDP one to UDP or
 * TCP_UDP groups (ELB's guide, listener configuration). */
static bool protocols_fit(enum lb_protocol listener, enum lb_protocol group)
{
	return group == LB_TCP_UDP || group == listener;
}

static void listener_check_one(const struct lab *lab, size_t i,
			       struct diags *d)
{
	const struct res_list *ls = &lab->res[RES_LISTENER];
	const struct listener *l = (const struct listener *)ls->v[i];
	const struct listener *o;
	size_t j;

	if (!l->lb || !l->tg || !l->lb->vpc || !l->tg->vpc)
		return;
	if (l->tg->vpc != l->lb->vpc)
		diag_error(d, l->tg_at, "InvalidConfigurationRequest",
			   "Target group %s is in VPC %s (%s), load balancer %s in VPC %s (%s): a listener forwards within one VPC",
			   l->tg->r.name, l->tg->vpc->r.name, l->tg->vpc->r.id,
			   l->lb->r.name, l->lb->vpc->r.name, l->lb->vpc->r.id);
	if (!protocols_fit(l->protocol, l->tg->protocol))
		diag_error(d, l->tg_at, "IncompatibleProtocols",
			   "Listener protocol '%s' is not compatible with target group protocol '%s' (target group %s)",
			   lb_protocol_name(l->protocol),
			   lb_protocol_name(l->tg->protocol), l->tg->r.name);
	for (j = 0; j < i; j++) {
		o = (const struct listener *)ls->v[j];
		if (o->lb == l->lb && o->port == l->port) {
			diag_error(d, l->port_at, "DuplicateListener",
				   "A listener already exists on this port for this load balancer (listener %s of %s on port %u)",
				   o->r.name, l->lb->r.name, l->port);
			break;
		}
	}
	/* A Network Load Balancer's target group serves that balancer
	 * only. */
	for (j = 0; j < i; j++) {
		o = (const struct listener *)ls->v[j];
		if (o->tg == l->tg && o->lb && o->lb != l->lb) {
			diag_error(d, l->tg_at, "InvalidConfigurationRequest",
				   "Target group %s cannot be associated with more than one load balancer (%s forwards to it already)",
				   l->tg->r.name, o->lb->r.name);
			break;
		}
	}
}

static void listener_check(struct lab *lab, struct diags *d)
{
	size_t i;

	for (i = 0; i < lab->res[RES_LISTENER].n; i++)
		listener_check_one(lab, i, d);
}

/* ---- printed back ---------------------------------------------------- */

static void listener_print(struct printer *p, const struct res *res)
{
	const struct listener *l = (const struct listener *)res;

	if (!print_res_ok(p, res))
		return;
	print_block_open(p, res);
	sb_puts(&p->sb, "\tload-balancer");
	print_ref(p, l->lb ? &l->lb->r : NULL, res);
	sb_puts(&p->sb, "\n");
	if (l->protocol == LB_UDP)
		sb_puts(&p->sb, "\tprotocol udp\n");
	sb_printf(&p->sb, "\tport %u\n\tforward", l->port);
	print_ref(p, l->tg ? &l->tg->r : NULL, res);
	sb_puts(&p->sb, "\n");
	print_block_close(p);
}

/* ---- ELBv2 API ------------------------------------------------------- */

/* DescribeListeners' Listener: one forward default action. */
static void listener_describe(struct jb *b, json_t *a, const struct lab *lab,
			      const struct ec2_state *st, time_t now,
			      const struct res *res)
{
	const struct listener *l = (const struct listener *)res;
	json_t *o = jb_add(b, a, jb_obj(b)), *act, *fc, *g;
	char arn[MODEL_ARN_MAX], tg_arn[MODEL_ARN_MAX];

	load_balancer_arn(arn, lab, res);
	jb_put_s(b, o, "ListenerArn", arn);
	load_balancer_arn(arn, lab, &l->lb->r);
	jb_put_s(b, o, "LoadBalancerArn", arn);
	jb_put_i(b, o, "Port", l->port);
	jb_put_s(b, o, "Protocol", lb_protocol_name(l->protocol));
	load_balancer_arn(tg_arn, lab, &l->tg->r);
	act = jb_add(b, jb_put(b, o, "DefaultActions", jb_arr(b)), jb_obj(b));
	jb_put_s(b, act, "Type", "forward");
	jb_put_s(b, act, "TargetGroupArn", tg_arn);
	fc = jb_put(b, act, "ForwardConfig", jb_obj(b));
	g = jb_add(b, jb_put(b, fc, "TargetGroups", jb_arr(b)), jb_obj(b));
	jb_put_s(b, g, "TargetGroupArn", tg_arn);
	jb_put_i(b, g, "Weight", 1);
	jb_put_b(b, jb_put(b, fc, "TargetGroupStickinessConfig", jb_obj(b)),
		 "Enabled", false);
}

static void listener_table(struct strbuf *sb, const json_t *o)
{
	const json_t *act =
		json_array_get(json_object_get(o, "DefaultActions"), 0);

	sb_printf(sb, "  %-4s %-6lld %s -> %s\n", describe_jstr(o, "Protocol"),
		  (long long)json_integer_value(json_object_get(o, "Port")),
		  describe_jstr(o, "LoadBalancerArn"),
		  describe_jstr(act, "TargetGroupArn"));
}

static void listener_details(struct strbuf *sb, const struct lab *lab,
			     const struct res *res)
{
	const struct listener *l = (const struct listener *)res;

	sb_printf(sb, "%s:%u load-balancer=%s forward=%s",
		  lb_protocol_name(l->protocol), l->port, l->lb->r.name,
		  l->tg->r.name);
}

const struct res_type res_type_listener = {
	.keyword = "listener",
	.id_prefix = "listener-",
	.noun = "listener",
	.notfound = "ListenerNotFound",
	.size = sizeof(struct listener),
	.describe_what = "listeners",
	.describe_key = "Listeners",
	.parse = listener_parse,
	.check = listener_check,
	.print = listener_print,
	.describe = listener_describe,
	.table = listener_table,
	.details = listener_details,
};
