/* test_tracking.c - which flows an ENI leaves untracked (R-4.16, R-4.17,
 * test_nftgen.c checks how the ruleset uses them.
 *
 * Each case is a group G written in a small lab, the groups of instance I
 * (G and/or H, which has the AWS default egress and no ingress rule), a
 * direction, and the untracked flows expected there as "tcp 80, udp 0-65535"
 * ("" when every flow is tracked). Every "untracked" case has a "tracked"
 * twin that differs by the one rule that decides.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/model.h"
#include "vpcemu/tracking.h"
#include "vpcemu/util.h"

#include "helpers.h"

static const char lab_fmt[] =
	"lab tr\n"
	"vpc V { cidr 10.0.0.0/16 }\n"
	"subnet S { vpc V; cidr 10.0.1.0/24 }\n"
	"security-group G {\n"
	"\tvpc V; description \"case\"\n"
	"%s"
	"}\n"
	"security-group H { vpc V; description \"default egress only\" }\n"
	"instance I { subnet S; private-ip 10.0.1.10; security-groups %s }\n"
	"endpoint E { vpc V; service ssm; subnets S; private-dns no\n"
	"\tsecurity-groups %s }\n";

static struct lab *case_lab(const char *rules, const char *groups)
{
	char *text = NULL;
	struct lab *lab;

	cr_assert_neq(asprintf(&text, lab_fmt, rules, groups, groups), -1);
	lab = test_lab_text(NULL, "tr.conf", text, NULL,
			    TEST_LAB_CHECK | TEST_LAB_CLEAN);
	free(text);
	return lab;
}

static const struct eni *eni_named(const struct lab *lab, const char *name)
{
	size_t i;

	for (i = 0; i < lab->nenis; i++)
		if (!strcmp(lab->enis[i]->r.name, name))
			return lab->enis[i];
	cr_assert_fail("no ENI %s", name);
	return NULL;
}

/* tracking_untracked as "tcp 80, udp 0-65535"; caller frees. */
static char *untracked_text(const struct eni *e, enum direction dir)
{
	struct strbuf b = { 0 };
	struct untracked *u;
	int i, n = tracking_untracked(e, dir, &u);

	cr_assert_geq(n, 0);
	for (i = 0; i < n; i++) {
		sb_printf(&b, "%s%s %u", i ? ", " : "",
			  u[i].proto == 6 ? "tcp" : "udp", u[i].port_lo);
		if (u[i].port_hi != u[i].port_lo)
			sb_printf(&b, "-%u", u[i].port_hi);
	}
	free(u);
	return sb_take(&b);
}

/* Arrays, not pointers: Criterion copies parameters to its workers. */
struct tr_case {
	char what[48];
	char rules[256];	/* G's lines */
	char groups[8];		/* I's groups */
	enum direction dir;
	char want[48];
};

