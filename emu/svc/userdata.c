/* userdata.c - user data runs (see userdata.h): `/bin/sh /dev/fd/3` in
 * the instance, started and watched by nsspawn.c; this file prepares what
 * the shell gets.
 *
 * Why a file and not `/bin/sh -s` on stdin: a script fed on stdin shares
 * it with its commands, so the first one that reads stdin (read, cat, a
 * package manager's prompt, ssh) swallows the rest of the script. cloud-init
 * runs user data from a file too. The file is a memfd: written by the
 * daemon without blocking, nothing to clean up, no directory to pick, and
 * it disappears with the last process that holds it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vpcemu/netns.h"
#include "vpcemu/nsexec.h"
#include "vpcemu/nsspawn.h"
#include "vpcemu/procs.h"
#include "vpcemu/userdata.h"
#include "vpcemu/util.h"

struct userdata_run {
	struct nsspawn *spawn;
	userdata_done_fn done;
	void *data;
};

/* What the shell gets, prepared before the fork. */
struct child_args {
	const char *netns;
	struct nsexec_ctx ctx;
	int devnull, log, script;
};

static bool netns_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= NAME_MAX && !strchr(name, '/') &&
	       strcmp(name, ".") && strcmp(name, "..");
}

static void on_done(void *data, int status, int err)
{
	struct userdata_run *r = data;
	userdata_done_fn done = r->done;
	void *done_data = r->data;

	free(r);
	done(done_data, status < 0 ? -err : status);
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

/* What the shell inherits: the log, /dev/null, the script and the
 * instance's group (-1 when it has none: then only the scan of down finds
 * what the script starts). A member's log is the member's (userdata.h).
 * -1 with errno on failure. */
static int child_args_open(struct child_args *a, const char *script,
			   const char *log_path)
{
	const struct nsexec_cred *c = a->ctx.cred;

	a->log = open(log_path,
		      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY |
		      O_NOFOLLOW, 0600);
	if (a->log < 0 || (c && fchown(a->log, c->uid, c->gid) < 0))
		return -1;
	a->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (a->devnull < 0)
		return -1;
	a->script = script_file(script);
	if (a->script < 0) {
		errno = -a->script;
		return -1;
	}
	a->ctx.cgroup_fd = procs_group_open(a->netns);
	return 0;
}

/* Closes the parent's copies; each may be -1. */
static void child_args_close(struct child_args *a)
{
	int *fds[] = { &a->log, &a->devnull, &a->script, &a->ctx.cgroup_fd };
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
	static char *const argv[] = { "/bin/sh", "/dev/fd/3", NULL };
	char *const envp[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
		"/sbin:/bin",
		cred ? "HOME=/" : "HOME=/root",
		"LANG=C",
		NULL,
	};
	struct child_args a = { .netns = netns, .devnull = -1, .log = -1,
				.script = -1,
				.ctx = { .cgroup_fd = -1, .hostname = hostname,
					 .cred = cred, .cwd = "/" } };
	struct nsspawn_spec spec = { .netns = netns, .argv = argv,
				     .envp = envp };
	struct userdata_run *r = NULL;
	int fds[4], e;

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
	r->done = done;
	r->data = data;
	if (child_args_open(&a, script, log_path) < 0)
		goto fail;
	/* stdin /dev/null, stdout and stderr the log, the script at 3. */
	fds[0] = a.devnull;
	fds[1] = fds[2] = a.log;
	fds[3] = a.script;
	spec.ctx = a.ctx;
	spec.fds = fds;
	spec.nfds = ARRAY_SIZE(fds);
	r->spawn = nsspawn_start(el, &spec, on_done, r);
	if (!r->spawn)
		goto fail;
	child_args_close(&a);
	return r;

fail:
	e = errno;
	child_args_close(&a);
	free(r);
	errno = e;
	return NULL;
}

void userdata_cancel(struct userdata_run *r)
{
	if (!r)
		return;
	nsspawn_cancel(r->spawn);
	free(r);
}

pid_t userdata_pid(const struct userdata_run *r)
{
	return r ? nsspawn_pid(r->spawn) : 0;
}
