/* probe.c - real-traffic probes for `expect` lines.
 *
 * probe_run() forks up to two children: a listener that enters the
 * destination namespace and answers (TCP accept, UDP echo), and a prober
 * that enters the source namespace, sends and waits. Each child reports one
 * int through its own pipe; the parent waits with poll() against
 * CLOCK_MONOTONIC deadlines and, whatever happens, kills each child by the
 * PID fork() gave it and reaps it. The caller may be multithreaded, so the
 * children use only async-signal-safe calls.
 *
 * Child results: 1 reachable, 0 not reachable, -errno otherwise (a listener
 * writes 0 once it listens).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vpcemu/model.h"
#include "vpcemu/nsexec.h"
#include "vpcemu/probe.h"

/* How long a listener may take to enter its namespace and listen. */
#define PROBE_SETUP_MS 5000
/* How much longer than its own deadline a prober may take to report. */
#define PROBE_GRACE_MS 2000
#define PROBE_TRIES 3

struct probe_args {
	uint32_t dst;		/* network order */
	uint16_t port;		/* network order */
	uint16_t echo_id;
	uint8_t token[16];	/* payload that identifies our packets */
	unsigned timeout_ms;
};

struct child {
	pid_t pid;		/* 0: none */
	int fd;			/* read end of its result pipe, -1: none */
};

typedef int (*child_fn)(int wfd, const struct probe_args *a);

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline, for poll(); 0 once it passed. */
static int left_ms(int64_t deadline)
{
	int64_t d = deadline - now_ms();

	return d > 0 ? (int)d : 0;
}

/* Errors by which the network, not our code, says no: the packet was
 * dropped on output by netfilter (EPERM), there is no route, or an ICMP
 * error came back. They mean "not reachable", not "probe failed". */
static bool err_is_blocked(int e)
{
	switch (e) {
	case EPERM:
	case EACCES:
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case ENONET:
	case ETIMEDOUT:
		return true;
	default:
		return false;
	}
}

static int blocked_or(int e)
{
	return err_is_blocked(e) ? 0 : -e;
}

