/* ec2rules.c - the rule commands: authorize-/revoke-security-group-
 * ingress/egress and create-/replace-/delete-network-acl-entry, with the
 * protocol and port parsing the two share.
 *
 * Changes only the working copy's groups and ACLs (ec2ctx.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vpcemu/describe.h"
#include "vpcemu/ec2ctx.h"
#include "vpcemu/ec2rules.h"
#include "vpcemu/model.h"
#include "vpcemu/print.h"

static int parse_protocol(struct ec2ctx *c, const char *s,
			  struct proto_match *pm)
{
	long n;

	*pm = (struct proto_match){ .kind = PROTO_ALL, .port_hi = 65535,
				    .icmp_type = -1, .icmp_code = -1 };
	if (!s)
		return EFAIL(c, "MissingParameter",
			     "The request must contain the parameter ipProtocol");
	if (!strcmp(s, "-1") || !strcasecmp(s, "all"))
		return 0;
	if (!strcasecmp(s, "tcp") || !strcmp(s, "6")) {
		pm->kind = PROTO_TCP;
		pm->number = 6;
	} else if (!strcasecmp(s, "udp") || !strcmp(s, "17")) {
		pm->kind = PROTO_UDP;
		pm->number = 17;
	} else if (!strcasecmp(s, "icmp") || !strcmp(s, "1")) {
		pm->kind = PROTO_ICMP;
		pm->number = 1;
	} else if (!strcasecmp(s, "icmpv6") || !strcmp(s, "58")) {
		return EUNSUP(c, "IPv6 (icmpv6) rules are not supported by vpcemu yet");
	} else if (ec2ctx_parse_long(s, 0, 255, &n)) {
		pm->kind = PROTO_NUMBER;
		pm->number = (uint8_t)n;
	} else {
		return EFAIL(c, "InvalidParameterValue",
			     "Invalid value '%s' for IP protocol. Unknown protocol.",
			     s);
	}
	return 0;
}

/* FromPort/ToPort as AWS has them: ports for tcp/udp, type/code for icmp,
 * ignored otherwise. has_* false: not given. */
static int set_ports(struct ec2ctx *c, struct proto_match *pm, bool has_from,
		     long from, bool has_to, long to)
{
	if (pm->kind == PROTO_TCP || pm->kind == PROTO_UDP) {
		if (!has_from && !has_to)
			return 0;
		if (!has_from)
			from = to;
		if (!has_to)
			to = from;
		if (from == -1 && to == -1)
			return 0;
		if (from < 0 || to > 65535 || from > to)
			return EFAIL(c, "InvalidParameterValue",
				     "Invalid port range: from %ld to %ld",
				     from, to);
		pm->port_lo = (uint16_t)from;
		pm->port_hi = (uint16_t)to;
	} else if (pm->kind == PROTO_ICMP) {
		if (!has_from)
			from = -1;
		if (!has_to)
			to = -1;
		if (from < -1 || from > 255 || to < -1 || to > 255)
			return EFAIL(c, "InvalidParameterValue",
				     "Invalid ICMP type %ld or code %ld", from,
				     to);
		pm->icmp_type = (int)from;
		/* "All types" forces "all codes". */
		pm->icmp_code = from == -1 ? -1 : (int)to;
	}
	return 0;
}

/* CLI --port: "N", "N-M", "-1"; for icmp "TYPE" or "TYPE-CODE". */
static int parse_port_opt(struct ec2ctx *c, const char *s,
			  struct proto_match *pm)
{
	char a[16] = "", *dash;
	long from, to;

	if (!s)
		return 0;
	if (!strcmp(s, "-1"))
		return set_ports(c, pm, true, -1, true, -1);
	snprintf(a, sizeof(a), "%s", s);
	dash = strchr(a + 1, '-');
	if (dash)
		*dash = '\0';
	if (!ec2ctx_parse_long(a, -1, 65535, &from) ||
	    (dash && !ec2ctx_parse_long(dash + 1, -1, 65535, &to)))
		return EFAIL(c, "InvalidParameterValue",
			     "Invalid value '%s' for port", s);
	return set_ports(c, pm, true, from, !!dash, dash ? to : from);
}

