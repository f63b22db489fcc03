/* test_man.c - the man pages say what the programs and the reference
 * say: every command of `vpcemu --help` is in vpcemu(8) with the usage
 * its own --help prints, every option of `vpcemud --help` is in
 * vpcemud(8), and every block kind and top-level setting that
 * docs/lab-conf.md names is in lab.conf(5). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static const char *vpcemu(void)
{
	const char *v = getenv("VPCEMU");

	return v ? v : "../build/vpcemu";
}

/* s in place: roff's \- as -, without the font escapes \fB \fI \fR \fP,
 * every run of blanks and newlines one space. Returns s. */
static char *plain(char *s)
{
	char *r = s, *w = s;

	for (; *r; r++) {
		if (r[0] == '\\' && r[1] == '-') {
			*w++ = '-';
			r++;
		} else if (r[0] == '\\' && r[1] == 'f' && r[2]) {
			r += 2;
		} else if (*r == ' ' || *r == '\t' || *r == '\n') {
			if (w > s && w[-1] != ' ')
				*w++ = ' ';
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return s;
}

static char *page(const char *path)
{
	char *s = test_slurp(path);

	cr_assert_not_null(s, "cannot read %s", path);
	return s;
}

Test(man, every_command_of_help_in_vpcemu_8)
{
	char *man = plain(page("../man/vpcemu.8")), *help, *line, *save;
	char *cmd, *own, *usage, *end;
	size_t n = 0;

	cr_assert_neq(asprintf(&cmd, "%s --help", vpcemu()), -1);
	help = test_cmd_output(cmd);
	free(cmd);
	line = strstr(help, "commands:\n");
	cr_assert_not_null(line, "%s", help);
	/* "  NAME ARGS": one command a line; deeper indents continue it. */
	for (line = strtok_r(line, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "  ", 2) || line[2] == ' ')
			continue;
		line[2 + strcspn(line + 2, " ")] = '\0';
		cr_assert_neq(asprintf(&cmd, "%s %s --help", vpcemu(),
				       line + 2), -1);
		own = test_cmd_output(cmd);
		free(cmd);
		/* The usage its --help prints, up to the blank line. */
		usage = strstr(own, "usage: vpcemu ");
		cr_assert_not_null(usage, "%s --help: %s", line + 2, own);
		usage += strlen("usage: vpcemu ");
		end = strstr(usage, "\n\n");
		if (end)
			*end = '\0';
		plain(usage);
		cr_expect(strstr(man, usage) != NULL,
			  "vpcemu(8) lacks \"%s\"", usage);
		free(own);
		n++;
	}
	cr_expect_geq(n, 12, "only %zu commands in --help", n);
	free(help);
	free(man);
}

Test(man, every_option_of_vpcemud_help_in_vpcemud_8)
{
	char *man = plain(page("../man/vpcemud.8")), *cmd, *help, *p;
	char opt[64];
	size_t n = 0;

	cr_assert_neq(asprintf(&cmd, "%sd --help", vpcemu()), -1);
	help = test_cmd_output(cmd);
	free(cmd);
	for (p = strstr(help, "--"); p; p = strstr(p + 2, "--")) {
		snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(p, " ]\n"),
			 p);
		cr_expect(strstr(man, opt) != NULL, "vpcemud(8) lacks %s",
			  opt);
		n++;
	}
	cr_expect_geq(n, 5, "%s", help);
	free(help);
	free(man);
}

/* Every `word` of the first cell of the table rows from heading on to
 * the next "## " heading, each passed to fn. */
static void first_cells(const char *md, const char *heading,
			void (*fn)(const char *word, const char *man),
			const char *man)
{
	const char *p = strstr(md, heading), *end, *cell, *q;
	char word[64];

	cr_assert_not_null(p, "docs/lab-conf.md: no %s", heading);
	end = strstr(p + strlen(heading), "\n## ");
	for (p = strstr(p, "\n| `"); p && (!end || p < end);
	     p = strstr(p + 1, "\n| `")) {
		cell = p + 2;
		for (q = strchr(cell, '`'); q && q < strstr(cell, " |");
		     q = strchr(q + 1, '`')) {
			snprintf(word, sizeof(word), "%.*s",
				 (int)strcspn(q + 1, " `"), q + 1);
			fn(word, man);
			q = strchr(q + 1, '`');	/* the closing one */
			if (!q)
				break;
		}
	}
}

static size_t nchecked;

static void bold_in(const char *word, const char *man)
{
	char want[80];

	nchecked++;
	snprintf(want, sizeof(want), "\\fB%s\\fR", word);
	cr_expect(strstr(man, want) != NULL, "lab.conf(5) lacks \\fB%s\\fR",
		  word);
}

Test(man, lab_conf_5_has_every_kind_and_setting)
{
	char *md = page("../docs/lab-conf.md"), *raw = page("../man/lab.conf.5");
	char *r, *w;

	/* \- as -, the font escapes kept: kinds must be set in bold. */
	for (r = w = raw; *r; r++)
		if (!(r[0] == '\\' && r[1] == '-'))
			*w++ = *r;
	*w = '\0';
	first_cells(md, "## What works today", bold_in, raw);
	first_cells(md, "## Top-level settings", bold_in, raw);
	/* 28 block kinds (reserved ones included) and 5 settings. */
	cr_expect_geq(nchecked, 33, "only %zu words read", nchecked);
	free(md);
	free(raw);
}
