/* test_dns.c - dns_answer and the name builders: every resolver rule with
 * a twin that fails when the rule is gone. Queries are built with ldns,
 * replies parsed with ldns, labs taken through the real parser and model
 * (and the checker where the lab is valid AWS). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h> /* before ldns, which else defines its own bool */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "vpcemu/dns.h"
#include "vpcemu/model.h"
#include "vpcemu/util.h"

#include "helpers.h"

/* Tokyo: A peered with B (A lets B see its private IPs behind public
 * names), C alone, N without DNS hostnames, Off without DNS support, G in
 * non-RFC 1918 space; E in us-east-1. */
static const char lab_text[] =
	"lab dnst\n"
	"region ap-northeast-1\n"
	"vpc VPC-A { cidr 10.1.0.0/16; dns-hostnames yes }\n"
	"vpc VPC-B { cidr 10.2.0.0/16; dns-hostnames yes }\n"
	"vpc VPC-C { cidr 10.3.0.0/16; dns-hostnames yes }\n"
	"vpc VPC-N { cidr 10.4.0.0/16 }\n"
	"vpc VPC-Off { cidr 10.5.0.0/16; dns-support no; account 222222222222 }\n"
	"vpc VPC-G { cidr 100.64.0.0/16; dns-hostnames yes\n"
	"    account 222222222222 }\n"
	"vpc VPC-E { cidr 10.6.0.0/16; dns-hostnames yes; region us-east-1 }\n"
	"subnet A1 { vpc VPC-A; cidr 10.1.1.0/24; az ap-northeast-1a }\n"
	"subnet A2 { vpc VPC-A; cidr 10.1.2.0/24; az ap-northeast-1c }\n"
	"subnet B1 { vpc VPC-B; cidr 10.2.1.0/24 }\n"
	"subnet C1 { vpc VPC-C; cidr 10.3.1.0/24 }\n"
	"subnet N1 { vpc VPC-N; cidr 10.4.1.0/24 }\n"
	"subnet Off1 { vpc VPC-Off; cidr 10.5.1.0/24 }\n"
	"subnet G1 { vpc VPC-G; cidr 100.64.1.0/24 }\n"
	"subnet E1 { vpc VPC-E; cidr 10.6.1.0/24; az us-east-1a }\n"
	"peering AB { requester VPC-A; accepter VPC-B\n"
	"    requester-allows-remote-dns yes }\n"
	"peering BC { requester VPC-B; accepter VPC-C }\n"
	"endpoint VPCE-ssm { vpc VPC-A; service ssm; subnets A1 A2 }\n"
	"endpoint VPCE-msg { vpc VPC-A; service ssmmessages; subnets A1\n"
	"    private-dns no }\n"
	"endpoint VPCE-s3 { vpc VPC-A; service s3 }\n"
	"instance EC2-A { subnet A1; private-ip 10.1.1.10; public-ip yes }\n"
	"instance EC2-B { subnet B1; private-ip 10.2.1.10; public-ip yes }\n"
	"instance EC2-C { subnet C1; private-ip 10.3.1.10 }\n"
	"instance EC2-N { subnet N1; private-ip 10.4.1.10; public-ip yes }\n"
	"instance EC2-Off { subnet Off1; private-ip 10.5.1.10 }\n"
	"instance EC2-G { subnet G1; private-ip 100.64.1.10 }\n"
	"instance EC2-E { subnet E1; private-ip 10.6.1.10; public-ip yes }\n";

static struct test_lab tl;

static void dns_init(void)
{
	test_lab_text(&tl, "dns.conf", lab_text, NULL,
		      TEST_LAB_CHECK | TEST_LAB_CLEAN);
}

static void dns_fini(void)
{
	test_lab_free(&tl);
}

TestSuite(dns, .init = dns_init, .fini = dns_fini);

static void *find(enum res_kind k, const char *name)
{
	struct res *r = model_find(tl.lab, k, name);

	cr_assert_not_null(r, "no %s %s", res_kind_name(k), name);
	return r;
}

/* Asked from INTERNET: the resolver of the lab's internet. */
#define INTERNET "(internet)"

static struct vpc *vpc_of(const char *name)
{
	return strcmp(name, INTERNET) ? find(RES_VPC, name) : NULL;
}

/* What to put in a query beyond name, type and class IN. */
struct qopt {
	uint16_t id;
	bool no_rd;
	ldns_rr_class cls;  /* 0: IN */
	uint16_t edns_size; /* 0: no OPT */
	uint8_t edns_version;
};

/* The wire bytes of a query, malloc'd into *ret. */
static size_t make_query(const char *name, ldns_rr_type type,
			 const struct qopt *o, uint8_t **ret)
{
	ldns_pkt *p;
	size_t n;

	cr_assert_eq(
	    ldns_pkt_query_new_frm_str(&p, name, type,
				       o && o->cls ? o->cls : LDNS_RR_CLASS_IN,
				       o && o->no_rd ? 0 : LDNS_RD),
	    LDNS_STATUS_OK, "bad test name %s", name);
	ldns_pkt_set_id(p, o && o->id ? o->id : 0x1234);
	if (o && o->edns_size) {
		ldns_pkt_set_edns_udp_size(p, o->edns_size);
		ldns_pkt_set_edns_version(p, o->edns_version);
	}
	cr_assert_eq(ldns_pkt2wire(ret, p, &n), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return n;
}

static uint8_t reply_buf[65536];
static size_t reply_len;

/* Asks the resolver of VPC vpc; returns the parsed reply (NULL when
 * nothing was sent), the bytes stay in reply_buf. */
static ldns_pkt *ask_opt(const char *vpc, const char *name, ldns_rr_type type,
			 const struct qopt *o, bool tcp, size_t outcap)
{
	ldns_pkt *r = NULL;
	uint8_t *q;
	size_t qlen;

	qlen = make_query(name, type, o, &q);
	reply_len =
	    dns_answer(tl.lab, vpc_of(vpc), q, qlen, tcp, reply_buf, outcap);
	free(q);
	if (!reply_len)
		return NULL;
	cr_assert_eq(ldns_wire2pkt(&r, reply_buf, reply_len), LDNS_STATUS_OK,
		     "reply to %s does not parse", name);
	return r;
}

static ldns_pkt *ask(const char *vpc, const char *name, ldns_rr_type type)
{
	ldns_pkt *r = ask_opt(vpc, name, type, NULL, false, sizeof(reply_buf));

	cr_assert_not_null(r, "no reply to %s from %s", name, vpc);
	return r;
}

static uint32_t answer_ip(const ldns_pkt *r, size_t i)
{
	const ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(r), i);
	const uint8_t *d;

	cr_assert_not_null(rr);
	cr_assert_eq(ldns_rr_get_type(rr), LDNS_RR_TYPE_A);
	cr_assert_eq(ldns_rr_ttl(rr), DNS_TTL);
	cr_assert_eq(ldns_rdf_size(ldns_rr_rdf(rr, 0)), 4);
	d = ldns_rdf_data(ldns_rr_rdf(rr, 0));
	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
	       (uint32_t)d[2] << 8 | d[3];
}

