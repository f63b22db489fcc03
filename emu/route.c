/* route.c - routes and policy rules inside a namespace.
 *
 * One request per object through the handle's rtnetlink socket (queued
 * when the executor asks for it: link_request). Tables
 * above 255 travel as RTA_TABLE / FRA_TABLE (u32); libnl fills both the
 * 8-bit header field and the attribute, and the kernel prefers the
 * attribute.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>

#include "vpcemu/link.h"
#include "vpcemu/netns.h"
#include "vpcemu/plan.h"
#include "vpcemu/route.h"

/* An IPv4 nl_addr of addr/len (host order); NULL on allocation failure. */
static struct nl_addr *ipv4_addr(uint32_t addr, uint8_t len)
{
	uint32_t be = htonl(addr);
	struct nl_addr *a;

	a = nl_addr_build(AF_INET, &be, sizeof(be));
	if (a)
		nl_addr_set_prefixlen(a, len);
	return a;
}

/* A libnl route holding r's key (family, table, destination) and
 * protocol; *ret is the caller's (rtnl_route_put). */
static int route_key(const struct plan_route *r, struct rtnl_route **ret)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct nl_addr *dst = ipv4_addr(r->dst.addr, r->dst.len);
	int err = 0;

	if (!rt || !dst) {
		err = -ENOMEM;
		goto out;
	}
	rtnl_route_set_family(rt, AF_INET);
	rtnl_route_set_table(rt, r->table);
	rtnl_route_set_protocol(rt, RTPROT_STATIC);
	err = link_errno(rtnl_route_set_dst(rt, dst));
out:
	if (dst)
		nl_addr_put(dst);
	if (err && rt) {
		rtnl_route_put(rt);
		rt = NULL;
	}
	*ret = rt;
	return err;
}

/* The scope route_add gives r: a blackhole route or one through a gateway
 * is universe, one without a gateway is on the link (the ENI /32s, the
 * peering's proxy ARP). */
static uint8_t route_scope(const struct plan_route *r)
{
	return r->type == PLAN_ROUTE_BLACKHOLE || r->gateway ? RT_SCOPE_UNIVERSE
							    : RT_SCOPE_LINK;
}

int route_add(struct nsh *ns, const struct plan_route *r)
{
	struct rtnl_route *rt = NULL;
	struct rtnl_nexthop *nh = NULL;
	struct nl_addr *gw = NULL;
	struct nl_msg *msg;
	int ifindex, err;

	if (r->dst.len > 32)
		return -EINVAL;
	err = route_key(r, &rt);
	if (err < 0)
		goto out;
	if (r->type == PLAN_ROUTE_BLACKHOLE) {
		err = link_errno(rtnl_route_set_type(rt, RTN_BLACKHOLE));
		if (err < 0)
			goto out;
	} else {
		ifindex = link_ifindex(ns, r->dev);
		if (ifindex < 0) {
			err = ifindex;
			goto out;
		}
		err = link_errno(rtnl_route_set_type(rt, RTN_UNICAST));
		if (err < 0)
			goto out;
		nh = rtnl_route_nh_alloc();
		if (!nh) {
			err = -ENOMEM;
			goto out;
		}
		rtnl_route_nh_set_ifindex(nh, ifindex);
		if (r->gateway) {
			gw = ipv4_addr(r->gateway, 32);
			if (!gw) {
				err = -ENOMEM;
				goto out;
			}
			rtnl_route_nh_set_gateway(nh, gw);
		}
		rtnl_route_add_nexthop(rt, nh);	/* rt owns nh now */
		nh = NULL;
	}
	rtnl_route_set_scope(rt, route_scope(r));
	/* NLM_F_REPLACE: create, or replace the route with the same key
	 * whatever its next hop or type, so the kernel ends as planned. */
	err = link_errno(rtnl_route_build_add_request(rt, NLM_F_REPLACE, &msg));
	if (!err)
		err = link_errno(link_request(ns, msg, 0, 0));
out:
	if (nh)
		rtnl_route_nh_free(nh);
	if (gw)
		nl_addr_put(gw);
	if (rt)
		rtnl_route_put(rt);
	return err;
}

