/* link.c - veth pairs, link state and addresses inside a namespace.
 *
 * Works through an rtnetlink socket kept in the handle's slot (netns.h),
 * opened inside the namespace on first use; the calling thread stays where
 * it is. Everything is created
 * in place: a veth end moved after creation costs 16-24 ms, created in its
 * namespace 0.5 ms (docs/perf-targets.md).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/socket.h>

#include "vpcemu/link.h"
#include "vpcemu/netns.h"
#include "vpcemu/util.h"

int link_errno(int nlerr)
{
	static const int map[] = {
		[NLE_SUCCESS] = 0,
		[NLE_INTR] = EINTR,
		[NLE_BAD_SOCK] = EBADF,
		[NLE_AGAIN] = EAGAIN,
		[NLE_NOMEM] = ENOMEM,
		[NLE_EXIST] = EEXIST,
		[NLE_INVAL] = EINVAL,
		[NLE_RANGE] = ERANGE,
		[NLE_MSGSIZE] = EMSGSIZE,
		[NLE_OPNOTSUPP] = EOPNOTSUPP,
		[NLE_AF_NOSUPPORT] = EAFNOSUPPORT,
		[NLE_OBJ_NOTFOUND] = ENOENT,
		[NLE_NOADDR] = EADDRNOTAVAIL,
		[NLE_BUSY] = EBUSY,
		[NLE_PROTO_MISMATCH] = EPROTONOSUPPORT,
		[NLE_NOACCESS] = EACCES,
		[NLE_PERM] = EPERM,
		[NLE_NODEV] = ENODEV,
		[NLE_DUMP_INTR] = EINTR,
	};
	int e = nlerr < 0 ? -nlerr : nlerr;

	/* Everything else, including NLE_FAILURE where libnl folds errnos
	 * it has no code for (ENOTCONN, ENETUNREACH, ...), is EIO: the
	 * caller's message names the operation. */
	if (e < (int)(sizeof(map) / sizeof(map[0])) && (map[e] || !e))
		return -map[e];
	return -EIO;
}

/* name -> ifindex of the namespace's links, filled by one dump: open
 * addressing, power-of-two size. */
struct ifx {
	char name[IFNAMSIZ];
	int ifindex;		/* 0: free slot, -1: forgotten */
};

/* A queued request: its sequence number, the caller's tag and the two
 * errnos that mean "already so" (0: none). */
struct qreq {
	uint32_t seq;
	size_t tag;
	int ok[2];
};

/* Requests wait here (link_queue_start) until one sendmsg takes them all;
 * past this many bytes they go at once. */
#define LINK_QUEUE_BYTES 32768

/* What this module keeps per namespace (the handle's NSH_SLOT_LINK). */
struct link_ns {
	struct nl_sock *sk;
	struct ifx *ifx;
	size_t nifx, capifx;	/* used slots (forgotten ones too), size */
	unsigned misses;	/* lookups the memory could not answer */
	bool queuing;
	char *qbuf;		/* requests laid end to end */
	size_t qlen, qcap;
	struct qreq *qreq;
	size_t nq, capq;
	uint32_t seq;
	size_t tag;		/* link_queue_tag's, for the next requests */
	int qerr;		/* first failure since the last flush, -errno */
	size_t qerr_tag;
};

static void queue_send(struct link_ns *ln);

static void link_ns_free(void *obj)
{
	struct link_ns *ln = obj;

	/* The executor sends its queues before closing; should a request
	 * still wait, it goes rather than vanish. */
	if (ln->sk)
		queue_send(ln);
	free(ln->qbuf);
	free(ln->qreq);
	free(ln->ifx);
	if (ln->sk)
		nl_socket_free(ln->sk);
	free(ln);
}

static int socket_fn(void *data)
{
	int *fd = data;

	*fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	return *fd < 0 ? -errno : 0;
}

/* The handle's state, with its socket: created on first use. */
static int link_ns_get(struct nsh *ns, struct link_ns **ret)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct link_ns *ln;
	int fd = -1, r;

	*ret = nsh_slot_get(ns, NSH_SLOT_LINK);
	if (*ret)
		return 0;
	ln = calloc(1, sizeof(*ln));
	if (!ln)
		return -ENOMEM;
	ln->sk = nl_socket_alloc();
	if (!ln->sk) {
		r = -ENOMEM;
		goto fail;
	}
	/* socket() binds the socket to the current namespace for good. We
	 * open it ourselves rather than with nl_connect to place its fd
	 * high (fd_move_high). */
	r = netns_run(ns, socket_fn, &fd);
	if (r < 0)
		goto fail;
	/* port 0: the kernel picks a free one (libnl's own allocator holds
	 * 1024 ports per process; a big lab has more sockets). */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto fail;
	}
	fd = fd_move_high(fd);
	r = link_errno(nl_socket_set_fd(ln->sk, NETLINK_ROUTE, fd));
	if (r < 0)
		goto fail;
	nsh_slot_set(ns, NSH_SLOT_LINK, ln, link_ns_free, false);
	*ret = ln;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	link_ns_free(ln);
	return r;
}

