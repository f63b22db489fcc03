/* svc/flowlog.c - VPC Flow Logs from the kernel's verdicts (flowlog.h).
 *
 * Owns, per lab: one struct fl_router per logged VPC router (two netlink
 * sockets opened inside its namespace), one struct fl_log per flow log
 * (its open file, timer and the interval's records), and a table of the
 * ENIs records were made for (IDs copied, so that a record outlives a
 * model change).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_compat.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>

#include "vpcemu/addr.h"
#include "vpcemu/evloop.h"
#include "vpcemu/flowlog.h"
#include "vpcemu/flowrec.h"
#include "vpcemu/model.h"
#include "vpcemu/netns.h"
#include "vpcemu/nftutil.h"
#include "vpcemu/plan.h"
#include "vpcemu/util.h"

#define RECORDS_MAX 10000	/* per flow log and interval, then SKIPDATA */
#define READ_BATCH 256		/* messages per wake-up */
#define DRAIN_MAX 4096		/* messages read before a flush */
#define COPY_RANGE 64		/* bytes of a dropped packet: IP + ports */

struct fl_lab;

/* An ENI records were made for. */
struct fl_eni {
	char id[MODEL_ID_MAX], vpc[MODEL_ID_MAX], subnet[MODEL_ID_MAX];
	char instance[MODEL_ID_MAX];	/* "" for none */
};

struct fl_ifname {
	unsigned index;
	char name[IF_NAMESIZE];
};

struct fl_router {
	struct fl_router *next;
	struct fl_lab *fx;
	char vpc_id[MODEL_ID_MAX];
	int fd;			/* NFLOG and conntrack DESTROY events */
	int dump_fd;		/* conntrack dumps */
	/* 5-tuples (flowrec keys without ENI) NFLOG saw dropped since the
	 * last dump, and the conntrack IDs of the last dump. */
	struct flowrec_agg drops, seen, seen_next;
	struct fl_ifname *ifs;
	size_t nifs;
	bool wanted;
};

struct fl_log {
	struct fl_log *next;
	struct fl_lab *fx;
	const struct flow_log *f;	/* in fx->lab */
	char id[MODEL_ID_MAX];
	char *conf;		/* what must stay equal to keep it */
	char *path;
	struct flowrec_format fmt;
	int fd;
	uint64_t timer;
	uint64_t start;		/* Unix seconds: the interval's start */
	struct flowrec_agg agg;
	bool *skipped;		/* per fx->enis */
	size_t nskipped;
	bool wanted;
};

struct fl_lab {
	struct fl_lab *next;
	struct flowlog *fl;
	const struct lab *lab;
	struct fl_router *routers;
	struct fl_log *logs;
	struct fl_eni *enis;
	size_t nenis;
};

struct flowlog {
	struct evloop *el;
	struct fl_lab *labs;
	flowlog_log_fn log;
};

