/* ec2plink.c - the provider's side of PrivateLink as ec2 commands: its
 * endpoint services and their connections (the endpoints to them).
 *
 * An endpoint's state is the service's word in the lab file (accept and
 * reject lists, res/endpoint_service.c): accepting or rejecting moves the
 * endpoint between those lists of the working copy (ec2ctx.h), and the
 * rebuilt model derives the state from them. Never prints.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/describe.h"
#include "vpcemu/ec2ctx.h"
#include "vpcemu/ec2plink.h"
#include "vpcemu/model.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

/* Whether e is in v (n entries); its index in *ret_i. */
static bool listed(struct endpoint *const *v, size_t n,
		   const struct endpoint *e, size_t *ret_i)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == e) {
			if (ret_i)
				*ret_i = i;
			return true;
		}
	return false;
}

/* Adds e to a list of the service (with its place array); -ENOMEM. */
static int list_add(struct endpoint ***v, struct place **at, size_t *n,
		    struct endpoint *e)
{
	if (listed(*v, *n, e, NULL))
		return 0;
	if (ec2ctx_grow((void **)v, *n, sizeof(**v)) ||
	    ec2ctx_grow((void **)at, *n, sizeof(**at)))
		return -ENOMEM;
	(*v)[(*n)++] = e;
	return 0;
}

static void list_del(struct endpoint **v, struct place *at, size_t *n,
		     const struct endpoint *e)
{
	size_t i, m = *n;

	if (!listed(v, *n, e, &i))
		return;
	ec2ctx_remove_at(v, n, sizeof(*v), i);
	ec2ctx_remove_at(at, &m, sizeof(*at), i);
}

/* One UnsuccessfulItem. */
static int unsuccessful(struct ec2ctx *c, json_t *a, const char *id,
			const char *code, const char *msg)
{
	if (json_array_append_new(a, json_pack("{s:{s:s, s:s}, s:s}", "Error",
					       "Code", code, "Message", msg,
					       "ResourceId", id)))
		return ENOMEM_FAIL(c);
	return 0;
}

/* One endpoint of the request: accepted (pendingAcceptance -> available,
 * an available one stays so) or rejected (pendingAcceptance or available
 * -> rejected). A rejected connection cannot be accepted again: the
 * consumer makes a new endpoint (vpcemu's code for it, as AWS documents
 * none: InvalidVpcEndpointState). */
static int connection(struct ec2ctx *c, struct endpoint_service *s,
		      const char *ref, bool accept, json_t *fails)
{
	struct endpoint *e = (struct endpoint *)model_find(c->m, RES_ENDPOINT,
							   ref);

	if (!e || e->svc != s)
		return unsuccessful(c, fails, ref,
				    "InvalidVpcEndpointId.NotFound",
				    "The Vpc Endpoint Id does not exist or is not a connection of this service");
	if (accept && e->state == ENDPOINT_REJECTED)
		return unsuccessful(c, fails, e->r.id, "InvalidVpcEndpointState",
				    "The Vpc Endpoint is rejected and cannot be accepted");
	if (accept)
		return s->acceptance_required &&
				       list_add(&s->accepted, &s->accepted_at,
						&s->naccepted, e)
			       ? ENOMEM_FAIL(c)
			       : 0;
	list_del(s->accepted, s->accepted_at, &s->naccepted, e);
	return list_add(&s->rejected, &s->rejected_at, &s->nrejected, e)
		       ? ENOMEM_FAIL(c)
		       : 0;
}

