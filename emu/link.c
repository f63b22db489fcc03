/* link.c - veth pairs, link state and addresses inside a namespace.
 *
 * Works through the handle's rtnetlink socket (netns.c), which lives in the
 * namespace; the calling thread stays where it is. Everything is created
 * in place: a veth end moved after creation costs 16-24 ms, created in its
 * namespace 0.5 ms (docs/perf-targets.md).
 */
#include <errno.h>
#include <stdbool.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <string.h>

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "vpcemu/link.h"
#include "vpcemu/netns.h"

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

/* Fetches ifname from the kernel; *ret is the caller's (rtnl_link_put). */
static int link_get(struct nsh *ns, const char *ifname, struct rtnl_link **ret)
{
	struct nl_sock *sk;
	int r;

	r = nsh_rtnl(ns, &sk);
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
		nsh_ifindex_remember(data, name, rtnl_link_get_ifindex(l));
}

/* One dump of the namespace's links into the handle's memory: a router
 * looks up every port once or twice per apply, one request each
 * otherwise. */
static int link_dump(struct nsh *ns)
{
	struct nl_cache *cache = NULL;
	struct nl_sock *sk;
	int r;

	r = nsh_rtnl(ns, &sk);
	if (r < 0)
		return r;
	r = link_errno(rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache));
	if (r < 0)
		return r;
	nl_cache_foreach(cache, remember_cb, ns);
	nl_cache_free(cache);
	return 0;
}

int link_ifindex(struct nsh *ns, const char *ifname)
{
	struct rtnl_link *l = NULL;
	int r;

	/* lo is ifindex 1 in every namespace (LOOPBACK_IFINDEX). */
	if (!strcmp(ifname, "lo"))
		return 1;
	r = nsh_ifindex_cached(ns, ifname);
	if (r > 0)
		return r;
	/* The first miss asks for the one (an apply often needs a single
	 * port of a router with a thousand); the second dumps everything
	 * (up needs them all); later misses (links created since) ask for
	 * the one again. */
	if (nsh_ifindex_miss(ns) == 1 && link_dump(ns) == 0) {
		r = nsh_ifindex_cached(ns, ifname);
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
	nsh_ifindex_remember(ns, ifname, r);
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

	r = nsh_rtnl(ns, &sk);
	if (r < 0)
		return r;
	link = rtnl_link_alloc();
	if (!link)
		return -ENOMEM;
	nsh_ifindex_remember(ns, ifname, 0);
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
	r = nsh_rtnl(a, &sk);
	if (r < 0)
		return r;
	link = rtnl_link_veth_alloc();
	if (!link)
		return -ENOMEM;
	/* Whatever held these names before is not what will. */
	nsh_ifindex_remember(a, name_a, 0);
	nsh_ifindex_remember(b, name_b, 0);
	rtnl_link_set_name(link, name_a);
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(peer, name_b);
	/* The peer is created in b directly; IFF_UP must not be set on it
	 * here (the kernel then fails the request with ENOTCONN). */
	if (b != a)
		rtnl_link_set_ns_fd(peer, nsh_fd(b));
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
	struct nl_sock *sk;
	int r;

	if (strlen(ifname) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	r = nsh_rtnl(ns, &sk);
	if (r < 0)
		return r;
	msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, IFLA_IFNAME, ifname) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	/* nl_send_sync frees msg and waits for the ack. */
	r = nl_send_sync(sk, msg);
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

int link_proxy_delay(struct nsh *ns, const char *ifname, uint64_t ms)
{
	struct ndtmsg ndt = { .ndtm_family = AF_INET };
	struct nlattr *parms;
	struct nl_msg *msg;
	struct nl_sock *sk;
	int ifindex, r;

	r = nsh_rtnl(ns, &sk);
	if (r < 0)
		return r;
	ifindex = link_ifindex(ns, ifname);
	if (ifindex < 0)
		return ifindex;
	msg = nlmsg_alloc_simple(RTM_SETNEIGHTBL, 0);
	if (!msg)
		return -ENOMEM;
	/* The device's parameters of the ARP table, as `ip ntable change
	 * name arp_cache dev DEV proxy_delay MS` sends them. */
	if (nlmsg_append(msg, &ndt, sizeof(ndt), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, NDTA_NAME, "arp_cache") < 0 ||
	    !(parms = nla_nest_start(msg, NDTA_PARMS)) ||
	    nla_put_u32(msg, NDTPA_IFINDEX, (uint32_t)ifindex) < 0 ||
	    nla_put_u64(msg, NDTPA_PROXY_DELAY, ms) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nla_nest_end(msg, parms);
	r = nl_send_sync(sk, msg);
	if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV)
		return -ENODEV;
	return link_errno(r);
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
	struct nl_sock *sk;
	int ifindex, r;

	if (prefix > 32)
		return -EINVAL;
	r = nsh_rtnl(ns, &sk);
	if (r < 0)
		return r;
	ifindex = link_ifindex(ns, ifname);
	if (ifindex == -ENODEV && !add)
		return 0;	/* the device, and its addresses, are gone */
	if (ifindex < 0)
		return ifindex;
	r = addr_object(ifindex, addr, prefix, &a);
	if (r)
		return r;
	if (add) {
		/* EEXIST comes only for the same local address and prefix
		 * on this device: exactly what we wanted. */
		r = link_errno(rtnl_addr_add(sk, a, NLM_F_EXCL));
		if (r == -EEXIST)
			r = 0;
	} else {
		/* EADDRNOTAVAIL: an address the kernel does not hold. */
		r = link_errno(rtnl_addr_delete(sk, a, 0));
		if (r == -EADDRNOTAVAIL || r == -ENOENT)
			r = 0;
	}
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
