/* test_privatelink.c - the PrivateLink kinds (res/load_balancer.c,
 * target_group.c, listener.c, endpoint_service.c) and endpoints to an
 * endpoint service (res/endpoint.c): their blocks, nodes and addresses,
 * every rule at its place with an accepted twin, stable IDs, printing back
 * and the ELBv2 / EC2 JSON shapes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vpcemu/describe.h"
#include "vpcemu/diag.h"
#include "vpcemu/model.h"
#include "vpcemu/print.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

#include "helpers.h"

/* Provider P and consumer C with the same CIDR (seed 003), one account;
 * lines 1-8. */
#define BASE                                                                  \
	"vpc P { cidr 10.0.0.0/16 }\n"                                        \
	"vpc C { cidr 10.0.0.0/16 }\n"                                        \
	"subnet Pa { vpc P; cidr 10.0.1.0/24; az us-east-1a }\n"              \
	"subnet Pb { vpc P; cidr 10.0.2.0/24; az us-east-1b }\n"              \
	"subnet Ca { vpc C; cidr 10.0.1.0/24; az us-east-1a }\n"              \
	"instance W1 { subnet Pa; private-ip 10.0.1.10 }\n"                   \
	"instance W2 { subnet Pb; private-ip 10.0.2.10 }\n"                   \
	"instance X { subnet Ca; private-ip 10.0.1.10 }\n"

/* Lines 9-12: a load balancer with a listener to a group of both. */
#define NLB                                                                   \
	"load-balancer NLB { subnets Pa Pb }\n"                               \
	"target-group TG { vpc P; port 80; targets W1 W2:8080 }\n"            \
	"listener L80 { load-balancer NLB; port 80; forward TG }\n"           \
	"endpoint-service S { load-balancers NLB%s }\n"

static struct test_lab tl;
static char text[4096];

static void pl_fini(void)
{
	test_lab_free(&tl);
}

TestSuite(privatelink, .fini = pl_fini);

/* BASE, NLB with svc_extra in the service block, then tail; checked. */
static void run(const char *svc_extra, const char *tail)
{
	int n = snprintf(text, sizeof(text), BASE NLB "%s", svc_extra, tail);

	cr_assert(n > 0 && (size_t)n < sizeof(text));
	test_lab_free(&tl);
	test_lab_text(&tl, "pl.conf", text, NULL, TEST_LAB_CHECK);
}

/* The same, model_build only: for what the block itself refuses. */
static void run_model(const char *svc_extra, const char *tail)
{
	int n = snprintf(text, sizeof(text), BASE NLB "%s", svc_extra, tail);

	cr_assert(n > 0 && (size_t)n < sizeof(text));
	test_lab_free(&tl);
	test_lab_text(&tl, "pl.conf", text, NULL, 0);
}

static void expect_clean(void)
{
	char *s = test_diags_text(&tl.d);

	cr_expect_eq(tl.d.n, 0, "want no diagnostic, got:\n%s\n%s", s, text);
	free(s);
}

/* The 1-based column of needle on line of the lab text last run. */
static unsigned col_of(unsigned line, const char *needle)
{
	const char *p = text, *hit;
	unsigned l;

	for (l = 1; l < line; l++) {
		p = strchr(p, '\n');
		cr_assert_not_null(p, "no line %u", line);
		p++;
	}
	hit = strstr(p, needle);
	cr_assert(hit && (!strchr(p, '\n') || hit < strchr(p, '\n')),
		  "no '%s' on line %u", needle, line);
	return (unsigned)(hit - p) + 1;
}

static void expect_one_at(const char *code, unsigned line, const char *needle)
{
	test_expect_one(&tl.d, code, line, col_of(line, needle));
}

static const void *res(enum res_kind k, size_t i)
{
	cr_assert_gt(tl.lab->res[k].n, i);
	return tl.lab->res[k].v[i];
}

#define ENDPOINT_E                                                            \
	"endpoint E { vpc C; service S; subnets Ca; private-ips 10.0.1.100 }\n"

/* ---- the whole chain ---------------------------------------------------- */

