/* res/instance.c - the EC2 instance.
 *
 * A namespace with one ENI (plan.c). Here: the block with its defaults, a
 * route target (its ENI), printing and describing (as a reservation).
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

/* Defaults of docs/lab-conf.md. */
#define DEFAULT_AMI "al2023"
#define DEFAULT_INSTANCE_TYPE "t2.micro"

/* ---- lab file -------------------------------------------------------- */

/* Block attributes, indexed by the enum below. */
static const struct attr instance_attrs[] = {
	{"subnet", A_REQ},	      {"private-ip", 0},
	{"security-groups", 0},   {"iam-instance-profile", 0},
	{"public-ip", 0},	      {"ami", 0},
	{"instance-type", 0},     {"user-data", 0},
	{"user-data-file", 0},    {"metadata-tokens", 0},
	{"metadata-endpoint", 0}, {"metadata-hop-limit", 0},
	{"source-dest-check", 0},
};
enum {
	I_SUBNET,
	I_IP,
	I_SGS,
	I_ROLE,
	I_PUBLIC,
	I_AMI,
	I_TYPE,
	I_UDATA,
	I_UDATA_FILE,
	I_MD_TOKENS,
	I_MD_ENDPOINT,
	I_MD_HOPS,
	I_SRC_DST
};

/* One statement of the block; idx is its index in instance_attrs[] (or
 * negative when model_attr_find reported it). */
static void instance_attr(struct build *b, struct instance *in, int idx,
			  const struct conf_stmt *st, bool *public_given)
{
	bool check;

	switch (idx) {
	case I_SUBNET:
		if (!model_want(b, st, 1, 1))
			break;
		in->subnet = (struct subnet *)model_resolve(
		    b, RES_SUBNET, &st->w[1]);
		in->subnet_at = st->w[1].at;
		break;
	case I_IP:
		if (model_want(b, st, 1, 1) &&
		    model_get_ip(b, &st->w[1], &in->private_ip)) {
			in->private_ip_given = true;
			in->ip_at = st->w[1].at;
		}
		break;
	case I_SGS:
		in->sgs_at = st->w[0].at;
		model_parse_sg_list(b, st, &in->sgs, &in->nsgs);
		break;
	case I_ROLE:
		if (!model_want(b, st, 1, 1))
			break;
		in->role = (struct iam_role *)model_resolve(
		    b, RES_IAM_ROLE, &st->w[1]);
		in->role_at = st->w[1].at;
		break;
	case I_PUBLIC:
		if (model_want(b, st, 1, 1) &&
		    model_get_bool(b, &st->w[1], &in->public_ip))
			*public_given = true;
		break;
	case I_SRC_DST:
		if (model_want(b, st, 1, 1) &&
		    model_get_bool(b, &st->w[1], &check))
			in->no_source_dest_check = !check;
		break;
	case I_AMI:
		if (model_want(b, st, 1, 1))
			model_get_str(b, &st->w[1], &in->ami);
		break;
	case I_TYPE:
		if (model_want(b, st, 1, 1))
			model_get_str(b, &st->w[1], &in->instance_type);
		break;
	case I_UDATA:
	case I_UDATA_FILE:
		/* After the block: the two exclude each other. */
		break;
	case I_MD_TOKENS:
		if (model_want(b, st, 1, 1))
			model_get_choice(
			    b, &st->w[1], "metadata-tokens", "optional",
			    "required", &in->metadata_tokens_required);
		break;
	case I_MD_ENDPOINT:
		if (model_want(b, st, 1, 1))
			model_get_choice(b, &st->w[1],
					 "metadata-endpoint", "enabled",
					 "disabled",
					 &in->metadata_disabled);
		break;
	case I_MD_HOPS:
		if (model_want(b, st, 1, 1))
			model_get_hop_limit(b, &st->w[1],
					    &in->metadata_hop_limit);
		break;
	}
}

