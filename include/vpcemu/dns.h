/* dns.h - the Amazon-provided DNS resolver's protocol core, and the names
 * AWS gives instances and endpoints.
 *
 * dns_answer() turns one query received by the resolver of a VPC into the
 * reply bytes, from the model alone: private hostnames,
 * public hostnames, interface endpoint names (R-10.4 to
 * ), NXDOMAIN for everything else (a lab has no internet). It owns no
 * socket: the caller receives, picks the VPC whose resolver address the
 * query reached, and sends the reply (over TCP with the 2-byte length
 * prefix, which is the caller's). Pure: no global state, no I/O, the lab
 * is only read.
 *
 * The name builders below are what other modules show (describe's
 * PrivateDnsName and DnsEntries, IMDS's hostnames, resolv.conf's search
 * line); dns_answer resolves exactly these names.
 */
#ifndef VPCEMU_DNS_H
#define VPCEMU_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lab;
struct vpc;
struct instance;
struct endpoint;

#define DNS_TTL 60		/* seconds, every answer record */
#define DNS_EDNS_SIZE 1232	/* our EDNS0 UDP size (DNS flag day 2020) */
#define DNS_UDP_MIN 512		/* plain DNS over UDP (RFC 1035 4.2.1) */
#define DNS_NAME_MAX 256	/* a name in text, without the trailing dot */

/* Answers one query received by the resolver of vpc (the VPC the querier
 * sits in; lab holds it). tcp: the query came over TCP, so the reply may
 * reach 65535 bytes instead of the UDP limit (512, or the client's EDNS0
 * size capped at DNS_EDNS_SIZE); a reply that does not fit has TC set and
 * no answer records.
 *
 * q: the query, qlen bytes (without TCP's length prefix); never read past
 * qlen, whatever it holds. Writes the reply into out (outcap bytes; an
 * outcap below the transport limit lowers the limit).
 *
 * vpc NULL is the resolver of the lab's internet (its hosts'): public
 * names only, public IPs, the lab's region.
 *
 * Returns the reply's length, or 0 when nothing must be sent: shorter than
 * a header, a response (QR set), a VPC with enableDnsSupport off (R-12.2:
 * the resolver does not answer), or out of memory. An error reply
 * (FORMERR, NOTIMP, REFUSED, BADVERS) is never longer than the query, so
 * the resolver cannot amplify a spoofed query. */
size_t dns_answer(const struct lab *lab, const struct vpc *vpc,
		  const uint8_t *q, size_t qlen, bool tcp, uint8_t *out,
		  size_t outcap);

/* The names below write a NUL-terminated name without trailing dot into
 * buf (len bytes) and return 0, -ENOSPC when it does not fit (buf then
 * holds a truncated string), or -EINVAL as stated. */

/* The IP-based private hostname of ip in region (NULL: the lab's):
 * "ip-10-1-1-10.ec2.internal" in us-east-1, else
 * "ip-10-1-1-10.REGION.compute.internal". */
int dns_private_hostname(const struct lab *lab, const char *region,
			 uint32_t ip, char *buf, size_t len);

/* The resource-based private hostname "i-0123456789abcdef0.DOMAIN" of
 * in, in its VPC's region; -EINVAL without a subnet. */
int dns_instance_hostname(const struct instance *in, char *buf, size_t len);

/* The public hostname of in: "ec2-198-51-100-7.compute-1.amazonaws.com" in
 * us-east-1, else "ec2-198-51-100-7.REGION.compute.amazonaws.com", with
 * the public IPv4. -ENOENT when in has none: no public IPv4, or
 * its VPC lacks enableDnsSupport or enableDnsHostnames. */
int dns_public_hostname(const struct instance *in, char *buf, size_t len);

/* The service's regional name, which private DNS points at the endpoint
 * "ssm.ap-northeast-1.amazonaws.com" for service
 * com.amazonaws.ap-northeast-1.ssm. -EINVAL when the service is not a
 * com.amazonaws.REGION.NAME one. */
int dns_service_name(const struct endpoint *e, char *buf, size_t len);

/* The endpoint-specific name:
 * "vpce-0123456789abcdef0-k3n8q2zd.ssm.ap-northeast-1.vpce.amazonaws.com",
 * or with az "vpce-...-k3n8q2zd-ap-northeast-1a.ssm...." for the ENI in
 * that zone. The 8-character suffix is derived from the endpoint ID, so it
 * is stable. -EINVAL as for dns_service_name. */
int dns_endpoint_name(const struct endpoint *e, const char *az, char *buf,
		      size_t len);

/* The DHCP search domain of region (NULL: us-east-1), R-12.7:
 * "ec2.internal" in us-east-1, else "REGION.compute.internal". Returns
 * buf, or NULL when it does not fit. */
const char *dns_search_domain(const char *region, char *buf, size_t len);

#endif
