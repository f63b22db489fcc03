/* test_internet_gateway.c - the internet-gateway kind (res/internet_gateway.c):
 * its block, its one AWS rule (one gateway per VPC), routes to it, printing
 * back, and its route in the plan (a drop until the internet exists). Each
 * accepted case has a refused twin.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/diag.h"
#include "vpcemu/model.h"
#include "vpcemu/plan.h"
#include "vpcemu/print.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

#include "helpers.h"

#define TWO_VPCS                                                              \
	"vpc V { cidr 10.0.0.0/16 }\n"                                        \
	"vpc W { cidr 10.1.0.0/16 }\n"

static struct test_lab tl;

static void igw_fini(void)
{
	test_lab_free(&tl);
}

TestSuite(internet_gateway, .fini = igw_fini);

static void run(const char *text)
{
	test_lab_free(&tl);
	test_lab_text(&tl, "igw.conf", text, NULL, TEST_LAB_CHECK);
}

static void expect_clean(void)
{
	char *s = test_diags_text(&tl.d);

	cr_expect_eq(tl.d.n, 0, "want no diagnostic, got:\n%s", s);
	free(s);
}

Test(internet_gateway, attached_and_detached)
{
	const struct res_list *l;

	run(TWO_VPCS "internet-gateway IGW { vpc V }\n"
		     "internet-gateway Spare { }\n");
	expect_clean();
	l = &tl.lab->res[RES_INTERNET_GATEWAY];
	cr_assert_eq(l->n, 2);
	cr_expect_str_eq(l->v[0]->name, "IGW");
	cr_expect(!strncmp(l->v[0]->id, "igw-", 4), "id %s", l->v[0]->id);
	cr_expect_eq(model_find(tl.lab, RES__COUNT, "Spare"), l->v[1]);
	cr_expect_eq(model_find(tl.lab, RES_INTERNET_GATEWAY, l->v[0]->id),
		     l->v[0]);
}

Test(internet_gateway, one_per_vpc)
{
	run(TWO_VPCS "internet-gateway A { vpc V }\n"
		     "internet-gateway B { vpc W }\n");
	expect_clean();
}

Test(internet_gateway, second_on_a_vpc_is_already_associated)
{
	run(TWO_VPCS "internet-gateway A { vpc V }\n"
		     "internet-gateway B { vpc V }\n");
	test_expect_one(&tl.d, "Resource.AlreadyAssociated", 4, 26);
}

Test(internet_gateway, vpc_must_exist)
{
	test_lab_free(&tl);
	test_lab_text(&tl, "igw.conf",
		      TWO_VPCS "internet-gateway A { vpc X }\n", NULL,
		      TEST_LAB_ANY);
	cr_expect_eq(tl.d.nerrors, 1);
	cr_expect_str_eq(tl.d.v[0].code, "InvalidVpcID.NotFound");
}

Test(internet_gateway, route_via_own_gateway)
{
	run(TWO_VPCS "internet-gateway A { vpc V }\n"
		     "route-table R { vpc V; route 0.0.0.0/0 via A }\n");
	expect_clean();
	cr_expect_eq(tl.lab->route_tables[0]->routes[0].target,
		     tl.lab->res[RES_INTERNET_GATEWAY].v[0]);
}

Test(internet_gateway, route_via_another_vpcs_gateway)
{
	run(TWO_VPCS "internet-gateway A { vpc W }\n"
		     "route-table R { vpc V; route 0.0.0.0/0 via A }\n");
	test_expect_one(&tl.d, "InvalidParameterValue", 4, 44);
}

Test(internet_gateway, route_via_detached_gateway)
{
	run(TWO_VPCS "internet-gateway A { }\n"
		     "route-table R { vpc V; route 0.0.0.0/0 via A }\n");
	test_expect_one(&tl.d, "InvalidParameterValue", 4, 44);
}

Test(internet_gateway, prints_back)
{
	char *text;

	run(TWO_VPCS "internet-gateway A { vpc V }\n"
		     "internet-gateway B { }\n");
	text = print_lab(tl.lab);
	cr_assert_not_null(text);
	cr_expect_not_null(strstr(text, "\ninternet-gateway A {\n\tvpc V\n}\n"),
			   "%s", text);
	cr_expect_not_null(strstr(text, "\ninternet-gateway B {\n}\n"), "%s",
			   text);
	free(text);
}

/* The route leaves by the gateway's veth to the lab's internet; a table
 * without the route has no way there (its twin). */
static size_t default_routes(const struct plan *p, const char *dev)
{
	size_t i, n = 0;

	for (i = 0; i < p->nroutes; i++)
		if (p->routes[i].dst.len == 0 && p->routes[i].dst.addr == 0 &&
		    p->routes[i].type == PLAN_ROUTE_UNICAST &&
		    !strcmp(p->routes[i].dev, dev))
			n++;
	return n;
}

Test(internet_gateway, route_planned_through_the_gateway)
{
	char ifname[MODEL_IFNAME_MAX];
	struct plan *p;

	run(TWO_VPCS "internet-gateway A { vpc V }\n"
		     "route-table R { vpc V; route 0.0.0.0/0 via A }\n");
	snprintf(ifname, sizeof(ifname), "%s",
		 ((const struct internet_gateway *)
			  tl.lab->res[RES_INTERNET_GATEWAY].v[0])->ifname);
	cr_expect_eq(strncmp(ifname, "igw-", 4), 0, "%s", ifname);
	p = plan_build(tl.lab);
	cr_assert_not_null(p);
	cr_expect_eq(default_routes(p, ifname), 1);
	plan_free(p);

	run(TWO_VPCS "internet-gateway A { vpc V }\n"
		     "route-table R { vpc V }\n");
	p = plan_build(tl.lab);
	cr_assert_not_null(p);
	cr_expect_eq(default_routes(p, ifname), 0);
	plan_free(p);
}
