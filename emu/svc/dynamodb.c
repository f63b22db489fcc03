/* dynamodb.c - the in-memory DynamoDB stand-in (dynamodb.h).
 *
 * A store owns its tables; a table owns its items, kept as the JSON
 * AttributeValue maps clients sent, in a jansson object keyed by the
 * item's primary key in canonical form (numbers by value: "1" and "1.0"
 * are one key, as in DynamoDB). Requests and replies are jansson values.
 *
 * Error types and messages are DynamoDB's (API reference "Common errors",
 * the developer guide's "Error handling"); what vpcemu leaves out is
 * refused with ValidationException naming the parameter, never ignored: a
 * condition that is silently not checked would pass a test that AWS fails.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "vpcemu/dynamodb.h"
#include "vpcemu/httpd.h"
#include "vpcemu/util.h"

#define TARGET_PREFIX "DynamoDB_20120810."
#define T_DDB "com.amazonaws.dynamodb.v20120810#"
#define T_VALIDATION "com.amazon.coral.validate#ValidationException"
#define T_NOT_FOUND T_DDB "ResourceNotFoundException"
#define T_IN_USE T_DDB "ResourceInUseException"
#define T_LIMIT T_DDB "LimitExceededException"
#define T_SERIAL "com.amazon.coral.service#SerializationException"
#define T_UNKNOWN_OP "com.amazon.coral.service#UnknownOperationException"
#define INVALID "One or more parameter values were invalid: "
#define ACCOUNT "000000000000"	/* as DynamoDB Local: no real account */
#define NUM_DIGITS_MAX 38	/* significant digits of a Number, as AWS */

struct table {
	char *name;
	json_t *key_schema, *attr_defs;	/* as sent, for DescribeTable */
	const char *key[2];		/* HASH, RANGE (NULL): in key_schema */
	char type[2];			/* 'S', 'N' or 'B' */
	json_int_t rcu, wcu;		/* 0 and 0: PAY_PER_REQUEST */
	time_t created;
	char region[64];
	json_t *items;			/* canonical key -> {"size": DynamoDB's
					   size, "item": the item} */
	size_t bytes;			/* DynamoDB's size of all items */
};

struct ddb_store {
	struct table *tables;
	size_t ntables, cap;
	size_t items, bytes;	/* totals, for the caps */
	unsigned long long requests;
};

/* One request. */
struct ddb_req {
	struct ddb_store *s;
	const struct httpd_request *rq;
	struct httpd_reply *rp;
	json_t *in;		/* the request's JSON object */
	char region[64];
	char id[33];
};

static void table_free(struct table *t)
{
	free(t->name);
	json_decref(t->key_schema);
	json_decref(t->attr_defs);
	json_decref(t->items);
}

struct ddb_store *ddb_store_new(void)
{
	return calloc(1, sizeof(struct ddb_store));
}

void ddb_store_free(struct ddb_store *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->ntables; i++)
		table_free(&s->tables[i]);
	free(s->tables);
	free(s);
}

/* ---- replies ---- */

/* Sends o (taken) with status. */
static void reply(struct ddb_req *q, int status, json_t *o)
{
	struct strbuf b = { 0 };
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	if (!s) {
		q->rp->oom = true;
		return;
	}
	sb_puts(&b, s);
	free(s);
	httpd_reply_header(q->rp, "x-amzn-RequestId", "%s", q->id);
	httpd_reply_text(q->rp, status, "application/x-amz-json-1.0", &b);
}

static void fail(struct ddb_req *q, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct ddb_req *q, const char *type, const char *fmt, ...)
{
	struct strbuf m = { 0 };
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(&m, fmt, ap);
	va_end(ap);
	reply(q, 400, m.oom ? NULL :
			      json_pack("{s:s, s:s}", "__type", type,
					"message", m.s));
	sb_free(&m);
}

static struct table *table_get(struct ddb_store *s, const char *name)
{
	size_t i;

	for (i = 0; name && i < s->ntables; i++)
		if (!strcmp(s->tables[i].name, name))
			return &s->tables[i];
	return NULL;
}

