/* test_ec2.c - the AWS-shaped imperative commands (ec2.h): each command's
 * success and its AWS error, the peering lifecycle of aws-semantics.md §6.1
 * with every InvalidStateTransition and expiry on a test clock, and after
 * every successful change a model that checks clean and survives print →
 * reparse. Ends with the hands-on walk-through as commands, planned. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/describe.h"
#include "vpcemu/ec2.h"
#include "vpcemu/iam.h"
#include "vpcemu/model.h"
#include "vpcemu/plan.h"
#include "vpcemu/print.h"

#define T0 ((time_t)1700000000)

/* Two peerable VPCs with subnets, tables, groups, an ACL and instances;
 * no peering and no route. VPC-C overlaps VPC-A; VPC-D is a third. */
static const char base_lab[] =
	"lab walk\n"
	"region ap-northeast-1\n"
	"vpc VPC-A { cidr 10.1.0.0/16 }\n"
	"vpc VPC-B { cidr 10.2.0.0/16 }\n"
	"vpc VPC-C { cidr 10.1.0.0/16 }\n"
	"vpc VPC-D { cidr 10.4.0.0/16 }\n"
	"subnet SA { vpc VPC-A; cidr 10.1.1.0/24 }\n"
	"subnet SA2 { vpc VPC-A; cidr 10.1.2.0/24 }\n"
	"subnet SB { vpc VPC-B; cidr 10.2.1.0/24 }\n"
	"route-table RT-A { vpc VPC-A; associate SA }\n"
	"route-table RT-A2 { vpc VPC-A }\n"
	"route-table RT-B { vpc VPC-B; associate SB }\n"
	"security-group SG-A { vpc VPC-A; description \"a\" }\n"
	"security-group SG-B { vpc VPC-B; description \"b\" }\n"
	"network-acl ACL-A { vpc VPC-A; associate SA2 }\n"
	"instance EC2-A { subnet SA; private-ip 10.1.1.10; security-groups SG-A }\n"
	"instance EC2-B { subnet SB; private-ip 10.2.1.10; security-groups SG-B }\n";

static struct test_lab tl;
static struct ec2_state st;
static struct ec2_clock clk = { T0 };
static json_t *out;
/* The last command's error: ec2_run queues it in errs. */
static struct diags errs;
static struct {
	const char *code, *message;
} err;

/* ec2_run, or iam_run (the same shape). */
typedef int (*service_fn)(struct lab *lab, struct ec2_state *st, int argc,
			  char **argv, const struct ec2_clock *clock,
			  json_t **ret_output, struct diags *err);
static service_fn service = ec2_run;

static int run_ec2(int argc, char **argv)
{
	const struct diag *first;
	int r;

	diags_free(&errs);
	r = service(tl.lab, &st, argc, argv, &clk, &out, &errs);
	first = diag_first_error(&errs);
	err.code = first ? first->code : "";
	err.message = first ? first->message : "";
	return r;
}

static void setup(void)
{
	memset(&st, 0, sizeof(st));
	clk.now = T0;
	out = NULL;
	test_lab_text(&tl, "walk.conf", base_lab, NULL,
		      TEST_LAB_CHECK | TEST_LAB_CLEAN);
}

static void teardown(void)
{
	diags_free(&errs);
	json_decref(out);
	out = NULL;
	test_lab_free(&tl);
	ec2_state_free(&st);
}

TestSuite(ec2, .init = setup, .fini = teardown);

/* The model checks clean and prints to text that reparses to the same
 * text. */
static void assert_sound(struct lab *lab)
{
	struct test_lab t2 = { 0 };
	struct diags d = { 0 };
	char *a, *b;
	size_t i;

	check_lab(lab, &d);
	for (i = 0; i < d.n; i++)
		cr_assert(d.v[i].severity != DIAG_ERROR, "check: %s: %s",
			  d.v[i].code, d.v[i].message);
	diags_free(&d);
	a = print_lab(lab);
	cr_assert(a, "print_lab failed");
	test_lab_text(&t2, "again.conf", a, NULL,
		      TEST_LAB_CHECK | TEST_LAB_ANY);
	cr_assert_eq(t2.d.nerrors, 0, "reparse: %s", a);
	b = print_lab(t2.lab);
	cr_assert(b);
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
	test_lab_free(&t2);
}

/* Runs "cmd word word ..." (no quoting; JSON goes through runv). */
static int runs(const char *line)
{
	char *copy = strdup(line), *save = NULL, *w;
	char *argv[64];
	int argc = 0, r;

	cr_assert(copy);
	for (w = strtok_r(copy, " ", &save); w && argc < 63;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	json_decref(out);
	out = NULL;
	r = run_ec2(argc, argv);
	if (!r) {
		cr_assert(out, "%s: no output", line);
		assert_sound(tl.lab);
	} else {
		cr_assert_null(out);
	}
	free(copy);
	return r;
}

static int runv(const char *first, ...)
{
	char *argv[32];
	int argc = 0, r;
	va_list ap;
	const char *w;

	va_start(ap, first);
	for (w = first; w && argc < 31; w = va_arg(ap, const char *))
		argv[argc++] = (char *)w;
	va_end(ap);
	argv[argc] = NULL;
	json_decref(out);
	out = NULL;
	r = run_ec2(argc, argv);
	if (!r)
		assert_sound(tl.lab);
	return r;
}

static void ok(const char *line)
{
	int r = runs(line);

	cr_assert_eq(r, 0, "%s: %d %s: %s", line, r, err.code, err.message);
}

static void fails(const char *line, const char *code, const char *msg)
{
	int r = runs(line);

	cr_assert_neq(r, 0, "%s: succeeded", line);
	cr_assert_str_eq(err.code, code, "%s: %s: %s", line, err.code,
			 err.message);
	if (msg)
		cr_assert_str_eq(err.message, msg, "%s", line);
}

static const char *jpath(const json_t *j, const char *path)
{
	char buf[256], *save = NULL, *k;
	const json_t *x = j;

	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k && x;
	     k = strtok_r(NULL, ".", &save)) {
		if (k[0] >= '0' && k[0] <= '9')
			x = json_array_get(x, (size_t)atoi(k));
		else
			x = json_object_get(x, k);
	}
	return json_string_value(x);
}

static struct peering *pcx(const char *name)
{
	struct peering *p = (struct peering *)model_find(tl.lab, RES_PEERING,
							 name);

	cr_assert(p, "no peering %s", name);
	return p;
}

static const char *pcx_status(const char *name)
{
	return ec2_status_code(ec2_peering_status(&st, pcx(name)));
}

/* ---- Peering lifecycle (§6.1, R-6.2) ---------------------------------- */

Test(ec2, create_pending_then_accept)
{
	ok("create-vpc-peering-connection --vpc-id VPC-A --peer-vpc-id VPC-B");
	cr_assert_str_eq(jpath(out, "VpcPeeringConnection.Status.Code"),
			 "initiating-request");
	cr_assert_str_eq(jpath(out, "VpcPeeringConnection.RequesterVpcInfo.CidrBlock"),
			 "10.1.0.0/16");
	cr_assert_str_eq(jpath(out, "VpcPeeringConnection.AccepterVpcInfo.VpcId"),
			 model_find(tl.lab, RES_VPC, "VPC-B")->id);
	cr_assert_str_eq(pcx_status("VPC-A-to-VPC-B"), "pending-acceptance");
	ok("accept-vpc-peering-connection --vpc-peering-connection-id VPC-A-to-VPC-B");
	cr_assert_str_eq(jpath(out, "VpcPeeringConnection.Status.Code"),
			 "provisioning");
	cr_assert_str_eq(pcx_status("VPC-A-to-VPC-B"), "active");
	cr_assert_eq(pcx("VPC-A-to-VPC-B")->status, PEERING_ACTIVE);
	/* By ID as well. */
	fails("accept-vpc-peering-connection --vpc-peering-connection-id pcx-0000000000000000a",
	      "InvalidVpcPeeringConnectionID.NotFound",
	      "The vpcPeeringConnection ID 'pcx-0000000000000000a' does not exist");
}

Test(ec2, already_exists_and_self)
{
	ok("create-vpc-peering-connection --vpc-id VPC-A --peer-vpc-id VPC-B");
	fails("create-vpc-peering-connection --vpc-id VPC-B --peer-vpc-id VPC-A",
	      "VpcPeeringConnectionAlreadyExists", NULL);
	fails("create-vpc-peering-connection --vpc-id VPC-A --peer-vpc-id VPC-A",
	      "InvalidParameterValue", NULL);
	fails("create-vpc-peering-connection --vpc-id VPC-A --peer-vpc-id vpc-nope",
	      "InvalidVpcID.NotFound", NULL);
	fails("create-vpc-peering-connection --vpc-id VPC-A",
	      "MissingParameter", NULL);
	fails("create-vpc-peering-connection --vpc-id VPC-A --peer-vpc-id VPC-D --peer-region us-west-2",
	      "InvalidVpcID.NotFound", NULL);
	/* Once that one is gone, the pair may be peered anew. */
	ok("delete-vpc-peering-connection --vpc-peering-connection-id VPC-A-to-VPC-B");
	ok("create-vpc-peering-connection --vpc-id VPC-B --peer-vpc-id VPC-A");
	cr_assert_str_eq(pcx_status("VPC-B-to-VPC-A"), "pending-acceptance");
}

Test(ec2, named_by_tag)
{
	cr_assert_eq(runv("create-vpc-peering-connection", "--vpc-id", "VPC-A",
			  "--peer-vpc-id", "VPC-D", "--tag-specifications",
			  "ResourceType=vpc-peering-connection,Tags=[{Key=Name,Value=A-D}]",
			  NULL), 0, "%s", err.message);
	cr_assert_str_eq(pcx_status("A-D"), "pending-acceptance");
}

Test(ec2, overlap_fails)
{
	ok("create-vpc-peering-connection --vpc-id VPC-A --peer-vpc-id VPC-C");
	cr_assert_str_eq(pcx_status("VPC-A-to-VPC-C"), "failed");
	fails("accept-vpc-peering-connection --vpc-peering-connection-id VPC-A-to-VPC-C",
	      "InvalidStateTransition", NULL);
	cr_assert(strstr(err.message, "from failed to provisioning"));
	fails("reject-vpc-peering-connection --vpc-peering-connection-id VPC-A-to-VPC-C",
	      "InvalidStateTransition", NULL);
	fails("delete-vpc-peering-connection --vpc-peering-connection-id VPC-A-to-VPC-C",
	      "InvalidStateTransition", NULL);
	cr_assert(strstr(err.message, "from failed to deleting"));
}

/* Every transition out of a state, as (command, expected code or NULL). */
static void transitions_from(const char *status, bool accept_ok,
			     bool reject_ok, bool delete_ok)
{
	static const char *const cmds[] = {
		"accept-vpc-peering-connection",
		"reject-vpc-peering-connection",
		"delete-vpc-peering-connection",
	};
	static const char *const to[] = { "provisioning", "rejected",
					   "deleting" };
	bool okv[3] = { accept_ok, reject_ok, delete_ok };
	char line[160], msg[200];
	size_t i;

	for (i = 0; i < 3; i++) {
		if (okv[i])
			continue;
		snprintf(line, sizeof(line),
			 "%s --vpc-peering-connection-id P", cmds[i]);
		snprintf(msg, sizeof(msg),
			 "Invalid state transition for %s, attempted to transition from %s to %s",
			 pcx("P")->r.id, status, to[i]);
		fails(line, "InvalidStateTransition", msg);
		cr_assert_str_eq(pcx_status("P"), status);
	}
}

static void make_p(void)
{
	cr_assert_eq(runv("create-vpc-peering-connection", "--vpc-id", "VPC-A",
			  "--peer-vpc-id", "VPC-B", "--tag-specifications",
			  "[{\"ResourceType\":\"vpc-peering-connection\",\"Tags\":[{\"Key\":\"Name\",\"Value\":\"P\"}]}]",
			  NULL), 0, "%s", err.message);
}

Test(ec2, lifecycle_table)
{
	/* pending-acceptance: all three allowed; try each on a fresh one. */
	make_p();
	ok("reject-vpc-peering-connection --vpc-peering-connection-id P");
	cr_assert_eq(json_is_true(json_object_get(out, "Return")), 1);
	cr_assert_str_eq(pcx_status("P"), "rejected");
	transitions_from("rejected", false, false, false);
}

