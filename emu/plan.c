/* plan.c - model -> the kernel objects of a lab (pure: no I/O).
 *
 * Sits between check.c and lab.c. The layout it encodes is described in
 * include/vpcemu/plan.h; the nftables text comes from nftgen.c. Everything
 * here is derived from the model alone, so the same lab always yields the
 * same plan, byte for byte (plan_dump is golden-tested).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/nftgen.h"
#include "vpcemu/nftlb.h"
#include "vpcemu/plan.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

#define TABLE_MAIN 254u

/* Capacities of the plan's arrays: VEC_PUSH needs a counter per array. */
struct plan_caps {
	size_t ns, sysctls, veths, addrs, routes, rules, nfts, files;
};

struct builder {
	const struct lab *lab;
	struct plan *p;
	struct plan_caps cap;
	size_t *router_of_vpc;	/* lab->vpcs index -> plan ns index */
	/* lab->vpcs index -> ENIs of that VPC planned so far: an ENI's rule
	 * pref is its place in its VPC, so that ENIs elsewhere never move
	 * it. */
	uint32_t *enis_of_vpc;
	size_t *ns_of_eni;	/* lab->enis index -> plan ns index */
	uint32_t plinks;	/* PrivateLink links planned so far */
	size_t inet;		/* the internet's namespace, once planned */
	int err;
};

static void fail(struct builder *b)
{
	if (!b->err)
		b->err = -ENOMEM;
}

static size_t vpc_index(const struct lab *lab, const struct vpc *vpc)
{
	size_t i;

	for (i = 0; i < lab->nvpcs; i++)
		if (lab->vpcs[i] == vpc)
			break;
	return i;
}

static size_t add_ns(struct builder *b, const char *name,
		     enum plan_ns_kind kind)
{
	struct plan_ns *ns = VEC_PUSH(b->p->ns, b->p->nns, b->cap.ns);

	if (!ns || !(ns->name = strdup(name))) {
		fail(b);
		return 0;
	}
	ns->kind = kind;
	return b->p->nns - 1;
}

/* path: taken (NULL: out of memory, reported here). */
static void add_sysctl_path(struct builder *b, size_t ns, const char *value,
			    char *path)
{
	struct plan_sysctl *s;

	s = VEC_PUSH(b->p->sysctls, b->p->nsysctls, b->cap.sysctls);
	if (!s || !path || !(s->value = strdup(value))) {
		free(path);
		fail(b);
		return;
	}
	s->path = path;
	s->ns = ns;
}

static void add_sysctl(struct builder *b, size_t ns, const char *value,
		       const char *path)
{
	add_sysctl_path(b, ns, value, strdup(path));
}

/* Proxy ARP answers late (up to 0.8 s) unless told not to; there is no
 * per-namespace default for it (kernel 6.18). */
static void add_proxy_delay(struct builder *b, size_t ns, const char *dev)
{
	struct strbuf path = { 0 };

	sb_puts(&path, "net/ipv4/neigh/");
	sb_puts(&path, dev);
	sb_puts(&path, "/proxy_delay");
	add_sysctl_path(b, ns, "0", sb_take(&path));
}

/* The model's interface names fit (model.h); copied without a format,
 * thousands of times in a large lab. */
static void copy_ifname(char dst[MODEL_IFNAME_MAX], const char *name)
{
	size_t n = strnlen(name, MODEL_IFNAME_MAX - 1);

	memcpy(dst, name, n);
	dst[n] = '\0';
}

static void add_veth(struct builder *b, size_t ns_a, const char *name_a,
		     size_t ns_b, const char *name_b, bool up)
{
	struct plan_veth *v = VEC_PUSH(b->p->veths, b->p->nveths, b->cap.veths);

	if (!v) {
		fail(b);
		return;
	}
	v->ns_a = ns_a;
	copy_ifname(v->name_a, name_a);
	v->ns_b = ns_b;
	copy_ifname(v->name_b, name_b);
	v->up = up;
}

static void add_addr(struct builder *b, size_t ns, const char *dev,
		     uint32_t addr, uint8_t prefix)
{
	struct plan_addr *a = VEC_PUSH(b->p->addrs, b->p->naddrs, b->cap.addrs);

	if (!a) {
		fail(b);
		return;
	}
	a->ns = ns;
	copy_ifname(a->dev, dev);
	a->addr = addr;
	a->prefix = prefix;
}

/* dev NULL: blackhole. */
static void add_route(struct builder *b, size_t ns, uint32_t table,
		      struct cidr dst, const char *dev, uint32_t gateway)
{
	struct plan_route *r = VEC_PUSH(b->p->routes, b->p->nroutes,
					b->cap.routes);

	if (!r) {
		fail(b);
		return;
	}
	r->ns = ns;
	r->table = table;
	r->dst = dst;
	r->type = dev ? PLAN_ROUTE_UNICAST : PLAN_ROUTE_BLACKHOLE;
	if (dev)
		copy_ifname(r->dev, dev);
	r->gateway = gateway;
}

/* The rule added, for what only some rules set (fwmark); NULL when out
 * of memory (reported here). */
static struct plan_rule *add_rule(struct builder *b, size_t ns, uint32_t pref,
				  const char *iif, struct cidr dst,
				  enum plan_rule_action action, uint32_t table)
{
	struct plan_rule *r = VEC_PUSH(b->p->rules, b->p->nrules, b->cap.rules);

	if (!r) {
		fail(b);
		return NULL;
	}
	r->ns = ns;
	r->pref = pref;
	if (iif)
		copy_ifname(r->iif, iif);
	r->dst = dst;
	r->action = action;
	r->table = table;
	return r;
}

static void add_file(struct builder *b, size_t ns, const char *name,
		     char *content)
{
	struct plan_file *f = VEC_PUSH(b->p->files, b->p->nfiles, b->cap.files);

	if (!f || !content || !(f->name = strdup(name))) {
		free(content);
		fail(b);
		return;
	}
	f->ns = ns;
	f->content = content;
}

/* Kernel table of a route table: its rank among its VPC's tables. */
static uint32_t table_id(const struct lab *lab, const struct route_table *rt)
{
	uint32_t rank = 0;
	size_t i;

	for (i = 0; i < lab->nroute_tables && lab->route_tables[i] != rt; i++)
		if (lab->route_tables[i]->vpc == rt->vpc)
			rank++;
	return PLAN_TABLE_BASE + rank;
}

/* A namespace that forwards between its ports and answers ARP for what it
 * routes elsewhere (VPC routers, the lab's internet). A new namespace
 * inherits these from the host (kernel-notes): set each one. Devices
 * created afterwards copy conf/default. */
