/* conf.c - lab file lexer and parser (docs/lab-conf.md, "Lexical rules").
 *
 * First stage of lab.conf -> conf -> model -> check: bytes in, a generic AST
 * out (top-level statements and TYPE NAME { ... } blocks, each word with its
 * place). It knows no resource types; model.c gives words their meaning.
 *
 * The lexer hands out one token at a time; the parser is a small state
 * machine over statements. Every mistake is queued in the caller's struct
 * diags and parsing goes on (the way OpenBSD bgpd's yyerror counts and goes
 * on), so one run reports every syntax error. The returned conf_file owns
 * every word, statement and block; its path is owned by the struct diags.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "vpcemu/conf.h"
#include "vpcemu/diag.h"
#include "vpcemu/util.h"


#define E_SYNTAX "Vpcemu.Syntax"
#define E_ENCODING "Vpcemu.Encoding"

enum tok_kind {
	TOK_EOF,
	TOK_NEWLINE,
	TOK_SEMI,
	TOK_LBRACE,
	TOK_RBRACE,
	TOK_WORD,		/* word or string, see w.quoted */
};

struct token {
	enum tok_kind kind;
	struct conf_word w;	/* text set only for TOK_WORD, owned here */
};

struct lexer {
	const char *buf;
	size_t len;
	size_t pos;
	unsigned line;
	size_t bol;		/* offset of the current line's first byte */
	const char *file;
	struct diags *d;
	/* A search for a closing quote from here failed: the rest of the
	 * file holds only escaped quotes, so any later search fails too.
	 * Remembering it keeps a file of many \" linear. */
	size_t unclosed_from;
};

static unsigned lex_col(const struct lexer *lx, size_t pos)
{
	size_t c = pos - lx->bol + 1;

	return c > UINT_MAX ? UINT_MAX : (unsigned)c;
}

static struct place lex_place(const struct lexer *lx, size_t first, size_t last)
{
	return (struct place){
		.file = lx->file,
		.line = lx->line,
		.first_col = lex_col(lx, first),
		.last_col = lex_col(lx, last),
	};
}

/* Length of the longest prefix of p that can start a valid UTF-8 sequence
 * (the "maximal subpart" of Unicode 3.9, at least 1), and whether the whole
 * sequence is valid. Overlongs, surrogates and > U+10FFFF are invalid. */
