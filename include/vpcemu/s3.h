/* s3.h - an in-memory stand-in for Amazon S3, the service behind a lab's
 * gateway endpoints.
 *
 * s3_handle() is the whole service as a pure function over a store: one
 * HTTP request (httpd.h) in, S3's reply out; no sockets, so it is tested
 * without root. The daemon puts it on the wire with httpd_start, with
 * S3_BODY_MAX as the body cap.
 *
 * What a client gets (docs/aws-services.md): ListBuckets, CreateBucket,
 * HeadBucket, DeleteBucket, ListObjects (v1 and v2), PutObject, GetObject,
 * HeadObject, DeleteObject, in path style (Host s3.REGION.amazonaws.com,
 * /BUCKET/KEY) and virtual-hosted style (Host BUCKET.s3.REGION.amazonaws.com
 * or BUCKET.s3.amazonaws.com, /KEY). Anything else is S3's NotImplemented.
 * Requests are not authenticated: signatures and credentials are ignored.
 * Nothing is written to disk.
 */
#ifndef VPCEMU_S3_H
#define VPCEMU_S3_H

struct httpd_reply;
struct httpd_request;

/* Caps, so that a lab cannot eat the daemon's memory. Past one, S3's
 * EntityTooLarge (an object), TooManyBuckets, or InvalidRequest naming
 * the cap (the store). */
#define S3_OBJECT_MAX (16u << 20)		/* bytes of one object */
#define S3_STORE_BYTES_MAX (256u << 20)		/* bytes of all objects */
#define S3_STORE_OBJECTS_MAX 10000u		/* objects, all buckets */
#define S3_BUCKETS_MAX 100u			/* AWS's old default quota */
#define S3_KEY_MAX 1024u			/* bytes of a key, as AWS */
/* Request body cap to give httpd: one object and a little more, so that a
 * body just over S3_OBJECT_MAX still reaches s3_handle and gets S3's
 * answer with the proposed size. */
#define S3_BODY_MAX (S3_OBJECT_MAX + (64u << 10))

struct s3_store;

/* An empty store (no bucket), or NULL with errno ENOMEM. */
struct s3_store *s3_store_new(void);
/* Frees the store, its buckets and objects. Bodies of replies still being
 * sent stay valid until httpd releases them. NULL ok. */
void s3_store_free(struct s3_store *s);

/* Answers rq into rp (zeroed by the caller): every S3 error is an answer
 * (status and S3's XML error document); an allocation failure sets
 * rp->oom. The body of a GetObject reply shares the object's bytes (no
 * copy) until httpd_reply_free or httpd releases it. */
void s3_handle(struct s3_store *s, const struct httpd_request *rq,
	       struct httpd_reply *rp);

#endif