Test(ec2, lifecycle_deleted_from_pending)
{
	make_p();
	ok("delete-vpc-peering-connection --vpc-peering-connection-id P");
	cr_assert_str_eq(pcx_status("P"), "deleted");
	/* The model holds the printable stand-in. */
	cr_assert_eq(pcx("P")->status, PEERING_REJECTED);
	transitions_from("deleted", false, false, false);
}

Test(ec2, lifecycle_active)
{
	make_p();
	ok("accept-vpc-peering-connection --vpc-peering-connection-id P");
	transitions_from("active", false, false, true);
	ok("delete-vpc-peering-connection --vpc-peering-connection-id P");
	cr_assert_str_eq(pcx_status("P"), "deleted");
	transitions_from("deleted", false, false, false);
}

Test(ec2, lifecycle_expired)
{
	json_t *j;

	make_p();
	clk.now = T0 + EC2_PEERING_EXPIRY - 1;
	cr_assert_eq(ec2_tick(tl.lab, &st, &clk), 0);
	cr_assert_str_eq(pcx_status("P"), "pending-acceptance");
	clk.now = T0 + EC2_PEERING_EXPIRY;
	cr_assert_eq(ec2_tick(tl.lab, &st, &clk), 1);
	cr_assert_str_eq(pcx_status("P"), "expired");
	assert_sound(tl.lab);
	transitions_from("expired", false, false, false);
	/* Shown for two days, then gone. */
	j = describe_lab_state(tl.lab, &st, "vpc-peering-connections",
			       clk.now + 3600);
	cr_assert_eq(json_array_size(json_object_get(j, "VpcPeeringConnections")), 1);
	cr_assert_str_eq(jpath(j, "VpcPeeringConnections.0.Status.Code"),
			 "expired");
	json_decref(j);
	j = describe_lab_state(tl.lab, &st, "vpc-peering-connections",
			       clk.now + 3 * 86400);
	cr_assert_eq(json_array_size(json_object_get(j, "VpcPeeringConnections")), 0);
	json_decref(j);
}

Test(ec2, expiry_through_run_and_state_json)
{
	struct ec2_state st2 = { 0 };
	json_t *j;

	make_p();
	j = ec2_state_to_json(&st);
	cr_assert(j);
	cr_assert_eq(ec2_state_from_json(&st2, j), 0);
	json_decref(j);
	cr_assert_eq(st2.n, 1);
	cr_assert_eq(st2.v[0].created, T0);
	/* The daemon restarts with the saved table; a week later the
	 * accept finds the peering expired. */
	ec2_state_free(&st);
	st = st2;
	clk.now = T0 + 8 * 86400;
	fails("accept-vpc-peering-connection --vpc-peering-connection-id P",
	      "InvalidStateTransition", NULL);
	cr_assert(strstr(err.message, "from expired to provisioning"));
	j = ec2_state_to_json(&st);
	cr_assert_str_eq(jpath(j, "peerings.0.status"), "expired");
	json_decref(j);
	j = json_pack("{s:[{s:s}]}", "peerings", "id", "pcx-1");
	cr_assert_eq(ec2_state_from_json(&st2, j), -EINVAL);
	json_decref(j);
}

/* ---- Routes (§3) ------------------------------------------------------- */

Test(ec2, routes)
{
	json_t *j;

	make_p();
	ok("create-route --route-table-id RT-A --destination-cidr-block 10.2.0.0/16 --vpc-peering-connection-id P");
	cr_assert(json_is_true(json_object_get(out, "Return")));
	/* pending: blackhole. */
	j = describe_lab_state(tl.lab, &st, "route-tables", clk.now);
	cr_assert_str_eq(jpath(j, "RouteTables.0.Routes.1.State"), "blackhole");
	cr_assert_str_eq(jpath(j, "RouteTables.0.Routes.0.GatewayId"), "local");
	json_decref(j);
	fails("create-route --route-table-id RT-A --destination-cidr-block 10.2.0.0/16 --vpc-peering-connection-id P",
	      "RouteAlreadyExists",
	      "The route identified by 10.2.0.0/16 already exists.");
	fails("create-route --route-table-id RT-A --destination-cidr-block 10.5.0.0/16",
	      "MissingParameter", NULL);
	fails("create-route --route-table-id RT-A --destination-cidr-block 10.5.0.0/16 --vpc-peering-connection-id P --instance-id EC2-A",
	      "InvalidParameterCombination", NULL);
	fails("create-route --route-table-id rtb-nope --destination-cidr-block 10.5.0.0/16 --vpc-peering-connection-id P",
	      "InvalidRouteTableID.NotFound", NULL);
	fails("create-route --route-table-id RT-A --destination-cidr-block 10.5.0.0/33 --vpc-peering-connection-id P",
	      "InvalidParameterValue", NULL);
	fails("create-route --route-table-id RT-A --destination-cidr-block 10.5.0.0/16 --vpc-peering-connection-id pcx-nope",
	      "InvalidVpcPeeringConnectionID.NotFound", NULL);
	/* The implicit main table cannot be written. */
	fails("create-route --route-table-id VPC-B.main --destination-cidr-block 10.1.0.0/16 --vpc-peering-connection-id P",
	      "Vpcemu.Unsupported", NULL);
	/* through check_lab. */
	fails("create-route --route-table-id RT-A --destination-cidr-block 10.1.5.0/24 --vpc-peering-connection-id P",
	      "InvalidParameterValue", NULL);
	ok("create-route --route-table-id RT-A --destination-cidr-block 10.9.0.0/16 --instance-id EC2-A");
	ok("replace-route --route-table-id RT-A --destination-cidr-block 10.9.0.0/16 --vpc-peering-connection-id P");
	cr_assert_eq(tl.lab->route_tables[0]->routes[1].target->kind,
		     RES_PEERING);
	fails("replace-route --route-table-id RT-A --destination-cidr-block 10.8.0.0/16 --vpc-peering-connection-id P",
	      "InvalidRoute.NotFound", NULL);
	ok("delete-route --route-table-id RT-A --destination-cidr-block 10.9.0.0/16");
	fails("delete-route --route-table-id RT-A --destination-cidr-block 10.9.0.0/16",
	      "InvalidRoute.NotFound", NULL);
	fails("delete-route --route-table-id RT-A --destination-cidr-block 10.1.0.0/16",
	      "InvalidParameterValue", NULL);
	{
		char msg[128];

		snprintf(msg, sizeof(msg),
			 "cannot remove local route 10.1.0.0/16 in route table %s",
			 model_find(tl.lab, RES_ROUTE_TABLE, "RT-A")->id);
		cr_assert_str_eq(err.message, msg);
	}
	fails("create-route --route-table-id RT-A --destination-cidr-block 10.7.0.0/16 --vpc-peering-connection-id P --bogus x",
	      "InvalidParameter", NULL);
}

Test(ec2, route_to_deleted_peering_is_blackhole)
{
	json_t *j;

	make_p();
	ok("accept-vpc-peering-connection --vpc-peering-connection-id P");
	ok("create-route --route-table-id RT-A --destination-cidr-block 10.2.0.0/16 --vpc-peering-connection-id P");
	j = describe_lab_state(tl.lab, &st, "route-tables", clk.now);
	cr_assert_str_eq(jpath(j, "RouteTables.0.Routes.1.State"), "active");
	json_decref(j);
	ok("delete-vpc-peering-connection --vpc-peering-connection-id P");
	j = describe_lab_state(tl.lab, &st, "route-tables", clk.now);
	cr_assert_str_eq(jpath(j, "RouteTables.0.Routes.1.State"), "blackhole");
	cr_assert_str_eq(jpath(j, "RouteTables.0.Routes.1.VpcPeeringConnectionId"),
			 pcx("P")->r.id);
	json_decref(j);
}

Test(ec2, associate_route_table)
{
	struct subnet *sa;
	json_t *j;

	ok("associate-route-table --route-table-id RT-A2 --subnet-id SA");
	cr_assert(!strncmp(jpath(out, "AssociationId"), "rtbassoc-", 9));
	cr_assert_str_eq(jpath(out, "AssociationState.State"), "associated");
	sa = (struct subnet *)model_find(tl.lab, RES_SUBNET, "SA");
	cr_assert_str_eq(sa->rt->r.name, "RT-A2");
	cr_assert_eq(((struct route_table *)model_find(tl.lab, RES_ROUTE_TABLE,
							"RT-A"))->nassoc, 0);
	fails("associate-route-table --route-table-id RT-A2 --subnet-id SA",
	      "Resource.AlreadyAssociated", NULL);
	fails("associate-route-table --route-table-id RT-B --subnet-id SA",
	      "InvalidParameterValue", NULL);
	fails("associate-route-table --route-table-id RT-A --subnet-id subnet-nope",
	      "InvalidSubnetID.NotFound", NULL);
	/* Describe's association ID disassociates. */
	j = describe_lab(tl.lab, "route-tables");
	{
		size_t i;
		const json_t *t;
		const char *id = NULL;

		json_array_foreach(json_object_get(j, "RouteTables"), i, t)
			if (!strcmp(json_string_value(json_object_get(t, "RouteTableId")),
				    sa->rt->r.id))
				id = jpath(t, "Associations.0.RouteTableAssociationId");
		cr_assert(id);
		cr_assert_eq(runv("disassociate-route-table", "--association-id",
				  id, NULL), 0, "%s", err.message);
	}
	json_decref(j);
	sa = (struct subnet *)model_find(tl.lab, RES_SUBNET, "SA");
	cr_assert_str_eq(sa->rt->r.name, "VPC-A.main");
	/* Back to the main table explicitly: no written association. */
	ok("associate-route-table --route-table-id RT-A --subnet-id SA");
	ok("associate-route-table --route-table-id VPC-A.main --subnet-id SA");
	sa = (struct subnet *)model_find(tl.lab, RES_SUBNET, "SA");
	cr_assert_str_eq(sa->rt->r.name, "VPC-A.main");
}

/* ---- Security groups (§4) ---------------------------------------------- */

Test(ec2, sg_rules)
{
	struct sg *g;

	ok("authorize-security-group-ingress --group-id SG-A --protocol tcp --port 22 --cidr 10.1.0.0/16");
	cr_assert(json_is_true(json_object_get(out, "Return")));
	cr_assert(!strncmp(jpath(out, "SecurityGroupRules.0.SecurityGroupRuleId"),
			   "sgr-", 4));
	cr_assert_str_eq(jpath(out, "SecurityGroupRules.0.CidrIpv4"),
			 "10.1.0.0/16");
	fails("authorize-security-group-ingress --group-id SG-A --protocol tcp --port 22 --cidr 10.1.0.0/16",
	      "InvalidPermission.Duplicate",
	      "the specified rule \"peer: 10.1.0.0/16, TCP, from port: 22, to port: 22, ALLOW\" already exists");
	cr_assert_eq(runv("authorize-security-group-ingress", "--group-id", "SG-A",
			  "--ip-permissions",
			  "[{\"IpProtocol\":\"icmp\",\"FromPort\":-1,\"ToPort\":-1,"
			  "\"IpRanges\":[{\"CidrIp\":\"10.2.0.0/16\",\"Description\":\"ping\"}]},"
			  "{\"IpProtocol\":\"tcp\",\"FromPort\":1024,\"ToPort\":65535,"
			  "\"UserIdGroupPairs\":[{\"GroupId\":\"SG-A\"}]}]",
			  NULL), 0, "%s: %s", err.code, err.message);
	g = (struct sg *)model_find(tl.lab, RES_SG, "SG-A");
	cr_assert_eq(g->nrules, 4);	/* 3 ingress + default egress */
	cr_assert_eq(g->rules[3].dir, DIR_EGRESS);
	ok("revoke-security-group-ingress --group-id SG-A --protocol tcp --port 22 --cidr 10.1.0.0/16");
	fails("revoke-security-group-ingress --group-id SG-A --protocol tcp --port 22 --cidr 10.1.0.0/16",
	      "InvalidPermission.NotFound",
	      "The specified rule does not exist in this security group.");
	/* Egress: revoke the default rule, then nothing gets out. */
	cr_assert_eq(runv("revoke-security-group-egress", "--group-id", "SG-A",
			  "--ip-permissions",
			  "[{\"IpProtocol\":\"-1\",\"IpRanges\":[{\"CidrIp\":\"0.0.0.0/0\"}]}]",
			  NULL), 0, "%s: %s", err.code, err.message);
	g = (struct sg *)model_find(tl.lab, RES_SG, "SG-A");
	cr_assert(g->egress_none);
	ok("authorize-security-group-egress --group-id SG-A --protocol tcp --port 443 --cidr 0.0.0.0/0");
	g = (struct sg *)model_find(tl.lab, RES_SG, "SG-A");
	cr_assert(!g->egress_none);
	fails("authorize-security-group-ingress --group-id VPC-A.default --protocol tcp --port 22 --cidr 10.0.0.0/8",
	      "Vpcemu.Unsupported", NULL);
	fails("authorize-security-group-ingress --group-id sg-nope --protocol tcp --port 22 --cidr 10.0.0.0/8",
	      "InvalidGroup.NotFound", NULL);
	/* through check_lab: a group of an unpeered VPC. */
	fails("authorize-security-group-ingress --group-id SG-A --protocol icmp --port -1 --source-group SG-B",
	      "InvalidGroup.NotFound", NULL);
	fails("authorize-security-group-ingress --group-id SG-A --protocol tcp --port 22",
	      "InvalidParameterCombination", NULL);
}

