/* test_health.c - the health check state machine (fed results, no
 * sockets), and the commands over it and over endpoint services:
 * `vpcemu elbv2` (arguments, errors, describe-target-health's JSON with a
 * stand-in for the daemon's checks) and ec2's accept-/reject-vpc-endpoint-
 * connections and endpoint service describes; suite plcmd: the create and
 * delete commands of load balancers, target groups, listeners, endpoint
 * services and endpoints, from a lab with none.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "vpcemu/ec2.h"
#include "vpcemu/elbv2.h"
#include "vpcemu/health.h"
#include "vpcemu/model.h"
#include "vpcemu/print.h"

/* ---- the state machine ------------------------------------------------- */

/* Results fed in order ('+' success, '-' failure) and the states after
 * each, thresholds healthy 3 and unhealthy 2: I, H, U. */
struct feed {
	char results[16];	/* in the struct: Criterion copies parameters */
	char states[16];
};

ParameterizedTestParameters(health, feed)
{
	static struct feed cases[] = {
		/* initial needs healthy_threshold successes in a row... */
		{ "+++", "IIH" },
		/* ...or unhealthy_threshold failures. */
		{ "--", "IU" },
		/* A failure restarts the run of successes. */
		{ "++-+++", "IIIIIH" },
		{ "-+-+", "IIII" },
		/* healthy -> unhealthy after 2 failures, back after 3. */
		{ "+++--+++", "IIHHUUUH" },
		{ "+++-+-", "IIHHHH" },
		{ "---+", "IUUU" },
	};

	return cr_make_param_array(struct feed, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct feed *f, health, feed)
{
	static const char letter[] = { [HEALTH_INITIAL] = 'I',
				       [HEALTH_HEALTHY] = 'H',
				       [HEALTH_UNHEALTHY] = 'U' };
	struct health_count c = { .state = HEALTH_INITIAL };
	char got[16] = "";
	size_t i;

	for (i = 0; f->results[i]; i++) {
		char before = letter[c.state];
		bool changed = health_count_feed(&c, f->results[i] == '+', 3, 2);

		got[i] = letter[c.state];
		cr_expect_eq(changed, got[i] != before, "%s at %zu", f->results,
			     i);
	}
	cr_expect_str_eq(got, f->states, "results %s", f->results);
}

Test(health, names_and_reasons_are_aws)
{
	cr_expect_str_eq(health_state_name(HEALTH_DRAINING), "draining");
	cr_expect_null(health_reason(HEALTH_HEALTHY));
	cr_expect_null(health_description(HEALTH_HEALTHY));
	cr_expect_str_eq(health_reason(HEALTH_INITIAL),
			 "Elb.InitialHealthChecking");
	cr_expect_str_eq(health_reason(HEALTH_UNHEALTHY),
			 "Target.FailedHealthChecks");
	cr_expect_str_eq(health_reason(HEALTH_UNUSED), "Target.NotInUse");
	cr_expect_str_eq(health_reason(HEALTH_DRAINING),
			 "Target.DeregistrationInProgress");
}

/* ---- the commands ------------------------------------------------------ */

static const char base[] =
	"vpc P { cidr 10.0.0.0/16 }\n"
	"vpc Q { cidr 10.1.0.0/16 }\n"
	"subnet Pa { vpc P; cidr 10.0.1.0/24; az us-east-1a }\n"
	"subnet Qa { vpc Q; cidr 10.1.1.0/24; az us-east-1a }\n"
	"instance W1 { subnet Pa; private-ip 10.0.1.10 }\n"
	"instance W2 { subnet Pa; private-ip 10.0.1.11 }\n"
	"instance Other { subnet Qa }\n"
	"load-balancer NLB { subnets Pa }\n"
	"target-group TG { vpc P; port 80; targets W1 }\n"
	"target-group Idle { vpc P; port 80; targets W2 }\n"
	"listener L80 { load-balancer NLB; port 80; forward TG }\n"
	"endpoint-service S { load-balancers NLB }\n"
	"endpoint E { vpc Q; service S; subnets Qa }\n";

static struct test_lab tl;
static struct ec2_state st;
static struct ec2_clock clk = { .now = 1700000000 };
static struct diags errs;
static json_t *out;
static const char *code;

static void cmd_setup(void)
{
	memset(&st, 0, sizeof(st));
	out = NULL;
	test_lab_text(&tl, "h.conf", base, NULL,
		      TEST_LAB_CHECK | TEST_LAB_CLEAN);
}

static void cmd_fini(void)
{
	json_decref(out);
	diags_free(&errs);
	ec2_state_free(&st);
	test_lab_free(&tl);
}

TestSuite(elbv2, .init = cmd_setup, .fini = cmd_fini);

/* What the stand-in checks say: every registered target healthy, and a
 * draining W2 in every group. */
static int fake_health(void *data, const struct lab *lab,
		       const struct target_group *tg,
		       struct health_target **ret)
{
	struct health_target *v = calloc(tg->ntargets + 1, sizeof(*v));
	size_t i;

	cr_assert(v);
	for (i = 0; i < tg->ntargets; i++) {
		snprintf(v[i].instance_id, sizeof(v[i].instance_id), "%s",
			 tg->targets[i].instance->r.id);
		v[i].port = tg->targets[i].port ? tg->targets[i].port
						: tg->port;
		v[i].state = HEALTH_HEALTHY;
	}
	snprintf(v[i].instance_id, sizeof(v[i].instance_id), "%s",
		 ((struct res *)model_find(lab, RES_INSTANCE, "W2"))->id);
	v[i].port = 80;
	v[i].state = HEALTH_DRAINING;
	*ret = v;
	return (int)tg->ntargets + 1;
}

/* Runs "ec2 ..." or "elbv2 ..." words split at spaces; the error code
 * in code ("" on success). */
static int runs(const char *line)
{
	char *copy = strdup(line), *save = NULL, *w, *argv[32];
	bool elbv2 = !strncmp(line, "elbv2 ", 6);
	const struct diag *first;
	int argc = 0, r;

	cr_assert(copy);
	strtok_r(copy, " ", &save);
	for (w = strtok_r(NULL, " ", &save); w && argc < 31;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	json_decref(out);
	out = NULL;
	diags_free(&errs);
	r = elbv2 ? elbv2_run(tl.lab, &st, argc, argv, &clk, fake_health,
			      NULL, &out, &errs)
		  : ec2_run(tl.lab, &st, argc, argv, &clk, &out, &errs);
	first = diag_first_error(&errs);
	code = first ? first->code : "";
	free(copy);
	return r;
}

static const struct target_group *tg(const char *name)
{
	return (const struct target_group *)model_find(
		tl.lab, RES_TARGET_GROUP, name);
}

static char *dump(void)
{
	return json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
}

Test(elbv2, register_and_deregister)
{
	cr_assert_eq(runs("elbv2 register-targets --target-group-arn TG "
			  "--targets Id=W2 Id=W1,Port=8080"),
		     0, "%s", code);
	cr_assert_eq(tg("TG")->ntargets, 3);
	cr_expect_eq(tg("TG")->targets[1].port, 0);
	cr_expect_eq(tg("TG")->targets[2].port, 8080);
	cr_expect_eq(json_object_size(out), 0);
	/* The group's port is the same target as no port: registered. */
	cr_assert_eq(runs("elbv2 register-targets --target-group-arn TG "
			  "--targets Id=W2,Port=80"),
		     0);
	cr_expect_eq(tg("TG")->ntargets, 3);
	cr_assert_eq(runs("elbv2 deregister-targets --target-group-arn TG "
			  "--targets [{\"Id\":\"W1\",\"Port\":8080}]"),
		     0, "%s", code);
	cr_expect_eq(tg("TG")->ntargets, 2);
	cr_expect_eq(runs("elbv2 deregister-targets --target-group-arn TG "
			  "--targets Id=W1,Port=8080"),
		     -EINVAL);
	cr_expect_str_eq(code, "InvalidTarget");
}

Test(elbv2, by_arn)
{
	char arn[MODEL_ARN_MAX], line[512];

	load_balancer_arn(arn, tl.lab, &tg("Idle")->r);
	snprintf(line, sizeof(line),
		 "elbv2 register-targets --target-group-arn %s --targets Id=W1",
		 arn);
	cr_assert_eq(runs(line), 0, "%s", code);
	cr_expect_eq(tg("Idle")->ntargets, 2);
}

struct bad {
	char line[160];		/* in the struct: Criterion copies parameters */
	char code[48];
};

ParameterizedTestParameters(elbv2, errors)
{
	static struct bad cases[] = {
		{ "elbv2 register-targets --target-group-arn Nope --targets Id=W1",
		  "TargetGroupNotFound" },
		{ "elbv2 register-targets --targets Id=W1", "MissingParameter" },
		{ "elbv2 register-targets --target-group-arn TG",
		  "MissingParameter" },
		{ "elbv2 register-targets --target-group-arn TG --targets Id=Other",
		  "InvalidTarget" },
		{ "elbv2 register-targets --target-group-arn TG --targets Id=i-0",
		  "InvalidTarget" },
		{ "elbv2 register-targets --target-group-arn TG --targets Id=W1,Port=0",
		  "ValidationError" },
		{ "elbv2 register-targets --target-group-arn TG --targets Port=80",
		  "ValidationError" },
		{ "elbv2 register-targets --target-group-arn TG --targets [1",
		  "ValidationError" },
		{ "elbv2 describe-target-health", "MissingParameter" },
		{ "elbv2 describe-load-balancers --names x", "InvalidParameter" },
		{ "elbv2 create-rule", "InvalidAction" },
		{ "ec2 accept-vpc-endpoint-connections --service-id vpce-svc-0 "
		  "--vpc-endpoint-ids E",
		  "InvalidVpcEndpointServiceId.NotFound" },
		{ "ec2 accept-vpc-endpoint-connections --service-id S",
		  "MissingParameter" },
		{ "ec2 describe-vpc-endpoint-services --service-names x",
		  "InvalidServiceName" },
	};

	return cr_make_param_array(struct bad, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad *b, elbv2, errors)
{
	cr_expect_neq(runs(b->line), 0, "%s", b->line);
	cr_expect_str_eq(code, b->code, "%s", b->line);
	cr_expect_null(out);
}

Test(elbv2, describe_target_health_json)
{
	char *s;

	cr_assert_eq(runs("elbv2 describe-target-health --target-group-arn TG"),
		     0, "%s", code);
	s = dump();
	/* IDs are stable: lab "h", instances W1 and W2. */
	cr_expect_str_eq(
		s,
		"{\"TargetHealthDescriptions\":["
		"{\"HealthCheckPort\":\"80\",\"Target\":{\"Id\":\"i-"
		"a572cc680e53982d2\",\"Port\":80},\"TargetHealth\":{\"State\":"
		"\"healthy\"}},"
		"{\"HealthCheckPort\":\"80\",\"Target\":{\"Id\":\"i-"
		"e8a7f0af1a5d35dd5\",\"Port\":80},\"TargetHealth\":{"
		"\"Description\":\"Target deregistration is in progress\","
		"\"Reason\":\"Target.DeregistrationInProgress\",\"State\":"
		"\"draining\"}}]}");
	free(s);
	/* Asked for a target the group does not have: NotRegistered. */
	cr_assert_eq(runs("elbv2 describe-target-health --target-group-arn TG "
			  "--targets Id=W1,Port=81"),
		     0);
	s = dump();
	cr_expect(strstr(s, "\"Reason\":\"Target.NotRegistered\"") &&
			  strstr(s, "\"State\":\"unused\"") &&
			  !strstr(s, "healthy"),
		  "%s", s);
	free(s);
}

Test(elbv2, describes_are_vpcemu_describes)
{
	cr_assert_eq(runs("elbv2 describe-target-groups"), 0);
	cr_expect_eq(json_array_size(json_object_get(out, "TargetGroups")), 2);
	cr_assert_eq(runs("elbv2 describe-listeners"), 0);
	cr_expect_eq(json_array_size(json_object_get(out, "Listeners")), 1);
	cr_assert_eq(runs("elbv2 describe-load-balancers"), 0);
	cr_expect_eq(json_array_size(json_object_get(out, "LoadBalancers")),
		     1);
}

static enum endpoint_state e_state(void)
{
	return ((struct endpoint *)model_find(tl.lab, RES_ENDPOINT, "E"))
		->state;
}

Test(elbv2, accept_and_reject_endpoint_connections)
{
	char *s, *text;

	cr_assert_eq(e_state(), ENDPOINT_PENDING_ACCEPTANCE);
	cr_assert_eq(runs("ec2 accept-vpc-endpoint-connections --service-id S "
			  "--vpc-endpoint-ids E vpce-0"),
		     0, "%s", code);
	cr_expect_eq(e_state(), ENDPOINT_AVAILABLE);
	s = dump();
	cr_expect_str_eq(s, "{\"Unsuccessful\":[{\"Error\":{\"Code\":"
			    "\"InvalidVpcEndpointId.NotFound\",\"Message\":"
			    "\"The Vpc Endpoint Id does not exist or is not a "
			    "connection of this service\"},\"ResourceId\":"
			    "\"vpce-0\"}]}");
	free(s);
	cr_assert_eq(runs("ec2 describe-vpc-endpoint-connections"), 0);
	s = dump();
	cr_expect(strstr(s, "\"VpcEndpointState\":\"available\""), "%s", s);
	free(s);

	cr_assert_eq(runs("ec2 reject-vpc-endpoint-connections --service-id S "
			  "--vpc-endpoint-ids E"),
		     0, "%s", code);
	cr_expect_eq(e_state(), ENDPOINT_REJECTED);
	text = print_lab(tl.lab);
	cr_assert(text);
	cr_expect(strstr(text, "\treject E\n") && !strstr(text, "accept"),
		  "%s", text);
	free(text);
	cr_assert_eq(runs("ec2 accept-vpc-endpoint-connections --service-id S "
			  "--vpc-endpoint-ids E"),
		     0);
	cr_expect_eq(e_state(), ENDPOINT_REJECTED);
	s = dump();
	cr_expect(strstr(s, "InvalidVpcEndpointState"), "%s", s);
	free(s);
}

Test(elbv2, describe_vpc_endpoint_services_by_name)
{
	const struct endpoint_service *s = (const struct endpoint_service *)
		model_find(tl.lab, RES_ENDPOINT_SERVICE, "S");
	char line[256], *j;

	snprintf(line, sizeof(line),
		 "ec2 describe-vpc-endpoint-services --service-names %s",
		 s->service_name);
	cr_assert_eq(runs(line), 0, "%s", code);
	j = dump();
	cr_expect(strstr(j, "\"ServiceNames\":[\"com.amazonaws.vpce.") &&
			  strstr(j, "\"ServiceDetails\":[{"),
		  "%s", j);
	free(j);
}

Test(elbv2, accepted_and_rejected_at_once_is_refused)
{
	struct test_lab t = { 0 };
	char text[2048];

	snprintf(text, sizeof(text), "%s",
		 "vpc P { cidr 10.0.0.0/16 }\n"
		 "subnet Pa { vpc P; cidr 10.0.1.0/24; az us-east-1a }\n"
		 "load-balancer NLB { subnets Pa }\n"
		 "endpoint-service S { load-balancers NLB; accept E; reject E }\n"
		 "endpoint E { vpc P; service S; subnets Pa }\n");
	test_lab_text(&t, "r.conf", text, NULL, TEST_LAB_CHECK);
	test_expect_one(&t.d, "InvalidParameter", 4, 59);
	test_lab_free(&t);
}

/* ---- create and delete (suite plcmd) ----------------------------------- */

/* Only VPCs, subnets and instances: every PrivateLink resource comes from
 * the commands. Q has P's CIDR and another account. */
static const char bare[] =
	"vpc P { cidr 10.0.0.0/16 }\n"
	"vpc Q { cidr 10.0.0.0/16; account 222222222222 }\n"
	"subnet Pa { vpc P; cidr 10.0.1.0/24; az us-east-1a }\n"
	"subnet Pb { vpc P; cidr 10.0.2.0/24; az us-east-1b }\n"
	"subnet Qa { vpc Q; cidr 10.0.1.0/24; az us-east-1a }\n"
	"route-table QR { vpc Q; associate Qa }\n"
	"instance W1 { subnet Pa; private-ip 10.0.1.10 }\n"
	"instance C1 { subnet Qa }\n";

static void plcmd_setup(void)
{
	memset(&st, 0, sizeof(st));
	out = NULL;
	test_lab_text(&tl, "b.conf", bare, NULL,
		      TEST_LAB_CHECK | TEST_LAB_CLEAN);
}

TestSuite(plcmd, .init = plcmd_setup, .fini = cmd_fini);

/* out's value at a path of keys and list indexes ("LoadBalancers/0/
 * LoadBalancerName"). */
static json_t *at(const char *path)
{
	char *copy = strdup(path), *save = NULL, *k;
	json_t *j = out;

	cr_assert(copy);
	for (k = strtok_r(copy, "/", &save); k && j;
	     k = strtok_r(NULL, "/", &save))
		j = json_is_array(j) ? json_array_get(j, strtoul(k, NULL, 10))
				     : json_object_get(j, k);
	free(copy);
	return j;
}

static const char *at_s(const char *path)
{
	const char *s = json_string_value(at(path));

	return s ? s : "(none)";
}

/* Runs a command that must succeed. */
static void ok(const char *line)
{
	cr_assert_eq(runs(line), 0, "%s: %s", line, code);
}

/* Runs a command that must fail with code want. */
static void fails(const char *line, const char *want)
{
	cr_assert_neq(runs(line), 0, "%s succeeded", line);
	cr_expect_str_eq(code, want, "%s", line);
}

/* NLB in Pa and Pb, TG on port 80 with W1, a listener on 80. */
static void nlb_tg_listener(void)
{
	ok("elbv2 create-target-group --name TG --protocol TCP --port 80 "
	   "--vpc-id P");
	ok("elbv2 register-targets --target-group-arn TG --targets Id=W1");
	ok("elbv2 create-load-balancer --name NLB --type network "
	   "--subnets Pa Pb");
	ok("elbv2 create-listener --load-balancer-arn NLB --protocol TCP "
	   "--port 80 --default-actions Type=forward,TargetGroupArn=TG");
}

Test(plcmd, target_group_json_model_and_errors)
{
	const struct target_group *g;

	fails("elbv2 create-target-group --name TG --port 80 --vpc-id P",
	      "ValidationError");
	fails("elbv2 create-target-group --name TG --protocol HTTP --port 80 "
	      "--vpc-id P",
	      "Vpcemu.Unsupported");
	fails("elbv2 create-target-group --name TG --protocol TCP --port 80 "
	      "--vpc-id P --health-check-path /h",
	      "ValidationError");
	/* The range is the lab's check, with ELBv2's code. */
	fails("elbv2 create-target-group --name TG --protocol TCP --port 80 "
	      "--vpc-id P --health-check-interval-seconds 1",
	      "ValidationError");
	ok("elbv2 create-target-group --name TG --protocol TCP --port 80 "
	   "--vpc-id P --health-check-protocol HTTP --health-check-path /h "
	   "--health-check-interval-seconds 10 --healthy-threshold-count 3 "
	   "--unhealthy-threshold-count 4 --target-type instance");
	cr_expect_str_eq(at_s("TargetGroups/0/TargetGroupName"), "TG");
	cr_expect_str_eq(at_s("TargetGroups/0/HealthCheckPath"), "/h");
	cr_expect(!strncmp(at_s("TargetGroups/0/TargetGroupArn"),
			   "arn:aws:elasticloadbalancing:us-east-1:"
			   "111111111111:targetgroup/TG/",
			   64),
		  "%s", at_s("TargetGroups/0/TargetGroupArn"));
	g = tg("TG");
	cr_assert(g);
	cr_expect_eq(g->health_check, HEALTH_CHECK_HTTP);
	cr_expect_eq(g->interval, 10);
	cr_expect_eq(g->healthy_threshold, 3);
	cr_expect_eq(g->unhealthy_threshold, 4);
	fails("elbv2 create-target-group --name TG --protocol TCP --port 80 "
	      "--vpc-id P",
	      "DuplicateTargetGroupName");
	fails("elbv2 create-target-group --name W1 --protocol TCP --port 80 "
	      "--vpc-id P",
	      "ValidationError");
	fails("elbv2 delete-target-group --target-group-arn Nope",
	      "TargetGroupNotFound");
	ok("elbv2 delete-target-group --target-group-arn TG");
	cr_expect_null(tg("TG"));
	cr_expect_eq(json_object_size(out), 0);
}

Test(plcmd, load_balancer_nodes_and_errors)
{
	const struct load_balancer *lb;
	uint32_t a;

	fails("elbv2 create-load-balancer --name NLB --subnets Pa",
	      "Vpcemu.Unsupported");
	fails("elbv2 create-load-balancer --name NLB --type network",
	      "ValidationError");
	fails("elbv2 create-load-balancer --name NLB --type network "
	      "--subnets Pa --subnet-mappings SubnetId=Pb",
	      "ValidationError");
	fails("elbv2 create-load-balancer --name NLB --type network "
	      "--subnets Nope",
	      "SubnetNotFound");
	fails("elbv2 create-load-balancer --name NLB --type network "
	      "--subnets Pa --security-groups Nope",
	      "InvalidSecurityGroup");
	/* internet-facing needs an internet gateway (the lab's check). */
	fails("elbv2 create-load-balancer --name NLB --type network "
	      "--scheme internet-facing --subnets Pa",
	      "InvalidSubnet");
	ok("elbv2 create-load-balancer --name NLB --type network "
	   "--subnet-mappings SubnetId=Pa,PrivateIPv4Address=10.0.1.50 "
	   "SubnetId=Pb");
	cr_expect_str_eq(at_s("LoadBalancers/0/LoadBalancerName"), "NLB");
	cr_expect_str_eq(at_s("LoadBalancers/0/Scheme"), "internal");
	cr_expect_str_eq(at_s("LoadBalancers/0/AvailabilityZones/0/"
			      "LoadBalancerAddresses/0/PrivateIPv4Address"),
			 "10.0.1.50");
	lb = (const struct load_balancer *)model_find(tl.lab,
						      RES_LOAD_BALANCER, "NLB");
	cr_assert(lb);
	cr_assert_eq(lb->nenis, 2);
	ip_parse("10.0.2.4", &a);
	cr_expect_eq(lb->enis[1]->ip, a, "the lowest free address of Pb");
	fails("elbv2 create-load-balancer --name NLB --type network "
	      "--subnets Pa",
	      "DuplicateLoadBalancerName");
	ok("elbv2 delete-load-balancer --load-balancer-arn NLB");
	cr_expect_null(model_find(tl.lab, RES_LOAD_BALANCER, "NLB"));
	cr_expect_eq(tl.lab->nenis, 2, "only the instances' ENIs are left");
	/* AWS: deleting one that is not there succeeds. */
	ok("elbv2 delete-load-balancer --load-balancer-arn NLB");
}

Test(plcmd, listeners)
{
	char line[512], arn[MODEL_ARN_MAX];

	nlb_tg_listener();
	cr_expect_eq(json_integer_value(at("Listeners/0/Port")), 80);
	snprintf(arn, sizeof(arn), "%s", at_s("Listeners/0/ListenerArn"));
	cr_expect(model_find(tl.lab, RES_LISTENER, "NLB-80"),
		  "the listener's lab name is LB-PORT");
	fails("elbv2 create-listener --load-balancer-arn NLB --protocol TCP "
	      "--port 80 --default-actions Type=forward,TargetGroupArn=TG",
	      "DuplicateListener");
	fails("elbv2 create-listener --load-balancer-arn Nope --port 81 "
	      "--default-actions Type=forward,TargetGroupArn=TG",
	      "LoadBalancerNotFound");
	fails("elbv2 create-listener --load-balancer-arn NLB --port 81 "
	      "--default-actions Type=forward,TargetGroupArn=Nope",
	      "TargetGroupNotFound");
	fails("elbv2 create-listener --load-balancer-arn NLB --port 81 "
	      "--default-actions Type=fixed-response",
	      "Vpcemu.Unsupported");
	fails("elbv2 delete-target-group --target-group-arn TG",
	      "ResourceInUse");
	/* The JSON form of --default-actions. */
	fails("elbv2 create-listener --load-balancer-arn NLB --protocol UDP "
	      "--port 53 --default-actions Type=forward,TargetGroupArn=TG",
	      "IncompatibleProtocols");
	ok("elbv2 create-listener --load-balancer-arn NLB --protocol TCP "
	   "--port 443 --default-actions "
	   "[{\"Type\":\"forward\",\"TargetGroupArn\":\"TG\"}]");
	fails("elbv2 create-listener --load-balancer-arn NLB --port 81",
	      "MissingParameter");
	snprintf(line, sizeof(line), "elbv2 delete-listener --listener-arn %s",
		 arn);
	ok(line);
	cr_expect_null(model_find(tl.lab, RES_LISTENER, "NLB-80"));
	fails(line, "ListenerNotFound");
	/* Deleting the load balancer takes its other listener. */
	ok("elbv2 delete-load-balancer --load-balancer-arn NLB");
	cr_expect_eq(tl.lab->res[RES_LISTENER].n, 0);
	ok("elbv2 delete-target-group --target-group-arn TG");
}

static const struct endpoint *ep(void)
{
	return tl.lab->nendpoints ? tl.lab->endpoints[0] : NULL;
}

Test(plcmd, endpoint_service_and_endpoint)
{
	const struct endpoint_service *s;
	char line[512], name[256];

	nlb_tg_listener();
	fails("ec2 create-vpc-endpoint-service-configuration "
	      "--network-load-balancer-arns Nope",
	      "InvalidParameterValue");
	ok("ec2 create-vpc-endpoint-service-configuration "
	   "--network-load-balancer-arns NLB");
	cr_expect_str_eq(at_s("ServiceConfiguration/ServiceState"),
			 "Available");
	cr_expect(json_is_true(at("ServiceConfiguration/AcceptanceRequired")));
	cr_expect(!strncmp(at_s("ServiceConfiguration/NetworkLoadBalancerArns/0"),
			   "arn:aws:elasticloadbalancing:", 29));
	cr_expect_null(at("ServiceConfiguration/Owner"));
	snprintf(name, sizeof(name), "%s",
		 at_s("ServiceConfiguration/ServiceName"));
	s = (const struct endpoint_service *)model_find(
		tl.lab, RES_ENDPOINT_SERVICE, "NLB-svc");
	cr_assert(s, "the service's lab name is LB-svc");
	/* One service per load balancer: the lab's check. */
	fails("ec2 create-vpc-endpoint-service-configuration "
	      "--network-load-balancer-arns NLB",
	      "InvalidParameter");
	fails("elbv2 delete-load-balancer --load-balancer-arn NLB",
	      "ResourceInUse");

	/* Q's account is not allowed yet: the service does not exist for
	 * it. */
	snprintf(line, sizeof(line),
		 "ec2 create-vpc-endpoint --vpc-id Q --service-name %s "
		 "--vpc-endpoint-type Interface --subnet-ids Qa",
		 name);
	fails(line, "InvalidServiceName");
	ok("ec2 modify-vpc-endpoint-service-permissions --service-id NLB-svc "
	   "--add-allowed-principals arn:aws:iam::222222222222:root");
	cr_expect_str_eq(at_s("AddedPrincipals/0/PrincipalType"), "Account");
	cr_expect(!strncmp(at_s("AddedPrincipals/0/ServicePermissionId"),
			   "vpce-svc-perm-", 14));
	ok(line);
	cr_expect_str_eq(at_s("VpcEndpoint/State"), "pendingAcceptance");
	cr_expect_str_eq(at_s("VpcEndpoint/VpcEndpointType"), "Interface");
	cr_assert(ep());
	cr_expect_eq(ep()->nenis, 1);
	cr_expect_eq(ep()->state, ENDPOINT_PENDING_ACCEPTANCE);
	/* AWS's default type is Gateway, which an endpoint service lacks. */
	snprintf(line, sizeof(line),
		 "ec2 create-vpc-endpoint --vpc-id Q --service-name %s", name);
	fails(line, "InvalidParameterValue");

	snprintf(line, sizeof(line),
		 "ec2 accept-vpc-endpoint-connections --service-id NLB-svc "
		 "--vpc-endpoint-ids %s",
		 ep()->r.id);
	ok(line);
	cr_expect_eq(ep()->state, ENDPOINT_AVAILABLE);
	ok("ec2 delete-vpc-endpoint-service-configurations --service-ids "
	   "NLB-svc vpce-svc-0");
	cr_expect_str_eq(at_s("Unsuccessful/0/Error/Code"),
			 "ExistingVpcEndpointConnections");
	cr_expect_str_eq(at_s("Unsuccessful/1/Error/Code"),
			 "InvalidVpcEndpointService.NotFound");
	snprintf(line, sizeof(line),
		 "ec2 delete-vpc-endpoints --vpc-endpoint-ids %s vpce-0",
		 ep()->r.id);
	ok(line);
	cr_expect_str_eq(at_s("Unsuccessful/0/Error/Code"),
			 "InvalidVpcEndpointId.NotFound");
	cr_expect_null(ep());
	cr_expect_eq(tl.lab->nenis, 4, "instances' and load balancer's");
	ok("ec2 delete-vpc-endpoint-service-configurations --service-ids "
	   "NLB-svc");
	cr_expect_eq(json_array_size(at("Unsuccessful")), 0);
	cr_expect_null(model_find(tl.lab, RES_ENDPOINT_SERVICE, "NLB-svc"));
}

Test(plcmd, principals)
{
	const struct endpoint_service *s;

	nlb_tg_listener();
	ok("ec2 create-vpc-endpoint-service-configuration "
	   "--network-load-balancer-arns NLB --no-acceptance-required");
	s = (const struct endpoint_service *)model_find(
		tl.lab, RES_ENDPOINT_SERVICE, "NLB-svc");
	cr_assert(s);
	cr_expect_not(s->acceptance_required);
	fails("ec2 modify-vpc-endpoint-service-permissions --service-id "
	      "NLB-svc --add-allowed-principals 222222222222",
	      "InvalidPrincipal");
	fails("ec2 modify-vpc-endpoint-service-permissions --service-id "
	      "NLB-svc --add-allowed-principals "
	      "arn:aws:iam::222222222222:user/bob",
	      "Vpcemu.Unsupported");
	ok("ec2 modify-vpc-endpoint-service-permissions --service-id NLB-svc "
	   "--add-allowed-principals "
	   "[\"arn:aws:iam::222222222222:root\",\"arn:aws:iam::333333333333:root\"]");
	s = (const struct endpoint_service *)model_find(
		tl.lab, RES_ENDPOINT_SERVICE, "NLB-svc");
	cr_assert_eq(s->nprincipals, 2);
	ok("ec2 modify-vpc-endpoint-service-permissions --service-id NLB-svc "
	   "--remove-allowed-principals arn:aws:iam::333333333333:root");
	s = (const struct endpoint_service *)model_find(
		tl.lab, RES_ENDPOINT_SERVICE, "NLB-svc");
	cr_expect_eq(s->nprincipals, 1);
	cr_expect_null(at("AddedPrincipals"));
	cr_expect(json_is_true(at("ReturnValue")));
	ok("ec2 modify-vpc-endpoint-service-permissions --service-id NLB-svc "
	   "--add-allowed-principals *");
	s = (const struct endpoint_service *)model_find(
		tl.lab, RES_ENDPOINT_SERVICE, "NLB-svc");
	cr_expect(s->all_principals);
	cr_expect_eq(s->nprincipals, 0, "the lab holds * or accounts");
	cr_expect_str_eq(at_s("AddedPrincipals/0/PrincipalType"), "All");
	fails("ec2 modify-vpc-endpoint-service-permissions --service-id Nope "
	      "--add-allowed-principals *",
	      "InvalidVpcEndpointServiceId.NotFound");
}

Test(plcmd, gateway_endpoint_routes)
{
	char *j;

	fails("ec2 create-vpc-endpoint --vpc-id Q --service-name "
	      "com.amazonaws.us-east-1.ssm --route-table-ids QR",
	      "InvalidParameterValue");
	fails("ec2 create-vpc-endpoint --vpc-id Q --service-name nope",
	      "InvalidServiceName");
	ok("ec2 create-vpc-endpoint --vpc-id Q --service-name "
	   "com.amazonaws.us-east-1.s3 --route-table-ids QR");
	cr_expect_str_eq(at_s("VpcEndpoint/VpcEndpointType"), "Gateway");
	cr_expect_str_eq(at_s("VpcEndpoint/State"), "available");
	ok("ec2 describe-route-tables");
	j = dump();
	cr_expect(strstr(j, "\"DestinationPrefixListId\":\"pl-"), "%s", j);
	free(j);
	cr_assert(ep());
	cr_expect_str_eq(ep()->service_short, "s3");
	ok("ec2 delete-vpc-endpoints --vpc-endpoint-ids endpoint");
	cr_expect_null(ep());
	ok("ec2 describe-route-tables");
	j = dump();
	cr_expect_not(strstr(j, "DestinationPrefixListId"), "%s", j);
	free(j);
}
