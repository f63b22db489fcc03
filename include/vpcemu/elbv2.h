/* elbv2.h - `vpcemu elbv2`: the AWS CLI's ELBv2 commands over a lab's
 * model, for Network Load Balancers.
 *
 * elbv2_run() takes the words after "vpcemu elbv2" ("register-targets
 * --target-group-arn ARN --targets Id=i-...,Port=80") and answers with the
 * JSON the AWS CLI prints, or an ELBv2 error code and message. Commands
 * that change the lab (create-/delete-load-balancer, -target-group,
 * -listener, register-targets, deregister-targets) go through
 * the working-copy pipeline of ec2 commands (ec2.h: atomic, checked, the
 * lab replaced only on success). Wherever ELBv2 takes an ARN, a lab name
 * or ID is accepted too.
 *
 * describe-target-health reads the daemon's health checks through a
 * callback, so that this module stays pure: nothing here prints, exits or
 * touches the kernel.
 */
#ifndef VPCEMU_ELBV2_H
#define VPCEMU_ELBV2_H

#include <stdbool.h>

#include <jansson.h>

#include "vpcemu/diag.h"
#include "vpcemu/health.h"
#include "vpcemu/peering.h"

/* The targets of tg, a group of lab, with their states, as
 * health_lab_targets answers. */
typedef int (*elbv2_health_fn)(void *data, const struct lab *lab,
			       const struct target_group *tg,
			       struct health_target **ret);

/* Runs one command; argv[0] is its name. health (with data) answers
 * describe-target-health. Returns as ec2_run. */
int elbv2_run(struct lab *lab, struct ec2_state *st, int argc, char **argv,
	      const struct ec2_clock *clock, elbv2_health_fn health,
	      void *data, json_t **ret_output, struct diags *err);

/* Whether name is a command elbv2_run knows. */
bool elbv2_is_command(const char *name);
/* The --help text of command name ("NAME OPTIONS\n\nwhat it does\n"),
 * NULL when it has none. */
const char *elbv2_usage(const char *name);
/* Calls fn with the name of each of them (shell completion). */
void elbv2_command_names(void (*fn)(void *arg, const char *name), void *arg);

#endif
