/* floor.c - the floor: the least work a C program does over rtnetlink to
 * wire N instances to router namespaces, and to take them down.
 *
 * Independent of vpcemu's own code (only libmnl and the kernel headers), so
 * that every vpcemu figure can be read as a ratio to what this machine can
 * do, measured minutes earlier in the same run (tests/bench/run).
 *
 * Per instance (named floorPID-iK, router floorPID-r, or with --per-router
 * M the routers floorPID-r, floorPID-r1, ... of M instances each, as genlab
 * gives each VPC's router its own):
 *   - a named namespace the iproute2 way: an empty file under /run/netns,
 *     unshare(CLONE_NEWNET), bind mount of /proc/thread-self/ns/net;
 *   - while the thread is still inside the new namespace: one rtnetlink
 *     socket there, and one batch (one sendmsg) of three requests: the veth
 *     created in place (eth0 up here, its peer vK placed in the router in
 *     the same request, with a chosen ifindex), the address, the default
 *     route (onlink);
 *   - one batch on the router's socket: vK up with proxy_arp on (IFLA_AF_SPEC
 *     in the same request), its /32 route, proxy_delay 0 (RTM_SETNEIGHTBL:
 *     no setns, no /proc/sys).
 * Teardown: umount2(MNT_DETACH) + unlink of every instance in a tight loop,
 * then wait until the kernel has removed every router port (RTM_DELLINK
 * seen on a listener in the router; a dump when notifications overflow).
 *
 *   floor N [--per-router M] [-v] [--verify] [--slab]
 * prints one line of key=value figures (milliseconds); -v adds a line per
 * instance (its up time in microseconds); --verify pings instance N from
 * the first instance of its router, across that router; --slab reports the
 * /proc/meminfo Slab delta. Routers are made before the clock starts.
 * Exit 0 on success; every error names the step and the instance.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#define RUN_DIR "/run/netns"
#define SELF_NETNS "/proc/thread-self/ns/net"
#define PEER_IFINDEX_BASE 1000
#define NET_BASE 0x0a800000u	/* 10.128.0.0/16: router .0.1, instance K .K+1 */
#define GW (NET_BASE + 1)
#define MAX_N 60000
#define WAIT_MS 60000

static char prefix[64];
static int n_inst;
static int per_router;		/* instances per router */
static bool verbose;


static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what, int k, int err)
{
	fprintf(stderr, "floor: %s (instance %d): %s\n", what, k, strerror(err));
	exit(1);
}

static uint32_t inst_addr(int k)
{
	return NET_BASE + (uint32_t)k + 1;
}

