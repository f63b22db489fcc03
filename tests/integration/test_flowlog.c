/* test_flowlog.c - VPC Flow Logs from the kernel's real verdicts
 * (docs/aws-semantics.md R-14.1-R-14.6, §16 gotcha 3), with real pings:
 *   - a ping that passes: ACCEPT on both ENIs, each direction, with the
 *     packets sent; its twin, a ping a group blocks: a single REJECT on
 *     the target's ENI and nothing on the sender's;
 *   - a ping allowed in whose reply the target's subnet ACL drops: ACCEPT
 *     then REJECT on the target's ENI; the sender's ENI has the
 *     request only; the reverse ping dies on its way out: REJECT, egress;
 *   - Amazon DNS and IMDS traffic never appears, traffic to
 *     another instance's port 53 does;
 *   - NODATA on an idle ENI; the accept and reject filters; a custom
 *     format's fields; ec2 create-flow-logs / delete-flow-logs (no record
 *     after the delete) and flow-logs tail;
 *   - down: no namespace, state file, socket of the daemon or file other
 *     than the flow logs' left.
 *
 * The lab is integration/labs/flowlog/flowlog.conf, named "it<pid>-fl"
 * (its flow logs then write under /var/log/vpcemu/it<pid>-fl/, removed
 * in .fini); every flow log has a 1 s interval, and every wait has a
 * deadline.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vpcemu/ctl.h"

#include "helpers.h"

#define LAB_FILE "integration/labs/flowlog/flowlog.conf"
#define WAIT_MS 6000	/* several 1 s intervals */

static char lab_name[64], log_dir[128];

/* The lab's instances: name, private IP, ENI ID (from describe). */
static struct inst {
	const char *name, *ip;
	char eni[32];
} insts[] = {
	{ "cli", "10.14.1.10", "" },	{ "open", "10.14.1.11", "" },
	{ "closed", "10.14.1.12", "" }, { "idle", "10.14.1.13", "" },
	{ "oneway", "10.14.2.10", "" },
};

static struct inst *inst(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(insts) / sizeof(insts[0]); i++)
		if (!strcmp(insts[i].name, name))
			return &insts[i];
	cr_assert_fail("no instance %s", name);
	return NULL;
}

static void read_enis(void)
{
	char *out = test_sh_output("%s describe instances --lab %s --output "
				   "json", vpcemu(), lab_name);
	json_t *js = json_loads(out, 0, NULL), *r, *in;
	const char *name, *eni;
	size_t i, j;

	cr_assert_not_null(js, "describe: %s", out);
	json_array_foreach(json_object_get(js, "Reservations"), i, r)
		json_array_foreach(json_object_get(r, "Instances"), j, in) {
			name = json_string_value(json_object_get(
				json_array_get(json_object_get(in, "Tags"), 0),
				"Value"));
			eni = json_string_value(json_object_get(
				json_array_get(json_object_get(
						       in, "NetworkInterfaces"),
					       0),
				"NetworkInterfaceId"));
			cr_assert(name && eni, "%s", out);
			snprintf(inst(name)->eni, sizeof(inst(name)->eni), "%s",
				 eni);
		}
	json_decref(js);
	free(out);
}

static void setup(void)
{
	char out[8192];

	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	snprintf(lab_name, sizeof(lab_name), "it%d-fl", (int)getpid());
	snprintf(log_dir, sizeof(log_dir), "/var/log/vpcemu/%s", lab_name);
	cr_assert_eq(RUN(out, (char *)vpcemu(), "up", LAB_FILE, "--name",
			 lab_name), 0, "up: %s", out);
	read_enis();
}

static void teardown(void)
{
	if (!lab_name[0] || geteuid() != 0)
		return;
	RUN((char *)NULL, (char *)vpcemu(), "down", lab_name);
	test_sh("rm -rf '%s'", log_dir);
}

TestSuite(flowlog, .init = setup, .fini = teardown, .timeout = 120);

/* The sum of packets of the OK records of a version-2 file (flow log
 * name) on ENI eni, from src to dst, with action; -1 when the file
 * cannot be read. */
