/* flowrec.c - flow log records: formats, aggregation, lines (flowrec.h;
 * pure). Owns the aggregation arrays it grows; nothing else past a call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/addr.h"
#include "vpcemu/flowrec.h"
#include "vpcemu/model.h"
#include "vpcemu/util.h"

/* Each field with the format version that brought it (AWS's list). */
static const struct {
	const char *name;
	unsigned version;
} fields[FR__COUNT] = {
	[FR_VERSION] = { "version", 2 },
	[FR_ACCOUNT_ID] = { "account-id", 2 },
	[FR_INTERFACE_ID] = { "interface-id", 2 },
	[FR_SRCADDR] = { "srcaddr", 2 },
	[FR_DSTADDR] = { "dstaddr", 2 },
	[FR_SRCPORT] = { "srcport", 2 },
	[FR_DSTPORT] = { "dstport", 2 },
	[FR_PROTOCOL] = { "protocol", 2 },
	[FR_PACKETS] = { "packets", 2 },
	[FR_BYTES] = { "bytes", 2 },
	[FR_START] = { "start", 2 },
	[FR_END] = { "end", 2 },
	[FR_ACTION] = { "action", 2 },
	[FR_LOG_STATUS] = { "log-status", 2 },
	[FR_VPC_ID] = { "vpc-id", 3 },
	[FR_SUBNET_ID] = { "subnet-id", 3 },
	[FR_INSTANCE_ID] = { "instance-id", 3 },
	[FR_TCP_FLAGS] = { "tcp-flags", 3 },
	[FR_TYPE] = { "type", 3 },
	[FR_PKT_SRCADDR] = { "pkt-srcaddr", 3 },
	[FR_PKT_DSTADDR] = { "pkt-dstaddr", 3 },
	[FR_REGION] = { "region", 4 },
	[FR_AZ_ID] = { "az-id", 4 },
	[FR_FLOW_DIRECTION] = { "flow-direction", 5 },
	[FR_TRAFFIC_PATH] = { "traffic-path", 5 },
};

/* ---- formats --------------------------------------------------------- */

static int field_by_name(const char *s, size_t len)
{
	int i;

	for (i = 0; i < FR__COUNT; i++)
		if (strlen(fields[i].name) == len &&
		    !memcmp(fields[i].name, s, len))
			return i;
	return -1;
}

int flowrec_format_parse(const char *s, struct flowrec_format *fmt,
			 size_t *bad_off, size_t *bad_len)
{
	bool seen[FR__COUNT] = { false };
	size_t off = 0, len;
	int f;

	*fmt = (struct flowrec_format){ .version = 2 };
	if (!s) {
		for (f = 0; f <= FR_LOG_STATUS; f++)
			fmt->f[fmt->n++] = f;
		return 0;
	}
	fmt->version = 0;
	for (;;) {
		len = strcspn(s + off, " ");
		f = len > 3 && !strncmp(s + off, "${", 2) &&
				    s[off + len - 1] == '}'
			    ? field_by_name(s + off + 2, len - 3)
			    : -1;
		if (f < 0 || seen[f] || fmt->n == FLOWREC_FIELDS_MAX) {
			*bad_off = off;
			*bad_len = len;
			return -EINVAL;
		}
		seen[f] = true;
		fmt->f[fmt->n++] = f;
		if (fields[f].version > fmt->version)
			fmt->version = fields[f].version;
		off += len;
		if (!s[off])
			return 0;
		off++;		/* the one space */
	}
}

void flowrec_format_text(struct strbuf *sb, const struct flowrec_format *fmt)
{
	size_t i;

	for (i = 0; i < fmt->n; i++)
		sb_printf(sb, "%s${%s}", i ? " " : "", fields[fmt->f[i]].name);
}

/* ---- aggregation ----------------------------------------------------- */

