/* res/security_group.c - the security group and its rules.
 *
 * nftables chains in the routers (nftgen.c); here the block, the rules of
 * §4 on a group's own rules and references, printing and describing. The
 * groups of one ENI together are check.c's (they span kinds).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/describe.h"
#include "vpcemu/peering.h"
#include "vpcemu/restype.h"

#define SG_RULES_PER_DIR_MAX 60 /* */

/* ---- lab file -------------------------------------------------------- */

/* Parses one SOURCE/DEST word into rule (peer fields only). */
/* A prefix list by name ("com.amazonaws.REGION.s3") or by ID, in the
 * region of any VPC of the lab (check_sgs wants the group's own): its
 * CIDR stands for it in the rule. VPCs are parsed before groups. */
static bool parse_prefix_list(struct build *b, const struct conf_word *w,
			      struct sg_rule *rule)
{
	const struct gateway_service *gs;
	char name[128], id[MODEL_ID_MAX];
	size_t i;

	for (i = 0; i < b->lab->nvpcs; i++) {
		const char *region = b->lab->vpcs[i]->region;

		for (gs = gateway_services; region && gs->name; gs++) {
			snprintf(name, sizeof(name), "com.amazonaws.%s.%s",
				 region, gs->name);
			gateway_prefix_list_id(id, name);
			if (strcmp(w->text, name) && strcmp(w->text, id))
				continue;
			rule->peer_kind = SG_PEER_CIDR;
			rule->cidr = gs->prefix;
			rule->prefix_list = gs;
			rule->prefix_list_region = region;
			return true;
		}
	}
	diag_error(b->d, w->at, "InvalidPrefixListID.NotFound",
		   "The prefix list ID '%s' does not exist", w->text);
	return false;
}

static bool parse_sg_peer(struct build *b, struct sg *g,
			  const struct conf_word *w, struct sg_rule *rule)
{
	const char *t = w->text;
	size_t i;

	rule->peer_at = w->at;
	if (!strncmp(t, "pl-", 3) || !strncmp(t, "com.amazonaws.", 14))
		return parse_prefix_list(b, w, rule);
	if (!strcmp(t, "self")) {
		rule->peer_kind = SG_PEER_SG;
		rule->peer_sg = g;
		return true;
	}
	/* Names may start with a digit, but never hold '/' and are never
	 * made of digits and dots alone: such a word is a CIDR. */
	for (i = 0; t[i] && ((t[i] >= '0' && t[i] <= '9') || t[i] == '.'); i++)
		;
	if (strchr(t, '/') || !t[i]) {
		rule->peer_kind = SG_PEER_CIDR;
		return model_get_cidr(b, w, &rule->cidr);
	}
	rule->peer_kind = SG_PEER_SG;
	rule->peer_sg = (struct sg *)model_resolve(b, RES_SG, w);
	return rule->peer_sg != NULL;
}

/* ingress RULE from SOURCE... ["TEXT"] / egress RULE to DEST... ["TEXT"] */
static void parse_sg_rule(struct build *b, struct sg *g,
			  const struct conf_stmt *st, enum direction dir)
{
	const char *sep = dir == DIR_INGRESS ? "from" : "to";
	const struct conf_word *desc = NULL;
	struct proto_match pm;
	size_t i = 1, end = st->n, j;

	if (!model_parse_proto(b, st, &i, sep, false, &pm))
		return;
	if (!model_expect_word(b, st, &i, sep,
			       dir == DIR_INGRESS
				   ? "ingress RULE from SOURCE..."
				   : "egress RULE to DEST..."))
		return;
	if (end > i && st->w[end - 1].quoted)
		desc = &st->w[--end];
	if (i >= end) {
		diag_error(
		    b->d, st->w[i - 1].at, "InvalidParameterValue",
		    "'%s' needs at least one %s: a CIDR, a security group or self",
		    sep, dir == DIR_INGRESS ? "source" : "destination");
		return;
	}
	for (j = i; j < end; j++) {
		struct sg_rule r = { .dir = dir, .proto = pm, .at = st->w[0].at };
		struct sg_rule *slot;

		if (st->w[j].quoted) {
			diag_error(
			    b->d, st->w[j].at, "InvalidParameterValue",
			    "Only the last word of a rule may be a quoted description");
			continue;
		}
		if (!parse_sg_peer(b, g, &st->w[j], &r))
			continue;
		if (desc) {
			r.description = model_strdup(b, desc->text);
			if (!r.description)
				return;
		}
		slot = MODEL_PUSH(b, g->rules, g->nrules);
		if (!slot) {
			free(r.description);
			return;
		}
		*slot = r;
	}
}

