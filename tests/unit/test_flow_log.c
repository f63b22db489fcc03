/* test_flow_log.c - the flow-log kind (res/flow_log.c) and what it
 * changes in a router (nftgen.c, plan.c): parse and check, each wrong form
 * refused with its code and place; printed back; described in
 * DescribeFlowLogs' shape; which ENIs a flow log covers; NFLOG statements
 * on the drops and conntrack accounting only in routers of logged VPCs.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/describe.h"
#include "vpcemu/diag.h"
#include "vpcemu/model.h"
#include "vpcemu/nftgen.h"
#include "vpcemu/plan.h"
#include "vpcemu/print.h"
#include "vpcemu/util.h"

#include "helpers.h"

#define LAB                                                                   \
	"lab fl\n"                                                            \
	"vpc V { cidr 10.0.0.0/16 }\n"                                        \
	"vpc W { cidr 10.9.0.0/16 }\n"                                        \
	"subnet S { vpc V; cidr 10.0.1.0/24 }\n"                              \
	"subnet T { vpc V; cidr 10.0.2.0/24 }\n"                              \
	"subnet X { vpc W; cidr 10.9.1.0/24 }\n"                              \
	"instance A { subnet S; private-ip 10.0.1.10 }\n"                     \
	"instance B { subnet T; private-ip 10.0.2.10 }\n"                     \
	"instance C { subnet X; private-ip 10.9.1.10 }\n"                     \
	"network-acl N { vpc V; associate T; ingress 100 deny all from 0.0.0.0/0 }\n"
#define LAB_LINES 11	/* the next line's number */

static struct test_lab tl;

static void fl_fini(void)
{
	test_lab_free(&tl);
}

TestSuite(flow_log, .fini = fl_fini);

static void run(const char *text)
{
	test_lab_free(&tl);
	test_lab_text(&tl, "fl.conf", text, NULL, TEST_LAB_CHECK);
}

static const struct flow_log *fl(const char *name)
{
	return (const struct flow_log *)model_find(tl.lab, RES_FLOW_LOG, name);
}

static const struct eni *eni_of(const char *instance)
{
	return ((const struct instance *)model_find(tl.lab, RES_INSTANCE,
						   instance))->eni;
}

Test(flow_log, defaults_and_coverage)
{
	char *path;

	run(LAB "flow-log L { resource V }\n"
		"flow-log M { resource T; traffic reject; interval 1 }\n"
		"flow-log O { resource C; traffic accept }\n");
	cr_assert_eq(tl.d.n, 0, "%s", test_diags_text(&tl.d));
	cr_expect_eq(fl("L")->traffic, FLOW_ALL);
	cr_expect_eq(fl("L")->interval, 600);
	cr_expect_eq(fl("M")->interval, 1);
	path = flow_log_path(tl.lab, fl("L"));
	cr_expect_str_eq(path, "/var/log/vpcemu/fl/L.log");
	free(path);
	cr_expect(flow_log_covers(fl("L"), eni_of("A")));
	cr_expect(flow_log_covers(fl("L"), eni_of("B")));
	cr_expect_not(flow_log_covers(fl("L"), eni_of("C")));
	cr_expect_not(flow_log_covers(fl("M"), eni_of("A")));
	cr_expect(flow_log_covers(fl("M"), eni_of("B")));
	cr_expect(flow_log_covers(fl("O"), eni_of("C")));
	cr_expect_not(flow_log_covers(fl("O"), eni_of("A")));
}

/* block, the lab's last line, is refused with code at col (0: any); the
 * model refuses what a block says, check what it means (check). */
static void refused(const char *block, const char *code, unsigned col,
		    bool check)
{
	char *text = NULL;

	cr_assert(asprintf(&text, "%s%s\n", LAB, block) > 0);
	test_lab_free(&tl);
	test_lab_text(&tl, "fl.conf", text, NULL, check ? TEST_LAB_CHECK : 0);
	test_expect_one(&tl.d, code, LAB_LINES, col);
	free(text);
}

