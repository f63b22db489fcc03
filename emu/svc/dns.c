/* dns.c - the Amazon-provided DNS resolver's protocol core (dns.h).
 *
 * One query in, one reply out, from the model alone: the caller (the
 * resolver service) owns the sockets and picks the VPC. The flow is
 *
 *   query_parse()  header, question and EDNS0, with ldns
 *   lookup()       lower-case name -> the records it has (A or PTR), or
 *                  NXDOMAIN; every name a lab knows is generated from the
 *                  model with the same builders describe and IMDS use, and
 *                  compared, so a name resolves exactly when it is shown
 *   reply_encode() the reply with ldns, shrunk to the transport's limit
 *                  (TC) and, without answers, to the query's size
 *
 * Owns nothing between calls: every ldns object lives inside dns_answer().
 * Rules: to R-12.7 (names, attributes), R-6.15 (public names across
 * a peering), R-10.4 to R-10.6 (endpoint names); protocol per RFC 1035,
 * RFC 6891 (EDNS0).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>	/* before ldns: see below */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ldns/common.h, included without <stdbool.h> first, defines bool and
 * even _Bool as signed char: every bool of this file would then hold any
 * value, and ldns shifts the ones it is given straight into the header
 * (a TC of 8 lands in the opcode). */
#include <ldns/ldns.h>

#include "vpcemu/dns.h"
#include "vpcemu/model.h"
#include "vpcemu/util.h"

#define HDR_LEN 12
#define TCP_MAX 65535
#define RCODE_BADVERS 16	/* extended: 1 in the OPT, 0 in the header */
#define OPCODE_QUERY 0

/* ---- names ---------------------------------------------------------- */

static int fmt(char *buf, size_t len, const char *f, ...)
	__attribute__((format(printf, 3, 4)));

static int fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;
	int n;

	if (!buf || !len)
		return -ENOSPC;
	va_start(ap, f);
	n = vsnprintf(buf, len, f, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

static bool is_us_east_1(const char *region)
{
	return !strcasecmp(region, "us-east-1");
}

/* "10-1-1-10": the dashed form AWS puts in hostnames. */
static void ip_dashed(uint32_t ip, char buf[16])
{
	snprintf(buf, 16, "%u-%u-%u-%u", ip >> 24, (ip >> 16) & 0xff,
		 (ip >> 8) & 0xff, ip & 0xff);
}

const char *dns_search_domain(const char *region, char *buf, size_t len)
{
	int r;

	if (!region || is_us_east_1(region))
		r = fmt(buf, len, "ec2.internal");
	else
		r = fmt(buf, len, "%s.compute.internal", region);
	return r ? NULL : buf;
}

int dns_private_hostname(const struct lab *lab, const char *region,
			 uint32_t ip, char *buf, size_t len)
{
	char dom[DNS_NAME_MAX], d[16];

	if (!region)
		region = lab && lab->region ? lab->region : "us-east-1";
	if (!dns_search_domain(region, dom, sizeof(dom)))
		return -ENOSPC;
	ip_dashed(ip, d);
	return fmt(buf, len, "ip-%s.%s", d, dom);
}

static const struct vpc *instance_vpc(const struct instance *in)
{
	return in->subnet ? in->subnet->vpc : NULL;
}

int dns_instance_hostname(const struct instance *in, char *buf, size_t len)
{
	const struct vpc *v = instance_vpc(in);
	char dom[DNS_NAME_MAX];

	if (!v)
		return -EINVAL;
	if (!dns_search_domain(v->region, dom, sizeof(dom)))
		return -ENOSPC;
	return fmt(buf, len, "%s.%s", in->r.id, dom);
}

int dns_public_hostname(const struct instance *in, char *buf, size_t len)
{
	const struct vpc *v = instance_vpc(in);
	char d[16];

	/* only with a public IPv4 and both DNS attributes. */
	if (!v || !in->public_ipv4 || !v->dns_support || !v->dns_hostnames)
		return -ENOENT;
	ip_dashed(in->public_ipv4, d);
	if (!v->region || is_us_east_1(v->region))
		return fmt(buf, len, "ec2-%s.compute-1.amazonaws.com", d);
	return fmt(buf, len, "ec2-%s.%s.compute.amazonaws.com", d, v->region);
}

/* Region and service of the endpoint's service name; -EINVAL when it has
 * none (endpoint_service_split). */
static int service_split(const struct endpoint *e, char *region,
			 size_t rlen, const char **name)
{
	const char *r;
	size_t n;

	if (!endpoint_service_split(e->service, &r, &n, name) || n >= rlen)
		return -EINVAL;
	memcpy(region, r, n);
	region[n] = '\0';
	return 0;
}

int dns_service_name(const struct endpoint *e, char *buf, size_t len)
{
	char region[DNS_NAME_MAX];
	const char *name;

	if (service_split(e, region, sizeof(region), &name))
		return -EINVAL;
	return fmt(buf, len, "%s.%s.amazonaws.com", name, region);
}

/* AWS's 8-character part of endpoint names looks random; ours is an
 * FNV-1a hash of the endpoint ID in base 36, so that a lab keeps its names
 * from one run to the next, like its IDs. */
static void endpoint_suffix(const char *id, char out[9])
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	uint64_t h = 0xcbf29ce484222325ULL;
	int i;

	for (; *id; id++)
		h = (h ^ (uint8_t)*id) * 0x100000001b3ULL;
	for (i = 0; i < 8; i++, h /= 36)
		out[i] = digits[h % 36];
	out[8] = '\0';
}

