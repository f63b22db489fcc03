/* sigv4.h - AWS Signature Version 4, the server's side: reading the
 * Authorization header and recomputing the signature of a request.
 *
 * Only header signing (Authorization: AWS4-HMAC-SHA256 ...), the way the
 * AWS CLI and the SDKs sign; presigned query strings are not taken. Pure:
 * no I/O, no clock of its own.
 */
#ifndef VPCEMU_SIGV4_H
#define VPCEMU_SIGV4_H

#include <stddef.h>
#include <time.h>

struct httpd_request;

/* The parts of an Authorization header. */
struct sigv4_auth {
	char akid[128];		/* access key ID */
	char date[9];		/* YYYYMMDD of the credential scope */
	char region[64];
	char service[64];
	char signed_headers[1024];	/* "host;x-amz-date", as sent */
	char signature[65];	/* 64 lowercase hex digits */
};

/* Parses header, "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/
 * aws4_request, SignedHeaders=a;b, Signature=HEX", into *ret. Returns 0,
 * or -EINVAL when it is not such a header or a part is too long. */
int sigv4_parse(const char *header, struct sigv4_auth *ret);

/* The seconds since the epoch of amz_date, "YYYYMMDDTHHMMSSZ"; -1 when
 * malformed. */
time_t sigv4_time(const char *amz_date);

/* The signature of rq (method, path, query arguments, the headers a
 * names, the body) under a's scope, signed at amz_date with secret, as
 * 64 hex digits into out. Returns 0, or -EINVAL when a signed header is
 * missing from rq, -ENOMEM. */
int sigv4_sign(const struct httpd_request *rq, const struct sigv4_auth *a,
	       const char *amz_date, const char *secret, char out[65]);

/* Whether two signatures match, in time independent of where they
 * differ. */
int sigv4_equal(const char *a, const char *b);

#endif