Test(privatelink, seed_003_builds)
{
	const struct load_balancer *lb;
	const struct endpoint_service *s;
	const struct endpoint *e;
	char arn[MODEL_ARN_MAX], want[160];

	run("; accept E", ENDPOINT_E);
	expect_clean();
	lb = res(RES_LOAD_BALANCER, 0);
	s = res(RES_ENDPOINT_SERVICE, 0);
	e = tl.lab->endpoints[0];

	/* One node per subnet, lowest free address, "LAB-NLB-SUBNET". */
	cr_assert_eq(lb->nenis, 2);
	cr_expect_eq(lb->enis[0]->ip, 0x0a000104);
	cr_expect_eq(lb->enis[1]->ip, 0x0a000204);
	cr_expect_eq(lb->enis[0]->lb, lb);
	cr_expect_str_eq(lb->enis[0]->netns, "pl-NLB-Pa");
	cr_expect_eq(lb->nsgs, 0);
	cr_expect_eq(lb->vpc, tl.lab->vpcs[0]);

	cr_expect(!strncmp(lb->r.id, "nlb-", 4), "%s", lb->r.id);
	load_balancer_arn(arn, tl.lab, &lb->r);
	snprintf(want, sizeof(want),
		 "arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/NLB/%.16s",
		 lb->r.id + 4);
	cr_expect_str_eq(arn, want);
	snprintf(want, sizeof(want), "NLB-%.16s.elb.us-east-1.amazonaws.com",
		 lb->r.id + 4);
	cr_expect_str_eq(lb->dns_name, want);

	cr_expect(!strncmp(s->r.id, "vpce-svc-", 9) && strlen(s->r.id) == 26,
		  "%s", s->r.id);
	snprintf(want, sizeof(want), "com.amazonaws.vpce.us-east-1.%s",
		 s->r.id);
	cr_expect_str_eq(s->service_name, want);
	cr_expect(s->acceptance_required);

	/* The endpoint: connected, accepted, at its written address. */
	cr_expect_eq(e->svc, s);
	cr_expect_str_eq(e->service, s->service_name);
	cr_expect_eq(e->state, ENDPOINT_AVAILABLE);
	cr_expect_eq(e->type, ENDPOINT_INTERFACE);
	cr_expect(!e->private_dns);
	cr_assert_eq(e->nenis, 1);
	cr_expect_eq(e->enis[0]->ip, 0x0a000164);
	cr_expect_eq(model_find(tl.lab, RES__COUNT, s->r.id), &s->r);
}

Test(privatelink, ids_are_stable)
{
	char ids[RES__COUNT][MODEL_ID_MAX];
	unsigned k;

	run("; accept E", ENDPOINT_E);
	for (k = RES_LOAD_BALANCER; k <= RES_ENDPOINT_SERVICE; k++)
		strcpy(ids[k], ((const struct res *)res(k, 0))->id);
	run("; accept E", "instance Y { subnet Ca }\n" ENDPOINT_E);
	for (k = RES_LOAD_BALANCER; k <= RES_ENDPOINT_SERVICE; k++)
		cr_expect_str_eq(((const struct res *)res(k, 0))->id, ids[k]);
}

/* pendingAcceptance until accepted, unless acceptance is off. */
Test(privatelink, acceptance)
{
	run("", ENDPOINT_E);
	expect_clean();
	cr_expect_eq(tl.lab->endpoints[0]->state, ENDPOINT_PENDING_ACCEPTANCE);
	run("; acceptance-required no", ENDPOINT_E);
	expect_clean();
	cr_expect_eq(tl.lab->endpoints[0]->state, ENDPOINT_AVAILABLE);
	/* Accepting an endpoint of another service is refused. */
	run("; accept E",
	    "endpoint E { vpc C; service ssm; subnets Ca; private-dns no }\n");
	expect_one_at("InvalidVpcEndpointId.NotFound", 12, "E }");
}

/* ---- load balancer ------------------------------------------------------ */

