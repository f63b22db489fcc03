/* test_execcli.c - the client's exec request (execcli.c): what it sends
 * of argv, the environment and the working directory, and that the daemon
 * would take it; the descriptors that go with it (fdpass.c) over a
 * socketpair. No root needed. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vpcemu/ctl.h"
#include "vpcemu/execcli.h"
#include "vpcemu/fdpass.h"

TestSuite(execcli, .timeout = 30);

/* args as the daemon parses them: 0 or its error. */
static int parse(json_t *args)
{
	json_t *req = ctl_request_new("exec", args), *a;
	const char *op;
	char err[256];
	int r;

	cr_assert_not_null(req);
	r = ctl_request_parse(req, &op, &a, err, sizeof(err));
	cr_expect_eq(r, 0, "%s", err);
	json_decref(req);
	return r;
}

Test(execcli, args_carry_what_the_op_takes)
{
	char *argv[] = { "id", "-u", NULL };
	char *big = malloc(5000), *envp[] = { "PATH=/bin", "NOEQUALS", "=x",
					      big, "TERM=xterm", NULL };
	json_t *a;

	memset(big, 'x', 4999);
	memcpy(big, "BIG=", 4);
	big[4999] = '\0';
	a = execcli_args("lab1", "EC2-A", argv, envp, "/tmp", true);
	cr_assert_not_null(a);
	cr_expect_str_eq(json_string_value(json_object_get(a, "lab")), "lab1");
	cr_expect_str_eq(json_string_value(json_object_get(a, "instance")),
			 "EC2-A");
	cr_expect_eq(json_array_size(json_object_get(a, "argv")), 2);
	cr_expect_str_eq(json_string_value(json_object_get(a, "cwd")), "/tmp");
	cr_expect(json_is_true(json_object_get(a, "tty")));
	/* What the daemon would refuse is left out, not the whole request. */
	cr_expect_eq(json_array_size(json_object_get(a, "env")), 2);
	cr_expect_str_eq(json_string_value(json_array_get(
				 json_object_get(a, "env"), 1)), "TERM=xterm");
	parse(a);
	json_decref(a);
	free(big);
}

Test(execcli, no_lab_no_cwd)
{
	char *argv[] = { "true", NULL }, *envp[] = { NULL };
	json_t *a = execcli_args(NULL, "A", argv, envp, "relative", false);

	cr_assert_not_null(a);
	cr_expect_null(json_object_get(a, "lab"));
	cr_expect_null(json_object_get(a, "cwd"));
	cr_expect_not(json_is_true(json_object_get(a, "tty")));
	parse(a);
	json_decref(a);
}

Test(execcli, argv_empty_or_too_long)
{
	char *none[] = { NULL }, *many[66];
	int i;

	cr_expect_null(execcli_args(NULL, "A", none, NULL, NULL, false));
	for (i = 0; i < 65; i++)
		many[i] = "x";
	many[65] = NULL;
	cr_expect_null(execcli_args(NULL, "A", many, NULL, NULL, false));
	many[64] = NULL;
	json_decref(execcli_args(NULL, "A", many, NULL, NULL, false));
}

TestSuite(fdpass, .timeout = 30);

static size_t open_fds(void)
{
	size_t n = 0;
	int fd;

	for (fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

Test(fdpass, descriptors_go_with_their_bytes)
{
	int sp[2], fds[FDPASS_MAX] = { 0, 1, 2 }, got[FDPASS_MAX];
	size_t n = 0;
	char buf[16];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	cr_assert_eq(send(sp[0], "ab", 2, 0), 2);
	cr_assert_eq(fdpass_send(sp[0], "cd", 2, fds, 3), 2);
	cr_assert_eq(send(sp[0], "ef", 2, 0), 2);
	/* A read that returns descriptors ends with the bytes they came
	 * with (ctlsrv.c counts on it). */
	cr_assert_eq(fdpass_recv(sp[1], buf, sizeof(buf), got, &n), 4);
	cr_expect_eq(n, 3);
	cr_assert_eq(fdpass_recv(sp[1], buf, sizeof(buf), got, &n), 2);
	cr_expect_eq(n, 3);
	cr_expect(fcntl(got[0], F_GETFD) & FD_CLOEXEC);
	fdpass_close(got, &n);
	cr_expect_eq(n, 0);
	close(sp[0]);
	close(sp[1]);
}

Test(fdpass, more_than_the_limit_are_closed)
{
	int sp[2], fds[FDPASS_MAX] = { 0, 1, 2 }, got[FDPASS_MAX];
	size_t n = 0, before;
	char buf[16];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	before = open_fds();
	cr_assert_eq(fdpass_send(sp[0], "a", 1, fds, 3), 1);
	cr_assert_eq(fdpass_send(sp[0], "b", 1, fds, 2), 1);
	cr_assert_eq(fdpass_recv(sp[1], buf, sizeof(buf), got, &n), 1);
	cr_assert_eq(fdpass_recv(sp[1], buf, sizeof(buf), got, &n), 1);
	cr_expect_eq(n, FDPASS_MAX);
	cr_expect_eq(open_fds(), before + FDPASS_MAX);
	fdpass_close(got, &n);
	cr_expect_eq(open_fds(), before);
	cr_expect_eq(fdpass_send(sp[0], "c", 1, fds, FDPASS_MAX + 1), -EINVAL);
	close(sp[0]);
	close(sp[1]);
}