static size_t nanswers(const ldns_pkt *r)
{
	return ldns_rr_list_rr_count(ldns_pkt_answer(r));
}

/* name resolves from vpc to exactly the one IP want. */
static void expect_a(const char *vpc, const char *name, const char *want)
{
	ldns_pkt *r = ask(vpc, name, LDNS_RR_TYPE_A);
	char got[16];
	uint32_t ip;

	cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR,
		     "%s from %s: rcode %d", name, vpc, ldns_pkt_get_rcode(r));
	cr_assert_eq(nanswers(r), 1, "%s from %s: %zu answers", name, vpc,
		     nanswers(r));
	cr_assert_eq(ip_parse(want, &ip), 0);
	cr_expect_eq(answer_ip(r, 0), ip, "%s from %s: %s, not %s", name, vpc,
		     ip_fmt(answer_ip(r, 0), got), want);
	ldns_pkt_free(r);
}

static void expect_rcode(const char *vpc, const char *name, ldns_rr_type type,
			 ldns_pkt_rcode want)
{
	ldns_pkt *r = ask(vpc, name, type);

	cr_expect_eq(ldns_pkt_get_rcode(r), want,
		     "%s from %s: rcode %d, not %d", name, vpc,
		     ldns_pkt_get_rcode(r), want);
	cr_expect_eq(nanswers(r), 0, "%s from %s: answers", name, vpc);
	ldns_pkt_free(r);
}

static void expect_nx(const char *vpc, const char *name)
{
	expect_rcode(vpc, name, LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);
}

/* The public name of an instance, as dns_public_hostname gives it. */
static const char *pub_name(const char *inst, char *buf)
{
	cr_assert_eq(
	    dns_public_hostname(find(RES_INSTANCE, inst), buf, DNS_NAME_MAX), 0,
		"%s has no public name", inst);
	return buf;
}

static const char *pub_ip(const char *inst, char *buf)
{
	struct instance *in = find(RES_INSTANCE, inst);

	return ip_fmt(in->public_ipv4, buf);
}

/* ---- names ---- */

Test(dns, private_hostnames)
{
	char buf[DNS_NAME_MAX];

	cr_assert_eq(
	    dns_private_hostname(tl.lab, NULL, 0x0a01010a, buf, sizeof(buf)),
	    0);
	cr_expect_str_eq(buf, "ip-10-1-1-10.ap-northeast-1.compute.internal");
	cr_assert_eq(dns_private_hostname(tl.lab, "us-east-1", 0x0a01010a, buf,
					  sizeof(buf)),
		     0);
	cr_expect_str_eq(buf, "ip-10-1-1-10.ec2.internal");
	cr_expect_eq(
	    dns_private_hostname(tl.lab, "us-east-1", 0x0a01010a, buf, 10),
	    -ENOSPC);
	cr_assert_eq(dns_instance_hostname(find(RES_INSTANCE, "EC2-E"), buf,
					   sizeof(buf)),
		     0);
	cr_expect_str_eq(buf + 19, ".ec2.internal", "%s", buf);
	cr_expect_eq(strncmp(buf, "i-", 2), 0, "%s", buf);
	cr_expect_str_eq(dns_search_domain("us-east-1", buf, sizeof(buf)),
			 "ec2.internal");
	cr_expect_str_eq(dns_search_domain("eu-west-3", buf, sizeof(buf)),
			 "eu-west-3.compute.internal");
	cr_expect_null(dns_search_domain("eu-west-3", buf, 8));
}

