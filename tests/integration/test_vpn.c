/* test_vpn.c - Site-to-Site VPN for real: strongSwan at both ends, ESP in
 * user space, on-premises host and instances pinging each other through
 * the tunnels. Every "passes" probe has a "blocked" twin: a subnet whose
 * table propagates the gateway beside one whose table does not, a group
 * that admits the office beside one that does not, a peered VPC that may
 * not use the VPN, a tunnel killed beside both killed.
 *
 * The lab is "it<pid>-vpn"; .fini takes it down.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static const char lab_text[] =
	"vpc Cloud { cidr 10.1.0.0/16 }\n"
	"vpc Other { cidr 10.2.0.0/16 }\n"
	"subnet A { vpc Cloud; cidr 10.1.1.0/24 }\n"
	"subnet B { vpc Cloud; cidr 10.1.2.0/24 }\n"
	"subnet O { vpc Other; cidr 10.2.1.0/24 }\n"
	"peering P { requester Cloud; accepter Other }\n"
	"route-table RA { vpc Cloud; associate A; propagate VGW\n"
	"  route 10.2.0.0/16 via P }\n"
	"route-table RB { vpc Cloud; associate B }\n"
	"route-table RO { vpc Other; associate O; route 10.1.0.0/16 via P\n"
	"  route 192.168.10.0/24 via P }\n"
	"security-group Office { vpc Cloud\n"
	"  ingress icmp from 192.168.10.0/24; ingress tcp 80 from 192.168.10.0/24\n"
	"  ingress all from 10.2.0.0/16 }\n"
	"security-group Closed { vpc Cloud }\n"
	"security-group OtherSG { vpc Other; ingress all from 0.0.0.0/0 }\n"
	"instance App1 { subnet A; private-ip 10.1.1.10; security-groups Office }\n"
	"instance App2 { subnet B; private-ip 10.1.2.10; security-groups Office }\n"
	"instance App3 { subnet A; private-ip 10.1.1.11; security-groups Closed }\n"
	"instance Other1 { subnet O; private-ip 10.2.1.10; "
	"security-groups OtherSG }\n"
	"vpn-gateway VGW { vpc Cloud }\n"
	"customer-gateway Office-CGW { ip 192.0.2.10; "
	"networks 192.168.10.0/24 }\n"
	"onprem-host Desk { customer-gateway Office-CGW; ip 192.168.10.5 }\n"
	"vpn-connection VPN { customer-gateway Office-CGW; vpn-gateway VGW\n"
	"  routing static; static-routes 192.168.10.0/24 }\n";

/* BGP: the office announces its network over both tunnels; RA and RC
 * propagate the gateway, RB does not; RC routes the office's very prefix
 * to a blackhole itself. */
static const char bgp_text[] =
	"vpc Cloud { cidr 10.1.0.0/16 }\n"
	"subnet A { vpc Cloud; cidr 10.1.1.0/24 }\n"
	"subnet B { vpc Cloud; cidr 10.1.2.0/24 }\n"
	"subnet C { vpc Cloud; cidr 10.1.3.0/24 }\n"
	"route-table RA { vpc Cloud; associate A; propagate VGW }\n"
	"route-table RB { vpc Cloud; associate B }\n"
	"route-table RC { vpc Cloud; associate C; propagate VGW\n"
	"  route 192.168.10.0/24 via blackhole }\n"
	"security-group Office { vpc Cloud; ingress all from 192.168.10.0/24 }\n"
	"instance App1 { subnet A; private-ip 10.1.1.10; security-groups Office }\n"
	"instance App2 { subnet B; private-ip 10.1.2.10; security-groups Office }\n"
	"instance App3 { subnet C; private-ip 10.1.3.10; security-groups Office }\n"
	"vpn-gateway VGW { vpc Cloud; asn 64600 }\n"
	"customer-gateway Office-CGW { ip 192.0.2.10; asn 65010\n"
	"  networks 192.168.10.0/24 }\n"
	"onprem-host Desk { customer-gateway Office-CGW; ip 192.168.10.5 }\n"
	"vpn-connection VPN { customer-gateway Office-CGW; vpn-gateway VGW\n"
	"  routing bgp }\n";

