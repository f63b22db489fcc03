/* test_internet.c - the internet edge for real: an internet gateway, public
 * IPs and an internet host, with real ping and TCP. Every "passes" probe has
 * a "blocked" twin: an instance without a public IP, a subnet without the
 * route, a group without the rule, a private address from outside, and a
 * peered VPC trying to use the gateway.
 *
 * The lab is "it<pid>-inet"; .fini takes it down and the last test checks
 * that nothing of it is left.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vpcemu/load.h"
#include "vpcemu/model.h"
#include "vpcemu/state.h"

#include "helpers.h"

static const char lab_text[] =
	"vpc V { cidr 10.9.0.0/16 }\n"
	"vpc P { cidr 10.8.0.0/16 }\n"
	"subnet Pub { vpc V; cidr 10.9.1.0/24 }\n"
	"subnet Priv { vpc V; cidr 10.9.2.0/24 }\n"
	"subnet PS { vpc P; cidr 10.8.1.0/24 }\n"
	"internet-gateway IGW { vpc V }\n"
	"peering VP { requester V; accepter P }\n"
	"route-table RPub { vpc V; associate Pub\n"
	"  route 0.0.0.0/0 via IGW; route 10.8.0.0/16 via VP }\n"
	"route-table RPriv { vpc V; associate Priv; route 10.8.0.0/16 via VP }\n"
	"route-table RP { vpc P; associate PS\n"
	"  route 10.9.0.0/16 via VP; route 0.0.0.0/0 via VP }\n"
	"security-group Web { vpc V\n"
	"  ingress tcp 8080 from 0.0.0.0/0; ingress icmp from 0.0.0.0/0 }\n"
	"security-group Closed { vpc V }\n"
	"security-group PAll { vpc P; ingress all from 0.0.0.0/0 }\n"
	"instance Web1 { subnet Pub; private-ip 10.9.1.10; public-ip yes\n"
	"  security-groups Web }\n"
	"instance NoPub { subnet Pub; private-ip 10.9.1.11; public-ip no\n"
	"  security-groups Web }\n"
	"instance Shut { subnet Pub; private-ip 10.9.1.12; public-ip yes\n"
	"  security-groups Closed }\n"
	"instance Inner { subnet Priv; private-ip 10.9.2.10; public-ip yes\n"
	"  security-groups Web }\n"
	"instance PeerI { subnet PS; private-ip 10.8.1.10\n"
	"  security-groups PAll }\n"
	"instance Eip1 { subnet Pub; private-ip 10.9.1.13; public-ip no\n"
	"  security-groups Web }\n"
	"elastic-ip E1 { address 203.0.113.10; instance Eip1 }\n"
	"elastic-ip Spare { address 203.0.113.11 }\n"
	"subnet Priv2 { vpc V; cidr 10.9.3.0/24 }\n"
	"route-table RPriv2 { vpc V; associate Priv2\n"
	"  route 0.0.0.0/0 via NGW }\n"
	"elastic-ip ENat { address 203.0.113.20 }\n"
	"nat-gateway NGW { subnet Pub; elastic-ip ENat; private-ip 10.9.1.50 }\n"
	"instance Behind { subnet Priv2; private-ip 10.9.3.10\n"
	"  security-groups Web }\n"
	"internet-host H { ip 192.0.2.10\n"
	"  user-data \"nohup python3 -m http.server 8000 --bind 192.0.2.10"
	" >/dev/null 2>&1 &\" }\n";

static char lab_name[64], file[128], ns_h[128];

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	test_lab_write(lab_name, sizeof(lab_name), file, sizeof(file), "inet",
		       lab_text);
	snprintf(ns_h, sizeof(ns_h), "%s-H", lab_name);
}

static void teardown(void)
{
	if (geteuid() == 0)
		test_lab_down(lab_name, file);
}

TestSuite(internet, .init = setup, .fini = teardown, .timeout = 120);

static void unlink_peer(void)
{
	char path[160];

	snprintf(path, sizeof(path), "/tmp/%s.peer", lab_name);
	unlink(path);
}

/* The public IP model.c gives instance name (the same lab name, the same
 * address), dotted into buf. */
