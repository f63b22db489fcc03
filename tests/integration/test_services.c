/* test_services.c - the daemon's services inside a real lab (issue 5),
 * checked with independent clients run in the instances' namespaces (dig,
 * getent, curl, ping, sh) through `vpcemu exec`:
 *   - Amazon DNS (R-12.1-R-12.5, R-10.4-R-10.6): private names of interface
 *     endpoints only inside their VPC, IP names, the search domain, both
 *     resolver addresses, no resolver without DNS support, none for a
 *     peer's instances, never filtered by groups (gotcha 1), a malformed
 *     packet changes nothing;
 *   - IMDS: IMDSv2 token flow, v1 refused when
 *     tokens are required and served when optional, per-instance answers;
 *   - Session Manager (R-13.2-R-13.5): a session from the full hands-on
 *     chain pings across the peering; TargetNotConnected (exit 254) when
 *     one link is missing: no role policy, endpoint group without 443 (and
 *     back, live, with vpcemu ec2), instance egress without 443, no
 *     endpoints in the VPC, private DNS off;
 *   - user data (R: lab-conf.md): run once, logged, a failing status kept.
 * Each "works" has a twin that fails when the rule is gone. Labs under
 * integration/labs/services/, named "it<pid>-svc..." and taken down in
 * .fini.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vpcemu/state.h"

#include "helpers.h"

#define LABS "integration/labs/services/"

static char lab_name[128];

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

static void up(const char *file, const char *suffix)
{
	static char out[8192];

	snprintf(lab_name, sizeof(lab_name), "it%d-%s", (int)getpid(),
		 suffix);
	cr_assert_eq(RUN(out, (char *)vpcemu(), "up", (char *)file, "--name",
			 lab_name), 0, "up %s: %s", file, out);
}

static void down(void)
{
	static char out[8192];

	cr_expect_eq(RUN(out, (char *)vpcemu(), "down", lab_name), 0,
		     "down: %s", out);
	test_assert_no_leak(lab_name);
}

/* What cmd (a shell line) prints inside instance, stdout and stderr. */
static char *in_instance(const char *instance, const char *cmd)
{
	return test_sh_output("%s exec --lab %s %s -- sh -c '%s' 2>&1",
			      vpcemu(), lab_name, instance, cmd);
}

/* dig through the instance's own resolv.conf, one try of one second. */
static char *dig(const char *instance, const char *args)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "dig +time=1 +tries=1 %s", args);
	return in_instance(instance, cmd);
}

TestSuite(services, .init = setup, .fini = teardown, .timeout = 120);

