/* test_conntrack.c - live rule changes against open TCP connections, for
 * real (docs/aws-semantics.md R-4.16-R-4.18, R-5.14, §16 gotchas 6 and 14):
 *   - removing the security-group rule that admitted a tracked flow does
 *     not cut it: more data flows on the same connection, while a new
 *     connection to the same port is blocked (the twin that shows the
 *     removal took effect);
 *   - removing or changing the rule that admitted an untracked flow (from
 *     0.0.0.0/0, with an all-ports rule to 0.0.0.0/0 the other way) cuts
 *     it at once, with `vpcemu ec2` and with `vpcemu apply`, while a
 *     tracked flow under the same change, and an untracked flow of
 *     another ENI, keep flowing; removing the all-ports rule the other
 *     way cuts it too, and new flows are tracked from then on;
 *   - a NACL deny entry, or a brand-new custom NACL (no entries) associated
 *     with the server's subnet, cuts an established connection at once:
 *     data sent after the change no longer arrives, although it did just
 *     before, and a connection the change does not concern keeps flowing.
 *
 * Labs under integration/labs/conntrack/, named "it<pid>-ct..." and taken
 * down in .fini even when an assertion failed.
 *
 * The connections are plain sockets of this process: each socket is made
 * inside the instance's namespace (setns to /run/netns/NS on this thread,
 * socket(), setns back; a socket keeps the namespace it was made in), then
 * bound, connected, written and read from here. No child process, no
 * extra tool; every wait has a deadline.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vpcemu/state.h"

#include "helpers.h"

#define LABS "integration/labs/conntrack/"

/* Data that should arrive is given this long (it takes well under a
 * millisecond); data that should not is watched this long, which covers
 * the first TCP retransmissions (200 ms, 600 ms, 1.4 s). */
#define ARRIVE_MS 2000
#define CUT_MS 1500
/* A new connection that should be blocked is given this long to complete
 * (an allowed one completes at once; a dropped SYN is resent after 1 s). */
#define CONNECT_MS 1500

static char lab_name[128];

/* Every socket the test opened, closed in .fini before the lab goes down
 * (an open socket keeps its namespace alive). */
static int fds[32];
static size_t nfds;

/* Closes every socket the test opened, at once: SO_LINGER 0 aborts a
 * connection (RST, no FIN_WAIT, no retransmission of data a NACL dropped),
 * so no orphaned socket keeps a namespace alive after down. */
static void close_all(void)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	size_t i;

	for (i = 0; i < nfds; i++) {
		setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		close(fds[i]);
	}
	nfds = 0;
}

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
}

static void teardown(void)
{
	close_all();
	if (lab_name[0] && geteuid() == 0)
		RUN((char *)NULL, (char *)vpcemu(), "down", lab_name);
}

static void name_lab(const char *suffix)
{
	snprintf(lab_name, sizeof(lab_name), "it%d-%s", (int)getpid(), suffix);
}

static void up(const char *file)
{
	static char out[8192];

	cr_assert_eq(RUN(out, (char *)vpcemu(), "up", (char *)file, "--name",
			 lab_name), 0, "up %s: %s", file, out);
}

static void apply(const char *file)
{
	static char out[8192];

	cr_assert_eq(RUN(out, (char *)vpcemu(), "apply", (char *)file,
			 "--name", lab_name), 0, "apply %s: %s", file, out);
	cr_log_info("apply %s: %s", file, out);
}

/* vpcemu ec2 --lab LAB ARGS...: the AWS way, on the running lab; down
 * must then also remove the lab's ec2 record (assert_no_leak checks the
 * state directory). */
#define EC2(...)                                                              \
	ec2((char *const[]){ (char *)vpcemu(), "ec2", "--lab", lab_name,     \
			     __VA_ARGS__, NULL })

static void ec2(char *const argv[])
{
	static char out[8192];

	cr_assert_eq(test_run(argv, out, sizeof(out)), 0, "ec2 %s: %s",
		     argv[4], out);
}