static const char *public_ip(const char *name, char *buf)
{
	struct diags d = { 0 };
	struct lab *lab = NULL;
	struct instance *in;

	cr_assert_eq(load_lab_file(file, NULL, lab_name, &d, &lab), 0);
	in = (struct instance *)model_find(lab, RES_INSTANCE, name);
	cr_assert_not_null(in);
	if (in->public_ipv4)
		ip_fmt(in->public_ipv4, buf);
	else
		snprintf(buf, IP_BUF, "none");
	lab_free(lab);
	diags_free(&d);
	return buf;
}

static void up(void)
{
	test_lab_up(file, lab_name);
}

/* ping from namespace ns (a full name) to ip: 0 when answered. */
static int ping(const char *ns, const char *ip)
{
	return RUN((char *)NULL, "ip", "netns", "exec", (char *)ns, "ping",
		   "-q", "-c", "1", "-W", "1", (char *)ip);
}

static int ping_from(const char *inst, const char *ip)
{
	char ns[160];

	snprintf(ns, sizeof(ns), "%s-%s", lab_name, inst);
	return ping(ns, ip);
}

/* How many times word stands in text. */
static int count_of(const char *text, const char *word)
{
	int n = 0;

	for (; (text = strstr(text, word)); text += strlen(word))
		n++;
	return n;
}

/* A reply can never come back to a private source, so a ping alone would
 * not show whether the router lets such a packet out. A UDP
 * listener on H records every source; NoPub sends, then Web1, in rounds.
 * Once Web1's datagram has come twice, the listener was up before a
 * round began, and NoPub's datagram of that round, sent first on the same
 * path, would have come too. */
static void no_private_source_out(void)
{
	char web[IP_BUF], path[128], *got;
	pid_t listener;
	int i;

	public_ip("Web1", web);
	snprintf(path, sizeof(path), "/tmp/%s.udp", lab_name);
	unlink(path);
	got = test_sh_output("ip netns exec %s python3 -c '"
			     "import socket\n"
			     "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
			     "s.bind((\"192.0.2.10\", 9100))\n"
			     "while True:\n"
			     "    d, a = s.recvfrom(64)\n"
			     "    open(\"%s\", \"a\").write(a[0] + \"\\n\")\n"
			     "' > /dev/null 2>&1 & echo $!",
			     ns_h, path);
	listener = (pid_t)atoi(got);
	cr_assert_gt(listener, 0);
	for (i = 0; i < 100 && count_of(got, web) < 2; i++) {
		test_sh("for n in NoPub Web1; do ip netns exec %s-$n python3 -c "
			"'import socket; socket.socket(socket.AF_INET, "
			"socket.SOCK_DGRAM).sendto(b\"x\", (\"192.0.2.10\", 9100))'; "
			"done",
			lab_name);
		free(got);
		got = test_sh_output("cat %s 2>/dev/null", path);
	}
	cr_expect_geq(count_of(got, web), 2, "Web1's datagrams did not come:\n%s",
		      got);
	cr_expect_null(strstr(got, "10.9.1.11"),
		       "NoPub's private source reached the internet:\n%s", got);
	free(got);
	test_stop(listener);
	unlink(path);
}

