/* test_conf.c - lexer and parser: the AST, and every syntax error with its
 * exact place. Run from tests/ (data files are opened as unit/data/...). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vpcemu/conf.h"
#include "vpcemu/diag.h"

static struct diags d;
static struct conf_file *f;

static void conf_teardown(void)
{
	conf_free(f);
	f = NULL;
	diags_free(&d);
}

TestSuite(conf, .fini = conf_teardown);

static struct conf_file *parse_n(const char *s, size_t n)
{
	f = conf_parse_buffer("t.conf", s, n, &d);
	cr_assert_not_null(f);
	return f;
}

static struct conf_file *parse(const char *s)
{
	return parse_n(s, strlen(s));
}

/* The first diagnostic with code is at line:col. */
static void expect_at(const char *code, unsigned line, unsigned col)
{
	const struct diag *g = diag_find(&d, code);

	cr_assert_not_null(g, "no %s diagnostic", code);
	cr_assert_eq(g->severity, DIAG_ERROR);
	cr_assert_str_eq(g->at.file, "t.conf");
	cr_assert(g->at.line == line && g->at.first_col == col,
		  "%s at %u:%u, expected %u:%u (%s)", code, g->at.line,
		  g->at.first_col, line, col, g->message);
}

static void expect_word(const struct conf_word *w, const char *text,
			bool quoted, unsigned line, unsigned first, unsigned last)
{
	cr_assert_str_eq(w->text, text);
	cr_assert_eq(w->quoted, quoted, "'%s' quoted", text);
	cr_assert(w->at.line == line && w->at.first_col == first &&
		  w->at.last_col == last,
		  "'%s' at %u:%u-%u, expected %u:%u-%u", text, w->at.line,
		  w->at.first_col, w->at.last_col, line, first, last);
}

Test(conf, top_and_blocks)
{
	parse("region ap-northeast-1\n"
	      "vpc VPC-A { cidr 10.1.0.0/16 }\n"
	      "expect EC2-A -> EC2-B icmp reachable\n");
	cr_assert_eq(d.n, 0);
	cr_assert_str_eq(f->path, "t.conf");
	cr_assert_eq(f->ntop, 2);
	cr_assert_eq(f->top[0].n, 2);
	expect_word(&f->top[0].w[0], "region", false, 1, 1, 6);
	expect_word(&f->top[0].w[1], "ap-northeast-1", false, 1, 8, 21);
	cr_assert_eq(f->top[0].at.line, 1);
	cr_assert_eq(f->top[1].n, 6);
	expect_word(&f->top[1].w[2], "->", false, 3, 14, 15);
	cr_assert_eq(f->nblocks, 1);
	expect_word(&f->blocks[0].type, "vpc", false, 2, 1, 3);
	expect_word(&f->blocks[0].name, "VPC-A", false, 2, 5, 9);
	cr_assert_eq(f->blocks[0].at.first_col, 1);
	cr_assert_eq(f->blocks[0].n, 1);
	cr_assert_eq(f->blocks[0].stmts[0].n, 2);
	expect_word(&f->blocks[0].stmts[0].w[1], "10.1.0.0/16", false, 2, 18, 28);
	cr_assert_eq(f->blocks[0].stmts[0].at.first_col, 13);
}

Test(conf, comments)
{
	parse("# header comment\n"
	      "region x # trailing { } ; \"\n"
	      "vpc a { # after brace\n"
	      "  description \"not # a comment\"\n"
	      "  tag#comment right after a word\n"
	      "}\n"
	      "#\n");
	cr_assert_eq(d.n, 0);
	cr_assert_eq(f->ntop, 1);
	cr_assert_eq(f->top[0].n, 2);
	cr_assert_str_eq(f->top[0].w[1].text, "x");
	cr_assert_eq(f->blocks[0].n, 2);
	expect_word(&f->blocks[0].stmts[0].w[1], "not # a comment", true, 4, 15, 31);
	cr_assert_eq(f->blocks[0].stmts[1].n, 1);
	expect_word(&f->blocks[0].stmts[1].w[0], "tag", false, 5, 3, 5);
}

