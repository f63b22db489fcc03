/* res/endpoint.c - the VPC endpoint, interface or gateway.
 *
 * An interface endpoint is an ENI per subnet served by vpcemud (svc/), or
 * by an endpoint service's load balancers when its service is one of the
 * lab's (res/endpoint_service.c sets its state); a gateway endpoint is a
 * route target of the tables it names. Here: the block, the rules of §10,
 * printing, DescribeVpcEndpoints.
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

/* The short forms of docs/lab-conf.md, for com.amazonaws.REGION.NAME. */
static const char *const short_services[] = {
	"ssm", "ssmmessages", "ec2messages", "s3", "dynamodb",
};

bool endpoint_service_split(const char *svc, const char **region, size_t *len,
			    const char **name)
{
	static const char pfx[] = "com.amazonaws.";
	const char *p, *dot;

	if (!svc || strncmp(svc, pfx, sizeof(pfx) - 1) != 0)
		return false;
	p = svc + sizeof(pfx) - 1;
	if (strncmp(p, "vpce.", 5) == 0)
		p += 5;
	dot = strchr(p, '.');
	if (!dot || dot == p || !dot[1])
		return false;
	*region = p;
	*len = (size_t)(dot - p);
	*name = dot + 1;
	return true;
}

const struct gateway_service gateway_services[] = {
	{ "s3", { 0x34d80000u, 15 }, 0x34d8000au },	/* 52.216.0.0/15, .0.10 */
	{ "dynamodb", { 0x345e0000u, 22 }, 0x345e000au }, /* 52.94.0.0/22 */
	{ NULL, { 0 }, 0 },
};

const struct gateway_service *gateway_service(const char *name)
{
	const struct gateway_service *g;

	for (g = gateway_services; name && g->name; g++)
		if (!strcmp(g->name, name))
			return g;
	return NULL;
}

const struct gateway_service *gateway_service_overlapping(struct cidr c)
{
	const struct gateway_service *g;

	for (g = gateway_services; g->name; g++)
		if (cidr_overlap(g->prefix, c))
			return g;
	return NULL;
}

void gateway_prefix_list_id(char *out, const char *service)
{
	model_make_id(out, "pl-", "", "prefix-list", service);
}

/* ---- lab file -------------------------------------------------------- */

/* service "com.amazonaws.vpce.REGION.vpce-svc-...": the lab's endpoint
 * service of that ID, whatever the region (check_endpoints compares it
 * with the endpoint's). */
static void endpoint_service_by_service_name(struct build *b,
					     struct endpoint *e,
					     const struct conf_word *w)
{
	const char *region, *name;
	size_t rlen;

	if (!endpoint_service_split(w->text, &region, &rlen, &name) ||
	    !(e->svc = (struct endpoint_service *)model_find(
		      b->lab, RES_ENDPOINT_SERVICE, name)) ||
	    strcmp(e->svc->r.id, name) != 0) {
		e->svc = NULL;
		diag_error(b->d, w->at, "InvalidServiceName",
			   "The Vpc Endpoint Service '%s' does not exist",
			   w->text);
		return;
	}
	e->service = model_strdup(b, w->text);
	e->service_short = model_strdup(b, name);
}

/* service: "com.amazonaws.REGION.NAME", a short name, or an endpoint
 * service by name, ID or service name. An endpoint service's own name is
 * set when its block is parsed (endpoint_service.c: it needs the region
 * of its load balancers). */
