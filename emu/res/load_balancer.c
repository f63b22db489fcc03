/* res/load_balancer.c - the Network Load Balancer (ELBv2).
 *
 * One node per subnet, each an ENI with its own namespace "LAB-NAME-SUBNET"
 * (modeleni.c makes them with their addresses, like an interface
 * endpoint's). Its listeners (res/listener.c) forward to target groups
 * (res/target_group.c); an endpoint service (res/endpoint_service.c) puts
 * it behind PrivateLink. Only the model for now: no traffic goes through
 * the nodes yet. Also the ELBv2 helpers the three kinds share: ARNs,
 * protocol names, names ELB accepts.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/describe.h"
#include "vpcemu/restype.h"

/* ELB names load balancers and target groups with at most 32 letters,
 * digits and hyphens, not at either end (CreateLoadBalancer's Name). */
#define ELB_NAME_MAX 32

/* ---- shared by the ELBv2 kinds ------------------------------------- */

const char *load_balancer_region(const struct lab *lab,
				 const struct load_balancer *lb)
{
	return lb && lb->vpc && lb->vpc->region ? lb->vpc->region
						: lab->region;
}

const char *load_balancer_account(const struct lab *lab,
				  const struct load_balancer *lb)
{
	return describe_owner(lab, lb ? lb->vpc : NULL);
}

/* "arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/net/NAME/ID",
 * "...:targetgroup/NAME/ID", "...:listener/net/LB/LBID/ID": ELB's IDs are
 * 16 hex digits, the first 16 of ours. */
void load_balancer_arn(char *out, const struct lab *lab, const struct res *r)
{
	static const char fmt[] = "arn:aws:elasticloadbalancing:%s:%s:";
	const struct load_balancer *lb = NULL;
	const struct target_group *tg = NULL;
	const char *hex = strchr(r->id, '-') + 1;
	int n;

	if (r->kind == RES_LOAD_BALANCER)
		lb = (const struct load_balancer *)r;
	else if (r->kind == RES_LISTENER)
		lb = ((const struct listener *)r)->lb;
	else
		tg = (const struct target_group *)r;
	n = snprintf(out, MODEL_ARN_MAX, fmt,
		     tg ? tg->vpc ? tg->vpc->region : lab->region
			: load_balancer_region(lab, lb),
		     tg ? describe_owner(lab, tg->vpc)
			: load_balancer_account(lab, lb));
	if (n < 0 || n >= MODEL_ARN_MAX)
		return;
	if (tg)
		snprintf(out + n, MODEL_ARN_MAX - n, "targetgroup/%s/%.16s",
			 r->name, hex);
	else if (r->kind == RES_LOAD_BALANCER)
		snprintf(out + n, MODEL_ARN_MAX - n, "loadbalancer/net/%s/%.16s",
			 r->name, hex);
	else
		snprintf(out + n, MODEL_ARN_MAX - n,
			 "listener/net/%s/%.16s/%.16s", lb ? lb->r.name : "?",
			 lb ? strchr(lb->r.id, '-') + 1 : "?", hex);
}

const char *lb_protocol_name(enum lb_protocol p)
{
	return p == LB_UDP ? "UDP" : p == LB_TCP_UDP ? "TCP_UDP" : "TCP";
}

void elb_check_name(const struct res *r, struct diags *d)
{
	const char *s = r->name;
	size_t i, n = strlen(s);
	bool ok = n <= ELB_NAME_MAX && s[0] != '-' && s[n - 1] != '-';

	for (i = 0; ok && i < n; i++)
		ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		     (s[i] >= '0' && s[i] <= '9') || s[i] == '-';
	if (!ok)
		diag_error(d, r->at, "ValidationError",
			   "The name '%s' of %s %s is not valid for ELB: at most %d letters, digits and hyphens, not starting or ending with a hyphen",
			   s, res_article(r->kind), res_types[r->kind]->noun,
			   ELB_NAME_MAX);
}

/* ---- lab file -------------------------------------------------------- */

enum { L_TYPE, L_SCHEME, L_SUBNETS, L_SGS, L_IPS, L_CROSS_ZONE };

static const struct attr lb_attrs[] = {
	[L_TYPE] = { "type", 0 },
	[L_SCHEME] = { "scheme", 0 },
	[L_SUBNETS] = { "subnets", A_REQ },
	[L_SGS] = { "security-groups", 0 },
	[L_IPS] = { "private-ips", 0 },
	[L_CROSS_ZONE] = { "cross-zone", 0 },
};

/* "type network": the other ELBv2 types are not built. */
static void lb_type(struct build *b, const struct conf_word *w)
{
	if (!strcmp(w->text, "network"))
		return;
	if (!strcmp(w->text, "application"))
		diag_error(b->d, w->at, "Vpcemu.NotSupported",
			   "application load balancers are not supported yet (type network)");
	else
		diag_error(b->d, w->at, "ValidationError",
			   "Invalid load balancer type '%s': expected network",
			   w->text);
}