/* Records a queued request's failure: the one with the smallest tag
 * (the earliest operation) wins. */
static void queue_failed(struct link_ns *ln, size_t tag, int err)
{
	if (!ln->qerr || tag < ln->qerr_tag) {
		ln->qerr = err;
		ln->qerr_tag = tag;
	}
}

/* The answers to the batch just sent. Without NLM_F_ACK the kernel
 * answers only failures, and it has answered all of them when sendmsg
 * returns (rtnetlink handles a request in the sender's context), so
 * what is not queued now never comes. */
static void queue_drain(struct link_ns *ln, uint32_t first)
{
	char buf[8192];
	struct nlmsghdr *h;
	struct nlmsgerr *e;
	ssize_t n;
	size_t i;
	int len, err;

	for (;;) {
		n = recv(nl_socket_get_fd(ln->sk), buf, sizeof(buf),
			 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			/* ENOBUFS: answers were lost; blame the first. */
			queue_failed(ln, ln->qreq[0].tag, -errno);
			if (errno != ENOBUFS)
				return;
			continue;
		}
		len = (int)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			e = NLMSG_DATA(h);
			err = e->error;
			i = h->nlmsg_seq - first;
			if (!err || i >= ln->nq)
				continue;
			if (-err == ln->qreq[i].ok[0] ||
			    -err == ln->qreq[i].ok[1])
				continue;
			queue_failed(ln, ln->qreq[i].tag, err);
		}
	}
}

/* Sends what is queued in one sendmsg and reads the failures. */
static void queue_send(struct link_ns *ln)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;

	if (!ln->nq)
		return;
	do {
		n = sendto(nl_socket_get_fd(ln->sk), ln->qbuf, ln->qlen, 0,
			   (struct sockaddr *)&kernel, sizeof(kernel));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		queue_failed(ln, ln->qreq[0].tag, -errno);
	else
		queue_drain(ln, ln->qreq[0].seq);
	/* Nothing kept between batches: a thousand handles holding their
	 * buffers until they close left vpcemud 6 MB bigger for good
	 * (heap high-water mark). */
	free(ln->qbuf);
	free(ln->qreq);
	ln->qbuf = NULL;
	ln->qreq = NULL;
	ln->qlen = ln->qcap = 0;
	ln->nq = ln->capq = 0;
}

int link_rtnl(struct nsh *ns, struct nl_sock **ret)
{
	struct link_ns *ln;
	int r;

	r = link_ns_get(ns, &ln);
	if (r < 0)
		return r;
	/* Whoever takes the socket asks and waits: what was queued before
	 * goes first. */
	queue_send(ln);
	*ret = ln->sk;
	return 0;
}

/* Appends msg (freed here) to the queue. Returns 0 or -NLE_NOMEM. */
static int queue_add(struct link_ns *ln, struct nl_msg *msg, int ok1, int ok2)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	size_t len = NLMSG_ALIGN(h->nlmsg_len);
	struct qreq *q;
	char *buf;

	if (ln->qlen + len > ln->qcap) {
		/* Small at first: a barrier finds every handle's queue
		 * filled at once (a thousand namespaces' "lo up"). */
		size_t cap = ln->qcap ? ln->qcap * 2 : 256;

		while (cap < ln->qlen + len)
			cap *= 2;
		buf = realloc(ln->qbuf, cap);
		if (!buf)
			goto nomem;
		ln->qbuf = buf;
		ln->qcap = cap;
	}
	q = VEC_PUSH(ln->qreq, ln->nq, ln->capq);
	if (!q)
		goto nomem;
	*q = (struct qreq){ .seq = ++ln->seq, .tag = ln->tag,
			    .ok = { ok1, ok2 } };
	h->nlmsg_seq = q->seq;
	h->nlmsg_pid = 0;
	h->nlmsg_flags |= NLM_F_REQUEST;
	h->nlmsg_flags &= ~NLM_F_ACK;
	memcpy(ln->qbuf + ln->qlen, h, h->nlmsg_len);
	memset(ln->qbuf + ln->qlen + h->nlmsg_len, 0, len - h->nlmsg_len);
	ln->qlen += len;
	nlmsg_free(msg);
	if (ln->qlen >= LINK_QUEUE_BYTES)
		queue_send(ln);
	return 0;
