/* test_crash.c - vpcemud killed with SIGKILL, and labs that must survive it
 * (issue 4: crash safety; issue 5: services):
 *   - in the middle of `up`: the state file was written before the kernel
 *     was touched, so the next `up` (which starts a new daemon) converges,
 *     traffic works, and `down` removes everything;
 *   - in the middle of `apply`, at every change of the state files and
 *     at moments spread over the kernel work (the Nth netlink message, a
 *     namespace half made, an /etc/netns file): the next `apply` of the
 *     new file converges to it, or the next `apply` (or `up`) of the old
 *     file converges back, change and all (not only its namespaces), and
 *     `down` then leaves nothing;
 *   - while a lab with services runs: the next command starts a daemon
 *     that serves the lab's DNS and IMDS again;
 *   - `down` while a Session Manager probe into the lab waits: the probe's
 *     client gets TargetNotConnected at once, the daemon goes on.
 *
 * A kill "at a moment" is deterministic: strace, attached to the daemon,
 * sends SIGKILL on entry to the Nth call of one system call, and the
 * kernel then skips that call (a syscall-entry stop that finds a fatal
 * signal pending runs nothing). Kills by time alone would land wherever a
 * loaded machine happens to be: an apply of 30 instances takes 0.15 s.
 *
 * The daemon is the run's private one (VPCEMU_SOCKET, set by
 * scripts/run-integration), killed by the PID in its pid file. Labs are
 * named "it<pid>-crash..." and taken down in .fini. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "vpcemu/ctl.h"
#include "vpcemu/ssm.h"
#include "vpcemu/state.h"

#include "helpers.h"

#define LABS "integration/labs/"
#define OLD LABS "crash/apply-old.conf"
#define NEW LABS "crash/apply-new.conf"

static char lab_name[64], conf[128];
static pid_t strace_pid;

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

/* Makes sure a daemon answers (a command starts one) and returns its pid. */
static pid_t daemon_running(void)
{
	pid_t pid;

	cr_assert_eq(test_sh("%s status >/dev/null", vpcemu()), 0);
	pid = daemon_pid();
	cr_assert_gt(pid, 0, "no vpcemud pid file");
	return pid;
}

static bool gone_within(pid_t pid, int64_t ms)
{
	int64_t deadline = test_now_ms() + ms;

	while (!test_process_gone(pid) && test_now_ms() < deadline)
		test_pause_ms(10);
	return test_process_gone(pid);
}

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
}

/* Stops strace (it detaches, the daemon goes on) if it still runs. */
static void strace_stop(void)
{
	int64_t deadline = test_now_ms() + 5000;

	if (strace_pid <= 0)
		return;
	kill(strace_pid, SIGTERM);
	while (waitpid(strace_pid, NULL, WNOHANG) == 0) {
		if (test_now_ms() > deadline) {
			kill(strace_pid, SIGKILL);
			waitpid(strace_pid, NULL, 0);
			break;
		}
		test_pause_ms(10);
	}
	strace_pid = 0;
}

static void teardown(void)
{
	if (geteuid() != 0)
		return;
	strace_stop();
	if (lab_name[0])
		test_sh("%s down %s >/dev/null 2>&1", vpcemu(), lab_name);
	if (conf[0])
		unlink(conf);
}

TestSuite(crash, .init = setup, .fini = teardown, .timeout = 300);

static void name_lab(const char *suffix)
{
	snprintf(lab_name, sizeof(lab_name), "it%d-%s", (int)getpid(),
		 suffix);
}

/* Kill points from "before the first namespace" to "nearly done": each
 * is a separate up, kill, up, check, down. An up of this lab takes tens
 * of milliseconds, so the points are fractions of one measured up, not
 * fixed delays that would mostly land after it. */