static void lb_attr(struct build *b, struct load_balancer *lb, int a,
		    const struct conf_stmt *st)
{
	const struct conf_word *w = &st->w[1];

	if (a != L_SUBNETS && a != L_SGS && a != L_IPS &&
	    !model_want(b, st, 1, 1))
		return;
	switch (a) {
	case L_TYPE:
		lb_type(b, w);
		break;
	case L_SCHEME:
		model_get_choice(b, w, "scheme", "internal", "internet-facing",
				 &lb->internet_facing);
		lb->scheme_at = w->at;
		break;
	case L_SUBNETS:
		model_parse_assoc(b, st, &lb->subnets, &lb->nsubnets,
				  &lb->subnets_at);
		break;
	case L_SGS:
		model_parse_sg_list(b, st, &lb->sgs, &lb->nsgs);
		lb->sgs_at = st->w[0].at;
		break;
	case L_IPS:
		model_parse_ip_list(b, st, &lb->private_ips, &lb->nprivate_ips,
				    &lb->private_ips_at);
		break;
	case L_CROSS_ZONE:
		model_get_bool(b, w, &lb->cross_zone);
		break;
	}
}

static void lb_parse(struct build *b, struct res *res,
		     const struct conf_block *blk)
{
	struct load_balancer *lb = (struct load_balancer *)res;
	const struct conf_stmt *seen[ARRAY_SIZE(lb_attrs)] = { 0 };
	size_t i;
	int a;

	lb->scheme_at = lb->sgs_at = lb->r.at;
	for (i = 0; i < blk->n; i++) {
		a = model_attr_find(b, "load-balancer", lb_attrs,
				    ARRAY_SIZE(lb_attrs), seen, &blk->stmts[i]);
		if (a >= 0)
			lb_attr(b, lb, a, &blk->stmts[i]);
	}
	model_attrs_required(b, res, lb_attrs, ARRAY_SIZE(lb_attrs), seen);
	if (lb->nsubnets)
		lb->vpc = lb->subnets[0]->vpc;
	lb->dns_name = model_printf(b, "%s-%.16s.elb.%s.amazonaws.com",
				    lb->r.name, lb->r.id + 4,
				    load_balancer_region(b->lab, lb));
}

/* ---- rules ----------------------------------------------------------- */

/* CreateLoadBalancer's subnet mappings: one VPC, one subnet per AZ, a
 * private address per subnet when any is given (check_addresses judges
 * the addresses). AWS's code for subnets of two VPCs is not documented;
 * vpcemu uses the one of the same-AZ rule. */
static void lb_check_subnets(const struct load_balancer *lb, struct diags *d)
{
	const struct subnet *o;
	size_t k;

	for (k = 0; k < lb->nsubnets; k++) {
		const struct subnet *s = lb->subnets[k];

		if (s->vpc != lb->vpc)
			diag_error(d, lb->subnets_at[k],
				   "InvalidConfigurationRequest",
				   "Subnet %s (%s) is not in VPC %s (%s) of the load balancer's first subnet %s",
				   s->r.name, s->r.id, lb->vpc->r.name,
				   lb->vpc->r.id, lb->subnets[0]->r.name);
		else if ((o = check_same_az(lb->subnets, k)))
			diag_error(d, lb->subnets_at[k],
				   "InvalidConfigurationRequest",
				   "A load balancer cannot be attached to multiple subnets in the same Availability Zone (%s and %s are in %s)",
				   o->r.name, s->r.name, s->az ? s->az : "?");
	}
	if (lb->nprivate_ips && lb->nprivate_ips != lb->nsubnets)
		diag_error(d, lb->private_ips_at[0], "ValidationError",
			   "Load balancer %s has %zu subnets and %zu private IPs: private-ips gives one address per subnet, in the order of subnets",
			   lb->r.name, lb->nsubnets, lb->nprivate_ips);
}

static void lb_check(struct lab *lab, struct diags *d)
{
	const struct res_list *l = &lab->res[RES_LOAD_BALANCER];
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct load_balancer *lb =
			(const struct load_balancer *)l->v[i];

		elb_check_name(&lb->r, d);
		if (!lb->vpc)
			continue;
		lb_check_subnets(lb, d);
		/* An internet-facing load balancer's nodes are reached
		 * through the VPC's internet gateway. */
		if (lb->internet_facing && !internet_gateway_of(lab, lb->vpc))
			diag_error(d, lb->scheme_at, "InvalidSubnet",
				   "VPC %s has no internet gateway (internet-facing load balancer %s in VPC %s)",
				   lb->vpc->r.id, lb->r.name, lb->vpc->r.name);
	}
}

/* ---- printed back ---------------------------------------------------- */

