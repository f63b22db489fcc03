/* test_health.c - Network Load Balancer health checks and the commands
 * that change a running PrivateLink lab, with real servers and curl:
 * a target whose server stops turns unhealthy (describe-target-health)
 * and gets no new flow until it serves again; deregister-targets drains a
 * target and register-targets brings it back; accept-vpc-endpoint-
 * connections opens a pending endpoint and reject closes it again. Each
 * "gets flows" has its "gets none" twin.
 *
 * Health checks at AWS's shortest interval (5 s) with thresholds of 2:
 * a state takes 5-10 s to change. The lab is "it<pid>-health".
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

/* %1$s: the lab name, so that each web server serves its own directory. */
static const char lab_fmt[] =
	"region ap-northeast-1\n"
	"vpc Provider { cidr 10.0.0.0/16 }\n"
	"subnet P1a { vpc Provider; cidr 10.0.1.0/24; az ap-northeast-1a }\n"
	"subnet P1c { vpc Provider; cidr 10.0.2.0/24; az ap-northeast-1c }\n"
	"security-group Web { vpc Provider; ingress tcp 80 from 10.0.0.0/16 }\n"
	TEST_WEB_SERVERS
	"instance Inside { subnet P1a; private-ip 10.0.1.20 }\n"
	"load-balancer Nlb { subnets P1a P1c; cross-zone yes\n"
	"  private-ips 10.0.1.4 10.0.2.4 }\n"
	"target-group Webs { vpc Provider; port 80; targets Web-1 Web-2\n"
	"  health-check http /; health-check-interval 5\n"
	"  healthy-threshold 2; unhealthy-threshold 2 }\n"
	"target-group Spare { vpc Provider; port 80; targets Web-1 }\n"
	"listener L1 { load-balancer Nlb; port 80; forward Webs }\n"
	"endpoint-service Svc { load-balancers Nlb }\n"
	"vpc Consumer { cidr 10.0.0.0/16 }\n"
	"subnet C1a { vpc Consumer; cidr 10.0.1.0/24; az ap-northeast-1a }\n"
	"security-group EpOpen { vpc Consumer; ingress tcp 80 from 10.0.0.0/16 }\n"
	"instance Client { subnet C1a; private-ip 10.0.1.10 }\n"
	"endpoint E-1 { vpc Consumer; service Svc; subnets C1a\n"
	"  security-groups EpOpen; private-ips 10.0.1.100 }\n";

#define NLB "http://10.0.1.4/"
#define STATE_WAIT_MS 30000

static char lab_name[64], file[128];

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	test_lab_write_fmt(lab_name, sizeof(lab_name), file, sizeof(file),
			   "health", lab_fmt);
}

static void teardown(void)
{
	if (geteuid() == 0) {
		test_lab_down(lab_name, file);
		test_web_servers_clean(lab_name);
		test_assert_no_leak(lab_name);
	}
}

TestSuite(health, .init = setup, .fini = teardown, .timeout = 180);

/* The state describe-target-health gives target (Id=NAME[,Port=N]) of
 * group tg ("" when the answer is not one description; caller frees),
 * and its reason into reason (len bytes, "" for none). */
static char *target_state(const char *tg, const char *target, char *reason,
			  size_t len)
{
	char *out = test_sh_output("%s elbv2 describe-target-health --lab %s "
				   "--target-group-arn %s --targets %s",
				   vpcemu(), lab_name, tg, target);
	json_t *j = json_loads(out, 0, NULL);
	json_t *th = json_object_get(
		json_array_get(json_object_get(j, "TargetHealthDescriptions"),
			       0),
		"TargetHealth");
	const char *s = json_string_value(json_object_get(th, "State"));
	const char *r = json_string_value(json_object_get(th, "Reason"));
	char *ret = strdup(s ? s : "");

	snprintf(reason, len, "%s", r ? r : "");
	json_decref(j);
	free(out);
	cr_assert(ret);
	return ret;
}

/* Waits until target of Webs is in state want. */
static void wait_state(const char *target, const char *want)
{
	int64_t end = test_now_ms() + STATE_WAIT_MS;
	char reason[64], *s = NULL;

	do {
		free(s);
		s = target_state("Webs", target, reason, sizeof(reason));
		if (!strcmp(s, want)) {
			free(s);
			return;
		}
		test_pause_ms(250);
	} while (test_now_ms() < end);
	cr_assert_fail("%s: %s after %d ms, not %s", target, s, STATE_WAIT_MS,
		       want);
}

/* Up, both web servers serving, both targets healthy. */
static void up(void)
{
	test_lab_up(file, lab_name);
	wait_state("Id=Web-1", "healthy");
	wait_state("Id=Web-2", "healthy");
}

/* How many of n requests from Inside through the NLB each server
 * answered. */
static void count_pages(int n, int got[2])
{
	int i;

	got[0] = got[1] = 0;
	for (i = 0; i < n; i++) {
		char *out = test_sh_output("ip netns exec %s-Inside curl -s "
					   "-m 2 " NLB, lab_name);

		got[0] += strstr(out, "page-of-web-1") != NULL;
		got[1] += strstr(out, "page-of-web-2") != NULL;
		free(out);
	}
}

static void expect_both(void)
{
	int got[2];

	count_pages(20, got);
	cr_expect(got[0] > 0 && got[1] > 0, "web-1 %d, web-2 %d of 20",
		  got[0], got[1]);
}

