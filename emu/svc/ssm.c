/* ssm.c - the SSM Agent reachability probe (see ssm.h)
 * checked with real packets from inside the instance's namespace.
 *
 * A probe owns three targets (ssm, ssmmessages, ec2messages), each a small
 * state machine on the event loop:
 *   DNS  a UDP socket connected to NAMESERVER:53 carries one A query (ldns),
 *        sent again after SSM_DNS_RETRY_MS; the first reply that carries
 *        the query's id and question decides; none by SSM_DNS_TIMEOUT_MS
 *        is "no answer".
 *   TCP  a non-blocking connect to ADDR:443; writable means the handshake
 *        ended (SO_ERROR says how); nothing by SSM_TCP_TIMEOUT_MS is a
 *        timeout, which is what a security group or NACL drop looks like.
 *   DONE its sockets closed, its outcome kept for the result.
 * When the last target is done the probe frees itself and calls done.
 *
 * The six sockets are made in one visit to the namespace (netns_run): a
 * socket stays in the namespace it was made in, so the thread leaves again
 * at once and the rest happens from the daemon's own namespace. Nothing
 * here blocks: the resolver that answers may be a service of this loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>	/* before ldns, which otherwise defines bool itself */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "vpcemu/evloop.h"
#include "vpcemu/model.h"
#include "vpcemu/netns.h"
#include "vpcemu/ssm.h"
#include "vpcemu/util.h"

/* resolv.conf is a few lines; more means a wrong file. */
#define RESOLV_MAX (64 * 1024)

static const char *const services[SSM_NTARGETS] = {
	"ssm", "ssmmessages", "ec2messages",
};

enum tstate {
	T_DNS,
	T_TCP,
	T_DONE,
};

struct target {
	struct ssm_probe *p;
	struct ssm_target *out;	/* its slot in p->res */
	enum tstate state;
	int udp, tcp;		/* -1: closed */
	uint64_t timer;		/* 0: none */
	uint16_t id;
	bool resent;
	uint8_t *query;
	size_t qlen;
	char err[160];		/* what failed, without the name; "" if none */
};

struct ssm_probe {
	struct evloop *el;
	ssm_done_fn done;
	void *data;
	uint64_t finish_timer;	/* done deferred out of ssm_probe_start */
	bool starting;		/* inside ssm_probe_start: never finish */
	size_t pending;		/* targets not yet T_DONE */
	struct ssm_result res;
	char ns[INET_ADDRSTRLEN];	/* the nameserver, for messages */
	struct target t[SSM_NTARGETS];
};

/* ---- pure helpers ------------------------------------------------------ */

bool ssm_role_ok(const struct iam_role *role)
{
	static const char arn_tail[] = ":policy/" SSM_POLICY;
	size_t i, len, tl = sizeof(arn_tail) - 1;

	if (!role)
		return false;
	for (i = 0; i < role->npolicies; i++) {
		const char *pol = role->policies[i];

		if (!pol)
			continue;
		if (!strcmp(pol, SSM_POLICY))
			return true;
		/* arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore (and
		 * the aws-cn, aws-us-gov partitions) */
		len = strlen(pol);
		if (!strncmp(pol, "arn:", 4) && len > tl &&
		    !strcmp(pol + len - tl, arn_tail))
			return true;
	}
	return false;
}

int ssm_resolv_nameserver(const char *text, uint32_t *ret)
{
	static const char kw[] = "nameserver";
	const char *line = text, *end, *s;
	char tok[INET6_ADDRSTRLEN + 8];
	struct in_addr a;
	size_t n;

	/* glibc's res_init: the keyword starts the line and is followed by
	 * blanks; the address ends at the next blank; the rest of the line
	 * is ignored. Comment lines start with '#' or ';' and never match. */
	for (; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (strncmp(line, kw, sizeof(kw) - 1))
			continue;
		s = line + sizeof(kw) - 1;
		if (*s != ' ' && *s != '\t')
			continue;
		while (*s == ' ' || *s == '\t')
			s++;
		n = strcspn(s, " \t\r\n");
		if (n == 0 || n >= sizeof(tok))
			continue;
		memcpy(tok, s, n);
		tok[n] = '\0';
		/* IPv6 nameservers are skipped: instance namespaces run with
		 * IPv6 off, and the VPC resolver's IPv4 is what AWS writes. */
		if (inet_pton(AF_INET, tok, &a) == 1) {
			*ret = ntohl(a.s_addr);
			return 0;
		}
	}
	return -ENOENT;
}