nomem:
	nlmsg_free(msg);
	return -NLE_NOMEM;
}

int link_request(struct nsh *ns, struct nl_msg *msg, int ok1, int ok2)
{
	struct link_ns *ln;
	int r;

	r = link_ns_get(ns, &ln);
	if (r < 0) {
		nlmsg_free(msg);
		return r == -ENOMEM ? -NLE_NOMEM : -NLE_FAILURE;
	}
	if (ln->queuing)
		return queue_add(ln, msg, ok1, ok2);
	/* nl_send_sync frees msg and waits for the ack. */
	return nl_send_sync(ln->sk, msg);
}

int link_queue_start(struct nsh *ns)
{
	struct link_ns *ln;
	int r;

	r = link_ns_get(ns, &ln);
	if (r < 0)
		return r;
	ln->queuing = true;
	return 0;
}

void link_queue_tag(struct nsh *ns, size_t tag)
{
	struct link_ns *ln = nsh_slot_get(ns, NSH_SLOT_LINK);

	if (ln)
		ln->tag = tag;
}

int link_queue_flush(struct nsh *ns, size_t *ret_tag)
{
	struct link_ns *ln = nsh_slot_get(ns, NSH_SLOT_LINK);
	int r;

	if (!ln)
		return 0;
	queue_send(ln);
	r = ln->qerr;
	*ret_tag = ln->qerr_tag;
	ln->qerr = 0;
	return r;
}

void link_queue_stop(struct nsh *ns)
{
	struct link_ns *ln = nsh_slot_get(ns, NSH_SLOT_LINK);

	if (ln)
		ln->queuing = false;
}

/* The slot of name, or the free slot where it would go. */
static struct ifx *ifx_slot(struct ifx *tab, size_t cap, const char *name)
{
	size_t i = str_hash(name) & (cap - 1);

	while (tab[i].ifindex && strcmp(tab[i].name, name))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

/* The remembered ifindex of ifname (> 0), or 0 when unknown. */
static int ifx_cached(const struct link_ns *ln, const char *ifname)
{
	struct ifx *e;

	if (!ln->capifx)
		return 0;
	e = ifx_slot(ln->ifx, ln->capifx, ifname);
	return e->ifindex > 0 ? e->ifindex : 0;
}

/* Remembers ifname's ifindex; ifindex <= 0 forgets the name. */
static void ifx_remember(struct link_ns *ln, const char *ifname, int ifindex)
{
	struct ifx *e, *tab;
	size_t cap, i;

	if (strlen(ifname) >= IFNAMSIZ)
		return;
	if (ifindex <= 0) {
		if (ln->capifx) {
			e = ifx_slot(ln->ifx, ln->capifx, ifname);
			if (e->ifindex)
				e->ifindex = -1;	/* keeps probe chains */
		}
		return;
	}
	/* Keep at most half full; a failed allocation only costs lookups. */
	if ((ln->nifx + 1) * 2 > ln->capifx) {
		cap = ln->capifx ? ln->capifx * 2 : 16;
		tab = calloc(cap, sizeof(*tab));
		if (!tab)
			return;
		for (i = 0; i < ln->capifx; i++)
			if (ln->ifx[i].ifindex > 0)
				*ifx_slot(tab, cap, ln->ifx[i].name) = ln->ifx[i];
		free(ln->ifx);
		ln->ifx = tab;
		ln->capifx = cap;
		for (ln->nifx = 0, i = 0; i < cap; i++)
			ln->nifx += tab[i].ifindex != 0;
	}
	e = ifx_slot(ln->ifx, ln->capifx, ifname);
	if (!e->ifindex) {
		ln->nifx++;
		snprintf(e->name, sizeof(e->name), "%s", ifname);
	}
	e->ifindex = ifindex;
}

/* Forgets ifname in ns, if ns has a memory at all. */
static void ifx_forget(struct nsh *ns, const char *ifname)
{
	struct link_ns *ln = nsh_slot_get(ns, NSH_SLOT_LINK);

	if (ln)
		ifx_remember(ln, ifname, 0);
}

void link_forget_all(struct nsh *ns)
{
	struct link_ns *ln = nsh_slot_get(ns, NSH_SLOT_LINK);

	if (!ln)
		return;
	free(ln->ifx);
	ln->ifx = NULL;
	ln->nifx = ln->capifx = 0;
	ln->misses = 0;
}

/* Fetches ifname from the kernel; *ret is the caller's (rtnl_link_put). */
static int link_get(struct nsh *ns, const char *ifname, struct rtnl_link **ret)
{
	struct nl_sock *sk;
	int r;

	r = link_rtnl(ns, &sk);
	if (r < 0)
		return r;
	r = rtnl_link_get_kernel(sk, 0, ifname, ret);
	/* No such device comes back as ENODEV: say so, whatever libnl
	 * makes of it. */
	if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV)
		return -ENODEV;
	return link_errno(r);
}

