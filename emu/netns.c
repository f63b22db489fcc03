/* netns.c - named network namespaces and the per-namespace handle.
 *
 * Creation follows iproute2 (ip/ipnetns.c netns_add): /run/netns is a
 * shared mount prepared under flock, each namespace is an nsfs bind mount
 * on an empty file created with O_EXCL. The calling thread unshares a new
 * namespace, binds /proc/thread-self/ns/net (not /proc/self: that is the
 * main thread's) and setns()es back to the fd it saved first.
 *
 * Deletion is asynchronous in the kernel: the last unmount queues the
 * namespace on a single ordered workqueue (netns_wq, cleanup_net) which
 * unregisters its devices in batches. netns_delete_wait observes that
 * without pinning anything; see the comment above it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/select.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <linux/net_namespace.h>
#include <linux/nsfs.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "vpcemu/netns.h"
#include "vpcemu/util.h"

#define SELF_NETNS "/proc/thread-self/ns/net"
/* NL_DUMP_BUF is newer than our libmnl: same value. */
#define NL_DUMP_BUF 32768

struct nsh_slot_entry {
	void *obj;
	void (*release)(void *obj);
	bool lingering;
};

struct nsh {
	char *name;
	int fd;
	struct nsh_slot_entry slot[NSH_SLOT__COUNT];
	struct nsh *next_closing;	/* deferred.list */
};

/* nsh_lean: handles drop their namespace fd once open (netns.h). */
static bool lean;

/* Handles whose closing waits for nsh_close_deferred (nsh_defer_close). */
static struct {
	bool on;
	struct nsh *list;
} deferred;

