/* res/transit_gateway_route_table.c - a transit gateway route table.
 *
 * A kernel table in the gateway's namespace (plan.c), looked up for what
 * enters by the links of the attachments associated with it.
 * Its routes are the static ones written here (a blackhole one drops) and
 * the blocks of the VPCs whose attachments propagate into it; a static
 * route hides a propagated one of the same prefix, and a prefix two
 * attachments propagate goes to the first. Each
 * attachment is associated with one table: an associate line, else the
 * gateway's default table when default association is on; it propagates
 * into the tables whose propagate line names it, else into the default
 * table when default propagation is on.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/describe.h"
#include "vpcemu/restype.h"

/* ---- lab file -------------------------------------------------------- */

/* An attachment by name or ID: a VPC attachment, or a VPN connection's
 * (by the connection's name or either ID). Whether that connection goes
 * to a transit gateway at all is checked later (check_same_tgw). */
static struct tgw_attachment *att_resolve(struct build *b,
					  const struct conf_word *w)
{
	const struct res_list *l = &b->lab->res[RES_VPN_CONNECTION];
	struct res *r = model_find(b->lab, RES_TGW_ATTACHMENT, w->text);
	size_t i;

	if (r)
		return (struct tgw_attachment *)r;
	for (i = 0; i < l->n; i++) {
		struct vpn_connection *c = (struct vpn_connection *)l->v[i];
		struct tgw_attachment *a = vpn_tgw_attachment(b, c);

		if (str_eq(c->r.name, w->text) || !strcmp(c->r.id, w->text) ||
		    !strcmp(a->r.id, w->text))
			return a;
	}
	return (struct tgw_attachment *)model_resolve(b, RES_TGW_ATTACHMENT,
						      w);
}

/* "route CIDR via ATTACHMENT|blackhole" */
static void parse_tgw_route(struct build *b, struct tgw_route_table *t,
			    const struct conf_stmt *st)
{
	struct tgw_route *r;
	struct cidr dst;
	size_t i = 2;

	if (st->n != 4) {
		diag_error(b->d, st->w[0].at, "InvalidParameterValue",
			   "'route' takes a destination and a target: route CIDR via ATTACHMENT|blackhole");
		return;
	}
	if (!model_get_cidr(b, &st->w[1], &dst) ||
	    !model_expect_word(b, st, &i, "via",
			       "route CIDR via ATTACHMENT|blackhole"))
		return;
	r = MODEL_PUSH(b, t->routes, t->nroutes);
	if (!r)
		return;
	r->dst = dst;
	r->at = st->w[0].at;
	r->dst_at = st->w[1].at;
	r->target_at = st->w[3].at;
	if (strcmp(st->w[3].text, "blackhole"))
		r->target = att_resolve(b, &st->w[3]);
}

/* associate / propagate: attachments by name or ID. */
static void parse_att_refs(struct build *b, const struct conf_stmt *st,
			   struct tgw_attachment ***v, size_t *n,
			   struct place **at)
{
	size_t i;

	if (!model_want(b, st, 1, 0))
		return;
	for (i = 1; i < st->n; i++) {
		struct tgw_attachment *a = att_resolve(b, &st->w[i]);
		struct tgw_attachment **slot;

		if (!a)
			continue;
		slot = model_push_at(b, (void **)v, at, n, sizeof(*slot),
				     st->w[i].at);
		if (!slot)
			return;
		*slot = a;
	}
}

static void tgw_rt_parse(struct build *b, struct res *res,
			 const struct conf_block *blk)
{
	static const struct attr attrs[] = {
		{ "transit-gateway", A_REQ },
		{ "associate", A_REP },
		{ "propagate", A_REP },
		{ "route", A_REP },
	};
	enum { R_TGW, R_ASSOC, R_PROP, R_ROUTE };
	struct tgw_route_table *t = (struct tgw_route_table *)res;
	const struct conf_stmt *seen[ARRAY_SIZE(attrs)] = { 0 };
	struct tgw_route_table **slot;
	size_t i;

	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];

		switch (model_attr_find(b, "transit-gateway-route-table", attrs,
					ARRAY_SIZE(attrs), seen, st)) {
		case R_TGW:
			if (!model_want(b, st, 1, 1))
				break;
			t->tgw = (struct transit_gateway *)model_resolve(
				b, RES_TRANSIT_GATEWAY, &st->w[1]);
			t->tgw_at = st->w[1].at;
			break;
		case R_ASSOC:
			parse_att_refs(b, st, &t->assoc, &t->nassoc,
				       &t->assoc_at);
			break;
		case R_PROP:
			parse_att_refs(b, st, &t->prop, &t->nprop,
				       &t->prop_at);
			break;
		case R_ROUTE:
			parse_tgw_route(b, t, st);
			break;
		}
	}
	model_attrs_required(b, res, attrs, ARRAY_SIZE(attrs), seen);
	if (!t->tgw)
		return;
	slot = MODEL_PUSH(b, t->tgw->rts, t->tgw->nrts);
	if (slot)
		*slot = t;
}

