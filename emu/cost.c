/* cost.c - counters of the routers -> AWS's data-transfer bill (cost.h).
 *
 * A counter names two ports of one router; port_of finds what each is in
 * the model (an ENI and its AZ, a peering and the far VPC's region, the
 * internet gateway, a gateway endpoint, a transit gateway attachment) and
 * price_pair applies the rules of cost.h as a sum of (rate, times) parts,
 * which also gives the line its explanation.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/cost.h"
#include "vpcemu/nftutil.h"
#include "vpcemu/util.h"

#define COST_GB 1073741824.0	/* AWS bills data transfer by 2^30 bytes */

static const char *const rate_keys[COST__RATES] = {
	[COST_CROSS_AZ] = "cross-az",
	[COST_PEERING] = "peering",
	[COST_INTER_REGION] = "inter-region",
	[COST_INTERNET_OUT] = "internet-out",
	[COST_NAT_GB] = "nat-gb",
	[COST_NAT_HOUR] = "nat-hour",
	[COST_ENDPOINT_GB] = "endpoint-gb",
	[COST_ENDPOINT_HOUR] = "endpoint-hour",
	[COST_TGW_GB] = "tgw-gb",
	[COST_TGW_HOUR] = "tgw-hour",
};

/* ---- the price list ---------------------------------------------------- */

/* Sets *slot to a copy of value, once. */
static int set_once(char **slot, const char *value)
{
	if (*slot)
		return -EINVAL;
	*slot = strdup(value);
	return *slot ? 0 : -ENOMEM;
}

/* One row of the list, its tab-separated fields in f (nf of them). */
static int prices_row(struct cost_prices *p, char **f, size_t nf,
		      bool *seen)
{
	char **src, *end;
	size_t k;

	if (nf == 2 && !strcmp(f[0], "date"))
		return set_once(&p->date, f[1]);
	if (nf == 2 && !strcmp(f[0], "region"))
		return set_once(&p->region, f[1]);
	if (nf == 2 && !strcmp(f[0], "source")) {
		/* A handful of rows: grown one at a time. */
		src = realloc(p->sources, (p->nsources + 1) * sizeof(*src));
		if (!src)
			return -ENOMEM;
		p->sources = src;
		if (!(src[p->nsources] = strdup(f[1])))
			return -ENOMEM;
		p->nsources++;
		return 0;
	}
	if (nf != 4)
		return -EINVAL;
	for (k = 0; k < COST__RATES; k++)
		if (!strcmp(f[0], rate_keys[k]))
			break;
	if (k == COST__RATES || seen[k] ||
	    strcmp(f[2], strstr(rate_keys[k], "hour") ? "hour" : "GB"))
		return -EINVAL;
	p->usd[k] = strtod(f[1], &end);
	if (end == f[1] || *end || p->usd[k] < 0)
		return -EINVAL;
	seen[k] = true;
	return 0;
}

int cost_prices_parse(const char *text, struct cost_prices *ret,
		      unsigned *ret_line)
{
	bool seen[COST__RATES] = { false };
	char *copy = strdup(text), *line, *next, *tab, *f[5];
	unsigned no = 0;
	size_t nf, k;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	*ret_line = 0;
	if (!copy)
		return -ENOMEM;
	for (line = copy; line && !r; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		no++;
		if (!*line || *line == '#')
			continue;
		/* Up to 5 fields: a fifth (the rest of the line) makes
		 * the row invalid. */
		for (nf = 0, tab = line; tab && nf < 5; nf++) {
			f[nf] = tab;
			tab = strchr(tab, '\t');
			if (tab)
				*tab++ = '\0';
		}
		r = prices_row(ret, f, nf, seen);
		if (r == -EINVAL)
			*ret_line = no;
	}
	for (k = 0; !r && k < COST__RATES; k++)
		if (!seen[k])
			r = -EINVAL;
	if (!r && (!ret->date || !ret->region))
		r = -EINVAL;
	free(copy);
	if (r)
		cost_prices_free(ret);
	return r;
}

