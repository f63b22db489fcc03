/* nftgen.c - model -> the nftables ruleset of one VPC router (pure).
 *
 * Called by plan.c once per VPC; the text goes unchanged to nft.c, which
 * applies it in one transaction inside the router namespace. This file
 * writes the router's own blocks (ports, blocks, network ACLs, the base
 * chains) and puts in place those of security groups, which nftsg.c
 * writes; nftgen_delta turns two such texts into an update. The order of
 * the forward chain is the contract of include/vpcemu/nftgen.h. Layout of
 * the text, in this order (everything in the model's array order or
 * sorted, so the same lab gives the same bytes):
 *
 *   sets   enis, peerings         the router's ports, by interface name
 *          eni_addr               ifname . private IP (source and
 *                                 destination checks)
 *          untracked_out, _in     ifname . protocol . port range: flows
 *                                 the ENI opens / receives untracked
 *                                 (tracking.c)
 *          vpc_blocks             this VPC's blocks
 *          peer_<pcx 8 hex>       the peer VPC's blocks, one per peering
 *          tgwsrc_<8 hex>         per transit gateway attachment: the
 *                                 VPC's subnets in its AZs (R-11.2)
 *          sg_<sg 17 hex>         member IPs of each referenced group
 *          sgout_/sgin_<sg 17 hex>_all|_l4|_proto|_icmp
 *                                 a group's CIDR rules of one direction
 *                                 and kind, as disjoint interval elements
 *                                 (peer block [. protocol . port range |
 *                                 . protocol | . ICMP type . code]);
 *                                 only the non-empty ones
 *   maps   acl_out, acl_in        ENI ifname -> its subnet's NACL chains
 *          sg_egress, sg_ingress  ENI ifname -> its gate chain
 *   chain  forward                the base chain (policy drop)
 *   set    cost                   ingress . egress port -> counter,
 *   chain  cost                   filled by a base chain after forward
 *   chain  ingress_gate           peering or transit gateway exit, a
 *                                 flow the receiver
 *                                 tracks, else the receiver's gate
 *   chain  input                  the router's own addresses: Amazon DNS
 *                                 and IMDS from this VPC's ENIs only
 *   chains aclout_/aclin_<subnet 17 hex>, one pair per subnet of the VPC
 *          egress_/ingress_<sg hex>[_<sg hex>...], one pair per distinct
 *                                 list of groups on the VPC's ENIs: jump
 *                                 to each group's chain, then drop
 *          sgout_/sgin_<sg 17 hex>, one pair per group on the VPC's
 *                                 ENIs: one lookup per non-empty set, one
 *                                 rule per referenced group and kind
 *
 * A group's rules are written once per router, whatever the number of
 * ENIs that carry it. Identifiers are built from the hex part of AWS IDs:
 * nft takes '-' inside an identifier only in some positions, '_'
 * everywhere. Strings that come from the lab (names) appear only inside
 * comments, cleaned of characters nft cannot quote.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/model.h"
#include "vpcemu/nftgen.h"
#include "vpcemu/nftsg.h"
#include "vpcemu/nftutil.h"
#include "vpcemu/plan.h"
#include "vpcemu/tracking.h"
#include "vpcemu/util.h"

struct gen {
	const struct lab *lab;
	const struct vpc *vpc;
	/* The VPC's attached internet gateway, or NULL: the rules for it
	 * are written only where there is one. */
	const struct internet_gateway *igw;
	/* Its virtual private gateway, or NULL. */
	const struct vpn_gateway *vgw;
	bool ungated;		/* the VPC has ENIs without groups */
	bool forwarders;	/* ... or that forward others' packets */
	bool logged;		/* a flow log covers some of its ENIs */
	struct strbuf b;
	bool oom;
};

static const struct internet_gateway *igw_of(const struct lab *lab,
					     const struct vpc *vpc)
{
	const struct res_list *l = &lab->res[RES_INTERNET_GATEWAY];
	size_t i;

	for (i = 0; i < l->n; i++)
		if (((const struct internet_gateway *)l->v[i])->vpc == vpc)
			return (const struct internet_gateway *)l->v[i];
	return NULL;
}

static const struct vpn_gateway *vgw_of(const struct lab *lab,
					 const struct vpc *vpc)
{
	const struct res_list *l = &lab->res[RES_VPN_GATEWAY];
	size_t i;

	for (i = 0; i < l->n; i++)
		if (((const struct vpn_gateway *)l->v[i])->vpc == vpc)
			return (const struct vpn_gateway *)l->v[i];
	return NULL;
}

/* An ENI that forwards others' packets: a NAT gateway's, a load balancer
 * node's (it keeps its clients' addresses), an instance's whose source/
 * destination check is off. */
static bool forwarder(const struct eni *e)
{
	return e->nat || e->lb ||
	       (e->instance && e->instance->no_source_dest_check);
}

/* Whether some ENI of the VPC is one of which. */
static bool has_enis(const struct gen *g, bool (*which)(const struct eni *))
{
	size_t i;

	for (i = 0; i < g->lab->nenis; i++)
		if (which(g->lab->enis[i]) &&
		    g->lab->enis[i]->subnet->vpc == g->vpc)
			return true;
	return false;
}

/* A set of the VPC's ENIs of which. */
static void gen_eni_set(struct gen *g, const char *name, const char *comment,
			bool (*which)(const struct eni *))
{
	const struct lab *lab = g->lab;
	size_t i;

	sb_printf(&g->b, "\tset %s {\n"
			 "\t\ttype ifname\n"
			 "\t\tcomment \"%s\"\n"
			 "\t\telements = {\n",
		  name, comment);
	for (i = 0; i < lab->nenis; i++)
		if (which(lab->enis[i]) && lab->enis[i]->subnet->vpc == g->vpc)
			nftutil_element(&g->b, lab->enis[i]->ifname, ",\n");
	sb_puts(&g->b, "\t\t}\n\t}\n\n");
}

