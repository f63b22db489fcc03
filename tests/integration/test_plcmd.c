/* test_plcmd.c - seed 003 built by commands on a running lab: from VPCs,
 * subnets and web servers alone, `vpcemu elbv2` makes the target group,
 * its targets, the Network Load Balancer and its listener, and
 * `vpcemu ec2` the endpoint service and the consumer's interface endpoint
 * (same CIDR on both sides). Judged by curl from the consumer: nothing
 * while the endpoint waits for acceptance, the page once accepted,
 * nothing again once the listener is deleted; and by `ip netns` that the
 * nodes and the endpoint's namespace come and go with their resources;
 * and a gateway endpoint by command routes S3 until it is deleted.
 *
 * The lab is "it<pid>-plcmd"; .fini takes it down.
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
	"vpc Consumer { cidr 10.0.0.0/16 }\n"
	"subnet C1a { vpc Consumer; cidr 10.0.1.0/24; az ap-northeast-1a }\n"
	"security-group EpOpen { vpc Consumer; ingress tcp 80 from 10.0.0.0/16 }\n"
	"instance Client { subnet C1a; private-ip 10.0.1.10 }\n";

static char lab_name[64], file[128];

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	test_lab_write_fmt(lab_name, sizeof(lab_name), file, sizeof(file),
			   "plcmd", lab_fmt);
	test_lab_up(file, lab_name);
}

static void teardown(void)
{
	if (geteuid() == 0) {
		test_lab_down(lab_name, file);
		test_web_servers_clean(lab_name);
	}
}

TestSuite(plcmd, .init = setup, .fini = teardown, .timeout = 180);

/* `vpcemu SERVICE --lab LAB ARGS` (ARGS: shell words), which must
 * succeed; its JSON answer, {} when it prints none, as the AWS CLI does
 * for an empty one (caller decrefs). */
static json_t *aws(const char *service, const char *args)
{
	char *out = test_sh_output("%s %s --lab %s %s 2>&1; echo \" rc=$?\"",
				   vpcemu(), service, lab_name, args);
	char *rc = strrchr(out, '=');
	json_t *j;

	cr_assert(rc && !strcmp(rc, "=0\n"), "%s %s: %s", service, args, out);
	*strrchr(out, ' ') = '\0';
	j = out[0] ? json_loads(out, 0, NULL) : json_object();
	cr_assert(j, "%s %s: not JSON: %s", service, args, out);
	free(out);
	return j;
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	cr_assert(s, "no %s in the answer", k);
	return s;
}

/* Whether curl from the client gets a page of the web servers. */
static bool page(const char *url)
{
	char *out = test_sh_output("ip netns exec %s-Client curl -s -m 2 %s",
				   lab_name, url);
	bool got = strstr(out, "page-of-web-") != NULL;

	free(out);
	return got;
}

/* Waits (10 s at most) until page(url) is want. */
static bool page_becomes(const char *url, bool want)
{
	int64_t end = test_now_ms() + 10000;

	while (page(url) != want) {
		if (test_now_ms() > end)
			return false;
		test_pause_ms(200);
	}
	return true;
}

static bool netns_exists(const char *suffix)
{
	return !test_sh("ip netns list | cut -d' ' -f1 | grep -qx '%s-%s'",
			lab_name, suffix);
}

