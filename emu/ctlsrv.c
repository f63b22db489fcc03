/* ctlsrv.c - the daemon's end of the control socket (ctlsrv.h).
 *
 * One connection is a client: bytes in, whole frames out of them (ctl.c),
 * one request at a time, its reply sent before the next frame is read.
 * Each request is checked against the peer's credentials (peer.c) when it
 * arrives, then handed to its handler with a reply of memory streams.
 * Owns the connections and their buffers, not the listening socket
 * (daemon.c binds it) nor what the handlers do (request.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "vpcemu/ctl.h"
#include "vpcemu/ctlsrv.h"
#include "vpcemu/dlog.h"
#include "vpcemu/evloop.h"
#include "vpcemu/fdpass.h"
#include "vpcemu/netns.h"
#include "vpcemu/peer.h"
#include "vpcemu/util.h"

#define MAX_CLIENTS 64
#define CLIENT_IDLE_MS (60 * 1000)	/* a connection with no request */
#define SWEEP_MS (10 * 1000)
#define READ_CHUNK (64 * 1024)


struct client {
	struct client *next;
	int fd;
	char *in;		/* bytes received, not yet a whole frame */
	size_t inlen, incap;
	char *out;		/* encoded reply not yet sent */
	size_t outlen, outoff;
	bool eof;		/* the peer shut its side down */
	bool closing;		/* close once out is sent */
	uint64_t last;		/* evloop_now_ms() of the last activity */
	pid_t pid;		/* for the logs: SO_PEERCRED at accept */
	uid_t uid;
	uint64_t serial;	/* names the client to a deferred reply */
	bool waiting;		/* a deferred reply is due: read nothing */
	struct reply *pending;	/* that reply, while waiting */
	int fds[FDPASS_MAX];	/* received, for the request whose frame */
	size_t nfds;		/* holds in[fds_at - 1] (fdpass.h) */
	size_t fds_at;
};


static struct {
	struct evloop *el;
	const struct ctlsrv_op *ops;
	size_t nops;
	bool group_set;
	gid_t group;
	struct client *clients;
	unsigned nclients;
	uint64_t serial;
} S;


static int reply_open(struct reply *r, uint64_t client)
{
	*r = (struct reply){ .client = client };
	r->out = open_memstream(&r->outbuf, &r->outlen);
	r->err = open_memstream(&r->errbuf, &r->errlen);
	r->result = json_object();
	if (!r->out || !r->err || !r->result)
		return -ENOMEM;
	return 0;
}

/* Closes the streams and builds the reply (NULL on ENOMEM). */
static json_t *reply_close(struct reply *r)
{
	json_t *j = NULL;
	bool ok = true;

	if (r->out && fclose(r->out))
		ok = false;
	if (r->err && fclose(r->err))
		ok = false;
	if (ok && r->result) {
		j = ctl_reply_new(r->exit, r->outbuf, r->outlen, r->errbuf,
				  r->errlen, r->result);
		r->result = NULL;
	}
	json_decref(r->result);
	free(r->outbuf);
	free(r->errbuf);
	fdpass_close(r->fds, &r->nfds);
	return j;
}


static void client_io(struct evloop *el, int fd, unsigned events, void *data);

