/* model.h - the lab as typed AWS resources.
 *
 * model_build() turns a parsed lab file into resources with stable AWS-style
 * IDs (derived from the lab name, the resource kind and the resource name, so
 * the same lab always gets the same IDs), resolves every reference, applies
 * the defaults of docs/lab-conf.md and adds the implicit resources every VPC
 * has (main route table, default network ACL, default security group
 * "VPC.default"). Mistakes that make the file meaningless (unknown attribute,
 * bad value, unknown reference, duplicate name) are queued as diagnostics;
 * AWS rules over a well-formed model are check.c's job.
 *
 * Ownership: struct lab owns every resource and string below it; pointers
 * between resources stay valid until lab_free. Places are the exception:
 * their file names belong to the struct diags the file was parsed with
 * (use lab->file once that is gone). Arrays of pointers keep file
 * order, implicit resources right after their VPC's explicit ones.
 * Addresses are IPv4 in host byte order.
 */
#ifndef VPCEMU_MODEL_H
#define VPCEMU_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vpcemu/addr.h"
#include "vpcemu/diag.h"

struct conf_file;

#define MODEL_ID_MAX 40		/* "tgw-attach-" + 17 hex + NUL fits */
#define MODEL_IFNAME_MAX 16	/* IFNAMSIZ */
#define MODEL_MAX_SGS_PER_ENI 5

/* The resource kinds, one line each, in the order their blocks are parsed
 * and checked (a kind may depend on those above it: peerings are checked
 * before the security groups that reference groups across them), which is
 * also the order `vpcemu validate` lists them in. X(ENUM, file): ENUM names
 * RES_ENUM, file the kind's emu/res/ file and its struct res_type
 * res_type_FILE (restype.h). ENI comes last among the kinds with a typed
 * array in struct lab; kinds after it are reached through lab->res[]. */
#define RES_KINDS(X)                                                           \
	X(VPC, vpc)                                                            \
	X(SUBNET, subnet)                                                      \
	X(ROUTE_TABLE, route_table)                                            \
	X(PEERING, peering)                                                    \
	X(SG, security_group)                                                  \
	X(NACL, network_acl)                                                   \
	X(IAM_ROLE, iam_role)                                                  \
	X(INSTANCE, instance)                                                  \
	X(ENDPOINT, endpoint)                                                  \
	X(ENI, eni)                                                            \
	X(INTERNET_GATEWAY, internet_gateway)                                  \
	X(INTERNET_HOST, internet_host)                                        \
	X(ELASTIC_IP, elastic_ip)                                              \
	X(NAT_GATEWAY, nat_gateway)                                            \
	X(LOAD_BALANCER, load_balancer)                                        \
	X(TARGET_GROUP, target_group)                                          \
	X(LISTENER, listener)                                                  \
	X(ENDPOINT_SERVICE, endpoint_service)                                  \
	X(TRANSIT_GATEWAY, transit_gateway)                                    \
	X(TGW_ATTACHMENT, transit_gateway_attachment)                          \
	X(TGW_ROUTE_TABLE, transit_gateway_route_table)                        \
	X(FLOW_LOG, flow_log)                                                  \
	X(CUSTOMER_GATEWAY, customer_gateway)                                  \
	X(ONPREM_HOST, onprem_host)                                            \
	X(VPN_GATEWAY, vpn_gateway)                                            \
	X(VPN_CONNECTION, vpn_connection)

enum res_kind {
#define RES_ENUM_(e, f) RES_##e,
	RES_KINDS(RES_ENUM_)
#undef RES_ENUM_
	    RES__COUNT,
};

/* What every resource starts with. */
struct res {
	enum res_kind kind;
	char *name;		/* lab-wide unique; implicit ones: "VPC.main", ... */
	char id[MODEL_ID_MAX];	/* "vpc-0123456789abcdef0" */
	struct place at;	/* the block's name word; for implicit: the VPC's */
	bool implicit;
};

/* A protocol match shared by SG rules, NACL entries and expect lines. */
enum proto_kind {
	PROTO_ALL,		/* "all": -1 */
	PROTO_TCP,
	PROTO_UDP,
	PROTO_ICMP,
	PROTO_NUMBER,		/* "proto N": ports ignored */
};

struct proto_match {
	enum proto_kind kind;
	uint8_t number;		/* IP protocol number (6, 17, 1, or N) */
	uint16_t port_lo, port_hi;	/* TCP/UDP; 0-65535 when omitted */
	int icmp_type;		/* -1: every type */
	int icmp_code;		/* -1: every code */
};