static void flog(struct fl_lab *fx, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void flog(struct fl_lab *fx, int prio, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!fx->fl->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fx->fl->log(prio, fx->lab->name, msg);
}

static uint64_t wall_now(void)
{
	return (uint64_t)time(NULL);
}

/* ---- the model's side ------------------------------------------------ */

static const struct vpc *router_vpc(const struct fl_router *r)
{
	const struct lab *lab = r->fx->lab;
	size_t i;

	for (i = 0; i < lab->nvpcs; i++)
		if (!strcmp(lab->vpcs[i]->r.id, r->vpc_id))
			return lab->vpcs[i];
	return NULL;
}

static const struct eni *eni_by_ip(const struct lab *lab,
				   const struct vpc *vpc, uint32_t ip)
{
	size_t i;

	for (i = 0; i < lab->nenis; i++)
		if (lab->enis[i]->ip == ip &&
		    (!vpc || lab->enis[i]->subnet->vpc == vpc))
			return lab->enis[i];
	return NULL;
}

static const struct eni *eni_by_ifname(const struct lab *lab,
				       const struct vpc *vpc, const char *name)
{
	size_t i;

	for (i = 0; i < lab->nenis; i++)
		if (!strcmp(lab->enis[i]->ifname, name) &&
		    lab->enis[i]->subnet->vpc == vpc)
			return lab->enis[i];
	return NULL;
}

/* traffic-path of egress traffic from vpc to dst. */
static uint8_t path_to(const struct lab *lab, const struct vpc *vpc,
		       uint32_t dst)
{
	const struct eni *far;
	size_t i;

	for (i = 0; i < vpc->ncidrs; i++)
		if (cidr_has_ip(vpc->cidrs[i], dst))
			return FR_PATH_VPC;
	far = eni_by_ip(lab, NULL, dst);
	if (!far)
		return internet_gateway_of(lab, vpc) ? FR_PATH_IGW
						     : FR_PATH_VPC;
	for (i = 0; i < lab->npeerings; i++) {
		const struct peering *p = lab->peerings[i];

		if (p->status == PEERING_ACTIVE &&
		    nftutil_peer_of(p, vpc) == far->subnet->vpc)
			return strcmp(vpc->region, far->subnet->vpc->region)
				       ? FR_PATH_PEERING_X
				       : FR_PATH_PEERING;
	}
	return FR_PATH_VPC;	/* a transit gateway: its ENIs are ours */
}

static uint32_t eni_intern(struct fl_lab *fx, const struct eni *e)
{
	struct fl_eni *v;
	size_t i;

	for (i = 0; i < fx->nenis; i++)
		if (!strcmp(fx->enis[i].id, e->r.id))
			return i;
	v = reallocarray(fx->enis, fx->nenis + 1, sizeof(*v));
	if (!v)
		return UINT32_MAX;
	fx->enis = v;
	v = &v[fx->nenis];
	*v = (struct fl_eni){ 0 };
	snprintf(v->id, sizeof(v->id), "%s", e->r.id);
	snprintf(v->vpc, sizeof(v->vpc), "%s", e->subnet->vpc->r.id);
	snprintf(v->subnet, sizeof(v->subnet), "%s", e->subnet->r.id);
	if (e->instance)
		snprintf(v->instance, sizeof(v->instance), "%s",
			 e->instance->r.id);
	return fx->nenis++;
}

static void mark_skipped(struct fl_log *l, uint32_t eni)
{
	bool *v;

	if (eni >= l->nskipped) {
		v = reallocarray(l->skipped, eni + 1, sizeof(*v));
		if (!v)
			return;
		memset(v + l->nskipped, 0, (eni + 1 - l->nskipped) * sizeof(*v));
		l->skipped = v;
		l->nskipped = eni + 1;
	}
	l->skipped[eni] = true;
}

/* One verdict about packets of k's 5-tuple on ENI e: into every flow log
 * of the lab that covers e and takes that action. */
static void record(struct fl_lab *fx, const struct eni *e,
		   struct flowrec_key k, uint64_t packets, uint64_t bytes,
		   uint8_t tcp_flags)
{
	struct fl_log *l;

	if (!packets)
		return;
	for (l = fx->logs; l; l = l->next) {
		if (!flow_log_covers(l->f, e) ||
		    l->f->traffic == (k.reject ? FLOW_ACCEPT : FLOW_REJECT))
			continue;
		k.eni = eni_intern(fx, e);
		if (k.eni == UINT32_MAX)
			continue;
		if (flowrec_add(&l->agg, &k, packets, bytes, tcp_flags) ==
		    -ENOSPC)
			mark_skipped(l, k.eni);
	}
}

/* ---- NFLOG: drops ---------------------------------------------------- */

/* The name of ifindex in r's namespace (the socket's: SIOCGIFNAME
 * answers for the namespace the socket lives in). */
static const char *ifname_of(struct fl_router *r, unsigned index)
{
	struct ifreq ifr = { .ifr_ifindex = (int)index };
	struct fl_ifname *v;
	size_t i;

	for (i = 0; i < r->nifs; i++)
		if (r->ifs[i].index == index)
			return r->ifs[i].name;
	if (ioctl(r->dump_fd, SIOCGIFNAME, &ifr) < 0)
		return NULL;
	v = reallocarray(r->ifs, r->nifs + 1, sizeof(*v));
	if (!v)
		return NULL;
	r->ifs = v;
	v = &v[r->nifs++];
	v->index = index;
	snprintf(v->name, sizeof(v->name), "%s", ifr.ifr_name);
	return v->name;
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	tb[type] = a;
	return MNL_CB_OK;
}

/* Fills k's 5-tuple from an IPv4 packet; *len its total length, *flags
 * its TCP flags. */
static bool parse_packet(const uint8_t *p, size_t n, struct flowrec_key *k,
			 uint64_t *len, uint8_t *flags)
{
	size_t ihl;

	if (n < 20 || (p[0] >> 4) != 4)
		return false;
	ihl = (p[0] & 0xf) * 4u;
	*len = (uint64_t)p[2] << 8 | p[3];
	k->proto = p[9];
	k->src = k->pkt_src = (uint32_t)p[12] << 24 | p[13] << 16 |
			       p[14] << 8 | p[15];
	k->dst = k->pkt_dst = (uint32_t)p[16] << 24 | p[17] << 16 |
			       p[18] << 8 | p[19];
	*flags = 0;
	if ((k->proto == 6 || k->proto == 17) && n >= ihl + 4) {
		k->sport = (uint16_t)(p[ihl] << 8 | p[ihl + 1]);
		k->dport = (uint16_t)(p[ihl + 2] << 8 | p[ihl + 3]);
	}
	if (k->proto == 6 && n >= ihl + 14)
		*flags = flowrec_tcp_flags(p[ihl + 13]);
	return true;
}

static void on_nflog(struct fl_router *r, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[NFULA_MAX + 1] = { 0 };
	const struct vpc *vpc = router_vpc(r);
	struct flowrec_key k = { 0 }, t;
	const struct eni *e;
	const char *prefix, *name;
	uint64_t len;
	uint8_t flags;
	int dev;

	if (!vpc || mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb,
				   tb) < 0 ||
	    !tb[NFULA_PREFIX] || !tb[NFULA_PAYLOAD])
		return;
	prefix = mnl_attr_get_str(tb[NFULA_PREFIX]);
	k.egress = prefix[0] == 'o';
	dev = k.egress ? NFULA_IFINDEX_INDEV : NFULA_IFINDEX_OUTDEV;
	if (!tb[dev] ||
	    !(name = ifname_of(r, ntohl(mnl_attr_get_u32(tb[dev])))) ||
	    !(e = eni_by_ifname(r->fx->lab, vpc, name)) ||
	    !parse_packet(mnl_attr_get_payload(tb[NFULA_PAYLOAD]),
			  mnl_attr_get_payload_len(tb[NFULA_PAYLOAD]), &k,
			  &len, &flags) ||
	    flowrec_excluded(vpc, r->fx->lab, k.src, k.dst, NULL, NULL))
		return;
	if (k.proto != 6 && k.proto != 17)
		k.sport = k.dport = 0;
	k.reject = 1;
	if (k.egress)
		k.path = path_to(r->fx->lab, vpc, k.dst);
	record(r->fx, e, k, 1, len, flags);
	/* Conntrack counted it too: the next dump takes it off. */
	t = (struct flowrec_key){ .src = k.src, .dst = k.dst,
				  .sport = k.sport, .dport = k.dport,
				  .proto = k.proto };
	flowrec_add(&r->drops, &t, 1, len, 0);
}

