/* ctl.h - the control protocol between vpcemu and vpcemud, both ends.
 *
 * A message is one JSON object, sent as one or more frames: a 4-byte
 * big-endian header, then that many bytes of the object's JSON text, as
 * OpenBSD's imsg puts a header before every payload. The header's top bit
 * (CTL_HDR_MORE) says another frame of the same message follows; every
 * frame but the last holds CTL_FRAME_MAX bytes, so a message of any size
 * goes the same way, and a small one is a single frame. What a reader
 * takes is bounded per message: CTL_MSG_MAX bytes of JSON for the
 * requests vpcemud reads, CTL_REPLY_MAX for what the CLI reads. The CLI
 * sends
 *
 *   {"op": "up", "args": {"file": "/abs/lab.conf", "name": "x"}}
 *
 * and the daemon answers every request with
 *
 *   {"status": "ok"|"error", "exit": N, "stdout": "...", "stderr": "...",
 *    "result": {...}}
 *
 * before which, to a request whose args hold "progress": true, it may send
 * any number of progress messages, each alone in its object:
 *
 *   {"progress": {"stage": "routes", "done": N, "total": M}}
 *
 * where exit is the CLI's exit status (status is "ok" exactly when exit is
 * 0), stdout/stderr are the text the CLI prints as is, and result holds the
 * same facts as data. A request that is malformed, oversized or refused gets
 * an error reply and the daemon closes that connection.
 *
 * Ops and their arguments (ctl_request_parse enforces them; unknown keys are
 * errors, so a typo never passes silently):
 *   ping                               -> {"version", "pid"}
 *   up     file (absolute path, required), name, color (bool),
 *          progress (bool)
 *   apply  as up
 *   down   name (lab name) and/or file (absolute path), color (bool),
 *          progress (bool)
 *   status lab (lab name, optional), instances (bool: list them all even
 *          in a big lab)
 *   show   lab (lab name, optional: the only one up)
 *   cost   lab (as show), json (bool: stdout is the result's JSON)
 *   exec   instance (name or ID, required), argv (required), lab, env
 *          (NAME=VALUE strings), cwd (absolute path), tty (bool); the
 *          command's stdin, stdout, stderr come as descriptors with the
 *          request (fdpass.h), and the reply, when it ends, carries its
 *          exit status
 */
#ifndef VPCEMU_CTL_H
#define VPCEMU_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define CTL_SOCKET_DEFAULT "/run/vpcemu/vpcemud.sock"
#define CTL_HDR_LEN 4
#define CTL_HDR_MORE (1U << 31)	/* another frame of the message follows */
#define CTL_FRAME_MAX (1U << 20)	/* JSON bytes in one frame */
#define CTL_MSG_MAX (1U << 20)	/* JSON bytes of a request vpcemud reads */
#define CTL_REPLY_MAX (1U << 30)	/* JSON bytes of a message the CLI reads */

/* Exit statuses carried by replies, as the CLI's. */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1		/* lab errors, kernel errors, refused */
#define CTL_EXIT_USAGE 2	/* malformed request */

/* How long ctl_call waits for a reply: an `up` of a large lab takes
 * minutes, and the daemon answers each request in turn. */
#define CTL_CALL_TIMEOUT_MS (15 * 60 * 1000)
/* How long ctl_call waits for a daemon it started to answer. */
#define CTL_START_TIMEOUT_MS 3000

/* The socket path: $VPCEMU_SOCKET, else CTL_SOCKET_DEFAULT. */
const char *ctl_socket_path(void);

/* ---- framing (pure) ---- */

/* Serialises msg (an object) as its frames into *ret_buf (caller frees),
 * *ret_len bytes. Returns 0, -EINVAL (not an object), -EMSGSIZE (more than
 * CTL_REPLY_MAX bytes of JSON) or -ENOMEM. */
int ctl_frame_encode(const json_t *msg, char **ret_buf, size_t *ret_len);

/* Looks for one message, a request, at the start of buf (len bytes
 * received so far). Returns 0 when more bytes are needed, 1 with *ret_msg
 * (caller decrefs) and *ret_used (bytes to drop from buf), or, with a
 * reason in err: -EMSGSIZE when the headers announce more than
 * CTL_MSG_MAX bytes (known from a header: the body is never awaited),
 * -EBADMSG when a frame other than the last is not full (or a later one
 * empty), or the bodies are not one JSON object (bad syntax, duplicate
 * keys, NUL in a string, an array, an empty body). */
int ctl_frame_decode(const void *buf, size_t len, size_t *ret_used,
		     json_t **ret_msg, char *err, size_t errlen);

/* ---- requests and replies (pure) ---- */

/* {"op": op, "args": args}; args is borrowed (NULL: {}). NULL on ENOMEM. */
json_t *ctl_request_new(const char *op, json_t *args);

