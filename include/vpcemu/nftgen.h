/* nftgen.h - security groups, network ACLs and peering guards as one
 * nftables ruleset per VPC router namespace (pure: text out, no I/O).
 *
 * The ruleset is one transaction: it starts with "flush ruleset" (vpcemu
 * owns the router namespace) and defines "table inet vpcemu". Order of the
 * forward base chain (policy drop), which is where every packet between two
 * ENIs, or between an ENI and a peering, is judged (docs/aws-semantics.md
 * §15):
 *   1. non-IPv4 dropped; anti-spoofing: an ENI sends only from its own
 *      private IP (source/destination check); a peering carries only packets
 *      from the peer VPC's blocks to this VPC's blocks, and only packets from
 *      this VPC's blocks to the peer's leave by it; a
 *      transit gateway link carries only packets to this VPC's blocks in,
 *      and out only packets from its subnets in the attachment's AZs
 *      whatever the far end (the gateway routes transitively).
 *   2. network ACLs, stateless, every packet, replies too: the
 *      outbound chain of the source subnet (chosen by iifname) here, the
 *      inbound chain of the destination subnet (chosen by oifname) first
 *      thing in ingress_gate, so that the sender's groups judge a packet
 *      before the receiver's ACL does, as in AWS (§15): which of them
 *      drops it decides the ENI its flow log REJECT is on. Each returns
 *      at once when both ends are in the same subnet, then runs
 *      the entries in number order (allow: return, deny: drop), then
 *      drops (the "*" rule).
 *   3. conntrack (SGs are stateful, R-4.13-4.15, R-4.21): "established"
 *      packets of flows that both ENIs track go to ingress_gate, which
 *      accepts them after the inbound ACL, "related" ones too, "invalid"
 *      ones are dropped. A new TCP or UDP flow that an ENI
 *      leaves untracked (tracking.h, R-4.16: the sets untracked_out and
 *      untracked_in, by ENI, protocol and destination port) gets a ct
 *      mark bit: 0x1 untracked at the ENI that opened it, 0x2 at the ENI
 *      it goes to. The mark lives as long as the conntrack entry.
 *   4. the sender ENI's egress gate, then the receiving ENI's ingress
 *      gate; a later packet of a marked flow meets again the gate of
 *      each end whose bit is set (by ct direction: the opener is the
 *      sender of "original" packets), so it is judged by that ENI's
 *      rules of the moment and a rule change cuts it, while the
 *      end that tracks it lets it through. No conntrack entry is ever
 *      deleted: replacing the ruleset is enough, in one transaction, and
 *      flows of other ENIs are not touched.
 *      An ENI's gate of one direction is the union of its groups'
 *      rules: a chain per distinct list of groups
 *      (egress_/ingress_<group hexes>, shared by every ENI carrying
 *      exactly those groups, chosen by the sg_egress/sg_ingress maps) jumps
 *      to each group's chain in turn and drops when none matched.
 *      A group's chain (sgout_/sgin_<group hex>) is written once per
 *      router: its CIDR rules are lookups in named interval sets, one per
 *      kind (all; block . protocol . port range; block . protocol number;
 *      block . ICMP type . code), with disjoint elements; its references to
 *      groups are one rule per referenced group and kind (member set, then
 *      an anonymous set of protocol/port keys). A match in an egress group
 *      chain goes (goto) to the ingress_gate chain; a match in an ingress
 *      group chain accepts. ingress_gate: the inbound ACL (step 2), then
 *      the flows of step 3; traffic leaving by a peering is
 *      accepted (the peer's router holds the ingress gate of its ENIs),
 *      so is a later packet of a flow the receiver tracks, any other goes
 *      to the receiver's ingress gate; traffic entering from a peering
 *      meets only the ingress gate. A flow across a peering has a
 *      conntrack entry in each router, with the bit of that router's ENI.
 * A second forward base chain, "cost" (priority filter + 10, policy
 * accept), sees only what forward accepted and counts its bytes by ingress
 * and egress port in the dynamic set "cost" (cost.h reads it).
 * The input base chain (policy drop) guards the router's own addresses:
 * only this VPC's ENIs, from their own IPs, reach the resolver (base+2 and
 * 169.254.169.253, port 53, when DNS support is on) and IMDS
 * (169.254.169.254:80); groups and ACLs never apply there.
 * Network ACL chains stay linear (at most 20 entries per direction, first
 * match). Group references are named sets of the member ENIs' private IPs,
 * including groups of a VPC peered by an active same-region peering
 * a reference that is not usable is a set left
 * empty (stale).
 */
#ifndef VPCEMU_NFTGEN_H
#define VPCEMU_NFTGEN_H

struct lab;
struct vpc;

/* Returns the ruleset text of vpc's router namespace (caller frees), or
 * NULL with errno set. */
char *nftgen_router(const struct lab *lab, const struct vpc *vpc);

/* The commands, one transaction, that turn ruleset old into new (both
 * from nftgen_router) touching only the sets, maps and chains that
 * differ: those changed are flushed and filled again, new ones added
 * (regular chains made empty first, so that a namespace already holding
 * part of new ends the same), those gone deleted. One SG rule in a
 * 100-ENI router is a few lines instead of the whole ruleset and its
 * maps. Correct only where the namespace holds old; nft refuses it in
 * most other cases (a chain to delete is missing...), and the caller then
 * applies new whole. Returns NULL with errno EINVAL when only a whole
 * ruleset will do (the table's own lines or a block's declaration
 * differ, a new base chain), or ENOMEM. */
char *nftgen_delta(const char *old, const char *new);

#endif
