/* res/route_table.c - the route table: routes and subnet associations.
 *
 * A routing table in the router namespace (plan.c). A route's target is
 * any kind whose struct res_type has a struct route_target (restype.h):
 * this file knows none of them by type.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/describe.h"
#include "vpcemu/restype.h"

#define ROUTE_TABLES_PER_VPC_MAX 200 /* main included */
#define ROUTES_PER_TABLE_MAX 50	     /* */

/* ---- lab file -------------------------------------------------------- */

static void parse_route(struct build *b, struct route_table *t,
			const struct conf_stmt *st)
{
	const struct conf_word *tw;
	struct suggest s;
	struct route *r;
	struct res *res;
	struct cidr dst;
	size_t i = 2, k, j;

	if (st->n < 2) {
		diag_error(
		    b->d, st->w[0].at, "InvalidParameterValue",
		    "'route' needs a destination and a target: route CIDR via TARGET");
		return;
	}
	if (!model_get_cidr(b, &st->w[1], &dst))
		return;
	if (!model_expect_word(b, st, &i, "via", "route CIDR via TARGET"))
		return;
	if (i >= st->n) {
		diag_error(
		    b->d, st->w[i - 1].at, "InvalidParameterValue",
		    "'via' needs a target: a peering, an instance, a gateway endpoint or blackhole");
		return;
	}
	if (i + 1 < st->n) {
		diag_error(b->d, st->w[i + 1].at, "InvalidParameterValue",
			   "Unexpected '%s': a route has one target",
			   st->w[i + 1].text);
		return;
	}
	tw = &st->w[i];
	r = MODEL_PUSH(b, t->routes, t->nroutes);
	if (!r)
		return;
	r->dst = dst;
	r->at = st->w[0].at;
	r->dst_at = st->w[1].at;
	r->target_at = tw->at;
	/* Unresolved targets drop, so a partial model stays harmless. */
	r->target = NULL;
	if (!strcmp(tw->text, "blackhole"))
		return;
	if (!strcmp(tw->text, "local")) {
		diag_error(
		    b->d, tw->at, "InvalidParameterValue",
		    "The local route of each VPC block is implicit and cannot be written");
		return;
	}
	res = model_find(b->lab, RES__COUNT, tw->text);
	if (res && res_types[res->kind]->target) {
		r->target = res;
		return;
	}
	if (res) {
		diag_error(
		    b->d, tw->at, "Vpcemu.UnknownReference",
		    "'%s' is a %s, not a route target (a peering, an instance, a gateway endpoint or blackhole)",
		    tw->text, res_types[res->kind]->noun);
		return;
	}
	if (model_name_lookup(b, tw->text))
		return; /* a block of a type not supported yet */
	s = (struct suggest){ .word = tw->text };
	model_suggest(&s, "blackhole");
	for (k = 0; k < RES__COUNT; k++) {
		if (!res_types[k]->target)
			continue;
		for (j = 0; j < b->lab->res[k].n; j++)
			model_suggest(&s, b->lab->res[k].v[j]->name);
	}
	/* An ID says what it should have been; a name does not. */
	for (k = 0; k < RES__COUNT; k++) {
		const char *p = res_types[k]->id_prefix;

		if (res_types[k]->target && !strncmp(tw->text, p, strlen(p))) {
			model_err_suggest(b, tw->at, res_types[k]->notfound, &s,
					  "The %s ID '%s' does not exist",
					  res_types[k]->noun, tw->text);
			return;
		}
	}
	model_err_suggest(b, tw->at, "Vpcemu.UnknownReference", &s,
			  "The route target '%s' does not exist", tw->text);
}

