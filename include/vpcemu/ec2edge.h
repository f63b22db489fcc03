/* ec2edge.h - the VPC edge commands for ec2_run (ec2.h): internet
 * gateways, Elastic IPs and NAT gateways; internal to the ec2 modules.
 */
#ifndef VPCEMU_EC2EDGE_H
#define VPCEMU_EC2EDGE_H

#include <jansson.h>

#include "vpcemu/ec2ctx.h"

/* create-/attach-/detach-/delete-internet-gateway; cmd is the name. */
int ec2edge_igw(struct ec2ctx *c, const char *cmd);
/* allocate-/associate-/disassociate-/release-address; cmd is the name. */
int ec2edge_address(struct ec2ctx *c, const char *cmd);
/* create-nat-gateway: queues the gateway as post output (POST_RES). */
int ec2edge_create_nat(struct ec2ctx *c);
/* delete-nat-gateway. */
int ec2edge_delete_nat(struct ec2ctx *c);

/* A new resource of kind k, named by the Name tag of
 * --tag-specifications for resource type rtype, else base, base-2, ...
 * (ec2ctx_new_name), with the ID model_build derives from that name,
 * appended to lab->res[k] of the working copy; NULL with *ret the
 * error. */
struct res *ec2edge_res_add(struct ec2ctx *c, enum res_kind k,
			    const char *rtype, const char *base, int *ret);
/* The same with the name given (a lab name, free, malloc'd: taken over,
 * also on error). */
struct res *ec2edge_res_add_named(struct ec2ctx *c, enum res_kind k,
				  char *name, int *ret);
/* Takes r out of lab->res[] and frees it. */
void ec2edge_res_drop(struct ec2ctx *c, struct res *r);
/* Routes to target, in the route tables of vpc (every VPC when NULL),
 * stay as blackhole, as terminate-instances leaves routes to an
 * instance. */
void ec2edge_routes_blackhole(struct ec2ctx *c, const struct res *target,
			      const struct vpc *vpc);

/* r's object as describe-* gives it; NULL on ENOMEM. */
json_t *ec2edge_describe_one(const struct lab *lab, const struct ec2_state *st,
			     time_t now, const struct res *r);
/* {key: r's describe object} from the final model, for POST_RES. NULL
 * on ENOMEM. */
json_t *ec2edge_post(const struct lab *lab, const struct ec2_state *st,
		     time_t now, const char *key, const struct res *r);

#endif
