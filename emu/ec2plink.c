/* ec2plink.c - the provider's side of PrivateLink as ec2 commands: its
 * endpoint services (create, delete, permissions) and their connections
 * (the endpoints to them), and the table of those commands and of the
 * consumer's (ec2vpce.c).
 *
 * An endpoint's state is the service's word in the lab file (accept and
 * reject lists, res/endpoint_service.c): accepting or rejecting moves the
 * endpoint between those lists of the working copy (ec2ctx.h), and the
 * rebuilt model derives the state from them. Never prints.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/describe.h"
#include "vpcemu/ec2ctx.h"
#include "vpcemu/ec2edge.h"
#include "vpcemu/ec2plink.h"
#include "vpcemu/elbv2res.h"
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

int ec2plink_unsuccessful(struct ec2ctx *c, json_t *a, const char *id,
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
		return ec2plink_unsuccessful(c, fails, ref,
					     "InvalidVpcEndpointId.NotFound",
				    "The Vpc Endpoint Id does not exist or is not a connection of this service");
	if (accept && e->state == ENDPOINT_REJECTED)
		return ec2plink_unsuccessful(c, fails, e->r.id, "InvalidVpcEndpointState",
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

int ec2plink_answer(struct ec2ctx *c, json_t *fails, int ret)
{
	c->out = ret ? NULL : json_pack("{s:o}", "Unsuccessful", fails);
	if (ret)
		json_decref(fails);
	return ret ? ret : c->out ? 0 : ENOMEM_FAIL(c);
}

int ec2plink_each(struct ec2ctx *c, const char *opt, const char *param,
		  int (*one)(struct ec2ctx *c, const char *ref, json_t *fails))
{
	json_t *fails = json_array();
	int n, first, i, ret = 0;

	n = ec2ctx_arg_list(c->a, opt, &first);
	if (!fails)
		return ENOMEM_FAIL(c);
	if (n <= 0)
		ret = EFAIL(c, "MissingParameter",
			    "The request must contain the parameter %s", param);
	for (i = 0; !ret && i < n; i++)
		ret = one(c, c->a->argv[first + i], fails);
	return ec2plink_answer(c, fails, ret);
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
	return ec2plink_answer(c, fails, ret);
}

void ec2plink_forget(struct ec2ctx *c, const struct endpoint *e)
{
	struct endpoint_service *s = e->svc;

	if (!s)
		return;
	list_del(s->accepted, s->accepted_at, &s->naccepted, e);
	list_del(s->rejected, s->rejected_at, &s->nrejected, e);
}

/* ------------------------------------------------------------------ */
/* Endpoint service configurations */

/* CreateVpcEndpointServiceConfiguration's ServiceConfiguration: the
 * ServiceDetail of describe-vpc-endpoint-services less what only the
 * consumer sees (Owner, VpcEndpointPolicySupported), with the state and
 * the load balancers' ARNs. */
static json_t *post_config(const struct lab *lab, const struct ec2_state *st,
			   time_t now, const struct res *r)
{
	const struct endpoint_service *s = (const struct endpoint_service *)r;
	json_t *o = ec2edge_describe_one(lab, st, now, r), *arns = json_array();
	char arn[MODEL_ARN_MAX];
	size_t i;

	for (i = 0; arns && i < s->nlbs; i++) {
		load_balancer_arn(arn, lab, &s->lbs[i]->r);
		if (json_array_append_new(arns, json_string(arn))) {
			json_decref(arns);
			arns = NULL;
		}
	}
	if (!o || !arns ||
	    json_object_set_new(o, "ServiceState", json_string("Available")) ||
	    json_object_set(o, "NetworkLoadBalancerArns", arns)) {
		json_decref(o);
		json_decref(arns);
		return NULL;
	}
	json_decref(arns);
	json_object_del(o, "Owner");
	json_object_del(o, "VpcEndpointPolicySupported");
	return json_pack("{s:o}", "ServiceConfiguration", o);
}

/* AWS documents no default for AcceptanceRequired: vpcemu keeps the lab
 * file's (required). One load balancer serves one service: the rebuild's
 * check refuses a second. */
