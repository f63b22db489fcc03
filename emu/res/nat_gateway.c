/* res/nat_gateway.c - the NAT gateway.
 *
 * An ENI in its subnet (model.c makes it, with its address) whose
 * namespace forwards what private subnets route to it and translates the
 * source to its own private IP (plan.c); a public gateway's private IP
 * has its Elastic IP at the VPC's internet gateway like an instance's
 * public IP (nftgen.c), so flows start only from inside. No
 * security group; its subnet's network ACLs apply. A route target:
 * the router sends to its ENI's address.
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

enum { N_SUBNET, N_CONNECTIVITY, N_EIP, N_IP };

static const struct attr nat_attrs[] = {
	[N_SUBNET] = { "subnet", A_REQ },
	[N_CONNECTIVITY] = { "connectivity", 0 },
	[N_EIP] = { "elastic-ip", 0 },
	[N_IP] = { "private-ip", 0 },
};

static void nat_attr(struct build *b, struct nat_gateway *n, int a,
		     const struct conf_stmt *st)
{
	const struct conf_word *w = &st->w[1];

	switch (a) {
	case N_SUBNET:
		n->subnet = (struct subnet *)model_resolve(b, RES_SUBNET, w);
		n->subnet_at = w->at;
		break;
	case N_CONNECTIVITY:
		model_get_choice(b, w, "connectivity", "public", "private",
				 &n->private_conn);
		break;
	case N_EIP:
		n->eip = (struct elastic_ip *)model_resolve(b, RES_ELASTIC_IP,
							    w);
		n->eip_at = w->at;
		break;
	case N_IP:
		n->private_ip_given = model_get_ip(b, w, &n->private_ip);
		n->ip_at = w->at;
		break;
	}
}

static void nat_parse(struct build *b, struct res *res,
		      const struct conf_block *blk)
{
	struct nat_gateway *n = (struct nat_gateway *)res;
	const struct conf_stmt *seen[ARRAY_SIZE(nat_attrs)] = { 0 };
	size_t i;
	int a;

	n->subnet_at = n->eip_at = n->ip_at = n->r.at;
	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];

		a = model_attr_find(b, "nat-gateway", nat_attrs,
				    ARRAY_SIZE(nat_attrs), seen, st);
		if (a >= 0 && model_want(b, st, 1, 1))
			nat_attr(b, n, a, st);
	}
	model_attrs_required(b, res, nat_attrs, ARRAY_SIZE(nat_attrs), seen);
}

/* ---- rules ----------------------------------------------------------- */

static void nat_check_one(const struct lab *lab, const struct nat_gateway *n,
			  struct diags *d)
{
	const struct res_list *l = &lab->res[RES_NAT_GATEWAY];
	size_t i;

	/* a public NAT gateway needs an Elastic IP at creation; a
	 * private one translates to its private IP and takes none. */
	if (!n->private_conn && !n->eip)
		diag_error(d, n->r.at, "MissingParameter",
			   "The request must contain the parameter elastic-ip (a public NAT gateway needs an Elastic IP; nat-gateway '%s')",
			   n->r.name);
	if (n->private_conn && n->eip)
		diag_error(d, n->eip_at, "InvalidParameterCombination",
			   "A private NAT gateway takes no Elastic IP (nat-gateway '%s')",
			   n->r.name);
	/* AWS takes the request, then fails the gateway with this code and
	 * message; vpcemu keeps no failed gateways and refuses it outright. */
	if (!n->private_conn && n->subnet &&
	    !internet_gateway_of(lab, n->subnet->vpc))
		diag_error(d, n->subnet_at, "Gateway.NotAttached",
			   "Network %s has no Internet gateway attached (public nat-gateway '%s' in subnet '%s' of VPC '%s')",
			   n->subnet->vpc->r.id, n->r.name, n->subnet->r.name,
			   n->subnet->vpc->r.name);
	if (!n->eip)
		return;
	if (n->eip->instance)
		diag_error(d, n->eip_at, "Resource.AlreadyAssociated",
			   "Elastic IP %s is already associated with instance %s",
			   n->eip->r.name, n->eip->instance->r.name);
	for (i = 0; i < l->n && l->v[i] != &n->r; i++)
		if (((const struct nat_gateway *)l->v[i])->eip == n->eip)
			diag_error(d, n->eip_at, "Resource.AlreadyAssociated",
				   "Elastic IP %s is already associated with nat-gateway %s",
				   n->eip->r.name, l->v[i]->name);
}

static void nat_check(struct lab *lab, struct diags *d)
{
	const struct res_list *l = &lab->res[RES_NAT_GATEWAY];
	size_t i;

	for (i = 0; i < l->n; i++)
		nat_check_one(lab, (const struct nat_gateway *)l->v[i], d);
}

/* ---- printed back ---------------------------------------------------- */