static long packets(const char *name, const char *eni, const char *src,
		    const char *dst, const char *action)
{
	char path[256], line[512], e[64], s[32], d[32], a[16], st[16];
	long sum = 0, n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.log", log_dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "2 %*s %63s %31s %31s %*s %*s %*s %ld %*s "
				 "%*s %*s %15s %15s",
			   e, s, d, &n, a, st) == 6 &&
		    !strcmp(st, "OK") && !strcmp(e, eni) &&
		    !strcmp(s, src) && !strcmp(d, dst) && !strcmp(a, action))
			sum += n;
	fclose(f);
	return sum;
}

/* Waits until the record sum reaches want (at most WAIT_MS), then one
 * interval more, and returns the sum: more than want is a failure too. */
static long wait_packets(const char *name, const char *eni, const char *src,
			 const char *dst, const char *action, long want)
{
	int64_t end = test_now_ms() + WAIT_MS;

	while (packets(name, eni, src, dst, action) < want &&
	       test_now_ms() < end)
		test_pause_ms(200);
	test_pause_ms(1500);
	return packets(name, eni, src, dst, action);
}

static void ping(const char *from, const char *to, int count, bool replies)
{
	int r = test_sh("%s exec --lab %s %s -- ping -n -q -c %d -i 0.2 -W 1 "
			"%s >/dev/null 2>&1",
			vpcemu(), lab_name, from, count, inst(to)->ip);

	cr_assert_eq(r, replies ? 0 : 1, "ping %s -> %s: status %d", from, to,
		     r);
}

Test(flowlog, ping_passes_accept_on_both_enis)
{
	const char *a = inst("cli")->ip, *b = inst("open")->ip;

	ping("cli", "open", 3, true);
	cr_expect_eq(wait_packets("All", inst("cli")->eni, a, b, "ACCEPT", 3),
		     3, "cli egress");
	cr_expect_eq(packets("All", inst("cli")->eni, b, a, "ACCEPT"), 3,
		     "cli ingress (replies)");
	cr_expect_eq(packets("All", inst("open")->eni, a, b, "ACCEPT"), 3,
		     "open ingress");
	cr_expect_eq(packets("All", inst("open")->eni, b, a, "ACCEPT"), 3,
		     "open egress (replies)");
	cr_expect_eq(packets("All", inst("open")->eni, a, b, "REJECT"), 0);
}

/* The twin: closed's group admits nothing. */
Test(flowlog, group_blocks_single_reject_on_target)
{
	const char *a = inst("cli")->ip, *c = inst("closed")->ip;

	ping("cli", "closed", 2, false);
	cr_expect_eq(wait_packets("All", inst("closed")->eni, a, c, "REJECT",
				  2),
		     2);
	cr_expect_eq(packets("All", inst("closed")->eni, a, c, "ACCEPT"), 0);
	cr_expect_eq(packets("All", inst("closed")->eni, c, a, "ACCEPT"), 0);
	cr_expect_eq(packets("All", inst("cli")->eni, a, c, "ACCEPT"), 0);
	cr_expect_eq(packets("All", inst("cli")->eni, a, c, "REJECT"), 0);
}

/* Gotcha 3: ACL-OneWayF lets the request in, its missing egress entry
 * drops the reply. */
Test(flowlog, acl_drops_reply_accept_then_reject_on_target)
{
	const char *a = inst("cli")->ip, *o = inst("oneway")->ip;
	const char *eo = inst("oneway")->eni, *ea = inst("cli")->eni;

	ping("cli", "oneway", 2, false);
	cr_expect_eq(wait_packets("All", eo, o, a, "REJECT", 2), 2,
		     "the replies, dropped");
	cr_expect_eq(packets("All", eo, a, o, "ACCEPT"), 2, "the requests");
	cr_expect_eq(packets("All", eo, o, a, "ACCEPT"), 0,
		     "dropped replies counted as accepted");
	cr_expect_eq(packets("All", ea, a, o, "ACCEPT"), 2);
	cr_expect_eq(packets("All", ea, o, a, "ACCEPT"), 0);
	/* The other way the request itself dies leaving oneway's subnet. */
	ping("oneway", "cli", 2, false);
	cr_expect_eq(wait_packets("All", eo, o, a, "REJECT", 4), 4);
	cr_expect_eq(packets("All", ea, o, a, "REJECT"), 0);
}