static long slab_kib(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* iproute2's preparation of /run/netns: a shared mount, under flock. */
static void run_dir_prepare(void)
{
	int dfd;

	if (mkdir(RUN_DIR, 0755) < 0 && errno != EEXIST)
		die("mkdir " RUN_DIR, 0, errno);
	dfd = open(RUN_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || flock(dfd, LOCK_EX) < 0)
		die("lock " RUN_DIR, 0, errno);
	if (mount("", RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
		if (errno != EINVAL ||
		    mount(RUN_DIR, RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0 ||
		    mount("", RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
			die("make " RUN_DIR " shared", 0, errno);
	}
	close(dfd);		/* releases the lock */
}

/* Instance k's mount point (k >= 1), or router -k's (floorPID-r for the
 * first, as with one router). */
static void ns_path(char *buf, size_t len, int k)
{
	if (k > 0)
		snprintf(buf, len, RUN_DIR "/%s-i%d", prefix, k);
	else if (k)
		snprintf(buf, len, RUN_DIR "/%s-r%d", prefix, -k);
	else
		snprintf(buf, len, RUN_DIR "/%s-r", prefix);
}

static int router_of(int k)
{
	return (k - 1) / per_router;
}

/* Creates the named namespace and leaves the thread inside it. */
static void ns_create_enter(int k)
{
	char path[256];
	int fd;

	ns_path(path, sizeof(path), k);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		die("create mount point", k, errno);
	close(fd);
	if (unshare(CLONE_NEWNET) < 0)
		die("unshare", k, errno);
	if (mount(SELF_NETNS, path, "none", MS_BIND, NULL) < 0)
		die("bind mount namespace", k, errno);
}

static struct mnl_socket *nl_open(int k)
{
	struct mnl_socket *s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);

	if (!s || mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0)
		die("open rtnetlink socket", k, errno);
	return s;
}

/* A batch: requests laid end to end in one buffer, one sendmsg, then one
 * ack per request. */
struct batch {
	char buf[8192];
	size_t len;
	unsigned int seq0, n;
};

static struct nlmsghdr *batch_put(struct batch *b, uint16_t type,
				  uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b->buf + b->len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = b->seq0 + b->n++;
	return nlh;
}

static void batch_end(struct batch *b, struct nlmsghdr *nlh)
{
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void batch_run(struct mnl_socket *s, struct batch *b, const char *what,
		      int k)
{
	char rbuf[16384];
	unsigned int acked = 0;
	ssize_t n;
	int len;
	struct nlmsghdr *nlh;

	if (mnl_socket_sendto(s, b->buf, b->len) < 0)
		die(what, k, errno);
	while (acked < b->n) {
		n = mnl_socket_recvfrom(s, rbuf, sizeof(rbuf));
		if (n < 0)
			die(what, k, errno);
		len = (int)n;
		for (nlh = (struct nlmsghdr *)rbuf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			struct nlmsgerr *e;

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error) {
				char msg[128];

				snprintf(msg, sizeof(msg), "%s: request %u",
					 what, nlh->nlmsg_seq - b->seq0);
				die(msg, k, -e->error);
			}
			acked++;
		}
	}
	b->len = 0;
	b->n = 0;
	b->seq0 += 16;
}

/* In the instance: eth0 (ifindex 2) up, its peer vK (ifindex 1000+K) in
 * the router; the address; the default route. */
static void instance_requests(struct batch *b, int k, int router_fd)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi, *pifi;
	struct ifaddrmsg *ifa;
	struct rtmsg *rtm;
	struct nlattr *linkinfo, *data, *peer;
	char name[IFNAMSIZ];
	uint32_t a = htonl(inst_addr(k)), gw = htonl(GW);

	nlh = batch_put(b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = 2;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	pifi->ifi_index = PEER_IFINDEX_BASE + k;
	snprintf(name, sizeof(name), "v%d", k);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)router_fd);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	batch_end(b, nlh);

	nlh = batch_put(b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 16;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = 2;
	mnl_attr_put(nlh, IFA_LOCAL, 4, &a);
	mnl_attr_put(nlh, IFA_ADDRESS, 4, &a);
	batch_end(b, nlh);

	nlh = batch_put(b, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_flags = RTNH_F_ONLINK;
	mnl_attr_put(nlh, RTA_GATEWAY, 4, &gw);
	mnl_attr_put_u32(nlh, RTA_OIF, 2);
	batch_end(b, nlh);
}

/* In the router: vK up with proxy_arp, its /32, proxy_delay 0. */
static void router_requests(struct batch *b, int k)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct rtmsg *rtm;
	struct ndtmsg *ndt;
	struct nlattr *spec, *inet, *conf, *parms;
	uint32_t a = htonl(inst_addr(k));
	uint32_t idx = PEER_IFINDEX_BASE + (uint32_t)k;

	nlh = batch_put(b, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)idx;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet = mnl_attr_nest_start(nlh, AF_INET);
	conf = mnl_attr_nest_start(nlh, IFLA_INET_CONF);
	mnl_attr_put_u32(nlh, IPV4_DEVCONF_PROXY_ARP, 1);
	mnl_attr_nest_end(nlh, conf);
	mnl_attr_nest_end(nlh, inet);
	mnl_attr_nest_end(nlh, spec);
	batch_end(b, nlh);

	nlh = batch_put(b, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, 4, &a);
	mnl_attr_put_u32(nlh, RTA_OIF, idx);
	batch_end(b, nlh);

	nlh = batch_put(b, RTM_SETNEIGHTBL, 0);
	ndt = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndt));
	ndt->ndtm_family = AF_INET;
	mnl_attr_put_strz(nlh, NDTA_NAME, "arp_cache");
	parms = mnl_attr_nest_start(nlh, NDTA_PARMS);
	mnl_attr_put_u32(nlh, NDTPA_IFINDEX, idx);
	mnl_attr_put_u64(nlh, NDTPA_PROXY_DELAY, 0);
	mnl_attr_nest_end(nlh, parms);
	batch_end(b, nlh);
}

static void write_here(const char *file, const char *val)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		die(file, 0, errno);
	close(fd);
}

