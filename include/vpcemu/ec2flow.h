/* ec2flow.h - create-flow-logs and delete-flow-logs for ec2_run (ec2.h);
 * internal to the ec2 modules.
 */
#ifndef VPCEMU_EC2FLOW_H
#define VPCEMU_EC2FLOW_H

#include "vpcemu/ec2ctx.h"

/* The flow log command cmd (its AWS CLI name), or NULL. */
const struct ec2ctx_cmd *ec2flow_cmd(const char *cmd);

#endif