bool sg_push_rule(struct build *b, struct sg *g, enum direction dir,
		  struct place at)
{
	struct sg_rule *r = MODEL_PUSH(b, g->rules, g->nrules);

	if (!r)
		return false;
	r->dir = dir;
	model_proto_all(&r->proto);
	r->at = r->peer_at = at;
	if (dir == DIR_INGRESS) {
		r->peer_kind = SG_PEER_SG;
		r->peer_sg = g;
	} else {
		/* all to 0.0.0.0/0 */
		r->peer_kind = SG_PEER_CIDR;
	}
	return true;
}

static void sg_parse(struct build *b, struct res *res,
		     const struct conf_block *blk)
{
	struct sg *g = (struct sg *)res;
	static const struct attr attrs[] = {
	    {"vpc", A_REQ},
	    {"description", 0},
	    {"ingress", A_REP},
	    {"egress", A_REP},
	};
	enum { G_VPC, G_DESC, G_INGRESS, G_EGRESS };
	const struct conf_stmt *seen[ARRAY_SIZE(attrs)] = { 0 };
	const struct conf_stmt *none = NULL, *rule = NULL;
	size_t i;

	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];

		switch (model_attr_find(b, "security-group", attrs,
					ARRAY_SIZE(attrs), seen, st)) {
		case G_VPC:
			if (model_want(b, st, 1, 1))
				g->vpc = (struct vpc *)model_resolve(b, RES_VPC,
								     &st->w[1]);
			break;
		case G_DESC:
			if (model_want(b, st, 1, 1))
				model_get_str(b, &st->w[1], &g->description);
			break;
		case G_INGRESS:
			parse_sg_rule(b, g, st, DIR_INGRESS);
			break;
		case G_EGRESS:
			if (st->n >= 2 && !strcmp(st->w[1].text, "none")) {
				if (model_want(b, st, 1, 1) && !none)
					none = st;
				break;
			}
			if (!rule)
				rule = st;
			parse_sg_rule(b, g, st, DIR_EGRESS);
			break;
		}
	}
	model_attrs_required(b, &g->r, attrs, ARRAY_SIZE(attrs), seen);
	if (!g->description)
		g->description = model_strdup(b, "");
	if (none && rule) {
		diag_error(
		    b->d, none->w[1].at, "InvalidParameterValue",
		    "'egress none' cannot be combined with egress rules (line %u)",
		    rule->at.line);
	}
	g->egress_none = none != NULL;
	/* a group with no egress line keeps AWS's default rule. */
	if (!seen[G_EGRESS])
		sg_push_rule(b, g, DIR_EGRESS, g->r.at);
}

/* ---- rules ----------------------------------------------------------- */

static bool proto_eq(const struct proto_match *a, const struct proto_match *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case PROTO_ALL:
		return true;
	case PROTO_TCP:
	case PROTO_UDP:
		return a->port_lo == b->port_lo && a->port_hi == b->port_hi;
	case PROTO_ICMP:
		return a->icmp_type == b->icmp_type &&
		       a->icmp_code == b->icmp_code;
	case PROTO_NUMBER:
		return a->number == b->number;
	}
	return false;
}

static bool sg_rule_eq(const struct sg_rule *a, const struct sg_rule *b)
{
	if (a->dir != b->dir || a->peer_kind != b->peer_kind ||
	    a->prefix_list != b->prefix_list ||
	    !proto_eq(&a->proto, &b->proto))
		return false;
	if (a->peer_kind == SG_PEER_SG)
		return a->peer_sg == b->peer_sg;
	return cidr_eq(a->cidr, b->cidr);
}

/* InvalidPermission.Duplicate, in the shape AWS prints. */
static void report_dup_rule(const struct sg *g, const struct sg_rule *r,
			    struct diags *d)
{
	char text[160];

	sg_rule_text(r, text, sizeof(text));
	diag_error(
	    d, check_pick(r->peer_at, r->at), "InvalidPermission.Duplicate",
	    "the specified rule \"%s\" already exists in %s", text, g->r.name);
}