static void route_table_parse(struct build *b, struct res *res,
			      const struct conf_block *blk)
{
	struct route_table *t = (struct route_table *)res;
	static const struct attr attrs[] = {
	    {"vpc", A_REQ},
	    {"main", 0},
	    {"associate", A_REP},
	    {"route", A_REP},
	    {"propagate", A_REP},
	};
	enum { T_VPC, T_MAIN, T_ASSOC, T_ROUTE, T_PROP };
	const struct conf_stmt *seen[ARRAY_SIZE(attrs)] = { 0 };
	size_t i;

	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];

		switch (model_attr_find(b, "route-table", attrs,
					ARRAY_SIZE(attrs), seen, st)) {
		case T_VPC:
			if (model_want(b, st, 1, 1))
				t->vpc = (struct vpc *)model_resolve(b, RES_VPC,
								     &st->w[1]);
			break;
		case T_MAIN:
			if (model_want(b, st, 1, 1))
				model_get_bool(b, &st->w[1], &t->main);
			break;
		case T_ASSOC:
			model_parse_assoc(b, st, &t->assoc, &t->nassoc,
					  &t->assoc_at);
			break;
		case T_ROUTE:
			parse_route(b, t, st);
			break;
		case T_PROP:
			model_parse_refs(b, st, RES_VPN_GATEWAY, &t->prop,
					 &t->nprop, &t->prop_at);
			break;
		}
	}
	model_attrs_required(b, &t->r, attrs, ARRAY_SIZE(attrs), seen);
}

/* ---- rules ----------------------------------------------------------- */

static void rt_assoc_view(const struct res *r, struct check_assoc *ret)
{
	const struct route_table *t = (const struct route_table *)r;

	*ret = (struct check_assoc){ r, t->vpc, t->assoc, t->nassoc,
				     t->assoc_at };
}

static void check_route(struct route_table *t, size_t n, struct lab *lab,
			struct diags *d)
{
	const struct route *r = &t->routes[n];
	struct vpc *v = t->vpc;
	struct place dst_at = check_pick(r->dst_at, r->at);
	struct place target_at = check_pick(r->target_at, r->at);
	char buf[CIDR_BUF];
	bool inside = false, equal = false, subnet = false;
	size_t i;

	cidr_fmt(r->dst, buf);

	/* one route per destination in a table. */
	for (i = 0; i < n; i++)
		if (cidr_eq(t->routes[i].dst, r->dst)) {
			diag_error(d, dst_at, "RouteAlreadyExists",
				   "The route identified by %s already exists.",
				   buf);
			break;
		}

	/* 169.254.168.0/22 is EC2's own (IMDS, DNS). */
	if (cidr_contains(CIDR(169, 254, 168, 0, 22), r->dst))
		diag_error(
		    d, dst_at, "InvalidParameterValue",
		    "The destination CIDR block %s is equal to or more specific than 169.254.168.0/22, which is reserved for EC2 services such as the instance metadata service and DNS.",
		    buf);

	for (i = 0; i < v->ncidrs; i++) {
		if (cidr_contains(v->cidrs[i], r->dst))
			inside = true;
		if (cidr_eq(v->cidrs[i], r->dst))
			equal = true;
	}
	for (i = 0; i < lab->nsubnets; i++)
		if (lab->subnets[i]->vpc == v &&
		    cidr_eq(lab->subnets[i]->cidr, r->dst))
			subnet = true;

	/* inside the VPC only an instance may be the target,
	 * and only for a subnet's exact block. The block itself is the local
	 * route, which vpcemu keeps fixed (R-3.3, vpcemu). */
	if (inside && !(r->target && r->target->kind == RES_INSTANCE))
		diag_error(
		    d, dst_at, "InvalidParameterValue",
		    "The destination CIDR block %s is equal to or more specific than one of this VPC's CIDR blocks. This route can target only an interface or an instance.",
		    buf);
	else if (equal)
		diag_error(
		    d, dst_at, "RouteAlreadyExists",
		    "The route identified by %s already exists. (It is the local route of %s, which vpcemu does not let you replace.)",
		    buf, v->r.name);
	else if (inside && !subnet)
		diag_error(
		    d, dst_at, "InvalidParameterValue",
		    "Route destination doesn't match any subnet CIDR blocks: %s is inside %s, so it must equal one of its subnets' blocks.",
		    buf, v->r.name);

	if (r->target)
		res_types[r->target->kind]->target->check(t, r, target_at, d);
}

