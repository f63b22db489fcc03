/* procs.h - the processes of an instance: a cgroup v2 group per namespace,
 * and stopping everything that runs in a lab's namespaces.
 *
 * Groups live under PROCS_GROUP_DIR of a cgroup2 mount: the host's if one
 * is mounted, else our own at PROCS_MOUNT (mounted once per host, private,
 * reused by every later call). A group is named after its namespace
 * ("LAB-EC2-A"); vpcemu puts there every process it starts inside an
 * instance (exec, user data, Session Manager shells). Processes that got in
 * another way (`ip netns exec` by hand) are found by their network
 * namespace, /proc/PID/ns/net, which is also all that is ever signalled:
 * a process whose network namespace is not one of the lab's is never
 * touched. One exception, by evidence: a member of an instance's group in
 * a namespace nobody names any more (not the caller's, not under
 * /run/netns) is that instance's, left in its namespace after the name
 * went (`ip netns del` by hand, a crash), and is stopped too.
 */
#ifndef VPCEMU_PROCS_H
#define VPCEMU_PROCS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROCS_MOUNT "/run/vpcemu/cgroup"
#define PROCS_GROUP_DIR "vpcemu"
/* Between SIGTERM and SIGKILL, as a shutting-down instance allows. */
#define PROCS_GRACE_MS 1000

/* In a child the daemon forked, before exec: every signal to its default
 * disposition and none blocked. The daemon's handlers write to its signal
 * pipe (a SIGTERM meant for the child must not stop the daemon), and
 * dispositions it ignores (SIGPIPE) would survive exec. Only
 * async-signal-safe calls. */
void procs_child_defaults(void);

/* The limits of an instance type; 0 is "no limit". */
struct procs_limits {
	unsigned vcpus;
	uint64_t mem_bytes;
};

/* Fills *ret with the limits of EC2 instance type type (t2.micro: 1 vCPU,
 * 1 GiB) from a small table. Returns 0, or -ENOENT for a type not in the
 * table (*ret zeroed: no limit). */
int procs_type_limits(const char *type, struct procs_limits *ret);

/* Writes into buf the directory that holds the groups (mounting cgroup2 at
 * PROCS_MOUNT when none is mounted) and creates it. Returns 0 or -errno
 * (-ENODEV: no cgroup2 in this kernel). */
int procs_root(char *buf, size_t len);

/* Creates the group of namespace netns (existing is fine) and opens its
 * cgroup.procs for writing: writing "0" to it moves the writer in, which
 * is async-signal-safe (nsexec.h). Returns the descriptor (close-on-exec;
 * caller closes) or -errno. */
int procs_group_open(const char *netns);

/* Creates the group of netns and sets lim where the controllers exist.
 * *ret_missing gets the names of the controllers lim needed and this
 * machine does not offer to our groups ("cpu", "memory", "cpu memory"), ""
 * when none. Returns 0 or -errno. */
int procs_group_limit(const char *netns, const struct procs_limits *lim,
		      const char **ret_missing);

/* Stops every process of the namespaces netns[0, n): members of their
 * groups and, found by /proc/PID/ns/net, any other process inside them
 * (never the caller). SIGTERM, grace_ms for them to go, then SIGKILL
 * (cgroup.kill for a group) until none is left, for a bounded time.
 * Missing namespaces and groups are fine. Returns the number of processes
 * signalled (>= 0), or -EBUSY when one survived, with *ret_pid and
 * *ret_netns (an element of netns) naming it. */
int procs_stop(char *const *netns, size_t n, unsigned grace_ms,
	       pid_t *ret_pid, const char **ret_netns);

/* Removes the group of netns once its processes are gone (waiting a
 * little: a killed process leaves its group as it exits). Missing is
 * fine. Returns 0 or -errno (-EBUSY: still populated). */
int procs_group_del(const char *netns);

/* Removes the groups of lab ("LAB-...") whose namespace is gone: left by a
 * down that removed the namespace while a process held it, or a crash.
 * Their members still inside that unmounted namespace are killed; members
 * in the caller's namespace or in a namespace under /run/netns are left
 * alone (and keep their group). *ret_left counts the groups that stay.
 * Returns 0 or -errno. */
int procs_sweep(const char *lab, size_t *ret_left);

#endif
