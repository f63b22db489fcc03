/* elbv2res.h - the ELBv2 commands that make and remove resources, for
 * elbv2_run (elbv2.h): create- and delete-load-balancer, -target-group and
 * -listener; internal to the elbv2 modules.
 */
#ifndef VPCEMU_ELBV2RES_H
#define VPCEMU_ELBV2RES_H

#include "vpcemu/ec2ctx.h"

/* The resource of kind k (load balancer, target group, listener) named by
 * ref: its ARN, a lab name or an ID; NULL when none. */
struct res *elbv2_find(struct ec2ctx *c, enum res_kind k, const char *ref);
/* The same for the value of option opt (AWS's parameter param); NULL
 * with *ret the error: MissingParameter when absent, k's NotFound code
 * ("One or more load balancers not found") when unknown. */
struct res *elbv2_get(struct ec2ctx *c, enum res_kind k, const char *opt,
		      const char *param, int *ret);

int elbv2res_create_lb(struct ec2ctx *c);
int elbv2res_delete_lb(struct ec2ctx *c);
int elbv2res_create_tg(struct ec2ctx *c);
int elbv2res_delete_tg(struct ec2ctx *c);
int elbv2res_create_listener(struct ec2ctx *c);
int elbv2res_delete_listener(struct ec2ctx *c);

#endif