Test(services, dns)
{
	char *o;

	up(LABS "services.conf", "svcdns");

	/* inside the endpoint's VPC its service name is its ENI
	 * (10.1.1.4, the first free address): not from a peer. */
	o = dig("EC2-A", "+short ssm.ap-northeast-1.amazonaws.com");
	cr_expect(strstr(o, "10.1.1.4"), "own VPC: %s", o);
	free(o);
	o = dig("EC2-B", "ssm.ap-northeast-1.amazonaws.com");
	cr_expect(strstr(o, "status: NXDOMAIN"), "peer VPC: %s", o);
	free(o);

	/* R-12.4/12.5: IP names (with the search domain) where both DNS
	 * attributes are on; not in VPC-B (hostnames off). */
	o = in_instance("EC2-A", "getent hosts ip-10-1-1-20");
	cr_expect(strstr(o, "10.1.1.20"), "search domain: %s", o);
	free(o);
	o = dig("EC2-A", "+short ip-10-2-1-10.ap-northeast-1.compute.internal");
	cr_expect(strstr(o, "10.2.1.10"), "other VPC, RFC 1918: %s", o);
	free(o);
	o = dig("EC2-B", "ip-10-2-1-10.ap-northeast-1.compute.internal");
	cr_expect(strstr(o, "status: NXDOMAIN"), "hostnames off: %s", o);
	free(o);
	o = dig("EC2-A", "-x 10.1.1.10 +short");
	cr_expect(strstr(o, "ip-10-1-1-10.ap-northeast-1.compute.internal"),
		  "PTR: %s", o);
	free(o);

	/* There is no internet: outside names fail at once. */
	o = dig("EC2-A", "example.com");
	cr_expect(strstr(o, "status: NXDOMAIN"), "outside: %s", o);
	free(o);

	/* also at 169.254.169.253: nothing without DNS
	 * support (VPC-C). */
	o = dig("EC2-A", "@169.254.169.253 +short ip-10-1-1-10.ap-northeast-1.compute.internal");
	cr_expect(strstr(o, "10.1.1.10"), "169.254.169.253: %s", o);
	free(o);
	o = dig("EC2-C", "@10.3.0.2 ip-10-3-1-10.ap-northeast-1.compute.internal");
	cr_expect(strstr(o, "timed out") && !strstr(o, "status:"),
		  "dns-support no: %s", o);
	free(o);
	o = dig("EC2-C", "@169.254.169.253 example.com");
	cr_expect(strstr(o, "timed out") && !strstr(o, "status:"),
		  "dns-support no, 169.254.169.253: %s", o);
	free(o);

	/* A resolver serves its own VPC: EC2-A does not get VPC-B's,
	 * EC2-B does. */
	o = dig("EC2-A", "@10.2.0.2 example.com");
	cr_expect(strstr(o, "timed out") && !strstr(o, "status:"),
		  "peer's resolver: %s", o);
	free(o);
	o = dig("EC2-B", "@10.2.0.2 example.com");
	cr_expect(strstr(o, "status: NXDOMAIN"), "own resolver: %s", o);
	free(o);

	/* Gotcha 1: a group with only tcp 443 out blocks ping,
	 * not the resolver. */
	cr_expect_neq(test_sh("%s exec --lab %s EC2-A2 -- ping -c 1 -W 1 "
			      "10.1.1.10 >/dev/null 2>&1", vpcemu(), lab_name),
		      0, "EC2-A2 pings although its group has only tcp 443");
	o = dig("EC2-A2", "+short ssm.ap-northeast-1.amazonaws.com");
	cr_expect(strstr(o, "10.1.1.4"), "resolver filtered: %s", o);
	free(o);

	/* A malformed datagram and a truncated TCP query: no answer to
	 * garbage, and the resolver goes on answering. */
	cr_expect_eq(test_sh("%s exec --lab %s EC2-A -- bash -c 'printf "
			     "\"\\\\x12\\\\x34garbage\" >/dev/udp/10.1.0.2/53; "
			     "exec 3<>/dev/tcp/10.1.0.2/53; printf "
			     "\"\\\\x00\\\\xff\\\\x01\" >&3; exec 3>&-'",
			     vpcemu(), lab_name), 0, "sending garbage");
	o = dig("EC2-A", "+short ssm.ap-northeast-1.amazonaws.com");
	cr_expect(strstr(o, "10.1.1.4"), "after garbage: %s", o);
	free(o);
	o = dig("EC2-A", "+tcp +short ssm.ap-northeast-1.amazonaws.com");
	cr_expect(strstr(o, "10.1.1.4"), "over TCP: %s", o);
	free(o);
	down();
}