static int config_create(struct ec2ctx *c)
{
	bool req = ec2ctx_arg_flag(c->a, "--acceptance-required");
	bool noreq = ec2ctx_arg_flag(c->a, "--no-acceptance-required");
	char base[EC2CTX_NAME_MAX + 1];
	struct endpoint_service *s;
	struct load_balancer *lb;
	int n, first, i, ret = 0;

	n = ec2ctx_arg_list(c->a, "--network-load-balancer-arns", &first);
	if (ec2ctx_arg_index(c->a, "--gateway-load-balancer-arns") >= 0 ||
	    ec2ctx_arg_get(c->a, "--private-dns-name", NULL))
		return EUNSUP(c, "vpcemu's endpoint services are Network Load Balancers without a private DNS name");
	ec2ctx_arg_get(c->a, "--client-token", NULL);
	if (n <= 0)
		return EFAIL(c, "MissingParameter",
			     "The request must contain the parameter NetworkLoadBalancerArns");
	if (req && noreq)
		return EFAIL(c, "InvalidParameterCombination",
			     "--acceptance-required and --no-acceptance-required exclude each other");
	lb = (struct load_balancer *)elbv2_find(c, RES_LOAD_BALANCER,
						c->a->argv[first]);
	snprintf(base, sizeof(base), "%.40s-svc", lb ? lb->r.name : "");
	s = (struct endpoint_service *)ec2edge_res_add(
		c, RES_ENDPOINT_SERVICE, "vpc-endpoint-service",
		ec2ctx_name_ok(base) ? base : "endpoint-service", &ret);
	if (!s)
		return ret;
	s->acceptance_required = !noreq;
	for (i = 0; i < n; i++) {
		lb = (struct load_balancer *)elbv2_find(c, RES_LOAD_BALANCER,
							c->a->argv[first + i]);
		if (!lb)
			return EFAIL(c, "InvalidParameterValue",
				     "The Network Load Balancer '%s' does not exist",
				     c->a->argv[first + i]);
		if (ec2ctx_grow((void **)&s->lbs, s->nlbs, sizeof(*s->lbs)) ||
		    ec2ctx_grow((void **)&s->lbs_at, s->nlbs,
				sizeof(*s->lbs_at)))
			return ENOMEM_FAIL(c);
		s->lbs[s->nlbs++] = lb;
	}
	ec2ctx_post_fn(c, &s->r, post_config);
	return 0;
}

/* Each service of --service-ids goes, or is an UnsuccessfulItem: unknown
 * (InvalidVpcEndpointService.NotFound), or with endpoints
 * (ExistingVpcEndpointConnections). AWS lets a service with rejected
 * endpoints only go; a lab file cannot keep an endpoint to a service it
 * lacks, so vpcemu wants them deleted first. */
static int config_delete_one(struct ec2ctx *c, const char *ref,
			     json_t *fails)
{
	struct endpoint_service *s = (struct endpoint_service *)model_find(
		c->m, RES_ENDPOINT_SERVICE, ref);
	size_t k;

	if (!s)
		return ec2plink_unsuccessful(c, fails, ref,
					     "InvalidVpcEndpointService.NotFound",
					     "The VpcEndpointService Id does not exist");
	for (k = 0; k < c->m->nendpoints; k++)
		if (c->m->endpoints[k]->svc == s)
			return ec2plink_unsuccessful(
				c, fails, s->r.id, "ExistingVpcEndpointConnections",
				"Service has existing VPC Endpoint connections: delete or reject them first (vpcemu: rejected ones too, with delete-vpc-endpoints)");
	ec2edge_res_drop(c, &s->r);
	return 0;
}

static int config_delete(struct ec2ctx *c)
{
	return ec2plink_each(c, "--service-ids", "ServiceIds",
			     config_delete_one);
}

/* A principal of modify-vpc-endpoint-service-permissions: "*", or an
 * account as arn:aws:iam::ACCOUNT:root, what a lab's allowed-principals
 * holds (users and roles are not modelled). The account in ret_acct
 * (NULL for "*"). */