/* Load balancer nodes keep their clients' addresses (nftlb.h): the flows
 * a node opens carry its number in their conntrack mark, and their
 * replies in their packet mark, which routes them back through it
 * (plan.c's PLAN_PREF_NODE rules). */
static void gen_node_marks(struct gen *g)
{
	const struct lab *lab = g->lab;
	unsigned n;
	size_t i;

	sb_puts(&g->b, "\tchain node_marks {\n"
		       "\t\ttype filter hook prerouting priority mangle; "
		       "policy accept;\n");
	for (i = 0; i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];

		if (!e->lb || e->subnet->vpc != g->vpc ||
		    !(n = plan_node_number(lab, e)))
			continue;
		sb_printf(&g->b,
			  "\t\tiifname \"%s\" ct state new ct mark set ct "
			  "mark and 0x%x or 0x%x\n",
			  e->ifname, ~PLAN_MARK_NODE, n << 8);
	}
	sb_printf(&g->b,
		  "\t\tct direction reply meta mark set ct mark and 0x%x\n"
		  "\t}\n\n",
		  PLAN_MARK_NODE);
}

static bool lb_node(const struct eni *e)
{
	return e->lb != NULL;
}


/* "\t\telements = {" ... "}" of the ENIs of the VPC with a public
 * IP: their private IPs, or "public : private" (in) / "private :
 * public" (out) pairs. */
static void put_public(struct gen *g, int pairs)
{
	const struct lab *lab = g->lab;
	char a[IP_BUF], c[IP_BUF];
	size_t i, n = 0;

	for (i = 0; i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];
		uint32_t pub = model_eni_public_ip(e);

		if (!pub || e->subnet->vpc != g->vpc)
			continue;
		if (!n++)
			sb_puts(&g->b, "\t\telements = {\n");
		ip_fmt(e->ip, a);
		ip_fmt(pub, c);
		if (pairs > 0)
			sb_printf(&g->b, "\t\t\t%s : %s,\n", c, a);
		else if (pairs < 0)
			sb_printf(&g->b, "\t\t\t%s : %s,\n", a, c);
		else
			sb_printf(&g->b, "\t\t\t%s,\n", a);
	}
	if (n)
		sb_puts(&g->b, "\t\t}\n");
}

/* The internet gateway's 1:1 NAT (R-9.2): each public IP to its
 * instance's private IP on the way in, back on the way out; the instance
 * never sees its public IP. */
static void gen_public_sets(struct gen *g)
{
	sb_puts(&g->b, "\tset public_src {\n"
		       "\t\ttype ipv4_addr\n"
		       "\t\tcomment \"private IPs that have a public IP: only "
		       "they reach the internet (R-9.1)\"\n");
	put_public(g, 0);
	sb_puts(&g->b, "\t}\n\n"
		       "\tmap public_in {\n"
		       "\t\ttype ipv4_addr : ipv4_addr\n"
		       "\t\tcomment \"public IP -> private IP\"\n");
	put_public(g, 1);
	sb_puts(&g->b, "\t}\n\n"
		       "\tmap public_out {\n"
		       "\t\ttype ipv4_addr : ipv4_addr\n"
		       "\t\tcomment \"private IP -> public IP\"\n");
	put_public(g, -1);
	sb_puts(&g->b, "\t}\n\n");
}

static void gen_nat(struct gen *g)
{
	const char *ifn = g->igw->ifname;

	sb_printf(&g->b,
		  "\tchain nat_in {\n"
		  "\t\ttype nat hook prerouting priority dstnat; "
		  "policy accept;\n"
		  "\t\tiifname \"%s\" dnat ip to ip daddr map @public_in\n"
		  "\t}\n\n"
		  "\tchain nat_out {\n"
		  "\t\ttype nat hook postrouting priority srcnat; "
		  "policy accept;\n"
		  "\t\toifname \"%s\" snat ip to ip saddr map @public_out\n"
		  "\t}\n\n",
		  ifn, ifn);
}

/* "ip saddr 10.0.0.0/8 " (nothing for 0.0.0.0/0, which matches all). */
static void put_cidr_match(struct strbuf *b, const char *what,
			   struct cidr c)
{
	char buf[20];

	if (c.len == 0)
		return;
	if (c.len == 32)
		sb_printf(b, "ip %s %s ", what, ip_fmt(c.addr, buf));
	else
		sb_printf(b, "ip %s %s ", what, cidr_fmt(c, buf));
}

/* The protocol part of a match; ports are destination ports, for groups
 * and for ACLs alike (an ACL's reply rule names the client's ephemeral
 * ports as its destination, R-5.11). */
static void put_proto(struct strbuf *b, const struct proto_match *m)
{
	const char *l4 = m->kind == PROTO_TCP ? "tcp" : "udp";

	switch (m->kind) {
	case PROTO_ALL:
		break;
	case PROTO_TCP:
	case PROTO_UDP:
		if (m->port_lo == 0 && m->port_hi == 65535)
			sb_printf(b, "meta l4proto %s ", l4);
		else if (m->port_lo == m->port_hi)
			sb_printf(b, "%s dport %u ", l4, m->port_lo);
		else
			sb_printf(b, "%s dport %u-%u ", l4, m->port_lo,
				  m->port_hi);
		break;
	case PROTO_ICMP:
		sb_puts(b, "meta l4proto icmp ");
		if (m->icmp_type >= 0)
			sb_printf(b, "icmp type %d ", m->icmp_type);
		if (m->icmp_code >= 0)
			sb_printf(b, "icmp code %d ", m->icmp_code);
		break;
	case PROTO_NUMBER:
		/* Ports mean nothing here (R-4.8, R-5.7). */
		sb_printf(b, "meta l4proto %u ", m->number);
		break;
	}
}

