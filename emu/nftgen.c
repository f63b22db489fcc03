/* nftgen.c - model -> the nftables ruleset of one VPC router (pure).
 *
 * Called by plan.c once per VPC; the text goes unchanged to nft.c, which
 * applies it in one transaction inside the router namespace. The order of
 * the forward chain is the contract of include/vpcemu/nftgen.h. Layout of
 * the text, in this order (everything in the model's array order or
 * sorted, so the same lab gives the same bytes):
 *
 *   sets   enis, peerings         the router's ports, by interface name
 *          eni_addr               ifname . private IP (source check)
 *          untracked_out, _in     ifname . protocol . port range: flows
 *                                 the ENI opens / receives untracked
 *                                 (tracking.c)
 *          vpc_blocks             this VPC's blocks
 *          peer_<pcx 8 hex>       the peer VPC's blocks, one per peering
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
 *   chain  ingress_gate           peering exit, a flow the receiver
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
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/model.h"
#include "vpcemu/nftgen.h"
#include "vpcemu/tracking.h"
#include "vpcemu/util.h"

struct gen {
	const struct lab *lab;
	const struct vpc *vpc;
	struct strbuf b;
	bool *ref;		/* per lab->sgs: referenced from our chains */
	bool oom;
};

static bool eni_here(const struct eni *e, const struct vpc *vpc)
{
	return e->subnet && e->subnet->vpc == vpc;
}

/* The other VPC of a peering vpc takes part in, or NULL. */
static const struct vpc *peer_of(const struct peering *p,
				 const struct vpc *vpc)
{
	if (p->requester == vpc)
		return p->accepter;
	if (p->accepter == vpc)
		return p->requester;
	return NULL;
}

static bool str_same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* Whether a rule in vpc's router may see the members of group g: its own
 * groups always; a peer's only across an active peering within one region
 * (R-4.22, R-4.23). Anything else is a stale reference (R-4.24). */
static bool sg_usable(const struct lab *lab, const struct vpc *vpc,
		      const struct sg *g)
{
	size_t i;

	if (g->vpc == vpc)
		return true;
	for (i = 0; i < lab->npeerings; i++) {
		const struct peering *p = lab->peerings[i];

		if (p->status == PEERING_ACTIVE && peer_of(p, vpc) == g->vpc &&
		    str_same(vpc->region, g->vpc->region))
			return true;
	}
	return false;
}

static size_t sg_index(const struct lab *lab, const struct sg *g)
{
	size_t i;

	for (i = 0; i < lab->nsgs; i++)
		if (lab->sgs[i] == g)
			break;
	return i;
}

/* Appends an identifier: prefix, then the part of an ID or interface name
 * after its last '-', with anything but [A-Za-z0-9_] made '_'. */
