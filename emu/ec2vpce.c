/* ec2vpce.c - the consumer's endpoint commands: create-vpc-endpoint (an
 * interface endpoint to an AWS service or to an endpoint service of the
 * lab, or a gateway endpoint to s3 or dynamodb) and delete-vpc-endpoints.
 *
 * A new endpoint is written like a lab file's: its service, subnets with
 * their addresses written down (the lowest free ones, so that they stay),
 * groups, route tables. What the endpoint block derives is the rebuild's:
 * the state of a connection to an endpoint service (pendingAcceptance
 * while acceptance is required), the routes of a gateway endpoint, and
 * every rule (regions, AZs, types, principals). Changes only the working
 * copy (ec2ctx.h); never prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/ec2ctx.h"
#include "vpcemu/ec2edge.h"
#include "vpcemu/ec2plink.h"
#include "vpcemu/model.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

/* --service-name: an AWS service's "com.amazonaws.REGION.NAME", or an
 * endpoint service's "com.amazonaws.vpce.REGION.vpce-svc-..." (its lab
 * name or ID too, as vpcemu takes names wherever AWS takes IDs). */
static int vpce_service(struct ec2ctx *c, struct endpoint *e, const char *sn)
{
	const char *region, *name;
	size_t rlen;
	struct endpoint_service *s;

	s = (struct endpoint_service *)model_find(c->m, RES_ENDPOINT_SERVICE,
						  sn);
	if (!s && endpoint_service_split(sn, &region, &rlen, &name) &&
	    !strncmp(sn, "com.amazonaws.vpce.", 19)) {
		s = (struct endpoint_service *)model_find(
			c->m, RES_ENDPOINT_SERVICE, name);
		if (!s || strcmp(s->r.id, name))
			return EFAIL(c, "InvalidServiceName",
				     "The Vpc Endpoint Service '%s' does not exist",
				     sn);
	} else if (!s && !endpoint_service_split(sn, &region, &rlen, &name)) {
		return EFAIL(c, "InvalidServiceName",
			     "The Vpc Endpoint Service '%s' does not exist",
			     sn);
	}
	e->svc = s;
	e->service = strdup(s ? s->service_name : sn);
	e->service_short = strdup(s ? s->r.id : name);
	return e->service && e->service_short ? 0 : ENOMEM_FAIL(c);
}

/* --subnet-ids: one ENI each, at the lowest free address. */
static int vpce_subnets(struct ec2ctx *c, struct endpoint *e)
{
	int n, first, i, ret = 0;
	struct subnet *s;

	n = ec2ctx_arg_list(c->a, "--subnet-ids", &first);
	for (i = 0; i < n; i++) {
		s = GET_SUBNET(c, c->a->argv[first + i], &ret);
		if (!s)
			return ret;
		if (ec2ctx_grow((void **)&e->subnets, e->nsubnets,
				sizeof(*e->subnets)) ||
		    ec2ctx_grow((void **)&e->private_ips, e->nprivate_ips,
				sizeof(*e->private_ips)))
			return ENOMEM_FAIL(c);
		ret = ec2ctx_free_ip(c, s, &e->private_ips[e->nprivate_ips]);
		if (ret)
			return ret;
		e->subnets[e->nsubnets++] = s;
		e->nprivate_ips++;
	}
	return 0;
}

/* --security-group-ids, else the VPC's default group. */
static int vpce_sgs(struct ec2ctx *c, struct endpoint *e)
{
	int n, first, i, ret = 0;
	struct sg *g;
	size_t k;

	n = ec2ctx_arg_list(c->a, "--security-group-ids", &first);
	for (i = 0; i < n; i++) {
		g = ec2ctx_get_sg(c, c->a->argv[first + i], &ret);
		if (!g)
			return ret;
		if (ec2ctx_grow((void **)&e->sgs, e->nsgs, sizeof(*e->sgs)))
			return ENOMEM_FAIL(c);
		e->sgs[e->nsgs++] = g;
	}
	for (k = 0; !e->nsgs && k < c->m->nsgs; k++)
		if (c->m->sgs[k]->vpc == e->vpc && c->m->sgs[k]->is_default) {
			if (ec2ctx_grow((void **)&e->sgs, 0, sizeof(*e->sgs)))
				return ENOMEM_FAIL(c);
			e->sgs[e->nsgs++] = c->m->sgs[k];
		}
	return 0;
}

static int vpce_route_tables(struct ec2ctx *c, struct endpoint *e)
{
	int n, first, i, ret = 0;
	struct route_table *t;

	n = ec2ctx_arg_list(c->a, "--route-table-ids", &first);
	for (i = 0; i < n; i++) {
		t = GET_RTB(c, c->a->argv[first + i], &ret);
		if (!t)
			return ret;
		if (ec2ctx_grow((void **)&e->route_tables, e->nroute_tables,
				sizeof(*e->route_tables)))
			return ENOMEM_FAIL(c);
		e->route_tables[e->nroute_tables++] = t;
	}
	return 0;
}

