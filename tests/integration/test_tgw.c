/* test_tgw.c - transit gateways for real, with ping and TCP. Every "passes"
 * probe has a "blocked" twin: spoke to spoke through the gateway where its
 * tables allow it and not where they do not, the same through a peering
 * (never transitive), a blackhole route beside the route it narrows, a
 * static route beside the same propagation without it, an AZ with an
 * attachment subnet beside one without.
 *
 * The lab is "it<pid>-tgw"; .fini takes it down. The hub-and-spoke
 * topology runs through `vpcemu test`, its expect lines judged by real
 * traffic.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

/* Dev and Ops reach each other and Shared through the gateway, Prod
 * reaches Shared only; Peer is peered with Shared. Ops-RT knows every
 * spoke; Services (Shared's) holds a static blackhole for Ops's block,
 * which Ops also propagates there. */
static const char lab_text[] =
	"vpc Dev { cidr 10.1.0.0/16 }\n"
	"vpc Prod { cidr 10.2.0.0/16 }\n"
	"vpc Ops { cidr 10.3.0.0/16 }\n"
	"vpc Shared { cidr 10.100.0.0/16 }\n"
	"vpc Peer { cidr 10.50.0.0/16 }\n"
	"subnet DevA { vpc Dev; cidr 10.1.1.0/24; az us-east-1a }\n"
	"subnet DevB { vpc Dev; cidr 10.1.2.0/24; az us-east-1b }\n"
	"subnet ProdA { vpc Prod; cidr 10.2.1.0/24; az us-east-1a }\n"
	"subnet OpsA { vpc Ops; cidr 10.3.1.0/24; az us-east-1a }\n"
	"subnet SharedA { vpc Shared; cidr 10.100.1.0/24; az us-east-1a }\n"
	"subnet SharedA2 { vpc Shared; cidr 10.100.2.0/24; az us-east-1a }\n"
	"subnet PeerA { vpc Peer; cidr 10.50.1.0/24; az us-east-1a }\n"
	"transit-gateway Hub { default-association no; default-propagation no }\n"
	"transit-gateway-attachment DevAtt { transit-gateway Hub; vpc Dev; "
	"subnets DevA }\n"
	"transit-gateway-attachment ProdAtt { transit-gateway Hub; vpc Prod; "
	"subnets ProdA }\n"
	"transit-gateway-attachment OpsAtt { transit-gateway Hub; vpc Ops; "
	"subnets OpsA }\n"
	"transit-gateway-attachment SharedAtt { transit-gateway Hub; "
	"vpc Shared; subnets SharedA }\n"
	"transit-gateway-route-table Dev-RT { transit-gateway Hub\n"
	"  associate DevAtt; propagate SharedAtt OpsAtt\n"
	"  route 10.100.2.0/24 via blackhole }\n"
	"transit-gateway-route-table Prod-RT { transit-gateway Hub\n"
	"  associate ProdAtt; propagate SharedAtt }\n"
	"transit-gateway-route-table Ops-RT { transit-gateway Hub\n"
	"  associate OpsAtt; propagate DevAtt ProdAtt SharedAtt }\n"
	"transit-gateway-route-table Services { transit-gateway Hub\n"
	"  associate SharedAtt; propagate DevAtt ProdAtt OpsAtt\n"
	"  route 10.3.0.0/16 via blackhole }\n"
	"peering SP { requester Shared; accepter Peer }\n"
	"route-table RDev { vpc Dev; associate DevA DevB; route 10.0.0.0/8 via Hub }\n"
	"route-table RProd { vpc Prod; associate ProdA; route 10.0.0.0/8 via Hub }\n"
	"route-table ROps { vpc Ops; associate OpsA; route 10.0.0.0/8 via Hub }\n"
	"route-table RShared { vpc Shared; associate SharedA SharedA2\n"
	"  route 10.0.0.0/8 via Hub; route 10.50.0.0/16 via SP }\n"
	"route-table RPeer { vpc Peer; associate PeerA; route 10.0.0.0/8 via SP }\n"
	"security-group DevSG { vpc Dev; ingress all from 10.0.0.0/8 }\n"
	"security-group ProdSG { vpc Prod; ingress all from 10.0.0.0/8 }\n"
	"security-group OpsSG { vpc Ops; ingress all from 10.0.0.0/8 }\n"
	"security-group SharedSG { vpc Shared; ingress all from 10.0.0.0/8 }\n"
	"security-group PeerSG { vpc Peer; ingress all from 10.0.0.0/8 }\n"
	"instance DevA1 { subnet DevA; private-ip 10.1.1.10; "
	"security-groups DevSG }\n"
	"instance DevB1 { subnet DevB; private-ip 10.1.2.10; "
	"security-groups DevSG }\n"
	"instance Prod1 { subnet ProdA; private-ip 10.2.1.10; "
	"security-groups ProdSG }\n"
	"instance Ops1 { subnet OpsA; private-ip 10.3.1.10; "
	"security-groups OpsSG }\n"
	"instance Svc1 { subnet SharedA; private-ip 10.100.1.10; "
	"security-groups SharedSG }\n"
	"instance Svc2 { subnet SharedA2; private-ip 10.100.2.10; "
	"security-groups SharedSG }\n"
	"instance Peer1 { subnet PeerA; private-ip 10.50.1.10; "
	"security-groups PeerSG }\n";