static bool utf8_check(const unsigned char *p, size_t avail, size_t *ret_n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (p[0] < 0x80) {
		*ret_n = 1;
		return p[0] != 0;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		need = 2;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else {
		*ret_n = 1;
		return false;
	}
	for (i = 1; i < need; i++) {
		if (i >= avail || p[i] < lo || p[i] > hi) {
			*ret_n = i;
			return false;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	*ret_n = need;
	return true;
}

/* Looks at the character at lx->pos: returns true with its length when it
 * is valid UTF-8 (not NUL); otherwise queues Vpcemu.Encoding and returns
 * false with the number of bytes the caller must skip. */
static bool lex_char(struct lexer *lx, size_t *ret_n)
{
	const unsigned char *p = (const unsigned char *)lx->buf + lx->pos;
	size_t n;

	if (utf8_check(p, lx->len - lx->pos, &n)) {
		*ret_n = n;
		return true;
	}
	if (p[0] == 0)
		diag_error(lx->d, lex_place(lx, lx->pos, lx->pos), E_ENCODING,
			   "NUL byte in lab file");
	else
		diag_error(lx->d, lex_place(lx, lx->pos, lx->pos + n - 1),
			   E_ENCODING, "invalid UTF-8 byte 0x%02x", p[0]);
	*ret_n = n;
	return false;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool is_word_byte(char c)
{
	/* Not strchr(): it would find the terminating NUL, and a NUL byte
	 * must reach lex_word to be reported. */
	switch (c) {
	case ' ': case '\t': case '\r': case '\n':
	case '{': case '}': case ';': case '#': case '"':
		return false;
	default:
		return true;
	}
}

/* A word: a run of word bytes. Bad bytes are reported and left out, so a
 * word of nothing but bad bytes yields no token. */
static int lex_word(struct lexer *lx, struct token *t, bool *ret_got)
{
	size_t start = lx->pos, n, k = 0;
	char *s;

	while (lx->pos < lx->len && is_word_byte(lx->buf[lx->pos]))
		lx->pos++;
	s = malloc(lx->pos - start + 1);
	if (!s)
		return -ENOMEM;
	lx->pos = start;
	while (lx->pos < lx->len && is_word_byte(lx->buf[lx->pos])) {
		if (lex_char(lx, &n)) {
			memcpy(s + k, lx->buf + lx->pos, n);
			k += n;
		}
		lx->pos += n;
	}
	s[k] = '\0';
	if (!k) {
		free(s);
		*ret_got = false;
		return 0;
	}
	t->kind = TOK_WORD;
	t->w.text = s;
	t->w.quoted = false;
	t->w.at = lex_place(lx, start, lx->pos - 1);
	*ret_got = true;
	return 0;
}

/* A "string". To recover well from a missing closing quote, look for it
 * first without decoding: when there is none, report the opening quote and
 * take only the rest of its line as the string, so the lines after it are
 * still parsed (and their errors reported). */
static int lex_string(struct lexer *lx, struct token *t)
{
	size_t open = lx->pos, close, end, i, n, k = 0, last;
	struct place at;
	bool closed = false;
	char *s;

	for (i = open + 1; i < lx->len && i < lx->unclosed_from; i++) {
		if (lx->buf[i] == '\\')
			i++;
		else if (lx->buf[i] == '"') {
			closed = true;
			break;
		}
	}
	close = i;
	if (!closed)
		lx->unclosed_from = open + 1;
	at = lex_place(lx, open, open);
	if (closed) {
		end = close;
	} else {
		const char *nl = memchr(lx->buf + open, '\n', lx->len - open);

		end = nl ? (size_t)(nl - lx->buf) : lx->len;
	}

	/* The place covers the string on its first line. */
	last = end;
	{
		const char *nl = memchr(lx->buf + open, '\n', end - open);

		if (nl || !closed) {
			last = nl ? (size_t)(nl - lx->buf) : end;
			if (last > open + 1 && lx->buf[last - 1] == '\r')
				last--;
			last = last > open + 1 ? last - 1 : open;
		}
	}
	at.last_col = lex_col(lx, last);
	if (!closed)
		diag_error(lx->d, at, E_SYNTAX,
			   "unterminated string: missing closing '\"'");

	s = malloc(end - open);
	if (!s)
		return -ENOMEM;
	lx->pos = open + 1;
	while (lx->pos < end) {
		char c = lx->buf[lx->pos];

		if (c == '\\') {
			char e = lx->pos + 1 < end ? lx->buf[lx->pos + 1] : '\0';

			if (e == '"' || e == '\\' || e == 'n') {
				s[k++] = e == 'n' ? '\n' : e;
				lx->pos += 2;
				continue;
			}
			if (!closed && lx->pos + 1 >= end) {
				/* "abc\ at the end of an unterminated
				 * string: one error is enough. */
				lx->pos++;
				continue;
			}
			diag_error(lx->d, lex_place(lx, lx->pos,
				   e > ' ' && e < 0x7f ? lx->pos + 1 : lx->pos),
				   E_SYNTAX,
				   "unknown escape in string: only \\\", \\\\ and \\n are allowed");
			/* Drop the backslash; what follows is read as is. */
			lx->pos++;
			continue;
		}
		if (c == '\r' && lx->pos + 1 < end && lx->buf[lx->pos + 1] == '\n') {
			/* CRLF files: a script in user-data wants plain LF. */
			lx->pos++;
			continue;
		}
		if (c == '\n') {
			s[k++] = '\n';
			lx->pos++;
			lx->line++;
			lx->bol = lx->pos;
			continue;
		}
		if (lex_char(lx, &n)) {
			memcpy(s + k, lx->buf + lx->pos, n);
			k += n;
		}
		lx->pos += n;
	}
	s[k] = '\0';
	if (closed)
		lx->pos = close + 1;
	t->kind = TOK_WORD;
	t->w.text = s;
	t->w.quoted = true;
	t->w.at = at;
	return 0;
}

static int lex_next(struct lexer *lx, struct token *t)
{
	size_t n;
	bool got;
	int r;

	*t = (struct token){ 0 };
	for (;;) {
		char c;

		if (lx->pos >= lx->len) {
			t->kind = TOK_EOF;
			t->w.at = lex_place(lx, lx->pos, lx->pos);
			return 0;
		}
		c = lx->buf[lx->pos];
		if (is_blank(c)) {
			lx->pos++;
			continue;
		}
		if (c == '#') {
			/* Comments must be valid UTF-8 too. */
			while (lx->pos < lx->len && lx->buf[lx->pos] != '\n') {
				lex_char(lx, &n);
				lx->pos += n;
			}
			continue;
		}
		t->w.at = lex_place(lx, lx->pos, lx->pos);
		switch (c) {
		case '\n':
			t->kind = TOK_NEWLINE;
			lx->pos++;
			lx->line++;
			lx->bol = lx->pos;
			return 0;
		case ';':
			t->kind = TOK_SEMI;
			lx->pos++;
			return 0;
		case '{':
			t->kind = TOK_LBRACE;
			lx->pos++;
			return 0;
		case '}':
			t->kind = TOK_RBRACE;
			lx->pos++;
			return 0;
		case '"':
			return lex_string(lx, t);
		default:
			r = lex_word(lx, t, &got);
			if (r < 0 || got)
				return r;
			continue;
		}
	}
}

struct parser {
	struct lexer lx;
	struct diags *d;
	struct conf_file *f;
	/* The statement being read. */
	struct conf_word *w;
	size_t n, cap;
	/* Inside braces; blk is the block's index in f->blocks, or SIZE_MAX
	 * when its header was wrong and its content is thrown away. */
	bool in_block;
	size_t blk;
	struct place open;	/* the block's '{' */
	/* Blocks closed early because a '{' appeared inside them: their own
	 * '}' will come later and must not count as stray. */
	unsigned owed;
	/* Capacities of f->top, f->blocks and the open block's stmts (the
	 * AST has counts only; only the open block ever grows). */
	size_t topcap, blkcap, stmtcap;
	/* 1 + index of the top-level statement ended by the newline(s) right
	 * before this point, for the "'{' on the next line" hint; else 0. */
	size_t prev_top;
};

static void conf_words_free(struct conf_word *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(w[i].text);
	free(w);
}

static void conf_stmts_free(struct conf_stmt *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		conf_words_free(s[i].w, s[i].n);
	free(s);
}

void conf_free(struct conf_file *f)
{
	size_t i;

	if (!f)
		return;
	conf_stmts_free(f->top, f->ntop);
	for (i = 0; i < f->nblocks; i++) {
		free(f->blocks[i].type.text);
		free(f->blocks[i].name.text);
		conf_stmts_free(f->blocks[i].stmts, f->blocks[i].n);
	}
	free(f->blocks);
	free(f->text);
	free(f);
}

static void parser_drop_words(struct parser *p)
{
	conf_words_free(p->w, p->n);
	p->w = NULL;
	p->n = p->cap = 0;
}

static struct conf_block *parser_block(struct parser *p)
{
	return p->in_block && p->blk != SIZE_MAX ? &p->f->blocks[p->blk] : NULL;
}

/* Ends the statement being read: into the open block, at top level, or
 * nowhere when inside a discarded block. *ret_top tells whether it went to
 * the top level. */
static int parser_end_stmt(struct parser *p, bool *ret_top)
{
	struct conf_block *b = parser_block(p);
	struct conf_stmt *s;

	*ret_top = false;
	if (!p->n)
		return 0;
	if (p->in_block && !b) {
		parser_drop_words(p);
		return 0;
	}
	if (b)
		s = VEC_PUSH(b->stmts, b->n, p->stmtcap);
	else
		s = VEC_PUSH(p->f->top, p->f->ntop, p->topcap);
	if (!s)
		return -ENOMEM;
	s->w = p->w;
	s->n = p->n;
	s->at = p->w[0].at;
	p->w = NULL;
	p->n = p->cap = 0;
	*ret_top = !b;
	return 0;
}

static bool is_header(const struct conf_word *w, size_t n)
{
	return n == 2 && !w[0].quoted && !w[1].quoted;
}

/* Handles '{' outside a block: the statement read so far is the header.
 * quiet: a nested-block error was just reported for this '{', so a bad
 * header needs no second error. A bad header still opens a (discarded)
 * block so that its content and its '}' are consumed quietly. */
static int parser_open(struct parser *p, struct place lb, bool quiet)
{
	struct conf_block *b;
	bool ok = is_header(p->w, p->n);

	if (ok || quiet) {
		/* nothing to report */
	} else if (!p->n) {
		struct conf_stmt *prev = p->prev_top == p->f->ntop && p->prev_top ?
			&p->f->top[p->prev_top - 1] : NULL;

		if (prev && is_header(prev->w, prev->n)) {
			diag_error(p->d, lb, E_SYNTAX,
				   "'{' must be on the same line as '%s %s'",
				   prev->w[0].text, prev->w[1].text);
			/* The header ended up as a top-level statement: take
			 * it back, so the block is kept and later references
			 * to it do not fail as well. */
			p->w = prev->w;
			p->n = p->cap = prev->n;
			p->f->ntop--;
			ok = true;
		} else {
			diag_error(p->d, lb, E_SYNTAX,
				   "'{' without a block header: expected TYPE NAME {");
		}
	} else if (p->w[0].quoted) {
		diag_error(p->d, p->w[0].at, E_SYNTAX,
			   "block type must be a word, not a string");
	} else if (p->n == 1) {
		diag_error(p->d, lb, E_SYNTAX,
			   "missing block name: expected '%s NAME {'",
			   p->w[0].text);
	} else if (p->n == 2) {
		diag_error(p->d, p->w[1].at, E_SYNTAX,
			   "block name must be a word, not a string");
	} else {
		struct place at = p->w[2].at;

		if (p->w[p->n - 1].at.line == at.line)
			at.last_col = p->w[p->n - 1].at.last_col;
		diag_error(p->d, at, E_SYNTAX,
			   "too many words before '{': a block header is TYPE NAME");
	}

	p->in_block = true;
	p->open = lb;
	p->stmtcap = 0;
	p->blk = SIZE_MAX;
	if (!ok) {
		parser_drop_words(p);
		return 0;
	}
	b = VEC_PUSH(p->f->blocks, p->f->nblocks, p->blkcap);
	if (!b)
		return -ENOMEM;
	b->type = p->w[0];
	b->name = p->w[1];
	b->at = p->w[0].at;
	free(p->w);		/* the words now belong to the block */
	p->w = NULL;
	p->n = p->cap = 0;
	p->blk = p->f->nblocks - 1;
	return 0;
}

static void parser_close(struct parser *p)
{
	p->in_block = false;
	p->blk = SIZE_MAX;
	p->stmtcap = 0;
}

/* '{' inside a block. Blocks do not nest; the likeliest mistake is a
 * missing '}' before the next block, so close the open block here and read
 * on as if it had been closed (its own '}', if any, comes later and is not
 * reported as stray). */
static int parser_nested(struct parser *p, struct place lb)
{
	struct conf_block *b = parser_block(p);

	/* No note at the '{' of the open block: diagnostics are printed
	 * sorted by place, so it would come before the error it explains. */
	if (b)
		diag_error(p->d, lb, E_SYNTAX,
			   "blocks do not nest: '{' inside block '%s %s' opened at line %u (missing '}'?)",
			   b->type.text, b->name.text, p->open.line);
	else
		diag_error(p->d, lb, E_SYNTAX,
			   "blocks do not nest: '{' inside the block opened at line %u (missing '}'?)",
			   p->open.line);
	parser_close(p);
	p->owed++;
	return parser_open(p, lb, true);
}

static int parser_run(struct parser *p)
{
	struct token t;
	struct conf_word *w;
	struct conf_block *b;
	bool top;
	int r;

	for (;;) {
		r = lex_next(&p->lx, &t);
		if (r < 0)
			return r;
		switch (t.kind) {
		case TOK_WORD:
			p->prev_top = 0;
			w = VEC_PUSH(p->w, p->n, p->cap);
			if (!w) {
				free(t.w.text);
				return -ENOMEM;
			}
			*w = t.w;
			break;
		case TOK_NEWLINE:
			if (!p->n)
				break;	/* blank lines keep prev_top */
			r = parser_end_stmt(p, &top);
			p->prev_top = top ? p->f->ntop : 0;
			break;
		case TOK_SEMI:
			r = parser_end_stmt(p, &top);
			p->prev_top = 0;
			break;
		case TOK_LBRACE:
			if (p->in_block)
				r = parser_nested(p, t.w.at);
			else
				r = parser_open(p, t.w.at, false);
			p->prev_top = 0;
			break;
		case TOK_RBRACE:
			r = parser_end_stmt(p, &top);
			p->prev_top = 0;
			if (p->in_block)
				parser_close(p);
			else if (p->owed)
				p->owed--;
			else
				diag_error(p->d, t.w.at, E_SYNTAX,
					   "unexpected '}' outside a block");
			break;
		case TOK_EOF:
			r = parser_end_stmt(p, &top);
			if (r < 0 || !p->in_block)
				return r;
			b = parser_block(p);
			if (b)
				diag_error(p->d, p->open, E_SYNTAX,
					   "missing '}': block '%s %s' is not closed",
					   b->type.text, b->name.text);
			else
				diag_error(p->d, p->open, E_SYNTAX,
					   "missing '}': block is not closed");
			parser_close(p);
			return 0;
		}
		if (r < 0)
			return r;
	}
}

struct conf_file *conf_parse_buffer(const char *path, const char *buf,
				    size_t len, struct diags *d)
{
	struct parser p = { 0 };
	const char *file;

	file = diag_add_source(d, path, buf, len);
	if (!file)
		goto oom;
	p.d = d;
	p.blk = SIZE_MAX;
	p.f = calloc(1, sizeof(*p.f));
	if (!p.f)
		goto oom;
	p.f->path = file;
	p.lx = (struct lexer){
		.buf = buf,
		.len = len,
		.line = 1,
		.file = file,
		.unclosed_from = SIZE_MAX,
		.d = d,
	};
	/* Editors on some systems start UTF-8 files with a byte order mark. */
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		p.lx.pos = 3;
	if (parser_run(&p) < 0)
		goto oom;
	return p.f;
oom:
	parser_drop_words(&p);
	conf_free(p.f);
	diag_error(d, (struct place){ .file = file }, "Vpcemu.NoMemory",
		   "out of memory while parsing");
	errno = ENOMEM;
	return NULL;
}

struct conf_file *conf_parse_file(const char *path, const char *as,
				  struct diags *d)
{
	struct conf_file *f;
	const char *file, *msg;
	char *buf = NULL;
	size_t len = 0;
	int err;

	if (!as)
		as = path;
	err = -read_file(path, CONF_MAX_FILE, &buf, &len);
	if (!err) {
		f = conf_parse_buffer(as, buf, len, d);
		if (f) {
			f->text = buf;
			f->text_len = len;
		} else {
			free(buf);
		}
		return f;
	}
	/* Register the name (with no text) so the place owns a copy. */
	file = diag_add_source(d, as, "", 0);
	msg = err == EFBIG ? "file too large (more than 16 MiB)" : strerror(err);
	if (file)
		diag_error(d, (struct place){ .file = file }, "Vpcemu.File",
			   "cannot read file: %s", msg);
	else
		diag_error(d, (struct place){ 0 }, "Vpcemu.File",
			   "cannot read file '%s': %s", as, msg);
	errno = err;
	return NULL;
}
