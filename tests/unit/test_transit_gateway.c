/* test_transit_gateway.c - the transit-gateway, transit-gateway-attachment
 * and transit-gateway-route-table kinds (res/transit_gateway*.c): their
 * blocks, the default route table, every AWS rule (each refused form has
 * an accepted twin), printing back and describing.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/describe.h"
#include "vpcemu/diag.h"
#include "vpcemu/model.h"
#include "vpcemu/nftgen.h"
#include "vpcemu/plan.h"
#include "vpcemu/print.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

#include "helpers.h"

/* Three VPCs, one attached subnet each in AZ a; Dev has a second subnet
 * in AZ b. Lines 1-8. */
#define HUB                                                                   \
	"vpc Dev { cidr 10.1.0.0/16 }\n"                                      \
	"vpc Prod { cidr 10.2.0.0/16 }\n"                                     \
	"vpc Shared { cidr 10.3.0.0/16 }\n"                                   \
	"subnet DevA { vpc Dev; cidr 10.1.1.0/24; az us-east-1a }\n"          \
	"subnet DevB { vpc Dev; cidr 10.1.2.0/24; az us-east-1b }\n"          \
	"subnet ProdA { vpc Prod; cidr 10.2.1.0/24; az us-east-1a }\n"        \
	"subnet SharedA { vpc Shared; cidr 10.3.1.0/24; az us-east-1a }\n"    \
	"transit-gateway T { }\n"

/* Lines 9-11. */
#define ATTS                                                                  \
	"transit-gateway-attachment DevAtt { transit-gateway T; vpc Dev; "    \
	"subnets DevA }\n"                                                    \
	"transit-gateway-attachment ProdAtt { transit-gateway T; vpc Prod; "  \
	"subnets ProdA }\n"                                                   \
	"transit-gateway-attachment SharedAtt { transit-gateway T; "          \
	"vpc Shared; subnets SharedA }\n"

static struct test_lab tl;

static void tgw_fini(void)
{
	test_lab_free(&tl);
}

TestSuite(transit_gateway, .fini = tgw_fini);

static void run(const char *text)
{
	test_lab_free(&tl);
	test_lab_text(&tl, "tgw.conf", text, NULL, TEST_LAB_CHECK);
}

/* Mistakes the model itself reports. */
static void run_model(const char *text)
{
	test_lab_free(&tl);
	test_lab_text(&tl, "tgw.conf", text, NULL, 0);
}

static void expect_clean(void)
{
	char *t = test_diags_text(&tl.d);

	cr_assert_eq(tl.d.n, 0, "%s", t);
	free(t);
}

static struct res *find(const char *name)
{
	struct res *r = model_find(tl.lab, RES__COUNT, name);

	cr_assert_not_null(r, "%s", name);
	return r;
}

static struct tgw_attachment *att(const char *name)
{
	return (struct tgw_attachment *)find(name);
}

static struct tgw_route_table *tgw_rt(const char *name)
{
	return (struct tgw_route_table *)find(name);
}

Test(transit_gateway, defaults_and_the_default_table)
{
	const struct transit_gateway *g;

	run(HUB ATTS);
	expect_clean();
	g = (const struct transit_gateway *)find("T");
	cr_expect_eq(g->asn, 64512);
	cr_expect(g->default_association && g->default_propagation);
	cr_expect_str_eq(g->netns, "tgw-T");
	cr_assert_not_null(g->default_rt);
	cr_expect_str_eq(g->default_rt->r.name, "T.default-rt");
	cr_expect(g->default_rt->r.implicit);
	cr_expect_eq(strncmp(g->default_rt->r.id, "tgw-rtb-", 8), 0);
	cr_expect_eq(strncmp(att("DevAtt")->r.id, "tgw-attach-", 11), 0);
	/* The link is named by the ID: "tgwa-" and 8 hex fit IFNAMSIZ. */
	cr_expect_eq(strlen(att("DevAtt")->ifname), 13);
	cr_expect_eq(strncmp(att("DevAtt")->ifname, "tgwa-", 5), 0);
	cr_expect_eq(tgw_association_of(att("DevAtt")), g->default_rt);
	cr_expect(tgw_propagates(g->default_rt, att("ProdAtt")));
}

