/* diagram.c - a lab as a Graphviz figure (diagram.h).
 *
 * Sits after model (and check) in the flow, beside print.c: it reads a
 * finished model and writes text, here DOT for Graphviz instead of a lab
 * file. Node IDs are resource names (unique lab-wide, and never starting
 * with "_" or holding "/"), so the text reads like the lab file; clusters
 * are "cluster_" plus a name, with "/" joining the parts of an AZ's or a
 * region's. Colours are those of AWS's architecture icons: orange
 * compute, purple networking, the region's teal, green public and blue
 * private subnets.
 *
 * Owns nothing beyond the text it returns; never prints. diagram_render,
 * at the end, writes the picture (through `dot` unless DOT is asked for).
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vpcemu/diagram.h"
#include "vpcemu/model.h"
#include "vpcemu/util.h"

#define COLOR_COMPUTE "#ED7100"
#define COLOR_NETWORK "#8C4FFF"
#define COLOR_REGION "#00A4A6"
#define COLOR_AZ "#147EBA"
#define COLOR_PUBLIC "#7AA116"
#define FILL_PUBLIC "#F2F6E8"
#define COLOR_PRIVATE "#147EBA"
#define FILL_PRIVATE "#E6F2F8"
#define COLOR_HOST "#7D8998"
#define COLOR_REACHABLE "#1D8102"
#define COLOR_BLOCKED "#D13212"

/* The node every internet gateway and internet host is joined to. */
#define INTERNET_NODE "_internet"

/* s as a DOT quoted string: a newline becomes a centred line break. */
static void quote(struct strbuf *b, const char *s)
{
	sb_puts(b, "\"");
	for (; *s; s++) {
		if (*s == '\n') {
			sb_puts(b, "\\n");
			continue;
		}
		if (*s == '"' || *s == '\\')
			sb_puts(b, "\\");
		sb_putn(b, s, 1);
	}
	sb_puts(b, "\"");
}

static void indent(struct strbuf *b, int depth)
{
	while (depth-- > 0)
		sb_puts(b, "\t");
}

/* One node: id [label=..., attrs]; the label is malloc'd and freed here
 * (NULL after an allocation failure: the strbuf is then failed too). */
static void node(struct strbuf *b, int depth, const char *id, char *label,
		 const char *attrs)
{
	indent(b, depth);
	quote(b, id);
	sb_puts(b, " [label=");
	quote(b, label ? label : "");
	if (!label)
		b->oom = true;
	sb_printf(b, "%s%s];\n", *attrs ? ", " : "", attrs);
	free(label);
}

/* A filled box in one of the icon colours, white text. */
static void box(struct strbuf *b, int depth, const char *id, char *label,
		const char *color)
{
	char attrs[64];

	snprintf(attrs, sizeof(attrs),
		 "fillcolor=\"%s\", fontcolor=white", color);
	node(b, depth, id, label, attrs);
}

/* An invisible point that edges to a cluster start from (ltail/lhead),
 * and that keeps an empty cluster drawn. */
static void anchor(struct strbuf *b, int depth, const char *id)
{
	node(b, depth, id, strdup(""), "shape=point, style=invis");
}

/* Opens a cluster: "cluster_" + part (+ "/" + part2 when given). */
static void cluster_open(struct strbuf *b, int depth, const char *part,
			 const char *part2, char *label, const char *attrs)
{
	indent(b, depth);
	sb_printf(b, "subgraph \"cluster_%s%s%s\" {\n", part,
		  part2 ? "/" : "", part2 ? part2 : "");
	indent(b, depth + 1);
	sb_puts(b, "label=");
	quote(b, label ? label : "");
	if (!label)
		b->oom = true;
	sb_printf(b, "; %s;\n", attrs);
	free(label);
}

static void cluster_close(struct strbuf *b, int depth)
{
	indent(b, depth);
	sb_puts(b, "}\n");
}

/* "\n198.51.100.7" when the ENI has a public IP, "" when not; buf holds
 * at least 17 bytes. */
static const char *public_line(const struct eni *e, char *buf)
{
	uint32_t pub = model_eni_public_ip(e);

	buf[0] = '\0';
	if (pub) {
		buf[0] = '\n';
		ip_fmt(pub, buf + 1);
	}
	return buf;
}

/* What sits in a subnet: an instance, a NAT gateway, an interface
 * endpoint's ENI, a load balancer's node. */
static void eni_node(struct strbuf *b, int depth, const struct eni *e)
{
	/* e->r.name: an instance's or NAT gateway's own name, else
	 * "OWNER-SUBNET"; expect lines to an address find it (node_of_ip). */
	char ip[16], pub[17];

	ip_fmt(e->ip, ip);
	if (e->instance) {
		box(b, depth, e->r.name,
		    str_printf("%s\n%s%s", e->instance->r.name, ip,
			       public_line(e, pub)),
		    COLOR_COMPUTE);
	} else if (e->nat) {
		box(b, depth, e->r.name,
		    str_printf("%s\nNAT gateway\n%s%s", e->nat->r.name, ip,
			       public_line(e, pub)),
		    COLOR_NETWORK);
	} else if (e->endpoint) {
		const struct endpoint *ep = e->endpoint;
		bool up = ep->state == ENDPOINT_AVAILABLE;

		box(b, depth, e->r.name,
		    str_printf("%s\nendpoint %s\n%s%s%s", ep->r.name,
			       ep->service_short, ip, up ? "" : "\n",
			       up ? "" : endpoint_state_name(ep->state)),
		    COLOR_NETWORK);
	} else if (e->lb) {
		box(b, depth, e->r.name,
		    str_printf("%s\n%s load balancer\n%s%s", e->lb->r.name,
			       e->lb->internet_facing ? "internet-facing"
						      : "internal",
			       ip, public_line(e, pub)),
		    COLOR_NETWORK);
	}
}

/* A subnet is public when its route table sends something to an
 * internet gateway: AWS's own definition. */
static bool subnet_public(const struct subnet *s)
{
	size_t i;

	for (i = 0; s->rt && i < s->rt->nroutes; i++)
		if (s->rt->routes[i].target &&
		    s->rt->routes[i].target->kind == RES_INTERNET_GATEWAY)
			return true;
	return false;
}

/* Whether s holds an ENI (else an anchor keeps its box drawn). */
static bool subnet_holds_any(const struct lab *lab, const struct subnet *s)
{
	size_t i;

	for (i = 0; i < lab->nenis; i++)
		if (lab->enis[i]->subnet == s)
			return true;
	return false;
}

static void subnet_cluster(struct strbuf *b, int depth, const struct lab *lab,
			   const struct subnet *s)
{
	bool pub = subnet_public(s);
	char cidr[20], attrs[128];
	size_t i;

	snprintf(attrs, sizeof(attrs),
		 "style=filled; color=\"%s\"; fillcolor=\"%s\"; "
		 "fontcolor=black",
		 pub ? COLOR_PUBLIC : COLOR_PRIVATE,
		 pub ? FILL_PUBLIC : FILL_PRIVATE);
	cluster_open(b, depth, s->r.name, NULL,
		     str_printf("%s\n%s %s subnet", s->r.name,
				cidr_fmt(s->cidr, cidr),
				pub ? "public" : "private"),
		     attrs);
	for (i = 0; i < lab->nenis; i++)
		if (lab->enis[i]->subnet == s)
			eni_node(b, depth + 1, lab->enis[i]);
	if (!subnet_holds_any(lab, s))
		anchor(b, depth + 1, s->r.name);
	cluster_close(b, depth);
}

/* Whether an earlier subnet of v has the AZ of subnets[i]. */
static bool az_seen(const struct lab *lab, const struct vpc *v, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (lab->subnets[j]->vpc == v &&
		    !strcmp(lab->subnets[j]->az, lab->subnets[i]->az))
			return true;
	return false;
}