int dns_endpoint_name(const struct endpoint *e, const char *az, char *buf,
		      size_t len)
{
	char region[DNS_NAME_MAX], sfx[9];
	const char *name;

	if (service_split(e, region, sizeof(region), &name))
		return -EINVAL;
	endpoint_suffix(e->r.id, sfx);
	return fmt(buf, len, "%s-%s%s%s.%s.%s.vpce.amazonaws.com", e->r.id,
		   sfx, az ? "-" : "", az ? az : "", name, region);
}

/* ---- lookup: name -> records ---------------------------------------- */

/* What a name holds: nothing (NXDOMAIN), or records of one type. */
struct rrset {
	bool exists;
	ldns_rr_type type;	/* LDNS_RR_TYPE_A or _PTR */
	uint32_t *ips;		/* A */
	size_t n, cap;
	char ptr[DNS_NAME_MAX];	/* PTR: the target */
};

static int rrset_add(struct rrset *rs, uint32_t ip)
{
	uint32_t *slot = VEC_PUSH(rs->ips, rs->n, rs->cap);

	if (!slot)
		return -ENOMEM;
	*slot = ip;
	rs->exists = true;
	rs->type = LDNS_RR_TYPE_A;
	return 0;
}

static bool name_is(const char *qname, int r, const char *ours)
{
	return !r && !strcasecmp(qname, ours);
}

static bool same_region(const struct vpc *a, const struct vpc *b)
{
	return a->region && b->region && !strcasecmp(a->region, b->region);
}

static bool rfc1918(uint32_t ip)
{
	return (ip >> 24) == 10 || (ip >> 20) == 0xac1 || (ip >> 16) == 0xc0a8;
}

/* Whether the resolver of vpc knows the IP name of ENI n: its
 * own VPC's, and RFC 1918 ones of other VPCs in the same region. */
static bool eni_named(const struct vpc *vpc, const struct eni *n)
{
	const struct vpc *v = n->subnet ? n->subnet->vpc : NULL;

	if (!v)
		return false;
	return v == vpc || (same_region(v, vpc) && rfc1918(n->ip));
}

/* One decimal octet at *s as "%u" prints it (no leading zero); advances
 * *s. */
