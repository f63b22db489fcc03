/* elbv2res.c - the ELBv2 commands that make and remove resources (see
 * elbv2res.h): load balancers, target groups, listeners.
 *
 * A new load balancer or target group takes its --name as lab name; a
 * listener, which ELBv2 does not name, is LOADBALANCER-PORT. Each goes
 * into lab->res[] of the working copy with the ID model_build derives
 * from its name (ec2edge_res_add_named), and the answer is read from the
 * rebuilt model (POST_FN), in ELBv2's list shape. The rules a lab file
 * has too (ELB names, DuplicateListener, IncompatibleProtocols, health
 * check ranges, one load balancer per target group) are left to the
 * rebuild's check, which answers with AWS's codes. Changes only the
 * working copy (ec2ctx.h); never prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/ec2ctx.h"
#include "vpcemu/ec2edge.h"
#include "vpcemu/elbv2res.h"
#include "vpcemu/model.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

struct res *elbv2_find(struct ec2ctx *c, enum res_kind k, const char *ref)
{
	const struct res_list *l = &c->m->res[k];
	char arn[MODEL_ARN_MAX];
	size_t i;

	for (i = 0; i < l->n; i++) {
		load_balancer_arn(arn, c->m, l->v[i]);
		if (!strcmp(arn, ref))
			return l->v[i];
	}
	return model_find(c->m, k, ref);
}

struct res *elbv2_get(struct ec2ctx *c, enum res_kind k, const char *opt,
		      const char *param, int *ret)
{
	const char *ref = ec2ctx_opt_req(c, opt, param, ret);
	struct res *r;

	if (!ref)
		return NULL;
	r = elbv2_find(c, k, ref);
	if (!r)
		*ret = EFAIL(c, res_types[k]->notfound,
			     "One or more %ss not found", res_types[k]->noun);
	return r;
}

static int out_empty(struct ec2ctx *c)
{
	c->out = json_object();
	return c->out ? 0 : ENOMEM_FAIL(c);
}

/* The answer of create-*: {key: [r's describe object]}. */
static json_t *post_list(const char *key, const struct lab *lab,
			 const struct ec2_state *st, time_t now,
			 const struct res *r)
{
	json_t *o = ec2edge_describe_one(lab, st, now, r);

	return o ? json_pack("{s:[o]}", key, o) : NULL;
}

static json_t *post_lb(const struct lab *lab, const struct ec2_state *st,
		       time_t now, const struct res *r)
{
	return post_list("LoadBalancers", lab, st, now, r);
}

static json_t *post_tg(const struct lab *lab, const struct ec2_state *st,
		       time_t now, const struct res *r)
{
	return post_list("TargetGroups", lab, st, now, r);
}

static json_t *post_listener(const struct lab *lab,
			     const struct ec2_state *st, time_t now,
			     const struct res *r)
{
	return post_list("Listeners", lab, st, now, r);
}

/* The value of a list option, shorthand ("K=V,K=V" words) or a JSON
 * list of objects, as a JSON list of objects (shorthand values are
 * strings); NULL with *ret the error (an absent option is an empty
 * list). The caller decrefs it. */
static json_t *kv_list(struct ec2ctx *c, const char *opt, int *ret)
{
	json_t *l, *o;
	int n, first, i;
	char *w, *kv, *save = NULL, *eq;

	n = ec2ctx_arg_list(c->a, opt, &first);
	if (n == 1 && c->a->argv[first][0] == '[') {
		l = json_loads(c->a->argv[first], 0, NULL);
		if (json_is_array(l))
			return l;
		json_decref(l);
		*ret = EFAIL(c, "ValidationError",
			     "Invalid JSON list for %s", opt);
		return NULL;
	}
	l = json_array();
	for (i = 0; l && i < n; i++) {
		w = strdup(c->a->argv[first + i]);
		o = json_object();
		if (!w || json_array_append_new(l, o)) {
			free(w);
			json_decref(l);
			l = NULL;
			break;
		}
		for (kv = strtok_r(w, ",", &save); kv;
		     kv = strtok_r(NULL, ",", &save)) {
			eq = strchr(kv, '=');
			if (!eq) {
				*ret = EFAIL(c, "ValidationError",
					     "Invalid %s '%s': expected KEY=VALUE,...",
					     opt, c->a->argv[first + i]);
				free(w);
				json_decref(l);
				return NULL;
			}
			*eq = '\0';
			if (json_object_set_new(o, kv, json_string(eq + 1))) {
				json_decref(l);
				l = NULL;
				break;
			}
		}
		free(w);
	}
	if (!l)
		*ret = ENOMEM_FAIL(c);
	return l;
}