int ssm_dns_query(const char *name, uint16_t id, uint8_t **ret,
		  size_t *ret_len)
{
	ldns_rdf *dname;
	ldns_pkt *pkt;
	ldns_status st;
	uint8_t *wire = NULL;
	size_t size = 0;

	if (!name || !*name)
		return -EINVAL;
	dname = ldns_dname_new_frm_str(name);
	if (!dname)
		return -EINVAL;
	/* Takes dname. On failure it may or may not have: leaking a few
	 * bytes under memory pressure beats a double free. */
	pkt = ldns_pkt_query_new(dname, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
				 LDNS_RD);
	if (!pkt)
		return -ENOMEM;
	ldns_pkt_set_id(pkt, id);
	st = ldns_pkt2wire(&wire, pkt, &size);
	ldns_pkt_free(pkt);
	if (st != LDNS_STATUS_OK || !wire) {
		free(wire);
		return st == LDNS_STATUS_MEM_ERR ? -ENOMEM : -EINVAL;
	}
	*ret = wire;
	*ret_len = size;
	return 0;
}

/* Whether the question section of pkt is exactly (qname A IN). */
static bool question_is(const ldns_pkt *pkt, const ldns_rdf *qname)
{
	const ldns_rr_list *q = ldns_pkt_question(pkt);
	const ldns_rr *rr;

	if (!q || ldns_rr_list_rr_count(q) != 1)
		return false;
	rr = ldns_rr_list_rr(q, 0);
	/* ldns_dname_compare ignores case, as DNS does (a server may echo
	 * the name in 0x20-mixed case). */
	return ldns_rr_get_type(rr) == LDNS_RR_TYPE_A &&
	       ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
	       ldns_dname_compare(ldns_rr_owner(rr), qname) == 0;
}

enum ssm_dns_verdict ssm_dns_parse(const uint8_t *buf, size_t len,
				   uint16_t id, const char *name,
				   uint32_t *ret_addr, unsigned *ret_rcode)
{
	enum ssm_dns_verdict v = SSM_DNS_NODATA;
	ldns_pkt *pkt = NULL;
	ldns_rdf *qname = NULL;
	const ldns_rr_list *ans;
	ldns_pkt_rcode rcode;
	size_t i;

	/* Header first: a datagram that is not a response with our id is
	 * someone else's business, however it looks after that. */
	if (len < 12 || (uint16_t)(buf[0] << 8 | buf[1]) != id ||
	    !(buf[2] & 0x80))
		return SSM_DNS_IGNORE;
	if (ldns_wire2pkt(&pkt, buf, len) != LDNS_STATUS_OK)
		return SSM_DNS_MALFORMED;
	qname = ldns_dname_new_frm_str(name);
	if (!qname) {
		v = SSM_DNS_IGNORE;
		goto out;
	}
	rcode = ldns_pkt_get_rcode(pkt);
	/* A server may leave the question out of an error (FORMERR): an
	 * error with our id and no question is still our answer. */
	if (!question_is(pkt, qname) &&
	    (ldns_pkt_qdcount(pkt) != 0 || rcode == LDNS_RCODE_NOERROR)) {
		v = SSM_DNS_IGNORE;
		goto out;
	}
	if (rcode != LDNS_RCODE_NOERROR) {
		if (ret_rcode)
			*ret_rcode = rcode;
		v = SSM_DNS_RCODE;
		goto out;
	}
	/* The first A record, wherever it sits in a CNAME chain. */
	ans = ldns_pkt_answer(pkt);
	for (i = 0; ans && i < ldns_rr_list_rr_count(ans); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		const ldns_rdf *rd;
		uint32_t a;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_A ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    ldns_rr_rd_count(rr) < 1)
			continue;
		rd = ldns_rr_rdf(rr, 0);
		if (!rd || ldns_rdf_size(rd) != sizeof(a))
			continue;
		memcpy(&a, ldns_rdf_data(rd), sizeof(a));
		*ret_addr = ntohl(a);
		v = SSM_DNS_ADDR;
		break;
	}
out:
	ldns_rdf_deep_free(qname);
	ldns_pkt_free(pkt);
	return v;
}

const char *ssm_rcode_name(unsigned rcode, char *buf, size_t len)
{
	const ldns_lookup_table *e = ldns_lookup_by_id(ldns_rcodes,
						       (int)rcode);

	if (e && e->name)
		return e->name;
	snprintf(buf, len, "RCODE %u", rcode);
	return buf;
}

/* ---- the probe --------------------------------------------------------- */