Test(crash, kill_daemon_during_up_then_converge)
{
	static const unsigned quarters[] = { 0, 1, 2, 3 };
	int64_t t0, up_ms;
	size_t i;

	name_lab("crash");
	snprintf(conf, sizeof(conf), "/tmp/%s.conf", lab_name);
	cr_assert_eq(test_sh("../tests/bench/genlab 2 20 %s > %s", lab_name,
			     conf), 0);
	daemon_running();
	t0 = test_now_ms();
	cr_assert_eq(test_sh("%s up %s >/dev/null", vpcemu(), conf), 0);
	up_ms = test_now_ms() - t0;
	cr_assert_eq(test_sh("%s down %s >/dev/null", vpcemu(), lab_name), 0);

	for (i = 0; i < sizeof(quarters) / sizeof(quarters[0]); i++) {
		unsigned delay_ms = (unsigned)(up_ms * quarters[i] / 4);
		pid_t pid = daemon_running();
		char *out;

		test_sh("%s up %s >/dev/null 2>&1 & sleep %u.%03u; kill -9 %d; "
			"wait", vpcemu(), conf, delay_ms / 1000,
			delay_ms % 1000, (int)pid);
		/* SIGKILL takes effect asynchronously: until the process is
		 * gone its socket still takes connections, and then resets
		 * them. A crash is over once the process is. */
		cr_assert(gone_within(pid, 5000), "vpcemud %d outlived kill -9",
			  (int)pid);

		/* The next up starts a new daemon and converges. */
		out = test_sh_output("%s up %s 2>&1", vpcemu(), conf);
		cr_expect(strstr(out, "is up") || strstr(out, "repaired") ||
				  strstr(out, "up to date"),
			  "kill after %u ms, then up: %s", delay_ms, out);
		free(out);
		cr_expect_eq(test_sh("ip netns exec %s-i1-20 ping -c 1 -W 2 "
				     "10.2.1.23 >/dev/null", lab_name), 0,
			     "kill after %u ms: no ping across the peering",
			     delay_ms);

		/* down removes everything, whatever the daemon saw. */
		cr_expect_eq(test_sh("%s down %s >/dev/null", vpcemu(),
				     lab_name), 0);
		cr_expect_eq(test_sh("ls /run/netns /etc/netns 2>/dev/null | "
				     "grep -q '^%s-'", lab_name), 1,
			     "kill after %u ms: namespaces left after down",
			     delay_ms);
	}
}

/* ---- kills at a system call ---------------------------------------------- */

/* Has pid a tracer, and is it tracer? */
static bool traced_by(pid_t pid, pid_t tracer)
{
	char path[64], line[128];
	long t = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %ld", &t) == 1)
			break;
	fclose(f);
	return t == (long)tracer;
}

/* Arms SIGKILL for pid (and its threads) on entry to the nth call of
 * syscall, counted from now; returns once strace holds it. */
static void kill_at(pid_t pid, const char *syscall, unsigned n)
{
	char spid[16], trace[64], inject[96];
	int64_t deadline = test_now_ms() + 5000;

	snprintf(spid, sizeof(spid), "%d", (int)pid);
	snprintf(trace, sizeof(trace), "trace=%s", syscall);
	snprintf(inject, sizeof(inject), "inject=%s:signal=KILL:when=%u",
		 syscall, n);
	strace_pid = fork();
	cr_assert_geq(strace_pid, 0);
	if (strace_pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 1);
		dup2(null, 2);
		execlp("strace", "strace", "-qq", "-f", "-o", "/dev/null",
		       "-e", trace, "-e", inject, "-p", spid, (char *)NULL);
		_exit(127);
	}
	while (!traced_by(pid, strace_pid)) {
		int st;

		cr_assert_eq(waitpid(strace_pid, &st, WNOHANG), 0,
			     "strace could not attach to vpcemud (installed? "
			     "scripts/install-deps)");
		cr_assert_lt(test_now_ms(), deadline, "strace does not attach");
		test_pause_ms(5);
	}
}

/* The daemon died: strace, its tracer, ends too. */
static void strace_reap(void)
{
	int64_t deadline = test_now_ms() + 5000;

	while (waitpid(strace_pid, NULL, WNOHANG) == 0 &&
	       test_now_ms() < deadline)
		test_pause_ms(10);
	strace_stop();
}

/* ---- the lab as the kernel holds it -------------------------------------- */

/* Namespaces of a lab file, "LAB-VPC" and "LAB-INSTANCE" (these labs have
 * no endpoints), into names; returns how many. */
static size_t plan_namespaces(const char *file, char names[][96], size_t max)
{
	char line[256], kind[16], name[64];
	size_t n = 0;
	FILE *f = fopen(file, "r");

	cr_assert_not_null(f, "%s", file);
	while (fgets(line, sizeof(line), f) && n < max)
		if (line[0] != '\t' && line[0] != ' ' &&
		    sscanf(line, "%15s %63s", kind, name) == 2 &&
		    (!strcmp(kind, "vpc") || !strcmp(kind, "instance")))
			snprintf(names[n++], 96, "%s-%s", lab_name, name);
	fclose(f);
	return n;
}

