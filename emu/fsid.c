/* fsid.c - a borrowed identity for file access (fsid.h).
 *
 * setfsuid from 0 drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from our
 * effective set, and back to 0 restores them (capabilities(7)), so
 * permission checks are the borrowed identity's while it is held.
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <syslog.h>
#include <unistd.h>

#include "vpcemu/dlog.h"
#include "vpcemu/fsid.h"
#include "vpcemu/nsexec.h"

int fsid_take(const struct nsexec_cred *c, struct fsid_saved *saved)
{
	int r;

	*saved = (struct fsid_saved){ .egid = getegid(), .ngroups = -1 };
	if (c->uid == 0)
		return 0;
	saved->ngroups = getgroups(0, NULL);
	if (saved->ngroups >= 0)
		saved->groups = calloc((size_t)saved->ngroups + 1,
				       sizeof(*saved->groups));
	if (!saved->groups ||
	    getgroups(saved->ngroups, saved->groups) != saved->ngroups ||
	    setgroups(c->ngroups, c->groups) < 0) {
		r = saved->groups ? -errno : -ENOMEM;
		free(saved->groups);
		*saved = (struct fsid_saved){ .ngroups = -1 };
		return r;
	}
	setfsgid(c->gid);
	setfsuid(c->uid);
	/* setfs*id return the previous value, never an error: ask again. */
	if ((uid_t)setfsuid(-1) != c->uid || (gid_t)setfsgid(-1) != c->gid) {
		fsid_restore(saved, "a failed setfsuid");
		return -EPERM;
	}
	return 0;
}

void fsid_restore(struct fsid_saved *saved, const char *what)
{
	if (saved->ngroups < 0)
		return;		/* nothing was taken */
	setfsuid(0);
	setfsgid(saved->egid);
	if (setgroups((size_t)saved->ngroups, saved->groups) < 0 ||
	    (uid_t)setfsuid(-1) != 0 || (gid_t)setfsgid(-1) != saved->egid) {
		dlog(LOG_CRIT, NULL, "cannot restore our identity after %s: "
		     "exiting", what);
		_exit(1);
	}
	free(saved->groups);
	*saved = (struct fsid_saved){ .ngroups = -1 };
}
