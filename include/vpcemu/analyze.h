/* analyze.h - static reachability over the model, Reachability Analyzer's
 * way (pure: model in, a path or an explanation out; no I/O).
 *
 * analyze_path() walks a packet hop by hop in the order of
 * docs/aws-semantics.md §15, taking at each hop the decision the data plane
 * takes (plan.c routes and policy rules, nftgen.c guards and network ACLs,
 * nftsg.c security groups): the source ENI's groups (egress), its subnet's
 * route table (longest prefix; the local route first; a peering only while
 * active and only between the two VPCs' blocks; an internet gateway only for
 * a source with a public IP; a NAT gateway, which translates and routes
 * again from its own subnet; a gateway endpoint's prefix list; a transit
 * gateway attachment and the gateway route table associated with it), the
 * network ACL out of the subnet and into the next one, the destination
 * ENI's groups (ingress). Then the reply back, as `vpcemu test` needs it:
 * groups let it through (tracked), ACLs and routes judge it again.
 *
 * Verdicts carry the explanation codes of AWS's published list, "VPC
 * Reachability Analyzer explanation codes"
 * (https://docs.aws.amazon.com/vpc/latest/reachability/explanation-codes.html):
 * analyze_codes[] names the ones this module produces.
 *
 * Ownership: a struct analysis and its strings belong to the caller
 * (analysis_free); it points into the lab for components, so the lab must
 * outlive it.
 */
#ifndef VPCEMU_ANALYZE_H
#define VPCEMU_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct eni;
struct internet_host;
struct lab;
struct proto_match;
struct res;

/* One end of a path: an ENI (an instance's, an endpoint's, a load balancer
 * node's, a NAT gateway's), an internet host, or a bare IP (a destination
 * only: whoever holds it). */
struct analyze_end {
	const struct eni *eni;
	const struct internet_host *host;
	const struct onprem_host *onprem;	/* behind a customer gateway */
	uint32_t ip;
};

/* One component a packet crosses, in order. */
struct analyze_hop {
	const struct res *res;	/* an ENI, a security group, a network ACL,
				   a route table, a peering, a gateway... */
	char *detail;		/* "rule 100 allow", "10.2.0.0/16 -> pcx-..."
				   (may be NULL) */
	bool egress;		/* for groups and ACLs: the outbound side */
};

struct analysis {
	bool found;		/* NetworkPathFound */
	struct analyze_hop *fwd, *ret;	/* forward and return path */
	size_t nfwd, nret;
	/* When not found: the first component that drops, the code and the
	 * reason in words; on_return when it is the reply that drops. */
	const char *code;
	const struct res *blocker;
	bool blocker_egress;
	bool on_return;
	char *reason;
};

/* The codes analyze_path can give, NULL-terminated. */
extern const char *const analyze_codes[];
/* Whether code is one of them. */
bool analyze_code_known(const char *code);

/* Resolves what a user names as an end: an instance, an internet host, an
 * ENI by name or ID (an endpoint's "ENDPOINT-SUBNET", a load balancer
 * node's "LB-SUBNET"), an endpoint or load balancer (its first ENI), or an
 * IP (the ENI or host that holds it, else a bare IP). Returns 0 or
 * -ENOENT. */
int analyze_end_parse(const struct lab *lab, const char *word,
		      struct analyze_end *ret);

/* Reads a probe's rule from words[0, n): "icmp", "tcp PORT" or "udp PORT"
 * (n 0: icmp, the first thing a learner tries). Returns how many words it
 * took, or -EINVAL. */
int analyze_proto_parse(char *const *words, int n, struct proto_match *ret);

/* Analyzes a probe from src to dst (proto: icmp, tcp PORT or udp PORT, as
 * an expect line has it). Returns 0 with *ret (caller analysis_free's),
 * -EINVAL when src is a bare IP, or -ENOMEM. */
int analyze_path(const struct lab *lab, const struct analyze_end *src,
		 const struct analyze_end *dst, const struct proto_match *proto,
		 struct analysis **ret);
void analysis_free(struct analysis *a);
/* The same for an expect line's probe. */
struct expect;
int analyze_expect(const struct lab *lab, const struct expect *e,
		   struct analysis **ret);

/* The analysis in the shape of one DescribeNetworkInsightsAnalyses entry
 * (NetworkPathFound, Explanations[], ForwardPathComponents[],
 * ReturnPathComponents[]); NULL on allocation failure. */
json_t *analyze_json(const struct analysis *a);
/* The same as text, one component a line; caller frees (NULL: ENOMEM). */
char *analyze_text(const struct analysis *a);

#endif
