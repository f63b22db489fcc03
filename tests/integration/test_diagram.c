/* test_diagram.c - `vpcemu diagram LAB` draws the running lab as vpcemud
 * has it, not the file it came from: a peering the file leaves
 * pending-acceptance is drawn so, and drawn active once `vpcemu ec2`
 * accepted it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

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

TestSuite(diagram, .init = setup, .fini = teardown, .timeout = 120);

static char *diagram_of(const char *what)
{
	return test_sh_output("%s diagram %s --format dot", vpcemu(), what);
}

Test(diagram, running_lab_as_the_daemon_has_it)
{
	char *dot;

	test_lab_write(lab, sizeof(lab), file, sizeof(file), "dg",
		       "vpc A { cidr 10.1.0.0/16 }\n"
		       "vpc B { cidr 10.2.0.0/16 }\n"
		       "subnet SA { vpc A; cidr 10.1.1.0/24 }\n"
		       "subnet SB { vpc B; cidr 10.2.1.0/24 }\n"
		       "peering P { requester A; accepter B; "
		       "status pending-acceptance }\n"
		       "instance I { subnet SA }\n");
	test_lab_up(file, lab);
	dot = diagram_of(lab);
	cr_expect(strstr(dot, "label=\"P\\npending-acceptance\"") != NULL,
		  "%s", dot);
	cr_expect(strstr(dot, "\"I\" [label=\"I\\n10.1.1.4\"") != NULL, "%s",
		  dot);
	free(dot);
	cr_assert_eq(test_sh("%s ec2 --lab %s accept-vpc-peering-connection "
			     "--vpc-peering-connection-id P >/dev/null",
			     vpcemu(), lab), 0);
	dot = diagram_of(lab);
	cr_expect(strstr(dot, "label=\"P\\nactive\"") != NULL, "%s", dot);
	free(dot);
	/* The file still says pending: the file is drawn as written. */
	dot = diagram_of(file);
	cr_expect(strstr(dot, "label=\"P\\npending-acceptance\"") != NULL,
		  "%s", dot);
	free(dot);
}

Test(diagram, neither_file_nor_running_lab)
{
	char out[4096];

	snprintf(lab, sizeof(lab), "it%d-nodg", (int)getpid());
	cr_expect_eq(RUN(out, (char *)vpcemu(), "diagram", lab), 1);
	cr_expect(strstr(out, "no such file or running lab") != NULL, "%s",
		  out);
	lab[0] = '\0';
}
