/* svc.c - the services of running labs (see svc.h): listeners opened in
 * lab namespaces, reconciled with each model the daemon applies; the DNS
 * transports (UDP, and TCP with its two-byte length framing) around
 * dns_answer; the endpoint ports; user data bookkeeping.
 *
 * Everything runs on the daemon's one event loop: handlers never block.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "vpcemu/dns.h"
#include "vpcemu/dynamodb.h"
#include "vpcemu/evloop.h"
#include "vpcemu/flowlog.h"
#include "vpcemu/health.h"
#include "vpcemu/httpd.h"
#include "vpcemu/imds.h"
#include "vpcemu/model.h"
#include "vpcemu/netns.h"
#include "vpcemu/nsexec.h"
#include "vpcemu/plan.h"
#include "vpcemu/s3.h"
#include "vpcemu/state.h"
#include "vpcemu/svc.h"
#include "vpcemu/userdata.h"
#include "vpcemu/util.h"
#include "vpcemu/vpn.h"

#define DNS_UDP_MAX 4096	/* a query that does not fit is malformed */
#define DNS_TCP_MAX (2 + 65535)
#define DNS_TCP_CONNS 64	/* per lab: more are refused at once */
#define DNS_TCP_IDLE_MS 10000
#define SWEEP_MS 5000
#define UDP_BATCH 64		/* datagrams per wake-up: others wait */

enum lsn_kind {
	LSN_DNS_UDP,
	LSN_DNS_TCP,
	LSN_IMDS,
	LSN_VPCE,
	LSN_S3,
	LSN_DDB,
};

static const char *const kind_name[] = { "dns/udp", "dns/tcp", "imds",
					  "endpoint", "s3", "dynamodb" };

struct svc_lab;

/* One listening socket in one namespace. */
struct lsn {
	struct lsn *next;
	struct svc_lab *sl;
	enum lsn_kind kind;
	char *netns;
	uint32_t ip;
	uint16_t port;
	char vpc_id[MODEL_ID_MAX];	/* whose router (DNS, IMDS) */
	int fd;
	struct imds_server *imds;
	struct httpd *http;	/* S3, DynamoDB */
	bool wanted;		/* reconcile mark */
};

/* One DNS-over-TCP client (RFC 7766): queries in turn, each answered
 * before the next is read. */
struct dns_conn {
	struct dns_conn *next;
	struct svc_lab *sl;
	struct lsn *l;
	int fd;
	uint8_t *in;		/* DNS_TCP_MAX bytes */
	size_t inlen;
	uint8_t *out;		/* a framed reply being sent */
	size_t outlen, outoff;
	uint64_t last;
};

struct ud_run {
	struct ud_run *next;
	struct svc_lab *sl;
	char *name;		/* the instance or internet host */
	struct userdata_run *run;
};

struct svc_lab {
	struct svc_lab *next;
	struct svc *svc;
	struct lab *lab;
	struct lsn *lsns;
	struct dns_conn *conns;
	size_t nconns;
	struct ud_run *runs;
	/* The regional services' data: the lab's, whichever listener (a
	 * gateway endpoint's, the internet's) a request came by. Created
	 * with the lab's first listener, kept until the lab goes. */
	struct s3_store *s3;
	struct ddb_store *ddb;
};

struct svc {
	struct evloop *el;
	struct svc_lab *labs;
	struct health *health;
	struct flowlog *flowlog;
	struct vpn *vpn;
	uint64_t sweep;
	svc_log_fn log;
};

static void slog(struct svc *s, int prio, const char *lab, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));

static void slog(struct svc *s, int prio, const char *lab, const char *fmt,
		 ...)
{
	char msg[512];
	va_list ap;

	if (!s->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->log(prio, lab, msg);
}

static const struct vpc *find_vpc(const struct lab *lab, const char *id)
{
	size_t i;

	for (i = 0; i < lab->nvpcs; i++)
		if (!strcmp(lab->vpcs[i]->r.id, id))
			return lab->vpcs[i];
	return NULL;
}

/* ---- sockets in namespaces --------------------------------------------- */

struct open_req {
	int type;
	uint32_t ip;
	uint16_t port;
	int fd;
};

static int open_here(void *data)
{
	struct open_req *o = data;
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(o->port),
		.sin_addr.s_addr = htonl(o->ip),
	};
	int one = 1, fd, r;

	fd = socket(AF_INET, o->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A half-built lab may lack the address for now: the socket is
	 * ready when the next up adds it. */
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (o->type == SOCK_STREAM && listen(fd, 64) < 0)) {
		r = -errno;
		close(fd);
		return r;
	}
	o->fd = fd;
	return 0;
}

