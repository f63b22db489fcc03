/* test_ctl.c - the control protocol without a daemon: framing at its
 * limits, request validation op by op, replies carrying any text, blocking
 * I/O over a socketpair, ctl_call's failure modes; and the event loop the
 * daemon runs on (suite evloop). No root needed. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vpcemu/ctl.h"
#include "vpcemu/evloop.h"

TestSuite(ctl, .timeout = 30);

/* A frame of raw bytes: header announcing len, then body. */
static char *frame(const char *body, size_t len, size_t *ret_len)
{
	char *f = malloc(CTL_HDR_LEN + len);

	cr_assert_not_null(f);
	f[0] = (char)(len >> 24);
	f[1] = (char)(len >> 16);
	f[2] = (char)(len >> 8);
	f[3] = (char)len;
	memcpy(f + CTL_HDR_LEN, body, len);
	*ret_len = CTL_HDR_LEN + len;
	return f;
}

static int decode_body(const char *body, json_t **msg, char *err)
{
	size_t n, used;
	char *f = frame(body, strlen(body), &n);
	int r = ctl_frame_decode(f, n, &used, msg, err, 256);

	if (r == 1)
		cr_expect_eq(used, n);
	free(f);
	return r;
}

Test(ctl, round_trip)
{
	json_t *m = json_pack("{s:s, s:{s:s}}", "op", "up", "args", "file",
			      "/x/é.conf"), *back;
	char *buf, err[256];
	size_t len, used;

	cr_assert_eq(ctl_frame_encode(m, &buf, &len), 0);
	cr_assert_gt(len, CTL_HDR_LEN);
	/* Big-endian length of the JSON that follows. */
	cr_expect_eq((size_t)((unsigned char)buf[2] << 8 | (unsigned char)buf[3]),
		     len - CTL_HDR_LEN);
	cr_assert_eq(ctl_frame_decode(buf, len, &used, &back, err, sizeof(err)),
		     1);
	cr_expect_eq(used, len);
	cr_expect(json_equal(m, back));
	json_decref(back);
	free(buf);
	json_decref(m);
}

Test(ctl, needs_more_bytes)
{
	char *buf, err[256];
	size_t len, used, i;
	json_t *m = json_pack("{s:s}", "op", "ping"), *back = NULL;

	cr_assert_eq(ctl_frame_encode(m, &buf, &len), 0);
	/* Every proper prefix asks for more, without error. */
	for (i = 0; i < len; i++) {
		cr_assert_eq(ctl_frame_decode(buf, i, &used, &back, err,
					      sizeof(err)), 0, "prefix %zu", i);
		cr_assert_null(back);
		cr_assert_eq(used, 0);
	}
	free(buf);
	json_decref(m);
}

Test(ctl, two_frames_back_to_back)
{
	json_t *a = json_pack("{s:s}", "op", "ping"), *b = json_pack("{s:s}",
		"op", "status"), *m;
	char *fa, *fb, *both, err[256];
	size_t la, lb, used;

	cr_assert_eq(ctl_frame_encode(a, &fa, &la), 0);
	cr_assert_eq(ctl_frame_encode(b, &fb, &lb), 0);
	both = malloc(la + lb);
	memcpy(both, fa, la);
	memcpy(both + la, fb, lb);
	cr_assert_eq(ctl_frame_decode(both, la + lb, &used, &m, err,
				      sizeof(err)), 1);
	cr_expect_eq(used, la);
	cr_expect(json_equal(m, a));
	json_decref(m);
	cr_assert_eq(ctl_frame_decode(both + used, la + lb - used, &used, &m,
				      err, sizeof(err)), 1);
	cr_expect(json_equal(m, b));
	json_decref(m);
	free(both);
	free(fa);
	free(fb);
	json_decref(a);
	json_decref(b);
}

Test(ctl, oversized_known_from_header)
{
	unsigned char hdr[4] = { 0x00, 0x10, 0x00, 0x01 };	/* 1 MiB + 1 */
	unsigned char huge[4] = { 0xff, 0xff, 0xff, 0xff };
	json_t *m = NULL;
	char err[256];
	size_t used;

	cr_assert_eq(ctl_frame_decode(hdr, 4, &used, &m, err, sizeof(err)),
		     -EMSGSIZE);
	cr_expect(strstr(err, "exceeds"), "%s", err);
	cr_assert_eq(ctl_frame_decode(huge, 4, &used, &m, err, sizeof(err)),
		     -EMSGSIZE);
	cr_expect_null(m);
}

