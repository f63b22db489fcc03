/* res/transit_gateway_attachment.c - a VPC attachment to a transit gateway.
 *
 * One veth "tgwa-" + 8 hex of its ID between the VPC's router and the
 * gateway's namespace (plan.c), the same name at both ends. AWS puts an
 * ENI in each of its subnets, one per AZ; here the subnets only
 * say which AZs may use the link: the VPC router lets through to it only
 * what comes from a subnet of those AZs (nftgen.c). With one link per VPC
 * both directions of every flow cross the same link, so appliance mode
 * which keeps a flow in one AZ, changes nothing on packets; it
 * is kept, printed and described.
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

enum { A_TGW, A_VPC, A_SUBNETS, A_APPLIANCE };

static const struct attr att_attrs[] = {
	[A_TGW] = { "transit-gateway", A_REQ },
	[A_VPC] = { "vpc", A_REQ },
	[A_SUBNETS] = { "subnets", A_REQ },
	[A_APPLIANCE] = { "appliance-mode", 0 },
};

static void att_attr(struct build *b, struct tgw_attachment *a, int k,
		     const struct conf_stmt *st)
{
	switch (k) {
	case A_TGW:
		a->tgw = (struct transit_gateway *)model_resolve(
			b, RES_TRANSIT_GATEWAY, &st->w[1]);
		a->tgw_at = st->w[1].at;
		break;
	case A_VPC:
		a->vpc = (struct vpc *)model_resolve(b, RES_VPC, &st->w[1]);
		a->vpc_at = st->w[1].at;
		break;
	case A_SUBNETS:
		model_parse_assoc(b, st, &a->subnets, &a->nsubnets,
				  &a->subnets_at);
		break;
	case A_APPLIANCE:
		model_get_bool(b, &st->w[1], &a->appliance_mode);
		break;
	}
}

static void att_parse(struct build *b, struct res *res,
		      const struct conf_block *blk)
{
	struct tgw_attachment *a = (struct tgw_attachment *)res;
	const struct conf_stmt *seen[ARRAY_SIZE(att_attrs)] = { 0 };
	struct tgw_attachment **slot;
	size_t i;

	snprintf(a->ifname, sizeof(a->ifname), "tgwa-%.8s",
		 a->r.id + strlen("tgw-attach-"));
	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];
		int k = model_attr_find(b, "transit-gateway-attachment",
					att_attrs, ARRAY_SIZE(att_attrs), seen,
					st);

		if (k < 0)
			continue;
		if (k == A_SUBNETS || model_want(b, st, 1, 1))
			att_attr(b, a, k, st);
	}
	model_attrs_required(b, res, att_attrs, ARRAY_SIZE(att_attrs), seen);
	if (!a->tgw || !a->vpc)
		return;
	slot = MODEL_PUSH(b, a->tgw->atts, a->tgw->natts);
	if (slot)
		*slot = a;
}

/* ---- rules ----------------------------------------------------------- */

static void att_check_subnets(const struct tgw_attachment *a,
			      struct diags *d)
{
	size_t i, j;

	for (i = 0; i < a->nsubnets; i++) {
		const struct subnet *s = a->subnets[i];

		/* AWS's code for a subnet of another VPC is unverified. */
		if (s->vpc != a->vpc) {
			diag_error(d, a->subnets_at[i], "InvalidParameterValue",
				   "Subnet '%s' (%s) is not in VPC '%s' of transit-gateway-attachment '%s'",
				   s->r.name, s->r.id, a->vpc->r.name,
				   a->r.name);
			continue;
		}
		/* one subnet per AZ. */
		for (j = 0; j < i; j++)
			if (!strcmp(a->subnets[j]->az, s->az)) {
				diag_error(d, a->subnets_at[i],
					   "DuplicateSubnetsInSameZone",
					   "Duplicate Subnets for same AZ (%s and %s in %s)",
					   a->subnets[j]->r.name, s->r.name,
					   s->az);
				break;
			}
	}
}

static void att_check(struct lab *lab, struct diags *d)
{
	const struct res_list *l = &lab->res[RES_TGW_ATTACHMENT];
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct tgw_attachment *a =
			(const struct tgw_attachment *)l->v[i];
		const struct tgw_attachment *first;

		if (!a->tgw || !a->vpc)
			continue;
		/* The gateway is in the lab's region; a VPC of another one
		 * does not exist there. */
		if (strcmp(a->vpc->region, lab->region))
			diag_error(d, check_pick(a->vpc_at, a->r.at),
				   "InvalidVpcID.NotFound",
				   "The vpc ID '%s' does not exist (VPC '%s' is in %s, transit-gateway '%s' in %s)",
				   a->vpc->r.id, a->vpc->r.name,
				   a->vpc->region, a->tgw->r.name,
				   lab->region);
		first = tgw_attachment_of(a->tgw, a->vpc);
		if (first != a)
			diag_error(d, check_pick(a->vpc_at, a->r.at),
				   "DuplicateTransitGatewayAttachment",
				   "%s has non-deleted Transit Gateway Attachments with same VPC ID. (VPC '%s' is attached by '%s')",
				   a->tgw->r.id, a->vpc->r.name,
				   first->r.name);
		att_check_subnets(a, d);
	}
}