Test(conf, semicolons_and_newlines)
{
	parse("a 1; b 2\n\n;;\nc 3 ;\n"
	      "vpc v { x 1; y 2\n z 3 ;; }\n"
	      "vpc w {\n}\n"
	      "vpc u { }vpc t{q}\n");
	cr_assert_eq(d.n, 0);
	cr_assert_eq(f->ntop, 3);
	cr_assert_str_eq(f->top[1].w[0].text, "b");
	expect_word(&f->top[2].w[0], "c", false, 4, 1, 1);
	cr_assert_eq(f->nblocks, 4);
	cr_assert_eq(f->blocks[0].n, 3);
	cr_assert_str_eq(f->blocks[0].stmts[2].w[0].text, "z");
	cr_assert_eq(f->blocks[1].n, 0);
	cr_assert_eq(f->blocks[2].n, 0);
	/* '{' and '}' end words: "t{q}" is t, {, q, } */
	cr_assert_str_eq(f->blocks[3].name.text, "t");
	cr_assert_eq(f->blocks[3].n, 1);
	cr_assert_str_eq(f->blocks[3].stmts[0].w[0].text, "q");
}

Test(conf, escapes)
{
	parse("d \"a\\\"b\\\\c\\nd\" \"\" e\"f\"\n");
	cr_assert_eq(d.n, 0);
	cr_assert_eq(f->top[0].n, 5);
	expect_word(&f->top[0].w[1], "a\"b\\c\nd", true, 1, 3, 14);
	expect_word(&f->top[0].w[2], "", true, 1, 16, 17);
	/* A quote ends a word and starts a string. */
	expect_word(&f->top[0].w[3], "e", false, 1, 19, 19);
	expect_word(&f->top[0].w[4], "f", true, 1, 20, 22);
}

Test(conf, bad_escape)
{
	parse("d \"ab\\qc\" \"\\t\"\nnext ok\n");
	expect_at("Vpcemu.Syntax", 1, 6);
	cr_assert_eq(d.nerrors, 2);
	cr_assert_eq(d.v[1].at.first_col, 12);
	/* Recovery: the backslash is dropped, the string goes on. */
	cr_assert_str_eq(f->top[0].w[1].text, "abqc");
	cr_assert_str_eq(f->top[0].w[2].text, "t");
	cr_assert_eq(f->ntop, 2);
}

Test(conf, multiline_string)
{
	parse("instance i {\n"
	      "  user-data \"#!/bin/sh\n"
	      "echo \\\"hi\\\"\n"
	      "\"\n"
	      "  subnet s\n"
	      "}\n");
	cr_assert_eq(d.n, 0);
	cr_assert_eq(f->blocks[0].n, 2);
	/* The place is on the first line, up to its end. */
	expect_word(&f->blocks[0].stmts[0].w[1], "#!/bin/sh\necho \"hi\"\n",
		    true, 2, 13, 22);
	/* Lines inside the string still count. */
	expect_word(&f->blocks[0].stmts[1].w[0], "subnet", false, 5, 3, 8);
}

Test(conf, forward_order_kept)
{
	parse("subnet s { vpc v }\nvpc v { cidr 10.0.0.0/16 }\nregion r\n");
	cr_assert_eq(d.n, 0);
	cr_assert_eq(f->nblocks, 2);
	cr_assert_str_eq(f->blocks[0].type.text, "subnet");
	cr_assert_str_eq(f->blocks[1].type.text, "vpc");
	cr_assert_eq(f->ntop, 1);
}

Test(conf, unterminated_string)
{
	parse("region \"abc\n"
	      "vpc a {\n"
	      "  cidr x\n"
	      "}\n");
	expect_at("Vpcemu.Syntax", 1, 8);
	cr_assert_eq(diag_find(&d, "Vpcemu.Syntax")->at.last_col, 11);
	cr_assert_eq(d.nerrors, 1);
	/* Only the rest of its line is taken: what follows still parses. */
	expect_word(&f->top[0].w[1], "abc", true, 1, 8, 11);
	cr_assert_eq(f->nblocks, 1);
	cr_assert_eq(f->blocks[0].n, 1);
}

Test(conf, unterminated_string_at_eof)
{
	parse("a \"b\\");
	expect_at("Vpcemu.Syntax", 1, 3);
	cr_assert_eq(d.nerrors, 1);
	cr_assert_str_eq(f->top[0].w[1].text, "b");
	conf_free(f);
	parse_n("\"", 1);
	cr_assert_eq(d.nerrors, 2);
	cr_assert_eq(d.v[1].at.first_col, 1);
	cr_assert_eq(d.v[1].at.last_col, 1);
}