static void put_ident(struct strbuf *b, const char *prefix, const char *id)
{
	const char *hex = strrchr(id, '-');
	char buf[MODEL_ID_MAX];
	size_t i;

	hex = hex ? hex + 1 : id;
	for (i = 0; hex[i] && i < sizeof(buf) - 1; i++) {
		char c = hex[i];

		buf[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') ? c : '_';
	}
	buf[i] = '\0';
	sb_puts(b, prefix);
	sb_puts(b, buf);
}

/* One element line of a set or map keyed by an interface name:
 * \t\t\t"IFNAME" then tail. Large labs write thousands of them: no
 * format string. */
static void put_element(struct strbuf *b, const char *ifname,
			const char *tail)
{
	sb_puts(b, "\t\t\t\"");
	sb_puts(b, ifname);
	sb_puts(b, "\"");
	sb_puts(b, tail);
}

/* Appends lead, then comment "TEXT". nft strings have no escapes and nft
 * refuses a comment over 128 bytes (libnftnl's NFTNL_UDATA_COMMENT_MAXLEN),
 * which would fail the whole transaction: the text is cut at 128 bytes and
 * anything but printable ASCII, quote and backslash excluded, becomes '_'. */
static void put_comment(struct strbuf *b, const char *lead, const char *fmt,
			...) __attribute__((format(printf, 3, 4)));
static void put_comment(struct strbuf *b, const char *lead, const char *fmt,
			...)
{
	char buf[129];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (i = 0; buf[i]; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			buf[i] = '_';
	}
	sb_printf(b, "%scomment \"%s\"", lead, buf);
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

static void put_range(struct strbuf *b, uint32_t lo, uint32_t hi)
{
	if (lo == hi)
		sb_printf(b, "%u", lo);
	else
		sb_printf(b, "%u-%u", lo, hi);
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

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
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
		if (!eni_here(lab->enis[i], g->vpc))
			continue;
		if (!n++)
			sb_puts(&g->b, "\t\telements = {\n");
		put_element(&g->b, lab->enis[i]->ifname, ",\n");
	}
	sb_puts(&g->b, n ? "\t\t}\n\t}\n\n" : "\t}\n\n");

	sb_puts(&g->b,
		"\tset peerings {\n"
		"\t\ttype ifname\n"
		"\t\tcomment \"peering links of this VPC, any status\"\n");
	for (i = n = 0; i < lab->npeerings; i++) {
		if (!peer_of(lab->peerings[i], g->vpc))
			continue;
		if (!n++)
			sb_puts(&g->b, "\t\telements = {\n");
		put_element(&g->b, lab->peerings[i]->ifname, ",\n");
	}
	sb_puts(&g->b, n ? "\t\t}\n\t}\n\n" : "\t}\n\n");

	/* Source/destination check: an ENI sends only from its own
	 * private IP. */
	sb_puts(&g->b, "\tset eni_addr {\n"
		       "\t\ttype ifname . ipv4_addr\n"
		       "\t\tcomment \"source check: each ENI's private IP\"\n");
	for (i = n = 0; i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];

		if (!eni_here(e, g->vpc))
			continue;
		if (!n++)
			sb_puts(&g->b, "\t\telements = {\n");
		put_element(&g->b, e->ifname, " . ");
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

		if (!eni_here(e, g->vpc))
			continue;
		k = tracking_untracked(e, dir, &u);
		if (k < 0) {
			g->oom = true;
			return;
		}
		for (j = 0; j < k; j++) {
			if (!n++)
				sb_puts(&g->b, "\t\telements = {\n");
			put_element(&g->b, e->ifname, u[j].proto == 6 ?
				    " . tcp . " : " . udp . ");
			put_range(&g->b, u[j].port_lo, u[j].port_hi);
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
	put_comment(&g->b, "\t\t", "blocks of %s %s", g->vpc->r.id,
		    g->vpc->r.name);
	sb_puts(&g->b, "\n");
	put_blocks(g, g->vpc);
	sb_puts(&g->b, "\t}\n\n");

	for (i = 0; i < lab->npeerings; i++) {
		const struct peering *p = lab->peerings[i];
		const struct vpc *peer = peer_of(p, g->vpc);

		if (!peer)
			continue;
		sb_puts(&g->b, "\tset ");
		put_ident(&g->b, "peer_", p->ifname);
		sb_puts(&g->b, " {\n"
			       "\t\ttype ipv4_addr\n"
			       "\t\tflags interval\n");
		put_comment(&g->b, "\t\t", "blocks of %s %s across %s",
			    peer->r.id, peer->r.name, p->r.id);
		sb_puts(&g->b, "\n");
		put_blocks(g, peer);
		sb_puts(&g->b, "\t}\n\n");
	}
}

/* Marks every group that a rule of a group on one of our ENIs references. */
static int mark_refs(struct gen *g)
{
	const struct lab *lab = g->lab;
	size_t i, j, k;

	g->ref = calloc(lab->nsgs + 1, sizeof(*g->ref));
	if (!g->ref)
		return -ENOMEM;
	for (i = 0; i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];

		if (!eni_here(e, g->vpc))
			continue;
		for (j = 0; j < e->nsgs; j++) {
			const struct sg *s = e->sgs[j];

			for (k = 0; k < s->nrules; k++) {
				const struct sg_rule *r = &s->rules[k];

				if (r->peer_kind == SG_PEER_SG && r->peer_sg)
					g->ref[sg_index(lab, r->peer_sg)] =
						true;
			}
		}
	}
	return 0;
}

static bool eni_has_sg(const struct eni *e, const struct sg *s)
{
	size_t i;

	for (i = 0; i < e->nsgs; i++)
		if (e->sgs[i] == s)
			return true;
	return false;
}

/* One set per referenced group: the private IPs of the ENIs that carry it
 * (instances' and endpoints' alike, R-4.9), or nothing when the reference
 * is stale here. */
static void gen_sg_sets(struct gen *g)
{
	const struct lab *lab = g->lab;
	uint32_t *ips = NULL;
	char buf[16];
	size_t i, j, n;

	if (lab->nenis && !(ips = calloc(lab->nenis, sizeof(*ips)))) {
		g->oom = true;
		return;
	}
	for (i = 0; i < lab->nsgs; i++) {
		const struct sg *s = lab->sgs[i];
		bool usable;

		if (!g->ref[i])
			continue;
		usable = sg_usable(lab, g->vpc, s);
		sb_puts(&g->b, "\tset ");
		put_ident(&g->b, "sg_", s->r.id);
		sb_puts(&g->b, " {\n"
			       "\t\ttype ipv4_addr\n");
		put_comment(&g->b, "\t\t", "%s %s %s",
			    usable ? "members of" : "stale here, left empty:",
			    s->r.id, s->r.name);
		sb_puts(&g->b, "\n");

		n = 0;
		for (j = 0; usable && j < lab->nenis; j++)
			if (eni_has_sg(lab->enis[j], s))
				ips[n++] = lab->enis[j]->ip;
		/* Sorted and unique: a set takes each element once, and
		 * sorting keeps the text independent of ENI order. */
		qsort(ips, n, sizeof(*ips), cmp_u32);
		for (j = 0; j < n; j++) {
			if (!j)
				sb_puts(&g->b, "\t\telements = {\n");
			else if (ips[j] == ips[j - 1])
				continue;
			sb_puts(&g->b, "\t\t\t");
			sb_puts(&g->b, ip_fmt(ips[j], buf));
			sb_puts(&g->b, ",\n");
		}
		sb_puts(&g->b, n ? "\t\t}\n\t}\n\n" : "\t}\n\n");
	}
	free(ips);
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

		if (!eni_here(e, g->vpc))
			continue;
		if (!n++)
			sb_puts(&g->b, "\t\telements = {\n");
		put_element(&g->b, e->ifname, " : jump ");
		put_ident(&g->b, chain_prefix, e->subnet->r.id);
		sb_puts(&g->b, ",\n");
	}
	sb_puts(&g->b, n ? "\t\t}\n\t}\n\n" : "\t}\n\n");
}

