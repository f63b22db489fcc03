/* test_diff.c - diff_compute: the exact operation list for each kind of
 * change to a small two-VPC lab, and none for no change.
 *
 * Names in the expectations come from the lab "d": namespaces "d-A",
 * "d-a1", ...; interface names are short IDs derived from the lab and
 * resource names (model.h), so they are stable: eni-9edc0d0a is a1's ENI,
 * eni-7749e56c a2's, eni-1108fd03 b1's, eni-062613fe a3's, pcx-55df2312
 * the peering P.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/diff.h"
#include "vpcemu/model.h"
#include "vpcemu/plan.h"

#include "helpers.h"

/* Two VPCs with a pending peering (routes to it are blackholes), two route
 * tables in A (RA for A1, RA2 for A2), a route to an instance, one instance
 * per subnet. */
static const char base[] =
	"lab d\n"
	"vpc A { cidr 10.1.0.0/16 }\n"
	"vpc B { cidr 10.2.0.0/16 }\n"
	"subnet A1 { vpc A; cidr 10.1.1.0/24 }\n"
	"subnet A2 { vpc A; cidr 10.1.2.0/24 }\n"
	"subnet B1 { vpc B; cidr 10.2.1.0/24 }\n"
	"peering P { requester A; accepter B; status pending-acceptance }\n"
	"route-table RA { vpc A; associate A1; route 10.2.0.0/16 via P; "
	"route 10.8.0.0/16 via a1 }\n"
	"route-table RA2 { vpc A; associate A2 }\n"
	"route-table RB { vpc B; associate B1; route 10.1.0.0/16 via P }\n"
	"security-group GA { vpc A; description \"a\"; "
	"ingress icmp from 10.0.0.0/8 }\n"
	"security-group GB { vpc B; description \"b\"; "
	"ingress icmp from 10.0.0.0/8 }\n"
	"instance a1 { subnet A1; private-ip 10.1.1.10; security-groups GA }\n"
	"instance a2 { subnet A2; private-ip 10.1.2.10; security-groups GA }\n"
	"instance b1 { subnet B1; private-ip 10.2.1.10; security-groups GB }\n";

/* text with the first from replaced by to (malloc'd). */
static char *edit(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out;

	cr_assert_not_null(at, "no \"%s\" in the lab text", from);
	out = malloc(strlen(text) - strlen(from) + strlen(to) + 1);
	cr_assert_not_null(out);
	sprintf(out, "%.*s%s%s", (int)(at - text), text, to,
		at + strlen(from));
	return out;
}

static struct plan *plan_of(const char *text, struct lab **ret_lab)
{
	struct lab *lab = test_lab_text(NULL, "d.conf", text, NULL,
					TEST_LAB_CHECK | TEST_LAB_CLEAN);
	struct plan *p = plan_build(lab);

	cr_assert_not_null(p);
	*ret_lab = lab;
	return p;
}

/* The plans of an old and a new lab text, with their models. */
struct plans {
	struct lab *lo, *ln;
	struct plan *po, *pn;
};

static void plans_of(const char *old_text, const char *new_text,
		     struct plans *ps)
{
	ps->po = plan_of(old_text, &ps->lo);
	ps->pn = plan_of(new_text, &ps->ln);
}

static void plans_free(struct plans *ps)
{
	plan_free(ps->po);
	plan_free(ps->pn);
	lab_free(ps->lo);
	lab_free(ps->ln);
}

/* The dump of diff_compute(plan(old), plan(new)) must be want, and the
 * touched namespaces touched (comma-separated). */
static void expect_diff(const char *old_text, const char *new_text,
			const char *want, const char *touched)
{
	struct plans ps;
	struct diff *d;
	char *got = NULL, *names = NULL;
	size_t len = 0, i, n = 0;
	FILE *f;

	plans_of(old_text, new_text, &ps);
	d = diff_compute(ps.po, ps.pn);
	cr_assert_not_null(d);
	f = open_memstream(&got, &len);
	cr_assert_not_null(f);
	diff_dump(d, ps.pn, f);
	fclose(f);
	cr_expect_str_eq(got, want, "got:\n%s\nwant:\n%s", got, want);
	for (i = 0; i < DIFF_OP__COUNT; i++)
		n += d->count[i];
	cr_expect_eq(n, d->nops, "counts add up to %zu, not %zu", n, d->nops);

	f = open_memstream(&names, &len);
	cr_assert_not_null(f);
	for (i = 0; i < d->ntouched; i++)
		fprintf(f, "%s%s", i ? "," : "", d->touched[i]);
	fclose(f);
	cr_expect_str_eq(names, touched, "touched %s, want %s", names,
			 touched);
	free(names);
	free(got);
	diff_free(d);
	plans_free(&ps);
}

