/* res/vpn_connection.c - a Site-to-Site VPN connection.
 *
 * Two IPsec tunnels, as AWS gives, between the customer gateway's public
 * address and two outside addresses of AWS's end (from the lab's public
 * pool), each with an inside /30 of 169.254.0.0/16 (AWS's rules: never
 * one of its reserved blocks, unique per gateway; here unique in the lab)
 * and a pre-shared key. The AWS end of each tunnel is a namespace of its
 * own, "LAB-NAME_tN", linked to the virtual private gateway's namespace;
 * strongSwan (and BIRD for BGP) run there and on the customer gateway
 * (svc/vpn.c). Static routing installs `static-routes`; BGP routing
 * learns the on-premises routes.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/restype.h"
#include "vpcemu/vpn.h"

/* 169.254.169.252/30, AWS reserved (its metadata and DNS addresses). */
#define INSIDE_RESERVED 0xa9fea9fcu

enum { N_CGW, N_VGW, N_TGW, N_ROUTING, N_ROUTES };

static const struct attr conn_attrs[] = {
	[N_CGW] = { "customer-gateway", A_REQ },
	[N_VGW] = { "vpn-gateway", 0 },
	[N_TGW] = { "transit-gateway", 0 },
	[N_ROUTING] = { "routing", 0 },
	[N_ROUTES] = { "static-routes", A_REP },
};

static void conn_tunnels_init(struct build *b, struct vpn_connection *c)
{
	uint64_t h[2];
	size_t t;

	for (t = 0; t < MODEL_VPN_TUNNELS; t++) {
		struct vpn_tunnel *tu = &c->tunnels[t];
		char what[16];

		tu->netns = model_printf(b, "%s-%s_t%zu", b->lab->name,
					 c->r.name, t + 1);
		snprintf(tu->ifname, sizeof(tu->ifname), "vpn%zu-%.8s", t + 1,
			 c->r.id + 4);
		snprintf(tu->out_ifname, sizeof(tu->out_ifname), "vpo%zu-%.8s",
			 t + 1, c->r.id + 4);
		/* PreSharedKey: 8-64 of [A-Za-z0-9._], not starting with 0. */
		snprintf(what, sizeof(what), "vpn-psk-%zu", t + 1);
		model_id_hash(h, b->lab->name, what, c->r.name);
		snprintf(tu->psk, sizeof(tu->psk), "k%015llx%016llx",
			 (unsigned long long)(h[0] >> 4),
			 (unsigned long long)h[1]);
	}
}

/* The attachment of a connection to a transit gateway: named
 * as the connection, so that a gateway route table's associate and
 * propagate lines name it; its ID is an attachment's. The route tables
 * may have resolved it already (tgw_attachment_resolve): only its
 * gateway is set here. */
static void conn_attach(struct build *b, struct vpn_connection *c)
{
	struct tgw_attachment *a = &c->att;
	struct tgw_attachment **slot;

	vpn_tgw_attachment(b, c);
	a->tgw = c->tgw;
	a->tgw_at = c->gw_at;
	c->att_netns = model_printf(b, "%s-%s", b->lab->name, c->r.name);
	slot = MODEL_PUSH(b, c->tgw->atts, c->tgw->natts);
	if (slot)
		*slot = a;
}

struct tgw_attachment *vpn_tgw_attachment(struct build *b,
					  struct vpn_connection *c)
{
	struct tgw_attachment *a = &c->att;

	if (!a->vpn) {
		a->vpn = c;
		a->r.kind = RES_TGW_ATTACHMENT;
		a->r.name = c->r.name;
		a->r.at = c->r.at;
		a->r.implicit = true;
		model_make_id(a->r.id, "tgw-attach-", b->lab->name,
			      "transit-gateway-attachment", c->r.name);
		snprintf(a->ifname, sizeof(a->ifname), "tgwa-%.8s",
			 a->r.id + strlen("tgw-attach-"));
	}
	return a;
}