static void endpoint_service(struct build *b, struct endpoint *e,
			     const struct conf_word *w)
{
	static const char pfx[] = "com.amazonaws.";
	static const char vpce_pfx[] = "com.amazonaws.vpce.";
	const char *t = w->text, *dot;
	struct suggest s = { .word = t };
	size_t i;

	e->svc = (struct endpoint_service *)model_find(
		b->lab, RES_ENDPOINT_SERVICE, t);
	if (e->svc)
		return;
	if (!strncmp(t, vpce_pfx, sizeof(vpce_pfx) - 1)) {
		endpoint_service_by_service_name(b, e, w);
		return;
	}
	if (!strncmp(t, pfx, sizeof(pfx) - 1)) {
		dot = strchr(t + sizeof(pfx) - 1, '.');
		if (!dot || dot == t + sizeof(pfx) - 1 || !dot[1]) {
			diag_error(
			    b->d, w->at, "InvalidParameterValue",
			    "Invalid service name '%s': expected com.amazonaws.REGION.SERVICE",
			    t);
			return;
		}
		e->service = model_strdup(b, t);
		e->service_short = model_strdup(b, dot + 1);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(short_services); i++) {
		if (!strcmp(t, short_services[i])) {
			e->service = model_printf(
			    b, "%s%s.%s", pfx,
			    e->vpc ? e->vpc->region : b->lab->region, t);
			e->service_short = model_strdup(b, t);
			return;
		}
		model_suggest(&s, short_services[i]);
	}
	for (i = 0; i < b->lab->res[RES_ENDPOINT_SERVICE].n; i++)
		model_suggest(&s, b->lab->res[RES_ENDPOINT_SERVICE].v[i]->name);
	model_err_suggest(
	    b, w->at, "InvalidServiceName", &s,
	    "The Vpc Endpoint Service '%s' does not exist (short names: ssm, ssmmessages, ec2messages, s3, dynamodb, or an endpoint-service of the lab)",
	    t);
}

/* "type interface|gateway"; false when absent or invalid. */
static bool endpoint_type(struct build *b, struct endpoint *e,
			  const struct conf_stmt *st)
{
	if (!model_want(b, st, 1, 1))
		return false;
	if (!strcmp(st->w[1].text, "interface")) {
		e->type = ENDPOINT_INTERFACE;
		return true;
	}
	if (!strcmp(st->w[1].text, "gateway")) {
		e->type = ENDPOINT_GATEWAY;
		return true;
	}
	diag_error(b->d, st->w[1].at, "InvalidParameterValue",
		   "Invalid endpoint type '%s': expected interface or gateway",
		   st->w[1].text);
	return false;
}

/* "route-tables TABLE..." of a gateway endpoint. */
static void endpoint_route_tables(struct build *b, struct endpoint *e,
				  const struct conf_stmt *st)
{
	size_t j;

	if (!model_want(b, st, 1, 0))
		return;
	for (j = 1; j < st->n; j++) {
		struct route_table *t = (struct route_table *)model_resolve(
		    b, RES_ROUTE_TABLE, &st->w[j]);
		struct route_table **slot;

		if (!t)
			continue;
		slot = MODEL_PUSH(b, e->route_tables, e->nroute_tables);
		if (!slot)
			break;
		*slot = t;
	}
}

static void endpoint_parse(struct build *b, struct res *res,
			   const struct conf_block *blk)
{
	struct endpoint *e = (struct endpoint *)res;
	static const struct attr attrs[] = {
	    {"vpc", A_REQ},	 {"service", A_REQ},	 {"type", 0},
	    {"subnets", 0},	 {"security-groups", 0}, {"private-dns", 0},
	    {"route-tables", 0}, {"private-ips", 0},
	};
	enum { E_VPC, E_SERVICE, E_TYPE, E_SUBNETS, E_SGS, E_DNS, E_RTS,
	       E_IPS };
	const struct conf_stmt *seen[ARRAY_SIZE(attrs)] = { 0 };
	bool type_given = false, dns_given = false;
	size_t i;

	e->service_at = e->private_dns_at = e->r.at;
	snprintf(e->ifname, sizeof(e->ifname), "vpce-%.8s", e->r.id + 5);
	e->netns = model_printf(b, "%s-%s", b->lab->name, e->r.name);
	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];

		switch (model_attr_find(b, "endpoint", attrs, ARRAY_SIZE(attrs),
					seen, st)) {
		case E_VPC:
			if (model_want(b, st, 1, 1))
				e->vpc = (struct vpc *)model_resolve(b, RES_VPC,
								     &st->w[1]);
			break;
		case E_SERVICE:
			/* Expanded after the loop: it needs the VPC's region.
			 */
			if (model_want(b, st, 1, 1))
				e->service_at = st->w[1].at;
			break;
		case E_TYPE:
			if (endpoint_type(b, e, st))
				type_given = true;
			break;
		case E_SUBNETS:
			model_parse_assoc(b, st, &e->subnets, &e->nsubnets,
					  &e->subnets_at);
			break;
		case E_SGS:
			model_parse_sg_list(b, st, &e->sgs, &e->nsgs);
			break;
		case E_DNS:
			if (model_want(b, st, 1, 1) &&
			    model_get_bool(b, &st->w[1], &e->private_dns)) {
				dns_given = true;
				e->private_dns_at = st->w[1].at;
			}
			break;
		case E_RTS:
			endpoint_route_tables(b, e, st);
			break;
		case E_IPS:
			model_parse_ip_list(b, st, &e->private_ips,
					    &e->nprivate_ips,
					    &e->private_ips_at);
			break;
		}
	}
	model_attrs_required(b, &e->r, attrs, ARRAY_SIZE(attrs), seen);
	if (seen[E_SERVICE] && seen[E_SERVICE]->n == 2)
		endpoint_service(b, e, &seen[E_SERVICE]->w[1]);
	if (!type_given)
		e->type = str_eq(e->service_short, "s3") ||
				  str_eq(e->service_short, "dynamodb")
			      ? ENDPOINT_GATEWAY
			      : ENDPOINT_INTERFACE;
	/* An endpoint service of the lab has no private DNS name: AWS
	 * turns private DNS off for it (endpoint_check_service refuses it
	 * written). */
	if (!dns_given)
		e->private_dns = e->type == ENDPOINT_INTERFACE && !e->svc;
	/* interface endpoint ENIs get the default group if none;
	 * a gateway endpoint has no ENI and no group. */
	if (e->type == ENDPOINT_INTERFACE)
		model_set_default_sg(b, e->vpc, &e->sgs, &e->nsgs);
}

