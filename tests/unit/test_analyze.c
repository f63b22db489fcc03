/* test_analyze.c - vpcemu analyze over small labs (analyze.h).
 *
 * One lab, three VPCs (A and B peered, C peered with B only), an internet
 * gateway and host, a NAT gateway and a transit gateway, with holes for
 * the lines a case changes. Each case names the component that should
 * drop a probe and its explanation code, then the same lab with the one
 * line that lets it through: the path must be found (STYLE.md: every
 * "blocked" has a "passes" twin).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/analyze.h"
#include "vpcemu/model.h"
#include "vpcemu/util.h"

#include "helpers.h"

/* Holes: A's extra routes, B's group rules, the peering's status, extra
 * blocks (an ACL, instances...). */
static const char lab_fmt[] =
	"lab an\n"
	"vpc A { cidr 10.1.0.0/16 }\n"
	"vpc B { cidr 10.2.0.0/16 }\n"
	"vpc C { cidr 10.3.0.0/16 }\n"
	"subnet SA { vpc A; cidr 10.1.1.0/24 }\n"
	"subnet SA2 { vpc A; cidr 10.1.2.0/24 }\n"
	"subnet SB { vpc B; cidr 10.2.1.0/24 }\n"
	"subnet SC { vpc C; cidr 10.3.1.0/24 }\n"
	"peering AB { requester A; accepter B; status %s }\n"
	"peering BC { requester B; accepter C }\n"
	"internet-gateway IGW { vpc A }\n"
	"internet-host Host { ip 192.0.2.10 }\n"
	"route-table RTA { vpc A; associate SA\n%s}\n"
	"route-table RTB { vpc B; associate SB\n"
	"\troute 10.1.0.0/16 via AB\n\troute 10.3.0.0/16 via BC }\n"
	"route-table RTC { vpc C; main yes; route 10.2.0.0/16 via BC }\n"
	"security-group GA { vpc A; description \"a\"\n"
	"\tingress all from 0.0.0.0/0 }\n"
	"security-group GB { vpc B; description \"b\"\n%s}\n"
	"instance IA { subnet SA; private-ip 10.1.1.10; security-groups GA }\n"
	"instance IB { subnet SB; private-ip 10.2.1.10; security-groups GB }\n"
	"security-group GC { vpc C; description \"c\"\n"
	"\tingress all from 0.0.0.0/0 }\n"
	"instance IC { subnet SC; private-ip 10.3.1.10; security-groups GC }\n"
	"%s";

#define RT_PEER "\troute 10.2.0.0/16 via AB\n"
#define GB_ICMP "\tingress icmp from GA\n"

struct an_case {
	const char *name;
	const char *src, *dst, *rule;
	const char *dst2;	/* the twin's, when it differs */
	/* The blocked lab's holes, then the twin's. */
	const char *status, *routes, *gb, *extra;
	const char *status2, *routes2, *gb2, *extra2;
	const char *code;	/* of the blocked lab */
	const char *blocker;	/* its name */
	bool on_return;
};

static char *case_text(const char *status, const char *routes,
	       const char *gb, const char *extra)
{
	char *text = NULL;

	cr_assert_neq(asprintf(&text, lab_fmt, status, routes, gb, extra), -1);
	return text;
}

/* Analyzes "SRC DST RULE" in lab; the caller frees the analysis (before
 * the lab: it points into it). */
static struct analysis *analyze_rule(const struct lab *lab, const char *src,
				const char *dst, const char *rule)
{
	char *words[2] = { NULL, NULL }, buf[32];
	struct analyze_end s, d;
	struct proto_match pm;
	struct analysis *a = NULL;

	snprintf(buf, sizeof(buf), "%s", rule);
	words[0] = buf;
	if (strchr(buf, ' ')) {
		words[1] = strchr(buf, ' ') + 1;
		words[1][-1] = '\0';
	}
	cr_assert_geq(analyze_proto_parse(words, words[1] ? 2 : 1, &pm), 1);
	cr_assert_eq(analyze_end_parse(lab, src, &s), 0, "%s", src);
	cr_assert_eq(analyze_end_parse(lab, dst, &d), 0, "%s", dst);
	cr_assert_eq(analyze_path(lab, &s, &d, &pm, &a), 0);
	return a;
}

