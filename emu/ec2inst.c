/* ec2inst.c - the instance commands: run-instances (one instance, its
 * address, groups, role and user data), terminate-instances and
 * modify-instance-attribute (the source/destination check).
 *
 * Changes only the working copy's instances, ENIs and routes (ec2ctx.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/ec2ctx.h"
#include "vpcemu/ec2inst.h"
#include "vpcemu/model.h"
#include "vpcemu/util.h"

#define DEFAULT_AMI "al2023"
#define DEFAULT_INSTANCE_TYPE "t2.micro"

/* --iam-instance-profile: "Name=ROLE", '{"Name":"ROLE"}' (the AWS CLI
 * takes both; the Query API passes JSON) or "ROLE", a role of the lab. */
static int run_role(struct ec2ctx *c, struct instance *in, const char *role)
{
	json_t *j = role[0] == '{' ? json_loads(role, 0, NULL) : NULL;
	const char *rn = !strncmp(role, "Name=", 5) ? role + 5 : role;

	if (j)
		rn = json_string_value(json_object_get(j, "Name"));
	in->role = rn ? (struct iam_role *)model_find(c->m, RES_IAM_ROLE, rn) :
			NULL;
	json_decref(j);
	if (!in->role)
		return EFAIL(c, "InvalidParameterValue",
			     "Value (%s) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name",
			     role);
	return 0;
}

/* --security-group-ids, else the VPC's default group as AWS does. */
static int run_sgs(struct ec2ctx *c, struct instance *in)
{
	int first = 0, n, i, ret = 0;

	n = ec2ctx_arg_list(c->a, "--security-group-ids", &first);
	if (n == 0)
		return EFAIL(c, "MissingParameter",
			     "--security-group-ids needs at least one group");
	if (n < 0) {
		in->sgs = calloc(1, sizeof(*in->sgs));
		if (!in->sgs)
			return ENOMEM_FAIL(c);
		in->sgs[0] = in->subnet->vpc->default_sg;
		in->nsgs = 1;
		return 0;
	}
	in->sgs = calloc((size_t)n, sizeof(*in->sgs));
	if (!in->sgs)
		return ENOMEM_FAIL(c);
	for (i = 0; i < n; i++) {
		in->sgs[i] = ec2ctx_get_sg(c, c->a->argv[first + i], &ret);
		if (!in->sgs[i])
			return ret;
	}
	in->nsgs = (size_t)n;
	return 0;
}

int ec2inst_run(struct ec2ctx *c)
{
	const char *sref, *ip, *ami, *type, *count, *tags, *role, *ud;
	struct instance *in = NULL;
	struct subnet *s;
	char *name = NULL;
	int ret = 0;

	sref = ec2ctx_arg_get(c->a, "--subnet-id", NULL);
	if (!sref)
		return EFAIL(c, "MissingParameter",
			     "No subnet given: vpcemu labs have no default VPC; pass --subnet-id");
	s = GET_SUBNET(c, sref, &ret);
	if (!s)
		return ret;
	count = ec2ctx_arg_get(c->a, "--count", NULL);
	if (count && strcmp(count, "1") && strcmp(count, "1:1"))
		return EUNSUP(c, "vpcemu launches one instance per call (--count 1)");
	/* The API's MinCount and MaxCount, which --count sets in the CLI. */
	count = ec2ctx_arg_get(c->a, "--min-count", NULL);
	if (!count || !strcmp(count, "1"))
		count = ec2ctx_arg_get(c->a, "--max-count", NULL);
	if (count && strcmp(count, "1"))
		return EUNSUP(c, "vpcemu launches one instance per call (MinCount and MaxCount 1)");
	ip = ec2ctx_arg_get(c->a, "--private-ip-address", NULL);
	ami = ec2ctx_arg_get(c->a, "--image-id", NULL);
	type = ec2ctx_arg_get(c->a, "--instance-type", NULL);
	tags = ec2ctx_arg_get(c->a, "--tag-specifications", NULL);
	role = ec2ctx_arg_get(c->a, "--iam-instance-profile", NULL);
	ud = ec2ctx_arg_get(c->a, "--user-data", NULL);
	ec2ctx_arg_get(c->a, "--key-name", NULL);

	ret = ec2ctx_new_name(c, tags, "instance", "instance", &name);
	if (ret)
		return ret;
	in = calloc(1, sizeof(*in));
	if (!in) {
		free(name);
		return ENOMEM_FAIL(c);
	}
	in->r.kind = RES_INSTANCE;
	in->r.name = name;
	model_make_id(in->r.id, "i-", c->m->name, res_kind_name(RES_INSTANCE),
		      name);
	in->subnet = s;
	in->private_ip_given = true;
	in->public_ip = s->public_ip_on_launch;
	in->metadata_tokens_required = true;
	in->metadata_hop_limit = 1;
	in->ami = strdup(ami ? ami : DEFAULT_AMI);
	in->instance_type = strdup(type ? type : DEFAULT_INSTANCE_TYPE);
	if (!in->ami || !in->instance_type)
		goto oom;
	if (ud) {
		in->ud.script = strdup(ud);
		if (!in->ud.script)
			goto oom;
	}
	if (ip) {
		if (ip_parse(ip, &in->private_ip)) {
			ret = EFAIL(c, "InvalidParameterValue",
				    "Invalid value '%s' for privateIpAddress",
				    ip);
			goto out;
		}
	} else {
		ret = ec2ctx_free_ip(c, s, &in->private_ip);
		if (ret)
			goto out;
	}
	if (role) {
		ret = run_role(c, in, role);
		if (ret)
			goto out;
	}
	ret = run_sgs(c, in);
	if (ret)
		goto out;
	if (ec2ctx_grow((void **)&c->m->instances, c->m->ninstances,
			sizeof(*c->m->instances)))
		goto oom;
	c->m->instances[c->m->ninstances++] = in;
	c->post = POST_RUN;
	snprintf(c->post_id, sizeof(c->post_id), "%s", in->r.id);
	return 0;
oom:
	ret = ENOMEM_FAIL(c);
out:
	res_free(&in->r);
	return ret;
}

