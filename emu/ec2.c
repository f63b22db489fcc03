/* ec2.c - AWS-CLI-shaped commands that change a lab's model (see ec2.h).
 *
 * Every command runs on a working copy: the lab is printed (print_lab),
 * parsed and built again, the command changes what print_lab reads, and the
 * copy is printed, built and checked once more. The result replaces the lab
 * only when every stage succeeded, so an error never leaves a half-changed
 * model behind, and the model the daemon keeps is always exactly what its
 * persisted text gives.
 *
 * This module holds that pipeline, the command table, and the peering,
 * route, route-table association and VPC attribute commands; the rule
 * commands are in ec2rules.c, the instance commands in ec2inst.c, the
 * internet gateway, address and NAT gateway commands in ec2edge.c, the
 * endpoint service and endpoint ones in ec2plink.c and ec2vpce.c, the
 * transit gateway ones in
 * ec2tgw.c, the VPN ones in ec2vpn.c, and what they all share (arguments, errors, lookups) in
 * ec2ctx.c.
 *
 * Owns nothing beyond struct ec2_state; never prints.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/describe.h"
#include "vpcemu/ec2.h"
#include "vpcemu/ec2ctx.h"
#include "vpcemu/ec2edge.h"
#include "vpcemu/ec2flow.h"
#include "vpcemu/ec2inst.h"
#include "vpcemu/ec2plink.h"
#include "vpcemu/ec2rules.h"
#include "vpcemu/ec2tgw.h"
#include "vpcemu/ec2vpc.h"
#include "vpcemu/ec2vpn.h"
#include "vpcemu/model.h"
#include "vpcemu/print.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

/* Parses text into a model; the first error it queues becomes the
 * command's error in err. */
static int rebuild(const struct lab *from, const char *text,
		   struct diags **ret_d, struct lab **ret, bool check,
		   struct diags *err)
{
	struct diags *d = calloc(1, sizeof(*d));
	struct conf_file *f;
	struct lab *lab = NULL;
	const struct diag *first;
	int r = 0;

