/* dlog.c - vpcemud's log (dlog.h).
 *
 * Owns only the choice between syslog and stderr; every module of the
 * daemon (daemon.c, ctlsrv.c, peer.c, request.c, ssmreq.c) logs here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <unistd.h>

#include "vpcemu/dlog.h"

static bool foreground;

void dlog_set_foreground(bool on)
{
	foreground = on;
}

void dlog(int prio, const char *lab, const char *fmt, ...)
{
	char msg[1024], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Names and paths come from clients: one event stays one line. */
	for (p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (foreground)
		fprintf(stderr, "vpcemud[%d]: %s%s%s%s\n", (int)getpid(),
			lab ? "lab=" : "", lab ? lab : "", lab ? " " : "", msg);
	else
		syslog(prio, "%s%s%s%s", lab ? "lab=" : "", lab ? lab : "",
		       lab ? " " : "", msg);
}