static void remember_cb(struct nl_object *obj, void *data)
{
	struct rtnl_link *l = (struct rtnl_link *)obj;
	const char *name = rtnl_link_get_name(l);

	if (name)
		ifx_remember(data, name, rtnl_link_get_ifindex(l));
}

/* One dump of the namespace's links into the handle's memory: a router
 * looks up every port once or twice per apply, one request each
 * otherwise. */
static int link_dump(struct link_ns *ln)
{
	struct nl_cache *cache = NULL;
	int r;

	r = link_errno(rtnl_link_alloc_cache(ln->sk, AF_UNSPEC, &cache));
	if (r < 0)
		return r;
	nl_cache_foreach(cache, remember_cb, ln);
	nl_cache_free(cache);
	return 0;
}

int link_ifindex(struct nsh *ns, const char *ifname)
{
	struct rtnl_link *l = NULL;
	struct link_ns *ln;
	int r;

	/* lo is ifindex 1 in every namespace (LOOPBACK_IFINDEX). */
	if (!strcmp(ifname, "lo"))
		return 1;
	r = link_ns_get(ns, &ln);
	if (r < 0)
		return r;
	r = ifx_cached(ln, ifname);
	if (r > 0)
		return r;
	/* The first miss asks for the one (an apply often needs a single
	 * port of a router with a thousand); the second dumps everything
	 * (up needs them all); later misses (links created since) ask for
	 * the one again. */
	if (ln->misses++ == 1 && link_dump(ln) == 0) {
		r = ifx_cached(ln, ifname);
		if (r > 0)
			return r;
	}
	r = link_get(ns, ifname, &l);
	if (r < 0)
		return r;
	r = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	if (r <= 0)
		return -ENODEV;
	ifx_remember(ln, ifname, r);
	return r;
}

/* true when a:name_a and b:name_b are the two ends of one veth pair. */
static bool veth_pair_exists(struct nsh *a, const char *name_a,
			     struct nsh *b, const char *name_b)
{
	struct rtnl_link *la = NULL, *lb = NULL;
	const char *ta, *tb;
	bool ok = false;

	if (link_get(a, name_a, &la) < 0 || link_get(b, name_b, &lb) < 0)
		goto out;
	ta = rtnl_link_get_type(la);
	tb = rtnl_link_get_type(lb);
	/* IFLA_LINK of a veth end is its peer's ifindex (in the peer's
	 * namespace): the two must point at each other. */
	ok = ta && tb && !strcmp(ta, "veth") && !strcmp(tb, "veth") &&
	     rtnl_link_get_link(la) == rtnl_link_get_ifindex(lb) &&
	     rtnl_link_get_link(lb) == rtnl_link_get_ifindex(la);
out:
	if (la)
		rtnl_link_put(la);
	if (lb)
		rtnl_link_put(lb);
	return ok;
}

int link_del(struct nsh *ns, const char *ifname)
{
	struct rtnl_link *link;
	struct nl_sock *sk;
	int r;

	r = link_rtnl(ns, &sk);
	if (r < 0)
		return r;
	link = rtnl_link_alloc();
	if (!link)
		return -ENOMEM;
	ifx_forget(ns, ifname);
	rtnl_link_set_name(link, ifname);
	r = link_errno(rtnl_link_delete(sk, link));
	rtnl_link_put(link);
	return r == -ENODEV || r == -ENOENT ? 0 : r;
}

