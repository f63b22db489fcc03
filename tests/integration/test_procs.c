/* test_procs.c - instances own their processes (issue 14), with real
 * processes in real namespaces: down and terminate-instances stop what
 * runs inside (user data servers, exec, `ip netns exec` by hand, a process
 * that ignores SIGTERM) and nothing outside; exec runs the command in
 * place; an ambiguous SSM target is a usage error.
 *
 * Processes are seen with independent tools (`ip netns pids`, /proc), and
 * every process a test starts outside a lab it kills itself, by PID.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "vpcemu/procs.h"

#define LAB_FILE "integration/labs/procs/procs.conf"

static char lab_name[128], lab2_name[128];

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
}

static void teardown(void)
{
	if (geteuid() != 0)
		return;
	if (lab_name[0])
		RUN((char *)NULL, (char *)vpcemu(), "down", lab_name);
	if (lab2_name[0])
		RUN((char *)NULL, (char *)vpcemu(), "down", lab2_name);
}

TestSuite(procs, .init = setup, .fini = teardown, .timeout = 120);

static void name_lab(char *buf, const char *suffix)
{
	snprintf(buf, sizeof(lab_name), "it%d-%s", (int)getpid(), suffix);
}

static void up(const char *lab)
{
	static char out[16384];

	cr_assert_eq(RUN(out, (char *)vpcemu(), "up", LAB_FILE, "--name",
			 (char *)lab), 0, "up: %s", out);
}

/* The PIDs of processes in namespace LAB-INST, by `ip netns pids`. */
static size_t ns_pids(const char *lab, const char *inst, pid_t *pids,
		      size_t max)
{
	char out[4096], ns[192], *p, *end;
	size_t n = 0;

	snprintf(ns, sizeof(ns), "%s-%s", lab, inst);
	if (RUN(out, "ip", "netns", "pids", ns) != 0)
		return 0;
	for (p = out; n < max; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		pids[n++] = (pid_t)v;
	}
	return n;
}

/* Whether LAB-INST's cgroup group is gone. */
static bool group_gone(const char *lab, const char *inst)
{
	char root[PATH_MAX], path[PATH_MAX + 256];

	if (procs_root(root, sizeof(root)) < 0)
		return true;
	snprintf(path, sizeof(path), "%s/%s-%s", root, lab, inst);
	return access(path, F_OK) < 0;
}

/* down exits 0; then nothing of the lab is left: namespace, /etc/netns,
 * state, cgroup group, and none of pids runs. Returns down's time in ms. */
static int64_t down_clean(const char *lab, const pid_t *pids, size_t n)
{
	static char out[16384];
	int64_t t0 = test_now_ms(), dt;
	size_t i;

	cr_expect_eq(RUN(out, (char *)vpcemu(), "down", (char *)lab), 0,
		     "down: %s", out);
	dt = test_now_ms() - t0;
	for (i = 0; i < n; i++)
		cr_expect(test_process_gone(pids[i]),
			  "process %d of the lab survived down", (int)pids[i]);
	test_assert_no_leak(lab);
	cr_expect(group_gone(lab, "EC2-A") && group_gone(lab, "EC2-B"),
		  "cgroup of %s left", lab);
	return dt;
}

/* Waits (10 s at most) until cond of LAB-EC2-A holds. */
static bool wait_sh(const char *fmt, const char *lab)
{
	int64_t deadline = test_now_ms() + 10000;

	while (test_now_ms() < deadline) {
		if (test_sh(fmt, lab) == 0)
			return true;
		test_pause_ms(50);
	}
	return false;
}

/* Starts argv as our child, output to /dev/null. */
static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}
#define SPAWN(...) spawn((char *const[]){ __VA_ARGS__, NULL })

/* A background process started with vpcemu exec; its PID. */
static pid_t exec_background(const char *lab, const char *inst,
			     const char *cmd)
{
	char out[256], sh[512];

	snprintf(sh, sizeof(sh), "%s >/dev/null 2>&1 </dev/null & echo $!",
		 cmd);
	cr_assert_eq(RUN(out, (char *)vpcemu(), "exec", "--lab", (char *)lab,
			 (char *)inst, "--", "sh", "-c", sh), 0, "%s", out);
	return (pid_t)atoi(out);
}

