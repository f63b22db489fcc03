/* lab.c - carrying a plan out in the kernel, and taking a lab down.
 *
 * The only module that orders kernel work (lab.h gives the order). Each
 * namespace gets one handle, opened once and used for all its objects,
 * closed at the end whatever happened: an open handle would pin the
 * namespace past teardown. Every step tolerates what already exists, so
 * lab_apply of the same plan twice changes nothing.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vpcemu/lab.h"
#include "vpcemu/link.h"
#include "vpcemu/netns.h"
#include "vpcemu/nft.h"
#include "vpcemu/plan.h"
#include "vpcemu/route.h"

#define LAB_TEARDOWN_TIMEOUT_MS 5000

/* Fills err with "WHAT: strerror" and returns r (a -errno). */
static int __attribute__((format(printf, 3, 4)))
lab_fail(struct lab_error *err, int r, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	if (!err)
		return r;
	va_start(ap, fmt);
	vsnprintf(err->what, sizeof(err->what), fmt, ap);
	va_end(ap);
	len = strlen(err->what);
	snprintf(err->what + len, sizeof(err->what) - len, ": %s",
		 strerror(-r));
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
 * instead of failing when it runs out. */
static void lab_fd_headroom(size_t nns)
{
	struct rlimit rl;
	rlim_t want = FD_SETSIZE + (rlim_t)nns * 2 + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ?
		      want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/* true for sysctls of one device: net/ipv4/conf/DEV/..., net/ipv4/neigh/
 * DEV/... (also ipv6) with DEV not "all" or "default". They can only be
 * written once the device exists; namespace-wide ones must be written
 * before, so that new devices inherit conf/default. */
static bool sysctl_is_device(const char *path)
{
	const char *c[5];
	size_t n = 0;
	const char *s = path;

	while (n < 5) {
		c[n++] = s;
		s = strchr(s, '/');
		if (!s)
			break;
		s++;
	}
	if (n < 5 || strncmp(c[0], "net/", 4) ||
	    (strncmp(c[1], "ipv4/", 5) && strncmp(c[1], "ipv6/", 5)) ||
	    (strncmp(c[2], "conf/", 5) && strncmp(c[2], "neigh/", 6)))
		return false;
	return strncmp(c[3], "all/", 4) && strncmp(c[3], "default/", 8);
}

struct sysctl_batch {
	const struct plan *p;
	size_t from, to;	/* same namespace */
	bool device;
	size_t failed;
};

static int sysctl_batch_fn(void *data)
{
	struct sysctl_batch *b = data;
	const struct plan_sysctl *s;
	size_t i;
	int r;

	for (i = b->from; i < b->to; i++) {
		s = &b->p->sysctls[i];
		if (sysctl_is_device(s->path) != b->device)
			continue;
		r = netns_sysctl_write_here(s->path, s->value);
		if (r < 0) {
			b->failed = i;
			return r;
		}
	}
	return 0;
}

/* Writes the namespace-wide or the device sysctls, entering each
 * namespace once per run of consecutive entries. */
static int lab_sysctls(const struct plan *p, struct nsh **h, bool device,
		       struct lab_error *err)
{
	struct sysctl_batch b = { .p = p, .device = device };
	const struct plan_sysctl *s;
	size_t i, j, k;
	bool any;
	int r;

	for (i = 0; i < p->nsysctls; i = j) {
		any = false;
		for (j = i; j < p->nsysctls && p->sysctls[j].ns == p->sysctls[i].ns;
		     j++)
			any |= sysctl_is_device(p->sysctls[j].path) == device;
		if (!any)
			continue;
		b.from = i;
		b.to = j;
		b.failed = i;
		r = netns_run(h[p->sysctls[i].ns], sysctl_batch_fn, &b);
		if (r < 0) {
			k = b.failed;
			s = &p->sysctls[k];
			return lab_fail(err, r, "set sysctl %s=%s in %s",
					s->path, s->value, p->ns[s->ns].name);
		}
	}
	return 0;
}

static int lab_namespaces(const struct plan *p, struct nsh **h,
			  struct lab_error *err)
{
	size_t i;
	int r;

	for (i = 0; i < p->nns; i++) {
		r = netns_create(p->ns[i].name, true);
		if (r < 0)
			return lab_fail(err, r, "create namespace %s",
					p->ns[i].name);
		r = netns_open(p->ns[i].name, &h[i]);
		if (r < 0)
			return lab_fail(err, r, "open namespace %s",
					p->ns[i].name);
	}
	return 0;
}

static int lab_veths(const struct plan *p, struct nsh **h,
		     struct lab_error *err)
{
	const struct plan_veth *v;
	size_t i;
	int r;

	for (i = 0; i < p->nveths; i++) {
		v = &p->veths[i];
		r = link_veth_add(h[v->ns_a], v->name_a, h[v->ns_b], v->name_b);
		if (r < 0)
			return lab_fail(err, r, "create veth %s in %s (peer %s in %s)",
					v->name_a, p->ns[v->ns_a].name,
					v->name_b, p->ns[v->ns_b].name);
	}
	return 0;
}

static int lab_links(const struct plan *p, struct nsh **h,
		     struct lab_error *err)
{
	const struct plan_veth *v;
	const char *name;
	size_t i, end, ns;
	int r;

	/* lo starts down in a new namespace; the router's addresses live
	 * there. */
	for (i = 0; i < p->nns; i++) {
		r = link_set_up(h[i], "lo");
		if (r < 0)
			return lab_fail(err, r, "set link lo up in %s",
					p->ns[i].name);
	}
	for (i = 0; i < p->nveths; i++) {
		v = &p->veths[i];
		for (end = 0; end < 2; end++) {
			ns = end ? v->ns_b : v->ns_a;
			name = end ? v->name_b : v->name_a;
			/* Down too, explicitly: a peering that stopped being
			 * active must stop carrying traffic on re-apply. */
			r = v->up ? link_set_up(h[ns], name) :
				    link_set_down(h[ns], name);
			if (r < 0)
				return lab_fail(err, r, "set link %s %s in %s",
						name, v->up ? "up" : "down",
						p->ns[ns].name);
		}
	}
	return 0;
}

static int lab_addrs(const struct plan *p, struct nsh **h,
		     struct lab_error *err)
{
	const struct plan_addr *a;
	char ip[INET_ADDRSTRLEN];
	size_t i;
	int r;

	for (i = 0; i < p->naddrs; i++) {
		a = &p->addrs[i];
		r = link_addr_add(h[a->ns], a->dev, a->addr, a->prefix);
		if (r < 0)
			return lab_fail(err, r, "add address %s/%u on %s in %s",
					ip_str(a->addr, ip), a->prefix, a->dev,
					p->ns[a->ns].name);
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

static int lab_routes(const struct plan *p, struct nsh **h,
		      struct lab_error *err)
{
	const struct plan_route *rt;
	char ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], tbl[16];
	size_t i;
	int r;

	for (i = 0; i < p->nroutes; i++) {
		rt = &p->routes[i];
		r = route_add(h[rt->ns], rt);
		if (r >= 0)
			continue;
		table_str(rt->table, tbl, sizeof(tbl));
		if (rt->type == PLAN_ROUTE_BLACKHOLE)
			return lab_fail(err, r,
					"add blackhole route %s/%u table %s in %s",
					ip_str(rt->dst.addr, ip), rt->dst.len,
					tbl, p->ns[rt->ns].name);
		return lab_fail(err, r, "add route %s/%u%s%s dev %s table %s in %s",
				ip_str(rt->dst.addr, ip), rt->dst.len,
				rt->gateway ? " via " : "",
				rt->gateway ? ip_str(rt->gateway, gw) : "",
				rt->dev, tbl, p->ns[rt->ns].name);
	}
	return 0;
}

static int lab_rules(const struct plan *p, struct nsh **h,
		     struct lab_error *err)
{
	const struct plan_rule *ru;
	char ip[INET_ADDRSTRLEN], tbl[16], dst[40], action[32];
	size_t i;
	int r;

	for (i = 0; i < p->nrules; i++) {
		ru = &p->rules[i];
		r = rule_add(h[ru->ns], ru);
		if (r >= 0)
			continue;
		dst[0] = '\0';
		if (ru->dst.len)
			snprintf(dst, sizeof(dst), " to %s/%u",
				 ip_str(ru->dst.addr, ip), ru->dst.len);
		table_str(ru->table, tbl, sizeof(tbl));
		if (ru->action == PLAN_RULE_BLACKHOLE)
			snprintf(action, sizeof(action), "blackhole");
		else
			snprintf(action, sizeof(action), "lookup %s", tbl);
		return lab_fail(err, r, "add rule pref %u%s%s%s %s in %s",
				ru->pref, ru->iif[0] ? " iif " : "", ru->iif,
				dst, action, p->ns[ru->ns].name);
	}
	return 0;
}

static int lab_nfts(const struct plan *p, struct nsh **h,
		    struct lab_error *err)
{
	const struct plan_nft *n;
	char *text = NULL;
	size_t i, len;
	int r;

	for (i = 0; i < p->nnfts; i++) {
		n = &p->nfts[i];
		r = nftk_apply(h[n->ns], n->ruleset, &text);
		if (r >= 0)
			continue;
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
	return 0;
}

/* true when path holds exactly content. */
static bool file_same(const char *path, const char *content)
{
	size_t len = strlen(content), got = 0;
	char buf[4096];
	bool same = false;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
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

/* Writes dir/name atomically (temporary file, rename): `ip netns exec`
 * never sees half a resolv.conf. An identical file is left alone. */
static int file_write(const char *dir, const char *name, const char *content)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t len = strlen(content), off = 0;
	ssize_t w;
	int fd, n, r = 0;

	if (!*name || strchr(name, '/') || name[0] == '.')
		return -EINVAL;
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	n = snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	if (file_same(path, content))
		return 0;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (off < len) {
		w = write(fd, content + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = -errno;
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

static int lab_files(const struct plan *p, struct lab_error *err)
{
	const struct plan_file *f;
	char dir[PATH_MAX];
	size_t i;
	int n, r;

	for (i = 0; i < p->nfiles; i++) {
		f = &p->files[i];
		n = snprintf(dir, sizeof(dir), "%s/%s", NETNS_ETC_DIR,
			     p->ns[f->ns].name);
		r = n < 0 || (size_t)n >= sizeof(dir) ? -ENAMETOOLONG : 0;
		if (!r && mkdir(NETNS_ETC_DIR, 0755) < 0 && errno != EEXIST)
			r = -errno;
		if (!r && mkdir(dir, 0755) < 0 && errno != EEXIST)
			r = -errno;
		if (!r)
			r = file_write(dir, f->name, f->content);
		if (r < 0)
			return lab_fail(err, r, "write %s/%s/%s", NETNS_ETC_DIR,
					p->ns[f->ns].name, f->name);
	}
	return 0;
}

/* Every object's namespace index must name a namespace of the plan. */
static int lab_check_indexes(const struct plan *p, struct lab_error *err)
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

int lab_apply(const struct plan *p, struct lab_error *err)
{
	struct nsh **h = NULL;
	size_t i;
	int r;

	if (err)
		err->what[0] = '\0';
	r = lab_check_indexes(p, err);
	if (r < 0)
		return r;
	h = calloc(p->nns ? p->nns : 1, sizeof(*h));
	if (!h)
		return lab_fail(err, -ENOMEM, "apply lab %s", p->lab);
	lab_fd_headroom(p->nns);

	r = lab_namespaces(p, h, err);
	if (r >= 0)
		r = lab_sysctls(p, h, false, err);
	if (r >= 0)
		r = lab_veths(p, h, err);
	if (r >= 0)
		r = lab_sysctls(p, h, true, err);
	if (r >= 0)
		r = lab_links(p, h, err);
	if (r >= 0)
		r = lab_addrs(p, h, err);
	if (r >= 0)
		r = lab_routes(p, h, err);
	if (r >= 0)
		r = lab_rules(p, h, err);
	if (r >= 0)
		r = lab_nfts(p, h, err);
	if (r >= 0)
		r = lab_files(p, err);

	for (i = 0; i < p->nns; i++)
		nsh_close(h[i]);
	free(h);
	return r < 0 ? r : 0;
}

/* rm -r of entry name in directory dfd, never following symlinks. */
static int rm_tree_at(int dfd, const char *name)
{
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
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
		r = rm_tree_at(dirfd(d), de->d_name);
		if (r < 0)
			break;
	}
	closedir(d);
	if (!r && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		r = -errno;
	return r;
}

static int lab_remove_etc(const char *name)
{
	int dfd, r;

	if (!*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	dfd = open(NETNS_ETC_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = rm_tree_at(dfd, name);
	close(dfd);
	return r;
}

int lab_teardown(char *const *netns, size_t n, struct lab_error *err)
{
	struct netns_reap *rp = NULL;
	const char *alive = NULL;
	size_t i;
	int r, r2;

	if (err)
		err->what[0] = '\0';
	/* Unmount all in a tight loop; the kernel destroys namespaces
	 * asynchronously, in batches (netns.c explains how we wait). */
	r = netns_reap_begin(netns, n, &rp);
	if (r < 0)
		lab_fail(err, r, "remove namespaces");
	/* The files go whatever happened to the namespaces, and meanwhile
	 * the kernel works on the namespaces on another CPU. */
	for (i = 0; i < n; i++) {
		r2 = lab_remove_etc(netns[i]);
		if (r2 < 0 && r >= 0)
			r = lab_fail(err, r2, "remove %s/%s", NETNS_ETC_DIR,
				     netns[i]);
	}
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
	return r < 0 ? r : 0;
}