static uint32_t key_hash(const struct flowrec_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Where k is, or the empty slot it would take. */
static uint32_t *slot_of(const struct flowrec_agg *a,
			 const struct flowrec_key *k)
{
	size_t i = key_hash(k) & (a->nslots - 1);

	while (a->slot[i] &&
	       memcmp(&a->v[a->slot[i] - 1].k, k, sizeof(*k)))
		i = (i + 1) & (a->nslots - 1);
	return &a->slot[i];
}

/* Keeps the table at most half full. */
static int grow(struct flowrec_agg *a)
{
	size_t nslots = a->nslots ? a->nslots * 2 : 64, i;
	struct flowrec *v;
	uint32_t *slot;

	v = reallocarray(a->v, nslots / 2, sizeof(*v));
	if (!v)
		return -ENOMEM;
	a->v = v;
	a->cap = nslots / 2;
	slot = calloc(nslots, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	free(a->slot);
	a->slot = slot;
	a->nslots = nslots;
	for (i = 0; i < a->n; i++)
		*slot_of(a, &a->v[i].k) = i + 1;
	return 0;
}

struct flowrec *flowrec_find(const struct flowrec_agg *a,
			     const struct flowrec_key *k)
{
	uint32_t *s;

	if (!a->nslots)
		return NULL;
	s = slot_of(a, k);
	return *s ? &a->v[*s - 1] : NULL;
}

int flowrec_add(struct flowrec_agg *a, const struct flowrec_key *k,
		uint64_t packets, uint64_t bytes, uint8_t tcp_flags)
{
	struct flowrec *r = flowrec_find(a, k);
	int e;

	if (!r) {
		if (a->max && a->n >= a->max)
			return -ENOSPC;
		if (a->n == a->cap && (e = grow(a)) < 0)
			return e;
		r = &a->v[a->n++];
		*r = (struct flowrec){ .k = *k };
		*slot_of(a, k) = a->n;
	}
	r->packets += packets;
	r->bytes += bytes;
	r->tcp_flags |= tcp_flags;
	return 0;
}

static int cmp_u32(uint32_t x, uint32_t y)
{
	return x < y ? -1 : x > y;
}

static int cmp_rec(const void *pa, const void *pb)
{
	const struct flowrec_key *a = &((const struct flowrec *)pa)->k;
	const struct flowrec_key *b = &((const struct flowrec *)pb)->k;
	int c;

	if ((c = cmp_u32(a->eni, b->eni)) || (c = cmp_u32(a->src, b->src)) ||
	    (c = cmp_u32(a->dst, b->dst)) ||
	    (c = cmp_u32(a->proto, b->proto)) ||
	    (c = cmp_u32(a->sport, b->sport)) ||
	    (c = cmp_u32(a->dport, b->dport)))
		return c;
	/* ACCEPT before REJECT (R-14.5: the request, then the reply). */
	return (c = cmp_u32(a->reject, b->reject)) ? c
						   : cmp_u32(b->egress,
							     a->egress);
}

void flowrec_agg_sort(struct flowrec_agg *a)
{
	if (a->n)
		qsort(a->v, a->n, sizeof(*a->v), cmp_rec);
	if (a->slot)
		memset(a->slot, 0, a->nslots * sizeof(*a->slot));
}

void flowrec_agg_clear(struct flowrec_agg *a)
{
	a->n = 0;
	if (a->slot)
		memset(a->slot, 0, a->nslots * sizeof(*a->slot));
}

void flowrec_agg_free(struct flowrec_agg *a)
{
	free(a->v);
	free(a->slot);
	*a = (struct flowrec_agg){ .max = a->max };
}

uint8_t flowrec_tcp_flags(uint8_t th)
{
	uint8_t f = th & 0x3f;	/* FIN SYN RST PSH ACK URG */

	return f == 0x10 ? 0 : f;
}

/* ---- lines ----------------------------------------------------------- */

static void put_ip(struct strbuf *sb, uint32_t ip)
{
	char buf[IP_BUF];

	sb_puts(sb, ip_fmt(ip, buf));
}

static void put_field(struct strbuf *sb, enum flowrec_field f,
		      const struct flowrec_format *fmt,
		      const struct flowrec_ctx *c, const struct flowrec_eni *e,
		      const struct flowrec *r, enum flowrec_status st)
{
	static const char *const status[] = { "OK", "NODATA", "SKIPDATA" };
	const struct flowrec_key *k = r ? &r->k : NULL;

	switch (f) {
	case FR_VERSION:
		sb_printf(sb, "%u", fmt->version);
		return;
	case FR_ACCOUNT_ID:
		sb_puts(sb, c->account);
		return;
	case FR_INTERFACE_ID:
		sb_puts(sb, e->interface_id);
		return;
	case FR_VPC_ID:
		sb_puts(sb, e->vpc_id);
		return;
	case FR_SUBNET_ID:
		sb_puts(sb, e->subnet_id);
		return;
	case FR_INSTANCE_ID:
		sb_puts(sb, e->instance_id ? e->instance_id : "-");
		return;
	case FR_REGION:
		sb_puts(sb, c->region);
		return;
	case FR_AZ_ID:
		sb_puts(sb, e->az_id ? e->az_id : "-");
		return;
	case FR_START:
		sb_printf(sb, "%llu", (unsigned long long)c->start);
		return;
	case FR_END:
		sb_printf(sb, "%llu", (unsigned long long)c->end);
		return;
	case FR_LOG_STATUS:
		sb_puts(sb, status[st]);
		return;
	default:
		break;
	}
	/* The rest describe traffic: "-" on NODATA and SKIPDATA lines. */
	if (!k) {
		sb_puts(sb, "-");
		return;
	}
	switch (f) {
	case FR_SRCADDR:
		put_ip(sb, k->src);
		break;
	case FR_DSTADDR:
		put_ip(sb, k->dst);
		break;
	case FR_PKT_SRCADDR:
		put_ip(sb, k->pkt_src);
		break;
	case FR_PKT_DSTADDR:
		put_ip(sb, k->pkt_dst);
		break;
	case FR_SRCPORT:
		sb_printf(sb, "%u", k->sport);
		break;
	case FR_DSTPORT:
		sb_printf(sb, "%u", k->dport);
		break;
	case FR_PROTOCOL:
		sb_printf(sb, "%u", k->proto);
		break;
	case FR_PACKETS:
		sb_printf(sb, "%llu", (unsigned long long)r->packets);
		break;
	case FR_BYTES:
		sb_printf(sb, "%llu", (unsigned long long)r->bytes);
		break;
	case FR_ACTION:
		sb_puts(sb, k->reject ? "REJECT" : "ACCEPT");
		break;
	case FR_TCP_FLAGS:
		sb_printf(sb, "%u", r->tcp_flags);
		break;
	case FR_TYPE:
		sb_puts(sb, "IPv4");
		break;
	case FR_FLOW_DIRECTION:
		sb_puts(sb, k->egress ? "egress" : "ingress");
		break;
	case FR_TRAFFIC_PATH:
		if (k->egress && k->path)
			sb_printf(sb, "%u", k->path);
		else
			sb_puts(sb, "-");
		break;
	default:
		sb_puts(sb, "-");
		break;
	}
}

void flowrec_line(struct strbuf *sb, const struct flowrec_format *fmt,
		  const struct flowrec_ctx *c, const struct flowrec_eni *e,
		  const struct flowrec *r, enum flowrec_status st)
{
	size_t i;

	for (i = 0; i < fmt->n; i++) {
		if (i)
			sb_puts(sb, " ");
		put_field(sb, fmt->f[i], fmt, c, e, r, st);
	}
	sb_puts(sb, "\n");
}

/* ---- exclusions (R-14.6) --------------------------------------------- */

static bool router_own(const struct vpc *vpc, const struct lab *lab,
		       uint32_t ip)
{
	size_t i;

	if ((ip >> 16) == 0xa9fe)	/* 169.254/16: IMDS, DNS, NTP */
		return true;
	if (ip == vpc->cidrs[0].addr + 2)
		return true;
	for (i = 0; i < lab->nsubnets; i++)
		if (lab->subnets[i]->vpc == vpc &&
		    ip == lab->subnets[i]->cidr.addr + 1)
			return true;
	return false;
}

static bool endpoint_nlb(const struct eni *a, const struct eni *b)
{
	return a && b &&
	       ((a->endpoint && b->lb) || (a->lb && b->endpoint));
}

bool flowrec_excluded(const struct vpc *vpc, const struct lab *lab,
		      uint32_t src, uint32_t dst, const struct eni *eni_a,
		      const struct eni *eni_b)
{
	return router_own(vpc, lab, src) || router_own(vpc, lab, dst) ||
	       endpoint_nlb(eni_a, eni_b);
}
