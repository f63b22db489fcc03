/* vpn.c - strongSwan for Site-to-Site VPN connections (see vpn.h).
 *
 * One struct daemon per charon: its namespace, its directory, the text of
 * its configuration (a daemon whose text changes is restarted), its pid.
 * A timer reaps the charons and their swanctl by pid (never waitpid(-1)),
 * loads each new charon's configuration once its vici socket appears
 * (a customer gateway's once AWS's ends have theirs), and follows the
 * tunnels' states.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "vpcemu/evloop.h"
#include "vpcemu/link.h"
#include "vpcemu/model.h"
#include "vpcemu/netns.h"
#include "vpcemu/nsexec.h"
#include "vpcemu/plan.h"
#include "vpcemu/procs.h"
#include "vpcemu/route.h"
#include "vpcemu/state.h"
#include "vpcemu/util.h"
#include "vpcemu/vpn.h"

#define CHARON "/usr/lib/ipsec/charon"
#define SWANCTL "/usr/sbin/swanctl"
#define BIRD "/usr/sbin/bird"
/* BGP timers short enough for a lab to withdraw a dead tunnel's routes
 * and take a tunnel back in seconds (BIRD's defaults: 240 s hold, 120 s
 * connect retry, 60 s after an error). */
#define BGP_TIMERS                                                             \
	"hold time 9; keepalive time 3; connect retry time 2; "                \
	"error wait time 2, 16"
/* The metric of propagated routes: a table's own routes (metric 0) win
 * over them. */
#define BGP_METRIC 200
#define TICK_MS 250
#define LOAD_TRIES 40		/* ticks to wait for a charon's vici socket */
#define STOP_WAIT_MS 2000	/* SIGTERM to SIGKILL */
#define RETRY_TICKS 8
/* AWS's default proposals include these (IKEv2, AES-128, SHA-1, group
 * 14); strongSwan's openssl and gmp plugins do them. */
#define PROPOSALS "aes128-sha1-modp2048"

enum daemon_kind {
	D_AWS,		/* charon of a tunnel's AWS end */
	D_CGW,		/* charon of a customer gateway */
	D_BIRD,		/* BIRD of a VPC router or a customer gateway */
};

struct daemon {
	struct daemon *next;
	struct vpn *vpn;
	char *lab;
	char *netns;
	char *key;		/* netns, or NETNS.bird: names dir */
	char *dir;
	char *conf;		/* swanctl.conf's text */
	enum daemon_kind kind;
	pid_t pid;		/* 0: not running; reaped by the timer */
	unsigned load_ticks;	/* ticks left to load the configuration */
	bool loaded;		/* swanctl loaded it */
	unsigned retry_ticks;	/* ticks before starting charon again */
	pid_t loader;		/* swanctl, 0 when none */
	int up;			/* AWS end: last state applied, -1: none */
	/* AWS end: the VPC's blocks, routed to the gateway link, which
	 * loses its routes whenever it goes down. */
	struct cidr *back;
	size_t nback;
	bool wanted;
};

struct vpn {
	struct evloop *el;
	struct daemon *ds;
	uint64_t timer;
	vpn_log_fn log;
};

static void vlog(struct vpn *v, int prio, const char *lab, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));

static void vlog(struct vpn *v, int prio, const char *lab, const char *fmt,
		 ...)
{
	char msg[512];
	va_list ap;

	if (!v->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->log(prio, lab, msg);
}

char *vpn_dir(const char *netns)
{
	return str_printf("%s/vpn/%s", state_dir(), netns);
}

static char *dir_path(const char *dir, const char *file)
{
	return str_printf("%s/%s", dir, file);
}

static char *dir_file(const struct daemon *d, const char *file)
{
	return dir_path(d->dir, file);
}

/* The first line of dir/file into buf ("" when unreadable). */
static void read_line(const char *dir, const char *file, char *buf,
		      size_t len)
{
	char *path = dir_path(dir, file);
	FILE *f = path ? fopen(path, "re") : NULL;

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, (int)len, f))
			buf[0] = '\0';
		fclose(f);
	}
	free(path);
}

bool vpn_tunnel_up(const char *netns, time_t *ret_since)
{
	char *dir = vpn_dir(netns), *path, buf[16];
	struct stat st;

	if (ret_since)
		*ret_since = 0;
	if (!dir)
		return false;
	read_line(dir, "status", buf, sizeof(buf));
	path = dir_path(dir, "status");
	if (ret_since && path && stat(path, &st) == 0)
		*ret_since = st.st_mtime;
	free(path);
	free(dir);
	return !strncmp(buf, "UP", 2);
}

/* ---- configuration ------------------------------------------------------ */

/* strongswan.conf: only the plugins a PSK tunnel needs (no resolve, dhcp
 * or farp touching the host), ESP in user space, and retransmits short
 * enough for a lab to fail over in seconds. */
static char *charon_conf(const char *dir)
{
	return str_printf(
	    "charon {\n"
	    "\tload = random nonce aes sha1 sha2 hmac gmp openssl kdf pem "
	    "pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default "
	    "updown vici\n"
	    "\tinstall_virtual_ip = no\n"
	    "\tretransmit_timeout = 1\n"
	    "\tretransmit_base = 1\n"
	    "\tretransmit_tries = 2\n"
	    "\tplugins {\n"
	    "\t\t# the far side's selectors may hold the peer (0.0.0.0/0)\n"
	    "\t\tkernel-libipsec {\n\t\t\tallow_peer_ts = yes\n\t\t}\n"
	    "\t\tvici {\n\t\t\tsocket = unix://%s/vici\n\t\t}\n"
	    "\t}\n"
	    "\tfilelog {\n"
	    "\t\tlog {\n\t\t\tpath = %s/charon.log\n"
	    "\t\t\tdefault = 1\n\t\t\tflush_line = yes\n\t\t}\n"
	    "\t}\n"
	    "}\n",
	    dir, dir);
}

