/* fdpass.h - file descriptors across the control socket (SCM_RIGHTS).
 *
 * `vpcemu exec` and `ssm start-session` of a group member run in vpcemud,
 * with the client's own terminal or pipes as their stdio: the client sends
 * them with the request's first bytes, the daemon receives them with the
 * bytes they came with. A read from a Unix stream socket that returns
 * descriptors ends with the bytes they came with (it may begin with bytes
 * sent before them), so the frame that holds the last byte of that read
 * is theirs.
 */
#ifndef VPCEMU_FDPASS_H
#define VPCEMU_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* At most this many descriptors go with one request. */
#define FDPASS_MAX 3

/* send(2) of len bytes of buf (non-blocking, no SIGPIPE) with fds[0..nfds)
 * attached (nfds <= FDPASS_MAX; 0: a plain send). Returns the bytes sent,
 * or -errno (-EAGAIN: the socket is full). The descriptors stay the
 * caller's. */
ssize_t fdpass_send(int sock, const void *buf, size_t len, const int *fds,
		    size_t nfds);

/* recv(2) of up to len bytes (non-blocking) that also takes descriptors:
 * they are appended to fds (close-on-exec), *nfds counting them, up to
 * FDPASS_MAX in all; any beyond are closed at once, and so are those of a
 * message whose control data was truncated. Returns the bytes read (0:
 * end of file) or -errno. */
ssize_t fdpass_recv(int sock, void *buf, size_t len, int *fds, size_t *nfds);

/* Closes fds[0..*nfds) and sets *nfds to 0. */
void fdpass_close(int *fds, size_t *nfds);

#endif