static void add_forwarder_sysctls(struct builder *b, size_t ns)
{
	add_sysctl(b, ns, "1", "net/ipv4/ip_forward");
	add_sysctl(b, ns, "0", "net/ipv4/conf/all/rp_filter");
	add_sysctl(b, ns, "0", "net/ipv4/conf/default/rp_filter");
	add_sysctl(b, ns, "0", "net/ipv4/conf/all/send_redirects");
	add_sysctl(b, ns, "0", "net/ipv4/conf/default/send_redirects");
	add_sysctl(b, ns, "1", "net/ipv4/conf/default/proxy_arp");
	add_sysctl(b, ns, "1", "net/ipv6/conf/all/disable_ipv6");
	add_sysctl(b, ns, "1", "net/ipv6/conf/default/disable_ipv6");
}

/* A namespace at the end of a link (an ENI's, an internet host's): it
 * takes no redirect and has no IPv6. */
static void add_end_host_sysctls(struct builder *b, size_t ns)
{
	add_sysctl(b, ns, "0", "net/ipv4/conf/all/accept_redirects");
	add_sysctl(b, ns, "0", "net/ipv4/conf/default/accept_redirects");
	add_sysctl(b, ns, "1", "net/ipv6/conf/all/disable_ipv6");
	add_sysctl(b, ns, "1", "net/ipv6/conf/default/disable_ipv6");
}

char *plan_router_netns(const struct lab *lab, const struct vpc *vpc)
{
	return str_printf("%s-%s", lab->name, vpc->r.name);
}

static void plan_router(struct builder *b, const struct vpc *vpc)
{
	const struct lab *lab = b->lab;
	char *name = plan_router_netns(lab, vpc);
	size_t ns, i;

	if (!name) {
		fail(b);
		return;
	}
	ns = add_ns(b, name, PLAN_NS_ROUTER);
	free(name);
	if (b->err)
		return;
	b->router_of_vpc[vpc_index(lab, vpc)] = ns;

	add_forwarder_sysctls(b, ns);
	/* Flow logs count accepted traffic with conntrack's per-flow
	 * counters (svc/flowlog.c), off unless a flow log needs them:
	 * written either way, since a removed sysctl stays as it is
	 * (diff.h) and a deleted flow log must not leave them on. */
	add_sysctl(b, ns, flow_log_vpc_logged(lab, vpc) ? "1" : "0",
		   "net/netfilter/nf_conntrack_acct");

	/* The VPC router answers at base+1 of every subnet; the
	 * daemon's services listen on the router too: Amazon DNS at the
	 * primary block's base+2 and 169.254.169.253 when DNS support is on
	 * IMDS at 169.254.169.254. */
	for (i = 0; i < lab->nsubnets; i++)
		if (lab->subnets[i]->vpc == vpc)
			add_addr(b, ns, "lo", lab->subnets[i]->cidr.addr + 1, 32);
	if (vpc->dns_support) {
		add_addr(b, ns, "lo", vpc->cidrs[0].addr + 2, 32);
		add_addr(b, ns, "lo", PLAN_ADDR_DNS, 32);
	}
	add_addr(b, ns, "lo", PLAN_ADDR_IMDS, 32);

	/* The local route: VPC blocks are looked up in main, which
	 * holds only the ENIs' /32s; any other address of a block drops. */
	for (i = 0; i < vpc->ncidrs; i++) {
		add_rule(b, ns, PLAN_PREF_LOCAL, NULL, vpc->cidrs[i],
			 PLAN_RULE_LOOKUP, TABLE_MAIN);
		add_route(b, ns, TABLE_MAIN, vpc->cidrs[i], NULL, 0);
	}
	/* Whatever no route table routes is dropped silently, as AWS does,
	 * instead of falling through to main and drawing ICMP errors. */
	add_rule(b, ns, PLAN_PREF_LAST, NULL, (struct cidr){ 0 },
		 PLAN_RULE_BLACKHOLE, 0);
}

/* A NAT gateway's namespace forwards what the router sends it and gives
 * it its own address as the source, out of eth0 where it came in:
 * no redirects. Idle TCP flows end after 350 s. */
/* ruleset (taken; NULL: out of memory) for namespace ns. */
static void add_nft(struct builder *b, size_t ns, char *ruleset)
{
	struct plan_nft *n = VEC_PUSH(b->p->nfts, b->p->nnfts, b->cap.nfts);

	if (!n || !ruleset) {
		free(ruleset);
		fail(b);
		return;
	}
	n->ns = ns;
	n->ruleset = ruleset;
}

/* An end host that forwards for others (a NAT gateway, a load balancer
 * node, an endpoint to a service): forwarding on, no redirects. */
static void add_forwarding_sysctls(struct builder *b, size_t ns)
{
	add_sysctl(b, ns, "1", "net/ipv4/ip_forward");
	add_sysctl(b, ns, "0", "net/ipv4/conf/all/send_redirects");
	add_sysctl(b, ns, "0", "net/ipv4/conf/default/send_redirects");
}

static void plan_nat(struct builder *b, size_t ns, const struct eni *eni)
{
	char ip[IP_BUF];

	add_forwarding_sysctls(b, ns);
	add_sysctl(b, ns, "350",
		   "net/netfilter/nf_conntrack_tcp_timeout_established");
	ip_fmt(eni->ip, ip);
	add_nft(b, ns, str_printf(
		"flush ruleset\n\n"
		"table inet vpcemu {\n"
		"\tcomment \"NAT gateway %s %s\"\n\n"
		"\tchain nat_out {\n"
		"\t\ttype nat hook postrouting priority srcnat; "
		"policy accept;\n"
		"\t\toifname \"eth0\" ip saddr != %s snat ip to %s\n"
		"\t}\n"
		"}\n",
		eni->nat->r.id, eni->nat->r.name, ip, ip));
}

unsigned plan_node_number(const struct lab *lab, const struct eni *e)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < lab->nenis && lab->enis[i] != e; i++)
		if (lab->enis[i]->lb &&
		    lab->enis[i]->subnet->vpc == e->subnet->vpc)
			n++;
	return n < PLAN_MARK_NODE >> 8 ? n + 1 : 0;
}

/* A load balancer node: it forwards its listeners' flows with
 * the client's address (nftlb.h), so the router sends the targets'
 * replies back through it: the flows it opens carry its number in their
 * conntrack mark (nftgen.c), which selects a table whose default route
 * leads to it. Health checks narrow its targets later (svc/health.c). */