Test(flow_log, wrong_forms_refused)
{
	static const struct {
		const char *block, *code;
		bool check;
	} v[] = {
		{ "flow-log L { resource N }", "InvalidParameterValue", false },
		{ "flow-log L { resource Nope }", "InvalidParameterValue", false },
		{ "flow-log L { traffic all }", "MissingParameter", false },
		{ "flow-log L { resource V; traffic some }",
		  "InvalidParameterValue", false },
		{ "flow-log L { resource V; interval 0 }",
		  "InvalidParameterValue", false },
		{ "flow-log L { resource V; interval 601 }",
		  "InvalidParameterValue", false },
		{ "flow-log L { resource V; destination /etc/passwd }",
		  "InvalidParameterValue", true },
		{ "flow-log L { resource V; destination /var/log/vpcemu/../x }",
		  "InvalidParameterValue", true },
		{ "flow-log L { resource V; destination /var/log/vpcemu/ }",
		  "InvalidParameterValue", true },
		{ "flow-log L { resource V; destination /var/log/vpcemu//x }",
		  "InvalidParameterValue", true },
		{ "flow-log L { resource V; destination /var/log/vpcemu/fl//x }",
		  "InvalidParameterValue", true },
		/* Another lab's logs are not this lab's to write. */
		{ "flow-log L { resource V; destination /var/log/vpcemu/x.log }",
		  "InvalidParameterValue", true },
		{ "flow-log L { resource V; destination /var/log/vpcemu/other/x }",
		  "InvalidParameterValue", true },
		{ "flow-log L { resource V; destination /var/log/vpcemu/flx/x }",
		  "InvalidParameterValue", true },
		{ "flow-log L { resource V; format \"${version} ${bogus}\" }",
		  "InvalidParameter", true },
	};
	size_t i;
	const char *at;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		/* The column of the last attribute's value. */
		at = strrchr(v[i].block, ';');
		at = at ? strchr(at + 2, ' ') + 1 : v[i].block + 22;
		refused(v[i].block, v[i].code,
			strcmp(v[i].code, "MissingParameter")
				? (unsigned)(at - v[i].block) + 1
				: 0,
			v[i].check);
	}
}

Test(flow_log, same_resource_traffic_and_file_twice_refused)
{
	run(LAB "flow-log L { resource V }\nflow-log M { resource V; "
		"destination /var/log/vpcemu/fl/L.log }\n");
	test_expect_one(&tl.d, "FlowLogAlreadyExists", LAB_LINES + 1, 0);
	/* Another file, or another verdict, is another flow log. */
	run(LAB "flow-log L { resource V }\nflow-log M { resource V }\n"
		"flow-log O { resource V; traffic reject; destination "
		"/var/log/vpcemu/fl/L.log }\n");
	cr_expect_eq(tl.d.n, 0, "%s", test_diags_text(&tl.d));
}

Test(flow_log, prints_back)
{
	char *text;

	run(LAB "flow-log L { resource V }\n"
		"flow-log M { resource A; traffic reject; interval 60; "
		"destination /var/log/vpcemu/fl/m.log; format \"${srcaddr} "
		"${action}\" }\n");
	cr_assert_eq(tl.d.n, 0, "%s", test_diags_text(&tl.d));
	text = print_lab(tl.lab);
	cr_assert_not_null(text);
	cr_expect_not_null(strstr(text, "\nflow-log L {\n\tresource V\n}\n"),
			   "%s", text);
	cr_expect_not_null(strstr(text, "\nflow-log M {\n\tresource A\n"
					"\ttraffic reject\n\tinterval 60\n"
					"\tdestination /var/log/vpcemu/fl/m.log\n"
					"\tformat \"${srcaddr} ${action}\"\n}\n"),
			   "%s", text);
	free(text);
}