static int principal(struct ec2ctx *c, const char *p, char *ret_acct)
{
	static const char pfx[] = "arn:aws:iam::", sfx[] = ":root";
	const char *a = p + sizeof(pfx) - 1;
	size_t i;

	ret_acct[0] = '\0';
	if (!strcmp(p, "*"))
		return 0;
	if (strncmp(p, pfx, sizeof(pfx) - 1))
		return EFAIL(c, "InvalidPrincipal",
			     "Invalid principal '%s': expected arn:aws:iam::ACCOUNT:root or *",
			     p);
	for (i = 0; i < 12 && a[i] >= '0' && a[i] <= '9'; i++)
		;
	if (i < 12 || strcmp(a + 12, sfx))
		return EUNSUP(c, "vpcemu's principals are accounts (arn:aws:iam::ACCOUNT:root) or *, not '%s'",
			      p);
	memcpy(ret_acct, a, 12);
	ret_acct[12] = '\0';
	return 0;
}

static long principal_at(const struct endpoint_service *s, const char *acct)
{
	size_t i;

	for (i = 0; i < s->nprincipals; i++)
		if (!strcmp(s->principals[i], acct))
			return (long)i;
	return -1;
}

/* One AddedPrincipal; its ServicePermissionId is derived like IDs. */
static int added(struct ec2ctx *c, json_t *a, const struct endpoint_service *s,
		 const char *p)
{
	char id[MODEL_ID_MAX], key[MODEL_ARN_MAX];

	snprintf(key, sizeof(key), "%s %s", s->r.id, p);
	model_make_id(id, "vpce-svc-perm-", c->m->name, "service-permission",
		      key);
	if (json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}",
					       "PrincipalType",
					       strcmp(p, "*") ? "Account" : "All",
					       "Principal", p,
					       "ServicePermissionId", id,
					       "ServiceId", s->r.id)))
		return ENOMEM_FAIL(c);
	return 0;
}

/* Adds (add) or removes one principal. The lab file holds either "*" or
 * accounts: adding "*" replaces the accounts. */
static int permission(struct ec2ctx *c, struct endpoint_service *s,
		      const char *p, bool add, json_t *adds)
{
	char acct[16];
	long at;
	int ret = principal(c, p, acct);

	if (ret)
		return ret;
	at = acct[0] ? principal_at(s, acct) : -1;
	if (!add && !acct[0]) {
		s->all_principals = false;
	} else if (!add && at >= 0) {
		free(s->principals[at]);
		ec2ctx_remove_at(s->principals, &s->nprincipals,
				 sizeof(*s->principals), (size_t)at);
	} else if (add && !acct[0]) {
		while (s->nprincipals)
			free(s->principals[--s->nprincipals]);
		s->all_principals = true;
	} else if (add && at < 0 && !s->all_principals) {
		if (ec2ctx_grow((void **)&s->principals, s->nprincipals,
				sizeof(*s->principals)) ||
		    !(s->principals[s->nprincipals] = strdup(acct)))
			return ENOMEM_FAIL(c);
		s->nprincipals++;
	}
	return add ? added(c, adds, s, p) : 0;
}

/* The words of a list option, or the strings of its JSON list. */
static int principals(struct ec2ctx *c, struct endpoint_service *s,
		      const char *opt, bool add, json_t *adds)
{
	int n, first, i, ret = 0;
	json_t *j = NULL;
	size_t k;

	n = ec2ctx_arg_list(c->a, opt, &first);
	if (n == 1 && c->a->argv[first][0] == '[') {
		j = json_loads(c->a->argv[first], 0, NULL);
		if (!json_is_array(j)) {
			json_decref(j);
			return EFAIL(c, "InvalidParameterValue",
				     "Invalid JSON list for %s", opt);
		}
		for (k = 0; !ret && k < json_array_size(j); k++) {
			const char *p = json_string_value(json_array_get(j, k));

			ret = p ? permission(c, s, p, add, adds)
				: EFAIL(c, "InvalidParameterValue",
					"Invalid JSON list for %s", opt);
		}
		json_decref(j);
		return ret;
	}
	for (i = 0; !ret && i < n; i++)
		ret = permission(c, s, c->a->argv[first + i], add, adds);
	return ret;
}

