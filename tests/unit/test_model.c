/* test_model.c - model_build: IDs, defaults, implicit resources, automatic
 * addresses and every diagnostic model.c queues, built from inline labs
 * and the hands-on lab file. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/diag.h"
#include "vpcemu/model.h"
#include "vpcemu/util.h"

#include "helpers.h"

static struct test_lab ml;	/* the lab of the test, freed by model_fini */
static struct lab *mlab;	/* ml.lab */
static char *peering_text;

static void model_fini(void)
{
	test_lab_free(&ml);
	mlab = NULL;
	free(peering_text);
	peering_text = NULL;
}

TestSuite(model, .fini = model_fini);

static void dump_diags(void)
{
	char *s = test_diags_text(&ml.d);

	cr_log_info("%s", s);
	free(s);
}

static bool syntax_errors_ok;

/* Builds text's model: the parser must accept it (unless syntax_errors_ok),
 * the model's diagnostics are the test's to judge (or, with
 * TEST_LAB_CLEAN, must hold no error). */
static struct lab *load(const char *path, const char *text, const char *name,
			unsigned flags)
{
	test_lab_free(&ml);
	mlab = test_lab_text(&ml, path, text, name,
			     flags | (syntax_errors_ok ? TEST_LAB_ANY : 0));
	return mlab;
}

static struct lab *build_as(const char *path, const char *text,
			    const char *name)
{
	return load(path, text, name, 0);
}

static struct lab *build(const char *text)
{
	return load("lab.conf", text, NULL, 0);
}

static struct lab *build_ok(const char *text)
{
	return load("lab.conf", text, NULL, TEST_LAB_CLEAN);
}

/* The diagnostic with this code at LINE:COL, or a failed assertion. */
static const struct diag *diag_at(const char *code, unsigned line,
				  unsigned col)
{
	size_t i;

	for (i = 0; i < ml.d.n; i++)
		if (!strcmp(ml.d.v[i].code, code) && ml.d.v[i].at.line == line &&
		    ml.d.v[i].at.first_col == col)
			return &ml.d.v[i];
	dump_diags();
	cr_assert_fail("no %s at %u:%u", code, line, col);
	return NULL;
}

static void assert_msg_has(const struct diag *g, const char *text)
{
	cr_assert(strstr(g->message, text), "message '%s' lacks '%s'",
		  g->message, text);
}

/* One diagnostic the lab must yield: code at LINE:COL and, unless has is
 * NULL, a message that contains has. */
struct want {
	const char *code;
	unsigned line, col;
	const char *has;
};

static void expect_diags(const struct want *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct diag *g = diag_at(w[i].code, w[i].line, w[i].col);

		if (w[i].has)
			assert_msg_has(g, w[i].has);
	}
}

/* EXPECT_DIAGS({ code, line, col, has }, ...) */
#define EXPECT_DIAGS(...)                                                     \
	expect_diags((const struct want[]){ __VA_ARGS__ },                    \
		     sizeof((const struct want[]){ __VA_ARGS__ }) /            \
			     sizeof(struct want))