static void conn_parse(struct build *b, struct res *res,
		       const struct conf_block *blk)
{
	struct vpn_connection *c = (struct vpn_connection *)res;
	const struct conf_stmt *seen[ARRAY_SIZE(conn_attrs)] = { 0 };
	size_t i;

	c->bgp = true;
	c->cgw_at = c->gw_at = c->routing_at = c->r.at;
	conn_tunnels_init(b, c);
	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];
		const struct conf_word *w = &st->w[1];
		int a = model_attr_find(b, "vpn-connection", conn_attrs,
					ARRAY_SIZE(conn_attrs), seen, st);
		bool is_bgp;

		if (a == N_ROUTES)
			model_parse_cidr_list(b, st, &c->routes, &c->nroutes,
					      &c->routes_at);
		if (a < 0 || a == N_ROUTES || !model_want(b, st, 1, 1))
			continue;
		if (a == N_CGW) {
			c->cgw = (struct customer_gateway *)model_resolve(
			    b, RES_CUSTOMER_GATEWAY, w);
			c->cgw_at = w->at;
		} else if (a == N_VGW) {
			c->vgw = (struct vpn_gateway *)model_resolve(
			    b, RES_VPN_GATEWAY, w);
			c->gw_at = w->at;
		} else if (a == N_TGW) {
			c->tgw = (struct transit_gateway *)model_resolve(
			    b, RES_TRANSIT_GATEWAY, w);
			c->gw_at = w->at;
		} else if (model_get_choice(b, w, "routing", "static", "bgp",
					    &is_bgp)) {
			c->bgp = is_bgp;
			c->routing_at = w->at;
		}
	}
	model_attrs_required(b, res, conn_attrs, ARRAY_SIZE(conn_attrs),
			     seen);
	if (!seen[N_VGW] && !seen[N_TGW])
		diag_error(b->d, c->r.at, "MissingParameter",
			   "vpn-connection %s needs a vpn-gateway or a transit-gateway",
			   c->r.name);
	else if (seen[N_VGW] && seen[N_TGW])
		diag_error(b->d, c->gw_at, "InvalidParameterCombination",
			   "vpn-connection %s names both a vpn-gateway and a transit-gateway",
			   c->r.name);
	else if (c->tgw)
		conn_attach(b, c);
}

/* Slot s of the inside /30s, past the reserved one. */
static uint32_t inside_at(size_t s)
{
	uint32_t a = MODEL_VPN_INSIDE_FIRST + 4 * (uint32_t)s;

	return a >= INSIDE_RESERVED ? a + 4 : a;
}

void vpn_connection_assign(struct build *b, bool *used, size_t nslots,
			   uint32_t (*pick)(const struct lab *lab, bool *used,
					    size_t nslots, const char *name))
{
	const struct res_list *l = &b->lab->res[RES_VPN_CONNECTION];
	const size_t nin = MODEL_VPN_INSIDE_SLOTS - 1;
	size_t i, t, k, j, u;

	for (i = 0; i < l->n; i++) {
		struct vpn_connection *c = (struct vpn_connection *)l->v[i];

		for (t = 0; t < MODEL_VPN_TUNNELS; t++) {
			struct vpn_tunnel *tu = &c->tunnels[t];
			char *name = model_printf(b, "%s.t%zu", c->r.name,
						  t + 1);
			uint64_t h[2];
			bool taken;

			if (!name)
				return;
			tu->outside_ip = pick(b->lab, used, nslots, name);
			model_id_hash(h, b->lab->name, "vpn-inside", name);
			free(name);
			/* The first /30 from the hash that no earlier tunnel
			 * of the lab holds. */
			for (k = 0; k < nin; k++) {
				tu->inside = inside_at((h[0] + k) % nin);
				taken = false;
				for (j = 0; j <= i && !taken; j++) {
					const struct vpn_connection *o =
					    (const struct vpn_connection *)
						l->v[j];

					for (u = 0; u < MODEL_VPN_TUNNELS &&
						    (j < i || u < t); u++)
						taken |= o->tunnels[u].inside ==
							 tu->inside;
				}
				if (!taken)
					break;
			}
		}
	}
}

