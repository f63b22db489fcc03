/* test_dynamodb.c - the DynamoDB stand-in: each operation, each error
 * DynamoDB would give, the caps. ddb_handle is called directly; no socket,
 * no root. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "vpcemu/dynamodb.h"
#include "vpcemu/httpd.h"

static struct ddb_store *st;
static struct httpd_reply rp;
static json_t *out;		/* the reply's JSON, after call() */

static void setup(void)
{
	st = ddb_store_new();
	cr_assert_not_null(st);
}

static void teardown(void)
{
	httpd_reply_free(&rp);
	json_decref(out);
	ddb_store_free(st);
}

TestSuite(dynamodb, .init = setup, .fini = teardown, .timeout = 60);

/* POSTs body to DynamoDB_20120810.op; returns the status, the reply's
 * JSON in out. */
static int call_method(const char *method, const char *op, const char *body)
{
	char target[64];
	struct httpd_field h[] = {
		{ "Host", "dynamodb.eu-west-1.amazonaws.com" },
		{ "X-Amz-Target", target },
	};
	struct httpd_request rq = { .method = method, .path = "/",
				    .headers = h, .nheaders = 2,
				    .body = body, .body_len = strlen(body) };
	char *text;

	snprintf(target, sizeof(target), "DynamoDB_20120810.%s", op);
	httpd_reply_free(&rp);
	json_decref(out);
	ddb_handle(st, &rq, &rp);
	cr_assert(!rp.oom);
	text = test_reply_body(&rp);
	out = json_loads(text, 0, NULL);
	if (rp.status != 200 || strcmp(method, "GET"))
		cr_assert_not_null(out, "not JSON: %s", text);
	free(text);
	if (strcmp(method, "GET"))
		cr_expect_str_eq(test_reply_header(&rp, "Content-Type"),
				 "application/x-amz-json-1.0");
	return rp.status;
}

static int call(const char *op, const char *body)
{
	return call_method("POST", op, body);
}

static void expect_error(int status, const char *type, const char *msg)
{
	const char *m = json_string_value(json_object_get(out, "message"));

	cr_expect_eq(status, 400);
	cr_expect_str_eq(json_string_value(json_object_get(out, "__type")),
			 type);
	cr_expect(m && strstr(m, msg), "want \"%s\" in \"%s\"", msg, m);
}

#define VALIDATION "com.amazon.coral.validate#ValidationException"
#define NOT_FOUND "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"

/* Users: HASH id (S). Events: HASH dev (S), RANGE ts (N), on demand. */
static void tables(void)
{
	cr_assert_eq(call("CreateTable",
			  "{\"TableName\":\"Users\","
			  "\"KeySchema\":[{\"AttributeName\":\"id\","
			  "\"KeyType\":\"HASH\"}],"
			  "\"AttributeDefinitions\":[{\"AttributeName\":\"id\","
			  "\"AttributeType\":\"S\"}],"
			  "\"ProvisionedThroughput\":{\"ReadCapacityUnits\":5,"
			  "\"WriteCapacityUnits\":5}}"),
		     200);
	cr_assert_eq(call("CreateTable",
			  "{\"TableName\":\"Events\",\"BillingMode\":"
			  "\"PAY_PER_REQUEST\",\"KeySchema\":["
			  "{\"AttributeName\":\"dev\",\"KeyType\":\"HASH\"},"
			  "{\"AttributeName\":\"ts\",\"KeyType\":\"RANGE\"}],"
			  "\"AttributeDefinitions\":["
			  "{\"AttributeName\":\"ts\",\"AttributeType\":\"N\"},"
			  "{\"AttributeName\":\"dev\",\"AttributeType\":\"S\"}]}"),
		     200);
}

static const char *desc_str(const char *outer, const char *k)
{
	return json_string_value(json_object_get(json_object_get(out, outer),
						 k));
}