static void down(void)
{
	static char out[8192];
	close_all();
	cr_expect_eq(RUN(out, (char *)vpcemu(), "down", lab_name), 0,
		     "down: %s", out);
	test_assert_no_leak(lab_name);
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* ---- sockets in the lab's namespaces ----------------------------------- */

/* A non-blocking TCP socket made in namespace LAB-inst. Only this thread
 * enters the namespace, and it is back in its own before any assertion. */
static int ns_socket(const char *inst)
{
	char path[512];
	int self, target, s = -1, err = 0, back;

	snprintf(path, sizeof(path), "/run/netns/%s-%s", lab_name, inst);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(self, 0, "open own netns: %s", strerror(errno));
	target = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(target, 0, "open %s: %s", path, strerror(errno));
	if (setns(target, CLONE_NEWNET) == 0) {
		s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			   0);
		if (s < 0)
			err = errno;
		back = setns(self, CLONE_NEWNET);
		if (back != 0)
			abort(); /* never carry on in the lab's namespace */
	} else {
		err = errno;
	}
	close(self);
	close(target);
	cr_assert_geq(s, 0, "socket in %s: %s", path, strerror(err));
	cr_assert_lt(nfds, sizeof(fds) / sizeof(fds[0]));
	fds[nfds++] = s;
	return s;
}

static struct sockaddr_in addr_of(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };

	cr_assert_eq(inet_pton(AF_INET, ip, &a.sin_addr), 1, "%s", ip);
	return a;
}

/* A socket of inst listening on port (all addresses). */
static int ns_listen(const char *inst, int port)
{
	struct sockaddr_in a = addr_of("0.0.0.0", port);
	int s = ns_socket(inst), one = 1;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0,
		     "bind %s :%d: %s", inst, port, strerror(errno));
	cr_assert_eq(listen(s, 8), 0);
	return s;
}

/* Connects a socket of inst to ip:port; returns it once connected, or -1
 * (errno in *err: ETIMEDOUT when nothing came back within ms). */
static int ns_connect(const char *inst, const char *ip, int port, int ms,
		      int *err)
{
	struct sockaddr_in a = addr_of(ip, port);
	int s = ns_socket(inst), e = 0, one = 1;
	socklen_t elen = sizeof(e);
	struct pollfd p = { .fd = s, .events = POLLOUT };

	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0)
		return s;
	cr_assert_eq(errno, EINPROGRESS, "connect %s -> %s:%d: %s", inst, ip,
		     port, strerror(errno));
	if (poll(&p, 1, ms) != 1) {
		*err = ETIMEDOUT;
		return -1;
	}
	cr_assert_eq(getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &elen), 0);
	*err = e;
	return e ? -1 : s;
}

/* Accepts the connection waiting on lfd (it completed already). */
static int ns_accept(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int s;

	cr_assert_eq(poll(&p, 1, ARRIVE_MS), 1, "no connection to accept");
	s = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	cr_assert_geq(s, 0, "accept: %s", strerror(errno));
	cr_assert_lt(nfds, sizeof(fds) / sizeof(fds[0]));
	fds[nfds++] = s;
	return s;
}

/* One open connection: cli's end and srv's end. */
struct conn {
	const char *what;
	int c, s;
};

static void conn_open(struct conn *k, const char *what, const char *cli,
		      const char *srv, const char *ip, int port)
{
	int lfd = ns_listen(srv, port), err = 0;

	k->what = what;
	k->c = ns_connect(cli, ip, port, ARRIVE_MS, &err);
	cr_assert_geq(k->c, 0, "%s: connect: %s", what, strerror(err));
	k->s = ns_accept(lfd);
}

/* Writes n bytes to from and returns how many of them reached to within
 * ms (stops waiting once all n are there). */
static size_t xfer(int from, int to, size_t n, int ms)
{
	char buf[256];
	size_t got = 0;
	double t0 = now_ms(), left;
	ssize_t k;

	cr_assert_leq(n, sizeof(buf));
	memset(buf, 'x', n);
	cr_assert_eq(write(from, buf, n), (ssize_t)n, "write: %s",
		     strerror(errno));
	while (got < n && (left = ms - (now_ms() - t0)) > 0) {
		struct pollfd p = { .fd = to, .events = POLLIN };

		if (poll(&p, 1, (int)left + 1) != 1)
			continue;
		k = read(to, buf, sizeof(buf));
		if (k > 0)
			got += (size_t)k;
		else if (k == 0 || (errno != EAGAIN && errno != EINTR))
			break; /* closed or reset: nothing more comes */
	}
	return got;
}

/* Data flows both ways on k now. */
static void expect_flows(const struct conn *k, const char *when)
{
	size_t got;

	got = xfer(k->c, k->s, 64, ARRIVE_MS);
	cr_expect_eq(got, 64, "%s, %s: %zu of 64 bytes reached the server",
		     k->what, when, got);
	got = xfer(k->s, k->c, 64, ARRIVE_MS);
	cr_expect_eq(got, 64, "%s, %s: %zu of 64 bytes reached the client",
		     k->what, when, got);
}

