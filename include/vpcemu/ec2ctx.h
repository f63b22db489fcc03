/* ec2ctx.h - what every ec2 command module shares: the command context
 * (the working copy a command changes), its argument reader, AWS-shaped
 * errors, lookups by ID or name, and the model-array helpers.
 *
 * Internal to the ec2 modules (ec2.c, ec2rules.c, ec2inst.c, ec2edge.c);
 * the public interface is ec2.h.
 */
#ifndef VPCEMU_EC2CTX_H
#define VPCEMU_EC2CTX_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "vpcemu/ec2.h"
#include "vpcemu/model.h"

/* Queues the command's error in d (when not NULL), with no place: a
 * command has no file position. Returns ret. */
int ec2ctx_fail(struct diags *d, int ret, const char *code,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define EFAIL(ctx, code, ...) \
	ec2ctx_fail((ctx)->d, -EINVAL, code, __VA_ARGS__)
#define EUNSUP(ctx, ...) \
	ec2ctx_fail((ctx)->d, -ENOTSUP, "Vpcemu.Unsupported", __VA_ARGS__)
#define EC2CTX_NOMEM(d) \
	ec2ctx_fail(d, -ENOMEM, "Vpcemu.NoMemory", "Out of memory")
#define ENOMEM_FAIL(ctx) EC2CTX_NOMEM((ctx)->d)

/* Arguments: "--opt value", "--opt=value", "--flag", lists. Each reader
 * marks the words it consumed in used, so that ec2_run can reject the rest. */
struct ec2ctx_args {
	int argc;
	char **argv;
	bool *used;
};

/* Index of option opt, or -1. */
int ec2ctx_arg_index(struct ec2ctx_args *a, const char *opt);
/* The value of --opt, or NULL when absent; *missing_value when present
 * without one. */
const char *ec2ctx_arg_get(struct ec2ctx_args *a, const char *opt,
			   bool *missing_value);
bool ec2ctx_arg_flag(struct ec2ctx_args *a, const char *opt);
/* The words after --opt up to the next option; returns how many (-1 when
 * --opt is absent), the first at *first. */
int ec2ctx_arg_list(struct ec2ctx_args *a, const char *opt, int *first);

struct describe_paging;

/* Cuts out, a describe-* answer, to the page the options of a ask for
 * (pg names them: describe.h), marking them used: AWS's
 * InvalidParameterValue for a page size out of range,
 * InvalidPaginationToken for a token that names no page (-EINVAL). */
int ec2ctx_page(struct ec2ctx_args *a, const struct describe_paging *pg,
		json_t *out, struct diags *err);

/* One command's view of the working copy. */
struct ec2ctx {
	struct lab *m;			/* working copy */
	struct ec2_state *st;		/* working records */
	struct ec2ctx_args *a;
	time_t now;
	struct diags *d;		/* where the command's error goes */
	json_t *out;			/* output built before commit */
	/* Blocks the command adds as lab text after the working copy's
	 * (create-vpc: a VPC's main table, default ACL and group are
	 * model_build's to make); malloc'd, NULL for none. */
	char *add_text;
	/* output built after commit, from the final model */
	enum { POST_NONE, POST_PEERING, POST_RUN, POST_RES, POST_FN } post;
	char post_id[MODEL_ID_MAX];
	const char *post_key;		/* POST_RES: {post_key: object} */
	/* POST_FN: the output of the resource post_id, for answers that
	 * are not one describe object (ELBv2's lists, EC2's
	 * ServiceConfiguration); NULL on ENOMEM. */
	json_t *(*post_fn)(const struct lab *lab, const struct ec2_state *st,
			   time_t now, const struct res *r);
	const char *post_code;		/* peering output status */
	const char *post_msg;
};

/* A command that changes the working copy c->m (and c->st), with its
 * table entry arg; returns 0 or the error it queued in c->d. */
typedef int (*ec2ctx_cmd_fn)(struct ec2ctx *c, const void *arg);

/* The answer of POST_FN: fn's output for r, from the final model. */
void ec2ctx_post_fn(struct ec2ctx *c, const struct res *r,
		    json_t *(*fn)(const struct lab *lab,
				  const struct ec2_state *st, time_t now,
				  const struct res *r));

/* One command of a module's table (ec2tgw.c, ec2plink.c): its name,
 * function and --help text ("NAME OPTIONS\n\nwhat it does\n"). */
struct ec2ctx_cmd {
	const char *name;
	int (*run)(struct ec2ctx *c);
	const char *usage;
};

/* The entry of v (n entries) named name, or NULL. */
const struct ec2ctx_cmd *ec2ctx_cmd_find(const struct ec2ctx_cmd *v,
					 size_t n, const char *name);

/* The pipeline of every changing command (ec2.h): fn runs on a working
 * copy of lab, which is checked and rebuilt and replaces lab only when all
 * of that succeeds; argv[0] is the command, and a word no option took is
 * an error. Returns as ec2_run. */
int ec2_change(struct lab *lab, struct ec2_state *st, int argc, char **argv,
	       const struct ec2_clock *clock, ec2ctx_cmd_fn fn,
	       const void *arg, json_t **ret_output, struct diags *err);

/* The value of a required option; NULL with *ret a MissingParameter
 * error naming param when absent. */
const char *ec2ctx_opt_req(struct ec2ctx *c, const char *opt,
			   const char *param, int *ret);
/* A boolean option: --opt '{"Value":true}', Value=true or true, the flag
 * alone, or --no-opt (modify-vpc-attribute, modify-subnet-attribute).
 * 1, 0, -1 when absent, or -2 with *ret an InvalidParameterValue error. */
int ec2ctx_bool_attr(struct ec2ctx *c, const char *opt, int *ret);

/* Lookups: the resource, or NULL with *ret the AWS NotFound error. A
 * NULL ref with *ret already an error (a missing required option:
 * GET_VPC(c, ec2ctx_opt_req(...), &ret)) adds none. */
void *ec2ctx_get_res(struct ec2ctx *c, enum res_kind k, const char *ref,
		     const char *code, const char *what, int *ret);

#define GET_VPC(c, ref, ret)                                             \
	((struct vpc *)ec2ctx_get_res(c, RES_VPC, ref,                   \
				      "InvalidVpcID.NotFound", "vpc", ret))
#define GET_SUBNET(c, ref, ret)                                          \
	((struct subnet *)ec2ctx_get_res(c, RES_SUBNET, ref,             \
					 "InvalidSubnetID.NotFound",     \
					 "subnet", ret))
#define GET_RTB(c, ref, ret)                                             \
	((struct route_table *)ec2ctx_get_res(c, RES_ROUTE_TABLE, ref,   \
					      "InvalidRouteTableID.NotFound", \
					      "routeTable", ret))
#define GET_PCX(c, ref, ret)                                             \
	((struct peering *)ec2ctx_get_res(                               \
		c, RES_PEERING, ref,                                     \
		"InvalidVpcPeeringConnectionID.NotFound",                \
		"vpcPeeringConnection", ret))
#define GET_ACL(c, ref, ret)                                             \
	((struct nacl *)ec2ctx_get_res(c, RES_NACL, ref,                 \
				       "InvalidNetworkAclID.NotFound",   \
				       "networkAcl", ret))
#define GET_INSTANCE(c, ref, ret)                                        \
	((struct instance *)ec2ctx_get_res(c, RES_INSTANCE, ref,         \
					   "InvalidInstanceID.NotFound", \
					   "instance", ret))

#define GET_ENI(c, ref, ret)                                             \
	((struct eni *)ec2ctx_get_res(c, RES_ENI, ref,                   \
				      "InvalidNetworkInterfaceID.NotFound", \
				      "networkInterface", ret))

struct sg *ec2ctx_get_sg(struct ec2ctx *c, const char *ref, int *ret);
/* The group of --group-id, else --group-name (by name or ID either
 * way), or NULL with *ret the error. */
struct sg *ec2ctx_group_arg(struct ec2ctx *c, int *ret);
/* Parses s into *out; an InvalidParameterValue error naming param. */
int ec2ctx_get_cidr(struct ec2ctx *c, const char *s, const char *param,
		    struct cidr *out);

/* The lowest free address of s from base+4 into *ip; an
 * InsufficientFreeAddressesInSubnet error when none is left. A resource
 * created by a command writes its addresses down, so that they do not
 * move on a later rebuild. */
int ec2ctx_free_ip(struct ec2ctx *c, const struct subnet *s, uint32_t *ip);

/* Whether s is a decimal from lo to hi; then *out. */
bool ec2ctx_parse_long(const char *s, long lo, long hi, long *out);
/* The longest lab name ec2 commands accept or make. */
#define EC2CTX_NAME_MAX 48

/* Whether s can name a lab resource (not ID-like, short, plain). */
bool ec2ctx_name_ok(const char *s);

/* Array helpers: the model's arrays are plain malloc'd memory. grow adds
 * one zeroed element at index n; remove_at closes the gap at i. */
int ec2ctx_grow(void **v, size_t n, size_t sz);
void ec2ctx_remove_at(void *v, size_t *n, size_t sz, size_t i);

/* The name of a new rtype resource: its Name tag in tags (the value of
 * --tag-specifications, shorthand or JSON), which must be a free lab name,
 * else base, base-2, ... (*ret_name malloc'd). */
int ec2ctx_new_name(struct ec2ctx *c, const char *tags, const char *rtype,
		    const char *base, char **ret_name);

#endif
