/* dynamodb.h - an in-memory stand-in for Amazon DynamoDB, the other
 * service behind a lab's gateway endpoints.
 *
 * ddb_handle() is the whole service as a pure function over a store, the
 * shape of s3.h: the JSON 1.0 protocol (POST /, X-Amz-Target:
 * DynamoDB_20120810.OP, a JSON body) in, DynamoDB's JSON reply or error
 * out. Operations: CreateTable (a HASH key and an optional RANGE key, no
 * secondary index; ACTIVE at once), DescribeTable, ListTables, DeleteTable,
 * PutItem, GetItem, DeleteItem (docs/aws-services.md). Requests are not
 * authenticated; nothing is written to disk.
 */
#ifndef VPCEMU_DYNAMODB_H
#define VPCEMU_DYNAMODB_H

struct httpd_reply;
struct httpd_request;

/* Caps. An item over DDB_ITEM_MAX is DynamoDB's ValidationException; a
 * store past the others answers LimitExceededException naming the cap. */
#define DDB_ITEM_MAX (400u * 1024)		/* as AWS */
#define DDB_TABLES_MAX 256u
#define DDB_ITEMS_MAX 10000u			/* all tables */
#define DDB_STORE_BYTES_MAX (64u << 20)		/* item sizes, all tables */
/* Request body cap to give httpd: one item, its JSON encoding (base64,
 * quotes) and the request around it. */
#define DDB_BODY_MAX (1u << 20)

struct ddb_store;

/* An empty store, or NULL with errno ENOMEM. */
struct ddb_store *ddb_store_new(void);
/* Frees the store, its tables and items. NULL ok. */
void ddb_store_free(struct ddb_store *s);

/* Answers rq into rp (zeroed by the caller): every DynamoDB error is an
 * answer (400 and {"__type": ..., "message": ...}); an allocation failure
 * sets rp->oom. */
void ddb_handle(struct ddb_store *s, const struct httpd_request *rq,
		struct httpd_reply *rp);

#endif