/* Quotas that count implicit resources (R-1.12: the main route table, the
 * default ACL) blame only written ones; the model lists implicit ones after
 * their VPC's written ones. These return how many tables (ACLs) of the same
 * VPC count before element i, every implicit one included, or SIZE_MAX
 * when i is implicit itself. */
static size_t rt_quota_rank(const struct lab *lab, size_t i)
{
	const struct route_table *t = lab->route_tables[i];
	size_t j, rank = 0;

	if (t->r.implicit)
		return SIZE_MAX;
	for (j = 0; j < lab->nroute_tables; j++) {
		const struct route_table *o = lab->route_tables[j];

		if (o->vpc == t->vpc && (j < i || o->r.implicit))
			rank++;
	}
	return rank;
}

static void check_route_tables(struct lab *lab, struct diags *d)
{
	size_t i, j, k;

	for (i = 0; i < lab->nroute_tables; i++) {
		struct route_table *t = lab->route_tables[i];
		if (!t->vpc)
			continue;
		/* 200 route tables per VPC, the main one included. */
		if (rt_quota_rank(lab, i) == ROUTE_TABLES_PER_VPC_MAX)
			diag_error(
			    d, t->r.at, "RouteTableLimitExceeded",
			    "The maximum number of route tables has been reached. (%d per VPC, the main one included; %s is one too many in %s)",
			    ROUTE_TABLES_PER_VPC_MAX, t->r.name,
			    t->vpc->r.name);

		/* one main table per VPC. The implicit one gives way
		 * to a written "main yes", so only written ones compete. */
		if (t->main && !t->r.implicit)
			for (j = 0; j < i; j++) {
				struct route_table *o = lab->route_tables[j];

				if (o->vpc != t->vpc || !o->main ||
				    o->r.implicit)
					continue;
				diag_error(
				    d, t->r.at, "Vpcemu.MainRouteTableConflict",
				    "VPC %s already has main route table %s; %s cannot be main too",
				    t->vpc->r.name, o->r.name, t->r.name);
				break;
			}

		/* 50 routes per table. */
		if (t->nroutes > ROUTES_PER_TABLE_MAX)
			diag_error(
			    d, t->routes[ROUTES_PER_TABLE_MAX].at,
			    "RouteLimitExceeded",
			    "The maximum number of routes has been reached. (%d per route table; %s has %zu)",
			    ROUTES_PER_TABLE_MAX, t->r.name, t->nroutes);

		for (k = 0; k < t->nroutes; k++)
			check_route(t, k, lab, d);
		/* EnableVgwRoutePropagation of a gateway attached elsewhere. */
		for (k = 0; k < t->nprop; k++)
			if (t->prop[k]->vpc != t->vpc)
				diag_error(
				    d, t->prop_at[k], "Gateway.NotAttached",
				    "resource %s is not attached to network %s (route table %s propagates vpn-gateway %s)",
				    t->prop[k]->r.id, t->vpc->r.id, t->r.name,
				    t->prop[k]->r.name);
	}
	check_assocs(lab, RES_ROUTE_TABLE, rt_assoc_view, d);
}

/* ---- printed back ---------------------------------------------------- */

static void print_route(struct printer *p, const struct route_table *t,
			const struct route *rt)
{
	sb_puts(&p->sb, "\troute");
	print_cidr(p, rt->dst);
	sb_puts(&p->sb, " via");
	if (!rt->target) {
		sb_puts(&p->sb, " blackhole\n");
		return;
	}
	print_ref(p, rt->target, &t->r);
	sb_puts(&p->sb, "\n");
}

static void route_table_print(struct printer *p, const struct res *res)
{
	const struct route_table *t = (const struct route_table *)res;
	size_t i;

	if (t->r.implicit) {
		print_check_implicit_rt(p, t);
		return;
	}
	if (!print_res_ok(p, &t->r))
		return;
	print_block_open(p, &t->r);
	sb_puts(&p->sb, "\tvpc");
	print_ref(p, t->vpc ? &t->vpc->r : NULL, &t->r);
	sb_puts(&p->sb, "\n");
	if (t->main)
		sb_puts(&p->sb, "\tmain yes\n");
	print_subnet_list(p, "associate", t->assoc, t->nassoc, &t->r);
	for (i = 0; i < t->nroutes; i++)
		print_route(p, t, &t->routes[i]);
	for (i = 0; i < t->nprop; i++) {
		sb_puts(&p->sb, "\tpropagate");
		print_ref(p, &t->prop[i]->r, &t->r);
		sb_puts(&p->sb, "\n");
	}
	print_block_close(p);
}

