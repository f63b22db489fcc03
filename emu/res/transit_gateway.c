/* res/transit_gateway.c - the transit gateway.
 *
 * A regional router of the lab: its own namespace "LAB-NAME" (plan.c),
 * joined to the router of each attached VPC by the attachment's veth
 * (res/transit_gateway_attachment.c), routing by the table associated
 * with the attachment a packet came from
 * (res/transit_gateway_route_table.c). The implicit table "NAME.default-rt"
 * exists while default association or propagation is on, as AWS
 * makes one at creation. A route target of VPC route tables: the route
 * leaves by the attachment link of the table's own VPC.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/describe.h"
#include "vpcemu/restype.h"

#define TGW_ASN_DEFAULT 64512UL
/* AmazonSideAsn: a private ASN, 16-bit or 32-bit. */
#define TGW_ASN16_MIN 64512UL
#define TGW_ASN16_MAX 65534UL
#define TGW_ASN32_MIN 4200000000UL
#define TGW_ASN32_MAX 4294967294UL

/* ---- lab file -------------------------------------------------------- */

enum { G_ASN, G_ASSOC, G_PROP };

static const struct attr tgw_attrs[] = {
	[G_ASN] = { "asn", 0 },
	[G_ASSOC] = { "default-association", 0 },
	[G_PROP] = { "default-propagation", 0 },
};

void model_parse_amazon_asn(struct build *b, const struct conf_word *w,
			    unsigned long *asn, struct place *at)
{
	*at = w->at;
	if (model_parse_num(w->text, strlen(w->text), TGW_ASN32_MAX, asn) < 0)
		diag_error(b->d, w->at, "InvalidParameterValue",
			   "'%s' is not an ASN (a number up to %lu)", w->text,
			   TGW_ASN32_MAX);
}

/* The default route table, made here rather than with the VPCs' implicit
 * resources: whether it exists depends on the options just read. */
static void tgw_add_default_rt(struct build *b, struct transit_gateway *g)
{
	struct tgw_route_table *t;
	char *name;

	if (!g->default_association && !g->default_propagation)
		return;
	name = model_printf(b, "%s.default-rt", g->r.name);
	t = name ? (struct tgw_route_table *)model_res_new(
			   b, RES_TGW_ROUTE_TABLE, name, g->r.at, true)
		 : NULL;
	free(name);
	if (!t)
		return;
	t->tgw = g;
	t->is_default = true;
	g->default_rt = t;
	model_name_implicit(b, &t->r, "transit-gateway-route-table", &g->r);
}

static void tgw_parse(struct build *b, struct res *res,
		      const struct conf_block *blk)
{
	struct transit_gateway *g = (struct transit_gateway *)res;
	const struct conf_stmt *seen[ARRAY_SIZE(tgw_attrs)] = { 0 };
	size_t i;

	g->asn = TGW_ASN_DEFAULT;
	g->default_association = g->default_propagation = true;
	g->netns = model_printf(b, "%s-%s", b->lab->name, g->r.name);
	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];
		int a = model_attr_find(b, "transit-gateway", tgw_attrs,
					ARRAY_SIZE(tgw_attrs), seen, st);

		if (a < 0 || !model_want(b, st, 1, 1))
			continue;
		if (a == G_ASN)
			model_parse_amazon_asn(b, &st->w[1], &g->asn,
					       &g->asn_at);
		else
			model_get_bool(b, &st->w[1],
				       a == G_ASSOC ? &g->default_association
						    : &g->default_propagation);
	}
	tgw_add_default_rt(b, g);
}

/* ---- rules ----------------------------------------------------------- */

void check_amazon_asn(struct diags *d, unsigned long asn, struct place at,
		      const char *keyword, const char *name)
{
	if ((asn >= TGW_ASN16_MIN && asn <= TGW_ASN16_MAX) ||
	    asn >= TGW_ASN32_MIN)
		return;
	diag_error(d, at, "InvalidParameterValue",
		   "The amazon-side ASN %lu of %s '%s' is not a private ASN (%lu-%lu or %lu-%lu)",
		   asn, keyword, name, TGW_ASN16_MIN, TGW_ASN16_MAX,
		   TGW_ASN32_MIN, TGW_ASN32_MAX);
}

static void tgw_check(struct lab *lab, struct diags *d)
{
	const struct res_list *l = &lab->res[RES_TRANSIT_GATEWAY];
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct transit_gateway *g =
			(const struct transit_gateway *)l->v[i];

		check_amazon_asn(d, g->asn, check_pick(g->asn_at, g->r.at),
				 "transit-gateway", g->r.name);
	}
}

/* ---- printed back ---------------------------------------------------- */

static void tgw_print(struct printer *p, const struct res *res)
{
	const struct transit_gateway *g = (const struct transit_gateway *)res;

	if (!print_res_ok(p, res))
		return;
	print_block_open(p, res);
	if (g->asn != TGW_ASN_DEFAULT)
		sb_printf(&p->sb, "\tasn %lu\n", g->asn);
	if (!g->default_association)
		sb_puts(&p->sb, "\tdefault-association no\n");
	if (!g->default_propagation)
		sb_puts(&p->sb, "\tdefault-propagation no\n");
	print_block_close(p);
}

/* ---- EC2 API --------------------------------------------------------- */

