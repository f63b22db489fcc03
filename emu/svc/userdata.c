/* userdata.c - user data runs (see userdata.h): a forked child runs
 * `/bin/sh /dev/fd/3` through nsexec_run inside the instance's namespace
 * and waits for it; the daemon watches the child's pidfd on its event loop
 * and reaps it by pid.
 *
 * Why a file and not `/bin/sh -s` on stdin: a script fed on stdin shares
 * it with its commands, so the first one that reads stdin (read, cat, a
 * package manager's prompt, ssh) swallows the rest of the script. cloud-init
 * runs user data from a file too. The file is a memfd: written by the
 * daemon without blocking, nothing to clean up, no directory to pick, and
 * it disappears with the last process that holds it.
 *
 * Why a child between the daemon and the shell: nsexec_run forks, execs
 * and waits (that is how `ip netns exec` gets its own mount namespace
 * without disturbing the caller); the child does that waiting instead of
 * the daemon and hands the status back through a pipe. It also leads a
 * process group, so that cancelling kills the shell and whatever the
 * script started in the background.
 *
 * The daemon may be multithreaded tomorrow and Criterion workers are
 * today: between fork and _exit the child makes async-signal-safe calls
 * only (nsexec_run keeps to those too).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vpcemu/evloop.h"
#include "vpcemu/netns.h"
#include "vpcemu/nsexec.h"
#include "vpcemu/procs.h"
#include "vpcemu/userdata.h"
#include "vpcemu/util.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434	/* the same number on every architecture */
#endif

/* The child's descriptors: 0-2 as usual, the script at 3, the status pipe
 * at 4 (close-on-exec: only the waiting child writes it). */
#define FD_SCRIPT 3
#define FD_RESULT 4
#define FD_CGROUP 5	/* the instance's cgroup.procs (close-on-exec) */
#define FD_FIRST_FREE 6

struct userdata_run {
	struct evloop *el;
	userdata_done_fn done;
	void *data;
	pid_t pid;		/* 0 once reaped */
	int pidfd;
	int result;		/* read end of the status pipe */
};

/* What the child needs, prepared before fork (no malloc after it). */
struct child_args {
	const char *netns;
	struct nsexec_ctx ctx;	/* cgroup_fd is FD_CGROUP or -1 */
	int devnull, log, script, result;
	int cgroup;	/* procs_group_open, or -1: then only the scan of
			 * down finds what the script starts */
};

extern char **environ;

static bool netns_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= NAME_MAX && !strchr(name, '/') &&
	       strcmp(name, ".") && strcmp(name, "..");
}

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* Closes every descriptor from first on: the daemon's sockets must not
 * live on in the script (they would pin namespaces and keep the control
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

static void __attribute__((noreturn)) child_main(const struct child_args *a)
{
	static char *const argv[] = { "/bin/sh", "/dev/fd/3", NULL };
	char *const envp[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
		"/sbin:/bin",
		a->ctx.cred ? "HOME=/" : "HOME=/root",
		"LANG=C",
		NULL,
	};
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	/* Without a group, /dev/null holds the place of its descriptor. */
	int src[FD_FIRST_FREE] = { a->devnull, a->log, a->log, a->script,
				   a->result,
				   a->cgroup >= 0 ? a->cgroup : a->devnull };
	int tmp[FD_FIRST_FREE];
	int i, r, status = -1, res;
	sigset_t none;

	/* Its own group, so a cancel reaches the shell and its jobs. */
	setpgid(0, 0);
	/* The daemon's handlers write to its signal pipe: a SIGTERM meant
	 * for the script must not stop the daemon. Dispositions it ignores
	 * (SIGPIPE) would survive exec into the script. */
	sigemptyset(&dfl.sa_mask);
	for (i = 1; i < NSIG; i++)
		if (i != SIGKILL && i != SIGSTOP)
			sigaction(i, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* Out of the way first (>= 10), then into place: a source may sit
	 * on a target number. */
	for (i = 0; i < FD_FIRST_FREE; i++) {
		tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 10);
		if (tmp[i] < 0)
			_exit(255);
	}
	for (i = 0; i < FD_FIRST_FREE; i++)
		if (dup3(tmp[i], i,
			 i >= FD_RESULT ? O_CLOEXEC : 0) < 0)
			_exit(255);
	close_from(FD_FIRST_FREE);

	if (chdir("/") < 0)
		_exit(255);
	umask(022);
	environ = (char **)envp;

	/* The shell and all it starts belong to the instance (procs.h). */
	r = nsexec_run_in(a->netns, &a->ctx, argv, &status);
	if (r == 0 || status == 126 || status == 127)
		res = status;	/* the shell's own convention */
	else
		res = r;
	write_all(FD_RESULT, &res, sizeof(res));
	_exit(res >= 0 && res <= 255 ? res : 255);
}

static void run_free(struct userdata_run *r)
{
	if (r->pidfd >= 0) {
		evloop_del_fd(r->el, r->pidfd);
		close(r->pidfd);
	}
	if (r->result >= 0)
		close(r->result);
	free(r);
}

/* Reaps r->pid (blocking only when it is known to be gone or killed). */
static int reap(struct userdata_run *r, int flags, int *ret_wstatus)
{
	pid_t got;

	do
		got = waitpid(r->pid, ret_wstatus, flags);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno;
	if (got == 0)
		return -EAGAIN;
	r->pid = 0;
	return 0;
}

static void on_pidfd(struct evloop *el, int fd, unsigned events, void *data)
{
	struct userdata_run *r = data;
	userdata_done_fn done = r->done;
	void *done_data = r->data;
	int wstatus = 0, status, res, e;
	ssize_t n;

	e = reap(r, WNOHANG, &wstatus);
	if (e == -EAGAIN)
		return;		/* not a zombie yet (spurious wake-up) */
	if (e < 0) {
		/* ECHILD: someone reaped it behind our back (waitpid(-1),
		 * or SIGCHLD set to SIG_IGN). */
		status = e;
		r->pid = 0;
	} else if (WIFEXITED(wstatus)) {
		status = WEXITSTATUS(wstatus);
	} else if (WIFSIGNALED(wstatus)) {
		status = 128 + WTERMSIG(wstatus);
	} else {
		status = -EIO;
	}
	/* The child wrote its verdict before exiting, so it is there now;
	 * without it (killed first) the wait status above stands. */
	do
		n = read(r->result, &res, sizeof(res));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(res))
		status = res;
	run_free(r);
	done(done_data, status);
}