/* --vpc-endpoint-type: AWS's default is Gateway. */
static int vpce_type(struct ec2ctx *c, struct endpoint *e)
{
	const char *t = ec2ctx_arg_get(c->a, "--vpc-endpoint-type", NULL);

	if (!t || !strcmp(t, "Gateway"))
		e->type = ENDPOINT_GATEWAY;
	else if (!strcmp(t, "Interface"))
		e->type = ENDPOINT_INTERFACE;
	else if (!strcmp(t, "GatewayLoadBalancer"))
		return EUNSUP(c, "vpcemu has no Gateway Load Balancer endpoints");
	else
		return EFAIL(c, "InvalidParameterValue",
			     "Value (%s) for parameter vpcEndpointType is invalid. Valid values: Interface, Gateway, GatewayLoadBalancer",
			     t);
	return 0;
}

int ec2vpce_create(struct ec2ctx *c)
{
	bool dns = ec2ctx_arg_flag(c->a, "--private-dns-enabled");
	bool nodns = ec2ctx_arg_flag(c->a, "--no-private-dns-enabled");
	const char *vref, *sn, *ipt;
	struct endpoint *e;
	struct vpc *v;
	int ret = 0;

	vref = ec2ctx_opt_req(c, "--vpc-id", "VpcId", &ret);
	if (!vref)
		return ret;
	sn = ec2ctx_opt_req(c, "--service-name", "ServiceName", &ret);
	if (!sn)
		return ret;
	v = GET_VPC(c, vref, &ret);
	if (!v)
		return ret;
	if (dns && nodns)
		return EFAIL(c, "InvalidParameterCombination",
			     "--private-dns-enabled and --no-private-dns-enabled exclude each other");
	ipt = ec2ctx_arg_get(c->a, "--ip-address-type", NULL);
	if (ipt && strcmp(ipt, "ipv4"))
		return EUNSUP(c, "vpcemu's endpoints are ipv4 only");
	ec2ctx_arg_get(c->a, "--client-token", NULL);
	e = (struct endpoint *)ec2edge_res_add(c, RES_ENDPOINT, "vpc-endpoint",
					       "endpoint", &ret);
	if (!e)
		return ret;
	e->vpc = v;
	ret = vpce_service(c, e, sn);
	if (!ret)
		ret = vpce_type(c, e);
	if (!ret)
		ret = vpce_subnets(c, e);
	if (!ret)
		ret = vpce_route_tables(c, e);
	if (!ret && e->type == ENDPOINT_INTERFACE)
		ret = vpce_sgs(c, e);
	if (ret)
		return ret;
	/* The lab's default: on for an interface endpoint to an AWS
	 * service, as in AWS; an endpoint service of the lab has no private
	 * DNS name. */
	e->private_dns = dns || (!nodns && e->type == ENDPOINT_INTERFACE &&
				 !e->svc);
	c->post = POST_RES;
	c->post_key = "VpcEndpoint";
	snprintf(c->post_id, sizeof(c->post_id), "%s", e->r.id);
	return 0;
}

/* Drops e's routes: AWS removes a gateway endpoint's routes with it. */
static void routes_drop(struct ec2ctx *c, const struct endpoint *e)
{
	size_t i, k;

	for (i = 0; i < c->m->nroute_tables; i++) {
		struct route_table *t = c->m->route_tables[i];

		for (k = t->nroutes; k-- > 0;)
			if (t->routes[k].target == &e->r)
				ec2ctx_remove_at(t->routes, &t->nroutes,
						 sizeof(*t->routes), k);
	}
}

/* Each endpoint of --vpc-endpoint-ids goes, or is an UnsuccessfulItem
 * (InvalidVpcEndpointId.NotFound); a connection leaves its service's
 * accept and reject lists. */
static int delete_one(struct ec2ctx *c, const char *ref, json_t *fails)
{
	struct endpoint *e = (struct endpoint *)model_find(c->m, RES_ENDPOINT,
							   ref);
	size_t k;

	if (!e)
		return ec2plink_unsuccessful(c, fails, ref,
					     "InvalidVpcEndpointId.NotFound",
					     "The Vpc Endpoint Id does not exist");
	ec2plink_forget(c, e);
	routes_drop(c, e);
	/* Its ENIs are model_build's, never written: they go with it. */
	for (k = 0; k < e->nenis; k++)
		ec2edge_res_drop(c, &e->enis[k]->r);
	e->nenis = 0;
	ec2edge_res_drop(c, &e->r);
	return 0;
}

int ec2vpce_delete(struct ec2ctx *c)
{
	return ec2plink_each(c, "--vpc-endpoint-ids", "VpcEndpointIds",
			     delete_one);
}