/* ---- EC2 API --------------------------------------------------------- */

/* The first gateway endpoint from lab->endpoints[*i] on that routes
 * through t (its index in *i), or NULL. */
static const struct endpoint *gateway_endpoint_of(const struct lab *lab,
						  const struct route_table *t,
						  size_t *i)
{
	size_t j;

	for (; *i < lab->nendpoints; (*i)++) {
		const struct endpoint *e = lab->endpoints[*i];

		for (j = 0; e->type == ENDPOINT_GATEWAY &&
			    j < e->nroute_tables; j++)
			if (e->route_tables[j] == t)
				return e;
	}
	return NULL;
}

static json_t *rt_json(struct jb *b, const struct lab *lab,
		       const struct ec2_state *st, const struct route_table *t)
{
	json_t *o = jb_obj(b), *as, *rs, *x;
	const struct endpoint *e;
	char id[MODEL_ID_MAX];
	size_t i;

	as = jb_put(b, o, "Associations", jb_arr(b));
	if (t->vpc && t->vpc->main_rt == t) {
		x = jb_add(b, as, jb_obj(b));
		describe_assoc_id(lab, t->r.id, "main", id);
		jb_put_b(b, x, "Main", true);
		jb_put_s(b, x, "RouteTableAssociationId", id);
		jb_put_s(b, x, "RouteTableId", t->r.id);
		jb_put(b, x, "AssociationState",
		       json_pack("{s:s}", "State", "associated"));
	}
	for (i = 0; i < t->nassoc; i++) {
		x = jb_add(b, as, jb_obj(b));
		describe_assoc_id(lab, t->r.id, t->assoc[i]->r.id, id);
		jb_put_b(b, x, "Main", false);
		jb_put_s(b, x, "RouteTableAssociationId", id);
		jb_put_s(b, x, "RouteTableId", t->r.id);
		jb_put_s(b, x, "SubnetId", t->assoc[i]->r.id);
		jb_put(b, x, "AssociationState",
		       json_pack("{s:s}", "State", "associated"));
	}
	jb_put_s(b, o, "OwnerId", describe_owner(lab, t->vpc));
	jb_put(b, o, "PropagatingVgws", jb_arr(b));
	jb_put_s(b, o, "RouteTableId", t->r.id);
	rs = jb_put(b, o, "Routes", jb_arr(b));
	for (i = 0; t->vpc && i < t->vpc->ncidrs; i++) {
		x = jb_add(b, rs, jb_obj(b));
		jb_put_cidr(b, x, "DestinationCidrBlock", t->vpc->cidrs[i]);
		jb_put_s(b, x, "GatewayId", "local");
		jb_put_s(b, x, "Origin", "CreateRouteTable");
		jb_put_s(b, x, "State", "active");
	}
	for (i = 0; i < t->nroutes; i++) {
		const struct route *r = &t->routes[i];
		bool active = true;

		x = jb_add(b, rs, jb_obj(b));
		jb_put_cidr(b, x, "DestinationCidrBlock", r->dst);
		if (r->target) {
			const struct route_target *rt =
			    res_types[r->target->kind]->target;

			jb_put_s(b, x, rt->describe_key, r->target->id);
			if (rt->describe)
				rt->describe(b, x, lab, t, r->target);
			active = rt->active(r->target, st);
		} else {
			active = false;
		}
		jb_put_s(b, x, "Origin", "CreateRoute");
		jb_put_s(b, x, "State", active ? "active" : "blackhole");
	}
	/* Gateway endpoints add their prefix-list route. */
	for (i = 0; (e = gateway_endpoint_of(lab, t, &i)); i++) {
		x = jb_add(b, rs, jb_obj(b));
		gateway_prefix_list_id(id, e->service);
		jb_put_s(b, x, "DestinationPrefixListId", id);
		jb_put_s(b, x, "GatewayId", e->r.id);
		jb_put_s(b, x, "Origin", "CreateRoute");
		jb_put_s(b, x, "State", "active");
	}
	jb_put_tags(b, o, &t->r);
	jb_put_s(b, o, "VpcId", t->vpc ? t->vpc->r.id : "");
	return o;
}