Test(dns, public_hostnames)
{
	char buf[DNS_NAME_MAX], want[DNS_NAME_MAX], ip[16];
	struct instance *in;
	size_t i;

	in = find(RES_INSTANCE, "EC2-A");
	pub_ip("EC2-A", ip);
	for (i = 0; ip[i]; i++)
		if (ip[i] == '.')
			ip[i] = '-';
	snprintf(want, sizeof(want),
		 "ec2-%s.ap-northeast-1.compute.amazonaws.com", ip);
	cr_assert_eq(dns_public_hostname(in, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, want);
	cr_assert_eq(
	    dns_public_hostname(find(RES_INSTANCE, "EC2-E"), buf, sizeof(buf)),
	    0);
	cr_expect_str_eq(strchr(buf, '.'), ".compute-1.amazonaws.com", "%s",
			 buf);
	/* no public IP, or no DNS hostnames: no public name. */
	cr_expect_eq(
	    dns_public_hostname(find(RES_INSTANCE, "EC2-C"), buf, sizeof(buf)),
	    -ENOENT);
	cr_expect_eq(
	    dns_public_hostname(find(RES_INSTANCE, "EC2-N"), buf, sizeof(buf)),
	    -ENOENT);
}

Test(dns, endpoint_names)
{
	struct endpoint *e = find(RES_ENDPOINT, "VPCE-ssm");
	char buf[DNS_NAME_MAX], again[DNS_NAME_MAX], want[DNS_NAME_MAX];
	size_t i;

	cr_assert_eq(dns_service_name(e, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "ssm.ap-northeast-1.amazonaws.com");
	cr_assert_eq(dns_endpoint_name(e, NULL, buf, sizeof(buf)), 0);
	/* vpce-<17 hex>-<8 lower-case alphanumerics>.ssm.REGION.vpce... */
	cr_assert_eq(strlen(buf),
		     strlen(e->r.id) + 9 +
			 strlen(".ssm.ap-northeast-1.vpce.amazonaws.com"),
		     "%s", buf);
	cr_expect_eq(strncmp(buf, e->r.id, strlen(e->r.id)), 0, "%s", buf);
	cr_expect_eq(buf[strlen(e->r.id)], '-');
	for (i = strlen(e->r.id) + 1; i < strlen(e->r.id) + 9; i++)
		cr_expect((buf[i] >= 'a' && buf[i] <= 'z') ||
			      (buf[i] >= '0' && buf[i] <= '9'),
			  "%s", buf);
	cr_expect_str_eq(buf + strlen(e->r.id) + 9,
			 ".ssm.ap-northeast-1.vpce.amazonaws.com");
	/* Stable, and the AZ form inserts "-AZ" after the suffix. */
	cr_assert_eq(dns_endpoint_name(e, NULL, again, sizeof(again)), 0);
	cr_expect_str_eq(buf, again);
	snprintf(want, sizeof(want), "%.*s-ap-northeast-1a%s",
		 (int)(strlen(e->r.id) + 9), buf, buf + strlen(e->r.id) + 9);
	cr_assert_eq(
	    dns_endpoint_name(e, "ap-northeast-1a", again, sizeof(again)), 0);
	cr_expect_str_eq(again, want);
	/* Another endpoint, another suffix. */
	cr_assert_eq(dns_endpoint_name(find(RES_ENDPOINT, "VPCE-msg"), NULL,
				       again, sizeof(again)),
		     0);
	cr_expect_neq(memcmp(buf + strlen(e->r.id), again + strlen(e->r.id), 9),
		      0, "%s %s", buf, again);
	cr_expect_eq(dns_endpoint_name(e, NULL, buf, 20), -ENOSPC);
}

/* ---- private hostnames (R-12.4, R-12.5) ---- */

Test(dns, ip_name_own_vpc)
{
	expect_a("VPC-A", "ip-10-1-1-10.ap-northeast-1.compute.internal",
		 "10.1.1.10");
	expect_a("VPC-A", "ip-10-1-1-10.ap-northeast-1.compute.internal.",
		 "10.1.1.10");
	/* No ENI has that IP. */
	expect_nx("VPC-A", "ip-10-1-1-99.ap-northeast-1.compute.internal");
	/* Not the dashed form AWS writes. */
	expect_nx("VPC-A", "ip-10-1-1-010.ap-northeast-1.compute.internal");
	expect_nx("VPC-A", "ip-10.1.1.10.ap-northeast-1.compute.internal");
}

Test(dns, ip_name_endpoint_eni)
{
	struct endpoint *e = find(RES_ENDPOINT, "VPCE-ssm");
	char name[DNS_NAME_MAX], ip[16];

	cr_assert_eq(dns_private_hostname(tl.lab, "ap-northeast-1",
					  e->enis[0]->ip, name, sizeof(name)),
		     0);
	expect_a("VPC-A", name, ip_fmt(e->enis[0]->ip, ip));
}

Test(dns, ip_name_other_vpc)
{
	/* RFC 1918, same region: answered, peered or not. */
	expect_a("VPC-A", "ip-10-3-1-10.ap-northeast-1.compute.internal",
		 "10.3.1.10");
	expect_a("VPC-A", "ip-10-4-1-10.ap-northeast-1.compute.internal",
		 "10.4.1.10");
	/* Outside RFC 1918: only its own VPC knows it. */
	expect_a("VPC-G", "ip-100-64-1-10.ap-northeast-1.compute.internal",
		 "100.64.1.10");
	expect_nx("VPC-A", "ip-100-64-1-10.ap-northeast-1.compute.internal");
	/* Another region: neither its domain nor ours. */
	expect_nx("VPC-A", "ip-10-6-1-10.ec2.internal");
	expect_nx("VPC-A", "ip-10-6-1-10.ap-northeast-1.compute.internal");
	expect_a("VPC-E", "ip-10-6-1-10.ec2.internal", "10.6.1.10");
	/* The region must match the name's domain. */
	expect_nx("VPC-E", "ip-10-6-1-10.us-east-1.compute.internal");
}

Test(dns, dns_hostnames_off)
{
	/* the guide answers private names only with both DNS
	 * attributes; VPC-N has no hostnames, even for its own instance. */
	expect_nx("VPC-N", "ip-10-4-1-10.ap-northeast-1.compute.internal");
	expect_nx("VPC-N", "ip-10-1-1-10.ap-northeast-1.compute.internal");
	expect_rcode("VPC-N", "10.1.4.10.in-addr.arpa", LDNS_RR_TYPE_PTR,
		     LDNS_RCODE_NXDOMAIN);
	expect_a("VPC-A", "ip-10-4-1-10.ap-northeast-1.compute.internal",
		 "10.4.1.10");
}

Test(dns, dns_support_off)
{
	/* no resolver at all, so no reply. */
	cr_expect_null(ask_opt("VPC-Off",
			       "ip-10-5-1-10.ap-northeast-1.compute.internal",
			       LDNS_RR_TYPE_A, NULL, false, sizeof(reply_buf)));
	cr_expect_eq(reply_len, 0);
	cr_expect_null(ask_opt("VPC-Off", "example.com", LDNS_RR_TYPE_A, NULL,
			       true, sizeof(reply_buf)));
}

Test(dns, instance_id_name)
{
	struct instance *a = find(RES_INSTANCE, "EC2-A");
	struct instance *e = find(RES_INSTANCE, "EC2-E");
	struct instance *ep = find(RES_INSTANCE, "EC2-C");
	char name[DNS_NAME_MAX];

	snprintf(name, sizeof(name), "%s.ap-northeast-1.compute.internal",
		 a->r.id);
	expect_a("VPC-A", name, "10.1.1.10");
	/* Resource names do not cross VPCs, not even a peering. */
	expect_nx("VPC-B", name);
	snprintf(name, sizeof(name), "%s.ec2.internal", e->r.id);
	expect_a("VPC-E", name, "10.6.1.10");
	snprintf(name, sizeof(name), "%s.ap-northeast-1.compute.internal",
		 ep->r.id);
	expect_nx("VPC-A", name);
	expect_a("VPC-C", name, "10.3.1.10");
	/* Instances only: an endpoint ENI's ID names nothing. */
	snprintf(
	    name, sizeof(name), "%s.ap-northeast-1.compute.internal",
	    ((struct endpoint *)find(RES_ENDPOINT, "VPCE-ssm"))->enis[0]->r.id);
	expect_nx("VPC-A", name);
}

Test(dns, ptr)
{
	ldns_pkt *r = ask("VPC-A", "10.1.1.10.in-addr.arpa", LDNS_RR_TYPE_PTR);
	const ldns_rr *rr;
	char *s;

	cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	cr_assert_eq(nanswers(r), 1);
	rr = ldns_rr_list_rr(ldns_pkt_answer(r), 0);
	cr_assert_eq(ldns_rr_get_type(rr), LDNS_RR_TYPE_PTR);
	cr_expect_eq(ldns_rr_ttl(rr), DNS_TTL);
	s = ldns_rdf2str(ldns_rr_rdf(rr, 0));
	cr_expect_str_eq(s, "ip-10-1-1-10.ap-northeast-1.compute.internal.");
	free(s);
	ldns_pkt_free(r);
	/* Another VPC's RFC 1918 IP: named in the querier's domain. */
	r = ask("VPC-A", "10.1.3.10.in-addr.arpa", LDNS_RR_TYPE_PTR);
	cr_assert_eq(nanswers(r), 1);
	ldns_pkt_free(r);
	expect_rcode("VPC-A", "99.1.1.10.in-addr.arpa", LDNS_RR_TYPE_PTR,
		     LDNS_RCODE_NXDOMAIN);
	expect_rcode("VPC-A", "10.1.64.100.in-addr.arpa", LDNS_RR_TYPE_PTR,
		     LDNS_RCODE_NXDOMAIN);
	/* The name exists, but holds no A record. */
	expect_rcode("VPC-A", "10.1.1.10.in-addr.arpa", LDNS_RR_TYPE_A,
		     LDNS_RCODE_NOERROR);
}

Test(dns, nodata)
{
	static const char name[] =
		"ip-10-1-1-10.ap-northeast-1.compute.internal";
	ldns_pkt *r;

	expect_rcode("VPC-A", name, LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	expect_rcode("VPC-A", name, LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR);
	expect_rcode("VPC-A", "ssm.ap-northeast-1.amazonaws.com",
		     LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	/* A name that does not exist has no AAAA either. */
	expect_rcode("VPC-A", "ip-10-1-1-99.ap-northeast-1.compute.internal",
		     LDNS_RR_TYPE_AAAA, LDNS_RCODE_NXDOMAIN);
	/* ANY gets what there is. */
	r = ask("VPC-A", name, LDNS_RR_TYPE_ANY);
	cr_expect_eq(nanswers(r), 1);
	ldns_pkt_free(r);
}

Test(dns, letter_case_kept)
{
	static const char name[] =
		"Ip-10-1-1-10.AP-northeast-1.CoMpUtE.internal";
	ldns_pkt *r = ask("VPC-A", name, LDNS_RR_TYPE_A);
	uint8_t *q;
	size_t qlen;
	char *s;

	cr_assert_eq(nanswers(r), 1);
	s = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(r), 0)));
	cr_expect_str_eq(s, "Ip-10-1-1-10.AP-northeast-1.CoMpUtE.internal.");
	free(s);
	ldns_pkt_free(r);
	/* The question comes back byte for byte. */
	qlen = make_query(name, LDNS_RR_TYPE_A, NULL, &q);
	cr_assert_geq(reply_len, qlen);
	cr_expect_eq(memcmp(reply_buf + 12, q + 12, qlen - 12), 0);
	free(q);
}

/* ---- endpoints (R-10.4 to) ---- */

Test(dns, endpoint_private_dns)
{
	struct endpoint *e = find(RES_ENDPOINT, "VPCE-ssm");
	ldns_pkt *r =
	    ask("VPC-A", "ssm.ap-northeast-1.amazonaws.com", LDNS_RR_TYPE_A);

	cr_assert_eq(e->nenis, 2);
	cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	cr_assert_eq(nanswers(r), 2);
	cr_expect_eq(answer_ip(r, 0), e->enis[0]->ip);
	cr_expect_eq(answer_ip(r, 1), e->enis[1]->ip);
	ldns_pkt_free(r);
	expect_nx("VPC-A", "ssm.us-east-1.amazonaws.com");
	/* only inside the endpoint's VPC, not across the peering. */
	expect_nx("VPC-B", "ssm.ap-northeast-1.amazonaws.com");
	expect_nx("VPC-C", "ssm.ap-northeast-1.amazonaws.com");
	/* Private DNS off: the public name, which a lab has not. */
	expect_nx("VPC-A", "ssmmessages.ap-northeast-1.amazonaws.com");
}

/* The emulated regional services answer under their public names in the
 * VPC's region (and S3 under its global and bucket names), endpoint or
 * not: gateway endpoints add routes, not names. */
Test(dns, regional_service_names)
{
	expect_a("VPC-A", "s3.ap-northeast-1.amazonaws.com", "52.216.0.10");
	expect_a("VPC-A", "my-bucket.s3.ap-northeast-1.amazonaws.com",
		 "52.216.0.10");
	expect_a("VPC-A", "S3.amazonaws.com", "52.216.0.10");
	expect_a("VPC-A", "s3-ap-northeast-1.amazonaws.com", "52.216.0.10");
	expect_a("VPC-A", "a.b.s3.amazonaws.com", "52.216.0.10");
	expect_a("VPC-A", "dynamodb.ap-northeast-1.amazonaws.com",
		 "52.94.0.10");
	/* Another region's names, look-alikes and sub-names DynamoDB has
	 * not: not ours. */
	expect_nx("VPC-A", "s3.eu-west-1.amazonaws.com");
	expect_nx("VPC-A", "dynamodb.eu-west-1.amazonaws.com");
	expect_nx("VPC-A", "xs3.amazonaws.com");
	expect_nx("VPC-A", "b.s3-ap-northeast-1.amazonaws.com");
	expect_nx("VPC-A", "x.dynamodb.ap-northeast-1.amazonaws.com");
	expect_nx("VPC-A", "ssm.ap-northeast-1.amazonaws.com.s3");
}

Test(dns, gateway_endpoint_has_no_names)
{
	struct endpoint *e = find(RES_ENDPOINT, "VPCE-s3");
	char name[DNS_NAME_MAX];

	cr_assert_eq(e->type, ENDPOINT_GATEWAY);
	cr_assert_eq(dns_endpoint_name(e, NULL, name, sizeof(name)), 0);
	expect_nx("VPC-A", name);
}

Test(dns, endpoint_specific_names)
{
	struct endpoint *e = find(RES_ENDPOINT, "VPCE-ssm");
	struct endpoint *m = find(RES_ENDPOINT, "VPCE-msg");
	char name[DNS_NAME_MAX], ip[16];
	static const char *const vpcs[] = {"VPC-A", "VPC-B", "VPC-C", "VPC-E",
					   "VPC-N"};
	ldns_pkt *r;
	size_t i;

	cr_assert_eq(dns_endpoint_name(e, NULL, name, sizeof(name)), 0);
	/* from anywhere. */
	for (i = 0; i < sizeof(vpcs) / sizeof(vpcs[0]); i++) {
		r = ask(vpcs[i], name, LDNS_RR_TYPE_A);
		cr_expect_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR, "%s",
			     vpcs[i]);
		cr_expect_eq(nanswers(r), 2, "%s", vpcs[i]);
		ldns_pkt_free(r);
	}
	/* The zonal name: the ENI of that AZ only. */
	cr_assert_eq(
	    dns_endpoint_name(e, "ap-northeast-1c", name, sizeof(name)), 0);
	expect_a("VPC-B", name, ip_fmt(e->enis[1]->ip, ip));
	cr_assert_eq(
	    dns_endpoint_name(e, "ap-northeast-1d", name, sizeof(name)), 0);
	expect_nx("VPC-B", name);
	/* With private DNS off, the endpoint's own names still work. */
	cr_assert_eq(dns_endpoint_name(m, NULL, name, sizeof(name)), 0);
	expect_a("VPC-C", name, ip_fmt(m->enis[0]->ip, ip));
	/* A wrong suffix is no name. */
	cr_assert_eq(dns_endpoint_name(e, NULL, name, sizeof(name)), 0);
	name[strlen(e->r.id) + 1] =
	    name[strlen(e->r.id) + 1] == 'x' ? 'y' : 'x';
	expect_nx("VPC-A", name);
}

