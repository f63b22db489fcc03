/* diff.h - what must change in the kernel to go from one plan to another,
 * as an ordered list of operations (kernel work as data).
 *
 * diff_compute() is pure: it sorts the objects of both plans on a key and
 * merges them (STYLE.md), and emits one operation per object to remove, add
 * or change. lab_apply_diff (lab.h) carries the list out; nothing here
 * touches the kernel.
 *
 * Keys: namespace by name (and kind: a name that changes kind is removed
 * and created again); veth by both ends (namespace and name); address by
 * namespace, device, address and prefix; route by namespace, table and
 * destination; rule by namespace, pref, iif and destination; sysctl by
 * namespace and path; nftables ruleset by namespace; file by namespace and
 * name. Objects of a namespace that goes are not removed one by one: they
 * go with it. Objects of a namespace that is created are all added.
 * Namespaces that both plans hold with the same hash (plan.h) are passed
 * over whole: a change costs what it touches, not what the lab holds.
 *
 * Order of the list (the enum's order):
 *  1. removals that free names: veths, then namespaces (a veth or a
 *     namespace of the new plan may reuse the name);
 *  2. additions and changes in lab_apply's order: namespaces (with lo up),
 *     namespace-wide sysctls, veths, device sysctls, link state, addresses,
 *     routes (added or replaced in place: NLM_F_REPLACE swaps the next hop
 *     atomically), rules, nftables rulesets (one transaction per changed
 *     router), files;
 *  3. stale rules, routes, addresses and files, once what replaces them is
 *     in place. Rules have no replace: a rule whose table changes, or an
 *     ENI rule whose pref moves because an ENI was inserted before it, is
 *     added before the old one is deleted, so the ENI's traffic never falls
 *     through to the final blackhole rule meanwhile. None of these frees a
 *     name another object needs (routes with the same key are replaced in
 *     place, rules and addresses with different content coexist).
 * Within each kind, operations follow the key order (namespace name first).
 *
 * A sysctl that the new plan no longer has is left as it is (device ones go
 * with their device); a router namespace that keeps existing always has a
 * ruleset in both plans.
 */
#ifndef VPCEMU_DIFF_H
#define VPCEMU_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "vpcemu/plan.h"

enum diff_op_kind {
	DIFF_VETH_DEL,		/* veth: delete end a (takes b along) */
	DIFF_NS_DEL,		/* name: remove namespace and /etc/netns/NAME */
	DIFF_NS_ADD,		/* index: new->ns; create, lo up */
	DIFF_SYSCTL_SET,	/* index: new->sysctls */
	DIFF_VETH_ADD,		/* veth */
	DIFF_VETH_UP,		/* veth: both ends */
	DIFF_VETH_DOWN,		/* veth: both ends */
	DIFF_ADDR_ADD,		/* addr */
	DIFF_ROUTE_ADD,		/* route */
	DIFF_ROUTE_REPLACE,	/* route: the new one, same key */
	DIFF_RULE_ADD,		/* rule */
	DIFF_NFT_APPLY,		/* index: new->nfts */
	DIFF_FILE_WRITE,	/* index: new->files */
	DIFF_RULE_DEL,		/* rule: the old one */
	DIFF_ROUTE_DEL,		/* route: the old one */
	DIFF_ADDR_DEL,		/* addr: the old one */
	DIFF_FILE_DEL,		/* name: file in /etc/netns/NS/ */
	DIFF_OP__COUNT,
};

/* One operation. Objects are copies; every namespace index (ns, and the
 * copies' ns, ns_a, ns_b) names a namespace of the new plan, which always
 * exists when the operation runs. */
struct diff_op {
	enum diff_op_kind kind;
	size_t ns;		/* where it works; NS_DEL: SIZE_MAX */
	union {
		struct plan_veth veth;
		struct plan_addr addr;
		struct plan_route route;
		struct plan_rule rule;
		size_t index;
		char *name;	/* owned by the diff */
	};
	/* NFT_APPLY: the commands from the old ruleset (nftgen_delta),
	 * owned; NULL: the whole ruleset of new. */
	char *delta;
};

struct diff {
	struct diff_op *ops;
	size_t nops;
	size_t count[DIFF_OP__COUNT];	/* operations per kind */
	char **touched;		/* namespaces the operations work in, sorted */
	size_t ntouched;
};

/* The operations that turn old (NULL: nothing, a lab that is not up) into
 * new. Both plans must be of the same lab. The result owns its strings and
 * borrows nothing: it indexes new, which the caller keeps for
 * lab_apply_diff. Returns NULL with errno set (ENOMEM). Free with
 * diff_free. */
struct diff *diff_compute(const struct plan *old, const struct plan *new);
void diff_free(struct diff *d);

/* The operations that take the namespaces names[0, n) away whole (down:
 * the diff to nothing, without reading a plan), one NS_DEL each; the
 * executor runs them with no plan (lab_apply_diff). Returns NULL with
 * errno set (ENOMEM). Free with diff_free. */
struct diff *diff_removal(char *const *names, size_t n);

/* "route-add", "ns-del", ... */
const char *diff_op_name(enum diff_op_kind kind);

/* One line per operation, in order, naming namespaces of new:
 * "route-add lab-VPC-A table 1000 10.2.0.0/16 dev pcx-1a2b3c4d". Stable:
 * unit tests compare it. */
void diff_dump(const struct diff *d, const struct plan *new, FILE *out);

/* "1 route added, 2 nftables rulesets applied" from per-kind counts (a
 * struct diff's count), in the list's order; "" when all are 0. Returns a
 * malloc'd string or NULL (ENOMEM). */
char *diff_summary(const size_t count[DIFF_OP__COUNT]);

/* true for sysctls of one device (net/ipv4/conf/DEV/..., net/ipv4/neigh/
 * DEV/..., also ipv6, DEV not "all" or "default"): they can only be set
 * once the device exists, and namespace-wide ones must be set before
 * devices are created, which inherit conf/default. */
bool diff_sysctl_is_device(const char *path);

#endif
