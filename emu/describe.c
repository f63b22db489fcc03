/* describe.c - a lab's resources in the EC2 API's JSON shapes (describe.h).
 *
 * Field names follow the EC2 API's JSON output as the AWS CLI prints it.
 * Values AWS has but a lab does not (DHCP options, tenancy, launch times)
 * get AWS's defaults or are left out; IDs that AWS would generate (route
 * table and network ACL associations, reservations, prefix lists, CIDR
 * associations) are stable hashes like every other vpcemu ID.
 *
 * Allocation failures: every builder step goes through put()/add(), which
 * remember the failure; the caller then drops the whole object.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vpcemu/describe.h"
#include "vpcemu/ec2.h"
#include "vpcemu/model.h"
#include "vpcemu/util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct jb {
	bool oom;
};

static json_t *put(struct jb *b, json_t *o, const char *k, json_t *v)
{
	if (!v || !o || json_object_set_new(o, k, v)) {
		if (!o)
			json_decref(v);
		b->oom = true;
	}
	return v;
}

static json_t *add(struct jb *b, json_t *a, json_t *v)
{
	if (!v || !a || json_array_append_new(a, v)) {
		if (!a)
			json_decref(v);
		b->oom = true;
	}
	return v;
}

static json_t *obj(struct jb *b)
{
	json_t *o = json_object();

	if (!o)
		b->oom = true;
	return o;
}

static json_t *arr(struct jb *b)
{
	json_t *a = json_array();

	if (!a)
		b->oom = true;
	return a;
}

static void put_s(struct jb *b, json_t *o, const char *k, const char *s)
{
	put(b, o, k, json_string(s ? s : ""));
}

static void put_b(struct jb *b, json_t *o, const char *k, bool v)
{
	put(b, o, k, json_boolean(v));
}

static void put_i(struct jb *b, json_t *o, const char *k, long long v)
{
	put(b, o, k, json_integer(v));
}

static void put_cidr(struct jb *b, json_t *o, const char *k, struct cidr c)
{
	char buf[19];

	put_s(b, o, k, cidr_fmt(c, buf));
}

static void put_tags(struct jb *b, json_t *o, const struct res *r)
{
	json_t *t = put(b, o, "Tags", arr(b));
	json_t *x = add(b, t, obj(b));

	put_s(b, x, "Key", "Name");
	put_s(b, x, "Value", r->name);
}

static const char *owner_of(const struct lab *lab, const struct vpc *v)
{
	return v && v->account ? v->account : lab->account;
}

void describe_assoc_id(const struct lab *lab, const char *rtb_id,
		       const char *subnet_id, char *out)
{
	char key[2 * MODEL_ID_MAX + 2];

	snprintf(key, sizeof(key), "%s/%s", rtb_id, subnet_id);
	model_make_id(out, "rtbassoc-", lab->name, "rtbassoc", key);
}

/* ------------------------------------------------------------------ */

static json_t *vpc_json(struct jb *b, const struct lab *lab,
			const struct vpc *v)
{
	json_t *o = obj(b), *set;
	char id[MODEL_ID_MAX], key[64];
	size_t i;

	put_cidr(b, o, "CidrBlock", v->cidrs[0]);
	set = put(b, o, "CidrBlockAssociationSet", arr(b));
	for (i = 0; i < v->ncidrs; i++) {
		json_t *x = add(b, set, obj(b));

		snprintf(key, sizeof(key), "%s/%zu", v->r.id, i);
		model_make_id(id, "vpc-cidr-assoc-", lab->name, "cidr", key);
		put_s(b, x, "AssociationId", id);
		put_cidr(b, x, "CidrBlock", v->cidrs[i]);
		put(b, x, "CidrBlockState",
		    json_pack("{s:s}", "State", "associated"));
	}
	put_s(b, o, "DhcpOptionsId", "default");
	put_s(b, o, "InstanceTenancy", "default");
	put_b(b, o, "IsDefault", false);
	put_s(b, o, "OwnerId", owner_of(lab, v));
	put_s(b, o, "State", "available");
	put_tags(b, o, &v->r);
	put_s(b, o, "VpcId", v->r.id);
	return o;
}