/* ---- public hostnames (R-12.6, R-6.15) ---- */

Test(dns, public_hostname_views)
{
	char name[DNS_NAME_MAX], ip[16];

	pub_name("EC2-A", name);
	/* Inside: the private IP. */
	expect_a("VPC-A", name, "10.1.1.10");
	/* Peered, and A's side lets the peer resolve it privately. */
	expect_a("VPC-B", name, "10.1.1.10");
	/* Not peered with A: the public IP. */
	expect_a("VPC-C", name, pub_ip("EC2-A", ip));
	expect_a("VPC-E", name, pub_ip("EC2-A", ip));

	pub_name("EC2-B", name);
	expect_a("VPC-B", name, "10.2.1.10");
	/* Peered, but B (the accepter) does not allow remote DNS. */
	expect_a("VPC-A", name, pub_ip("EC2-B", ip));
	/* Peered with B, no option on either side. */
	expect_a("VPC-C", name, pub_ip("EC2-B", ip));

	pub_name("EC2-E", name);
	expect_a("VPC-E", name, "10.6.1.10");
	expect_a("VPC-A", name, pub_ip("EC2-E", ip));
}

/* The internet's resolver (the lab's hosts use it): public names to
 * public IPs, the regional services in the lab's region, and
 * nothing private. */
