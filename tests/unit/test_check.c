/* test_check.c - check_lab(), rule by rule.
 *
 * Every lab goes through the real pipeline (conf_parse_buffer → model_build
 * → check_lab). The parser and the model must accept it without a word, so
 * that what remains is the checker's own verdict. Each bad lab is minimal
 * and asserts the one diagnostic it must produce, with its code and exact
 * LINE:COL; a good twin next to it shows that the rule is not just firing
 * on everything. Labs are written so columns are easy to count: most
 * statements start a line.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/diag.h"
#include "vpcemu/model.h"
#include "vpcemu/util.h"

#include "helpers.h"

/* Parses and builds text, asserts both were silent, then checks it. */
static void run_lab(struct test_lab *r, const char *text)
{
	test_lab_text(r, "t.conf", text, NULL, TEST_LAB_CHECK);
}

static const struct diag *find(const struct diags *d, const char *code,
			       unsigned line, unsigned col)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->v[i].code, code) == 0 &&
		    d->v[i].at.line == line && d->v[i].at.first_col == col)
			return &d->v[i];
	return NULL;
}

/* The lab yields exactly one diagnostic: code, severity, LINE:COL. */
static void expect_sev(const char *text, enum diag_severity sev,
		       const char *code, unsigned line, unsigned col)
{
	struct test_lab r;
	const struct diag *g;
	char *s;

	run_lab(&r, text);
	s = test_diags_text(&r.d);
	g = find(&r.d, code, line, col);
	cr_expect_not_null(g, "want %s at %u:%u, got:\n%s", code, line, col, s);
	cr_expect_eq(r.d.n, 1, "want only %s at %u:%u, got:\n%s", code, line,
		     col, s);
	if (g)
		cr_expect_eq(g->severity, sev, "%s: wrong severity", code);
	free(s);
	test_lab_free(&r);
}

static void expect_error(const char *text, const char *code, unsigned line,
			 unsigned col)
{
	expect_sev(text, DIAG_ERROR, code, line, col);
}

/* The lab yields this diagnostic among others. */
static void expect_has(const char *text, const char *code, unsigned line,
		       unsigned col)
{
	struct test_lab r;
	char *s;

	run_lab(&r, text);
	s = test_diags_text(&r.d);
	cr_expect_not_null(find(&r.d, code, line, col),
			   "want %s at %u:%u, got:\n%s", code, line, col, s);
	free(s);
	test_lab_free(&r);
}

static void expect_clean(const char *text)
{
	struct test_lab r;
	char *s;

	run_lab(&r, text);
	s = test_diags_text(&r.d);
	cr_expect_eq(r.d.n, 0, "want no diagnostic, got:\n%s\nlab:\n%s", s,
		     text);
	free(s);
	test_lab_free(&r);
}

/* Takes a generated lab, checks it, frees it. */
static void expect_error_gen(char *text, const char *code, unsigned line,
			     unsigned col)
{
	cr_assert_not_null(text);
	expect_error(text, code, line, col);
	free(text);
}

static void expect_clean_gen(char *text)
{
	cr_assert_not_null(text);
	expect_clean(text);
	free(text);
}

/* The limit tests' labs: head, then n copies of line with every %u of the
 * copy replaced by its number (1 to n), then tail; caller frees. */
static char *gen_repeat(const char *head, const char *line, unsigned n,
			const char *tail)
{
	struct strbuf b = { 0 };
	unsigned i;

	sb_puts(&b, head);
	for (i = 1; i <= n; i++)
		sb_printf(&b, line, i, i);
	sb_puts(&b, tail);
	return sb_take(&b);
}

/* A limit: head, n copies of line and tail are clean; one copy more yields
 * code at LINE:COL. */
static void expect_limit(const char *head, const char *line, unsigned n,
			 const char *tail, const char *code, unsigned at_line,
			 unsigned col)
{
	expect_error_gen(gen_repeat(head, line, n + 1, tail), code, at_line,
			 col);
	expect_clean_gen(gen_repeat(head, line, n, tail));
}

#define VPC_V "vpc v { cidr 10.0.0.0/16 }\n"
#define SUBNET_A "subnet a { vpc v; cidr 10.0.0.0/24 }\n"

/* ---- the hands-on lab of docs/lab-conf.md ------------------------------ */

Test(check, hands_on_lab_is_clean)
{
	struct test_lab r;
	char *s;

	test_lab_file(&r, TEST_HANDS_ON, NULL, TEST_LAB_CHECK);
	s = test_diags_text(&r.d);
	cr_expect_eq(r.d.n, 0, "got:\n%s", s);
	cr_expect_eq(r.lab->peerings[0]->status, PEERING_ACTIVE);
	free(s);
	test_lab_free(&r);
}

/* A lab using most features at once, all of them legally. */
Test(check, rich_lab_is_clean)
{
	expect_clean(
		"region eu-west-1\n"
		"vpc a { cidr 10.1.0.0/16; cidr 10.3.0.0/16; dns-hostnames yes }\n"
		"vpc b { cidr 10.2.0.0/16; dns-hostnames yes }\n"
		"subnet a1 { vpc a; cidr 10.1.1.0/24; az eu-west-1a }\n"
		"subnet a2 { vpc a; cidr 10.1.2.0/24; az eu-west-1b }\n"
		"subnet a3 { vpc a; cidr 10.3.0.0/28; az eu-west-1c }\n"
		"subnet b1 { vpc b; cidr 10.2.1.0/24 }\n"
		"peering p { requester a; accepter b; requester-allows-remote-dns yes }\n"
		"route-table ra {\n"
		"vpc a\n"
		"associate a1 a2\n"
		"route 10.2.0.0/16 via p\n"
		"route 10.1.2.0/24 via nva\n"
		"route 0.0.0.0/0 via blackhole\n"
		"}\n"
		"network-acl na {\n"
		"vpc a\n"
		"associate a1\n"
		"ingress 100 allow all from 0.0.0.0/0\n"
		"ingress 110 deny icmp 8 from 10.2.0.0/16\n"
		"egress 100 allow tcp 1024-65535 to 0.0.0.0/0\n"
		"egress 110 allow icmp to 0.0.0.0/0\n"
		"}\n"
		"security-group sa {\n"
		"vpc a\n"
		"ingress tcp 22 from 10.0.0.0/8 sb \"ssh\"\n"
		"ingress tcp 443 from self\n"
		"egress all to 0.0.0.0/0\n"
		"}\n"
		"security-group sb { vpc b; ingress icmp from sa }\n"
		"iam-role ssm { policies AmazonSSMManagedInstanceCore }\n"
		"instance nva { subnet a1; private-ip 10.1.1.4; security-groups sa a.default }\n"
		"instance x { subnet a2; private-ip 10.1.2.254; iam-instance-profile ssm }\n"
		"instance y { subnet b1; private-ip 10.2.1.10; security-groups sb }\n"
		"endpoint e-ssm { vpc a; service ssm; subnets a1 a2; security-groups sa }\n"
		"endpoint e-s3 { vpc a; service s3; route-tables ra }\n"
		"expect x -> y icmp reachable\n");
}