int link_veth_add(struct nsh *a, const char *name_a, struct nsh *b,
		  const char *name_b)
{
	struct rtnl_link *link = NULL, *peer = NULL;
	struct nl_sock *sk;
	int r;

	if (strlen(name_a) >= IFNAMSIZ || strlen(name_b) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	r = link_rtnl(a, &sk);
	if (r < 0)
		return r;
	link = rtnl_link_veth_alloc();
	if (!link)
		return -ENOMEM;
	/* Whatever held these names before is not what will. */
	ifx_forget(a, name_a);
	ifx_forget(b, name_b);
	rtnl_link_set_name(link, name_a);
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(peer, name_b);
	/* The peer is created in b directly; IFF_UP must not be set on it
	 * here (the kernel then fails the request with ENOTCONN). */
	if (b != a) {
		r = nsh_fd(b);
		if (r < 0)
			goto out;
		rtnl_link_set_ns_fd(peer, r);
	}
	r = link_errno(rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL));
	/* Idempotent apply: the very pair we want is there already. */
	if (r == -EEXIST && veth_pair_exists(a, name_a, b, name_b))
		r = 0;
	/* A name held by anything else is a broken half of a pair: the
	 * other end's namespace was deleted and the kernel has not finished
	 * tearing it down, or was recreated. Both namespaces are the lab's,
	 * so the stale link goes and the pair is created again. */
	if (r == -EEXIST) {
		link_del(a, name_a);
		link_del(b, name_b);
		r = link_errno(rtnl_link_add(sk, link,
					     NLM_F_CREATE | NLM_F_EXCL));
	}
out:
	rtnl_link_put(peer);
	rtnl_link_veth_release(link);
	return r;
}

/* RTM_NEWLINK by name (ifindex 0) changing only IFF_UP: one round trip,
 * no lookup first. */
static int link_set_flags(struct nsh *ns, const char *ifname, bool up)
{
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_change = IFF_UP,
		.ifi_flags = up ? IFF_UP : 0,
	};
	struct nl_msg *msg;
	int r;

	if (strlen(ifname) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, IFLA_IFNAME, ifname) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	r = link_request(ns, msg, 0, 0);
	if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV)
		return -ENODEV;
	return link_errno(r);
}

int link_set_up(struct nsh *ns, const char *ifname)
{
	return link_set_flags(ns, ifname, true);
}

int link_set_down(struct nsh *ns, const char *ifname)
{
	return link_set_flags(ns, ifname, false);
}

/* The libnl object for addr/prefix on ifindex; *ret is the caller's
 * (rtnl_addr_put). Returns 0 or -errno. */
static int addr_object(int ifindex, uint32_t addr, uint8_t prefix,
		       struct rtnl_addr **ret)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	uint32_t be = htonl(addr);
	struct nl_addr *local = nl_addr_build(AF_INET, &be, sizeof(be));
	int r = 0;

	if (!a || !local) {
		r = -ENOMEM;
		goto out;
	}
	nl_addr_set_prefixlen(local, prefix);
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_family(a, AF_INET);
	r = link_errno(rtnl_addr_set_local(a, local));
	rtnl_addr_set_prefixlen(a, prefix);
out:
	if (local)
		nl_addr_put(local);
	if (r && a) {
		rtnl_addr_put(a);
		a = NULL;
	}
	*ret = a;
	return r;
}

/* Adds (add) or deletes addr/prefix on ifname; "already as planned" is
 * success either way. */
static int addr_change(struct nsh *ns, const char *ifname, uint32_t addr,
		       uint8_t prefix, bool add)
{
	struct rtnl_addr *a;
	struct nl_msg *msg;
	int ifindex, r;

	if (prefix > 32)
		return -EINVAL;
	ifindex = link_ifindex(ns, ifname);
	if (ifindex == -ENODEV && !add)
		return 0;	/* the device, and its addresses, are gone */
	if (ifindex < 0)
		return ifindex;
	r = addr_object(ifindex, addr, prefix, &a);
	if (r)
		return r;
	/* add: EEXIST comes only for the same local address and prefix on
	 * this device, exactly what we wanted. delete: EADDRNOTAVAIL, an
	 * address the kernel does not hold. */
	r = link_errno(add ? rtnl_addr_build_add_request(a, NLM_F_EXCL, &msg) :
			     rtnl_addr_build_delete_request(a, 0, &msg));
	if (!r)
		r = link_errno(link_request(ns, msg, add ? EEXIST : EADDRNOTAVAIL,
					    add ? 0 : ENOENT));
	if (add && r == -EEXIST)
		r = 0;
	if (!add && (r == -EADDRNOTAVAIL || r == -ENOENT))
		r = 0;
	rtnl_addr_put(a);
	return r;
}

int link_addr_add(struct nsh *ns, const char *ifname, uint32_t addr,
		  uint8_t prefix)
{
	return addr_change(ns, ifname, addr, prefix, true);
}

int link_addr_del(struct nsh *ns, const char *ifname, uint32_t addr,
		  uint8_t prefix)
{
	return addr_change(ns, ifname, addr, prefix, false);
}
