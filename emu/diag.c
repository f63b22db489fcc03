/* diag.c - the diagnostic queue of one run and its printer.
 *
 * Every stage (conf, model, check) queues what is wrong here instead of
 * stopping, so one run reports every mistake. The queue owns the codes, the
 * messages and a copy of each registered source file; places point into
 * that copy's file name. diag_print() sorts by place and shows the source
 * line under each diagnostic with a caret marker, like gcc and nftables'
 * erec_print(). Nothing here exits; only diag_print() writes, to the stream
 * it is given.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/diag.h"
#include "vpcemu/util.h"

/* Stand-ins used when a diagnostic cannot get its own copies: they are
 * static, so diags_free must recognise them and not free them. */
static char nomem_code[] = "Vpcemu.NoMemory";
static char nomem_msg[] = "out of memory";

#define ANSI_BOLD "\033[1m"
#define ANSI_RED "\033[1;31m"
#define ANSI_MAGENTA "\033[1;35m"
#define ANSI_CYAN "\033[1;36m"
#define ANSI_GREEN "\033[1;32m"
#define ANSI_RESET "\033[0m"

const char *diag_add_source(struct diags *d, const char *file,
			    const char *text, size_t len)
{
	struct diag_source *s;
	char *f, *t;

	if (!file)
		file = "";
	f = strdup(file);
	t = malloc(len + 1);
	if (!f || !t)
		goto fail;
	if (len)
		memcpy(t, text, len);
	t[len] = '\0';
	s = VEC_PUSH(d->src, d->nsrc, d->srccap);
	if (!s)
		goto fail;
	s->file = f;
	s->text = t;
	s->len = len;
	return f;
fail:
	free(f);
	free(t);
	return NULL;
}

void diag_vadd(struct diags *d, enum diag_severity sev, struct place at,
	       const char *code, const char *fmt, va_list ap)
{
	struct diag *g;
	char *c, *m;
	struct strbuf b = { 0 };

	g = VEC_PUSH(d->v, d->n, d->cap);
	if (!g) {
		/* Nowhere to store it: the count at least keeps the run from
		 * looking successful. */
		d->nerrors++;
		return;
	}
	c = strdup(code ? code : "Vpcemu.Internal");
	sb_vprintf(&b, fmt, ap);
	m = sb_take(&b);
	if (!c || !m) {
		free(c);
		free(m);
		g->severity = DIAG_ERROR;
		g->code = nomem_code;
		g->message = nomem_msg;
		g->at = at;
		d->nerrors++;
		return;
	}
	g->severity = sev;
	g->code = c;
	g->message = m;
	g->at = at;
	if (sev == DIAG_ERROR)
		d->nerrors++;
	else if (sev == DIAG_WARNING)
		d->nwarnings++;
}

void diag_add(struct diags *d, enum diag_severity sev, struct place at,
	      const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, sev, at, code, fmt, ap);
	va_end(ap);
}

const struct diag *diag_find(const struct diags *d, const char *code)
{
	size_t i;

	if (!d || !code)
		return NULL;
	for (i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].code, code))
			return &d->v[i];
	return NULL;
}

const struct diag *diag_first_error(const struct diags *d)
{
	size_t i;

	for (i = 0; d && i < d->n; i++)
		if (d->v[i].severity == DIAG_ERROR)
			return &d->v[i];
	return NULL;
}

const char *diag_first_message(const struct diags *d)
{
	const struct diag *g = diag_first_error(d);

	return g ? g->message : "";
}

void diag_copy_first(struct diags *to, const struct diags *from)
{
	const struct diag *g = diag_first_error(from);

	if (g)
		diag_add(to, DIAG_ERROR, g->at, g->code, "%s", g->message);
}

/* Index of the source a place refers to, or nsrc. Places normally carry the
 * pointer diag_add_source returned; a caller's own copy of the name works
 * too. */
static size_t diag_source_index(const struct diags *d, const char *file)
{
	size_t i;

	if (!file)
		return d->nsrc;
	for (i = 0; i < d->nsrc; i++)
		if (d->src[i].file == file)
			return i;
	for (i = 0; i < d->nsrc; i++)
		if (!strcmp(d->src[i].file, file))
			return i;
	return d->nsrc;
}

struct diag_order {
	const struct diag *g;
	size_t rank;		/* 0: no file; 1 + source index; nsrc + 1 */
	size_t seq;		/* queue order, makes qsort stable */
};