static void instance_parse(struct build *b, struct res *res,
			   const struct conf_block *blk)
{
	struct instance *in = (struct instance *)res;
	const struct conf_stmt *seen[ARRAY_SIZE(instance_attrs)] = { 0 };
	bool public_given = false;
	size_t i;

	/* AL2023, vpcemu's default AMI, launches with IMDSv2 required. */
	in->metadata_tokens_required = true;
	in->metadata_hop_limit = 1;
	in->subnet_at = in->ip_at = in->sgs_at = in->role_at = in->r.at;
	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];
		int idx = model_attr_find(b, "instance", instance_attrs,
					  ARRAY_SIZE(instance_attrs), seen, st);

		instance_attr(b, in, idx, st, &public_given);
	}
	model_attrs_required(b, &in->r, instance_attrs,
			     ARRAY_SIZE(instance_attrs), seen);
	model_parse_user_data(b, seen[I_UDATA], seen[I_UDATA_FILE], &in->ud);
	if (!public_given && in->subnet)
		in->public_ip = in->subnet->public_ip_on_launch;
	if (!in->ami)
		in->ami = model_strdup(b, "al2023");
	if (!in->instance_type)
		in->instance_type = model_strdup(b, "t2.micro");
	/* no group given means the VPC's default group. */
	model_set_default_sg(b, in->subnet ? in->subnet->vpc : NULL, &in->sgs,
			     &in->nsgs);
}

/* ---- printed back ---------------------------------------------------- */

static void instance_print(struct printer *p, const struct res *res)
{
	const struct instance *in = (const struct instance *)res;
	const struct subnet *s = in->subnet;
	char ip[16];

	if (!print_res_ok(p, &in->r))
		return;
	if (!s || !s->vpc) {
		print_fail(p, -EINVAL, &in->r);
		return;
	}
	/* No group would come back as the VPC's default group. */
	if (!in->nsgs) {
		print_fail(p, -ENOTSUP, &in->r);
		return;
	}
	print_block_open(p, &in->r);
	sb_printf(&p->sb, "\tsubnet %s\n", s->r.name);
	/* Always: a reparse must not assign addresses again. */
	sb_printf(&p->sb, "\tprivate-ip %s\n", ip_fmt(in->private_ip, ip));
	if (!print_sgs_default(s->vpc, in->sgs, in->nsgs))
		print_sg_list(p, in->sgs, in->nsgs, &in->r);
	if (in->role) {
		sb_puts(&p->sb, "\tiam-instance-profile");
		print_ref(p, &in->role->r, &in->r);
		sb_puts(&p->sb, "\n");
	}
	if (in->public_ip != s->public_ip_on_launch)
		sb_printf(&p->sb, "\tpublic-ip %s\n",
			  in->public_ip ? "yes" : "no");
	if (!str_eq(in->ami, DEFAULT_AMI)) {
		sb_puts(&p->sb, "\tami");
		print_str(p, in->ami, false, &in->r);
		sb_puts(&p->sb, "\n");
	}
	if (!str_eq(in->instance_type, DEFAULT_INSTANCE_TYPE)) {
		sb_puts(&p->sb, "\tinstance-type");
		print_str(p, in->instance_type, false, &in->r);
		sb_puts(&p->sb, "\n");
	}
	print_user_data(p, &in->ud, &in->r);
	if (!in->metadata_tokens_required)
		sb_puts(&p->sb, "\tmetadata-tokens optional\n");
	if (in->metadata_disabled)
		sb_puts(&p->sb, "\tmetadata-endpoint disabled\n");
	if (in->metadata_hop_limit != 1)
		sb_printf(&p->sb, "\tmetadata-hop-limit %u\n",
			  in->metadata_hop_limit);
	if (in->no_source_dest_check)
		sb_puts(&p->sb, "\tsource-dest-check no\n");
	print_block_close(p);
}

/* ---- EC2 API --------------------------------------------------------- */

static json_t *groups_json(struct jb *b, struct sg *const *sgs, size_t n)
{
	json_t *a = jb_arr(b), *x;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!sgs[i])
			continue;
		x = jb_add(b, a, jb_obj(b));
		jb_put_s(b, x, "GroupName", sg_group_name(sgs[i]));
		jb_put_s(b, x, "GroupId", sgs[i]->r.id);
	}
	return a;
}

