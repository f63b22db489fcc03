/* test_diag.c - the diagnostic queue and its printed form, byte for byte. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/diag.h"

static struct diags d;
static char *out;

static void diag_teardown(void)
{
	diags_free(&d);
	free(out);
	out = NULL;
}

TestSuite(diag, .fini = diag_teardown);

/* Prints d into a string (freed by the teardown). */
static const char *printed(int color)
{
	size_t sz = 0;
	FILE *m;

	free(out);
	out = NULL;
	m = open_memstream(&out, &sz);
	cr_assert_not_null(m);
	diag_print(&d, m, color);
	cr_assert_eq(fclose(m), 0);
	return out;
}

static const char *add_src(const char *file, const char *text)
{
	const char *f = diag_add_source(&d, file, text, strlen(text));

	cr_assert_not_null(f);
	return f;
}

static struct place at(const char *file, unsigned line, unsigned first,
		       unsigned last)
{
	return (struct place){ file, line, first, last };
}

Test(diag, header_example)
{
	const char *f = add_src("lab.conf", "# lab\n\nvpc big { cidr 10.0.0.0/8 }\n");

	diag_error(&d, at(f, 3, 16, 25), "InvalidVpc.Range",
		   "The CIDR '%s' is invalid.", "10.0.0.0/8");
	cr_assert_eq(d.nerrors, 1);
	cr_assert_str_eq(printed(0),
		"lab.conf:3:16: error: InvalidVpc.Range: The CIDR '10.0.0.0/8' is invalid.\n"
		"    vpc big { cidr 10.0.0.0/8 }\n"
		"                   ^~~~~~~~~~\n");
}

Test(diag, source_is_copied)
{
	char file[] = "a.conf", text[] = "region x\n";
	const char *f = diag_add_source(&d, file, text, strlen(text));

	cr_assert_not_null(f);
	cr_assert_neq((void *)f, (void *)file);
	memset(file, 'z', sizeof(file) - 1);
	memset(text, 'z', sizeof(text) - 2);
	diag_error(&d, at(f, 1, 8, 8), "E", "m");
	cr_assert_str_eq(printed(0),
		"a.conf:1:8: error: E: m\n"
		"    region x\n"
		"           ^\n");
}

Test(diag, tabs_kept_in_marker)
{
	const char *f = add_src("t.conf", "vpc a {\n\tcidr\t10.0.0.0/8\n}\n");

	diag_error(&d, at(f, 2, 7, 16), "X", "m");
	cr_assert_str_eq(printed(0),
		"t.conf:2:7: error: X: m\n"
		"    \tcidr\t10.0.0.0/8\n"
		"    \t    \t^~~~~~~~~~\n");
}

Test(diag, severities_and_counts)
{
	const char *f = add_src("s.conf", "abc\n");

	diag_warning(&d, at(f, 1, 1, 1), "W", "w");
	diag_note(&d, at(f, 1, 2, 2), "N", "n");
	diag_error(&d, at(f, 1, 3, 3), "E", "e");
	cr_assert_eq(d.nerrors, 1);
	cr_assert_eq(d.nwarnings, 1);
	cr_assert_eq(d.n, 3);
	cr_assert_str_eq(printed(0),
		"s.conf:1:1: warning: W: w\n    abc\n    ^\n"
		"s.conf:1:2: note: N: n\n    abc\n     ^\n"
		"s.conf:1:3: error: E: e\n    abc\n      ^\n");
}

Test(diag, sorted_by_registration_line_col_stable)
{
	/* Registered b before a: registration order wins over the name. */
	const char *b = add_src("b.conf", "l1\nl2\nl3\n");
	const char *a = add_src("a.conf", "x\n");

	diag_error(&d, at(a, 1, 1, 1), "A1", "a");
	diag_error(&d, at(b, 3, 2, 2), "B32", "b");
	diag_error(&d, at(b, 1, 2, 2), "B12first", "b");
	diag_error(&d, at(b, 1, 1, 1), "B11", "b");
	diag_error(&d, at(b, 1, 2, 2), "B12second", "b");
	diag_error(&d, at(b, 0, 0, 0), "B0", "b");
	cr_assert_str_eq(printed(0),
		"b.conf: error: B0: b\n"
		"b.conf:1:1: error: B11: b\n    l1\n    ^\n"
		"b.conf:1:2: error: B12first: b\n    l1\n     ^\n"
		"b.conf:1:2: error: B12second: b\n    l1\n     ^\n"
		"b.conf:3:2: error: B32: b\n    l3\n     ^\n"
		"a.conf:1:1: error: A1: a\n    x\n    ^\n");
	/* Printing does not reorder the queue. */
	cr_assert_str_eq(d.v[0].code, "A1");
}

Test(diag, no_place)
{
	const char *f = add_src("f.conf", "x\n");

	diag_error(&d, at(f, 0, 0, 0), "Vpcemu.File", "cannot read file: %s",
		   "Permission denied");
	diag_error(&d, at(NULL, 0, 0, 0), "Vpcemu.Usage", "no lab given");
	cr_assert_str_eq(printed(0),
		"vpcemu: error: Vpcemu.Usage: no lab given\n"
		"f.conf: error: Vpcemu.File: cannot read file: Permission denied\n");
}