static bool netns_of(pid_t pid, const char *ns)
{
	char a[64], b[PATH_MAX];
	struct stat sa, sb;

	snprintf(a, sizeof(a), "/proc/%d/ns/net", (int)pid);
	snprintf(b, sizeof(b), "/run/netns/%s", ns);
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

/* User data leaves a web server and a loop running; it answers from EC2-B
 * (the server is real), and down still finishes, with nothing left. */
Test(procs, user_data_server_then_down)
{
	pid_t pids[64];
	size_t n;

	name_lab(lab_name, "ud");
	up(lab_name);
	cr_assert(wait_sh("ip netns exec %s-EC2-A ss -Hltn 'sport = :80' | "
			  "grep -q LISTEN", lab_name),
		  "the user data's server never listened");
	cr_expect_eq(test_sh("ip netns exec %s-EC2-B curl -s -o /dev/null "
			     "-m 3 http://10.1.1.10/", lab_name), 0,
		     "the server does not answer before down");
	n = ns_pids(lab_name, "EC2-A", pids, 64);
	cr_expect_geq(n, 2, "user data left %zu processes", n);
	down_clean(lab_name, pids, n);
}

/* vpcemu exec of a background process, then down. */
Test(procs, exec_background_then_down)
{
	char ns[192];
	pid_t pid;

	name_lab(lab_name, "bg");
	up(lab_name);
	pid = exec_background(lab_name, "EC2-B", "sleep 1000");
	snprintf(ns, sizeof(ns), "%s-EC2-B", lab_name);
	cr_assert_gt(pid, 1);
	cr_expect(netns_of(pid, ns), "the exec'd sleep is not in %s", ns);
	down_clean(lab_name, &pid, 1);
}

/* exec is the command: SIGTERM to vpcemu exec's PID ends the command, and
 * no process is left in the namespace. Its twin: the command's own exit
 * status comes back unchanged (7). */
Test(procs, exec_in_place_sigterm)
{
	char out[256], ns[192], comm[64], path[64];
	int64_t deadline;
	int st;
	pid_t pid, got, left[8];
	FILE *f;

	name_lab(lab_name, "sig");
	up(lab_name);
	snprintf(ns, sizeof(ns), "%s-EC2-B", lab_name);
	pid = SPAWN((char *)vpcemu(), "exec", "--lab", lab_name, "EC2-B",
		    "--", "sleep", "1000");
	/* In place: the same PID becomes sleep, inside the namespace. */
	deadline = test_now_ms() + 5000;
	comm[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	while (test_now_ms() < deadline) {
		f = fopen(path, "r");
		if (f) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = '\0';
			fclose(f);
		}
		if (!strcmp(comm, "sleep\n") && netns_of(pid, ns))
			break;
		test_pause_ms(20);
	}
	cr_expect_str_eq(comm, "sleep\n", "vpcemu exec did not exec in place");
	kill(pid, SIGTERM);
	got = waitpid(pid, &st, 0);
	cr_assert_eq(got, pid);
	cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
		  "status %#x: not killed by SIGTERM", st);
	cr_expect_eq(ns_pids(lab_name, "EC2-B", left, 8), 0,
		     "a process outlived the SIGTERM of vpcemu exec");
	cr_expect_eq(RUN(out, (char *)vpcemu(), "exec", "--lab", lab_name,
			 "EC2-B", "--", "sh", "-c", "exit 7"), 7);
	down_clean(lab_name, NULL, 0);
}

/* A process that came in by `ip netns exec` by hand, and one that ignores
 * SIGTERM: down kills both (the second after the grace period). */
Test(procs, by_hand_and_sigterm_ignored)
{
	char ns[192];
	pid_t pids[2];
	int64_t dt;
	int i;

	name_lab(lab_name, "hand");
	up(lab_name);
	snprintf(ns, sizeof(ns), "%s-EC2-B", lab_name);
	pids[0] = SPAWN("ip", "netns", "exec", ns, "sleep", "1000");
	pids[1] = SPAWN("ip", "netns", "exec", ns, "sh", "-c",
			"trap '' TERM; while :; do sleep 1; done");
	for (i = 0; i < 100 && !(netns_of(pids[0], ns) &&
				 netns_of(pids[1], ns)); i++)
		test_pause_ms(20);
	cr_assert(netns_of(pids[0], ns) && netns_of(pids[1], ns));
	dt = down_clean(lab_name, pids, 2);
	cr_expect_geq(dt, PROCS_GRACE_MS, "down %lld ms: no grace period?",
		      (long long)dt);
	cr_expect_lt(dt, 5000, "down took %lld ms", (long long)dt);
	for (i = 0; i < 2; i++)
		waitpid(pids[i], NULL, 0);
}

/* The blocked twin of every kill: a process outside the lab with the same
 * command line as one inside survives down. */
