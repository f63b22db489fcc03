/* test_vpn.c - the VPN kinds (res/customer_gateway.c, onprem_host.c,
 * vpn_gateway.c, vpn_connection.c) and `propagate VGW`: defaults, AWS's
 * rules and the tunnels' addresses. */
#include <criterion/criterion.h>
#include <string.h>

#include "helpers.h"
#include "vpcemu/model.h"
#include "vpcemu/plan.h"

static struct test_lab tl;

static void fini(void)
{
	test_lab_free(&tl);
}

TestSuite(vpn, .fini = fini);

#define BASE                                                                   \
	"vpc V { cidr 10.1.0.0/16 }\n"                                         \
	"subnet S { vpc V; cidr 10.1.1.0/24 }\n"                               \
	"vpn-gateway G { vpc V }\n"                                            \
	"customer-gateway C { ip 192.0.2.10; networks 192.168.10.0/24 }\n"

static struct lab *lab_of(const char *text, unsigned flags)
{
	test_lab_free(&tl);
	return test_lab_text(&tl, "vpn.conf", text, NULL,
			     flags | TEST_LAB_CHECK);
}

static struct res *only(struct lab *lab, enum res_kind k)
{
	cr_assert_eq(lab->res[k].n, 1);
	return lab->res[k].v[0];
}

/* AWS's defaults: amazon side 64512, routing bgp; the contract's customer
 * ASN 65000. */
Test(vpn, defaults)
{
	struct lab *lab = lab_of(BASE "vpn-connection X { customer-gateway C; "
				      "vpn-gateway G }\n",
				 TEST_LAB_CLEAN);
	const struct vpn_connection *c =
		(const struct vpn_connection *)only(lab, RES_VPN_CONNECTION);

	cr_expect_eq(((struct vpn_gateway *)only(lab, RES_VPN_GATEWAY))->asn,
		     64512);
	cr_expect_eq(c->cgw->asn, 65000);
	cr_expect(c->bgp);
	cr_expect_str_eq(c->tunnels[0].netns, "vpn-X_t1");
	cr_expect_eq(strncmp(c->r.id, "vpn-", 4), 0);
	cr_expect_eq(strlen(c->tunnels[0].psk), 32);
}

/* Each tunnel: an outside address of the public pool, distinct, and an
 * inside /30 of 169.254.0.0/16 that AWS allows (never 169.254.0-5.0/30
 * nor 169.254.169.252/30), unique in the lab. */
Test(vpn, tunnel_addresses)
{
	struct lab *lab = lab_of(
	    BASE "vpn-connection X { customer-gateway C; vpn-gateway G }\n"
		 "vpn-connection Y { customer-gateway C; vpn-gateway G }\n",
	    TEST_LAB_CLEAN);
	uint32_t seen_in[4], seen_out[4];
	size_t i, t, n = 0, k;

	for (i = 0; i < 2; i++) {
		const struct vpn_connection *c =
			(const struct vpn_connection *)
				lab->res[RES_VPN_CONNECTION].v[i];

		for (t = 0; t < MODEL_VPN_TUNNELS; t++, n++) {
			uint32_t in = c->tunnels[t].inside;

			cr_expect(model_public_pool_has(lab,
							c->tunnels[t].outside_ip));
			cr_expect_eq(in & 3, 0);
			cr_expect_eq(in >> 16, 0xa9fe);
			cr_expect(in >= 0xa9fe0600u, "reserved block");
			cr_expect_neq(in, 0xa9fea9fcu);
			cr_expect(in < PLAN_ADDR_PLINK);
			for (k = 0; k < n; k++) {
				cr_expect_neq(seen_in[k], in);
				cr_expect_neq(seen_out[k],
					      c->tunnels[t].outside_ip);
			}
			seen_in[n] = in;
			seen_out[n] = c->tunnels[t].outside_ip;
		}
	}
}