/* ---- what the gateway does ------------------------------------------- */

static bool names(struct tgw_attachment *const *v, size_t n,
		  const struct tgw_attachment *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == a)
			return true;
	return false;
}

struct tgw_route_table *tgw_association_of(const struct tgw_attachment *a)
{
	const struct transit_gateway *g = a->tgw;
	size_t i;

	for (i = 0; i < g->nrts; i++)
		if (names(g->rts[i]->assoc, g->rts[i]->nassoc, a))
			return g->rts[i];
	return g->default_association ? g->default_rt : NULL;
}

bool tgw_propagates(const struct tgw_route_table *t,
		    const struct tgw_attachment *a)
{
	const struct transit_gateway *g = a->tgw;
	size_t i;

	if (!t->is_default)
		return names(t->prop, t->nprop, a);
	if (!g->default_propagation)
		return false;
	for (i = 0; i < g->nrts; i++)
		if (names(g->rts[i]->prop, g->rts[i]->nprop, a))
			return false;
	return true;
}

/* What a propagates: its VPC's blocks, or a static VPN connection's
 * static-routes (a BGP connection's routes come from BIRD, svc/vpn.c). */
static size_t att_prefixes(const struct tgw_attachment *a,
			   const struct cidr **ret)
{
	*ret = NULL;
	if (a->vpc) {
		*ret = a->vpc->cidrs;
		return a->vpc->ncidrs;
	}
	if (a->vpn && !a->vpn->bgp) {
		*ret = a->vpn->routes;
		return a->vpn->nroutes;
	}
	return 0;
}

/* Among equal prefixes VPC-propagated routes rank before VPN-propagated
 * ones, then file order. */
static bool ranks_before(const struct transit_gateway *g, size_t x, size_t y)
{
	bool xvpn = g->atts[x]->vpn != NULL, yvpn = g->atts[y]->vpn != NULL;

	return xvpn != yvpn ? !xvpn : x < y;
}

/* Whether t holds a static route to exactly c, or an attachment that
 * ranks before atts[upto] propagates exactly c into t. */
static bool prefix_taken(const struct tgw_route_table *t, size_t upto,
			 struct cidr c)
{
	const struct transit_gateway *g = t->tgw;
	const struct cidr *p;
	size_t i, j, n;

	for (i = 0; i < t->nroutes; i++)
		if (cidr_eq(t->routes[i].dst, c))
			return true;
	for (i = 0; i < g->natts; i++) {
		if (!ranks_before(g, i, upto) || !tgw_propagates(t, g->atts[i]))
			continue;
		n = att_prefixes(g->atts[i], &p);
		for (j = 0; j < n; j++)
			if (cidr_eq(p[j], c))
				return true;
	}
	return false;
}

void tgw_routes(const struct tgw_route_table *t,
		void (*fn)(void *arg, struct cidr dst,
			   const struct tgw_attachment *target,
			   bool propagated),
		void *arg)
{
	const struct transit_gateway *g = t->tgw;
	const struct cidr *p;
	size_t i, j, n;
	int vpn;

	for (i = 0; i < t->nroutes; i++)
		fn(arg, t->routes[i].dst, t->routes[i].target, false);
	for (vpn = 0; vpn < 2; vpn++)
		for (i = 0; g && i < g->natts; i++) {
			const struct tgw_attachment *a = g->atts[i];

			if ((a->vpn != NULL) != vpn || !tgw_propagates(t, a))
				continue;
			n = att_prefixes(a, &p);
			for (j = 0; j < n; j++)
				if (!prefix_taken(t, i, p[j]))
					fn(arg, p[j], a, true);
		}
}

struct reach {
	const struct tgw_attachment *from;
	struct cidr *v;
	size_t n, cap;
	bool oom;
};

static void reach_add(void *arg, struct cidr dst,
		      const struct tgw_attachment *target, bool propagated)
{
	struct reach *r = arg;
	struct cidr *slot;

	(void)propagated;
	if (!target || target == r->from || r->oom)
		return;
	slot = VEC_PUSH(r->v, r->n, r->cap);
	if (slot)
		*slot = dst;
	else
		r->oom = true;
}

