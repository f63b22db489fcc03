/* test_pool.c - the public IP pool (pool.c): public-ip-pool lines as the
 * parser takes them, the checker's rules over them (each accepted form with
 * its refused twin), the slots they add, and the public IPs they leave in
 * place.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/model.h"
#include "vpcemu/print.h"
#include "vpcemu/util.h"

#include "helpers.h"

#define VPC "vpc V { cidr 10.0.0.0/16 }\nsubnet S { vpc V; cidr 10.0.1.0/24 }\n"

static struct test_lab tl;

static void pool_fini(void)
{
	test_lab_free(&tl);
}

TestSuite(pool, .fini = pool_fini);

static void run(const char *text, unsigned flags)
{
	test_lab_free(&tl);
	test_lab_text(&tl, "pool.conf", text, NULL, flags);
}

static uint32_t ip(const char *s)
{
	uint32_t a;

	cr_assert_eq(ip_parse(s, &a), 0, "%s", s);
	return a;
}

/* The lab's blocks come after the default ones, their network and
 * broadcast addresses left out. */
Test(pool, slots_follow_the_default_blocks)
{
	run("public-ip-pool 100.64.10.0/24\npublic-ip-pool 192.0.2.128/30\n" VPC,
	    TEST_LAB_CHECK | TEST_LAB_CLEAN);
	cr_assert_eq(tl.lab->npools, 2);
	cr_expect_eq(model_public_pool_size(tl.lab),
		     MODEL_PUBLIC_POOL_DEFAULT_SLOTS + 254 + 2);
	cr_expect_eq(model_public_pool_at(tl.lab, 0), ip("198.51.100.1"));
	cr_expect_eq(model_public_pool_at(tl.lab, 507), ip("203.0.113.254"));
	cr_expect_eq(model_public_pool_at(tl.lab, 508), ip("100.64.10.1"));
	cr_expect_eq(model_public_pool_at(tl.lab, 762), ip("192.0.2.129"));
	cr_expect_eq(model_public_pool_at(tl.lab, 764), 0);
	cr_expect_eq(model_public_pool_slot(tl.lab, ip("100.64.10.254")), 761);
	cr_expect(model_public_pool_has(tl.lab, ip("192.0.2.130")));
	cr_expect(!model_public_pool_has(tl.lab, ip("100.64.10.0")));
	cr_expect(!model_public_pool_has(tl.lab, ip("100.64.10.255")));
	cr_expect(!model_public_pool_has(tl.lab, ip("192.0.2.131")));
	cr_expect(!model_public_pool_has(tl.lab, ip("100.64.11.1")));
}

/* An Elastic IP may take an address of a lab's block; outside every
 * block it is refused. */
Test(pool, elastic_ip_from_a_lab_block)
{
	run("public-ip-pool 100.64.10.0/24\n" VPC
	    "elastic-ip E { address 100.64.10.7 }\n",
	    TEST_LAB_CHECK | TEST_LAB_CLEAN);
	run("public-ip-pool 100.64.10.0/24\n" VPC
	    "elastic-ip E { address 100.64.11.7 }\n",
	    TEST_LAB_CHECK);
	test_expect_one(&tl.d, "InvalidParameterValue", 4, 24);
}

/* The default blocks hold 508 addresses: the 509th Elastic IP takes the
 * lab's first one, and without the line there is none for it. */
Test(pool, adds_addresses_beyond_the_default)
{
	struct strbuf sb = { 0 };
	const struct res_list *l;
	size_t i;

	sb_puts(&sb, "public-ip-pool 100.64.10.0/24\n" VPC);
	for (i = 0; i <= MODEL_PUBLIC_POOL_DEFAULT_SLOTS; i++)
		sb_printf(&sb, "elastic-ip E%zu { }\n", i);
	cr_assert(!sb.oom);
	run(sb.s, TEST_LAB_CHECK | TEST_LAB_CLEAN);
	l = &tl.lab->res[RES_ELASTIC_IP];
	cr_expect_eq(((const struct elastic_ip *)l->v[l->n - 1])->address,
		     ip("100.64.10.1"));
	run(strchr(sb.s, '\n') + 1, TEST_LAB_CHECK);
	test_expect_one(&tl.d, "AddressLimitExceeded",
			3 + MODEL_PUBLIC_POOL_DEFAULT_SLOTS, 12);
	sb_free(&sb);
}

/* A line added later moves no instance's public IP. */
Test(pool, public_ips_stay_when_a_block_is_added)
{
	const char *insts =
		"instance A { subnet S; public-ip yes }\n"
		"instance B { subnet S; public-ip yes }\n";
	char text[512];
	uint32_t a, b;

	snprintf(text, sizeof(text), "lab keep\n" VPC "%s", insts);
	run(text, TEST_LAB_CHECK | TEST_LAB_CLEAN);
	a = tl.lab->instances[0]->public_ipv4;
	b = tl.lab->instances[1]->public_ipv4;
	cr_assert(a && b);
	snprintf(text, sizeof(text),
		 "lab keep\npublic-ip-pool 100.64.10.0/24\n" VPC "%s", insts);
	run(text, TEST_LAB_CHECK | TEST_LAB_CLEAN);
	cr_expect_eq(tl.lab->instances[0]->public_ipv4, a);
	cr_expect_eq(tl.lab->instances[1]->public_ipv4, b);
}