static bool octet(const char **s, uint32_t *v)
{
	const char *p = *s;
	uint32_t x = 0;
	int n = 0;

	while (*p >= '0' && *p <= '9' && n < 3) {
		x = x * 10 + (uint32_t)(*p++ - '0');
		n++;
	}
	if (!n || x > 255 || (n > 1 && **s == '0'))
		return false;
	*s = p;
	*v = x;
	return true;
}

/* Four octets separated by sep, most significant first; advances *s. */
static bool ip_text(const char **s, char sep, uint32_t *ip)
{
	uint32_t o;
	int i;

	*ip = 0;
	for (i = 0; i < 4; i++) {
		if ((i && *(*s)++ != sep) || !octet(s, &o))
			return false;
		*ip = *ip << 8 | o;
	}
	return true;
}

/* The address of an IP name "ip-10-1-1-10.<rest>" or a reverse name
 * "10.1.1.10.in-addr.arpa" (ptr set): names are parsed rather than each
 * ENI's printed and compared, which cost a lab of 10,000 ENIs
 * milliseconds a query. The caller still compares the whole name. */
static bool ip_name(const char *qname, uint32_t *ip, bool *ptr)
{
	const char *s = qname;

	if (!strncmp(s, "ip-", 3)) {
		s += 3;
		*ptr = false;
		return ip_text(&s, '-', ip) && *s == '.';
	}
	*ptr = true;
	if (!ip_text(&s, '.', ip) || strcmp(s, ".in-addr.arpa"))
		return false;
	*ip = __builtin_bswap32(*ip);
	return true;
}

/* Amazon private hostnames: IP names and their PTR for
 * the ENIs eni_named() admits, instance-ID names in the VPC itself. The
 * guide answers them only with both DNS attributes on. */
static int lookup_private(const struct lab *lab, const struct vpc *vpc,
			  const char *qname, struct rrset *rs)
{
	char buf[DNS_NAME_MAX];
	const struct res *id;
	const char *dot;
	uint32_t ip;
	bool ptr;
	size_t i;
	int r;

	if (!vpc->dns_hostnames)
		return 0;
	if (ip_name(qname, &ip, &ptr)) {
		for (i = 0; i < lab->nenis; i++) {
			if (lab->enis[i]->ip != ip ||
			    !eni_named(vpc, lab->enis[i]))
				continue;
			r = dns_private_hostname(lab, vpc->region, ip, buf,
						 sizeof(buf));
			if (!ptr && name_is(qname, r, buf))
				return rrset_add(rs, ip);
			if (!ptr || r)
				return 0;
			rs->exists = true;
			rs->type = LDNS_RR_TYPE_PTR;
			memcpy(rs->ptr, buf, sizeof(rs->ptr));
			return 0;
		}
		return 0;
	}
	/* Resource names of other VPCs: the guide grants cross-VPC answers
	 * to IP names only. */
	dot = strchr(qname, '.');
	if (strncmp(qname, "i-", 2) || !dot ||
	    (size_t)(dot - qname) >= sizeof(buf))
		return 0;
	memcpy(buf, qname, (size_t)(dot - qname));
	buf[dot - qname] = '\0';
	id = model_find(lab, RES_INSTANCE, buf);
	if (id && !strcmp(id->id, buf)) {
		const struct instance *in = (const struct instance *)id;

		r = dns_instance_hostname(in, buf, sizeof(buf));
		if (instance_vpc(in) == vpc && name_is(qname, r, buf))
			return rrset_add(rs, in->private_ip);
	}
	return 0;
}

/* Whether from resolves owner's public names to private IPs: an
 * active peering whose owner side allows remote DNS resolution. */
static bool remote_dns(const struct lab *lab, const struct vpc *from,
		       const struct vpc *owner)
{
	size_t i;

	for (i = 0; i < lab->npeerings; i++) {
		const struct peering *p = lab->peerings[i];

		if (p->status != PEERING_ACTIVE)
			continue;
		if (p->requester == owner && p->accepter == from &&
		    p->requester_allows_remote_dns)
			return true;
		if (p->accepter == owner && p->requester == from &&
		    p->accepter_allows_remote_dns)
			return true;
	}
	return false;
}

