/* res/subnet.c - the subnet: a block of its VPC in one availability zone.
 *
 * Only an address plan in the kernel (plan.c): the router answers for every
 * address of it. Rules of §2 on its block and zone; the addresses of the
 * ENIs inside it are check.c's (they span instances and endpoints).
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

#define SUBNETS_PER_VPC_MAX 200 /* */
#define SUBNET_PREFIX_MIN 16	/* */
#define SUBNET_PREFIX_MAX 28

/* ---- lab file -------------------------------------------------------- */

static void subnet_parse(struct build *b, struct res *res,
			 const struct conf_block *blk)
{
	struct subnet *s = (struct subnet *)res;
	static const struct attr attrs[] = {
	    {"vpc", A_REQ},
	    {"cidr", A_REQ},
	    {"az", 0},
	    {"public-ip-on-launch", 0},
	};
	enum { S_VPC, S_CIDR, S_AZ, S_PUBLIC };
	const struct conf_stmt *seen[ARRAY_SIZE(attrs)] = { 0 };
	size_t i;

	s->cidr_at = s->az_at = s->r.at;
	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];

		switch (model_attr_find(b, "subnet", attrs, ARRAY_SIZE(attrs),
					seen, st)) {
		case S_VPC:
			if (model_want(b, st, 1, 1))
				s->vpc = (struct vpc *)model_resolve(b, RES_VPC,
								     &st->w[1]);
			break;
		case S_CIDR:
			if (model_want(b, st, 1, 1) &&
			    model_get_cidr(b, &st->w[1], &s->cidr))
				s->cidr_at = st->w[1].at;
			break;
		case S_AZ:
			if (model_want(b, st, 1, 1) &&
			    model_get_str(b, &st->w[1], &s->az))
				s->az_at = st->w[1].at;
			break;
		case S_PUBLIC:
			if (model_want(b, st, 1, 1))
				model_get_bool(b, &st->w[1],
					       &s->public_ip_on_launch);
			break;
		}
	}
	model_attrs_required(b, &s->r, attrs, ARRAY_SIZE(attrs), seen);
	if (!s->az)
		s->az = model_printf(b, "%sa",
				     s->vpc ? s->vpc->region : b->lab->region);
}

