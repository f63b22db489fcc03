/* test_biglab.c - a lab of 1,500 instances (tests/bench/genlab: 6 VPCs of
 * 250, a chain of peerings) through every command whose answer grows with
 * it: up shows its stages when asked for progress (VPCEMU_PROGRESS=1, as a
 * terminal would), down without a terminal prints nothing more than its
 * line; describe instances answers well past the control socket's frame
 * of 1 MiB, and pages as AWS does (--page-size, --max-items, then
 * --starting-token); status summarises by subnet and lists all on
 * request; neighbours ping across their peering, two peerings away does
 * not; down leaves nothing. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define NVPCS 6
#define PER_VPC 250

static char lab[64], conf[96];

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	snprintf(lab, sizeof(lab), "it%d-big", (int)getpid());
	snprintf(conf, sizeof(conf), "/tmp/%s.conf", lab);
}

static void teardown(void)
{
	if (geteuid() == 0)
		test_lab_down(lab, conf);
}

TestSuite(biglab, .init = setup, .fini = teardown, .timeout = 600);

/* Occurrences of needle in s. */
static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* What `vpcemu ARGS` (on lab) writes to stdout. */
static char *run(const char *args)
{
	/* Braces: test_sh_output adds 2>&1 after the command. */
	return test_sh_output("{ %s %s 2>/dev/null; }", vpcemu(), args);
}

/* The address of instance name's eth0. */
static void ip_of(const char *name, char *ip, size_t len)
{
	char *out = test_sh_output("ip -n %s-%s -4 -o addr show dev eth0 | "
				   "awk '{sub(\"/.*\", \"\", $4); printf "
				   "\"%%s\", $4}'", lab, name);

	snprintf(ip, len, "%s", out);
	free(out);
}

static void check_describe(void)
{
	char cmd[256];
	char *out;

	/* One answer of several MiB: framed, not refused. */
	snprintf(cmd, sizeof(cmd), "describe instances --lab %s --output json",
		 lab);
	out = run(cmd);
	cr_expect_gt(strlen(out), 1u << 20, "%zu bytes", strlen(out));
	cr_expect_eq(count(out, "\"InstanceId\""), NVPCS * PER_VPC);
	cr_expect_null(strstr(out, "NextToken"));
	free(out);
	/* Four pages, fetched and merged. */
	snprintf(cmd, sizeof(cmd), "ec2 describe-instances --lab %s "
		 "--page-size 400", lab);
	out = run(cmd);
	cr_expect_eq(count(out, "\"InstanceId\""), NVPCS * PER_VPC);
	cr_expect_null(strstr(out, "NextToken"));
	free(out);
	/* --max-items stops there and says where to go on. */
	snprintf(cmd, sizeof(cmd), "ec2 describe-instances --lab %s "
		 "--max-items 1000 --page-size 300", lab);
	out = run(cmd);
	cr_expect_eq(count(out, "\"InstanceId\""), 1000);
	cr_expect(strstr(out, "\"NextToken\": \"vpcemu-page-1000\""), "%.200s",
		  out);
	free(out);
	snprintf(cmd, sizeof(cmd), "ec2 describe-instances --lab %s "
		 "--starting-token vpcemu-page-1000", lab);
	out = run(cmd);
	cr_expect_eq(count(out, "\"InstanceId\""), NVPCS * PER_VPC - 1000);
	free(out);
	/* The API's own options: one page, its token. */
	snprintf(cmd, sizeof(cmd), "ec2 describe-instances --lab %s "
		 "--max-results 5", lab);
	out = run(cmd);
	cr_expect_eq(count(out, "\"InstanceId\""), 5);
	cr_expect(strstr(out, "\"NextToken\": \"vpcemu-page-5\""));
	free(out);
}

static void check_status(void)
{
	char cmd[128], line[128];
	char *out;
	int v;

	snprintf(cmd, sizeof(cmd), "status %s", lab);
	out = run(cmd);
	for (v = 1; v <= NVPCS; v++) {
		snprintf(line, sizeof(line), "\nV%-23d S%-23d %9d %9d\n", v, v,
			 PER_VPC, PER_VPC);
		cr_expect(strstr(out, line), "no line for V%d:\n%s", v, out);
	}
	cr_expect(strstr(out, "1500 instances in 6 VPCs and 6 subnets, 1500 "
			      "running"), "%s", out);
	cr_expect_eq(count(out, " running\n"), 0, "%s", out);
	free(out);
	snprintf(cmd, sizeof(cmd), "status %s --instances", lab);
	out = run(cmd);
	cr_expect_eq(count(out, " running\n"), NVPCS * PER_VPC);
	free(out);
}

Test(biglab, fifteen_hundred_instances)
{
	char ip2[32], ip3[32];
	char *out;

	cr_assert_eq(test_sh("../tests/bench/genlab %d %d %s > %s", NVPCS,
			     PER_VPC, lab, conf), 0);
	/* As on a terminal: the stages go by on stderr, erased at the
	 * end. */
	out = test_sh_output("{ VPCEMU_PROGRESS=1 %s up %s >/dev/null; }",
			     vpcemu(), conf);
	cr_expect(strstr(out, "\r\033[Knamespaces "), "%s", out);
	cr_expect(strstr(out, "\r\033[Kroutes "), "%s", out);
	cr_expect(strstr(out, "\r\033[Krules "), "%s", out);
	cr_expect(strlen(out) >= 4 &&
			  !strcmp(out + strlen(out) - 4, "\r\033[K"),
		  "the line is erased at the end: %s", out);
	free(out);

	check_describe();
	check_status();

	ip_of("i2-1", ip2, sizeof(ip2));
	ip_of("i3-1", ip3, sizeof(ip3));
	cr_expect_eq(test_sh("ip netns exec %s-i1-1 ping -c 1 -W 1 %s "
			     ">/dev/null", lab, ip2), 0,
		     "V1 -> V2 across their peering");
	cr_expect_neq(test_sh("ip netns exec %s-i1-1 ping -c 1 -W 1 %s "
			      ">/dev/null", lab, ip3), 0,
		      "V1 -> V3: peering is not transitive");

	/* Not a terminal: down's one line, nothing else. */
	out = test_sh_output("%s down %s 2>&1", vpcemu(), lab);
	cr_expect(!strncmp(out, "lab ", 4) && strstr(out, " is down (") &&
			  count(out, "\n") == 1 && !strchr(out, '\r'),
		  "%s", out);
	free(out);
	test_assert_no_leak(lab);
}
