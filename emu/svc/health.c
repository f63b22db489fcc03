/* health.c - Network Load Balancer health checks (see health.h).
 *
 * Per lab: the nodes (one per load balancer ENI, each with a handle on its
 * namespace for sockets and nftables), the targets (one per group,
 * instance and port, also those draining) and the probes, one per node and
 * target. A probe is a periodic timer at the group's interval; each tick
 * opens a non-blocking socket inside the node's namespace and follows it
 * on the event loop to a result, or to the timeout. Results go through
 * health_count_feed; a change of state renders the node's ruleset again.
 *
 * Owns its sockets, timers and handles; borrows the model from svc.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "vpcemu/evloop.h"
#include "vpcemu/health.h"
#include "vpcemu/netns.h"
#include "vpcemu/nft.h"
#include "vpcemu/nftlb.h"
#include "vpcemu/util.h"

/* HealthCheckTimeoutSeconds: what describe shows for the lab's groups
 * (res/target_group.c), cut to the interval so that a node has one probe
 * of a target in flight at most. */
#define TIMEOUT_MS 10000
/* An HTTP status line fits: "HTTP/1.1 200 OK\r\n". */
#define STATUS_MAX 64

/* ---- the state machine (pure) ------------------------------------------ */

static const struct {
	const char *name, *reason, *description;
} states[] = {
	[HEALTH_INITIAL] = { "initial", "Elb.InitialHealthChecking",
			     "Initial health checks in progress" },
	[HEALTH_HEALTHY] = { "healthy", NULL, NULL },
	[HEALTH_UNHEALTHY] = { "unhealthy", "Target.FailedHealthChecks",
			       "Health checks failed" },
	[HEALTH_UNUSED] = { "unused", "Target.NotInUse",
			    "Target group is not configured to receive traffic from the load balancer" },
	[HEALTH_DRAINING] = { "draining", "Target.DeregistrationInProgress",
			      "Target deregistration is in progress" },
};

const char *health_state_name(enum health_state s)
{
	return states[s].name;
}

const char *health_reason(enum health_state s)
{
	return states[s].reason;
}

const char *health_description(enum health_state s)
{
	return states[s].description;
}

bool health_count_feed(struct health_count *c, bool ok,
		       unsigned healthy_threshold,
		       unsigned unhealthy_threshold)
{
	enum health_state was = c->state;

	if (ok) {
		c->fail = 0;
		c->ok++;
		if (c->state != HEALTH_HEALTHY && c->ok >= healthy_threshold)
			c->state = HEALTH_HEALTHY;
	} else {
		c->ok = 0;
		c->fail++;
		if (c->state != HEALTH_UNHEALTHY &&
		    c->fail >= unhealthy_threshold)
			c->state = HEALTH_UNHEALTHY;
	}
	return c->state != was;
}

bool health_tg_in_use(const struct lab *lab, const struct target_group *tg)
{
	const struct res_list *ls = &lab->res[RES_LISTENER];
	size_t i;

	for (i = 0; i < ls->n; i++)
		if (((const struct listener *)ls->v[i])->tg == tg)
			return true;
	return false;
}

/* ---- what is kept per lab ---------------------------------------------- */

struct hlab;

/* A load balancer node: its ENI's namespace. */
struct hnode {
	struct hnode *next;
	struct hlab *hl;
	char eni_id[MODEL_ID_MAX];
	const struct eni *eni;	/* in hl->lab */
	char *netns;
	struct nsh *ns;		/* opened on first use */
	char *last;		/* the ruleset the kernel holds, NULL: unknown */
	bool wanted;
};

/* A target of a group: registered, or draining until drain_until. */
struct htarget {
	struct htarget *next;
	char tg_id[MODEL_ID_MAX];
	char instance_id[MODEL_ID_MAX];
	uint16_t port;
	uint64_t drain_until;	/* 0: registered */
	bool wanted;
};

