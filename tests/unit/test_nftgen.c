/* test_nftgen.c - router rulesets against golden files, the properties the
 * kernel and AWS semantics need, and (as root) a real load of each one.
 *
 * Golden files: golden/nftgen/STEM.VPCNAME.nft, one per VPC of a lab (run
 * from tests/, as "make unit" does). VPCEMU_UPDATE_GOLDEN=1 rewrites them
 * instead of comparing; review the result with git diff. The hands-on lab
 * is unit/data/hands-on.conf, shared with the other unit tests.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vpcemu/conf.h"
#include "vpcemu/model.h"
#include "vpcemu/nftgen.h"

#include "helpers.h"

/* Two VPCs whose groups reference each other; %s: VPC-B's region, the
 * peering's status. */
static const char cross_fmt[] =
	"lab cross\n"
	"region us-east-1\n"
	"vpc VPC-A { cidr 10.10.0.0/16 }\n"
	"vpc VPC-B { cidr 10.20.0.0/16; region %s }\n"
	"subnet SA { vpc VPC-A; cidr 10.10.1.0/24 }\n"
	"subnet SB { vpc VPC-B; cidr 10.20.1.0/24 }\n"
	"peering AB { requester VPC-A; accepter VPC-B; status %s }\n"
	"security-group G-A {\n"
	"\tvpc VPC-A\n"
	"\tingress tcp 22 from G-B\n"
	"\tegress all to G-B\n"
	"}\n"
	"security-group G-B { vpc VPC-B; ingress icmp from G-A }\n"
	"instance IA { subnet SA; private-ip 10.10.1.10\n"
	"\tsecurity-groups G-A }\n"
	"instance IB1 { subnet SB; private-ip 10.20.1.11\n"
	"\tsecurity-groups G-B }\n"
	"instance IB2 { subnet SB; private-ip 10.20.1.12\n"
	"\tsecurity-groups G-B }\n";

/* Names as long as lab files allow (48 characters: a letter and LONG47):
 * comments must still fit nft's 128 bytes. */
#define LONG47 "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abc"
static const char long_lab[] =
	"lab long\n"
	"vpc V" LONG47 " { cidr 10.0.0.0/16 }\n"
	"subnet S" LONG47 " { vpc V" LONG47 "; cidr 10.0.1.0/24 }\n"
	"network-acl A" LONG47 " {\n"
	"\tvpc V" LONG47 "; associate S" LONG47 "\n"
	"\tingress 1 allow all from 10.0.0.0/8\n"
	"}\n"
	"security-group G" LONG47 " {\n"
	"\tvpc V" LONG47 "; ingress all from self\n"
	"}\n"
	"instance I" LONG47 " { subnet S" LONG47 "; security-groups G" LONG47
	" }\n";

/* A VPC with nothing in it: every set and map is empty. */
static const char empty_lab[] =
	"lab empty\n"
	"vpc Lonely { cidr 192.168.0.0/24 }\n";

/* A lab for rulesets: parsed and modelled without a word (not checked). */
static struct lab *lab_text(const char *path, const char *text)
{
	return test_lab_text(NULL, path, text, NULL, TEST_LAB_CLEAN);
}

static struct lab *lab_file(const char *path)
{
	return test_lab_file(NULL, path, NULL, TEST_LAB_CLEAN);
}

static struct lab *cross_lab(const char *region, const char *status)
{
	char *text = NULL;
	struct lab *lab;

	cr_assert_neq(asprintf(&text, cross_fmt, region, status), -1);
	lab = lab_text("cross.conf", text);
	free(text);
	return lab;
}

static struct vpc *vpc_named(const struct lab *lab, const char *name)
{
	struct res *r = model_find(lab, RES_VPC, name);

	cr_assert_not_null(r, "no VPC %s", name);
	return (struct vpc *)r;
}

static struct sg *sg_named(const struct lab *lab, const char *name)
{
	struct res *r = model_find(lab, RES_SG, name);

	cr_assert_not_null(r, "no group %s", name);
	return (struct sg *)r;
}