/* A VPN connection to a transit gateway: its attachment "VPN"
 * is associated with RtVpn, which VA and VB propagate into and VC does
 * not; the VPCs' attachments use RtVpc, which the VPN propagates into.
 * routing is the connection's routing lines. */
#define TGW_LAB(routing)                                                      \
	"vpc VA { cidr 10.1.0.0/16 }\n"                                         \
	"vpc VB { cidr 10.2.0.0/16 }\n"                                         \
	"vpc VC { cidr 10.3.0.0/16 }\n"                                         \
	"subnet SA { vpc VA; cidr 10.1.1.0/24 }\n"                              \
	"subnet SB { vpc VB; cidr 10.2.1.0/24 }\n"                              \
	"subnet SC { vpc VC; cidr 10.3.1.0/24 }\n"                              \
	"route-table RA { vpc VA; associate SA; route 192.168.10.0/24 via TGW }\n" \
	"route-table RB { vpc VB; associate SB; route 192.168.10.0/24 via TGW }\n" \
	"route-table RC { vpc VC; associate SC; route 192.168.10.0/24 via TGW }\n" \
	"security-group GA { vpc VA; ingress icmp from 192.168.10.0/24 }\n"     \
	"security-group GB { vpc VB; ingress icmp from 192.168.10.0/24 }\n"     \
	"security-group GC { vpc VC; ingress icmp from 192.168.10.0/24 }\n"     \
	"instance App1 { subnet SA; private-ip 10.1.1.10; security-groups GA }\n" \
	"instance App2 { subnet SB; private-ip 10.2.1.10; security-groups GB }\n" \
	"instance App3 { subnet SC; private-ip 10.3.1.10; security-groups GC }\n" \
	"transit-gateway TGW { default-association no; "                      \
	"default-propagation no }\n"                                            \
	"transit-gateway-attachment AttA { transit-gateway TGW; vpc VA; "     \
	"subnets SA }\n"                                                        \
	"transit-gateway-attachment AttB { transit-gateway TGW; vpc VB; "     \
	"subnets SB }\n"                                                        \
	"transit-gateway-attachment AttC { transit-gateway TGW; vpc VC; "     \
	"subnets SC }\n"                                                        \
	"transit-gateway-route-table RtVpc { transit-gateway TGW\n"            \
	"  associate AttA AttB AttC; propagate VPN }\n"                         \
	"transit-gateway-route-table RtVpn { transit-gateway TGW\n"            \
	"  associate VPN; propagate AttA AttB }\n"                              \
	"customer-gateway Office-CGW { ip 192.0.2.10; "                       \
	"networks 192.168.10.0/24 }\n"                                          \
	"onprem-host Desk { customer-gateway Office-CGW; ip 192.168.10.5 }\n"  \
	"vpn-connection VPN { customer-gateway Office-CGW; "                  \
	"transit-gateway TGW\n  " routing " }\n"

static const char tgw_text[] =
	TGW_LAB("routing static; static-routes 192.168.10.0/24");
static const char tgwb_text[] = TGW_LAB("routing bgp");

/* No gateway nor connection yet: vpcemu ec2 adds them. */
static const char ec2_text[] =
	"vpc Cloud { cidr 10.1.0.0/16 }\n"
	"subnet A { vpc Cloud; cidr 10.1.1.0/24 }\n"
	"route-table RA { vpc Cloud; associate A }\n"
	"security-group Office { vpc Cloud; ingress icmp from 192.168.10.0/24 }\n"
	"instance App1 { subnet A; private-ip 10.1.1.10; security-groups Office }\n"
	"customer-gateway Office-CGW { ip 192.0.2.10; "
	"networks 192.168.10.0/24 }\n"
	"onprem-host Desk { customer-gateway Office-CGW; ip 192.168.10.5 }\n";

static char lab_name[64], file[128];

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	test_lab_write(lab_name, sizeof(lab_name), file, sizeof(file), "vpn",
		       lab_text);
}

/* A test's own .init runs after the suite's: the suite's file goes. */
static void setup_other(const char *suffix, const char *text)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	unlink(file);
	test_lab_write(lab_name, sizeof(lab_name), file, sizeof(file), suffix,
		       text);
}

static void setup_bgp(void)
{
	setup_other("vpnb", bgp_text);
}

static void setup_tgw(void)
{
	setup_other("vpnt", tgw_text);
}

static void setup_tgwb(void)
{
	setup_other("vpntb", tgwb_text);
}

static void setup_ec2(void)
{
	setup_other("vpne", ec2_text);
}

static void teardown(void)
{
	if (geteuid() == 0)
		test_lab_down(lab_name, file);
}

TestSuite(vpn, .init = setup, .fini = teardown, .timeout = 180);

/* One ping from machine m (an instance or the on-premises host). */
static int ping_from(const char *m, const char *ip)
{
	char ns[160];

	snprintf(ns, sizeof(ns), "%s-%s", lab_name, m);
	return RUN((char *)NULL, "ip", "netns", "exec", ns, "ping", "-q", "-c",
		   "1", "-W", "1", (char *)ip);
}

/* Pings until one is answered or ms pass: tunnels take a moment. */
static int ping_within(const char *m, const char *ip, unsigned ms)
{
	int64_t end = test_now_ms() + ms;

	while (ping_from(m, ip) != 0)
		if (test_now_ms() > end)
			return -1;
	return 0;
}

/* Pings until one goes unanswered or ms pass: a tunnel's end takes a
 * moment to be noticed. 0 once a ping failed. */
static int unanswered_within(const char *m, const char *ip, unsigned ms)
{
	int64_t end = test_now_ms() + ms;

	while (ping_from(m, ip) == 0)
		if (test_now_ms() > end)
			return -1;
	return 0;
}

/* The charon of namespace LAB-suffix (the only process there). */
static pid_t charon_of(const char *suffix)
{
	char *out = test_sh_output("ip netns pids %s-%s | head -n 1",
				   lab_name, suffix);
	pid_t pid = (pid_t)atoi(out);

	free(out);
	cr_assert_gt(pid, 0, "no process in %s-%s", lab_name, suffix);
	return pid;
}

/* vpcemud's state directory (state.h). */
static const char *state_dir(void)
{
	const char *dir = getenv("VPCEMU_STATE_DIR");

	return dir && *dir ? dir : "/run/vpcemu/labs";
}

/* The tunnel status vpcemud keeps for tunnel n (1 or 2): "UP", "DOWN". */
static char *status_of(int n)
{
	return test_sh_output("cat %s/vpn/%s-VPN_t%d/status", state_dir(),
			      lab_name, n);
}

/* Static routing, propagated into RA only (R-3.8 has nothing to beat
 * there): both directions through the tunnels, and the instance's group
 * still applies. */
Test(vpn, static_through_real_tunnels)
{
	char ns[160];

	test_lab_up(file, lab_name);
	cr_assert_eq(ping_within("Desk", "10.1.1.10", 20000), 0,
		     "Desk -> App1 through the tunnels");
	cr_expect_eq(ping_from("App1", "192.168.10.5"), 0, "App1 -> Desk");
	snprintf(ns, sizeof(ns), "%s-Desk", lab_name);
	cr_expect_neq(test_connect(ns, "10.1.1.10", 81), 0,
		      "port 81 is not in the group");
	/* Twins: no propagation in RB; a group without the office. */
	cr_expect_neq(ping_from("Desk", "10.1.2.10"), 0,
		      "Desk -> App2: RB does not propagate the gateway");
	cr_expect_neq(ping_from("App2", "192.168.10.5"), 0, "App2 -> Desk");
	cr_expect_neq(ping_from("Desk", "10.1.1.11"), 0,
		      "Desk -> App3: its group admits nothing");
	/* IPsec is real: both ends hold a TUN device from charon. */
	cr_expect_eq(test_sh("ip -n %s-VPN_t1 link show ipsec0 >/dev/null && "
			     "ip -n %s-Office-CGW link show ipsec0 >/dev/null",
			     lab_name, lab_name),
		     0);
}

/* Other is peered with Cloud, and routes the office to the
 * peering, but the VPN is Cloud's alone, both ways. */