/* Invisible edges that stack a VPC top-down as AWS figures do: its
 * internet gateway, then the box's anchor, then all it holds. Without
 * them every node is on the first rank and the gateway may end up below
 * the instances. */
static void vpc_order(struct strbuf *b, int depth, const struct lab *lab,
		      const struct vpc *v)
{
	const struct internet_gateway *g = internet_gateway_of(lab, v);
	size_t i;

	if (g) {
		indent(b, depth);
		sb_printf(b, "\"%s\" -> \"%s\" [style=invis];\n", g->r.name,
			  v->r.name);
	}
	for (i = 0; i < lab->nendpoints; i++) {
		if (lab->endpoints[i]->vpc != v ||
		    lab->endpoints[i]->type != ENDPOINT_GATEWAY)
			continue;
		indent(b, depth);
		sb_printf(b, "\"%s\" -> \"%s\" [style=invis];\n", v->r.name,
			  lab->endpoints[i]->r.name);
	}
	for (i = 0; i < lab->nenis; i++) {
		if (lab->enis[i]->subnet->vpc != v)
			continue;
		indent(b, depth);
		sb_printf(b, "\"%s\" -> \"%s\" [style=invis];\n", v->r.name,
			  lab->enis[i]->r.name);
	}
	for (i = 0; i < lab->nsubnets; i++) {
		if (lab->subnets[i]->vpc != v ||
		    subnet_holds_any(lab, lab->subnets[i]))
			continue;
		indent(b, depth);
		sb_printf(b, "\"%s\" -> \"%s\" [style=invis];\n", v->r.name,
			  lab->subnets[i]->r.name);
	}
}

static void vpc_cluster(struct strbuf *b, int depth, const struct lab *lab,
			const struct vpc *v)
{
	const struct res_list *igws = &lab->res[RES_INTERNET_GATEWAY];
	struct strbuf label = { 0 };
	char cidr[20];
	size_t i, j;

	sb_puts(&label, v->r.name);
	for (i = 0; i < v->ncidrs; i++)
		sb_printf(&label, "\n%s", cidr_fmt(v->cidrs[i], cidr));
	cluster_open(b, depth, v->r.name, NULL, sb_take(&label),
		     "style=solid; color=\"" COLOR_NETWORK "\"; "
		     "fontcolor=black; penwidth=2");
	/* The VPC's own name is free as a node ID: names are unique. */
	anchor(b, depth + 1, v->r.name);
	for (i = 0; i < igws->n; i++) {
		const struct internet_gateway *g = (void *)igws->v[i];

		if (g->vpc == v)
			box(b, depth + 1, g->r.name,
			    str_printf("%s\ninternet gateway", g->r.name),
			    COLOR_NETWORK);
	}
	for (i = 0; i < lab->nendpoints; i++) {
		const struct endpoint *ep = lab->endpoints[i];

		if (ep->vpc == v && ep->type == ENDPOINT_GATEWAY)
			box(b, depth + 1, ep->r.name,
			    str_printf("%s\ngateway endpoint %s", ep->r.name,
				       ep->service_short),
			    COLOR_NETWORK);
	}
	for (i = 0; i < lab->nsubnets; i++) {
		const char *az = lab->subnets[i]->az;

		if (lab->subnets[i]->vpc != v || az_seen(lab, v, i))
			continue;
		cluster_open(b, depth + 1, v->r.name, az, strdup(az),
			     "style=dashed; color=\"" COLOR_AZ "\"; "
			     "fontcolor=\"" COLOR_AZ "\"");
		for (j = i; j < lab->nsubnets; j++)
			if (lab->subnets[j]->vpc == v &&
			    !strcmp(lab->subnets[j]->az, az))
				subnet_cluster(b, depth + 2, lab,
					       lab->subnets[j]);
		cluster_close(b, depth + 1);
	}
	vpc_order(b, depth + 1, lab, v);
	cluster_close(b, depth);
}

/* Whether the lab's own region holds something besides VPCs: transit
 * gateways and detached internet gateways are drawn there. */