/* sets ---------------------------------------------------------------- */

static void gen_port_sets(struct gen *g)
{
	const struct lab *lab = g->lab;
	char ip[16];
	size_t i, n;

	sb_puts(&g->b, "\tset enis {\n"
		       "\t\ttype ifname\n"
		       "\t\tcomment \"ENIs of this VPC\"\n");
	for (i = n = 0; i < lab->nenis; i++) {
		if (!nftutil_eni_here(lab->enis[i], g->vpc))
			continue;
		if (!n++)
			sb_puts(&g->b, "\t\telements = {\n");
		nftutil_element(&g->b, lab->enis[i]->ifname, ",\n");
	}
	sb_puts(&g->b, n ? "\t\t}\n\t}\n\n" : "\t}\n\n");

	sb_puts(&g->b,
		"\tset peerings {\n"
		"\t\ttype ifname\n"
		"\t\tcomment \"peering links of this VPC, any status\"\n");
	for (i = n = 0; i < lab->npeerings; i++) {
		if (!nftutil_peer_of(lab->peerings[i], g->vpc))
			continue;
		if (!n++)
			sb_puts(&g->b, "\t\telements = {\n");
		nftutil_element(&g->b, lab->peerings[i]->ifname, ",\n");
	}
	sb_puts(&g->b, n ? "\t\t}\n\t}\n\n" : "\t}\n\n");

	/* Source/destination check: an ENI sends only from its own
	 * private IP. */
	sb_puts(&g->b, "\tset eni_addr {\n"
		       "\t\ttype ifname . ipv4_addr\n"
		       "\t\tcomment \"source check: each ENI's private IP\"\n");
	for (i = n = 0; i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];

		if (!nftutil_eni_here(e, g->vpc))
			continue;
		if (!n++)
			sb_puts(&g->b, "\t\telements = {\n");
		nftutil_element(&g->b, e->ifname, " . ");
		sb_puts(&g->b, ip_fmt(e->ip, ip));
		sb_puts(&g->b, ",\n");
	}
	sb_puts(&g->b, n ? "\t\t}\n\t}\n\n" : "\t}\n\n");
}

/* untracked_out / untracked_in: ENI ifname . protocol . destination port
 * of the flows that the ENI opens / receives without tracking (R-4.16). */
static void gen_untracked_set(struct gen *g, enum direction dir)
{
	const struct lab *lab = g->lab;
	bool out = dir == DIR_EGRESS;
	struct untracked *u;
	size_t i, n = 0;
	int k, j;

	sb_printf(&g->b, "\tset %s {\n"
			 "\t\ttype ifname . inet_proto . inet_service\n"
			 "\t\tflags interval\n"
			 "\t\tcomment \"ENI . flows it %s untracked "
			 "(R-4.16)\"\n",
		  out ? "untracked_out" : "untracked_in",
		  out ? "opens" : "receives");
	for (i = 0; i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];

		if (!nftutil_eni_here(e, g->vpc))
			continue;
		k = tracking_untracked(e, dir, &u);
		if (k < 0) {
			g->oom = true;
			return;
		}
		for (j = 0; j < k; j++) {
			if (!n++)
				sb_puts(&g->b, "\t\telements = {\n");
			nftutil_element(&g->b, e->ifname, u[j].proto == 6 ?
				    " . tcp . " : " . udp . ");
			nftutil_range(&g->b, u[j].port_lo, u[j].port_hi);
			sb_puts(&g->b, ",\n");
		}
		free(u);
	}
	sb_puts(&g->b, n ? "\t\t}\n\t}\n\n" : "\t}\n\n");
}

static void put_blocks(struct gen *g, const struct vpc *v)
{
	char buf[20];
	size_t i;

	if (!v->ncidrs)
		return;
	sb_puts(&g->b, "\t\telements = {\n");
	for (i = 0; i < v->ncidrs; i++)
		sb_printf(&g->b, "\t\t\t%s,\n", cidr_fmt(v->cidrs[i], buf));
	sb_puts(&g->b, "\t\t}\n");
}

static void gen_block_sets(struct gen *g)
{
	const struct lab *lab = g->lab;
	size_t i;

	sb_puts(&g->b, "\tset vpc_blocks {\n"
		       "\t\ttype ipv4_addr\n"
		       "\t\tflags interval\n");
	nftutil_comment(&g->b, "\t\t", "blocks of %s %s", g->vpc->r.id,
		    g->vpc->r.name);
	sb_puts(&g->b, "\n");
	put_blocks(g, g->vpc);
	sb_puts(&g->b, "\t}\n\n");

	for (i = 0; i < lab->npeerings; i++) {
		const struct peering *p = lab->peerings[i];
		const struct vpc *peer = nftutil_peer_of(p, g->vpc);

		if (!peer)
			continue;
		sb_puts(&g->b, "\tset ");
		nftutil_ident(&g->b, "peer_", p->ifname);
		sb_puts(&g->b, " {\n"
			       "\t\ttype ipv4_addr\n"
			       "\t\tflags interval\n");
		nftutil_comment(&g->b, "\t\t", "blocks of %s %s across %s",
			    peer->r.id, peer->r.name, p->r.id);
		sb_puts(&g->b, "\n");
		put_blocks(g, peer);
		sb_puts(&g->b, "\t}\n\n");
	}
}


/* A verdict map from ENI ifname to its subnet's chain (chain_prefix plus
 * the subnet's hex). */
