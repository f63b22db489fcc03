/* nsspawn.c - a command in a lab's machine, watched on the event loop
 * (nsspawn.h).
 *
 * The child runs nsexec_exec itself: it is the command, so its pid leads
 * the process group (or session) that a cancel kills, and its wait status
 * is the command's. What went wrong before the exec travels back through
 * a close-on-exec pipe: EOF there means the exec happened.
 *
 * The daemon may be multithreaded tomorrow and Criterion workers are
 * today: between fork and exec the child makes async-signal-safe calls
 * only (nsexec_exec keeps to those too).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vpcemu/evloop.h"
#include "vpcemu/nsspawn.h"
#include "vpcemu/procs.h"
#include "vpcemu/util.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434	/* the same number on every architecture */
#endif

struct nsspawn {
	struct evloop *el;
	nsspawn_done_fn done;
	void *data;
	pid_t pid;		/* 0 once reaped */
	int pidfd;
	int result;		/* read end of the child's verdict */
};

/* What a child that did not exec says: status -1 (not entered) or
 * 126 / 127 (not executed), and why. */
struct verdict {
	int status, err;
};

extern char **environ;

/* Closes every descriptor from first on: the daemon's sockets must not
 * live on in the command (they would pin namespaces and keep the control
 * socket open). */
static void close_from(int first)
{
	struct rlimit rl;
	long fd, max = 65536;

	if (close_range((unsigned)first, ~0U, 0) == 0)
		return;
	/* Kernels before 5.9. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = rl.rlim_cur < (1 << 20) ? (long)rl.rlim_cur : 1 << 20;
	for (fd = first; fd < max; fd++)
		close((int)fd);
}

static void __attribute__((noreturn)) child_fail(int fd, int status, int err)
{
	struct verdict v = { .status = status, .err = err };
	ssize_t n;

	do
		n = write(fd, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
	_exit(status >= 0 ? status : 255);
}

/* Puts src[0..n) at 0..n-1: out of the way first (>= 10), then into
 * place, since a source may sit on a target number; from keep on they
 * stay close-on-exec. */
static int place_fds(const int *src, int n, int keep)
{
	int tmp[NSSPAWN_FDS_MAX + 2], i;

	for (i = 0; i < n; i++) {
		tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 10);
		if (tmp[i] < 0)
			return -errno;
	}
	for (i = 0; i < n; i++)
		if (dup3(tmp[i], i, i >= keep ? O_CLOEXEC : 0) < 0)
			return -errno;
	close_from(n);
	return 0;
}

static void __attribute__((noreturn))
child_main(const struct nsspawn_spec *s, int result)
{
	int src[NSSPAWN_FDS_MAX + 2], n = (int)s->nfds, i, r, status;
	struct nsexec_ctx ctx = s->ctx;

	if (s->terminal ? setsid() < 0 : setpgid(0, 0) < 0)
		child_fail(result, -1, errno);
	procs_child_defaults();

	/* The command's descriptors, then (close-on-exec) the verdict pipe
	 * and the cgroup's, which only we use. */
	for (i = 0; i < n; i++)
		src[i] = s->fds[i];
	src[n++] = result;
	if (ctx.cgroup_fd >= 0) {
		src[n] = ctx.cgroup_fd;
		ctx.cgroup_fd = n++;
	}
	result = (int)s->nfds;
	r = place_fds(src, n, result);
	if (r < 0)
		_exit(255);	/* no verdict pipe to say it through */
	if (s->terminal && ioctl(0, TIOCSCTTY, 0) < 0)
		child_fail(result, -1, errno);
	environ = (char **)s->envp;
	r = nsexec_exec(s->netns, &ctx, s->argv, &status);
	child_fail(result, status, -r);
}

static void run_free(struct nsspawn *p)
{
	if (p->pidfd >= 0) {
		evloop_del_fd(p->el, p->pidfd);
		close(p->pidfd);
	}
	if (p->result >= 0)
		close(p->result);
	free(p);
}

