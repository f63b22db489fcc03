/* evloop.c - the event loop of vpcemud (see evloop.h): epoll for file
 * descriptors, an unsorted array for timers.
 *
 * It owns its registrations, never the fds. Timers are few (peering expiry,
 * client idle sweeps, service housekeeping), so a linear scan per round
 * costs less than keeping a heap ordered.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "vpcemu/evloop.h"
#include "vpcemu/util.h"

#define EVLOOP_BATCH 64

struct ev_fd {
	evloop_fd_fn fn;
	void *data;
	unsigned mask;
	uint32_t gen;		/* which registration of this fd number */
	bool used;
};

struct ev_timer {
	uint64_t id;
	uint64_t when;		/* evloop_now_ms() at which it fires */
	uint64_t period;	/* 0: one-shot */
	evloop_timer_fn fn;
	void *data;
	bool dead;
};

struct evloop {
	int epfd;
	struct ev_fd *fds;	/* indexed by fd number */
	size_t fdcap;
	struct ev_timer *timers;
	size_t ntimers, timercap;
	uint64_t next_id;
	uint32_t gen;
	bool stop;
};

uint64_t evloop_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

struct evloop *evloop_new(void)
{
	struct evloop *el = calloc(1, sizeof(*el));

	if (!el)
		return NULL;
	el->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (el->epfd < 0) {
		int e = errno;

		free(el);
		errno = e;
		return NULL;
	}
	el->next_id = 1;
	return el;
}

void evloop_free(struct evloop *el)
{
	if (!el)
		return;
	close(el->epfd);
	free(el->fds);
	free(el->timers);
	free(el);
}

static uint32_t epoll_mask(unsigned mask)
{
	return (mask & EVLOOP_READ ? EPOLLIN | EPOLLRDHUP : 0) |
	       (mask & EVLOOP_WRITE ? EPOLLOUT : 0);
}