static json_t *subnet_json(struct jb *b, const struct lab *lab,
			   const struct subnet *s)
{
	json_t *o = obj(b);
	long long avail = (1LL << (32 - s->cidr.len)) - 5;
	char arn[160];
	size_t i;

	for (i = 0; i < lab->nenis; i++)
		if (lab->enis[i]->subnet == s)
			avail--;
	snprintf(arn, sizeof(arn), "arn:aws:ec2:%s:%s:subnet/%s",
		 s->vpc->region, owner_of(lab, s->vpc), s->r.id);
	put_s(b, o, "AvailabilityZone", s->az);
	put_i(b, o, "AvailableIpAddressCount", avail < 0 ? 0 : avail);
	put_cidr(b, o, "CidrBlock", s->cidr);
	put_b(b, o, "DefaultForAz", false);
	put_b(b, o, "MapPublicIpOnLaunch", s->public_ip_on_launch);
	put_s(b, o, "OwnerId", owner_of(lab, s->vpc));
	put_s(b, o, "State", "available");
	put_s(b, o, "SubnetArn", arn);
	put_s(b, o, "SubnetId", s->r.id);
	put_tags(b, o, &s->r);
	put_s(b, o, "VpcId", s->vpc->r.id);
	return o;
}

static enum peering_status pcx_status(const struct ec2_state *st,
				      const struct peering *p)
{
	return st ? ec2_peering_status(st, p) : p->status;
}

static json_t *rt_json(struct jb *b, const struct lab *lab,
		       const struct ec2_state *st, const struct route_table *t)
{
	json_t *o = obj(b), *as, *rs, *x;
	char id[MODEL_ID_MAX];
	size_t i, j;

	as = put(b, o, "Associations", arr(b));
	if (t->vpc && t->vpc->main_rt == t) {
		x = add(b, as, obj(b));
		describe_assoc_id(lab, t->r.id, "main", id);
		put_b(b, x, "Main", true);
		put_s(b, x, "RouteTableAssociationId", id);
		put_s(b, x, "RouteTableId", t->r.id);
		put(b, x, "AssociationState",
		    json_pack("{s:s}", "State", "associated"));
	}
	for (i = 0; i < t->nassoc; i++) {
		x = add(b, as, obj(b));
		describe_assoc_id(lab, t->r.id, t->assoc[i]->r.id, id);
		put_b(b, x, "Main", false);
		put_s(b, x, "RouteTableAssociationId", id);
		put_s(b, x, "RouteTableId", t->r.id);
		put_s(b, x, "SubnetId", t->assoc[i]->r.id);
		put(b, x, "AssociationState",
		    json_pack("{s:s}", "State", "associated"));
	}
	put_s(b, o, "OwnerId", owner_of(lab, t->vpc));
	put(b, o, "PropagatingVgws", arr(b));
	put_s(b, o, "RouteTableId", t->r.id);
	rs = put(b, o, "Routes", arr(b));
	for (i = 0; t->vpc && i < t->vpc->ncidrs; i++) {
		x = add(b, rs, obj(b));
		put_cidr(b, x, "DestinationCidrBlock", t->vpc->cidrs[i]);
		put_s(b, x, "GatewayId", "local");
		put_s(b, x, "Origin", "CreateRouteTable");
		put_s(b, x, "State", "active");
	}
	for (i = 0; i < t->nroutes; i++) {
		const struct route *r = &t->routes[i];
		bool active = true;

		x = add(b, rs, obj(b));
		put_cidr(b, x, "DestinationCidrBlock", r->dst);
		switch (r->target_kind) {
		case TARGET_PEERING:
			put_s(b, x, "VpcPeeringConnectionId",
			      r->peering ? r->peering->r.id : "");
			active = r->peering &&
				 pcx_status(st, r->peering) == PEERING_ACTIVE;
			break;
		case TARGET_INSTANCE:
			put_s(b, x, "InstanceId",
			      r->instance ? r->instance->r.id : "");
			if (r->instance && r->instance->eni) {
				put_s(b, x, "InstanceOwnerId",
				      owner_of(lab, t->vpc));
				put_s(b, x, "NetworkInterfaceId",
				      r->instance->eni->r.id);
			}
			active = r->instance != NULL;
			break;
		case TARGET_ENDPOINT:
			put_s(b, x, "GatewayId",
			      r->endpoint ? r->endpoint->r.id : "");
			break;
		case TARGET_BLACKHOLE:
			active = false;
			break;
		}
		put_s(b, x, "Origin", "CreateRoute");
		put_s(b, x, "State", active ? "active" : "blackhole");
	}
	/* Gateway endpoints add their prefix-list route. */
	for (i = 0; i < lab->nendpoints; i++) {
		const struct endpoint *e = lab->endpoints[i];

		if (e->type != ENDPOINT_GATEWAY)
			continue;
		for (j = 0; j < e->nroute_tables; j++) {
			if (e->route_tables[j] != t)
				continue;
			x = add(b, rs, obj(b));
			model_make_id(id, "pl-", "", "prefix-list", e->service);
			put_s(b, x, "DestinationPrefixListId", id);
			put_s(b, x, "GatewayId", e->r.id);
			put_s(b, x, "Origin", "CreateRoute");
			put_s(b, x, "State", "active");
		}
	}
	put_tags(b, o, &t->r);
	put_s(b, o, "VpcId", t->vpc ? t->vpc->r.id : "");
	return o;
}

