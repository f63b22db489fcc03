/* iam.h - `vpcemu iam`: create-role, attach-role-policy,
 * create-instance-profile and add-role-to-instance-profile on a lab's
 * iam-role blocks, through the same pipeline as ec2_run (ec2.h).
 */
#ifndef VPCEMU_IAM_H
#define VPCEMU_IAM_H

#include <stdbool.h>

#include <jansson.h>

#include "vpcemu/diag.h"
#include "vpcemu/peering.h"

struct lab;

/* Runs one command; argv[0] is its name. Returns as ec2_run. */
int iam_run(struct lab *lab, struct ec2_state *st, int argc, char **argv,
	    const struct ec2_clock *clock, json_t **ret_output,
	    struct diags *err);
/* Whether name is a command iam_run knows. */
bool iam_is_command(const char *name);
/* The --help text of command name, NULL when none. */
const char *iam_usage(const char *name);
/* Calls fn with the name of each command (shell completion). */
void iam_command_names(void (*fn)(void *arg, const char *name), void *arg);

#endif