/* One node's checks of one target. */
struct probe {
	struct probe *next;
	struct hnode *node;
	struct htarget *t;
	struct health_count c;
	/* From the model, refreshed at each set. */
	uint32_t ip;
	uint16_t host_port;	/* the listener's: HTTP's Host header */
	unsigned interval, healthy, unhealthy;
	char *path;		/* HTTP path, NULL: TCP */
	uint64_t timer, timeout;
	int fd;			/* in flight: >= 0 */
	bool sent;		/* HTTP: the request went */
	char status[STATUS_MAX];
	size_t nstatus;
	bool wanted;
};

struct hlab {
	struct hlab *next;
	struct health *h;
	char *name;
	/* svc.c frees the last model just before it sets the next one:
	 * read it only between a set and the next. */
	const struct lab *lab;
	struct hnode *nodes;
	struct htarget *targets;
	struct probe *probes;
};

struct health {
	struct evloop *el;
	struct hlab *labs;
	health_log_fn log;
};

static void hlog(struct hlab *hl, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void hlog(struct hlab *hl, int prio, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!hl->h->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hl->h->log(prio, hl->name, msg);
}

static uint16_t traffic_port(const struct target_group *tg,
			     const struct lb_target *t)
{
	return t->port ? t->port : tg->port;
}

static struct htarget *target_find(struct hlab *hl, const char *tg_id,
				   const char *instance_id, uint16_t port)
{
	struct htarget *t;

	for (t = hl->targets; t; t = t->next)
		if (t->port == port && !strcmp(t->tg_id, tg_id) &&
		    !strcmp(t->instance_id, instance_id))
			return t;
	return NULL;
}

/* ---- node rulesets ----------------------------------------------------- */

static struct probe *probe_find(struct hlab *hl, const struct hnode *n,
				const struct htarget *t)
{
	struct probe *p;

	for (p = hl->probes; p; p = p->next)
		if (p->node == n && p->t == t)
			return p;
	return NULL;
}

/* nftlb's question: does the node send new flows to target i of tg? */
static bool node_up(void *data, const struct target_group *tg, size_t i)
{
	struct hnode *n = data;
	const struct lb_target *lt = &tg->targets[i];
	struct htarget *t = target_find(n->hl, tg->r.id, lt->instance->r.id,
					traffic_port(tg, lt));
	struct probe *p = t ? probe_find(n->hl, n, t) : NULL;

	return p && p->c.state == HEALTH_HEALTHY;
}

static int node_open(struct hnode *n)
{
	return n->ns ? 0 : netns_open(n->netns, &n->ns);
}

/* Applies the node's ruleset for the targets it finds healthy, unless the
 * kernel holds it already. */
static void node_render(struct hnode *n)
{
	struct hlab *hl = n->hl;
	char *text = nftlb_node(hl->lab, n->eni, node_up, n), *err = NULL;
	int r;

	if (!text || (n->last && !strcmp(n->last, text))) {
		free(text);
		return;
	}
	r = node_open(n);
	if (!r)
		r = nftk_apply(n->ns, text, &err);
	if (r < 0) {
		hlog(hl, LOG_ERR, "load balancer node %s: ruleset: %s%s%s",
		     n->netns, strerror(-r), err ? ": " : "", err ? err : "");
		free(err);
		free(text);
		free(n->last);
		n->last = NULL;
		return;
	}
	free(n->last);
	n->last = text;
}

/* ---- probes ------------------------------------------------------------ */

struct connect_req {
	uint32_t ip;
	uint16_t port;
	int fd;
};

/* Inside the node's namespace: a socket of that namespace, connecting. */
static int connect_here(void *data)
{
	struct connect_req *c = data;
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(c->port),
		.sin_addr.s_addr = htonl(c->ip),
	};
	int fd, r;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    errno != EINPROGRESS) {
		r = -errno;
		close(fd);
		return r;
	}
	c->fd = fd;
	return 0;
}

