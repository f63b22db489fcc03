/* helpers.h - running shell commands from integration tests, to build and
 * inspect labs with independent tools (ip, nft, ping).
 *
 * Commands go through /bin/sh, so they may use pipes, ;, && and
 * redirections; quote what you interpolate. Each is formatted into a
 * 1 KiB buffer: a longer one is cut short.
 */
#ifndef VPCEMU_IT_HELPERS_H
#define VPCEMU_IT_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Runs the command, its output going where the test's goes (redirect it
 * in the command to hide it). Returns its exit status, or -1 when it could
 * not run or was killed by a signal. */
int test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs the command and returns what it wrote on stdout and stderr,
 * malloc'd (caller frees); asserts when it cannot run. */
char *test_sh_output(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* The vpcemu binary under test: $VPCEMU, else ../build/vpcemu. */
const char *vpcemu(void);

/* Runs argv (no shell), stdout and stderr into out (outlen bytes, may be
 * NULL); returns its exit status, or 128 + signal. */
int test_run(char *const argv[], char *out, size_t outlen);
/* RUN(buf, "ip", "-n", ns, "rule"): buf is an array or (char *)NULL. */
#define RUN(out, ...)                                                         \
	test_run((char *const[]){ __VA_ARGS__, NULL }, out, sizeof(out))

/* Icmp InEchos of namespace ns (/proc/net/snmp is per namespace): echo
 * requests that reached its stack, whether or not a reply got back; -1 if
 * it cannot be read. */
long in_echos(const char *ns);

/* Expects that nothing of lab is left: no namespace or /etc/netns entry
 * "LAB-...", no state file "LAB.*" (or "LAB-..."). */
void test_assert_no_leak(const char *lab);

/* A suite's lab from text: names it "it<pid>-SUFFIX" (name, nlen) and
 * writes it to /tmp/NAME.conf (file, flen). */
void test_lab_write(char *name, size_t nlen, char *file, size_t flen,
		    const char *suffix, const char *text);
/* The same from a printf format whose %1$s is the lab's name (so that
 * user data can keep its files apart, under /tmp/NAME-...). */
void test_lab_write_fmt(char *name, size_t nlen, char *file, size_t flen,
			const char *suffix, const char *fmt);
/* `vpcemu up file --name name`, which must work. */
void test_lab_up(const char *file, const char *name);
/* `vpcemu down name` (whatever state it is in) and the file removed. */
void test_lab_down(const char *name, const char *file);

/* Kills pid, a process the test started, and waits (2 s at most) until
 * it is gone. */
void test_stop(pid_t pid);
/* Connects from namespace ns to ip:port, trying again while refused (a
 * listener not up yet): 0 when the connection opened. */
int test_connect(const char *ns, const char *ip, int port);
/* The monotonic clock in milliseconds, for deadlines. */
int64_t test_now_ms(void);
void test_pause_ms(unsigned ms);

/* Whether pid is gone (or a zombie nobody reaps, as under a container's
 * init): what a daemon killed with SIGKILL becomes. */
bool test_process_gone(pid_t pid);

/* Lab text of two web servers in a VPC's subnets P1a and P1c with group
 * Web: Web-1 (10.0.1.10) and Web-2 (10.0.2.10) serve "page-of-web-1" and
 * "page-of-web-2" on port 80 from /tmp/LAB-w1 and -w2, LAB being the
 * format's %1$s (test_lab_write_fmt). test_web_servers_clean removes
 * their files. */
#define TEST_WEB_SERVERS \
	"instance Web-1 { subnet P1a; private-ip 10.0.1.10; security-groups Web\n" \
	"  user-data \"mkdir -p /tmp/%1$s-w1 && echo page-of-web-1 > " \
	"/tmp/%1$s-w1/index.html && nohup python3 -m http.server 80 " \
	"--directory /tmp/%1$s-w1 >/tmp/%1$s-w1.log 2>&1 &\" }\n" \
	"instance Web-2 { subnet P1c; private-ip 10.0.2.10; security-groups Web\n" \
	"  user-data \"mkdir -p /tmp/%1$s-w2 && echo page-of-web-2 > " \
	"/tmp/%1$s-w2/index.html && nohup python3 -m http.server 80 " \
	"--directory /tmp/%1$s-w2 >/tmp/%1$s-w2.log 2>&1 &\" }\n"
void test_web_servers_clean(const char *lab);

#endif
