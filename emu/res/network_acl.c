/* res/network_acl.c - the network ACL: numbered stateless entries.
 *
 * nftables chains in the routers (nftgen.c); here the block, the rules of
 * §5, printing and describing.
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
#include "vpcemu/restype.h"

#define NACLS_PER_VPC_MAX 200 /* default included */
/* AWS's 20 per direction counts the built-in '*' rule, which the
 * model does not store, so 19 numbered entries fit (our inference). */
#define NACL_ENTRIES_PER_DIR_MAX 19

/* ---- lab file -------------------------------------------------------- */

/* Keeps entries sorted by direction then number; equal keys keep file
 * order (duplicates are check.c's to report). */
struct nacl_entry *nacl_insert(struct build *b, struct nacl *n,
			       enum direction dir, unsigned number)
{
	struct nacl_entry *e = MODEL_PUSH(b, n->entries, n->nentries);
	size_t pos;

	if (!e)
		return NULL;
	for (pos = n->nentries - 1; pos > 0; pos--) {
		const struct nacl_entry *p = &n->entries[pos - 1];

		if (p->dir < dir || (p->dir == dir && p->number <= number))
			break;
	}
	memmove(&n->entries[pos + 1], &n->entries[pos],
		(n->nentries - 1 - pos) * sizeof(*e));
	e = &n->entries[pos];
	memset(e, 0, sizeof(*e));
	e->dir = dir;
	e->number = number;
	return e;
}

/* ingress N allow|deny RULE from CIDR / egress N allow|deny RULE to CIDR */
static void parse_nacl_entry(struct build *b, struct nacl *n,
			     const struct conf_stmt *st, enum direction dir)
{
	const char *sep = dir == DIR_INGRESS ? "from" : "to";
	const char *form = dir == DIR_INGRESS
			       ? "ingress N allow|deny RULE from CIDR"
			       : "egress N allow|deny RULE to CIDR";
	struct nacl_entry *e;
	struct proto_match pm;
	enum nacl_action action;
	unsigned long num;
	struct cidr c;
	size_t i = 3;

	if (st->n < 3) {
		diag_error(b->d, st->w[st->n - 1].at, "InvalidParameterValue",
			   "Incomplete network ACL entry: expected %s", form);
		return;
	}
	if (model_parse_num(st->w[1].text, strlen(st->w[1].text), 32766,
			    &num) ||
	    num < 1) {
		diag_error(b->d, st->w[1].at, "InvalidParameterValue",
			   "Invalid rule number '%s': expected 1 to 32766",
			   st->w[1].text);
		return;
	}
	if (!strcmp(st->w[2].text, "allow")) {
		action = NACL_ALLOW;
	} else if (!strcmp(st->w[2].text, "deny")) {
		action = NACL_DENY;
	} else {
		diag_error(b->d, st->w[2].at, "InvalidParameterValue",
			   "Invalid rule action '%s': expected allow or deny",
			   st->w[2].text);
		return;
	}
	if (!model_parse_proto(b, st, &i, sep, false, &pm) ||
	    !model_expect_word(b, st, &i, sep, form))
		return;
	if (i >= st->n) {
		diag_error(b->d, st->w[i - 1].at, "InvalidParameterValue",
			   "'%s' needs a CIDR", sep);
		return;
	}
	if (!model_get_cidr(b, &st->w[i], &c))
		return;
	if (i + 1 < st->n) {
		diag_error(b->d, st->w[i + 1].at, "InvalidParameterValue",
			   "Unexpected '%s': a network ACL entry has one CIDR",
			   st->w[i + 1].text);
		return;
	}
	e = nacl_insert(b, n, dir, (unsigned)num);
	if (!e)
		return;
	e->action = action;
	e->proto = pm;
	e->cidr = c;
	e->at = st->w[0].at;
	e->number_at = st->w[1].at;
}

static void nacl_parse(struct build *b, struct res *res,
		       const struct conf_block *blk)
{
	struct nacl *n = (struct nacl *)res;
	static const struct attr attrs[] = {
	    {"vpc", A_REQ},
	    {"associate", A_REP},
	    {"ingress", A_REP},
	    {"egress", A_REP},
	};
	enum { N_VPC, N_ASSOC, N_INGRESS, N_EGRESS };
	const struct conf_stmt *seen[ARRAY_SIZE(attrs)] = { 0 };
	size_t i;

	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];

		switch (model_attr_find(b, "network-acl", attrs,
					ARRAY_SIZE(attrs), seen, st)) {
		case N_VPC:
			if (model_want(b, st, 1, 1))
				n->vpc = (struct vpc *)model_resolve(b, RES_VPC,
								     &st->w[1]);
			break;
		case N_ASSOC:
			model_parse_assoc(b, st, &n->assoc, &n->nassoc,
					  &n->assoc_at);
			break;
		case N_INGRESS:
			parse_nacl_entry(b, n, st, DIR_INGRESS);
			break;
		case N_EGRESS:
			parse_nacl_entry(b, n, st, DIR_EGRESS);
			break;
		}
	}
	model_attrs_required(b, &n->r, attrs, ARRAY_SIZE(attrs), seen);
}

