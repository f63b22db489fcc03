/* s3.c - the in-memory S3 stand-in (s3.h): request in, S3's reply out.
 *
 * A store owns its buckets, each bucket its objects, sorted by name and key
 * (the order S3 lists them in, and binary search for the rest). An
 * object's bytes are a reference-counted blob: a GetObject reply holds a
 * reference instead of a copy, so a PUT or DELETE while the reply is being
 * sent cannot pull the bytes from under it, and 100 clients reading one
 * 16 MiB object do not make 100 copies.
 *
 * Codes, messages and statuses are S3's (AWS S3 API reference, "Error
 * responses"); where S3 has no word for a vpcemu cap, InvalidRequest says
 * which cap.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <nettle/md5.h>

#include "vpcemu/httpd.h"
#include "vpcemu/s3.h"
#include "vpcemu/util.h"

#define XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"
#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define DEFAULT_REGION "us-east-1"
#define LIST_MAX 1000		/* keys per listing page, as S3 */
/* The owner every listing names: one account per lab's store. */
#define OWNER_ID "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"

struct blob {
	size_t refs;
	size_t len;
	char data[];
};

/* name / key first: find() relies on it. */
struct object {
	char *key;
	struct blob *blob;
	char *content_type;
	char etag[2 * MD5_DIGEST_SIZE + 1];
	time_t mtime;
};

struct bucket {
	char *name;
	char *region;
	time_t created;
	struct object *objs;	/* sorted by key (bytewise, as S3) */
	size_t nobjs, cap;
};

struct s3_store {
	struct bucket *buckets;	/* sorted by name */
	size_t nbuckets, cap;
	size_t bytes, objects;	/* totals, for the caps */
	unsigned long long requests;
};

/* One request, as the handlers see it. */
struct s3_req {
	struct s3_store *s;
	const struct httpd_request *rq;
	struct httpd_reply *rp;
	char region[64];
	char bucket[256];	/* "" when the request names none */
	const char *key;	/* "" when it names no object */
	char id[17];		/* x-amz-request-id */
};

/* ---- store ---- */

static void blob_unref(void *ctx)
{
	struct blob *b = ctx;

	if (b && !--b->refs)
		free(b);
}

static void object_free(struct object *o)
{
	free(o->key);
	blob_unref(o->blob);
	free(o->content_type);
}

static void bucket_free(struct bucket *b)
{
	size_t i;

	for (i = 0; i < b->nobjs; i++)
		object_free(&b->objs[i]);
	free(b->objs);
	free(b->name);
	free(b->region);
}

struct s3_store *s3_store_new(void)
{
	return calloc(1, sizeof(struct s3_store));
}

void s3_store_free(struct s3_store *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nbuckets; i++)
		bucket_free(&s->buckets[i]);
	free(s->buckets);
	free(s);
}

/* The index of the first of n elements (size sz, sorted, each starting
 * with its char * name) whose name is >= name; *ret_found when equal. */