/* chains -------------------------------------------------------------- */

static void gen_forward(struct gen *g)
{
	const struct lab *lab = g->lab;
	size_t i;

	sb_puts(&g->b,
		"\tchain forward {\n"
		"\t\ttype filter hook forward priority filter; policy drop;\n"
		"\t\tcomment \"every packet between two ports of the router\"\n"
		"\n"
		"\t\t# 1. Only IPv4 is emulated; only known ports; an ENI\n"
		"\t\t# sends from its own IP; a peering carries only peer\n"
		"\t\t# blocks <-> our blocks (R-6.7, R-6.8).\n"
		"\t\tmeta nfproto ipv6 drop\n"
		"\t\tiifname != @enis iifname != @peerings drop\n"
		"\t\toifname != @enis oifname != @peerings drop\n"
		"\t\tiifname @enis iifname . ip saddr != @eni_addr drop\n");
	for (i = 0; i < lab->npeerings; i++) {
		const struct peering *p = lab->peerings[i];
		const char *ifn = p->ifname;

		if (!peer_of(p, g->vpc))
			continue;
		sb_printf(&g->b, "\t\tiifname \"%s\" ip saddr != @", ifn);
		put_ident(&g->b, "peer_", ifn);
		sb_printf(&g->b,
			  " drop\n"
			  "\t\tiifname \"%s\" ip daddr != @vpc_blocks drop\n"
			  "\t\toifname \"%s\" ip saddr != @vpc_blocks drop\n"
			  "\t\toifname \"%s\" ip daddr != @",
			  ifn, ifn, ifn);
		put_ident(&g->b, "peer_", ifn);
		sb_puts(&g->b, " drop\n");
	}
	sb_puts(&g->b,
		"\n"
		"\t\t# 2. Network ACLs, stateless, replies too (R-5.1): the\n"
		"\t\t# source subnet's outbound, the destination's inbound.\n"
		"\t\tiifname vmap @acl_out\n"
		"\t\toifname vmap @acl_in\n"
		"\n"
		"\t\t# 3. Groups are stateful (R-4.13-R-4.15, R-4.21), but\n"
		"\t\t# an ENI leaves some TCP/UDP flows untracked (R-4.16):\n"
		"\t\t# ct mark 0x1, untracked at the ENI that opened the\n"
		"\t\t# flow; 0x2, at the ENI it went to. Such an ENI judges\n"
		"\t\t# every packet of the flow by its rules of the moment,\n"
		"\t\t# so a rule change cuts the flow at once (R-4.18).\n"
		"\t\tct state established ct mark & 0x3 == 0 accept\n"
		"\t\tct state related accept\n"
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
		"\t\toifname @peerings accept\n"
		"\t\tct state established ct direction original "
		"ct mark & 0x2 == 0 accept\n"
		"\t\tct state established ct direction reply "
		"ct mark & 0x1 == 0 accept\n"
		"\t\toifname vmap @sg_ingress\n"
		"\t\tdrop\n"
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
		"\t\tmeta nfproto ipv6 drop\n"
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
	put_ident(&g->b, out ? "aclout_" : "aclin_", sn->r.id);
	sb_puts(&g->b, " {\n");
	put_comment(&g->b, "\t\t", "%s %s %s: %s %s", sn->r.id, sn->r.name,
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
		sb_printf(&g->b, "%s comment \"rule %u\"\n",
			  en->action == NACL_ALLOW ? "return" : "drop",
			  en->number);
	}
	sb_puts(&g->b, "\t\tdrop comment \"rule *\"\n\t}\n\n");
}

/* Security groups as lookups ------------------------------------------- */

/* A rule's match as a box: an interval of peer addresses times an
 * interval of a key whose meaning depends on the set kind. */
enum set_kind {
	SK_ALL,		/* key unused: "all" rules */
	SK_L4,		/* key: protocol << 16 | destination port (TCP, UDP) */
	SK_PROTO,	/* key: IP protocol number ("proto N") */
	SK_ICMP,	/* key: ICMP type << 8 | code */
	SK_N,
};

static const char *const sk_suffix[SK_N] = { "_all", "_l4", "_proto",
					      "_icmp" };

struct box {
	uint32_t alo, ahi;	/* addresses, inclusive */
	uint32_t klo, khi;	/* keys, inclusive */
};

struct boxes {
	struct box *v;
	size_t n, cap;
};

struct kiv {
	uint32_t lo, hi;
};

static void boxes_free(struct boxes *bs)
{
	free(bs->v);
	*bs = (struct boxes){ 0 };
}

static void box_add(struct gen *g, struct boxes *bs, struct cidr c,
		    uint32_t klo, uint32_t khi)
{
	uint32_t span = c.len == 0 ? 0xffffffffu :
			c.len >= 32 ? 0 : 0xffffffffu >> c.len;
	struct box *b = VEC_PUSH(bs->v, bs->n, bs->cap);

	if (!b) {
		g->oom = true;
		return;
	}
	*b = (struct box){ c.addr & ~span, c.addr | span, klo, khi };
}

/* The set kind and key interval of a protocol match. */
static enum set_kind proto_key(const struct proto_match *m, uint32_t *klo,
			       uint32_t *khi)
{
	uint32_t p;

	switch (m->kind) {
	case PROTO_TCP:
	case PROTO_UDP:
		p = m->kind == PROTO_TCP ? 6 : 17;
		*klo = p << 16 | m->port_lo;
		*khi = p << 16 | m->port_hi;
		return SK_L4;
	case PROTO_NUMBER:
		*klo = *khi = m->number;
		return SK_PROTO;
	case PROTO_ICMP:
		if (m->icmp_type < 0) {
			*klo = 0;
			*khi = 0xffff;
		} else if (m->icmp_code < 0) {
			*klo = (uint32_t)m->icmp_type << 8;
			*khi = *klo | 0xff;
		} else {
			*klo = *khi = (uint32_t)m->icmp_type << 8 |
				      (uint32_t)m->icmp_code;
		}
		return SK_ICMP;
	case PROTO_ALL:
		break;
	}
	*klo = *khi = 0;
	return SK_ALL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_kiv(const void *a, const void *b)
{
	const struct kiv *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

static void flush_piece(struct gen *g, struct boxes *out, uint32_t alo,
			uint32_t ahi, const struct kiv *k, size_t nk)
{
	size_t i;

	for (i = 0; i < nk; i++) {
		struct box *b = VEC_PUSH(out->v, out->n, out->cap);

		if (!b) {
			g->oom = true;
			return;
		}
		*b = (struct box){ alo, ahi, k[i].lo, k[i].hi };
	}
}

/* Rewrites bs as disjoint boxes with the same union, sorted by address,
 * then key. The address axis is cut at every box edge; over each piece the
 * key intervals of the boxes covering it are merged; neighbouring pieces
 * with the same keys join. */
static void disjoint_by_addr(struct gen *g, struct boxes *bs)
{
	struct boxes out = { 0 };
	struct kiv *cur = NULL, *pend = NULL;
	uint64_t *cut = NULL;
	size_t ncut = 0, ncur, npend = 0, i, j;
	uint32_t plo = 0, phi = 0;

	if (!bs->n)
		return;
	cut = calloc(2 * bs->n, sizeof(*cut));
	cur = calloc(bs->n, sizeof(*cur));
	pend = calloc(bs->n, sizeof(*pend));
	if (!cut || !cur || !pend) {
		g->oom = true;
		goto out;
	}
	for (i = 0; i < bs->n; i++) {
		cut[ncut++] = bs->v[i].alo;
		cut[ncut++] = (uint64_t)bs->v[i].ahi + 1;
	}
	qsort(cut, ncut, sizeof(*cut), cmp_u64);
	for (i = j = 0; i < ncut; i++)
		if (!j || cut[i] != cut[j - 1])
			cut[j++] = cut[i];
	ncut = j;

	for (i = 0; i + 1 < ncut; i++) {
		uint32_t lo = (uint32_t)cut[i], hi = (uint32_t)(cut[i + 1] - 1);
		size_t n = 0;

		for (j = 0; j < bs->n; j++)
			if (bs->v[j].alo <= lo && bs->v[j].ahi >= lo)
				cur[n++] = (struct kiv){ bs->v[j].klo,
							 bs->v[j].khi };
		qsort(cur, n, sizeof(*cur), cmp_kiv);
		for (j = ncur = 0; j < n; j++) {
			if (ncur && (uint64_t)cur[j].lo <=
					    (uint64_t)cur[ncur - 1].hi + 1) {
				if (cur[j].hi > cur[ncur - 1].hi)
					cur[ncur - 1].hi = cur[j].hi;
				continue;
			}
			cur[ncur++] = cur[j];
		}
		if (npend && ncur == npend && (uint64_t)phi + 1 == lo &&
		    !memcmp(cur, pend, ncur * sizeof(*cur))) {
			phi = hi;
			continue;
		}
		flush_piece(g, &out, plo, phi, pend, npend);
		memcpy(pend, cur, ncur * sizeof(*cur));
		npend = ncur;
		plo = lo;
		phi = hi;
	}
	flush_piece(g, &out, plo, phi, pend, npend);
	free(bs->v);
	*bs = out;
	out = (struct boxes){ 0 };
out:
	boxes_free(&out);
	free(cut);
	free(cur);
	free(pend);
}

static void boxes_swap(struct boxes *bs)
{
	size_t i;

	for (i = 0; i < bs->n; i++) {
		struct box *b = &bs->v[i];

		*b = (struct box){ b->klo, b->khi, b->alo, b->ahi };
	}
}

/* Rewrites bs as disjoint boxes with the same union, in a canonical order:
 * the kernel's interval sets refuse overlapping elements, and the text
 * must not depend on rule order. Cut along the address axis and along the
 * key axis, and keep the shorter result (the key axis on a tie): rules
 * that share ports stay whole by key, rules that share blocks by address. */
static void boxes_disjoint(struct gen *g, struct boxes *bs)
{
	struct boxes k = { 0 };

	if (bs->n < 2)
		return;
	k.v = malloc(bs->n * sizeof(*k.v));
	if (!k.v) {
		g->oom = true;
		return;
	}
	memcpy(k.v, bs->v, bs->n * sizeof(*k.v));
	k.n = k.cap = bs->n;
	boxes_swap(&k);
	disjoint_by_addr(g, &k);
	boxes_swap(&k);
	disjoint_by_addr(g, bs);
	if (k.n <= bs->n) {
		free(bs->v);
		*bs = k;
	} else {
		boxes_free(&k);
	}
}

/* An address interval as nft writes it: an address, a prefix or a range. */
static void put_addrs(struct strbuf *b, uint32_t lo, uint32_t hi)
{
	uint32_t span = hi - lo;
	char x[16], y[16];

	if (!span)
		sb_puts(b, ip_fmt(lo, x));
	else if (!(span & (span + 1)) && !(lo & span))
		sb_printf(b, "%s/%d", ip_fmt(lo, x),
			  32 - __builtin_popcount(span));
	else
		sb_printf(b, "%s-%s", ip_fmt(lo, x), ip_fmt(hi, y));
}

/* Splits a key interval (type << 8 | code) into at most max boxes of ICMP
 * type range . code range: whole types join, partial ones stand alone (an
 * interval needs at most 3). Returns how many. */
struct icmp_piece {
	uint32_t tlo, thi, clo, chi;
};

static size_t icmp_pieces(uint32_t lo, uint32_t hi, struct icmp_piece *p,
			  size_t max)
{
	size_t n = 0;

	while (lo <= hi && n < max) {
		uint32_t t = lo >> 8, end;

		if (!(lo & 0xff) && hi >= (t << 8 | 0xff)) {
			uint32_t t2 = (hi & 0xff) == 0xff ? hi >> 8 :
							    (hi >> 8) - 1;

			p[n++] = (struct icmp_piece){ t, t2, 0, 0xff };
			lo = (t2 + 1) << 8;
			continue;
		}
		end = hi < (t << 8 | 0xff) ? hi : (t << 8 | 0xff);
		p[n++] = (struct icmp_piece){ t, t, lo & 0xff, end & 0xff };
		lo = end + 1;
	}
	return n;
}

/* One key interval as a set element (after "ADDR . " in named sets);
 * ICMP keys may need several elements: sep goes between them. */
static void put_key(struct strbuf *b, enum set_kind k, uint32_t lo,
		    uint32_t hi, const char *prefix, const char *sep)
{
	struct icmp_piece p[3];
	size_t i, n;

	switch (k) {
	case SK_L4:
		sb_printf(b, "%s%s . ", prefix, lo >> 16 == 6 ? "tcp" : "udp");
		put_range(b, lo & 0xffff, hi & 0xffff);
		break;
	case SK_PROTO:
		sb_puts(b, prefix);
		put_range(b, lo, hi);
		break;
	case SK_ICMP:
		n = icmp_pieces(lo, hi, p, 3);
		for (i = 0; i < n; i++) {
			sb_printf(b, "%s%s", i ? sep : "", prefix);
			put_range(b, p[i].tlo, p[i].thi);
			sb_puts(b, " . ");
			put_range(b, p[i].clo, p[i].chi);
		}
		break;
	case SK_ALL:
	case SK_N:
		break;
	}
}

static const char *const sk_type[SK_N] = {
	"ipv4_addr",
	"ipv4_addr . inet_proto . inet_service",
	"ipv4_addr . inet_proto",
	"ipv4_addr . icmp_type . icmp_code",
};

static const char *const sk_match[SK_N] = {
	"", " . meta l4proto . th dport", " . meta l4proto",
	" . icmp type . icmp code",
};

/* "sgin_<group hex>" and the like. */
static void put_group_name(struct strbuf *b, const struct sg *s, bool out,
			   const char *suffix)
{
	put_ident(b, out ? "sgout_" : "sgin_", s->r.id);
	sb_puts(b, suffix);
}

/* The named set of a group's CIDR rules of one kind. */
static void gen_rule_set(struct gen *g, struct strbuf *b, const struct sg *s,
			 bool out, enum set_kind k, const struct boxes *bs)
{
	size_t i;

	sb_puts(b, "\tset ");
	put_group_name(b, s, out, sk_suffix[k]);
	sb_printf(b, " {\n\t\ttype %s\n\t\tflags interval\n"
		     "\t\telements = {\n", sk_type[k]);
	for (i = 0; i < bs->n; i++) {
		struct icmp_piece p[3];
		size_t j, n = 1;

		if (k == SK_ICMP)
			n = icmp_pieces(bs->v[i].klo, bs->v[i].khi, p, 3);
		for (j = 0; j < n; j++) {
			sb_puts(b, "\t\t\t");
			put_addrs(b, bs->v[i].alo, bs->v[i].ahi);
			if (k != SK_ICMP) {
				put_key(b, k, bs->v[i].klo, bs->v[i].khi,
					" . ", "");
			} else {
				sb_puts(b, " . ");
				put_range(b, p[j].tlo, p[j].thi);
				sb_puts(b, " . ");
				put_range(b, p[j].clo, p[j].chi);
			}
			sb_puts(b, ",\n");
		}
	}
	sb_puts(b, "\t\t}\n\t}\n\n");
}

/* The protocol part of a rule that references a group: the key intervals
 * of one kind, as one match or an anonymous set. */
static void put_ref_keys(struct strbuf *b, enum set_kind k,
			 const struct boxes *bs)
{
	static const char *const head[SK_N] = {
		"", "meta l4proto . th dport ", "meta l4proto ",
		"icmp type . icmp code ",
	};
	struct icmp_piece p[3];
	size_t i;

	if (bs->n == 1 && k == SK_L4) {
		uint32_t lo = bs->v[0].klo & 0xffff, hi = bs->v[0].khi & 0xffff;
		const char *l4 = bs->v[0].klo >> 16 == 6 ? "tcp" : "udp";

		if (lo == 0 && hi == 0xffff)
			sb_printf(b, "meta l4proto %s ", l4);
		else {
			sb_printf(b, "%s dport ", l4);
			put_range(b, lo, hi);
			sb_puts(b, " ");
		}
		return;
	}
	if (bs->n == 1 && k == SK_PROTO) {
		sb_puts(b, "meta l4proto ");
		put_range(b, bs->v[0].klo, bs->v[0].khi);
		sb_puts(b, " ");
		return;
	}
	if (bs->n == 1 && k == SK_ICMP &&
	    icmp_pieces(bs->v[0].klo, bs->v[0].khi, p, 3) == 1) {
		sb_puts(b, "meta l4proto icmp ");
		if (p[0].tlo != 0 || p[0].thi != 0xff) {
			sb_puts(b, "icmp type ");
			put_range(b, p[0].tlo, p[0].thi);
			sb_puts(b, " ");
		}
		if (p[0].clo != 0 || p[0].chi != 0xff) {
			sb_puts(b, "icmp code ");
			put_range(b, p[0].clo, p[0].chi);
			sb_puts(b, " ");
		}
		return;
	}
	sb_printf(b, "%s{ ", head[k]);
	for (i = 0; i < bs->n; i++) {
		if (i)
			sb_puts(b, ", ");
		put_key(b, k, bs->v[i].klo, bs->v[i].khi, "", ", ");
	}
	sb_puts(b, " } ");
}

/* The rules of group s in one direction, written once per router: the
 * CIDR rules as lookups in named interval sets (one per kind), the rules
 * that reference a group as one rule per referenced group and kind. A
 * match gives the verdict (egress: on to the receiver's ingress gate;
 * ingress: accept); no match returns to the ENI's gate, which tries its
 * next group. Sets go to sets, the chain to chains. */
static void gen_group(struct gen *g, const struct sg *s, enum direction dir,
		      struct strbuf *sets, struct strbuf *chains)
{
	const struct lab *lab = g->lab;
	bool out = dir == DIR_EGRESS;
	const char *peer = out ? "daddr" : "saddr";
	const char *verdict = out ? "goto ingress_gate" : "accept";
	struct boxes bs[SK_N] = { { 0 } };
	size_t i, j, n = 0;
	enum set_kind k;

	sb_puts(chains, "\tchain ");
	put_group_name(chains, s, out, "");
	sb_puts(chains, " {\n");
	put_comment(chains, "\t\t", "%s %s %s", s->r.id, s->r.name,
		    out ? "egress" : "ingress");
	sb_puts(chains, "\n");

	for (i = 0; i < s->nrules; i++) {
		const struct sg_rule *r = &s->rules[i];
		uint32_t klo, khi;

		if (r->dir != dir || r->peer_kind != SG_PEER_CIDR)
			continue;
		k = proto_key(&r->proto, &klo, &khi);
		box_add(g, &bs[k], r->cidr, klo, khi);
	}
	for (k = 0; k < SK_N; k++)
		boxes_disjoint(g, &bs[k]);
	if (bs[SK_ALL].n == 1 && bs[SK_ALL].v[0].alo == 0 &&
	    bs[SK_ALL].v[0].ahi == 0xffffffffu) {
		/* All traffic to or from anywhere: nothing else counts. */
		sb_printf(chains, "\t\t%s\n\t}\n\n", verdict);
		goto out;
	}
	for (k = 0; k < SK_N; k++) {
		if (!bs[k].n)
			continue;
		gen_rule_set(g, sets, s, out, k, &bs[k]);
		sb_printf(chains, "\t\tip %s%s @", peer, sk_match[k]);
		put_group_name(chains, s, out, sk_suffix[k]);
		sb_printf(chains, " %s\n", verdict);
		n++;
	}

	/* Rules that reference a group, by referenced group in lab order. */
	for (j = 0; j < lab->nsgs; j++) {
		const struct sg *h = lab->sgs[j];
		bool any = false;

		for (k = 0; k < SK_N; k++)
			boxes_free(&bs[k]);
		for (i = 0; i < s->nrules; i++) {
			const struct sg_rule *r = &s->rules[i];
			struct cidr all = { 0, 0 };
			uint32_t klo, khi;

			if (r->dir != dir || r->peer_kind != SG_PEER_SG ||
			    r->peer_sg != h)
				continue;
			k = proto_key(&r->proto, &klo, &khi);
			box_add(g, &bs[k], all, klo, khi);
			any = true;
		}
		if (!any)
			continue;
		for (k = 0; k < SK_N; k++) {
			boxes_disjoint(g, &bs[k]);
			if (!bs[k].n || (k != SK_ALL && bs[SK_ALL].n))
				continue;
			sb_printf(chains, "\t\tip %s @", peer);
			put_ident(chains, "sg_", h->r.id);
			sb_puts(chains, " ");
			if (k != SK_ALL)
				put_ref_keys(chains, k, &bs[k]);
			sb_printf(chains, "%s\n", verdict);
		}
	}
	sb_puts(chains, "\t}\n\n");
out:
	for (k = 0; k < SK_N; k++)
		boxes_free(&bs[k]);
}

/* An ENI's gate of one direction is the union of its groups (R-4.5): a
 * chain per distinct list of groups, shared by the ENIs that carry exactly
 * those, which jumps to each group's chain and drops when none matched
 * (R-4.3). Its name lists the groups' hex IDs in lab order; past
 * UNION_NAMED groups (the checker allows 5) the ENI's hex names it. */
#define UNION_NAMED 8

struct gate {
	size_t sg[UNION_NAMED];	/* indexes into lab->sgs, ascending */
	size_t n;
	const struct eni *e;	/* the first ENI with this list */
	bool own;		/* named after e: more than UNION_NAMED */
};

static void eni_gate(const struct lab *lab, const struct eni *e,
		     struct gate *gt)
{
	size_t i, j;

	*gt = (struct gate){ .e = e };
	for (i = 0; i < lab->nsgs; i++)
		for (j = 0; j < e->nsgs; j++)
			if (e->sgs[j] == lab->sgs[i]) {
				if (gt->n == UNION_NAMED) {
					gt->own = true;
					return;
				}
				gt->sg[gt->n++] = i;
				break;
			}
}

static bool gate_same(const struct gate *a, const struct gate *b)
{
	if (a->own || b->own)
		return a->e == b->e;
	return a->n == b->n && !memcmp(a->sg, b->sg, a->n * sizeof(a->sg[0]));
}

static void put_gate_name(struct strbuf *b, const struct lab *lab,
			  const struct gate *gt, bool out)
{
	size_t i;

	sb_puts(b, out ? "egress" : "ingress");
	if (gt->own) {
		put_ident(b, "_eni_", gt->e->ifname);
		return;
	}
	if (!gt->n)
		sb_puts(b, "_nogroup");
	for (i = 0; i < gt->n; i++)
		put_ident(b, "_", lab->sgs[gt->sg[i]]->r.id);
}

static void gen_gate(struct gen *g, const struct gate *gt, bool out)
{
	const struct lab *lab = g->lab;
	const struct eni *e = gt->e;
	size_t i;

	sb_puts(&g->b, "\tchain ");
	put_gate_name(&g->b, lab, gt, out);
	sb_puts(&g->b, " {\n");
	if (gt->own)
		put_comment(&g->b, "\t\t", "%s %s %s, %zu groups", e->r.id,
			    e->r.name, out ? "egress" : "ingress", e->nsgs);
	else
		put_comment(&g->b, "\t\t", "%s of ENIs with %zu group%s",
			    out ? "egress" : "ingress", gt->n,
			    gt->n == 1 ? "" : "s");
	sb_puts(&g->b, "\n");
	for (i = 0; i < (gt->own ? e->nsgs : gt->n); i++) {
		const struct sg *s = gt->own ? e->sgs[i] : lab->sgs[gt->sg[i]];

		sb_puts(&g->b, "\t\tjump ");
		put_group_name(&g->b, s, out, "");
		sb_puts(&g->b, "\n");
	}
	sb_puts(&g->b, "\t\tdrop\n\t}\n\n");
}

/* The distinct gates of the VPC's ENIs, in ENI order; *n set. */
static struct gate *collect_gates(struct gen *g, size_t *n)
{
	const struct lab *lab = g->lab;
	struct gate *v = NULL, gt;
	size_t cap = 0, i, j;

	*n = 0;
	for (i = 0; i < lab->nenis; i++) {
		struct gate *slot;

		if (!eni_here(lab->enis[i], g->vpc))
			continue;
		eni_gate(lab, lab->enis[i], &gt);
		for (j = 0; j < *n && !gate_same(&v[j], &gt); j++)
			;
		if (j < *n)
			continue;
		slot = VEC_PUSH(v, *n, cap);
		if (!slot) {
			g->oom = true;
			return v;
		}
		*slot = gt;
	}
	return v;
}

/* sg_egress / sg_ingress: ENI ifname -> its gate chain. */
static void gen_gate_map(struct gen *g, bool out)
{
	const struct lab *lab = g->lab;
	struct gate gt;
	size_t i, n;

	sb_printf(&g->b, "\tmap %s {\n"
			 "\t\ttype ifname : verdict\n"
			 "\t\tcomment \"ENI -> %s gate of its groups\"\n",
		  out ? "sg_egress" : "sg_ingress",
		  out ? "egress" : "ingress");
	for (i = n = 0; i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];

		if (!eni_here(e, g->vpc))
			continue;
		if (!n++)
			sb_puts(&g->b, "\t\telements = {\n");
		eni_gate(lab, e, &gt);
		put_element(&g->b, e->ifname, " : jump ");
		put_gate_name(&g->b, lab, &gt, out);
		sb_puts(&g->b, ",\n");
	}
	sb_puts(&g->b, n ? "\t\t}\n\t}\n\n" : "\t}\n\n");
}

/* Which groups are carried by an ENI of this VPC: they get chains. */
static bool *carried_groups(struct gen *g)
{
	const struct lab *lab = g->lab;
	bool *c = calloc(lab->nsgs + 1, sizeof(*c));
	size_t i, j;

	if (!c) {
		g->oom = true;
		return NULL;
	}
	for (i = 0; i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];

		if (!eni_here(e, g->vpc))
			continue;
		for (j = 0; j < e->nsgs; j++)
			c[sg_index(lab, e->sgs[j])] = true;
	}
	return c;
}

char *nftgen_router(const struct lab *lab, const struct vpc *vpc)
{
	struct gen g = { .lab = lab, .vpc = vpc };
	struct strbuf chains = { 0 };
	struct gate *gates = NULL;
	bool *carried = NULL;
	size_t i, ngates = 0;
	char *text;

	if (!lab || !vpc) {
		errno = EINVAL;
		return NULL;
	}
	if (mark_refs(&g) < 0) {
		errno = ENOMEM;
		return NULL;
	}

	sb_puts(&g.b, "flush ruleset\n\ntable inet vpcemu {\n");
	put_comment(&g.b, "\t", "router of %s %s", vpc->r.id, vpc->r.name);
	sb_puts(&g.b, "\n\n");

	gen_port_sets(&g);
	gen_untracked_set(&g, DIR_EGRESS);
	gen_untracked_set(&g, DIR_INGRESS);
	gen_block_sets(&g);
	gen_sg_sets(&g);
	/* Group chains go to chains, their rule sets here, before any
	 * chain that names them. */
	carried = carried_groups(&g);
	for (i = 0; carried && i < lab->nsgs; i++) {
		if (!carried[i])
			continue;
		gen_group(&g, lab->sgs[i], DIR_EGRESS, &g.b, &chains);
		gen_group(&g, lab->sgs[i], DIR_INGRESS, &g.b, &chains);
	}
	gen_map(&g, "acl_out", "ENI -> outbound ACL of its subnet",
		"aclout_");
	gen_map(&g, "acl_in", "ENI -> inbound ACL of its subnet", "aclin_");
	gen_gate_map(&g, true);
	gen_gate_map(&g, false);
	gen_forward(&g);
	gen_input(&g);

	for (i = 0; i < lab->nsubnets; i++) {
		const struct subnet *sn = lab->subnets[i];

		if (sn->vpc != vpc)
			continue;
		gen_acl_chain(&g, sn, DIR_EGRESS);
		gen_acl_chain(&g, sn, DIR_INGRESS);
	}
	gates = collect_gates(&g, &ngates);
	for (i = 0; i < ngates; i++) {
		gen_gate(&g, &gates[i], true);
		gen_gate(&g, &gates[i], false);
	}
	free(gates);
	if (chains.oom)
		g.oom = true;
	else if (chains.len)
		sb_puts(&g.b, chains.s);
	sb_free(&chains);
	/* The blank line after the last chain goes: "}\n}\n" ends the file. */
	if (g.b.len >= 2 && !g.b.oom)
		g.b.s[--g.b.len] = '\0';
	sb_puts(&g.b, "}\n");

	free(carried);
	free(g.ref);
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
