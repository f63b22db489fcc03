/* ec2tgw.h - the transit gateway commands for ec2_run (ec2.h): gateways,
 * VPC attachments, route tables, associations, propagations, static
 * routes and search-transit-gateway-routes; internal to the ec2 modules.
 */
#ifndef VPCEMU_EC2TGW_H
#define VPCEMU_EC2TGW_H

#include "vpcemu/ec2ctx.h"

/* Runs the transit gateway command cmd (its AWS CLI name) on the working
 * copy; -EINVAL when cmd is not one of them. */
int ec2tgw_run(struct ec2ctx *c, const char *cmd);

/* The --help text of the transit gateway command cmd, or NULL. */
const char *ec2tgw_usage(const char *cmd);

#endif
