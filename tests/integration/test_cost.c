/* test_cost.c - `vpcemu cost` bills real bytes: 1 MiB sent over TCP from
 * A to B in another AZ costs the cross-AZ rate in each direction, the same
 * sent to C in A's AZ costs nothing, and the counters saw at least what
 * was sent. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define MIB 1048576

static char lab[64], file[128];

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	lab[0] = '\0';
}

static void teardown(void)
{
	if (geteuid() == 0)
		test_lab_down(lab, file);
}

TestSuite(cost, .init = setup, .fini = teardown, .timeout = 120);

/* Sends 1 MiB of zeros from A to ip:port over TCP (socat), once a
 * one-shot listener in instance to has started. */
static void send_mib(const char *to, const char *ip, int port)
{
	cr_assert_eq(test_sh("%s exec --lab %s %s -- sh -c 'socat -u "
			     "TCP-LISTEN:%d,reuseaddr /dev/null "
			     "</dev/null >/dev/null 2>&1 &'",
			     vpcemu(), lab, to, port),
		     0);
	cr_assert_eq(test_sh("%s exec --lab %s A -- timeout 20 sh -c 'until "
			     "dd if=/dev/zero bs=65536 count=16 2>/dev/null "
			     "| socat -u - TCP:%s:%d 2>/dev/null; "
			     "do sleep 0.1; done'",
			     vpcemu(), lab, ip, port),
		     0);
}

/* The line of the bill from A to to. */
static json_t *line_to(json_t *bill, const char *to)
{
	json_t *l;
	size_t i;

	json_array_foreach(json_object_get(bill, "lines"), i, l)
		if (!strcmp(json_string_value(json_object_get(l, "from")),
			    "A") &&
		    json_is_string(json_object_get(l, "to")) &&
		    !strcmp(json_string_value(json_object_get(l, "to")), to))
			return l;
	cr_assert_fail("no line A -> %s", to);
	return NULL;
}

Test(cost, cross_az_is_billed_same_az_is_free)
{
	json_t *bill, *ab, *ac;
	double usd_ab, gb_ab;
	char *out;

	test_lab_write(lab, sizeof(lab), file, sizeof(file), "cost",
		       "region us-east-1\n"
		       "vpc V { cidr 10.1.0.0/16 }\n"
		       "subnet S1a { vpc V; cidr 10.1.1.0/24; az us-east-1a }\n"
		       "subnet S2a { vpc V; cidr 10.1.2.0/24; az us-east-1a }\n"
		       "subnet S1b { vpc V; cidr 10.1.3.0/24; az us-east-1b }\n"
		       "instance A { subnet S1a; private-ip 10.1.1.10 }\n"
		       "instance B { subnet S1b; private-ip 10.1.3.10 }\n"
		       "instance C { subnet S2a; private-ip 10.1.2.10 }\n");
	test_lab_up(file, lab);
	send_mib("B", "10.1.3.10", 9001);
	send_mib("C", "10.1.2.10", 9002);

	out = test_sh_output("%s cost %s --output json", vpcemu(), lab);
	bill = json_loads(out, 0, NULL);
	cr_assert_not_null(bill, "%s", out);
	ab = line_to(bill, "B");
	ac = line_to(bill, "C");
	cr_expect_str_eq(json_string_value(json_object_get(ab, "what")),
			 "cross-AZ");
	cr_expect_str_eq(json_string_value(json_object_get(ac, "what")),
			 "same AZ");
	/* What went on the wire: the payload plus IP and TCP headers. */
	cr_expect_geq(json_integer_value(json_object_get(ab, "bytes")), MIB);
	cr_expect_lt(json_integer_value(json_object_get(ab, "bytes")),
		     MIB + MIB / 10);
	cr_expect_geq(json_integer_value(json_object_get(ac, "bytes")), MIB);
	gb_ab = json_integer_value(json_object_get(ab, "bytes")) /
		1073741824.0;
	usd_ab = json_real_value(json_object_get(ab, "usd"));
	cr_expect_float_eq(usd_ab, gb_ab * 0.02, 1e-12, "$%g", usd_ab);
	cr_expect_float_eq(json_real_value(json_object_get(ac, "usd")), 0,
			   1e-12);
	json_decref(bill);
	free(out);

	/* The table says the same, with the list's date and region. */
	out = test_sh_output("%s cost %s", vpcemu(), lab);
	cr_expect(strstr(out, "A \u2192 B, cross-AZ, 1.0") != NULL, "%s", out);
	cr_expect(strstr(out, "(both directions $0.01/GB each)") != NULL,
		  "%s", out);
	cr_expect(strstr(out, "A \u2192 C, same AZ, 1.0") != NULL, "%s", out);
	cr_expect(strstr(out, "prices of us-east-1, read ") != NULL, "%s",
		  out);
	free(out);
}