Test(vpn, no_edge_to_edge)
{
	test_lab_up(file, lab_name);
	cr_assert_eq(ping_within("Desk", "10.1.1.10", 20000), 0);
	cr_expect_eq(ping_from("Other1", "10.1.1.10"), 0,
		     "Other1 -> App1 through the peering");
	cr_expect_neq(ping_from("Other1", "192.168.10.5"), 0,
		      "Other1 -> Desk through Cloud's VPN");
	cr_expect_neq(ping_from("Desk", "10.2.1.10"), 0,
		      "Desk -> Other1 through Cloud's peering");
}

/* Stopping one AWS end (SIGKILL: no goodbye, dead peer detection finds
 * out) moves the traffic to the other tunnel: tunnel 1, which the
 * gateway prefers, so that both ends must move. Stopping both ends it. */
/* Brings the lab up, waits for the tunnels, kills tunnel 1's AWS end
 * (SIGKILL) and expects both directions through tunnel 2. */
static void up_then_kill_tunnel_1(unsigned wait_ms)
{
	test_lab_up(file, lab_name);
	cr_assert_eq(ping_within("Desk", "10.1.1.10", wait_ms), 0);
	cr_assert_eq(kill(charon_of("VPN_t1"), SIGKILL), 0);
	cr_expect_eq(ping_within("Desk", "10.1.1.10", 20000), 0,
		     "Desk -> App1 through tunnel 2 alone");
	cr_expect_eq(ping_within("App1", "192.168.10.5", 5000), 0,
		     "App1 -> Desk through tunnel 2 alone");
}

Test(vpn, tunnel_failover)
{
	char *st;

	up_then_kill_tunnel_1(20000);
	st = status_of(1);
	cr_expect_eq(strncmp(st, "DOWN", 4), 0, "tunnel 1 is %s", st);
	free(st);
	st = status_of(2);
	cr_expect_eq(strncmp(st, "UP", 2), 0, "tunnel 2 is %s", st);
	free(st);
	/* DescribeVpnConnections says the same, from the daemons. */
	st = test_sh_output("%s ec2 describe-vpn-connections --lab %s",
			    vpcemu(), lab_name);
	cr_expect(strstr(st, "\"Status\": \"DOWN\"") &&
			  strstr(st, "\"Status\": \"UP\""),
		  "%s", st);
	free(st);
	cr_assert_eq(kill(charon_of("VPN_t2"), SIGTERM), 0);
	/* Within 10 s (1 s on a quiet machine; a loaded one took longer),
	 * and for good: the second ping must fail too. */
	cr_expect_eq(unanswered_within("Desk", "10.1.1.10", 10000), 0,
		     "Desk -> App1 with no tunnel left");
	cr_expect_neq(ping_from("Desk", "10.1.1.10"), 0,
		      "Desk -> App1 with no tunnel left, again");
	cr_expect_neq(ping_from("App1", "192.168.10.5"), 0,
		      "App1 -> Desk with no tunnel left");
}

/* `vpcemu exec` on an on-premises host; down stops every charon and
 * leaves no namespace, state or VPN file. */
Test(vpn, exec_and_down_leave_nothing)
{
	char *out;
	pid_t c1, c2, cgw;

	test_lab_up(file, lab_name);
	out = test_sh_output("%s exec --lab %s Desk -- ip -4 -o addr show eth0",
			     vpcemu(), lab_name);
	cr_expect(strstr(out, "192.168.10.5/32"), "%s", out);
	free(out);
	c1 = charon_of("VPN_t1");
	c2 = charon_of("VPN_t2");
	cgw = charon_of("Office-CGW");
	test_lab_down(lab_name, file);
	cr_expect(test_process_gone(c1));
	cr_expect(test_process_gone(c2));
	cr_expect(test_process_gone(cgw));
	test_assert_no_leak(lab_name);
	out = status_of(1);
	cr_expect(strstr(out, "No such file"), "%s", out);
	free(out);
}

/* The routes BIRD installed in the VPC router's tables ("proto bird"). */
static char *bird_routes(void)
{
	return test_sh_output("ip -n %s-Cloud route show table all proto bird",
			      lab_name);
}

