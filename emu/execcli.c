/* execcli.c - the client's half of an exec request (execcli.h).
 *
 * A session at a terminal gets a pseudo-terminal of its own, as ssh -t
 * and docker exec -t give one: the daemon's child makes its slave the
 * controlling terminal of a new session (job control, a prompt, Ctrl-C for
 * the foreground job), and this side copies bytes between the caller's
 * terminal, put in raw mode so that every key reaches the session's line
 * discipline, and the master. The slave is opened by the caller, so it
 * belongs to the caller's uid like any terminal it opens.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "vpcemu/ctl.h"
#include "vpcemu/execcli.h"

/* What the op carries (ctl.c): argv 1 to 64, env up to 1024 entries, each
 * at most 4 KiB. */
#define ARGV_MAX 64
#define ENV_MAX 1024
#define STR_MAX 4096

/* How long the command's last output may take to come through the
 * terminal once its end is known. */
#define DRAIN_MS 1000

json_t *execcli_args(const char *lab, const char *instance,
		     char *const argv[], char *const envp[], const char *cwd,
		     bool tty)
{
	json_t *args = json_object(), *a = json_array(), *e = json_array();
	size_t i;
	bool ok = args && a && e;

	for (i = 0; ok && argv[i]; i++)
		ok = i < ARGV_MAX && strlen(argv[i]) <= STR_MAX &&
		     !json_array_append_new(a, json_string(argv[i]));
	ok = ok && i > 0;
	for (i = 0; ok && envp && envp[i] && json_array_size(e) < ENV_MAX;
	     i++) {
		const char *eq = strchr(envp[i], '=');

		/* The rest would make the daemon refuse the whole request:
		 * a variable too long to pass is one the command lacks. */
		if (eq && eq != envp[i] && strlen(envp[i]) <= STR_MAX)
			ok = !json_array_append_new(e, json_string(envp[i]));
	}
	if (ok && (json_object_set_new(args, "instance", json_string(instance)) ||
		   json_object_set(args, "argv", a) ||
		   json_object_set(args, "env", e) ||
		   json_object_set_new(args, "tty", json_boolean(tty)) ||
		   (lab && json_object_set_new(args, "lab", json_string(lab))) ||
		   (cwd && cwd[0] == '/' && strlen(cwd) < 4096 &&
		    json_object_set_new(args, "cwd", json_string(cwd)))))
		ok = false;
	json_decref(a);
	json_decref(e);
	if (!ok) {
		json_decref(args);
		return NULL;
	}
	return args;
}

static void copy_winsize(int from, int to)
{
	struct winsize ws;

	if (ioctl(from, TIOCGWINSZ, &ws) == 0)
		ioctl(to, TIOCSWINSZ, &ws);
}

int execcli_pty_open(int term_fd, int *ret_master, int *ret_slave)
{
	char name[128];
	struct termios t;
	int m, s, r;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return -errno;
	if (grantpt(m) < 0 || unlockpt(m) < 0 ||
	    ptsname_r(m, name, sizeof(name)) != 0)
		goto fail;
	s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		goto fail;
	if (tcgetattr(term_fd, &t) == 0)
		tcsetattr(s, TCSANOW, &t);
	copy_winsize(term_fd, m);
	*ret_master = m;
	*ret_slave = s;
	return 0;
fail:
	r = -errno;
	close(m);
	return r;
}

static volatile sig_atomic_t got_signal, got_winch;

static void on_signal(int sig)
{
	if (sig == SIGWINCH)
		got_winch = 1;
	else
		got_signal = sig;
}

static int write_all(int fd, const char *p, size_t len)
{
	ssize_t k;

	while (len > 0) {
		k = write(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -errno;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

/* Copies what master has to stdout. Returns false once the terminal hung
 * up (every slave closed: EIO) or failed. */
static bool master_to_stdout(int master)
{
	char buf[4096];
	ssize_t k = read(master, buf, sizeof(buf));

	if (k < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (k <= 0)
		return false;
	write_all(STDOUT_FILENO, buf, (size_t)k);
	return true;
}

/* The command ended: what it wrote last may still be on its way through
 * the terminal. Until the hang-up, within DRAIN_MS (a background job may
 * hold the slave open). */
static void drain(int master)
{
	struct pollfd p = { .fd = master, .events = POLLIN };
	struct timespec t0, t;
	long left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = DRAIN_MS - ((t.tv_sec - t0.tv_sec) * 1000 +
				   (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, (int)left) <= 0 ||
		    !master_to_stdout(master))
			return;
	}
}

int execcli_relay(int sock, int master, json_t **ret_reply, int *ret_signal)
{
	static const int sigs[] = { SIGWINCH, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on_signal }, old[3];
	struct pollfd p[3];
	struct termios saved, raw;
	bool term = tcgetattr(STDIN_FILENO, &saved) == 0, in_open = true;
	bool master_open = true;
	sigset_t block, unblocked;
	char buf[4096];
	ssize_t k;
	size_t i;
	int r = 0;

	*ret_reply = NULL;
	/* Blocked but for ppoll: no signal slips between a check of the
	 * flags and the wait. */
	sigemptyset(&block);
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 3; i++) {
		sigaddset(&block, sigs[i]);
		sigaction(sigs[i], &sa, &old[i]);
	}
	sigprocmask(SIG_BLOCK, &block, &unblocked);
	if (term) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSADRAIN, &raw);
	}
	for (;;) {
		if (got_signal) {
			*ret_signal = got_signal;
			r = -EINTR;
			break;
		}
		if (got_winch) {
			got_winch = 0;
			copy_winsize(STDIN_FILENO, master);
		}
		p[0] = (struct pollfd){ .fd = master_open ? master : -1,
					.events = POLLIN };
		p[1] = (struct pollfd){ .fd = sock, .events = POLLIN };
		p[2] = (struct pollfd){ .fd = in_open ? STDIN_FILENO : -1,
					.events = POLLIN };
		if (ppoll(p, 3, NULL, &unblocked) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (p[2].revents) {
			k = read(STDIN_FILENO, buf, sizeof(buf));
			if (k > 0)
				write_all(master, buf, (size_t)k);
			else if (k == 0 || errno != EINTR)
				in_open = false;
		}
		if (p[0].revents)
			master_open = master_to_stdout(master);
		if (p[1].revents) {
			r = ctl_recv(sock, ret_reply, CTL_CALL_TIMEOUT_MS);
			if (!r && master_open)
				drain(master);
			break;
		}
	}
	if (term)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
	for (i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	sigprocmask(SIG_SETMASK, &unblocked, NULL);
	return r;
}
