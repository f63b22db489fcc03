/* iam.c - `vpcemu iam`: the IAM commands that give an instance its role
 * (create-role, attach-role-policy, create-instance-profile,
 * add-role-to-instance-profile), on the lab's iam-role blocks.
 *
 * A lab has no instance profile apart from its role: an instance's
 * iam-instance-profile names a role (instance.c). So, as the console
 * does when it makes a role for EC2, a profile is the role of the same
 * name: create-instance-profile answers for an existing role, and
 * add-role-to-instance-profile takes that role only; anything else is
 * Vpcemu.Unsupported rather than a profile the lab cannot keep. Only
 * AmazonSSMManagedInstanceCore has an effect (Session Manager).
 *
 * Runs through ec2_change (ec2ctx.h) like every command that changes a
 * lab; answers are the shapes of botocore's iam model. Never prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vpcemu/ec2ctx.h"
#include "vpcemu/ec2edge.h"
#include "vpcemu/iam.h"
#include "vpcemu/model.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

#define GET_ROLE(c, ref, ret)                                            \
	((struct iam_role *)ec2ctx_get_res(c, RES_IAM_ROLE, ref,         \
					   "NoSuchEntity", "role", ret))

/* "2024-01-02T03:04:05Z" of t. */
static void iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int role_create(struct ec2ctx *c)
{
	const char *name, *doc;
	struct iam_role *role;
	char *copy, arn[160], when[32];
	int ret = 0;

	name = ec2ctx_opt_req(c, "--role-name", "RoleName", &ret);
	if (!name)
		return ret;
	doc = ec2ctx_opt_req(c, "--assume-role-policy-document",
			     "AssumeRolePolicyDocument", &ret);
	if (!doc)
		return ret;
	/* Kept by AWS, with no effect in a lab. */
	ec2ctx_arg_get(c->a, "--description", NULL);
	if (model_find(c->m, RES_IAM_ROLE, name))
		return EFAIL(c, "EntityAlreadyExists",
			     "Role with name %s already exists.", name);
	if (!ec2ctx_name_ok(name) || model_find(c->m, RES__COUNT, name))
		return EFAIL(c, "ValidationError",
			     "Role name '%s' is not a free lab name ([A-Za-z0-9][A-Za-z0-9._-]{0,47}, unique in the lab)",
			     name);
	copy = strdup(name);
	if (!copy)
		return ENOMEM_FAIL(c);
	role = (struct iam_role *)ec2edge_res_add_named(c, RES_IAM_ROLE, copy,
							&ret);
	if (!role)
		return ret;
	model_make_role_id(role->r.id, c->m->name, name);
	snprintf(arn, sizeof(arn), "arn:aws:iam::%s:role/%s", c->m->account,
		 name);
	iso_time(c->now, when, sizeof(when));
	c->out = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s}}", "Role",
			   "Path", "/", "RoleName", name, "RoleId",
			   role->r.id, "Arn", arn, "CreateDate", when,
			   "AssumeRolePolicyDocument", doc);
	return c->out ? 0 : ENOMEM_FAIL(c);
}

static int role_attach_policy(struct ec2ctx *c)
{
	static const char aws_managed[] = "arn:aws:iam::aws:policy/";
	const char *arn, *policy;
	struct iam_role *role;
	char **v;
	int ret = 0;
	size_t i;

	role = GET_ROLE(c, ec2ctx_opt_req(c, "--role-name", "RoleName", &ret),
			&ret);
	if (!role)
		return ret;
	arn = ec2ctx_opt_req(c, "--policy-arn", "PolicyArn", &ret);
	if (!arn)
		return ret;
	if (strncmp(arn, aws_managed, strlen(aws_managed)))
		return EUNSUP(c, "Only AWS managed policies (%s...) exist in a lab: %s",
			      aws_managed, arn);
	/* A path (service-role/...) comes before the name. */
	policy = strrchr(arn, '/') + 1;
	if (!*policy)
		return EFAIL(c, "InvalidInput", "ARN %s is not valid.", arn);
	for (i = 0; i < role->npolicies; i++)
		if (!strcmp(role->policies[i], policy))
			goto done;	/* attaching twice changes nothing */
	v = reallocarray(role->policies, role->npolicies + 1, sizeof(*v));
	if (!v)
		return ENOMEM_FAIL(c);
	role->policies = v;
	v[role->npolicies] = strdup(policy);
	if (!v[role->npolicies])
		return ENOMEM_FAIL(c);
	role->npolicies++;
done:
	c->out = json_object();
	return c->out ? 0 : ENOMEM_FAIL(c);
}