/* A bound (and, for TCP, listening) socket inside namespace netns. */
static int open_in(const char *netns, int type, uint32_t ip, uint16_t port)
{
	struct open_req o = { .type = type, .ip = ip, .port = port, .fd = -1 };
	struct nsh *ns;
	int r;

	r = netns_open(netns, &ns);
	if (r)
		return r;
	r = netns_run(ns, open_here, &o);
	nsh_close(ns);
	return r ? r : fd_move_high(o.fd);
}

/* ---- DNS transports ---------------------------------------------------- */

static void on_dns_udp(struct evloop *el, int fd, unsigned events,
		       void *data)
{
	struct lsn *l = data;
	uint8_t q[DNS_UDP_MAX], out[DNS_UDP_MAX];
	struct sockaddr_in from;
	socklen_t flen;
	const struct vpc *vpc;
	ssize_t n;
	size_t k;
	int i;

	for (i = 0; i < UDP_BATCH; i++) {
		flen = sizeof(from);
		n = recvfrom(fd, q, sizeof(q), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		/* No VPC: the internet's resolver. */
		vpc = find_vpc(l->sl->lab, l->vpc_id);
		if (l->vpc_id[0] && (!vpc || !vpc->dns_support))
			continue;
		k = dns_answer(l->sl->lab, vpc, q, (size_t)n, false, out,
			       sizeof(out));
		if (k)
			sendto(fd, out, k, MSG_DONTWAIT,
			       (struct sockaddr *)&from, flen);
	}
}

static void conn_close(struct dns_conn *c)
{
	struct dns_conn **pp;

	for (pp = &c->sl->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	c->sl->nconns--;
	evloop_del_fd(c->sl->svc->el, c->fd);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Answers the whole query at the head of c->in, if there is one. */
static void conn_answer(struct dns_conn *c)
{
	const struct vpc *vpc = find_vpc(c->sl->lab, c->l->vpc_id);
	size_t qlen, k;

	if (c->inlen < 2)
		return;
	qlen = (size_t)c->in[0] << 8 | c->in[1];
	if (c->inlen < 2 + qlen)
		return;
	c->out = malloc(DNS_TCP_MAX);
	k = c->out && (vpc || !c->l->vpc_id[0])
		    ? dns_answer(c->sl->lab, vpc, c->in + 2, qlen, true,
				 c->out + 2, DNS_TCP_MAX - 2)
		    : 0;
	memmove(c->in, c->in + 2 + qlen, c->inlen - 2 - qlen);
	c->inlen -= 2 + qlen;
	if (!k) {
		free(c->out);
		c->out = NULL;
		return;
	}
	c->out[0] = (uint8_t)(k >> 8);
	c->out[1] = (uint8_t)k;
	c->outlen = k + 2;
	c->outoff = 0;
}

static void on_dns_conn(struct evloop *el, int fd, unsigned events,
			void *data)
{
	struct dns_conn *c = data;
	ssize_t n;

	c->last = evloop_now_ms();
	for (;;) {
		if (c->out) {
			n = send(fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno == EAGAIN) {
				evloop_mod_fd(el, fd, EVLOOP_WRITE);
				return;
			}
			if (n <= 0) {
				conn_close(c);
				return;
			}
			c->outoff += (size_t)n;
			if (c->outoff < c->outlen)
				continue;
			free(c->out);
			c->out = NULL;
			evloop_mod_fd(el, fd, EVLOOP_READ);
		}
		conn_answer(c);
		if (c->out)
			continue;
		n = recv(fd, c->in + c->inlen, DNS_TCP_MAX - c->inlen,
			 MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->inlen += (size_t)n;
	}
}

static void on_dns_accept(struct evloop *el, int fd, unsigned events,
			  void *data)
{
	struct lsn *l = data;
	struct dns_conn *c;
	int cfd;

	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	cfd = fd_move_high(cfd);
	if (l->sl->nconns >= DNS_TCP_CONNS) {
		close(cfd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->in = malloc(DNS_TCP_MAX);
	if (!c || !c->in || evloop_add_fd(el, cfd, EVLOOP_READ, on_dns_conn,
					  c)) {
		if (c)
			free(c->in);
		free(c);
		close(cfd);
		return;
	}
	c->sl = l->sl;
	c->l = l;
	c->fd = cfd;
	c->last = evloop_now_ms();
	c->next = l->sl->conns;
	l->sl->conns = c;
	l->sl->nconns++;
}

/* ---- endpoints and IMDS ------------------------------------------------ */

/* The service behind an interface endpoint is out of the lab: a
 * connection is accepted (the client's connect succeeds, which is what
 * reachability means) and closed. */
static void on_vpce_accept(struct evloop *el, int fd, unsigned events,
			   void *data)
{
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	if (cfd >= 0)
		close(cfd);
}

static const struct instance *imds_lookup(void *data, uint32_t src,
					  const struct lab **ret_lab)
{
	struct lsn *l = data;
	const struct lab *lab = l->sl->lab;
	size_t i;

	for (i = 0; i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];

		if (e->instance && e->ip == src &&
		    !strcmp(e->subnet->vpc->r.id, l->vpc_id)) {
			*ret_lab = lab;
			return e->instance;
		}
	}
	return NULL;
}

/* The regional services (gateway endpoints, R-10.7). Bodies are held per
 * connection until the request is whole: fewer connections than IMDS. */
static void on_s3(void *data, const struct httpd_request *rq,
		  struct httpd_reply *rp)
{
	s3_handle(((struct lsn *)data)->sl->s3, rq, rp);
}

static void on_ddb(void *data, const struct httpd_request *rq,
		   struct httpd_reply *rp)
{
	ddb_handle(((struct lsn *)data)->sl->ddb, rq, rp);
}

static struct httpd *service_start(struct lsn *l)
{
	struct httpd_limits lim = { .conns = 32, .conns_per_ip = 8,
				    .idle_timeout = 30,
				    .conn_memory = 64 * 1024 };
	struct svc_lab *sl = l->sl;

	/* Like httpd_start, takes the socket whatever the outcome. */
	if ((l->kind == LSN_S3 && !sl->s3 && !(sl->s3 = s3_store_new())) ||
	    (l->kind == LSN_DDB && !sl->ddb && !(sl->ddb = ddb_store_new()))) {
		close(l->fd);
		errno = ENOMEM;
		return NULL;
	}
	lim.body_max = l->kind == LSN_S3 ? S3_BODY_MAX : DDB_BODY_MAX;
	return httpd_start(sl->svc->el, l->fd, &lim,
			   l->kind == LSN_S3 ? on_s3 : on_ddb, l);
}

/* ---- listeners --------------------------------------------------------- */

static void lsn_close(struct lsn *l)
{
	struct dns_conn *c, *next;

	for (c = l->sl->conns; c; c = next) {
		next = c->next;
		if (c->l == l)
			conn_close(c);
	}
	if (l->imds) {
		imds_server_stop(l->imds);	/* closes l->fd */
	} else if (l->http) {
		httpd_stop(l->http);	/* closes l->fd */
	} else if (l->fd >= 0) {
		evloop_del_fd(l->sl->svc->el, l->fd);
		close(l->fd);
	}
	free(l->netns);
	free(l);
}

static int lsn_open(struct lsn *l)
{
	static const int types[] = { SOCK_DGRAM,  SOCK_STREAM, SOCK_STREAM,
				     SOCK_STREAM, SOCK_STREAM, SOCK_STREAM };
	static const evloop_fd_fn fns[] = { on_dns_udp, on_dns_accept, NULL,
					    on_vpce_accept };
	struct evloop *el = l->sl->svc->el;
	int r;

	l->fd = open_in(l->netns, types[l->kind], l->ip, l->port);
	if (l->fd < 0)
		return l->fd;
	if (l->kind != LSN_IMDS && l->kind != LSN_S3 && l->kind != LSN_DDB) {
		r = evloop_add_fd(el, l->fd, EVLOOP_READ, fns[l->kind], l);
		if (r) {
			close(l->fd);
			l->fd = -1;
		}
		return r;
	}
	/* The HTTP servers own the socket from here, even when they fail
	 * to start. */
	if (l->kind == LSN_IMDS)
		l->imds = imds_server_start(el, l->fd, imds_lookup, l);
	else
		l->http = service_start(l);
	if (!l->imds && !l->http) {
		l->fd = -1;
		return errno ? -errno : -ENOMEM;
	}
	return 0;
}

/* The listener lab's model wants, found among sl's (marked wanted) or, when
 * open_new, opened and added. */
static void want(struct svc_lab *sl, const struct lab *lab,
		 enum lsn_kind kind, char *netns, uint32_t ip, uint16_t port,
		 const char *vpc_id, bool open_new)
{
	struct lsn *l;
	char ipbuf[16];
	int r;

	if (!netns)
		return;
	for (l = sl->lsns; l; l = l->next) {
		if (l->kind == kind && l->ip == ip && l->port == port &&
		    !strcmp(l->netns, netns)) {
			l->wanted = true;
			free(netns);
			return;
		}
	}
	if (!open_new) {
		free(netns);
		return;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		free(netns);
		return;
	}
	l->sl = sl;
	l->kind = kind;
	l->netns = netns;
	l->ip = ip;
	l->port = port;
	l->fd = -1;
	snprintf(l->vpc_id, sizeof(l->vpc_id), "%s", vpc_id ? vpc_id : "");
	r = lsn_open(l);
	if (r) {
		slog(sl->svc, LOG_ERR, lab->name, "%s %s:%u in %s: %s",
		     kind_name[kind], ip_fmt(ip, ipbuf), port, netns,
		     strerror(-r));
		free(l->netns);
		free(l);
		return;
	}
	l->wanted = true;
	l->next = sl->lsns;
	sl->lsns = l;
}

static enum lsn_kind service_kind(const struct gateway_service *gs)
{
	return strcmp(gs->name, "s3") ? LSN_DDB : LSN_S3;
}

/* Marks (and with open_new opens) every listener lab wants, then closes
 * the unmarked ones. */
static void reconcile(struct svc_lab *sl, const struct lab *lab,
		      bool open_new)
{
	struct lsn **pp, *l;
	size_t i;

	for (l = sl->lsns; l; l = l->next)
		l->wanted = false;
	for (i = 0; i < lab->nvpcs; i++) {
		const struct vpc *v = lab->vpcs[i];
		uint32_t ips[2] = { v->cidrs[0].addr + 2, PLAN_ADDR_DNS };
		size_t k;

		for (k = 0; v->dns_support && k < 2; k++) {
			want(sl, lab, LSN_DNS_UDP, plan_router_netns(lab, v),
			     ips[k], 53, v->r.id, open_new);
			want(sl, lab, LSN_DNS_TCP, plan_router_netns(lab, v),
			     ips[k], 53, v->r.id, open_new);
		}
		want(sl, lab, LSN_IMDS, plan_router_netns(lab, v),
		     PLAN_ADDR_IMDS, 80, v->r.id, open_new);
	}
	for (i = 0; i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];

		/* An endpoint to an endpoint service forwards to its load
		 * balancer instead (nftlb.h). */
		if (e->endpoint && !e->endpoint->svc)
			want(sl, lab, LSN_VPCE, strdup(e->netns), e->ip, 443,
			     NULL, open_new);
	}
	/* The regional services behind each gateway endpoint... */
	for (i = 0; i < lab->nendpoints; i++) {
		const struct endpoint *e = lab->endpoints[i];
		const struct gateway_service *gs =
			gateway_service(e->service_short);

		if (e->type == ENDPOINT_GATEWAY && gs)
			want(sl, lab, service_kind(gs), strdup(e->netns),
			     gs->ip, 80, NULL, open_new);
	}
	/* ...and on the internet, with its resolver, for its hosts (public
	 * names only). */
	if (plan_has_internet(lab)) {
		const struct gateway_service *gs;

		want(sl, lab, LSN_DNS_UDP, plan_internet_netns(lab),
		     PLAN_ADDR_INTERNET, 53, NULL, open_new);
		want(sl, lab, LSN_DNS_TCP, plan_internet_netns(lab),
		     PLAN_ADDR_INTERNET, 53, NULL, open_new);
		for (gs = gateway_services; gs->name; gs++)
			want(sl, lab, service_kind(gs),
			     plan_internet_netns(lab), gs->ip, 80, NULL,
			     open_new);
	}
	for (pp = &sl->lsns; (l = *pp);) {
		if (l->wanted) {
			pp = &l->next;
			continue;
		}
		*pp = l->next;
		lsn_close(l);
	}
}

/* ---- user data --------------------------------------------------------- */

static void ud_free(struct ud_run *u, bool cancel)
{
	struct ud_run **pp;

	for (pp = &u->sl->runs; *pp; pp = &(*pp)->next) {
		if (*pp == u) {
			*pp = u->next;
			break;
		}
	}
	if (cancel)
		userdata_cancel(u->run);
	free(u->name);
	free(u);
}

/* Writes what the status file says: "running", or "exit N". */
static void ud_status(const char *lab, const char *instance, const char *fmt,
		      int n)
{
	char *path = state_userdata_path(lab, instance, "status");
	FILE *f = path ? fopen(path, "we") : NULL;

	if (f) {
		fprintf(f, fmt, n);
		fclose(f);
	}
	free(path);
}

static void ud_done(void *data, int status)
{
	struct ud_run *u = data;
	struct svc_lab *sl = u->sl;

	ud_status(sl->lab->name, u->name, "exit %d\n", status);
	slog(sl->svc, status ? LOG_WARNING : LOG_INFO, sl->lab->name,
	     "%s: user data %s %d", u->name,
	     status < 0 ? "could not start:" : "exited with status", status);
	ud_free(u, false);
}

/* Starts the user data of name (an instance or an internet host) in
 * netns, with hostname (NULL: the host's), unless it ran already: its
 * status file exists from the start on, so a daemon killed meanwhile does
 * not run it twice. It runs as the lab's owner (state.h), root when that
 * is root or the lab predates owners, never at all when the record is
 * unreadable: a member's script must not run as root by accident. */
static void ud_start_one(struct svc_lab *sl, const char *dir,
			 const char *name, const char *netns,
			 const char *hostname, const char *script)
{
	const char *lab = sl->lab->name;
	char *status = state_userdata_path(lab, name, "status");
	char *logp = state_userdata_path(lab, name, "log");
	struct nsexec_cred owner;
	struct ud_run *u;
	struct stat st;
	int e;

	if (!status || !logp || stat(status, &st) == 0 ||
	    (mkdir(dir, 0711) < 0 && errno != EEXIST))
		goto out;
	u = calloc(1, sizeof(*u));
	if (!u || !(u->name = strdup(name))) {
		free(u);
		goto out;
	}
	u->sl = sl;
	ud_status(lab, name, "running\n", 0);
	u->next = sl->runs;
	sl->runs = u;
	e = state_load_owner(lab, &owner);
	if (e == -ENOENT)
		owner.uid = 0;
	else if (e < 0) {
		ud_done(u, e);
		goto out;
	}
	u->run = userdata_start(sl->svc->el, netns, hostname,
				owner.uid ? &owner : NULL, script, logp,
				ud_done, u);
	if (!u->run)
		ud_done(u, errno ? -errno : -ENOMEM);
	else
		slog(sl->svc, LOG_INFO, lab, "%s: user data started as uid "
		     "%u, log %s", name, (unsigned)owner.uid, logp);
out:
	free(status);
	free(logp);
}

/* Starts the user data of every instance and internet host that has some
 * and never ran it. */
static void ud_start_new(struct svc_lab *sl)
{
	const struct lab *lab = sl->lab;
	const struct res_list *hosts = &lab->res[RES_INTERNET_HOST];
	struct ud_run *u, *next;
	char host[DNS_NAME_MAX];
	const char *script;
	char *dir;
	size_t i;

	/* Machines gone from the lab take their scripts with them. */
	for (u = sl->runs; u; u = next) {
		next = u->next;
		if (!model_find(lab, RES__COUNT, u->name))
			ud_free(u, true);
	}
	dir = state_userdata_path(lab->name, NULL, NULL);
	if (!dir)
		return;
	for (i = 0; i < lab->ninstances; i++) {
		const struct instance *in = lab->instances[i];

		script = instance_user_data(in);
		if (!script || !in->eni)
			continue;
		if (dns_private_hostname(lab, in->subnet->vpc->region,
					 in->private_ip, host, sizeof(host)) < 0)
			host[0] = '\0';
		ud_start_one(sl, dir, in->r.name, in->eni->netns,
			     host[0] ? host : NULL, script);
	}
	for (i = 0; i < hosts->n; i++) {
		const struct internet_host *h =
			(const struct internet_host *)hosts->v[i];

		/* Its name in the lab, as exec gives it (state.h). */
		script = user_data_script(&h->ud);
		if (script)
			ud_start_one(sl, dir, h->r.name, h->netns, h->r.name,
				     script);
	}
	free(dir);
}

/* ---- labs -------------------------------------------------------------- */

static struct svc_lab *find_lab(const struct svc *s, const char *name)
{
	struct svc_lab *sl;

	for (sl = s->labs; sl; sl = sl->next)
		if (!strcmp(sl->lab->name, name))
			return sl;
	return NULL;
}

static void on_sweep(struct evloop *el, uint64_t id, void *data)
{
	struct svc *s = data;
	uint64_t now = evloop_now_ms();
	struct dns_conn *c, *next;
	struct svc_lab *sl;

	for (sl = s->labs; sl; sl = sl->next)
		for (c = sl->conns; c; c = next) {
			next = c->next;
			if (now - c->last > DNS_TCP_IDLE_MS)
				conn_close(c);
		}
}

struct svc *svc_new(struct evloop *el)
{
	struct svc *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->el = el;
	s->health = health_new(el);
	s->flowlog = flowlog_new(el);
	s->vpn = vpn_new(el);
	s->sweep = s->health && s->flowlog && s->vpn
			   ? evloop_add_timer(el, SWEEP_MS, SWEEP_MS, on_sweep, s)
			   : 0;
	if (!s->sweep) {
		flowlog_free(s->flowlog);
		health_free(s->health);
		vpn_free(s->vpn);
		free(s);
		return NULL;
	}
	return s;
}

void svc_set_log(struct svc *s, svc_log_fn fn)
{
	s->log = fn;
	health_set_log(s->health, fn);
	flowlog_set_log(s->flowlog, fn);
	vpn_set_log(s->vpn, fn);
}

int svc_lab_set(struct svc *s, struct lab *lab)
{
	struct svc_lab *sl = find_lab(s, lab->name);

	if (!sl) {
		sl = calloc(1, sizeof(*sl));
		if (!sl) {
			lab_free(lab);
			return -ENOMEM;
		}
		sl->svc = s;
		sl->next = s->labs;
		s->labs = sl;
	}
	/* Flow logs write what they hold with the model it came from. */
	flowlog_lab_set(s->flowlog, lab);
	/* Handlers read sl->lab per packet: from here on, the new one. */
	lab_free(sl->lab);
	sl->lab = lab;
	health_lab_set(s->health, lab);
	vpn_lab_set(s->vpn, lab);
	reconcile(sl, lab, true);
	ud_start_new(sl);
	return 0;
}

void svc_lab_prune(struct svc *s, const struct lab *next)
{
	struct svc_lab *sl = find_lab(s, next->name);

	if (sl)
		reconcile(sl, next, false);
	health_lab_prune(s->health, next);
	flowlog_lab_prune(s->flowlog, next);
	vpn_lab_prune(s->vpn, next);
}

void svc_lab_drop(struct svc *s, const char *name)
{
	struct svc_lab **pp, *sl;

	for (pp = &s->labs; (sl = *pp); pp = &sl->next)
		if (!strcmp(sl->lab->name, name))
			break;
	if (!sl)
		return;
	*pp = sl->next;
	health_lab_drop(s->health, name);
	flowlog_lab_drop(s->flowlog, name);
	vpn_lab_drop(s->vpn, name);
	while (sl->runs)
		ud_free(sl->runs, true);
	while (sl->lsns) {
		struct lsn *l = sl->lsns;

		sl->lsns = l->next;
		lsn_close(l);
	}
	s3_store_free(sl->s3);
	ddb_store_free(sl->ddb);
	lab_free(sl->lab);
	free(sl);
}

const struct lab *svc_lab_model(const struct svc *s, const char *name)
{
	struct svc_lab *sl = find_lab(s, name);

	return sl ? sl->lab : NULL;
}

const struct health *svc_health(const struct svc *s)
{
	return s->health;
}

void svc_free(struct svc *s)
{
	if (!s)
		return;
	while (s->labs)
		svc_lab_drop(s, s->labs->lab->name);
	health_free(s->health);
	flowlog_free(s->flowlog);
	vpn_free(s->vpn);
	evloop_del_timer(s->el, s->sweep);
	free(s);
}
