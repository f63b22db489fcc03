/* test_apply.c - `vpcemu apply` on running labs, for real: only what changed
 * is touched, traffic between untouched instances keeps flowing, the change
 * takes effect (a probe that was blocked passes, its twin stays blocked),
 * and down afterwards leaves nothing.
 *
 * Labs under integration/labs/apply/; each test names its lab
 * "it<pid>-<name>" and takes it down in .fini even when an assertion
 * failed. Assertions use independent tools (ping, stat of /run/netns, ip)
 * and real probes (probe_run, as `vpcemu test` does), not our own view.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vpcemu/labops.h"
#include "vpcemu/load.h"
#include "vpcemu/model.h"
#include "vpcemu/probe.h"
#include "vpcemu/state.h"

#include "helpers.h"

#define LABS "integration/labs/apply/"

static char lab_name[128];

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

static void name_lab(const char *suffix)
{
	snprintf(lab_name, sizeof(lab_name), "it%d-%s", (int)getpid(), suffix);
}

/* ---- namespaces --------------------------------------------------------- */

struct ns_id {
	char name[256];
	ino_t ino;
};

/* The lab's namespaces and their inode numbers (the nsfs inode behind the
 * /run/netns bind mount: a namespace made again gets another). */
static size_t lab_namespaces(struct ns_id *v, size_t max)
{
	size_t plen = strlen(lab_name), n = 0;
	char path[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d = opendir("/run/netns");

	cr_assert_not_null(d);
	while ((e = readdir(d)) && n < max) {
		if (strncmp(e->d_name, lab_name, plen) ||
		    e->d_name[plen] != '-')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", e->d_name);
		cr_assert_eq(stat(path, &st), 0, "stat %s", path);
		snprintf(v[n].name, sizeof(v[n].name), "%s", e->d_name);
		v[n++].ino = st.st_ino;
	}
	closedir(d);
	return n;
}

static ino_t ns_ino(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "/run/netns/%s", name) >=
	    (int)sizeof(path))
		return 0;
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* ---- traffic ------------------------------------------------------------ */

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* A ping running in the background, its summary going to a file. */
struct bg_ping {
	pid_t pid;
	char out[64];
	char dst_ns[160];
};

/* Starts `ping -q -i 0.01 -c count ip` in namespace src and returns once
 * its echo requests reach dst_ns (2 s at most). */
static void ping_start(struct bg_ping *p, const char *src, const char *dst_ns,
		       const char *ip, int count)
{
	char c[16];
	long n0, n;
	double t0;
	int fd;

	snprintf(p->out, sizeof(p->out), "/tmp/it%d-ping.XXXXXX", (int)getpid());
	fd = mkstemp(p->out);
	cr_assert_geq(fd, 0);
	snprintf(p->dst_ns, sizeof(p->dst_ns), "%s", dst_ns);
	snprintf(c, sizeof(c), "%d", count);
	n0 = in_echos(dst_ns);
	cr_assert_geq(n0, 0, "cannot read Icmp InEchos in %s", dst_ns);
	p->pid = fork();
	cr_assert_geq(p->pid, 0);
	if (p->pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("ip", "ip", "netns", "exec", src, "ping", "-q", "-i",
		       "0.01", "-W", "1", "-c", c, ip, (char *)NULL);
		_exit(127);
	}
	close(fd);
	t0 = now_ms();
	do {
		n = in_echos(dst_ns);
	} while (n <= n0 && now_ms() - t0 < 2000);
	cr_assert_gt(n, n0, "ping %s -> %s: no echo request arrived", src, ip);
}

static bool ping_running(const struct bg_ping *p)
{
	int st;

	return waitpid(p->pid, &st, WNOHANG) == 0;
}