static char lab_name[64], file[128];

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	test_lab_write(lab_name, sizeof(lab_name), file, sizeof(file), "tgw",
		       lab_text);
}

static void teardown(void)
{
	if (geteuid() == 0)
		test_lab_down(lab_name, file);
}

TestSuite(tgw, .init = setup, .fini = teardown, .timeout = 180);

/* ping from instance inst to ip: 0 when answered. */
static int ping_from(const char *inst, const char *ip)
{
	char ns[160];

	snprintf(ns, sizeof(ns), "%s-%s", lab_name, inst);
	return RUN((char *)NULL, "ip", "netns", "exec", ns, "ping", "-q", "-c",
		   "1", "-W", "1", (char *)ip);
}

/* A TCP listener in instance inst on port, in the background; returns
 * its PID. */
static pid_t listen_in(const char *inst, int port)
{
	char *out = test_sh_output(
		"ip netns exec %s-%s python3 -c '"
		"import socket\n"
		"s = socket.socket()\n"
		"s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
		"s.bind((\"0.0.0.0\", %d)); s.listen(4)\n"
		"while True:\n"
		"    s.accept()[0].close()\n"
		"' > /dev/null 2>&1 & echo $!",
		lab_name, inst, port);
	pid_t pid = (pid_t)atoi(out);

	free(out);
	cr_assert_gt(pid, 0);
	return pid;
}

/* Connects from instance inst to ip:port: 0 when the connection
 * opened. */
static int connect_from(const char *inst, const char *ip, int port)
{
	char ns[160];

	snprintf(ns, sizeof(ns), "%s-%s", lab_name, inst);
	return test_connect(ns, ip, port);
}

/* the table of the ingress attachment decides, and it
 * routes spoke to spoke; Dev's table has no route to Prod. */
Test(tgw, transitive_where_the_tables_allow)
{
	pid_t l;

	test_lab_up(file, lab_name);
	cr_expect_eq(ping_from("DevA1", "10.100.1.10"), 0, "Dev -> Shared");
	cr_expect_eq(ping_from("Prod1", "10.100.1.10"), 0, "Prod -> Shared");
	cr_expect_eq(ping_from("DevA1", "10.3.1.10"), 0, "Dev -> Ops");
	cr_expect_eq(ping_from("Ops1", "10.1.1.10"), 0, "Ops -> Dev");
	cr_expect_neq(ping_from("DevA1", "10.2.1.10"), 0,
		      "Dev -> Prod: Dev-RT has no route to Prod");
	/* Ops-RT routes Ops to Prod, but Prod-RT has no way back. */
	cr_expect_neq(ping_from("Ops1", "10.2.1.10"), 0, "Ops -> Prod");

	l = listen_in("Svc1", 2222);
	cr_expect_eq(connect_from("DevA1", "10.100.1.10", 2222), 0,
		     "Dev -> Svc1:2222");
	test_stop(l);
	l = listen_in("Prod1", 2222);
	cr_expect_neq(connect_from("DevA1", "10.2.1.10", 2222), 0,
		      "Dev -> Prod1:2222");
	test_stop(l);
}

