/* httpd.c - libmicrohttpd on the daemon's event loop (httpd.h).
 *
 * One MHD daemon per listening socket, in external epoll mode: MHD's epoll
 * fd is registered with the evloop and MHD's next timeout is an evloop
 * timer, so one thread drives every connection of every server. A server
 * owns the listening socket, MHD's epoll fd, every connection and the
 * body of each request being read; it borrows the handler's data.
 *
 * Requests reach the handler whole: headers and query arguments gathered
 * into arrays, the body accumulated up to the caller's cap. Services that
 * sit behind it (imds.c, s3.c, dynamodb.c) stay pure functions. One whose
 * answer waits for the loop (api.c's SSM probes) takes an httpd_later:
 * its connection is suspended until the reply comes.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "vpcemu/evloop.h"
#include "vpcemu/httpd.h"
#include "vpcemu/util.h"

struct httpd {
	struct evloop *el;
	struct MHD_Daemon *mhd;
	int epfd;		/* MHD's epoll fd, watched by el */
	uint64_t timer;		/* MHD's next timeout; 0: none armed */
	struct httpd_limits lim;
	httpd_handler_fn fn;
	void *data;
	struct httpd_later *laters;	/* suspended, waiting for replies */
	bool in_run;		/* inside MHD_run, which must not recurse */
};

/* What answer() lends the handler through rq->conn. */
struct httpd_conn {
	struct httpd *h;
	struct MHD_Connection *c;
	struct httpd_reply *rp;	/* the handler's */
	struct httpd_later *later;
};

struct httpd_later {
	struct httpd_later *next;	/* h->laters */
	struct httpd *h;	/* NULL once the server stopped */
	struct MHD_Connection *c;
	struct upload *u;
	struct httpd_conn *conn;	/* while the handler runs */
	bool replied;		/* before the handler returned */
};

/* One request while MHD reads it: its body so far. */
struct upload {
	struct strbuf body;
	bool too_large;
	bool answered;		/* a reply is queued (early, on too_large) */
	bool unanswerable;	/* a later reply could not be queued */
};

/* ---- requests and replies ---- */

static const struct httpd_field *field_find(const struct httpd_field *v,
					    size_t n, const char *name,
					    bool any_case)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (any_case ? !strcasecmp(v[i].name, name) :
			       !strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

const char *httpd_header(const struct httpd_request *rq, const char *name)
{
	const struct httpd_field *f =
		field_find(rq->headers, rq->nheaders, name, true);

	return f ? f->value : NULL;
}

const struct httpd_field *httpd_arg(const struct httpd_request *rq,
				    const char *name)
{
	return field_find(rq->args, rq->nargs, name, false);
}

void httpd_reply_header(struct httpd_reply *rp, const char *name,
			const char *fmt, ...)
{
	struct strbuf b = { 0 };
	struct httpd_field *f;
	va_list ap;
	char *s;

	/* "name\0value" in one allocation: the field's name owns it. */
	sb_putn(&b, name, strlen(name) + 1);
	va_start(ap, fmt);
	sb_vprintf(&b, fmt, ap);
	va_end(ap);
	s = sb_take(&b);
	f = s ? VEC_PUSH(rp->headers, rp->nheaders, rp->cap) : NULL;
	if (!f) {
		free(s);
		rp->oom = true;
		return;
	}
	f->name = s;
	f->value = s + strlen(name) + 1;
}

void httpd_reply_body(struct httpd_reply *rp, const void *data, size_t len,
		      void (*release)(void *ctx), void *ctx)
{
	if (rp->release)
		rp->release(rp->release_ctx);
	rp->body = data;
	rp->body_len = len;
	rp->release = release;
	rp->release_ctx = ctx;
}

void httpd_reply_text(struct httpd_reply *rp, int status,
		      const char *content_type, struct strbuf *b)
{
	size_t len = b->len;
	char *s;

	if (b->oom)
		rp->oom = true;
	s = sb_take(b);
	if (!s) {
		rp->oom = true;
		return;
	}
	rp->status = status;
	if (content_type)
		httpd_reply_header(rp, "Content-Type", "%s", content_type);
	httpd_reply_body(rp, s, len, free, s);
}

void httpd_reply_free(struct httpd_reply *rp)
{
	size_t i;

	httpd_reply_body(rp, NULL, 0, NULL, NULL);
	for (i = 0; i < rp->nheaders; i++)
		free((char *)rp->headers[i].name);
	free(rp->headers);
	*rp = (struct httpd_reply){ 0 };
}

/* ---- the MHD side ---- */

static void on_timer(struct evloop *el, uint64_t id, void *data);

/* Lets MHD do all it can without blocking, then arms a timer for what it
 * must do later (idle timeouts, work it left pending: a 0 ms timeout). */
static void mhd_step(struct httpd *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	h->in_run = true;
	MHD_run(h->mhd);
	h->in_run = false;
	if (h->timer) {
		evloop_del_timer(h->el, h->timer);
		h->timer = 0;
	}
	if (MHD_get_timeout(h->mhd, &ms) == MHD_YES)
		/* On ENOMEM no timer: idle connections then wait for the
		 * next event, which is late but not wrong. */
		h->timer = evloop_add_timer(h->el, ms, 0, on_timer, h);
}

static void on_timer(struct evloop *el, uint64_t id, void *data)
{
	struct httpd *h = data;

	h->timer = 0;		/* one-shot: already forgotten by el */
	mhd_step(h);
}

static void on_epoll(struct evloop *el, int fd, unsigned events, void *data)
{
	mhd_step(data);
}

struct fields {
	struct httpd_field *v;
	size_t n, cap;
	bool oom;
};

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind,
			       const char *key, const char *value)
{
	struct fields *fs = cls;
	struct httpd_field *f = VEC_PUSH(fs->v, fs->n, fs->cap);

	if (!f) {
		fs->oom = true;
		return MHD_NO;
	}
	f->name = key;
	f->value = value;
	return MHD_YES;
}

