/* peer.h - who asks vpcemud: a control-socket client's credentials as the
 * kernel saw them at connect(), the rule that admits it, and reading a
 * lab file with its identity rather than ours.
 */
#ifndef VPCEMU_PEER_H
#define VPCEMU_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

struct diags;
struct lab;
struct nsexec_cred;

struct peer {
	struct ucred cred;
	gid_t *groups;		/* supplementary groups (SO_PEERGROUPS) */
	size_t ngroups;
};

/* Fills p from the connected socket fd (SO_PEERCRED, then SO_PEERGROUPS
 * when the kernel has it). Release with peer_free, also on error.
 * Returns 0 or -errno. */
int peer_get(int fd, struct peer *p);
void peer_free(struct peer *p);

/* Whether p may use the daemon: uid 0, or, when group is not NULL, its
 * gid or a supplementary group equal to *group. */
bool peer_allowed(const struct peer *p, const gid_t *group);

/* p's identity as an nsexec.h cred: uid, gid and supplementary groups
 * (the first NSEXEC_GROUPS_MAX). */
void peer_cred(const struct peer *p, struct nsexec_cred *ret);

/* load_lab_file (load.h) with p's file system identity: uid, gid and
 * groups, so that a group member cannot make root read a file it could
 * not read itself. Errors taking the identity are written to err.
 * Returns as load_lab_file does; exits the process when our own
 * identity cannot be restored. */
int peer_load_lab(const struct peer *p, const char *file, const char *as,
		  const char *name, struct diags *d, struct lab **ret,
		  FILE *err);

#endif
