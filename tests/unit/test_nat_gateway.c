/* test_nat_gateway.c - the nat-gateway kind (res/nat_gateway.c): its
 * rules, its ENI and namespace in the plan, and how routers treat it. Each
 * accepted form has a refused twin.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/describe.h"
#include "vpcemu/diag.h"
#include "vpcemu/model.h"
#include "vpcemu/nftgen.h"
#include "vpcemu/plan.h"
#include "vpcemu/print.h"
#include "vpcemu/restype.h"

#include "helpers.h"

#define LAB                                                                   \
	"vpc V { cidr 10.0.0.0/16 }\n"                                        \
	"vpc W { cidr 10.1.0.0/16 }\n"                                        \
	"subnet Pub { vpc V; cidr 10.0.1.0/24 }\n"                            \
	"subnet Priv { vpc V; cidr 10.0.2.0/24 }\n"                           \
	"subnet WS { vpc W; cidr 10.1.1.0/24 }\n"                             \
	"internet-gateway G { vpc V }\n"                                      \
	"elastic-ip E { address 203.0.113.20 }\n"

static struct test_lab tl;

static void nat_fini(void)
{
	test_lab_free(&tl);
}

TestSuite(nat_gateway, .fini = nat_fini);

static void run(const char *text)
{
	test_lab_free(&tl);
	test_lab_text(&tl, "nat.conf", text, NULL, TEST_LAB_CHECK);
}

static const struct nat_gateway *nat(void)
{
	return (const struct nat_gateway *)tl.lab->res[RES_NAT_GATEWAY].v[0];
}

Test(nat_gateway, public_with_its_elastic_ip)
{
	const struct plan_route *r = NULL;
	struct plan *p;
	size_t i;
	char *text;

	run(LAB "nat-gateway N { subnet Pub; elastic-ip E; private-ip 10.0.1.50 }\n"
		"route-table R { vpc V; associate Priv; route 0.0.0.0/0 via N }\n");
	cr_assert_eq(tl.d.n, 0);
	cr_expect_eq(nat()->private_ip, 0x0a000132);
	cr_expect_eq(nat()->eni->ip, 0x0a000132);
	cr_expect_eq(model_eni_public_ip(nat()->eni), 0xcb007114);

	/* The router sends to the gateway's own address. */
	p = plan_build(tl.lab);
	cr_assert_not_null(p);
	for (i = 0; i < p->nroutes; i++)
		if (!p->routes[i].dst.len &&
		    !strcmp(p->routes[i].dev, nat()->eni->ifname))
			r = &p->routes[i];
	cr_assert_not_null(r);
	cr_expect_eq(r->gateway, 0x0a000132);
	/* Its namespace translates sources to its address. */
	for (i = 0; i < p->nnfts; i++)
		if (strstr(p->nfts[i].ruleset, "snat ip to 10.0.1.50"))
			break;
	cr_expect_lt(i, p->nnfts, "no NAT ruleset");
	plan_free(p);

	text = print_lab(tl.lab);
	cr_assert_not_null(text);
	cr_expect_not_null(strstr(text, "\nnat-gateway N {\n\tsubnet Pub\n"
					"\telastic-ip E\n"
					"\tprivate-ip 10.0.1.50\n}\n"),
			   "%s", text);
	free(text);
}

Test(nat_gateway, public_without_elastic_ip_refused)
{
	run(LAB "nat-gateway N { subnet Pub }\n");
	test_expect_one(&tl.d, "MissingParameter", 8, 0);
}

Test(nat_gateway, private_takes_no_elastic_ip)
{
	char *rs;

	run(LAB "nat-gateway N { subnet Pub; connectivity private }\n");
	cr_assert_eq(tl.d.n, 0);
	/* Its address has no public IP: the internet gateway drops what
	 * it sends there. */
	rs = nftgen_router(tl.lab, tl.lab->vpcs[0]);
	cr_assert_not_null(rs);
	cr_expect_null(strstr(rs, ": 10.0.1.4,"), "%s", rs);
	free(rs);

	run(LAB "nat-gateway N { subnet Pub; connectivity private; elastic-ip E }\n");
	test_expect_one(&tl.d, "InvalidParameterCombination", 8, 0);
}

Test(nat_gateway, elastic_ip_used_twice_refused)
{
	run(LAB "instance I { subnet Pub }\n"
		"nat-gateway N { subnet Pub; elastic-ip E }\n");
	cr_assert_eq(tl.d.n, 0);
	run(LAB "instance I { subnet Pub }\n"
		"elastic-ip F { address 203.0.113.21; instance I }\n"
		"nat-gateway N { subnet Pub; elastic-ip F }\n");
	test_expect_one(&tl.d, "Resource.AlreadyAssociated", 10, 0);
}

/* AWS fails a public gateway in a VPC without an attached internet
 * gateway (Gateway.NotAttached); a private one needs none. */