ParameterizedTestParameters(tracking, classes)
{
	static struct tr_case p[] = {
		/* AWS's example: port 80 from anywhere with the default
		 * egress rule is untracked; 22 from one host and ICMP are
		 * tracked. */
		{ "AWS example, inbound",
		  "\tingress tcp 22 from 203.0.113.1/32\n"
		  "\tingress tcp 80 from 0.0.0.0/0\n"
		  "\tingress icmp from 0.0.0.0/0\n",
		  "G", DIR_INGRESS, "tcp 80" },
		/* Outbound, the default egress rule needs an all-ports
		 * inbound rule from anywhere: there is none. */
		{ "AWS example, outbound",
		  "\tingress tcp 22 from 203.0.113.1/32\n"
		  "\tingress tcp 80 from 0.0.0.0/0\n"
		  "\tingress icmp from 0.0.0.0/0\n",
		  "G", DIR_EGRESS, "" },
		/* without the outbound rule, everything is tracked. */
		{ "AWS example without the egress rule",
		  "\tingress tcp 22 from 203.0.113.1/32\n"
		  "\tingress tcp 80 from 0.0.0.0/0\n"
		  "\tingress icmp from 0.0.0.0/0\n"
		  "\tegress none\n",
		  "G", DIR_INGRESS, "" },
		{ "narrower egress is not all ports",
		  "\tingress tcp 80 from 0.0.0.0/0\n"
		  "\tegress tcp 1024-65535 to 0.0.0.0/0\n",
		  "G", DIR_INGRESS, "" },
		{ "all ports, but not to anywhere",
		  "\tingress tcp 80 from 0.0.0.0/0\n"
		  "\tegress all to 0.0.0.0/1\n"
		  "\tegress all to 128.0.0.0/1\n",
		  "G", DIR_INGRESS, "" },
		/* The opposite rule counts for its own protocol only. */
		{ "tcp all ports opposite: tcp only",
		  "\tingress tcp 80 from 0.0.0.0/0\n"
		  "\tingress udp 53 from 0.0.0.0/0\n"
		  "\tegress tcp 0-65535 to 0.0.0.0/0\n",
		  "G", DIR_INGRESS, "tcp 80" },
		{ "udp all ports opposite: udp only",
		  "\tingress tcp 80 from 0.0.0.0/0\n"
		  "\tingress udp 53 from 0.0.0.0/0\n"
		  "\tegress udp 0-65535 to 0.0.0.0/0\n",
		  "G", DIR_INGRESS, "udp 53" },
		/* Protocol all counts for TCP and UDP, both ways. */
		{ "all both ways, inbound",
		  "\tingress all from 0.0.0.0/0\n",
		  "G", DIR_INGRESS, "tcp 0-65535, udp 0-65535" },
		{ "all both ways, outbound",
		  "\tingress all from 0.0.0.0/0\n",
		  "G", DIR_EGRESS, "tcp 0-65535, udp 0-65535" },
		{ "outbound 443 with all inbound",
		  "\tingress all from 0.0.0.0/0\n"
		  "\tegress tcp 443 to 0.0.0.0/0\n",
		  "G", DIR_EGRESS, "tcp 443" },
		/* Only ICMP and other protocols from anywhere: tracked. */
		{ "icmp and proto 47 from anywhere",
		  "\tingress icmp from 0.0.0.0/0\n"
		  "\tingress proto 47 from 0.0.0.0/0\n",
		  "G", DIR_INGRESS, "" },
		/* Peers that are not 0.0.0.0/0. */
		{ "group and block peers",
		  "\tingress tcp 80 from self\n"
		  "\tingress tcp 81 from 10.0.0.0/8\n",
		  "G", DIR_INGRESS, "" },
		/* Ranges are joined and sorted; a narrower rule on the same
		 * port does not make it tracked. */
		{ "ranges joined",
		  "\tingress tcp 200 from 0.0.0.0/0\n"
		  "\tingress tcp 85-100 from 0.0.0.0/0\n"
		  "\tingress tcp 80 from 0.0.0.0/0\n"
		  "\tingress tcp 80 from 10.0.0.0/8\n"
		  "\tingress tcp 81-84 from 0.0.0.0/0\n"
		  "\tingress udp 7 from 0.0.0.0/0\n",
		  "G", DIR_INGRESS, "tcp 80-100, tcp 200, udp 7" },
		/* The union of the ENI's groups: G has no outbound
		 * rule to anywhere, H has the default one. */
		{ "opposite rule in another group",
		  "\tingress tcp 80 from 0.0.0.0/0\n"
		  "\tegress tcp 443 to 10.0.0.0/8\n",
		  "G H", DIR_INGRESS, "tcp 80" },
		{ "opposite rule in no group",
		  "\tingress tcp 80 from 0.0.0.0/0\n"
		  "\tegress tcp 443 to 10.0.0.0/8\n",
		  "G", DIR_INGRESS, "" },
	};

	return cr_make_param_array(struct tr_case, p,
				   sizeof(p) / sizeof(p[0]));
}

ParameterizedTest(struct tr_case *p, tracking, classes)
{
	struct lab *lab = case_lab(p->rules, p->groups);
	char *got = untracked_text(eni_named(lab, "I"), p->dir);

	cr_expect_str_eq(got, p->want, "%s: got \"%s\", want \"%s\"", p->what,
			 got, p->want);
	free(got);
	lab_free(lab);
}

/* an interface endpoint's ENI tracks everything, under the same
 * groups that leave the instance's port 80 untracked. */
Test(tracking, endpoint_eni_tracks_everything)
{
	struct lab *lab = case_lab("\tingress all from 0.0.0.0/0\n", "G");
	const struct endpoint *ep = lab->endpoints[0];
	char *in = untracked_text(ep->enis[0], DIR_INGRESS);
	char *out = untracked_text(ep->enis[0], DIR_EGRESS);
	char *inst = untracked_text(eni_named(lab, "I"), DIR_INGRESS);

	cr_expect_str_eq(in, "");
	cr_expect_str_eq(out, "");
	cr_expect_str_eq(inst, "tcp 0-65535, udp 0-65535");
	free(in);
	free(out);
	free(inst);
	lab_free(lab);
}