ssize_t tgw_reach(const struct tgw_attachment *a, struct cidr **ret)
{
	const struct tgw_route_table *t = tgw_association_of(a);
	struct reach r = { .from = a };

	if (t)
		tgw_routes(t, reach_add, &r);
	if (r.oom) {
		free(r.v);
		return -ENOMEM;
	}
	*ret = r.v;
	return (ssize_t)r.n;
}

/* ---- rules ----------------------------------------------------------- */

/* An attachment named by a table of another gateway; AWS's code for it
 * is unverified. */
static void check_same_tgw(const struct tgw_route_table *t,
			   const struct tgw_attachment *a, struct place at,
			   struct diags *d)
{
	if (a->vpn && !a->tgw)
		diag_error(d, at, "InvalidParameterValue",
			   "vpn-connection '%s' goes to a vpn-gateway, not to transit-gateway '%s' of route table '%s'",
			   a->r.name, t->tgw->r.name, t->r.name);
	else if (a->tgw && a->tgw != t->tgw)
		diag_error(d, at, "InvalidParameterValue",
			   "Transit gateway attachment '%s' (%s) is of transit-gateway '%s', not of '%s' that route table '%s' belongs to",
			   a->r.name, a->r.id, a->tgw->r.name, t->tgw->r.name,
			   t->r.name);
}

/* one association per attachment, across every table. */
static void check_assoc_once(const struct lab *lab, size_t ti, size_t k,
			     struct diags *d)
{
	const struct res_list *l = &lab->res[RES_TGW_ROUTE_TABLE];
	const struct tgw_route_table *t =
		(const struct tgw_route_table *)l->v[ti];
	const struct tgw_attachment *a = t->assoc[k];
	size_t i, j;

	for (i = 0; i <= ti; i++) {
		const struct tgw_route_table *o =
			(const struct tgw_route_table *)l->v[i];

		for (j = 0; j < (i == ti ? k : o->nassoc); j++) {
			if (o->assoc[j] != a)
				continue;
			diag_error(d, t->assoc_at[k], "Resource.AlreadyAssociated",
				   "Transit Gateway Attachment %s is already associated to a route table. (%s, by '%s')",
				   a->r.id, a->r.name, o->r.name);
			return;
		}
	}
}

static void check_tgw_rt(const struct lab *lab, size_t ti, struct diags *d)
{
	const struct tgw_route_table *t =
		(const struct tgw_route_table *)lab->res[RES_TGW_ROUTE_TABLE]
			.v[ti];
	char buf[CIDR_BUF];
	size_t i, j;

	for (i = 0; i < t->nassoc; i++) {
		check_same_tgw(t, t->assoc[i], t->assoc_at[i], d);
		check_assoc_once(lab, ti, i, d);
	}
	for (i = 0; i < t->nprop; i++) {
		check_same_tgw(t, t->prop[i], t->prop_at[i], d);
		for (j = 0; j < i; j++)
			if (t->prop[j] == t->prop[i]) {
				/* The code is unverified. */
				diag_error(d, t->prop_at[i],
					   "TransitGatewayRouteTablePropagation.Duplicate",
					   "Transit Gateway Attachment %s (%s) already propagates to route table %s",
					   t->prop[i]->r.id,
					   t->prop[i]->r.name, t->r.id);
				break;
			}
	}
	for (i = 0; i < t->nroutes; i++) {
		const struct tgw_route *r = &t->routes[i];

		if (r->target)
			check_same_tgw(t, r->target,
				       check_pick(r->target_at, r->at), d);
		for (j = 0; j < i; j++)
			if (cidr_eq(t->routes[j].dst, r->dst)) {
				diag_error(d, check_pick(r->dst_at, r->at),
					   "RouteAlreadyExists",
					   "Route %s already exists in Transit Gateway Route Table %s.",
					   cidr_fmt(r->dst, buf), t->r.id);
				break;
			}
	}
}

static void tgw_rt_check(struct lab *lab, struct diags *d)
{
	size_t i;

	for (i = 0; i < lab->res[RES_TGW_ROUTE_TABLE].n; i++)
		if (((const struct tgw_route_table *)
			     lab->res[RES_TGW_ROUTE_TABLE].v[i])->tgw)
			check_tgw_rt(lab, i, d);
}

/* ---- printed back ---------------------------------------------------- */

static void print_att_list(struct printer *p, const char *kw,
			   struct tgw_attachment *const *v, size_t n,
			   const struct res *r)
{
	size_t i;

	if (!n)
		return;
	sb_printf(&p->sb, "\t%s", kw);
	for (i = 0; i < n; i++)
		print_ref(p, &v[i]->r, r);
	sb_puts(&p->sb, "\n");
}