static json_t *describe(const struct table *t, const char *status)
{
	char arn[512];
	json_t *d;

	snprintf(arn, sizeof(arn), "arn:aws:dynamodb:%s:" ACCOUNT ":table/%s",
		 t->region, t->name);
	d = json_pack(
		"{s:O, s:s, s:O, s:s, s:I, s:{s:I, s:I, s:I}, s:I, s:I, s:s}",
		"AttributeDefinitions", t->attr_defs, "TableName", t->name,
		"KeySchema", t->key_schema, "TableStatus", status,
		"CreationDateTime", (json_int_t)t->created,
		"ProvisionedThroughput", "NumberOfDecreasesToday",
		(json_int_t)0, "ReadCapacityUnits", t->rcu,
		"WriteCapacityUnits", t->wcu, "TableSizeBytes",
		(json_int_t)t->bytes, "ItemCount",
		(json_int_t)json_object_size(t->items), "TableArn", arn);

	if (d && !t->rcu &&
	    json_object_set_new(d, "BillingModeSummary",
				json_pack("{s:s}", "BillingMode",
					  "PAY_PER_REQUEST"))) {
		json_decref(d);
		d = NULL;
	}
	return d;
}

/* ---- attribute values ---- */

/* The canonical form of Number s ("-0.15e2" for "-1.5E1"; "0" for any
 * zero) into b; false when s is no number DynamoDB takes. */
static bool num_canon(const char *s, struct strbuf *b)
{
	char digits[NUM_DIGITS_MAX + 1];
	size_t nd = 0, zeros = 0;
	long exp = 0, e;
	bool neg = false, dot = false, any = false;
	const char *p = s;
	char *end;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (; isdigit((unsigned char)*p) || (*p == '.' && !dot); p++) {
		if (*p == '.') {
			dot = true;
			continue;
		}
		any = true;
		if (!nd && *p == '0') {	/* leading zero */
			exp -= dot;
			continue;
		}
		exp += !dot;
		/* Trailing zeros are held back: they count only when a
		 * significant digit follows. */
		if (*p == '0') {
			zeros++;
			continue;
		}
		for (; zeros; zeros--) {
			if (nd == NUM_DIGITS_MAX)
				return false;
			digits[nd++] = '0';
		}
		if (nd == NUM_DIGITS_MAX)
			return false;
		digits[nd++] = *p;
	}
	if (!any)
		return false;
	if (*p == 'e' || *p == 'E') {
		errno = 0;
		e = strtol(p + 1, &end, 10);
		if (errno || end == p + 1 || !isdigit((unsigned char)end[-1]))
			return false;
		exp += e;
		p = end;
	}
	if (*p)
		return false;
	if (!nd) {
		sb_puts(b, "0");
		return true;
	}
	sb_printf(b, "%s0.%.*se%ld", neg ? "-" : "", (int)nd, digits, exp);
	return true;
}

/* Checks AttributeValue v (at attribute name, for messages) and adds its
 * DynamoDB size to *size: bytes of strings and binaries, about half a byte
 * a digit for numbers, 1 for BOOL and NULL, 3 + 1 an element for lists and
 * maps. On error replies ValidationException and returns false. */