/* ---- conntrack: accepted traffic ------------------------------------- */

struct ct_tuple {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto;
};

static bool parse_tuple(const struct nlattr *nest, struct ct_tuple *t)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1] = { 0 };
	const struct nlattr *ip[CTA_IP_MAX + 1] = { 0 };
	const struct nlattr *pr[CTA_PROTO_MAX + 1] = { 0 };

	if (!nest || mnl_attr_parse_nested(nest, attr_cb, tb) < 0 ||
	    !tb[CTA_TUPLE_IP] || !tb[CTA_TUPLE_PROTO] ||
	    mnl_attr_parse_nested(tb[CTA_TUPLE_IP], attr_cb, ip) < 0 ||
	    mnl_attr_parse_nested(tb[CTA_TUPLE_PROTO], attr_cb, pr) < 0 ||
	    !ip[CTA_IP_V4_SRC] || !ip[CTA_IP_V4_DST] || !pr[CTA_PROTO_NUM])
		return false;
	*t = (struct ct_tuple){
		.src = ntohl(mnl_attr_get_u32(ip[CTA_IP_V4_SRC])),
		.dst = ntohl(mnl_attr_get_u32(ip[CTA_IP_V4_DST])),
		.proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]),
	};
	if (pr[CTA_PROTO_SRC_PORT] && (t->proto == 6 || t->proto == 17)) {
		t->sport = ntohs(mnl_attr_get_u16(pr[CTA_PROTO_SRC_PORT]));
		t->dport = ntohs(mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT]));
	}
	return true;
}