/* A load balancer's or target group's --name, free in the lab: AWS's
 * dup_code when one of the same kind has it, even with the same
 * settings (ELBv2 answers those with the existing one: vpcemu does
 * not). Returns a malloc'd copy, or NULL with *ret the error. */
static char *new_name(struct ec2ctx *c, enum res_kind k,
		      const char *dup_code, int *ret)
{
	const char *name = ec2ctx_opt_req(c, "--name", "Name", ret);
	const struct res *o;
	char *s;

	if (!name)
		return NULL;
	o = model_find(c->m, RES__COUNT, name);
	if (o && o->kind == k) {
		*ret = EFAIL(c, dup_code,
			     "A %s with the same name '%s' exists, but with different settings",
			     res_types[k]->noun, name);
		return NULL;
	}
	if (o || !model_name_ok(name)) {
		*ret = EFAIL(c, "ValidationError",
			     o ? "The name '%s' is taken in the lab (lab names are unique across kinds)"
			       : "The name '%s' is not valid: at most 32 letters, digits and hyphens",
			     name);
		return NULL;
	}
	s = strdup(name);
	if (!s)
		*ret = ENOMEM_FAIL(c);
	return s;
}

/* ------------------------------------------------------------------ */
/* Load balancers */

/* The node of subnet s at address ip ("" or NULL: the lowest free one,
 * written down so that it stays). */
static int lb_node(struct ec2ctx *c, struct load_balancer *lb,
		   struct subnet *s, const char *ip)
{
	uint32_t a;
	int ret;

	if (ec2ctx_grow((void **)&lb->subnets, lb->nsubnets,
			sizeof(*lb->subnets)) ||
	    ec2ctx_grow((void **)&lb->private_ips, lb->nprivate_ips,
			sizeof(*lb->private_ips)))
		return ENOMEM_FAIL(c);
	if (ip && ip_parse(ip, &a))
		return EFAIL(c, "ValidationError",
			     "Invalid private IPv4 address '%s'", ip);
	if (!ip) {
		ret = ec2ctx_free_ip(c, s, &a);
		if (ret)
			return ret;
	}
	lb->subnets[lb->nsubnets++] = s;
	lb->private_ips[lb->nprivate_ips++] = a;
	return 0;
}

static struct subnet *lb_subnet(struct ec2ctx *c, const char *ref, int *ret)
{
	struct subnet *s = ref ? (struct subnet *)model_find(c->m, RES_SUBNET,
							      ref)
			       : NULL;

	if (!s)
		*ret = EFAIL(c, "SubnetNotFound",
			     "The specified subnet does not exist: '%s'",
			     ref ? ref : "");
	return s;
}

/* --subnets ID... or --subnet-mappings SubnetId=ID[,PrivateIPv4Address=IP]
 * ..., one of them. */
static int lb_subnets(struct ec2ctx *c, struct load_balancer *lb)
{
	json_t *maps, *m;
	struct subnet *s;
	int n, first, i, ret = 0;
	size_t k;

	n = ec2ctx_arg_list(c->a, "--subnets", &first);
	maps = kv_list(c, "--subnet-mappings", &ret);
	if (!maps)
		return ret;
	if (n > 0 && json_array_size(maps))
		ret = EFAIL(c, "ValidationError",
			    "You can specify subnets or subnet mappings, not both");
	else if (n <= 0 && !json_array_size(maps))
		ret = EFAIL(c, "ValidationError",
			    "You must specify subnets or subnet mappings");
	for (i = 0; !ret && i < n; i++) {
		s = lb_subnet(c, c->a->argv[first + i], &ret);
		if (s)
			ret = lb_node(c, lb, s, NULL);
	}
	json_array_foreach(maps, k, m) {
		if (ret)
			break;
		if (json_object_get(m, "AllocationId") ||
		    json_object_get(m, "IPv6Address")) {
			ret = EUNSUP(c, "vpcemu's load balancer nodes take a private IPv4 address only (no AllocationId, no IPv6Address)");
			break;
		}
		s = lb_subnet(c, json_string_value(json_object_get(m, "SubnetId")),
			      &ret);
		if (s)
			ret = lb_node(c, lb, s,
				      json_string_value(json_object_get(
					      m, "PrivateIPv4Address")));
	}
	json_decref(maps);
	return ret;
}

