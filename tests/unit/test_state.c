/* test_state.c - the state file: written by hand as JSON, read back by
 * jansson; the next text marking an apply in flight; stamps. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vpcemu/nsexec.h"
#include "vpcemu/state.h"

#include "helpers.h"

static char dir[] = "/tmp/vpcemu-test-state-XXXXXX";

static void setup(void)
{
	test_state_dir_enter(dir);
}

static void teardown(void)
{
	test_state_dir_leave(dir);
}

TestSuite(state, .init = setup, .fini = teardown);

static char *ns[] = { "s-V", "s-web" };
static struct state_instance inst[] = {
	{ .name = "web", .id = "i-0123456789abcdef0", .netns = "s-web",
	  .vpc = "V", .subnet = "S", .region = "ap-northeast-1",
	  .ip = 0x0a040315 },
};

static struct lab_state sample(const char *file, const char *status)
{
	return (struct lab_state){ .lab = "s", .file = (char *)file,
				   .status = (char *)status,
				   .digest = "0123456789abcdef", .netns = ns,
				   .nnetns = 2, .instances = inst,
				   .ninstances = 1 };
}

/* Every byte a path may hold that JSON must escape comes back as it was. */
Test(state, round_trip_escapes_the_path)
{
	const char *file = "/tmp/a \"b\"\\c\nd\te\x01f-\xc3\xa9.conf";
	struct lab_state s = sample(file, "up"), *got;

	cr_assert_eq(state_save(&s), 0);
	cr_assert_eq(state_load("s", &got), 0);
	cr_expect_str_eq(got->file, file);
	cr_expect_str_eq(got->status, "up");
	cr_expect_str_eq(got->digest, "0123456789abcdef");
	cr_assert_eq(got->nnetns, 2);
	cr_expect_str_eq(got->netns[1], "s-web");
	cr_assert_eq(got->ninstances, 1);
	cr_expect_str_eq(got->instances[0].id, "i-0123456789abcdef0");
	cr_expect_str_eq(got->instances[0].subnet, "S");
	cr_expect_str_eq(got->instances[0].region, "ap-northeast-1");
	cr_expect_eq(got->instances[0].ip, 0x0a040315);
	state_free(got);
}

/* The owner comes back whole; none kept is -ENOENT (root: labs up before
 * owners were), a damaged record -EINVAL (no user data at all), and
 * state_remove takes it with the lab. */
Test(state, owner_round_trip)
{
	struct nsexec_cred c = { .uid = 1000, .gid = 100, .groups = { 27, 64999 },
				 .ngroups = 2 }, got;
	char path[128];
	FILE *f;

	cr_expect_eq(state_load_owner("s", &got), -ENOENT);
	cr_assert_eq(state_save_owner("s", &c), 0);
	cr_assert_eq(state_load_owner("s", &got), 0);
	cr_expect_eq(got.uid, 1000);
	cr_expect_eq(got.gid, 100);
	cr_assert_eq(got.ngroups, 2);
	cr_expect_eq(got.groups[1], 64999);
	snprintf(path, sizeof(path), "%s/s.owner", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("1000 x\n", f);
	fclose(f);
	cr_expect_eq(state_load_owner("s", &got), -EINVAL);
	cr_assert_eq(state_remove("s"), 0);
	cr_expect_eq(access(path, F_OK), -1);
}

/* A kept next text is an apply in flight: "up" reads as "applying". */
Test(state, next_text_reads_as_applying)
{
	struct lab_state s = sample("/x.conf", "up"), *got;

	cr_assert_eq(state_save(&s), 0);
	cr_assert_eq(state_save_next_text("s", "lab s\n", 6), 0);
	cr_assert_eq(state_load("s", &got), 0);
	cr_expect_str_eq(got->status, "applying");
	state_free(got);
	cr_assert_eq(state_commit_next_text("s"), 0);
	cr_assert_eq(state_load("s", &got), 0);
	cr_expect_str_eq(got->status, "up");
	state_free(got);
}

/* Each save is a new file: the stamp tells it; a next text is reported. */
Test(state, stamp_changes_with_each_save)
{
	struct lab_state s = sample("/x.conf", "up");
	struct state_stamp a, b, c;
	bool next;

	cr_assert_eq(state_stamp("s", &a, &next), -ENOENT);
	cr_assert_eq(state_save(&s), 0);
	cr_assert_eq(state_stamp("s", &a, &next), 0);
	cr_expect_not(next);
	cr_assert_eq(state_stamp("s", &b, &next), 0);
	cr_expect(state_stamp_equal(&a, &b));
	cr_assert_eq(state_save(&s), 0);
	cr_assert_eq(state_save_next_text("s", "lab s\n", 6), 0);
	cr_assert_eq(state_stamp("s", &c, &next), 0);
	cr_expect_not(state_stamp_equal(&a, &c));
	cr_expect(next);
}
