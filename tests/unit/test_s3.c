/* test_s3.c - the S3 stand-in: each operation in both addressing styles,
 * each error S3 would give, the caps. s3_handle is called directly with
 * requests built here; no socket, no root. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "vpcemu/httpd.h"
#include "vpcemu/s3.h"

#define EAST "s3.amazonaws.com"
#define WEST "s3.eu-west-1.amazonaws.com"

static struct s3_store *st;
static struct httpd_reply rp;
static char *body;		/* rp's body as text, after call() */

static void setup(void)
{
	st = s3_store_new();
	cr_assert_not_null(st);
}

static void teardown(void)
{
	httpd_reply_free(&rp);
	free(body);
	s3_store_free(st);
}

TestSuite(s3, .init = setup, .fini = teardown, .timeout = 60);

/* Sends rq (with its Host added to hdrs) and returns the status; the
 * reply stays in rp and body until the next call. */
static int send_rq(struct httpd_request *rq, const char *host,
		   const struct httpd_field *hdrs)
{
	struct httpd_field h[8] = { { "Host", host } };
	size_t n = 1;

	for (; hdrs && hdrs->name; hdrs++)
		h[n++] = *hdrs;
	rq->headers = h;
	rq->nheaders = n;
	if (!rq->body)
		rq->body = "";
	httpd_reply_free(&rp);
	free(body);
	s3_handle(st, rq, &rp);
	cr_assert(!rp.oom);
	body = test_reply_body(&rp);
	cr_assert_not_null(test_reply_header(&rp, "x-amz-request-id"));
	return rp.status;
}

/* query: "a=b&c" (c without value), split in place of a copy. */
static int call(const char *method, const char *host, const char *path,
		const char *query, const struct httpd_field *hdrs,
		const char *data)
{
	static char qbuf[512];
	struct httpd_field args[8];
	struct httpd_request rq = { .method = method, .path = path,
				    .args = args, .body = data,
				    .body_len = data ? strlen(data) : 0 };
	char *p, *save = NULL;

	snprintf(qbuf, sizeof(qbuf), "%s", query ? query : "");
	for (p = strtok_r(qbuf, "&", &save); p; p = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(p, '=');

		cr_assert_lt(rq.nargs, 8);
		if (eq)
			*eq++ = '\0';
		args[rq.nargs++] = (struct httpd_field){ p, eq };
	}
	return send_rq(&rq, host, hdrs);
}

#define H(...) ((const struct httpd_field[]){ __VA_ARGS__, { NULL, NULL } })

static void expect_error(int status, int want, const char *code)
{
	char tag[96];

	snprintf(tag, sizeof(tag), "<Code>%s</Code>", code);
	cr_expect_eq(status, want, "status %d: %s", status, body);
	cr_expect(strstr(body, tag), "want %s: %s", code, body);
	cr_expect(strstr(body, "<RequestId>"), "%s", body);
	cr_expect_str_eq(test_reply_header(&rp, "Content-Type"),
			 "application/xml");
}

static void mkbucket(const char *name)
{
	cr_assert_eq(call("PUT", EAST, name, NULL, NULL, NULL), 200, "%s",
		     body);
}

Test(s3, list_buckets_sorted_with_owner)
{
	cr_expect_eq(call("GET", EAST, "/", NULL, NULL, NULL), 200);
	cr_expect(strstr(body, "<Buckets></Buckets>"), "%s", body);
	mkbucket("/zeta");
	mkbucket("/alpha");
	cr_expect_eq(call("GET", WEST, "/", NULL, NULL, NULL), 200);
	cr_expect(strstr(body, "<Owner><ID>"), "%s", body);
	cr_expect(strstr(body, "<Name>alpha</Name>"), "%s", body);
	cr_expect_lt(strstr(body, "alpha"), strstr(body, "zeta"), "%s", body);
	cr_expect(strstr(body, "<CreationDate>"), "%s", body);
	expect_error(call("DELETE", EAST, "/", NULL, NULL, NULL), 405,
		     "MethodNotAllowed");
	cr_expect(strstr(body, "<ResourceType>SERVICE</ResourceType>"), "%s",
		  body);
}

/* Found by fuzz_s3: the listing of an empty bucket appended an empty
 * strbuf, memcpy from NULL (UBSan; make SANITIZE=1 unit). */
Test(s3, list_empty_bucket)
{
	mkbucket("/empty");
	cr_expect_eq(call("GET", EAST, "/empty", NULL, NULL, NULL), 200);
	cr_expect(strstr(body, "<IsTruncated>false</IsTruncated>"
			 "</ListBucketResult>"), "%s", body);
	cr_expect_eq(call("GET", EAST, "/empty", "list-type=2", NULL, NULL),
		     200);
	cr_expect(strstr(body, "<KeyCount>0</KeyCount>"), "%s", body);
}