/* Data no longer gets through on k: from the client to the server
 * (to_server), or back. */
static void expect_cut(const struct conn *k, bool to_server, const char *when)
{
	size_t got = to_server ? xfer(k->c, k->s, 64, CUT_MS) :
				 xfer(k->s, k->c, 64, CUT_MS);

	cr_expect_eq(got, 0, "%s, %s: %zu bytes still reached the %s on the "
		     "open connection", k->what, when, got,
		     to_server ? "server" : "client");
}

/* A new connection from cli to ip:port completes (or is refused: the
 * refusal came back from the server) / does not. */
static void expect_new_conn(const char *cli, const char *ip, int port,
			    bool ok, const char *when)
{
	int err = 0, s = ns_connect(cli, ip, port, CONNECT_MS, &err);

	if (ok)
		cr_expect_geq(s, 0, "%s: new connection %s -> %s:%d: %s", when,
			      cli, ip, port, strerror(err));
	else
		cr_expect(s < 0 && err == ETIMEDOUT,
			  "%s: new connection %s -> %s:%d %s, should be "
			  "blocked", when, cli, ip, port,
			  s >= 0 ? "completed" : strerror(err));
}

TestSuite(conntrack, .init = setup, .fini = teardown, .timeout = 180);

/* gotcha 14: connections admitted by srv's rules `tcp 5000 from
 * cli/32` and `tcp 5001 from CliSG` (both tracked) stay open and keep
 * carrying data both ways after `vpcemu apply` removes both rules; new
 * connections to those ports are blocked from then on (and completed
 * before). Were conntrack bypassed, or the change flushed its entries, the
 * open connections would be cut; were the removal not applied, the new
 * ones would complete. */
Test(conntrack, sg_rule_removal_keeps_tracked_connection)
{
	struct conn cidr, group;

	name_lab("ctsg");
	up(LABS "sg.conf");
	conn_open(&cidr, "cli -> srv:5000 (rule from cli's /32)", "cli", "srv",
		  "10.81.2.10", 5000);
	conn_open(&group, "cli -> srv:5001 (rule from cli's group)", "cli",
		  "srv", "10.81.2.10", 5001);
	expect_flows(&cidr, "before the apply");
	expect_flows(&group, "before the apply");
	/* The twin's other half: new connections complete before. */
	expect_new_conn("cli", "10.81.2.10", 5000, true, "before the apply");
	expect_new_conn("cli", "10.81.2.10", 5001, true, "before the apply");

	apply(LABS "sg-revoked.conf");

	expect_flows(&cidr, "after the rule was removed");
	expect_flows(&group, "after the rule was removed");
	expect_new_conn("cli", "10.81.2.10", 5000, false,
			"after the rule was removed");
	expect_new_conn("cli", "10.81.2.10", 5001, false,
			"after the rule was removed");
	/* And again, after a blocked attempt: still open. */
	expect_flows(&cidr, "after the blocked attempts");
	expect_flows(&group, "after the blocked attempts");

	down();
}

/* gotcha 6 (entry): `vpcemu ec2 create-network-acl-entry` adds
 * `ingress 50 deny tcp 5000 from 10.82.1.0/24` to srv's NACL while cli holds
 * connections to srv:5000, srv:5001 and oth:5000 (all tracked, all flowing
 * just before). srv:5000 is cut at once although conntrack knows it (NACLs
 * come before conntrack); srv:5001 (not matched) and oth:5000 (another
 * subnet) keep flowing. */
Test(conntrack, nacl_deny_entry_cuts_established_connection)
{
	struct conn s0, s1, o0;

	name_lab("ctacl");
	up(LABS "nacl.conf");
	conn_open(&s0, "cli -> srv:5000 (denied)", "cli", "srv", "10.82.2.10",
		  5000);
	conn_open(&s1, "cli -> srv:5001 (not matched)", "cli", "srv",
		  "10.82.2.10", 5001);
	conn_open(&o0, "cli -> oth:5000 (other subnet)", "cli", "oth",
		  "10.82.3.10", 5000);
	expect_flows(&s0, "before the deny entry");
	expect_flows(&s1, "before the deny entry");
	expect_flows(&o0, "before the deny entry");

	EC2("create-network-acl-entry", "--network-acl-id", "ACL-Srv",
	    "--rule-number", "50", "--protocol", "tcp", "--rule-action",
	    "deny", "--ingress", "--cidr-block", "10.82.1.0/24",
	    "--port-range", "From=5000,To=5000");

	expect_cut(&s0, true, "after the deny entry");
	expect_flows(&s1, "after the deny entry");
	expect_flows(&o0, "after the deny entry");
	expect_new_conn("cli", "10.82.2.10", 5000, false,
			"after the deny entry");
	expect_new_conn("cli", "10.82.2.10", 5001, true,
			"after the deny entry");

	down();
}

