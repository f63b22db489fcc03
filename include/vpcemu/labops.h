/* labops.h - the lab commands as functions: bring a lab up, apply a new
 * content, take it down (loading a file: load.h).
 *
 * vpcemud calls these; nothing here prints or exits: results and errors
 * come back to the caller. The kernel work of all three is lab.c's one
 * executor (lab.h).
 */
#ifndef VPCEMU_LABOPS_H
#define VPCEMU_LABOPS_H

#include <stdbool.h>
#include <stddef.h>

#include "vpcemu/diag.h"
#include "vpcemu/diff.h"
#include "vpcemu/lab.h"
#include "vpcemu/state.h"

struct lab;
struct plan;

enum labops_up_result {
	LABOPS_CREATED,		/* the lab was not there */
	LABOPS_UNCHANGED,	/* already up with this content: nothing done */
	LABOPS_REPAIRED,	/* same content, but half-built or damaged */
};

/* What a running lab's kernel holds, as vpcemud remembers it between
 * commands: the plan last carried out (with its digest). up and apply fill
 * it; apply diffs against it instead of rebuilding the old plan from the
 * kept text, when its digest is the one the state file records. While the
 * state file is still the one saved with it (stamp), status "up", apply
 * does not even read it. Start with { 0 }. */
struct labops_applied {
	struct plan *plan;
	char *file;		/* the lab file, as the state file records it */
	struct state_stamp stamp;	/* zero: read the state file */
};

void labops_applied_free(struct labops_applied *a);

/* Brings a checked lab up (a lab whose apply from this content did not
 * finish is taken back to it, as labops_apply does). Returns 0, -EBUSY
 * when a lab of that name is up with other content (err says what to do),
 * or -errno with err naming the
 * object and operation that failed; the state file then still lists every
 * namespace so that labops_down removes what was built. On success,
 * applied (when given) becomes the lab's plan. */
int labops_up(const struct lab *lab, enum labops_up_result *ret,
	      struct labops_applied *applied, struct diags *err);

/* Takes lab_name down: every namespace in its state file and, when lab is
 * given (down FILE), every namespace its plan names, then its /etc/netns
 * entries and state file. A lab that is not there is fine (*ret_found
 * false). */
int labops_down(const char *lab_name, const struct lab *lab, bool *ret_found,
		struct diags *err);

/* What labops_apply did. */
struct labops_apply_result {
	bool changed;		/* false: the lab was already so; on failure:
				 * the kernel may have been changed */
	size_t nops;
	size_t count[DIFF_OP__COUNT];	/* operations per kind (diff_summary) */
	char **touched;		/* namespaces worked in, sorted */
	size_t ntouched;
};

/* Brings the running lab of lab's name to lab's content, touching only
 * what differs: the old plan (applied's, or rebuilt from the file text
 * kept when the lab was last brought up or applied) is diffed against
 * lab's plan (diff_compute), and the difference carried out
 * (lab_apply_diff); then the new text and digest are kept, and applied
 * (when given) becomes the new plan. Returns 0 (res->changed false when
 * nothing differs); -ENOENT when the lab is not up, -EBUSY when it is
 * half-built, -ENODATA when no text was kept, -ESTALE when the kept text
 * does not give what was applied, or -errno from the kernel: err says
 * which and what to do. A failure in the kernel (or a crash) leaves the
 * state file in status "applying" with every namespace of both plans, and
 * the new text kept as next, so that apply again converges, an apply of
 * another file (or up of the old one) first takes back what this one did,
 * and down removes everything. Free res with labops_apply_result_free,
 * whatever the return. text is the lab file text to keep for the next
 * apply: NULL keeps lab->text (apply FILE); a model changed by a command
 * passes print_lab's text. */
int labops_apply(const struct lab *lab, const char *text,
		 struct labops_applied *applied,
		 struct labops_apply_result *res, struct diags *err);
void labops_apply_result_free(struct labops_apply_result *res);

/* The running lab name as last applied, rebuilt from its kept text (what
 * an AWS-style command changes), with its plan in applied when given.
 * When applied still stands for the state file (nothing else changed the
 * lab since), its plan is taken as the text's: neither the state file
 * nor the plan is rebuilt, only the model.
 * Returns 0 with *ret_lab (caller lab_free's), or -errno with err set
 * (-ENOENT: not up). */
int labops_running_lab(const char *name, struct lab **ret_lab,
		       struct labops_applied *applied,
		       struct diags *err);

/* Gives each instance of lab its process group (procs.h) with the vCPU
 * and memory of its instance type as limits where this machine's cgroup v2
 * offers the controllers; only those whose namespace is in only (sorted,
 * n names: what an apply touched) unless only is NULL. Returns what the
 * user should know, one line each (a controller missing, a type not in
 * the table, no cgroup at all), malloc'd, or NULL when nothing. Never
 * fails: the lab works without. */
char *labops_limits(const struct lab *lab, char *const *only, size_t n);

#endif
