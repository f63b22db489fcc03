/* test_labs.c - whole labs, for real: `vpcemu test` over lab files whose
 * expect lines pair every "reachable" with a "blocked" twin (dogfooding), and
 * checks of up/down/exec with independent tools (ip, nft, ping).
 *
 * Each test names its lab "it<pid>-<name>", takes it down in .fini even when
 * an assertion failed, and asserts that nothing of it is left.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vpcemu/load.h"
#include "vpcemu/model.h"

#include "helpers.h"

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
	test_assert_no_leak(lab_name);
}

TestSuite(labs, .init = setup, .fini = teardown, .timeout = 300);

Test(labs, hands_on) { lab_test("../topologies/vpc-peering.conf", "handson", 0); }
Test(labs, three_tier) { lab_test("../topologies/three-tier.conf", "tier", 0); }
Test(labs, transitive) { lab_test("../topologies/transitive.conf", "trans", 0); }
Test(labs, gateway_endpoints) { lab_test("../topologies/gateway-endpoints.conf", "gwe", 0); }
Test(labs, privatelink) { lab_test("../topologies/privatelink.conf", "plink", 0); }

/* Instance inst's public IP in file's model under lab name (NULL: the
 * file's own), dotted into buf. */
static void public_ip(const char *file, const char *name, const char *inst,
		      char *buf)
{
	struct diags d = { 0 };
	struct lab *lab = NULL;
	const struct instance *in;

	cr_assert_eq(load_lab_file(file, NULL, name, &d, &lab), 0, "%s", file);
	diags_free(&d);
	in = (const struct instance *)model_find(lab, RES_INSTANCE, inst);
	cr_assert(in && in->public_ipv4, "%s: no public IP for %s", file, inst);
	ip_fmt(in->public_ipv4, buf);
	lab_free(lab);
}

/* public-web.conf writes Web's public IP, which derives from the lab name:
 * under the test's own name (unique, so runs never meet) Web has another
 * one. The file must hold the IP of its own name; a copy with the IP of
 * the test's name is what runs. */
Test(labs, public_web)
{
	static const char file[] = "../topologies/public-web.conf";
	char own[IP_BUF], ours[IP_BUF], copy[192];

	name_lab("pubweb");
	public_ip(file, NULL, "Web", own);
	public_ip(file, lab_name, "Web", ours);
	cr_assert_eq(test_sh("grep -qF -- '-> %s tcp 80 reachable' %s", own,
			     file), 0, "%s does not probe Web's public IP %s",
		     file, own);
	snprintf(copy, sizeof(copy), "/tmp/%s.conf", lab_name);
	cr_assert_eq(test_sh("sed 's/-> %s /-> %s /' %s > %s", own, ours, file,
			     copy), 0);
	lab_test(copy, "pubweb", 0);
	unlink(copy);
}

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
	int rc, i;

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
	/* The kernel destroys the namespace asynchronously: EC2-B answers
	 * for a moment after its name is gone. Wait (5 s at most) for the
	 * ping to fail, then repair while the dying veth may still exist. */
	for (i = 0; i < 10; i++)
		if (RUN(out, "ip", "netns", "exec", ns_a, "ping", "-c", "1",
			"-W", "0.5", "10.2.1.10") != 0)
			break;
	cr_expect_lt(i, 10, "EC2-B still answers after its namespace went");
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
	test_assert_no_leak(lab_name);
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
	/* vpcemud checks the file; its diagnostics name it as typed. */
	cr_expect(!strncmp(out, "integration/labs/invalid.conf:", 30), "%s",
		  out);
	test_assert_no_leak(lab_name);
}

/* `vpcemu down NAME` where the current directory holds a file called NAME
 * (a lab file of another lab here): the running lab wins; with no such
 * lab up, the file is what down reads. */