struct vpc;
struct subnet;
struct route_table;
struct peering;
struct sg;
struct nacl;
struct instance;
struct iam_role;
struct endpoint;
struct eni;
struct gateway_service;
struct nat_gateway;
struct elastic_ip;
struct load_balancer;
struct endpoint_service;
struct tgw_route_table;
struct vpn_gateway;
struct vpn_connection;
struct lab;

struct vpc {
	struct res r;
	struct cidr *cidrs;	/* cidrs[0] is the primary block */
	size_t ncidrs;
	bool dns_support, dns_hostnames;
	char *region;
	char *account;
	struct route_table *main_rt;	/* effective main table */
	struct nacl *default_nacl;
	struct sg *default_sg;
	struct place *cidrs_at;	/* one per cidr */
};

struct subnet {
	struct res r;
	struct vpc *vpc;
	struct cidr cidr;
	char *az;		/* "ap-northeast-1a" */
	bool public_ip_on_launch;
	struct route_table *rt;	/* effective: explicit association or main */
	struct nacl *nacl;	/* effective: explicit association or default */
	struct place cidr_at, az_at;
};

struct route {
	struct cidr dst;
	/* A peering, an instance, a gateway endpoint, ... (the kinds whose
	 * struct res_type has a route target); NULL: blackhole, written or
	 * left so by a target that did not resolve. */
	struct res *target;
	struct place at;	/* the "route" keyword */
	struct place dst_at, target_at;
};

struct route_table {
	struct res r;
	struct vpc *vpc;
	bool main;		/* written "main yes", or the implicit main */
	struct subnet **assoc;	/* explicit associations */
	size_t nassoc;
	struct place *assoc_at;	/* one per assoc */
	struct route *routes;	/* as written; local routes are implicit */
	size_t nroutes;
	/* "propagate VGW": virtual private gateways whose routes this
	 * table takes (R-3.8: its own routes win). */
	struct vpn_gateway **prop;
	size_t nprop;
	struct place *prop_at;
};

enum peering_status {
	PEERING_ACTIVE,
	PEERING_PENDING_ACCEPTANCE,
	PEERING_REJECTED,
	PEERING_FAILED,		/* set by check.c on overlapping blocks */
	PEERING_DELETED,
	PEERING_EXPIRED,
};

struct peering {
	struct res r;
	struct vpc *requester, *accepter;
	enum peering_status status;
	bool requester_allows_remote_dns, accepter_allows_remote_dns;
	char ifname[MODEL_IFNAME_MAX];	/* "pcx-1a2b3c4d", same in both routers */
	struct place requester_at, accepter_at, status_at;
};

enum direction {
	DIR_INGRESS,
	DIR_EGRESS,
};

enum sg_peer_kind {
	SG_PEER_CIDR,
	SG_PEER_SG,		/* a group, "self" resolved to the owner */
};

/* One rule with one peer: "ingress tcp 22 from a b" gives two rules. */
struct sg_rule {
	enum direction dir;
	struct proto_match proto;
	enum sg_peer_kind peer_kind;
	struct cidr cidr;
	struct sg *peer_sg;
	/* A CIDR peer written as an AWS-managed prefix list: the
	 * service, and the region its name or ID was of (the VPC's, owned
	 * by it). NULL for a plain CIDR. */
	const struct gateway_service *prefix_list;
	const char *prefix_list_region;
	char *description;	/* may be NULL */
	struct place at;	/* the rule's keyword */
	struct place peer_at;
};

struct sg {
	struct res r;
	struct vpc *vpc;
	char *description;
	bool is_default;	/* the implicit "VPC.default" */
	bool egress_none;	/* written "egress none" */
	struct sg_rule *rules;	/* ingress and egress, file order; for a group
				   with no egress line the AWS default egress
				   rule (all to 0.0.0.0/0) is present here */
	size_t nrules;
};

enum nacl_action {
	NACL_ALLOW,
	NACL_DENY,
};

struct nacl_entry {
	enum direction dir;
	unsigned number;	/* 1-32766 */
	enum nacl_action action;
	struct proto_match proto;
	struct cidr cidr;
	struct place at, number_at;
};

struct nacl {
	struct res r;
	struct vpc *vpc;
	bool is_default;
	struct subnet **assoc;
	size_t nassoc;
	struct place *assoc_at;
	struct nacl_entry *entries;	/* sorted by direction, then number;
					   the default NACL holds rule 100 allow
					   all both ways */
	size_t nentries;
};

/* User data of an instance or an internet host: the script written inline
 * (user-data) or the file it is read from (user-data-file), at most one. */
struct user_data {
	char *script;		/* inline, may be NULL */
	char *file;		/* path, may be NULL */
	char *content;		/* file's bytes: load.c reads them (the model
				   does no I/O) */
};

