/* ctl.c - the control protocol (see ctl.h): framing, the op table that
 * both ends trust, blocking client I/O and the CLI's ctl_call, which starts
 * vpcemud when none answers.
 *
 * The daemon parses whatever a local client sends with root's privileges
 * behind it, so everything here bounds sizes before allocating and treats
 * every byte as hostile: a frame is never larger than CTL_MSG_MAX, JSON is
 * parsed by jansson with duplicate keys refused, and a request with a key
 * the op does not know is refused rather than ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vpcemu/ctl.h"
#include "vpcemu/fdpass.h"
#include "vpcemu/util.h"

const char *ctl_socket_path(void)
{
	const char *p = getenv("VPCEMU_SOCKET");

	return p && *p ? p : CTL_SOCKET_DEFAULT;
}

/* ---- framing ----------------------------------------------------------- */

static uint32_t hdr_get(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void hdr_put(char *p, uint32_t h)
{
	p[0] = (char)(h >> 24);
	p[1] = (char)(h >> 16);
	p[2] = (char)(h >> 8);
	p[3] = (char)h;
}

/* json_dump_callback's sink: the JSON text, cut into frames as it comes
 * (a header left open at hdr until its frame is full or the text ends). */
struct framer {
	struct strbuf b;
	size_t hdr;
};

static int framer_put(const char *s, size_t n, void *data)
{
	struct framer *f = data;
	size_t in, k;

	while (n) {
		in = f->b.len - f->hdr - CTL_HDR_LEN;
		if (in == CTL_FRAME_MAX) {
			hdr_put(f->b.s + f->hdr, CTL_FRAME_MAX | CTL_HDR_MORE);
			f->hdr = f->b.len;
			sb_putn(&f->b, "\0\0\0\0", CTL_HDR_LEN);
			in = 0;
		}
		k = n < CTL_FRAME_MAX - in ? n : CTL_FRAME_MAX - in;
		sb_putn(&f->b, s, k);
		if (f->b.oom || f->b.len - f->hdr > CTL_HDR_LEN + CTL_REPLY_MAX)
			return -1;
		s += k;
		n -= k;
	}
	return 0;
}

int ctl_frame_encode(const json_t *msg, char **ret_buf, size_t *ret_len)
{
	struct framer f = { 0 };
	int r;

	*ret_buf = NULL;
	*ret_len = 0;
	if (!json_is_object(msg))
		return -EINVAL;
	sb_putn(&f.b, "\0\0\0\0", CTL_HDR_LEN);
	r = json_dump_callback(msg, framer_put, &f, JSON_COMPACT);
	if (r || f.b.oom) {
		r = f.b.oom ? -ENOMEM : -EMSGSIZE;
		sb_free(&f.b);
		return r;
	}
	hdr_put(f.b.s + f.hdr, (uint32_t)(f.b.len - f.hdr - CTL_HDR_LEN));
	*ret_len = f.b.len;
	*ret_buf = sb_take(&f.b);
	return *ret_buf ? 0 : -ENOMEM;
}

/* Walks the headers of the message at the start of buf (len bytes) whose
 * JSON may take at most max bytes. Returns 1 when the whole message is in
 * buf, 0 when more is needed; either way *ret_need is the bytes to have
 * before looking again (the whole message's, once its last header is
 * known), never a byte past the message. Or -EMSGSIZE / -EBADMSG with a
 * reason in err, judged on headers alone: a body is never awaited only to
 * be refused. */
static int frame_scan(const unsigned char *p, size_t len, size_t max,
		      size_t *ret_need, char *err, size_t errlen)
{
	size_t off = 0, body = 0;
	uint32_t h, n;

	for (;;) {
		if (len - off < CTL_HDR_LEN) {
			*ret_need = off + CTL_HDR_LEN;
			return 0;
		}
		h = hdr_get(p + off);
		n = h & ~CTL_HDR_MORE;
		/* A following frame holds a byte at least: a full frame
		 * that reaches max already says the message is too big. */
		if (n > CTL_FRAME_MAX || body + n > max ||
		    (h & CTL_HDR_MORE && body + n == max)) {
			snprintf(err, errlen, "message of %s%zu bytes exceeds "
				 "the limit of %zu", h & CTL_HDR_MORE ?
				 "more than " : "", body + n, max);
			return -EMSGSIZE;
		}
		/* Every frame but the last is full, and the last is not
		 * empty unless it is the only one: headers never outweigh
		 * bodies. */
		if ((h & CTL_HDR_MORE && n != CTL_FRAME_MAX) || (off && !n)) {
			snprintf(err, errlen, "frame of %u bytes at byte %zu: "
				 "only the last frame of a message is short, "
				 "and a later one is never empty", n, off);
			return -EBADMSG;
		}
		body += n;
		off += CTL_HDR_LEN + n;
		if (!(h & CTL_HDR_MORE)) {
			*ret_need = off;
			return len >= off;
		}
		if (len < off) {
			*ret_need = off + CTL_HDR_LEN;
			return 0;
		}
	}
}

/* json_load_callback's source: the bodies of a scanned message's frames,
 * in order, headers skipped. */
struct unframer {
	const unsigned char *p;
	size_t off, end;	/* next byte; end of the message */
	size_t left;		/* of the current frame's body */
};

static size_t unframer_get(void *buf, size_t n, void *data)
{
	struct unframer *u = data;

	while (!u->left && u->off < u->end) {
		u->left = hdr_get(u->p + u->off) & ~CTL_HDR_MORE;
		u->off += CTL_HDR_LEN;
	}
	if (n > u->left)
		n = u->left;
	memcpy(buf, u->p + u->off, n);
	u->off += n;
	u->left -= n;
	return n;
}

/* ctl_frame_decode with a limit of max JSON bytes. */
static int msg_decode(const void *buf, size_t len, size_t max,
		      size_t *ret_used, json_t **ret_msg, char *err,
		      size_t errlen)
{
	struct unframer u = { .p = buf };
	json_error_t jerr;
	size_t need;
	json_t *m;
	int r;

	*ret_used = 0;
	*ret_msg = NULL;
	r = frame_scan(buf, len, max, &need, err, errlen);
	if (r <= 0)
		return r;
	u.end = need;
	/* Without JSON_DECODE_ANY only an object or array is accepted at the
	 * top; jansson refuses \u0000 in strings unless asked to allow it. */
	m = json_load_callback(unframer_get, &u, JSON_REJECT_DUPLICATES,
			       &jerr);
	if (!m) {
		snprintf(err, errlen, "malformed JSON at byte %d: %s",
			 jerr.position, jerr.text);
		return -EBADMSG;
	}
	if (!json_is_object(m)) {
		json_decref(m);
		snprintf(err, errlen, "a message is a JSON object");
		return -EBADMSG;
	}
	*ret_used = need;
	*ret_msg = m;
	return 1;
}

int ctl_frame_decode(const void *buf, size_t len, size_t *ret_used,
		     json_t **ret_msg, char *err, size_t errlen)
{
	return msg_decode(buf, len, CTL_MSG_MAX, ret_used, ret_msg, err,
			  errlen);
}

/* ---- requests ---------------------------------------------------------- */

enum ctl_arg_type {
	CTL_ARG_STRING,		/* any string up to 255 bytes */
	CTL_ARG_PATH,		/* absolute path below PATH_MAX */
	CTL_ARG_SHOWN_PATH,	/* a path as typed, below PATH_MAX: only ever
				 * printed back to the caller */
	CTL_ARG_LABNAME,	/* ctl_lab_name_ok */
	CTL_ARG_BOOL,
	CTL_ARG_ARGV,		/* 1 to 64 strings of at most 4 KiB each */
	CTL_ARG_ENV,		/* 0 to 1024 such strings, each NAME=VALUE */
};

struct ctl_arg {
	const char *key;
	enum ctl_arg_type type;
	bool required;
};

struct ctl_op {
	const char *name;
	const struct ctl_arg *args;
	const char *one_of[2];	/* at least one of these keys, if set */
};

static const struct ctl_arg no_args[] = { { 0 } };

static const struct ctl_arg up_args[] = {
	{ "file", CTL_ARG_PATH, true },
	{ "as", CTL_ARG_SHOWN_PATH, false },
	/* The model judges it and reports a bad name as a diagnostic,
	 * exactly as for `vpcemu validate --name`. */
	{ "name", CTL_ARG_STRING, false },
	{ "color", CTL_ARG_BOOL, false },
	{ "progress", CTL_ARG_BOOL, false },
	/* up: KiB, decimal; lowers MemAvailable for the memory check. */
	{ "mem_available_kib", CTL_ARG_STRING, false },
	{ 0 },
};

/* up --empty: a lab of no file, named here. */
static const struct ctl_arg up_empty_args[] = {
	{ "name", CTL_ARG_LABNAME, true },
	{ "region", CTL_ARG_STRING, false },
	{ 0 },
};

static const struct ctl_arg down_args[] = {
	/* Names a state file and namespaces: checked here, never a path. */
	{ "name", CTL_ARG_LABNAME, false },
	{ "file", CTL_ARG_PATH, false },
	{ "as", CTL_ARG_SHOWN_PATH, false },
	{ "color", CTL_ARG_BOOL, false },
	{ "progress", CTL_ARG_BOOL, false },
	{ 0 },
};

static const struct ctl_arg status_args[] = {
	{ "lab", CTL_ARG_LABNAME, false },
	{ "instances", CTL_ARG_BOOL, false },
	{ 0 },
};

static const struct ctl_arg show_args[] = {
	{ "lab", CTL_ARG_LABNAME, false },
	{ 0 },
};

static const struct ctl_arg cost_args[] = {
	{ "lab", CTL_ARG_LABNAME, false },
	{ "json", CTL_ARG_BOOL, false },
	{ 0 },
};

static const struct ctl_arg ec2_args[] = {
	{ "lab", CTL_ARG_LABNAME, false },
	{ "argv", CTL_ARG_ARGV, true },
	{ 0 },
};

static const struct ctl_arg exec_args[] = {
	{ "lab", CTL_ARG_LABNAME, false },
	{ "instance", CTL_ARG_STRING, true },
	{ "argv", CTL_ARG_ARGV, true },
	{ "env", CTL_ARG_ENV, false },
	{ "cwd", CTL_ARG_PATH, false },
	{ "tty", CTL_ARG_BOOL, false },
	{ 0 },
};

static const struct ctl_op ctl_ops[] = {
	{ "ping", no_args, { NULL, NULL } },
	{ "up", up_args, { NULL, NULL } },
	{ "up-empty", up_empty_args, { NULL, NULL } },
	{ "apply", up_args, { NULL, NULL } },
	{ "down", down_args, { "name", "file" } },
	{ "status", status_args, { NULL, NULL } },
	{ "show", show_args, { NULL, NULL } },
	{ "cost", cost_args, { NULL, NULL } },
	{ "ec2", ec2_args, { NULL, NULL } },
	{ "elbv2", ec2_args, { NULL, NULL } },
	{ "iam", ec2_args, { NULL, NULL } },
	{ "ssm", ec2_args, { NULL, NULL } },
	{ "exec", exec_args, { NULL, NULL } },
};

bool ctl_lab_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n < 1 || n > 48)
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

