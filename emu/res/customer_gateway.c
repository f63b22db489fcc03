/* res/customer_gateway.c - the customer gateway of a Site-to-Site VPN.
 *
 * The on-premises router: a namespace "LAB-NAME" (plan.c) whose eth0
 * holds the gateway's public address on the emulated internet, with the
 * on-premises networks behind it (res/onprem_host.c). strongSwan runs
 * there with every tunnel of the gateway's connections, BIRD too for BGP
 * (svc/vpn.c). Its address obeys the rules of an internet host's.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/restype.h"

#define CGW_ASN_DEFAULT 65000UL
#define CGW_ASN_MAX 4294967294UL	/* BgpAsnExtended's upper bound */

enum { C_IP, C_ASN, C_NETWORKS };

static const struct attr cgw_attrs[] = {
	[C_IP] = { "ip", A_REQ },
	[C_ASN] = { "asn", 0 },
	[C_NETWORKS] = { "networks", A_REQ },
};

static void cgw_parse(struct build *b, struct res *res,
		      const struct conf_block *blk)
{
	struct customer_gateway *g = (struct customer_gateway *)res;
	const struct conf_stmt *seen[ARRAY_SIZE(cgw_attrs)] = { 0 };
	size_t i;

	g->asn = CGW_ASN_DEFAULT;
	g->ip_at = g->asn_at = g->r.at;
	snprintf(g->ifname, sizeof(g->ifname), "cgw-%.8s", g->r.id + 4);
	g->netns = model_printf(b, "%s-%s", b->lab->name, g->r.name);
	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];
		const struct conf_word *w = &st->w[1];
		int a = model_attr_find(b, "customer-gateway", cgw_attrs,
					ARRAY_SIZE(cgw_attrs), seen, st);

		if (a == C_NETWORKS)
			model_parse_cidr_list(b, st, &g->networks,
					      &g->nnetworks, &g->networks_at);
		else if (a < 0 || !model_want(b, st, 1, 1))
			continue;
		else if (a == C_IP && model_get_ip(b, w, &g->ip))
			g->ip_at = w->at;
		else if (a == C_ASN) {
			g->asn_at = w->at;
			if (model_parse_num(w->text, strlen(w->text),
					    CGW_ASN_MAX, &g->asn) < 0 ||
			    !g->asn)
				diag_error(b->d, w->at, "InvalidParameterValue",
					   "'%s' is not a BGP ASN (1 to %lu)",
					   w->text, CGW_ASN_MAX);
		}
	}
	model_attrs_required(b, res, cgw_attrs, ARRAY_SIZE(cgw_attrs), seen);
}

/* Whether ip is the address of an internet host or of another customer
 * gateway before g, and whose (else NULL). */
static const struct res *ip_taken(const struct lab *lab,
				  const struct customer_gateway *g)
{
	const struct res_list *h = &lab->res[RES_INTERNET_HOST];
	const struct res_list *c = &lab->res[RES_CUSTOMER_GATEWAY];
	size_t i;

	for (i = 0; i < h->n; i++)
		if (((const struct internet_host *)h->v[i])->ip == g->ip)
			return h->v[i];
	for (i = 0; i < c->n && c->v[i] != &g->r; i++)
		if (((const struct customer_gateway *)c->v[i])->ip == g->ip)
			return c->v[i];
	return NULL;
}

/* The on-premises networks are not on the internet nor in a VPC the
 * gateway connects to; overlap there would make routes ambiguous. */
static void cgw_check_networks(const struct lab *lab,
			       const struct customer_gateway *g,
			       struct diags *d)
{
	char a[CIDR_BUF], c[CIDR_BUF];
	size_t i, j, k;

	for (i = 0; i < g->nnetworks; i++) {
		for (j = 0; j < lab->nvpcs; j++)
			for (k = 0; k < lab->vpcs[j]->ncidrs; k++)
				if (cidr_overlap(g->networks[i],
						 lab->vpcs[j]->cidrs[k]))
					diag_error(
					    d, g->networks_at[i],
					    "InvalidParameterValue",
					    "On-premises network %s of customer-gateway %s overlaps %s of VPC %s",
					    cidr_fmt(g->networks[i], a),
					    g->r.name,
					    cidr_fmt(lab->vpcs[j]->cidrs[k], c),
					    lab->vpcs[j]->r.name);
		if (cidr_has_ip(g->networks[i], g->ip))
			diag_error(d, g->networks_at[i],
				   "InvalidParameterValue",
				   "On-premises network %s holds the gateway's own public address",
				   cidr_fmt(g->networks[i], a));
	}
}