/* Asserts the number of items DescribeTable reports for table. */
static void expect_count(const char *table, json_int_t want)
{
	char body[96];

	snprintf(body, sizeof(body), "{\"TableName\":\"%s\"}", table);
	cr_assert_eq(call("DescribeTable", body), 200);
	cr_expect_eq(json_integer_value(json_object_get(
			     json_object_get(out, "Table"), "ItemCount")),
		     want, "%s", table);
}

/* Gets Events' item (d, ts) and expects its v (NULL: no item). */
static void expect_event(const char *ts, const char *v)
{
	char body[160];

	snprintf(body, sizeof(body),
		 "{\"TableName\":\"Events\",\"Key\":{\"dev\":{\"S\":\"d\"},"
		 "\"ts\":{\"N\":\"%s\"}}}", ts);
	cr_assert_eq(call("GetItem", body), 200);
	if (!v)
		cr_expect_null(json_object_get(out, "Item"), "ts %s", ts);
	else
		cr_expect_str_eq(json_string_value(json_object_get(
					 json_object_get(json_object_get(
								 out, "Item"),
							 "v"),
					 "S")),
				 v, "ts %s", ts);
}

Test(dynamodb, create_describe_list_delete)
{
	tables();
	cr_expect_str_eq(desc_str("TableDescription", "TableStatus"),
			 "ACTIVE");
	cr_expect_str_eq(desc_str("TableDescription", "TableArn"),
			 "arn:aws:dynamodb:eu-west-1:000000000000:table/Events");
	cr_expect_str_eq(json_string_value(json_object_get(
				 json_object_get(json_object_get(
							 out,
							 "TableDescription"),
						 "BillingModeSummary"),
				 "BillingMode")),
			 "PAY_PER_REQUEST");

	cr_assert_eq(call("DescribeTable", "{\"TableName\":\"Users\"}"), 200);
	cr_expect_str_eq(desc_str("Table", "TableName"), "Users");
	cr_expect_eq(json_integer_value(json_object_get(
			     json_object_get(json_object_get(out, "Table"),
					     "ProvisionedThroughput"),
			     "ReadCapacityUnits")),
		     5);
	cr_expect_eq(json_array_size(json_object_get(
			     json_object_get(out, "Table"), "KeySchema")),
		     1);

	cr_assert_eq(call("ListTables", "{}"), 200);
	cr_expect_str_eq(json_string_value(json_array_get(
				 json_object_get(out, "TableNames"), 0)),
			 "Events");
	cr_expect_eq(json_array_size(json_object_get(out, "TableNames")), 2);
	cr_expect_null(json_object_get(out, "LastEvaluatedTableName"));
	cr_assert_eq(call("ListTables", "{\"Limit\":1}"), 200);
	cr_expect_str_eq(json_string_value(json_object_get(
				 out, "LastEvaluatedTableName")),
			 "Events");
	cr_assert_eq(call("ListTables",
			  "{\"ExclusiveStartTableName\":\"Events\"}"),
		     200);
	cr_expect_str_eq(json_string_value(json_array_get(
				 json_object_get(out, "TableNames"), 0)),
			 "Users");
	expect_error(call("ListTables", "{\"Limit\":0}"), VALIDATION,
		     "'limit'");

	cr_assert_eq(call("DeleteTable", "{\"TableName\":\"Users\"}"), 200);
	cr_expect_str_eq(desc_str("TableDescription", "TableStatus"),
			 "DELETING");
	expect_error(call("DescribeTable", "{\"TableName\":\"Users\"}"),
		     NOT_FOUND, "Requested resource not found: Table: Users "
				"not found");
	expect_error(call("DeleteTable", "{\"TableName\":\"Users\"}"),
		     NOT_FOUND, "Table: Users not found");
	cr_assert_eq(call("ListTables", "{}"), 200);
	cr_expect_eq(json_array_size(json_object_get(out, "TableNames")), 1);
}