/* updown: the tunnel's child SA state, for vpn.c's timer. */
static char *updown_script(const char *dir)
{
	return str_printf("#!/bin/sh\n"
			  "# strongSwan's updown hook (vpcemu): the state of "
			  "the tunnel's child SA\n"
			  "case \"$PLUTO_VERB\" in\n"
			  "up-*) echo up > '%s/state' ;;\n"
			  "down-*) echo down > '%s/state' ;;\n"
			  "esac\n",
			  dir, dir);
}

/* One IKE connection NAME from local to remote with one child. */
static void conn_text(struct strbuf *sb, const char *name, uint32_t local,
		      uint32_t remote, const char *local_ts, bool initiator,
		      const char *updown)
{
	char l[IP_BUF], r[IP_BUF];

	ip_fmt(local, l);
	ip_fmt(remote, r);
	sb_printf(sb,
		  "\t%s {\n"
		  "\t\tversion = 2\n"
		  "\t\tlocal_addrs = %s\n"
		  "\t\tremote_addrs = %s\n"
		  "\t\tproposals = " PROPOSALS "\n"
		  "\t\tdpd_delay = 2s\n"
		  "\t\tkeyingtries = 0\n"
		  "\t\tlocal {\n\t\t\tauth = psk\n\t\t\tid = %s\n\t\t}\n"
		  "\t\tremote {\n\t\t\tauth = psk\n\t\t\tid = %s\n\t\t}\n"
		  "\t\tchildren {\n"
		  "\t\t\t%s {\n"
		  "\t\t\t\tlocal_ts = %s\n"
		  "\t\t\t\tremote_ts = 0.0.0.0/0\n"
		  "\t\t\t\tesp_proposals = " PROPOSALS "\n",
		  name, l, r, l, r, name, local_ts);
	if (updown)
		sb_printf(sb, "\t\t\t\tupdown = %s\n", updown);
	sb_printf(sb,
		  "\t\t\t\tstart_action = %s\n"
		  "\t\t\t\tdpd_action = %s\n"
		  "\t\t\t\tclose_action = %s\n"
		  "\t\t\t}\n"
		  "\t\t}\n"
		  "\t}\n",
		  initiator ? "start" : "none",
		  initiator ? "restart" : "clear",
		  initiator ? "start" : "none");
}

static void secret_text(struct strbuf *sb, const char *name, uint32_t a,
			uint32_t b, const char *psk)
{
	char x[IP_BUF], y[IP_BUF];

	sb_printf(sb,
		  "\tike-%s {\n\t\tid-a = %s\n\t\tid-b = %s\n"
		  "\t\tsecret = %s\n\t}\n",
		  name, ip_fmt(a, x), ip_fmt(b, y), psk);
}

/* The AWS end of tunnel t of c: it answers the customer gateway, with
 * AWS's default selectors (0.0.0.0/0 both ways), narrowed by the
 * customer's proposal to its networks. */
static char *aws_conf(const struct vpn_connection *c, size_t t,
		      const char *dir)
{
	const struct vpn_tunnel *tu = &c->tunnels[t];
	struct strbuf sb = { 0 };
	char name[8], *updown = str_printf("%s/updown", dir);

	snprintf(name, sizeof(name), "t%zu", t + 1);
	sb_puts(&sb, "connections {\n");
	conn_text(&sb, name, tu->outside_ip, c->cgw->ip, "0.0.0.0/0", false,
		  updown);
	sb_puts(&sb, "}\nsecrets {\n");
	secret_text(&sb, name, tu->outside_ip, c->cgw->ip, tu->psk);
	sb_puts(&sb, "}\n");
	free(updown);
	return sb_take(&sb);
}

/* The customer gateway: every tunnel of its connections, its networks
 * to anything; it initiates and keeps trying. */
static char *cgw_conf(const struct lab *lab, const struct customer_gateway *g)
{
	const struct res_list *l = &lab->res[RES_VPN_CONNECTION];
	struct strbuf sb = { 0 }, ts = { 0 }, sec = { 0 };
	char cb[CIDR_BUF], in[IP_BUF], name[MODEL_ID_MAX + 8], *tstext;
	size_t i, t;

	for (i = 0; i < g->nnetworks; i++)
		sb_printf(&ts, "%s%s", i ? "," : "",
			  cidr_fmt(g->networks[i], cb));
	tstext = sb_take(&ts);
	sb_puts(&sb, "connections {\n");
	for (i = 0; i < l->n; i++) {
		const struct vpn_connection *c =
			(const struct vpn_connection *)l->v[i];

		for (t = 0; c->cgw == g && t < MODEL_VPN_TUNNELS; t++) {
			const struct vpn_tunnel *tu = &c->tunnels[t];

			struct strbuf one = { 0 };
			char *lts;

			/* With BGP, the inside address too: its source
			 * picks the tunnel's SA (bird_cgw_conf). */
			sb_puts(&one, tstext ? tstext : "");
			if (c->bgp)
				sb_printf(&one, ",%s/32",
					  ip_fmt(tu->inside + 2, in));
			lts = sb_take(&one);
			snprintf(name, sizeof(name), "%s-t%zu", c->r.id,
				 t + 1);
			conn_text(&sb, name, g->ip, tu->outside_ip,
				  lts ? lts : "", true, NULL);
			free(lts);
			secret_text(&sec, name, g->ip, tu->outside_ip,
				    tu->psk);
		}
	}
	free(tstext);
	tstext = sb_take(&sec);
	sb_printf(&sb, "}\nsecrets {\n%s}\n", tstext ? tstext : "");
	free(tstext);
	return sb_take(&sb);
}

