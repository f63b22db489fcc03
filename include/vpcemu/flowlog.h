/* flowlog.h - VPC Flow Logs of running labs, inside vpcemud.
 *
 * Records come from the kernel's verdicts, never from the model. In the
 * router namespace of every VPC that a flow log covers:
 *   REJECT  the drops of network ACLs and security groups carry an NFLOG
 *           statement (nftutil_drop: group NFTUTIL_FLOWLOG_GROUP, prefix
 *           "o" when the ENI is the input device, "i" the output one),
 *           read here on one netlink socket per router;
 *   ACCEPT  conntrack counts packets and bytes per flow and direction
 *           (nf_conntrack_acct, set by plan.c); each flush reads and zeroes
 *           the counters with one ctnetlink dump, and DESTROY events on the
 *           same socket as NFLOG bring the last counts of flows that end
 *           in between. Conntrack counts a packet before the filter judges
 *           it: the packets NFLOG reported dropped since the last dump are
 *           taken off the same direction's count.
 * A flow's original direction is an egress record on the opener's ENI and
 * an ingress one on the receiver's; its reply direction the other way
 * round. Records aggregate per flow log for its interval
 * (flowrec.h); each flush appends them and the NODATA lines of idle
 * covered ENIs to the flow log's file.
 *
 * Sockets pin their namespace: flowlog_lab_prune / flowlog_lab_drop close
 * them before namespaces go. Runs on the daemon's event loop, never blocks
 * but for the dump of a router's conntrack table.
 */
#ifndef VPCEMU_FLOWLOG_H
#define VPCEMU_FLOWLOG_H

struct evloop;
struct flowlog;
struct lab;

/* Flow logs on el; NULL when out of memory. */
struct flowlog *flowlog_new(struct evloop *el);
/* Writes what every lab's flow logs hold, closes everything. NULL ok. */
void flowlog_free(struct flowlog *fl);

/* Makes lab (borrowed: the caller keeps it alive until the next set or
 * the drop) the model of its lab's flow logs: routers and flow logs it
 * still has keep their sockets and records; a flow log that is gone or
 * changed writes what it holds first. */
void flowlog_lab_set(struct flowlog *fl, const struct lab *lab);
/* Closes the routers next (the model an apply is about to build) no
 * longer logs, before the apply deletes namespaces. */
void flowlog_lab_prune(struct flowlog *fl, const struct lab *next);
/* Writes what lab name's flow logs hold and forgets the lab. */
void flowlog_lab_drop(struct flowlog *fl, const char *name);

/* Where messages go (svc.h's svc_log_fn). */
typedef void (*flowlog_log_fn)(int prio, const char *lab, const char *msg);
void flowlog_set_log(struct flowlog *fl, flowlog_log_fn fn);

#endif