/* A message of x's: {"a":"xxx..."} of exactly n bytes of JSON. */
static json_t *message_of(size_t n)
{
	size_t pad = n - strlen("{\"a\":\"\"}");
	char *s = malloc(pad + 1);
	json_t *m;

	cr_assert_not_null(s);
	memset(s, 'x', pad);
	s[pad] = '\0';
	m = json_pack("{s:s}", "a", s);
	free(s);
	return m;
}

/* A request of exactly CTL_MSG_MAX bytes passes; one more does not: it is
 * two frames, and the second is refused from the first's header. */
Test(ctl, limit_is_inclusive)
{
	json_t *m = message_of(CTL_MSG_MAX), *back;
	char *buf, err[256];
	size_t len, used;

	cr_assert_eq(ctl_frame_encode(m, &buf, &len), 0);
	cr_assert_eq(len, CTL_HDR_LEN + CTL_MSG_MAX);
	cr_assert_eq(ctl_frame_decode(buf, len, &used, &back, err, sizeof(err)),
		     1);
	json_decref(back);
	free(buf);
	json_decref(m);
	m = message_of(CTL_MSG_MAX + 1);
	cr_assert_eq(ctl_frame_encode(m, &buf, &len), 0);
	cr_assert_eq(len, 2 * CTL_HDR_LEN + CTL_MSG_MAX + 1);
	cr_expect_eq(ctl_frame_decode(buf, CTL_HDR_LEN, &used, &back, err,
				      sizeof(err)), -EMSGSIZE);
	cr_expect(strstr(err, "exceeds"), "%s", err);
	free(buf);
	json_decref(m);
}

/* A message well past one frame: cut into full frames flagged
 * CTL_HDR_MORE and a short last one; ctl_recv puts them back together,
 * reading no byte of the message after it. */
struct sender {
	int fd;
	json_t *m[2];
};

static void *send_main(void *data)
{
	struct sender *s = data;

	cr_expect_eq(ctl_send(s->fd, s->m[0], 10000), 0);
	cr_expect_eq(ctl_send(s->fd, s->m[1], 10000), 0);
	return NULL;
}

Test(ctl, big_message_in_frames)
{
	size_t n = 3 * CTL_FRAME_MAX + 12345, len, i, off;
	struct sender s = { .m = { message_of(n), message_of(20) } };
	json_t *back;
	pthread_t t;
	char *buf;
	int sv[2];

	cr_assert_eq(ctl_frame_encode(s.m[0], &buf, &len), 0);
	cr_assert_eq(len, 4 * CTL_HDR_LEN + n);
	for (i = 0, off = 0; i < 4; i++) {
		uint32_t h = (uint32_t)(unsigned char)buf[off] << 24 |
			     (uint32_t)(unsigned char)buf[off + 1] << 16 |
			     (uint32_t)(unsigned char)buf[off + 2] << 8 |
			     (unsigned char)buf[off + 3];

		cr_expect_eq(h, i < 3 ? CTL_HDR_MORE | CTL_FRAME_MAX : 12345,
			     "frame %zu: header %#x", i, h);
		off += CTL_HDR_LEN + (h & ~CTL_HDR_MORE);
	}
	cr_expect_eq(off, len);
	free(buf);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s.fd = sv[0];
	cr_assert_eq(pthread_create(&t, NULL, send_main, &s), 0);
	cr_assert_eq(ctl_recv(sv[1], &back, 10000), 0);
	cr_expect(json_equal(back, s.m[0]));
	json_decref(back);
	cr_assert_eq(ctl_recv(sv[1], &back, 10000), 0);
	cr_expect(json_equal(back, s.m[1]));
	json_decref(back);
	pthread_join(t, NULL);
	close(sv[0]);
	close(sv[1]);
	json_decref(s.m[0]);
	json_decref(s.m[1]);
}

struct bad_frames {
	unsigned char bytes[16];
	size_t len;
	int err;
};

/* Frames that break the rules, told from their headers. */
static struct bad_frames bad_frames[] = {
	/* A frame flagged MORE that is not full. */
	{ { 0x80, 0, 0, 2, '{', '}' }, 6, -EBADMSG },
	/* One longer than a frame may be. */
	{ { 0x80, 0x10, 0, 1 }, 4, -EMSGSIZE },
	{ { 0x7f, 0xff, 0xff, 0xff }, 4, -EMSGSIZE },
};