Test(dns, internet_view)
{
	char name[DNS_NAME_MAX], ip[16];

	pub_name("EC2-A", name);
	expect_a(INTERNET, name, pub_ip("EC2-A", ip));
	expect_a(INTERNET, "s3.ap-northeast-1.amazonaws.com", "52.216.0.10");
	expect_nx(INTERNET, "s3.us-east-1.amazonaws.com");
	expect_nx(INTERNET, "ip-10-1-1-10.ap-northeast-1.compute.internal");
	/* The service's own name is private DNS, inside its VPC only. */
	expect_nx(INTERNET, "ssm.ap-northeast-1.amazonaws.com");
}

Test(dns, public_hostname_needs_dns_hostnames)
{
	struct instance *in = find(RES_INSTANCE, "EC2-N");
	char name[DNS_NAME_MAX], ip[16];
	size_t i;

	cr_assert_neq(in->public_ipv4, 0);
	ip_fmt(in->public_ipv4, ip);
	for (i = 0; ip[i]; i++)
		if (ip[i] == '.')
			ip[i] = '-';
	snprintf(name, sizeof(name),
		 "ec2-%s.ap-northeast-1.compute.amazonaws.com", ip);
	expect_nx("VPC-N", name);
	expect_nx("VPC-A", name);
	/* The wrong region's form of a real name. */
	pub_name("EC2-A", name);
	strcpy(strstr(name, "ap-northeast-1"),
	       "eu-west-1.compute.amazonaws.com");
	expect_nx("VPC-A", name);
}

/* Remote DNS works only on an active peering, and on the accepter's side
 * when the accepter allows it. Check refuses the option on a pending
 * peering, so this lab goes through the model only. */