static int lb_sgs(struct ec2ctx *c, struct load_balancer *lb)
{
	struct sg *g;
	int n, first, i, ret = 0;

	n = ec2ctx_arg_list(c->a, "--security-groups", &first);
	for (i = 0; i < n; i++) {
		g = (struct sg *)model_find(c->m, RES_SG, c->a->argv[first + i]);
		if (!g)
			return EFAIL(c, "InvalidSecurityGroup",
				     "The specified security group does not exist: '%s'",
				     c->a->argv[first + i]);
		if (ec2ctx_grow((void **)&lb->sgs, lb->nsgs, sizeof(*lb->sgs)))
			return ENOMEM_FAIL(c);
		lb->sgs[lb->nsgs++] = g;
	}
	return ret;
}

/* vpcemu builds Network Load Balancers only; ELBv2's default type is
 * application, so --type network is required here. */
static int lb_options(struct ec2ctx *c, bool *ret_public)
{
	const char *type = ec2ctx_arg_get(c->a, "--type", NULL);
	const char *scheme = ec2ctx_arg_get(c->a, "--scheme", NULL);
	const char *ipt = ec2ctx_arg_get(c->a, "--ip-address-type", NULL);

	if (!type || strcmp(type, "network"))
		return EUNSUP(c, "vpcemu builds Network Load Balancers only: pass --type network");
	if (scheme && strcmp(scheme, "internal") &&
	    strcmp(scheme, "internet-facing"))
		return EFAIL(c, "ValidationError",
			     "Invalid scheme '%s': expected internal or internet-facing",
			     scheme);
	if (ipt && strcmp(ipt, "ipv4"))
		return EUNSUP(c, "vpcemu's load balancers are ipv4 only");
	*ret_public = scheme && !strcmp(scheme, "internet-facing");
	return 0;
}

int elbv2res_create_lb(struct ec2ctx *c)
{
	struct load_balancer *lb;
	bool public = false;
	char *name;
	int ret;

	ret = lb_options(c, &public);
	if (ret)
		return ret;
	name = new_name(c, RES_LOAD_BALANCER, "DuplicateLoadBalancerName",
			&ret);
	if (!name)
		return ret;
	lb = (struct load_balancer *)ec2edge_res_add_named(
		c, RES_LOAD_BALANCER, name, &ret);
	if (!lb)
		return ret;
	lb->internet_facing = public;
	ret = lb_subnets(c, lb);
	if (!ret)
		ret = lb_sgs(c, lb);
	if (ret)
		return ret;
	lb->vpc = lb->subnets[0]->vpc;
	ec2ctx_post_fn(c, &lb->r, post_lb);
	return 0;
}

/* AWS: deleting a load balancer that does not exist succeeds; its
 * listeners go with it; one behind an endpoint service stays
 * (ResourceInUse). */
int elbv2res_delete_lb(struct ec2ctx *c)
{
	struct res_list *ls = &c->m->res[RES_LISTENER];
	const struct res_list *svcs = &c->m->res[RES_ENDPOINT_SERVICE];
	struct load_balancer *lb;
	const char *ref;
	size_t i, k;
	int ret = 0;

	ref = ec2ctx_opt_req(c, "--load-balancer-arn", "LoadBalancerArn", &ret);
	if (!ref)
		return ret;
	lb = (struct load_balancer *)elbv2_find(c, RES_LOAD_BALANCER, ref);
	if (!lb)
		return out_empty(c);
	for (i = 0; i < svcs->n; i++) {
		const struct endpoint_service *s =
			(const struct endpoint_service *)svcs->v[i];

		for (k = 0; k < s->nlbs; k++)
			if (s->lbs[k] == lb)
				return EFAIL(c, "ResourceInUse",
					     "Load balancer '%s' cannot be deleted because it is currently associated with another service (endpoint service %s)",
					     ref, s->r.id);
	}
	for (i = ls->n; i-- > 0;)
		if (((struct listener *)ls->v[i])->lb == lb)
			ec2edge_res_drop(c, ls->v[i]);
	/* Its nodes are model_build's, never written: they go with it. */
	for (i = 0; i < lb->nenis; i++)
		ec2edge_res_drop(c, &lb->enis[i]->r);
	lb->nenis = 0;
	ec2edge_res_drop(c, &lb->r);
	return out_empty(c);
}

