/* helpers.c - shared by the unit test files; see helpers.h. No Test() here:
 * the Makefile links every .c file of tests/unit into build/unit-tests. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/evloop.h"
#include "vpcemu/httpd.h"
#include "vpcemu/model.h"
#include "vpcemu/util.h"

#include "helpers.h"

char *test_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = NULL;
	size_t n = 0;

	if (!f)
		return NULL;
	if (getdelim(&s, &n, '\0', f) < 0) {
		free(s);
		s = strdup("");
	}
	fclose(f);
	return s;
}

void test_golden(const char *gold_path, const char *got)
{
	const char *upd = getenv("VPCEMU_UPDATE_GOLDEN");
	char *want;

	if (upd && !strcmp(upd, "1")) {
		FILE *f = fopen(gold_path, "w");

		cr_assert_not_null(f, "cannot write %s", gold_path);
		fputs(got, f);
		cr_assert_eq(fclose(f), 0, "cannot write %s", gold_path);
	}
	want = test_slurp(gold_path);
	cr_assert_not_null(want, "missing %s (VPCEMU_UPDATE_GOLDEN=1)",
			   gold_path);
	cr_expect_str_eq(got, want, "output differs from %s", gold_path);
	free(want);
}

char *test_cmd_output(const char *cmd)
{
	char *out = NULL;
	size_t n = 0;
	FILE *p = popen(cmd, "r");

	cr_assert_not_null(p, "%s", cmd);
	cr_assert_geq(getdelim(&out, &n, '\0', p), 0, "%s", cmd);
	pclose(p);
	return out;
}

char *test_diags_text(const struct diags *d)
{
	struct strbuf b = { 0 };
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];

		sb_printf(&b, "  %u:%u %s %s: %s\n", g->at.line,
			  g->at.first_col,
			  g->severity == DIAG_ERROR ? "error" :
			  g->severity == DIAG_WARNING ? "warning" : "note",
			  g->code, g->message);
	}
	return sb_take(&b);
}

/* After a stage: no diagnostic at all (errors_only false), or no error. */
static void assert_quiet(const struct test_lab *t, bool errors_only,
			 const char *stage, const char *path, const char *text)
{
	char *s;

	if (errors_only ? t->d.nerrors == 0 : t->d.n == 0)
		return;
	s = test_diags_text(&t->d);
	cr_assert_fail("%s: %s complained:\n%s\nlab:\n%s", path, stage, s,
		       text);
	free(s);
}

struct lab *test_lab_text(struct test_lab *t, const char *path,
			  const char *text, const char *name, unsigned flags)
{
	bool check = flags & TEST_LAB_CHECK, judge = !(flags & TEST_LAB_ANY);
	struct test_lab own = { 0 };
	struct lab *lab;

	if (!t)
		t = &own;
	*t = (struct test_lab){ 0 };
	t->f = conf_parse_buffer(path, text, strlen(text), &t->d);
	cr_assert_not_null(t->f, "out of memory parsing %s", path);
	if (judge)
		assert_quiet(t, false, "the parser", path, text);
	t->lab = model_build(t->f, name, &t->d);
	cr_assert_not_null(t->lab, "out of memory building %s", path);
	if (check) {
		if (judge)
			assert_quiet(t, false, "the model", path, text);
		check_lab(t->lab, &t->d);
	}
	if (judge && (flags & TEST_LAB_CLEAN))
		assert_quiet(t, true, check ? "the checker" : "the model",
			     path, text);
	lab = t->lab;
	if (t == &own) {
		conf_free(own.f);
		diags_free(&own.d);
	}
	return lab;
}

struct lab *test_lab_file(struct test_lab *t, const char *path,
			  const char *name, unsigned flags)
{
	char *text = test_slurp(path);
	struct lab *lab;

	cr_assert_not_null(text, "cannot read %s (run from tests/)", path);
	lab = test_lab_text(t, path, text, name, flags);
	free(text);
	return lab;
}

void test_lab_free(struct test_lab *t)
{
	lab_free(t->lab);
	conf_free(t->f);
	diags_free(&t->d);
	*t = (struct test_lab){ 0 };
}

void test_expect_one(const struct diags *d, const char *code, unsigned line,
		     unsigned col)
{
	char *s = test_diags_text(d);

	cr_expect_eq(d->n, 1, "want one %s, got:\n%s", code, s);
	if (d->n)
		cr_expect(!strcmp(d->v[0].code, code) &&
				  d->v[0].at.line == line &&
				  (!col || d->v[0].at.first_col == col),
			  "want %s at %u:%u, got:\n%s", code, line, col, s);
	free(s);
}

const char *test_reply_header(const struct httpd_reply *rp, const char *name)
{
	size_t i;

	for (i = 0; i < rp->nheaders; i++)
		if (!strcasecmp(rp->headers[i].name, name))
			return rp->headers[i].value;
	return NULL;
}

char *test_reply_body(const struct httpd_reply *rp)
{
	char *s = strndup(rp->body ? rp->body : "", rp->body_len);

	cr_assert_not_null(s);
	return s;
}

int test_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* d's own fd */
}

int test_listen_loopback(uint16_t *ret_port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t salen = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 16), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
	*ret_port = ntohs(sa.sin_port);
	return fd;
}

static void stop_loop(struct evloop *el, uint64_t id, void *data)
{
	evloop_stop(el);
}

void test_run_for(struct evloop *el, unsigned ms)
{
	cr_assert(evloop_add_timer(el, ms, 0, stop_loop, NULL));
	cr_assert_eq(evloop_run(el), 0);
}

struct client {
	int fd;
	char buf[8192];
	size_t len;
	bool done;
};

static void client_read(struct evloop *el, int fd, unsigned events, void *data)
{
	struct client *c = data;
	ssize_t n = read(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);

	if (n > 0) {
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	c->done = true;
	evloop_stop(el);
}

char *test_http_exchange(struct evloop *el, uint16_t port,
			 const char *request)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct client c = { 0 };
	uint64_t timer;

	c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	cr_assert_geq(c.fd, 0);
	cr_assert(!connect(c.fd, (struct sockaddr *)&sa, sizeof(sa)) ||
		  errno == EINPROGRESS);
	/* Loopback: the connection is up once the server's backlog has it,
	 * and the request is far below the socket buffer. */
	cr_assert_eq(write(c.fd, request, strlen(request)),
		     (ssize_t)strlen(request), "write: %s", strerror(errno));
	cr_assert_eq(evloop_add_fd(el, c.fd, EVLOOP_READ, client_read, &c), 0);
	timer = evloop_add_timer(el, 5000, 0, stop_loop, NULL);
	cr_assert(timer);
	cr_assert_eq(evloop_run(el), 0);
	evloop_del_timer(el, timer);
	evloop_del_fd(el, c.fd);
	close(c.fd);
	cr_assert(c.done, "no complete answer within 5 s: %s", c.buf);
	return strdup(c.buf);
}

const char *test_http_body(const char *resp)
{
	const char *p = strstr(resp, "\r\n\r\n");

	cr_assert_not_null(p, "no header end: %s", resp);
	return p + 4;
}

bool test_http_has_header(const char *resp, const char *line)
{
	const char *end = strstr(resp, "\r\n\r\n");
	const char *p = strcasestr(resp, line);

	return p && end && p < end;
}

void test_state_dir_enter(char *dir)
{
	cr_assert_not_null(mkdtemp(dir));
	setenv("VPCEMU_STATE_DIR", dir, 1);
}

void test_state_dir_leave(const char *dir)
{
	char cmd[256];

	unsetenv("VPCEMU_STATE_DIR");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}