Test(diag, unregistered_file_and_missing_line)
{
	const char *f = add_src("short.conf", "only line\n");

	/* A name the queue does not own, but static: allowed. */
	diag_error(&d, at("other.conf", 4, 2, 3), "U", "u");
	diag_error(&d, at(f, 2, 1, 1), "PastEnd", "p");
	diag_error(&d, at(f, 9, 1, 1), "FarPastEnd", "p");
	cr_assert_str_eq(printed(0),
		"short.conf:2:1: error: PastEnd: p\n"
		"short.conf:9:1: error: FarPastEnd: p\n"
		"other.conf:4:2: error: U: u\n");
}

Test(diag, place_found_by_name)
{
	add_src("n.conf", "abc\n");
	diag_error(&d, at("n.conf", 1, 2, 3), "E", "e");
	cr_assert_str_eq(printed(0), "n.conf:1:2: error: E: e\n    abc\n     ^~\n");
}

Test(diag, line_without_column)
{
	const char *f = add_src("c.conf", "abc\n");

	diag_error(&d, at(f, 1, 0, 0), "E", "e");
	cr_assert_str_eq(printed(0), "c.conf:1: error: E: e\n    abc\n");
}

Test(diag, marker_clamped_at_line_end)
{
	/* A string spanning lines may report last_col far to the right;
	 * one column past the end is still allowed ("at end of line"). */
	const char *f = add_src("m.conf", "ab\ncd");

	diag_error(&d, at(f, 1, 2, 400), "E", "e");
	diag_error(&d, at(f, 2, 3, 3), "F", "f");
	cr_assert_str_eq(printed(0),
		"m.conf:1:2: error: E: e\n    ab\n     ^~\n"
		"m.conf:2:3: error: F: f\n    cd\n      ^\n");
}

Test(diag, crlf_and_control_bytes)
{
	const char *f = add_src("w.conf", "a\x1b[31m b\r\nx\r\n");

	diag_error(&d, at(f, 1, 8, 8), "E", "e");
	diag_error(&d, at(f, 2, 1, 1), "F", "f");
	cr_assert_str_eq(printed(0),
		"w.conf:1:8: error: E: e\n    a?[31m b\n           ^\n"
		"w.conf:2:1: error: F: f\n    x\n    ^\n");
}

Test(diag, utf8_before_caret)
{
	/* "日本" is 6 bytes but 2 characters: the caret follows the
	 * characters, and the tildes under a UTF-8 word count characters. */
	const char *f = add_src("u.conf", "d \"日本\" x 日本\n");

	diag_error(&d, at(f, 1, 12, 12), "E", "e");
	diag_error(&d, at(f, 1, 14, 19), "F", "f");
	cr_assert_str_eq(printed(0),
		"u.conf:1:12: error: E: e\n    d \"日本\" x 日本\n           ^\n"
		"u.conf:1:14: error: F: f\n    d \"日本\" x 日本\n             ^~\n");
}

Test(diag, color)
{
	const char *f = add_src("k.conf", "ab\n");

	diag_error(&d, at(f, 1, 1, 2), "E", "e");
	diag_warning(&d, at(f, 1, 2, 2), "W", "w");
	diag_note(&d, at(NULL, 0, 0, 0), "N", "n");
	cr_assert_str_eq(printed(1),
		"\033[1mvpcemu:\033[0m \033[1;36mnote:\033[0m N: n\n"
		"\033[1mk.conf:1:1:\033[0m \033[1;31merror:\033[0m E: e\n"
		"    ab\n    \033[1;32m^~\033[0m\n"
		"\033[1mk.conf:1:2:\033[0m \033[1;35mwarning:\033[0m W: w\n"
		"    ab\n     \033[1;32m^\033[0m\n");
	/* And none at all without colour. */
	cr_assert_null(strchr(printed(0), '\033'));
}

Test(diag, find)
{
	diag_error(&d, at(NULL, 0, 0, 0), "A", "first");
	diag_error(&d, at(NULL, 0, 0, 0), "B", "b");
	diag_error(&d, at(NULL, 0, 0, 0), "A", "second");
	cr_assert_str_eq(diag_find(&d, "A")->message, "first");
	cr_assert_str_eq(diag_find(&d, "B")->message, "b");
	cr_assert_null(diag_find(&d, "C"));
	cr_assert_null(diag_find(&d, NULL));
	cr_assert_null(diag_find(NULL, "A"));
}

Test(diag, long_message_and_line)
{
	enum { N = 150000 };
	char *text = malloc(N + 2), *msg = malloc(N + 1), *want;
	const char *f;
	size_t wl;

	cr_assert(text && msg);
	memset(text, 'a', N);
	text[N] = '\n';
	text[N + 1] = '\0';
	memset(msg, 'm', N);
	msg[N] = '\0';
	f = add_src("big.conf", text);
	diag_error(&d, at(f, 1, N, N), "E", "%s", msg);
	/* header + source line + marker */
	want = malloc(3 * N + 100);
	cr_assert_not_null(want);
	wl = (size_t)sprintf(want, "big.conf:1:%u: error: E: %s\n    %.*s\n    ",
			     N, msg, N, text);
	memset(want + wl, ' ', N - 1);
	strcpy(want + wl + N - 1, "^\n");
	cr_assert(strcmp(printed(0), want) == 0);
	free(want);
	free(text);
	free(msg);
}

Test(diag, free_accepts_null_and_empty)
{
	struct diags z = { 0 };

	diags_free(NULL);
	diags_free(&z);
	diags_free(&z);
	diag_error(&z, at(NULL, 0, 0, 0), "E", "e");
	diags_free(&z);
	cr_assert_eq(z.n, 0);
	cr_assert_null(z.v);
	diag_print(&z, stdout, 0);	/* nothing to print, must not crash */
}
