/* peering.h - a VPC peering's lifecycle as AWS tells it (res/peering.c).
 *
 * The model has no "deleted" or "expired" status that prints (§6.1,
 * ), so a deleted or expired peering stays in the model with status
 * rejected - the same data plane: veth down, routes to it blackhole, SG
 * references to the peer stale - and the side table struct ec2_state keeps
 * its AWS status and its timestamps. describe_lab_state() (describe.h)
 * shows the AWS status from that table; ec2.c's commands change it.
 */
#ifndef VPCEMU_PEERING_H
#define VPCEMU_PEERING_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "vpcemu/model.h"

struct diags;

/* The time every lifecycle rule reads; tests set it, the daemon passes
 * time(NULL). A NULL clock means time(NULL). */
struct ec2_clock {
	time_t now;
};

#define EC2_PEERING_EXPIRY (168 * 3600)	/* pending-acceptance: 7 days */

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

/* The record of peering id, created (at now, status from the model) when
 * there is none; NULL on ENOMEM. */
struct ec2_peering_rec *ec2_state_add(struct ec2_state *st, const char *id,
				      time_t now);

/* clock's time, or time(NULL) for a NULL clock. */
time_t ec2_clock_now(const struct ec2_clock *clock);

/* The peering between a and b that matters for traffic: an active one if
 * any, else the first in the file, else NULL. */
struct peering *peering_between(const struct lab *lab, const struct vpc *a,
				const struct vpc *b);

/* Whether s is an end state (rejected, failed, deleted, expired). */
bool peering_status_terminal(enum peering_status s);

#endif