Test(labs, down_prefers_a_running_lab_over_a_file)
{
	static char out[8192];
	char dir[] = "/tmp/vpcemu-it-down-XXXXXX", path[PATH_MAX];
	char bin[PATH_MAX];
	char *text;
	FILE *f;
	int rc;

	name_lab("dn");
	cr_assert_not_null(realpath(vpcemu(), bin));
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, lab_name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "lab it%d-other\nvpc V { cidr 10.9.0.0/16 }\n",
		(int)getpid());
	fclose(f);
	rc = RUN(out, (char *)vpcemu(), "up",
		 "integration/labs/wrong-expectation.conf", "--name", lab_name);
	cr_assert_eq(rc, 0, "%s", out);
	text = test_sh_output("cd %s && %s down %s 2>&1", dir, bin, lab_name);
	cr_expect(strstr(text, "is down") && strstr(text, lab_name), "%s",
		  text);
	free(text);
	test_assert_no_leak(lab_name);
	text = test_sh_output("cd %s && %s down %s 2>&1", dir, bin, lab_name);
	cr_expect(strstr(text, "-other") != NULL, "the file was not read: %s",
		  text);
	free(text);
	unlink(path);
	rmdir(dir);
}

/* ---- AWS rules, one lab file each under tests/integration/labs/: every
 * rule has a probe that passes where AWS lets traffic through and a twin
 * that is blocked where AWS blocks it; the comment at the top of each file
 * names the rules and why each expect holds. */

/* Gotcha 1: SG egress only tcp 443. */
Test(labs, sg_egress_443)
{
	lab_test("integration/labs/sg-egress-443.conf", "eg443", 0);
}

/* Gotcha 2, R-4.13-4.15: tracked replies pass with no rule for them. */
Test(labs, sg_stateful)
{
	lab_test("integration/labs/sg-stateful.conf", "stateful", 0);
}

/* Gotcha 3, R-5.1: a NACL that admits ICMP but lets no reply out. */
Test(labs, nacl_stateless_icmp)
{
	lab_test("integration/labs/nacl-stateless-icmp.conf", "naclicmp", 0);
}

/* Gotcha 4, R-5.1, R-5.11: return traffic needs the ephemeral ports. */
Test(labs, nacl_ephemeral)
{
	lab_test("integration/labs/nacl-ephemeral.conf", "ephem", 0);
}

/* Gotcha 5, R-5.8: no NACL inside a subnet. */
Test(labs, nacl_same_subnet)
{
	lab_test("integration/labs/nacl-same-subnet.conf", "samesub", 0);
}

/* first match by rule number, whatever the order in the file. */
Test(labs, nacl_order)
{
	lab_test("integration/labs/nacl-order.conf", "naclord", 0);
}

/* Gotcha 7, R-1.10, R-4.4: default group vs a new group. */
Test(labs, sg_default_vs_new)
{
	lab_test("integration/labs/sg-default-vs-new.conf", "sgdef", 0);
}

/* the groups of an ENI are a union; UDP probes. */
Test(labs, sg_union)
{
	lab_test("integration/labs/sg-union.conf", "sgunion", 0);
}

/* self and cross-VPC group references. */
Test(labs, sg_reference)
{
	lab_test("integration/labs/sg-reference.conf", "sgref", 0);
}

/* Gotcha 8, R-6.9: a route on one side only. */
Test(labs, peering_one_route)
{
	lab_test("integration/labs/peering-one-route.conf", "oneroute", 0);
}

/* Gotcha 9, R-6.10, R-3.9: pending and rejected peerings carry nothing. */
Test(labs, peering_pending)
{
	lab_test("integration/labs/peering-pending.conf", "pending", 0);
}

/* Gotcha 13, R-6.7: no transit through a peered VPC. */
Test(labs, peering_transitive)
{
	lab_test("integration/labs/peering-transitive.conf", "ptrans", 0);
}

/* Gotcha 16, R-3.4, R-3.9: longest prefix wins; blackhole drops. */
Test(labs, route_lpm)
{
	lab_test("integration/labs/route-lpm.conf", "lpm", 0);
}

/* a subnet without association follows the main table. */
Test(labs, route_main_table)
{
	lab_test("integration/labs/route-main-table.conf", "maintbl", 0);
}