int ec2inst_terminate(struct ec2ctx *c)
{
	json_t *arr = json_array();
	int first = 0, n, i, ret = 0;
	size_t j, k;

	if (!arr)
		return ENOMEM_FAIL(c);
	n = ec2ctx_arg_list(c->a, "--instance-ids", &first);
	if (n <= 0) {
		json_decref(arr);
		return EFAIL(c, "MissingParameter",
			     "The request must contain the parameter instanceIds");
	}
	for (i = 0; i < n; i++) {
		struct instance *in = GET_INSTANCE(c, c->a->argv[first + i],
						   &ret);
		json_t *o;

		if (!in)
			goto out;
		for (j = 0; j < c->m->nexpects; j++)
			if (c->m->expects[j].src == &in->r ||
			    c->m->expects[j].dst == &in->r) {
				ret = EUNSUP(c,
					     "Instance %s (%s) is named by the lab's expect line '%s'; remove that line first",
					     in->r.name, in->r.id,
					     c->m->expects[j].text ?
						     c->m->expects[j].text : "");
				goto out;
			}
		o = json_pack("{s:{s:i, s:s}, s:s, s:{s:i, s:s}}",
			      "CurrentState", "Code", 32, "Name",
			      "shutting-down", "InstanceId", in->r.id,
			      "PreviousState", "Code", 16, "Name", "running");
		if (!o || json_array_append_new(arr, o)) {
			ret = ENOMEM_FAIL(c);
			goto out;
		}
		/* routes to it stay, as blackhole. */
		for (j = 0; j < c->m->nroute_tables; j++) {
			struct route_table *t = c->m->route_tables[j];

			for (k = 0; k < t->nroutes; k++)
				if (t->routes[k].target == &in->r)
					t->routes[k].target = NULL;
		}
		for (j = 0; j < c->m->nenis; j++)
			if (c->m->enis[j]->instance == in) {
				struct eni *e = c->m->enis[j];

				free(e->r.name);
				free(e->sgs);
				free(e->netns);
				free(e);
				ec2ctx_remove_at(c->m->enis, &c->m->nenis,
						 sizeof(*c->m->enis), j);
				break;
			}
		for (j = 0; j < c->m->ninstances; j++)
			if (c->m->instances[j] == in) {
				ec2ctx_remove_at(c->m->instances,
						 &c->m->ninstances,
						 sizeof(*c->m->instances), j);
				break;
			}
		res_free(&in->r);
	}
	c->out = json_pack("{s:O}", "TerminatingInstances", arr);
	if (!c->out)
		ret = ENOMEM_FAIL(c);
out:
	json_decref(arr);
	return ret;
}


/* ModifyInstanceAttribute: one attribute at a time, as AWS takes it;
 * vpcemu changes the source/destination check. */
static int inst_modify(struct ec2ctx *c)
{
	struct instance *in;
	int on, ret = 0;

	in = GET_INSTANCE(c, ec2ctx_opt_req(c, "--instance-id", "instanceId",
					    &ret),
			  &ret);
	if (!in)
		return ret;
	on = ec2ctx_bool_attr(c, "--source-dest-check", &ret);
	if (on == -2)
		return ret;
	if (on < 0)
		return EUNSUP(c, "vpcemu changes only --source-dest-check of an instance");
	in->no_source_dest_check = !on;
	c->out = json_object();
	return c->out ? 0 : ENOMEM_FAIL(c);
}

static const struct ec2ctx_cmd inst_cmds[] = {
	{ "modify-instance-attribute", inst_modify,
	  "modify-instance-attribute --instance-id INSTANCE\n"
	  "    --source-dest-check | --no-source-dest-check\n\n"
	  "Whether the VPC drops what the instance sends that is not from\n"
	  "its address and what reaches it that is not for it; off lets it\n"
	  "route, translate or tunnel others' traffic.\n" },
};

const struct ec2ctx_cmd *ec2inst_cmd(const char *cmd)
{
	return ec2ctx_cmd_find(inst_cmds, ARRAY_SIZE(inst_cmds), cmd);
}
