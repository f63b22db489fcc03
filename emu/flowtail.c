/* flowtail.c - `vpcemu flow-logs tail` (flowtail.h): the CLI reads the
 * file the daemon appends to (flow logs are 0644 files), polling its size
 * as tail -f does on files it cannot watch otherwise. A file that shrinks
 * was replaced: it is read again from its start.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vpcemu/flowtail.h"
#include "vpcemu/model.h"

#define POLL_MS 200

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The offset of the last lines lines (at least 1) of fd, size bytes:
 * just after the lines-th newline before the one that ends the file. */
static off_t last_lines(int fd, off_t size, unsigned lines)
{
	char buf[4096];
	off_t end = size - 1, pos;	/* the last byte ends the last line */
	unsigned seen = 0;
	ssize_t n, i;

	for (pos = end; pos > 0; pos -= n) {
		n = pos < (off_t)sizeof(buf) ? (ssize_t)pos
					     : (ssize_t)sizeof(buf);
		if (pread(fd, buf, (size_t)n, pos - n) != n)
			return 0;
		for (i = n - 1; i >= 0; i--)
			if (buf[i] == '\n' && ++seen == lines)
				return pos - n + i + 1;
	}
	return 0;
}

/* Copies fd from *off to its end to stdout. */
static int copy_new(int fd, off_t *off)
{
	char buf[8192];
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), *off)) > 0) {
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return -EIO;
		*off += n;
	}
	fflush(stdout);
	return n < 0 ? -errno : 0;
}

static int follow(const char *path, unsigned lines)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec ts = { 0, POLL_MS * 1000000L };
	struct stat st;
	off_t off;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "vpcemu flow-logs: %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	/* No SA_RESTART: the signal cuts the sleep short. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	off = lines ? last_lines(fd, st.st_size, lines) : st.st_size;
	while (!stop && r == 0) {
		if (fstat(fd, &st) == 0 && st.st_size < off)
			off = 0;
		r = copy_new(fd, &off);
		if (!r)
			nanosleep(&ts, NULL);
	}
	close(fd);
	return r ? 1 : 0;
}

int flowtail_run(const struct lab *lab, const char *name, unsigned lines)
{
	const struct res_list *l = &lab->res[RES_FLOW_LOG];
	const struct flow_log *f = NULL;
	char *path;
	size_t i;
	int r;

	for (i = 0; i < l->n && !f; i++)
		if (!strcmp(l->v[i]->name, name) || !strcmp(l->v[i]->id, name))
			f = (const struct flow_log *)l->v[i];
	if (!f) {
		fprintf(stderr, "vpcemu flow-logs: lab %s has no flow log %s\n",
			lab->name, name);
		return 1;
	}
	path = flow_log_path(lab, f);
	if (!path) {
		fprintf(stderr, "vpcemu flow-logs: out of memory\n");
		return 1;
	}
	r = follow(path, lines);
	free(path);
	return r;
}
