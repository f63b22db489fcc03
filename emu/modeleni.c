/* modeleni.c - pass 4 of model.c: network interfaces and addresses.
 *
 * Every instance, interface endpoint and load balancer (one per subnet)
 * and NAT gateway gets
 * an ENI, named and numbered like every ID; then each ENI its private
 * address (given, or the lowest free one), and the public pool its
 * Elastic IPs and the public IPs of the instances that have one. Runs
 * after every block is parsed: addresses depend on all of them.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

static struct eni *eni_new(struct build *b, const char *name,
			   struct place at, struct subnet *s,
			   struct sg *const *sgs, size_t nsgs)
{
	struct eni *e = (struct eni *)model_res_new(b, RES_ENI, name, at, true);

	if (!e)
		return NULL;
	e->subnet = s;
	snprintf(e->ifname, sizeof(e->ifname), "eni-%.8s", e->r.id + 4);
	e->netns = model_printf(b, "%s-%s", b->lab->name, name);
	if (nsgs) {
		e->sgs = calloc(nsgs, sizeof(*e->sgs));
		if (!e->sgs) {
			b->oom = true;
			return NULL;
		}
		memcpy(e->sgs, sgs, nsgs * sizeof(*e->sgs));
		e->nsgs = nsgs;
	}
	return e;
}

const struct res *model_eni_owner(const struct eni *e)
{
	if (e->instance)
		return &e->instance->r;
	if (e->endpoint)
		return &e->endpoint->r;
	if (e->lb)
		return &e->lb->r;
	return &e->nat->r;
}

/* The index of e among the per-subnet ENIs v of its owner. */
static size_t eni_index(struct eni *const *v, size_t n, const struct eni *e)
{
	size_t j;

	for (j = 0; j < n && v[j] != e; j++)
		;
	return j;
}

/* One ENI per subnet of an interface endpoint or a load balancer, named
 * "OWNER-SUBNET"; NULL on allocation failure. */
static struct eni **subnet_enis(struct build *b, const struct res *owner,
				struct subnet *const *subnets,
				const struct place *subnets_at, size_t n,
				struct sg *const *sgs, size_t nsgs)
{
	struct lab *lab = b->lab;
	struct eni **v = calloc(n + 1, sizeof(*v));
	size_t j, k;

	if (!v) {
		b->oom = true;
		return NULL;
	}
	for (j = 0; j < n; j++) {
		char *name = model_printf(b, "%s-%s", owner->name,
					  subnets[j]->r.name);
		const struct name_ent *ne;
		struct eni *x;

		if (!name)
			break;
		/* The ENI's name makes its namespace name: it must not meet
		 * another one. The same subnet twice is check.c's
		 * (DuplicateSubnetsInSameZone and ELB's twin). */
		ne = model_name_lookup(b, name);
		for (k = 0; !ne && k < lab->nenis; k++) {
			x = lab->enis[k];
			if (eni_index(v, j, x) < j)
				continue;	/* owner's own, not linked yet */
			if (str_eq(x->r.name, name)) {
				diag_error(b->d, subnets_at[j],
					   "Vpcemu.DuplicateName",
					   "The network interface of %s '%s' in subnet '%s' would be named '%s', like the one of %s '%s'; rename one",
					   res_types[owner->kind]->keyword,
					   owner->name, subnets[j]->r.name, name,
					   res_types[model_eni_owner(x)->kind]->keyword,
					   model_eni_owner(x)->name);
				break;
			}
		}
		if (ne)
			diag_error(b->d, subnets_at[j], "Vpcemu.DuplicateName",
				   "The network interface of %s '%s' in subnet '%s' would be named '%s', which is the name of the %s on line %u; rename one",
				   res_types[owner->kind]->keyword, owner->name,
				   subnets[j]->r.name, name, ne->type,
				   ne->at.line);
		x = eni_new(b, name, owner->at, subnets[j], sgs, nsgs);
		free(name);
		if (!x)
			break;
		v[j] = x;
	}
	if (j < n) {
		free(v);
		return NULL;
	}
	return v;
}

