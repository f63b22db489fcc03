/* nftlb.h - PrivateLink's data plane as nftables rulesets (pure: text
 * out, no I/O), one per namespace:
 *
 *  - a load balancer node (an ENI namespace of the NLB, one per subnet):
 *    each listener's port, on any of the node's addresses, is DNATed to
 *    one target of its group chosen by a hash of the flow (conntrack keeps
 *    the flow on it: a target that leaves the map drains). Flows that
 *    came over a PrivateLink link leave with the node's address as
 *    source; the others keep their client's (the router routes the
 *    replies back through the node, plan.c). Targets are
 *    those the caller says take new flows, in the node's AZ unless the
 *    NLB is cross-zone; with none up, all of them (fail open).
 *  - an interface endpoint to an endpoint service (its ENI namespace):
 *    when the connection is available, TCP to the endpoint's address on a
 *    listener port goes over the endpoint's PrivateLink link to a node of
 *    the service's NLB, with the link's address as source, so that the
 *    provider never sees or reaches the consumer's addresses.
 *    Nothing else is answered there.
 */
#ifndef VPCEMU_NFTLB_H
#define VPCEMU_NFTLB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vpcemu/model.h"

/* The endpoint ENI's end of its PrivateLink link; the node's end is named
 * by the endpoint ENI ("plk-" and its hex). */
#define NFTLB_LINK "plink"

/* Whether target i of tg takes new flows (health checks); NULL for "every
 * target", which is what a node starts with. */
typedef bool (*nftlb_up_fn)(void *data, const struct target_group *tg,
			    size_t i);

/* The ruleset of load balancer node ENI node. NULL with errno on ENOMEM. */
char *nftlb_node(const struct lab *lab, const struct eni *node,
		 nftlb_up_fn up, void *data);

/* The ruleset of an endpoint ENI to an endpoint service; node_link is the
 * address of the node's end of its link, own_link its own end's. NULL
 * with errno on ENOMEM. */
char *nftlb_endpoint(const struct lab *lab, const struct eni *eni,
		     uint32_t own_link, uint32_t node_link);

#endif