static void gen_map(struct gen *g, const char *name, const char *comment,
		    const char *chain_prefix)
{
	const struct lab *lab = g->lab;
	size_t i, n;

	sb_printf(&g->b, "\tmap %s {\n"
			 "\t\ttype ifname : verdict\n"
			 "\t\tcomment \"%s\"\n", name, comment);
	for (i = n = 0; i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];

		if (!nftutil_eni_here(e, g->vpc))
			continue;
		if (!n++)
			sb_puts(&g->b, "\t\telements = {\n");
		nftutil_element(&g->b, e->ifname, " : jump ");
		nftutil_ident(&g->b, chain_prefix, e->subnet->r.id);
		sb_puts(&g->b, ",\n");
	}
	sb_puts(&g->b, n ? "\t\t}\n\t}\n\n" : "\t}\n\n");
}

/* chains -------------------------------------------------------------- */

/* The i-th gateway endpoint of the VPC with a service behind it (i from
 * 0), or NULL past the last. */
static const struct endpoint *gateway_endpoint(const struct gen *g, size_t i)
{
	size_t k;

	for (k = 0; k < g->lab->nendpoints; k++) {
		const struct endpoint *e = g->lab->endpoints[k];

		if (e->vpc == g->vpc && e->type == ENDPOINT_GATEWAY &&
		    gateway_service(e->service_short) && i-- == 0)
			return e;
	}
	return NULL;
}

/* The i-th transit gateway attachment of the VPC (i from 0), or NULL
 * past the last. */
static const struct tgw_attachment *tgw_link(const struct gen *g, size_t i)
{
	const struct res_list *l = &g->lab->res[RES_TGW_ATTACHMENT];
	size_t k;

	for (k = 0; k < l->n; k++) {
		const struct tgw_attachment *a =
			(const struct tgw_attachment *)l->v[k];

		if (a->vpc == g->vpc && a->tgw && i-- == 0)
			return a;
	}
	return NULL;
}

/* tgwsrc_<8 hex>: the VPC's subnets in the AZs of an attachment's
 * subnets, the only sources that reach the gateway (R-11.2). */
static void gen_tgw_sets(struct gen *g)
{
	const struct tgw_attachment *a;
	char buf[CIDR_BUF];
	size_t i, j, n;

	for (i = 0; (a = tgw_link(g, i)); i++) {
		sb_puts(&g->b, "\tset ");
		nftutil_ident(&g->b, "tgwsrc_", a->ifname);
		sb_puts(&g->b, " {\n"
			       "\t\ttype ipv4_addr\n"
			       "\t\tflags interval\n");
		nftutil_comment(&g->b, "\t\t",
				"subnets in the AZs of %s %s (R-11.2)",
				a->r.id, a->r.name);
		sb_puts(&g->b, "\n");
		for (j = n = 0; j < g->lab->nsubnets; j++) {
			const struct subnet *sn = g->lab->subnets[j];

			if (sn->vpc != g->vpc ||
			    !nftutil_in_attachment_az(a, sn))
				continue;
			if (!n++)
				sb_puts(&g->b, "\t\telements = {\n");
			sb_printf(&g->b, "\t\t\t%s,\n",
				  cidr_fmt(sn->cidr, buf));
		}
		sb_puts(&g->b, n ? "\t\t}\n\t}\n\n" : "\t}\n\n");
	}
}

/* A transit gateway link, like a peering, carries only flows between
 * this VPC's blocks and elsewhere; what leaves by it comes from a subnet
 * of the attachment's AZs. Unlike a peering's, its far side is any block
 * the gateway routes (R-11.1: routing is transitive there). */
static void gen_tgw_guards(struct gen *g)
{
	const struct tgw_attachment *a;
	size_t i;

	for (i = 0; (a = tgw_link(g, i)); i++) {
		sb_printf(&g->b,
			  "\t\tiifname \"%s\" ip daddr != @vpc_blocks drop\n"
			  "\t\toifname \"%s\" ip saddr != @",
			  a->ifname, a->ifname);
		nftutil_ident(&g->b, "tgwsrc_", a->ifname);
		sb_puts(&g->b, " drop\n");
	}
}

/* The gateway's far side holds the ingress gate of its destinations. */
static void gen_tgw_exits(struct gen *g)
{
	const struct tgw_attachment *a;
	size_t i;

	for (i = 0; (a = tgw_link(g, i)); i++)
		sb_printf(&g->b, "\t\toifname \"%s\" accept\n", a->ifname);
}

/* "iifname != @enis iifname != @peerings [iifname != "igw-x"]
 * [iifname != "vpce-x"]... drop" */
static void gen_known_ports(struct gen *g, const char *dir)
{
	const struct tgw_attachment *a;
	const struct endpoint *e;
	size_t i;

	sb_printf(&g->b, "\t\t%s != @enis %s != @peerings ", dir, dir);
	if (g->igw)
		sb_printf(&g->b, "%s != \"%s\" ", dir, g->igw->ifname);
	for (i = 0; (e = gateway_endpoint(g, i)); i++)
		sb_printf(&g->b, "%s != \"%s\" ", dir, e->ifname);
	for (i = 0; (a = tgw_link(g, i)); i++)
		sb_printf(&g->b, "%s != \"%s\" ", dir, a->ifname);
	if (g->vgw)
		sb_printf(&g->b, "%s != \"%s\" ", dir, g->vgw->ifname);
	sb_puts(&g->b, "drop\n");
}