static bool lab_region_has_more(const struct lab *lab)
{
	const struct res_list *igws = &lab->res[RES_INTERNET_GATEWAY];
	size_t i;

	if (lab->res[RES_TRANSIT_GATEWAY].n)
		return true;
	for (i = 0; i < igws->n; i++)
		if (!((const struct internet_gateway *)igws->v[i])->vpc)
			return true;
	return false;
}

static void region_cluster(struct strbuf *b, const struct lab *lab,
			   const char *region)
{
	const struct res_list *igws = &lab->res[RES_INTERNET_GATEWAY];
	const struct res_list *tgws = &lab->res[RES_TRANSIT_GATEWAY];
	size_t i;

	cluster_open(b, 1, "region", region, str_printf("Region %s", region),
		     "style=dashed; color=\"" COLOR_REGION "\"; fontcolor=\""
		     COLOR_REGION "\"");
	for (i = 0; i < lab->nvpcs; i++)
		if (!strcmp(lab->vpcs[i]->region, region))
			vpc_cluster(b, 2, lab, lab->vpcs[i]);
	if (strcmp(region, lab->region)) {
		cluster_close(b, 1);
		return;
	}
	for (i = 0; i < tgws->n; i++) {
		const struct transit_gateway *g = (void *)tgws->v[i];

		box(b, 2, g->r.name,
		    str_printf("%s\ntransit gateway\nASN %lu", g->r.name,
			       g->asn),
		    COLOR_NETWORK);
	}
	for (i = 0; i < igws->n; i++) {
		const struct internet_gateway *g = (void *)igws->v[i];

		if (!g->vpc)
			node(b, 2, g->r.name,
			     str_printf("%s\ninternet gateway\n(detached)",
					g->r.name),
			     "style=\"rounded,dashed\"");
	}
	cluster_close(b, 1);
}

/* Whether region was drawn already: an earlier VPC has it. */
static bool region_seen(const struct lab *lab, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (!strcmp(lab->vpcs[j]->region, lab->vpcs[i]->region))
			return true;
	return false;
}

static void regions(struct strbuf *b, const struct lab *lab)
{
	bool own = false;
	size_t i;

	for (i = 0; i < lab->nvpcs; i++) {
		if (region_seen(lab, i))
			continue;
		region_cluster(b, lab, lab->vpcs[i]->region);
		own = own || !strcmp(lab->vpcs[i]->region, lab->region);
	}
	if (!own && lab_region_has_more(lab))
		region_cluster(b, lab, lab->region);
}

/* The internet: one node, the hosts on it and the gateways to it. */
static void internet(struct strbuf *b, const struct lab *lab)
{
	const struct res_list *igws = &lab->res[RES_INTERNET_GATEWAY];
	const struct res_list *hosts = &lab->res[RES_INTERNET_HOST];
	bool attached = false;
	char ip[16];
	size_t i;

	for (i = 0; i < igws->n; i++)
		attached = attached ||
			   ((const struct internet_gateway *)igws->v[i])->vpc;
	if (!attached && !hosts->n)
		return;
	node(b, 1, INTERNET_NODE, strdup("Internet"),
	     "shape=ellipse, style=dashed");
	for (i = 0; i < hosts->n; i++) {
		const struct internet_host *h = (void *)hosts->v[i];

		box(b, 1, h->r.name,
		    str_printf("%s\n%s", h->r.name, ip_fmt(h->ip, ip)),
		    COLOR_HOST);
		sb_printf(b, "\t\"%s\" -> \"" INTERNET_NODE "\" [dir=none];\n",
			  h->r.name);
	}
	for (i = 0; i < igws->n; i++) {
		const struct internet_gateway *g = (void *)igws->v[i];

		if (g->vpc)
			sb_printf(b, "\t\"" INTERNET_NODE "\" -> \"%s\" "
				  "[dir=none];\n", g->r.name);
	}
}

/* An edge between the boxes of two VPCs (or from a node to a box: tail
 * NULL), clipped at the boxes' borders. */
