/* ec2tgw.h - the transit gateway commands for ec2_run (ec2.h): gateways,
 * VPC attachments, route tables, associations, propagations, static
 * routes and search-transit-gateway-routes; internal to the ec2 modules.
 */
#ifndef VPCEMU_EC2TGW_H
#define VPCEMU_EC2TGW_H

#include "vpcemu/ec2ctx.h"

/* The transit gateway command cmd (its AWS CLI name), or NULL. */
const struct ec2ctx_cmd *ec2tgw_cmd(const char *cmd);
/* Takes attachment a out of its gateway and of every gateway route
 * table; a static route to it becomes a blackhole, as AWS leaves it. */
void ec2tgw_attachment_forget(struct ec2ctx *c, struct tgw_attachment *a);

#endif
