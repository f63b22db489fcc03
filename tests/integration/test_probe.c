/* test_probe.c - probes and nsexec against two real namespaces.
 *
 * Each test gets its own pair, pr<pid>-a and pr<pid>-b (pid of the Criterion
 * worker), joined by a veth: 192.0.2.1/30 in a, 192.0.2.2/30 in b. The lab
 * is built and checked with `ip` and `nft`, independent of our code. .fini
 * removes it; a sweep in the runner removes what a crashed worker left
 * (pairs whose pid no longer runs). Needs root; run with --jobs 1.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/hooks.h>

#include "vpcemu/model.h"
#include "vpcemu/nsexec.h"
#include "vpcemu/probe.h"

#include "helpers.h"

#define IP_A 0xc0000201		/* 192.0.2.1 */
#define IP_B 0xc0000202		/* 192.0.2.2 */
#define TIMEOUT_MS 1000

static char ns_a[32], ns_b[32], if_a[16], if_b[16];
static bool lab_made;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void lab_del(int pid)
{
	test_sh("ip netns del pr%d-a 2>/dev/null; "
		"ip netns del pr%d-b 2>/dev/null; "
		"rm -rf /etc/netns/pr%d-a /etc/netns/pr%d-b",
		pid, pid, pid, pid);
}

static void lab_up(void)
{
	int pid = getpid();

	if (geteuid() != 0)
		return;
	snprintf(ns_a, sizeof(ns_a), "pr%d-a", pid);
	snprintf(ns_b, sizeof(ns_b), "pr%d-b", pid);
	snprintf(if_a, sizeof(if_a), "pr%da", pid);
	snprintf(if_b, sizeof(if_b), "pr%db", pid);
	lab_made = true;
	cr_assert_eq(test_sh("ip netns add %s && ip netns add %s", ns_a, ns_b),
		     0);
	cr_assert_eq(test_sh("ip link add %s netns %s type veth peer name %s "
			     "netns %s",
			     if_a, ns_a, if_b, ns_b),
		     0);
	cr_assert_eq(test_sh("ip -n %s addr add 192.0.2.1/30 dev %s && "
			     "ip -n %s link set %s up && "
			     "ip -n %s link set lo up",
			     ns_a, if_a, ns_a, if_a, ns_a),
		     0);
	cr_assert_eq(test_sh("ip -n %s addr add 192.0.2.2/30 dev %s && "
			     "ip -n %s link set %s up && "
			     "ip -n %s link set lo up",
			     ns_b, if_b, ns_b, if_b, ns_b),
		     0);
}

static void lab_down(void)
{
	if (lab_made)
		lab_del(getpid());
}

/* Runner side: remove pairs of workers that are gone (crashed before
 * .fini). Pairs of live processes may belong to a concurrent run. */
static void sweep(void)
{
	const char *dirs[] = { NSEXEC_RUN_DIR, NSEXEC_ETC_DIR };
	struct dirent *de;
	size_t i;
	DIR *d;

	if (geteuid() != 0)
		return;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		d = opendir(dirs[i]);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			char side;
			int pid, n = 0;

			if (sscanf(de->d_name, "pr%d-%c%n", &pid, &side, &n) !=
				    2 ||
			    de->d_name[n] || (side != 'a' && side != 'b') ||
			    !isdigit((unsigned char)de->d_name[2]) || pid <= 0)
				continue;
			if (kill(pid, 0) < 0 && errno == ESRCH)
				lab_del(pid);
		}
		closedir(d);
	}
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	sweep();
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	sweep();
}

#define REQUIRE_ROOT()                                                        \
	do {                                                                  \
		if (geteuid() != 0)                                           \
			cr_skip_test("needs root");                           \
	} while (0)

static const struct proto_match icmp = {
	.kind = PROTO_ICMP, .number = 1, .icmp_type = -1, .icmp_code = -1,
};
static const struct proto_match tcp8080 = {
	.kind = PROTO_TCP, .number = 6, .port_lo = 8080, .port_hi = 8080,
};
static const struct proto_match udp5353 = {
	.kind = PROTO_UDP, .number = 17, .port_lo = 5353, .port_hi = 5353,
};

