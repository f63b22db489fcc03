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

/* {key: r's describe object} from the final model, for POST_RES. NULL
 * on ENOMEM. */
json_t *ec2edge_post(const struct lab *lab, const struct ec2_state *st,
		     time_t now, const char *key, const struct res *r);

#endif
