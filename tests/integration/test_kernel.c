/* test_kernel.c - lab_apply / lab_teardown against the real kernel.
 *
 * A tiny plan built by hand (two VPC routers joined by a peering, one ENI
 * namespace behind each, and an observer namespace), applied for real and
 * checked with independent tools: ip, nft, a real ping and its blocked
 * twin. Names are kt<pid>-*, so parallel or crashed runs never collide;
 * the .fini sweeps every kt<pid>- namespace and /etc/netns directory even
 * when an assertion failed. Needs root; skipped otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "vpcemu/lab.h"
#include "vpcemu/link.h"
#include "vpcemu/netns.h"
#include "vpcemu/plan.h"
#include "vpcemu/util.h"

#include "helpers.h"

#define IP4(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

enum { R1, R2, E1, E2, OBS, NNS };

static char prefix[32];
static char names[NNS][64];
static char *lab_names[NNS];	/* R1..E2: the lab proper */

static void names_init(void)
{
	static const char *const suffix[NNS] = {
		"vpcA", "vpcB", "i1", "i2", "obs",
	};
	size_t i;

	snprintf(prefix, sizeof(prefix), "kt%d-", (int)getpid());
	for (i = 0; i < NNS; i++) {
		snprintf(names[i], sizeof(names[i]), "%s%s", prefix, suffix[i]);
		lab_names[i] = names[i];
	}
}

/* Removes every kt<pid>- namespace and /etc/netns entry, whatever the
 * test left behind. */
static void sweep(void)
{
	const char *dirs[] = { NETNS_RUN_DIR, NETNS_ETC_DIR };
	char *found[256];
	struct dirent *de;
	struct diags err = { 0 };
	size_t n = 0, i, k;
	DIR *d;

	if (!prefix[0])
		return;
	for (k = 0; k < sizeof(dirs) / sizeof(dirs[0]); k++) {
		d = opendir(dirs[k]);
		while (d && (de = readdir(d)) && n < 256)
			if (!strncmp(de->d_name, prefix, strlen(prefix)))
				found[n++] = strdup(de->d_name);
		if (d)
			closedir(d);
	}
	for (i = 0; i < n; i++)
		if (!found[i])
			n = 0;	/* out of memory: lab_teardown below does */
	lab_teardown(found, n, &err);
	lab_teardown(lab_names, NNS, &err);
	diags_free(&err);
	for (i = 0; i < n; i++)
		free(found[i]);
}

static void setup(void)
{
	names_init();
}

static void cleanup(void)
{
	if (geteuid() == 0)
		sweep();
}

/* The plan, by hand. All storage is static; nothing to free. */
static struct plan_ns pns[NNS];
static struct plan_sysctl psys[64];
static struct plan_veth pveth[4];
static struct plan_addr paddr[4];
static struct plan_route proute[16];
static struct plan_rule prule[8];
static struct plan_nft pnft[2];
static struct plan_file pfile[2];

static const char ruleset[] =
	"flush ruleset\n"
	"table inet vpcemu {\n"
	"\tchain forward {\n"
	"\t\ttype filter hook forward priority 0; policy accept;\n"
	"\t\tct state invalid drop\n"
	"\t}\n"
	"}\n";

static void sysctl(struct plan *p, size_t ns, const char *path,
		   const char *value)
{
	struct plan_sysctl *s = &psys[p->nsysctls++];

	s->ns = ns;
	s->path = (char *)path;
	s->value = (char *)value;
}

static void veth(struct plan *p, size_t a, const char *na, size_t b,
		 const char *nb, bool up)
{
	struct plan_veth *v = &pveth[p->nveths++];

	v->ns_a = a;
	snprintf(v->name_a, sizeof(v->name_a), "%s", na);
	v->ns_b = b;
	snprintf(v->name_b, sizeof(v->name_b), "%s", nb);
	v->up = up;
}

static void addr(struct plan *p, size_t ns, const char *dev, uint32_t a,
		 uint8_t len)
{
	struct plan_addr *x = &paddr[p->naddrs++];

	x->ns = ns;
	snprintf(x->dev, sizeof(x->dev), "%s", dev);
	x->addr = a;
	x->prefix = len;
}