/* Router: lo up with the gateway address, forwarding on. */
static void router_setup(struct mnl_socket *rs)
{
	struct batch b = { .seq0 = 1 };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct ifaddrmsg *ifa;
	uint32_t gw = htonl(GW);

	/* A new namespace copies conf/all from the host: set what matters. */
	write_here("/proc/sys/net/ipv4/ip_forward", "1");
	write_here("/proc/sys/net/ipv4/conf/all/rp_filter", "0");
	write_here("/proc/sys/net/ipv4/conf/default/rp_filter", "0");
	nlh = batch_put(&b, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = 1;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	batch_end(&b, nlh);
	nlh = batch_put(&b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 32;
	ifa->ifa_index = 1;
	mnl_attr_put(nlh, IFA_LOCAL, 4, &gw);
	mnl_attr_put(nlh, IFA_ADDRESS, 4, &gw);
	batch_end(&b, nlh);
	batch_run(rs, &b, "router setup", 0);
}

/* Counts router ports (ifindex > PEER_IFINDEX_BASE) still present. */
static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (ifi->ifi_index > PEER_IFINDEX_BASE)
		(*(int *)data)++;
	return MNL_CB_OK;
}

static int ports_left(struct mnl_socket *s)
{
	char buf[32768];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtgenmsg *g;
	unsigned int port = mnl_socket_get_portid(s);
	int left = 0, r;
	ssize_t n;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 424242;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0)
		die("dump router links", 0, errno);
	do {
		n = mnl_socket_recvfrom(s, buf, sizeof(buf));
		if (n < 0)
			die("dump router links", 0, errno);
		r = mnl_cb_run(buf, n, 424242, port, count_cb, &left);
	} while (r > MNL_CB_STOP);
	/* NLM_F_DUMP_INTR (r < 0, EINTR): the count may be stale; the
	 * caller dumps again on the next wake-up, so accept it. */
	return left;
}

/* Pings instance N from the first instance of its router (fork, setns,
 * exec): the wiring works. */
