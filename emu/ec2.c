/* ec2.c - AWS-CLI-shaped commands that change a lab's model (see ec2.h).
 *
 * Every command runs on a working copy: the lab is printed (print_lab),
 * parsed and built again, the command changes what print_lab reads, and the
 * copy is printed, built and checked once more. The result replaces the lab
 * only when every stage succeeded, so an error never leaves a half-changed
 * model behind, and the model the daemon keeps is always exactly what its
 * persisted text gives.
 *
 * Owns nothing beyond struct ec2_state; never prints.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/describe.h"
#include "vpcemu/ec2.h"
#include "vpcemu/model.h"
#include "vpcemu/print.h"
#include "vpcemu/util.h"

#define NAME_MAX_LEN 48
#define DEFAULT_AMI "al2023"
#define DEFAULT_INSTANCE_TYPE "t2.micro"

/* ------------------------------------------------------------------ */
/* Errors */

static int fail(struct ec2_error *err, int ret, const char *code,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct ec2_error *err, int ret, const char *code,
		const char *fmt, ...)
{
	va_list ap;

	if (err) {
		snprintf(err->code, sizeof(err->code), "%s", code);
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return ret;
}

#define EFAIL(ctx, code, ...) fail((ctx)->err, -EINVAL, code, __VA_ARGS__)
#define EUNSUP(ctx, ...) \
	fail((ctx)->err, -ENOTSUP, "Vpcemu.Unsupported", __VA_ARGS__)
#define ENOMEM_FAIL(ctx) \
	fail((ctx)->err, -ENOMEM, "Vpcemu.NoMemory", "Out of memory")

/* ------------------------------------------------------------------ */
/* Arguments: "--opt value", "--opt=value", "--flag", lists */

struct args {
	int argc;
	char **argv;
	bool *used;
};

static bool is_opt(const char *s)
{
	return s[0] == '-' && s[1] == '-';
}

/* Index of option opt, or -1. */
static int arg_index(struct args *a, const char *opt)
{
	size_t ol = strlen(opt);
	int i;

	for (i = 1; i < a->argc; i++)
		if (!strncmp(a->argv[i], opt, ol) &&
		    (a->argv[i][ol] == '\0' || a->argv[i][ol] == '='))
			return i;
	return -1;
}

/* The value of --opt, or NULL when absent; *missing_value when present
 * without one. */
static const char *arg_get(struct args *a, const char *opt,
			   bool *missing_value)
{
	int i = arg_index(a, opt);
	const char *eq;

	if (missing_value)
		*missing_value = false;
	if (i < 0)
		return NULL;
	a->used[i] = true;
	eq = strchr(a->argv[i], '=');
	if (eq)
		return eq + 1;
	if (i + 1 < a->argc && !is_opt(a->argv[i + 1])) {
		a->used[i + 1] = true;
		return a->argv[i + 1];
	}
	if (missing_value)
		*missing_value = true;
	return NULL;
}

static bool arg_flag(struct args *a, const char *opt)
{
	int i = arg_index(a, opt);

	if (i < 0)
		return false;
	a->used[i] = true;
	return true;
}

/* The words after --opt up to the next option ("a b c" or "a,b"
 * is left to the caller); *n of them from *first. */
static int arg_list(struct args *a, const char *opt, int *first)
{
	int i = arg_index(a, opt), n = 0;

	if (i < 0)
		return -1;
	a->used[i] = true;
	*first = i + 1;
	while (i + 1 + n < a->argc && !is_opt(a->argv[i + 1 + n])) {
		a->used[i + 1 + n] = true;
		n++;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* The working copy */

struct ctx {
	struct lab *m;			/* working copy */
	struct ec2_state *st;		/* working records */
	struct args *a;
	time_t now;
	struct ec2_error *err;
	json_t *out;			/* output built before commit */
	/* output built after commit, from the final model */
	enum { POST_NONE, POST_PEERING, POST_RUN } post;
	char post_id[MODEL_ID_MAX];
	const char *post_code;		/* peering output status */
	const char *post_msg;
};

static const char *opt_req(struct ctx *c, const char *opt, const char *param,
			   int *ret)
{
	bool missing;
	const char *v = arg_get(c->a, opt, &missing);

	if (!v)
		*ret = EFAIL(c, "MissingParameter",
			     "The request must contain the parameter %s",
			     param);
	return v;
}

/* Parses text into a model; the first error becomes err. */
static int rebuild(const struct lab *from, const char *text,
		   struct diags **ret_d, struct lab **ret, bool check,
		   struct ec2_error *err)
{
	struct diags *d = calloc(1, sizeof(*d));
	struct conf_file *f;
	struct lab *lab = NULL;
	size_t i;
	int r = 0;

	*ret = NULL;
	*ret_d = NULL;
	if (!d)
		return fail(err, -ENOMEM, "Vpcemu.NoMemory", "Out of memory");
	f = conf_parse_buffer(from->file ? from->file : from->name, text,
			      strlen(text), d);
	if (f && !d->nerrors)
		lab = model_build(f, from->name, d);
	conf_free(f);
	if (!f || (!lab && !d->nerrors)) {
		r = fail(err, -ENOMEM, "Vpcemu.NoMemory", "Out of memory");
		goto out;
	}
	if (check && lab && !d->nerrors)
		check_lab(lab, d);
	for (i = 0; i < d->n; i++)
		if (d->v[i].severity == DIAG_ERROR) {
			r = fail(err, -EINVAL, d->v[i].code, "%s",
				 d->v[i].message);
			goto out;
		}
out:
	if (r) {
		lab_free(lab);
		diags_free(d);
		free(d);
		return r;
	}
	*ret = lab;
	*ret_d = d;
	return 0;
}

static int print_err(const struct lab *lab, char **text,
		     struct ec2_error *err)
{
	const struct res *bad = NULL;
	int r = print_lab_to(lab, text, &bad);

	if (r == -ENOMEM)
		return fail(err, r, "Vpcemu.NoMemory", "Out of memory");
	if (r)
		return fail(err, -ENOTSUP, "Vpcemu.Unsupported",
			    "The lab file format cannot hold this change%s%s%s%s",
			    bad ? " (" : "", bad ? res_kind_name(bad->kind) : "",
			    bad ? " " : "", bad ? bad->name : "");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Lookups */

static void *get_res(struct ctx *c, enum res_kind k, const char *ref,
		     const char *code, const char *what, int *ret)
{
	struct res *r = ref ? model_find(c->m, k, ref) : NULL;

	if (!r)
		*ret = EFAIL(c, code, "The %s ID '%s' does not exist", what,
			     ref ? ref : "");
	return r;
}

#define GET_VPC(c, ref, ret)                                                  \
	((struct vpc *)get_res(c, RES_VPC, ref, "InvalidVpcID.NotFound",      \
			       "vpc", ret))
#define GET_SUBNET(c, ref, ret)                                               \
	((struct subnet *)get_res(c, RES_SUBNET, ref,                         \
				  "InvalidSubnetID.NotFound", "subnet", ret))
#define GET_RTB(c, ref, ret)                                                  \
	((struct route_table *)get_res(c, RES_ROUTE_TABLE, ref,               \
				       "InvalidRouteTableID.NotFound",        \
				       "routeTable", ret))
#define GET_PCX(c, ref, ret)                                                  \
	((struct peering *)get_res(c, RES_PEERING, ref,                       \
				   "InvalidVpcPeeringConnectionID.NotFound",  \
				   "vpcPeeringConnection", ret))
#define GET_ACL(c, ref, ret)                                                  \
	((struct nacl *)get_res(c, RES_NACL, ref,                             \
				"InvalidNetworkAclID.NotFound", "networkAcl", \
				ret))
#define GET_INSTANCE(c, ref, ret)                                             \
	((struct instance *)get_res(c, RES_INSTANCE, ref,                     \
				    "InvalidInstanceID.NotFound", "instance", \
				    ret))

static struct sg *get_sg(struct ctx *c, const char *ref, int *ret)
{
	struct sg *g = ref ? (struct sg *)model_find(c->m, RES_SG, ref) : NULL;

	if (!g)
		*ret = EFAIL(c, "InvalidGroup.NotFound",
			     "The security group '%s' does not exist",
			     ref ? ref : "");
	return g;
}

static int get_cidr(struct ctx *c, const char *s, const char *param,
		    struct cidr *out)
{
	if (!s || cidr_parse(s, out))
		return EFAIL(c, "InvalidParameterValue",
			     "Value (%s) for parameter %s is invalid. This is not a valid CIDR block.",
			     s ? s : "", param);
	return 0;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool name_ok(const char *s)
{
	static const char *const id_like[] = {
		"vpc-", "subnet-", "rtb-", "acl-", "sg-", "sgr-", "eni-", "i-",
		"pcx-", "igw-", "eigw-", "nat-", "vpce-", "vgw-", "tgw-", "pl-",
	};
	size_t i, n = strlen(s);

	if (!n || n > NAME_MAX_LEN || !isalnum((unsigned char)s[0]))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	for (i = 0; i < ARRAY_SIZE(id_like); i++)
		if (!strncmp(s, id_like[i], strlen(id_like[i])))
			return false;
	return true;
}

/* A name for a new resource: base, else base-2, base-3, ... */
static char *unique_name(const struct lab *m, const char *base)
{
	char buf[NAME_MAX_LEN + 1];
	unsigned k;

	for (k = 1; k < 100000; k++) {
		if (k == 1)
			snprintf(buf, sizeof(buf), "%s", base);
		else
			snprintf(buf, sizeof(buf), "%.*s-%u", NAME_MAX_LEN - 7,
				 base, k);
		if (name_ok(buf) && !model_find(m, RES__COUNT, buf))
			return strdup(buf);
	}
	return NULL;
}

/* Array helpers: the model's arrays are plain malloc'd memory. */
static int grow(void **v, size_t n, size_t sz)
{
	void *p = reallocarray(*v, n + 1, sz);

	if (!p)
		return -ENOMEM;
	*v = p;
	memset((char *)p + n * sz, 0, sz);
	return 0;
}

static void remove_at(void *v, size_t *n, size_t sz, size_t i)
{
	char *b = v;

	memmove(b + i * sz, b + (i + 1) * sz, (*n - i - 1) * sz);
	(*n)--;
}

/* ------------------------------------------------------------------ */
/* Tags: "ResourceType=instance,Tags=[{Key=Name,Value=X}]" or the JSON
 * form; returns the Name tag's value (malloc'd) or NULL in *ret_name. */

static int tag_name(struct ctx *c, const char *spec, const char *rtype,
		    char **ret_name)
{
	json_t *j, *o, *t, *tags;
	size_t i, k;
	const char *p;

	*ret_name = NULL;
	if (!spec)
		return 0;
	j = json_loads(spec, JSON_DECODE_ANY, NULL);
	if (j) {
		if (json_is_object(j)) {
			json_t *arr = json_array();

			if (!arr || json_array_append(arr, j)) {
				json_decref(arr);
				json_decref(j);
				return ENOMEM_FAIL(c);
			}
			json_decref(j);
			j = arr;
		}
		json_array_foreach(j, i, o) {
			const char *rt = json_string_value(
				json_object_get(o, "ResourceType"));

			if (rt && strcmp(rt, rtype))
				continue;
			tags = json_object_get(o, "Tags");
			json_array_foreach(tags, k, t) {
				const char *key = json_string_value(
					json_object_get(t, "Key"));
				const char *val = json_string_value(
					json_object_get(t, "Value"));

				if (key && val && !strcmp(key, "Name")) {
					*ret_name = strdup(val);
					json_decref(j);
					return *ret_name ? 0 : ENOMEM_FAIL(c);
				}
			}
		}
		json_decref(j);
		return 0;
	}
	/* Shorthand: find "Key=Name,Value=" and read up to '}' or ','. */
	if (strstr(spec, "ResourceType=") &&
	    !strstr(spec, rtype))
		return 0;
	p = strstr(spec, "Key=Name,Value=");
	if (!p)
		return 0;
	p += strlen("Key=Name,Value=");
	*ret_name = strndup(p, strcspn(p, "},]"));
	return *ret_name ? 0 : ENOMEM_FAIL(c);
}

/* ------------------------------------------------------------------ */
/* Peerings */

static const char *eff_name(struct ctx *c, const struct peering *p)
{
	return ec2_status_code(ec2_peering_status(c->st, p));
}

static int invalid_transition(struct ctx *c, const struct peering *p,
			      const char *to)
{
	return EFAIL(c, "InvalidStateTransition",
		     "Invalid state transition for %s, attempted to transition from %s to %s",
		     p->r.id, eff_name(c, p), to);
}

static int cmd_create_peering(struct ctx *c)
{
	const char *vref, *pref, *region, *owner, *tags;
	struct vpc *rq, *ac;
	struct peering *p, *o;
	char *name = NULL, base[NAME_MAX_LEN + 1];
	struct ec2_peering_rec *rec;
	int ret = 0;
	size_t i;

	vref = opt_req(c, "--vpc-id", "vpcId", &ret);
	if (!vref)
		return ret;
	pref = opt_req(c, "--peer-vpc-id", "peerVpcId", &ret);
	if (!pref)
		return ret;
	region = arg_get(c->a, "--peer-region", NULL);
	owner = arg_get(c->a, "--peer-owner-id", NULL);
	tags = arg_get(c->a, "--tag-specifications", NULL);
	rq = GET_VPC(c, vref, &ret);
	if (!rq)
		return ret;
	ac = GET_VPC(c, pref, &ret);
	if (!ac)
		return ret;
	if (rq == ac)
		return EFAIL(c, "InvalidParameterValue",
			     "A VPC cannot be peered with itself (%s)",
			     rq->r.id);
	/* A wrong region or owner would make AWS fail the peering; the lab
	 * format holds failed only for overlaps, so refuse it up front. */
	if (region && strcmp(region, ac->region))
		return EFAIL(c, "InvalidVpcID.NotFound",
			     "The vpc ID '%s' does not exist in region %s",
			     ac->r.id, region);
	if (owner && strcmp(owner, ac->account))
		return EFAIL(c, "InvalidVpcID.NotFound",
			     "The vpc ID '%s' does not exist in account %s",
			     ac->r.id, owner);
	for (i = 0; i < c->m->npeerings; i++) {
		o = c->m->peerings[i];
		if (!((o->requester == rq && o->accepter == ac) ||
		      (o->requester == ac && o->accepter == rq)))
			continue;
		if (!peering_status_terminal(ec2_peering_status(c->st, o)))
			return EFAIL(c, "VpcPeeringConnectionAlreadyExists",
				     "A VPC peering connection already exists between %s and %s: %s",
				     rq->r.id, ac->r.id, o->r.id);
	}
	ret = tag_name(c, tags, "vpc-peering-connection", &name);
	if (ret)
		return ret;
	if (name) {
		if (!name_ok(name) || model_find(c->m, RES__COUNT, name)) {
			ret = EFAIL(c, "InvalidParameterValue",
				    "Name tag '%s' is not a valid or free lab name ([A-Za-z0-9][A-Za-z0-9._-]{0,47}, not ID-like, unique in the lab)",
				    name);
			free(name);
			return ret;
		}
	} else {
		snprintf(base, sizeof(base), "%.21s-to-%.21s", rq->r.name,
			 ac->r.name);
		name = unique_name(c->m, name_ok(base) ? base : "peering");
		if (!name)
			return ENOMEM_FAIL(c);
	}
	p = calloc(1, sizeof(*p));
	if (!p || grow((void **)&c->m->peerings, c->m->npeerings,
		       sizeof(*c->m->peerings))) {
		free(p);
		free(name);
		return ENOMEM_FAIL(c);
	}
	p->r.kind = RES_PEERING;
	p->r.name = name;
	model_make_id(p->r.id, "pcx-", c->m->name,
		      res_kind_name(RES_PEERING), name);
	p->requester = rq;
	p->accepter = ac;
	p->status = PEERING_PENDING_ACCEPTANCE;
	c->m->peerings[c->m->npeerings++] = p;

	/* A record left from an earlier peering of the same name (deleted
	 * and purged) starts over. */
	rec = ec2_state_add(c->st, p->r.id, c->now);
	if (!rec)
		return ENOMEM_FAIL(c);
	rec->created = rec->changed = c->now;
	rec->override = false;
	rec->status = PEERING_ACTIVE;

	c->post = POST_PEERING;
	snprintf(c->post_id, sizeof(c->post_id), "%s", p->r.id);
	c->post_code = "initiating-request";
	c->post_msg = "Initiating Request to";
	return 0;
}

static int cmd_peering_transition(struct ctx *c, const char *cmd)
{
	const char *ref;
	struct peering *p;
	struct ec2_peering_rec *rec;
	enum peering_status s;
	int ret = 0;

	ref = opt_req(c, "--vpc-peering-connection-id",
		      "vpcPeeringConnectionId", &ret);
	if (!ref)
		return ret;
	p = GET_PCX(c, ref, &ret);
	if (!p)
		return ret;
	rec = ec2_state_add(c->st, p->r.id, c->now);
	if (!rec)
		return ENOMEM_FAIL(c);
	s = ec2_peering_status(c->st, p);
	if (!strcmp(cmd, "accept-vpc-peering-connection")) {
		if (s != PEERING_PENDING_ACCEPTANCE)
			return invalid_transition(c, p, "provisioning");
		p->status = PEERING_ACTIVE;
		c->post = POST_PEERING;
		snprintf(c->post_id, sizeof(c->post_id), "%s", p->r.id);
		c->post_code = "provisioning";
		c->post_msg = "Provisioning";
	} else if (!strcmp(cmd, "reject-vpc-peering-connection")) {
		if (s != PEERING_PENDING_ACCEPTANCE)
			return invalid_transition(c, p, "rejected");
		p->status = PEERING_REJECTED;
		c->out = json_pack("{s:b}", "Return", 1);
	} else {
		if (s != PEERING_PENDING_ACCEPTANCE && s != PEERING_ACTIVE)
			return invalid_transition(c, p, "deleting");
		p->status = PEERING_REJECTED;	/* stand-in, see ec2.h */
		rec->override = true;
		rec->status = PEERING_DELETED;
		c->out = json_pack("{s:b}", "Return", 1);
	}
	rec->changed = c->now;
	if (!c->post && !c->out)
		return ENOMEM_FAIL(c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Routes */

static struct route *route_find(struct route_table *t, struct cidr dst)
{
	size_t i;

	for (i = 0; i < t->nroutes; i++)
		if (t->routes[i].dst.addr == dst.addr &&
		    t->routes[i].dst.len == dst.len)
			return &t->routes[i];
	return NULL;
}

static bool is_local(const struct route_table *t, struct cidr dst)
{
	size_t i;

	for (i = 0; t->vpc && i < t->vpc->ncidrs; i++)
		if (t->vpc->cidrs[i].addr == dst.addr &&
		    t->vpc->cidrs[i].len == dst.len)
			return true;
	return false;
}

/* The one target of create-route / replace-route, into rt. */
static int route_target(struct ctx *c, struct route *rt)
{
	const char *pcx = arg_get(c->a, "--vpc-peering-connection-id", NULL);
	const char *inst = arg_get(c->a, "--instance-id", NULL);
	const char *gw = arg_get(c->a, "--gateway-id", NULL);
	const char *eni = arg_get(c->a, "--network-interface-id", NULL);
	static const char *const others[] = {
		"--nat-gateway-id", "--transit-gateway-id",
		"--egress-only-internet-gateway-id", "--local-gateway-id",
		"--carrier-gateway-id", "--vpc-endpoint-id", "--core-network-arn",
		"--destination-prefix-list-id",
	};
	int n = !!pcx + !!inst + !!gw + !!eni, ret = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(others); i++)
		if (arg_index(c->a, others[i]) >= 0)
			return EUNSUP(c, "%s is not supported by vpcemu yet",
				      others[i]);
	if (n == 0)
		return EFAIL(c, "MissingParameter",
			     "The request must contain exactly one of gatewayId, instanceId, networkInterfaceId or vpcPeeringConnectionId");
	if (n > 1)
		return EFAIL(c, "InvalidParameterCombination",
			     "The request must contain exactly one of gatewayId, instanceId, networkInterfaceId or vpcPeeringConnectionId");
	rt->target = NULL;
	if (pcx) {
		struct peering *p = GET_PCX(c, pcx, &ret);

		rt->target = p ? &p->r : NULL;
		return p ? 0 : ret;
	}
	if (inst) {
		struct instance *in = GET_INSTANCE(c, inst, &ret);

		rt->target = in ? &in->r : NULL;
		return in ? 0 : ret;
	}
	if (eni) {
		struct eni *e = (struct eni *)model_find(c->m, RES_ENI, eni);

		if (!e)
			return EFAIL(c, "InvalidNetworkInterfaceID.NotFound",
				     "The networkInterface ID '%s' does not exist",
				     eni);
		if (!e->instance)
			return EUNSUP(c,
				      "A route to an endpoint's network interface (%s) is not supported",
				      e->r.id);
		rt->target = &e->instance->r;
		return 0;
	}
	rt->target = model_find(c->m, RES_ENDPOINT, gw);
	if (!rt->target ||
	    ((struct endpoint *)rt->target)->type != ENDPOINT_GATEWAY) {
		rt->target = NULL;
		if (!strncmp(gw, "igw-", 4) || !strncmp(gw, "vgw-", 4))
			return EUNSUP(c,
				      "Internet and virtual private gateways are not supported by vpcemu yet (%s)",
				      gw);
		return EFAIL(c, "InvalidGatewayID.NotFound",
			     "The gateway ID '%s' does not exist", gw);
	}
	return 0;
}

static int cmd_route(struct ctx *c, const char *cmd)
{
	const char *tref, *dref;
	struct route_table *t;
	struct route *r, nr = { 0 };
	struct cidr dst;
	char buf[19];
	int ret = 0;

	tref = opt_req(c, "--route-table-id", "routeTableId", &ret);
	if (!tref)
		return ret;
	dref = arg_get(c->a, "--destination-cidr-block", NULL);
	if (!dref) {
		if (arg_index(c->a, "--destination-ipv6-cidr-block") >= 0)
			return EUNSUP(c, "IPv6 routes are not supported by vpcemu yet");
		return EFAIL(c, "MissingParameter",
			     "The request must contain the parameter destinationCidrBlock");
	}
	t = GET_RTB(c, tref, &ret);
	if (!t)
		return ret;
	ret = get_cidr(c, dref, "destinationCidrBlock", &dst);
	if (ret)
		return ret;
	cidr_fmt(dst, buf);
	r = route_find(t, dst);
	if (!strcmp(cmd, "delete-route")) {
		if (!r && is_local(t, dst))
			return EFAIL(c, "InvalidParameterValue",
				     "cannot remove local route %s in route table %s",
				     buf, t->r.id);
		if (!r)
			return EFAIL(c, "InvalidRoute.NotFound",
				     "There is no route defined for '%s' in the route table. Please correct the request and try again.",
				     buf);
		remove_at(t->routes, &t->nroutes, sizeof(*t->routes),
			  (size_t)(r - t->routes));
		c->out = json_object();
		return c->out ? 0 : ENOMEM_FAIL(c);
	}
	if (!strcmp(cmd, "replace-route")) {
		if (!r && is_local(t, dst))
			return EUNSUP(c,
				      "The local route %s in route table %s is fixed in vpcemu",
				      buf, t->r.id);
		if (!r)
			return EFAIL(c, "InvalidRoute.NotFound",
				     "There is no route defined for '%s' in the route table. Please correct the request and try again.",
				     buf);
		ret = route_target(c, r);
		if (ret)
			return ret;
		c->out = json_object();
		return c->out ? 0 : ENOMEM_FAIL(c);
	}
	/* create-route */
	if (r || is_local(t, dst))
		return EFAIL(c, "RouteAlreadyExists",
			     "The route identified by %s already exists.", buf);
	nr.dst = dst;
	ret = route_target(c, &nr);
	if (ret)
		return ret;
	if (t->r.implicit)
		return EUNSUP(c,
			      "Routes on the implicit main route table %s (%s) cannot be kept in the lab file yet; create-route on a route table written in the lab",
			      t->r.name, t->r.id);
	if (grow((void **)&t->routes, t->nroutes, sizeof(*t->routes)))
		return ENOMEM_FAIL(c);
	t->routes[t->nroutes++] = nr;
	c->out = json_pack("{s:b}", "Return", 1);
	return c->out ? 0 : ENOMEM_FAIL(c);
}

static void assoc_id(const struct lab *m, const struct route_table *t,
		     const struct subnet *s, char *out)
{
	describe_assoc_id(m, t->r.id, s->r.id, out);
}

static void assoc_remove(struct route_table *t, size_t k)
{
	size_t n = t->nassoc;

	remove_at(t->assoc, &t->nassoc, sizeof(*t->assoc), k);
	if (t->assoc_at)
		remove_at(t->assoc_at, &n, sizeof(*t->assoc_at), k);
}

/* The table that holds an explicit association of s, and its index. */
static struct route_table *assoc_of(struct lab *m, const struct subnet *s,
				    size_t *k)
{
	size_t i, j;

	for (i = 0; i < m->nroute_tables; i++)
		for (j = 0; j < m->route_tables[i]->nassoc; j++)
			if (m->route_tables[i]->assoc[j] == s) {
				*k = j;
				return m->route_tables[i];
			}
	return NULL;
}

static int cmd_associate_rt(struct ctx *c)
{
	const char *tref, *sref;
	struct route_table *t, *old;
	struct subnet *s;
	char id[MODEL_ID_MAX + 8];
	size_t k = 0;
	int ret = 0;

	tref = opt_req(c, "--route-table-id", "routeTableId", &ret);
	if (!tref)
		return ret;
	sref = arg_get(c->a, "--subnet-id", NULL);
	if (!sref) {
		if (arg_index(c->a, "--gateway-id") >= 0)
			return EUNSUP(c, "Gateway route tables are not supported by vpcemu yet");
		return EFAIL(c, "MissingParameter",
			     "The request must contain the parameter subnetId");
	}
	t = GET_RTB(c, tref, &ret);
	if (!t)
		return ret;
	s = GET_SUBNET(c, sref, &ret);
	if (!s)
		return ret;
	if (s->vpc != t->vpc)
		return EFAIL(c, "InvalidParameterValue",
			     "Route table %s and subnet %s belong to different networks",
			     t->r.id, s->r.id);
	old = assoc_of(c->m, s, &k);
	if (old == t)
		return EFAIL(c, "Resource.AlreadyAssociated",
			     "the specified association for route table %s conflicts with an existing association",
			     t->r.id);
	/* the new association replaces the old one. */
	if (old)
		assoc_remove(old, k);
	/* The implicit main table takes no written association; without
	 * the explicit one the subnet uses it all the same. */
	if (!t->r.implicit) {
		if (grow((void **)&t->assoc, t->nassoc, sizeof(*t->assoc)) ||
		    grow((void **)&t->assoc_at, t->nassoc,
			 sizeof(*t->assoc_at)))
			return ENOMEM_FAIL(c);
		t->assoc[t->nassoc++] = s;
	}
	assoc_id(c->m, t, s, id);
	c->out = json_pack("{s:s, s:{s:s}}", "AssociationId", id,
			   "AssociationState", "State", "associated");
	return c->out ? 0 : ENOMEM_FAIL(c);
}

static int cmd_disassociate_rt(struct ctx *c)
{
	const char *aref;
	char id[MODEL_ID_MAX + 8];
	size_t i, j;
	int ret = 0;

	aref = opt_req(c, "--association-id", "associationId", &ret);
	if (!aref)
		return ret;
	for (i = 0; i < c->m->nroute_tables; i++) {
		struct route_table *t = c->m->route_tables[i];

		for (j = 0; j < t->nassoc; j++) {
			assoc_id(c->m, t, t->assoc[j], id);
			if (strcmp(id, aref))
				continue;
			assoc_remove(t, j);
			c->out = json_object();
			return c->out ? 0 : ENOMEM_FAIL(c);
		}
	}
	return EFAIL(c, "InvalidAssociationID.NotFound",
		     "The association ID '%s' does not exist", aref);
}

/* ------------------------------------------------------------------ */
/* Protocols (security groups and network ACLs) */

static int parse_protocol(struct ctx *c, const char *s, struct proto_match *pm)
{
	long n;

	*pm = (struct proto_match){ .kind = PROTO_ALL, .port_hi = 65535,
				    .icmp_type = -1, .icmp_code = -1 };
	if (!s)
		return EFAIL(c, "MissingParameter",
			     "The request must contain the parameter ipProtocol");
	if (!strcmp(s, "-1") || !strcasecmp(s, "all"))
		return 0;
	if (!strcasecmp(s, "tcp") || !strcmp(s, "6")) {
		pm->kind = PROTO_TCP;
		pm->number = 6;
	} else if (!strcasecmp(s, "udp") || !strcmp(s, "17")) {
		pm->kind = PROTO_UDP;
		pm->number = 17;
	} else if (!strcasecmp(s, "icmp") || !strcmp(s, "1")) {
		pm->kind = PROTO_ICMP;
		pm->number = 1;
	} else if (!strcasecmp(s, "icmpv6") || !strcmp(s, "58")) {
		return EUNSUP(c, "IPv6 (icmpv6) rules are not supported by vpcemu yet");
	} else if (parse_long(s, 0, 255, &n)) {
		pm->kind = PROTO_NUMBER;
		pm->number = (uint8_t)n;
	} else {
		return EFAIL(c, "InvalidParameterValue",
			     "Invalid value '%s' for IP protocol. Unknown protocol.",
			     s);
	}
	return 0;
}

/* FromPort/ToPort as AWS has them: ports for tcp/udp, type/code for icmp,
 * ignored otherwise. has_* false: not given. */
static int set_ports(struct ctx *c, struct proto_match *pm, bool has_from,
		     long from, bool has_to, long to)
{
	if (pm->kind == PROTO_TCP || pm->kind == PROTO_UDP) {
		if (!has_from && !has_to)
			return 0;
		if (!has_from)
			from = to;
		if (!has_to)
			to = from;
		if (from == -1 && to == -1)
			return 0;
		if (from < 0 || to > 65535 || from > to)
			return EFAIL(c, "InvalidParameterValue",
				     "Invalid port range: from %ld to %ld",
				     from, to);
		pm->port_lo = (uint16_t)from;
		pm->port_hi = (uint16_t)to;
	} else if (pm->kind == PROTO_ICMP) {
		if (!has_from)
			from = -1;
		if (!has_to)
			to = -1;
		if (from < -1 || from > 255 || to < -1 || to > 255)
			return EFAIL(c, "InvalidParameterValue",
				     "Invalid ICMP type %ld or code %ld", from,
				     to);
		pm->icmp_type = (int)from;
		/* "All types" forces "all codes". */
		pm->icmp_code = from == -1 ? -1 : (int)to;
	}
	return 0;
}

/* CLI --port: "N", "N-M", "-1"; for icmp "TYPE" or "TYPE-CODE". */
static int parse_port_opt(struct ctx *c, const char *s, struct proto_match *pm)
{
	char a[16] = "", *dash;
	long from, to;

	if (!s)
		return 0;
	if (!strcmp(s, "-1"))
		return set_ports(c, pm, true, -1, true, -1);
	snprintf(a, sizeof(a), "%s", s);
	dash = strchr(a + 1, '-');
	if (dash)
		*dash = '\0';
	if (!parse_long(a, -1, 65535, &from) ||
	    (dash && !parse_long(dash + 1, -1, 65535, &to)))
		return EFAIL(c, "InvalidParameterValue",
			     "Invalid value '%s' for port", s);
	return set_ports(c, pm, true, from, !!dash, dash ? to : from);
}

/* ------------------------------------------------------------------ */
/* Security group rules */

static bool rule_same(const struct sg_rule *a, const struct sg_rule *b)
{
	const struct proto_match *x = &a->proto, *y = &b->proto;

	if (a->dir != b->dir || a->peer_kind != b->peer_kind ||
	    x->kind != y->kind)
		return false;
	if (a->peer_kind == SG_PEER_CIDR ?
		    (a->cidr.addr != b->cidr.addr || a->cidr.len != b->cidr.len) :
		    a->peer_sg != b->peer_sg)
		return false;
	switch (x->kind) {
	case PROTO_ALL:
		return true;
	case PROTO_NUMBER:
		return x->number == y->number;
	case PROTO_ICMP:
		return x->icmp_type == y->icmp_type &&
		       x->icmp_code == y->icmp_code;
	default:
		return x->port_lo == y->port_lo && x->port_hi == y->port_hi;
	}
}

struct rule_list {
	struct sg_rule *v;
	size_t n;
};

static void rule_list_free(struct rule_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].description);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int rule_push(struct ctx *c, struct rule_list *l, enum direction dir,
		     const struct proto_match *pm, const struct cidr *cidr,
		     struct sg *peer, const char *desc)
{
	struct sg_rule *r;

	if (grow((void **)&l->v, l->n, sizeof(*l->v)))
		return ENOMEM_FAIL(c);
	r = &l->v[l->n++];
	r->dir = dir;
	r->proto = *pm;
	if (cidr) {
		r->peer_kind = SG_PEER_CIDR;
		r->cidr = *cidr;
	} else {
		r->peer_kind = SG_PEER_SG;
		r->peer_sg = peer;
	}
	if (desc) {
		r->description = strdup(desc);
		if (!r->description)
			return ENOMEM_FAIL(c);
	}
	return 0;
}

static int perm_json(struct ctx *c, const json_t *perm, enum direction dir,
		     struct rule_list *l)
{
	const json_t *proto = json_object_get(perm, "IpProtocol");
	const json_t *from = json_object_get(perm, "FromPort");
	const json_t *to = json_object_get(perm, "ToPort");
	const json_t *ranges = json_object_get(perm, "IpRanges");
	const json_t *pairs = json_object_get(perm, "UserIdGroupPairs");
	const json_t *x;
	struct proto_match pm;
	char pbuf[16];
	const char *ps;
	size_t i;
	int ret;

	if (json_array_size(json_object_get(perm, "Ipv6Ranges")) ||
	    json_array_size(json_object_get(perm, "PrefixListIds")))
		return EUNSUP(c, "IPv6 ranges and prefix lists in security group rules are not supported by vpcemu yet");
	if (json_is_integer(proto)) {
		snprintf(pbuf, sizeof(pbuf), "%lld",
			 (long long)json_integer_value(proto));
		ps = pbuf;
	} else {
		ps = json_string_value(proto);
	}
	ret = parse_protocol(c, ps, &pm);
	if (ret)
		return ret;
	if ((from && !json_is_integer(from)) || (to && !json_is_integer(to)))
		return EFAIL(c, "InvalidParameterValue",
			     "FromPort and ToPort must be integers");
	ret = set_ports(c, &pm, !!from, (long)json_integer_value(from), !!to,
			(long)json_integer_value(to));
	if (ret)
		return ret;
	json_array_foreach(ranges, i, x) {
		const char *cs = json_string_value(json_object_get(x, "CidrIp"));
		struct cidr cd;

		ret = get_cidr(c, cs, "CidrIp", &cd);
		if (!ret)
			ret = rule_push(c, l, dir, &pm, &cd, NULL,
					json_string_value(json_object_get(
						x, "Description")));
		if (ret)
			return ret;
	}
	json_array_foreach(pairs, i, x) {
		const char *gs = json_string_value(json_object_get(x, "GroupId"));
		struct sg *g;

		if (!gs)
			gs = json_string_value(json_object_get(x, "GroupName"));
		g = get_sg(c, gs, &ret);
		if (!g)
			return ret;
		ret = rule_push(c, l, dir, &pm, NULL, g,
				json_string_value(json_object_get(x,
								  "Description")));
		if (ret)
			return ret;
	}
	if (!json_array_size(ranges) && !json_array_size(pairs))
		return EFAIL(c, "MissingParameter",
			     "The request must contain a CIDR (IpRanges) or a group (UserIdGroupPairs) for each permission");
	return 0;
}

static int sg_perms(struct ctx *c, enum direction dir, struct rule_list *l)
{
	const char *perms = arg_get(c->a, "--ip-permissions", NULL);
	const char *proto = arg_get(c->a, "--protocol", NULL);
	const char *port = arg_get(c->a, "--port", NULL);
	const char *cidr = arg_get(c->a, "--cidr", NULL);
	const char *src = arg_get(c->a, "--source-group", NULL);
	struct proto_match pm;
	struct cidr cd;
	json_t *j, *x;
	size_t i;
	int ret = 0;

	if (!src)
		src = arg_get(c->a, "--destination-group", NULL);
	if (perms) {
		json_error_t je;

		if (proto || port || cidr || src)
			return EFAIL(c, "InvalidParameterCombination",
				     "The parameter 'ipPermissions' may not be used in combination with 'protocol', 'port', 'cidr' or 'sourceGroup'");
		j = json_loads(perms, JSON_DECODE_ANY, &je);
		if (!j || !(json_is_array(j) || json_is_object(j))) {
			json_decref(j);
			return EFAIL(c, "InvalidParameterValue",
				     "--ip-permissions: expected JSON in the EC2 API's shape ([{\"IpProtocol\": ..., \"FromPort\": ..., \"ToPort\": ..., \"IpRanges\": [{\"CidrIp\": ...}]}])");
		}
		if (json_is_object(j)) {
			ret = perm_json(c, j, dir, l);
		} else {
			json_array_foreach(j, i, x) {
				ret = perm_json(c, x, dir, l);
				if (ret)
					break;
			}
		}
		json_decref(j);
		if (!ret && !l->n)
			ret = EFAIL(c, "MissingParameter",
				    "The request must contain the parameter ipPermissions");
		return ret;
	}
	ret = parse_protocol(c, proto, &pm);
	if (!ret)
		ret = parse_port_opt(c, port, &pm);
	if (ret)
		return ret;
	if (!!cidr == !!src)
		return EFAIL(c, "InvalidParameterCombination",
			     "Give exactly one of --cidr or --source-group");
	if (cidr) {
		ret = get_cidr(c, cidr, "cidrIp", &cd);
		return ret ? ret : rule_push(c, l, dir, &pm, &cd, NULL, NULL);
	}
	{
		struct sg *g = get_sg(c, src, &ret);

		return g ? rule_push(c, l, dir, &pm, NULL, g, NULL) : ret;
	}
}

static int cmd_sg_rules(struct ctx *c, const char *cmd)
{
	bool authorize = !strncmp(cmd, "authorize", 9);
	enum direction dir = strstr(cmd, "egress") ? DIR_EGRESS : DIR_INGRESS;
	struct rule_list l = { 0 };
	const char *gref;
	struct sg *g;
	size_t i, j, at;
	json_t *rules = NULL;
	char text[160];
	int ret = 0;

	gref = arg_get(c->a, "--group-id", NULL);
	if (!gref)
		gref = arg_get(c->a, "--group-name", NULL);
	if (!gref)
		return EFAIL(c, "MissingParameter",
			     "The request must contain the parameter groupId");
	g = get_sg(c, gref, &ret);
	if (!g)
		return ret;
	ret = sg_perms(c, dir, &l);
	if (ret)
		goto out;
	if (g->r.implicit) {
		ret = EUNSUP(c,
			     "Rules of the default security group %s (%s) cannot be kept in the lab file yet; change a group written in the lab",
			     g->r.name, g->r.id);
		goto out;
	}
	if (!authorize) {
		for (i = 0; i < l.n; i++) {
			for (j = 0; j < g->nrules; j++)
				if (rule_same(&g->rules[j], &l.v[i]))
					break;
			if (j == g->nrules) {
				ret = EFAIL(c, "InvalidPermission.NotFound",
					    "The specified rule does not exist in this security group.");
				goto out;
			}
			free(g->rules[j].description);
			remove_at(g->rules, &g->nrules, sizeof(*g->rules), j);
		}
		for (j = 0; j < g->nrules; j++)
			if (g->rules[j].dir == DIR_EGRESS)
				break;
		g->egress_none = j == g->nrules;
		c->out = json_pack("{s:b}", "Return", 1);
		ret = c->out ? 0 : ENOMEM_FAIL(c);
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		bool dup = false;

		for (j = 0; j < g->nrules && !dup; j++)
			dup = rule_same(&g->rules[j], &l.v[i]);
		for (j = 0; j < i && !dup; j++)
			dup = rule_same(&l.v[j], &l.v[i]);
		if (dup) {
			sg_rule_text(&l.v[i], text, sizeof(text));
			ret = EFAIL(c, "InvalidPermission.Duplicate",
				    "the specified rule \"%s\" already exists",
				    text);
			goto out;
		}
	}
	rules = json_array();
	if (!rules) {
		ret = ENOMEM_FAIL(c);
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		json_t *o;

		/* After the last rule of the same direction, so that a
		 * group's default egress rule stays last (print.c). */
		at = dir == DIR_INGRESS ? 0 : g->nrules;
		for (j = 0; j < g->nrules; j++)
			if (g->rules[j].dir == dir)
				at = j + 1;
		if (grow((void **)&g->rules, g->nrules, sizeof(*g->rules))) {
			ret = ENOMEM_FAIL(c);
			goto out;
		}
		memmove(&g->rules[at + 1], &g->rules[at],
			(g->nrules - at) * sizeof(*g->rules));
		g->rules[at] = l.v[i];
		l.v[i].description = NULL;
		g->nrules++;
		o = describe_sg_rule(c->m, g, &g->rules[at]);
		if (!o || json_array_append_new(rules, o)) {
			ret = ENOMEM_FAIL(c);
			goto out;
		}
	}
	if (dir == DIR_EGRESS)
		g->egress_none = false;
	c->out = json_pack("{s:b, s:O}", "Return", 1, "SecurityGroupRules",
			   rules);
	ret = c->out ? 0 : ENOMEM_FAIL(c);
out:
	json_decref(rules);
	rule_list_free(&l);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Network ACL entries */

/* "From=1024,To=65535" / "Type=8,Code=-1", or the JSON form. */
static int kv_pair(struct ctx *c, const char *s, const char *k1,
		   const char *k2, long *v1, long *v2, bool *has1, bool *has2)
{
	json_t *j = json_loads(s, JSON_DECODE_ANY, NULL);
	char key[16];
	const char *p = s;

	*has1 = *has2 = false;
	if (j) {
		json_t *a = json_object_get(j, k1), *b = json_object_get(j, k2);

		*has1 = json_is_integer(a);
		*has2 = json_is_integer(b);
		*v1 = (long)json_integer_value(a);
		*v2 = (long)json_integer_value(b);
		json_decref(j);
		return 0;
	}
	while (*p) {
		size_t kl = strcspn(p, "=");
		char num[24];
		size_t nl;
		long v;

		if (p[kl] != '=' || kl >= sizeof(key))
			goto bad;
		memcpy(key, p, kl);
		key[kl] = '\0';
		p += kl + 1;
		nl = strcspn(p, ",");
		if (nl >= sizeof(num))
			goto bad;
		memcpy(num, p, nl);
		num[nl] = '\0';
		if (!parse_long(num, -1, 65535, &v))
			goto bad;
		if (!strcmp(key, k1)) {
			*v1 = v;
			*has1 = true;
		} else if (!strcmp(key, k2)) {
			*v2 = v;
			*has2 = true;
		} else {
			goto bad;
		}
		p += nl;
		if (*p == ',')
			p++;
	}
	return 0;
bad:
	return EFAIL(c, "InvalidParameterValue",
		     "Invalid value '%s': expected %s=N,%s=M", s, k1, k2);
}

static int cmd_nacl_entry(struct ctx *c, const char *cmd)
{
	const char *aref, *num, *proto, *action, *cidr, *ports, *icmp;
	bool egress = arg_flag(c->a, "--egress");
	bool create = !strncmp(cmd, "create", 6);
	bool replace = !strncmp(cmd, "replace", 7);
	enum direction dir = egress ? DIR_EGRESS : DIR_INGRESS;
	struct nacl_entry e = { 0 }, *x = NULL;
	struct nacl *n;
	long number, v1 = 0, v2 = 0;
	bool h1, h2;
	size_t i, at;
	int ret = 0;

	if (arg_flag(c->a, "--ingress") && egress)
		return EFAIL(c, "InvalidParameterCombination",
			     "Give --ingress or --egress, not both");
	arg_flag(c->a, "--no-egress");
	aref = opt_req(c, "--network-acl-id", "networkAclId", &ret);
	if (!aref)
		return ret;
	num = opt_req(c, "--rule-number", "ruleNumber", &ret);
	if (!num)
		return ret;
	n = GET_ACL(c, aref, &ret);
	if (!n)
		return ret;
	if (!parse_long(num, 1, 32766, &number))
		return EFAIL(c, "InvalidParameterValue",
			     "Invalid value '%s' for ruleNumber: must be from 1 to 32766",
			     num);
	for (i = 0; i < n->nentries; i++)
		if (n->entries[i].dir == dir &&
		    n->entries[i].number == (unsigned)number)
			x = &n->entries[i];
	if (!create && !x)
		return EFAIL(c, "InvalidNetworkAclEntry.NotFound",
			     "The network acl entry identified by %ld does not exist.",
			     number);
	if (create && x)
		return EFAIL(c, "NetworkAclEntryAlreadyExists",
			     "The network acl entry identified by %ld already exists.",
			     number);
	if (n->r.implicit)
		return EUNSUP(c,
			      "Entries of the default network ACL %s (%s) cannot be kept in the lab file yet; change a network ACL written in the lab",
			      n->r.name, n->r.id);
	if (!create && !replace) {
		remove_at(n->entries, &n->nentries, sizeof(*n->entries),
			  (size_t)(x - n->entries));
		c->out = json_object();
		return c->out ? 0 : ENOMEM_FAIL(c);
	}
	proto = opt_req(c, "--protocol", "protocol", &ret);
	if (!proto)
		return ret;
	action = opt_req(c, "--rule-action", "ruleAction", &ret);
	if (!action)
		return ret;
	cidr = arg_get(c->a, "--cidr-block", NULL);
	if (!cidr) {
		if (arg_index(c->a, "--ipv6-cidr-block") >= 0)
			return EUNSUP(c, "IPv6 network ACL entries are not supported by vpcemu yet");
		return EFAIL(c, "MissingParameter",
			     "The request must contain the parameter cidrBlock");
	}
	ports = arg_get(c->a, "--port-range", NULL);
	icmp = arg_get(c->a, "--icmp-type-code", NULL);
	e.dir = dir;
	e.number = (unsigned)number;
	if (!strcmp(action, "allow"))
		e.action = NACL_ALLOW;
	else if (!strcmp(action, "deny"))
		e.action = NACL_DENY;
	else
		return EFAIL(c, "InvalidParameterValue",
			     "Invalid value '%s' for ruleAction: expected allow or deny",
			     action);
	ret = parse_protocol(c, proto, &e.proto);
	if (!ret)
		ret = get_cidr(c, cidr, "cidrBlock", &e.cidr);
	if (ret)
		return ret;
	if (ports && (e.proto.kind == PROTO_TCP || e.proto.kind == PROTO_UDP)) {
		ret = kv_pair(c, ports, "From", "To", &v1, &v2, &h1, &h2);
		if (!ret)
			ret = set_ports(c, &e.proto, h1, v1, h2, v2);
	} else if (e.proto.kind == PROTO_TCP || e.proto.kind == PROTO_UDP) {
		ret = EFAIL(c, "InvalidParameterValue",
			    "TCP and UDP entries need --port-range From=N,To=M");
	}
	if (!ret && icmp && e.proto.kind == PROTO_ICMP) {
		ret = kv_pair(c, icmp, "Type", "Code", &v1, &v2, &h1, &h2);
		if (!ret)
			ret = set_ports(c, &e.proto, h1, v1, h2, v2);
	}
	if (ret)
		return ret;
	if (replace) {
		*x = e;
	} else {
		/* Sorted by direction, then number (model.h). */
		for (at = 0; at < n->nentries; at++)
			if (n->entries[at].dir > dir ||
			    (n->entries[at].dir == dir &&
			     n->entries[at].number > e.number))
				break;
		if (grow((void **)&n->entries, n->nentries,
			 sizeof(*n->entries)))
			return ENOMEM_FAIL(c);
		memmove(&n->entries[at + 1], &n->entries[at],
			(n->nentries - at) * sizeof(*n->entries));
		n->entries[at] = e;
		n->nentries++;
	}
	c->out = json_object();
	return c->out ? 0 : ENOMEM_FAIL(c);
}

/* ------------------------------------------------------------------ */
/* VPC attributes */

/* --enable-dns-support '{"Value":true}' | Value=true | true, or the flag
 * alone, or --no-enable-dns-support. 1, 0, or -1 when absent. */
static int bool_attr(struct ctx *c, const char *opt, int *ret)
{
	char no[64];
	const char *v;
	bool missing;
	json_t *j;

	snprintf(no, sizeof(no), "--no-%s", opt + 2);
	if (arg_flag(c->a, no))
		return 0;
	v = arg_get(c->a, opt, &missing);
	if (!v)
		return missing ? 1 : -1;
	if (!strcmp(v, "true") || !strcmp(v, "Value=true"))
		return 1;
	if (!strcmp(v, "false") || !strcmp(v, "Value=false"))
		return 0;
	j = json_loads(v, 0, NULL);
	if (j && json_is_boolean(json_object_get(j, "Value"))) {
		bool b = json_is_true(json_object_get(j, "Value"));

		json_decref(j);
		return b;
	}
	json_decref(j);
	*ret = EFAIL(c, "InvalidParameterValue",
		     "Invalid value '%s' for %s: expected {\"Value\":true|false}",
		     v, opt);
	return -2;
}

static int cmd_modify_vpc_attr(struct ctx *c)
{
	const char *vref;
	struct vpc *v;
	int sup, host, ret = 0;

	vref = opt_req(c, "--vpc-id", "vpcId", &ret);
	if (!vref)
		return ret;
	v = GET_VPC(c, vref, &ret);
	if (!v)
		return ret;
	sup = bool_attr(c, "--enable-dns-support", &ret);
	if (sup == -2)
		return ret;
	host = bool_attr(c, "--enable-dns-hostnames", &ret);
	if (host == -2)
		return ret;
	if (sup >= 0 && host >= 0)
		return EFAIL(c, "InvalidParameterCombination",
			     "Fields for multiple attribute types specified: enableDnsSupport, enableDnsHostnames");
	if (sup < 0 && host < 0)
		return EFAIL(c, "MissingParameter",
			     "The request must contain one of enableDnsSupport or enableDnsHostnames");
	/* host names only while DNS support is on. */
	if (host == 1 && !v->dns_support)
		return EFAIL(c, "InvalidParameterValue",
			     "enableDnsHostnames can be set only while enableDnsSupport is true for %s",
			     v->r.id);
	if (sup == 0 && v->dns_hostnames)
		return EFAIL(c, "InvalidParameterValue",
			     "enableDnsSupport cannot be turned off while enableDnsHostnames is true for %s",
			     v->r.id);
	if (sup >= 0)
		v->dns_support = sup;
	else
		v->dns_hostnames = host;
	c->out = json_object();
	return c->out ? 0 : ENOMEM_FAIL(c);
}

/* ------------------------------------------------------------------ */
/* Instances */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* R-2.6 (vpcemu): the lowest free address from base+4. */
static int free_ip(struct ctx *c, const struct subnet *s, uint32_t *ip)
{
	uint32_t *used = calloc(c->m->nenis + 1, sizeof(*used));
	uint64_t next = (uint64_t)s->cidr.addr + 4;
	uint64_t last = (uint64_t)s->cidr.addr +
			((uint64_t)1 << (32 - s->cidr.len)) - 1;
	size_t i, n = 0;

	if (!used)
		return ENOMEM_FAIL(c);
	for (i = 0; i < c->m->nenis; i++)
		if (c->m->enis[i]->subnet == s)
			used[n++] = c->m->enis[i]->ip;
	qsort(used, n, sizeof(*used), cmp_u32);
	while (next < last && bsearch(&(uint32_t){ (uint32_t)next }, used, n,
				      sizeof(*used), cmp_u32))
		next++;
	free(used);
	if (next >= last)
		return EFAIL(c, "InsufficientFreeAddressesInSubnet",
			     "There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.",
			     s->r.id);
	*ip = (uint32_t)next;
	return 0;
}

static int cmd_run_instances(struct ctx *c)
{
	const char *sref, *ip, *ami, *type, *count, *tags, *role, *ud;
	struct instance *in = NULL;
	struct subnet *s;
	char *name = NULL;
	int first = 0, n, i, ret = 0;

	sref = arg_get(c->a, "--subnet-id", NULL);
	if (!sref)
		return EFAIL(c, "MissingParameter",
			     "No subnet given: vpcemu labs have no default VPC; pass --subnet-id");
	s = GET_SUBNET(c, sref, &ret);
	if (!s)
		return ret;
	count = arg_get(c->a, "--count", NULL);
	if (count && strcmp(count, "1") && strcmp(count, "1:1"))
		return EUNSUP(c, "vpcemu launches one instance per call (--count 1)");
	ip = arg_get(c->a, "--private-ip-address", NULL);
	ami = arg_get(c->a, "--image-id", NULL);
	type = arg_get(c->a, "--instance-type", NULL);
	tags = arg_get(c->a, "--tag-specifications", NULL);
	role = arg_get(c->a, "--iam-instance-profile", NULL);
	ud = arg_get(c->a, "--user-data", NULL);
	arg_get(c->a, "--key-name", NULL);

	ret = tag_name(c, tags, "instance", &name);
	if (ret)
		return ret;
	if (name && (!name_ok(name) || model_find(c->m, RES__COUNT, name))) {
		ret = EFAIL(c, "InvalidParameterValue",
			    "Name tag '%s' is not a valid or free lab name ([A-Za-z0-9][A-Za-z0-9._-]{0,47}, not ID-like, unique in the lab)",
			    name);
		free(name);
		return ret;
	}
	if (!name) {
		name = unique_name(c->m, "instance");
		if (!name)
			return ENOMEM_FAIL(c);
	}
	in = calloc(1, sizeof(*in));
	if (!in) {
		free(name);
		return ENOMEM_FAIL(c);
	}
	in->r.kind = RES_INSTANCE;
	in->r.name = name;
	model_make_id(in->r.id, "i-", c->m->name, res_kind_name(RES_INSTANCE),
		      name);
	in->subnet = s;
	in->private_ip_given = true;
	in->public_ip = s->public_ip_on_launch;
	in->metadata_tokens_required = true;
	in->metadata_hop_limit = 1;
	in->ami = strdup(ami ? ami : DEFAULT_AMI);
	in->instance_type = strdup(type ? type : DEFAULT_INSTANCE_TYPE);
	if (!in->ami || !in->instance_type)
		goto oom;
	if (ud) {
		in->user_data = strdup(ud);
		if (!in->user_data)
			goto oom;
	}
	if (ip) {
		if (ip_parse(ip, &in->private_ip)) {
			ret = EFAIL(c, "InvalidParameterValue",
				    "Invalid value '%s' for privateIpAddress",
				    ip);
			goto out;
		}
	} else {
		ret = free_ip(c, s, &in->private_ip);
		if (ret)
			goto out;
	}
	if (role) {
		const char *rn = !strncmp(role, "Name=", 5) ? role + 5 : role;

		in->role = (struct iam_role *)model_find(c->m, RES_IAM_ROLE, rn);
		if (!in->role) {
			ret = EFAIL(c, "InvalidParameterValue",
				    "Value (%s) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name",
				    rn);
			goto out;
		}
	}
	n = arg_list(c->a, "--security-group-ids", &first);
	if (n == 0) {
		ret = EFAIL(c, "MissingParameter",
			    "--security-group-ids needs at least one group");
		goto out;
	}
	if (n < 0) {
		n = 1;
		in->sgs = calloc(1, sizeof(*in->sgs));
		if (!in->sgs)
			goto oom;
		in->sgs[0] = s->vpc->default_sg;
	} else {
		in->sgs = calloc((size_t)n, sizeof(*in->sgs));
		if (!in->sgs)
			goto oom;
		for (i = 0; i < n; i++) {
			in->sgs[i] = get_sg(c, c->a->argv[first + i], &ret);
			if (!in->sgs[i])
				goto out;
		}
	}
	in->nsgs = (size_t)n;
	if (grow((void **)&c->m->instances, c->m->ninstances,
		 sizeof(*c->m->instances)))
		goto oom;
	c->m->instances[c->m->ninstances++] = in;
	c->post = POST_RUN;
	snprintf(c->post_id, sizeof(c->post_id), "%s", in->r.id);
	return 0;
oom:
	ret = ENOMEM_FAIL(c);
out:
	res_free(&in->r);
	return ret;
}

static int cmd_terminate(struct ctx *c)
{
	json_t *arr = json_array();
	int first = 0, n, i, ret = 0;
	size_t j, k;

	if (!arr)
		return ENOMEM_FAIL(c);
	n = arg_list(c->a, "--instance-ids", &first);
	if (n <= 0) {
		json_decref(arr);
		return EFAIL(c, "MissingParameter",
			     "The request must contain the parameter instanceIds");
	}
	for (i = 0; i < n; i++) {
		struct instance *in = GET_INSTANCE(c, c->a->argv[first + i],
						   &ret);
		json_t *o;

		if (!in)
			goto out;
		for (j = 0; j < c->m->nexpects; j++)
			if (c->m->expects[j].src == in ||
			    c->m->expects[j].dst == in) {
				ret = EUNSUP(c,
					     "Instance %s (%s) is named by the lab's expect line '%s'; remove that line first",
					     in->r.name, in->r.id,
					     c->m->expects[j].text ?
						     c->m->expects[j].text : "");
				goto out;
			}
		o = json_pack("{s:{s:i, s:s}, s:s, s:{s:i, s:s}}",
			      "CurrentState", "Code", 32, "Name",
			      "shutting-down", "InstanceId", in->r.id,
			      "PreviousState", "Code", 16, "Name", "running");
		if (!o || json_array_append_new(arr, o)) {
			ret = ENOMEM_FAIL(c);
			goto out;
		}
		/* routes to it stay, as blackhole. */
		for (j = 0; j < c->m->nroute_tables; j++) {
			struct route_table *t = c->m->route_tables[j];

			for (k = 0; k < t->nroutes; k++)
				if (t->routes[k].target == &in->r)
					t->routes[k].target = NULL;
		}
		for (j = 0; j < c->m->nenis; j++)
			if (c->m->enis[j]->instance == in) {
				struct eni *e = c->m->enis[j];

				free(e->r.name);
				free(e->sgs);
				free(e->netns);
				free(e);
				remove_at(c->m->enis, &c->m->nenis,
					  sizeof(*c->m->enis), j);
				break;
			}
		for (j = 0; j < c->m->ninstances; j++)
			if (c->m->instances[j] == in) {
				remove_at(c->m->instances, &c->m->ninstances,
					  sizeof(*c->m->instances), j);
				break;
			}
		res_free(&in->r);
	}
	c->out = json_pack("{s:O}", "TerminatingInstances", arr);
	if (!c->out)
		ret = ENOMEM_FAIL(c);
out:
	json_decref(arr);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Dispatch */

enum cmd_id {
	C_CREATE_PCX,
	C_ACCEPT_PCX,
	C_REJECT_PCX,
	C_DELETE_PCX,
	C_CREATE_ROUTE,
	C_DELETE_ROUTE,
	C_REPLACE_ROUTE,
	C_ASSOC_RT,
	C_DISASSOC_RT,
	C_AUTH_IN,
	C_AUTH_OUT,
	C_REVOKE_IN,
	C_REVOKE_OUT,
	C_CREATE_ACL_ENTRY,
	C_DELETE_ACL_ENTRY,
	C_REPLACE_ACL_ENTRY,
	C_MODIFY_VPC_ATTR,
	C_RUN,
	C_TERMINATE,
};

static const struct {
	const char *name;
	enum cmd_id id;
} commands[] = {
	{ "create-vpc-peering-connection", C_CREATE_PCX },
	{ "accept-vpc-peering-connection", C_ACCEPT_PCX },
	{ "reject-vpc-peering-connection", C_REJECT_PCX },
	{ "delete-vpc-peering-connection", C_DELETE_PCX },
	{ "create-route", C_CREATE_ROUTE },
	{ "delete-route", C_DELETE_ROUTE },
	{ "replace-route", C_REPLACE_ROUTE },
	{ "associate-route-table", C_ASSOC_RT },
	{ "disassociate-route-table", C_DISASSOC_RT },
	{ "authorize-security-group-ingress", C_AUTH_IN },
	{ "authorize-security-group-egress", C_AUTH_OUT },
	{ "revoke-security-group-ingress", C_REVOKE_IN },
	{ "revoke-security-group-egress", C_REVOKE_OUT },
	{ "create-network-acl-entry", C_CREATE_ACL_ENTRY },
	{ "delete-network-acl-entry", C_DELETE_ACL_ENTRY },
	{ "replace-network-acl-entry", C_REPLACE_ACL_ENTRY },
	{ "modify-vpc-attribute", C_MODIFY_VPC_ATTR },
	{ "run-instances", C_RUN },
	{ "terminate-instances", C_TERMINATE },
};

static const char *const describes[][2] = {
	{ "describe-vpcs", "vpcs" },
	{ "describe-subnets", "subnets" },
	{ "describe-route-tables", "route-tables" },
	{ "describe-vpc-peering-connections", "vpc-peering-connections" },
	{ "describe-security-groups", "security-groups" },
	{ "describe-network-acls", "network-acls" },
	{ "describe-instances", "instances" },
};

bool ec2_is_command(const char *name)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return true;
	for (i = 0; name && i < ARRAY_SIZE(describes); i++)
		if (!strcmp(describes[i][0], name))
			return true;
	return false;
}

static int dispatch(struct ctx *c, enum cmd_id id, const char *name)
{
	switch (id) {
	case C_CREATE_PCX:
		return cmd_create_peering(c);
	case C_ACCEPT_PCX:
	case C_REJECT_PCX:
	case C_DELETE_PCX:
		return cmd_peering_transition(c, name);
	case C_CREATE_ROUTE:
	case C_DELETE_ROUTE:
	case C_REPLACE_ROUTE:
		return cmd_route(c, name);
	case C_ASSOC_RT:
		return cmd_associate_rt(c);
	case C_DISASSOC_RT:
		return cmd_disassociate_rt(c);
	case C_AUTH_IN:
	case C_AUTH_OUT:
	case C_REVOKE_IN:
	case C_REVOKE_OUT:
		return cmd_sg_rules(c, name);
	case C_CREATE_ACL_ENTRY:
	case C_DELETE_ACL_ENTRY:
	case C_REPLACE_ACL_ENTRY:
		return cmd_nacl_entry(c, name);
	case C_MODIFY_VPC_ATTR:
		return cmd_modify_vpc_attr(c);
	case C_RUN:
		return cmd_run_instances(c);
	case C_TERMINATE:
		return cmd_terminate(c);
	}
	return -EINVAL;
}

/* The output that needs the final model. */
static int post_output(struct ctx *c, const struct lab *lab,
		       const struct ec2_state *st, json_t **out)
{
	struct res *r = model_find(lab, RES__COUNT, c->post_id);
	char msg[96];
	json_t *o;

	if (!r)
		return fail(c->err, -EINVAL, "Vpcemu.Internal",
			    "%s vanished from the rebuilt lab", c->post_id);
	if (c->post == POST_RUN) {
		*out = describe_reservation(lab, (const struct instance *)r);
		return *out ? 0 : ENOMEM_FAIL(c);
	}
	o = describe_peering(lab, st, (const struct peering *)r);
	if (!o)
		return ENOMEM_FAIL(c);
	if (!strcmp(c->post_code, "initiating-request"))
		snprintf(msg, sizeof(msg), "%s %s", c->post_msg,
			 ((const struct peering *)r)->accepter->account);
	else
		snprintf(msg, sizeof(msg), "%s", c->post_msg);
	if (json_object_set_new(o, "Status",
				json_pack("{s:s, s:s}", "Code", c->post_code,
					  "Message", msg))) {
		json_decref(o);
		return ENOMEM_FAIL(c);
	}
	*out = json_pack("{s:o}", "VpcPeeringConnection", o);
	return *out ? 0 : ENOMEM_FAIL(c);
}

/* Frees the working copy m; its diags d. */
static void drop(struct lab *m, struct diags *d)
{
	lab_free(m);
	if (d) {
		diags_free(d);
		free(d);
	}
}

int ec2_run(struct lab *lab, struct ec2_state *st, int argc, char **argv,
	    const struct ec2_clock *clock, json_t **ret_output,
	    struct ec2_error *err)
{
	struct ec2_state work = { 0 };
	struct args a = { argc, argv, NULL };
	struct ctx c = {.a = &a, .err = err, .now = ec2_clock_now(clock)};
	struct diags *d1 = NULL, *d2 = NULL;
	struct lab *m1 = NULL, *m2 = NULL, tmp;
	char *text = NULL;
	size_t i;
	int ret, k;

	*ret_output = NULL;
	if (err)
		err->code[0] = err->message[0] = '\0';
	if (argc < 1 || !argv[0])
		return fail(err, -EINVAL, "MissingParameter",
			    "No command given");
	ret = ec2_tick(lab, st, clock);
	if (ret < 0)
		return fail(err, ret, "Vpcemu.NoMemory", "Out of memory");

	for (i = 0; i < ARRAY_SIZE(describes); i++)
		if (!strcmp(argv[0], describes[i][0])) {
			*ret_output = describe_lab_state(lab, st,
							 describes[i][1],
							 c.now);
			return *ret_output ? 0 : fail(err, -ENOMEM,
						      "Vpcemu.NoMemory",
						      "Out of memory");
		}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[0], commands[i].name))
			break;
	if (i == ARRAY_SIZE(commands))
		return fail(err, -EINVAL, "InvalidAction",
			    "The action %s is not valid for this web service.",
			    argv[0]);

	a.used = calloc((size_t)argc + 1, sizeof(*a.used));
	work.v = calloc(st->n + 1, sizeof(*work.v));
	if (!a.used || !work.v) {
		ret = fail(err, -ENOMEM, "Vpcemu.NoMemory", "Out of memory");
		goto out;
	}
	if (st->n)
		memcpy(work.v, st->v, st->n * sizeof(*work.v));
	work.n = st->n;
	work.cap = st->n + 1;

	/* The working copy, checked so that derived statuses (failed) are
	 * there for the command to read. */
	ret = print_err(lab, &text, err);
	if (ret)
		goto out;
	ret = rebuild(lab, text, &d1, &m1, true, err);
	free(text);
	text = NULL;
	if (ret)
		goto out;
	c.m = m1;
	c.st = &work;
	ret = dispatch(&c, commands[i].id, argv[0]);
	if (ret)
		goto out;
	for (k = 1; k < argc; k++)
		if (!a.used[k]) {
			ret = fail(err, -EINVAL, "InvalidParameter",
				   "Unknown option or extra word '%s' for %s",
				   argv[k], argv[0]);
			goto out;
		}

	/* Persistable, rebuilt and checked. */
	ret = print_err(m1, &text, err);
	if (ret)
		goto out;
	ret = rebuild(lab, text, &d2, &m2, true, err);
	if (ret)
		goto out;
	if (c.post) {
		ret = post_output(&c, m2, &work, ret_output);
		if (ret)
			goto out;
	} else {
		*ret_output = c.out;
		c.out = NULL;
	}

	/* Commit: *lab becomes m2, st gets the working records. */
	tmp = *lab;
	*lab = *m2;
	*m2 = tmp;
	free(st->v);
	st->v = work.v;
	st->n = work.n;
	st->cap = work.cap;
	work.v = NULL;
	if (st->d) {
		diags_free(st->d);
		free(st->d);
	}
	st->d = d2;
	d2 = NULL;
	ret = 0;
out:
	json_decref(c.out);
	if (ret) {
		json_decref(*ret_output);
		*ret_output = NULL;
	}
	free(text);
	free(a.used);
	free(work.v);
	drop(m1, d1);
	drop(m2, d2);
	return ret;
}