/* the resolver and IMDS are never logged; a DNS query to another
 * instance is (the twin: the same traffic, to a server of the lab). */
Test(flowlog, amazon_dns_and_imds_absent)
{
	const char *a = inst("cli")->ip;

	cr_assert_eq(test_sh("%s exec --lab %s cli -- sh -c 'getent hosts "
			     "ip-10-14-1-11.ec2.internal; curl -s -m 2 -o "
			     "/dev/null http://169.254.169.254/latest/"
			     "meta-data/; dig +tries=1 +time=1 @10.14.1.11 "
			     "example.com' >/dev/null 2>&1; true",
			     vpcemu(), lab_name), 0);
	cr_expect_eq(wait_packets("All", inst("cli")->eni, a, "10.14.1.11",
				  "ACCEPT", 1),
		     1, "the query to open's port 53");
	cr_expect_eq(packets("All", inst("cli")->eni, a, "10.14.0.2",
			     "ACCEPT"), 0);
	cr_expect_eq(packets("All", inst("cli")->eni, a, "169.254.169.254",
			     "ACCEPT"), 0);
	cr_expect_eq(test_sh("grep -E '10\\.14\\.0\\.2 |169\\.254\\.' "
			     "'%s/All.log'", log_dir), 1,
		     "a record of Amazon DNS or IMDS");
}

static int lines_of(const char *dir, const char *name)
{
	char *out = test_sh_output("cat '%s/%s.log' 2>/dev/null | wc -l",
				   dir, name);
	int n = atoi(out);

	free(out);
	return n;
}

/* Waits (8 s at most) until flow log name of dir writes again. */
static void next_write(const char *dir, const char *name)
{
	int64_t end = test_now_ms() + 8000;
	int n = lines_of(dir, name);

	while (lines_of(dir, name) == n && test_now_ms() < end)
		test_pause_ms(50);
	cr_assert_gt(lines_of(dir, name), n, "%s never wrote", name);
}

/* A flow that ends between two writes (its conntrack entry gone: the
 * DESTROY event, or the dump evicting it) still counts in its interval.
 * In a lab of its own, so that no other flow log's dump reads the
 * counters first; its router forgets pings after 1 s, and the ping
 * starts right after a write. */
Test(flowlog, flow_ended_within_the_interval_counts)
{
	char name[80], dir[160], out[8192], path[256];
	const char *a = "10.15.1.10", *b = "10.15.1.11";
	long n = 0, p;
	char line[512], e[64], s[32], d[32];
	FILE *f;

	snprintf(name, sizeof(name), "%s-s", lab_name);
	snprintf(dir, sizeof(dir), "/var/log/vpcemu/%s", name);
	cr_assert_eq(RUN(out, (char *)vpcemu(), "up",
			 "integration/labs/flowlog/slow.conf", "--name", name),
		     0, "up: %s", out);
	cr_assert_eq(test_sh("ip netns exec '%s-VS' sysctl -qw "
			     "net.netfilter.nf_conntrack_icmp_timeout=1",
			     name), 0);
	next_write(dir, "Slow");
	cr_assert_eq(test_sh("%s exec --lab %s a -- ping -n -q -c 2 -i 0.2 "
			     "-W 1 %s >/dev/null", vpcemu(), name, b), 0);
	next_write(dir, "Slow");
	snprintf(path, sizeof(path), "%s/Slow.log", dir);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "2 %*s %63s %31s %31s %*s %*s %*s %ld", e, s,
			   d, &p) == 4 && !strcmp(s, a) && !strcmp(d, b))
			n += p;
	fclose(f);
	RUN((char *)NULL, (char *)vpcemu(), "down", name);
	test_sh("rm -rf '%s'", dir);
	/* The requests, egress on a's ENI and ingress on b's. */
	cr_expect_eq(n, 4);
}

static int lines_matching(const char *name, const char *pattern)
{
	char *out = test_sh_output("grep -cE '%s' '%s/%s.log'", pattern,
				   log_dir, name);
	int n = atoi(out);

	free(out);
	return n;
}

