/* elbv2.c - `vpcemu elbv2` commands (see elbv2.h): the command table,
 * describe the load balancers, target groups and listeners, register and
 * deregister targets, and describe target health; the create and delete
 * commands are elbv2res.c's.
 *
 * Every command, describe included, runs through ec2_change (ec2ctx.h), so
 * that options are read and refused alike; the describes change nothing.
 * Targets are kept as the lab file writes them: an instance and a port,
 * 0 for the group's, so that (instance, traffic port) is what names a
 * target, as in ELBv2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/describe.h"
#include "vpcemu/ec2ctx.h"
#include "vpcemu/elbv2.h"
#include "vpcemu/elbv2res.h"
#include "vpcemu/model.h"
#include "vpcemu/util.h"

struct elbv2_command;

/* What a command gets besides the working copy. */
struct call {
	const struct elbv2_command *cmd;
	elbv2_health_fn health;
	void *data;
};

/* A command runs with its call (run), or with the working copy alone
 * (change: elbv2res.c's). */
struct elbv2_command {
	const char *name;
	int (*run)(struct ec2ctx *c, const struct call *k);
	int (*change)(struct ec2ctx *c);
	const char *describe_what;	/* describe-*: vpcemu describe's */
	const char *usage;		/* --help: "NAME OPTIONS\n\nwhat" */
};

/* --target-group-arn: an ARN, a name or an ID. */
static struct target_group *get_tg(struct ec2ctx *c, int *ret)
{
	return (struct target_group *)elbv2_get(c, RES_TARGET_GROUP,
						"--target-group-arn",
						"TargetGroupArn", ret);
}

/* One target of --targets: "Id=i-...,Port=80" (the AWS CLI's shorthand)
 * or an object {"Id": ..., "Port": ...} of a JSON list. */
struct want {
	const char *id;
	struct instance *in;
	uint16_t port;		/* 0: the group's */
};

static int want_port(struct ec2ctx *c, const char *s, long v, uint16_t *out)
{
	if ((s && !ec2ctx_parse_long(s, 1, 65535, &v)) || v < 1 || v > 65535)
		return EFAIL(c, "ValidationError",
			     "Invalid target port: expected 1-65535");
	*out = (uint16_t)v;
	return 0;
}

static int want_shorthand(struct ec2ctx *c, char *word, struct want *w)
{
	char *save = NULL, *kv;
	int ret = 0;

	for (kv = strtok_r(word, ",", &save); kv && !ret;
	     kv = strtok_r(NULL, ",", &save)) {
		if (!strncmp(kv, "Id=", 3))
			w->id = kv + 3;
		else if (!strncmp(kv, "Port=", 5))
			ret = want_port(c, kv + 5, 0, &w->port);
		else
			ret = EFAIL(c, "ValidationError",
				    "Unknown target field '%s': expected Id=ID[,Port=N]",
				    kv);
	}
	return ret;
}

static int want_json(struct ec2ctx *c, json_t *o, struct want *w)
{
	json_t *port = json_object_get(o, "Port");

	w->id = json_string_value(json_object_get(o, "Id"));
	if (port && !json_is_integer(port))
		return EFAIL(c, "ValidationError",
			     "Invalid target port: expected 1-65535");
	return port ? want_port(c, NULL, (long)json_integer_value(port),
				&w->port)
		    : 0;
}

/* The instance of w, of the group's VPC (InvalidTarget otherwise). */
static int want_resolve(struct ec2ctx *c, const struct target_group *tg,
			struct want *w)
{
	if (!w->id)
		return EFAIL(c, "ValidationError",
			     "A target must have an Id");
	w->in = (struct instance *)model_find(c->m, RES_INSTANCE, w->id);
	if (!w->in || !w->in->subnet || w->in->subnet->vpc != tg->vpc)
		return EFAIL(c, "InvalidTarget",
			     "The following targets are not instances of the target group VPC '%s': '%s'",
			     tg->vpc->r.id, w->id);
	if (w->port == tg->port)
		w->port = 0;
	return 0;
}