static char *ruleset(const struct lab *lab, const char *vpc)
{
	char *s = nftgen_router(lab, vpc_named(lab, vpc));

	cr_assert_not_null(s, "nftgen_router(%s): %s", vpc, strerror(errno));
	return s;
}

/* The text of the block that starts with head ("\tchain sgin_..."), up to
 * its closing "\n\t}\n"; caller frees. */
static char *block(const char *text, const char *head)
{
	const char *b = strstr(text, head), *e;

	cr_assert_not_null(b, "no block \"%s\"", head);
	e = strstr(b, "\n\t}\n");
	cr_assert_not_null(e);
	return strndup(b, (size_t)(e - b) + 4);
}

/* "\tset sg_<hex> {" for the group called name. */
static char *sg_set_head(const struct lab *lab, const char *name)
{
	const char *id = sg_named(lab, name)->r.id;
	char *s = NULL;

	cr_assert_neq(asprintf(&s, "\tset sg_%s {", strchr(id, '-') + 1), -1);
	return s;
}

/* Compares every VPC's ruleset of lab with golden/nftgen/STEM.VPC.nft, or
 * rewrites them under VPCEMU_UPDATE_GOLDEN=1. */
static void golden(const struct lab *lab, const char *stem)
{
	size_t i;

	for (i = 0; i < lab->nvpcs; i++) {
		const struct vpc *v = lab->vpcs[i];
		char *got = nftgen_router(lab, v), *path = NULL;

		cr_assert_not_null(got);
		cr_assert_neq(asprintf(&path, "golden/nftgen/%s.%s.nft", stem,
				       v->r.name), -1);
		test_golden(path, got);
		free(path);
		free(got);
	}
}

Test(nftgen, golden_hands_on)
{
	struct lab *lab = lab_file(TEST_HANDS_ON);
	char *a = ruleset(lab, "VPC-A"), *set = sg_set_head(lab, "SG-EC2-B");
	char *members = block(a, set);

	golden(lab, "hands-on");
	/* An active same-region peering: VPC-A sees EC2-B's group. */
	cr_expect(strstr(members, "\t\t\t10.2.1.10,\n"), "%s", members);
	cr_expect(strstr(a, "\t\tflush") == NULL);
	cr_expect(!strncmp(a, "flush ruleset\n", 14));
	cr_expect(strstr(a, "\ntable inet vpcemu {\n"));
	free(members);
	free(set);
	free(a);
	lab_free(lab);
}

/* Transit gateway links: known ports, our blocks in, our subnets of the
 * attachment's AZs out, no group on the far side. */
Test(nftgen, golden_transit_gateway)
{
	struct lab *lab = lab_file("../topologies/transit-gateway.conf");

	golden(lab, "transit-gateway");
	lab_free(lab);
}

/* Gateway endpoint links: known ports, own-VPC flows only, no group. */
Test(nftgen, golden_gateway_endpoints)
{
	struct lab *lab = lab_file("../topologies/gateway-endpoints.conf");

	golden(lab, "gateway-endpoints");
	lab_free(lab);
}

Test(nftgen, golden_custom_nacl)
{
	struct lab *lab = lab_file("golden/nftgen/nacl.conf");
	struct res *app = model_find(lab, RES_SUBNET, "App");
	char *s = ruleset(lab, "V"), *head = NULL, *in, *p90, *p100, *p200;

	golden(lab, "nacl");
	cr_assert_not_null(app);
	cr_assert_neq(asprintf(&head, "\tchain aclin_%s {",
			       strchr(app->id, '-') + 1), -1);
	in = block(s, head);
	/* Same subnet steps aside first, then by number. */
	p90 = strstr(in, "comment \"rule 90\"");
	p100 = strstr(in, "comment \"rule 100\"");
	p200 = strstr(in, "comment \"rule 200\"");
	cr_assert(p90 && p100 && p200, "%s", in);
	cr_expect(p90 < p100 && p100 < p200, "%s", in);
	cr_expect(strstr(in, "\t\tip saddr 10.0.2.0/24 return\n"), "%s", in);
	cr_expect(strstr(in, "\t\tip saddr 10.0.1.66 tcp dport 8080 drop "
			     "comment \"rule 90\"\n"), "%s", in);
	cr_expect(strstr(in, "\t\ttcp dport 1024-65535 return "
			     "comment \"rule 200\"\n"), "%s", in);
	cr_expect(strstr(in, "\t\tdrop comment \"rule *\"\n\t}\n"), "%s", in);
	free(in);
	free(head);
	free(s);
	lab_free(lab);
}

