/* ec2vpn.h - the Site-to-Site VPN commands for ec2_run (ec2.h): customer
 * gateways, virtual private gateways and their attachments, VPN
 * connections and their static routes, route propagation; internal to the
 * ec2 modules.
 */
#ifndef VPCEMU_EC2VPN_H
#define VPCEMU_EC2VPN_H

#include "vpcemu/ec2ctx.h"

/* The VPN command cmd (its AWS CLI name), or NULL. */
const struct ec2ctx_cmd *ec2vpn_cmd(const char *cmd);

#endif