Test(privatelink, lb_type_network_only)
{
	run_model("", "load-balancer N2 { type network; subnets Pa }\n");
	expect_clean();
	run_model("", "load-balancer N2 { type application; subnets Pa }\n");
	expect_one_at("Vpcemu.NotSupported", 13, "application");
	run_model("", "load-balancer N2 { type gateway; subnets Pa }\n");
	expect_one_at("ValidationError", 13, "gateway");
	run_model("", "load-balancer N2 { scheme internal }\n");
	test_expect_one(&tl.d, "MissingParameter", 13, 0);
}

Test(privatelink, lb_one_subnet_per_az)
{
	run("", "subnet Pa2 { vpc P; cidr 10.0.3.0/24; az us-east-1a }\n"
		"load-balancer N2 { subnets Pa Pa2 }\n");
	expect_one_at("InvalidConfigurationRequest", 14, "Pa2 }");
	run("", "subnet Pa2 { vpc P; cidr 10.0.3.0/24; az us-east-1c }\n"
		"load-balancer N2 { subnets Pa Pa2 }\n");
	expect_clean();
	run("", "load-balancer N2 { subnets Pa Ca }\n");
	expect_one_at("InvalidConfigurationRequest", 13, "Ca }");
}

Test(privatelink, lb_internet_facing_needs_a_gateway)
{
	run("", "load-balancer N2 { scheme internet-facing; subnets Pa }\n");
	expect_one_at("InvalidSubnet", 13, "internet-facing");
	run("", "load-balancer N2 { scheme internet-facing; subnets Pa }\n"
		"internet-gateway G { vpc P }\n");
	expect_clean();
}

/* An internet-facing load balancer's nodes get public IPs from the pool
 * (the IGW translates them, R-9.2); an internal one's none. */
Test(privatelink, lb_internet_facing_nodes_have_public_ips)
{
	const struct load_balancer *pub, *in;

	run("", "load-balancer N2 { scheme internet-facing; subnets Pa }\n"
		"internet-gateway G { vpc P }\n");
	expect_clean();
	in = (const struct load_balancer *)model_find(tl.lab,
							 RES_LOAD_BALANCER, "NLB");
	pub = (const struct load_balancer *)model_find(tl.lab,
							  RES_LOAD_BALANCER, "N2");
	cr_assert(in && pub);
	cr_expect_eq(model_eni_public_ip(in->enis[0]), 0);
	cr_expect(model_public_pool_has(tl.lab,
					model_eni_public_ip(pub->enis[0])));
}

Test(privatelink, lb_private_ips)
{
	const struct load_balancer *lb;

	run("", "load-balancer N2 { subnets Pa Pb; private-ips 10.0.1.50 10.0.2.50 }\n");
	expect_clean();
	lb = res(RES_LOAD_BALANCER, 1);
	cr_expect_eq(lb->enis[0]->ip, 0x0a000132);
	cr_expect_eq(lb->enis[1]->ip, 0x0a000232);
	/* NLB's own nodes move up: 10.0.1.4 is free still. */
	cr_expect_eq(((const struct load_balancer *)res(RES_LOAD_BALANCER, 0))
			     ->enis[0]->ip, 0x0a000104);

	run("", "load-balancer N2 { subnets Pa Pb; private-ips 10.0.1.50 }\n");
	expect_one_at("ValidationError", 13, "10.0.1.50");
	run("", "load-balancer N2 { subnets Pa; private-ips 10.0.2.50 }\n");
	expect_one_at("InvalidParameterValue", 13, "10.0.2.50");
	run("", "load-balancer N2 { subnets Pa; private-ips 10.0.1.3 }\n");
	expect_one_at("InvalidParameterValue", 13, "10.0.1.3");
	run("", "load-balancer N2 { subnets Pa; private-ips 10.0.1.10 }\n");
	expect_one_at("InvalidIPAddress.InUse", 13, "10.0.1.10");
}

