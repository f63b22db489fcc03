/* test_plan.c - the planner against golden dumps, and its invariants. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/model.h"
#include "vpcemu/plan.h"

#include "helpers.h"

/* A lab file, parsed, modelled and checked without an error. */
static struct lab *load(const char *path)
{
	return test_lab_file(NULL, path, NULL, TEST_LAB_CHECK | TEST_LAB_CLEAN);
}

/* Compares the plan dump of lab file conf with golden file; with
 * VPCEMU_UPDATE_GOLDEN=1 rewrites it instead. */
static void golden(const char *conf, const char *gold)
{
	struct lab *lab = load(conf);
	struct plan *p = plan_build(lab);
	char *got = NULL;
	size_t len = 0;
	FILE *f;

	cr_assert_not_null(p);
	f = open_memstream(&got, &len);
	cr_assert_not_null(f);
	plan_dump(p, f);
	fclose(f);
	test_golden(gold, got);
	free(got);
	plan_free(p);
	lab_free(lab);
}

Test(plan, golden_hands_on)
{
	golden("../topologies/vpc-peering.conf", "golden/plan/vpc-peering.plan");
}

Test(plan, golden_transitive)
{
	golden("../topologies/transitive.conf", "golden/plan/transitive.plan");
}

/* Load balancer nodes with their rulesets, and the accepted endpoint's
 * PrivateLink link to the node in its AZ. */
Test(plan, golden_privatelink)
{
	golden("../topologies/privatelink.conf", "golden/plan/privatelink.plan");
}

/* The endpoint's namespace and link, and the prefix-list routes in the
 * tables it names only (RT-Isolated and RT-Partner have none). */
Test(plan, golden_gateway_endpoints)
{
	golden("../topologies/gateway-endpoints.conf",
	       "golden/plan/gateway-endpoints.plan");
}

/* The transit gateway's namespace, one link per attachment, one rule
 * per associated attachment, its tables' propagated routes, and the
 * spokes' routes to their own link. */
Test(plan, golden_transit_gateway)
{
	golden("../topologies/transit-gateway.conf",
	       "golden/plan/transit-gateway.plan");
}

/* The customer gateway and its host on the internet, the virtual private
 * gateway between the VPC's router and the two tunnel ends, one table per
 * tunnel tried in order, and the static route propagated to Cloud-RT. */
Test(plan, golden_vpn_static)
{
	golden("../topologies/vpn-static.conf", "golden/plan/vpn-static.plan");
}

/* BGP: the AWS inside addresses on the router's gateway link, the
 * customer's on its gateway's lo, both routed through the gateway and the
 * tunnel ends, each tunnel's table taking all the router sends it. */
Test(plan, golden_vpn_bgp)
{
	golden("../topologies/vpn-bgp.conf", "golden/plan/vpn-bgp.plan");
}

/* Invariants the kernel relies on. */
Test(plan, routes_to_non_active_peering_are_blackholes)
{
	struct lab *lab = load("../topologies/vpc-peering.conf");
	struct plan *p;
	size_t i, via_pcx = 0, blackholes = 0;

	lab->peerings[0]->status = PEERING_PENDING_ACCEPTANCE;
	p = plan_build(lab);
	cr_assert_not_null(p);
	for (i = 0; i < p->nroutes; i++) {
		if (p->routes[i].table < PLAN_TABLE_BASE)
			continue;
		if (p->routes[i].type == PLAN_ROUTE_BLACKHOLE)
			blackholes++;
		else if (!strncmp(p->routes[i].dev, "pcx-", 4))
			via_pcx++;
	}
	cr_expect_eq(via_pcx, 0);
	cr_expect_eq(blackholes, 2);
	for (i = 0; i < p->nveths; i++)
		if (!strncmp(p->veths[i].name_a, "pcx-", 4))
			cr_expect(!p->veths[i].up, "pending peering is up");
	plan_free(p);
	lab_free(lab);
}

Test(plan, names_fit_the_kernel)
{
	struct lab *lab = load("../topologies/vpc-peering.conf");
	struct plan *p = plan_build(lab);
	size_t i;

	cr_assert_not_null(p);
	for (i = 0; i < p->nveths; i++) {
		cr_expect_lt(strlen(p->veths[i].name_a), 16);
		cr_expect_lt(strlen(p->veths[i].name_b), 16);
	}
	for (i = 0; i < p->nns; i++)
		cr_expect(!strncmp(p->ns[i].name, "vpc-peering-", 12),
			  "namespace %s not prefixed by the lab", p->ns[i].name);
	plan_free(p);
	lab_free(lab);
}

/* The file of namespace ns called name in plan p. */
static const char *file_of(const struct plan *p, const char *ns,
			   const char *name)
{
	size_t i;

	for (i = 0; i < p->nfiles; i++)
		if (!strcmp(p->ns[p->files[i].ns].name, ns) &&
		    !strcmp(p->files[i].name, name))
			return p->files[i].content;
	cr_assert_fail("no %s in %s", name, ns);
	return NULL;
}

/* /etc/netns files of an instance: Amazon DNS at base+2 with the region's
 * search domain (ec2.internal in us-east-1 only, R-12.4), and the
 * instance's own IP name. */
Test(plan, instance_resolv_conf_and_hosts)
{
	static const char text[] =
		"lab f\nregion %s\n"
		"vpc V { cidr 10.4.0.0/16 }\n"
		"subnet S { vpc V; cidr 10.4.3.0/24 }\n"
		"instance web { subnet S; private-ip 10.4.3.21 }\n";
	const char *regions[] = { "us-east-1", "eu-west-1" };
	const char *search[] = { "ec2.internal", "eu-west-1.compute.internal" };
	char buf[256], want[128];
	size_t i;

	for (i = 0; i < 2; i++) {
		struct lab *lab;
		struct plan *p;

		snprintf(buf, sizeof(buf), text, regions[i]);
		lab = test_lab_text(NULL, "f.conf", buf, NULL,
				    TEST_LAB_CHECK | TEST_LAB_CLEAN);
		p = plan_build(lab);
		cr_assert_not_null(p);
		snprintf(want, sizeof(want), "nameserver 10.4.0.2\nsearch %s\n",
			 search[i]);
		cr_expect_str_eq(file_of(p, "f-web", "resolv.conf"), want);
		cr_expect_str_eq(file_of(p, "f-web", "hosts"),
				 "127.0.0.1\tlocalhost\n"
				 "10.4.3.21\tip-10-4-3-21 web\n");
		plan_free(p);
		lab_free(lab);
	}
}
