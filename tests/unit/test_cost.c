/* test_cost.c - the price list, nft's counters and AWS's data-transfer
 * rules of vpcemu cost (cost.h), on a model and hand-made counters. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/cost.h"
#include "vpcemu/model.h"

#include "helpers.h"

#define GB 1073741824ull

/* VPC A (two AZs, a NAT gateway, an internet gateway) peered with B in
 * the same region and with C in another. */
static const char bill_lab[] =
	"lab bill\n"
	"region us-east-1\n"
	"vpc A { cidr 10.1.0.0/16 }\n"
	"vpc B { cidr 10.2.0.0/16 }\n"
	"vpc C { cidr 10.3.0.0/16; region eu-west-1 }\n"
	"subnet A1 { vpc A; cidr 10.1.1.0/24; az us-east-1a }\n"
	"subnet A2 { vpc A; cidr 10.1.2.0/24; az us-east-1b }\n"
	"subnet B1 { vpc B; cidr 10.2.1.0/24; az us-east-1a }\n"
	"internet-gateway IGW { vpc A }\n"
	"elastic-ip EN { }\n"
	"nat-gateway N { subnet A1; elastic-ip EN }\n"
	"peering AB { requester A; accepter B }\n"
	"peering AC { requester A; accepter C }\n"
	"instance X { subnet A1; private-ip 10.1.1.10 }\n"
	"instance Y { subnet A1; private-ip 10.1.1.11 }\n"
	"instance Z { subnet A2; private-ip 10.1.2.10 }\n"
	"instance W { subnet B1; private-ip 10.2.1.10 }\n";

static struct test_lab t;
static struct cost_prices prices;

static void setup(void)
{
	unsigned line;

	test_lab_text(&t, "bill.conf", bill_lab, NULL, 0);
	cr_assert_eq(cost_prices_parse(cost_prices_tsv, &prices, &line), 0,
		     "data/prices.tsv line %u", line);
}

static void teardown(void)
{
	cost_prices_free(&prices);
	test_lab_free(&t);
}

static const struct vpc *vpc_named(const char *name)
{
	size_t i;

	for (i = 0; i < t.lab->nvpcs; i++)
		if (!strcmp(t.lab->vpcs[i]->r.name, name))
			return t.lab->vpcs[i];
	cr_assert_fail("no VPC %s", name);
	return NULL;
}

/* The router-side interface of a resource named name: an instance's or
 * NAT gateway's ENI, a peering, an internet gateway. */
static const char *port_named(const char *name)
{
	const struct res_list *l = &t.lab->res[RES_INTERNET_GATEWAY];
	size_t i;

	for (i = 0; i < t.lab->nenis; i++)
		if (!strcmp(t.lab->enis[i]->r.name, name))
			return t.lab->enis[i]->ifname;
	for (i = 0; i < t.lab->npeerings; i++)
		if (!strcmp(t.lab->peerings[i]->r.name, name))
			return t.lab->peerings[i]->ifname;
	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i]->name, name))
			return ((const struct internet_gateway *)l->v[i])
				->ifname;
	cr_assert_fail("no port %s", name);
	return NULL;
}

static struct cost_count count(const char *vpc, const char *in,
			       const char *out, uint64_t bytes)
{
	struct cost_count c = { .vpc = vpc_named(vpc), .bytes = bytes };

	strcpy(c.in, port_named(in));
	strcpy(c.out, port_named(out));
	return c;
}

/* The bill of one counter (no hours) must be its only line. */
static void one_line(struct cost_count c, const char *what, double usd,
		     const char *why)
{
	struct cost_bill b;

	cr_assert_eq(cost_bill(t.lab, &prices, &c, 1, 0, &b), 0);
	cr_assert_geq(b.n, 1);
	cr_assert_str_eq(b.v[0].what, what);
	cr_assert_float_eq(b.v[0].usd, usd, 1e-9, "%s: $%g", what,
			   b.v[0].usd);
	cr_assert_str_eq(b.v[0].why, why);
	cost_bill_free(&b);
}

TestSuite(cost, .init = setup, .fini = teardown);