/* Runs `vpcemu validate FILE`, expects exit want and every needle (NULL
 * terminated) in its output. */
static void validate_says(const char *file, int want, ...)
{
	static char out[65536];
	const char *needle;
	va_list ap;
	int rc;

	rc = RUN(out, (char *)vpcemu(), "validate", (char *)file);
	cr_expect_eq(rc, want, "validate %s: exit %d, want %d\n%s", file, rc,
		     want, out);
	va_start(ap, want);
	while ((needle = va_arg(ap, const char *)))
		cr_expect(strstr(out, needle) != NULL,
			  "validate %s: no \"%s\" in:\n%s", file, needle, out);
	va_end(ap);
}

/* Gotcha 12, R-6.5: an overlapping peering is created, failed, warned
 * about, and carries nothing (the lab's expects); a good one next to it
 * works. */
Test(labs, peering_overlap)
{
	validate_says("integration/labs/peering-overlap.conf", 0,
		      "integration/labs/peering-overlap.conf:20:9: warning: "
		      "Vpcemu.PeeringFailed: ",
		      "A23->B24 failed", "A23->C25 active", NULL);
	lab_test("integration/labs/peering-overlap.conf", "overlap", 0);
}

/* Gotcha 15, R-2.4, R-2.5: base+3 is reserved; `vpcemu test` refuses the
 * lab (exit 1, nothing created) and says where. */
Test(labs, invalid_reserved_ip)
{
	validate_says("integration/labs/invalid-reserved-ip.conf", 1,
		      "integration/labs/invalid-reserved-ip.conf:8:39: error: "
		      "InvalidParameterValue: Address 10.29.1.3 is in "
		      "subnet's reserved address range",
		      "1 error", NULL);
	lab_test("integration/labs/invalid-reserved-ip.conf", "rsvd", 1);
}

/* Gotcha 15, R-2.4: all five reserved addresses, each at its place; the
 * first and last usable ones are accepted (exactly 5 errors). */
Test(labs, invalid_reserved_all)
{
	validate_says("integration/labs/invalid-reserved-all.conf", 1,
		      "invalid-reserved-all.conf:7:38: error: "
		      "InvalidParameterValue: Address 10.29.1.0 ",
		      "invalid-reserved-all.conf:8:38: error: "
		      "InvalidParameterValue: Address 10.29.1.1 ",
		      "invalid-reserved-all.conf:9:38: error: "
		      "InvalidParameterValue: Address 10.29.1.2 ",
		      "invalid-reserved-all.conf:10:38: error: "
		      "InvalidParameterValue: Address 10.29.1.3 ",
		      "invalid-reserved-all.conf:11:40: error: "
		      "InvalidParameterValue: Address 10.29.1.255 ",
		      "5 errors", NULL);
}

/* Gotcha 15, R-2.2: overlapping sibling subnets. */
Test(labs, invalid_subnet_conflict)
{
	validate_says("integration/labs/invalid-subnet-conflict.conf", 1,
		      "integration/labs/invalid-subnet-conflict.conf:7:31: "
		      "error: InvalidSubnet.Conflict: The CIDR "
		      "'10.29.2.128/25' conflicts with another subnet",
		      "1 error", NULL);
	lab_test("integration/labs/invalid-subnet-conflict.conf", "conflict",
		 1);
}

/* The lab's own expects (genuine traffic). */
Test(labs, antispoof_expects)
{
	lab_test("integration/labs/antispoof.conf", "spoofx", 0);
}

/* Source/destination check and peering guard (DESIGN.md anti-spoofing,
 * an instance that sends from an address that is not its
 * own gets nothing delivered, even though the destination's group admits
 * all of 10/8. Counted at the destination, so a dropped reply cannot be
 * mistaken for a dropped request. */
Test(labs, anti_spoofing)
{
	static char out[65536];
	static const struct {
		const char *inst, *addr, *why;
	} spoof[] = {
		{ "b", "10.42.1.99", "free address of b's own subnet" },
		{ "b", "10.41.1.10", "a's address, through the peering" },
		{ "b", "10.43.1.10", "outside both VPCs (transit)" },
		{ "a", "10.41.1.99", "free address of a's own subnet" },
	};
	char ns_s[160], ns[160], cidr[32];
	long n0, n;
	size_t i;

	name_lab("spoof");
	snprintf(ns_s, sizeof(ns_s), "%s-srv", lab_name);
	cr_assert_eq(RUN(out, (char *)vpcemu(), "up",
			 "integration/labs/antispoof.conf", "--name",
			 lab_name), 0, "up: %s", out);

	/* Genuine: b's own address, across the peering. */
	snprintf(ns, sizeof(ns), "%s-b", lab_name);
	n0 = in_echos(ns_s);
	cr_assert_geq(n0, 0, "cannot read Icmp InEchos in %s", ns_s);
	cr_expect_eq(RUN(out, "ip", "netns", "exec", ns, "ping", "-c", "2",
			 "-W", "1", "10.41.1.20"), 0, "genuine ping: %s", out);
	n = in_echos(ns_s);
	cr_expect_eq(n - n0, 2, "genuine requests seen at srv: %ld", n - n0);

	for (i = 0; i < sizeof(spoof) / sizeof(spoof[0]); i++) {
		snprintf(ns, sizeof(ns), "%s-%s", lab_name, spoof[i].inst);
		snprintf(cidr, sizeof(cidr), "%s/32", spoof[i].addr);
		cr_assert_eq(RUN(out, "ip", "-n", ns, "addr", "add", cidr,
				 "dev", "eth0"), 0, "%s", out);
		n0 = in_echos(ns_s);
		cr_expect_neq(RUN(out, "ip", "netns", "exec", ns, "ping",
				  "-I", (char *)spoof[i].addr, "-c", "2",
				  "-W", "1", "10.41.1.20"), 0,
			      "spoofed ping from %s as %s (%s) answered",
			      spoof[i].inst, spoof[i].addr, spoof[i].why);
		n = in_echos(ns_s);
		cr_expect_eq(n, n0, "%s as %s (%s): %ld forged requests "
			     "reached srv", spoof[i].inst, spoof[i].addr,
			     spoof[i].why, n - n0);
	}

	/* a's genuine address still works after all that. */
	snprintf(ns, sizeof(ns), "%s-a", lab_name);
	cr_expect_eq(RUN(out, "ip", "netns", "exec", ns, "ping", "-c", "1",
			 "-W", "2", "10.41.1.20"), 0, "genuine ping a: %s",
		     out);

	cr_expect_eq(RUN(out, (char *)vpcemu(), "down", lab_name), 0,
		     "down: %s", out);
	test_assert_no_leak(lab_name);
}

/* Where a failing ping dies: brings FILE up, pings DST_IP from SRC (must
 * fail: the lab's own expect says blocked) and counts at DST how many echo
 * requests reached it: all of them when only the reply is dropped
 * (arrived), none when the request is. */
static void ping_dies(const char *file, const char *suffix, const char *src,
		      const char *dst, const char *dst_ip, bool arrived)
{
	static char out[65536];
	char ns_src[160], ns_dst[160];
	long n0, n;

	name_lab(suffix);
	snprintf(ns_src, sizeof(ns_src), "%s-%s", lab_name, src);
	snprintf(ns_dst, sizeof(ns_dst), "%s-%s", lab_name, dst);
	cr_assert_eq(RUN(out, (char *)vpcemu(), "up", (char *)file, "--name",
			 lab_name), 0, "up %s: %s", file, out);
	n0 = in_echos(ns_dst);
	cr_assert_geq(n0, 0, "cannot read Icmp InEchos in %s", ns_dst);
	cr_expect_neq(RUN(out, "ip", "netns", "exec", ns_src, "ping", "-c",
			  "2", "-W", "1", (char *)dst_ip), 0,
		      "%s -> %s answered: %s", src, dst, out);
	n = in_echos(ns_dst);
	if (arrived)
		cr_expect_eq(n - n0, 2, "%s -> %s: %ld of 2 requests arrived, "
			     "want 2 (only the reply is dropped)", src, dst,
			     n - n0);
	else
		cr_expect_eq(n - n0, 0, "%s -> %s: %ld requests arrived, want "
			     "0 (the request is dropped)", src, dst, n - n0);
	cr_expect_eq(RUN(out, (char *)vpcemu(), "down", lab_name), 0,
		     "down: %s", out);
	test_assert_no_leak(lab_name);
}