static int diag_order_cmp(const void *pa, const void *pb)
{
	const struct diag_order *a = pa, *b = pb;
	int r;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	if (a->g->at.file && b->g->at.file && a->rank != 0) {
		/* Unregistered files share one rank: group them by name. */
		r = strcmp(a->g->at.file, b->g->at.file);
		if (r)
			return r;
	}
	if (a->g->at.line != b->g->at.line)
		return a->g->at.line < b->g->at.line ? -1 : 1;
	if (a->g->at.first_col != b->g->at.first_col)
		return a->g->at.first_col < b->g->at.first_col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Remembers where the last printed line started, so that printing many
 * diagnostics of a big file (sorted by line) stays linear. */
struct line_cursor {
	const struct diag_source *src;
	unsigned line;
	size_t off;
};

/* Finds line `line` of src; returns false when the file is shorter. */
static bool diag_find_line(struct line_cursor *cur, const struct diag_source *src,
			   unsigned line, const char **ret_s, size_t *ret_len)
{
	const char *p, *nl;
	size_t off;
	unsigned l;

	if (cur->src == src && cur->line && cur->line <= line) {
		l = cur->line;
		off = cur->off;
	} else {
		l = 1;
		off = 0;
	}
	while (l < line) {
		nl = memchr(src->text + off, '\n', src->len - off);
		if (!nl)
			return false;
		off = (size_t)(nl - src->text) + 1;
		l++;
	}
	cur->src = src;
	cur->line = l;
	cur->off = off;
	if (off >= src->len && line > 1 && src->len &&
	    src->text[src->len - 1] == '\n')
		return false;	/* the empty "line" after the final newline */
	p = src->text + off;
	nl = memchr(p, '\n', src->len - off);
	*ret_s = p;
	*ret_len = nl ? (size_t)(nl - p) : src->len - off;
	if (*ret_len && p[*ret_len - 1] == '\r')
		(*ret_len)--;
	return true;
}

static bool is_utf8_continuation(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

static void diag_print_source(FILE *out, const char *s, size_t len,
			      const struct place *at, int color)
{
	unsigned col, last;
	size_t i;

	fputs("    ", out);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		/* Control bytes (NUL, ESC, ...) could garble or drive the
		 * terminal; the file is untrusted input. */
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			c = '?';
		fputc(c, out);
	}
	fputc('\n', out);
	if (!at->first_col)
		return;

	/* Tabs are copied so the caret lines up whatever the tab width;
	 * UTF-8 continuation bytes take no column on screen. */
	fputs("    ", out);
	for (i = 0; i + 1 < at->first_col; i++) {
		if (i < len && s[i] == '\t')
			fputc('\t', out);
		else if (!(i < len && is_utf8_continuation((unsigned char)s[i])))
			fputc(' ', out);
	}
	if (color)
		fputs(ANSI_GREEN, out);
	fputc('^', out);
	last = at->last_col;
	/* A span may run past the line (a string continued on the next
	 * lines): stop at the line's end plus one, for an "expected ... at
	 * end of line" place. */
	if (last > len + 1)
		last = len + 1 >= at->first_col ? (unsigned)(len + 1) : at->first_col;
	for (col = at->first_col + 1; col > at->first_col && col <= last; col++) {
		if (col - 1 < len && is_utf8_continuation((unsigned char)s[col - 1]))
			continue;
		fputc('~', out);
	}
	if (color)
		fputs(ANSI_RESET, out);
	fputc('\n', out);
}

static void diag_print_one(const struct diags *d, const struct diag *g,
			   FILE *out, int color, struct line_cursor *cur)
{
	static const char *const words[] = {
		[DIAG_ERROR] = "error",
		[DIAG_WARNING] = "warning",
		[DIAG_NOTE] = "note",
	};
	static const char *const colors[] = {
		[DIAG_ERROR] = ANSI_RED,
		[DIAG_WARNING] = ANSI_MAGENTA,
		[DIAG_NOTE] = ANSI_CYAN,
	};
	unsigned sev = g->severity <= DIAG_NOTE ? g->severity : DIAG_ERROR;
	const struct place *at = &g->at;
	size_t si;
	const char *s;
	size_t len;

	if (color)
		fputs(ANSI_BOLD, out);
	if (!at->file)
		fputs("vpcemu:", out);
	else if (!at->line)
		fprintf(out, "%s:", at->file);
	else if (!at->first_col)
		fprintf(out, "%s:%u:", at->file, at->line);
	else
		fprintf(out, "%s:%u:%u:", at->file, at->line, at->first_col);
	if (color)
		fprintf(out, ANSI_RESET " %s%s:" ANSI_RESET, colors[sev],
			words[sev]);
	else
		fprintf(out, " %s:", words[sev]);
	fprintf(out, " %s: %s\n", g->code, g->message);

	if (!at->file || !at->line)
		return;
	si = diag_source_index(d, at->file);
	if (si == d->nsrc)
		return;
	if (diag_find_line(cur, &d->src[si], at->line, &s, &len))
		diag_print_source(out, s, len, at, color);
}

void diag_print(const struct diags *d, FILE *out, int color)
{
	struct line_cursor cur = { 0 };
	struct diag_order *ord;
	size_t i;

	if (!d || !d->n)
		return;
	ord = calloc(d->n, sizeof(*ord));
	if (!ord) {
		/* Unsorted beats nothing. */
		for (i = 0; i < d->n; i++)
			diag_print_one(d, &d->v[i], out, color, &cur);
		return;
	}
	for (i = 0; i < d->n; i++) {
		ord[i].g = &d->v[i];
		ord[i].seq = i;
		ord[i].rank = d->v[i].at.file ?
			diag_source_index(d, d->v[i].at.file) + 1 : 0;
	}
	qsort(ord, d->n, sizeof(*ord), diag_order_cmp);
	for (i = 0; i < d->n; i++)
		diag_print_one(d, ord[i].g, out, color, &cur);
	free(ord);
}

void diags_free(struct diags *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++) {
		if (d->v[i].code != nomem_code)
			free(d->v[i].code);
		if (d->v[i].message != nomem_msg)
			free(d->v[i].message);
	}
	free(d->v);
	for (i = 0; i < d->nsrc; i++) {
		free(d->src[i].file);
		free(d->src[i].text);
	}
	free(d->src);
	*d = (struct diags){ 0 };
}
