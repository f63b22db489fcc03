/* daemon.c - vpcemud, the privileged daemon that owns every lab on the host:
 * its main and its life cycle.
 *
 * One thread, one event loop (evloop.c): the control socket and its
 * clients (ctlsrv.c), which run requests through request.c and ssmreq.c,
 * the services of running labs, and the signal pipe. This file starts
 * all that and tears it down: options, the socket's directory, the pid
 * file that locks out a second daemon, the socket, detaching.
 *
 * Security model:
 *  - the socket directory is root's and not writable by anyone else; the
 *    socket is created by bind() under a umask that already gives it its
 *    final mode (0600, or 0660 with the allowed group as its group: bind
 *    runs with that egid), so it is never wider than intended;
 *  - every request is checked, and lab files are read with the peer's
 *    identity (peer.c), a running lab's again with its owner's (fsid.c);
 *  - what runs in a lab's machines for a member (user data, exec,
 *    sessions) runs with the member's uid, gid and groups (nsspawn.c,
 *    execreq.c), never as root;
 *  - lab names that become paths are validated by ctl.c; nothing runs a
 *    shell.
 *
 * Labs live in the kernel and in state files, not in this process: SIGTERM
 * leaves them up, and a restarted daemon finds them again.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "vpcemu/api.h"
#include "vpcemu/ctl.h"
#include "vpcemu/ctlsrv.h"
#include "vpcemu/dlog.h"
#include "vpcemu/evloop.h"
#include "vpcemu/netns.h"
#include "vpcemu/request.h"
#include "vpcemu/state.h"

static struct {
	struct evloop *el;
	const char *socket;
	char *pidfile;
	int lfd, pidfd;
	int sigpipe[2];
	bool foreground;
	bool group_set;
	gid_t group;
	gid_t egid;		/* ours, restored after binding */
	struct api_config api;
} D = { .lfd = -1, .pidfd = -1, .sigpipe = { -1, -1 } };

/* ---- signals ----------------------------------------------------------- */

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char s = (unsigned char)sig;

	/* A full pipe already holds a wake-up: losing this byte is fine. */
	if (write(D.sigpipe[1], &s, 1) < 0) {
	}
	errno = saved;
}

static void on_sigpipe_fd(struct evloop *el, int fd, unsigned events,
			  void *data)
{
	unsigned char s;

	while (read(fd, &s, 1) == 1) {
		dlog(LOG_NOTICE, NULL, "%s: exiting; labs stay up",
		     strsignal(s));
		evloop_stop(el);
	}
}

/* A self-pipe rather than a blocked mask and signalfd: blocked signals
 * survive execve, and children (probes, exec) must get default ones. */
static int signals_init(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	size_t i;

	if (pipe2(D.sigpipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -errno;
	return 0;
}

/* ---- start-up ---------------------------------------------------------- */

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Start-up errors go to stderr, which is the starter's until we detach,
 * and to syslog when we will detach (stderr is /dev/null after). */
static int fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vpcemud: %s\n", msg);
	if (!D.foreground)
		syslog(LOG_ERR, "%s", msg);
	return 1;
}

/* The socket's directory: created 0755 if missing; it must be root's and
 * writable by no one else, or whoever can write there could replace our
 * socket with theirs. */
static int prepare_dir(const char *sock)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", sock);
	slash = strrchr(dir, '/');
	if (!slash)
		return fail("--socket %s: not an absolute path", sock);
	if (slash == dir)
		slash++;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return fail("mkdir %s: %s", dir, strerror(errno));
	if (lstat(dir, &st) < 0)
		return fail("%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail("%s: not a directory", dir);
	if (st.st_uid != 0 || st.st_mode & (S_IWGRP | S_IWOTH))
		return fail("%s: must belong to root and be writable by root "
			    "only (owner uid %u, mode %04o)", dir,
			    (unsigned)st.st_uid, st.st_mode & 07777);
	return 0;
}

/* The pid file doubles as the lock that makes one daemon per socket: two
 * vpcemud starting together cannot both find the socket stale and remove
 * each other's. */
static int lock_pidfile(void)
{
	struct stat a, b;
	char buf[32] = "";
	ssize_t n;
	int fd;

	for (;;) {
		fd = open(D.pidfile, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			  0644);
		if (fd < 0)
			return fail("%s: %s", D.pidfile, strerror(errno));
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int e = errno;

			n = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			close(fd);
			if (e == EWOULDBLOCK)
				return fail("another vpcemud runs (pid %s, "
					    "%s)", *buf ? buf : "?", D.pidfile);
			return fail("lock %s: %s", D.pidfile, strerror(e));
		}
		/* The last holder may have unlinked the file on its way
		 * out: a lock on that orphan would lock nothing. */
		if (!fstat(fd, &a) && !stat(D.pidfile, &b) &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			break;
		close(fd);
	}
	D.pidfd = fd;
	return 0;
}

static int write_pidfile(void)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (ftruncate(D.pidfd, 0) < 0 || pwrite(D.pidfd, buf, (size_t)n, 0) != n)
		return fail("%s: %s", D.pidfile, strerror(errno));
	return 0;
}