/* The targets of --targets (required unless optional) into *ret_v, how
 * many in *ret_n; they point into *ret_json or *ret_words, copies of the
 * option's value. The caller frees all three (targets_free), also on
 * error. */
static int get_targets(struct ec2ctx *c, const struct target_group *tg,
		       bool optional, struct want **ret_v, size_t *ret_n,
		       json_t **ret_json, char ***ret_words)
{
	int n, first, i, ret = 0;
	struct want *v = NULL;
	size_t k = 0, m;
	json_t *j = NULL;
	char **words;

	*ret_v = NULL;
	*ret_n = 0;
	*ret_json = NULL;
	*ret_words = NULL;
	n = ec2ctx_arg_list(c->a, "--targets", &first);
	if (n <= 0)
		return optional && n < 0 ? 0 :
			EFAIL(c, "MissingParameter",
			      "The request must contain the parameter Targets");
	if (c->a->argv[first][0] == '[') {
		j = json_loads(c->a->argv[first], 0, NULL);
		if (!json_is_array(j) || n != 1) {
			json_decref(j);
			return EFAIL(c, "ValidationError",
				     "Invalid --targets: expected Id=ID[,Port=N]... or a JSON list");
		}
		*ret_json = j;
		m = json_array_size(j);
	} else {
		m = (size_t)n;
	}
	v = calloc(m + 1, sizeof(*v));
	words = calloc(m + 1, sizeof(*words));
	*ret_v = v;
	*ret_words = words;
	*ret_n = m;
	if (!v || !words)
		return ENOMEM_FAIL(c);
	for (k = 0; k < m && !ret; k++) {
		if (j) {
			ret = want_json(c, json_array_get(j, k), &v[k]);
		} else {
			i = first + (int)k;
			words[k] = strdup(c->a->argv[i]);
			ret = words[k] ? want_shorthand(c, words[k], &v[k])
				       : ENOMEM_FAIL(c);
		}
		if (!ret)
			ret = want_resolve(c, tg, &v[k]);
	}
	return ret;
}

static void targets_free(struct want *v, json_t *j, char **words, size_t n)
{
	size_t i;

	for (i = 0; words && i < n; i++)
		free(words[i]);
	free(words);
	json_decref(j);
	free(v);
}

/* The index of w among tg's targets, or -1. */
static long registered(const struct target_group *tg, const struct want *w)
{
	size_t i;

	for (i = 0; i < tg->ntargets; i++)
		if (tg->targets[i].instance == w->in &&
		    (tg->targets[i].port == tg->port ? 0 : tg->targets[i].port) ==
			    w->port)
			return (long)i;
	return -1;
}

/* register-targets (a target registered already stays, as in ELBv2) and
 * deregister-targets (one that is not registered is InvalidTarget). */
static int cmd_targets(struct ec2ctx *c, const struct call *k)
{
	bool reg = !strcmp(k->cmd->name, "register-targets");
	struct target_group *tg;
	struct want *v;
	json_t *j;
	char **words;
	size_t n, i;
	long at;
	int ret = 0;

	tg = get_tg(c, &ret);
	if (!tg)
		return ret;
	ret = get_targets(c, tg, false, &v, &n, &j, &words);
	for (i = 0; !ret && i < n; i++) {
		at = registered(tg, &v[i]);
		if (reg && at < 0) {
			if (ec2ctx_grow((void **)&tg->targets, tg->ntargets,
					sizeof(*tg->targets))) {
				ret = ENOMEM_FAIL(c);
				break;
			}
			tg->targets[tg->ntargets].instance = v[i].in;
			tg->targets[tg->ntargets++].port = v[i].port;
		} else if (!reg && at < 0) {
			ret = EFAIL(c, "InvalidTarget",
				    "The following targets are not registered in target group '%s': '%s'",
				    tg->r.name, v[i].id);
		} else if (!reg) {
			ec2ctx_remove_at(tg->targets, &tg->ntargets,
					 sizeof(*tg->targets), (size_t)at);
		}
	}
	targets_free(v, j, words, n);
	if (!ret && !(c->out = json_object()))
		ret = ENOMEM_FAIL(c);
	return ret;
}