/* The default table is not written: its gateway's options make it. */
static void tgw_rt_print(struct printer *p, const struct res *res)
{
	const struct tgw_route_table *t = (const struct tgw_route_table *)res;
	size_t i;

	if (t->is_default || !print_res_ok(p, res))
		return;
	print_block_open(p, res);
	sb_puts(&p->sb, "\ttransit-gateway");
	print_ref(p, t->tgw ? &t->tgw->r : NULL, res);
	sb_puts(&p->sb, "\n");
	print_att_list(p, "associate", t->assoc, t->nassoc, res);
	print_att_list(p, "propagate", t->prop, t->nprop, res);
	for (i = 0; i < t->nroutes; i++) {
		sb_puts(&p->sb, "\troute");
		print_cidr(p, t->routes[i].dst);
		sb_puts(&p->sb, " via");
		if (t->routes[i].target)
			print_ref(p, &t->routes[i].target->r, res);
		else
			sb_puts(&p->sb, " blackhole");
		sb_puts(&p->sb, "\n");
	}
	print_block_close(p);
}

/* ---- EC2 API --------------------------------------------------------- */

/* DescribeTransitGatewayRouteTables. */
static void tgw_rt_describe(struct jb *b, json_t *a, const struct lab *lab,
			    const struct ec2_state *st, time_t now,
			    const struct res *res)
{
	const struct tgw_route_table *t = (const struct tgw_route_table *)res;
	json_t *o = jb_add(b, a, jb_obj(b));

	jb_put_b(b, o, "DefaultAssociationRouteTable",
		 t->is_default && t->tgw->default_association);
	jb_put_b(b, o, "DefaultPropagationRouteTable",
		 t->is_default && t->tgw->default_propagation);
	jb_put_s(b, o, "State", "available");
	jb_put_s(b, o, "TransitGatewayId", t->tgw->r.id);
	jb_put_s(b, o, "TransitGatewayRouteTableId", t->r.id);
	jb_put_tags(b, o, res);
}

static void tgw_rt_table(struct strbuf *sb, const json_t *o)
{
	sb_printf(sb, "  %-24s %-26s %s%s\n", describe_tag_name(o),
		  describe_jstr(o, "TransitGatewayRouteTableId"),
		  describe_jstr(o, "TransitGatewayId"),
		  json_is_true(json_object_get(o,
					       "DefaultAssociationRouteTable")) ||
			  json_is_true(json_object_get(
				  o, "DefaultPropagationRouteTable"))
		      ? " default"
		      : "");
}

static void detail_route(void *arg, struct cidr dst,
			 const struct tgw_attachment *target, bool propagated)
{
	char buf[CIDR_BUF];

	sb_printf(arg, " %s->%s(%s)", cidr_fmt(dst, buf),
		  target ? target->r.id : "blackhole",
		  propagated ? "propagated" : "static");
}

static void tgw_rt_details(struct strbuf *sb, const struct lab *lab,
			   const struct res *res)
{
	const struct tgw_route_table *t = (const struct tgw_route_table *)res;
	const struct transit_gateway *g = t->tgw;
	const char *sep = " associate=";
	size_t i;

	sb_printf(sb, "transit-gateway=%s%s", g->r.name,
		  t->is_default ? " default" : "");
	for (i = 0; i < g->natts; i++)
		if (tgw_association_of(g->atts[i]) == t) {
			sb_printf(sb, "%s%s", sep, g->atts[i]->r.name);
			sep = ",";
		}
	sep = " propagate=";
	for (i = 0; i < g->natts; i++)
		if (tgw_propagates(t, g->atts[i])) {
			sb_printf(sb, "%s%s", sep, g->atts[i]->r.name);
			sep = ",";
		}
	tgw_routes(t, detail_route, sb);
}

static void tgw_rt_free(struct res *res)
{
	struct tgw_route_table *t = (struct tgw_route_table *)res;

	free(t->assoc);
	free(t->assoc_at);
	free(t->prop);
	free(t->prop_at);
	free(t->routes);
}

const struct res_type res_type_transit_gateway_route_table = {
	.keyword = "transit-gateway-route-table",
	.id_prefix = "tgw-rtb-",
	.noun = "transit gateway route table",
	.notfound = "InvalidRouteTableID.NotFound",
	.size = sizeof(struct tgw_route_table),
	.describe_what = "transit-gateway-route-tables",
	.describe_key = "TransitGatewayRouteTables",
	.parse = tgw_rt_parse,
	.check = tgw_rt_check,
	.print = tgw_rt_print,
	.describe = tgw_rt_describe,
	.table = tgw_rt_table,
	.details = tgw_rt_details,
	.free = tgw_rt_free,
};
