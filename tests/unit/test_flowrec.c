/* test_flowrec.c - flow log records (flowrec.c), no root: formats parsed
 * and written back, lines in version 2 (R-14.2, R-14.7's samples) and in
 * custom formats, NODATA and SKIPDATA lines (R-14.3), aggregation per ENI,
 * direction, verdict and 5-tuple (R-14.1), TCP flags, the exclusions of
 * R-14.6.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/flowrec.h"
#include "vpcemu/model.h"
#include "vpcemu/util.h"

#include "helpers.h"

static const struct flowrec_eni eni_b = {
	.interface_id = "eni-0b1c2d3e4f5a6b7c8",
	.vpc_id = "vpc-0123456789abcdef0",
	.subnet_id = "subnet-0123456789abcdef0",
	.instance_id = "i-0123456789abcdef0",
};

static const struct flowrec_ctx ctx = {
	.account = "111111111111",
	.region = "ap-northeast-1",
	.start = 1732300000,
	.end = 1732300060,
};

static char *line(const char *format, const struct flowrec *r,
		  enum flowrec_status st)
{
	struct flowrec_format fmt;
	struct strbuf sb = { 0 };
	size_t off, len;

	cr_assert_eq(flowrec_format_parse(format, &fmt, &off, &len), 0);
	flowrec_line(&sb, &fmt, &ctx, &eni_b, r, st);
	cr_assert(!sb.oom);
	return sb_take(&sb);
}

/* R-14.7's sample: a ping from 10.1.1.10 recorded on B's ENI. */
static const struct flowrec ping = {
	.k = { .src = 0x0a01010a, .dst = 0x0a02010a, .pkt_src = 0x0a01010a,
	       .pkt_dst = 0x0a02010a, .proto = 1 },
	.packets = 3,
	.bytes = 252,
};

Test(flowrec, version_2_line_as_aws_writes_it)
{
	char *s = line(NULL, &ping, FR_OK);

	cr_expect_str_eq(s, "2 111111111111 eni-0b1c2d3e4f5a6b7c8 10.1.1.10 "
			    "10.2.1.10 0 0 1 3 252 1732300000 1732300060 "
			    "ACCEPT OK\n");
	free(s);
}

Test(flowrec, nodata_and_skipdata_lines)
{
	char *s = line(NULL, NULL, FR_NODATA);

	cr_expect_str_eq(s, "2 111111111111 eni-0b1c2d3e4f5a6b7c8 - - - - - - "
			    "- 1732300000 1732300060 - NODATA\n");
	free(s);
	s = line(NULL, NULL, FR_SKIPDATA);
	cr_expect_str_eq(s, "2 111111111111 eni-0b1c2d3e4f5a6b7c8 - - - - - - "
			    "- 1732300000 1732300060 - SKIPDATA\n");
	free(s);
}

Test(flowrec, custom_format_fields_and_version)
{
	struct flowrec r = ping;
	char *s;

	r.k.reject = 1;
	r.k.egress = 1;
	r.k.path = FR_PATH_PEERING;
	r.k.proto = 6;
	r.k.sport = 43210;
	r.k.dport = 22;
	r.k.pkt_dst = 0xc6336405;	/* the public IP, before NAT */
	r.tcp_flags = 2;
	s = line("${version} ${vpc-id} ${subnet-id} ${instance-id} "
		 "${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
		 "${tcp-flags} ${type} ${pkt-srcaddr} ${pkt-dstaddr} "
		 "${action} ${flow-direction} ${traffic-path} ${region} "
		 "${az-id}",
		 &r, FR_OK);
	cr_expect_str_eq(s, "5 vpc-0123456789abcdef0 subnet-0123456789abcdef0 "
			    "i-0123456789abcdef0 eni-0b1c2d3e4f5a6b7c8 "
			    "10.1.1.10 10.2.1.10 43210 22 2 IPv4 10.1.1.10 "
			    "198.51.100.5 REJECT egress 4 ap-northeast-1 -\n");
	free(s);
	/* Version 3 fields alone: version 3; traffic-path is for egress. */
	r.k.egress = 0;
	s = line("${version} ${tcp-flags} ${flow-direction} ${traffic-path}",
		 &r, FR_OK);
	cr_expect_str_eq(s, "5 2 ingress -\n");
	free(s);
	s = line("${version} ${vpc-id}", &r, FR_OK);
	cr_expect_str_eq(s, "3 vpc-0123456789abcdef0\n");
	free(s);
}