/* One TargetHealthDescription. */
static json_t *health_json(const char *id, uint16_t port,
			   enum health_state s, const char *reason)
{
	char p[8];
	json_t *th = json_pack("{s:s}", "State", health_state_name(s));

	if (th && reason &&
	    (json_object_set_new(th, "Reason", json_string(reason)) ||
	     json_object_set_new(th, "Description",
				 json_string(!strcmp(reason,
						     "Target.NotRegistered")
						     ? "Target is not registered to the target group"
						     : health_description(s))))) {
		json_decref(th);
		return NULL;
	}
	snprintf(p, sizeof(p), "%u", port);
	/* The health check port is the traffic port (AWS's default). */
	return th ? json_pack("{s:{s:s, s:i}, s:s, s:o}", "Target", "Id", id,
			      "Port", port, "HealthCheckPort", p,
			      "TargetHealth", th)
		  : NULL;
}

static bool asked(const struct want *v, size_t n, const char *id,
		  uint16_t port, const struct target_group *tg)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].in->r.id, id) &&
		    (v[i].port ? v[i].port : tg->port) == port)
			return true;
	return false;
}

/* describe-target-health --target-group-arn X [--targets ...]: the
 * targets asked for (all when none is), with the checks' states; a target
 * asked for that the group does not have is unused, NotRegistered. */
static int cmd_target_health(struct ec2ctx *c, const struct call *k)
{
	struct health_target *h = NULL;
	struct target_group *tg;
	struct want *v;
	json_t *j, *a;
	char **words;
	size_t n, i;
	int nh = 0, m, ret = 0;

	tg = get_tg(c, &ret);
	if (!tg)
		return ret;
	ret = get_targets(c, tg, true, &v, &n, &j, &words);
	if (!ret && k->health)
		nh = k->health(k->data, c->m, tg, &h);
	a = json_array();
	if (!ret && (nh < 0 || !a))
		ret = ENOMEM_FAIL(c);
	for (m = 0; !ret && m < nh; m++) {
		if (n && !asked(v, n, h[m].instance_id, h[m].port, tg))
			continue;
		if (json_array_append_new(a, health_json(h[m].instance_id,
							 h[m].port, h[m].state,
							 health_reason(
								 h[m].state))))
			ret = ENOMEM_FAIL(c);
	}
	for (i = 0; !ret && i < n; i++) {
		uint16_t port = v[i].port ? v[i].port : tg->port;

		for (m = 0; m < nh; m++)
			if (!strcmp(h[m].instance_id, v[i].in->r.id) &&
			    h[m].port == port)
				break;
		if (m == nh && json_array_append_new(
				       a, health_json(v[i].in->r.id, port,
						      HEALTH_UNUSED,
						      "Target.NotRegistered")))
			ret = ENOMEM_FAIL(c);
	}
	free(h);
	targets_free(v, j, words, n);
	c->out = ret ? NULL : json_pack("{s:o}", "TargetHealthDescriptions", a);
	if (ret)
		json_decref(a);
	return ret ? ret : c->out ? 0 : ENOMEM_FAIL(c);
}

/* describe-load-balancers and the like: `vpcemu describe`'s JSON. */
static int cmd_describe(struct ec2ctx *c, const struct call *k)
{
	c->out = describe_lab(c->m, k->cmd->describe_what);
	if (!c->out)
		return ENOMEM_FAIL(c);
	return ec2ctx_page(c->a, &describe_paging_elbv2, c->out, c->d);
}

