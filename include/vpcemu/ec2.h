/* ec2.h - AWS-CLI-shaped imperative commands over a lab's model.
 *
 * ec2_run() takes the words after "vpcemu ec2" (for example
 * "create-route --route-table-id RT-A --destination-cidr-block 10.2.0.0/16
 * --vpc-peering-connection-id pcx-..."), changes the lab as AWS would and
 * returns the JSON the AWS CLI prints for that command, or an AWS error code
 * and message (docs/aws-semantics.md §7). Wherever AWS takes an ID, a lab
 * name is accepted too.
 *
 * Atomic: the command is carried out on a copy of the lab (print_lab, then
 * conf_parse_buffer + model_build), the copy is printed and rebuilt once
 * more (so that everything model_build derives - ENIs, addresses, effective
 * tables, implicit order - is exactly what a reparse of the persisted text
 * gives) and checked with check_lab. Only when all of that succeeds is *lab
 * replaced by the result; on any error *lab and *st are left as they were.
 * Pointers into the old *lab are invalid after a successful call (the
 * struct lab itself is the same object). The first error check_lab queues
 * becomes the command's error, with check_lab's code and message.
 *
 * What the lab format cannot say (print.h) comes back as error
 * "Vpcemu.Unsupported": routes and associations on a VPC's implicit main
 * table, rules of the implicit default security group, entries of the
 * implicit default network ACL, terminating an instance an expect line
 * names.
 *
 * Peering lifecycle: peering.h.
 *
 * Nothing here prints, exits or touches the kernel.
 */
#ifndef VPCEMU_EC2_H
#define VPCEMU_EC2_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "vpcemu/diag.h"
#include "vpcemu/model.h"
#include "vpcemu/peering.h"

struct lab;

/* Runs one command; argv[0] is the command name ("create-route"). On
 * success returns 0 with *ret_output the AWS CLI's JSON (an empty object
 * for commands that print nothing); else -EINVAL (the AWS error queued in
 * err, with no place), -ENOMEM, or -ENOTSUP (code "Vpcemu.Unsupported"). */
int ec2_run(struct lab *lab, struct ec2_state *st, int argc, char **argv,
	    const struct ec2_clock *clock, json_t **ret_output,
	    struct diags *err);

struct describe_paging;

/* Cuts out, the answer of a describe-* (or of vpcemu describe TYPE), to
 * the page argv's options ask for, as the API names them in pg
 * (describe.h): --max-results N, --next-token T for EC2. Returns 0 or
 * -EINVAL with AWS's error in err (InvalidParameterValue,
 * InvalidPaginationToken), -ENOMEM. Every describe pages through it, so
 * that the EC2 Query API's MaxResults and NextToken can too. */
int ec2_page(int argc, char **argv, const struct describe_paging *pg,
	     json_t *out, struct diags *err);

/* Whether name is a command ec2_run knows. */
bool ec2_is_command(const char *name);
/* Calls fn with the name of each of them once (shell completion). */
void ec2_command_names(void (*fn)(void *arg, const char *name), void *arg);
/* The --help text of command name ("create-transit-gateway [--options
 * ...]\n\n what it does"), or NULL when it has none of its own. */
const char *ec2_usage(const char *name);

#endif