/* The lab is exactly file's: its state says up with every namespace there
 * (vpcemu status), each namespace of the plan is a namespace (a bind mount
 * of nsfs, not an empty mount point), and no other "LAB-..." exists. */
static void expect_lab_is(const char *file, const char *when)
{
	char names[64][96], line[512], st[32], *out, *l;
	size_t n = plan_namespaces(file, names, 64), plen = strlen(lab_name);
	size_t present = 0, total = 0, i;
	struct stat dir, s;
	struct dirent *e;
	DIR *d;

	out = test_sh_output("%s status", vpcemu());
	l = strstr(out, lab_name);
	cr_expect(l && sscanf(l, "%*s %31s %zu/%zu", st, &present,
			      &total) == 3 && !strcmp(st, "up") &&
			  present == n && total == n,
		  "%s: status of the lab (want up %zu/%zu): %s", when, n, n,
		  out);
	free(out);

	cr_assert_eq(stat("/run/netns", &dir), 0);
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "/run/netns/%.95s", names[i]);
		cr_expect(stat(line, &s) == 0 && s.st_dev != dir.st_dev,
			  "%s: %s is not a namespace", when, names[i]);
	}
	d = opendir("/run/netns");
	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, lab_name, plen) ||
		    e->d_name[plen] != '-')
			continue;
		for (i = 0; i < n && strcmp(names[i], e->d_name); i++)
			;
		cr_expect_lt(i, n, "%s: namespace %s is not in %s", when,
			     e->d_name, file);
	}
	closedir(d);
}

static int ping(const char *from, const char *ip, int wait_s)
{
	return test_sh("ip netns exec %s-%s ping -c 1 -W %d %s >/dev/null "
		       "2>&1", lab_name, from, wait_s, ip);
}

/* apply-new.conf holds: the peering carries a1 -> b1 and c30 (a new
 * instance) -> b1; b2's group still blocks a1 (the twin). */
static void expect_new(const char *when)
{
	expect_lab_is(NEW, when);
	cr_expect_eq(ping("a1", "10.72.1.10", 2), 0,
		     "%s: a1 -> b1 across the peering", when);
	cr_expect_eq(ping("c30", "10.72.1.10", 2), 0,
		     "%s: c30 -> b1 across the peering", when);
	cr_expect_neq(ping("a1", "10.72.1.11", 1), 0,
		      "%s: a1 -> b2 passes, b2's group admits nothing", when);
}

/* apply-old.conf holds: a1 -> a2 works, a1 -> b1 is blocked again (no
 * peering, route or rule left of the change). */
static void expect_old(const char *when)
{
	expect_lab_is(OLD, when);
	cr_expect_eq(ping("a1", "10.71.1.11", 2), 0, "%s: a1 -> a2", when);
	cr_expect_neq(ping("a1", "10.72.1.10", 1), 0,
		      "%s: a1 -> b1 passes without the peering", when);
}

static int lab_cmd(const char *cmd, const char *file, char *out, size_t len)
{
	return test_run((char *const[]){ (char *)vpcemu(), (char *)cmd,
					 (char *)file, "--name", lab_name,
					 NULL }, out, len);
}

/* What follows a killed apply of apply-new.conf. */
enum then {
	APPLY_NEW,	/* converge to it */
	APPLY_OLD,	/* converge back */
	UP_OLD,		/* the same with up (it was up with that file) */
	THEN__COUNT,
};

static const char *const then_name[] = { "apply new", "apply old",
					 "up old" };

/* With apply-old.conf up, applies apply-new.conf with vpcemud killed on
 * entry to the nth call of syscall; then does what then says and checks
 * that the lab is that file's. Ends with apply-old.conf up. Returns false
 * when the apply ended before the nth call (the lab was then checked as
 * apply-new.conf and set back). */
