/* lab.h - the kernel executor: carries out an operation list (diff.h),
 * and the commands expressed as one: bring a plan up, take namespaces down.
 *
 * lab_apply_diff is the only place that orders kernel work. up is the diff
 * from nothing to the plan, apply the diff from the plan last applied,
 * down a list of namespace removals (diff_removal): the same function
 * carries out all three. The list's order (diff.h): namespaces,
 * namespace-wide sysctls (before links, so new devices inherit the
 * defaults), veth pairs, device sysctls, links up, addresses, routes,
 * rules, nftables rulesets, /etc/netns files (kept on a tmpfs mounted once
 * per host at /run/vpcemu/etc unless /run is one; /etc/netns/NAME is a
 * symlink to /run/vpcemu/etc/NAME). Existing objects are fine (-EEXIST is
 * success), so applying the same plan twice is harmless.
 */
#ifndef VPCEMU_LAB_H
#define VPCEMU_LAB_H

#include "vpcemu/diag.h"

#include <stddef.h>

struct diff;
struct plan;

/* How a long run goes: stage ("namespaces", "links", "addresses",
 * "routes", "rules", "rulesets", "files", "sysctls", "processes",
 * "namespaces removed"), done of the stage's total operations. Called on
 * the thread that called lab_apply*, often (the callee thins it out). */
typedef void (*lab_progress_fn)(const char *stage, size_t done, size_t total,
				void *data);

/* Runs that touch fewer namespaces report nothing: they are quick. */
#define LAB_PROGRESS_MIN 200

/* Who hears the progress of the runs that follow (NULL: nobody). vpcemud
 * carries out one command at a time: it sets this around the command
 * whose client asked. */
void lab_progress_set(lab_progress_fn fn, void *data);

/* Brings p up: lab_apply_diff of diff_compute(NULL, p). Returns 0, or
 * -errno with the error (Vpcemu.Kernel) queued in err, naming the
 * object and operation. */
int lab_apply(const struct plan *p, struct diags *err);

/* Carries out the operations of d (diff_compute(old, p)) in their order,
 * opening only the namespaces they touch (p may be NULL for a list of
 * namespace removals only). Each operation tolerates what is
 * already done (an object there, or gone), so applying the same diff twice,
 * or after an interrupted run, is harmless. Returns 0, or -errno with err
 * naming the object and operation that failed; the operations before it
 * stay done. */
int lab_apply_diff(const struct plan *p, const struct diff *d,
		   struct diags *err);

/* Removes the named namespaces (/run/netns entries), waits (with a
 * deadline) until the kernel has destroyed their devices, and removes
 * /etc/netns/NAME (a symlink to /run/vpcemu/etc/NAME on a tmpfs) and its
 * target: lab_apply_diff of diff_removal(netns, n), the fast path of
 * down (namespaces go whole, with everything in them). Missing ones are
 * fine. Returns 0 or -errno (err filled) when something could not be
 * removed. */
int lab_teardown(char *const *netns, size_t n, struct diags *err);

#endif