/* Appends n bytes to u's body, or drops the body once it passes max. A
 * failed allocation drops it too: the handler then answers "too large",
 * which says more than a bare 500. The buffer grows as bytes arrive, not
 * from Content-Length: a client that announces a large body and sends
 * none pins no memory. */
static void upload_add(struct upload *u, const char *p, size_t n, size_t max)
{
	if (u->too_large)
		return;
	if (n > max - u->body.len)
		u->too_large = true;
	else
		sb_putn(&u->body, p, n);
	if (u->too_large || u->body.oom) {
		sb_free(&u->body);
		u->too_large = true;
	}
}

static bool announced_too_large(struct MHD_Connection *c, size_t max)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long v;
	char *end;

	if (!cl)
		return false;
	errno = 0;
	v = strtoull(cl, &end, 10);
	return end != cl && !*end && (errno == ERANGE || v > max);
}

/* Sends rp (and releases it) on c. */
static enum MHD_Result send_reply(struct MHD_Connection *c,
				  struct httpd_reply *rp)
{
	const union MHD_ConnectionInfo *ci;
	struct MHD_Response *resp;
	enum MHD_Result ret = MHD_YES;
	size_t i;
	int ttl;

	if (rp->oom || !rp->status) {
		httpd_reply_free(rp);
		rp->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	/* The TTL is the socket's, so it is set for every reply: a
	 * keep-alive connection must not carry one reply's TTL over to the
	 * ones that follow. -1 restores the namespace's default. */
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	ttl = rp->ip_ttl ? (int)rp->ip_ttl : -1;
	if ((!ci || setsockopt(ci->connect_fd, IPPROTO_IP, IP_TTL, &ttl,
			       sizeof(ttl))) &&
	    rp->ip_ttl) {
		httpd_reply_free(rp);
		return MHD_NO;
	}

	if (rp->release)
		resp = MHD_create_response_from_buffer_with_free_callback_cls(
			rp->body_len, (void *)rp->body, rp->release,
			rp->release_ctx);
	else
		resp = MHD_create_response_from_buffer(
			rp->body_len, (void *)rp->body, MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		httpd_reply_free(rp);
		return MHD_NO;
	}
	rp->release = NULL;	/* MHD releases the body from now */
	for (i = 0; ret == MHD_YES && i < rp->nheaders; i++)
		ret = MHD_add_response_header(resp, rp->headers[i].name,
					      rp->headers[i].value);
	if (ret == MHD_YES)
		ret = MHD_queue_response(c, (unsigned)rp->status, resp);
	MHD_destroy_response(resp);
	httpd_reply_free(rp);
	return ret;
}

/* Hands the request read so far (u) to the server's handler and queues
 * the reply. */
static enum MHD_Result answer(struct httpd *h, struct MHD_Connection *c,
			      const char *url, const char *method,
			      struct upload *u)
{
	struct fields headers = { 0 }, args = { 0 };
	const union MHD_ConnectionInfo *ci;
	struct httpd_reply rp = { 0 };
	struct httpd_conn conn = { .h = h, .c = c, .rp = &rp };
	struct httpd_later *l;
	struct httpd_request rq = {
		.method = method,
		.path = url,
		.body = u->body.s ? u->body.s : "",
		.body_len = u->body.len,
		.body_too_large = u->too_large,
		.conn = &conn,
	};
	enum MHD_Result ret = MHD_YES;

	u->answered = true;
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect, &headers);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, &args);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		rq.src = ntohl(((const struct sockaddr_in *)ci->client_addr)
				       ->sin_addr.s_addr);
	if (headers.oom || args.oom) {
		rp.oom = true;
	} else {
		rq.headers = headers.v;
		rq.nheaders = headers.n;
		rq.args = args.v;
		rq.nargs = args.n;
		h->fn(h->data, &rq, &rp);
	}
	l = conn.later;
	if (l && !l->replied) {
		/* MHD answers the client once it is resumed, with the
		 * response queued meanwhile. */
		l->conn = NULL;
		l->u = u;
		l->next = h->laters;
		h->laters = l;
		MHD_suspend_connection(c);
	} else {
		free(l);
		ret = send_reply(c, &rp);
	}
	free(headers.v);
	free(args.v);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct httpd *h = cls;
	struct upload *u = *con_cls;

	/* MHD calls once for the headers, then for each piece of body, then
	 * once more with none: answer only then, unless the announced body
	 * is over the cap, which is answered before it is sent. */
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u)
			return MHD_NO;
		*con_cls = u;
		if (!announced_too_large(c, h->lim.body_max))
			return MHD_YES;
		u->too_large = true;
		return answer(h, c, url, method, u);
	}
	if (*upload_size) {
		if (!u->answered)
			upload_add(u, upload, *upload_size, h->lim.body_max);
		*upload_size = 0;
		return MHD_YES;
	}
	if (u->answered)
		return u->unanswerable ? MHD_NO : MHD_YES;
	return answer(h, c, url, method, u);
}

