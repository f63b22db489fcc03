/* test_elastic_ip.c - the elastic-ip kind (res/elastic_ip.c) and the
 * public IPs model.c derives from it: an associated instance's public IP
 * becomes the Elastic IP's address, given or the pool's first free one,
 * and its router translates it; each wrong form is refused.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/diag.h"
#include "vpcemu/model.h"
#include "vpcemu/nftgen.h"
#include "vpcemu/print.h"
#include "vpcemu/restype.h"

#include "helpers.h"

#define LAB                                                                   \
	"vpc V { cidr 10.0.0.0/16 }\n"                                        \
	"subnet S { vpc V; cidr 10.0.1.0/24 }\n"                              \
	"internet-gateway G { vpc V }\n"                                      \
	"instance A { subnet S; private-ip 10.0.1.10 }\n"                     \
	"instance B { subnet S; private-ip 10.0.1.11; public-ip yes }\n"

static struct test_lab tl;

static void eip_fini(void)
{
	test_lab_free(&tl);
}

TestSuite(elastic_ip, .fini = eip_fini);

static void run(const char *text)
{
	test_lab_free(&tl);
	test_lab_text(&tl, "eip.conf", text, NULL, TEST_LAB_CHECK);
}

static const struct instance *inst(const char *name)
{
	return (const struct instance *)model_find(tl.lab, RES_INSTANCE, name);
}

Test(elastic_ip, given_address_becomes_the_public_ip)
{
	char *rs;

	run(LAB "elastic-ip E { address 203.0.113.10; instance A }\n");
	cr_assert_eq(tl.d.n, 0);
	cr_expect_eq(inst("A")->public_ipv4, 0xcb00710a);
	rs = nftgen_router(tl.lab, tl.lab->vpcs[0]);
	cr_assert_not_null(rs);
	cr_expect_not_null(strstr(rs, "203.0.113.10 : 10.0.1.10,"), "%s", rs);
	free(rs);
}

/* Without an address, the pool's first free one; an instance that had an
 * automatic public IP gives it up for the Elastic IP. */
Test(elastic_ip, first_free_address_replaces_the_automatic_one)
{
	run(LAB "elastic-ip E { instance B }\n");
	cr_assert_eq(tl.d.n, 0);
	cr_expect_eq(inst("B")->public_ipv4, 0xc6336401, "198.51.100.1");
	cr_expect_eq(inst("A")->public_ipv4, 0);

	run(LAB "elastic-ip E { }\n");
	cr_assert_eq(tl.d.n, 0);
	cr_expect_neq(inst("B")->public_ipv4, 0xc6336401,
		      "B took the unassociated Elastic IP's address");
}

Test(elastic_ip, address_outside_the_pool_refused)
{
	run(LAB "elastic-ip E { address 192.0.2.5; instance A }\n");
	test_expect_one(&tl.d, "InvalidParameterValue", 6, 0);
}

Test(elastic_ip, one_address_twice_refused)
{
	run(LAB "elastic-ip E { address 203.0.113.10 }\n"
		"elastic-ip F { address 203.0.113.10 }\n");
	test_expect_one(&tl.d, "InvalidIPAddress.InUse", 7, 0);
}

Test(elastic_ip, instance_associated_twice_refused)
{
	run(LAB "elastic-ip E { instance A }\n"
		"elastic-ip F { instance A }\n");
	test_expect_one(&tl.d, "Resource.AlreadyAssociated", 7, 0);
}

Test(elastic_ip, prints_back)
{
	char *text;

	run(LAB "elastic-ip E { address 203.0.113.10; instance A }\n"
		"elastic-ip F { }\n");
	text = print_lab(tl.lab);
	cr_assert_not_null(text);
	cr_expect_not_null(
		strstr(text, "\nelastic-ip E {\n\taddress 203.0.113.10\n"
			     "\tinstance A\n}\n"),
		"%s", text);
	cr_expect_not_null(strstr(text, "\nelastic-ip F {\n}\n"), "%s", text);
	free(text);
}