Test(transit_gateway, written_tables_take_attachments_from_the_default)
{
	const struct tgw_route_table *def;

	run(HUB ATTS
	    "transit-gateway-route-table Spokes { transit-gateway T\n"
	    "  associate DevAtt; propagate SharedAtt }\n");
	expect_clean();
	def = tgw_rt("T.default-rt");
	cr_expect_eq(tgw_association_of(att("DevAtt")), tgw_rt("Spokes"));
	cr_expect_eq(tgw_association_of(att("ProdAtt")), def);
	cr_expect(tgw_propagates(tgw_rt("Spokes"), att("SharedAtt")));
	cr_expect_not(tgw_propagates(def, att("SharedAtt")));
	cr_expect(tgw_propagates(def, att("DevAtt")));
	cr_expect_not(tgw_propagates(tgw_rt("Spokes"), att("DevAtt")));
}

Test(transit_gateway, no_default_table_when_both_options_are_off)
{
	const struct transit_gateway *g;

	run("vpc V { cidr 10.0.0.0/16 }\n"
	    "subnet S { vpc V; cidr 10.0.1.0/24 }\n"
	    "transit-gateway T { default-association no; default-propagation no }\n"
	    "transit-gateway-attachment A { transit-gateway T; vpc V; subnets S }\n");
	expect_clean();
	g = (const struct transit_gateway *)find("T");
	cr_expect_null(g->default_rt);
	cr_expect_null(tgw_association_of(att("A")));
	cr_expect_null(model_find(tl.lab, RES__COUNT, "T.default-rt"));
}

Test(transit_gateway, default_table_name_is_taken)
{
	run_model(HUB "transit-gateway-route-table T.default-rt "
		      "{ transit-gateway T }\n");
	test_expect_one(&tl.d, "Vpcemu.DuplicateName", 9, 0);
	cr_expect_not_null(strstr(tl.d.v[0].message,
				  "default route table of transit-gateway 'T'"),
			   "%s", tl.d.v[0].message);
	/* Twin: with both options off there is no default table. */
	run(HUB "transit-gateway U { default-association no; "
		"default-propagation no }\n"
		"transit-gateway-route-table U.default-rt { transit-gateway U }\n");
	expect_clean();
}

Test(transit_gateway, asn_must_be_private)
{
	run("transit-gateway T { asn 4200000000 }\n");
	expect_clean();
	run("transit-gateway T { asn 65534 }\n");
	expect_clean();
	run("transit-gateway T { asn 65535 }\n");
	test_expect_one(&tl.d, "InvalidParameterValue", 1, 25);
	run("transit-gateway T { asn 64511 }\n");
	test_expect_one(&tl.d, "InvalidParameterValue", 1, 25);
	run_model("transit-gateway T { asn many }\n");
	test_expect_one(&tl.d, "InvalidParameterValue", 1, 25);
}

Test(transit_gateway, one_subnet_per_az)
{
	run(HUB "transit-gateway-attachment A { transit-gateway T; vpc Dev; "
		"subnets DevA DevB }\n");
	expect_clean();
	run(HUB "subnet DevA2 { vpc Dev; cidr 10.1.3.0/24; az us-east-1a }\n"
		"transit-gateway-attachment A { transit-gateway T; vpc Dev; "
		"subnets DevA DevA2 }\n");
	test_expect_one(&tl.d, "DuplicateSubnetsInSameZone", 10, 0);
}

Test(transit_gateway, subnets_of_the_attached_vpc)
{
	run(HUB "transit-gateway-attachment A { transit-gateway T; vpc Dev; "
		"subnets DevA }\n");
	expect_clean();
	run(HUB "transit-gateway-attachment A { transit-gateway T; vpc Dev; "
		"subnets ProdA }\n");
	test_expect_one(&tl.d, "InvalidParameterValue", 9, 0);
}