/* ---- rules ----------------------------------------------------------- */

static size_t nacl_quota_rank(const struct lab *lab, size_t i)
{
	const struct nacl *n = lab->nacls[i];
	size_t j, rank = 0;

	if (n->r.implicit)
		return SIZE_MAX;
	for (j = 0; j < lab->nnacls; j++) {
		const struct nacl *o = lab->nacls[j];

		if (o->vpc == n->vpc && (j < i || o->r.implicit))
			rank++;
	}
	return rank;
}

static void nacl_assoc_view(const struct res *r, struct check_assoc *ret)
{
	const struct nacl *n = (const struct nacl *)r;

	*ret = (struct check_assoc){ r, n->vpc, n->assoc, n->nassoc,
				     n->assoc_at };
}

static void check_nacls(struct lab *lab, struct diags *d)
{
	size_t i, j, k;

	for (i = 0; i < lab->nnacls; i++) {
		struct nacl *n = lab->nacls[i];
		if (!n->vpc)
			continue;
		/* 200 network ACLs per VPC, the default included. */
		if (nacl_quota_rank(lab, i) == NACLS_PER_VPC_MAX)
			diag_error(
			    d, n->r.at, "NetworkAclLimitExceeded",
			    "The maximum number of network ACLs has been reached. (%d per VPC, the default one included; %s is one too many in %s)",
			    NACLS_PER_VPC_MAX, n->r.name, n->vpc->r.name);

		/* Entries are sorted by number, so "earlier" means earlier
		 * in the file: compare places. */
		for (j = 0; j < n->nentries; j++) {
			struct nacl_entry *e = &n->entries[j];
			struct place at = check_pick(e->number_at, e->at);
			size_t before = 0;
			bool dup = false;

			for (k = 0; k < n->nentries; k++) {
				struct nacl_entry *o = &n->entries[k];

				if (k == j || o->dir != e->dir ||
				    !check_place_before(
					check_pick(o->number_at, o->at), at))
					continue;
				before++;
				if (o->number == e->number)
					dup = true;
			}
			/* a number once per direction. */
			if (dup)
				diag_error(
				    d, at, "NetworkAclEntryAlreadyExists",
				    "The network acl entry identified by %u already exists.",
				    e->number);
			/* 20 rules per direction, '*' included. */
			if (before == NACL_ENTRIES_PER_DIR_MAX)
				diag_error(
				    d, at, "NetworkAclEntryLimitExceeded",
				    "The maximum number of network acl entries has been reached. (%d %s entries in %s, plus the final '*')",
				    NACL_ENTRIES_PER_DIR_MAX,
				    e->dir == DIR_EGRESS ? "egress" : "ingress",
				    n->r.name);
		}
	}
	check_assocs(lab, RES_NACL, nacl_assoc_view, d);
}

/* ---- printed back ---------------------------------------------------- */

static void nacl_print(struct printer *p, const struct res *res)
{
	const struct nacl *n = (const struct nacl *)res;
	size_t i;

	if (n->r.implicit) {
		print_check_implicit_nacl(p, n);
		return;
	}
	if (!print_res_ok(p, &n->r))
		return;
	print_block_open(p, &n->r);
	sb_puts(&p->sb, "\tvpc");
	print_ref(p, n->vpc ? &n->vpc->r : NULL, &n->r);
	sb_puts(&p->sb, "\n");
	print_subnet_list(p, "associate", n->assoc, n->nassoc, &n->r);
	for (i = 0; i < n->nentries; i++) {
		const struct nacl_entry *e = &n->entries[i];
		bool in = e->dir == DIR_INGRESS;

		if (e->number < 1 || e->number > 32766) {
			print_fail(p, -EINVAL, &n->r);
			break;
		}
		sb_printf(&p->sb, "\t%s %u %s", in ? "ingress" : "egress",
			  e->number,
			  e->action == NACL_ALLOW ? "allow" : "deny");
		print_proto(p, &e->proto, &n->r);
		sb_puts(&p->sb, in ? " from" : " to");
		print_cidr(p, e->cidr);
		sb_puts(&p->sb, "\n");
	}
	print_block_close(p);
}

/* ---- EC2 API --------------------------------------------------------- */

static json_t *acl_entry(struct jb *b, const struct nacl_entry *e)
{
	json_t *o = jb_obj(b), *x;
	char pb[8];

	jb_put_cidr(b, o, "CidrBlock", e->cidr);
	jb_put_b(b, o, "Egress", e->dir == DIR_EGRESS);
	if (e->proto.kind == PROTO_ICMP) {
		x = jb_put(b, o, "IcmpTypeCode", jb_obj(b));
		jb_put_i(b, x, "Code", e->proto.icmp_code);
		jb_put_i(b, x, "Type", e->proto.icmp_type);
	}
	if (e->proto.kind == PROTO_TCP || e->proto.kind == PROTO_UDP) {
		x = jb_put(b, o, "PortRange", jb_obj(b));
		jb_put_i(b, x, "From", e->proto.port_lo);
		jb_put_i(b, x, "To", e->proto.port_hi);
	}
	snprintf(pb, sizeof(pb), "%d",
		 e->proto.kind == PROTO_ALL ? -1 : (int)e->proto.number);
	jb_put_s(b, o, "Protocol", pb);
	jb_put_s(b, o, "RuleAction",
		 e->action == NACL_ALLOW ? "allow" : "deny");
	jb_put_i(b, o, "RuleNumber", e->number);
	return o;
}

static json_t *acl_json(struct jb *b, const struct lab *lab,
			const struct nacl *n)
{
	json_t *o = jb_obj(b), *as, *es, *x;
	char id[MODEL_ID_MAX];
	size_t i;
	int dir;

	as = jb_put(b, o, "Associations", jb_arr(b));
	for (i = 0; i < lab->nsubnets; i++) {
		const struct subnet *s = lab->subnets[i];

		if (s->nacl != n)
			continue;
		x = jb_add(b, as, jb_obj(b));
		describe_acl_assoc_id(lab, n->r.id, s->r.id, id);
		jb_put_s(b, x, "NetworkAclAssociationId", id);
		jb_put_s(b, x, "NetworkAclId", n->r.id);
		jb_put_s(b, x, "SubnetId", s->r.id);
	}
	es = jb_put(b, o, "Entries", jb_arr(b));
	/* The API lists egress entries first, each direction by number,
	 * each ending with the catch-all '*' (32767, R-5.4). */
	for (dir = DIR_EGRESS; dir >= DIR_INGRESS; dir--) {
		struct nacl_entry star = {
			.dir = (enum direction)dir,
			.number = 32767,
			.action = NACL_DENY,
			.proto = { .kind = PROTO_ALL, .port_hi = 65535,
				   .icmp_type = -1, .icmp_code = -1 },
		};

		for (i = 0; i < n->nentries; i++)
			if (n->entries[i].dir == (enum direction)dir)
				jb_add(b, es, acl_entry(b, &n->entries[i]));
		jb_add(b, es, acl_entry(b, &star));
	}
	jb_put_b(b, o, "IsDefault", n->is_default);
	jb_put_s(b, o, "NetworkAclId", n->r.id);
	jb_put_tags(b, o, &n->r);
	jb_put_s(b, o, "VpcId", n->vpc ? n->vpc->r.id : "");
	jb_put_s(b, o, "OwnerId", describe_owner(lab, n->vpc));
	return o;
}

/* A network ACL row with its entries, "*" for the catch-all 32767. */
static void nacl_table(struct strbuf *sb, const json_t *o)
{
	const json_t *x;
	size_t j;
	char nbuf[32];

	sb_printf(sb, "  %-24s %-22s %s%s\n", describe_tag_name(o),
		  describe_jstr(o, "NetworkAclId"), describe_jstr(o, "VpcId"),
		  json_is_true(json_object_get(o, "IsDefault")) ?
			  " (default)" : "");
	json_array_foreach(json_object_get(o, "Entries"), j, x) {
		long long n =
		    json_integer_value(json_object_get(x, "RuleNumber"));

		if (n == 32767)
			snprintf(nbuf, sizeof(nbuf), "*");
		else
			snprintf(nbuf, sizeof(nbuf), "%lld", n);
		sb_printf(sb, "    %-3s %-5s %-5s proto %-3s %s\n",
			  json_is_true(json_object_get(x, "Egress")) ?
				  "out" : "in",
			  nbuf, describe_jstr(x, "RuleAction"), describe_jstr(x, "Protocol"),
			  describe_jstr(x, "CidrBlock"));
	}
}

static void nacl_details(struct strbuf *sb, const struct lab *lab,
			 const struct res *r)
{
	const struct nacl *n = (const struct nacl *)r;

	sb_printf(sb, "vpc=%s%s entries=%zu", n->vpc->r.name,
		  n->is_default ? " default" : "", n->nentries);
}

static void nacl_describe(struct jb *b, json_t *a, const struct lab *lab,
			  const struct ec2_state *st, time_t now,
			  const struct res *r)
{
	jb_add(b, a, acl_json(b, lab, (const struct nacl *)r));
}

static void nacl_free(struct res *r)
{
	struct nacl *n = (struct nacl *)r;

	free(n->assoc);
	free(n->assoc_at);
	free(n->entries);
}

const struct res_type res_type_network_acl = {
	.keyword = "network-acl",
	.id_prefix = "acl-",
	.noun = "network ACL",
	.notfound = "InvalidNetworkAclID.NotFound",
	.size = sizeof(struct nacl),
	.describe_what = "network-acls",
	.describe_key = "NetworkAcls",
	.parse = nacl_parse,
	.check = check_nacls,
	.print = nacl_print,
	.describe = nacl_describe,
	.table = nacl_table,
	.details = nacl_details,
	.free = nacl_free,
};
