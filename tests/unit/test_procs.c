/* test_procs.c - the instance-type table behind the cgroup limits
 * (procs.h); the groups and the kill path need root and real processes:
 * tests/integration/test_procs.c. */
#include <criterion/criterion.h>
#include <errno.h>

#include "vpcemu/procs.h"

Test(procs, t2_micro_is_one_vcpu_one_gib)
{
	struct procs_limits l;

	cr_assert_eq(procs_type_limits("t2.micro", &l), 0);
	cr_expect_eq(l.vcpus, 1);
	cr_expect_eq(l.mem_bytes, 1ULL << 30);
	cr_assert_eq(procs_type_limits("m5.large", &l), 0);
	cr_expect_eq(l.vcpus, 2);
	cr_expect_eq(l.mem_bytes, 8ULL << 30);
}

Test(procs, unknown_type_has_no_limit)
{
	struct procs_limits l = { .vcpus = 9, .mem_bytes = 9 };

	cr_expect_eq(procs_type_limits("p5.48xlarge", &l), -ENOENT);
	cr_expect_eq(l.vcpus, 0);
	cr_expect_eq(l.mem_bytes, 0);
	cr_expect_eq(procs_type_limits(NULL, &l), -ENOENT);
}