static void fmt_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		snprintf(buf, len, "1970-01-01T00:00:00.000Z");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

static json_t *pcx_vpc_info(struct jb *b, const struct lab *lab,
			    const struct vpc *v, bool allow_dns)
{
	json_t *o = obj(b), *set;
	size_t i;

	if (!v)
		return o;
	put_cidr(b, o, "CidrBlock", v->cidrs[0]);
	set = put(b, o, "CidrBlockSet", arr(b));
	for (i = 0; i < v->ncidrs; i++)
		put_cidr(b, add(b, set, obj(b)), "CidrBlock", v->cidrs[i]);
	put_s(b, o, "OwnerId", owner_of(lab, v));
	put(b, o, "PeeringOptions",
	    json_pack("{s:b}", "AllowDnsResolutionFromRemoteVpc", allow_dns));
	put_s(b, o, "VpcId", v->r.id);
	put_s(b, o, "Region", v->region);
	return o;
}

static json_t *pcx_json(struct jb *b, const struct lab *lab,
			const struct ec2_state *st, const struct peering *p)
{
	const struct ec2_peering_rec *rec = st ? ec2_state_find(st, p->r.id) :
						 NULL;
	enum peering_status s = pcx_status(st, p);
	json_t *o = obj(b), *x;
	char msg[128], tbuf[40];

	put(b, o, "AccepterVpcInfo",
	    pcx_vpc_info(b, lab, p->accepter, p->accepter_allows_remote_dns));
	if (rec && s == PEERING_PENDING_ACCEPTANCE) {
		fmt_time(rec->created + EC2_PEERING_EXPIRY, tbuf, sizeof(tbuf));
		put_s(b, o, "ExpirationTime", tbuf);
	}
	put(b, o, "RequesterVpcInfo",
	    pcx_vpc_info(b, lab, p->requester,
			 p->requester_allows_remote_dns));
	x = put(b, o, "Status", obj(b));
	put_s(b, x, "Code", ec2_status_code(s));
	put_s(b, x, "Message",
	      ec2_status_message(s, p->accepter ? owner_of(lab, p->accepter) :
						  lab->account,
				 msg, sizeof(msg)));
	put_tags(b, o, &p->r);
	put_s(b, o, "VpcPeeringConnectionId", p->r.id);
	return o;
}

static const char *proto_name(const struct proto_match *p, char *buf,
			      size_t len)
{
	switch (p->kind) {
	case PROTO_ALL:
		return "-1";
	case PROTO_TCP:
		return "tcp";
	case PROTO_UDP:
		return "udp";
	case PROTO_ICMP:
		return "icmp";
	case PROTO_NUMBER:
		break;
	}
	snprintf(buf, len, "%u", p->number);
	return buf;
}

/* FromPort / ToPort as the API has them. */
static void put_ports(struct jb *b, json_t *o, const struct proto_match *p)
{
	if (p->kind == PROTO_TCP || p->kind == PROTO_UDP) {
		put_i(b, o, "FromPort", p->port_lo);
		put_i(b, o, "ToPort", p->port_hi);
	} else if (p->kind == PROTO_ICMP) {
		put_i(b, o, "FromPort", p->icmp_type);
		put_i(b, o, "ToPort", p->icmp_code);
	}
}

static bool proto_same(const struct proto_match *a,
		       const struct proto_match *c)
{
	if (a->kind != c->kind)
		return false;
	switch (a->kind) {
	case PROTO_ALL:
		return true;
	case PROTO_NUMBER:
		return a->number == c->number;
	case PROTO_ICMP:
		return a->icmp_type == c->icmp_type &&
		       a->icmp_code == c->icmp_code;
	default:
		return a->port_lo == c->port_lo && a->port_hi == c->port_hi;
	}
}

/* Rules of one direction, grouped by protocol and ports as AWS does. */
static json_t *perms_json(struct jb *b, const struct lab *lab,
			  const struct sg *g, enum direction dir)
{
	json_t *a = arr(b);
	char pb[8];
	size_t i, j;

	for (i = 0; i < g->nrules; i++) {
		const struct sg_rule *r = &g->rules[i];
		json_t *o, *ranges, *pairs;
		bool seen = false;

		if (r->dir != dir)
			continue;
		for (j = 0; j < i && !seen; j++)
			seen = g->rules[j].dir == dir &&
			       proto_same(&g->rules[j].proto, &r->proto);
		if (seen)
			continue;
		o = add(b, a, obj(b));
		put_s(b, o, "IpProtocol", proto_name(&r->proto, pb, sizeof(pb)));
		put_ports(b, o, &r->proto);
		ranges = put(b, o, "IpRanges", arr(b));
		put(b, o, "Ipv6Ranges", arr(b));
		put(b, o, "PrefixListIds", arr(b));
		pairs = put(b, o, "UserIdGroupPairs", arr(b));
		for (j = i; j < g->nrules; j++) {
			const struct sg_rule *x = &g->rules[j];
			json_t *e;

			if (x->dir != dir || !proto_same(&x->proto, &r->proto))
				continue;
			if (x->peer_kind == SG_PEER_CIDR) {
				e = add(b, ranges, obj(b));
				put_cidr(b, e, "CidrIp", x->cidr);
			} else {
				e = add(b, pairs, obj(b));
				put_s(b, e, "GroupId",
				      x->peer_sg ? x->peer_sg->r.id : "");
				put_s(b, e, "UserId",
				      owner_of(lab, x->peer_sg ?
						      x->peer_sg->vpc : NULL));
				if (x->peer_sg && x->peer_sg->vpc != g->vpc &&
				    x->peer_sg->vpc)
					put_s(b, e, "VpcId",
					      x->peer_sg->vpc->r.id);
			}
			if (x->description)
				put_s(b, e, "Description", x->description);
		}
	}
	return a;
}

static const char *group_name(const struct sg *g)
{
	return g->is_default ? "default" : g->r.name;
}

static json_t *sg_json(struct jb *b, const struct lab *lab, const struct sg *g)
{
	json_t *o = obj(b);

	put_s(b, o, "Description", g->description ? g->description : "");
	put_s(b, o, "GroupName", group_name(g));
	put(b, o, "IpPermissions", perms_json(b, lab, g, DIR_INGRESS));
	put_s(b, o, "OwnerId", owner_of(lab, g->vpc));
	put_s(b, o, "GroupId", g->r.id);
	put(b, o, "IpPermissionsEgress", perms_json(b, lab, g, DIR_EGRESS));
	put_tags(b, o, &g->r);
	put_s(b, o, "VpcId", g->vpc ? g->vpc->r.id : "");
	return o;
}