static void target_close(struct target *t)
{
	struct evloop *el = t->p->el;

	if (t->udp >= 0) {
		evloop_del_fd(el, t->udp);
		close(t->udp);
		t->udp = -1;
	}
	if (t->tcp >= 0) {
		/* Linger 0: the handshake was all we wanted, and an RST
		 * leaves no FIN_WAIT orphan behind to pin the namespace. */
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		evloop_del_fd(el, t->tcp);
		setsockopt(t->tcp, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		close(t->tcp);
		t->tcp = -1;
	}
	if (t->timer) {
		evloop_del_timer(el, t->timer);
		t->timer = 0;
	}
	free(t->query);
	t->query = NULL;
}

static void probe_free(struct ssm_probe *p)
{
	size_t i;

	for (i = 0; i < SSM_NTARGETS; i++)
		target_close(&p->t[i]);
	if (p->finish_timer)
		evloop_del_timer(p->el, p->finish_timer);
	free(p);
}

/* Appends "; " (unless first) and s to the reason, cut to fit. */
static void reason_add(struct ssm_result *r, const char *s)
{
	size_t used = strlen(r->reason);

	snprintf(r->reason + used, sizeof(r->reason) - used, "%s%s",
		 used ? "; " : "", s);
}

static void finish(struct ssm_probe *p)
{
	struct ssm_result res = p->res;
	ssm_done_fn done = p->done;
	void *data = p->data;
	char line[sizeof(p->t[0].out->name) + sizeof(p->t[0].err) + 2];
	size_t i;

	if (!res.reason[0]) {
		for (i = 0; i < SSM_NTARGETS; i++) {
			if (!p->t[i].err[0])
				continue;
			snprintf(line, sizeof(line), "%s: %s",
				 p->t[i].out->name, p->t[i].err);
			reason_add(&res, line);
		}
	}
	res.online = !res.reason[0];
	/* Freed first: done may start another probe or stop the loop. */
	probe_free(p);
	done(data, &res);
}

static void on_finish_timer(struct evloop *el, uint64_t id, void *data)
{
	struct ssm_probe *p = data;

	p->finish_timer = 0;
	finish(p);
}

/* Ends t: its sockets and timer go; the last one ends the probe. */
static void target_done(struct target *t)
{
	struct ssm_probe *p = t->p;

	if (t->state == T_DONE)
		return;
	target_close(t);
	t->state = T_DONE;
	if (--p->pending == 0 && !p->starting)
		finish(p);
}

static void target_fail(struct target *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void target_fail(struct target *t, const char *fmt, ...)
{
	va_list ap;

	if (t->state == T_DONE)
		return;
	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	target_done(t);
}

static void target_ok(struct target *t)
{
	t->out->connected = true;
	target_done(t);
}

static void on_target_timer(struct evloop *el, uint64_t id, void *data);

/* Arms t's one timer to fire in ms; false (and t failed) when it cannot. */
static bool target_arm(struct target *t, uint64_t ms)
{
	t->timer = evloop_add_timer(t->p->el, ms, 0, on_target_timer, t);
	if (t->timer)
		return true;
	target_fail(t, "out of memory");
	return false;
}

static void dns_failed(struct target *t, int err)
{
	if (err == ECONNREFUSED)
		target_fail(t, "DNS refused by %s (port unreachable)",
			    t->p->ns);
	else
		target_fail(t, "DNS to %s: %s", t->p->ns, strerror(err));
}

static void dns_send(struct target *t)
{
	ssize_t n;

	do
		n = send(t->udp, t->query, t->qlen, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	/* A full send buffer (EAGAIN) on a fresh socket is a lost packet,
	 * which the retry or the timeout covers, as for a dropped one. */
	if (n < 0 && errno != EAGAIN && errno != ENOBUFS)
		dns_failed(t, errno);
}

static void on_tcp(struct evloop *el, int fd, unsigned events, void *data)
{
	struct target *t = data;
	char ip[INET_ADDRSTRLEN];
	socklen_t len = sizeof(int);
	int err = 0;
	struct in_addr a = { .s_addr = htonl(t->out->addr) };

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	if (err == 0)
		target_ok(t);
	else if (err == ECONNREFUSED)
		target_fail(t, "TCP 443 to %s refused", ip);
	else if (err != EINPROGRESS && err != EINTR)
		target_fail(t, "TCP 443 to %s: %s", ip, strerror(err));
}

static void tcp_start(struct target *t)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(443),
		.sin_addr.s_addr = htonl(t->out->addr),
	};
	char ip[INET_ADDRSTRLEN];
	int r;

	inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof(ip));
	t->state = T_TCP;
	if (connect(t->tcp, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		target_ok(t);
		return;
	}
	if (errno == ECONNREFUSED) {
		target_fail(t, "TCP 443 to %s refused", ip);
		return;
	}
	if (errno != EINPROGRESS) {
		target_fail(t, "TCP 443 to %s: %s", ip, strerror(errno));
		return;
	}
	r = evloop_add_fd(t->p->el, t->tcp, EVLOOP_WRITE, on_tcp, t);
	if (r < 0) {
		target_fail(t, "event loop: %s", strerror(-r));
		return;
	}
	target_arm(t, SSM_TCP_TIMEOUT_MS);
}

static void on_udp(struct evloop *el, int fd, unsigned events, void *data)
{
	struct target *t = data;
	/* No EDNS in the query: a UDP answer is at most 512 bytes. */
	uint8_t buf[4096];
	char rc[16];
	unsigned rcode = 0;
	uint32_t addr = 0;
	ssize_t n;

	while (t->state == T_DNS) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				dns_failed(t, errno);
			return;
		}
		switch (ssm_dns_parse(buf, (size_t)n, t->id, t->out->name,
				      &addr, &rcode)) {
		case SSM_DNS_IGNORE:
			break;
		case SSM_DNS_MALFORMED:
			target_fail(t, "malformed DNS reply from %s", t->p->ns);
			return;
		case SSM_DNS_RCODE:
			target_fail(t, "%s", ssm_rcode_name(rcode, rc,
							    sizeof(rc)));
			return;
		case SSM_DNS_NODATA:
			target_fail(t, "no A record");
			return;
		case SSM_DNS_ADDR:
			t->out->addr = addr;
			evloop_del_fd(el, t->udp);
			close(t->udp);
			t->udp = -1;
			evloop_del_timer(el, t->timer);
			t->timer = 0;
			tcp_start(t);
			return;
		}
	}
}