ParameterizedTestParameters(ctl, bad_frames)
{
	return cr_make_param_array(struct bad_frames, bad_frames,
				   sizeof(bad_frames) / sizeof(bad_frames[0]));
}

ParameterizedTest(struct bad_frames *b, ctl, bad_frames)
{
	json_t *m = NULL;
	char err[256];
	size_t used;
	int sv[2];

	cr_expect_eq(ctl_frame_decode(b->bytes, b->len, &used, &m, err,
				      sizeof(err)), b->err);
	cr_expect_null(m);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(write(sv[0], b->bytes, b->len), (ssize_t)b->len);
	cr_expect_eq(ctl_recv(sv[1], &m, 1000), b->err);
	close(sv[0]);
	close(sv[1]);
}

/* Writes raw bytes, as a thread: more than a socket buffer holds. */
struct raw_writer {
	int fd;
	const char *p;
	size_t len;
};

static void *raw_write_main(void *data)
{
	struct raw_writer *w = data;
	ssize_t k;

	while (w->len && (k = write(w->fd, w->p, w->len)) > 0) {
		w->p += k;
		w->len -= (size_t)k;
	}
	return NULL;
}

/* A full frame flagged MORE followed by an empty one: refused at the
 * second header. */
Test(ctl, empty_frame_after_more)
{
	json_t *m = message_of(CTL_FRAME_MAX), *back = NULL;
	struct raw_writer w;
	pthread_t t;
	char *buf, *two;
	size_t len;
	int sv[2];

	cr_assert_eq(ctl_frame_encode(m, &buf, &len), 0);
	two = malloc(len + CTL_HDR_LEN);
	cr_assert_not_null(two);
	memcpy(two, buf, len);
	two[0] = (char)((unsigned char)two[0] | 0x80);
	memset(two + len, 0, CTL_HDR_LEN);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	w = (struct raw_writer){ .fd = sv[0], .p = two,
				 .len = len + CTL_HDR_LEN };
	cr_assert_eq(pthread_create(&t, NULL, raw_write_main, &w), 0);
	cr_expect_eq(ctl_recv(sv[1], &back, 10000), -EBADMSG);
	cr_expect_null(back);
	pthread_join(t, NULL);
	close(sv[0]);
	close(sv[1]);
	free(two);
	free(buf);
	json_decref(m);
}

Test(ctl, progress_round_trip)
{
	json_t *m = ctl_progress_new("routes", 5, 10), *bad;
	const char *stage;
	size_t done, total;

	cr_assert_not_null(m);
	cr_assert_eq(ctl_progress_parse(m, &stage, &done, &total), 0);
	cr_expect_str_eq(stage, "routes");
	cr_expect_eq(done, 5);
	cr_expect_eq(total, 10);
	json_decref(m);
	/* Not progress: a reply, more done than total, a second key. */
	bad = ctl_reply_new(0, "x", 1, NULL, 0, NULL);
	cr_expect_eq(ctl_progress_parse(bad, &stage, &done, &total), -EPROTO);
	json_decref(bad);
	bad = json_pack("{s:{s:s, s:i, s:i}}", "progress", "stage", "x",
			"done", 3, "total", 2);
	cr_expect_eq(ctl_progress_parse(bad, &stage, &done, &total), -EPROTO);
	json_decref(bad);
	bad = json_pack("{s:{s:s, s:i, s:i}, s:s}", "progress", "stage", "x",
			"done", 1, "total", 2, "status", "ok");
	cr_expect_eq(ctl_progress_parse(bad, &stage, &done, &total), -EPROTO);
	json_decref(bad);
}

Test(ctl, encode_only_objects)
{
	json_t *a = json_array();
	char *buf;
	size_t len;

	cr_expect_eq(ctl_frame_encode(a, &buf, &len), -EINVAL);
	json_decref(a);
}

/* Arrays, not pointers: Criterion copies parameters into the worker
 * process, where addresses of the parent's strings mean nothing. */
struct bad_body {
	char body[64];
	char why[32];		/* substring of the error */
};