static void parse_counters(const struct nlattr *nest, uint64_t *packets,
			   uint64_t *bytes)
{
	const struct nlattr *tb[CTA_COUNTERS_MAX + 1] = { 0 };

	*packets = *bytes = 0;
	if (!nest || mnl_attr_parse_nested(nest, attr_cb, tb) < 0 ||
	    !tb[CTA_COUNTERS_PACKETS] || !tb[CTA_COUNTERS_BYTES])
		return;
	*packets = be64toh(mnl_attr_get_u64(tb[CTA_COUNTERS_PACKETS]));
	*bytes = be64toh(mnl_attr_get_u64(tb[CTA_COUNTERS_BYTES]));
}

/* What NFLOG saw dropped of k's 5-tuple comes off the count. */
static void minus_drops(struct fl_router *r, const struct flowrec_key *k,
			uint64_t *packets, uint64_t *bytes)
{
	struct flowrec_key t = { .src = k->src, .dst = k->dst,
				 .sport = k->sport, .dport = k->dport,
				 .proto = k->proto };
	const struct flowrec *d = flowrec_find(&r->drops, &t);

	if (!d)
		return;
	*packets = *packets > d->packets ? *packets - d->packets : 0;
	*bytes = *bytes > d->bytes ? *bytes - d->bytes : 0;
}

/* TCP flags of one direction, from what conntrack keeps: SYN (SYN-ACK
 * for the reply) the first time a flow is seen, FIN once it closes. */
static uint8_t ct_flags(const struct nlattr *protoinfo, bool first,
			bool reply)
{
	const struct nlattr *tb[CTA_PROTOINFO_MAX + 1] = { 0 };
	const struct nlattr *tcp[CTA_PROTOINFO_TCP_MAX + 1] = { 0 };
	uint8_t f = first ? (reply ? 0x12 : 0x02) : 0, state;

	if (protoinfo &&
	    mnl_attr_parse_nested(protoinfo, attr_cb, tb) >= 0 &&
	    tb[CTA_PROTOINFO_TCP] &&
	    mnl_attr_parse_nested(tb[CTA_PROTOINFO_TCP], attr_cb, tcp) >= 0 &&
	    tcp[CTA_PROTOINFO_TCP_STATE]) {
		state = mnl_attr_get_u8(tcp[CTA_PROTOINFO_TCP_STATE]);
		/* FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT, CLOSE */
		if (state >= 4 && state <= 8)
			f |= 0x01;
	}
	return f;
}

/* One conntrack entry's counts since the last dump: up to four records
 * on the ENIs of this router at either end. */
