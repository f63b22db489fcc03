/* nftsg.c - security groups in a VPC router's ruleset (nftsg.h; pure).
 *
 * Writes the blocks of nftgen.c's layout that are about groups: the sets
 * sg_HEX (members) and sgout_HEX_KIND, sgin_HEX_KIND (CIDR rules), the
 * maps sg_egress and sg_ingress, the chains sgout_HEX, sgin_HEX (one pair
 * per group) and the gates egress_..., ingress_... (one pair per distinct
 * list of groups); nftgen.c puts them in place.
 * A group's rules are written once per router, whatever the number of
 * ENIs that carry it; rules become boxes (peer addresses times a
 * protocol key) cut into disjoint ones, since the kernel's interval sets
 * refuse overlapping elements. Owns nothing past a call.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/model.h"
#include "vpcemu/nftsg.h"
#include "vpcemu/nftutil.h"
#include "vpcemu/util.h"

struct gen {
	const struct lab *lab;
	const struct vpc *vpc;
	struct strbuf *b;
	bool *ref;		/* per lab->sgs: referenced from our chains */
	bool logged;		/* a flow log covers an ENI of vpc */
	bool oom;
};

static bool str_same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

bool nftsg_ref_usable(const struct lab *lab, const struct vpc *vpc,
		      const struct sg *g)
{
	size_t i;

	if (g->vpc == vpc)
		return true;
	for (i = 0; i < lab->npeerings; i++) {
		const struct peering *p = lab->peerings[i];

		if (p->status == PEERING_ACTIVE &&
		    nftutil_peer_of(p, vpc) == g->vpc &&
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

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
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

		if (!nftutil_eni_here(e, g->vpc))
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
		usable = nftsg_ref_usable(lab, g->vpc, s);
		sb_puts(g->b, "\tset ");
		nftutil_ident(g->b, "sg_", s->r.id);
		sb_puts(g->b, " {\n"
			       "\t\ttype ipv4_addr\n");
		nftutil_comment(g->b, "\t\t", "%s %s %s",
			    usable ? "members of" : "stale here, left empty:",
			    s->r.id, s->r.name);
		sb_puts(g->b, "\n");

		n = 0;
		for (j = 0; usable && j < lab->nenis; j++)
			if (eni_has_sg(lab->enis[j], s))
				ips[n++] = lab->enis[j]->ip;
		/* Sorted and unique: a set takes each element once, and
		 * sorting keeps the text independent of ENI order. */
		qsort(ips, n, sizeof(*ips), cmp_u32);
		for (j = 0; j < n; j++) {
			if (!j)
				sb_puts(g->b, "\t\telements = {\n");
			else if (ips[j] == ips[j - 1])
				continue;
			sb_puts(g->b, "\t\t\t");
			sb_puts(g->b, ip_fmt(ips[j], buf));
			sb_puts(g->b, ",\n");
		}
		sb_puts(g->b, n ? "\t\t}\n\t}\n\n" : "\t}\n\n");
	}
	free(ips);
}

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
		nftutil_range(b, lo & 0xffff, hi & 0xffff);
		break;
	case SK_PROTO:
		sb_puts(b, prefix);
		nftutil_range(b, lo, hi);
		break;
	case SK_ICMP:
		n = icmp_pieces(lo, hi, p, 3);
		for (i = 0; i < n; i++) {
			sb_printf(b, "%s%s", i ? sep : "", prefix);
			nftutil_range(b, p[i].tlo, p[i].thi);
			sb_puts(b, " . ");
			nftutil_range(b, p[i].clo, p[i].chi);
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
	nftutil_ident(b, out ? "sgout_" : "sgin_", s->r.id);
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
				nftutil_range(b, p[j].tlo, p[j].thi);
				sb_puts(b, " . ");
				nftutil_range(b, p[j].clo, p[j].chi);
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
			nftutil_range(b, lo, hi);
			sb_puts(b, " ");
		}
		return;
	}
	if (bs->n == 1 && k == SK_PROTO) {
		sb_puts(b, "meta l4proto ");
		nftutil_range(b, bs->v[0].klo, bs->v[0].khi);
		sb_puts(b, " ");
		return;
	}
	if (bs->n == 1 && k == SK_ICMP &&
	    icmp_pieces(bs->v[0].klo, bs->v[0].khi, p, 3) == 1) {
		sb_puts(b, "meta l4proto icmp ");
		if (p[0].tlo != 0 || p[0].thi != 0xff) {
			sb_puts(b, "icmp type ");
			nftutil_range(b, p[0].tlo, p[0].thi);
			sb_puts(b, " ");
		}
		if (p[0].clo != 0 || p[0].chi != 0xff) {
			sb_puts(b, "icmp code ");
			nftutil_range(b, p[0].clo, p[0].chi);
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
	nftutil_comment(chains, "\t\t", "%s %s %s", s->r.id, s->r.name,
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
			nftutil_ident(chains, "sg_", h->r.id);
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
		nftutil_ident(b, "_eni_", gt->e->ifname);
		return;
	}
	if (!gt->n)
		sb_puts(b, "_nogroup");
	for (i = 0; i < gt->n; i++)
		nftutil_ident(b, "_", lab->sgs[gt->sg[i]]->r.id);
}

static void gen_gate(struct gen *g, const struct gate *gt, bool out)
{
	const struct lab *lab = g->lab;
	const struct eni *e = gt->e;
	size_t i;

	sb_puts(g->b, "\tchain ");
	put_gate_name(g->b, lab, gt, out);
	sb_puts(g->b, " {\n");
	if (gt->own)
		nftutil_comment(g->b, "\t\t", "%s %s %s, %zu groups", e->r.id,
			    e->r.name, out ? "egress" : "ingress", e->nsgs);
	else
		nftutil_comment(g->b, "\t\t", "%s of ENIs with %zu group%s",
			    out ? "egress" : "ingress", gt->n,
			    gt->n == 1 ? "" : "s");
	sb_puts(g->b, "\n");
	for (i = 0; i < (gt->own ? e->nsgs : gt->n); i++) {
		const struct sg *s = gt->own ? e->sgs[i] : lab->sgs[gt->sg[i]];

		sb_puts(g->b, "\t\tjump ");
		put_group_name(g->b, s, out, "");
		sb_puts(g->b, "\n");
	}
	sb_puts(g->b, "\t\t");
	nftutil_drop(g->b, g->logged, out);
	sb_puts(g->b, "\n\t}\n\n");
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

		/* Some ENIs have no group (nftgen.c lets them by). */
		if (!nftutil_eni_here(lab->enis[i], g->vpc) ||
		    model_eni_ungated(lab->enis[i]))
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

	sb_printf(g->b, "\tmap %s {\n"
			 "\t\ttype ifname : verdict\n"
			 "\t\tcomment \"ENI -> %s gate of its groups\"\n",
		  out ? "sg_egress" : "sg_ingress",
		  out ? "egress" : "ingress");
	for (i = n = 0; i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];

		if (!nftutil_eni_here(e, g->vpc) || model_eni_ungated(e))
			continue;
		if (!n++)
			sb_puts(g->b, "\t\telements = {\n");
		eni_gate(lab, e, &gt);
		nftutil_element(g->b, e->ifname, " : jump ");
		put_gate_name(g->b, lab, &gt, out);
		sb_puts(g->b, ",\n");
	}
	sb_puts(g->b, n ? "\t\t}\n\t}\n\n" : "\t}\n\n");
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

		if (!nftutil_eni_here(e, g->vpc))
			continue;
		for (j = 0; j < e->nsgs; j++)
			c[sg_index(lab, e->sgs[j])] = true;
	}
	return c;
}

