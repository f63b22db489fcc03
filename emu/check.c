/* check.c - the AWS rules that a lab file can break, judged over the model.
 *
 * Runs after model_build() (conf → model → check → plan): names are resolved
 * and defaults applied, so every rule here reads typed resources. Each
 * violation is queued in the caller's struct diags, at the most precise place
 * the model keeps (a CIDR word, a route's destination, an entry's number),
 * else at the resource's name, with AWS's error code where AWS has one
 * (docs/aws-semantics.md §7) and a Vpcemu.* code otherwise. Nothing stops at
 * the first mistake: one run reports them all.
 *
 * The model is read-only here except for one field: a peering between VPCs
 * with overlapping blocks gets status PEERING_FAILED, as AWS creates such a
 * peering and lets it fail (§6.1). That is decided before the rules that
 * depend on peering status (SG references, DNS options, quotas) run.
 *
 * No allocation: every rule is a scan over arrays the model owns, quadratic
 * where it compares pairs; labs are small, and the limits checked here bound
 * the interesting sizes anyway.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/model.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

/* Default quotas (docs/aws-semantics.md) of the rules across kinds. */
#define SG_RULES_PER_ENI_MAX 1000	/* */
#define SGS_PER_ENI_MAX MODEL_MAX_SGS_PER_ENI	/* */

#define AZ_LETTERS "abcdef"		/* vpcemu offers a-f everywhere */

/* CHECK_NS_KIB: Slab grew by 340 KiB per instance for a 10,000-instance
 * genlab lab (40 VPC routers), and vpcemud by under 10 KiB. */
uint64_t check_memory_need_kib(const struct lab *lab)
{
	return ((uint64_t)lab->ninstances + lab->nvpcs) * CHECK_NS_KIB;
}

bool check_memory(const struct lab *lab, uint64_t avail_kib, struct place at,
		  struct diags *d)
{
	uint64_t need = check_memory_need_kib(lab);

	if (need * 10 <= avail_kib * 9)
		return true;
	diag_error(d, at, "Vpcemu.InsufficientMemory",
		   "lab %s needs about %" PRIu64 " MiB of kernel memory "
		   "(%zu instances and %zu VPC routers, %d KiB each), more "
		   "than 90%% of the %" PRIu64 " MiB this machine has "
		   "available; make the lab smaller or free memory",
		   lab->name, need / 1024, lab->ninstances, lab->nvpcs,
		   CHECK_NS_KIB, avail_kib / 1024);
	return false;
}

struct place check_pick(struct place precise, struct place fallback)
{
	return precise.line ? precise : fallback;
}

bool check_place_before(struct place a, struct place b)
{
	if (a.line != b.line)
		return a.line < b.line;
	return a.first_col < b.first_col;
}

static bool lower(char c)
{
	return c >= 'a' && c <= 'z';
}

/* "-[a-z]+-[0-9]" up to the end of s. */
static bool region_tail(const char *s)
{
	if (*s++ != '-' || !lower(*s))
		return false;
	while (lower(*s))
		s++;
	if (*s++ != '-')
		return false;
	return s[0] >= '0' && s[0] <= '9' && s[1] == '\0';
}

/* a region looks like [a-z]{2}(-gov)?-[a-z]+-[0-9] ("ap-northeast-1",
 * "us-gov-west-1"). Both readings of "-gov" are tried, as a regex would. */
bool check_region_valid(const char *r)
{
	if (!r || !lower(r[0]) || !lower(r[1]))
		return false;
	if (region_tail(r + 2))
		return true;
	return strncmp(r + 2, "-gov", 4) == 0 && region_tail(r + 6);
}

/* the VPC's region plus one letter. */
bool check_az_valid(const char *az, const char *region)
{
	size_t n;

	if (!az || !region)
		return false;
	n = strlen(region);
	return strncmp(az, region, n) == 0 && az[n] != '\0' &&
	       strchr(AZ_LETTERS, az[n]) && az[n + 1] == '\0';
}

const struct subnet *check_same_az(struct subnet *const *subnets, size_t k)
{
	size_t j;

	for (j = 0; subnets[k] && j < k; j++)
		if (subnets[j] && str_eq(subnets[j]->az, subnets[k]->az))
			return subnets[j];
	return NULL;
}

/* ---- Rules across kinds ------------------------------------------------ */