/* A namespace name becomes a file name under /run/netns and /etc/netns. */
static int netns_path(const char *name, char *buf, size_t len)
{
	int n;

	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s", NETNS_RUN_DIR, name);
	if (n < 0 || (size_t)n >= len || strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* Moves the calling thread into the namespace of fd; *ret_home is the fd
 * of the namespace it came from, for ns_leave. */
static int ns_enter(int fd, int *ret_home)
{
	int home;

	home = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	if (home < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0) {
		int r = -errno;

		close(home);
		return r;
	}
	*ret_home = home;
	return 0;
}

/* Back home. setns() to a namespace we hold an fd of cannot really fail;
 * if it ever does the caller must report it, never ignore it. */
static int ns_leave(int home)
{
	int r = 0;

	if (setns(home, CLONE_NEWNET) < 0)
		r = -errno;
	close(home);
	return r;
}

static bool fd_is_netns(int fd)
{
	return ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET;
}

/* Makes /run/netns a shared mount, so that namespaces mounted below
 * propagate to `ip netns exec` children (which make / a slave), and takes
 * its lock: concurrent preparations (ours or ip's) would otherwise stack
 * bind mounts, and two creators of one name would both mount on it.
 * Returns the locked directory fd. Done once per batch of creations
 * (netns_dir_lock), not per namespace. */
static int run_dir_lock(void)
{
	bool bound = false;
	int dfd, r;

	dfd = open(NETNS_RUN_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT) {
		if (mkdir(NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST)
			return -errno;
		dfd = open(NETNS_RUN_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (dfd < 0)
		return -errno;
	if (flock(dfd, LOCK_EX) < 0)
		goto fail;
	while (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
		/* EINVAL: not a mount point yet; bind it onto itself once. */
		if (errno != EINVAL || bound)
			goto fail;
		if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none",
			  MS_BIND | MS_REC, NULL) < 0)
			goto fail;
		bound = true;
	}
	/* dfd stays valid after a bind made above: the same directory,
	 * and mount targets are given by path (through the new mount). */
	return dfd;
fail:
	r = -errno;
	close(dfd);
	return r;
}

struct netns_dir {
	int dfd;		/* /run/netns, locked */
	int home;		/* the caller's namespace */
};

int netns_dir_lock(struct netns_dir **ret)
{
	struct netns_dir *d;
	int r;

	*ret = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->home = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	if (d->home < 0) {
		r = -errno;
		free(d);
		return r;
	}
	d->dfd = run_dir_lock();
	if (d->dfd < 0) {
		r = d->dfd;
		close(d->home);
		free(d);
		return r;
	}
	*ret = d;
	return 0;
}

void netns_dir_unlock(struct netns_dir *d)
{
	if (!d)
		return;
	close(d->dfd);		/* drops the lock */
	close(d->home);
	free(d);
}

int netns_dir_create(struct netns_dir *d, const char *name, bool exist_ok)
{
	char path[PATH_MAX];
	int fd, r;
	bool created = false;

	r = netns_path(name, path, sizeof(path));
	if (r < 0)
		return r;
	fd = openat(d->dfd, name, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		if (r != -EEXIST || !exist_ok)
			return r;
		fd = openat(d->dfd, name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (fd_is_netns(fd)) {
			close(fd);
			return 0;
		}
		/* An empty mount point: a creation was interrupted. Finish
		 * it rather than fail forever on this name. */
	} else {
		created = true;
	}
	close(fd);

	r = 0;
	if (unshare(CLONE_NEWNET) < 0) {
		r = -errno;
		goto out;
	}
	if (mount(SELF_NETNS, path, "none", MS_BIND, NULL) < 0)
		r = -errno;
	if (setns(d->home, CLONE_NEWNET) < 0 && !r)
		r = -errno;
out:
	if (r < 0 && created)
		unlinkat(d->dfd, name, 0);
	return r;
}

int netns_create(const char *name, bool exist_ok)
{
	struct netns_dir *d;
	int r;

	/* The lock is held across the whole creation so that two callers
	 * with exist_ok never both mount on the same file. */
	r = netns_dir_lock(&d);
	if (r < 0)
		return r;
	r = netns_dir_create(d, name, exist_ok);
	netns_dir_unlock(d);
	return r;
}

bool netns_exists(const char *name)
{
	char path[PATH_MAX];
	bool ok;
	int fd;

	if (netns_path(name, path, sizeof(path)) < 0)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = fd_is_netns(fd);
	close(fd);
	return ok;
}

/* An fd of the namespace mounted as name (placed high), or -errno. */
static int netns_open_fd(const char *name)
{
	char path[PATH_MAX];
	int fd, r;

	r = netns_path(name, path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!fd_is_netns(fd)) {
		/* A bare mount point: nothing is mounted there. */
		close(fd);
		return -ENOENT;
	}
	return fd_move_high(fd);
}

int netns_open(const char *name, struct nsh **ret)
{
	struct nsh *ns = NULL;
	int r;

	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	ns->fd = -1;
	ns->name = strdup(name);
	if (!ns->name) {
		r = -ENOMEM;
		goto fail;
	}
	ns->fd = netns_open_fd(name);
	if (ns->fd < 0) {
		r = ns->fd;
		goto fail;
	}
	if (lean) {
		close(ns->fd);
		ns->fd = -1;
	}
	*ret = ns;
	return 0;
fail:
	nsh_close(ns);
	return r;
}

void nsh_lean(bool on)
{
	lean = on;
}

/* Slots go in reverse order (nftables before the rtnetlink socket, as
 * they were made), the namespace fd last. */
static void nsh_close_now(struct nsh *ns)
{
	int i;

	for (i = NSH_SLOT__COUNT - 1; i >= 0; i--)
		if (ns->slot[i].obj && ns->slot[i].release)
			ns->slot[i].release(ns->slot[i].obj);
	if (ns->fd >= 0)
		close(ns->fd);
	free(ns->name);
	free(ns);
}

static bool nsh_lingering(const struct nsh *ns)
{
	int i;

	for (i = 0; i < NSH_SLOT__COUNT; i++)
		if (ns->slot[i].obj && ns->slot[i].lingering)
			return true;
	return false;
}

void nsh_close(struct nsh *ns)
{
	if (!ns)
		return;
	if (!deferred.on || !nsh_lingering(ns)) {
		nsh_close_now(ns);
		return;
	}
	ns->next_closing = deferred.list;
	deferred.list = ns;
}

void nsh_defer_close(bool on)
{
	deferred.on = on;
	if (!on)
		nsh_close_deferred();
}

void nsh_close_deferred(void)
{
	struct nsh *ns;

	if (!deferred.list)
		return;
	while ((ns = deferred.list)) {
		deferred.list = ns->next_closing;
		nsh_close_now(ns);
	}
	/* The nftables contexts just released held their rulesets' caches:
	 * after the up of 5,000 instances, 42 MB that glibc kept resident
	 * (it returns only the top of a heap by itself), vpcemud's RSS
	 * growing 11.5 KiB per instance instead of 4. */
	malloc_trim(0);
}

const char *nsh_name(const struct nsh *ns)
{
	return ns->name;
}

int nsh_fd(struct nsh *ns)
{
	if (ns->fd < 0)
		ns->fd = netns_open_fd(ns->name);
	return ns->fd;
}

void *nsh_slot_get(const struct nsh *ns, enum nsh_slot slot)
{
	return slot < NSH_SLOT__COUNT ? ns->slot[slot].obj : NULL;
}

void nsh_slot_set(struct nsh *ns, enum nsh_slot slot, void *obj,
		  void (*release)(void *obj), bool lingering)
{
	if (slot >= NSH_SLOT__COUNT)
		return;
	ns->slot[slot] = (struct nsh_slot_entry){
		.obj = obj, .release = release, .lingering = lingering,
	};
}

int netns_run(struct nsh *ns, int (*fn)(void *data), void *data)
{
	int home = -1, fd = ns->fd, r, r2;

	/* A lean handle's fd lives only as long as this call. */
	if (fd < 0)
		fd = netns_open_fd(ns->name);
	if (fd < 0)
		return fd;
	r = ns_enter(fd, &home);
	if (fd != ns->fd)
		close(fd);
	if (r < 0)
		return r;
	r = fn(data);
	r2 = ns_leave(home);
	return r2 < 0 ? r2 : r;
}


/* Writes value to the sysctl file fd (one write: the kernel takes the value
 * whole) and closes fd. Returns 0 or -errno. */
static int sysctl_write_fd(int fd, const char *value)
{
	size_t len = strlen(value);
	ssize_t w = write(fd, value, len);
	int r = w < 0 ? -errno : (size_t)w != len ? -EIO : 0;

	close(fd);
	return r;
}

int netns_sysctl_write_here(const char *path, const char *value)
{
	char file[PATH_MAX];
	int fd, n;

	if (!*path || path[0] == '/' || strstr(path, ".."))
		return -EINVAL;
	n = snprintf(file, sizeof(file), "/proc/sys/%s", path);
	if (n < 0 || (size_t)n >= sizeof(file))
		return -ENAMETOOLONG;
	/* /proc/sys/net follows the opener's network namespace (/sys does
	 * not follow setns). */
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return sysctl_write_fd(fd, value);
}

/* A procfs instance of our own, mounted nowhere (fsopen + fsmount), or
 * -errno. Under the shared /proc, every network namespace that was ever
 * looked into leaves its own dentries for "ipv4", "ipv6"... under the one
 * /proc/sys/net dentry, all in one hash chain, and the first lookup in a
 * new namespace compares against each (proc_sys_compare): quadratic in
 * the namespaces alive. A fresh instance has a net dentry of its own, whose
 * only children are this namespace's; closing it frees them. */
static int proc_private(void)
{
	int fs, mnt, e;

	fs = fsopen("proc", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	mnt = fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) ? -1 :
	      fsmount(fs, FSMOUNT_CLOEXEC, 0);
	e = errno;
	close(fs);
	return mnt < 0 ? -e : mnt;
}

int netns_sysctl_net_here(void)
{
	int mnt = proc_private(), fd;

	/* Where procfs cannot be mounted (no CAP_SYS_ADMIN), the shared one. */
	if (mnt >= 0) {
		fd = openat(mnt, "sys/net", O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(mnt);
	} else {
		fd = open("/proc/sys/net", O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

int netns_sysctl_write_at(int netfd, const char *path, const char *value)
{
	int fd;

	if (netfd < 0 || strncmp(path, "net/", 4))
		return netns_sysctl_write_here(path, value);
	if (!path[4] || strstr(path, ".."))
		return -EINVAL;
	fd = openat(netfd, path + 4, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return sysctl_write_fd(fd, value);
}

struct sysctl_args {
	const char *path;
	const char *value;
};

static int sysctl_fn(void *data)
{
	struct sysctl_args *a = data;

	return netns_sysctl_write_here(a->path, a->value);
}

int netns_sysctl_write(struct nsh *ns, const char *path, const char *value)
{
	struct sysctl_args a = { .path = path, .value = value };

	return netns_run(ns, sysctl_fn, &a);
}

int netns_delete(const char *name)
{
	char path[PATH_MAX];
	int r;

	nsh_close_deferred();	/* they may pin it */
	r = netns_path(name, path, sizeof(path));
	if (r < 0)
		return r;
	/* EINVAL: a bare mount point (interrupted creation); unlink it. */
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL &&
	    errno != ENOENT)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Waiting for the kernel to destroy namespaces, without pinning them.
 *
 * Any fd or socket of a namespace keeps it alive, so it cannot be watched
 * from inside. Instead a throwaway, unnamed watcher namespace W assigns
 * each doomed namespace a peer id (RTM_NEWNSID with NETNSA_FD; an nsid
 * holds no reference). cleanup_net() removes the ids of the namespaces it
 * destroys and sends RTM_DELNSID to W; it does so at the start of the
 * batch, before devices are unregistered. For the devices, W holds one
 * end of a sentinel veth whose other end lives in the namespace unmounted
 * last: netns_wq is an ordered workqueue, so when that end goes (RTM_DELLINK
 * in W) every earlier batch has finished and the last one has unregistered
 * its devices, all at once (default_device_exit_batch). That is what the
 * bench's floor waits for too; the end of the batch (RCU barriers, tens of
 * ms) is not waited for. Without a sentinel (it could not be made), a
 * barrier namespace dropped once every id is gone stands in: its
 * RTM_DELNSID means the earlier batch has finished. The host namespace is
 * never touched. Notifications are hints; dumps of W's ids (RTM_GETNSID)
 * and links are the truth, re-read when the event socket overflowed.
 */
struct watch {
	struct mnl_socket *ev;	/* RTNLGRP_NSID and _LINK listener in W */
	struct mnl_socket *rq;	/* requests and dumps in W */
	unsigned int seq;
	bool *pending;		/* by nsid; the last: sentinel/barrier */
	size_t npending;	/* ids (and sentinel) still alive */
	size_t nids;
	bool sentinel;		/* made: the last slot stands for it */
};

#define SENTINEL "reap"		/* W's end; only lo besides it in W */
#define LO_IFINDEX 1		/* lo: the first device of every netns */

static int watch_open(struct watch *w, size_t nids)
{
	int home = -1, r = 0, grp = RTNLGRP_NSID, lgrp = RTNLGRP_LINK;
	int buf = 1 << 20;

	w->pending = calloc(nids ? nids : 1, sizeof(*w->pending));
	if (!w->pending)
		return -ENOMEM;
	w->nids = nids;
	home = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	if (home < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) < 0) {
		r = -errno;
		close(home);
		return r;
	}
	w->ev = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	w->rq = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!w->ev || !w->rq || mnl_socket_bind(w->ev, 0, 0) < 0 ||
	    mnl_socket_bind(w->rq, 0, 0) < 0 ||
	    mnl_socket_setsockopt(w->ev, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0 ||
	    mnl_socket_setsockopt(w->ev, NETLINK_ADD_MEMBERSHIP, &lgrp,
				  sizeof(lgrp)) < 0)
		r = -errno;
	/* Overflow is survivable (we re-dump), but rare is better: one
	 * notification per namespace arrives in a burst. */
	if (!r)
		setsockopt(mnl_socket_get_fd(w->ev), SOL_SOCKET, SO_RCVBUFFORCE,
			   &buf, sizeof(buf));
	if (setns(home, CLONE_NEWNET) < 0 && !r)
		r = -errno;
	close(home);
	return r;
}

static void watch_close(struct watch *w)
{
	/* Closing the sockets drops W; its own destruction is not waited
	 * for: it holds nothing but lo. */
	if (w->ev)
		mnl_socket_close(w->ev);
	if (w->rq)
		mnl_socket_close(w->rq);
	free(w->pending);
}

static int ack_cb(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_OK;
}

/* Sends one request on w->rq and reads until its ack or dump end, calling
 * cb for data messages. Returns 0 or -errno (the kernel's). */
static int watch_talk(struct watch *w, struct nlmsghdr *nlh, mnl_cb_t cb,
		      void *data)
{
	char buf[NL_DUMP_BUF];
	unsigned int portid = mnl_socket_get_portid(w->rq);
	ssize_t n;
	int r;

	nlh->nlmsg_seq = ++w->seq;
	if (mnl_socket_sendto(w->rq, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(w->rq, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		r = mnl_cb_run(buf, n, w->seq, portid, cb ? cb : ack_cb, data);
		if (r < 0)
			return -errno;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

/* A request of type in buf, with flags and a family header of hdrlen
 * bytes, zeroed: family AF_UNSPEC. */
static struct nlmsghdr *watch_req(char *buf, uint16_t type, uint16_t flags,
				  size_t hdrlen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	mnl_nlmsg_put_extra_header(nlh, hdrlen);
	return nlh;
}

static int watch_assign(struct watch *w, int fd, int32_t nsid)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = watch_req(buf, RTM_NEWNSID, NLM_F_ACK, sizeof(struct rtgenmsg));
	mnl_attr_put_u32(nlh, NETNSA_FD, fd);
	mnl_attr_put_u32(nlh, NETNSA_NSID, nsid);
	return watch_talk(w, nlh, NULL, NULL);
}

static int32_t nsid_of(const struct nlmsghdr *nlh)
{
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct rtgenmsg))
		if (mnl_attr_get_type(a) == NETNSA_NSID &&
		    mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			return (int32_t)mnl_attr_get_u32(a);
	return -1;
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	bool *alive = data;
	int32_t id = nsid_of(nlh);

	if (nlh->nlmsg_type == RTM_NEWNSID && id >= 0)
		alive[id] = true;
	return MNL_CB_OK;
}

static int link_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	bool *present = data;

	if (nlh->nlmsg_type == RTM_NEWLINK && ifi->ifi_index != LO_IFINDEX)
		*present = true;
	return MNL_CB_OK;
}

/* Whether the sentinel still exists in W (anything but lo). */
static int sentinel_present(struct watch *w, bool *present)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	*present = false;
	return watch_talk(w, watch_req(buf, RTM_GETLINK, NLM_F_DUMP,
				       sizeof(struct ifinfomsg)),
			  link_dump_cb, present);
}

/* Re-reads which ids W still knows, and whether the sentinel is there. */
static int watch_resync(struct watch *w)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	bool *alive, present;
	size_t i;
	int r;

	alive = calloc(w->nids, sizeof(*alive));
	if (!alive)
		return -ENOMEM;
	r = watch_talk(w, watch_req(buf, RTM_GETNSID, NLM_F_DUMP,
				    sizeof(struct rtgenmsg)),
		       dump_cb, alive);
	if (r == 0 && w->sentinel && w->pending[w->nids - 1]) {
		r = sentinel_present(w, &present);
		alive[w->nids - 1] = present;
	}
	if (r == 0) {
		for (i = 0; i < w->nids; i++) {
			if (w->pending[i] && !alive[i]) {
				w->pending[i] = false;
				w->npending--;
			}
		}
	}
	free(alive);
	return r;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until no id is pending or the deadline passes. */
static int watch_wait(struct watch *w, int64_t deadline)
{
	char buf[NL_DUMP_BUF];
	struct pollfd pfd = { .fd = mnl_socket_get_fd(w->ev), .events = POLLIN };
	struct nlmsghdr *nlh;
	ssize_t n;
	int r, left, len;

	/* Some may be gone before we listened closely: start from truth. */
	r = watch_resync(w);
	while (r == 0 && w->npending) {
		left = (int)(deadline - now_ms());
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, left);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		r = 0;
		n = recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS) {
				/* Lost notifications: ask again. */
				r = watch_resync(w);
			} else if (errno != EAGAIN && errno != EINTR) {
				r = -errno;
			}
			continue;
		}
		len = (int)n;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			int32_t id = nsid_of(nlh);

			/* W's only link besides lo is the sentinel. */
			if (nlh->nlmsg_type == RTM_DELLINK && w->sentinel &&
			    ((const struct ifinfomsg *)
				     mnl_nlmsg_get_payload(nlh))->ifi_index !=
				    LO_IFINDEX)
				id = (int32_t)w->nids - 1;
			else if (nlh->nlmsg_type != RTM_DELNSID)
				continue;
			if (id < 0 || (size_t)id >= w->nids || !w->pending[id])
				continue;
			w->pending[id] = false;
			w->npending--;
		}
	}
	return r;
}

/* A veth with its end SENTINEL in W and the other in namespace fd,
 * created in place (no move). Returns 0 or -errno. */
static int watch_sentinel(struct watch *w, int fd)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *linkinfo, *data, *peer;
	struct nlmsghdr *nlh;
	int r;

	nlh = watch_req(buf, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
			sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, SENTINEL);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer's own ifinfomsg, zeroed: AF_UNSPEC. */
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "vpcemu-" SENTINEL);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)fd);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	r = watch_talk(w, nlh, NULL, NULL);
	if (r == 0) {
		w->sentinel = true;
		w->pending[w->nids - 1] = true;
		w->npending++;
	}
	return r;
}