/* An elastic network interface: an instance's primary ENI, a NAT
 * gateway's, or one per subnet of an interface endpoint or a load
 * balancer (its node there). */
struct eni {
	struct res r;		/* name: the instance's or NAT gateway's, or
				   "OWNER-SUBNET" */
	struct subnet *subnet;
	uint32_t ip;
	struct sg **sgs;
	size_t nsgs;
	/* Exactly one of instance, endpoint, nat, lb. */
	struct instance *instance;
	struct endpoint *endpoint;
	struct nat_gateway *nat;
	struct load_balancer *lb;
	/* An internet-facing load balancer node's public IP (the instance's
	 * and the NAT gateway's are theirs: model_eni_public_ip). */
	uint32_t node_public_ip;
	char ifname[MODEL_IFNAME_MAX];	/* "eni-1a2b3c4d", router side */
	char *netns;		/* "LAB-NAME": the namespace that holds eth0 */
};

struct instance {
	struct res r;
	struct subnet *subnet;
	uint32_t private_ip;	/* given, or lowest free from base+4 */
	bool private_ip_given;
	struct sg **sgs;	/* given, or the VPC's default group */
	size_t nsgs;
	struct iam_role *role;	/* may be NULL */
	bool public_ip;
	char *ami, *instance_type;
	struct user_data ud;
	/* Instance metadata options (ModifyInstanceMetadataOptions). */
	bool metadata_tokens_required;	/* HttpTokens: default required */
	bool metadata_disabled;		/* HttpEndpoint disabled */
	unsigned metadata_hop_limit;	/* HttpPutResponseHopLimit, 1-64 */
	/* SourceDestCheck false: it may send and receive packets that are
	 * neither from nor to it (routing, NAT, a software VPN). */
	bool no_source_dest_check;
	/* Public IPv4 when public_ip: RFC 5737 documentation space, derived
	 * from the ID, so that it can never reach a real host; 0: none. */
	uint32_t public_ipv4;
	struct eni *eni;
	struct place subnet_at, ip_at, sgs_at, role_at;
};

struct iam_role {
	struct res r;		/* id: "AROA" + 17 upper-case alphanumerics */
	char **policies;
	size_t npolicies;
};

enum endpoint_type {
	ENDPOINT_INTERFACE,
	ENDPOINT_GATEWAY,
};

/* The connection of an endpoint to an endpoint service; an
 * endpoint to an AWS service is available at once. */
enum endpoint_state {
	ENDPOINT_AVAILABLE,
	ENDPOINT_PENDING_ACCEPTANCE,
	ENDPOINT_REJECTED,	/* reject-vpc-endpoint-connections */
};

struct endpoint {
	struct res r;
	struct vpc *vpc;
	char *service;		/* full: "com.amazonaws.ap-northeast-1.ssm",
				   "com.amazonaws.vpce.REGION.vpce-svc-..." */
	char *service_short;	/* "ssm", "vpce-svc-..." */
	/* The endpoint service it connects to, NULL for AWS's services. */
	struct endpoint_service *svc;
	enum endpoint_state state;
	enum endpoint_type type;
	struct subnet **subnets;
	size_t nsubnets;
	struct place *subnets_at;
	/* private-ips, one per subnet in order (none written: lowest free). */
	uint32_t *private_ips;
	size_t nprivate_ips;
	struct place *private_ips_at;
	struct sg **sgs;	/* given, or the VPC's default group */
	size_t nsgs;
	bool private_dns;
	struct route_table **route_tables;
	size_t nroute_tables;
	struct eni **enis;	/* interface: one per subnet, same order */
	size_t nenis;
	/* Gateway: the link from the VPC's router ("vpce-1a2b3c4d", router
	 * side) to the namespace "LAB-NAME" where the service answers. */
	char ifname[MODEL_IFNAME_MAX];
	char *netns;
	struct place service_at, private_dns_at;
};

/* The VPC's door to the emulated internet: a veth between its router and
 * the lab's internet namespace, with 1:1 NAT of public IPs. */
struct internet_gateway {
	struct res r;
	struct vpc *vpc;	/* attached VPC, NULL: detached */
	char ifname[MODEL_IFNAME_MAX];	/* "igw-1a2b3c4d", both ends */
	struct place vpc_at;
};

/* A machine on the emulated internet: namespace "LAB-NAME", eth0 with
 * its address, reached through the lab's internet namespace. */
struct internet_host {
	struct res r;
	uint32_t ip;
	char ifname[MODEL_IFNAME_MAX];	/* "host-1a2b3c4d", internet side */
	char *netns;		/* "LAB-NAME" */
	struct user_data ud;	/* run at up in its namespace (svc.c) */
	struct place ip_at;
};

