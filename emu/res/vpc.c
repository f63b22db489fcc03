/* res/vpc.c - the VPC: its blocks, DNS attributes, region and owner.
 *
 * A VPC is its router namespace in the kernel (plan.c); here it is parsed,
 * checked against AWS's rules on VPC blocks (§1), printed and described.
 * The implicit main route table, default network ACL and default group of
 * every VPC are made by model.c's generic pass.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/describe.h"
#include "vpcemu/restype.h"

#define VPC_PREFIX_MIN 16 /* */
#define VPC_PREFIX_MAX 28
#define VPC_CIDRS_MAX 5	      /* primary included */
#define VPCS_PER_REGION_MAX 5 /* */

/* ---- lab file -------------------------------------------------------- */

static void vpc_parse(struct build *b, struct res *res,
		      const struct conf_block *blk)
{
	struct vpc *v = (struct vpc *)res;
	static const struct attr attrs[] = {
	    {"cidr", A_REQ | A_REP}, {"dns-support", 0}, {"dns-hostnames", 0},
	    {"region", 0},	     {"account", 0},
	};
	enum { V_CIDR, V_DNS_SUPPORT, V_DNS_HOSTNAMES, V_REGION, V_ACCOUNT };
	const struct conf_stmt *seen[ARRAY_SIZE(attrs)] = { 0 };
	size_t i, ncap = 0;

	v->dns_support = true;
	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];
		struct cidr c;

		switch (model_attr_find(b, "vpc", attrs, ARRAY_SIZE(attrs),
					seen, st)) {
		case V_CIDR:
			if (!model_want(b, st, 1, 1) ||
			    !model_get_cidr(b, &st->w[1], &c))
				break;
			if (v->ncidrs == ncap) {
				size_t nc = ncap ? ncap * 2 : 4;
				struct cidr *a =
				    reallocarray(v->cidrs, nc, sizeof(*a));
				struct place *p;

				if (a)
					v->cidrs = a;
				p = a ? reallocarray(v->cidrs_at, nc,
						     sizeof(*p))
				      : NULL;
				if (!p) {
					b->oom = true;
					break;
				}
				v->cidrs_at = p;
				ncap = nc;
			}
			v->cidrs[v->ncidrs] = c;
			v->cidrs_at[v->ncidrs++] = st->w[1].at;
			break;
		case V_DNS_SUPPORT:
			if (model_want(b, st, 1, 1))
				model_get_bool(b, &st->w[1], &v->dns_support);
			break;
		case V_DNS_HOSTNAMES:
			if (model_want(b, st, 1, 1))
				model_get_bool(b, &st->w[1], &v->dns_hostnames);
			break;
		case V_REGION:
			if (model_want(b, st, 1, 1))
				model_get_region(b, &st->w[1], &v->region);
			break;
		case V_ACCOUNT:
			if (model_want(b, st, 1, 1))
				model_get_account(b, &st->w[1], &v->account);
			break;
		}
	}
	model_attrs_required(b, &v->r, attrs, ARRAY_SIZE(attrs), seen);
	if (!v->region)
		v->region = model_strdup(b, b->lab->region);
	if (!v->account)
		v->account = model_strdup(b, b->lab->account);
}

/* ---- rules ----------------------------------------------------------- */

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

