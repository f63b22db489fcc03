/* ec2rules.h - security group rule and network ACL entry commands for
 * ec2_run (ec2.h); internal to the ec2 modules.
 */
#ifndef VPCEMU_EC2RULES_H
#define VPCEMU_EC2RULES_H

#include "vpcemu/ec2ctx.h"

/* authorize-/revoke-security-group-ingress/-egress; cmd is the name. */
int ec2rules_sg(struct ec2ctx *c, const char *cmd);
/* create-/replace-/delete-network-acl-entry; cmd is the name. */
int ec2rules_nacl_entry(struct ec2ctx *c, const char *cmd);

#endif