Test(services, imds)
{
	const char *url = "http://169.254.169.254/latest";
	char cmd[512], *o;

	up(LABS "services.conf", "svcimds");

	/* tokens required (the AL2023 default): v1 gets 401. */
	snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null -w %%{http_code} "
		 "%s/meta-data/local-ipv4", url);
	o = in_instance("EC2-A", cmd);
	cr_expect_str_eq(o, "401", "v1 with tokens required: %s", o);
	free(o);
	/* ...and served where tokens are optional. */
	snprintf(cmd, sizeof(cmd), "curl -s %s/meta-data/local-ipv4", url);
	o = in_instance("EC2-A2", cmd);
	cr_expect_str_eq(o, "10.1.1.20", "v1, optional: %s", o);
	free(o);

	/* the v2 flow, answered per instance. */
	snprintf(cmd, sizeof(cmd),
		 "T=$(curl -s -X PUT -H \"X-aws-ec2-metadata-token-ttl-seconds: 60\" "
		 "%s/api/token) && curl -s -H \"X-aws-ec2-metadata-token: $T\" "
		 "%s/meta-data/local-ipv4", url, url);
	o = in_instance("EC2-A", cmd);
	cr_expect_str_eq(o, "10.1.1.10", "v2 on EC2-A: %s", o);
	free(o);
	o = in_instance("EC2-B", cmd);
	cr_expect_str_eq(o, "10.2.1.10", "v2 on EC2-B: %s", o);
	free(o);
	/* A bad TTL is refused; a forged token too. */
	snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null -w %%{http_code} -X PUT "
		 "-H \"X-aws-ec2-metadata-token-ttl-seconds: 0\" %s/api/token",
		 url);
	o = in_instance("EC2-A", cmd);
	cr_expect_str_eq(o, "400", "TTL 0: %s", o);
	free(o);
	snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null -w %%{http_code} "
		 "-H \"X-aws-ec2-metadata-token: forged\" %s/meta-data/", url);
	o = in_instance("EC2-A", cmd);
	cr_expect_str_eq(o, "401", "forged token: %s", o);
	free(o);
	/* The role's credentials. */
	snprintf(cmd, sizeof(cmd),
		 "T=$(curl -s -X PUT -H \"X-aws-ec2-metadata-token-ttl-seconds: 60\" "
		 "%s/api/token) && curl -s -H \"X-aws-ec2-metadata-token: $T\" "
		 "%s/meta-data/iam/security-credentials/SSM-Role", url, url);
	o = in_instance("EC2-A", cmd);
	cr_expect(strstr(o, "\"AccessKeyId\"") && strstr(o, "\"Success\""),
		  "credentials: %s", o);
	free(o);
	down();
}

static int start_session(const char *target, const char *stdin_text,
			 char **out)
{
	*out = test_sh_output("echo '%s' | %s ssm start-session --lab %s "
			      "--target %s 2>&1; echo \"exit=$?\"", stdin_text,
			      vpcemu(), lab_name, target);
	return strstr(*out, "exit=0") ? 0 : strstr(*out, "exit=254") ? 254
									: 1;
}