/* Whether subnet s is associated by an owner before owner i's k-th
 * association; reports it against the first one found. */
static bool assoc_taken(struct lab *lab, enum res_kind kind,
			void (*view)(const struct res *, struct check_assoc *),
			size_t i, size_t k, const struct check_assoc *me,
			struct place at, struct diags *d)
{
	const char *noun = res_types[kind]->noun;
	struct check_assoc o;
	size_t j, l;

	for (j = 0; j <= i; j++) {
		view(lab->res[kind].v[j], &o);
		for (l = 0; l < (j == i ? k : o.nassoc); l++) {
			if (o.assoc[l] != me->assoc[k])
				continue;
			diag_error(d, at, "Resource.AlreadyAssociated",
				   "Subnet %s (%s) is already associated with %s %s (%s); it cannot also be associated with %s (%s)",
				   me->assoc[k]->r.name, me->assoc[k]->r.id,
				   noun, o.owner->name, o.owner->id,
				   me->owner->name, me->owner->id);
			return true;
		}
	}
	return false;
}

void check_assocs(struct lab *lab, enum res_kind kind,
		  void (*view)(const struct res *r, struct check_assoc *ret),
		  struct diags *d)
{
	const char *noun = res_types[kind]->noun;
	struct check_assoc v;
	size_t i, k;

	for (i = 0; i < lab->res[kind].n; i++) {
		view(lab->res[kind].v[i], &v);
		for (k = 0; v.vpc && k < v.nassoc; k++) {
			const struct subnet *s = v.assoc[k];
			struct place at = check_pick(
				v.assoc_at ? v.assoc_at[k] : (struct place){ 0 },
				v.owner->at);

			if (!s)
				continue;
			/* A table (ACL) serves subnets of its own VPC. */
			if (s->vpc != v.vpc)
				diag_error(d, at, "InvalidParameterValue",
					   "%c%s %s (%s) and subnet %s (%s) belong to different networks",
					   noun[0] - 'a' + 'A', noun + 1,
					   v.owner->name, v.owner->id,
					   s->r.name, s->r.id);
			/* One explicit association per subnet (AWS would
			 * replace it, R-3.2; a file that says both is
			 * ambiguous: vpcemu). */
			assoc_taken(lab, kind, view, i, k, &v, at, d);
		}
	}
}

/* An ENI's user-facing place: its written address, else its owner's
 * name. */
static struct place eni_place(const struct eni *e)
{
	struct place at = { 0 };

	return model_eni_ip_given(e, &at) ? at : model_eni_owner(e)->at;
}

struct eni_key {
	const struct vpc *vpc;
	uint32_t ip;
	size_t index;		/* in lab->enis: file order */
};

static int eni_key_cmp(const void *x, const void *y)
{
	const struct eni_key *a = x, *b = y;

	if (a->vpc != b->vpc)
		return (uintptr_t)a->vpc < (uintptr_t)b->vpc ? -1 : 1;
	if (a->ip != b->ip)
		return a->ip < b->ip ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

static void check_addresses(struct lab *lab, struct diags *d)
{
	struct eni_key *v;
	char buf[IP_BUF];
	size_t i, j, n;

	for (i = 0; i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];
		struct place at;
		struct cidr c;

		if (!model_eni_ip_given(e, &at) || !e->subnet)
			continue;
		c = e->subnet->cidr;
		ip_fmt(e->ip, buf);
		/* inside the subnet, and not one of its five reserved
		 * addresses (R-2.4: base+0..+3 and the last). */
		if (!cidr_has_ip(c, e->ip))
			diag_error(
			    d, at, "InvalidParameterValue",
			    "Address does not fall within the subnet's address range");
		else if (e->ip - c.addr <= 3 || e->ip == cidr_last(c))
			diag_error(
			    d, at, "InvalidParameterValue",
			    "Address %s is in subnet's reserved address range",
			    buf);
	}

	/* one address, one ENI, within a VPC (two VPCs may reuse
	 * it): sorted on (VPC, address, place in the file), each ENI after
	 * the first of its run is reported against that first one. */
	v = malloc((lab->nenis + 1) * sizeof(*v));
	if (!v) {
		diag_error(d, (struct place){ 0 }, "Vpcemu.NoMemory",
			   "out of memory while checking addresses");
		return;
	}
	for (i = n = 0; i < lab->nenis; i++)
		if (lab->enis[i]->subnet)
			v[n++] = (struct eni_key){ lab->enis[i]->subnet->vpc,
						   lab->enis[i]->ip, i };
	qsort(v, n, sizeof(*v), eni_key_cmp);
	for (i = 1, j = 0; i < n; i++) {
		const struct eni *e = lab->enis[v[i].index];
		const struct eni *o = lab->enis[v[j].index];

		if (v[i].vpc != v[j].vpc || v[i].ip != v[j].ip) {
			j = i;
			continue;
		}
		diag_error(d, eni_place(e), "InvalidIPAddress.InUse",
			   "The specified address is already in use: %s is assigned to %s (%s).",
			   ip_fmt(e->ip, buf), o->r.name, o->r.id);
	}
	free(v);
}