Test(nftgen, egress_none_drops_everything_out)
{
	struct lab *lab = lab_file("golden/nftgen/nacl.conf");
	struct instance *app =
		(struct instance *)model_find(lab, RES_INSTANCE, "App1");
	struct sg *g = sg_named(lab, "SG-App");
	char *s = ruleset(lab, "V"), *head = NULL, *out, *gate, *in, *set;
	const char *hex = strchr(g->r.id, '-') + 1, *after;

	cr_assert_not_null(app);
	cr_assert_eq(app->eni->nsgs, 1);
	cr_assert_eq(app->eni->sgs[0], g);
	/* The group's egress chain holds no rule at all ... */
	cr_assert_neq(asprintf(&head, "\tchain sgout_%s {", hex), -1);
	out = block(s, head);
	after = strchr(strstr(out, "\t\tcomment "), '\n') + 1;
	cr_expect_str_eq(after, "\t}\n", "%s", out);
	free(head);
	/* ... so the ENI's gate falls through to its drop; replies of
	 * allowed inbound flows pass on conntrack before it. */
	cr_assert_neq(asprintf(&head, "\tchain egress_%s {", hex), -1);
	gate = block(s, head);
	after = strchr(strstr(gate, "\t\tcomment "), '\n') + 1;
	cr_expect(!strncmp(after, "\t\tjump sgout_", 13), "%s", gate);
	cr_expect(strstr(after, "\t\tdrop\n\t}\n"), "%s", gate);
	free(head);
	/* Ingress: "icmp from 0.0.0.0/0" covers "icmp time-exceeded from
	 * 10.0.0.0/16": one element, looked up once. */
	cr_assert_neq(asprintf(&head, "\tchain sgin_%s {", hex), -1);
	in = block(s, head);
	cr_expect(strstr(in, "\t\tip saddr . icmp type . icmp code "
			     "@sgin_"), "%s", in);
	free(head);
	cr_assert_neq(asprintf(&head, "\tset sgin_%s_icmp {", hex), -1);
	set = block(s, head);
	cr_expect(strstr(set, "elements = {\n\t\t\t0.0.0.0/0 . 0-255 . "
			      "0-255,\n\t\t}"), "%s", set);
	free(set);
	free(in);
	free(gate);
	free(out);
	free(head);
	free(s);
	lab_free(lab);
}

/* the flows each ENI leaves untracked are listed by ENI, new ones
 * get a ct mark bit per end, and later packets of a marked flow meet the
 * gate of that end again, in both directions. Db tracks everything: none
 * of its elements. */