Test(dns, public_hostname_peering_state)
{
	static const char text[] =
		"region eu-west-1\n"
		"vpc V1 { cidr 10.1.0.0/16; dns-hostnames yes }\n"
		"vpc V2 { cidr 10.2.0.0/16; dns-hostnames yes }\n"
		"vpc V3 { cidr 10.3.0.0/16; dns-hostnames yes }\n"
		"subnet S1 { vpc V1; cidr 10.1.1.0/24 }\n"
		"subnet S2 { vpc V2; cidr 10.2.1.0/24 }\n"
		"subnet S3 { vpc V3; cidr 10.3.1.0/24 }\n"
		"peering P12 { requester V1; accepter V2; status "
		"pending-acceptance\n"
		"    requester-allows-remote-dns yes; accepter-allows-remote-dns "
		"yes }\n"
		"peering P31 { requester V3; accepter V1\n"
		"    accepter-allows-remote-dns yes }\n"
		"instance I1 { subnet S1; private-ip 10.1.1.10; public-ip yes }\n";
	struct test_lab t = { 0 };
	uint8_t *q;
	char name[DNS_NAME_MAX], pub[16];
	struct instance *in;
	ldns_pkt *r;
	size_t qlen, i;
	static const struct {
		const char *vpc;
		bool private_ip;
	} cases[] = {{"V1", true}, {"V2", false}, {"V3", true}};

	test_lab_text(&t, "state.conf", text, NULL, 0);
	in = (struct instance *)model_find(t.lab, RES_INSTANCE, "I1");
	cr_assert_not_null(in);
	cr_assert_eq(dns_public_hostname(in, name, sizeof(name)), 0);
	cr_expect_str_eq(strchr(name, '.'), ".eu-west-1.compute.amazonaws.com");
	qlen = make_query(name, LDNS_RR_TYPE_A, NULL, &q);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reply_len = dns_answer(
		    t.lab,
		    (struct vpc *)model_find(t.lab, RES_VPC, cases[i].vpc), q,
		    qlen, false, reply_buf, sizeof(reply_buf));
		cr_assert_eq(ldns_wire2pkt(&r, reply_buf, reply_len),
			     LDNS_STATUS_OK);
		cr_assert_eq(nanswers(r), 1, "%s", cases[i].vpc);
		cr_expect_eq(
		    answer_ip(r, 0),
		    cases[i].private_ip ? in->private_ip : in->public_ipv4,
		    "%s: %s", cases[i].vpc, ip_fmt(answer_ip(r, 0), pub));
		ldns_pkt_free(r);
	}
	free(q);
	test_lab_free(&t);
}

/* ---- everything else ---- */

Test(dns, outside_names)
{
	static const char *const names[] = {
		"example.com",
		"www.amazon.com",
		"localhost",
		"amazonaws.com",
		"compute.internal",
		"ap-northeast-1.compute.internal",
		"ec2.internal",
		"in-addr.arpa",
		".",
		"ip-10-1-1-10.ap-northeast-1.compute.internal.example.com",
		"x.ip-10-1-1-10.ap-northeast-1.compute.internal",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		expect_nx("VPC-A", names[i]);
}

/* ---- protocol ---- */

Test(dns, header)
{
	static const char name[] =
		"ip-10-1-1-10.ap-northeast-1.compute.internal";
	struct qopt o = {.id = 0xbeef};
	ldns_pkt *r;

	r = ask_opt("VPC-A", name, LDNS_RR_TYPE_A, &o, false,
		    sizeof(reply_buf));
	cr_assert_not_null(r);
	cr_expect_eq(ldns_pkt_id(r), 0xbeef);
	cr_expect(ldns_pkt_qr(r));
	cr_expect(ldns_pkt_rd(r));
	cr_expect(ldns_pkt_ra(r));
	cr_expect_not(ldns_pkt_aa(r));
	cr_expect_not(ldns_pkt_tc(r));
	cr_expect_eq(ldns_pkt_get_opcode(r), LDNS_PACKET_QUERY);
	cr_expect_eq(ldns_pkt_qdcount(r), 1);
	cr_expect_not(ldns_pkt_edns(r), "no OPT asked, none given");
	ldns_pkt_free(r);
	o.no_rd = true;
	r = ask_opt("VPC-A", name, LDNS_RR_TYPE_A, &o, false,
		    sizeof(reply_buf));
	cr_expect_not(ldns_pkt_rd(r));
	cr_expect_not(ldns_pkt_cd(r));
	ldns_pkt_free(r);
}

/* CD comes back as sent (RFC 4035 3.2.2); nothing else of the query's
 * flags does. */
Test(dns, checking_disabled_copied)
{
	uint8_t *q;
	size_t qlen = make_query("ip-10-1-1-10.ap-northeast-1.compute.internal",
				 LDNS_RR_TYPE_A, NULL, &q);
	ldns_pkt *r;

	q[2] |= 0x06;	     /* AA, TC */
	q[3] |= 0x10 | 0x20; /* CD, AD */
	reply_len = dns_answer(tl.lab, vpc_of("VPC-A"), q, qlen, false,
			       reply_buf, sizeof(reply_buf));
	cr_assert_eq(ldns_wire2pkt(&r, reply_buf, reply_len), LDNS_STATUS_OK);
	cr_expect(ldns_pkt_cd(r));
	cr_expect_not(ldns_pkt_ad(r));
	cr_expect_not(ldns_pkt_aa(r));
	cr_expect_not(ldns_pkt_tc(r));
	cr_expect_eq(ldns_pkt_get_opcode(r), LDNS_PACKET_QUERY);
	cr_expect_eq(nanswers(r), 1);
	ldns_pkt_free(r);
	free(q);
}

Test(dns, class_refused)
{
	struct qopt o = {.cls = LDNS_RR_CLASS_CH};
	ldns_pkt *r = ask_opt("VPC-A", "version.bind", LDNS_RR_TYPE_TXT, &o,
			      false, sizeof(reply_buf));

	cr_assert_not_null(r);
	cr_expect_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_REFUSED);
	ldns_pkt_free(r);
	/* The same name in IN: just not there. */
	expect_rcode("VPC-A", "version.bind", LDNS_RR_TYPE_TXT,
		     LDNS_RCODE_NXDOMAIN);
}

Test(dns, edns)
{
	static const char name[] = "ssm.ap-northeast-1.amazonaws.com";
	struct qopt o = {.edns_size = 4096};
	ldns_pkt *r;

	r = ask_opt("VPC-A", name, LDNS_RR_TYPE_A, &o, false,
		    sizeof(reply_buf));
	cr_assert_not_null(r);
	cr_expect(ldns_pkt_edns(r));
	cr_expect_eq(ldns_pkt_edns_udp_size(r), DNS_EDNS_SIZE);
	cr_expect_eq(ldns_pkt_edns_version(r), 0);
	cr_expect_eq(nanswers(r), 2);
	ldns_pkt_free(r);
	/* Without OPT in the query, none in the reply. */
	r = ask("VPC-A", name, LDNS_RR_TYPE_A);
	cr_expect_not(ldns_pkt_edns(r));
	ldns_pkt_free(r);
}

