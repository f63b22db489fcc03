/* nftsg.h - security groups in a VPC router's ruleset (pure): the part of
 * nftgen_router's text (nftgen.h, steps 3 and 4) that judges packets by
 * the ENIs' groups. Each function appends its blocks to the caller's
 * buffers, for the ENIs of vpc in lab, and returns 0 or -ENOMEM.
 */
#ifndef VPCEMU_NFTSG_H
#define VPCEMU_NFTSG_H

#include <stdbool.h>

struct lab;
struct sg;
struct strbuf;
struct vpc;

/* Whether a rule in vpc's router may see the members of group g: its own
 * groups always; a peer's only across an active peering within one region
 * . Anything else is a stale reference, which
 * analyze.c must judge the same way. */
bool nftsg_ref_usable(const struct lab *lab, const struct vpc *vpc,
		      const struct sg *g);

/* sg_<group hex>: one set per group that a rule of the router's groups
 * references, holding the private IPs of the group's members, or left
 * empty when the reference is stale in this router. */
int nftsg_member_sets(struct strbuf *b, const struct lab *lab,
		      const struct vpc *vpc);

/* The rules of each group an ENI of vpc carries, written once per router:
 * their CIDR rules as named interval sets (to sets) and one chain per
 * direction, sgout_/sgin_<group hex> (to chains). */
int nftsg_group_chains(struct strbuf *sets, struct strbuf *chains,
		       const struct lab *lab, const struct vpc *vpc);

/* sg_egress (out) or sg_ingress: ENI ifname -> its gate chain. */
int nftsg_gate_map(struct strbuf *b, const struct lab *lab,
		   const struct vpc *vpc, bool out);

/* The gate chains: one pair per distinct list of groups on the ENIs,
 * jumping to each group's chain, then dropping. */
int nftsg_gate_chains(struct strbuf *b, const struct lab *lab,
		      const struct vpc *vpc);

#endif