static int verify(void)
{
	char path[256], dst[INET_ADDRSTRLEN];
	uint32_t a = htonl(inst_addr(n_inst));
	pid_t pid;
	int st, fd;

	inet_ntop(AF_INET, &a, dst, sizeof(dst));
	ns_path(path, sizeof(path), router_of(n_inst) * per_router + 1);
	pid = fork();
	if (pid == 0) {
		fd = open(path, O_RDONLY);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
			_exit(127);
		fd = open("/dev/null", O_WRONLY);
		if (fd >= 0)
			dup2(fd, 1);
		execlp("ping", "ping", "-q", "-c", "1", "-W", "2", dst,
		       (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* One router: its namespace, a socket in it for its ports' requests and
 * dumps, a listener for their removal, and how many are left. */
struct router {
	int fd;
	struct mnl_socket *rs, *ev;
	int left;
};

/* Router j made, set up, and its socket opened (from inside it). */
static void router_make(struct router *r, int j)
{
	ns_create_enter(-j);
	r->fd = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		die("open router namespace", -j, errno);
	r->rs = nl_open(-j);
	router_setup(r->rs);
}

/* Router j's listener for its ports' removal, opened inside it just
 * before teardown (earlier, it would queue every port's creation). */
static void router_listen(struct router *r, int j, int home)
{
	int sz = 4 << 20;

	if (setns(r->fd, CLONE_NEWNET) < 0)
		die("setns router", -j, errno);
	r->ev = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!r->ev || mnl_socket_bind(r->ev, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0)
		die("open link listener", -j, errno);
	setsockopt(mnl_socket_get_fd(r->ev), SOL_SOCKET, SO_RCVBUFFORCE, &sz,
		   sizeof(sz));
	if (setns(home, CLONE_NEWNET) < 0)
		die("setns home", 0, errno);
}

/* Reads router r's link notifications; counts its ports that went. */
static void router_events(struct router *r, double t0, double *first_gone)
{
	char buf[65536];
	struct nlmsghdr *nlh;
	ssize_t n;
	int len;

	n = recv(mnl_socket_get_fd(r->ev), buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0) {
		if (errno == ENOBUFS)
			r->left = ports_left(r->rs);
		return;
	}
	len = (int)n;
	for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

		if (nlh->nlmsg_type == RTM_DELLINK &&
		    ifi->ifi_index > PEER_IFINDEX_BASE) {
			if (*first_gone < 0)
				*first_gone = now_ms() - t0;
			r->left--;
		}
	}
	/* Notifications are hints: confirm zero with a dump. */
	if (r->left <= 0)
		r->left = ports_left(r->rs);
}

int main(int argc, char **argv)
{
	bool do_verify = false, do_slab = false;
	double t0, t1, t_ns = 0, t_inst = 0, t_rtr = 0, a, b2, c, d;
	double up_ms, unlink_ms, down_ms, first_gone = -1;
	struct mnl_socket *is;
	struct batch rb = { .seq0 = 1000 }, ib = { .seq0 = 1 };
	struct router *rt;
	struct pollfd *pfd;
	char path[256];
	double *per = NULL;
	long slab0 = -1, slab1 = -1;
	int home, k, i, j, nr, left, ok = -2;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			verbose = true;
		else if (!strcmp(argv[i], "--verify"))
			do_verify = true;
		else if (!strcmp(argv[i], "--slab"))
			do_slab = true;
		else if (!strcmp(argv[i], "--per-router") && i + 1 < argc)
			per_router = atoi(argv[++i]);
		else
			n_inst = atoi(argv[i]);
	}
	if (n_inst < 1 || n_inst > MAX_N || per_router < 0) {
		fprintf(stderr, "usage: floor N [--per-router M] [-v] [--verify] "
			"[--slab]  (1 <= N <= %d)\n", MAX_N);
		return 2;
	}
	if (!per_router || per_router > n_inst)
		per_router = n_inst;
	nr = router_of(n_inst) + 1;
	snprintf(prefix, sizeof(prefix), "floor%d", (int)getpid());
	per = calloc((size_t)n_inst + 1, sizeof(*per));
	rt = calloc((size_t)nr, sizeof(*rt));
	pfd = calloc((size_t)nr, sizeof(*pfd));
	if (!per || !rt || !pfd)
		die("calloc", 0, ENOMEM);

	home = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);
	if (home < 0)
		die("open own namespace", 0, errno);
	run_dir_prepare();
	if (do_slab)
		slab0 = slab_kib();

	/* The routers: created once, outside the per-instance figures. */
	for (j = 0; j < nr; j++)
		router_make(&rt[j], j);

	t0 = now_ms();
	for (k = 1; k <= n_inst; k++) {
		struct router *r = &rt[router_of(k)];

		a = now_ms();
		ns_create_enter(k);
		is = nl_open(k);
		b2 = now_ms();
		instance_requests(&ib, k, r->fd);
		batch_run(is, &ib, "instance requests", k);
		mnl_socket_close(is);
		c = now_ms();
		router_requests(&rb, k);
		batch_run(r->rs, &rb, "router requests", k);
		d = now_ms();
		t_ns += b2 - a;
		t_inst += c - b2;
		t_rtr += d - c;
		per[k] = d - a;
	}
	t1 = now_ms();
	up_ms = t1 - t0;
	if (setns(home, CLONE_NEWNET) < 0)
		die("setns home", 0, errno);
	if (do_slab)
		slab1 = slab_kib();
	if (do_verify)
		ok = verify();

	/* Teardown: listen in the routers first, then unmount in a tight
	 * loop and wait for the kernel to remove every router's ports. */
	for (j = 0; j < nr; j++)
		router_listen(&rt[j], j, home);
	t0 = now_ms();
	for (k = 1; k <= n_inst; k++) {
		ns_path(path, sizeof(path), k);
		if (umount2(path, MNT_DETACH) < 0)
			die("umount", k, errno);
		if (unlink(path) < 0)
			die("unlink", k, errno);
	}
	unlink_ms = now_ms() - t0;
	for (j = 0; j < nr; j++) {
		rt[j].left = ports_left(rt[j].rs);
		pfd[j] = (struct pollfd){ .fd = mnl_socket_get_fd(rt[j].ev),
					  .events = POLLIN };
	}
	for (;;) {
		for (left = 0, j = 0; j < nr; j++)
			left += rt[j].left > 0 ? rt[j].left : 0;
		if (left <= 0)
			break;
		if (now_ms() - t0 > WAIT_MS)
			die("wait for router ports to go (timeout)", left, ETIMEDOUT);
		if (poll(pfd, (nfds_t)nr, 100) <= 0) {
			for (j = 0; j < nr; j++)
				if (rt[j].left > 0)
					rt[j].left = ports_left(rt[j].rs);
			continue;
		}
		for (j = 0; j < nr; j++)
			if (pfd[j].revents & POLLIN)
				router_events(&rt[j], t0, &first_gone);
	}
	down_ms = now_ms() - t0;

	for (j = 0; j < nr; j++) {
		mnl_socket_close(rt[j].ev);
		mnl_socket_close(rt[j].rs);
		close(rt[j].fd);
		ns_path(path, sizeof(path), -j);
		if (umount2(path, MNT_DETACH) < 0 || unlink(path) < 0)
			die("remove router namespace", -j, errno);
	}

	if (verbose)
		for (k = 1; k <= n_inst; k++)
			printf("instance %d up_us=%.0f\n", k, per[k] * 1e3);
	printf("floor n=%d routers=%d up_ms=%.1f up_per_inst_ms=%.3f "
	       "netns_per_inst_ms=%.3f "
	       "inst_nl_per_inst_ms=%.3f router_nl_per_inst_ms=%.3f "
	       "down_ms=%.1f down_per_inst_ms=%.3f unlink_ms=%.1f "
	       "kernel_wait_ms=%.1f",
	       n_inst, nr, up_ms, up_ms / n_inst, t_ns / n_inst, t_inst / n_inst,
	       t_rtr / n_inst, down_ms, down_ms / n_inst, unlink_ms,
	       down_ms - unlink_ms);
	if (do_slab)
		printf(" slab_kib_per_inst=%.1f", (double)(slab1 - slab0) / n_inst);
	if (do_verify)
		printf(" verify=%s", ok == 0 ? "ok" : "FAILED");
	printf("\n");
	free(pfd);
	free(rt);
	free(per);
	return do_verify && ok != 0 ? 1 : 0;
}