Test(flowlog, nodata_on_idle_eni)
{
	char pat[128];

	test_pause_ms(2500);
	snprintf(pat, sizeof(pat), " %s - - - - - - - [0-9]+ [0-9]+ - NODATA$",
		 inst("idle")->eni);
	cr_expect_geq(lines_matching("All", pat), 2);
	snprintf(pat, sizeof(pat), " %s .* OK$", inst("idle")->eni);
	cr_expect_eq(lines_matching("All", pat), 0);
}

Test(flowlog, traffic_filters)
{
	ping("cli", "oneway", 1, false);
	ping("cli", "open", 1, true);
	cr_assert_eq(wait_packets("Rejects", inst("oneway")->eni,
				  inst("oneway")->ip, inst("cli")->ip,
				  "REJECT", 1),
		     1);
	cr_assert_eq(wait_packets("Accepts", inst("open")->eni,
				  inst("cli")->ip, inst("open")->ip,
				  "ACCEPT", 1),
		     1);
	cr_expect_eq(lines_matching("Rejects", " ACCEPT OK$"), 0);
	cr_expect_eq(lines_matching("Accepts", " REJECT OK$"), 0);
}

Test(flowlog, custom_format_fields)
{
	char pat[512];

	ping("cli", "open", 1, true);
	/* ${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id}
	 * ${srcaddr} ${dstaddr} ${protocol} ${type} ${pkt-srcaddr}
	 * ${pkt-dstaddr} ${flow-direction} ${traffic-path} ${tcp-flags}
	 * ${action} */
	snprintf(pat, sizeof(pat),
		 "^5 vpc-[0-9a-f]{17} subnet-[0-9a-f]{17} i-[0-9a-f]{17} %s "
		 "10\\.14\\.1\\.10 10\\.14\\.1\\.11 1 IPv4 10\\.14\\.1\\.10 "
		 "10\\.14\\.1\\.11 egress 1 0 ACCEPT$",
		 inst("cli")->eni);
	cr_expect_eq(wait_packets("All", inst("cli")->eni, inst("cli")->ip,
				  inst("open")->ip, "ACCEPT", 1),
		     1);
	cr_expect_eq(lines_matching("Custom", pat), 1);
	snprintf(pat, sizeof(pat),
		 " %s 10\\.14\\.1\\.11 10\\.14\\.1\\.10 1 IPv4 .* ingress - 0 "
		 "ACCEPT$",
		 inst("cli")->eni);
	cr_expect_eq(lines_matching("Custom", pat), 1);
}

/* create-flow-logs makes a working flow log; after delete-flow-logs its
 * file takes no more line; describe-flow-logs lists what is there. */
Test(flowlog, ec2_create_describe_delete)
{
	char out[8192], *id, *desc;
	json_t *js;
	long before;

	cr_assert_eq(RUN(out, (char *)vpcemu(), "ec2", "create-flow-logs",
			 "--lab", lab_name, "--resource-type",
			 "NetworkInterface", "--resource-ids",
			 inst("closed")->eni, "--traffic-type", "REJECT",
			 "--max-aggregation-interval", "1",
			 "--tag-specifications",
			 "ResourceType=vpc-flow-log,Tags=[{Key=Name,"
			 "Value=ByCommand}]"),
		     0, "%s", out);
	js = json_loads(out, 0, NULL);
	cr_assert_not_null(js, "%s", out);
	id = strdup(json_string_value(
		json_array_get(json_object_get(js, "FlowLogIds"), 0)));
	json_decref(js);
	desc = test_sh_output("%s ec2 describe-flow-logs --lab %s --output "
			      "json", vpcemu(), lab_name);
	cr_expect_not_null(strstr(desc, id), "%s", desc);
	free(desc);
	ping("cli", "closed", 1, false);
	cr_expect_eq(wait_packets("ByCommand", inst("closed")->eni,
				  inst("cli")->ip, inst("closed")->ip,
				  "REJECT", 1),
		     1);
	cr_assert_eq(RUN(out, (char *)vpcemu(), "ec2", "delete-flow-logs",
			 "--lab", lab_name, "--flow-log-ids", id),
		     0, "%s", out);
	test_pause_ms(1500);
	before = packets("ByCommand", inst("closed")->eni, inst("cli")->ip,
			 inst("closed")->ip, "REJECT");
	cr_expect_eq(test_sh("wc -l < '%s/ByCommand.log' > /tmp/%s.n",
			     log_dir, lab_name), 0);
	ping("cli", "closed", 1, false);
	test_pause_ms(2500);
	cr_expect_eq(packets("ByCommand", inst("closed")->eni,
			     inst("cli")->ip, inst("closed")->ip, "REJECT"),
		     before, "a record after delete-flow-logs");
	cr_expect_eq(test_sh("wc -l < '%s/ByCommand.log' | cmp -s - "
			     "/tmp/%s.n", log_dir, lab_name), 0,
		     "a NODATA line after delete-flow-logs");
	/* The flow log that stays still records. */
	cr_expect_eq(wait_packets("All", inst("closed")->eni, inst("cli")->ip,
				  inst("closed")->ip, "REJECT", 2),
		     2);
	test_sh("rm -f /tmp/%s.n", lab_name);
	free(id);
}

