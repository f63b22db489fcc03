/* test_walkthrough.c - the VPC peering hands-on done step by step with
 * `vpcemu ec2 ...` on a running lab, as a learner does it in AWS: the ping
 * from EC2-A to EC2-B fails after every step but the last (peering
 * requested, accepted, route A->B, route B->A, ICMP allowed), then works;
 * a second accept is refused with AWS's InvalidStateTransition (exit 254),
 * and deleting the peering cuts the ping again (routes turn blackhole). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static char lab[64];

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	snprintf(lab, sizeof(lab), "it%d-walk", (int)getpid());
}

static void teardown(void)
{
	if (geteuid() == 0)
		test_sh("%s down %s >/dev/null 2>&1", vpcemu(), lab);
}

/* 0 when EC2-A's ping reaches EC2-B. */
static int ping(void)
{
	return test_sh("ip netns exec %s-EC2-A ping -c 1 -W 1 10.2.1.10 "
		       ">/dev/null", lab);
}

static int ec2(const char *cmdline)
{
	return test_sh("%s ec2 --lab %s %s >/dev/null", vpcemu(), lab,
		       cmdline);
}

TestSuite(walkthrough, .init = setup, .fini = teardown, .timeout = 120);

Test(walkthrough, peering_hands_on_step_by_step)
{
	static const char *const steps[] = {
		"create-vpc-peering-connection --vpc-id VPC-A --peer-vpc-id "
		"VPC-B --tag-specifications 'ResourceType=vpc-peering-"
		"connection,Tags=[{Key=Name,Value=A-to-B}]'",
		"accept-vpc-peering-connection --vpc-peering-connection-id "
		"A-to-B",
		"create-route --route-table-id RT-A --destination-cidr-block "
		"10.2.0.0/16 --vpc-peering-connection-id A-to-B",
		"create-route --route-table-id RT-B --destination-cidr-block "
		"10.1.0.0/16 --vpc-peering-connection-id A-to-B",
		"authorize-security-group-ingress --group-id SG-EC2-B "
		"--protocol icmp --port -1 --source-group SG-EC2-A",
	};
	size_t i, n = sizeof(steps) / sizeof(steps[0]);
	char *out;

	cr_assert_eq(test_sh("%s up integration/labs/walkthrough-start.conf "
			     "--name %s >/dev/null", vpcemu(), lab), 0);
	cr_expect_neq(ping(), 0, "ping works before any step");
	for (i = 0; i < n; i++) {
		cr_assert_eq(ec2(steps[i]), 0, "step %zu failed: %s", i + 1,
			     steps[i]);
		if (i + 1 < n)
			cr_expect_neq(ping(), 0, "ping works after step %zu "
				      "of %zu", i + 1, n);
	}
	cr_expect_eq(ping(), 0, "ping fails after every step");

	out = test_sh_output("%s ec2 --lab %s accept-vpc-peering-connection "
			     "--vpc-peering-connection-id A-to-B 2>&1; echo rc=$?",
			     vpcemu(), lab);
	cr_expect(strstr(out, "An error occurred (InvalidStateTransition) "
			      "when calling the AcceptVpcPeeringConnection "
			      "operation: ") != NULL, "%s", out);
	cr_expect(strstr(out, "rc=254") != NULL, "%s", out);
	free(out);

	/* Deleted: the routes stay, as blackholes, and carry nothing. */
	cr_expect_eq(ec2("delete-vpc-peering-connection "
			 "--vpc-peering-connection-id A-to-B"), 0);
	cr_expect_neq(ping(), 0, "ping works through a deleted peering");
	out = test_sh_output("%s describe route-tables --lab %s --output json",
			     vpcemu(), lab);
	cr_expect(strstr(out, "\"blackhole\"") != NULL, "%s", out);
	free(out);

	cr_expect_eq(test_sh("%s down %s >/dev/null", vpcemu(), lab), 0);
	cr_expect_eq(test_sh("ls /run/netns /etc/netns 2>/dev/null | grep -q "
			     "'^%s-'", lab), 1, "namespaces left after down");
}
