/* diagram.h - a lab drawn the way AWS architecture figures are, as
 * Graphviz DOT text, and that text rendered by Graphviz's `dot` program.
 *
 * diagram_dot() is pure: the model in, text out (golden-tested). Region,
 * VPC, Availability Zone and subnet are nested clusters; instances, NAT
 * gateways, interface endpoint ENIs and load balancer nodes sit in their
 * subnets; internet and gateway endpoints in their VPC; transit gateways
 * in their region; internet hosts outside, joined to one "Internet" node.
 * Peerings are edges between VPC boxes labelled with their status,
 * transit gateway attachments edges from the gateway to a VPC box, an
 * endpoint to an endpoint service a dotted edge to its load balancer, and
 * every expect line an edge from its source to its destination: green
 * when it says reachable, red when it says blocked (what the file
 * expects, not a probe's result: `vpcemu test` runs those).
 *
 * diagram_render() is the one impure part: it writes the text, or has
 * `dot` render it.
 */
#ifndef VPCEMU_DIAGRAM_H
#define VPCEMU_DIAGRAM_H

struct lab;

/* The lab as one DOT digraph, malloc'd (caller frees), or NULL on
 * ENOMEM. The same model gives the same bytes. */
char *diagram_dot(const struct lab *lab);

/* Writes the picture of dot (a DOT text) in format to output, or to our
 * stdout when output is NULL: format "dot" is the text itself; any other
 * is a Graphviz output format ("svg", "png") that `dot -Tformat` makes.
 * Returns 0, -ENOENT when no `dot` program is on PATH (format "dot": the
 * output path's), -EIO when dot failed (it said why on stderr), or
 * -errno. */
int diagram_render(const char *dot, const char *format, const char *output);

#endif