/* a rule naming a group of another VPC. */
static void check_sg_ref(struct lab *lab, const struct sg *g,
			 const struct sg_rule *r, struct diags *d)
{
	const struct sg *ref = r->peer_sg;
	const struct peering *p;
	struct place at = check_pick(r->peer_at, r->at);

	if (!ref || !g->vpc || !ref->vpc || ref->vpc == g->vpc)
		return;
	if (!str_eq(ref->vpc->region, g->vpc->region)) {
		diag_error(
		    d, at, "InvalidGroup.NotFound",
		    "You cannot reference security group '%s' (%s) of %s across regions (%s, %s); use the peer VPC's CIDR instead",
		    ref->r.name, ref->r.id, ref->vpc->r.name, ref->vpc->region,
		    g->vpc->region);
		return;
	}
	p = peering_between(lab, g->vpc, ref->vpc);
	if (!p)
		diag_error(
		    d, at, "InvalidGroup.NotFound",
		    "The security group '%s' (%s) does not exist in VPC '%s' (%s), and %s is not peered with it",
		    ref->r.name, ref->r.id, g->vpc->r.name, g->vpc->r.id,
		    ref->vpc->r.name);
	else if (p->status != PEERING_ACTIVE)
		diag_warning(
		    d, at, "Vpcemu.StaleReference",
		    "Security group %s is referenced across peering %s, which is %s: the rule will not match until the peering is active",
		    ref->r.name, p->r.name, peering_status_name(p->status));
}

static void check_sgs(struct lab *lab, struct diags *d)
{
	size_t i, j, k;

	for (i = 0; i < lab->nsgs; i++) {
		struct sg *g = lab->sgs[i];
		size_t count[2] = { 0, 0 };

		for (j = 0; j < g->nrules; j++) {
			struct sg_rule *r = &g->rules[j];
			unsigned dir = r->dir == DIR_EGRESS;

			/* 60 rules per direction. */
			if (++count[dir] == SG_RULES_PER_DIR_MAX + 1)
				diag_error(
				    d, r->at,
				    "RulesPerSecurityGroupLimitExceeded",
				    "The maximum number of rules per security group has been reached. (%d %s rules in %s)",
				    SG_RULES_PER_DIR_MAX,
				    dir ? "egress" : "ingress", g->r.name);

			/* an exact duplicate of an earlier rule. */
			for (k = 0; k < j; k++)
				if (sg_rule_eq(&g->rules[k], r)) {
					report_dup_rule(g, r, d);
					break;
				}

			if (r->peer_kind == SG_PEER_SG)
				check_sg_ref(lab, g, r, d);
			/* AWS-managed prefix lists are regional. */
			if (r->prefix_list && g->vpc && g->vpc->region &&
			    strcmp(r->prefix_list_region, g->vpc->region))
				diag_error(
				    d, check_pick(r->peer_at, r->at),
				    "InvalidPrefixListID.NotFound",
				    "The prefix list ID 'com.amazonaws.%s.%s' does not exist in %s, the region of %s",
				    r->prefix_list_region, r->prefix_list->name,
				    g->vpc->region, g->r.name);
		}
	}
}

/* ---- printed back ---------------------------------------------------- */

static void print_sg_rule(struct printer *p, const struct sg *g,
			  const struct sg_rule *x)
{
	bool in = x->dir == DIR_INGRESS;

	sb_puts(&p->sb, in ? "\tingress" : "\tegress");
	print_proto(p, &x->proto, &g->r);
	sb_puts(&p->sb, in ? " from" : " to");
	if (x->prefix_list)
		sb_printf(&p->sb, " com.amazonaws.%s.%s", x->prefix_list_region,
			  x->prefix_list->name);
	else if (x->peer_kind == SG_PEER_CIDR)
		print_cidr(p, x->cidr);
	else if (x->peer_sg == g)
		sb_puts(&p->sb, " self");
	else
		print_ref(p, x->peer_sg ? &x->peer_sg->r : NULL, &g->r);
	/* Always a string: the parser knows a description by its quotes. */
	if (x->description)
		print_str(p, x->description, true, &g->r);
	sb_puts(&p->sb, "\n");
}