static void probe_stop(struct probe *p)
{
	struct evloop *el = p->node->hl->h->el;

	if (p->fd >= 0) {
		evloop_del_fd(el, p->fd);
		close(p->fd);
		p->fd = -1;
	}
	if (p->timeout) {
		evloop_del_timer(el, p->timeout);
		p->timeout = 0;
	}
}

/* The probe's result: its count moves, and a new state changes what the
 * node sends to the target. */
static void probe_done(struct probe *p, bool ok)
{
	struct hlab *hl = p->node->hl;
	char ip[IP_BUF];

	probe_stop(p);
	if (!health_count_feed(&p->c, ok, p->healthy, p->unhealthy))
		return;
	hlog(hl, p->c.state == HEALTH_HEALTHY ? LOG_INFO : LOG_WARNING,
	     "load balancer node %s: target %s %s:%u is %s", p->node->netns,
	     p->t->instance_id, ip_fmt(p->ip, ip), p->t->port,
	     health_state_name(p->c.state));
	node_render(p->node);
}

/* "HTTP/1.x NNN": a success is 200-399, NLB's matcher. */
static bool status_ok(const char *s, size_t n)
{
	int code;

	if (n < 12 || strncmp(s, "HTTP/1.", 7) || s[8] != ' ')
		return false;
	code = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	return code >= 200 && code <= 399;
}

static void http_send(struct probe *p)
{
	char req[512], ip[IP_BUF];
	int n;

	/* AWS's Host is the node's address and the listener port. */
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: %s:%u\r\n"
		     "User-Agent: ELB-HealthChecker/2.0\r\n"
		     "Connection: close\r\n\r\n",
		     p->path, ip_fmt(p->node->eni->ip, ip), p->host_port);
	/* A fresh socket's buffer takes a short request whole. */
	if (n < 0 || (size_t)n >= sizeof(req) ||
	    send(p->fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		probe_done(p, false);
		return;
	}
	p->sent = true;
	evloop_mod_fd(p->node->hl->h->el, p->fd, EVLOOP_READ);
}

static void on_probe_io(struct evloop *el, int fd, unsigned events,
			void *data)
{
	struct probe *p = data;
	socklen_t len = sizeof(int);
	int err = 0;
	ssize_t k;

	if (!p->sent) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ||
		    err) {
			probe_done(p, false);
			return;
		}
		if (!p->path)
			probe_done(p, true);
		else
			http_send(p);
		return;
	}
	k = recv(fd, p->status + p->nstatus, sizeof(p->status) - p->nstatus,
		 MSG_DONTWAIT);
	if (k < 0 && errno == EAGAIN)
		return;
	if (k > 0)
		p->nstatus += (size_t)k;
	/* The status line is all a matcher needs. */
	if (k <= 0 || p->nstatus >= 12)
		probe_done(p, status_ok(p->status, p->nstatus));
}

static void on_probe_timeout(struct evloop *el, uint64_t id, void *data)
{
	struct probe *p = data;

	p->timeout = 0;	/* one-shot: fired, forgotten by the loop */
	probe_done(p, false);
}

static void on_probe_tick(struct evloop *el, uint64_t id, void *data)
{
	struct probe *p = data;
	struct connect_req c = { .ip = p->ip, .port = p->t->port, .fd = -1 };
	uint64_t timeout = p->interval * 1000ULL;
	int r;

	if (p->fd >= 0)
		probe_done(p, false);
	r = node_open(p->node);
	if (!r)
		r = netns_run(p->node->ns, connect_here, &c);
	if (r) {
		/* A namespace that is not there (a half-built lab) is a
		 * failed check, as AWS's are when the node cannot connect. */
		probe_done(p, false);
		return;
	}
	p->fd = fd_move_high(c.fd);
	p->sent = false;
	p->nstatus = 0;
	if (evloop_add_fd(el, p->fd, EVLOOP_WRITE, on_probe_io, p)) {
		probe_done(p, false);
		return;
	}
	p->timeout = evloop_add_timer(el, timeout < TIMEOUT_MS ? timeout
							      : TIMEOUT_MS,
				      0, on_probe_timeout, p);
}

