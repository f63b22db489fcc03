/* plan.h - the kernel objects a lab needs, as data.
 *
 * plan_build() is a pure function of the model: it says which namespaces,
 * veth pairs, addresses, routes, policy rules, sysctls, nftables rulesets and
 * /etc/netns files must exist, and touches nothing. The kernel modules
 * (netns.c, link.c, route.c, nft.c) carry a plan out; lab.c orders the work.
 *
 * Layout of one lab (docs/DESIGN.md):
 *  - router namespace "LAB-VPC" per VPC: forwarding on, rp_filter 0,
 *    redirects off, proxy ARP on by default; base+1 of every subnet (and,
 *    later, DNS/IMDS addresses) on lo.
 *  - per ENI a namespace (instance "LAB-NAME", endpoint ENI
 *    "LAB-ENDPOINT-SUBNET") with lo up and eth0 = IP/subnet-prefix, default
 *    route via base+1; the router end is named by the short ENI ID, holds a
 *    /32 route to the ENI in the main table and proxy_delay 0.
 *  - route table T of a VPC = kernel table PLAN_TABLE_BASE + T's index in
 *    that VPC; policy rules: "to BLOCK lookup main" for every VPC block (the
 *    local route wins, R-3.3), "iif ENI lookup T(subnet)" per ENI, and a
 *    final blackhole rule; blackhole routes for each VPC block in main so
 *    addresses without an ENI go nowhere.
 *  - peering: a veth "pcx-XXXXXXXX" between the two routers, up only while
 *    active; routes to a peering that is not active are blackhole routes.
 *  - transit gateway: namespace "LAB-TGW" (a forwarder like a router,
 *    PLAN_ADDR_TGW on lo), a veth "tgwa-XXXXXXXX" per attachment to its
 *    VPC's router; its route tables are kernel tables (the default one
 *    PLAN_TABLE_BASE, written ones from PLAN_TABLE_BASE + 1), "iif LINK
 *    lookup T" per associated attachment, a final blackhole rule.
 *  - VPN (docs/lab-conf.md): a customer gateway "LAB-CGW" on the internet with
 *    its on-premises hosts behind it; a virtual private gateway
 *    "LAB-VGW" linked to its VPC's router ("vgw-XXXXXXXX") and to the AWS
 *    end "LAB-CONN_tN" of each tunnel ("vpnN-XXXXXXXX"), which is on the
 *    internet too ("vpoN-XXXXXXXX"); what the VPC sends on-premises is
 *    looked up in the first tunnel's table, then the second's: a tunnel
 *    whose link has no carrier (svc/vpn.c takes it down with the tunnel)
 *    is skipped (ignore_routes_with_linkdown).
 *  - one nftables ruleset (table inet vpcemu) per router, from nftgen.
 *
 * Ownership: struct plan owns every string in it and points into nothing
 * else (the model may go first); plan_free releases all.
 */
#ifndef VPCEMU_PLAN_H
#define VPCEMU_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vpcemu/model.h"

#define PLAN_TABLE_BASE 1000u	/* kernel table of a VPC's first route table */
/* "fwmark NODE lookup TABLE": replies of flows a load balancer node
 * forwarded with the client's address go back through that node; the
 * router's nftables puts the node's number (1-255) in these bits of the
 * flow's conntrack mark (nftgen.c) and of its replies' packet mark. */
#define PLAN_PREF_NODE 90u
#define PLAN_MARK_NODE 0xff00u
#define PLAN_TABLE_NODE 2000u	/* + the node's number */
/* "iif ENI to DST lookup T": a route of T inside a VPC block (to a
 * subnet, via an instance) beats the local route for what T's subnets
 * send, as AWS's more specific routes do. */
#define PLAN_PREF_MIDDLEBOX 95u
#define PLAN_PREF_LOCAL 100u	/* "to VPC-BLOCK lookup main" */
#define PLAN_PREF_ENI 1000u	/* "iif ENI lookup T": + place in its VPC */
#define PLAN_PREF_GATEWAY 31000u	/* "iif IGW lookup main" (public IPs) */
#define PLAN_PREF_LAST 32000u	/* blackhole: nothing falls through to main */
#define PLAN_ADDR_DNS 0xa9fea9fdu	/* 169.254.169.253, on every router */
#define PLAN_ADDR_IMDS 0xa9fea9feu	/* 169.254.169.254, on every router */
/* 169.254.0.1 on the internet namespace's lo: the sender of its ARP
 * requests (one with no address is a probe, which no proxy answers). */
#define PLAN_ADDR_INTERNET 0xa9fe0001u
/* 169.254.0.2 on each transit gateway namespace's lo, for the same
 * reason. */
#define PLAN_ADDR_TGW 0xa9fe0002u
/* 169.254.0.3 on each virtual private gateway namespace's lo, likewise
 * (169.254.0.0/30 is one of the blocks AWS keeps from tunnel insides). */
#define PLAN_ADDR_VGW 0xa9fe0003u
/* 169.254.192.0/18: PrivateLink links (endpoint to load balancer node), a
 * /30 each, numbered in lab order; none of them meets another. */
#define PLAN_ADDR_PLINK 0xa9fec000u