void model_create_enis(struct build *b)
{
	struct lab *lab = b->lab;
	const struct res_list *lbs = &lab->res[RES_LOAD_BALANCER];
	size_t i, j;

	for (i = 0; i < lab->ninstances; i++) {
		struct instance *in = lab->instances[i];

		in->eni = eni_new(b, in->r.name, in->r.at, in->subnet, in->sgs,
				  in->nsgs);
		if (!in->eni)
			return;
		in->eni->instance = in;
	}
	for (i = 0; i < lab->nendpoints; i++) {
		struct endpoint *e = lab->endpoints[i];

		if (e->type != ENDPOINT_INTERFACE || !e->nsubnets)
			continue;
		e->enis = subnet_enis(b, &e->r, e->subnets, e->subnets_at,
				      e->nsubnets, e->sgs, e->nsgs);
		if (!e->enis)
			return;
		for (j = 0; j < e->nsubnets; j++)
			e->enis[j]->endpoint = e;
		e->nenis = e->nsubnets;
	}
	for (i = 0; i < lab->res[RES_NAT_GATEWAY].n; i++) {
		struct nat_gateway *n =
			(struct nat_gateway *)lab->res[RES_NAT_GATEWAY].v[i];

		if (!n->subnet)
			continue;
		/* No security group. */
		n->eni = eni_new(b, n->r.name, n->r.at, n->subnet, NULL, 0);
		if (!n->eni)
			return;
		n->eni->nat = n;
	}
	for (i = 0; i < lbs->n; i++) {
		struct load_balancer *lb = (struct load_balancer *)lbs->v[i];

		if (!lb->nsubnets)
			continue;
		lb->enis = subnet_enis(b, &lb->r, lb->subnets, lb->subnets_at,
				       lb->nsubnets, lb->sgs, lb->nsgs);
		if (!lb->enis)
			return;
		for (j = 0; j < lb->nsubnets; j++)
			lb->enis[j]->lb = lb;
		lb->nenis = lb->nsubnets;
	}
}

static int cmp_u32(const void *a, const void *c)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)c;

	return x < y ? -1 : x > y;
}

/* The written address of the j-th ENI of a private-ips owner, if any. */
static bool listed_ip(const uint32_t *ips, const struct place *ips_at,
		      size_t nips, size_t j, uint32_t *ret_ip,
		      struct place *ret_at)
{
	if (j >= nips)
		return false;
	if (ret_ip)
		*ret_ip = ips[j];
	if (ret_at)
		*ret_at = ips_at[j];
	return true;
}

/* e's written address in *ret_ip. */
static bool eni_written_ip(const struct eni *e, uint32_t *ret_ip,
			   struct place *ret_at)
{
	const struct endpoint *ep = e->endpoint;
	const struct load_balancer *lb = e->lb;
	const struct instance *in = e->instance;
	const struct nat_gateway *n = e->nat;

	if (in || n) {
		if (!(in ? in->private_ip_given : n->private_ip_given))
			return false;
		if (ret_ip)
			*ret_ip = in ? in->private_ip : n->private_ip;
		if (ret_at)
			*ret_at = check_pick(in ? in->ip_at : n->ip_at,
					     in ? in->r.at : n->r.at);
		return true;
	}
	if (ep)
		return listed_ip(ep->private_ips, ep->private_ips_at,
				 ep->nprivate_ips,
				 eni_index(ep->enis, ep->nenis, e), ret_ip,
				 ret_at);
	return listed_ip(lb->private_ips, lb->private_ips_at, lb->nprivate_ips,
			 eni_index(lb->enis, lb->nenis, e), ret_ip, ret_at);
}

bool model_eni_ip_given(const struct eni *e, struct place *ret_at)
{
	return eni_written_ip(e, NULL, ret_at);
}

static uint32_t eni_given_ip(const struct eni *e)
{
	uint32_t ip = 0;

	eni_written_ip(e, &ip, NULL);
	return ip;
}

/* R-2.6 (vpcemu): given addresses first; then, in file order, the ENIs
 * without one (instances', interface endpoints', NAT gateways', load
 * balancers') get the
 * lowest free address from base+4 (the last address is reserved, R-2.4). */