	*ret = NULL;
	*ret_d = NULL;
	if (!d)
		return EC2CTX_NOMEM(err);
	f = conf_parse_buffer(from->file ? from->file : from->name, text,
			      strlen(text), d);
	if (f && !d->nerrors)
		lab = model_build(f, from->name, d);
	conf_free(f);
	if (!f || (!lab && !d->nerrors)) {
		r = EC2CTX_NOMEM(err);
		goto out;
	}
	if (check && lab && !d->nerrors)
		check_lab(lab, d);
	first = diag_first_error(d);
	if (first)
		r = ec2ctx_fail(err, -EINVAL, first->code, "%s",
				first->message);
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

/* The lab as text, or its printing error in d. */
static int print_err(const struct lab *lab, char **text, struct diags *d)
{
	int r = print_lab_to(lab, text, d);

	return r == -ENOMEM ? EC2CTX_NOMEM(d) : r;
}


/* ------------------------------------------------------------------ */
/* Peerings */

static const char *eff_name(struct ec2ctx *c, const struct peering *p)
{
	return ec2_status_code(ec2_peering_status(c->st, p));
}

static int invalid_transition(struct ec2ctx *c, const struct peering *p,
			      const char *to)
{
	return EFAIL(c, "InvalidStateTransition",
		     "Invalid state transition for %s, attempted to transition from %s to %s",
		     p->r.id, eff_name(c, p), to);
}

static int cmd_create_peering(struct ec2ctx *c)
{
	const char *vref, *pref, *region, *owner, *tags;
	struct vpc *rq, *ac;
	struct peering *p, *o;
	char *name = NULL, base[EC2CTX_NAME_MAX + 1];
	struct ec2_peering_rec *rec;
	int ret = 0;
	size_t i;

	vref = ec2ctx_opt_req(c, "--vpc-id", "vpcId", &ret);
	if (!vref)
		return ret;
	pref = ec2ctx_opt_req(c, "--peer-vpc-id", "peerVpcId", &ret);
	if (!pref)
		return ret;
	region = ec2ctx_arg_get(c->a, "--peer-region", NULL);
	owner = ec2ctx_arg_get(c->a, "--peer-owner-id", NULL);
	tags = ec2ctx_arg_get(c->a, "--tag-specifications", NULL);
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
	snprintf(base, sizeof(base), "%.21s-to-%.21s", rq->r.name, ac->r.name);
	ret = ec2ctx_new_name(c, tags, "vpc-peering-connection",
			      ec2ctx_name_ok(base) ? base : "peering", &name);
	if (ret)
		return ret;
	p = calloc(1, sizeof(*p));
	if (!p || ec2ctx_grow((void **)&c->m->peerings, c->m->npeerings,
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

static int cmd_peering_transition(struct ec2ctx *c, const char *cmd)
{
	struct peering *p;
	struct ec2_peering_rec *rec;
	enum peering_status s;
	int ret = 0;

	p = GET_PCX(c, ec2ctx_opt_req(c, "--vpc-peering-connection-id", "vpcPeeringConnectionId", &ret), &ret);
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

/* --gateway-id: an internet gateway or a gateway endpoint. Whether it
 * may serve the table (attached, same VPC) is check's. */
static int gateway_target(struct ec2ctx *c, const char *gw, struct route *rt)
{
	rt->target = model_find(c->m, RES_INTERNET_GATEWAY, gw);
	if (rt->target)
		return 0;
	rt->target = model_find(c->m, RES_ENDPOINT, gw);
	if (rt->target &&
	    ((struct endpoint *)rt->target)->type == ENDPOINT_GATEWAY)
		return 0;
	rt->target = NULL;
	if (!strncmp(gw, "vgw-", 4))
		return EUNSUP(c,
			      "Virtual private gateways are not supported by vpcemu yet (%s)",
			      gw);
	return EFAIL(c, "InvalidGatewayID.NotFound",
		     "The gateway ID '%s' does not exist", gw);
}

/* The one target of create-route / replace-route, into rt. */
static int route_target(struct ec2ctx *c, struct route *rt)
{
	const char *pcx = ec2ctx_arg_get(c->a, "--vpc-peering-connection-id",
					 NULL);
	const char *inst = ec2ctx_arg_get(c->a, "--instance-id", NULL);
	const char *gw = ec2ctx_arg_get(c->a, "--gateway-id", NULL);
	const char *eni = ec2ctx_arg_get(c->a, "--network-interface-id", NULL);
	const char *nat = ec2ctx_arg_get(c->a, "--nat-gateway-id", NULL);
	const char *tgw = ec2ctx_arg_get(c->a, "--transit-gateway-id", NULL);
	static const char *const others[] = {
		"--egress-only-internet-gateway-id", "--local-gateway-id",
		"--carrier-gateway-id", "--vpc-endpoint-id", "--core-network-arn",
		"--destination-prefix-list-id",
	};
	int n = !!pcx + !!inst + !!gw + !!eni + !!nat + !!tgw, ret = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(others); i++)
		if (ec2ctx_arg_index(c->a, others[i]) >= 0)
			return EUNSUP(c, "%s is not supported by vpcemu yet",
				      others[i]);
	if (n == 0)
		return EFAIL(c, "MissingParameter",
			     "The request must contain exactly one of gatewayId, instanceId, natGatewayId, networkInterfaceId, transitGatewayId or vpcPeeringConnectionId");
	if (n > 1)
		return EFAIL(c, "InvalidParameterCombination",
			     "The request must contain exactly one of gatewayId, instanceId, natGatewayId, networkInterfaceId, transitGatewayId or vpcPeeringConnectionId");
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
	if (nat) {
		rt->target = model_find(c->m, RES_NAT_GATEWAY, nat);
		return rt->target ? 0 :
			EFAIL(c, "InvalidNatGatewayID.NotFound",
			      "The natGateway ID '%s' does not exist", nat);
	}
	/* That the table's VPC is attached to it is check's. */
	if (tgw) {
		rt->target = model_find(c->m, RES_TRANSIT_GATEWAY, tgw);
		return rt->target ? 0 :
			EFAIL(c, "InvalidTransitGatewayID.NotFound",
			      "The transitGateway ID '%s' does not exist", tgw);
	}
	return gateway_target(c, gw, rt);
}

static int cmd_route(struct ec2ctx *c, const char *cmd)
{
	const char *tref, *dref;
	struct route_table *t;
	struct route *r, nr = { 0 };
	struct cidr dst;
	char buf[19];
	int ret = 0;

	tref = ec2ctx_opt_req(c, "--route-table-id", "routeTableId", &ret);
	if (!tref)
		return ret;
	dref = ec2ctx_arg_get(c->a, "--destination-cidr-block", NULL);
	if (!dref) {
		if (ec2ctx_arg_index(c->a,
				     "--destination-ipv6-cidr-block") >= 0)
			return EUNSUP(c, "IPv6 routes are not supported by vpcemu yet");
		return EFAIL(c, "MissingParameter",
			     "The request must contain the parameter destinationCidrBlock");
	}
	t = GET_RTB(c, tref, &ret);
	if (!t)
		return ret;
	ret = ec2ctx_get_cidr(c, dref, "destinationCidrBlock", &dst);
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
		ec2ctx_remove_at(t->routes, &t->nroutes, sizeof(*t->routes),
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
	if (ec2ctx_grow((void **)&t->routes, t->nroutes, sizeof(*t->routes)))
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

	ec2ctx_remove_at(t->assoc, &t->nassoc, sizeof(*t->assoc), k);
	if (t->assoc_at)
		ec2ctx_remove_at(t->assoc_at, &n, sizeof(*t->assoc_at), k);
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

static int cmd_associate_rt(struct ec2ctx *c)
{
	const char *tref, *sref;
	struct route_table *t, *old;
	struct subnet *s;
	char id[MODEL_ID_MAX + 8];
	size_t k = 0;
	int ret = 0;

	tref = ec2ctx_opt_req(c, "--route-table-id", "routeTableId", &ret);
	if (!tref)
		return ret;
	sref = ec2ctx_arg_get(c->a, "--subnet-id", NULL);
	if (!sref) {
		if (ec2ctx_arg_index(c->a, "--gateway-id") >= 0)
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
		if (ec2ctx_grow((void **)&t->assoc, t->nassoc,
				sizeof(*t->assoc)) ||
		    ec2ctx_grow((void **)&t->assoc_at, t->nassoc,
				sizeof(*t->assoc_at)))
			return ENOMEM_FAIL(c);
		t->assoc[t->nassoc++] = s;
	}
	assoc_id(c->m, t, s, id);
	c->out = json_pack("{s:s, s:{s:s}}", "AssociationId", id,
			   "AssociationState", "State", "associated");
	return c->out ? 0 : ENOMEM_FAIL(c);
}

static int cmd_disassociate_rt(struct ec2ctx *c)
{
	const char *aref;
	char id[MODEL_ID_MAX + 8];
	size_t i, j;
	int ret = 0;

	aref = ec2ctx_opt_req(c, "--association-id", "associationId", &ret);
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
/* VPC attributes */

static int cmd_modify_vpc_attr(struct ec2ctx *c)
{
	struct vpc *v;
	int sup, host, ret = 0;

	v = GET_VPC(c, ec2ctx_opt_req(c, "--vpc-id", "vpcId", &ret), &ret);
	if (!v)
		return ret;
	sup = ec2ctx_bool_attr(c, "--enable-dns-support", &ret);
	if (sup == -2)
		return ret;
	host = ec2ctx_bool_attr(c, "--enable-dns-hostnames", &ret);
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
	C_IGW,
	C_ADDRESS,
	C_CREATE_NAT,
	C_DELETE_NAT,
	C_ENDPOINT_CONNECTIONS,
	C_DESCRIBE_ENDPOINT_SERVICES,
	C_DESCRIBE_ENDPOINT_CONNECTIONS,
	C_PLINK,
	C_TGW,
	C_FLOW,
	C_VPN,
	C_INST,
};

static const struct ec2_command {
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
	{ "modify-instance-attribute", C_INST },
	{ "create-internet-gateway", C_IGW },
	{ "attach-internet-gateway", C_IGW },
	{ "detach-internet-gateway", C_IGW },
	{ "delete-internet-gateway", C_IGW },
	{ "allocate-address", C_ADDRESS },
	{ "associate-address", C_ADDRESS },
	{ "disassociate-address", C_ADDRESS },
	{ "release-address", C_ADDRESS },
	{ "create-nat-gateway", C_CREATE_NAT },
	{ "delete-nat-gateway", C_DELETE_NAT },
	{ "accept-vpc-endpoint-connections", C_ENDPOINT_CONNECTIONS },
	{ "reject-vpc-endpoint-connections", C_ENDPOINT_CONNECTIONS },
	/* Before the generic describe: it takes --service-names. */
	{ "describe-vpc-endpoint-services", C_DESCRIBE_ENDPOINT_SERVICES },
	{ "describe-vpc-endpoint-connections",
	  C_DESCRIBE_ENDPOINT_CONNECTIONS },
	{ "create-vpc-endpoint-service-configuration", C_PLINK },
	{ "delete-vpc-endpoint-service-configurations", C_PLINK },
	{ "modify-vpc-endpoint-service-permissions", C_PLINK },
	{ "create-vpc-endpoint", C_PLINK },
	{ "delete-vpc-endpoints", C_PLINK },
	{ "create-transit-gateway", C_TGW },
	{ "delete-transit-gateway", C_TGW },
	{ "create-transit-gateway-vpc-attachment", C_TGW },
	{ "delete-transit-gateway-vpc-attachment", C_TGW },
	{ "create-transit-gateway-route-table", C_TGW },
	{ "delete-transit-gateway-route-table", C_TGW },
	{ "associate-transit-gateway-route-table", C_TGW },
	{ "disassociate-transit-gateway-route-table", C_TGW },
	{ "enable-transit-gateway-route-table-propagation", C_TGW },
	{ "disable-transit-gateway-route-table-propagation", C_TGW },
	{ "create-transit-gateway-route", C_TGW },
	{ "delete-transit-gateway-route", C_TGW },
	{ "search-transit-gateway-routes", C_TGW },
	{ "create-flow-logs", C_FLOW },
	{ "delete-flow-logs", C_FLOW },
	{ "create-customer-gateway", C_VPN },
	{ "delete-customer-gateway", C_VPN },
	{ "create-vpn-gateway", C_VPN },
	{ "delete-vpn-gateway", C_VPN },
	{ "attach-vpn-gateway", C_VPN },
	{ "detach-vpn-gateway", C_VPN },
	{ "create-vpn-connection", C_VPN },
	{ "delete-vpn-connection", C_VPN },
	{ "create-vpn-connection-route", C_VPN },
	{ "delete-vpn-connection-route", C_VPN },
	{ "enable-vgw-route-propagation", C_VPN },
	{ "disable-vgw-route-propagation", C_VPN },
};

/* "describe-vpcs" and the like: the `vpcemu describe` type of the kind
 * it names (res_types[]), or NULL. */
static const char *describe_what_of(const char *name)
{
	size_t k;

	if (!name || strncmp(name, "describe-", 9))
		return NULL;
	for (k = 0; k < RES__COUNT; k++)
		if (res_types[k]->describe_what &&
		    !strcmp(res_types[k]->describe_what, name + 9))
			return res_types[k]->describe_what;
	return NULL;
}

static bool in_table(const char *name)
{
	size_t i;

	if (name && ec2vpc_cmd(name))
		return true;

	for (i = 0; name && i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return true;
	return false;
}

bool ec2_is_command(const char *name)
{
	return in_table(name) || describe_what_of(name) != NULL;
}

void ec2_command_names(void (*fn)(void *arg, const char *name), void *arg)
{
	char name[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fn(arg, commands[i].name);
	ec2vpc_names(fn, arg);
	for (i = 0; i < RES__COUNT; i++) {
		if (!res_types[i]->describe_what)
			continue;
		snprintf(name, sizeof(name), "describe-%s",
			 res_types[i]->describe_what);
		/* Some describe-* have a command of their own above. */
		if (!in_table(name))
			fn(arg, name);
	}
}

const char *ec2_usage(const char *name)
{
	const struct ec2ctx_cmd *k = ec2tgw_cmd(name);

	if (!k)
		k = ec2plink_cmd(name);
	if (!k)
		k = ec2vpc_cmd(name);
	if (!k)
		k = ec2flow_cmd(name);
	if (!k)
		k = ec2vpn_cmd(name);
	if (!k)
		k = ec2inst_cmd(name);
	return k ? k->usage : NULL;
}

static int dispatch(struct ec2ctx *c, enum cmd_id id, const char *name)
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
		return ec2rules_sg(c, name);
	case C_CREATE_ACL_ENTRY:
	case C_DELETE_ACL_ENTRY:
	case C_REPLACE_ACL_ENTRY:
		return ec2rules_nacl_entry(c, name);
	case C_MODIFY_VPC_ATTR:
		return cmd_modify_vpc_attr(c);
	case C_RUN:
		return ec2inst_run(c);
	case C_TERMINATE:
		return ec2inst_terminate(c);
	case C_IGW:
		return ec2edge_igw(c, name);
	case C_ADDRESS:
		return ec2edge_address(c, name);
	case C_CREATE_NAT:
		return ec2edge_create_nat(c);
	case C_DELETE_NAT:
		return ec2edge_delete_nat(c);
	case C_ENDPOINT_CONNECTIONS:
		return ec2plink_connections(c, name);
	case C_DESCRIBE_ENDPOINT_SERVICES:
		return ec2plink_describe_services(c);
	case C_DESCRIBE_ENDPOINT_CONNECTIONS:
		return ec2plink_describe_connections(c);
	/* The table above names only commands that these tables have. */
	case C_PLINK:
		return ec2plink_cmd(name)->run(c);
	case C_TGW:
		return ec2tgw_cmd(name)->run(c);
	case C_FLOW:
		return ec2flow_cmd(name)->run(c);
	case C_VPN:
		return ec2vpn_cmd(name)->run(c);
	case C_INST:
		return ec2inst_cmd(name)->run(c);
	}
	return -EINVAL;
}

/* The output that needs the final model. */
static int post_output(struct ec2ctx *c, const struct lab *lab,
		       const struct ec2_state *st, json_t **out)
{
	struct res *r = model_find(lab, RES__COUNT, c->post_id);
	char msg[96];
	json_t *o;

	if (!r)
		return ec2ctx_fail(c->d, -EINVAL, "Vpcemu.Internal",
				   "%s vanished from the rebuilt lab",
				   c->post_id);
	if (c->post == POST_RUN) {
		*out = describe_reservation(lab, (const struct instance *)r);
		return *out ? 0 : ENOMEM_FAIL(c);
	}
	if (c->post == POST_RES) {
		*out = ec2edge_post(lab, st, c->now, c->post_key, r);
		return *out ? 0 : ENOMEM_FAIL(c);
	}
	if (c->post == POST_FN) {
		*out = c->post_fn(lab, st, c->now, r);
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

/* The working records: a copy of st's, with room for one more. */
static int state_copy(const struct ec2_state *st, struct ec2_state *work)
{
	work->v = calloc(st->n + 1, sizeof(*work->v));
	if (!work->v)
		return -ENOMEM;
	if (st->n)
		memcpy(work->v, st->v, st->n * sizeof(*work->v));
	work->n = st->n;
	work->cap = st->n + 1;
	return 0;
}

/* AWS rejects the call when a word is left that no option took. */
static int check_all_used(const struct ec2ctx_args *a, struct diags *err)
{
	int k;

	for (k = 1; k < a->argc; k++)
		if (!a->used[k])
			return ec2ctx_fail(err, -EINVAL, "InvalidParameter",
					   "Unknown option or extra word '%s' for %s",
					   a->argv[k], a->argv[0]);
	return 0;
}

/* *lab becomes m2 (m2 gets the old model, for the caller to free), st
 * takes the working records and the diagnostics d. */
static void commit(struct lab *lab, struct ec2_state *st, struct lab *m2,
		   struct ec2_state *work, struct diags *d)
{
	struct lab tmp = *lab;

	*lab = *m2;
	*m2 = tmp;
	free(st->v);
	st->v = work->v;
	st->n = work->n;
	st->cap = work->cap;
	work->v = NULL;
	if (st->d) {
		diags_free(st->d);
		free(st->d);
	}
	st->d = d;
}

static int run_command(struct ec2ctx *c, const void *arg)
{
	const struct ec2_command *cmd = arg;
	int r = dispatch(c, cmd->id, cmd->name);

	/* The describe-* with a command of their own page as the rest. */
	if (!r && c->out && !strncmp(cmd->name, "describe-", 9))
		r = ec2ctx_page(c->a, &describe_paging_ec2, c->out, c->d);
	return r;
}

/* A command of a module's own table (ec2vpc.c). */
static int run_module_command(struct ec2ctx *c, const void *arg)
{
	const struct ec2ctx_cmd *k = arg;

	return k->run(c);
}

int ec2_run(struct lab *lab, struct ec2_state *st, int argc, char **argv,
	    const struct ec2_clock *clock, json_t **ret_output,
	    struct diags *err)
{
	time_t now = ec2_clock_now(clock);
	size_t i;
	int ret;

	*ret_output = NULL;
	if (argc < 1 || !argv[0])
		return ec2ctx_fail(err, -EINVAL, "MissingParameter",
				   "No command given");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[0], commands[i].name))
			break;
	if (i == ARRAY_SIZE(commands) && describe_what_of(argv[0])) {
		ret = ec2_tick(lab, st, clock);
		if (ret < 0)
			return EC2CTX_NOMEM(err);
		*ret_output = describe_lab_state(lab, st,
						 describe_what_of(argv[0]),
						 now);
		if (!*ret_output)
			return EC2CTX_NOMEM(err);
		ret = ec2_page(argc, argv, &describe_paging_ec2, *ret_output,
			       err);
		if (ret) {
			json_decref(*ret_output);
			*ret_output = NULL;
		}
		return ret;
	}
	if (i == ARRAY_SIZE(commands) && ec2vpc_cmd(argv[0]))
		return ec2_change(lab, st, argc, argv, clock,
				  run_module_command, ec2vpc_cmd(argv[0]),
				  ret_output, err);
	if (i == ARRAY_SIZE(commands))
		return ec2ctx_fail(err, -EINVAL, "InvalidAction",
				   "The action %s is not valid for this web service.",
				   argv[0]);
	return ec2_change(lab, st, argc, argv, clock, run_command,
			  &commands[i], ret_output, err);
}

int ec2_change(struct lab *lab, struct ec2_state *st, int argc, char **argv,
	       const struct ec2_clock *clock, ec2ctx_cmd_fn fn,
	       const void *arg, json_t **ret_output, struct diags *err)
{
	struct ec2_state work = { 0 };
	struct ec2ctx_args a = { argc, argv, NULL };
	struct ec2ctx c = {.a = &a, .d = err, .now = ec2_clock_now(clock)};
	struct diags *d1 = NULL, *d2 = NULL;
	struct lab *m1 = NULL, *m2 = NULL;
	char *text = NULL;
	int ret;

	*ret_output = NULL;
	ret = ec2_tick(lab, st, clock);
	if (ret < 0)
		return ec2ctx_fail(err, ret, "Vpcemu.NoMemory",
				   "Out of memory");
	a.used = calloc((size_t)argc + 1, sizeof(*a.used));
	if (!a.used || state_copy(st, &work)) {
		ret = EC2CTX_NOMEM(err);
		goto out;
	}

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
	ret = fn(&c, arg);
	if (ret)
		goto out;
	ret = check_all_used(&a, err);
	if (ret)
		goto out;

	/* Persistable, rebuilt and checked. */
	ret = print_err(m1, &text, err);
	if (ret)
		goto out;
	if (c.add_text) {
		char *all = str_printf("%s%s", text, c.add_text);

		if (!all) {
			ret = EC2CTX_NOMEM(err);
			goto out;
		}
		free(text);
		text = all;
	}
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

	commit(lab, st, m2, &work, d2);
	d2 = NULL;
out:
	json_decref(c.out);
	free(c.add_text);
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