static bool av_check(struct ddb_req *q, const char *name, json_t *v,
		     size_t *size)
{
	static const char *const types[] = { "S",  "N",  "B", "BOOL", "NULL",
					     "SS", "NS", "BS", "L", "M" };
	struct strbuf nb = { 0 };
	const char *t, *k;
	json_t *x = NULL, *e;
	size_t i;

	if (!json_is_object(v) || json_object_size(v) != 1)
		goto empty;
	json_object_foreach(v, t, x)
		break;
	for (i = 0; i < ARRAY_SIZE(types) && strcmp(types[i], t); i++)
		;
	switch (i) {
	case 0:	/* S */
	case 2:	/* B: base64, counted as the bytes it decodes to */
		if (!json_is_string(x))
			goto empty;
		*size += i ? json_string_length(x) * 3 / 4 :
			     json_string_length(x);
		return true;
	case 1:	/* N */
		if (!json_is_string(x) || !num_canon(json_string_value(x), &nb))
			goto number;
		*size += nb.len / 2 + 1;
		sb_free(&nb);
		return true;
	case 3:	/* BOOL */
	case 4:	/* NULL */
		if (i == 3 ? !json_is_boolean(x) : !json_is_true(x))
			goto empty;
		*size += 1;
		return true;
	case 5:	/* SS */
	case 6:	/* NS */
	case 7:	/* BS */
		if (!json_is_array(x) || !json_array_size(x)) {
			fail(q, T_VALIDATION,
			     INVALID "An string set  may not be empty");
			return false;
		}
		json_array_foreach(x, i, e) {
			json_t *one = json_pack("{s:O}", t[0] == 'S' ? "S" :
							 t[0] == 'N' ? "N" :
								       "B",
						e);
			bool ok = one && av_check(q, name, one, size);

			json_decref(one);
			if (!ok) {
				if (!one)
					q->rp->oom = true;
				return false;
			}
		}
		return true;
	case 8:	/* L */
		if (!json_is_array(x))
			goto empty;
		*size += 3;
		json_array_foreach(x, i, e) {
			*size += 1;
			if (!av_check(q, name, e, size))
				return false;
		}
		return true;
	case 9:	/* M */
		if (!json_is_object(x))
			goto empty;
		*size += 3;
		json_object_foreach(x, k, e) {
			*size += 1 + strlen(k);
			if (!av_check(q, k, e, size))
				return false;
		}
		return true;
	}
empty:
	fail(q, T_VALIDATION,
	     "Supplied AttributeValue is empty, must contain exactly one of "
	     "the supported datatypes");
	return false;
number:
	sb_free(&nb);
	fail(q, T_VALIDATION,
	     "The parameter cannot be converted to a numeric value: %s",
	     json_is_string(x) ? json_string_value(x) : "");
	return false;
}

/* The canonical primary key of item (the key attributes of t, of their
 * declared types) into b. With exact, item is a Key: it must hold the key
 * attributes and nothing else. On error replies ValidationException and
 * returns false. */
static bool key_of(struct ddb_req *q, const struct table *t, json_t *item,
		   bool exact, struct strbuf *b)
{
	struct strbuf val = { 0 };
	size_t i, n = 0, size = 0;
	json_t *v, *x;

	for (i = 0; i < 2 && t->key[i]; i++) {
		char type[2] = { t->type[i], '\0' };

		n++;
		v = json_object_get(item, t->key[i]);
		if (!v) {
			if (exact)
				goto schema;
			fail(q, T_VALIDATION,
			     INVALID "Missing the key %s in the item",
			     t->key[i]);
			return false;
		}
		if (!av_check(q, t->key[i], v, &size))
			return false;
		x = json_object_get(v, type);
		if (!x) {
			const char *actual = "";
			json_t *y;

			if (exact)
				goto schema;
			json_object_foreach(v, actual, y)
				break;
			fail(q, T_VALIDATION,
			     INVALID "Type mismatch for key %s expected: %s "
				     "actual: %s",
			     t->key[i], type, actual);
			return false;
		}
		if (!json_string_length(x)) {
			fail(q, T_VALIDATION,
			     "One or more parameter values are not valid. The "
			     "AttributeValue for a key attribute cannot contain "
			     "an empty %s value. Key: %s",
			     type[0] == 'S' ? "string" : "binary", t->key[i]);
			return false;
		}
		/* Length-prefixed: no value can pass for two. */
		if (type[0] == 'N')
			num_canon(json_string_value(x), &val);
		else
			sb_puts(&val, json_string_value(x));
		sb_printf(b, "%c%zu:", type[0], val.len);
		sb_putn(b, val.s ? val.s : "", val.len);
		b->oom |= val.oom;
		sb_free(&val);
	}
	if (exact && json_object_size(item) != n)
		goto schema;
	return true;
schema:
	fail(q, T_VALIDATION,
	     "The provided key element does not match the schema");
	return false;
}

/* Refuses what vpcemu does not emulate. */
static bool supported(struct ddb_req *q, const char *const *names)
{
	for (; *names; names++) {
		if (json_object_get(q->in, *names)) {
			fail(q, T_VALIDATION,
			     "vpcemu does not support %s in this operation",
			     *names);
			return false;
		}
	}
	return true;
}

