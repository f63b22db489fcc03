/* test_ssm_agent.c - the SSM Agent probe (emu/svc/ssm.c) and the user
 * data runner (emu/svc/userdata.c) against real labs (R-13.2, R-13.3,
 * lab-conf `user-data`).
 *
 * Probe tests run the probe on an event loop of this process. Where a
 * resolver is needed that the test controls, a tiny DNS responder (ldns)
 * listens in another instance's namespace, on the same loop (so the probe
 * must not block it), and the client's /etc/netns/NS/resolv.conf is
 * rewritten to name it: the probe must follow that file, as the instance
 * would. TCP 443 goes to a listener of this process in a third instance's
 * namespace, whose group admits 443; its blocked twin is an instance whose
 * group does not. Where the lab's own resolver is wanted (dns-support no,
 * interface endpoints with private DNS) the probe asks it.
 *
 * Labs are written to a temporary file, named "it<pid>-..." and taken
 * down in .fini even when an assertion failed; nothing may be left.
 * Sockets of this process (listener, responder, probes) are closed first:
 * they pin their namespaces.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "vpcemu/evloop.h"
#include "vpcemu/model.h"
#include "vpcemu/ssm.h"
#include "vpcemu/userdata.h"

#include "helpers.h"

#define REGION "ap-northeast-1"

static char lab_name[128];
static char conf_path[256];
static char tmp_dir[256];
static struct evloop *el;
static struct ssm_probe *running;
static struct userdata_run *ud_running;
static int fds[16];
static size_t nfds;

/* ---- lab --------------------------------------------------------------- */

static void close_all(void)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	size_t i;

	ssm_probe_cancel(running);
	running = NULL;
	userdata_cancel(ud_running);
	ud_running = NULL;
	for (i = 0; i < nfds; i++) {
		if (el)
			evloop_del_fd(el, fds[i]);
		setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		close(fds[i]);
	}
	nfds = 0;
}

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	el = evloop_new();
	cr_assert_not_null(el);
}

static void teardown(void)
{
	close_all();
	if (lab_name[0] && geteuid() == 0) {
		static char out[8192];

		cr_expect_eq(RUN(out, (char *)vpcemu(), "down", lab_name), 0,
			     "down: %s", out);
		test_assert_no_leak(lab_name);
	}
	if (conf_path[0])
		unlink(conf_path);
	if (tmp_dir[0])
		test_sh("rm -rf '%s'", tmp_dir);
	evloop_free(el);
	el = NULL;
}

/* Writes text to a lab file and brings it up as it<pid>-suffix. */
static void up(const char *suffix, const char *text)
{
	static char out[16384];
	FILE *f;

	snprintf(lab_name, sizeof(lab_name), "it%d-%s", (int)getpid(),
		 suffix);
	snprintf(conf_path, sizeof(conf_path), "/tmp/%s.conf", lab_name);
	f = fopen(conf_path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(RUN(out, (char *)vpcemu(), "up", conf_path, "--name",
			 lab_name), 0, "up: %s", out);
}

static const char *ns_of(const char *inst)
{
	static char buf[4][160];
	static int k;
	char *b = buf[k++ % 4];

	snprintf(b, sizeof(buf[0]), "%s-%s", lab_name, inst);
	return b;
}

/* A socket of type made in namespace ns (this thread only, and back in
 * its own namespace before any assertion). */
static int ns_socket(const char *ns, int type)
{
	char path[512];
	int self, target, s = -1, err = 0;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	target = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert(self >= 0 && target >= 0, "open %s: %s", path,
		  strerror(errno));
	if (setns(target, CLONE_NEWNET) == 0) {
		s = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		err = errno;
		if (setns(self, CLONE_NEWNET) != 0)
			abort();	/* never go on in the lab's namespace */
	} else {
		err = errno;
	}
	close(self);
	close(target);
	cr_assert_geq(s, 0, "socket in %s: %s", ns, strerror(err));
	cr_assert_lt(nfds, sizeof(fds) / sizeof(fds[0]));
	fds[nfds++] = s;
	return s;
}

static void bind_any(int s, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	int one = 1;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0,
		     "bind :%d: %s", port, strerror(errno));
}

/* Closes one of fds (and forgets it). */
static void close_fd(int s)
{
	size_t i;

	for (i = 0; i < nfds; i++) {
		if (fds[i] != s)
			continue;
		evloop_del_fd(el, s);
		close(s);
		fds[i] = fds[--nfds];
		return;
	}
}