/* What the parser refuses: a block it cannot number, too many lines. */
Test(pool, prefix_length_and_count)
{
	struct strbuf sb = { 0 };
	size_t i;

	run("public-ip-pool 100.64.0.0/16\n" VPC,
	    TEST_LAB_CHECK | TEST_LAB_CLEAN);
	run("public-ip-pool 0.0.0.0/0\n" VPC, 0);
	test_expect_one(&tl.d, "InvalidParameterValue", 1, 16);
	run("public-ip-pool 100.64.0.0/31\n" VPC, 0);
	test_expect_one(&tl.d, "InvalidParameterValue", 1, 16);
	run("public-ip-pool 100.64.0.0\n" VPC, 0);
	test_expect_one(&tl.d, "InvalidParameterValue", 1, 16);
	run("public-ip-pool\n" VPC, 0);
	cr_expect_eq(tl.d.nerrors, 1);

	for (i = 0; i <= MODEL_PUBLIC_POOLS_MAX; i++)
		sb_printf(&sb, "public-ip-pool 100.64.%zu.0/24\n", i);
	sb_puts(&sb, VPC);
	cr_assert(!sb.oom);
	run(sb.s, 0);
	test_expect_one(&tl.d, "Vpcemu.LimitExceeded",
			MODEL_PUBLIC_POOLS_MAX + 1, 1);
	sb_free(&sb);
}

static const struct {
	const char *line;	/* the pool line, then the rest */
	const char *what;	/* in the message */
} refused[] = {
	{ "public-ip-pool 127.0.0.0/24\n", "Loopback" },
	{ "public-ip-pool 169.254.10.0/24\n", "Link-local" },
	{ "public-ip-pool 224.0.0.0/24\n", "Multicast" },
	{ "public-ip-pool 0.0.10.0/24\n", "0.0.0.0/8" },
	{ "public-ip-pool 198.51.100.0/25\n", "default pool" },
	{ "public-ip-pool 10.0.128.0/24\n", "VPC V" },
	{ "public-ip-pool 52.217.0.0/24\n", "emulated s3" },
	{ "public-ip-pool 100.64.0.0/16\npublic-ip-pool 100.64.1.0/24\n",
	  "earlier public-ip-pool line" },
};

Test(pool, checker_refuses_with_the_place)
{
	char text[512];
	unsigned line;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		line = strchr(refused[i].line, '\n')[1] ? 2 : 1;
		snprintf(text, sizeof(text), "%s" VPC, refused[i].line);
		run(text, TEST_LAB_CHECK);
		test_expect_one(&tl.d, "InvalidParameterValue", line, 16);
		cr_expect_not_null(strstr(tl.d.v[0].message, refused[i].what),
				   "%s: %s", refused[i].line,
				   tl.d.v[0].message);
	}
}

/* An internet host inside a lab's block is the host's error, as in the
 * default blocks; just outside it is fine. */
Test(pool, internet_host_outside_the_pool)
{
	run("public-ip-pool 100.64.10.0/24\n" VPC
	    "internet-host H { ip 100.64.11.9 }\n",
	    TEST_LAB_CHECK | TEST_LAB_CLEAN);
	run("public-ip-pool 100.64.10.0/24\n" VPC
	    "internet-host H { ip 100.64.10.9 }\n",
	    TEST_LAB_CHECK);
	test_expect_one(&tl.d, "InvalidParameterValue", 4, 22);
	cr_expect_not_null(strstr(tl.d.v[0].message, "public IP pool"), "%s",
			   tl.d.v[0].message);
	/* The emulated regional services' addresses are AWS's. */
	run(VPC "internet-host H { ip 52.94.1.1 }\n", TEST_LAB_CHECK);
	test_expect_one(&tl.d, "InvalidParameterValue", 3, 22);
	cr_expect_not_null(strstr(tl.d.v[0].message, "emulated dynamodb"),
			   "%s", tl.d.v[0].message);
	run(VPC "internet-host H { ip 52.94.4.1 }\n",
	    TEST_LAB_CHECK | TEST_LAB_CLEAN);
}

/* Printed back after the top-level settings, in file order, and read
 * again to the same text. */
Test(pool, printed_and_read_again)
{
	struct test_lab t2 = { 0 };
	char *a, *b;

	run("lab p\npublic-ip-pool 100.64.10.0/24\n" VPC
	    "public-ip-pool 192.0.2.128/30\n",
	    TEST_LAB_CHECK | TEST_LAB_CLEAN);
	a = print_lab(tl.lab);
	cr_assert_not_null(a);
	cr_expect_not_null(strstr(a, "account 111111111111\n"
				     "public-ip-pool 100.64.10.0/24\n"
				     "public-ip-pool 192.0.2.128/30\n"),
			   "%s", a);
	test_lab_text(&t2, "again.conf", a, NULL,
		      TEST_LAB_CHECK | TEST_LAB_CLEAN);
	b = print_lab(t2.lab);
	cr_assert_not_null(b);
	cr_expect_str_eq(a, b);
	free(a);
	free(b);
	test_lab_free(&t2);
}
