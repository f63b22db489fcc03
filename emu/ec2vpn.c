/* ec2vpn.c - the Site-to-Site VPN commands: create-/delete-customer-
 * gateway, create-/delete-vpn-gateway, attach-/detach-vpn-gateway,
 * create-/delete-vpn-connection, create-/delete-vpn-connection-route and
 * enable-/disable-vgw-route-propagation. describe-customer-gateways,
 * -vpn-gateways and -vpn-connections come from the kinds' describe
 * functions (res/customer_gateway.c, vpn_gateway.c, vpn_connection.c).
 *
 * The kinds live in lab->res[]: new ones are added as ec2edge.c adds its
 * kinds, with what their blocks need written down; model_build derives
 * the rest (namespaces, tunnel addresses and keys), so creations answer
 * from the final model (POST_RES). The daemons follow the model the
 * command leaves (svc/vpn.c). Changes only the working copy (ec2ctx.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/ec2ctx.h"
#include "vpcemu/ec2edge.h"
#include "vpcemu/ec2tgw.h"
#include "vpcemu/ec2vpn.h"
#include "vpcemu/model.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

#define GET_CGW(c, ref, ret)                                             \
	((struct customer_gateway *)ec2ctx_get_res(                      \
		c, RES_CUSTOMER_GATEWAY, ref,                            \
		"InvalidCustomerGatewayID.NotFound", "customerGateway",  \
		ret))
#define GET_VGW(c, ref, ret)                                             \
	((struct vpn_gateway *)ec2ctx_get_res(                           \
		c, RES_VPN_GATEWAY, ref, "InvalidVpnGatewayID.NotFound", \
		"vpnGateway", ret))
#define GET_CONN(c, ref, ret)                                            \
	((struct vpn_connection *)ec2ctx_get_res(                        \
		c, RES_VPN_CONNECTION, ref,                              \
		"InvalidVpnConnectionID.NotFound", "vpnConnection", ret))

static int out_empty(struct ec2ctx *c)
{
	c->out = json_object();
	return c->out ? 0 : ENOMEM_FAIL(c);
}

/* Answers {key: r's describe object} from the final model. */
static void post_res(struct ec2ctx *c, const char *key, const struct res *r)
{
	c->post = POST_RES;
	c->post_key = key;
	snprintf(c->post_id, sizeof(c->post_id), "%s", r->id);
}

/* --type is ipsec.1, AWS's only type. */
static int type_check(struct ec2ctx *c)
{
	int ret = 0;
	const char *t = ec2ctx_opt_req(c, "--type", "type", &ret);

	if (t && strcmp(t, "ipsec.1"))
		ret = EFAIL(c, "InvalidParameterValue",
			    "Invalid value '%s' for type: ipsec.1 only", t);
	return ret;
}