static void gen_forward(struct gen *g)
{
	const struct lab *lab = g->lab;
	const struct endpoint *e;
	size_t i;

	sb_puts(&g->b,
		"\tchain forward {\n"
		"\t\ttype filter hook forward priority filter; policy drop;\n"
		"\t\tcomment \"every packet between two ports of the router\"\n"
		"\n"
		"\t\t# 1. Only IPv4 is emulated; only known ports; an ENI\n"
		"\t\t# sends from its own IP; a peering carries only peer\n"
		"\t\t# blocks <-> our blocks (R-6.7, R-6.8).\n"
		"\t\tmeta nfproto ipv6 drop\n");
	gen_known_ports(g, "iifname");
	gen_known_ports(g, "oifname");
	/* A NAT gateway forwards for others: no source check (R-9.4); nor
	 * does a load balancer node without groups need one (it SNATs). */
	sb_printf(&g->b, "\t\tiifname @enis %siifname . ip saddr != "
			 "@eni_addr drop\n",
		  g->forwarders ? "iifname != @forwarders " : "");
	/* The destination check: what an ENI receives is for it, as what
	 * it sends is from it; a route via an instance whose check is on
	 * leads nowhere, as in AWS. */
	sb_printf(&g->b, "\t\toifname @enis %soifname . ip daddr != "
			 "@eni_addr drop\n",
		  g->forwarders ? "oifname != @forwarders " : "");
	/* The internet gateway: what comes in was translated to one of our
	 * instances (R-9.2), what goes out has a public IP (R-9.1); neither
	 * continues to or comes from a peering (R-6.8). */
	if (g->igw)
		sb_printf(&g->b,
			  "\t\tiifname \"%s\" ip daddr != @vpc_blocks drop\n"
			  "\t\toifname \"%s\" ip saddr != @public_src drop\n",
			  g->igw->ifname, g->igw->ifname);
	/* A gateway endpoint carries our own VPC's flows to the service and
	 * its replies back, nothing else: no flow starts at the service,
	 * none from or to a peer's blocks (R-6.8, R-10.7). */
	for (i = 0; (e = gateway_endpoint(g, i)); i++)
		sb_printf(&g->b,
			  "\t\tiifname \"%s\" ct state new drop\n"
			  "\t\tiifname \"%s\" ip daddr != @vpc_blocks drop\n"
			  "\t\toifname \"%s\" ip saddr != @vpc_blocks drop\n",
			  e->ifname, e->ifname, e->ifname);
	for (i = 0; i < lab->npeerings; i++) {
		const struct peering *p = lab->peerings[i];
		const char *ifn = p->ifname;

		if (!nftutil_peer_of(p, g->vpc))
			continue;
		sb_printf(&g->b, "\t\tiifname \"%s\" ip saddr != @", ifn);
		nftutil_ident(&g->b, "peer_", ifn);
		sb_printf(&g->b,
			  " drop\n"
			  "\t\tiifname \"%s\" ip daddr != @vpc_blocks drop\n"
			  "\t\toifname \"%s\" ip saddr != @vpc_blocks drop\n"
			  "\t\toifname \"%s\" ip daddr != @",
			  ifn, ifn, ifn);
		nftutil_ident(&g->b, "peer_", ifn);
		sb_puts(&g->b, " drop\n");
	}
	gen_tgw_guards(g);
	/* The virtual private gateway, like a peering, carries only our
	 * blocks <-> elsewhere: B cannot use A's VPN (R-6.8). */
	if (g->vgw)
		sb_printf(&g->b,
			  "\t\tiifname \"%s\" ip daddr != @vpc_blocks drop\n"
			  "\t\toifname \"%s\" ip saddr != @vpc_blocks drop\n",
			  g->vgw->ifname, g->vgw->ifname);
	sb_puts(&g->b,
		"\n"
		"\t\t# 2. Network ACLs, stateless, replies too (R-5.1): the\n"
		"\t\t# source subnet's outbound here, the destination's\n"
		"\t\t# inbound first thing in ingress_gate, after the\n"
		"\t\t# sender's groups, in AWS's order (§15).\n"
		"\t\tiifname vmap @acl_out\n"
		"\n"
		"\t\t# 3. Groups are stateful (R-4.13-R-4.15, R-4.21), but\n"
		"\t\t# an ENI leaves some TCP/UDP flows untracked (R-4.16):\n"
		"\t\t# ct mark 0x1, untracked at the ENI that opened the\n"
		"\t\t# flow; 0x2, at the ENI it went to. Such an ENI judges\n"
		"\t\t# every packet of the flow by its rules of the moment,\n"
		"\t\t# so a rule change cuts the flow at once (R-4.18).\n"
		"\t\tct state established ct mark & 0x3 == 0 goto ingress_gate\n"
		"\t\tct state related goto ingress_gate\n"
		"\t\tct state invalid drop\n"
		"\t\tct state new iifname . meta l4proto . th dport "
		"@untracked_out ct mark set ct mark | 0x1\n"
		"\t\tct state new oifname . meta l4proto . th dport "
		"@untracked_in ct mark set ct mark | 0x2\n"
		"\n"
		"\t\t# 4. Sender's egress gate (a match goes on to the\n"
		"\t\t# ingress gate, no match drops), then the receiver's\n"
		"\t\t# ingress gate; from a peering, only the latter. A\n"
		"\t\t# later packet meets only the gates of the ENIs that\n"
		"\t\t# do not track its flow.\n"
		"\t\tct state established ct direction original "
		"ct mark & 0x1 == 0 goto ingress_gate\n"
		"\t\tct state established ct direction reply "
		"ct mark & 0x2 == 0 goto ingress_gate\n"
		"\t\tiifname vmap @sg_egress\n"
		"\t\tjump ingress_gate\n"
		"\t}\n\n"
		"\tchain ingress_gate {\n"
		"\t\tcomment \"after the egress gate; a peer's router holds "
		"the gate of its ENIs\"\n"
		"\t\toifname vmap @acl_in\n"
		"\t\tct state established ct mark & 0x3 == 0 accept\n"
		"\t\tct state related accept\n"
		"\t\toifname @peerings accept\n");
	/* The internet gateway, gateway endpoints and NAT gateways have no
	 * security group. */
	if (g->igw)
		sb_printf(&g->b, "\t\toifname \"%s\" accept\n",
			  g->igw->ifname);
	for (i = 0; (e = gateway_endpoint(g, i)); i++)
		sb_printf(&g->b, "\t\toifname \"%s\" accept\n", e->ifname);
	gen_tgw_exits(g);
	if (g->vgw)
		sb_printf(&g->b, "\t\toifname \"%s\" accept\n",
			  g->vgw->ifname);
	if (g->ungated)
		sb_puts(&g->b, "\t\toifname @ungated accept\n");
	sb_puts(&g->b,
		"\t\tct state established ct direction original "
		"ct mark & 0x2 == 0 accept\n"
		"\t\tct state established ct direction reply "
		"ct mark & 0x1 == 0 accept\n"
		"\t\toifname vmap @sg_ingress\n"
		"\t\tdrop\n"
		"\t}\n\n");
}

/* Bytes the router forwarded, by ingress and egress port, for `vpcemu
 * cost` (cost.h): a base chain after forward, so that only accepted
 * packets count, and one update of a dynamic set whose elements carry a
 * counter. Its text never changes, so a delta leaves the counts alone;
 * a whole ruleset starts them again. */
static void gen_cost(struct gen *g)
{
	sb_puts(&g->b,
		"\tset cost {\n"
		"\t\ttype ifname . ifname\n"
		"\t\tsize 65535\n"
		"\t\tflags dynamic\n"
		"\t\tcounter\n"
		"\t\tcomment \"bytes forwarded: ingress port . egress port\"\n"
		"\t}\n\n"
		"\tchain cost {\n"
		"\t\ttype filter hook forward priority filter + 10; "
		"policy accept;\n"
		"\t\tcomment \"what forward accepted, counted for vpcemu cost\"\n"
		"\t\tupdate @cost { iifname . oifname }\n"
		"\t}\n\n");
}

/* What reaches the router itself: the daemon's resolver and metadata
 * sockets live there (plan.c puts their addresses on lo). Groups and ACLs
 * never filter them (R-4.11, R-5.10, R-12.9), but only this VPC's ENIs,
 * each from its own IP, reach them: not a peer's instances (a resolver
 * serves its own VPC), and nothing else on the router answers. */
static void gen_input(struct gen *g)
{
	char ip[16];

	sb_puts(&g->b,
		"\tchain input {\n"
		"\t\ttype filter hook input priority filter; policy drop;\n"
		"\t\tcomment \"to the router itself: Amazon DNS and IMDS, "
		"never filtered by groups or ACLs\"\n"
		"\t\tiifname \"lo\" accept\n"
		"\t\tmeta nfproto ipv6 drop\n");
	/* BGP with the customer gateways, from the tunnels' inside
	 * addresses (plan.c): the router is AWS's speaker. */
	if (g->vgw && vpn_has_connection(g->lab, &g->vgw->r, true))
		sb_printf(&g->b,
			  "\t\tiifname \"%s\" ip saddr 169.254.0.0/16 "
			  "tcp dport 179 accept\n"
			  "\t\tiifname \"%s\" ip saddr 169.254.0.0/16 "
			  "tcp sport 179 accept\n",
			  g->vgw->ifname, g->vgw->ifname);
	sb_puts(&g->b,
		"\t\tiifname != @enis drop\n"
		"\t\tiifname . ip saddr != @eni_addr drop\n");
	if (g->vpc->dns_support)
		sb_printf(&g->b,
			  "\t\tip daddr { %s, 169.254.169.253 } "
			  "meta l4proto { tcp, udp } th dport 53 accept\n",
			  ip_fmt(g->vpc->cidrs[0].addr + 2, ip));
	sb_puts(&g->b,
		"\t\tip daddr 169.254.169.254 tcp dport 80 accept\n"
		"\t}\n\n");
}

/* The NACL chains of one subnet. The outbound chain is entered for
 * packets leaving sn (by iifname: the source ENI is in sn), the inbound
 * one for packets entering it; both step aside for traffic that stays
 * inside sn, which never meets a NACL (R-5.8). */
static void gen_acl_chain(struct gen *g, const struct subnet *sn,
			  enum direction dir)
{
	bool out = dir == DIR_EGRESS;
	const char *other = out ? "daddr" : "saddr";
	const struct nacl *acl = sn->nacl;
	char buf[20];
	size_t i;

	sb_puts(&g->b, "\tchain ");
	nftutil_ident(&g->b, out ? "aclout_" : "aclin_", sn->r.id);
	sb_puts(&g->b, " {\n");
	nftutil_comment(&g->b, "\t\t", "%s %s %s: %s %s", sn->r.id, sn->r.name,
		    out ? "outbound" : "inbound", acl ? acl->r.id : "no ACL",
		    acl ? acl->r.name : "");
	sb_printf(&g->b, "\n\t\tip %s %s return\n", other,
		  cidr_fmt(sn->cidr, buf));
	for (i = 0; acl && i < acl->nentries; i++) {
		const struct nacl_entry *en = &acl->entries[i];

		if (en->dir != dir)
			continue;
		sb_puts(&g->b, "\t\t");
		put_cidr_match(&g->b, other, en->cidr);
		put_proto(&g->b, &en->proto);
		/* First match decides (R-5.3): allow leaves the chain for
		 * the next stage, deny ends the packet. */
		if (en->action == NACL_ALLOW)
			sb_puts(&g->b, "return");
		else
			nftutil_drop(&g->b, g->logged, out);
		sb_printf(&g->b, " comment \"rule %u\"\n", en->number);
	}
	sb_puts(&g->b, "\t\t");
	nftutil_drop(&g->b, g->logged, out);
	sb_puts(&g->b, " comment \"rule *\"\n\t}\n\n");
}


char *nftgen_router(const struct lab *lab, const struct vpc *vpc)
{
	struct gen g = { .lab = lab, .vpc = vpc, .igw = igw_of(lab, vpc),
			 .logged = flow_log_vpc_logged(lab, vpc),
			 .vgw = vgw_of(lab, vpc) };
	struct strbuf chains = { 0 };
	size_t i;
	char *text;

	if (!lab || !vpc) {
		errno = EINVAL;
		return NULL;
	}

	sb_puts(&g.b, "flush ruleset\n\ntable inet vpcemu {\n");
	nftutil_comment(&g.b, "\t", "router of %s %s", vpc->r.id, vpc->r.name);
	sb_puts(&g.b, "\n\n");

	gen_port_sets(&g);
	gen_untracked_set(&g, DIR_EGRESS);
	gen_untracked_set(&g, DIR_INGRESS);
	gen_block_sets(&g);
	gen_tgw_sets(&g);
	if (g.igw)
		gen_public_sets(&g);
	g.ungated = has_enis(&g, model_eni_ungated);
	g.forwarders = has_enis(&g, forwarder);
	if (g.ungated)
		gen_eni_set(&g, "ungated",
			    "ENIs with no group (NAT gateways, load balancer "
			    "nodes without one): no gate",
			    model_eni_ungated);
	if (g.forwarders)
		gen_eni_set(&g, "forwarders",
			    "ENIs that forward others' packets (NAT gateways, "
			    "load balancer nodes, source-dest-check off): no "
			    "address check",
			    forwarder);
	g.oom |= nftsg_member_sets(&g.b, lab, vpc) < 0;
	/* Group chains go to chains, their rule sets here, before any
	 * chain that names them. */
	g.oom |= nftsg_group_chains(&g.b, &chains, lab, vpc) < 0;
	gen_map(&g, "acl_out", "ENI -> outbound ACL of its subnet",
		"aclout_");
	gen_map(&g, "acl_in", "ENI -> inbound ACL of its subnet", "aclin_");
	g.oom |= nftsg_gate_map(&g.b, lab, vpc, true) < 0;
	g.oom |= nftsg_gate_map(&g.b, lab, vpc, false) < 0;
	gen_forward(&g);
	gen_cost(&g);
	gen_input(&g);
	if (has_enis(&g, lb_node))
		gen_node_marks(&g);
	if (g.igw)
		gen_nat(&g);

	for (i = 0; i < lab->nsubnets; i++) {
		const struct subnet *sn = lab->subnets[i];

		if (sn->vpc != vpc)
			continue;
		gen_acl_chain(&g, sn, DIR_EGRESS);
		gen_acl_chain(&g, sn, DIR_INGRESS);
	}
	g.oom |= nftsg_gate_chains(&g.b, lab, vpc) < 0;
	if (chains.oom)
		g.oom = true;
	else if (chains.len)
		sb_puts(&g.b, chains.s);
	sb_free(&chains);
	/* The blank line after the last chain goes: "}\n}\n" ends the file. */
	if (g.b.len >= 2 && !g.b.oom)
		g.b.s[--g.b.len] = '\0';
	sb_puts(&g.b, "}\n");

	if (g.oom) {
		sb_free(&g.b);
		errno = ENOMEM;
		return NULL;
	}
	text = sb_take(&g.b);
	if (!text)
		errno = ENOMEM;
	return text;
}

/* ---- deltas ------------------------------------------------------------- */

/* A named block of a ruleset nftgen_router wrote: from the line
 * "\tKIND NAME {" to the line "\t}", KIND set, map or chain. */
struct nblock {
	const char *kind, *name;	/* into the text */
	size_t kindlen, namelen;
	const char *start, *end;	/* whole lines, end past "\t}\n" */
	bool used;			/* old blocks: new has it */
};

struct nblocks {
	struct nblock *v;
	size_t n, cap;
	struct strbuf frame;	/* every other line but blank ones */
};

static const char *line_end(const char *s)
{
	const char *e = strchr(s, '\n');

	return e ? e + 1 : s + strlen(s);
}

/* Reads "\tKIND NAME {\n" at s into b; false when s is another line. */
static bool block_open(const char *s, struct nblock *b)
{
	static const char *const kinds[] = { "set ", "map ", "chain " };
	const char *e = line_end(s), *name;
	size_t i, k;

	if (s[0] != '\t' || s[1] == '\t' || e - s < 4 || memcmp(e - 3, " {\n", 3))
		return false;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		k = strlen(kinds[i]);
		if (strncmp(s + 1, kinds[i], k))
			continue;
		name = s + 1 + k;
		*b = (struct nblock){ .kind = s + 1, .kindlen = k - 1,
				      .name = name,
				      .namelen = (size_t)(e - 3 - name),
				      .start = s };
		return b->namelen && !memchr(name, ' ', b->namelen);
	}
	return false;
}

