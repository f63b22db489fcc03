/* test_cli.c - the vpcemu command as a user meets it, without root:
 * validate output against golden files (table and JSON), --help on every
 * command, --version, and the exit codes scripts rely on. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static const char *vpcemu(void)
{
	const char *v = getenv("VPCEMU");

	return v ? v : "../build/vpcemu";
}

/* Runs vpcemu with args; stdout into out, stderr into err (both may be
 * NULL, each at most 64 KiB). Returns the exit status. */
static int run(char *const args[], char **out, char **err)
{
	char *argv[16] = { (char *)vpcemu() };
	char opath[] = "/tmp/vpcemu-cli-XXXXXX", epath[] = "/tmp/vpcemu-cli-XXXXXX";
	int ofd = mkstemp(opath), efd = mkstemp(epath), status, i;
	pid_t pid;

	cr_assert(ofd >= 0 && efd >= 0);
	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(ofd, 1);
		dup2(efd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	if (out) {
		*out = calloc(1, 65536);
		pread(ofd, *out, 65535, 0);
	}
	if (err) {
		*err = calloc(1, 65536);
		pread(efd, *err, 65535, 0);
	}
	close(ofd);
	close(efd);
	unlink(opath);
	unlink(epath);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define RUN(out, err, ...) run((char *const[]){ __VA_ARGS__, NULL }, out, err)

static void validate_golden(const char *topo, const char *stem)
{
	char conf[256], gold[256], *out, *err;

	snprintf(conf, sizeof(conf), "../topologies/%s.conf", topo);
	snprintf(gold, sizeof(gold), "golden/validate/%s.txt", stem);
	cr_assert_eq(RUN(&out, &err, "validate", conf), 0, "%s", err);
	test_golden(gold, out);
	free(out);
	free(err);
	snprintf(gold, sizeof(gold), "golden/validate/%s.json", stem);
	cr_assert_eq(RUN(&out, &err, "validate", "--output", "json", conf), 0);
	test_golden(gold, out);
	free(out);
	free(err);
}

Test(cli, validate_hands_on) { validate_golden("vpc-peering", "vpc-peering"); }
Test(cli, validate_three_tier) { validate_golden("three-tier", "three-tier"); }
Test(cli, validate_transitive) { validate_golden("transitive", "transitive"); }

/* Errors: every one reported, FILE:LINE:COL first, exit 1, nothing on stdout. */
Test(cli, validate_reports_errors_with_places)
{
	char *out, *err;

	cr_assert_eq(RUN(&out, &err, "validate", "unit/data/two-errors.conf"), 1);
	cr_expect(strstr(err, "unit/data/two-errors.conf:2:24: error: "
			      "InvalidSubnet.Range: ") != NULL, "%s", err);
	cr_expect(strstr(err, "unit/data/two-errors.conf:3:35: error: "
			      "InvalidParameterValue: ") != NULL, "%s", err);
	cr_expect(strstr(err, "^~~~") != NULL, "no caret marker: %s", err);
	cr_expect_str_eq(out, "");
	free(out);
	free(err);
}

Test(cli, every_command_has_help)
{
	const char *cmds[] = { "validate", "up", "down", "status", "exec",
			       "test" };
	char *out;
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		cr_expect_eq(RUN(&out, NULL, (char *)cmds[i], "--help"), 0,
			     "%s --help", cmds[i]);
		cr_expect(strstr(out, "usage: vpcemu ") == out, "%s", out);
		free(out);
	}
	cr_expect_eq(RUN(&out, NULL, "--help"), 0);
	free(out);
	cr_expect_eq(RUN(&out, NULL, "--version"), 0);
	cr_expect(strncmp(out, "vpcemu ", 7) == 0, "%s", out);
	free(out);
}

Test(cli, usage_errors_exit_2)
{
	cr_expect_eq(RUN(NULL, NULL, "frobnicate"), 2);
	cr_expect_eq(RUN(NULL, NULL, "validate"), 2);
	cr_expect_eq(RUN(NULL, NULL, "validate", "a", "b"), 2);
	cr_expect_eq(RUN(NULL, NULL, "validate", "--output", "xml",
			 "../topologies/vpc-peering.conf"), 2);
	cr_expect_eq(RUN(NULL, NULL, "exec", "EC2-A"), 2);
}

Test(cli, missing_file_exits_1)
{
	char *err;

	cr_expect_eq(RUN(NULL, &err, "validate", "no/such/lab.conf"), 1);
	cr_expect(strstr(err, "no/such/lab.conf: error: Vpcemu.File: ") != NULL,
		  "%s", err);
	free(err);
}
