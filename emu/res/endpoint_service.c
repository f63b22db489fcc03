/* res/endpoint_service.c - the endpoint service (PrivateLink provider).
 *
 * Network Load Balancers published as "com.amazonaws.vpce.REGION.ID"
 * . Its connections are the lab's endpoints whose service is this
 * one: parsing the block gives each its service name and its state, which
 * the service decides (pendingAcceptance until accepted when acceptance is
 * required). Who may connect is the endpoint's rule (res/endpoint.c). Only
 * the model for now: no traffic goes through it yet.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/describe.h"
#include "vpcemu/restype.h"

const struct vpc *endpoint_service_vpc(const struct endpoint_service *s)
{
	return s->nlbs ? s->lbs[0]->vpc : NULL;
}

static const char *svc_region(const struct lab *lab,
			      const struct endpoint_service *s)
{
	const struct vpc *v = endpoint_service_vpc(s);

	return v && v->region ? v->region : lab->region;
}

static bool svc_listed(struct endpoint *const *v, size_t n,
		       const struct endpoint *e)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == e)
			return true;
	return false;
}

/* ---- lab file -------------------------------------------------------- */

enum { S_LBS, S_ACCEPTANCE, S_PRINCIPALS, S_ACCEPT, S_REJECT };

static const struct attr svc_attrs[] = {
	[S_LBS] = { "load-balancers", A_REQ },
	[S_ACCEPTANCE] = { "acceptance-required", 0 },
	[S_PRINCIPALS] = { "allowed-principals", 0 },
	[S_ACCEPT] = { "accept", A_REP },
	[S_REJECT] = { "reject", A_REP },
};

/* A list of references of kind k with a place each. */
static void svc_refs(struct build *b, const struct conf_stmt *st,
		     enum res_kind k, struct res ***v, size_t *n,
		     struct place **at)
{
	struct res *r, **slot;
	size_t i;

	for (i = 1; i < st->n; i++) {
		if (!(r = model_resolve(b, k, &st->w[i])))
			continue;
		slot = model_push_at(b, (void **)v, at, n, sizeof(**v),
				     st->w[i].at);
		if (!slot)
			return;
		*slot = r;
	}
}

/* "allowed-principals ACCOUNT...|*" */
static void svc_principals(struct build *b, struct endpoint_service *s,
			   const struct conf_stmt *st)
{
	size_t i;

	s->principals_at = st->w[1].at;
	if (!strcmp(st->w[1].text, "*") && st->n == 2) {
		s->all_principals = true;
		return;
	}
	for (i = 1; i < st->n; i++) {
		char *acct = NULL, **slot;

		if (!model_get_account(b, &st->w[i], &acct))
			continue;
		slot = MODEL_PUSH(b, s->principals, s->nprincipals);
		if (!slot) {
			free(acct);
			return;
		}
		*slot = acct;
	}
}

/* Each endpoint to s gets its service name and state. */
static void svc_connect(struct build *b, struct endpoint_service *s)
{
	size_t i;

	for (i = 0; i < b->lab->nendpoints; i++) {
		struct endpoint *e = b->lab->endpoints[i];

		if (e->svc != s)
			continue;
		if (!e->service) {
			e->service = model_strdup(b, s->service_name);
			e->service_short = model_strdup(b, s->r.id);
		}
		if (svc_listed(s->rejected, s->nrejected, e))
			e->state = ENDPOINT_REJECTED;
		else if (s->acceptance_required &&
			 !svc_listed(s->accepted, s->naccepted, e))
			e->state = ENDPOINT_PENDING_ACCEPTANCE;
		else
			e->state = ENDPOINT_AVAILABLE;
	}
}

static void svc_parse(struct build *b, struct res *res,
		      const struct conf_block *blk)
{
	struct endpoint_service *s = (struct endpoint_service *)res;
	const struct conf_stmt *seen[ARRAY_SIZE(svc_attrs)] = { 0 };
	size_t i;
	int a;

	s->acceptance_required = true;
	s->principals_at = s->r.at;
	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];

		a = model_attr_find(b, "endpoint-service", svc_attrs,
				    ARRAY_SIZE(svc_attrs), seen, st);
		if (a < 0 || !model_want(b, st, 1, a == S_ACCEPTANCE ? 1 : 0))
			continue;
		if (a == S_LBS)
			svc_refs(b, st, RES_LOAD_BALANCER,
				 (struct res ***)&s->lbs, &s->nlbs, &s->lbs_at);
		else if (a == S_ACCEPTANCE)
			model_get_bool(b, &st->w[1], &s->acceptance_required);
		else if (a == S_PRINCIPALS)
			svc_principals(b, s, st);
		else if (a == S_ACCEPT)
			svc_refs(b, st, RES_ENDPOINT,
				 (struct res ***)&s->accepted, &s->naccepted,
				 &s->accepted_at);
		else
			svc_refs(b, st, RES_ENDPOINT,
				 (struct res ***)&s->rejected, &s->nrejected,
				 &s->rejected_at);
	}
	model_attrs_required(b, res, svc_attrs, ARRAY_SIZE(svc_attrs), seen);
	s->service_name = model_printf(b, "com.amazonaws.vpce.%s.%s",
				       svc_region(b->lab, s), s->r.id);
	if (s->service_name)
		svc_connect(b, s);
}