/* ---- Network ACLs (§5) ------------------------------------------------- */

Test(ec2, nacl_entries)
{
	struct nacl *n;
	json_t *j;

	ok("create-network-acl-entry --network-acl-id ACL-A --rule-number 100 --protocol tcp --rule-action allow --ingress --cidr-block 10.0.0.0/8 --port-range From=22,To=22");
	ok("create-network-acl-entry --network-acl-id ACL-A --rule-number 50 --protocol icmp --rule-action deny --ingress --cidr-block 0.0.0.0/0 --icmp-type-code Type=8,Code=-1");
	ok("create-network-acl-entry --network-acl-id ACL-A --rule-number 100 --protocol -1 --rule-action allow --egress --cidr-block 0.0.0.0/0");
	fails("create-network-acl-entry --network-acl-id ACL-A --rule-number 100 --protocol -1 --rule-action allow --ingress --cidr-block 0.0.0.0/0",
	      "NetworkAclEntryAlreadyExists",
	      "The network acl entry identified by 100 already exists.");
	n = (struct nacl *)model_find(tl.lab, RES_NACL, "ACL-A");
	cr_assert_eq(n->nentries, 3);
	cr_assert_eq(n->entries[0].number, 50);
	cr_assert_eq(n->entries[0].proto.icmp_type, 8);
	j = describe_lab(tl.lab, "network-acls");
	cr_assert_str_eq(jpath(j, "NetworkAcls.0.Entries.0.Protocol"), "-1");
	json_decref(j);
	ok("replace-network-acl-entry --network-acl-id ACL-A --rule-number 100 --protocol udp --rule-action deny --ingress --cidr-block 10.0.0.0/8 --port-range From=53,To=53");
	ok("delete-network-acl-entry --network-acl-id ACL-A --rule-number 100 --ingress");
	fails("delete-network-acl-entry --network-acl-id ACL-A --rule-number 100 --ingress",
	      "InvalidNetworkAclEntry.NotFound", NULL);
	fails("create-network-acl-entry --network-acl-id ACL-A --rule-number 32767 --protocol -1 --rule-action allow --cidr-block 0.0.0.0/0",
	      "InvalidParameterValue", NULL);
	fails("create-network-acl-entry --network-acl-id VPC-A.default-acl --rule-number 10 --protocol -1 --rule-action deny --cidr-block 0.0.0.0/0",
	      "Vpcemu.Unsupported", NULL);
	fails("create-network-acl-entry --network-acl-id acl-nope --rule-number 10 --protocol -1 --rule-action deny --cidr-block 0.0.0.0/0",
	      "InvalidNetworkAclID.NotFound", NULL);
	fails("create-network-acl-entry --network-acl-id ACL-A --rule-number 10 --protocol -1 --rule-action maybe --cidr-block 0.0.0.0/0",
	      "InvalidParameterValue", NULL);
}

/* ---- VPC attributes (R-1.11) ------------------------------------------- */

Test(ec2, modify_vpc_attribute)
{
	cr_assert_eq(runv("modify-vpc-attribute", "--vpc-id", "VPC-A",
			  "--enable-dns-hostnames", "{\"Value\":true}", NULL),
		     0, "%s", err.message);
	cr_assert(((struct vpc *)model_find(tl.lab, RES_VPC, "VPC-A"))->dns_hostnames);
	fails("modify-vpc-attribute --vpc-id VPC-A --no-enable-dns-support",
	      "InvalidParameterValue", NULL);
	fails("modify-vpc-attribute --vpc-id VPC-A --enable-dns-support --enable-dns-hostnames",
	      "InvalidParameterCombination", NULL);
	fails("modify-vpc-attribute --vpc-id VPC-A", "MissingParameter", NULL);
	ok("modify-vpc-attribute --vpc-id VPC-B --no-enable-dns-support");
	cr_assert(!((struct vpc *)model_find(tl.lab, RES_VPC, "VPC-B"))->dns_support);
	fails("modify-vpc-attribute --vpc-id VPC-B --enable-dns-hostnames",
	      "InvalidParameterValue", NULL);
}

/* ---- Instances --------------------------------------------------------- */

Test(ec2, run_and_terminate)
{
	struct instance *in;

	cr_assert_eq(runv("run-instances", "--subnet-id", "SA",
			  "--security-group-ids", "SG-A",
			  "--private-ip-address", "10.1.1.20",
			  "--tag-specifications",
			  "ResourceType=instance,Tags=[{Key=Name,Value=EC2-C}]",
			  NULL), 0, "%s: %s", err.code, err.message);
	cr_assert_str_eq(jpath(out, "Instances.0.PrivateIpAddress"),
			 "10.1.1.20");
	in = (struct instance *)model_find(tl.lab, RES_INSTANCE, "EC2-C");
	cr_assert(in);
	cr_assert(in->eni);
	cr_assert_str_eq(jpath(out, "Instances.0.InstanceId"), in->r.id);
	/* No name, no address, no group: generated, lowest free, default. */
	ok("run-instances --subnet-id SA");
	in = (struct instance *)model_find(tl.lab, RES_INSTANCE, "instance");
	cr_assert(in);
	cr_assert_eq(in->private_ip, (10u << 24) | (1u << 16) | (1u << 8) | 4u);
	cr_assert_str_eq(in->sgs[0]->r.name, "VPC-A.default");
	ok("run-instances --subnet-id SA");
	cr_assert(model_find(tl.lab, RES_INSTANCE, "instance-2"));
	fails("run-instances --subnet-id SA --private-ip-address 10.1.1.10",
	      "InvalidIPAddress.InUse", NULL);
	fails("run-instances --subnet-id SA --private-ip-address 10.1.1.1",
	      "InvalidParameterValue",
	      NULL);
	fails("run-instances --subnet-id SA --security-group-ids SG-B",
	      "InvalidGroup.NotFound", NULL);
	fails("run-instances --subnet-id subnet-nope", "InvalidSubnetID.NotFound",
	      NULL);
	ok("terminate-instances --instance-ids EC2-C instance");
	cr_assert_str_eq(jpath(out, "TerminatingInstances.1.CurrentState.Name"),
			 "shutting-down");
	cr_assert_null(model_find(tl.lab, RES_INSTANCE, "EC2-C"));
	fails("terminate-instances --instance-ids EC2-C",
	      "InvalidInstanceID.NotFound", NULL);
}

Test(ec2, terminate_route_target_blackhole)
{
	json_t *j;

	ok("run-instances --subnet-id SA --tag-specifications ResourceType=instance,Tags=[{Key=Name,Value=NAT}]");
	ok("create-route --route-table-id RT-A --destination-cidr-block 0.0.0.0/0 --instance-id NAT");
	ok("terminate-instances --instance-ids NAT");
	j = describe_lab(tl.lab, "route-tables");
	cr_assert_str_eq(jpath(j, "RouteTables.0.Routes.1.State"), "blackhole");
	json_decref(j);
}

Test(ec2, unknown_and_describe)
{
	fails("create-egress-only-internet-gateway", "InvalidAction", NULL);
	ok("describe-vpcs");
	cr_assert_eq(json_array_size(json_object_get(out, "Vpcs")), 4);
	cr_assert(ec2_is_command("create-route"));
	cr_assert(ec2_is_command("create-vpc"));
	cr_assert(ec2_is_command("create-vpn-gateway"));
	cr_assert(!ec2_is_command("create-egress-only-internet-gateway"));
}

/* ---- The hands-on, step by step ---------------------------------------- */

static const struct plan_route *find_route(const struct plan *p,
					   const char *dst, const char *dev)
{
	struct cidr c;
	size_t i;

	cr_assert_eq(cidr_parse(dst, &c), 0);
	for (i = 0; i < p->nroutes; i++)
		if (p->routes[i].dst.addr == c.addr &&
		    p->routes[i].dst.len == c.len && p->routes[i].table != 254 &&
		    (!dev || !strcmp(p->routes[i].dev, dev)))
			return &p->routes[i];
	return NULL;
}

/* ---- transit gateways (ec2tgw.c) ---- */

/* Hub (defaults off), its tables T1 and T2, VPC-A and VPC-B attached
 * and routing 10/8 to it. */
static void tgw_hub(void)
{
	ok("create-transit-gateway --options DefaultRouteTableAssociation=disable,DefaultRouteTablePropagation=disable,AmazonSideAsn=64600 --tag-specifications ResourceType=transit-gateway,Tags=[{Key=Name,Value=Hub}]");
	ok("create-transit-gateway-vpc-attachment --transit-gateway-id Hub --vpc-id VPC-A --subnet-ids SA");
	ok("create-transit-gateway-vpc-attachment --transit-gateway-id Hub --vpc-id VPC-B --subnet-ids SB --tag-specifications ResourceType=transit-gateway-attachment,Tags=[{Key=Name,Value=AttB}]");
	ok("create-transit-gateway-route-table --transit-gateway-id Hub --tag-specifications ResourceType=transit-gateway-route-table,Tags=[{Key=Name,Value=T1}]");
	ok("create-transit-gateway-route-table --transit-gateway-id Hub --tag-specifications ResourceType=transit-gateway-route-table,Tags=[{Key=Name,Value=T2}]");
	ok("create-route --route-table-id RT-A --destination-cidr-block 10.0.0.0/8 --transit-gateway-id Hub");
	ok("create-route --route-table-id RT-B --destination-cidr-block 10.0.0.0/8 --transit-gateway-id Hub");
}

static struct tgw_attachment *tgw_att(const char *name)
{
	struct tgw_attachment *a = (struct tgw_attachment *)model_find(
		tl.lab, RES_TGW_ATTACHMENT, name);

	cr_assert(a, "no attachment %s", name);
	return a;
}

static const char *tgw_rt_of(const char *att)
{
	const struct tgw_route_table *t = tgw_association_of(tgw_att(att));

	return t ? t->r.name : "none";
}