Test(dns, badvers)
{
	struct qopt o = {.edns_size = 1232, .edns_version = 1};
	uint8_t *q;
	size_t qlen = make_query("example.com", LDNS_RR_TYPE_A, &o, &q);
	ldns_pkt *r;

	free(q);
	r = ask_opt("VPC-A", "ip-10-1-1-10.ap-northeast-1.compute.internal",
		    LDNS_RR_TYPE_A, &o, false, sizeof(reply_buf));
	cr_assert_not_null(r);
	/* BADVERS is 16: 0 in the header, 1 in the OPT (RFC 6891 6.1.3). */
	cr_expect_eq(ldns_pkt_get_rcode(r), 0);
	cr_expect_eq(ldns_pkt_edns_extended_rcode(r), 1);
	cr_expect_eq(ldns_pkt_edns_version(r), 0);
	cr_expect_eq(nanswers(r), 0);
	ldns_pkt_free(r);
	r = ask_opt("VPC-A", "example.com", LDNS_RR_TYPE_A, &o, false,
		    sizeof(reply_buf));
	cr_expect_leq(reply_len, qlen, "%zu > %zu", reply_len, qlen);
	cr_expect_eq(ldns_pkt_edns_extended_rcode(r), 1);
	ldns_pkt_free(r);
	/* Version 0 is ours. */
	o.edns_version = 0;
	r = ask_opt("VPC-A", "example.com", LDNS_RR_TYPE_A, &o, false,
		    sizeof(reply_buf));
	cr_expect_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
	cr_expect_eq(ldns_pkt_edns_extended_rcode(r), 0);
	ldns_pkt_free(r);
}

/* Endpoints with an ENI in each of 40 and 80 subnets: 40 A records (640
 * bytes of answers: more than 512, less than 1232) and 80 (1280 bytes:
 * more than 1232). The model takes them; check would refuse more than one
 * subnet per AZ, so it does not run. */
static char *many_subnets_lab(void)
{
	struct strbuf b = { 0 };
	int i;

	sb_puts(&b, "region ap-northeast-1\n"
		    "vpc V { cidr 10.9.0.0/16; dns-hostnames yes }\n"
		    "endpoint E40 { vpc V; service ssm; subnets");
	for (i = 0; i < 40; i++)
		sb_printf(&b, " S%d", i);
	sb_puts(&b, " }\nendpoint E80 { vpc V; service ssmmessages; subnets");
	for (i = 0; i < 80; i++)
		sb_printf(&b, " S%d", i);
	sb_puts(&b, " }\n");
	for (i = 0; i < 80; i++)
		sb_printf(&b, "subnet S%d { vpc V; cidr 10.9.%d.0/24 }\n", i,
			  i);
	return sb_take(&b);
}

Test(dns, truncation)
{
	static const char n40[] = "ssm.ap-northeast-1.amazonaws.com";
	static const char n80[] = "ssmmessages.ap-northeast-1.amazonaws.com";
	char *text = many_subnets_lab();
	struct test_lab t = { 0 };
	const struct vpc *v;
	static const struct {
		const char *name;
		uint16_t edns; /* 0: no OPT */
		bool tcp;
		size_t outcap;
		size_t answers; /* 0: TC */
	} cases[] = {
	    {n40, 0, false, sizeof(reply_buf), 0}, /* 512 */
	    {n40, 512, false, sizeof(reply_buf), 0},
	    {n40, 1, false, sizeof(reply_buf), 0}, /* below 512: 512 */
	    {n40, 1232, false, sizeof(reply_buf), 40},
	    {n40, 4096, false, sizeof(reply_buf), 40},
	    {n40, 0, true, sizeof(reply_buf), 40},    /* TCP */
	    {n40, 4096, false, 600, 0},		      /* a small out buffer */
	    {n80, 4096, false, sizeof(reply_buf), 0}, /* capped at 1232 */
	    {n80, 65535, false, sizeof(reply_buf), 0},
	    {n80, 0, true, sizeof(reply_buf), 80},
	    {n80, 4096, true, sizeof(reply_buf), 80},
	};
	size_t i, qlen;
	ldns_pkt *r;
	uint8_t *q;

	cr_assert_not_null(text);
	test_lab_text(&t, "many.conf", text, NULL, 0);
	free(text);
	v = (struct vpc *)model_find(t.lab, RES_VPC, "V");
	cr_assert_eq(t.lab->endpoints[0]->nenis, 40);
	cr_assert_eq(t.lab->endpoints[1]->nenis, 80);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct qopt o = {.edns_size = cases[i].edns};

		qlen = make_query(cases[i].name, LDNS_RR_TYPE_A, &o, &q);
		reply_len = dns_answer(t.lab, v, q, qlen, cases[i].tcp,
				       reply_buf, cases[i].outcap);
		cr_assert_neq(reply_len, 0, "case %zu", i);
		cr_assert_eq(ldns_wire2pkt(&r, reply_buf, reply_len),
			     LDNS_STATUS_OK);
		cr_expect_eq(ldns_pkt_tc(r), !cases[i].answers, "case %zu", i);
		cr_expect_eq(nanswers(r), cases[i].answers, "case %zu", i);
		cr_expect_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
		cr_expect_eq(ldns_pkt_qdcount(r), 1);
		if (!cases[i].tcp)
			cr_expect_leq(reply_len,
				      cases[i].edns > 512 ? 1232 : 512,
				      "case %zu: %zu bytes", i, reply_len);
		if (!cases[i].answers)
			cr_expect_leq(reply_len, qlen, "case %zu: %zu > %zu", i,
				      reply_len, qlen);
		ldns_pkt_free(r);
		free(q);
	}
	test_lab_free(&t);
}

/* ---- malformed input: dropped, or an error no longer than the query ---- */

static size_t raw(const char *vpc, const uint8_t *q, size_t qlen)
{
	reply_len = dns_answer(tl.lab, vpc_of(vpc), q, qlen, false, reply_buf,
			       sizeof(reply_buf));
	cr_expect_leq(reply_len, qlen, "%zu-byte reply to %zu bytes", reply_len,
		      qlen);
	return reply_len;
}

static ldns_pkt *raw_reply(const uint8_t *q, size_t qlen, ldns_pkt_rcode want)
{
	ldns_pkt *r = NULL;

	cr_assert_neq(raw("VPC-A", q, qlen), 0);
	cr_assert_eq(ldns_wire2pkt(&r, reply_buf, reply_len), LDNS_STATUS_OK);
	cr_expect_eq(ldns_pkt_get_rcode(r), want, "rcode %d, not %d",
		     ldns_pkt_get_rcode(r), want);
	cr_expect(ldns_pkt_qr(r));
	cr_expect_eq(ldns_pkt_id(r), (uint16_t)(q[0] << 8 | q[1]));
	return r;
}