/* flow-logs tail prints what the daemon appends and exits 0 on SIGINT. */
Test(flowlog, tail_follows_and_stops_on_sigint)
{
	char pat[160];
	int r;

	r = test_sh("(%s flow-logs tail --lab %s --lines 0 All > /tmp/%s.tail "
		    "& p=$!; sleep 0.5; %s exec --lab %s cli -- ping -n -q -c 1 "
		    "%s >/dev/null; sleep 2.5; kill -INT $p; wait $p)",
		    vpcemu(), lab_name, lab_name, vpcemu(), lab_name,
		    inst("open")->ip);
	cr_expect_eq(r, 0, "tail's status");
	snprintf(pat, sizeof(pat), "^2 [0-9]+ %s 10\\.14\\.1\\.10 "
		 "10\\.14\\.1\\.11 0 0 1 1 84 [0-9]+ [0-9]+ ACCEPT OK$",
		 inst("cli")->eni);
	cr_expect_eq(test_sh("grep -qE '%s' /tmp/%s.tail", pat, lab_name), 0);
	test_sh("rm -f /tmp/%s.tail", lab_name);
}

static int daemon_fds(void)
{
	char *out = test_sh_output("ls /proc/$(cat '%.*s.pid')/fd | wc -l",
				   (int)(strrchr(ctl_socket_path(), '.') -
					 ctl_socket_path()),
				   ctl_socket_path());
	int n = atoi(out);

	free(out);
	return n;
}

/* down: no namespace or state file (test_assert_no_leak), the daemon
 * holds no more descriptors than before up, only the flow logs' files
 * stay. The suite's lab is taken down first, to count without it. */
Test(flowlog, down_leaves_nothing_but_the_logs)
{
	char out[8192];
	int before, after = 0;
	int64_t end;

	cr_assert_eq(RUN(out, (char *)vpcemu(), "down", lab_name), 0, "%s",
		     out);
	test_sh("rm -rf '%s'", log_dir);
	before = daemon_fds();
	cr_assert_eq(RUN(out, (char *)vpcemu(), "up", LAB_FILE, "--name",
			 lab_name), 0, "up: %s", out);
	ping("cli", "closed", 1, false);
	test_pause_ms(1200);
	cr_assert_gt(daemon_fds(), before + 4, "no socket for the flow logs");
	cr_assert_eq(RUN(out, (char *)vpcemu(), "down", lab_name), 0, "%s",
		     out);
	for (end = test_now_ms() + 3000; test_now_ms() < end;
	     test_pause_ms(100))
		if ((after = daemon_fds()) <= before)
			break;
	cr_expect_leq(after, before, "the daemon kept descriptors");
	test_assert_no_leak(lab_name);
	cr_expect_eq(test_sh("test -z \"$(ls '%s' | grep -v '\\.log$')\"",
			     log_dir), 0);
	cr_expect_eq(packets("All", inst("closed")->eni, inst("cli")->ip,
			     inst("closed")->ip, "REJECT"), 1,
		     "down writes what the flow log holds");
}
