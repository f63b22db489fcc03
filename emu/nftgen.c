/* nftgen.c - model -> the nftables ruleset of one VPC router (pure).
 *
 * Called by plan.c once per VPC; the text goes unchanged to nft.c, which
 * applies it in one transaction inside the router namespace. The order of
 * the forward chain is the contract of include/vpcemu/nftgen.h. Layout of
 * the text, in this order (everything in the model's array order, so the
 * same lab gives the same bytes):
 *
 *   sets   enis, peerings         the router's ports, by interface name
 *          eni_addr               ifname . private IP (source check)
 *          vpc_blocks             this VPC's blocks
 *          peer_<pcx 8 hex>       the peer VPC's blocks, one per peering
 *          sg_<sg 17 hex>         member IPs of each referenced group
 *   maps   acl_out, acl_in        ENI ifname -> its subnet's NACL chains
 *          sg_egress, sg_ingress  ENI ifname -> its group chains
 *   chain  forward                the base chain (policy drop)
 *   chains aclout_/aclin_<subnet 17 hex>, one pair per subnet of the VPC
 *          sgout_/sgin_<eni 8 hex>, one pair per ENI of the VPC
 *
 * Identifiers are built from the hex part of AWS IDs: nft takes '-' inside
 * an identifier only in some positions, '_' everywhere. Strings that come
 * from the lab (names) appear only inside comments, cleaned of characters
 * nft cannot quote.
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
	sb_printf(b, "%s%s", prefix, buf);
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
		sb_printf(&g->b, "\t\t\t\"%s\",\n", lab->enis[i]->ifname);
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
		sb_printf(&g->b, "\t\t\t\"%s\",\n", lab->peerings[i]->ifname);
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
		sb_printf(&g->b, "\t\t\t\"%s\" . %s,\n", e->ifname,
			  ip_fmt(e->ip, ip));
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
			sb_printf(&g->b, "\t\t\t%s,\n", ip_fmt(ips[j], buf));
		}
		sb_puts(&g->b, n ? "\t\t}\n\t}\n\n" : "\t}\n\n");
	}
	free(ips);
}

/* A verdict map from ENI ifname to one chain per ENI (chain_prefix plus
 * the ENI's hex) or per subnet (chain_prefix plus the subnet's hex). */
static void gen_map(struct gen *g, const char *name, const char *comment,
		    const char *chain_prefix, bool per_subnet)
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
		sb_printf(&g->b, "\t\t\t\"%s\" : jump ", e->ifname);
		if (per_subnet)
			put_ident(&g->b, chain_prefix, e->subnet->r.id);
		else
			put_ident(&g->b, chain_prefix, e->ifname);
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
		"\t\t# 3. Groups are stateful (R-4.13-R-4.15, R-4.21).\n"
		"\t\tct state established,related accept\n"
		"\t\tct state invalid drop\n"
		"\n"
		"\t\t# 4. Sender's egress gate, then the receiver's ingress\n"
		"\t\t# gate; a peer's router holds the gate of its ENIs.\n"
		"\t\tiifname vmap @sg_egress\n"
		"\t\toifname @peerings accept\n"
		"\t\toifname vmap @sg_ingress\n"
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

static bool line_seen(char **lines, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(lines[i], s))
			return true;
	return false;
}

/* The union of the ENI's groups' rules of one direction (R-4.5): egress
 * rules return (the packet goes on to the ingress gate), ingress rules
 * accept; no match drops (R-4.3). Rules that print the same are written
 * once. */
static void gen_sg_chain(struct gen *g, const struct eni *e,
			 enum direction dir)
{
	bool out = dir == DIR_EGRESS;
	const char *peer = out ? "daddr" : "saddr";
	char **lines = NULL;
	size_t nlines = 0, cap = 0, i, j;

	sb_puts(&g->b, "\tchain ");
	put_ident(&g->b, out ? "sgout_" : "sgin_", e->ifname);
	sb_puts(&g->b, " {\n");
	put_comment(&g->b, "\t\t", "%s %s %s, %zu group%s", e->r.id, e->r.name,
		    out ? "egress" : "ingress", e->nsgs,
		    e->nsgs == 1 ? "" : "s");
	sb_puts(&g->b, "\n");

	for (i = 0; i < e->nsgs; i++) {
		const struct sg *s = e->sgs[i];

		for (j = 0; j < s->nrules; j++) {
			const struct sg_rule *r = &s->rules[j];
			struct strbuf l = { 0 };
			char **slot;
			char *text;

			if (r->dir != dir)
				continue;
			if (r->peer_kind == SG_PEER_SG) {
				sb_printf(&l, "ip %s @", peer);
				put_ident(&l, "sg_", r->peer_sg->r.id);
				sb_puts(&l, " ");
			} else {
				put_cidr_match(&l, peer, r->cidr);
			}
			put_proto(&l, &r->proto);
			sb_puts(&l, out ? "return" : "accept");
			text = sb_take(&l);
			if (!text) {
				g->oom = true;
				goto out;
			}
			if (line_seen(lines, nlines, text)) {
				free(text);
				continue;
			}
			slot = VEC_PUSH(lines, nlines, cap);
			if (!slot) {
				free(text);
				g->oom = true;
				goto out;
			}
			*slot = text;
			sb_printf(&g->b, "\t\t%s", text);
			put_comment(&g->b, " ", "%s %s", s->r.id, s->r.name);
			sb_puts(&g->b, "\n");
		}
	}
	sb_puts(&g->b, "\t\tdrop\n\t}\n\n");
out:
	for (i = 0; i < nlines; i++)
		free(lines[i]);
	free(lines);
}

char *nftgen_router(const struct lab *lab, const struct vpc *vpc)
{
	struct gen g = { .lab = lab, .vpc = vpc };
	char *text;
	size_t i;

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
	gen_block_sets(&g);
	gen_sg_sets(&g);
	gen_map(&g, "acl_out", "ENI -> outbound ACL of its subnet",
		"aclout_", true);
	gen_map(&g, "acl_in", "ENI -> inbound ACL of its subnet",
		"aclin_", true);
	gen_map(&g, "sg_egress", "ENI -> egress rules of its groups",
		"sgout_", false);
	gen_map(&g, "sg_ingress", "ENI -> ingress rules of its groups",
		"sgin_", false);
	gen_forward(&g);

	for (i = 0; i < lab->nsubnets; i++) {
		const struct subnet *sn = lab->subnets[i];

		if (sn->vpc != vpc)
			continue;
		gen_acl_chain(&g, sn, DIR_EGRESS);
		gen_acl_chain(&g, sn, DIR_INGRESS);
	}
	for (i = 0; !g.oom && i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];

		if (!eni_here(e, vpc))
			continue;
		gen_sg_chain(&g, e, DIR_EGRESS);
		gen_sg_chain(&g, e, DIR_INGRESS);
	}
	/* The blank line after the last chain goes: "}\n}\n" ends the file. */
	if (g.b.len >= 2 && !g.b.oom)
		g.b.s[--g.b.len] = '\0';
	sb_puts(&g.b, "}\n");

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