/* gotcha 6: `vpcemu apply` associates a brand-new custom
 * NACL (no entries: denies all) with srv's subnet while cli holds
 * connections to srv:5000, srv:5001 and oth:5000, all flowing just before.
 * Both srv connections are cut at once; oth's keeps flowing. */
Test(conntrack, new_custom_nacl_cuts_established_connections)
{
	struct conn s0, s1, o0;

	name_lab("ctnew");
	up(LABS "nacl.conf");
	conn_open(&s0, "cli -> srv:5000", "cli", "srv", "10.82.2.10", 5000);
	conn_open(&s1, "cli -> srv:5001", "cli", "srv", "10.82.2.10", 5001);
	conn_open(&o0, "cli -> oth:5000 (other subnet)", "cli", "oth",
		  "10.82.3.10", 5000);
	expect_flows(&s0, "before the new NACL");
	expect_flows(&s1, "before the new NACL");
	expect_flows(&o0, "before the new NACL");

	apply(LABS "nacl-fresh.conf");

	expect_cut(&s0, true, "after the new NACL");
	expect_cut(&s1, true, "after the new NACL");
	expect_flows(&o0, "after the new NACL");
	expect_new_conn("cli", "10.82.2.10", 5000, false,
			"after the new NACL");

	down();
}

/* srv admits tcp 80-81 from 0.0.0.0/0 with the default
 * egress rule, so cli's connection to srv:80 and any's to srv:81 are
 * untracked at srv (any's at any too: it admits all from anywhere), while
 * cli's connection to srv:5000, admitted from cli's /32, is tracked. `vpcemu
 * ec2 revoke-security-group-ingress` removes both rules: the untracked
 * connections are cut at once, the tracked one keeps flowing (the twin:
 * the same kind of change, on the same ENI). Were every flow tracked, the
 * port 80-81 connections would survive; were flows marked untracked at the
 * wrong ENI, or were conntrack flushed, the one to 5000 would be cut. */
Test(conntrack, untracked_connection_cut_by_revoke)
{
	struct conn c80, a81, c5000;

	name_lab("ctut");
	up(LABS "untracked.conf");
	conn_open(&c80, "cli -> srv:80 (untracked at srv)", "cli", "srv",
		  "10.83.2.10", 80);
	conn_open(&a81, "any -> srv:81 (untracked at both ends)", "any",
		  "srv", "10.83.2.10", 81);
	conn_open(&c5000, "cli -> srv:5000 (tracked)", "cli", "srv",
		  "10.83.2.10", 5000);
	expect_flows(&c80, "before the revoke");
	expect_flows(&a81, "before the revoke");
	expect_flows(&c5000, "before the revoke");

	EC2("revoke-security-group-ingress", "--group-id", "SrvSG",
	    "--protocol", "tcp", "--port", "5000", "--cidr", "10.83.1.10/32");
	EC2("revoke-security-group-ingress", "--group-id", "SrvSG",
	    "--protocol", "tcp", "--port", "80-81", "--cidr", "0.0.0.0/0");

	expect_cut(&c80, true, "after the revoke");
	expect_cut(&a81, true, "after the revoke");
	expect_flows(&c5000, "after the revoke");
	expect_new_conn("cli", "10.83.2.10", 80, false, "after the revoke");
	expect_new_conn("cli", "10.83.2.10", 5000, false, "after the revoke");

	down();
}

/* and an apply disturbs nothing else: cli holds untracked
 * connections to srv:80 and oth:80 (each admitted by its server's own
 * group from 0.0.0.0/0). `vpcemu apply` removes oth's rule: the
 * connection to oth is cut, the one to srv, in the same router whose
 * ruleset was just replaced, keeps flowing. */