json_t *ctl_request_new(const char *op, json_t *args)
{
	json_t *req = json_object();

	if (!req)
		return NULL;
	if (json_object_set_new(req, "op", json_string(op)) ||
	    json_object_set_new(req, "args", args ? json_incref(args)
						  : json_object())) {
		json_decref(req);
		return NULL;
	}
	return req;
}

static int check_arg(const struct ctl_arg *a, const json_t *v, char *err,
		     size_t errlen)
{
	const char *s;
	size_t n;

	if (a->type == CTL_ARG_BOOL) {
		if (json_is_boolean(v))
			return 0;
		snprintf(err, errlen, "argument '%s' is a boolean", a->key);
		return -EINVAL;
	}
	if (a->type == CTL_ARG_ARGV || a->type == CTL_ARG_ENV) {
		bool env = a->type == CTL_ARG_ENV;
		size_t i, k = json_array_size(v), min = !env, max = env ? 1024
									 : 64;

		if (!json_is_array(v) || k < min || k > max) {
			snprintf(err, errlen, "argument '%s' is an array of %zu "
				 "to %zu strings", a->key, min, max);
			return -EINVAL;
		}
		for (i = 0; i < k; i++) {
			const json_t *e = json_array_get(v, i);
			const char *t = json_string_value(e);

			if (!json_is_string(e) || json_string_length(e) > 4096 ||
			    strlen(t) != json_string_length(e) ||
			    (env && (t[0] == '=' || !strchr(t, '=')))) {
				snprintf(err, errlen, "argument '%s': element %zu "
					 "is not a string of at most 4 KiB%s",
					 a->key, i, env ? " NAME=VALUE" : "");
				return -EINVAL;
			}
		}
		return 0;
	}
	if (!json_is_string(v)) {
		snprintf(err, errlen, "argument '%s' is a string", a->key);
		return -EINVAL;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	/* jansson refuses \u0000 when parsing; a caller-built request could
	 * still hold one, and C strings would silently cut it short. */
	if (strlen(s) != n) {
		snprintf(err, errlen, "argument '%s' holds a NUL byte", a->key);
		return -EINVAL;
	}
	switch (a->type) {
	case CTL_ARG_PATH:
		if (s[0] != '/' || n >= PATH_MAX) {
			snprintf(err, errlen, "argument '%s' is an absolute "
				 "path below %d bytes", a->key, PATH_MAX);
			return -EINVAL;
		}
		break;
	case CTL_ARG_SHOWN_PATH:
		if (!n || n >= PATH_MAX) {
			snprintf(err, errlen, "argument '%s' is a path of 1 to "
				 "%d bytes", a->key, PATH_MAX - 1);
			return -EINVAL;
		}
		break;
	case CTL_ARG_LABNAME:
		if (!ctl_lab_name_ok(s)) {
			snprintf(err, errlen, "argument '%s': invalid lab name "
				 "(1 to 48 of A-Z a-z 0-9 . _ - starting with a "
				 "letter or digit)", a->key);
			return -EINVAL;
		}
		break;
	default:
		if (n > 255) {
			snprintf(err, errlen, "argument '%s' is longer than 255 "
				 "bytes", a->key);
			return -EINVAL;
		}
		break;
	}
	return 0;
}

int ctl_request_parse(const json_t *req, const char **ret_op,
		      json_t **ret_args, char *err, size_t errlen)
{
	const struct ctl_op *op = NULL;
	const struct ctl_arg *a;
	const char *key, *name;
	json_t *jop, *args, *v;
	size_t i;
	int r;

	*ret_op = NULL;
	*ret_args = NULL;
	if (!json_is_object(req)) {
		snprintf(err, errlen, "a request is a JSON object");
		return -EINVAL;
	}
	json_object_foreach((json_t *)req, key, v) {
		if (strcmp(key, "op") && strcmp(key, "args")) {
			snprintf(err, errlen, "unknown key '%.64s' in request",
				 key);
			return -EINVAL;
		}
	}
	jop = json_object_get(req, "op");
	if (!json_is_string(jop) || !json_string_length(jop)) {
		snprintf(err, errlen, "request without an 'op' string");
		return -EINVAL;
	}
	name = json_string_value(jop);
	for (i = 0; i < sizeof(ctl_ops) / sizeof(ctl_ops[0]); i++)
		if (!strcmp(ctl_ops[i].name, name))
			op = &ctl_ops[i];
	if (!op) {
		snprintf(err, errlen, "unknown op '%.64s'", name);
		return -EOPNOTSUPP;
	}
	args = json_object_get(req, "args");
	if (args && !json_is_object(args)) {
		snprintf(err, errlen, "'args' is an object");
		return -EINVAL;
	}
	json_object_foreach(args, key, v) {
		for (a = op->args; a->key; a++)
			if (!strcmp(a->key, key))
				break;
		if (!a->key) {
			snprintf(err, errlen, "%s: unknown argument '%.64s'",
				 op->name, key);
			return -EINVAL;
		}
		r = check_arg(a, v, err, errlen);
		if (r)
			return r;
	}
	for (a = op->args; a->key; a++) {
		if (a->required && !json_object_get(args, a->key)) {
			snprintf(err, errlen, "%s: missing argument '%s'",
				 op->name, a->key);
			return -EINVAL;
		}
	}
	if (op->one_of[0] && !json_object_get(args, op->one_of[0]) &&
	    !json_object_get(args, op->one_of[1])) {
		snprintf(err, errlen, "%s: needs '%s' or '%s'", op->name,
			 op->one_of[0], op->one_of[1]);
		return -EINVAL;
	}
	*ret_op = op->name;
	*ret_args = args;
	return 0;
}

/* ---- replies ----------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. Refuses
 * overlong forms, surrogates and code points above U+10FFFF, as jansson
 * does. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return s[0] ? 1 : 0;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* A JSON string of text with every invalid byte (and NUL) replaced by
 * U+FFFD: diagnostics quote lab files, and a lab file with bad encoding is
 * exactly what Vpcemu.Encoding reports. */
static json_t *text_string(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	struct strbuf b = { 0 };
	size_t i = 0, k;
	json_t *j;
	char *t;

	if (!text)
		return json_string("");
	while (i < len) {
		k = utf8_seq(s + i, len - i);
		if (k) {
			size_t run = i;

			while (run < len && (k = utf8_seq(s + run, len - run)))
				run += k;
			sb_printf(&b, "%.*s", (int)(run - i), text + i);
			i = run;
		} else {
			sb_puts(&b, "\xef\xbf\xbd");
			i++;
		}
	}
	t = sb_take(&b);
	if (!t)
		return NULL;
	j = json_string(t);
	free(t);
	return j;
}

json_t *ctl_reply_new(int exit_status, const char *out, size_t outlen,
		      const char *err, size_t errlen, json_t *result)
{
	json_t *rep = json_object();

	if (!rep ||
	    json_object_set_new(rep, "status",
				json_string(exit_status ? "error" : "ok")) ||
	    json_object_set_new(rep, "exit", json_integer(exit_status)) ||
	    json_object_set_new(rep, "stdout", text_string(out, outlen)) ||
	    json_object_set_new(rep, "stderr", text_string(err, errlen)) ||
	    json_object_set_new(rep, "result",
				result ? result : json_object())) {
		json_decref(rep);
		return NULL;
	}
	return rep;
}

json_t *ctl_reply_error(int exit_status, const char *fmt, ...)
{
	struct strbuf b = { 0 };
	va_list ap;
	json_t *rep;
	char *msg;

	va_start(ap, fmt);
	sb_vprintf(&b, fmt, ap);
	va_end(ap);
	sb_puts(&b, "\n");
	msg = sb_take(&b);
	if (!msg)
		return NULL;
	rep = ctl_reply_new(exit_status, NULL, 0, msg, strlen(msg), NULL);
	free(msg);
	return rep;
}

int ctl_reply_parse(const json_t *reply, int *ret_exit, const char **ret_out,
		    const char **ret_err, json_t **ret_result)
{
	json_t *st = json_object_get(reply, "status");
	json_t *ex = json_object_get(reply, "exit");
	json_t *out = json_object_get(reply, "stdout");
	json_t *err = json_object_get(reply, "stderr");
	json_t *res = json_object_get(reply, "result");
	json_int_t code;

	if (!json_is_object(reply) || !json_is_string(st) ||
	    !json_is_integer(ex) || (out && !json_is_string(out)) ||
	    (err && !json_is_string(err)) || (res && !json_is_object(res)))
		return -EPROTO;
	code = json_integer_value(ex);
	if (code < 0 || code > 255 ||
	    strcmp(json_string_value(st), code ? "error" : "ok"))
		return -EPROTO;
	if (ret_exit)
		*ret_exit = (int)code;
	if (ret_out)
		*ret_out = out ? json_string_value(out) : "";
	if (ret_err)
		*ret_err = err ? json_string_value(err) : "";
	if (ret_result)
		*ret_result = res;
	return 0;
}

/* ---- blocking I/O ------------------------------------------------------ */

int ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A Unix stream connect completes at once or fails at once (a full
	 * backlog returns EAGAIN only on non-blocking sockets). */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int64_t deadline_of(int timeout_ms)
{
	struct timespec t;

	if (timeout_ms < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000 + timeout_ms;
}

/* Waits for events on fd until deadline (-1: forever). Returns 0 or
 * -ETIMEDOUT / -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	struct timespec t;
	int64_t left;
	int n;

	for (;;) {
		left = -1;
		if (deadline >= 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			left = deadline -
			       ((int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000);
			if (left <= 0)
				return -ETIMEDOUT;
		}
		n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

int ctl_send(int fd, const json_t *msg, int timeout_ms)
{
	return ctl_send_fds(fd, msg, NULL, 0, timeout_ms);
}

int ctl_send_fds(int fd, const json_t *msg, const int *fds, size_t nfds,
		 int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms);
	size_t len, off = 0;
	char *buf;
	ssize_t k;
	int r;

	r = ctl_frame_encode(msg, &buf, &len);
	if (r)
		return r;
	while (off < len) {
		r = wait_fd(fd, POLLOUT, deadline);
		if (r)
			break;
		/* MSG_NOSIGNAL: a daemon that went away is an error to
		 * report, not a SIGPIPE that kills the CLI. */
		/* The descriptors ride on the first bytes (fdpass.h). */
		k = off ? send(fd, buf + off, len - off,
			       MSG_NOSIGNAL | MSG_DONTWAIT)
			: fdpass_send(fd, buf, len, fds, nfds);
		if (k < 0 && !off)
			errno = (int)-k;
		if (k < 0 && errno != EINTR && errno != EAGAIN) {
			r = -errno;
			break;
		}
		if (k > 0)
			off += (size_t)k;
	}
	free(buf);
	return off == len ? 0 : r;
}