/* A static protocol NAME with the prefixes announced. */
static void bird_static(struct strbuf *sb, const char *name,
			const struct cidr *c, size_t n)
{
	char cb[CIDR_BUF];
	size_t i;

	sb_printf(sb, "protocol static %s {\n\tipv4;\n", name);
	for (i = 0; i < n; i++)
		sb_printf(sb, "\troute %s unreachable;\n", cidr_fmt(c[i], cb));
	sb_puts(sb, "}\n");
}

/* What every BIRD starts with: the router ID, the log, the interfaces. */
static void bird_head(struct strbuf *sb, const char *id, const char *dir)
{
	sb_printf(sb,
		  "router id %s;\n"
		  "log \"%s/bird.log\" all;\n"
		  "protocol device { scan time 2; }\n",
		  id, dir);
}

/* AWS's session over tunnel t of c, from the AWS inside address (on the
 * gateway link) to the customer's, announcing what protocol announce
 * holds. */
static void bird_aws_session(struct strbuf *sb, const struct vpn_connection *c,
			     size_t t, unsigned long asn, const char *announce)
{
	char a[IP_BUF], b[IP_BUF];

	sb_printf(sb,
		  "protocol bgp t%.8s_%zu {\n"
		  "\tlocal %s as %lu;\n"
		  "\tneighbor %s as %lu;\n"
		  "\t# behind the gateway's and the tunnel's "
		  "namespaces: not one hop away\n"
		  "\tmultihop;\n"
		  "\t" BGP_TIMERS ";\n"
		  "\tipv4 { import all; export where proto = "
		  "\"%s\"; };\n}\n",
		  c->r.id + 4, t + 1, ip_fmt(c->tunnels[t].inside + 1, a), asn,
		  ip_fmt(c->tunnels[t].inside + 2, b), c->cgw->asn, announce);
}

/* A kernel syncer for kernel table id: a BIRD table fed from master4 by
 * a pipe with filter cond, below the table's own routes (BGP_METRIC). */
static void bird_kernel_table(struct strbuf *sb, const char *name,
			      const char *cond, unsigned id)
{
	sb_printf(sb,
		  "ipv4 table %s;\n"
		  "protocol pipe %s_pipe {\n"
		  "\ttable master4;\n\tpeer table %s;\n"
		  "\timport none;\n"
		  "\texport where %s;\n}\n"
		  "protocol kernel %s_kernel {\n"
		  "\tipv4 { table %s; import none; export all; };\n"
		  "\tkernel table %u;\n\tmetric %d;\n}\n",
		  name, name, name, cond, name, name, id, BGP_METRIC);
}

/* BIRD at AWS's side of g's BGP connections, in its VPC's router: one
 * session per tunnel from the AWS inside address (on the gateway link)
 * to the customer's, announcing the VPC's blocks; what it learns goes to
 * the kernel tables of the route tables that propagate g, below their
 * own routes (BGP_METRIC). A session whose tunnel is down times out and
 * its routes go. */
static char *bird_aws_conf(const struct lab *lab, const struct vpn_gateway *g,
			   const char *dir)
{
	const struct res_list *l = &lab->res[RES_VPN_CONNECTION];
	struct strbuf sb = { 0 };
	char a[IP_BUF], name[32];
	size_t i, t, k, rank;
	bool head = false;

	for (i = 0; i < l->n; i++) {
		const struct vpn_connection *c =
			(const struct vpn_connection *)l->v[i];

		for (t = 0; c->vgw == g && c->bgp && t < MODEL_VPN_TUNNELS;
		     t++) {
			/* The first inside address is the router ID; the
			 * link's /30s resolve the next hops (multihop). */
			if (!head) {
				ip_fmt(c->tunnels[t].inside + 1, a);
				bird_head(&sb, a, dir);
				bird_static(&sb, "vpc", g->vpc->cidrs,
					    g->vpc->ncidrs);
				sb_printf(&sb,
					  "protocol direct { ipv4; "
					  "interface \"%s\"; }\n",
					  g->ifname);
			}
			head = true;
			bird_aws_session(&sb, c, t, g->asn, "vpc");
		}
	}
	for (i = 0; i < lab->nroute_tables; i++) {
		const struct route_table *rt = lab->route_tables[i];

		for (rank = 0, k = 0; k < i; k++)
			rank += lab->route_tables[k]->vpc == rt->vpc;
		for (k = 0; k < rt->nprop && rt->prop[k] != g; k++)
			;
		if (rt->vpc != g->vpc || k == rt->nprop)
			continue;
		/* One kernel syncer per BIRD table: a table and a pipe
		 * for each route table. */
		snprintf(name, sizeof(name), "rt%zu", i);
		bird_kernel_table(&sb, name, "source = RTS_BGP",
				  PLAN_TABLE_BASE + (unsigned)rank);
	}
	return sb_take(&sb);
}