/* Creates an empty namespace, gives it id nsid in W and drops it. */
static int watch_barrier(struct watch *w, int32_t nsid)
{
	int home, fd = -1, r = 0;

	home = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	if (home < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) < 0) {
		r = -errno;
		close(home);
		return r;
	}
	fd = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		r = -errno;
	if (setns(home, CLONE_NEWNET) < 0 && !r)
		r = -errno;
	close(home);
	if (fd < 0)
		return r;
	if (!r)
		r = watch_assign(w, fd, nsid);
	close(fd);		/* the last reference: B is queued now */
	if (!r) {
		w->pending[nsid] = true;
		w->npending++;
	}
	return r;
}

struct netns_reap {
	struct watch w;
	char *const *names;
	size_t n;
};

int netns_reap_begin(char *const *names, size_t n, struct netns_reap **ret)
{
	struct netns_reap *rp;
	char path[PATH_MAX];
	int fd, last = -1, r, r2;
	size_t i;

	*ret = NULL;
	nsh_close_deferred();	/* they may pin some */
	rp = calloc(1, sizeof(*rp));
	if (!rp)
		return -ENOMEM;
	rp->names = names;
	rp->n = n;
	/* ids 0..n-1 for the names, n for the sentinel or the barrier */
	r = watch_open(&rp->w, n + 1);
	if (r < 0)
		goto out;
	for (i = 0; i < n; i++) {
		r = netns_path(names[i], path, sizeof(path));
		if (r < 0)
			goto out;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && !fd_is_netns(fd)) {
			close(fd);
			fd = -1;
		}
		if (fd < 0)
			continue;
		r2 = watch_assign(&rp->w, fd, (int32_t)i);
		/* EEXIST: the same namespace under another name, already
		 * watched. */
		if (r2 == 0) {
			rp->w.pending[i] = true;
			rp->w.npending++;
		} else if (r2 != -EEXIST) {
			r = r2;
		}
		/* The one unmounted last gets the sentinel. */
		if (last >= 0)
			close(last);
		last = fd;
		if (r < 0)
			goto out;
	}
	/* Without it, the barrier stands in (netns_reap_wait). */
	if (last >= 0)
		watch_sentinel(&rp->w, last);
	/* Then unmount in a tight loop, as the floor does: cleanup_net
	 * takes every namespace queued when it starts a batch, and each
	 * batch costs RCU grace periods of its own. */
	for (i = 0; i < n; i++) {
		r = netns_delete(names[i]);
		if (r < 0)
			goto out;
	}
