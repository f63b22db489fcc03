/* test_daemon.c - vpcemud for real (root): a daemon per test on a socket
 * in a private 0755 directory, with its own state directory. Checks the
 * socket's mode, SO_PEERCRED refusals from uid 65534, malformed frames of
 * every kind followed by a client that is still served, a lab's up,
 * status, down through the socket (and surviving a daemon restart), a
 * stale socket, a second daemon refused, and ctl_call's autostart.
 *
 * The .fini takes the lab down, stops every daemon it started by PID and
 * checks that no namespace, socket or pid file is left.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vpcemu/ctl.h"

#include "helpers.h"

#define NOBODY 65534
#define TEST_GID 64999		/* a group no account has */

/* Short: the socket path must fit sun_path (108 bytes). */
static char dir[64], sock[PATH_MAX], pidfile[PATH_MAX];
static char state[128], logfile[128], lab_name[64];
static pid_t daemon_pid;	/* our child, --foreground */
static pid_t detached_pid;	/* started by ctl_call: not our child */

static const char *vpcemud(void)
{
	static char buf[PATH_MAX];
	const char *d = getenv("VPCEMUD"), *v = getenv("VPCEMU");

	if (d && *d)
		return d;
	if (v && *v) {
		snprintf(buf, sizeof(buf), "%s", v);
		snprintf(buf + strlen(dirname(buf)), sizeof(buf) - strlen(buf),
			 "/vpcemud");
		return buf;
	}
	return "../build/vpcemud";
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Starts vpcemud --foreground on sock with extra arguments; waits (with a
 * deadline) until it answers. Returns its pid, or the exit status negated
 * when it exited at start. */
static pid_t start_daemon_args(const char *const *extra)
{
	char *argv[16] = { (char *)vpcemud(), "--foreground", "--socket",
			   sock };
	int64_t deadline = test_now_ms() + 5000;
	unsigned backoff = 5;
	int i, fd, status;
	pid_t pid;

	for (i = 0; extra && extra[i]; i++)
		argv[4 + i] = (char *)extra[i];
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int log = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (log >= 0)
			dup2(log, 2);
		setenv("VPCEMU_STATE_DIR", state, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	for (;;) {
		fd = ctl_connect(sock);
		if (fd >= 0) {
			close(fd);
			return pid;
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			return -(WIFEXITED(status) ? WEXITSTATUS(status) : 128);
		cr_assert_lt(test_now_ms(), deadline, "vpcemud did not answer on "
			     "%s within 5 s", sock);
		test_pause_ms(backoff);
		if (backoff < 100)
			backoff *= 2;
	}
}

static void start_daemon(const char *const *extra)
{
	daemon_pid = start_daemon_args(extra);
	cr_assert_gt(daemon_pid, 0, "vpcemud exited with %d at start",
		     -daemon_pid);
}

/* SIGTERM and wait (deadline); returns the exit status. */
static int stop_daemon(pid_t pid)
{
	int64_t deadline = test_now_ms() + 5000;
	int status;

	kill(pid, SIGTERM);
	while (waitpid(pid, &status, WNOHANG) != pid) {
		if (test_now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		test_pause_ms(10);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static json_t *call(const char *op, json_t *args)
{
	json_t *rep = NULL;
	int r = ctl_call(op, args, false, &rep);

	cr_assert_eq(r, 0, "%s: %s", op, strerror(-r));
	json_decref(args);
	return rep;
}

static int exit_of(const json_t *rep)
{
	return (int)json_integer_value(json_object_get(rep, "exit"));
}

static const char *text_of(const json_t *rep, const char *key)
{
	const char *s = json_string_value(json_object_get(rep, key));

	return s ? s : "";
}

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	snprintf(dir, sizeof(dir), "/tmp/vpcemud-it.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	/* Reachable by uid 65534, writable by root only (vpcemud checks). */
	cr_assert_eq(chmod(dir, 0755), 0);
	snprintf(sock, sizeof(sock), "%s/vpcemud.sock", dir);
	snprintf(pidfile, sizeof(pidfile), "%s/vpcemud.pid", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(logfile, sizeof(logfile), "%s/log", dir);
	setenv("VPCEMU_SOCKET", sock, 1);
	setenv("VPCEMU_STATE_DIR", state, 1);
	lab_name[0] = '\0';
	daemon_pid = detached_pid = 0;
}

static void assert_no_lab_leak(void)
{
	const char *dirs[] = { "/run/netns", "/etc/netns" };
	size_t plen = strlen(lab_name), i;
	char path[PATH_MAX];
	struct dirent *e;

	for (i = 0; i < 2; i++) {
		DIR *d = opendir(dirs[i]);

		if (!d)
			continue;
		while ((e = readdir(d)))
			cr_expect(strncmp(e->d_name, lab_name, plen) ||
					  e->d_name[plen] != '-',
				  "leaked %s/%s", dirs[i], e->d_name);
		closedir(d);
	}
	snprintf(path, sizeof(path), "%s/%s.json", state, lab_name);
	cr_expect_not(exists(path), "leaked %s", path);
}

static void teardown(void)
{
	char buf[4096] = "";
	ssize_t n;
	int fd;

	if (geteuid() != 0 || !dir[0])
		return;
	if (lab_name[0]) {
		json_t *args = json_pack("{s:s}", "name", lab_name), *rep = NULL;

		if (daemon_pid > 0 || detached_pid > 0)
			ctl_call("down", args, false, &rep);
		json_decref(rep);
		json_decref(args);
		assert_no_lab_leak();
	}
	if (daemon_pid > 0)
		cr_expect_eq(stop_daemon(daemon_pid), 0, "vpcemud exit status");
	if (detached_pid > 0) {
		int64_t deadline = test_now_ms() + 5000;

		kill(detached_pid, SIGTERM);
		while (!test_process_gone(detached_pid) &&
		       test_now_ms() < deadline)
			test_pause_ms(10);
		if (!test_process_gone(detached_pid))
			kill(detached_pid, SIGKILL);
	}
	/* A clean exit removes the socket and the pid file. */
	cr_expect_not(exists(sock), "socket left behind");
	cr_expect_not(exists(pidfile), "pid file left behind");
	fd = open(logfile, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		cr_log_info("vpcemud log:\n%s", buf);
		cr_expect_null(strstr(buf, "Sanitizer"), "vpcemud log:\n%s",
			       buf);
		close(fd);
	}
	unlink(logfile);
	unlink(sock);
	unlink(pidfile);
	snprintf(buf, sizeof(buf), "%s/secret.conf", dir);
	unlink(buf);
	snprintf(buf, sizeof(buf), "%s/ud.conf", dir);
	unlink(buf);
	snprintf(buf, sizeof(buf), "%s/root-only", dir);
	unlink(buf);
	snprintf(buf, sizeof(buf), "%s/ud.sh", dir);
	unlink(buf);
	snprintf(buf, sizeof(buf), "%s/private", dir);
	rmdir(buf);
	rmdir(state);
	cr_expect_eq(rmdir(dir), 0, "%s not empty", dir);
}

TestSuite(daemon, .init = setup, .fini = teardown, .timeout = 120);

Test(daemon, ping_and_socket_mode)
{
	char buf[32] = "";
	struct stat st;
	json_t *rep;
	FILE *f;

	start_daemon(NULL);
	cr_assert_eq(lstat(sock, &st), 0);
	cr_expect(S_ISSOCK(st.st_mode));
	cr_expect_eq(st.st_mode & 07777, 0600, "mode %04o", st.st_mode & 07777);
	cr_expect_eq(st.st_uid, 0);
	cr_expect_eq(st.st_gid, 0);
	rep = call("ping", NULL);
	cr_expect_eq(exit_of(rep), 0);
	cr_expect_str_eq(text_of(rep, "status"), "ok");
	cr_expect_eq(json_integer_value(json_object_get(
			     json_object_get(rep, "result"), "pid")),
		     daemon_pid);
	json_decref(rep);
	f = fopen(pidfile, "r");
	cr_assert_not_null(f);
	cr_expect_not_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	cr_expect_eq(atoi(buf), daemon_pid);
}

/* Two requests in one write on one connection: two replies, in order. */
Test(daemon, back_to_back_requests)
{
	json_t *a = ctl_request_new("ping", NULL), *b, *rep;
	json_t *st = json_pack("{s:s}", "lab", "none-such");
	char *fa, *fb, both[512];
	size_t la, lb;
	int fd;

	b = ctl_request_new("status", st);
	cr_assert_eq(ctl_frame_encode(a, &fa, &la), 0);
	cr_assert_eq(ctl_frame_encode(b, &fb, &lb), 0);
	cr_assert_leq(la + lb, sizeof(both));
	memcpy(both, fa, la);
	memcpy(both + la, fb, lb);
	start_daemon(NULL);
	fd = ctl_connect(sock);
	cr_assert_geq(fd, 0);
	cr_assert_eq(send(fd, both, la + lb, MSG_NOSIGNAL), (ssize_t)(la + lb));
	cr_assert_eq(ctl_recv(fd, &rep, 5000), 0);
	cr_expect_eq(exit_of(rep), 0);
	json_decref(rep);
	cr_assert_eq(ctl_recv(fd, &rep, 5000), 0);
	cr_expect_eq(exit_of(rep), 1);
	cr_expect(strstr(text_of(rep, "stderr"), "not up"));
	json_decref(rep);
	close(fd);
	free(fa);
	free(fb);
	json_decref(a);
	json_decref(b);
	json_decref(st);
}

/* Sends raw bytes, optionally shuts the sending side, reads the reply and
 * checks the daemon then closes the connection. */
static void expect_refused(const void *bytes, size_t n, bool shut,
			   int want_exit, const char *want_err)
{
	json_t *rep = NULL;
	char c;
	int fd, r;

	fd = ctl_connect(sock);
	cr_assert_geq(fd, 0);
	/* The daemon may answer (and close) before all is sent. */
	send(fd, bytes, n, MSG_NOSIGNAL);
	if (shut)
		shutdown(fd, SHUT_WR);
	r = ctl_recv(fd, &rep, 5000);
	cr_assert_eq(r, 0, "no reply (%s) for a request expecting '%s'",
		     strerror(-r), want_err);
	cr_expect_eq(exit_of(rep), want_exit, "exit for '%s'", want_err);
	cr_expect_str_eq(text_of(rep, "status"), "error");
	cr_expect(strstr(text_of(rep, "stderr"), want_err),
		  "stderr '%s', want '%s'", text_of(rep, "stderr"), want_err);
	json_decref(rep);
	/* Then the daemon hangs up on that client. */
	r = (int)recv(fd, &c, 1, 0);
	cr_expect_leq(r, 0, "connection still open after '%s'", want_err);
	close(fd);
}

static void expect_ping_works(void)
{
	json_t *rep = call("ping", NULL);

	cr_expect_eq(exit_of(rep), 0);
	json_decref(rep);
}

static void frame_raw(const char *body, size_t len, char *out)
{
	out[0] = (char)(len >> 24);
	out[1] = (char)(len >> 16);
	out[2] = (char)(len >> 8);
	out[3] = (char)len;
	memcpy(out + 4, body, len);
}

Test(daemon, malformed_requests)
{
	static char big[4 + 65536];
	char buf[256];
	int fd;

	start_daemon(NULL);

	frame_raw("{bad json", 9, buf);
	expect_refused(buf, 13, false, CTL_EXIT_USAGE, "malformed JSON");
	expect_ping_works();

	frame_raw("[1,2,3]", 7, buf);
	expect_refused(buf, 11, false, CTL_EXIT_USAGE, "JSON object");
	expect_ping_works();

	frame_raw("{\"op\":\"frobnicate\"}", 19, buf);
	expect_refused(buf, 23, false, CTL_EXIT_USAGE, "unknown op");
	expect_ping_works();

	frame_raw("{\"op\":\"down\",\"args\":{\"name\":\"../../etc\"}}", 41,
		  buf);
	expect_refused(buf, 45, false, CTL_EXIT_USAGE, "invalid lab name");
	expect_ping_works();

	/* Announces 1 MiB + 1: refused on the header, body never read. */
	memset(big, 'x', sizeof(big));
	big[0] = 0x00;
	big[1] = 0x10;
	big[2] = 0x00;
	big[3] = 0x01;
	expect_refused(big, sizeof(big), false, CTL_EXIT_USAGE, "exceeds");
	expect_ping_works();

	/* Announces 100 bytes, sends 10, closes its side. */
	frame_raw("{\"op\":\"pi", 9, buf);
	buf[3] = 100;
	expect_refused(buf, 13, true, CTL_EXIT_USAGE, "truncated");
	expect_ping_works();

	/* A client that vanishes mid-frame without waiting. */
	fd = ctl_connect(sock);
	cr_assert_geq(fd, 0);
	cr_assert_eq(send(fd, buf, 7, MSG_NOSIGNAL), 7);
	close(fd);
	expect_ping_works();

	/* The daemon survived it all, still the same process. */
	cr_expect_eq(kill(daemon_pid, 0), 0);
}

/* Child side of the credential tests: each step that fails exits with its
 * own code, so the parent's assertion says which. */
enum { C_OK = 0, C_SETID = 10, C_CONNECT_OK, C_CONNECT_ERR, C_REQUEST,
       C_EXIT, C_STDERR };

static int child_request(const char *op, json_t *args, int want_exit,
			 const char *want_err)
{
	json_t *req = ctl_request_new(op, args), *rep;
	int fd = ctl_connect(sock);

	if (fd < 0)
		return C_CONNECT_ERR;
	if (ctl_request(fd, req, &rep, 10000))
		return C_REQUEST;
	if (exit_of(rep) != want_exit)
		return C_EXIT;
	if (want_err && !strstr(text_of(rep, "stderr"), want_err))
		return C_STDERR;
	close(fd);
	return C_OK;
}

/* Runs fn in a child with the given credentials; returns its exit code. */
static int as_child(gid_t rgid, gid_t egid, gid_t sgid, gid_t fsgid,
		    const gid_t *groups, size_t ngroups, int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (setgroups(ngroups, groups) < 0 ||
		    setresgid(rgid, egid, sgid) < 0 ||
		    setresuid(NOBODY, NOBODY, NOBODY) < 0)
			_exit(C_SETID);
		setfsgid(fsgid);
		if ((gid_t)setfsgid(-1) != fsgid)
			_exit(C_SETID);
		_exit(fn());
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int try_connect_eacces(void)
{
	int fd = ctl_connect(sock);

	if (fd >= 0)
		return C_CONNECT_OK;
	return fd == -EACCES ? C_OK : C_CONNECT_ERR;
}

Test(daemon, nobody_cannot_connect)
{
	start_daemon(NULL);
	/* The socket is 0600 root: the kernel refuses connect itself. */
	cr_expect_eq(as_child(NOBODY, NOBODY, NOBODY, NOBODY, NULL, 0,
			      try_connect_eacces), C_OK);
	expect_ping_works();
}

static int group_member_allowed(void)
{
	char secret[PATH_MAX];
	int r;

	r = child_request("ping", NULL, 0, NULL);
	if (!r)
		r = child_request("status", NULL, 0, NULL);
	/* A file the client cannot read is not read for it by root. */
	snprintf(secret, sizeof(secret), "%s/secret.conf", dir);
	if (!r)
		r = child_request("up", json_pack("{s:s}", "file", secret), 1,
				  "Permission denied");
	return r;
}

static int peer_without_group_refused(void)
{
	return child_request("ping", NULL, 1, "permission denied");
}

Test(daemon, group_and_peercred)
{
	char arg[16], secret[PATH_MAX];
	const char *extra[] = { "--group", arg, NULL };
	gid_t g = TEST_GID;
	struct stat st;
	int fd;

	snprintf(arg, sizeof(arg), "%d", TEST_GID);
	snprintf(secret, sizeof(secret), "%s/secret.conf", dir);
	fd = open(secret, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "vpc V { cidr 10.9.0.0/16 }\n", 27), 27);
	close(fd);
	start_daemon(extra);
	cr_assert_eq(lstat(sock, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0660, "mode %04o", st.st_mode & 07777);
	cr_expect_eq(st.st_uid, 0);
	cr_expect_eq(st.st_gid, TEST_GID, "group %u", (unsigned)st.st_gid);

	/* Primary gid is the group: allowed. */
	cr_expect_eq(as_child(TEST_GID, TEST_GID, TEST_GID, TEST_GID, NULL, 0,
			      group_member_allowed), C_OK);
	/* The group as a supplementary group only: allowed too. */
	cr_expect_eq(as_child(NOBODY, NOBODY, NOBODY, NOBODY, &g, 1,
			      group_member_allowed), C_OK);
	/* The file system lets it connect (fsgid is the group), but
	 * SO_PEERCRED shows egid 65534 and no group: the daemon refuses. */
	cr_expect_eq(as_child(NOBODY, NOBODY, TEST_GID, TEST_GID, NULL, 0,
			      peer_without_group_refused), C_OK);
	/* Without the group at all: the kernel refuses connect. */
	cr_expect_eq(as_child(NOBODY, NOBODY, NOBODY, NOBODY, NULL, 0,
			      try_connect_eacces), C_OK);
	expect_ping_works();
}

static size_t count_netns(void)
{
	size_t plen = strlen(lab_name), n = 0;
	struct dirent *e;
	DIR *d = opendir("/run/netns");

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, lab_name, plen) &&
		     e->d_name[plen] == '-';
	closedir(d);
	return n;
}

Test(daemon, up_status_down)
{
	char file[PATH_MAX];
	json_t *rep, *res, *labs;
	size_t i, n;
	bool seen = false;

	cr_assert_not_null(realpath("integration/labs/wrong-expectation.conf",
				    file));
	snprintf(lab_name, sizeof(lab_name), "it%d-d", (int)getpid());
	start_daemon(NULL);

	rep = call("up", json_pack("{s:s, s:s}", "file", file, "name",
				   lab_name));
	cr_assert_eq(exit_of(rep), 0, "up: %s", text_of(rep, "stderr"));
	cr_expect(strstr(text_of(rep, "stdout"), "is up"), "%s",
		  text_of(rep, "stdout"));
	res = json_object_get(rep, "result");
	cr_expect_str_eq(json_string_value(json_object_get(res, "action")),
			 "created");
	json_decref(rep);
	/* Router V, instances a and b: seen by the file system, not by us. */
	n = count_netns();
	cr_expect_eq(n, 3, "%zu namespaces", n);

	rep = call("status", NULL);
	cr_expect_eq(exit_of(rep), 0);
	labs = json_object_get(json_object_get(rep, "result"), "labs");
	for (i = 0; i < json_array_size(labs); i++) {
		json_t *l = json_array_get(labs, i);

		if (strcmp(json_string_value(json_object_get(l, "lab")),
			   lab_name))
			continue;
		seen = true;
		cr_expect_eq(json_integer_value(json_object_get(l, "present")),
			     3);
		cr_expect_str_eq(json_string_value(json_object_get(l, "file")),
				 file);
	}
	cr_expect(seen, "status: %s", text_of(rep, "stdout"));
	json_decref(rep);

	rep = call("status", json_pack("{s:s}", "lab", lab_name));
	cr_expect_eq(exit_of(rep), 0);
	labs = json_object_get(json_object_get(rep, "result"), "instances");
	cr_expect_eq(json_array_size(labs), 2);
	for (i = 0; i < json_array_size(labs); i++)
		cr_expect_str_eq(json_string_value(json_object_get(
				 json_array_get(labs, i), "state")), "running");
	json_decref(rep);

	/* Idempotent. */
	rep = call("up", json_pack("{s:s, s:s}", "file", file, "name",
				   lab_name));
	cr_expect_eq(exit_of(rep), 0);
	cr_expect(strstr(text_of(rep, "stdout"), "up to date"));
	json_decref(rep);

	/* The lab outlives the daemon, and the next daemon finds it. */
	cr_expect_eq(stop_daemon(daemon_pid), 0);
	daemon_pid = 0;
	cr_expect_eq(count_netns(), 3);
	start_daemon(NULL);
	rep = call("status", json_pack("{s:s}", "lab", lab_name));
	cr_expect_eq(exit_of(rep), 0);
	json_decref(rep);

	rep = call("down", json_pack("{s:s}", "name", lab_name));
	cr_expect_eq(exit_of(rep), 0, "down: %s", text_of(rep, "stderr"));
	cr_expect(strstr(text_of(rep, "stdout"), "is down"));
	json_decref(rep);
	cr_expect_eq(count_netns(), 0);
	assert_no_lab_leak();

	rep = call("status", json_pack("{s:s}", "lab", lab_name));
	cr_expect_eq(exit_of(rep), 1);
	cr_expect(strstr(text_of(rep, "stderr"), "not up"));
	json_decref(rep);
	rep = call("down", json_pack("{s:s}", "name", lab_name));
	cr_expect_eq(exit_of(rep), 0);
	cr_expect(strstr(text_of(rep, "stdout"), "nothing to do"));
	json_decref(rep);
}

Test(daemon, lab_file_errors)
{
	char file[PATH_MAX];
	json_t *rep;

	cr_assert_not_null(realpath("integration/labs/invalid.conf", file));
	snprintf(lab_name, sizeof(lab_name), "it%d-e", (int)getpid());
	start_daemon(NULL);
	rep = call("up", json_pack("{s:s, s:s}", "file", file, "name",
				   lab_name));
	cr_expect_eq(exit_of(rep), 1);
	cr_expect(strstr(text_of(rep, "stderr"), "nothing was created"), "%s",
		  text_of(rep, "stderr"));
	cr_expect(strstr(text_of(rep, "stderr"), "error"));
	/* Without "as", diagnostics name the file the daemon read. */
	cr_expect(!strncmp(text_of(rep, "stderr"), file, strlen(file)), "%s",
		  text_of(rep, "stderr"));
	json_decref(rep);
	/* With it, the path as the user typed it (the CLI sends it). */
	rep = call("up", json_pack("{s:s, s:s, s:s}", "file", file, "as",
				   "typed/invalid.conf", "name", lab_name));
	cr_expect_eq(exit_of(rep), 1);
	cr_expect(!strncmp(text_of(rep, "stderr"), "typed/invalid.conf:", 19),
		  "%s", text_of(rep, "stderr"));
	json_decref(rep);
	cr_expect_eq(count_netns(), 0);
}

Test(daemon, one_daemon_per_socket_and_stale_socket)
{
	pid_t second;

	char *argv[] = { (char *)vpcemud(), "--foreground", "--socket", sock,
			 NULL };
	int64_t deadline;
	int status = 0;

	start_daemon(NULL);
	/* A second daemon on the same socket refuses to start. */
	second = fork();
	cr_assert_geq(second, 0);
	if (second == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	deadline = test_now_ms() + 5000;
	while (waitpid(second, &status, WNOHANG) != second) {
		if (test_now_ms() > deadline) {
			stop_daemon(second);
			cr_assert_fail("a second vpcemud is running");
		}
		test_pause_ms(10);
	}
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 1,
		  "second vpcemud: status %#x", status);
	cr_expect(exists(sock));
	expect_ping_works();

	/* kill -9 leaves the socket file behind; the next daemon replaces
	 * it. */
	kill(daemon_pid, SIGKILL);
	waitpid(daemon_pid, NULL, 0);
	daemon_pid = 0;
	cr_expect(exists(sock));
	start_daemon(NULL);
	expect_ping_works();
}

Test(daemon, autostart)
{
	char buf[32] = "";
	json_t *rep = NULL;
	int64_t deadline;
	FILE *f;
	int r;

	setenv("VPCEMUD", vpcemud(), 1);
	cr_assert_not(exists(sock));
	r = ctl_call("ping", NULL, true, &rep);
	unsetenv("VPCEMUD");
	cr_assert_eq(r, 0, "ctl_call: %s", strerror(-r));
	detached_pid = (pid_t)json_integer_value(json_object_get(
		json_object_get(rep, "result"), "pid"));
	json_decref(rep);
	cr_assert_gt(detached_pid, 0);
	/* The daemon detached: its pid file names it (written just after
	 * the socket listened, so wait for it). */
	deadline = test_now_ms() + 3000;
	while (atoi(buf) != detached_pid && test_now_ms() < deadline) {
		f = fopen(pidfile, "r");
		if (f) {
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = '\0';
			fclose(f);
		}
		if (atoi(buf) != detached_pid)
			test_pause_ms(10);
	}
	cr_expect_eq(atoi(buf), detached_pid);
	/* A second call finds it running and starts nothing. */
	rep = call("ping", NULL);
	cr_expect_eq(json_integer_value(json_object_get(
			     json_object_get(rep, "result"), "pid")),
		     detached_pid);
	json_decref(rep);
}

/* ---- who user data runs as; the instance's hostname ---- */

static char ud_lab[PATH_MAX];

/* The member's up of ud_lab, through child_request. */
static int member_up(void)
{
	return child_request("up", json_pack("{s:s, s:s}", "file", ud_lab,
					     "name", lab_name), 0, NULL);
}

/* Waits (20 s) for the user data of machine in lab_name to exit 0;
 * returns its log (caller frees). */
static char *user_data_wait(const char *machine)
{
	int64_t deadline = test_now_ms() + 20000;
	char path[PATH_MAX], *log = NULL;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.userdata/%s.status", state,
		 lab_name, machine);
	for (;;) {
		char st[32] = "";

		f = fopen(path, "r");
		if (f) {
			if (!fgets(st, sizeof(st), f))
				st[0] = '\0';
			fclose(f);
		}
		if (!strncmp(st, "exit", 4)) {
			cr_assert_str_eq(st, "exit 0\n");
			break;
		}
		cr_assert_lt(test_now_ms(), deadline, "user data: '%s'", st);
		test_pause_ms(50);
	}
	snprintf(path, sizeof(path), "%s/%s.userdata/%s.log", state, lab_name,
		 machine);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_assert_eq(getdelim(&log, &len, '\0', f) > 0, true);
	fclose(f);
	return log;
}

/* Brings up a lab whose instance's user data prints its uid, whether it
 * can read a root-only file, and its hostname; as the group member when
 * member is set, else as root. Returns the log once the script exited
 * (caller frees). */
static char *user_data_log(bool member)
{
	static const char text[] =
		"region ap-northeast-1\n"
		"vpc V { cidr 10.1.0.0/16 }\n"
		"subnet S { vpc V; cidr 10.1.1.0/24 }\n"
		"instance A {\n"
		"	subnet S; private-ip 10.1.1.10\n"
		"	user-data \"#!/bin/sh\\nid -u\\n"
		"cat /etc/shadow >/dev/null 2>&1 && echo read || echo denied\\n"
		"hostname\\n\"\n"
		"}\n";
	char arg[16];
	const char *extra[] = { "--group", arg, NULL };
	gid_t g = TEST_GID;
	FILE *f;

	snprintf(arg, sizeof(arg), "%d", TEST_GID);
	snprintf(lab_name, sizeof(lab_name), "it%d-u", (int)getpid());
	snprintf(ud_lab, sizeof(ud_lab), "%s/ud.conf", dir);
	f = fopen(ud_lab, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(ud_lab, 0644), 0);
	start_daemon(extra);
	if (member) {
		cr_assert_eq(as_child(NOBODY, NOBODY, NOBODY, NOBODY, &g, 1,
				      member_up), C_OK);
	} else {
		json_t *rep = call("up", json_pack("{s:s, s:s}", "file", ud_lab,
						   "name", lab_name));

		cr_assert_eq(exit_of(rep), 0, "%s", text_of(rep, "stderr"));
		json_decref(rep);
	}
	return user_data_wait("A");
}

Test(daemon, member_user_data_runs_as_member)
{
	char *log = user_data_log(true);

	cr_log_info("member's user data:\n%s", log);
	cr_expect_str_eq(log, "65534\ndenied\n"
			 "ip-10-1-1-10.ap-northeast-1.compute.internal\n");
	free(log);
}

/* The twin: root's lab keeps root, as EC2 runs user data. */
Test(daemon, root_user_data_runs_as_root)
{
	char *log = user_data_log(false);

	cr_log_info("root's user data:\n%s", log);
	cr_expect_str_eq(log, "0\nread\n"
			 "ip-10-1-1-10.ap-northeast-1.compute.internal\n");
	free(log);
}

/* ---- only a change makes its requester the owner ---- */

/* The uid in lab_name's owner file. */
static long owner_uid(void)
{
	char path[PATH_MAX], line[128] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.owner", state, lab_name);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	return strtol(line, NULL, 10);
}

/* The member reads: describe-instances, and vpcemu's own describe. */
static int member_describes(void)
{
	int r = child_request("ec2", json_pack("{s:[s], s:s}", "argv",
					       "describe-instances", "lab",
					       lab_name), 0, NULL);

	return r ? r : child_request("ec2", json_pack("{s:[s], s:s}", "argv",
						      "describe", "lab",
						      lab_name), 0, NULL);
}

/* The member launches B, whose user data prints its uid. */
static int member_runs_b(void)
{
	return child_request("ec2", json_pack(
		"{s:[s,s,s,s,s,s,s,s,s], s:s}", "argv", "run-instances",
		"--subnet-id", "S", "--private-ip-address", "10.1.1.11",
		"--tag-specifications",
		"ResourceType=instance,Tags=[{Key=Name,Value=B}]",
		"--user-data", "#!/bin/sh\nid -u\n", "lab", lab_name), 0, NULL);
}

/* Root's lab: a member's describe leaves it root's. */
Test(daemon, member_describe_keeps_the_owner)
{
	gid_t g = TEST_GID;

	free(user_data_log(false));
	cr_assert_eq(owner_uid(), 0);
	cr_assert_eq(as_child(NOBODY, NOBODY, NOBODY, NOBODY, &g, 1,
			      member_describes), C_OK);
	cr_expect_eq(owner_uid(), 0, "a member's describe took root's lab");
}

/* The twin: a member's change makes the lab the member's, before the
 * apply that starts the new instance's user data. */
Test(daemon, member_change_takes_the_owner)
{
	gid_t g = TEST_GID;
	char *log;

	free(user_data_log(false));
	cr_assert_eq(as_child(NOBODY, NOBODY, NOBODY, NOBODY, &g, 1,
			      member_runs_b), C_OK);
	cr_expect_eq(owner_uid(), NOBODY);
	log = user_data_wait("B");
	cr_expect_str_eq(log, "65534\n");
	free(log);
}

/* ---- exec and Session Manager for a group member ---- */

#define OTHER_MEMBER 65533	/* a second member; needs no account */

/* One VPC where Session Manager connects to A: the role, the three
 * endpoints with private DNS, HTTPS to them. */
static const char member_lab_text[] =
	"region ap-northeast-1\n"
	"vpc V { cidr 10.1.0.0/16; dns-hostnames yes }\n"
	"subnet S { vpc V; cidr 10.1.1.0/24 }\n"
	"security-group SG-E { vpc V; ingress tcp 443 from 10.1.0.0/16 }\n"
	"iam-role R { policies AmazonSSMManagedInstanceCore }\n"
	"endpoint E1 { vpc V; service ssm; subnets S; security-groups SG-E }\n"
	"endpoint E2 { vpc V; service ssmmessages; subnets S; "
	"security-groups SG-E }\n"
	"endpoint E3 { vpc V; service ec2messages; subnets S; "
	"security-groups SG-E }\n"
	"instance A { subnet S; private-ip 10.1.1.10; "
	"iam-instance-profile R }\n"
	"internet-gateway G { vpc V }\n"
	"internet-host H { ip 8.8.8.8; user-data \"#!/bin/sh\\nhostname\\n\" }\n";

#define A_HOSTNAME "ip-10-1-1-10.ap-northeast-1.compute.internal"

static char cli_path[PATH_MAX], root_only[PATH_MAX], private_dir[PATH_MAX];

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, mode), 0);
}

/* Starts vpcemud --group TEST_GID; the member (uid 65534) brings text up
 * as lab_name. Also a root-only file and directory. */
static void member_lab_up(const char *text)
{
	char arg[16];
	const char *extra[] = { "--group", arg, NULL };
	gid_t g = TEST_GID;

	cr_assert_not_null(realpath(vpcemu(), cli_path));
	snprintf(arg, sizeof(arg), "%d", TEST_GID);
	snprintf(lab_name, sizeof(lab_name), "it%d-m", (int)getpid());
	snprintf(ud_lab, sizeof(ud_lab), "%s/ud.conf", dir);
	snprintf(root_only, sizeof(root_only), "%s/root-only", dir);
	snprintf(private_dir, sizeof(private_dir), "%s/private", dir);
	write_file(ud_lab, text, 0644);
	write_file(root_only, "root's secret\n", 0600);
	cr_assert_eq(mkdir(private_dir, 0700), 0);
	start_daemon(extra);
	cr_assert_eq(as_child(NOBODY, NOBODY, NOBODY, NOBODY, &g, 1,
			      member_up), C_OK);
}

/* In a child: the identity of member uid (gid 65534, group TEST_GID). */
static void become_member(uid_t uid)
{
	gid_t g = TEST_GID;

	if (setgroups(1, &g) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		_exit(C_SETID);
}

/* Starts vpcemu argv[1..] as member uid (root: uid 0) in cwd, stdin
 * from /dev/null, stdout and stderr into the pipe *ret_fd. */
static pid_t cli_start(uid_t uid, const char *cwd, char **argv, int *ret_fd)
{
	int fds[2];
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		/* First: a member may sit in a directory it cannot enter
		 * (its mode changed after it came in). */
		if (chdir(cwd) < 0)
			_exit(C_SETID);
		if (uid)
			become_member(uid);
		dup2(null, 0);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		argv[0] = cli_path;
		execv(cli_path, argv);
		_exit(127);
	}
	close(fds[1]);
	*ret_fd = fds[0];
	return pid;
}

/* Runs vpcemu as cli_start does and waits; its output in out. Returns its
 * exit status. */
static int cli_run(uid_t uid, const char *cwd, char *out, size_t outlen,
		   char **argv)
{
	size_t len = 0;
	int fd, status;
	ssize_t k;
	pid_t pid = cli_start(uid, cwd, argv, &fd);

	while (len < outlen - 1 &&
	       (k = read(fd, out + len, outlen - 1 - len)) > 0)
		len += (size_t)k;
	out[len] = '\0';
	close(fd);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

#define EXEC_ARGV(...) ((char *[]){ NULL, "exec", "--lab", lab_name, "A", \
				    "--", __VA_ARGS__, NULL })

static void member_files_remove(void)
{
	unlink(root_only);
	rmdir(private_dir);
}

Test(daemon, member_exec_runs_as_member)
{
	char out[4096];
	int rc;

	member_lab_up(member_lab_text);
	rc = cli_run(NOBODY, dir, out, sizeof(out), EXEC_ARGV("id", "-u"));
	cr_log_info("member's exec -- id -u: %s", out);
	cr_expect_eq(rc, 0, "%s", out);
	cr_expect_str_eq(out, "65534\n");
	rc = cli_run(NOBODY, dir, out, sizeof(out), EXEC_ARGV("id", "-G"));
	cr_expect_str_eq(out, "65534 64999\n");
	rc = cli_run(NOBODY, dir, out, sizeof(out), EXEC_ARGV("hostname"));
	cr_expect_str_eq(out, A_HOSTNAME "\n");
	/* The instance's network: its eth0, not the host's. */
	rc = cli_run(NOBODY, dir, out, sizeof(out),
		     EXEC_ARGV("cat", "/sys/class/net/eth0/address"));
	cr_expect_eq(rc, 0, "%s", out);
	/* What the member cannot read, root does not read for it. */
	rc = cli_run(NOBODY, dir, out, sizeof(out), EXEC_ARGV("cat",
							      root_only));
	cr_expect_eq(rc, 1, "%s", out);
	cr_expect(strstr(out, "Permission denied"), "%s", out);
	cr_expect_null(strstr(out, "secret"), "%s", out);
	/* Nor through its working directory, which it no longer could
	 * enter. */
	rc = cli_run(NOBODY, private_dir, out, sizeof(out),
		     EXEC_ARGV("pwd"));
	cr_expect_eq(rc, 1, "%s", out);
	cr_expect(strstr(out, "cannot run in A as uid 65534"), "%s", out);
	/* The command's own status. */
	rc = cli_run(NOBODY, dir, out, sizeof(out),
		     EXEC_ARGV("sh", "-c", "exit 7"));
	cr_expect_eq(rc, 7, "%s", out);
	member_files_remove();
}

/* The twin: root's exec runs as root, as before. */
Test(daemon, root_exec_runs_as_root)
{
	char out[4096];
	int rc;

	member_lab_up(member_lab_text);
	rc = cli_run(0, dir, out, sizeof(out), EXEC_ARGV("id", "-u"));
	cr_expect_str_eq(out, "0\n");
	rc = cli_run(0, dir, out, sizeof(out), EXEC_ARGV("cat", root_only));
	cr_expect_eq(rc, 0, "%s", out);
	cr_expect_str_eq(out, "root's secret\n");
	rc = cli_run(0, private_dir, out, sizeof(out), EXEC_ARGV("pwd"));
	cr_expect_eq(strncmp(out, private_dir, strlen(private_dir)), 0, "%s",
		     out);
	member_files_remove();
}

/* Labs are not separated by owner (any member may apply or take down any
 * lab), so another member may exec in this one, as itself. */
Test(daemon, member_exec_in_another_members_lab)
{
	char out[4096];
	int rc;

	member_lab_up(member_lab_text);
	rc = cli_run(OTHER_MEMBER, dir, out, sizeof(out), EXEC_ARGV("id",
								   "-u"));
	cr_expect_eq(rc, 0, "%s", out);
	cr_expect_str_eq(out, "65533\n");
	member_files_remove();
}

/* The pid of a process whose command line is exactly cmd (args separated
 * by NULs), or 0. */
static pid_t find_process(const char *cmd, size_t len)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	while (d && !found && (e = readdir(d))) {
		char path[300], buf[128];
		ssize_t n;
		int fd;

		if (atoi(e->d_name) <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		close(fd);
		if (n == (ssize_t)len && !memcmp(buf, cmd, len))
			found = atoi(e->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

Test(daemon, member_exec_killed_with_its_client)
{
	static const char cmd[] = "sleep\0" "4242.5";
	int64_t deadline;
	pid_t cli, sleeper = 0;
	int fd, status;

	member_lab_up(member_lab_text);
	cli = cli_start(NOBODY, dir, EXEC_ARGV("sleep", "4242.5"), &fd);
	deadline = test_now_ms() + 10000;
	while (!(sleeper = find_process(cmd, sizeof(cmd))) &&
	       test_now_ms() < deadline)
		test_pause_ms(20);
	cr_assert_gt(sleeper, 0, "the command never started");
	/* Not its child: the daemon's, in the instance, as the member. */
	kill(cli, SIGKILL);
	waitpid(cli, &status, 0);
	close(fd);
	deadline = test_now_ms() + 5000;
	while (!test_process_gone(sleeper) && test_now_ms() < deadline)
		test_pause_ms(20);
	cr_expect(test_process_gone(sleeper), "pid %d outlived its client",
		  (int)sleeper);
	member_files_remove();
}

/* Reads a terminal until want shows up or the deadline passes; appends
 * what it read to buf. */
static bool pty_wait(int fd, char *buf, size_t size, const char *want,
		     int ms)
{
	int64_t deadline = test_now_ms() + ms;
	size_t len = strlen(buf);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t k;

	while (!strstr(buf, want) && test_now_ms() < deadline &&
	       len < size - 1) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		k = read(fd, buf + len, size - 1 - len);
		if (k <= 0)
			break;
		len += (size_t)k;
		buf[len] = '\0';
	}
	return strstr(buf, want) != NULL;
}

/* A session at a terminal, as a person has it: a prompt, the member's
 * uid, the instance's hostname, job control, the shell's exit status. */
Test(daemon, member_ssm_session_at_a_terminal)
{
	char *argv[] = { cli_path, "ssm", "start-session", "--target", "A",
			 "--lab", lab_name, NULL };
	char buf[8192] = "";
	int master, status;
	pid_t pid;

	member_lab_up(member_lab_text);
	pid = forkpty(&master, NULL, NULL, NULL);
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		become_member(NOBODY);
		if (chdir(dir) < 0)
			_exit(C_SETID);
		execv(cli_path, argv);
		_exit(127);
	}
	cr_assert(pty_wait(master, buf, sizeof(buf), "sh-5.2$ ", 20000),
		  "no prompt: %s", buf);
	dprintf(master, "id -u; hostname; sleep 77 & jobs\n");
	cr_expect(pty_wait(master, buf, sizeof(buf), "sleep 77", 5000),
		  "%s", buf);
	dprintf(master, "exit 3\n");
	pty_wait(master, buf, sizeof(buf), "Exiting session", 5000);
	waitpid(pid, &status, 0);
	close(master);
	cr_log_info("member's session:\n%s", buf);
	cr_expect(strstr(buf, "\n65534\r\n"), "%s", buf);
	cr_expect(strstr(buf, "\n" A_HOSTNAME "\r\n"), "%s", buf);
	cr_expect(strstr(buf, "Running"), "no job control: %s", buf);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 3,
		  "status %d", status);
	member_files_remove();
}

/* Without a terminal the session runs its stdin, as the member. */
Test(daemon, member_ssm_session_from_stdin)
{
	char out[4096], err[4096];
	int fds[2], in[2], errs[2], status;
	size_t len = 0;
	ssize_t k;
	pid_t pid;

	member_lab_up(member_lab_text);
	cr_assert_eq(pipe(fds), 0);
	cr_assert_eq(pipe(in), 0);
	cr_assert_eq(pipe(errs), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		become_member(NOBODY);
		if (chdir(dir) < 0)
			_exit(C_SETID);
		dup2(in[0], 0);
		dup2(fds[1], 1);
		dup2(errs[1], 2);
		close(in[1]);
		close(fds[0]);
		close(errs[0]);
		execl(cli_path, cli_path, "ssm", "start-session", "--target",
		      "A", "--lab", lab_name, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(fds[1]);
	close(errs[1]);
	dprintf(in[1], "id -u; hostname; cat %s; exit 5\n", root_only);
	close(in[1]);
	while (len < sizeof(out) - 1 &&
	       (k = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)k;
	out[len] = '\0';
	close(fds[0]);
	k = read(errs[0], err, sizeof(err) - 1);
	err[k > 0 ? k : 0] = '\0';
	close(errs[0]);
	waitpid(pid, &status, 0);
	cr_expect_str_eq(out, "65534\n" A_HOSTNAME "\n");
	cr_expect(strstr(err, "Permission denied"), "%s", err);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 5, "status %d",
		  status);
	member_files_remove();
}

/* A member reads the log of the user data it ran, no other member does. */
static char log_path[PATH_MAX];

static int read_log(void)
{
	int fd = open(log_path, O_RDONLY);

	if (fd < 0)
		return errno == EACCES ? C_CONNECT_ERR : C_REQUEST;
	close(fd);
	return C_OK;
}

Test(daemon, member_reads_its_own_user_data_log)
{
	char *log = user_data_log(true);
	pid_t pid;
	int status;

	free(log);
	snprintf(log_path, sizeof(log_path), "%s/%s.userdata/A.log", state,
		 lab_name);
	cr_expect_eq(as_child(NOBODY, NOBODY, NOBODY, NOBODY, NULL, 0,
			      read_log), C_OK);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		become_member(OTHER_MEMBER);
		_exit(read_log());
	}
	waitpid(pid, &status, 0);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == C_CONNECT_ERR,
		  "another member: status %d", status);
}

/* The kept text of a member's lab names its user-data file: reading it
 * again (every describe, apply, restart) is done with the member's
 * rights, so a file swapped for a link to a root-only one is refused,
 * not loaded into the instance's metadata. */
Test(daemon, member_kept_user_data_file_read_as_member)
{
	static const char text[] =
		"region ap-northeast-1\n"
		"vpc V { cidr 10.1.0.0/16 }\n"
		"subnet S { vpc V; cidr 10.1.1.0/24 }\n"
		"instance A { subnet S; private-ip 10.1.1.10; "
		"user-data-file ud.sh }\n";
	char ud[PATH_MAX];
	json_t *rep;

	snprintf(ud, sizeof(ud), "%s/ud.sh", dir);
	write_file(ud, "#!/bin/sh\ntrue\n", 0644);
	member_lab_up(text);
	/* The member's move, done here for it. */
	cr_assert_eq(unlink(ud), 0);
	cr_assert_eq(symlink(root_only, ud), 0);
	rep = call("show", json_pack("{s:s}", "lab", lab_name));
	cr_log_info("show after the swap: %s", text_of(rep, "stderr"));
	cr_expect_neq(exit_of(rep), 0);
	cr_expect(strstr(text_of(rep, "stderr"), "Permission denied"), "%s",
		  text_of(rep, "stderr"));
	cr_expect_null(strstr(json_dumps(rep, 0), "secret"));
	json_decref(rep);
	unlink(ud);
	member_files_remove();
}

/* An internet host is no EC2 instance: its hostname is its name in the
 * lab, for exec and for its user data. */
Test(daemon, internet_host_hostname)
{
	char out[256], *log;

	member_lab_up(member_lab_text);
	cli_run(NOBODY, dir, out, sizeof(out),
		(char *[]){ NULL, "exec", "--lab", lab_name, "H", "--",
			    "hostname", NULL });
	cr_expect_str_eq(out, "H\n");
	log = user_data_wait("H");
	cr_expect_str_eq(log, "H\n");
	free(log);
	member_files_remove();
}
