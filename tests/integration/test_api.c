/* test_api.c - vpcemud's AWS API driven by real clients: Debian's AWS CLI
 * 2.x runs the seed's hands-on from an empty lab to a Session Manager
 * shell in which EC2-A pings EC2-B (blocked before RT-B's route back);
 * boto3 runs its first steps; raw requests signed by botocore (or not)
 * get the codes AWS answers with. The scripts are in tests/api/; the
 * daemon's API port and key come from $VPCEMU_API_PORT and
 * $VPCEMU_CREDENTIALS (scripts/run-integration sets them). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "helpers.h"

static char lab[64];

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	if (!getenv("VPCEMU_API_PORT") || !getenv("VPCEMU_CREDENTIALS"))
		cr_skip_test("VPCEMU_API_PORT and VPCEMU_CREDENTIALS unset "
			     "(scripts/run-integration sets them)");
	if (access("/usr/bin/aws", X_OK) ||
	    test_sh("/usr/bin/python3 -c 'import boto3' 2>/dev/null"))
		cr_skip_test("Debian's awscli and python3-boto3 are missing "
			     "(scripts/install-deps)");
	snprintf(lab, sizeof(lab), "it%d-api", (int)getpid());
}

static void teardown(void)
{
	if (geteuid() != 0 || !lab[0])
		return;
	test_sh("%s down %s >/dev/null 2>&1", vpcemu(), lab);
	test_assert_no_leak(lab);
}

TestSuite(api, .init = setup, .fini = teardown, .timeout = 300);

Test(api, awscli_handson)
{
	int64_t t0 = test_now_ms();

	cr_assert_eq(test_sh("VPCEMU=%s api/awscli-handson.sh %s", vpcemu(),
			     lab), 0);
	fprintf(stderr, "api: awscli hands-on in %.1f s\n",
		(double)(test_now_ms() - t0) / 1000);
}

Test(api, boto3_first_steps)
{
	cr_assert_eq(test_sh("%s up --empty %s --region ap-northeast-1 "
			     ">/dev/null", vpcemu(), lab), 0);
	cr_assert_eq(test_sh("/usr/bin/python3 api/boto3-steps.py %s", lab), 0);
}

Test(api, refusals)
{
	cr_assert_eq(test_sh("%s up --empty %s --region ap-northeast-1 "
			     ">/dev/null", vpcemu(), lab), 0);
	cr_assert_eq(test_sh("/usr/bin/python3 api/refusals.py %s >&2", lab),
		     0);
}