static void route(struct plan *p, size_t ns, uint32_t table, uint32_t dst,
		  uint8_t len, const char *dev, uint32_t gw)
{
	struct plan_route *r = &proute[p->nroutes++];

	r->ns = ns;
	r->table = table;
	r->dst.addr = dst;
	r->dst.len = len;
	r->type = dev ? PLAN_ROUTE_UNICAST : PLAN_ROUTE_BLACKHOLE;
	snprintf(r->dev, sizeof(r->dev), "%s", dev ? dev : "");
	r->gateway = gw;
}

static void rule(struct plan *p, size_t ns, uint32_t pref, const char *iif,
		 uint32_t dst, uint8_t len, uint32_t table)
{
	struct plan_rule *r = &prule[p->nrules++];

	r->ns = ns;
	r->pref = pref;
	snprintf(r->iif, sizeof(r->iif), "%s", iif ? iif : "");
	r->dst.addr = dst;
	r->dst.len = len;
	r->action = table ? PLAN_RULE_LOOKUP : PLAN_RULE_BLACKHOLE;
	r->table = table;
}

/* vpcA 10.1.0.0/16 and vpcB 10.2.0.0/16; i1 = 10.1.0.10, i2 = 10.2.0.10;
 * peering pcx-1; an observer namespace with a (down) veth to vpcA. */
