/* helpers.h - running shell commands from integration tests, to build and
 * inspect labs with independent tools (ip, nft, ping).
 *
 * Commands go through /bin/sh, so they may use pipes, ;, && and
 * redirections; quote what you interpolate. Each is formatted into a
 * 1 KiB buffer: a longer one is cut short.
 */
#ifndef VPCEMU_IT_HELPERS_H
#define VPCEMU_IT_HELPERS_H

/* Runs the command, its output going where the test's goes (redirect it
 * in the command to hide it). Returns its exit status, or -1 when it could
 * not run or was killed by a signal. */
int test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs the command and returns what it wrote on stdout and stderr,
 * malloc'd (caller frees); asserts when it cannot run. */
char *test_sh_output(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif
