/* sigv4.c - verifying AWS Signature Version 4 (sigv4.h).
 *
 * The server recomputes what the client signed: the canonical request
 * (method, URI, sorted query, the signed headers trimmed and sorted, the
 * body's SHA-256), the string to sign under the credential scope, and
 * the HMAC-SHA256 chain from the secret key. Query arguments arrive
 * decoded (httpd.h), so the canonical query string is re-encoded from
 * them, which is the canonical form by definition.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nettle/hmac.h>
#include <nettle/sha2.h>

#include "vpcemu/httpd.h"
#include "vpcemu/sigv4.h"
#include "vpcemu/util.h"

/* Copies the text from s up to the first character of stop (or the end)
 * into out (size n); returns where it stopped, or NULL when too long. */
static const char *take(const char *s, const char *stop, char *out, size_t n)
{
	size_t len = strcspn(s, stop);

	if (len >= n)
		return NULL;
	memcpy(out, s, len);
	out[len] = '\0';
	return s + len;
}

/* The value of "key=" in the comma-separated list after the algorithm. */
static const char *auth_field(const char *h, const char *key)
{
	size_t kl = strlen(key);
	const char *p = h;

	while (*p) {
		p += strspn(p, " ,");
		if (!strncmp(p, key, kl) && p[kl] == '=')
			return p + kl + 1;
		p += strcspn(p, ",");
	}
	return NULL;
}

int sigv4_parse(const char *header, struct sigv4_auth *ret)
{
	static const char alg[] = "AWS4-HMAC-SHA256 ";
	const char *cred, *sh, *sig, *p;
	char term[16];
	size_t i;

	*ret = (struct sigv4_auth){ 0 };
	if (!header || strncmp(header, alg, sizeof(alg) - 1))
		return -EINVAL;
	header += sizeof(alg) - 1;
	cred = auth_field(header, "Credential");
	sh = auth_field(header, "SignedHeaders");
	sig = auth_field(header, "Signature");
	if (!cred || !sh || !sig)
		return -EINVAL;
	if (!(p = take(cred, "/,", ret->akid, sizeof(ret->akid))) ||
	    *p++ != '/' || !(p = take(p, "/,", ret->date, sizeof(ret->date))) ||
	    *p++ != '/' ||
	    !(p = take(p, "/,", ret->region, sizeof(ret->region))) ||
	    *p++ != '/' ||
	    !(p = take(p, "/,", ret->service, sizeof(ret->service))) ||
	    *p++ != '/' || !(p = take(p, ", ", term, sizeof(term))) ||
	    strcmp(term, "aws4_request"))
		return -EINVAL;
	if (!take(sh, ", ", ret->signed_headers, sizeof(ret->signed_headers)) ||
	    !take(sig, ", ", ret->signature, sizeof(ret->signature)))
		return -EINVAL;
	if (!ret->akid[0] || strlen(ret->date) != 8 || !ret->region[0] ||
	    !ret->service[0] || !ret->signed_headers[0] ||
	    strlen(ret->signature) != 64)
		return -EINVAL;
	for (i = 0; i < 64; i++)
		if (!strchr("0123456789abcdef", ret->signature[i]))
			return -EINVAL;
	return 0;
}

time_t sigv4_time(const char *s)
{
	struct tm tm = { 0 };
	const char *end;

	if (!s || strlen(s) != 16)
		return -1;
	end = strptime(s, "%Y%m%dT%H%M%SZ", &tm);
	if (!end || *end)
		return -1;
	return timegm(&tm);
}

/* RFC 3986 unreserved characters stay; everything else is %XX, '/' too
 * unless keep_slash (the URI path). */
static void uri_encode(struct strbuf *b, const char *s, bool keep_slash)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-_.~", c) ||
		    (keep_slash && c == '/'))
			sb_putn(b, (const char *)s, 1);
		else
			sb_printf(b, "%%%02X", c);
	}
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256_init(&c);
	sha256_update(&c, n, p);
	sha256_digest(&c, sizeof(d), d);
	hex(d, sizeof(d), out);
}