/* The first connection that uses r (a customer or private gateway). */
static const struct vpn_connection *conn_of(const struct lab *m,
					    const struct res *r)
{
	const struct res_list *l = &m->res[RES_VPN_CONNECTION];
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct vpn_connection *x =
			(const struct vpn_connection *)l->v[i];

		if (&x->cgw->r == r || (x->vgw && &x->vgw->r == r))
			return x;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Customer gateways */

/* The networks behind it, a vpcemu extension the lab needs: AWS's
 * customer gateway is only an address and an ASN. */
static int cgw_networks(struct ec2ctx *c, struct customer_gateway *g)
{
	int first, n = ec2ctx_arg_list(c->a, "--networks", &first), i, ret;

	if (n <= 0)
		return EFAIL(c, "MissingParameter",
			     "The request must contain the parameter networks (vpcemu: the on-premises CIDRs behind the gateway)");
	g->networks = calloc((size_t)n, sizeof(*g->networks));
	if (!g->networks)
		return ENOMEM_FAIL(c);
	for (i = 0; i < n; i++) {
		ret = ec2ctx_get_cidr(c, c->a->argv[first + i], "networks",
				      &g->networks[i]);
		if (ret)
			return ret;
		g->nnetworks++;
	}
	return 0;
}

static int cgw_create(struct ec2ctx *c)
{
	const char *ip = ec2ctx_arg_get(c->a, "--public-ip", NULL);
	const char *asn = ec2ctx_arg_get(c->a, "--bgp-asn", NULL);
	struct customer_gateway *g;
	long n = 65000;
	int ret = type_check(c);

	if (!ip)
		ip = ec2ctx_arg_get(c->a, "--ip-address", NULL);
	if (!ret && !ip)
		ret = EFAIL(c, "MissingParameter",
			    "The request must contain the parameter ipAddress");
	if (!ret && asn && !ec2ctx_parse_long(asn, 1, 4294967294L, &n))
		ret = EFAIL(c, "InvalidParameterValue",
			    "Invalid value '%s' for bgpAsn", asn);
	if (ret)
		return ret;
	g = (struct customer_gateway *)ec2edge_res_add(
		c, RES_CUSTOMER_GATEWAY, "customer-gateway",
		"customer-gateway", &ret);
	if (!g)
		return ret;
	g->asn = (unsigned long)n;
	if (ip_parse(ip, &g->ip))
		return EFAIL(c, "InvalidParameterValue",
			     "Invalid value '%s' for ipAddress", ip);
	ret = cgw_networks(c, g);
	if (!ret)
		post_res(c, "CustomerGateway", &g->r);
	return ret;
}

static int cgw_delete(struct ec2ctx *c)
{
	const struct res_list *hosts = &c->m->res[RES_ONPREM_HOST];
	struct customer_gateway *g;
	const struct vpn_connection *x;
	int ret = 0;
	size_t i;

	g = GET_CGW(c, ec2ctx_opt_req(c, "--customer-gateway-id",
				      "customerGatewayId", &ret),
		    &ret);
	if (!g)
		return ret;
	if ((x = conn_of(c->m, &g->r)))
		return EFAIL(c, "IncorrectState",
			     "The customer gateway %s is in use by VPN connection %s",
			     g->r.id, x->r.id);
	for (i = 0; i < hosts->n; i++)
		if (((const struct onprem_host *)hosts->v[i])->cgw == g)
			return EFAIL(c, "DependencyViolation",
				     "Customer gateway %s has on-premises host %s behind it (vpcemu)",
				     g->r.id, hosts->v[i]->name);
	ec2edge_res_drop(c, &g->r);
	return out_empty(c);
}

/* ------------------------------------------------------------------ */
/* Virtual private gateways */

static int vgw_create(struct ec2ctx *c)
{
	const char *asn = ec2ctx_arg_get(c->a, "--amazon-side-asn", NULL);
	struct vpn_gateway *g;
	long n = 64512;
	int ret = type_check(c);

	/* The range (a private ASN) is check's, which the rebuild runs. */
	if (!ret && asn && !ec2ctx_parse_long(asn, 1, 4294967295L, &n))
		ret = EFAIL(c, "InvalidParameterValue",
			    "Invalid value '%s' for amazonSideAsn", asn);
	if (ret)
		return ret;
	g = (struct vpn_gateway *)ec2edge_res_add(c, RES_VPN_GATEWAY,
						  "vpn-gateway", "vpn-gateway",
						  &ret);
	if (!g)
		return ret;
	g->asn = (unsigned long)n;
	post_res(c, "VpnGateway", &g->r);
	return 0;
}

/* Propagation k of t goes, its place with it. */
static void prop_remove(struct route_table *t, size_t k)
{
	size_t n = t->nprop;

	ec2ctx_remove_at(t->prop_at, &n, sizeof(*t->prop_at), k);
	ec2ctx_remove_at(t->prop, &t->nprop, sizeof(*t->prop), k);
}

/* The route tables that propagate g stop doing so. */
static void vgw_unpropagate(struct ec2ctx *c, const struct vpn_gateway *g)
{
	size_t i, k;

	for (i = 0; i < c->m->nroute_tables; i++) {
		struct route_table *t = c->m->route_tables[i];

		for (k = t->nprop; k-- > 0;)
			if (t->prop[k] == g)
				prop_remove(t, k);
	}
}

static int vgw_attach(struct ec2ctx *c, bool attach)
{
	struct vpn_gateway *g;
	struct vpc *v;
	int ret = 0;
	json_t *o;

	g = GET_VGW(c, ec2ctx_opt_req(c, "--vpn-gateway-id", "vpnGatewayId",
				      &ret),
		    &ret);
	v = GET_VPC(c, ec2ctx_opt_req(c, "--vpc-id", "vpcId", &ret), &ret);
	if (!g || !v)
		return ret;
	if (attach && g->vpc)
		return EFAIL(c, "InvalidParameterValue",
			     "%s is already attached to %s", g->r.id,
			     g->vpc->r.id);
	if (!attach && g->vpc != v)
		return EFAIL(c, "InvalidVpnGatewayAttachment.NotFound",
			     "The attachment with vpn gateway ID '%s' and vpc ID '%s' does not exist",
			     g->r.id, v->r.id);
	/* check refuses a second gateway on the VPC after the rebuild. */
	if (!attach) {
		vgw_unpropagate(c, g);
		ec2edge_routes_blackhole(c, &g->r, v);
	}
	g->vpc = attach ? v : NULL;
	if (!attach)
		return out_empty(c);
	o = json_pack("{s:{s:s, s:s}}", "VpcAttachment", "State", "attaching",
		      "VpcId", v->r.id);
	c->out = o;
	return o ? 0 : ENOMEM_FAIL(c);
}

static int vgw_attach_cmd(struct ec2ctx *c)
{
	return vgw_attach(c, true);
}

static int vgw_detach_cmd(struct ec2ctx *c)
{
	return vgw_attach(c, false);
}

static int vgw_delete(struct ec2ctx *c)
{
	struct vpn_gateway *g;
	const struct vpn_connection *x;
	int ret = 0;

	g = GET_VGW(c, ec2ctx_opt_req(c, "--vpn-gateway-id", "vpnGatewayId",
				      &ret),
		    &ret);
	if (!g)
		return ret;
	if (g->vpc)
		return EFAIL(c, "IncorrectState",
			     "The vpn gateway %s is attached to %s: detach it first",
			     g->r.id, g->vpc->r.id);
	if ((x = conn_of(c->m, &g->r)))
		return EFAIL(c, "IncorrectState",
			     "The vpn gateway %s is in use by VPN connection %s",
			     g->r.id, x->r.id);
	ec2edge_routes_blackhole(c, &g->r, NULL);
	ec2edge_res_drop(c, &g->r);
	return out_empty(c);
}

/* ------------------------------------------------------------------ */
/* VPN connections */

/* --options StaticRoutesOnly=true|false (shorthand or JSON); others
 * only absent. */
static int conn_static_only(struct ec2ctx *c, bool *ret_static)
{
	const char *s = ec2ctx_arg_get(c->a, "--options", NULL);
	json_t *o, *v;
	const char *k;

	*ret_static = false;
	if (!s)
		return 0;
	if (!strcmp(s, "StaticRoutesOnly=true") ||
	    !strcmp(s, "StaticRoutesOnly=false")) {
		*ret_static = !strcmp(s, "StaticRoutesOnly=true");
		return 0;
	}
	o = json_loads(s, 0, NULL);
	json_object_foreach(o, k, v) {
		if (strcmp(k, "StaticRoutesOnly") || !json_is_boolean(v)) {
			json_decref(o);
			return EUNSUP(c,
				      "--options: only StaticRoutesOnly (true or false) is supported");
		}
		*ret_static = json_is_true(v);
	}
	if (!o)
		return EFAIL(c, "InvalidParameterValue",
			     "Invalid --options '%s'", s);
	json_decref(o);
	return 0;
}

static int conn_create(struct ec2ctx *c)
{
	const char *vgw = ec2ctx_arg_get(c->a, "--vpn-gateway-id", NULL);
	const char *tgw = ec2ctx_arg_get(c->a, "--transit-gateway-id", NULL);
	struct customer_gateway *g;
	struct vpn_connection *x;
	bool static_only;
	int ret = type_check(c);

	if (!ret)
		ret = conn_static_only(c, &static_only);
	if (ret)
		return ret;
	g = GET_CGW(c, ec2ctx_opt_req(c, "--customer-gateway-id",
				      "customerGatewayId", &ret),
		    &ret);
	if (!g)
		return ret;
	if (!vgw == !tgw)
		return EFAIL(c, vgw ? "InvalidParameterCombination"
				    : "MissingParameter",
			     "The request must contain exactly one of vpnGatewayId and transitGatewayId");
	x = (struct vpn_connection *)ec2edge_res_add(c, RES_VPN_CONNECTION,
						     "vpn-connection",
						     "vpn-connection", &ret);
	if (!x)
		return ret;
	x->cgw = g;
	x->bgp = !static_only;
	if (vgw)
		x->vgw = GET_VGW(c, vgw, &ret);
	else
		x->tgw = (struct transit_gateway *)ec2ctx_get_res(
			c, RES_TRANSIT_GATEWAY, tgw,
			"InvalidTransitGatewayID.NotFound", "transitGateway",
			&ret);
	if (!ret)
		post_res(c, "VpnConnection", &x->r);
	return ret;
}

static int conn_delete(struct ec2ctx *c)
{
	struct vpn_connection *x;
	int ret = 0;

	x = GET_CONN(c, ec2ctx_opt_req(c, "--vpn-connection-id",
				       "vpnConnectionId", &ret),
		     &ret);
	if (!x)
		return ret;
	/* The gateway route tables of a connection to a transit gateway
	 * name its attachment. */
	if (x->tgw)
		ec2tgw_attachment_forget(c, &x->att);
	ec2edge_res_drop(c, &x->r);
	return out_empty(c);
}

/* create- and delete-vpn-connection-route: a static route of a
 * connection with static routing. */
static int conn_route(struct ec2ctx *c, bool add)
{
	struct vpn_connection *x;
	struct cidr d;
	const char *s;
	size_t i;
	int ret = 0;

	x = GET_CONN(c, ec2ctx_opt_req(c, "--vpn-connection-id",
				       "vpnConnectionId", &ret),
		     &ret);
	s = ec2ctx_opt_req(c, "--destination-cidr-block",
			   "destinationCidrBlock", &ret);
	if (!x || !s || (ret = ec2ctx_get_cidr(c, s, "destinationCidrBlock",
					       &d)))
		return ret;
	if (x->bgp)
		return EFAIL(c, "InvalidVpnConnection.InvalidType",
			     "VPN connection %s uses BGP routing: static routes need StaticRoutesOnly",
			     x->r.id);
	for (i = 0; i < x->nroutes && !cidr_eq(x->routes[i], d); i++)
		;
	if (add && i < x->nroutes)
		return EFAIL(c, "RouteAlreadyExists",
			     "The route %s already exists on %s", s, x->r.id);
	if (!add && i == x->nroutes)
		return EFAIL(c, "InvalidRoute.NotFound",
			     "No route with destination %s on %s", s, x->r.id);
	if (!add) {
		ec2ctx_remove_at(x->routes, &x->nroutes, sizeof(*x->routes),
				 i);
		return out_empty(c);
	}
	if (ec2ctx_grow((void **)&x->routes, x->nroutes, sizeof(*x->routes)))
		return ENOMEM_FAIL(c);
	x->routes[x->nroutes++] = d;
	return out_empty(c);
}

static int route_create(struct ec2ctx *c)
{
	return conn_route(c, true);
}

static int route_delete(struct ec2ctx *c)
{
	return conn_route(c, false);
}

/* ------------------------------------------------------------------ */
/* Route propagation */

static int propagation(struct ec2ctx *c, bool enable)
{
	struct route_table *t;
	struct vpn_gateway *g;
	size_t k;
	int ret = 0;

	t = GET_RTB(c, ec2ctx_opt_req(c, "--route-table-id", "routeTableId",
				      &ret),
		    &ret);
	g = GET_VGW(c, ec2ctx_opt_req(c, "--gateway-id", "gatewayId", &ret),
		    &ret);
	if (!t || !g)
		return ret;
	if (g->vpc != t->vpc)
		return EFAIL(c, "Gateway.NotAttached",
			     "resource %s is not attached to network %s",
			     g->r.id, t->vpc->r.id);
	for (k = 0; k < t->nprop && t->prop[k] != g; k++)
		;
	/* AWS answers success when there is nothing to change. */
	if (enable && k == t->nprop) {
		if (ec2ctx_grow((void **)&t->prop, t->nprop, sizeof(*t->prop)) ||
		    ec2ctx_grow((void **)&t->prop_at, t->nprop,
				sizeof(*t->prop_at)))
			return ENOMEM_FAIL(c);
		t->prop[t->nprop++] = g;
	} else if (!enable && k < t->nprop) {
		prop_remove(t, k);
	}
	return out_empty(c);
}

static int prop_enable(struct ec2ctx *c)
{
	return propagation(c, true);
}

static int prop_disable(struct ec2ctx *c)
{
	return propagation(c, false);
}

static const struct ec2ctx_cmd vpn_cmds[] = {
	{ "create-customer-gateway", cgw_create,
	  "create-customer-gateway --type ipsec.1 --public-ip IP\n"
	  "    --networks CIDR... [--bgp-asn N] [--tag-specifications SPEC]\n\n"
	  "An on-premises router at IP on the emulated internet (the rules of\n"
	  "an internet host's address), with its networks behind it\n"
	  "(--networks: a vpcemu extension the lab needs). --bgp-asn defaults\n"
	  "to 65000. Answers the CustomerGateway object.\n" },
	{ "delete-customer-gateway", cgw_delete,
	  "delete-customer-gateway --customer-gateway-id ID\n\n"
	  "Not while a VPN connection uses it (IncorrectState) or an\n"
	  "on-premises host sits behind it (DependencyViolation).\n" },
	{ "create-vpn-gateway", vgw_create,
	  "create-vpn-gateway --type ipsec.1 [--amazon-side-asn N]\n"
	  "    [--tag-specifications SPEC]\n\n"
	  "A virtual private gateway, detached; the ASN is private, 64512 by\n"
	  "default. Answers the VpnGateway object.\n" },
	{ "delete-vpn-gateway", vgw_delete,
	  "delete-vpn-gateway --vpn-gateway-id ID\n\n"
	  "Not while attached or used by a VPN connection (IncorrectState).\n" },
	{ "attach-vpn-gateway", vgw_attach_cmd,
	  "attach-vpn-gateway --vpn-gateway-id ID --vpc-id ID\n\n"
	  "One gateway per VPC. Answers the VpcAttachment.\n" },
	{ "detach-vpn-gateway", vgw_detach_cmd,
	  "detach-vpn-gateway --vpn-gateway-id ID --vpc-id ID\n\n"
	  "Its route tables stop propagating it; routes via it stay as\n"
	  "blackhole.\n" },
	{ "create-vpn-connection", conn_create,
	  "create-vpn-connection --type ipsec.1 --customer-gateway-id ID\n"
	  "    (--vpn-gateway-id ID | --transit-gateway-id ID)\n"
	  "    [--options StaticRoutesOnly=true|false] [--tag-specifications SPEC]\n\n"
	  "Two IPsec tunnels, strongSwan at both ends; BGP routing unless\n"
	  "StaticRoutesOnly=true. Answers the VpnConnection object, tunnel\n"
	  "addresses and pre-shared keys included.\n" },
	{ "delete-vpn-connection", conn_delete,
	  "delete-vpn-connection --vpn-connection-id ID\n\n"
	  "Its tunnels and daemons go.\n" },
	{ "create-vpn-connection-route", route_create,
	  "create-vpn-connection-route --vpn-connection-id ID\n"
	  "    --destination-cidr-block CIDR\n\n"
	  "A static route of a connection with static routing; route tables\n"
	  "that propagate its gateway take it.\n" },
	{ "delete-vpn-connection-route", route_delete,
	  "delete-vpn-connection-route --vpn-connection-id ID\n"
	  "    --destination-cidr-block CIDR\n\n"
	  "Deletes a static route of the connection.\n" },
	{ "enable-vgw-route-propagation", prop_enable,
	  "enable-vgw-route-propagation --gateway-id VGW --route-table-id ID\n\n"
	  "The table takes the gateway's routes (static or learned over BGP);\n"
	  "its own route of the same prefix wins.\n" },
	{ "disable-vgw-route-propagation", prop_disable,
	  "disable-vgw-route-propagation --gateway-id VGW --route-table-id ID\n\n"
	  "The table forgets the gateway's routes.\n" },
};

const struct ec2ctx_cmd *ec2vpn_cmd(const char *cmd)
{
	return ec2ctx_cmd_find(vpn_cmds, ARRAY_SIZE(vpn_cmds), cmd);
}