static void plan_node(struct builder *b, size_t ns, size_t router,
		      const struct eni *eni)
{
	unsigned n = plan_node_number(b->lab, eni);
	struct plan_rule *r;

	add_forwarding_sysctls(b, ns);
	add_nft(b, ns, nftlb_node(b->lab, eni, NULL, NULL));
	if (!n)
		return;
	add_route(b, router, PLAN_TABLE_NODE + n, (struct cidr){ 0 },
		  eni->ifname, eni->ip);
	r = add_rule(b, router, PLAN_PREF_NODE, NULL, (struct cidr){ 0 },
		     PLAN_RULE_LOOKUP, PLAN_TABLE_NODE + n);
	if (r)
		r->fwmark = n << 8;
}

/* Whether dst lies inside one of v's blocks (a middlebox route). */
static bool in_vpc_blocks(const struct vpc *v, struct cidr dst)
{
	size_t i;

	for (i = 0; i < v->ncidrs; i++)
		if (cidr_contains(v->cidrs[i], dst))
			return true;
	return false;
}

static void plan_eni(struct builder *b, const struct eni *eni)
{
	const struct subnet *sn = eni->subnet;
	size_t v = vpc_index(b->lab, sn->vpc), router = b->router_of_vpc[v];
	uint32_t place = b->enis_of_vpc[v]++;
	const struct vpc *vpc = sn->vpc;
	struct strbuf f = { 0 };
	char ipbuf[16], *dot;
	size_t ns, i;

	ns = add_ns(b, eni->netns, PLAN_NS_ENI);
	if (b->err)
		return;
	add_end_host_sysctls(b, ns);

	add_veth(b, ns, "eth0", router, eni->ifname, true);
	add_proxy_delay(b, router, eni->ifname);

	add_addr(b, ns, "eth0", eni->ip, sn->cidr.len);
	add_route(b, ns, TABLE_MAIN, (struct cidr){ 0 }, "eth0",
		  sn->cidr.addr + 1);
	add_route(b, router, TABLE_MAIN, (struct cidr){ eni->ip, 32 },
		  eni->ifname, 0);
	add_rule(b, router, PLAN_PREF_ENI + place, eni->ifname,
		 (struct cidr){ 0 }, PLAN_RULE_LOOKUP, table_id(b->lab, sn->rt));
	for (i = 0; i < sn->rt->nroutes; i++)
		if (in_vpc_blocks(vpc, sn->rt->routes[i].dst))
			add_rule(b, router, PLAN_PREF_MIDDLEBOX, eni->ifname,
				 sn->rt->routes[i].dst, PLAN_RULE_LOOKUP,
				 table_id(b->lab, sn->rt));

	/* Amazon DNS answers at the primary block's base+2.
	 * Both files are put together without a format: one pair per ENI. */
	sb_puts(&f, "nameserver ");
	sb_puts(&f, ip_fmt(vpc->cidrs[0].addr + 2, ipbuf));
	if (!strcmp(vpc->region, "us-east-1")) {
		sb_puts(&f, "\nsearch ec2.internal\n");
	} else {
		sb_puts(&f, "\nsearch ");
		sb_puts(&f, vpc->region);
		sb_puts(&f, ".compute.internal\n");
	}
	add_file(b, ns, "resolv.conf", sb_take(&f));
	sb_puts(&f, "127.0.0.1\tlocalhost\n");
	sb_puts(&f, ip_fmt(eni->ip, ipbuf));
	sb_puts(&f, "\tip-");
	for (dot = ipbuf; (dot = strchr(dot, '.')); )
		*dot = '-';
	sb_puts(&f, ipbuf);
	sb_puts(&f, " ");
	sb_puts(&f, eni->r.name);
	sb_puts(&f, "\n");
	add_file(b, ns, "hosts", sb_take(&f));
	if (eni->nat)
		plan_nat(b, ns, eni);
	if (eni->lb)
		plan_node(b, ns, router, eni);
}

/* The node of the service's load balancer that endpoint ENI e talks to:
 * the one in e's AZ, else the first. */
static const struct eni *plink_node(const struct eni *e)
{
	const struct load_balancer *lb = e->endpoint->svc->lbs[0];
	size_t i;

	for (i = 0; i < lb->nenis; i++)
		if (e->subnet && lb->enis[i]->subnet &&
		    str_eq(e->subnet->az, lb->enis[i]->subnet->az))
			return lb->enis[i];
	return lb->nenis ? lb->enis[0] : NULL;
}

static size_t eni_index(const struct lab *lab, const struct eni *e)
{
	size_t i;

	for (i = 0; i < lab->nenis && lab->enis[i] != e; i++)
		;
	return i;
}

/* An interface endpoint to an endpoint service: a link
 * from its namespace to a node of the service's load balancer, a /30 of
 * PLAN_ADDR_PLINK, up while the connection is available; the endpoint
 * forwards its listener ports over it (nftlb.h). The provider's side
 * holds no route to the consumer: its replies go back by conntrack. */
static void plan_plink(struct builder *b, size_t i)
{
	const struct eni *e = b->lab->enis[i];
	const struct eni *node = plink_node(e);
	uint32_t base = PLAN_ADDR_PLINK + 4 * b->plinks++;
	size_t ns = b->ns_of_eni[i], nns;
	char ifname[MODEL_IFNAME_MAX];

	if (!node)
		return;
	nns = b->ns_of_eni[eni_index(b->lab, node)];
	snprintf(ifname, sizeof(ifname), "plk-%.8s", e->r.id + 4);
	add_veth(b, ns, NFTLB_LINK, nns, ifname,
		 e->endpoint->state == ENDPOINT_AVAILABLE);
	add_addr(b, ns, NFTLB_LINK, base + 2, 30);
	add_addr(b, nns, ifname, base + 1, 30);
	add_forwarding_sysctls(b, ns);
	add_nft(b, ns, nftlb_endpoint(b->lab, e, base + 2, base + 1));
}

static void plan_peering(struct builder *b, const struct peering *pc)
{
	size_t ra = b->router_of_vpc[vpc_index(b->lab, pc->requester)];
	size_t rb = b->router_of_vpc[vpc_index(b->lab, pc->accepter)];

	/* Only an active peering carries traffic (§6.1); the link exists in
	 * every state so that accepting it later only sets it up. */
	add_veth(b, ra, pc->ifname, rb, pc->ifname,
		 pc->status == PEERING_ACTIVE);
	add_proxy_delay(b, ra, pc->ifname);
	add_proxy_delay(b, rb, pc->ifname);
}

static void plan_route_table(struct builder *b, const struct route_table *rt)
{
	size_t ns = b->router_of_vpc[vpc_index(b->lab, rt->vpc)];
	uint32_t table = table_id(b->lab, rt);
	size_t i;

	for (i = 0; i < rt->nroutes; i++) {
		const struct route *r = &rt->routes[i];
		const struct route_target *t =
			r->target ? res_types[r->target->kind]->target : NULL;
		const char *dev = t ? t->dev(rt, r->target) : NULL;

		add_route(b, ns, table, r->dst, dev,
			  dev && t->gateway ? t->gateway(r->target) : 0);
	}
}

