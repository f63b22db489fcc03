/* test_analyze.c - `vpcemu analyze` against real packets: fixed seeds of
 * the differential test (tests/differential/gen.py writes a random lab whose
 * expect lines carry analyze's verdicts and codes; `vpcemu test` checks
 * them with real traffic). A seed that once disagreed stays here; `make
 * differential` runs many more.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <unistd.h>

#include "helpers.h"

static char lab_name[64];

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
}

static void teardown(void)
{
	if (lab_name[0] && geteuid() == 0)
		RUN((char *)NULL, (char *)vpcemu(), "down", lab_name);
}

TestSuite(analyze, .init = setup, .fini = teardown, .timeout = 300);

static void seed_agrees(int seed)
{
	static char out[65536];
	char file[64], arg[16];
	int rc;

	snprintf(file, sizeof(file), "/tmp/it%d-df%d.conf", (int)getpid(),
		 seed);
	snprintf(arg, sizeof(arg), "%d", seed);
	snprintf(lab_name, sizeof(lab_name), "it%d-df%d", (int)getpid(), seed);
	rc = RUN(out, "python3", "../tests/differential/gen.py",
		 (char *)vpcemu(), arg, file);
	cr_assert_eq(rc, 0, "gen.py %d: %s", seed, out);
	rc = RUN(out, (char *)vpcemu(), "test", file, "--name", lab_name,
		 "--timeout", "600");
	unlink(file);
	cr_expect_eq(rc, 0, "seed %d: analyze and the data plane disagree\n%s",
		     seed, out);
	test_assert_no_leak(lab_name);
}

Test(analyze, seed_1) { seed_agrees(1); }
Test(analyze, seed_7) { seed_agrees(7); }
Test(analyze, seed_23) { seed_agrees(23); }