/* ---- VPCs (§1) --------------------------------------------------------- */

/* R-1.1: /16 to /28. */
Test(check, vpc_prefix_too_short)
{
	expect_error("vpc v {\ncidr 10.0.0.0/15\n}\n", "InvalidVpc.Range", 2, 6);
}

Test(check, vpc_prefix_too_long)
{
	expect_error("vpc v {\ncidr 10.0.0.0/29\n}\n", "InvalidVpc.Range", 2, 6);
}

Test(check, vpc_prefix_bounds_ok)
{
	expect_clean("vpc v {\ncidr 10.0.0.0/16\n}\n");
	expect_clean("vpc v {\ncidr 10.0.0.0/28\n}\n");
}

/* link-local is never a VPC block; other special ranges neither. */
Test(check, vpc_link_local)
{
	expect_error("vpc v {\ncidr 169.254.0.0/16\n}\n", "InvalidVpc.Range",
		     2, 6);
	expect_error("vpc v {\ncidr 127.0.0.0/16\n}\n", "InvalidVpc.Range",
		     2, 6);
	expect_clean("vpc v {\ncidr 169.253.0.0/16\n}\n");
}

/* five blocks, the primary included. */
Test(check, vpc_too_many_blocks)
{
	expect_error("vpc v {\n"
		     "cidr 10.10.0.0/16\n"
		     "cidr 10.11.0.0/16\n"
		     "cidr 10.12.0.0/16\n"
		     "cidr 10.13.0.0/16\n"
		     "cidr 10.14.0.0/16\n"
		     "cidr 10.15.0.0/16\n"
		     "}\n", "CidrLimitExceeded", 7, 6);
}

Test(check, vpc_five_blocks_ok)
{
	expect_clean("vpc v {\n"
		     "cidr 10.10.0.0/16\n"
		     "cidr 10.11.0.0/16\n"
		     "cidr 10.12.0.0/16\n"
		     "cidr 10.13.0.0/16\n"
		     "cidr 10.14.0.0/16\n"
		     "}\n");
}

/* blocks of one VPC do not overlap. */
Test(check, vpc_blocks_overlap)
{
	expect_error("vpc v {\ncidr 10.0.0.0/16\ncidr 10.0.1.0/24\n}\n",
		     "InvalidVpc.Range", 3, 6);
	expect_clean("vpc v {\ncidr 10.0.0.0/16\ncidr 10.1.0.0/16\n}\n");
}

/* secondary ranges restricted by the primary's family. */
Test(check, vpc_restricted_other_family)
{
	expect_error("vpc v {\ncidr 10.0.0.0/16\ncidr 172.16.0.0/16\n}\n",
		     "InvalidVpc.Range", 3, 6);
	expect_error("vpc v {\ncidr 192.168.0.0/16\ncidr 198.19.0.0/16\n}\n",
		     "InvalidVpc.Range", 3, 6);
	/* A public primary shuts out every private family. */
	expect_error("vpc v {\ncidr 100.64.0.0/16\ncidr 10.0.0.0/16\n}\n",
		     "InvalidVpc.Range", 3, 6);
	/* Public and 100.64/10 blocks go with any primary. */
	expect_clean("vpc v {\ncidr 10.0.0.0/16\ncidr 100.64.0.0/16\n}\n");
	expect_clean("vpc v {\ncidr 172.16.0.0/16\ncidr 172.20.0.0/16\n}\n");
}

Test(check, vpc_restricted_172_31)
{
	expect_error("vpc v {\ncidr 172.16.0.0/16\ncidr 172.31.0.0/16\n}\n",
		     "InvalidVpc.Range", 3, 6);
}

Test(check, vpc_restricted_10_0_16)
{
	expect_error("vpc v {\ncidr 10.1.0.0/16\ncidr 10.0.0.0/16\n}\n",
		     "InvalidVpc.Range", 3, 6);
	expect_clean("vpc v {\ncidr 10.2.0.0/16\ncidr 10.0.0.0/16\n}\n");
}

/* five VPCs per region (and account). */
Test(check, vpc_limit)
{
	expect_error("vpc v1 { cidr 10.1.0.0/16 }\n"
		     "vpc v2 { cidr 10.2.0.0/16 }\n"
		     "vpc v3 { cidr 10.3.0.0/16 }\n"
		     "vpc v4 { cidr 10.4.0.0/16 }\n"
		     "vpc v5 { cidr 10.5.0.0/16 }\n"
		     "vpc v6 { cidr 10.6.0.0/16 }\n",
		     "VpcLimitExceeded", 6, 5);
}

Test(check, vpc_limit_per_region)
{
	expect_clean("vpc v1 { cidr 10.1.0.0/16 }\n"
		     "vpc v2 { cidr 10.2.0.0/16 }\n"
		     "vpc v3 { cidr 10.3.0.0/16 }\n"
		     "vpc v4 { cidr 10.4.0.0/16 }\n"
		     "vpc v5 { cidr 10.5.0.0/16 }\n"
		     "vpc v6 { cidr 10.6.0.0/16; region eu-west-1 }\n"
		     "vpc v7 { cidr 10.7.0.0/16; account 222222222222 }\n");
}