/* Gotcha 3: the request gets in, the reply dies at the NACL outbound. */
Test(labs, nacl_reply_dies_outbound)
{
	ping_dies("integration/labs/nacl-stateless-icmp.conf", "dies3", "cli",
		  "oneway", "10.13.2.10", true);
}

/* Gotcha 8: the request reaches B; the reply has no route. */
Test(labs, peering_reply_has_no_route)
{
	ping_dies("integration/labs/peering-one-route.conf", "dies8", "aone",
		  "bone", "10.18.1.10", true);
}

/* Gotcha 12 / R-3.9 counterpart: a blackhole route to a failed peering
 * drops the request itself. */
Test(labs, peering_failed_drops_request)
{
	ping_dies("integration/labs/peering-overlap.conf", "diesovl", "a", "b",
		  "10.24.1.10", false);
}

/* Gotcha 5 counterpart: a deny-all NACL drops the request on the way in. */
Test(labs, nacl_deny_drops_request)
{
	ping_dies("integration/labs/nacl-same-subnet.conf", "dies5", "c", "a",
		  "10.15.1.10", false);
}

/* Gotcha 2 counterpart, R-4.15: pingme's group admits the echo request and
 * the tracked reply goes out; its own outbound ping never leaves. */
Test(labs, sg_egress_none_drops_request)
{
	ping_dies("integration/labs/sg-stateful.conf", "dies2", "pingme",
		  "peer", "10.12.1.20", false);
}

/* Host safety: a lab's whole life leaves the host's own network namespace
 * exactly as it was: links, addresses, routes, rules, nftables ruleset and
 * the sysctls a router namespace sets. */
static char *host_snapshot(void)
{
	static const char *const cmds[][8] = {
		{ "ip", "-o", "link", "show", NULL },
		{ "ip", "-o", "addr", "show", NULL },
		{ "ip", "route", "show", "table", "all", NULL },
		{ "ip", "rule", "show", NULL },
		{ "nft", "list", "ruleset", NULL },
		{ "sysctl", "net.ipv4.ip_forward", "net.ipv4.conf.all.rp_filter",
		  "net.ipv4.conf.default.proxy_arp",
		  "net.ipv4.conf.all.send_redirects",
		  "net.ipv6.conf.all.disable_ipv6", NULL },
	};
	static char out[65536];
	char *snap = calloc(1, 6 * sizeof(out));
	size_t i;

	cr_assert_not_null(snap);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		cr_assert_eq(test_run((char *const *)cmds[i], out, sizeof(out)), 0,
			     "%s: %s", cmds[i][0], out);
		strcat(snap, out);
	}
	return snap;
}

Test(labs, host_namespace_untouched)
{
	static char out[65536];
	char *before, *after;

	name_lab("host");
	before = host_snapshot();
	cr_assert_eq(RUN(out, (char *)vpcemu(), "up",
			 "../topologies/vpc-peering.conf", "--name", lab_name),
		     0, "%s", out);
	after = host_snapshot();
	cr_expect_str_eq(after, before, "the host changed while the lab was up");
	free(after);
	cr_expect_eq(RUN(out, (char *)vpcemu(), "down", lab_name), 0, "%s", out);
	after = host_snapshot();
	cr_expect_str_eq(after, before, "the host changed after down");
	free(after);
	free(before);
	test_assert_no_leak(lab_name);
}