Test(ec2, tgw_create_with_defaults_and_describe)
{
	ok("create-transit-gateway");
	cr_assert_str_eq(jpath(out, "TransitGateway.State"), "available");
	cr_assert_str_eq(jpath(out, "TransitGateway.Options.DefaultRouteTableAssociation"),
			 "enable");
	cr_assert_eq(json_integer_value(json_object_get(
			     json_object_get(json_object_get(out, "TransitGateway"),
					     "Options"),
			     "AmazonSideAsn")),
		     64512);
	cr_assert_str_eq(jpath(out, "TransitGateway.Options.AssociationDefaultRouteTableId"),
			 model_find(tl.lab, RES_TGW_ROUTE_TABLE,
				    "transit-gateway.default-rt")->id);
	ok("create-transit-gateway-vpc-attachment --transit-gateway-id transit-gateway --vpc-id VPC-A --subnet-ids SA --options ApplianceModeSupport=enable");
	cr_assert_str_eq(jpath(out, "TransitGatewayVpcAttachment.State"), "pending");
	cr_assert_str_eq(jpath(out, "TransitGatewayVpcAttachment.SubnetIds.0"),
			 model_find(tl.lab, RES_SUBNET, "SA")->id);
	cr_assert_str_eq(jpath(out, "TransitGatewayVpcAttachment.Options.ApplianceModeSupport"),
			 "enable");
	ok("create-transit-gateway-vpc-attachment --transit-gateway-id transit-gateway --vpc-id VPC-B --subnet-ids SB");
	/* The defaults: associated with, and propagating into, the default
	 * table, as AWS does. */
	cr_assert_str_eq(tgw_rt_of("VPC-A-attachment"), "transit-gateway.default-rt");
	ok("search-transit-gateway-routes --transit-gateway-route-table-id transit-gateway.default-rt --filters Name=type,Values=propagated");
	cr_assert_eq(json_array_size(json_object_get(out, "Routes")), 2);
	cr_assert_str_eq(jpath(out, "Routes.0.DestinationCidrBlock"), "10.1.0.0/16");
	cr_assert_str_eq(jpath(out, "Routes.0.TransitGatewayAttachments.0.ResourceId"),
			 model_find(tl.lab, RES_VPC, "VPC-A")->id);
	cr_assert_str_eq(jpath(out, "Routes.0.State"), "active");
	ok("describe-transit-gateways");
	cr_assert_eq(json_array_size(json_object_get(out, "TransitGateways")), 1);
	ok("describe-transit-gateway-attachments");
	cr_assert_eq(json_array_size(json_object_get(out, "TransitGatewayAttachments")), 2);
	ok("describe-transit-gateway-route-tables");
	cr_assert_str_eq(jpath(out, "TransitGatewayRouteTables.0.TransitGatewayRouteTableId"),
			 model_find(tl.lab, RES_TGW_ROUTE_TABLE,
				    "transit-gateway.default-rt")->id);
}

Test(ec2, tgw_argument_errors)
{
	fails("create-transit-gateway --options AmazonSideAsn=12", "InvalidParameterValue", NULL);
	fails("create-transit-gateway --options DefaultRouteTableAssociation=maybe",
	      "InvalidParameterValue", NULL);
	fails("create-transit-gateway --options MulticastSupport=enable",
	      "Vpcemu.Unsupported", NULL);
	fails("create-transit-gateway --options TransitGatewayCidrBlocks=10.99.0.0/24",
	      "Vpcemu.Unsupported", NULL);
	fails("create-transit-gateway --description x", "InvalidParameter", NULL);
	fails("delete-transit-gateway", "MissingParameter",
	      "The request must contain the parameter transitGatewayId");
	fails("delete-transit-gateway --transit-gateway-id tgw-0123456789abcdef0",
	      "InvalidTransitGatewayID.NotFound", NULL);
	tgw_hub();
	fails("create-transit-gateway-vpc-attachment --transit-gateway-id Hub --vpc-id VPC-D",
	      "MissingParameter", NULL);
	fails("create-transit-gateway-vpc-attachment --transit-gateway-id Hub --vpc-id VPC-A --subnet-ids SA2",
	      "DuplicateTransitGatewayAttachment", NULL);
	fails("create-transit-gateway-vpc-attachment --transit-gateway-id Hub --vpc-id VPC-C --subnet-ids SA",
	      "InvalidParameterValue", NULL);
	fails("create-transit-gateway-vpc-attachment --transit-gateway-id Hub --vpc-id VPC-A --subnet-ids nope",
	      "InvalidSubnetID.NotFound", NULL);
	fails("delete-transit-gateway-vpc-attachment --transit-gateway-attachment-id tgw-attach-0123456789abcdef0",
	      "InvalidTransitGatewayAttachmentID.NotFound", NULL);
	fails("associate-transit-gateway-route-table --transit-gateway-route-table-id tgw-rtb-0123456789abcdef0 --transit-gateway-attachment-id AttB",
	      "InvalidRouteTableID.NotFound", NULL);
	fails("associate-transit-gateway-route-table --transit-gateway-route-table-id T1",
	      "MissingParameter", NULL);
	fails("create-transit-gateway-route --transit-gateway-route-table-id T1 --destination-cidr-block 10.9.0.0/16",
	      "MissingParameter", NULL);
	fails("create-transit-gateway-route --transit-gateway-route-table-id T1 --destination-cidr-block 10.9.0.0/16 --blackhole --transit-gateway-attachment-id AttB",
	      "InvalidParameterCombination", NULL);
	fails("create-transit-gateway-route --transit-gateway-route-table-id T1 --destination-cidr-block 10.9.0.0/33 --blackhole",
	      "InvalidParameterValue", NULL);
	fails("search-transit-gateway-routes --transit-gateway-route-table-id T1",
	      "MissingParameter", NULL);
	fails("search-transit-gateway-routes --transit-gateway-route-table-id T1 --filters Name=colour,Values=red",
	      "InvalidParameterValue", NULL);
	fails("search-transit-gateway-routes --transit-gateway-route-table-id T1 --filters type=static",
	      "InvalidParameterValue", NULL);
	fails("search-transit-gateway-routes --transit-gateway-route-table-id T1 --filters Name=state,Values=active --max-results 2",
	      "InvalidParameterValue", NULL);
	fails("create-route --route-table-id RT-A2 --destination-cidr-block 10.9.0.0/16 --transit-gateway-id nope",
	      "InvalidTransitGatewayID.NotFound", NULL);
}

/* one table per attachment; moving it takes a disassociation
 * first, as in AWS. */
Test(ec2, tgw_associate_moves_between_tables)
{
	tgw_hub();
	cr_assert_str_eq(tgw_rt_of("AttB"), "none");
	ok("associate-transit-gateway-route-table --transit-gateway-route-table-id T1 --transit-gateway-attachment-id AttB");
	cr_assert_str_eq(jpath(out, "Association.State"), "associating");
	cr_assert_str_eq(jpath(out, "Association.ResourceType"), "vpc");
	cr_assert_str_eq(tgw_rt_of("AttB"), "T1");
	fails("associate-transit-gateway-route-table --transit-gateway-route-table-id T2 --transit-gateway-attachment-id AttB",
	      "Resource.AlreadyAssociated", NULL);
	fails("disassociate-transit-gateway-route-table --transit-gateway-route-table-id T2 --transit-gateway-attachment-id AttB",
	      "InvalidAssociation.NotFound", NULL);
	fails("delete-transit-gateway-route-table --transit-gateway-route-table-id T1",
	      "IncorrectState", NULL);
	ok("disassociate-transit-gateway-route-table --transit-gateway-route-table-id T1 --transit-gateway-attachment-id AttB");
	cr_assert_str_eq(jpath(out, "Association.State"), "disassociating");
	cr_assert_str_eq(tgw_rt_of("AttB"), "none");
	ok("associate-transit-gateway-route-table --transit-gateway-route-table-id T2 --transit-gateway-attachment-id AttB");
	cr_assert_str_eq(tgw_rt_of("AttB"), "T2");
	ok("delete-transit-gateway-route-table --transit-gateway-route-table-id T1");
	cr_assert_str_eq(jpath(out, "TransitGatewayRouteTable.State"), "deleting");
	cr_assert_null(model_find(tl.lab, RES_TGW_ROUTE_TABLE, "T1"));
}

Test(ec2, tgw_propagation_and_routes)
{
	tgw_hub();
	ok("enable-transit-gateway-route-table-propagation --transit-gateway-route-table-id T1 --transit-gateway-attachment-id VPC-A-attachment");
	cr_assert_str_eq(jpath(out, "Propagation.State"), "enabling");
	fails("enable-transit-gateway-route-table-propagation --transit-gateway-route-table-id T1 --transit-gateway-attachment-id VPC-A-attachment",
	      "TransitGatewayRouteTablePropagation.Duplicate", NULL);
	ok("create-transit-gateway-route --transit-gateway-route-table-id T1 --destination-cidr-block 10.1.1.0/24 --blackhole");
	cr_assert_str_eq(jpath(out, "Route.State"), "blackhole");
	cr_assert_str_eq(jpath(out, "Route.Type"), "static");
	fails("create-transit-gateway-route --transit-gateway-route-table-id T1 --destination-cidr-block 10.1.1.0/24 --transit-gateway-attachment-id AttB",
	      "RouteAlreadyExists", NULL);
	/* A static route of a propagated prefix is allowed: it wins. */
	ok("create-transit-gateway-route --transit-gateway-route-table-id T1 --destination-cidr-block 10.1.0.0/16 --transit-gateway-attachment-id AttB");
	cr_assert_str_eq(jpath(out, "Route.State"), "active");
	ok("search-transit-gateway-routes --transit-gateway-route-table-id T1 --filters Name=type,Values=static Name=state,Values=active");
	cr_assert_eq(json_array_size(json_object_get(out, "Routes")), 1);
	cr_assert_str_eq(jpath(out, "Routes.0.TransitGatewayAttachments.0.TransitGatewayAttachmentId"),
			 tgw_att("AttB")->r.id);
	cr_assert(json_is_false(json_object_get(out, "AdditionalRoutesAvailable")));
	ok("search-transit-gateway-routes --transit-gateway-route-table-id T1 --filters Name=route-search.longest-prefix-match,Values=10.1.1.7/32");
	cr_assert_eq(json_array_size(json_object_get(out, "Routes")), 1);
	cr_assert_str_eq(jpath(out, "Routes.0.DestinationCidrBlock"), "10.1.1.0/24");
	ok("search-transit-gateway-routes --transit-gateway-route-table-id T1 --filters Name=route-search.subnet-of-match,Values=10.0.0.0/8");
	cr_assert_eq(json_array_size(json_object_get(out, "Routes")), 2,
		     "the propagated 10.1.0.0/16 is hidden by the static one");
	ok("delete-transit-gateway-route --transit-gateway-route-table-id T1 --destination-cidr-block 10.1.0.0/16");
	cr_assert_str_eq(jpath(out, "Route.State"), "deleted");
	ok("search-transit-gateway-routes --transit-gateway-route-table-id T1 --filters Name=type,Values=propagated");
	cr_assert_str_eq(jpath(out, "Routes.0.DestinationCidrBlock"), "10.1.0.0/16");
	fails("delete-transit-gateway-route --transit-gateway-route-table-id T1 --destination-cidr-block 10.1.0.0/16",
	      "InvalidRoute.NotFound", NULL);
	ok("disable-transit-gateway-route-table-propagation --transit-gateway-route-table-id T1 --transit-gateway-attachment-id VPC-A-attachment");
	cr_assert_str_eq(jpath(out, "Propagation.State"), "disabling");
	fails("disable-transit-gateway-route-table-propagation --transit-gateway-route-table-id T1 --transit-gateway-attachment-id VPC-A-attachment",
	      "InvalidParameterValue", NULL);
}

/* What the lab file cannot say is refused, not done otherwise. */
Test(ec2, tgw_default_table_limits)
{
	ok("create-transit-gateway --tag-specifications ResourceType=transit-gateway,Tags=[{Key=Name,Value=G}]");
	ok("create-transit-gateway-vpc-attachment --transit-gateway-id G --vpc-id VPC-A --subnet-ids SA");
	ok("create-transit-gateway-route-table --transit-gateway-id G --tag-specifications ResourceType=transit-gateway-route-table,Tags=[{Key=Name,Value=Mine}]");
	fails("create-transit-gateway-route --transit-gateway-route-table-id G.default-rt --destination-cidr-block 10.9.0.0/16 --blackhole",
	      "Vpcemu.Unsupported", NULL);
	fails("disassociate-transit-gateway-route-table --transit-gateway-route-table-id G.default-rt --transit-gateway-attachment-id VPC-A-attachment",
	      "Vpcemu.Unsupported", NULL);
	fails("enable-transit-gateway-route-table-propagation --transit-gateway-route-table-id Mine --transit-gateway-attachment-id VPC-A-attachment",
	      "Vpcemu.Unsupported", NULL);
	fails("delete-transit-gateway-route-table --transit-gateway-route-table-id G.default-rt",
	      "Vpcemu.Unsupported", NULL);
	ok("create-transit-gateway-route --transit-gateway-route-table-id Mine --destination-cidr-block 10.9.0.0/16 --blackhole");
}

/* A gateway goes once its attachments have; their routes stay as
 * blackhole. */