void cost_prices_free(struct cost_prices *p)
{
	size_t i;

	for (i = 0; i < p->nsources; i++)
		free(p->sources[i]);
	free(p->sources);
	free(p->date);
	free(p->region);
	memset(p, 0, sizeof(*p));
}

/* ---- counters ---------------------------------------------------------- */

int cost_counts_parse(const char *nft_json, const struct vpc *vpc,
		      struct cost_count **v, size_t *n, size_t *cap)
{
	json_t *root = json_loads(nft_json, 0, NULL), *item, *elem;
	size_t i, j;
	int r = 0;

	if (!root)
		return -EINVAL;
	json_array_foreach(json_object_get(root, "nftables"), i, item) {
		json_t *set = json_object_get(item, "set");

		json_array_foreach(json_object_get(set, "elem"), j, elem) {
			json_t *e = json_object_get(elem, "elem");
			json_t *key = json_object_get(
				json_object_get(e, "val"), "concat");
			json_t *bytes = json_object_get(
				json_object_get(e, "counter"), "bytes");
			const char *in = json_string_value(
				json_array_get(key, 0));
			const char *out = json_string_value(
				json_array_get(key, 1));
			struct cost_count *c;

			if (!in || !out || !json_is_integer(bytes) ||
			    strlen(in) >= MODEL_IFNAME_MAX ||
			    strlen(out) >= MODEL_IFNAME_MAX) {
				r = -EINVAL;
				goto out;
			}
			c = VEC_PUSH(*v, *n, *cap);
			if (!c) {
				r = -ENOMEM;
				goto out;
			}
			c->vpc = vpc;
			strcpy(c->in, in);
			strcpy(c->out, out);
			c->bytes = (uint64_t)json_integer_value(bytes);
		}
	}
out:
	json_decref(root);
	return r;
}

/* ---- classification ---------------------------------------------------- */

enum port_kind {
	PORT_UNKNOWN,
	PORT_ENI,
	PORT_PEERING,
	PORT_INTERNET,
	PORT_GATEWAY_ENDPOINT,
	PORT_TGW,
};

struct port {
	enum port_kind kind;
	const char *name;
	const struct eni *eni;
	const char *far_region;	/* a peering's: the peer VPC's */
};

static const char *region_of(const struct lab *lab, const struct vpc *v)
{
	return v->region ? v->region : lab->region;
}

static struct port port_of(const struct lab *lab, const struct vpc *vpc,
			   const char *ifname)
{
	struct port p = { .kind = PORT_UNKNOWN, .name = ifname };
	const struct res_list *l;
	size_t i;

	for (i = 0; i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];

		if (e->subnet->vpc == vpc && !strcmp(e->ifname, ifname))
			return (struct port){ PORT_ENI, e->r.name, e, NULL };
	}
	for (i = 0; i < lab->npeerings; i++) {
		const struct peering *pc = lab->peerings[i];
		const struct vpc *far = nftutil_peer_of(pc, vpc);

		if (far && !strcmp(pc->ifname, ifname))
			return (struct port){ PORT_PEERING, pc->r.name, NULL,
					      region_of(lab, far) };
	}
	for (i = 0; i < lab->nendpoints; i++) {
		const struct endpoint *e = lab->endpoints[i];

		if (e->vpc == vpc && e->type == ENDPOINT_GATEWAY &&
		    !strcmp(e->ifname, ifname))
			return (struct port){ PORT_GATEWAY_ENDPOINT, e->r.name,
					      NULL, NULL };
	}
	l = &lab->res[RES_INTERNET_GATEWAY];
	for (i = 0; i < l->n; i++) {
		const struct internet_gateway *g = (const void *)l->v[i];

		if (g->vpc == vpc && !strcmp(g->ifname, ifname))
			return (struct port){ PORT_INTERNET, "internet", NULL,
					      NULL };
	}
	l = &lab->res[RES_TGW_ATTACHMENT];
	for (i = 0; i < l->n; i++) {
		const struct tgw_attachment *a = (const void *)l->v[i];

		if (a->vpc == vpc && !strcmp(a->ifname, ifname))
			return (struct port){ PORT_TGW, a->r.name, NULL, NULL };
	}
	return p;
}