/* Public hostnames: the private IP inside the instance's VPC and
 * across a peering that allows it, the public IP everywhere else (vpc
 * NULL: on the internet). */
static int lookup_public(const struct lab *lab, const struct vpc *vpc,
			 const char *qname, struct rrset *rs)
{
	char buf[DNS_NAME_MAX];
	const char *s = qname + 4;
	uint32_t ip;
	size_t i;
	int r;

	/* "ec2-1-2-3-4.": only instances with that public IP can match. */
	if (strncmp(qname, "ec2-", 4) || !ip_text(&s, '-', &ip) || *s != '.')
		return 0;
	for (i = 0; i < lab->ninstances; i++) {
		const struct instance *in = lab->instances[i];
		const struct vpc *v = instance_vpc(in);

		if (in->public_ipv4 != ip)
			continue;
		r = dns_public_hostname(in, buf, sizeof(buf));
		if (!name_is(qname, r, buf))
			continue;
		if (vpc && (v == vpc || remote_dns(lab, vpc, v)))
			return rrset_add(rs, in->private_ip);
		return rrset_add(rs, in->public_ipv4);
	}
	return 0;
}

static int add_enis(struct rrset *rs, const struct endpoint *e)
{
	size_t i;
	int r;

	/* An endpoint with no ENI still owns its names: NODATA, not
	 * NXDOMAIN. */
	rs->exists = true;
	rs->type = LDNS_RR_TYPE_A;
	for (i = 0; i < e->nenis; i++)
		if ((r = rrset_add(rs, e->enis[i]->ip)))
			return r;
	return 0;
}

/* Interface endpoints: the endpoint-specific names from any VPC,
 * the service's own name only inside the endpoint's VPC with private DNS
 * . Several endpoints may answer one service name (AWS
 * refuses a second private-DNS endpoint for a service in one VPC; a lab
 * that has one gets both sets). */
static int lookup_endpoints(const struct lab *lab, const struct vpc *vpc,
			    const char *qname, struct rrset *rs)
{
	char buf[DNS_NAME_MAX];
	size_t i, j;
	int r;

	for (i = 0; i < lab->nendpoints; i++) {
		const struct endpoint *e = lab->endpoints[i];

		if (e->type != ENDPOINT_INTERFACE)
			continue;
		r = dns_endpoint_name(e, NULL, buf, sizeof(buf));
		if (name_is(qname, r, buf))
			return add_enis(rs, e);
		for (j = 0; j < e->nenis; j++) {
			const struct subnet *s = e->enis[j]->subnet;

			if (!s || !s->az)
				continue;
			r = dns_endpoint_name(e, s->az, buf, sizeof(buf));
			if (name_is(qname, r, buf))
				return rrset_add(rs, e->enis[j]->ip);
		}
		if (e->vpc != vpc || !e->private_dns)
			continue;
		r = dns_service_name(e, buf, sizeof(buf));
		if (name_is(qname, r, buf) && (r = add_enis(rs, e)))
			return r;
	}
	return 0;
}

/* Load balancers' names (R-10.8's NLBs), from anywhere, as AWS's public
 * DNS answers: every node's private IP for an internal one, its public IP
 * for an internet-facing one. */
static int lookup_load_balancers(const struct lab *lab, const char *qname,
				 struct rrset *rs)
{
	const struct res_list *l = &lab->res[RES_LOAD_BALANCER];
	size_t i, j;
	int r;

	for (i = 0; i < l->n; i++) {
		const struct load_balancer *lb =
			(const struct load_balancer *)l->v[i];

		if (!lb->dns_name || strcasecmp(qname, lb->dns_name))
			continue;
		rs->exists = true;
		rs->type = LDNS_RR_TYPE_A;
		for (j = 0; j < lb->nenis; j++)
			if ((r = rrset_add(rs, lb->internet_facing
						       ? lb->enis[j]->node_public_ip
						       : lb->enis[j]->ip)))
				return r;
		return 0;
	}
	return 0;
}