/* An Elastic IP: an address of the public pool that the lab keeps; it
 * replaces the public IP of the instance it is associated with. */
struct elastic_ip {
	struct res r;
	uint32_t address;	/* given, or the pool's first free one; 0:
				   none left (check reports it) */
	bool address_given;
	struct instance *instance;	/* NULL: unassociated */
	struct place address_at, instance_at;
};

/* A NAT gateway: an ENI in its subnet whose namespace forwards and
 * translates sources to its private IP; a public one's private IP
 * has its Elastic IP at the internet gateway, like an instance's. */
struct nat_gateway {
	struct res r;
	struct subnet *subnet;
	bool private_conn;	/* connectivity private: no Elastic IP */
	struct elastic_ip *eip;
	uint32_t private_ip;	/* given, or lowest free from base+4 */
	bool private_ip_given;
	struct eni *eni;
	struct place subnet_at, eip_at, ip_at;
};

/* A VPC Flow Log (R-14.x): which ENIs, which verdicts, how often, where,
 * in what format; svc/flowlog.c writes it from the kernel's verdicts. */
enum flow_traffic {
	FLOW_ALL,
	FLOW_ACCEPT,
	FLOW_REJECT,
};

struct flow_log {
	struct res r;
	/* A VPC, a subnet, an instance (its ENI) or an ENI (by ID). */
	struct res *resource;
	enum flow_traffic traffic;
	unsigned interval;	/* seconds */
	char *destination;	/* NULL: /var/log/vpcemu/LAB/NAME.log */
	char *format;		/* AWS's LogFormat; NULL: version 2 */
	struct place resource_at, destination_at, format_at;
};

/* Whether f records traffic of e. */
bool flow_log_covers(const struct flow_log *f, const struct eni *e);
/* Whether some flow log of lab covers an ENI of vpc. */
bool flow_log_vpc_logged(const struct lab *lab, const struct vpc *vpc);
/* The file f's records go to (caller frees), NULL on ENOMEM. */
char *flow_log_path(const struct lab *lab, const struct flow_log *f);
/* The directory default destinations and every destination live in. */
#define FLOW_LOG_DIR "/var/log/vpcemu"

/* The protocols of load balancer listeners and target groups. */
enum lb_protocol {
	LB_TCP,
	LB_UDP,
	LB_TCP_UDP,	/* target groups only */
};

/* A Network Load Balancer (ELBv2): one node per subnet, each an ENI of
 * its own namespace. ELBv2 names resources by ARN; r.id is an
 * EC2-style ID for references and state, and the ARN is derived from it
 * (load_balancer_arn). */
struct load_balancer {
	struct res r;		/* id: "nlb-" + 17 hex */
	struct vpc *vpc;	/* its first subnet's */
	bool internet_facing;	/* scheme; default internal */
	bool cross_zone;
	struct subnet **subnets;
	size_t nsubnets;
	struct place *subnets_at;
	struct sg **sgs;	/* as written: none is no group at all */
	size_t nsgs;
	/* private-ips, one per subnet in order (none written: lowest free). */
	uint32_t *private_ips;
	size_t nprivate_ips;
	struct place *private_ips_at;
	struct eni **enis;	/* one per subnet, same order */
	size_t nenis;
	char *dns_name;		/* "NAME-<16 hex>.elb.REGION.amazonaws.com" */
	struct place scheme_at, sgs_at;
};

/* A registered target: an instance, at the group's port or its own. */
struct lb_target {
	struct instance *instance;
	uint16_t port;		/* 0: the group's */
	struct place at;
};

enum health_check_protocol {
	HEALTH_CHECK_TCP,
	HEALTH_CHECK_HTTP,
};

/* A target group of Network Load Balancers (CreateTargetGroup). */
struct target_group {
	struct res r;		/* id: "tg-" + 17 hex */
	struct vpc *vpc;
	enum lb_protocol protocol;
	uint16_t port;
	struct lb_target *targets;
	size_t ntargets;
	enum health_check_protocol health_check;
	char *health_check_path;	/* http: default "/"; tcp: NULL */
	unsigned interval;		/* HealthCheckIntervalSeconds */
	unsigned healthy_threshold, unhealthy_threshold;
	struct place port_at, health_check_at, interval_at, healthy_at,
		unhealthy_at;
};

/* A listener: the load balancer's port that forwards to a target group. */
struct listener {
	struct res r;		/* id: "listener-" + 17 hex */
	struct load_balancer *lb;
	enum lb_protocol protocol;	/* LB_TCP or LB_UDP */
	uint16_t port;
	struct target_group *tg;
	struct place lb_at, protocol_at, port_at, tg_at;
};

/* An endpoint service (PrivateLink provider, R-10.8) in front of Network
 * Load Balancers; the endpoints whose service is this one are its
 * connections. */