Test(conf, escaped_quote_after_unterminated_string)
{
	/* After an unterminated string, only escaped quotes remain; one in a
	 * word opens a string that cannot close either. */
	parse("a \"\nb\\\"c\nd e\n");
	cr_assert_eq(d.nerrors, 2);
	expect_at("Vpcemu.Syntax", 1, 3);
	cr_assert_eq(d.v[1].at.line, 2);
	cr_assert_eq(d.v[1].at.first_col, 3);
	cr_assert_eq(f->ntop, 3);
	expect_word(&f->top[1].w[0], "b\\", false, 2, 1, 2);
	expect_word(&f->top[1].w[1], "c", true, 2, 3, 4);
}

Test(conf, stray_brace)
{
	parse("region x\n  }\nregion y }\n");
	expect_at("Vpcemu.Syntax", 2, 3);
	cr_assert_eq(d.nerrors, 2);
	cr_assert_eq(d.v[1].at.line, 3);
	cr_assert_eq(d.v[1].at.first_col, 10);
	cr_assert_eq(f->ntop, 2);
}

Test(conf, missing_brace)
{
	parse("vpc a { cidr 10.0.0.0/16\n"
	      "  dns-support no\n");
	expect_at("Vpcemu.Syntax", 1, 7);
	cr_assert_eq(d.nerrors, 1);
	/* The block is kept, with what it had. */
	cr_assert_eq(f->nblocks, 1);
	cr_assert_eq(f->blocks[0].n, 2);
}

Test(conf, nested_brace)
{
	parse("vpc a {\n"
	      "  subnet b {\n"
	      "    cidr 10.0.1.0/24\n"
	      "  }\n"
	      "}\n");
	expect_at("Vpcemu.Syntax", 2, 12);
	/* The outer block's own '}' is not reported again as stray. */
	cr_assert_eq(d.nerrors, 1);
	cr_assert_eq(f->nblocks, 2);
	cr_assert_str_eq(f->blocks[1].name.text, "b");
	cr_assert_eq(f->blocks[1].n, 1);
}

Test(conf, missing_brace_before_next_block)
{
	parse("vpc a {\n"
	      "  cidr 10.0.0.0/16\n"
	      "subnet b {\n"
	      "  vpc a\n"
	      "}\n"
	      "subnet c { vpc a }\n");
	expect_at("Vpcemu.Syntax", 3, 10);
	cr_assert_eq(d.nerrors, 1);
	cr_assert_eq(f->nblocks, 3);
	cr_assert_eq(f->blocks[0].n, 1);
	cr_assert_eq(f->blocks[1].n, 1);
	cr_assert_eq(f->blocks[2].n, 1);
}

Test(conf, header_errors)
{
	parse("{ x }\n"			/* 1:1 no header */
	      "vpc {\n}\n"		/* 2:5 no name */
	      "vpc a b {\n}\n"		/* 4:7 too many words */
	      "\"vpc\" a {\n}\n"	/* 6:1 quoted type */
	      "vpc \"a\" { x }\n"	/* 8:5 quoted name */
	      "vpc ok { y }\n");
	cr_assert_eq(d.nerrors, 5);
	cr_assert_eq(d.v[0].at.line, 1);
	cr_assert_eq(d.v[0].at.first_col, 1);
	cr_assert_eq(d.v[1].at.line, 2);
	cr_assert_eq(d.v[1].at.first_col, 5);
	cr_assert_eq(d.v[2].at.line, 4);
	cr_assert_eq(d.v[2].at.first_col, 7);
	cr_assert_eq(d.v[3].at.line, 6);
	cr_assert_eq(d.v[3].at.first_col, 1);
	cr_assert_eq(d.v[4].at.line, 8);
	cr_assert_eq(d.v[4].at.first_col, 5);
	/* Bad blocks are dropped whole, and their statements with them. */
	cr_assert_eq(f->nblocks, 1);
	cr_assert_str_eq(f->blocks[0].name.text, "ok");
	cr_assert_eq(f->ntop, 0);
}