Test(privatelink, lb_security_groups)
{
	run("", "security-group G { vpc P }\n"
		"load-balancer N2 { subnets Pa; security-groups G }\n");
	expect_clean();
	cr_expect_eq(((const struct load_balancer *)res(RES_LOAD_BALANCER, 1))
			     ->enis[0]->nsgs, 1);
	run("", "security-group G { vpc C }\n"
		"load-balancer N2 { subnets Pa; security-groups G }\n");
	expect_one_at("InvalidGroup.NotFound", 14, "security-groups");
}

Test(privatelink, elb_names)
{
	run("", "load-balancer Name_With_Underscore { subnets Pa }\n");
	expect_one_at("ValidationError", 13, "Name_With_Underscore");
	run("", "load-balancer Name-With-Hyphen { subnets Pa }\n");
	expect_clean();
}

/* ---- target group ------------------------------------------------------- */

Test(privatelink, tg_defaults_and_targets)
{
	const struct target_group *tg;

	run("", "");
	expect_clean();
	tg = res(RES_TARGET_GROUP, 0);
	cr_expect_eq(tg->protocol, LB_TCP);
	cr_expect_eq(tg->port, 80);
	cr_expect_eq(tg->health_check, HEALTH_CHECK_TCP);
	cr_expect_eq(tg->interval, 30);
	cr_expect_eq(tg->healthy_threshold, 5);
	cr_expect_eq(tg->unhealthy_threshold, 2);
	cr_assert_eq(tg->ntargets, 2);
	cr_expect_eq(tg->targets[0].port, 0);
	cr_expect_eq(tg->targets[1].port, 8080);

	run("", "target-group T2 { vpc P; port 80; health-check http }\n");
	expect_clean();
	cr_expect_str_eq(((const struct target_group *)res(RES_TARGET_GROUP, 1))
				 ->health_check_path, "/");
}

Test(privatelink, tg_target_outside_its_vpc)
{
	run("", "target-group T2 { vpc P; port 80; targets W1 X }\n");
	expect_one_at("InvalidTarget", 13, "X }");
	run("", "target-group T2 { vpc C; port 80; targets X }\n");
	expect_clean();
	run("", "target-group T2 { vpc P; port 80; targets W1 W1 }\n");
	expect_one_at("ValidationError", 13, "W1 }");
}

Test(privatelink, tg_ranges)
{
	static const struct {
		const char *stmt, *bad;
	} v[] = {
		{ "port 0", "0" },
		{ "port 65536", "65536" },
		{ "health-check-interval 4", "4" },
		{ "health-check-interval 301", "301" },
		{ "healthy-threshold 1", "1" },
		{ "unhealthy-threshold 11", "11" },
		{ "targets W1:70000", "W1:70000" },
		{ "health-check http index.html", "index.html" },
		{ "health-check tcp /", "/" },
		{ "protocol sctp", "sctp" },
	};
	char tail[160];
	size_t i;

	run_model("", "target-group T2 { vpc P; port 65535; health-check-interval 300; healthy-threshold 10; unhealthy-threshold 2; protocol tcp_udp; health-check http /health }\n");
	expect_clean();
	for (i = 0; i < ARRAY_SIZE(v); i++) {
		snprintf(tail, sizeof(tail),
			 "target-group T2 { vpc P; %s%s }\n", v[i].stmt,
			 strncmp(v[i].stmt, "port", 4) ? "; port 80" : "");
		run_model("", tail);
		expect_one_at("ValidationError", 13, v[i].bad);
	}
}

/* ---- listener ----------------------------------------------------------- */

Test(privatelink, listener_port_once_per_lb)
{
	run("", "listener L2 { load-balancer NLB; port 80; forward TG }\n");
	expect_one_at("DuplicateListener", 13, "80");
	run("", "listener L2 { load-balancer NLB; port 81; forward TG }\n");
	expect_clean();
	run("", "listener L2 { load-balancer NLB; protocol udp; port 80; forward TG }\n");
	cr_expect_eq(tl.d.n, 2, "DuplicateListener and IncompatibleProtocols");
}