/* ------------------------------------------------------------------ */
/* Security group rules */

static bool rule_same(const struct sg_rule *a, const struct sg_rule *b)
{
	const struct proto_match *x = &a->proto, *y = &b->proto;

	if (a->dir != b->dir || a->peer_kind != b->peer_kind ||
	    x->kind != y->kind)
		return false;
	if (a->peer_kind == SG_PEER_CIDR ?
		    (a->cidr.addr != b->cidr.addr || a->cidr.len != b->cidr.len) :
		    a->peer_sg != b->peer_sg)
		return false;
	switch (x->kind) {
	case PROTO_ALL:
		return true;
	case PROTO_NUMBER:
		return x->number == y->number;
	case PROTO_ICMP:
		return x->icmp_type == y->icmp_type &&
		       x->icmp_code == y->icmp_code;
	default:
		return x->port_lo == y->port_lo && x->port_hi == y->port_hi;
	}
}

struct rule_list {
	struct sg_rule *v;
	size_t n;
};

static void rule_list_free(struct rule_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].description);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int rule_push(struct ec2ctx *c, struct rule_list *l, enum direction dir,
		     const struct proto_match *pm, const struct cidr *cidr,
		     struct sg *peer, const char *desc)
{
	struct sg_rule *r;

	if (ec2ctx_grow((void **)&l->v, l->n, sizeof(*l->v)))
		return ENOMEM_FAIL(c);
	r = &l->v[l->n++];
	r->dir = dir;
	r->proto = *pm;
	if (cidr) {
		r->peer_kind = SG_PEER_CIDR;
		r->cidr = *cidr;
	} else {
		r->peer_kind = SG_PEER_SG;
		r->peer_sg = peer;
	}
	if (desc) {
		r->description = strdup(desc);
		if (!r->description)
			return ENOMEM_FAIL(c);
	}
	return 0;
}

static int perm_json(struct ec2ctx *c, const json_t *perm, enum direction dir,
		     struct rule_list *l)
{
	const json_t *proto = json_object_get(perm, "IpProtocol");
	const json_t *from = json_object_get(perm, "FromPort");
	const json_t *to = json_object_get(perm, "ToPort");
	const json_t *ranges = json_object_get(perm, "IpRanges");
	const json_t *pairs = json_object_get(perm, "UserIdGroupPairs");
	const json_t *x;
	struct proto_match pm;
	char pbuf[16];
	const char *ps;
	size_t i;
	int ret;

	if (json_array_size(json_object_get(perm, "Ipv6Ranges")) ||
	    json_array_size(json_object_get(perm, "PrefixListIds")))
		return EUNSUP(c, "IPv6 ranges and prefix lists in security group rules are not supported by vpcemu yet");
	if (json_is_integer(proto)) {
		snprintf(pbuf, sizeof(pbuf), "%lld",
			 (long long)json_integer_value(proto));
		ps = pbuf;
	} else {
		ps = json_string_value(proto);
	}
	ret = parse_protocol(c, ps, &pm);
	if (ret)
		return ret;
	if ((from && !json_is_integer(from)) || (to && !json_is_integer(to)))
		return EFAIL(c, "InvalidParameterValue",
			     "FromPort and ToPort must be integers");
	ret = set_ports(c, &pm, !!from, (long)json_integer_value(from), !!to,
			(long)json_integer_value(to));
	if (ret)
		return ret;
	json_array_foreach(ranges, i, x) {
		const char *cs = json_string_value(json_object_get(x, "CidrIp"));
		struct cidr cd;

		ret = ec2ctx_get_cidr(c, cs, "CidrIp", &cd);
		if (!ret)
			ret = rule_push(c, l, dir, &pm, &cd, NULL,
					json_string_value(json_object_get(
						x, "Description")));
		if (ret)
			return ret;
	}
	json_array_foreach(pairs, i, x) {
		const char *gs = json_string_value(json_object_get(x, "GroupId"));
		struct sg *g;

		if (!gs)
			gs = json_string_value(json_object_get(x, "GroupName"));
		g = ec2ctx_get_sg(c, gs, &ret);
		if (!g)
			return ret;
		ret = rule_push(c, l, dir, &pm, NULL, g,
				json_string_value(json_object_get(x,
								  "Description")));
		if (ret)
			return ret;
	}
	if (!json_array_size(ranges) && !json_array_size(pairs))
		return EFAIL(c, "MissingParameter",
			     "The request must contain a CIDR (IpRanges) or a group (UserIdGroupPairs) for each permission");
	return 0;
}