ParameterizedTestParameters(ctl, malformed)
{
	static struct bad_body p[] = {
		{ "", "expected" },
		{ "{bad", "malformed JSON" },
		{ "[1,2]", "JSON object" },
		{ "\"ping\"", "malformed JSON" },
		{ "42", "malformed JSON" },
		{ "{\"op\":\"ping\"} x", "malformed JSON" },
		{ "{\"op\":\"ping\",\"op\":\"up\"}", "duplicate" },
		{ "{\"op\":\"a\\u0000b\"}", "malformed JSON" },
		{ "{\"op\":\"\xff\"}", "malformed JSON" },
	};

	return cr_make_param_array(struct bad_body, p, sizeof(p) / sizeof(p[0]));
}

ParameterizedTest(struct bad_body *p, ctl, malformed)
{
	json_t *m = NULL;
	char err[256] = "";

	cr_expect_eq(decode_body(p->body, &m, err), -EBADMSG, "body '%s'",
		     p->body);
	cr_expect_null(m);
	cr_expect(strstr(err, p->why), "body '%s': error '%s', want '%s'",
		  p->body, err, p->why);
}

struct req_case {
	char json[96];
	int want;
	char op_or_why[32];	/* the op on success, else in the error */
};

ParameterizedTestParameters(ctl, requests)
{
	static struct req_case p[] = {
		{ "{\"op\":\"ping\"}", 0, "ping" },
		{ "{\"op\":\"ping\",\"args\":{}}", 0, "ping" },
		{ "{\"op\":\"status\",\"args\":{\"lab\":\"it1-d\"}}", 0, "status" },
		{ "{\"op\":\"up\",\"args\":{\"file\":\"/a/b.conf\"}}", 0, "up" },
		{ "{\"op\":\"up\",\"args\":{\"file\":\"/a\",\"name\":\"x\","
		  "\"color\":true}}", 0, "up" },
		{ "{\"op\":\"down\",\"args\":{\"name\":\"lab-1.x_y\"}}", 0, "down" },
		{ "{\"op\":\"down\",\"args\":{\"file\":\"/l.conf\"}}", 0, "down" },
		{ "{}", -EINVAL, "'op'" },
		{ "{\"op\":1}", -EINVAL, "'op'" },
		{ "{\"op\":\"\"}", -EINVAL, "'op'" },
		{ "{\"op\":\"frobnicate\"}", -EOPNOTSUPP, "unknown op" },
		{ "{\"op\":\"ping\",\"extra\":1}", -EINVAL, "unknown key" },
		{ "{\"op\":\"ping\",\"args\":[]}", -EINVAL, "'args'" },
		{ "{\"op\":\"ping\",\"args\":{\"x\":1}}", -EINVAL, "unknown argument" },
		{ "{\"op\":\"up\"}", -EINVAL, "missing argument 'file'" },
		{ "{\"op\":\"up\",\"args\":{\"file\":\"rel.conf\"}}", -EINVAL,
		  "absolute" },
		{ "{\"op\":\"up\",\"args\":{\"file\":7}}", -EINVAL, "string" },
		{ "{\"op\":\"up\",\"args\":{\"file\":\"/a\",\"color\":\"y\"}}",
		  -EINVAL, "boolean" },
		{ "{\"op\":\"down\"}", -EINVAL, "'name' or 'file'" },
		{ "{\"op\":\"down\",\"args\":{\"name\":\"../../etc/passwd\"}}",
		  -EINVAL, "invalid lab name" },
		{ "{\"op\":\"down\",\"args\":{\"name\":\".hidden\"}}", -EINVAL,
		  "invalid lab name" },
		{ "{\"op\":\"status\",\"args\":{\"lab\":\"a/b\"}}", -EINVAL,
		  "invalid lab name" },
		{ "{\"op\":\"status\",\"args\":{\"lab\":\"\"}}", -EINVAL,
		  "invalid lab name" },
		{ "{\"op\":\"exec\",\"args\":{\"instance\":\"A\",\"argv\":[\"id\"]}}",
		  0, "exec" },
		{ "{\"op\":\"exec\",\"args\":{\"instance\":\"A\",\"argv\":[\"id\"],"
		  "\"env\":[\"A=1\"],\"tty\":true}}", 0, "exec" },
		{ "{\"op\":\"exec\",\"args\":{\"instance\":\"A\",\"argv\":[\"id\"],"
		  "\"env\":[\"A\"]}}", -EINVAL, "NAME=VALUE" },
		{ "{\"op\":\"exec\",\"args\":{\"instance\":\"A\",\"argv\":[\"id\"],"
		  "\"env\":[\"=x\"]}}", -EINVAL, "NAME=VALUE" },
		{ "{\"op\":\"exec\",\"args\":{\"instance\":\"A\",\"argv\":[\"id\"],"
		  "\"cwd\":\"tmp\"}}", -EINVAL, "absolute" },
		{ "{\"op\":\"exec\",\"args\":{\"instance\":\"A\",\"argv\":[]}}",
		  -EINVAL, "1 to 64" },
		{ "{\"op\":\"exec\",\"args\":{\"argv\":[\"id\"]}}", -EINVAL,
		  "missing argument 'instance'" },
	};

	return cr_make_param_array(struct req_case, p, sizeof(p) / sizeof(p[0]));
}

