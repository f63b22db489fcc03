/* link.h - links and addresses inside a namespace (libnl-route-3).
 *
 * Every function takes the namespace handle first and works through its
 * rtnetlink socket; the calling thread never changes namespace. libnl's
 * -NLE_* codes are translated to -errno here, once (link_errno), for this
 * module and route.c. libnl 3.7 loses the kernel's error text, so
 * callers name the operation that failed.
 */
#ifndef VPCEMU_LINK_H
#define VPCEMU_LINK_H

#include <stddef.h>
#include <stdint.h>

struct nsh;
struct nl_msg;
struct nl_sock;

/* -NLE_* (or 0) to -errno (or 0). */
int link_errno(int nlerr);

/* The handle's rtnetlink socket (for route.c), opened inside the
 * namespace on first use and kept in the handle's slot. Owned by the
 * handle. Returns 0 or -errno. */
int link_rtnl(struct nsh *ns, struct nl_sock **ret);

/* Sends msg (taken: freed here) in ns: at once, waiting for the kernel's
 * answer, or queued when the handle queues (below). ok1 and ok2 are the
 * errnos (0: none) that mean "already so" for a queued request; a
 * waiting caller decides itself from the answer. Returns libnl's code:
 * 0 (always, when queued) or -NLE_*. For route.c. */
int link_request(struct nsh *ns, struct nl_msg *msg, int ok1, int ok2);

/* Queuing, for the executor: one sendmsg for many requests, as the floor
 * does, instead of a round trip each. After link_queue_start, the
 * requests of link_set_up/down, link_addr_add/del,
 * route_add/del and rule_add/del are queued and return 0; each carries
 * the tag last given to link_queue_tag (the operation's index). They go
 * out, in order, at link_queue_flush, when the queue is long, or before
 * any request that waits for its answer (a lookup, a veth) on the same
 * handle: on the same socket, order is kept. Requests on different
 * handles are not ordered: flush before one depends on another. Only
 * failures come back, and only at link_queue_flush, which returns the
 * first failure's -errno (the smallest tag, in *ret_tag), answers
 * meaning "already so" aside, or 0. link_queue_stop makes the handle wait
 * for each answer again (flush first). */
int link_queue_start(struct nsh *ns);
void link_queue_tag(struct nsh *ns, size_t tag);
int link_queue_flush(struct nsh *ns, size_t *ret_tag);
void link_queue_stop(struct nsh *ns);

/* Forgets every ifindex remembered for ns: links may have gone (other
 * namespaces, holding their peers, were deleted). */
void link_forget_all(struct nsh *ns);

/* Creates veth name_a in a with its peer name_b created directly in b (a
 * and b may be the same handle). Neither end is brought up: IFF_UP on a
 * peer placed in another namespace fails; use link_set_up on each end.
 * An existing pair a:name_a <-> b:name_b is success; any other object
 * holding either name is -EEXIST. Returns 0 or -errno. */
int link_veth_add(struct nsh *a, const char *name_a, struct nsh *b,
		  const char *name_b);

/* Deletes ifname in ns (a veth takes its peer along); a missing link is
 * fine. Returns 0 or -errno. */
int link_del(struct nsh *ns, const char *ifname);

/* Sets IFF_UP on ifname (or clears it); already so is success. Returns 0
 * or -errno (-ENODEV when it does not exist). */
int link_set_up(struct nsh *ns, const char *ifname);
int link_set_down(struct nsh *ns, const char *ifname);

/* ifindex of ifname (> 0), or -errno (-ENODEV when it does not exist). */
int link_ifindex(struct nsh *ns, const char *ifname);

/* Adds addr/prefix (host byte order) on ifname; the same address with the
 * same prefix already there is success. Returns 0 or -errno. */
int link_addr_add(struct nsh *ns, const char *ifname, uint32_t addr,
		  uint8_t prefix);

/* Removes addr/prefix from ifname; an address or a device that is not
 * there is success (the address went with it). Returns 0 or -errno. */
int link_addr_del(struct nsh *ns, const char *ifname, uint32_t addr,
		  uint8_t prefix);

#endif