static int sg_perms(struct ec2ctx *c, enum direction dir, struct rule_list *l)
{
	const char *perms = ec2ctx_arg_get(c->a, "--ip-permissions", NULL);
	const char *proto = ec2ctx_arg_get(c->a, "--protocol", NULL);
	const char *port = ec2ctx_arg_get(c->a, "--port", NULL);
	const char *cidr = ec2ctx_arg_get(c->a, "--cidr", NULL);
	const char *src = ec2ctx_arg_get(c->a, "--source-group", NULL);
	struct proto_match pm;
	struct cidr cd;
	json_t *j, *x;
	size_t i;
	int ret = 0;

	if (!src)
		src = ec2ctx_arg_get(c->a, "--destination-group", NULL);
	if (perms) {
		json_error_t je;

		if (proto || port || cidr || src)
			return EFAIL(c, "InvalidParameterCombination",
				     "The parameter 'ipPermissions' may not be used in combination with 'protocol', 'port', 'cidr' or 'sourceGroup'");
		j = json_loads(perms, JSON_DECODE_ANY, &je);
		if (!j || !(json_is_array(j) || json_is_object(j))) {
			json_decref(j);
			return EFAIL(c, "InvalidParameterValue",
				     "--ip-permissions: expected JSON in the EC2 API's shape ([{\"IpProtocol\": ..., \"FromPort\": ..., \"ToPort\": ..., \"IpRanges\": [{\"CidrIp\": ...}]}])");
		}
		if (json_is_object(j)) {
			ret = perm_json(c, j, dir, l);
		} else {
			json_array_foreach(j, i, x) {
				ret = perm_json(c, x, dir, l);
				if (ret)
					break;
			}
		}
		json_decref(j);
		if (!ret && !l->n)
			ret = EFAIL(c, "MissingParameter",
				    "The request must contain the parameter ipPermissions");
		return ret;
	}
	ret = parse_protocol(c, proto, &pm);
	if (!ret)
		ret = parse_port_opt(c, port, &pm);
	if (ret)
		return ret;
	if (!!cidr == !!src)
		return EFAIL(c, "InvalidParameterCombination",
			     "Give exactly one of --cidr or --source-group");
	if (cidr) {
		ret = ec2ctx_get_cidr(c, cidr, "cidrIp", &cd);
		return ret ? ret : rule_push(c, l, dir, &pm, &cd, NULL, NULL);
	}
	{
		struct sg *g = ec2ctx_get_sg(c, src, &ret);

		return g ? rule_push(c, l, dir, &pm, NULL, g, NULL) : ret;
	}
}