Test(transit_gateway, subnets_are_required)
{
	run_model(HUB "transit-gateway-attachment A { transit-gateway T; "
		      "vpc Dev }\n");
	test_expect_one(&tl.d, "MissingParameter", 9, 0);
}

Test(transit_gateway, one_attachment_per_vpc_and_gateway)
{
	run(HUB "transit-gateway U { }\n"
		"transit-gateway-attachment A { transit-gateway T; vpc Dev; "
		"subnets DevA }\n"
		"transit-gateway-attachment B { transit-gateway U; vpc Dev; "
		"subnets DevA }\n");
	expect_clean();
	run(HUB "transit-gateway-attachment A { transit-gateway T; vpc Dev; "
		"subnets DevA }\n"
		"transit-gateway-attachment B { transit-gateway T; vpc Dev; "
		"subnets DevB }\n");
	test_expect_one(&tl.d, "DuplicateTransitGatewayAttachment", 10, 0);
}

Test(transit_gateway, vpc_of_the_gateway_region)
{
	run("vpc V { cidr 10.0.0.0/16; region eu-west-1 }\n"
	    "subnet S { vpc V; cidr 10.0.1.0/24; az eu-west-1a }\n"
	    "transit-gateway T { }\n"
	    "transit-gateway-attachment A { transit-gateway T; vpc V; subnets S }\n");
	test_expect_one(&tl.d, "InvalidVpcID.NotFound", 4, 0);
	run("region eu-west-1\n"
	    "vpc V { cidr 10.0.0.0/16 }\n"
	    "subnet S { vpc V; cidr 10.0.1.0/24; az eu-west-1a }\n"
	    "transit-gateway T { }\n"
	    "transit-gateway-attachment A { transit-gateway T; vpc V; subnets S }\n");
	expect_clean();
}

Test(transit_gateway, one_association_per_attachment)
{
	/* Propagating into two tables is fine, associating is not. */
	run(HUB ATTS
	    "transit-gateway-route-table R1 { transit-gateway T; associate DevAtt; "
	    "propagate DevAtt }\n"
	    "transit-gateway-route-table R2 { transit-gateway T; propagate DevAtt }\n");
	expect_clean();
	run(HUB ATTS
	    "transit-gateway-route-table R1 { transit-gateway T; associate DevAtt }\n"
	    "transit-gateway-route-table R2 { transit-gateway T; associate DevAtt }\n");
	test_expect_one(&tl.d, "Resource.AlreadyAssociated", 13, 0);
	run(HUB ATTS
	    "transit-gateway-route-table R1 { transit-gateway T; "
	    "associate DevAtt DevAtt }\n");
	test_expect_one(&tl.d, "Resource.AlreadyAssociated", 12, 0);
}

Test(transit_gateway, attachments_of_another_gateway)
{
	static const char *const lines[] = {
		"associate X", "propagate X", "route 10.9.0.0/16 via X",
	};
	char text[1024];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		snprintf(text, sizeof(text),
			 HUB "transit-gateway U { }\n"
			     "transit-gateway-attachment X { transit-gateway %s; "
			     "vpc Dev; subnets DevA }\n"
			     "transit-gateway-route-table R { transit-gateway T; %s }\n",
			 "T", lines[i]);
		run(text);
		expect_clean();
		snprintf(text, sizeof(text),
			 HUB "transit-gateway U { }\n"
			     "transit-gateway-attachment X { transit-gateway %s; "
			     "vpc Dev; subnets DevA }\n"
			     "transit-gateway-route-table R { transit-gateway T; %s }\n",
			 "U", lines[i]);
		run(text);
		test_expect_one(&tl.d, "InvalidParameterValue", 11, 0);
	}
}

Test(transit_gateway, propagation_once_per_table)
{
	run(HUB ATTS
	    "transit-gateway-route-table R { transit-gateway T; propagate DevAtt; "
	    "propagate ProdAtt }\n");
	expect_clean();
	run(HUB ATTS
	    "transit-gateway-route-table R { transit-gateway T; propagate DevAtt; "
	    "propagate DevAtt }\n");
	test_expect_one(&tl.d, "TransitGatewayRouteTablePropagation.Duplicate",
			12, 0);
}