/* ---- rules ----------------------------------------------------------- */

/* gateway endpoints exist for S3 and DynamoDB only, have no
 * subnets, and route through tables of their own VPC. */
static void check_gateway_endpoint(const struct endpoint *e,
				   const struct vpc *v, const char *name,
				   struct diags *d)
{
	size_t k;

	if (strcmp(name, "s3") != 0 && strcmp(name, "dynamodb") != 0)
		diag_error(
		    d, check_pick(e->service_at, e->r.at),
		    "InvalidParameterValue",
		    "The service '%s' does not support gateway endpoints (only s3 and dynamodb do)",
		    e->service);
	if (e->nsubnets)
		diag_error(
		    d,
		    check_pick(e->subnets_at ? e->subnets_at[0]
					     : (struct place){ 0 },
			       e->r.at),
		    "InvalidParameterValue",
		    "Endpoint %s is a gateway endpoint: subnets apply to interface endpoints only",
		    e->r.name);
	for (k = 0; k < e->nroute_tables; k++) {
		struct route_table *t = e->route_tables[k];

		if (t && t->vpc != v)
			diag_error(
			    d, e->r.at, "InvalidParameterValue",
			    "Route table %s (%s) is not in VPC %s (%s) of endpoint %s",
			    t->r.name, t->r.id, v->r.name, v->r.id,
			    e->r.name);
	}
}

/* the subnets of an interface endpoint: in its VPC, one per AZ;
 * private-ips gives one address per subnet, in order (AWS's subnet
 * configurations); the addresses themselves are check_addresses'. */
static void check_endpoint_subnets(const struct endpoint *e,
				   const struct vpc *v, struct diags *d)
{
	const struct subnet *o;
	size_t k;

	for (k = 0; k < e->nsubnets; k++) {
		struct subnet *s = e->subnets[k];

		if (s->vpc != v)
			diag_error(
			    d, e->subnets_at[k], "InvalidParameterValue",
			    "Endpoint %s (%s) and subnet %s (%s) belong to different networks",
			    e->r.name, e->r.id, s->r.name, s->r.id);
		if ((o = check_same_az(e->subnets, k)))
			diag_error(
			    d, e->subnets_at[k], "DuplicateSubnetsInSameZone",
			    "Found another VPC endpoint subnet in the availability zone of %s (%s: %s is there too). VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.",
			    s->r.id, s->az ? s->az : "?", o->r.name);
	}
	if (e->nprivate_ips && e->nprivate_ips != e->nsubnets)
		diag_error(
		    d, e->private_ips_at[0], "InvalidParameterValue",
		    "Endpoint %s has %zu subnets and %zu private IPs: private-ips gives one address per subnet, in the order of subnets",
		    e->r.name, e->nsubnets, e->nprivate_ips);
}

/* an endpoint to an endpoint service of the lab. AWS shows a
 * service only to its allowed principals: to any other account it does
 * not exist. */