static size_t find(const void *v, size_t n, size_t sz, const char *name,
		   bool *ret_found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *k = *(char *const *)((const char *)v + mid * sz);

		if (strcmp(k, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*ret_found = lo < n &&
		     !strcmp(*(char *const *)((const char *)v + lo * sz), name);
	return lo;
}

/* Makes room at index i of a sorted array for one zeroed element. */
#define INSERT_AT(v, n, cap, i)                                                \
	(vec_grow((void **)&(v), &(cap), (n), sizeof(*(v))) ?                  \
		 NULL :                                                        \
		 (memmove(&(v)[(i) + 1], &(v)[(i)], ((n)++ - (i)) * sizeof(*(v))), \
		  memset(&(v)[(i)], 0, sizeof(*(v))), &(v)[(i)]))

static struct bucket *bucket_get(struct s3_store *s, const char *name)
{
	bool found;
	size_t i = find(s->buckets, s->nbuckets, sizeof(*s->buckets), name,
			&found);

	return found ? &s->buckets[i] : NULL;
}

/* ---- replies ---- */

/* <tag>n escaped bytes of text</tag> */
static void xml_elemn(struct strbuf *b, const char *tag, const char *text,
		      size_t n)
{
	sb_printf(b, "<%s>", tag);
	sb_put_xml(b, text, n);
	sb_printf(b, "</%s>", tag);
}

static void xml_elem(struct strbuf *b, const char *tag, const char *text)
{
	xml_elemn(b, tag, text, strlen(text));
}

static void iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

/* The headers of every reply, then status and the XML in b (taken). */
static void reply_xml(struct s3_req *q, int status, struct strbuf *b)
{
	httpd_reply_header(q->rp, "x-amz-request-id", "%s", q->id);
	httpd_reply_header(q->rp, "x-amz-id-2", "vpcemu/%s", q->id);
	httpd_reply_header(q->rp, "Server", "AmazonS3");
	httpd_reply_text(q->rp, status, b ? "application/xml" : NULL,
			 b ? b : &(struct strbuf){ 0 });
}

/* S3's error document: Code, Message, then the resource as pairs of tag
 * and text ("Key", key, ..., NULL), RequestId and HostId. */
static void fail(struct s3_req *q, int status, const char *code,
		 const char *message, ...)
{
	struct strbuf b = { 0 };
	const char *tag;
	va_list ap;

	sb_puts(&b, XML_DECL "<Error>");
	xml_elem(&b, "Code", code);
	xml_elem(&b, "Message", message);
	va_start(ap, message);
	while ((tag = va_arg(ap, const char *)))
		xml_elem(&b, tag, va_arg(ap, const char *));
	va_end(ap);
	xml_elem(&b, "RequestId", q->id);
	sb_printf(&b, "<HostId>vpcemu/%s</HostId></Error>", q->id);
	reply_xml(q, status, &b);
}

static void no_such_bucket(struct s3_req *q)
{
	fail(q, 404, "NoSuchBucket", "The specified bucket does not exist",
	     "BucketName", q->bucket, NULL);
}

static void store_full(struct s3_req *q)
{
	char msg[160];

	snprintf(msg, sizeof(msg),
		 "vpcemu: this lab's S3 holds at most %u objects and %u MiB",
		 S3_STORE_OBJECTS_MAX, S3_STORE_BYTES_MAX >> 20);
	fail(q, 400, "InvalidRequest", msg, NULL);
}

static void method_not_allowed(struct s3_req *q, const char *type)
{
	fail(q, 405, "MethodNotAllowed",
	     "The specified method is not allowed against this resource.",
	     "Method", q->rq->method, "ResourceType", type, NULL);
}

/* ---- request parsing ---- */

/* Sets q's region and, for a virtual-hosted name, its bucket, from Host:
 * [BUCKET.]s3.amazonaws.com (us-east-1), [BUCKET.]s3.REGION.amazonaws.com
 * or the legacy [BUCKET.]s3-REGION.amazonaws.com. Any other Host (an IP
 * address, a name of the lab's own) is path style in us-east-1. */
static void parse_host(struct s3_req *q)
{
	const char *host = httpd_header(q->rq, "Host");
	char h[256], *p, *svc = NULL, *region = DEFAULT_REGION, *dot;
	size_t n;

	snprintf(q->region, sizeof(q->region), "%s", DEFAULT_REGION);
	if (!host || strlen(host) >= sizeof(h))
		return;
	for (n = 0; host[n] && host[n] != ':'; n++)
		h[n] = (char)tolower((unsigned char)host[n]);
	h[n] = '\0';
	if (n < 14 || strcmp(h + n - 14, ".amazonaws.com"))
		return;
	h[n -= 14] = '\0';
	dot = strrchr(h, '.');
	p = dot ? dot + 1 : h;		/* the last label */
	if (!strcmp(p, "s3")) {
		svc = p;
	} else if (!strncmp(p, "s3-", 3)) {
		svc = p;
		region = p + 3;
	} else if (dot && dot - h >= 2 && !strncmp(dot - 2, "s3", 2) &&
		   (dot - 2 == h || dot[-3] == '.')) {
		svc = dot - 2;
		region = p;
	}
	if (!svc)
		return;
	snprintf(q->region, sizeof(q->region), "%s", region);
	if (svc > h) {
		svc[-1] = '\0';
		snprintf(q->bucket, sizeof(q->bucket), "%s", h);
	}
}

/* S3's rules for general purpose bucket names. */
static bool bucket_name_ok(const char *n)
{
	size_t len = strlen(n), i;
	unsigned a, b, c, d;
	char tail;

	if (len < 3 || len > 63 || !isalnum((unsigned char)n[0]) ||
	    !isalnum((unsigned char)n[len - 1]))
		return false;
	for (i = 0; i < len; i++)
		if (!islower((unsigned char)n[i]) &&
		    !isdigit((unsigned char)n[i]) && !strchr(".-", n[i]))
			return false;
	if (strstr(n, "..") || !strncmp(n, "xn--", 4) ||
	    !strncmp(n, "sthree-", 7) ||
	    (len > 8 && !strcmp(n + len - 8, "-s3alias")) ||
	    (len > 7 && !strcmp(n + len - 7, "--ol-s3")))
		return false;
	/* Not an IPv4 address. */
	return sscanf(n, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4;
}

/* S3 answers a request for a subresource (?acl, ?uploads, ?tagging, a
 * versionId, a part of a multipart upload) or a copy: none is emulated,
 * and answering as if it were a plain GET or PUT would lie. */
static const char *unsupported(const struct s3_req *q)
{
	static const char *const valued[] = { "uploadId", "partNumber",
					      "versionId" };
	size_t i;

	for (i = 0; i < q->rq->nargs; i++)
		if (!q->rq->args[i].value || !*q->rq->args[i].value)
			return q->rq->args[i].name;
	for (i = 0; i < ARRAY_SIZE(valued); i++)
		if (httpd_arg(q->rq, valued[i]))
			return valued[i];
	if (httpd_header(q->rq, "x-amz-copy-source"))
		return "x-amz-copy-source";
	/* aws-chunked bodies carry chunk framing (and signatures) that
	 * would end up inside the object. */
	if (httpd_header(q->rq, "Content-Encoding") &&
	    strstr(httpd_header(q->rq, "Content-Encoding"), "aws-chunked"))
		return "Content-Encoding: aws-chunked";
	return NULL;
}

/* ---- service and buckets ---- */

static void list_buckets(struct s3_req *q)
{
	struct strbuf b = { 0 };
	char t[32];
	size_t i;

	sb_puts(&b, XML_DECL "<ListAllMyBucketsResult xmlns=\"" XMLNS "\">"
			     "<Owner><ID>" OWNER_ID "</ID>"
			     "<DisplayName>vpcemu</DisplayName></Owner>"
			     "<Buckets>");
	for (i = 0; i < q->s->nbuckets; i++) {
		const struct bucket *bk = &q->s->buckets[i];

		iso_time(bk->created, t, sizeof(t));
		sb_puts(&b, "<Bucket>");
		xml_elem(&b, "Name", bk->name);
		xml_elem(&b, "CreationDate", t);
		sb_puts(&b, "</Bucket>");
	}
	sb_puts(&b, "</Buckets></ListAllMyBucketsResult>");
	reply_xml(q, 200, &b);
}

/* The LocationConstraint of a CreateBucketConfiguration body: "" when the
 * body names none; NULL when the body is no such document. */
static char *location_constraint(const char *body)
{
	const char *p, *end;

	while (isspace((unsigned char)*body))
		body++;
	if (!*body)
		return strdup("");
	if (!strstr(body, "<CreateBucketConfiguration"))
		return NULL;
	p = strstr(body, "<LocationConstraint>");
	if (!p)
		return strdup("");
	p += strlen("<LocationConstraint>");
	end = strstr(p, "</LocationConstraint>");
	return end ? strndup(p, (size_t)(end - p)) : NULL;
}

static void create_bucket(struct s3_req *q)
{
	struct bucket *bk;
	char *loc, msg[200];
	bool found;
	size_t i;

	if (!bucket_name_ok(q->bucket)) {
		fail(q, 400, "InvalidBucketName",
		     "The specified bucket is not valid.", "BucketName",
		     q->bucket, NULL);
		return;
	}
	loc = location_constraint(q->rq->body);
	if (!loc) {
		fail(q, 400, "MalformedXML",
		     "The XML you provided was not well-formed or did not "
		     "validate against our published schema",
		     NULL);
		return;
	}
	/* us-east-1 takes no constraint (or its own name); every other
	 * regional endpoint wants its own region named. */
	if (strcmp(loc, q->region) &&
	    (*loc || strcmp(q->region, DEFAULT_REGION))) {
		snprintf(msg, sizeof(msg),
			 "The %s location constraint is incompatible for the "
			 "region specific endpoint this request was sent to.",
			 *loc ? loc : "unspecified");
		fail(q, 400, "IllegalLocationConstraintException", msg, NULL);
		free(loc);
		return;
	}
	free(loc);

	i = find(q->s->buckets, q->s->nbuckets, sizeof(*bk), q->bucket,
		 &found);
	if (found) {
		/* AWS: re-creating a bucket you own is 200 in us-east-1 (for
		 * legacy compatibility), BucketAlreadyOwnedByYou elsewhere. */
		if (!strcmp(q->region, DEFAULT_REGION) &&
		    !strcmp(q->s->buckets[i].region, DEFAULT_REGION))
			goto created;
		fail(q, 409, "BucketAlreadyOwnedByYou",
		     "Your previous request to create the named bucket "
		     "succeeded and you already own it.",
		     "BucketName", q->bucket, NULL);
		return;
	}
	if (q->s->nbuckets >= S3_BUCKETS_MAX) {
		fail(q, 400, "TooManyBuckets",
		     "You have attempted to create more buckets than allowed",
		     NULL);
		return;
	}
	bk = INSERT_AT(q->s->buckets, q->s->nbuckets, q->s->cap, i);
	if (!bk) {
		q->rp->oom = true;
		return;
	}
	bk->name = strdup(q->bucket);
	bk->region = strdup(q->region);
	bk->created = time(NULL);
	if (!bk->name || !bk->region) {
		bucket_free(bk);
		memmove(bk, bk + 1, (--q->s->nbuckets - i) * sizeof(*bk));
		q->rp->oom = true;
		return;
	}
created:
	httpd_reply_header(q->rp, "Location", "/%s", q->bucket);
	reply_xml(q, 200, NULL);
}

static void delete_bucket(struct s3_req *q, struct bucket *bk)
{
	if (bk->nobjs) {
		fail(q, 409, "BucketNotEmpty",
		     "The bucket you tried to delete is not empty",
		     "BucketName", q->bucket, NULL);
		return;
	}
	bucket_free(bk);
	memmove(bk, bk + 1,
		(--q->s->nbuckets - (size_t)(bk - q->s->buckets)) *
			sizeof(*bk));
	reply_xml(q, 204, NULL);
}

/* What one listing page is: S3's arguments, checked. */
struct listing {
	const char *prefix, *delim, *after, *token;
	unsigned long max;
	bool v2;
};

/* The first object listed after key (exclusive). When key lies in a common
 * prefix (it was a page's last entry, or is inside one), every key of that
 * prefix was listed already and is skipped. */
static size_t list_start(const struct bucket *bk, const struct listing *l,
			 const char *key)
{
	size_t plen = strlen(l->prefix), i, cplen;
	const char *d;
	bool found;

	i = find(bk->objs, bk->nobjs, sizeof(*bk->objs), key, &found);
	if (found)
		i++;
	if (*l->delim && !strncmp(key, l->prefix, plen) &&
	    (d = strstr(key + plen, l->delim))) {
		cplen = (size_t)(d - key) + strlen(l->delim);
		while (i < bk->nobjs && !strncmp(bk->objs[i].key, key, cplen))
			i++;
	}
	return i;
}

static void list_objects(struct s3_req *q, const struct bucket *bk)
{
	const struct httpd_field *mk = httpd_arg(q->rq, "max-keys");
	struct listing l = {
		.v2 = httpd_arg(q->rq, "list-type") &&
		      str_eq(httpd_arg(q->rq, "list-type")->value, "2"),
		.max = LIST_MAX,
	};
	const struct httpd_field *f;
	struct strbuf b = { 0 }, e = { 0 };
	char t[32], *end, *last = NULL;
	size_t i, n = 0, plen, dlen, lastlen = 0;
	bool truncated = false;

	f = httpd_arg(q->rq, "prefix");
	l.prefix = f && f->value ? f->value : "";
	f = httpd_arg(q->rq, "delimiter");
	l.delim = f && f->value ? f->value : "";
	f = httpd_arg(q->rq, l.v2 ? "start-after" : "marker");
	l.after = f && f->value ? f->value : "";
	f = l.v2 ? httpd_arg(q->rq, "continuation-token") : NULL;
	l.token = f && f->value ? f->value : NULL;
	if (mk && mk->value) {
		errno = 0;
		l.max = strtoul(mk->value, &end, 10);
		if (errno || *end || !*mk->value || mk->value[0] == '-') {
			fail(q, 400, "InvalidArgument",
			     "Provided max-keys not an integer or within "
			     "integer range",
			     "ArgumentName", "max-keys", "ArgumentValue",
			     mk->value, NULL);
			return;
		}
		if (l.max > LIST_MAX)
			l.max = LIST_MAX;
	}
	plen = strlen(l.prefix);
	dlen = strlen(l.delim);

	/* The token is the last entry of the page before (S3's is opaque;
	 * clients only pass it back). It wins over start-after, as on S3. */
	i = list_start(bk, &l, l.token ? l.token : l.after);
	if (i < bk->nobjs && strcmp(bk->objs[i].key, l.prefix) < 0) {
		bool found;

		i = find(bk->objs, bk->nobjs, sizeof(*bk->objs), l.prefix,
			 &found);
	}

	for (; i < bk->nobjs; i++) {
		const struct object *o = &bk->objs[i];
		const char *d;
		size_t cplen;

		if (strncmp(o->key, l.prefix, plen))
			break;	/* sorted: no later key has the prefix */
		d = dlen ? strstr(o->key + plen, l.delim) : NULL;
		cplen = d ? (size_t)(d - o->key) + dlen : strlen(o->key);
		if (d && last && lastlen == cplen &&
		    !strncmp(last, o->key, cplen))
			continue;	/* same common prefix as before */
		if (n == l.max) {
			truncated = true;
			break;
		}
		n++;
		last = o->key;
		lastlen = cplen;
		if (d) {
			sb_puts(&e, "<CommonPrefixes>");
			xml_elemn(&e, "Prefix", o->key, cplen);
			sb_puts(&e, "</CommonPrefixes>");
			continue;
		}
		iso_time(o->mtime, t, sizeof(t));
		sb_puts(&e, "<Contents>");
		xml_elem(&e, "Key", o->key);
		xml_elem(&e, "LastModified", t);
		sb_printf(&e, "<ETag>&quot;%s&quot;</ETag><Size>%zu</Size>",
			  o->etag, o->blob->len);
		sb_puts(&e, "<StorageClass>STANDARD</StorageClass></Contents>");
	}

	sb_puts(&b, XML_DECL "<ListBucketResult xmlns=\"" XMLNS "\">");
	xml_elem(&b, "Name", bk->name);
	xml_elem(&b, "Prefix", l.prefix);
	if (!l.v2)
		xml_elem(&b, "Marker", l.after);
	if (dlen)
		xml_elem(&b, "Delimiter", l.delim);
	sb_printf(&b, "<MaxKeys>%lu</MaxKeys>", l.max);
	if (l.v2) {
		if (l.token)
			xml_elem(&b, "ContinuationToken", l.token);
		if (*l.after)
			xml_elem(&b, "StartAfter", l.after);
		sb_printf(&b, "<KeyCount>%zu</KeyCount>", n);
	}
	sb_printf(&b, "<IsTruncated>%s</IsTruncated>",
		  truncated ? "true" : "false");
	if (truncated && (l.v2 || dlen))
		xml_elemn(&b, l.v2 ? "NextContinuationToken" : "NextMarker",
			  last, lastlen);
	sb_putn(&b, e.s, e.len);
	b.oom |= e.oom;
	sb_free(&e);
	sb_puts(&b, "</ListBucketResult>");
	reply_xml(q, 200, &b);
}

static void bucket_op(struct s3_req *q)
{
	const char *m = q->rq->method;
	struct bucket *bk;

	if (!strcmp(m, "PUT")) {
		create_bucket(q);
		return;
	}
	if (strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "DELETE")) {
		method_not_allowed(q, "BUCKET");
		return;
	}
	bk = bucket_get(q->s, q->bucket);
	if (!bk)
		no_such_bucket(q);
	else if (!strcmp(m, "GET"))
		list_objects(q, bk);
	else if (!strcmp(m, "DELETE"))
		delete_bucket(q, bk);
	else {
		httpd_reply_header(q->rp, "x-amz-bucket-region", "%s",
				   bk->region);
		reply_xml(q, 200, NULL);
	}
}

/* ---- objects ---- */

static void put_object(struct s3_req *q, struct bucket *bk)
{
	const char *ct = httpd_header(q->rq, "Content-Type");
	size_t len = q->rq->body_len, i, old = 0;
	struct object *o;
	struct blob *blob;
	struct md5_ctx md5;
	uint8_t dig[MD5_DIGEST_SIZE];
	char size[48], max[24];
	bool found;

	if (q->rq->body_too_large || len > S3_OBJECT_MAX) {
		const char *cl = httpd_header(q->rq, "Content-Length");

		if (cl)
			snprintf(size, sizeof(size), "%s", cl);
		else	/* chunked: all S3 can say is what it read */
			snprintf(size, sizeof(size), "%zu", len);
		snprintf(max, sizeof(max), "%u", S3_OBJECT_MAX);
		fail(q, 400, "EntityTooLarge",
		     "Your proposed upload exceeds the maximum allowed size",
		     "ProposedSize", size, "MaxSizeAllowed", max, NULL);
		return;
	}
	i = find(bk->objs, bk->nobjs, sizeof(*bk->objs), q->key, &found);
	if (found)
		old = bk->objs[i].blob->len;
	if ((!found && q->s->objects >= S3_STORE_OBJECTS_MAX) ||
	    q->s->bytes - old + len > S3_STORE_BYTES_MAX) {
		store_full(q);
		return;
	}
	blob = malloc(sizeof(*blob) + len);
	if (!blob) {
		q->rp->oom = true;
		return;
	}
	blob->refs = 1;
	blob->len = len;
	memcpy(blob->data, q->rq->body, len);
	if (found) {
		o = &bk->objs[i];
		free(o->content_type);
		blob_unref(o->blob);
	} else {
		o = INSERT_AT(bk->objs, bk->nobjs, bk->cap, i);
		if (o)
			o->key = strdup(q->key);
		if (!o || !o->key) {
			if (o)
				memmove(o, o + 1,
					(--bk->nobjs - i) * sizeof(*o));
			free(blob);
			q->rp->oom = true;
			return;
		}
		q->s->objects++;
	}
	o->blob = blob;
	q->s->bytes = q->s->bytes - old + len;
	/* S3's default type for an object stored without one. */
	o->content_type = strdup(ct ? ct : "binary/octet-stream");
	if (!o->content_type)
		q->rp->oom = true;
	o->mtime = time(NULL);
	md5_init(&md5);
	md5_update(&md5, len, (const uint8_t *)blob->data);
	md5_digest(&md5, sizeof(dig), dig);
	for (i = 0; i < sizeof(dig); i++)
		snprintf(o->etag + 2 * i, 3, "%02x", dig[i]);
	httpd_reply_header(q->rp, "ETag", "\"%s\"", o->etag);
	reply_xml(q, 200, NULL);
}

static void get_object(struct s3_req *q, const struct object *o)
{
	char t[64];
	struct tm tm;

	gmtime_r(&o->mtime, &tm);
	strftime(t, sizeof(t), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	httpd_reply_header(q->rp, "ETag", "\"%s\"", o->etag);
	httpd_reply_header(q->rp, "Last-Modified", "%s", t);
	httpd_reply_header(q->rp, "Content-Type", "%s", o->content_type);
	httpd_reply_header(q->rp, "Accept-Ranges", "none");
	httpd_reply_header(q->rp, "x-amz-request-id", "%s", q->id);
	httpd_reply_header(q->rp, "Server", "AmazonS3");
	/* HEAD too: httpd sends the length of the body and not the body. */
	o->blob->refs++;
	httpd_reply_body(q->rp, o->blob->data, o->blob->len, blob_unref,
			 o->blob);
	q->rp->status = 200;
}

static void object_op(struct s3_req *q)
{
	const char *m = q->rq->method;
	struct bucket *bk;
	struct object *o;
	bool found;
	size_t i;

	if (strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "PUT") &&
	    strcmp(m, "DELETE")) {
		method_not_allowed(q, "OBJECT");
		return;
	}
	bk = bucket_get(q->s, q->bucket);
	if (!bk) {
		no_such_bucket(q);
		return;
	}
	if (strlen(q->key) > S3_KEY_MAX) {
		fail(q, 400, "KeyTooLongError", "Your key is too long", NULL);
		return;
	}
	if (!strcmp(m, "PUT")) {
		put_object(q, bk);
		return;
	}
	i = find(bk->objs, bk->nobjs, sizeof(*bk->objs), q->key, &found);
	o = found ? &bk->objs[i] : NULL;
	if (!strcmp(m, "DELETE")) {
		/* S3 answers 204 whether or not the key was there. */
		if (o) {
			q->s->bytes -= o->blob->len;
			q->s->objects--;
			object_free(o);
			memmove(o, o + 1, (--bk->nobjs - i) * sizeof(*o));
		}
		reply_xml(q, 204, NULL);
	} else if (!o) {
		fail(q, 404, "NoSuchKey", "The specified key does not exist.",
		     "Key", q->key, NULL);
	} else {
		get_object(q, o);
	}
}

void s3_handle(struct s3_store *s, const struct httpd_request *rq,
	       struct httpd_reply *rp)
{
	struct s3_req q = { .s = s, .rq = rq, .rp = rp, .key = "" };
	const char *path = rq->path, *slash, *what;
	size_t n;

	snprintf(q.id, sizeof(q.id), "%016llX", ++s->requests);
	parse_host(&q);
	if (!*q.bucket && path[0] == '/' && path[1]) {
		/* Path style: the first segment is the bucket. */
		path++;
		slash = strchr(path, '/');
		n = slash ? (size_t)(slash - path) : strlen(path);
		snprintf(q.bucket, sizeof(q.bucket), "%.*s", (int)n, path);
		path += n;
	}
	if (*path == '/')
		path++;
	q.key = path;

	what = unsupported(&q);
	if (what)
		fail(&q, 501, "NotImplemented",
		     "A header you provided implies functionality that is not "
		     "implemented",
		     "Header", what, NULL);
	else if (!*q.bucket) {
		if (!strcmp(rq->method, "GET"))
			list_buckets(&q);
		else
			method_not_allowed(&q, "SERVICE");
	} else if (!*q.key) {
		bucket_op(&q);
	} else {
		object_op(&q);
	}
}
