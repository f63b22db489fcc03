/* ec2edge.c - the VPC edge commands: internet gateways (create, attach,
 * detach, delete), Elastic IPs (allocate, associate, disassociate,
 * release) and NAT gateways (create, delete).
 *
 * These kinds live only in lab->res[] (model.h), so new ones are added
 * there with the ID model_build would derive from their name: print_lab
 * then writes their blocks and the rebuild finds the same resources.
 * What model_build derives (a NAT gateway's ENI and address) is read
 * from the rebuilt model (POST_RES). Changes only the working copy
 * (ec2ctx.h). The helpers for lab->res[] serve ec2tgw.c too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/ec2ctx.h"
#include "vpcemu/ec2edge.h"
#include "vpcemu/model.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

#define GET_IGW(c, ref, ret)                                             \
	((struct internet_gateway *)ec2ctx_get_res(                      \
		c, RES_INTERNET_GATEWAY, ref,                            \
		"InvalidInternetGatewayID.NotFound", "internetGateway", ret))
#define GET_EIP(c, ref, ret)                                             \
	((struct elastic_ip *)ec2ctx_get_res(c, RES_ELASTIC_IP, ref,     \
					     "InvalidAllocationID.NotFound", \
					     "allocation", ret))
#define GET_NAT(c, ref, ret)                                             \
	((struct nat_gateway *)ec2ctx_get_res(c, RES_NAT_GATEWAY, ref,   \
					      "NatGatewayNotFound",      \
					      "natGateway", ret))

/* ------------------------------------------------------------------ */
/* Resources of lab->res[] */

struct res *ec2edge_res_add(struct ec2ctx *c, enum res_kind k,
			    const char *rtype, const char *base, int *ret)
{
	const char *tags = ec2ctx_arg_get(c->a, "--tag-specifications", NULL);
	char *name;

	*ret = ec2ctx_new_name(c, tags, rtype, base, &name);
	if (*ret)
		return NULL;
	return ec2edge_res_add_named(c, k, name, ret);
}

struct res *ec2edge_res_add_named(struct ec2ctx *c, enum res_kind k,
				  char *name, int *ret)
{
	const struct res_type *t = res_types[k];
	struct res_list *l = &c->m->res[k];
	struct res *r;

	r = calloc(1, t->size);
	if (!r || ec2ctx_grow((void **)&l->v, l->n, sizeof(*l->v))) {
		free(r);
		free(name);
		*ret = ENOMEM_FAIL(c);
		return NULL;
	}
	r->kind = k;
	r->name = name;
	model_make_id(r->id, t->id_prefix, c->m->name, t->keyword, name);
	l->v[l->n++] = r;
	return r;
}

void ec2edge_res_drop(struct ec2ctx *c, struct res *r)
{
	struct res_list *l = &c->m->res[r->kind];
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i] == r) {
			ec2ctx_remove_at(l->v, &l->n, sizeof(*l->v), i);
			break;
		}
	res_free(r);
}

void ec2edge_routes_blackhole(struct ec2ctx *c, const struct res *target,
			      const struct vpc *vpc)
{
	size_t i, k;

	for (i = 0; i < c->m->nroute_tables; i++) {
		struct route_table *t = c->m->route_tables[i];

		if (vpc && t->vpc != vpc)
			continue;
		for (k = 0; k < t->nroutes; k++)
			if (t->routes[k].target == target)
				t->routes[k].target = NULL;
	}
}

