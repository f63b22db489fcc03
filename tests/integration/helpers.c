/* helpers.c - shell commands for the integration tests; see helpers.h. No
 * Test() here: the Makefile links every .c file of tests/integration into
 * build/integration-tests. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <criterion/criterion.h>

#include "helpers.h"

/* fmt and ap into cmd, then suffix. */
static void format_cmd(char *cmd, size_t size, const char *suffix,
		       const char *fmt, va_list ap)
{
	vsnprintf(cmd, size, fmt, ap);
	strncat(cmd, suffix, size - strlen(cmd) - 1);
}

int test_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	format_cmd(cmd, sizeof(cmd), "", fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

char *test_sh_output(const char *fmt, ...)
{
	char cmd[1024], buf[4096];
	size_t len = 0, n;
	char *out, *tmp;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	format_cmd(cmd, sizeof(cmd), " 2>&1", fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	cr_assert_not_null(f, "popen %s", cmd);
	out = calloc(1, 1);
	cr_assert_not_null(out);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		tmp = realloc(out, len + n + 1);
		cr_assert_not_null(tmp);
		out = tmp;
		memcpy(out + len, buf, n);
		len += n;
		out[len] = '\0';
	}
	pclose(f);
	return out;
}
