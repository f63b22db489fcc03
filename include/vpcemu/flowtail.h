/* flowtail.h - `vpcemu flow-logs tail`: a flow log's file, followed as
 * tail -f follows it.
 */
#ifndef VPCEMU_FLOWTAIL_H
#define VPCEMU_FLOWTAIL_H

struct lab;

/* Prints the last lines lines of the file of lab's flow log name (its
 * name or ID), then what is appended, until SIGINT or SIGTERM. Returns
 * the exit status: 0 after the signal, 1 when there is no such flow log
 * or its file cannot be read (said on stderr). */
int flowtail_run(const struct lab *lab, const char *name, unsigned lines);

#endif
