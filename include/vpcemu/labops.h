/* labops.h - the lab commands as functions: load and check a lab file,
 * bring a lab up, take it down, find an instance of a running lab.
 *
 * The CLI calls these today and vpcemud will tomorrow, so nothing here
 * prints or exits: results and errors come back to the caller.
 */
#ifndef VPCEMU_LABOPS_H
#define VPCEMU_LABOPS_H

#include <stdbool.h>
#include <stddef.h>

#include "vpcemu/diag.h"
#include "vpcemu/lab.h"
#include "vpcemu/state.h"

struct lab;

/* Parses, models and checks file; name overrides the lab name. *ret_lab is
 * set whenever a model was built (caller lab_free's it). Returns 0 when d
 * holds no error, -EINVAL when it does, -ENOMEM. */
int labops_load(const char *file, const char *name, struct diags *d,
		struct lab **ret_lab);

enum labops_up_result {
	LABOPS_CREATED,		/* the lab was not there */
	LABOPS_UNCHANGED,	/* already up with this content: nothing done */
	LABOPS_REPAIRED,	/* same content, but half-built or damaged */
};

/* Brings a checked lab up. Returns 0, -EBUSY when a lab of that name is up
 * with other content (err says what to do), or -errno with err naming the
 * object and operation that failed; the state file then still lists every
 * namespace so that labops_down removes what was built. */
int labops_up(const struct lab *lab, enum labops_up_result *ret,
	      struct lab_error *err);

/* Takes lab_name down: every namespace in its state file and, when lab is
 * given (down FILE), every namespace its plan names, then its /etc/netns
 * entries and state file. A lab that is not there is fine (*ret_found
 * false). */
int labops_down(const char *lab_name, const struct lab *lab, bool *ret_found,
		struct lab_error *err);

/* Finds instance (name or ID) among running labs (only in lab_name when
 * given). Returns 0 with *ret_state (caller state_free's) and *ret_index,
 * -ENOENT when no lab has it, -EEXIST when several labs do (pass a lab). */
int labops_find_instance(const char *lab_name, const char *instance,
			 struct lab_state **ret_state, size_t *ret_index);

#endif