static void vpc_edge(struct strbuf *b, const char *from, const char *tail,
		     const char *to, char *label, const char *attrs)
{
	sb_printf(b, "\t\"%s\" -> \"%s\" [", from, to);
	if (tail)
		sb_printf(b, "ltail=\"cluster_%s\", ", tail);
	sb_printf(b, "lhead=\"cluster_%s\", dir=none, label=", to);
	quote(b, label ? label : "");
	if (!label)
		b->oom = true;
	sb_printf(b, ", %s];\n", attrs);
	free(label);
}

static void peerings(struct strbuf *b, const struct lab *lab)
{
	size_t i;

	for (i = 0; i < lab->npeerings; i++) {
		const struct peering *p = lab->peerings[i];

		vpc_edge(b, p->requester->r.name, p->requester->r.name,
			 p->accepter->r.name,
			 str_printf("%s\n%s", p->r.name,
				    peering_status_name(p->status)),
			 p->status == PEERING_ACTIVE
				 ? "color=\"" COLOR_NETWORK "\", penwidth=2, "
				   "constraint=false"
				 : "color=\"" COLOR_HOST "\", style=dashed, "
				   "constraint=false");
	}
}

static void tgw_attachments(struct strbuf *b, const struct lab *lab)
{
	const struct res_list *atts = &lab->res[RES_TGW_ATTACHMENT];
	size_t i;

	for (i = 0; i < atts->n; i++) {
		const struct tgw_attachment *a = (void *)atts->v[i];
		const struct tgw_route_table *t = tgw_association_of(a);

		vpc_edge(b, a->tgw->r.name, NULL, a->vpc->r.name,
			 str_printf("%s\n%s%s", a->r.name,
				    t ? "route table " : "no route table",
				    t ? t->r.name : ""),
			 "color=\"" COLOR_NETWORK "\"");
	}
}

/* PrivateLink: an edge from each endpoint to a service to the service's
 * first load balancer node, labelled with the service and the state of
 * the connection. */
static void privatelinks(struct strbuf *b, const struct lab *lab)
{
	size_t i;

	for (i = 0; i < lab->nendpoints; i++) {
		const struct endpoint *ep = lab->endpoints[i];
		const struct endpoint_service *svc = ep->svc;

		if (!svc || !ep->nenis || !svc->nlbs || !svc->lbs[0]->nenis)
			continue;
		sb_printf(b, "\t\"%s\" -> \"%s\" [label=\"%s\\n%s\", "
			  "color=\"" COLOR_NETWORK "\", style=dotted, "
			  "constraint=false];\n",
			  ep->enis[0]->r.name, svc->lbs[0]->enis[0]->r.name,
			  svc->r.name, endpoint_state_name(ep->state));
	}
}

/* The node that holds ip, for an expect line from src: an ENI of src's
 * VPC first (two VPCs may have the same block), then any ENI by private
 * or public IP, then an internet host; NULL when none. */
static const char *node_of_ip(const struct lab *lab, const struct res *src,
			      uint32_t ip)
{
	const struct res_list *hosts = &lab->res[RES_INTERNET_HOST];
	const struct vpc *near = src->kind == RES_INSTANCE
		? ((const struct instance *)src)->subnet->vpc : NULL;
	const struct eni *any = NULL;
	size_t i;

	for (i = 0; i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];

		if (e->ip == ip && e->subnet->vpc == near)
			return e->r.name;
		if (!any && (e->ip == ip || model_eni_public_ip(e) == ip))
			any = e;
	}
	if (any)
		return any->r.name;
	for (i = 0; i < hosts->n; i++)
		if (((const struct internet_host *)hosts->v[i])->ip == ip)
			return hosts->v[i]->name;
	return NULL;
}