Test(dynamodb, create_table_errors)
{
	static const struct {
		const char *body, *type, *msg;
	} bad[] = {
		{ "{\"KeySchema\":[]}", VALIDATION, "Member must not be null" },
		{ "{\"TableName\":\"ab\"}", VALIDATION, "between 3 and 255" },
		{ "{\"TableName\":\"a b c\"}", VALIDATION, "[a-zA-Z0-9_.-]+" },
		{ "{\"TableName\":\"T1x\",\"KeySchema\":[],"
		  "\"AttributeDefinitions\":[]}", VALIDATION, "'keySchema'" },
		{ "{\"TableName\":\"T1x\",\"KeySchema\":[{\"AttributeName\":"
		  "\"a\",\"KeyType\":\"RANGE\"}],\"AttributeDefinitions\":[]}",
		  VALIDATION, "first KeySchemaElement is not a HASH" },
		{ "{\"TableName\":\"T1x\",\"KeySchema\":[{\"AttributeName\":"
		  "\"a\",\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[]}",
		  VALIDATION, "not defined in AttributeDefinitions" },
		{ "{\"TableName\":\"T1x\",\"KeySchema\":[{\"AttributeName\":"
		  "\"a\",\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{"
		  "\"AttributeName\":\"a\",\"AttributeType\":\"X\"}]}",
		  VALIDATION, "[B, N, S]" },
		{ "{\"TableName\":\"T1x\",\"KeySchema\":[{\"AttributeName\":"
		  "\"a\",\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{"
		  "\"AttributeName\":\"a\",\"AttributeType\":\"S\"},{"
		  "\"AttributeName\":\"b\",\"AttributeType\":\"S\"}],"
		  "\"BillingMode\":\"PAY_PER_REQUEST\"}",
		  VALIDATION, "does not exactly match" },
		{ "{\"TableName\":\"T1x\",\"KeySchema\":[{\"AttributeName\":"
		  "\"a\",\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{"
		  "\"AttributeName\":\"a\",\"AttributeType\":\"S\"}]}",
		  VALIDATION, "must both be specified when BillingMode is "
			      "PROVISIONED" },
		{ "{\"TableName\":\"T1x\",\"KeySchema\":[{\"AttributeName\":"
		  "\"a\",\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{"
		  "\"AttributeName\":\"a\",\"AttributeType\":\"S\"}],"
		  "\"BillingMode\":\"PAY_PER_REQUEST\",\"ProvisionedThroughput\":"
		  "{\"ReadCapacityUnits\":1,\"WriteCapacityUnits\":1}}",
		  VALIDATION, "Neither ReadCapacityUnits" },
		{ "{\"TableName\":\"T1x\",\"GlobalSecondaryIndexes\":[]}",
		  VALIDATION, "vpcemu does not support GlobalSecondaryIndexes" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		expect_error(call("CreateTable", bad[i].body), bad[i].type,
			     bad[i].msg);
	cr_assert_eq(call("ListTables", "{}"), 200);
	cr_expect_eq(json_array_size(json_object_get(out, "TableNames")), 0);
	tables();
	expect_error(call("CreateTable",
			  "{\"TableName\":\"Users\",\"BillingMode\":"
			  "\"PAY_PER_REQUEST\",\"KeySchema\":[{"
			  "\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}],"
			  "\"AttributeDefinitions\":[{\"AttributeName\":"
			  "\"id\",\"AttributeType\":\"S\"}]}"),
		     "com.amazonaws.dynamodb.v20120810#ResourceInUseException",
		     "Table already exists: Users");
}

Test(dynamodb, put_get_delete_item)
{
	json_t *item;

	tables();
	cr_assert_eq(call("PutItem",
			  "{\"TableName\":\"Users\",\"Item\":{\"id\":{\"S\":"
			  "\"u1\"},\"age\":{\"N\":\"42\"},\"tags\":{\"SS\":"
			  "[\"a\",\"b\"]},\"m\":{\"M\":{\"x\":{\"L\":[{\"BOOL\":"
			  "true},{\"NULL\":true}]}}}}}"),
		     200);
	cr_expect_eq(json_object_size(out), 0);
	cr_assert_eq(call("GetItem", "{\"TableName\":\"Users\",\"Key\":"
				     "{\"id\":{\"S\":\"u1\"}}}"),
		     200);
	item = json_object_get(out, "Item");
	cr_expect_str_eq(json_string_value(json_object_get(
				 json_object_get(item, "age"), "N")),
			 "42");
	cr_expect_eq(json_object_size(item), 4);

	/* Replace, asking for the old item back. */
	cr_assert_eq(call("PutItem",
			  "{\"TableName\":\"Users\",\"ReturnValues\":"
			  "\"ALL_OLD\",\"Item\":{\"id\":{\"S\":\"u1\"}}}"),
		     200);
	cr_expect_str_eq(json_string_value(json_object_get(
				 json_object_get(json_object_get(out,
								 "Attributes"),
						 "age"),
				 "N")),
			 "42");
	cr_assert_eq(call("GetItem", "{\"TableName\":\"Users\",\"Key\":"
				     "{\"id\":{\"S\":\"u1\"}}}"),
		     200);
	cr_expect_eq(json_object_size(json_object_get(out, "Item")), 1);

	cr_assert_eq(call("DeleteItem",
			  "{\"TableName\":\"Users\",\"ReturnValues\":"
			  "\"ALL_OLD\",\"Key\":{\"id\":{\"S\":\"u1\"}}}"),
		     200);
	cr_expect_not_null(json_object_get(out, "Attributes"));
	cr_assert_eq(call("GetItem", "{\"TableName\":\"Users\",\"Key\":"
				     "{\"id\":{\"S\":\"u1\"}}}"),
		     200);
	cr_expect_null(json_object_get(out, "Item"), "deleted, still there");
	cr_assert_eq(call("DeleteItem", "{\"TableName\":\"Users\",\"Key\":"
					"{\"id\":{\"S\":\"u1\"}}}"),
		     200);
	cr_expect_null(json_object_get(out, "Attributes"));
	expect_count("Users", 0);
}

Test(dynamodb, composite_keys_and_numbers_by_value)
{
	tables();
	cr_assert_eq(call("PutItem",
			  "{\"TableName\":\"Events\",\"Item\":{\"dev\":{\"S\":"
			  "\"d\"},\"ts\":{\"N\":\"100\"},\"v\":{\"S\":\"a\"}}}"),
		     200);
	cr_assert_eq(call("PutItem",
			  "{\"TableName\":\"Events\",\"Item\":{\"dev\":{\"S\":"
			  "\"d\"},\"ts\":{\"N\":\"101\"},\"v\":{\"S\":\"b\"}}}"),
		     200);
	expect_event("1.00E2", "a");
	expect_event("0101.0", "b");
	expect_event("10", NULL);
	expect_event("100.5", NULL);
	expect_count("Events", 2);
}

Test(dynamodb, item_errors)
{
	static const struct {
		const char *op, *body, *type, *msg;
	} bad[] = {
		{ "PutItem", "{\"TableName\":\"Nope\",\"Item\":{}}", NOT_FOUND,
		  "Requested resource not found" },
		{ "GetItem", "{\"TableName\":\"Nope\",\"Key\":{}}", NOT_FOUND,
		  "Requested resource not found" },
		{ "DeleteItem", "{\"TableName\":\"Nope\",\"Key\":{}}",
		  NOT_FOUND, "Requested resource not found" },
		{ "PutItem", "{\"Item\":{}}", VALIDATION, "'tableName'" },
		{ "PutItem", "{\"TableName\":\"Users\"}", VALIDATION,
		  "'item'" },
		{ "PutItem", "{\"TableName\":\"Users\",\"Item\":{\"x\":{\"S\":"
			     "\"1\"}}}",
		  VALIDATION, "Missing the key id in the item" },
		{ "PutItem", "{\"TableName\":\"Users\",\"Item\":{\"id\":{\"N\":"
			     "\"1\"}}}",
		  VALIDATION, "Type mismatch for key id expected: S actual: N" },
		{ "PutItem", "{\"TableName\":\"Users\",\"Item\":{\"id\":{\"S\":"
			     "\"\"}}}",
		  VALIDATION, "cannot contain an empty string value. Key: id" },
		{ "PutItem", "{\"TableName\":\"Users\",\"Item\":{\"id\":{\"S\":"
			     "\"1\"},\"n\":{\"N\":\"12abc\"}}}",
		  VALIDATION, "cannot be converted to a numeric value" },
		{ "PutItem", "{\"TableName\":\"Users\",\"Item\":{\"id\":{\"S\":"
			     "\"1\"},\"n\":{\"N\":\"1234567890123456789012345"
			     "67890123456789\"}}}",
		  VALIDATION, "cannot be converted to a numeric value" },
		{ "PutItem", "{\"TableName\":\"Users\",\"Item\":{\"id\":{\"S\":"
			     "\"1\"},\"x\":{}}}",
		  VALIDATION, "Supplied AttributeValue is empty" },
		{ "PutItem", "{\"TableName\":\"Users\",\"Item\":{\"id\":{\"S\":"
			     "\"1\"},\"x\":{\"S\":\"a\",\"N\":\"1\"}}}",
		  VALIDATION, "Supplied AttributeValue is empty" },
		{ "PutItem", "{\"TableName\":\"Users\",\"Item\":{\"id\":{\"S\":"
			     "\"1\"},\"x\":{\"SS\":[]}}}",
		  VALIDATION, "may not be empty" },
		{ "PutItem", "{\"TableName\":\"Users\",\"ReturnValues\":"
			     "\"ALL_NEW\",\"Item\":{\"id\":{\"S\":\"1\"}}}",
		  VALIDATION, "ReturnValues" },
		{ "PutItem", "{\"TableName\":\"Users\",\"ConditionExpression\":"
			     "\"attribute_not_exists(id)\",\"Item\":{\"id\":"
			     "{\"S\":\"1\"}}}",
		  VALIDATION, "vpcemu does not support ConditionExpression" },
		{ "GetItem", "{\"TableName\":\"Users\",\"Key\":{\"id\":{\"S\":"
			     "\"1\"},\"extra\":{\"S\":\"1\"}}}",
		  VALIDATION, "The provided key element does not match" },
		{ "GetItem", "{\"TableName\":\"Users\",\"Key\":{\"id\":{\"N\":"
			     "\"1\"}}}",
		  VALIDATION, "The provided key element does not match" },
		{ "GetItem", "{\"TableName\":\"Users\"}", VALIDATION, "'key'" },
		{ "GetItem", "{\"TableName\":\"Users\",\"ProjectionExpression\":"
			     "\"a\",\"Key\":{\"id\":{\"S\":\"1\"}}}",
		  VALIDATION, "ProjectionExpression" },
		{ "DeleteItem", "{\"TableName\":\"Events\",\"Key\":{\"dev\":"
				"{\"S\":\"1\"}}}",
		  VALIDATION, "The provided key element does not match" },
	};
	size_t i;

	tables();
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		expect_error(call(bad[i].op, bad[i].body), bad[i].type,
			     bad[i].msg);
	expect_count("Users", 0);	/* a refused put stores nothing */
}

Test(dynamodb, protocol_errors)
{
	expect_error(call("Scan", "{}"),
		     "com.amazon.coral.service#UnknownOperationException",
		     "not recognized");
	expect_error(call_method("PUT", "ListTables", "{}"),
		     "com.amazon.coral.service#UnknownOperationException",
		     "not recognized");
	expect_error(call("ListTables", "{nope"),
		     "com.amazon.coral.service#SerializationException", "");
	expect_error(call("ListTables", "[]"),
		     "com.amazon.coral.service#SerializationException", "");
	cr_expect_eq(call_method("GET", "", ""), 200);
	cr_expect_str_eq(test_reply_header(&rp, "Content-Type"), "text/plain");
}

Test(dynamodb, item_size_cap)
{
	size_t n = DDB_ITEM_MAX + 16;
	char *big = malloc(n + 128), *p;

	cr_assert_not_null(big);
	tables();
	p = big + sprintf(big, "{\"TableName\":\"Users\",\"Item\":{\"id\":"
			       "{\"S\":\"1\"},\"v\":{\"S\":\"");
	memset(p, 'x', DDB_ITEM_MAX);
	strcpy(p + DDB_ITEM_MAX, "\"}}}");
	expect_error(call("PutItem", big), VALIDATION,
		     "Item size has exceeded the maximum allowed size");
	/* id (2 + 1) and v (1 + value): under the cap by a little. */
	strcpy(p + DDB_ITEM_MAX - 8, "\"}}}");
	cr_expect_eq(call("PutItem", big), 200);
	free(big);
}

Test(dynamodb, store_caps)
{
	char body[160];
	unsigned i;

	tables();
	for (i = 0; i < DDB_ITEMS_MAX; i++) {
		snprintf(body, sizeof(body),
			 "{\"TableName\":\"Users\",\"Item\":{\"id\":{\"S\":"
			 "\"%u\"}}}", i);
		cr_assert_eq(call("PutItem", body), 200);
	}
	expect_error(call("PutItem", "{\"TableName\":\"Users\",\"Item\":{"
				     "\"id\":{\"S\":\"more\"}}}"),
		     "com.amazonaws.dynamodb.v20120810#LimitExceededException",
		     "at most");
	cr_expect_eq(call("PutItem", "{\"TableName\":\"Users\",\"Item\":{"
				     "\"id\":{\"S\":\"7\"},\"a\":{\"S\":"
				     "\"b\"}}}"),
		     200, "an overwrite adds no item");
	/* Deleting the table frees its share. */
	cr_assert_eq(call("DeleteTable", "{\"TableName\":\"Users\"}"), 200);
	cr_expect_eq(call("PutItem", "{\"TableName\":\"Events\",\"Item\":{"
				     "\"dev\":{\"S\":\"d\"},\"ts\":{\"N\":"
				     "\"1\"}}}"),
		     200);
}

Test(dynamodb, too_many_tables)
{
	char body[256];
	unsigned i;

	for (i = 0; i <= DDB_TABLES_MAX; i++) {
		snprintf(body, sizeof(body),
			 "{\"TableName\":\"t%04u\",\"BillingMode\":"
			 "\"PAY_PER_REQUEST\",\"KeySchema\":[{\"AttributeName\":"
			 "\"k\",\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":"
			 "[{\"AttributeName\":\"k\",\"AttributeType\":\"S\"}]}",
			 i);
		if (i < DDB_TABLES_MAX)
			cr_assert_eq(call("CreateTable", body), 200);
	}
	expect_error(call("CreateTable", body),
		     "com.amazonaws.dynamodb.v20120810#LimitExceededException",
		     "tables");
}

Test(dynamodb, body_too_large)
{
	struct httpd_field h[] = {
		{ "X-Amz-Target", "DynamoDB_20120810.PutItem" },
	};
	struct httpd_request rq = { .method = "POST", .path = "/",
				    .headers = h, .nheaders = 1, .body = "",
				    .body_too_large = true };
	char *text;

	ddb_handle(st, &rq, &rp);
	text = test_reply_body(&rp);
	out = json_loads(text, 0, NULL);
	free(text);
	expect_error(rp.status, VALIDATION, "at most");
}