out:
	if (last >= 0)
		close(last);
	/* Even on error the caller may wait for what was removed. */
	*ret = rp;
	return r;
}

int netns_reap_wait(struct netns_reap *rp, int timeout_ms,
		    const char **ret_alive)
{
	int64_t deadline = now_ms() + timeout_ms;
	size_t i;
	int r;

	if (ret_alive)
		*ret_alive = NULL;
	if (!rp || !rp->w.ev || !rp->w.rq)
		return -EBADF;	/* watch_open failed: nothing to wait on */
	r = watch_wait(&rp->w, deadline);
	if (r == -ETIMEDOUT && ret_alive) {
		for (i = 0; i < rp->n; i++) {
			if (rp->w.pending[i]) {
				*ret_alive = rp->names[i];
				break;
			}
		}
	}
	if (r < 0 || rp->w.sentinel)
		return r;
	r = watch_barrier(&rp->w, (int32_t)rp->n);
	if (r < 0)
		return r;
	return watch_wait(&rp->w, deadline);
}

void netns_reap_free(struct netns_reap *rp)
{
	if (!rp)
		return;
	watch_close(&rp->w);
	free(rp);
}

int netns_delete_wait(char *const *names, size_t n, int timeout_ms,
		      const char **ret_alive)
{
	struct netns_reap *rp = NULL;
	int r;

	if (ret_alive)
		*ret_alive = NULL;
	r = netns_reap_begin(names, n, &rp);
	if (r >= 0)
		r = netns_reap_wait(rp, timeout_ms, ret_alive);
	netns_reap_free(rp);
	return r;
}
