/* probe.h - real-traffic probes between network namespaces.
 *
 * `expect` lines are checked by sending packets, not by reading our own
 * model: probe_run() sends an ICMP echo, a TCP connect or a UDP datagram from
 * one namespace and, when the destination is a namespace of ours, answers it
 * there with a short-lived listener. Every socket lives in a forked child
 * that entered its namespace (nsexec_enter), so the caller's namespaces are
 * never touched and no command is shelled out. Children are killed and
 * reaped before probe_run returns, on every path.
 */
#ifndef VPCEMU_PROBE_H
#define VPCEMU_PROBE_H

#include <stdbool.h>
#include <stdint.h>

struct proto_match;

/* Sends one probe from namespace src_netns to dst_ip (host byte order) and
 * says whether it got through within timeout_ms.
 *
 * proto->kind selects the probe; proto->port_lo is the port for TCP/UDP:
 *   PROTO_ICMP  echo request (resent at each third of the timeout); reachable
 *               when a matching echo reply arrives.
 *   PROTO_TCP   non-blocking connect; reachable when it completes.
 *   PROTO_UDP   a datagram (resent at each third of the timeout); reachable
 *               when the listener's echo of it arrives.
 * When dst_netns is not NULL, a listener is started there first (bound to
 * 0.0.0.0:port; TCP accepts and closes, UDP echoes) and the probe waits until
 * it listens, so a TCP or UDP probe that is not answered was filtered. If the
 * TCP port is already in use in dst_netns, whoever listens there answers.
 * When dst_netns is NULL the destination is an address outside our
 * namespaces and only the sending side runs.
 *
 * Returns 0 with *ret_reachable set: true when answered, false when the
 * probe timed out or the network said no (unreachable, or a local netfilter
 * drop on output). Otherwise *ret_reachable is false and the return is:
 *   -ECONNREFUSED  the destination answered with a refusal (TCP RST, or ICMP
 *                  port unreachable for UDP): reached the host, no listener;
 *   -EINVAL        bad arguments (NULL, port 0, timeout 0);
 *   -EOPNOTSUPP    proto->kind is not ICMP, TCP or UDP;
 *   -ENOENT        a namespace does not exist;
 *   -EADDRINUSE    the UDP port is taken in dst_netns;
 *   -ETIMEDOUT     a helper child did not answer in time (never a probe
 *                  timeout, which is reachable = false);
 *   other -errno   the probe could not run (fork, socket, ...).
 *
 * Blocks for at most about timeout_ms plus listener start-up. Not meant for
 * concurrent probes to the same namespace and port (the listeners would
 * collide). The caller must not reap children with waitpid(-1) meanwhile. */
int probe_run(const char *src_netns, const char *dst_netns, uint32_t dst_ip,
	      const struct proto_match *proto, unsigned timeout_ms,
	      bool *ret_reachable);

#endif
