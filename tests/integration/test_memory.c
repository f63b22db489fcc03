/* test_memory.c - up refuses a lab that would not fit the machine's
 * memory before building anything (check_memory: CHECK_NS_KIB per
 * instance and VPC router against MemAvailable). VPCEMU_MEM_AVAILABLE_KIB
 * lowers what vpcemud sees as available, so a 4-namespace lab stands in
 * for a 100,000-instance one; the same lab with the machine's own figure
 * comes up. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static char lab[64], conf[96];

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	test_lab_write(lab, sizeof(lab), conf, sizeof(conf), "mem",
		       "vpc V { cidr 10.1.0.0/16 }\n"
		       "subnet S { vpc V; cidr 10.1.1.0/24 }\n"
		       "instance a { subnet S }\n"
		       "instance b { subnet S }\n"
		       "instance c { subnet S }\n");
}

static void teardown(void)
{
	if (geteuid() == 0)
		test_lab_down(lab, conf);
}

TestSuite(memory, .init = setup, .fini = teardown, .timeout = 60);

Test(memory, too_big_builds_nothing)
{
	char *out;

	/* 4 namespaces x 350 KiB = 1400 KiB, more than 90% of 1500. */
	/* Braces: test_sh_output adds 2>&1 after the command. */
	out = test_sh_output("{ VPCEMU_MEM_AVAILABLE_KIB=1500 %s up %s --name %s; "
			     "echo exit=$?; }", vpcemu(), conf, lab);
	cr_assert(strstr(out, "error: Vpcemu.InsufficientMemory: lab "),
		  "%s", out);
	cr_assert(strstr(out, "(3 instances and 1 VPC routers"), "%s", out);
	cr_assert(strstr(out, "nothing was created"), "%s", out);
	cr_assert(strstr(out, "exit=1"), "%s", out);
	free(out);
	test_assert_no_leak(lab);
}

Test(memory, fits_comes_up)
{
	char *out;

	/* 1600: 1400 is under 90% of it. */
	out = test_sh_output("{ VPCEMU_MEM_AVAILABLE_KIB=1600 %s up %s --name %s; "
			     "echo exit=$?; }", vpcemu(), conf, lab);
	cr_assert(strstr(out, "exit=0"), "%s", out);
	free(out);
	cr_assert_eq(test_sh("ip netns exec %s-a ping -q -c 1 -W 2 10.1.1.5 "
			     ">/dev/null 2>&1 || ip netns exec %s-a ping -q "
			     "-c 1 -W 2 10.1.1.6 >/dev/null 2>&1", lab, lab), 0);
}
