/* nsexec.c - run a command inside a named network namespace.
 *
 * The child side repeats iproute2's netns_switch (lib/namespace.c): join the
 * network namespace, take a private mount namespace whose mounts do not
 * propagate back, mount a sysfs that describes the new network namespace and
 * bind /etc/netns/NAME/ files over /etc. nsexec_run's parent behaves like
 * system(3) while it waits (`ssm start-session`, user data); nsexec_exec
 * does it all in the calling process and execs, as `ip netns exec` does
 * (`vpcemu exec`). probe.c uses nsexec_enter only.
 *
 * The caller may be multithreaded (the daemon, Criterion workers), so the
 * child runs only async-signal-safe calls between fork and exec: no stdio,
 * no malloc, no opendir.
 */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vpcemu/nsexec.h"

/* What a child that could not exec tells its parent through the pipe. */
struct exec_failure {
	int err;		/* errno */
	bool at_exec;		/* execvp failed (else: entering the netns) */
};

static bool netns_name_ok(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strlen(name);
	if (len == 0 || len > NAME_MAX || strchr(name, '/'))
		return false;
	return strcmp(name, ".") && strcmp(name, "..");
}

/* dir + "/" + name into buf without stdio (safe after fork). */
static int path_join(char *buf, size_t size, const char *dir,
		     const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);

	if (dl + 1 + nl + 1 > size)
		return -ENAMETOOLONG;
	memcpy(buf, dir, dl);
	buf[dl] = '/';
	memcpy(buf + dl + 1, name, nl + 1);
	return 0;
}

/* Opens /run/netns/NAME and makes sure it is a network namespace. A leftover
 * file that is no longer a mount point (a half-finished `ip netns add`) is a
 * plain empty file: that namespace does not exist. Async-signal-safe. */
