/* analyze.c - Reachability Analyzer over the model (analyze.h).
 *
 * Sits beside plan.c and nftgen.c and reads the same model: each step below
 * names the kernel object whose decision it repeats, so that `vpcemu
 * analyze` and a real probe agree (tests/differential checks that they do).
 * A packet enters a VPC router by a port (an ENI, a peering, the internet
 * gateway, a transit gateway link, a gateway endpoint), is routed, meets
 * the router's guards, network ACLs and groups, and leaves by another port,
 * where the next router, the internet, a transit gateway or a NAT gateway
 * takes it on. The first drop ends the walk with its explanation code.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/analyze.h"
#include "vpcemu/model.h"
#include "vpcemu/nftsg.h"
#include "vpcemu/nftutil.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

/* The client's ephemeral ports, the destination of replies: the
 * probes run in namespaces with Linux's default ip_local_port_range. */
#define EPHEMERAL_LO 32768
#define EPHEMERAL_HI 60999
/* Hops through routers before a routing loop is declared (TTL in the
 * kernel, far more than any lab's real path). */
#define MAX_ROUTERS 16

const char *const analyze_codes[] = {
	"ENI_SG_RULES_MISMATCH",
	"SUBNET_ACL_RESTRICTION",
	"NO_ROUTE_TO_DESTINATION",
	"BAD_STATE_ROUTE",
	"PCX_REQUIRES_ADDRESS_IN_VPC_CIDR",
	"IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS",
	"IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS",
	"ENI_SOURCE_DEST_CHECK_RESTRICTION",
	"NO_POSSIBLE_DESTINATION",
	"TGW_ROUTE_AZ_RESTRICTION",
	"TGW_ATTACH_MISSING_TGW_RTB_ASSOCIATION",
	"TGW_RTB_BAD_STATE_ROUTE",
	"VPC_LOCAL_ROUTE_CIDR_RESTRICTION",
	"NO_PATH",
	NULL,
};

bool analyze_code_known(const char *code)
{
	size_t i;

	for (i = 0; code && analyze_codes[i]; i++)
		if (!strcmp(analyze_codes[i], code))
			return true;
	return false;
}

/* What the filters look at: destination ports as a range (a reply goes
 * to any of the client's ephemeral ports). */
struct pkt {
	uint32_t src, dst;
	uint8_t proto;		/* 1, 6, 17 */
	uint16_t port_lo, port_hi;
	int icmp_type, icmp_code;
};

enum port_kind {
	PORT_ENI,
	PORT_PEERING,
	PORT_IGW,
	PORT_TGW,
	PORT_GWE,		/* a gateway endpoint's link to its service */
	PORT_VGW,		/* a virtual private gateway's link */
};

/* A port of a VPC router. */
struct port {
	enum port_kind kind;
	const struct eni *eni;
	const struct peering *pcx;
	const struct internet_gateway *igw;
	const struct tgw_attachment *att;
	const struct endpoint *gwe;
	const struct vpn_gateway *vgw;
};

/* Where a walk ended when nothing dropped it. */
struct arrival {
	const struct eni *eni;
	const struct internet_host *host;
	const struct onprem_host *onprem;
	uint32_t ip;		/* the address delivered to */
	struct pkt pkt;		/* as it arrived (after translations) */
};

struct walk {
	const struct lab *lab;
	struct analysis *a;
	bool reply;
	struct analyze_hop **hops;
	size_t *nhops, cap;
	uint32_t nat_client;	/* the source a NAT gateway replaced */
	unsigned routers;
	bool oom;
	struct arrival at;
};

/* ---- recording ---------------------------------------------------------- */