static void check_endpoint_to_service(const struct lab *lab,
				      const struct endpoint *e,
				      const struct vpc *v, struct diags *d)
{
	const struct endpoint_service *svc = e->svc;
	const char *account = describe_owner(lab, v);
	bool allowed = svc->all_principals;
	size_t i;

	if (e->type != ENDPOINT_INTERFACE)
		diag_error(
		    d, e->service_at, "InvalidParameterValue",
		    "The service '%s' (endpoint-service %s) supports interface endpoints only",
		    e->service, svc->r.name);
	if (e->private_dns)
		diag_error(
		    d, e->private_dns_at, "InvalidParameter",
		    "Private DNS can't be enabled because the service %s does not provide a private DNS name.",
		    e->service);
	for (i = 0; i < svc->nprincipals && !allowed; i++)
		allowed = !strcmp(svc->principals[i], account);
	if (!svc->nprincipals && !svc->all_principals)
		allowed = !strcmp(account, describe_owner(
						  lab, endpoint_service_vpc(svc)));
	if (!allowed)
		diag_error(
		    d, e->service_at, "InvalidServiceName",
		    "The Vpc Endpoint Service '%s' does not exist (endpoint-service %s does not allow account %s)",
		    e->service, svc->r.name, account);
}

static void check_interface_endpoint(const struct endpoint *e,
				     const struct vpc *v, struct diags *d)
{
	/* route tables belong to gateway endpoints. */
	if (e->nroute_tables)
		diag_error(
		    d, e->r.at, "InvalidParameterValue",
		    "Endpoint %s is an interface endpoint: route-tables apply to gateway endpoints only",
		    e->r.name);
	/* an interface endpoint is its ENIs; with no subnet it would
	 * have none (vpcemu: AWS's code for this is unknown). */
	if (!e->nsubnets)
		diag_error(
		    d, e->r.at, "MissingParameter",
		    "Interface endpoint %s needs at least one subnet (subnets SUBNET...)",
		    e->r.name);
	check_endpoint_subnets(e, v, d);
	/* private DNS needs both DNS attributes. */
	if (e->private_dns && !e->svc && !(v->dns_support && v->dns_hostnames))
		diag_error(
		    d, check_pick(e->private_dns_at, e->r.at),
		    "InvalidParameter",
		    "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for %s",
		    v->r.id);
}

/* private-ips belong to interface endpoints. */
static void check_gateway_ips(const struct endpoint *e, struct diags *d)
{
	if (e->nprivate_ips)
		diag_error(
		    d, e->private_ips_at[0], "InvalidParameterValue",
		    "Endpoint %s is a gateway endpoint: private-ips apply to interface endpoints only",
		    e->r.name);
}

static void check_endpoints(struct lab *lab, struct diags *d)
{
	size_t i;

	for (i = 0; i < lab->nendpoints; i++) {
		struct endpoint *e = lab->endpoints[i];
		struct vpc *v = e->vpc;
		const char *region = NULL, *name = e->service_short;
		size_t rlen = 0;
		bool split;

		if (!v)
			continue;
		split =
		    endpoint_service_split(e->service, &region, &rlen, &name);
		if (!name)
			name = "";
		/* AWS service names are regional
		 * (com.amazonaws.REGION.ssm); an endpoint reaches only its own
		 * region's services. */
		if (split && check_region_valid(v->region) &&
		    (strlen(v->region) != rlen ||
		     strncmp(v->region, region, rlen) != 0))
			diag_error(
			    d, check_pick(e->service_at, e->r.at),
			    "InvalidServiceName",
			    "The Vpc Endpoint Service '%s' does not exist in %s, the region of VPC %s",
			    e->service, v->region, v->r.name);
		if (e->svc)
			check_endpoint_to_service(lab, e, v, d);
		else if (e->type == ENDPOINT_GATEWAY)
			check_gateway_endpoint(e, v, name, d);
		if (e->type == ENDPOINT_GATEWAY)
			check_gateway_ips(e, d);
		else
			check_interface_endpoint(e, v, d);
	}
}

/* ---- printed back ---------------------------------------------------- */

/* The short form when model_build would expand it to the same service:
 * a short name in the endpoint's VPC's region. */