/* the groups on one ENI (or on each ENI of an
 * endpoint, which all carry the same list). */
static void check_eni_sgs(struct sg **sgs, size_t nsgs, struct vpc *v,
			  const char *owner, const char *eni, struct place at,
			  struct diags *d)
{
	size_t i, j, rules = 0;

	/* at most 5 groups on an ENI. */
	if (nsgs > SGS_PER_ENI_MAX)
		diag_error(d, at, "SecurityGroupsPerInterfaceLimitExceeded",
			   "The maximum number of security groups per interface has been reached. (%s has %zu; at most %d)",
			   owner, nsgs, SGS_PER_ENI_MAX);

	for (i = 0; i < nsgs; i++) {
		struct sg *g = sgs[i];
		bool dup = false;

		if (!g)
			continue;
		for (j = 0; j < i; j++)
			if (sgs[j] == g)
				dup = true;
		/* each group once. */
		if (dup) {
			diag_error(d, at, "InvalidParameterValue",
				   "Security group %s (%s) is listed more than once for %s",
				   g->r.name, g->r.id, owner);
			continue;
		}
		rules += g->nrules;
		/* only groups of the ENI's own VPC, peered or not. */
		if (v && g->vpc != v)
			diag_error(d, at, "InvalidGroup.NotFound",
				   "The security group '%s' (%s) does not exist in VPC '%s' (%s)",
				   g->r.name, g->r.id, v->r.name, v->r.id);
	}
	/* rules summed over the ENI's groups. */
	if (rules > SG_RULES_PER_ENI_MAX)
		diag_error(d, at, "RulesPerSecurityGroupLimitExceeded",
			   "The maximum number of rules per network interface has been reached: the groups of %s (ENI %s) hold %zu rules, at most %d",
			   owner, eni, rules, SG_RULES_PER_ENI_MAX);
}

static void check_enis(struct lab *lab, struct diags *d)
{
	size_t i;

	for (i = 0; i < lab->ninstances; i++) {
		struct instance *in = lab->instances[i];

		check_eni_sgs(in->sgs, in->nsgs,
			      in->subnet ? in->subnet->vpc : NULL, in->r.name,
			      in->eni ? in->eni->r.id : "?",
			      check_pick(in->sgs_at, in->r.at), d);
	}
	for (i = 0; i < lab->nendpoints; i++) {
		struct endpoint *e = lab->endpoints[i];

		if (e->type != ENDPOINT_INTERFACE)
			continue;
		check_eni_sgs(e->sgs, e->nsgs, e->vpc, e->r.name,
			      e->nenis ? e->enis[0]->r.id : "?", e->r.at, d);
	}
	for (i = 0; i < lab->res[RES_LOAD_BALANCER].n; i++) {
		struct load_balancer *lb =
			(struct load_balancer *)lab->res[RES_LOAD_BALANCER].v[i];

		check_eni_sgs(lb->sgs, lb->nsgs, lb->vpc, lb->r.name,
			      lb->nenis ? lb->enis[0]->r.id : "?", lb->sgs_at,
			      d);
	}
}


void check_lab(struct lab *lab, struct diags *d)
{
	size_t k;

	if (!lab || !d)
		return;
	/* In kind order: peerings before the groups that reference groups
	 * across them (model.h). */
	for (k = 0; k < RES__COUNT; k++)
		if (res_types[k]->check)
			res_types[k]->check(lab, d);
	check_addresses(lab, d);
	check_enis(lab, d);
	check_public_pools(lab, d);
}