/* a region has a real region's shape. */
Test(check, vpc_bad_region)
{
	expect_error("region mars-1\nvpc v { cidr 10.0.0.0/16 }\n",
		     "InvalidParameterValue", 2, 5);
	expect_error("vpc v { cidr 10.0.0.0/16; region us-east-12 }\n",
		     "InvalidParameterValue", 1, 5);
}

Test(check, vpc_good_regions)
{
	expect_clean("region us-gov-west-1\nvpc v { cidr 10.0.0.0/16 }\n");
	expect_clean("region ap-southeast-5\nvpc v { cidr 10.0.0.0/16 }\n");
	expect_clean("region eu-central-2\nvpc v { cidr 10.0.0.0/16 }\n");
}

/* host names only with DNS support. */
Test(check, vpc_dns_hostnames_without_support)
{
	expect_error("vpc v { cidr 10.0.0.0/16; dns-support no; dns-hostnames yes }\n",
		     "InvalidParameterValue", 1, 5);
	expect_clean("vpc v { cidr 10.0.0.0/16; dns-support yes; dns-hostnames yes }\n");
	expect_clean("vpc v { cidr 10.0.0.0/16; dns-support no; dns-hostnames no }\n");
}

/* ---- subnets (§2) ------------------------------------------------------ */

/* R-2.1: /16 to /28 and inside the VPC. */
Test(check, subnet_too_small)
{
	expect_error(VPC_V "subnet s { vpc v; cidr 10.0.0.0/29 }\n",
		     "InvalidSubnet.Range", 2, 24);
}

Test(check, subnet_sizes_ok)
{
	expect_clean(VPC_V "subnet s { vpc v; cidr 10.0.0.0/28 }\n");
	/* It may equal the VPC's block. */
	expect_clean(VPC_V "subnet s { vpc v; cidr 10.0.0.0/16 }\n");
}

Test(check, subnet_outside_vpc)
{
	expect_error(VPC_V "subnet s { vpc v; cidr 10.1.0.0/24 }\n",
		     "InvalidSubnet.Range", 2, 24);
	/* Inside a secondary block is fine. */
	expect_clean("vpc v { cidr 10.0.0.0/16; cidr 10.1.0.0/16 }\n"
		     "subnet s { vpc v; cidr 10.1.0.0/24 }\n");
}

/* siblings do not overlap; the later one is blamed. */
Test(check, subnet_conflict)
{
	expect_error(VPC_V SUBNET_A "subnet b { vpc v; cidr 10.0.0.128/25 }\n",
		     "InvalidSubnet.Conflict", 3, 24);
	expect_clean(VPC_V SUBNET_A "subnet b { vpc v; cidr 10.0.1.0/24 }\n");
}

/* AZ = the VPC's region + a letter a-f. */
Test(check, subnet_bad_az)
{
	expect_error(VPC_V "subnet a { vpc v; cidr 10.0.0.0/24; az us-east-1g }\n",
		     "InvalidParameterValue", 2, 40);
	expect_error(VPC_V "subnet a { vpc v; cidr 10.0.0.0/24; az ap-northeast-1a }\n",
		     "InvalidParameterValue", 2, 40);
	expect_clean(VPC_V "subnet a { vpc v; cidr 10.0.0.0/24; az us-east-1f }\n");
}

/* 200 subnets per VPC. */
Test(check, subnet_limit)
{
	expect_limit(VPC_V, "subnet s%u { vpc v; cidr 10.0.%u.0/24 }\n", 200, "",
		     "SubnetLimitExceeded", 202, 8);
}

/* ---- addresses (R-2.4, R-2.5) ------------------------------------------ */

#define INSTANCE_AT(ip) "instance i { subnet a; private-ip " ip " }\n"

Test(check, ip_outside_subnet)
{
	expect_error(VPC_V SUBNET_A INSTANCE_AT("10.0.1.10"),
		     "InvalidParameterValue", 3, 35);
}

Test(check, ip_reserved)
{
	static const char *const bad[] = {
		"10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.255",
	};
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), VPC_V SUBNET_A "%s%s%s",
			 "instance i { subnet a; private-ip ", bad[i], " }\n");
		expect_error(text, "InvalidParameterValue", 3, 35);
	}
	expect_clean(VPC_V SUBNET_A INSTANCE_AT("10.0.0.4"));
	expect_clean(VPC_V SUBNET_A INSTANCE_AT("10.0.0.254"));
}

Test(check, ip_reserved_message)
{
	struct test_lab r;

	run_lab(&r, VPC_V SUBNET_A INSTANCE_AT("10.0.0.3"));
	cr_assert_eq(r.d.n, 1);
	cr_expect_str_eq(r.d.v[0].message,
			 "Address 10.0.0.3 is in subnet's reserved address range");
	test_lab_free(&r);
}

Test(check, ip_in_use)
{
	expect_error(VPC_V SUBNET_A
		     "instance i { subnet a; private-ip 10.0.0.10 }\n"
		     "instance j { subnet a; private-ip 10.0.0.10 }\n",
		     "InvalidIPAddress.InUse", 4, 35);
	/* Two VPCs may use the same address. */
	expect_clean(VPC_V SUBNET_A
		     "vpc w { cidr 10.0.0.0/16 }\n"
		     "subnet b { vpc w; cidr 10.0.0.0/24 }\n"
		     "instance i { subnet a; private-ip 10.0.0.10 }\n"
		     "instance j { subnet b; private-ip 10.0.0.10 }\n");
}

/* ---- route tables (§3) ------------------------------------------------- */

