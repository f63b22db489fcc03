/* test_describe.c - describe_lab: the EC2 API's JSON shapes for the
 * hands-on topology (golden, VPCEMU_UPDATE_GOLDEN=1 rewrites), the table
 * view, and the argument checks. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "vpcemu/describe.h"
#include "vpcemu/model.h"

#define PEERING_CONF "../topologies/vpc-peering.conf"

Test(describe, golden_vpc_peering)
{
	struct test_lab t = { 0 };
	json_t *j;
	char *text, *table;

	test_lab_file(&t, PEERING_CONF, NULL, TEST_LAB_CHECK | TEST_LAB_CLEAN);
	j = describe_lab(t.lab, NULL);
	cr_assert(j);
	text = json_dumps(j, JSON_INDENT(2));
	cr_assert(text);
	test_golden("golden/describe/vpc-peering.json", text);
	table = describe_table(j);
	cr_assert(table);
	test_golden("golden/describe/vpc-peering.txt", table);
	free(text);
	free(table);
	json_decref(j);
	test_lab_free(&t);
}

Test(describe, shapes)
{
	struct test_lab t = { 0 };
	json_t *j, *rt, *acl;
	size_t i, n;

	test_lab_file(&t, PEERING_CONF, NULL, TEST_LAB_CHECK | TEST_LAB_CLEAN);
	j = describe_lab(t.lab, "vpc-peering-connections");
	cr_assert_eq(json_object_size(j), 1);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(
				 json_array_get(json_object_get(j, "VpcPeeringConnections"), 0),
				 "Status"), "Code")),
			 "active");
	json_decref(j);

	j = describe_lab(t.lab, "route-tables");
	rt = json_array_get(json_object_get(j, "RouteTables"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(
				 json_object_get(rt, "Routes"), 1), "State")),
			 "active");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(
				 json_object_get(rt, "Routes"), 1), "Origin")),
			 "CreateRoute");
	json_decref(j);

	/* Every ACL ends each direction with the '*' rule, 32767. */
	j = describe_lab(t.lab, "network-acls");
	acl = json_array_get(json_object_get(j, "NetworkAcls"), 0);
	n = json_array_size(json_object_get(acl, "Entries"));
	cr_assert_eq(n, 4);
	for (i = 0; i < n; i += 2)
		cr_assert_eq(json_integer_value(json_object_get(json_array_get(
				     json_object_get(acl, "Entries"), i + 1),
				     "RuleNumber")), 32767);
	json_decref(j);

	j = describe_lab(t.lab, "instances");
	cr_assert_eq(json_array_size(json_object_get(j, "Reservations")), 2);
	json_decref(j);

	errno = 0;
	cr_assert_null(describe_lab(t.lab, "gateways"));
	cr_assert_eq(errno, EINVAL);
	test_lab_free(&t);
}