Test(flowrec, format_refused_and_written_back)
{
	static const struct {
		const char *text;
		const char *bad;
	} bad[] = {
		{ "${version} ${nope}", "${nope}" },
		{ "${srcaddr} ${srcaddr}", "${srcaddr}" },
		{ "${srcaddr}  ${dstaddr}", "" },
		{ "srcaddr", "srcaddr" },
		{ "", "" },
		{ "${srcaddr", "${srcaddr" },
	};
	struct flowrec_format fmt;
	struct strbuf sb = { 0 };
	size_t i, off, len;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		cr_expect_eq(flowrec_format_parse(bad[i].text, &fmt, &off, &len),
			     -EINVAL, "%s", bad[i].text);
		cr_expect_eq(len, strlen(bad[i].bad), "%s", bad[i].text);
		cr_expect_eq(strncmp(bad[i].text + off, bad[i].bad, len), 0,
			     "%s", bad[i].text);
	}
	cr_assert_eq(flowrec_format_parse("${srcaddr} ${log-status}", &fmt,
					  &off, &len), 0);
	flowrec_format_text(&sb, &fmt);
	cr_expect_str_eq(sb.s, "${srcaddr} ${log-status}");
	sb_free(&sb);
	cr_assert_eq(flowrec_format_parse(NULL, &fmt, &off, &len), 0);
	flowrec_format_text(&sb, &fmt);
	cr_expect_str_eq(sb.s, "${version} ${account-id} ${interface-id} "
			       "${srcaddr} ${dstaddr} ${srcport} ${dstport} "
			       "${protocol} ${packets} ${bytes} ${start} "
			       "${end} ${action} ${log-status}");
	sb_free(&sb);
}

/* Packets of one key add up; another ENI, direction or verdict is
 * another record; sorted, ACCEPT comes before REJECT (R-14.5). */
Test(flowrec, aggregation)
{
	struct flowrec_agg a = { 0 };
	struct flowrec_key k = ping.k, rej = ping.k, other = ping.k;
	size_t i;

	rej.reject = 1;
	other.eni = 7;
	cr_assert_eq(flowrec_add(&a, &rej, 1, 84, 0), 0);
	for (i = 0; i < 3; i++)
		cr_assert_eq(flowrec_add(&a, &k, 1, 84, 0), 0);
	cr_assert_eq(flowrec_add(&a, &other, 2, 168, 0), 0);
	cr_assert_eq(a.n, 3);
	cr_expect_eq(flowrec_find(&a, &k)->packets, 3);
	cr_expect_eq(flowrec_find(&a, &k)->bytes, 252);
	flowrec_agg_sort(&a);
	cr_expect_eq(a.v[0].k.reject, 0);
	cr_expect_eq(a.v[1].k.reject, 1);
	cr_expect_eq(a.v[2].k.eni, 7);
	flowrec_agg_clear(&a);
	cr_expect_eq(a.n, 0);
	cr_expect_null(flowrec_find(&a, &k));
	flowrec_agg_free(&a);
}