/* Peer reaches Shared through the peering, never the spokes
 * behind it, although Shared routes 10/8 to the gateway. */
Test(tgw, peering_is_not_transitive)
{
	test_lab_up(file, lab_name);
	cr_expect_eq(ping_from("Peer1", "10.100.1.10"), 0, "Peer -> Shared");
	cr_expect_neq(ping_from("Peer1", "10.1.1.10"), 0,
		      "Peer -> Dev through Shared's gateway route");
	cr_expect_neq(ping_from("DevA1", "10.50.1.10"), 0,
		      "Dev -> Peer through Shared's peering");
}

/* A blackhole route drops what it covers; the wider propagated route
 * still carries the rest (LPM). */
Test(tgw, blackhole_route_drops)
{
	test_lab_up(file, lab_name);
	cr_expect_eq(ping_from("DevA1", "10.100.1.10"), 0, "Dev -> Svc1");
	cr_expect_neq(ping_from("DevA1", "10.100.2.10"), 0,
		      "Dev -> Svc2 through 10.100.2.0/24 via blackhole");
	/* Svc2's own tables let it answer others: the drop is Dev-RT's. */
	cr_expect_eq(ping_from("Prod1", "10.100.2.10"), 0, "Prod -> Svc2");
}

/* Services propagates Dev and Ops alike; its static blackhole
 * for Ops's very prefix wins over Ops's propagation. */
Test(tgw, static_beats_propagated)
{
	test_lab_up(file, lab_name);
	cr_expect_eq(ping_from("Svc1", "10.1.1.10"), 0, "Shared -> Dev");
	cr_expect_neq(ping_from("Svc1", "10.3.1.10"), 0,
		      "Shared -> Ops through a static blackhole");
}

/* DevB is in AZ b, where the attachment has no subnet. */
Test(tgw, az_without_attachment_subnet)
{
	test_lab_up(file, lab_name);
	cr_expect_eq(ping_from("DevA1", "10.100.1.10"), 0, "DevA1 -> Svc1");
	cr_expect_neq(ping_from("DevB1", "10.100.1.10"), 0,
		      "DevB1 (AZ b) reached the gateway");
	/* Inside its VPC it works as ever. */
	cr_expect_eq(ping_from("DevB1", "10.1.1.10"), 0, "DevB1 -> DevA1");
}

/* The hub-and-spoke topology, its expect lines by real traffic. */
Test(tgw, hub_and_spoke_topology)
{
	static char out[16384];
	char name[80];

	snprintf(name, sizeof(name), "%s-hs", lab_name);
	cr_expect_eq(RUN(out, (char *)vpcemu(), "test",
			 "../topologies/transit-gateway.conf", "--name", name),
		     0, "%s", out);
	cr_log_info("%s", out);
	test_assert_no_leak(name);
}

/* down leaves nothing: the gateway's namespace and links go too. */
Test(tgw, down_leaves_nothing)
{
	char *got;

	test_lab_up(file, lab_name);
	got = test_sh_output("ip -n %s-Hub -o link | grep -c tgwa-", lab_name);
	cr_expect_eq(atoi(got), 4, "links in the gateway: %s", got);
	free(got);
	test_lab_down(lab_name, file);
	test_assert_no_leak(lab_name);
}