/* Waits up to ms for the BIRD routes to hold (or, with none, lack)
 * 192.168.10.0/24; returns how many lines have it. */
static int bird_routes_within(bool none, unsigned ms)
{
	int64_t end = test_now_ms() + ms;
	int n;

	for (;;) {
		char *out = bird_routes(), *p = out;

		for (n = 0; (p = strstr(p, "192.168.10.0/24")); p++)
			n++;
		free(out);
		if ((none ? n == 0 : n > 0) || test_now_ms() > end)
			return n;
		test_pause_ms(250);
	}
}

/* BGP for real: what the office announces reaches the tables that
 * propagate the gateway (AWS's ASN from the gateway, the customer's from
 * the customer gateway), below a table's own route of the same prefix
 * and nowhere else. */
Test(vpn, bgp_routes_propagate, .init = setup_bgp)
{
	char *out;

	test_lab_up(file, lab_name);
	cr_assert_eq(ping_within("Desk", "10.1.1.10", 30000), 0,
		     "Desk -> App1 over BGP-learned routes");
	cr_expect_eq(ping_from("App1", "192.168.10.5"), 0, "App1 -> Desk");
	/* RA and RC: two tables, one route each. */
	cr_expect_eq(bird_routes_within(false, 1000), 2);
	out = bird_routes();
	cr_expect(strstr(out, "metric 200"), "%s", out);
	free(out);
	cr_expect_neq(ping_from("App2", "192.168.10.5"), 0,
		      "App2 -> Desk: RB does not propagate the gateway");
	cr_expect_neq(ping_from("App3", "192.168.10.5"), 0,
		      "App3 -> Desk: RC's blackhole beats the propagated route");
	/* The customer's side sees its sessions up too. */
	out = test_sh_output("birdc -s %s/vpn/%s-Office-CGW.bird/bird.ctl "
			     "show protocols",
			     state_dir(), lab_name);
	cr_expect(strstr(out, "Established"), "%s", out);
	free(out);
}

/* A tunnel that goes down withdraws what its session brought: with one
 * left the route stays (learned over the other) and traffic moves; with
 * none, the route goes, and down still leaves nothing. */
Test(vpn, bgp_tunnel_down_withdraws, .init = setup_bgp)
{
	up_then_kill_tunnel_1(30000);
	cr_expect_gt(bird_routes_within(false, 1000), 0);
	cr_assert_eq(kill(charon_of("VPN_t2"), SIGKILL), 0);
	cr_expect_eq(bird_routes_within(true, 30000), 0,
		     "no tunnel, no route: BGP withdrew it");
	cr_expect_neq(ping_from("App1", "192.168.10.5"), 0);
	/* The dead sessions' sockets must not keep the router's namespace
	 * (and the lab's state) alive past down. */
	test_lab_down(lab_name, file);
	test_assert_no_leak(lab_name);
}

/* The office reaches App1 and App2 in two VPCs through the transit
 * gateway, and they reach it; not App3, whose VPC does not propagate
 * into the VPN's table. */
static void tgw_reaches_two_vpcs(unsigned wait_ms)
{
	cr_assert_eq(ping_within("Desk", "10.1.1.10", wait_ms), 0,
		     "Desk -> App1 through the transit gateway");
	cr_expect_eq(ping_within("Desk", "10.2.1.10", 5000), 0,
		     "Desk -> App2 in the other VPC");
	cr_expect_eq(ping_from("App1", "192.168.10.5"), 0, "App1 -> Desk");
	cr_expect_eq(ping_from("App2", "192.168.10.5"), 0, "App2 -> Desk");
	cr_expect_neq(ping_from("Desk", "10.3.1.10"), 0,
		      "Desk -> App3: VC does not propagate into RtVpn");
}

/* Static routing: the static routes propagate into RtVpc; a tunnel lost
 * moves the traffic to the other, as with a virtual private gateway. */
