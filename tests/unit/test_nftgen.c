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
			      "accept\n\t\tct state related accept\n"
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

/* Loading, for real --------------------------------------------------- */

static char ns_name[64];
static char tmp_path[64];

/* Runs argv (stdout to /dev/null, stderr kept for nft's errors); returns
 * its exit status, or -1. */
static int run(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
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

Test(nftgen, loads_in_kernel, .fini = load_fini)
{
	char *add[] = { "ip", "netns", "add", ns_name, NULL };
	int fd;

	if (geteuid() != 0)
		cr_skip_test("needs root (network namespaces, nft)");
	snprintf(ns_name, sizeof(ns_name), "nftgen-%ld-t", (long)getpid());
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/nftgen-%ld-XXXXXX",
		 (long)getpid());
	fd = mkstemp(tmp_path);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(run(add), 0, "ip netns add %s", ns_name);

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