/* ---- a DNS responder on the loop --------------------------------------- */

/* What the responder says for each target name (ssm, ssmmessages,
 * ec2messages): an address (host order), NXDOMAIN, or nothing. */
enum dns_mode { DNS_ADDR, DNS_NXDOMAIN, DNS_SILENT };

struct responder {
	enum dns_mode mode[SSM_NTARGETS];
	uint32_t addr[SSM_NTARGETS];
	int queries[SSM_NTARGETS];	/* queries seen per name */
};

static struct responder rsp;

static int target_of(const ldns_rdf *qname)
{
	static const char *const svc[SSM_NTARGETS] = {
		"ssm." REGION ".amazonaws.com.",
		"ssmmessages." REGION ".amazonaws.com.",
		"ec2messages." REGION ".amazonaws.com.",
	};
	char *s = ldns_rdf2str(qname);
	int i, found = -1;

	for (i = 0; s && i < SSM_NTARGETS; i++)
		if (!strcasecmp(s, svc[i]))
			found = i;
	free(s);
	return found;
}

static void on_dns(struct evloop *loop, int fd, unsigned events, void *data)
{
	struct responder *r = data;
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	uint8_t buf[1500], *wire = NULL;
	ldns_pkt *q = NULL, *a;
	ldns_rr *qrr;
	size_t len;
	ssize_t n;
	int t;

	n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		     (struct sockaddr *)&from, &fl);
	if (n <= 0 || ldns_wire2pkt(&q, buf, (size_t)n) != LDNS_STATUS_OK)
		return;
	qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	t = qrr ? target_of(ldns_rr_owner(qrr)) : -1;
	if (t >= 0)
		r->queries[t]++;
	if (t < 0 || r->mode[t] == DNS_SILENT) {
		ldns_pkt_free(q);
		return;
	}
	a = ldns_pkt_new();
	ldns_pkt_set_id(a, ldns_pkt_id(q));
	ldns_pkt_set_qr(a, true);
	ldns_pkt_set_rd(a, ldns_pkt_rd(q));
	ldns_pkt_set_ra(a, true);
	ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION, ldns_rr_clone(qrr));
	if (r->mode[t] == DNS_NXDOMAIN) {
		ldns_pkt_set_rcode(a, LDNS_RCODE_NXDOMAIN);
	} else {
		ldns_rr *rr = ldns_rr_new();
		struct in_addr ia = { .s_addr = htonl(r->addr[t]) };
		char ip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &ia, ip, sizeof(ip));
		ldns_rr_set_owner(rr, ldns_rdf_clone(ldns_rr_owner(qrr)));
		ldns_rr_set_type(rr, LDNS_RR_TYPE_A);
		ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
		ldns_rr_set_ttl(rr, 60);
		ldns_rr_push_rdf(rr, ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, ip));
		ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, rr);
	}
	if (ldns_pkt2wire(&wire, a, &len) == LDNS_STATUS_OK)
		sendto(fd, wire, len, 0, (struct sockaddr *)&from, fl);
	free(wire);
	ldns_pkt_free(a);
	ldns_pkt_free(q);
}

/* The responder in instance inst's namespace, UDP 53; and the client's
 * resolv.conf pointed at ip. */
static void responder_start(const char *inst, const char *client,
			    const char *ip)
{
	int s = ns_socket(ns_of(inst), SOCK_DGRAM);

	bind_any(s, 53);
	cr_assert_eq(evloop_add_fd(el, s, EVLOOP_READ, on_dns, &rsp), 0);
	cr_assert_eq(test_sh("printf 'nameserver %s\\nsearch %s.compute."
			     "internal\\n' > /etc/netns/%s/resolv.conf",
			     ip, REGION, ns_of(client)),
		     0);
}

/* ---- running a probe --------------------------------------------------- */

struct outcome {
	int calls;
	struct ssm_result r;
	uint64_t ms;		/* start to done */
};

static uint64_t t0;

static void on_done(void *data, const struct ssm_result *r)
{
	struct outcome *o = data;

	o->calls++;
	o->r = *r;
	o->ms = evloop_now_ms() - t0;
	running = NULL;
	evloop_stop(el);
}

static void on_guard(struct evloop *loop, uint64_t id, void *data)
{
	evloop_stop(loop);
}

static struct iam_role ssm_role = {
	.r.name = "SsmRole",
	.policies = (char *[]){ SSM_POLICY },
	.npolicies = 1,
};