/* Whether qname is host or a name under it ("BUCKET.host"). */
static bool name_at_or_under(const char *qname, const char *host)
{
	size_t q = strlen(qname), h = strlen(host);

	return !strcasecmp(qname, host) ||
	       (q > h + 1 && qname[q - h - 1] == '.' &&
		!strcasecmp(qname + q - h, host));
}

/* S3's legacy "s3-REGION.amazonaws.com". */
static bool is_s3_dash_name(const char *qname, const char *region)
{
	char buf[DNS_NAME_MAX];

	return !fmt(buf, sizeof(buf), "s3-%s.amazonaws.com", region) &&
	       !strcasecmp(qname, buf);
}

/* The regional services that vpcemud emulates (gateway_services): their
 * public names in the VPC's region, whatever routes the VPC has, as on
 * AWS; S3 also under its global name and virtual-hosted bucket names. */
static int lookup_regional(const char *region, const char *qname,
			   struct rrset *rs)
{
	const struct gateway_service *gs;
	char buf[DNS_NAME_MAX];

	for (gs = gateway_services; region && gs->name; gs++) {
		bool s3 = !strcmp(gs->name, "s3");
		/* A region name too long for a DNS name answers nothing. */
		if (fmt(buf, sizeof(buf), "%s.%s.amazonaws.com", gs->name,
			region))
			continue;
		if (s3 ? name_at_or_under(qname, buf) ||
				 name_at_or_under(qname, "s3.amazonaws.com") ||
				 is_s3_dash_name(qname, region)
		       : !strcasecmp(qname, buf))
			return rrset_add(rs, gs->ip);
	}
	return 0;
}

/* Fills rs for qname (lower case, no trailing dot) as vpc's resolver sees
 * it, or the internet's (vpc NULL: public names only, in the lab's
 * region); rs->exists stays false for NXDOMAIN. 0 or -ENOMEM. */
static int lookup(const struct lab *lab, const struct vpc *vpc,
		  const char *qname, struct rrset *rs)
{
	int r;

	if (vpc && ((r = lookup_private(lab, vpc, qname, rs)) || rs->exists))
		return r;
	if ((r = lookup_public(lab, vpc, qname, rs)) || rs->exists)
		return r;
	if ((r = lookup_endpoints(lab, vpc, qname, rs)) || rs->exists)
		return r;
	if ((r = lookup_load_balancers(lab, qname, rs)) || rs->exists)
		return r;
	/* What is left is on the internet, which a lab has only the
	 * regional services of: anything else is NXDOMAIN. */
	return lookup_regional(vpc ? vpc->region : lab->region, qname, rs);
}

/* The query name as text, lower case, without trailing dot. -EINVAL for a
 * label holding a byte no AWS name has (a dot, a NUL, ...): such a name
 * cannot be ours, and refusing it keeps "a.b" as one label from matching
 * two. */