/* The routes of rt's kernel table: BGP's, learned by the sessions of the
 * connections that propagate into rt; NULL when none does. */
static char *tgw_bgp_filter(const struct lab *lab,
			    const struct tgw_route_table *rt)
{
	const struct res_list *l = &lab->res[RES_VPN_CONNECTION];
	struct strbuf sb = { 0 };
	const char *sep = "source = RTS_BGP && (";
	size_t i, t;

	for (i = 0; i < l->n; i++) {
		const struct vpn_connection *c =
			(const struct vpn_connection *)l->v[i];

		if (c->tgw != rt->tgw || !c->bgp ||
		    !tgw_propagates(rt, &c->att))
			continue;
		for (t = 0; t < MODEL_VPN_TUNNELS; t++, sep = " || ")
			sb_printf(&sb, "%sproto = \"t%.8s_%zu\"", sep,
				  c->r.id + 4, t + 1);
	}
	if (*sep == 's')
		return NULL;
	sb_puts(&sb, ")");
	return sb_take(&sb);
}

/* BIRD at AWS's side of g's BGP VPN attachments, in the transit
 * gateway's namespace: per connection a static protocol with what its
 * attachment's table routes elsewhere (what AWS advertises to it), its
 * sessions, and what they learn into the kernel tables of the gateway
 * route tables the attachment propagates into (R-11.5: below static and
 * VPC routes, BGP_METRIC). */
static char *bird_tgw_conf(const struct lab *lab,
			   const struct transit_gateway *g, const char *dir)
{
	const struct res_list *l = &lab->res[RES_VPN_CONNECTION];
	struct strbuf sb = { 0 };
	char a[IP_BUF], name[32];
	size_t i, t, k;
	bool head = false;

	for (i = 0; i < l->n; i++) {
		const struct vpn_connection *c =
			(const struct vpn_connection *)l->v[i];
		struct cidr *reach = NULL;
		ssize_t n;

		if (c->tgw != g || !c->bgp)
			continue;
		n = tgw_reach(&c->att, &reach);
		if (n < 0)
			continue;
		if (!head) {
			bird_head(&sb, ip_fmt(c->tunnels[0].inside + 1, a),
				  dir);
			head = true;
		}
		snprintf(name, sizeof(name), "a%.8s", c->r.id + 4);
		bird_static(&sb, name, reach, (size_t)n);
		free(reach);
		sb_printf(&sb, "protocol direct d%.8s { ipv4; interface "
			       "\"%s\"; }\n",
			  c->r.id + 4, c->att.ifname);
		for (t = 0; t < MODEL_VPN_TUNNELS; t++)
			bird_aws_session(&sb, c, t, g->asn, name);
	}
	for (k = 0; head && k <= g->nrts; k++) {
		const struct tgw_route_table *rt =
			k < g->nrts ? g->rts[k] : g->default_rt;
		char *cond = rt ? tgw_bgp_filter(lab, rt) : NULL;

		snprintf(name, sizeof(name), "rt%zu", k);
		if (cond)
			bird_kernel_table(&sb, name, cond,
					  plan_tgw_table_id(rt));
		free(cond);
	}
	return sb_take(&sb);
}

/* BIRD at the customer gateway: one multihop session per tunnel of its
 * BGP connections, from its inside address (the source that picks the
 * tunnel's SA), announcing its networks. What it learns stays in BIRD:
 * the gateway already sends everything else into the tunnels. */
static char *bird_cgw_conf(const struct lab *lab,
			   const struct customer_gateway *g, const char *dir)
{
	const struct res_list *l = &lab->res[RES_VPN_CONNECTION];
	struct strbuf sb = { 0 };
	char a[IP_BUF], b[IP_BUF];
	size_t i, t;

	bird_head(&sb, ip_fmt(g->ip, a), dir);
	bird_static(&sb, "onprem", g->networks, g->nnetworks);
	for (i = 0; i < l->n; i++) {
		const struct vpn_connection *c =
			(const struct vpn_connection *)l->v[i];

		for (t = 0; c->cgw == g && c->bgp && t < MODEL_VPN_TUNNELS; t++)
			sb_printf(&sb,
				  "protocol bgp t%.8s_%zu {\n"
				  "\tlocal %s as %lu;\n"
				  "\tneighbor %s as %lu;\n"
				  "\tmultihop;\n"
				  "\t" BGP_TIMERS ";\n"
				  "\tipv4 { import all; export where proto = "
				  "\"onprem\"; };\n}\n",
				  c->r.id + 4, t + 1,
				  ip_fmt(c->tunnels[t].inside + 2, a), g->asn,
				  ip_fmt(c->tunnels[t].inside + 1, b),
				  c->vgw ? c->vgw->asn : c->tgw->asn);
	}
	return sb_take(&sb);
}

/* ---- one charon --------------------------------------------------------- */