json_t *describe_sg_rule(const struct lab *lab, const struct sg *g,
			 const struct sg_rule *r)
{
	struct jb b = { 0 };
	json_t *o = obj(&b), *ref;
	char id[MODEL_ID_MAX], key[160], cb[19], pb[8];

	snprintf(key, sizeof(key), "%s/%d/%d/%u/%u/%u/%d/%d/%s", g->r.id,
		 r->dir, r->proto.kind, r->proto.number, r->proto.port_lo,
		 r->proto.port_hi, r->proto.icmp_type, r->proto.icmp_code,
		 r->peer_kind == SG_PEER_SG && r->peer_sg ? r->peer_sg->r.id :
							  cidr_fmt(r->cidr, cb));
	model_make_id(id, "sgr-", lab->name, "sgr", key);
	put_s(&b, o, "SecurityGroupRuleId", id);
	put_s(&b, o, "GroupId", g->r.id);
	put_s(&b, o, "GroupOwnerId", owner_of(lab, g->vpc));
	put_b(&b, o, "IsEgress", r->dir == DIR_EGRESS);
	put_s(&b, o, "IpProtocol", proto_name(&r->proto, pb, sizeof(pb)));
	if (r->proto.kind == PROTO_TCP || r->proto.kind == PROTO_UDP ||
	    r->proto.kind == PROTO_ICMP) {
		put_ports(&b, o, &r->proto);
	} else {
		put_i(&b, o, "FromPort", -1);
		put_i(&b, o, "ToPort", -1);
	}
	if (r->peer_kind == SG_PEER_CIDR) {
		put_cidr(&b, o, "CidrIpv4", r->cidr);
	} else {
		ref = put(&b, o, "ReferencedGroupInfo", obj(&b));
		put_s(&b, ref, "GroupId", r->peer_sg ? r->peer_sg->r.id : "");
		put_s(&b, ref, "UserId",
		      owner_of(lab, r->peer_sg ? r->peer_sg->vpc : NULL));
	}
	if (r->description)
		put_s(&b, o, "Description", r->description);
	if (b.oom) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *acl_entry(struct jb *b, const struct nacl_entry *e)
{
	json_t *o = obj(b), *x;
	char pb[8];

	put_cidr(b, o, "CidrBlock", e->cidr);
	put_b(b, o, "Egress", e->dir == DIR_EGRESS);
	if (e->proto.kind == PROTO_ICMP) {
		x = put(b, o, "IcmpTypeCode", obj(b));
		put_i(b, x, "Code", e->proto.icmp_code);
		put_i(b, x, "Type", e->proto.icmp_type);
	}
	if (e->proto.kind == PROTO_TCP || e->proto.kind == PROTO_UDP) {
		x = put(b, o, "PortRange", obj(b));
		put_i(b, x, "From", e->proto.port_lo);
		put_i(b, x, "To", e->proto.port_hi);
	}
	snprintf(pb, sizeof(pb), "%d",
		 e->proto.kind == PROTO_ALL ? -1 : (int)e->proto.number);
	put_s(b, o, "Protocol", pb);
	put_s(b, o, "RuleAction", e->action == NACL_ALLOW ? "allow" : "deny");
	put_i(b, o, "RuleNumber", e->number);
	return o;
}

static json_t *acl_json(struct jb *b, const struct lab *lab,
			const struct nacl *n)
{
	json_t *o = obj(b), *as, *es, *x;
	char id[MODEL_ID_MAX], key[2 * MODEL_ID_MAX + 2];
	size_t i;
	int dir;

	as = put(b, o, "Associations", arr(b));
	for (i = 0; i < lab->nsubnets; i++) {
		const struct subnet *s = lab->subnets[i];

		if (s->nacl != n)
			continue;
		x = add(b, as, obj(b));
		snprintf(key, sizeof(key), "%s/%s", n->r.id, s->r.id);
		model_make_id(id, "aclassoc-", lab->name, "aclassoc", key);
		put_s(b, x, "NetworkAclAssociationId", id);
		put_s(b, x, "NetworkAclId", n->r.id);
		put_s(b, x, "SubnetId", s->r.id);
	}
	es = put(b, o, "Entries", arr(b));
	/* The API lists egress entries first, each direction by number,
	 * each ending with the catch-all '*' (32767, R-5.4). */
	for (dir = DIR_EGRESS; dir >= DIR_INGRESS; dir--) {
		struct nacl_entry star = {
			.dir = (enum direction)dir,
			.number = 32767,
			.action = NACL_DENY,
			.proto = { .kind = PROTO_ALL, .port_hi = 65535,
				   .icmp_type = -1, .icmp_code = -1 },
		};

		for (i = 0; i < n->nentries; i++)
			if (n->entries[i].dir == (enum direction)dir)
				add(b, es, acl_entry(b, &n->entries[i]));
		add(b, es, acl_entry(b, &star));
	}
	put_b(b, o, "IsDefault", n->is_default);
	put_s(b, o, "NetworkAclId", n->r.id);
	put_tags(b, o, &n->r);
	put_s(b, o, "VpcId", n->vpc ? n->vpc->r.id : "");
	put_s(b, o, "OwnerId", owner_of(lab, n->vpc));
	return o;
}

static json_t *groups_json(struct jb *b, struct sg *const *sgs, size_t n)
{
	json_t *a = arr(b), *x;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!sgs[i])
			continue;
		x = add(b, a, obj(b));
		put_s(b, x, "GroupName", group_name(sgs[i]));
		put_s(b, x, "GroupId", sgs[i]->r.id);
	}
	return a;
}