Test(ec2, tgw_delete_order)
{
	struct route_table *rt;

	tgw_hub();
	ok("create-transit-gateway-route --transit-gateway-route-table-id T2 --destination-cidr-block 10.2.0.0/16 --transit-gateway-attachment-id AttB");
	fails("delete-transit-gateway --transit-gateway-id Hub", "IncorrectState", NULL);
	ok("delete-transit-gateway-vpc-attachment --transit-gateway-attachment-id AttB");
	cr_assert_str_eq(jpath(out, "TransitGatewayVpcAttachment.State"), "deleting");
	rt = (struct route_table *)model_find(tl.lab, RES_ROUTE_TABLE, "RT-B");
	cr_assert_eq(rt->nroutes, 1);
	cr_assert_null(rt->routes[0].target, "RT-B's route to Hub is a blackhole");
	ok("search-transit-gateway-routes --transit-gateway-route-table-id T2 --filters Name=state,Values=blackhole");
	cr_assert_str_eq(jpath(out, "Routes.0.DestinationCidrBlock"), "10.2.0.0/16");
	ok("delete-transit-gateway-vpc-attachment --transit-gateway-attachment-id VPC-A-attachment");
	ok("delete-transit-gateway --transit-gateway-id Hub");
	cr_assert_str_eq(jpath(out, "TransitGateway.State"), "deleting");
	cr_assert_null(model_find(tl.lab, RES_TRANSIT_GATEWAY, "Hub"));
	cr_assert_null(model_find(tl.lab, RES_TGW_ROUTE_TABLE, "T2"));
}

Test(ec2, hands_on_walkthrough)
{
	const struct plan_route *r;
	struct plan *p;
	const char *ifname;
	size_t i;
	bool up = false;

	ok("create-vpc-peering-connection --vpc-id VPC-A --peer-vpc-id VPC-B");
	ok("create-route --route-table-id RT-A --destination-cidr-block 10.2.0.0/16 --vpc-peering-connection-id VPC-A-to-VPC-B");
	ok("create-route --route-table-id RT-B --destination-cidr-block 10.1.0.0/16 --vpc-peering-connection-id VPC-A-to-VPC-B");
	/* Pending (gotcha 9): veth down, routes blackhole. */
	p = plan_build(tl.lab);
	cr_assert(p);
	r = find_route(p, "10.2.0.0/16", NULL);
	cr_assert(r);
	cr_assert_eq(r->type, PLAN_ROUTE_BLACKHOLE);
	plan_free(p);

	ok("accept-vpc-peering-connection --vpc-peering-connection-id VPC-A-to-VPC-B");
	cr_assert_eq(runv("authorize-security-group-ingress", "--group-id", "SG-A",
			  "--ip-permissions",
			  "[{\"IpProtocol\":\"icmp\",\"FromPort\":-1,\"ToPort\":-1,"
			  "\"UserIdGroupPairs\":[{\"GroupId\":\"SG-B\"}]}]",
			  NULL), 0, "%s: %s", err.code, err.message);
	ok("authorize-security-group-ingress --group-id SG-B --protocol icmp --port -1 --source-group SG-A");

	ifname = pcx("VPC-A-to-VPC-B")->ifname;
	p = plan_build(tl.lab);
	cr_assert(p);
	for (i = 0; i < p->nveths; i++)
		if (!strcmp(p->veths[i].name_a, ifname))
			up = p->veths[i].up;
	cr_assert(up, "peering veth %s not up", ifname);
	r = find_route(p, "10.2.0.0/16", ifname);
	cr_assert(r, "no route to 10.2.0.0/16 via %s", ifname);
	cr_assert_eq(r->type, PLAN_ROUTE_UNICAST);
	r = find_route(p, "10.1.0.0/16", ifname);
	cr_assert(r, "no route to 10.1.0.0/16 via %s", ifname);
	cr_assert_eq(r->type, PLAN_ROUTE_UNICAST);
	plan_free(p);
}

/* ---- Internet gateways, Elastic IPs, NAT gateways (R-9) --------------- */

static struct res *res_of(enum res_kind k, const char *name)
{
	struct res *r = model_find(tl.lab, k, name);

	cr_assert(r, "no %s %s", res_kind_name(k), name);
	return r;
}

static const char *igw_vpc(const char *name)
{
	const struct internet_gateway *g = (const struct internet_gateway *)
		res_of(RES_INTERNET_GATEWAY, name);

	return g->vpc ? g->vpc->r.name : NULL;
}

static const struct route *rt_route(const char *table, const char *dst)
{
	const struct route_table *t = (const struct route_table *)
		res_of(RES_ROUTE_TABLE, table);
	struct cidr c;
	size_t i;

	cr_assert_eq(cidr_parse(dst, &c), 0);
	for (i = 0; i < t->nroutes; i++)
		if (t->routes[i].dst.addr == c.addr &&
		    t->routes[i].dst.len == c.len)
			return &t->routes[i];
	cr_assert_fail("no route %s in %s", dst, table);
	return NULL;
}

/* An attached gateway and an Elastic IP on EC2-A; returns the
 * association ID (static). */
static const char *eip_on_ec2a(void)
{
	static char id[MODEL_ID_MAX];

	ok("create-internet-gateway");
	ok("attach-internet-gateway --internet-gateway-id internet-gateway --vpc-id VPC-A");
	ok("allocate-address --domain vpc");
	ok("associate-address --allocation-id eip --instance-id EC2-A");
	snprintf(id, sizeof(id), "%s", jpath(out, "AssociationId"));
	return id;
}

Test(ec2, igw_create_attach_twice)
{
	ok("create-internet-gateway");
	cr_assert_str_eq(jpath(out, "InternetGateway.InternetGatewayId"),
			 res_of(RES_INTERNET_GATEWAY, "internet-gateway")->id);
	cr_assert_eq(json_array_size(json_object_get(
			     json_object_get(out, "InternetGateway"),
			     "Attachments")), 0);
	cr_assert_null(igw_vpc("internet-gateway"));
	ok("attach-internet-gateway --internet-gateway-id internet-gateway --vpc-id VPC-A");
	cr_assert_str_eq(igw_vpc("internet-gateway"), "VPC-A");
	fails("attach-internet-gateway --internet-gateway-id internet-gateway --vpc-id VPC-B",
	      "Resource.AlreadyAssociated", NULL);
	cr_assert(runv("create-internet-gateway", "--tag-specifications",
		       "ResourceType=internet-gateway,Tags=[{Key=Name,Value=IGW-2}]",
		       NULL) == 0, "%s", err.message);
	fails("attach-internet-gateway --internet-gateway-id IGW-2 --vpc-id VPC-A",
	      "Resource.AlreadyAssociated", NULL);
	ok("attach-internet-gateway --internet-gateway-id IGW-2 --vpc-id VPC-B");
	cr_assert_str_eq(igw_vpc("IGW-2"), "VPC-B");
	fails("attach-internet-gateway --internet-gateway-id igw-0000000000000000a --vpc-id VPC-D",
	      "InvalidInternetGatewayID.NotFound",
	      "The internetGateway ID 'igw-0000000000000000a' does not exist");
	ok("describe-internet-gateways");
	cr_assert_eq(json_array_size(json_object_get(out, "InternetGateways")),
		     2);
}

Test(ec2, igw_detach_held_then_free_and_delete)
{
	const char *assoc = eip_on_ec2a();
	char line[160];

	fails("delete-internet-gateway --internet-gateway-id internet-gateway",
	      "DependencyViolation", NULL);
	fails("detach-internet-gateway --internet-gateway-id internet-gateway --vpc-id VPC-B",
	      "Gateway.NotAttached", NULL);
	/* not while EC2-A holds the Elastic IP. */
	fails("detach-internet-gateway --internet-gateway-id internet-gateway --vpc-id VPC-A",
	      "DependencyViolation", NULL);
	cr_assert_str_eq(igw_vpc("internet-gateway"), "VPC-A");
	snprintf(line, sizeof(line), "disassociate-address --association-id %s",
		 assoc);
	ok(line);
	ok("create-route --route-table-id RT-A --destination-cidr-block 0.0.0.0/0 --gateway-id internet-gateway");
	cr_assert_eq(rt_route("RT-A", "0.0.0.0/0")->target,
		     res_of(RES_INTERNET_GATEWAY, "internet-gateway"));
	ok("detach-internet-gateway --internet-gateway-id internet-gateway --vpc-id VPC-A");
	cr_assert_null(igw_vpc("internet-gateway"));
	/* Its route stays, as blackhole. */
	cr_assert_null(rt_route("RT-A", "0.0.0.0/0")->target);
	ok("delete-internet-gateway --internet-gateway-id internet-gateway");
	cr_assert_null(model_find(tl.lab, RES_INTERNET_GATEWAY,
				  "internet-gateway"));
}

/* A public IP of the subnet's launch setting holds the gateway too. */
Test(ec2, igw_detach_public_ip)
{
	ok("create-internet-gateway");
	ok("attach-internet-gateway --internet-gateway-id internet-gateway --vpc-id VPC-B");
	((struct instance *)res_of(RES_INSTANCE, "EC2-B"))->public_ip = true;
	fails("detach-internet-gateway --internet-gateway-id internet-gateway --vpc-id VPC-B",
	      "DependencyViolation", NULL);
	ok("terminate-instances --instance-ids EC2-B");
	ok("detach-internet-gateway --internet-gateway-id internet-gateway --vpc-id VPC-B");
}

Test(ec2, route_to_detached_igw_refused)
{
	ok("create-internet-gateway");
	fails("create-route --route-table-id RT-A --destination-cidr-block 0.0.0.0/0 --gateway-id internet-gateway",
	      "InvalidParameterValue", NULL);
	fails("create-route --route-table-id RT-A --destination-cidr-block 0.0.0.0/0 --gateway-id igw-0000000000000000a",
	      "InvalidGatewayID.NotFound", NULL);
}

Test(ec2, address_allocate_associate)
{
	const struct elastic_ip *e;
	const char *assoc;

	ok("allocate-address");
	cr_assert_str_eq(jpath(out, "PublicIp"), "198.51.100.1");
	cr_assert_str_eq(jpath(out, "Domain"), "vpc");
	cr_assert_str_eq(jpath(out, "PublicIpv4Pool"), "amazon");
	cr_assert_str_eq(jpath(out, "NetworkBorderGroup"), "ap-northeast-1");
	cr_assert_str_eq(jpath(out, "AllocationId"),
			 res_of(RES_ELASTIC_IP, "eip")->id);
	fails("allocate-address --domain standard", "InvalidParameterValue",
	      NULL);
	/* No internet gateway on VPC-A yet. */
	fails("associate-address --allocation-id eip --instance-id EC2-A",
	      "Gateway.NotAttached", NULL);
	ok("release-address --allocation-id eip");
	assoc = eip_on_ec2a();
	e = (const struct elastic_ip *)res_of(RES_ELASTIC_IP, "eip");
	cr_assert_eq(e->instance, (void *)res_of(RES_INSTANCE, "EC2-A"));
	ok("describe-addresses");
	cr_assert_str_eq(jpath(out, "Addresses.0.AssociationId"), assoc);
	cr_assert_str_eq(jpath(out, "Addresses.0.PublicIp"), "198.51.100.1");
	/* Associating again with the same instance is a no-op. */
	ok("associate-address --allocation-id eip --instance-id EC2-A");
	cr_assert_str_eq(jpath(out, "AssociationId"), assoc);
}

Test(ec2, address_reassociation)
{
	eip_on_ec2a();
	ok("run-instances --subnet-id SA --tag-specifications ResourceType=instance,Tags=[{Key=Name,Value=EC2-A2}]");
	fails("associate-address --allocation-id eip --instance-id EC2-A2",
	      "Resource.AlreadyAssociated", NULL);
	ok("associate-address --allocation-id eip --instance-id EC2-A2 --allow-reassociation");
	cr_assert_eq(((struct elastic_ip *)res_of(RES_ELASTIC_IP, "eip"))->instance,
		     (void *)res_of(RES_INSTANCE, "EC2-A2"));
	/* A second address replaces the instance's first. */
	ok("allocate-address");
	ok("associate-address --allocation-id eip-2 --instance-id EC2-A2");
	cr_assert_null(((struct elastic_ip *)res_of(RES_ELASTIC_IP, "eip"))->instance);
}