Test(services, ssm)
{
	char *o;

	up(LABS "services.conf", "svcssm");

	/* The hands-on's last step: a session on EC2-A, ping EC2-B. */
	cr_expect_eq(start_session("EC2-A", "ping -c 1 -W 2 10.2.1.10 "
				   ">/dev/null && echo PING-OK", &o), 0,
		     "EC2-A: %s", o);
	cr_expect(strstr(o, "PING-OK"), "EC2-A: %s", o);
	free(o);
	/* The session exits with the status of what it ran. */
	o = test_sh_output("echo \"exit 7\" | %s ssm start-session --lab %s "
			   "--target EC2-A >/dev/null 2>&1; echo $?", vpcemu(),
			   lab_name);
	cr_expect_str_eq(o, "7\n", "status: %s", o);
	free(o);

	/* One link missing at a time: TargetNotConnected, exit 254. */
	cr_expect_eq(start_session("EC2-A2", "true", &o), 254,
		     "role without the policy: %s", o);
	cr_expect(strstr(o, "An error occurred (TargetNotConnected) when "
			    "calling the StartSession operation: i-"),
		  "message: %s", o);
	free(o);
	cr_expect_eq(start_session("EC2-A3", "true", &o), 254,
		     "egress without 443: %s", o);
	free(o);
	cr_expect_eq(start_session("EC2-B", "true", &o), 254,
		     "no endpoints in VPC-B: %s", o);
	free(o);

	/* The endpoints' group without 443, then with it again, live. */
	cr_expect_eq(test_sh("%s ec2 --lab %s revoke-security-group-ingress "
			     "--group-id SG-Endpoints --protocol tcp --port 443 "
			     "--cidr 10.1.0.0/16 >/dev/null", vpcemu(),
			     lab_name), 0);
	cr_expect_eq(start_session("EC2-A", "true", &o), 254,
		     "endpoint group without 443: %s", o);
	free(o);
	/* The lab's ec2 record (written by that command) is no lab. */
	o = test_sh_output("%s status", vpcemu());
	cr_expect(!strstr(o, ".ec2"), "status lists the ec2 record: %s", o);
	free(o);
	cr_expect_eq(test_sh("%s ec2 --lab %s authorize-security-group-ingress "
			     "--group-id SG-Endpoints --protocol tcp --port 443 "
			     "--cidr 10.1.0.0/16 >/dev/null", vpcemu(),
			     lab_name), 0);
	cr_expect_eq(start_session("EC2-A", "true", &o), 0,
		     "443 back: %s", o);
	free(o);

	o = test_sh_output("%s ssm describe-instance-information --lab %s",
			   vpcemu(), lab_name);
	cr_expect(strstr(o, "\"PingStatus\": \"Online\""), "%s", o);
	cr_expect(strstr(o, "\"PingStatus\": \"ConnectionLost\""), "%s", o);
	cr_expect(!strstr(o, "\"ComputerName\": \"EC2-A2\""),
		  "no SSM role, not registered: %s", o);
	free(o);
	down();
}

Test(services, ssm_private_dns_off)
{
	char *o;

	/* The same chain with private DNS off on the ssm endpoint: the
	 * name leaves the lab, the agent stays offline. */
	up(LABS "private-dns-off.conf", "svcpdns");
	cr_expect_eq(start_session("EC2-A", "true", &o), 254,
		     "private DNS off: %s", o);
	free(o);
	o = dig("EC2-A", "ssm.ap-northeast-1.amazonaws.com");
	cr_expect(strstr(o, "status: NXDOMAIN"), "%s", o);
	free(o);
	o = dig("EC2-A", "+short ssmmessages.ap-northeast-1.amazonaws.com");
	cr_expect(strstr(o, "10.1.1."), "the others keep theirs: %s", o);
	free(o);
	down();
}

Test(services, user_data)
{
	char path[512], *o;

	up(LABS "services.conf", "svcud");
	/* Runs at once, asynchronously: wait for its status file. */
	snprintf(path, sizeof(path), "%s/%s.userdata/EC2-A2", state_dir(),
		 lab_name);
	cr_expect_eq(test_sh("for i in $(seq 50); do grep -q exit %s.status "
			     "2>/dev/null && exit 0; sleep 0.1; done; exit 1",
			     path), 0, "no status for EC2-A2's user data");
	o = test_sh_output("cat %s.status %s.log", path, path);
	cr_expect(strstr(o, "exit 3"), "failing status kept: %s", o);
	cr_expect(strstr(o, "hello from user data"), "log: %s", o);
	free(o);
	o = test_sh_output("%s status %s", vpcemu(), lab_name);
	cr_expect(strstr(o, "user data of EC2-A2: exit 3, log "),
		  "status: %s", o);
	free(o);
	/* Instances without user data have none. */
	cr_expect_neq(test_sh("test -e %s/%s.userdata/EC2-A.status",
			      state_dir(), lab_name), 0);
	/* Once: a second up changes nothing and runs nothing again. */
	cr_expect_eq(test_sh("%s up %s --name %s >/dev/null", vpcemu(),
			     LABS "services.conf", lab_name), 0);
	o = test_sh_output("grep -c hello %s.log", path);
	cr_expect_str_eq(o, "1\n", "ran again: %s", o);
	free(o);
	down();
	cr_expect_neq(test_sh("test -e %s/%s.userdata", state_dir(), lab_name),
		      0, "user data logs left after down");
}
