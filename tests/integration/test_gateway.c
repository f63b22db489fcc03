/* test_gateway.c - gateway endpoints for real: curl
 * from instances to the S3 and DynamoDB that vpcemud serves in the lab, by
 * their regional names through Amazon DNS. Every "passes" has a "blocked"
 * twin: a subnet whose table lacks the route, a table whose CIDR route of
 * the same prefix wins, a peered VPC routing to the endpoint, a group
 * whose egress names only S3's prefix list, and the service itself trying
 * to open a flow into the VPC. The public path (IGW, internet host) reaches
 * the same store.
 *
 * The lab is "it<pid>-gwe"; .fini takes it down after each test.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static const char lab_text[] =
	"region us-east-1\n"
	"vpc Data { cidr 10.40.0.0/16 }\n"
	"vpc Partner { cidr 10.41.0.0/16 }\n"
	"subnet Priv { vpc Data; cidr 10.40.1.0/24 }\n"
	"subnet Iso { vpc Data; cidr 10.40.2.0/24 }\n"
	"subnet Pub { vpc Data; cidr 10.40.3.0/24 }\n"
	"subnet Over { vpc Data; cidr 10.40.4.0/24 }\n"
	"subnet PS { vpc Partner; cidr 10.41.1.0/24 }\n"
	"internet-gateway IGW { vpc Data }\n"
	"peering DP { requester Data; accepter Partner }\n"
	"route-table RPriv { vpc Data; associate Priv\n"
	"  route 10.41.0.0/16 via DP }\n"
	"route-table RIso { vpc Data; associate Iso }\n"
	"route-table RPub { vpc Data; associate Pub; route 0.0.0.0/0 via IGW }\n"
	/* The endpoint's prefix list, and a blackhole for exactly its CIDR:
	 * the CIDR route wins. */
	"route-table ROver { vpc Data; associate Over\n"
	"  route 52.216.0.0/15 via blackhole }\n"
	"route-table RP { vpc Partner; associate PS\n"
	"  route 10.40.0.0/16 via DP; route 52.216.0.0/15 via DP }\n"
	"endpoint S3 { vpc Data; service s3; route-tables RPriv ROver }\n"
	"endpoint DDB { vpc Data; service dynamodb; route-tables RPriv }\n"
	"security-group OnlyS3 { vpc Data\n"
	"  egress tcp 80 to com.amazonaws.us-east-1.s3 }\n"
	"security-group PAll { vpc Partner; ingress all from 0.0.0.0/0 }\n"
	"security-group AllIn { vpc Data; ingress all from 0.0.0.0/0 }\n"
	"instance App { subnet Priv; private-ip 10.40.1.10 }\n"
	"instance Open { subnet Priv; private-ip 10.40.1.12\n"
	"  security-groups AllIn }\n"
	"instance Narrow { subnet Priv; private-ip 10.40.1.11\n"
	"  security-groups OnlyS3 }\n"
	"instance Batch { subnet Iso; private-ip 10.40.2.10 }\n"
	"instance Web { subnet Pub; private-ip 10.40.3.10; public-ip yes }\n"
	"instance Shadow { subnet Over; private-ip 10.40.4.10 }\n"
	"instance PApp { subnet PS; private-ip 10.41.1.10; security-groups PAll }\n"
	"internet-host H { ip 192.0.2.10 }\n";

#define S3 "http://s3.us-east-1.amazonaws.com"
#define DDB "http://dynamodb.us-east-1.amazonaws.com/"

static char lab_name[64], file[128];

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	test_lab_write(lab_name, sizeof(lab_name), file, sizeof(file), "gwe",
		       lab_text);
}

static void teardown(void)
{
	if (geteuid() == 0)
		test_lab_down(lab_name, file);
}

TestSuite(gateway, .init = setup, .fini = teardown, .timeout = 120);

static void up(void)
{
	test_lab_up(file, lab_name);
}

/* curl in the namespace of lab member who, with args; its output (caller
 * frees) and, in *rc, its exit status (0: an HTTP answer came). */
static char *curl(const char *who, int *rc, const char *args)
{
	char *out = test_sh_output("ip netns exec %s-%s curl -sS -m 3 %s "
				   "2>&1; echo \" rc=$?\"",
				   lab_name, who, args);
	char *p = strstr(out, " rc=");

	cr_assert_not_null(p);
	*rc = atoi(p + 4);
	*p = '\0';
	return out;
}

/* The answer must come (rc 0) and hold want. */
static void expect_answer(const char *who, const char *args, const char *want)
{
	int rc;
	char *out = curl(who, &rc, args);

	cr_expect_eq(rc, 0, "%s: curl %s failed: %s", who, args, out);
	cr_expect(strstr(out, want) != NULL, "%s: curl %s: no '%s' in: %s",
		  who, args, want, out);
	free(out);
}

/* No answer may come: the connection times out (28) or cannot be made. */
static void expect_no_answer(const char *who, const char *args)
{
	int rc;
	char *out = curl(who, &rc, args);

	cr_expect(rc == 28 || rc == 7, "%s: curl %s answered (rc %d): %s",
		  who, args, rc, out);
	free(out);
}