/* Whether rt has a route of its own to exactly dst. */
static bool has_route_to(const struct route_table *rt, struct cidr dst)
{
	size_t i;

	for (i = 0; i < rt->nroutes; i++)
		if (rt->routes[i].dst.addr == dst.addr &&
		    rt->routes[i].dst.len == dst.len)
			return true;
	return false;
}

/* A gateway endpoint: a link from the VPC's router to a namespace
 * that holds the service's address, where vpcemud answers (svc.c). The
 * endpoint's tables route the service's prefix list to the link, unless
 * they route that very CIDR elsewhere (R-3.8: the CIDR route wins);
 * replies find the instance by the router's own routes. */
static void plan_gateway_endpoint(struct builder *b, const struct endpoint *e)
{
	const struct gateway_service *gs = gateway_service(e->service_short);
	size_t router = b->router_of_vpc[vpc_index(b->lab, e->vpc)];
	size_t ns, i;

	if (e->type != ENDPOINT_GATEWAY || !gs)
		return;
	ns = add_ns(b, e->netns, PLAN_NS_SERVICE);
	if (b->err)
		return;
	add_end_host_sysctls(b, ns);
	add_veth(b, router, e->ifname, ns, "eth0", true);
	add_proxy_delay(b, router, e->ifname);
	add_addr(b, ns, "eth0", gs->ip, 32);
	add_route(b, ns, TABLE_MAIN, (struct cidr){ 0 }, "eth0", 0);
	for (i = 0; i < e->nroute_tables; i++)
		if (!has_route_to(e->route_tables[i], gs->prefix))
			add_route(b, router,
				  table_id(b->lab, e->route_tables[i]),
				  gs->prefix, e->ifname, 0);
}

/* ---- hashes -------------------------------------------------------------- */

/* A multiply-xorshift over 8-byte words: the plan of a 1,000-instance lab
 * is about a megabyte of rulesets, hashed on every apply. Strings go in
 * with their NUL and a tail word carries its length, so that "ab"+"c" and
 * "a"+"bc" differ. An equality check, not a defence against forgery: the
 * plans come from our own planner. */
static void hash_bytes(uint64_t *h, const void *v, size_t n)
{
	const unsigned char *c = v;
	uint64_t w;

	for (; n >= 8; n -= 8, c += 8) {
		memcpy(&w, c, 8);
		*h = (*h ^ w) * 0x9e3779b97f4a7c15ull;
		*h ^= *h >> 32;
	}
	w = (uint64_t)n << 56;
	memcpy(&w, c, n);
	*h = (*h ^ w) * 0x9e3779b97f4a7c15ull;
	*h ^= *h >> 32;
}

static void hash_str(uint64_t *h, const char *s)
{
	hash_bytes(h, s, strlen(s) + 1);
}

static void hash_u64(uint64_t *h, uint64_t v)
{
	hash_bytes(h, &v, sizeof(v));
}

/* Each object goes into the hash of the namespace it lives in (a veth into
 * both), led by its kind; other namespaces are named, never indexed, so
 * that a namespace's hash stays when others come or go. */
enum hash_tag {
	TAG_VETH = 1,
	TAG_ADDR,
	TAG_ROUTE,
	TAG_RULE,
	TAG_SYSCTL,
	TAG_NFT,
	TAG_FILE,
};

static void hash_veth(uint64_t *h, const struct plan *p,
		      const struct plan_veth *v)
{
	hash_u64(h, TAG_VETH);
	hash_str(h, p->ns[v->ns_a].name);
	hash_str(h, v->name_a);
	hash_str(h, p->ns[v->ns_b].name);
	hash_str(h, v->name_b);
	hash_u64(h, v->up);
}

/* Fills every namespace's hash and the plan's digest. */
static void plan_hash(struct plan *p)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < p->nns; i++) {
		p->ns[i].hash = h;
		hash_u64(&p->ns[i].hash, p->ns[i].kind);
	}
	for (i = 0; i < p->nveths; i++) {
		const struct plan_veth *v = &p->veths[i];

		hash_veth(&p->ns[v->ns_a].hash, p, v);
		if (v->ns_b != v->ns_a)
			hash_veth(&p->ns[v->ns_b].hash, p, v);
	}
	for (i = 0; i < p->naddrs; i++) {
		const struct plan_addr *a = &p->addrs[i];
		uint64_t *nh = &p->ns[a->ns].hash;

		hash_u64(nh, TAG_ADDR);
		hash_str(nh, a->dev);
		hash_u64(nh, a->addr);
		hash_u64(nh, a->prefix);
	}
	for (i = 0; i < p->nroutes; i++) {
		const struct plan_route *r = &p->routes[i];
		uint64_t *nh = &p->ns[r->ns].hash;

		hash_u64(nh, TAG_ROUTE);
		hash_u64(nh, r->table);
		hash_u64(nh, r->dst.addr);
		hash_u64(nh, r->dst.len);
		hash_u64(nh, r->type);
		hash_str(nh, r->dev);
		hash_u64(nh, r->gateway);
	}
	for (i = 0; i < p->nrules; i++) {
		const struct plan_rule *r = &p->rules[i];
		uint64_t *nh = &p->ns[r->ns].hash;

		hash_u64(nh, TAG_RULE);
		hash_u64(nh, r->pref);
		hash_str(nh, r->iif);
		hash_u64(nh, r->dst.addr);
		hash_u64(nh, r->dst.len);
		hash_u64(nh, r->action);
		hash_u64(nh, r->table);
		hash_u64(nh, r->fwmark);
	}
	for (i = 0; i < p->nsysctls; i++) {
		uint64_t *nh = &p->ns[p->sysctls[i].ns].hash;

		hash_u64(nh, TAG_SYSCTL);
		hash_str(nh, p->sysctls[i].path);
		hash_str(nh, p->sysctls[i].value);
	}
	for (i = 0; i < p->nnfts; i++) {
		uint64_t *nh = &p->ns[p->nfts[i].ns].hash;

		hash_u64(nh, TAG_NFT);
		hash_str(nh, p->nfts[i].ruleset);
	}
	for (i = 0; i < p->nfiles; i++) {
		uint64_t *nh = &p->ns[p->files[i].ns].hash;

		hash_u64(nh, TAG_FILE);
		hash_str(nh, p->files[i].name);
		hash_str(nh, p->files[i].content);
	}
	/* Every object lives in a namespace: the namespaces say it all. */
	hash_u64(&h, p->nns);
	for (i = 0; i < p->nns; i++) {
		hash_str(&h, p->ns[i].name);
		hash_u64(&h, p->ns[i].hash);
	}
	snprintf(p->digest, sizeof(p->digest), "%016llx",
		 (unsigned long long)h);
}