json_t *instance_json(struct jb *b, const struct lab *lab,
		      const struct instance *in)
{
	const struct subnet *s = in->subnet;
	const struct vpc *v = s ? s->vpc : NULL;
	json_t *o = jb_obj(b), *nis, *ni, *x;
	char ip[16], dns[96], arn[160], pub[IP_BUF];
	size_t i;

	ip_fmt(in->private_ip, ip);
	for (i = 0; ip[i]; i++)
		if (ip[i] == '.')
			ip[i] = '-';
	if (v && v->region && !strcmp(v->region, "us-east-1"))
		snprintf(dns, sizeof(dns), "ip-%s.ec2.internal", ip);
	else
		snprintf(dns, sizeof(dns), "ip-%s.%s.compute.internal", ip,
			 v && v->region ? v->region : lab->region);
	ip_fmt(in->private_ip, ip);

	jb_put_i(b, o, "AmiLaunchIndex", 0);
	jb_put_s(b, o, "ImageId", in->ami ? in->ami : "al2023");
	jb_put_s(b, o, "InstanceId", in->r.id);
	jb_put_s(b, o, "InstanceType",
		 in->instance_type ? in->instance_type : "t2.micro");
	x = jb_put(b, o, "Placement", jb_obj(b));
	jb_put_s(b, x, "AvailabilityZone", s ? s->az : "");
	jb_put_s(b, x, "Tenancy", "default");
	jb_put_s(b, o, "PrivateDnsName", dns);
	jb_put_s(b, o, "PrivateIpAddress", ip);
	jb_put_b(b, o, "SourceDestCheck", !in->no_source_dest_check);
	/* Its own or its Elastic IP: what the internet sees. */
	if (in->public_ipv4)
		jb_put_s(b, o, "PublicIpAddress", ip_fmt(in->public_ipv4, pub));
	x = jb_put(b, o, "State", jb_obj(b));
	jb_put_i(b, x, "Code", 16);
	jb_put_s(b, x, "Name", "running");
	jb_put_s(b, o, "SubnetId", s ? s->r.id : "");
	jb_put_s(b, o, "VpcId", v ? v->r.id : "");
	if (in->role) {
		x = jb_put(b, o, "IamInstanceProfile", jb_obj(b));
		snprintf(arn, sizeof(arn),
			 "arn:aws:iam::%s:instance-profile/%s",
			 describe_owner(lab, v), in->role->r.name);
		jb_put_s(b, x, "Arn", arn);
		jb_put_s(b, x, "Id", in->role->r.id);
	}
	nis = jb_put(b, o, "NetworkInterfaces", jb_arr(b));
	ni = jb_add(b, nis, jb_obj(b));
	x = jb_put(b, ni, "Attachment", jb_obj(b));
	jb_put_i(b, x, "DeviceIndex", 0);
	jb_put_s(b, x, "Status", "attached");
	jb_put(b, ni, "Groups", groups_json(b, in->sgs, in->nsgs));
	jb_put_s(b, ni, "NetworkInterfaceId", in->eni ? in->eni->r.id : "");
	jb_put_s(b, ni, "OwnerId", describe_owner(lab, v));
	jb_put_s(b, ni, "PrivateDnsName", dns);
	jb_put_s(b, ni, "PrivateIpAddress", ip);
	x = jb_add(b, jb_put(b, ni, "PrivateIpAddresses", jb_arr(b)),
		   jb_obj(b));
	jb_put_b(b, x, "Primary", true);
	jb_put_s(b, x, "PrivateDnsName", dns);
	jb_put_s(b, x, "PrivateIpAddress", ip);
	jb_put_s(b, ni, "Status", "in-use");
	jb_put_s(b, ni, "SubnetId", s ? s->r.id : "");
	jb_put_s(b, ni, "VpcId", v ? v->r.id : "");
	jb_put(b, o, "SecurityGroups", groups_json(b, in->sgs, in->nsgs));
	jb_put_tags(b, o, &in->r);
	return o;
}