Test(nftgen, untracked_flows_marked)
{
	struct lab *lab = lab_file("golden/nftgen/untracked.conf");
	char *s = ruleset(lab, "V"), *elem = NULL, *in, *out, *fwd, *gate;
	const struct instance *w, *o, *d;

	golden(lab, "untracked");
	w = (struct instance *)model_find(lab, RES_INSTANCE, "W");
	o = (struct instance *)model_find(lab, RES_INSTANCE, "O");
	d = (struct instance *)model_find(lab, RES_INSTANCE, "D");
	cr_assert(w && o && d);
	in = block(s, "\tset untracked_in {");
	out = block(s, "\tset untracked_out {");
	cr_assert_neq(asprintf(&elem, "elements = {\n"
				      "\t\t\t\"%s\" . tcp . 80,\n"
				      "\t\t\t\"%s\" . udp . 8000-8999,\n"
				      "\t\t\t\"%s\" . tcp . 0-65535,\n"
				      "\t\t\t\"%s\" . udp . 0-65535,\n\t\t}",
			       w->eni->ifname, w->eni->ifname, o->eni->ifname,
			       o->eni->ifname), -1);
	cr_expect(strstr(in, elem), "%s", in);
	free(elem);
	cr_assert_neq(asprintf(&elem, "elements = {\n"
				      "\t\t\t\"%s\" . tcp . 0-65535,\n"
				      "\t\t\t\"%s\" . udp . 0-65535,\n\t\t}",
			       o->eni->ifname, o->eni->ifname), -1);
	cr_expect(strstr(out, elem), "%s", out);
	cr_expect(!strstr(in, d->eni->ifname), "%s", in);
	cr_expect(!strstr(out, d->eni->ifname), "%s", out);

	fwd = block(s, "\tchain forward {");
	cr_expect(strstr(fwd, "\t\tct state established ct mark & 0x3 == 0 "
			      "goto ingress_gate\n"
			      "\t\tct state related goto ingress_gate\n"
			      "\t\tct state invalid drop\n"
			      "\t\tct state new iifname . meta l4proto . th "
			      "dport @untracked_out ct mark set ct mark | "
			      "0x1\n"
			      "\t\tct state new oifname . meta l4proto . th "
			      "dport @untracked_in ct mark set ct mark | 0x2\n"),
		  "%s", fwd);
	cr_expect(strstr(fwd, "\t\tct state established ct direction "
			      "original ct mark & 0x1 == 0 goto ingress_gate\n"
			      "\t\tct state established ct direction reply "
			      "ct mark & 0x2 == 0 goto ingress_gate\n"
			      "\t\tiifname vmap @sg_egress\n"), "%s", fwd);
	gate = block(s, "\tchain ingress_gate {");
	/* The receiver's ACL after the sender's groups (§15), then the
	 * flows both ends track. */
	cr_expect(strstr(gate, "\t\toifname vmap @acl_in\n"
			       "\t\tct state established ct mark & 0x3 == 0 "
			       "accept\n\t\tct state related accept\n"
			       "\t\toifname @peerings accept\n"), "%s", gate);
	cr_expect(!strstr(fwd, "@acl_in"), "%s", fwd);
	cr_expect(strstr(gate, "\t\toifname @peerings accept\n"
			       "\t\tct state established ct direction "
			       "original ct mark & 0x2 == 0 accept\n"
			       "\t\tct state established ct direction reply "
			       "ct mark & 0x1 == 0 accept\n"
			       "\t\toifname vmap @sg_ingress\n"), "%s", gate);
	free(gate);
	free(fwd);
	free(elem);
	free(out);
	free(in);
	free(s);
	lab_free(lab);
}

Test(nftgen, default_sg_references_itself)
{
	struct lab *lab = lab_file("golden/nftgen/default-sg.conf");
	struct sg *def = sg_named(lab, "Main.default");
	char *s = ruleset(lab, "Main"), *set = sg_set_head(lab, "Main.default");
	char *members = block(s, set), *rule = NULL;
	const char *p;
	size_t i, n = 0;

	golden(lab, "default-sg");
	/* Every ENI carries the default group: all are members, the
	 * endpoint's too, and every ingress chain admits them. */
	for (i = 0; i < lab->nenis; i++) {
		char ip[16], *line = NULL;

		cr_assert_eq(lab->enis[i]->sgs[0], def);
		cr_assert_neq(asprintf(&line, "\t\t\t%s,\n",
				       ip_fmt(lab->enis[i]->ip, ip)), -1);
		cr_expect(strstr(members, line), "%s not in %s", line,
			  members);
		free(line);
	}
	cr_expect_eq(lab->nenis, 4);
	cr_assert_neq(asprintf(&rule, "\t\tip saddr @sg_%s accept",
			       strchr(def->r.id, '-') + 1), -1);
	for (p = s; (p = strstr(p, rule)); p++)
		n++;
	/* Written once, in the group's chain, whatever the ENI count. */
	cr_expect_eq(n, 1, "%zu rules admit the group", n);
	free(rule);
	rule = NULL;
	cr_assert_neq(asprintf(&rule, " : jump ingress_%s,\n",
			       strchr(def->r.id, '-') + 1), -1);
	for (n = 0, p = s; (p = strstr(p, rule)); p++)
		n++;
	cr_expect_eq(n, lab->nenis, "%zu ENIs use the group's gate", n);
	free(rule);
	free(members);
	free(set);
	free(s);
	lab_free(lab);
}