Test(ec2, address_release_in_use)
{
	const char *assoc = eip_on_ec2a();
	char line[160];

	fails("release-address --allocation-id eip", "InvalidIPAddress.InUse",
	      NULL);
	fails("disassociate-address --association-id eipassoc-0000000000000000a",
	      "InvalidAssociationID.NotFound", NULL);
	snprintf(line, sizeof(line), "disassociate-address --association-id %s",
		 assoc);
	ok(line);
	fails(line, "InvalidAssociationID.NotFound", NULL);
	ok("release-address --allocation-id eip");
	fails("release-address --allocation-id eip",
	      "InvalidAllocationID.NotFound", NULL);
}

/* --address takes a given address of the pool, a lab's own block
 * included; one outside the pool or held already is refused. */
Test(ec2, address_allocate_given)
{
	char text[sizeof(base_lab) + 128], ip[IP_BUF];

	ok("allocate-address --address 203.0.113.77");
	cr_assert_str_eq(jpath(out, "PublicIp"), "203.0.113.77");
	cr_assert_eq(((struct elastic_ip *)res_of(RES_ELASTIC_IP, "eip"))->address,
		     0xcb00714d);
	fails("allocate-address --address 203.0.113.77",
	      "InvalidIPAddress.InUse", NULL);
	fails("allocate-address --address 100.64.10.5", "InvalidAddress.NotFound",
	      "Address '100.64.10.5' not found.");
	fails("allocate-address --address 203.0.113.0", "InvalidAddress.NotFound",
	      NULL);
	fails("allocate-address --address nowhere", "InvalidParameterValue",
	      NULL);

	/* The lab's block, through every rebuild the command does; an
	 * instance's public IP is held as well. */
	snprintf(text, sizeof(text), "%s%s", base_lab,
		 "public-ip-pool 100.64.10.0/24\n"
		 "instance Pub { subnet SA; public-ip yes }\n");
	test_lab_free(&tl);
	test_lab_text(&tl, "walk.conf", text, NULL,
		      TEST_LAB_CHECK | TEST_LAB_CLEAN);
	ok("allocate-address --address 100.64.10.5");
	cr_assert_str_eq(jpath(out, "PublicIp"), "100.64.10.5");
	cr_assert_eq(tl.lab->npools, 1);
	ip_fmt(((struct instance *)res_of(RES_INSTANCE, "Pub"))->public_ipv4,
	       ip);
	snprintf(text, sizeof(text), "allocate-address --address %s", ip);
	fails(text, "InvalidIPAddress.InUse", NULL);
}

/* The instance by its network interface (ID or name), with its own
 * private address or none; another address, a NAT gateway's interface
 * or both forms at once are refused. */
Test(ec2, address_associate_network_interface)
{
	const struct instance *a;
	char line[256];

	ok("create-internet-gateway");
	ok("attach-internet-gateway --internet-gateway-id internet-gateway --vpc-id VPC-A");
	ok("allocate-address");
	/* Each command rebuilds the model: look up after it. */
	a = (const struct instance *)res_of(RES_INSTANCE, "EC2-A");
	snprintf(line, sizeof(line),
		 "associate-address --allocation-id eip --network-interface-id %s --private-ip-address 10.1.1.10",
		 a->eni->r.id);
	ok(line);
	a = (const struct instance *)res_of(RES_INSTANCE, "EC2-A");
	cr_assert_eq(((struct elastic_ip *)res_of(RES_ELASTIC_IP, "eip"))->instance,
		     a);
	ok("describe-addresses");
	cr_assert_str_eq(jpath(out, "Addresses.0.NetworkInterfaceId"),
			 a->eni->r.id);
	ok("associate-address --allocation-id eip --network-interface-id EC2-A");
	fails("associate-address --allocation-id eip --network-interface-id EC2-A --private-ip-address 10.1.1.11",
	      "InvalidParameterValue", NULL);
	fails("associate-address --allocation-id eip --network-interface-id eni-0000000000000000a",
	      "InvalidNetworkInterfaceID.NotFound", NULL);
	fails("associate-address --allocation-id eip --network-interface-id EC2-A --instance-id EC2-A",
	      "InvalidParameterCombination", NULL);
	fails("associate-address --allocation-id eip", "MissingParameter", NULL);
	ok("allocate-address");
	ok("create-nat-gateway --subnet-id SA --allocation-id eip-2");
	ok("allocate-address");
	fails("associate-address --allocation-id eip-3 --network-interface-id SA-nat",
	      "Vpcemu.Unsupported", NULL);
}

/* --public-ip names the Elastic IP by its address, as the AWS CLI still
 * allows; an address no Elastic IP has is not found. */
Test(ec2, address_associate_by_public_ip)
{
	ok("create-internet-gateway");
	ok("attach-internet-gateway --internet-gateway-id internet-gateway --vpc-id VPC-A");
	ok("allocate-address");
	ok("associate-address --public-ip 198.51.100.1 --instance-id EC2-A");
	cr_assert_eq(((struct elastic_ip *)res_of(RES_ELASTIC_IP, "eip"))->instance,
		     (void *)res_of(RES_INSTANCE, "EC2-A"));
	fails("associate-address --public-ip 198.51.100.9 --instance-id EC2-A",
	      "InvalidAddress.NotFound", "Address '198.51.100.9' not found.");
	fails("associate-address --public-ip 198.51.100.1 --allocation-id eip --instance-id EC2-A",
	      "InvalidParameterCombination", NULL);
}

/* A released address is not handed out while another one is held; the
 * one held keeps its address. */
Test(ec2, address_stays_put)
{
	ok("allocate-address");
	ok("allocate-address");
	cr_assert_str_eq(jpath(out, "PublicIp"), "198.51.100.2");
	ok("release-address --allocation-id eip");
	cr_assert_eq(((struct elastic_ip *)res_of(RES_ELASTIC_IP, "eip-2"))->address,
		     0xc6336402);
}

Test(ec2, nat_create_and_rules)
{
	fails("create-nat-gateway --subnet-id SA", "MissingParameter", NULL);
	fails("create-nat-gateway --subnet-id SA --connectivity-type sideways",
	      "InvalidParameterValue", NULL);
	ok("allocate-address");
	fails("create-nat-gateway --subnet-id SA --allocation-id eip --connectivity-type private",
	      "InvalidParameterCombination", NULL);
	/* A public gateway needs the VPC's internet gateway. */
	fails("create-nat-gateway --subnet-id SA --allocation-id eip",
	      "Gateway.NotAttached", NULL);
	cr_assert(!strncmp(err.message, "Network vpc-", 12), "%s", err.message);
	cr_assert_null(model_find(tl.lab, RES_NAT_GATEWAY, "SA-nat"));
	ok("create-internet-gateway");
	ok("attach-internet-gateway --internet-gateway-id internet-gateway --vpc-id VPC-A");
	ok("create-nat-gateway --subnet-id SA --allocation-id eip");
	cr_assert_str_eq(jpath(out, "NatGateway.NatGatewayId"),
			 res_of(RES_NAT_GATEWAY, "SA-nat")->id);
	cr_assert_str_eq(jpath(out, "NatGateway.NatGatewayAddresses.0.PublicIp"),
			 "198.51.100.1");
	cr_assert(jpath(out, "NatGateway.NatGatewayAddresses.0.NetworkInterfaceId"));
	cr_assert_str_eq(jpath(out, "NatGateway.ConnectivityType"), "public");
	/* Its Elastic IP is taken. */
	fails("release-address --allocation-id eip", "InvalidIPAddress.InUse",
	      NULL);
	fails("associate-address --allocation-id eip --instance-id EC2-A --allow-reassociation",
	      "Resource.AlreadyAssociated", NULL);
	ok("create-nat-gateway --subnet-id SA2 --connectivity-type private --private-ip-address 10.1.2.50");
	cr_assert_str_eq(jpath(out, "NatGateway.NatGatewayAddresses.0.PrivateIp"),
			 "10.1.2.50");
	cr_assert_str_eq(jpath(out, "NatGateway.ConnectivityType"), "private");
}

/* the gateway stays while a public NAT gateway of the VPC holds
 * an Elastic IP; once the NAT gateway is gone it detaches. */
Test(ec2, igw_detach_held_by_nat_gateway)
{
	ok("create-internet-gateway");
	ok("attach-internet-gateway --internet-gateway-id internet-gateway --vpc-id VPC-A");
	ok("allocate-address");
	ok("create-nat-gateway --subnet-id SA --allocation-id eip");
	fails("detach-internet-gateway --internet-gateway-id internet-gateway --vpc-id VPC-A",
	      "DependencyViolation", NULL);
	cr_assert(strstr(err.message, "mapped public address"), "%s",
		  err.message);
	cr_assert_str_eq(igw_vpc("internet-gateway"), "VPC-A");
	ok("delete-nat-gateway --nat-gateway-id SA-nat");
	ok("detach-internet-gateway --internet-gateway-id internet-gateway --vpc-id VPC-A");
	cr_assert_null(igw_vpc("internet-gateway"));
}

Test(ec2, nat_delete_blackholes_routes)
{
	ok("create-nat-gateway --subnet-id SA --connectivity-type private");
	ok("create-route --route-table-id RT-A2 --destination-cidr-block 0.0.0.0/0 --nat-gateway-id SA-nat");
	cr_assert_eq(rt_route("RT-A2", "0.0.0.0/0")->target,
		     res_of(RES_NAT_GATEWAY, "SA-nat"));
	fails("create-route --route-table-id RT-B --destination-cidr-block 0.0.0.0/0 --nat-gateway-id SA-nat",
	      "InvalidParameterValue", NULL);
	ok("delete-nat-gateway --nat-gateway-id SA-nat");
	cr_assert(!strncmp(jpath(out, "NatGatewayId"), "nat-", 4));
	cr_assert_null(model_find(tl.lab, RES_NAT_GATEWAY, "SA-nat"));
	/* the route stays, as blackhole. */
	cr_assert_null(rt_route("RT-A2", "0.0.0.0/0")->target);
	fails("delete-nat-gateway --nat-gateway-id SA-nat", "NatGatewayNotFound",
	      NULL);
}

/* ---- A lab built from nothing (ec2vpc.c) ------------------------------ */

static void setup_empty(void)
{
	memset(&st, 0, sizeof(st));
	clk.now = T0;
	out = NULL;
	test_lab_text(&tl, "empty.conf", "lab empty\nregion ap-northeast-1\n",
		      NULL, TEST_LAB_CHECK | TEST_LAB_CLEAN);
}

TestSuite(ec2vpc, .init = setup_empty, .fini = teardown);

static const char *tag_a =
	"--tag-specifications ResourceType=vpc,Tags=[{Key=Name,Value=VPC-A}]";

/* VPC-A 10.1.0.0/16 with subnet A-1a, table RT-A (associated) and group
 * SG-A; the same for B. */
static void build_two(void)
{
	char line[256];

	ok("create-vpc --cidr-block 10.1.0.0/16 --tag-specifications ResourceType=vpc,Tags=[{Key=Name,Value=VPC-A}]");
	ok("create-vpc --cidr-block 10.2.0.0/16 --tag-specifications ResourceType=vpc,Tags=[{Key=Name,Value=VPC-B}]");
	ok("create-subnet --vpc-id VPC-A --cidr-block 10.1.1.0/24 --availability-zone ap-northeast-1a --tag-specifications ResourceType=subnet,Tags=[{Key=Name,Value=A-1a}]");
	ok("create-subnet --vpc-id VPC-B --cidr-block 10.2.1.0/24 --tag-specifications ResourceType=subnet,Tags=[{Key=Name,Value=B-1a}]");
	ok("create-route-table --vpc-id VPC-A --tag-specifications ResourceType=route-table,Tags=[{Key=Name,Value=RT-A}]");
	snprintf(line, sizeof(line), "associate-route-table --route-table-id RT-A --subnet-id A-1a");
	ok(line);
	ok("create-security-group --group-name SG-A --description ping --vpc-id VPC-A");
	ok("create-security-group --group-name SG-B --description ping --vpc-id VPC-B");
}