json_t *reservation_json(struct jb *b, const struct lab *lab,
			 const struct instance *in)
{
	json_t *o = jb_obj(b);
	char rid[MODEL_ID_MAX];

	model_make_id(rid, "r-", lab->name, "reservation", in->r.id);
	jb_put(b, o, "Groups", jb_arr(b));
	jb_add(b, jb_put(b, o, "Instances", jb_arr(b)),
	       instance_json(b, lab, in));
	jb_put_s(b, o, "OwnerId",
		 describe_owner(lab, in->subnet ? in->subnet->vpc : NULL));
	jb_put_s(b, o, "ReservationId", rid);
	return o;
}

static void instance_table(struct strbuf *sb, const json_t *o)
{
	const json_t *x;
	size_t j;

	json_array_foreach(json_object_get(o, "Instances"), j, x)
		sb_printf(sb, "  %-24s %-20s %-15s %-25s %s\n",
			  describe_tag_name(x), describe_jstr(x, "InstanceId"),
			  describe_jstr(x, "PrivateIpAddress"),
			  describe_jstr(x, "SubnetId"),
			  describe_jstr(json_object_get(x, "State"), "Name"));
}

static void instance_details(struct strbuf *sb, const struct lab *lab,
			     const struct res *r)
{
	const struct instance *in = (const struct instance *)r;
	char ip[CIDR_BUF];

	sb_printf(sb, "%s subnet=%s eni=%s sg=", ip_fmt(in->private_ip, ip),
		  in->subnet->r.name, in->eni->r.id);
	res_sg_list(sb, in->sgs, in->nsgs);
	if (in->role)
		sb_printf(sb, " role=%s", in->role->r.name);
}

static void instance_describe(struct jb *b, json_t *a, const struct lab *lab,
			      const struct ec2_state *st, time_t now,
			      const struct res *r)
{
	jb_add(b, a, reservation_json(b, lab, (const struct instance *)r));
}

/* An instance as a route target: its primary ENI. */
static void instance_route_check(const struct route_table *t,
				 const struct route *r, struct place at,
				 struct diags *d)
{
	const struct instance *in = (const struct instance *)r->target;

	/* the instance's ENI must be in the table's VPC. */
	if (in->subnet && in->subnet->vpc != t->vpc)
		diag_error(
		    d, at, "InvalidParameterValue",
		    "Route table %s (%s) and instance %s (%s) belong to different networks",
		    t->r.name, t->r.id, in->r.name, in->r.id);
}

static const char *instance_route_dev(const struct route_table *t,
				      const struct res *target)
{
	return ((const struct instance *)target)->eni->ifname;
}

/* Its own address: an instance answers ARP for nothing else, so the
 * router hands it what it routes through it, as the VPC delivers a
 * middlebox route's packets to the ENI. */
static uint32_t instance_route_gateway(const struct res *target)
{
	return ((const struct instance *)target)->private_ip;
}

static bool instance_route_active(const struct res *target,
				  const struct ec2_state *st)
{
	return true;
}

static void instance_route_describe(struct jb *b, json_t *o,
				    const struct lab *lab,
				    const struct route_table *t,
				    const struct res *target)
{
	const struct instance *in = (const struct instance *)target;

	if (!in->eni)
		return;
	jb_put_s(b, o, "InstanceOwnerId", describe_owner(lab, t->vpc));
	jb_put_s(b, o, "NetworkInterfaceId", in->eni->r.id);
}

static const struct route_target instance_target = {
	.describe_key = "InstanceId",
	.check = instance_route_check,
	.dev = instance_route_dev,
	.gateway = instance_route_gateway,
	.active = instance_route_active,
	.describe = instance_route_describe,
};

static void instance_res_free(struct res *r)
{
	struct instance *in = (struct instance *)r;

	free(in->sgs);
	free(in->ami);
	free(in->instance_type);
	user_data_free(&in->ud);
}

const struct res_type res_type_instance = {
	.keyword = "instance",
	.id_prefix = "i-",
	.noun = "instance",
	.notfound = "InvalidInstanceID.NotFound",
	.size = sizeof(struct instance),
	.describe_what = "instances",
	.describe_key = "Reservations",
	.target = &instance_target,
	.parse = instance_parse,
	.print = instance_print,
	.describe = instance_describe,
	.table = instance_table,
	.details = instance_details,
	.free = instance_res_free,
};