static int bind_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t mode = D.group_set ? 0660 : 0600, old;
	struct stat st;
	int fd, r, e;

	if (strlen(D.socket) >= sizeof(sa.sun_path))
		return fail("%s: path too long for a socket", D.socket);
	strcpy(sa.sun_path, D.socket);

	fd = ctl_connect(D.socket);
	if (fd >= 0) {
		close(fd);
		return fail("another vpcemud answers on %s", D.socket);
	}
	if (fd == -ECONNREFUSED) {
		if (lstat(D.socket, &st) == 0 && !S_ISSOCK(st.st_mode))
			return fail("%s exists and is not a socket", D.socket);
		/* Left by a daemon that died (kill -9): nobody listens. */
		if (unlink(D.socket) < 0 && errno != ENOENT)
			return fail("remove stale %s: %s", D.socket,
				    strerror(errno));
	} else if (fd != -ENOENT) {
		return fail("%s: %s", D.socket, strerror(-fd));
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail("socket: %s", strerror(errno));
	/* The file is born with its final mode and group: umask before
	 * bind, the allowed group as our egid while binding. A chmod or
	 * chown after bind would leave a moment where the socket is wider
	 * than intended (redis anetListen's race). */
	old = umask(0777 & ~mode);
	if (D.group_set && setegid(D.group) < 0) {
		e = errno;
		umask(old);
		close(fd);
		return fail("setegid %u: %s", (unsigned)D.group, strerror(e));
	}
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	if (D.group_set && setegid(D.egid) < 0) {
		/* Cannot happen to root; if it did, nothing else would be
		 * safe either. */
		close(fd);
		unlink(D.socket);
		return fail("setegid %u: %s", (unsigned)D.egid,
			    strerror(errno));
	}
	umask(old);
	if (r < 0) {
		close(fd);
		return fail("bind %s: %s", D.socket, strerror(e));
	}
	/* A setgid directory would have imposed its own group. */
	if (lstat(D.socket, &st) < 0 || (st.st_mode & 0777) != mode ||
	    st.st_gid != (D.group_set ? D.group : D.egid)) {
		close(fd);
		unlink(D.socket);
		return fail("%s came out with mode %04o group %u, not %04o "
			    "group %u", D.socket, st.st_mode & 0777,
			    (unsigned)st.st_gid, mode,
			    (unsigned)(D.group_set ? D.group : D.egid));
	}
	if (listen(fd, 64) < 0) {
		e = errno;
		close(fd);
		unlink(D.socket);
		return fail("listen %s: %s", D.socket, strerror(e));
	}
	D.lfd = fd;
	return 0;
}

/* Double fork, new session, / as cwd, stdio on /dev/null. The first
 * process exits 0 only once the socket listens (bound before), so
 * whoever started us may connect as soon as it has reaped us. */
