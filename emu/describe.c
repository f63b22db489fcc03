/* describe.c - a lab's resources in the EC2 API's JSON shapes (describe.h).
 *
 * Field names follow the EC2 API's JSON output as the AWS CLI prints it.
 * Values AWS has but a lab does not (DHCP options, tenancy, launch times)
 * get AWS's defaults or are left out; IDs that AWS would generate (route
 * table and network ACL associations, reservations, prefix lists, CIDR
 * associations) are stable hashes like every other vpcemu ID.
 *
 * Allocation failures: every builder step goes through jb_put()/jb_add(), which
 * remember the failure; the caller then drops the whole object.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vpcemu/describe.h"
#include "vpcemu/model.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

json_t *jb_put(struct jb *b, json_t *o, const char *k, json_t *v)
{
	if (!v || !o || json_object_set_new(o, k, v)) {
		if (!o)
			json_decref(v);
		b->oom = true;
	}
	return v;
}

json_t *jb_add(struct jb *b, json_t *a, json_t *v)
{
	if (!v || !a || json_array_append_new(a, v)) {
		if (!a)
			json_decref(v);
		b->oom = true;
	}
	return v;
}

json_t *jb_obj(struct jb *b)
{
	json_t *o = json_object();

	if (!o)
		b->oom = true;
	return o;
}

json_t *jb_arr(struct jb *b)
{
	json_t *a = json_array();

	if (!a)
		b->oom = true;
	return a;
}

void jb_put_s(struct jb *b, json_t *o, const char *k, const char *s)
{
	jb_put(b, o, k, json_string(s ? s : ""));
}

void jb_put_b(struct jb *b, json_t *o, const char *k, bool v)
{
	jb_put(b, o, k, json_boolean(v));
}

void jb_put_i(struct jb *b, json_t *o, const char *k, long long v)
{
	jb_put(b, o, k, json_integer(v));
}

void jb_put_cidr(struct jb *b, json_t *o, const char *k, struct cidr c)
{
	char buf[19];

	jb_put_s(b, o, k, cidr_fmt(c, buf));
}

void jb_put_tags(struct jb *b, json_t *o, const struct res *r)
{
	json_t *t = jb_put(b, o, "Tags", jb_arr(b));
	json_t *x = jb_add(b, t, jb_obj(b));

	jb_put_s(b, x, "Key", "Name");
	jb_put_s(b, x, "Value", r->name);
}

const char *describe_owner(const struct lab *lab, const struct vpc *v)
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

void describe_acl_assoc_id(const struct lab *lab, const char *acl_id,
			   const char *subnet_id, char *out)
{
	char key[2 * MODEL_ID_MAX + 2];

	snprintf(key, sizeof(key), "%s/%s", acl_id, subnet_id);
	model_make_id(out, "aclassoc-", lab->name, "aclassoc", key);
}

/* ------------------------------------------------------------------ */

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
		jb_put_i(b, o, "FromPort", p->port_lo);
		jb_put_i(b, o, "ToPort", p->port_hi);
	} else if (p->kind == PROTO_ICMP) {
		jb_put_i(b, o, "FromPort", p->icmp_type);
		jb_put_i(b, o, "ToPort", p->icmp_code);
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

/* The ID of the prefix list a rule names (out: MODEL_ID_MAX). */
static const char *prefix_list_id(const struct sg_rule *r, char *out)
{
	char name[128];

	snprintf(name, sizeof(name), "com.amazonaws.%s.%s",
		 r->prefix_list_region, r->prefix_list->name);
	gateway_prefix_list_id(out, name);
	return out;
}

/* Rules of one direction, grouped by protocol and ports as AWS does. */
json_t *describe_perms(struct jb *b, const struct lab *lab, const struct sg *g,
		       enum direction dir)
{
	json_t *a = jb_arr(b);
	char pb[8], id[MODEL_ID_MAX];
	size_t i, j;

	for (i = 0; i < g->nrules; i++) {
		const struct sg_rule *r = &g->rules[i];
		json_t *o, *ranges, *pls, *pairs;
		bool seen = false;

		if (r->dir != dir)
			continue;
		for (j = 0; j < i && !seen; j++)
			seen = g->rules[j].dir == dir &&
			       proto_same(&g->rules[j].proto, &r->proto);
		if (seen)
			continue;
		o = jb_add(b, a, jb_obj(b));
		jb_put_s(b, o, "IpProtocol",
			 proto_name(&r->proto, pb, sizeof(pb)));
		put_ports(b, o, &r->proto);
		ranges = jb_put(b, o, "IpRanges", jb_arr(b));
		jb_put(b, o, "Ipv6Ranges", jb_arr(b));
		pls = jb_put(b, o, "PrefixListIds", jb_arr(b));
		pairs = jb_put(b, o, "UserIdGroupPairs", jb_arr(b));
		for (j = i; j < g->nrules; j++) {
			const struct sg_rule *x = &g->rules[j];
			json_t *e;

			if (x->dir != dir || !proto_same(&x->proto, &r->proto))
				continue;
			if (x->prefix_list) {
				e = jb_add(b, pls, jb_obj(b));
				jb_put_s(b, e, "PrefixListId",
					 prefix_list_id(x, id));
			} else if (x->peer_kind == SG_PEER_CIDR) {
				e = jb_add(b, ranges, jb_obj(b));
				jb_put_cidr(b, e, "CidrIp", x->cidr);
			} else {
				e = jb_add(b, pairs, jb_obj(b));
				jb_put_s(b, e, "GroupId",
					 x->peer_sg ? x->peer_sg->r.id : "");
				jb_put_s(b, e, "UserId",
					 describe_owner(
					     lab, x->peer_sg ? x->peer_sg->vpc
							     : NULL));
				if (x->peer_sg && x->peer_sg->vpc != g->vpc &&
				    x->peer_sg->vpc)
					jb_put_s(b, e, "VpcId",
						 x->peer_sg->vpc->r.id);
			}
			if (x->description)
				jb_put_s(b, e, "Description", x->description);
		}
	}
	return a;
}

json_t *describe_sg_rule(const struct lab *lab, const struct sg *g,
			 const struct sg_rule *r)
{
	struct jb b = { 0 };
	json_t *o = jb_obj(&b), *ref;
	char id[MODEL_ID_MAX], pl[MODEL_ID_MAX], key[160], cb[19], pb[8];

	snprintf(key, sizeof(key), "%s/%d/%d/%u/%u/%u/%d/%d/%s", g->r.id,
		 r->dir, r->proto.kind, r->proto.number, r->proto.port_lo,
		 r->proto.port_hi, r->proto.icmp_type, r->proto.icmp_code,
		 r->peer_kind == SG_PEER_SG && r->peer_sg ? r->peer_sg->r.id :
							  cidr_fmt(r->cidr, cb));
	model_make_id(id, "sgr-", lab->name, "sgr", key);
	jb_put_s(&b, o, "SecurityGroupRuleId", id);
	jb_put_s(&b, o, "GroupId", g->r.id);
	jb_put_s(&b, o, "GroupOwnerId", describe_owner(lab, g->vpc));
	jb_put_b(&b, o, "IsEgress", r->dir == DIR_EGRESS);
	jb_put_s(&b, o, "IpProtocol", proto_name(&r->proto, pb, sizeof(pb)));
	if (r->proto.kind == PROTO_TCP || r->proto.kind == PROTO_UDP ||
	    r->proto.kind == PROTO_ICMP) {
		put_ports(&b, o, &r->proto);
	} else {
		jb_put_i(&b, o, "FromPort", -1);
		jb_put_i(&b, o, "ToPort", -1);
	}
	if (r->prefix_list) {
		jb_put_s(&b, o, "PrefixListId", prefix_list_id(r, pl));
	} else if (r->peer_kind == SG_PEER_CIDR) {
		jb_put_cidr(&b, o, "CidrIpv4", r->cidr);
	} else {
		ref = jb_put(&b, o, "ReferencedGroupInfo", jb_obj(&b));
		jb_put_s(&b, ref, "GroupId",
			 r->peer_sg ? r->peer_sg->r.id : "");
		jb_put_s(
		    &b, ref, "UserId",
		    describe_owner(lab, r->peer_sg ? r->peer_sg->vpc : NULL));
	}
	if (r->description)
		jb_put_s(&b, o, "Description", r->description);
	if (b.oom) {
		json_decref(o);
		return NULL;
	}
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

	return finish(&b, peering_json(&b, lab, st, p));
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

int describe_what_ok(const char *what)
{
	size_t k;

	if (!what)
		return 1;
	for (k = 0; k < RES__COUNT; k++)
		if (res_types[k]->describe_what &&
		    !strcmp(res_types[k]->describe_what, what))
			return 1;
	return 0;
}

json_t *describe_lab_state(const struct lab *lab, const struct ec2_state *st,
			   const char *what, time_t now)
{
	struct jb b = { 0 };
	json_t *root, *a;
	size_t k, i;

	if (!describe_what_ok(what)) {
		errno = EINVAL;
		return NULL;
	}
	root = jb_obj(&b);
	for (k = 0; k < RES__COUNT; k++) {
		const struct res_type *t = res_types[k];

		if (!t->describe_what ||
		    (what && strcmp(what, t->describe_what)))
			continue;
		a = jb_put(&b, root, t->describe_key, jb_arr(&b));
		for (i = 0; i < lab->res[k].n; i++)
			t->describe(&b, a, lab, st, now, lab->res[k].v[i]);
	}
	return finish(&b, root);
}

json_t *describe_lab(const struct lab *lab, const char *what)
{
	return describe_lab_state(lab, NULL, what, 0);
}

/* ------------------------------------------------------------------ */
/* Paging */

const struct describe_paging describe_paging_ec2 = {
	"--max-results", "--next-token", "NextToken", 5, 1000,
};

const struct describe_paging describe_paging_elbv2 = {
	"--page-size", "--marker", "NextMarker", 1, 400,
};

/* Opaque to users, as AWS's are; a prefix keeps a stray number from
 * passing for one. */
#define TOKEN_PREFIX "vpcemu-page-"

void describe_token(size_t offset, char *buf)
{
	snprintf(buf, DESCRIBE_TOKEN_MAX, TOKEN_PREFIX "%zu", offset);
}

int describe_token_offset(const char *token, size_t *ret_offset)
{
	size_t n = strlen(TOKEN_PREFIX);
	unsigned long long v;
	char *end;

	if (strncmp(token, TOKEN_PREFIX, n) || token[n] < '0' ||
	    token[n] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(token + n, &end, 10);
	if (errno || *end || v > SIZE_MAX)
		return -EINVAL;
	*ret_offset = (size_t)v;
	return 0;
}

const char *describe_paged_key(const json_t *out)
{
	const char *key, *found = NULL;
	json_t *v;

	json_object_foreach((json_t *)out, key, v) {
		if (!json_is_array(v))
			continue;
		if (found)
			return NULL;
		found = key;
	}
	return found;
}

int describe_page(json_t *out, const char *next_key, size_t max,
		  const char *token)
{
	const char *found = describe_paged_key(out);
	char next[DESCRIBE_TOKEN_MAX], key[64];
	size_t from = 0, n, keep;
	json_t *all, *page;

	if (!found)
		return -ENOTSUP;
	/* A copy: the object owns found, and the page replaces its value. */
	snprintf(key, sizeof(key), "%s", found);
	all = json_object_get(out, key);
	n = json_array_size(all);
	if (token && (describe_token_offset(token, &from) || from > n))
		return -EINVAL;
	keep = max && n - from > max ? max : n - from;
	if (from == 0 && keep == n)
		return 0;
	page = json_array();
	if (!page)
		return -ENOMEM;
	for (size_t i = from; i < from + keep; i++)
		if (json_array_append(page, json_array_get(all, i)))
			goto nomem;
	if (json_object_set_new(out, key, page)) {
		page = NULL;
		goto nomem;
	}
	if (from + keep < n) {
		describe_token(from + keep, next);
		if (json_object_set_new(out, next_key, json_string(next)))
			return -ENOMEM;
	}
	return 0;
nomem:
	json_decref(page);
	return -ENOMEM;
}

/* ------------------------------------------------------------------ */
/* Table */

void describe_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		snprintf(buf, len, "1970-01-01T00:00:00.000Z");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

const char *describe_jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

const char *describe_tag_name(const json_t *o)
{
	const json_t *t;
	size_t i;

	json_array_foreach(json_object_get(o, "Tags"), i, t)
		if (!strcmp(describe_jstr(t, "Key"), "Name"))
			return describe_jstr(t, "Value");
	return "";
}

void describe_port_text(const json_t *o, char *buf, size_t len)
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

static void table_section(struct strbuf *sb, const struct res_type *t,
			  json_t *a)
{
	const json_t *o;
	size_t i;

	sb_printf(sb, "%s\n", t->describe_key);
	json_array_foreach(a, i, o)
		if (t->table)
			t->table(sb, o);
}

char *describe_table(json_t *j)
{
	struct strbuf sb = { 0 };
	const char *key;
	size_t k;

	for (k = 0; k < RES__COUNT; k++) {
		json_t *a;

		key = res_types[k]->describe_key;
		a = key ? json_object_get(j, key) : NULL;
		if (json_is_array(a)) {
			if (sb.len)
				sb_puts(&sb, "\n");
			table_section(&sb, res_types[k], a);
		}
	}
	return sb_take(&sb);
}