Test(nftgen, cross_vpc_reference_active_vs_pending)
{
	struct lab *act = cross_lab("us-east-1", "active");
	struct lab *pend = cross_lab("us-east-1", "pending-acceptance");
	char *sa = ruleset(act, "VPC-A"), *sp = ruleset(pend, "VPC-A");
	char *head = sg_set_head(act, "G-B");
	char *ma = block(sa, head), *mp = block(sp, head);

	golden(act, "cross-active");
	golden(pend, "cross-pending");
	/* Active, same region: the peer's members. */
	cr_expect(strstr(ma, "\t\t\t10.20.1.11,\n\t\t\t10.20.1.12,\n"), "%s",
		  ma);
	/* Pending: the reference is stale, the set empty and still valid
	 * syntax (no "elements = { }"). */
	cr_expect(strstr(mp, "elements") == NULL, "%s", mp);
	cr_expect(strstr(mp, "stale"), "%s", mp);
	/* The rules stay; only the set changes. */
	cr_expect(strstr(sp, "ip daddr @sg_"), "egress rule to G-B is gone");
	free(ma);
	free(mp);
	free(head);
	free(sa);
	free(sp);
	lab_free(act);
	lab_free(pend);
}

Test(nftgen, cross_region_reference_is_stale)
{
	struct lab *lab = cross_lab("us-west-2", "active");
	char *s = ruleset(lab, "VPC-A"), *head = sg_set_head(lab, "G-B");
	char *m = block(s, head);

	cr_expect(strstr(m, "elements") == NULL, "%s", m);
	free(m);
	free(head);
	free(s);
	lab_free(lab);
}

Test(nftgen, empty_vpc)
{
	struct lab *lab = lab_text("empty.conf", empty_lab);
	char *s = ruleset(lab, "Lonely");

	golden(lab, "empty");
	cr_expect(strstr(s, "elements = {\n\t\t}") == NULL);
	cr_expect(strstr(s, "\tchain forward {\n"));
	free(s);
	lab_free(lab);
}

Test(nftgen, same_model_same_bytes)
{
	struct lab *l1 = lab_file("golden/nftgen/nacl.conf");
	struct lab *l2 = lab_file("golden/nftgen/nacl.conf");
	char *a = ruleset(l1, "V"), *b = ruleset(l1, "V");
	char *c = ruleset(l2, "V");

	cr_expect_str_eq(a, b);
	cr_expect_str_eq(a, c);
	free(a);
	free(b);
	free(c);
	lab_free(l1);
	lab_free(l2);
}

Test(nftgen, identifiers_and_comments_fit_nft)
{
	struct lab *lab = lab_text("long.conf", long_lab);
	char *s = ruleset(lab, "V" LONG47);
	const char *p;
	size_t n = 0;

	/* nft refuses comments over 128 bytes and '-' in our names. */
	for (p = s; (p = strstr(p, "comment \"")); ) {
		const char *e = strchr(p + 9, '"');

		cr_assert_not_null(e);
		cr_expect_leq(e - (p + 9), 128, "%.140s", p);
		n++;
		p = e + 1;
	}
	cr_expect_gt(n, 10);
	for (p = s; (p = strstr(p, "\tchain ")); p++)
		cr_expect(strcspn(p + 7, " -") == strcspn(p + 7, " "),
			  "%.40s", p);
	free(s);
	lab_free(lab);
}

/* Deltas --------------------------------------------------------------- */

/* The cross lab (active) with extra appended, and G-A's line replaced by
 * ga when given. */
static struct lab *cross_variant(const char *ga, const char *extra)
{
	char *text = NULL, *at, *out = NULL;
	struct lab *lab;

