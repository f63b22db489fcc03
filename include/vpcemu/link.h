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

#include <stdint.h>

struct nsh;
struct nl_sock;

/* -NLE_* (or 0) to -errno (or 0). */
int link_errno(int nlerr);

/* The handle's rtnetlink socket (for route.c), opened inside the
 * namespace on first use and kept in the handle's slot. Owned by the
 * handle. Returns 0 or -errno. */
int link_rtnl(struct nsh *ns, struct nl_sock **ret);

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

/* Sets the ARP proxy delay of ifname (neigh/IFNAME/proxy_delay, in ms
 * here) over rtnetlink (RTM_SETNEIGHTBL): no /proc/sys, no entering the
 * namespace. Returns 0 or -errno (-ENODEV when ifname does not exist). */
int link_proxy_delay(struct nsh *ns, const char *ifname, uint64_t ms);

/* Adds addr/prefix (host byte order) on ifname; the same address with the
 * same prefix already there is success. Returns 0 or -errno. */
int link_addr_add(struct nsh *ns, const char *ifname, uint32_t addr,
		  uint8_t prefix);

/* Removes addr/prefix from ifname; an address or a device that is not
 * there is success (the address went with it). Returns 0 or -errno. */
int link_addr_del(struct nsh *ns, const char *ifname, uint32_t addr,
		  uint8_t prefix);

#endif
