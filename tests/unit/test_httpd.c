/* test_httpd.c - the HTTP server on an evloop: a request reaches the
 * handler whole (arguments, headers, the body however it was sent), the
 * body cap answers before the body when Content-Length announces it, the
 * reply goes out with its headers, HEAD sends the length alone, a reply
 * can come after the handler returned (httpd_later), and stop leaves no
 * fd behind. Real sockets on 127.0.0.1; no root. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "vpcemu/evloop.h"
#include "vpcemu/httpd.h"
#include "vpcemu/util.h"

static const struct httpd_limits limits = {
	.conns = 8, .conns_per_ip = 8, .idle_timeout = 5,
	.conn_memory = 16 * 1024, .body_max = 16, .later = true,
};

/* /later's handle and reply, until its timer sends them. */
static struct httpd_later *pending;
static struct httpd_reply pending_reply;

/* What the handler saw last, and how often it was called. */
static struct {
	int calls;
	char method[8], path[64], arg[64], header[64], body[64];
	size_t body_len;
	bool too_large, bare_arg;
	uint32_t src;
} seen;

/* Records the request; answers "echo:" and its body, with a header. */
static void echo(void *data, const struct httpd_request *rq,
		 struct httpd_reply *rp)
{
	const struct httpd_field *a = httpd_arg(rq, "k");
	const char *h = httpd_header(rq, "x-test");
	struct strbuf b = { 0 };

	seen.calls++;
	snprintf(seen.method, sizeof(seen.method), "%s", rq->method);
	snprintf(seen.path, sizeof(seen.path), "%s", rq->path);
	snprintf(seen.arg, sizeof(seen.arg), "%s", a && a->value ? a->value : "");
	seen.bare_arg = httpd_arg(rq, "bare") && !httpd_arg(rq, "bare")->value;
	snprintf(seen.header, sizeof(seen.header), "%s", h ? h : "");
	snprintf(seen.body, sizeof(seen.body), "%s", rq->body);
	seen.body_len = rq->body_len;
	seen.too_large = rq->body_too_large;
	seen.src = rq->src;
	sb_printf(&b, "echo:%s", rq->body);
	httpd_reply_header(rp, "X-Echo", "%d", seen.calls);
	httpd_reply_text(rp, rq->body_too_large ? 413 : 200, "text/plain", &b);
	/* /later answers from a timer, /now through a handle at once. */
	if (!strcmp(rq->path, "/later") || !strcmp(rq->path, "/now")) {
		struct httpd_reply mine = *rp;

		*rp = (struct httpd_reply){ 0 };
		pending = httpd_later(rq);
		cr_assert_not_null(pending);
		if (!strcmp(rq->path, "/now")) {
			httpd_later_reply(pending, &mine);
			pending = NULL;
		} else {
			pending_reply = mine;
		}
	}
}

static struct evloop *el;
static struct httpd *h;
static uint16_t port;
static int fds_before;

static void setup(void)
{
	el = evloop_new();
	cr_assert_not_null(el);
	fds_before = test_count_fds();
	h = httpd_start(el, test_listen_loopback(&port), &limits, echo, NULL);
	cr_assert_not_null(h);
	seen = (typeof(seen)){ 0 };
}

static void teardown(void)
{
	httpd_stop(h);
	cr_expect_eq(test_count_fds(), fds_before, "fds left by the server");
	evloop_free(el);
}

TestSuite(httpd, .init = setup, .fini = teardown, .timeout = 30);

static char *ask(const char *request)
{
	return test_http_exchange(el, port, request);
}

Test(httpd, request_whole)
{
	char *r = ask("PUT /a%20b?k=v%2Fw&bare HTTP/1.1\r\nHost: x\r\n"
		      "X-Test: yes\r\nConnection: close\r\n"
		      "Content-Length: 5\r\n\r\nhello");

	cr_expect_eq(strncmp(r, "HTTP/1.1 200 ", 13), 0, "%s", r);
	cr_expect(test_http_has_header(r, "\r\nX-Echo: 1\r\n"), "%s", r);
	cr_expect(test_http_has_header(r, "\r\nContent-Type: text/plain\r\n"),
		  "%s", r);
	cr_expect_str_eq(test_http_body(r), "echo:hello");
	cr_expect_str_eq(seen.method, "PUT");
	cr_expect_str_eq(seen.path, "/a b");
	cr_expect_str_eq(seen.arg, "v/w");
	cr_expect(seen.bare_arg);
	cr_expect_str_eq(seen.header, "yes");
	cr_expect_eq(seen.body_len, 5);
	cr_expect_eq(seen.src, INADDR_LOOPBACK);
	free(r);
}