/* Reaps p->pid (blocking only when it is known to be gone or killed). */
static int reap(struct nsspawn *p, int flags, int *ret_wstatus)
{
	pid_t got;

	do
		got = waitpid(p->pid, ret_wstatus, flags);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno;
	if (got == 0)
		return -EAGAIN;
	p->pid = 0;
	return 0;
}

static void on_pidfd(struct evloop *el, int fd, unsigned events, void *data)
{
	struct nsspawn *p = data;
	nsspawn_done_fn done = p->done;
	void *done_data = p->data;
	struct verdict v = { .status = -1, .err = EIO };
	int wstatus = 0, e;
	ssize_t n;

	e = reap(p, WNOHANG, &wstatus);
	if (e == -EAGAIN)
		return;		/* not a zombie yet (spurious wake-up) */
	if (e < 0) {
		/* ECHILD: someone reaped it behind our back (waitpid(-1),
		 * or SIGCHLD set to SIG_IGN). */
		v.err = -e;
		p->pid = 0;
	} else if (WIFEXITED(wstatus)) {
		v = (struct verdict){ .status = WEXITSTATUS(wstatus) };
	} else if (WIFSIGNALED(wstatus)) {
		v = (struct verdict){ .status = 128 + WTERMSIG(wstatus) };
	}
	/* Written before the child exited, so it is there now; without it
	 * the command ran, and the wait status above stands. */
	do
		n = read(p->result, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
	run_free(p);
	done(done_data, v.status, v.err);
}

struct nsspawn *nsspawn_start(struct evloop *el,
			      const struct nsspawn_spec *spec,
			      nsspawn_done_fn done, void *data)
{
	struct nsspawn *p;
	int pipefd[2], e;
	pid_t pid;

	if (!el || !spec || !spec->netns || !spec->argv || !spec->argv[0] ||
	    !spec->envp || spec->nfds > NSSPAWN_FDS_MAX || !done) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	*p = (struct nsspawn){ .el = el, .done = done, .data = data,
			       .pidfd = -1, .result = -1 };
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		goto fail;
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		child_main(spec, pipefd[1]);
	}
	e = errno;
	close(pipefd[1]);
	p->result = fd_move_high(pipefd[0]);
	if (pid < 0) {
		errno = e;
		goto fail;
	}
	p->pid = pid;
	/* Also from here, so that the group exists before a kill can come,
	 * whoever runs first (a session is the child's own to make). */
	if (!spec->terminal)
		setpgid(pid, pid);
	if (fcntl(p->result, F_SETFL, O_NONBLOCK) < 0)
		goto fail_child;
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (p->pidfd < 0)
		goto fail_child;
	p->pidfd = fd_move_high(p->pidfd);
	e = evloop_add_fd(el, p->pidfd, EVLOOP_READ, on_pidfd, p);
	if (e < 0) {
		errno = -e;
		goto fail_child;
	}
	return p;

fail_child:
	e = errno;
	nsspawn_cancel(p);
	errno = e;
	return NULL;
fail:
	e = errno;
	run_free(p);
	errno = e;
	return NULL;
}

void nsspawn_kill(struct nsspawn *p)
{
	/* Not reaped yet, so the pid (and the group named after it) cannot
	 * belong to anyone else. The pid itself too: the instant before
	 * setpgid or setsid took effect. */
	if (p && p->pid > 0) {
		kill(-p->pid, SIGKILL);
		kill(p->pid, SIGKILL);
	}
}

void nsspawn_cancel(struct nsspawn *p)
{
	if (!p)
		return;
	if (p->pid > 0) {
		nsspawn_kill(p);
		reap(p, 0, NULL);
	}
	run_free(p);
}

pid_t nsspawn_pid(const struct nsspawn *p)
{
	return p ? p->pid : 0;
}
