/* test_print.c - print_lab: every lab that validates survives a print-then-
 * reparse round trip (same text, IDs and plan, as OpenBSD's bgpd config
 * regress does with bgpd -nv), golden texts, and what a daemon does to a
 * model: mutations that are written, and those the format cannot hold. */
#include <criterion/criterion.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/model.h"
#include "vpcemu/plan.h"
#include "vpcemu/print.h"
#include "vpcemu/util.h"

/* Parses and builds text (or the file path when text is NULL); runs
 * check_lab too when check is set. Returns NULL when the lab does not
 * validate (*nerrors says why) or on allocation failure. */
static struct lab *load(const char *path, const char *text, bool check,
			size_t *nerrors)
{
	struct diags d = { 0 };
	struct conf_file *f;
	struct lab *lab = NULL;

	f = text ? conf_parse_buffer(path, text, strlen(text), &d) :
		   conf_parse_file(path, NULL, &d);
	if (f && !d.nerrors)
		lab = model_build(f, NULL, &d);
	if (lab && !d.nerrors && check)
		check_lab(lab, &d);
	*nerrors = d.nerrors;
	if (d.nerrors) {
		if (text)
			diag_print(&d, stderr, 0);
		lab_free(lab);
		lab = NULL;
	}
	conf_free(f);
	diags_free(&d);
	return lab;
}

static struct lab *load_ok(const char *path, const char *text)
{
	size_t nerr = 0;
	struct lab *lab = load(path, text, true, &nerr);

	cr_assert_eq(nerr, 0, "%s does not validate:\n%s", path,
		     text ? text : "");
	cr_assert_not_null(lab);
	return lab;
}

static char *print_ok(const struct lab *lab)
{
	struct diags d = { 0 };
	const struct diag *g;
	char *text = NULL;
	int r = print_lab_to(lab, &text, &d);

	g = diag_first_error(&d);
	cr_assert_eq(r, 0, "print_lab: %s (%s)", strerror(-r),
		     g ? g->message : "-");
	diags_free(&d);
	cr_assert_not_null(text);
	return text;
}

/* The whole plan: the dump and what it only counts (rulesets, files). */
static char *plan_text(const struct lab *lab)
{
	struct plan *p = plan_build(lab);
	char *s = NULL;
	size_t len = 0, i;
	FILE *f;

	cr_assert_not_null(p);
	f = open_memstream(&s, &len);
	cr_assert_not_null(f);
	plan_dump(p, f);
	for (i = 0; i < p->nnfts; i++)
		fprintf(f, "--- nft %zu\n%s", i, p->nfts[i].ruleset);
	for (i = 0; i < p->nfiles; i++)
		fprintf(f, "--- file %s\n%s", p->files[i].name,
			p->files[i].content);
	fclose(f);
	plan_free(p);
	return s;
}