/* The role that stands for --instance-profile-name (see the top). */
static struct iam_role *profile_role(struct ec2ctx *c, int *ret)
{
	const char *name = ec2ctx_opt_req(c, "--instance-profile-name",
					  "InstanceProfileName", ret);
	struct iam_role *role = name ? (struct iam_role *)model_find(
						c->m, RES_IAM_ROLE, name)
				     : NULL;

	if (!name)
		return NULL;
	if (!role)
		*ret = EUNSUP(c, "In a lab an instance profile is the role of the same name: create role %s first (create-role --role-name %s)",
			      name, name);
	return role;
}

static int profile_create(struct ec2ctx *c)
{
	const char *name;
	struct iam_role *role;
	char arn[160], id[MODEL_ID_MAX], when[32];
	int ret = 0;

	role = profile_role(c, &ret);
	if (!role)
		return ret;
	name = role->r.name;
	/* Its own unique ID, of the kind IAM gives profiles. */
	model_make_role_id(id, c->m->name, name);
	memcpy(id, "AIPA", 4);
	snprintf(arn, sizeof(arn), "arn:aws:iam::%s:instance-profile/%s",
		 c->m->account, name);
	iso_time(c->now, when, sizeof(when));
	c->out = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:[]}}",
			   "InstanceProfile", "Path", "/",
			   "InstanceProfileName", name, "InstanceProfileId",
			   id, "Arn", arn, "CreateDate", when, "Roles");
	return c->out ? 0 : ENOMEM_FAIL(c);
}

static int profile_add_role(struct ec2ctx *c)
{
	const char *rname;
	struct iam_role *role;
	int ret = 0;

	role = profile_role(c, &ret);
	if (!role)
		return ret;
	rname = ec2ctx_opt_req(c, "--role-name", "RoleName", &ret);
	if (!rname)
		return ret;
	if (!GET_ROLE(c, rname, &ret))
		return ret;
	if (strcmp(rname, role->r.name) && strcmp(rname, role->r.id))
		return EUNSUP(c, "Instance profile %s holds role %s, its own name, in a lab",
			      role->r.name, role->r.name);
	c->out = json_object();
	return c->out ? 0 : ENOMEM_FAIL(c);
}

static const struct ec2ctx_cmd iam_cmds[] = {
	{ "create-role", role_create,
	  "create-role --role-name NAME --assume-role-policy-document DOC\n\n"
	  "An IAM role (an iam-role block of the lab). Answers Role.\n" },
	{ "attach-role-policy", role_attach_policy,
	  "attach-role-policy --role-name NAME --policy-arn arn:aws:iam::aws:policy/POLICY\n\n"
	  "Adds an AWS managed policy to the role's policies; only\n"
	  "AmazonSSMManagedInstanceCore has an effect (Session Manager).\n" },
	{ "create-instance-profile", profile_create,
	  "create-instance-profile --instance-profile-name NAME\n\n"
	  "In a lab a profile is the role of the same name, which must exist.\n"
	  "Answers InstanceProfile.\n" },
	{ "add-role-to-instance-profile", profile_add_role,
	  "add-role-to-instance-profile --instance-profile-name NAME --role-name NAME\n\n"
	  "The profile's own role only. Then run-instances --iam-instance-profile\n"
	  "Name=NAME.\n" },
};

static int run(struct ec2ctx *c, const void *arg)
{
	const struct ec2ctx_cmd *k = arg;

	return k->run(c);
}

int iam_run(struct lab *lab, struct ec2_state *st, int argc, char **argv,
	    const struct ec2_clock *clock, json_t **ret_output,
	    struct diags *err)
{
	const struct ec2ctx_cmd *k;

	*ret_output = NULL;
	k = argc >= 1 ? ec2ctx_cmd_find(iam_cmds, ARRAY_SIZE(iam_cmds),
					argv[0])
		      : NULL;
	if (!k)
		return ec2ctx_fail(err, -EINVAL, "InvalidAction",
				   "The action %s is not valid for this web service.",
				   argc >= 1 && argv[0] ? argv[0] : "");
	return ec2_change(lab, st, argc, argv, clock, run, k, ret_output,
			  err);
}

bool iam_is_command(const char *name)
{
	return ec2ctx_cmd_find(iam_cmds, ARRAY_SIZE(iam_cmds), name) != NULL;
}

const char *iam_usage(const char *name)
{
	const struct ec2ctx_cmd *k =
		ec2ctx_cmd_find(iam_cmds, ARRAY_SIZE(iam_cmds), name);

	return k ? k->usage : NULL;
}

void iam_command_names(void (*fn)(void *arg, const char *name), void *arg)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(iam_cmds); i++)
		fn(arg, iam_cmds[i].name);
}