/* ------------------------------------------------------------------ */
/* Target groups */

/* A count option: a decimal (the range is the rebuild's check). */
static int tg_count(struct ec2ctx *c, const char *opt, unsigned *out)
{
	const char *s = ec2ctx_arg_get(c->a, opt, NULL);
	long v;

	if (!s)
		return 0;
	if (!ec2ctx_parse_long(s, 0, 100000, &v))
		return EFAIL(c, "ValidationError", "Invalid %s '%s'", opt, s);
	*out = (unsigned)v;
	return 0;
}

static int tg_protocol(struct ec2ctx *c, const char *p,
		       enum lb_protocol *out)
{
	if (!p)
		return EFAIL(c, "ValidationError",
			     "A protocol must be specified");
	if (!strcmp(p, "TCP"))
		*out = LB_TCP;
	else if (!strcmp(p, "UDP"))
		*out = LB_UDP;
	else if (!strcmp(p, "TCP_UDP"))
		*out = LB_TCP_UDP;
	else
		return EUNSUP(c, "vpcemu's target groups are TCP, UDP or TCP_UDP (Network Load Balancers), not '%s'",
			      p);
	return 0;
}

/* --health-check-protocol TCP|HTTP and --health-check-path. */
static int tg_health(struct ec2ctx *c, struct target_group *tg)
{
	const char *p = ec2ctx_arg_get(c->a, "--health-check-protocol", NULL);
	const char *path = ec2ctx_arg_get(c->a, "--health-check-path", NULL);
	const char *port = ec2ctx_arg_get(c->a, "--health-check-port", NULL);

	if (port && strcmp(port, "traffic-port"))
		return EUNSUP(c, "vpcemu checks targets on their traffic port (--health-check-port traffic-port)");
	if (p && strcmp(p, "TCP") && strcmp(p, "HTTP"))
		return EUNSUP(c, "vpcemu's health checks are TCP or HTTP, not '%s'",
			      p);
	if (!p || !strcmp(p, "TCP")) {
		if (path)
			return EFAIL(c, "ValidationError",
				     "A health check path can be set only for HTTP health checks");
		return 0;
	}
	tg->health_check = HEALTH_CHECK_HTTP;
	tg->health_check_path = strdup(path ? path : TARGET_GROUP_HTTP_PATH);
	return tg->health_check_path ? 0 : ENOMEM_FAIL(c);
}

int elbv2res_create_tg(struct ec2ctx *c)
{
	const char *proto = ec2ctx_arg_get(c->a, "--protocol", NULL);
	const char *port = ec2ctx_arg_get(c->a, "--port", NULL);
	const char *vref = ec2ctx_arg_get(c->a, "--vpc-id", NULL);
	const char *type = ec2ctx_arg_get(c->a, "--target-type", NULL);
	struct target_group *tg;
	enum lb_protocol p = LB_TCP;
	struct vpc *v;
	char *name;
	long pn;
	int ret;

	if (type && strcmp(type, "instance"))
		return EUNSUP(c, "vpcemu's target groups have instance targets only (--target-type instance)");
	ret = tg_protocol(c, proto, &p);
	if (ret)
		return ret;
	if (!port || !ec2ctx_parse_long(port, 1, 65535, &pn))
		return EFAIL(c, "ValidationError",
			     port ? "Invalid port '%s': expected 1-65535"
				  : "A port must be specified%s",
			     port ? port : "");
	v = vref ? (struct vpc *)model_find(c->m, RES_VPC, vref) : NULL;
	if (!v)
		return EFAIL(c, "ValidationError",
			     vref ? "The VPC ID '%s' is not found"
				  : "A VPC ID must be specified%s",
			     vref ? vref : "");
	name = new_name(c, RES_TARGET_GROUP, "DuplicateTargetGroupName", &ret);
	if (!name)
		return ret;
	tg = (struct target_group *)ec2edge_res_add_named(c, RES_TARGET_GROUP,
							  name, &ret);
	if (!tg)
		return ret;
	target_group_init(tg);
	tg->vpc = v;
	tg->protocol = p;
	tg->port = (uint16_t)pn;
	ret = tg_health(c, tg);
	if (!ret)
		ret = tg_count(c, "--health-check-interval-seconds",
			       &tg->interval);
	if (!ret)
		ret = tg_count(c, "--healthy-threshold-count",
			       &tg->healthy_threshold);
	if (!ret)
		ret = tg_count(c, "--unhealthy-threshold-count",
			       &tg->unhealthy_threshold);
	if (ret)
		return ret;
	ec2ctx_post_fn(c, &tg->r, post_tg);
	return 0;
}

