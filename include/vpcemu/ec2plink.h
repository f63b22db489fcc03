/* ec2plink.h - the endpoint service commands for ec2_run (ec2.h):
 * accept-/reject-vpc-endpoint-connections, describe-vpc-endpoint-services
 * and describe-vpc-endpoint-connections; internal to the ec2 modules.
 */
#ifndef VPCEMU_EC2PLINK_H
#define VPCEMU_EC2PLINK_H

#include "vpcemu/ec2ctx.h"

/* accept- or reject-vpc-endpoint-connections; cmd is the name. */
int ec2plink_connections(struct ec2ctx *c, const char *cmd);
/* describe-vpc-endpoint-services [--service-names NAME...]. */
int ec2plink_describe_services(struct ec2ctx *c);
/* describe-vpc-endpoint-connections. */
int ec2plink_describe_connections(struct ec2ctx *c);

#endif
