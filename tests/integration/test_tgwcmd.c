/* test_tgwcmd.c - the transit gateway commands of `vpcemu ec2` on a
 * running lab, judged by real ping: a change of association moves a spoke
 * between tables and touches no namespace but the gateway's (every other
 * namespace's nft ruleset, routes and rules compared before and after),
 * and a blackhole route drops what it covers, beside the address it
 * does not.
 *
 * The lab is "it<pid>-tgwc"; .fini takes it down.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

/* Dev and Prod are spokes; Prod starts on Isolated, a table with no
 * route, so it reaches nothing; Spokes knows Shared, Services knows both
 * spokes. */
static const char lab_text[] =
	"vpc Dev { cidr 10.1.0.0/16 }\n"
	"vpc Prod { cidr 10.2.0.0/16 }\n"
	"vpc Shared { cidr 10.100.0.0/16 }\n"
	"subnet DevA { vpc Dev; cidr 10.1.1.0/24; az us-east-1a }\n"
	"subnet ProdA { vpc Prod; cidr 10.2.1.0/24; az us-east-1a }\n"
	"subnet SharedA { vpc Shared; cidr 10.100.1.0/24; az us-east-1a }\n"
	"transit-gateway Hub { default-association no; default-propagation no }\n"
	"transit-gateway-attachment DevAtt { transit-gateway Hub; vpc Dev; "
	"subnets DevA }\n"
	"transit-gateway-attachment ProdAtt { transit-gateway Hub; vpc Prod; "
	"subnets ProdA }\n"
	"transit-gateway-attachment SharedAtt { transit-gateway Hub; "
	"vpc Shared; subnets SharedA }\n"
	"transit-gateway-route-table Spokes { transit-gateway Hub\n"
	"  associate DevAtt; propagate SharedAtt }\n"
	"transit-gateway-route-table Isolated { transit-gateway Hub\n"
	"  associate ProdAtt }\n"
	"transit-gateway-route-table Services { transit-gateway Hub\n"
	"  associate SharedAtt; propagate DevAtt ProdAtt }\n"
	"route-table RDev { vpc Dev; associate DevA; route 10.0.0.0/8 via Hub }\n"
	"route-table RProd { vpc Prod; associate ProdA; route 10.0.0.0/8 via Hub }\n"
	"route-table RShared { vpc Shared; associate SharedA; "
	"route 10.0.0.0/8 via Hub }\n"
	"security-group DevSG { vpc Dev; ingress all from 10.0.0.0/8 }\n"
	"security-group ProdSG { vpc Prod; ingress all from 10.0.0.0/8 }\n"
	"security-group SharedSG { vpc Shared; ingress all from 10.0.0.0/8 }\n"
	"instance Dev1 { subnet DevA; private-ip 10.1.1.10; "
	"security-groups DevSG }\n"
	"instance Prod1 { subnet ProdA; private-ip 10.2.1.10; "
	"security-groups ProdSG }\n"
	"instance Svc1 { subnet SharedA; private-ip 10.100.1.10; "
	"security-groups SharedSG }\n"
	"instance Svc2 { subnet SharedA; private-ip 10.100.1.20; "
	"security-groups SharedSG }\n";

static char lab_name[64], file[128];

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	test_lab_write(lab_name, sizeof(lab_name), file, sizeof(file), "tgwc",
		       lab_text);
	test_lab_up(file, lab_name);
}

static void teardown(void)
{
	if (geteuid() == 0)
		test_lab_down(lab_name, file);
}

TestSuite(tgwcmd, .init = setup, .fini = teardown, .timeout = 180);

static int ping_from(const char *inst, const char *ip)
{
	char ns[160];

	snprintf(ns, sizeof(ns), "%s-%s", lab_name, inst);
	return RUN((char *)NULL, "ip", "netns", "exec", ns, "ping", "-q", "-c",
		   "1", "-W", "1", (char *)ip);
}