/* Every child a probe forks must be reaped by the time it returns. */
static void assert_no_children(void)
{
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
}

TestSuite(probe, .init = lab_up, .fini = lab_down, .timeout = 60);

Test(probe, reachable)
{
	const struct proto_match *p[] = { &icmp, &tcp8080, &udp5353 };
	bool ok;
	size_t i;

	REQUIRE_ROOT();
	for (i = 0; i < 3; i++) {
		ok = false;
		cr_assert_eq(probe_run(ns_a, ns_b, IP_B, p[i], TIMEOUT_MS, &ok),
			     0, "proto %d", p[i]->kind);
		cr_assert(ok, "a -> b proto %d should be reachable",
			  p[i]->kind);
		ok = false;
		cr_assert_eq(probe_run(ns_b, ns_a, IP_A, p[i], TIMEOUT_MS, &ok),
			     0);
		cr_assert(ok, "b -> a proto %d should be reachable",
			  p[i]->kind);
	}
	/* The listener is gone: the port is free again at once. */
	cr_assert_eq(probe_run(ns_a, ns_b, IP_B, &tcp8080, TIMEOUT_MS, &ok), 0);
	cr_assert(ok);
	assert_no_children();
}

Test(probe, refused_without_listener)
{
	bool ok = true;

	REQUIRE_ROOT();
	/* No namespace of ours at the far end: nobody listens, b answers
	 * with RST and port unreachable. */
	cr_assert_eq(probe_run(ns_a, NULL, IP_B, &tcp8080, TIMEOUT_MS, &ok),
		     -ECONNREFUSED);
	cr_assert_not(ok);
	ok = true;
	cr_assert_eq(probe_run(ns_a, NULL, IP_B, &udp5353, TIMEOUT_MS, &ok),
		     -ECONNREFUSED);
	cr_assert_not(ok);
	cr_assert_eq(probe_run(ns_a, NULL, IP_B, &icmp, TIMEOUT_MS, &ok), 0);
	cr_assert(ok);
	assert_no_children();
}

Test(probe, bad_arguments)
{
	struct proto_match all = { .kind = PROTO_ALL };
	struct proto_match tcp0 = { .kind = PROTO_TCP };
	char missing[32];
	bool ok = true;

	REQUIRE_ROOT();
	snprintf(missing, sizeof(missing), "pr%d-none", getpid());
	cr_assert_eq(probe_run(missing, NULL, IP_B, &icmp, TIMEOUT_MS, &ok),
		     -ENOENT);
	cr_assert_not(ok);
	cr_assert_eq(probe_run(ns_a, missing, IP_B, &tcp8080, TIMEOUT_MS, &ok),
		     -ENOENT);
	cr_assert_eq(probe_run(ns_a, ns_b, IP_B, &all, TIMEOUT_MS, &ok),
		     -EOPNOTSUPP);
	cr_assert_eq(probe_run(ns_a, ns_b, IP_B, &tcp0, TIMEOUT_MS, &ok),
		     -EINVAL);
	cr_assert_eq(probe_run(ns_a, ns_b, IP_B, &icmp, 0, &ok), -EINVAL);
	cr_assert_eq(probe_run("../a", ns_b, IP_B, &icmp, TIMEOUT_MS, &ok),
		     -EINVAL);
	assert_no_children();
}

Test(probe, filtered)
{
	const struct proto_match *p[] = { &icmp, &tcp8080, &udp5353 };
	int64_t t0, dt;
	bool ok;
	size_t i;

	REQUIRE_ROOT();
	/* The "reachable" twin first, so the drop below is what changes. */
	cr_assert_eq(probe_run(ns_a, ns_b, IP_B, &tcp8080, TIMEOUT_MS, &ok), 0);
	cr_assert(ok);
	cr_assert_eq(test_sh("ip netns exec %s nft 'add table inet t; "
			     "add chain inet t in { type filter hook input "
			     "priority 0; policy drop; }'",
			     ns_b),
		     0);
	for (i = 0; i < 3; i++) {
		ok = true;
		t0 = now_ms();
		cr_assert_eq(probe_run(ns_a, ns_b, IP_B, p[i], TIMEOUT_MS, &ok),
			     0, "proto %d", p[i]->kind);
		dt = now_ms() - t0;
		cr_assert_not(ok, "proto %d should be filtered", p[i]->kind);
		cr_assert(dt >= TIMEOUT_MS - 50 && dt < TIMEOUT_MS + 1500,
			  "proto %d took %lld ms", p[i]->kind, (long long)dt);
	}
	assert_no_children();
}

