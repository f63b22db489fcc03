/* helpers.c - shell commands for the integration tests; see helpers.h. No
 * Test() here: the Makefile links every .c file of tests/integration into
 * build/integration-tests. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "vpcemu/state.h"

#include "helpers.h"

/* fmt and ap into cmd, then suffix. */
static void format_cmd(char *cmd, size_t size, const char *suffix,
		       const char *fmt, va_list ap)
{
	vsnprintf(cmd, size, fmt, ap);
	strncat(cmd, suffix, size - strlen(cmd) - 1);
}

int test_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	format_cmd(cmd, sizeof(cmd), "", fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

char *test_sh_output(const char *fmt, ...)
{
	char cmd[1024], buf[4096];
	size_t len = 0, n;
	char *out, *tmp;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	format_cmd(cmd, sizeof(cmd), " 2>&1", fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	cr_assert_not_null(f, "popen %s", cmd);
	out = calloc(1, 1);
	cr_assert_not_null(out);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		tmp = realloc(out, len + n + 1);
		cr_assert_not_null(tmp);
		out = tmp;
		memcpy(out + len, buf, n);
		len += n;
		out[len] = '\0';
	}
	pclose(f);
	return out;
}

const char *vpcemu(void)
{
	const char *v = getenv("VPCEMU");

	return v ? v : "../build/vpcemu";
}

int test_run(char *const argv[], char *out, size_t outlen)
{
	int fds[2], status;
	size_t len = 0;
	ssize_t k;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while ((k = read(fds[0], out ? out + len : (char[256]){ 0 },
			 out ? outlen - 1 - len : 256)) > 0) {
		if (out) {
			len += (size_t)k;
			if (len >= outlen - 1)
				break;
		}
	}
	close(fds[0]);
	if (out)
		out[len] = '\0';
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}


long in_echos(const char *ns)
{
	static char out[16384];
	char *h, *v, *end, *hs, *vs, *ht, *vt;

	if (RUN(out, "ip", "netns", "exec", (char *)ns, "cat",
		"/proc/net/snmp"))
		return -1;
	h = strstr(out, "Icmp: ");
	if (!h || !(v = strchr(h, '\n')))
		return -1;
	*v++ = '\0';
	if (strncmp(v, "Icmp: ", 6))
		return -1;
	if ((end = strchr(v, '\n')))
		*end = '\0';
	for (ht = strtok_r(h, " ", &hs), vt = strtok_r(v, " ", &vs); ht && vt;
	     ht = strtok_r(NULL, " ", &hs), vt = strtok_r(NULL, " ", &vs))
		if (!strcmp(ht, "InEchos"))
			return strtol(vt, NULL, 10);
	return -1;
}

void test_assert_no_leak(const char *lab)
{
	const char *dirs[] = { "/run/netns", "/etc/netns", state_dir() };
	size_t plen = strlen(lab), i;
	struct dirent *e;

	for (i = 0; i < 3; i++) {
		DIR *d = opendir(dirs[i]);

		if (!d)
			continue;
		while ((e = readdir(d)))
			cr_expect(strncmp(e->d_name, lab, plen) ||
					  (e->d_name[plen] != '-' &&
					   e->d_name[plen] != '.'),
				  "leaked %s/%s", dirs[i], e->d_name);
		closedir(d);
	}
}

int64_t test_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void test_pause_ms(unsigned ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&t, NULL);
}

bool test_process_gone(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	return !p || p[2] == 'Z' || p[2] == 'X';
}

void test_lab_write(char *name, size_t nlen, char *file, size_t flen,
		    const char *suffix, const char *text)
{
	FILE *f;

	snprintf(name, nlen, "it%d-%s", (int)getpid(), suffix);
	snprintf(file, flen, "/tmp/%s.conf", name);
	f = fopen(file, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s", text);
	fclose(f);
}

void test_lab_write_fmt(char *name, size_t nlen, char *file, size_t flen,
			const char *suffix, const char *fmt)
{
	char *text;

	snprintf(name, nlen, "it%d-%s", (int)getpid(), suffix);
	cr_assert_neq(asprintf(&text, fmt, name), -1);
	test_lab_write(name, nlen, file, flen, suffix, text);
	free(text);
}

void test_lab_up(const char *file, const char *name)
{
	static char out[65536];

	cr_assert_eq(RUN(out, (char *)vpcemu(), "up", (char *)file, "--name",
			 (char *)name),
		     0, "up: %s", out);
}

void test_lab_down(const char *name, const char *file)
{
	if (name[0])
		RUN((char *)NULL, (char *)vpcemu(), "down", (char *)name);
	unlink(file);
}

void test_stop(pid_t pid)
{
	int i;

	kill(pid, SIGKILL);
	for (i = 0; i < 200 && !test_process_gone(pid); i++)
		test_pause_ms(10);
}

int test_connect(const char *ns, const char *ip, int port)
{
	return test_sh("ip netns exec %s python3 -c 'import socket, time\n"
		       "for i in range(20):\n"
		       "    try:\n"
		       "        socket.create_connection((\"%s\", %d), 2); break\n"
		       "    except ConnectionRefusedError: time.sleep(0.05)\n"
		       "else: raise SystemExit(1)' 2>/dev/null",
		       ns, ip, port);
}

void test_web_servers_clean(const char *lab)
{
	test_sh("rm -rf /tmp/%1$s-w1 /tmp/%1$s-w2 /tmp/%1$s-w1.log "
		"/tmp/%1$s-w2.log", lab);
}