static void cgw_check(struct lab *lab, struct diags *d)
{
	const struct res_list *l = &lab->res[RES_CUSTOMER_GATEWAY];
	char why[160], ip[IP_BUF];
	const struct res *o;
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct customer_gateway *g =
			(const struct customer_gateway *)l->v[i];
		const char *p = internet_host_ip_problem(lab, g->ip, why,
							 sizeof(why));

		if (p)
			diag_error(d, g->ip_at, "InvalidParameterValue",
				   "Customer gateway %s cannot have address %s: %s",
				   g->r.name, ip_fmt(g->ip, ip), p);
		else if ((o = ip_taken(lab, g)))
			diag_error(d, g->ip_at, "InvalidIPAddress.InUse",
				   "Address %s is already the address of %s %s",
				   ip_fmt(g->ip, ip), res_types[o->kind]->noun,
				   o->name);
		cgw_check_networks(lab, g, d);
	}
}

static void cgw_print(struct printer *p, const struct res *res)
{
	const struct customer_gateway *g =
		(const struct customer_gateway *)res;
	char ip[IP_BUF];
	size_t i;

	if (!print_res_ok(p, res))
		return;
	print_block_open(p, res);
	sb_printf(&p->sb, "\tip %s\n", ip_fmt(g->ip, ip));
	if (g->asn != CGW_ASN_DEFAULT)
		sb_printf(&p->sb, "\tasn %lu\n", g->asn);
	sb_puts(&p->sb, "\tnetworks");
	for (i = 0; i < g->nnetworks; i++)
		print_cidr(p, g->networks[i]);
	sb_puts(&p->sb, "\n");
	print_block_close(p);
}

/* DescribeCustomerGateways */
static void cgw_describe(struct jb *b, json_t *a, const struct lab *lab,
			 const struct ec2_state *st, time_t now,
			 const struct res *res)
{
	const struct customer_gateway *g =
		(const struct customer_gateway *)res;
	json_t *o = jb_add(b, a, jb_obj(b));
	char ip[IP_BUF], asn[24];

	snprintf(asn, sizeof(asn), "%lu", g->asn);
	jb_put_s(b, o, "BgpAsn", asn);
	jb_put_s(b, o, "CustomerGatewayId", g->r.id);
	jb_put_s(b, o, "IpAddress", ip_fmt(g->ip, ip));
	jb_put_s(b, o, "State", "available");
	jb_put_s(b, o, "Type", "ipsec.1");
	jb_put_tags(b, o, res);
}

static void cgw_table(struct strbuf *sb, const json_t *o)
{
	sb_printf(sb, "  %-24s %-22s %-15s asn %s\n", describe_tag_name(o),
		  describe_jstr(o, "CustomerGatewayId"),
		  describe_jstr(o, "IpAddress"), describe_jstr(o, "BgpAsn"));
}

static void cgw_details(struct strbuf *sb, const struct lab *lab,
			const struct res *res)
{
	const struct customer_gateway *g =
		(const struct customer_gateway *)res;
	char ip[IP_BUF];

	sb_printf(sb, "%s asn=%lu networks=", ip_fmt(g->ip, ip), g->asn);
	res_cidr_list(sb, g->networks, g->nnetworks);
	sb_printf(sb, " netns=%s", g->netns);
}

static void cgw_free(struct res *r)
{
	struct customer_gateway *g = (struct customer_gateway *)r;

	free(g->networks);
	free(g->networks_at);
	free(g->netns);
}

const struct res_type res_type_customer_gateway = {
	.keyword = "customer-gateway",
	.id_prefix = "cgw-",
	.noun = "customer gateway",
	.notfound = "InvalidCustomerGatewayID.NotFound",
	.size = sizeof(struct customer_gateway),
	.describe_what = "customer-gateways",
	.describe_key = "CustomerGateways",
	.parse = cgw_parse,
	.check = cgw_check,
	.print = cgw_print,
	.describe = cgw_describe,
	.table = cgw_table,
	.details = cgw_details,
	.free = cgw_free,
};