static void probe_free(struct probe *p)
{
	probe_stop(p);
	if (p->timer)
		evloop_del_timer(p->node->hl->h->el, p->timer);
	free(p->path);
	free(p);
}

/* ---- reconciling with a model ------------------------------------------ */

static struct hnode *node_want(struct hlab *hl, const struct eni *e)
{
	struct hnode *n;

	for (n = hl->nodes; n; n = n->next)
		if (!strcmp(n->eni_id, e->r.id) && !strcmp(n->netns, e->netns))
			break;
	if (!n) {
		n = calloc(1, sizeof(*n));
		if (!n || !(n->netns = strdup(e->netns))) {
			free(n);
			return NULL;
		}
		n->hl = hl;
		snprintf(n->eni_id, sizeof(n->eni_id), "%s", e->r.id);
		n->next = hl->nodes;
		hl->nodes = n;
	}
	n->eni = e;
	n->wanted = true;
	return n;
}

static struct htarget *target_want(struct hlab *hl,
				   const struct target_group *tg,
				   const struct lb_target *lt)
{
	uint16_t port = traffic_port(tg, lt);
	struct htarget *t = target_find(hl, tg->r.id, lt->instance->r.id,
					port);

	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return NULL;
		snprintf(t->tg_id, sizeof(t->tg_id), "%s", tg->r.id);
		snprintf(t->instance_id, sizeof(t->instance_id), "%s",
			 lt->instance->r.id);
		t->port = port;
		t->next = hl->targets;
		hl->targets = t;
	}
	/* Registered again while draining: checked from the start. */
	t->drain_until = 0;
	t->wanted = true;
	return t;
}

/* The probe of t from n, with the group's settings of today. */
static void probe_want(struct hlab *hl, struct hnode *n, struct htarget *t,
		       const struct listener *l, const struct lb_target *lt)
{
	const struct target_group *tg = l->tg;
	struct probe *p = probe_find(hl, n, t);
	char *path = NULL;

	if (tg->health_check == HEALTH_CHECK_HTTP &&
	    !(path = strdup(tg->health_check_path)))
		return;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p) {
			free(path);
			return;
		}
		p->node = n;
		p->t = t;
		p->fd = -1;
		p->next = hl->probes;
		hl->probes = p;
	}
	free(p->path);
	p->path = path;
	p->ip = lt->instance->private_ip;
	p->host_port = l->port;
	p->healthy = tg->healthy_threshold;
	p->unhealthy = tg->unhealthy_threshold;
	p->wanted = true;
	if (p->timer && p->interval == tg->interval)
		return;
	if (p->timer)
		evloop_del_timer(hl->h->el, p->timer);
	p->interval = tg->interval;
	/* The first check at once: a new target waits for its thresholds,
	 * not for an interval more. */
	p->timer = evloop_add_timer(hl->h->el, 1, p->interval * 1000ULL,
				    on_probe_tick, p);
}

/* Marks (and adds) the nodes, targets and probes lab has. */
static void want_all(struct hlab *hl, const struct lab *lab)
{
	const struct res_list *lbs = &lab->res[RES_LOAD_BALANCER];
	const struct res_list *ls = &lab->res[RES_LISTENER];
	size_t i, j, k, m;

	for (i = 0; i < lbs->n; i++) {
		const struct load_balancer *lb =
			(const struct load_balancer *)lbs->v[i];

		for (j = 0; j < lb->nenis; j++) {
			struct hnode *n = node_want(hl, lb->enis[j]);

			for (k = 0; n && k < ls->n; k++) {
				const struct listener *l =
					(const struct listener *)ls->v[k];

				if (l->lb != lb || !l->tg)
					continue;
				for (m = 0; m < l->tg->ntargets; m++) {
					const struct lb_target *lt =
						&l->tg->targets[m];
					struct htarget *t =
						target_want(hl, l->tg, lt);

					if (t)
						probe_want(hl, n, t, l, lt);
				}
			}
		}
	}
}