static void on_target_timer(struct evloop *el, uint64_t id, void *data)
{
	struct target *t = data;
	char ip[INET_ADDRSTRLEN];
	struct in_addr a = { .s_addr = htonl(t->out->addr) };

	t->timer = 0;
	switch (t->state) {
	case T_DNS:
		if (!t->resent) {
			t->resent = true;
			if (target_arm(t, SSM_DNS_TIMEOUT_MS -
						  SSM_DNS_RETRY_MS))
				dns_send(t);
			return;
		}
		target_fail(t, "no answer from %s", t->p->ns);
		return;
	case T_TCP:
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		target_fail(t, "TCP 443 to %s timed out", ip);
		return;
	case T_DONE:
		return;
	}
}

/* ---- start ------------------------------------------------------------- */

struct mksock {
	int fds[2 * SSM_NTARGETS];	/* udp, tcp per target */
};

/* Runs inside the instance's namespace: the sockets made here belong to
 * it for good. Nothing else happens in there. */
static int make_sockets(void *data)
{
	struct mksock *m = data;
	size_t i;

	for (i = 0; i < 2 * SSM_NTARGETS; i++) {
		m->fds[i] = socket(AF_INET,
				   (i % 2 ? SOCK_STREAM : SOCK_DGRAM) |
					   SOCK_NONBLOCK | SOCK_CLOEXEC,
				   0);
		if (m->fds[i] < 0)
			return -errno;
	}
	return 0;
}

static int open_sockets(struct ssm_probe *p, const char *netns)
{
	struct mksock m;
	struct nsh *ns = NULL;
	size_t i;
	int r;

	for (i = 0; i < 2 * SSM_NTARGETS; i++)
		m.fds[i] = -1;
	r = netns_open(netns, &ns);
	if (r < 0)
		return r;
	r = netns_run(ns, make_sockets, &m);
	/* The sockets hold the namespace now; the handle is not needed. */
	nsh_close(ns);
	for (i = 0; i < 2 * SSM_NTARGETS; i++) {
		if (r < 0) {
			if (m.fds[i] >= 0)
				close(m.fds[i]);
			continue;
		}
		m.fds[i] = fd_move_high(m.fds[i]);
		if (i % 2)
			p->t[i / 2].tcp = m.fds[i];
		else
			p->t[i / 2].udp = m.fds[i];
	}
	return r;
}

/* The nameserver the instance really uses: what `ip netns exec` binds
 * over /etc/resolv.conf, or the host's file when the namespace has none
 * (which is what a process in there would read), or 127.0.0.1 when the
 * file names none (resolv.conf(5)). */