bool vpn_has_connection(const struct lab *lab, const struct res *gw,
			bool bgp)
{
	const struct res_list *l = &lab->res[RES_VPN_CONNECTION];
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct vpn_connection *c =
			(const struct vpn_connection *)l->v[i];

		if ((&c->cgw->r == gw || (c->vgw && &c->vgw->r == gw) ||
		     (c->tgw && &c->tgw->r == gw)) &&
		    (!bgp || c->bgp))
			return true;
	}
	return false;
}

static void conn_check(struct lab *lab, struct diags *d)
{
	const struct res_list *l = &lab->res[RES_VPN_CONNECTION];
	char buf[CIDR_BUF];
	size_t i, k;

	for (i = 0; i < l->n; i++) {
		const struct vpn_connection *c =
			(const struct vpn_connection *)l->v[i];

		if (c->bgp && c->nroutes)
			diag_error(d, c->routes_at[0], "InvalidParameterValue",
				   "vpn-connection %s uses routing bgp: static-routes need 'routing static'",
				   c->r.name);
		for (k = 0; k < MODEL_VPN_TUNNELS; k++)
			if (!c->tunnels[k].outside_ip)
				diag_error(d, c->r.at, "AddressLimitExceeded",
					   "The public IP pool has no address left for tunnel %zu of vpn-connection %s",
					   k + 1, c->r.name);
		for (k = 0; k < c->nroutes; k++)
			if (cidr_special(c->routes[k]) ||
			    c->routes[k].len == 0)
				diag_error(d, c->routes_at[k],
					   "InvalidParameterValue",
					   "Static route %s is not a usable destination",
					   cidr_fmt(c->routes[k], buf));
	}
}

static void conn_print(struct printer *p, const struct res *res)
{
	const struct vpn_connection *c = (const struct vpn_connection *)res;
	size_t i;

	if (!print_res_ok(p, res))
		return;
	print_block_open(p, res);
	sb_puts(&p->sb, "\tcustomer-gateway");
	print_ref(p, c->cgw ? &c->cgw->r : NULL, res);
	sb_puts(&p->sb, c->tgw ? "\n\ttransit-gateway" : "\n\tvpn-gateway");
	print_ref(p, c->tgw ? &c->tgw->r : c->vgw ? &c->vgw->r : NULL, res);
	sb_puts(&p->sb, c->bgp ? "\n" : "\n\trouting static\n");
	if (c->nroutes) {
		sb_puts(&p->sb, "\tstatic-routes");
		for (i = 0; i < c->nroutes; i++)
			print_cidr(p, c->routes[i]);
		sb_puts(&p->sb, "\n");
	}
	print_block_close(p);
}

/* One side of a tunnel in the downloadable configuration: its outside
 * address, its inside address in the /30 and, with BGP, its ASN and the
 * hold time vpcemu's sessions use (svc/vpn.c). */
static void gw_config_side(struct strbuf *sb, const char *side, uint32_t out,
			   uint32_t in, const struct vpn_connection *c,
			   unsigned long asn)
{
	char a[IP_BUF], b[IP_BUF];

	sb_printf(sb,
		  "    <%s>\n"
		  "      <tunnel_outside_address><ip_address>%s</ip_address>"
		  "</tunnel_outside_address>\n"
		  "      <tunnel_inside_address><ip_address>%s</ip_address>"
		  "<network_mask>255.255.255.252</network_mask>"
		  "<network_cidr>30</network_cidr></tunnel_inside_address>\n",
		  side, ip_fmt(out, a), ip_fmt(in, b));
	if (c->bgp)
		sb_printf(sb, "      <bgp><asn>%lu</asn><hold_time>9</hold_time>"
			      "</bgp>\n",
			  asn);
	sb_printf(sb, "    </%s>\n", side);
}

/* CustomerGatewayConfiguration: AWS's generic XML for configuring the
 * customer's device, with what the AWS ends here expect (IKEv2, AES-128,
 * SHA-1, DH group 14, ESP in tunnel mode, dead peer detection every 2 s:
 * svc/vpn.c). */