static int daemonize(void)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return fail("setsid: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		return fail("chdir /: %s", strerror(errno));
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail("/dev/null: %s", strerror(errno));
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return fail("dup2: %s", strerror(errno));
	close(fd);
	return 0;
}

static char *pidfile_of(const char *sock)
{
	size_t n = strlen(sock);
	char *p = malloc(n + sizeof(".pid"));

	if (!p)
		return NULL;
	/* /run/vpcemu/vpcemud.sock -> /run/vpcemu/vpcemud.pid */
	if (n > 5 && !strcmp(sock + n - 5, ".sock"))
		n -= 5;
	memcpy(p, sock, n);
	strcpy(p + n, ".pid");
	return p;
}

static int parse_group(const char *s, gid_t *ret)
{
	struct group *g = getgrnam(s);
	char *end;
	unsigned long v;

	if (g) {
		*ret = g->gr_gid;
		return 0;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v >= (gid_t)-1)
		return -ENOENT;
	*ret = (gid_t)v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vpcemud [--foreground] [--socket PATH] [--group NAME]\n"
		"               [--api-port PORT] [--credentials FILE] [--help] "
		"[--version]\n\n"
		"The vpcemu daemon: owns every lab on the host and answers "
		"vpcemu on a\nUnix socket. `vpcemu up` starts it when none "
		"runs.\n\n"
		"  --foreground   stay attached, log to stderr (systemd)\n"
		"  --socket PATH  control socket (default $VPCEMU_SOCKET or "
		"%s)\n"
		"  --group NAME   also admit members of group NAME (socket "
		"0660)\n"
		"  --api-port PORT  the AWS API (EC2 and IAM Query, SSM JSON) "
		"on 127.0.0.1:PORT\n"
		"                 (default $VPCEMU_API_PORT or %d; 0: none)\n"
		"  --credentials FILE  its SigV4 key, made when missing "
		"(default\n"
		"                 $VPCEMU_CREDENTIALS or %s;\n"
		"                 mode 0600, or 0640 with --group NAME as its "
		"group)\n\n"
		"An API request acts as root, or with --group as uid nobody "
		"and the group's\ngid (HTTP has no peer credentials: the "
		"least of those who can read FILE).\n\n"
		"A member of NAME may use vpcemu's up, apply, down, status, "
		"describe, cost,\nec2, elbv2, ssm and exec (test probes from "
		"its own process: root only).\nIt never gets more than it "
		"has: lab files are read with its uid, gid and\ngroups "
		"(user-data files too, whenever a lab it changed last is read\n"
		"again); the user data of a lab it changed last, its exec "
		"commands and its\nSession Manager shells run inside the "
		"machine as it, with no capability,\nnever as root, in a "
		"working directory it may enter; it reads its own\nuser-data "
		"logs, not another member's. Labs are not separated by "
		"member: any\nmember may change, take down or exec in any "
		"lab, as itself.\n", CTL_SOCKET_DEFAULT, API_PORT_DEFAULT,
		API_CREDENTIALS_DEFAULT);
}

/* Reads the command line into D. Returns -1 to go on, else the exit
 * status (--help, --version, a usage error). */