Test(transit_gateway, static_routes)
{
	const struct tgw_route_table *t;

	run(HUB ATTS
	    "transit-gateway-route-table R { transit-gateway T\n"
	    "  route 10.9.0.0/16 via DevAtt; route 10.8.0.0/16 via blackhole }\n");
	expect_clean();
	t = tgw_rt("R");
	cr_assert_eq(t->nroutes, 2);
	cr_expect_eq(t->routes[0].target, att("DevAtt"));
	cr_expect_null(t->routes[1].target);
	run(HUB ATTS
	    "transit-gateway-route-table R { transit-gateway T\n"
	    "  route 10.9.0.0/16 via DevAtt; route 10.9.0.0/16 via blackhole }\n");
	test_expect_one(&tl.d, "RouteAlreadyExists", 13, 39);
	run_model(HUB ATTS
	    "transit-gateway-route-table R { transit-gateway T\n"
	    "  route 10.9.0.0/16 via Nowhere }\n");
	test_expect_one(&tl.d, "InvalidTransitGatewayAttachmentID.NotFound",
			13, 0);
}

Test(transit_gateway, vpc_route_needs_an_attachment)
{
	run(HUB ATTS "route-table R { vpc Dev; route 10.0.0.0/8 via T }\n");
	expect_clean();
	run(HUB "route-table R { vpc Dev; route 10.0.0.0/8 via T }\n");
	test_expect_one(&tl.d, "InvalidTransitGatewayID.NotFound", 9, 0);
}

/* R-4.25: a transit gateway's security group referencing is off by
 * default, and the lab file has no switch for it: groups of a VPC reached
 * only through the gateway cannot be referenced. */
Test(transit_gateway, no_group_reference_across_the_gateway)
{
	run(HUB ATTS
	    "security-group P { vpc Prod }\n"
	    "security-group D { vpc Dev; ingress icmp from 10.2.0.0/16 }\n");
	expect_clean();
	run(HUB ATTS
	    "security-group P { vpc Prod }\n"
	    "security-group D { vpc Dev; ingress icmp from P }\n");
	test_expect_one(&tl.d, "InvalidGroup.NotFound", 13, 0);
}

Test(transit_gateway, printed_back)
{
	char *text;

	run(HUB ATTS
	    "transit-gateway U { asn 65000; default-association no }\n"
	    "transit-gateway-attachment UAtt { transit-gateway U; vpc Dev; "
	    "subnets DevA DevB; appliance-mode yes }\n"
	    "transit-gateway-route-table R { transit-gateway T; associate DevAtt\n"
	    "  propagate ProdAtt SharedAtt; route 10.9.0.0/16 via blackhole\n"
	    "  route 10.8.0.0/16 via ProdAtt }\n");
	expect_clean();
	text = print_lab(tl.lab);
	cr_assert_not_null(text);
	cr_expect_not_null(strstr(text, "\ntransit-gateway T {\n}\n"), "%s",
			   text);
	cr_expect_not_null(strstr(text, "\ntransit-gateway U {\n\tasn 65000\n"
					"\tdefault-association no\n}\n"),
			   "%s", text);
	cr_expect_not_null(
		strstr(text, "\ntransit-gateway-attachment UAtt {\n"
			     "\ttransit-gateway U\n\tvpc Dev\n"
			     "\tsubnets DevA DevB\n\tappliance-mode yes\n}\n"),
		"%s", text);
	cr_expect_not_null(
		strstr(text, "\ntransit-gateway-route-table R {\n"
			     "\ttransit-gateway T\n\tassociate DevAtt\n"
			     "\tpropagate ProdAtt SharedAtt\n"
			     "\troute 10.9.0.0/16 via blackhole\n"
			     "\troute 10.8.0.0/16 via ProdAtt\n}\n"),
		"%s", text);
	/* The default tables are the gateways' to make. */
	cr_expect_null(strstr(text, "default-rt"), "%s", text);
	free(text);
}

