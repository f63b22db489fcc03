/* procs.c - the processes of an instance (procs.h): its cgroup v2 group,
 * and stopping whatever runs in a lab's namespaces before they go.
 *
 * Why both a group and a scan: the group finds every descendant of what
 * vpcemu started, even one that double-forked or changed its network
 * namespace, and cgroup.kill ends them at once with no race against fork;
 * the scan of /proc/PID/ns/net finds what came in by another door (`ip
 * netns exec` by hand, a daemon killed before it could place a child).
 * Every signal goes through a pidfd opened before the namespace is
 * checked, so a PID reused meanwhile is never hit: the signal reaches the
 * process that was checked, or none.
 *
 * Called from lab.c just before namespaces are removed (down, apply that
 * removes an instance, terminate-instances), and from the CLI and the
 * daemon's children to place a process (nsexec.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "vpcemu/procs.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* After SIGKILL: how long processes may take to exit (a process in an
 * uninterruptible sleep) before down says which one is left. */
#define PROCS_KILL_MS 3000
#define PROCS_POLL_MS 10

static const struct {
	const char *type;
	unsigned vcpus;
	unsigned mem_mib;
} types[] = {
	{ "t2.nano", 1, 512 },	  { "t2.micro", 1, 1024 },
	{ "t2.small", 1, 2048 },  { "t2.medium", 2, 4096 },
	{ "t2.large", 2, 8192 },  { "t3.nano", 2, 512 },
	{ "t3.micro", 2, 1024 },  { "t3.small", 2, 2048 },
	{ "t3.medium", 2, 4096 }, { "t3.large", 2, 8192 },
	{ "t4g.micro", 2, 1024 }, { "m5.large", 2, 8192 },
	{ "m5.xlarge", 4, 16384 }, { "c5.large", 2, 4096 },
};