static bool draining(const struct htarget *t, uint64_t now)
{
	return t->drain_until && now < t->drain_until;
}

/* A target that left a group that is still there drains; one already
 * draining stays until its delay is over. */
static bool target_drains(struct htarget *t, const struct lab *lab,
			  uint64_t now)
{
	if (!model_find(lab, RES_TARGET_GROUP, t->tg_id))
		return false;
	if (!t->drain_until)
		t->drain_until = now + HEALTH_DEREGISTRATION_DELAY_S * 1000ULL;
	return draining(t, now);
}

static void node_free(struct hnode *n)
{
	nsh_close(n->ns);
	free(n->last);
	free(n->netns);
	free(n);
}

/* Frees what is not marked wanted; with lab, targets that left their group
 * stay as draining. */
static void sweep(struct hlab *hl, const struct lab *lab)
{
	uint64_t now = evloop_now_ms();
	struct probe **pp, *p;
	struct htarget **tp, *t;
	struct hnode **np, *n;

	for (pp = &hl->probes; (p = *pp);) {
		if (p->wanted && p->node->wanted && p->t->wanted) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		probe_free(p);
	}
	for (tp = &hl->targets; (t = *tp);) {
		if (t->wanted || (lab && target_drains(t, lab, now))) {
			tp = &t->next;
			continue;
		}
		*tp = t->next;
		free(t);
	}
	for (np = &hl->nodes; (n = *np);) {
		if (n->wanted) {
			np = &n->next;
			continue;
		}
		*np = n->next;
		node_free(n);
	}
}

static void unmark(struct hlab *hl)
{
	struct probe *p;
	struct htarget *t;
	struct hnode *n;

	for (p = hl->probes; p; p = p->next)
		p->wanted = false;
	for (t = hl->targets; t; t = t->next)
		t->wanted = false;
	for (n = hl->nodes; n; n = n->next)
		n->wanted = false;
}

/* Whether next still has node n (the same ENI in the same namespace). */
static bool node_in(const struct lab *next, const struct hnode *n)
{
	const struct res_list *lbs = &next->res[RES_LOAD_BALANCER];
	size_t i, j;

	for (i = 0; i < lbs->n; i++) {
		const struct load_balancer *lb =
			(const struct load_balancer *)lbs->v[i];

		for (j = 0; j < lb->nenis; j++)
			if (!strcmp(lb->enis[j]->r.id, n->eni_id) &&
			    !strcmp(lb->enis[j]->netns, n->netns))
				return true;
	}
	return false;
}

static struct hlab *lab_find(const struct health *h, const char *name)
{
	struct hlab *hl;

	for (hl = h->labs; hl; hl = hl->next)
		if (!strcmp(hl->name, name))
			return hl;
	return NULL;
}

/* What the kernel holds after an apply: the ruleset plan.c wrote, with
 * every target, or ours when the apply left the node alone. Only when
 * ours is the plan's are both the same. */
static void node_after_apply(struct hnode *n, const struct lab *lab)
{
	char *plan = nftlb_node(lab, n->eni, NULL, NULL);

	if (!plan || !n->last || strcmp(plan, n->last)) {
		free(n->last);
		n->last = NULL;
	}
	free(plan);
}

void health_lab_set(struct health *h, const struct lab *lab)
{
	struct hlab *hl = lab_find(h, lab->name);
	struct hnode *n;

	if (!hl) {
		hl = calloc(1, sizeof(*hl));
		if (!hl || !(hl->name = strdup(lab->name))) {
			free(hl);
			return;
		}
		hl->h = h;
		hl->next = h->labs;
		h->labs = hl;
	}
	hl->lab = lab;
	unmark(hl);
	want_all(hl, lab);
	sweep(hl, lab);
	for (n = hl->nodes; n; n = n->next) {
		node_after_apply(n, lab);
		node_render(n);
	}
}

