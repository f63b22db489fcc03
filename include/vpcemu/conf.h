/* conf.h - lab file syntax: lexer and parser into a generic AST.
 *
 * The AST knows statements and blocks, not resource types: a statement is a
 * list of words (the first is its keyword), a block is TYPE NAME { statements }.
 * model.c gives the words their meaning. Every word keeps its place.
 *
 * Lexical rules (docs/lab-conf.md): '#' comments to end of line; words are
 * runs of anything but blanks, '{', '}', ';', '#', '"'; strings are "..." with
 * \" \\ \n escapes and may span lines; statements end at newline or ';'.
 * Input must be UTF-8 without NUL bytes.
 */
#ifndef VPCEMU_CONF_H
#define VPCEMU_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "vpcemu/diag.h"

struct conf_word {
	char *text;		/* NUL-terminated, escapes decoded */
	bool quoted;		/* came from a "string" */
	struct place at;	/* for a multi-line string: its first line */
};

struct conf_stmt {
	struct conf_word *w;	/* w[0] is the keyword */
	size_t n;		/* >= 1 */
	struct place at;	/* place of w[0] */
};

struct conf_block {
	struct conf_word type;	/* "vpc", "subnet", ... (any word) */
	struct conf_word name;
	struct conf_stmt *stmts;
	size_t n;
	struct place at;	/* place of the type word */
};

/* One parsed file. Top-level statements (lab, region, account, expect, and
 * anything else, for model.c to judge) and blocks keep file order. */
struct conf_file {
	const char *path;	/* owned by the struct diags used to parse */
	struct conf_stmt *top;
	size_t ntop;
	struct conf_block *blocks;
	size_t nblocks;
	char *text;		/* what conf_parse_file read (NULL from a
				 * buffer): the exact bytes parsed */
	size_t text_len;
};

/* Parses a buffer (need not be NUL-terminated) registered in d under path.
 * Syntax errors are queued in d with code Vpcemu.Syntax (or
 * Vpcemu.Encoding for NUL bytes and invalid UTF-8); parsing goes on after an
 * error so that one run reports them all. Returns the AST (possibly partial
 * when errors were queued) or NULL on allocation failure. Free with
 * conf_free. */
struct conf_file *conf_parse_buffer(const char *path, const char *buf,
				    size_t len, struct diags *d);

#define CONF_MAX_FILE (16u << 20)	/* larger lab files are refused */

/* Reads path and parses it, registered in d as as (NULL: path), the name
 * diagnostics give it; an unreadable file is queued as an error with code
 * Vpcemu.File and NULL is returned. */
struct conf_file *conf_parse_file(const char *path, const char *as,
				  struct diags *d);

void conf_free(struct conf_file *f);

#endif