Test(vpn, connection_needs_one_gateway)
{
	lab_of(BASE "transit-gateway T { }\n"
		    "vpn-connection X { customer-gateway C }\n"
		    "vpn-connection Y { customer-gateway C; vpn-gateway G; "
		    "transit-gateway T }\n",
	       TEST_LAB_ANY);
	cr_expect_eq(tl.d.nerrors, 2, "%s", test_diags_text(&tl.d));
	test_lab_free(&tl);
	lab_of(BASE "vpn-connection X { vpn-gateway G }\n", TEST_LAB_ANY);
	test_expect_one(&tl.d, "MissingParameter", 5, 0);
}

struct tgw_seen {
	struct cidr dst[8];
	const struct tgw_attachment *to[8];
	size_t n;
};

static void tgw_seen_add(void *arg, struct cidr dst,
			 const struct tgw_attachment *target, bool propagated)
{
	struct tgw_seen *s = arg;

	cr_assert_lt(s->n, 8);
	cr_expect(propagated);
	s->dst[s->n] = dst;
	s->to[s->n++] = target;
}

/* A connection to a transit gateway is an attachment under its name
 * named before its block; its static routes propagate, and
 * rank after a VPC's of the same prefix whatever the order. */
Test(vpn, transit_gateway_attachment)
{
	struct lab *lab = lab_of(
		"transit-gateway-route-table R { transit-gateway T\n"
		"  associate X; propagate X W }\n"
		"vpn-connection X { customer-gateway C; transit-gateway T\n"
		"  routing static; static-routes 10.5.0.0/16 172.16.0.0/12 }\n"
		"vpc V { cidr 10.1.0.0/16 }\n"
		"vpc V2 { cidr 10.5.0.0/16 }\n"
		"subnet S2 { vpc V2; cidr 10.5.1.0/24 }\n"
		"customer-gateway C { ip 192.0.2.10; networks 192.168.10.0/24 }\n"
		"transit-gateway T { default-association no; "
		"default-propagation no }\n"
		"transit-gateway-attachment W { transit-gateway T; vpc V2; "
		"subnets S2 }\n",
		TEST_LAB_CLEAN);
	const struct vpn_connection *c =
		(const struct vpn_connection *)only(lab, RES_VPN_CONNECTION);
	const struct tgw_route_table *t =
		(const struct tgw_route_table *)only(lab, RES_TGW_ROUTE_TABLE);
	const struct tgw_attachment *w =
		(const struct tgw_attachment *)only(lab, RES_TGW_ATTACHMENT);
	struct tgw_seen s = { .n = 0 };

	cr_expect_eq(tgw_association_of(&c->att), t);
	cr_expect_eq(strncmp(c->att.r.id, "tgw-attach-", 11), 0);
	cr_expect_str_eq(c->att.r.name, "X");
	cr_expect_eq(c->att.tgw, c->tgw);
	tgw_routes(t, tgw_seen_add, &s);
	cr_assert_eq(s.n, 2);
	cr_expect(cidr_eq(s.dst[0], CIDR(10, 5, 0, 0, 16)) && s.to[0] == w,
		  "the VPC's 10.5.0.0/16 first");
	cr_expect(cidr_eq(s.dst[1], CIDR(172, 16, 0, 0, 12)) &&
		  s.to[1] == &c->att);
}

/* A table may not name a connection to a virtual private gateway. */
Test(vpn, vgw_connection_is_no_attachment)
{
	lab_of(BASE "transit-gateway T { }\n"
		    "transit-gateway-route-table R { transit-gateway T; "
		    "associate X }\n"
		    "vpn-connection X { customer-gateway C; vpn-gateway G }\n",
	       TEST_LAB_ANY);
	test_expect_one(&tl.d, "InvalidParameterValue", 6, 0);
}

Test(vpn, static_routes_need_static_routing)
{
	lab_of(BASE "vpn-connection X { customer-gateway C; vpn-gateway G; "
		    "static-routes 192.168.10.0/24 }\n",
	       TEST_LAB_ANY);
	test_expect_one(&tl.d, "InvalidParameterValue", 5, 0);
}

/* A customer gateway's address is on the internet: not in the public pool
 * nor in a VPC, and nobody else's. */