/* ---- rules ----------------------------------------------------------- */

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
		struct place at = check_pick(s->cidr_at, s->r.at);
		size_t siblings = 0;

		if (!s->vpc)
			continue;
		cidr_fmt(s->cidr, buf);
		/* R-2.1: /16 to /28, inside one of the VPC's blocks. */
		if (s->cidr.len < SUBNET_PREFIX_MIN ||
		    s->cidr.len > SUBNET_PREFIX_MAX || !subnet_in_vpc(s))
			diag_error(d, at, "InvalidSubnet.Range",
				   "The CIDR '%s' is invalid.", buf);

		/* no overlap with an earlier sibling. */
		for (j = 0; j < i; j++) {
			struct subnet *o = lab->subnets[j];

			if (o->vpc == s->vpc &&
			    cidr_overlap(o->cidr, s->cidr)) {
				diag_error(
				    d, at, "InvalidSubnet.Conflict",
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
			diag_error(
			    d, s->r.at, "SubnetLimitExceeded",
			    "The maximum number of subnets has been reached. (%d per VPC; %s is one too many in %s)",
			    SUBNETS_PER_VPC_MAX, s->r.name, s->vpc->r.name);

		/* R-2.3: region + letter; a bad region is reported once, on
		 * the VPC, and makes every AZ moot. */
		if (check_region_valid(s->vpc->region) &&
		    !check_az_valid(s->az, s->vpc->region)) {
			const char *r = s->vpc->region;

			diag_error(
			    d, check_pick(s->az_at, s->r.at),
			    "InvalidParameterValue",
			    "Value (%s) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: %sa, %sb, %sc, %sd, %se, %sf.",
			    s->az ? s->az : "", r, r, r, r, r, r);
		}
	}
}

/* ---- printed back ---------------------------------------------------- */

static void subnet_print(struct printer *p, const struct res *res)
{
	const struct subnet *s = (const struct subnet *)res;
	char *az;

	if (!print_res_ok(p, &s->r))
		return;
	if (!s->vpc) {
		print_fail(p, -EINVAL, &s->r);
		return;
	}
	print_block_open(p, &s->r);
	sb_printf(&p->sb, "\tvpc %s\n\tcidr", s->vpc->r.name);
	print_cidr(p, s->cidr);
	sb_puts(&p->sb, "\n");
	az = str_printf("%sa", s->vpc->region ? s->vpc->region : "");
	if (!az) {
		print_fail(p, -ENOMEM, NULL);
		return;
	}
	if (!str_eq(s->az, az)) {
		sb_puts(&p->sb, "\taz");
		print_str(p, s->az, false, &s->r);
		sb_puts(&p->sb, "\n");
	}
	free(az);
	if (s->public_ip_on_launch)
		sb_puts(&p->sb, "\tpublic-ip-on-launch yes\n");
	print_block_close(p);
}

/* ---- EC2 API --------------------------------------------------------- */

static json_t *subnet_json(struct jb *b, const struct lab *lab,
			   const struct subnet *s)
{
	json_t *o = jb_obj(b);
	long long avail = (1LL << (32 - s->cidr.len)) - 5;
	char arn[160];
	size_t i;

	for (i = 0; i < lab->nenis; i++)
		if (lab->enis[i]->subnet == s)
			avail--;
	snprintf(arn, sizeof(arn), "arn:aws:ec2:%s:%s:subnet/%s",
		 s->vpc->region, describe_owner(lab, s->vpc), s->r.id);
	jb_put_s(b, o, "AvailabilityZone", s->az);
	jb_put_i(b, o, "AvailableIpAddressCount", avail < 0 ? 0 : avail);
	jb_put_cidr(b, o, "CidrBlock", s->cidr);
	jb_put_b(b, o, "DefaultForAz", false);
	jb_put_b(b, o, "MapPublicIpOnLaunch", s->public_ip_on_launch);
	jb_put_s(b, o, "OwnerId", describe_owner(lab, s->vpc));
	jb_put_s(b, o, "State", "available");
	jb_put_s(b, o, "SubnetArn", arn);
	jb_put_s(b, o, "SubnetId", s->r.id);
	jb_put_tags(b, o, &s->r);
	jb_put_s(b, o, "VpcId", s->vpc->r.id);
	return o;
}

static void subnet_table(struct strbuf *sb, const json_t *o)
{
	sb_printf(sb, "  %-24s %-25s %-18s %-16s %s\n", describe_tag_name(o),
		  describe_jstr(o, "SubnetId"), describe_jstr(o, "CidrBlock"),
		  describe_jstr(o, "AvailabilityZone"),
		  describe_jstr(o, "VpcId"));
}

static void subnet_details(struct strbuf *sb, const struct lab *lab,
			   const struct res *r)
{
	const struct subnet *s = (const struct subnet *)r;
	char ip[CIDR_BUF];

	sb_printf(sb, "%s %s vpc=%s route-table=%s acl=%s",
		  cidr_fmt(s->cidr, ip), s->az, s->vpc->r.name, s->rt->r.name,
		  s->nacl->r.name);
}

static void subnet_describe(struct jb *b, json_t *a, const struct lab *lab,
			    const struct ec2_state *st, time_t now,
			    const struct res *r)
{
	jb_add(b, a, subnet_json(b, lab, (const struct subnet *)r));
}

static void subnet_free(struct res *r)
{
	free(((struct subnet *)r)->az);
}

const struct res_type res_type_subnet = {
	.keyword = "subnet",
	.id_prefix = "subnet-",
	.noun = "subnet",
	.notfound = "InvalidSubnetID.NotFound",
	.size = sizeof(struct subnet),
	.describe_what = "subnets",
	.describe_key = "Subnets",
	.parse = subnet_parse,
	.check = check_subnets,
	.print = subnet_print,
	.describe = subnet_describe,
	.table = subnet_table,
	.details = subnet_details,
	.free = subnet_free,
};
