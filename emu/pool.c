/* pool.c - the lab's public IPv4 pool and the rules of its public-ip-pool
 * lines.
 *
 * One numbered list of slots over the default blocks (model.h) and then the
 * lab's own blocks in file order: modeleni.c hands public IPs and Elastic
 * IPs out of it, the kinds and the ec2 commands ask it whether an address
 * is public. check_public_pools() judges the lines once the model is built
 * (model.c has refused prefix lengths it cannot number).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vpcemu/check.h"
#include "vpcemu/model.h"

static const struct cidr default_blocks[] = {
	MODEL_PUBLIC_POOL_1,
	MODEL_PUBLIC_POOL_2,
};

#define NDEFAULT (sizeof(default_blocks) / sizeof(default_blocks[0]))

static size_t nblocks(const struct lab *lab)
{
	return NDEFAULT + lab->npools;
}

static struct cidr block(const struct lab *lab, size_t i)
{
	return i < NDEFAULT ? default_blocks[i] : lab->pools[i - NDEFAULT];
}

/* Every address but the network and broadcast ones, as AWS hands out no
 * .0 or .255 of its /24s; none for a block model.c would have refused. */
static size_t block_slots(struct cidr c)
{
	if (c.len < MODEL_PUBLIC_POOL_PREFIX_MIN ||
	    c.len > MODEL_PUBLIC_POOL_PREFIX_MAX)
		return 0;
	return ((size_t)1 << (32 - c.len)) - 2;
}

size_t model_public_pool_size(const struct lab *lab)
{
	size_t i, n = 0;

	for (i = 0; i < nblocks(lab); i++)
		n += block_slots(block(lab, i));
	return n;
}

uint32_t model_public_pool_at(const struct lab *lab, size_t slot)
{
	size_t i, n;

	for (i = 0; i < nblocks(lab); i++) {
		n = block_slots(block(lab, i));
		if (slot < n)
			return block(lab, i).addr + 1 + (uint32_t)slot;
		slot -= n;
	}
	return 0;
}

size_t model_public_pool_slot(const struct lab *lab, uint32_t a)
{
	size_t i, n, base = 0;
	struct cidr c;

	for (i = 0; i < nblocks(lab); i++) {
		c = block(lab, i);
		n = block_slots(c);
		if (n && a > c.addr && a < cidr_last(c))
			return base + (a - c.addr - 1);
		base += n;
	}
	return base;
}

bool model_public_pool_has(const struct lab *lab, uint32_t a)
{
	return model_public_pool_slot(lab, a) < model_public_pool_size(lab);
}

/* What line i of the pool meets that it must not, written into buf, or
 * NULL: special ranges, the other blocks of the pool, VPC blocks. */
static const char *pool_problem(const struct lab *lab, size_t i, char *buf,
				size_t len)
{
	struct cidr c = lab->pools[i];
	const char *special = cidr_special(c);
	const struct gateway_service *gs = gateway_service_overlapping(c);
	char cb[CIDR_BUF];
	size_t j, k;

	if (special) {
		snprintf(buf, len, "%s cannot be public IPs", special);
		return buf;
	}
	if (gs) {
		snprintf(buf, len, "it overlaps %s, the prefix list of the emulated %s",
			 cidr_fmt(gs->prefix, cb), gs->name);
		return buf;
	}
	for (j = 0; j < NDEFAULT + i; j++)
		if (cidr_overlap(block(lab, j), c)) {
			snprintf(buf, len, "it overlaps %s, %s",
				 cidr_fmt(block(lab, j), cb),
				 j < NDEFAULT ? "a block of the default pool" :
						"an earlier public-ip-pool line");
			return buf;
		}
	for (j = 0; j < lab->nvpcs; j++)
		for (k = 0; k < lab->vpcs[j]->ncidrs; k++)
			if (cidr_overlap(lab->vpcs[j]->cidrs[k], c)) {
				snprintf(buf, len,
					 "it overlaps %s of VPC %s, whose addresses are private",
					 cidr_fmt(lab->vpcs[j]->cidrs[k], cb),
					 lab->vpcs[j]->r.name);
				return buf;
			}
	return NULL;
}

void check_public_pools(const struct lab *lab, struct diags *d)
{
	char why[160], cb[CIDR_BUF];
	size_t i;

	/* Internet hosts inside a line are res/internet_host.c's to
	 * report, at the host, as for the default pool. */
	for (i = 0; i < lab->npools; i++)
		if (pool_problem(lab, i, why, sizeof(why)))
			diag_error(d, lab->pools_at[i], "InvalidParameterValue",
				   "The public IP pool '%s' cannot be used: %s",
				   cidr_fmt(lab->pools[i], cb), why);
}