int ctl_recv(int fd, json_t **ret_msg, int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms);
	char err[256], *buf = NULL;
	size_t len = 0, cap = 0, want, used;
	ssize_t k;
	int r;

	*ret_msg = NULL;
	for (;;) {
		/* Read exactly what the frames need: a header, then the body
		 * it announces and the next header, if one follows; never a
		 * byte of a following message. */
		r = frame_scan((unsigned char *)buf, len, CTL_REPLY_MAX, &want,
			       err, sizeof(err));
		if (r < 0)
			break;
		if (r == 1) {
			r = msg_decode(buf, len, CTL_REPLY_MAX, &used, ret_msg,
				       err, sizeof(err));
			break;
		}
		if (cap < want) {
			size_t c = cap ? cap : 4096;
			char *n;

			while (c < want)
				c *= 2;
			n = realloc(buf, c);
			if (!n) {
				r = -ENOMEM;
				break;
			}
			buf = n;
			cap = c;
		}
		r = wait_fd(fd, POLLIN, deadline);
		if (r)
			break;
		k = recv(fd, buf + len, want - len, MSG_DONTWAIT);
		if (k == 0) {
			r = -ECONNABORTED;
			break;
		}
		if (k < 0 && errno != EINTR && errno != EAGAIN) {
			r = -errno;
			break;
		}
		if (k > 0)
			len += (size_t)k;
	}
	free(buf);
	return r == 1 ? 0 : r;
}

