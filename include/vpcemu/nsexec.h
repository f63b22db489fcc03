/* nsexec.h - run a command inside a named network namespace.
 *
 * nsexec_run() does what `ip netns exec NAME CMD...` does (iproute2
 * lib/namespace.c netns_switch), but from a forked child so the caller keeps
 * its own namespaces: the command sees the namespace's network, a fresh
 * /sys that describes it, and /etc/netns/NAME/FILE bound over /etc/FILE.
 * nsexec_enter() is the network half only, for children that open sockets
 * (probe.c).
 *
 * Namespaces are the iproute2 kind: a bind mount at /run/netns/NAME.
 */
#ifndef VPCEMU_NSEXEC_H
#define VPCEMU_NSEXEC_H

#include <stddef.h>
#include <sys/types.h>

#define NSEXEC_RUN_DIR "/run/netns"
#define NSEXEC_ETC_DIR "/etc/netns"
/* Supplementary groups kept when taking an identity; more are dropped
 * (never added), which only takes rights away. */
#define NSEXEC_GROUPS_MAX 64

/* An identity: uid, gid and supplementary groups. Fixed-size, so that it
 * can be copied and used after fork without malloc. */
struct nsexec_cred {
	uid_t uid;
	gid_t gid;
	gid_t groups[NSEXEC_GROUPS_MAX];
	size_t ngroups;
};

/* What a command gets besides the network namespace: it is an instance's
 * process, on the instance's machine, run for someone. */
struct nsexec_ctx {
	int cgroup_fd;		/* an open cgroup.procs (procs_group_open) to
				   move into first, or -1 */
	const char *hostname;	/* a UTS namespace of its own with this
				   hostname (the instance's private DNS name,
				   ), or NULL: the caller's */
	const struct nsexec_cred *cred;	/* the identity to run as, taken
					   after the namespaces are entered;
					   NULL: the caller's */
	const char *cwd;	/* the working directory, entered with cred's
				   rights (a directory cred cannot search
				   is an error); NULL: the caller's */
};

/* Runs argv (argv[0] looked up in PATH) in network namespace netns and waits
 * for it. stdin, stdout, stderr, the process group and the controlling
 * terminal are inherited, so interactive shells work; like system(3) the
 * caller ignores SIGINT and SIGQUIT while it waits, so Ctrl-C reaches only
 * the command. The caller must not reap children with waitpid(-1) meanwhile.
 *
 * Returns 0 with *ret_status the command's status in shell convention (its
 * exit code, or 128 + the signal that killed it). Errors, as -errno:
 *   -EINVAL  bad namespace name, or empty argv;
 *   -ENOENT  no namespace of that name (checked before forking);
 *   other    the namespace could not be entered (*ret_status = -1), or the
 *            command could not be executed: then *ret_status is 127 when it
 *            was not found (-ENOENT) and 126 otherwise, as a shell says.
 * ret_status may be NULL. */
int nsexec_run(const char *netns, char *const argv[], int *ret_status);

/* nsexec_run with ctx (NULL: as nsexec_run). Failing to take ctx's
 * hostname or identity is failing to enter: the command never runs with
 * more than it was given. */
int nsexec_run_in(const char *netns, const struct nsexec_ctx *ctx,
		  char *const argv[], int *ret_status);

/* What `ip netns exec` itself does, in the calling process: enters
 * network namespace netns and a private mount namespace, mounts /sys,
 * binds /etc/netns/NAME files, and execs argv in place, so that signals,
 * `timeout`, job control and the exit status are the command's own, with
 * ctx as nsexec_run_in. The caller must be single-threaded (setns of a mount
 * namespace, unshare). Returns only on failure: -EINVAL, -ENOENT (no such
 * namespace; nothing changed), or -errno, with *ret_status -1 when the
 * namespace could not be entered and 127 / 126 when the command could not
 * be executed (then the process is already inside the namespace). */
int nsexec_exec(const char *netns, const struct nsexec_ctx *ctx,
		char *const argv[], int *ret_status);

/* Moves the calling thread into network namespace netns (setns only; the
 * mount namespace and /sys are left alone). Meant for a freshly forked
 * child: sockets it opens afterwards belong to netns. Only async-signal-safe
 * calls, so it is fine after fork() in a multithreaded process.
 * Returns 0, -EINVAL (bad name), -ENOENT (no such namespace) or -errno. */
int nsexec_enter(const char *netns);

#endif