/* mkdir -p of an absolute path, async-signal-safe (a forked child). */
static void mkdir_all(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

/* What the child could not do, into charon.out, then out. */
static void __attribute__((noreturn)) child_fail(const char *what)
{
	static const char pre[] = "vpcemud: cannot start charon: ";
	char num[12];
	int e = errno, n = (int)sizeof(num);

	do
		num[--n] = (char)('0' + e % 10);
	while ((e /= 10) && n > 0);
	if (write(2, pre, sizeof(pre) - 1) < 0 ||
	    write(2, what, strlen(what)) < 0 || write(2, ": errno ", 8) < 0 ||
	    write(2, num + n, sizeof(num) - (size_t)n) < 0 ||
	    write(2, "\n", 1) < 0)
		_exit(126);
	_exit(126);
}

/* The child: into the daemon's network namespace and its group, then a
 * mount namespace of its own (a slave of the host's) with a fresh /run:
 * charon's pid file is /var/run/charon.pid (BIRD is told its paths, and
 * gets the same). The daemon's directory, if it was under /run, is
 * mounted back: a clone taken before the tmpfs hides it. Only
 * async-signal-safe calls. */
static void __attribute__((noreturn))
daemon_child(const char *netns, char *dir, int log, int cgroup,
	     char *const argv[], char *const envp[])
{
	int i, tree;

	setpgid(0, 0);
	procs_child_defaults();
	if (dup2(log, 1) < 0 || dup2(log, 2) < 0)
		_exit(126);
	if (cgroup >= 0 && write(cgroup, "0", 1) < 0)
		child_fail("cgroup");
	i = open("/dev/null", O_RDONLY);
	if (i < 0 || dup2(i, 0) < 0)
		child_fail("/dev/null");
	close_range(3, ~0U, 0);
	errno = 0;
	if (nsexec_enter(netns) < 0)
		child_fail("setns");
	/* A slave, as `ip netns exec` makes it: a copy of the namespace
	 * mounts under /run/netns that ignored the host's unmounts would
	 * keep every namespace of the host alive while the daemon runs.
	 * Without them, none at all: it needs none. */
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount("none", "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		child_fail("mount namespace");
	if (umount2(NSEXEC_RUN_DIR, MNT_DETACH) < 0 && errno != EINVAL &&
	    errno != ENOENT)
		child_fail("umount " NSEXEC_RUN_DIR);
	tree = open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE);
	if (tree < 0)
		child_fail("open_tree");
	if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV,
		  "mode=0755") < 0)
		child_fail("tmpfs");
	mkdir_all(dir);
	if (move_mount(tree, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		child_fail("move_mount");
	close(tree);
	execve(argv[0], argv, envp);
	child_fail(argv[0]);
}

static int process_start(struct daemon *d)
{
	char *env_conf = str_printf("STRONGSWAN_CONF=%s/strongswan.conf",
				    d->dir);
	char *logp = dir_file(d, "out");
	char *dircopy = strdup(d->dir);
	char *envp[] = { env_conf, "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
			 "LANG=C", NULL };
	char *conf = dir_file(d, "bird.conf"), *ctl = dir_file(d, "bird.ctl");
	char *pidf = dir_file(d, "bird.pid");
	char *charon[] = { CHARON, NULL };
	/* -f: a child of ours, not a daemon of its own. */
	char *bird[] = { BIRD, "-f", "-c", conf, "-s", ctl, "-P", pidf, NULL };
	int log = -1, cgroup = -1, r = 0;
	pid_t pid;

	if (!env_conf || !logp || !dircopy || !conf || !ctl || !pidf) {
		r = -ENOMEM;
		goto out;
	}
	log = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log < 0) {
		r = -errno;
		goto out;
	}
	cgroup = procs_group_open(d->netns);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0)
		daemon_child(d->netns, dircopy, log, cgroup,
			     d->kind == D_BIRD ? bird : charon, envp);
	d->pid = pid;
	d->load_ticks = d->kind == D_BIRD ? 0 : LOAD_TRIES;
	d->loaded = false;
out:
	if (cgroup >= 0)
		close(cgroup);
	if (log >= 0)
		close(log);
	free(pidf);
	free(ctl);
	free(conf);
	free(dircopy);
	free(logp);
	free(env_conf);
	return r;
}

/* Reaps pid if it is gone (or waits when block); true once reaped, with
 * its wait status in *ret_ws (may be NULL). */
static bool reaped(pid_t pid, bool block, int *ret_ws)
{
	pid_t got;

	do
		got = waitpid(pid, ret_ws, block ? 0 : WNOHANG);
	while (got < 0 && errno == EINTR);
	return got != 0;
}

/* SIGTERM, up to STOP_WAIT_MS for it to go (charon deletes its SAs, so
 * the far end notices at once), then SIGKILL. */
static void stop_pid(pid_t *pid)
{
	uint64_t end = evloop_now_ms() + STOP_WAIT_MS;
	struct timespec ms10 = { 0, 10 * 1000000L };

	if (!*pid)
		return;
	kill(*pid, SIGTERM);
	while (!reaped(*pid, false, NULL) && evloop_now_ms() < end)
		nanosleep(&ms10, NULL);
	if (!reaped(*pid, false, NULL)) {
		kill(*pid, SIGKILL);
		reaped(*pid, true, NULL);
	}
	*pid = 0;
}