static int qname_text(const ldns_rdf *d, char *buf, size_t len)
{
	const uint8_t *w = ldns_rdf_data(d);
	size_t n = ldns_rdf_size(d), i = 0, o = 0, j;

	if (!len)
		return -EINVAL;
	while (i < n && w[i]) {
		size_t l = w[i++];

		if (l > 63 || i + l > n || o + l + 2 > len)
			return -EINVAL;
		if (o)
			buf[o++] = '.';
		for (j = 0; j < l; j++) {
			char c = (char)w[i + j];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (!((c >= 'a' && c <= 'z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return -EINVAL;
			buf[o++] = c;
		}
		i += l;
	}
	buf[o] = '\0';
	return 0;
}

/* ---- the query ------------------------------------------------------ */

struct query {
	uint16_t id;
	uint8_t opcode;
	bool rd, cd;
	ldns_rr *question;	/* the only question; NULL: none to echo */
	bool parsed;		/* ldns read the whole message, shape ok */
	bool edns, edns_do;
	uint16_t udp_size;
	uint8_t edns_version;
};

/* Skips a name (labels up to the root or a pointer); -EBADMSG past end. */
static int skip_name(const uint8_t *m, size_t len, size_t *pos, bool *root)
{
	size_t p = *pos;

	*root = true;
	for (;;) {
		if (p >= len)
			return -EBADMSG;
		if ((m[p] & 0xc0) == 0xc0) {
			*root = false;
			*pos = p + 2;
			return p + 2 > len ? -EBADMSG : 0;
		}
		if (m[p] & 0xc0)	/* 0x40, 0x80: obsolete label types */
			return -EBADMSG;
		if (!m[p]) {
			*pos = p + 1;
			return 0;
		}
		*root = false;
		p += 1u + m[p];
	}
}

/* Walks every record and checks the OPT rules of RFC 6891 6.1.1: at most
 * one, in the additional section, owned by the root; *ret_opt tells
 * whether there is one. This runs before ldns_wire2pkt because ldns 1.8.3
 * leaks the data of all but the last OPT (and all but the last TSIG) of a
 * message that repeats them, and because whether an OPT came is not
 * something ldns exports (ldns_pkt_edns() says whether it would write one).
 * 0 or -EBADMSG. */
static int scan_shape(const uint8_t *m, size_t len, bool *ret_opt)
{
	unsigned nopt = 0, ntsig = 0, sec, i, count;
	size_t pos = HDR_LEN;
	bool root;

	for (sec = 0; sec < 4; sec++) {
		count = (unsigned)m[4 + 2 * sec] << 8 | m[5 + 2 * sec];
		for (i = 0; i < count; i++) {
			uint16_t type, rdlen;

			if (skip_name(m, len, &pos, &root))
				return -EBADMSG;
			if (pos + (sec ? 10 : 4) > len)
				return -EBADMSG;
			type = (uint16_t)(m[pos] << 8 | m[pos + 1]);
			if (!sec) {
				pos += 4;
				continue;
			}
			rdlen = (uint16_t)(m[pos + 8] << 8 | m[pos + 9]);
			pos += 10u + rdlen;
			if (pos > len)
				return -EBADMSG;
			if (type == LDNS_RR_TYPE_OPT &&
			    (sec != 3 || !root || ++nopt > 1))
				return -EBADMSG;
			if (type == LDNS_RR_TYPE_TSIG && ++ntsig > 1)
				return -EBADMSG;
		}
	}
	*ret_opt = nopt;
	return 0;
}

/* Reads what a reply needs from q. Returns 0, or -ENOMEM. */
static int query_parse(struct query *qy, const uint8_t *q, size_t qlen)
{
	ldns_pkt *p = NULL;
	size_t pos = HDR_LEN;
	ldns_status st;

	qy->id = (uint16_t)(q[0] << 8 | q[1]);
	qy->opcode = (q[2] >> 3) & 0xf;
	qy->rd = q[2] & 0x01;
	qy->cd = q[3] & 0x10;

	/* The question alone, so that even a FORMERR can echo it. */
	if (q[4] == 0 && q[5] == 1) {
		st = ldns_wire2rr(&qy->question, q, qlen, &pos,
				  LDNS_SECTION_QUESTION);
		if (st == LDNS_STATUS_MEM_ERR)
			return -ENOMEM;
		if (st != LDNS_STATUS_OK)
			qy->question = NULL;
	}
	if (!qy->question || scan_shape(q, qlen, &qy->edns))
		return 0;
	st = ldns_wire2pkt(&p, q, qlen);
	if (st == LDNS_STATUS_MEM_ERR)
		return -ENOMEM;
	if (st != LDNS_STATUS_OK)
		return 0;
	qy->parsed = true;
	qy->edns_do = ldns_pkt_edns_do(p);
	qy->udp_size = ldns_pkt_edns_udp_size(p);
	qy->edns_version = ldns_pkt_edns_version(p);
	ldns_pkt_free(p);
	return 0;
}

/* ---- the reply ------------------------------------------------------ */

enum {
	PART_QUESTION = 1U << 0,
	PART_ANSWER = 1U << 1,
	PART_OPT = 1U << 2,
	PART_TC = 1U << 3,
};

/* One form of the reply as wire bytes (malloc'd into *ret), or -ENOMEM. */
static int reply_wire(const struct query *qy, unsigned rcode,
		      const ldns_rr_list *an, unsigned parts, uint8_t **ret,
		      size_t *ret_len)
{
	ldns_pkt *p = ldns_pkt_new();
	ldns_rr *rr;
	size_t i, nan;
	int r = -ENOMEM;

	if (!p)
		return -ENOMEM;
	ldns_pkt_set_id(p, qy->id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_opcode(p, (ldns_pkt_opcode)qy->opcode);
	ldns_pkt_set_rd(p, qy->rd);
	ldns_pkt_set_cd(p, qy->cd);	/* RFC 4035 3.2.2 */
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_tc(p, (parts & PART_TC) != 0);
	ldns_pkt_set_rcode(p, rcode & 0xf);
	if ((parts & PART_QUESTION) && qy->question) {
		rr = ldns_rr_clone(qy->question);
		if (!rr || !ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, rr)) {
			ldns_rr_free(rr);
			goto out;
		}
	}
	nan = (parts & PART_ANSWER) && an ? ldns_rr_list_rr_count(an) : 0;
	for (i = 0; i < nan; i++) {
		rr = ldns_rr_clone(ldns_rr_list_rr(an, i));
		if (!rr || !ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr)) {
			ldns_rr_free(rr);
			goto out;
		}
	}
	if (parts & PART_OPT) {
		ldns_pkt_set_edns_udp_size(p, DNS_EDNS_SIZE);
		ldns_pkt_set_edns_version(p, 0);
		ldns_pkt_set_edns_extended_rcode(p, (uint8_t)(rcode >> 4));
		ldns_pkt_set_edns_do(p, qy->edns_do);	/* RFC 3225 3 */
	}
	if (ldns_pkt2wire(ret, p, ret_len) == LDNS_STATUS_OK)
		r = 0;
out:
	ldns_pkt_free(p);
	return r;
}

/* Writes the largest form of the reply that fits: everything; else
 * without answers and with TC; then, for a reply without answers, which
 * must not outgrow the query, without the question and last without the
 * OPT (a header alone is never longer than a query). 0 when nothing fits
 * (an out buffer smaller than a header) or on ENOMEM. */
static size_t reply_encode(const struct query *qy, unsigned rcode,
			   const ldns_rr_list *an, size_t limit, size_t qlen,
			   uint8_t *out)
{
	unsigned opt = qy->edns ? PART_OPT : 0, tc = 0;
	unsigned forms[4], nforms = 0, k;
	size_t n = 0, lim;
	uint8_t *w = NULL;

	if (an && ldns_rr_list_rr_count(an)) {
		forms[nforms++] = PART_QUESTION | PART_ANSWER | opt;
		tc = PART_TC;
	}
	forms[nforms++] = PART_QUESTION | opt | tc;
	forms[nforms++] = opt | tc;
	/* BADVERS lives in the OPT; the query had one, so this form fits. */
	if (rcode != RCODE_BADVERS)
		forms[nforms++] = tc;
	for (k = 0; k < nforms; k++) {
		lim = forms[k] & PART_ANSWER ? limit :
			limit < qlen ? limit : qlen;
		if (reply_wire(qy, rcode, an, forms[k], &w, &n))
			return 0;
		if (n <= lim) {
			memcpy(out, w, n);
			free(w);
			return n;
		}
		free(w);
	}
	return 0;
}

static ldns_rr *answer_rr(const ldns_rr *question, ldns_rr_type type,
			  ldns_rdf *rdata)
{
	ldns_rdf *owner = ldns_rdf_clone(ldns_rr_owner(question));
	ldns_rr *rr = ldns_rr_new();

	if (!rr || !owner || !rdata || !ldns_rr_push_rdf(rr, rdata)) {
		ldns_rr_free(rr);
		ldns_rdf_deep_free(owner);
		ldns_rdf_deep_free(rdata);
		return NULL;
	}
	/* The owner is the question's name, in the querier's letter case
	 * (DNS 0x20 clients compare it). */
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, DNS_TTL);
	return rr;
}

/* The answer records of rs for the question's type: all of them for the
 * set's type or ANY, none (NODATA) for any other type. */
static ldns_rr_list *answers(const ldns_rr *question, const struct rrset *rs)
{
	ldns_rr_type qt = ldns_rr_get_type(question);
	ldns_rr_list *l = ldns_rr_list_new();
	char target[DNS_NAME_MAX + 1];
	ldns_rr *rr;
	size_t i;

	if (!l)
		return NULL;
	if (!rs->exists || (qt != rs->type && qt != LDNS_RR_TYPE_ANY))
		return l;
	if (rs->type == LDNS_RR_TYPE_PTR) {
		snprintf(target, sizeof(target), "%s.", rs->ptr);
		rr = answer_rr(question, LDNS_RR_TYPE_PTR,
			       ldns_dname_new_frm_str(target));
		if (!rr || !ldns_rr_list_push_rr(l, rr))
			goto fail_rr;
		return l;
	}
	for (i = 0; i < rs->n; i++) {
		uint8_t a[4] = { rs->ips[i] >> 24, rs->ips[i] >> 16,
				 rs->ips[i] >> 8, rs->ips[i] };

		rr = answer_rr(question, LDNS_RR_TYPE_A,
			       ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, a));
		if (!rr || !ldns_rr_list_push_rr(l, rr))
			goto fail_rr;
	}
	return l;
fail_rr:
	ldns_rr_free(rr);
	ldns_rr_list_deep_free(l);
	return NULL;
}