void health_lab_prune(struct health *h, const struct lab *next)
{
	struct hlab *hl = lab_find(h, next->name);
	struct htarget *t;
	struct hnode *n;

	if (!hl)
		return;
	for (n = hl->nodes; n; n = n->next)
		n->wanted = node_in(next, n);
	/* Targets stay, draining or not: the set after the apply decides. */
	for (t = hl->targets; t; t = t->next)
		t->wanted = true;
	sweep(hl, NULL);
}

void health_lab_drop(struct health *h, const char *name)
{
	struct hlab **pp, *hl;

	for (pp = &h->labs; (hl = *pp); pp = &hl->next)
		if (!strcmp(hl->name, name))
			break;
	if (!hl)
		return;
	*pp = hl->next;
	unmark(hl);
	sweep(hl, NULL);
	free(hl->name);
	free(hl);
}

/* ---- reports ----------------------------------------------------------- */

/* What the nodes make of t: unhealthy when one finds it so, healthy when
 * all do, else initial. */
static enum health_state target_state(struct hlab *hl, struct htarget *t)
{
	enum health_state s = HEALTH_HEALTHY;
	struct probe *p;
	bool any = false;

	if (t->drain_until)
		return HEALTH_DRAINING;
	for (p = hl->probes; p; p = p->next) {
		if (p->t != t)
			continue;
		any = true;
		if (p->c.state == HEALTH_UNHEALTHY)
			return HEALTH_UNHEALTHY;
		if (p->c.state == HEALTH_INITIAL)
			s = HEALTH_INITIAL;
	}
	return any ? s : HEALTH_INITIAL;
}

static void report(struct health_target *o, const char *instance_id,
		   uint16_t port, enum health_state s)
{
	snprintf(o->instance_id, sizeof(o->instance_id), "%s", instance_id);
	o->port = port;
	o->state = s;
}

int health_lab_targets(const struct health *h, const struct lab *lab,
		       const struct target_group *tg,
		       struct health_target **ret)
{
	struct hlab *hl = lab_find(h, lab->name);
	bool used = health_tg_in_use(lab, tg);
	uint64_t now = evloop_now_ms();
	struct health_target *v;
	struct htarget *t;
	size_t n = tg->ntargets, i;

	*ret = NULL;
	for (t = hl ? hl->targets : NULL; t; t = t->next)
		n += draining(t, now) && !strcmp(t->tg_id, tg->r.id);
	if (!n)
		return 0;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < tg->ntargets; i++) {
		const struct lb_target *lt = &tg->targets[i];
		uint16_t port = traffic_port(tg, lt);

		t = hl ? target_find(hl, tg->r.id, lt->instance->r.id, port)
		       : NULL;
		report(&v[i], lt->instance->r.id, port,
		       !used ? HEALTH_UNUSED
		       : t   ? target_state(hl, t)
			     : HEALTH_INITIAL);
	}
	for (t = hl ? hl->targets : NULL; t; t = t->next)
		if (draining(t, now) && !strcmp(t->tg_id, tg->r.id))
			report(&v[i++], t->instance_id, t->port,
			       HEALTH_DRAINING);
	*ret = v;
	return (int)n;
}

/* ---- life -------------------------------------------------------------- */

struct health *health_new(struct evloop *el)
{
	struct health *h = calloc(1, sizeof(*h));

	if (h)
		h->el = el;
	return h;
}

void health_set_log(struct health *h, health_log_fn fn)
{
	h->log = fn;
}

void health_free(struct health *h)
{
	if (!h)
		return;
	while (h->labs)
		health_lab_drop(h, h->labs->name);
	free(h);
}