struct endpoint_service {
	struct res r;		/* id: "vpce-svc-" + 17 hex */
	struct load_balancer **lbs;
	size_t nlbs;
	struct place *lbs_at;
	bool acceptance_required;
	/* Accounts that may connect; all_principals: "*". None written:
	 * the service's own account. */
	char **principals;
	size_t nprincipals;
	bool all_principals;
	struct endpoint **accepted;
	size_t naccepted;
	struct place *accepted_at;
	/* Endpoints the provider rejected (reject-vpc-endpoint-connections):
	 * rejected whatever else the service says. */
	struct endpoint **rejected;
	size_t nrejected;
	struct place *rejected_at;
	char *service_name;	/* "com.amazonaws.vpce.REGION.vpce-svc-..." */
	struct place principals_at;
};

/* A transit gateway: a router namespace of its own, "LAB-NAME",
 * joined to each attached VPC's router by one veth per attachment. */
struct transit_gateway {
	struct res r;
	unsigned long asn;		/* AmazonSideAsn, default 64512 */
	bool default_association, default_propagation;
	/* The implicit "NAME.default-rt", NULL when both options
	 * are off. */
	struct tgw_route_table *default_rt;
	/* Its attachments and written route tables, file order (their
	 * parse functions add them). */
	struct tgw_attachment **atts;
	size_t natts;
	struct tgw_route_table **rts;
	size_t nrts;
	char *netns;			/* "LAB-NAME" */
	struct place asn_at;
};

/* A VPC attachment: one ENI per subnet, at most one subnet per AZ
 * here one veth between the VPC router and the gateway. A VPN
 * connection to a gateway is an attachment too (vpn set, vpc NULL), kept
 * inside the connection, not in the lab's list (res/vpn_connection.c). */
struct tgw_attachment {
	struct res r;
	struct transit_gateway *tgw;
	struct vpc *vpc;
	const struct vpn_connection *vpn;
	struct subnet **subnets;
	size_t nsubnets;
	struct place *subnets_at;	/* one per subnet */
	bool appliance_mode;
	char ifname[MODEL_IFNAME_MAX];	/* "tgwa-1a2b3c4d", both ends */
	struct place tgw_at, vpc_at;
};

/* A static route of a transit gateway route table. */
struct tgw_route {
	struct cidr dst;
	struct tgw_attachment *target;	/* NULL: blackhole */
	struct place at, dst_at, target_at;
};

struct tgw_route_table {
	struct res r;
	struct transit_gateway *tgw;
	bool is_default;		/* the implicit "TGW.default-rt" */
	/* As written; the default table's members are derived
	 * (tgw_association_of, tgw_propagates). */
	struct tgw_attachment **assoc, **prop;
	size_t nassoc, nprop;
	struct place *assoc_at, *prop_at;
	struct tgw_route *routes;
	size_t nroutes;
	struct place tgw_at;
};

/* The table attachment a is associated with: the one whose associate
 * line names it, else its gateway's default table when
 * default-association is on; NULL: none, its traffic drops. */
struct tgw_route_table *tgw_association_of(const struct tgw_attachment *a);
/* Whether a propagates into t: t's propagate line names it, or t is the
 * default table, default-propagation is on and no table names it. */
bool tgw_propagates(const struct tgw_route_table *t,
		    const struct tgw_attachment *a);
/* The attachment of v to gateway g, or NULL. */
struct tgw_attachment *tgw_attachment_of(const struct transit_gateway *g,
					 const struct vpc *v);
/* The routes of t as the gateway uses them: each static route (target
 * NULL: blackhole), then the blocks of each VPC that propagates into t,
 * then the static-routes of each static VPN connection that does,
 * except a prefix that a static route or an earlier propagation holds
 * . fn is called once per route. */
/* What a's traffic may reach: the destinations of its table that lead
 * to another attachment, into *ret (the caller frees it); their number,
 * or -ENOMEM. */
ssize_t tgw_reach(const struct tgw_attachment *a, struct cidr **ret);
void tgw_routes(const struct tgw_route_table *t,
		void (*fn)(void *arg, struct cidr dst,
			   const struct tgw_attachment *target,
			   bool propagated),
		void *arg);

/* A customer gateway: the on-premises router, namespace "LAB-NAME", with
 * its public address on the emulated internet and its networks behind
 * it, where on-premises hosts live. */
struct customer_gateway {
	struct res r;			/* id: "cgw-" */
	uint32_t ip;
	unsigned long asn;		/* BgpAsn, default 65000 */
	struct cidr *networks;
	size_t nnetworks;
	struct place *networks_at;
	char ifname[MODEL_IFNAME_MAX];	/* "cgw-1a2b3c4d", internet side */
	char *netns;			/* "LAB-NAME" */
	struct place ip_at, asn_at;
};