static void on_ct(struct fl_router *r, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[CTA_MAX + 1] = { 0 };
	const struct vpc *vpc = router_vpc(r);
	const struct lab *lab = r->fx->lab;
	const struct eni *a, *b;
	struct ct_tuple o, y;
	struct flowrec_key k[2] = { { 0 }, { 0 } }, idk = { 0 };
	uint64_t p[2], n[2];
	bool first = false, tcp;
	int d;

	if (!vpc ||
	    mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, tb) < 0 ||
	    !parse_tuple(tb[CTA_TUPLE_ORIG], &o) ||
	    !parse_tuple(tb[CTA_TUPLE_REPLY], &y))
		return;
	a = eni_by_ip(lab, vpc, o.src);		/* the opener */
	b = eni_by_ip(lab, vpc, y.src);		/* the receiver */
	if ((!a && !b) || flowrec_excluded(vpc, lab, o.src, o.dst, a, b))
		return;
	tcp = o.proto == 6;
	/* A flow the last dump did not hold is new in this interval: SYN.
	 * A DESTROY event's flow is in no dump to come. */
	if (tb[CTA_ID]) {
		idk.src = ntohl(mnl_attr_get_u32(tb[CTA_ID]));
		first = !flowrec_find(&r->seen, &idk);
		if (NFNL_MSG_TYPE(nlh->nlmsg_type) != IPCTNL_MSG_CT_DELETE)
			flowrec_add(&r->seen_next, &idk, 1, 0, 0);
	}
	parse_counters(tb[CTA_COUNTERS_ORIG], &p[0], &n[0]);
	parse_counters(tb[CTA_COUNTERS_REPLY], &p[1], &n[1]);
	/* As the router forwards them (after destination NAT): original
	 * packets from o.src to the receiver, replies back to o.src. */
	k[0] = (struct flowrec_key){ .src = o.src, .dst = y.src,
				     .pkt_src = o.src, .pkt_dst = o.dst,
				     .sport = o.sport, .dport = y.sport,
				     .proto = o.proto };
	k[1] = (struct flowrec_key){ .src = y.src, .dst = o.src,
				     .pkt_src = y.src, .pkt_dst = y.dst,
				     .sport = y.sport, .dport = o.sport,
				     .proto = o.proto };
	for (d = 0; d < 2; d++) {
		const struct eni *from = d ? b : a, *to = d ? a : b;
		uint8_t flags = tcp ? ct_flags(tb[CTA_PROTOINFO], first, d)
				    : 0;

		minus_drops(r, &k[d], &p[d], &n[d]);
		if (from) {
			k[d].egress = 1;
			k[d].path = path_to(lab, vpc, k[d].dst);
			record(r->fx, from, k[d], p[d], n[d], flags);
		}
		if (to) {
			k[d].egress = 0;
			k[d].path = 0;
			record(r->fx, to, k[d], p[d], n[d], flags);
		}
	}
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fl_router *r = data;

	switch (NFNL_SUBSYS_ID(nlh->nlmsg_type)) {
	case NFNL_SUBSYS_ULOG:
		if (NFNL_MSG_TYPE(nlh->nlmsg_type) == NFULNL_MSG_PACKET)
			on_nflog(r, nlh);
		break;
	case NFNL_SUBSYS_CTNETLINK:
		on_ct(r, nlh);
		break;
	}
	return MNL_CB_OK;
}

/* Reads at most max messages of r's event socket, as many as wait. */
static void drain(struct fl_router *r, int max)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;
	int i;

	for (i = 0; i < max; i++) {
		n = recv(r->fd, buf, sizeof(buf), 0);
		if (n <= 0) {
			/* ENOBUFS: the kernel dropped messages; what
			 * follows is fine. */
			if (n < 0 && errno == ENOBUFS)
				continue;
			return;
		}
		mnl_cb_run(buf, (size_t)n, 0, 0, msg_cb, r);
	}
}

static void on_events(struct evloop *el, int fd, unsigned events, void *data)
{
	(void)el;
	(void)fd;
	(void)events;
	drain(data, READ_BATCH);
}

/* Reads and zeroes the counters of every flow of r's router. A dump cut
 * short (EINTR, NLM_F_DUMP_INTR) is accepted: the counts it missed stay
 * for the next one. */
static void ct_dump(struct fl_router *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	struct flowrec_agg t;
	ssize_t n;
	int ret = MNL_CB_OK;

	nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_GET_CTRZERO;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_INET;
	g->version = NFNETLINK_V0;
	if (send(r->dump_fd, nlh, nlh->nlmsg_len, 0) < 0)
		goto out;
	while (ret > MNL_CB_STOP) {
		n = recv(r->dump_fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		ret = mnl_cb_run(buf, (size_t)n, 0, 0, msg_cb, r);
	}
	/* The IDs of this dump are the "seen" of the next. */
	t = r->seen;
	r->seen = r->seen_next;
	r->seen_next = t;
	flowrec_agg_clear(&r->seen_next);
out:
	flowrec_agg_clear(&r->drops);
}

/* ---- routers --------------------------------------------------------- */

struct open_req {
	int fd, dump_fd;
};

static int nfnl_socket(unsigned groups)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = groups };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* Sends one NFLOG config message with an attribute, and reads its ack. */
static int nflog_config(int fd, uint16_t type, const void *val, size_t len)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	ssize_t n;

	nlh->nlmsg_type = NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(NFTUTIL_FLOWLOG_GROUP);
	mnl_attr_put(nlh, type, len, val);
	if (send(fd, nlh, nlh->nlmsg_len, 0) < 0)
		return -errno;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	return mnl_cb_run(buf, (size_t)n, 0, 0, NULL, NULL) < 0 ? -errno : 0;
}