json_t *ctl_progress_new(const char *stage, size_t done, size_t total)
{
	return json_pack("{s:{s:s, s:I, s:I}}", "progress", "stage", stage,
			 "done", (json_int_t)done, "total", (json_int_t)total);
}

int ctl_progress_parse(const json_t *msg, const char **ret_stage,
		       size_t *ret_done, size_t *ret_total)
{
	json_t *p = json_object_get(msg, "progress");
	json_t *st = json_object_get(p, "stage");
	json_t *d = json_object_get(p, "done"), *t = json_object_get(p, "total");

	if (json_object_size(msg) != 1 || !json_is_string(st) ||
	    !json_is_integer(d) || !json_is_integer(t) ||
	    json_integer_value(d) < 0 ||
	    json_integer_value(d) > json_integer_value(t))
		return -EPROTO;
	*ret_stage = json_string_value(st);
	*ret_done = (size_t)json_integer_value(d);
	*ret_total = (size_t)json_integer_value(t);
	return 0;
}

/* ctl_request, handing progress messages to fn (NULL: dropping them).
 * Once one came the request is running: the daemon going away then is an
 * end, never a reason to send it again. */
static int request_watch(int fd, const json_t *req, ctl_progress_fn fn,
			 void *data, json_t **ret_reply, int timeout_ms)
{
	bool running = false;
	const char *stage;
	size_t done, total;
	json_t *rep;
	int r;

	*ret_reply = NULL;
	r = ctl_send(fd, req, timeout_ms);
	if (r)
		return r;
	for (;;) {
		/* Each message starts the wait afresh: progress says the
		 * daemon is at work. */
		r = ctl_recv(fd, &rep, timeout_ms);
		if (r) {
			if (running && (r == -ECONNRESET || r == -EPIPE))
				r = -ECONNABORTED;
			return r;
		}
		if (!json_object_get(rep, "progress"))
			break;
		running = true;
		if (fn && !ctl_progress_parse(rep, &stage, &done, &total))
			fn(stage, done, total, data);
		json_decref(rep);
	}
	if (ctl_reply_parse(rep, NULL, NULL, NULL, NULL)) {
		json_decref(rep);
		return -EPROTO;
	}
	*ret_reply = rep;
	return 0;
}