/* ---- VPN ---------------------------------------------------------------- */

/* A machine with one address, eth0 linked to a forwarder (ns fwd, its end
 * named ifname) that routes the address back and answers ARP for the
 * rest: internet hosts, customer gateways, on-premises hosts, the AWS
 * ends of tunnels. Returns the machine's namespace. */
static size_t plan_stub(struct builder *b, size_t fwd, const char *netns,
			enum plan_ns_kind kind, const char *ifname, uint32_t ip)
{
	size_t ns = add_ns(b, netns, kind);

	if (b->err)
		return ns;
	add_veth(b, ns, "eth0", fwd, ifname, true);
	add_proxy_delay(b, fwd, ifname);
	add_addr(b, ns, "eth0", ip, 32);
	add_route(b, ns, TABLE_MAIN, (struct cidr){ 0 }, "eth0", 0);
	add_route(b, fwd, TABLE_MAIN, (struct cidr){ ip, 32 }, ifname, 0);
	return ns;
}

/* An internet host: everything through the internet namespace. */
static void plan_host(struct builder *b, size_t inet,
		      const struct internet_host *h)
{
	size_t ns = plan_stub(b, inet, h->netns, PLAN_NS_HOST, h->ifname,
			      h->ip);
	char ipbuf[IP_BUF];

	if (b->err)
		return;
	add_end_host_sysctls(b, ns);
	/* The internet's resolver: public names only (svc.c, dns.c). */
	add_file(b, ns, "resolv.conf", str_printf("nameserver %s\n",
						  ip_fmt(PLAN_ADDR_INTERNET,
							 ipbuf)));
}

char *plan_internet_netns(const struct lab *lab)
{
	return str_printf("%s-%s", lab->name, PLAN_INTERNET_NS);
}

/* Whether the lab needs an internet: an attached gateway or a host. */
bool plan_has_internet(const struct lab *lab)
{
	const struct res_list *g = &lab->res[RES_INTERNET_GATEWAY];
	size_t i;

	for (i = 0; i < g->n; i++)
		if (((const struct internet_gateway *)g->v[i])->vpc)
			return true;
	return lab->res[RES_INTERNET_HOST].n > 0 ||
	       lab->res[RES_CUSTOMER_GATEWAY].n > 0 ||
	       lab->res[RES_VPN_CONNECTION].n > 0;
}

/* A namespace where BIRD speaks BGP through the tunnels. A session that
 * dies with its tunnel leaves its socket retransmitting to a peer it
 * cannot reach (FIN-WAIT-1, 8 retries by default): that socket keeps the
 * namespace alive for minutes after down removes it. One retry lets it
 * go, but only after a timeout that the dead session's retransmissions
 * had already backed off to several seconds (past down's 5 s wait, once
 * in a full test run): timeouts capped at 1 s end it within about 2 s. */
static void add_bgp_speaker_sysctls(struct builder *b, size_t ns)
{
	add_sysctl(b, ns, "1", "net/ipv4/tcp_orphan_retries");
	add_sysctl(b, ns, "1000", "net/ipv4/tcp_rto_max_ms");
	/* New in kernel 6.15: older ones keep the 5 s wait's odds. */
	if (!b->err)
		b->p->sysctls[b->p->nsysctls - 1].optional = true;
}

/* The on-premises router: on the internet by eth0, its hosts behind it.
 * It holds base+1 of each network, so that strongSwan finds a source in
 * its traffic selectors; its networks and the tunnels' outside
 * addresses are looked up in main before charon's table, whose default
 * route leads into the tunnels. */
static void plan_cgw(struct builder *b, size_t inet,
		     const struct customer_gateway *g)
{
	const struct lab *lab = b->lab;
	const struct res_list *hosts = &lab->res[RES_ONPREM_HOST];
	const struct res_list *conns = &lab->res[RES_VPN_CONNECTION];
	size_t ns = plan_stub(b, inet, g->netns, PLAN_NS_CGW, g->ifname, g->ip);
	size_t i, t;

	if (b->err)
		return;
	add_forwarder_sysctls(b, ns);
	if (vpn_has_connection(lab, &g->r, true))
		add_bgp_speaker_sysctls(b, ns);
	for (i = 0; i < g->nnetworks; i++) {
		add_addr(b, ns, "lo", g->networks[i].addr + 1, 32);
		add_rule(b, ns, PLAN_PREF_LOCAL, NULL, g->networks[i],
			 PLAN_RULE_LOOKUP, TABLE_MAIN);
	}
	for (i = 0; i < conns->n; i++) {
		const struct vpn_connection *c =
			(const struct vpn_connection *)conns->v[i];

		for (t = 0; c->cgw == g && t < MODEL_VPN_TUNNELS; t++) {
			add_rule(b, ns, PLAN_PREF_LOCAL, NULL,
				 (struct cidr){ c->tunnels[t].outside_ip, 32 },
				 PLAN_RULE_LOOKUP, TABLE_MAIN);
			/* The customer's inside address, BGP's source. */
			if (c->bgp)
				add_addr(b, ns, "lo", c->tunnels[t].inside + 2,
					 32);
		}
	}
	for (i = 0; i < hosts->n; i++) {
		const struct onprem_host *h =
			(const struct onprem_host *)hosts->v[i];
		size_t hn;

		if (h->cgw != g)
			continue;
		hn = plan_stub(b, ns, h->netns, PLAN_NS_ONPREM, h->ifname,
			       h->ip);
		if (!b->err)
			add_end_host_sysctls(b, hn);
	}
}

/* Whether an earlier connection of g planned a route to dst in table
 * (two connections may carry the same prefix). */
static bool vgw_has_route(const struct builder *b, size_t ns, uint32_t table,
			  struct cidr dst)
{
	size_t i;

	for (i = 0; i < b->p->nroutes; i++) {
		const struct plan_route *r = &b->p->routes[i];

		if (r->ns == ns && r->table == table && cidr_eq(r->dst, dst))
			return true;
	}
	return false;
}

/* AWS's side of a connection's tunnels: a gateway namespace that
 * forwards into them (a virtual private gateway's, or a transit gateway
 * attachment's), its link towards AWS's router (the VPC's router, or the
 * transit gateway) and what lies behind that link. */
struct vpn_side {
	size_t gw, router;
	const char *link;
	const struct cidr *back;
	size_t nback;
	bool speaker;		/* the router speaks BGP (attached) */
};