ParameterizedTest(struct req_case *p, ctl, requests)
{
	json_t *req = json_loads(p->json, 0, NULL), *args;
	const char *op;
	char err[256] = "";
	int r;

	cr_assert_not_null(req, "%s", p->json);
	r = ctl_request_parse(req, &op, &args, err, sizeof(err));
	cr_expect_eq(r, p->want, "%s: got %d (%s), want %d", p->json, r, err,
		     p->want);
	if (p->want == 0) {
		cr_expect_str_eq(op, p->op_or_why);
		cr_expect(args == NULL || json_is_object(args));
	} else {
		cr_expect(strstr(err, p->op_or_why), "%s: error '%s', want '%s'",
			  p->json, err, p->op_or_why);
	}
	json_decref(req);
}

Test(ctl, request_new_borrows_args)
{
	json_t *args = json_pack("{s:s}", "lab", "x"), *req, *a;
	const char *op;
	char err[256];

	req = ctl_request_new("status", args);
	cr_assert_not_null(req);
	cr_assert_eq(ctl_request_parse(req, &op, &a, err, sizeof(err)), 0);
	cr_expect_eq(a, args);
	json_decref(req);
	/* Still ours. */
	cr_expect_str_eq(json_string_value(json_object_get(args, "lab")), "x");
	json_decref(args);
	req = ctl_request_new("ping", NULL);
	cr_expect(json_is_object(json_object_get(req, "args")));
	json_decref(req);
}

Test(ctl, a_nul_in_a_built_request_is_refused)
{
	json_t *req = json_pack("{s:s, s:{s:s%}}", "op", "up", "args", "file",
				"/a\0b", (size_t)4);
	const char *op;
	json_t *args;
	char err[256] = "";

	cr_assert_not_null(req);
	cr_expect_eq(ctl_request_parse(req, &op, &args, err, sizeof(err)),
		     -EINVAL);
	cr_expect(strstr(err, "NUL"), "%s", err);
	json_decref(req);
}