/* Probes inst and runs the loop until the probe is done (or far past its
 * deadline). */
static struct outcome probe(const char *inst)
{
	struct outcome o = { 0 };
	uint64_t guard;

	memset(rsp.queries, 0, sizeof(rsp.queries));
	t0 = evloop_now_ms();
	running = ssm_probe_start(el, ns_of(inst), REGION, &ssm_role,
				  on_done, &o);
	cr_assert_not_null(running);
	guard = evloop_add_timer(el, SSM_PROBE_MAX_MS + 2000, 0, on_guard,
				 NULL);
	evloop_run(el);
	evloop_del_timer(el, guard);
	cr_assert_eq(o.calls, 1, "probe of %s never finished", inst);
	cr_log_info("probe %s: %s in %llu ms: %s", inst,
		    o.r.online ? "online" : "offline",
		    (unsigned long long)o.ms, o.r.reason);
	return o;
}

TestSuite(ssm_agent, .init = setup, .fini = teardown, .timeout = 120);

/* ---- probe: the lab's resolver ----------------------------------------- */

/* without DNS support the resolver address does not answer; every
 * name ends "no answer" at the DNS deadline (about 1 s, all three in
 * parallel), and no TCP is tried. */
Test(ssm_agent, no_resolver_no_answer)
{
	struct outcome o;
	size_t i;

	up("ssmnodns",
	   "region " REGION "\n"
	   "vpc V92 { cidr 10.92.0.0/16; dns-support no }\n"
	   "subnet S92 { vpc V92; cidr 10.92.1.0/24 }\n"
	   "instance app { subnet S92; private-ip 10.92.1.10 }\n");
	o = probe("app");
	cr_expect_not(o.r.online);
	cr_expect_str_eq(o.r.reason,
			 "ssm." REGION ".amazonaws.com: no answer from "
			 "10.92.0.2; ssmmessages." REGION ".amazonaws.com: "
			 "no answer from 10.92.0.2; ec2messages." REGION
			 ".amazonaws.com: no answer from 10.92.0.2");
	cr_expect_eq(o.r.nameserver, 0x0a5c0002);
	for (i = 0; i < SSM_NTARGETS; i++)
		cr_expect_eq(o.r.targets[i].addr, 0);
	cr_expect_geq(o.ms, SSM_DNS_TIMEOUT_MS);
	cr_expect_leq(o.ms, SSM_DNS_TIMEOUT_MS + 300, "took %llu ms",
		      (unsigned long long)o.ms);
}

/* end to end, through the daemon's resolver and endpoint
 * ports: three interface endpoints with private DNS whose group admits
 * 443 from subnet A only. app (in A) is online; its twin in B resolves
 * the same names but its handshakes time out. */
Test(ssm_agent, endpoints_via_lab_resolver)
{
	char out[4096];
	struct outcome o;
	size_t i;

	up("ssmvpce",
	   "region " REGION "\n"
	   "vpc V93 { cidr 10.93.0.0/16; dns-hostnames yes }\n"
	   "subnet A93 { vpc V93; cidr 10.93.1.0/24 }\n"
	   "subnet B93 { vpc V93; cidr 10.93.2.0/24 }\n"
	   "security-group Vpce93 { vpc V93; ingress tcp 443 from "
	   "10.93.1.0/24 }\n"
	   "iam-role Ssm93 { policies AmazonSSMManagedInstanceCore }\n"
	   "instance app { subnet A93; private-ip 10.93.1.10; "
	   "iam-instance-profile Ssm93 }\n"
	   "instance twin { subnet B93; private-ip 10.93.2.10; "
	   "iam-instance-profile Ssm93 }\n"
	   "endpoint E1 { vpc V93; service ssm; subnets A93; "
	   "security-groups Vpce93 }\n"
	   "endpoint E2 { vpc V93; service ssmmessages; subnets A93; "
	   "security-groups Vpce93 }\n"
	   "endpoint E3 { vpc V93; service ec2messages; subnets A93; "
	   "security-groups Vpce93 }\n");
	/* The resolver is the daemon's (svc.c, dns.c): where the router has
	 * no base+2 address yet, there is nothing to test here. */
	RUN(out, "ip", "-n", (char *)ns_of("V93"), "-4", "-o", "addr", "show",
	    "dev", "lo");
	if (!strstr(out, "10.93.0.2/32"))
		cr_skip_test("the lab has no resolver at 10.93.0.2 (%s)", out);

	o = probe("app");
	cr_expect(o.r.online, "app: %s", o.r.reason);
	for (i = 0; i < SSM_NTARGETS; i++) {
		cr_expect_eq(o.r.targets[i].addr >> 8, 0x0a5d01,
			     "%s -> %08x, not an ENI of subnet A",
			     o.r.targets[i].name, o.r.targets[i].addr);
		cr_expect(o.r.targets[i].connected);
	}
	o = probe("twin");
	cr_expect_not(o.r.online);
	for (i = 0; i < SSM_NTARGETS; i++) {
		char want[128];

		cr_expect_eq(o.r.targets[i].addr >> 8, 0x0a5d01);
		snprintf(want, sizeof(want), "%s: TCP 443 to ",
			 o.r.targets[i].name);
		cr_expect(strstr(o.r.reason, want), "twin: %s", o.r.reason);
	}
	cr_expect(strstr(o.r.reason, "timed out"), "twin: %s", o.r.reason);
}