int nftsg_member_sets(struct strbuf *b, const struct lab *lab,
		      const struct vpc *vpc)
{
	struct gen g = { .lab = lab, .vpc = vpc, .b = b };

	if (mark_refs(&g) < 0)
		return -ENOMEM;
	gen_sg_sets(&g);
	free(g.ref);
	return g.oom ? -ENOMEM : 0;
}

int nftsg_group_chains(struct strbuf *sets, struct strbuf *chains,
		       const struct lab *lab, const struct vpc *vpc)
{
	struct gen g = { .lab = lab, .vpc = vpc, .b = sets };
	bool *carried = carried_groups(&g);
	size_t i;

	for (i = 0; carried && i < lab->nsgs; i++) {
		if (!carried[i])
			continue;
		gen_group(&g, lab->sgs[i], DIR_EGRESS, sets, chains);
		gen_group(&g, lab->sgs[i], DIR_INGRESS, sets, chains);
	}
	free(carried);
	return g.oom ? -ENOMEM : 0;
}

int nftsg_gate_map(struct strbuf *b, const struct lab *lab,
		   const struct vpc *vpc, bool out)
{
	struct gen g = { .lab = lab, .vpc = vpc, .b = b };

	gen_gate_map(&g, out);
	return g.oom ? -ENOMEM : 0;
}

int nftsg_gate_chains(struct strbuf *b, const struct lab *lab,
		      const struct vpc *vpc)
{
	struct gen g = { .lab = lab, .vpc = vpc, .b = b,
			 .logged = flow_log_vpc_logged(lab, vpc) };
	struct gate *gates;
	size_t i, n = 0;

	gates = collect_gates(&g, &n);
	for (i = 0; i < n; i++) {
		gen_gate(&g, &gates[i], true);
		gen_gate(&g, &gates[i], false);
	}
	free(gates);
	return g.oom ? -ENOMEM : 0;
}
