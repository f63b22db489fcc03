/* fuzz_dns.c - libFuzzer target: any bytes as a query to the resolver of
 * every VPC of one fixed lab, over UDP and over TCP. The lab comes from
 * inline text through the real parser and model builder, once. Must never
 * crash, leak or trip a sanitizer; a reply without answers must never be
 * longer than the query (no amplification), and a UDP reply never longer
 * than 1232 bytes. Built by `make fuzz FUZZ=dns`. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/conf.h"
#include "vpcemu/dns.h"
#include "vpcemu/model.h"

/* Every kind of name dns_answer knows: private (own VPC, other VPC,
 * hostnames off), public behind a peering with remote DNS, endpoint private
 * DNS and endpoint-specific names in two AZs, another region. */
static const char lab_text[] =
	"lab fuzz\n"
	"region ap-northeast-1\n"
	"vpc A { cidr 10.1.0.0/16; dns-hostnames yes }\n"
	"vpc B { cidr 10.2.0.0/16; dns-hostnames yes }\n"
	"vpc N { cidr 10.4.0.0/16 }\n"
	"vpc E { cidr 10.6.0.0/16; dns-hostnames yes; region us-east-1 }\n"
	"subnet A1 { vpc A; cidr 10.1.1.0/24; az ap-northeast-1a }\n"
	"subnet A2 { vpc A; cidr 10.1.2.0/24; az ap-northeast-1c }\n"
	"subnet B1 { vpc B; cidr 10.2.1.0/24 }\n"
	"subnet N1 { vpc N; cidr 10.4.1.0/24 }\n"
	"subnet E1 { vpc E; cidr 10.6.1.0/24 }\n"
	"peering AB { requester A; accepter B; requester-allows-remote-dns yes }\n"
	"endpoint ssm { vpc A; service ssm; subnets A1 A2 }\n"
	"endpoint msg { vpc A; service ssmmessages; subnets A1; private-dns no }\n"
	"instance IA { subnet A1; private-ip 10.1.1.10; public-ip yes }\n"
	"instance IB { subnet B1; private-ip 10.2.1.10; public-ip yes }\n"
	"instance IN { subnet N1; private-ip 10.4.1.10 }\n"
	"instance IE { subnet E1; private-ip 10.6.1.10; public-ip yes }\n";

static struct lab *lab;

static void lab_load(void)
{
	struct diags d = { 0 };
	struct conf_file *f;

	f = conf_parse_buffer("fuzz-dns.conf", lab_text, strlen(lab_text), &d);
	if (f)
		lab = model_build(f, NULL, &d);
	if (!lab || d.nerrors)
		abort();	/* the fixed lab itself is broken */
	conf_free(f);
	diags_free(&d);
}

static void check(const uint8_t *data, size_t size, const uint8_t *out,
		  size_t n, bool tcp)
{
	/* ANCOUNT 0: an error, NXDOMAIN, NODATA or TC reply. */
	if (n && !out[6] && !out[7] && n > size)
		abort();
	if (!tcp && n > DNS_EDNS_SIZE)
		abort();
	if (n && (out[0] != data[0] || out[1] != data[1] || !(out[2] & 0x80)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65536];
	size_t i, n;

	if (!lab)
		lab_load();
	for (i = 0; i < lab->nvpcs; i++) {
		n = dns_answer(lab, lab->vpcs[i], data, size, false, out,
			       sizeof(out));
		check(data, size, out, n, false);
		n = dns_answer(lab, lab->vpcs[i], data, size, true, out,
			       sizeof(out));
		check(data, size, out, n, true);
	}
	return 0;
}
