/* lab.c - the kernel executor: one operation list (diff.h) carried out,
 * whichever command made it (up: the diff from nothing; apply; down: the
 * namespaces removed whole).
 *
 * The only module that orders kernel work (lab.h). Each namespace gets
 * one handle, opened when an operation first needs it and used for all
 * its objects, closed at the end whatever happened: an open handle would
 * pin the namespace past teardown. Every operation tolerates what already
 * exists (or is already gone), so carrying out the same list twice
 * changes nothing.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>
#include <net/if.h>
#include <stdint.h>

#include "vpcemu/diff.h"
#include "vpcemu/lab.h"
#include "vpcemu/link.h"
#include "vpcemu/netns.h"
#include "vpcemu/nft.h"
#include "vpcemu/plan.h"
#include "vpcemu/procs.h"
#include "vpcemu/route.h"
#include "vpcemu/util.h"

#define LAB_TEARDOWN_TIMEOUT_MS 5000
#define LAB_SIDE_POLL_MS 20

/* lab_progress_set's listener, and whether the run under way is big
 * enough to tell it. */
static struct {
	lab_progress_fn fn;
	void *data;
	bool on;
} progress_to;

void lab_progress_set(lab_progress_fn fn, void *data)
{
	progress_to.fn = fn;
	progress_to.data = data;
}

static void progress(const char *stage, size_t done, size_t total)
{
	if (progress_to.on && progress_to.fn)
		progress_to.fn(stage, done, total, progress_to.data);
}

/* What the user is told an operation is part of. */
enum stage {
	STAGE_NS, STAGE_NS_DEL, STAGE_SYSCTL, STAGE_LINK, STAGE_ADDR,
	STAGE_ROUTE, STAGE_RULE, STAGE_NFT, STAGE_FILE, STAGE__COUNT,
};

static const char *const stage_names[STAGE__COUNT] = {
	"namespaces", "namespaces removed", "sysctls", "links", "addresses",
	"routes", "rules", "rulesets", "files",
};

static enum stage stage_of(enum diff_op_kind kind)
{
	switch (kind) {
	case DIFF_NS_ADD:
		return STAGE_NS;
	case DIFF_NS_DEL:
		return STAGE_NS_DEL;
	case DIFF_SYSCTL_SET:
		return STAGE_SYSCTL;
	case DIFF_VETH_DEL:
	case DIFF_VETH_ADD:
	case DIFF_VETH_UP:
	case DIFF_VETH_DOWN:
		return STAGE_LINK;
	case DIFF_ADDR_ADD:
	case DIFF_ADDR_DEL:
		return STAGE_ADDR;
	case DIFF_ROUTE_ADD:
	case DIFF_ROUTE_REPLACE:
	case DIFF_ROUTE_DEL:
		return STAGE_ROUTE;
	case DIFF_RULE_ADD:
	case DIFF_RULE_DEL:
		return STAGE_RULE;
	case DIFF_NFT_APPLY:
		return STAGE_NFT;
	default:
		return STAGE_FILE;
	}
}

/* Fills err with "WHAT: strerror" and returns r (a -errno). */
static int __attribute__((format(printf, 3, 4)))
lab_fail(struct diags *err, int r, const char *fmt, ...)
{
	struct strbuf sb = { 0 };
	va_list ap;
	char *m;

	if (!err)
		return r;
	va_start(ap, fmt);
	sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	sb_printf(&sb, ": %s", strerror(-r));
	m = sb_take(&sb);
	diag_error(err, (struct place){ 0 }, "Vpcemu.Kernel", "%s",
		   m ? m : strerror(-r));
	free(m);
	return r;
}

/* Host-order IPv4 to text; buf of INET_ADDRSTRLEN. */
static const char *ip_str(uint32_t addr, char *buf)
{
	uint32_t be = htonl(addr);

	return inet_ntop(AF_INET, &be, buf, INET_ADDRSTRLEN);
}

/* Every handle holds the namespace fd and the rtnetlink socket, placed
 * above FD_SETSIZE (netns.c), and routers an nftables socket below it.
 * Raise the soft limit when a big lab needs more: libnftables exit()s
 * instead of failing when it runs out. The hard limit too, when it is
 * below and root may (CAP_SYS_RESOURCE, up to fs.nr_open): a hard limit
 * of 20,000 stopped a 10,000-instance up half-way ("Too many open
 * files"). Returns false when the limit stays short: the run then uses
 * lean handles (nsh_lean). */
static bool lab_fd_headroom(size_t nns)
{
	struct rlimit rl;
	rlim_t want = FD_SETSIZE + (rlim_t)nns * 2 + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return true;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		struct rlimit hard = { .rlim_cur = want, .rlim_max = want };

		if (setrlimit(RLIMIT_NOFILE, &hard) == 0)
			return true;
	}
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ?
		      want : rl.rlim_max;
	return setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == want;
}

struct sysctl_batch {
	const struct plan *p;
	const size_t *idx;	/* entries of p->sysctls, one namespace */
	size_t n, failed;
};

static int sysctl_batch_fn(void *data)
{
	struct sysctl_batch *b = data;
	const struct plan_sysctl *s;
	int netfd, r = 0;
	size_t i;

	/* One private sys/net (netns.h) for the namespace's writes. */
	netfd = netns_sysctl_net_here();
	for (i = 0; i < b->n; i++) {
		s = &b->p->sysctls[b->idx[i]];
		r = netns_sysctl_write_at(netfd, s->path, s->value);
		if (r == -ENOENT && s->optional)
			r = 0;
		if (r < 0) {
			b->failed = i;
			break;
		}
	}
	if (netfd >= 0)
		close(netfd);
	return r;
}

