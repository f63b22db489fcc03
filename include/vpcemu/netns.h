/* netns.h - named network namespaces, made the way iproute2 makes them, and
 * one handle per namespace for the modules that work inside it.
 *
 * A namespace NAME is a bind mount of an nsfs inode on /run/netns/NAME, so
 * `ip netns exec NAME` and `ip -n NAME` work on it. A struct nsh holds an
 * open fd of the namespace and one slot per module that works inside it:
 * link.c keeps its rtnetlink socket there (route.c borrows it), nft.c its
 * nftables context. This module knows namespaces only, never what the
 * slots hold, so that the modules above depend on it and not the other
 * way round. Sockets stay bound to the namespace they were created in, so
 * the calling thread never has to stay inside: every function that enters
 * a namespace leaves it again before returning, on every path.
 *
 * Every handle pins its namespace: close it (nsh_close) before deleting the
 * namespace or the kernel cannot destroy it.
 *
 * Not thread-safe per handle; different handles may be used from different
 * threads (nftables calls are serialized in nft.c).
 */
#ifndef VPCEMU_NETNS_H
#define VPCEMU_NETNS_H

#include <stdbool.h>
#include <stddef.h>

#define NETNS_RUN_DIR "/run/netns"
#define NETNS_ETC_DIR "/etc/netns"

struct nsh;

/* Creates namespace name (a valid file name, no '/'). An existing one is
 * an error (-EEXIST) unless exist_ok; a mount point left empty by a crash
 * is completed. Returns 0 or -errno. */
int netns_create(const char *name, bool exist_ok);

/* The same for many namespaces: netns_dir_lock prepares /run/netns (shared
 * mount) and holds its lock until netns_dir_unlock (NULL is fine), so a lab
 * pays for that once, not per namespace. Meanwhile other creators (ours,
 * `ip netns add`) wait: keep the section short. Return 0 or -errno. */
struct netns_dir;
int netns_dir_lock(struct netns_dir **ret);
int netns_dir_create(struct netns_dir *d, const char *name, bool exist_ok);
void netns_dir_unlock(struct netns_dir *d);

/* Opens a handle on namespace name; *ret is the caller's (nsh_close).
 * Returns 0, -ENOENT when it does not exist, or -errno. */
int netns_open(const char *name, struct nsh **ret);

/* Closes the handle and releases its slots. NULL is fine. */
void nsh_close(struct nsh *ns);
/* Closing a handle whose nftables context has just committed a change
 * waits until the kernel frees the replaced rules (the socket's release
 * flushes nf_tables' destroy work, an RCU grace period: 15-20 ms here),
 * although the new rules are in force already. A long-running process
 * (vpcemud) takes that wait off its replies: with nsh_defer_close(true),
 * nsh_close only queues handles with a lingering slot (nftables), and
 * nsh_close_deferred closes the queue (after the reply went). Deleting namespaces (netns_delete,
 * netns_reap_begin) closes the queue first, since handles pin them.
 * Turning it off closes the queue. Not thread-safe. */
void nsh_defer_close(bool on);
void nsh_close_deferred(void);

/* Name given to netns_open; owned by the handle. */
const char *nsh_name(const struct nsh *ns);

/* The namespace's fd (owned by the handle), e.g. for IFLA_NET_NS_FD;
 * a lean handle opens it again here and keeps it. -errno when it cannot. */
int nsh_fd(struct nsh *ns);

/* Lean handles: netns_open checks the namespace but keeps no fd of it,
 * and netns_run opens one for the call only. A handle's rtnetlink socket
 * pins its namespace by itself, so a lab whose handles would need more
 * descriptors than RLIMIT_NOFILE allows (two per namespace) still runs:
 * 10,080 namespaces under a hard limit of 20,000. Off by default; the
 * executor turns it on for such a run. Not thread-safe: set it before
 * other threads use handles. */
void nsh_lean(bool on);

/* A module's per-namespace object. nsh_slot_get returns it (NULL until
 * set); nsh_slot_set hands obj to the handle, which calls release(obj)
 * when it closes (later slots first). lingering: releasing it is slow
 * (an nftables socket after a commit, see nsh_defer_close), so a deferred
 * close queues the handle. */
enum nsh_slot {
	NSH_SLOT_LINK,		/* link.c: rtnetlink socket, ifindexes */
	NSH_SLOT_NFT,		/* nft.c: nftables context */
	NSH_SLOT__COUNT,
};
void *nsh_slot_get(const struct nsh *ns, enum nsh_slot slot);
void nsh_slot_set(struct nsh *ns, enum nsh_slot slot, void *obj,
		  void (*release)(void *obj), bool lingering);

/* Removes /run/netns/name (unmount, unlink). A missing one is fine. The
 * kernel destroys the namespace asynchronously once nothing pins it; see
 * netns_delete_wait. Returns 0 or -errno. */
int netns_delete(const char *name);

/* Removes every namespace of names in a tight loop, then waits until the
 * kernel has destroyed each of them (devices included), at most timeout_ms.
 * Missing ones are fine. Returns 0; -ETIMEDOUT when one is still alive
 * (something pins it: a process inside, an open fd or socket), with
 * *ret_alive (if given) pointing into names at the first such name; or
 * -errno. */
int netns_delete_wait(char *const *names, size_t n, int timeout_ms,
		      const char **ret_alive);

/* The same in two steps, so that the caller can work (remove files)
 * while the kernel destroys the namespaces. netns_reap_begin removes them
 * all and sets *ret (even on error, then covering those removed so far;
 * NULL only on allocation failure); netns_reap_wait waits as above;
 * netns_reap_free releases *ret (NULL is fine). names must outlive it. */
struct netns_reap;
int netns_reap_begin(char *const *names, size_t n, struct netns_reap **ret);
int netns_reap_wait(struct netns_reap *rp, int timeout_ms,
		    const char **ret_alive);
void netns_reap_free(struct netns_reap *rp);

/* true when /run/netns/name is a mounted network namespace. */
bool netns_exists(const char *name);

/* Runs fn(data) with the calling thread inside ns, and returns its result.
 * The thread is back in its own namespace when this returns. Returns
 * fn's result or -errno when entering failed. */
int netns_run(struct nsh *ns, int (*fn)(void *data), void *data);

/* Writes value to /proc/sys/path inside ns ("net/ipv4/ip_forward", "1").
 * Returns 0 or -errno. */
int netns_sysctl_write(struct nsh *ns, const char *path, const char *value);

/* The same in the calling thread's current namespace: for callers already
 * inside netns_run that write several values at once. */
int netns_sysctl_write_here(const char *path, const char *value);

/* The same through a directory fd of sys/net opened inside the namespace
 * (netns_sysctl_net_here, the caller closes it) in a procfs instance of its
 * own: under the shared /proc, the first lookup of "ipv4" or "ipv6" in a
 * namespace compares against every namespace's (their dentries share one
 * hash chain), quadratic in the namespaces alive; a private instance keeps
 * it to this namespace's. netfd < 0 or a path outside net/: as
 * netns_sysctl_write_here. Return 0 (a fd) or -errno. */
int netns_sysctl_net_here(void);
int netns_sysctl_write_at(int netfd, const char *path, const char *value);

#endif