Test(httpd, chunked_body_accumulated)
{
	char *r = ask("POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		      "Transfer-Encoding: chunked\r\n\r\n"
		      "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");

	cr_expect_str_eq(test_http_body(r), "echo:abcdefg");
	cr_expect_eq(seen.calls, 1);
	free(r);
}

Test(httpd, announced_body_over_the_cap_answered_before_it)
{
	/* No body is sent: the reply must come from the headers alone. */
	char *r = ask("PUT / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		      "Content-Length: 17\r\n\r\n");

	cr_expect_eq(strncmp(r, "HTTP/1.1 413 ", 13), 0, "%s", r);
	cr_expect(seen.too_large);
	cr_expect_eq(seen.body_len, 0);
	free(r);
	r = ask("PUT / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		"Content-Length: 16\r\n\r\n0123456789abcdef");
	cr_expect_eq(strncmp(r, "HTTP/1.1 200 ", 13), 0, "%s", r);
	cr_expect(!seen.too_large);
	free(r);
}

Test(httpd, chunked_body_over_the_cap_dropped)
{
	char *r = ask("POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		      "Transfer-Encoding: chunked\r\n\r\n"
		      "a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n");

	cr_expect_eq(strncmp(r, "HTTP/1.1 413 ", 13), 0, "%s", r);
	cr_expect(seen.too_large);
	cr_expect_eq(seen.body_len, 0);
	free(r);
}

Test(httpd, head_sends_the_length_only)
{
	char *r = ask("HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

	cr_expect(test_http_has_header(r, "\r\nContent-Length: 5\r\n"), "%s",
		  r);
	cr_expect_str_eq(test_http_body(r), "");
	free(r);
}

static void reply_pending(struct evloop *l, uint64_t id, void *data)
{
	httpd_later_reply(pending, &pending_reply);
	pending = NULL;
}

Test(httpd, later_reply_after_the_handler_returned)
{
	char *r;

	/* Well past the handler's return, and the connection's idle
	 * timeout does not apply meanwhile. */
	cr_assert(evloop_add_timer(el, 300, 0, reply_pending, NULL));
	r = ask("POST /later HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		"Content-Length: 2\r\n\r\nhi");
	cr_expect_eq(strncmp(r, "HTTP/1.1 200 ", 13), 0, "%s", r);
	cr_expect(test_http_has_header(r, "\r\nX-Echo: 1\r\n"), "%s", r);
	cr_expect_str_eq(test_http_body(r), "echo:hi");
	cr_expect_null(pending);
	free(r);
	/* The server goes on answering. */
	r = ask("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	cr_expect_str_eq(test_http_body(r), "echo:");
	free(r);
}

Test(httpd, later_reply_within_the_handler)
{
	char *r = ask("GET /now HTTP/1.1\r\nHost: x\r\nConnection: close"
		      "\r\n\r\n");

	cr_expect_eq(strncmp(r, "HTTP/1.1 200 ", 13), 0, "%s", r);
	cr_expect_str_eq(test_http_body(r), "echo:");
	free(r);
}

/* A blocking client socket connected to the server. */
static int connect_to_server(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

Test(httpd, stop_with_a_reply_pending)
{
	static const char rq[] = "GET /later HTTP/1.1\r\nHost: x\r\n\r\n";
	int fd = connect_to_server();
	char buf[64];

	cr_assert_eq(write(fd, rq, sizeof(rq) - 1), (ssize_t)sizeof(rq) - 1);
	test_run_for(el, 100);
	cr_assert_not_null(pending);
	httpd_stop(h);
	h = NULL;
	/* The client sees the connection closed, and the handle's holder
	 * may still reply: it is only freed. */
	cr_expect_eq(read(fd, buf, sizeof(buf)), 0);
	httpd_later_reply(pending, &pending_reply);
	pending = NULL;
	close(fd);
}

Test(httpd, stop_closes_open_connections)
{
	int idle = connect_to_server();

	test_run_for(el, 100);	/* MHD accepts it */
	httpd_stop(h);
	h = NULL;
	close(idle);
}