Test(conf, brace_on_next_line)
{
	parse("vpc a\n\n{\n  cidr 10.0.0.0/16\n}\n");
	expect_at("Vpcemu.Syntax", 3, 1);
	cr_assert_eq(d.nerrors, 1);
	/* The header is taken back from the top level: no second error
	 * later for an unknown top-level "vpc" or a missing VPC. */
	cr_assert_eq(f->ntop, 0);
	cr_assert_eq(f->nblocks, 1);
	cr_assert_eq(f->blocks[0].n, 1);
}

Test(conf, very_long_line)
{
	enum { N = 300000 };
	char *s = malloc(N + 64);
	size_t n;

	cr_assert_not_null(s);
	memcpy(s, "d ", 2);
	memset(s + 2, 'w', N);
	n = 2 + N;
	n += (size_t)sprintf(s + n, " \"x\\q\" }\n");
	parse_n(s, n);
	cr_assert_eq(strlen(f->top[0].w[1].text), N);
	cr_assert_eq(f->top[0].w[1].at.last_col, N + 2);
	expect_at("Vpcemu.Syntax", 1, N + 6);
	cr_assert_eq(d.v[1].at.first_col, N + 10);
	cr_assert_eq(d.nerrors, 2);
	free(s);
}

Test(conf, nul_byte)
{
	static const char s[] = "region a\0b\nvpc x {\0}\n}\n";

	parse_n(s, sizeof(s) - 1);
	expect_at("Vpcemu.Encoding", 1, 9);
	cr_assert_eq(d.v[1].at.line, 2);
	cr_assert_eq(d.v[1].at.first_col, 8);
	/* Skipped, and parsing goes on to the stray '}'. */
	cr_assert_str_eq(f->top[0].w[1].text, "ab");
	cr_assert_eq(f->nblocks, 1);
	expect_at("Vpcemu.Syntax", 3, 1);
	cr_assert_eq(d.nerrors, 3);
}

Test(conf, invalid_utf8)
{
	parse("description \"caf\xe9\"\n"	/* Latin-1 */
	      "a \xc0\xaf\n"			/* overlong '/' */
	      "b \xed\xa0\x80 x\n"		/* surrogate */
	      "# comment \xff\n"
	      "c \xe6\x97\xa5\xe6\x9c\xac\n"	/* valid: no error */
	      "e \xe6\x97");			/* truncated at EOF */
	cr_assert_eq(d.nerrors, 8);
	expect_at("Vpcemu.Encoding", 1, 17);
	cr_assert_str_eq(f->top[0].w[1].text, "caf");
	/* overlong: two bad bytes, two errors */
	cr_assert_eq(d.v[1].at.line, 2);
	cr_assert_eq(d.v[1].at.first_col, 3);
	cr_assert_eq(d.v[2].at.first_col, 4);
	/* surrogate: ED then two lone continuation bytes */
	cr_assert_eq(d.v[3].at.line, 3);
	cr_assert_eq(d.v[3].at.first_col, 3);
	cr_assert_eq(d.v[6].at.line, 4);
	cr_assert_eq(d.v[6].at.first_col, 11);
	cr_assert_eq(d.v[7].at.line, 6);
	cr_assert_eq(d.v[7].at.first_col, 3);
	cr_assert_eq(d.v[7].at.last_col, 4);
	cr_assert_str_eq(f->top[3].w[1].text, "\xe6\x97\xa5\xe6\x9c\xac");
	/* a word of nothing but bad bytes is no word */
	cr_assert_eq(f->top[1].n, 1);
	cr_assert_eq(f->top[2].n, 2);
	cr_assert_eq(f->ntop, 5);
}

Test(conf, empty_and_blank_files)
{
	parse_n("", 0);
	cr_assert_eq(d.n, 0);
	cr_assert_eq(f->ntop, 0);
	cr_assert_eq(f->nblocks, 0);
	conf_free(f);
	parse_n(NULL, 0);
	cr_assert_eq(d.n, 0);
	conf_free(f);
	parse("\n \t\r\n# only a comment\n;;\n");
	cr_assert_eq(d.n, 0);
	cr_assert_eq(f->ntop, 0);
}

Test(conf, crlf)
{
	parse("region x\r\n"
	      "vpc a {\r\n"
	      "  cidr y\r\n"
	      "  user-data \"l1\r\nl2\"\r\n"
	      "}\r\n");
	cr_assert_eq(d.n, 0);
	expect_word(&f->top[0].w[1], "x", false, 1, 8, 8);
	cr_assert_eq(f->blocks[0].n, 2);
	expect_word(&f->blocks[0].stmts[0].w[1], "y", false, 3, 8, 8);
	/* Inside strings CRLF becomes LF; the place stops before the CR. */
	expect_word(&f->blocks[0].stmts[1].w[1], "l1\nl2", true, 4, 13, 15);
}