static void hop(struct walk *w, const struct res *r, bool egress,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void hop(struct walk *w, const struct res *r, bool egress,
		const char *fmt, ...)
{
	struct analyze_hop *h = VEC_PUSH(*w->hops, *w->nhops, w->cap);
	struct strbuf sb = { 0 };
	va_list ap;

	if (!h) {
		w->oom = true;
		return;
	}
	*h = (struct analyze_hop){ .res = r, .egress = egress };
	if (!fmt)
		return;
	va_start(ap, fmt);
	sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	h->detail = sb_take(&sb);
	w->oom |= !h->detail;
}

/* Ends the walk: r (may be NULL) drops the packet for code. Returns
 * false, for `return block(...)`. */
static bool block(struct walk *w, const char *code, const struct res *r,
		  bool egress, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static bool block(struct walk *w, const char *code, const struct res *r,
		  bool egress, const char *fmt, ...)
{
	struct strbuf sb = { 0 };
	va_list ap;

	w->a->code = code;
	w->a->blocker = r;
	w->a->blocker_egress = egress;
	w->a->on_return = w->reply;
	va_start(ap, fmt);
	sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	w->a->reason = sb_take(&sb);
	w->oom |= !w->a->reason;
	return false;
}

/* ---- matching ----------------------------------------------------------- */

static const char *proto_name(uint8_t p)
{
	return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : "ip";
}

/* Whether m matches p at destination port port. */
static bool proto_matches(const struct proto_match *m, const struct pkt *p,
			  uint16_t port)
{
	switch (m->kind) {
	case PROTO_ALL:
		return true;
	case PROTO_TCP:
	case PROTO_UDP:
		return p->proto == (m->kind == PROTO_TCP ? 6 : 17) &&
		       port >= m->port_lo && port <= m->port_hi;
	case PROTO_ICMP:
		return p->proto == 1 &&
		       (m->icmp_type < 0 || m->icmp_type == p->icmp_type) &&
		       (m->icmp_code < 0 || m->icmp_code == p->icmp_code);
	case PROTO_NUMBER:
		return p->proto == m->number;
	}
	return false;
}

static bool in_vpc(const struct vpc *v, uint32_t ip)
{
	size_t i;

	for (i = 0; i < v->ncidrs; i++)
		if (cidr_has_ip(v->cidrs[i], ip))
			return true;
	return false;
}

/* The ENI of vpc that holds ip (its /32 in the router's main table). */
static const struct eni *eni_at(const struct lab *lab, const struct vpc *vpc,
				uint32_t ip)
{
	size_t i;

	for (i = 0; i < lab->nenis; i++)
		if (lab->enis[i]->ip == ip && lab->enis[i]->subnet->vpc == vpc)
			return lab->enis[i];
	return NULL;
}

/* The first entry of acl's direction dir that p at port matches, NULL for
 * the "*" rule (also when acl is NULL: the chain only drops). */
static const struct nacl_entry *acl_first(const struct nacl *acl,
					  enum direction dir, uint32_t peer,
					  const struct pkt *p, uint16_t port)
{
	size_t i;

	for (i = 0; acl && i < acl->nentries; i++) {
		const struct nacl_entry *en = &acl->entries[i];

		if (en->dir == dir && cidr_has_ip(en->cidr, peer) &&
		    proto_matches(&en->proto, p, port))
			return en;
	}
	return NULL;
}

/* The subnet's ACL in direction dir: allowed only when
 * every port of p's range is (first match, per port). The decision can
 * change only where an entry's range starts or ends, so those ports are
 * enough. */
static bool acl_check(struct walk *w, const struct subnet *sn,
		      enum direction dir, const struct pkt *p)
{
	const struct nacl *acl = sn->nacl;
	uint32_t peer = dir == DIR_EGRESS ? p->dst : p->src;
	bool egress = dir == DIR_EGRESS;
	const struct nacl_entry *en;
	size_t i;
	long port;

	for (i = 0; i <= (acl ? 2 * acl->nentries : 0); i++) {
		if (i == 0) {
			port = p->port_lo;
		} else {
			const struct nacl_entry *e = &acl->entries[(i - 1) / 2];

			port = i % 2 ? e->proto.port_lo : e->proto.port_hi + 1L;
			if (port <= p->port_lo || port > p->port_hi)
				continue;
		}
		en = acl_first(acl, dir, peer, p, (uint16_t)port);
		if (!en || en->action == NACL_DENY) {
			char ip[IP_BUF];

			ip_fmt(peer, ip);
			if (en)
				return block(w, "SUBNET_ACL_RESTRICTION",
					     acl ? &acl->r : &sn->r, egress,
					     "%s rule %u of %s denies %s %s %s port %ld",
					     egress ? "outbound" : "inbound",
					     en->number, sn->r.name,
					     proto_name(p->proto),
					     egress ? "to" : "from", ip, port);
			return block(w, "SUBNET_ACL_RESTRICTION",
				     acl ? &acl->r : &sn->r, egress,
				     "no %s rule of %s allows %s %s %s%s (rule *)",
				     egress ? "outbound" : "inbound",
				     sn->r.name, proto_name(p->proto),
				     egress ? "to" : "from", ip,
				     w->reply ? ", the reply" : "");
		}
	}
	en = acl_first(acl, dir, peer, p, p->port_lo);
	hop(w, acl ? &acl->r : &sn->r, egress, "%s rule %u allow",
	    egress ? "outbound" : "inbound", en->number);
	return true;
}

/* Whether group rule r (of direction dir) lets p through at an ENI of
 * vpc's router: its peer is a block holding the other end, or a group
 * whose members the router may see (nftsg_ref_usable) holding it. */
static bool sg_rule_allows(const struct lab *lab, const struct vpc *vpc,
			   const struct sg_rule *r, uint32_t peer,
			   const struct pkt *p)
{
	size_t i, j;

	if (!proto_matches(&r->proto, p, p->port_lo))
		return false;
	if (r->peer_kind == SG_PEER_CIDR)
		return cidr_has_ip(r->cidr, peer);
	if (!r->peer_sg || !nftsg_ref_usable(lab, vpc, r->peer_sg))
		return false;
	for (i = 0; i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];

		if (e->ip != peer)
			continue;
		for (j = 0; j < e->nsgs; j++)
			if (e->sgs[j] == r->peer_sg)
				return true;
	}
	return false;
}

/* e's groups in direction dir (R-4.5: any rule of any group). Replies
 * pass on tracking; an ENI without groups has no gate. */
static bool sg_check(struct walk *w, const struct eni *e, enum direction dir,
		     const struct pkt *p)
{
	uint32_t peer = dir == DIR_EGRESS ? p->dst : p->src;
	bool egress = dir == DIR_EGRESS;
	char ip[IP_BUF], rule[160];
	size_t i, j;

	if (w->reply || model_eni_ungated(e))
		return true;
	for (i = 0; i < e->nsgs; i++) {
		const struct sg *g = e->sgs[i];

		for (j = 0; j < g->nrules; j++) {
			if (g->rules[j].dir != dir ||
			    !sg_rule_allows(w->lab, e->subnet->vpc,
					    &g->rules[j], peer, p))
				continue;
			sg_rule_text(&g->rules[j], rule, sizeof(rule));
			hop(w, &g->r, egress, "%s", rule);
			return true;
		}
	}
	ip_fmt(peer, ip);
	return block(w, "ENI_SG_RULES_MISMATCH",
		     e->nsgs ? &e->sgs[0]->r : &e->r, egress,
		     "no %s rule of the groups of %s allows %s %s %d %s %s",
		     egress ? "outbound" : "inbound", e->r.name,
		     proto_name(p->proto), p->proto == 1 ? "type" : "port",
		     p->proto == 1 ? p->icmp_type : p->port_lo,
		     egress ? "to" : "from", ip);
}

/* ---- routers ------------------------------------------------------------ */

static bool router_forward(struct walk *w, const struct vpc *vpc,
			   const struct port *in, struct pkt p);
static bool internet_forward(struct walk *w, struct pkt p);

/* The prefixes connection c routes into its tunnels, which a table that
 * propagates its gateway gets: its static routes, or with BGP what the
 * customer gateway announces, its networks (the tunnels taken as up). */
static size_t vpn_prefixes(const struct vpn_connection *c,
			   const struct cidr **ret)
{
	*ret = c->bgp ? c->cgw->networks : c->routes;
	return c->bgp ? c->cgw->nnetworks : c->nroutes;
}

/* The route of table rt for dst, as the kernel table of rt holds it
 * (plan_route_table, plan_gateway_endpoint, plan_vgw_propagation and
 * BIRD's routes): the longest prefix among the written routes, the
 * prefix lists of gateway endpoints that name rt and the routes of the
 * virtual private gateways rt propagates, where a written route to the
 * very same CIDR wins. Sets one of *ret_route, *ret_gwe and
 * *ret_vgw; false when nothing matches. */
static bool route_lookup(const struct lab *lab, const struct route_table *rt,
			 uint32_t dst, const struct route **ret_route,
			 const struct endpoint **ret_gwe,
			 const struct vpn_gateway **ret_vgw)
{
	const struct res_list *conns = &lab->res[RES_VPN_CONNECTION];
	const struct cidr *c;
	int best = -1;
	size_t i, j, n;

	*ret_route = NULL;
	*ret_gwe = NULL;
	*ret_vgw = NULL;
	for (i = 0; i < rt->nroutes; i++)
		if (cidr_has_ip(rt->routes[i].dst, dst) &&
		    (int)rt->routes[i].dst.len > best) {
			best = rt->routes[i].dst.len;
			*ret_route = &rt->routes[i];
		}
	for (i = 0; i < lab->nendpoints; i++) {
		const struct endpoint *e = lab->endpoints[i];
		const struct gateway_service *gs =
			gateway_service(e->service_short);

		if (e->type != ENDPOINT_GATEWAY || !gs ||
		    !cidr_has_ip(gs->prefix, dst) || (int)gs->prefix.len <= best)
			continue;
		for (j = 0; j < e->nroute_tables; j++)
			if (e->route_tables[j] == rt) {
				best = gs->prefix.len;
				*ret_route = NULL;
				*ret_gwe = e;
			}
	}
	for (i = 0; i < rt->nprop; i++)
		for (j = 0; j < conns->n; j++) {
			const struct vpn_connection *vc =
				(const struct vpn_connection *)conns->v[j];
			size_t k;

			if (vc->vgw != rt->prop[i] || vc->vgw->vpc != rt->vpc)
				continue;
			n = vpn_prefixes(vc, &c);
			for (k = 0; k < n; k++)
				if (cidr_has_ip(c[k], dst) &&
				    (int)c[k].len > best) {
					best = c[k].len;
					*ret_route = NULL;
					*ret_gwe = NULL;
					*ret_vgw = vc->vgw;
				}
		}
	return best >= 0;
}

/* Routes p that entered by an ENI through its subnet's table ("iif ENI
 * lookup T"); sets *out. */
static bool route_from_eni(struct walk *w, const struct eni *e,
			   const struct pkt *p, struct port *out)
{
	const struct route_table *rt = e->subnet->rt;
	const struct route_target *t;
	const struct route *r;
	const struct endpoint *gwe;
	const struct vpn_gateway *vgw;
	char dst[IP_BUF], c[CIDR_BUF];

	ip_fmt(p->dst, dst);
	if (!route_lookup(w->lab, rt, p->dst, &r, &gwe, &vgw))
		return block(w, "NO_ROUTE_TO_DESTINATION", &rt->r, false,
			     "%s has no route to %s", rt->r.name, dst);
	if (vgw) {
		hop(w, &rt->r, false, "propagated -> %s", vgw->r.id);
		*out = (struct port){ .kind = PORT_VGW, .vgw = vgw };
		return true;
	}
	if (gwe) {
		hop(w, &rt->r, false, "%s -> %s",
		    cidr_fmt(gateway_service(gwe->service_short)->prefix, c),
		    gwe->r.id);
		*out = (struct port){ .kind = PORT_GWE, .gwe = gwe };
		return true;
	}
	cidr_fmt(r->dst, c);
	t = r->target ? res_types[r->target->kind]->target : NULL;
	if (!t || !t->dev(rt, r->target))
		return block(w, "BAD_STATE_ROUTE", &rt->r, false,
			     "route %s of %s is a blackhole%s%s", c,
			     rt->r.name, r->target ? ": " : "",
			     r->target ? r->target->name : "");
	hop(w, &rt->r, false, "%s -> %s", c, r->target->id);
	switch (r->target->kind) {
	case RES_PEERING:
		*out = (struct port){ .kind = PORT_PEERING,
				      .pcx = (const struct peering *)r->target };
		return true;
	case RES_INTERNET_GATEWAY:
		*out = (struct port){
			.kind = PORT_IGW,
			.igw = (const struct internet_gateway *)r->target };
		return true;
	case RES_TRANSIT_GATEWAY:
		*out = (struct port){
			.kind = PORT_TGW,
			.att = tgw_attachment_of(
				(const struct transit_gateway *)r->target,
				rt->vpc) };
		return true;
	case RES_NAT_GATEWAY:
		*out = (struct port){
			.kind = PORT_ENI,
			.eni = ((const struct nat_gateway *)r->target)->eni };
		return true;
	case RES_INSTANCE:
		*out = (struct port){
			.kind = PORT_ENI,
			.eni = ((const struct instance *)r->target)->eni };
		return true;
	case RES_VPN_GATEWAY:
		*out = (struct port){
			.kind = PORT_VGW,
			.vgw = (const struct vpn_gateway *)r->target };
		return true;
	default:
		return block(w, "NO_PATH", r->target, false,
			     "vpcemu does not analyze routes to a %s",
			     res_kind_name(r->target->kind));
	}
}

/* The guards of the port p leaves by (nftgen.h, step 1). */
static bool exit_guard(struct walk *w, const struct vpc *vpc,
		       const struct port *out, const struct pkt *p)
{
	const struct vpc *peer;
	const struct eni *e;
	char ip[IP_BUF];
	size_t i;

	switch (out->kind) {
	case PORT_PEERING:
		peer = nftutil_peer_of(out->pcx, vpc);
		if (!in_vpc(vpc, p->src) || !in_vpc(peer, p->dst))
			return block(w, "PCX_REQUIRES_ADDRESS_IN_VPC_CIDR",
				     &out->pcx->r, false,
				     "%s carries only %s's blocks to %s's (no transitive routing, R-6.7)",
				     out->pcx->r.name, vpc->r.name,
				     peer->r.name);
		return true;
	case PORT_IGW:
		e = eni_at(w->lab, vpc, p->src);
		if (!e || !model_eni_public_ip(e))
			return block(w, "IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS",
				     &out->igw->r, true,
				     "%s has no public IP (R-9.1)",
				     e ? e->r.name : ip_fmt(p->src, ip));
		return true;
	case PORT_TGW:
		for (i = 0; i < w->lab->nsubnets; i++) {
			const struct subnet *sn = w->lab->subnets[i];

			if (sn->vpc == vpc && cidr_has_ip(sn->cidr, p->src) &&
			    nftutil_in_attachment_az(out->att, sn))
				return true;
		}
		return block(w, "TGW_ROUTE_AZ_RESTRICTION", &out->att->r,
			     false,
			     "%s has no subnet in the AZ of %s (R-11.2)",
			     out->att->r.name, ip_fmt(p->src, ip));
	case PORT_GWE:
		return in_vpc(vpc, p->src) ||
		       block(w, "NO_POSSIBLE_DESTINATION", &out->gwe->r,
			     false, "%s serves only %s's own addresses (R-6.8)",
			     out->gwe->r.name, vpc->r.name);
	case PORT_VGW:
		return in_vpc(vpc, p->src) ||
		       block(w, "NO_POSSIBLE_DESTINATION", &out->vgw->r,
			     false, "%s carries only %s's own addresses (R-6.8)",
			     out->vgw->r.name, vpc->r.name);
	case PORT_ENI:
		return true;
	}
	return true;
}

/* Into c's tunnels (taken as up, as the analyzer takes BGP sessions)
 * and out at its customer gateway, to the on-premises host at p.dst. */
static bool vpn_to_onprem(struct walk *w, const struct vpn_connection *c,
			  struct pkt p)
{
	const struct res_list *hosts = &w->lab->res[RES_ONPREM_HOST];
	const struct cidr *pre;
	size_t i, n = vpn_prefixes(c, &pre);
	char ip[IP_BUF];

	for (i = 0; i < n && !cidr_has_ip(pre[i], p.dst); i++)
		;
	if (i == n)
		return block(w, "NO_ROUTE_TO_DESTINATION", &c->r, false,
			     "%s routes no prefix holding %s into its tunnels",
			     c->r.name, ip_fmt(p.dst, ip));
	hop(w, &c->r, true, NULL);
	hop(w, &c->cgw->r, false, NULL);
	for (i = 0; i < hosts->n; i++) {
		const struct onprem_host *h =
			(const struct onprem_host *)hosts->v[i];

		if (h->cgw != c->cgw || h->ip != p.dst)
			continue;
		hop(w, &h->r, false, NULL);
		w->at = (struct arrival){ .onprem = h, .ip = p.dst, .pkt = p };
		return true;
	}
	return block(w, "NO_POSSIBLE_DESTINATION", &c->cgw->r, false,
		     "no on-premises host behind %s holds %s", c->cgw->r.name,
		     ip_fmt(p.dst, ip));
}

/* A virtual private gateway takes the first connection that routes p.dst
 * (its first tunnel that is up, plan.c). */
static bool vgw_forward(struct walk *w, const struct vpn_gateway *g,
			struct pkt p)
{
	const struct res_list *conns = &w->lab->res[RES_VPN_CONNECTION];
	const struct cidr *pre;
	char ip[IP_BUF];
	size_t i, k, n;

	hop(w, &g->r, false, NULL);
	for (i = 0; i < conns->n; i++) {
		const struct vpn_connection *c =
			(const struct vpn_connection *)conns->v[i];

		if (c->vgw != g)
			continue;
		n = vpn_prefixes(c, &pre);
		for (k = 0; k < n; k++)
			if (cidr_has_ip(pre[k], p.dst))
				return vpn_to_onprem(w, c, p);
	}
	return block(w, "NO_ROUTE_TO_DESTINATION", &g->r, false,
		     "no VPN connection of %s routes %s", g->r.name,
		     ip_fmt(p.dst, ip));
}

static bool tgw_forward(struct walk *w, const struct tgw_attachment *in,
			struct pkt p);

/* From an on-premises host: its customer gateway sends what is not its
 * own networks' into the tunnels of its (first) connection, and AWS's
 * side forwards it to the VPC (a virtual private gateway routes the
 * VPC's blocks) or into the transit gateway. */
static bool onprem_forward(struct walk *w, const struct onprem_host *h,
			   struct pkt p)
{
	const struct res_list *conns = &w->lab->res[RES_VPN_CONNECTION];
	const struct customer_gateway *g = h->cgw;
	const struct vpn_connection *c = NULL;
	char ip[IP_BUF];
	size_t i;

	hop(w, &g->r, false, NULL);
	for (i = 0; i < g->nnetworks; i++)
		if (cidr_has_ip(g->networks[i], p.dst))
			return block(w, "NO_PATH", &g->r, false,
				     "%s stays on premises", ip_fmt(p.dst, ip));
	for (i = 0; !c && i < conns->n; i++)
		if (((const struct vpn_connection *)conns->v[i])->cgw == g)
			c = (const struct vpn_connection *)conns->v[i];
	if (!c)
		return block(w, "NO_ROUTE_TO_DESTINATION", &g->r, false,
			     "%s has no VPN connection", g->r.name);
	hop(w, &c->r, false, NULL);
	if (c->tgw)
		return tgw_forward(w, &c->att, p);
	hop(w, &c->vgw->r, false, NULL);
	if (!c->vgw->vpc || !in_vpc(c->vgw->vpc, p.dst))
		return block(w, "NO_ROUTE_TO_DESTINATION", &c->vgw->r, false,
			     "%s routes only its VPC's blocks, not %s",
			     c->vgw->r.name, ip_fmt(p.dst, ip));
	return router_forward(w, c->vgw->vpc,
			      &(struct port){ .kind = PORT_VGW,
					      .vgw = c->vgw },
			      p);
}

/* A transit gateway: the table associated with the attachment p came by,
 * longest prefix among its static and propagated routes (tgw_routes). */
struct tgw_best {
	uint32_t dst;
	int len;
	const struct tgw_attachment *target;
	struct cidr cidr;
};

static void tgw_best_route(void *arg, struct cidr dst,
			   const struct tgw_attachment *target,
			   bool propagated)
{
	struct tgw_best *b = arg;

	if (cidr_has_ip(dst, b->dst) && (int)dst.len > b->len) {
		b->len = dst.len;
		b->target = target;
		b->cidr = dst;
	}
}

/* What BIRD installs in t (svc/vpn.c): the customer's networks of each
 * BGP connection that propagates into t, below the routes tgw_routes
 * gives (metric 200): it wins only with a longer prefix. */
static void tgw_best_bgp(const struct tgw_route_table *t, struct tgw_best *b)
{
	const struct transit_gateway *g = t->tgw;
	size_t i, k;

	for (i = 0; i < g->natts; i++) {
		const struct tgw_attachment *a = g->atts[i];

		if (!a->vpn || !a->vpn->bgp || !tgw_propagates(t, a))
			continue;
		for (k = 0; k < a->vpn->cgw->nnetworks; k++)
			tgw_best_route(b, a->vpn->cgw->networks[k], a, true);
	}
}

static bool tgw_forward(struct walk *w, const struct tgw_attachment *in,
			struct pkt p)
{
	const struct tgw_route_table *t = tgw_association_of(in);
	struct tgw_best b = { .dst = p.dst, .len = -1 };
	struct port port;
	char c[CIDR_BUF], ip[IP_BUF];

	hop(w, &in->r, false, NULL);
	hop(w, &in->tgw->r, false, NULL);
	if (!t)
		return block(w, "TGW_ATTACH_MISSING_TGW_RTB_ASSOCIATION",
			     &in->r, false,
			     "%s is associated with no route table (R-11.3)",
			     in->r.name);
	tgw_routes(t, tgw_best_route, &b);
	tgw_best_bgp(t, &b);
	if (b.len < 0)
		return block(w, "NO_ROUTE_TO_DESTINATION", &t->r, false,
			     "%s has no route to %s", t->r.name,
			     ip_fmt(p.dst, ip));
	if (!b.target)
		return block(w, "TGW_RTB_BAD_STATE_ROUTE", &t->r, false,
			     "route %s of %s is a blackhole", cidr_fmt(b.cidr, c),
			     t->r.name);
	hop(w, &t->r, false, "%s -> %s", cidr_fmt(b.cidr, c), b.target->r.id);
	hop(w, &b.target->r, false, NULL);
	if (b.target->vpn)
		return vpn_to_onprem(w, b.target->vpn, p);
	port = (struct port){ .kind = PORT_TGW, .att = b.target };
	return router_forward(w, b.target->vpc, &port, p);
}

/* The end of a walk at an ENI: delivered, or, for a NAT gateway, its
 * translation and another pass through its subnet's router. */
static bool eni_receive(struct walk *w, const struct eni *e, struct pkt p)
{
	struct port port = { .kind = PORT_ENI, .eni = e };

	hop(w, &e->r, false, NULL);
	if (e->nat && p.dst != e->ip) {
		hop(w, &e->nat->r, false, "source %s", e->nat->r.id);
		w->nat_client = p.src;
		p.src = e->ip;
		return router_forward(w, e->subnet->vpc, &port, p);
	}
	if (e->nat && w->reply && w->nat_client) {
		hop(w, &e->nat->r, false, "reply to the client");
		p.dst = w->nat_client;
		w->nat_client = 0;
		return router_forward(w, e->subnet->vpc, &port, p);
	}
	/* An instance whose check is off routes on (its forwarding is the
	 * user's; the analyzer takes it as on). */
	if (p.dst != e->ip && e->instance &&
	    e->instance->no_source_dest_check)
		return router_forward(w, e->subnet->vpc, &port, p);
	if (p.dst != e->ip)
		return block(w, "ENI_SOURCE_DEST_CHECK_RESTRICTION", &e->r,
			     false, "%s takes only packets to its own IP",
			     e->r.name);
	w->at = (struct arrival){ .eni = e, .ip = p.dst, .pkt = p };
	return true;
}

/* Whether the table of e's subnet routes dst by a route inside one of
 * the VPC's blocks. */
static bool middlebox_route(const struct eni *e, uint32_t dst)
{
	const struct route_table *rt = e->subnet->rt;
	const struct vpc *v = e->subnet->vpc;
	size_t i, j;

	for (i = 0; i < rt->nroutes; i++)
		for (j = 0; j < v->ncidrs; j++)
			if (cidr_has_ip(rt->routes[i].dst, dst) &&
			    cidr_contains(v->cidrs[j], rt->routes[i].dst))
				return true;
	return false;
}

/* One pass through vpc's router of p, which entered by in. */
static bool router_forward(struct walk *w, const struct vpc *vpc,
			   const struct port *in, struct pkt p)
{
	const struct eni *from = in->kind == PORT_ENI ? in->eni : NULL;
	struct port out = { 0 };
	char ip[IP_BUF];

	if (++w->routers > MAX_ROUTERS)
		return block(w, "NO_PATH", &vpc->r, false,
			     "routing loop through %s", vpc->r.name);
	/* An ENI sends from its own IP, unless it forwards (nftgen.c). */
	if (from && !from->nat && !from->lb &&
	    !(from->instance && from->instance->no_source_dest_check) &&
	    p.src != from->ip)
		return block(w, "ENI_SOURCE_DEST_CHECK_RESTRICTION",
			     &from->r, true, "%s sends only from its own IP",
			     from->r.name);
	/* What came from a peering, a gateway or a transit gateway must be
	 * for this VPC. */
	if (in->kind == PORT_PEERING &&
	    !in_vpc(nftutil_peer_of(in->pcx, vpc), p.src))
		return block(w, "PCX_REQUIRES_ADDRESS_IN_VPC_CIDR",
			     &in->pcx->r, false,
			     "%s carries only the peer's own blocks",
			     in->pcx->r.name);
	if (!from && !in_vpc(vpc, p.dst))
		return block(w, in->kind == PORT_PEERING
				     ? "PCX_REQUIRES_ADDRESS_IN_VPC_CIDR"
				     : "VPC_LOCAL_ROUTE_CIDR_RESTRICTION",
			     &vpc->r, false, "%s is not in %s (R-6.7)",
			     ip_fmt(p.dst, ip), vpc->r.name);
	/* A route of the subnet's table inside the VPC (PLAN_PREF_MIDDLEBOX),
	 * the local route (PLAN_PREF_LOCAL), then the subnet's table; the
	 * local route reaches only ENIs. */
	if (from && in_vpc(vpc, p.dst) && middlebox_route(from, p.dst)) {
		if (!route_from_eni(w, from, &p, &out))
			return false;
	} else if (in_vpc(vpc, p.dst)) {
		out.eni = eni_at(w->lab, vpc, p.dst);
		if (!out.eni)
			return block(w, "NO_POSSIBLE_DESTINATION", &vpc->r,
				     false, "no network interface holds %s",
				     ip_fmt(p.dst, ip));
		out.kind = PORT_ENI;
		if (from)
			hop(w, &from->subnet->rt->r, false, "local");
	} else if (!route_from_eni(w, from, &p, &out)) {
		return false;
	}
	if (!exit_guard(w, vpc, &out, &p))
		return false;
	/* Network ACLs at the subnet boundary only, then groups. */
	if (from && !cidr_has_ip(from->subnet->cidr, p.dst) &&
	    !acl_check(w, from->subnet, DIR_EGRESS, &p))
		return false;
	if (out.kind == PORT_ENI &&
	    !cidr_has_ip(out.eni->subnet->cidr, p.src) &&
	    !acl_check(w, out.eni->subnet, DIR_INGRESS, &p))
		return false;
	if (out.kind == PORT_ENI && !sg_check(w, out.eni, DIR_INGRESS, &p))
		return false;

	switch (out.kind) {
	case PORT_ENI:
		return eni_receive(w, out.eni, p);
	case PORT_PEERING:
		hop(w, &out.pcx->r, false, NULL);
		return router_forward(w, nftutil_peer_of(out.pcx, vpc), &out,
				      p);
	case PORT_IGW:
		hop(w, &out.igw->r, true, NULL);
		p.src = model_eni_public_ip(eni_at(w->lab, vpc, p.src));
		return internet_forward(w, p);
	case PORT_TGW:
		return tgw_forward(w, out.att, p);
	case PORT_VGW:
		return vgw_forward(w, out.vgw, p);
	case PORT_GWE:
		hop(w, &out.gwe->r, false, NULL);
		if (p.dst != gateway_service(out.gwe->service_short)->ip)
			return block(w, "NO_POSSIBLE_DESTINATION",
				     &out.gwe->r, false,
				     "the service answers only at its address");
		w->at = (struct arrival){ .ip = p.dst, .pkt = p };
		return true;
	}
	return false;
}

/* The lab's internet: hosts, the regional services, and the public IPs
 * its gateways translate. */
static bool internet_forward(struct walk *w, struct pkt p)
{
	const struct res_list *hosts = &w->lab->res[RES_INTERNET_HOST];
	struct port port = { .kind = PORT_IGW };
	size_t i;

	for (i = 0; i < hosts->n; i++) {
		const struct internet_host *h =
			(const struct internet_host *)hosts->v[i];

		if (h->ip != p.dst)
			continue;
		hop(w, &h->r, false, NULL);
		w->at = (struct arrival){ .host = h, .ip = p.dst, .pkt = p };
		return true;
	}
	for (i = 0; gateway_services[i].name; i++)
		if (gateway_services[i].ip == p.dst) {
			w->at = (struct arrival){ .ip = p.dst, .pkt = p };
			return true;
		}
	for (i = 0; i < w->lab->nenis; i++) {
		const struct eni *e = w->lab->enis[i];

		if (model_eni_public_ip(e) != p.dst)
			continue;
		port.igw = internet_gateway_of(w->lab, e->subnet->vpc);
		if (!port.igw)
			break;
		hop(w, &port.igw->r, false, NULL);
		p.dst = e->ip;
		return router_forward(w, e->subnet->vpc, &port, p);
	}
	for (i = 0; i < w->lab->nenis; i++)
		if (w->lab->enis[i]->ip == p.dst)
			return block(w, "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS",
				     &w->lab->enis[i]->r, false,
				     "the internet reaches only public IPs, not %s's private IP",
				     w->lab->enis[i]->r.name);
	return block(w, "NO_POSSIBLE_DESTINATION", NULL, false,
		     "nothing on the internet answers at that address");
}

/* Walks p from start (an ENI or a host) to wherever it ends. */
static bool walk_from(struct walk *w, const struct analyze_end *start,
		      const struct pkt *p)
{
	struct port in = { .kind = PORT_ENI, .eni = start->eni };

	if (start->host) {
		hop(w, &start->host->r, false, NULL);
		return internet_forward(w, *p);
	}
	if (start->onprem) {
		hop(w, &start->onprem->r, true, NULL);
		return onprem_forward(w, start->onprem, *p);
	}
	hop(w, &start->eni->r, true, NULL);
	/* §15 step 1: the sender's groups come first. */
	return sg_check(w, start->eni, DIR_EGRESS, p) &&
	       router_forward(w, start->eni->subnet->vpc, &in, *p);
}

/* ---- API ---------------------------------------------------------------- */

int analyze_end_parse(const struct lab *lab, const char *word,
		      struct analyze_end *ret)
{
	const struct res *r = model_find(lab, RES__COUNT, word);
	uint32_t ip;
	size_t i;

	*ret = (struct analyze_end){ 0 };
	if (!r && !ip_parse(word, &ip)) {
		ret->ip = ip;
		for (i = 0; i < lab->nenis; i++)
			if (lab->enis[i]->ip == ip)
				ret->eni = lab->enis[i];
		for (i = 0; i < lab->res[RES_INTERNET_HOST].n; i++) {
			const struct internet_host *h =
				(const void *)lab->res[RES_INTERNET_HOST].v[i];

			if (h->ip == ip)
				ret->host = h;
		}
		for (i = 0; i < lab->res[RES_ONPREM_HOST].n; i++) {
			const struct onprem_host *h =
				(const void *)lab->res[RES_ONPREM_HOST].v[i];

			if (h->ip == ip)
				ret->onprem = h;
		}
		return 0;
	}
	switch (r ? r->kind : RES__COUNT) {
	case RES_INSTANCE:
		ret->eni = ((const struct instance *)r)->eni;
		break;
	case RES_ENI:
		ret->eni = (const struct eni *)r;
		break;
	case RES_ENDPOINT:
		if (((const struct endpoint *)r)->nenis)
			ret->eni = ((const struct endpoint *)r)->enis[0];
		break;
	case RES_LOAD_BALANCER:
		if (((const struct load_balancer *)r)->nenis)
			ret->eni = ((const struct load_balancer *)r)->enis[0];
		break;
	case RES_NAT_GATEWAY:
		ret->eni = ((const struct nat_gateway *)r)->eni;
		break;
	case RES_INTERNET_HOST:
		ret->host = (const struct internet_host *)r;
		break;
	case RES_ONPREM_HOST:
		ret->onprem = (const struct onprem_host *)r;
		break;
	default:
		return -ENOENT;
	}
	if (!ret->eni && !ret->host && !ret->onprem)
		return -ENOENT;
	ret->ip = ret->host     ? ret->host->ip
		  : ret->onprem ? ret->onprem->ip
				: ret->eni->ip;
	return 0;
}

int analyze_proto_parse(char *const *words, int n, struct proto_match *ret)
{
	char *end;
	long port;

	*ret = (struct proto_match){ .kind = PROTO_ICMP, .number = 1,
				     .icmp_type = -1, .icmp_code = -1 };
	if (n == 0 || !strcmp(words[0], "icmp"))
		return n ? 1 : 0;
	if (strcmp(words[0], "tcp") && strcmp(words[0], "udp"))
		return -EINVAL;
	if (n < 2)
		return -EINVAL;
	port = strtol(words[1], &end, 10);
	if (*end || end == words[1] || port < 1 || port > 65535)
		return -EINVAL;
	ret->kind = words[0][0] == 't' ? PROTO_TCP : PROTO_UDP;
	ret->number = ret->kind == PROTO_TCP ? 6 : 17;
	ret->port_lo = ret->port_hi = (uint16_t)port;
	return 2;
}

int analyze_path(const struct lab *lab, const struct analyze_end *src,
		 const struct analyze_end *dst, const struct proto_match *proto,
		 struct analysis **ret)
{
	struct analysis *a;
	struct walk w = { .lab = lab };
	struct analyze_end back = { 0 };
	struct pkt p = { .src = src->ip, .dst = dst->ip, .icmp_type = -1,
			 .icmp_code = -1 };
	bool ok;

	*ret = NULL;
	if (!src->eni && !src->host && !src->onprem)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	/* The probe of probe.h: an echo request, a TCP SYN or a datagram to
	 * the port; the reply comes back to an ephemeral port. */
	p.proto = proto->kind == PROTO_ICMP ? 1 : proto->kind == PROTO_UDP ? 17 : 6;
	p.port_lo = p.port_hi = proto->kind == PROTO_ICMP ? 0 : proto->port_lo;
	if (p.proto == 1) {
		p.icmp_type = 8;
		p.icmp_code = 0;
	}
	w.a = a;
	w.hops = &a->fwd;
	w.nhops = &a->nfwd;
	ok = walk_from(&w, src, &p);
	if (ok) {
		/* The reply, from where the request arrived, to the address
		 * it came from there (translations undone on the way). */
		p = (struct pkt){ .src = w.at.ip, .dst = w.at.pkt.src,
				  .proto = p.proto, .port_lo = EPHEMERAL_LO,
				  .port_hi = EPHEMERAL_HI, .icmp_type = -1,
				  .icmp_code = -1 };
		if (p.proto == 1) {
			p.port_lo = p.port_hi = 0;
			p.icmp_type = p.icmp_code = 0;
		}
		back = (struct analyze_end){ .eni = w.at.eni,
					     .host = w.at.host,
					     .onprem = w.at.onprem };
		w.reply = true;
		w.hops = &a->ret;
		w.nhops = &a->nret;
		w.cap = 0;
		w.routers = 0;
		if (back.eni || back.host || back.onprem)
			ok = walk_from(&w, &back, &p);
		else
			ok = block(&w, "NO_PATH", NULL, false,
				   "vpcemu does not analyze replies of a service");
		if (ok && w.at.ip != src->ip)
			ok = block(&w, "NO_POSSIBLE_DESTINATION", NULL, false,
				   "the reply does not come back to the source");
	}
	a->found = ok;
	if (w.oom) {
		analysis_free(a);
		return -ENOMEM;
	}
	*ret = a;
	return 0;
}

/* An expect line's end: an instance, an internet or on-premises host. */
static struct analyze_end expect_end(const struct res *r)
{
	if (r->kind == RES_ONPREM_HOST)
		return (struct analyze_end){
			.onprem = (const struct onprem_host *)r,
			.ip = ((const struct onprem_host *)r)->ip };
	if (r->kind == RES_INTERNET_HOST)
		return (struct analyze_end){
			.host = (const struct internet_host *)r,
			.ip = ((const struct internet_host *)r)->ip };
	return (struct analyze_end){ .eni = ((const struct instance *)r)->eni,
				     .ip = ((const struct instance *)r)->private_ip };
}

int analyze_expect(const struct lab *lab, const struct expect *e,
		   struct analysis **ret)
{
	struct analyze_end src, dst = { .ip = e->dst_ip };
	char ip[IP_BUF];

	src = expect_end(e->src);

	if (e->dst)
		dst = expect_end(e->dst);
	else
		analyze_end_parse(lab, ip_fmt(e->dst_ip, ip), &dst);
	return analyze_path(lab, &src, &dst, &e->proto, ret);
}

static void hops_free(struct analyze_hop *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(h[i].detail);
	free(h);
}

void analysis_free(struct analysis *a)
{
	if (!a)
		return;
	hops_free(a->fwd, a->nfwd);
	hops_free(a->ret, a->nret);
	free(a->reason);
	free(a);
}

/* ---- output ------------------------------------------------------------- */

static json_t *component_json(const struct res *r)
{
	return json_pack("{s:s, s:s}", "Id", r->id, "Name", r->name);
}

/* Whether groups and ACLs have a side worth printing. */
static bool has_direction(const struct res *r)
{
	return r && (r->kind == RES_SG || r->kind == RES_NACL);
}

static json_t *hops_json(const struct analyze_hop *h, size_t n)
{
	json_t *arr = json_array(), *o;
	size_t i;

	for (i = 0; arr && i < n; i++) {
		o = json_pack("{s:I, s:o, s:s}", "SequenceNumber",
			      (json_int_t)(i + 1), "Component",
			      component_json(h[i].res), "ComponentType",
			      res_kind_name(h[i].res->kind));
		if (o && has_direction(h[i].res))
			json_object_set_new(o, "Direction",
					    json_string(h[i].egress ? "egress"
								    : "ingress"));
		if (o && h[i].detail)
			json_object_set_new(o, "Detail",
					    json_string(h[i].detail));
		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

json_t *analyze_json(const struct analysis *a)
{
	json_t *o = json_pack("{s:s, s:b, s:o, s:o}", "Status", "succeeded",
			      "NetworkPathFound", a->found,
			      "ForwardPathComponents",
			      hops_json(a->fwd, a->nfwd),
			      "ReturnPathComponents",
			      hops_json(a->ret, a->nret));
	json_t *x;

	if (!o || a->found)
		return o;
	x = json_pack("{s:s, s:s, s:s}", "ExplanationCode", a->code,
		      "Explanation", a->reason ? a->reason : "",
		      "PathDirection", a->on_return ? "return" : "forward");
	if (x && a->blocker)
		json_object_set_new(x, "Component", component_json(a->blocker));
	if (x && has_direction(a->blocker))
		json_object_set_new(x, "Direction",
				    json_string(a->blocker_egress ? "egress"
								  : "ingress"));
	if (!x || json_object_set_new(o, "Explanations", json_pack("[o]", x))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static void hops_text(struct strbuf *sb, const char *title,
		      const struct analyze_hop *h, size_t n)
{
	size_t i;

	if (n)
		sb_printf(sb, "%s:\n", title);
	for (i = 0; i < n; i++) {
		sb_printf(sb, "  %2zu  %-24s %-18s", i + 1, h[i].res->id,
			  h[i].res->name);
		if (has_direction(h[i].res))
			sb_printf(sb, " %s", h[i].egress ? "egress" : "ingress");
		sb_printf(sb, "  %s%s%s\n", res_kind_name(h[i].res->kind),
			  h[i].detail ? ": " : "", h[i].detail ? h[i].detail : "");
	}
}

char *analyze_text(const struct analysis *a)
{
	struct strbuf sb = { 0 };

	if (a->found) {
		sb_puts(&sb, "NetworkPathFound: true\n");
	} else {
		sb_printf(&sb, "NetworkPathFound: false\n%s", a->code);
		if (a->blocker)
			sb_printf(&sb, " at %s %s", a->blocker->id,
				  a->blocker->name);
		if (has_direction(a->blocker))
			sb_printf(&sb, " (%s)",
				  a->blocker_egress ? "egress" : "ingress");
		sb_printf(&sb, "%s: %s\n", a->on_return ? " on the reply" : "",
			  a->reason ? a->reason : "");
	}
	hops_text(&sb, "forward", a->fwd, a->nfwd);
	hops_text(&sb, "return", a->ret, a->nret);
	return sb_take(&sb);
}