int route_del(struct nsh *ns, const struct plan_route *r)
{
	struct rtnl_route *rt = NULL;
	struct nl_msg *msg;
	int err;

	if (r->dst.len > 32)
		return -EINVAL;
	err = route_key(r, &rt);
	if (err < 0)
		goto out;
	/* Type unspecified and no next hop, as `ip route del` sends: the
	 * kernel then deletes whatever route holds the key, unicast or
	 * blackhole (fib_table_delete matches only what is given). The
	 * scope cannot be left "any" (RT_SCOPE_NOWHERE): libnl's
	 * build_route_msg replaces that with a guess, link for a route with
	 * no gateway, which no blackhole route matches; the delete then
	 * answered ESRCH, taken below for "not there", and the route
	 * stayed. So the scope is the one route_add gave. */
	err = link_errno(rtnl_route_set_type(rt, RTN_UNSPEC));
	if (err < 0)
		goto out;
	rtnl_route_set_scope(rt, route_scope(r));
	err = link_errno(rtnl_route_build_del_request(rt, 0, &msg));
	if (!err)
		err = link_errno(link_request(ns, msg, ENOENT, ESRCH));
	/* ESRCH: not there (its device went, or it never was). */
	if (err == -ENOENT || err == -ESRCH)
		err = 0;
out:
	if (rt)
		rtnl_route_put(rt);
	return err;
}

/* A libnl rule for r; *ret is the caller's (rtnl_rule_put). */
static int rule_build(const struct plan_rule *r, struct rtnl_rule **ret)
{
	struct rtnl_rule *rule;
	struct nl_addr *dst = NULL;
	int err = 0;

	*ret = NULL;
	if (r->dst.len > 32)
		return -EINVAL;
	rule = rtnl_rule_alloc();
	if (!rule)
		return -ENOMEM;
	/* Family is mandatory, and the action always explicit: the
	 * default 0 (FR_ACT_UNSPEC) is rejected with EINVAL. */
	rtnl_rule_set_family(rule, AF_INET);
	rtnl_rule_set_prio(rule, r->pref);
	if (r->action == PLAN_RULE_BLACKHOLE) {
		rtnl_rule_set_action(rule, FR_ACT_BLACKHOLE);
	} else {
		rtnl_rule_set_action(rule, FR_ACT_TO_TBL);
		rtnl_rule_set_table(rule, r->table);
	}
	if (r->fwmark) {
		rtnl_rule_set_mark(rule, r->fwmark);
		rtnl_rule_set_mask(rule, PLAN_MARK_NODE);
	}
	if (r->iif[0]) {
		err = link_errno(rtnl_rule_set_iif(rule, r->iif));
		if (err < 0)
			goto out;
	}
	if (r->dst.len) {
		dst = ipv4_addr(r->dst.addr, r->dst.len);
		if (!dst) {
			err = -ENOMEM;
			goto out;
		}
		err = link_errno(rtnl_rule_set_dst(rule, dst));
		if (err < 0)
			goto out;
	}
out:
	if (dst)
		nl_addr_put(dst);
	if (err < 0)
		rtnl_rule_put(rule);
	else
		*ret = rule;
	return err;
}

int rule_add(struct nsh *ns, const struct plan_rule *r)
{
	struct rtnl_rule *rule;
	struct nl_msg *msg;
	int err;

	err = rule_build(r, &rule);
	if (err < 0)
		return err;
	err = link_errno(rtnl_rule_build_add_request(rule, NLM_F_EXCL, &msg));
	if (!err)
		err = link_errno(link_request(ns, msg, EEXIST, 0));
	if (err == -EEXIST)
		err = 0;
	rtnl_rule_put(rule);
	return err;
}

int rule_del(struct nsh *ns, const struct plan_rule *r)
{
	struct rtnl_rule *rule;
	struct nl_msg *msg;
	int err;

	err = rule_build(r, &rule);
	if (err < 0)
		return err;
	/* fib_nl_delrule deletes the first rule that matches every
	 * attribute given: the table too, so a rule being replaced by one
	 * with the same pref, iif and destination is told apart. */
	err = link_errno(rtnl_rule_build_delete_request(rule, 0, &msg));
	if (!err)
		err = link_errno(link_request(ns, msg, ENOENT, 0));
	if (err == -ENOENT)
		err = 0;
	rtnl_rule_put(rule);
	return err;
}