/* ---- rules ----------------------------------------------------------- */

/* The provider accepts or rejects only the endpoints that connect to its
 * service. */
static void svc_check_conns(const struct endpoint_service *s,
			    struct endpoint *const *v, size_t n,
			    const struct place *at, struct diags *d)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (v[k]->svc != s)
			diag_error(d, at[k], "InvalidVpcEndpointId.NotFound",
				   "Endpoint %s (%s) is not a connection of endpoint service %s: its service is %s",
				   v[k]->r.name, v[k]->r.id, s->r.name,
				   v[k]->service ? v[k]->service : "?");
}

/* a Network Load Balancer belongs to one endpoint service at most
 * (AWS's code for a second one is not documented: vpcemu's choice), and
 * an endpoint is accepted or rejected, not both (vpcemu's choice). */
static void svc_check_one(const struct lab *lab, size_t i, struct diags *d)
{
	const struct res_list *l = &lab->res[RES_ENDPOINT_SERVICE];
	const struct endpoint_service *s =
		(const struct endpoint_service *)l->v[i];
	size_t j, k, m;

	for (k = 0; k < s->nlbs; k++)
		for (j = 0; j < i; j++) {
			const struct endpoint_service *o =
				(const struct endpoint_service *)l->v[j];

			for (m = 0; m < o->nlbs && o->lbs[m] != s->lbs[k]; m++)
				;
			if (m < o->nlbs)
				diag_error(d, s->lbs_at[k], "InvalidParameter",
					   "Load balancer %s is already associated with endpoint service %s (%s); a load balancer serves one endpoint service",
					   s->lbs[k]->r.name, o->r.name, o->r.id);
		}
	svc_check_conns(s, s->accepted, s->naccepted, s->accepted_at, d);
	svc_check_conns(s, s->rejected, s->nrejected, s->rejected_at, d);
	for (k = 0; k < s->nrejected; k++)
		if (svc_listed(s->accepted, s->naccepted, s->rejected[k]))
			diag_error(d, s->rejected_at[k], "InvalidParameter",
				   "Endpoint %s (%s) is both accepted and rejected by endpoint service %s",
				   s->rejected[k]->r.name, s->rejected[k]->r.id,
				   s->r.name);
}

static void svc_check(struct lab *lab, struct diags *d)
{
	size_t i;

	for (i = 0; i < lab->res[RES_ENDPOINT_SERVICE].n; i++)
		svc_check_one(lab, i, d);
}

/* ---- printed back ---------------------------------------------------- */

static void print_conns(struct printer *p, const struct res *res,
			const char *attr, struct endpoint *const *v, size_t n)
{
	size_t i;

	if (!n)
		return;
	sb_printf(&p->sb, "\t%s", attr);
	for (i = 0; i < n; i++)
		print_ref(p, &v[i]->r, res);
	sb_puts(&p->sb, "\n");
}

static void svc_print(struct printer *p, const struct res *res)
{
	const struct endpoint_service *s =
		(const struct endpoint_service *)res;
	size_t i;

	if (!print_res_ok(p, res))
		return;
	print_block_open(p, res);
	sb_puts(&p->sb, "\tload-balancers");
	for (i = 0; i < s->nlbs; i++)
		print_ref(p, &s->lbs[i]->r, res);
	sb_puts(&p->sb, "\n");
	if (!s->acceptance_required)
		sb_puts(&p->sb, "\tacceptance-required no\n");
	if (s->all_principals)
		sb_puts(&p->sb, "\tallowed-principals *\n");
	if (s->nprincipals) {
		sb_puts(&p->sb, "\tallowed-principals");
		for (i = 0; i < s->nprincipals; i++)
			print_str(p, s->principals[i], false, res);
		sb_puts(&p->sb, "\n");
	}
	print_conns(p, res, "accept", s->accepted, s->naccepted);
	print_conns(p, res, "reject", s->rejected, s->nrejected);
	print_block_close(p);
}

/* ---- EC2 API --------------------------------------------------------- */