Test(cost, price_list_is_complete)
{
	cr_assert_str_eq(prices.region, "us-east-1");
	cr_assert_not_null(prices.date);
	cr_assert_geq(prices.nsources, 1);
	cr_assert_float_eq(prices.usd[COST_CROSS_AZ], 0.01, 1e-12);
	cr_assert_float_eq(prices.usd[COST_NAT_HOUR], 0.045, 1e-12);
}

Test(cost, bad_price_lists)
{
	struct cost_prices p;
	unsigned line;

	/* A rate missing. */
	cr_assert_eq(cost_prices_parse("date\tx\nregion\ty\n", &p, &line),
		     -EINVAL);
	/* A rate in the wrong unit, on line 2. */
	cr_assert_eq(cost_prices_parse("date\tx\ncross-az\t0.01\thour\tz\n",
				       &p, &line),
		     -EINVAL);
	cr_assert_eq(line, 2);
}

Test(cost, same_az_is_free)
{
	one_line(count("A", "X", "Y", GB), "same AZ", 0, "");
}

Test(cost, cross_az_is_billed_both_ways)
{
	struct cost_count c = count("A", "X", "Z", GB);
	struct cost_bill b;
	char *text;

	one_line(c, "cross-AZ", 0.02, "both directions $0.01/GB each");
	cr_assert_eq(cost_bill(t.lab, &prices, &c, 1, 0, &b), 0);
	text = cost_table(&b, &prices);
	cr_assert(strstr(text, "X \u2192 Z, cross-AZ, 1.00 GB, $0.02 (both "
			       "directions $0.01/GB each)\n"),
		  "%s", text);
	free(text);
	cost_bill_free(&b);
}

Test(cost, nat_gateway_processing_and_egress)
{
	one_line(count("A", "Z", "N", GB), "cross-AZ", 0.065,
		 "NAT gateway processing $0.045/GB + both directions "
		 "$0.01/GB each");
	one_line(count("A", "N", "IGW", GB), "internet out", 0.09,
		 "internet egress $0.09/GB");
	one_line(count("A", "IGW", "N", GB), "internet in, free", 0, "");
}

Test(cost, peering_within_and_across_regions)
{
	one_line(count("A", "X", "AB", GB), "peering out", 0.01,
		 "peering $0.01/GB");
	one_line(count("B", "AB", "W", GB), "peering in", 0.01,
		 "peering $0.01/GB");
	one_line(count("A", "X", "AC", GB), "inter-region out", 0.02,
		 "inter-region $0.02/GB");
	one_line(count("A", "AC", "X", GB), "inter-region in, free", 0, "");
}

Test(cost, hourly_charges_and_total)
{
	struct cost_count c = count("A", "X", "Z", 2 * GB);
	struct cost_bill b;
	size_t i;

	cr_assert_eq(cost_bill(t.lab, &prices, &c, 1, 3, &b), 0);
	cr_assert_eq(b.n, 2);
	for (i = 0; i < b.n && b.v[i].to; i++)
		;
	cr_assert_lt(i, b.n, "no hourly line");
	cr_assert_str_eq(b.v[i].what, "NAT gateway");
	cr_assert_float_eq(b.v[i].usd, 3 * 0.045, 1e-9);
	cr_assert_float_eq(b.usd, 0.04 + 3 * 0.045, 1e-9);
	cost_bill_free(&b);
}

Test(cost, counters_from_nft_json)
{
	static const char json[] =
		"{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\"}}, "
		"{\"set\": {\"family\": \"inet\", \"name\": \"cost\", "
		"\"elem\": [{\"elem\": {\"val\": {\"concat\": [\"eni-1\", "
		"\"pcx-2\"]}, \"counter\": {\"packets\": 2, \"bytes\": "
		"168}}}]}}]}";
	struct cost_count *v = NULL;
	size_t n = 0, cap = 0;

	cr_assert_eq(cost_counts_parse(json, vpc_named("A"), &v, &n, &cap),
		     0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].in, "eni-1");
	cr_assert_str_eq(v[0].out, "pcx-2");
	cr_assert_eq(v[0].bytes, 168);
	cr_assert_eq(cost_counts_parse("nope", vpc_named("A"), &v, &n, &cap),
		     -EINVAL);
	free(v);
}