/* Writes the entries idx[0..n) (all of namespace ns) in one visit of the
 * namespace. A device's proxy_delay went over rtnetlink once
 * (RTM_SETNEIGHTBL), but the kernel finds the device's parameters there
 * by walking those of every device of every namespace, newest first, and
 * up sets them after all the lab's veths exist: quadratic, a fifth of
 * vpcemud's time in the up of 10,000 instances. */
static int sysctls_in_ns(const struct plan *p, struct nsh *h, size_t *idx,
			 size_t n, struct diags *err)
{
	struct sysctl_batch b = { .p = p, .idx = idx, .n = n };
	const struct plan_sysctl *s;
	int r;

	r = netns_run(h, sysctl_batch_fn, &b);
	if (r < 0) {
		s = &p->sysctls[idx[b.failed]];
		return lab_fail(err, r, "set sysctl %s=%s in %s", s->path,
				s->value, p->ns[s->ns].name);
	}
	return 0;
}

static void table_str(uint32_t table, char *buf, size_t len)
{
	if (table == 254)
		snprintf(buf, len, "main");
	else
		snprintf(buf, len, "%u", table);
}

/* "route 10.2.0.0/16 dev pcx-1a2b3c4d table 1000 in lab-VPC-A" (or
 * "blackhole route ..."), for error messages. */
static const char *route_text(const struct plan *p, const struct plan_route *rt,
			      char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], tbl[16];

	table_str(rt->table, tbl, sizeof(tbl));
	if (rt->type == PLAN_ROUTE_BLACKHOLE)
		snprintf(buf, len, "blackhole route %s/%u table %s in %s",
			 ip_str(rt->dst.addr, ip), rt->dst.len, tbl,
			 p->ns[rt->ns].name);
	else
		snprintf(buf, len, "route %s/%u%s%s dev %s table %s in %s",
			 ip_str(rt->dst.addr, ip), rt->dst.len,
			 rt->gateway ? " via " : "",
			 rt->gateway ? ip_str(rt->gateway, gw) : "", rt->dev,
			 tbl, p->ns[rt->ns].name);
	return buf;
}

/* "rule pref 1000 iif eni-1a2b3c4d lookup 1000 in lab-VPC-A". */
static const char *rule_text(const struct plan *p, const struct plan_rule *ru,
			     char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN], tbl[16], dst[40], action[32];

	dst[0] = '\0';
	if (ru->dst.len)
		snprintf(dst, sizeof(dst), " to %s/%u",
			 ip_str(ru->dst.addr, ip), ru->dst.len);
	table_str(ru->table, tbl, sizeof(tbl));
	if (ru->action == PLAN_RULE_BLACKHOLE)
		snprintf(action, sizeof(action), "blackhole");
	else
		snprintf(action, sizeof(action), "lookup %s", tbl);
	snprintf(buf, len, "rule pref %u%s%s%s %s in %s", ru->pref,
		 ru->iif[0] ? " iif " : "", ru->iif, dst, action,
		 p->ns[ru->ns].name);
	return buf;
}

/* Applies ruleset n of p with handle h. */
static int lab_nft_one(const struct plan *p, const struct plan_nft *n,
		       struct nsh *h, struct diags *err)
{
	char *text = NULL;
	size_t len;
	int r;

	r = nftk_apply(h, n->ruleset, &text);
	if (r >= 0)
		return 0;
	if (text) {
		/* nft's first line says what and where. */
		len = strcspn(text, "\n");
		text[len] = '\0';
		r = lab_fail(err, r, "apply nftables ruleset in %s (%s)",
			     p->ns[n->ns].name, text);
	} else {
		r = lab_fail(err, r, "apply nftables ruleset in %s",
			     p->ns[n->ns].name);
	}
	free(text);
	return r;
}

/* /etc/netns/NS is a symlink to LAB_ETC_STORE/NS, a directory on a tmpfs:
 * removing directories from the root file system blocks in synchronous
 * discards here (ext4 mounted with discard, ~3 ms per rmdir), symlinks
 * there and files on tmpfs cost microseconds. `ip netns exec` and nsexec
 * follow the link. The store is mounted once per host (never per lab) when
 * /run is not a tmpfs already. */
#define LAB_ETC_STORE_PARENT "/run/vpcemu"
#define LAB_ETC_STORE LAB_ETC_STORE_PARENT "/etc"

/* The store's directory fd, mounting the tmpfs first if needed, under a
 * lock so that two processes never stack two mounts. Returns fd or -errno. */
