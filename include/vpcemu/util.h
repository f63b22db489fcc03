/* util.h - small helpers every module uses: growable arrays and a string
 * builder. Allocation failures are reported, never fatal. */
#ifndef VPCEMU_UTIL_H
#define VPCEMU_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Makes room in *v (elements of size sz, capacity *cap) for one more element
 * after the first n; new space is zeroed. Returns 0 or -ENOMEM. */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

int vec_grow(void **v, size_t *cap, size_t n, size_t sz);

/* Appends a zeroed element to array v (with counters n and cap) and
 * evaluates to a pointer to it, or NULL on allocation failure. */
#define VEC_PUSH(v, n, cap)                                                   \
	(vec_grow((void **)&(v), &(cap), (n), sizeof(*(v))) ? NULL : &(v)[(n)++])

/* A growing NUL-terminated string. Start with { 0 }. After an allocation
 * failure every append is a no-op and oom stays set; sb_take then returns
 * NULL. */
struct strbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

void sb_printf(struct strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sb_vprintf(struct strbuf *b, const char *fmt, va_list ap);
void sb_puts(struct strbuf *b, const char *s);
void sb_putn(struct strbuf *b, const char *s, size_t n);
/* Appends n bytes of s with XML's five special characters escaped. */
void sb_put_xml(struct strbuf *b, const char *s, size_t n);
/* Hands the string to the caller (never NULL unless oom: "" when empty). */
char *sb_take(struct strbuf *b);
void sb_free(struct strbuf *b);

/* A string -> index map (open addressing, FNV-1a): finds an element of
 * the caller's array by name in constant time. Keys are borrowed: they
 * must outlive the map. Start with { 0 }. */
struct strmap {
	struct strmap_ent {
		const char *key;
		size_t val;
	} *tab;
	size_t n, cap;
};

size_t str_hash(const char *s);
/* Both set and equal. */
bool str_eq(const char *a, const char *b);
/* Maps key to val unless key is there already (the first one stays).
 * Returns 0 or -ENOMEM. */
int strmap_add(struct strmap *m, const char *key, size_t val);
/* The value of key, or NULL. */
const size_t *strmap_get(const struct strmap *m, const char *key);
void strmap_free(struct strmap *m);

/* malloc'd printf, or NULL. */
char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reads the whole file at path into *ret (NUL-terminated, caller frees)
 * and *ret_len. A file over max bytes is refused with -EFBIG, so a wrong
 * path (a disk image, /dev/zero) cannot eat the machine. Returns 0 or
 * -errno. */
int read_file(const char *path, size_t max, char **ret, size_t *ret_len);

/* Levenshtein distance, capped: returns cap+1 when farther than cap. */
size_t str_distance(const char *a, const char *b, size_t cap);

/* Moves fd to a number >= FD_SETSIZE when the limit allows, and returns
 * the fd to use. A lab holds fds per namespace (handles, service sockets);
 * libnftables waits on its socket with select(), which aborts on fds >=
 * FD_SETSIZE: keep the low numbers for it. */
int fd_move_high(int fd);

/* Monotonic clock in seconds (for durations). */
double now_s(void);

#endif