struct httpd_later *httpd_later(const struct httpd_request *rq)
{
	struct httpd_later *l;

	if (!rq->conn || rq->conn->later || !rq->conn->h->lim.later) {
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->h = rq->conn->h;
	l->c = rq->conn->c;
	l->conn = rq->conn;
	rq->conn->later = l;
	return l;
}

void httpd_later_reply(struct httpd_later *l, struct httpd_reply *rp)
{
	struct httpd_later **pp;
	struct httpd *h = l->h;

	if (l->conn) {
		/* Still in the handler: answer() sends it as any reply. */
		httpd_reply_free(l->conn->rp);
		*l->conn->rp = *rp;
		*rp = (struct httpd_reply){ 0 };
		l->replied = true;
		return;
	}
	if (!h) {
		httpd_reply_free(rp);
		free(l);
		return;
	}
	for (pp = &h->laters; *pp != l; pp = &(*pp)->next)
		;
	*pp = l->next;
	/* Queued while suspended, sent once resumed; a reply MHD would not
	 * take closes the connection instead (on_request says MHD_NO). */
	if (send_reply(l->c, rp) != MHD_YES)
		l->u->unanswerable = true;
	MHD_resume_connection(l->c);
	/* Outside MHD_run, run it now; inside, MHD's eventfd wakes the loop
	 * for the resumed connection. */
	if (!h->in_run)
		mhd_step(h);
	free(l);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct upload *u = *con_cls;

	if (u)
		sb_free(&u->body);
	free(u);
	*con_cls = NULL;
}

struct httpd *httpd_start(struct evloop *el, int listen_fd,
			  const struct httpd_limits *lim, httpd_handler_fn fn,
			  void *data)
{
	struct httpd *h = calloc(1, sizeof(*h));
	const union MHD_DaemonInfo *di;
	int err;

	if (!h) {
		err = ENOMEM;
		goto fail;
	}
	h->el = el;
	h->epfd = -1;
	h->lim = *lim;
	h->fn = fn;
	h->data = data;
	/* MHD_USE_EPOLL without MHD_USE_INTERNAL_POLLING_THREAD: no thread,
	 * MHD_run does the work. No MHD_USE_ERROR_LOG: below the mains
	 * nothing prints. */
	errno = 0;
	h->mhd = MHD_start_daemon(
		MHD_USE_EPOLL | (lim->later ? MHD_ALLOW_SUSPEND_RESUME : 0), 0,
		NULL, NULL, on_request, h,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_CONNECTION_LIMIT, lim->conns,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, lim->conns_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, lim->idle_timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, lim->conn_memory,
		MHD_OPTION_END);
	if (!h->mhd) {
		err = errno ? errno : EINVAL;
		/* Whether MHD closed the socket on failure depends on how far
		 * it got; the daemon is single-threaded, so a still-valid fd
		 * number is still ours. */
		if (fcntl(listen_fd, F_GETFD) >= 0)
			close(listen_fd);
		listen_fd = -1;
		goto fail;
	}
	listen_fd = -1;		/* MHD_stop_daemon closes it from now */
	di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di || di->epoll_fd < 0) {
		err = EINVAL;
		goto fail;
	}
	h->epfd = di->epoll_fd;
	err = -evloop_add_fd(el, h->epfd, EVLOOP_READ, on_epoll, h);
	if (err) {
		h->epfd = -1;
		goto fail;
	}
	mhd_step(h);
	return h;

fail:
	if (listen_fd >= 0)
		close(listen_fd);
	httpd_stop(h);
	errno = err;
	return NULL;
}

void httpd_stop(struct httpd *h)
{
	struct httpd_later *l;

	if (!h)
		return;
	/* MHD must not stop with a connection suspended: resumed without a
	 * reply, each is closed by the stop; its handle waits for its
	 * holder's httpd_later_reply, which only frees it. */
	for (l = h->laters; l; l = l->next) {
		l->h = NULL;
		MHD_resume_connection(l->c);
	}
	h->laters = NULL;
	if (h->epfd >= 0)
		evloop_del_fd(h->el, h->epfd);
	if (h->timer)
		evloop_del_timer(h->el, h->timer);
	/* Closes the listening socket, every connection and the epoll fd;
	 * on_completed frees the bodies being read. */
	if (h->mhd)
		MHD_stop_daemon(h->mhd);
	free(h);
}