	cr_assert_neq(asprintf(&text, cross_fmt, "us-east-1", "active"), -1);
	if (ga) {
		at = strstr(text, "\tingress tcp 22 from G-B\n");
		cr_assert_not_null(at);
		cr_assert_neq(asprintf(&out, "%.*s%s%s%s", (int)(at - text),
				       text, ga, at + strlen("\tingress tcp 22 "
							     "from G-B\n"),
				       extra ? extra : ""), -1);
	} else {
		cr_assert_neq(asprintf(&out, "%s%s", text, extra ? extra : ""),
			      -1);
	}
	lab = lab_text("cross.conf", out);
	free(text);
	free(out);
	return lab;
}

#define GA_443 "\tingress tcp 22 from G-B\n\tingress tcp 443 from 10.0.0.0/8\n"
#define GROUP_C "security-group G-C { vpc VPC-A; ingress tcp 80 from 0.0.0.0/0 }\n" \
		"instance IC { subnet SA; private-ip 10.10.1.20\n" \
		"\tsecurity-groups G-C }\n"

static char *delta_of(const struct lab *a, const struct lab *b,
		      const char *vpc)
{
	char *x = ruleset(a, vpc), *y = ruleset(b, vpc), *d;

	d = nftgen_delta(x, y);
	cr_assert_not_null(d, "nftgen_delta: %s", strerror(errno));
	free(x);
	free(y);
	return d;
}

Test(nftgen, delta_touches_only_what_changed)
{
	struct lab *base = cross_variant(NULL, NULL);
	struct lab *rule = cross_variant(GA_443, NULL);
	char *full = ruleset(rule, "VPC-A"), *d = delta_of(base, rule, "VPC-A");
	char *hex = strchr(sg_named(rule, "G-A")->r.id, '-') + 1, *want;

	/* One rule more: G-A's ingress chain again, with its new CIDR set;
	 * no map, no other chain, nothing flushed wholesale. */
	cr_assert_neq(asprintf(&want, "flush chain inet vpcemu sgin_%s\n", hex),
		      -1);
	cr_expect(strstr(d, want), "%s", d);
	cr_expect(strstr(d, "\tset sgin_"), "%s", d);
	cr_expect_null(strstr(d, "flush ruleset"), "%s", d);
	cr_expect_null(strstr(d, "map "), "%s", d);
	cr_expect_null(strstr(d, "chain forward"), "%s", d);
	cr_expect_lt(strlen(d) * 4, strlen(full), "%zu vs %zu", strlen(d),
		     strlen(full));
	free(d);
	free(want);
	/* And back: the set goes, after the chain that used it is emptied. */
	d = delta_of(rule, base, "VPC-A");
	cr_expect(strstr(d, "delete set inet vpcemu sgin_"), "%s", d);
	cr_expect_lt(strstr(d, "flush chain"), strstr(d, "delete set"), "%s",
		     d);
	free(d);
	/* The other router is untouched by that rule: nothing to do. */
	d = delta_of(base, rule, "VPC-B");
	cr_expect_str_eq(d, "table inet vpcemu {\n}\n");
	free(d);
	free(full);
	lab_free(base);
	lab_free(rule);
}

Test(nftgen, delta_adds_and_deletes_chains_in_order)
{
	struct lab *base = cross_variant(NULL, NULL);
	struct lab *more = cross_variant(NULL, GROUP_C);
	char *d = delta_of(base, more, "VPC-A"), *chain, *set;

	/* A new group: its chains are created empty first (they may be there
	 * already after an interrupted apply), the gate maps refilled. */
	cr_expect(strstr(d, "add chain inet vpcemu sgin_"), "%s", d);
	cr_expect(strstr(d, "flush map inet vpcemu sg_ingress\n"), "%s", d);
	free(d);
	/* Gone again: chains are deleted before sets, which they used. */
	d = delta_of(more, base, "VPC-A");
	chain = strstr(d, "delete chain inet vpcemu ");
	set = strstr(d, "delete set inet vpcemu ");
	cr_assert(chain && set, "%s", d);
	cr_expect_lt(chain, set, "%s", d);
	cr_expect_null(strstr(set, "delete chain"), "%s", d);
	free(d);
	lab_free(base);
	lab_free(more);
}