Test(ec2vpc, create_vpc_answers_and_implicits)
{
	char line[160];

	snprintf(line, sizeof(line), "create-vpc --cidr-block 10.1.0.0/16 %s",
		 tag_a);
	ok(line);
	cr_assert(!strncmp(jpath(out, "Vpc.VpcId"), "vpc-", 4));
	cr_assert_str_eq(jpath(out, "Vpc.CidrBlock"), "10.1.0.0/16");
	cr_assert_str_eq(jpath(out, "Vpc.State"), "available");
	cr_assert_str_eq(jpath(out, "Vpc.Tags.0.Value"), "VPC-A");
	cr_assert(model_find(tl.lab, RES_ROUTE_TABLE, "VPC-A.main"));
	cr_assert(model_find(tl.lab, RES_NACL, "VPC-A.default-acl"));
	cr_assert(model_find(tl.lab, RES_SG, "VPC-A.default"));
	/* No Name tag: a free name, never an ID-like one. */
	ok("create-vpc --cidr-block 10.3.0.0/16");
	cr_assert(model_find(tl.lab, RES_VPC, "VPC"));
	ok("create-vpc --cidr-block 10.4.0.0/16");
	cr_assert(model_find(tl.lab, RES_VPC, "VPC-2"));
	fails(line, "InvalidParameterValue", NULL);
	fails("create-vpc --cidr-block 10.5.0.0/8", "InvalidVpc.Range", NULL);
	fails("create-vpc --cidr-block nope", "InvalidParameterValue", NULL);
	fails("create-vpc", "MissingParameter", NULL);
	cr_assert_eq(tl.lab->nvpcs, 3);
}

Test(ec2vpc, vpc_limit)
{
	ok("create-vpc --cidr-block 10.1.0.0/16");
	ok("create-vpc --cidr-block 10.2.0.0/16");
	ok("create-vpc --cidr-block 10.3.0.0/16");
	ok("create-vpc --cidr-block 10.4.0.0/16");
	ok("create-vpc --cidr-block 10.5.0.0/16");
	fails("create-vpc --cidr-block 10.6.0.0/16", "VpcLimitExceeded", NULL);
}

Test(ec2vpc, subnets_follow_aws_rules)
{
	build_two();
	cr_assert_str_eq(((struct subnet *)model_find(tl.lab, RES_SUBNET,
						      "B-1a"))->az,
			 "ap-northeast-1a");
	fails("create-subnet --vpc-id VPC-A --cidr-block 10.9.1.0/24",
	      "InvalidSubnet.Range", NULL);
	fails("create-subnet --vpc-id VPC-A --cidr-block 10.1.1.128/25",
	      "InvalidSubnet.Conflict", NULL);
	fails("create-subnet --vpc-id vpc-00000000000000000 --cidr-block 10.1.2.0/24",
	      "InvalidVpcID.NotFound", NULL);
	ok("create-subnet --vpc-id VPC-A --cidr-block 10.1.2.0/24");
	cr_assert_str_eq(jpath(out, "Subnet.CidrBlock"), "10.1.2.0/24");
	cr_assert(model_find(tl.lab, RES_SUBNET, "Subnet"));
	ok("modify-subnet-attribute --subnet-id Subnet --map-public-ip-on-launch");
	cr_assert(((struct subnet *)model_find(tl.lab, RES_SUBNET,
					       "Subnet"))->public_ip_on_launch);
	ok("modify-subnet-attribute --subnet-id Subnet --no-map-public-ip-on-launch");
	ok("delete-subnet --subnet-id Subnet");
	cr_assert_null(model_find(tl.lab, RES_SUBNET, "Subnet"));
}

/* Deleting in the wrong order: DependencyViolation, the lab unchanged. */
Test(ec2vpc, delete_order)
{
	char *before, *after;

	build_two();
	ok("run-instances --subnet-id A-1a --security-group-ids SG-A --private-ip-address 10.1.1.10");
	before = print_lab(tl.lab);
	fails("delete-vpc --vpc-id VPC-A", "DependencyViolation", NULL);
	fails("delete-subnet --subnet-id A-1a", "DependencyViolation", NULL);
	fails("delete-security-group --group-id SG-A", "DependencyViolation", NULL);
	fails("delete-route-table --route-table-id RT-A", "DependencyViolation", NULL);
	fails("delete-route-table --route-table-id VPC-A.main", "DependencyViolation", NULL);
	fails("delete-security-group --group-id VPC-A.default", "CannotDelete", NULL);
	after = print_lab(tl.lab);
	cr_assert_str_eq(before, after);
	free(before);
	free(after);

	ok("terminate-instances --instance-ids instance");
	ok("delete-security-group --group-name SG-A");
	fails("delete-vpc --vpc-id VPC-A", "DependencyViolation", NULL);
	ok("delete-subnet --subnet-id A-1a");
	cr_assert_eq(((struct route_table *)model_find(tl.lab, RES_ROUTE_TABLE,
						       "RT-A"))->nassoc, 0,
		     "the subnet's association went with it");
	ok("delete-route-table --route-table-id RT-A");
	ok("delete-vpc --vpc-id VPC-A");
	cr_assert_null(model_find(tl.lab, RES_VPC, "VPC-A"));
	cr_assert_null(model_find(tl.lab, RES_SG, "VPC-A.default"));
	fails("delete-vpc --vpc-id VPC-A", "InvalidVpcID.NotFound", NULL);
}

Test(ec2vpc, groups_and_rules_across_peering)
{
	build_two();
	fails("create-security-group --group-name SG-A --description x --vpc-id VPC-A",
	      "InvalidGroup.Duplicate", NULL);
	fails("create-security-group --group-name default --description x --vpc-id VPC-A",
	      "InvalidGroup.Reserved", NULL);
	fails("create-security-group --group-name SG-C --vpc-id VPC-A",
	      "MissingParameter", NULL);
	ok("create-vpc-peering-connection --vpc-id VPC-A --peer-vpc-id VPC-B");
	ok("accept-vpc-peering-connection --vpc-peering-connection-id VPC-A-to-VPC-B");
	ok("authorize-security-group-ingress --group-id SG-B --protocol icmp --port -1 --source-group SG-A");
	fails("delete-security-group --group-id SG-A", "DependencyViolation", NULL);
	cr_assert(strstr(err.message, "SG-B"), "%s", err.message);
	fails("delete-vpc --vpc-id VPC-A", "DependencyViolation", NULL);
	/* The group's default egress rule is AWS's, and printed as such. */
	ok("revoke-security-group-ingress --group-id SG-B --protocol icmp --port -1 --source-group SG-A");
	ok("delete-security-group --group-id SG-A");
}

/* The association ID of subnet's ACL, as describe-network-acls shows it. */
static const char *acl_assoc(const char *subnet)
{
	static char id[MODEL_ID_MAX];
	struct subnet *s = (struct subnet *)model_find(tl.lab, RES_SUBNET,
						       subnet);

	cr_assert(s);
	describe_acl_assoc_id(tl.lab, s->nacl->r.id, s->r.id, id);
	return id;
}

Test(ec2vpc, network_acls)
{
	struct subnet *s;
	char line[200], old[MODEL_ID_MAX], *text;

	build_two();
	ok("create-network-acl --vpc-id VPC-A --tag-specifications ResourceType=network-acl,Tags=[{Key=Name,Value=ACL-A}]");
	cr_assert(!strncmp(jpath(out, "NetworkAcl.NetworkAclId"), "acl-", 4));
	ok("describe-network-acls");
	text = json_dumps(out, 0);
	cr_assert(text && strstr(text, acl_assoc("A-1a")), "%s", text);
	free(text);
	snprintf(old, sizeof(old), "%s", acl_assoc("A-1a"));
	snprintf(line, sizeof(line),
		 "replace-network-acl-association --association-id %s --network-acl-id ACL-A",
		 old);
	ok(line);
	cr_assert_str_eq(jpath(out, "NewAssociationId"), acl_assoc("A-1a"));
	cr_assert_str_neq(old, acl_assoc("A-1a"));
	s = (struct subnet *)model_find(tl.lab, RES_SUBNET, "A-1a");
	cr_assert_str_eq(s->nacl->r.name, "ACL-A");
	fails(line, "InvalidAssociationID.NotFound", NULL);
	fails("delete-network-acl --network-acl-id ACL-A", "DependencyViolation", NULL);
	fails("delete-network-acl --network-acl-id VPC-A.default-acl",
	      "InvalidParameterValue", NULL);
	snprintf(line, sizeof(line),
		 "replace-network-acl-association --association-id %s --network-acl-id VPC-A.default-acl",
		 acl_assoc("A-1a"));
	ok(line);
	ok("delete-network-acl --network-acl-id ACL-A");
}

Test(ec2vpc, peering_dns_options)
{
	build_two();
	ok("create-vpc-peering-connection --vpc-id VPC-A --peer-vpc-id VPC-B");
	ok("accept-vpc-peering-connection --vpc-peering-connection-id VPC-A-to-VPC-B");
	fails("modify-vpc-peering-connection-options --vpc-peering-connection-id VPC-A-to-VPC-B --requester-peering-connection-options AllowDnsResolutionFromRemoteVpc=true",
	      "InvalidVpcPeeringConnectionState.DnsHostnamesDisabled", NULL);
	ok("modify-vpc-attribute --vpc-id VPC-A --enable-dns-hostnames");
	ok("modify-vpc-attribute --vpc-id VPC-B --enable-dns-hostnames");
	ok("modify-vpc-peering-connection-options --vpc-peering-connection-id VPC-A-to-VPC-B --requester-peering-connection-options AllowDnsResolutionFromRemoteVpc=true");
	cr_assert(json_is_true(json_object_get(json_object_get(out, "RequesterPeeringConnectionOptions"),
					       "AllowDnsResolutionFromRemoteVpc")));
	cr_assert(pcx("VPC-A-to-VPC-B")->requester_allows_remote_dns);
	fails("modify-vpc-peering-connection-options --vpc-peering-connection-id VPC-A-to-VPC-B",
	      "MissingParameter", NULL);
}

Test(ec2vpc, delete_vpc_with_deleted_peering)
{
	build_two();
	ok("create-vpc-peering-connection --vpc-id VPC-A --peer-vpc-id VPC-B");
	ok("accept-vpc-peering-connection --vpc-peering-connection-id VPC-A-to-VPC-B");
	ok("create-route --route-table-id RT-A --destination-cidr-block 10.2.0.0/16 --vpc-peering-connection-id VPC-A-to-VPC-B");
	fails("delete-vpc --vpc-id VPC-B", "DependencyViolation", NULL);
	ok("delete-vpc-peering-connection --vpc-peering-connection-id VPC-A-to-VPC-B");
	ok("delete-security-group --group-id SG-B");
	ok("delete-subnet --subnet-id B-1a");
	ok("delete-vpc --vpc-id VPC-B");
	cr_assert_null(model_find(tl.lab, RES_PEERING, "VPC-A-to-VPC-B"));
	cr_assert_null(((struct route_table *)model_find(
				tl.lab, RES_ROUTE_TABLE, "RT-A"))->routes[0].target,
		       "RT-A's route to the peering is a blackhole");
}

/* ---- IAM (iam.c): a role for Session Manager, by commands ------------ */

/* runs(), on iam_run. */
static int iam(const char *line)
{
	int r;

	service = iam_run;
	r = runs(line);
	service = ec2_run;
	return r;
}

Test(ec2vpc, iam_role_for_an_instance)
{
	struct iam_role *role;
	struct instance *in;

	build_two();
	cr_assert_eq(iam("create-role --role-name SSMRole --assume-role-policy-document {}"), 0,
		     "%s", err.code);
	cr_assert(!strncmp(jpath(out, "Role.RoleId"), "AROA", 4));
	cr_assert_str_eq(jpath(out, "Role.Arn"), "arn:aws:iam::111111111111:role/SSMRole");
	cr_assert_neq(iam("create-role --role-name SSMRole --assume-role-policy-document {}"), 0);
	cr_assert_str_eq(err.code, "EntityAlreadyExists");
	cr_assert_neq(iam("attach-role-policy --role-name Nope --policy-arn arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"), 0);
	cr_assert_str_eq(err.code, "NoSuchEntity");
	cr_assert_eq(iam("attach-role-policy --role-name SSMRole --policy-arn arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"), 0);
	cr_assert_eq(iam("attach-role-policy --role-name SSMRole --policy-arn arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"), 0);
	role = (struct iam_role *)model_find(tl.lab, RES_IAM_ROLE, "SSMRole");
	cr_assert_eq(role->npolicies, 1);
	cr_assert_str_eq(role->policies[0], "AmazonSSMManagedInstanceCore");
	cr_assert_neq(iam("create-instance-profile --instance-profile-name Other"), 0);
	cr_assert_str_eq(err.code, "Vpcemu.Unsupported");
	cr_assert_eq(iam("create-instance-profile --instance-profile-name SSMRole"), 0);
	cr_assert_str_eq(jpath(out, "InstanceProfile.Arn"),
			 "arn:aws:iam::111111111111:instance-profile/SSMRole");
	cr_assert_eq(iam("add-role-to-instance-profile --instance-profile-name SSMRole --role-name SSMRole"), 0);
	ok("run-instances --subnet-id A-1a --iam-instance-profile Name=SSMRole");
	in = (struct instance *)model_find(tl.lab, RES_INSTANCE, "instance");
	cr_assert_str_eq(in->role->r.name, "SSMRole");
	cr_assert(iam_is_command("create-role") && !iam_is_command("create-user"));
}