static void sg_print(struct printer *p, const struct res *res)
{
	const struct sg *g = (const struct sg *)res;
	size_t i, negress = 0;
	bool skip_last = false;

	if (g->r.implicit) {
		print_check_implicit_sg(p, g);
		return;
	}
	if (!print_res_ok(p, &g->r))
		return;
	for (i = 0; i < g->nrules; i++)
		negress += g->rules[i].dir == DIR_EGRESS;
	/* With no egress line model_build appends the default egress rule
	 * after the others: leave it out only where it would come back to
	 * the same place. */
	if (negress == 1 && print_is_default_egress(&g->rules[g->nrules - 1]))
		skip_last = true;
	print_block_open(p, &g->r);
	sb_puts(&p->sb, "\tvpc");
	print_ref(p, g->vpc ? &g->vpc->r : NULL, &g->r);
	sb_puts(&p->sb, "\n");
	if (g->description && g->description[0]) {
		sb_puts(&p->sb, "\tdescription");
		print_str(p, g->description, true, &g->r);
		sb_puts(&p->sb, "\n");
	}
	for (i = 0; i < g->nrules - skip_last; i++)
		print_sg_rule(p, g, &g->rules[i]);
	/* The rules are the truth: egress_none set beside an egress rule
	 * (a daemon that authorized one and left the flag) is dropped. */
	if (!negress)
		sb_puts(&p->sb, "\tegress none\n");
	print_block_close(p);
}

/* ---- EC2 API --------------------------------------------------------- */

const char *sg_group_name(const struct sg *g)
{
	return g->is_default ? "default" : g->r.name;
}

static json_t *sg_json(struct jb *b, const struct lab *lab, const struct sg *g)
{
	json_t *o = jb_obj(b);

	jb_put_s(b, o, "Description", g->description ? g->description : "");
	jb_put_s(b, o, "GroupName", sg_group_name(g));
	jb_put(b, o, "IpPermissions", describe_perms(b, lab, g, DIR_INGRESS));
	jb_put_s(b, o, "OwnerId", describe_owner(lab, g->vpc));
	jb_put_s(b, o, "GroupId", g->r.id);
	jb_put(b, o, "IpPermissionsEgress",
	       describe_perms(b, lab, g, DIR_EGRESS));
	jb_put_tags(b, o, &g->r);
	jb_put_s(b, o, "VpcId", g->vpc ? g->vpc->r.id : "");
	return o;
}

/* A security group row with one line per rule and peer. */
static void sg_table(struct strbuf *sb, const json_t *o)
{
	static const char *const dirs[][2] = {
		{ "IpPermissions", "in " },
		{ "IpPermissionsEgress", "out" },
	};
	const json_t *x, *p;
	size_t d, j, k;
	char pbuf[32];

	sb_printf(sb, "  %-24s %-21s %s\n", describe_tag_name(o), describe_jstr(o, "GroupId"),
		  describe_jstr(o, "VpcId"));
	for (d = 0; d < 2; d++)
		json_array_foreach(json_object_get(o, dirs[d][0]), j, x) {
			describe_port_text(x, pbuf, sizeof(pbuf));
			json_array_foreach(json_object_get(x, "IpRanges"), k, p)
				sb_printf(sb, "    %s %-5s %-11s %s\n",
					  dirs[d][1], describe_jstr(x, "IpProtocol"),
					  pbuf, describe_jstr(p, "CidrIp"));
			json_array_foreach(json_object_get(x, "UserIdGroupPairs"), k, p)
				sb_printf(sb, "    %s %-5s %-11s %s\n",
					  dirs[d][1], describe_jstr(x, "IpProtocol"),
					  pbuf, describe_jstr(p, "GroupId"));
		}
}

static void sg_details(struct strbuf *sb, const struct lab *lab,
		       const struct res *r)
{
	const struct sg *g = (const struct sg *)r;
	size_t i;
	size_t in = 0;

	for (i = 0; i < g->nrules; i++)
		in += g->rules[i].dir == DIR_INGRESS;
	sb_printf(sb, "vpc=%s ingress=%zu egress=%zu", g->vpc->r.name, in,
		  g->nrules - in);
}

static void sg_describe(struct jb *b, json_t *a, const struct lab *lab,
			const struct ec2_state *st, time_t now,
			const struct res *r)
{
	jb_add(b, a, sg_json(b, lab, (const struct sg *)r));
}

static void sg_free(struct res *r)
{
	struct sg *g = (struct sg *)r;
	size_t j;

	for (j = 0; j < g->nrules; j++)
		free(g->rules[j].description);
	free(g->rules);
	free(g->description);
}

const struct res_type res_type_security_group = {
	.keyword = "security-group",
	.id_prefix = "sg-",
	.noun = "security group",
	.notfound = "InvalidGroup.NotFound",
	.size = sizeof(struct sg),
	.describe_what = "security-groups",
	.describe_key = "SecurityGroups",
	.parse = sg_parse,
	.check = check_sgs,
	.print = sg_print,
	.describe = sg_describe,
	.table = sg_table,
	.details = sg_details,
	.free = sg_free,
};