int ctl_request(int fd, const json_t *req, json_t **ret_reply, int timeout_ms)
{
	return request_watch(fd, req, NULL, NULL, ret_reply, timeout_ms);
}

/* ---- ctl_call ---------------------------------------------------------- */

/* The vpcemud to start: $VPCEMUD, the one beside our own binary, or
 * "vpcemud" for execvp to find in PATH. Writes into buf (PATH_MAX). */
static const char *daemon_path(char *buf)
{
	const char *env = getenv("VPCEMUD");
	ssize_t n;
	char *slash;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", buf, PATH_MAX - 1);
	if (n > 0) {
		buf[n] = '\0';
		slash = strrchr(buf, '/');
		if (slash && (size_t)(slash - buf) + sizeof("/vpcemud") <=
				     PATH_MAX) {
			strcpy(slash, "/vpcemud");
			if (access(buf, X_OK) == 0)
				return buf;
		}
	}
	return "vpcemud";
}

/* Starts vpcemud on path; it daemonizes itself once the socket listens.
 * No shell: execv with an argument vector (execvp for a bare name). */
static int start_daemon(const char *path, pid_t *ret_pid)
{
	char buf[PATH_MAX];
	const char *bin = daemon_path(buf);
	char *argv[] = { (char *)bin, "--socket", (char *)path, NULL };
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (strchr(bin, '/'))
			execv(bin, argv);
		else
			execvp(bin, argv);
		_exit(127);
	}
	*ret_pid = pid;
	return 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec t = { .tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* Polls connect with backoff until the daemon answers, its starter fails,
 * or CTL_START_TIMEOUT_MS pass. Returns the fd or -errno. */
static int wait_daemon(const char *path, pid_t pid)
{
	int64_t deadline = deadline_of(CTL_START_TIMEOUT_MS), now;
	unsigned backoff = 5;
	bool reaped = false;
	struct timespec t;
	int fd, status;

	for (;;) {
		fd = ctl_connect(path);
		if (fd >= 0 || (fd != -ENOENT && fd != -ECONNREFUSED))
			break;
		/* The starter exits 0 once it has forked the daemon (the
		 * socket already listens then), non-zero when it could not
		 * start: no use waiting for that one. */
		if (!reaped && waitpid(pid, &status, WNOHANG) == pid) {
			reaped = true;
			if (!WIFEXITED(status) || WEXITSTATUS(status)) {
				fd = ctl_connect(path);
				if (fd < 0)
					fd = -ECHILD;
				break;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		now = (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
		if (now >= deadline) {
			fd = -ETIMEDOUT;
			break;
		}
		sleep_ms(backoff < deadline - now ? backoff
						  : (unsigned)(deadline - now));
		if (backoff < 200)
			backoff *= 2;
	}
	/* The starter is our child: reap it, giving it a moment to finish
	 * detaching (it listens before it forks); a $VPCEMUD that stays in
	 * the foreground is left running, as asked. */
	for (backoff = 0; !reaped && backoff < 20; backoff++) {
		if (waitpid(pid, &status, WNOHANG) != 0)
			break;
		sleep_ms(5);
	}
	return fd;
}

/* One connection, one request: connects (starting a daemon if asked and
 * none listens), sends req and waits for the reply. */
static int call_once(const json_t *req, bool autostart, ctl_progress_fn fn,
		     void *data, json_t **ret_reply)
{
	const char *path = ctl_socket_path();
	pid_t pid;
	int fd, r;

	fd = ctl_connect(path);
	if (fd < 0 && autostart && (fd == -ENOENT || fd == -ECONNREFUSED)) {
		r = start_daemon(path, &pid);
		if (r)
			return r;
		fd = wait_daemon(path, pid);
	}
	if (fd < 0)
		return fd;
	r = request_watch(fd, req, fn, data, ret_reply, CTL_CALL_TIMEOUT_MS);
	close(fd);
	return r;
}

int ctl_call_progress(const char *op, json_t *args, bool autostart,
		      ctl_progress_fn fn, void *data, json_t **ret_reply)
{
	json_t *req;
	int r;

	*ret_reply = NULL;
	req = ctl_request_new(op, args);
	if (!req)
		return -ENOMEM;
	r = call_once(req, autostart, fn, data, ret_reply);
	/* A reset (not an end of file) means the daemon went away with our
	 * request unread, as when it dies between our connect and its
	 * accept: nothing of the request ran, so it is safe to send it
	 * once more, to whichever daemon answers now. */
	if (r == -ECONNRESET || r == -EPIPE)
		r = call_once(req, autostart, fn, data, ret_reply);
	json_decref(req);
	return r;
}

int ctl_call(const char *op, json_t *args, bool autostart,
	     json_t **ret_reply)
{
	return ctl_call_progress(op, args, autostart, NULL, NULL, ret_reply);
}

const char *ctl_strerror(int r)
{
	if (r == -ECONNABORTED)
		return "it closed the connection without a reply (did it "
		       "stop?)";
	return strerror(-r);
}