static void nat_print(struct printer *p, const struct res *res)
{
	const struct nat_gateway *n = (const struct nat_gateway *)res;
	char ip[IP_BUF];

	if (!print_res_ok(p, res))
		return;
	print_block_open(p, res);
	sb_puts(&p->sb, "\tsubnet");
	print_ref(p, n->subnet ? &n->subnet->r : NULL, res);
	sb_puts(&p->sb, "\n");
	if (n->private_conn)
		sb_puts(&p->sb, "\tconnectivity private\n");
	if (n->eip) {
		sb_puts(&p->sb, "\telastic-ip");
		print_ref(p, &n->eip->r, res);
		sb_puts(&p->sb, "\n");
	}
	if (n->private_ip_given)
		sb_printf(&p->sb, "\tprivate-ip %s\n", ip_fmt(n->private_ip, ip));
	print_block_close(p);
}

/* ---- EC2 API --------------------------------------------------------- */

static void nat_describe(struct jb *b, json_t *a, const struct lab *lab,
			 const struct ec2_state *st, time_t now,
			 const struct res *res)
{
	const struct nat_gateway *n = (const struct nat_gateway *)res;
	json_t *o = jb_add(b, a, jb_obj(b));
	json_t *x = jb_add(b, jb_put(b, o, "NatGatewayAddresses", jb_arr(b)),
			   jb_obj(b));
	char ip[IP_BUF];

	jb_put_s(b, o, "ConnectivityType",
		 n->private_conn ? "private" : "public");
	if (n->eip) {
		jb_put_s(b, x, "AllocationId", n->eip->r.id);
		jb_put_s(b, x, "PublicIp", ip_fmt(n->eip->address, ip));
	}
	jb_put_b(b, x, "IsPrimary", true);
	if (n->eni)
		jb_put_s(b, x, "NetworkInterfaceId", n->eni->r.id);
	jb_put_s(b, x, "PrivateIp", ip_fmt(n->private_ip, ip));
	jb_put_s(b, x, "Status", "succeeded");
	jb_put_s(b, o, "NatGatewayId", n->r.id);
	jb_put_s(b, o, "State", "available");
	jb_put_s(b, o, "SubnetId", n->subnet->r.id);
	jb_put_s(b, o, "VpcId", n->subnet->vpc->r.id);
	jb_put_tags(b, o, res);
}

static void nat_table(struct strbuf *sb, const json_t *o)
{
	const json_t *x =
		json_array_get(json_object_get(o, "NatGatewayAddresses"), 0);

	sb_printf(sb, "  %-24s %-22s %-8s %-15s %s\n", describe_tag_name(o),
		  describe_jstr(o, "NatGatewayId"),
		  describe_jstr(o, "ConnectivityType"),
		  describe_jstr(x, "PrivateIp"),
		  json_object_get(x, "PublicIp") ? describe_jstr(x, "PublicIp")
						 : "-");
}

static void nat_details(struct strbuf *sb, const struct lab *lab,
			const struct res *res)
{
	const struct nat_gateway *n = (const struct nat_gateway *)res;
	char ip[IP_BUF];

	sb_printf(sb, "%s %s subnet=%s", ip_fmt(n->private_ip, ip),
		  n->private_conn ? "private" : "public", n->subnet->r.name);
	if (n->eip)
		sb_printf(sb, " elastic-ip=%s", n->eip->r.name);
}

/* ---- route target ---------------------------------------------------- */

/* the NAT gateway must be in the table's VPC. */
static void nat_route_check(const struct route_table *t,
			    const struct route *r, struct place at,
			    struct diags *d)
{
	const struct nat_gateway *n = (const struct nat_gateway *)r->target;

	if (n->subnet && n->subnet->vpc != t->vpc)
		diag_error(d, at, "InvalidParameterValue",
			   "route table %s and network gateway %s belong to different networks",
			   t->r.id, n->r.id);
}

static const char *nat_route_dev(const struct route_table *t,
				 const struct res *target)
{
	const struct nat_gateway *n = (const struct nat_gateway *)target;

	return n->eni ? n->eni->ifname : NULL;
}

/* The gateway's own address: its namespace answers ARP for nothing else. */
static uint32_t nat_route_gateway(const struct res *target)
{
	return ((const struct nat_gateway *)target)->private_ip;
}

static bool nat_route_active(const struct res *target,
			     const struct ec2_state *st)
{
	return true;
}

static const struct route_target nat_target = {
	.describe_key = "NatGatewayId",
	.check = nat_route_check,
	.dev = nat_route_dev,
	.gateway = nat_route_gateway,
	.active = nat_route_active,
};

const struct res_type res_type_nat_gateway = {
	.keyword = "nat-gateway",
	.id_prefix = "nat-",
	.noun = "NAT gateway",
	.notfound = "NatGatewayNotFound",
	.size = sizeof(struct nat_gateway),
	.describe_what = "nat-gateways",
	.describe_key = "NatGateways",
	.target = &nat_target,
	.parse = nat_parse,
	.check = nat_check,
	.print = nat_print,
	.describe = nat_describe,
	.table = nat_table,
	.details = nat_details,
};