Test(probe, nsexec_status)
{
	char *t[] = { "true", NULL };
	char *f[] = { "false", NULL };
	char *seven[] = { "sh", "-c", "exit 7", NULL };
	char *killed[] = { "sh", "-c", "kill -TERM $$", NULL };
	char *has_a[] = { "sh", "-c", "ip -o addr show | grep -q 192.0.2.1",
			  NULL };
	/* Ctrl-C of a terminal reaches the whole foreground group: the
	 * caller must survive it while the command decides. */
	char *sigint_parent[] = { "sh", "-c", "kill -INT $PPID; exit 3", NULL };
	char *nothere[] = { "/nonexistent/vpcemu-no-such-command", NULL };
	char missing[32];
	int st;

	REQUIRE_ROOT();
	cr_assert_eq(nsexec_run(ns_a, t, &st), 0);
	cr_assert_eq(st, 0);
	cr_assert_eq(nsexec_run(ns_a, f, &st), 0);
	cr_assert_eq(st, 1);
	cr_assert_eq(nsexec_run(ns_a, seven, &st), 0);
	cr_assert_eq(st, 7);
	cr_assert_eq(nsexec_run(ns_a, killed, &st), 0);
	cr_assert_eq(st, 128 + SIGTERM);
	cr_assert_eq(nsexec_run(ns_a, sigint_parent, &st), 0);
	cr_assert_eq(st, 3);
	cr_assert_eq(nsexec_run(ns_a, has_a, &st), 0);
	cr_assert_eq(st, 0, "192.0.2.1 should be in %s", ns_a);
	cr_assert_eq(nsexec_run(ns_b, has_a, &st), 0);
	cr_assert_eq(st, 1, "192.0.2.1 should not be in %s", ns_b);

	snprintf(missing, sizeof(missing), "pr%d-none", getpid());
	cr_assert_eq(nsexec_run(missing, t, &st), -ENOENT);
	cr_assert_eq(st, -1);
	cr_assert_eq(nsexec_run(ns_a, nothere, &st), -ENOENT);
	cr_assert_eq(st, 127);
	assert_no_children();
}

Test(probe, nsexec_etc_and_sys)
{
	char marker[64], cmd[128], sysdir[64];
	char *grep[] = { "grep", "-q", marker, "/etc/hosts", NULL };
	char *sys[] = { "test", "-d", sysdir, NULL };
	int st;

	REQUIRE_ROOT();
	snprintf(marker, sizeof(marker), "pr%d-marker", getpid());
	cr_assert_eq(test_sh("mkdir -p /etc/netns/%s && "
			     "echo '192.0.2.1 %s' > /etc/netns/%s/hosts",
			     ns_a, marker, ns_a),
		     0);
	cr_assert_eq(nsexec_run(ns_a, grep, &st), 0);
	cr_assert_eq(st, 0, "/etc/netns/%s/hosts should be over /etc/hosts",
		     ns_a);
	cr_assert_eq(nsexec_run(ns_b, grep, &st), 0);
	cr_assert_eq(st, 1);
	/* The bind stayed in the child's mount namespace. */
	snprintf(cmd, sizeof(cmd), "grep -q %s /etc/hosts", marker);
	cr_assert_eq(test_sh("%s", cmd), 1);

	/* /sys describes the namespace, not the host. */
	snprintf(sysdir, sizeof(sysdir), "/sys/class/net/%s", if_a);
	cr_assert_eq(nsexec_run(ns_a, sys, &st), 0);
	cr_assert_eq(st, 0);
	cr_assert_eq(nsexec_run(ns_b, sys, &st), 0);
	cr_assert_eq(st, 1);
	cr_assert_eq(test_sh("test -d %s", sysdir), 1);
	assert_no_children();
}