/* The table the request names; NULL after replying ResourceNotFound
 * (with the table's name when long, as DescribeTable and DeleteTable). */
static struct table *req_table(struct ddb_req *q, bool long_message)
{
	const char *name = json_string_value(json_object_get(q->in,
							     "TableName"));
	struct table *t = table_get(q->s, name);

	if (!name)
		fail(q, T_VALIDATION,
		     "1 validation error detected: Value null at 'tableName' "
		     "failed to satisfy constraint: Member must not be null");
	else if (!t && long_message)
		fail(q, T_NOT_FOUND,
		     "Requested resource not found: Table: %s not found", name);
	else if (!t)
		fail(q, T_NOT_FOUND, "Requested resource not found");
	return t;
}

/* ReturnValues: ALL_OLD (*ret_old) or NONE; false after replying. */
static bool return_values(struct ddb_req *q, bool *ret_old)
{
	const char *rv = json_string_value(json_object_get(q->in,
							   "ReturnValues"));

	*ret_old = str_eq(rv, "ALL_OLD");
	if (rv && !*ret_old && strcmp(rv, "NONE")) {
		fail(q, T_VALIDATION,
		     "ReturnValues can only be ALL_OLD or NONE");
		return false;
	}
	return true;
}

/* The reply of a write: {} or {"Attributes": old}. Takes old. */
static void reply_old(struct ddb_req *q, json_t *old, bool want)
{
	json_t *o = json_object();

	if (o && old && want && json_object_set(o, "Attributes", old)) {
		json_decref(o);
		o = NULL;
	}
	json_decref(old);
	reply(q, 200, o);
}

/* ---- operations ---- */

static size_t entry_size(json_t *entry)
{
	return (size_t)json_integer_value(json_object_get(entry, "size"));
}

static bool name_ok(struct ddb_req *q, const char *name)
{
	size_t i, n = strlen(name);

	if (n < 3 || n > 255) {
		fail(q, T_VALIDATION,
		     "1 validation error detected: Value '%s' at 'tableName' "
		     "failed to satisfy constraint: Member must have length "
		     "between 3 and 255",
		     name);
		return false;
	}
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i])) {
			fail(q, T_VALIDATION,
			     "1 validation error detected: Value '%s' at "
			     "'tableName' failed to satisfy constraint: Member "
			     "must satisfy regular expression pattern: "
			     "[a-zA-Z0-9_.-]+",
			     name);
			return false;
		}
	}
	return true;
}

/* Fills t's key from KeySchema and AttributeDefinitions, checked. */
static bool key_schema(struct ddb_req *q, struct table *t)
{
	static const char *const kinds[] = { "HASH", "RANGE" };
	json_t *ks = json_object_get(q->in, "KeySchema");
	json_t *ad = json_object_get(q->in, "AttributeDefinitions");
	json_t *e, *d;
	size_t i, j;

	if (!json_is_array(ks) || !json_array_size(ks) ||
	    json_array_size(ks) > 2 || !json_is_array(ad)) {
		fail(q, T_VALIDATION,
		     "1 validation error detected: Value at 'keySchema' failed "
		     "to satisfy constraint: Member must have length less than "
		     "or equal to 2 and greater than or equal to 1");
		return false;
	}
	json_array_foreach(ks, i, e) {
		const char *name = json_string_value(json_object_get(
			e, "AttributeName"));
		const char *kind = json_string_value(json_object_get(
			e, "KeyType"));

		if (!name || !str_eq(kind, kinds[i])) {
			fail(q, T_VALIDATION,
			     "Invalid KeySchema: The %s KeySchemaElement is not "
			     "a %s key type",
			     i ? "second" : "first", kinds[i]);
			return false;
		}
		t->key[i] = name;
		json_array_foreach(ad, j, d) {
			const char *type = json_string_value(json_object_get(
				d, "AttributeType"));

			if (!str_eq(json_string_value(json_object_get(
					    d, "AttributeName")),
				    name))
				continue;
			if (!type || strlen(type) != 1 || !strchr("SNB", *type)) {
				fail(q, T_VALIDATION,
				     INVALID "Member must satisfy enum value "
					     "set: [B, N, S]");
				return false;
			}
			t->type[i] = *type;
		}
		if (!t->type[i]) {
			fail(q, T_VALIDATION,
			     INVALID "Some index key attributes are not "
				     "defined in AttributeDefinitions");
			return false;
		}
	}
	if (json_array_size(ad) != json_array_size(ks)) {
		fail(q, T_VALIDATION,
		     INVALID "Number of attributes in KeySchema does not exactly "
			     "match number of attributes defined in "
			     "AttributeDefinitions");
		return false;
	}
	return true;
}

