/* test_ec2build.c - the seed's peering hands-on built entirely by commands
 * from an empty lab (`vpcemu up --empty`): VPCs, subnets, route tables and
 * their associations, groups, instances, the peering and its acceptance,
 * routes, the ICMP rule, EC2-A's IAM role (`vpcemu iam`). The ping EC2-A -> EC2-B fails before the last
 * route and before the rule, then works (real packets). Deleting in the
 * wrong order answers DependencyViolation and changes nothing; `vpcemu
 * export` writes a lab file that validates, gives the same IDs, and
 * brings a second lab up with the same reachability. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static char lab[64], twin[64], file[96];

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	snprintf(lab, sizeof(lab), "it%d-build", (int)getpid());
	snprintf(twin, sizeof(twin), "it%d-twin", (int)getpid());
	snprintf(file, sizeof(file), "/tmp/%s.conf", lab);
}

static void teardown(void)
{
	if (geteuid() != 0)
		return;
	test_sh("%s down %s >/dev/null 2>&1", vpcemu(), lab);
	test_sh("%s down %s >/dev/null 2>&1", vpcemu(), twin);
	unlink(file);
	test_assert_no_leak(lab);
	test_assert_no_leak(twin);
}

TestSuite(ec2build, .init = setup, .fini = teardown, .timeout = 180);

/* 0 when EC2-A's ping of lab l reaches EC2-B. */
static int ping(const char *l)
{
	return test_sh("ip netns exec %s-EC2-A ping -c 1 -W 1 10.2.1.10 "
		       ">/dev/null", l);
}

static int ec2(const char *cmdline)
{
	return test_sh("%s ec2 --lab %s %s >/dev/null", vpcemu(), lab,
		       cmdline);
}

#define NAME(type, n) \
	"--tag-specifications 'ResourceType=" type ",Tags=[{Key=Name,Value=" n "}]'"

/* The hands-on's steps up to (not including) the peering's routes and
 * the ICMP rule: everything from nothing. */
static const char *const build_steps[] = {
	"create-vpc --cidr-block 10.1.0.0/16 " NAME("vpc", "VPC-A"),
	"create-vpc --cidr-block 10.2.0.0/16 " NAME("vpc", "VPC-B"),
	"create-subnet --vpc-id VPC-A --cidr-block 10.1.1.0/24 "
	"--availability-zone ap-northeast-1a " NAME("subnet", "A-1a"),
	"create-subnet --vpc-id VPC-B --cidr-block 10.2.1.0/24 "
	"--availability-zone ap-northeast-1a " NAME("subnet", "B-1a"),
	"create-route-table --vpc-id VPC-A " NAME("route-table", "RT-A"),
	"create-route-table --vpc-id VPC-B " NAME("route-table", "RT-B"),
	"associate-route-table --route-table-id RT-A --subnet-id A-1a",
	"associate-route-table --route-table-id RT-B --subnet-id B-1a",
	"create-security-group --group-name SG-EC2-A --description EC2-A "
	"--vpc-id VPC-A",
	"create-security-group --group-name SG-EC2-B --description EC2-B "
	"--vpc-id VPC-B",
	"run-instances --subnet-id A-1a --private-ip-address 10.1.1.10 "
	"--security-group-ids SG-EC2-A --iam-instance-profile Name=SSMRole "
	NAME("instance", "EC2-A"),
	"run-instances --subnet-id B-1a --private-ip-address 10.2.1.10 "
	"--security-group-ids SG-EC2-B " NAME("instance", "EC2-B"),
	"create-vpc-peering-connection --vpc-id VPC-A --peer-vpc-id VPC-B "
	NAME("vpc-peering-connection", "A-to-B"),
	"accept-vpc-peering-connection --vpc-peering-connection-id A-to-B",
	"create-route --route-table-id RT-A --destination-cidr-block "
	"10.2.0.0/16 --vpc-peering-connection-id A-to-B",
};

/* EC2-A's role, as the console makes it for Session Manager. */
static const char *const iam_steps[] = {
	"create-role --role-name SSMRole --assume-role-policy-document "
	"'{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
	"\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},"
	"\"Action\":\"sts:AssumeRole\"}]}'",
	"attach-role-policy --role-name SSMRole --policy-arn "
	"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
	"create-instance-profile --instance-profile-name SSMRole",
	"add-role-to-instance-profile --instance-profile-name SSMRole "
	"--role-name SSMRole",
};

static void build(void)
{
	size_t i;

	cr_assert_eq(test_sh("%s up --empty %s --region ap-northeast-1 "
			     ">/dev/null", vpcemu(), lab), 0);
	for (i = 0; i < sizeof(iam_steps) / sizeof(iam_steps[0]); i++)
		cr_assert_eq(test_sh("%s iam --lab %s %s >/dev/null", vpcemu(),
				     lab, iam_steps[i]), 0,
			     "iam step %zu failed: %s", i + 1, iam_steps[i]);
	for (i = 0; i < sizeof(build_steps) / sizeof(build_steps[0]); i++)
		cr_assert_eq(ec2(build_steps[i]), 0, "step %zu failed: %s",
			     i + 1, build_steps[i]);
}

static const char route_b[] =
	"create-route --route-table-id RT-B --destination-cidr-block "
	"10.1.0.0/16 --vpc-peering-connection-id A-to-B";
static const char rule_b[] =
	"authorize-security-group-ingress --group-id SG-EC2-B --protocol icmp "
	"--port -1 --source-group SG-EC2-A";

