/* nftlb.c - PrivateLink's rulesets (see nftlb.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/addr.h"
#include "vpcemu/model.h"
#include "vpcemu/nftlb.h"
#include "vpcemu/nftutil.h"
#include "vpcemu/plan.h"
#include "vpcemu/util.h"

static const char *l4(enum lb_protocol p)
{
	return p == LB_UDP ? "udp" : "tcp";
}

/* Whether target t of tg may take a node's flows: in its AZ, unless the
 * load balancer is cross-zone. */
static bool in_reach(const struct eni *node, const struct lb_target *t)
{
	const struct subnet *ts = t->instance->subnet;

	return node->lb->cross_zone || !ts || !node->subnet ||
	       str_eq(ts->az, node->subnet->az);
}

/* The targets of tg this node sends new flows to: those up in reach, or,
 * when none is up, all in reach (fail open). Returns how many, marking
 * them in pick (tg->ntargets entries). */
static size_t pick_targets(const struct eni *node,
			   const struct target_group *tg, nftlb_up_fn up,
			   void *data, bool *pick)
{
	size_t i, n = 0;

	for (i = 0; i < tg->ntargets; i++) {
		pick[i] = in_reach(node, &tg->targets[i]) &&
			  (!up || up(data, tg, i));
		n += pick[i];
	}
	if (n)
		return n;
	for (i = 0; i < tg->ntargets; i++)
		n += pick[i] = in_reach(node, &tg->targets[i]);
	return n;
}

/* One listener's DNAT rule, or nothing when it has no target in reach
 * (the node's input chain then drops its packets). */
static void put_listener(struct strbuf *b, const struct eni *node,
			 const struct listener *l, nftlb_up_fn up, void *data)
{
	const struct target_group *tg = l->tg;
	const char *p = l4(l->protocol);
	char ip[IP_BUF];
	bool *pick;
	size_t i, n, k;

	if (!tg)
		return;
	pick = calloc(tg->ntargets + 1, sizeof(*pick));
	if (!pick) {
		b->oom = true;
		return;
	}
	n = pick_targets(node, tg, up, data, pick);
	nftutil_comment(b, "\t\t", "listener %s: %s %u -> %s", l->r.name,
			lb_protocol_name(l->protocol), l->port, tg->r.name);
	sb_puts(b, "\n");
	if (n)
		sb_printf(b,
			  "\t\tfib daddr type local %s dport %u dnat ip to "
			  "jhash ip saddr . %s sport mod %zu map { ",
			  p, l->port, p, n);
	for (i = k = 0; n && i < tg->ntargets; i++) {
		const struct lb_target *t = &tg->targets[i];

		if (!pick[i])
			continue;
		sb_printf(b, "%s%zu : %s . %u", k ? ", " : "", k,
			  ip_fmt(t->instance->private_ip, ip),
			  t->port ? t->port : tg->port);
		k++;
	}
	if (n)
		sb_puts(b, " }\n");
	free(pick);
}

/* Nothing reaches the namespace's own stack but replies: an NLB node and
 * an endpoint ENI answer nothing themselves. */
static void put_input(struct strbuf *b)
{
	sb_puts(b, "\tchain input {\n"
		   "\t\ttype filter hook input priority filter; "
		   "policy drop;\n"
		   "\t\tct state established,related accept\n"
		   "\t}\n");
}

static char *finish(struct strbuf *b)
{
	if (b->oom) {
		sb_free(b);
		errno = ENOMEM;
		return NULL;
	}
	return sb_take(b);
}

char *nftlb_node(const struct lab *lab, const struct eni *node,
		 nftlb_up_fn up, void *data)
{
	const struct res_list *ls = &lab->res[RES_LISTENER];
	struct strbuf b = { 0 };
	char ip[IP_BUF];
	size_t i;

	sb_puts(&b, "flush ruleset\n\ntable ip vpcemu {\n");
	nftutil_comment(&b, "\t", "load balancer %s %s, node in %s",
			node->lb->r.id, node->lb->r.name,
			node->subnet ? node->subnet->r.name : "?");
	/* Flows from a PrivateLink link are marked: they leave with the
	 * node's address; the others keep their client's, and the router
	 * brings the replies back (plan.c), unless the node has no number
	 * for that. */
	sb_puts(&b, "\n\n\tchain prerouting {\n"
		    "\t\ttype nat hook prerouting priority dstnat; "
		    "policy accept;\n"
		    "\t\tiifname != \"eth0\" ct state new ct mark set 0x1\n");
	for (i = 0; i < ls->n; i++) {
		const struct listener *l = (const struct listener *)ls->v[i];

		if (l->lb == node->lb)
			put_listener(&b, node, l, up, data);
	}
	sb_printf(&b,
		  "\t}\n\n"
		  "\tchain postrouting {\n"
		  "\t\ttype nat hook postrouting priority srcnat; "
		  "policy accept;\n"
		  "\t\tct status dnat %soifname \"eth0\" snat ip to %s\n"
		  "\t}\n\n",
		  plan_node_number(lab, node) ? "ct mark 0x1 " : "",
		  ip_fmt(node->ip, ip));
	put_input(&b);
	sb_puts(&b, "}\n");
	return finish(&b);
}

char *nftlb_endpoint(const struct lab *lab, const struct eni *eni,
		     uint32_t own_link, uint32_t node_link)
{
	const struct endpoint *e = eni->endpoint;
	const struct load_balancer *lb = e->svc->lbs[0];
	const struct res_list *ls = &lab->res[RES_LISTENER];
	struct strbuf b = { 0 }, ports = { 0 };
	char ip[IP_BUF], link[IP_BUF];
	size_t i;

	/* PrivateLink carries TCP only, once accepted. */
	for (i = 0; e->state == ENDPOINT_AVAILABLE && i < ls->n; i++) {
		const struct listener *l = (const struct listener *)ls->v[i];

		if (l->lb == lb && l->protocol == LB_TCP)
			sb_printf(&ports, "%s%u", ports.len ? ", " : "",
				  l->port);
	}
	sb_puts(&b, "flush ruleset\n\ntable ip vpcemu {\n");
	nftutil_comment(&b, "\t", "endpoint %s %s to %s: %s", e->r.id,
			e->r.name, e->svc->r.name,
			endpoint_state_name(e->state));
	sb_puts(&b, "\n\n\tchain prerouting {\n"
		    "\t\ttype nat hook prerouting priority dstnat; "
		    "policy accept;\n");
	if (ports.len)
		sb_printf(&b,
			  "\t\tiifname \"eth0\" ip daddr %s tcp dport { %s } "
			  "dnat ip to %s\n",
			  ip_fmt(eni->ip, ip), ports.s, ip_fmt(node_link, link));
	sb_printf(&b,
		  "\t}\n\n"
		  "\tchain postrouting {\n"
		  "\t\ttype nat hook postrouting priority srcnat; "
		  "policy accept;\n"
		  "\t\toifname \"" NFTLB_LINK "\" snat ip to %s\n"
		  "\t}\n\n",
		  ip_fmt(own_link, link));
	put_input(&b);
	sb_puts(&b, "}\n");
	b.oom |= ports.oom;
	sb_free(&ports);
	return finish(&b);
}