static bool kill_apply_at(const char *syscall, unsigned n, enum then then)
{
	char out[8192], when[128];
	pid_t pid = daemon_running();
	int rc;

	snprintf(when, sizeof(when), "killed at %s #%u, then %s", syscall, n,
		 then_name[then]);
	kill_at(pid, syscall, n);
	rc = lab_cmd("apply", NEW, out, sizeof(out));
	if (rc == 0) {
		/* Fewer calls than n: a whole apply, traced. */
		strace_stop();
		cr_assert_not(test_process_gone(pid), "%s: vpcemud died "
			      "although the apply succeeded", when);
		expect_new(when);
		cr_assert_eq(lab_cmd("apply", OLD, out, sizeof(out)), 0,
			     "apply old: %s", out);
		expect_old(when);
		return false;
	}
	cr_assert(gone_within(pid, 5000), "%s: the apply failed but vpcemud "
		  "lives: %s", when, out);
	strace_reap();

	/* The next command starts a new daemon. An up of the old file
	 * refuses once the state file says the new one is up (the apply's
	 * commit point): the lab must be wholly new then. */
	rc = lab_cmd(then == UP_OLD ? "up" : "apply",
		     then == APPLY_NEW ? NEW : OLD, out, sizeof(out));
	if (then == UP_OLD && rc && strstr(out, "is up with other content")) {
		strncat(when, " (refused: committed)",
			sizeof(when) - strlen(when) - 1);
		then = APPLY_NEW;
	} else {
		cr_expect_eq(rc, 0, "%s: %s", when, out);
	}
	if (then != APPLY_NEW) {
		expect_old(when);
		return true;
	}
	expect_new(when);
	cr_assert_eq(lab_cmd("apply", OLD, out, sizeof(out)), 0,
		     "%s, back to old: %s", when, out);
	expect_old(when);
	return true;
}

