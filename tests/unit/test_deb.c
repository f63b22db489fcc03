/* test_deb.c - `make deb` builds a package that installs the binaries,
 * the man pages, the bash completion and the systemd unit (pointing at
 * the packaged vpcemud), and depends on the libraries they link. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

/* The package make deb built: the last line it prints, a path under the
 * checkout (tests/ is where the suite runs). */
static char *built_deb(void)
{
	char *out = test_cmd_output("make -C .. --no-print-directory -s deb"),
	     *nl, *last, *path;

	while ((nl = strrchr(out, '\n')) && !nl[1])
		*nl = '\0';
	last = strrchr(out, '\n') ? strrchr(out, '\n') + 1 : out;
	cr_assert_neq(asprintf(&path, "../%s", last), -1);
	free(out);
	cr_assert_eq(access(path, R_OK), 0, "no package %s", path);
	return path;
}

Test(deb, contents_and_control, .timeout = 300)
{
	static const char *const files[] = {
		"./usr/bin/vpcemu",
		"./usr/sbin/vpcemud",
		"./usr/share/man/man5/lab.conf.5.gz",
		"./usr/share/man/man8/vpcemu.8.gz",
		"./usr/share/man/man8/vpcemud.8.gz",
		"./usr/share/bash-completion/completions/vpcemu",
		"./usr/lib/systemd/system/vpcemud.service",
	};
	char *deb, *cmd, *out;
	size_t i;

	if (system("command -v dpkg-deb >/dev/null") != 0)
		cr_skip_test("no dpkg-deb");
	deb = built_deb();

	cr_assert_neq(asprintf(&cmd, "dpkg-deb -c %s", deb), -1);
	out = test_cmd_output(cmd);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *line;

		/* "MODE root/root SIZE DATE TIME PATH", root-owned. */
		cr_assert_neq(asprintf(&line, " %s\n", files[i]), -1);
		cr_expect(strstr(out, line) != NULL, "%s not in:\n%s",
			  files[i], out);
		free(line);
	}
	cr_expect(strstr(out, "root/root") != NULL, "%s", out);
	free(out);
	free(cmd);

	cr_assert_neq(asprintf(&cmd, "dpkg-deb -f %s Package Depends", deb),
		      -1);
	out = test_cmd_output(cmd);
	cr_expect(strstr(out, "Package: vpcemu\n") != NULL, "%s", out);
	cr_expect(strstr(out, "libnftables1") != NULL, "%s", out);
	cr_expect(strstr(out, "libjansson4") != NULL, "%s", out);
	free(out);
	free(cmd);

	cr_assert_neq(asprintf(&cmd, "dpkg-deb --fsys-tarfile %s | tar -xOf - "
				     "./usr/lib/systemd/system/vpcemud.service",
			       deb),
		      -1);
	out = test_cmd_output(cmd);
	cr_expect(strstr(out, "\nExecStart=/usr/sbin/vpcemud --foreground\n"),
		  "%s", out);
	free(out);
	free(cmd);
	free(deb);
}