Test(ctl, lab_names)
{
	cr_expect(ctl_lab_name_ok("a"));
	cr_expect(ctl_lab_name_ok("it123-d"));
	cr_expect(ctl_lab_name_ok("9.x_y-Z"));
	cr_expect(ctl_lab_name_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	cr_expect_not(ctl_lab_name_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	cr_expect_not(ctl_lab_name_ok(""));
	cr_expect_not(ctl_lab_name_ok(".."));
	cr_expect_not(ctl_lab_name_ok("-x"));
	cr_expect_not(ctl_lab_name_ok("a/b"));
	cr_expect_not(ctl_lab_name_ok("a b"));
}

Test(ctl, reply_shape_and_status)
{
	json_t *rep = ctl_reply_new(0, "out\n", 4, NULL, 0, NULL), *res;
	const char *out, *err;
	int ex;

	cr_assert_not_null(rep);
	cr_assert_eq(ctl_reply_parse(rep, &ex, &out, &err, &res), 0);
	cr_expect_eq(ex, 0);
	cr_expect_str_eq(json_string_value(json_object_get(rep, "status")), "ok");
	cr_expect_str_eq(out, "out\n");
	cr_expect_str_eq(err, "");
	cr_expect(json_is_object(res));
	json_decref(rep);

	rep = ctl_reply_error(1, "permission %s", "denied");
	cr_assert_eq(ctl_reply_parse(rep, &ex, &out, &err, NULL), 0);
	cr_expect_eq(ex, 1);
	cr_expect_str_eq(json_string_value(json_object_get(rep, "status")),
			 "error");
	cr_expect_str_eq(err, "permission denied\n");
	/* "ok" must go with exit 0 and "error" with any other. */
	json_object_set_new(rep, "status", json_string("ok"));
	cr_expect_eq(ctl_reply_parse(rep, &ex, NULL, NULL, NULL), -EPROTO);
	json_object_set_new(rep, "status", json_string("error"));
	json_object_set_new(rep, "exit", json_integer(256));
	cr_expect_eq(ctl_reply_parse(rep, &ex, NULL, NULL, NULL), -EPROTO);
	json_object_set_new(rep, "exit", json_string("1"));
	cr_expect_eq(ctl_reply_parse(rep, &ex, NULL, NULL, NULL), -EPROTO);
	json_decref(rep);
}

/* Diagnostics quote lab files, which may hold anything: the reply still
 * frames, decodes, and keeps every valid character. */
Test(ctl, reply_repairs_text)
{
	static const char bad[] = "ok é \xff\xfe x\0y \xe2\x82 \xed\xa0\x80 z";
	json_t *rep = ctl_reply_new(1, NULL, 0, bad, sizeof(bad) - 1, NULL);
	json_t *back;
	char *buf, err[256];
	const char *e;
	size_t len, used;

	cr_assert_not_null(rep);
	cr_assert_eq(ctl_frame_encode(rep, &buf, &len), 0);
	cr_assert_eq(ctl_frame_decode(buf, len, &used, &back, err, sizeof(err)),
		     1, "%s", err);
	cr_assert_eq(ctl_reply_parse(back, NULL, NULL, &e, NULL), 0);
	cr_expect_str_eq(e, "ok é \xef\xbf\xbd\xef\xbf\xbd x\xef\xbf\xbdy "
			    "\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd"
			    "\xef\xbf\xbd z");
	json_decref(back);
	json_decref(rep);
	free(buf);
}

Test(ctl, socket_path_env)
{
	unsetenv("VPCEMU_SOCKET");
	cr_expect_str_eq(ctl_socket_path(), CTL_SOCKET_DEFAULT);
	setenv("VPCEMU_SOCKET", "/tmp/x.sock", 1);
	cr_expect_str_eq(ctl_socket_path(), "/tmp/x.sock");
	unsetenv("VPCEMU_SOCKET");
}

Test(ctl, send_recv_socketpair)
{
	json_t *m = json_pack("{s:s, s:{}}", "op", "ping", "args"), *back;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(ctl_send(sv[0], m, 1000), 0);
	cr_assert_eq(ctl_send(sv[0], m, 1000), 0);
	/* Two messages queued: each recv takes exactly one. */
	cr_assert_eq(ctl_recv(sv[1], &back, 1000), 0);
	cr_expect(json_equal(m, back));
	json_decref(back);
	cr_assert_eq(ctl_recv(sv[1], &back, 1000), 0);
	cr_expect(json_equal(m, back));
	json_decref(back);
	cr_expect_eq(ctl_recv(sv[1], &back, 50), -ETIMEDOUT);
	close(sv[0]);
	close(sv[1]);
	json_decref(m);
}

Test(ctl, recv_truncated_and_bad)
{
	char junk[] = { 0, 0, 0, 10, '{', '"' };
	char big[] = { 0x7f, 0, 0, 0 };
	json_t *m;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(write(sv[0], junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(sv[0]);
	cr_expect_eq(ctl_recv(sv[1], &m, 1000), -ECONNABORTED);
	close(sv[1]);

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(write(sv[0], big, sizeof(big)), (ssize_t)sizeof(big));
	cr_expect_eq(ctl_recv(sv[1], &m, 1000), -EMSGSIZE);
	close(sv[0]);
	close(sv[1]);
}

Test(ctl, request_rejects_bad_reply)
{
	json_t *req = ctl_request_new("ping", NULL), *rep;
	json_t *wrong = json_pack("{s:s}", "status", "ok");
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(ctl_send(sv[1], wrong, 1000), 0);
	cr_expect_eq(ctl_request(sv[0], req, &rep, 1000), -EPROTO);
	cr_expect_null(rep);
	close(sv[0]);
	close(sv[1]);
	json_decref(req);
	json_decref(wrong);
}

Test(ctl, call_without_daemon)
{
	json_t *rep;

	setenv("VPCEMU_SOCKET", "/nonexistent-vpcemu/vpcemud.sock", 1);
	cr_expect_eq(ctl_call("ping", NULL, false, &rep), -ENOENT);
	cr_expect_null(rep);
	/* A daemon that fails to start is reported at once, not after the
	 * start timeout. */
	setenv("VPCEMUD", "/bin/false", 1);
	cr_expect_eq(ctl_call("ping", NULL, true, &rep), -ECHILD);
	setenv("VPCEMUD", "/nonexistent-vpcemud", 1);
	cr_expect_eq(ctl_call("ping", NULL, true, &rep), -ECHILD);
	unsetenv("VPCEMUD");
	unsetenv("VPCEMU_SOCKET");
}

/* A stand-in daemon on a socket: the first `resets` connections are
 * closed with the request unread (the client sees a reset), the next
 * one's request is read and, if `reply`, answered. */
struct fake_daemon {
	int lfd, resets, accepted;
	bool reply;
	int progress;		/* progress messages before all else */
};

static void *fake_daemon_main(void *data)
{
	struct fake_daemon *d = data;
	struct pollfd p;
	json_t *req, *rep;
	int c;

	for (;;) {
		c = accept(d->lfd, NULL, NULL);
		if (c < 0)
			return NULL;
		d->accepted++;
		p = (struct pollfd){ .fd = c, .events = POLLIN };
		poll(&p, 1, 5000);
		for (int i = 0; i < d->progress; i++) {
			rep = ctl_progress_new("links", (size_t)i,
					       (size_t)d->progress);
			ctl_send(c, rep, 5000);
			json_decref(rep);
		}
		if (d->accepted <= d->resets) {
			close(c);
			continue;
		}
		if (ctl_recv(c, &req, 5000) == 0) {
			json_decref(req);
			if (d->reply) {
				rep = ctl_reply_new(0, "pong", 4, "", 0, NULL);
				ctl_send(c, rep, 5000);
				json_decref(rep);
			}
		}
		close(c);
		return NULL;
	}
}

/* Runs ctl_call("ping") against a fake daemon; returns its result and
 * how many connections the daemon took. */
static void count_progress(const char *stage, size_t done, size_t total,
			   void *data)
{
	cr_expect_str_eq(stage, "links");
	cr_expect_eq(done, (size_t)*(int *)data);
	(*(int *)data)++;
}

static int call_fake(int resets, bool reply, int progress, int *ret_accepted,
		     int *ret_seen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fake_daemon d = { .resets = resets, .reply = reply,
				 .progress = progress };
	pthread_t t;
	json_t *rep;
	int r;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/vpcemu-ut-%d.sock",
		 (int)getpid());
	unlink(sa.sun_path);
	d.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(d.lfd, 0);
	cr_assert_eq(bind(d.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(d.lfd, 4), 0);
	setenv("VPCEMU_SOCKET", sa.sun_path, 1);
	cr_assert_eq(pthread_create(&t, NULL, fake_daemon_main, &d), 0);
	*ret_seen = 0;
	r = ctl_call_progress("ping", NULL, false, count_progress, ret_seen,
			      &rep);
	json_decref(rep);
	/* Wakes an accept that waits for a connection nobody makes. */
	shutdown(d.lfd, SHUT_RDWR);
	pthread_join(t, NULL);
	close(d.lfd);
	unlink(sa.sun_path);
	unsetenv("VPCEMU_SOCKET");
	*ret_accepted = d.accepted;
	return r;
}

Test(ctl, call_sends_a_reset_request_once_more)
{
	int n;

	int seen;

	cr_expect_eq(call_fake(1, true, 0, &n, &seen), 0);
	cr_expect_eq(n, 2);
	/* Once more, not forever. */
	cr_expect_eq(call_fake(2, true, 0, &n, &seen), -ECONNRESET);
	cr_expect_eq(n, 2);
}

Test(ctl, call_hands_progress_over_then_the_reply)
{
	int n, seen;

	cr_expect_eq(call_fake(0, true, 3, &n, &seen), 0);
	cr_expect_eq(n, 1);
	cr_expect_eq(seen, 3);
}

/* A daemon that sent progress took the request: its reset is an end,
 * and the request is not sent again. */
Test(ctl, call_does_not_resend_after_progress)
{
	int n, seen;

	cr_expect_eq(call_fake(1, true, 2, &n, &seen), -ECONNABORTED);
	cr_expect_eq(n, 1);
	cr_expect_eq(seen, 2);
}

Test(ctl, call_does_not_resend_a_request_read_then_dropped)
{
	int n, seen;

	/* The daemon read it and may have acted on it: no second try. */
	cr_expect_eq(call_fake(0, false, 0, &n, &seen), -ECONNABORTED);
	cr_expect_eq(n, 1);
	cr_expect_str_neq(ctl_strerror(-ECONNABORTED),
			  strerror(ECONNABORTED));
}

/* ---- evloop ------------------------------------------------------------ */

TestSuite(evloop, .timeout = 30);

struct counts {
	int reads, oneshot, periodic;
	uint64_t periodic_id;
	int fds[2];
};

static void on_read(struct evloop *el, int fd, unsigned events, void *data)
{
	struct counts *c = data;
	char b[16];

	cr_expect(events & EVLOOP_READ);
	cr_expect_gt(read(fd, b, sizeof(b)), 0);
	c->reads++;
}

static void on_oneshot(struct evloop *el, uint64_t id, void *data)
{
	struct counts *c = data;

	c->oneshot++;
	cr_expect_eq(write(c->fds[1], "x", 1), 1);
}

static void on_periodic(struct evloop *el, uint64_t id, void *data)
{
	struct counts *c = data;

	if (++c->periodic == 3) {
		cr_expect_eq(evloop_del_timer(el, id), 0);
		evloop_stop(el);
	}
}

Test(evloop, timers_and_fds)
{
	struct evloop *el = evloop_new();
	struct counts c = { 0 };
	uint64_t t0 = evloop_now_ms(), id;

	cr_assert_not_null(el);
	cr_assert_eq(pipe(c.fds), 0);
	cr_assert_eq(evloop_add_fd(el, c.fds[0], EVLOOP_READ, on_read, &c), 0);
	cr_expect_eq(evloop_add_fd(el, c.fds[0], EVLOOP_READ, on_read, &c),
		     -EEXIST);
	cr_assert_neq(evloop_add_timer(el, 10, 0, on_oneshot, &c), 0);
	cr_assert_neq(id = evloop_add_timer(el, 20, 20, on_periodic, &c), 0);
	/* Cancelled before it fires. */
	cr_assert_eq(evloop_del_timer(el, evloop_add_timer(el, 5, 0,
							   on_oneshot, &c)), 0);
	cr_assert_eq(evloop_run(el), 0);
	cr_expect_eq(c.oneshot, 1);
	cr_expect_eq(c.reads, 1);
	cr_expect_eq(c.periodic, 3);
	cr_expect_geq(evloop_now_ms() - t0, 60);
	cr_expect_eq(evloop_del_timer(el, id), -ENOENT);
	evloop_del_fd(el, c.fds[0]);
	cr_expect_eq(evloop_mod_fd(el, c.fds[0], EVLOOP_READ), -ENOENT);
	close(c.fds[0]);
	close(c.fds[1]);
	evloop_free(el);
}

struct pair {
	int a[2], b[2];
	int calls;
};

/* The first callback to run deletes and closes the other fd: that one must
 * not be called, though its event was already fetched. */
static void on_either(struct evloop *el, int fd, unsigned events, void *data)
{
	struct pair *p = data;
	int other = fd == p->a[0] ? p->b[0] : p->a[0];

	p->calls++;
	evloop_del_fd(el, other);
	evloop_del_fd(el, fd);
	evloop_stop(el);
}

Test(evloop, deleted_fd_gets_no_stale_event)
{
	struct evloop *el = evloop_new();
	struct pair p = { 0 };

	cr_assert_eq(pipe(p.a), 0);
	cr_assert_eq(pipe(p.b), 0);
	cr_assert_eq(write(p.a[1], "x", 1), 1);
	cr_assert_eq(write(p.b[1], "x", 1), 1);
	cr_assert_eq(evloop_add_fd(el, p.a[0], EVLOOP_READ, on_either, &p), 0);
	cr_assert_eq(evloop_add_fd(el, p.b[0], EVLOOP_READ, on_either, &p), 0);
	cr_assert_eq(evloop_run(el), 0);
	cr_expect_eq(p.calls, 1);
	close(p.a[0]);
	close(p.a[1]);
	close(p.b[0]);
	close(p.b[1]);
	evloop_free(el);
}

static void on_hup(struct evloop *el, int fd, unsigned events, void *data)
{
	*(unsigned *)data = events;
	evloop_stop(el);
}

Test(evloop, hangup_is_reported)
{
	struct evloop *el = evloop_new();
	unsigned got = 0;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(evloop_add_fd(el, sv[0], EVLOOP_READ, on_hup, &got), 0);
	close(sv[1]);
	cr_assert_eq(evloop_run(el), 0);
	cr_expect(got & EVLOOP_ERROR);
	close(sv[0]);
	evloop_free(el);
}