/* one explicit association per subnet. */
Test(check, rt_subnet_associated_twice)
{
	expect_error(VPC_V SUBNET_A
		     "subnet b { vpc v; cidr 10.0.1.0/24 }\n"
		     "route-table r1 { vpc v; associate a }\n"
		     "route-table r2 { vpc v; associate a }\n",
		     "Resource.AlreadyAssociated", 5, 35);
	expect_clean(VPC_V SUBNET_A
		     "subnet b { vpc v; cidr 10.0.1.0/24 }\n"
		     "route-table r1 { vpc v; associate a }\n"
		     "route-table r2 { vpc v; associate b }\n");
}

/* one main table per VPC. */
Test(check, rt_two_mains)
{
	expect_error(VPC_V
		     "route-table r1 { vpc v; main yes }\n"
		     "route-table r2 { vpc v; main yes }\n",
		     "Vpcemu.MainRouteTableConflict", 3, 13);
	expect_clean(VPC_V
		     "route-table r1 { vpc v; main yes }\n"
		     "route-table r2 { vpc v }\n");
}

/* subnets of the table's own VPC. */
Test(check, rt_assoc_other_vpc)
{
	expect_error(VPC_V SUBNET_A
		     "vpc w { cidr 10.1.0.0/16 }\n"
		     "route-table r { vpc w; associate a }\n",
		     "InvalidParameterValue", 4, 34);
}

#define RT_OPEN "route-table r {\nvpc v\n"	/* routes from line 4 on */

/* inside the VPC, only an instance, only to a subnet's block. */
Test(check, route_inside_vpc_bad_target)
{
	expect_error(VPC_V RT_OPEN "route 10.0.1.0/24 via blackhole\n}\n",
		     "InvalidParameterValue", 4, 7);
	expect_clean(VPC_V RT_OPEN "route 10.9.0.0/16 via blackhole\n}\n");
	/* Wider than the VPC is fine. */
	expect_clean(VPC_V RT_OPEN "route 10.0.0.0/8 via blackhole\n}\n");
}

Test(check, route_vpc_block_is_local)
{
	expect_error(VPC_V RT_OPEN "route 10.0.0.0/16 via blackhole\n}\n",
		     "InvalidParameterValue", 4, 7);
	expect_error(VPC_V SUBNET_A INSTANCE_AT("10.0.0.10")
		     "route-table r {\nvpc v\nroute 10.0.0.0/16 via i\n}\n",
		     "RouteAlreadyExists", 6, 7);
}

Test(check, route_instance_needs_subnet_block)
{
	const char *base = VPC_V SUBNET_A
		"subnet b { vpc v; cidr 10.0.1.0/24 }\n"
		INSTANCE_AT("10.0.0.10");

	char text[512];

	snprintf(text, sizeof(text), "%s%s", base,
		 "route-table r {\nvpc v\nroute 10.0.1.0/25 via i\n}\n");
	expect_error(text, "InvalidParameterValue", 7, 7);
	snprintf(text, sizeof(text), "%s%s", base,
		 "route-table r {\nvpc v\nroute 10.0.1.0/24 via i\n}\n");
	expect_clean(text);
}

/* one route per destination. */
Test(check, route_duplicate)
{
	expect_error(VPC_V RT_OPEN
		     "route 10.9.0.0/16 via blackhole\n"
		     "route 10.9.0.0/16 via blackhole\n}\n",
		     "RouteAlreadyExists", 5, 7);
	expect_clean(VPC_V RT_OPEN
		     "route 10.9.0.0/16 via blackhole\n"
		     "route 10.9.0.0/17 via blackhole\n}\n");
}

/* 50 routes per table; blamed on the 51st "route". */
Test(check, route_limit)
{
	expect_limit(VPC_V RT_OPEN, "route 192.168.%u.0/24 via blackhole\n", 50,
		     "}\n", "RouteLimitExceeded", 54, 1);
}

/* EC2's 169.254.168.0/22. */
Test(check, route_ec2_reserved)
{
	expect_error(VPC_V RT_OPEN "route 169.254.169.0/24 via blackhole\n}\n",
		     "InvalidParameterValue", 4, 7);
	expect_error(VPC_V RT_OPEN "route 169.254.168.0/22 via blackhole\n}\n",
		     "InvalidParameterValue", 4, 7);
	expect_clean(VPC_V RT_OPEN "route 169.254.0.0/16 via blackhole\n}\n");
}

#define THREE_VPCS                                                            \
	"vpc a { cidr 10.1.0.0/16 }\n"                                        \
	"vpc b { cidr 10.2.0.0/16 }\n"                                        \
	"vpc c { cidr 10.3.0.0/16 }\n"

/* vpcemu: a route via a peering of the table's VPC only. */
Test(check, route_foreign_peering)
{
	expect_error(THREE_VPCS
		     "peering p { requester b; accepter c }\n"
		     "route-table r {\nvpc a\nroute 10.3.0.0/16 via p\n}\n",
		     "InvalidParameterValue", 7, 23);
	expect_clean(THREE_VPCS
		     "peering p { requester c; accepter a }\n"
		     "route-table r {\nvpc a\nroute 10.3.0.0/16 via p\n}\n");
}

/* A route via an instance of another VPC. */
Test(check, route_foreign_instance)
{
	expect_error(THREE_VPCS
		     "subnet s { vpc b; cidr 10.2.0.0/24 }\n"
		     "instance i { subnet s }\n"
		     "route-table r {\nvpc a\nroute 10.9.0.0/16 via i\n}\n",
		     "InvalidParameterValue", 8, 23);
}

/* a route via a gateway endpoint of the same VPC only. */
Test(check, route_via_endpoint)
{
	expect_error(VPC_V SUBNET_A
		     "endpoint e { vpc v; service ssm; subnets a; private-dns no }\n"
		     "route-table r {\nvpc v\nroute 10.9.0.0/16 via e\n}\n",
		     "InvalidParameterValue", 6, 23);
	expect_error(VPC_V
		     "vpc w { cidr 10.1.0.0/16 }\n"
		     "endpoint e { vpc w; service s3 }\n"
		     "route-table r {\nvpc v\nroute 10.9.0.0/16 via e\n}\n",
		     "InvalidParameterValue", 6, 23);
	expect_clean(VPC_V
		     "endpoint e { vpc v; service s3 }\n"
		     "route-table r {\nvpc v\nroute 10.9.0.0/16 via e\n}\n");
}

