/* load.h - a lab file (or a kept text) to a checked model.
 *
 * Nothing here touches the kernel or the state files, and nothing prints:
 * diagnostics go to the caller's struct diags.
 */
#ifndef VPCEMU_LOAD_H
#define VPCEMU_LOAD_H

#include <stddef.h>

#include "vpcemu/diag.h"

struct lab;

/* Parses, models and checks file, which diagnostics call as (NULL: file;
 * the CLI sends the path as the user wrote it); name overrides the lab
 * name; the model keeps the text it came from (lab->text). *ret_lab is
 * set whenever a model was built (caller lab_free's it). Returns 0 when d
 * holds no error, -EINVAL when it does, -ENOMEM. */
int load_lab_file(const char *file, const char *as, const char *name,
		  struct diags *d, struct lab **ret_lab);

/* The same for a text registered in d as path, which must be whole: a
 * model is built only when it parses. Returns 0 with *ret_lab (caller
 * lab_free's), -EINVAL when d holds errors (*ret_lab NULL), -ENOMEM. */
int load_lab_text(const char *path, const char *text, size_t len,
		  const char *name, struct diags *d, struct lab **ret_lab);

#endif
