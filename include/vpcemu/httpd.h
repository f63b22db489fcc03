/* httpd.h - small HTTP servers on the daemon's event loop.
 *
 * One server answers on one listening socket with libmicrohttpd in
 * external-epoll mode: no MHD thread, MHD's epoll fd is watched by the
 * evloop and its timeout becomes an evloop timer, so the daemon's single
 * thread drives every connection. A service (IMDS, the S3 and DynamoDB
 * stand-ins) supplies one handler that turns a complete request into a
 * reply; it never sees a socket, so it can be tested without one.
 */
#ifndef VPCEMU_HTTPD_H
#define VPCEMU_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evloop;
struct strbuf;

/* What one server lets its clients hold. */
struct httpd_limits {
	unsigned conns;		/* connections at once */
	unsigned conns_per_ip;	/* of them from one source address */
	unsigned idle_timeout;	/* seconds before an idle connection closes */
	size_t conn_memory;	/* MHD's buffer per connection: request line,
				   headers and what is read ahead */
	size_t body_max;	/* request body bytes kept; a longer body is
				   dropped and flagged (body_too_large) */
	bool later;		/* handlers may answer later (httpd_later);
				   costs the server an eventfd */
};

/* A header or a query argument. */
struct httpd_field {
	const char *name;
	const char *value;	/* NULL: an argument without "=" ("?acl") */
};

/* One complete request. Everything is borrowed for the length of the
 * handler's call. */
struct httpd_request {
	const char *method;	/* "GET", "PUT", ... */
	const char *path;	/* percent-decoded, without the query */
	const struct httpd_field *args;	/* query arguments, decoded, in */
	size_t nargs;			/* the order sent */
	const struct httpd_field *headers;
	size_t nheaders;
	const char *body;	/* body_len bytes and a NUL; never NULL */
	size_t body_len;
	/* The body was longer than the server's body_max: body is empty.
	 * When Content-Length announces it, the handler is called before
	 * the body is read, and the connection closes after the reply. */
	bool body_too_large;
	uint32_t src;		/* client's IPv4 address, host order; 0 when
				   the client is not IPv4 */
	struct httpd_conn *conn;	/* httpd.c's, for httpd_later */
};

/* The value of header name (case-insensitive; the first when repeated),
 * or NULL. */
const char *httpd_header(const struct httpd_request *rq, const char *name);
/* Query argument name (case-sensitive; the first), or NULL when absent. */
const struct httpd_field *httpd_arg(const struct httpd_request *rq,
				    const char *name);

/* What the handler answers. Start from { 0 }; a reply left with status 0
 * or oom set is sent as a bare 500. */
struct httpd_reply {
	int status;
	struct httpd_field *headers;	/* owned, one allocation each */
	size_t nheaders, cap;
	const void *body;
	size_t body_len;
	void (*release)(void *ctx);	/* called once when body is no longer
					   needed; NULL: static body */
	void *release_ctx;
	unsigned ip_ttl;	/* IP TTL of the reply's packets; 0: the
				   namespace's default. A TTL that cannot be
				   set drops the reply (fail closed). */
	bool oom;		/* an allocation failed while replying */
};

/* Adds header "name: value" (printf format) to rp; on ENOMEM sets oom. */
void httpd_reply_header(struct httpd_reply *rp, const char *name,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Sets rp's body: len bytes at data, valid until release(ctx) is called
 * (release may be NULL for static data). Releases a body already set. */
void httpd_reply_body(struct httpd_reply *rp, const void *data, size_t len,
		      void (*release)(void *ctx), void *ctx);
/* Sets status, the Content-Type header (NULL: none) and b's text as the
 * body; takes b's string (b is left empty). b's oom becomes rp's. */
void httpd_reply_text(struct httpd_reply *rp, int status,
		      const char *content_type, struct strbuf *b);
/* Releases rp's headers and body and resets it. */
void httpd_reply_free(struct httpd_reply *rp);

/* Answers rq into rp (which is zeroed). Called on the event loop: must not
 * block, and must not stop the server that calls it. */
typedef void (*httpd_handler_fn)(void *data, const struct httpd_request *rq,
				 struct httpd_reply *rp);

struct httpd;

/* A reply the handler gives after it returned, when the answer waits for
 * the event loop (a probe through a lab): the connection is suspended
 * meanwhile, so it neither blocks the loop nor times out as idle. */
struct httpd_later;

/* Called by a handler of rq that answers later: it leaves its rp alone
 * and hands the reply to httpd_later_reply, once (it may still do so
 * before it returns). Returns the handle, or NULL with errno set (the
 * handler then answers at once). */
struct httpd_later *httpd_later(const struct httpd_request *rq);
/* Sends rp (consumed, then zeroed) as the answer l waited for, and frees
 * l. After httpd_stop, when the connection is gone, it only frees. */
void httpd_later_reply(struct httpd_later *l, struct httpd_reply *rp);

/* Serves HTTP/1.1 on listen_fd (bound, listening, non-blocking), which
 * passes to the server whatever the outcome, from the loop el, within the
 * limits lim (copied). Each complete request is handed to fn with data.
 * Returns the server, or NULL with errno set. */
struct httpd *httpd_start(struct evloop *el, int listen_fd,
			  const struct httpd_limits *lim, httpd_handler_fn fn,
			  void *data);
/* Stops serving and closes every socket of the server (the listening one
 * and each connection, those waiting for httpd_later_reply too: their
 * handles stay valid until replied), so the namespace is pinned by none
 * of them.
 * Must not be called from the handler. NULL ok. */
void httpd_stop(struct httpd *h);

#endif