static json_t *instance_json(struct jb *b, const struct lab *lab,
			     const struct instance *in)
{
	const struct subnet *s = in->subnet;
	const struct vpc *v = s ? s->vpc : NULL;
	json_t *o = obj(b), *nis, *ni, *x;
	char ip[16], dns[96], arn[160];
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

	put_i(b, o, "AmiLaunchIndex", 0);
	put_s(b, o, "ImageId", in->ami ? in->ami : "al2023");
	put_s(b, o, "InstanceId", in->r.id);
	put_s(b, o, "InstanceType",
	      in->instance_type ? in->instance_type : "t2.micro");
	x = put(b, o, "Placement", obj(b));
	put_s(b, x, "AvailabilityZone", s ? s->az : "");
	put_s(b, x, "Tenancy", "default");
	put_s(b, o, "PrivateDnsName", dns);
	put_s(b, o, "PrivateIpAddress", ip);
	x = put(b, o, "State", obj(b));
	put_i(b, x, "Code", 16);
	put_s(b, x, "Name", "running");
	put_s(b, o, "SubnetId", s ? s->r.id : "");
	put_s(b, o, "VpcId", v ? v->r.id : "");
	if (in->role) {
		x = put(b, o, "IamInstanceProfile", obj(b));
		snprintf(arn, sizeof(arn), "arn:aws:iam::%s:instance-profile/%s",
			 owner_of(lab, v), in->role->r.name);
		put_s(b, x, "Arn", arn);
		put_s(b, x, "Id", in->role->r.id);
	}
	nis = put(b, o, "NetworkInterfaces", arr(b));
	ni = add(b, nis, obj(b));
	x = put(b, ni, "Attachment", obj(b));
	put_i(b, x, "DeviceIndex", 0);
	put_s(b, x, "Status", "attached");
	put(b, ni, "Groups", groups_json(b, in->sgs, in->nsgs));
	put_s(b, ni, "NetworkInterfaceId", in->eni ? in->eni->r.id : "");
	put_s(b, ni, "OwnerId", owner_of(lab, v));
	put_s(b, ni, "PrivateDnsName", dns);
	put_s(b, ni, "PrivateIpAddress", ip);
	x = add(b, put(b, ni, "PrivateIpAddresses", arr(b)), obj(b));
	put_b(b, x, "Primary", true);
	put_s(b, x, "PrivateDnsName", dns);
	put_s(b, x, "PrivateIpAddress", ip);
	put_s(b, ni, "Status", "in-use");
	put_s(b, ni, "SubnetId", s ? s->r.id : "");
	put_s(b, ni, "VpcId", v ? v->r.id : "");
	put(b, o, "SecurityGroups", groups_json(b, in->sgs, in->nsgs));
	put_tags(b, o, &in->r);
	return o;
}

static json_t *reservation_json(struct jb *b, const struct lab *lab,
				const struct instance *in)
{
	json_t *o = obj(b);
	char rid[MODEL_ID_MAX];

	model_make_id(rid, "r-", lab->name, "reservation", in->r.id);
	put(b, o, "Groups", arr(b));
	add(b, put(b, o, "Instances", arr(b)), instance_json(b, lab, in));
	put_s(b, o, "OwnerId",
	      owner_of(lab, in->subnet ? in->subnet->vpc : NULL));
	put_s(b, o, "ReservationId", rid);
	return o;
}

/* ------------------------------------------------------------------ */

static json_t *finish(struct jb *b, json_t *o)
{
	if (b->oom) {
		json_decref(o);
		errno = ENOMEM;
		return NULL;
	}
	return o;
}

json_t *describe_peering(const struct lab *lab, const struct ec2_state *st,
			 const struct peering *p)
{
	struct jb b = { 0 };

	return finish(&b, pcx_json(&b, lab, st, p));
}

json_t *describe_instance(const struct lab *lab, const struct instance *in)
{
	struct jb b = { 0 };

	return finish(&b, instance_json(&b, lab, in));
}

json_t *describe_reservation(const struct lab *lab, const struct instance *in)
{
	struct jb b = { 0 };

	return finish(&b, reservation_json(&b, lab, in));
}

static const char *const whats[][2] = {
	{ "vpcs", "Vpcs" },
	{ "subnets", "Subnets" },
	{ "route-tables", "RouteTables" },
	{ "vpc-peering-connections", "VpcPeeringConnections" },
	{ "security-groups", "SecurityGroups" },
	{ "network-acls", "NetworkAcls" },
	{ "instances", "Reservations" },
};

int describe_what_ok(const char *what)
{
	size_t i;

	if (!what)
		return 1;
	for (i = 0; i < ARRAY_SIZE(whats); i++)
		if (!strcmp(whats[i][0], what))
			return 1;
	return 0;
}

/* one account: failed, rejected and deleted stay visible 2 h,
 * expired 2 days. */