Test(vpn, tgw_static_reaches_two_vpcs, .init = setup_tgw)
{
	char *out;

	test_lab_up(file, lab_name);
	tgw_reaches_two_vpcs(20000);
	out = test_sh_output("ip -n %s-TGW route show table all", lab_name);
	cr_expect(strstr(out, "192.168.10.0/24 dev tgwa-"), "%s", out);
	free(out);
	cr_assert_eq(kill(charon_of("VPN_t1"), SIGKILL), 0);
	cr_expect_eq(ping_within("Desk", "10.2.1.10", 20000), 0,
		     "Desk -> App2 through tunnel 2 alone");
	cr_expect_eq(ping_within("App2", "192.168.10.5", 5000), 0,
		     "App2 -> Desk through tunnel 2 alone");
}

/* BGP: BIRD in the gateway's namespace learns the office's network into
 * RtVpc's kernel table (below static and VPC routes, metric 200) and
 * announces what RtVpn routes; a tunnel lost withdraws its session's
 * route and the other's stays. */
Test(vpn, tgw_bgp_reaches_two_vpcs, .init = setup_tgwb)
{
	char *out;

	test_lab_up(file, lab_name);
	tgw_reaches_two_vpcs(30000);
	out = test_sh_output("ip -n %s-TGW route show table all proto bird",
			     lab_name);
	cr_expect(strstr(out, "192.168.10.0/24") && strstr(out, "metric 200"),
		  "%s", out);
	free(out);
	out = test_sh_output("birdc -s %s/vpn/%s-Office-CGW.bird/bird.ctl "
			     "show route 10.2.0.0/16",
			     state_dir(), lab_name);
	cr_expect(strstr(out, "10.2.0.0/16"), "the office learns VB: %s", out);
	free(out);
	cr_assert_eq(kill(charon_of("VPN_t1"), SIGKILL), 0);
	cr_expect_eq(ping_within("App1", "192.168.10.5", 30000), 0,
		     "App1 -> Desk through tunnel 2 alone");
	test_lab_down(lab_name, file);
	test_assert_no_leak(lab_name);
}

/* One `vpcemu ec2` command on the lab; its exit status. */
static int ec2(const char *args)
{
	return test_sh("%s ec2 --lab %s %s > /dev/null", vpcemu(), lab_name,
		       args);
}

/* The AWS-shaped commands build the same: a gateway attached, a
 * connection with a static route, propagation into RA; disabling the
 * propagation blocks the office again. */
Test(vpn, ec2_commands, .init = setup_ec2)
{
	char *id;

	test_lab_up(file, lab_name);
	cr_assert_eq(ec2("create-vpn-gateway --type ipsec.1 --tag-specifications 'ResourceType=vpn-gateway,Tags=[{Key=Name,Value=VGW}]'"), 0);
	cr_assert_eq(ec2("attach-vpn-gateway --vpn-gateway-id VGW --vpc-id Cloud"), 0);
	cr_assert_eq(ec2("create-vpn-connection --type ipsec.1 --customer-gateway-id Office-CGW --vpn-gateway-id VGW --options StaticRoutesOnly=true"), 0);
	id = test_sh_output("%s ec2 --lab %s describe-vpn-connections | "
			    "sed -n 's/.*\"VpnConnectionId\": \"\\(vpn-[0-9a-f]*\\)\".*/\\1/p'",
			    vpcemu(), lab_name);
	id[strcspn(id, "\n")] = '\0';
	cr_assert_eq(strncmp(id, "vpn-", 4), 0, "%s", id);
	cr_assert_eq(test_sh("%s ec2 --lab %s create-vpn-connection-route --vpn-connection-id %s --destination-cidr-block 192.168.10.0/24 > /dev/null",
			     vpcemu(), lab_name, id),
		     0);
	free(id);
	cr_expect_neq(ping_from("Desk", "10.1.1.10"), 0,
		      "Desk -> App1: RA does not propagate yet");
	cr_assert_eq(ec2("enable-vgw-route-propagation --gateway-id VGW --route-table-id RA"), 0);
	cr_expect_eq(ping_within("Desk", "10.1.1.10", 20000), 0,
		     "Desk -> App1 once RA propagates the gateway");
	cr_assert_eq(ec2("disable-vgw-route-propagation --gateway-id VGW --route-table-id RA"), 0);
	cr_expect_neq(ping_from("Desk", "10.1.1.10"), 0,
		      "Desk -> App1 after propagation is disabled");
}