/* A tunnel of a BGP connection: AWS's BGP speaker is the router (BIRD
 * there installs what it learns in the tables that propagate the
 * connection), holding the AWS inside address on the gateway link, so
 * that the customer's is directly connected; the gateway and the tunnel
 * end route both addresses, and the gateway's table for this tunnel
 * takes whatever the router sends it (the router's routes say what). */
static void plan_bgp_tunnel(struct builder *b, const struct vpn_side *s,
			    size_t ns, const struct vpn_tunnel *tu,
			    uint32_t table)
{
	struct cidr inside = { tu->inside, 30 };

	add_addr(b, s->router, s->link, tu->inside + 1, 30);
	add_rule(b, s->router, PLAN_PREF_LOCAL, NULL, inside,
		 PLAN_RULE_LOOKUP, TABLE_MAIN);
	add_rule(b, s->gw, PLAN_PREF_LOCAL, NULL, inside, PLAN_RULE_LOOKUP,
		 TABLE_MAIN);
	add_route(b, s->gw, TABLE_MAIN, (struct cidr){ tu->inside + 1, 32 },
		  s->link, 0);
	add_route(b, s->gw, TABLE_MAIN, (struct cidr){ tu->inside + 2, 32 },
		  tu->ifname, 0);
	add_route(b, ns, TABLE_MAIN, (struct cidr){ tu->inside + 1, 32 },
		  PLAN_VPN_GW_LINK, 0);
	add_route(b, s->gw, table, (struct cidr){ 0 }, tu->ifname, 0);
}

/* One connection's two tunnel ends behind side s (k: its rank among the
 * gateway's connections, which numbers its tables and rules). What
 * enters by the link looks up the first tunnel's table, then the
 * second's: a tunnel that is down has its link down, and its routes are
 * ignored. */
static void plan_vpn_conn(struct builder *b, const struct vpn_side *s,
			  const struct vpn_connection *c, uint32_t k)
{
	size_t t, i;

	for (t = 0; t < MODEL_VPN_TUNNELS; t++) {
		const struct vpn_tunnel *tu = &c->tunnels[t];
		uint32_t table = PLAN_TABLE_BASE + MODEL_VPN_TUNNELS * k +
				 (uint32_t)t;
		size_t ns = plan_stub(b, b->inet, tu->netns, PLAN_NS_VPN,
				      tu->out_ifname, tu->outside_ip);
		struct strbuf path = { 0 };

		if (b->err)
			return;
		add_forwarder_sysctls(b, ns);
		add_veth(b, s->gw, tu->ifname, ns, PLAN_VPN_GW_LINK, true);
		add_proxy_delay(b, s->gw, tu->ifname);
		add_proxy_delay(b, ns, PLAN_VPN_GW_LINK);
		for (i = 0; i < s->nback; i++)
			add_route(b, ns, TABLE_MAIN, s->back[i],
				  PLAN_VPN_GW_LINK, 0);
		sb_puts(&path, "net/ipv4/conf/");
		sb_puts(&path, tu->ifname);
		sb_puts(&path, "/ignore_routes_with_linkdown");
		add_sysctl_path(b, s->gw, "1", sb_take(&path));
		for (i = 0; i < c->nroutes; i++)
			add_route(b, s->gw, table, c->routes[i], tu->ifname, 0);
		add_rule(b, s->gw, PLAN_PREF_ENI + table - PLAN_TABLE_BASE,
			 s->link, (struct cidr){ 0 }, PLAN_RULE_LOOKUP, table);
		if (c->bgp && s->speaker)
			plan_bgp_tunnel(b, s, ns, tu, table);
	}
}

/* Route tables of g's VPC that propagate g take the static routes of
 * connection c, unless they route that very prefix themselves. */
static void plan_vgw_propagation(struct builder *b, size_t router,
				 const struct vpn_gateway *g,
				 const struct vpn_connection *c)
{
	size_t i, j, n;

	for (i = 0; !c->bgp && i < b->lab->nroute_tables; i++) {
		const struct route_table *rt = b->lab->route_tables[i];

		for (j = 0; j < rt->nprop; j++)
			if (rt->prop[j] == g)
				break;
		if (rt->vpc != g->vpc || j == rt->nprop)
			continue;
		for (n = 0; n < c->nroutes; n++)
			if (!has_route_to(rt, c->routes[n]) &&
			    !vgw_has_route(b, router, table_id(b->lab, rt),
					   c->routes[n]))
				add_route(b, router, table_id(b->lab, rt),
					  c->routes[n], g->ifname, 0);
	}
}

/* A virtual private gateway: a forwarder between its VPC's router and
 * the AWS ends of its connections' tunnels. */
static void plan_vgw(struct builder *b, const struct vpn_gateway *g)
{
	const struct res_list *conns = &b->lab->res[RES_VPN_CONNECTION];
	size_t ns = add_ns(b, g->netns, PLAN_NS_VGW), i;
	struct vpn_side s = { .gw = ns, .link = g->ifname };
	uint32_t k = 0;

	if (b->err)
		return;
	add_forwarder_sysctls(b, ns);
	add_addr(b, ns, "lo", PLAN_ADDR_VGW, 32);
	if (g->vpc) {
		s.router = b->router_of_vpc[vpc_index(b->lab, g->vpc)];
		s.speaker = true;
		s.back = g->vpc->cidrs;
		s.nback = g->vpc->ncidrs;
		add_veth(b, s.router, g->ifname, ns, g->ifname, true);
		add_proxy_delay(b, s.router, g->ifname);
		add_proxy_delay(b, ns, g->ifname);
		if (vpn_has_connection(b->lab, &g->r, true))
			add_bgp_speaker_sysctls(b, s.router);
		for (i = 0; i < g->vpc->ncidrs; i++)
			add_route(b, ns, TABLE_MAIN, g->vpc->cidrs[i],
				  g->ifname, 0);
	}
	for (i = 0; i < conns->n; i++) {
		const struct vpn_connection *c =
			(const struct vpn_connection *)conns->v[i];

		if (c->vgw != g)
			continue;
		plan_vpn_conn(b, &s, c, k++);
		if (g->vpc)
			plan_vgw_propagation(b, s.router, g, c);
	}
}

/* The lab's internet: a namespace that forwards between the gateways of
 * the VPCs and the hosts, and answers ARP for what it routes elsewhere
 * (proxy ARP), as VPC routers do. Public IPs are routed to the gateway of
 * their instance's VPC; the router translates them (nftgen.c). */
