/* res/internet_host.c - a host on the emulated internet.
 *
 * A namespace "LAB-NAME" whose eth0 holds the host's address, linked to the
 * lab's internet namespace (plan.c), which routes every public IP to its
 * VPC's internet gateway. The host is outside every VPC: its address may be
 * in no VPC block and not in the public pool (docs/lab-conf.md). It reaches
 * instances only by their public IPs, never their private ones. Its user
 * data, as an instance's, runs at up in its namespace (svc.c).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/restype.h"

/* ---- lab file -------------------------------------------------------- */

enum { H_IP, H_UDATA, H_UDATA_FILE };

static const struct attr host_attrs[] = {
	[H_IP] = { "ip", A_REQ },
	[H_UDATA] = { "user-data", 0 },
	[H_UDATA_FILE] = { "user-data-file", 0 },
};

static void host_parse(struct build *b, struct res *res,
		       const struct conf_block *blk)
{
	struct internet_host *h = (struct internet_host *)res;
	const struct conf_stmt *seen[ARRAY_SIZE(host_attrs)] = { 0 };
	size_t i;
	int a;

	snprintf(h->ifname, sizeof(h->ifname), "host-%.8s", h->r.id + 5);
	h->netns = model_printf(b, "%s-%s", b->lab->name, h->r.name);
	h->ip_at = h->r.at;
	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];

		a = model_attr_find(b, "internet-host", host_attrs,
				    ARRAY_SIZE(host_attrs), seen, st);
		/* User data after the block: the two exclude each other. */
		if (a != H_IP || !model_want(b, st, 1, 1))
			continue;
		if (a == H_IP && model_get_ip(b, &st->w[1], &h->ip))
			h->ip_at = st->w[1].at;
	}
	model_attrs_required(b, res, host_attrs, ARRAY_SIZE(host_attrs),
			     seen);
	model_parse_user_data(b, seen[H_UDATA], seen[H_UDATA_FILE], &h->ud);
}

/* ---- rules ----------------------------------------------------------- */

const char *internet_host_ip_problem(const struct lab *lab, uint32_t ip,
				   char *buf, size_t len)
{
	const char *special = cidr_special((struct cidr){ ip, 32 });
	const struct gateway_service *gs;
	char cb[CIDR_BUF];
	size_t i, j;

	if (special) {
		snprintf(buf, len, "it is not a unicast address: %s", special);
		return buf;
	}
	gs = gateway_service_overlapping((struct cidr){ ip, 32 });
	if (gs) {
		snprintf(buf, len, "it is in %s, the prefix list of the emulated %s",
			 cidr_fmt(gs->prefix, cb), gs->name);
		return buf;
	}
	if (model_public_pool_has(lab, ip)) {
		snprintf(buf, len,
			 "it is in the public IP pool (198.51.100.0/24, 203.0.113.0/24 and the public-ip-pool lines), whose addresses belong to instances");
		return buf;
	}
	for (i = 0; i < lab->nvpcs; i++)
		for (j = 0; j < lab->vpcs[i]->ncidrs; j++)
			if (cidr_has_ip(lab->vpcs[i]->cidrs[j], ip)) {
				snprintf(buf, len, "it is inside %s of VPC %s",
					 cidr_fmt(lab->vpcs[i]->cidrs[j], cb),
					 lab->vpcs[i]->r.name);
				return buf;
			}
	return NULL;
}

static void host_check(struct lab *lab, struct diags *d)
{
	const struct res_list *l = &lab->res[RES_INTERNET_HOST];
	char why[160], ip[IP_BUF];
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		const struct internet_host *h =
			(const struct internet_host *)l->v[i];
		const char *p = internet_host_ip_problem(lab, h->ip, why, sizeof(why));

		if (p)
			diag_error(d, h->ip_at, "InvalidParameterValue",
				   "Internet host %s cannot have address %s: %s",
				   h->r.name, ip_fmt(h->ip, ip), p);
		for (j = 0; j < i; j++) {
			const struct internet_host *o =
				(const struct internet_host *)l->v[j];

			if (o->ip != h->ip)
				continue;
			diag_error(d, h->ip_at, "InvalidIPAddress.InUse",
				   "Address %s is already the address of internet host %s",
				   ip_fmt(h->ip, ip), o->r.name);
			break;
		}
	}
}

/* ---- printed back ---------------------------------------------------- */

static void host_print(struct printer *p, const struct res *res)
{
	const struct internet_host *h = (const struct internet_host *)res;
	char ip[IP_BUF];

	if (!print_res_ok(p, res))
		return;
	print_block_open(p, res);
	sb_printf(&p->sb, "\tip %s\n", ip_fmt(h->ip, ip));
	print_user_data(p, &h->ud, res);
	print_block_close(p);
}

static void host_details(struct strbuf *sb, const struct lab *lab,
			 const struct res *res)
{
	const struct internet_host *h = (const struct internet_host *)res;
	char ip[IP_BUF];

	sb_printf(sb, "%s netns=%s if=%s", ip_fmt(h->ip, ip), h->netns,
		  h->ifname);
}

static void host_free(struct res *r)
{
	struct internet_host *h = (struct internet_host *)r;

	free(h->netns);
	user_data_free(&h->ud);
}

const struct res_type res_type_internet_host = {
	.keyword = "internet-host",
	.id_prefix = "host-",
	.noun = "internet host",
	.notfound = "Vpcemu.InvalidInternetHost.NotFound",
	.size = sizeof(struct internet_host),
	.parse = host_parse,
	.check = host_check,
	.print = host_print,
	.details = host_details,
	.free = host_free,
};