static void check_vpc_cidrs(struct vpc *v, struct diags *d)
{
	char buf[CIDR_BUF], obuf[CIDR_BUF];
	size_t i, j;

	for (i = 0; i < v->ncidrs; i++) {
		struct cidr c = v->cidrs[i];
		struct place at = check_pick(
		    v->cidrs_at ? v->cidrs_at[i] : (struct place){ 0 }, v->r.at);
		const char *special;

		cidr_fmt(c, buf);
		/* 5 blocks per VPC, the primary included. */
		if (i == VPC_CIDRS_MAX)
			diag_error(
			    d, at, "CidrLimitExceeded",
			    "This network '%s' has met its maximum number of allowed CIDRs: %d",
			    v->r.id, VPC_CIDRS_MAX);

		/* every block is /16 to /28. */
		if (c.len < VPC_PREFIX_MIN || c.len > VPC_PREFIX_MAX) {
			diag_error(d, at, "InvalidVpc.Range",
				   "The CIDR '%s' is invalid.", buf);
			continue;
		}
		/* link-local and other special ranges. */
		special = cidr_special(c);
		if (special)
			diag_error(
			    d, at, "InvalidVpc.Range",
			    "The CIDR '%s' is restricted. %s cannot be used by a VPC.",
			    buf, special);
		if (special || i == 0)
			continue;
		/* a new block must not overlap one already there. */
		for (j = 0; j < i; j++) {
			if (!cidr_overlap(v->cidrs[j], c))
				continue;
			diag_error(
			    d, at, "InvalidVpc.Range",
			    "The CIDR '%s' conflicts with the VPC's CIDR block '%s'.",
			    buf, cidr_fmt(v->cidrs[j], obuf));
			break;
		}
		/* secondary ranges restricted by the primary's. */
		if (j == i && vpc_cidr_restricted(v, i))
			diag_error(
			    d, at, "InvalidVpc.Range",
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
			diag_error(
			    d, v->r.at, "VpcLimitExceeded",
			    "The maximum number of VPCs has been reached. (%d per region and account; %s is one too many in %s)",
			    VPCS_PER_REGION_MAX, v->r.name,
			    v->region ? v->region : "?");

		/* a region name AWS could have. */
		if (!check_region_valid(v->region))
			diag_error(
			    d, v->r.at, "InvalidParameterValue",
			    "Value (%s) for parameter region is invalid. A region looks like 'us-east-1' or 'ap-northeast-1'.",
			    v->region ? v->region : "");

		/* host names need the resolver. */
		if (v->dns_hostnames && !v->dns_support)
			diag_error(
			    d, v->r.at, "InvalidParameterValue",
			    "VPC %s: dns-hostnames yes requires dns-support yes (enableDnsHostnames needs enableDnsSupport).",
			    v->r.name);

		check_vpc_cidrs(v, d);
	}
}

/* ---- printed back ---------------------------------------------------- */

static void vpc_print(struct printer *p, const struct res *res)
{
	const struct vpc *v = (const struct vpc *)res;
	const struct lab *lab = p->lab;
	size_t i;

	print_check_vpc_implicit(p, v);
	if (!print_res_ok(p, &v->r))
		return;
	if (!v->ncidrs) {
		print_fail(p, -EINVAL, &v->r);
		return;
	}
	print_block_open(p, &v->r);
	for (i = 0; i < v->ncidrs; i++) {
		sb_puts(&p->sb, "\tcidr");
		print_cidr(p, v->cidrs[i]);
		sb_puts(&p->sb, "\n");
	}
	if (!v->dns_support)
		sb_puts(&p->sb, "\tdns-support no\n");
	if (v->dns_hostnames)
		sb_puts(&p->sb, "\tdns-hostnames yes\n");
	if (!str_eq(v->region, lab->region)) {
		sb_puts(&p->sb, "\tregion");
		print_str(p, v->region, false, &v->r);
		sb_puts(&p->sb, "\n");
	}
	if (!str_eq(v->account, lab->account)) {
		sb_puts(&p->sb, "\taccount");
		print_str(p, v->account, false, &v->r);
		sb_puts(&p->sb, "\n");
	}
	print_block_close(p);
}

/* ---- EC2 API --------------------------------------------------------- */

static json_t *vpc_json(struct jb *b, const struct lab *lab,
			const struct vpc *v)
{
	json_t *o = jb_obj(b), *set;
	char id[MODEL_ID_MAX], key[64];
	size_t i;

	jb_put_cidr(b, o, "CidrBlock", v->cidrs[0]);
	set = jb_put(b, o, "CidrBlockAssociationSet", jb_arr(b));
	for (i = 0; i < v->ncidrs; i++) {
		json_t *x = jb_add(b, set, jb_obj(b));

		snprintf(key, sizeof(key), "%s/%zu", v->r.id, i);
		model_make_id(id, "vpc-cidr-assoc-", lab->name, "cidr", key);
		jb_put_s(b, x, "AssociationId", id);
		jb_put_cidr(b, x, "CidrBlock", v->cidrs[i]);
		jb_put(b, x, "CidrBlockState",
		       json_pack("{s:s}", "State", "associated"));
	}
	jb_put_s(b, o, "DhcpOptionsId", "default");
	jb_put_s(b, o, "InstanceTenancy", "default");
	jb_put_b(b, o, "IsDefault", false);
	jb_put_s(b, o, "OwnerId", describe_owner(lab, v));
	jb_put_s(b, o, "State", "available");
	jb_put_tags(b, o, &v->r);
	jb_put_s(b, o, "VpcId", v->r.id);
	return o;
}

static void vpc_table(struct strbuf *sb, const json_t *o)
{
	sb_printf(sb, "  %-24s %-22s %-18s %s\n", describe_tag_name(o),
		  describe_jstr(o, "VpcId"), describe_jstr(o, "CidrBlock"),
		  describe_jstr(o, "State"));
}

static void vpc_details(struct strbuf *sb, const struct lab *lab,
			const struct res *r)
{
	const struct vpc *v = (const struct vpc *)r;

	res_cidr_list(sb, v->cidrs, v->ncidrs);
	sb_printf(sb, " %s dns-support=%s dns-hostnames=%s", v->region,
		  v->dns_support ? "yes" : "no",
		  v->dns_hostnames ? "yes" : "no");
}

static void vpc_describe(struct jb *b, json_t *a, const struct lab *lab,
			 const struct ec2_state *st, time_t now,
			 const struct res *r)
{
	jb_add(b, a, vpc_json(b, lab, (const struct vpc *)r));
}

static void vpc_free(struct res *r)
{
	struct vpc *v = (struct vpc *)r;

	free(v->cidrs);
	free(v->cidrs_at);
	free(v->region);
	free(v->account);
}

const struct res_type res_type_vpc = {
	.keyword = "vpc",
	.id_prefix = "vpc-",
	.noun = "vpc",
	.notfound = "InvalidVpcID.NotFound",
	.size = sizeof(struct vpc),
	.describe_what = "vpcs",
	.describe_key = "Vpcs",
	.parse = vpc_parse,
	.check = check_vpcs,
	.print = vpc_print,
	.describe = vpc_describe,
	.table = vpc_table,
	.details = vpc_details,
	.free = vpc_free,
};