/* 200 route tables per VPC, the implicit main one included. */
Test(check, route_table_limit)
{
	expect_limit(VPC_V, "route-table t%u { vpc v }\n", 199, "",
		     "RouteTableLimitExceeded", 201, 13);
}

/* ---- peerings (§6) ----------------------------------------------------- */

#define TWO_VPCS "vpc a { cidr 10.1.0.0/16 }\nvpc b { cidr 10.2.0.0/16 }\n"

/* not with itself (code unverified). */
Test(check, peering_self)
{
	expect_error(TWO_VPCS "peering p { requester a; accepter a }\n",
		     "InvalidParameterValue", 3, 35);
}

/* one per pair, either way round. */
Test(check, peering_duplicate)
{
	expect_error(TWO_VPCS
		     "peering p { requester a; accepter b }\n"
		     "peering q { requester b; accepter a }\n",
		     "VpcPeeringConnectionAlreadyExists", 4, 9);
	/* A rejected one no longer counts. */
	expect_clean(TWO_VPCS
		     "peering p { requester a; accepter b; status rejected }\n"
		     "peering q { requester b; accepter a }\n");
}

/* overlap fails the peering with a warning. */
Test(check, peering_overlap_fails)
{
	struct test_lab r;
	char *s;

	run_lab(&r, "vpc a { cidr 10.1.0.0/16 }\n"
		    "vpc b { cidr 10.2.0.0/16; cidr 10.1.128.0/17 }\n"
		    "peering p { requester a; accepter b }\n");
	s = test_diags_text(&r.d);
	cr_expect_eq(r.d.n, 1, "got:\n%s", s);
	cr_expect_not_null(find(&r.d, "Vpcemu.PeeringFailed", 3, 9), "got:\n%s",
			   s);
	cr_expect_eq(r.d.nerrors, 0);
	cr_expect_eq(r.lab->peerings[0]->status, PEERING_FAILED);
	cr_expect(strstr(r.d.v[0].message,
			 "Failed due to incorrect VPC-ID, Account ID, or overlapping CIDR range"));
	free(s);
	test_lab_free(&r);

	expect_sev("vpc a { cidr 10.1.0.0/16 }\nvpc b { cidr 10.1.0.0/16 }\n"
		   "peering p { requester a; accepter b }\n",
		   DIAG_WARNING, "Vpcemu.PeeringFailed", 3, 9);
}

/* remote DNS options on an active peering of DNS-ful VPCs. */
Test(check, peering_dns_not_active)
{
	expect_error("vpc a { cidr 10.1.0.0/16; dns-hostnames yes }\n"
		     "vpc b { cidr 10.2.0.0/16; dns-hostnames yes }\n"
		     "peering p { requester a; accepter b; status pending-acceptance; accepter-allows-remote-dns yes }\n",
		     "InvalidVpcPeeringConnectionState", 3, 9);
}

Test(check, peering_dns_hostnames_disabled)
{
	expect_error("vpc a { cidr 10.1.0.0/16; dns-hostnames yes }\n"
		     "vpc b { cidr 10.2.0.0/16 }\n"
		     "peering p { requester a; accepter b; requester-allows-remote-dns yes }\n",
		     "InvalidVpcPeeringConnectionState.DnsHostnamesDisabled",
		     3, 9);
	expect_clean("vpc a { cidr 10.1.0.0/16; dns-hostnames yes }\n"
		     "vpc b { cidr 10.2.0.0/16; dns-hostnames yes }\n"
		     "peering p { requester a; accepter b; requester-allows-remote-dns yes; accepter-allows-remote-dns yes }\n");
}

/* Spokes in their own accounts, so the VPC quota stays out of the way. */
static char *gen_peerings(unsigned n)
{
	struct strbuf b = { 0 };
	unsigned i;

	sb_puts(&b, "vpc hub { cidr 10.0.0.0/16 }\n");
	for (i = 1; i <= n; i++)
		sb_printf(&b, "vpc s%u { cidr 10.%u.0.0/16; account 2000000000%02u }\n",
			  i, i, i);
	for (i = 1; i <= n; i++)
		sb_printf(&b, "peering p%u { requester hub; accepter s%u }\n",
			  i, i);
	return sb_take(&b);
}

/* 50 active peerings per VPC. */
Test(check, peering_active_limit)
{
	/* 1 hub + 51 spokes, then the 51st peering on line 1 + 51 + 51. */
	expect_error_gen(gen_peerings(51),
			 "ActiveVpcPeeringConnectionPerVpcLimitExceeded", 103, 9);
	expect_clean_gen(gen_peerings(50));
}

/* ---- security groups (§4) ---------------------------------------------- */

/* an instance's groups come from its own VPC. */
Test(check, sg_of_other_vpc_on_instance)
{
	expect_error(VPC_V SUBNET_A
		     "vpc w { cidr 10.1.0.0/16 }\n"
		     "security-group g { vpc w }\n"
		     "instance i { subnet a; security-groups g }\n",
		     "InvalidGroup.NotFound", 5, 24);
	expect_clean(VPC_V SUBNET_A
		     "security-group g { vpc v }\n"
		     "instance i { subnet a; security-groups g }\n");
}

/* a rule may name a group of a VPC peered in the same region. */
#define SG_REF_BASE                                                           \
	"vpc a { cidr 10.1.0.0/16 }\n"                                        \
	"security-group ga { vpc a }\n"                                       \
	"security-group gb {\nvpc b\ningress icmp from ga\n}\n"	/* ga at 5:19 */

Test(check, sg_ref_unpeered)
{
	expect_error(SG_REF_BASE "vpc b { cidr 10.2.0.0/16 }\n",
		     "InvalidGroup.NotFound", 5, 19);
}