#define SAME_RES(a, b, arr, n)                                                \
	do {                                                                  \
		size_t i_;                                                    \
		cr_assert_eq((a)->n, (b)->n, "%s: count of " #arr, what);     \
		for (i_ = 0; i_ < (a)->n; i_++) {                             \
			cr_expect_str_eq((a)->arr[i_]->r.name,                \
					 (b)->arr[i_]->r.name, "%s: " #arr,   \
					 what);                               \
			cr_expect_str_eq((a)->arr[i_]->r.id,                  \
					 (b)->arr[i_]->r.id, "%s: " #arr,     \
					 what);                               \
			cr_expect_eq((a)->arr[i_]->r.implicit,                \
				     (b)->arr[i_]->r.implicit, "%s: " #arr,   \
				     what);                                   \
		}                                                             \
	} while (0)

/* Names, IDs and order of every resource, ENIs included. */
static void same_resources(const struct lab *a, const struct lab *b,
			   const char *what)
{
	cr_expect_str_eq(a->name, b->name, "%s: lab name", what);
	SAME_RES(a, b, vpcs, nvpcs);
	SAME_RES(a, b, subnets, nsubnets);
	SAME_RES(a, b, route_tables, nroute_tables);
	SAME_RES(a, b, peerings, npeerings);
	SAME_RES(a, b, sgs, nsgs);
	SAME_RES(a, b, nacls, nnacls);
	SAME_RES(a, b, instances, ninstances);
	SAME_RES(a, b, roles, nroles);
	SAME_RES(a, b, endpoints, nendpoints);
	SAME_RES(a, b, enis, nenis);
}

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool proto_same(const struct proto_match *a, const struct proto_match *b)
{
	return a->kind == b->kind && a->number == b->number &&
	       a->port_lo == b->port_lo && a->port_hi == b->port_hi &&
	       a->icmp_type == b->icmp_type && a->icmp_code == b->icmp_code;
}

static bool cidr_same(struct cidr a, struct cidr b)
{
	return a.addr == b.addr && a.len == b.len;
}

/* A reference in the reparsed model points to the resource of the same
 * name (the models are distinct, pointers are not comparable). */
#define REF_SAME(x, y) ((!(x) && !(y)) || ((x) && (y) && str_same((x)->r.name, (y)->r.name)))
/* The same for a plain struct res (an expect's ends). */
#define RES_SAME(x, y) ((!(x) && !(y)) || ((x) && (y) && str_same((x)->name, (y)->name)))

/* What the plan does not show: every attribute the file can hold. Same
 * counts and order are checked by same_resources first. */
static void same_attributes(const struct lab *a, const struct lab *b,
			    const char *what)
{
	size_t i, j;

	cr_expect_str_eq(a->region, b->region, "%s", what);
	cr_expect_str_eq(a->account, b->account, "%s", what);
	for (i = 0; i < a->nvpcs; i++) {
		const struct vpc *x = a->vpcs[i], *y = b->vpcs[i];

		cr_assert_eq(x->ncidrs, y->ncidrs, "%s: %s", what, x->r.name);
		for (j = 0; j < x->ncidrs; j++)
			cr_expect(cidr_same(x->cidrs[j], y->cidrs[j]));
		cr_expect(x->dns_support == y->dns_support &&
			  x->dns_hostnames == y->dns_hostnames &&
			  str_same(x->region, y->region) &&
			  str_same(x->account, y->account) &&
			  REF_SAME(x->main_rt, y->main_rt) &&
			  REF_SAME(x->default_nacl, y->default_nacl) &&
			  REF_SAME(x->default_sg, y->default_sg),
			  "%s: vpc %s", what, x->r.name);
	}
	for (i = 0; i < a->nsubnets; i++) {
		const struct subnet *x = a->subnets[i], *y = b->subnets[i];

		cr_expect(REF_SAME(x->vpc, y->vpc) && cidr_same(x->cidr, y->cidr) &&
			  str_same(x->az, y->az) &&
			  x->public_ip_on_launch == y->public_ip_on_launch &&
			  REF_SAME(x->rt, y->rt) && REF_SAME(x->nacl, y->nacl),
			  "%s: subnet %s", what, x->r.name);
	}
	for (i = 0; i < a->nroute_tables; i++) {
		const struct route_table *x = a->route_tables[i];
		const struct route_table *y = b->route_tables[i];

		cr_assert(REF_SAME(x->vpc, y->vpc) && x->main == y->main &&
			  x->nassoc == y->nassoc && x->nroutes == y->nroutes,
			  "%s: route table %s", what, x->r.name);
		for (j = 0; j < x->nassoc; j++)
			cr_expect(REF_SAME(x->assoc[j], y->assoc[j]));
		for (j = 0; j < x->nroutes; j++) {
			const struct route *p = &x->routes[j], *q = &y->routes[j];

			cr_expect(cidr_same(p->dst, q->dst) &&
				  ((!p->target && !q->target) ||
				   (p->target && q->target &&
				    str_same(p->target->name,
					     q->target->name))),
				  "%s: route %zu of %s", what, j, x->r.name);
		}
	}
	for (i = 0; i < a->npeerings; i++) {
		const struct peering *x = a->peerings[i], *y = b->peerings[i];

		cr_expect(REF_SAME(x->requester, y->requester) &&
			  REF_SAME(x->accepter, y->accepter) &&
			  x->status == y->status &&
			  x->requester_allows_remote_dns == y->requester_allows_remote_dns &&
			  x->accepter_allows_remote_dns == y->accepter_allows_remote_dns &&
			  !strcmp(x->ifname, y->ifname),
			  "%s: peering %s", what, x->r.name);
	}
	for (i = 0; i < a->nsgs; i++) {
		const struct sg *x = a->sgs[i], *y = b->sgs[i];

		cr_assert(REF_SAME(x->vpc, y->vpc) &&
			  str_same(x->description, y->description) &&
			  x->is_default == y->is_default &&
			  x->egress_none == y->egress_none &&
			  x->nrules == y->nrules,
			  "%s: security group %s", what, x->r.name);
		for (j = 0; j < x->nrules; j++) {
			const struct sg_rule *p = &x->rules[j], *q = &y->rules[j];

			cr_expect(p->dir == q->dir && proto_same(&p->proto, &q->proto) &&
				  p->peer_kind == q->peer_kind &&
				  (p->peer_kind == SG_PEER_SG ?
					   REF_SAME(p->peer_sg, q->peer_sg) :
					   cidr_same(p->cidr, q->cidr)) &&
				  str_same(p->description, q->description),
				  "%s: rule %zu of %s", what, j, x->r.name);
		}
	}
	for (i = 0; i < a->nnacls; i++) {
		const struct nacl *x = a->nacls[i], *y = b->nacls[i];

		cr_assert(REF_SAME(x->vpc, y->vpc) && x->is_default == y->is_default &&
			  x->nassoc == y->nassoc && x->nentries == y->nentries,
			  "%s: network ACL %s", what, x->r.name);
		for (j = 0; j < x->nassoc; j++)
			cr_expect(REF_SAME(x->assoc[j], y->assoc[j]));
		for (j = 0; j < x->nentries; j++) {
			const struct nacl_entry *p = &x->entries[j];
			const struct nacl_entry *q = &y->entries[j];

			cr_expect(p->dir == q->dir && p->number == q->number &&
				  p->action == q->action &&
				  proto_same(&p->proto, &q->proto) &&
				  cidr_same(p->cidr, q->cidr),
				  "%s: entry %zu of %s", what, j, x->r.name);
		}
	}
	for (i = 0; i < a->ninstances; i++) {
		const struct instance *x = a->instances[i], *y = b->instances[i];

		cr_assert(REF_SAME(x->subnet, y->subnet) &&
			  x->private_ip == y->private_ip && x->nsgs == y->nsgs &&
			  REF_SAME(x->role, y->role) && x->public_ip == y->public_ip &&
			  str_same(x->ami, y->ami) &&
			  str_same(x->instance_type, y->instance_type) &&
			  str_same(x->ud.script, y->ud.script) &&
			  str_same(x->ud.file, y->ud.file),
			  "%s: instance %s", what, x->r.name);
		for (j = 0; j < x->nsgs; j++)
			cr_expect(REF_SAME(x->sgs[j], y->sgs[j]));
	}
	for (i = 0; i < a->nroles; i++) {
		const struct iam_role *x = a->roles[i], *y = b->roles[i];

		cr_assert_eq(x->npolicies, y->npolicies, "%s", what);
		for (j = 0; j < x->npolicies; j++)
			cr_expect_str_eq(x->policies[j], y->policies[j]);
	}
	for (i = 0; i < a->nendpoints; i++) {
		const struct endpoint *x = a->endpoints[i], *y = b->endpoints[i];

		cr_assert(REF_SAME(x->vpc, y->vpc) &&
			  str_same(x->service, y->service) &&
			  str_same(x->service_short, y->service_short) &&
			  x->type == y->type && x->private_dns == y->private_dns &&
			  x->nsubnets == y->nsubnets && x->nsgs == y->nsgs &&
			  x->nroute_tables == y->nroute_tables &&
			  x->nenis == y->nenis,
			  "%s: endpoint %s", what, x->r.name);
		for (j = 0; j < x->nsubnets; j++)
			cr_expect(REF_SAME(x->subnets[j], y->subnets[j]));
		for (j = 0; j < x->nsgs; j++)
			cr_expect(REF_SAME(x->sgs[j], y->sgs[j]));
		for (j = 0; j < x->nroute_tables; j++)
			cr_expect(REF_SAME(x->route_tables[j], y->route_tables[j]));
	}
	for (i = 0; i < a->nenis; i++) {
		const struct eni *x = a->enis[i], *y = b->enis[i];

		cr_assert(REF_SAME(x->subnet, y->subnet) && x->ip == y->ip &&
			  x->nsgs == y->nsgs && REF_SAME(x->instance, y->instance) &&
			  REF_SAME(x->endpoint, y->endpoint) &&
			  !strcmp(x->ifname, y->ifname) && str_same(x->netns, y->netns),
			  "%s: eni %s", what, x->r.name);
	}
	cr_assert_eq(a->nexpects, b->nexpects, "%s", what);
	for (i = 0; i < a->nexpects; i++) {
		const struct expect *x = &a->expects[i], *y = &b->expects[i];

		cr_expect(RES_SAME(x->src, y->src) && RES_SAME(x->dst, y->dst) &&
			  str_same(x->src_netns, y->src_netns) &&
			  str_same(x->dst_netns, y->dst_netns) &&
			  x->dst_ip == y->dst_ip && proto_same(&x->proto, &y->proto) &&
			  x->reachable == y->reachable &&
			  str_same(x->reason, y->reason) && str_same(x->text, y->text),
			  "%s: expect %zu", what, i);
	}
}

/* print -> parse -> build -> check -> print: same text, resources, every
 * attribute and plan. Returns the reparsed model (the caller's). */
static struct lab *roundtrip(const struct lab *lab, const char *what)
{
	char *t1, *t2, *p1, *p2;
	struct lab *lab2;

	t1 = print_ok(lab);
	lab2 = load_ok("printed.conf", t1);
	t2 = print_ok(lab2);
	cr_expect_str_eq(t2, t1, "%s: second print differs", what);
	same_resources(lab, lab2, what);
	same_attributes(lab, lab2, what);
	p1 = plan_text(lab);
	p2 = plan_text(lab2);
	cr_expect_str_eq(p2, p1, "%s: plan differs after reparse", what);
	free(p1);
	free(p2);
	free(t1);
	free(t2);
	return lab2;
}

static void roundtrip_free(const struct lab *lab, const char *what)
{
	lab_free(roundtrip(lab, what));
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = NULL;
	size_t n = 0;

	if (!f)
		return NULL;
	if (getdelim(&s, &n, '\0', f) < 0) {
		free(s);
		s = NULL;
	}
	fclose(f);
	return s;
}

/* ------------------------------------------------------------------ */
/* Every lab of the tree */

Test(print, roundtrip_every_lab)
{
	static const char *const patterns[] = {
		"../topologies/*.conf",
		"integration/labs/*.conf",
		"golden/nftgen/*.conf",
	};
	size_t k, i, done = 0, skipped = 0;

	for (k = 0; k < sizeof(patterns) / sizeof(patterns[0]); k++) {
		glob_t g = { 0 };

		cr_assert_eq(glob(patterns[k], 0, NULL, &g), 0, "no %s",
			     patterns[k]);
		for (i = 0; i < g.gl_pathc; i++) {
			const char *path = g.gl_pathv[i];
			size_t nerr = 0;
			struct lab *lab = load(path, NULL, true, &nerr);

			if (!lab) {
				cr_assert_gt(nerr, 0, "%s: out of memory", path);
				skipped++;
				continue;
			}
			roundtrip_free(lab, path);
			lab_free(lab);
			done++;
		}
		globfree(&g);
	}
	cr_log_info("round trip: %zu labs, %zu skipped (they do not validate)",
		    done, skipped);
	cr_assert_geq(done, 20, "only %zu labs round-tripped", done);
	cr_assert_leq(skipped, 6, "%zu labs skipped: do they still validate?",
		      skipped);
}

/* The printed text of a lab against tests/golden/print/NAME.conf;
 * VPCEMU_UPDATE_GOLDEN=1 rewrites it. */
static void golden(const char *conf, const char *gold)
{
	struct lab *lab = load_ok(conf, NULL);
	char *got = print_ok(lab), *want;
	const char *upd = getenv("VPCEMU_UPDATE_GOLDEN");

	if (upd && !strcmp(upd, "1")) {
		FILE *f = fopen(gold, "w");

		cr_assert_not_null(f, "cannot write %s", gold);
		fputs(got, f);
		fclose(f);
	}
	want = slurp(gold);
	cr_assert_not_null(want, "missing %s (VPCEMU_UPDATE_GOLDEN=1)", gold);
	cr_expect_str_eq(got, want, "print of %s differs from %s", conf, gold);
	free(want);
	free(got);
	lab_free(lab);
}

Test(print, golden_vpc_peering)
{
	golden("../topologies/vpc-peering.conf", "golden/print/vpc-peering.conf");
}

Test(print, golden_three_tier)
{
	golden("../topologies/three-tier.conf", "golden/print/three-tier.conf");
}

Test(print, golden_privatelink)
{
	golden("../topologies/privatelink.conf", "golden/print/privatelink.conf");
}

Test(print, golden_internet_edge)
{
	golden("unit/data/internet-edge.conf",
	       "golden/print/internet-edge.conf");
}

/* ------------------------------------------------------------------ */
/* Every attribute, away from its default */

static const char everything[] =
	"lab all-attrs\n"
	"region eu-west-1\n"
	"account 222222222222\n"
	"vpc V {\n"
	"  cidr 10.0.0.0/16; cidr 10.9.0.0/24\n"
	"  dns-support yes; dns-hostnames yes\n"
	"}\n"
	"vpc W { cidr 10.20.0.0/16; region eu-west-1; account 222222222222; dns-support no }\n"
	"vpc X { cidr 10.30.0.0/16; region us-west-2; account 333333333333; dns-hostnames yes }\n"
	"subnet S1 { vpc V; cidr 10.0.1.0/24; az eu-west-1b; public-ip-on-launch yes }\n"
	"subnet S2 { vpc V; cidr 10.9.0.0/28 }\n"
	"subnet W1 { vpc W; cidr 10.20.1.0/24 }\n"
	"subnet X1 { vpc X; cidr 10.30.1.0/24 }\n"
	"peering VW { requester V; accepter W; status pending-acceptance }\n"
	"peering WX { requester W; accepter X; status rejected }\n"
	"peering VX { requester V; accepter X; requester-allows-remote-dns yes\n"
	"  accepter-allows-remote-dns yes }\n"
	"route-table RT-V { vpc V; main yes; associate S2 S1\n"
	"  route 10.20.0.0/16 via VW\n"
	"  route 192.168.0.0/24 via blackhole\n"
	"  route 172.16.0.0/12 via nat-1\n"
	"}\n"
	"route-table RT-V2 { vpc V }\n"
	"route-table RT-W { vpc W; associate W1; route 10.0.0.0/16 via vw-id-ref }\n"
	"security-group G { vpc V; description \"it's \\\"G\\\"\"\n"
	"  ingress tcp 22 from 10.0.0.0/8 10.9.0.0/24 \"ssh # not a comment; {x}\"\n"
	"  ingress udp 1000-2000 from self\n"
	"  ingress icmp from H\n"
	"  ingress icmp echo-request from 0.0.0.0/0\n"
	"  ingress icmp 3/4 from 0.0.0.0/0 \"\"\n"
	"  ingress icmp 42 from 0.0.0.0/0\n"
	"  ingress proto 50 from 10.0.0.0/16\n"
	"  ingress proto 6 from 10.0.0.0/16\n"
	"  egress tcp 443 to 0.0.0.0/0\n"
	"  egress all to V.default\n"
	"}\n"
	"security-group H { vpc V; description plain; ingress all from G }\n"
	"security-group Quiet { vpc V; egress none }\n"
	"security-group Explicit-Default { vpc V; egress all to 0.0.0.0/0 }\n"
	"security-group Described-Default { vpc V\n"
	"  egress all to 0.0.0.0/0 \"the default, described\" }\n"
	"security-group Default-First { vpc V\n"
	"  egress all to 0.0.0.0/0\n"
	"  ingress tcp 80 from 0.0.0.0/0 }\n"
	"network-acl N { vpc V; associate S1\n"
	"  ingress 200 deny udp 53 from 10.0.0.0/8\n"
	"  ingress 100 allow tcp 80-81 from 0.0.0.0/0\n"
	"  ingress 300 allow icmp 8/0 from 0.0.0.0/0\n"
	"  egress 32766 allow all to 0.0.0.0/0\n"
	"}\n"
	"network-acl N2 { vpc V }\n"
	"iam-role R { policies AmazonSSMManagedInstanceCore Other }\n"
	"iam-role Empty { }\n"
	"instance nat-1 { subnet S1; public-ip no; security-groups G H; iam-instance-profile R\n"
	"  ami \"my ami\"; instance-type m5.large\n"
	"  user-data \"#!/bin/sh\\necho \\\"hi\\\" \\\\ there\\n\ttab\\n\" }\n"
	"instance auto { subnet S2; user-data-file scripts/boot.sh }\n"
	"instance auto2 { subnet S2; public-ip yes; security-groups V.default }\n"
	"instance w { subnet W1; private-ip 10.20.1.200; security-groups W.default }\n"
	"endpoint E-ssm { vpc V; service ssm; subnets S2 S1 }\n"
	"endpoint E-s3 { vpc V; service s3; route-tables RT-V V-unused }\n"
	"endpoint E-full { vpc V; service com.amazonaws.eu-west-1.sqs; subnets S2; private-dns no\n"
	"  security-groups H }\n"
	"endpoint E-ddb { vpc V; service dynamodb; type interface; subnets S1; private-dns yes }\n"
	"endpoint E-gw { vpc V; service com.amazonaws.eu-west-1.s3; type gateway; private-dns yes\n"
	"  security-groups G }\n"
	"endpoint E-x { vpc X; service ssm; subnets X1 }\n"
	"expect nat-1 -> auto tcp 22 blocked\n"
	"expect auto -> 10.0.1.10 icmp reachable\n";

/* The text with the placeholders of `everything` filled: the peering's ID
 * and a table that exists. */
static char *everything_text(void)
{
	char id[MODEL_ID_MAX], *s, *p;
	size_t n;

	model_make_id(id, "pcx-", "all-attrs", "peering", "VW");
	s = malloc(sizeof(everything) + 64);
	cr_assert_not_null(s);
	p = strstr(everything, "vw-id-ref");
	n = (size_t)(p - everything);
	memcpy(s, everything, n);
	strcpy(s + n, id);
	strcat(s, p + strlen("vw-id-ref"));
	p = strstr(s, "V-unused");
	memcpy(p, "RT-V2   ", 8);
	return s;
}

Test(print, every_attribute_roundtrips)
{
	char *text = everything_text(), *out;
	struct lab *lab = load_ok("all.conf", text), *lab2;
	struct sg *g;
	struct instance *in;

	roundtrip_free(lab, "everything");
	out = print_ok(lab);
	/* A reference by ID comes back as the name. */
	cr_expect(strstr(out, "\troute 10.0.0.0/16 via VW\n"), "%s", out);
	cr_expect(strstr(out, "\tregion us-west-2\n\taccount 333333333333\n"));
	cr_expect(!strstr(out, "\tregion eu-west-1\n"), "W's region is the lab's");
	cr_expect(strstr(out, "\taz eu-west-1b\n"));
	cr_expect(strstr(out, "\tassociate S2 S1\n"));
	cr_expect(strstr(out, "\tstatus pending-acceptance\n"));
	cr_expect(strstr(out, "\tstatus rejected\n"));
	cr_expect(strstr(out, "\tingress tcp 22 from 10.0.0.0/8 \"ssh # not a comment; {x}\"\n"
			      "\tingress tcp 22 from 10.9.0.0/24 \"ssh # not a comment; {x}\"\n"),
		  "one line per rule:\n%s", out);
	cr_expect(strstr(out, "\tingress udp 1000-2000 from self\n"));
	cr_expect(strstr(out, "\tingress icmp echo-request from 0.0.0.0/0\n"));
	cr_expect(strstr(out, "\tingress icmp destination-unreachable/4 from 0.0.0.0/0 \"\"\n"));
	cr_expect(strstr(out, "\tingress icmp 42 from 0.0.0.0/0\n"));
	cr_expect(strstr(out, "\tingress proto 50 from 10.0.0.0/16\n"));
	cr_expect(strstr(out, "\tingress tcp from 10.0.0.0/16\n"), "proto 6 is tcp");
	cr_expect(strstr(out, "\tegress all to V.default\n"));
	cr_expect(strstr(out, "\tingress 100 allow tcp 80-81 from 0.0.0.0/0\n"
			      "\tingress 200 deny udp 53 from 10.0.0.0/8\n"
			      "\tingress 300 allow icmp echo-request/0 from 0.0.0.0/0\n"
			      "\tegress 32766 allow all to 0.0.0.0/0\n"));
	cr_expect(strstr(out, "iam-role Empty {\n}\n"));
	cr_expect(strstr(out, "\tpolicies AmazonSSMManagedInstanceCore Other\n"));
	cr_expect(strstr(out, "\tpublic-ip no\n"));
	cr_expect(strstr(out, "\tami \"my ami\"\n\tinstance-type m5.large\n"));
	cr_expect(strstr(out, "\tuser-data-file scripts/boot.sh\n"));
	/* Addresses, given or not, are written. */
	cr_expect(strstr(out, "instance auto {\n\tsubnet S2\n\tprivate-ip 10.9.0.4\n"), "%s", out);
	cr_expect(strstr(out, "instance nat-1 {\n\tsubnet S1\n\tprivate-ip 10.0.1.4\n"));
	/* Endpoints. */
	cr_expect(strstr(out, "endpoint E-ssm {\n\tvpc V\n\tservice ssm\n\tsubnets S2 S1\n}\n"),
		  "%s", out);
	cr_expect(strstr(out, "endpoint E-s3 {\n\tvpc V\n\tservice s3\n\troute-tables RT-V RT-V2\n}\n"));
	cr_expect(strstr(out, "\tservice com.amazonaws.eu-west-1.sqs\n\tsubnets S2\n"
			      "\tsecurity-groups H\n\tprivate-dns no\n"));
	cr_expect(strstr(out, "\tservice dynamodb\n\ttype interface\n\tsubnets S1\n}\n"));
	/* The full name of a short service in the VPC's region: short. */
	cr_expect(strstr(out, "endpoint E-gw {\n\tvpc V\n\tservice s3\n"
			      "\tsecurity-groups G\n\tprivate-dns yes\n}\n"), "%s", out);
	cr_expect(strstr(out, "\tdns-support no\n"));
	cr_expect(strstr(out, "\trequester-allows-remote-dns yes\n"
			      "\taccepter-allows-remote-dns yes\n"));
	/* X is in us-west-2: its short name means another service. */
	cr_expect(strstr(out, "endpoint E-x {\n\tvpc X\n\tservice ssm\n"));
	cr_expect(strstr(out, "\nexpect nat-1 -> auto tcp 22 blocked\n"
			      "expect auto -> 10.0.1.10 icmp reachable\n"));

	lab2 = load_ok("printed.conf", out);
	g = (struct sg *)model_find(lab2, RES_SG, "G");
	cr_assert_not_null(g);
	cr_expect_str_eq(g->description, "it's \"G\"");
	in = (struct instance *)model_find(lab2, RES_INSTANCE, "nat-1");
	cr_assert_not_null(in);
	cr_expect_str_eq(in->ud.script, "#!/bin/sh\necho \"hi\" \\ there\n\ttab\n");
	cr_expect_str_eq(in->ami, "my ami");
	lab_free(lab2);
	free(out);
	lab_free(lab);
	free(text);
}

/* ------------------------------------------------------------------ */
/* Targeted */

static const char small[] =
	"lab small\n"
	"vpc V { cidr 10.0.0.0/16; dns-hostnames yes }\n"
	"vpc W { cidr 10.1.0.0/16 }\n"
	"subnet S { vpc V; cidr 10.0.1.0/24 }\n"
	"subnet T { vpc W; cidr 10.1.1.0/24 }\n"
	"peering P { requester V; accepter W }\n"
	"route-table RT { vpc V; associate S; route 10.1.0.0/16 via P }\n"
	"security-group Default-Egress { vpc V; ingress tcp 22 from 10.0.0.0/8 }\n"
	"security-group No-Egress { vpc V; egress none }\n"
	"security-group Some-Egress { vpc V; egress tcp 443 to 0.0.0.0/0 \"https\" }\n"
	"instance a { subnet S }\n"
	"instance b { subnet S; security-groups V.default }\n"
	"instance c { subnet S; security-groups V.default Default-Egress }\n"
	"instance d { subnet S; private-ip 10.0.1.50; security-groups No-Egress }\n"
	"endpoint E { vpc V; service ssm; subnets S }\n"
	"endpoint F { vpc V; service ssmmessages; subnets S }\n";

/* The block of NAME in text, up to its closing brace, as a new string. */
static char *block_of(const char *text, const char *head)
{
	const char *p = strstr(text, head), *e;

	cr_assert_not_null(p, "no '%s' in:\n%s", head, text);
	e = strstr(p, "\n}\n");
	cr_assert_not_null(e);
	return strndup(p, (size_t)(e - p) + 3);
}

static void expect_block(const char *text, const char *head, const char *want)
{
	char *b = block_of(text, head);

	cr_expect_str_eq(b, want);
	free(b);
}

Test(print, egress_none_default_and_written)
{
	struct lab *lab = load_ok("small.conf", small);
	char *out = print_ok(lab);

	expect_block(out, "security-group Default-Egress ",
		     "security-group Default-Egress {\n\tvpc V\n"
		     "\tingress tcp 22 from 10.0.0.0/8\n}\n");
	expect_block(out, "security-group No-Egress ",
		     "security-group No-Egress {\n\tvpc V\n\tegress none\n}\n");
	expect_block(out, "security-group Some-Egress ",
		     "security-group Some-Egress {\n\tvpc V\n"
		     "\tegress tcp 443 to 0.0.0.0/0 \"https\"\n}\n");
	roundtrip_free(lab, "small");
	free(out);
	lab_free(lab);
}

Test(print, default_group_membership_omitted)
{
	struct lab *lab = load_ok("small.conf", small);
	char *out = print_ok(lab);

	expect_block(out, "instance a ",
		     "instance a {\n\tsubnet S\n\tprivate-ip 10.0.1.4\n}\n");
	expect_block(out, "instance b ",
		     "instance b {\n\tsubnet S\n\tprivate-ip 10.0.1.5\n}\n");
	expect_block(out, "instance c ",
		     "instance c {\n\tsubnet S\n\tprivate-ip 10.0.1.6\n"
		     "\tsecurity-groups V.default Default-Egress\n}\n");
	expect_block(out, "endpoint E ",
		     "endpoint E {\n\tvpc V\n\tservice ssm\n\tsubnets S\n}\n");
	/* Implicit resources are not written. */
	cr_expect(!strstr(out, "V.main"));
	cr_expect(!strstr(out, "default-acl"));
	cr_expect(!strstr(out, "security-group V.default"));
	free(out);
	lab_free(lab);
}

Test(print, strings_quoted_and_escaped)
{
	static const char text[] =
		"lab q\n"
		"vpc V { cidr 10.0.0.0/16 }\n"
		"subnet S { vpc V; cidr 10.0.1.0/24; az \"us-east-1a\" }\n"
		"security-group G { vpc V\n"
		"  description \"a \\\\ b \\\"c\\\"\\nline two\ttab\"\n"
		"  ingress all from 10.0.0.0/8 \"multi\n"
		"line; # {}\" }\n"
		"security-group Word { vpc V; description word }\n"
		"instance i { subnet S; ami \"\"; instance-type \"a;b\"\n"
		"  user-data \"#!/bin/sh\n"
		"echo \\\"$HOME\\\" > /tmp/x # not a comment\n"
		"printf 'a\\\\nb'\n"
		"\" }\n";
	struct lab *lab = load_ok("q.conf", text), *lab2;
	char *out = print_ok(lab);
	struct instance *in;
	struct sg *g;

	cr_expect(strstr(out, "\tdescription \"a \\\\ b \\\"c\\\"\\nline two\ttab\"\n"),
		  "%s", out);
	cr_expect(strstr(out, "\tingress all from 10.0.0.0/8 \"multi\\nline; # {}\"\n"));
	/* Free text is always a string, even when it is a word. */
	cr_expect(strstr(out, "\tdescription \"word\"\n"));
	/* Other values are bare unless they need quotes. */
	cr_expect(!strstr(out, "\taz"), "az is the default");
	cr_expect(strstr(out, "\tami \"\"\n\tinstance-type \"a;b\"\n"));
	cr_expect(strstr(out, "\tuser-data \"#!/bin/sh\\necho \\\"$HOME\\\" > /tmp/x "
			      "# not a comment\\nprintf 'a\\\\nb'\\n\"\n"), "%s", out);

	lab2 = load_ok("printed.conf", out);
	g = (struct sg *)model_find(lab2, RES_SG, "G");
	cr_assert_not_null(g);
	cr_expect_str_eq(g->description, "a \\ b \"c\"\nline two\ttab");
	cr_expect_str_eq(g->rules[0].description, "multi\nline; # {}");
	in = (struct instance *)model_find(lab2, RES_INSTANCE, "i");
	cr_assert_not_null(in);
	cr_expect_str_eq(in->ud.script,
			 "#!/bin/sh\necho \"$HOME\" > /tmp/x # not a comment\nprintf 'a\\nb'\n");
	cr_expect_str_eq(in->ami, "");
	cr_expect_str_eq(in->instance_type, "a;b");
	lab_free(lab2);
	roundtrip_free(lab, "quoting");
	free(out);
	lab_free(lab);
}

Test(print, cr_in_user_data_survives)
{
	struct lab *lab = load_ok("small.conf", small), *lab2;
	struct instance *in = (struct instance *)model_find(lab, RES_INSTANCE, "a");
	char *out;

	/* A CR before an LF would be eaten as a CRLF line end if the LF were
	 * written raw. */
	in->ud.script = strdup("line\r\nnext\r");
	cr_assert_not_null(in->ud.script);
	out = print_ok(lab);
	lab2 = load_ok("printed.conf", out);
	in = (struct instance *)model_find(lab2, RES_INSTANCE, "a");
	cr_expect_str_eq(in->ud.script, "line\r\nnext\r");
	lab_free(lab2);
	free(out);
	lab_free(lab);
}

Test(print, not_utf8_is_einval)
{
	struct lab *lab = load_ok("small.conf", small);
	struct sg *g = (struct sg *)model_find(lab, RES_SG, "No-Egress");
	struct diags d = { 0 };
	char *out = (char *)1;

	free(g->description);
	g->description = strdup("bad \xff byte");
	cr_assert_not_null(g->description);
	cr_expect_eq(print_lab_to(lab, &out, &d), -EINVAL);
	cr_expect_null(out);
	cr_assert_eq(d.nerrors, 1);
	cr_expect(strstr(d.v[0].message, "(security-group No-Egress)"), "%s",
		  d.v[0].message);
	diags_free(&d);
	lab_free(lab);
}

Test(print, lab_without_lab_line_gets_one)
{
	struct lab *lab = load_ok("from-file-name.conf",
				  "vpc V { cidr 10.0.0.0/16 }\n");
	char *out = print_ok(lab);

	cr_expect_str_eq(out, "lab from-file-name\nregion us-east-1\n"
			      "account 111111111111\n\nvpc V {\n"
			      "\tcidr 10.0.0.0/16\n}\n");
	roundtrip_free(lab, "no lab line");
	free(out);
	lab_free(lab);
}

/* ------------------------------------------------------------------ */
/* A daemon's mutations */

Test(print, mutated_peering_status_and_route)
{
	struct lab *lab = load_ok("small.conf", small), *lab2;
	struct peering *p = (struct peering *)model_find(lab, RES_PEERING, "P");
	struct route_table *t =
		(struct route_table *)model_find(lab, RES_ROUTE_TABLE, "RT");
	struct route *r;
	char *out;

	/* reject-vpc-peering-connection, then create-route. */
	p->status = PEERING_PENDING_ACCEPTANCE;
	r = realloc(t->routes, (t->nroutes + 1) * sizeof(*r));
	cr_assert_not_null(r);
	t->routes = r;
	t->routes[t->nroutes++] = (struct route){
		.dst = { .addr = 0xc0a80000, .len = 16 },
	};
	out = print_ok(lab);
	expect_block(out, "peering P ",
		     "peering P {\n\trequester V\n\taccepter W\n"
		     "\tstatus pending-acceptance\n}\n");
	expect_block(out, "route-table RT ",
		     "route-table RT {\n\tvpc V\n\tassociate S\n"
		     "\troute 10.1.0.0/16 via P\n"
		     "\troute 192.168.0.0/16 via blackhole\n}\n");
	lab2 = roundtrip(lab, "mutated");
	p = (struct peering *)model_find(lab2, RES_PEERING, "P");
	cr_expect_eq(p->status, PEERING_PENDING_ACCEPTANCE);
	t = (struct route_table *)model_find(lab2, RES_ROUTE_TABLE, "RT");
	cr_assert_eq(t->nroutes, 2);
	cr_expect_eq(t->routes[1].dst.addr, 0xc0a80000);
	cr_expect_eq(t->routes[1].dst.len, 16);
	cr_expect_null(t->routes[1].target);
	lab_free(lab2);
	free(out);
	lab_free(lab);
}

Test(print, mutated_sg_rules)
{
	struct lab *lab = load_ok("small.conf", small), *lab2;
	struct sg *g = (struct sg *)model_find(lab, RES_SG, "Default-Egress");
	struct sg *ne = (struct sg *)model_find(lab, RES_SG, "No-Egress");
	struct sg_rule *x;
	char *out;

	/* authorize-security-group-ingress appends after the default egress
	 * rule: written out, so it comes back in the same place. */
	x = realloc(g->rules, (g->nrules + 1) * sizeof(*x));
	cr_assert_not_null(x);
	g->rules = x;
	g->rules[g->nrules++] = (struct sg_rule){
		.dir = DIR_INGRESS,
		.proto = { .kind = PROTO_UDP, .number = 17, .port_lo = 53,
			   .port_hi = 53, .icmp_type = -1, .icmp_code = -1 },
		.peer_kind = SG_PEER_SG,
		.peer_sg = ne,
	};
	out = print_ok(lab);
	expect_block(out, "security-group Default-Egress ",
		     "security-group Default-Egress {\n\tvpc V\n"
		     "\tingress tcp 22 from 10.0.0.0/8\n"
		     "\tegress all to 0.0.0.0/0\n"
		     "\tingress udp 53 from No-Egress\n}\n");
	lab2 = roundtrip(lab, "sg rules");
	g = (struct sg *)model_find(lab2, RES_SG, "Default-Egress");
	cr_assert_eq(g->nrules, 3);
	cr_expect_eq(g->rules[1].dir, DIR_EGRESS);
	cr_expect_eq(g->rules[2].peer_sg, model_find(lab2, RES_SG, "No-Egress"));
	lab_free(lab2);
	free(out);

	/* revoke-security-group-egress of the only egress rule: "egress
	 * none". */
	g = (struct sg *)model_find(lab, RES_SG, "Default-Egress");
	memmove(&g->rules[1], &g->rules[2], sizeof(*g->rules));
	g->nrules--;
	out = print_ok(lab);
	expect_block(out, "security-group Default-Egress ",
		     "security-group Default-Egress {\n\tvpc V\n"
		     "\tingress tcp 22 from 10.0.0.0/8\n"
		     "\tingress udp 53 from No-Egress\n"
		     "\tegress none\n}\n");
	free(out);
	lab_free(lab);
}

/* Expects print_lab to refuse lab with err, naming the resource. */
static void expect_refused(const struct lab *lab, int err, const char *name)
{
	struct diags d = { 0 };
	const struct diag *g;
	char *out = NULL, *tail;
	int r = print_lab_to(lab, &out, &d);

	cr_expect_eq(r, err, "print_lab_to gave %d, not %d", r, err);
	cr_expect_null(out);
	g = diag_first_error(&d);
	cr_assert_not_null(g);
	cr_expect_str_eq(g->code, "Vpcemu.Unsupported");
	if (name) {
		/* The message ends "(KIND NAME)". */
		tail = str_printf(" %s)", name);
		cr_assert_not_null(tail);
		cr_expect(strlen(g->message) > strlen(tail) &&
				  !strcmp(g->message + strlen(g->message) -
						  strlen(tail),
					  tail),
			  "%s", g->message);
		free(tail);
	}
	diags_free(&d);
	errno = 0;
	cr_expect_null(print_lab(lab));
	cr_expect_eq(errno, -err);
	free(out);
}

Test(print, peering_deleted_or_expired_not_supported)
{
	struct lab *lab = load_ok("small.conf", small);
	struct peering *p = (struct peering *)model_find(lab, RES_PEERING, "P");
	char *out;

	p->status = PEERING_DELETED;
	expect_refused(lab, -ENOTSUP, "P");
	p->status = PEERING_EXPIRED;
	expect_refused(lab, -ENOTSUP, "P");
	/* failed is derived by check_lab: nothing to write. */
	p->status = PEERING_FAILED;
	out = print_ok(lab);
	expect_block(out, "peering P ",
		     "peering P {\n\trequester V\n\taccepter W\n}\n");
	free(out);
	lab_free(lab);
}

Test(print, overlapping_peering_stays_failed)
{
	static const char text[] =
		"lab ov\n"
		"vpc V { cidr 10.0.0.0/16 }\n"
		"vpc W { cidr 10.0.0.0/20 }\n"
		"peering P { requester V; accepter W; status pending-acceptance }\n";
	struct lab *lab = load_ok("ov.conf", text), *lab2;
	struct peering *p = (struct peering *)model_find(lab, RES_PEERING, "P");

	cr_assert_eq(p->status, PEERING_FAILED);
	lab2 = roundtrip(lab, "overlap");
	p = (struct peering *)model_find(lab2, RES_PEERING, "P");
	cr_expect_eq(p->status, PEERING_FAILED);
	lab_free(lab2);
	lab_free(lab);
}

Test(print, implicit_changes_not_supported)
{
	struct lab *lab = load_ok("small.conf", small);
	struct vpc *v = (struct vpc *)model_find(lab, RES_VPC, "V");
	struct route_table *main_rt = v->main_rt;
	struct sg *dsg = v->default_sg;
	struct nacl *acl = v->default_nacl;
	struct route *r;
	char *d;

	/* create-route on the implicit main table. */
	r = realloc(main_rt->routes, sizeof(*r));
	cr_assert_not_null(r);
	main_rt->routes = r;
	main_rt->routes[0] = (struct route){
		.dst = { .addr = 0x0a010000, .len = 16 },
	};
	main_rt->nroutes = 1;
	expect_refused(lab, -ENOTSUP, "V.main");
	main_rt->nroutes = 0;
	cr_expect_eq(print_lab_to(lab, &d, NULL), 0);
	free(d);

	/* modify the default group's ingress (revoke the self rule). */
	dsg->rules[0].peer_kind = SG_PEER_CIDR;
	expect_refused(lab, -ENOTSUP, "V.default");
	dsg->rules[0].peer_kind = SG_PEER_SG;
	dsg->rules[1].description = strdup("now described");
	expect_refused(lab, -ENOTSUP, "V.default");
	free(dsg->rules[1].description);
	dsg->rules[1].description = NULL;

	/* replace-network-acl-entry on the default ACL. */
	acl->entries[0].action = NACL_DENY;
	expect_refused(lab, -ENOTSUP, "V.default-acl");
	acl->entries[0].action = NACL_ALLOW;

	/* The implicit main table is no longer main. */
	main_rt->main = false;
	expect_refused(lab, -ENOTSUP, NULL);
	main_rt->main = true;

	cr_expect_eq(print_lab_to(lab, &d, NULL), 0);
	free(d);
	lab_free(lab);
}

Test(print, ids_and_addresses_not_derivable_not_supported)
{
	struct lab *lab = load_ok("small.conf", small);
	struct sg *g = (struct sg *)model_find(lab, RES_SG, "No-Egress");
	struct endpoint *f = (struct endpoint *)model_find(lab, RES_ENDPOINT, "F");
	char *name;

	/* A name that does not give the resource's ID. */
	name = g->r.name;
	g->r.name = strdup("Renamed");
	cr_assert_not_null(g->r.name);
	expect_refused(lab, -ENOTSUP, "Renamed");
	free(g->r.name);
	/* A name that reads as an ID. */
	g->r.name = strdup("sg-0123456789abcdef0");
	expect_refused(lab, -ENOTSUP, "sg-0123456789abcdef0");
	free(g->r.name);
	g->r.name = name;

	/* An endpoint ENI at an address model_build would not give it. */
	cr_assert_eq(f->nenis, 1);
	f->enis[0]->ip += 10;
	expect_refused(lab, -ENOTSUP, "F");
	f->enis[0]->ip -= 10;

	/* No group: a reparse would give the default group. */
	{
		struct instance *in = (struct instance *)model_find(lab, RES_INSTANCE, "a");
		size_t n = in->nsgs;

		in->nsgs = 0;
		expect_refused(lab, -ENOTSUP, "a");
		in->nsgs = n;
	}
	roundtrip_free(lab, "restored");
	lab_free(lab);
}

Test(print, null_reference_is_einval)
{
	struct lab *lab = load_ok("small.conf", small);
	struct route_table *t =
		(struct route_table *)model_find(lab, RES_ROUTE_TABLE, "RT");
	struct vpc *v = t->vpc;

	t->vpc = NULL;
	expect_refused(lab, -EINVAL, "RT");
	t->vpc = v;
	lab_free(lab);
}

Test(print, written_after_implicit_is_einval)
{
	struct lab *lab = load_ok("small.conf", small);
	struct route_table **t = lab->route_tables, *x;
	char *out;

	/* [RT, V.main, W.main]: what a daemon that appended RT would hold
	 * is [V.main, RT, ...]; a reparse would renumber RT's kernel table. */
	cr_assert_eq(lab->nroute_tables, 3);
	cr_assert_str_eq(t[0]->r.name, "RT");
	cr_assert_str_eq(t[1]->r.name, "V.main");
	x = t[0];
	t[0] = t[1];
	t[1] = x;
	expect_refused(lab, -EINVAL, "RT");
	t[1] = t[0];
	t[0] = x;
	/* A VPC's implicit ones may come after another VPC's written ones
	 * only when that is where model_build puts them. */
	x = t[1];
	t[1] = t[2];
	t[2] = x;
	expect_refused(lab, -EINVAL, "V.main");
	t[2] = t[1];
	t[1] = x;
	out = print_ok(lab);
	free(out);
	lab_free(lab);
}
