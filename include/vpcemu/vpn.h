/* vpn.h - the daemons of Site-to-Site VPN connections, inside vpcemud.
 *
 * IPsec is strongSwan's: one charon per tunnel in the namespace of the
 * tunnel's AWS end ("LAB-CONN_tN"), so that stopping one stops one tunnel,
 * and one charon per customer gateway with every tunnel of its
 * connections. The kernel has no ESP: charon's kernel-libipsec plugin does
 * ESP in user space over a TUN device (ipsec0) and routes the far side's
 * traffic selectors there (table 220). IKEv2, pre-shared keys, ESP in UDP
 * 4500. The customer gateway initiates and restarts dead tunnels; AWS's
 * ends answer, as AWS's do by default.
 *
 * Each charon is a child of vpcemud: forked into its tunnel's network
 * namespace and a private mount namespace whose /run is its own (charon's
 * pid file is a fixed path), put in its namespace's group (procs.h), and
 * configured from files under STATE_DIR/vpn/NETNS/ that swanctl loads
 * through the instance's own vici socket. strongSwan's updown hook writes
 * the tunnel's state there; a tunnel is UP while its charon runs and its
 * child SA is up. The virtual private gateway routes through the first
 * tunnel that is UP: vpn.c takes the link of a tunnel that is DOWN down in
 * the tunnel's namespace, so the gateway's kernel skips its routes
 * (plan.h).
 *
 * Runs on the daemon's event loop; never blocks but to stop a charon
 * (SIGTERM, a short wait, SIGKILL). Charons hold no socket of vpcemud;
 * vpn_lab_prune and vpn_lab_drop stop them before namespaces go.
 */
#ifndef VPCEMU_VPN_H
#define VPCEMU_VPN_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

struct evloop;
struct lab;
struct vpn;

/* The daemons of every lab on el; NULL with errno set. */
struct vpn *vpn_new(struct evloop *el);
/* Stops every daemon. NULL is fine. */
void vpn_free(struct vpn *v);

/* Makes lab (borrowed: the caller keeps it alive until the next set or
 * the drop) the model of its lab's daemons: those the lab still wants
 * with the same configuration run on; others stop; new ones start. */
void vpn_lab_set(struct vpn *v, const struct lab *lab);
/* Stops the daemons of lab's name whose namespace next lacks. */
void vpn_lab_prune(struct vpn *v, const struct lab *next);
/* Stops every daemon of lab name. */
void vpn_lab_drop(struct vpn *v, const char *name);

/* Where a tunnel's AWS end or a customer gateway keeps its files:
 * STATE_DIR/vpn/NETNS (caller frees; NULL when out of memory). */
char *vpn_dir(const char *netns);
/* Whether the tunnel whose AWS end lives in netns is UP, as its status
 * file says (vpcemud writes it on every change), and since when
 * (ret_since may be NULL; 0 when the tunnel never had a status: its lab
 * is not up). */
bool vpn_tunnel_up(const char *netns, time_t *ret_since);

/* Where log messages go; prio is syslog's. */
typedef void (*vpn_log_fn)(int prio, const char *lab, const char *msg);
void vpn_set_log(struct vpn *v, vpn_log_fn fn);

#endif