/* Not while a listener forwards to it (ResourceInUse, as in AWS). */
int elbv2res_delete_tg(struct ec2ctx *c)
{
	const struct res_list *ls = &c->m->res[RES_LISTENER];
	struct target_group *tg;
	size_t i;
	int ret = 0;

	tg = (struct target_group *)elbv2_get(c, RES_TARGET_GROUP,
					      "--target-group-arn",
					      "TargetGroupArn", &ret);
	if (!tg)
		return ret;
	for (i = 0; i < ls->n; i++)
		if (((const struct listener *)ls->v[i])->tg == tg)
			return EFAIL(c, "ResourceInUse",
				     "Target group '%s' is currently in use by a listener or a rule",
				     tg->r.name);
	ec2edge_res_drop(c, &tg->r);
	return out_empty(c);
}

/* ------------------------------------------------------------------ */
/* Listeners */

/* --default-actions Type=forward,TargetGroupArn=TG (or its JSON list):
 * one forward action, which is what a lab's listener has. */
static struct target_group *forward_to(struct ec2ctx *c, int *ret)
{
	json_t *acts = kv_list(c, "--default-actions", ret), *a;
	const char *type, *ref;
	struct target_group *tg = NULL;

	if (!acts)
		return NULL;
	a = json_array_get(acts, 0);
	type = json_string_value(json_object_get(a, "Type"));
	ref = json_string_value(json_object_get(a, "TargetGroupArn"));
	if (!a)
		*ret = EFAIL(c, "MissingParameter",
			     "The request must contain the parameter DefaultActions");
	else if (json_array_size(acts) > 1 || !type || strcmp(type, "forward") ||
		 !ref)
		*ret = EUNSUP(c, "vpcemu's listeners have one default action: Type=forward,TargetGroupArn=TG");
	else if (!(tg = (struct target_group *)elbv2_find(c, RES_TARGET_GROUP,
							  ref)))
		*ret = EFAIL(c, "TargetGroupNotFound",
			     "One or more target groups not found");
	json_decref(acts);
	return tg;
}

int elbv2res_create_listener(struct ec2ctx *c)
{
	const char *proto = ec2ctx_arg_get(c->a, "--protocol", NULL);
	const char *port = ec2ctx_arg_get(c->a, "--port", NULL);
	char base[EC2CTX_NAME_MAX + 1];
	struct load_balancer *lb;
	struct target_group *tg;
	struct listener *l;
	long pn;
	int ret = 0;

	lb = (struct load_balancer *)elbv2_get(c, RES_LOAD_BALANCER,
					       "--load-balancer-arn",
					       "LoadBalancerArn", &ret);
	if (!lb)
		return ret;
	if (proto && strcmp(proto, "TCP") && strcmp(proto, "UDP"))
		return EUNSUP(c, "vpcemu's listeners are TCP or UDP, not '%s'",
			      proto);
	if (!port || !ec2ctx_parse_long(port, 1, 65535, &pn))
		return EFAIL(c, "ValidationError",
			     "Invalid or missing port: expected 1-65535");
	tg = forward_to(c, &ret);
	if (!tg)
		return ret;
	snprintf(base, sizeof(base), "%.38s-%ld", lb->r.name, pn);
	l = (struct listener *)ec2edge_res_add(
		c, RES_LISTENER, "listener",
		ec2ctx_name_ok(base) ? base : "listener", &ret);
	if (!l)
		return ret;
	l->lb = lb;
	l->protocol = proto && !strcmp(proto, "UDP") ? LB_UDP : LB_TCP;
	l->port = (uint16_t)pn;
	l->tg = tg;
	ec2ctx_post_fn(c, &l->r, post_listener);
	return 0;
}

int elbv2res_delete_listener(struct ec2ctx *c)
{
	struct res *l;
	int ret = 0;

	l = elbv2_get(c, RES_LISTENER, "--listener-arn", "ListenerArn", &ret);
	if (!l)
		return ret;
	ec2edge_res_drop(c, l);
	return out_empty(c);
}