/* ---- probe: a resolver of the test's own ------------------------------- */

#define SSM_LAB                                                               \
	"region " REGION "\n"                                                 \
	"vpc V91 { cidr 10.91.0.0/16 }\n"                                     \
	"subnet S91 { vpc V91; cidr 10.91.1.0/24 }\n"                         \
	"security-group Cli91 { vpc V91; description client }\n"              \
	"security-group Dns91 { vpc V91; ingress udp 53 from 10.91.0.0/16 }\n" \
	"security-group Ep91 { vpc V91; ingress tcp 443 from 10.91.0.0/16 }\n" \
	"security-group Shut91 { vpc V91; ingress tcp 22 from 10.91.0.0/16 }\n" \
	"instance cli { subnet S91; private-ip 10.91.1.10; "                  \
	"security-groups Cli91 }\n"                                           \
	"instance dns { subnet S91; private-ip 10.91.1.53; "                  \
	"security-groups Dns91 }\n"                                           \
	"instance ep { subnet S91; private-ip 10.91.1.20; "                   \
	"security-groups Ep91 }\n"                                            \
	"instance shut { subnet S91; private-ip 10.91.1.30; "                 \
	"security-groups Shut91 }\n"

#define EP 0x0a5b0114		/* 10.91.1.20: group admits 443 */
#define SHUT 0x0a5b011e		/* 10.91.1.30: group does not */

static void answers(enum dns_mode m0, uint32_t a0, enum dns_mode m1,
		    uint32_t a1, enum dns_mode m2, uint32_t a2)
{
	rsp.mode[0] = m0;
	rsp.addr[0] = a0;
	rsp.mode[1] = m1;
	rsp.addr[1] = a1;
	rsp.mode[2] = m2;
	rsp.addr[2] = a2;
}

/* Every name answered with ep, which listens on 443: online, quickly;
 * the responder saw exactly one query per name (no needless retry), so
 * the probe asked the server resolv.conf names. Then the twins: ep no
 * longer listens (refused), NXDOMAIN, and a group that drops 443 (timed
 * out at the TCP deadline). */
