/* health.h - the health checks of Network Load Balancers, inside vpcemud.
 *
 * Every node of a load balancer (its ENI namespace, one per subnet)
 * probes every target of every target group a listener of that load
 * balancer forwards to, at the group's interval, with real connections
 * opened inside the node's namespace: a TCP connect, or an HTTP GET of
 * the group's path that must answer 200-399 (NLB's matcher), to the
 * target's private IP at its traffic port. Each node keeps AWS's state
 * per target (health_count_feed) and sends new flows to the targets it
 * finds healthy: when that set changes, the node's ruleset is rendered
 * again (nftlb_node) and applied in its namespace; conntrack keeps
 * established flows on their target, so a target that leaves drains.
 *
 * A target removed from its group (deregister-targets, or an apply that
 * drops it) is reported `draining` for the deregistration delay, AWS's
 * default 300 s; it takes no new flow from the moment it is removed.
 *
 * Runs on the daemon's event loop (svc.c drives it with each model it
 * gets): probes never block. Sockets and handles pin their namespace:
 * health_lab_prune / health_lab_drop close them before namespaces go.
 */
#ifndef VPCEMU_HEALTH_H
#define VPCEMU_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vpcemu/model.h"

struct evloop;
struct health;

/* ELBv2's TargetHealthStateEnum values vpcemu reports. */
enum health_state {
	HEALTH_INITIAL,
	HEALTH_HEALTHY,
	HEALTH_UNHEALTHY,
	HEALTH_UNUSED,
	HEALTH_DRAINING,
};

/* AWS's deregistration delay default
 * (deregistration_delay.timeout_seconds). */
#define HEALTH_DEREGISTRATION_DELAY_S 300

/* "initial", "healthy", ... */
const char *health_state_name(enum health_state s);
/* AWS's reason code of a state (TargetHealthReasonEnum) and its
 * description; NULL for healthy, which has neither. */
const char *health_reason(enum health_state s);
const char *health_description(enum health_state s);

/* One node's view of one target: the state and the run of consecutive
 * results that leads to the next one. */
struct health_count {
	enum health_state state;	/* HEALTH_INITIAL, _HEALTHY, _UNHEALTHY */
	unsigned ok, fail;		/* consecutive successes, failures */
};

/* Feeds one probe result to c (pure). initial and unhealthy become
 * healthy after healthy_threshold consecutive successes; initial and
 * healthy become unhealthy after unhealthy_threshold consecutive
 * failures. Returns whether the state changed. */
bool health_count_feed(struct health_count *c, bool ok,
		       unsigned healthy_threshold,
		       unsigned unhealthy_threshold);

/* The state of one target as describe-target-health reports it. */
struct health_target {
	char instance_id[MODEL_ID_MAX];
	uint16_t port;			/* the traffic port */
	enum health_state state;
};

/* Whether a listener of the lab forwards to tg (else its targets are
 * unused: Target.NotInUse). */
bool health_tg_in_use(const struct lab *lab, const struct target_group *tg);

/* Health checks on el; NULL with errno set. */
struct health *health_new(struct evloop *el);
/* Stops every probe and forgets every lab. NULL is fine. */
void health_free(struct health *h);

/* Makes lab (borrowed: the caller keeps it alive until the next set or
 * drop of its name) the model the checks of its lab follow: nodes and
 * targets the model still has keep their state, new ones start initial,
 * targets gone from their group start draining, and every node's ruleset
 * is applied again with the targets it finds healthy (the apply that
 * produced lab wrote it with all of them). */
void health_lab_set(struct health *h, const struct lab *lab);
/* Closes the probes and handles of nodes that next (the model an apply
 * is about to build) no longer has: before their namespaces go. */
void health_lab_prune(struct health *h, const struct lab *next);
/* Stops the checks of lab name. */
void health_lab_drop(struct health *h, const char *name);

/* The targets of tg, a group of lab (any model of a lab the checks
 * follow), with their states: its registered ones in order, then those
 * draining, into *ret (caller frees; NULL when there is none). Each node's
 * state counts: unhealthy as soon as one node finds it so, healthy when
 * every node does, initial otherwise; unused for a group no listener
 * forwards to. Returns how many, or -ENOMEM. */
int health_lab_targets(const struct health *h, const struct lab *lab,
		       const struct target_group *tg,
		       struct health_target **ret);

/* Where messages go (the daemon's log); prio is syslog's. */
typedef void (*health_log_fn)(int prio, const char *lab, const char *msg);
void health_set_log(struct health *h, health_log_fn fn);

#endif