enum plan_ns_kind {
	PLAN_NS_ROUTER,
	PLAN_NS_ENI,
	PLAN_NS_INTERNET,	/* the lab's internet: one per lab with one */
	PLAN_NS_HOST,		/* an internet host */
	PLAN_NS_SERVICE,	/* a gateway endpoint's service */
	PLAN_NS_TGW,		/* a transit gateway */
	PLAN_NS_CGW,		/* a customer gateway (on-premises router) */
	PLAN_NS_ONPREM,		/* an on-premises host */
	PLAN_NS_VGW,		/* a virtual private gateway */
	PLAN_NS_VPN,		/* the AWS end of one VPN tunnel */
};

/* Inside a VPN tunnel's namespace: the link to its gateway. */
#define PLAN_VPN_GW_LINK "gw0"
/* charon's (kernel-libipsec) routes for the far side's traffic
 * selectors live in this table, looked up at this priority: strongSwan's
 * defaults. A customer gateway looks its own networks and the tunnels'
 * outside addresses up in main first (PLAN_PREF_LOCAL). */
#define PLAN_TABLE_IPSEC 220u

/* The namespace of the lab's internet is "LAB-" PLAN_INTERNET_NS: no
 * resource name can start with '_'. */
#define PLAN_INTERNET_NS "_internet"

struct plan_ns {
	char *name;		/* "LAB-VPC-A"; the /run/netns entry */
	enum plan_ns_kind kind;
	/* Of the kind and every object in the namespace (a veth counts in
	 * both of its), naming other namespaces, never indexing them: equal
	 * hashes in two plans, nothing to change there (diff.c). */
	uint64_t hash;
};

/* A veth pair; end a is created from namespace a, with b placed in its
 * namespace in the same request. */
struct plan_veth {
	size_t ns_a;
	char name_a[MODEL_IFNAME_MAX];
	size_t ns_b;
	char name_b[MODEL_IFNAME_MAX];
	bool up;		/* both ends; false for a non-active peering */
};

struct plan_addr {
	size_t ns;
	char dev[MODEL_IFNAME_MAX];	/* "lo", "eth0" */
	uint32_t addr;
	uint8_t prefix;
};

enum plan_route_type {
	PLAN_ROUTE_UNICAST,	/* dev, optional gateway */
	PLAN_ROUTE_BLACKHOLE,
};

struct plan_route {
	size_t ns;
	uint32_t table;		/* 254 = main */
	struct cidr dst;
	enum plan_route_type type;
	char dev[MODEL_IFNAME_MAX];	/* unicast only */
	uint32_t gateway;	/* 0: none (scope link) */
};

enum plan_rule_action {
	PLAN_RULE_LOOKUP,	/* FR_ACT_TO_TBL */
	PLAN_RULE_BLACKHOLE,	/* FR_ACT_BLACKHOLE */
};

struct plan_rule {
	size_t ns;
	uint32_t pref;
	char iif[MODEL_IFNAME_MAX];	/* "" for any */
	struct cidr dst;	/* len 0 for any */
	enum plan_rule_action action;
	uint32_t table;		/* lookup only */
	uint32_t fwmark;	/* 0 for any, else under PLAN_MARK_NODE */
};

/* A write to /proc/sys/PATH inside namespace ns, e.g.
 * "net/ipv4/neigh/eni-1a2b3c4d/proxy_delay" = "0". Device entries exist only
 * once the device does: lab.c applies sysctls of devices after links. */
struct plan_sysctl {
	size_t ns;
	char *path;
	char *value;
	bool optional;		/* a kernel without it goes without it */
};

struct plan_nft {
	size_t ns;
	char *ruleset;		/* whole text for one nft transaction */
};

/* A file under /etc/netns/NS/ (resolv.conf, hosts). */
struct plan_file {
	size_t ns;
	char *name;		/* "resolv.conf" */
	char *content;
};

struct plan {
	char *lab;
	struct plan_ns *ns;
	size_t nns;
	struct plan_sysctl *sysctls;
	size_t nsysctls;
	struct plan_veth *veths;
	size_t nveths;
	struct plan_addr *addrs;
	size_t naddrs;
	struct plan_route *routes;
	size_t nroutes;
	struct plan_rule *rules;
	size_t nrules;
	struct plan_nft *nfts;
	size_t nnfts;
	struct plan_file *files;
	size_t nfiles;
	/* Of everything the plan would put in the kernel (every object,
	 * rulesets and files included): 16 hex digits. Equal digests:
	 * nothing to change. */
	char digest[17];
};

/* Builds the plan of a checked model (check_lab reported no error). Returns
 * NULL with errno set on allocation failure. */
struct plan *plan_build(const struct lab *lab);
/* The name of vpc's router namespace, "LAB-VPC" (caller frees; NULL when
 * out of memory). */
char *plan_router_netns(const struct lab *lab, const struct vpc *vpc);
/* The kernel table of a transit gateway route table in the gateway's
 * namespace. */
uint32_t plan_tgw_table_id(const struct tgw_route_table *t);
/* Load balancer node e's number in its VPC (1-255: PLAN_MARK_NODE), 0
 * past the 255th: such a node hides its clients behind its address. */
unsigned plan_node_number(const struct lab *lab, const struct eni *e);

/* Whether the lab has an internet namespace (an attached internet gateway
 * or an internet host), and its name (caller frees; NULL when out of
 * memory). */
bool plan_has_internet(const struct lab *lab);
char *plan_internet_netns(const struct lab *lab);
void plan_free(struct plan *p);

/* Writes a stable text dump of the plan, one object per line; golden tests
 * compare it. */
void plan_dump(const struct plan *p, FILE *out);

#endif