/* old with the first occurrence of from replaced by to. */
static char *edited(const char *old, const char *from, const char *to)
{
	const char *at = strstr(old, from);
	char *s = NULL;

	cr_assert_not_null(at, "no \"%s\"", from);
	cr_assert_neq(asprintf(&s, "%.*s%s%s", (int)(at - old), old, to,
			       at + strlen(from)), -1);
	return s;
}

Test(nftgen, delta_refuses_what_needs_a_whole_ruleset)
{
	struct lab *lab = cross_variant(NULL, NULL);
	char *old = ruleset(lab, "VPC-A"), *new;
	size_t i;
	const char *const cases[][2] = {
		/* the table's own lines */
		{ "\tcomment \"router of ", "\tcomment \"router 2 of " },
		/* a set's declaration (not its elements) */
		{ "\t\tcomment \"ENIs of this VPC\"",
		  "\t\tcomment \"ENIs\"" },
		/* a base chain's hook */
		{ "policy drop;", "policy accept;" },
		/* a new base chain */
		{ "\tchain input {",
		  "\tchain output {\n\t\ttype filter hook output priority "
		  "filter; policy accept;\n\t}\n\n\tchain input {" },
		/* not nftgen's text: a block that never closes */
		{ "\n\t}\n\n\tchain input {", "\n\n\tchain input {" },
	};

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		new = edited(old, cases[i][0], cases[i][1]);
		errno = 0;
		cr_expect_null(nftgen_delta(old, new), "case %zu", i);
		cr_expect_eq(errno, EINVAL, "case %zu", i);
		free(new);
	}
	free(old);
	lab_free(lab);
}

/* Loading, for real --------------------------------------------------- */

static char ns_name[64];
static char tmp_path[64];

/* Runs argv with stdout to path (stderr kept for nft's errors); returns
 * its exit status, or -1. */
static int run_to(char *const argv[], const char *path)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!freopen(path, "w", stdout))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int run(char *const argv[])
{
	return run_to(argv, "/dev/null");
}

/* A namespace and a file of our own for nft (root only: others skip). */
static void load_init(void)
{
	char *add[] = { "ip", "netns", "add", ns_name, NULL };
	int fd;

	if (geteuid() != 0)
		cr_skip_test("needs root (network namespaces, nft)");
	snprintf(ns_name, sizeof(ns_name), "nftgen-%ld", (long)getpid());
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/nftgen-%ld-XXXXXX",
		 (long)getpid());
	fd = mkstemp(tmp_path);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(run(add), 0, "ip netns add %s", ns_name);
}

/* Always runs, even after a failed assertion: the namespace and the file
 * are ours (named with our pid). */
static void load_fini(void)
{
	if (ns_name[0]) {
		char *del[] = { "ip", "netns", "del", ns_name, NULL };

		run(del);
	}
	if (tmp_path[0])
		unlink(tmp_path);
}