Test(crash, kill_daemon_during_apply_then_converge)
{
	static const struct {
		const char *syscall;
		unsigned n;
		enum then then;
	} more[] = {
		/* The first namespace, and the 15th half made: created as
		 * an empty file, not yet mounted (mount #1 makes /run/netns
		 * shared, #2 binds the first namespace). */
		{ "unshare", 1, APPLY_NEW },
		{ "mount", 2, APPLY_OLD },
		{ "mount", 30, UP_OLD },
		{ "mount", 30, APPLY_NEW },
		/* An /etc/netns file written in place (the 15th). */
		{ "renameat", 15, APPLY_OLD },
	};
	char out[8192];
	unsigned n, i;

	name_lab("crashapply");
	cr_assert_eq(lab_cmd("up", OLD, out, sizeof(out)), 0, "up: %s", out);
	expect_old("up");

	/* Each change of the state files (rename(2): the state file, the
	 * kept texts), followed by each command; the loop ends with the
	 * first n the apply does not reach. At least "applying" and "up"
	 * must be seen. */
	for (n = 1; kill_apply_at("rename", n, APPLY_NEW); n++) {
		kill_apply_at("rename", n, APPLY_OLD);
		kill_apply_at("rename", n, UP_OLD);
	}
	cr_expect_geq(n, 3, "only %u state file changes in an apply", n - 1);

	/* Through the kernel work: the 1st, 2nd, 4th, ... netlink message
	 * (links, addresses, routes, rules, rulesets), each command in
	 * turn. */
	for (n = 1, i = 0; kill_apply_at("sendmsg", n, i % THEN__COUNT);
	     n *= 2, i++)
		;
	cr_expect_geq(n, 128, "only %u netlink messages in an apply", n);

	for (i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		cr_expect(kill_apply_at(more[i].syscall, more[i].n,
					more[i].then),
			  "the apply never reached %s #%u", more[i].syscall,
			  more[i].n);

	cr_expect_eq(test_run((char *const[]){ (char *)vpcemu(), "down",
					       lab_name, NULL },
			      out, sizeof(out)), 0, "down: %s", out);
	test_assert_no_leak(lab_name);
}

/* ---- services after a crash ---------------------------------------------- */

#define SERVICES LABS "services/services.conf"

/* What cmd prints in instance inst (stdout and stderr). Straight through
 * ip netns exec: a vpcemu command would start a daemon. */
static char *in_instance(const char *inst, const char *cmd)
{
	return test_sh_output("ip netns exec %s-%s sh -c '%s'", lab_name, inst,
			      cmd);
}

/* Does the Amazon DNS answer name with want, from inst, within ms? */
static bool dns_answers(const char *inst, const char *name, const char *want,
			int64_t ms)
{
	int64_t deadline = test_now_ms() + ms;
	char cmd[256], *o;
	bool ok;

	snprintf(cmd, sizeof(cmd), "dig +time=1 +tries=1 +short %s", name);
	do {
		o = in_instance(inst, cmd);
		ok = strstr(o, want) != NULL;
		free(o);
	} while (!ok && test_now_ms() < deadline);
	return ok;
}

#define IMDS "http://169.254.169.254/latest"

/* local-ipv4 from IMDS: v1 on EC2-A2 (tokens optional), v2 on EC2-A. */
static char *imds_v1(void)
{
	return in_instance("EC2-A2", "curl -s -m 2 " IMDS
			   "/meta-data/local-ipv4");
}

static char *imds_v2(void)
{
	return in_instance("EC2-A", "T=$(curl -s -m 2 -X PUT -H "
			   "\"X-aws-ec2-metadata-token-ttl-seconds: 60\" "
			   IMDS "/api/token) && curl -s -m 2 -H "
			   "\"X-aws-ec2-metadata-token: $T\" " IMDS
			   "/meta-data/local-ipv4");
}

Test(crash, kill_daemon_services_come_back)
{
	const char *ipname = "ip-10-1-1-10.ap-northeast-1.compute.internal";
	char out[8192], path[512], *o;
	pid_t pid;

	name_lab("crashsvc");
	cr_assert_eq(lab_cmd("up", SERVICES, out, sizeof(out)), 0, "up: %s",
		     out);
	/* EC2-A2's user data has run (it runs once: not again below). */
	snprintf(path, sizeof(path), "%s/%s.userdata/EC2-A2", state_dir(),
		 lab_name);
	cr_assert_eq(test_sh("for i in $(seq 100); do grep -q exit %s.status "
			     "2>/dev/null && exit 0; sleep 0.05; done; exit 1",
			     path), 0, "no status for EC2-A2's user data");
	cr_assert(dns_answers("EC2-A", ipname, "10.1.1.10", 0),
		  "no DNS before the kill");
	o = imds_v1();
	cr_assert_str_eq(o, "10.1.1.20", "IMDS before the kill: %s", o);
	free(o);

	pid = daemon_running();
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert(gone_within(pid, 5000), "vpcemud survives SIGKILL");

	/* No daemon, no services: what the checks below rely on. */
	o = in_instance("EC2-A", "dig +time=1 +tries=1 +short "
			"ip-10-1-1-10.ap-northeast-1.compute.internal");
	cr_expect(!strstr(o, "10.1.1.10"), "DNS answers with no daemon: %s",
		  o);
	free(o);
	o = imds_v1();
	cr_expect(!strstr(o, "10.1.1.20"), "IMDS answers with no daemon: %s",
		  o);
	free(o);

	/* The next command starts a daemon, which adopts the running lab. */
	cr_assert_eq(RUN(out, (char *)vpcemu(), "status", lab_name), 0,
		     "status: %s", out);
	cr_expect_neq(daemon_pid(), pid, "no new vpcemud");
	cr_expect(dns_answers("EC2-A", ipname, "10.1.1.10", 5000),
		  "DNS does not answer after the restart");
	/* Interface endpoints' private names: the whole model came back. */
	cr_expect(dns_answers("EC2-A", "ssm.ap-northeast-1.amazonaws.com",
			      "10.1.1.4", 0), "endpoint private DNS");
	o = imds_v1();
	cr_expect_str_eq(o, "10.1.1.20", "IMDSv1 after the restart: %s", o);
	free(o);
	o = imds_v2();
	cr_expect_str_eq(o, "10.1.1.10", "IMDSv2 after the restart: %s", o);
	free(o);
	/* TCP 443 on the endpoints: Session Manager connects again. */
	o = test_sh_output("echo 'echo SESSION-OK' | %s ssm start-session "
			   "--lab %s --target EC2-A", vpcemu(), lab_name);
	cr_expect(strstr(o, "SESSION-OK"), "start-session: %s", o);
	free(o);
	o = test_sh_output("grep -c hello %s.log", path);
	cr_expect_str_eq(o, "1\n", "user data ran again: %s", o);
	free(o);

	cr_expect_eq(RUN(out, (char *)vpcemu(), "down", lab_name), 0,
		     "down: %s", out);
	test_assert_no_leak(lab_name);
}

/* ---- down under a Session Manager probe ---------------------------------- */

/* Sends start-session --target EC2-A of the lab on a connection of our
 * own, whose reply carries the reason (the CLI prints only AWS's words). */
static int ssm_ask(void)
{
	json_t *args = json_pack("{s:[s,s,s], s:s}", "argv", "start-session",
				 "--target", "EC2-A", "lab", lab_name);
	json_t *req = ctl_request_new("ssm", args);
	int fd = ctl_connect(ctl_socket_path());

	cr_assert_geq(fd, 0, "connect: %s", strerror(-fd));
	cr_assert_eq(ctl_send(fd, req, 2000), 0);
	json_decref(req);
	json_decref(args);
	return fd;
}

/* Its reply, within ms: the exit status, and the reason into why. */
static int ssm_answer(int fd, int ms, char *why, size_t len)
{
	json_t *rep = NULL, *result = NULL;
	int r = ctl_recv(fd, &rep, ms), code = -1;
	const char *reason;

	close(fd);
	cr_assert_eq(r, 0, "no answer within %d ms: %s", ms, strerror(-r));
	cr_assert_eq(ctl_reply_parse(rep, &code, NULL, NULL, &result), 0);
	reason = json_string_value(json_object_get(result, "reason"));
	snprintf(why, len, "%s", reason ? reason : "");
	json_decref(rep);
	return code;
}

/* Handshakes to 443 waiting in EC2-A: SSM_NTARGETS per probe. */
static int syn_sent(void)
{
	char *o = in_instance("EC2-A", "ss -Htn state syn-sent | grep -c :443");
	int n = atoi(o);

	free(o);
	return n;
}

Test(crash, down_during_ssm_probe)
{
	char out[8192], why[256], log[128], *o;
	int64_t t0, deadline, ms;
	pid_t pid, cli, w;
	int fd, st;

	name_lab("crashssm");
	cr_assert_eq(lab_cmd("up", SERVICES, out, sizeof(out)), 0, "up: %s",
		     out);
	/* The endpoints' group drops 443: each probe waits for its TCP
	 * handshake until SSM_TCP_TIMEOUT_MS (1.5 s). */
	cr_assert_eq(test_sh("%s ec2 --lab %s revoke-security-group-ingress "
			     "--group-id SG-Endpoints --protocol tcp --port "
			     "443 --cidr 10.1.0.0/16 >/dev/null", vpcemu(),
			     lab_name), 0);
	pid = daemon_running();

	/* The twin: left alone, the probe answers when the handshake times
	 * out, for that reason. */
	t0 = test_now_ms();
	fd = ssm_ask();
	cr_expect_eq(ssm_answer(fd, 10000, why, sizeof(why)), 254);
	ms = test_now_ms() - t0;
	cr_expect_geq(ms, 1400, "the probe did not wait (%lld ms): %s",
		      (long long)ms, why);
	cr_expect(why[0] && !strstr(why, "went down"), "reason: %s", why);

	/* Two probes at once: ours, and the CLI's. */
	fd = ssm_ask();
	snprintf(log, sizeof(log), "/tmp/%s.ssm", lab_name);
	cli = fork();
	cr_assert_geq(cli, 0);
	if (cli == 0) {
		int outfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int in = open("/dev/null", O_RDONLY);

		dup2(in, 0);
		dup2(outfd, 1);
		dup2(outfd, 2);
		execl(vpcemu(), vpcemu(), "ssm", "start-session", "--lab",
		      lab_name, "--target", "EC2-A", (char *)NULL);
		_exit(127);
	}
	deadline = test_now_ms() + 3000;
	while (syn_sent() < 2 * SSM_NTARGETS && test_now_ms() < deadline)
		test_pause_ms(10);
	cr_expect_eq(syn_sent(), 2 * SSM_NTARGETS,
		     "the probes are not waiting on 443");

	/* down while they wait: both answer at once, as offline. */
	t0 = test_now_ms();
	cr_expect_eq(RUN(out, (char *)vpcemu(), "down", lab_name), 0,
		     "down: %s", out);
	cr_expect_eq(ssm_answer(fd, 5000, why, sizeof(why)), 254);
	cr_expect_str_eq(why, "the lab went down");
	deadline = test_now_ms() + 5000;
	while ((w = waitpid(cli, &st, WNOHANG)) == 0 &&
	       test_now_ms() < deadline)
		test_pause_ms(10);
	if (w == 0) {
		kill(cli, SIGKILL);
		waitpid(cli, &st, 0);
		cr_expect_fail("start-session hangs after down");
	}
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 254,
		  "start-session status %d", st);
	o = test_sh_output("cat %s", log);
	cr_expect(strstr(o, "(TargetNotConnected)"), "start-session: %s", o);
	free(o);
	unlink(log);

	/* The same daemon goes on serving. */
	cr_expect_not(test_process_gone(pid), "vpcemud died");
	cr_expect_eq(RUN(out, (char *)vpcemu(), "status"), 0, "status: %s",
		     out);
	cr_expect_eq(daemon_pid(), pid, "another vpcemud");
	test_assert_no_leak(lab_name);
}