static char *gw_config(const struct vpn_connection *c)
{
	struct strbuf sb = { 0 };
	size_t t;

	sb_printf(&sb,
		  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		  "<vpn_connection id=\"%s\">\n"
		  "  <customer_gateway_id>%s</customer_gateway_id>\n"
		  "  <%s>%s</%s>\n"
		  "  <vpn_connection_type>ipsec.1</vpn_connection_type>\n",
		  c->r.id, c->cgw->r.id,
		  c->vgw ? "vpn_gateway_id" : "transit_gateway_id",
		  c->vgw ? c->vgw->r.id : c->tgw->r.id,
		  c->vgw ? "vpn_gateway_id" : "transit_gateway_id");
	for (t = 0; t < MODEL_VPN_TUNNELS; t++) {
		const struct vpn_tunnel *tu = &c->tunnels[t];

		sb_puts(&sb, "  <ipsec_tunnel>\n");
		gw_config_side(&sb, "customer_gateway", c->cgw->ip,
			       tu->inside + 2, c, c->cgw->asn);
		gw_config_side(&sb, "vpn_gateway", tu->outside_ip,
			       tu->inside + 1, c,
			       c->vgw ? c->vgw->asn : c->tgw->asn);
		sb_printf(&sb,
			  "    <ike><authentication_protocol>sha1"
			  "</authentication_protocol><encryption_protocol>"
			  "aes-128-cbc</encryption_protocol>"
			  "<perfect_forward_secrecy>group14"
			  "</perfect_forward_secrecy><pre_shared_key>%s"
			  "</pre_shared_key></ike>\n"
			  "    <ipsec><protocol>esp</protocol>"
			  "<authentication_protocol>hmac-sha1-96"
			  "</authentication_protocol><encryption_protocol>"
			  "aes-128-cbc</encryption_protocol>"
			  "<perfect_forward_secrecy>group14"
			  "</perfect_forward_secrecy><mode>tunnel</mode>"
			  "<dead_peer_detection><interval>2</interval>"
			  "</dead_peer_detection></ipsec>\n"
			  "  </ipsec_tunnel>\n",
			  tu->psk);
	}
	sb_puts(&sb, "</vpn_connection>\n");
	return sb_take(&sb);
}

/* DescribeVpnConnections: the tunnels' status is what vpcemud read from
 * the daemons (vpn.h); a lab that is not up has both DOWN. */
static void conn_describe(struct jb *b, json_t *a, const struct lab *lab,
			  const struct ec2_state *st, time_t now,
			  const struct res *res)
{
	const struct vpn_connection *c = (const struct vpn_connection *)res;
	json_t *o = jb_add(b, a, jb_obj(b));
	json_t *opt = jb_put(b, o, "Options", jb_obj(b));
	json_t *tun = jb_put(b, opt, "TunnelOptions", jb_arr(b));
	json_t *routes = jb_put(b, o, "Routes", jb_arr(b));
	json_t *tel = jb_put(b, o, "VgwTelemetry", jb_arr(b));
	char ip[IP_BUF], when[32], *conf = gw_config(c);
	size_t t, i;

	jb_put_s(b, o, "Category", "VPN");
	if (conf)
		jb_put_s(b, o, "CustomerGatewayConfiguration", conf);
	else
		b->oom = true;
	free(conf);
	jb_put_s(b, o, "CustomerGatewayId", c->cgw->r.id);
	jb_put_s(b, o, "State", "available");
	jb_put_s(b, o, "Type", "ipsec.1");
	jb_put_s(b, o, "VpnConnectionId", c->r.id);
	if (c->vgw)
		jb_put_s(b, o, "VpnGatewayId", c->vgw->r.id);
	else
		jb_put_s(b, o, "TransitGatewayId", c->tgw->r.id);
	jb_put_b(b, opt, "EnableAcceleration", false);
	jb_put_b(b, opt, "StaticRoutesOnly", !c->bgp);
	jb_put_s(b, opt, "LocalIpv4NetworkCidr", "0.0.0.0/0");
	jb_put_s(b, opt, "RemoteIpv4NetworkCidr", "0.0.0.0/0");
	jb_put_s(b, opt, "OutsideIpAddressType", "PublicIpv4");
	jb_put_s(b, opt, "TunnelInsideIpVersion", "ipv4");
	for (t = 0; t < MODEL_VPN_TUNNELS; t++) {
		const struct vpn_tunnel *tu = &c->tunnels[t];
		json_t *x = jb_add(b, tun, jb_obj(b));
		json_t *y = jb_add(b, tel, jb_obj(b));
		time_t since;
		bool up = vpn_tunnel_up(tu->netns, &since);

		jb_put_s(b, x, "OutsideIpAddress", ip_fmt(tu->outside_ip, ip));
		jb_put_cidr(b, x, "TunnelInsideCidr",
			    (struct cidr){ tu->inside, 30 });
		jb_put_s(b, x, "PreSharedKey", tu->psk);
		jb_put_i(b, y, "AcceptedRouteCount", 0);
		describe_time(since ? since : now, when, sizeof(when));
		jb_put_s(b, y, "LastStatusChange", when);
		jb_put_s(b, y, "OutsideIpAddress", ip);
		jb_put_s(b, y, "Status", up ? "UP" : "DOWN");
		jb_put_s(b, y, "StatusMessage", "");
	}
	for (i = 0; i < c->nroutes; i++) {
		json_t *x = jb_add(b, routes, jb_obj(b));

		jb_put_cidr(b, x, "DestinationCidrBlock", c->routes[i]);
		jb_put_s(b, x, "Source", "Static");
		jb_put_s(b, x, "State", "available");
	}
	jb_put_tags(b, o, res);
}