Test(conf, byte_order_mark)
{
	parse("\xef\xbb\xbfregion x\n");
	cr_assert_eq(d.n, 0);
	expect_word(&f->top[0].w[0], "region", false, 1, 4, 9);
}

Test(conf, every_error_in_one_run)
{
	parse("}\n"
	      "a \"\\x\"\n"
	      "vpc a b {\n"
	      "}\n"
	      "b \xff\n"
	      "vpc c {\n"
	      "  d \"open\n");
	cr_assert_eq(d.nerrors, 6);
	cr_assert_eq(d.nwarnings, 0);
	expect_at("Vpcemu.Encoding", 5, 3);
	cr_assert_eq(d.v[0].at.line, 1);
	cr_assert_eq(d.v[1].at.line, 2);
	cr_assert_eq(d.v[2].at.line, 3);
	/* unterminated string first, then the missing '}' at EOF */
	cr_assert_eq(d.v[4].at.line, 7);
	cr_assert_eq(d.v[4].at.first_col, 5);
	cr_assert_eq(d.v[5].at.line, 6);
	cr_assert_eq(d.v[5].at.first_col, 7);
}

Test(conf, printed_with_source)
{
	char *out = NULL;
	size_t sz = 0;
	FILE *m;

	parse("vpc a {\n\tcidr \"10.0.0.0/8\\z\"\n");
	m = open_memstream(&out, &sz);
	cr_assert_not_null(m);
	diag_print(&d, m, 0);
	fclose(m);
	cr_assert_str_eq(out,
		"t.conf:1:7: error: Vpcemu.Syntax: missing '}': block 'vpc a' is not closed\n"
		"    vpc a {\n"
		"          ^\n"
		"t.conf:2:18: error: Vpcemu.Syntax: unknown escape in string: only \\\", \\\\ and \\n are allowed\n"
		"    \tcidr \"10.0.0.0/8\\z\"\n"
		"    \t                ^~\n");
	free(out);
}

Test(conf, parse_file)
{
	f = conf_parse_file("unit/data/hands-on.conf", NULL, &d);
	cr_assert_not_null(f, "run the unit tests from tests/");
	cr_assert_eq(d.n, 0);
	cr_assert_str_eq(f->path, "unit/data/hands-on.conf");
	cr_assert_eq(f->ntop, 1);
	cr_assert_eq(f->nblocks, 11);
	cr_assert_str_eq(f->blocks[5].name.text, "RT-A");
	cr_assert_eq(f->blocks[5].n, 3);
	cr_assert_eq(f->blocks[5].stmts[2].n, 4);
	cr_assert_eq(f->blocks[5].stmts[2].at.line, 15);
}

Test(conf, file_errors)
{
	const struct diag *g;
	char tmpl[] = "/tmp/vpcemu-test-conf-XXXXXX";
	int fd;

	cr_assert_null(conf_parse_file("unit/data/does-not-exist.conf", NULL,
				       &d));
	g = diag_find(&d, "Vpcemu.File");
	cr_assert_not_null(g);
	cr_assert_str_eq(g->at.file, "unit/data/does-not-exist.conf");
	cr_assert_eq(g->at.line, 0);
	cr_assert_not_null(strstr(g->message, strerror(ENOENT)));

	/* Named as the caller says (the path as the user typed it). */
	cr_assert_null(conf_parse_file("unit", "typed.conf", &d));
	cr_assert_not_null(strstr(d.v[1].message, strerror(EISDIR)));
	cr_assert_str_eq(d.v[1].at.file, "typed.conf");

	/* A sparse file just over the limit. */
	fd = mkstemp(tmpl);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, (16 << 20) + 1), 0);
	close(fd);
	cr_assert_null(conf_parse_file(tmpl, NULL, &d));
	unlink(tmpl);
	cr_assert_str_eq(d.v[2].code, "Vpcemu.File");
	cr_assert_not_null(strstr(d.v[2].message, "file too large"));
	cr_assert_eq(d.nerrors, 3);
}

Test(conf, free_accepts_null)
{
	conf_free(NULL);
}
