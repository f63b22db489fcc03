/* peer.c - the client behind a control-socket request (peer.h).
 *
 * The daemon's security rests here: every request is checked (peer uid 0,
 * or with --group, the peer's gid or a supplementary group equal to the
 * allowed group), and lab files are read with the peer's file system
 * identity (setfsuid, setfsgid, its groups), since diagnostics quote
 * source lines of whatever file root reads. Owns nothing but the peer's
 * group list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/fsid.h"
#include "vpcemu/load.h"
#include "vpcemu/nsexec.h"
#include "vpcemu/peer.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

void peer_free(struct peer *p)
{
	free(p->groups);
	p->groups = NULL;
}

int peer_get(int fd, struct peer *p)
{
	socklen_t len = sizeof(p->cred);
	gid_t *g;

	*p = (struct peer){ 0 };
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &p->cred, &len) < 0)
		return -errno;
	/* Supplementary groups, so that a member of the allowed group whose
	 * primary group is another may use the socket. Kernels before 4.13
	 * lack SO_PEERGROUPS: then only the primary gid counts. */
	len = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, NULL, &len) < 0 &&
	    errno != ERANGE)
		return 0;
	if (!len)
		return 0;
	g = malloc(len);
	if (!g)
		return -ENOMEM;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) < 0) {
		free(g);
		return 0;
	}
	p->groups = g;
	p->ngroups = len / sizeof(gid_t);
	return 0;
}

bool peer_allowed(const struct peer *p, const gid_t *group)
{
	size_t i;

	if (p->cred.uid == 0)
		return true;
	if (!group)
		return false;
	if (p->cred.gid == *group)
		return true;
	for (i = 0; i < p->ngroups; i++)
		if (p->groups[i] == *group)
			return true;
	return false;
}

void peer_cred(const struct peer *p, struct nsexec_cred *ret)
{
	*ret = (struct nsexec_cred){ .uid = p->cred.uid, .gid = p->cred.gid };
	for (; ret->ngroups < p->ngroups && ret->ngroups < NSEXEC_GROUPS_MAX;
	     ret->ngroups++)
		ret->groups[ret->ngroups] = p->groups[ret->ngroups];
}

/* Reads and checks a lab file as the peer would: with its uid, gid and
 * groups for file access (fsid.h). The process is single-threaded, so
 * setgroups affects nothing else meanwhile. */
int peer_load_lab(const struct peer *p, const char *file, const char *as,
		  const char *name, struct diags *d, struct lab **ret,
		  FILE *err)
{
	struct fsid_saved saved;
	struct nsexec_cred c;
	int r;

	*ret = NULL;
	peer_cred(p, &c);
	r = fsid_take(&c, &saved);
	if (r) {
		fprintf(err, "vpcemud: cannot take the identity of uid %u to "
			"read %s: %s\n", (unsigned)p->cred.uid, file,
			strerror(-r));
		return r;
	}
	r = load_lab_file(file, as, name, d, ret);
	fsid_restore(&saved, file);
	return r;
}