static void client_close(struct client *c)
{
	struct client **pp;

	for (pp = &S.clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	S.nclients--;
	/* What runs for a client that went away has no one to answer. */
	if (c->waiting && c->pending && c->pending->cancel)
		c->pending->cancel(c->pending->cancel_data);
	evloop_del_fd(S.el, c->fd);
	fdpass_close(c->fds, &c->nfds);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Appends len bytes of frames (buf, consumed) to what is queued for c;
 * with no memory for that, c is closed once the rest is out. */
static void client_append(struct client *c, char *buf, size_t len)
{
	char *n;

	if (c->outoff == c->outlen) {
		free(c->out);
		c->out = buf;
		c->outlen = len;
		c->outoff = 0;
		return;
	}
	n = realloc(c->out, c->outlen + len);
	if (!n) {
		c->closing = true;
		free(buf);
		return;
	}
	memcpy(n + c->outlen, buf, len);
	free(buf);
	c->out = n;
	c->outlen += len;
}

/* Queues rep (consumed) for sending, after what is queued (progress); a
 * reply too large to frame, or no memory to frame it, becomes a short
 * error. */
static void client_queue(struct client *c, json_t *rep)
{
	char *buf = NULL;
	size_t len = 0;
	int e = rep ? ctl_frame_encode(rep, &buf, &len) : -ENOMEM;

	json_decref(rep);
	if (e) {
		rep = ctl_reply_error(CTL_EXIT_FAIL, "vpcemud: cannot send the "
				      "reply: %s", strerror(-e));
		if (!rep || ctl_frame_encode(rep, &buf, &len))
			c->closing = true;
		json_decref(rep);
	}
	if (buf)
		client_append(c, buf, len);
}

/* Drops a connection after telling the client why. */
static void client_refuse(struct client *c, int exit_status, const char *msg)
{
	client_queue(c, ctl_reply_error(exit_status, "%s", msg));
	c->closing = true;
}

static void client_bad_request(struct client *c, const char *why)
{
	dlog(LOG_WARNING, NULL, "bad request from pid %d uid %u: %s",
	     (int)c->pid, (unsigned)c->uid, why);
	client_queue(c, ctl_reply_error(CTL_EXIT_USAGE,
					"vpcemud: bad request: %s", why));
	c->closing = true;
}

/* The descriptors that came with the request being dispatched go with
 * it: the handler takes what it uses, reply_close closes the rest. */
static void client_give_fds(struct client *c, struct reply *r)
{
	memcpy(r->fds, c->fds, sizeof(r->fds));
	r->nfds = c->nfds;
	c->nfds = 0;
}

static void client_request(struct client *c, json_t *msg, bool with_fds)
{
	struct peer p;
	const char *op;
	struct reply *r;
	json_t *args, *rep;
	char err[512];
	size_t i;
	int e;

	/* Asked for each request, not trusted from accept: cheap, and the
	 * rule reads the same wherever a request is handled. */
	e = peer_get(c->fd, &p);
	if (e) {
		dlog(LOG_ERR, NULL, "client pid %d: SO_PEERCRED: %s",
		     (int)c->pid, strerror(-e));
		client_refuse(c, CTL_EXIT_FAIL, "vpcemud: cannot identify "
			      "the client");
		return;
	}
	if (!peer_allowed(&p, S.group_set ? &S.group : NULL)) {
		dlog(LOG_WARNING, NULL, "refused a request from pid %d uid "
		     "%u gid %u: permission denied", (int)p.cred.pid,
		     (unsigned)p.cred.uid, (unsigned)p.cred.gid);
		client_refuse(c, CTL_EXIT_FAIL, "permission denied");
		goto out;
	}
	e = ctl_request_parse(msg, &op, &args, err, sizeof(err));
	if (e) {
		client_bad_request(c, err);
		goto out;
	}
	for (i = 0; i < S.nops; i++)
		if (!strcmp(S.ops[i].name, op))
			break;
	if (i == S.nops) {
		/* In ctl.c's table but not served here: a build mismatch. */
		client_refuse(c, CTL_EXIT_FAIL, "vpcemud: op not served");
		goto out;
	}
	/* On the heap: a deferred reply outlives this call, and the memory
	 * streams hold the addresses of its buffers. */
	r = malloc(sizeof(*r));
	if (!r || reply_open(r, c->serial)) {
		fdpass_close(c->fds, &c->nfds);
		if (r)
			json_decref(reply_close(r));
		free(r);
		client_queue(c, NULL);
		goto out;
	}
	r->progress = json_is_true(json_object_get(args, "progress"));
	if (with_fds)
		client_give_fds(c, r);
	S.ops[i].fn(&p, args, r);
	if (r->deferred) {
		c->waiting = true;
		c->pending = r;
		goto out;
	}
	rep = reply_close(r);
	free(r);
	client_queue(c, rep);
out:
	peer_free(&p);
}

/* Handles every whole frame received, one at a time: the next is read
 * only after the previous reply went out. */
static void client_process(struct client *c)
{
	bool with_fds;
	char err[256];
	json_t *msg;
	size_t used;
	int e;

	while (!c->closing && !c->waiting && c->outoff == c->outlen) {
		e = ctl_frame_decode(c->in, c->inlen, &used, &msg, err,
				     sizeof(err));
		if (e < 0) {
			client_bad_request(c, err);
			break;
		}
		if (e == 0) {
			if (c->eof && c->inlen) {
				snprintf(err, sizeof(err), "truncated: the "
					 "connection closed after %zu bytes",
					 c->inlen);
				client_bad_request(c, err);
			} else if (c->eof) {
				c->closing = true;
			}
			break;
		}
		with_fds = c->nfds && c->fds_at <= used;
		if (c->nfds && !with_fds)
			c->fds_at -= used;
		memmove(c->in, c->in + used, c->inlen - used);
		c->inlen -= used;
		client_request(c, msg, with_fds);
		json_decref(msg);
	}
}

/* Sends what is queued. Returns 0, or -errno when the client is gone. */
static int client_flush(struct client *c)
{
	ssize_t k;

	while (c->outoff < c->outlen) {
		k = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		c->outoff += (size_t)k;
	}
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	return 0;
}

/* Reads one chunk. Returns 0, or -errno when the client is gone. */
static int client_read(struct client *c)
{
	size_t max = CTL_HDR_LEN + CTL_MSG_MAX;
	size_t had = c->nfds;
	ssize_t k;

	if (c->inlen == c->incap) {
		size_t cap = c->incap + READ_CHUNK;
		char *n;

		/* A whole frame always fits in max bytes and is handled
		 * before more is read, so the buffer never grows past. */
		if (cap > max)
			cap = max;
		if (cap == c->incap)
			return -ENOBUFS;
		n = realloc(c->in, cap);
		if (!n)
			return -ENOMEM;
		c->in = n;
		c->incap = cap;
	}
	k = fdpass_recv(c->fd, c->in + c->inlen, c->incap - c->inlen, c->fds,
			&c->nfds);
	if (k < 0)
		return k == -EAGAIN || k == -EINTR ? 0 : (int)k;
	if (k == 0)
		c->eof = true;
	c->inlen += (size_t)k;
	if (c->nfds > had)
		c->fds_at = c->inlen;
	return 0;
}

static void client_io(struct evloop *el, int fd, unsigned events, void *data)
{
	struct client *c = data;
	int e = 0;

	c->last = evloop_now_ms();
	/* Waiting, we ask for no event: a hang-up is all epoll reports,
	 * and it would repeat until the connection is closed. */
	if (c->waiting && events & EVLOOP_ERROR) {
		client_close(c);
		return;
	}
	if (events & EVLOOP_WRITE)
		e = client_flush(c);
	if (!e && events & (EVLOOP_READ | EVLOOP_ERROR) && !c->closing &&
	    !c->waiting && c->outoff == c->outlen)
		e = client_read(c);
	/* Requests sent back to back: once a reply is out, the next frame
	 * may already be buffered, with no new byte coming to wake us. */
	while (!e) {
		size_t before = c->inlen;

		client_process(c);
		e = client_flush(c);
		/* The reply is out: now the kernel's wait (netns.h). */
		nsh_close_deferred();
		if (c->closing || c->waiting || c->outoff < c->outlen ||
		    c->inlen == before)
			break;
	}
	if (e || (c->closing && c->outoff == c->outlen)) {
		client_close(c);
		return;
	}
	/* Pending output: wait to write, and read nothing more until it is
	 * out (one request at a time per client). A client that shut its
	 * side down has nothing more to say either. */
	evloop_mod_fd(el, fd, c->outoff < c->outlen ? EVLOOP_WRITE
			      : c->eof || c->waiting ? 0 : EVLOOP_READ);
}

void ctlsrv_reply_progress(struct reply *r, const char *stage, size_t done,
			   size_t total)
{
	double now = now_s();
	struct client *c;
	json_t *msg;
	char *buf;
	size_t len;

	if (!r->progress)
		return;
	/* A message a tenth of a second, and each stage's first and last:
	 * a person reads no faster, and a 10,000-instance up makes
	 * hundreds of thousands of calls. */
	if (now - r->progress_at < 0.1 && done && done < total &&
	    !strcmp(stage, r->progress_stage))
		return;
	for (c = S.clients; c && c->serial != r->client; c = c->next)
		;
	if (!c)
		return;
	/* A client that does not keep up (or is gone) misses some: the
	 * handler runs on and the reply comes after what is queued. */
	if (c->outoff < c->outlen &&
	    (client_flush(c) < 0 || c->outoff < c->outlen))
		return;
	r->progress_at = now;
	snprintf(r->progress_stage, sizeof(r->progress_stage), "%s", stage);
	msg = ctl_progress_new(stage, done, total);
	if (msg && !ctl_frame_encode(msg, &buf, &len)) {
		client_append(c, buf, len);
		client_flush(c);
	}
	json_decref(msg);
}

void ctlsrv_reply_complete(struct reply *r)
{
	json_t *rep;
	struct client *c;

	if (r->complete) {
		r->complete(r, r->complete_data);
		return;
	}
	rep = reply_close(r);
	for (c = S.clients; c && c->serial != r->client; c = c->next)
		;
	free(r);
	if (!c) {
		json_decref(rep);
		return;
	}
	c->waiting = false;
	c->pending = NULL;
	client_queue(c, rep);
	client_io(S.el, c->fd, EVLOOP_WRITE, c);
}

static void on_accept(struct evloop *el, int fd, unsigned events, void *data)
{
	struct ucred cred = { 0 };
	socklen_t len = sizeof(cred);
	struct client *c;
	int cfd;

	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			dlog(LOG_ERR, NULL, "accept: %s", strerror(errno));
		return;
	}
	getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
	if (S.nclients >= MAX_CLIENTS) {
		dlog(LOG_WARNING, NULL, "%d clients already: dropping pid "
		     "%d uid %u", MAX_CLIENTS, (int)cred.pid,
		     (unsigned)cred.uid);
		close(cfd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || evloop_add_fd(el, cfd, EVLOOP_READ, client_io, c)) {
		dlog(LOG_ERR, NULL, "no memory for a client");
		free(c);
		close(cfd);
		return;
	}
	c->fd = cfd;
	c->pid = cred.pid;
	c->uid = cred.uid;
	c->serial = ++S.serial;
	c->last = evloop_now_ms();
	c->next = S.clients;
	S.clients = c;
	S.nclients++;
}

/* Closes connections that sent no whole request for CLIENT_IDLE_MS, so
 * that idle clients cannot hold every slot. */
static void on_sweep(struct evloop *el, uint64_t id, void *data)
{
	uint64_t now = evloop_now_ms();
	struct client *c, *next;

	for (c = S.clients; c; c = next) {
		next = c->next;
		/* A request that runs as long as its client waits (exec)
		 * is not idleness. */
		if (c->waiting && c->pending && c->pending->cancel)
			continue;
		if (now - c->last > CLIENT_IDLE_MS) {
			dlog(LOG_NOTICE, NULL, "closing idle client pid %d",
			     (int)c->pid);
			client_close(c);
		}
	}
}

int ctlsrv_start(struct evloop *el, int lfd, const struct ctlsrv_op *ops,
		 size_t nops, const gid_t *group)
{
	int r;

	S.el = el;
	S.ops = ops;
	S.nops = nops;
	S.group_set = group != NULL;
	if (group)
		S.group = *group;
	r = evloop_add_fd(el, lfd, EVLOOP_READ, on_accept, NULL);
	if (!r && !evloop_add_timer(el, SWEEP_MS, SWEEP_MS, on_sweep, NULL))
		r = -errno;
	return r;
}

void ctlsrv_stop(void)
{
	while (S.clients)
		client_close(S.clients);
}