/* DescribeVpcEndpointServices' ServiceDetail. */
static void svc_describe(struct jb *b, json_t *a, const struct lab *lab,
			 const struct ec2_state *st, time_t now,
			 const struct res *res)
{
	const struct endpoint_service *s =
		(const struct endpoint_service *)res;
	json_t *o = jb_add(b, a, jb_obj(b)), *x;
	const char *region = svc_region(lab, s);
	char dns[128];
	size_t i, j, k;

	jb_put_s(b, o, "ServiceName", s->service_name);
	jb_put_s(b, o, "ServiceId", s->r.id);
	jb_put_s(b, jb_add(b, jb_put(b, o, "ServiceType", jb_arr(b)),
			   jb_obj(b)),
		 "ServiceType", "Interface");
	/* The AZs of the nodes, each once, in the order they come. */
	x = jb_put(b, o, "AvailabilityZones", jb_arr(b));
	for (i = 0; i < s->nlbs; i++)
		for (j = 0; j < s->lbs[i]->nsubnets; j++) {
			const char *az = s->lbs[i]->subnets[j]->az;
			bool seen = false;

			for (k = 0; k < json_array_size(x) && !seen; k++)
				seen = !strcmp(json_string_value(
						       json_array_get(x, k)),
					       az);
			if (!seen)
				jb_add(b, x, json_string(az));
		}
	jb_put_s(b, o, "Owner", describe_owner(lab, endpoint_service_vpc(s)));
	snprintf(dns, sizeof(dns), "%s.%s.vpce.amazonaws.com", s->r.id, region);
	jb_add(b, jb_put(b, o, "BaseEndpointDnsNames", jb_arr(b)),
	       json_string(dns));
	jb_put_b(b, o, "VpcEndpointPolicySupported", false);
	jb_put_b(b, o, "AcceptanceRequired", s->acceptance_required);
	jb_put_b(b, o, "ManagesVpcEndpoints", false);
	jb_add(b, jb_put(b, o, "SupportedIpAddressTypes", jb_arr(b)),
	       json_string("ipv4"));
	jb_put_tags(b, o, res);
}

static void svc_table(struct strbuf *sb, const json_t *o)
{
	sb_printf(sb, "  %-24s %-26s %-9s %s\n", describe_tag_name(o),
		  describe_jstr(o, "ServiceId"),
		  json_is_true(json_object_get(o, "AcceptanceRequired"))
			  ? "accept"
			  : "auto",
		  describe_jstr(o, "ServiceName"));
}

static void svc_details(struct strbuf *sb, const struct lab *lab,
			const struct res *res)
{
	const struct endpoint_service *s =
		(const struct endpoint_service *)res;
	size_t i, n = 0;

	sb_printf(sb, "%s load-balancers=", s->service_name);
	for (i = 0; i < s->nlbs; i++)
		sb_printf(sb, "%s%s", i ? "," : "", s->lbs[i]->r.name);
	sb_printf(sb, " acceptance-required=%s principals=",
		  s->acceptance_required ? "yes" : "no");
	if (s->all_principals)
		sb_puts(sb, "*");
	for (i = 0; i < s->nprincipals; i++)
		sb_printf(sb, "%s%s", i ? "," : "", s->principals[i]);
	if (!s->all_principals && !s->nprincipals)
		sb_puts(sb, describe_owner(lab, endpoint_service_vpc(s)));
	sb_puts(sb, " connections=");
	for (i = 0; i < lab->nendpoints; i++)
		if (lab->endpoints[i]->svc == s)
			sb_printf(sb, "%s%s:%s", n++ ? "," : "",
				  lab->endpoints[i]->r.name,
				  endpoint_state_name(lab->endpoints[i]->state));
	if (!n)
		sb_puts(sb, "none");
}

static void svc_free(struct res *res)
{
	struct endpoint_service *s = (struct endpoint_service *)res;
	size_t i;

	free(s->lbs);
	free(s->lbs_at);
	for (i = 0; i < s->nprincipals; i++)
		free(s->principals[i]);
	free(s->principals);
	free(s->accepted);
	free(s->accepted_at);
	free(s->rejected);
	free(s->rejected_at);
	free(s->service_name);
}

const struct res_type res_type_endpoint_service = {
	.keyword = "endpoint-service",
	.id_prefix = "vpce-svc-",
	.noun = "endpoint service",
	.notfound = "InvalidVpcEndpointServiceId.NotFound",
	.size = sizeof(struct endpoint_service),
	.describe_what = "vpc-endpoint-services",
	.describe_key = "ServiceDetails",
	.parse = svc_parse,
	.check = svc_check,
	.print = svc_print,
	.describe = svc_describe,
	.table = svc_table,
	.details = svc_details,
	.free = svc_free,
};