Test(transit_gateway, described)
{
	json_t *j, *g, *a, *t;
	const struct tgw_route_table *def;

	run(HUB ATTS
	    "transit-gateway-route-table R { transit-gateway T; associate DevAtt }\n");
	expect_clean();
	def = tgw_rt("T.default-rt");
	j = describe_lab(tl.lab, NULL);
	cr_assert_not_null(j);
	g = json_array_get(json_object_get(j, "TransitGateways"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(g, "State")),
			 "available");
	cr_expect_eq(json_integer_value(json_object_get(
			     json_object_get(g, "Options"), "AmazonSideAsn")),
		     64512);
	cr_expect_str_eq(json_string_value(json_object_get(
				 json_object_get(g, "Options"),
				 "AssociationDefaultRouteTableId")),
			 def->r.id);
	a = json_array_get(json_object_get(j, "TransitGatewayAttachments"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(a, "ResourceType")),
			 "vpc");
	cr_expect_str_eq(json_string_value(json_object_get(
				 json_object_get(a, "Association"),
				 "TransitGatewayRouteTableId")),
			 tgw_rt("R")->r.id);
	t = json_object_get(j, "TransitGatewayRouteTables");
	cr_assert_eq(json_array_size(t), 2);
	cr_expect(json_is_false(json_object_get(json_array_get(t, 0),
						"DefaultAssociationRouteTable")));
	cr_expect(json_is_true(json_object_get(json_array_get(t, 1),
					       "DefaultAssociationRouteTable")));
	json_decref(j);
}

/* ---- data plane ------------------------------------------------------ */

/* The plan's route to dst in table of namespace ns, or NULL. */
static const struct plan_route *route_in(const struct plan *p, const char *ns,
					 uint32_t table, const char *dst)
{
	char buf[CIDR_BUF];
	size_t i;

	for (i = 0; i < p->nroutes; i++)
		if (!strcmp(p->ns[p->routes[i].ns].name, ns) &&
		    p->routes[i].table == table &&
		    !strcmp(cidr_fmt(p->routes[i].dst, buf), dst))
			return &p->routes[i];
	return NULL;
}

/* A static route hides a propagated one of its prefix (R-11.5), a
 * blackhole one drops, a prefix two VPCs propagate goes to the first
 * (R-11.6); an overlapping one of another length stays. */
Test(transit_gateway, table_routes)
{
	const struct plan_route *r;
	struct plan *p;
	size_t i, n;

	run(HUB ATTS
	    "vpc Twin { cidr 10.2.0.0/16 }\n"
	    "subnet TwinA { vpc Twin; cidr 10.2.1.0/24; az us-east-1a }\n"
	    "transit-gateway-attachment TwinAtt { transit-gateway T; vpc Twin; "
	    "subnets TwinA }\n"
	    "vpc Wide { cidr 10.3.0.0/24 }\n"
	    "subnet WideA { vpc Wide; cidr 10.3.0.0/24; az us-east-1a }\n"
	    "transit-gateway-attachment WideAtt { transit-gateway T; vpc Wide; "
	    "subnets WideA }\n"
	    "transit-gateway-route-table R { transit-gateway T; associate DevAtt\n"
	    "  propagate ProdAtt SharedAtt TwinAtt WideAtt\n"
	    "  route 10.3.0.0/16 via DevAtt; route 10.9.0.0/16 via blackhole }\n");
	expect_clean();
	p = plan_build(tl.lab);
	cr_assert_not_null(p);
	/* Written tables come after the default one, PLAN_TABLE_BASE. */
	r = route_in(p, "tgw-T", PLAN_TABLE_BASE + 1, "10.3.0.0/16");
	cr_assert_not_null(r);
	cr_expect_str_eq(r->dev, att("DevAtt")->ifname);
	r = route_in(p, "tgw-T", PLAN_TABLE_BASE + 1, "10.9.0.0/16");
	cr_assert_not_null(r);
	cr_expect_eq(r->type, PLAN_ROUTE_BLACKHOLE);
	r = route_in(p, "tgw-T", PLAN_TABLE_BASE + 1, "10.2.0.0/16");
	cr_assert_not_null(r);
	cr_expect_str_eq(r->dev, att("ProdAtt")->ifname);
	r = route_in(p, "tgw-T", PLAN_TABLE_BASE + 1, "10.3.0.0/24");
	cr_assert_not_null(r);
	cr_expect_str_eq(r->dev, att("WideAtt")->ifname);
	/* Twin's block is Prod's: one route, Prod's. */
	for (i = n = 0; i < p->nroutes; i++)
		n += p->routes[i].table == PLAN_TABLE_BASE + 1 &&
		     p->routes[i].dst.addr == 0x0a020000;
	cr_expect_eq(n, 1);
	/* Dev, which no table propagates, goes to the default table. */
	cr_expect_not_null(route_in(p, "tgw-T", PLAN_TABLE_BASE, "10.1.0.0/16"));
	plan_free(p);
}

