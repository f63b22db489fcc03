/* test_srcdst.c - an instance that routes others' traffic (seed 004's
 * self-managed option): subnet A reaches subnet B through instance Fwd,
 * whose source/destination check is off and which forwards; subnet C
 * reaches B through Chk, which forwards too but keeps AWS's default
 * check, so the VPC router drops what is neither from it nor for it.
 *
 * The lab is "it<pid>-srcdst"; .fini takes it down.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <unistd.h>

#include "helpers.h"

static const char lab_text[] =
	"vpc V { cidr 10.1.0.0/16 }\n"
	"subnet A { vpc V; cidr 10.1.1.0/24 }\n"
	"subnet B { vpc V; cidr 10.1.2.0/24 }\n"
	"subnet C { vpc V; cidr 10.1.4.0/24 }\n"
	"subnet M { vpc V; cidr 10.1.3.0/24 }\n"
	"route-table RA { vpc V; associate A; route 10.1.2.0/24 via Fwd }\n"
	"route-table RC { vpc V; associate C; route 10.1.2.0/24 via Chk }\n"
	"route-table RB { vpc V; associate B; route 10.1.1.0/24 via Fwd\n"
	"  route 10.1.4.0/24 via Chk }\n"
	"instance Client { subnet A; private-ip 10.1.1.10 }\n"
	"instance Client2 { subnet C; private-ip 10.1.4.10 }\n"
	"instance Server { subnet B; private-ip 10.1.2.10 }\n"
	"instance Fwd { subnet M; private-ip 10.1.3.10; "
	"source-dest-check no }\n"
	"instance Chk { subnet M; private-ip 10.1.3.11 }\n";

static char lab_name[64], file[128];

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	test_lab_write(lab_name, sizeof(lab_name), file, sizeof(file),
		       "srcdst", lab_text);
}

static void teardown(void)
{
	if (geteuid() == 0)
		test_lab_down(lab_name, file);
}

TestSuite(srcdst, .init = setup, .fini = teardown, .timeout = 60);

static int ping_from(const char *m, const char *ip)
{
	return test_sh("ip netns exec %s-%s ping -q -c 1 -W 1 %s >/dev/null",
		       lab_name, m, ip);
}

/* Both routers forward (the user turns it on, as on EC2); only the one
 * whose check is off passes traffic, both ways; Server's reply to
 * Client2 leaves by Chk too and is dropped as well. Turning Chk's check
 * off, then on again, with modify-instance-attribute. */
Test(srcdst, forwarding_needs_the_check_off)
{
	test_lab_up(file, lab_name);
	cr_assert_eq(test_sh("%s exec --lab %s Fwd -- sysctl -qw "
			     "net.ipv4.ip_forward=1 && "
			     "%s exec --lab %s Chk -- sysctl -qw "
			     "net.ipv4.ip_forward=1",
			     vpcemu(), lab_name, vpcemu(), lab_name),
		     0);
	cr_expect_eq(ping_from("Client", "10.1.2.10"), 0,
		     "Client -> Server through Fwd");
	cr_expect_eq(ping_from("Server", "10.1.1.10"), 0,
		     "Server -> Client through Fwd");
	cr_expect_neq(ping_from("Client2", "10.1.2.10"), 0,
		      "Client2 -> Server through Chk, whose check is on");
	cr_expect_neq(ping_from("Server", "10.1.4.10"), 0,
		      "Server -> Client2 through Chk");
	/* ModifyInstanceAttribute turns Chk's check off: it routes too. */
	cr_assert_eq(test_sh("%s ec2 --lab %s modify-instance-attribute "
			     "--instance-id Chk --no-source-dest-check "
			     ">/dev/null",
			     vpcemu(), lab_name),
		     0);
	cr_expect_eq(ping_from("Client2", "10.1.2.10"), 0,
		     "Client2 -> Server once Chk's check is off");
	cr_expect_eq(test_sh("%s ec2 --lab %s modify-instance-attribute "
			     "--instance-id Chk --source-dest-check "
			     ">/dev/null",
			     vpcemu(), lab_name),
		     0);
	/* DescribeInstances says which is which. */
	cr_expect_eq(test_sh("%s describe instances --lab %s --output json | "
			     "grep -c '\"SourceDestCheck\": false' | grep -qx 1",
			     vpcemu(), lab_name),
		     0);
}

/* Without forwarding in the instance, nothing passes even with the
 * check off: the instance routes, not the VPC. */
Test(srcdst, check_off_alone_does_not_forward)
{
	test_lab_up(file, lab_name);
	cr_expect_neq(ping_from("Client", "10.1.2.10"), 0,
		      "Fwd does not forward yet");
}