Test(ec2build, hands_on_from_nothing)
{
	build();
	cr_expect_neq(ping(lab), 0, "ping works with no route back");
	cr_assert_eq(ec2(route_b), 0);
	cr_expect_neq(ping(lab), 0, "ping works before SG-EC2-B admits it");
	cr_assert_eq(ec2(rule_b), 0);
	cr_expect_eq(ping(lab), 0, "ping fails after the last step");
	/* Blocked again once the rule goes: the twin of the pass. */
	cr_assert_eq(ec2("revoke-security-group-ingress --group-id SG-EC2-B "
			 "--protocol icmp --port -1 --source-group SG-EC2-A"),
		     0);
	cr_expect_neq(ping(lab), 0, "ping works after the rule is revoked");
}

/* Each of these answers DependencyViolation (exit 254) and leaves the
 * lab's text, its namespaces and its traffic as they were. */
Test(ec2build, wrong_order_changes_nothing)
{
	static const char *const early[] = {
		"delete-vpc --vpc-id VPC-A",
		"delete-subnet --subnet-id B-1a",
		"delete-route-table --route-table-id RT-B",
		"delete-security-group --group-id SG-EC2-A",
	};
	char *before, *after, *ns0, *ns1, *out;
	size_t i;

	build();
	cr_assert_eq(ec2(route_b), 0);
	cr_assert_eq(ec2(rule_b), 0);
	before = test_sh_output("%s export %s", vpcemu(), lab);
	ns0 = test_sh_output("ls /run/netns | grep '^%s-' | sort", lab);
	for (i = 0; i < sizeof(early) / sizeof(early[0]); i++) {
		out = test_sh_output("%s ec2 --lab %s %s 2>&1; echo rc=$?",
				     vpcemu(), lab, early[i]);
		cr_expect(strstr(out, "(DependencyViolation)") &&
			  strstr(out, "rc=254"), "%s: %s", early[i], out);
		free(out);
	}
	after = test_sh_output("%s export %s", vpcemu(), lab);
	ns1 = test_sh_output("ls /run/netns | grep '^%s-' | sort", lab);
	cr_expect_str_eq(before, after);
	cr_expect_str_eq(ns0, ns1);
	cr_expect_eq(ping(lab), 0, "a refused delete cut the ping");
	free(before);
	free(after);
	free(ns0);
	free(ns1);

	/* The right order takes VPC-A away entirely. */
	cr_assert_eq(ec2("terminate-instances --instance-ids EC2-A"), 0);
	cr_assert_eq(ec2("delete-vpc-peering-connection "
			 "--vpc-peering-connection-id A-to-B"), 0);
	cr_assert_eq(ec2("revoke-security-group-ingress --group-id SG-EC2-B "
			 "--protocol icmp --port -1 --source-group SG-EC2-A"),
		     0);
	cr_assert_eq(ec2("delete-security-group --group-id SG-EC2-A"), 0);
	cr_assert_eq(ec2("delete-subnet --subnet-id A-1a"), 0);
	cr_assert_eq(ec2("delete-route-table --route-table-id RT-A"), 0);
	cr_assert_eq(ec2("delete-vpc --vpc-id VPC-A"), 0);
	cr_expect_eq(test_sh("ip netns list | grep -q '^%s-VPC-A'", lab), 1,
		     "VPC-A's router is still there");
	cr_expect_eq(test_sh("ip netns list | grep -q '^%s-VPC-B'", lab), 0,
		     "VPC-B's router went too");
}

/* The exported file validates with the running lab's IDs and builds a
 * second lab (up --name) where the ping works and the twin is blocked. */
Test(ec2build, export_then_up)
{
	char *ids, *desc;

	build();
	cr_assert_eq(ec2(route_b), 0);
	cr_assert_eq(test_sh("%s export %s --output %s", vpcemu(), lab, file),
		     0);
	cr_assert_eq(test_sh("%s validate %s >/dev/null", vpcemu(), file), 0);
	cr_expect_eq(test_sh("grep -q 'policies AmazonSSMManagedInstanceCore' "
			     "%s", file), 0, "the role is not exported");
	ids = test_sh_output("%s validate %s --output json | grep -o "
			     "'\"id\": \"[a-z]*-[0-9a-f]*\"' | grep -o "
			     "'[a-z]*-[0-9a-f]*' | sort", vpcemu(), file);
	desc = test_sh_output("%s describe --lab %s --output json | grep -o "
			      "'\"\\(VpcId\\|SubnetId\\|InstanceId\\)\": "
			      "\"[a-z]*-[0-9a-f]*\"' | grep -o "
			      "'[a-z]*-[0-9a-f]*\"$' | tr -d '\"' | sort -u",
			      vpcemu(), lab);
	cr_assert(strlen(desc) > 0);
	/* Every VPC, subnet and instance ID described is one validate
	 * gives the exported file. */
	for (char *l = strtok(desc, "\n"); l; l = strtok(NULL, "\n"))
		cr_expect(strstr(ids, l), "%s not in the exported lab's IDs",
			  l);
	free(ids);
	free(desc);

	cr_assert_eq(test_sh("%s up %s --name %s >/dev/null", vpcemu(), file,
			     twin), 0);
	cr_expect_neq(ping(twin), 0, "the twin pings before the rule");
	cr_assert_eq(test_sh("%s ec2 --lab %s %s >/dev/null", vpcemu(), twin,
			     rule_b), 0);
	cr_expect_eq(ping(twin), 0, "the twin does not ping after the rule");
}