static const struct an_case cases[] = {
	{ "B's group has no ICMP rule", "IA", "IB", "icmp", NULL,
	  "active", RT_PEER, "", "",
	  "active", RT_PEER, GB_ICMP, "",
	  "ENI_SG_RULES_MISMATCH", NULL, false },
	{ "A's table has no route to B", "IA", "IB", "icmp", NULL,
	  "active", "", GB_ICMP, "",
	  "active", RT_PEER, GB_ICMP, "",
	  "NO_ROUTE_TO_DESTINATION", "RTA", false },
	{ "the peering is pending: its route is a blackhole", "IA",
	  "IB", "icmp", NULL,
	  "pending-acceptance", RT_PEER, GB_ICMP, "",
	  "active", RT_PEER, GB_ICMP, "",
	  "BAD_STATE_ROUTE", "RTA", false },
	{ "an ACL lets the ping in but not its reply out", "IA", "IB",
	  "icmp", NULL,
	  "active", RT_PEER, GB_ICMP,
	  "network-acl N { vpc B; associate SB\n"
	  "\tingress 100 allow all from 0.0.0.0/0 }\n",
	  "active", RT_PEER, GB_ICMP,
	  "network-acl N { vpc B; associate SB\n"
	  "\tingress 100 allow all from 0.0.0.0/0\n"
	  "\tegress 100 allow icmp to 10.1.0.0/16 }\n",
	  "SUBNET_ACL_RESTRICTION", "N", true },
	{ "an ACL denies tcp 22 in before it allows all", "IA", "IB",
	  "tcp 22", NULL,
	  "active", RT_PEER, "\tingress tcp 22 from 10.1.1.10/32\n",
	  "network-acl N { vpc B; associate SB\n"
	  "\tingress 90 deny tcp 22 from 0.0.0.0/0\n"
	  "\tingress 100 allow all from 0.0.0.0/0\n"
	  "\tegress 100 allow all to 0.0.0.0/0 }\n",
	  "active", RT_PEER, "\tingress tcp 22 from 10.1.1.10/32\n",
	  "network-acl N { vpc B; associate SB\n"
	  "\tingress 90 deny tcp 23 from 0.0.0.0/0\n"
	  "\tingress 100 allow all from 0.0.0.0/0\n"
	  "\tegress 100 allow all to 0.0.0.0/0 }\n",
	  "SUBNET_ACL_RESTRICTION", "N", false },
	{ "the reply's ephemeral ports are only partly open", "IA",
	  "IB", "tcp 80", NULL,
	  "active", RT_PEER, "\tingress tcp 80 from 10.1.0.0/16\n",
	  "network-acl N { vpc B; associate SB\n"
	  "\tingress 100 allow all from 0.0.0.0/0\n"
	  "\tegress 100 allow tcp 1024-40000 to 0.0.0.0/0 }\n",
	  "active", RT_PEER, "\tingress tcp 80 from 10.1.0.0/16\n",
	  "network-acl N { vpc B; associate SB\n"
	  "\tingress 100 allow all from 0.0.0.0/0\n"
	  "\tegress 100 allow tcp 1024-65535 to 0.0.0.0/0 }\n",
	  "SUBNET_ACL_RESTRICTION", "N", true },
	{ "A to C through B is transitive (R-6.7)", "IA", "IC", "icmp", NULL,
	  "active", "\troute 10.3.0.0/16 via AB\n", GB_ICMP, "",
	  "active", "\troute 10.3.0.0/16 via AC\n", GB_ICMP,
	  "peering AC { requester A; accepter C }\n"
	  "route-table RTC2 { vpc C; associate SC\n"
	  "\troute 10.1.0.0/16 via AC }\n",
	  "PCX_REQUIRES_ADDRESS_IN_VPC_CIDR", "AB", false },
	{ "no public IP behind the internet gateway", "IA", "Host",
	  "icmp", NULL,
	  "active", "\troute 0.0.0.0/0 via IGW\n", "", "",
	  "active", "\troute 0.0.0.0/0 via IGW\n", "",
	  "elastic-ip E { instance IA }\n",
	  "IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS", "IGW", false },
	{ "the internet reaches no private IP", "Host", "IA", "icmp", "203.0.113.50",
	  "active", "\troute 0.0.0.0/0 via IGW\n", "",
	  "elastic-ip E { instance IA }\n",
	  "active", "\troute 0.0.0.0/0 via IGW\n", "",
	  "elastic-ip E { address 203.0.113.50; instance IA }\n",
	  "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS", "IA", false },
	{ "a private subnet reaches the internet through a NAT "
	  "gateway only with a route to it", "IA2", "Host", "icmp", NULL,
	  "active", "\troute 0.0.0.0/0 via IGW\n", "",
	  "elastic-ip NE { }\n"
	  "nat-gateway NAT { subnet SA; elastic-ip NE }\n"
	  "instance IA2 { subnet SA2; private-ip 10.1.2.10 }\n",
	  "active", "\troute 0.0.0.0/0 via IGW\n", "",
	  "elastic-ip NE { }\n"
	  "nat-gateway NAT { subnet SA; elastic-ip NE }\n"
	  "instance IA2 { subnet SA2; private-ip 10.1.2.10 }\n"
	  "route-table RTA2 { vpc A; associate SA2\n"
	  "\troute 0.0.0.0/0 via NAT }\n",
	  "NO_ROUTE_TO_DESTINATION", "A.main", false },
	{ "an address of the VPC that no ENI holds", "IA", "10.1.1.99",
	  "icmp", NULL,
	  "active", "", "", "",
	  "active", "", "", "instance X { subnet SA; private-ip 10.1.1.99\n"
	  "\tsecurity-groups GA }\n",
	  "NO_POSSIBLE_DESTINATION", "A", false },
	{ "a transit gateway attachment with no subnet in the AZ",
	  "IA", "IC", "icmp", NULL,
	  "active", "\troute 10.3.0.0/16 via TGW\n", "",
	  "transit-gateway TGW { }\n"
	  "subnet SAb { vpc A; cidr 10.1.9.0/24; az us-east-1b }\n"
	  "transit-gateway-attachment TA { transit-gateway TGW; vpc A; subnets SAb }\n"
	  "transit-gateway-attachment TC { transit-gateway TGW; vpc C; subnets SC }\n"
	  "route-table RTC2 { vpc C; associate SC; route 10.1.0.0/16 via TGW }\n",
	  "active", "\troute 10.3.0.0/16 via TGW\n", "",
	  "transit-gateway TGW { }\n"
	  "transit-gateway-attachment TA { transit-gateway TGW; vpc A; subnets SA }\n"
	  "transit-gateway-attachment TC { transit-gateway TGW; vpc C; subnets SC }\n"
	  "route-table RTC2 { vpc C; associate SC; route 10.1.0.0/16 via TGW }\n",
	  "TGW_ROUTE_AZ_RESTRICTION", "TA", false },
};