static int open_here(void *data)
{
	struct open_req *o = data;
	struct nfulnl_msg_config_cmd bind = { .command = NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = {
		.copy_range = htonl(COPY_RANGE),
		.copy_mode = NFULNL_COPY_PACKET,
	};
	uint32_t one = htonl(1);
	int e;

	o->fd = nfnl_socket(NF_NETLINK_CONNTRACK_DESTROY);
	if (o->fd < 0)
		return o->fd;
	/* One packet per message at once (kernel-notes: the default
	 * batching holds a lone drop for a second). */
	if ((e = nflog_config(o->fd, NFULA_CFG_CMD, &bind, sizeof(bind))) ||
	    (e = nflog_config(o->fd, NFULA_CFG_MODE, &mode, sizeof(mode))) ||
	    (e = nflog_config(o->fd, NFULA_CFG_QTHRESH, &one, sizeof(one))))
		goto fail;
	o->dump_fd = nfnl_socket(0);
	if (o->dump_fd < 0) {
		e = o->dump_fd;
		goto fail;
	}
	return 0;
fail:
	close(o->fd);
	return e;
}

static void router_close(struct fl_router *r)
{
	evloop_del_fd(r->fx->fl->el, r->fd);
	close(r->fd);
	close(r->dump_fd);
	flowrec_agg_free(&r->drops);
	flowrec_agg_free(&r->seen);
	flowrec_agg_free(&r->seen_next);
	free(r->ifs);
	free(r);
}

static void router_open(struct fl_lab *fx, const struct vpc *vpc)
{
	struct open_req o = { .fd = -1, .dump_fd = -1 };
	char *netns = plan_router_netns(fx->lab, vpc);
	struct fl_router *r;
	struct nsh *ns = NULL;
	int e, fl;

	e = netns ? netns_open(netns, &ns) : -ENOMEM;
	if (!e)
		e = netns_run(ns, open_here, &o);
	nsh_close(ns);
	free(netns);
	r = e ? NULL : calloc(1, sizeof(*r));
	if (!r) {
		flog(fx, LOG_WARNING, "flow logs of %s: cannot listen: %s",
		     vpc->r.name, strerror(e ? -e : ENOMEM));
		if (!e) {
			close(o.fd);
			close(o.dump_fd);
		}
		return;
	}
	r->fx = fx;
	r->fd = fd_move_high(o.fd);
	r->dump_fd = fd_move_high(o.dump_fd);
	snprintf(r->vpc_id, sizeof(r->vpc_id), "%s", vpc->r.id);
	r->wanted = true;
	fl = fcntl(r->fd, F_GETFL);
	fcntl(r->fd, F_SETFL, fl | O_NONBLOCK);
	if (evloop_add_fd(fx->fl->el, r->fd, EVLOOP_READ, on_events, r) < 0) {
		close(r->fd);
		close(r->dump_fd);
		free(r);
		return;
	}
	r->next = fx->routers;
	fx->routers = r;
}

/* ---- flow logs: files and flushes ------------------------------------ */

/* Creates the directories of path below FLOW_LOG_DIR (check.c made sure
 * it lies there, with no "." or ".." step) and opens it for appending. */
static int open_log_file(const char *path)
{
	char *dir = strdup(path), *s;
	int fd;

	if (!dir)
		return -ENOMEM;
	for (s = dir + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			free(dir);
			return -errno;
		}
		*s = '/';
	}
	free(dir);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	return fd < 0 ? -errno : fd;
}

static bool eni_has_records(const struct flowrec_agg *a, uint32_t eni)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->v[i].k.eni == eni)
			return true;
	return false;
}

static struct flowrec_eni eni_view(const struct fl_lab *fx, uint32_t x)
{
	const struct fl_eni *e = &fx->enis[x];

	return (struct flowrec_eni){ .interface_id = e->id, .vpc_id = e->vpc,
				     .subnet_id = e->subnet,
				     .instance_id = e->instance[0] ? e->instance
								   : NULL };
}