void model_assign_ips(struct build *b)
{
	struct lab *lab = b->lab;
	uint32_t *used;
	size_t i, j, nused;

	/* One more than needed: qsort and bsearch want a real array. */
	used = calloc(lab->nenis + 1, sizeof(*used));
	if (!used) {
		b->oom = true;
		return;
	}
	for (i = 0; i < lab->nsubnets; i++) {
		struct subnet *s = lab->subnets[i];
		uint64_t next = (uint64_t)s->cidr.addr + 4;
		uint64_t last = (uint64_t)s->cidr.addr +
				((uint64_t)1 << (32 - s->cidr.len)) - 1;

		nused = 0;
		for (j = 0; j < lab->nenis; j++)
			if (lab->enis[j]->subnet == s &&
			    model_eni_ip_given(lab->enis[j], NULL))
				used[nused++] = eni_given_ip(lab->enis[j]);
		qsort(used, nused, sizeof(*used), cmp_u32);
		for (j = 0; j < lab->nenis; j++) {
			struct eni *e = lab->enis[j];
			struct instance *in = e->instance;

			if (e->subnet != s || model_eni_ip_given(e, NULL))
				continue;
			while (next < last &&
			       bsearch(&(uint32_t){ (uint32_t)next }, used,
				       nused, sizeof(*used), cmp_u32))
				next++;
			if (next >= last) {
				diag_error(b->d, in ? in->r.at : e->r.at,
					   "InsufficientFreeAddressesInSubnet",
					   "There are not enough free addresses in subnet '%s' to satisfy the requested number of instances (%s '%s')",
					   s->r.name,
					   res_types[model_eni_owner(e)->kind]->keyword,
					   model_eni_owner(e)->name);
				continue;
			}
			e->ip = (uint32_t)next++;
			if (in)
				in->private_ip = e->ip;
		}
	}
	free(used);
	for (j = 0; j < lab->nenis; j++) {
		struct eni *e = lab->enis[j];

		if (model_eni_ip_given(e, NULL))
			e->ip = eni_given_ip(e);
		if (e->instance)
			e->instance->private_ip = e->ip;
		if (e->nat)
			e->nat->private_ip = e->ip;
	}
}

/* The Elastic IP associated with in, or NULL (two are check's to
 * report: the first wins). */
static const struct elastic_ip *eip_of(const struct lab *lab,
				       const struct instance *in)
{
	const struct res_list *l = &lab->res[RES_ELASTIC_IP];
	size_t i;

	for (i = 0; i < l->n; i++)
		if (((const struct elastic_ip *)l->v[i])->instance == in)
			return (const struct elastic_ip *)l->v[i];
	return NULL;
}

/* Public IPv4s come from the pool (pool.c). Elastic IPs first: the given
 * addresses, then the first free slot for each of the others. An instance
 * with an Elastic IP takes its address; any other public instance gets a
 * slot derived from its ID in the default blocks, the next free one on a
 * clash, so that a public-ip-pool line added later moves no address; a lab
 * with more than the pool holds leaves the rest without one. */
/* The free slot of the pool that name's hash starts from (the same name,
 * the same address, whatever else the lab holds), marked used; 0 when the
 * pool is full. */
static uint32_t pick_public(const struct lab *lab, bool *used, size_t nslots,
			    const char *name)
{
	uint64_t h[2];
	size_t k, slot;

	model_id_hash(h, lab->name, "public-ip", name);
	for (k = 0; k < nslots; k++) {
		slot = (size_t)((h[0] % MODEL_PUBLIC_POOL_DEFAULT_SLOTS + k) %
				nslots);
		if (!used[slot]) {
			used[slot] = true;
			return model_public_pool_at(lab, slot);
		}
	}
	return 0;
}

void model_assign_public_ips(struct build *b)
{
	const struct res_list *eips = &b->lab->res[RES_ELASTIC_IP];
	struct lab *lab = b->lab;
	size_t i, slot, nslots = model_public_pool_size(lab);
	bool *used = calloc(nslots, sizeof(*used));

	if (!used) {
		b->oom = true;
		return;
	}
	for (i = 0; i < eips->n; i++) {
		const struct elastic_ip *e =
			(const struct elastic_ip *)eips->v[i];

		slot = e->address_given ? model_public_pool_slot(lab, e->address)
					: nslots;
		if (slot < nslots)
			used[slot] = true;
	}
	for (i = 0; i < eips->n; i++) {
		struct elastic_ip *e = (struct elastic_ip *)eips->v[i];

		for (slot = 0; !e->address_given && slot < nslots; slot++)
			if (!used[slot]) {
				used[slot] = true;
				e->address = model_public_pool_at(lab, slot);
				break;
			}
	}
	for (i = 0; i < lab->ninstances; i++) {
		struct instance *in = lab->instances[i];
		const struct elastic_ip *e = eip_of(lab, in);

		if (e)
			in->public_ipv4 = e->address;
		else if (in->public_ip)
			in->public_ipv4 = pick_public(lab, used, nslots,
						      in->r.name);
	}
	/* Internet-facing load balancer nodes: one each. */
	for (i = 0; i < lab->nenis; i++) {
		struct eni *n = lab->enis[i];

		if (n->lb && n->lb->internet_facing)
			n->node_public_ip = pick_public(lab, used, nslots,
							n->r.name);
	}
	vpn_connection_assign(b, used, nslots, pick_public);
	free(used);
}
