/* res/internet_gateway.c - the internet gateway and its VPC attachment.
 *
 * An attached gateway is a veth between its VPC's router and the lab's
 * internet namespace (plan.c), where the router translates each public IP
 * to its instance's private IP and back (nftgen.c, R-9.2). At most one
 * gateway per VPC (R-9.1: Resource.AlreadyAssociated); a gateway written
 * without a VPC is detached, as one created and never attached. Not in
 * `vpcemu describe` yet.
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

static void igw_parse(struct build *b, struct res *res,
		      const struct conf_block *blk)
{
	static const struct attr attrs[] = { { "vpc", 0 } };
	struct internet_gateway *g = (struct internet_gateway *)res;
	const struct conf_stmt *seen[ARRAY_SIZE(attrs)] = { 0 };
	size_t i;

	snprintf(g->ifname, sizeof(g->ifname), "igw-%.8s", g->r.id + 4);
	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];

		if (model_attr_find(b, "internet-gateway", attrs,
				    ARRAY_SIZE(attrs), seen, st) < 0 ||
		    !model_want(b, st, 1, 1))
			continue;
		g->vpc = (struct vpc *)model_resolve(b, RES_VPC, &st->w[1]);
		g->vpc_at = st->w[1].at;
	}
}

/* ---- rules ----------------------------------------------------------- */

/* AttachInternetGateway refuses a second gateway on a VPC. */
static void igw_check(struct lab *lab, struct diags *d)
{
	const struct res_list *l = &lab->res[RES_INTERNET_GATEWAY];
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		const struct internet_gateway *g =
		    (const struct internet_gateway *)l->v[i];

		for (j = 0; g->vpc && j < i; j++) {
			const struct internet_gateway *o =
			    (const struct internet_gateway *)l->v[j];

			if (o->vpc != g->vpc)
				continue;
			diag_error(
			    d, check_pick(g->vpc_at, g->r.at),
			    "Resource.AlreadyAssociated",
			    "resource %s is already associated with internet gateway %s (%s)",
			    g->vpc->r.id, o->r.id, o->r.name);
			break;
		}
	}
}

/* ---- printed back ---------------------------------------------------- */

static void igw_print(struct printer *p, const struct res *res)
{
	const struct internet_gateway *g = (const struct internet_gateway *)res;

	if (!print_res_ok(p, res))
		return;
	print_block_open(p, res);
	if (g->vpc) {
		sb_puts(&p->sb, "\tvpc");
		print_ref(p, &g->vpc->r, res);
		sb_puts(&p->sb, "\n");
	}
	print_block_close(p);
}

static void igw_details(struct strbuf *sb, const struct lab *lab,
			const struct res *res)
{
	const struct internet_gateway *g = (const struct internet_gateway *)res;

	if (g->vpc)
		sb_printf(sb, "vpc=%s", g->vpc->r.name);
	else
		sb_puts(sb, "detached");
}

/* ---- route target ---------------------------------------------------- */

/* CreateRoute to a gateway not attached to the table's VPC. */
static void igw_route_check(const struct route_table *t, const struct route *r,
			    struct place at, struct diags *d)
{
	const struct internet_gateway *g =
	    (const struct internet_gateway *)r->target;

	if (g->vpc != t->vpc)
		diag_error(
		    d, at, "InvalidParameterValue",
		    "route table %s and network gateway %s belong to different networks",
		    t->r.id, g->r.id);
}

/* The veth to the lab's internet namespace; a detached gateway (which
 * check refuses as a target) would drop. */
static const char *igw_route_dev(const struct res *target)
{
	const struct internet_gateway *g =
		(const struct internet_gateway *)target;

	return g->vpc ? g->ifname : NULL;
}

static bool igw_route_active(const struct res *target,
			     const struct ec2_state *st)
{
	return ((const struct internet_gateway *)target)->vpc != NULL;
}

static const struct route_target igw_target = {
	.describe_key = "GatewayId",
	.check = igw_route_check,
	.dev = igw_route_dev,
	.active = igw_route_active,
};

const struct res_type res_type_internet_gateway = {
	.keyword = "internet-gateway",
	.id_prefix = "igw-",
	.noun = "internet gateway",
	.notfound = "InvalidInternetGatewayID.NotFound",
	.size = sizeof(struct internet_gateway),
	.target = &igw_target,
	.parse = igw_parse,
	.check = igw_check,
	.print = igw_print,
	.details = igw_details,
};