/* Writes the interval's records of l, then a NODATA (or SKIPDATA) line
 * for each covered ENI without a record, and starts the next interval. */
static void log_flush(struct fl_log *l)
{
	struct fl_lab *fx = l->fx;
	const struct lab *lab = fx->lab;
	struct fl_router *r;
	struct strbuf sb = { 0 };
	struct flowrec_ctx c = { .account = lab->account,
				 .region = lab->region, .start = l->start,
				 .end = wall_now() };
	struct flowrec_eni fe;
	size_t i;

	/* Drops and ends of flows that wait first, so that the dump takes
	 * the drops off; then the ends the dump itself brings: it evicts
	 * the flows that expired since the last one, whose DESTROY events
	 * carry their last counts. */
	for (r = fx->routers; r; r = r->next) {
		drain(r, DRAIN_MAX);
		ct_dump(r);
		drain(r, DRAIN_MAX);
	}
	flowrec_agg_sort(&l->agg);
	for (i = 0; i < l->agg.n; i++) {
		fe = eni_view(fx, l->agg.v[i].k.eni);
		flowrec_line(&sb, &l->fmt, &c, &fe, &l->agg.v[i], FR_OK);
	}
	for (i = 0; i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];
		uint32_t x;
		bool skipped;

		if (!flow_log_covers(l->f, e))
			continue;
		x = eni_intern(fx, e);
		if (x == UINT32_MAX)
			continue;
		skipped = x < l->nskipped && l->skipped[x];
		if (!skipped && eni_has_records(&l->agg, x))
			continue;
		fe = eni_view(fx, x);
		flowrec_line(&sb, &l->fmt, &c, &fe, NULL,
			     skipped ? FR_SKIPDATA : FR_NODATA);
	}
	if (sb.len && !sb.oom && write(l->fd, sb.s, sb.len) < 0)
		flog(fx, LOG_WARNING, "flow log %s: %s: %s", l->f->r.name,
		     l->path, strerror(errno));
	sb_free(&sb);
	flowrec_agg_clear(&l->agg);
	if (l->skipped)
		memset(l->skipped, 0, l->nskipped * sizeof(*l->skipped));
	l->start = c.end;
}

static void on_tick(struct evloop *el, uint64_t id, void *data)
{
	(void)el;
	(void)id;
	log_flush(data);
}

static void log_close(struct fl_log *l, bool flush)
{
	if (flush)
		log_flush(l);
	evloop_del_timer(l->fx->fl->el, l->timer);
	close(l->fd);
	flowrec_agg_free(&l->agg);
	free(l->skipped);
	free(l->conf);
	free(l->path);
	free(l);
}

static char *log_conf(const struct lab *lab, const struct flow_log *f)
{
	char *path = flow_log_path(lab, f), *s;

	s = path ? str_printf("%s %d %u %s %s",
			      f->resource ? f->resource->id : "", f->traffic,
			      f->interval, path, f->format ? f->format : "")
		 : NULL;
	free(path);
	return s;
}

static void log_open(struct fl_lab *fx, const struct flow_log *f, char *conf)
{
	struct fl_log *l = calloc(1, sizeof(*l));
	size_t off, len;
	int fd;

	if (!l || !(l->path = flow_log_path(fx->lab, f)) ||
	    flowrec_format_parse(f->format, &l->fmt, &off, &len) < 0) {
		fd = -ENOMEM;
		goto fail;
	}
	fd = open_log_file(l->path);
	if (fd < 0)
		goto fail;
	l->fd = fd;
	l->fx = fx;
	l->f = f;
	l->conf = conf;
	l->agg.max = RECORDS_MAX;
	l->start = wall_now();
	l->wanted = true;
	snprintf(l->id, sizeof(l->id), "%s", f->r.id);
	l->timer = evloop_add_timer(fx->fl->el, f->interval * 1000ull,
				    f->interval * 1000ull, on_tick, l);
	if (!l->timer) {
		close(fd);
		fd = -ENOMEM;
		goto fail;
	}
	l->next = fx->logs;
	fx->logs = l;
	return;
fail:
	flog(fx, LOG_WARNING, "flow log %s: cannot open %s: %s", f->r.name,
	     l && l->path ? l->path : "its file", strerror(-fd));
	if (l)
		free(l->path);
	free(l);
	free(conf);
}