Test(plcmd, seed_003_by_commands)
{
	char args[512], svc_name[160], ep_id[64], url[64];
	json_t *j, *o;

	j = aws("elbv2", "create-target-group --name Webs --protocol TCP "
			 "--port 80 --vpc-id Provider "
			 "--health-check-interval-seconds 5");
	json_decref(j);
	json_decref(aws("elbv2", "register-targets --target-group-arn Webs "
				 "--targets Id=Web-1 Id=Web-2"));
	j = aws("elbv2", "create-load-balancer --name Front --type network "
			 "--subnets P1a P1c");
	o = json_array_get(json_object_get(j, "LoadBalancers"), 0);
	cr_expect_str_eq(jstr(o, "LoadBalancerName"), "Front");
	json_decref(j);
	cr_expect(netns_exists("Front-P1a") && netns_exists("Front-P1c"),
		  "a node namespace per subnet");
	json_decref(aws("elbv2", "create-listener --load-balancer-arn Front "
				 "--protocol TCP --port 80 --default-actions "
				 "Type=forward,TargetGroupArn=Webs"));

	j = aws("ec2", "create-vpc-endpoint-service-configuration "
		       "--network-load-balancer-arns Front");
	o = json_object_get(j, "ServiceConfiguration");
	snprintf(svc_name, sizeof(svc_name), "%s", jstr(o, "ServiceName"));
	cr_expect(json_is_true(json_object_get(o, "AcceptanceRequired")));
	json_decref(j);

	snprintf(args, sizeof(args),
		 "create-vpc-endpoint --vpc-id Consumer --service-name %s "
		 "--vpc-endpoint-type Interface --subnet-ids C1a "
		 "--security-group-ids EpOpen",
		 svc_name);
	j = aws("ec2", args);
	o = json_object_get(j, "VpcEndpoint");
	cr_expect_str_eq(jstr(o, "State"), "pendingAcceptance");
	snprintf(ep_id, sizeof(ep_id), "%s", jstr(o, "VpcEndpointId"));
	json_decref(j);
	/* Its ENI has the lowest free address of C1a (Client is .10). */
	snprintf(url, sizeof(url), "http://10.0.1.4/");
	cr_expect(test_sh("ip -n %s-endpoint-C1a addr | grep -q 10.0.1.4/",
			  lab_name) == 0,
		  "the endpoint's ENI is not at 10.0.1.4");

	cr_expect_not(page(url), "a pending endpoint carried a request");
	snprintf(args, sizeof(args),
		 "accept-vpc-endpoint-connections --service-id Front-svc "
		 "--vpc-endpoint-ids %s",
		 ep_id);
	json_decref(aws("ec2", args));
	cr_expect(page_becomes(url, true),
		  "no page through the accepted endpoint");

	json_decref(aws("elbv2", "delete-listener --listener-arn Front-80"));
	cr_expect(page_becomes(url, false),
		  "a page without a listener on port 80");

	/* Everything goes, and its namespaces with it. */
	snprintf(args, sizeof(args), "delete-vpc-endpoints --vpc-endpoint-ids %s",
		 ep_id);
	json_decref(aws("ec2", args));
	json_decref(aws("ec2", "delete-vpc-endpoint-service-configurations "
			       "--service-ids Front-svc"));
	json_decref(aws("elbv2", "delete-load-balancer --load-balancer-arn Front"));
	json_decref(aws("elbv2", "delete-target-group --target-group-arn Webs"));
	cr_expect_not(netns_exists("endpoint-C1a"), "the endpoint ENI's namespace");
	cr_expect_not(netns_exists("Front-P1a") || netns_exists("Front-P1c"),
		      "a node's namespace");
	cr_expect(test_sh("ip netns exec %s-Web-1 true", lab_name) == 0,
		  "the web server went too");
}

/* HTTP status of a PUT from the client to S3 by its regional name, "000"
 * when nothing answers (caller frees). */
static char *s3_put(void)
{
	return test_sh_output("ip netns exec %s-Client curl -s -m 2 -o "
			      "/dev/null -w '%%{http_code}' -X PUT "
			      "http://s3.ap-northeast-1.amazonaws.com/plcmd",
			      lab_name);
}

/* A gateway endpoint by command: its route makes S3 answer, and goes
 * with it. */
Test(plcmd, gateway_endpoint_by_command)
{
	char args[256], id[64], *got;
	json_t *j;

	got = s3_put();
	cr_expect_str_eq(got, "000", "S3 answered before the endpoint");
	free(got);
	j = aws("ec2", "create-vpc-endpoint --vpc-id Consumer --service-name "
		       "com.amazonaws.ap-northeast-1.s3 "
		       "--route-table-ids Consumer.main");
	snprintf(id, sizeof(id), "%s",
		 jstr(json_object_get(j, "VpcEndpoint"), "VpcEndpointId"));
	json_decref(j);
	cr_expect(test_sh("ip -n %s-Consumer route show table all | "
			  "grep -q '^52.216.0.0/15'",
			  lab_name) == 0,
		  "no route to S3's prefix in the router");
	/* Any HTTP answer is S3's (a bucket outside us-east-1 wants a
	 * LocationConstraint: 400). */
	got = s3_put();
	cr_expect_str_neq(got, "000", "S3 did not answer through the endpoint");
	free(got);
	snprintf(args, sizeof(args), "delete-vpc-endpoints --vpc-endpoint-ids %s",
		 id);
	json_decref(aws("ec2", args));
	got = s3_put();
	cr_expect_str_eq(got, "000", "S3 answered after the endpoint went");
	free(got);
}