static bool pcx_visible(const struct ec2_state *st, const struct peering *p,
			time_t now)
{
	const struct ec2_peering_rec *rec = st ? ec2_state_find(st, p->r.id) :
						 NULL;
	enum peering_status s;
	time_t keep;

	if (!rec)
		return true;
	s = ec2_peering_status(st, p);
	switch (s) {
	case PEERING_FAILED:
	case PEERING_REJECTED:
	case PEERING_DELETED:
		keep = 2 * 3600;
		break;
	case PEERING_EXPIRED:
		keep = 2 * 24 * 3600;
		break;
	default:
		return true;
	}
	return now - rec->changed < keep;
}

json_t *describe_lab_state(const struct lab *lab, const struct ec2_state *st,
			   const char *what, time_t now)
{
	struct jb b = { 0 };
	json_t *root, *a;
	size_t w, i;

	if (!describe_what_ok(what)) {
		errno = EINVAL;
		return NULL;
	}
	root = obj(&b);
	for (w = 0; w < ARRAY_SIZE(whats); w++) {
		if (what && strcmp(what, whats[w][0]))
			continue;
		a = put(&b, root, whats[w][1], arr(&b));
		switch (w) {
		case 0:
			for (i = 0; i < lab->nvpcs; i++)
				add(&b, a, vpc_json(&b, lab, lab->vpcs[i]));
			break;
		case 1:
			for (i = 0; i < lab->nsubnets; i++)
				add(&b, a,
				    subnet_json(&b, lab, lab->subnets[i]));
			break;
		case 2:
			for (i = 0; i < lab->nroute_tables; i++)
				add(&b, a, rt_json(&b, lab, st,
						   lab->route_tables[i]));
			break;
		case 3:
			for (i = 0; i < lab->npeerings; i++)
				if (pcx_visible(st, lab->peerings[i], now))
					add(&b, a,
					    pcx_json(&b, lab, st,
						     lab->peerings[i]));
			break;
		case 4:
			for (i = 0; i < lab->nsgs; i++)
				add(&b, a, sg_json(&b, lab, lab->sgs[i]));
			break;
		case 5:
			for (i = 0; i < lab->nnacls; i++)
				add(&b, a, acl_json(&b, lab, lab->nacls[i]));
			break;
		case 6:
			for (i = 0; i < lab->ninstances; i++)
				add(&b, a, reservation_json(
						   &b, lab, lab->instances[i]));
			break;
		}
	}
	return finish(&b, root);
}

json_t *describe_lab(const struct lab *lab, const char *what)
{
	return describe_lab_state(lab, NULL, what, 0);
}

/* ------------------------------------------------------------------ */
/* Table */

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static const char *tag_name(const json_t *o)
{
	const json_t *t;
	size_t i;

	json_array_foreach(json_object_get(o, "Tags"), i, t)
		if (!strcmp(jstr(t, "Key"), "Name"))
			return jstr(t, "Value");
	return "";
}

static void port_text(const json_t *o, char *buf, size_t len)
{
	const json_t *f = json_object_get(o, "FromPort");
	const json_t *t = json_object_get(o, "ToPort");

	if (!f)
		snprintf(buf, len, "all");
	else if (json_integer_value(f) == json_integer_value(t))
		snprintf(buf, len, "%lld", (long long)json_integer_value(f));
	else
		snprintf(buf, len, "%lld-%lld",
			 (long long)json_integer_value(f),
			 (long long)json_integer_value(t));
}

