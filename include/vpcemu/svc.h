/* svc.h - the services of running labs, inside vpcemud.
 *
 * For each running lab the daemon keeps the model last applied and the
 * sockets its services listen on, each opened inside the namespace it
 * serves (a socket stays bound to the namespace it was created in):
 *   Amazon DNS  UDP and TCP port 53 at the primary block's base+2 and at
 *               169.254.169.253, in the router of every VPC with DNS
 *               support (dns.c answers, R-12.1, R-12.2);
 *   IMDS        TCP 169.254.169.254:80 in every router (imds.c, R-12.9);
 *   endpoints   TCP 443 at every interface endpoint ENI, in its namespace
 *               (R-10.1, R-10.3);
 *   NLB health  probes from every load balancer node to its targets, and
 *               the node rulesets that follow them (health.c).
 * User data runs once per instance, the first time its lab is set with it
 * (userdata.c); the log and exit status stay under the state directory.
 *
 * Sockets pin their namespace: close a lab's services (svc_lab_drop, or
 * svc_lab_prune for what an apply will remove) before lab.c deletes
 * namespaces.
 */
#ifndef VPCEMU_SVC_H
#define VPCEMU_SVC_H

#include <stddef.h>

struct evloop;
struct health;
struct lab;
struct svc;

/* Services on el; NULL when out of memory. */
struct svc *svc_new(struct evloop *el);
/* Stops every lab's services (no namespace stays pinned). NULL is fine. */
void svc_free(struct svc *s);

/* Makes lab (ownership passes, also on error) the model of its lab's
 * services: listeners the lab still wants stay open, so an unrelated
 * change cuts no query or connection; others close; new ones open (a
 * listener that cannot open is logged through log_fn and retried at the
 * next set). Then starts user data of instances that never ran it.
 * Returns 0 or -ENOMEM. */
int svc_lab_set(struct svc *s, struct lab *lab);

/* Closes the listeners of lab's name that next (the model an apply is
 * about to build) no longer wants, with their connections: before the
 * apply deletes their namespaces. */
void svc_lab_prune(struct svc *s, const struct lab *next);

/* Stops every service of lab name (also its running user data). */
void svc_lab_drop(struct svc *s, const char *name);

/* The model of lab name as last set, or NULL. Owned by s. */
const struct lab *svc_lab_model(const struct svc *s, const char *name);

/* The health checks of the labs (health.h). Owned by s. */
const struct health *svc_health(const struct svc *s);

/* Where messages about services go (the daemon's log); prio is syslog's. */
typedef void (*svc_log_fn)(int prio, const char *lab, const char *msg);
void svc_set_log(struct svc *s, svc_log_fn fn);

#endif