static int parse_args(int argc, char **argv)
{
	const char *port;
	unsigned p;
	int n = 0;
	static const struct option opts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "group", required_argument, NULL, 'g' },
		{ "api-port", required_argument, NULL, 'p' },
		{ "credentials", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;

	D.socket = ctl_socket_path();
	D.api.credentials = getenv("VPCEMU_CREDENTIALS") ?
				    getenv("VPCEMU_CREDENTIALS") :
				    API_CREDENTIALS_DEFAULT;
	port = getenv("VPCEMU_API_PORT");
	while ((c = getopt_long(argc, argv, "fs:g:p:c:hV", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'p':
			port = optarg;
			break;
		case 'c':
			D.api.credentials = optarg;
			break;
		case 'f':
			D.foreground = true;
			break;
		case 's':
			D.socket = optarg;
			break;
		case 'g':
			if (parse_group(optarg, &D.group))
				return fail("--group %s: no such group",
					    optarg);
			D.group_set = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vpcemud %s\n", VPCEMU_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	D.api.port = API_PORT_DEFAULT;
	if (port && (sscanf(port, "%5u%n", &p, &n) != 1 || port[n] ||
		     p > 65535))
		return fail("--api-port %s: not a port number", port);
	if (port)
		D.api.port = (uint16_t)p;
	return -1;
}

/* The event loop and what it serves: signals, the control socket, the
 * services. Returns 0 or -errno. */
static int start_loop(void)
{
	int r;

	D.el = evloop_new();
	r = D.el ? signals_init() : -errno;
	if (!r)
		r = evloop_add_fd(D.el, D.sigpipe[0], EVLOOP_READ,
				  on_sigpipe_fd, NULL);
	if (!r)
		r = ctlsrv_start(D.el, D.lfd, request_ops, request_nops,
				 D.group_set ? &D.group : NULL);
	if (!r)
		r = request_start(D.el);
	nsh_defer_close(true);
	if (!r && D.api.port) {
		/* Without the API, labs and vpcemu still work: say why. */
		D.api.group = D.group_set ? &D.group : NULL;
		int e = api_start(D.el, &D.api);

		if (e < 0)
			dlog(LOG_WARNING, NULL, "no AWS API on 127.0.0.1:%u "
			     "(%s): %s", (unsigned)D.api.port,
			     D.api.credentials, strerror(-e));
		else
			dlog(LOG_INFO, NULL, "AWS API on http://127.0.0.1:%u/, "
			     "key in %s", (unsigned)D.api.port,
			     D.api.credentials);
	}
	return r;
}

static void log_listening(void)
{
	const struct group *g = D.group_set ? getgrgid(D.group) : NULL;

	dlog(LOG_INFO, NULL, "vpcemud %s listening on %s (%s%s), state in %s",
	     VPCEMU_VERSION, D.socket,
	     D.group_set ? "root and group " : "root only",
	     D.group_set ? (g ? g->gr_name : "(numeric)") : "", state_dir());
}

int main(int argc, char **argv)
{
	int r, rc = 1;

	r = parse_args(argc, argv);
	if (r >= 0)
		return r;
	if (D.socket[0] != '/')
		return fail("--socket %s: not an absolute path", D.socket);
	if (geteuid() != 0)
		return fail("must run as root (it changes network namespaces)");
	D.egid = getegid();
	/* Whatever umask we inherited, our directories and the lab files we
	 * write (/etc/netns) get the modes we ask for. */
	umask(022);
	dlog_set_foreground(D.foreground);
	if (!D.foreground) {
		/* A daemon keeps no fd of whoever started it: a pipe held
		 * open here would keep that caller waiting for EOF. */
		close_range(3, ~0U, 0);
		openlog("vpcemud", LOG_PID, LOG_DAEMON);
	}
	D.pidfile = pidfile_of(D.socket);
	if (!D.pidfile)
		return fail("out of memory");
	if (prepare_dir(D.socket) || lock_pidfile() || bind_socket())
		goto out;
	if (!D.foreground && daemonize())
		goto out_unlink;
	if (write_pidfile())
		goto out_unlink;
	r = start_loop();
	if (r) {
		dlog(LOG_ERR, NULL, "start: %s", strerror(-r));
		goto out_unlink;
	}
	log_listening();
	request_adopt_all();
	r = evloop_run(D.el);
	if (r)
		dlog(LOG_ERR, NULL, "event loop: %s", strerror(-r));
	else
		rc = 0;

out_unlink:
	api_stop();
	ctlsrv_stop();
	nsh_defer_close(false);
	request_stop();
	if (D.lfd >= 0) {
		close(D.lfd);
		unlink(D.socket);
	}
	/* Unlinked while still locked; a successor checks that the file it
	 * locked is the one in the directory. */
	unlink(D.pidfile);
out:
	if (D.pidfd >= 0)
		close(D.pidfd);
	evloop_free(D.el);
	free(D.pidfile);
	if (!D.foreground)
		closelog();
	return rc;
}
