/* userdata.h - run an instance's user data once, without blocking the
 * daemon.
 *
 * userdata_start() runs the script with /bin/sh inside the instance's
 * namespace, as `ip netns exec NS /bin/sh SCRIPT` would (the namespace's
 * network, /etc/netns/NS files over /etc), stdout and stderr appended to a
 * log file, stdin /dev/null, through nsspawn.h: watched on the event loop,
 * reaped by its pid only.
 *
 * When the script runs and whether it already ran ("once") is the
 * caller's business, as is where the log lives.
 */
#ifndef VPCEMU_USERDATA_H
#define VPCEMU_USERDATA_H

#include <sys/types.h>

struct evloop;
struct nsexec_cred;
struct userdata_run;

/* status in shell convention: the script's exit code, 128 + the signal
 * that killed it, 126/127 when /bin/sh could not be executed, or -errno
 * when the namespace could not be entered (-ENOENT: it is gone). Called
 * exactly once, from the event loop; the run is freed before the call. */
typedef void (*userdata_done_fn)(void *data, int status);

/* Runs script (the bytes of instance_user_data(), copied) in namespace
 * netns; output is appended to log_path (created 0600 if missing: user
 * data and its output often hold secrets; owned by cred when set, so that
 * a member reads the log of its own script, and no other's), with hostname (the instance's
 * private DNS name; NULL: the host's) and as cred (NULL: root, as EC2
 * runs user data; else the identity of the lab's owner, who must not get
 * more than it has by writing a script). The child gets a fixed
 * environment (PATH, HOME=/root or / for cred, LANG=C), / as working
 * directory, default
 * signal dispositions and none of the daemon's file descriptors; it leads
 * its own process group.
 * Returns the run (owned by the loop until done runs or it is cancelled),
 * or NULL with errno set, done never called: EINVAL (NULL argument, bad
 * namespace name), ENOENT (no such namespace), the log's open(2) or
 * fchown(2) errno, ENOMEM, or nsspawn_start's errno. */
struct userdata_run *userdata_start(struct evloop *el, const char *netns,
				    const char *hostname,
				    const struct nsexec_cred *cred,
				    const char *script, const char *log_path,
				    userdata_done_fn done, void *data);

/* Kills the run's process group (SIGKILL), reaps the child, frees the
 * run; done is not called. A process that left the group (setsid) is not
 * reached. NULL is fine. */
void userdata_cancel(struct userdata_run *r);

/* The child's pid (its process group), for logs. */
pid_t userdata_pid(const struct userdata_run *r);

#endif