/* Removes each rule of l from g; every one must be there. */
static int sg_revoke(struct ec2ctx *c, struct sg *g, const struct rule_list *l)
{
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		for (j = 0; j < g->nrules; j++)
			if (rule_same(&g->rules[j], &l->v[i]))
				break;
		if (j == g->nrules)
			return EFAIL(c, "InvalidPermission.NotFound",
				     "The specified rule does not exist in this security group.");
		free(g->rules[j].description);
		ec2ctx_remove_at(g->rules, &g->nrules, sizeof(*g->rules), j);
	}
	for (j = 0; j < g->nrules; j++)
		if (g->rules[j].dir == DIR_EGRESS)
			break;
	g->egress_none = j == g->nrules;
	c->out = json_pack("{s:b}", "Return", 1);
	return c->out ? 0 : ENOMEM_FAIL(c);
}

/* AWS refuses the whole call when any rule of l is already in g, or is
 * given twice. */
static int sg_check_duplicates(struct ec2ctx *c, const struct sg *g,
			       const struct rule_list *l)
{
	char text[160];
	size_t i, j;
	bool dup;

	for (i = 0; i < l->n; i++) {
		dup = false;
		for (j = 0; j < g->nrules && !dup; j++)
			dup = rule_same(&g->rules[j], &l->v[i]);
		for (j = 0; j < i && !dup; j++)
			dup = rule_same(&l->v[j], &l->v[i]);
		if (dup) {
			sg_rule_text(&l->v[i], text, sizeof(text));
			return EFAIL(c, "InvalidPermission.Duplicate",
				     "the specified rule \"%s\" already exists",
				     text);
		}
	}
	return 0;
}

/* Moves rule r into g and appends its description to rules. */
static int sg_insert(struct ec2ctx *c, struct sg *g, struct sg_rule *r,
		     json_t *rules)
{
	size_t j, at;
	json_t *o;

	/* After the last rule of the same direction, so that a group's
	 * default egress rule stays last (print.c). */
	at = r->dir == DIR_INGRESS ? 0 : g->nrules;
	for (j = 0; j < g->nrules; j++)
		if (g->rules[j].dir == r->dir)
			at = j + 1;
	if (ec2ctx_grow((void **)&g->rules, g->nrules, sizeof(*g->rules)))
		return ENOMEM_FAIL(c);
	memmove(&g->rules[at + 1], &g->rules[at],
		(g->nrules - at) * sizeof(*g->rules));
	g->rules[at] = *r;
	r->description = NULL;
	g->nrules++;
	o = describe_sg_rule(c->m, g, &g->rules[at]);
	if (!o || json_array_append_new(rules, o))
		return ENOMEM_FAIL(c);
	return 0;
}

/* Adds the rules of l to g; the output lists them as AWS describes them. */
static int sg_authorize(struct ec2ctx *c, struct sg *g, enum direction dir,
			struct rule_list *l)
{
	json_t *rules;
	size_t i;
	int ret;

	ret = sg_check_duplicates(c, g, l);
	if (ret)
		return ret;
	rules = json_array();
	if (!rules)
		return ENOMEM_FAIL(c);
	for (i = 0; i < l->n && !ret; i++)
		ret = sg_insert(c, g, &l->v[i], rules);
	if (!ret) {
		if (dir == DIR_EGRESS)
			g->egress_none = false;
		c->out = json_pack("{s:b, s:O}", "Return", 1,
				   "SecurityGroupRules", rules);
		ret = c->out ? 0 : ENOMEM_FAIL(c);
	}
	json_decref(rules);
	return ret;
}

