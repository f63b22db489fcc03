/* ec2tgw.c - the transit gateway commands: create-/delete-transit-gateway,
 * create-/delete-transit-gateway-vpc-attachment, create-/delete-transit-
 * gateway-route-table, associate-/disassociate-transit-gateway-route-
 * table, enable-/disable-transit-gateway-route-table-propagation,
 * create-/delete-transit-gateway-route and search-transit-gateway-routes.
 * describe-transit-gateways, -attachments and -route-tables come from the
 * kinds' describe functions (res/transit_gateway*.c), as for every kind.
 *
 * The three kinds live in lab->res[]: new ones are added as ec2edge.c
 * adds its kinds, and the lab's text says the rest (associate, propagate
 * and route lines of written tables). The default table "TGW.default-rt"
 * is not written: what it holds is derived from the gateway's options
 * (res/transit_gateway_route_table.c). A command whose AWS result would
 * need the lab to say otherwise (a route in the default table, an
 * attachment with no table while default association is on, propagation
 * into a written table that AWS keeps beside the default one) answers
 * Vpcemu.Unsupported rather than leave the lab doing something else.
 *
 * Answers are AWS's shapes (botocore's ec2 2016-11-15 model): creations
 * give the object describe-* gives, other changes the state AWS answers
 * with (associating, enabling, deleting...); the lab has the final state
 * at once. Changes only the working copy (ec2ctx.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/ec2ctx.h"
#include "vpcemu/ec2edge.h"
#include "vpcemu/ec2tgw.h"
#include "vpcemu/model.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

#define GET_TGW(c, ref, ret)                                             \
	((struct transit_gateway *)ec2ctx_get_res(                       \
		c, RES_TRANSIT_GATEWAY, ref,                             \
		"InvalidTransitGatewayID.NotFound", "transitGateway", ret))
#define GET_ATT(c, ref, ret)                                             \
	((struct tgw_attachment *)ec2ctx_get_res(                        \
		c, RES_TGW_ATTACHMENT, ref,                              \
		"InvalidTransitGatewayAttachmentID.NotFound",            \
		"transitGatewayAttachment", ret))
#define GET_TGW_RTB(c, ref, ret)                                         \
	((struct tgw_route_table *)ec2ctx_get_res(                       \
		c, RES_TGW_ROUTE_TABLE, ref,                             \
		"InvalidRouteTableID.NotFound",                          \
		"transitGatewayRouteTable", ret))

/* ------------------------------------------------------------------ */
/* Arguments */

/* --options, shorthand "K=V,K=V" or JSON, as an object of strings; NULL
 * (and *ret 0) when absent. */
static json_t *options_get(struct ec2ctx *c, int *ret)
{
	const char *s = ec2ctx_arg_get(c->a, "--options", NULL);
	json_t *o, *v;
	const char *k;
	char *copy, *save = NULL, *kv;

	*ret = 0;
	if (!s)
		return NULL;
	o = json_loads(s, 0, NULL);
	if (o && json_is_object(o)) {
		/* AmazonSideAsn comes as a number: one type for readers. */
		json_object_foreach(o, k, v)
			if (json_is_integer(v))
				json_object_set_new(o, k, json_sprintf(
					"%lld", json_integer_value(v)));
		return o;
	}
	json_decref(o);
	o = json_object();
	copy = strdup(s);
	if (!o || !copy) {
		json_decref(o);
		free(copy);
		*ret = ENOMEM_FAIL(c);
		return NULL;
	}
	for (kv = strtok_r(copy, ",", &save); kv;
	     kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		if (!eq) {
			*ret = EFAIL(c, "InvalidParameterValue",
				     "Invalid value '%s' for options: expected Key=value,...",
				     s);
			break;
		}
		*eq = '\0';
		json_object_set_new(o, kv, json_string(eq + 1));
	}
	free(copy);
	if (*ret) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* An option vpcemu knows: fixed is the one value it has (others are
 * Vpcemu.Unsupported); NULL when the command reads it. */
struct opt_known {
	const char *key, *fixed;
};

/* Checks opts against known; 0 or the error. */
static int options_check(struct ec2ctx *c, const json_t *opts,
			 const struct opt_known *known, size_t n)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)opts, k, v) {
		const char *s = json_string_value(v);

		for (i = 0; i < n && strcmp(known[i].key, k); i++)
			;
		if (i == n)
			return EUNSUP(c, "The option %s is not supported by vpcemu",
				      k);
		if (!s)
			return EFAIL(c, "InvalidParameterValue",
				     "Invalid value for option %s", k);
		if (known[i].fixed && strcmp(s, known[i].fixed))
			return EUNSUP(c,
				      "%s=%s is not supported by vpcemu (only %s)",
				      k, s, known[i].fixed);
	}
	return 0;
}

/* Option key of opts, "enable" or "disable", into *on (left as it is
 * when absent). */
static int option_enable(struct ec2ctx *c, const json_t *opts,
			 const char *key, bool *on)
{
	const char *s = json_string_value(json_object_get(opts, key));

	if (!s)
		return 0;
	if (strcmp(s, "enable") && strcmp(s, "disable"))
		return EFAIL(c, "InvalidParameterValue",
			     "Value (%s) for parameter %s is invalid. Valid values: enable, disable",
			     s, key);
	*on = !strcmp(s, "enable");
	return 0;
}