static void hmac(const uint8_t *key, size_t klen, const char *msg,
		 uint8_t out[SHA256_DIGEST_SIZE])
{
	struct hmac_sha256_ctx c;

	hmac_sha256_set_key(&c, klen, key);
	hmac_sha256_update(&c, strlen(msg), (const uint8_t *)msg);
	hmac_sha256_digest(&c, SHA256_DIGEST_SIZE, out);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "name=value" of each query argument, encoded, sorted. */
static int canonical_query(struct strbuf *b, const struct httpd_request *rq)
{
	char **v = calloc(rq->nargs ? rq->nargs : 1, sizeof(*v));
	size_t i;
	int r = 0;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < rq->nargs; i++) {
		struct strbuf e = { 0 };

		uri_encode(&e, rq->args[i].name, false);
		sb_putn(&e, "=", 1);
		uri_encode(&e, rq->args[i].value ? rq->args[i].value : "",
			   false);
		v[i] = sb_take(&e);
		if (!v[i])
			r = -ENOMEM;
	}
	if (!r) {
		qsort(v, rq->nargs, sizeof(*v), cmp_str);
		for (i = 0; i < rq->nargs; i++)
			sb_printf(b, "%s%s", i ? "&" : "", v[i]);
	}
	for (i = 0; i < rq->nargs; i++)
		free(v[i]);
	free(v);
	return r;
}

/* "name:value\n" for each signed header: the value trimmed, inner runs
 * of spaces made one. */
static int canonical_headers(struct strbuf *b, const struct httpd_request *rq,
			     const char *names)
{
	char name[128];
	const char *p = names, *v;

	while (*p) {
		size_t n = strcspn(p, ";");

		if (!n || n >= sizeof(name))
			return -EINVAL;
		memcpy(name, p, n);
		name[n] = '\0';
		p += n + (p[n] == ';');
		v = httpd_header(rq, name);
		if (!v)
			return -EINVAL;
		sb_printf(b, "%s:", name);
		v += strspn(v, " \t");
		while (*v) {
			size_t w = strcspn(v, " \t");

			sb_putn(b, v, w);
			v += w;
			v += strspn(v, " \t");
			if (*v)
				sb_putn(b, " ", 1);
		}
		sb_putn(b, "\n", 1);
	}
	return 0;
}

int sigv4_sign(const struct httpd_request *rq, const struct sigv4_auth *a,
	       const char *amz_date, const char *secret, char out[65])
{
	struct strbuf cr = { 0 }, sts = { 0 };
	uint8_t k[SHA256_DIGEST_SIZE];
	char h[65], *key;
	int r;

	sb_printf(&cr, "%s\n", rq->method);
	uri_encode(&cr, rq->path && rq->path[0] ? rq->path : "/", true);
	sb_putn(&cr, "\n", 1);
	r = canonical_query(&cr, rq);
	sb_putn(&cr, "\n", 1);
	if (!r)
		r = canonical_headers(&cr, rq, a->signed_headers);
	sha256_hex(rq->body, rq->body_len, h);
	sb_printf(&cr, "\n%s\n%s", a->signed_headers, h);
	if (!r && cr.oom)
		r = -ENOMEM;
	if (r) {
		sb_free(&cr);
		return r;
	}
	sha256_hex(cr.s, cr.len, h);
	sb_free(&cr);
	sb_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
		  amz_date, a->date, a->region, a->service, h);
	key = str_printf("AWS4%s", secret);
	if (sts.oom || !key) {
		sb_free(&sts);
		free(key);
		return -ENOMEM;
	}
	hmac((const uint8_t *)key, strlen(key), a->date, k);
	hmac(k, sizeof(k), a->region, k);
	hmac(k, sizeof(k), a->service, k);
	hmac(k, sizeof(k), "aws4_request", k);
	hmac(k, sizeof(k), sts.s, k);
	hex(k, sizeof(k), out);
	explicit_bzero(key, strlen(key));
	free(key);
	sb_free(&sts);
	return 0;
}

int sigv4_equal(const char *a, const char *b)
{
	size_t la = strlen(a), i;
	unsigned char d = la != strlen(b);

	for (i = 0; i < la && b[i]; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return !d;
}