Test(ssm_agent, own_resolver_answers_and_twins)
{
	struct outcome o;
	int lsn;
	size_t i;

	up("ssmown", SSM_LAB);
	responder_start("dns", "cli", "10.91.1.53");
	lsn = ns_socket(ns_of("ep"), SOCK_STREAM);
	bind_any(lsn, 443);
	cr_assert_eq(listen(lsn, 16), 0);

	answers(DNS_ADDR, EP, DNS_ADDR, EP, DNS_ADDR, EP);
	o = probe("cli");
	cr_expect(o.r.online, "%s", o.r.reason);
	cr_expect_str_empty(o.r.reason);
	cr_expect_eq(o.r.nameserver, 0x0a5b0135);
	for (i = 0; i < SSM_NTARGETS; i++) {
		cr_expect_eq(o.r.targets[i].addr, EP);
		cr_expect(o.r.targets[i].connected);
		cr_expect_eq(rsp.queries[i], 1, "%s: %d queries",
			     o.r.targets[i].name, rsp.queries[i]);
	}
	cr_expect_lt(o.ms, 500, "took %llu ms", (unsigned long long)o.ms);

	/* NXDOMAIN for one name; the others still connect. */
	answers(DNS_ADDR, EP, DNS_ADDR, EP, DNS_NXDOMAIN, 0);
	o = probe("cli");
	cr_expect_not(o.r.online);
	cr_expect_str_eq(o.r.reason,
			 "ec2messages." REGION ".amazonaws.com: NXDOMAIN");
	cr_expect(o.r.targets[0].connected && o.r.targets[1].connected);
	cr_expect_not(o.r.targets[2].connected);

	/* A silent server for one name: asked twice (one retry), then "no
	 * answer"; a group that drops 443 for another: timed out. */
	answers(DNS_SILENT, 0, DNS_ADDR, SHUT, DNS_ADDR, EP);
	o = probe("cli");
	cr_expect_not(o.r.online);
	cr_expect_str_eq(o.r.reason,
			 "ssm." REGION ".amazonaws.com: no answer from "
			 "10.91.1.53; ssmmessages." REGION ".amazonaws.com: "
			 "TCP 443 to 10.91.1.30 timed out");
	cr_expect_eq(rsp.queries[0], 2);
	cr_expect_eq(o.r.targets[1].addr, SHUT);
	cr_expect(o.r.targets[2].connected);
	cr_expect_geq(o.ms, SSM_TCP_TIMEOUT_MS);
	cr_expect_leq(o.ms, SSM_TCP_TIMEOUT_MS + 300, "took %llu ms",
		      (unsigned long long)o.ms);

	/* Nobody listens any more: the handshake is refused (RST). */
	close_fd(lsn);
	answers(DNS_ADDR, EP, DNS_ADDR, EP, DNS_ADDR, EP);
	o = probe("cli");
	cr_expect_not(o.r.online);
	cr_expect(strstr(o.r.reason, "ssm." REGION ".amazonaws.com: TCP 443 "
				     "to 10.91.1.20 refused"),
		  "%s", o.r.reason);
	cr_expect_lt(o.ms, 500, "took %llu ms", (unsigned long long)o.ms);
}

/* A role without the policy: nothing is sent at all. */
Test(ssm_agent, role_without_policy_sends_nothing)
{
	struct iam_role bare = { .r.name = "Bare" };
	struct outcome o = { 0 };

	up("ssmrole", SSM_LAB);
	responder_start("dns", "cli", "10.91.1.53");
	answers(DNS_ADDR, EP, DNS_ADDR, EP, DNS_ADDR, EP);
	t0 = evloop_now_ms();
	running = ssm_probe_start(el, ns_of("cli"), REGION, &bare, on_done,
				  &o);
	cr_assert_not_null(running);
	evloop_add_timer(el, 3000, 0, on_guard, NULL);
	evloop_run(el);
	cr_assert_eq(o.calls, 1);
	cr_expect_str_eq(o.r.reason, "role Bare lacks " SSM_POLICY);
	cr_expect_eq(rsp.queries[0] + rsp.queries[1] + rsp.queries[2], 0);
}

/* ---- user data --------------------------------------------------------- */

struct ud_outcome {
	int calls;
	int status;
	int ticks;		/* loop timer ticks while the script ran */
};

static void ud_done(void *data, int status)
{
	struct ud_outcome *o = data;

	o->calls++;
	o->status = status;
	ud_running = NULL;
	evloop_stop(el);
}

static void on_tick(struct evloop *loop, uint64_t id, void *data)
{
	((struct ud_outcome *)data)->ticks++;
}

static char *log_file(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s.log", tmp_dir, name);
	return path;
}

/* Runs script in box's namespace, logging to NAME.log; returns the
 * outcome once done (or after 20 s). */
static struct ud_outcome run_script(const char *name, const char *script)
{
	struct ud_outcome o = { 0 };
	uint64_t guard, tick;

	ud_running = userdata_start(el, ns_of("box"), NULL, NULL, script,
				    log_file(name), ud_done, &o);
	cr_assert_not_null(ud_running, "userdata_start: %s", strerror(errno));
	guard = evloop_add_timer(el, 20000, 0, on_guard, NULL);
	tick = evloop_add_timer(el, 50, 50, on_tick, &o);
	evloop_run(el);
	evloop_del_timer(el, guard);
	evloop_del_timer(el, tick);
	cr_assert_eq(o.calls, 1, "%s: never finished", name);
	return o;
}

#define UD_LAB                                                                \
	"region " REGION "\n"                                                 \
	"vpc V94 { cidr 10.94.0.0/16 }\n"                                     \
	"subnet S94 { vpc V94; cidr 10.94.1.0/24 }\n"                         \
	"instance box { subnet S94; private-ip 10.94.1.10 }\n"

