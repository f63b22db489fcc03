/* ec2inst.h - instance commands for ec2_run (ec2.h); internal to the ec2
 * modules.
 */
#ifndef VPCEMU_EC2INST_H
#define VPCEMU_EC2INST_H

#include "vpcemu/ec2ctx.h"

/* run-instances: queues the reservation as post output (POST_RUN). */
int ec2inst_run(struct ec2ctx *c);
/* terminate-instances. */
int ec2inst_terminate(struct ec2ctx *c);
/* The other instance commands (modify-instance-attribute), by their AWS
 * CLI name, or NULL. */
const struct ec2ctx_cmd *ec2inst_cmd(const char *cmd);

#endif