Test(check, sg_ref_peered_active)
{
	expect_clean(SG_REF_BASE "vpc b { cidr 10.2.0.0/16 }\n"
		     "peering p { requester a; accepter b }\n");
}

Test(check, sg_ref_peering_pending)
{
	expect_sev(SG_REF_BASE "vpc b { cidr 10.2.0.0/16 }\n"
		   "peering p { requester a; accepter b; status pending-acceptance }\n",
		   DIAG_WARNING, "Vpcemu.StaleReference", 5, 19);
}

Test(check, sg_ref_across_regions)
{
	expect_error(SG_REF_BASE
		     "vpc b { cidr 10.2.0.0/16; region eu-west-1 }\n"
		     "peering p { requester a; accepter b }\n",
		     "InvalidGroup.NotFound", 5, 19);
}

#define SG_ENI_BASE VPC_V SUBNET_A                                            \
	"security-group g1 { vpc v }\nsecurity-group g2 { vpc v }\n"          \
	"security-group g3 { vpc v }\nsecurity-group g4 { vpc v }\n"          \
	"security-group g5 { vpc v }\nsecurity-group g6 { vpc v }\n"

/* five groups per ENI, each once. */
Test(check, sg_too_many_on_eni)
{
	expect_error(SG_ENI_BASE
		     "instance i { subnet a; security-groups g1 g2 g3 g4 g5 g6 }\n",
		     "SecurityGroupsPerInterfaceLimitExceeded", 9, 24);
	expect_clean(SG_ENI_BASE
		     "instance i { subnet a; security-groups g1 g2 g3 g4 g5 }\n");
}

Test(check, sg_twice_on_eni)
{
	expect_error(SG_ENI_BASE
		     "instance i { subnet a; security-groups g1 g2 g1 }\n",
		     "InvalidParameterValue", 9, 24);
}

/* 60 rules per direction; blamed on the 61st. */
Test(check, sg_rule_limit)
{
	expect_limit(VPC_V "security-group g {\nvpc v\n",
		     "ingress tcp %u from 10.0.0.0/8\n", 60, "}\n",
		     "RulesPerSecurityGroupLimitExceeded", 64, 1);
}

/* rules summed over an ENI's groups stay within 1000. */
Test(check, sg_rules_per_eni_limit)
{
	struct strbuf b = { 0 };
	unsigned g, i;
	char *text;

	sb_puts(&b, VPC_V SUBNET_A);
	for (g = 0; g < 9; g++) {
		sb_printf(&b, "security-group g%u {\nvpc v\n", g);
		for (i = 0; i < 60; i++)
			sb_printf(&b, "ingress tcp %u from 10.0.0.0/8\n"
				  "egress tcp %u to 10.0.0.0/8\n", i + 1, i + 1);
		sb_puts(&b, "}\n");
	}
	/* 3 + 9 * 123 = 1110 lines before it. */
	sb_puts(&b, "instance i { subnet a; security-groups g0 g1 g2 g3 g4 g5 g6 g7 g8 }\n");
	text = sb_take(&b);
	cr_assert_not_null(text);
	expect_has(text, "RulesPerSecurityGroupLimitExceeded", 1110, 24);
	expect_has(text, "SecurityGroupsPerInterfaceLimitExceeded", 1110, 24);
	free(text);
}

/* a peer may be an AWS-managed prefix list, by name or ID, of the
 * group's region; it is not the same rule as its CIDR. */
Test(check, sg_prefix_list_peer)
{
	char id[MODEL_ID_MAX], *text = NULL;

	gateway_prefix_list_id(id, "com.amazonaws.us-east-1.dynamodb");
	cr_assert_neq(asprintf(&text,
			       "region us-east-1\n" VPC_V
			       "security-group g {\nvpc v\n"
			       "egress tcp 443 to com.amazonaws.us-east-1.s3\n"
			       "egress tcp 443 to %s\n"
			       "egress tcp 443 to 52.216.0.0/15\n}\n",
			       id), -1);
	expect_clean(text);
	free(text);
	/* Another VPC's region is not the group's. */
	expect_error("region us-east-1\n" VPC_V
		     "vpc w { cidr 10.9.0.0/16; region eu-west-1 }\n"
		     "security-group g {\nvpc v\n"
		     "egress tcp 443 to com.amazonaws.eu-west-1.s3\n}\n",
		     "InvalidPrefixListID.NotFound", 6, 19);
	expect_error("region us-east-1\n" VPC_V "security-group g {\nvpc v\n"
		     "egress tcp 443 to com.amazonaws.us-east-1.s3\n"
		     "egress tcp 443 to com.amazonaws.us-east-1.s3\n}\n",
		     "InvalidPermission.Duplicate", 6, 19);
}

/* an exact duplicate; blamed on the second peer. */
Test(check, sg_duplicate_rule)
{
	expect_error(VPC_V "security-group g {\nvpc v\n"
		     "ingress tcp 22 from 10.0.0.0/8\n"
		     "ingress tcp 22 from 10.0.0.0/8\n}\n",
		     "InvalidPermission.Duplicate", 5, 21);
	expect_error(VPC_V "security-group g {\nvpc v\n"
		     "ingress tcp 22 from 10.0.0.0/8 10.0.0.0/8\n}\n",
		     "InvalidPermission.Duplicate", 4, 32);
	expect_clean(VPC_V "security-group g {\nvpc v\n"
		     "ingress tcp 22 from 10.0.0.0/8\n"
		     "ingress tcp 23 from 10.0.0.0/8\n"
		     "egress tcp 22 to 10.0.0.0/8\n}\n");
}

/* ---- network ACLs (§5) ------------------------------------------------- */

#define NACL_OPEN "network-acl n {\nvpc v\n"	/* entries from line 4 on */