void procs_child_defaults(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int i;

	sigemptyset(&dfl.sa_mask);
	for (i = 1; i < NSIG; i++)
		if (i != SIGKILL && i != SIGSTOP)
			sigaction(i, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int procs_type_limits(const char *type, struct procs_limits *ret)
{
	size_t i;

	*ret = (struct procs_limits){ 0 };
	for (i = 0; type && i < sizeof(types) / sizeof(types[0]); i++) {
		if (!strcmp(types[i].type, type)) {
			ret->vcpus = types[i].vcpus;
			ret->mem_bytes = (uint64_t)types[i].mem_mib << 20;
			return 0;
		}
	}
	return -ENOENT;
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void pause_ms(unsigned ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&t, NULL);
}

static bool is_cgroup2(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

/* The first cgroup2 mount of our mount namespace, into buf. */
static bool host_cgroup2(char *buf, size_t len)
{
	char line[PATH_MAX + 256], dir[PATH_MAX], type[64];
	bool found = false;
	FILE *f = fopen("/proc/self/mounts", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %4095s %63s", dir, type) == 2 &&
		    !strcmp(type, "cgroup2") && strcmp(dir, PROCS_MOUNT) &&
		    (size_t)snprintf(buf, len, "%s", dir) < len)
			found = true;
	}
	fclose(f);
	return found;
}

/* Mounts our own cgroup2 at PROCS_MOUNT, once: a lock file keeps two
 * vpcemu processes from stacking two mounts there, and a mount already
 * there is reused. Private, so it does not propagate to other mount
 * namespaces of /run. */
static int own_mount(void)
{
	int lock, r = 0;

	if (mkdir("/run/vpcemu", 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mkdir(PROCS_MOUNT, 0755) < 0 && errno != EEXIST)
		return -errno;
	lock = open("/run/vpcemu/cgroup.lock", O_RDWR | O_CREAT | O_CLOEXEC,
		    0600);
	if (lock < 0)
		return -errno;
	if (flock(lock, LOCK_EX) < 0) {
		r = -errno;
		goto out;
	}
	if (is_cgroup2(PROCS_MOUNT))
		goto out;
	if (mount("cgroup2", PROCS_MOUNT, "cgroup2",
		  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		r = errno == ENODEV ? -ENODEV : -errno;
		goto out;
	}
	mount(NULL, PROCS_MOUNT, NULL, MS_PRIVATE, NULL);
out:
	close(lock);
	return r;
}

int procs_root(char *buf, size_t len)
{
	char base[PATH_MAX];
	int r;

	if (is_cgroup2(PROCS_MOUNT)) {
		snprintf(base, sizeof(base), "%s", PROCS_MOUNT);
	} else if (!host_cgroup2(base, sizeof(base))) {
		r = own_mount();
		if (r < 0)
			return r;
		snprintf(base, sizeof(base), "%s", PROCS_MOUNT);
	}
	if ((size_t)snprintf(buf, len, "%s/%s", base, PROCS_GROUP_DIR) >= len)
		return -ENAMETOOLONG;
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static bool name_ok(const char *netns)
{
	return netns && *netns && !strchr(netns, '/') && strcmp(netns, ".") &&
	       strcmp(netns, "..") && strlen(netns) <= NAME_MAX;
}

/* The group directory of netns into buf; created when create. */
static int group_path(const char *netns, bool create, char *buf, size_t len)
{
	char root[PATH_MAX];
	int r;

	if (!name_ok(netns))
		return -EINVAL;
	r = procs_root(root, sizeof(root));
	if (r < 0)
		return r;
	if ((size_t)snprintf(buf, len, "%s/%s", root, netns) >= len)
		return -ENAMETOOLONG;
	if (create && mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int procs_group_open(const char *netns)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	int r, fd;

	r = group_path(netns, true, dir, sizeof(dir));
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int write_file(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX + 64];
	ssize_t w;
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	w = write(fd, text, strlen(text));
	if (w < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Whether controller ctl is offered to the children of dir. */
static bool has_controller(const char *dir, const char *ctl)
{
	char path[PATH_MAX + 32], line[512], *tok, *save = NULL;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(line, sizeof(line), f))
		for (tok = strtok_r(line, " \n", &save); tok && !found;
		     tok = strtok_r(NULL, " \n", &save))
			found = !strcmp(tok, ctl);
	fclose(f);
	return found;
}

int procs_group_limit(const char *netns, const struct procs_limits *lim,
		      const char **ret_missing)
{
	char root[PATH_MAX], dir[PATH_MAX], text[64];
	bool cpu, mem;
	int r;

	*ret_missing = "";
	r = group_path(netns, true, dir, sizeof(dir));
	if (r < 0)
		return r;
	if (!lim->vcpus && !lim->mem_bytes)
		return 0;
	procs_root(root, sizeof(root));
	/* Our own directory hands the controllers on; the host's root is
	 * not ours to change, so a controller it does not offer (cgroup v1
	 * holds it) stays missing. */
	cpu = lim->vcpus && has_controller(root, "cpu") &&
	      write_file(root, "cgroup.subtree_control", "+cpu") >= 0;
	mem = lim->mem_bytes && has_controller(root, "memory") &&
	      write_file(root, "cgroup.subtree_control", "+memory") >= 0;
	if (cpu) {
		snprintf(text, sizeof(text), "%u 100000", lim->vcpus * 100000);
		r = write_file(dir, "cpu.max", text);
		if (r < 0)
			return r;
	}
	if (mem) {
		snprintf(text, sizeof(text), "%llu",
			 (unsigned long long)lim->mem_bytes);
		r = write_file(dir, "memory.max", text);
		if (r < 0)
			return r;
	}
	if (lim->vcpus && !cpu && lim->mem_bytes && !mem)
		*ret_missing = "cpu memory";
	else if (lim->vcpus && !cpu)
		*ret_missing = "cpu";
	else if (lim->mem_bytes && !mem)
		*ret_missing = "memory";
	return 0;
}

/* ---- stopping ---------------------------------------------------------- */

static bool netns_known(const struct stat *self, const char *proc_ns);

struct nsid {
	dev_t dev;
	ino_t ino;
	bool ok;
};

struct stop {
	char *const *netns;
	size_t n;
	struct nsid *ids;
	char (*groups)[PATH_MAX];	/* "" when the netns has none */
	pid_t self;
	struct stat self_ns;		/* the caller's network namespace */
	pid_t left;			/* one process still there */
	size_t left_ns;
};

/* The namespace netns of pid is in, as an index of s->netns, or -1. */
static ssize_t pid_netns(const struct stop *s, pid_t pid)
{
	char path[64];
	struct stat st;
	size_t i;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (stat(path, &st) < 0)
		return -1;	/* gone, or a zombie: holds no namespace */
	for (i = 0; i < s->n; i++)
		if (s->ids[i].ok && s->ids[i].dev == st.st_dev &&
		    s->ids[i].ino == st.st_ino)
			return (ssize_t)i;
	return -1;
}

/* A member of one of our groups in a network namespace nobody names: the
 * instance's own, unmounted while the process held it (a namespace
 * removed by hand, a down before processes were ours). Not the caller's,
 * not one under /run/netns. */
static bool orphan_of_lab(const struct stop *s, pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return !netns_known(&s->self_ns, path);
}

/* Signals pid if, checked through a pidfd, it is inside one of the lab's
 * namespaces, or (group >= 0: a member of the group of netns[group]) an
 * orphan of the lab. Returns true when it was there to signal. */
static bool signal_one(struct stop *s, pid_t pid, int sig, ssize_t group)
{
	ssize_t in;
	int pfd;
	bool hit = false;

	if (pid <= 1 || pid == s->self)
		return false;
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		return false;
	/* Checked after the pidfd pins the process: if pid was reused
	 * before, the check sees the new process and the signal, through
	 * the pidfd, can only reach the one that was checked. */
	in = pid_netns(s, pid);
	if (in < 0 && group >= 0 && orphan_of_lab(s, pid))
		in = group;
	if (in >= 0 && syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) == 0) {
		hit = true;
		s->left = pid;
		s->left_ns = (size_t)in;
	}
	close(pfd);
	return hit;
}

/* Signals the members of group i that are inside the lab's namespaces;
 * *ret_outside counts the others (a member that moved to a namespace of
 * someone else's is not ours to signal). */
static size_t signal_group(struct stop *s, size_t i, int sig,
			   size_t *ret_outside)
{
	char path[PATH_MAX + 32];
	size_t hits = 0;
	int pid;
	FILE *f;

	*ret_outside = 0;
	if (!s->groups[i][0])
		return 0;
	snprintf(path, sizeof(path), "%s/cgroup.procs", s->groups[i]);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fscanf(f, "%d", &pid) == 1) {
		if (signal_one(s, pid, sig, (ssize_t)i))
			hits++;
		else if (pid != s->self && kill(pid, 0) == 0)
			(*ret_outside)++;
	}
	fclose(f);
	return hits;
}

static size_t signal_scan(struct stop *s, int sig)
{
	struct dirent *e;
	size_t hits = 0;
	DIR *d = opendir("/proc");
	char *end;
	long pid;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 1 || pid == s->self)
			continue;
		if (pid_netns(s, (pid_t)pid) >= 0)
			hits += signal_one(s, (pid_t)pid, sig, -1);
	}
	closedir(d);
	return hits;
}

/* Signals everything once; returns how many were there. sig 0 counts. */
static size_t signal_all(struct stop *s, int sig)
{
	size_t i, hits = 0, outside;

	for (i = 0; i < s->n; i++) {
		hits += signal_group(s, i, sig == SIGKILL ? 0 : sig, &outside);
		/* cgroup.kill: the whole group at once, forks included,
		 * when all of it is inside the lab; else one by one. */
		if (sig == SIGKILL && s->groups[i][0] &&
		    (outside || write_file(s->groups[i], "cgroup.kill",
					   "1") < 0))
			signal_group(s, i, SIGKILL, &outside);
	}
	/* The scan finds the group members again: counted twice, which
	 * only matters as "some" or "none". */
	return hits + signal_scan(s, sig);
}

/* Waits until nothing is left or the deadline; true when nothing is. */
static bool wait_empty(struct stop *s, int64_t deadline, int resend)
{
	for (;;) {
		if (!signal_all(s, 0))
			return true;
		if (now_ms() >= deadline)
			return false;
		pause_ms(PROCS_POLL_MS);
		/* Something forked after the signal: it gets one too. */
		if (resend)
			signal_all(s, resend);
	}
}

int procs_stop(char *const *netns, size_t n, unsigned grace_ms,
	       pid_t *ret_pid, const char **ret_netns)
{
	struct stop s = { .netns = netns, .n = n, .self = getpid() };
	char path[PATH_MAX];
	struct stat st;
	size_t i, hits;
	int r = 0, fd;

	*ret_pid = 0;
	*ret_netns = NULL;
	s.ids = calloc(n + 1, sizeof(*s.ids));
	s.groups = calloc(n + 1, sizeof(*s.groups));
	if (!s.ids || !s.groups) {
		r = -ENOMEM;
		goto out;
	}
	if (stat("/proc/self/ns/net", &s.self_ns) < 0) {
		r = -errno;
		goto out;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/run/netns/%s", netns[i]);
		fd = name_ok(netns[i]) ? open(path, O_RDONLY | O_CLOEXEC) : -1;
		/* fstat of the bind mount gives the nsfs inode that
		 * /proc/PID/ns/net shows for a process inside. */
		if (fd >= 0 && ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET &&
		    fstat(fd, &st) == 0) {
			s.ids[i] = (struct nsid){ st.st_dev, st.st_ino, true };
		}
		if (fd >= 0)
			close(fd);
		if (group_path(netns[i], false, s.groups[i], PATH_MAX) < 0 ||
		    access(s.groups[i], F_OK) < 0)
			s.groups[i][0] = '\0';
	}
	hits = signal_all(&s, SIGTERM);
	if (!hits)
		goto out;
	r = (int)hits;
	if (wait_empty(&s, now_ms() + grace_ms, 0))
		goto out;
	signal_all(&s, SIGKILL);
	if (wait_empty(&s, now_ms() + PROCS_KILL_MS, SIGKILL))
		goto out;
	r = -EBUSY;
	*ret_pid = s.left;
	*ret_netns = netns[s.left_ns];
out:
	free(s.ids);
	free(s.groups);
	return r;
}

int procs_group_del(const char *netns)
{
	char dir[PATH_MAX];
	int64_t deadline = now_ms() + PROCS_KILL_MS;
	int r;

	if (!name_ok(netns))
		return -EINVAL;
	/* Never mount anything just to find there is nothing to remove. */
	if (!is_cgroup2(PROCS_MOUNT) && !host_cgroup2(dir, sizeof(dir)))
		return 0;
	r = group_path(netns, false, dir, sizeof(dir));
	if (r < 0)
		return r;
	while (rmdir(dir) < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno != EBUSY || now_ms() >= deadline)
			return -errno;
		pause_ms(PROCS_POLL_MS);
	}
	return 0;
}

/* Whether pid's network namespace is ours (the caller's: the host's) or
 * one mounted under /run/netns: then it is no orphan of a lab. */
static bool netns_known(const struct stat *self, const char *proc_ns)
{
	char path[PATH_MAX];
	struct stat st, m;
	struct dirent *e;
	bool known = false;
	DIR *d;

	if (stat(proc_ns, &st) < 0)
		return true;	/* gone: nothing to signal */
	if (st.st_dev == self->st_dev && st.st_ino == self->st_ino)
		return true;
	d = opendir("/run/netns");
	if (!d)
		return false;
	while (!known && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", e->d_name);
		known = stat(path, &m) == 0 && m.st_dev == st.st_dev &&
			m.st_ino == st.st_ino;
	}
	closedir(d);
	return known;
}

/* Kills the members of orphan group dir that sit in a namespace no one
 * names any more (the instance's, unmounted while they held it); a
 * member in the host's namespace or another lab's is left alone. */
static void kill_orphans(const char *dir, const struct stat *self)
{
	char path[PATH_MAX + 32], ns[64];
	int pid, pfd;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fscanf(f, "%d", &pid) == 1) {
		if (pid <= 1 || pid == getpid())
			continue;
		pfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pfd < 0)
			continue;
		snprintf(ns, sizeof(ns), "/proc/%d/ns/net", pid);
		if (!netns_known(self, ns))
			syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
		close(pfd);
	}
	fclose(f);
}

int procs_sweep(const char *lab, size_t *ret_left)
{
	char root[PATH_MAX], dir[PATH_MAX], ns[PATH_MAX];
	size_t plen = strlen(lab);
	struct stat self;
	struct dirent *e;
	DIR *d;
	int r;

	*ret_left = 0;
	if (!is_cgroup2(PROCS_MOUNT) && !host_cgroup2(root, sizeof(root)))
		return 0;
	r = procs_root(root, sizeof(root));
	if (r < 0)
		return r;
	if (stat("/proc/self/ns/net", &self) < 0)
		return -errno;
	d = opendir(root);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || strncmp(e->d_name, lab, plen) ||
		    e->d_name[plen] != '-')
			continue;
		snprintf(ns, sizeof(ns), "/run/netns/%s", e->d_name);
		if (access(ns, F_OK) == 0)
			continue;	/* a namespace: teardown's business */
		if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", root,
				     e->d_name) >= sizeof(dir))
			continue;
		kill_orphans(dir, &self);
		if (procs_group_del(e->d_name) < 0)
			(*ret_left)++;
	}
	closedir(d);
	return 0;
}