/* A machine behind a customer gateway: namespace "LAB-NAME", eth0 with
 * its address, everything through the gateway's namespace. */
struct onprem_host {
	struct res r;			/* id: "onp-" (no AWS resource) */
	struct customer_gateway *cgw;
	uint32_t ip;
	char ifname[MODEL_IFNAME_MAX];	/* "onp-1a2b3c4d", gateway side */
	char *netns;
	struct place cgw_at, ip_at;
};

/* A virtual private gateway: namespace "LAB-NAME" between its VPC's
 * router (one veth, named by the ID at both ends) and the tunnels of its
 * connections. */
struct vpn_gateway {
	struct res r;			/* id: "vgw-" */
	struct vpc *vpc;		/* attached VPC, NULL: detached */
	unsigned long asn;		/* AmazonSideAsn, default 64512 */
	char ifname[MODEL_IFNAME_MAX];	/* "vgw-1a2b3c4d" */
	char *netns;
	struct place vpc_at, asn_at;
};

/* AWS gives every VPN connection two tunnels. */
#define MODEL_VPN_TUNNELS 2

/* One tunnel's AWS end: namespace "LAB-CONN_tN" ('_' is in no name),
 * eth0 on the emulated internet with the outside address, gw0 linked to
 * the gateway's namespace, where the link is named ifname. */
struct vpn_tunnel {
	uint32_t outside_ip;		/* from the public pool */
	uint32_t inside;		/* the /30: +1 AWS's, +2 the customer's */
	char ifname[MODEL_IFNAME_MAX];	/* "vpnN-1a2b3c4d", gateway side */
	char out_ifname[MODEL_IFNAME_MAX];	/* "vpoN-1a2b3c4d", internet
						   side */
	char *netns;
	char psk[33];			/* derived from the ID: [a-z0-9._] */
};

/* A Site-to-Site VPN connection to a virtual private gateway or a
 * transit gateway. */
struct vpn_connection {
	struct res r;			/* id: "vpn-" */
	struct customer_gateway *cgw;
	struct vpn_gateway *vgw;	/* exactly one of vgw, tgw */
	struct transit_gateway *tgw;
	bool bgp;			/* routing bgp (default) or static */
	struct cidr *routes;		/* static-routes */
	size_t nroutes;
	struct place *routes_at;
	struct vpn_tunnel tunnels[MODEL_VPN_TUNNELS];
	/* With tgw: its attachment under the connection's name, linked to
	 * the gateway from namespace "LAB-NAME", which forwards into the
	 * tunnels as a virtual private gateway's does (plan.c). */
	struct tgw_attachment att;
	char *att_netns;
	struct place cgw_at, gw_at, routing_at;
};

/* Whether gw (a customer, virtual private or transit gateway) has a VPN
 * connection, one with BGP routing when bgp (res/vpn_connection.c). */
bool vpn_has_connection(const struct lab *lab, const struct res *gw,
			bool bgp);

/* The first usable slot of the tunnel inside /30s, and how many: from
 * 169.254.8.0/30 on, below PLAN_ADDR_PLINK (169.254.192.0/18); AWS's
 * reserved 169.254.0.0/30 to 169.254.5.0/30 lie before it and
 * 169.254.169.252/30 is skipped (vpn_connection.c). */
#define MODEL_VPN_INSIDE_FIRST 0xa9fe0800u
#define MODEL_VPN_INSIDE_SLOTS ((0xa9fec000u - MODEL_VPN_INSIDE_FIRST) / 4)

/* The public IPv4 pool (pool.c): the default blocks, RFC 5737 space that
 * can never reach a real host, then the lab's public-ip-pool lines in file
 * order. Its slots number the usable addresses of each block in turn (all
 * but the network and broadcast addresses). */
#define MODEL_PUBLIC_POOL_1 CIDR(198, 51, 100, 0, 24)
#define MODEL_PUBLIC_POOL_2 CIDR(203, 0, 113, 0, 24)
#define MODEL_PUBLIC_POOL_DEFAULT_SLOTS (2 * 254)
/* What a public-ip-pool line may hold (model.c refuses the rest). */
#define MODEL_PUBLIC_POOL_PREFIX_MIN 16
#define MODEL_PUBLIC_POOL_PREFIX_MAX 30
#define MODEL_PUBLIC_POOLS_MAX 16

/* How many slots lab's pool has. */
size_t model_public_pool_size(const struct lab *lab);
/* Whether a is one of the pool's addresses. */
bool model_public_pool_has(const struct lab *lab, uint32_t a);
/* The pool's slot-th address, 0 past the last. */
uint32_t model_public_pool_at(const struct lab *lab, size_t slot);
/* The slot of address a, model_public_pool_size() when a is not in the
 * pool. */