Test(dns, dropped)
{
	uint8_t *q;
	size_t qlen = make_query("example.com", LDNS_RR_TYPE_A, NULL, &q);

	cr_expect_eq(raw("VPC-A", q, 0), 0);
	cr_expect_eq(raw("VPC-A", q, 11), 0);
	q[2] |= 0x80; /* a response */
	cr_expect_eq(raw("VPC-A", q, qlen), 0);
	cr_expect_eq(dns_answer(tl.lab, vpc_of("VPC-A"), NULL, 0, false,
				reply_buf, sizeof(reply_buf)),
		     0);
	free(q);
}

Test(dns, formerr)
{
	static const uint8_t header_only[12] = {0xab, 0xcd, 0x01, 0, 0, 1};
	static const uint8_t garbage[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01,
					  0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
					  0x3f, 'a',  'b',  'c'};
	static const uint8_t no_question[12] = {0x11, 0x22, 0x01, 0};
	uint8_t *q, buf[512];
	size_t qlen = make_query("example.com", LDNS_RR_TYPE_A, NULL, &q);
	ldns_pkt *r;

	/* QDCOUNT 1 and no question; a label running past the end. */
	r = raw_reply(header_only, sizeof(header_only), LDNS_RCODE_FORMERR);
	cr_expect_eq(ldns_pkt_qdcount(r), 0);
	ldns_pkt_free(r);
	r = raw_reply(garbage, sizeof(garbage), LDNS_RCODE_FORMERR);
	ldns_pkt_free(r);
	r = raw_reply(no_question, sizeof(no_question), LDNS_RCODE_FORMERR);
	ldns_pkt_free(r);

	/* Two questions: the second a copy of the first. */
	memcpy(buf, q, qlen);
	memcpy(buf + qlen, q + 12, qlen - 12);
	buf[5] = 2;
	r = raw_reply(buf, 2 * qlen - 12, LDNS_RCODE_FORMERR);
	ldns_pkt_free(r);

	/* A good question, then an answer record that is not there: the
	 * question is echoed. */
	memcpy(buf, q, qlen);
	buf[7] = 1;
	r = raw_reply(buf, qlen, LDNS_RCODE_FORMERR);
	cr_expect_eq(ldns_pkt_qdcount(r), 1);
	ldns_pkt_free(r);

	/* Two OPT records (RFC 6891 6.1.1). */
	{
		static const uint8_t opt[11] = {0, 0, 41, 0x04, 0xd0};

		memcpy(buf, q, qlen);
		memcpy(buf + qlen, opt, sizeof(opt));
		memcpy(buf + qlen + sizeof(opt), opt, sizeof(opt));
		buf[11] = 1;
		r = raw_reply(buf, qlen + sizeof(opt), LDNS_RCODE_NXDOMAIN);
		ldns_pkt_free(r);
		buf[11] = 2;
		r = raw_reply(buf, qlen + 2 * sizeof(opt), LDNS_RCODE_FORMERR);
		ldns_pkt_free(r);
	}
	free(q);
}

/* A question name that points into the header: 2 bytes on the wire, 3
 * bytes ("\001x\000": the flags and QDCOUNT's high byte read as labels)
 * when echoed. The reply must drop the question rather than outgrow the
 * query. */
Test(dns, no_amplification_through_pointers)
{
	static const uint8_t q[18] = {
	    0x12, 0x34, 0x01, 'x',  0x00, 0x01, 0,    0,    0,
	    0,	  0,	0,    0xc0, 0x02, 0x00, 0x01, 0x00, 0x01,
	};
	ldns_pkt *r = raw_reply(q, sizeof(q), LDNS_RCODE_NXDOMAIN);

	cr_expect_eq(reply_len, 12);
	cr_expect_eq(ldns_pkt_qdcount(r), 0);
	ldns_pkt_free(r);
}

Test(dns, notimp)
{
	uint8_t *q;
	size_t qlen = make_query("ip-10-1-1-10.ap-northeast-1.compute.internal",
				 LDNS_RR_TYPE_A, NULL, &q);
	ldns_pkt *r;

	q[2] = (uint8_t)((q[2] & ~0x78) | (LDNS_PACKET_NOTIFY << 3));
	r = raw_reply(q, qlen, LDNS_RCODE_NOTIMPL);
	cr_expect_eq(ldns_pkt_get_opcode(r), LDNS_PACKET_NOTIFY);
	cr_expect_eq(nanswers(r), 0);
	ldns_pkt_free(r);
	q[2] = (uint8_t)((q[2] & ~0x78) | (LDNS_PACKET_STATUS << 3));
	r = raw_reply(q, qlen, LDNS_RCODE_NOTIMPL);
	ldns_pkt_free(r);
	free(q);
}

/* Every prefix and a byte flip of real queries: dropped or answered,
 * never larger than the query unless it carries answers. */
Test(dns, prefixes_and_flips)
{
	struct qopt o = {.edns_size = 1232};
	uint8_t *q, buf[512];
	size_t qlen = make_query("ssm.ap-northeast-1.amazonaws.com",
				 LDNS_RR_TYPE_A, &o, &q);
	size_t i, n;
	ldns_pkt *r;

	for (i = 0; i < qlen; i++) {
		n = dns_answer(tl.lab, vpc_of("VPC-A"), q, i, false, reply_buf,
			       sizeof(reply_buf));
		cr_expect_leq(n, i, "prefix %zu: %zu bytes", i, n);
	}
	for (i = 0; i < qlen * 8; i++) {
		memcpy(buf, q, qlen);
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		n = dns_answer(tl.lab, vpc_of("VPC-A"), buf, qlen, false,
			       reply_buf, sizeof(reply_buf));
		if (!n)
			continue;
		cr_assert_eq(ldns_wire2pkt(&r, reply_buf, n), LDNS_STATUS_OK,
			     "flip %zu", i);
		if (!nanswers(r))
			cr_expect_leq(n, qlen, "flip %zu: %zu bytes", i, n);
		ldns_pkt_free(r);
	}
	free(q);
}