static bool billing(struct ddb_req *q, struct table *t)
{
	const char *mode = json_string_value(json_object_get(q->in,
							     "BillingMode"));
	json_t *pt = json_object_get(q->in, "ProvisionedThroughput");
	bool on_demand = str_eq(mode, "PAY_PER_REQUEST");

	if (mode && !on_demand && strcmp(mode, "PROVISIONED")) {
		fail(q, T_VALIDATION,
		     "1 validation error detected: Value '%s' at 'billingMode' "
		     "failed to satisfy constraint: Member must satisfy enum "
		     "value set: [PROVISIONED, PAY_PER_REQUEST]",
		     mode);
		return false;
	}
	if (on_demand) {
		if (!pt)
			return true;
		fail(q, T_VALIDATION,
		     INVALID "Neither ReadCapacityUnits nor WriteCapacityUnits "
			     "can be specified when BillingMode is "
			     "PAY_PER_REQUEST");
		return false;
	}
	t->rcu = json_integer_value(json_object_get(pt, "ReadCapacityUnits"));
	t->wcu = json_integer_value(json_object_get(pt, "WriteCapacityUnits"));
	if (t->rcu < 1 || t->wcu < 1) {
		fail(q, T_VALIDATION,
		     INVALID "ReadCapacityUnits and WriteCapacityUnits must "
			     "both be specified when BillingMode is "
			     "PROVISIONED");
		return false;
	}
	return true;
}

static void create_table(struct ddb_req *q)
{
	static const char *const no[] = { "GlobalSecondaryIndexes",
					  "LocalSecondaryIndexes", NULL };
	const char *name = json_string_value(json_object_get(q->in,
							     "TableName"));
	struct table t = { 0 }, *nt;

	if (!supported(q, no))
		return;
	if (!name) {
		req_table(q, false);	/* says "Member must not be null" */
		return;
	}
	if (!name_ok(q, name) || !key_schema(q, &t) || !billing(q, &t))
		return;
	if (table_get(q->s, name)) {
		fail(q, T_IN_USE, "Table already exists: %s", name);
		return;
	}
	if (q->s->ntables >= DDB_TABLES_MAX) {
		fail(q, T_LIMIT,
		     "vpcemu: this lab's DynamoDB holds at most %u tables",
		     DDB_TABLES_MAX);
		return;
	}
	t.name = strdup(name);
	t.key_schema = json_deep_copy(json_object_get(q->in, "KeySchema"));
	t.attr_defs = json_deep_copy(json_object_get(q->in,
						     "AttributeDefinitions"));
	t.items = json_object();
	nt = VEC_PUSH(q->s->tables, q->s->ntables, q->s->cap);
	if (!t.name || !t.key_schema || !t.attr_defs || !t.items || !nt) {
		table_free(&t);
		q->rp->oom = true;
		return;
	}
	/* key[] pointed into the request: point it into our copy. */
	t.key[0] = json_string_value(json_object_get(
		json_array_get(t.key_schema, 0), "AttributeName"));
	t.key[1] = json_string_value(json_object_get(
		json_array_get(t.key_schema, 1), "AttributeName"));
	t.created = time(NULL);
	snprintf(t.region, sizeof(t.region), "%s", q->region);
	*nt = t;
	reply(q, 200, json_pack("{s:o}", "TableDescription",
				describe(nt, "ACTIVE")));
}

static void describe_table(struct ddb_req *q)
{
	struct table *t = req_table(q, true);

	if (t)
		reply(q, 200, json_pack("{s:o}", "Table",
					describe(t, "ACTIVE")));
}

