/* ssm.h - can SSM Agent on an instance reach Session Manager? (R-13.2,
 *
 *
 * A session opens only when the instance's role carries
 * AmazonSSMManagedInstanceCore and, from inside the instance, the three
 * service names resolve through the resolver the instance really uses and
 * answer on TCP 443. ssm_probe_start() checks exactly that with real
 * packets: one DNS query (A) per name, built and parsed with ldns, sent from
 * a UDP socket made inside the instance's namespace to the nameserver of
 * /etc/netns/NS/resolv.conf; then a TCP handshake to port 443 of the first
 * A record, from a socket made in the same namespace. The three names run in
 * parallel on the daemon's event loop and nothing blocks, because the
 * resolver that answers may be served by the same loop.
 *
 * The pure parts (role check, resolv.conf, DNS wire format) are exported
 * for unit tests.
 */
#ifndef VPCEMU_SSM_H
#define VPCEMU_SSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evloop;
struct iam_role;
struct ssm_probe;

#define SSM_POLICY "AmazonSSMManagedInstanceCore"

/* A DNS query is sent again after SSM_DNS_RETRY_MS and abandoned after
 * SSM_DNS_TIMEOUT_MS; a TCP handshake is abandoned after SSM_TCP_TIMEOUT_MS.
 * A probe therefore ends within SSM_PROBE_MAX_MS (plus one loop round). */
#define SSM_DNS_RETRY_MS 500
#define SSM_DNS_TIMEOUT_MS 1000
#define SSM_TCP_TIMEOUT_MS 1500
#define SSM_PROBE_MAX_MS (SSM_DNS_TIMEOUT_MS + SSM_TCP_TIMEOUT_MS)

/* ssm, ssmmessages, ec2messages, in that order. */
#define SSM_NTARGETS 3

struct ssm_target {
	char name[96];		/* "ssm.ap-northeast-1.amazonaws.com" ("...
				   .amazonaws.com.cn" in cn- regions) */
	uint32_t addr;		/* first A record, host order; 0: none */
	bool connected;		/* the TCP 443 handshake completed */
};

struct ssm_result {
	bool online;
	/* Why not, "" when online: "no IAM instance profile", "role R lacks
	 * AmazonSSMManagedInstanceCore", or one "NAME: what failed" per
	 * failing name in target order, joined by "; " (cut to fit). */
	char reason[256];
	uint32_t nameserver;	/* host order; 0 when never looked at */
	struct ssm_target targets[SSM_NTARGETS];	/* zero when the role
							   check failed */
};

/* Called exactly once, always from the event loop (never from inside
 * ssm_probe_start). r is valid during the call only. The probe is freed
 * before the call: do not cancel it from here or later. */
typedef void (*ssm_done_fn)(void *data, const struct ssm_result *r);

/* Starts a probe of the instance whose namespace is netns (in->eni->netns)
 * in region (the instance's VPC's), with the instance's role (NULL: no
 * instance profile). When the role lacks the policy, no packet is sent.
 * Everything needed is copied: the model may be freed meanwhile. The
 * probe's sockets pin netns until it ends: cancel running probes before
 * deleting the namespace.
 * Returns the probe (owned by the loop until done runs or it is
 * cancelled), or NULL with errno set (ENOMEM, EINVAL for NULL arguments)
 * and done never called. */
struct ssm_probe *ssm_probe_start(struct evloop *el, const char *netns,
				  const char *region,
				  const struct iam_role *role, ssm_done_fn done,
				  void *data);

/* Stops a running probe: closes its sockets and timers, frees it; done is
 * not called. NULL is fine. */
void ssm_probe_cancel(struct ssm_probe *p);

/* Whether role (NULL: none) carries AmazonSSMManagedInstanceCore, written
 * as the policy name or as its ARN. */
bool ssm_role_ok(const struct iam_role *role);

/* ---- pure helpers, exported for unit tests ----------------------------- */

/* The first IPv4 "nameserver" of resolv.conf text (resolv.conf(5):
 * keyword at the start of a line, '#' and ';' comments, IPv6 entries
 * skipped). Returns 0 with *ret (host order), or -ENOENT when there is
 * none (the resolver then uses 127.0.0.1). */
int ssm_resolv_nameserver(const char *text, uint32_t *ret);

/* An A/IN query for name with id and RD set, in wire format: *ret is
 * malloc'd (caller frees). Returns 0, -EINVAL (not a domain name) or
 * -ENOMEM. */
int ssm_dns_query(const char *name, uint16_t id, uint8_t **ret,
		  size_t *ret_len);

enum ssm_dns_verdict {
	SSM_DNS_IGNORE,		/* not the reply to this query */
	SSM_DNS_MALFORMED,	/* carries our id but cannot be parsed */
	SSM_DNS_ADDR,		/* *ret_addr: the first A record */
	SSM_DNS_NODATA,		/* NOERROR without an A record */
	SSM_DNS_RCODE,		/* *ret_rcode: an error code (NXDOMAIN...) */
};

/* Judges a datagram that came back for the query (name, id): a response
 * (QR) with that id whose question is name A IN. Addresses in host order.
 * ret_rcode may be NULL. */
enum ssm_dns_verdict ssm_dns_parse(const uint8_t *buf, size_t len,
				   uint16_t id, const char *name,
				   uint32_t *ret_addr, unsigned *ret_rcode);

/* "NXDOMAIN", "SERVFAIL", ... or "RCODE N": a static string, or buf. */
const char *ssm_rcode_name(unsigned rcode, char *buf, size_t len);

#endif
