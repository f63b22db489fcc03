/* dlog.h - vpcemud's log: one line per event, to syslog, or to stderr when
 * the daemon runs in the foreground.
 */
#ifndef VPCEMU_DLOG_H
#define VPCEMU_DLOG_H

#include <stdbool.h>

/* Where lines go from now on: stderr (foreground) or syslog, which the
 * caller has opened (openlog). Syslog until told. */
void dlog_set_foreground(bool foreground);

/* Logs one event at syslog priority prio, with the lab when there is one
 * ("lab=NAME "); the message names the resource (the lab errors do).
 * Control characters become '?': names and paths come from clients. */
void dlog(int prio, const char *lab, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