Test(privatelink, listener_protocols)
{
	run("", "target-group TU { vpc P; protocol udp; port 53 }\n"
		"listener L2 { load-balancer NLB; protocol udp; port 53; forward TU }\n");
	expect_clean();
	run("", "target-group TU { vpc P; protocol udp; port 53 }\n"
		"listener L2 { load-balancer NLB; port 53; forward TU }\n");
	expect_one_at("IncompatibleProtocols", 14, "TU }");
	run("", "target-group TU { vpc P; protocol tcp_udp; port 53 }\n"
		"listener L2 { load-balancer NLB; protocol udp; port 53; forward TU }\n");
	expect_clean();
}

Test(privatelink, listener_within_one_vpc)
{
	run("", "load-balancer NC { subnets Ca }\n"
		"target-group TP { vpc P; port 80 }\n"
		"listener L2 { load-balancer NC; port 80; forward TP }\n");
	expect_one_at("InvalidConfigurationRequest", 15, "TP }");
	run("", "load-balancer NC { subnets Ca }\n"
		"target-group TC { vpc C; port 80 }\n"
		"listener L2 { load-balancer NC; port 80; forward TC }\n");
	expect_clean();
}

Test(privatelink, target_group_of_one_lb)
{
	run("", "load-balancer N2 { subnets Pb }\n"
		"listener L2 { load-balancer N2; port 80; forward TG }\n");
	expect_one_at("InvalidConfigurationRequest", 14, "TG }");
	run("", "load-balancer N2 { subnets Pb }\n"
		"target-group T2 { vpc P; port 80 }\n"
		"listener L2 { load-balancer N2; port 80; forward T2 }\n");
	expect_clean();
}

/* ---- endpoint service and endpoints to it ------------------------------- */

Test(privatelink, one_service_per_lb)
{
	run("", "endpoint-service S2 { load-balancers NLB }\n");
	expect_one_at("InvalidParameter", 13, "NLB }");
	run("", "load-balancer N2 { subnets Pb }\n"
		"endpoint-service S2 { load-balancers N2 }\n");
	expect_clean();
}

/* Lines 13-15: a consumer of another account. */
#define OTHER_ACCOUNT                                                         \
	"vpc D { cidr 10.0.0.0/16; account 222222222222 }\n"                  \
	"subnet Da { vpc D; cidr 10.0.1.0/24 }\n"                             \
	"endpoint F { vpc D; service S; subnets Da }\n"

Test(privatelink, allowed_principals)
{
	/* Default: the service's own account only. */
	run("", OTHER_ACCOUNT);
	expect_one_at("InvalidServiceName", 15, "S;");
	run("; allowed-principals 111111111111", OTHER_ACCOUNT);
	expect_one_at("InvalidServiceName", 15, "S;");
	run("; allowed-principals 333333333333 222222222222", OTHER_ACCOUNT);
	expect_clean();
	run("; allowed-principals *", OTHER_ACCOUNT);
	expect_clean();
	/* The provider's own account connects by default. */
	run("", ENDPOINT_E);
	expect_clean();
	run_model("; allowed-principals 12345", "");
	expect_one_at("InvalidParameterValue", 12, "12345");
}

Test(privatelink, endpoint_by_service_name)
{
	char tail[256], id[MODEL_ID_MAX];

	run("; allowed-principals *", "");
	strcpy(id, ((const struct res *)res(RES_ENDPOINT_SERVICE, 0))->id);
	snprintf(tail, sizeof(tail),
		 "endpoint E { vpc C; service com.amazonaws.vpce.us-east-1.%s; subnets Ca }\n",
		 id);
	run("; allowed-principals *", tail);
	expect_clean();
	cr_expect_eq(tl.lab->endpoints[0]->svc, res(RES_ENDPOINT_SERVICE, 0));
	/* The same service named in another region: not there. */
	snprintf(tail, sizeof(tail),
		 "endpoint E { vpc C; service com.amazonaws.vpce.eu-west-1.%s; subnets Ca }\n",
		 id);
	run("; allowed-principals *", tail);
	expect_one_at("InvalidServiceName", 13, "com.amazonaws");
	run_model("; allowed-principals *",
		  "endpoint E { vpc C; service com.amazonaws.vpce.us-east-1.vpce-svc-00000000000000000; subnets Ca }\n");
	expect_one_at("InvalidServiceName", 13, "com.amazonaws");
}