Test(internet, public_ip_through_the_gateway)
{
	char web[IP_BUF], shut[IP_BUF], inner[IP_BUF];
	char *got;

	up();
	public_ip("Web1", web);
	public_ip("Shut", shut);
	public_ip("Inner", inner);

	/* From the internet to a public IP, as its group allows. */
	cr_expect_eq(ping(ns_h, web), 0, "H -> Web1's public %s", web);
	/* The group without the rule: blocked. */
	cr_expect_neq(ping(ns_h, shut), 0, "H -> Shut's public %s", shut);
	/* A private address from the internet: nothing routes it. */
	cr_expect_neq(ping(ns_h, "10.9.1.10"), 0, "H -> a private IP");
	/* A public IP whose subnet has no route to the gateway answers
	 * nothing either: the reply has no way out. */
	cr_expect_neq(ping(ns_h, inner), 0, "H -> Inner's public %s", inner);

	/* From the instance: its public IP is the source the host sees,
	 * its interface never holds it. */
	cr_expect_eq(ping_from("Web1", "192.0.2.10"), 0, "Web1 -> H");
	cr_expect_neq(ping_from("NoPub", "192.0.2.10"), 0,
		      "an instance without a public IP reached the internet");
	no_private_source_out();
	cr_expect_neq(ping_from("Inner", "192.0.2.10"), 0,
		      "a subnet without the route reached the internet");
	got = test_sh_output("ip -n %s-Web1 -4 addr show", lab_name);
	cr_expect_null(strstr(got, web), "the public IP is on eth0:\n%s", got);
	free(got);
}

/* A TCP listener in namespace ns on ip:port, in the background; it writes
 * each peer's address to /tmp/LAB.peer. Returns its PID (test_stop()). */
static pid_t listen_in(const char *ns, const char *ip, int port)
{
	char *out = test_sh_output(
		"ip netns exec %s python3 -c '"
		"import socket\n"
		"s = socket.socket()\n"
		"s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
		"s.bind((\"%s\", %d)); s.listen(4)\n"
		"while True:\n"
		"    c, a = s.accept()\n"
		"    open(\"/tmp/%s.peer\", \"w\").write(a[0]); c.close()\n"
		"' > /dev/null 2>&1 & echo $!",
		ns, ip, port, lab_name);
	pid_t pid = (pid_t)atoi(out);

	free(out);
	cr_assert_gt(pid, 0);
	return pid;
}

Test(internet, tcp_sees_the_public_source)
{
	char web[IP_BUF], ns_web[160];
	pid_t on_h, on_8080, on_8081;
	char *got;

	up();
	public_ip("Web1", web);
	snprintf(ns_web, sizeof(ns_web), "%s-Web1", lab_name);

	/* The host sees the instance's public IP as the peer. */
	on_h = listen_in(ns_h, "192.0.2.10", 9000);
	cr_expect_eq(test_connect(ns_web, "192.0.2.10", 9000), 0,
		     "Web1 -> H:9000");
	got = test_sh_output("cat /tmp/%s.peer; rm -f /tmp/%s.peer", lab_name,
			     lab_name);
	cr_expect_str_eq(got, web, "the host saw %s, not %s", got, web);
	free(got);
	test_stop(on_h);

	/* Inbound TCP to the public IP: the group opens 8080 only. */
	on_8080 = listen_in(ns_web, "0.0.0.0", 8080);
	on_8081 = listen_in(ns_web, "0.0.0.0", 8081);
	cr_expect_eq(test_connect(ns_h, web, 8080), 0, "H -> Web1:8080");
	cr_expect_neq(test_connect(ns_h, web, 8081), 0,
		      "H -> Web1:8081 passed a group that opens 8080 only");
	test_stop(on_8080);
	test_stop(on_8081);
	unlink_peer();
}

/* An Elastic IP is its instance's public IP, even one launched without a
 * public IP; an unassociated one answers nothing. */
Test(internet, elastic_ip)
{
	up();
	cr_expect_eq(ping(ns_h, "203.0.113.10"), 0, "H -> E1");
	cr_expect_eq(ping_from("Eip1", "192.0.2.10"), 0, "Eip1 -> H");
	cr_expect_neq(ping(ns_h, "203.0.113.11"), 0,
		      "an unassociated Elastic IP answered");
}