/* The link to the gateway follows the tunnel: down while it is DOWN. */
static void apply_state(struct daemon *d, bool up)
{
	char *status = dir_file(d, "status");
	struct nsh *ns = NULL;
	size_t i;
	int r;

	if (status)
		state_write_file(status, up ? "UP\n" : "DOWN\n", 0644);
	free(status);
	r = netns_open(d->netns, &ns);
	if (r >= 0)
		r = up ? link_set_up(ns, PLAN_VPN_GW_LINK)
		       : link_set_down(ns, PLAN_VPN_GW_LINK);
	for (i = 0; up && r >= 0 && i < d->nback; i++) {
		struct plan_route rt = { .table = 254, .dst = d->back[i],
					 .dev = PLAN_VPN_GW_LINK };

		r = route_add(ns, &rt);
	}
	nsh_close(ns);
	if (r < 0)
		vlog(d->vpn, LOG_WARNING, d->lab, "%s: cannot set %s %s: %s",
		     d->netns, PLAN_VPN_GW_LINK, up ? "up" : "down",
		     strerror(-r));
	else if (d->up >= 0)
		vlog(d->vpn, LOG_INFO, d->lab, "%s: tunnel %s", d->netns,
		     up ? "UP" : "DOWN");
	d->up = up;
}

/* swanctl --load-all through the charon's own socket. */
static void load_start(struct daemon *d)
{
	char *uri = str_printf("unix://%s/vici", d->dir);
	char *file = dir_file(d, "swanctl.conf");
	char *logp = dir_file(d, "swanctl.out");
	char *argv[] = { SWANCTL, "--load-all", "--noprompt", "--uri", uri,
			 "--file", file, NULL };
	int log = logp ? open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0600)
		       : -1;
	pid_t pid;

	if (uri && file && log >= 0 && (pid = fork()) == 0) {
		int null = open("/dev/null", O_RDONLY);

		procs_child_defaults();
		if (null < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 ||
		    dup2(log, 2) < 0)
			_exit(126);
		close_range(3, ~0U, 0);
		execv(SWANCTL, argv);
		_exit(127);
	} else if (uri && file && log >= 0 && pid > 0) {
		d->loader = pid;
	}
	if (log >= 0)
		close(log);
	free(logp);
	free(file);
	free(uri);
}

static void daemon_stop(struct daemon *d)
{
	stop_pid(&d->loader);
	stop_pid(&d->pid);
}

static void daemon_free(struct daemon *d)
{
	daemon_stop(d);
	free(d->lab);
	free(d->netns);
	free(d->key);
	free(d->dir);
	free(d->conf);
	free(d->back);
	free(d);
}

/* Writes d's files: strongswan.conf, swanctl.conf and updown for a
 * charon, bird.conf for BIRD (d->conf is the daemon's own file). */
static int daemon_files(struct daemon *d)
{
	bool bird = d->kind == D_BIRD;
	char *files[] = { dir_file(d, bird ? "bird.conf" : "swanctl.conf"),
			  dir_file(d, "strongswan.conf"),
			  dir_file(d, "updown"), dir_file(d, "state") };
	char *texts[] = { strdup(d->conf), charon_conf(d->dir),
			  updown_script(d->dir) };
	size_t i, n = bird ? 1 : ARRAY_SIZE(texts);
	int r = 0;

	for (i = 0; i < n && !r; i++)
		r = texts[i] && files[i]
			    ? state_write_file(files[i], texts[i],
					       i == 2 ? 0700 : 0600)
			    : -ENOMEM;
	if (files[3])
		unlink(files[3]);
	for (i = 0; i < ARRAY_SIZE(files); i++)
		free(files[i]);
	for (i = 0; i < ARRAY_SIZE(texts); i++)
		free(texts[i]);
	return r;
}

static const char *daemon_name(const struct daemon *d)
{
	return d->kind == D_BIRD ? "bird" : "charon";
}

/* Writes d's files and starts its process. */
static void daemon_start(struct daemon *d)
{
	char *parent = str_printf("%s/vpn", state_dir());
	int r = -ENOMEM;

	if (parent && (mkdir(parent, 0700) == 0 || errno == EEXIST) &&
	    (mkdir(d->dir, 0700) == 0 || errno == EEXIST))
		r = daemon_files(d);
	else if (parent)
		r = -errno;
	if (!r)
		r = process_start(d);
	if (r < 0)
		vlog(d->vpn, LOG_ERR, d->lab, "%s: cannot start %s: %s",
		     d->netns, daemon_name(d), strerror(-r));
	else
		vlog(d->vpn, LOG_INFO, d->lab, "%s: %s started, pid %d",
		     d->netns, daemon_name(d), (int)d->pid);
	free(parent);
}

/* ---- the timer ---------------------------------------------------------- */

/* Whether every AWS end of d's lab that runs has its configuration. */
static bool aws_loaded(const struct daemon *d)
{
	const struct daemon *o;

	for (o = d->vpn->ds; o; o = o->next)
		if (o->kind == D_AWS && o->pid && !o->loaded &&
		    !strcmp(o->lab, d->lab))
			return false;
	return true;
}