/* Removing an account whose endpoints exist is refused by the rebuild's
 * check (the lab file cannot tell an endpoint made before from one made
 * after); AWS keeps those endpoints. */
static int permissions_modify(struct ec2ctx *c)
{
	struct endpoint_service *s;
	const char *ref;
	json_t *adds;
	int ret = 0;

	ref = ec2ctx_opt_req(c, "--service-id", "ServiceId", &ret);
	if (!ref)
		return ret;
	s = ec2ctx_get_res(c, RES_ENDPOINT_SERVICE, ref,
			   "InvalidVpcEndpointServiceId.NotFound",
			   "VpcEndpointService", &ret);
	if (!s)
		return ret;
	adds = json_array();
	if (!adds)
		return ENOMEM_FAIL(c);
	ret = principals(c, s, "--remove-allowed-principals", false, adds);
	if (!ret)
		ret = principals(c, s, "--add-allowed-principals", true, adds);
	if (ret) {
		json_decref(adds);
		return ret;
	}
	c->out = json_array_size(adds)
			 ? json_pack("{s:o, s:b}", "AddedPrincipals", adds,
				     "ReturnValue", 1)
			 : json_pack("{s:b}", "ReturnValue", 1);
	if (!json_array_size(adds))
		json_decref(adds);
	return c->out ? 0 : ENOMEM_FAIL(c);
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

static const struct ec2ctx_cmd plink_cmds[] = {
	{ "create-vpc-endpoint-service-configuration", config_create,
	  "create-vpc-endpoint-service-configuration\n"
	  "    --network-load-balancer-arns LB... [--acceptance-required |\n"
	  "    --no-acceptance-required] [--tag-specifications SPEC]\n\n"
	  "Publishes Network Load Balancers (each behind one service at most) as\n"
	  "com.amazonaws.vpce.REGION.vpce-svc-...; acceptance is required unless\n"
	  "--no-acceptance-required. Answers ServiceConfiguration.\n" },
	{ "delete-vpc-endpoint-service-configurations", config_delete,
	  "delete-vpc-endpoint-service-configurations --service-ids ID...\n\n"
	  "Deletes services that no endpoint connects to (else\n"
	  "ExistingVpcEndpointConnections in Unsuccessful[]).\n" },
	{ "modify-vpc-endpoint-service-permissions", permissions_modify,
	  "modify-vpc-endpoint-service-permissions --service-id ID\n"
	  "    [--add-allowed-principals P...] [--remove-allowed-principals P...]\n\n"
	  "P: arn:aws:iam::ACCOUNT:root or *. Accounts not allowed cannot see the\n"
	  "service (InvalidServiceName on create-vpc-endpoint); the owner's\n"
	  "account can when none is listed.\n" },
	{ "create-vpc-endpoint", ec2vpce_create,
	  "create-vpc-endpoint --vpc-id VPC --service-name NAME\n"
	  "    [--vpc-endpoint-type Interface|Gateway] [--subnet-ids ID...]\n"
	  "    [--security-group-ids SG...] [--route-table-ids RTB...]\n"
	  "    [--private-dns-enabled | --no-private-dns-enabled]\n"
	  "    [--tag-specifications SPEC]\n\n"
	  "Interface: an ENI per subnet; to an endpoint service it is\n"
	  "pendingAcceptance until the provider accepts when acceptance is\n"
	  "required. Gateway (AWS's default type): s3 or dynamodb, routed by\n"
	  "the tables given. Answers VpcEndpoint.\n" },
	{ "delete-vpc-endpoints", ec2vpce_delete,
	  "delete-vpc-endpoints --vpc-endpoint-ids ID...\n\n"
	  "Deletes endpoints, with their ENIs and routes; an unknown one is\n"
	  "InvalidVpcEndpointId.NotFound in Unsuccessful[].\n" },
};

const struct ec2ctx_cmd *ec2plink_cmd(const char *cmd)
{
	return ec2ctx_cmd_find(plink_cmds, ARRAY_SIZE(plink_cmds), cmd);
}
