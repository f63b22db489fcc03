/* test_completion.c - completion/vpcemu.bash run by bash as readline
 * would (COMP_WORDS, COMP_CWORD, then _vpcemu), against the vpcemu under
 * test and a state directory of two labs written here: the candidates
 * for commands, ec2 and elbv2 commands, describe types, lab names,
 * instance names (of one lab with --lab) and file names. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vpcemu/state.h"

#include "helpers.h"

static char dir[] = "/tmp/vpcemu-test-completion-XXXXXX";

static void save(const char *lab, struct state_instance *inst, size_t n)
{
	char *ns[] = { "x" };
	struct lab_state s = { .lab = (char *)lab, .file = "/x.conf",
			       .status = "up", .digest = "0123456789abcdef",
			       .netns = ns, .nnetns = 1, .instances = inst,
			       .ninstances = n };

	cr_assert_eq(state_save(&s), 0);
}

static void setup(void)
{
	static struct state_instance peering[] = {
		{ .name = "EC2-A", .id = "i-0000000000000000a",
		  .netns = "p-EC2-A", .vpc = "A", .subnet = "SA", .ip = 1 },
		{ .name = "EC2-B", .id = "i-0000000000000000b",
		  .netns = "p-EC2-B", .vpc = "B", .subnet = "SB", .ip = 2 },
	};
	static struct state_instance web[] = {
		{ .name = "Web", .id = "i-0000000000000000c", .netns = "w-Web",
		  .vpc = "V", .subnet = "S", .ip = 3 },
	};

	test_state_dir_enter(dir);
	save("peering", peering, 2);
	save("web", web, 1);
}

static void teardown(void)
{
	test_state_dir_leave(dir);
}

TestSuite(completion, .init = setup, .fini = teardown);

/* The candidates for the command line words (a bash array's body, the
 * last word being completed), sorted, one a line. */
static char *complete(const char *words)
{
	const char *v = getenv("VPCEMU");
	char *cmd, *out;
	FILE *p;
	size_t n = 0;

	cr_assert_neq(asprintf(&cmd,
			       "bash --norc --noprofile -c '"
			       ". ../completion/vpcemu.bash; "
			       "COMP_WORDS=(%s %s); "
			       "COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
			       "_vpcemu; "
			       "printf \"%%s\\n\" \"${COMPREPLY[@]}\" | sort'",
			       v ? v : "../build/vpcemu", words),
		      -1);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	out = NULL;
	cr_assert_geq(getdelim(&out, &n, '\0', p), 0);
	pclose(p);
	free(cmd);
	return out;
}

static void expect(const char *words, const char *want)
{
	char *got = complete(words);

	cr_expect_str_eq(got, want, "vpcemu %s<TAB>", words);
	free(got);
}

Test(completion, commands)
{
	char *got = complete("\"\"");

	cr_expect(strstr(got, "\ndiagram\n") && strstr(got, "\nexec\n") &&
		  strstr(got, "\nvalidate\n") && strstr(got, "--help\n"),
		  "%s", got);
	free(got);
	expect("d", "describe\ndiagram\ndown\n");
}

Test(completion, instance_names)
{
	expect("exec EC2-", "EC2-A\nEC2-B\n");
	expect("exec \"\"", "EC2-A\nEC2-B\nWeb\n");
	expect("exec --lab web \"\"", "Web\n");
	expect("exec EC2-A \"\"", "--\n");
	expect("ssm start-session --target E", "EC2-A\nEC2-B\n");
}

Test(completion, lab_names)
{
	expect("status \"\"", "peering\nweb\n");
	expect("describe --lab p", "peering\n");
	expect("ec2 --lab w", "web\n");
	expect("export w", "web\n");
}

/* ec2 and elbv2 commands are the binary's own (vpcemu __complete). */
Test(completion, aws_commands)
{
	expect("ec2 accept-vpc-", "accept-vpc-endpoint-connections\n"
				  "accept-vpc-peering-connection\n");
	expect("ec2 describe-vpcs", "describe-vpcs\n");
	expect("elbv2 register", "register-targets\n");
	expect("ec2 create-vpc", "create-vpc\ncreate-vpc-endpoint\n"
				 "create-vpc-endpoint-service-configuration\n"
				 "create-vpc-peering-connection\n");
	expect("describe transit-gateway-r", "transit-gateway-route-tables\n");
}

Test(completion, files_and_formats)
{
	expect("validate ../topologies/vpc-p",
	       "../topologies/vpc-peering.conf\n");
	expect("up ../topologies/transit", "../topologies/transit-gateway.conf\n"
					  "../topologies/transitive.conf\n");
	expect("up --e", "--empty\n");
	/* A new lab's name: nothing to offer. */
	expect("up --empty \"\"", "\n");
	expect("diagram --format \"\"", "dot\npng\nsvg\n");
	/* diagram takes a running lab's name as well as a file. */
	expect("diagram w", "web\n");
}
