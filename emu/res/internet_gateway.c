/* res/internet_gateway.c - the internet gateway and its VPC attachment.
 *
 * An attached gateway is a veth between its VPC's router and the lab's
 * internet namespace (plan.c), where the router translates each public IP
 * to its instance's private IP and back (nftgen.c, R-9.2). At most one
 * gateway per VPC (R-9.1: Resource.AlreadyAssociated); a gateway written
 * without a VPC is detached, as one created and never attached.
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

struct internet_gateway *internet_gateway_of(const struct lab *lab,
					     const struct vpc *v)
{
	const struct res_list *l = &lab->res[RES_INTERNET_GATEWAY];
	size_t i;

	for (i = 0; v && i < l->n; i++)
		if (((struct internet_gateway *)l->v[i])->vpc == v)
			return (struct internet_gateway *)l->v[i];
	return NULL;
}

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

/* ---- EC2 API --------------------------------------------------------- */

static void igw_describe(struct jb *b, json_t *a, const struct lab *lab,
			 const struct ec2_state *st, time_t now,
			 const struct res *res)
{
	const struct internet_gateway *g = (const struct internet_gateway *)res;
	json_t *o = jb_add(b, a, jb_obj(b));
	json_t *att = jb_put(b, o, "Attachments", jb_arr(b));

	if (g->vpc) {
		json_t *x = jb_add(b, att, jb_obj(b));

		jb_put_s(b, x, "State", "available");
		jb_put_s(b, x, "VpcId", g->vpc->r.id);
	}
	jb_put_s(b, o, "InternetGatewayId", g->r.id);
	jb_put_s(b, o, "OwnerId", g->vpc ? describe_owner(lab, g->vpc) :
					   lab->account);
	jb_put_tags(b, o, res);
}

static void igw_table(struct strbuf *sb, const json_t *o)
{
	const json_t *x = json_array_get(json_object_get(o, "Attachments"), 0);

	sb_printf(sb, "  %-24s %-22s %s\n", describe_tag_name(o),
		  describe_jstr(o, "InternetGatewayId"),
		  x ? describe_jstr(x, "VpcId") : "detached");
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
static const char *igw_route_dev(const struct route_table *t,
				 const struct res *target)
{
	const struct internet_gateway *g =
		(const struct internet_gateway *)target;

	return g->vpc ? g->ifname : NULL;
}

bool gateway_route_attached(const struct res *target,
			    const struct ec2_state *st)
{
	if (target->kind == RES_VPN_GATEWAY)
		return ((const struct vpn_gateway *)target)->vpc != NULL;
	return ((const struct internet_gateway *)target)->vpc != NULL;
}

static const struct route_target igw_target = {
	.describe_key = "GatewayId",
	.check = igw_route_check,
	.dev = igw_route_dev,
	.active = gateway_route_attached,
};

const struct res_type res_type_internet_gateway = {
	.keyword = "internet-gateway",
	.id_prefix = "igw-",
	.noun = "internet gateway",
	.notfound = "InvalidInternetGatewayID.NotFound",
	.size = sizeof(struct internet_gateway),
	.describe_what = "internet-gateways",
	.describe_key = "InternetGateways",
	.target = &igw_target,
	.parse = igw_parse,
	.check = igw_check,
	.print = igw_print,
	.describe = igw_describe,
	.table = igw_table,
	.details = igw_details,
};