static bool service_is_short(const struct endpoint *e)
{
	static const char pfx[] = "com.amazonaws.";
	const char *rg = e->vpc->region, *sh = e->service_short;
	size_t i, pl = sizeof(pfx) - 1, rl;

	if (!rg || !sh || strncmp(e->service, pfx, pl))
		return false;
	rl = strlen(rg);
	if (strncmp(e->service + pl, rg, rl) || e->service[pl + rl] != '.' ||
	    strcmp(e->service + pl + rl + 1, sh))
		return false;
	for (i = 0; i < ARRAY_SIZE(short_services); i++)
		if (!strcmp(sh, short_services[i]))
			return true;
	return false;
}

static void endpoint_print(struct printer *p, const struct res *res)
{
	const struct endpoint *e = (const struct endpoint *)res;
	enum endpoint_type deftype;
	size_t i;

	if (!print_res_ok(p, &e->r))
		return;
	if (!e->vpc || !e->service) {
		print_fail(p, -EINVAL, &e->r);
		return;
	}
	/* The ENIs follow the subnets: one model_build would not make
	 * again (a daemon's change) cannot be written. A new endpoint
	 * (create-vpc-endpoint) has none yet: its written private-ips make
	 * the rebuild's ENIs exactly those. */
	if (e->type == ENDPOINT_INTERFACE &&
	    (!e->nsgs || (e->nenis != e->nsubnets &&
			  e->nprivate_ips != e->nsubnets))) {
		print_fail(p, -ENOTSUP, &e->r);
		return;
	}
	deftype = str_eq(e->service_short, "s3") ||
			  str_eq(e->service_short, "dynamodb")
		      ? ENDPOINT_GATEWAY
		      : ENDPOINT_INTERFACE;
	print_block_open(p, &e->r);
	sb_printf(&p->sb, "\tvpc %s\n\tservice", e->vpc->r.name);
	if (e->svc)
		print_ref(p, &e->svc->r, &e->r);
	else
		print_str(p, service_is_short(e) ? e->service_short : e->service,
			  false, &e->r);
	sb_puts(&p->sb, "\n");
	if (e->type != deftype)
		sb_printf(&p->sb, "\ttype %s\n",
			  e->type == ENDPOINT_GATEWAY ? "gateway"
						      : "interface");
	print_subnet_list(p, "subnets", e->subnets, e->nsubnets, &e->r);
	if (e->nsgs && !(e->type == ENDPOINT_INTERFACE &&
			 print_sgs_default(e->vpc, e->sgs, e->nsgs)))
		print_sg_list(p, e->sgs, e->nsgs, &e->r);
	if (e->private_dns != (e->type == ENDPOINT_INTERFACE && !e->svc))
		sb_printf(&p->sb, "\tprivate-dns %s\n",
			  e->private_dns ? "yes" : "no");
	print_ip_list(p, "private-ips", e->private_ips, e->nprivate_ips);
	if (e->nroute_tables) {
		sb_puts(&p->sb, "\troute-tables");
		for (i = 0; i < e->nroute_tables; i++)
			print_ref(p,
				  e->route_tables[i] ? &e->route_tables[i]->r
						     : NULL,
				  &e->r);
		sb_puts(&p->sb, "\n");
	}
	print_block_close(p);
}

static void endpoint_details(struct strbuf *sb, const struct lab *lab,
			     const struct res *r)
{
	const struct endpoint *e = (const struct endpoint *)r;

	sb_printf(sb, "%s %s vpc=%s", e->service,
		  e->type == ENDPOINT_INTERFACE ? "interface" : "gateway",
		  e->vpc->r.name);
	if (e->type == ENDPOINT_INTERFACE)
		sb_printf(sb, " private-dns=%s", e->private_dns ? "yes" : "no");
	if (e->svc)
		sb_printf(sb, " endpoint-service=%s state=%s", e->svc->r.name,
			  endpoint_state_name(e->state));
}

const char *endpoint_state_name(enum endpoint_state s)
{
	switch (s) {
	case ENDPOINT_PENDING_ACCEPTANCE:
		return "pendingAcceptance";
	case ENDPOINT_REJECTED:
		return "rejected";
	case ENDPOINT_AVAILABLE:
		break;
	}
	return "available";
}

/* ---- EC2 API --------------------------------------------------------- */