static void tick_one(struct daemon *d)
{
	char state[16], *sock;
	struct stat st;
	int ws = 0;
	bool up;

	if (d->loader && reaped(d->loader, false, &ws)) {
		d->loaded = WIFEXITED(ws) && !WEXITSTATUS(ws);
		if (!d->loaded)
			vlog(d->vpn, LOG_ERR, d->lab,
			     "%s: swanctl failed (wait status 0x%x), see %s/swanctl.out",
			     d->netns, (unsigned)ws, d->dir);
		d->loader = 0;
	}
	if (d->pid && reaped(d->pid, false, &ws)) {
		vlog(d->vpn, LOG_WARNING, d->lab,
		     "%s: %s %d exited (wait status 0x%x)", d->netns,
		     daemon_name(d), (int)d->pid, (unsigned)ws);
		d->pid = 0;
		/* It never ran (its namespace was not there yet: a lab
		 * being repaired): again later. A charon that ran and
		 * stopped stays down, as a failed tunnel end does. */
		if (WIFEXITED(ws) && WEXITSTATUS(ws) == 126)
			d->retry_ticks = RETRY_TICKS;
	}
	if (d->retry_ticks && !--d->retry_ticks && process_start(d) < 0)
		d->retry_ticks = RETRY_TICKS;
	/* A customer gateway initiates: not before AWS's ends answer (an
	 * unknown peer gets NO_PROPOSAL_CHOSEN, which is final). */
	if (d->pid && d->load_ticks && (d->kind == D_AWS || aws_loaded(d))) {
		sock = dir_file(d, "vici");
		if (sock && stat(sock, &st) == 0 && S_ISSOCK(st.st_mode)) {
			d->load_ticks = 0;
			load_start(d);
		} else if (!--d->load_ticks) {
			vlog(d->vpn, LOG_ERR, d->lab, "%s: no vici socket",
			     d->netns);
		}
		free(sock);
	}
	if (d->kind != D_AWS)
		return;
	read_line(d->dir, "state", state, sizeof(state));
	up = d->pid && !strncmp(state, "up", 2);
	if (d->up < 0 || up != (bool)d->up)
		apply_state(d, up);
}

static void on_tick(struct evloop *el, uint64_t id, void *data)
{
	struct vpn *v = data;
	struct daemon *d;

	for (d = v->ds; d; d = d->next)
		tick_one(d);
}

/* ---- labs --------------------------------------------------------------- */

struct vpn *vpn_new(struct evloop *el)
{
	struct vpn *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->el = el;
	v->timer = evloop_add_timer(el, TICK_MS, TICK_MS, on_tick, v);
	if (!v->timer) {
		free(v);
		return NULL;
	}
	return v;
}

void vpn_set_log(struct vpn *v, vpn_log_fn fn)
{
	v->log = fn;
}

static struct daemon *find(struct vpn *v, const char *key)
{
	struct daemon *d;

	for (d = v->ds; d; d = d->next)
		if (!strcmp(d->key, key))
			return d;
	return NULL;
}

/* One wanted process: kept when it runs with the same text, else
 * (re)started. An AWS end gets what its link routes back (back, nback:
 * taken). conf is taken. */
static void want(struct vpn *v, const char *lab, const char *netns,
		 enum daemon_kind kind, struct cidr *back, size_t nback,
		 char *conf)
{
	char *key = kind == D_BIRD ? str_printf("%s.bird", netns)
				   : strdup(netns);
	struct daemon *d = key ? find(v, key) : NULL;

	if (!key || !conf || (nback && !back))
		goto drop;
	if (!d) {
		d = calloc(1, sizeof(*d));
		if (!d || !(d->lab = strdup(lab)) ||
		    !(d->netns = strdup(netns)) || !(d->dir = vpn_dir(key))) {
			if (d) {
				free(d->lab);
				free(d->netns);
			}
			free(d);
			goto drop;
		}
		d->key = key;
		key = NULL;
		d->vpn = v;
		d->next = v->ds;
		v->ds = d;
	}
	free(key);
	free(d->back);
	d->back = back;
	d->nback = nback;
	d->wanted = true;
	d->up = -1;	/* an apply may have set the link up again */
	if (d->pid && d->conf && !strcmp(d->conf, conf)) {
		free(conf);
		return;
	}
	daemon_stop(d);
	free(d->conf);
	d->conf = conf;
	d->kind = kind;
	daemon_start(d);
	return;
drop:
	free(key);
	free(conf);
	free(back);
}

/* Removes what a daemon leaves in its directory. */
static void dir_remove(const char *dir)
{
	static const char *const files[] = {
		"strongswan.conf", "swanctl.conf", "updown", "state", "status",
		"vici", "charon.log", "out", "swanctl.out", "bird.conf",
		"bird.ctl", "bird.pid", "bird.log",
	};
	char *p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		p = dir_path(dir, files[i]);
		if (p)
			unlink(p);
		free(p);
	}
	rmdir(dir);
	p = str_printf("%s/vpn", state_dir());
	if (p)
		rmdir(p);	/* when it was the last one */
	free(p);
}

/* Drops the daemons of lab whose wanted mark is off. */
static void sweep(struct vpn *v, const char *lab)
{
	struct daemon **pp = &v->ds, *d;

	while ((d = *pp)) {
		if (!strcmp(d->lab, lab) && !d->wanted) {
			*pp = d->next;
			daemon_stop(d);
			dir_remove(d->dir);
			daemon_free(d);
		} else {
			pp = &d->next;
		}
	}
}

static void unmark(struct vpn *v, const char *lab)
{
	struct daemon *d;

	for (d = v->ds; d; d = d->next)
		if (!strcmp(d->lab, lab))
			d->wanted = false;
}

/* The AWS end of tunnel t of c. Its link to the gateway routes back
 * what lies behind the gateway (the VPC's blocks, or what a transit
 * gateway attachment's table routes elsewhere) and, for BGP, the AWS
 * inside address (plan.c). */