Test(diff, unchanged_gives_nothing)
{
	struct lab *l1, *l2;
	struct plan *p1 = plan_of(base, &l1), *p2 = plan_of(base, &l2);
	struct diff *d = diff_compute(p1, p2);

	cr_assert_not_null(d);
	cr_expect_eq(d->nops, 0);
	cr_expect_eq(d->ntouched, 0);
	diff_free(d);
	/* The same plan object on both sides too. */
	d = diff_compute(p1, p1);
	cr_assert_not_null(d);
	cr_expect_eq(d->nops, 0);
	diff_free(d);
	plan_free(p1);
	plan_free(p2);
	lab_free(l1);
	lab_free(l2);
}

/* From nothing: one operation per object of the plan, namespaces first,
 * links up, every ruleset and file; nothing removed. */
Test(diff, from_nothing_builds_everything)
{
	struct lab *lab;
	struct plan *p = plan_of(base, &lab);
	struct diff *d = diff_compute(NULL, p);
	size_t ups = 0, i;

	cr_assert_not_null(d);
	for (i = 0; i < p->nveths; i++)
		ups += p->veths[i].up;
	cr_expect_eq(d->count[DIFF_NS_ADD], p->nns);
	cr_expect_eq(d->count[DIFF_SYSCTL_SET], p->nsysctls);
	cr_expect_eq(d->count[DIFF_VETH_ADD], p->nveths);
	cr_expect_eq(d->count[DIFF_VETH_UP], ups);
	cr_expect_eq(d->count[DIFF_ADDR_ADD], p->naddrs);
	cr_expect_eq(d->count[DIFF_ROUTE_ADD], p->nroutes);
	cr_expect_eq(d->count[DIFF_RULE_ADD], p->nrules);
	cr_expect_eq(d->count[DIFF_NFT_APPLY], p->nnfts);
	cr_expect_eq(d->count[DIFF_FILE_WRITE], p->nfiles);
	cr_expect_eq(d->nops, p->nns + p->nsysctls + p->nveths + ups +
			      p->naddrs + p->nroutes + p->nrules + p->nnfts +
			      p->nfiles);
	cr_expect_eq(d->ntouched, p->nns);
	cr_expect_eq(d->ops[0].kind, DIFF_NS_ADD);
	diff_free(d);
	plan_free(p);
	lab_free(lab);
}

Test(diff, route_added)
{
	char *t = edit(base, "route 10.8.0.0/16 via a1 }",
		       "route 10.8.0.0/16 via a1; route 10.9.0.0/16 via a2 }");

	expect_diff(base, t,
		    "route-add d-A table 1000 10.9.0.0/16 via 10.1.2.10 dev eni-7749e56c\n",
		    "d-A");
	free(t);
}

Test(diff, route_removed)
{
	char *t = edit(base, "; route 10.8.0.0/16 via a1 }", " }");

	expect_diff(base, t,
		    "route-del d-A table 1000 10.8.0.0/16 via 10.1.1.10 dev eni-9edc0d0a\n",
		    "d-A");
	free(t);
}

/* Same key, other target: replaced in place, never deleted and added. */
Test(diff, route_replaced)
{
	char *t = edit(base, "route 10.8.0.0/16 via a1 }",
		       "route 10.8.0.0/16 via blackhole }");

	expect_diff(base, t,
		    "route-replace d-A table 1000 10.8.0.0/16 blackhole\n",
		    "d-A");
	free(t);
}

/* One new SG rule: that router's ruleset, one transaction, nothing else. */
Test(diff, sg_rule_added)
{
	char *t = edit(base, "\"a\"; ingress icmp from 10.0.0.0/8 }",
		       "\"a\"; ingress icmp from 10.0.0.0/8; "
		       "ingress tcp 22 from 10.1.0.0/16 }");

	expect_diff(base, t, "nft d-A\n", "d-A");
	free(t);
}

static size_t ns_index(const struct plan *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nns; i++)
		if (!strcmp(p->ns[i].name, name))
			return i;
	cr_assert_fail("no namespace %s in the plan", name);
	return 0;
}

/* A namespace's hash (plan.h) says whether anything in it changed, and
 * never depends on the namespaces around it: a VPC added before the
 * others shifts every index, yet every namespace kept keeps its hash; the
 * digest changes. */