static void write_int(int fd, int v)
{
	ssize_t n;

	do
		n = write(fd, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
}

static int random_fill(void *buf, size_t len)
{
	ssize_t n;

	do
		n = getrandom(buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Forks a child that enters netns and runs fn; its result comes back on
 * c->fd. */
static int child_start(struct child *c, const char *netns, child_fn fn,
		       const struct probe_args *a)
{
	pid_t parent = getpid(), pid;
	int pipefd[2], r;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (pid == 0) {
		close(pipefd[0]);
		/* If the caller dies before killing us, so do we. The check
		 * covers a parent that died before prctl. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		r = nsexec_enter(netns);
		if (r == 0)
			r = fn(pipefd[1], a);
		write_int(pipefd[1], r);
		_exit(0);
	}
	close(pipefd[1]);
	c->pid = pid;
	c->fd = pipefd[0];
	return 0;
}

/* Reads the child's next result, waiting until deadline. */
static int child_result(const struct child *c, int64_t deadline, int *ret_val)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	ssize_t n;
	int r;

	for (;;) {
		r = poll(&p, 1, left_ms(deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = read(c->fd, ret_val, sizeof(*ret_val));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		/* EOF: it died without a word. */
		return n == sizeof(*ret_val) ? 0 : -EIO;
	}
}

/* Kills and reaps the child, whether it is still running or already a
 * zombie (a zombie keeps its PID, so the kill cannot hit another process). */
static void child_stop(struct child *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
		c->pid = 0;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
}

static uint16_t inet_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static struct sockaddr_in dst_addr(const struct probe_args *a)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = a->port,
		.sin_addr.s_addr = a->dst,
	};

	return sin;
}

struct echo_pkt {
	struct icmphdr h;
	uint8_t token[16];
};

/* Is this ICMP message (header at icmp, len bytes) the reply to one of our
 * echo requests (1), an error about one of them (0), or neither (-1)?
 * Ping sockets (raw == false) rewrite the id, so only raw sockets check it;
 * the random token identifies our packets in both cases. */
static int icmp_classify(const uint8_t *icmp, size_t len, bool raw,
			 const struct probe_args *a)
{
	const struct icmphdr *h = (const struct icmphdr *)icmp;
	const struct echo_pkt *e;
	const struct iphdr *ip;
	size_t hl;

	if (len < sizeof(*h))
		return -1;
	if (h->type == ICMP_ECHOREPLY) {
		e = (const struct echo_pkt *)icmp;
		if (len < sizeof(*e) || (raw && e->h.un.echo.id != a->echo_id))
			return -1;
		return memcmp(e->token, a->token, sizeof(a->token)) ? -1 : 1;
	}
	if (h->type != ICMP_DEST_UNREACH && h->type != ICMP_TIME_EXCEEDED)
		return -1;
	/* An error quotes our IP header and the first 8 bytes of our echo. */
	if (len < sizeof(*h) + sizeof(*ip))
		return -1;
	ip = (const struct iphdr *)(icmp + sizeof(*h));
	hl = ip->ihl * 4u;
	if (hl < sizeof(*ip) || len < sizeof(*h) + hl + sizeof(*h))
		return -1;
	if (ip->protocol != IPPROTO_ICMP || ip->daddr != a->dst)
		return -1;
	h = (const struct icmphdr *)(icmp + sizeof(*h) + hl);
	if (h->type != ICMP_ECHO || (raw && h->un.echo.id != a->echo_id))
		return -1;
	return 0;
}

static int icmp_probe(int wfd, const struct probe_args *a)
{
	struct sockaddr_in sin = dst_addr(a), from;
	struct echo_pkt pkt = { .h.type = ICMP_ECHO };
	uint8_t buf[1500];
	int64_t start = now_ms(), deadline = start + a->timeout_ms, next;
	bool raw = true;
	int fd, tries = 0, r = 0;

	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0 && (errno == EPERM || errno == EACCES)) {
		/* Without CAP_NET_RAW: an unprivileged ping socket, allowed
		 * when net.ipv4.ping_group_range covers our group. */
		raw = false;
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
	}
	if (fd < 0)
		return -errno;
	pkt.h.un.echo.id = a->echo_id;
	memcpy(pkt.token, a->token, sizeof(pkt.token));

	for (next = start; r == 0;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		socklen_t fl = sizeof(from);
		const uint8_t *icmp = buf;
		int64_t wait_until;
		ssize_t n;

		if (now_ms() >= deadline)
			break;
		if (tries < PROBE_TRIES && now_ms() >= next) {
			tries++;
			pkt.h.un.echo.sequence = htons((uint16_t)tries);
			pkt.h.checksum = 0;
			pkt.h.checksum = inet_csum(&pkt, sizeof(pkt));
			if (sendto(fd, &pkt, sizeof(pkt), 0,
				   (struct sockaddr *)&sin, sizeof(sin)) < 0) {
				r = blocked_or(errno);
				goto out;
			}
			next = start + (int64_t)a->timeout_ms * tries /
					       PROBE_TRIES;
		}
		wait_until = tries < PROBE_TRIES && next < deadline ? next
								    : deadline;
		n = poll(&p, 1, left_ms(wait_until));
		if (n <= 0)
			continue;	/* EINTR or time to resend */
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			r = blocked_or(errno);
			goto out;
		}
		if (raw) {
			/* Raw IPv4 sockets deliver the IP header too. */
			const struct iphdr *ip = (const struct iphdr *)buf;

			if ((size_t)n < sizeof(*ip) || ip->ihl * 4 > n)
				continue;
			icmp = buf + ip->ihl * 4;
			n -= ip->ihl * 4;
		}
		switch (icmp_classify(icmp, (size_t)n, raw, a)) {
		case 1:
			/* Only the destination itself answers an echo. */
			if (from.sin_addr.s_addr == a->dst)
				r = 1;
			break;
		case 0:
			goto out;	/* unreachable: not reachable */
		default:
			break;
		}
	}
out:
	close(fd);
	return r;
}

static int tcp_probe(int wfd, const struct probe_args *a)
{
	struct sockaddr_in sin = dst_addr(a);
	int64_t deadline = now_ms() + a->timeout_ms;
	struct pollfd p = { .events = POLLOUT };
	socklen_t len = sizeof(int);
	int fd, err = 0, n, r;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		r = 1;
		goto out;
	}
	if (errno != EINPROGRESS) {
		r = blocked_or(errno);
		goto out;
	}
	p.fd = fd;
	do
		n = poll(&p, 1, left_ms(deadline));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	if (n == 0) {
		r = 0;		/* filtered: no answer in time */
		goto out;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
		r = -errno;
		goto out;
	}
	r = err == 0 ? 1 : blocked_or(err);
out:
	close(fd);
	return r;
}

static int udp_probe(int wfd, const struct probe_args *a)
{
	struct sockaddr_in sin = dst_addr(a);
	int64_t start = now_ms(), deadline = start + a->timeout_ms, next;
	uint8_t buf[sizeof(a->token) + 1];
	int fd, one = 1, tries = 0, r = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Connected, so only the destination's answer is read and an ICMP
	 * port unreachable surfaces as ECONNREFUSED. UDP drops "soft" ICMP
	 * errors (host or net unreachable) unless IP_RECVERR is on; with it
	 * a reject ends the probe at once, as it does for TCP. */
	if (setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) < 0) {
		r = -errno;
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		r = blocked_or(errno);
		goto out;
	}
	for (next = start; r == 0;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t wait_until;
		ssize_t n;

		if (now_ms() >= deadline)
			break;
		if (tries < PROBE_TRIES && now_ms() >= next) {
			tries++;
			if (send(fd, a->token, sizeof(a->token), 0) < 0 &&
			    errno != EINTR) {
				r = blocked_or(errno);
				goto out;
			}
			next = start + (int64_t)a->timeout_ms * tries /
					       PROBE_TRIES;
		}
		wait_until = tries < PROBE_TRIES && next < deadline ? next
								    : deadline;
		n = poll(&p, 1, left_ms(wait_until));
		if (n <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			r = blocked_or(errno);
			goto out;
		}
		if (n == sizeof(a->token) &&
		    !memcmp(buf, a->token, sizeof(a->token)))
			r = 1;
	}
out:
	close(fd);
	return r;
}