static int nblocks_read(const char *text, struct nblocks *bs)
{
	const char *s = text, *e;
	struct nblock b, *slot;

	while (*s) {
		if (!block_open(s, &b)) {
			/* Blank lines separate blocks: not the frame's. */
			e = line_end(s);
			if (*s != '\n')
				sb_printf(&bs->frame, "%.*s", (int)(e - s), s);
			s = e;
			continue;
		}
		for (s = line_end(s); *s && strncmp(s, "\t}\n", 3); s = line_end(s))
			;
		if (!*s)
			return -EINVAL;	/* not nftgen's */
		b.end = s = s + 3;
		slot = VEC_PUSH(bs->v, bs->n, bs->cap);
		if (!slot)
			return -ENOMEM;
		*slot = b;
	}
	return bs->frame.oom ? -ENOMEM : 0;
}

/* The declaration of a block: for a set or map every line but its
 * elements, for a chain its type and comment lines (the rest are rules,
 * comments and blank lines). Two blocks with the same declaration differ
 * only in what flush empties. */
static void block_decl(const struct nblock *b, struct strbuf *out)
{
	bool chain = b->kindlen == 5, in_elements = false;
	const char *s, *e;

	for (s = line_end(b->start); s < b->end; s = e) {
		e = line_end(s);
		if (!chain) {
			if (!strncmp(s, "\t\telements = {\n", 15))
				in_elements = true;
			else if (in_elements && !strncmp(s, "\t\t}\n", 4))
				in_elements = false;
			else if (!in_elements)
				sb_printf(out, "%.*s", (int)(e - s), s);
		} else if (!strncmp(s, "\t\ttype ", 7) ||
			   !strncmp(s, "\t\tcomment ", 10)) {
			sb_printf(out, "%.*s", (int)(e - s), s);
		}
	}
}

static bool same_decl(const struct nblock *a, const struct nblock *b,
		      int *err)
{
	struct strbuf x = { 0 }, y = { 0 };
	bool same;

	block_decl(a, &x);
	block_decl(b, &y);
	if (x.oom || y.oom)
		*err = -ENOMEM;
	same = !x.oom && !y.oom && !strcmp(x.s ? x.s : "", y.s ? y.s : "");
	sb_free(&x);
	sb_free(&y);
	return same;
}

static struct nblock *block_find(struct nblocks *bs, const struct nblock *b)
{
	size_t i;

	for (i = 0; i < bs->n; i++)
		if (bs->v[i].kindlen == b->kindlen &&
		    bs->v[i].namelen == b->namelen &&
		    !memcmp(bs->v[i].kind, b->kind, b->kindlen) &&
		    !memcmp(bs->v[i].name, b->name, b->namelen))
			return &bs->v[i];
	return NULL;
}

static size_t block_len(const struct nblock *b)
{
	return (size_t)(b->end - b->start);
}

static bool chain_is_base(const struct nblock *b)
{
	const char *s;

	for (s = line_end(b->start); s < b->end; s = line_end(s))
		if (!strncmp(s, "\t\ttype ", 7))
			return true;
	return false;
}

/* "flush chain inet vpcemu NAME\n" and the like. */
static void block_cmd(struct strbuf *sb, const char *verb,
		      const struct nblock *b)
{
	sb_printf(sb, "%s %.*s inet vpcemu %.*s\n", verb, (int)b->kindlen,
		  b->kind, (int)b->namelen, b->name);
}

char *nftgen_delta(const char *old, const char *new)
{
	struct nblocks o = { 0 }, n = { 0 };
	struct strbuf pre = { 0 }, decl = { 0 }, post = { 0 };
	struct nblock *ob, *nb;
	char *out = NULL;
	size_t i, pass;
	int r;

	r = nblocks_read(old, &o);
	if (!r)
		r = nblocks_read(new, &n);
	if (!r && strcmp(o.frame.s ? o.frame.s : "", n.frame.s ? n.frame.s : ""))
		r = -EINVAL;
	for (i = 0; !r && i < n.n; i++) {
		nb = &n.v[i];
		ob = block_find(&o, nb);
		if (ob)
			ob->used = true;
		if (ob && block_len(ob) == block_len(nb) &&
		    !memcmp(ob->start, nb->start, block_len(nb)))
			continue;
		if (ob && !same_decl(ob, nb, &r)) {
			r = r ? r : -EINVAL;
			break;
		}
		if (!ob && nb->kindlen == 5) {
			/* A new base chain would need its hook: only a whole
			 * ruleset says it. Regular chains may exist already
			 * (an apply that stopped half-way): made empty. */
			if (chain_is_base(nb)) {
				r = -EINVAL;
				break;
			}
			/* With its comment: a chain that exists keeps the
			 * one it was made with. */
			sb_printf(&pre, "add chain inet vpcemu %.*s {\n",
				  (int)nb->namelen, nb->name);
			block_decl(nb, &pre);
			sb_puts(&pre, "}\n");
		}
		if (ob || nb->kindlen == 5)
			block_cmd(&pre, "flush", nb);
		sb_printf(&decl, "%.*s", (int)block_len(nb), nb->start);
	}
	/* What goes: chains first (their rules hold references to sets and
	 * to later chains), each kind in the old text's order. */
	for (pass = 0; !r && pass < 2; pass++)
		for (i = 0; i < o.n; i++)
			if (!o.v[i].used && (o.v[i].kindlen == 5) == !pass)
				block_cmd(&post, "delete", &o.v[i]);
	if (!r) {
		sb_puts(&pre, "table inet vpcemu {\n");
		sb_puts(&pre, decl.s ? decl.s : "");
		sb_puts(&pre, "}\n");
		sb_puts(&pre, post.s ? post.s : "");
		out = sb_take(&pre);
		if (!out)
			r = -ENOMEM;
	}
	sb_free(&pre);
	sb_free(&decl);
	sb_free(&post);
	sb_free(&o.frame);
	sb_free(&n.frame);
	free(o.v);
	free(n.v);
	if (!out)
		errno = -r;
	return out;
}