/* Checks req against the op table above. Returns 0 with borrowed *ret_op
 * and *ret_args (an object, possibly empty, owned by req), -EINVAL for a
 * malformed request or bad arguments, -EOPNOTSUPP for an unknown op; err
 * says what is wrong in words for the user. */
int ctl_request_parse(const json_t *req, const char **ret_op,
		      json_t **ret_args, char *err, size_t errlen);

/* A reply; out and err may be NULL or text with invalid UTF-8 or NUL bytes
 * (they are repaired: JSON strings carry UTF-8 only), result is stolen (may
 * be NULL). NULL on ENOMEM. */
json_t *ctl_reply_new(int exit_status, const char *out, size_t outlen,
		      const char *err, size_t errlen, json_t *result);
/* An error reply whose stderr is the formatted message and a newline. */
json_t *ctl_reply_error(int exit_status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Checks a reply's shape. Returns 0 with borrowed pointers (*ret_out and
 * *ret_err "" when absent, *ret_result NULL when absent; any ret_ may be
 * NULL) or -EPROTO. */
int ctl_reply_parse(const json_t *reply, int *ret_exit, const char **ret_out,
		    const char **ret_err, json_t **ret_result);

/* A lab name as model.c accepts it: 1 to 48 of A-Z a-z 0-9 . _ - starting
 * with a letter or digit (so never a path). */
bool ctl_lab_name_ok(const char *name);

/* ---- blocking I/O (client side, tests) ---- */

/* Connects to the Unix socket at path. Returns the fd (close-on-exec,
 * blocking) or -errno: -ENOENT or -ECONNREFUSED when no daemon listens,
 * -EACCES when the socket is not ours to use, -ENAMETOOLONG. */
int ctl_connect(const char *path);

/* Sends one message / receives one message (of at most CTL_REPLY_MAX
 * bytes), within timeout_ms (< 0: no limit). ctl_recv returns -ECONNABORTED when the peer closed before a
 * whole message, -ECONNRESET when it went away with data of ours unread,
 * -ETIMEDOUT, -EMSGSIZE / -EBADMSG for a bad frame. */
int ctl_send(int fd, const json_t *msg, int timeout_ms);
/* ctl_send with fds[0..nfds) (at most FDPASS_MAX, fdpass.h) attached to
 * the message's first bytes; they stay the caller's. */
int ctl_send_fds(int fd, const json_t *msg, const int *fds, size_t nfds,
		 int timeout_ms);
int ctl_recv(int fd, json_t **ret_msg, int timeout_ms);

/* A progress message (see the top), or NULL on ENOMEM. */
json_t *ctl_progress_new(const char *stage, size_t done, size_t total);

/* Reads a progress message: 0 with borrowed *ret_stage, or -EPROTO when
 * msg is not one (done above total included). */
int ctl_progress_parse(const json_t *msg, const char **ret_stage,
		       size_t *ret_done, size_t *ret_total);

/* Called with each progress message's contents. */
typedef void (*ctl_progress_fn)(const char *stage, size_t done, size_t total,
				void *data);

/* Sends req and waits for its reply, checked with ctl_reply_parse,
 * dropping progress messages. Returns 0 with *ret_reply (caller decrefs)
 * or -errno (-EPROTO for a reply of the wrong shape). */
int ctl_request(int fd, const json_t *req, json_t **ret_reply,
		int timeout_ms);

/* The CLI's one call: connects to ctl_socket_path() and sends {op, args}
 * (args borrowed, may be NULL). When nothing listens and autostart is set,
 * starts vpcemud ($VPCEMUD, else "vpcemud" next to /proc/self/exe, else
 * from PATH) with --socket and waits up to CTL_START_TIMEOUT_MS for it to
 * answer. Returns 0 with *ret_reply (ctl_reply_parse-checked; the caller
 * prints stdout/stderr and exits with exit) or -errno: -ENOENT /
 * -ECONNREFUSED when no daemon answers, -EACCES when the socket refuses us
 * (not root), -ECHILD when a started vpcemud exited with an error (it said
 * why on stderr), -ETIMEDOUT, -EPROTO, -ECONNABORTED when the daemon hung
 * up before replying. A request the daemon reset unread is sent once
 * more; one that sent progress is running, and is not. */
int ctl_call(const char *op, json_t *args, bool autostart,
	     json_t **ret_reply);

/* ctl_call, handing each progress message to fn (with data). */
int ctl_call_progress(const char *op, json_t *args, bool autostart,
		      ctl_progress_fn fn, void *data, json_t **ret_reply);

/* What a ctl_call error means, for "vpcemud at PATH: ..." messages. */
const char *ctl_strerror(int r);

#endif
