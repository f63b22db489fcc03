/* test_nftlb.c - PrivateLink's rulesets (nftlb.h), from the seed-003
 * topology: which targets a node's map holds (its AZ unless cross-zone,
 * the up ones, all when none is up), and what an endpoint forwards (its
 * TCP listener ports while available, nothing while pending). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/dns.h"
#include "vpcemu/model.h"
#include "vpcemu/nftlb.h"

#include "helpers.h"

#define PLINK "../topologies/privatelink.conf"

static struct test_lab tl;

static void setup(void)
{
	test_lab_file(&tl, PLINK, NULL, TEST_LAB_CLEAN);
}

static void teardown(void)
{
	test_lab_free(&tl);
}

TestSuite(nftlb, .init = setup, .fini = teardown);

static struct res *find(enum res_kind k, const char *name)
{
	struct res *r = model_find(tl.lab, k, name);

	cr_assert_not_null(r, "%s", name);
	return r;
}

/* Node n of load balancer name. */
static const struct eni *node(const char *name, size_t n)
{
	const struct load_balancer *lb =
		(const struct load_balancer *)find(RES_LOAD_BALANCER, name);

	cr_assert_lt(n, lb->nenis);
	return lb->enis[n];
}

static bool none_up(void *data, const struct target_group *tg, size_t i)
{
	return false;
}

/* Only the target named by data takes new flows. */
static bool only(void *data, const struct target_group *tg, size_t i)
{
	return !strcmp(tg->targets[i].instance->r.name, data);
}

Test(nftlb, node_keeps_its_zone_without_cross_zone)
{
	char *a = nftlb_node(tl.lab, node("Web-NLB", 0), NULL, NULL);
	char *c = nftlb_node(tl.lab, node("Web-NLB", 1), NULL, NULL);

	cr_assert(a && c);
	cr_expect(strstr(a, "tcp dport 80 dnat ip to jhash ip saddr . tcp "
			    "sport mod 1 map { 0 : 10.0.1.10 . 80 }"), "%s", a);
	cr_expect(strstr(c, "map { 0 : 10.0.2.10 . 80 }"), "%s", c);
	cr_expect(strstr(a, "ct status dnat ct mark 0x1 oifname \"eth0\" "
			    "snat ip to "));
	cr_expect(strstr(a, "type filter hook input priority filter; policy "
			    "drop;"));
	free(a);
	free(c);
}

Test(nftlb, cross_zone_reaches_every_target)
{
	struct load_balancer *lb =
		(struct load_balancer *)find(RES_LOAD_BALANCER, "Web-NLB");
	char *a;

	lb->cross_zone = true;
	a = nftlb_node(tl.lab, lb->enis[0], NULL, NULL);
	cr_expect(strstr(a, "mod 2 map { 0 : 10.0.1.10 . 80, 1 : 10.0.2.10 . "
			    "80 }"), "%s", a);
	free(a);
}

/* Health: only the up targets; none up is all of them (fail open). */
Test(nftlb, health_narrows_and_fails_open)
{
	struct load_balancer *lb =
		(struct load_balancer *)find(RES_LOAD_BALANCER, "Web-NLB");
	char *a;

	lb->cross_zone = true;
	a = nftlb_node(tl.lab, lb->enis[0], only, "Web-2");
	cr_expect(strstr(a, "mod 1 map { 0 : 10.0.2.10 . 80 }"), "%s", a);
	free(a);
	a = nftlb_node(tl.lab, lb->enis[0], none_up, NULL);
	cr_expect(strstr(a, "mod 2 map"), "%s", a);
	free(a);
}

Test(nftlb, endpoint_forwards_while_available)
{
	struct endpoint *e =
		(struct endpoint *)find(RES_ENDPOINT, "Consumer-Endpoint");
	char *r;

	cr_assert_eq(e->state, ENDPOINT_AVAILABLE);
	r = nftlb_endpoint(tl.lab, e->enis[0], 0xa9fec002u, 0xa9fec001u);
	cr_expect(strstr(r, "iifname \"eth0\" ip daddr 10.0.1.100 tcp dport "
			    "{ 80 } dnat ip to 169.254.192.1"), "%s", r);
	cr_expect(strstr(r, "oifname \"plink\" snat ip to 169.254.192.2"));
	free(r);
	e->state = ENDPOINT_PENDING_ACCEPTANCE;
	r = nftlb_endpoint(tl.lab, e->enis[0], 0xa9fec002u, 0xa9fec001u);
	cr_expect(!strstr(r, "dnat"), "%s", r);
	cr_expect(strstr(r, "pendingAcceptance"), "%s", r);
	free(r);
}

/* An endpoint to a service has the names of, built on the
 * service's name: "vpce-ID-SUFFIX.vpce-svc-ID.REGION.vpce.amazonaws.com". */
Test(nftlb, endpoint_to_a_service_is_named_after_it)
{
	const struct endpoint *e =
		(const struct endpoint *)find(RES_ENDPOINT, "Consumer-Endpoint");
	char name[DNS_NAME_MAX], want[DNS_NAME_MAX];

	cr_assert_eq(dns_endpoint_name(e, NULL, name, sizeof(name)), 0);
	snprintf(want, sizeof(want), ".%s.ap-northeast-1.vpce.amazonaws.com",
		 e->svc->r.id);
	cr_expect(!strncmp(name, e->r.id, strlen(e->r.id)), "%s", name);
	cr_expect(strlen(name) > strlen(want) &&
			  !strcmp(name + strlen(name) - strlen(want), want),
		  "%s, want ...%s", name, want);
}