int ec2plink_connections(struct ec2ctx *c, const char *cmd)
{
	bool accept = !strcmp(cmd, "accept-vpc-endpoint-connections");
	struct endpoint_service *s;
	const char *ref;
	json_t *fails;
	int n, first, i, ret = 0;

	ref = ec2ctx_opt_req(c, "--service-id", "ServiceId", &ret);
	if (!ref)
		return ret;
	n = ec2ctx_arg_list(c->a, "--vpc-endpoint-ids", &first);
	if (n <= 0)
		return EFAIL(c, "MissingParameter",
			     "The request must contain the parameter VpcEndpointIds");
	s = ec2ctx_get_res(c, RES_ENDPOINT_SERVICE, ref,
			   "InvalidVpcEndpointServiceId.NotFound",
			   "VpcEndpointService", &ret);
	if (!s)
		return ret;
	fails = json_array();
	if (!fails)
		return ENOMEM_FAIL(c);
	for (i = 0; i < n && !ret; i++)
		ret = connection(c, s, c->a->argv[first + i], accept, fails);
	c->out = ret ? NULL : json_pack("{s:o}", "Unsuccessful", fails);
	if (ret)
		json_decref(fails);
	return ret ? ret : c->out ? 0 : ENOMEM_FAIL(c);
}

int ec2plink_describe_services(struct ec2ctx *c)
{
	json_t *all = describe_lab(c->m, "vpc-endpoint-services"), *details,
	       *names = json_array(), *keep = json_array();
	int n, first, i, ret = 0;
	size_t k;

	n = ec2ctx_arg_list(c->a, "--service-names", &first);
	details = json_object_get(all, "ServiceDetails");
	if (!all || !names || !keep) {
		ret = ENOMEM_FAIL(c);
		goto out;
	}
	/* Each name asked for must exist, as in AWS. */
	for (i = 0; i < n && !ret; i++) {
		const char *want = c->a->argv[first + i];

		for (k = 0; k < json_array_size(details); k++)
			if (str_eq(describe_jstr(json_array_get(details, k),
						 "ServiceName"),
				   want))
				break;
		if (k == json_array_size(details))
			ret = EFAIL(c, "InvalidServiceName",
				    "The Vpc Endpoint Service '%s' does not exist",
				    want);
	}
	for (k = 0; !ret && k < json_array_size(details); k++) {
		json_t *d = json_array_get(details, k);
		const char *name = describe_jstr(d, "ServiceName");
		bool take = n <= 0;

		for (i = 0; i < n && !take; i++)
			take = str_eq(name, c->a->argv[first + i]);
		if (take && (json_array_append(keep, d) ||
			     json_array_append_new(names, json_string(name))))
			ret = ENOMEM_FAIL(c);
	}
	if (!ret) {
		c->out = json_pack("{s:O, s:O}", "ServiceNames", names,
				   "ServiceDetails", keep);
		if (!c->out)
			ret = ENOMEM_FAIL(c);
	}
out:
	json_decref(all);
	json_decref(names);
	json_decref(keep);
	return ret;
}

/* DescribeVpcEndpointConnections' VpcEndpointConnection. */
static json_t *connection_json(const struct lab *lab,
			       const struct endpoint *e)
{
	const struct endpoint_service *s = e->svc;
	json_t *o, *arns;
	char arn[MODEL_ARN_MAX];
	size_t i;

	o = json_pack("{s:s, s:s, s:s, s:s, s:[], s:s}", "ServiceId", s->r.id,
		      "VpcEndpointId", e->r.id, "VpcEndpointOwner",
		      describe_owner(lab, e->vpc), "VpcEndpointState",
		      endpoint_state_name(e->state), "NetworkLoadBalancerArns",
		      "IpAddressType", "ipv4");
	arns = json_object_get(o, "NetworkLoadBalancerArns");
	for (i = 0; o && i < s->nlbs; i++) {
		load_balancer_arn(arn, lab, &s->lbs[i]->r);
		if (json_array_append_new(arns, json_string(arn))) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

int ec2plink_describe_connections(struct ec2ctx *c)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < c->m->nendpoints; i++) {
		const struct endpoint *e = c->m->endpoints[i];

		if (e->svc && json_array_append_new(a, connection_json(c->m, e))) {
			json_decref(a);
			a = NULL;
		}
	}
	c->out = a ? json_pack("{s:o}", "VpcEndpointConnections", a) : NULL;
	return c->out ? 0 : ENOMEM_FAIL(c);
}