/* ---- Flow logs (R-14.1) ------------------------------------------------ */

Test(ec2, flow_logs_create_describe_delete)
{
	const struct flow_log *f;
	const char *id;

	ok("create-flow-logs --resource-type NetworkInterface --resource-ids EC2-A --traffic-type REJECT --max-aggregation-interval 60 --log-format ${srcaddr}");
	cr_assert_str_eq(err.code, "");
	cr_assert_eq(json_array_size(json_object_get(out, "Unsuccessful")), 0);
	id = jpath(out, "FlowLogIds.0");
	cr_assert_not_null(id);
	f = (const struct flow_log *)model_find(tl.lab, RES_FLOW_LOG, id);
	cr_assert_not_null(f);
	/* An instance's interface: the flow log covers the instance. */
	cr_expect_eq(f->resource, model_find(tl.lab, RES_INSTANCE, "EC2-A"));
	cr_expect_eq(f->traffic, FLOW_REJECT);
	cr_expect_eq(f->interval, 60);
	cr_expect_str_eq(f->format, "${srcaddr}");
	ok("create-flow-logs --resource-type VPC --resource-ids VPC-A nope --traffic-type ALL");
	cr_assert_eq(json_array_size(json_object_get(out, "FlowLogIds")), 1);
	cr_assert_str_eq(jpath(out, "Unsuccessful.0.Error.Code"),
			 "InvalidVpcID.NotFound");
	cr_assert_str_eq(jpath(out, "Unsuccessful.0.ResourceId"), "nope");
	ok("describe-flow-logs");
	cr_assert_eq(json_array_size(json_object_get(out, "FlowLogs")), 2);
	cr_assert_str_eq(jpath(out, "FlowLogs.0.LogDestinationType"), "file");
	ok("delete-flow-logs --flow-log-ids flow-log fl-0123456789abcdef0");
	cr_assert_str_eq(jpath(out, "Unsuccessful.0.Error.Code"),
			 "InvalidFlowLogId.NotFound");
	cr_expect_null(model_find(tl.lab, RES_FLOW_LOG, "flow-log"));
	cr_expect_not_null(model_find(tl.lab, RES_FLOW_LOG, "flow-log-2"));
}

Test(ec2, flow_logs_argument_errors)
{
	fails("create-flow-logs --resource-ids VPC-A --traffic-type ALL",
	      "MissingParameter", NULL);
	fails("create-flow-logs --resource-type VPC --resource-ids VPC-A",
	      "MissingParameter", NULL);
	fails("create-flow-logs --resource-type VPC --traffic-type ALL",
	      "MissingParameter", NULL);
	fails("create-flow-logs --resource-type Vpc --resource-ids VPC-A --traffic-type ALL",
	      "InvalidParameterValue", NULL);
	fails("create-flow-logs --resource-type TransitGateway --resource-ids VPC-A --traffic-type ALL",
	      "Vpcemu.Unsupported", NULL);
	fails("create-flow-logs --resource-type VPC --resource-ids VPC-A --traffic-type SOME",
	      "InvalidParameterValue", NULL);
	fails("create-flow-logs --resource-type VPC --resource-ids VPC-A --traffic-type ALL --log-destination-type s3",
	      "Vpcemu.Unsupported", NULL);
	fails("create-flow-logs --resource-type VPC --resource-ids VPC-A --traffic-type ALL --max-aggregation-interval 0",
	      "InvalidParameterValue", NULL);
	/* The lab file's rules, met through the rebuild. */
	fails("create-flow-logs --resource-type VPC --resource-ids VPC-A --traffic-type ALL --log-destination /etc/cron.d/x",
	      "InvalidParameterValue", NULL);
	fails("create-flow-logs --resource-type VPC --resource-ids VPC-A --traffic-type ALL --log-format ${nope}",
	      "InvalidParameter", NULL);
	/* Each default destination is a file of its own; one file twice
	 * for one resource and traffic type is refused. */
	ok("create-flow-logs --resource-type Subnet --resource-ids SA --traffic-type ALL --log-destination /var/log/vpcemu/walk/sa.log");
	fails("create-flow-logs --resource-type Subnet --resource-ids SA --traffic-type ALL --log-destination /var/log/vpcemu/walk/sa.log",
	      "FlowLogAlreadyExists", NULL);
	fails("delete-flow-logs", "MissingParameter", NULL);
	cr_expect_eq(tl.lab->res[RES_FLOW_LOG].n, 1);
}

/* ModifyInstanceAttribute's source/destination check, both spellings;
 * the rebuilt lab keeps it (printed back as source-dest-check no). */
Test(ec2, modify_instance_source_dest_check)
{
	const struct instance *in;

	ok("modify-instance-attribute --instance-id EC2-A --no-source-dest-check");
	in = (const struct instance *)model_find(tl.lab, RES_INSTANCE,
						 "EC2-A");
	cr_assert_not_null(in);
	cr_expect(in->no_source_dest_check);
	ok("modify-instance-attribute --instance-id EC2-A --source-dest-check {\"Value\":true}");
	in = (const struct instance *)model_find(tl.lab, RES_INSTANCE,
						 "EC2-A");
	cr_expect_not(in->no_source_dest_check);
	fails("modify-instance-attribute --instance-id EC2-A",
	      "Vpcemu.Unsupported", NULL);
	fails("modify-instance-attribute --instance-id nope --no-source-dest-check",
	      "InvalidInstanceID.NotFound", NULL);
}

/* ---- Site-to-Site VPN (ec2vpn.c) ---- */

/* A gateway on VPC-A, an office with one connection, static routing. */
static void vpn_office(void)
{
	ok("create-vpn-gateway --type ipsec.1 --amazon-side-asn 64600 --tag-specifications ResourceType=vpn-gateway,Tags=[{Key=Name,Value=VGW}]");
	ok("attach-vpn-gateway --vpn-gateway-id VGW --vpc-id VPC-A");
	ok("create-customer-gateway --type ipsec.1 --public-ip 192.0.2.10 --bgp-asn 65010 --networks 192.168.10.0/24 --tag-specifications ResourceType=customer-gateway,Tags=[{Key=Name,Value=Office}]");
	ok("create-vpn-connection --type ipsec.1 --customer-gateway-id Office --vpn-gateway-id VGW --options StaticRoutesOnly=true --tag-specifications ResourceType=vpn-connection,Tags=[{Key=Name,Value=Conn}]");
}

/* The objects AWS answers with; the connection's tunnels and keys come
 * from the rebuilt model. */
Test(ec2, vpn_create_answers)
{
	const struct vpn_connection *c;

	vpn_office();
	cr_expect_str_eq(jpath(out, "VpnConnection.Type"), "ipsec.1");
	cr_expect_str_eq(jpath(out, "VpnConnection.VgwTelemetry.0.Status"),
			 "DOWN");
	cr_expect_not_null(
		jpath(out, "VpnConnection.Options.TunnelOptions.1.PreSharedKey"));
	c = (const struct vpn_connection *)model_find(tl.lab,
						      RES_VPN_CONNECTION,
						      "Conn");
	cr_assert_not_null(c);
	cr_expect(!c->bgp);
	cr_expect_neq(c->tunnels[0].outside_ip, 0);
	cr_expect_eq(((const struct vpn_gateway *)model_find(
			      tl.lab, RES_VPN_GATEWAY, "VGW"))
			     ->asn,
		     64600);
}

/* The downloadable configuration names each tunnel's outside and inside
 * addresses at both ends and its key; the ASNs only with BGP. */
Test(ec2, vpn_customer_gateway_configuration)
{
	const struct vpn_connection *c;
	const char *x;
	char want[160], a[IP_BUF], b[IP_BUF];
	size_t t;

	vpn_office();
	x = jpath(out, "VpnConnection.CustomerGatewayConfiguration");
	cr_assert_not_null(x);
	c = (const struct vpn_connection *)model_find(tl.lab,
						      RES_VPN_CONNECTION,
						      "Conn");
	cr_assert_not_null(c);
	for (t = 0; t < MODEL_VPN_TUNNELS; t++) {
		snprintf(want, sizeof(want),
			 "<pre_shared_key>%s</pre_shared_key>",
			 c->tunnels[t].psk);
		cr_expect(strstr(x, want), "%s", want);
		snprintf(want, sizeof(want),
			 "<ip_address>%s</ip_address>",
			 ip_fmt(c->tunnels[t].outside_ip, a));
		cr_expect(strstr(x, want), "%s", want);
		snprintf(want, sizeof(want),
			 "<ip_address>%s</ip_address>",
			 ip_fmt(c->tunnels[t].inside + 2, b));
		cr_expect(strstr(x, want), "%s", want);
	}
	cr_expect(strstr(x, "<ip_address>192.0.2.10</ip_address>"));
	cr_expect(strstr(x, "<vpn_gateway_id>"));
	cr_expect_null(strstr(x, "<bgp>"), "static routing: no BGP");
	ok("create-vpn-connection --type ipsec.1 --customer-gateway-id Office --vpn-gateway-id VGW");
	x = jpath(out, "VpnConnection.CustomerGatewayConfiguration");
	cr_expect(x && strstr(x, "<asn>65010</asn>") &&
		  strstr(x, "<asn>64600</asn>"),
		  "%s", x ? x : "(none)");
}

/* Static routes propagate into a table once it propagates the gateway,
 * and go when it stops. */
Test(ec2, vpn_route_propagation)
{
	struct plan *p;

	vpn_office();
	ok("create-vpn-connection-route --vpn-connection-id Conn --destination-cidr-block 192.168.10.0/24");
	fails("create-vpn-connection-route --vpn-connection-id Conn --destination-cidr-block 192.168.10.0/24",
	      "RouteAlreadyExists", NULL);
	ok("enable-vgw-route-propagation --gateway-id VGW --route-table-id RT-A");
	p = plan_build(tl.lab);
	cr_assert_not_null(p);
	cr_expect_not_null(find_route(p, "192.168.10.0/24", NULL));
	plan_free(p);
	ok("disable-vgw-route-propagation --gateway-id VGW --route-table-id RT-A");
	p = plan_build(tl.lab);
	cr_assert_not_null(p);
	cr_expect_null(find_route(p, "192.168.10.0/24", "vgw-"));
	plan_free(p);
	fails("enable-vgw-route-propagation --gateway-id VGW --route-table-id RT-B",
	      "Gateway.NotAttached", NULL);
}

Test(ec2, vpn_errors)
{
	fails("create-customer-gateway --type ipsec.1 --public-ip 192.0.2.10",
	      "MissingParameter", NULL);
	fails("create-vpn-gateway --type ipsec.2", "InvalidParameterValue",
	      NULL);
	vpn_office();
	fails("delete-vpn-gateway --vpn-gateway-id VGW", "IncorrectState",
	      NULL);
	fails("delete-customer-gateway --customer-gateway-id Office",
	      "IncorrectState", NULL);
	fails("create-vpn-connection --type ipsec.1 --customer-gateway-id Office",
	      "MissingParameter", NULL);
	ok("delete-vpn-connection --vpn-connection-id Conn");
	ok("detach-vpn-gateway --vpn-gateway-id VGW --vpc-id VPC-A");
	ok("delete-vpn-gateway --vpn-gateway-id VGW");
	ok("delete-customer-gateway --customer-gateway-id Office");
	fails("delete-vpn-gateway --vpn-gateway-id VGW",
	      "InvalidVpnGatewayID.NotFound", NULL);
}