static void want_aws(struct vpn *v, const struct lab *lab,
		     const struct vpn_connection *c, size_t t)
{
	const struct vpc *vpc = c->vgw ? c->vgw->vpc : NULL;
	struct cidr *reach = NULL, *back;
	ssize_t nreach = vpc ? (ssize_t)vpc->ncidrs : tgw_reach(&c->att, &reach);
	size_t n = (nreach > 0 ? (size_t)nreach : 0) + (c->bgp ? 1 : 0);
	char *dir = vpn_dir(c->tunnels[t].netns);

	back = nreach >= 0 ? calloc(n ? n : 1, sizeof(*back)) : NULL;
	if (back) {
		memcpy(back, vpc ? vpc->cidrs : reach,
		       (n - (c->bgp ? 1 : 0)) * sizeof(*back));
		if (c->bgp)
			back[n - 1] =
				(struct cidr){ c->tunnels[t].inside + 1, 32 };
	}
	free(reach);
	if (dir && back)
		want(v, lab->name, c->tunnels[t].netns, D_AWS, back, n,
		     aws_conf(c, t, dir));
	else
		free(back);
	free(dir);
}

/* BIRD in netns for gw, a customer or virtual private gateway. */
static void want_bird(struct vpn *v, const struct lab *lab,
		      const char *netns, const struct res *gw)
{
	char *key = str_printf("%s.bird", netns);
	char *dir = key ? vpn_dir(key) : NULL;

	if (dir)
		want(v, lab->name, netns, D_BIRD, NULL, 0,
		     gw->kind == RES_VPN_GATEWAY
			     ? bird_aws_conf(lab,
					     (const struct vpn_gateway *)gw,
					     dir)
		     : gw->kind == RES_TRANSIT_GATEWAY
			     ? bird_tgw_conf(lab,
					     (const struct transit_gateway *)gw,
					     dir)
			     : bird_cgw_conf(lab,
					     (const struct customer_gateway *)
						     gw,
					     dir));
	free(dir);
	free(key);
}

void vpn_lab_set(struct vpn *v, const struct lab *lab)
{
	const struct res_list *conns = &lab->res[RES_VPN_CONNECTION];
	const struct res_list *cgws = &lab->res[RES_CUSTOMER_GATEWAY];
	const struct res_list *vgws = &lab->res[RES_VPN_GATEWAY];
	const struct res_list *tgws = &lab->res[RES_TRANSIT_GATEWAY];
	size_t i, t;

	unmark(v, lab->name);
	for (i = 0; i < conns->n; i++) {
		const struct vpn_connection *c =
			(const struct vpn_connection *)conns->v[i];

		for (t = 0; (c->tgw || (c->vgw && c->vgw->vpc)) &&
			    t < MODEL_VPN_TUNNELS;
		     t++)
			want_aws(v, lab, c, t);
	}
	for (i = 0; i < cgws->n; i++) {
		const struct customer_gateway *g =
			(const struct customer_gateway *)cgws->v[i];

		if (vpn_has_connection(lab, &g->r, false))
			want(v, lab->name, g->netns, D_CGW, NULL, 0,
			     cgw_conf(lab, g));
		if (vpn_has_connection(lab, &g->r, true))
			want_bird(v, lab, g->netns, &g->r);
	}
	for (i = 0; i < vgws->n; i++) {
		const struct vpn_gateway *g =
			(const struct vpn_gateway *)vgws->v[i];
		char *router = g->vpc ? plan_router_netns(lab, g->vpc) : NULL;

		if (router && vpn_has_connection(lab, &g->r, true))
			want_bird(v, lab, router, &g->r);
		free(router);
	}
	for (i = 0; i < tgws->n; i++) {
		const struct transit_gateway *g =
			(const struct transit_gateway *)tgws->v[i];

		if (vpn_has_connection(lab, &g->r, true))
			want_bird(v, lab, g->netns, &g->r);
	}
	sweep(v, lab->name);
}

/* Whether next has a VPN namespace named netns. */
static bool lab_has_netns(const struct lab *next, const char *netns)
{
	const struct res_list *conns = &next->res[RES_VPN_CONNECTION];
	const struct res_list *cgws = &next->res[RES_CUSTOMER_GATEWAY];
	size_t i, t;

	for (i = 0; i < conns->n; i++)
		for (t = 0; t < MODEL_VPN_TUNNELS; t++)
			if (!strcmp(((const struct vpn_connection *)conns->v[i])
					    ->tunnels[t].netns,
				    netns))
				return true;
	for (i = 0; i < cgws->n; i++)
		if (!strcmp(((const struct customer_gateway *)cgws->v[i])->netns,
			    netns))
			return true;
	for (i = 0; i < next->res[RES_TRANSIT_GATEWAY].n; i++)
		if (!strcmp(((const struct transit_gateway *)
				     next->res[RES_TRANSIT_GATEWAY].v[i])
				    ->netns,
			    netns))
			return true;
	for (i = 0; i < next->nvpcs; i++) {
		char *router = plan_router_netns(next, next->vpcs[i]);
		bool same = router && !strcmp(router, netns);

		free(router);
		if (same)
			return true;
	}
	return false;
}

void vpn_lab_prune(struct vpn *v, const struct lab *next)
{
	struct daemon *d;

	for (d = v->ds; d; d = d->next)
		if (!strcmp(d->lab, next->name))
			d->wanted = lab_has_netns(next, d->netns);
	sweep(v, next->name);
}

void vpn_lab_drop(struct vpn *v, const char *name)
{
	unmark(v, name);
	sweep(v, name);
}

void vpn_free(struct vpn *v)
{
	if (!v)
		return;
	while (v->ds) {
		struct daemon *d = v->ds;

		v->ds = d->next;
		daemon_free(d);
	}
	evloop_del_timer(v->el, v->timer);
	free(v);
}