static void plan_internet(struct builder *b)
{
	const struct lab *lab = b->lab;
	const struct res_list *gl = &lab->res[RES_INTERNET_GATEWAY];
	char *name = plan_internet_netns(lab);
	size_t inet, i, j;

	if (!name) {
		fail(b);
		return;
	}
	inet = add_ns(b, name, PLAN_NS_INTERNET);
	free(name);
	if (b->err)
		return;
	add_forwarder_sysctls(b, inet);
	add_addr(b, inet, "lo", PLAN_ADDR_INTERNET, 32);
	/* The regional services are public too (through an IGW or NAT). */
	for (i = 0; gateway_services[i].name; i++)
		add_addr(b, inet, "lo", gateway_services[i].ip, 32);

	for (i = 0; i < gl->n; i++) {
		const struct internet_gateway *g =
			(const struct internet_gateway *)gl->v[i];
		size_t router;

		if (!g->vpc)
			continue;
		router = b->router_of_vpc[vpc_index(lab, g->vpc)];
		add_veth(b, router, g->ifname, inet, g->ifname, true);
		add_proxy_delay(b, router, g->ifname);
		add_proxy_delay(b, inet, g->ifname);
		/* From the internet, the router answers ARP for the public
		 * IPs it translates: a route for each through the
		 * instance's ENI, looked up for what enters by the gateway
		 * (the rule), found after translation for the packets. */
		add_rule(b, router, PLAN_PREF_GATEWAY, g->ifname,
			 (struct cidr){ 0 }, PLAN_RULE_LOOKUP, TABLE_MAIN);
		for (j = 0; j < lab->nenis; j++) {
			const struct eni *e = lab->enis[j];
			uint32_t pub = model_eni_public_ip(e);

			if (!pub || e->subnet->vpc != g->vpc)
				continue;
			add_route(b, inet, TABLE_MAIN, (struct cidr){ pub, 32 },
				  g->ifname, 0);
			add_route(b, router, TABLE_MAIN,
				  (struct cidr){ pub, 32 }, e->ifname, 0);
		}
	}
	for (i = 0; i < lab->res[RES_INTERNET_HOST].n; i++)
		plan_host(b, inet,
			  (const struct internet_host *)
				  lab->res[RES_INTERNET_HOST].v[i]);
	for (i = 0; i < lab->res[RES_CUSTOMER_GATEWAY].n; i++)
		plan_cgw(b, inet, (const struct customer_gateway *)
				      lab->res[RES_CUSTOMER_GATEWAY].v[i]);
	b->inet = inet;
}


/* ---- transit gateways ------------------------------------------------- */

/* The default table first, then the written ones in file order. */
uint32_t plan_tgw_table_id(const struct tgw_route_table *t)
{
	const struct transit_gateway *g = t->tgw;
	uint32_t i;

	for (i = 0; i < g->nrts && g->rts[i] != t; i++)
		;
	return t->is_default ? PLAN_TABLE_BASE : PLAN_TABLE_BASE + 1 + i;
}

struct tgw_table_ctx {
	struct builder *b;
	size_t ns;
	uint32_t table;
};

static void add_tgw_route(void *arg, struct cidr dst,
			  const struct tgw_attachment *target, bool propagated)
{
	struct tgw_table_ctx *c = arg;

	add_route(c->b, c->ns, c->table, dst, target ? target->ifname : NULL,
		  0);
}

static void plan_tgw_table(struct builder *b, size_t ns,
			   const struct tgw_route_table *t)
{
	struct tgw_table_ctx c = { b, ns, plan_tgw_table_id(t) };

	tgw_routes(t, add_tgw_route, &c);
}

/* A VPN attachment of a transit gateway (ns): its own namespace between
 * the gateway and the connection's tunnels, which forwards as a virtual
 * private gateway does; behind the gateway lies what the attachment's
 * table routes elsewhere. AWS's BGP speaker is the gateway. */
static void plan_tgw_vpn(struct builder *b, size_t ns,
			 const struct tgw_attachment *a)
{
	const struct vpn_connection *c = a->vpn;
	size_t gw = add_ns(b, c->att_netns, PLAN_NS_VGW), i;
	struct vpn_side s = { .gw = gw, .router = ns, .link = a->ifname,
			      .speaker = true };
	struct cidr *back = NULL;
	ssize_t n;

	if (b->err)
		return;
	add_forwarder_sysctls(b, gw);
	add_addr(b, gw, "lo", PLAN_ADDR_VGW, 32);
	add_veth(b, ns, a->ifname, gw, a->ifname, true);
	add_proxy_delay(b, ns, a->ifname);
	add_proxy_delay(b, gw, a->ifname);
	n = tgw_reach(a, &back);
	if (n < 0) {
		fail(b);
		return;
	}
	for (i = 0; i < (size_t)n; i++)
		add_route(b, gw, TABLE_MAIN, back[i], a->ifname, 0);
	s.back = back;
	s.nback = (size_t)n;
	plan_vpn_conn(b, &s, c, 0);
	free(back);
}

/* A transit gateway: a namespace that forwards between its
 * attachments' links and answers ARP for what it routes elsewhere, as a
 * VPC router does across a peering. What enters by a link is looked up
 * in the table the attachment is associated with; an attachment
 * with none, or a destination its table lacks, drops. The VPC router
 * treats the link as it treats a peering (nftgen.c): its own blocks in,
 * its own subnets of the attachment's AZs out. */
static void plan_transit_gateway(struct builder *b,
				 const struct transit_gateway *g)
{
	size_t ns = add_ns(b, g->netns, PLAN_NS_TGW), i;

	if (b->err)
		return;
	add_forwarder_sysctls(b, ns);
	if (vpn_has_connection(b->lab, &g->r, true))
		add_bgp_speaker_sysctls(b, ns);
	add_addr(b, ns, "lo", PLAN_ADDR_TGW, 32);
	for (i = 0; i < g->natts; i++) {
		const struct tgw_attachment *a = g->atts[i];
		const struct tgw_route_table *t = tgw_association_of(a);

		if (a->vpn) {
			plan_tgw_vpn(b, ns, a);
		} else {
			size_t router =
				b->router_of_vpc[vpc_index(b->lab, a->vpc)];

			add_veth(b, router, a->ifname, ns, a->ifname, true);
			add_proxy_delay(b, router, a->ifname);
			add_proxy_delay(b, ns, a->ifname);
		}
		if (t)
			add_rule(b, ns, PLAN_PREF_ENI + (uint32_t)i, a->ifname,
				 (struct cidr){ 0 }, PLAN_RULE_LOOKUP,
				 plan_tgw_table_id(t));
	}
	add_rule(b, ns, PLAN_PREF_LAST, NULL, (struct cidr){ 0 },
		 PLAN_RULE_BLACKHOLE, 0);
	if (g->default_rt)
		plan_tgw_table(b, ns, g->default_rt);
	for (i = 0; i < g->nrts; i++)
		plan_tgw_table(b, ns, g->rts[i]);
}