/* A charge of times * usd[rate] per GB. */
struct part {
	enum cost_rate rate;
	int times;
};

struct pricing {
	const char *what;
	struct part parts[3];
	size_t nparts;
};

static void add_part(struct pricing *pr, enum cost_rate rate, int times)
{
	pr->parts[pr->nparts++] = (struct part){ rate, times };
}

/* What a processing ENI (NAT gateway, interface endpoint) adds. */
static void add_processing(struct pricing *pr, const struct eni *e)
{
	if (e->nat)
		add_part(pr, COST_NAT_GB, 1);
	else if (e->endpoint && e->endpoint->type != ENDPOINT_GATEWAY)
		add_part(pr, COST_ENDPOINT_GB, 1);
}

static struct pricing price_pair(const struct lab *lab, const struct vpc *vpc,
				 const struct port *in,
				 const struct port *out)
{
	struct pricing pr = { .what = "not priced" };
	bool same_region;

	if (in->kind == PORT_GATEWAY_ENDPOINT ||
	    out->kind == PORT_GATEWAY_ENDPOINT) {
		pr.what = "gateway endpoint, free";
	} else if (in->kind == PORT_ENI && out->kind == PORT_ENI) {
		bool cross = strcmp(in->eni->subnet->az, out->eni->subnet->az);

		pr.what = cross ? "cross-AZ" : "same AZ";
		add_processing(&pr, in->eni);
		add_processing(&pr, out->eni);
		if (cross)
			add_part(&pr, COST_CROSS_AZ, 2);
	} else if (in->kind == PORT_ENI && out->kind == PORT_PEERING) {
		same_region = !strcmp(out->far_region, region_of(lab, vpc));
		pr.what = same_region ? "peering out" : "inter-region out";
		add_part(&pr, same_region ? COST_PEERING : COST_INTER_REGION,
			 1);
	} else if (in->kind == PORT_PEERING && out->kind == PORT_ENI) {
		same_region = !strcmp(in->far_region, region_of(lab, vpc));
		pr.what = same_region ? "peering in" : "inter-region in, free";
		if (same_region)
			add_part(&pr, COST_PEERING, 1);
	} else if (in->kind == PORT_ENI && out->kind == PORT_INTERNET) {
		pr.what = "internet out";
		add_part(&pr, COST_INTERNET_OUT, 1);
	} else if (in->kind == PORT_INTERNET && out->kind == PORT_ENI) {
		pr.what = "internet in, free";
	} else if (in->kind == PORT_ENI && out->kind == PORT_TGW) {
		pr.what = "to transit gateway";
		add_part(&pr, COST_TGW_GB, 1);
	} else if (in->kind == PORT_TGW && out->kind == PORT_ENI) {
		pr.what = "from transit gateway, free";
	}
	return pr;
}

static const char *const part_names[COST__RATES] = {
	[COST_CROSS_AZ] = "cross-AZ",
	[COST_PEERING] = "peering",
	[COST_INTER_REGION] = "inter-region",
	[COST_INTERNET_OUT] = "internet egress",
	[COST_NAT_GB] = "NAT gateway processing",
	[COST_ENDPOINT_GB] = "interface endpoint processing",
	[COST_TGW_GB] = "transit gateway processing",
};