static bool id_ok(const char *id, const char *prefix)
{
	size_t pl = strlen(prefix), i;

	if (strncmp(id, prefix, pl) || strlen(id) != pl + 17)
		return false;
	for (i = pl; id[i]; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

#define FIND(kind, name) model_find(mlab, kind, name)

static uint32_t ipv4(const char *s)
{
	uint32_t ip = 0;

	cr_assert_eq(ip_parse(s, &ip), 0, "bad test address %s", s);
	return ip;
}

/* The hands-on lab of docs/lab-conf.md (33 lines), then two expect lines. */
static const char *peering_lab(void)
{
	char *lab;

	if (!peering_text) {
		lab = test_slurp(TEST_HANDS_ON);
		cr_assert_not_null(lab, "cannot read " TEST_HANDS_ON);
		peering_text = str_printf(
			"%s"
			"expect EC2-A -> EC2-B icmp reachable\n"
			"expect EC2-B -> 10.1.1.10 tcp 22 blocked SUBNET_ACL_RESTRICTION\n",
			lab);
		cr_assert_not_null(peering_text);
		free(lab);
	}
	return peering_text;
}

/* ------------------------------------------------------------------ */
/* IDs */

Test(model, peering_lab_builds)
{
	struct vpc *a, *b;
	struct route_table *rt;
	struct peering *p;
	struct instance *ea;

	build_ok(peering_lab());
	cr_assert_str_eq(mlab->name, "lab");
	cr_assert_str_eq(mlab->region, "ap-northeast-1");
	cr_assert_str_eq(mlab->account, "111111111111");
	cr_assert_eq(mlab->nvpcs, 2);
	cr_assert_eq(mlab->nsubnets, 2);
	cr_assert_eq(mlab->nroute_tables, 4, "two written, two implicit mains");
	cr_assert_eq(mlab->nsgs, 4);
	cr_assert_eq(mlab->nnacls, 2);
	cr_assert_eq(mlab->ninstances, 2);
	cr_assert_eq(mlab->nenis, 2);

	a = (struct vpc *)FIND(RES_VPC, "VPC-A");
	b = (struct vpc *)FIND(RES_VPC, "VPC-B");
	cr_assert(a && b);
	cr_assert_str_eq(a->region, "ap-northeast-1");
	p = (struct peering *)FIND(RES_PEERING, "VPC-A-to-B-Peering");
	cr_assert_eq(p->requester, a);
	cr_assert_eq(p->accepter, b);
	cr_assert_eq(p->status, PEERING_ACTIVE);
	rt = (struct route_table *)FIND(RES_ROUTE_TABLE, "RT-A");
	cr_assert_eq(rt->nroutes, 1);
	cr_assert_eq(rt->routes[0].target, &p->r);
	cr_assert_eq(rt->routes[0].dst.addr, ipv4("10.2.0.0"));
	cr_assert_eq(rt->routes[0].dst_at.line, 15);
	cr_assert_eq(rt->routes[0].target_at.first_col, 27);
	/* Implicit main exists, subnet uses its explicit table. */
	cr_assert_str_eq(a->main_rt->r.name, "VPC-A.main");
	cr_assert_eq(mlab->subnets[0]->rt, rt);
	cr_assert_eq(mlab->subnets[0]->nacl, a->default_nacl);
	ea = (struct instance *)FIND(RES_INSTANCE, "EC2-A");
	cr_assert_eq(ea->private_ip, ipv4("10.1.1.10"));
	cr_assert_eq(ea->nsgs, 1);
	cr_assert_str_eq(ea->sgs[0]->r.name, "SG-EC2-A");
	cr_assert_eq(mlab->nexpects, 2);
}

Test(model, ids_stable_and_well_formed)
{
	char ids[32][MODEL_ID_MAX];
	size_t n = 0, i, j;
	struct res *r;

	build_ok(peering_lab());
	cr_assert(id_ok(mlab->vpcs[0]->r.id, "vpc-"));
	cr_assert(id_ok(mlab->subnets[0]->r.id, "subnet-"));
	cr_assert(id_ok(mlab->route_tables[0]->r.id, "rtb-"));
	cr_assert(id_ok(mlab->peerings[0]->r.id, "pcx-"));
	cr_assert(id_ok(mlab->sgs[0]->r.id, "sg-"));
	cr_assert(id_ok(mlab->nacls[0]->r.id, "acl-"));
	cr_assert(id_ok(mlab->instances[0]->r.id, "i-"));
	cr_assert(id_ok(mlab->enis[0]->r.id, "eni-"));

	for (i = 0; i < mlab->nvpcs; i++)
		strcpy(ids[n++], mlab->vpcs[i]->r.id);
	for (i = 0; i < mlab->nsgs; i++)
		strcpy(ids[n++], mlab->sgs[i]->r.id);
	for (i = 0; i < mlab->ninstances; i++)
		strcpy(ids[n++], mlab->instances[i]->r.id);
	for (i = 0; i < mlab->nenis; i++)
		strcpy(ids[n++], mlab->enis[i]->r.id);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			cr_assert_str_neq(ids[i], ids[j]);

	/* Same lab, same IDs. */
	build_ok(peering_lab());
	n = 0;
	for (i = 0; i < mlab->nvpcs; i++)
		cr_assert_str_eq(ids[n++], mlab->vpcs[i]->r.id);
	for (i = 0; i < mlab->nsgs; i++)
		cr_assert_str_eq(ids[n++], mlab->sgs[i]->r.id);

	/* Another lab name, other IDs. */
	build_as("lab.conf", peering_lab(), "other");
	cr_assert_eq(ml.d.nerrors, 0);
	cr_assert_str_eq(mlab->name, "other");
	cr_assert_str_neq(ids[0], mlab->vpcs[0]->r.id);

	/* model_find by ID. */
	r = model_find(mlab, RES_VPC, mlab->vpcs[1]->r.id);
	cr_assert_eq(r, &mlab->vpcs[1]->r);
	cr_assert_null(model_find(mlab, RES_SUBNET, "VPC-A"));
	cr_assert_eq(model_find(mlab, RES__COUNT, "VPC-A"), &mlab->vpcs[0]->r);
}

Test(model, make_id)
{
	char a[MODEL_ID_MAX], b[MODEL_ID_MAX], c[MODEL_ID_MAX];

	model_make_id(a, "vpc-", "lab", "vpc", "A");
	model_make_id(b, "vpc-", "lab", "vpc", "A");
	model_make_id(c, "vpc-", "lab", "vpc", "B");
	cr_assert(id_ok(a, "vpc-"));
	cr_assert_str_eq(a, b);
	cr_assert_str_neq(a, c);
	/* The separators keep ("ab","c") apart from ("a","bc"). */
	model_make_id(a, "x-", "ab", "c", "d");
	model_make_id(b, "x-", "a", "bc", "d");
	cr_assert_str_neq(a, b);
	model_make_id(a, "tgw-attach-", "l", "k", "n");
	cr_assert(id_ok(a, "tgw-attach-"));
}

Test(model, role_id_and_ifnames)
{
	struct iam_role *r;
	struct eni *e;
	struct peering *p;
	size_t i;

	build_ok("vpc V { cidr 10.0.0.0/16 }\n"
		 "vpc W { cidr 10.9.0.0/16 }\n"
		 "peering P { requester V; accepter W }\n"
		 "subnet S { vpc V; cidr 10.0.1.0/24 }\n"
		 "iam-role R { policies AmazonSSMManagedInstanceCore Other }\n"
		 "instance I { subnet S; iam-instance-profile R }\n");
	r = (struct iam_role *)FIND(RES_IAM_ROLE, "R");
	cr_assert_eq(strlen(r->r.id), 21);
	cr_assert_eq(strncmp(r->r.id, "AROA", 4), 0);
	for (i = 4; i < 21; i++)
		cr_assert((r->r.id[i] >= 'A' && r->r.id[i] <= 'Z') ||
			  (r->r.id[i] >= '0' && r->r.id[i] <= '9'));
	cr_assert_eq(r->npolicies, 2);
	cr_assert_str_eq(r->policies[1], "Other");
	cr_assert_eq(((struct instance *)FIND(RES_INSTANCE, "I"))->role, r);

	e = mlab->enis[0];
	cr_assert_eq(strlen(e->ifname), 12);
	cr_assert_eq(strncmp(e->ifname, e->r.id, 12), 0);
	cr_assert_str_eq(e->netns, "lab-I");
	cr_assert_str_eq(e->r.name, "I");
	cr_assert_eq(e->instance, mlab->instances[0]);
	cr_assert_eq(mlab->instances[0]->eni, e);
	cr_assert(e->r.implicit);
	cr_assert_str_neq(e->r.id + 4, mlab->instances[0]->r.id + 2);
	p = mlab->peerings[0];
	cr_assert_eq(strlen(p->ifname), 12);
	cr_assert_eq(strncmp(p->ifname, p->r.id, 12), 0);
}

/* ------------------------------------------------------------------ */
/* Implicit resources and defaults */

Test(model, implicit_resources)
{
	struct vpc *v;
	struct route_table *rt;
	struct nacl *n;
	struct sg *g;
	size_t i;

	build_ok("vpc V { cidr 10.0.0.0/16 }\n"
		 "subnet S { vpc V; cidr 10.0.1.0/24 }\n");
	v = mlab->vpcs[0];
	cr_assert(v->dns_support);
	cr_assert_not(v->dns_hostnames);
	cr_assert_str_eq(v->region, "us-east-1");
	cr_assert_str_eq(v->account, "111111111111");

	rt = (struct route_table *)FIND(RES_ROUTE_TABLE, "V.main");
	cr_assert_not_null(rt);
	cr_assert(rt->r.implicit && rt->main);
	cr_assert_eq(rt->vpc, v);
	cr_assert_eq(rt->nroutes, 0);
	cr_assert_eq(rt->nassoc, 0);
	cr_assert_eq(v->main_rt, rt);
	cr_assert_eq(rt->r.at.line, 1);
	cr_assert_eq(rt->r.at.first_col, 5);
	cr_assert(id_ok(rt->r.id, "rtb-"));

	n = (struct nacl *)FIND(RES_NACL, "V.default-acl");
	cr_assert_not_null(n);
	cr_assert(n->r.implicit && n->is_default);
	cr_assert_eq(v->default_nacl, n);
	cr_assert_eq(n->nentries, 2);
	for (i = 0; i < 2; i++) {
		cr_assert_eq(n->entries[i].dir, i ? DIR_EGRESS : DIR_INGRESS);
		cr_assert_eq(n->entries[i].number, 100);
		cr_assert_eq(n->entries[i].action, NACL_ALLOW);
		cr_assert_eq(n->entries[i].proto.kind, PROTO_ALL);
		cr_assert_eq(n->entries[i].cidr.addr, 0);
		cr_assert_eq(n->entries[i].cidr.len, 0);
	}

	g = (struct sg *)FIND(RES_SG, "V.default");
	cr_assert_not_null(g);
	cr_assert(g->r.implicit && g->is_default);
	cr_assert_eq(v->default_sg, g);
	cr_assert_str_eq(g->description, "default VPC security group");
	cr_assert_eq(g->nrules, 2);
	cr_assert_eq(g->rules[0].dir, DIR_INGRESS);
	cr_assert_eq(g->rules[0].proto.kind, PROTO_ALL);
	cr_assert_eq(g->rules[0].peer_kind, SG_PEER_SG);
	cr_assert_eq(g->rules[0].peer_sg, g);
	cr_assert_eq(g->rules[1].dir, DIR_EGRESS);
	cr_assert_eq(g->rules[1].proto.kind, PROTO_ALL);
	cr_assert_eq(g->rules[1].proto.port_lo, 0);
	cr_assert_eq(g->rules[1].proto.port_hi, 65535);
	cr_assert_eq(g->rules[1].proto.icmp_type, -1);
	cr_assert_eq(g->rules[1].peer_kind, SG_PEER_CIDR);
	cr_assert_eq(g->rules[1].cidr.len, 0);

	/* Effective associations default to main table and default ACL. */
	cr_assert_eq(mlab->subnets[0]->rt, rt);
	cr_assert_eq(mlab->subnets[0]->nacl, n);
	cr_assert_str_eq(mlab->subnets[0]->az, "us-east-1a");
	cr_assert_not(mlab->subnets[0]->public_ip_on_launch);
}

Test(model, written_main_replaces_implicit)
{
	struct vpc *v;
	struct route_table *m;

	build_ok("vpc V { cidr 10.0.0.0/16 }\n"
		 "route-table M { vpc V; main yes }\n"
		 "route-table M2 { vpc V; main yes }\n"
		 "route-table X { vpc V; associate S }\n"
		 "subnet S { vpc V; cidr 10.0.1.0/24 }\n"
		 "subnet T { vpc V; cidr 10.0.2.0/24 }\n");
	v = mlab->vpcs[0];
	m = (struct route_table *)FIND(RES_ROUTE_TABLE, "M");
	cr_assert_null(FIND(RES__COUNT, "V.main"));
	cr_assert_eq(mlab->nroute_tables, 3);
	cr_assert_eq(v->main_rt, m, "two 'main yes': the first wins");
	cr_assert(m->main);
	cr_assert_eq(((struct subnet *)FIND(RES_SUBNET, "S"))->rt,
		     FIND(RES_ROUTE_TABLE, "X"));
	cr_assert_eq(((struct subnet *)FIND(RES_SUBNET, "T"))->rt, m);
}

Test(model, array_order_implicit_after_vpc)
{
	build_ok("vpc A { cidr 10.0.0.0/16 }\n"
		 "vpc B { cidr 10.1.0.0/16 }\n"
		 "security-group GA1 { vpc A }\n"
		 "security-group GB { vpc B }\n"
		 "security-group GA2 { vpc A }\n");
	cr_assert_eq(mlab->nsgs, 5);
	cr_assert_str_eq(mlab->sgs[0]->r.name, "GA1");
	cr_assert_str_eq(mlab->sgs[1]->r.name, "GB");
	cr_assert_str_eq(mlab->sgs[2]->r.name, "B.default");
	cr_assert_str_eq(mlab->sgs[3]->r.name, "GA2");
	cr_assert_str_eq(mlab->sgs[4]->r.name, "A.default");
	/* No written table: the implicit ones keep VPC order. */
	cr_assert_str_eq(mlab->route_tables[0]->r.name, "A.main");
	cr_assert_str_eq(mlab->route_tables[1]->r.name, "B.main");
}

Test(model, defaults_and_overrides)
{
	struct vpc *v, *w;
	struct subnet *s;
	struct instance *i1, *i2;

	build_ok("region eu-west-1\naccount 123456789012\n"
		 "vpc V { cidr 10.0.0.0/16; cidr 10.5.0.0/16; dns-hostnames yes; dns-support no }\n"
		 "vpc W { cidr 10.1.0.0/16; region ap-northeast-1; account 210987654321 }\n"
		 "subnet S { vpc V; cidr 10.0.1.0/24; public-ip-on-launch yes }\n"
		 "subnet T { vpc W; cidr 10.1.1.0/24; az ap-northeast-1c }\n"
		 "instance I1 { subnet S }\n"
		 "instance I2 { subnet S; public-ip no; ami ami-123; instance-type m5.large; user-data \"echo hi\\n\" }\n"
		 "instance I3 { subnet T; user-data-file /tmp/x.sh }\n");
	v = mlab->vpcs[0];
	w = mlab->vpcs[1];
	cr_assert_eq(v->ncidrs, 2);
	cr_assert_eq(v->cidrs[1].addr, ipv4("10.5.0.0"));
	cr_assert_eq(v->cidrs_at[1].first_col, 32);
	cr_assert_not(v->dns_support);
	cr_assert(v->dns_hostnames);
	cr_assert_str_eq(v->region, "eu-west-1");
	cr_assert_str_eq(v->account, "123456789012");
	cr_assert_str_eq(w->region, "ap-northeast-1");
	cr_assert_str_eq(w->account, "210987654321");
	s = mlab->subnets[0];
	cr_assert_str_eq(s->az, "eu-west-1a");
	cr_assert_str_eq(mlab->subnets[1]->az, "ap-northeast-1c");
	i1 = mlab->instances[0];
	i2 = mlab->instances[1];
	cr_assert(i1->public_ip, "subnet's public-ip-on-launch");
	cr_assert_not(i2->public_ip);
	cr_assert_str_eq(i1->ami, "al2023");
	cr_assert_str_eq(i1->instance_type, "t2.micro");
	cr_assert_str_eq(i2->ami, "ami-123");
	cr_assert_str_eq(i2->instance_type, "m5.large");
	cr_assert_str_eq(i2->ud.script, "echo hi\n");
	cr_assert_null(i1->ud.script);
	cr_assert_str_eq(mlab->instances[2]->ud.file, "/tmp/x.sh");
	cr_assert_eq(i1->nsgs, 1);
	cr_assert_eq(i1->sgs[0], v->default_sg);
	cr_assert_eq(i1->eni->nsgs, 1);
	cr_assert_eq(i1->eni->sgs[0], v->default_sg);
	cr_assert_null(i1->role);
}

Test(model, lab_name_sources)
{
	build_as("dir/sub/peering.conf", "vpc V { cidr 10.0.0.0/16 }\n", NULL);
	cr_assert_str_eq(mlab->name, "peering");
	build_as("x.y.conf", "lab mylab\nvpc V { cidr 10.0.0.0/16 }\n", NULL);
	cr_assert_str_eq(mlab->name, "mylab");
	cr_assert_str_eq(mlab->name_at.file, "x.y.conf");
	cr_assert_eq(mlab->name_at.line, 1);
	cr_assert_eq(mlab->name_at.first_col, 5);
	build_as("x.conf", "lab mylab\n", "cli");
	cr_assert_str_eq(mlab->name, "cli");
	cr_assert_eq(ml.d.nerrors, 0);
	build_as("noext", "", NULL);
	cr_assert_str_eq(mlab->name, "noext");
	cr_assert_eq(ml.d.nerrors, 0);
}

Test(model, cidr_host_bits_normalised)
{
	build_ok("vpc V { cidr 100.68.0.18/18 }\n"
		 "subnet S { vpc V; cidr 100.68.1.77/24 }\n");
	cr_assert_eq(mlab->vpcs[0]->cidrs[0].addr, ipv4("100.68.0.0"));
	cr_assert_eq(mlab->vpcs[0]->cidrs[0].len, 18);
	cr_assert_eq(mlab->subnets[0]->cidr.addr, ipv4("100.68.1.0"));
	cr_assert_eq(mlab->subnets[0]->cidr_at.line, 2);
	cr_assert_eq(mlab->subnets[0]->cidr_at.first_col, 24);
}

/* ------------------------------------------------------------------ */
/* Addresses */

Test(model, automatic_addresses)
{
	struct endpoint *e;

	build_ok("vpc V { cidr 10.0.0.0/16; dns-hostnames yes }\n"
		 "subnet S { vpc V; cidr 10.0.1.0/24 }\n"
		 "subnet T { vpc V; cidr 10.0.2.0/24 }\n"
		 "endpoint ssm { vpc V; service ssm; subnets S T }\n"
		 "instance A { subnet S }\n"
		 "instance B { subnet S; private-ip 10.0.1.5 }\n"
		 "instance C { subnet S }\n"
		 "instance D { subnet S; private-ip 10.0.1.4 }\n"
		 "instance E { subnet T }\n");
	/* Given .5 and .4 first; then A, C in file order; then ENIs. */
	cr_assert_eq(mlab->instances[0]->private_ip, ipv4("10.0.1.6"));
	cr_assert_not(mlab->instances[0]->private_ip_given);
	cr_assert_eq(mlab->instances[1]->private_ip, ipv4("10.0.1.5"));
	cr_assert(mlab->instances[1]->private_ip_given);
	cr_assert_eq(mlab->instances[2]->private_ip, ipv4("10.0.1.7"));
	cr_assert_eq(mlab->instances[3]->private_ip, ipv4("10.0.1.4"));
	cr_assert_eq(mlab->instances[4]->private_ip, ipv4("10.0.2.4"));
	cr_assert_eq(mlab->instances[0]->eni->ip, ipv4("10.0.1.6"));
	cr_assert_eq(mlab->instances[3]->eni->ip, ipv4("10.0.1.4"));

	e = mlab->endpoints[0];
	cr_assert_eq(e->nenis, 2);
	cr_assert_eq(e->enis[0]->ip, ipv4("10.0.1.8"));
	cr_assert_eq(e->enis[1]->ip, ipv4("10.0.2.5"));
	/* instances' ENIs, then endpoints'. */
	cr_assert_eq(mlab->nenis, 7);
	cr_assert_eq(mlab->enis[5], e->enis[0]);
	cr_assert_eq(mlab->enis[6], e->enis[1]);
}

Test(model, no_free_address)
{
	char text[2048];
	size_t len, i;

	/* A /28 has 11 usable addresses (R-2.4): .4 to .14. */
	len = (size_t)snprintf(text, sizeof(text),
			       "vpc V { cidr 10.0.0.0/16 }\n"
			       "subnet S { vpc V; cidr 10.0.1.0/28 }\n");
	for (i = 0; i < 12; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"instance I%zu { subnet S }\n", i);
	build(text);
	cr_assert_eq(ml.d.nerrors, 1);
	diag_at("InsufficientFreeAddressesInSubnet", 14, 10);
	cr_assert_eq(mlab->instances[10]->private_ip, ipv4("10.0.1.14"));
}

/* ------------------------------------------------------------------ */
/* Security groups and network ACLs */

Test(model, sg_rules)
{
	struct sg *g, *o;
	struct sg_rule *r;

	build("vpc V { cidr 10.0.0.0/16 }\n"
	      "security-group O { vpc V; egress none }\n"
	      "security-group G {\n"
	      "  vpc V; description \"web servers\"\n"
	      "  ingress tcp 22 from 10.0.0.0/8 O \"ssh\"\n"
	      "  ingress udp 1000-2000 from self\n"
	      "  ingress icmp echo-request/0 from 0.0.0.0/0\n"
	      "  ingress proto 50 from 192.168.1.7/24\n"
	      "  ingress proto 6 from 1.2.3.4/32\n"
	      "  ingress all from sg-0123456789abcdef0x\n"
	      "  egress tcp to 0.0.0.0/0\n"
	      "}\n");
	cr_assert_eq(ml.d.nerrors, 1, "the sg- word is not a group");
	g = (struct sg *)FIND(RES_SG, "G");
	o = (struct sg *)FIND(RES_SG, "O");
	cr_assert_str_eq(g->description, "web servers");
	cr_assert(o->egress_none);
	cr_assert_eq(o->nrules, 0, "egress none: no rule at all");
	cr_assert_eq(g->nrules, 7);

	r = &g->rules[0];
	cr_assert_eq(r->dir, DIR_INGRESS);
	cr_assert_eq(r->proto.kind, PROTO_TCP);
	cr_assert_eq(r->proto.number, 6);
	cr_assert_eq(r->proto.port_lo, 22);
	cr_assert_eq(r->proto.port_hi, 22);
	cr_assert_eq(r->peer_kind, SG_PEER_CIDR);
	cr_assert_eq(r->cidr.addr, ipv4("10.0.0.0"));
	cr_assert_str_eq(r->description, "ssh");
	cr_assert_eq(r->at.line, 5);
	cr_assert_eq(r->peer_at.first_col, 23);
	r = &g->rules[1];
	cr_assert_eq(r->peer_kind, SG_PEER_SG);
	cr_assert_eq(r->peer_sg, o);
	cr_assert_str_eq(r->description, "ssh");
	r = &g->rules[2];
	cr_assert_eq(r->proto.kind, PROTO_UDP);
	cr_assert_eq(r->proto.port_lo, 1000);
	cr_assert_eq(r->proto.port_hi, 2000);
	cr_assert_eq(r->peer_sg, g);
	cr_assert_null(r->description);
	r = &g->rules[3];
	cr_assert_eq(r->proto.kind, PROTO_ICMP);
	cr_assert_eq(r->proto.number, 1);
	cr_assert_eq(r->proto.icmp_type, 8);
	cr_assert_eq(r->proto.icmp_code, 0);
	r = &g->rules[4];
	cr_assert_eq(r->proto.kind, PROTO_NUMBER);
	cr_assert_eq(r->proto.number, 50);
	cr_assert_eq(r->cidr.addr, ipv4("192.168.1.0"));
	r = &g->rules[5];
	cr_assert_eq(r->proto.kind, PROTO_TCP);
	cr_assert_eq(r->proto.port_lo, 0);
	cr_assert_eq(r->proto.port_hi, 65535);
	r = &g->rules[6];
	cr_assert_eq(r->dir, DIR_EGRESS);
	cr_assert_eq(r->proto.kind, PROTO_TCP);
	cr_assert_eq(r->proto.port_hi, 65535);
	diag_at("InvalidGroup.NotFound", 10, 20);
}

Test(model, sg_default_egress_and_icmp_forms)
{
	struct sg *g;

	build_ok("vpc V { cidr 10.0.0.0/16 }\n"
		 "security-group G { vpc V; ingress icmp 3 from 10.0.0.0/16; ingress icmp from 10.0.0.0/16 }\n");
	g = (struct sg *)FIND(RES_SG, "G");
	cr_assert_eq(g->nrules, 3);
	cr_assert_eq(g->rules[0].proto.icmp_type, 3);
	cr_assert_eq(g->rules[0].proto.icmp_code, -1);
	cr_assert_eq(g->rules[1].proto.icmp_type, -1);
	cr_assert_eq(g->rules[2].dir, DIR_EGRESS);
	cr_assert_eq(g->rules[2].proto.kind, PROTO_ALL);
	cr_assert_eq(g->rules[2].peer_kind, SG_PEER_CIDR);
	cr_assert_eq(g->rules[2].cidr.len, 0);
	cr_assert_not(g->egress_none);
	cr_assert_str_eq(g->description, "");
}

Test(model, nacl_entries_sorted)
{
	struct nacl *n;
	struct subnet *s;

	build_ok("vpc V { cidr 10.0.0.0/16 }\n"
		 "subnet S { vpc V; cidr 10.0.1.0/24 }\n"
		 "network-acl N {\n"
		 "  vpc V; associate S\n"
		 "  egress 200 deny all to 0.0.0.0/0\n"
		 "  ingress 300 allow tcp 1024-65535 from 0.0.0.0/0\n"
		 "  ingress 100 allow icmp from 10.0.0.0/8\n"
		 "  egress 100 allow udp 53 to 10.0.0.2/32\n"
		 "  ingress 100 deny tcp 22 from 10.0.0.0/8\n"
		 "}\n"
		 "network-acl Empty { vpc V }\n");
	n = (struct nacl *)FIND(RES_NACL, "N");
	s = mlab->subnets[0];
	cr_assert_eq(s->nacl, n);
	cr_assert_eq(n->nassoc, 1);
	cr_assert_eq(n->assoc_at[0].first_col, 20);
	cr_assert_not(n->is_default);
	cr_assert_eq(n->nentries, 5);
	cr_assert_eq(n->entries[0].dir, DIR_INGRESS);
	cr_assert_eq(n->entries[0].number, 100);
	cr_assert_eq(n->entries[0].proto.kind, PROTO_ICMP);
	cr_assert_eq(n->entries[1].number, 100, "duplicates kept, file order");
	cr_assert_eq(n->entries[1].action, NACL_DENY);
	cr_assert_eq(n->entries[1].number_at.line, 9);
	cr_assert_eq(n->entries[2].number, 300);
	cr_assert_eq(n->entries[2].proto.port_lo, 1024);
	cr_assert_eq(n->entries[3].dir, DIR_EGRESS);
	cr_assert_eq(n->entries[3].number, 100);
	cr_assert_eq(n->entries[3].proto.kind, PROTO_UDP);
	cr_assert_eq(n->entries[4].number, 200);
	cr_assert_eq(n->entries[4].action, NACL_DENY);
	/* R-5.6: a new custom ACL has no entry, only the implicit deny. */
	cr_assert_eq(((struct nacl *)FIND(RES_NACL, "Empty"))->nentries, 0);
}

/* ------------------------------------------------------------------ */
/* Endpoints, peerings, routes, expect */

Test(model, endpoints)
{
	struct endpoint *ssm, *s3, *full;

	build_ok("region ap-northeast-1\n"
		 "vpc V { cidr 10.0.0.0/16 }\n"
		 "subnet S { vpc V; cidr 10.0.1.0/24 }\n"
		 "route-table R { vpc V }\n"
		 "endpoint ssm { vpc V; service ssm; subnets S }\n"
		 "endpoint s3 { vpc V; service s3; route-tables R V.main }\n"
		 "endpoint full { service com.amazonaws.ap-northeast-1.ecr.dkr; vpc V; subnets S; private-dns no; security-groups V.default }\n"
		 "route-table R2 { vpc V; route 1.2.3.0/24 via s3; route 5.0.0.0/8 via blackhole }\n");
	ssm = (struct endpoint *)FIND(RES_ENDPOINT, "ssm");
	s3 = (struct endpoint *)FIND(RES_ENDPOINT, "s3");
	full = (struct endpoint *)FIND(RES_ENDPOINT, "full");
	cr_assert(id_ok(ssm->r.id, "vpce-"));
	cr_assert_str_eq(ssm->service, "com.amazonaws.ap-northeast-1.ssm");
	cr_assert_str_eq(ssm->service_short, "ssm");
	cr_assert_eq(ssm->type, ENDPOINT_INTERFACE);
	cr_assert(ssm->private_dns);
	cr_assert_eq(ssm->nsgs, 1);
	cr_assert_eq(ssm->sgs[0], mlab->vpcs[0]->default_sg);
	cr_assert_eq(ssm->nenis, 1);
	cr_assert_str_eq(ssm->enis[0]->r.name, "ssm-S");
	cr_assert_str_eq(ssm->enis[0]->netns, "lab-ssm-S");
	cr_assert_eq(ssm->enis[0]->endpoint, ssm);
	cr_assert_null(ssm->enis[0]->instance);
	cr_assert_eq(ssm->enis[0]->ip, ipv4("10.0.1.4"));
	cr_assert_eq(ssm->enis[0]->nsgs, 1);
	cr_assert_eq(FIND(RES_ENI, "ssm-S"), &ssm->enis[0]->r);

	cr_assert_eq(s3->type, ENDPOINT_GATEWAY);
	cr_assert_not(s3->private_dns);
	cr_assert_eq(s3->nsgs, 0);
	cr_assert_eq(s3->nenis, 0);
	cr_assert_eq(s3->nroute_tables, 2);
	cr_assert_eq(s3->route_tables[1], mlab->vpcs[0]->main_rt);

	cr_assert_str_eq(full->service_short, "ecr.dkr");
	cr_assert_eq(full->type, ENDPOINT_INTERFACE);
	cr_assert_not(full->private_dns);
	cr_assert_eq(full->enis[0]->ip, ipv4("10.0.1.5"));

	cr_assert_eq(((struct route_table *)FIND(RES_ROUTE_TABLE, "R2"))
			     ->routes[0].target,
		     &s3->r);
	cr_assert_eq(((struct route_table *)FIND(RES_ROUTE_TABLE, "R2"))
			     ->routes[1].target,
		     NULL);
}

Test(model, peering_status_and_names)
{
	struct peering *p;

	build_ok("vpc A { cidr 10.0.0.0/16 }\nvpc B { cidr 10.1.0.0/16 }\n"
		 "peering P { requester A; accepter B; status pending-acceptance; accepter-allows-remote-dns yes }\n");
	p = mlab->peerings[0];
	cr_assert_eq(p->status, PEERING_PENDING_ACCEPTANCE);
	cr_assert(p->accepter_allows_remote_dns);
	cr_assert_not(p->requester_allows_remote_dns);
	cr_assert_eq(p->status_at.first_col, 45);
	cr_assert_str_eq(peering_status_name(PEERING_ACTIVE), "active");
	cr_assert_str_eq(peering_status_name(PEERING_PENDING_ACCEPTANCE),
			 "pending-acceptance");
	cr_assert_str_eq(peering_status_name(PEERING_REJECTED), "rejected");
	cr_assert_str_eq(peering_status_name(PEERING_FAILED), "failed");
	cr_assert_str_eq(peering_status_name(PEERING_DELETED), "deleted");
	cr_assert_str_eq(peering_status_name(PEERING_EXPIRED), "expired");
	cr_assert_str_eq(res_kind_name(RES_VPC), "vpc");
	cr_assert_str_eq(res_kind_name(RES_ROUTE_TABLE), "route-table");
	cr_assert_str_eq(res_kind_name(RES_SG), "security-group");
	cr_assert_str_eq(res_kind_name(RES_ENI), "eni");
}

Test(model, references_by_id_and_forward)
{
	char text[512];
	char vid[MODEL_ID_MAX], pid[MODEL_ID_MAX];

	model_make_id(vid, "vpc-", "idlab", "vpc", "V");
	model_make_id(pid, "pcx-", "idlab", "peering", "P");
	snprintf(text, sizeof(text),
		 "lab idlab\n"
		 "subnet S { vpc %s; cidr 10.0.1.0/24 }\n"
		 "route-table R { vpc V; route 10.1.0.0/16 via %s; route 10.2.0.0/16 via I }\n"
		 "instance I { subnet S }\n"
		 "peering P { requester V; accepter W }\n"
		 "vpc V { cidr 10.0.0.0/16 }\nvpc W { cidr 10.1.0.0/16 }\n",
		 vid, pid);
	build_ok(text);
	cr_assert_eq(mlab->subnets[0]->vpc, mlab->vpcs[0]);
	cr_assert_eq(mlab->route_tables[0]->routes[0].target,
		     &mlab->peerings[0]->r);
	cr_assert_eq(mlab->route_tables[0]->routes[1].target,
		     &mlab->instances[0]->r);
}

Test(model, expect_lines)
{
	struct expect *x;

	build_ok(peering_lab());
	x = &mlab->expects[0];
	cr_assert_eq(x->src, &mlab->instances[0]->r);
	cr_assert_eq(x->dst, &mlab->instances[1]->r);
	cr_assert_eq(x->dst_ip, ipv4("10.2.1.10"));
	cr_assert_str_eq(x->src_netns, mlab->instances[0]->eni->netns);
	cr_assert_str_eq(x->dst_netns, mlab->instances[1]->eni->netns);
	cr_assert_eq(x->proto.kind, PROTO_ICMP);
	cr_assert(x->reachable);
	cr_assert_null(x->reason);
	cr_assert_str_eq(x->text, "expect EC2-A -> EC2-B icmp reachable");
	cr_assert_eq(x->at.line, 34);
	x = &mlab->expects[1];
	cr_assert_null(x->dst);
	cr_assert_null(x->dst_netns);
	cr_assert_eq(x->dst_ip, ipv4("10.1.1.10"));
	cr_assert_eq(x->proto.kind, PROTO_TCP);
	cr_assert_eq(x->proto.port_lo, 22);
	cr_assert_eq(x->proto.port_hi, 22);
	cr_assert_not(x->reachable);
	cr_assert_str_eq(x->reason, "SUBNET_ACL_RESTRICTION");
}

Test(model, expect_dst_gets_automatic_ip)
{
	build_ok("vpc V { cidr 10.0.0.0/16 }\nsubnet S { vpc V; cidr 10.0.1.0/24 }\n"
		 "expect A -> B udp 53 blocked\n"
		 "instance A { subnet S }\ninstance B { subnet S }\n");
	cr_assert_eq(mlab->expects[0].dst_ip, ipv4("10.0.1.5"));
	cr_assert_eq(mlab->expects[0].proto.kind, PROTO_UDP);
}

#define INTERNET_LAB                                                          \
	"lab net\n"                                                          \
	"vpc V { cidr 10.0.0.0/16 }\nsubnet S { vpc V; cidr 10.0.1.0/24 }\n" \
	"internet-gateway G { vpc V }\n"                                     \
	"instance A { subnet S; public-ip yes }\n"                           \
	"internet-host H { ip 192.0.2.10 }\n"

/* A host is an end by name: its address, its namespace. */
Test(model, expect_host_as_source_and_destination)
{
	struct expect *x;

	build_ok(INTERNET_LAB "expect H -> A icmp blocked\n"
			      "expect A -> H tcp 80 reachable\n"
			      "expect H -> 203.0.113.7 udp 53 blocked\n");
	cr_assert_eq(mlab->nexpects, 3);
	x = &mlab->expects[0];
	cr_assert_eq(x->src, FIND(RES_INTERNET_HOST, "H"));
	cr_assert_str_eq(x->src_netns, "net-H");
	cr_assert_eq(x->dst, FIND(RES_INSTANCE, "A"));
	cr_assert_eq(x->dst_ip, ipv4("10.0.1.4"),
		     "an instance is its private IP, even from a host");
	cr_assert_str_eq(x->dst_netns, "net-A");
	x = &mlab->expects[1];
	cr_assert_eq(x->src, FIND(RES_INSTANCE, "A"));
	cr_assert_str_eq(x->src_netns, "net-A");
	cr_assert_eq(x->dst, FIND(RES_INTERNET_HOST, "H"));
	cr_assert_eq(x->dst_ip, ipv4("192.0.2.10"));
	cr_assert_str_eq(x->dst_netns, "net-H");
	x = &mlab->expects[2];
	cr_assert_str_eq(x->src_netns, "net-H");
	cr_assert_null(x->dst);
	cr_assert_null(x->dst_netns);
	cr_assert_eq(x->dst_ip, ipv4("203.0.113.7"));
}

/* A name that is neither an instance nor a host, at either end, is an
 * instance that does not exist; a name of another kind says which it is. */
Test(model, expect_unknown_end)
{
	build(INTERNET_LAB "expect Hx -> A icmp reachable\n"
			   "expect H -> Z icmp reachable\n"
			   "expect G -> H icmp reachable\n"
			   "expect A -> S icmp reachable\n");
	EXPECT_DIAGS({ "InvalidInstanceID.NotFound", 7, 8,
		       "The instance 'Hx' does not exist" },
		     { "InvalidInstanceID.NotFound", 8, 13,
		       "The instance 'Z' does not exist" },
		     { "InvalidInstanceID.NotFound", 9, 8,
		       "'G' is an internet gateway, not an instance" },
		     { "InvalidInstanceID.NotFound", 10, 13,
		       "'S' is a subnet, not an instance" });
	cr_assert_eq(ml.d.nerrors, 4);
	cr_assert_eq(mlab->nexpects, 0);
}

/* ------------------------------------------------------------------ */
/* Diagnostics */

Test(model, unknown_setting_and_resource)
{
	build("regoin us-east-1\n"
	      "lab a\nlab b\n"
	      "vpx V { cidr 10.0.0.0/16 }\n"
	      "egress-only-internet-gateway NAT { vpc V }\n"
	      "vpc V2 { cidr 10.0.0.0/16 }\n"
	      "route-table R { vpc V2; route 0.0.0.0/0 via NAT }\n"
	      "subnet Q { vpc V2; cidr 10.0.0.0/24 }\n"
	      "foo Bar { }\n");
	EXPECT_DIAGS({ "Vpcemu.UnknownSetting", 1, 1, "did you mean 'region'?" },
		     { "Vpcemu.DuplicateAttribute", 3, 1, NULL },
		     { "Vpcemu.UnknownResource", 4, 1, "did you mean 'vpc'?" },
		     { "Vpcemu.NotSupported", 5, 1, NULL },
		     { "Vpcemu.UnknownResource", 9, 1, NULL });
	cr_assert_str_eq(diag_at("Vpcemu.NotSupported", 5, 1)->message,
			 "egress-only-internet-gateway is not supported yet");
	cr_assert_null(strstr(diag_at("Vpcemu.UnknownResource", 9, 1)->message,
			      "did you mean"));
	/* The route to NAT is not reported a second time. */
	cr_assert_eq(ml.d.nerrors, 5);
	cr_assert_str_eq(mlab->name, "a");
}

/* docs/lab-conf.md's kinds and settings that are not built yet: a clear
 * error each, never "unknown"; a built kind beside them is accepted. */
Test(model, contract_kinds_not_built_yet)
{
	static const char *const kinds[] = {
		"vpc-lattice-service", "egress-only-internet-gateway",
	};
	char text[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		snprintf(text, sizeof(text),
			 "vpc V { cidr 10.0.0.0/16 }\n%s X { }\n", kinds[i]);
		build(text);
		cr_expect_eq(ml.d.nerrors, 1, "%s", kinds[i]);
		cr_expect_not_null(diag_at("Vpcemu.NotSupported", 2, 1), "%s",
				   kinds[i]);
	}
	build_ok("vpc V { cidr 10.0.0.0/16 }\ninternet-gateway X { }\n");
}

Test(model, unknown_and_duplicate_attribute)
{
	build("vpc V {\n"
	      "  cidr 10.0.0.0/16\n"
	      "  dns-hostname yes\n"
	      "  dns-support yes\n"
	      "  dns-support no\n"
	      "  colour blue\n"
	      "}\n");
	EXPECT_DIAGS({ "Vpcemu.UnknownAttribute", 3, 3, "'dns-hostname'" },
		     { "Vpcemu.UnknownAttribute", 3, 3, "did you mean 'dns-hostnames'?" },
		     { "Vpcemu.DuplicateAttribute", 5, 3, "line 4" },
		     { "Vpcemu.UnknownAttribute", 6, 3, NULL });
	cr_assert_null(strstr(diag_at("Vpcemu.UnknownAttribute", 6, 3)->message,
			      "did you mean"));
	cr_assert_eq(ml.d.nerrors, 3);
	cr_assert(mlab->vpcs[0]->dns_support, "the first value stays");
}

Test(model, missing_parameter)
{
	build("vpc V { dns-support yes }\n"
	      "subnet S { cidr 10.0.1.0/24 }\n"
	      "instance I { }\n"
	      "peering P { requester V }\n"
	      "endpoint E { vpc V }\n");
	EXPECT_DIAGS(
		{ "MissingParameter", 1, 5, "The request must contain the parameter cidr" },
		{ "MissingParameter", 2, 8, "The request must contain the parameter vpc" },
		{ "MissingParameter", 3, 10, NULL },
		{ "MissingParameter", 4, 9, "parameter accepter" },
		{ "MissingParameter", 5, 10, "parameter service" });
	cr_assert_eq(ml.d.nerrors, 5);
}

Test(model, bad_values)
{
	build("vpc V { cidr 10.0.0.0/33; dns-support maybe; account 12345 }\n"
	      "vpc W { cidr 10.1.0.0/16 10.2.0.0/16; region Tokyo }\n"
	      "subnet S { vpc V; cidr 10.0.1.0 }\n"
	      "instance I { subnet S; private-ip 10.0.1.256 }\n"
	      "instance J { subnet S; user-data \"x\"; user-data-file /x }\n"
	      "peering P { requester V; accepter W; status deleted }\n"
	      "instance K { subnet S; private-ip }\n");
	EXPECT_DIAGS({ "InvalidParameterValue", 1, 14, NULL },
		     { "InvalidParameterValue", 1, 39, "yes or no" },
		     { "InvalidParameterValue", 1, 54, "12 digits" },
		     { "InvalidParameterValue", 2, 26, "Unexpected '10.2.0.0/16'" },
		     { "InvalidParameterValue", 2, 46, NULL },
		     { "InvalidParameterValue", 3, 24, "10.0.1.0/32" },
		     { "InvalidParameterValue", 4, 35, NULL },
		     { "InvalidParameterValue", 5, 39, NULL },
		     { "InvalidParameterValue", 6, 45, NULL },
		     { "InvalidParameterValue", 7, 24, "needs a value" });
	cr_assert_eq(ml.d.nerrors, 10);
}

Test(model, bad_rules)
{
	build("vpc V { cidr 10.0.0.0/16 }\n"
	      "security-group G {\n"
	      "  vpc V\n"
	      "  ingress tcp 70000 from 0.0.0.0/0\n"
	      "  ingress tcp 80-20 from 0.0.0.0/0\n"
	      "  ingress icmp ping from 0.0.0.0/0\n"
	      "  ingress tpc 22 from 0.0.0.0/0\n"
	      "  ingress tcp 22 to 0.0.0.0/0\n"
	      "  ingress proto 300 from 0.0.0.0/0\n"
	      "  ingress tcp 22 from\n"
	      "  egress none\n"
	      "  egress tcp 443 to 0.0.0.0/0\n"
	      "  ingress tcp 22 from 10.0.0.1\n"
	      "}\n"
	      "network-acl N {\n"
	      "  vpc V\n"
	      "  ingress 0 allow all from 0.0.0.0/0\n"
	      "  ingress 32767 allow all from 0.0.0.0/0\n"
	      "  egress 10 permit all to 0.0.0.0/0\n"
	      "  egress 20 allow all to 0.0.0.0/0 10.0.0.0/8\n"
	      "  egress 30 allow udp 53 from 0.0.0.0/0\n"
	      "}\n");
	EXPECT_DIAGS({ "InvalidParameterValue", 4, 15, NULL },
		     { "InvalidParameterValue", 5, 15, NULL },
		     { "InvalidParameterValue", 6, 16, NULL },
		     { "InvalidParameterValue", 7, 11, "did you mean 'tcp'?" },
		     { "InvalidParameterValue", 8, 18, "Expected 'from'" },
		     { "InvalidParameterValue", 9, 17, NULL },
		     { "InvalidParameterValue", 10, 18, NULL },
		     { "InvalidParameterValue", 11, 10, "line 12" },
		     { "InvalidParameterValue", 13, 23, "10.0.0.1/32" },
		     { "InvalidParameterValue", 17, 11, "1 to 32766" },
		     { "InvalidParameterValue", 18, 11, NULL },
		     { "InvalidParameterValue", 19, 13, "allow or deny" },
		     { "InvalidParameterValue", 20, 36, NULL },
		     { "InvalidParameterValue", 21, 26, NULL });
	cr_assert_eq(ml.d.nerrors, 14);
}

Test(model, unknown_references)
{
	build("vpc VPC-A { cidr 10.0.0.0/16 }\n"
	      "subnet S { vpc VPC-B; cidr 10.0.1.0/24 }\n"
	      "subnet T { vpc S; cidr 10.0.2.0/24 }\n"
	      "route-table R { vpc VPC-A; associate Z; route 10.9.0.0/16 via pcx-0123456789abcdef0 }\n"
	      "route-table R2 { vpc VPC-A; route 10.8.0.0/16 via peer-x; route 10.7.0.0/16 via S }\n"
	      "instance I { subnet T; security-groups G; iam-instance-profile role }\n"
	      "endpoint E { vpc VPC-A; service s4; route-tables RT2 }\n"
	      "expect I -> J icmp reachable\n"
	      "expect X -> 10.0.0.1 tcp 22 blocked\n"
	      "security-group G2 { vpc VPC-A; ingress all from G3 }\n"
	      "route-table R3 { vpc vpc-0123456789abcdef0 }\n");
	EXPECT_DIAGS(
		{ "InvalidVpcID.NotFound", 2, 16, NULL },
		{ "InvalidVpcID.NotFound", 3, 16, NULL },
		{ "InvalidSubnetID.NotFound", 4, 38, NULL },
		{ "InvalidVpcPeeringConnectionID.NotFound", 4, 63, "ID 'pcx-0123456789abcdef0'" },
		{ "Vpcemu.UnknownReference", 5, 51, "'peer-x'" },
		{ "Vpcemu.UnknownReference", 5, 81, "'S' is a subnet" },
		{ "InvalidGroup.NotFound", 6, 40, NULL },
		{ "NoSuchEntity", 6, 64, "IAM role 'role'" },
		{ "InvalidServiceName", 7, 33, "did you mean 's3'?" },
		{ "InvalidRouteTableID.NotFound", 7, 50, "did you mean 'R2'?" },
		{ "InvalidInstanceID.NotFound", 8, 13, "did you mean 'I'?" },
		{ "InvalidInstanceID.NotFound", 9, 8, NULL },
		{ "InvalidGroup.NotFound", 10, 49, "did you mean 'G2'?" },
		{ "InvalidVpcID.NotFound", 11, 22, "The vpc ID 'vpc-0123456789abcdef0' does not exist" });
	cr_assert_str_eq(diag_at("InvalidVpcID.NotFound", 2, 16)->message,
			 "The vpc 'VPC-B' does not exist; did you mean 'VPC-A'?");
	cr_assert_str_eq(diag_at("InvalidVpcID.NotFound", 3, 16)->message,
			 "'S' is a subnet, not a vpc");
	cr_assert_eq(ml.d.nerrors, 14);
}

/* R-4.9: a group's peer names a prefix list of a region of the lab, by
 * name or ID, which stands for its CIDR; other names do not exist. */
Test(model, sg_prefix_list_peer)
{
	struct sg *g;

	build("region us-east-1\n"
	      "vpc V { cidr 10.0.0.0/16 }\n"
	      "security-group G { vpc V; egress tcp 443 to com.amazonaws.us-east-1.s3 }\n"
	      "security-group H { vpc V; egress tcp 443 to com.amazonaws.us-east-1.sqs pl-63a5400a }\n");
	EXPECT_DIAGS({ "InvalidPrefixListID.NotFound", 4, 45, "'com.amazonaws.us-east-1.sqs'" },
		     { "InvalidPrefixListID.NotFound", 4, 73, "'pl-63a5400a'" });
	cr_assert_eq(ml.d.nerrors, 2);
	g = (struct sg *)model_find(mlab, RES_SG, "G");
	cr_assert_not_null(g);
	cr_assert_eq(g->rules[0].peer_kind, SG_PEER_CIDR);
	cr_assert_eq(g->rules[0].cidr.addr, 0x34d80000u);
	cr_assert_eq(g->rules[0].cidr.len, 15);
	cr_assert_str_eq(g->rules[0].prefix_list->name, "s3");
}

Test(model, names)
{
	build("vpc V { cidr 10.0.0.0/16 }\n"
	      "subnet V { vpc V; cidr 10.0.1.0/24 }\n"
	      "security-group default { vpc V }\n"
	      "vpc vpc-0123abcd { cidr 10.1.0.0/16 }\n"
	      "vpc -bad { cidr 10.2.0.0/16 }\n"
	      "instance V.default { subnet V }\n"
	      "vpc vpc-a { cidr 10.3.0.0/16 }\n");
	EXPECT_DIAGS(
		{ "Vpcemu.DuplicateName", 2, 8, "line 1" },
		{ "InvalidGroup.Reserved", 3, 16, NULL },
		{ "Vpcemu.InvalidName", 4, 5, "looks like a resource ID" },
		{ "Vpcemu.InvalidName", 5, 5, NULL },
		{ "Vpcemu.DuplicateName", 6, 10, "default security group of vpc 'V' (line 1)" });
	cr_assert_eq(ml.d.nerrors, 5, "vpc-a is a fine name");
}

Test(model, lab_name_invalid)
{
	build_as("my lab.conf", "vpc V { cidr 10.0.0.0/16 }\n", NULL);
	diag_at("Vpcemu.InvalidName", 0, 0);
	build_as("x.conf", "lab bad/name\n", NULL);
	diag_at("Vpcemu.InvalidName", 1, 5);
	/* LAB.ec2.json is lab LAB's AWS-side record: no lab is "LAB.ec2",
	 * however named; "LAB.ec2x" and "ec2" are fine. */
	build_as("x.conf", "lab hands-on.ec2\n", NULL);
	diag_at("Vpcemu.InvalidName", 1, 5);
	build_as("x.conf", "vpc V { cidr 10.0.0.0/16 }\n", "hands-on.ec2");
	diag_at("Vpcemu.InvalidName", 0, 0);
	build_as("lab.ec2.conf", "vpc V { cidr 10.0.0.0/16 }\n", NULL);
	diag_at("Vpcemu.InvalidName", 0, 0);
	build_as("x.conf", "lab hands-on.ec2x\n", NULL);
	cr_expect_eq(ml.d.nerrors, 0);
	build_as("x.conf", "lab ec2\n", NULL);
	cr_expect_eq(ml.d.nerrors, 0);
}

Test(model, bad_expect_lines)
{
	build("vpc V { cidr 10.0.0.0/16 }\nsubnet S { vpc V; cidr 10.0.1.0/24 }\n"
	      "instance A { subnet S }\n"
	      "expect A to A icmp reachable\n"
	      "expect A -> A tcp reachable\n"
	      "expect A -> A icmp reachble\n"
	      "expect A -> A icmp reachable WHY\n"
	      "expect A -> A all blocked\n"
	      "expect A -> A\n");
	EXPECT_DIAGS({ "InvalidParameterValue", 4, 10, "Expected '->'" },
		     { "InvalidParameterValue", 5, 15, NULL },
		     { "InvalidParameterValue", 6, 20, "did you mean 'reachable'?" },
		     { "InvalidParameterValue", 7, 30, NULL },
		     { "InvalidParameterValue", 8, 15, NULL },
		     { "InvalidParameterValue", 9, 13, NULL });
	cr_assert_eq(ml.d.nerrors, 6);
	cr_assert_eq(mlab->nexpects, 0);
}

Test(model, endpoint_eni_name_clash)
{
	build("vpc V { cidr 10.0.0.0/16 }\nsubnet S { vpc V; cidr 10.0.1.0/24 }\n"
	      "instance ssm-S { subnet S }\n"
	      "endpoint ssm { vpc V; service ssm; subnets S }\n");
	diag_at("Vpcemu.DuplicateName", 4, 44);
	cr_assert_eq(ml.d.nerrors, 1);
}

Test(model, errors_keep_model_safe)
{
	/* Everything wrong at once: the model is partial but lab_free (in
	 * fini, under ASan) must cope. */
	syntax_errors_ok = true;
	build("vpc { }\n"
	      "vpc V { cidr x; cidr 10.0.0.0/16; region }\n"
	      "subnet S { vpc Q; cidr 10.0.0.0/8 }\n"
	      "instance I { subnet S; security-groups }\n"
	      "instance J { }\n"
	      "endpoint E { vpc V; service ssm; subnets S Q; type tunnel }\n"
	      "route-table R { vpc V; route x via y; route 1.0.0.0/8; associate }\n"
	      "security-group G { vpc V; egress none; egress none x }\n"
	      "network-acl N { vpc V; ingress; egress 5 }\n"
	      "expect\n"
	      "expect I\n");
	cr_assert_gt(ml.d.nerrors, 10);
}

/* ------------------------------------------------------------------ */
/* Address helpers */

Test(model, cidr_helpers)
{
	struct cidr a, b, c;
	char buf[19];
	uint32_t ip;

	cr_assert_eq(cidr_parse("10.1.2.3/16", &a), 0);
	cr_assert_str_eq(cidr_fmt(a, buf), "10.1.0.0/16");
	cr_assert_eq(cidr_parse("10.1.128.0/17", &b), 0);
	cr_assert_eq(cidr_parse("10.2.0.0/16", &c), 0);
	cr_assert(cidr_overlap(a, b));
	cr_assert(cidr_overlap(b, a));
	cr_assert_not(cidr_overlap(a, c));
	cr_assert(cidr_contains(a, b));
	cr_assert_not(cidr_contains(b, a));
	cr_assert(cidr_contains(a, a));
	cr_assert(cidr_has_ip(a, ipv4("10.1.255.255")));
	cr_assert_not(cidr_has_ip(a, ipv4("10.2.0.0")));
	cr_assert_eq(cidr_parse("0.0.0.0/0", &c), 0);
	cr_assert(cidr_contains(c, a));
	cr_assert(cidr_has_ip(c, 0xffffffff));
	cr_assert_eq(cidr_parse("255.255.255.255/32", &c), 0);
	cr_assert_eq(c.addr, 0xffffffff);
	cr_assert_str_eq(cidr_fmt(c, buf), "255.255.255.255/32");

	cr_assert_eq(cidr_parse("10.0.0.0/33", &c), -EINVAL);
	cr_assert_eq(cidr_parse("10.0.0.0", &c), -EINVAL);
	cr_assert_eq(cidr_parse("10.0.0/8", &c), -EINVAL);
	cr_assert_eq(cidr_parse("10.0.0.0/", &c), -EINVAL);
	cr_assert_eq(cidr_parse("10.0.0.0/08", &c), -EINVAL);
	cr_assert_eq(cidr_parse("010.0.0.0/8", &c), -EINVAL);
	cr_assert_eq(cidr_parse("10.0.0.0/8x", &c), -EINVAL);
	cr_assert_eq(ip_parse("1.2.3.4", &ip), 0);
	cr_assert_eq(ip, 0x01020304);
	cr_assert_eq(ip_parse("1.2.3.4.5", &ip), -EINVAL);
	cr_assert_eq(ip_parse("1.2.3.256", &ip), -EINVAL);
	cr_assert_eq(ip_parse(" 1.2.3.4", &ip), -EINVAL);
	cr_assert_eq(ip_parse("", &ip), -EINVAL);
	cr_assert_str_eq(ip_fmt(0xc0a80101, buf), "192.168.1.1");
}