static void plan_init(struct plan *p)
{
	static const char *const fwd[][2] = {
		{ "net/ipv4/ip_forward", "1" },
		{ "net/ipv4/conf/all/forwarding", "1" },
		{ "net/ipv4/conf/default/forwarding", "1" },
		{ "net/ipv4/conf/all/rp_filter", "0" },
		{ "net/ipv4/conf/default/rp_filter", "0" },
		{ "net/ipv4/conf/all/send_redirects", "0" },
		{ "net/ipv4/conf/default/send_redirects", "0" },
		/* only the default: the ENI ports must inherit it, which
		 * they do only if it is written before they exist */
		{ "net/ipv4/conf/default/proxy_arp", "1" },
	};
	size_t i, r;

	memset(p, 0, sizeof(*p));
	p->lab = prefix;
	p->ns = pns;
	p->nns = NNS;
	for (i = 0; i < NNS; i++) {
		pns[i].name = names[i];
		pns[i].kind = i < E1 ? PLAN_NS_ROUTER : PLAN_NS_ENI;
	}
	p->sysctls = psys;
	/* device sysctls first, on purpose: lab_apply must order them */
	sysctl(p, R1, "net/ipv4/neigh/eni-1/proxy_delay", "0");
	sysctl(p, R1, "net/ipv4/neigh/pcx-1/proxy_delay", "0");
	for (r = R1; r <= R2; r++)
		for (i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
			sysctl(p, r, fwd[i][0], fwd[i][1]);
	sysctl(p, R2, "net/ipv4/neigh/eni-2/proxy_delay", "0");
	sysctl(p, R2, "net/ipv4/neigh/pcx-1/proxy_delay", "0");
	for (r = E1; r <= E2; r++) {
		sysctl(p, r, "net/ipv4/conf/all/accept_redirects", "0");
		sysctl(p, r, "net/ipv4/conf/default/accept_redirects", "0");
	}

	p->veths = pveth;
	veth(p, R1, "eni-1", E1, "eth0", true);
	veth(p, R2, "eni-2", E2, "eth0", true);
	veth(p, R1, "pcx-1", R2, "pcx-1", true);
	veth(p, R1, "obs-1", OBS, "obs0", false);

	p->addrs = paddr;
	addr(p, R1, "lo", IP4(10, 1, 0, 1), 32);
	addr(p, R2, "lo", IP4(10, 2, 0, 1), 32);
	addr(p, E1, "eth0", IP4(10, 1, 0, 10), 24);
	addr(p, E2, "eth0", IP4(10, 2, 0, 10), 24);

	p->routes = proute;
	route(p, E1, 254, 0, 0, "eth0", IP4(10, 1, 0, 1));
	route(p, E2, 254, 0, 0, "eth0", IP4(10, 2, 0, 1));
	route(p, R1, 254, IP4(10, 1, 0, 10), 32, "eni-1", 0);
	route(p, R1, 254, IP4(10, 1, 0, 0), 16, NULL, 0);
	route(p, R1, 1000, IP4(10, 2, 0, 0), 16, "pcx-1", 0);
	route(p, R2, 254, IP4(10, 2, 0, 10), 32, "eni-2", 0);
	route(p, R2, 254, IP4(10, 2, 0, 0), 16, NULL, 0);
	route(p, R2, 1000, IP4(10, 1, 0, 0), 16, "pcx-1", 0);

	p->rules = prule;
	rule(p, R1, 100, NULL, IP4(10, 1, 0, 0), 16, 254);
	rule(p, R1, 1000, "eni-1", 0, 0, 1000);
	rule(p, R1, 32000, NULL, 0, 0, 0);
	rule(p, R2, 100, NULL, IP4(10, 2, 0, 0), 16, 254);
	rule(p, R2, 1000, "eni-2", 0, 0, 1000);
	rule(p, R2, 32000, NULL, 0, 0, 0);

	p->nfts = pnft;
	pnft[p->nnfts].ns = R1;
	pnft[p->nnfts++].ruleset = (char *)ruleset;
	pnft[p->nnfts].ns = R2;
	pnft[p->nnfts++].ruleset = (char *)ruleset;

	p->files = pfile;
	pfile[p->nfiles].ns = E1;
	pfile[p->nfiles].name = "resolv.conf";
	pfile[p->nfiles++].content = "nameserver 10.1.0.2\n";
	pfile[p->nfiles].ns = E2;
	pfile[p->nfiles].name = "hosts";
	pfile[p->nfiles++].content = "10.2.0.10 i2\n";
}

/* Everything the kernel holds for the lab, as text. IPv4 only: IPv6
 * link-local addresses finish DAD on their own, between two snapshots. */
static char *snapshot(void)
{
	static const char *const cmds[] = {
		"ip -n %s -d link show",
		"ip -4 -n %s addr show",
		"ip -4 -n %s route show table all",
		"ip -n %s rule show",
		"ip netns exec %s nft list ruleset",
		"ls -l --time-style=full-iso /etc/netns/%s/",
	};
	struct strbuf all = { 0 };
	size_t i, c;
	char *out;

	for (i = 0; i < NNS; i++)
		for (c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
			out = test_sh_output(cmds[c], names[i]);
			sb_puts(&all, out);
			free(out);
		}
	out = sb_take(&all);
	cr_assert_not_null(out);
	return out;
}

/* 0 when a ping from namespace ns gets an answer from ip. */
static int ping(size_t ns, const char *ip)
{
	return test_sh("ip netns exec %s ping -c1 -W1 %s >/dev/null 2>&1",
		       names[ns], ip);
}

/* The calling thread's own namespace, to check it never moved. */
static unsigned long self_netns(void)
{
	struct stat st;

	cr_assert_eq(stat("/proc/thread-self/ns/net", &st), 0);
	return (unsigned long)st.st_ino;
}

/* cmd, run with %s as namespace ns, prints what. */
static void assert_prints(const char *cmd, size_t ns, const char *what)
{
	char *out = test_sh_output(cmd, names[ns]);

	cr_expect_not_null(strstr(out, what), "%s [%s]: no \"%s\" in:\n%s",
			   cmd, names[ns], what, out);
	free(out);
}

Test(kernel, apply_ping_idempotent_teardown, .init = setup, .fini = cleanup,
     .timeout = 60)
{
	/* What the kernel holds once the lab is up: in namespace ns, cmd
	 * (%s: the namespace) prints want. */
	static const struct {
		size_t ns;
		const char *cmd, *want;
	} holds[] = {
		{ E1, "ip -n %s addr show dev eth0", "inet 10.1.0.10/24" },
		{ R1, "ip -n %s addr show dev lo", "inet 10.1.0.1/32" },
		{ R1, "ip -n %s rule show", "1000:\tfrom all iif eni-1 lookup 1000" },
		{ R1, "ip -n %s rule show", "32000:\tfrom all blackhole" },
		{ R1, "ip -n %s rule show",
		  "100:\tfrom all to 10.1.0.0/16 lookup main" },
		{ R2, "ip -n %s route show table 1000", "10.1.0.0/16 dev pcx-1" },
		{ R2, "ip -n %s route show", "blackhole 10.2.0.0/16" },
		{ OBS, "ip -n %s link show obs0", "state DOWN" },
		/* inherited from conf/default, so written before the port
		 * existed */
		{ R1, "ip netns exec %s sysctl -n net.ipv4.conf.eni-1.proxy_arp",
		  "1" },
		{ R2, "ip netns exec %s sysctl -n net.ipv4.neigh.pcx-1.proxy_delay",
		  "0" },
		/* written through a procfs instance of lab.c's own (netns.h):
		 * 1 is the host's, which a namespace inherits */
		{ E1, "ip netns exec %s sysctl -n net.ipv4.conf.all.accept_redirects",
		  "0" },
		{ R2, "ip netns exec %s sysctl -n net.ipv4.conf.all.send_redirects",
		  "0" },
		{ R1, "ip netns exec %s nft list ruleset", "table inet vpcemu" },
		{ E1, "cat /etc/netns/%s/resolv.conf", "nameserver 10.1.0.2" },
	};
	struct diags err = { 0 };
	struct nsh *obs;
	struct plan p;
	char *before, *after, *out;
	struct stat st;
	size_t i;
	int r;

	unsigned long home;

	if (geteuid() != 0)
		cr_skip_test("needs root");
	plan_init(&p);
	home = self_netns();

	r = lab_apply(&p, &err);
	cr_assert_eq(r, 0, "lab_apply: %d %s", r, diag_first_message(&err));
	cr_assert_eq(self_netns(), home, "lab_apply left the thread elsewhere");
	for (i = 0; i < NNS; i++)
		cr_assert(netns_exists(names[i]), "%s missing", names[i]);

	for (i = 0; i < sizeof(holds) / sizeof(holds[0]); i++)
		assert_prints(holds[i].cmd, holds[i].ns, holds[i].want);
	/* the host saw none of it */
	out = test_sh_output("ip -o addr show");
	cr_expect_null(strstr(out, "10.1.0.1/"), "host got an address:\n%s", out);
	free(out);

	/* i1 -> vpcA -> peering -> vpcB -> i2, and back */
	cr_expect_eq(ping(E1, "10.2.0.10"), 0, "ping i1 -> i2 failed");
	cr_expect_eq(ping(E2, "10.1.0.10"), 0, "ping i2 -> i1 failed");
	/* blocked twin: no ENI holds 10.2.0.99, the block's blackhole wins */
	cr_expect_neq(ping(E1, "10.2.0.99"), 0,
		      "ping to an address without ENI succeeded");

	before = snapshot();
	r = lab_apply(&p, &err);
	cr_assert_eq(r, 0, "second lab_apply: %d %s", r,
		     diag_first_message(&err));
	after = snapshot();
	cr_expect_str_eq(after, before, "second apply changed the kernel");
	free(before);
	free(after);

	/* The lab without the observer: when lab_teardown returns, the
	 * kernel must have destroyed vpcA's devices, so the observer's end
	 * of obs-1 is gone already, without any waiting here: asked over
	 * netlink at once (starting `ip` would give the kernel time). */
	cr_assert_eq(netns_open(names[OBS], &obs), 0);
	cr_assert_gt(link_ifindex(obs, "obs0"), 0, "obs0 missing before");
	nsh_close(obs);		/* a handle remembers ifindexes */
	r = lab_teardown(lab_names, E2 + 1, &err);
	cr_assert_eq(r, 0, "lab_teardown: %d %s", r, diag_first_message(&err));
	cr_assert_eq(netns_open(names[OBS], &obs), 0);
	cr_expect_eq(link_ifindex(obs, "obs0"), -ENODEV,
		     "obs0 survived teardown");
	nsh_close(obs);
	out = test_sh_output("ip -n %s -o link show", names[OBS]);
	cr_expect_null(strstr(out, "obs0"), "obs0 survived teardown:\n%s", out);
	free(out);
	r = lab_teardown(&lab_names[OBS], 1, &err);
	cr_assert_eq(r, 0, "lab_teardown: %d %s", r, diag_first_message(&err));
	cr_expect_eq(self_netns(), home, "lab_teardown left the thread elsewhere");

	for (i = 0; i < NNS; i++) {
		char path[PATH_MAX];

		cr_expect(!netns_exists(names[i]), "%s left", names[i]);
		snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, names[i]);
		cr_expect_neq(stat(path, &st), 0, "%s left", path);
		/* lstat: the entry is a symlink, gone with its target */
		snprintf(path, sizeof(path), "%s/%s", NETNS_ETC_DIR, names[i]);
		cr_expect_neq(lstat(path, &st), 0, "%s left", path);
		snprintf(path, sizeof(path), "/run/vpcemu/etc/%s", names[i]);
		cr_expect_neq(lstat(path, &st), 0, "%s left", path);
	}
	out = test_sh_output("ip netns list");
	cr_expect_null(strstr(out, prefix), "left in ip netns list:\n%s", out);
	free(out);
}