Test(diff, namespace_hash_follows_its_content_only)
{
	char *more = edit(base, "vpc A {", "vpc C { cidr 10.3.0.0/16 }\n"
			  "subnet C1 { vpc C; cidr 10.3.1.0/24 }\n"
			  "instance c1 { subnet C1 }\nvpc A {");
	char *rule = edit(base, "\"b\"; ingress icmp from 10.0.0.0/8 }",
			  "\"b\"; ingress icmp from 10.0.0.0/8; "
			  "ingress tcp 22 from 10.2.0.0/16 }");
	struct lab *l1, *l2, *l3;
	struct plan *p1 = plan_of(base, &l1), *p2 = plan_of(more, &l2);
	struct plan *p3 = plan_of(rule, &l3);
	size_t i;

	cr_expect_neq(ns_index(p2, "d-A"), ns_index(p1, "d-A"),
		      "the new VPC should come first and shift the others");
	for (i = 0; i < p1->nns; i++) {
		cr_expect_eq(p1->ns[i].hash,
			     p2->ns[ns_index(p2, p1->ns[i].name)].hash,
			     "%s changed with an unrelated VPC",
			     p1->ns[i].name);
		cr_expect_eq(p1->ns[i].hash == p3->ns[i].hash,
			     strcmp(p1->ns[i].name, "d-B") != 0,
			     "%s: a rule of B's group changes B's router only",
			     p1->ns[i].name);
	}
	cr_expect_str_neq(p1->digest, p2->digest);
	cr_expect_str_neq(p1->digest, p3->digest);
	plan_free(p1);
	plan_free(p2);
	plan_free(p3);
	lab_free(l1);
	lab_free(l2);
	lab_free(l3);
	free(more);
	free(rule);
}

/* The diff passes over namespaces whose hash is equal on both sides: the
 * change of sg_rule_added ("nft d-A") goes unseen once d-A's hash is
 * forced equal (which is why the hash must cover everything in a
 * namespace). */
Test(diff, same_hash_namespace_passed_over)
{
	char *t = edit(base, "\"a\"; ingress icmp from 10.0.0.0/8 }",
		       "\"a\"; ingress icmp from 10.0.0.0/8; "
		       "ingress tcp 22 from 10.1.0.0/16 }");
	struct plans ps;
	struct diff *d;

	plans_of(base, t, &ps);
	ps.pn->ns[ns_index(ps.pn, "d-A")].hash =
		ps.po->ns[ns_index(ps.po, "d-A")].hash;
	d = diff_compute(ps.po, ps.pn);
	cr_assert_not_null(d);
	cr_expect_eq(d->nops, 0);
	diff_free(d);
	plans_free(&ps);
	free(t);
}

/* A new instance: its namespace and everything in it, its veth with the
 * router end's sysctl, the router's /32 route, ENI rule and ruleset; no
 * other namespace. */
Test(diff, instance_added)
{
	/* Appended last so that no other ENI's rule pref moves (see
	 * instance_inserted_moves_rules_make_before_break). */
	char *u = edit(base, "security-groups GB }\n",
		       "security-groups GB }\ninstance a3 { subnet A1; "
		       "private-ip 10.1.1.11; security-groups GA }\n");

	expect_diff(base, u,
		    "ns-add d-a3\n"
		    "sysctl d-a3 net/ipv4/conf/all/accept_redirects=0\n"
		    "sysctl d-a3 net/ipv4/conf/default/accept_redirects=0\n"
		    "sysctl d-a3 net/ipv6/conf/all/disable_ipv6=1\n"
		    "sysctl d-a3 net/ipv6/conf/default/disable_ipv6=1\n"
		    "veth-add d-a3:eth0 d-A:eni-062613fe\n"
		    "sysctl d-A net/ipv4/neigh/eni-062613fe/proxy_delay=0\n"
		    "veth-up d-a3:eth0 d-A:eni-062613fe\n"
		    "addr-add d-a3 eth0 10.1.1.11/24\n"
		    "route-add d-A table 254 10.1.1.11/32 dev eni-062613fe\n"
		    "route-add d-a3 table 254 0.0.0.0/0 via 10.1.1.1 dev eth0\n"
		    "rule-add d-A pref 1002 iif eni-062613fe lookup 1000\n"
		    "nft d-A\n"
		    "file-write d-a3 hosts\n"
		    "file-write d-a3 resolv.conf\n",
		    "d-A,d-a3");
	free(u);
}

/* An instance written before others of its VPC moves their ENI rules'
 * prefs (1000 + place in the VPC): each new rule is added before its old
 * one goes, so no ENI's traffic meets the final blackhole rule meanwhile. */
