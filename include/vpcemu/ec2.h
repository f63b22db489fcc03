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
 * Peering lifecycle (§6.1, R-6.2): the model has no "deleted" or "expired"
 * status that prints, so a deleted or expired peering stays in the model
 * with status rejected - the same data plane: veth down, routes to it
 * blackhole, SG references to the peer stale - and the side table struct
 * ec2_state keeps its AWS status and its timestamps. describe_lab_state()
 * (describe.h) shows the AWS status from that table.
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

struct lab;

/* The time every lifecycle rule reads; tests set it, the daemon passes
 * time(NULL). A NULL clock means time(NULL). */
struct ec2_clock {
	time_t now;
};

#define EC2_PEERING_EXPIRY (168 * 3600)	/* pending-acceptance: 7 days */

struct ec2_error {
	char code[64];		/* "InvalidStateTransition" */
	char message[512];
};

/* One peering's lifecycle as AWS tells it. */
struct ec2_peering_rec {
	char id[MODEL_ID_MAX];	/* "pcx-..." */
	time_t created;		/* CreateVpcPeeringConnection, or first seen */
	time_t changed;		/* last status change */
	/* The AWS status when the model cannot hold it (deleted, expired;
	 * the model then says rejected); else PEERING_ACTIVE and override
	 * false: the model's status is the truth. */
	bool override;
	enum peering_status status;
};

/* The daemon keeps one per running lab, next to the model, and saves it
 * with the lab (ec2_state_to_json). Zero-initialise ({ 0 }) before use. */
struct ec2_state {
	struct ec2_peering_rec *v;
	size_t n, cap;
	/* The diagnostics queue the current model was built with: the
	 * model's places name files stored here. Owned. */
	struct diags *d;
};

void ec2_state_free(struct ec2_state *st);

/* {"peerings": [{"id", "created", "changed", "status"?}]}; NULL on ENOMEM. */
json_t *ec2_state_to_json(const struct ec2_state *st);
/* Replaces st's records by those in j; 0, -EINVAL (bad shape), -ENOMEM. */
int ec2_state_from_json(struct ec2_state *st, const json_t *j);

/* The record of peering id, or NULL. */
const struct ec2_peering_rec *ec2_state_find(const struct ec2_state *st,
					     const char *id);

/* The AWS status of p: the table's override, else the model's. */
enum peering_status ec2_peering_status(const struct ec2_state *st,
				       const struct peering *p);
/* Status names with AWS spelling, including "deleted" and "expired". */
const char *ec2_status_code(enum peering_status s);
/* Status.Message as AWS words it ("Pending Acceptance by 111111111111"). */
const char *ec2_status_message(enum peering_status s, const char *account,
			       char *buf, size_t len);

/* Records every peering of lab not yet in st (created = now) and expires
 * pending-acceptance ones older than EC2_PEERING_EXPIRY. Changes only a
 * peering's status (pending-acceptance -> rejected in the model, expired in
 * st), which keeps the model checked and printable. Returns 1 when the lab
 * changed (the daemon then persists and applies it), 0 when not, -ENOMEM.
 * ec2_run does this first. */
int ec2_tick(struct lab *lab, struct ec2_state *st,
	     const struct ec2_clock *clock);

/* Runs one command; argv[0] is the command name ("create-route"). On
 * success returns 0 with *ret_output the AWS CLI's JSON (an empty object
 * for commands that print nothing); else -EINVAL (AWS error in err),
 * -ENOMEM, or -ENOTSUP (err->code "Vpcemu.Unsupported"). */
int ec2_run(struct lab *lab, struct ec2_state *st, int argc, char **argv,
	    const struct ec2_clock *clock, json_t **ret_output,
	    struct ec2_error *err);

/* Whether name is a command ec2_run knows. */
bool ec2_is_command(const char *name);

#endif