Test(s3, create_bucket_both_styles_and_head)
{
	mkbucket("/path-style");
	cr_expect_str_eq(test_reply_header(&rp, "Location"), "/path-style");
	cr_expect_eq(call("PUT", "virt.example.s3.amazonaws.com", "/", NULL,
			  NULL, NULL), 200, "%s", body);
	cr_expect_eq(call("HEAD", EAST, "/virt.example", NULL, NULL, NULL),
		     200);
	cr_expect_str_eq(test_reply_header(&rp, "x-amz-bucket-region"),
			 "us-east-1");
	cr_expect_eq(call("HEAD", "path-style.s3.us-east-1.amazonaws.com:80",
			  "/", NULL, NULL, NULL), 200);
	cr_expect_eq(call("HEAD", EAST, "/nope", NULL, NULL, NULL), 404);
}

Test(s3, create_bucket_again)
{
	static const char conf[] =
		"<CreateBucketConfiguration><LocationConstraint>eu-west-1"
		"</LocationConstraint></CreateBucketConfiguration>";

	/* us-east-1 keeps its legacy 200; other regions say so. */
	mkbucket("/bk1");
	mkbucket("/bk1");
	cr_assert_eq(call("PUT", WEST, "/bk2", NULL, NULL, conf), 200, "%s",
		     body);
	cr_expect_eq(call("HEAD", EAST, "/bk2", NULL, NULL, NULL), 200);
	cr_expect_str_eq(test_reply_header(&rp, "x-amz-bucket-region"),
			 "eu-west-1");
	expect_error(call("PUT", WEST, "/bk2", NULL, NULL, conf), 409,
		     "BucketAlreadyOwnedByYou");
	cr_expect(strstr(body, "<BucketName>bk2</BucketName>"), "%s", body);
	expect_error(call("PUT", EAST, "/bk2", NULL, NULL, NULL), 409,
		     "BucketAlreadyOwnedByYou");
}

Test(s3, create_bucket_location_constraint)
{
	expect_error(call("PUT", WEST, "/bkt", NULL, NULL, NULL), 400,
		     "IllegalLocationConstraintException");
	cr_expect(strstr(body, "unspecified"), "%s", body);
	expect_error(call("PUT", EAST, "/bkt", NULL, NULL,
			  "<CreateBucketConfiguration><LocationConstraint>"
			  "eu-west-1</LocationConstraint>"
			  "</CreateBucketConfiguration>"),
		     400, "IllegalLocationConstraintException");
	expect_error(call("PUT", EAST, "/bkt", NULL, NULL, "junk"), 400,
		     "MalformedXML");
	cr_expect_eq(call("GET", EAST, "/", NULL, NULL, NULL), 200);
	cr_expect(strstr(body, "<Buckets></Buckets>"), "%s", body);
}

