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
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/model.h"

/* Default quotas (docs/aws-semantics.md); AWS lets accounts raise most. */
#define VPC_PREFIX_MIN 16		/* */
#define VPC_PREFIX_MAX 28
#define VPC_CIDRS_MAX 5			/* primary included */
#define VPCS_PER_REGION_MAX 5		/* */
#define SUBNETS_PER_VPC_MAX 200		/* */
#define ROUTE_TABLES_PER_VPC_MAX 200	/* main included */
#define NACLS_PER_VPC_MAX 200		/* default included */
#define ROUTES_PER_TABLE_MAX 50		/* */
#define SG_RULES_PER_DIR_MAX 60		/* */
#define SG_RULES_PER_ENI_MAX 1000	/* */
#define SGS_PER_ENI_MAX MODEL_MAX_SGS_PER_ENI	/* */
/* AWS's 20 per direction counts the built-in '*' rule, which the
 * model does not store, so 19 numbered entries fit (our inference). */
#define NACL_ENTRIES_PER_DIR_MAX 19
#define ACTIVE_PEERINGS_PER_VPC_MAX 50	/* */

#define AZ_LETTERS "abcdef"		/* vpcemu offers a-f everywhere */

#define CIDR(a, b, c, d, l)                                                   \
	((struct cidr){ .addr = ((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | \
				((uint32_t)(c) << 8) | (uint32_t)(d),         \
			.len = (l) })

/* Buffer sizes for cidr_fmt / ip_fmt. */
#define CIDR_BUF 19
#define IP_BUF 16

static struct place pick(struct place precise, struct place fallback)
{
	return precise.line ? precise : fallback;
}

static bool place_before(struct place a, struct place b)
{
	if (a.line != b.line)
		return a.line < b.line;
	return a.first_col < b.first_col;
}

static uint32_t cidr_last(struct cidr c)
{
	uint32_t mask = c.len ? 0xffffffffu << (32 - c.len) : 0;

	return c.addr | ~mask;
}

static bool cidr_eq(struct cidr a, struct cidr b)
{
	return a.addr == b.addr && a.len == b.len;
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
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
static bool region_valid(const char *r)
{
	if (!r || !lower(r[0]) || !lower(r[1]))
		return false;
	if (region_tail(r + 2))
		return true;
	return strncmp(r + 2, "-gov", 4) == 0 && region_tail(r + 6);
}

/* the VPC's region plus one letter. */
static bool az_valid(const char *az, const char *region)
{
	size_t n;

	if (!az || !region)
		return false;
	n = strlen(region);
	return strncmp(az, region, n) == 0 && az[n] != '\0' &&
	       strchr(AZ_LETTERS, az[n]) && az[n + 1] == '\0';
}

static bool peering_terminal(enum peering_status s)
{
	return s == PEERING_REJECTED || s == PEERING_FAILED ||
	       s == PEERING_DELETED || s == PEERING_EXPIRED;
}

static bool peering_joins(const struct peering *p, const struct vpc *a,
			  const struct vpc *b)
{
	return (p->requester == a && p->accepter == b) ||
	       (p->requester == b && p->accepter == a);
}

/* The peering between a and b that matters for traffic: an active one if
 * any, else the first in the file, else NULL. */
static struct peering *peering_between(const struct lab *lab,
				       const struct vpc *a,
				       const struct vpc *b)
{
	struct peering *any = NULL;
	size_t i;

	for (i = 0; i < lab->npeerings; i++) {
		struct peering *p = lab->peerings[i];

		if (!peering_joins(p, a, b))
			continue;
		if (p->status == PEERING_ACTIVE)
			return p;
		if (!any)
			any = p;
	}
	return any;
}

/* ---- VPCs (§1) --------------------------------------------------------- */

/* the private families whose mixing AWS restricts. */
static const struct cidr vpc_families[] = {
	CIDR(10, 0, 0, 0, 8),
	CIDR(172, 16, 0, 0, 12),
	CIDR(192, 168, 0, 0, 16),
	CIDR(198, 19, 0, 0, 16),
};
#define NFAMILIES (sizeof(vpc_families) / sizeof(vpc_families[0]))

/* Index of the family that holds c, or NFAMILIES for public / 100.64/10. */
static size_t vpc_family(struct cidr c)
{
	size_t f;

	for (f = 0; f < NFAMILIES; f++)
		if (cidr_contains(vpc_families[f], c))
			return f;
	return NFAMILIES;
}

/* whether secondary block i of v may not be added after the blocks
 * before it. */
static bool vpc_cidr_restricted(const struct vpc *v, size_t i)
{
	struct cidr c = v->cidrs[i];
	size_t prim = vpc_family(v->cidrs[0]), f, j;

	/* A block from another private family than the primary's; with a
	 * public (or 100.64/10) primary every private family is refused. */
	for (f = 0; f < NFAMILIES; f++)
		if (f != prim && cidr_overlap(vpc_families[f], c))
			return true;
	/* With a 172.16/12 primary, 172.31.0.0/16 (the default VPC's) too. */
	if (prim == 1 && cidr_overlap(CIDR(172, 31, 0, 0, 16), c))
		return true;
	/* A block in 10.0.0.0/15 shuts out 10.0.0.0/16. */
	if (cidr_overlap(CIDR(10, 0, 0, 0, 16), c))
		for (j = 0; j < i; j++)
			if (cidr_contains(CIDR(10, 0, 0, 0, 15), v->cidrs[j]) &&
			    !cidr_overlap(v->cidrs[j], c))
				return true;
	return false;
}

/* ranges a VPC can never use. Only link-local is documented; the
 * others are refused by AWS too (unverified) and cannot work in a Linux
 * namespace as unicast addresses anyway (vpcemu). */
static const struct {
	struct cidr c;
	const char *what;
} vpc_special[] = {
	{ CIDR(169, 254, 0, 0, 16), "Link-local addresses (169.254.0.0/16)" },
	{ CIDR(0, 0, 0, 0, 8), "Addresses in 0.0.0.0/8" },
	{ CIDR(127, 0, 0, 0, 8), "Loopback addresses (127.0.0.0/8)" },
	{ CIDR(224, 0, 0, 0, 3),
	  "Multicast and reserved addresses (224.0.0.0/3)" },
};

static void check_vpc_cidrs(struct vpc *v, struct diags *d)
{
	char buf[CIDR_BUF], obuf[CIDR_BUF];
	size_t i, j, k;

	for (i = 0; i < v->ncidrs; i++) {
		struct cidr c = v->cidrs[i];
		struct place at = pick(v->cidrs_at ? v->cidrs_at[i] :
					(struct place){ 0 }, v->r.at);
		bool bad = false;

		cidr_fmt(c, buf);
		/* 5 blocks per VPC, the primary included. */
		if (i == VPC_CIDRS_MAX)
			diag_error(d, at, "CidrLimitExceeded",
				   "This network '%s' has met its maximum number of allowed CIDRs: %d",
				   v->r.id, VPC_CIDRS_MAX);

		/* every block is /16 to /28. */
		if (c.len < VPC_PREFIX_MIN || c.len > VPC_PREFIX_MAX) {
			diag_error(d, at, "InvalidVpc.Range",
				   "The CIDR '%s' is invalid.", buf);
			continue;
		}
		/* link-local and other special ranges. */
		for (k = 0; k < sizeof(vpc_special) / sizeof(vpc_special[0]); k++) {
			if (!cidr_overlap(vpc_special[k].c, c))
				continue;
			diag_error(d, at, "InvalidVpc.Range",
				   "The CIDR '%s' is restricted. %s cannot be used by a VPC.",
				   buf, vpc_special[k].what);
			bad = true;
			break;
		}
		if (bad || i == 0)
			continue;
		/* a new block must not overlap one already there. */
		for (j = 0; j < i; j++) {
			if (!cidr_overlap(v->cidrs[j], c))
				continue;
			diag_error(d, at, "InvalidVpc.Range",
				   "The CIDR '%s' conflicts with the VPC's CIDR block '%s'.",
				   buf, cidr_fmt(v->cidrs[j], obuf));
			bad = true;
			break;
		}
		/* secondary ranges restricted by the primary's. */
		if (!bad && vpc_cidr_restricted(v, i))
			diag_error(d, at, "InvalidVpc.Range",
				   "The CIDR '%s' is restricted. Use a CIDR from the same private address range as the current VPC CIDR '%s', or use a publicly-routable CIDR.",
				   buf, cidr_fmt(v->cidrs[0], obuf));
	}
}

static void check_vpcs(struct lab *lab, struct diags *d)
{
	size_t i, j;

	for (i = 0; i < lab->nvpcs; i++) {
		struct vpc *v = lab->vpcs[i];
		size_t same = 0;

		/* 5 VPCs per region (and account). */
		for (j = 0; j < i; j++)
			if (str_eq(lab->vpcs[j]->region, v->region) &&
			    str_eq(lab->vpcs[j]->account, v->account))
				same++;
		if (same == VPCS_PER_REGION_MAX)
			diag_error(d, v->r.at, "VpcLimitExceeded",
				   "The maximum number of VPCs has been reached. (%d per region and account; %s is one too many in %s)",
				   VPCS_PER_REGION_MAX, v->r.name,
				   v->region ? v->region : "?");

		/* a region name AWS could have. */
		if (!region_valid(v->region))
			diag_error(d, v->r.at, "InvalidParameterValue",
				   "Value (%s) for parameter region is invalid. A region looks like 'us-east-1' or 'ap-northeast-1'.",
				   v->region ? v->region : "");

		/* host names need the resolver. */
		if (v->dns_hostnames && !v->dns_support)
			diag_error(d, v->r.at, "InvalidParameterValue",
				   "VPC %s: dns-hostnames yes requires dns-support yes (enableDnsHostnames needs enableDnsSupport).",
				   v->r.name);

		check_vpc_cidrs(v, d);
	}
}

/* ---- Subnets and addresses (§2) ---------------------------------------- */

static bool subnet_in_vpc(const struct subnet *s)
{
	size_t i;

	for (i = 0; i < s->vpc->ncidrs; i++)
		if (cidr_contains(s->vpc->cidrs[i], s->cidr))
			return true;
	return false;
}

static void check_subnets(struct lab *lab, struct diags *d)
{
	char buf[CIDR_BUF];
	size_t i, j;

	for (i = 0; i < lab->nsubnets; i++) {
		struct subnet *s = lab->subnets[i];
		struct place at = pick(s->cidr_at, s->r.at);
		size_t siblings = 0;

		if (!s->vpc)
			continue;
		cidr_fmt(s->cidr, buf);
		/* R-2.1: /16 to /28, inside one of the VPC's blocks. */
		if (s->cidr.len < VPC_PREFIX_MIN || s->cidr.len > VPC_PREFIX_MAX ||
		    !subnet_in_vpc(s))
			diag_error(d, at, "InvalidSubnet.Range",
				   "The CIDR '%s' is invalid.", buf);

		/* no overlap with an earlier sibling. */
		for (j = 0; j < i; j++) {
			struct subnet *o = lab->subnets[j];

			if (o->vpc == s->vpc && cidr_overlap(o->cidr, s->cidr)) {
				diag_error(d, at, "InvalidSubnet.Conflict",
					   "The CIDR '%s' conflicts with another subnet",
					   buf);
				break;
			}
		}
		for (j = 0; j < i; j++)
			if (lab->subnets[j]->vpc == s->vpc)
				siblings++;

		/* 200 subnets per VPC. */
		if (siblings == SUBNETS_PER_VPC_MAX)
			diag_error(d, s->r.at, "SubnetLimitExceeded",
				   "The maximum number of subnets has been reached. (%d per VPC; %s is one too many in %s)",
				   SUBNETS_PER_VPC_MAX, s->r.name, s->vpc->r.name);

		/* R-2.3: region + letter; a bad region is reported once, on
		 * the VPC, and makes every AZ moot. */
		if (region_valid(s->vpc->region) &&
		    !az_valid(s->az, s->vpc->region)) {
			const char *r = s->vpc->region;

			diag_error(d, pick(s->az_at, s->r.at),
				   "InvalidParameterValue",
				   "Value (%s) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: %sa, %sb, %sc, %sd, %se, %sf.",
				   s->az ? s->az : "", r, r, r, r, r, r);
		}
	}
}

/* An ENI's user-facing place: a given private IP, else its owner's name. */
static struct place eni_place(const struct eni *e)
{
	if (e->instance && e->instance->private_ip_given)
		return pick(e->instance->ip_at, e->instance->r.at);
	if (e->instance)
		return e->instance->r.at;
	if (e->endpoint)
		return e->endpoint->r.at;
	return e->r.at;
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

	for (i = 0; i < lab->ninstances; i++) {
		struct instance *in = lab->instances[i];
		struct cidr c;

		if (!in->private_ip_given || !in->subnet)
			continue;
		c = in->subnet->cidr;
		ip_fmt(in->private_ip, buf);
		/* inside the subnet, and not one of its five reserved
		 * addresses (R-2.4: base+0..+3 and the last). */
		if (!cidr_has_ip(c, in->private_ip))
			diag_error(d, pick(in->ip_at, in->r.at),
				   "InvalidParameterValue",
				   "Address does not fall within the subnet's address range");
		else if (in->private_ip - c.addr <= 3 ||
			 in->private_ip == cidr_last(c))
			diag_error(d, pick(in->ip_at, in->r.at),
				   "InvalidParameterValue",
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

/* ---- Route tables (§3) ------------------------------------------------- */

static void check_rt_assocs(struct lab *lab, struct diags *d)
{
	size_t i, k, j, l;

	for (i = 0; i < lab->nroute_tables; i++) {
		struct route_table *t = lab->route_tables[i];

		for (k = 0; k < t->nassoc; k++) {
			struct subnet *s = t->assoc[k];
			struct place at = pick(t->assoc_at ? t->assoc_at[k] :
						(struct place){ 0 }, t->r.at);
			bool dup = false;

			if (!s)
				continue;
			/* a table serves subnets of its own VPC. */
			if (s->vpc != t->vpc)
				diag_error(d, at, "InvalidParameterValue",
					   "Route table %s (%s) and subnet %s (%s) belong to different networks",
					   t->r.name, t->r.id, s->r.name, s->r.id);

			/* one explicit association per subnet
			 * (AWS would replace it, R-3.2; a file that says
			 * both is ambiguous: vpcemu). */
			for (j = 0; j <= i && !dup; j++) {
				struct route_table *o = lab->route_tables[j];
				size_t end = j == i ? k : o->nassoc;

				for (l = 0; l < end && !dup; l++) {
					if (o->assoc[l] != s)
						continue;
					diag_error(d, at, "Resource.AlreadyAssociated",
						   "Subnet %s (%s) is already associated with route table %s (%s); it cannot also be associated with %s (%s)",
						   s->r.name, s->r.id, o->r.name,
						   o->r.id, t->r.name, t->r.id);
					dup = true;
				}
			}
		}
	}
}

static void check_route(struct route_table *t, size_t n, struct lab *lab,
			struct diags *d)
{
	const struct route *r = &t->routes[n];
	struct vpc *v = t->vpc;
	struct place dst_at = pick(r->dst_at, r->at);
	struct place target_at = pick(r->target_at, r->at);
	char buf[CIDR_BUF];
	bool inside = false, equal = false, subnet = false;
	size_t i;

	cidr_fmt(r->dst, buf);

	/* one route per destination in a table. */
	for (i = 0; i < n; i++)
		if (cidr_eq(t->routes[i].dst, r->dst)) {
			diag_error(d, dst_at, "RouteAlreadyExists",
				   "The route identified by %s already exists.",
				   buf);
			break;
		}

	/* 169.254.168.0/22 is EC2's own (IMDS, DNS). */
	if (cidr_contains(CIDR(169, 254, 168, 0, 22), r->dst))
		diag_error(d, dst_at, "InvalidParameterValue",
			   "The destination CIDR block %s is equal to or more specific than 169.254.168.0/22, which is reserved for EC2 services such as the instance metadata service and DNS.",
			   buf);

	for (i = 0; i < v->ncidrs; i++) {
		if (cidr_contains(v->cidrs[i], r->dst))
			inside = true;
		if (cidr_eq(v->cidrs[i], r->dst))
			equal = true;
	}
	for (i = 0; i < lab->nsubnets; i++)
		if (lab->subnets[i]->vpc == v &&
		    cidr_eq(lab->subnets[i]->cidr, r->dst))
			subnet = true;

	/* inside the VPC only an instance may be the target,
	 * and only for a subnet's exact block. The block itself is the local
	 * route, which vpcemu keeps fixed (R-3.3, vpcemu). */
	if (inside && r->target_kind != TARGET_INSTANCE)
		diag_error(d, dst_at, "InvalidParameterValue",
			   "The destination CIDR block %s is equal to or more specific than one of this VPC's CIDR blocks. This route can target only an interface or an instance.",
			   buf);
	else if (equal)
		diag_error(d, dst_at, "RouteAlreadyExists",
			   "The route identified by %s already exists. (It is the local route of %s, which vpcemu does not let you replace.)",
			   buf, v->r.name);
	else if (inside && !subnet)
		diag_error(d, dst_at, "InvalidParameterValue",
			   "Route destination doesn't match any subnet CIDR blocks: %s is inside %s, so it must equal one of its subnets' blocks.",
			   buf, v->r.name);

	switch (r->target_kind) {
	case TARGET_PEERING:
		/* R-6.9 (vpcemu): only the two peers route into a peering;
		 * AWS's code for a foreign one is unverified. */
		if (r->peering && r->peering->requester != v &&
		    r->peering->accepter != v)
			diag_error(d, target_at, "InvalidParameterValue",
				   "Peering %s (%s) does not involve VPC %s of route table %s",
				   r->peering->r.name, r->peering->r.id,
				   v->r.name, t->r.name);
		break;
	case TARGET_INSTANCE:
		/* the instance's ENI must be in the table's VPC. */
		if (r->instance && r->instance->subnet &&
		    r->instance->subnet->vpc != v)
			diag_error(d, target_at, "InvalidParameterValue",
				   "Route table %s (%s) and instance %s (%s) belong to different networks",
				   t->r.name, t->r.id, r->instance->r.name,
				   r->instance->r.id);
		break;
	case TARGET_ENDPOINT:
		/* a gateway endpoint of the same VPC. */
		if (r->endpoint && (r->endpoint->type != ENDPOINT_GATEWAY ||
				    r->endpoint->vpc != v))
			diag_error(d, target_at, "InvalidParameterValue",
				   "Endpoint %s (%s) is not a gateway endpoint of VPC %s; a route can target only those",
				   r->endpoint->r.name, r->endpoint->r.id,
				   v->r.name);
		break;
	case TARGET_BLACKHOLE:
		break;
	}
}

/* Quotas that count implicit resources (R-1.12: the main route table, the
 * default ACL) blame only written ones; the model lists implicit ones after
 * their VPC's written ones. These return how many tables (ACLs) of the same
 * VPC count before element i, every implicit one included, or SIZE_MAX
 * when i is implicit itself. */
static size_t rt_quota_rank(const struct lab *lab, size_t i)
{
	const struct route_table *t = lab->route_tables[i];
	size_t j, rank = 0;

	if (t->r.implicit)
		return SIZE_MAX;
	for (j = 0; j < lab->nroute_tables; j++) {
		const struct route_table *o = lab->route_tables[j];

		if (o->vpc == t->vpc && (j < i || o->r.implicit))
			rank++;
	}
	return rank;
}

static void check_route_tables(struct lab *lab, struct diags *d)
{
	size_t i, j, k;

	for (i = 0; i < lab->nroute_tables; i++) {
		struct route_table *t = lab->route_tables[i];
		if (!t->vpc)
			continue;
		/* 200 route tables per VPC, the main one included. */
		if (rt_quota_rank(lab, i) == ROUTE_TABLES_PER_VPC_MAX)
			diag_error(d, t->r.at, "RouteTableLimitExceeded",
				   "The maximum number of route tables has been reached. (%d per VPC, the main one included; %s is one too many in %s)",
				   ROUTE_TABLES_PER_VPC_MAX, t->r.name,
				   t->vpc->r.name);

		/* one main table per VPC. The implicit one gives way
		 * to a written "main yes", so only written ones compete. */
		if (t->main && !t->r.implicit)
			for (j = 0; j < i; j++) {
				struct route_table *o = lab->route_tables[j];

				if (o->vpc != t->vpc || !o->main ||
				    o->r.implicit)
					continue;
				diag_error(d, t->r.at, "Vpcemu.MainRouteTableConflict",
					   "VPC %s already has main route table %s; %s cannot be main too",
					   t->vpc->r.name, o->r.name, t->r.name);
				break;
			}

		/* 50 routes per table. */
		if (t->nroutes > ROUTES_PER_TABLE_MAX)
			diag_error(d, t->routes[ROUTES_PER_TABLE_MAX].at,
				   "RouteLimitExceeded",
				   "The maximum number of routes has been reached. (%d per route table; %s has %zu)",
				   ROUTES_PER_TABLE_MAX, t->r.name, t->nroutes);

		for (k = 0; k < t->nroutes; k++)
			check_route(t, k, lab, d);
	}
	check_rt_assocs(lab, d);
}

/* ---- Peerings (§6) ----------------------------------------------------- */

static void check_peerings(struct lab *lab, struct diags *d)
{
	char abuf[CIDR_BUF], bbuf[CIDR_BUF];
	size_t i, j, a, b;

	for (i = 0; i < lab->npeerings; i++) {
		struct peering *p = lab->peerings[i];
		struct vpc *rq = p->requester, *ac = p->accepter;
		bool overlap = false;

		if (!rq || !ac)
			continue;
		/* no peering of a VPC with itself. The error code is
		 * unverified; AWS documents only that it is refused. */
		if (rq == ac) {
			diag_error(d, pick(p->accepter_at, p->r.at),
				   "InvalidParameterValue",
				   "Peering %s: a VPC cannot be peered with itself (%s)",
				   p->r.name, rq->r.name);
			continue;
		}
		/* §6.1: any overlap between any two blocks: the
		 * peering is created and fails. */
		for (a = 0; a < rq->ncidrs && !overlap; a++)
			for (b = 0; b < ac->ncidrs && !overlap; b++) {
				if (!cidr_overlap(rq->cidrs[a], ac->cidrs[b]))
					continue;
				overlap = true;
				p->status = PEERING_FAILED;
				diag_warning(d, p->r.at, "Vpcemu.PeeringFailed",
					     "Peering %s (%s) status failed: Failed due to incorrect VPC-ID, Account ID, or overlapping CIDR range (%s of %s overlaps %s of %s); routes to it are blackhole",
					     p->r.name, p->r.id,
					     cidr_fmt(rq->cidrs[a], abuf),
					     rq->r.name,
					     cidr_fmt(ac->cidrs[b], bbuf),
					     ac->r.name);
			}
	}

	for (i = 0; i < lab->npeerings; i++) {
		struct peering *p = lab->peerings[i];
		struct vpc *rq = p->requester, *ac = p->accepter;

		if (!rq || !ac || rq == ac)
			continue;
		/* one peering per pair, either way round, at a time.
		 * Terminal ones (rejected, failed) no longer count, as in
		 * AWS where they linger only to be seen. */
		if (!peering_terminal(p->status))
			for (j = 0; j < i; j++) {
				struct peering *o = lab->peerings[j];

				if (!peering_joins(o, rq, ac) ||
				    peering_terminal(o->status))
					continue;
				diag_error(d, p->r.at,
					   "VpcPeeringConnectionAlreadyExists",
					   "VPCs %s and %s already have peering %s (%s)",
					   rq->r.name, ac->r.name, o->r.name,
					   o->r.id);
				break;
			}

		/* DNS options need an active peering, then both
		 * VPCs' DNS support and host names. */
		if (p->requester_allows_remote_dns ||
		    p->accepter_allows_remote_dns) {
			struct vpc *off = NULL;

			if (!(rq->dns_support && rq->dns_hostnames))
				off = rq;
			else if (!(ac->dns_support && ac->dns_hostnames))
				off = ac;
			if (p->status != PEERING_ACTIVE)
				diag_error(d, p->r.at,
					   "InvalidVpcPeeringConnectionState",
					   "Peering %s (%s) has status %s; remote DNS resolution can be allowed only on an active peering",
					   p->r.name, p->r.id,
					   peering_status_name(p->status));
			else if (off)
				diag_error(d, p->r.at,
					   "InvalidVpcPeeringConnectionState.DnsHostnamesDisabled",
					   "Remote DNS resolution needs dns-support and dns-hostnames on both VPCs; %s (%s) lacks %s",
					   off->r.name, off->r.id,
					   off->dns_support ? "dns-hostnames" :
					   "dns-support");
		}
	}

	/* 50 active peerings per VPC; the 51st is refused. */
	for (i = 0; i < lab->npeerings; i++) {
		struct peering *p = lab->peerings[i];
		struct vpc *ends[2] = { p->requester, p->accepter };
		size_t e;

		if (p->status != PEERING_ACTIVE || ends[0] == ends[1])
			continue;
		for (e = 0; e < 2; e++) {
			size_t n = 0;

			if (!ends[e])
				continue;
			for (j = 0; j < i; j++) {
				struct peering *o = lab->peerings[j];

				if (o->status == PEERING_ACTIVE &&
				    o->requester != o->accepter &&
				    (o->requester == ends[e] ||
				     o->accepter == ends[e]))
					n++;
			}
			if (n == ACTIVE_PEERINGS_PER_VPC_MAX) {
				diag_error(d, p->r.at,
					   "ActiveVpcPeeringConnectionPerVpcLimitExceeded",
					   "VPC %s (%s) already has %d active peerings, the maximum",
					   ends[e]->r.name, ends[e]->r.id,
					   ACTIVE_PEERINGS_PER_VPC_MAX);
				break;
			}
		}
	}
}

/* ---- Security groups (§4) ---------------------------------------------- */

static bool proto_eq(const struct proto_match *a, const struct proto_match *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case PROTO_ALL:
		return true;
	case PROTO_TCP:
	case PROTO_UDP:
		return a->port_lo == b->port_lo && a->port_hi == b->port_hi;
	case PROTO_ICMP:
		return a->icmp_type == b->icmp_type &&
		       a->icmp_code == b->icmp_code;
	case PROTO_NUMBER:
		return a->number == b->number;
	}
	return false;
}

static bool sg_rule_eq(const struct sg_rule *a, const struct sg_rule *b)
{
	if (a->dir != b->dir || a->peer_kind != b->peer_kind ||
	    !proto_eq(&a->proto, &b->proto))
		return false;
	if (a->peer_kind == SG_PEER_SG)
		return a->peer_sg == b->peer_sg;
	return cidr_eq(a->cidr, b->cidr);
}

/* InvalidPermission.Duplicate, in the shape AWS prints. */
static void report_dup_rule(const struct sg *g, const struct sg_rule *r,
			    struct diags *d)
{
	char text[160];

	sg_rule_text(r, text, sizeof(text));
	diag_error(d, pick(r->peer_at, r->at), "InvalidPermission.Duplicate",
		   "the specified rule \"%s\" already exists in %s", text,
		   g->r.name);
}

/* a rule naming a group of another VPC. */
static void check_sg_ref(struct lab *lab, const struct sg *g,
			 const struct sg_rule *r, struct diags *d)
{
	const struct sg *ref = r->peer_sg;
	const struct peering *p;
	struct place at = pick(r->peer_at, r->at);

	if (!ref || !g->vpc || !ref->vpc || ref->vpc == g->vpc)
		return;
	if (!str_eq(ref->vpc->region, g->vpc->region)) {
		diag_error(d, at, "InvalidGroup.NotFound",
			   "You cannot reference security group '%s' (%s) of %s across regions (%s, %s); use the peer VPC's CIDR instead",
			   ref->r.name, ref->r.id, ref->vpc->r.name,
			   ref->vpc->region, g->vpc->region);
		return;
	}
	p = peering_between(lab, g->vpc, ref->vpc);
	if (!p)
		diag_error(d, at, "InvalidGroup.NotFound",
			   "The security group '%s' (%s) does not exist in VPC '%s' (%s), and %s is not peered with it",
			   ref->r.name, ref->r.id, g->vpc->r.name,
			   g->vpc->r.id, ref->vpc->r.name);
	else if (p->status != PEERING_ACTIVE)
		diag_warning(d, at, "Vpcemu.StaleReference",
			     "Security group %s is referenced across peering %s, which is %s: the rule will not match until the peering is active",
			     ref->r.name, p->r.name,
			     peering_status_name(p->status));
}

static void check_sgs(struct lab *lab, struct diags *d)
{
	size_t i, j, k;

	for (i = 0; i < lab->nsgs; i++) {
		struct sg *g = lab->sgs[i];
		size_t count[2] = { 0, 0 };

		for (j = 0; j < g->nrules; j++) {
			struct sg_rule *r = &g->rules[j];
			unsigned dir = r->dir == DIR_EGRESS;

			/* 60 rules per direction. */
			if (++count[dir] == SG_RULES_PER_DIR_MAX + 1)
				diag_error(d, r->at,
					   "RulesPerSecurityGroupLimitExceeded",
					   "The maximum number of rules per security group has been reached. (%d %s rules in %s)",
					   SG_RULES_PER_DIR_MAX,
					   dir ? "egress" : "ingress", g->r.name);

			/* an exact duplicate of an earlier rule. */
			for (k = 0; k < j; k++)
				if (sg_rule_eq(&g->rules[k], r)) {
					report_dup_rule(g, r, d);
					break;
				}

			if (r->peer_kind == SG_PEER_SG)
				check_sg_ref(lab, g, r, d);
		}
	}
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
			      pick(in->sgs_at, in->r.at), d);
	}
	for (i = 0; i < lab->nendpoints; i++) {
		struct endpoint *e = lab->endpoints[i];

		if (e->type != ENDPOINT_INTERFACE)
			continue;
		check_eni_sgs(e->sgs, e->nsgs, e->vpc, e->r.name,
			      e->nenis ? e->enis[0]->r.id : "?", e->r.at, d);
	}
}

/* ---- Network ACLs (§5) ------------------------------------------------- */

static size_t nacl_quota_rank(const struct lab *lab, size_t i)
{
	const struct nacl *n = lab->nacls[i];
	size_t j, rank = 0;

	if (n->r.implicit)
		return SIZE_MAX;
	for (j = 0; j < lab->nnacls; j++) {
		const struct nacl *o = lab->nacls[j];

		if (o->vpc == n->vpc && (j < i || o->r.implicit))
			rank++;
	}
	return rank;
}

static void check_nacls(struct lab *lab, struct diags *d)
{
	size_t i, j, k, l;

	for (i = 0; i < lab->nnacls; i++) {
		struct nacl *n = lab->nacls[i];
		if (!n->vpc)
			continue;
		/* 200 network ACLs per VPC, the default included. */
		if (nacl_quota_rank(lab, i) == NACLS_PER_VPC_MAX)
			diag_error(d, n->r.at, "NetworkAclLimitExceeded",
				   "The maximum number of network ACLs has been reached. (%d per VPC, the default one included; %s is one too many in %s)",
				   NACLS_PER_VPC_MAX, n->r.name, n->vpc->r.name);

		/* Entries are sorted by number, so "earlier" means earlier
		 * in the file: compare places. */
		for (j = 0; j < n->nentries; j++) {
			struct nacl_entry *e = &n->entries[j];
			struct place at = pick(e->number_at, e->at);
			size_t before = 0;
			bool dup = false;

			for (k = 0; k < n->nentries; k++) {
				struct nacl_entry *o = &n->entries[k];

				if (k == j || o->dir != e->dir ||
				    !place_before(pick(o->number_at, o->at), at))
					continue;
				before++;
				if (o->number == e->number)
					dup = true;
			}
			/* a number once per direction. */
			if (dup)
				diag_error(d, at, "NetworkAclEntryAlreadyExists",
					   "The network acl entry identified by %u already exists.",
					   e->number);
			/* 20 rules per direction, '*' included. */
			if (before == NACL_ENTRIES_PER_DIR_MAX)
				diag_error(d, at, "NetworkAclEntryLimitExceeded",
					   "The maximum number of network acl entries has been reached. (%d %s entries in %s, plus the final '*')",
					   NACL_ENTRIES_PER_DIR_MAX,
					   e->dir == DIR_EGRESS ? "egress" :
					   "ingress", n->r.name);
		}

		for (k = 0; k < n->nassoc; k++) {
			struct subnet *s = n->assoc[k];
			struct place at = pick(n->assoc_at ? n->assoc_at[k] :
						(struct place){ 0 }, n->r.at);
			bool dup = false;

			if (!s)
				continue;
			/* an ACL serves subnets of its own VPC. */
			if (s->vpc != n->vpc)
				diag_error(d, at, "InvalidParameterValue",
					   "Network ACL %s (%s) and subnet %s (%s) belong to different networks",
					   n->r.name, n->r.id, s->r.name, s->r.id);
			/* one ACL per subnet (vpcemu: a second
			 * association is ambiguous in a file). */
			for (j = 0; j <= i && !dup; j++) {
				struct nacl *o = lab->nacls[j];
				size_t end = j == i ? k : o->nassoc;

				for (l = 0; l < end && !dup; l++) {
					if (o->assoc[l] != s)
						continue;
					diag_error(d, at, "Resource.AlreadyAssociated",
						   "Subnet %s (%s) is already associated with network ACL %s (%s); it cannot also be associated with %s (%s)",
						   s->r.name, s->r.id, o->r.name,
						   o->r.id, n->r.name, n->r.id);
					dup = true;
				}
			}
		}
	}
}

/* ---- Endpoints (§10) --------------------------------------------------- */

/* The region part of "com.amazonaws.REGION.NAME" or
 * "com.amazonaws.vpce.REGION.vpce-svc-…": its start and length, and the
 * service name after it. Returns false for other shapes. */
static bool service_split(const char *svc, const char **region,
			  size_t *len, const char **name)
{
	static const char pfx[] = "com.amazonaws.";
	const char *p, *dot;

	if (!svc || strncmp(svc, pfx, sizeof(pfx) - 1) != 0)
		return false;
	p = svc + sizeof(pfx) - 1;
	if (strncmp(p, "vpce.", 5) == 0)
		p += 5;
	dot = strchr(p, '.');
	if (!dot)
		return false;
	*region = p;
	*len = (size_t)(dot - p);
	*name = dot + 1;
	return true;
}

static void check_endpoints(struct lab *lab, struct diags *d)
{
	size_t i, j, k;

	for (i = 0; i < lab->nendpoints; i++) {
		struct endpoint *e = lab->endpoints[i];
		struct vpc *v = e->vpc;
		const char *region = NULL, *name = e->service_short;
		size_t rlen = 0;
		bool split;

		if (!v)
			continue;
		split = service_split(e->service, &region, &rlen, &name);
		if (!name)
			name = "";
		/* AWS service names are regional
		 * (com.amazonaws.REGION.ssm); an endpoint reaches only its own
		 * region's services. */
		if (split && region_valid(v->region) &&
		    (strlen(v->region) != rlen ||
		     strncmp(v->region, region, rlen) != 0))
			diag_error(d, pick(e->service_at, e->r.at),
				   "InvalidServiceName",
				   "The Vpc Endpoint Service '%s' does not exist in %s, the region of VPC %s",
				   e->service, v->region, v->r.name);

		if (e->type == ENDPOINT_GATEWAY) {
			/* gateway endpoints exist for S3 and
			 * DynamoDB only, have no subnets, and route through
			 * tables of their own VPC. */
			if (strcmp(name, "s3") != 0 &&
			    strcmp(name, "dynamodb") != 0)
				diag_error(d, pick(e->service_at, e->r.at),
					   "InvalidParameterValue",
					   "The service '%s' does not support gateway endpoints (only s3 and dynamodb do)",
					   e->service);
			if (e->nsubnets)
				diag_error(d, pick(e->subnets_at ?
						   e->subnets_at[0] :
						   (struct place){ 0 }, e->r.at),
					   "InvalidParameterValue",
					   "Endpoint %s is a gateway endpoint: subnets apply to interface endpoints only",
					   e->r.name);
			for (k = 0; k < e->nroute_tables; k++) {
				struct route_table *t = e->route_tables[k];

				if (t && t->vpc != v)
					diag_error(d, e->r.at,
						   "InvalidParameterValue",
						   "Route table %s (%s) is not in VPC %s (%s) of endpoint %s",
						   t->r.name, t->r.id, v->r.name,
						   v->r.id, e->r.name);
			}
			continue;
		}

		/* route tables belong to gateway endpoints. */
		if (e->nroute_tables)
			diag_error(d, e->r.at, "InvalidParameterValue",
				   "Endpoint %s is an interface endpoint: route-tables apply to gateway endpoints only",
				   e->r.name);
		/* an interface endpoint is its ENIs; with no subnet it
		 * would have none (vpcemu: AWS's code for this is unknown). */
		if (!e->nsubnets)
			diag_error(d, e->r.at, "MissingParameter",
				   "Interface endpoint %s needs at least one subnet (subnets SUBNET...)",
				   e->r.name);
		for (k = 0; k < e->nsubnets; k++) {
			struct subnet *s = e->subnets[k];
			struct place at = pick(e->subnets_at ? e->subnets_at[k] :
						(struct place){ 0 }, e->r.at);

			if (!s)
				continue;
			/* subnets of the endpoint's VPC. */
			if (s->vpc != v)
				diag_error(d, at, "InvalidParameterValue",
					   "Endpoint %s (%s) and subnet %s (%s) belong to different networks",
					   e->r.name, e->r.id, s->r.name,
					   s->r.id);
			/* one subnet per AZ. */
			for (j = 0; j < k; j++) {
				if (!e->subnets[j] ||
				    !str_eq(e->subnets[j]->az, s->az))
					continue;
				diag_error(d, at, "DuplicateSubnetsInSameZone",
					   "Found another VPC endpoint subnet in the availability zone of %s (%s: %s is there too). VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.",
					   s->r.id, s->az ? s->az : "?",
					   e->subnets[j]->r.name);
				break;
			}
		}
		/* private DNS needs both DNS attributes. */
		if (e->private_dns && !(v->dns_support && v->dns_hostnames))
			diag_error(d, pick(e->private_dns_at, e->r.at),
				   "InvalidParameter",
				   "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for %s",
				   v->r.id);
	}
}

void check_lab(struct lab *lab, struct diags *d)
{
	if (!lab || !d)
		return;
	check_vpcs(lab, d);
	check_subnets(lab, d);
	check_addresses(lab, d);
	/* Before anything that depends on a peering's status. */
	check_peerings(lab, d);
	check_route_tables(lab, d);
	check_sgs(lab, d);
	check_enis(lab, d);
	check_nacls(lab, d);
	check_endpoints(lab, d);
}
