/* diag.h - places in lab files and the diagnostics attached to them.
 *
 * Every token keeps the place it came from; every check that fails queues a
 * diagnostic instead of stopping, so one run reports every mistake. The
 * printer sorts them by place and shows the source line with a caret marker:
 *
 *   lab.conf:3:22: error: InvalidVpc.Range: The CIDR '10.0.0.0/8' is invalid.
 *       vpc big { cidr 10.0.0.0/8 }
 *                      ^~~~~~~~~~
 */
#ifndef VPCEMU_DIAG_H
#define VPCEMU_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* A span inside one line of a source file. Lines and columns count from 1;
 * columns count bytes; last_col is inclusive. file points to a string owned
 * by the struct diags the source was registered with (or is static). A place
 * with line 0 means "no place" (whole file or command line). */
struct place {
	const char *file;
	unsigned line;
	unsigned first_col;
	unsigned last_col;
};

enum diag_severity {
	DIAG_ERROR,
	DIAG_WARNING,
	DIAG_NOTE,
};

struct diag {
	enum diag_severity severity;
	char *code;		/* "InvalidVpc.Range", "Vpcemu.Syntax", ... */
	char *message;
	struct place at;
};

struct diag_source {
	char *file;
	char *text;
	size_t len;
};

/* The queue of diagnostics of one run plus the sources needed to print them.
 * Zero-initialise ({ 0 }) before use; diags_free releases everything. */
struct diags {
	struct diag *v;
	size_t n, cap;
	size_t nerrors, nwarnings;
	struct diag_source *src;
	size_t nsrc, srccap;
};

/* Registers a source so its lines can be printed under diagnostics. Copies
 * both strings; returns the stored copy of file, to be used in places, or
 * NULL on allocation failure. */
const char *diag_add_source(struct diags *d, const char *file,
			    const char *text, size_t len);

/* Queues a diagnostic; code is a fixed AWS or Vpcemu.* code. Allocation
 * failure is remembered as an error with code Vpcemu.NoMemory. */
void diag_add(struct diags *d, enum diag_severity sev, struct place at,
	      const char *code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void diag_vadd(struct diags *d, enum diag_severity sev, struct place at,
	       const char *code, const char *fmt, va_list ap);

#define diag_error(d, at, code, ...) diag_add(d, DIAG_ERROR, at, code, __VA_ARGS__)
#define diag_warning(d, at, code, ...) diag_add(d, DIAG_WARNING, at, code, __VA_ARGS__)
#define diag_note(d, at, code, ...) diag_add(d, DIAG_NOTE, at, code, __VA_ARGS__)

/* Prints every diagnostic sorted by file, line and column (stable), each as
 * "FILE:LINE:COL: error: CODE: message", then the source line and a caret
 * marker when the source is known. color adds ANSI colours. */
void diag_print(const struct diags *d, FILE *out, int color);

/* Finds a diagnostic by code (first in queue order) or NULL; for tests. */
const struct diag *diag_find(const struct diags *d, const char *code);
/* The first error queued, or NULL. */
const struct diag *diag_first_error(const struct diags *d);
/* Its message, or "" when there is none. */
const char *diag_first_message(const struct diags *d);
/* Queues the first error of from (when there is one) in to. */
void diag_copy_first(struct diags *to, const struct diags *from);

void diags_free(struct diags *d);

#endif
