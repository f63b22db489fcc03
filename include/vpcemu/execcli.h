/* execcli.h - the client's half of an exec request (execreq.h): the
 * request itself, and the pseudo-terminal a session gets when the caller
 * sits at a terminal, relayed to and from the caller's own.
 */
#ifndef VPCEMU_EXECCLI_H
#define VPCEMU_EXECCLI_H

#include <jansson.h>
#include <stdbool.h>

/* The "exec" op's args (ctl.h): lab (NULL: any), instance, argv
 * (NULL-terminated, 1 to 64 strings), the environment envp with what the
 * op cannot carry left out (entries over 4 KiB, beyond 1024, without a
 * NAME=), cwd (NULL or not absolute: left out, the daemon uses /) and
 * tty. NULL on ENOMEM or EINVAL (argv empty or too long). Pure. */
json_t *execcli_args(const char *lab, const char *instance,
		     char *const argv[], char *const envp[], const char *cwd,
		     bool tty);

/* Opens a pseudo-terminal pair: *ret_master (close-on-exec) and
 * *ret_slave, the slave taking the terminal settings and window size of
 * the terminal on term_fd. Returns 0 or -errno. */
int execcli_pty_open(int term_fd, int *ret_master, int *ret_slave);

/* Relays until a reply arrives on sock: the caller's terminal (stdin, in
 * raw mode meanwhile, restored before returning) to master, master to
 * stdout, and window size changes (SIGWINCH) to master; then reads what
 * the command still wrote (until the terminal hangs up, within a second).
 * SIGTERM and SIGHUP end the relay (the daemon kills the command when sock
 * closes). Returns 0 with *ret_reply (caller decrefs), -EINTR with
 * *ret_signal for a signal, or another -errno. */
int execcli_relay(int sock, int master, json_t **ret_reply,
		  int *ret_signal);

#endif