static void check_case(const struct an_case *c)
{
	char *blocked = case_text(c->status, c->routes, c->gb, c->extra);
	char *twin = case_text(c->status2, c->routes2, c->gb2, c->extra2);
	struct lab *lab = test_lab_text(NULL, "an.conf", blocked, NULL,
					TEST_LAB_CHECK | TEST_LAB_CLEAN);
	struct analysis *a = analyze_rule(lab, c->src, c->dst, c->rule);

	cr_assert_not(a->found, "%s: path found", c->name);
	cr_expect_str_eq(a->code, c->code, "%s: %s (%s)", c->name, a->code,
			 a->reason);
	if (c->blocker)
		cr_expect_str_eq(a->blocker ? a->blocker->name : "-",
				 c->blocker, "%s", c->name);
	cr_expect_eq(a->on_return, c->on_return, "%s", c->name);
	analysis_free(a);
	lab_free(lab);

	lab = test_lab_text(NULL, "an.conf", twin, NULL,
			    TEST_LAB_CHECK | TEST_LAB_CLEAN);
	a = analyze_rule(lab, c->src, c->dst2 ? c->dst2 : c->dst, c->rule);
	cr_expect(a->found, "%s, twin: %s (%s)", c->name, a->code,
		  a->reason);
	analysis_free(a);
	lab_free(lab);
	free(blocked);
	free(twin);
}

Test(analyze, blocked_and_twin)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		check_case(&cases[i]);
}

/* Analyzes src -> dst (ICMP) in text: found, or blocked by code. */
static void expect_path(const char *text, const char *src, const char *dst,
			const char *code)
{
	struct lab *lab = test_lab_text(NULL, "an.conf", text, NULL,
					TEST_LAB_CHECK | TEST_LAB_CLEAN);
	struct analysis *a = analyze_rule(lab, src, dst, "icmp");

	if (code)
		cr_expect(!a->found && !strcmp(a->code, code),
			  "%s -> %s: %s (%s)", src, dst,
			  a->found ? "found" : a->code, a->reason);
	else
		cr_expect(a->found, "%s -> %s: %s (%s)", src, dst, a->code,
			  a->reason);
	analysis_free(a);
	lab_free(lab);
}

#define VPN_BASE                                                               \
	"vpc V { cidr 10.1.0.0/16 }\n"                                         \
	"subnet A { vpc V; cidr 10.1.1.0/24 }\n"                               \
	"subnet B { vpc V; cidr 10.1.2.0/24 }\n"                               \
	"security-group G { vpc V; ingress icmp from 0.0.0.0/0 }\n"            \
	"instance IA { subnet A; private-ip 10.1.1.10; security-groups G }\n"  \
	"instance IB { subnet B; private-ip 10.1.2.10; security-groups G }\n"  \
	"customer-gateway CGW { ip 192.0.2.10; networks 192.168.10.0/24 }\n"   \
	"onprem-host Desk { customer-gateway CGW; ip 192.168.10.5 }\n"