/* "both directions $0.01/GB each", "NAT gateway processing $0.045/GB". */
static char *explain(const struct pricing *pr, const struct cost_prices *p)
{
	struct strbuf b = { 0 };
	size_t i;

	for (i = 0; i < pr->nparts; i++) {
		const struct part *pt = &pr->parts[i];

		sb_puts(&b, i ? " + " : "");
		if (pt->times == 2)
			sb_printf(&b, "both directions $%g/GB each",
				  p->usd[pt->rate]);
		else
			sb_printf(&b, "%s $%g/GB", part_names[pt->rate],
				  p->usd[pt->rate]);
	}
	return b.len || b.oom ? sb_take(&b) : strdup("");
}

static int line_add(struct cost_bill *b, size_t *cap, const char *from,
		    const char *to, const char *what, char *why)
{
	struct cost_line *l = VEC_PUSH(b->v, b->n, *cap);

	if (!l || !why || !(l->from = strdup(from)) ||
	    (to && !(l->to = strdup(to))) || !(l->what = strdup(what))) {
		free(why);
		return -ENOMEM;
	}
	l->why = why;
	return 0;
}

static int add_counts(struct cost_bill *b, size_t *cap, const struct lab *lab,
		      const struct cost_prices *p, const struct cost_count *c,
		      size_t n)
{
	size_t i, k;
	int r;

	for (i = 0; i < n; i++) {
		struct port in = port_of(lab, c[i].vpc, c[i].in);
		struct port out = port_of(lab, c[i].vpc, c[i].out);
		struct pricing pr = price_pair(lab, c[i].vpc, &in, &out);
		double per_gb = 0;

		if (!c[i].bytes)
			continue;
		r = line_add(b, cap, in.name, out.name, pr.what,
			     explain(&pr, p));
		if (r < 0)
			return r;
		for (k = 0; k < pr.nparts; k++)
			per_gb += pr.parts[k].times * p->usd[pr.parts[k].rate];
		b->v[b->n - 1].bytes = c[i].bytes;
		b->v[b->n - 1].usd = c[i].bytes / COST_GB * per_gb;
	}
	return 0;
}

/* One hourly line for a resource. */
static int add_hourly(struct cost_bill *b, size_t *cap,
		      const struct cost_prices *p, const char *name,
		      const char *what, enum cost_rate rate)
{
	char *why = str_printf("$%g/h", p->usd[rate]);
	int r = line_add(b, cap, name, NULL, what, why);

	if (r < 0)
		return r;
	b->v[b->n - 1].hours = b->hours;
	b->v[b->n - 1].usd = b->hours * p->usd[rate];
	return 0;
}

static int add_hours(struct cost_bill *b, size_t *cap, const struct lab *lab,
		     const struct cost_prices *p)
{
	const struct res_list *l;
	size_t i;
	int r = 0;

	for (i = 0; !r && i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];

		if (e->nat)
			r = add_hourly(b, cap, p, e->r.name, "NAT gateway",
				       COST_NAT_HOUR);
		else if (e->endpoint && e->endpoint->type != ENDPOINT_GATEWAY)
			r = add_hourly(b, cap, p, e->r.name,
				       "interface endpoint", COST_ENDPOINT_HOUR);
	}
	l = &lab->res[RES_TGW_ATTACHMENT];
	for (i = 0; !r && i < l->n; i++)
		r = add_hourly(b, cap, p, l->v[i]->name,
			       "transit gateway attachment", COST_TGW_HOUR);
	return r;
}

static int line_cmp(const void *a, const void *b)
{
	const struct cost_line *x = a, *y = b;
	int c;

	/* Traffic first, hourly charges after. */
	if (!x->to != !y->to)
		return !x->to - !y->to;
	c = strcmp(x->from, y->from);
	return c || !x->to ? c : strcmp(x->to, y->to);
}

int cost_bill(const struct lab *lab, const struct cost_prices *p,
	      const struct cost_count *c, size_t n, double hours,
	      struct cost_bill *ret)
{
	size_t cap = 0, i;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->hours = hours;
	r = add_counts(ret, &cap, lab, p, c, n);
	if (!r && hours > 0)
		r = add_hours(ret, &cap, lab, p);
	if (r < 0) {
		cost_bill_free(ret);
		return r;
	}
	qsort(ret->v, ret->n, sizeof(*ret->v), line_cmp);
	for (i = 0; i < ret->n; i++)
		ret->usd += ret->v[i].usd;
	return 0;
}

