/* res/onprem_host.c - a machine on the premises behind a customer gateway.
 *
 * A namespace "LAB-NAME" whose eth0 holds the host's address alone, linked
 * to its gateway's namespace, which routes it back and answers ARP for
 * everything else (plan.c), as the internet namespace does for internet
 * hosts. `vpcemu exec` runs commands there.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/conf.h"
#include "vpcemu/restype.h"

enum { O_CGW, O_IP };

static const struct attr onp_attrs[] = {
	[O_CGW] = { "customer-gateway", A_REQ },
	[O_IP] = { "ip", A_REQ },
};

static void onp_parse(struct build *b, struct res *res,
		      const struct conf_block *blk)
{
	struct onprem_host *h = (struct onprem_host *)res;
	const struct conf_stmt *seen[ARRAY_SIZE(onp_attrs)] = { 0 };
	size_t i;

	snprintf(h->ifname, sizeof(h->ifname), "onp-%.8s", h->r.id + 4);
	h->netns = model_printf(b, "%s-%s", b->lab->name, h->r.name);
	h->ip_at = h->cgw_at = h->r.at;
	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];
		int a = model_attr_find(b, "onprem-host", onp_attrs,
					ARRAY_SIZE(onp_attrs), seen, st);

		if (a < 0 || !model_want(b, st, 1, 1))
			continue;
		if (a == O_CGW) {
			h->cgw = (struct customer_gateway *)model_resolve(
			    b, RES_CUSTOMER_GATEWAY, &st->w[1]);
			h->cgw_at = st->w[1].at;
		} else if (model_get_ip(b, &st->w[1], &h->ip)) {
			h->ip_at = st->w[1].at;
		}
	}
	model_attrs_required(b, res, onp_attrs, ARRAY_SIZE(onp_attrs), seen);
}

static bool in_networks(const struct customer_gateway *g, uint32_t ip)
{
	size_t i;

	for (i = 0; i < g->nnetworks; i++)
		if (cidr_has_ip(g->networks[i], ip))
			return true;
	return false;
}

static void onp_check(struct lab *lab, struct diags *d)
{
	const struct res_list *l = &lab->res[RES_ONPREM_HOST];
	char ip[IP_BUF];
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		const struct onprem_host *h =
			(const struct onprem_host *)l->v[i];

		if (!h->cgw)
			continue;
		if (!in_networks(h->cgw, h->ip))
			diag_error(d, h->ip_at, "InvalidParameterValue",
				   "Address %s of onprem-host %s is in none of the networks of customer-gateway %s",
				   ip_fmt(h->ip, ip), h->r.name,
				   h->cgw->r.name);
		for (j = 0; j < i; j++) {
			const struct onprem_host *o =
				(const struct onprem_host *)l->v[j];

			if (o->ip != h->ip)
				continue;
			diag_error(d, h->ip_at, "InvalidIPAddress.InUse",
				   "Address %s is already the address of onprem-host %s",
				   ip_fmt(h->ip, ip), o->r.name);
			break;
		}
	}
}

static void onp_print(struct printer *p, const struct res *res)
{
	const struct onprem_host *h = (const struct onprem_host *)res;
	char ip[IP_BUF];

	if (!print_res_ok(p, res))
		return;
	print_block_open(p, res);
	sb_puts(&p->sb, "\tcustomer-gateway");
	print_ref(p, h->cgw ? &h->cgw->r : NULL, res);
	sb_printf(&p->sb, "\n\tip %s\n", ip_fmt(h->ip, ip));
	print_block_close(p);
}

static void onp_details(struct strbuf *sb, const struct lab *lab,
			const struct res *res)
{
	const struct onprem_host *h = (const struct onprem_host *)res;
	char ip[IP_BUF];

	sb_printf(sb, "%s customer-gateway=%s netns=%s", ip_fmt(h->ip, ip),
		  h->cgw->r.name, h->netns);
}

static void onp_free(struct res *r)
{
	free(((struct onprem_host *)r)->netns);
}

const struct res_type res_type_onprem_host = {
	.keyword = "onprem-host",
	.id_prefix = "onp-",
	.noun = "on-premises host",
	.notfound = "Vpcemu.InvalidOnpremHost.NotFound",
	.size = sizeof(struct onprem_host),
	.parse = onp_parse,
	.check = onp_check,
	.print = onp_print,
	.details = onp_details,
	.free = onp_free,
};