/* Each attachment's link, the rule of its table, and a final drop; a VPC
 * route leaves by its own VPC's link. */
Test(transit_gateway, links_rules_and_vpc_routes)
{
	bool rule = false, last = false, veth = false;
	const struct plan_route *r;
	struct plan *p;
	size_t i;

	run(HUB ATTS "route-table R { vpc Dev; associate DevA; "
		     "route 10.0.0.0/8 via T }\n");
	expect_clean();
	p = plan_build(tl.lab);
	cr_assert_not_null(p);
	for (i = 0; i < p->nveths; i++)
		veth |= !strcmp(p->ns[p->veths[i].ns_a].name, "tgw-Dev") &&
			!strcmp(p->ns[p->veths[i].ns_b].name, "tgw-T") &&
			!strcmp(p->veths[i].name_a, att("DevAtt")->ifname);
	for (i = 0; i < p->nrules; i++) {
		if (strcmp(p->ns[p->rules[i].ns].name, "tgw-T"))
			continue;
		rule |= !strcmp(p->rules[i].iif, att("DevAtt")->ifname) &&
			p->rules[i].table == PLAN_TABLE_BASE;
		last |= p->rules[i].action == PLAN_RULE_BLACKHOLE;
	}
	cr_expect(veth && rule && last);
	r = route_in(p, "tgw-Dev", PLAN_TABLE_BASE, "10.0.0.0/8");
	cr_assert_not_null(r);
	cr_expect_str_eq(r->dev, att("DevAtt")->ifname);
	plan_free(p);
}

/* An attachment associated with no table gets no rule: the final drop
 * takes what it sends (R-11.3). */
Test(transit_gateway, unassociated_attachment_has_no_rule)
{
	struct plan *p;
	size_t i;

	run(HUB "transit-gateway U { default-association no }\n"
		"transit-gateway-attachment A { transit-gateway U; vpc Dev; "
		"subnets DevA }\n");
	expect_clean();
	p = plan_build(tl.lab);
	cr_assert_not_null(p);
	for (i = 0; i < p->nrules; i++)
		cr_expect(strcmp(p->rules[i].iif, att("A")->ifname), "rule %zu",
			  i);
	plan_free(p);
}

/* R-11.2: only the subnets of an attachment's AZs reach the gateway. */
Test(transit_gateway, router_lets_only_attached_azs_out)
{
	char *rs, want[128];

	run(HUB ATTS);
	expect_clean();
	rs = nftgen_router(tl.lab, (const struct vpc *)find("Dev"));
	cr_assert_not_null(rs);
	snprintf(want, sizeof(want), "\toifname \"%s\" ip saddr != @tgwsrc_%s drop\n",
		 att("DevAtt")->ifname, att("DevAtt")->ifname + 5);
	cr_expect_not_null(strstr(rs, want), "%s", rs);
	cr_expect_not_null(strstr(rs, "\t\t\t10.1.1.0/24,\n"), "%s", rs);
	/* DevB is in AZ b, which the attachment lacks. */
	cr_expect_null(strstr(rs, "\t\t\t10.1.2.0/24,\n"), "%s", rs);
	free(rs);
}