Test(diff, instance_inserted_moves_rules_make_before_break)
{
	char *t = edit(base, "instance a2 ",
		       "instance a3 { subnet A1; private-ip 10.1.1.11; "
		       "security-groups GA }\ninstance a2 ");
	size_t i, add = SIZE_MAX, del = SIZE_MAX, other_vpc = 0;
	struct plans ps;
	struct diff *d;

	plans_of(base, t, &ps);
	d = diff_compute(ps.po, ps.pn);
	cr_assert_not_null(d);
	for (i = 0; i < d->nops; i++) {
		const struct diff_op *op = &d->ops[i];

		if (op->kind == DIFF_RULE_ADD && op->rule.pref == 1002 &&
		    !strcmp(op->rule.iif, "eni-7749e56c"))
			add = i;
		if (op->kind == DIFF_RULE_DEL && op->rule.pref == 1001 &&
		    !strcmp(op->rule.iif, "eni-7749e56c"))
			del = i;
		if ((op->kind == DIFF_RULE_ADD || op->kind == DIFF_RULE_DEL) &&
		    !strcmp(op->rule.iif, "eni-1108fd03"))
			other_vpc++;
	}
	cr_expect_neq(add, SIZE_MAX, "a2's rule at its new pref not added");
	cr_expect_neq(del, SIZE_MAX, "a2's rule at its old pref not deleted");
	cr_expect_lt(add, del, "a2's old rule goes before the new one is in");
	/* Prefs count within a VPC: B's ENI keeps its rule. */
	cr_expect_eq(other_vpc, 0, "b1's rule moved");
	cr_expect_eq(d->count[DIFF_NS_ADD], 1);
	cr_expect_eq(d->count[DIFF_NS_DEL], 0);
	diff_free(d);
	plans_free(&ps);
	free(t);
}

/* The router answers at the new subnet's base+1; the ruleset knows it. */
Test(diff, subnet_added)
{
	char *t = edit(base, "subnet B1 ",
		       "subnet A3 { vpc A; cidr 10.1.3.0/24 }\nsubnet B1 ");

	expect_diff(base, t, "addr-add d-A lo 10.1.3.1/32\nnft d-A\n", "d-A");
	free(t);
}

/* Gotcha 9: accepting the peering changes no route of the file; in the
 * kernel the link comes up and the blackholes become routes over it. */
Test(diff, peering_accepted)
{
	char *t = edit(base, "status pending-acceptance", "status active");

	expect_diff(base, t,
		    "veth-up d-A:pcx-55df2312 d-B:pcx-55df2312\n"
		    "route-replace d-A table 1000 10.2.0.0/16 dev pcx-55df2312\n"
		    "route-replace d-B table 1000 10.1.0.0/16 dev pcx-55df2312\n",
		    "d-A,d-B");
	free(t);
}

/* A new (active) peering with its routes: the link in both routers with
 * their proxy_delay, up, routes over it, both rulesets. */
Test(diff, peering_added)
{
	char *with = edit(base, "status pending-acceptance", "status active");
	char *a = edit(with, "peering P { requester A; accepter B; "
			     "status active }\n", "");
	char *b = edit(a, "; route 10.2.0.0/16 via P", "");
	char *without = edit(b, "; route 10.1.0.0/16 via P", "");

	expect_diff(without, with,
		    "veth-add d-A:pcx-55df2312 d-B:pcx-55df2312\n"
		    "sysctl d-A net/ipv4/neigh/pcx-55df2312/proxy_delay=0\n"
		    "sysctl d-B net/ipv4/neigh/pcx-55df2312/proxy_delay=0\n"
		    "veth-up d-A:pcx-55df2312 d-B:pcx-55df2312\n"
		    "route-add d-A table 1000 10.2.0.0/16 dev pcx-55df2312\n"
		    "route-add d-B table 1000 10.1.0.0/16 dev pcx-55df2312\n"
		    "nft d-A\n"
		    "nft d-B\n",
		    "d-A,d-B");
	/* And back: the link goes first (its name is free again), the
	 * routes that went with it are deleted last, harmlessly. */
	expect_diff(with, without,
		    "veth-del d-A:pcx-55df2312 d-B:pcx-55df2312\n"
		    "nft d-A\n"
		    "nft d-B\n"
		    "route-del d-A table 1000 10.2.0.0/16 dev pcx-55df2312\n"
		    "route-del d-B table 1000 10.1.0.0/16 dev pcx-55df2312\n",
		    "d-A,d-B");
	free(without);
	free(b);
	free(a);
	free(with);
}

/* A1 moves from RA (table 1000) to RA2 (1001): a1's ENI rule changes
 * table, the new rule before the old one goes. */
