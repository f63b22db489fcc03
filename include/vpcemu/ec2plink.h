/* ec2plink.h - the endpoint and endpoint service commands for ec2_run
 * (ec2.h): accept-/reject-vpc-endpoint-connections,
 * describe-vpc-endpoint-services, describe-vpc-endpoint-connections, and
 * the create/delete commands of ec2plink_cmd; internal to the ec2
 * modules.
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
/* The command cmd among create-vpc-endpoint-service-configuration,
 * delete-vpc-endpoint-service-configurations,
 * modify-vpc-endpoint-service-permissions, create-vpc-endpoint and
 * delete-vpc-endpoints, or NULL. */
const struct ec2ctx_cmd *ec2plink_cmd(const char *cmd);

/* Appends one UnsuccessfulItem {Error{Code,Message}, ResourceId} to a;
 * 0 or the ENOMEM error. */
int ec2plink_unsuccessful(struct ec2ctx *c, json_t *a, const char *id,
			  const char *code, const char *msg);
/* On success (ret 0), {"Unsuccessful": fails} is the answer; else fails
 * is freed. Returns ret, or the ENOMEM error. */
int ec2plink_answer(struct ec2ctx *c, json_t *fails, int ret);
/* The batch commands' shape: one(c, ref, fails) for each word of list
 * option opt (AWS's parameter param, required), which appends an
 * UnsuccessfulItem to fails for a ref that fails alone, or returns an
 * error that fails the call; then the answer (ec2plink_answer). */
int ec2plink_each(struct ec2ctx *c, const char *opt, const char *param,
		  int (*one)(struct ec2ctx *c, const char *ref, json_t *fails));
/* Takes e out of its service's accept and reject lists. */
void ec2plink_forget(struct ec2ctx *c, const struct endpoint *e);

/* ec2vpce.c: create-vpc-endpoint, delete-vpc-endpoints. */
int ec2vpce_create(struct ec2ctx *c);
int ec2vpce_delete(struct ec2ctx *c);

#endif