static void load_one(const struct lab *lab, const struct vpc *v,
		     const char *what)
{
	char *text = nftgen_router(lab, v);
	char *check[] = { "ip", "netns", "exec", ns_name, "nft", "-c", "-f",
			  tmp_path, NULL };
	char *apply[] = { "ip", "netns", "exec", ns_name, "nft", "-f",
			  tmp_path, NULL };
	char *list[] = { "ip", "netns", "exec", ns_name, "nft", "list",
			 "table", "inet", "vpcemu", NULL };
	FILE *f;

	cr_assert_not_null(text);
	f = fopen(tmp_path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	free(text);
	cr_expect_eq(run(check), 0, "nft -c refuses %s/%s", what, v->r.name);
	cr_expect_eq(run(apply), 0, "nft -f refuses %s/%s", what, v->r.name);
	/* Loading twice: the "flush ruleset" makes it a replacement. */
	cr_expect_eq(run(apply), 0, "reload of %s/%s", what, v->r.name);
	cr_expect_eq(run(list), 0, "table missing after %s/%s", what,
		     v->r.name);
}

static void load_all(struct lab *lab, const char *what)
{
	size_t i;

	for (i = 0; i < lab->nvpcs; i++)
		load_one(lab, lab->vpcs[i], what);
	lab_free(lab);
}

Test(nftgen, loads_in_kernel, .init = load_init, .fini = load_fini)
{
	load_all(lab_file(TEST_HANDS_ON), "hands-on");
	load_all(lab_file("golden/nftgen/nacl.conf"), "nacl");
	load_all(lab_file("golden/nftgen/default-sg.conf"), "default-sg");
	load_all(lab_file("golden/nftgen/untracked.conf"), "untracked");
	load_all(cross_lab("us-east-1", "active"), "cross-active");
	load_all(cross_lab("us-east-1", "pending-acceptance"), "cross-pending");
	load_all(cross_lab("us-west-2", "active"), "cross-region");
	load_all(lab_text("empty.conf", empty_lab), "empty");
	load_all(lab_text("long.conf", long_lab), "long");
}

/* Loads text whole (a file holding it) in the test namespace; 0 or
 * nft's status. */
static int load_text(const char *text)
{
	char *apply[] = { "ip", "netns", "exec", ns_name, "nft", "-f",
			  tmp_path, NULL };
	FILE *f = fopen(tmp_path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	return run(apply);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The table as nft lists it now, its blocks sorted: nft lists sets and
 * chains in the order they were made, which a delta changes, not what
 * they hold (caller frees). */
static char *listing(void)
{
	char *list[] = { "ip", "netns", "exec", ns_name, "nft", "list",
			 "table", "inet", "vpcemu", NULL };
	char path[80], *s, *p, *blocks[256], *out;
	size_t n = 0, i, len;

	snprintf(path, sizeof(path), "%s.list", tmp_path);
	cr_assert_eq(run_to(list, path), 0);
	s = test_slurp(path);
	unlink(path);
	cr_assert_not_null(s);
	len = strlen(s);
	for (p = s; p; ) {
		char *e = strstr(p, "\n\n");

		cr_assert_lt(n, 256);
		blocks[n++] = p;
		if (e)
			*e = '\0';
		p = e ? e + 2 : NULL;
	}
	qsort(blocks, n, sizeof(*blocks), cmp_strp);
	out = calloc(1, len + n + 1);
	cr_assert_not_null(out);
	for (i = 0; i < n; i++) {
		strcat(out, blocks[i]);
		strcat(out, "\n");
	}
	free(s);
	return out;
}

/* old whole then the delta gives what new whole gives, in every VPC. */
static void delta_converges(const struct lab *a, const struct lab *b,
			    const char *what)
{
	size_t i;

	for (i = 0; i < b->nvpcs; i++) {
		const char *vpc = b->vpcs[i]->r.name;
		char *x = ruleset(a, vpc), *y = ruleset(b, vpc);
		char *d = nftgen_delta(x, y), *got, *want;

		cr_assert_not_null(d, "%s/%s: %s", what, vpc, strerror(errno));
		cr_assert_eq(load_text(x), 0, "%s/%s: old", what, vpc);
		cr_expect_eq(load_text(d), 0, "%s/%s: delta refused:\n%s",
			     what, vpc, d);
		got = listing();
		cr_assert_eq(load_text(y), 0, "%s/%s: new", what, vpc);
		want = listing();
		cr_expect_str_eq(got, want, "%s/%s", what, vpc);
		free(got);
		free(want);
		free(d);
		free(x);
		free(y);
	}
}

Test(nftgen, delta_converges_in_kernel, .init = load_init,
     .fini = load_fini)
{
	struct lab *base, *rule, *more;

	base = cross_variant(NULL, NULL);
	rule = cross_variant(GA_443, NULL);
	more = cross_variant(GA_443, GROUP_C);
	delta_converges(base, rule, "rule added");
	delta_converges(rule, base, "rule removed");
	delta_converges(base, more, "rule, group and instance added");
	delta_converges(more, base, "rule, group and instance removed");
	delta_converges(rule, more, "group and instance added");
	lab_free(base);
	lab_free(rule);
	lab_free(more);
}