/* a number once per direction. */
Test(check, nacl_number_twice)
{
	expect_error(VPC_V NACL_OPEN
		     "ingress 100 allow all from 0.0.0.0/0\n"
		     "ingress 100 deny all from 10.0.0.0/8\n}\n",
		     "NetworkAclEntryAlreadyExists", 5, 9);
	expect_clean(VPC_V NACL_OPEN
		     "ingress 100 allow all from 0.0.0.0/0\n"
		     "egress 100 allow all to 0.0.0.0/0\n}\n");
}

/* Numbers written out of order: the later line is blamed. */
Test(check, nacl_number_twice_unsorted)
{
	expect_error(VPC_V NACL_OPEN
		     "ingress 200 allow all from 0.0.0.0/0\n"
		     "ingress 100 allow icmp from 0.0.0.0/0\n"
		     "ingress 200 deny all from 10.0.0.0/8\n}\n",
		     "NetworkAclEntryAlreadyExists", 6, 9);
}

static char *gen_nacl_entries(unsigned n)
{
	struct strbuf b = { 0 };
	unsigned i;

	sb_puts(&b, VPC_V NACL_OPEN);
	for (i = 0; i < n; i++)
		sb_printf(&b, "ingress %u allow tcp %u from 0.0.0.0/0\n",
			  1000 - i * 10, i + 1);
	sb_puts(&b, "egress 100 allow all to 0.0.0.0/0\n}\n");
	return sb_take(&b);
}

/* 20 per direction with '*' counted, so 19 numbered entries. */
Test(check, nacl_entry_limit)
{
	expect_error_gen(gen_nacl_entries(20), "NetworkAclEntryLimitExceeded",
			 23, 9);
	expect_clean_gen(gen_nacl_entries(19));
}

/* The association messages name the kind (check_assocs serves both). */
Test(check, association_messages_name_the_kind)
{
	static const struct {
		const char *kind, *code, *head;
	} cases[] = {
		{ "route-table", "Resource.AlreadyAssociated",
		  "Subnet a (" },
		{ "network-acl", "Resource.AlreadyAssociated",
		  "Subnet a (" },
	};
	static const char *const tail[] = {
		") is already associated with route table t1 (",
		") is already associated with network ACL t1 (",
	};
	char text[512];
	struct test_lab r;
	const struct diag *g;
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(text, sizeof(text),
			 VPC_V SUBNET_A "vpc w { cidr 10.9.0.0/16 }\n"
			 "%s t1 { vpc v; associate a }\n"
			 "%s t2 { vpc v; associate a }\n"
			 "%s t3 { vpc w; associate a }\n",
			 cases[i].kind, cases[i].kind, cases[i].kind);
		run_lab(&r, text);
		g = find(&r.d, cases[i].code, 5, 35);
		cr_assert_not_null(g, "%s", cases[i].kind);
		cr_expect(!strncmp(g->message, cases[i].head,
				   strlen(cases[i].head)) &&
				  strstr(g->message, tail[i]),
			  "%s", g->message);
		g = find(&r.d, "InvalidParameterValue", 6, 35);
		cr_assert_not_null(g, "%s", cases[i].kind);
		cr_expect(!strncmp(g->message, i ? "Network ACL t3 (" :
						   "Route table t3 (", 16) &&
				  strstr(g->message, "belong to different networks"),
			  "%s", g->message);
		test_lab_free(&r);
	}
}

/* one ACL per subnet, of the ACL's VPC. */
Test(check, nacl_subnet_twice)
{
	expect_error(VPC_V SUBNET_A
		     "network-acl n1 { vpc v; associate a }\n"
		     "network-acl n2 { vpc v; associate a }\n",
		     "Resource.AlreadyAssociated", 4, 35);
	expect_clean(VPC_V SUBNET_A
		     "subnet b { vpc v; cidr 10.0.1.0/24 }\n"
		     "network-acl n1 { vpc v; associate a }\n"
		     "network-acl n2 { vpc v; associate b }\n");
}

Test(check, nacl_assoc_other_vpc)
{
	expect_error(VPC_V SUBNET_A
		     "vpc w { cidr 10.1.0.0/16 }\n"
		     "network-acl n { vpc w; associate a }\n",
		     "InvalidParameterValue", 4, 34);
}

/* 200 ACLs per VPC, the default one included. */
Test(check, nacl_limit)
{
	expect_limit(VPC_V, "network-acl n%u { vpc v }\n", 199, "",
		     "NetworkAclLimitExceeded", 201, 13);
}

/* ---- endpoints (§10) --------------------------------------------------- */

#define DNS_VPC "vpc v { cidr 10.0.0.0/16; dns-hostnames yes }\n"

/* one subnet per AZ. */
Test(check, endpoint_two_subnets_one_az)
{
	expect_error(DNS_VPC SUBNET_A
		     "subnet b { vpc v; cidr 10.0.1.0/24 }\n"
		     "endpoint e { vpc v; service ssm; subnets a b }\n",
		     "DuplicateSubnetsInSameZone", 4, 44);
	expect_clean(DNS_VPC SUBNET_A
		     "subnet b { vpc v; cidr 10.0.1.0/24; az us-east-1b }\n"
		     "endpoint e { vpc v; service ssm; subnets a b }\n");
}

Test(check, endpoint_same_subnet_twice)
{
	expect_error(DNS_VPC SUBNET_A
		     "endpoint e { vpc v; service ssm; subnets a a }\n",
		     "DuplicateSubnetsInSameZone", 3, 44);
}

/* vpcemu: an interface endpoint has at least one subnet. */
Test(check, endpoint_interface_without_subnets)
{
	expect_error(DNS_VPC "endpoint e { vpc v; service ssm }\n",
		     "MissingParameter", 2, 10);
}

Test(check, endpoint_subnet_other_vpc)
{
	expect_error(DNS_VPC SUBNET_A
		     "vpc w { cidr 10.1.0.0/16; dns-hostnames yes }\n"
		     "endpoint e { vpc w; service ssm; subnets a }\n",
		     "InvalidParameterValue", 4, 42);
}