Test(flow_log, described_as_describe_flow_logs)
{
	json_t *o, *f;

	run(LAB "flow-log M { resource A; traffic reject; interval 60 }\n");
	cr_assert_eq(tl.d.n, 0, "%s", test_diags_text(&tl.d));
	o = describe_lab(tl.lab, "flow-logs");
	cr_assert_not_null(o);
	f = json_array_get(json_object_get(o, "FlowLogs"), 0);
	cr_assert_not_null(f);
	cr_expect_str_eq(json_string_value(json_object_get(f, "FlowLogId")),
			 fl("M")->r.id);
	cr_expect_eq(strncmp(fl("M")->r.id, "fl-", 3), 0);
	cr_expect_str_eq(json_string_value(json_object_get(f, "ResourceId")),
			 model_find(tl.lab, RES_INSTANCE, "A")->id);
	cr_expect_str_eq(json_string_value(json_object_get(f, "TrafficType")),
			 "REJECT");
	cr_expect_eq(json_integer_value(json_object_get(
			     f, "MaxAggregationInterval")), 60);
	cr_expect_str_eq(json_string_value(json_object_get(f, "LogDestination")),
			 "/var/log/vpcemu/fl/M.log");
	cr_expect_str_eq(json_string_value(json_object_get(f, "LogFormat")),
			 "${version} ${account-id} ${interface-id} ${srcaddr} "
			 "${dstaddr} ${srcport} ${dstport} ${protocol} "
			 "${packets} ${bytes} ${start} ${end} ${action} "
			 "${log-status}");
	json_decref(o);
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (; (s = strstr(s, what)); s++)
		n++;
	return n;
}

/* Every drop of an ACL or group chain logs, with the side of the ENI
 * whose rules dropped it; no other drop does; an unlogged VPC's router
 * logs nothing. */
Test(flow_log, nflog_on_acl_and_group_drops_of_logged_routers_only)
{
	char *v, *w;

	run(LAB "flow-log L { resource A }\n");
	cr_assert_eq(tl.d.n, 0, "%s", test_diags_text(&tl.d));
	v = nftgen_router(tl.lab, tl.lab->vpcs[0]);
	w = nftgen_router(tl.lab, tl.lab->vpcs[1]);
	cr_assert(v && w);
	/* Two subnets: outbound and inbound "*"; N's deny entry; one
	 * egress and one ingress gate (A and B share the default group). */
	cr_expect_eq(count(v, "log prefix \"o\" group 14 drop comment \"rule *\""),
		     2, "%s", v);
	cr_expect_eq(count(v, "log prefix \"i\" group 14 drop comment \"rule *\""),
		     2, "%s", v);
	cr_expect_eq(count(v, "log prefix \"i\" group 14 drop comment \"rule 100\""),
		     1, "%s", v);
	cr_expect_eq(count(v, "\t\tlog prefix \"o\" group 14 drop\n"), 1, "%s", v);
	cr_expect_eq(count(v, "\t\tlog prefix \"i\" group 14 drop\n"), 1, "%s", v);
	cr_expect_eq(count(v, "log prefix"), 7, "%s", v);
	cr_expect_null(strstr(w, "log "), "%s", w);
	free(v);
	free(w);
}

/* The value plan gives nf_conntrack_acct in netns, or NULL. */
static const char *acct(const struct plan *p, const char *netns)
{
	size_t i;

	for (i = 0; i < p->nsysctls; i++)
		if (!strcmp(p->ns[p->sysctls[i].ns].name, netns) &&
		    !strcmp(p->sysctls[i].path,
			    "net/netfilter/nf_conntrack_acct"))
			return p->sysctls[i].value;
	return NULL;
}

/* On where a flow log covers an ENI; written off elsewhere, so that a
 * deleted flow log leaves no accounting behind (diff leaves a sysctl
 * the plan no longer has as it is). */
Test(flow_log, conntrack_accounting_only_in_logged_routers)
{
	struct plan *p;

	run(LAB "flow-log L { resource S }\n");
	cr_assert_eq(tl.d.n, 0, "%s", test_diags_text(&tl.d));
	p = plan_build(tl.lab);
	cr_assert_not_null(p);
	cr_expect_str_eq(acct(p, "fl-V"), "1");
	cr_expect_str_eq(acct(p, "fl-W"), "0");
	plan_free(p);
}
