/* model.c - the parsed lab file as typed AWS resources.
 *
 * Sits between conf (words with places) and check (AWS rules): gives every
 * block its type and stable ID, every attribute its meaning and default,
 * resolves references by name or ID, and adds what AWS creates implicitly
 * (per VPC: main route table, default network ACL, default security group;
 * per instance, NAT gateway, and subnet of an interface endpoint or load
 * balancer: ENIs with their addresses).
 *
 * The work runs in passes so that references may point forward:
 *  1. top-level settings (the lab name feeds every ID);
 *  2. one resource per block, with its name and ID, then the implicit ones;
 *  3. the attributes of each block, VPCs first (regions feed subnets and
 *     endpoints), instances after subnets (public-ip default);
 *  4. what depends on everything: main tables, effective associations, ENIs,
 *     automatic addresses, expect lines, array order.
 * Mistakes are queued in the caller's diags and the pass goes on, so the
 * model of a wrong file is partial but always safe to lab_free.
 *
 * struct lab owns everything below it (see model.h). Pointer arrays in
 * struct lab have no capacity field: model_push() keeps their allocation at the
 * next power of two of the count so it can be derived.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vpcemu/conf.h"
#include "vpcemu/model.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"


#define DEFAULT_REGION "us-east-1"
#define DEFAULT_ACCOUNT "111111111111"
#define NAME_MAX_LEN 48
#define SUGGEST_MAX 2		/* str_distance for "did you mean" */

#define RES_TYPE_ROW_(e, f) [RES_##e] = &res_type_##f,
const struct res_type *const res_types[RES__COUNT] = {
	RES_KINDS(RES_TYPE_ROW_)
};
#undef RES_TYPE_ROW_

/* Block types of docs/lab-conf.md that vpcemu does not build yet: a clear
 * error, not "unknown". */
static const char *const reserved_types[] = {
	"vpc-lattice-service", "egress-only-internet-gateway",
};

/* Prefixes of AWS IDs besides those of res_types[]: kinds not built yet
 * and IDs that are not resources of their own. A name made of a prefix and
 * 8 to 17 hex digits could be taken for an ID, since references accept
 * both. */
static const char *const other_id_prefixes[] = {
	"sgr-", "eigw-", "pl-",
};

/* ------------------------------------------------------------------ */
/* Small helpers */

void *model_push(struct build *b, void **v, size_t *n, size_t sz)
{
	size_t cap;
	void *p;

	if (*n == 0 || (*n >= 8 && !(*n & (*n - 1)))) {
		cap = *n ? *n * 2 : 8;
		p = reallocarray(*v, cap, sz);
		if (!p) {
			b->oom = true;
			return NULL;
		}
		*v = p;
	}
	p = (char *)*v + *n * sz;
	memset(p, 0, sz);
	(*n)++;
	return p;
}

char *model_strdup(struct build *b, const char *s)
{
	char *p = strdup(s ? s : "");

	if (!p)
		b->oom = true;
	return p;
}

char *model_printf(struct build *b, const char *fmt, ...)
{
	struct strbuf sb = { 0 };
	va_list ap;
	char *s;

	va_start(ap, fmt);
	sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	s = sb_take(&sb);
	if (!s)
		b->oom = true;
	return s;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static bool is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* [A-Za-z0-9][A-Za-z0-9._-]{0,47} */
static bool name_pattern_ok(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n < 1 || n > NAME_MAX_LEN || !is_alnum(s[0]))
		return false;
	for (i = 1; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '_' &&
		    s[i] != '-')
			return false;
	return true;
}

/* prefix followed by 8 to 17 lower-case hex digits, and nothing else. */
static bool is_hex_id(const char *s, const char *prefix)
{
	size_t pl = strlen(prefix), n, j;

	if (strncmp(s, prefix, pl))
		return false;
	n = strlen(s + pl);
	if (n < 8 || n > 17)
		return false;
	for (j = 0; j < n && is_hex_lower(s[pl + j]); j++)
		;
	return j == n;
}

bool model_name_looks_like_id(const char *s)
{
	size_t i, j;

	for (i = 0; i < RES__COUNT; i++)
		if (i != RES_IAM_ROLE && is_hex_id(s, res_types[i]->id_prefix))
			return true;
	for (i = 0; i < ARRAY_SIZE(other_id_prefixes); i++)
		if (is_hex_id(s, other_id_prefixes[i]))
			return true;
	/* IAM role IDs: AROA + 17 upper-case alphanumerics. */
	if (!strncmp(s, "AROA", 4) && strlen(s) == 21) {
		for (j = 4; j < 21; j++)
			if (!((s[j] >= 'A' && s[j] <= 'Z') ||
			      (s[j] >= '0' && s[j] <= '9')))
				break;
		if (j == 21)
			return true;
	}
	return false;
}

bool model_name_ok(const char *s)
{
	return name_pattern_ok(s) && !model_name_looks_like_id(s);
}

/* "Did you mean": the closest candidate within SUGGEST_MAX edits; a
 * difference in case alone counts as one edit. */
void model_suggest(struct suggest *s, const char *cand)
{
	size_t dd;

	if (!cand || !s->word || !strcmp(cand, s->word))
		return;
	dd = !strcasecmp(cand, s->word) ? 1 :
	     str_distance(s->word, cand, SUGGEST_MAX);
	if (dd <= SUGGEST_MAX && (!s->best || dd < s->dist)) {
		s->best = cand;
		s->dist = dd;
	}
}