Test(kernel, errors_name_the_object, .init = setup, .fini = cleanup,
     .timeout = 30)
{
	struct diags err = { 0 };
	struct plan_route bad;
	const char *w;
	struct plan p;
	unsigned long home;
	int r;

	if (geteuid() != 0)
		cr_skip_test("needs root");
	plan_init(&p);
	home = self_netns();
	/* one namespace only, a route through a device that does not exist */
	p.nns = 1;
	p.nsysctls = p.nveths = p.naddrs = p.nrules = p.nnfts = p.nfiles = 0;
	memset(&bad, 0, sizeof(bad));
	bad.ns = 0;
	bad.table = 1000;
	bad.dst.addr = IP4(10, 2, 0, 0);
	bad.dst.len = 16;
	snprintf(bad.dev, sizeof(bad.dev), "nosuch0");
	p.routes = &bad;
	p.nroutes = 1;
	r = lab_apply(&p, &err);
	cr_expect_eq(r, -ENODEV, "lab_apply: %d %s", r,
		     diag_first_message(&err));
	w = diag_first_message(&err);
	cr_expect(strstr(w, "add route 10.2.0.0/16 dev nosuch0 table 1000 in ") &&
		  strstr(w, names[R1]) && strstr(w, "No such device"),
		  "err: %s", w);

	/* a broken ruleset: nft's own message is passed on */
	diags_free(&err);
	p.nroutes = 0;
	p.nnfts = 1;
	pnft[0].ruleset = "table inet vpcemu { chain x { bogus } }\n";
	r = lab_apply(&p, &err);
	pnft[0].ruleset = (char *)ruleset;
	cr_expect_eq(r, -EINVAL, "lab_apply: %d %s", r,
		     diag_first_message(&err));
	w = diag_first_message(&err);
	cr_expect(strstr(w, "apply nftables ruleset in ") && strstr(w, "Error"),
		  "err: %s", w);
	cr_expect_eq(self_netns(), home, "an error left the thread elsewhere");

	/* a half-built lab tears down: R1 exists, the others never did */
	diags_free(&err);
	r = lab_teardown(lab_names, NNS, &err);
	cr_expect_eq(r, 0, "lab_teardown: %d %s", r, diag_first_message(&err));
	cr_expect(!netns_exists(names[R1]));
	diags_free(&err);
}