json_t *ec2edge_describe_one(const struct lab *lab, const struct ec2_state *st,
			    time_t now, const struct res *r)
{
	struct jb b = { 0 };
	json_t *a = json_array(), *o;

	if (!a)
		return NULL;
	res_types[r->kind]->describe(&b, a, lab, st, now, r);
	o = json_incref(json_array_get(a, 0));
	json_decref(a);
	if (b.oom) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *ec2edge_post(const struct lab *lab, const struct ec2_state *st,
		     time_t now, const char *key, const struct res *r)
{
	json_t *o = ec2edge_describe_one(lab, st, now, r);

	return o ? json_pack("{s:o}", key, o) : NULL;
}

static int out_empty(struct ec2ctx *c)
{
	c->out = json_object();
	return c->out ? 0 : ENOMEM_FAIL(c);
}

/* ------------------------------------------------------------------ */
/* Internet gateways */

/* A resource of v that holds a public IP or an Elastic IP, or NULL. */
static const struct res *public_holder(const struct lab *m,
				       const struct vpc *v)
{
	const struct res_list *l = &m->res[RES_NAT_GATEWAY];
	size_t i;

	for (i = 0; i < m->ninstances; i++)
		if (m->instances[i]->subnet->vpc == v &&
		    (m->instances[i]->public_ip || m->instances[i]->public_ipv4))
			return &m->instances[i]->r;
	for (i = 0; i < m->nenis; i++)
		if (m->enis[i]->subnet->vpc == v && m->enis[i]->node_public_ip)
			return &m->enis[i]->lb->r;
	for (i = 0; i < l->n; i++) {
		const struct nat_gateway *n = (const struct nat_gateway *)l->v[i];

		if (n->subnet->vpc == v && n->eip)
			return &n->r;
	}
	return NULL;
}

static int igw_create(struct ec2ctx *c)
{
	int ret = 0;
	struct res *r = ec2edge_res_add(c, RES_INTERNET_GATEWAY,
					"internet-gateway", "internet-gateway",
					&ret);

	if (!r)
		return ret;
	c->out = ec2edge_post(c->m, c->st, c->now, "InternetGateway", r);
	return c->out ? 0 : ENOMEM_FAIL(c);
}

/* attach- and detach-internet-gateway. */
static int igw_attach(struct ec2ctx *c, struct internet_gateway *g,
		      bool attach)
{
	const struct res *h;
	struct vpc *v;
	int ret = 0;

	v = GET_VPC(c, ec2ctx_opt_req(c, "--vpc-id", "vpcId", &ret), &ret);
	if (!v)
		return ret;
	if (attach && g->vpc)
		return EFAIL(c, "Resource.AlreadyAssociated",
			     "resource %s is already attached to network %s",
			     g->r.id, g->vpc->r.id);
	/* one gateway per VPC. */
	if (attach && internet_gateway_of(c->m, v))
		return EFAIL(c, "Resource.AlreadyAssociated",
			     "resource %s is already associated with internet gateway %s",
			     v->r.id, internet_gateway_of(c->m, v)->r.id);
	if (!attach && g->vpc != v)
		return EFAIL(c, "Gateway.NotAttached",
			     "resource %s is not attached to network %s",
			     g->r.id, v->r.id);
	/* not while something of the VPC is reached through it. */
	h = attach ? NULL : public_holder(c->m, v);
	if (h)
		return EFAIL(c, "DependencyViolation",
			     "Network %s has some mapped public address(es) (%s %s). Please unmap those public address(es) before detaching the gateway.",
			     v->r.id, res_types[h->kind]->noun, h->id);
	if (!attach)
		ec2edge_routes_blackhole(c, &g->r, NULL);
	g->vpc = attach ? v : NULL;
	return out_empty(c);
}

int ec2edge_igw(struct ec2ctx *c, const char *cmd)
{
	struct internet_gateway *g;
	const char *ref;
	int ret = 0;

	if (!strcmp(cmd, "create-internet-gateway"))
		return igw_create(c);
	ref = ec2ctx_opt_req(c, "--internet-gateway-id", "internetGatewayId",
			     &ret);
	if (!ref)
		return ret;
	g = GET_IGW(c, ref, &ret);
	if (!g)
		return ret;
	if (!strcmp(cmd, "attach-internet-gateway"))
		return igw_attach(c, g, true);
	if (!strcmp(cmd, "detach-internet-gateway"))
		return igw_attach(c, g, false);
	if (g->vpc)
		return EFAIL(c, "DependencyViolation",
			     "The internetGateway '%s' has dependencies and cannot be deleted.",
			     g->r.id);
	ec2edge_res_drop(c, &g->r);
	return out_empty(c);
}

/* ------------------------------------------------------------------ */
/* Elastic IPs */

/* The AssociationId describe-addresses shows (res/elastic_ip.c). */
static void eip_assoc_id(const struct lab *m, const struct elastic_ip *e,
			 char *out)
{
	model_make_id(out, "eipassoc-", m->name, "eip-association",
		      e->r.name);
}

static bool public_used(const struct lab *m, uint32_t a)
{
	const struct res_list *l = &m->res[RES_ELASTIC_IP];
	size_t i;

	for (i = 0; i < l->n; i++)
		if (((const struct elastic_ip *)l->v[i])->address == a)
			return true;
	for (i = 0; i < m->ninstances; i++)
		if (m->instances[i]->public_ipv4 == a)
			return true;
	return false;
}

/* The pool's first address nobody holds, 0 when none. A new address is
 * written down (address_given): left to model_build, it would take the
 * first free slot anew on every rebuild, and move when an address before
 * it is released or take an instance's public IP. */
static uint32_t pool_free(const struct lab *m)
{
	uint32_t a;
	size_t slot;

	for (slot = 0; (a = model_public_pool_at(m, slot)); slot++)
		if (!public_used(m, a))
			return a;
	return 0;
}

/* The NAT gateway that holds e, or NULL. */
static const struct nat_gateway *eip_nat(const struct lab *m,
					 const struct elastic_ip *e)
{
	const struct res_list *l = &m->res[RES_NAT_GATEWAY];
	size_t i;

	for (i = 0; i < l->n; i++)
		if (((const struct nat_gateway *)l->v[i])->eip == e)
			return (const struct nat_gateway *)l->v[i];
	return NULL;
}

/* --address: a given address of the pool nobody holds. AWS answers
 * InvalidAddress.NotFound for one it cannot hand out; the pool is all
 * vpcemu can. */
static int eip_wanted(struct ec2ctx *c, const char *want, uint32_t *ret_a)
{
	if (ip_parse(want, ret_a))
		return EFAIL(c, "InvalidParameterValue",
			     "Invalid value '%s' for Address", want);
	if (!model_public_pool_has(c->m, *ret_a))
		return EFAIL(c, "InvalidAddress.NotFound",
			     "Address '%s' not found.", want);
	if (public_used(c->m, *ret_a))
		return EFAIL(c, "InvalidIPAddress.InUse",
			     "Address %s is in use", want);
	return 0;
}

static int eip_allocate(struct ec2ctx *c)
{
	const char *dom = ec2ctx_arg_get(c->a, "--domain", NULL);
	const char *want = ec2ctx_arg_get(c->a, "--address", NULL);
	struct elastic_ip *e;
	char ip[IP_BUF];
	uint32_t a;
	int ret = 0;

	if (dom && strcmp(dom, "vpc"))
		return EFAIL(c, "InvalidParameterValue",
			     "Invalid value '%s' for domain: vpcemu has VPC addresses only",
			     dom);
	if (want) {
		ret = eip_wanted(c, want, &a);
		if (ret)
			return ret;
	} else {
		a = pool_free(c->m);
		if (!a)
			return EFAIL(c, "AddressLimitExceeded",
				     "The maximum number of addresses has been reached.");
	}
	e = (struct elastic_ip *)ec2edge_res_add(c, RES_ELASTIC_IP,
						 "elastic-ip", "eip", &ret);
	if (!e)
		return ret;
	e->address = a;
	e->address_given = true;
	c->out = json_pack("{s:s, s:s, s:s, s:s, s:s}", "PublicIp",
			   ip_fmt(a, ip), "AllocationId", e->r.id,
			   "PublicIpv4Pool", "amazon", "NetworkBorderGroup",
			   c->m->region, "Domain", "vpc");
	return c->out ? 0 : ENOMEM_FAIL(c);
}

/* The instance associate-address names: by --instance-id, or by
 * --network-interface-id (an instance's: vpcemu puts Elastic IPs on
 * instances only), and --private-ip-address, when given, its address. */
static struct instance *assoc_instance(struct ec2ctx *c, int *ret)
{
	const char *iref = ec2ctx_arg_get(c->a, "--instance-id", NULL);
	const char *eref = ec2ctx_arg_get(c->a, "--network-interface-id", NULL);
	const char *pip = ec2ctx_arg_get(c->a, "--private-ip-address", NULL);
	struct instance *in;
	struct eni *e;
	uint32_t a;

	if (iref && eref) {
		*ret = EFAIL(c, "InvalidParameterCombination",
			     "You can specify either an instance ID or a network interface ID, but not both");
		return NULL;
	}
	if (!iref && !eref) {
		*ret = EFAIL(c, "MissingParameter",
			     "The request must contain the parameter instanceId or networkInterfaceId");
		return NULL;
	}
	if (iref)
		return GET_INSTANCE(c, iref, ret);
	e = GET_ENI(c, eref, ret);
	if (!e)
		return NULL;
	in = e->instance;
	if (!in) {
		*ret = EUNSUP(c, "vpcemu associates Elastic IPs with the network interfaces of instances only; %s is not one",
			      e->r.id);
		return NULL;
	}
	if (!pip)
		return in;
	if (ip_parse(pip, &a)) {
		*ret = EFAIL(c, "InvalidParameterValue",
			     "Invalid value '%s' for privateIpAddress", pip);
		return NULL;
	}
	/* An instance has its primary address only (model.h). */
	if (a != in->private_ip) {
		*ret = EFAIL(c, "InvalidParameterValue",
			     "The private IP address %s is not assigned to network interface %s",
			     pip, e->r.id);
		return NULL;
	}
	return in;
}

static int eip_associate(struct ec2ctx *c, struct elastic_ip *e)
{
	bool again = ec2ctx_arg_flag(c->a, "--allow-reassociation");
	const struct nat_gateway *n = eip_nat(c->m, e);
	struct instance *in;
	char id[MODEL_ID_MAX];
	size_t i;
	int ret = 0;

	ec2ctx_arg_flag(c->a, "--no-allow-reassociation");
	in = assoc_instance(c, &ret);
	if (!in)
		return ret;
	eip_assoc_id(c->m, e, id);
	if (n || (e->instance && e->instance != in && !again))
		return EFAIL(c, "Resource.AlreadyAssociated",
			     "resource %s is already associated with %s %s",
			     e->r.id, n ? "nat gateway" : "associate-id",
			     n ? n->r.id : id);
	if (!internet_gateway_of(c->m, in->subnet->vpc))
		return EFAIL(c, "Gateway.NotAttached",
			     "Network %s is not attached to any internet gateway",
			     in->subnet->vpc->r.id);
	/* An instance's Elastic IP gives way to the new one, as in AWS. */
	for (i = 0; i < c->m->res[RES_ELASTIC_IP].n; i++) {
		struct elastic_ip *o =
			(struct elastic_ip *)c->m->res[RES_ELASTIC_IP].v[i];

		if (o->instance == in)
			o->instance = NULL;
	}
	e->instance = in;
	c->out = json_pack("{s:s}", "AssociationId", id);
	return c->out ? 0 : ENOMEM_FAIL(c);
}

static int eip_disassociate(struct ec2ctx *c)
{
	const struct res_list *l = &c->m->res[RES_ELASTIC_IP];
	char id[MODEL_ID_MAX];
	const char *ref;
	size_t i;
	int ret = 0;

	ref = ec2ctx_opt_req(c, "--association-id", "associationId", &ret);
	if (!ref)
		return ret;
	for (i = 0; i < l->n; i++) {
		struct elastic_ip *e = (struct elastic_ip *)l->v[i];

		eip_assoc_id(c->m, e, id);
		if (!e->instance || strcmp(id, ref))
			continue;
		e->instance = NULL;
		return out_empty(c);
	}
	return EFAIL(c, "InvalidAssociationID.NotFound",
		     "The association ID '%s' does not exist", ref);
}

/* The Elastic IP of associate-address: by --allocation-id, or by the
 * EC2-Classic --public-ip, which the AWS CLI still takes to name one. */
static struct elastic_ip *eip_named(struct ec2ctx *c, int *ret)
{
	const char *pub = ec2ctx_arg_get(c->a, "--public-ip", NULL);
	const char *ref = ec2ctx_arg_get(c->a, "--allocation-id", NULL);
	const struct res_list *l = &c->m->res[RES_ELASTIC_IP];
	uint32_t a;
	size_t i;

	if (pub && ref) {
		*ret = EFAIL(c, "InvalidParameterCombination",
			     "You can specify either an allocation ID or a public IP address, but not both");
		return NULL;
	}
	if (!pub) {
		ref = ec2ctx_opt_req(c, "--allocation-id", "allocationId", ret);
		return ref ? GET_EIP(c, ref, ret) : NULL;
	}
	for (i = 0; !ip_parse(pub, &a) && i < l->n; i++)
		if (((struct elastic_ip *)l->v[i])->address == a)
			return (struct elastic_ip *)l->v[i];
	*ret = EFAIL(c, "InvalidAddress.NotFound", "Address '%s' not found.",
		     pub);
	return NULL;
}

int ec2edge_address(struct ec2ctx *c, const char *cmd)
{
	struct elastic_ip *e;
	char ip[IP_BUF];
	int ret = 0;

	if (!strcmp(cmd, "allocate-address"))
		return eip_allocate(c);
	if (!strcmp(cmd, "disassociate-address"))
		return eip_disassociate(c);
	if (!strcmp(cmd, "associate-address")) {
		e = eip_named(c, &ret);
		return e ? eip_associate(c, e) : ret;
	}
	e = GET_EIP(c, ec2ctx_opt_req(c, "--allocation-id", "allocationId", &ret), &ret);
	if (!e)
		return ret;
	/* release-address: AWS wants it disassociated first. */
	if (e->instance || eip_nat(c->m, e))
		return EFAIL(c, "InvalidIPAddress.InUse",
			     "Address %s (%s) is in use",
			     ip_fmt(e->address, ip), e->r.id);
	ec2edge_res_drop(c, &e->r);
	return out_empty(c);
}

/* ------------------------------------------------------------------ */
/* NAT gateways */

/* --connectivity-type and --private-ip-address into n. */
static int nat_opts(struct ec2ctx *c, struct nat_gateway *n)
{
	const char *type = ec2ctx_arg_get(c->a, "--connectivity-type", NULL);
	const char *ip = ec2ctx_arg_get(c->a, "--private-ip-address", NULL);

	if (type && strcmp(type, "public") && strcmp(type, "private"))
		return EFAIL(c, "InvalidParameterValue",
			     "Value (%s) for parameter connectivityType is invalid. Valid values: public, private",
			     type);
	n->private_conn = type && !strcmp(type, "private");
	if (ip && ip_parse(ip, &n->private_ip))
		return EFAIL(c, "InvalidParameterValue",
			     "Invalid value '%s' for privateIpAddress", ip);
	n->private_ip_given = ip != NULL;
	return 0;
}

/* The rules on the Elastic IP (a public gateway needs one, a private one
 * takes none, not one in use) and the address are check's (res/
 * nat_gateway.c), which the rebuild runs. */
int ec2edge_create_nat(struct ec2ctx *c)
{
	const char *aref;
	char base[EC2CTX_NAME_MAX + 1];
	struct elastic_ip *e = NULL;
	struct nat_gateway *n;
	struct subnet *s;
	int ret = 0;

	s = GET_SUBNET(c, ec2ctx_opt_req(c, "--subnet-id", "subnetId", &ret), &ret);
	if (!s)
		return ret;
	aref = ec2ctx_arg_get(c->a, "--allocation-id", NULL);
	if (aref) {
		e = GET_EIP(c, aref, &ret);
		if (!e)
			return ret;
	}
	ec2ctx_arg_get(c->a, "--client-token", NULL);
	snprintf(base, sizeof(base), "%.44s-nat", s->r.name);
	n = (struct nat_gateway *)ec2edge_res_add(
		c, RES_NAT_GATEWAY, "natgateway",
		ec2ctx_name_ok(base) ? base : "natgw", &ret);
	if (!n)
		return ret;
	n->subnet = s;
	n->eip = e;
	ret = nat_opts(c, n);
	if (ret)
		return ret;
	c->post = POST_RES;
	c->post_key = "NatGateway";
	snprintf(c->post_id, sizeof(c->post_id), "%s", n->r.id);
	return 0;
}

int ec2edge_delete_nat(struct ec2ctx *c)
{
	struct nat_gateway *n;
	int ret = 0;

	n = GET_NAT(c, ec2ctx_opt_req(c, "--nat-gateway-id", "natGatewayId", &ret), &ret);
	if (!n)
		return ret;
	c->out = json_pack("{s:s}", "NatGatewayId", n->r.id);
	if (!c->out)
		return ENOMEM_FAIL(c);
	ec2edge_routes_blackhole(c, &n->r, NULL);
	/* Its ENI is model_build's, never written: it goes with it. */
	if (n->eni)
		ec2edge_res_drop(c, &n->eni->r);
	ec2edge_res_drop(c, &n->r);
	return 0;
}