Test(conntrack, untracked_connection_survives_unrelated_change)
{
	struct conn srv, oth;

	name_lab("ctuo");
	up(LABS "untracked.conf");
	conn_open(&srv, "cli -> srv:80 (untracked, rules kept)", "cli", "srv",
		  "10.83.2.10", 80);
	conn_open(&oth, "cli -> oth:80 (untracked, rule removed)", "cli",
		  "oth", "10.83.2.11", 80);
	expect_flows(&srv, "before the apply");
	expect_flows(&oth, "before the apply");

	apply(LABS "untracked-oth.conf");

	expect_cut(&oth, true, "after oth's rule was removed");
	expect_flows(&srv, "after oth's rule was removed");
	expect_new_conn("cli", "10.83.2.10", 80, true,
			"after oth's rule was removed");

	down();
}

/* Tracking is per ENI: cli's connection to srv:80 is
 * untracked at srv but tracked at cli, which admits nothing inbound.
 * `vpcemu ec2 revoke-security-group-egress` removes cli's only egress rule:
 * the open connection keeps flowing both ways (cli's end tracks it, srv's
 * rules did not change), while a new connection from cli is blocked (the
 * twin that shows the removal took effect). Were the flow judged again at
 * both ends, it would be cut. */
Test(conntrack, untracked_at_one_end_tracked_at_the_other)
{
	struct conn c80;

	name_lab("ctu1");
	up(LABS "untracked.conf");
	conn_open(&c80, "cli -> srv:80 (untracked at srv, tracked at cli)",
		  "cli", "srv", "10.83.2.10", 80);
	expect_flows(&c80, "before the revoke");

	EC2("revoke-security-group-egress", "--group-id", "CliSG",
	    "--protocol", "-1", "--cidr", "0.0.0.0/0");

	expect_flows(&c80, "after cli's egress rule was removed");
	expect_new_conn("cli", "10.83.2.10", 81, false,
			"after cli's egress rule was removed");
	expect_flows(&c80, "after the blocked attempt");

	down();
}

/* R-4.18 (AWS's page: an untracked flow "is immediately
 * interrupted if the rule that enables the flow is removed"; its replies
 * pass on the opposite all-ports rule alone). `vpcemu ec2
 * revoke-security-group-egress` removes srv's only egress rule (all to
 * 0.0.0.0/0) while cli holds an untracked connection to srv:80: srv's
 * data no longer reaches cli on it. Flows opened from then on are
 * tracked: a new connection to srv:81 works both ways with no egress rule
 * at all, its replies passing on conntrack (were it still marked
 * untracked, its SYN-ACK would be dropped). */
Test(conntrack, removing_all_egress_cuts_untracked_tracks_new)
{
	struct conn old, fresh;

	name_lab("ctue");
	up(LABS "untracked.conf");
	conn_open(&old, "cli -> srv:80 (untracked at srv)", "cli", "srv",
		  "10.83.2.10", 80);
	expect_flows(&old, "before the revoke");

	EC2("revoke-security-group-egress", "--group-id", "SrvSG",
	    "--protocol", "-1", "--cidr", "0.0.0.0/0");

	expect_cut(&old, false, "after srv's egress rule was removed");
	conn_open(&fresh, "cli -> srv:81 (opened after, tracked)", "cli",
		  "srv", "10.83.2.10", 81);
	expect_flows(&fresh, "after srv's egress rule was removed");

	down();
}

/* Gotcha 14: narrowing the rule of a tracked ssh session does not cut it;
 * removing the "all from 0.0.0.0/0" rule that made a session untracked
 * cuts it at once. cli holds sessions to ssh:22 (rule
 * from cli's subnet) and web:22 (all from anywhere); `vpcemu apply`
 * narrows the first rule to another host and removes the second. */
Test(conntrack, gotcha14_narrowed_tracked_survives_removed_open_cuts)
{
	struct conn ssh, web;

	name_lab("ctg14");
	up(LABS "gotcha14.conf");
	conn_open(&ssh, "cli -> ssh:22 (tracked)", "cli", "ssh", "10.84.2.10",
		  22);
	conn_open(&web, "cli -> web:22 (untracked)", "cli", "web",
		  "10.84.2.11", 22);
	expect_flows(&ssh, "before the apply");
	expect_flows(&web, "before the apply");

	apply(LABS "gotcha14-changed.conf");

	expect_flows(&ssh, "after the apply");
	expect_cut(&web, true, "after the apply");
	expect_new_conn("cli", "10.84.2.10", 22, false, "after the apply");
	expect_new_conn("cli", "10.84.2.11", 22, false, "after the apply");
	expect_flows(&ssh, "after the blocked attempts");

	down();
}
