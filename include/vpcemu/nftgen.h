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
 *      this VPC's blocks to the peer's leave by it.
 *   2. network ACLs, stateless, every packet, replies too: the
 *      outbound chain of the source subnet (chosen by iifname), then the
 *      inbound chain of the destination subnet (chosen by oifname); each
 *      returns at once when both ends are in the same subnet, then
 *      runs the entries in number order (allow: return, deny: drop), then
 *      drops (the "*" rule).
 *   3. "ct state established,related accept" (SGs are stateful, R-4.13-4.15,
 *      ), "ct state invalid drop".
 *   4. the sender ENI's egress chain (union of its groups' egress rules;
 *      a match returns, no match drops), then the receiving ENI's ingress
 *      chain (a match accepts, no match drops); traffic leaving by a
 *      peering is accepted after the egress gate (the peer's router holds
 *      the ingress gate); traffic entering from a peering meets only the
 *      ingress gate.
 * Group references are named sets of the member ENIs' private IPs, including
 * groups of a VPC peered by an active same-region peering (R-4.9, R-4.22,
 * ); a reference that is not usable is a set left empty (stale).
 */
#ifndef VPCEMU_NFTGEN_H
#define VPCEMU_NFTGEN_H

struct lab;
struct vpc;

/* Returns the ruleset text of vpc's router namespace (caller frees), or
 * NULL with errno set. */
char *nftgen_router(const struct lab *lab, const struct vpc *vpc);

#endif
