/* tracking.h - which of an ENI's flows its security groups leave untracked
 * (pure: model in, port ranges out; docs/aws-semantics.md §4.2).
 *
 * Groups track every flow they allow, with one exception, from
 * AWS's "Security group connection tracking" page (section "Untracked
 * connections"): a TCP or UDP flow is not tracked when a rule allowing it
 * has the peer 0.0.0.0/0 and the other direction has a rule that allows
 * every port (0-65535) of that protocol to or from 0.0.0.0/0.
 * ICMP and other protocols are always tracked; without
 * the opposite all-ports rule nothing is untracked. Interpretation
 * kept here (vpcemu, AWS does not say more):
 *  - a rule of protocol "all" (-1) allows, and counts as the opposite
 *    all-ports rule, for TCP and UDP alike; a tcp or udp rule with ports
 *    0-65535 is the opposite rule of its own protocol only;
 *  - the rules are the union over the ENI's groups: the allowing
 *    rule and the opposite rule may come from different groups;
 *  - a flow that a 0.0.0.0/0 rule allows is untracked even when a
 *    narrower rule allows it too;
 *  - an interface endpoint's ENI tracks every flow.
 * nftgen.c turns the result into ct marks: a flow untracked at an ENI has
 * every packet judged there by the current rules, which is what makes a
 * rule change cut it at once.
 */
#ifndef VPCEMU_TRACKING_H
#define VPCEMU_TRACKING_H

#include <stdint.h>

#include "vpcemu/model.h"

/* Flows of one protocol whose first packet goes to a port in a range. */
struct untracked {
	uint8_t proto;		/* 6 (TCP) or 17 (UDP) */
	uint16_t port_lo, port_hi;	/* inclusive */
};

/* The flows that e receives (DIR_INGRESS) or opens (DIR_EGRESS) without
 * tracking, as disjoint ranges sorted by protocol, then port, with
 * touching ranges joined. *ret is malloc'd (NULL when there are none) and
 * the caller frees it. Returns how many, or -ENOMEM. */
int tracking_untracked(const struct eni *e, enum direction dir,
		       struct untracked **ret);

#endif