static int netns_open(const char *name)
{
	char path[PATH_MAX];
	int fd, type, r;

	if (!netns_name_ok(name))
		return -EINVAL;
	r = path_join(path, sizeof(path), NSEXEC_RUN_DIR, name);
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0) {
		r = errno == ENOTTY ? -ENOENT : -errno;
		close(fd);
		return r;
	}
	if (type != CLONE_NEWNET) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int nsexec_enter(const char *netns)
{
	int fd, r = 0;

	fd = netns_open(netns);
	if (fd < 0)
		return fd;
	if (setns(fd, CLONE_NEWNET) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Binds every /etc/netns/NAME/FILE over /etc/FILE. Best effort, as in
 * iproute2: a file without a counterpart in /etc is skipped. getdents64
 * instead of opendir, which allocates. */
static void bind_etc(const char *netns)
{
	char dir[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	char buf[4096] __attribute__((aligned(8)));
	ssize_t n, off;
	int fd;

	if (path_join(dir, sizeof(dir), NSEXEC_ETC_DIR, netns) < 0)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	while ((n = getdents64(fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n;) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);

			off += de->d_reclen;
			if (!strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, ".."))
				continue;
			if (path_join(src, sizeof(src), dir, de->d_name) < 0 ||
			    path_join(dst, sizeof(dst), "/etc", de->d_name) < 0)
				continue;
			mount(src, dst, "none", MS_BIND, NULL);
		}
	}
	close(fd);
}

/* The private mount namespace of `ip netns exec`. */
static int enter_mounts(const char *netns)
{
	unsigned long flags = 0;
	struct statfs st;

	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	/* Our mounts (sysfs, /etc binds) must not propagate to the host. */
	if (mount("", "/", "none", MS_SLAVE | MS_REC, NULL) < 0)
		return -errno;
	/* /sys shows the network namespace of whoever mounted it: replace it.
	 * If it cannot be unmounted we mount over it, and a read-only sysfs
	 * can only be shadowed by a read-only one. */
	if (umount2("/sys", MNT_DETACH) < 0 && statfs("/sys", &st) == 0 &&
	    (st.f_flags & ST_RDONLY))
		flags = MS_RDONLY;
	if (mount(netns, "/sys", "sysfs", flags, NULL) < 0)
		return -errno;
	bind_etc(netns);
	return 0;
}

/* Takes the rest of ctx once the network and mount namespaces are
 * entered (those need our privileges): a UTS namespace of its own, the
 * identity, then the working directory, so that a directory the identity
 * cannot search is refused rather than handed over open. setresuid from
 * 0 to another uid clears every capability (capabilities(7)), so the
 * command can leave none of the namespaces, nor read what the uid cannot.
 * Async-signal-safe. */
static int take_ctx(const struct nsexec_ctx *ctx)
{
	const struct nsexec_cred *c = ctx ? ctx->cred : NULL;

	if (ctx && ctx->hostname &&
	    (unshare(CLONE_NEWUTS) < 0 ||
	     sethostname(ctx->hostname, strlen(ctx->hostname)) < 0))
		return -errno;
	if (c && (setgroups(c->ngroups, c->groups) < 0 ||
		  setresgid(c->gid, c->gid, c->gid) < 0 ||
		  setresuid(c->uid, c->uid, c->uid) < 0))
		return -errno;
	/* Not reached with a partial identity, but check anyway: going on
	 * as root would be the one outcome worse than failing. */
	if (c && c->uid && (geteuid() != c->uid || setresuid(-1, 0, -1) == 0))
		return -EPERM;
	if (ctx && ctx->cwd && chdir(ctx->cwd) < 0)
		return -errno;
	return 0;
}

/* Joins the instance: its group, network and mount namespaces, then ctx's
 * hostname and identity. Async-signal-safe. */
static int enter_instance(int nsfd, const char *netns,
			  const struct nsexec_ctx *ctx)
{
	int r;

	/* Into the instance's group first: all the command forks is the
	 * instance's, and down finds it there. */
	if (ctx && ctx->cgroup_fd >= 0 && write(ctx->cgroup_fd, "0", 1) < 0)
		return -errno;
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return -errno;
	r = enter_mounts(netns);
	return r < 0 ? r : take_ctx(ctx);
}

static void write_failure(int fd, int err, bool at_exec)
{
	struct exec_failure f = { .err = err, .at_exec = at_exec };
	ssize_t n;

	do
		n = write(fd, &f, sizeof(f));
	while (n < 0 && errno == EINTR);
}

static void __attribute__((noreturn))
exec_child(int nsfd, const struct nsexec_ctx *ctx, const char *netns,
	   char *const argv[], int errfd,
	   const struct sigaction *old_int, const struct sigaction *old_quit,
	   const sigset_t *old_mask)
{
	int r;

	/* The command gets the caller's signal dispositions, not ours. */
	sigaction(SIGINT, old_int, NULL);
	sigaction(SIGQUIT, old_quit, NULL);
	sigprocmask(SIG_SETMASK, old_mask, NULL);

	r = enter_instance(nsfd, netns, ctx);
	if (r < 0) {
		write_failure(errfd, -r, false);
		_exit(255);
	}
	close(nsfd);
	execvp(argv[0], argv);
	r = errno;
	write_failure(errfd, r, true);
	_exit(r == ENOENT ? 127 : 126);
}

int nsexec_exec(const char *netns, const struct nsexec_ctx *ctx,
		char *const argv[], int *ret_status)
{
	int nsfd, r;

	*ret_status = -1;
	if (!argv || !argv[0])
		return -EINVAL;
	nsfd = netns_open(netns);
	if (nsfd < 0)
		return nsfd;
	r = enter_instance(nsfd, netns, ctx);
	close(nsfd);
	if (r < 0)
		return r;
	execvp(argv[0], argv);
	r = -errno;
	*ret_status = r == -ENOENT ? 127 : 126;
	return r;
}

int nsexec_run(const char *netns, char *const argv[], int *ret_status)
{
	return nsexec_run_in(netns, NULL, argv, ret_status);
}

int nsexec_run_in(const char *netns, const struct nsexec_ctx *ctx,
		  char *const argv[], int *ret_status)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	struct exec_failure f = { 0 };
	sigset_t chld, old_mask;
	int nsfd, pipefd[2], wstatus, status = -1, r = 0;
	ssize_t n;
	pid_t pid;

	if (ret_status)
		*ret_status = -1;
	if (!argv || !argv[0])
		return -EINVAL;
	/* Before forking, so "no such namespace" is a plain -ENOENT. */
	nsfd = netns_open(netns);
	if (nsfd < 0)
		return nsfd;
	/* Close-on-exec: EOF means the exec worked. */
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = -errno;
		goto out_ns;
	}

	/* As system(3): Ctrl-C and Ctrl-\ are for the command, and a SIGCHLD
	 * handler of the caller must not reap our child. Set before fork so
	 * no signal slips in between. */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old_mask);

	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pipefd[1]);
		goto out_signals;
	}
	if (pid == 0) {
		close(pipefd[0]);
		exec_child(nsfd, ctx, netns, argv, pipefd[1], &old_int,
			   &old_quit, &old_mask);
	}
	close(pipefd[1]);

	do
		n = read(pipefd[0], &f, sizeof(f));
	while (n < 0 && errno == EINTR);

	while (waitpid(pid, &wstatus, 0) < 0) {
		if (errno != EINTR) {
			r = -errno;
			goto out_signals;
		}
	}

	if (n == (ssize_t)sizeof(f)) {
		r = f.err ? -f.err : -EIO;
		if (f.at_exec)
			status = f.err == ENOENT ? 127 : 126;
	} else if (WIFEXITED(wstatus)) {
		status = WEXITSTATUS(wstatus);
	} else if (WIFSIGNALED(wstatus)) {
		status = 128 + WTERMSIG(wstatus);
	}

out_signals:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	close(pipefd[0]);
out_ns:
	close(nsfd);
	if (ret_status)
		*ret_status = status;
	return r;
}
