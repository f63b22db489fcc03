/* nsspawn.h - start a command inside a lab's machine without blocking
 * vpcemud, and hear when it ends.
 *
 * nsspawn_start() forks a child that takes the descriptors it is given as
 * its 0, 1, 2, ... (and no other of the daemon's), default signal
 * dispositions, the given environment, a process group of its own (or a
 * session whose controlling terminal is its fd 0), then does what
 * nsexec_exec does (network and mount namespaces, /etc/netns files, ctx's
 * cgroup, hostname, identity and working directory) and execs. The daemon
 * watches the child's pidfd on its event loop and reaps it by pid, never
 * with waitpid(-1). User data (userdata.c) and the exec requests of group
 * members (execreq.c) run this way.
 */
#ifndef VPCEMU_NSSPAWN_H
#define VPCEMU_NSSPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vpcemu/nsexec.h"

struct evloop;
struct nsspawn;

/* Descriptors a child can be given. */
#define NSSPAWN_FDS_MAX 8

struct nsspawn_spec {
	const char *netns;	/* the machine's network namespace */
	struct nsexec_ctx ctx;	/* cgroup_fd is one of ours (or -1) */
	const int *fds;		/* become the child's 0 .. nfds - 1 */
	size_t nfds;
	char *const *argv;	/* argv[0] looked up in envp's PATH */
	char *const *envp;
	bool terminal;		/* a new session, fd 0 (a terminal) its
				   controlling terminal: job control */
};

/* Called once, from the event loop, with the run already freed. status:
 * the command's exit status in shell convention (128 + a signal), or -1
 * when the machine could not be entered (namespace gone, identity or
 * working directory refused: err says why); err is also set, with status
 * 127 (ENOENT) or 126, when the command could not be executed; else 0. */
typedef void (*nsspawn_done_fn)(void *data, int status, int err);

/* Starts spec's command. Returns the run (the loop's until done is called
 * or it is cancelled), or NULL with errno set (EINVAL for a bad spec,
 * ENOMEM, fork's or pidfd_open's errno); done is then never called.
 * Everything spec points to may go once this returns. */
struct nsspawn *nsspawn_start(struct evloop *el,
			      const struct nsspawn_spec *spec,
			      nsspawn_done_fn done, void *data);

/* SIGKILL to the run's process group (its session's, for a terminal):
 * done follows when the child is reaped. */
void nsspawn_kill(struct nsspawn *p);

/* Kills as nsspawn_kill, reaps the child at once and frees the run; done
 * is not called. NULL is fine. A process that left the group (setsid)
 * is not reached. */
void nsspawn_cancel(struct nsspawn *p);

/* The child's pid (its process group), for logs. */
pid_t nsspawn_pid(const struct nsspawn *p);

#endif