int ec2rules_sg(struct ec2ctx *c, const char *cmd)
{
	bool authorize = !strncmp(cmd, "authorize", 9);
	enum direction dir = strstr(cmd, "egress") ? DIR_EGRESS : DIR_INGRESS;
	struct rule_list l = { 0 };
	struct sg *g;
	int ret = 0;

	g = ec2ctx_group_arg(c, &ret);
	if (!g)
		return ret;
	ret = sg_perms(c, dir, &l);
	if (!ret && g->r.implicit)
		ret = EUNSUP(c,
			     "Rules of the default security group %s (%s) cannot be kept in the lab file yet; change a group written in the lab",
			     g->r.name, g->r.id);
	if (!ret)
		ret = authorize ? sg_authorize(c, g, dir, &l) :
				  sg_revoke(c, g, &l);
	rule_list_free(&l);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Network ACL entries */

/* "From=1024,To=65535" / "Type=8,Code=-1", or the JSON form. */
static int kv_pair(struct ec2ctx *c, const char *s, const char *k1,
		   const char *k2, long *v1, long *v2, bool *has1, bool *has2)
{
	json_t *j = json_loads(s, JSON_DECODE_ANY, NULL);
	char key[16];
	const char *p = s;

	*has1 = *has2 = false;
	if (j) {
		json_t *a = json_object_get(j, k1), *b = json_object_get(j, k2);

		*has1 = json_is_integer(a);
		*has2 = json_is_integer(b);
		*v1 = (long)json_integer_value(a);
		*v2 = (long)json_integer_value(b);
		json_decref(j);
		return 0;
	}
	while (*p) {
		size_t kl = strcspn(p, "=");
		char num[24];
		size_t nl;
		long v;

		if (p[kl] != '=' || kl >= sizeof(key))
			goto bad;
		memcpy(key, p, kl);
		key[kl] = '\0';
		p += kl + 1;
		nl = strcspn(p, ",");
		if (nl >= sizeof(num))
			goto bad;
		memcpy(num, p, nl);
		num[nl] = '\0';
		if (!ec2ctx_parse_long(num, -1, 65535, &v))
			goto bad;
		if (!strcmp(key, k1)) {
			*v1 = v;
			*has1 = true;
		} else if (!strcmp(key, k2)) {
			*v2 = v;
			*has2 = true;
		} else {
			goto bad;
		}
		p += nl;
		if (*p == ',')
			p++;
	}
	return 0;
bad:
	return EFAIL(c, "InvalidParameterValue",
		     "Invalid value '%s': expected %s=N,%s=M", s, k1, k2);
}

/* The entry create- and replace-network-acl-entry describe, into *e. */
static int nacl_entry_parse(struct ec2ctx *c, struct nacl_entry *e)
{
	const char *proto, *action, *cidr, *ports, *icmp;
	long v1 = 0, v2 = 0;
	bool h1, h2, tcp_udp;
	int ret = 0;

	proto = ec2ctx_opt_req(c, "--protocol", "protocol", &ret);
	if (!proto)
		return ret;
	action = ec2ctx_opt_req(c, "--rule-action", "ruleAction", &ret);
	if (!action)
		return ret;
	cidr = ec2ctx_arg_get(c->a, "--cidr-block", NULL);
	if (!cidr) {
		if (ec2ctx_arg_index(c->a, "--ipv6-cidr-block") >= 0)
			return EUNSUP(c, "IPv6 network ACL entries are not supported by vpcemu yet");
		return EFAIL(c, "MissingParameter",
			     "The request must contain the parameter cidrBlock");
	}
	ports = ec2ctx_arg_get(c->a, "--port-range", NULL);
	icmp = ec2ctx_arg_get(c->a, "--icmp-type-code", NULL);
	if (!strcmp(action, "allow"))
		e->action = NACL_ALLOW;
	else if (!strcmp(action, "deny"))
		e->action = NACL_DENY;
	else
		return EFAIL(c, "InvalidParameterValue",
			     "Invalid value '%s' for ruleAction: expected allow or deny",
			     action);
	ret = parse_protocol(c, proto, &e->proto);
	if (!ret)
		ret = ec2ctx_get_cidr(c, cidr, "cidrBlock", &e->cidr);
	if (ret)
		return ret;
	tcp_udp = e->proto.kind == PROTO_TCP || e->proto.kind == PROTO_UDP;
	if (ports && tcp_udp) {
		ret = kv_pair(c, ports, "From", "To", &v1, &v2, &h1, &h2);
		if (!ret)
			ret = set_ports(c, &e->proto, h1, v1, h2, v2);
	} else if (tcp_udp) {
		ret = EFAIL(c, "InvalidParameterValue",
			    "TCP and UDP entries need --port-range From=N,To=M");
	}
	if (!ret && icmp && e->proto.kind == PROTO_ICMP) {
		ret = kv_pair(c, icmp, "Type", "Code", &v1, &v2, &h1, &h2);
		if (!ret)
			ret = set_ports(c, &e->proto, h1, v1, h2, v2);
	}
	return ret;
}

/* Adds e to n, keeping entries sorted by direction, then number
 * (model.h). */
static int nacl_insert(struct ec2ctx *c, struct nacl *n,
		       const struct nacl_entry *e)
{
	size_t at;

	for (at = 0; at < n->nentries; at++)
		if (n->entries[at].dir > e->dir ||
		    (n->entries[at].dir == e->dir &&
		     n->entries[at].number > e->number))
			break;
	if (ec2ctx_grow((void **)&n->entries, n->nentries,
			sizeof(*n->entries)))
		return ENOMEM_FAIL(c);
	memmove(&n->entries[at + 1], &n->entries[at],
		(n->nentries - at) * sizeof(*n->entries));
	n->entries[at] = *e;
	n->nentries++;
	return 0;
}

int ec2rules_nacl_entry(struct ec2ctx *c, const char *cmd)
{
	const char *aref, *num;
	bool egress = ec2ctx_arg_flag(c->a, "--egress");
	bool create = !strncmp(cmd, "create", 6);
	bool replace = !strncmp(cmd, "replace", 7);
	enum direction dir = egress ? DIR_EGRESS : DIR_INGRESS;
	struct nacl_entry e = { 0 }, *x = NULL;
	struct nacl *n;
	long number;
	size_t i;
	int ret = 0;

	if (ec2ctx_arg_flag(c->a, "--ingress") && egress)
		return EFAIL(c, "InvalidParameterCombination",
			     "Give --ingress or --egress, not both");
	ec2ctx_arg_flag(c->a, "--no-egress");
	aref = ec2ctx_opt_req(c, "--network-acl-id", "networkAclId", &ret);
	if (!aref)
		return ret;
	num = ec2ctx_opt_req(c, "--rule-number", "ruleNumber", &ret);
	if (!num)
		return ret;
	n = GET_ACL(c, aref, &ret);
	if (!n)
		return ret;
	if (!ec2ctx_parse_long(num, 1, 32766, &number))
		return EFAIL(c, "InvalidParameterValue",
			     "Invalid value '%s' for ruleNumber: must be from 1 to 32766",
			     num);
	for (i = 0; i < n->nentries; i++)
		if (n->entries[i].dir == dir &&
		    n->entries[i].number == (unsigned)number)
			x = &n->entries[i];
	if (!create && !x)
		return EFAIL(c, "InvalidNetworkAclEntry.NotFound",
			     "The network acl entry identified by %ld does not exist.",
			     number);
	if (create && x)
		return EFAIL(c, "NetworkAclEntryAlreadyExists",
			     "The network acl entry identified by %ld already exists.",
			     number);
	if (n->r.implicit)
		return EUNSUP(c,
			      "Entries of the default network ACL %s (%s) cannot be kept in the lab file yet; change a network ACL written in the lab",
			      n->r.name, n->r.id);
	if (!create && !replace) {
		ec2ctx_remove_at(n->entries, &n->nentries, sizeof(*n->entries),
				 (size_t)(x - n->entries));
	} else {
		e.dir = dir;
		e.number = (unsigned)number;
		ret = nacl_entry_parse(c, &e);
		if (ret)
			return ret;
		if (replace)
			*x = e;
		else
			ret = nacl_insert(c, n, &e);
		if (ret)
			return ret;
	}
	c->out = json_object();
	return c->out ? 0 : ENOMEM_FAIL(c);
}