static const char *enable(bool on)
{
	return on ? "enable" : "disable";
}

/* DescribeTransitGateways. Security group referencing is off, AWS's
 * default at the gateway: groups are referenced across a peering only. */
static void tgw_describe(struct jb *b, json_t *a, const struct lab *lab,
			 const struct ec2_state *st, time_t now,
			 const struct res *res)
{
	const struct transit_gateway *g = (const struct transit_gateway *)res;
	json_t *o = jb_add(b, a, jb_obj(b));
	json_t *opt = jb_put(b, o, "Options", jb_obj(b));
	char *arn = str_printf("arn:aws:ec2:%s:%s:transit-gateway/%s",
			       lab->region, lab->account, g->r.id);

	jb_put_s(b, o, "Description", "");
	jb_put_i(b, opt, "AmazonSideAsn", (long long)g->asn);
	if (g->default_association)
		jb_put_s(b, opt, "AssociationDefaultRouteTableId",
			 g->default_rt->r.id);
	jb_put_s(b, opt, "AutoAcceptSharedAttachments", "disable");
	jb_put_s(b, opt, "DefaultRouteTableAssociation",
		 enable(g->default_association));
	jb_put_s(b, opt, "DefaultRouteTablePropagation",
		 enable(g->default_propagation));
	jb_put_s(b, opt, "DnsSupport", "enable");
	jb_put_s(b, opt, "MulticastSupport", "disable");
	if (g->default_propagation)
		jb_put_s(b, opt, "PropagationDefaultRouteTableId",
			 g->default_rt->r.id);
	jb_put_s(b, opt, "SecurityGroupReferencingSupport", "disable");
	jb_put_s(b, opt, "VpnEcmpSupport", "enable");
	jb_put_s(b, o, "OwnerId", lab->account);
	jb_put_s(b, o, "State", "available");
	if (arn)
		jb_put_s(b, o, "TransitGatewayArn", arn);
	else
		b->oom = true;
	free(arn);
	jb_put_s(b, o, "TransitGatewayId", g->r.id);
	jb_put_tags(b, o, res);
}

static void tgw_table(struct strbuf *sb, const json_t *o)
{
	const json_t *opt = json_object_get(o, "Options");

	sb_printf(sb, "  %-24s %-22s asn %lld\n", describe_tag_name(o),
		  describe_jstr(o, "TransitGatewayId"),
		  json_integer_value(json_object_get(opt, "AmazonSideAsn")));
}

static void tgw_details(struct strbuf *sb, const struct lab *lab,
			const struct res *res)
{
	const struct transit_gateway *g = (const struct transit_gateway *)res;

	sb_printf(sb, "asn=%lu", g->asn);
	if (g->default_rt)
		sb_printf(sb, " default-rt=%s%s%s", g->default_rt->r.name,
			  g->default_association ? " association" : "",
			  g->default_propagation ? " propagation" : "");
}

static void tgw_free(struct res *res)
{
	struct transit_gateway *g = (struct transit_gateway *)res;

	free(g->atts);
	free(g->rts);
	free(g->netns);
}

/* ---- route target ---------------------------------------------------- */

struct tgw_attachment *tgw_attachment_of(const struct transit_gateway *g,
					 const struct vpc *v)
{
	size_t i;

	for (i = 0; i < g->natts; i++)
		if (g->atts[i]->vpc == v)
			return g->atts[i];
	return NULL;
}

/* CreateRoute to a gateway the table's VPC is not attached to: AWS
 * answers as if the gateway did not exist. */
static void tgw_route_check(const struct route_table *t, const struct route *r,
			    struct place at, struct diags *d)
{
	const struct transit_gateway *g =
		(const struct transit_gateway *)r->target;

	if (!tgw_attachment_of(g, t->vpc))
		diag_error(
		    d, at, "InvalidTransitGatewayID.NotFound",
		    "The transitGateway ID '%s' does not exist. (VPC '%s' of route table '%s' has no attachment to transit-gateway '%s')",
		    g->r.id, t->vpc->r.name, t->r.name, g->r.name);
}

/* The link of the table's own VPC: one per VPC and gateway. */
static const char *tgw_route_dev(const struct route_table *t,
				 const struct res *target)
{
	const struct tgw_attachment *a =
		tgw_attachment_of((const struct transit_gateway *)target,
				  t->vpc);

	return a ? a->ifname : NULL;
}

static bool tgw_route_active(const struct res *target,
			     const struct ec2_state *st)
{
	return true;
}

static const struct route_target tgw_target = {
	.describe_key = "TransitGatewayId",
	.check = tgw_route_check,
	.dev = tgw_route_dev,
	.active = tgw_route_active,
};

const struct res_type res_type_transit_gateway = {
	.keyword = "transit-gateway",
	.id_prefix = "tgw-",
	.noun = "transit gateway",
	.notfound = "InvalidTransitGatewayID.NotFound",
	.size = sizeof(struct transit_gateway),
	.describe_what = "transit-gateways",
	.describe_key = "TransitGateways",
	.target = &tgw_target,
	.parse = tgw_parse,
	.check = tgw_check,
	.print = tgw_print,
	.describe = tgw_describe,
	.table = tgw_table,
	.details = tgw_details,
	.free = tgw_free,
};