Test(s3, invalid_bucket_names)
{
	static const char *const bad[] = {
		"/ab", "/Upper", "/-dash", "/dash-", "/a..b", "/192.168.1.1",
		"/xn--abc", "/under_score", "/x-s3alias",
		"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		expect_error(call("PUT", EAST, bad[i], NULL, NULL, NULL), 400,
			     "InvalidBucketName");
	mkbucket("/a.b-c.0");
	mkbucket("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

Test(s3, too_many_buckets)
{
	char name[32];
	unsigned i;

	for (i = 0; i < S3_BUCKETS_MAX; i++) {
		snprintf(name, sizeof(name), "/bucket-%03u", i);
		mkbucket(name);
	}
	expect_error(call("PUT", EAST, "/one-more", NULL, NULL, NULL), 400,
		     "TooManyBuckets");
	cr_expect_eq(call("DELETE", EAST, "/bucket-000", NULL, NULL, NULL),
		     204);
	mkbucket("/one-more");
}

Test(s3, delete_bucket)
{
	mkbucket("/bkt");
	cr_assert_eq(call("PUT", EAST, "/bkt/k", NULL, NULL, "x"), 200);
	expect_error(call("DELETE", EAST, "/bkt", NULL, NULL, NULL), 409,
		     "BucketNotEmpty");
	cr_assert_eq(call("DELETE", EAST, "/bkt/k", NULL, NULL, NULL), 204);
	cr_expect_eq(call("DELETE", EAST, "/bkt", NULL, NULL, NULL), 204);
	expect_error(call("DELETE", EAST, "/bkt", NULL, NULL, NULL), 404,
		     "NoSuchBucket");
	cr_expect(strstr(body, "<BucketName>bkt</BucketName>"), "%s", body);
}

Test(s3, put_get_head_delete_object)
{
	mkbucket("/bkt");
	/* MD5("hello") */
	cr_assert_eq(call("PUT", "bkt.s3.us-east-1.amazonaws.com", "/dir/k.txt",
			  NULL, H({ "Content-Type", "text/plain" }), "hello"),
		     200, "%s", body);
	cr_expect_str_eq(test_reply_header(&rp, "ETag"),
			 "\"5d41402abc4b2a76b9719d911017c592\"");

	cr_assert_eq(call("GET", EAST, "/bkt/dir/k.txt", NULL, NULL, NULL), 200);
	cr_expect_str_eq(body, "hello");
	cr_expect_str_eq(test_reply_header(&rp, "Content-Type"), "text/plain");
	cr_expect_str_eq(test_reply_header(&rp, "ETag"),
			 "\"5d41402abc4b2a76b9719d911017c592\"");
	cr_expect(strstr(test_reply_header(&rp, "Last-Modified"), " GMT"));

	cr_assert_eq(call("HEAD", "bkt.s3.amazonaws.com", "/dir/k.txt", NULL,
			  NULL, NULL), 200);
	cr_expect_eq(rp.body_len, 5, "HEAD's length is the object's");

	/* Overwrite: the new bytes, the default type. */
	cr_assert_eq(call("PUT", EAST, "/bkt/dir/k.txt", NULL, NULL, "bye"), 200);
	cr_assert_eq(call("GET", EAST, "/bkt/dir/k.txt", NULL, NULL, NULL), 200);
	cr_expect_str_eq(body, "bye");
	cr_expect_str_eq(test_reply_header(&rp, "Content-Type"),
			 "binary/octet-stream");

	cr_expect_eq(call("DELETE", EAST, "/bkt/dir/k.txt", NULL, NULL, NULL),
		     204);
	expect_error(call("GET", EAST, "/bkt/dir/k.txt", NULL, NULL, NULL), 404,
		     "NoSuchKey");
	cr_expect(strstr(body, "<Key>dir/k.txt</Key>"), "%s", body);
	expect_error(call("HEAD", EAST, "/bkt/dir/k.txt", NULL, NULL, NULL), 404,
		     "NoSuchKey");
	/* S3 deletes what is not there without complaint. */
	cr_expect_eq(call("DELETE", EAST, "/bkt/dir/k.txt", NULL, NULL, NULL),
		     204);
	cr_expect_eq(call("PUT", EAST, "/bkt/empty", NULL, NULL, ""), 200);
	cr_expect_str_eq(test_reply_header(&rp, "ETag"),
			 "\"d41d8cd98f00b204e9800998ecf8427e\"");
}

Test(s3, object_errors)
{
	char key[S3_KEY_MAX + 8];

	expect_error(call("GET", EAST, "/none/k", NULL, NULL, NULL), 404,
		     "NoSuchBucket");
	expect_error(call("PUT", EAST, "/none/k", NULL, NULL, "x"), 404,
		     "NoSuchBucket");
	mkbucket("/bkt");
	expect_error(call("POST", EAST, "/bkt/k", NULL, NULL, "x"), 405,
		     "MethodNotAllowed");
	cr_expect(strstr(body, "<ResourceType>OBJECT</ResourceType>"), "%s",
		  body);
	expect_error(call("PATCH", EAST, "/bkt", NULL, NULL, NULL), 405,
		     "MethodNotAllowed");
	/* "/bkt/" and a key of S3_KEY_MAX + 1 bytes */
	snprintf(key, sizeof(key), "/bkt/%0*d", (int)S3_KEY_MAX + 1, 0);
	expect_error(call("PUT", EAST, key, NULL, NULL, "x"), 400,
		     "KeyTooLongError");
	key[strlen(key) - 1] = '\0';
	cr_expect_eq(call("PUT", EAST, key, NULL, NULL, "x"), 200, "%s", body);
}

Test(s3, not_implemented)
{
	mkbucket("/bkt");
	expect_error(call("GET", EAST, "/bkt", "acl", NULL, NULL), 501,
		     "NotImplemented");
	cr_expect(strstr(body, "<Header>acl</Header>"), "%s", body);
	expect_error(call("POST", EAST, "/bkt/k", "uploads", NULL, NULL), 501,
		     "NotImplemented");
	expect_error(call("PUT", EAST, "/bkt/k", "partNumber=1&uploadId=x", NULL,
			  "x"), 501, "NotImplemented");
	expect_error(call("PUT", EAST, "/bkt/k", NULL,
			  H({ "x-amz-copy-source", "/bkt/j" }), NULL),
		     501, "NotImplemented");
	expect_error(call("PUT", EAST, "/bkt/k", NULL,
			  H({ "Content-Encoding", "aws-chunked" }),
			  "5;chunk-signature=0\r\nhello\r\n"),
		     501, "NotImplemented");
	/* Nothing was stored on the way. */
	expect_error(call("GET", EAST, "/bkt/k", NULL, NULL, NULL), 404,
		     "NoSuchKey");
	/* An SDK's x-id=GetObject is a plain argument. */
	expect_error(call("GET", EAST, "/bkt/k", "x-id=GetObject", NULL, NULL),
		     404, "NoSuchKey");
}

static void put_keys(const char *const *keys)
{
	for (; *keys; keys++) {
		char path[128];

		snprintf(path, sizeof(path), "/bkt/%s", *keys);
		cr_assert_eq(call("PUT", EAST, path, NULL, NULL, "v"), 200);
	}
}

Test(s3, list_objects_v2)
{
	static const char *const keys[] = { "a/1", "a/2", "a/3", "b<&>", "c",
					    NULL };

	mkbucket("/bkt");
	put_keys(keys);
	cr_assert_eq(call("GET", EAST, "/bkt", "list-type=2", NULL, NULL), 200);
	cr_expect(strstr(body, "<KeyCount>5</KeyCount>"), "%s", body);
	cr_expect(strstr(body, "<Key>b&lt;&amp;&gt;</Key>"), "%s", body);
	cr_expect(strstr(body, "<ETag>&quot;9e3669d19b675bd57058fd4664205d2a"
			       "&quot;</ETag><Size>1</Size>"), "%s", body);
	cr_expect(strstr(body, "<IsTruncated>false</IsTruncated>"), "%s", body);

	cr_assert_eq(call("GET", "bkt.s3.amazonaws.com", "/",
			  "list-type=2&prefix=a/", NULL, NULL), 200);
	cr_expect(strstr(body, "<KeyCount>3</KeyCount>"), "%s", body);
	cr_expect(!strstr(body, "<Key>c</Key>"), "%s", body);

	/* Pages of two, chained by the continuation token. */
	cr_assert_eq(call("GET", EAST, "/bkt", "list-type=2&max-keys=2", NULL,
			  NULL), 200);
	cr_expect(strstr(body, "<IsTruncated>true</IsTruncated>"), "%s", body);
	cr_expect(strstr(body, "<NextContinuationToken>a/2<"), "%s", body);
	cr_assert_eq(call("GET", EAST, "/bkt",
			  "list-type=2&max-keys=2&continuation-token=a/2",
			  NULL, NULL), 200);
	cr_expect(strstr(body, "<Key>a/3</Key>"), "%s", body);
	cr_expect(strstr(body, "<Key>b&lt;&amp;&gt;</Key>"), "%s", body);
	cr_expect(!strstr(body, "<Key>a/2</Key>"), "%s", body);

	cr_assert_eq(call("GET", EAST, "/bkt", "list-type=2&start-after=b",
			  NULL, NULL), 200);
	cr_expect(strstr(body, "<KeyCount>2</KeyCount>"), "%s", body);

	/* The delimiter rolls a/... into one common prefix, one entry. */
	cr_assert_eq(call("GET", EAST, "/bkt",
			  "list-type=2&delimiter=/&max-keys=1", NULL, NULL),
		     200);
	cr_expect(strstr(body, "<CommonPrefixes><Prefix>a/</Prefix>"), "%s",
		  body);
	cr_expect(strstr(body, "<NextContinuationToken>a/<"), "%s", body);
	cr_assert_eq(call("GET", EAST, "/bkt",
			  "list-type=2&delimiter=/&continuation-token=a/",
			  NULL, NULL), 200);
	cr_expect(!strstr(body, "<Prefix>a/") && !strstr(body, "<Key>a/"),
		  "the prefix came back: %s", body);
	cr_expect(strstr(body, "<KeyCount>2</KeyCount>"), "%s", body);

	expect_error(call("GET", EAST, "/bkt", "list-type=2&max-keys=x", NULL,
			  NULL), 400, "InvalidArgument");
	expect_error(call("GET", EAST, "/bkt", "list-type=2&max-keys=-1", NULL,
			  NULL), 400, "InvalidArgument");
	expect_error(call("GET", EAST, "/none", "list-type=2", NULL, NULL),
		     404, "NoSuchBucket");
}

Test(s3, list_objects_v1)
{
	static const char *const keys[] = { "a", "b", "c", NULL };

	mkbucket("/bkt");
	put_keys(keys);
	cr_assert_eq(call("GET", EAST, "/bkt", "marker=a&max-keys=1", NULL,
			  NULL), 200);
	cr_expect(strstr(body, "<Marker>a</Marker>"), "%s", body);
	cr_expect(strstr(body, "<Key>b</Key>"), "%s", body);
	cr_expect(!strstr(body, "<KeyCount>"), "v1 has no KeyCount: %s", body);
	cr_expect(strstr(body, "<IsTruncated>true</IsTruncated>"), "%s", body);
	cr_expect(!strstr(body, "<NextMarker>"),
		  "NextMarker comes with a delimiter only: %s", body);
}

Test(s3, entity_too_large)
{
	struct httpd_request rq = { .method = "PUT", .path = "/bkt/big",
				    .body_too_large = true };
	char *big;

	mkbucket("/bkt");
	expect_error(send_rq(&rq, EAST,
			     H({ "Content-Length", "999999999" })),
		     400, "EntityTooLarge");
	cr_expect(strstr(body, "<ProposedSize>999999999</ProposedSize>"), "%s",
		  body);
	big = calloc(1, S3_OBJECT_MAX + 1);
	cr_assert_not_null(big);
	rq = (struct httpd_request){ .method = "PUT", .path = "/bkt/big",
				     .body = big,
				     .body_len = S3_OBJECT_MAX + 1 };
	expect_error(send_rq(&rq, EAST, NULL), 400, "EntityTooLarge");
	rq.body_len = S3_OBJECT_MAX;
	cr_expect_eq(send_rq(&rq, EAST, NULL), 200, "%s", body);
	free(big);
}

Test(s3, store_caps)
{
	struct httpd_request rq = { .method = "PUT" };
	char path[32], *big;
	unsigned i;

	mkbucket("/bkt");
	big = calloc(1, S3_OBJECT_MAX);
	cr_assert_not_null(big);
	rq.body = big;
	rq.body_len = S3_OBJECT_MAX;
	for (i = 0; i < S3_STORE_BYTES_MAX / S3_OBJECT_MAX; i++) {
		snprintf(path, sizeof(path), "/bkt/big%u", i);
		rq.path = path;
		cr_assert_eq(send_rq(&rq, EAST, NULL), 200, "%s", body);
	}
	free(big);
	expect_error(call("PUT", EAST, "/bkt/one-byte", NULL, NULL, "x"), 400,
		     "InvalidRequest");
	/* Replacing an object counts only the difference. */
	cr_expect_eq(call("PUT", EAST, "/bkt/big0", NULL, NULL, "x"), 200);
	cr_expect_eq(call("PUT", EAST, "/bkt/one-byte", NULL, NULL, "x"), 200);
	for (i = 0; i < S3_STORE_BYTES_MAX / S3_OBJECT_MAX; i++) {
		snprintf(path, sizeof(path), "/bkt/big%u", i);
		cr_assert_eq(call("DELETE", EAST, path, NULL, NULL, NULL), 204);
	}
	/* one-byte is left; fill up to the count cap. */
	for (i = 1; i < S3_STORE_OBJECTS_MAX; i++) {
		snprintf(path, sizeof(path), "/bkt/k%05u", i);
		cr_assert_eq(call("PUT", EAST, path, NULL, NULL, ""), 200);
	}
	expect_error(call("PUT", EAST, "/bkt/last", NULL, NULL, ""), 400,
		     "InvalidRequest");
	cr_expect_eq(call("PUT", EAST, "/bkt/k00001", NULL, NULL, "y"), 200,
		     "an overwrite adds no object");
}

Test(s3, reply_outlives_the_object)
{
	struct httpd_reply keep;

	mkbucket("/bkt");
	cr_assert_eq(call("PUT", EAST, "/bkt/k", NULL, NULL, "still here"), 200);
	cr_assert_eq(call("GET", EAST, "/bkt/k", NULL, NULL, NULL), 200);
	keep = rp;
	rp = (struct httpd_reply){ 0 };
	cr_assert_eq(call("PUT", EAST, "/bkt/k", NULL, NULL, "other"), 200);
	s3_store_free(st);
	st = NULL;
	cr_expect_eq(keep.body_len, 10);
	cr_expect_eq(memcmp(keep.body, "still here", 10), 0);
	httpd_reply_free(&keep);
}