/* ---- labs ------------------------------------------------------------ */

static struct fl_lab *find_lab(struct flowlog *fl, const char *name)
{
	struct fl_lab *fx;

	for (fx = fl->labs; fx; fx = fx->next)
		if (!strcmp(fx->lab->name, name))
			return fx;
	return NULL;
}

/* Closes the routers whose VPC lab no longer logs. */
static void routers_prune(struct fl_lab *fx, const struct lab *lab)
{
	struct fl_router **pp, *r;
	size_t i;

	for (r = fx->routers; r; r = r->next) {
		r->wanted = false;
		for (i = 0; i < lab->nvpcs; i++)
			if (!strcmp(lab->vpcs[i]->r.id, r->vpc_id) &&
			    flow_log_vpc_logged(lab, lab->vpcs[i]))
				r->wanted = true;
	}
	for (pp = &fx->routers; (r = *pp);) {
		if (r->wanted) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		router_close(r);
	}
}

void flowlog_lab_set(struct flowlog *fl, const struct lab *lab)
{
	const struct res_list *fls = &lab->res[RES_FLOW_LOG];
	struct fl_lab *fx = find_lab(fl, lab->name);
	struct fl_log **lp, *l;
	struct fl_router *r;
	size_t i;

	if (!fx) {
		if (!fls->n)
			return;
		fx = calloc(1, sizeof(*fx));
		if (!fx)
			return;
		fx->fl = fl;
		fx->lab = lab;
		fx->next = fl->labs;
		fl->labs = fx;
	}
	/* Flow logs that changed or went write what they hold with the
	 * model they were made with. */
	for (l = fx->logs; l; l = l->next) {
		const struct flow_log *f = (const struct flow_log *)model_find(
			lab, RES_FLOW_LOG, l->id);
		char *conf = f ? log_conf(lab, f) : NULL;

		l->wanted = conf && !strcmp(conf, l->conf);
		free(conf);
		if (l->wanted)
			l->f = f;
	}
	for (lp = &fx->logs; (l = *lp);) {
		if (l->wanted) {
			lp = &l->next;
			continue;
		}
		*lp = l->next;
		log_close(l, true);
	}
	fx->lab = lab;
	routers_prune(fx, lab);
	for (i = 0; i < lab->nvpcs; i++) {
		for (r = fx->routers; r; r = r->next)
			if (!strcmp(r->vpc_id, lab->vpcs[i]->r.id))
				break;
		if (!r && flow_log_vpc_logged(lab, lab->vpcs[i]))
			router_open(fx, lab->vpcs[i]);
	}
	for (i = 0; i < fls->n; i++) {
		const struct flow_log *f = (const struct flow_log *)fls->v[i];

		for (l = fx->logs; l && strcmp(l->id, f->r.id); l = l->next)
			;
		if (!l)
			log_open(fx, f, log_conf(lab, f));
	}
}

void flowlog_lab_prune(struct flowlog *fl, const struct lab *next)
{
	struct fl_lab *fx = find_lab(fl, next->name);

	if (fx)
		routers_prune(fx, next);
}

void flowlog_lab_drop(struct flowlog *fl, const char *name)
{
	struct fl_lab **pp, *fx;

	for (pp = &fl->labs; (fx = *pp); pp = &fx->next)
		if (!strcmp(fx->lab->name, name))
			break;
	if (!fx)
		return;
	*pp = fx->next;
	while (fx->logs) {
		struct fl_log *l = fx->logs;

		fx->logs = l->next;
		log_close(l, true);
	}
	while (fx->routers) {
		struct fl_router *r = fx->routers;

		fx->routers = r->next;
		router_close(r);
	}
	free(fx->enis);
	free(fx);
}

struct flowlog *flowlog_new(struct evloop *el)
{
	struct flowlog *fl = calloc(1, sizeof(*fl));

	if (fl)
		fl->el = el;
	return fl;
}

void flowlog_set_log(struct flowlog *fl, flowlog_log_fn fn)
{
	fl->log = fn;
}

void flowlog_free(struct flowlog *fl)
{
	if (!fl)
		return;
	while (fl->labs)
		flowlog_lab_drop(fl, fl->labs->lab->name);
	free(fl);
}
