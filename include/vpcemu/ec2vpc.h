/* ec2vpc.h - the commands that build a network from nothing and take it
 * apart, for ec2_run (ec2.h): VPCs, subnets, route tables, security
 * groups, network ACLs and their associations, subnet and peering
 * options; internal to the ec2 modules.
 */
#ifndef VPCEMU_EC2VPC_H
#define VPCEMU_EC2VPC_H

#include "vpcemu/ec2ctx.h"

/* The command cmd (its AWS CLI name), or NULL. */
const struct ec2ctx_cmd *ec2vpc_cmd(const char *cmd);
/* Calls fn with each command's name (shell completion). */
void ec2vpc_names(void (*fn)(void *arg, const char *name), void *arg);

#endif
