/* helpers.h - what several unit test files need: reading a file, golden
 * files, and a lab taken through the real pipeline (conf_parse → model_build
 * → check_lab) with its diagnostics.
 *
 * Every function asserts with Criterion, so call them from a test (or its
 * .init/.fini), never from outside one. Paths are relative to tests/, where
 * "make unit" runs the tests.
 */
#ifndef VPCEMU_TEST_HELPERS_H
#define VPCEMU_TEST_HELPERS_H

#include <stdbool.h>
#include <stdint.h>

#include "vpcemu/diag.h"

struct conf_file;
struct evloop;
struct httpd_reply;
struct lab;

/* The hands-on lab of docs/lab-conf.md, exactly as written there. */
#define TEST_HANDS_ON "unit/data/hands-on.conf"

/* The whole content of path, malloc'd ("" for an empty file), or NULL when
 * it cannot be read. */
char *test_slurp(const char *path);

/* What the shell command cmd prints on stdout, malloc'd. */
char *test_cmd_output(const char *cmd);

/* Compares got with the golden file gold_path, or rewrites the file with
 * got first when VPCEMU_UPDATE_GOLDEN=1 (review the result with git diff). */
void test_golden(const char *gold_path, const char *got);

/* Diagnostics as "  LINE:COL SEVERITY CODE: message" lines, for assertion
 * messages; caller frees. */
char *test_diags_text(const struct diags *d);

/* Asserts that d holds exactly one diagnostic: code on line (any column
 * when col is 0). */
void test_expect_one(const struct diags *d, const char *code, unsigned line,
		     unsigned col);

/* A lab loaded for a test: the parsed file, its model and every diagnostic
 * queued on the way. Owns all three; free with test_lab_free. */
struct test_lab {
	struct diags d;
	struct conf_file *f;
	struct lab *lab;
};

/* How far test_lab_text / test_lab_file go and what they assert. The last
 * stage run (check_lab with TEST_LAB_CHECK, else model_build) may queue
 * anything, for the test to judge; every stage before it must queue no
 * diagnostic at all. */
enum test_lab_flags {
	TEST_LAB_CHECK = 1U << 0,	/* run check_lab after model_build */
	TEST_LAB_CLEAN = 1U << 1,	/* the last stage queues no error either */
	TEST_LAB_ANY = 1U << 2,		/* no assertion on diagnostics at all */
};

/* Parses text (registered as path, which also names the lab unless the
 * text has a "lab" line or name is given), builds its model and, with
 * TEST_LAB_CHECK, checks it. With t, t owns the result (t is overwritten,
 * not freed: free what it held first). With t NULL the file and the
 * diagnostics are freed at once and the caller owns the returned lab
 * (lab_free). Returns the lab, never NULL. */
struct lab *test_lab_text(struct test_lab *t, const char *path,
			  const char *text, const char *name, unsigned flags);

/* The same for the lab file at path. */
struct lab *test_lab_file(struct test_lab *t, const char *path,
			  const char *name, unsigned flags);

/* Frees what t holds and resets it; t may be empty. */
void test_lab_free(struct test_lab *t);

/* A fresh state directory (state.h) in dir, a mkdtemp template, made
 * this process's VPCEMU_STATE_DIR; test_state_dir_leave removes it. */
void test_state_dir_enter(char *dir);
void test_state_dir_leave(const char *dir);

/* Open file descriptors of this process. */
int test_count_fds(void);
/* A TCP socket bound to 127.0.0.1 on a free port (*ret_port), listening,
 * non-blocking. */
int test_listen_loopback(uint16_t *ret_port);
/* Runs el for ms milliseconds. */
void test_run_for(struct evloop *el, unsigned ms);
/* Sends request (which asks for Connection: close) to port on 127.0.0.1,
 * runs el until the server closes (5 s at most), and returns the whole
 * response, malloc'd. */
char *test_http_exchange(struct evloop *el, uint16_t port,
			 const char *request);
/* The body of response resp. */
const char *test_http_body(const char *resp);
/* Whether line ("\r\nName: value\r\n", case-insensitive) is among
 * resp's headers. */
bool test_http_has_header(const char *resp, const char *line);

/* The value of reply header name (case-insensitive), or NULL. */
const char *test_reply_header(const struct httpd_reply *rp, const char *name);
/* The reply's body as a malloc'd string (bodies are text in these tests). */
char *test_reply_body(const struct httpd_reply *rp);

#endif