static void expects(struct strbuf *b, const struct lab *lab)
{
	char ip[16], rule[32];
	size_t i;

	for (i = 0; i < lab->nexpects; i++) {
		const struct expect *e = &lab->expects[i];
		const char *dst = e->dst ? e->dst->name
					 : node_of_ip(lab, e->src, e->dst_ip);
		const char *color = e->reachable ? COLOR_REACHABLE
						 : COLOR_BLOCKED;

		if (e->proto.kind == PROTO_ICMP)
			snprintf(rule, sizeof(rule), "icmp");
		else
			snprintf(rule, sizeof(rule), "%s %u",
				 e->proto.kind == PROTO_TCP ? "tcp" : "udp",
				 e->proto.port_lo);
		if (!dst) {
			/* An address nobody in the lab holds: a node of
			 * its own, outside every box. */
			dst = ip_fmt(e->dst_ip, ip);
			node(b, 1, dst, strdup(dst), "shape=plaintext");
		}
		sb_printf(b, "\t\"%s\" -> \"%s\" [label=\"%s\", color=\"%s\", "
			  "fontcolor=\"%s\", constraint=false, %s];\n",
			  e->src->name, dst, rule, color, color,
			  e->reachable ? "penwidth=2"
				       : "style=dashed, arrowhead=tee");
	}
}

char *diagram_dot(const struct lab *lab)
{
	struct strbuf b = { 0 };

	sb_puts(&b, "digraph ");
	quote(&b, lab->name);
	sb_puts(&b, " {\n");
	sb_puts(&b, "\tgraph [label=");
	quote(&b, lab->name);
	/* compound: edges clipped at cluster borders (peerings, TGW
	 * attachments); newrank: one rank for all clusters, so that VPCs
	 * stand side by side below the internet and transit gateways (the
	 * edges between VPCs do not rank: constraint=false). */
	sb_puts(&b, ", labelloc=t, fontname=\"Helvetica\", fontsize=14, "
		    "compound=true, newrank=true, nodesep=0.3];\n"
		    "\tnode [shape=box, style=\"rounded,filled\", "
		    "fontname=\"Helvetica\", fontsize=10];\n"
		    "\tedge [fontname=\"Helvetica\", fontsize=9];\n");
	regions(&b, lab);
	internet(&b, lab);
	peerings(&b, lab);
	tgw_attachments(&b, lab);
	privatelinks(&b, lab);
	expects(&b, lab);
	sb_puts(&b, "}\n");
	return sb_take(&b);
}

/* --format dot: the text itself, no Graphviz needed. */
static int write_text(const char *dot, const char *output)
{
	FILE *f = output ? fopen(output, "we") : stdout;
	int r = 0;

	if (!f)
		return -errno;
	if (fputs(dot, f) < 0)
		r = -errno;
	if ((output ? fclose(f) : fflush(f)) && !r)
		r = -errno;
	return r;
}

int diagram_render(const char *dot, const char *format, const char *output)
{
	if (!strcmp(format, "dot"))
		return write_text(dot, output);
	char type[32];
	char *argv[] = { "dot", type, output ? "-o" : NULL, (char *)output,
			 NULL };
	posix_spawn_file_actions_t fa;
	size_t len = strlen(dot), off = 0;
	int p[2], r, status;
	pid_t pid;

	snprintf(type, sizeof(type), "-T%s", format);
	/* A socket, not a pipe: send's MSG_NOSIGNAL turns a dot that exits
	 * before reading everything into EPIPE instead of a SIGPIPE that
	 * would kill the caller. dot reads its stdin with read(2) alike. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
		return -errno;
	r = posix_spawn_file_actions_init(&fa);
	if (!r)
		r = posix_spawn_file_actions_adddup2(&fa, p[0], STDIN_FILENO);
	/* glibc's posix_spawnp reports a failed exec as its own error, so
	 * ENOENT here means no dot on PATH. */
	if (!r)
		r = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[0]);
	if (r) {
		close(p[1]);
		return -r;
	}
	while (off < len) {
		ssize_t n = send(p[1], dot + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;	/* dot exited early: its status says why */
		off += (size_t)n;
	}
	close(p[1]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) && off == len
		       ? 0
		       : -EIO;
}