size_t model_public_pool_slot(const struct lab *lab, uint32_t a);

/* expect SRC -> DST RULE reachable|blocked [REASON] */
struct expect {
	struct res *src;	/* an instance or an internet host */
	struct res *dst;	/* likewise; NULL when the destination is an IP */
	uint32_t dst_ip;	/* always set: an instance's is its private IP */
	/* Where the probe's ends run (`vpcemu test`), borrowed from src's
	 * and dst's ENI or host; dst_netns is NULL when DST is an IP (the
	 * test looks up who holds it: an IP names no resource, and the
	 * resource may go meanwhile, as an instance can be terminated). */
	const char *src_netns, *dst_netns;
	struct proto_match proto;	/* icmp, tcp PORT or udp PORT */
	bool reachable;
	char *reason;		/* may be NULL */
	char *text;		/* the line as written, for reports */
	struct place at;
};

/* The resources of one kind: pointers to structs that start with a
 * struct res. */
struct res_list {
	struct res **v;
	size_t n;
};

struct lab {
	char *name;		/* "lab NAME" or the file name without extension */
	char *file;
	/* The file's text as parsed (load_lab_file keeps it: apply records
	 * the exact bytes its plan came from); NULL otherwise. */
	char *text;
	size_t text_len;
	char *region;		/* top level, default us-east-1 */
	char *account;		/* top level, default 111111111111 */
	struct place name_at;
	/* public-ip-pool lines, file order (pool.c); one place each. */
	struct cidr *pools;
	struct place *pools_at;
	size_t npools;

	/* Every resource by kind, in file order (model.h's top). The typed
	 * names below are the same arrays, for the kinds other modules
	 * read by type. */
	union {
		struct res_list res[RES__COUNT];
		struct {
			struct vpc **vpcs;
			size_t nvpcs;
			struct subnet **subnets;
			size_t nsubnets;
			struct route_table **route_tables;
			size_t nroute_tables;
			struct peering **peerings;
			size_t npeerings;
			struct sg **sgs;
			size_t nsgs;
			struct nacl **nacls;
			size_t nnacls;
			struct iam_role **roles;
			size_t nroles;
			struct instance **instances;
			size_t ninstances;
			struct endpoint **endpoints;
			size_t nendpoints;
			struct eni **enis; /* instances' first, then
					      endpoints' */
			size_t nenis;
		};
	};
	struct expect *expects;
	size_t nexpects;
};