static void put_object(const char *who)
{
	expect_answer(who, "-X PUT -w '%{http_code}' " S3 "/lab-bucket", "200");
	expect_answer(who,
		      "-X PUT -w '%{http_code}' --data-binary 'from inside' "
		      "http://lab-bucket.s3.us-east-1.amazonaws.com/note.txt",
		      "200");
}

Test(gateway, s3_through_the_endpoint_route)
{
	up();
	put_object("App");
	expect_answer("App", S3 "/lab-bucket/note.txt", "from inside");
	expect_answer("App", S3 "/lab-bucket?list-type=2", "<Key>note.txt</Key>");
	/* Iso's table has no route to the prefix list. */
	expect_no_answer("Batch", S3 "/lab-bucket/note.txt");
	/* Over's table routes exactly the list's CIDR to a blackhole: the
	 * CIDR route wins over the endpoint's. */
	expect_no_answer("Shadow", S3 "/lab-bucket/note.txt");
}

Test(gateway, dynamodb_through_the_endpoint_route)
{
	up();
	expect_answer("App",
		      "-X POST -H 'Content-Type: application/x-amz-json-1.0' "
		      "-H 'X-Amz-Target: DynamoDB_20120810.CreateTable' -d "
		      "'{\"TableName\":\"Notes\",\"KeySchema\":[{\"AttributeName\":"
		      "\"k\",\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":"
		      "[{\"AttributeName\":\"k\",\"AttributeType\":\"S\"}],"
		      "\"BillingMode\":\"PAY_PER_REQUEST\"}' " DDB,
		      "ACTIVE");
	expect_answer("App",
		      "-X POST -H 'Content-Type: application/x-amz-json-1.0' "
		      "-H 'X-Amz-Target: DynamoDB_20120810.PutItem' -d "
		      "'{\"TableName\":\"Notes\",\"Item\":{\"k\":{\"S\":\"a\"},"
		      "\"v\":{\"S\":\"kept\"}}}' " DDB,
		      "{}");
	expect_answer("App",
		      "-X POST -H 'Content-Type: application/x-amz-json-1.0' "
		      "-H 'X-Amz-Target: DynamoDB_20120810.GetItem' -d "
		      "'{\"TableName\":\"Notes\",\"Key\":{\"k\":{\"S\":\"a\"}}}' " DDB,
		      "\"kept\"");
	expect_no_answer("Batch", "-X POST " DDB);
}

/* Partner routes S3's prefix through the peering; the peering
 * carries only traffic between the two VPCs' blocks. */
Test(gateway, no_edge_to_edge_through_a_peering)
{
	up();
	expect_answer("App", "-o /dev/null -w '%{http_code}' " S3 "/", "200");
	expect_no_answer("PApp", "http://52.216.0.10/");
	/* The peering itself works: App reaches PApp over it. */
	cr_expect_eq(test_sh("ip netns exec %s-App ping -q -c 1 -W 2 "
			     "10.41.1.10 >/dev/null", lab_name), 0);
}

/* The service answers, but never opens a flow into the VPC, not even to
 * an instance whose group lets everything in. */
Test(gateway, the_service_opens_nothing_into_the_vpc)
{
	up();
	expect_answer("Open", "-o /dev/null -w '%{http_code}' " S3 "/", "200");
	cr_expect_eq(test_sh("ip netns exec %s-App ping -q -c 1 -W 1 "
			     "10.40.1.12 >/dev/null", lab_name), 0);
	cr_expect_neq(test_sh("ip netns exec %s-S3 ping -q -c 1 -W 1 "
			      "10.40.1.12 >/dev/null", lab_name), 0,
		      "the S3 namespace reached Open on its own");
}

/* A group's egress may name the prefix list: S3 passes,
 * DynamoDB, on the same route, does not. */
Test(gateway, security_group_egress_names_the_prefix_list)
{
	up();
	expect_answer("Narrow", "-o /dev/null -w '%{http_code}' " S3 "/",
		      "200");
	expect_no_answer("Narrow", "-X POST " DDB);
	expect_answer("App", "-o /dev/null -w '%{http_code}' -X POST " DDB,
		      "400");
}

/* The same service the public way: through the internet gateway from an
 * instance with a public IP, and from an internet host by the name its
 * resolver gives; both see what went in by the endpoint. */
Test(gateway, public_path_reaches_the_same_store)
{
	up();
	put_object("App");
	expect_answer("Web", S3 "/lab-bucket/note.txt", "from inside");
	expect_answer("H", S3 "/lab-bucket/note.txt", "from inside");
}

Test(gateway, down_leaves_nothing)
{
	char out[4096];

	up();
	cr_expect_eq(test_sh("test -e /run/netns/%s-S3", lab_name), 0);
	cr_expect_eq(RUN(out, (char *)vpcemu(), "down", lab_name), 0, "%s",
		     out);
	test_assert_no_leak(lab_name);
}
