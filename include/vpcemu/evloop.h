/* evloop.h - a tiny event loop for vpcemud: file descriptors with a mask
 * and a callback, one-shot and periodic timers on CLOCK_MONOTONIC, run and
 * stop. The shape of redis' ae.h, on epoll only.
 *
 * The control socket and its clients live here today; the services (DNS,
 * IMDS, ...) will register sockets opened inside lab namespaces the same
 * way, so one thread serves them all.
 *
 * Callbacks may add or delete any fd or timer, including their own: an fd
 * deleted during a round gets no further callback in that round, even if
 * its number is reused at once.
 */
#ifndef VPCEMU_EVLOOP_H
#define VPCEMU_EVLOOP_H

#include <stdint.h>

struct evloop;

#define EVLOOP_READ	(1U << 0)
#define EVLOOP_WRITE	(1U << 1)
/* Reported only: the peer hung up or the fd has an error. Read or write to
 * find out which (a hang-up may still leave data to read). */
#define EVLOOP_ERROR	(1U << 2)

typedef void (*evloop_fd_fn)(struct evloop *el, int fd, unsigned events,
			     void *data);
typedef void (*evloop_timer_fn)(struct evloop *el, uint64_t id, void *data);

/* Returns a new loop, or NULL with errno set. */
struct evloop *evloop_new(void);
/* Frees the loop and its registrations; closes no registered fd. NULL ok. */
void evloop_free(struct evloop *el);

/* Watches fd for mask (EVLOOP_READ | EVLOOP_WRITE; 0 keeps it registered
 * but silent). fn gets the events that happened. Returns 0, -EEXIST when fd
 * is already registered, -EINVAL, -ENOMEM or epoll's -errno. The caller
 * keeps owning fd and must evloop_del_fd it before closing it. */
int evloop_add_fd(struct evloop *el, int fd, unsigned mask, evloop_fd_fn fn,
		  void *data);
/* Changes the mask of a registered fd. Returns 0, -ENOENT or -errno. */
int evloop_mod_fd(struct evloop *el, int fd, unsigned mask);
/* Forgets fd (not registered: nothing happens). */
void evloop_del_fd(struct evloop *el, int fd);

/* Calls fn after delay_ms, then every period_ms if period_ms is not 0 (a
 * periodic timer that fell behind skips the missed ticks rather than
 * firing in a burst). Returns the timer's id (> 0), or 0 with errno set
 * (ENOMEM). A one-shot timer is forgotten once it has fired. */
uint64_t evloop_add_timer(struct evloop *el, uint64_t delay_ms,
			  uint64_t period_ms, evloop_timer_fn fn, void *data);
/* Cancels a timer. Returns 0 or -ENOENT (unknown, or one-shot already
 * fired). */
int evloop_del_timer(struct evloop *el, uint64_t id);

/* Runs until evloop_stop. Returns 0 after a stop, or -errno when epoll
 * fails (EINTR is retried). */
int evloop_run(struct evloop *el);
/* Makes evloop_run return after the current round. */
void evloop_stop(struct evloop *el);

/* Milliseconds on CLOCK_MONOTONIC, the clock timers use. */
uint64_t evloop_now_ms(void);

#endif