void cost_bill_free(struct cost_bill *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->v[i].from);
		free(b->v[i].to);
		free(b->v[i].what);
		free(b->v[i].why);
	}
	free(b->v);
	memset(b, 0, sizeof(*b));
}

/* ---- output ------------------------------------------------------------ */

/* 1.00 GB, 12.3 MB, 512 B: two digits where they mean something. */
static void put_bytes(struct strbuf *sb, uint64_t bytes)
{
	static const char *const units[] = { "B", "KB", "MB", "GB", "TB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	sb_printf(sb, u ? "%.2f %s" : "%.0f %s", v, units[u]);
}

/* Cents where there are some; below a cent, down to a millionth of one
 * (a lab sends megabytes, not gigabytes), without trailing zeros. */
static void put_usd(struct strbuf *sb, double usd)
{
	char buf[32];
	size_t n;

	if (usd == 0 || usd >= 0.01) {
		sb_printf(sb, "$%.2f", usd);
		return;
	}
	n = (size_t)snprintf(buf, sizeof(buf), "%.8f", usd);
	while (n > 4 && buf[n - 1] == '0')
		buf[--n] = '\0';
	sb_printf(sb, "$%s", buf);
}

char *cost_table(const struct cost_bill *b, const struct cost_prices *p)
{
	struct strbuf sb = { 0 };
	size_t i;

	for (i = 0; i < b->n; i++) {
		const struct cost_line *l = &b->v[i];

		if (l->to)
			sb_printf(&sb, "%s \u2192 %s, %s, ", l->from, l->to,
				  l->what);
		else
			sb_printf(&sb, "%s, %s, %.0f h, ", l->from, l->what,
				  l->hours);
		if (l->to)
			put_bytes(&sb, l->bytes), sb_puts(&sb, ", ");
		put_usd(&sb, l->usd);
		sb_printf(&sb, *l->why ? " (%s)\n" : "\n", l->why);
	}
	if (!b->n)
		sb_puts(&sb, "no traffic yet\n");
	sb_puts(&sb, "total ");
	put_usd(&sb, b->usd);
	sb_printf(&sb, " over %.0f h; prices of %s, read %s:\n", b->hours,
		  p->region, p->date);
	for (i = 0; i < p->nsources; i++)
		sb_printf(&sb, "  %s\n", p->sources[i]);
	return sb_take(&sb);
}

json_t *cost_json(const struct cost_bill *b, const struct cost_prices *p)
{
	json_t *lines = json_array(), *src = json_array();
	size_t i;

	for (i = 0; lines && i < b->n; i++) {
		const struct cost_line *l = &b->v[i];
		json_t *o = json_pack("{s:s, s:s?, s:s, s:s, s:I, s:f, s:f}",
				      "from", l->from, "to", l->to, "what",
				      l->what, "why", l->why, "bytes",
				      (json_int_t)l->bytes, "hours",
				      l->to ? 0.0 : l->hours, "usd", l->usd);

		if (!o || json_array_append_new(lines, o)) {
			json_decref(lines);
			lines = NULL;
		}
	}
	for (i = 0; src && i < p->nsources; i++)
		if (json_array_append_new(src, json_string(p->sources[i]))) {
			json_decref(src);
			src = NULL;
		}
	if (!lines || !src) {
		json_decref(lines);
		json_decref(src);
		return NULL;
	}
	/* "o" hands lines and src over, even when packing fails. */
	return json_pack("{s:o, s:f, s:f, s:{s:s, s:s, s:o}}", "lines", lines,
			 "usd", b->usd, "hours", b->hours, "prices", "date",
			 p->date, "region", p->region, "sources", src);
}