/* private DNS needs both DNS attributes. */
Test(check, endpoint_private_dns)
{
	/* Written out: blamed on the yes. */
	expect_error(VPC_V SUBNET_A
		     "endpoint e { vpc v; service ssm; subnets a; private-dns yes }\n",
		     "InvalidParameter", 3, 57);
	/* By default: blamed on the endpoint. */
	expect_error(VPC_V SUBNET_A
		     "endpoint e { vpc v; service ssm; subnets a }\n",
		     "InvalidParameter", 3, 10);
	expect_clean(VPC_V SUBNET_A
		     "endpoint e { vpc v; service ssm; subnets a; private-dns no }\n");
}

Test(check, endpoint_private_dns_message)
{
	struct test_lab r;
	char want[256];

	run_lab(&r, VPC_V SUBNET_A
		"endpoint e { vpc v; service ssm; subnets a }\n");
	cr_assert_eq(r.d.n, 1);
	snprintf(want, sizeof(want),
		 "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for %s",
		 r.lab->vpcs[0]->r.id);
	cr_expect_str_eq(r.d.v[0].message, want);
	test_lab_free(&r);
}

/* gateway endpoints: S3 and DynamoDB, route tables, no subnets. */
Test(check, endpoint_gateway_wrong_service)
{
	expect_error(VPC_V "endpoint e { vpc v; service ssm; type gateway }\n",
		     "InvalidParameterValue", 2, 29);
	expect_clean(VPC_V "endpoint e { vpc v; service dynamodb; type gateway }\n");
}

Test(check, endpoint_gateway_with_subnets)
{
	expect_error(VPC_V SUBNET_A
		     "endpoint e { vpc v; service s3; subnets a }\n",
		     "InvalidParameterValue", 3, 41);
}

Test(check, endpoint_interface_with_route_tables)
{
	expect_error(DNS_VPC SUBNET_A "route-table r { vpc v }\n"
		     "endpoint e { vpc v; service ssm; subnets a; route-tables r }\n",
		     "InvalidParameterValue", 4, 10);
}

Test(check, endpoint_gateway_foreign_table)
{
	expect_error(VPC_V "vpc w { cidr 10.1.0.0/16 }\n"
		     "route-table r { vpc w }\n"
		     "endpoint e { vpc v; service s3; route-tables r }\n",
		     "InvalidParameterValue", 4, 10);
	expect_clean(VPC_V "route-table r { vpc v }\n"
		     "endpoint e { vpc v; service s3; route-tables r }\n");
}

/* an endpoint's groups come from its VPC. */
Test(check, endpoint_sg_other_vpc)
{
	expect_error(DNS_VPC SUBNET_A
		     "vpc w { cidr 10.1.0.0/16 }\n"
		     "security-group g { vpc w }\n"
		     "endpoint e { vpc v; service ssm; subnets a; security-groups g }\n",
		     "InvalidGroup.NotFound", 5, 10);
}

/* Service names are regional. */
Test(check, endpoint_service_other_region)
{
	expect_error(DNS_VPC SUBNET_A
		     "endpoint e { vpc v; service com.amazonaws.eu-west-1.ssm; subnets a }\n",
		     "InvalidServiceName", 3, 29);
	expect_clean(DNS_VPC SUBNET_A
		     "endpoint e { vpc v; service com.amazonaws.us-east-1.ssm; subnets a }\n");
}

/* ---- all at once ------------------------------------------------------- */

/* Nothing stops at the first mistake. */
Test(check, every_violation_reported)
{
	struct test_lab r;
	char *s;

	run_lab(&r, "vpc v {\ncidr 10.0.0.0/15\n}\n"
		    "vpc w { cidr 10.1.0.0/16 }\n"
		    "subnet a { vpc w; cidr 10.1.0.0/29 }\n"
		    "subnet b { vpc w; cidr 10.1.0.0/24 }\n"
		    "instance i { subnet b; private-ip 10.1.0.3 }\n");
	s = test_diags_text(&r.d);
	cr_expect_not_null(find(&r.d, "InvalidVpc.Range", 2, 6), "%s", s);
	cr_expect_not_null(find(&r.d, "InvalidSubnet.Range", 5, 24), "%s", s);
	cr_expect_not_null(find(&r.d, "InvalidSubnet.Conflict", 6, 24), "%s", s);
	cr_expect_not_null(find(&r.d, "InvalidParameterValue", 7, 35), "%s", s);
	cr_expect_eq(r.d.n, 4, "%s", s);
	free(s);
	test_lab_free(&r);
}

/* The memory estimate: CHECK_NS_KIB per instance and per VPC router;
 * refused above 90% of what is available, at the lab's name. */
Test(check, memory_estimate)
{
	struct test_lab r = { 0 };
	struct diags d = { 0 };
	struct place at = { .file = "t.conf", .line = 1, .first_col = 5 };
	struct lab *lab;
	uint64_t need;

	lab = test_lab_text(&r, "t.conf",
			    "lab m\n"
			    "vpc V { cidr 10.1.0.0/16 }\n"
			    "vpc W { cidr 10.2.0.0/16 }\n"
			    "subnet S { vpc V; cidr 10.1.1.0/24 }\n"
			    "instance a { subnet S }\n"
			    "instance b { subnet S }\n"
			    "instance c { subnet S }\n",
			    NULL, TEST_LAB_CHECK);
	need = check_memory_need_kib(lab);
	cr_assert_eq(need, 5 * CHECK_NS_KIB);
	/* The least avail of which need is at most 90% fits; a KiB less
	 * is refused. */
	cr_assert(check_memory(lab, (need * 10 + 8) / 9, at, &d));
	cr_assert_eq(d.n, 0);
	cr_assert_not(check_memory(lab, (need * 10 + 8) / 9 - 1, at, &d));
	cr_assert_eq(d.n, 1);
	cr_assert_str_eq(d.v[0].code, "Vpcemu.InsufficientMemory");
	cr_assert_eq(d.v[0].at.line, 1);
	cr_assert(strstr(d.v[0].message, "3 instances and 2 VPC routers"),
		  "%s", d.v[0].message);
	diags_free(&d);
	test_lab_free(&r);
}