static int find_nameserver(struct ssm_probe *p, const char *netns)
{
	char path[PATH_MAX], *text = NULL;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/%s/resolv.conf", NETNS_ETC_DIR,
		 netns);
	r = read_file(path, RESOLV_MAX, &text, &len);
	if (r == -ENOENT) {
		snprintf(path, sizeof(path), "/etc/resolv.conf");
		r = read_file(path, RESOLV_MAX, &text, &len);
	}
	if (r == -ENOENT) {
		p->res.nameserver = INADDR_LOOPBACK;
		r = 0;
	} else if (r < 0) {
		snprintf(p->res.reason, sizeof(p->res.reason),
			 "cannot read %.200s: %s", path, strerror(-r));
		return r;
	} else if (ssm_resolv_nameserver(text, &p->res.nameserver) < 0) {
		p->res.nameserver = INADDR_LOOPBACK;
	}
	free(text);
	return 0;
}

static uint16_t random_id(void)
{
	static uint16_t fallback;
	uint16_t id;

	/* Never block on entropy: an id only has to differ between the
	 * queries of one probe, and a predictable one still works. */
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) == sizeof(id))
		return id;
	return (uint16_t)(evloop_now_ms() * 7919 + ++fallback * 104729);
}

/* Builds and sends t's query; on any failure t ends failed. */
static void target_start(struct target *t)
{
	struct ssm_probe *p = t->p;
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(53),
		.sin_addr.s_addr = htonl(p->res.nameserver),
	};
	int one = 1, r;

	t->id = random_id();
	r = ssm_dns_query(t->out->name, t->id, &t->query, &t->qlen);
	if (r < 0) {
		target_fail(t, "cannot build a DNS query: %s", strerror(-r));
		return;
	}
	/* Connected: only the nameserver's datagrams are read, and ICMP
	 * errors come back as socket errors. IP_RECVERR adds the "soft"
	 * ones (host or net unreachable), which plain UDP drops. */
	setsockopt(t->udp, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	if (connect(t->udp, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		dns_failed(t, errno);
		return;
	}
	r = evloop_add_fd(p->el, t->udp, EVLOOP_READ, on_udp, t);
	if (r < 0) {
		target_fail(t, "event loop: %s", strerror(-r));
		return;
	}
	if (target_arm(t, SSM_DNS_RETRY_MS))
		dns_send(t);
}

struct ssm_probe *ssm_probe_start(struct evloop *el, const char *netns,
				  const char *region,
				  const struct iam_role *role, ssm_done_fn done,
				  void *data)
{
	struct ssm_probe *p;
	struct in_addr a;
	size_t i;
	int r;

	if (!el || !netns || !region || !done) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->el = el;
	p->done = done;
	p->data = data;
	p->starting = true;
	for (i = 0; i < SSM_NTARGETS; i++) {
		struct target *t = &p->t[i];

		t->p = p;
		t->out = &p->res.targets[i];
		t->udp = t->tcp = -1;
		t->state = T_DONE;
		/* The China partition's service domain ends in .cn. */
		snprintf(t->out->name, sizeof(t->out->name),
			 "%s.%s.amazonaws.com%s", services[i], region,
			 strncmp(region, "cn-", 3) ? "" : ".cn");
	}

	if (!role) {
		snprintf(p->res.reason, sizeof(p->res.reason),
			 "no IAM instance profile");
		memset(p->res.targets, 0, sizeof(p->res.targets));
		goto defer;
	}
	if (!ssm_role_ok(role)) {
		snprintf(p->res.reason, sizeof(p->res.reason),
			 "role %s lacks %s", role->r.name ? role->r.name : "?",
			 SSM_POLICY);
		memset(p->res.targets, 0, sizeof(p->res.targets));
		goto defer;
	}
	if (find_nameserver(p, netns) < 0)
		goto defer;
	a.s_addr = htonl(p->res.nameserver);
	inet_ntop(AF_INET, &a, p->ns, sizeof(p->ns));
	r = open_sockets(p, netns);
	if (r < 0) {
		snprintf(p->res.reason, sizeof(p->res.reason),
			 "cannot open sockets in namespace %s: %s", netns,
			 strerror(-r));
		goto defer;
	}
	p->pending = SSM_NTARGETS;
	for (i = 0; i < SSM_NTARGETS; i++) {
		p->t[i].state = T_DNS;
		target_start(&p->t[i]);
	}
	p->starting = false;
	if (p->pending > 0)
		return p;
	/* Every target failed at once (no route, say): done still comes
	 * from the loop, never from inside this call. */
defer:
	p->starting = false;
	p->finish_timer = evloop_add_timer(el, 0, 0, on_finish_timer, p);
	if (!p->finish_timer) {
		probe_free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void ssm_probe_cancel(struct ssm_probe *p)
{
	if (p)
		probe_free(p);
}