/* After the suite's setup (Criterion runs both). */
static void ud_setup(void)
{
	if (geteuid() != 0)
		return;
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/it%d-ud", (int)getpid());
	cr_assert_eq(test_sh("rm -rf '%s' && mkdir -p '%s'", tmp_dir,
			     tmp_dir),
		     0);
	up("ssmud", UD_LAB);
}

/* The script runs in the instance's namespace with its resolv.conf, its
 * output (both streams) lands in the log, the loop keeps turning while it
 * runs, and status 0 comes back. A command that reads stdin does not eat
 * the rest of the script. */
Test(ssm_agent, userdata_runs_in_instance, .init = ud_setup)
{
	char script[1024], *got;
	struct ud_outcome o;

	snprintf(script, sizeof(script),
		 "echo hello\n"
		 "echo oops >&2\n"
		 "read line\n"
		 "echo after-read\n"
		 "ip -4 -o addr show dev eth0 | grep -q 10.94.1.10 && "
		 "echo ns-ok > %s/marker\n"
		 "cat /etc/resolv.conf >> %s/marker\n"
		 "sleep 0.3\n",
		 tmp_dir, tmp_dir);
	o = run_script("ok", script);
	cr_expect_eq(o.status, 0);
	cr_expect_geq(o.ticks, 3, "the loop was blocked (%d ticks)", o.ticks);
	got = test_sh_output("cat '%s'", log_file("ok"));
	cr_expect_str_eq(got, "hello\noops\nafter-read\n");
	free(got);
	got = test_sh_output("cat '%s/marker'", tmp_dir);
	cr_expect_str_eq(got, "ns-ok\nnameserver 10.94.0.2\n"
			      "search " REGION ".compute.internal\n");
	free(got);
	cr_expect_eq(test_sh("stat -c %%a '%s' | grep -qx 600",
			     log_file("ok")),
		     0, "log mode");
}

/* A failing script is a status, not an error; a signal is 128 + N; the
 * log keeps what ran before. */
Test(ssm_agent, userdata_failure_status, .init = ud_setup)
{
	struct ud_outcome o;
	char *got;

	o = run_script("fail", "echo before\nfalse\nexit 3\necho never\n");
	cr_expect_eq(o.status, 3);
	got = test_sh_output("cat '%s'", log_file("fail"));
	cr_expect_str_eq(got, "before\n");
	free(got);

	o = run_script("sig", "kill -TERM $$\n");
	cr_expect_eq(o.status, 128 + SIGTERM);

	o = run_script("syntax", "if then fi\n");
	cr_expect_eq(o.status, 2, "sh syntax error: %d", o.status);
}

/* cancel kills the shell and its background job, reaps the child and
 * never calls done. */
Test(ssm_agent, userdata_cancel_kills_group, .init = ud_setup)
{
	struct ud_outcome o = { 0 };
	char script[1024], *got;
	pid_t child, bg = 0;
	uint64_t until;
	int ws;

	snprintf(script, sizeof(script),
		 "sleep 60 &\necho $! > %s/bg\necho $$ > %s/sh\nsleep 60\n",
		 tmp_dir, tmp_dir);
	ud_running = userdata_start(el, ns_of("box"), NULL, NULL, script,
				    log_file("cancel"), ud_done, &o);
	cr_assert_not_null(ud_running);
	child = userdata_pid(ud_running);
	cr_assert_gt(child, 0);
	/* Wait (turning the loop) until the script has started both. */
	for (until = evloop_now_ms() + 5000; evloop_now_ms() < until;) {
		evloop_add_timer(el, 20, 0, on_guard, NULL);
		evloop_run(el);
		got = test_sh_output("cat '%s/sh' 2>/dev/null", tmp_dir);
		if (atoi(got) > 0) {
			free(got);
			break;
		}
		free(got);
	}
	got = test_sh_output("cat '%s/bg'", tmp_dir);
	bg = atoi(got);
	free(got);
	cr_assert_gt(bg, 0, "the script never started");

	userdata_cancel(ud_running);
	ud_running = NULL;
	cr_expect_eq(waitpid(child, &ws, WNOHANG), -1, "child not reaped");
	cr_expect_eq(errno, ECHILD);
	for (until = evloop_now_ms() + 2000;
	     !test_process_gone(bg) && evloop_now_ms() < until;)
		usleep(10000);
	cr_expect(test_process_gone(bg), "background job %d survived", (int)bg);
	evloop_add_timer(el, 100, 0, on_guard, NULL);
	evloop_run(el);
	cr_expect_eq(o.calls, 0, "done called after cancel");
}