/* The script as a sealed in-memory file; returns its fd or -errno. */
static int script_file(const char *script)
{
	size_t len = strlen(script), off = 0;
	ssize_t n;
	int fd, r;

	fd = memfd_create("user-data", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	while (off < len) {
		n = write(fd, script + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		off += (size_t)n;
	}
	/* The script cannot rewrite itself through /dev/fd/3 (best
	 * effort: sealing is not essential). */
	fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK |
				       F_SEAL_SEAL);
	return fd;
}

/* What the child inherits: the log, /dev/null, the script and the
 * instance's group (-1 when it has none). -1 with errno on failure. */
static int child_args_open(struct child_args *a, const char *script,
			   const char *log_path)
{
	a->log = open(log_path,
		      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY,
		      0600);
	if (a->log < 0)
		return -1;
	a->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (a->devnull < 0)
		return -1;
	a->script = script_file(script);
	if (a->script < 0) {
		errno = -a->script;
		return -1;
	}
	a->cgroup = procs_group_open(a->netns);
	a->ctx.cgroup_fd = a->cgroup >= 0 ? FD_CGROUP : -1;
	return 0;
}

/* Closes the parent's copies; each may be -1. */
static void child_args_close(struct child_args *a)
{
	int *fds[] = { &a->log, &a->devnull, &a->script, &a->result,
		       &a->cgroup };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}

struct userdata_run *userdata_start(struct evloop *el, const char *netns,
				    const char *hostname,
				    const struct nsexec_cred *cred,
				    const char *script, const char *log_path,
				    userdata_done_fn done, void *data)
{
	struct child_args a = { .netns = netns, .devnull = -1, .log = -1,
				.script = -1, .result = -1, .cgroup = -1,
				.ctx = { .hostname = hostname, .cred = cred } };
	struct userdata_run *r = NULL;
	int pipefd[2] = { -1, -1 }, e;
	pid_t pid;

	if (!el || !netns || !script || !log_path || !done ||
	    !netns_name_ok(netns)) {
		errno = EINVAL;
		return NULL;
	}
	/* Checked here so that the common mistake is an error of this call;
	 * the child reports a namespace that vanished meanwhile. */
	if (!netns_exists(netns)) {
		errno = ENOENT;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->el = el;
	r->done = done;
	r->data = data;
	r->pidfd = r->result = -1;

	if (child_args_open(&a, script, log_path) < 0 ||
	    pipe2(pipefd, O_CLOEXEC) < 0)
		goto fail;
	a.result = pipefd[1];
	r->result = fd_move_high(pipefd[0]);
	pipefd[0] = -1;
	if (fcntl(r->result, F_SETFL, O_NONBLOCK) < 0)
		goto fail;

	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0)
		child_main(&a);
	r->pid = pid;
	/* Also from here, so that the group exists before a cancel can
	 * come, whoever runs first. */
	setpgid(pid, pid);

	r->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (r->pidfd < 0)
		goto fail_child;
	r->pidfd = fd_move_high(r->pidfd);
	e = evloop_add_fd(el, r->pidfd, EVLOOP_READ, on_pidfd, r);
	if (e < 0) {
		errno = -e;
		goto fail_child;
	}
	child_args_close(&a);
	return r;

fail_child:
	e = errno;
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	reap(r, 0, NULL);
	errno = e;
fail:
	e = errno;
	child_args_close(&a);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	run_free(r);
	errno = e;
	return NULL;
}

void userdata_cancel(struct userdata_run *r)
{
	if (!r)
		return;
	if (r->pid > 0) {
		/* Not reaped yet, so the pid (and the group named after it)
		 * cannot belong to anyone else. The child's own kill covers
		 * the instant before setpgid took effect. */
		kill(-r->pid, SIGKILL);
		kill(r->pid, SIGKILL);
		reap(r, 0, NULL);
	}
	run_free(r);
}

pid_t userdata_pid(const struct userdata_run *r)
{
	return r ? r->pid : 0;
}