/* A private instance reaches the internet through the NAT gateway, seen as
 * the gateway's Elastic IP; nothing from the internet reaches it, through
 * the gateway or otherwise. */
Test(internet, nat_gateway)
{
	char ns_b[160];
	pid_t on_h, on_b;
	char *got;

	up();
	snprintf(ns_b, sizeof(ns_b), "%s-Behind", lab_name);
	cr_expect_eq(ping_from("Behind", "192.0.2.10"), 0, "Behind -> H");
	on_h = listen_in(ns_h, "192.0.2.10", 9001);
	cr_expect_eq(test_connect(ns_b, "192.0.2.10", 9001), 0,
		     "Behind -> H:9001");
	got = test_sh_output("cat /tmp/%s.peer; rm -f /tmp/%s.peer", lab_name,
			     lab_name);
	cr_expect_str_eq(got, "203.0.113.20", "the host saw %s", got);
	free(got);
	test_stop(on_h);

	/* Unsolicited inbound: the NAT gateway's address leads nowhere
	 * inside, and Behind has no address of its own outside. */
	on_b = listen_in(ns_b, "0.0.0.0", 8080);
	cr_expect_neq(test_connect(ns_h, "203.0.113.20", 8080), 0,
		      "H reached Behind through the NAT gateway");
	cr_expect_neq(ping(ns_h, "10.9.3.10"), 0, "H -> Behind's private IP");
	test_stop(on_b);
	unlink_peer();
}

/* curl from instance inst to H's web server: 0 when it answered. */
static int curl_from(const char *inst)
{
	return test_sh("ip netns exec %s-%s curl -sf -o /dev/null --max-time 2 "
		       "http://192.0.2.10:8000/",
		       lab_name, inst);
}

/* H's user data runs at up inside H and starts a web server there: an
 * instance with a public IP and the route fetches a page; Inner, whose
 * subnet has no route to the gateway, gets nothing from the same server. */
Test(internet, user_data_on_a_host)
{
	int64_t deadline;
	char *got;

	up();
	/* The server starts asynchronously: wait for it, with a deadline. */
	deadline = test_now_ms() + 15000;
	while (curl_from("Web1") && test_now_ms() < deadline)
		test_pause_ms(100);
	cr_assert_eq(curl_from("Web1"), 0, "Web1 got no page from H:8000");
	cr_expect_neq(curl_from("Inner"), 0,
		      "Inner got a page without the route to the gateway");
	/* It runs in H's namespace, and the daemon recorded it. */
	got = test_sh_output("ip netns pids %s | xargs -r ps -o args= -p", ns_h);
	cr_expect_not_null(strstr(got, "http.server 8000"), "%s", got);
	free(got);
	got = test_sh_output("cat %s/%s.userdata/H.status", state_dir(),
			     lab_name);
	cr_expect_str_eq(got, "exit 0\n");
	free(got);
}

/* a peered VPC cannot use this VPC's internet gateway, even with
 * a default route into the peering; the peering itself works. */
Test(internet, no_edge_to_edge)
{
	up();
	cr_expect_eq(ping_from("PeerI", "10.9.1.10"), 0, "PeerI -> Web1");
	cr_expect_neq(ping_from("PeerI", "192.0.2.10"), 0,
		      "PeerI reached the internet through V's gateway");
}

/* exec works for hosts; down leaves nothing, the internet included. */
Test(internet, exec_on_a_host_and_down)
{
	static char out[4096];

	up();
	cr_expect_eq(RUN(out, (char *)vpcemu(), "exec", "--lab", lab_name, "H",
			 "--", "ip", "-4", "addr", "show", "eth0"),
		     0, "%s", out);
	cr_expect(strstr(out, "192.0.2.10/32") != NULL, "%s", out);
	cr_expect_eq(RUN(out, (char *)vpcemu(), "down", lab_name), 0, "%s",
		     out);
	test_assert_no_leak(lab_name);
}