static void expect_web1_only(void)
{
	int got[2];

	count_pages(20, got);
	cr_expect(got[0] == 20 && got[1] == 0, "web-1 %d, web-2 %d of 20",
		  got[0], got[1]);
}

/* Stops Web-2's server: the processes of its namespace, ours, by PID. */
static void stop_web2(void)
{
	char *pids = test_sh_output("ip netns pids %s-Web-2", lab_name);
	char *save = NULL, *p;

	for (p = strtok_r(pids, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
		test_stop((pid_t)atoi(p));
	free(pids);
}

Test(health, a_stopped_server_turns_unhealthy_and_gets_no_new_flows)
{
	char reason[64], *s;

	up();
	expect_both();
	stop_web2();
	wait_state("Id=Web-2", "unhealthy");
	s = target_state("Webs", "Id=Web-2", reason, sizeof(reason));
	cr_expect_str_eq(reason, "Target.FailedHealthChecks");
	free(s);
	expect_web1_only();

	/* Serving again: healthy after two checks, and flows come back. */
	cr_assert_eq(test_sh("ip netns exec %s-Web-2 sh -c 'nohup python3 -m "
			     "http.server 80 --directory /tmp/%s-w2 "
			     ">/dev/null 2>&1 &'",
			     lab_name, lab_name),
		     0);
	wait_state("Id=Web-2", "healthy");
	expect_both();
}

Test(health, a_group_no_listener_uses_is_unused)
{
	char reason[64], *s;

	test_lab_up(file, lab_name);
	s = target_state("Spare", "Id=Web-1", reason, sizeof(reason));
	cr_expect_str_eq(s, "unused");
	cr_expect_str_eq(reason, "Target.NotInUse");
	free(s);
	/* A target the group does not have. */
	s = target_state("Spare", "Id=Web-2", reason, sizeof(reason));
	cr_expect_str_eq(s, "unused");
	cr_expect_str_eq(reason, "Target.NotRegistered");
	free(s);
}

Test(health, deregistered_targets_drain_and_registered_ones_come_back)
{
	char reason[64], *s;

	up();
	cr_assert_eq(test_sh("%s elbv2 deregister-targets --lab %s "
			     "--target-group-arn Webs --targets Id=Web-2",
			     vpcemu(), lab_name),
		     0);
	s = target_state("Webs", "Id=Web-2", reason, sizeof(reason));
	cr_expect_str_eq(s, "draining");
	cr_expect_str_eq(reason, "Target.DeregistrationInProgress");
	free(s);
	expect_web1_only();
	/* Not registered any more: deregistering again is InvalidTarget. */
	s = test_sh_output("%s elbv2 deregister-targets --lab %s "
			   "--target-group-arn Webs --targets Id=Web-2 2>&1; "
			   "echo rc=$?", vpcemu(), lab_name);
	cr_expect(strstr(s, "(InvalidTarget)") && strstr(s, "rc=254"), "%s",
		  s);
	free(s);

	cr_assert_eq(test_sh("%s elbv2 register-targets --lab %s "
			     "--target-group-arn Webs --targets Id=Web-2,Port=80",
			     vpcemu(), lab_name),
		     0);
	s = target_state("Webs", "Id=Web-2", reason, sizeof(reason));
	cr_expect_str_eq(s, "initial");
	cr_expect_str_eq(reason, "Elb.InitialHealthChecking");
	free(s);
	wait_state("Id=Web-2", "healthy");
	expect_both();
}

/* Whether Client gets a page through endpoint E-1. */
static bool endpoint_serves(void)
{
	char *out = test_sh_output("ip netns exec %s-Client curl -s -m 2 "
				   "http://10.0.1.100/", lab_name);
	bool ok = strstr(out, "page-of-web-") != NULL;

	free(out);
	return ok;
}

/* Whether describe-vpc-endpoint-connections says state. */
static bool connection_is(const char *state)
{
	char *out = test_sh_output("%s ec2 describe-vpc-endpoint-connections "
				   "--lab %s", vpcemu(), lab_name);
	bool is = strstr(out, state) != NULL;

	free(out);
	return is;
}

static char *ec2(const char *cmd)
{
	return test_sh_output("%s ec2 %s --lab %s --service-id Svc "
			      "--vpc-endpoint-ids E-1; echo rc=$?",
			      vpcemu(), cmd, lab_name);
}

Test(health, accepting_a_pending_endpoint_opens_it_and_rejecting_closes_it)
{
	char *out;

	up();
	cr_expect(connection_is("\"pendingAcceptance\""));
	cr_expect(!endpoint_serves(), "a pending endpoint carried a flow");

	out = ec2("accept-vpc-endpoint-connections");
	cr_expect(strstr(out, "\"Unsuccessful\": []") && strstr(out, "rc=0"),
		  "%s", out);
	free(out);
	cr_expect(endpoint_serves(), "the accepted endpoint carries nothing");

	out = ec2("reject-vpc-endpoint-connections");
	cr_expect(strstr(out, "rc=0"), "%s", out);
	free(out);
	cr_expect(connection_is("\"rejected\""));
	cr_expect(!endpoint_serves(), "a rejected endpoint carried a flow");
	/* Rejected for good: accepting it again fails for that endpoint. */
	out = ec2("accept-vpc-endpoint-connections");
	cr_expect(strstr(out, "InvalidVpcEndpointState"), "%s", out);
	free(out);
}