Test(procs, outside_process_survives)
{
	pid_t inside, outside;

	name_lab(lab_name, "out");
	up(lab_name);
	outside = SPAWN("sleep", "1000");
	inside = exec_background(lab_name, "EC2-B", "sleep 1000");
	down_clean(lab_name, &inside, 1);
	cr_expect(!test_process_gone(outside),
		  "down killed process %d outside the lab", (int)outside);
	kill(outside, SIGKILL);
	waitpid(outside, NULL, 0);
}

/* terminate-instances stops the processes of that instance only. */
Test(procs, terminate_kills_its_processes_only)
{
	static char out[16384];
	pid_t a, b;

	name_lab(lab_name, "term");
	up(lab_name);
	a = exec_background(lab_name, "EC2-A", "sleep 1000");
	b = exec_background(lab_name, "EC2-B", "sleep 1000");
	cr_assert_eq(RUN(out, (char *)vpcemu(), "ec2", "--lab", lab_name,
			 "terminate-instances", "--instance-ids", "EC2-A"), 0,
		     "terminate: %s", out);
	cr_expect(test_process_gone(a), "EC2-A's process survived terminate");
	cr_expect(group_gone(lab_name, "EC2-A"), "EC2-A's cgroup left");
	cr_expect(!test_process_gone(b), "terminate of EC2-A killed EC2-B's");
	down_clean(lab_name, &b, 1);
}

/* An SSM target in two labs is a usage error naming both; with --lab it
 * is not. */
Test(procs, ssm_ambiguous_target_is_usage_error)
{
	char *o;

	name_lab(lab_name, "ssm1");
	name_lab(lab2_name, "ssm2");
	up(lab_name);
	up(lab2_name);
	cr_expect_eq(test_sh("%s ssm start-session --target EC2-B "
			     "</dev/null >/dev/null 2>&1", vpcemu()), 2);
	o = test_sh_output("%s ssm start-session --target EC2-B </dev/null "
			   "2>&1", vpcemu());
	cr_expect(strstr(o, lab_name) && strstr(o, lab2_name) &&
		  !strstr(o, "TargetNotConnected"), "%s", o);
	free(o);
	/* The twin: one lab named, a connectivity verdict (no role). */
	cr_expect_eq(test_sh("%s ssm start-session --lab %s --target EC2-B "
			     "</dev/null >/dev/null 2>&1", vpcemu(), lab_name),
		     254);
	down_clean(lab_name, NULL, 0);
	down_clean(lab2_name, NULL, 0);
}

/* A namespace removed by hand while a process of the instance holds it:
 * status says degraded and names it (never up), up repairs it, and down
 * still kills the process in the orphaned namespace (found through the
 * instance's group) and leaves nothing. */
/* Lab suffix up, a sleep started in EC2-B, then EC2-B's namespace
 * removed by hand (into ns): the sleep holds it. Returns the sleep's PID. */
static pid_t orphan_lab(const char *suffix, char *ns, size_t len)
{
	char out[1024];
	pid_t pid;

	name_lab(lab_name, suffix);
	up(lab_name);
	snprintf(ns, len, "%s-EC2-B", lab_name);
	pid = exec_background(lab_name, "EC2-B", "sleep 1000");
	cr_assert_eq(RUN(out, "ip", "netns", "del", ns), 0, "%s", out);
	return pid;
}

Test(procs, degraded_status_repair_and_orphan)
{
	static char out[16384];
	char ns[192];
	pid_t pid = orphan_lab("orph", ns, sizeof(ns));

	cr_expect_eq(RUN(out, (char *)vpcemu(), "status"), 0);
	cr_expect(strstr(out, "degraded") && strstr(out, ns),
		  "status of a lab without %s: %s", ns, out);
	cr_expect_eq(RUN(out, (char *)vpcemu(), "status", lab_name), 0);
	cr_expect(strstr(out, "(degraded: 1 of "), "%s", out);
	cr_expect(!test_process_gone(pid), "the orphan died too early");
	up(lab_name);
	cr_expect_eq(RUN(out, (char *)vpcemu(), "status", lab_name), 0);
	cr_expect(strstr(out, "(up)"), "after repair: %s", out);
	down_clean(lab_name, &pid, 1);
}

/* The same without the repair: down kills the process that holds the
 * namespace removed by hand (its name is gone, its group is not). */
Test(procs, orphan_without_repair)
{
	char ns[192];
	pid_t pid = orphan_lab("orph2", ns, sizeof(ns));

	down_clean(lab_name, &pid, 1);
}