static const char *enable_word(bool on)
{
	return on ? "enable" : "disable";
}

/* --transit-gateway-route-table-id, required: the table, or NULL with
 * *ret the error. */
static struct tgw_route_table *table_arg(struct ec2ctx *c, int *ret)
{
	const char *ref = ec2ctx_opt_req(c, "--transit-gateway-route-table-id",
					 "transitGatewayRouteTableId", ret);

	return ref ? GET_TGW_RTB(c, ref, ret) : NULL;
}

/* --transit-gateway-route-table-id and --transit-gateway-attachment-id,
 * both required. */
static int table_and_attachment(struct ec2ctx *c, struct tgw_route_table **t,
				struct tgw_attachment **a)
{
	const char *aref;
	int ret = 0;

	*t = table_arg(c, &ret);
	if (!*t)
		return ret;
	aref = ec2ctx_opt_req(c, "--transit-gateway-attachment-id",
			      "transitGatewayAttachmentId", &ret);
	if (!aref)
		return ret;
	*a = GET_ATT(c, aref, &ret);
	if (!*a)
		return ret;
	if ((*a)->tgw != (*t)->tgw)
		return EFAIL(c, "InvalidParameterValue",
			     "Transit gateway attachment %s is not of transit gateway %s that route table %s belongs to",
			     (*a)->r.id, (*t)->tgw->r.id, (*t)->r.id);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Lists of the model */

static int att_push(struct ec2ctx *c, struct tgw_attachment ***v, size_t *n,
		    struct tgw_attachment *a)
{
	if (ec2ctx_grow((void **)v, *n, sizeof(**v)))
		return ENOMEM_FAIL(c);
	(*v)[(*n)++] = a;
	return 0;
}

/* Takes p out of the pointer array v (and the place beside it out of
 * at, when kept). */
static void ptr_remove(void *v, size_t *n, struct place *at, const void *p)
{
	void **pv = v;
	size_t i, m = *n;

	for (i = 0; i < *n; i++)
		if (pv[i] == p) {
			ec2ctx_remove_at(pv, n, sizeof(*pv), i);
			if (at)
				ec2ctx_remove_at(at, &m, sizeof(*at), i);
			return;
		}
}

/* ------------------------------------------------------------------ */
/* JSON */

/* The new or deleted object r as describe-* gives it, with AWS's State
 * of the answer when state is not NULL. */
static int out_object(struct ec2ctx *c, const char *key, const struct res *r,
		      const char *state)
{
	json_t *o = ec2edge_post(c->m, c->st, c->now, key, r);

	if (!o || (state && json_object_set_new(json_object_get(o, key),
						"State", json_string(state)))) {
		json_decref(o);
		return ENOMEM_FAIL(c);
	}
	c->out = o;
	return 0;
}

/* {key: {TransitGatewayRouteTableId, TransitGatewayAttachmentId,
 * ResourceId, ResourceType, State}}: AWS's Association and Propagation. */
static int out_link(struct ec2ctx *c, const char *key,
		    const struct tgw_route_table *t,
		    const struct tgw_attachment *a, const char *state)
{
	c->out = json_pack("{s:{s:s, s:s, s:s, s:s, s:s}}", key,
			   "TransitGatewayRouteTableId", t->r.id,
			   "TransitGatewayAttachmentId", a->r.id,
			   "ResourceId", a->vpc->r.id, "ResourceType", "vpc",
			   "State", state);
	return c->out ? 0 : ENOMEM_FAIL(c);
}

/* A TransitGatewayRoute. */
static void route_json(struct jb *b, json_t *arr, struct cidr dst,
		       const struct tgw_attachment *target, bool propagated,
		       const char *state)
{
	json_t *o = jb_add(b, arr, jb_obj(b));

	jb_put_cidr(b, o, "DestinationCidrBlock", dst);
	if (target) {
		json_t *x = jb_add(b, jb_put(b, o, "TransitGatewayAttachments",
					     jb_arr(b)),
				   jb_obj(b));

		jb_put_s(b, x, "ResourceId", target->vpn ? target->vpn->r.id
							 : target->vpc->r.id);
		jb_put_s(b, x, "TransitGatewayAttachmentId", target->r.id);
		jb_put_s(b, x, "ResourceType", target->vpn ? "vpn" : "vpc");
	}
	jb_put_s(b, o, "Type", propagated ? "propagated" : "static");
	jb_put_s(b, o, "State", state ? state : target ? "active"
							: "blackhole");
}

/* {"Route": one static route}. */
static int out_route(struct ec2ctx *c, const struct tgw_route *r,
		     const char *state)
{
	struct jb b = { 0 };
	json_t *a = json_array();

	if (!a)
		return ENOMEM_FAIL(c);
	route_json(&b, a, r->dst, r->target, false, state);
	c->out = b.oom ? NULL
		       : json_pack("{s:O}", "Route", json_array_get(a, 0));
	json_decref(a);
	return c->out ? 0 : ENOMEM_FAIL(c);
}

/* ------------------------------------------------------------------ */
/* Transit gateways */

static int tgw_create(struct ec2ctx *c)
{
	static const struct opt_known known[] = {
		{ "AmazonSideAsn", NULL },
		{ "DefaultRouteTableAssociation", NULL },
		{ "DefaultRouteTablePropagation", NULL },
		{ "AutoAcceptSharedAttachments", "disable" },
		{ "DnsSupport", "enable" },
		{ "VpnEcmpSupport", "enable" },
		{ "MulticastSupport", "disable" },
		{ "SecurityGroupReferencingSupport", "disable" },
	};
	bool assoc = true, prop = true;
	unsigned long asn = 64512;
	const char *s;
	json_t *opts;
	struct transit_gateway *g;
	int ret = 0;

	opts = options_get(c, &ret);
	if (ret)
		return ret;
	ret = options_check(c, opts, known, ARRAY_SIZE(known));
	if (!ret)
		ret = option_enable(c, opts, "DefaultRouteTableAssociation",
				    &assoc);
	if (!ret)
		ret = option_enable(c, opts, "DefaultRouteTablePropagation",
				    &prop);
	s = json_string_value(json_object_get(opts, "AmazonSideAsn"));
	/* The range (a private ASN) is check's, which the rebuild runs. */
	if (!ret && s && !ec2ctx_parse_long(s, 1, 4294967295L, (long *)&asn))
		ret = EFAIL(c, "InvalidParameterValue",
			    "Invalid value '%s' for AmazonSideAsn", s);
	json_decref(opts);
	if (ret)
		return ret;
	g = (struct transit_gateway *)ec2edge_res_add(
		c, RES_TRANSIT_GATEWAY, "transit-gateway", "transit-gateway",
		&ret);
	if (!g)
		return ret;
	g->asn = asn;
	g->default_association = assoc;
	g->default_propagation = prop;
	/* Its default table is model_build's: the answer waits for it. */
	c->post = POST_RES;
	c->post_key = "TransitGateway";
	snprintf(c->post_id, sizeof(c->post_id), "%s", g->r.id);
	return 0;
}

/* AWS deletes a gateway with no attachment left, and its route tables
 * with it. */
static int tgw_delete(struct ec2ctx *c)
{
	const struct res_list *al = &c->m->res[RES_TGW_ATTACHMENT];
	struct res_list *tl = &c->m->res[RES_TGW_ROUTE_TABLE];
	struct transit_gateway *g;
	const char *ref;
	struct strbuf ids = { 0 };
	size_t i;
	int ret = 0;

	ref = ec2ctx_opt_req(c, "--transit-gateway-id", "transitGatewayId",
			     &ret);
	if (!ref)
		return ret;
	g = GET_TGW(c, ref, &ret);
	if (!g)
		return ret;
	for (i = 0; i < al->n; i++)
		if (((struct tgw_attachment *)al->v[i])->tgw == g)
			sb_printf(&ids, "%s%s", ids.len ? ", " : "",
				  al->v[i]->id);
	if (ids.len) {
		ret = ids.oom ? ENOMEM_FAIL(c)
			      : EFAIL(c, "IncorrectState",
				      "%s has non-deleted VPC Attachments: %s.",
				      g->r.id, ids.s);
		sb_free(&ids);
		return ret;
	}
	ret = out_object(c, "TransitGateway", &g->r, "deleting");
	if (ret)
		return ret;
	for (i = tl->n; i-- > 0;) {
		struct tgw_route_table *t = (struct tgw_route_table *)tl->v[i];

		if (t->tgw == g)
			ec2edge_res_drop(c, &t->r);
	}
	ec2edge_res_drop(c, &g->r);
	return 0;
}

/* ------------------------------------------------------------------ */
/* VPC attachments */

/* --subnet-ids: words, each one or more IDs or names split by ','. */
static int att_subnets(struct ec2ctx *c, struct tgw_attachment *a)
{
	int first = 0, n = ec2ctx_arg_list(c->a, "--subnet-ids", &first), i;
	int ret = 0;

	if (n <= 0)
		return EFAIL(c, "MissingParameter",
			     "The request must contain the parameter SubnetIds");
	for (i = 0; i < n; i++) {
		char *copy = strdup(c->a->argv[first + i]), *save = NULL, *w;

		if (!copy)
			return ENOMEM_FAIL(c);
		for (w = strtok_r(copy, ",", &save); w && !ret;
		     w = strtok_r(NULL, ",", &save)) {
			struct subnet *s = GET_SUBNET(c, w, &ret);

			if (s && ec2ctx_grow((void **)&a->subnets, a->nsubnets,
					     sizeof(*a->subnets)))
				ret = ENOMEM_FAIL(c);
			else if (s)
				a->subnets[a->nsubnets++] = s;
		}
		free(copy);
		if (ret)
			return ret;
	}
	return 0;
}

/* {"TransitGatewayVpcAttachment": ...} with state. */
static int out_vpc_attachment(struct ec2ctx *c, const struct tgw_attachment *a,
			      const char *state)
{
	struct jb b = { 0 };
	json_t *o = jb_obj(&b), *s, *opt;
	size_t i;

	jb_put_s(&b, o, "TransitGatewayAttachmentId", a->r.id);
	jb_put_s(&b, o, "TransitGatewayId", a->tgw->r.id);
	jb_put_s(&b, o, "VpcId", a->vpc->r.id);
	jb_put_s(&b, o, "VpcOwnerId", describe_owner(c->m, a->vpc));
	jb_put_s(&b, o, "State", state);
	s = jb_put(&b, o, "SubnetIds", jb_arr(&b));
	for (i = 0; i < a->nsubnets; i++)
		jb_add(&b, s, json_string(a->subnets[i]->r.id));
	opt = jb_put(&b, o, "Options", jb_obj(&b));
	jb_put_s(&b, opt, "DnsSupport", "enable");
	jb_put_s(&b, opt, "Ipv6Support", "disable");
	jb_put_s(&b, opt, "ApplianceModeSupport",
		 enable_word(a->appliance_mode));
	jb_put_tags(&b, o, &a->r);
	c->out = b.oom ? NULL
		       : json_pack("{s:O}", "TransitGatewayVpcAttachment", o);
	json_decref(o);
	return c->out ? 0 : ENOMEM_FAIL(c);
}

/* Subnets of another VPC, two in one AZ (DuplicateSubnetsInSameZone), a
 * second attachment of the VPC and a VPC of another region are check's,
 * which the rebuild runs. */
static int att_create(struct ec2ctx *c)
{
	static const struct opt_known known[] = {
		{ "ApplianceModeSupport", NULL },
		{ "DnsSupport", "enable" },
		{ "Ipv6Support", "disable" },
	};
	char base[EC2CTX_NAME_MAX + 1];
	struct transit_gateway *g;
	struct tgw_attachment *a;
	const char *gref, *vref;
	bool appliance = false;
	struct vpc *v;
	json_t *opts;
	int ret = 0;

	gref = ec2ctx_opt_req(c, "--transit-gateway-id", "transitGatewayId",
			      &ret);
	if (!gref)
		return ret;
	vref = ec2ctx_opt_req(c, "--vpc-id", "vpcId", &ret);
	if (!vref)
		return ret;
	g = GET_TGW(c, gref, &ret);
	if (!g)
		return ret;
	v = GET_VPC(c, vref, &ret);
	if (!v)
		return ret;
	opts = options_get(c, &ret);
	if (ret)
		return ret;
	ret = options_check(c, opts, known, ARRAY_SIZE(known));
	if (!ret)
		ret = option_enable(c, opts, "ApplianceModeSupport",
				    &appliance);
	json_decref(opts);
	if (ret)
		return ret;
	snprintf(base, sizeof(base), "%.37s-attachment", v->r.name);
	a = (struct tgw_attachment *)ec2edge_res_add(
		c, RES_TGW_ATTACHMENT, "transit-gateway-attachment",
		ec2ctx_name_ok(base) ? base : "attachment", &ret);
	if (!a)
		return ret;
	a->tgw = g;
	a->vpc = v;
	a->appliance_mode = appliance;
	ret = att_subnets(c, a);
	return ret ? ret : out_vpc_attachment(c, a, "pending");
}

/* AWS leaves the static routes to a deleted attachment as blackhole, and
 * the VPC's routes to the gateway too. */
static int att_delete(struct ec2ctx *c)
{
	struct tgw_attachment *a;
	int ret = 0;

	a = GET_ATT(c, ec2ctx_opt_req(c, "--transit-gateway-attachment-id", "transitGatewayAttachmentId", &ret), &ret);
	if (!a)
		return ret;
	ret = out_vpc_attachment(c, a, "deleting");
	if (ret)
		return ret;
	ec2tgw_attachment_forget(c, a);
	ec2edge_routes_blackhole(c, &a->tgw->r, a->vpc);
	ec2edge_res_drop(c, &a->r);
	return 0;
}

void ec2tgw_attachment_forget(struct ec2ctx *c, struct tgw_attachment *a)
{
	struct res_list *tl = &c->m->res[RES_TGW_ROUTE_TABLE];
	size_t i, k;

	for (i = 0; i < tl->n; i++) {
		struct tgw_route_table *t = (struct tgw_route_table *)tl->v[i];

		ptr_remove(t->assoc, &t->nassoc, t->assoc_at, a);
		ptr_remove(t->prop, &t->nprop, t->prop_at, a);
		for (k = 0; k < t->nroutes; k++)
			if (t->routes[k].target == a)
				t->routes[k].target = NULL;
	}
	if (a->tgw)
		ptr_remove(a->tgw->atts, &a->tgw->natts, NULL, a);
}

/* ------------------------------------------------------------------ */
/* Route tables */

static int rt_create(struct ec2ctx *c)
{
	char base[EC2CTX_NAME_MAX + 1];
	struct transit_gateway *g;
	struct tgw_route_table *t;
	const char *ref;
	int ret = 0;

	ref = ec2ctx_opt_req(c, "--transit-gateway-id", "transitGatewayId",
			     &ret);
	if (!ref)
		return ret;
	g = GET_TGW(c, ref, &ret);
	if (!g)
		return ret;
	snprintf(base, sizeof(base), "%.45s-rt", g->r.name);
	t = (struct tgw_route_table *)ec2edge_res_add(
		c, RES_TGW_ROUTE_TABLE, "transit-gateway-route-table",
		ec2ctx_name_ok(base) ? base : "tgw-route-table", &ret);
	if (!t)
		return ret;
	t->tgw = g;
	return out_object(c, "TransitGatewayRouteTable", &t->r, "pending");
}

/* The default table exists as its gateway's options make it. */
static int default_table_unsupported(struct ec2ctx *c,
				     const struct tgw_route_table *t,
				     const char *what)
{
	return EUNSUP(c,
		      "%s the default route table %s (%s) of %s cannot be kept in the lab file: its gateway's default-association and default-propagation make it; use a route table of your own (create-transit-gateway-route-table)",
		      what, t->r.name, t->r.id, t->tgw->r.id);
}

/* AWS deletes a table with no association left; its propagations and
 * routes go with it. */
static int rt_delete(struct ec2ctx *c)
{
	struct tgw_route_table *t;
	int ret = 0;

	t = table_arg(c, &ret);
	if (!t)
		return ret;
	if (t->is_default)
		return default_table_unsupported(c, t, "Deleting");
	if (t->nassoc)
		return EFAIL(c, "IncorrectState",
			     "%s has non-disassociated Transit Gateway Attachments: %s.",
			     t->r.id, t->assoc[0]->r.id);
	ret = out_object(c, "TransitGatewayRouteTable", &t->r, "deleting");
	if (ret)
		return ret;
	ptr_remove(t->tgw->rts, &t->tgw->nrts, NULL, t);
	ec2edge_res_drop(c, &t->r);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Associations and propagations */

/* one table per attachment; AWS wants it disassociated first. */
static int rt_associate(struct ec2ctx *c)
{
	struct tgw_route_table *t = NULL, *cur;
	struct tgw_attachment *a = NULL;
	int ret = table_and_attachment(c, &t, &a);

	if (ret)
		return ret;
	cur = tgw_association_of(a);
	if (cur)
		return EFAIL(c, "Resource.AlreadyAssociated",
			     "Transit Gateway Attachment %s is already associated to a route table.",
			     a->r.id);
	if (t->is_default)
		return default_table_unsupported(c, t, "Associating with");
	ret = att_push(c, &t->assoc, &t->nassoc, a);
	return ret ? ret : out_link(c, "Association", t, a, "associating");
}

static int rt_disassociate(struct ec2ctx *c)
{
	struct tgw_route_table *t = NULL;
	struct tgw_attachment *a = NULL;
	int ret = table_and_attachment(c, &t, &a);

	if (ret)
		return ret;
	if (tgw_association_of(a) != t)
		return EFAIL(c, "InvalidAssociation.NotFound",
			     "Transit Gateway Attachment %s is not associated with route table %s.",
			     a->r.id, t->r.id);
	/* In the lab, an attachment no table names is the default
	 * table's. */
	if (t->tgw->default_association)
		return EUNSUP(c,
			      "%s has default-association on: an attachment left without a route table cannot be kept in the lab file (it would fall back to %s)",
			      t->tgw->r.id, t->tgw->default_rt->r.id);
	ptr_remove(t->assoc, &t->nassoc, t->assoc_at, a);
	return out_link(c, "Association", t, a, "disassociating");
}

static int rt_propagation(struct ec2ctx *c, bool enable)
{
	struct tgw_route_table *t = NULL, *d;
	struct tgw_attachment *a = NULL;
	int ret = table_and_attachment(c, &t, &a);
	size_t i, written = 0;

	if (ret)
		return ret;
	if (enable && tgw_propagates(t, a))
		return EFAIL(c, "TransitGatewayRouteTablePropagation.Duplicate",
			     "Propagation %s already exists in Transit Gateway Route Table %s.",
			     a->r.id, t->r.id);
	if (!enable && !tgw_propagates(t, a))
		return EFAIL(c, "InvalidParameterValue",
			     "Transit Gateway Attachment %s does not propagate to route table %s.",
			     a->r.id, t->r.id);
	if (t->is_default)
		return default_table_unsupported(c, t,
						 enable ? "Propagating into"
							: "Stopping propagation into");
	/* In the lab, an attachment that no propagate line names
	 * propagates into the default table, and only then. */
	d = a->tgw->default_propagation ? a->tgw->default_rt : NULL;
	for (i = 0; i < a->tgw->nrts; i++)
		written += tgw_propagates(a->tgw->rts[i], a);
	if (d && (enable ? !written : written == 1))
		return EUNSUP(c,
			      "%s has default-propagation on: %s propagating into %s and not %s, or the other way round, cannot be kept in the lab file",
			      a->tgw->r.id, a->r.id, d->r.id, t->r.id);
	if (enable)
		ret = att_push(c, &t->prop, &t->nprop, a);
	else
		ptr_remove(t->prop, &t->nprop, t->prop_at, a);
	return ret ? ret
		   : out_link(c, "Propagation", t, a,
			      enable ? "enabling" : "disabling");
}

/* ------------------------------------------------------------------ */
/* Static routes */

static struct tgw_route *route_find(struct tgw_route_table *t, struct cidr d)
{
	size_t i;

	for (i = 0; i < t->nroutes; i++)
		if (cidr_eq(t->routes[i].dst, d))
			return &t->routes[i];
	return NULL;
}

/* --transit-gateway-route-table-id and --destination-cidr-block. */
static int route_args(struct ec2ctx *c, struct tgw_route_table **t,
		      struct cidr *dst)
{
	const char *dref;
	int ret = 0;

	*t = table_arg(c, &ret);
	if (!*t)
		return ret;
	dref = ec2ctx_opt_req(c, "--destination-cidr-block",
			      "destinationCidrBlock", &ret);
	if (!dref)
		return ret;
	return ec2ctx_get_cidr(c, dref, "destinationCidrBlock", dst);
}

/* A static route beats a propagated one of the same prefix:
 * only another static route is RouteAlreadyExists. */
static int route_create(struct ec2ctx *c)
{
	bool hole = ec2ctx_arg_flag(c->a, "--blackhole");
	const char *aref = ec2ctx_arg_get(c->a, "--transit-gateway-attachment-id",
					  NULL);
	struct tgw_route_table *t = NULL;
	struct tgw_route nr = { 0 };
	char buf[CIDR_BUF];
	int ret;

	hole &= !ec2ctx_arg_flag(c->a, "--no-blackhole");
	ret = route_args(c, &t, &nr.dst);
	if (ret)
		return ret;
	if (hole == !!aref)
		return EFAIL(c, hole ? "InvalidParameterCombination"
				     : "MissingParameter",
			     "The request must contain exactly one of transitGatewayAttachmentId or blackhole");
	if (aref) {
		nr.target = GET_ATT(c, aref, &ret);
		if (!nr.target)
			return ret;
	}
	if (t->is_default)
		return default_table_unsupported(c, t, "A route in");
	if (route_find(t, nr.dst))
		return EFAIL(c, "RouteAlreadyExists",
			     "Route %s already exists in Transit Gateway Route Table %s.",
			     cidr_fmt(nr.dst, buf), t->r.id);
	if (ec2ctx_grow((void **)&t->routes, t->nroutes, sizeof(*t->routes)))
		return ENOMEM_FAIL(c);
	t->routes[t->nroutes++] = nr;
	/* An attachment of another gateway is check's, in the rebuild. */
	return out_route(c, &nr, NULL);
}

static int route_delete(struct ec2ctx *c)
{
	struct tgw_route_table *t = NULL;
	struct tgw_route *r;
	struct cidr dst;
	char buf[CIDR_BUF];
	int ret = route_args(c, &t, &dst);

	if (ret)
		return ret;
	r = route_find(t, dst);
	if (!r)
		return EFAIL(c, "InvalidRoute.NotFound",
			     "No static route with destination-cidr-block %s in Transit Gateway Route Table %s.",
			     cidr_fmt(dst, buf), t->r.id);
	ret = out_route(c, r, "deleted");
	if (ret)
		return ret;
	ec2ctx_remove_at(t->routes, &t->nroutes, sizeof(*t->routes),
			 (size_t)(r - t->routes));
	return 0;
}

/* ------------------------------------------------------------------ */
/* search-transit-gateway-routes */

struct found {
	struct cidr dst;
	const struct tgw_attachment *target;
	bool propagated;
};

struct found_list {
	struct found *v;
	size_t n;
	bool oom;
};

static void collect(void *arg, struct cidr dst,
		    const struct tgw_attachment *target, bool propagated)
{
	struct found_list *l = arg;

	if (l->oom || ec2ctx_grow((void **)&l->v, l->n, sizeof(*l->v))) {
		l->oom = true;
		return;
	}
	l->v[l->n++] = (struct found){ dst, target, propagated };
}

/* --filters: words "Name=N,Values=V1,V2", or one JSON array of
 * {"Name", "Values"}; as that JSON array. */
static json_t *filters_get(struct ec2ctx *c, int *ret)
{
	int first = 0, n = ec2ctx_arg_list(c->a, "--filters", &first), i;
	json_t *arr;

	if (n <= 0) {
		*ret = EFAIL(c, "MissingParameter",
			     "The request must contain the parameter Filters");
		return NULL;
	}
	arr = n == 1 ? json_loads(c->a->argv[first], 0, NULL) : NULL;
	if (json_is_array(arr))
		return arr;
	json_decref(arr);
	arr = json_array();
	for (i = 0; arr && i < n; i++) {
		const char *w = c->a->argv[first + i];
		const char *vals = strstr(w, ",Values=");
		json_t *f, *vs;
		char *copy, *save = NULL, *v;

		if (strncmp(w, "Name=", 5) || !vals) {
			*ret = EFAIL(c, "InvalidParameterValue",
				     "Invalid filter '%s': expected Name=NAME,Values=VALUE,...",
				     w);
			json_decref(arr);
			return NULL;
		}
		vs = json_array();
		f = json_pack("{s:s%, s:o}", "Name", w + 5,
			      (size_t)(vals - w - 5), "Values", vs);
		copy = strdup(vals + 8);
		if (!f || !copy || json_array_append_new(arr, f)) {
			free(copy);
			json_decref(arr);
			arr = NULL;
			break;
		}
		for (v = strtok_r(copy, ",", &save); v;
		     v = strtok_r(NULL, ",", &save))
			json_array_append_new(vs, json_string(v));
		free(copy);
	}
	if (!arr)
		*ret = ENOMEM_FAIL(c);
	return arr;
}

enum match { M_YES, M_NO, M_BAD };

/* Whether r matches one value v of filter name. */
static enum match match_one(const struct found *r, const char *name,
			    const char *v)
{
	const struct tgw_attachment *a = r->target;
	struct cidr x;

	if (!strcmp(name, "type"))
		return !strcmp(v, r->propagated ? "propagated" : "static")
			       ? M_YES : M_NO;
	if (!strcmp(name, "state"))
		return !strcmp(v, a ? "active" : "blackhole") ? M_YES : M_NO;
	if (!strcmp(name, "attachment.transit-gateway-attachment-id"))
		return a && (!strcmp(v, a->r.id) || !strcmp(v, a->r.name))
			       ? M_YES : M_NO;
	if (!strcmp(name, "attachment.resource-id"))
		return a && (!strcmp(v, a->vpc->r.id) ||
			     !strcmp(v, a->vpc->r.name)) ? M_YES : M_NO;
	if (!strcmp(name, "attachment.resource-type"))
		return a && !strcmp(v, "vpc") ? M_YES : M_NO;
	/* vpcemu has no prefix lists. */
	if (!strcmp(name, "prefix-list-id"))
		return M_NO;
	if (strncmp(name, "route-search.", 13))
		return M_BAD;
	if (cidr_parse(v, &x))
		return M_BAD;
	name += 13;
	if (!strcmp(name, "exact-match"))
		return cidr_eq(r->dst, x) ? M_YES : M_NO;
	if (!strcmp(name, "subnet-of-match"))
		return cidr_contains(x, r->dst) ? M_YES : M_NO;
	/* longest-prefix-match keeps the covering routes here; route_search
	 * then keeps the longest. */
	if (!strcmp(name, "supernet-of-match") ||
	    !strcmp(name, "longest-prefix-match"))
		return cidr_contains(r->dst, x) ? M_YES : M_NO;
	return M_BAD;
}

/* Every filter holds for r (one of its values each); -1 on a bad filter,
 * with the error queued. */
static int match_all(struct ec2ctx *c, const struct found *r,
		     const json_t *filters)
{
	const json_t *f, *v;
	size_t i, k;

	json_array_foreach(filters, i, f) {
		const char *name = json_string_value(json_object_get(f, "Name"));
		bool any = false;

		json_array_foreach(json_object_get(f, "Values"), k, v) {
			enum match m = name && json_string_value(v)
				? match_one(r, name, json_string_value(v))
				: M_BAD;

			if (m == M_BAD)
				return EFAIL(c, "InvalidParameterValue",
					     "The filter '%s' with value '%s' is invalid",
					     name ? name : "",
					     json_string_value(v) ? json_string_value(v) : "");
			any |= m == M_YES;
		}
		if (!any)
			return 0;
	}
	return 1;
}

/* The prefix length longest-prefix-match keeps, 0 without that filter. */
static int lpm_len(const json_t *filters, const struct found_list *l,
		   const bool *keep)
{
	const json_t *f;
	size_t i;
	int best = -1;

	json_array_foreach(filters, i, f)
		if (!strcmp(json_string_value(json_object_get(f, "Name")) ?: "",
			    "route-search.longest-prefix-match"))
			break;
	if (i == json_array_size(filters))
		return 0;
	for (i = 0; i < l->n; i++)
		if (keep[i] && l->v[i].dst.len > best)
			best = l->v[i].dst.len;
	return best;
}

static int route_search(struct ec2ctx *c)
{
	struct found_list l = { 0 };
	struct tgw_route_table *t;
	const char *max_s;
	json_t *filters = NULL, *routes = NULL;
	struct jb b = { 0 };
	bool *keep = NULL;
	long max = 1000;
	size_t i, shown = 0, matched = 0;
	int ret = 0, lpm;

	t = table_arg(c, &ret);
	if (!t)
		return ret;
	max_s = ec2ctx_arg_get(c->a, "--max-results", NULL);
	if (max_s && !ec2ctx_parse_long(max_s, 5, 1000, &max))
		return EFAIL(c, "InvalidParameterValue",
			     "Value (%s) for parameter maxResults is invalid. Expecting a value between 5 and 1000",
			     max_s);
	filters = filters_get(c, &ret);
	if (!filters)
		return ret;
	/* A bad filter is an error even on an empty table: try each on a
	 * blackhole route to 0.0.0.0/0. */
	ret = match_all(c, &(struct found){ 0 }, filters);
	if (ret < 0)
		goto out;
	tgw_routes(t, collect, &l);
	keep = calloc(l.n + 1, sizeof(*keep));
	routes = json_array();
	if (l.oom || !keep || !routes) {
		ret = ENOMEM_FAIL(c);
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		ret = match_all(c, &l.v[i], filters);
		if (ret < 0)
			goto out;
		keep[i] = ret;
	}
	ret = 0;
	lpm = lpm_len(filters, &l, keep);
	for (i = 0; i < l.n; i++) {
		if (!keep[i] || l.v[i].dst.len < lpm)
			continue;
		matched++;
		if (shown < (size_t)max) {
			route_json(&b, routes, l.v[i].dst, l.v[i].target,
				   l.v[i].propagated, NULL);
			shown++;
		}
	}
	c->out = b.oom ? NULL
		       : json_pack("{s:O, s:b}", "Routes", routes,
				   "AdditionalRoutesAvailable", matched > shown);
	if (!c->out)
		ret = ENOMEM_FAIL(c);
out:
	json_decref(routes);
	json_decref(filters);
	free(keep);
	free(l.v);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Commands */

static int prop_enable(struct ec2ctx *c)
{
	return rt_propagation(c, true);
}

static int prop_disable(struct ec2ctx *c)
{
	return rt_propagation(c, false);
}

static const struct ec2ctx_cmd tgw_cmds[] = {
	{ "create-transit-gateway", tgw_create,
	  "create-transit-gateway [--options K=V,...] [--tag-specifications SPEC]\n\n"
	  "A transit gateway (its own router). --options: AmazonSideAsn (a\n"
	  "private ASN, default 64512), DefaultRouteTableAssociation and\n"
	  "DefaultRouteTablePropagation (enable, the default, or disable); the\n"
	  "others only at AWS's defaults. A Name tag names it. Answers the\n"
	  "TransitGateway object of describe-transit-gateways.\n" },
	{ "delete-transit-gateway", tgw_delete,
	  "delete-transit-gateway --transit-gateway-id ID\n\n"
	  "Deletes a gateway that has no attachment left (else IncorrectState),\n"
	  "and its route tables.\n" },
	{ "create-transit-gateway-vpc-attachment", att_create,
	  "create-transit-gateway-vpc-attachment --transit-gateway-id ID\n"
	  "    --vpc-id ID --subnet-ids ID... [--options ApplianceModeSupport=enable]\n"
	  "    [--tag-specifications SPEC]\n\n"
	  "Attaches the VPC: one subnet per AZ (DuplicateSubnetsInSameZone),\n"
	  "one attachment per VPC and gateway; instances of other AZs cannot\n"
	  "reach the gateway. With the gateway's defaults on, the attachment is\n"
	  "associated with and propagates into its default route table.\n" },
	{ "delete-transit-gateway-vpc-attachment", att_delete,
	  "delete-transit-gateway-vpc-attachment --transit-gateway-attachment-id ID\n\n"
	  "Detaches the VPC; static routes to the attachment, and the VPC's\n"
	  "routes to the gateway, stay as blackhole.\n" },
	{ "create-transit-gateway-route-table", rt_create,
	  "create-transit-gateway-route-table --transit-gateway-id ID\n"
	  "    [--tag-specifications SPEC]\n\n"
	  "An empty route table of the gateway.\n" },
	{ "delete-transit-gateway-route-table", rt_delete,
	  "delete-transit-gateway-route-table --transit-gateway-route-table-id ID\n\n"
	  "Deletes a table no attachment is associated with (else\n"
	  "IncorrectState), with its propagations and routes.\n" },
	{ "associate-transit-gateway-route-table", rt_associate,
	  "associate-transit-gateway-route-table --transit-gateway-route-table-id ID\n"
	  "    --transit-gateway-attachment-id ID\n\n"
	  "The table then routes what enters from the attachment. One table per\n"
	  "attachment: disassociate first (else Resource.AlreadyAssociated).\n" },
	{ "disassociate-transit-gateway-route-table", rt_disassociate,
	  "disassociate-transit-gateway-route-table --transit-gateway-route-table-id ID\n"
	  "    --transit-gateway-attachment-id ID\n\n"
	  "What enters from the attachment is then dropped until it is\n"
	  "associated again.\n" },
	{ "enable-transit-gateway-route-table-propagation", prop_enable,
	  "enable-transit-gateway-route-table-propagation\n"
	  "    --transit-gateway-route-table-id ID --transit-gateway-attachment-id ID\n\n"
	  "The table learns the attached VPC's CIDR blocks (not one that another\n"
	  "attachment already propagates there; a static route wins).\n" },
	{ "disable-transit-gateway-route-table-propagation", prop_disable,
	  "disable-transit-gateway-route-table-propagation\n"
	  "    --transit-gateway-route-table-id ID --transit-gateway-attachment-id ID\n\n"
	  "The table forgets the attached VPC's CIDR blocks.\n" },
	{ "create-transit-gateway-route", route_create,
	  "create-transit-gateway-route --transit-gateway-route-table-id ID\n"
	  "    --destination-cidr-block CIDR (--transit-gateway-attachment-id ID | --blackhole)\n\n"
	  "A static route; it beats a propagated route of the same prefix, and a\n"
	  "blackhole route drops what it covers. RouteAlreadyExists for a second\n"
	  "static route of one prefix.\n" },
	{ "delete-transit-gateway-route", route_delete,
	  "delete-transit-gateway-route --transit-gateway-route-table-id ID\n"
	  "    --destination-cidr-block CIDR\n\n"
	  "Deletes a static route (InvalidRoute.NotFound when there is none).\n" },
	{ "search-transit-gateway-routes", route_search,
	  "search-transit-gateway-routes --transit-gateway-route-table-id ID\n"
	  "    --filters Name=NAME,Values=V,... ... [--max-results N]\n\n"
	  "The table's routes as the gateway uses them. Filters: type (static,\n"
	  "propagated), state (active, blackhole),\n"
	  "attachment.transit-gateway-attachment-id, attachment.resource-id,\n"
	  "attachment.resource-type, route-search.exact-match,\n"
	  "route-search.longest-prefix-match, route-search.subnet-of-match,\n"
	  "route-search.supernet-of-match, prefix-list-id (matches nothing).\n" },
};

const struct ec2ctx_cmd *ec2tgw_cmd(const char *cmd)
{
	return ec2ctx_cmd_find(tgw_cmds, ARRAY_SIZE(tgw_cmds), cmd);
}