struct plan *plan_build(const struct lab *lab)
{
	struct builder b = { .lab = lab };
	size_t i;

	b.p = calloc(1, sizeof(*b.p));
	b.router_of_vpc = calloc(lab->nvpcs + 1, sizeof(*b.router_of_vpc));
	b.enis_of_vpc = calloc(lab->nvpcs + 1, sizeof(*b.enis_of_vpc));
	b.ns_of_eni = calloc(lab->nenis + 1, sizeof(*b.ns_of_eni));
	if (!b.p || !b.router_of_vpc || !b.enis_of_vpc || !b.ns_of_eni ||
	    !(b.p->lab = strdup(lab->name)))
		fail(&b);

	for (i = 0; !b.err && i < lab->nvpcs; i++)
		plan_router(&b, lab->vpcs[i]);
	for (i = 0; !b.err && i < lab->nenis; i++) {
		b.ns_of_eni[i] = b.p->nns;
		plan_eni(&b, lab->enis[i]);
	}
	for (i = 0; !b.err && i < lab->nenis; i++)
		if (lab->enis[i]->endpoint && lab->enis[i]->endpoint->svc)
			plan_plink(&b, i);
	for (i = 0; !b.err && i < lab->npeerings; i++)
		plan_peering(&b, lab->peerings[i]);
	if (!b.err && plan_has_internet(lab))
		plan_internet(&b);
	/* Gateways without connections too: a route may name one. */
	for (i = 0; !b.err && i < lab->res[RES_VPN_GATEWAY].n; i++)
		plan_vgw(&b, (const struct vpn_gateway *)
				     lab->res[RES_VPN_GATEWAY].v[i]);
	for (i = 0; !b.err && i < lab->res[RES_TRANSIT_GATEWAY].n; i++)
		plan_transit_gateway(&b, (const struct transit_gateway *)
					 lab->res[RES_TRANSIT_GATEWAY].v[i]);
	for (i = 0; !b.err && i < lab->nroute_tables; i++)
		plan_route_table(&b, lab->route_tables[i]);
	for (i = 0; !b.err && i < lab->nendpoints; i++)
		plan_gateway_endpoint(&b, lab->endpoints[i]);
	for (i = 0; !b.err && i < lab->nvpcs; i++)
		add_nft(&b, b.router_of_vpc[i], nftgen_router(lab, lab->vpcs[i]));

	free(b.router_of_vpc);
	free(b.enis_of_vpc);
	free(b.ns_of_eni);
	if (b.err) {
		plan_free(b.p);
		errno = -b.err;
		return NULL;
	}
	plan_hash(b.p);
	return b.p;
}

void plan_free(struct plan *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nns; i++)
		free(p->ns[i].name);
	for (i = 0; i < p->nsysctls; i++) {
		free(p->sysctls[i].path);
		free(p->sysctls[i].value);
	}
	for (i = 0; i < p->nnfts; i++)
		free(p->nfts[i].ruleset);
	for (i = 0; i < p->nfiles; i++) {
		free(p->files[i].name);
		free(p->files[i].content);
	}
	free(p->ns);
	free(p->sysctls);
	free(p->veths);
	free(p->addrs);
	free(p->routes);
	free(p->rules);
	free(p->nfts);
	free(p->files);
	free(p->lab);
	free(p);
}

static const char *const ns_kind_name[] = {
	[PLAN_NS_ROUTER] = "router",
	[PLAN_NS_ENI] = "eni",
	[PLAN_NS_INTERNET] = "internet",
	[PLAN_NS_HOST] = "host",
	[PLAN_NS_SERVICE] = "service",
	[PLAN_NS_TGW] = "transit-gateway",
	[PLAN_NS_CGW] = "customer-gateway",
	[PLAN_NS_ONPREM] = "onprem",
	[PLAN_NS_VGW] = "vpn-gateway",
	[PLAN_NS_VPN] = "vpn-tunnel",
};

void plan_dump(const struct plan *p, FILE *out)
{
	char c[20], g[16];
	size_t i;

	for (i = 0; i < p->nns; i++)
		fprintf(out, "ns %s %s\n", ns_kind_name[p->ns[i].kind],
			p->ns[i].name);
	for (i = 0; i < p->nsysctls; i++)
		fprintf(out, "sysctl %s %s=%s\n", p->ns[p->sysctls[i].ns].name,
			p->sysctls[i].path, p->sysctls[i].value);
	for (i = 0; i < p->nveths; i++) {
		const struct plan_veth *v = &p->veths[i];

		fprintf(out, "veth %s:%s %s:%s %s\n", p->ns[v->ns_a].name,
			v->name_a, p->ns[v->ns_b].name, v->name_b,
			v->up ? "up" : "down");
	}
	for (i = 0; i < p->naddrs; i++)
		fprintf(out, "addr %s %s %s/%u\n", p->ns[p->addrs[i].ns].name,
			p->addrs[i].dev, ip_fmt(p->addrs[i].addr, g),
			p->addrs[i].prefix);
	for (i = 0; i < p->nroutes; i++) {
		const struct plan_route *r = &p->routes[i];

		fprintf(out, "route %s table %u %s", p->ns[r->ns].name,
			r->table, cidr_fmt(r->dst, c));
		if (r->type == PLAN_ROUTE_BLACKHOLE)
			fprintf(out, " blackhole\n");
		else if (r->gateway)
			fprintf(out, " via %s dev %s\n", ip_fmt(r->gateway, g),
				r->dev);
		else
			fprintf(out, " dev %s\n", r->dev);
	}
	for (i = 0; i < p->nrules; i++) {
		const struct plan_rule *r = &p->rules[i];

		fprintf(out, "rule %s pref %u", p->ns[r->ns].name, r->pref);
		if (r->iif[0])
			fprintf(out, " iif %s", r->iif);
		if (r->dst.len)
			fprintf(out, " to %s", cidr_fmt(r->dst, c));
		if (r->fwmark)
			fprintf(out, " fwmark 0x%x/0x%x", r->fwmark,
				PLAN_MARK_NODE);
		if (r->action == PLAN_RULE_BLACKHOLE)
			fprintf(out, " blackhole\n");
		else
			fprintf(out, " lookup %u\n", r->table);
	}
	for (i = 0; i < p->nnfts; i++)
		fprintf(out, "nft %s %zu bytes\n", p->ns[p->nfts[i].ns].name,
			strlen(p->nfts[i].ruleset));
	for (i = 0; i < p->nfiles; i++)
		fprintf(out, "file /etc/netns/%s/%s %zu bytes\n",
			p->ns[p->files[i].ns].name, p->files[i].name,
			strlen(p->files[i].content));
}