/* Through a virtual private gateway, static or BGP: a table that
 * propagates it has the route (the analyzer takes the tunnels as up),
 * one that does not has none, both ways; on-premises hosts as ends. */
Test(analyze, vpn_gateway_paths)
{
	static const char *const routing[] = {
		"routing static; static-routes 192.168.10.0/24", "routing bgp",
	};
	char *text;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(routing); i++) {
		cr_assert_neq(asprintf(&text,
				       VPN_BASE
				       "route-table RA { vpc V; associate A; "
				       "propagate VGW }\n"
				       "route-table RB { vpc V; associate B }\n"
				       "vpn-gateway VGW { vpc V }\n"
				       "vpn-connection C { customer-gateway CGW; "
				       "vpn-gateway VGW; %s }\n",
				       routing[i]),
			      -1);
		expect_path(text, "Desk", "IA", NULL);
		expect_path(text, "IA", "192.168.10.5", NULL);
		expect_path(text, "Desk", "IB", "NO_ROUTE_TO_DESTINATION");
		expect_path(text, "IB", "Desk", "NO_ROUTE_TO_DESTINATION");
		free(text);
	}
}

/* Through a transit gateway's VPN attachment: its table reaches what
 * propagates into it, nothing else. */
Test(analyze, vpn_transit_gateway_paths)
{
	static const char *const prop[] = { "AttA AttB", "AttA" };
	char *text;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(prop); i++) {
		cr_assert_neq(asprintf(&text,
				       VPN_BASE
				       "vpc W { cidr 10.2.0.0/16 }\n"
				       "subnet S { vpc W; cidr 10.2.1.0/24 }\n"
				       "security-group GW { vpc W; ingress icmp "
				       "from 0.0.0.0/0 }\n"
				       "instance IW { subnet S; private-ip "
				       "10.2.1.10; security-groups GW }\n"
				       "route-table RA { vpc V; associate A; route "
				       "192.168.10.0/24 via T }\n"
				       "route-table RS { vpc W; associate S; route "
				       "192.168.10.0/24 via T }\n"
				       "transit-gateway T { default-association "
				       "no; default-propagation no }\n"
				       "transit-gateway-attachment AttA { "
				       "transit-gateway T; vpc V; subnets A }\n"
				       "transit-gateway-attachment AttB { "
				       "transit-gateway T; vpc W; subnets S }\n"
				       "transit-gateway-route-table RV { "
				       "transit-gateway T; associate AttA AttB; "
				       "propagate C }\n"
				       "transit-gateway-route-table RC { "
				       "transit-gateway T; associate C; "
				       "propagate %s }\n"
				       "vpn-connection C { customer-gateway CGW; "
				       "transit-gateway T; routing static\n"
				       "  static-routes 192.168.10.0/24 }\n",
				       prop[i]),
			      -1);
		expect_path(text, "Desk", "IA", NULL);
		expect_path(text, "IW", "Desk", i ? "NO_ROUTE_TO_DESTINATION"
						  : NULL);
		free(text);
	}
}

/* A route via an instance: it forwards with its check off; with the
 * check on the router drops what is not for it. */
Test(analyze, route_via_instance)
{
	static const char text[] =
		"vpc V { cidr 10.1.0.0/16 }\n"
		"subnet A { vpc V; cidr 10.1.1.0/24 }\n"
		"subnet B { vpc V; cidr 10.1.2.0/24 }\n"
		"subnet C { vpc V; cidr 10.1.4.0/24 }\n"
		"subnet M { vpc V; cidr 10.1.3.0/24 }\n"
		"route-table RA { vpc V; associate A; route 10.1.2.0/24 via F }\n"
		"route-table RC { vpc V; associate C; route 10.1.2.0/24 via K }\n"
		"route-table RB { vpc V; associate B; route 10.1.1.0/24 via F\n"
		"  route 10.1.4.0/24 via K }\n"
		"instance IA { subnet A; private-ip 10.1.1.10 }\n"
		"instance IC { subnet C; private-ip 10.1.4.10 }\n"
		"instance IB { subnet B; private-ip 10.1.2.10 }\n"
		"instance F { subnet M; private-ip 10.1.3.10; "
		"source-dest-check no }\n"
		"instance K { subnet M; private-ip 10.1.3.11 }\n";

	expect_path(text, "IA", "IB", NULL);
	expect_path(text, "IC", "IB", "ENI_SOURCE_DEST_CHECK_RESTRICTION");
}