Test(nat_gateway, public_needs_an_attached_internet_gateway)
{
	const char *lab =
		"vpc V { cidr 10.0.0.0/16 }\n"
		"subnet Pub { vpc V; cidr 10.0.1.0/24 }\n"
		"elastic-ip E { address 203.0.113.20 }\n"
		"nat-gateway N { subnet Pub; elastic-ip E }\n"
		"internet-gateway G {%s}\n";
	char text[512];

	snprintf(text, sizeof(text), lab, " vpc V ");
	run(text);
	cr_assert_eq(tl.d.n, 0);
	snprintf(text, sizeof(text), lab, "");
	run(text);
	test_expect_one(&tl.d, "Gateway.NotAttached", 4, 24);
	cr_expect_not_null(strstr(tl.d.v[0].message, "has no Internet gateway attached"),
			   "%s", tl.d.v[0].message);
	run("vpc V { cidr 10.0.0.0/16 }\n"
	    "subnet Pub { vpc V; cidr 10.0.1.0/24 }\n"
	    "nat-gateway N { subnet Pub; connectivity private }\n");
	cr_assert_eq(tl.d.n, 0);
}

Test(nat_gateway, route_from_another_vpc_refused)
{
	run(LAB "nat-gateway N { subnet Pub; elastic-ip E }\n"
		"route-table R { vpc W; route 0.0.0.0/0 via N }\n");
	test_expect_one(&tl.d, "InvalidParameterValue", 9, 0);
}

/* No group and no source check for its ENI; instances keep both. */
Test(nat_gateway, router_lets_it_forward)
{
	char *rs, want[64];

	run(LAB "nat-gateway N { subnet Pub; elastic-ip E }\n"
		"instance I { subnet Priv }\n");
	rs = nftgen_router(tl.lab, tl.lab->vpcs[0]);
	cr_assert_not_null(rs);
	cr_expect_not_null(strstr(rs, "iifname != @ungated iifname . ip saddr"),
			   "%s", rs);
	snprintf(want, sizeof(want), "\"%s\" : jump egress",
		 nat()->eni->ifname);
	cr_expect_null(strstr(rs, want), "the NAT ENI has a gate:\n%s", rs);
	snprintf(want, sizeof(want), "\"%s\" : jump egress",
		 tl.lab->instances[0]->eni->ifname);
	cr_expect_not_null(strstr(rs, want), "the instance has no gate:\n%s",
			   rs);
	free(rs);
}

/* describe-nat-gateways, describe-addresses, describe-internet-gateways and
 * the public IP in describe-instances, in the EC2 API's shapes. */
Test(nat_gateway, described)
{
	json_t *j, *x;

	run(LAB "nat-gateway N { subnet Pub; elastic-ip E; private-ip 10.0.1.50 }\n"
		"elastic-ip F { address 203.0.113.21; instance I }\n"
		"instance I { subnet Pub; private-ip 10.0.1.10 }\n");
	cr_assert_eq(tl.d.n, 0);
	j = describe_lab(tl.lab, "nat-gateways");
	cr_assert_not_null(j);
	x = json_array_get(json_object_get(j, "NatGateways"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(x, "ConnectivityType")),
			 "public");
	x = json_array_get(json_object_get(x, "NatGatewayAddresses"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(x, "PublicIp")),
			 "203.0.113.20");
	cr_expect_str_eq(json_string_value(json_object_get(x, "PrivateIp")),
			 "10.0.1.50");
	json_decref(j);

	j = describe_lab(tl.lab, "addresses");
	cr_assert_not_null(j);
	cr_expect_eq(json_array_size(json_object_get(j, "Addresses")), 2);
	x = json_array_get(json_object_get(j, "Addresses"), 1);
	cr_expect_str_eq(json_string_value(json_object_get(x, "PublicIp")),
			 "203.0.113.21");
	cr_expect_str_eq(json_string_value(json_object_get(x, "InstanceId")),
			 tl.lab->instances[0]->r.id);
	json_decref(j);

	j = describe_lab(tl.lab, "instances");
	cr_assert_not_null(j);
	x = json_array_get(json_object_get(
				   json_array_get(json_object_get(j, "Reservations"),
						  0),
				   "Instances"),
			   0);
	cr_expect_str_eq(json_string_value(json_object_get(x, "PublicIpAddress")),
			 "203.0.113.21");
	json_decref(j);

	j = describe_lab(tl.lab, "internet-gateways");
	cr_assert_not_null(j);
	x = json_array_get(json_object_get(
				   json_array_get(json_object_get(j, "InternetGateways"),
						  0),
				   "Attachments"),
			   0);
	cr_expect_str_eq(json_string_value(json_object_get(x, "VpcId")),
			 tl.lab->vpcs[0]->r.id);
	json_decref(j);
}