void model_err_suggest(struct build *b, struct place at, const char *code,
		       const struct suggest *s, const char *fmt, ...)
{
	struct strbuf sb = { 0 };
	va_list ap;
	char *m;

	va_start(ap, fmt);
	sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	if (s && s->best)
		sb_printf(&sb, "; did you mean '%s'?", s->best);
	m = sb_take(&sb);
	diag_error(b->d, at, code, "%s", m ? m : "(out of memory)");
	free(m);
}

int model_parse_num(const char *s, size_t len, unsigned long max,
		    unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Kind names and lists */

const char *res_article(enum res_kind k)
{
	return strchr("AEIOUaeiou", res_types[k]->noun[0]) ? "an" : "a";
}

void res_cidr_list(struct strbuf *sb, const struct cidr *c, size_t n)
{
	char buf[CIDR_BUF];
	size_t i;

	for (i = 0; i < n; i++)
		sb_printf(sb, "%s%s", i ? "," : "", cidr_fmt(c[i], buf));
}

void res_sg_list(struct strbuf *sb, struct sg *const *sgs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sb_printf(sb, "%s%s", i ? "," : "", sgs[i]->r.name);
}

/* The kind whose blocks are written "type NAME { }", or RES__COUNT. */
static enum res_kind kind_of_block(const char *type)
{
	unsigned k;

	for (k = 0; k < RES__COUNT; k++)
		if (res_types[k]->parse && !strcmp(type, res_types[k]->keyword))
			return k;
	return RES__COUNT;
}

const char *res_kind_name(enum res_kind k)
{
	return (unsigned)k < RES__COUNT ? res_types[k]->keyword : "?";
}

int peering_status_parse(const char *name, enum peering_status *ret)
{
	enum peering_status s;

	for (s = PEERING_ACTIVE; s <= PEERING_EXPIRED; s++)
		if (!strcmp(peering_status_name(s), name)) {
			*ret = s;
			return 0;
		}
	return -EINVAL;
}

const char *peering_status_name(enum peering_status s)
{
	switch (s) {
	case PEERING_ACTIVE:
		return "active";
	case PEERING_PENDING_ACCEPTANCE:
		return "pending-acceptance";
	case PEERING_REJECTED:
		return "rejected";
	case PEERING_FAILED:
		return "failed";
	case PEERING_DELETED:
		return "deleted";
	case PEERING_EXPIRED:
		return "expired";
	}
	return "?";
}

/* ------------------------------------------------------------------ */
/* Resource arrays by kind */

struct res *model_find(const struct lab *lab, enum res_kind kind,
		       const char *name_or_id)
{
	unsigned k;
	size_t i;

	if (!lab || !name_or_id)
		return NULL;
	for (k = 0; k < RES__COUNT; k++) {
		if (kind != RES__COUNT && k != kind)
			continue;
		for (i = 0; i < lab->res[k].n; i++) {
			struct res *r = lab->res[k].v[i];

			if (str_eq(r->name, name_or_id) ||
			    !strcmp(r->id, name_or_id))
				return r;
		}
	}
	return NULL;
}

struct res *model_res_new(struct build *b, enum res_kind k, const char *name,
			  struct place at, bool implicit)
{
	const struct res_type *t = res_types[k];
	struct res_list *l = &b->lab->res[k];
	struct res *r = calloc(1, t->size);
	struct res **slot = r ? MODEL_PUSH(b, l->v, l->n) : NULL;

	if (!slot) {
		free(r);
		b->oom = true;
		return NULL;
	}
	*slot = r;
	r->kind = k;
	r->name = model_strdup(b, name);
	r->at = at;
	r->implicit = implicit;
	if (k == RES_IAM_ROLE)
		model_make_role_id(r->id, b->lab->name, name);
	else
		model_make_id(r->id, t->id_prefix, b->lab->name, t->keyword,
			      name);
	return r;
}

const struct name_ent *model_name_lookup(const struct build *b,
					 const char *name)
{
	const size_t *i = name ? strmap_get(&b->name_index, name) : NULL;

	return i ? &b->names[*i] : NULL;
}

static void name_describe(struct strbuf *sb, const struct name_ent *e)
{
	static const struct {
		const char *type, *what, *owner;
	} implicit_what[] = {
		{ "route-table", "main route table", "vpc" },
		{ "network-acl", "default network ACL", "vpc" },
		{ "security-group", "default security group", "vpc" },
		{ "transit-gateway-route-table", "default route table",
		  "transit-gateway" },
	};
	size_t i;

	if (!e->implicit) {
		sb_printf(sb, "the %s on line %u", e->type, e->at.line);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(implicit_what); i++)
		if (!strcmp(implicit_what[i].type, e->type))
			sb_printf(sb, "the %s of %s '%s' (line %u)",
				  implicit_what[i].what, implicit_what[i].owner,
				  e->vpc, e->at.line);
}

/* Registers a lab-wide name; a second use is reported at the explicit one
 * of the two (the later one when both are written). */
static void name_add(struct build *b, const char *name, const char *type,
		     struct place at, bool implicit, bool unsupported,
		     const char *vpc)
{
	const struct name_ent *old = model_name_lookup(b, name);
	struct name_ent *e;

	if (old) {
		struct name_ent cur = {
			.name = name, .type = type, .at = at,
			.implicit = implicit, .vpc = vpc,
		};
		const struct name_ent *first = implicit ? &cur : old;
		struct place where = implicit ? old->at : at;
		struct strbuf sb = { 0 };
		char *m;

		name_describe(&sb, first);
		m = sb_take(&sb);
		diag_error(b->d, where, "Vpcemu.DuplicateName",
			   "The name '%s' is already used by %s; names are unique across the lab",
			   name, m ? m : "another resource");
		free(m);
	}
	e = strmap_add(&b->name_index, name, b->nnames) ? NULL
		: VEC_PUSH(b->names, b->nnames, b->namescap);
	if (!e) {
		b->oom = true;
		return;
	}
	e->name = name;
	e->type = type;
	e->at = at;
	e->implicit = implicit;
	e->unsupported = unsupported;
	e->vpc = vpc;
}

void model_name_implicit(struct build *b, const struct res *r,
			 const char *type, const struct res *owner)
{
	name_add(b, r->name, type, owner->at, true, false, owner->name);
}

/* Validates a user-chosen name (resource or lab). */
static bool check_name(struct build *b, const char *name, struct place at,
		       const char *what)
{
	if (!name_pattern_ok(name)) {
		diag_error(b->d, at, "Vpcemu.InvalidName",
			   "The %s name '%s' is invalid: names are 1 to 48 of A-Z a-z 0-9 . _ - and start with a letter or digit",
			   what, name);
		return false;
	}
	if (model_name_looks_like_id(name)) {
		diag_error(b->d, at, "Vpcemu.InvalidName",
			   "The %s name '%s' looks like a resource ID; references accept IDs, so names must not look like one",
			   what, name);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Statements and values */


/* Finds st's keyword among attrs. Unknown and repeated non-repeatable
 * attributes are reported and give -1. seen[i] keeps the first use. */
int model_attr_find(struct build *b, const char *type, const struct attr *attrs,
		    size_t nattrs, const struct conf_stmt **seen,
		    const struct conf_stmt *st)
{
	const char *kw = st->w[0].text;
	struct suggest s = { .word = kw };
	size_t i;

	for (i = 0; i < nattrs; i++) {
		if (strcmp(attrs[i].name, kw))
			continue;
		if (seen[i] && !(attrs[i].flags & A_REP)) {
			diag_error(b->d, st->w[0].at, "Vpcemu.DuplicateAttribute",
				   "'%s' is already set on line %u; it may be given only once",
				   kw, seen[i]->at.line);
			return -1;
		}
		if (!seen[i])
			seen[i] = st;
		return (int)i;
	}
	for (i = 0; i < nattrs; i++)
		model_suggest(&s, attrs[i].name);
	model_err_suggest(b, st->w[0].at, "Vpcemu.UnknownAttribute", &s,
			  "Unknown %s attribute '%s'", type, kw);
	return -1;
}

void model_attrs_required(struct build *b, const struct res *r,
			  const struct attr *attrs, size_t nattrs,
			  const struct conf_stmt **seen)
{
	size_t i;

	for (i = 0; i < nattrs; i++)
		if ((attrs[i].flags & A_REQ) && !seen[i])
			diag_error(
			    b->d, r->at, "MissingParameter",
			    "The request must contain the parameter %s (%s '%s')",
			    attrs[i].name, res_types[r->kind]->keyword,
			    r->name);
}

/* Checks the number of values after the keyword; max 0: no limit. */
bool model_want(struct build *b, const struct conf_stmt *st, size_t min,
		size_t max)
{
	size_t nv = st->n - 1;

	if (nv < min) {
		if (min == 1)
			diag_error(b->d, st->w[0].at, "InvalidParameterValue",
				   "'%s' needs a value", st->w[0].text);
		else
			diag_error(b->d, st->w[0].at, "InvalidParameterValue",
				   "'%s' needs %zu values", st->w[0].text, min);
		return false;
	}
	if (max && nv > max) {
		diag_error(b->d, st->w[max + 1].at, "InvalidParameterValue",
			   "Unexpected '%s': '%s' takes %s", st->w[max + 1].text,
			   st->w[0].text,
			   max == 1 ? "one value" : max == 2 ? "two values" :
								"more values");
		return false;
	}
	return true;
}

bool model_get_bool(struct build *b, const struct conf_word *w, bool *out)
{
	if (!strcmp(w->text, "yes")) {
		*out = true;
		return true;
	}
	if (!strcmp(w->text, "no")) {
		*out = false;
		return true;
	}
	diag_error(b->d, w->at, "InvalidParameterValue",
		   "Invalid value '%s': expected yes or no", w->text);
	return false;
}

bool model_get_cidr(struct build *b, const struct conf_word *w, struct cidr *c)
{
	uint32_t ip;

	if (!cidr_parse(w->text, c))
		return true;
	if (!ip_parse(w->text, &ip))
		diag_error(b->d, w->at, "InvalidParameterValue",
			   "Invalid CIDR '%s': a single address is written %s/32",
			   w->text, w->text);
	else
		diag_error(b->d, w->at, "InvalidParameterValue",
			   "Invalid CIDR '%s': expected A.B.C.D/N with N from 0 to 32",
			   w->text);
	return false;
}

bool model_get_ip(struct build *b, const struct conf_word *w, uint32_t *ip)
{
	if (!ip_parse(w->text, ip))
		return true;
	diag_error(b->d, w->at, "InvalidParameterValue",
		   "Invalid IPv4 address '%s': expected A.B.C.D", w->text);
	return false;
}

/* One of two words: *second is set when w is the second. */
bool model_get_choice(struct build *b, const struct conf_word *w,
		      const char *attr, const char *first, const char *second,
		      bool *is_second)
{
	if (!strcmp(w->text, first) || !strcmp(w->text, second)) {
		*is_second = !strcmp(w->text, second);
		return true;
	}
	diag_error(b->d, w->at, "InvalidParameterValue",
		   "Invalid value '%s' for %s: expected %s or %s", w->text,
		   attr, first, second);
	return false;
}

bool model_get_range(struct build *b, const struct conf_word *w,
		     const char *attr, unsigned lo, unsigned hi,
		     const char *code, unsigned *out)
{
	unsigned long v;

	if (model_parse_num(w->text, strlen(w->text), hi, &v) < 0 || v < lo) {
		diag_error(b->d, w->at, code,
			   "Invalid value '%s' for %s: expected %u to %u",
			   w->text, attr, lo, hi);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

bool model_get_hop_limit(struct build *b, const struct conf_word *w,
			 unsigned *out)
{
	return model_get_range(b, w, "metadata-hop-limit", 1, 64,
			       "InvalidParameterValue", out);
}

bool model_get_str(struct build *b, const struct conf_word *w, char **out)
{
	char *s = model_strdup(b, w->text);

	if (!s)
		return false;
	free(*out);
	*out = s;
	return true;
}

/* Region names look like "ap-northeast-1": lower case, digits, dashes. */
bool model_get_region(struct build *b, const struct conf_word *w, char **out)
{
	const char *s = w->text;
	size_t i;
	bool ok = s[0] >= 'a' && s[0] <= 'z' && strchr(s, '-');

	for (i = 0; ok && s[i]; i++)
		ok = (s[i] >= 'a' && s[i] <= 'z') ||
		     (s[i] >= '0' && s[i] <= '9') || s[i] == '-';
	if (!ok || s[strlen(s) - 1] == '-') {
		diag_error(b->d, w->at, "InvalidParameterValue",
			   "Invalid region '%s': expected a name such as ap-northeast-1",
			   s);
		return false;
	}
	return model_get_str(b, w, out);
}

bool model_get_account(struct build *b, const struct conf_word *w, char **out)
{
	size_t i, n = strlen(w->text);

	for (i = 0; i < n && w->text[i] >= '0' && w->text[i] <= '9'; i++)
		;
	if (n != 12 || i != n) {
		diag_error(b->d, w->at, "InvalidParameterValue",
			   "Invalid account '%s': an AWS account ID is 12 digits",
			   w->text);
		return false;
	}
	return model_get_str(b, w, out);
}

/* Resolves a reference by name or ID to a resource of kind k; reports an
 * unknown name or one of another kind with k's AWS code. */
struct res *model_resolve(struct build *b, enum res_kind k,
			  const struct conf_word *w)
{
	const char *t = w->text;
	const struct name_ent *ne;
	struct suggest s = { .word = t };
	struct res *r;
	unsigned kk;
	size_t i;

	r = model_find(b->lab, k, t);
	if (r)
		return r;
	for (kk = 0; kk < RES__COUNT; kk++) {
		r = res_types[kk]->parse ? model_find(b->lab, kk, t) : NULL;
		if (r) {
			diag_error(b->d, w->at, res_types[k]->notfound,
				   "'%s' is %s %s, not %s %s", t,
				   res_article(kk), res_types[kk]->noun,
				   res_article(k), res_types[k]->noun);
			return NULL;
		}
	}
	/* A block of a type not supported yet was reported already. */
	ne = model_name_lookup(b, t);
	if (ne && ne->unsupported)
		return NULL;
	for (i = 0; i < b->lab->res[k].n; i++)
		model_suggest(&s, b->lab->res[k].v[i]->name);
	model_err_suggest(b, w->at, res_types[k]->notfound, &s,
			  "The %s %s'%s' does not exist", res_types[k]->noun,
			  !strncmp(t, res_types[k]->id_prefix,
				   strlen(res_types[k]->id_prefix))
			      ? "ID "
			      : "",
			  t);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Blocks */

void *model_push_at(struct build *b, void **v, struct place **at, size_t *n,
		    size_t sz, struct place place)
{
	size_t m = *n;
	void *slot = model_push(b, v, &m, sz);
	struct place *pp;

	if (!slot)
		return NULL;
	m = *n;
	pp = model_push(b, (void **)at, &m, sizeof(**at));
	if (!pp)
		return NULL;	/* the extra element is beyond *n */
	*pp = place;
	(*n)++;
	return slot;
}

void model_parse_refs(struct build *b, const struct conf_stmt *st,
		      enum res_kind k, void *v, size_t *n, struct place **at)
{
	size_t i;

	if (!model_want(b, st, 1, 0))
		return;
	for (i = 1; i < st->n; i++) {
		struct res *r = model_resolve(b, k, &st->w[i]);
		struct res **rp;

		if (!r)
			continue;
		rp = model_push_at(b, v, at, n, sizeof(*rp), st->w[i].at);
		if (!rp)
			return;
		*rp = r;
	}
}

void model_parse_assoc(struct build *b, const struct conf_stmt *st,
		       struct subnet ***assoc, size_t *nassoc,
		       struct place **assoc_at)
{
	model_parse_refs(b, st, RES_SUBNET, assoc, nassoc, assoc_at);
}

void model_parse_ip_list(struct build *b, const struct conf_stmt *st,
			 uint32_t **ips, size_t *nips, struct place **ips_at)
{
	size_t i;

	if (!model_want(b, st, 1, 0))
		return;
	for (i = 1; i < st->n; i++) {
		uint32_t ip, *slot;

		if (!model_get_ip(b, &st->w[i], &ip))
			continue;
		slot = model_push_at(b, (void **)ips, ips_at, nips,
				     sizeof(**ips), st->w[i].at);
		if (!slot)
			return;
		*slot = ip;
	}
}

void model_parse_cidr_list(struct build *b, const struct conf_stmt *st,
			   struct cidr **v, size_t *n, struct place **at)
{
	size_t i;

	if (!model_want(b, st, 1, 0))
		return;
	for (i = 1; i < st->n; i++) {
		struct cidr c, *slot;

		if (!model_get_cidr(b, &st->w[i], &c))
			continue;
		slot = model_push_at(b, (void **)v, at, n, sizeof(**v),
				     st->w[i].at);
		if (!slot)
			return;
		*slot = c;
	}
}

/* "security-groups SG..." of instances and endpoints. */
void model_parse_sg_list(struct build *b, const struct conf_stmt *st,
			 struct sg ***sgs, size_t *nsgs)
{
	size_t i;

	if (!model_want(b, st, 1, 0))
		return;
	for (i = 1; i < st->n; i++) {
		struct sg *g = (struct sg *)model_resolve(b, RES_SG, &st->w[i]);
		struct sg **slot;

		if (!g)
			continue;
		slot = model_push(b, (void **)sgs, nsgs, sizeof(**sgs));
		if (!slot)
			return;
		*slot = g;
	}
}

bool model_set_default_sg(struct build *b, struct vpc *v, struct sg ***sgs,
			  size_t *nsgs)
{
	struct sg **slot;

	if (*nsgs || !v || !v->default_sg)
		return true;
	slot = model_push(b, (void **)sgs, nsgs, sizeof(**sgs));
	if (!slot)
		return false;
	*slot = v->default_sg;
	return true;
}

/* ------------------------------------------------------------------ */
/* Top level */

/* "public-ip-pool CIDR": a block model_public_pool_* can number, at most
 * MODEL_PUBLIC_POOLS_MAX of them; what it may overlap is check's
 * (pool.c). */
static void parse_pool(struct build *b, const struct conf_stmt *st)
{
	struct lab *lab = b->lab;
	struct cidr c, *slot;
	char cb[CIDR_BUF];

	if (!model_want(b, st, 1, 1) || !model_get_cidr(b, &st->w[1], &c))
		return;
	if (c.len < MODEL_PUBLIC_POOL_PREFIX_MIN ||
	    c.len > MODEL_PUBLIC_POOL_PREFIX_MAX) {
		diag_error(b->d, st->w[1].at, "InvalidParameterValue",
			   "The public IP pool '%s' is invalid: its prefix length must be from /%d to /%d",
			   cidr_fmt(c, cb), MODEL_PUBLIC_POOL_PREFIX_MIN,
			   MODEL_PUBLIC_POOL_PREFIX_MAX);
		return;
	}
	if (lab->npools == MODEL_PUBLIC_POOLS_MAX) {
		diag_error(b->d, st->w[0].at, "Vpcemu.LimitExceeded",
			   "A lab has at most %d public-ip-pool lines",
			   MODEL_PUBLIC_POOLS_MAX);
		return;
	}
	slot = model_push_at(b, (void **)&lab->pools, &lab->pools_at,
			     &lab->npools, sizeof(*lab->pools), st->w[1].at);
	if (slot)
		*slot = c;
}

static void parse_top(struct build *b, const struct conf_file *f,
		      const struct conf_stmt **lab_stmt)
{
	/* The first three may be given once; expect and public-ip-pool
	 * are repeatable. */
	enum { T_LAB, T_REGION, T_ACCOUNT, T_EXPECT, T_POOL };
	static const char *const settings[] = { "lab", "region", "account",
						"expect", "public-ip-pool" };
	const struct conf_stmt *seen[T_EXPECT] = { 0 };
	size_t i, k;

	for (i = 0; i < f->ntop; i++) {
		const struct conf_stmt *st = &f->top[i];
		const char *kw = st->w[0].text;
		struct suggest s = { .word = kw };

		for (k = 0; k < ARRAY_SIZE(settings); k++)
			if (!strcmp(kw, settings[k]))
				break;
		if (k == T_EXPECT) {
			const struct conf_stmt **slot =
				VEC_PUSH(b->expects, b->nexpects, b->expectscap);

			if (!slot)
				b->oom = true;
			else
				*slot = st;
			continue;
		}
		if (k == T_POOL) {
			parse_pool(b, st);
			continue;
		}
		if (k < T_EXPECT && seen[k]) {
			diag_error(b->d, st->w[0].at, "Vpcemu.DuplicateAttribute",
				   "'%s' is already set on line %u; it may be given only once",
				   kw, seen[k]->at.line);
			continue;
		}
		if (k < T_EXPECT) {
			seen[k] = st;
			if (!model_want(b, st, 1, 1))
				continue;
			if (k == T_LAB)
				*lab_stmt = st;
			else if (k == T_REGION)
				model_get_region(b, &st->w[1], &b->lab->region);
			else
				model_get_account(b, &st->w[1],
						  &b->lab->account);
			continue;
		}
		if (kind_of_block(kw) < RES__COUNT) {
			diag_error(b->d, st->w[0].at, "Vpcemu.UnknownSetting",
				   "'%s' is a resource type: write %s NAME { ... }",
				   kw, kw);
			continue;
		}
		for (k = 0; k < ARRAY_SIZE(settings); k++)
			model_suggest(&s, settings[k]);
		model_err_suggest(
		    b, st->w[0].at, "Vpcemu.UnknownSetting", &s,
		    "Unknown setting '%s' (top-level settings: lab, region, account, public-ip-pool, expect)",
		    kw);
	}
}

/* A lab name is also a state file name: LAB.ec2.json is the AWS-side
 * record of lab LAB, so no lab may be called "LAB.ec2". */
static void check_lab_suffix(struct build *b, const char *name,
			     struct place at)
{
	size_t n = strlen(name);

	if (n > 4 && !strcmp(name + n - 4, ".ec2"))
		diag_error(b->d, at, "Vpcemu.InvalidName",
			   "The lab name '%s' ends in '.ec2', which vpcemu keeps for the record of lab '%.*s'",
			   name, (int)(n - 4), name);
}

/* The lab name: --name, else "lab NAME", else the file name without
 * directory and extension. */
static void lab_name_set(struct build *b, const struct conf_file *f,
			 const char *override, const struct conf_stmt *st)
{
	struct lab *lab = b->lab;
	const char *base, *dot;
	struct place none = { .file = f ? f->path : NULL };

	if (st && check_name(b, st->w[1].text, st->w[1].at, "lab"))
		check_lab_suffix(b, st->w[1].text, st->w[1].at);
	if (override) {
		lab->name = model_strdup(b, override);
		lab->name_at = none;
		if (check_name(b, override, none, "lab"))
			check_lab_suffix(b, override, none);
		return;
	}
	if (st) {
		lab->name = model_strdup(b, st->w[1].text);
		lab->name_at = st->w[1].at;
		return;
	}
	base = f && f->path ? strrchr(f->path, '/') : NULL;
	base = base ? base + 1 : f && f->path ? f->path : "";
	dot = strrchr(base, '.');
	lab->name = dot && dot != base ? strndup(base, (size_t)(dot - base)) :
					 strdup(base);
	if (!lab->name) {
		b->oom = true;
		return;
	}
	lab->name_at = none;
	if (!name_pattern_ok(lab->name))
		diag_error(b->d, none, "Vpcemu.InvalidName",
			   "The lab name '%s' taken from the file name is invalid (names are 1 to 48 of A-Z a-z 0-9 . _ - and start with a letter or digit); add a 'lab NAME' line",
			   lab->name);
	else
		check_lab_suffix(b, lab->name, none);
}

/* ------------------------------------------------------------------ */
/* Pass 2: one resource per block, then the implicit ones */

static bool is_reserved_type(const char *t)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(reserved_types); i++)
		if (!strcmp(t, reserved_types[i]))
			return true;
	return false;
}

static void create_blocks(struct build *b, const struct conf_file *f)
{
	size_t i, k;

	for (i = 0; i < f->nblocks; i++) {
		const struct conf_block *blk = &f->blocks[i];
		const char *type = blk->type.text ? blk->type.text : "";
		const char *name = blk->name.text ? blk->name.text : "";
		struct suggest s = { .word = type };
		struct pending *p;
		struct res *r;

		k = kind_of_block(type);
		if (k == RES__COUNT) {
			if (is_reserved_type(type)) {
				diag_error(b->d, blk->type.at, "Vpcemu.NotSupported",
					   "%s is not supported yet", type);
				name_add(b, name, type, blk->name.at, false,
					 true, NULL);
				continue;
			}
			for (k = 0; k < RES__COUNT; k++)
				if (res_types[k]->parse)
					model_suggest(&s,
						      res_types[k]->keyword);
			for (k = 0; k < ARRAY_SIZE(reserved_types); k++)
				model_suggest(&s, reserved_types[k]);
			model_err_suggest(b, blk->type.at,
					  "Vpcemu.UnknownResource", &s,
					  "Unknown resource type '%s'", type);
			continue;
		}
		check_name(b, name, blk->name.at, res_types[k]->noun);
		/* */
		if (k == RES_SG && !strcmp(name, "default"))
			diag_error(b->d, blk->name.at, "InvalidGroup.Reserved",
				   "The security group 'default' is reserved: every VPC has one, named VPCNAME.default here");
		name_add(b, name, type, blk->name.at, false, false, NULL);
		r = model_res_new(b, k, name, blk->name.at, false);
		if (!r)
			return;
		p = VEC_PUSH(b->pend, b->npend, b->pendcap);
		if (!p) {
			b->oom = true;
			return;
		}
		p->r = r;
		p->blk = blk;
	}
}

/* Whether some route-table block says "main yes" for VPC v; then it
 * replaces the implicit main table. Read before the blocks are parsed, so
 * quietly: parse_route_table reports what is wrong. */
static bool has_written_main(struct build *b, const struct vpc *v)
{
	size_t i, j;

	for (i = 0; i < b->npend; i++) {
		const struct conf_block *blk = b->pend[i].blk;
		const struct conf_stmt *vst = NULL, *mst = NULL;

		if (b->pend[i].r->kind != RES_ROUTE_TABLE)
			continue;
		for (j = 0; j < blk->n; j++) {
			const struct conf_stmt *st = &blk->stmts[j];

			if (!vst && !strcmp(st->w[0].text, "vpc"))
				vst = st;
			if (!mst && !strcmp(st->w[0].text, "main"))
				mst = st;
		}
		if (vst && mst && vst->n == 2 && mst->n == 2 &&
		    !strcmp(mst->w[1].text, "yes") &&
		    model_find(b->lab, RES_VPC, vst->w[1].text) == &v->r)
			return true;
	}
	return false;
}

static void create_implicit(struct build *b)
{
	size_t i, nv = b->lab->nvpcs;

	for (i = 0; i < nv; i++) {
		struct vpc *v = b->lab->vpcs[i];
		struct route_table *t;
		struct nacl *n;
		struct nacl_entry *e;
		struct sg *g;
		char *name;
		int dir;

		if (!v->r.name)
			return;
		if (!has_written_main(b, v)) {
			name = model_printf(b, "%s.main", v->r.name);
			t = name ? (struct route_table *)model_res_new(
				       b, RES_ROUTE_TABLE, name, v->r.at, true)
				 : NULL;
			free(name);
			if (!t)
				return;
			t->vpc = v;
			t->main = true;
			v->main_rt = t;
			name_add(b, t->r.name, "route-table", v->r.at, true,
				 false, v->r.name);
		}

		name = model_printf(b, "%s.default-acl", v->r.name);
		n = name ? (struct nacl *)model_res_new(b, RES_NACL, name,
							v->r.at, true)
			 : NULL;
		free(name);
		if (!n)
			return;
		n->vpc = v;
		n->is_default = true;
		v->default_nacl = n;
		name_add(b, n->r.name, "network-acl", v->r.at, true, false,
			 v->r.name);
		/* 100 allow all 0.0.0.0/0, both ways. */
		for (dir = DIR_INGRESS; dir <= DIR_EGRESS; dir++) {
			e = nacl_insert(b, n, (enum direction)dir, 100);
			if (!e)
				return;
			e->action = NACL_ALLOW;
			model_proto_all(&e->proto);
			e->at = e->number_at = v->r.at;
		}

		name = model_printf(b, "%s.default", v->r.name);
		g = name ? (struct sg *)model_res_new(b, RES_SG, name, v->r.at,
						      true)
			 : NULL;
		free(name);
		if (!g)
			return;
		g->vpc = v;
		g->is_default = true;
		v->default_sg = g;
		g->description = model_strdup(b, "default VPC security group");
		name_add(b, g->r.name, "security-group", v->r.at, true, false,
			 v->r.name);
		/* all in from itself, all out to 0.0.0.0/0. */
		if (!sg_push_rule(b, g, DIR_INGRESS, v->r.at) ||
		    !sg_push_rule(b, g, DIR_EGRESS, v->r.at))
			return;
	}
}

/* Pass 3: attributes, kind by kind (model.h's order: what a block needs
 * is ready before it). */
static void parse_blocks(struct build *b)
{
	unsigned k;
	size_t i;

	for (k = 0; k < RES__COUNT; k++)
		for (i = 0; i < b->npend && !b->oom; i++)
			if (b->pend[i].r->kind == k)
				res_types[k]->parse(b, b->pend[i].r,
						    b->pend[i].blk);
}

/* ------------------------------------------------------------------ */
/* Pass 4 */

static void resolve_mains_and_assocs(struct build *b)
{
	struct lab *lab = b->lab;
	size_t i, j, k;

	for (i = 0; i < lab->nvpcs; i++) {
		struct vpc *v = lab->vpcs[i];

		/* Two written mains are check.c's to report: the first
		 * wins meanwhile. */
		for (j = 0; !v->main_rt && j < lab->nroute_tables; j++)
			if (lab->route_tables[j]->vpc == v &&
			    lab->route_tables[j]->main)
				v->main_rt = lab->route_tables[j];
	}
	for (i = 0; i < lab->nsubnets; i++) {
		struct subnet *s = lab->subnets[i];

		/* the first explicit association, else the
		 * VPC's main table / default ACL. */
		for (j = 0; !s->rt && j < lab->nroute_tables; j++)
			for (k = 0; k < lab->route_tables[j]->nassoc; k++)
				if (lab->route_tables[j]->assoc[k] == s)
					s->rt = lab->route_tables[j];
		for (j = 0; !s->nacl && j < lab->nnacls; j++)
			for (k = 0; k < lab->nacls[j]->nassoc; k++)
				if (lab->nacls[j]->assoc[k] == s)
					s->nacl = lab->nacls[j];
		if (!s->rt && s->vpc)
			s->rt = s->vpc->main_rt;
		if (!s->nacl && s->vpc)
			s->nacl = s->vpc->default_nacl;
	}
}


/* Arrays keep file order with each VPC's implicit resources right after
 * its last explicit one (at the end for a VPC with none). res[i] and vpc[i]
 * describe element i; perm receives the new order. */
static void implicit_order(struct res *const *res, struct vpc *const *vpc,
			   size_t n, size_t *perm)
{
	size_t i, j, k = 0;

	for (i = 0; i < n; i++) {
		bool last = true;

		if (res[i]->implicit)
			continue;
		perm[k++] = i;
		if (!vpc[i])
			continue;
		for (j = i + 1; j < n && last; j++)
			if (!res[j]->implicit && vpc[j] == vpc[i])
				last = false;
		if (!last)
			continue;
		for (j = 0; j < n; j++)
			if (res[j]->implicit && vpc[j] == vpc[i])
				perm[k++] = j;
	}
	for (j = 0; j < n; j++) {
		bool placed = false;

		if (!res[j]->implicit)
			continue;
		for (i = 0; i < n && !placed; i++)
			placed = !res[i]->implicit && vpc[i] == vpc[j];
		if (!placed)
			perm[k++] = j;
	}
}

#define REORDER(b, arr, n)                                                    \
	do {                                                                  \
		struct res **r_ = calloc((n) + 1, sizeof(*r_));               \
		struct vpc **v_ = calloc((n) + 1, sizeof(*v_));               \
		size_t *p_ = calloc((n) + 1, sizeof(*p_));                    \
		__typeof__(arr) t_ = calloc((n) + 1, sizeof(*t_));            \
		size_t i_;                                                    \
		if (r_ && v_ && p_ && t_) {                                   \
			for (i_ = 0; i_ < (n); i_++) {                        \
				r_[i_] = &(arr)[i_]->r;                       \
				v_[i_] = (arr)[i_]->vpc;                      \
				t_[i_] = (arr)[i_];                           \
			}                                                     \
			implicit_order(r_, v_, (n), p_);                      \
			for (i_ = 0; i_ < (n); i_++)                          \
				(arr)[i_] = t_[p_[i_]];                       \
		} else {                                                      \
			(b)->oom = true;                                      \
		}                                                             \
		free(r_);                                                     \
		free(v_);                                                     \
		free(p_);                                                     \
		free(t_);                                                     \
	} while (0)

int model_order_implicit(struct lab *lab)
{
	struct build bb = { 0 }, *b = &bb;

	REORDER(b, lab->route_tables, lab->nroute_tables);
	REORDER(b, lab->nacls, lab->nnacls);
	REORDER(b, lab->sgs, lab->nsgs);
	return b->oom ? -ENOMEM : 0;
}

/* ------------------------------------------------------------------ */

struct lab *model_build(const struct conf_file *f, const char *lab_name,
			struct diags *d)
{
	static const struct conf_file empty = { 0 };
	const struct conf_stmt *lab_stmt = NULL;
	struct build bb = { .d = d }, *b = &bb;
	struct lab *lab;
	size_t i;

	if (!f)
		f = &empty;
	lab = calloc(1, sizeof(*lab));
	if (!lab)
		return NULL;
	b->lab = lab;
	lab->file = model_strdup(b, f->path);

	parse_top(b, f, &lab_stmt);
	if (!lab->region)
		lab->region = model_strdup(b, DEFAULT_REGION);
	if (!lab->account)
		lab->account = model_strdup(b, DEFAULT_ACCOUNT);
	lab_name_set(b, f, lab_name, lab_stmt);
	if (b->oom)
		goto out;

	create_blocks(b, f);
	if (!b->oom)
		create_implicit(b);
	if (!b->oom)
		parse_blocks(b);
	if (!b->oom)
		resolve_mains_and_assocs(b);
	if (!b->oom)
		model_create_enis(b);
	if (!b->oom)
		model_assign_ips(b);
	if (!b->oom)
		model_assign_public_ips(b);
	for (i = 0; i < b->nexpects && !b->oom; i++)
		model_parse_expect(b, b->expects[i]);
	if (!b->oom && model_order_implicit(lab))
		b->oom = true;
out:
	free(b->names);
	strmap_free(&b->name_index);
	free(b->pend);
	free(b->expects);
	if (b->oom) {
		lab_free(lab);
		errno = ENOMEM;
		return NULL;
	}
	return lab;
}

/* ------------------------------------------------------------------ */

void res_free(struct res *r)
{
	if (!r)
		return;
	if (res_types[r->kind]->free)
		res_types[r->kind]->free(r);
	free(r->name);
	free(r);
}

bool model_eni_ungated(const struct eni *e)
{
	return e->nat || (e->lb && !e->lb->nsgs);
}

uint32_t model_eni_public_ip(const struct eni *e)
{
	if (e->instance)
		return e->instance->public_ipv4;
	if (e->nat && e->nat->eip)
		return e->nat->eip->address;
	return e->node_public_ip;
}

const char *user_data_script(const struct user_data *ud)
{
	return ud->script ? ud->script : ud->content;
}

const char *instance_user_data(const struct instance *in)
{
	return user_data_script(&in->ud);
}

void user_data_free(struct user_data *ud)
{
	free(ud->script);
	free(ud->file);
	free(ud->content);
}

/* The later of the two statements is the one reported. */
void model_parse_user_data(struct build *b, const struct conf_stmt *script,
			   const struct conf_stmt *file, struct user_data *ud)
{
	if (script && model_want(b, script, 1, 1))
		model_get_str(b, &script->w[1], &ud->script);
	if (file && model_want(b, file, 1, 1))
		model_get_str(b, &file->w[1], &ud->file);
	if (!script || !file)
		return;
	if (script->at.line < file->at.line ||
	    (script->at.line == file->at.line &&
	     script->at.first_col < file->at.first_col))
		script = file;
	diag_error(b->d, script->w[0].at, "InvalidParameterValue",
		   "'user-data' and 'user-data-file' cannot both be given");
}

void lab_free(struct lab *lab)
{
	unsigned k;
	size_t i;

	if (!lab)
		return;
	for (k = 0; k < RES__COUNT; k++) {
		for (i = 0; i < lab->res[k].n; i++)
			res_free(lab->res[k].v[i]);
		free(lab->res[k].v);
	}
	for (i = 0; i < lab->nexpects; i++) {
		free(lab->expects[i].reason);
		free(lab->expects[i].text);
	}
	free(lab->expects);
	free(lab->name);
	free(lab->file);
	free(lab->text);
	free(lab->region);
	free(lab->account);
	free(lab->pools);
	free(lab->pools_at);
	free(lab);
}

/* AWS words a rule this way in InvalidPermission.* messages. */
void sg_rule_text(const struct sg_rule *r, char *buf, size_t len)
{
	const struct proto_match *p = &r->proto;
	char cb[20], proto[8];
	const char *name = proto;
	long from = -1, to = -1;

	switch (p->kind) {
	case PROTO_ALL:
		name = "ALL";
		break;
	case PROTO_TCP:
	case PROTO_UDP:
		name = p->kind == PROTO_TCP ? "TCP" : "UDP";
		from = p->port_lo;
		to = p->port_hi;
		break;
	case PROTO_ICMP:
		name = "ICMP";
		from = p->icmp_type;
		to = p->icmp_code;
		break;
	case PROTO_NUMBER:
		snprintf(proto, sizeof(proto), "%u", p->number);
		break;
	}
	snprintf(buf, len,
		 "peer: %s, %s, from port: %ld, to port: %ld, ALLOW",
		 r->peer_kind == SG_PEER_SG && r->peer_sg ? r->peer_sg->r.id :
							  cidr_fmt(r->cidr, cb),
		 name, from, to);
}