/* lab_teardown returns once the kernel has unregistered the devices of the
 * namespaces it removed (netns.c: the sentinel), whatever batches the
 * kernel made of them: an observer's veth ends whose peers live in the
 * first and the last of 60 doomed namespaces are gone the moment it
 * returns. 60 namespaces keep the kernel busy for tens of milliseconds, so
 * returning before that (no wait, or at the start of the last batch) is
 * seen. */
Test(kernel, teardown_waits_for_the_devices, .init = setup, .fini = cleanup,
     .timeout = 60)
{
	enum { N = 60 };
	static char doomed[N][64];
	char *list[N];
	const size_t ends[] = { 0, N - 1 };
	struct diags err = { 0 };
	struct nsh *obs, *d;
	char name[16];
	size_t i;

	if (geteuid() != 0)
		cr_skip_test("needs root");
	cr_assert_eq(netns_create(names[OBS], false), 0);
	cr_assert_eq(netns_open(names[OBS], &obs), 0);
	for (i = 0; i < N; i++) {
		snprintf(doomed[i], sizeof(doomed[i]), "%sd%zu", prefix, i);
		list[i] = doomed[i];
		cr_assert_eq(netns_create(doomed[i], false), 0);
	}
	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "obs%zu", i);
		cr_assert_eq(netns_open(doomed[ends[i]], &d), 0);
		cr_assert_eq(link_veth_add(obs, name, d, "eth0"), 0);
		nsh_close(d);
	}
	nsh_close(obs);		/* a handle remembers ifindexes */
	cr_assert_eq(lab_teardown(list, N, &err), 0, "%s",
		     diag_first_message(&err));
	cr_assert_eq(netns_open(names[OBS], &obs), 0);
	cr_expect_eq(link_ifindex(obs, "obs0"), -ENODEV,
		     "the first namespace's device survived teardown");
	cr_expect_eq(link_ifindex(obs, "obs1"), -ENODEV,
		     "the last namespace's device survived teardown");
	nsh_close(obs);
}