/* A route table row with its associations and routes. */
static void route_table_table(struct strbuf *sb, const json_t *o)
{
	const json_t *x;
	size_t j;

	sb_printf(sb, "  %-24s %-22s %s\n", describe_tag_name(o),
		  describe_jstr(o, "RouteTableId"), describe_jstr(o, "VpcId"));
	json_array_foreach(json_object_get(o, "Associations"), j, x)
		sb_printf(sb, "    assoc   %s\n",
			  json_is_true(json_object_get(x, "Main")) ?
				  "main" : describe_jstr(x, "SubnetId"));
	json_array_foreach(json_object_get(o, "Routes"), j, x) {
		const char *tg = describe_jstr(x, "GatewayId");
		const char *dst = describe_jstr(x, "DestinationCidrBlock");

		if (!*tg)
			tg = describe_jstr(x, "VpcPeeringConnectionId");
		if (!*tg)
			tg = describe_jstr(x, "InstanceId");
		if (!*tg)
			tg = "blackhole";
		if (!*dst)
			dst = describe_jstr(x, "DestinationPrefixListId");
		sb_printf(sb, "    route   %-18s -> %-24s %s\n", dst, tg,
			  describe_jstr(x, "State"));
	}
}

static void route_table_details(struct strbuf *sb, const struct lab *lab,
				const struct res *r)
{
	const struct route_table *t = (const struct route_table *)r;
	const struct endpoint *e;
	char ip[CIDR_BUF], id[MODEL_ID_MAX];
	size_t i;

	sb_printf(sb, "vpc=%s%s", t->vpc->r.name, t->main ? " main" : "");
	for (i = 0; i < t->vpc->ncidrs; i++)
		sb_printf(sb, " %s->local", cidr_fmt(t->vpc->cidrs[i], ip));
	for (i = 0; i < t->nroutes; i++) {
		const struct route *rt = &t->routes[i];
		const char *target = "blackhole", *state = "active";

		if (rt->target) {
			target = rt->target->id;
			if (!res_types[rt->target->kind]->target->active(
				rt->target, NULL))
				state = "blackhole";
		} else {
			state = "blackhole";
		}
		sb_printf(sb, " %s->%s(%s)", cidr_fmt(rt->dst, ip), target,
			  state);
	}
	for (i = 0; (e = gateway_endpoint_of(lab, t, &i)); i++) {
		gateway_prefix_list_id(id, e->service);
		sb_printf(sb, " %s->%s(active)", id, e->r.id);
	}
}

static void route_table_describe(struct jb *b, json_t *a, const struct lab *lab,
				 const struct ec2_state *st, time_t now,
				 const struct res *r)
{
	jb_add(b, a, rt_json(b, lab, st, (const struct route_table *)r));
}

static void route_table_free(struct res *r)
{
	struct route_table *t = (struct route_table *)r;

	free(t->assoc);
	free(t->assoc_at);
	free(t->routes);
	free(t->prop);
	free(t->prop_at);
}

const struct res_type res_type_route_table = {
	.keyword = "route-table",
	.id_prefix = "rtb-",
	.noun = "route table",
	.notfound = "InvalidRouteTableID.NotFound",
	.size = sizeof(struct route_table),
	.describe_what = "route-tables",
	.describe_key = "RouteTables",
	.parse = route_table_parse,
	.check = check_route_tables,
	.print = route_table_print,
	.describe = route_table_describe,
	.table = route_table_table,
	.details = route_table_details,
	.free = route_table_free,
};