size_t dns_answer(const struct lab *lab, const struct vpc *vpc,
		  const uint8_t *q, size_t qlen, bool tcp, uint8_t *out,
		  size_t outcap)
{
	struct query qy = { 0 };
	struct rrset rs = { 0 };
	ldns_rr_list *an = NULL;
	char qname[DNS_NAME_MAX];
	size_t limit, n = 0;
	unsigned rcode;

	if (!lab || !q || !out || qlen < HDR_LEN || (q[2] & 0x80))
		return 0;
	/* with DNS support off the resolver is not there at all. */
	if (vpc && !vpc->dns_support)
		return 0;
	if (query_parse(&qy, q, qlen))
		goto out;

	if (tcp)
		limit = TCP_MAX;
	else if (!qy.edns || qy.udp_size <= DNS_UDP_MIN)
		limit = DNS_UDP_MIN;
	else
		limit = qy.udp_size < DNS_EDNS_SIZE ? qy.udp_size :
						      DNS_EDNS_SIZE;
	if (limit > outcap)
		limit = outcap;

	if (qy.opcode != OPCODE_QUERY)
		rcode = LDNS_RCODE_NOTIMPL;
	else if (!qy.parsed)
		rcode = LDNS_RCODE_FORMERR;
	else if (qy.edns && qy.edns_version != 0)
		rcode = RCODE_BADVERS;	/* RFC 6891 6.1.3 */
	else if (ldns_rr_get_class(qy.question) != LDNS_RR_CLASS_IN)
		rcode = LDNS_RCODE_REFUSED;
	else {
		if (!qname_text(ldns_rr_owner(qy.question), qname,
				sizeof(qname)) &&
		    lookup(lab, vpc, qname, &rs))
			goto out;
		rcode = rs.exists ? LDNS_RCODE_NOERROR : LDNS_RCODE_NXDOMAIN;
		an = answers(qy.question, &rs);
		if (!an)
			goto out;
	}
	n = reply_encode(&qy, rcode, an, limit, qlen, out);
out:
	ldns_rr_list_deep_free(an);
	ldns_rr_free(qy.question);
	free(rs.ips);
	return n;
}
