/* tracking.c - the untracked flows of an ENI (pure; ).
 *
 * Read by nftgen.c, which lists them per ENI in the router's ruleset. The
 * rule and its interpretation are in include/vpcemu/tracking.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "vpcemu/tracking.h"
#include "vpcemu/util.h"

static const uint8_t l4_protos[] = { 6, 17 };

/* The ports of protocol proto (6 or 17) that r allows, if any. */
static bool rule_ports(const struct sg_rule *r, uint8_t proto,
		       uint16_t *lo, uint16_t *hi)
{
	switch (r->proto.kind) {
	case PROTO_ALL:
		*lo = 0;
		*hi = 65535;
		return true;
	case PROTO_TCP:
	case PROTO_UDP:
		if ((r->proto.kind == PROTO_TCP ? 6 : 17) != proto)
			return false;
		*lo = r->proto.port_lo;
		*hi = r->proto.port_hi;
		return true;
	case PROTO_ICMP:
	case PROTO_NUMBER:
		break;
	}
	return false;
}

/* A rule whose peer is 0.0.0.0/0 (a group or a narrower block never is). */
static bool rule_to_anywhere(const struct sg_rule *r, enum direction dir)
{
	return r->dir == dir && r->peer_kind == SG_PEER_CIDR &&
	       r->cidr.len == 0;
}

/* Whether e's groups allow every port of proto to or from 0.0.0.0/0 in
 * direction dir: the opposite rule that untracked flows need. */
static bool all_ports_anywhere(const struct eni *e, enum direction dir,
			       uint8_t proto)
{
	uint16_t lo, hi;
	size_t i, j;

	for (i = 0; i < e->nsgs; i++)
		for (j = 0; j < e->sgs[i]->nrules; j++) {
			const struct sg_rule *r = &e->sgs[i]->rules[j];

			if (rule_to_anywhere(r, dir) &&
			    rule_ports(r, proto, &lo, &hi) && lo == 0 &&
			    hi == 65535)
				return true;
		}
	return false;
}

static int cmp_untracked(const void *a, const void *b)
{
	const struct untracked *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return x->port_lo < y->port_lo ? -1 : x->port_lo > y->port_lo;
}

int tracking_untracked(const struct eni *e, enum direction dir,
		       struct untracked **ret)
{
	enum direction opposite = dir == DIR_INGRESS ? DIR_EGRESS : DIR_INGRESS;
	struct untracked *v = NULL, *u;
	size_t n = 0, cap = 0, i, j, k, m;
	uint16_t lo, hi;

	*ret = NULL;
	if (e->endpoint)
		return 0;	/* */
	for (k = 0; k < sizeof(l4_protos); k++) {
		if (!all_ports_anywhere(e, opposite, l4_protos[k]))
			continue;
		for (i = 0; i < e->nsgs; i++)
			for (j = 0; j < e->sgs[i]->nrules; j++) {
				const struct sg_rule *r = &e->sgs[i]->rules[j];

				if (!rule_to_anywhere(r, dir) ||
				    !rule_ports(r, l4_protos[k], &lo, &hi))
					continue;
				u = VEC_PUSH(v, n, cap);
				if (!u) {
					free(v);
					return -ENOMEM;
				}
				*u = (struct untracked){ l4_protos[k], lo, hi };
			}
	}
	if (!n)
		return 0;
	/* Disjoint and joined: nft's interval sets refuse overlapping
	 * elements, and the ruleset text must not depend on rule order. */
	qsort(v, n, sizeof(*v), cmp_untracked);
	for (i = 1, m = 0; i < n; i++) {
		if (v[i].proto == v[m].proto &&
		    v[i].port_lo <= (uint32_t)v[m].port_hi + 1) {
			if (v[i].port_hi > v[m].port_hi)
				v[m].port_hi = v[i].port_hi;
			continue;
		}
		v[++m] = v[i];
	}
	*ret = v;
	return (int)(m + 1);
}
