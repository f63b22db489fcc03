/* fuzzhttp.c - fuzz input to struct httpd_request (fuzzhttp.h). */
#include <stdlib.h>
#include <string.h>

#include "fuzzhttp.h"

/* Cuts s at the first c: returns what follows, or NULL when c is absent
 * (s is then left whole). */
static char *cut(char *s, char c)
{
	char *p = strchr(s, c);

	if (!p)
		return NULL;
	*p = '\0';
	return p + 1;
}

/* Splits "a=b&c" into fields at f (at most max); returns how many. */
static size_t split_args(char *q, struct httpd_field *f, size_t max)
{
	size_t n = 0;
	char *next;

	for (; q && n < max; q = next) {
		next = cut(q, '&');
		f[n].name = q;
		f[n].value = cut(q, '=');
		n++;
	}
	return n;
}

/* Decodes one request of len bytes (no NUL among them) into rq. */
static void decode(char *text, size_t len, struct httpd_field *f,
		   struct httpd_request *rq)
{
	char *line, *next, *body = text + len;
	size_t n = 0;

	next = cut(text, '\n');
	rq->method = text;
	rq->path = "";
	if ((line = cut(text, ' '))) {
		rq->path = line;
		rq->nargs = split_args(cut(line, '?'), f, FUZZHTTP_FIELDS_MAX);
		n = rq->nargs;
	}
	rq->args = f;
	rq->headers = f + n;
	for (line = next; line; line = next) {
		next = cut(line, '\n');
		if (!*line) {		/* the blank line: the body follows */
			body = next ? next : text + len;
			break;
		}
		if (n == 2 * FUZZHTTP_FIELDS_MAX)
			continue;
		f[n].name = line;
		f[n].value = cut(line, ':');
		if (!f[n].value)
			f[n].value = "";
		f[n].value += strspn(f[n].value, " ");
		n++;
	}
	rq->nheaders = n - rq->nargs;
	rq->body = body;
	rq->body_len = (size_t)(text + len - body);
}

void fuzzhttp_each(const uint8_t *input, size_t size, httpd_handler_fn fn,
		   void *data)
{
	struct httpd_field f[2 * FUZZHTTP_FIELDS_MAX];
	char *copy = malloc(size + 1);
	size_t at = 0, len;

	if (!copy)
		abort();
	memcpy(copy, input, size);
	copy[size] = '\0';
	/* Requests end at NUL; the last at the end of the input. */
	while (at <= size) {
		struct httpd_request rq = { 0 };
		struct httpd_reply rp = { 0 };

		len = strlen(copy + at);
		decode(copy + at, len, f, &rq);
		fn(data, &rq, &rp);
		httpd_reply_free(&rp);
		at += len + 1;
	}
	free(copy);
}
