/* check.h - AWS rules that can be judged from a lab file.
 *
 * check_lab() runs after model_build() produced a model without errors and
 * queues one diagnostic per violation, with AWS's error code where AWS has
 * one (docs/aws-semantics.md §7), else a Vpcemu.* code. It changes the model
 * in one way only: a peering between overlapping VPCs gets status
 * PEERING_FAILED and a warning, as AWS creates it and lets it fail (§6.1).
 */
#ifndef VPCEMU_CHECK_H
#define VPCEMU_CHECK_H

#include <stdbool.h>

#include <stddef.h>
#include <stdint.h>

#include "vpcemu/diag.h"
#include "vpcemu/model.h"

struct lab;

void check_lab(struct lab *lab, struct diags *d);
/* The lab's public-ip-pool lines (pool.c): no special range, no overlap
 * with another block of the pool or a VPC block. */
void check_public_pools(const struct lab *lab, struct diags *d);

/* Kernel memory a lab takes once up, in KiB: CHECK_NS_KIB per namespace
 * of an instance or a VPC router (the rest are few). */
#define CHECK_NS_KIB 350
uint64_t check_memory_need_kib(const struct lab *lab);
/* Queues Vpcemu.InsufficientMemory at place at (the lab's name: the
 * caller gives its file name, the parse's being gone) when the lab needs
 * more than 90% of avail_kib (MemAvailable: the rest is left to the
 * processes and the page cache). Returns false then. */
bool check_memory(const struct lab *lab, uint64_t avail_kib,
		  struct place at, struct diags *d);

/* For the kinds' check functions (emu/res/): */
/* precise when it is a place, else fallback. */
struct place check_pick(struct place precise, struct place fallback);
bool check_place_before(struct place a, struct place b);
bool check_region_valid(const char *region);
bool check_az_valid(const char *az, const char *region);
/* The first of subnets[0..k) in the AZ of subnets[k], or NULL: an
 * interface endpoint and a load balancer take one subnet per AZ. */
const struct subnet *check_same_az(struct subnet *const *subnets, size_t k);

/* The explicit subnet associations of a route table or network ACL, which
 * the two kinds keep alike. */
struct check_assoc {
	const struct res *owner;
	const struct vpc *vpc;
	struct subnet *const *assoc;
	size_t nassoc;
	const struct place *assoc_at;	/* may be NULL */
};

/* every resource of kind (route tables or network ACLs,
 * read through view) associates only subnets of its own VPC, and a subnet
 * at most once across them all. */
void check_assocs(struct lab *lab, enum res_kind kind,
		  void (*view)(const struct res *r, struct check_assoc *ret),
		  struct diags *d);

#endif