static void lb_print(struct printer *p, const struct res *res)
{
	const struct load_balancer *lb = (const struct load_balancer *)res;

	if (!print_res_ok(p, res))
		return;
	/* The nodes follow the subnets (see endpoint_print); a new load
	 * balancer (create-load-balancer) has none yet, and its written
	 * private-ips make the rebuild's nodes exactly those. */
	if (lb->nenis != lb->nsubnets && lb->nprivate_ips != lb->nsubnets) {
		print_fail(p, -ENOTSUP, res);
		return;
	}
	print_block_open(p, res);
	if (lb->internet_facing)
		sb_puts(&p->sb, "\tscheme internet-facing\n");
	print_subnet_list(p, "subnets", lb->subnets, lb->nsubnets, res);
	if (lb->nsgs)
		print_sg_list(p, lb->sgs, lb->nsgs, res);
	print_ip_list(p, "private-ips", lb->private_ips, lb->nprivate_ips);
	if (lb->cross_zone)
		sb_puts(&p->sb, "\tcross-zone yes\n");
	print_block_close(p);
}

/* ---- ELBv2 API ------------------------------------------------------- */

/* DescribeLoadBalancers' LoadBalancer. */
static void lb_describe(struct jb *b, json_t *a, const struct lab *lab,
			const struct ec2_state *st, time_t now,
			const struct res *res)
{
	const struct load_balancer *lb = (const struct load_balancer *)res;
	json_t *o = jb_add(b, a, jb_obj(b));
	json_t *azs, *z, *addrs, *x;
	char arn[MODEL_ARN_MAX], ip[IP_BUF];
	size_t i;

	load_balancer_arn(arn, lab, res);
	jb_put_s(b, o, "LoadBalancerArn", arn);
	jb_put_s(b, o, "DNSName", lb->dns_name);
	jb_put_s(b, o, "LoadBalancerName", lb->r.name);
	jb_put_s(b, o, "Scheme",
		 lb->internet_facing ? "internet-facing" : "internal");
	jb_put_s(b, o, "VpcId", lb->vpc->r.id);
	jb_put_s(b, jb_put(b, o, "State", jb_obj(b)), "Code", "active");
	jb_put_s(b, o, "Type", "network");
	azs = jb_put(b, o, "AvailabilityZones", jb_arr(b));
	for (i = 0; i < lb->nenis; i++) {
		z = jb_add(b, azs, jb_obj(b));
		jb_put_s(b, z, "ZoneName", lb->subnets[i]->az);
		jb_put_s(b, z, "SubnetId", lb->subnets[i]->r.id);
		addrs = jb_put(b, z, "LoadBalancerAddresses", jb_arr(b));
		x = jb_add(b, addrs, jb_obj(b));
		jb_put_s(b, x, "PrivateIPv4Address",
			 ip_fmt(lb->enis[i]->ip, ip));
	}
	if (lb->nsgs) {
		x = jb_put(b, o, "SecurityGroups", jb_arr(b));
		for (i = 0; i < lb->nsgs; i++)
			jb_add(b, x, json_string(lb->sgs[i]->r.id));
	}
	jb_put_s(b, o, "IpAddressType", "ipv4");
}

static void lb_table(struct strbuf *sb, const json_t *o)
{
	sb_printf(sb, "  %-24s %-15s %s\n", describe_jstr(o, "LoadBalancerName"),
		  describe_jstr(o, "Scheme"), describe_jstr(o, "DNSName"));
}

static void lb_details(struct strbuf *sb, const struct lab *lab,
		       const struct res *res)
{
	const struct load_balancer *lb = (const struct load_balancer *)res;
	char ip[IP_BUF];
	size_t i;

	sb_printf(sb, "%s vpc=%s nodes=",
		  lb->internet_facing ? "internet-facing" : "internal",
		  lb->vpc->r.name);
	for (i = 0; i < lb->nenis; i++)
		sb_printf(sb, "%s%s:%s", i ? "," : "", lb->subnets[i]->r.name,
			  ip_fmt(lb->enis[i]->ip, ip));
	sb_printf(sb, " cross-zone=%s sg=", lb->cross_zone ? "yes" : "no");
	if (lb->nsgs)
		res_sg_list(sb, lb->sgs, lb->nsgs);
	else
		sb_puts(sb, "none");
}

static void lb_free(struct res *res)
{
	struct load_balancer *lb = (struct load_balancer *)res;

	free(lb->subnets);
	free(lb->subnets_at);
	free(lb->sgs);
	free(lb->private_ips);
	free(lb->private_ips_at);
	free(lb->enis);
	free(lb->dns_name);
}

const struct res_type res_type_load_balancer = {
	.keyword = "load-balancer",
	.id_prefix = "nlb-",
	.noun = "load balancer",
	.notfound = "LoadBalancerNotFound",
	.size = sizeof(struct load_balancer),
	.describe_what = "load-balancers",
	.describe_key = "LoadBalancers",
	.parse = lb_parse,
	.check = lb_check,
	.print = lb_print,
	.describe = lb_describe,
	.table = lb_table,
	.details = lb_details,
	.free = lb_free,
};