static const struct elbv2_command commands[] = {
	{ "describe-load-balancers", cmd_describe, NULL, "load-balancers",
	  NULL },
	{ "describe-target-groups", cmd_describe, NULL, "target-groups", NULL },
	{ "describe-listeners", cmd_describe, NULL, "listeners", NULL },
	{ "describe-target-health", cmd_target_health, NULL, NULL, NULL },
	{ "register-targets", cmd_targets, NULL, NULL, NULL },
	{ "deregister-targets", cmd_targets, NULL, NULL, NULL },
	{ "create-load-balancer", NULL, elbv2res_create_lb, NULL,
	  "create-load-balancer --name NAME --type network\n"
	  "    (--subnets ID... | --subnet-mappings SubnetId=ID[,PrivateIPv4Address=IP]...)\n"
	  "    [--scheme internal|internet-facing] [--security-groups SG...]\n\n"
	  "A Network Load Balancer: a node (ENI, namespace) in each subnet, one\n"
	  "subnet per AZ, at the given address or the lowest free one. --name is\n"
	  "its lab name too (DuplicateLoadBalancerName when taken). Without\n"
	  "--security-groups the nodes have no group. internet-facing needs an\n"
	  "internet gateway. Answers LoadBalancers[].\n" },
	{ "delete-load-balancer", NULL, elbv2res_delete_lb, NULL,
	  "delete-load-balancer --load-balancer-arn LB\n\n"
	  "Deletes the load balancer and its listeners; an unknown one succeeds\n"
	  "(as in AWS); one behind an endpoint service is ResourceInUse.\n" },
	{ "create-target-group", NULL, elbv2res_create_tg, NULL,
	  "create-target-group --name NAME --protocol TCP|UDP|TCP_UDP --port N\n"
	  "    --vpc-id VPC [--target-type instance]\n"
	  "    [--health-check-protocol TCP|HTTP] [--health-check-path PATH]\n"
	  "    [--health-check-interval-seconds 5-300]\n"
	  "    [--healthy-threshold-count 2-10] [--unhealthy-threshold-count 2-10]\n\n"
	  "A target group of instances (register-targets adds them). --name is\n"
	  "its lab name too (DuplicateTargetGroupName when taken). Answers\n"
	  "TargetGroups[].\n" },
	{ "delete-target-group", NULL, elbv2res_delete_tg, NULL,
	  "delete-target-group --target-group-arn TG\n\n"
	  "Not while a listener forwards to it (ResourceInUse).\n" },
	{ "create-listener", NULL, elbv2res_create_listener, NULL,
	  "create-listener --load-balancer-arn LB --protocol TCP|UDP --port N\n"
	  "    --default-actions Type=forward,TargetGroupArn=TG\n\n"
	  "The load balancer's port, forwarding to a group of its VPC (one load\n"
	  "balancer per group); a second listener on a port is DuplicateListener.\n"
	  "Its lab name is LB-PORT. Answers Listeners[].\n" },
	{ "delete-listener", NULL, elbv2res_delete_listener, NULL,
	  "delete-listener --listener-arn LISTENER\n\n"
	  "The port stops forwarding; unknown is ListenerNotFound.\n" },
};

static const struct elbv2_command *find(const char *name)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

bool elbv2_is_command(const char *name)
{
	return find(name) != NULL;
}

const char *elbv2_usage(const char *name)
{
	const struct elbv2_command *c = find(name);

	return c ? c->usage : NULL;
}

void elbv2_command_names(void (*fn)(void *arg, const char *name), void *arg)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fn(arg, commands[i].name);
}

static int run(struct ec2ctx *c, const void *arg)
{
	const struct call *k = arg;

	return k->cmd->change ? k->cmd->change(c) : k->cmd->run(c, k);
}

int elbv2_run(struct lab *lab, struct ec2_state *st, int argc, char **argv,
	      const struct ec2_clock *clock, elbv2_health_fn health,
	      void *data, json_t **ret_output, struct diags *err)
{
	struct call k = { .health = health, .data = data };

	*ret_output = NULL;
	if (argc < 1 || !argv[0])
		return ec2ctx_fail(err, -EINVAL, "MissingParameter",
				   "No command given");
	k.cmd = find(argv[0]);
	if (!k.cmd)
		return ec2ctx_fail(err, -EINVAL, "InvalidAction",
				   "The action %s is not valid for this web service.",
				   argv[0]);
	return ec2_change(lab, st, argc, argv, clock, run, &k, ret_output,
			  err);
}