static void endpoint_describe(struct jb *b, json_t *a, const struct lab *lab,
			      const struct ec2_state *st, time_t now,
			      const struct res *res)
{
	const struct endpoint *e = (const struct endpoint *)res;
	json_t *o = jb_add(b, a, jb_obj(b));
	json_t *x, *y;
	size_t i;

	jb_put_s(b, o, "VpcEndpointId", e->r.id);
	jb_put_s(b, o, "VpcEndpointType",
		 e->type == ENDPOINT_INTERFACE ? "Interface" : "Gateway");
	jb_put_s(b, o, "VpcId", e->vpc->r.id);
	jb_put_s(b, o, "ServiceName", e->service);
	jb_put_s(b, o, "State", endpoint_state_name(e->state));
	x = jb_put(b, o, "RouteTableIds", jb_arr(b));
	for (i = 0; i < e->nroute_tables; i++)
		jb_add(b, x, json_string(e->route_tables[i]->r.id));
	x = jb_put(b, o, "SubnetIds", jb_arr(b));
	for (i = 0; i < e->nsubnets; i++)
		jb_add(b, x, json_string(e->subnets[i]->r.id));
	x = jb_put(b, o, "Groups", jb_arr(b));
	for (i = 0; i < e->nsgs; i++) {
		y = jb_add(b, x, jb_obj(b));
		jb_put_s(b, y, "GroupId", e->sgs[i]->r.id);
		jb_put_s(b, y, "GroupName", sg_group_name(e->sgs[i]));
	}
	jb_put_s(b, o, "IpAddressType", "ipv4");
	jb_put_b(b, o, "PrivateDnsEnabled", e->private_dns);
	jb_put_b(b, o, "RequesterManaged", false);
	x = jb_put(b, o, "NetworkInterfaceIds", jb_arr(b));
	for (i = 0; i < e->nenis; i++)
		jb_add(b, x, json_string(e->enis[i]->r.id));
	jb_put_s(b, o, "OwnerId", describe_owner(lab, e->vpc));
	jb_put_tags(b, o, res);
}

static void endpoint_table(struct strbuf *sb, const json_t *o)
{
	sb_printf(sb, "  %-24s %-22s %-9s %-17s %s\n", describe_tag_name(o),
		  describe_jstr(o, "VpcEndpointId"),
		  describe_jstr(o, "VpcEndpointType"),
		  describe_jstr(o, "State"), describe_jstr(o, "ServiceName"));
}

/* A gateway endpoint as a route target. */
static void endpoint_route_check(const struct route_table *t,
				 const struct route *r, struct place at,
				 struct diags *d)
{
	const struct endpoint *e = (const struct endpoint *)r->target;

	/* a gateway endpoint of the same VPC. */
	if (e->type != ENDPOINT_GATEWAY || e->vpc != t->vpc)
		diag_error(
		    d, at, "InvalidParameterValue",
		    "Endpoint %s (%s) is not a gateway endpoint of VPC %s; a route can target only those",
		    e->r.name, e->r.id, t->vpc->r.name);
}

/* The link to the namespace where the service answers. */
static const char *endpoint_route_dev(const struct route_table *t,
				      const struct res *target)
{
	return ((const struct endpoint *)target)->ifname;
}

static bool endpoint_route_active(const struct res *target,
				  const struct ec2_state *st)
{
	return true;
}

static const struct route_target endpoint_target = {
	.describe_key = "GatewayId",
	.check = endpoint_route_check,
	.dev = endpoint_route_dev,
	.active = endpoint_route_active,
};

static void endpoint_free(struct res *r)
{
	struct endpoint *e = (struct endpoint *)r;

	free(e->service);
	free(e->service_short);
	free(e->netns);
	free(e->subnets);
	free(e->subnets_at);
	free(e->private_ips);
	free(e->private_ips_at);
	free(e->sgs);
	free(e->route_tables);
	free(e->enis);
}

const struct res_type res_type_endpoint = {
	.keyword = "endpoint",
	.id_prefix = "vpce-",
	.noun = "endpoint",
	.notfound = "InvalidVpcEndpointId.NotFound",
	.size = sizeof(struct endpoint),
	.describe_what = "vpc-endpoints",
	.describe_key = "VpcEndpoints",
	.target = &endpoint_target,
	.parse = endpoint_parse,
	.check = check_endpoints,
	.print = endpoint_print,
	.describe = endpoint_describe,
	.table = endpoint_table,
	.details = endpoint_details,
	.free = endpoint_free,
};