Test(privatelink, endpoint_to_service_is_interface_without_private_dns)
{
	run("; allowed-principals *",
	    "endpoint E { vpc C; service S; type gateway }\n");
	expect_one_at("InvalidParameterValue", 13, "S;");
	run("; allowed-principals *",
	    "endpoint E { vpc C; service S; subnets Ca; private-dns yes }\n");
	expect_one_at("InvalidParameter", 13, "yes");
	run("; allowed-principals *",
	    "endpoint E { vpc C; service S; subnets Ca; private-dns no }\n");
	expect_clean();
}

/* private-ips of interface endpoints, to any service. */
Test(privatelink, endpoint_private_ips)
{
	run("", "subnet Cb { vpc C; cidr 10.0.2.0/24; az us-east-1b }\n"
		"vpc D { cidr 10.9.0.0/16; dns-hostnames yes }\n"
		"subnet Da { vpc D; cidr 10.9.1.0/24 }\n"
		"endpoint F { vpc D; service ssm; subnets Da; private-ips 10.9.1.9 }\n");
	expect_clean();
	cr_expect_eq(tl.lab->endpoints[0]->enis[0]->ip, 0x0a090109);
	run("", "vpc D { cidr 10.9.0.0/16; dns-hostnames yes }\n"
		"subnet Da { vpc D; cidr 10.9.1.0/24 }\n"
		"endpoint F { vpc D; service ssm; subnets Da; private-ips 10.9.1.9 10.9.1.10 }\n");
	expect_one_at("InvalidParameterValue", 15, "10.9.1.9");
	run("", "vpc D { cidr 10.9.0.0/16; dns-hostnames yes }\n"
		"subnet Da { vpc D; cidr 10.9.1.0/24 }\n"
		"endpoint F { vpc D; service ssm; subnets Da; private-ips 10.9.1.255 }\n");
	expect_one_at("InvalidParameterValue", 15, "10.9.1.255");
	run("", "vpc D { cidr 10.9.0.0/16 }\n"
		"endpoint F { vpc D; service s3; private-ips 10.9.1.9 }\n");
	expect_one_at("InvalidParameterValue", 14, "10.9.1.9");
}

/* ---- printed back, described -------------------------------------------- */

Test(privatelink, print_round_trip)
{
	static const char *const svc_extra[] = {
		"; allowed-principals 222222222222 111111111111",
		"; accept E",
	};
	static const char *const tails[] = {
		"load-balancer N2 { scheme internet-facing; subnets Pa Pb; private-ips 10.0.1.50 10.0.2.50; cross-zone yes }\n"
		"internet-gateway G { vpc P }\n"
		"target-group T2 { vpc P; protocol tcp_udp; port 53; targets W1:5353 W2; health-check http /ok; health-check-interval 10; healthy-threshold 3; unhealthy-threshold 4 }\n"
		"listener L2 { load-balancer N2; protocol udp; port 53; forward T2 }\n"
		"endpoint-service S2 { load-balancers N2; acceptance-required no; allowed-principals * }\n"
		"endpoint E2 { vpc C; service S2; subnets Ca }\n",
		ENDPOINT_E,
	};
	struct test_lab again = { 0 };
	char *out, *out2;
	size_t i;
	unsigned k;

	for (i = 0; i < ARRAY_SIZE(tails); i++) {
		run(svc_extra[i], tails[i]);
		expect_clean();
		out = print_lab(tl.lab);
		cr_assert_not_null(out);
		test_lab_text(&again, "pl.conf", out, NULL,
			      TEST_LAB_CHECK | TEST_LAB_CLEAN);
		out2 = print_lab(again.lab);
		cr_assert_not_null(out2);
		cr_expect_str_eq(out2, out);
		for (k = RES_LOAD_BALANCER; k <= RES_ENDPOINT_SERVICE; k++) {
			size_t j;

			cr_assert_eq(again.lab->res[k].n, tl.lab->res[k].n);
			for (j = 0; j < tl.lab->res[k].n; j++)
				cr_expect_str_eq(again.lab->res[k].v[j]->id,
						 tl.lab->res[k].v[j]->id);
		}
		for (k = 0; k < tl.lab->nenis; k++)
			cr_expect_eq(again.lab->enis[k]->ip,
				     tl.lab->enis[k]->ip);
		for (k = 0; k < tl.lab->nendpoints; k++)
			cr_expect_eq(again.lab->endpoints[k]->state,
				     tl.lab->endpoints[k]->state);
		test_lab_free(&again);
		free(out);
		free(out2);
	}
}