/* Waits for the ping and returns packets sent and received. */
static void ping_finish(struct bg_ping *p, int *ret_sent, int *ret_got)
{
	char buf[4096], *s;
	ssize_t n;
	int st, fd;

	waitpid(p->pid, &st, 0);
	fd = open(p->out, O_RDONLY);
	cr_assert_geq(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(p->out);
	buf[n > 0 ? n : 0] = '\0';
	*ret_sent = *ret_got = -1;
	s = strstr(buf, " packets transmitted, ");
	if (s) {
		while (s > buf && s[-1] >= '0' && s[-1] <= '9')
			s--;
		sscanf(s, "%d packets transmitted, %d", ret_sent, ret_got);
	}
	cr_assert_geq(*ret_sent, 0, "no ping summary: %s", buf);
}

/* Every expect line of file (as lab lab_name) holds in the running lab,
 * probed as `vpcemu test` probes. */
static void expects_hold(const char *file)
{
	struct diags d = { 0 };
	struct lab *lab = NULL;
	size_t i, j;

	cr_assert_eq(load_lab_file(file, NULL, lab_name, &d, &lab), 0, "%s",
		     file);
	diags_free(&d);
	for (i = 0; i < lab->nexpects; i++) {
		const struct expect *e = &lab->expects[i];
		const char *dst_ns = e->dst_netns;
		bool reachable = false;
		int r;

		for (j = 0; !dst_ns && j < lab->nenis; j++)
			if (lab->enis[j]->ip == e->dst_ip)
				dst_ns = lab->enis[j]->netns;
		r = probe_run(e->src_netns, dst_ns, e->dst_ip, &e->proto,
			      1000, &reachable);
		cr_expect(r == 0 || r == -ECONNREFUSED, "%s: probe: %s",
			  e->text, strerror(-r));
		cr_expect_eq(reachable, e->reachable, "%s: got %s (%s)",
			     e->text, reachable ? "reachable" : "blocked",
			     file);
	}
	lab_free(lab);
}

static void up(const char *file)
{
	static char out[8192];

	cr_assert_eq(RUN(out, (char *)vpcemu(), "up", (char *)file, "--name",
			 lab_name), 0, "up %s: %s", file, out);
}

/* `vpcemu apply FILE`: its output in out, exit status returned. */
static int apply(const char *file, char *out, size_t len)
{
	return test_run((char *const[]){ (char *)vpcemu(), "apply", (char *)file,
				    "--name", lab_name, NULL }, out, len);
}

TestSuite(apply, .init = setup, .fini = teardown, .timeout = 300);

/* A route, a security-group rule and an instance, applied to a running lab
 * of four instances while x1 pings x2 and y1 pings y2 through the two
 * routers being changed: no echo lost, no namespace made again, the
 * changes in effect; the same file again changes nothing; the old file
 * back removes the instance; down leaves nothing. */
Test(apply, route_rule_instance_keep_traffic)
{
	static char out[8192];
	struct ns_id before[16], after[16];
	char x1[160], x2[160], y1[160], y2[160], x3[160];
	struct bg_ping px, py;
	size_t n, m, i;
	int sent, got;
	double t0, ms;

	name_lab("apply");
	snprintf(x1, sizeof(x1), "%s-x1", lab_name);
	snprintf(x2, sizeof(x2), "%s-x2", lab_name);
	snprintf(y1, sizeof(y1), "%s-y1", lab_name);
	snprintf(y2, sizeof(y2), "%s-y2", lab_name);
	snprintf(x3, sizeof(x3), "%s-x3", lab_name);
	up(LABS "base.conf");
	n = lab_namespaces(before, 16);
	cr_assert_eq(n, 6, "2 routers + 4 instances, got %zu", n);
	expects_hold(LABS "base.conf");

	/* 300 echoes 10 ms apart: 3 s, with the apply in the middle. */
	ping_start(&px, x1, x2, "10.61.1.20", 300);
	ping_start(&py, y1, y2, "10.62.1.20", 300);
	t0 = now_ms();
	cr_expect_eq(apply(LABS "base-changed.conf", out, sizeof(out)), 0,
		     "apply: %s", out);
	ms = now_ms() - t0;
	cr_log_info("apply: %s(%.1f ms wall)", out, ms);
	/* RX's route, and x3's: the router's /32 to it, its default. */
	cr_expect(strstr(out, "3 routes added") != NULL, "%s", out);
	cr_expect(strstr(out, "1 namespace added") != NULL, "%s", out);
	cr_expect(strstr(out, "2 nftables rulesets applied") != NULL, "%s",
		  out);
	cr_expect(strstr(out, "3 namespaces touched") != NULL, "%s", out);
	cr_expect(ping_running(&px) && ping_running(&py),
		  "the pings ended before the apply did: it was not tested "
		  "under traffic (%.0f ms)", ms);
	ping_finish(&px, &sent, &got);
	cr_expect_eq(sent, 300);
	cr_expect_eq(got, sent, "x1 -> x2: %d of %d echoes answered across "
		     "the apply", got, sent);
	ping_finish(&py, &sent, &got);
	cr_expect_eq(sent, 300);
	cr_expect_eq(got, sent, "y1 -> y2: %d of %d echoes answered across "
		     "the apply", got, sent);

	/* No namespace was made again; x3 is new. */
	m = lab_namespaces(after, 16);
	cr_expect_eq(m, 7, "namespaces after apply: %zu", m);
	for (i = 0; i < n; i++)
		cr_expect_eq(ns_ino(before[i].name), before[i].ino,
			     "%s was made again (inode %lu, was %lu)",
			     before[i].name,
			     (unsigned long)ns_ino(before[i].name),
			     (unsigned long)before[i].ino);
	cr_expect_neq(ns_ino(x3), 0, "no namespace %s", x3);

	/* In effect: x1 -> y1 icmp and tcp 80 pass now, tcp 22 stays
	 * blocked; x3 works. */
	expects_hold(LABS "base-changed.conf");

	/* The same file again: nothing to do. */
	cr_expect_eq(apply(LABS "base-changed.conf", out, sizeof(out)), 0,
		     "%s", out);
	cr_expect(strstr(out, "nothing changed") != NULL, "%s", out);

	/* Back to the start: x3 goes, nothing else is made again. */
	cr_expect_eq(apply(LABS "base.conf", out, sizeof(out)), 0, "%s", out);
	cr_log_info("apply back: %s", out);
	cr_expect(strstr(out, "1 namespace removed") != NULL, "%s", out);
	cr_expect(strstr(out, "2 routes removed") != NULL, "%s", out);
	cr_expect_eq(ns_ino(x3), 0, "%s survived", x3);
	for (i = 0; i < n; i++)
		cr_expect_eq(ns_ino(before[i].name), before[i].ino,
			     "%s was made again", before[i].name);
	expects_hold(LABS "base.conf");

	cr_expect_eq(RUN(out, (char *)vpcemu(), "down", lab_name), 0,
		     "down: %s", out);
	test_assert_no_leak(lab_name);
}

/* Gotcha 9: the routes are written while the peering is pending (blackholes,
 * p -> q blocked); accepting it is only a status change in the file, and
 * the same routes then carry traffic. */
Test(apply, peering_accepted_routes_start_carrying)
{
	static char out[8192];
	char rp[160];
	ino_t ino;

	name_lab("peer");
	snprintf(rp, sizeof(rp), "%s-P", lab_name);
	up(LABS "peering-pending.conf");
	expects_hold(LABS "peering-pending.conf");
	cr_assert_eq(RUN(out, "ip", "-n", rp, "route", "show", "table",
			 "1000"), 0, "%s", out);
	cr_expect(strstr(out, "blackhole 10.64.0.0/16") != NULL, "%s", out);
	ino = ns_ino(rp);

	cr_expect_eq(apply(LABS "peering-active.conf", out, sizeof(out)), 0,
		     "apply: %s", out);
	cr_log_info("apply: %s", out);
	cr_expect(strstr(out, "1 veth set up, 2 routes replaced (2 "
			      "namespaces touched") != NULL, "%s", out);
	cr_expect(strstr(out, "added") == NULL, "%s", out);

	cr_assert_eq(RUN(out, "ip", "-n", rp, "route", "show", "table",
			 "1000"), 0, "%s", out);
	cr_expect(strstr(out, "10.64.0.0/16 dev pcx-") != NULL, "%s", out);
	cr_expect(strstr(out, "blackhole") == NULL, "%s", out);
	cr_expect_eq(ns_ino(rp), ino, "router P was made again");
	expects_hold(LABS "peering-active.conf");

	/* And back to pending: the link goes down, the routes turn
	 * blackhole again. */
	cr_expect_eq(apply(LABS "peering-pending.conf", out, sizeof(out)), 0,
		     "apply: %s", out);
	cr_expect(strstr(out, "1 veth set down, 2 routes replaced") != NULL,
		  "%s", out);
	expects_hold(LABS "peering-pending.conf");

	cr_expect_eq(RUN(out, (char *)vpcemu(), "down", lab_name), 0,
		     "down: %s", out);
	test_assert_no_leak(lab_name);
}

/* apply needs a running lab, and says how to get one. */
Test(apply, lab_not_up)
{
	static char out[8192];

	name_lab("notup");
	cr_expect_eq(apply(LABS "base.conf", out, sizeof(out)), 1, "%s", out);
	cr_expect(strstr(out, "is not up") != NULL, "%s", out);
	cr_expect(strstr(out, "vpcemu up") != NULL, "%s", out);
	test_assert_no_leak(lab_name);
}