static int listen_socket(int type, const struct probe_args *a)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = a->port,
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	int fd, one = 1;

	fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (type == SOCK_DGRAM &&
	     setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 128) < 0)) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Accepts and closes connections until killed. */
static int tcp_listener(int wfd, const struct probe_args *a)
{
	int fd, c;

	fd = listen_socket(SOCK_STREAM, a);
	if (fd < 0)
		return fd;
	write_int(wfd, 0);
	for (;;) {
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0)
			close(c);
	}
}

/* Echoes each datagram until killed, from the address it was sent to
 * (IP_PKTINFO): the prober's connected socket drops any other source. */
static int udp_listener(int wfd, const struct probe_args *a)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl;
	uint8_t data[2048];
	struct sockaddr_in from;
	struct iovec iov;
	struct msghdr m;
	struct cmsghdr *cm;
	struct in_pktinfo *pi;
	ssize_t n;
	int fd;

	fd = listen_socket(SOCK_DGRAM, a);
	if (fd < 0)
		return fd;
	write_int(wfd, 0);
	for (;;) {
		struct in_addr to = { 0 };
		bool have_to = false;

		iov.iov_base = data;
		iov.iov_len = sizeof(data);
		m = (struct msghdr){
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctl.buf,
			.msg_controllen = sizeof(ctl.buf),
		};
		n = recvmsg(fd, &m, 0);
		if (n < 0)
			continue;
		for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
			if (cm->cmsg_level == IPPROTO_IP &&
			    cm->cmsg_type == IP_PKTINFO) {
				pi = (struct in_pktinfo *)CMSG_DATA(cm);
				to = pi->ipi_addr;
				have_to = true;
			}
		}
		iov.iov_len = (size_t)n;
		m.msg_namelen = sizeof(from);
		m.msg_flags = 0;
		if (have_to) {
			memset(ctl.buf, 0, sizeof(ctl.buf));
			m.msg_controllen = sizeof(ctl.buf);
			cm = CMSG_FIRSTHDR(&m);
			cm->cmsg_level = IPPROTO_IP;
			cm->cmsg_type = IP_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
			pi = (struct in_pktinfo *)CMSG_DATA(cm);
			pi->ipi_spec_dst = to;
		} else {
			m.msg_control = NULL;
			m.msg_controllen = 0;
		}
		sendmsg(fd, &m, 0);
	}
}

int probe_run(const char *src_netns, const char *dst_netns, uint32_t dst_ip,
	      const struct proto_match *proto, unsigned timeout_ms,
	      bool *ret_reachable)
{
	struct child listener = { .fd = -1 }, prober = { .fd = -1 };
	struct probe_args a = {
		.dst = htonl(dst_ip),
		.timeout_ms = timeout_ms,
	};
	child_fn probe_fn, listen_fn = NULL;
	int r, val;

	if (ret_reachable)
		*ret_reachable = false;
	if (!src_netns || !proto || !ret_reachable || timeout_ms == 0)
		return -EINVAL;
	switch (proto->kind) {
	case PROTO_ICMP:
		probe_fn = icmp_probe;
		break;
	case PROTO_TCP:
		probe_fn = tcp_probe;
		listen_fn = tcp_listener;
		break;
	case PROTO_UDP:
		probe_fn = udp_probe;
		listen_fn = udp_listener;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (listen_fn) {
		if (proto->port_lo == 0)
			return -EINVAL;
		a.port = htons(proto->port_lo);
	}
	r = random_fill(a.token, sizeof(a.token));
	if (r < 0)
		return r;
	memcpy(&a.echo_id, a.token, sizeof(a.echo_id));

	if (dst_netns && listen_fn) {
		r = child_start(&listener, dst_netns, listen_fn, &a);
		if (r < 0)
			goto out;
		/* Wait until it listens, so an unanswered probe means
		 * filtered. */
		r = child_result(&listener, now_ms() + PROBE_SETUP_MS, &val);
		if (r == 0)
			r = val;
		if (r == -EADDRINUSE && proto->kind == PROTO_TCP) {
			/* Something listens there already and will answer. */
			child_stop(&listener);
			r = 0;
		}
		if (r < 0)
			goto out;
	}

	r = child_start(&prober, src_netns, probe_fn, &a);
	if (r < 0)
		goto out;
	r = child_result(&prober, now_ms() + timeout_ms + PROBE_GRACE_MS, &val);
	if (r < 0)
		goto out;
	if (val < 0) {
		r = val;
		goto out;
	}
	*ret_reachable = val > 0;
out:
	child_stop(&prober);
	child_stop(&listener);
	return r;
}