/* ---- printed back ---------------------------------------------------- */

static void att_print(struct printer *p, const struct res *res)
{
	const struct tgw_attachment *a = (const struct tgw_attachment *)res;

	if (!print_res_ok(p, res))
		return;
	print_block_open(p, res);
	sb_puts(&p->sb, "\ttransit-gateway");
	print_ref(p, a->tgw ? &a->tgw->r : NULL, res);
	sb_puts(&p->sb, "\n\tvpc");
	print_ref(p, a->vpc ? &a->vpc->r : NULL, res);
	sb_puts(&p->sb, "\n");
	print_subnet_list(p, "subnets", a->subnets, a->nsubnets, res);
	if (a->appliance_mode)
		sb_puts(&p->sb, "\tappliance-mode yes\n");
	print_block_close(p);
}

/* ---- EC2 API --------------------------------------------------------- */

/* DescribeTransitGatewayAttachments. */
static void att_describe(struct jb *b, json_t *a, const struct lab *lab,
			 const struct ec2_state *st, time_t now,
			 const struct res *res)
{
	const struct tgw_attachment *t = (const struct tgw_attachment *)res;
	const struct tgw_route_table *rt = tgw_association_of(t);
	json_t *o = jb_add(b, a, jb_obj(b));

	if (rt) {
		json_t *x = jb_put(b, o, "Association", jb_obj(b));

		jb_put_s(b, x, "State", "associated");
		jb_put_s(b, x, "TransitGatewayRouteTableId", rt->r.id);
	}
	jb_put_s(b, o, "ResourceId", t->vpc->r.id);
	jb_put_s(b, o, "ResourceOwnerId", describe_owner(lab, t->vpc));
	jb_put_s(b, o, "ResourceType", "vpc");
	jb_put_s(b, o, "State", "available");
	jb_put_s(b, o, "TransitGatewayAttachmentId", t->r.id);
	jb_put_s(b, o, "TransitGatewayId", t->tgw->r.id);
	jb_put_s(b, o, "TransitGatewayOwnerId", lab->account);
	jb_put_tags(b, o, res);
}

static void att_table(struct strbuf *sb, const json_t *o)
{
	const json_t *x = json_object_get(o, "Association");

	sb_printf(sb, "  %-24s %-28s %-22s %-22s %s\n", describe_tag_name(o),
		  describe_jstr(o, "TransitGatewayAttachmentId"),
		  describe_jstr(o, "TransitGatewayId"),
		  describe_jstr(o, "ResourceId"),
		  x ? describe_jstr(x, "TransitGatewayRouteTableId")
		    : "not associated");
}

static void att_details(struct strbuf *sb, const struct lab *lab,
			const struct res *res)
{
	const struct tgw_attachment *a = (const struct tgw_attachment *)res;
	const struct tgw_route_table *rt = tgw_association_of(a);
	size_t i;

	sb_printf(sb, "transit-gateway=%s vpc=%s subnets=", a->tgw->r.name,
		  a->vpc->r.name);
	for (i = 0; i < a->nsubnets; i++)
		sb_printf(sb, "%s%s", i ? "," : "", a->subnets[i]->r.name);
	sb_printf(sb, " route-table=%s", rt ? rt->r.name : "none");
	if (a->appliance_mode)
		sb_puts(sb, " appliance-mode");
}

static void att_free(struct res *res)
{
	struct tgw_attachment *a = (struct tgw_attachment *)res;

	free(a->subnets);
	free(a->subnets_at);
}

const struct res_type res_type_transit_gateway_attachment = {
	.keyword = "transit-gateway-attachment",
	.id_prefix = "tgw-attach-",
	.noun = "transit gateway attachment",
	.notfound = "InvalidTransitGatewayAttachmentID.NotFound",
	.size = sizeof(struct tgw_attachment),
	.describe_what = "transit-gateway-attachments",
	.describe_key = "TransitGatewayAttachments",
	.parse = att_parse,
	.check = att_check,
	.print = att_print,
	.describe = att_describe,
	.table = att_table,
	.details = att_details,
	.free = att_free,
};
