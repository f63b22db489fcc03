/* helpers.c - shared by the unit test files; see helpers.h. No Test() here:
 * the Makefile links every .c file of tests/unit into build/unit-tests. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/httpd.h"
#include "vpcemu/model.h"
#include "vpcemu/util.h"

#include "helpers.h"

char *test_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = NULL;
	size_t n = 0;

	if (!f)
		return NULL;
	if (getdelim(&s, &n, '\0', f) < 0) {
		free(s);
		s = strdup("");
	}
	fclose(f);
	return s;
}

void test_golden(const char *gold_path, const char *got)
{
	const char *upd = getenv("VPCEMU_UPDATE_GOLDEN");
	char *want;

	if (upd && !strcmp(upd, "1")) {
		FILE *f = fopen(gold_path, "w");

		cr_assert_not_null(f, "cannot write %s", gold_path);
		fputs(got, f);
		cr_assert_eq(fclose(f), 0, "cannot write %s", gold_path);
	}
	want = test_slurp(gold_path);
	cr_assert_not_null(want, "missing %s (VPCEMU_UPDATE_GOLDEN=1)",
			   gold_path);
	cr_expect_str_eq(got, want, "output differs from %s", gold_path);
	free(want);
}

char *test_diags_text(const struct diags *d)
{
	struct strbuf b = { 0 };
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];

		sb_printf(&b, "  %u:%u %s %s: %s\n", g->at.line,
			  g->at.first_col,
			  g->severity == DIAG_ERROR ? "error" :
			  g->severity == DIAG_WARNING ? "warning" : "note",
			  g->code, g->message);
	}
	return sb_take(&b);
}

/* After a stage: no diagnostic at all (errors_only false), or no error. */
static void assert_quiet(const struct test_lab *t, bool errors_only,
			 const char *stage, const char *path, const char *text)
{
	char *s;

	if (errors_only ? t->d.nerrors == 0 : t->d.n == 0)
		return;
	s = test_diags_text(&t->d);
	cr_assert_fail("%s: %s complained:\n%s\nlab:\n%s", path, stage, s,
		       text);
	free(s);
}

struct lab *test_lab_text(struct test_lab *t, const char *path,
			  const char *text, const char *name, unsigned flags)
{
	bool check = flags & TEST_LAB_CHECK, judge = !(flags & TEST_LAB_ANY);
	struct test_lab own = { 0 };
	struct lab *lab;

	if (!t)
		t = &own;
	*t = (struct test_lab){ 0 };
	t->f = conf_parse_buffer(path, text, strlen(text), &t->d);
	cr_assert_not_null(t->f, "out of memory parsing %s", path);
	if (judge)
		assert_quiet(t, false, "the parser", path, text);
	t->lab = model_build(t->f, name, &t->d);
	cr_assert_not_null(t->lab, "out of memory building %s", path);
	if (check) {
		if (judge)
			assert_quiet(t, false, "the model", path, text);
		check_lab(t->lab, &t->d);
	}
	if (judge && (flags & TEST_LAB_CLEAN))
		assert_quiet(t, true, check ? "the checker" : "the model",
			     path, text);
	lab = t->lab;
	if (t == &own) {
		conf_free(own.f);
		diags_free(&own.d);
	}
	return lab;
}

struct lab *test_lab_file(struct test_lab *t, const char *path,
			  const char *name, unsigned flags)
{
	char *text = test_slurp(path);
	struct lab *lab;

	cr_assert_not_null(text, "cannot read %s (run from tests/)", path);
	lab = test_lab_text(t, path, text, name, flags);
	free(text);
	return lab;
}

void test_lab_free(struct test_lab *t)
{
	lab_free(t->lab);
	conf_free(t->f);
	diags_free(&t->d);
	*t = (struct test_lab){ 0 };
}

void test_expect_one(const struct diags *d, const char *code, unsigned line,
		     unsigned col)
{
	char *s = test_diags_text(d);

	cr_expect_eq(d->n, 1, "want one %s, got:\n%s", code, s);
	if (d->n)
		cr_expect(!strcmp(d->v[0].code, code) &&
				  d->v[0].at.line == line &&
				  (!col || d->v[0].at.first_col == col),
			  "want %s at %u:%u, got:\n%s", code, line, col, s);
	free(s);
}

const char *test_reply_header(const struct httpd_reply *rp, const char *name)
{
	size_t i;

	for (i = 0; i < rp->nheaders; i++)
		if (!strcasecmp(rp->headers[i].name, name))
			return rp->headers[i].value;
	return NULL;
}

char *test_reply_body(const struct httpd_reply *rp)
{
	char *s = strndup(rp->body ? rp->body : "", rp->body_len);

	cr_assert_not_null(s);
	return s;
}