static void table_section(struct strbuf *sb, const char *key, json_t *a)
{
	const json_t *o, *x, *y;
	size_t i, j, k;
	char pbuf[32];

	sb_printf(sb, "%s\n", key);
	json_array_foreach(a, i, o) {
		if (!strcmp(key, "Vpcs")) {
			sb_printf(sb, "  %-24s %-22s %-18s %s\n", tag_name(o),
				  jstr(o, "VpcId"), jstr(o, "CidrBlock"),
				  jstr(o, "State"));
		} else if (!strcmp(key, "Subnets")) {
			sb_printf(sb, "  %-24s %-25s %-18s %-16s %s\n",
				  tag_name(o), jstr(o, "SubnetId"),
				  jstr(o, "CidrBlock"),
				  jstr(o, "AvailabilityZone"),
				  jstr(o, "VpcId"));
		} else if (!strcmp(key, "RouteTables")) {
			sb_printf(sb, "  %-24s %-22s %s\n", tag_name(o),
				  jstr(o, "RouteTableId"), jstr(o, "VpcId"));
			json_array_foreach(json_object_get(o, "Associations"),
					   j, x)
				sb_printf(sb, "    assoc   %s\n",
					  json_is_true(json_object_get(x, "Main")) ?
						  "main" : jstr(x, "SubnetId"));
			json_array_foreach(json_object_get(o, "Routes"), j, x) {
				const char *tg = jstr(x, "GatewayId");
				const char *dst = jstr(x, "DestinationCidrBlock");

				if (!*tg)
					tg = jstr(x, "VpcPeeringConnectionId");
				if (!*tg)
					tg = jstr(x, "InstanceId");
				if (!*tg)
					tg = "blackhole";
				if (!*dst)
					dst = jstr(x, "DestinationPrefixListId");
				sb_printf(sb, "    route   %-18s -> %-24s %s\n",
					  dst, tg, jstr(x, "State"));
			}
		} else if (!strcmp(key, "VpcPeeringConnections")) {
			x = json_object_get(o, "RequesterVpcInfo");
			y = json_object_get(o, "AccepterVpcInfo");
			sb_printf(sb, "  %-24s %-22s %s -> %s  %s\n",
				  tag_name(o), jstr(o, "VpcPeeringConnectionId"),
				  jstr(x, "VpcId"), jstr(y, "VpcId"),
				  jstr(json_object_get(o, "Status"), "Code"));
		} else if (!strcmp(key, "SecurityGroups")) {
			static const char *const dirs[][2] = {
				{ "IpPermissions", "in " },
				{ "IpPermissionsEgress", "out" },
			};
			size_t d;

			sb_printf(sb, "  %-24s %-21s %s\n", tag_name(o),
				  jstr(o, "GroupId"), jstr(o, "VpcId"));
			for (d = 0; d < 2; d++)
				json_array_foreach(json_object_get(o, dirs[d][0]),
						   j, x) {
					const json_t *p;

					port_text(x, pbuf, sizeof(pbuf));
					json_array_foreach(json_object_get(x, "IpRanges"), k, p)
						sb_printf(sb, "    %s %-5s %-11s %s\n",
							  dirs[d][1],
							  jstr(x, "IpProtocol"),
							  pbuf, jstr(p, "CidrIp"));
					json_array_foreach(json_object_get(x, "UserIdGroupPairs"), k, p)
						sb_printf(sb, "    %s %-5s %-11s %s\n",
							  dirs[d][1],
							  jstr(x, "IpProtocol"),
							  pbuf, jstr(p, "GroupId"));
				}
		} else if (!strcmp(key, "NetworkAcls")) {
			sb_printf(sb, "  %-24s %-22s %s%s\n", tag_name(o),
				  jstr(o, "NetworkAclId"), jstr(o, "VpcId"),
				  json_is_true(json_object_get(o, "IsDefault")) ?
					  " (default)" : "");
			json_array_foreach(json_object_get(o, "Entries"), j, x) {
				long long n = json_integer_value(
					json_object_get(x, "RuleNumber"));

				if (n == 32767)
					snprintf(pbuf, sizeof(pbuf), "*");
				else
					snprintf(pbuf, sizeof(pbuf), "%lld", n);
				sb_printf(sb, "    %-3s %-5s %-5s proto %-3s %s\n",
					  json_is_true(json_object_get(x, "Egress")) ?
						  "out" : "in",
					  pbuf, jstr(x, "RuleAction"),
					  jstr(x, "Protocol"),
					  jstr(x, "CidrBlock"));
			}
		} else if (!strcmp(key, "Reservations")) {
			json_array_foreach(json_object_get(o, "Instances"), j,
					   x)
				sb_printf(sb, "  %-24s %-20s %-15s %-25s %s\n",
					  tag_name(x), jstr(x, "InstanceId"),
					  jstr(x, "PrivateIpAddress"),
					  jstr(x, "SubnetId"),
					  jstr(json_object_get(x, "State"),
					       "Name"));
		}
	}
}

char *describe_table(json_t *j)
{
	struct strbuf sb = { 0 };
	size_t w;

	for (w = 0; w < ARRAY_SIZE(whats); w++) {
		json_t *a = json_object_get(j, whats[w][1]);

		if (json_is_array(a)) {
			if (sb.len)
				sb_puts(&sb, "\n");
			table_section(&sb, whats[w][1], a);
		}
	}
	return sb_take(&sb);
}