/* The typed names alias lab->res[]: same order, same layout. */
#define MODEL_ALIAS_(arr, k)                                                   \
	_Static_assert(offsetof(struct lab, arr) ==                            \
			   offsetof(struct lab, res[k].v),                     \
		       #arr " is not lab->res[" #k "]")
MODEL_ALIAS_(vpcs, RES_VPC);
MODEL_ALIAS_(subnets, RES_SUBNET);
MODEL_ALIAS_(route_tables, RES_ROUTE_TABLE);
MODEL_ALIAS_(peerings, RES_PEERING);
MODEL_ALIAS_(sgs, RES_SG);
MODEL_ALIAS_(nacls, RES_NACL);
MODEL_ALIAS_(roles, RES_IAM_ROLE);
MODEL_ALIAS_(instances, RES_INSTANCE);
MODEL_ALIAS_(endpoints, RES_ENDPOINT);
MODEL_ALIAS_(enis, RES_ENI);
#undef MODEL_ALIAS_

/* Builds the model of a parsed file. lab_name, when not NULL, overrides the
 * file's "lab" line (vpcemu up --name). Queues diagnostics in d; returns
 * NULL on allocation failure, else a model that is complete only when d has
 * no errors. */
struct lab *model_build(const struct conf_file *f, const char *lab_name,
			struct diags *d);
void lab_free(struct lab *lab);
/* Puts each VPC's implicit route table, ACL and group right after its
 * last written one (at the end for a VPC with none), as model_build
 * orders them: a command that adds a written one calls it. A table's
 * rank among its VPC's tables (its kernel table) does not move when the
 * new one comes after the VPC's others. 0 or -ENOMEM. */
int model_order_implicit(struct lab *lab);
/* Frees a resource not (or no longer) in a lab's arrays, with what it
 * owns; the resources it points to are separate. Accepts NULL. */
void res_free(struct res *r);

/* Whether e's address is written in the file (an instance's or NAT
 * gateway's private-ip, an endpoint's or load balancer's private-ips),
 * and where (ret_at may be NULL). */
bool model_eni_ip_given(const struct eni *e, struct place *ret_at);
/* What e belongs to, and its noun ("instance", "endpoint", ...). */
const struct res *model_eni_owner(const struct eni *e);

/* The public IP of e's owner: an instance's public IP or Elastic IP, a
 * public NAT gateway's Elastic IP, an internet-facing load balancer
 * node's; 0 when none. */
uint32_t model_eni_public_ip(const struct eni *e);
/* Whether e carries no security group and forwards for others: a NAT
 * gateway's, a load balancer node's written without groups. */
bool model_eni_ungated(const struct eni *e);

/* ELBv2's ARN of a load balancer, target group or listener (out:
 * MODEL_ARN_MAX), from its ID (res/load_balancer.c). */
#define MODEL_ARN_MAX 256
void load_balancer_arn(char *out, const struct lab *lab, const struct res *r);
const char *lb_protocol_name(enum lb_protocol p);	/* "TCP", ... */
/* A target group's defaults: TCP, a TCP health check, AWS's interval
 * and thresholds (res/target_group.c); an HTTP check's default path. */
void target_group_init(struct target_group *tg);
#define TARGET_GROUP_HTTP_PATH "/"
/* The region and account of a load balancer's resources. */
const char *load_balancer_region(const struct lab *lab,
				 const struct load_balancer *lb);
const char *load_balancer_account(const struct lab *lab,
				  const struct load_balancer *lb);
/* The VPC of an endpoint service (its first load balancer's), or NULL. */
const struct vpc *endpoint_service_vpc(const struct endpoint_service *s);
const char *endpoint_state_name(enum endpoint_state s);	/* AWS spelling */

/* The internet gateway attached to v, or NULL (res/internet_gateway.c). */
struct internet_gateway *internet_gateway_of(const struct lab *lab,
					     const struct vpc *v);

/* The script of ud (inline or from its file), NULL when none. */
const char *user_data_script(const struct user_data *ud);
/* The instance's user data, NULL when none. */
const char *instance_user_data(const struct instance *in);

/* Looks a resource up by name or ID; kind RES__COUNT matches any kind. */
struct res *model_find(const struct lab *lab, enum res_kind kind,
		       const char *name_or_id);

/* Stable ID: prefix + 17 lower-case hex digits from a hash of
 * (lab, kind, name); writes at most MODEL_ID_MAX bytes. */
void model_make_id(char *out, const char *prefix, const char *lab,
		   const char *kind, const char *name);

/* A rule as AWS words it in InvalidPermission.* messages: "peer: CIDR or
 * sg-ID, PROTO, from port: N, to port: N, ALLOW" (ports -1 when all). */
void sg_rule_text(const struct sg_rule *r, char *buf, size_t len);

const char *res_kind_name(enum res_kind k);	/* "vpc", "subnet", ... */

/* A name a lab or resource may have: [A-Za-z0-9][A-Za-z0-9._-]{0,47},
 * and not one that a reference would take for an AWS ID. */
bool model_name_ok(const char *s);
/* Whether s has the shape of an AWS ID (a known prefix and 8 to 17 hex
 * digits, or an IAM role ID). */
bool model_name_looks_like_id(const char *s);
const char *peering_status_name(enum peering_status s);	/* AWS spelling */
/* The status named name (AWS spelling); 0 or -EINVAL. */
int peering_status_parse(const char *name, enum peering_status *ret);

/* A regional service behind gateway endpoints, emulated in the
 * lab: the CIDR of AWS's prefix list for it, which a gateway endpoint's
 * routes name, and the one address in it where vpcemud answers. The
 * ranges are us-east-1's, used for every region: nothing leaves the lab. */
struct gateway_service {
	const char *name;	/* "s3", "dynamodb" */
	struct cidr prefix;
	uint32_t ip;
};

/* The services, in a fixed order; NULL-named after the last. */
extern const struct gateway_service gateway_services[];
/* The service of that short name, or NULL. */
const struct gateway_service *gateway_service(const char *name);
/* The service whose prefix list overlaps c, or NULL: those addresses are
 * AWS's, not an internet host's or a public pool's. */
const struct gateway_service *gateway_service_overlapping(struct cidr c);
/* The prefix list ID of "com.amazonaws.REGION.NAME" (out: MODEL_ID_MAX):
 * the same in every lab, as an AWS-managed list is in every account. */
void gateway_prefix_list_id(char *out, const char *service);

/* The region of "com.amazonaws.REGION.NAME" or
 * "com.amazonaws.vpce.REGION.vpce-svc-...": its start and length, and the
 * service name after it. False for any other shape. */
bool endpoint_service_split(const char *svc, const char **region, size_t *len,
			    const char **name);

#endif
