/* res/vpn_gateway.c - the virtual private gateway.
 *
 * A namespace "LAB-NAME" (plan.c) joined to its VPC's router by one veth
 * named by its ID at both ends, and to the AWS end of each tunnel of its
 * connections (res/vpn_connection.c). It picks a live tunnel for what the
 * VPC sends on-premises and hands what the tunnels bring to the VPC. The
 * VPC's route tables reach it by `propagate VGW` (the connections' routes)
 * or by a route `via VGW`.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/restype.h"

#define VGW_ASN_DEFAULT 64512UL

enum { V_VPC, V_ASN };

static const struct attr vgw_attrs[] = {
	[V_VPC] = { "vpc", 0 },
	[V_ASN] = { "asn", 0 },
};

static void vgw_parse(struct build *b, struct res *res,
		      const struct conf_block *blk)
{
	struct vpn_gateway *g = (struct vpn_gateway *)res;
	const struct conf_stmt *seen[ARRAY_SIZE(vgw_attrs)] = { 0 };
	size_t i;

	g->asn = VGW_ASN_DEFAULT;
	g->asn_at = g->vpc_at = g->r.at;
	snprintf(g->ifname, sizeof(g->ifname), "vgw-%.8s", g->r.id + 4);
	g->netns = model_printf(b, "%s-%s", b->lab->name, g->r.name);
	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];
		int a = model_attr_find(b, "vpn-gateway", vgw_attrs,
					ARRAY_SIZE(vgw_attrs), seen, st);

		if (a < 0 || !model_want(b, st, 1, 1))
			continue;
		if (a == V_ASN) {
			model_parse_amazon_asn(b, &st->w[1], &g->asn,
					       &g->asn_at);
		} else {
			g->vpc = (struct vpc *)model_resolve(b, RES_VPC,
							     &st->w[1]);
			g->vpc_at = st->w[1].at;
		}
	}
}

static void vgw_check(struct lab *lab, struct diags *d)
{
	const struct res_list *l = &lab->res[RES_VPN_GATEWAY];
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		const struct vpn_gateway *g =
			(const struct vpn_gateway *)l->v[i];

		check_amazon_asn(d, g->asn, g->asn_at, "vpn-gateway",
				 g->r.name);
		/* A VPC has at most one virtual private gateway. */
		for (j = 0; g->vpc && j < i; j++) {
			const struct vpn_gateway *o =
				(const struct vpn_gateway *)l->v[j];

			if (o->vpc != g->vpc)
				continue;
			diag_error(d, g->vpc_at, "Resource.AlreadyAssociated",
				   "VPC %s already has vpn-gateway %s attached",
				   g->vpc->r.name, o->r.name);
			break;
		}
	}
}

static void vgw_print(struct printer *p, const struct res *res)
{
	const struct vpn_gateway *g = (const struct vpn_gateway *)res;

	if (!print_res_ok(p, res))
		return;
	print_block_open(p, res);
	if (g->vpc) {
		sb_puts(&p->sb, "\tvpc");
		print_ref(p, &g->vpc->r, res);
		sb_puts(&p->sb, "\n");
	}
	if (g->asn != VGW_ASN_DEFAULT)
		sb_printf(&p->sb, "\tasn %lu\n", g->asn);
	print_block_close(p);
}

/* DescribeVpnGateways */
static void vgw_describe(struct jb *b, json_t *a, const struct lab *lab,
			 const struct ec2_state *st, time_t now,
			 const struct res *res)
{
	const struct vpn_gateway *g = (const struct vpn_gateway *)res;
	json_t *o = jb_add(b, a, jb_obj(b));
	json_t *atts = jb_put(b, o, "VpcAttachments", jb_arr(b));

	jb_put_i(b, o, "AmazonSideAsn", (long long)g->asn);
	jb_put_s(b, o, "State", "available");
	jb_put_s(b, o, "Type", "ipsec.1");
	if (g->vpc) {
		json_t *x = jb_add(b, atts, jb_obj(b));

		jb_put_s(b, x, "State", "attached");
		jb_put_s(b, x, "VpcId", g->vpc->r.id);
	}
	jb_put_s(b, o, "VpnGatewayId", g->r.id);
	jb_put_tags(b, o, res);
}

static void vgw_table(struct strbuf *sb, const json_t *o)
{
	const json_t *x = json_array_get(json_object_get(o, "VpcAttachments"),
					 0);

	sb_printf(sb, "  %-24s %-22s %-22s asn %lld\n", describe_tag_name(o),
		  describe_jstr(o, "VpnGatewayId"),
		  x ? describe_jstr(x, "VpcId") : "detached",
		  json_integer_value(json_object_get(o, "AmazonSideAsn")));
}

static void vgw_details(struct strbuf *sb, const struct lab *lab,
			const struct res *res)
{
	const struct vpn_gateway *g = (const struct vpn_gateway *)res;

	sb_printf(sb, "vpc=%s asn=%lu netns=%s",
		  g->vpc ? g->vpc->r.name : "-", g->asn, g->netns);
}

static void vgw_free(struct res *r)
{
	free(((struct vpn_gateway *)r)->netns);
}

/* ---- route target ---------------------------------------------------- */

static void vgw_route_check(const struct route_table *t, const struct route *r,
			    struct place at, struct diags *d)
{
	const struct vpn_gateway *g = (const struct vpn_gateway *)r->target;

	if (g->vpc != t->vpc)
		diag_error(d, at, "Gateway.NotAttached",
			   "resource %s is not attached to network %s (route table %s)",
			   g->r.id, t->vpc->r.id, t->r.name);
}

static const char *vgw_route_dev(const struct route_table *t,
				 const struct res *target)
{
	const struct vpn_gateway *g = (const struct vpn_gateway *)target;

	return g->vpc == t->vpc ? g->ifname : NULL;
}

static const struct route_target vgw_target = {
	.describe_key = "GatewayId",
	.check = vgw_route_check,
	.dev = vgw_route_dev,
	.active = gateway_route_attached,
};

const struct res_type res_type_vpn_gateway = {
	.keyword = "vpn-gateway",
	.id_prefix = "vgw-",
	.noun = "virtual private gateway",
	.notfound = "InvalidVpnGatewayID.NotFound",
	.size = sizeof(struct vpn_gateway),
	.describe_what = "vpn-gateways",
	.describe_key = "VpnGateways",
	.target = &vgw_target,
	.parse = vgw_parse,
	.check = vgw_check,
	.print = vgw_print,
	.describe = vgw_describe,
	.table = vgw_table,
	.details = vgw_details,
	.free = vgw_free,
};