int evloop_add_fd(struct evloop *el, int fd, unsigned mask, evloop_fd_fn fn,
		  void *data)
{
	struct epoll_event ev = { 0 };
	struct ev_fd *f;
	int r;

	if (fd < 0 || !fn || mask & ~(EVLOOP_READ | EVLOOP_WRITE))
		return -EINVAL;
	if ((size_t)fd >= el->fdcap) {
		size_t cap = el->fdcap ? el->fdcap : 16;
		struct ev_fd *v;

		while (cap <= (size_t)fd)
			cap *= 2;
		v = realloc(el->fds, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		for (size_t i = el->fdcap; i < cap; i++)
			v[i] = (struct ev_fd){ 0 };
		el->fds = v;
		el->fdcap = cap;
	}
	f = &el->fds[fd];
	if (f->used)
		return -EEXIST;
	/* The generation travels with the event, so that an event already
	 * fetched for a registration deleted since (and perhaps for an fd
	 * number reused since) is recognised and dropped. */
	el->gen++;
	ev.events = epoll_mask(mask);
	ev.data.u64 = (uint64_t)el->gen << 32 | (uint32_t)fd;
	if (epoll_ctl(el->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		r = -errno;
		return r;
	}
	*f = (struct ev_fd){ .fn = fn, .data = data, .mask = mask,
			     .gen = el->gen, .used = true };
	return 0;
}

int evloop_mod_fd(struct evloop *el, int fd, unsigned mask)
{
	struct epoll_event ev = { 0 };
	struct ev_fd *f;

	if (fd < 0 || (size_t)fd >= el->fdcap || !el->fds[fd].used)
		return -ENOENT;
	if (mask & ~(EVLOOP_READ | EVLOOP_WRITE))
		return -EINVAL;
	f = &el->fds[fd];
	if (f->mask == mask)
		return 0;
	ev.events = epoll_mask(mask);
	ev.data.u64 = (uint64_t)f->gen << 32 | (uint32_t)fd;
	if (epoll_ctl(el->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	f->mask = mask;
	return 0;
}

void evloop_del_fd(struct evloop *el, int fd)
{
	if (fd < 0 || (size_t)fd >= el->fdcap || !el->fds[fd].used)
		return;
	/* May fail if the caller closed fd already; the kernel then dropped
	 * it from the epoll set by itself (unless a dup keeps it open, which
	 * the generation check covers). */
	epoll_ctl(el->epfd, EPOLL_CTL_DEL, fd, NULL);
	el->fds[fd] = (struct ev_fd){ 0 };
}

uint64_t evloop_add_timer(struct evloop *el, uint64_t delay_ms,
			  uint64_t period_ms, evloop_timer_fn fn, void *data)
{
	struct ev_timer *t;

	if (!fn) {
		errno = EINVAL;
		return 0;
	}
	t = VEC_PUSH(el->timers, el->ntimers, el->timercap);
	if (!t) {
		errno = ENOMEM;
		return 0;
	}
	*t = (struct ev_timer){ .id = el->next_id++,
				.when = evloop_now_ms() + delay_ms,
				.period = period_ms, .fn = fn, .data = data };
	return t->id;
}

int evloop_del_timer(struct evloop *el, uint64_t id)
{
	size_t i;

	for (i = 0; i < el->ntimers; i++) {
		if (el->timers[i].id == id && !el->timers[i].dead) {
			/* Removed from the array after the round, so that a
			 * timer callback may delete any timer safely. */
			el->timers[i].dead = true;
			return 0;
		}
	}
	return -ENOENT;
}

/* Milliseconds until the next timer, for epoll_wait: -1 when none. */
static int next_timeout(const struct evloop *el)
{
	uint64_t now = evloop_now_ms(), best = UINT64_MAX;
	size_t i;

	for (i = 0; i < el->ntimers; i++)
		if (!el->timers[i].dead && el->timers[i].when < best)
			best = el->timers[i].when;
	if (best == UINT64_MAX)
		return -1;
	if (best <= now)
		return 0;
	return best - now > INT_MAX ? INT_MAX : (int)(best - now);
}

static void run_timers(struct evloop *el)
{
	uint64_t now = evloop_now_ms();
	size_t i, j, n = el->ntimers;

	/* Index, not pointer: a callback may add timers and move the array.
	 * Timers added during this pass wait for the next round. */
	for (i = 0; i < n && !el->stop; i++) {
		struct ev_timer *t = &el->timers[i];
		evloop_timer_fn fn = t->fn;
		void *data = t->data;
		uint64_t id = t->id;

		if (t->dead || t->when > now)
			continue;
		if (t->period) {
			t->when += t->period;
			if (t->when <= now)
				t->when = now + t->period;
		} else {
			t->dead = true;
		}
		fn(el, id, data);
	}
	for (i = j = 0; i < el->ntimers; i++)
		if (!el->timers[i].dead)
			el->timers[j++] = el->timers[i];
	el->ntimers = j;
}

int evloop_run(struct evloop *el)
{
	struct epoll_event evs[EVLOOP_BATCH];
	int n, i;

	el->stop = false;
	while (!el->stop) {
		n = epoll_wait(el->epfd, evs, EVLOOP_BATCH, next_timeout(el));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n && !el->stop; i++) {
			int fd = (int)(uint32_t)evs[i].data.u64;
			uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
			uint32_t e = evs[i].events;
			unsigned got = 0;
			struct ev_fd *f;

			if ((size_t)fd >= el->fdcap)
				continue;
			f = &el->fds[fd];
			if (!f->used || f->gen != gen)
				continue;
			if (e & EPOLLIN && f->mask & EVLOOP_READ)
				got |= EVLOOP_READ;
			if (e & EPOLLOUT && f->mask & EVLOOP_WRITE)
				got |= EVLOOP_WRITE;
			if (e & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))
				got |= EVLOOP_ERROR;
			if (got)
				f->fn(el, fd, got, f->data);
		}
		if (!el->stop)
			run_timers(el);
	}
	return 0;
}

void evloop_stop(struct evloop *el)
{
	el->stop = true;
}
