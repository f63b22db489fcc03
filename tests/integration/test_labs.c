/* test_labs.c - whole labs, for real: `vpcemu test` over lab files whose
 * expect lines pair every "reachable" with a "blocked" twin (dogfooding), and
 * checks of up/down/exec with independent tools (ip, nft, ping).
 *
 * Each test names its lab "it<pid>-<name>", takes it down in .fini even when
 * an assertion failed, and asserts that nothing of it is left.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char lab_name[128];

static const char *vpcemu(void)
{
	const char *v = getenv("VPCEMU");

	return v ? v : "../build/vpcemu";
}

/* Runs argv, returns its exit status; stdout+stderr go to out (may be NULL). */
static int run(char *const argv[], char *out, size_t outlen)
{
	int fds[2], status;
	size_t len = 0;
	ssize_t k;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while ((k = read(fds[0], out ? out + len : (char[256]){ 0 },
			 out ? outlen - 1 - len : 256)) > 0) {
		if (out) {
			len += (size_t)k;
			if (len >= outlen - 1)
				break;
		}
	}
	close(fds[0]);
	if (out)
		out[len] = '\0';
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define RUN(out, ...) run((char *const[]){ __VA_ARGS__, NULL }, out, out ? sizeof(out) : 0)

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
}

static void teardown(void)
{
	if (lab_name[0] && geteuid() == 0)
		RUN((char *)NULL, (char *)vpcemu(), "down", lab_name);
}

/* Nothing named after the lab may remain: namespaces, /etc/netns entries. */
static void assert_no_leak(void)
{
	const char *dirs[] = { "/run/netns", "/etc/netns" };
	size_t plen = strlen(lab_name), i;
	struct dirent *e;

	for (i = 0; i < 2; i++) {
		DIR *d = opendir(dirs[i]);

		if (!d)
			continue;
		while ((e = readdir(d)))
			cr_expect(strncmp(e->d_name, lab_name, plen) ||
					  e->d_name[plen] != '-',
				  "leaked %s/%s", dirs[i], e->d_name);
		closedir(d);
	}
}

static void name_lab(const char *suffix)
{
	snprintf(lab_name, sizeof(lab_name), "it%d-%s", (int)getpid(), suffix);
}

/* `vpcemu test FILE` must exit with want (0: every expect holds). */
static void lab_test(const char *file, const char *suffix, int want)
{
	static char out[65536];
	int rc;

	name_lab(suffix);
	rc = RUN(out, (char *)vpcemu(), "test", (char *)file, "--name",
		 lab_name);
	cr_log_info("%s", out);
	cr_expect_eq(rc, want, "vpcemu test %s: exit %d, want %d\n%s", file,
		     rc, want, out);
	assert_no_leak();
}

TestSuite(labs, .init = setup, .fini = teardown, .timeout = 300);

Test(labs, hands_on) { lab_test("../topologies/vpc-peering.conf", "handson", 0); }
Test(labs, three_tier) { lab_test("../topologies/three-tier.conf", "tier", 0); }
Test(labs, transitive) { lab_test("../topologies/transitive.conf", "trans", 0); }

/* A wrong expectation must fail the run: the harness can say no. */
Test(labs, wrong_expectation_fails)
{
	lab_test("integration/labs/wrong-expectation.conf", "wrong", 1);
}

/* up builds what DESIGN.md says, seen with ip/nft/ping, not our own view;
 * a second up changes nothing; a damaged lab is repaired; down is total. */
Test(labs, up_is_real_idempotent_and_repairable)
{
	static char out[65536];
	char ns_a[160], ns_b[160], ns_r[160];
	int rc;

	name_lab("real");
	snprintf(ns_a, sizeof(ns_a), "%s-EC2-A", lab_name);
	snprintf(ns_b, sizeof(ns_b), "%s-EC2-B", lab_name);
	snprintf(ns_r, sizeof(ns_r), "%s-VPC-A", lab_name);

	rc = RUN(out, (char *)vpcemu(), "up", "../topologies/vpc-peering.conf",
		 "--name", lab_name);
	cr_assert_eq(rc, 0, "up: %s", out);

	cr_expect_eq(RUN(out, "ip", "netns", "exec", ns_a, "ping", "-c", "1",
			 "-W", "2", "10.2.1.10"), 0, "ping A->B: %s", out);
	cr_expect_eq(RUN(out, "ip", "-n", ns_r, "rule"), 0);
	cr_expect(strstr(out, "iif eni-") != NULL, "no iif rule: %s", out);
	cr_expect_eq(RUN(out, "ip", "netns", "exec", ns_r, "nft", "list",
			 "table", "inet", "vpcemu"), 0, "%s", out);
	cr_expect_eq(RUN(out, "ip", "-n", ns_a, "-4", "addr", "show", "eth0"), 0);
	cr_expect(strstr(out, "10.1.1.10/24") != NULL, "eth0: %s", out);

	rc = RUN(out, (char *)vpcemu(), "up", "../topologies/vpc-peering.conf",
		 "--name", lab_name);
	cr_expect_eq(rc, 0);
	cr_expect(strstr(out, "nothing changed") != NULL, "second up: %s", out);

	/* Half-built: one namespace gone; up repairs, ping works again. */
	cr_expect_eq(RUN(out, "ip", "netns", "del", ns_b), 0);
	cr_expect_neq(RUN(out, "ip", "netns", "exec", ns_a, "ping", "-c", "1",
			  "-W", "1", "10.2.1.10"), 0);
	rc = RUN(out, (char *)vpcemu(), "up", "../topologies/vpc-peering.conf",
		 "--name", lab_name);
	cr_expect_eq(rc, 0, "repair: %s", out);
	cr_expect_eq(RUN(out, (char *)vpcemu(), "exec", "--lab", lab_name,
			 "EC2-A", "--", "ping", "-c", "1", "-W", "2",
			 "10.2.1.10"), 0, "ping after repair: %s", out);

	/* exec passes the exit status through and runs in the instance. */
	cr_expect_eq(RUN(out, (char *)vpcemu(), "exec", "--lab", lab_name,
			 "EC2-B", "--", "sh", "-c", "exit 7"), 7);
	cr_expect_eq(RUN(out, (char *)vpcemu(), "exec", "--lab", lab_name,
			 "EC2-B", "--", "cat", "/etc/resolv.conf"), 0);
	cr_expect(strstr(out, "nameserver 10.2.0.2") != NULL, "%s", out);

	rc = RUN(out, (char *)vpcemu(), "down", lab_name);
	cr_expect_eq(rc, 0, "down: %s", out);
	assert_no_leak();
	rc = RUN(out, (char *)vpcemu(), "down", lab_name);
	cr_expect_eq(rc, 0, "second down: %s", out);
	cr_expect(strstr(out, "not up") != NULL, "%s", out);
}

/* A lab file with errors creates nothing. */
Test(labs, invalid_lab_creates_nothing)
{
	static char out[8192];
	int rc;

	name_lab("bad");
	rc = RUN(out, (char *)vpcemu(), "up", "integration/labs/invalid.conf",
		 "--name", lab_name);
	cr_expect_eq(rc, 1, "%s", out);
	cr_expect(strstr(out, "InvalidSubnet.Range") != NULL, "%s", out);
	assert_no_leak();
}