Test(vpn, customer_gateway_address)
{
	lab_of("vpc V { cidr 10.1.0.0/16 }\n"
	       "customer-gateway C { ip 198.51.100.7; networks 192.168.0.0/24 }\n",
	       TEST_LAB_ANY);
	test_expect_one(&tl.d, "InvalidParameterValue", 2, 0);
	test_lab_free(&tl);
	lab_of("internet-host H { ip 192.0.2.10 }\n"
	       "customer-gateway C { ip 192.0.2.10; networks 192.168.0.0/24 }\n",
	       TEST_LAB_ANY);
	test_expect_one(&tl.d, "InvalidIPAddress.InUse", 2, 0);
	test_lab_free(&tl);
	lab_of("vpc V { cidr 10.1.0.0/16 }\n"
	       "customer-gateway C { ip 192.0.2.10; networks 10.1.2.0/24 }\n",
	       TEST_LAB_ANY);
	test_expect_one(&tl.d, "InvalidParameterValue", 2, 0);
}

Test(vpn, onprem_host_inside_its_networks)
{
	lab_of(BASE "onprem-host H { customer-gateway C; ip 192.168.11.5 }\n",
	       TEST_LAB_ANY);
	test_expect_one(&tl.d, "InvalidParameterValue", 5, 0);
	test_lab_free(&tl);
	lab_of(BASE "onprem-host H { customer-gateway G; ip 192.168.10.5 }\n",
	       TEST_LAB_ANY);
	cr_expect_geq(tl.d.nerrors, 1);
}

/* EnableVgwRoutePropagation and a route via a gateway of another VPC. */
Test(vpn, gateway_not_attached)
{
	lab_of(BASE "vpc W { cidr 10.2.0.0/16 }\n"
		    "route-table R { vpc W; propagate G }\n",
	       TEST_LAB_ANY);
	test_expect_one(&tl.d, "Gateway.NotAttached", 6, 0);
	test_lab_free(&tl);
	lab_of(BASE "vpc W { cidr 10.2.0.0/16 }\n"
		    "route-table R { vpc W; route 192.168.0.0/16 via G }\n",
	       TEST_LAB_ANY);
	test_expect_one(&tl.d, "Gateway.NotAttached", 6, 0);
}

Test(vpn, one_gateway_per_vpc_and_private_asn)
{
	lab_of(BASE "vpn-gateway G2 { vpc V; asn 65535 }\n", TEST_LAB_ANY);
	cr_expect_eq(tl.d.nerrors, 2, "%s", test_diags_text(&tl.d));
}

/* a table's own route to a prefix beats the propagated one; the
 * other static route is propagated to the gateway's link. */
Test(vpn, static_route_beats_propagated)
{
	struct lab *lab = lab_of(
	    BASE "route-table R { vpc V; associate S; propagate G;"
		 " route 192.168.10.0/24 via blackhole }\n"
		 "vpn-connection X { customer-gateway C; vpn-gateway G;"
		 " routing static; static-routes 192.168.10.0/24"
		 " 192.168.20.0/24 }\n",
	    TEST_LAB_CLEAN);
	const struct vpn_gateway *g =
		(const struct vpn_gateway *)only(lab, RES_VPN_GATEWAY);
	struct plan *p = plan_build(lab);
	size_t i, to10 = 0, to20 = 0;

	cr_assert_not_null(p);
	for (i = 0; i < p->nroutes; i++) {
		const struct plan_route *r = &p->routes[i];

		if (strcmp(p->ns[r->ns].name, "vpn-V") || r->table != 1000)
			continue;
		if (r->dst.addr == 0xc0a80a00u) {
			to10++;
			cr_expect_eq(r->type, PLAN_ROUTE_BLACKHOLE);
		} else if (r->dst.addr == 0xc0a81400u) {
			to20++;
			cr_expect_str_eq(r->dev, g->ifname);
		}
	}
	cr_expect_eq(to10, 1);
	cr_expect_eq(to20, 1);
	plan_free(p);
}