static int etc_store_open(void)
{
	struct statfs st;
	int pfd, fd = -1, r = 0;

	if (mkdir(LAB_ETC_STORE_PARENT, 0755) < 0 && errno != EEXIST)
		return -errno;
	pfd = open(LAB_ETC_STORE_PARENT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (flock(pfd, LOCK_EX) < 0) {
		r = -errno;
		goto out;
	}
	if (mkdirat(pfd, "etc", 0755) < 0 && errno != EEXIST) {
		r = -errno;
		goto out;
	}
	if (statfs(LAB_ETC_STORE, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (st.f_type != TMPFS_MAGIC &&
	    mount("vpcemu-etc", LAB_ETC_STORE, "tmpfs",
		  MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755") < 0) {
		r = -errno;
		goto out;
	}
	fd = open(LAB_ETC_STORE, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		r = -errno;
out:
	close(pfd);		/* drops the lock */
	return r < 0 ? r : fd;
}

/* true when dfd/name holds exactly content. */
static bool file_same(int dfd, const char *name, const char *content)
{
	size_t len = strlen(content), got = 0;
	char buf[4096];
	bool same = false;
	ssize_t n;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		if (got + (size_t)n > len || memcmp(content + got, buf, n))
			goto out;
		got += (size_t)n;
	}
	same = n == 0 && got == len;
out:
	close(fd);
	return same;
}

static int write_all(int fd, const char *content)
{
	size_t len = strlen(content), off = 0;
	ssize_t w;

	while (off < len) {
		w = write(fd, content + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		off += (size_t)w;
	}
	return 0;
}

/* Writes dfd/name. In a directory that is new (fresh: nobody sees it yet)
 * directly; otherwise atomically (temporary file, rename), so that `ip
 * netns exec` never sees half a resolv.conf, and an identical file is left
 * alone. */
static int file_write(int dfd, const char *name, const char *content,
		      bool fresh)
{
	char tmp[NAME_MAX + 1];
	int fd, n, r;

	if (!*name || strchr(name, '/') || name[0] == '.')
		return -EINVAL;
	if (fresh) {
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			    0644);
		if (fd >= 0) {
			r = write_all(fd, content);
			if (close(fd) < 0 && !r)
				r = -errno;
			if (r < 0)
				unlinkat(dfd, name, 0);
			return r;
		}
		if (errno != EEXIST)
			return -errno;
	}
	n = snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	if (file_same(dfd, name, content))
		return 0;
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
			      O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = write_all(fd, content);
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && renameat(dfd, tmp, dfd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dfd, tmp, 0);
	return r;
}

static int rm_tree_at(int dfd, const char *name);

/* Makes etcfd/name the symlink to LAB_ETC_STORE/name, replacing whatever
 * else holds the name (a directory or file left there by hand). */
static int etc_link(int etcfd, const char *name)
{
	char target[PATH_MAX], cur[PATH_MAX];
	ssize_t n;
	int len, r;

	len = snprintf(target, sizeof(target), "%s/%s", LAB_ETC_STORE, name);
	if (len < 0 || (size_t)len >= sizeof(target))
		return -ENAMETOOLONG;
	if (symlinkat(target, etcfd, name) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	n = readlinkat(etcfd, name, cur, sizeof(cur));
	if (n == len && !memcmp(cur, target, (size_t)len))
		return 0;
	r = rm_tree_at(etcfd, name);
	if (r < 0)
		return r;
	return symlinkat(target, etcfd, name) < 0 ? -errno : 0;
}

/* Open directories for writing lab files: the store, /etc/netns. */
struct etc_dirs {
	int store, etc;
};

static void etc_dirs_close(struct etc_dirs *d)
{
	if (d->store >= 0)
		close(d->store);
	if (d->etc >= 0)
		close(d->etc);
	d->store = d->etc = -1;
}

static int etc_dirs_open(struct etc_dirs *d, struct diags *err)
{
	d->etc = -1;
	d->store = etc_store_open();
	if (d->store < 0)
		return lab_fail(err, d->store, "prepare %s (tmpfs)",
				LAB_ETC_STORE);
	d->etc = open(NETNS_ETC_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->etc < 0 && errno == ENOENT) {
		if (mkdir(NETNS_ETC_DIR, 0755) < 0 && errno != EEXIST)
			goto fail;
		d->etc = open(NETNS_ETC_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (d->etc >= 0)
		return 0;
fail:
	d->etc = -errno;
	etc_dirs_close(d);
	return lab_fail(err, -errno, "open %s", NETNS_ETC_DIR);
}

/* Writes the files idx[0, n) of p, all of one namespace, under
 * /etc/netns/NS/: its store directory first, the symlink last. */
static int lab_files_ns(const struct plan *p, const size_t *idx, size_t n,
			const struct etc_dirs *d, struct diags *err)
{
	const char *ns = p->ns[p->files[idx[0]].ns].name;
	const struct plan_file *f;
	bool fresh;
	size_t i;
	int dfd, r = 0;

	if (!*ns || strchr(ns, '/') || !strcmp(ns, ".") || !strcmp(ns, ".."))
		return lab_fail(err, -EINVAL, "write %s/%s", NETNS_ETC_DIR, ns);
	fresh = mkdirat(d->store, ns, 0755) == 0;
	if (!fresh && errno != EEXIST)
		return lab_fail(err, -errno, "create %s/%s", LAB_ETC_STORE, ns);
	dfd = openat(d->store, ns, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				   O_CLOEXEC);
	if (dfd < 0)
		return lab_fail(err, -errno, "open %s/%s", LAB_ETC_STORE, ns);
	for (i = 0; !r && i < n; i++) {
		f = &p->files[idx[i]];
		r = file_write(dfd, f->name, f->content, fresh);
		if (r < 0)
			lab_fail(err, r, "write %s/%s/%s", NETNS_ETC_DIR, ns,
				 f->name);
	}
	close(dfd);
	if (!r) {
		r = etc_link(d->etc, ns);
		if (r < 0)
			lab_fail(err, r, "link %s/%s to %s/%s", NETNS_ETC_DIR,
				 ns, LAB_ETC_STORE, ns);
	}
	return r;
}

/* rm -r of entry name in directory dfd, never following symlinks; dir:
 * name is expected to be a directory (opened first, no unlink tried). */
static int rm_at(int dfd, const char *name, bool dir)
{
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	if (!dir) {
		if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
			return 0;
		if (errno != EISDIR && errno != EPERM)
			return -errno;
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && dir && (errno == ENOTDIR || errno == ELOOP))
		return rm_at(dfd, name, false);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		r = rm_at(dirfd(d), de->d_name, de->d_type == DT_DIR);
		if (r < 0)
			break;
	}
	closedir(d);
	if (!r && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		r = -errno;
	return r;
}

static int rm_tree_at(int dfd, const char *name)
{
	return rm_at(dfd, name, false);
}

/* Removes /etc/netns/name (the symlink, or whatever else holds the name)
 * and its store directory. etc and store: directory fds, < 0 when
 * absent. */
static int lab_remove_etc(int etc, int store, const char *name)
{
	int r = 0;

	if (!*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	/* The link first: `ip netns exec` never sees a half-emptied one. */
	if (etc >= 0)
		r = rm_tree_at(etc, name);
	if (store >= 0 && !r)
		r = rm_at(store, name, true);
	return r;
}

/* Removes the namespaces netns[0, n) and their /etc/netns entries, and
 * waits until the kernel has destroyed their devices: DIFF_NS_DEL, one
 * run of them at once. */
static int ns_teardown(char *const *netns, size_t n, struct diags *err)
{
	struct netns_reap *rp = NULL;
	const char *alive = NULL, *held = NULL;
	int r, r2, etc, store;
	pid_t pid;
	size_t i;

	/* The stopping and the kernel's work below are most of down. */
	progress(stage_names[STAGE_NS_DEL], 0, n);
	/* A process inside would keep its namespace alive after the
	 * unmount (and a server would outlive its instance): stop them all
	 * first, as terminating an instance does. */
	r = procs_stop(netns, n, PROCS_GRACE_MS, &pid, &held);
	if (r == -EBUSY)
		lab_fail(err, r, "process %d in namespace %s survived SIGKILL",
			 (int)pid, held);
	else if (r < 0)
		lab_fail(err, r, "stop the processes of the namespaces");
	/* Unmount all in a tight loop; the kernel destroys namespaces
	 * asynchronously, in batches (netns.c explains how we wait). */
	r2 = netns_reap_begin(netns, n, &rp);
	if (r2 < 0)
		r = lab_fail(err, r2, "remove namespaces");
	/* The files go whatever happened to the namespaces, and meanwhile
	 * the kernel works on the namespaces on another CPU. The store is
	 * only opened, never mounted, here. */
	etc = open(NETNS_ETC_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	store = open(LAB_ETC_STORE, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				    O_CLOEXEC);
	for (i = 0; i < n; i++) {
		r2 = lab_remove_etc(etc, store, netns[i]);
		if (r2 < 0 && r >= 0)
			r = lab_fail(err, r2, "remove %s/%s", NETNS_ETC_DIR,
				     netns[i]);
	}
	if (etc >= 0)
		close(etc);
	if (store >= 0)
		close(store);
	if (rp) {
		r2 = netns_reap_wait(rp, LAB_TEARDOWN_TIMEOUT_MS, &alive);
		if (r2 == -ETIMEDOUT && alive)
			r2 = lab_fail(err, -EBUSY,
				      "namespace %s still alive %d s after removal (a process or open file holds it)",
				      alive, LAB_TEARDOWN_TIMEOUT_MS / 1000);
		else if (r2 < 0)
			lab_fail(err, r2, "wait for namespaces to go");
		if (r2 < 0 && r >= 0)
			r = r2;
	}
	netns_reap_free(rp);
	/* Their groups go last: a killed process leaves its group only as
	 * it exits. */
	for (i = 0; i < n; i++) {
		r2 = procs_group_del(netns[i]);
		if (r2 < 0 && r >= 0)
			r = lab_fail(err, r2, "remove cgroup of %s%s", netns[i],
				     r2 == -EBUSY ? " (a process that left the "
				     "lab's namespaces is still in it)" : "");
	}
	return r < 0 ? r : 0;
}

/* ---- the executor: one operation list, whatever the command ------------ */

/* A diff being carried out: the handles of the plan's namespaces, opened
 * when an operation first needs one. */
struct diff_run {
	const struct plan *p;
	const struct diff *d;
	struct nsh **h;
	struct diags *err;
	/* up (the diff from nothing): a directory this run makes takes all
	 * its files directly (no one sees it before its link), and rulesets
	 * and files go on a second thread (struct side). apply writes file
	 * by file, each but a new directory's first atomically (temporary
	 * file, rename), so that a crash test can stop it between two
	 * files. */
	bool up;
	/* Netlink requests are queued (link.h) until a step that is not
	 * netlink, or the end: then every queue goes (barrier). sync: a
	 * queued request failed, and from it on every operation waits for
	 * its answers, as it comes. */
	bool sync;
	bool *queued;		/* per namespace: its handle queues */
	size_t *dirty;		/* namespaces with requests since the barrier */
	size_t ndirty;
	bool *isdirty;
	/* up: the rulesets and files go on a second thread (struct side);
	 * this run passes over them. */
	bool side;
};

static int run_nsh(struct diff_run *x, size_t ns, struct nsh **ret)
{
	int r;

	if (ns >= x->p->nns)
		return lab_fail(x->err, -EINVAL,
				"diff: operation names no namespace");
	if (!x->h[ns]) {
		r = netns_open(x->p->ns[ns].name, &x->h[ns]);
		if (r < 0)
			return lab_fail(x->err, r, "open namespace %s",
					x->p->ns[ns].name);
	}
	*ret = x->h[ns];
	return 0;
}

/* The handle of ns, its netlink requests queued under tag (the index of
 * the operation they belong to) unless the run waits for each. */
static int run_nshq(struct diff_run *x, size_t ns, size_t tag,
		    struct nsh **ret)
{
	int r;

	r = run_nsh(x, ns, ret);
	if (r < 0 || x->sync)
		return r;
	if (!x->queued[ns]) {
		r = link_queue_start(*ret);
		if (r < 0)
			return lab_fail(x->err, r, "open rtnetlink in %s",
					x->p->ns[ns].name);
		x->queued[ns] = true;
	}
	if (!x->isdirty[ns]) {
		x->isdirty[ns] = true;
		x->dirty[x->ndirty++] = ns;
	}
	link_queue_tag(*ret, tag);
	return 0;
}

/* ops [from, to), all NS_DEL, at once: ns_teardown waits until the
 * kernel has destroyed them, so that their veth ends in surviving
 * namespaces are gone and their names free. */
static int run_ns_del(struct diff_run *x, size_t from, size_t to)
{
	char **names = calloc(to - from + 1, sizeof(*names));
	size_t i;
	int r;

	if (!names)
		return lab_fail(x->err, -ENOMEM, "remove namespaces");
	for (i = from; i < to; i++)
		names[i - from] = x->d->ops[i].name;
	r = ns_teardown(names, to - from, x->err);
	free(names);
	/* Their veth ends elsewhere went too: what the open handles
	 * remember of links may be stale. */
	for (i = 0; i < x->p->nns; i++)
		if (x->h[i])
			link_forget_all(x->h[i]);
	return r;
}

/* ops [from, to), all NS_ADD: /run/netns prepared and locked once for the
 * run, then lo up in each (it starts down; routers hold addresses on
 * it). */
static int run_ns_add(struct diff_run *x, size_t from, size_t to)
{
	const char *name = NULL;
	struct netns_dir *dir;
	struct nsh *h;
	size_t i;
	int r;

	r = netns_dir_lock(&dir);
	if (r < 0)
		return lab_fail(x->err, r, "prepare %s", NETNS_RUN_DIR);
	for (i = from; r >= 0 && i < to; i++) {
		name = x->p->ns[x->d->ops[i].index].name;
		r = netns_dir_create(dir, name, true);
	}
	netns_dir_unlock(dir);
	if (r < 0)
		return lab_fail(x->err, r, "create namespace %s", name);
	for (i = from; i < to; i++) {
		name = x->p->ns[x->d->ops[i].index].name;
		r = run_nshq(x, x->d->ops[i].index, i, &h);
		if (r < 0)
			return r;
		r = link_set_up(h, "lo");
		if (r < 0)
			return lab_fail(x->err, r, "set link lo up in %s", name);
	}
	return 0;
}

/* ops [from, to): SYSCTL_SET in one namespace, written in one visit. */
static int run_sysctls(struct diff_run *x, size_t from, size_t to)
{
	struct nsh *h;
	size_t *idx, i;
	int r;

	r = run_nshq(x, x->d->ops[from].ns, from, &h);
	if (r < 0)
		return r;
	idx = calloc(to - from, sizeof(*idx));
	if (!idx)
		return lab_fail(x->err, -ENOMEM, "set sysctls");
	for (i = from; i < to; i++)
		idx[i - from] = x->d->ops[i].index;
	r = sysctls_in_ns(x->p, h, idx, to - from, x->err);
	free(idx);
	return r;
}

/* Both ends of v up (or down). */
static int run_veth_state(struct diff_run *x, const struct plan_veth *v,
			  struct nsh *a, struct nsh *b, bool up)
{
	const char *name;
	size_t end, ns;
	int r;

	for (end = 0; end < 2; end++) {
		name = end ? v->name_b : v->name_a;
		ns = end ? v->ns_b : v->ns_a;
		r = up ? link_set_up(end ? b : a, name) :
			 link_set_down(end ? b : a, name);
		if (r < 0)
			return lab_fail(x->err, r, "set link %s %s in %s", name,
					up ? "up" : "down",
					x->p->ns[ns].name);
	}
	return 0;
}

static int run_veth(struct diff_run *x, const struct diff_op *op)
{
	const struct plan_veth *v = &op->veth;
	const struct plan *p = x->p;
	struct nsh *a, *b;
	int r;

	/* Creating and deleting wait for their answers (link.h); the link
	 * state changes, here or after a creation, are queued. */
	r = run_nshq(x, v->ns_a, op - x->d->ops, &a);
	if (r >= 0)
		r = run_nshq(x, v->ns_b, op - x->d->ops, &b);
	if (r < 0)
		return r;
	switch (op->kind) {
	case DIFF_VETH_DEL:
		r = link_del(a, v->name_a);
		if (r < 0)
			return lab_fail(x->err, r, "delete veth %s in %s",
					v->name_a, p->ns[v->ns_a].name);
		return 0;
	case DIFF_VETH_ADD:
		r = link_veth_add(a, v->name_a, b, v->name_b);
		if (r < 0)
			return lab_fail(x->err, r,
					"create veth %s in %s (peer %s in %s)",
					v->name_a, p->ns[v->ns_a].name,
					v->name_b, p->ns[v->ns_b].name);
		/* A new pair starts down; one found in place (up repairing
		 * a lab) may have been set up by hand: a peering that is
		 * not active must not carry traffic. */
		return v->up ? 0 : run_veth_state(x, v, a, b, false);
	default:
		return run_veth_state(x, v, a, b, op->kind == DIFF_VETH_UP);
	}
}

/* ops [from, to), all FILE_WRITE: the /etc/netns directories opened
 * once, and for up per namespace one store directory and one link. */
static int run_files(struct diff_run *x, size_t from, size_t to)
{
	const struct plan *p = x->p;
	struct etc_dirs dirs;
	size_t *idx, i, j;
	int r;

	idx = calloc(to - from, sizeof(*idx));
	if (!idx)
		return lab_fail(x->err, -ENOMEM, "write files");
	r = etc_dirs_open(&dirs, x->err);
	for (i = from; r >= 0 && i < to; i = j) {
		for (j = i; j < to && (j == i || x->up) &&
		     p->files[x->d->ops[j].index].ns ==
		     p->files[x->d->ops[i].index].ns; j++)
			idx[j - i] = x->d->ops[j].index;
		r = lab_files_ns(p, idx, j - i, &dirs, x->err);
	}
	etc_dirs_close(&dirs);	/* closed already on failure: harmless */
	free(idx);
	return r;
}

static int run_file_del(struct diff_run *x, const struct diff_op *op)
{
	char path[PATH_MAX];
	int n;

	if (!*op->name || strchr(op->name, '/') || op->name[0] == '.')
		return lab_fail(x->err, -EINVAL, "remove file %s", op->name);
	n = snprintf(path, sizeof(path), "%s/%s/%s", NETNS_ETC_DIR,
		     x->p->ns[op->ns].name, op->name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return lab_fail(x->err, -ENAMETOOLONG, "remove file %s",
				op->name);
	if (unlink(path) < 0 && errno != ENOENT)
		return lab_fail(x->err, -errno, "remove %s", path);
	return 0;
}

static int run_addr(struct diff_run *x, const struct diff_op *op,
		    struct nsh *h)
{
	bool add = op->kind == DIFF_ADDR_ADD;
	char ip[INET_ADDRSTRLEN];
	int r;

	r = add ? link_addr_add(h, op->addr.dev, op->addr.addr,
				op->addr.prefix) :
		  link_addr_del(h, op->addr.dev, op->addr.addr,
				op->addr.prefix);
	if (r < 0)
		return lab_fail(x->err, r, "%s address %s/%u on %s in %s",
				add ? "add" : "delete",
				ip_str(op->addr.addr, ip), op->addr.prefix,
				op->addr.dev, x->p->ns[op->ns].name);
	return 0;
}

static int run_route(struct diff_run *x, const struct diff_op *op,
		     struct nsh *h)
{
	static const char *const verb[] = {
		[DIFF_ROUTE_ADD] = "add", [DIFF_ROUTE_REPLACE] = "replace",
		[DIFF_ROUTE_DEL] = "delete",
	};
	char what[256];
	int r;

	r = op->kind == DIFF_ROUTE_DEL ? route_del(h, &op->route) :
					 route_add(h, &op->route);
	if (r < 0)
		return lab_fail(x->err, r, "%s %s", verb[op->kind],
				route_text(x->p, &op->route, what,
					   sizeof(what)));
	return 0;
}

static int run_rule(struct diff_run *x, const struct diff_op *op,
		    struct nsh *h)
{
	bool add = op->kind == DIFF_RULE_ADD;
	char what[256];
	int r;

	r = add ? rule_add(h, &op->rule) : rule_del(h, &op->rule);
	if (r < 0)
		return lab_fail(x->err, r, "%s %s", add ? "add" : "delete",
				rule_text(x->p, &op->rule, what,
					  sizeof(what)));
	return 0;
}

static int run_nft(struct diff_run *x, const struct diff_op *op,
		   struct nsh *h)
{
	if (op->delta && nftk_apply(h, op->delta, NULL) >= 0)
		return 0;
	/* No delta, or the router did not hold the old ruleset (an apply
	 * that stopped half-way): the whole new one. */
	return lab_nft_one(x->p, &x->p->nfts[op->index], h, x->err);
}

/* One operation that works in the one namespace op->ns. */
static int run_op(struct diff_run *x, const struct diff_op *op)
{
	struct nsh *h;
	int r;

	switch (op->kind) {
	case DIFF_VETH_DEL:
	case DIFF_VETH_ADD:
	case DIFF_VETH_UP:
	case DIFF_VETH_DOWN:
		return run_veth(x, op);
	case DIFF_FILE_DEL:
		return run_file_del(x, op);
	default:
		break;
	}
	r = op->kind == DIFF_NFT_APPLY ? run_nsh(x, op->ns, &h) :
		run_nshq(x, op->ns, op - x->d->ops, &h);
	if (r < 0)
		return r;
	switch (op->kind) {
	case DIFF_ADDR_ADD:
	case DIFF_ADDR_DEL:
		return run_addr(x, op, h);
	case DIFF_ROUTE_ADD:
	case DIFF_ROUTE_REPLACE:
	case DIFF_ROUTE_DEL:
		return run_route(x, op, h);
	case DIFF_RULE_ADD:
	case DIFF_RULE_DEL:
		return run_rule(x, op, h);
	case DIFF_NFT_APPLY:
		return run_nft(x, op, h);
	default:
		return lab_fail(x->err, -EINVAL, "diff: bad operation %s",
				diff_op_name(op->kind));
	}
}

/* Index checks of the operations' copies: every namespace index names a
 * namespace of p, every index an object of p. */
static bool op_valid(const struct plan *p, const struct diff_op *op)
{
	switch (op->kind) {
	case DIFF_NS_DEL:
		return op->name != NULL;
	case DIFF_NS_ADD:
		return op->index < p->nns;
	case DIFF_SYSCTL_SET:
		return op->index < p->nsysctls &&
		       p->sysctls[op->index].ns == op->ns;
	case DIFF_VETH_DEL:
	case DIFF_VETH_ADD:
	case DIFF_VETH_UP:
	case DIFF_VETH_DOWN:
		return op->veth.ns_a < p->nns && op->veth.ns_b < p->nns;
	case DIFF_FILE_WRITE:
		return op->index < p->nfiles && p->files[op->index].ns < p->nns;
	case DIFF_NFT_APPLY:
		return op->index < p->nnfts && op->ns < p->nns;
	case DIFF_FILE_DEL:
		return op->name != NULL && op->ns < p->nns;
	default:
		return op->ns < p->nns;
	}
}

/* The end of the run of operations that starts at i and goes in one step:
 * namespace creations and removals, file writes, sysctls of one
 * namespace. */
static size_t run_end(const struct diff *d, size_t i)
{
	const struct diff_op *op = &d->ops[i];
	size_t j;

	for (j = i + 1; j < d->nops && d->ops[j].kind == op->kind; j++)
		if (op->kind != DIFF_NS_DEL && op->kind != DIFF_NS_ADD &&
		    op->kind != DIFF_FILE_WRITE &&
		    (op->kind != DIFF_SYSCTL_SET || d->ops[j].ns != op->ns))
			break;
	return j;
}

/* Kinds whose whole work is netlink requests that can wait in a queue. */
static bool op_queued(enum diff_op_kind kind)
{
	switch (kind) {
	case DIFF_VETH_UP:
	case DIFF_VETH_DOWN:
	case DIFF_ADDR_ADD:
	case DIFF_ADDR_DEL:
	case DIFF_ROUTE_ADD:
	case DIFF_ROUTE_REPLACE:
	case DIFF_ROUTE_DEL:
	case DIFF_RULE_ADD:
	case DIFF_RULE_DEL:
		return true;
	default:
		return false;
	}
}

static int run_ops(struct diff_run *x, size_t from, size_t to);

/* Kinds that need no link and no other kind's work but namespaces made:
 * nftables rulesets (they match interfaces by name) and /etc/netns
 * files. */
static bool side_kind(enum diff_op_kind kind)
{
	return kind == DIFF_NFT_APPLY || kind == DIFF_FILE_WRITE;
}

static bool on_side(const struct diff_run *x, enum diff_op_kind kind)
{
	return x->side && side_kind(kind);
}

/* Sends every queue; before ops[upto] runs, so that it finds done what
 * comes before it. When a queued request failed (other than "already
 * so"), the operations from its own on to upto run again, each waiting
 * for its answers, and so does the rest of the list: all are idempotent,
 * and the one that failed then fails (or recovers, e.g. a stale veth
 * replaced) exactly as it would have without queues, with its message. */
static int barrier(struct diff_run *x, size_t upto)
{
	size_t i, j, tag, first = SIZE_MAX;
	int r;

	for (i = 0; i < x->ndirty; i++) {
		r = link_queue_flush(x->h[x->dirty[i]], &tag);
		if (r < 0 && tag < first)
			first = tag;
		x->isdirty[x->dirty[i]] = false;
	}
	x->ndirty = 0;
	if (first == SIZE_MAX)
		return 0;
	x->sync = true;
	for (i = 0; i < x->p->nns; i++)
		if (x->queued[i])
			link_queue_stop(x->h[i]);
	for (r = 0, i = first; r >= 0 && i < upto; i = j) {
		j = run_end(x->d, i);
		if (!on_side(x, x->d->ops[i].kind))
			r = run_ops(x, i, j < upto ? j : upto);
	}
	return r;
}

static int run_ops(struct diff_run *x, size_t from, size_t to)
{
	switch (x->d->ops[from].kind) {
	case DIFF_NS_DEL:
		return run_ns_del(x, from, to);
	case DIFF_NS_ADD:
		return run_ns_add(x, from, to);
	case DIFF_SYSCTL_SET:
		return run_sysctls(x, from, to);
	case DIFF_FILE_WRITE:
		return run_files(x, from, to);
	default:
		return run_op(x, &x->d->ops[from]);
	}
}

/* up builds from nothing, and its namespaces are nobody's yet: once they
 * exist, the side kinds run on a second thread, in their order, while
 * this one does the netlink work (which the kernel serializes under one
 * lock; a ruleset is mostly libnftables parsing, files are files): about
 * a fifth of up on this machine, in parallel. The side has its own
 * handles and error, and stops at its first failure, as the list would.
 * Never for apply: there a ruleset must not come before the routes and
 * rules it was made to follow. */
struct side {
	struct diff_run x;
	struct diags err;
	size_t failed;		/* index of the op that failed */
	int r;
	pthread_t thread;
	bool started;
	/* For the progress this thread reports meanwhile. */
	atomic_size_t done[STAGE__COUNT];
	atomic_bool finished;
};

static void *side_main(void *data)
{
	struct side *sd = data;
	const struct diff *d = sd->x.d;
	size_t i, j;

	for (i = 0; sd->r >= 0 && i < d->nops; i = j) {
		j = run_end(d, i);
		if (side_kind(d->ops[i].kind)) {
			sd->r = run_ops(&sd->x, i, j);
			sd->failed = i;
			atomic_fetch_add(&sd->done[stage_of(d->ops[i].kind)],
					 j - i);
		}
	}
	atomic_store(&sd->finished, true);
	return NULL;
}

static int side_start(struct side *sd, const struct diff_run *x)
{
	int r;

	sd->x = (struct diff_run){ .p = x->p, .d = x->d, .err = &sd->err,
				   .up = x->up, .sync = true };
	sd->x.h = calloc(x->p->nns ? x->p->nns : 1, sizeof(*sd->x.h));
	if (!sd->x.h)
		return -ENOMEM;
	r = -pthread_create(&sd->thread, NULL, side_main, sd);
	if (r < 0) {
		free(sd->x.h);
		sd->x.h = NULL;
		return r;
	}
	sd->started = true;
	return 0;
}

/* Tells how the side goes until it is done, when a listener hears. */
static void side_watch(struct side *sd, const size_t *total)
{
	static const enum stage side_stages[] = { STAGE_NFT, STAGE_FILE };
	size_t k, n = 0;

	while (progress_to.on && sd->started && !atomic_load(&sd->finished)) {
		/* Polled finely, told coarsely: up waits no longer than it
		 * would in pthread_join. */
		if (n++ % (100 / LAB_SIDE_POLL_MS) == 0)
			for (k = 0; k < ARRAY_SIZE(side_stages); k++)
				if (total[side_stages[k]])
					progress(stage_names[side_stages[k]],
						 atomic_load(&sd->done[side_stages[k]]),
						 total[side_stages[k]]);
		poll(NULL, 0, LAB_SIDE_POLL_MS);
	}
}

/* Waits for the side and closes its handles (here: nsh_close's deferred
 * list is this thread's). Returns the side's result, with the index of
 * its failure. */
static int side_join(struct side *sd, size_t *ret_failed)
{
	size_t i;

	if (!sd->started)
		return 0;
	pthread_join(sd->thread, NULL);
	for (i = 0; i < sd->x.p->nns; i++)
		nsh_close(sd->x.h[i]);
	free(sd->x.h);
	sd->started = false;
	*ret_failed = sd->failed;
	return sd->r;
}

static int execute(const struct plan *p, const struct diff *d, bool up,
		   struct diags *err)
{
	static const struct plan empty;
	/* This thread's errors and the side's are kept apart until the
	 * end: the one reported is the first in the list. */
	struct diags mine = { 0 };
	struct diff_run x = { .p = p ? p : &empty, .d = d, .err = &mine,
			      .up = up };
	struct side sd = { 0 };
	size_t total[STAGE__COUNT] = { 0 }, done[STAGE__COUNT] = { 0 };
	size_t i, j, n, failed;
	enum stage st;
	bool side_first;
	int r = 0, r2;

	for (i = 0; i < d->nops; i++)
		if (!op_valid(x.p, &d->ops[i]))
			return lab_fail(err, -EINVAL,
					"diff: operation #%zu (%s) does not fit the plan",
					i, diff_op_name(d->ops[i].kind));
	n = x.p->nns ? x.p->nns : 1;
	x.h = calloc(n, sizeof(*x.h));
	x.queued = calloc(n, sizeof(*x.queued));
	x.isdirty = calloc(n, sizeof(*x.isdirty));
	x.dirty = calloc(n, sizeof(*x.dirty));
	if (!x.h || !x.queued || !x.isdirty || !x.dirty) {
		r = lab_fail(err, -ENOMEM, "apply changes to lab %s",
			     x.p->lab ? x.p->lab : "");
		goto out;
	}
	nsh_lean(!lab_fd_headroom(d->ntouched));
	for (i = 0; i < DIFF_OP__COUNT; i++)
		total[stage_of(i)] += d->count[i];
	/* down's list names namespaces that may not all be there. */
	progress_to.on = d->ntouched >= LAB_PROGRESS_MIN ||
			 d->count[DIFF_NS_DEL] >= LAB_PROGRESS_MIN;

	for (i = 0; i < d->nops; i = j) {
		j = run_end(d, i);
		if (on_side(&x, d->ops[i].kind))
			continue;
		if (!op_queued(d->ops[i].kind))
			r = barrier(&x, i);
		if (r >= 0)
			r = run_ops(&x, i, j);
		if (r < 0)
			break;
		st = stage_of(d->ops[i].kind);
		done[st] += j - i;
		progress(stage_names[st], done[st], total[st]);
		if (up && d->ops[i].kind == DIFF_NS_ADD && !sd.started)
			x.side = side_start(&sd, &x) == 0;
	}
	/* What is queued goes, on failure too: the operations before the
	 * one that failed stay done. An earlier queued failure is the one
	 * to report. */
	r2 = barrier(&x, i < d->nops ? i : d->nops);
	if (r2 < 0 || r >= 0)
		r = r2;
	/* The side's failure counts when it comes first in the list. */
	side_watch(&sd, total);
	progress_to.on = false;
	r2 = side_join(&sd, &failed);
	side_first = r2 < 0 && (r >= 0 || failed < i);
	if (side_first)
		r = r2;
	if (err)
		diag_copy_first(err, side_first ? &sd.err : &mine);
	diags_free(&sd.err);
out:
	diags_free(&mine);
	for (i = 0; x.h && i < x.p->nns; i++)
		nsh_close(x.h[i]);
	nsh_lean(false);
	free(x.h);
	free(x.queued);
	free(x.isdirty);
	free(x.dirty);
	return r < 0 ? r : 0;
}

int lab_apply_diff(const struct plan *p, const struct diff *d,
		   struct diags *err)
{
	return execute(p, d, false, err);
}

/* Every object's namespace index must name a namespace of the plan (the
 * diff reads them before the executor's own checks). */
static int lab_check_indexes(const struct plan *p, struct diags *err)
{
	size_t i, bad = SIZE_MAX;
	const char *what = NULL;

#define CHECK(arr, n, field, kind)                                            \
	for (i = 0; i < (n) && !what; i++)                                    \
		if ((arr)[i].field >= p->nns) {                               \
			what = kind;                                          \
			bad = i;                                              \
		}
	CHECK(p->sysctls, p->nsysctls, ns, "sysctl");
	CHECK(p->veths, p->nveths, ns_a, "veth");
	CHECK(p->veths, p->nveths, ns_b, "veth");
	CHECK(p->addrs, p->naddrs, ns, "address");
	CHECK(p->routes, p->nroutes, ns, "route");
	CHECK(p->rules, p->nrules, ns, "rule");
	CHECK(p->nfts, p->nnfts, ns, "nftables ruleset");
	CHECK(p->files, p->nfiles, ns, "file");
#undef CHECK
	if (what)
		return lab_fail(err, -EINVAL, "plan: %s #%zu names no namespace",
				what, bad);
	return 0;
}

int lab_apply(const struct plan *p, struct diags *err)
{
	struct diff *d;
	int r;

	r = lab_check_indexes(p, err);
	if (r < 0)
		return r;
	d = diff_compute(NULL, p);
	if (!d)
		return lab_fail(err, -errno, "apply lab %s", p->lab);
	r = execute(p, d, true, err);
	diff_free(d);
	/* The operation list of a whole lab (a copy of every object) is the
	 * peak of up; give its pages back rather than keep them resident
	 * in vpcemud until the next up. */
	malloc_trim(0);
	return r;
}

int lab_teardown(char *const *netns, size_t n, struct diags *err)
{
	struct diff *d;
	int r;

	d = diff_removal(netns, n);
	if (!d)
		return lab_fail(err, -errno, "remove namespaces");
	r = lab_apply_diff(NULL, d, err);
	diff_free(d);
	return r;
}