/* `vpcemu ec2 --lab LAB` with up to six more words; asserts success. */
static void ec2(const char *cmd, const char *o1, const char *v1,
		const char *o2, const char *v2, const char *o3)
{
	static char out[8192];
	char *argv[] = { (char *)vpcemu(), "ec2", "--lab", lab_name,
			 (char *)cmd, (char *)o1, (char *)v1, (char *)o2,
			 (char *)v2, (char *)o3, NULL };

	cr_assert_eq(test_run(argv, out, sizeof(out)), 0, "%s: %s", cmd, out);
}

/* What the kernel holds in every namespace of the lab but the
 * gateway's: nft ruleset (but the cost set, whose elements and counters
 * traffic changes), routes of every table and rules. */
static char *kernel_state_but_hub(void)
{
	return test_sh_output(
		"for ns in $(ip netns list | cut -d' ' -f1 | grep '^%s-' | "
		"grep -vx '%s-Hub' | sort); do echo \"== $ns\"; "
		"ip netns exec $ns nft list ruleset | "
		"sed '/^\\tset cost {/,/^\\t}/d'; "
		"ip -n $ns route show table all; ip -n $ns rule; done",
		lab_name, lab_name);
}

/* at run time: Prod moves from Isolated to Spokes. Only the
 * gateway's namespace changes (its rule for Prod's link). */
Test(tgwcmd, association_moves_a_spoke_and_touches_only_the_gateway)
{
	char *before, *after;

	cr_expect_eq(ping_from("Dev1", "10.100.1.10"), 0, "Dev -> Svc1");
	cr_expect_neq(ping_from("Prod1", "10.100.1.10"), 0,
		      "Prod -> Svc1 while on Isolated");
	before = kernel_state_but_hub();
	cr_assert(strstr(before, "10.2.1.10"), "the snapshot is empty: %s",
		  before);

	ec2("disassociate-transit-gateway-route-table",
	    "--transit-gateway-route-table-id", "Isolated",
	    "--transit-gateway-attachment-id", "ProdAtt", NULL);
	ec2("associate-transit-gateway-route-table",
	    "--transit-gateway-route-table-id", "Spokes",
	    "--transit-gateway-attachment-id", "ProdAtt", NULL);

	cr_expect_eq(ping_from("Prod1", "10.100.1.10"), 0,
		     "Prod -> Svc1 once on Spokes");
	cr_expect_eq(ping_from("Dev1", "10.100.1.10"), 0, "Dev -> Svc1");
	/* Spokes knows Shared only: spoke to spoke stays blocked. */
	cr_expect_neq(ping_from("Prod1", "10.1.1.10"), 0, "Prod -> Dev");
	after = kernel_state_but_hub();
	cr_expect_str_eq(after, before,
			 "a namespace other than the gateway's changed");
	free(before);
	free(after);
}

/* A blackhole route for one address drops it, and only it; deleting the
 * route brings it back. */
Test(tgwcmd, blackhole_route_at_run_time)
{
	cr_expect_eq(ping_from("Dev1", "10.100.1.10"), 0, "Dev -> Svc1");
	cr_expect_eq(ping_from("Dev1", "10.100.1.20"), 0, "Dev -> Svc2");
	ec2("create-transit-gateway-route", "--transit-gateway-route-table-id",
	    "Spokes", "--destination-cidr-block", "10.100.1.10/32",
	    "--blackhole");
	cr_expect_neq(ping_from("Dev1", "10.100.1.10"), 0,
		      "Dev -> Svc1 through a blackhole route");
	cr_expect_eq(ping_from("Dev1", "10.100.1.20"), 0,
		     "Dev -> Svc2 beside the blackhole route");
	ec2("delete-transit-gateway-route", "--transit-gateway-route-table-id",
	    "Spokes", "--destination-cidr-block", "10.100.1.10/32", NULL);
	cr_expect_eq(ping_from("Dev1", "10.100.1.10"), 0,
		     "Dev -> Svc1 once the route is gone");
}