/* Many keys: the table grows and finds each again. */
Test(flowrec, aggregation_grows)
{
	struct flowrec_agg a = { 0 };
	struct flowrec_key k = { 0 };
	uint32_t i;

	for (i = 0; i < 5000; i++) {
		k.sport = (uint16_t)i;
		k.eni = i % 3;
		cr_assert_eq(flowrec_add(&a, &k, 1, 40, 0), 0);
	}
	for (i = 0; i < 5000; i++) {
		k.sport = (uint16_t)i;
		k.eni = i % 3;
		cr_assert_not_null(flowrec_find(&a, &k), "%u", i);
	}
	cr_expect_eq(a.n, 5000);
	flowrec_agg_free(&a);
}

Test(flowrec, capacity_refuses_new_keys_only)
{
	struct flowrec_agg a = { .max = 2 };
	struct flowrec_key k = { 0 };

	cr_assert_eq(flowrec_add(&a, &k, 1, 40, 0), 0);
	k.sport = 1;
	cr_assert_eq(flowrec_add(&a, &k, 1, 40, 0), 0);
	k.sport = 2;
	cr_expect_eq(flowrec_add(&a, &k, 1, 40, 0), -ENOSPC);
	k.sport = 1;
	cr_expect_eq(flowrec_add(&a, &k, 1, 40, 0), 0);
	cr_expect_eq(flowrec_find(&a, &k)->packets, 2);
	flowrec_agg_free(&a);
}

Test(flowrec, tcp_flags)
{
	cr_expect_eq(flowrec_tcp_flags(0x02), 2, "SYN");
	cr_expect_eq(flowrec_tcp_flags(0x12), 18, "SYN-ACK");
	cr_expect_eq(flowrec_tcp_flags(0x10), 0, "ACK alone");
	cr_expect_eq(flowrec_tcp_flags(0x11), 17, "FIN-ACK");
	cr_expect_eq(flowrec_tcp_flags(0x04), 4, "RST");
	cr_expect_eq(flowrec_tcp_flags(0xc2), 2, "ECE/CWR left out");
}

#define LAB                                                                   \
	"vpc V { cidr 10.0.0.0/16 }\n"                                        \
	"subnet S { vpc V; cidr 10.0.1.0/24 }\n"                              \
	"subnet T { vpc V; cidr 10.0.2.0/24 }\n"                              \
	"instance A { subnet S; private-ip 10.0.1.10 }\n"

/* R-14.6: the resolver, link-local services and the router's base+1 of
 * every subnet are never logged; a custom DNS server, another address of
 * the VPC, is. */
Test(flowrec, exclusions)
{
	struct test_lab tl = { 0 };
	const struct vpc *v;
	const struct lab *lab;
	uint32_t a = 0x0a00010a;

	lab = test_lab_text(&tl, "x.conf", LAB, NULL, TEST_LAB_CHECK |
			    TEST_LAB_CLEAN);
	v = lab->vpcs[0];
	cr_expect(flowrec_excluded(v, lab, a, 0x0a000002, NULL, NULL), "DNS");
	cr_expect(flowrec_excluded(v, lab, a, 0xa9fea9fd, NULL, NULL),
		  "169.254.169.253");
	cr_expect(flowrec_excluded(v, lab, a, 0xa9fea9fe, NULL, NULL), "IMDS");
	cr_expect(flowrec_excluded(v, lab, a, 0xa9fea97b, NULL, NULL), "NTP");
	cr_expect(flowrec_excluded(v, lab, a, 0x0a000201, NULL, NULL),
		  "base+1 of T");
	cr_expect(flowrec_excluded(v, lab, 0x0a000101, a, NULL, NULL),
		  "from base+1");
	cr_expect_not(flowrec_excluded(v, lab, a, 0x0a00020a, NULL, NULL),
		      "another instance");
	cr_expect_not(flowrec_excluded(v, lab, a, 0x0a000202, NULL, NULL),
		      "base+2 of a subnet that is not the VPC's first block's");
	cr_expect_not(flowrec_excluded(v, lab, a, 0x08080808, NULL, NULL),
		      "a custom DNS server");
	test_lab_free(&tl);
}