static void delete_table(struct ddb_req *q)
{
	struct table *t = req_table(q, true);
	json_t *d;

	if (!t)
		return;
	d = describe(t, "DELETING");
	q->s->items -= json_object_size(t->items);
	q->s->bytes -= t->bytes;
	table_free(t);
	*t = q->s->tables[--q->s->ntables];
	reply(q, 200, json_pack("{s:o}", "TableDescription", d));
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_tables(struct ddb_req *q)
{
	json_t *lim = json_object_get(q->in, "Limit");
	const char *start = json_string_value(json_object_get(
		q->in, "ExclusiveStartTableName"));
	json_int_t limit = lim ? json_integer_value(lim) : 100;
	json_t *names = json_array(), *o;
	const char **v;
	size_t i, n = 0;

	if (limit < 1 || limit > 100) {
		json_decref(names);
		fail(q, T_VALIDATION,
		     "1 validation error detected: Value '%lld' at 'limit' "
		     "failed to satisfy constraint: Member must have value "
		     "less than or equal to 100 and greater than or equal to 1",
		     (long long)limit);
		return;
	}
	v = calloc(q->s->ntables + 1, sizeof(*v));
	if (!v || !names) {
		free(v);
		json_decref(names);
		q->rp->oom = true;
		return;
	}
	for (i = 0; i < q->s->ntables; i++)
		v[i] = q->s->tables[i].name;
	qsort(v, q->s->ntables, sizeof(*v), by_name);
	for (i = 0; i < q->s->ntables && n < (size_t)limit; i++)
		if (!start || strcmp(v[i], start) > 0)
			n += !json_array_append_new(names, json_string(v[i]));
	o = json_pack("{s:o}", "TableNames", names);
	/* More after this page: name the last one, as DynamoDB. */
	for (; o && i < q->s->ntables; i++) {
		if (!start || strcmp(v[i], start) > 0) {
			json_object_set_new(
				o, "LastEvaluatedTableName",
				json_copy(json_array_get(names, n - 1)));
			break;
		}
	}
	free(v);
	reply(q, 200, o);
}

static void put_item(struct ddb_req *q)
{
	static const char *const no[] = { "ConditionExpression", "Expected",
					  NULL };
	json_t *item = json_object_get(q->in, "Item"), *old, *v;
	struct table *t = req_table(q, false);
	struct strbuf k = { 0 };
	size_t size = 0, old_size = 0;
	const char *name;
	bool want_old;

	if (!t || !supported(q, no) || !return_values(q, &want_old))
		return;
	if (!json_is_object(item)) {
		fail(q, T_VALIDATION,
		     "1 validation error detected: Value null at 'item' failed "
		     "to satisfy constraint: Member must not be null");
		return;
	}
	json_object_foreach(item, name, v) {
		size += strlen(name);
		if (!av_check(q, name, v, &size))
			return;
	}
	if (size > DDB_ITEM_MAX) {
		fail(q, T_VALIDATION,
		     "Item size has exceeded the maximum allowed size");
		return;
	}
	if (!key_of(q, t, item, false, &k))
		goto out;
	if (k.oom) {
		q->rp->oom = true;
		goto out;
	}
	old = json_object_get(t->items, k.s);
	if (old)
		old_size = entry_size(old);
	if ((!old && q->s->items >= DDB_ITEMS_MAX) ||
	    q->s->bytes - old_size + size > DDB_STORE_BYTES_MAX) {
		fail(q, T_LIMIT,
		     "vpcemu: this lab's DynamoDB holds at most %u items and "
		     "%u MiB",
		     DDB_ITEMS_MAX, DDB_STORE_BYTES_MAX >> 20);
		goto out;
	}
	old = json_incref(json_object_get(old, "item"));
	if (json_object_set_new(t->items, k.s,
				json_pack("{s:I, s:o}", "size",
					  (json_int_t)size, "item",
					  json_deep_copy(item)))) {
		json_decref(old);
		q->rp->oom = true;
		goto out;
	}
	q->s->items += !old;
	q->s->bytes = q->s->bytes - old_size + size;
	t->bytes = t->bytes - old_size + size;
	reply_old(q, old, want_old);
out:
	sb_free(&k);
}

static void get_or_delete_item(struct ddb_req *q, bool del)
{
	static const char *const no_get[] = { "ProjectionExpression",
					      "AttributesToGet", NULL };
	static const char *const no_del[] = { "ConditionExpression",
					      "Expected", NULL };
	json_t *key = json_object_get(q->in, "Key"), *entry, *item;
	struct table *t = req_table(q, false);
	struct strbuf k = { 0 };
	bool want_old = false;

	if (!t || !supported(q, del ? no_del : no_get) ||
	    (del && !return_values(q, &want_old)))
		return;
	if (!json_is_object(key) || !key_of(q, t, key, true, &k)) {
		if (!json_is_object(key))
			fail(q, T_VALIDATION,
			     "1 validation error detected: Value null at 'key' "
			     "failed to satisfy constraint: Member must not be "
			     "null");
		sb_free(&k);
		return;
	}
	if (k.oom) {
		q->rp->oom = true;
		return;
	}
	entry = json_object_get(t->items, k.s);
	item = json_incref(json_object_get(entry, "item"));
	if (!del) {
		json_t *o = json_object();

		if (o && item && json_object_set(o, "Item", item)) {
			json_decref(o);
			o = NULL;
		}
		json_decref(item);
		reply(q, 200, o);
	} else {
		if (entry) {
			size_t size = entry_size(entry);

			q->s->items--;
			q->s->bytes -= size;
			t->bytes -= size;
			json_object_del(t->items, k.s);
		}
		reply_old(q, item, want_old);
	}
	sb_free(&k);
}

static void get_item(struct ddb_req *q)
{
	get_or_delete_item(q, false);
}

static void delete_item(struct ddb_req *q)
{
	get_or_delete_item(q, true);
}

static const struct {
	const char *name;
	void (*fn)(struct ddb_req *q);
} ops[] = {
	{ "CreateTable", create_table }, { "DeleteTable", delete_table },
	{ "DescribeTable", describe_table }, { "ListTables", list_tables },
	{ "PutItem", put_item }, { "GetItem", get_item },
	{ "DeleteItem", delete_item },
};

/* The region of Host dynamodb.REGION.amazonaws.com; us-east-1 otherwise. */
static void parse_host(struct ddb_req *q)
{
	const char *h = httpd_header(q->rq, "Host"), *end;

	snprintf(q->region, sizeof(q->region), "us-east-1");
	if (!h || strncasecmp(h, "dynamodb.", 9))
		return;
	h += 9;
	end = strchr(h, '.');
	if (end && end - h < (long)sizeof(q->region) &&
	    !strncasecmp(end, ".amazonaws.com", 14))
		snprintf(q->region, sizeof(q->region), "%.*s", (int)(end - h),
			 h);
}

void ddb_handle(struct ddb_store *s, const struct httpd_request *rq,
		struct httpd_reply *rp)
{
	const char *target = httpd_header(rq, "X-Amz-Target");
	struct ddb_req q = { .s = s, .rq = rq, .rp = rp };
	struct strbuf b = { 0 };
	size_t i;

	snprintf(q.id, sizeof(q.id), "%032llX", ++s->requests);
	parse_host(&q);
	/* A GET is the endpoint's health check. */
	if (!strcmp(rq->method, "GET")) {
		sb_printf(&b, "healthy: dynamodb.%s.amazonaws.com", q.region);
		httpd_reply_text(rp, 200, "text/plain", &b);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		if (target && !strncmp(target, TARGET_PREFIX,
				       strlen(TARGET_PREFIX)) &&
		    !strcmp(target + strlen(TARGET_PREFIX), ops[i].name))
			break;
	if (strcmp(rq->method, "POST") || i == ARRAY_SIZE(ops)) {
		fail(&q, T_UNKNOWN_OP, "The requested operation is not "
				       "recognized by the service.");
		return;
	}
	if (rq->body_too_large) {
		fail(&q, T_VALIDATION,
		     "vpcemu: a request body holds at most %u bytes",
		     DDB_BODY_MAX);
		return;
	}
	q.in = json_loadb(rq->body, rq->body_len, 0, NULL);
	if (!json_is_object(q.in))
		fail(&q, T_SERIAL, "Start of structure or map found where not "
				   "expected");
	else
		ops[i].fn(&q);
	json_decref(q.in);
}