Test(diff, association_changed)
{
	char *a = edit(base, "associate A1; ", "");
	char *t = edit(a, "associate A2 }", "associate A1 A2 }");

	expect_diff(base, t,
		    "rule-add d-A pref 1000 iif eni-9edc0d0a lookup 1001\n"
		    "rule-del d-A pref 1000 iif eni-9edc0d0a lookup 1000\n",
		    "d-A");
	free(t);
	free(a);
}

/* A removed instance's namespace goes with everything in it: no per-object
 * deletes inside it; only what the routers held for it. */
Test(diff, instance_removed)
{
	char *a = edit(base, "instance a1 { subnet A1; private-ip 10.1.1.10; "
			     "security-groups GA }\n", "");
	char *t = edit(a, "route 10.8.0.0/16 via a1", "route 10.8.0.0/16 via a2");
	struct plans ps;
	struct diff *d;
	size_t i;

	plans_of(base, t, &ps);
	d = diff_compute(ps.po, ps.pn);
	cr_assert_not_null(d);
	cr_expect_eq(d->count[DIFF_NS_DEL], 1);
	cr_expect_eq(d->ops[0].kind, DIFF_NS_DEL);
	cr_expect_str_eq(d->ops[0].name, "d-a1");
	cr_expect_eq(d->count[DIFF_VETH_DEL], 0, "veth deleted one by one");
	cr_expect_eq(d->count[DIFF_ADDR_DEL], 0, "address deleted one by one");
	cr_expect_eq(d->count[DIFF_FILE_DEL], 0, "file deleted one by one");
	for (i = 1; i < d->nops; i++)
		cr_expect(strcmp(ps.pn->ns[d->ops[i].ns].name, "d-a1"),
			  "op #%zu (%s) inside the removed namespace", i,
			  diff_op_name(d->ops[i].kind));
	/* The router keeps no rule or route for the ENI that went. */
	for (i = 0; i < d->nops; i++)
		if (d->ops[i].kind == DIFF_RULE_ADD)
			cr_expect(strcmp(d->ops[i].rule.iif, "eni-9edc0d0a"));
	diff_free(d);
	plans_free(&ps);
	free(t);
	free(a);
}

Test(diff, summary_text)
{
	size_t count[DIFF_OP__COUNT] = { 0 };
	char *s;

	s = diff_summary(count);
	cr_assert_not_null(s);
	cr_expect_str_eq(s, "");
	free(s);
	count[DIFF_ROUTE_ADD] = 1;
	count[DIFF_NFT_APPLY] = 2;
	count[DIFF_NS_ADD] = 1;
	s = diff_summary(count);
	cr_expect_str_eq(s, "1 namespace added, 1 route added, "
			    "2 nftables rulesets applied");
	free(s);
}

/* down: the namespaces go whole, in the order given, and the touched list
 * is sorted and without repeats. */
Test(diff, removal_lists_namespaces)
{
	char *names[] = { "d-b1", "d-A", "d-a1", "d-A" };
	static const struct plan empty;
	struct diff *d;
	char *text;
	size_t len;
	FILE *f;

	d = diff_removal(names, 4);
	cr_assert_not_null(d);
	cr_expect_eq(d->nops, 4);
	cr_expect_eq(d->count[DIFF_NS_DEL], 4);
	cr_assert_eq(d->ntouched, 3);
	cr_expect_str_eq(d->touched[0], "d-A");
	cr_expect_str_eq(d->touched[1], "d-a1");
	cr_expect_str_eq(d->touched[2], "d-b1");
	f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	diff_dump(d, &empty, f);
	fclose(f);
	cr_expect_str_eq(text, "ns-del d-b1\nns-del d-A\nns-del d-a1\n"
			       "ns-del d-A\n");
	free(text);
	diff_free(d);

	d = diff_removal(NULL, 0);
	cr_assert_not_null(d);
	cr_expect_eq(d->nops, 0);
	cr_expect_eq(d->ntouched, 0);
	diff_free(d);
}

Test(diff, device_sysctls)
{
	cr_expect(diff_sysctl_is_device("net/ipv4/neigh/eni-1/proxy_delay"));
	cr_expect(diff_sysctl_is_device("net/ipv4/conf/eth0/rp_filter"));
	cr_expect(!diff_sysctl_is_device("net/ipv4/conf/all/rp_filter"));
	cr_expect(!diff_sysctl_is_device("net/ipv4/conf/default/proxy_arp"));
	cr_expect(!diff_sysctl_is_device("net/ipv4/ip_forward"));
}
