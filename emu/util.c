/* util.c - growable arrays, string builder, edit distance, whole files,
 * high fds. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vpcemu/util.h"

int vec_grow(void **v, size_t *cap, size_t n, size_t sz)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap > SIZE_MAX / sz)
		return -ENOMEM;
	p = realloc(*v, ncap * sz);
	if (!p)
		return -ENOMEM;
	memset((char *)p + *cap * sz, 0, (ncap - *cap) * sz);
	*v = p;
	*cap = ncap;
	return 0;
}

/* Room for n more bytes and the NUL; false (oom set) when there is none. */
static bool sb_room(struct strbuf *b, size_t n)
{
	size_t ncap = b->cap ? b->cap : 256;
	char *p;

	if (b->oom)
		return false;
	if (b->s && b->len + n + 1 <= b->cap)
		return true;
	while (ncap < b->len + n + 1)
		ncap *= 2;
	p = realloc(b->s, ncap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->s = p;
	b->cap = ncap;
	return true;
}

void sb_vprintf(struct strbuf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int need;

	if (b->oom)
		return;
	va_copy(aq, ap);
	need = vsnprintf(b->s ? b->s + b->len : NULL,
			 b->s ? b->cap - b->len : 0, fmt, aq);
	va_end(aq);
	if (need < 0) {
		b->oom = true;
		return;
	}
	if (!b->s || b->len + (size_t)need + 1 > b->cap) {
		if (!sb_room(b, (size_t)need))
			return;
		vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)need;
}

void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(b, fmt, ap);
	va_end(ap);
}

void sb_putn(struct strbuf *b, const char *s, size_t n)
{
	if (!sb_room(b, n))
		return;
	/* An empty strbuf's text is NULL, and memcpy from NULL is undefined
	 * even for 0 bytes (found by fuzz_s3). */
	if (n)
		memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sb_puts(struct strbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

void sb_put_xml(struct strbuf *b, const char *s, size_t n)
{
	for (; n--; s++) {
		switch (*s) {
		case '&': sb_puts(b, "&amp;"); break;
		case '<': sb_puts(b, "&lt;"); break;
		case '>': sb_puts(b, "&gt;"); break;
		case '"': sb_puts(b, "&quot;"); break;
		case '\'': sb_puts(b, "&apos;"); break;
		default: sb_putn(b, s, 1);
		}
	}
}

char *sb_take(struct strbuf *b)
{
	char *s;

	if (b->oom) {
		sb_free(b);
		return NULL;
	}
	s = b->s ? b->s : strdup("");
	*b = (struct strbuf){ 0 };
	return s;
}

void sb_free(struct strbuf *b)
{
	free(b->s);
	*b = (struct strbuf){ 0 };
}

bool str_eq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

size_t str_hash(const char *s)
{
	size_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* The slot of key, or the free slot where it would go. */
static struct strmap_ent *strmap_slot(struct strmap_ent *tab, size_t cap,
				      const char *key)
{
	size_t i = str_hash(key) & (cap - 1);

	while (tab[i].key && strcmp(tab[i].key, key))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

int strmap_add(struct strmap *m, const char *key, size_t val)
{
	struct strmap_ent *e, *tab;
	size_t cap, i;

	/* At most half full, so probe chains stay short. */
	if ((m->n + 1) * 2 > m->cap) {
		cap = m->cap ? m->cap * 2 : 16;
		tab = calloc(cap, sizeof(*tab));
		if (!tab)
			return -ENOMEM;
		for (i = 0; i < m->cap; i++)
			if (m->tab[i].key)
				*strmap_slot(tab, cap, m->tab[i].key) =
					m->tab[i];
		free(m->tab);
		m->tab = tab;
		m->cap = cap;
	}
	e = strmap_slot(m->tab, m->cap, key);
	if (!e->key) {
		*e = (struct strmap_ent){ key, val };
		m->n++;
	}
	return 0;
}

const size_t *strmap_get(const struct strmap *m, const char *key)
{
	const struct strmap_ent *e;

	if (!m->cap)
		return NULL;
	e = strmap_slot(m->tab, m->cap, key);
	return e->key ? &e->val : NULL;
}

void strmap_free(struct strmap *m)
{
	free(m->tab);
	*m = (struct strmap){ 0 };
}

char *str_printf(const char *fmt, ...)
{
	struct strbuf b = { 0 };
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(&b, fmt, ap);
	va_end(ap);
	return sb_take(&b);
}

size_t str_distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t *row, d;

	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	row = malloc((lb + 1) * sizeof(*row));
	if (!row)
		return cap + 1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	d = row[lb];
	free(row);
	return d > cap ? cap + 1 : d;
}

int read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	size_t len = 0, cap;
	struct stat st;
	char *buf = NULL, *nb;
	ssize_t k;
	int fd, r = 0;

	*ret = NULL;
	*ret_len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		r = -EFBIG;
		goto out;
	}
	/* Regular files come in one read; pipes and the like grow. */
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
	buf = malloc(cap);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (len + 1 >= cap) {
			if (cap > max + 1) {
				r = -EFBIG;
				goto out;
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		k = read(fd, buf + len, cap - len - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			goto out;
		}
		if (!k)
			break;
		len += (size_t)k;
		if (len > max) {
			r = -EFBIG;
			goto out;
		}
	}
	buf[len] = '\0';
out:
	close(fd);
	if (r) {
		free(buf);
		return r;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

int fd_move_high(int fd)
{
	int nfd;

	nfd = fcntl(fd, F_DUPFD_CLOEXEC, FD_SETSIZE);
	if (nfd < 0)
		return fd;
	close(fd);
	return nfd;
}

double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