static void conn_table(struct strbuf *sb, const json_t *o)
{
	const json_t *tel = json_object_get(o, "VgwTelemetry");
	size_t i;

	sb_printf(sb, "  %-24s %-22s %s\n", describe_tag_name(o),
		  describe_jstr(o, "VpnConnectionId"),
		  json_is_true(json_object_get(json_object_get(o, "Options"),
					       "StaticRoutesOnly"))
			  ? "static"
			  : "bgp");
	for (i = 0; i < json_array_size(tel); i++) {
		const json_t *x = json_array_get(tel, i);

		sb_printf(sb, "    tunnel  %-15s %s\n",
			  describe_jstr(x, "OutsideIpAddress"),
			  describe_jstr(x, "Status"));
	}
}

static void conn_details(struct strbuf *sb, const struct lab *lab,
			 const struct res *res)
{
	const struct vpn_connection *c = (const struct vpn_connection *)res;
	char o[IP_BUF], in[IP_BUF];
	size_t t;

	sb_printf(sb, "%s routing=%s", c->cgw->r.name,
		  c->bgp ? "bgp" : "static");
	if (c->nroutes) {
		sb_puts(sb, " static-routes=");
		res_cidr_list(sb, c->routes, c->nroutes);
	}
	for (t = 0; t < MODEL_VPN_TUNNELS; t++)
		sb_printf(sb, " t%zu=%s,%s/30", t + 1,
			  ip_fmt(c->tunnels[t].outside_ip, o),
			  ip_fmt(c->tunnels[t].inside, in));
}

static void conn_free(struct res *r)
{
	struct vpn_connection *c = (struct vpn_connection *)r;
	size_t t;

	for (t = 0; t < MODEL_VPN_TUNNELS; t++)
		free(c->tunnels[t].netns);
	free(c->att_netns);
	free(c->routes);
	free(c->routes_at);
}

const struct res_type res_type_vpn_connection = {
	.keyword = "vpn-connection",
	.id_prefix = "vpn-",
	.noun = "VPN connection",
	.notfound = "InvalidVpnConnectionID.NotFound",
	.size = sizeof(struct vpn_connection),
	.describe_what = "vpn-connections",
	.describe_key = "VpnConnections",
	.parse = conn_parse,
	.check = conn_check,
	.print = conn_print,
	.describe = conn_describe,
	.table = conn_table,
	.details = conn_details,
	.free = conn_free,
};
