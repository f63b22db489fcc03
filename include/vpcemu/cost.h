/* cost.h - the data-transfer bill of a running lab (pure: no I/O).
 *
 * Every VPC router counts the bytes it forwards by ingress and egress port
 * (nftgen.h, set "cost"); vpcemud reads those counters (request.c) and
 * this module prices each (router, in, out) pair by AWS's rules with the
 * prices of data/prices.tsv, built into the binaries:
 *   ENI -> ENI           free in one AZ; across AZs the cross-AZ rate
 *                        twice (out of one AZ, into the other); a NAT
 *                        gateway's or an interface endpoint's ENI at
 *                        either end adds its per-GB processing
 *   ENI -> peering       same region: the peering rate (out); another
 *                        region: the inter-region rate
 *   peering -> ENI       same region: the peering rate (in); another
 *                        region: free (AWS bills the sender)
 *   ENI -> internet      internet egress; the way in is free
 *   ENI -> transit gw    its per-GB processing; the way back is free
 *   gateway endpoints    free
 * and adds the hourly charges of NAT gateways, interface endpoint ENIs
 * and transit gateway attachments over the hours the lab has run.
 * Simplifications: a peering within a region is billed at the cross-AZ
 * rate even inside one AZ (each router sees only its own end); load
 * balancer nodes are plain ENIs (no LCU); no free tier or volume tiers.
 */
#ifndef VPCEMU_COST_H
#define VPCEMU_COST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "vpcemu/model.h"

enum cost_rate {
	COST_CROSS_AZ,
	COST_PEERING,
	COST_INTER_REGION,
	COST_INTERNET_OUT,
	COST_NAT_GB,
	COST_NAT_HOUR,
	COST_ENDPOINT_GB,
	COST_ENDPOINT_HOUR,
	COST_TGW_GB,
	COST_TGW_HOUR,
	COST__RATES,
};

/* A price list: where and when it was read, and one USD price per rate
 * (per GB, or per hour for the _HOUR ones). */
struct cost_prices {
	char *date, *region;
	char **sources;
	size_t nsources;
	double usd[COST__RATES];
};

/* data/prices.tsv as built into the binaries (Makefile). */
extern const char cost_prices_tsv[];

/* Parses a price list in the format of data/prices.tsv: every rate, the
 * date and the region must be there, once. Returns 0, -EINVAL (with
 * *ret_line the first bad line, from 1) or -ENOMEM. */
int cost_prices_parse(const char *text, struct cost_prices *ret,
		      unsigned *ret_line);
void cost_prices_free(struct cost_prices *p);

/* One counter of a router: bytes forwarded from port in to port out
 * (interface names in the router namespace). */
struct cost_count {
	const struct vpc *vpc;
	char in[MODEL_IFNAME_MAX], out[MODEL_IFNAME_MAX];
	uint64_t bytes;
};

/* Appends the counters of vpc's router found in nft_json (the output of
 * `nft -j list set inet vpcemu cost`) to *v (n entries, cap allocated).
 * Returns 0, -EINVAL (not that JSON) or -ENOMEM. */
int cost_counts_parse(const char *nft_json, const struct vpc *vpc,
		      struct cost_count **v, size_t *n, size_t *cap);

/* A line of the bill: bytes from one port to another, or an hourly charge
 * (bytes 0, hours set). what and why are for people: "cross-AZ", "both
 * directions $0.01/GB each". */
struct cost_line {
	char *from, *to;	/* to is NULL for an hourly charge */
	char *what, *why;
	uint64_t bytes;
	double hours;
	double usd;
};

struct cost_bill {
	struct cost_line *v;
	size_t n;
	double usd;		/* the sum */
	double hours;
};

/* Prices the n counters c of lab's routers and the hourly charges over
 * hours. Lines come sorted by from, to, traffic before hourly charges;
 * counters of zero bytes are left out, and hourly charges when hours is 0.
 * Returns 0 or -ENOMEM. */
int cost_bill(const struct lab *lab, const struct cost_prices *p,
	      const struct cost_count *c, size_t n, double hours,
	      struct cost_bill *ret);
void cost_bill_free(struct cost_bill *b);

/* The bill as lines of text, "EC2-A → EC2-B, cross-AZ, 1.00 GB, $0.02
 * (both directions $0.01/GB each)", then the total and the price list's
 * date, region and sources (caller frees; NULL when out of memory). */
char *cost_table(const struct cost_bill *b, const struct cost_prices *p);

/* The same as JSON: {"lines": [...], "usd", "hours", "prices": {date,
 * region, sources}}; NULL when out of memory. */
json_t *cost_json(const struct cost_bill *b, const struct cost_prices *p);

#endif
