/* route.h - routes and policy rules inside a namespace (libnl-route-3).
 *
 * Both take the namespace handle first and a plan object (plan.h); the
 * plan's ns index is ignored here: the handle says where. Addresses are
 * host byte order, as everywhere in the model.
 */
#ifndef VPCEMU_ROUTE_H
#define VPCEMU_ROUTE_H

struct nsh;
struct plan_route;
struct plan_rule;

/* Installs r in table r->table: unicast via dev r->dev (with gateway
 * r->gateway, or scope link without), or blackhole. The plan is the truth:
 * a route with the same key (table, destination) is replaced, so applying
 * twice is harmless and a changed next hop converges. Returns 0 or -errno
 * (-ENODEV when r->dev does not exist). */
int route_add(struct nsh *ns, const struct plan_route *r);

/* Adds IPv4 policy rule r (pref, optional iif name and destination,
 * lookup table or blackhole). An identical rule already there is success
 * (EEXIST); rules have no replace, and without NLM_F_EXCL the kernel would
 * stack duplicates. Returns 0 or -errno. */
int rule_add(struct nsh *ns, const struct plan_rule *r);

/* Deletes the route with r's key (table, destination) and type, whatever
 * its next hop. A route that is not there (never added, or gone with its
 * device) is success. Returns 0 or -errno. */
int route_del(struct nsh *ns, const struct plan_route *r);

/* Deletes the policy rule that matches r exactly (pref, iif, destination,
 * action and table): of two rules with the same pref, iif and destination
 * during a change of table, only the old one goes. A rule that is not
 * there is success. Returns 0 or -errno. */
int rule_del(struct nsh *ns, const struct plan_rule *r);

#endif