static json_t *first(json_t *j, const char *key)
{
	json_t *o = json_array_get(json_object_get(j, key), 0);

	cr_assert_not_null(o, "no %s[0]", key);
	return o;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	cr_assert_not_null(s, "no string %s", k);
	return s;
}

#define LB_ARN                                                                \
	"arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/net/NLB/"

Test(privatelink, describe_shapes)
{
	json_t *j, *o, *x;

	run("", ENDPOINT_E "endpoint-service S2 { load-balancers N2 }\n"
		"load-balancer N2 { subnets Pb }\n");
	expect_clean();
	j = describe_lab(tl.lab, NULL);
	cr_assert_not_null(j);

	o = first(j, "LoadBalancers");
	cr_expect(!strncmp(str(o, "LoadBalancerArn"), LB_ARN, strlen(LB_ARN)),
		  "%s", str(o, "LoadBalancerArn"));
	cr_expect_str_eq(str(o, "Type"), "network");
	cr_expect_str_eq(str(o, "Scheme"), "internal");
	cr_expect_str_eq(str(json_object_get(o, "State"), "Code"), "active");
	x = json_array_get(json_object_get(o, "AvailabilityZones"), 1);
	cr_expect_str_eq(str(x, "ZoneName"), "us-east-1b");
	cr_expect_str_eq(str(json_array_get(json_object_get(
					    x, "LoadBalancerAddresses"), 0),
			     "PrivateIPv4Address"),
			 "10.0.2.4");
	cr_expect_null(json_object_get(o, "SecurityGroups"));

	o = first(j, "TargetGroups");
	cr_expect_str_eq(str(o, "TargetGroupName"), "TG");
	cr_expect_str_eq(str(o, "Protocol"), "TCP");
	cr_expect_str_eq(str(o, "HealthCheckProtocol"), "TCP");
	cr_expect_eq(json_integer_value(json_object_get(o, "HealthyThresholdCount")), 5);
	cr_expect_eq(json_array_size(json_object_get(o, "LoadBalancerArns")), 1);

	o = first(j, "Listeners");
	cr_expect_eq(json_integer_value(json_object_get(o, "Port")), 80);
	x = json_array_get(json_object_get(o, "DefaultActions"), 0);
	cr_expect_str_eq(str(x, "Type"), "forward");
	cr_expect(strstr(str(x, "TargetGroupArn"), ":targetgroup/TG/"));
	cr_expect(strstr(str(o, "ListenerArn"), ":listener/net/NLB/"));

	o = first(j, "ServiceDetails");
	cr_expect(!strncmp(str(o, "ServiceName"), "com.amazonaws.vpce.us-east-1.vpce-svc-", 38));
	cr_expect(json_is_true(json_object_get(o, "AcceptanceRequired")));
	cr_expect_str_eq(str(o, "Owner"), "111111111111");
	cr_expect_eq(json_array_size(json_object_get(o, "AvailabilityZones")), 2);

	o = first(j, "VpcEndpoints");
	cr_expect_str_eq(str(o, "State"), "pendingAcceptance");
	cr_expect_str_eq(str(o, "VpcEndpointType"), "Interface");
	cr_expect_str_eq(str(o, "OwnerId"), "111111111111");
	cr_expect_eq(json_array_size(json_object_get(o, "NetworkInterfaceIds")), 1);
	json_decref(j);

	j = describe_lab(tl.lab, "listeners");
	cr_assert_not_null(j);
	cr_expect_eq(json_object_size(j), 1);
	json_decref(j);
}
