/* fsid.h - file access with someone else's identity: the file system uid,
 * gid and supplementary groups of an nsexec_cred, for the files vpcemud
 * reads on behalf of a client or a lab's owner. Only file access changes:
 * netlink, signals and the rest keep the daemon's identity.
 */
#ifndef VPCEMU_FSID_H
#define VPCEMU_FSID_H

#include <sys/types.h>

struct nsexec_cred;

/* What fsid_restore gives back. */
struct fsid_saved {
	gid_t egid;
	gid_t *groups;
	int ngroups;
};

/* Takes c's identity for file access (uid 0: nothing to take). The process
 * must be single-threaded meanwhile (setgroups is the process's). Returns
 * 0, or -errno with nothing changed. */
int fsid_take(const struct nsexec_cred *c, struct fsid_saved *saved);

/* Gives our identity back after fsid_take returned 0. Exits the process
 * (the reason logged, with what) when it cannot: going on with a borrowed
 * identity would be worse than any outage, and labs stay up without us. */
void fsid_restore(struct fsid_saved *saved, const char *what);

#endif
