/* test_crash.c - vpcemud killed with SIGKILL in the middle of `up`: the
 * lab's state file was written before the kernel was touched, so the next
 * `up` (which starts a new daemon) converges to the whole lab, traffic
 * works, and `down` removes every namespace and file (issue: crash safety).
 *
 * The daemon is the run's private one (VPCEMU_SOCKET, set by
 * scripts/run-integration), killed by the PID in its pid file. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static char lab_name[64], conf[128];

/* The pid file sits beside the socket (vpcemud.sock -> vpcemud.pid). */
static pid_t daemon_pid(void)
{
	const char *sock = getenv("VPCEMU_SOCKET");
	char path[300], *dot;
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s",
		 sock ? sock : "/run/vpcemu/vpcemud.sock");
	dot = strrchr(path, '.');
	if (dot)
		snprintf(dot, sizeof(path) - (size_t)(dot - path), ".pid");
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	snprintf(lab_name, sizeof(lab_name), "it%d-crash", (int)getpid());
	snprintf(conf, sizeof(conf), "/tmp/%s.conf", lab_name);
	cr_assert_eq(test_sh("../tests/bench/genlab 2 20 %s > %s", lab_name,
			     conf), 0);
}

static void teardown(void)
{
	if (geteuid() != 0)
		return;
	test_sh("%s down %s >/dev/null 2>&1", vpcemu(), lab_name);
	unlink(conf);
}

TestSuite(crash, .init = setup, .fini = teardown, .timeout = 120);

/* Kill points from "before the first namespace" to "nearly done"; each is
 * a separate up, kill, up, check, down. */
Test(crash, kill_daemon_during_up_then_converge)
{
	static const unsigned delays_ms[] = { 0, 15, 40, 80 };
	size_t i;

	for (i = 0; i < sizeof(delays_ms) / sizeof(delays_ms[0]); i++) {
		pid_t pid;
		char *out;

		/* Make sure a daemon runs, then start an up and kill it. */
		cr_assert_eq(test_sh("%s status >/dev/null", vpcemu()), 0);
		pid = daemon_pid();
		cr_assert_gt(pid, 0, "no vpcemud pid file");
		test_sh("%s up %s >/dev/null 2>&1 & sleep %u.%03u; kill -9 %d; "
			"wait", vpcemu(), conf, delays_ms[i] / 1000,
			delays_ms[i] % 1000, (int)pid);

		/* The next up starts a new daemon and converges. */
		out = test_sh_output("%s up %s 2>&1", vpcemu(), conf);
		cr_expect(strstr(out, "is up") || strstr(out, "repaired") ||
				  strstr(out, "up to date"),
			  "kill after %u ms, then up: %s", delays_ms[i], out);
		free(out);
		cr_expect_eq(test_sh("ip netns exec %s-i1-20 ping -c 1 -W 2 "
				     "10.2.1.23 >/dev/null", lab_name), 0,
			     "kill after %u ms: no ping across the peering",
			     delays_ms[i]);

		/* down removes everything, whatever the daemon saw. */
		cr_expect_eq(test_sh("%s down %s >/dev/null", vpcemu(),
				     lab_name), 0);
		cr_expect_eq(test_sh("ls /run/netns /etc/netns 2>/dev/null | "
				     "grep -q '^%s-'", lab_name), 1,
			     "kill after %u ms: namespaces left after down",
			     delays_ms[i]);
	}
}
