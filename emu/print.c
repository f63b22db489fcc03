/* print.c - the model written back as lab-file text.
 *
 * Sits beside model.c, in the other direction: model.c turns a file into
 * resources, print.c turns resources into a file that model.c turns back
 * into the same resources. The daemon needs this to persist a lab it has
 * changed through AWS-style commands. Every rule here mirrors a default or
 * a derivation in model.c: an attribute is written only when model_build
 * would not give the same value by itself, and what model_build derives
 * (implicit resources, IDs, endpoint addresses) is checked instead of
 * written, since the format has no way to say it (see print.h).
 *
 * Owns nothing beyond the text it returns; never prints.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/model.h"
#include "vpcemu/print.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"


/* Defaults of model.c (docs/lab-conf.md). */
#define DEFAULT_AMI "al2023"
#define DEFAULT_INSTANCE_TYPE "t2.micro"
#define DEFAULT_SG_DESCRIPTION "default VPC security group"
#define DEFAULT_NACL_RULE 100u
#define NAME_MAX_LEN 48

void print_fail(struct printer *p, int err, const struct res *r)
{
	if (p->err)
		return;
	p->err = err;
	p->bad = r;
}

/* ------------------------------------------------------------------ */
/* Words and strings */

/* Whole-string UTF-8 check with the rules of conf.c: a file with anything
 * else does not parse. */
static bool utf8_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u) {
		unsigned char lo = 0x80, hi = 0xbf;
		size_t need, i;

		if (*u < 0x80) {
			u++;
			continue;
		}
		if (*u >= 0xc2 && *u <= 0xdf) {
			need = 2;
		} else if (*u >= 0xe0 && *u <= 0xef) {
			need = 3;
			if (*u == 0xe0)
				lo = 0xa0;
			else if (*u == 0xed)
				hi = 0x9f;
		} else if (*u >= 0xf0 && *u <= 0xf4) {
			need = 4;
			if (*u == 0xf0)
				lo = 0x90;
			else if (*u == 0xf4)
				hi = 0x8f;
		} else {
			return false;
		}
		for (i = 1; i < need; i++) {
			if (u[i] < lo || u[i] > hi)
				return false;	/* also stops at the NUL */
			lo = 0x80;
			hi = 0xbf;
		}
		u += need;
	}
	return true;
}

/* Whether s can be written bare: a word's bytes only (conf.c is_word_byte)
 * and, for legibility, no control character. */
static bool is_word(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (!*u)
		return false;
	for (; *u; u++)
		if (*u < 0x20 || *u == 0x7f || strchr(" {};#\"", *u))
			return false;
	return true;
}

/* Writes " s": bare when it is a word and quote is false, else as a
 * string. Only \" \\ and \n need escapes; a CR stays raw, and cannot be
 * taken for the CR of a CRLF line end because every LF is escaped. */
void print_str(struct printer *p, const char *s, bool quote,
	       const struct res *r)
{
	if (!s || !utf8_ok(s)) {
		print_fail(p, -EINVAL, r);
		return;
	}
	sb_puts(&p->sb, " ");
	if (!quote && is_word(s)) {
		sb_puts(&p->sb, s);
		return;
	}
	sb_puts(&p->sb, "\"");
	for (; *s; s++) {
		if (*s == '"')
			sb_puts(&p->sb, "\\\"");
		else if (*s == '\\')
			sb_puts(&p->sb, "\\\\");
		else if (*s == '\n')
			sb_puts(&p->sb, "\\n");
		else
			sb_printf(&p->sb, "%c", *s);
	}
	sb_puts(&p->sb, "\"");
}

/* [A-Za-z0-9][A-Za-z0-9._-]{0,47}, and not an AWS ID (model.c's rules). */

/* A resource written by name: the name must parse, and give the same ID
 * again (IDs hash lab, kind and name; the file keeps only the name). */
bool print_res_ok(struct printer *p, const struct res *r)
{
	char id[MODEL_ID_MAX];

	if (!model_name_ok(r->name)) {
		print_fail(p, -ENOTSUP, r);
		return false;
	}
	/* Role IDs have a scheme of their own. */
	if (r->kind == RES_IAM_ROLE)
		return true;
	model_make_id(id, res_types[r->kind]->id_prefix, p->lab->name,
		      res_kind_name(r->kind), r->name);
	if (strcmp(id, r->id)) {
		print_fail(p, -ENOTSUP, r);
		return false;
	}
	return true;
}

/* " NAME" of a referenced resource; NULL is a broken model. */
void print_ref(struct printer *p, const struct res *ref, const struct res *from)
{
	if (!ref || !ref->name) {
		print_fail(p, -EINVAL, from);
		return;
	}
	sb_printf(&p->sb, " %s", ref->name);
}

void print_user_data(struct printer *p, const struct user_data *ud,
		     const struct res *r)
{
	if (ud->script) {
		sb_puts(&p->sb, "\tuser-data");
		print_str(p, ud->script, true, r);
		sb_puts(&p->sb, "\n");
	}
	if (ud->file) {
		sb_puts(&p->sb, "\tuser-data-file");
		print_str(p, ud->file, false, r);
		sb_puts(&p->sb, "\n");
	}
}

void print_cidr(struct printer *p, struct cidr c)
{
	char buf[20];

	sb_printf(&p->sb, " %s", cidr_fmt(c, buf));
}

void print_block_open(struct printer *p, const struct res *r)
{
	sb_printf(&p->sb, "\n%s %s {\n", res_kind_name(r->kind), r->name);
}

void print_block_close(struct printer *p)
{
	sb_puts(&p->sb, "}\n");
}

/* RULE of security groups and network ACLs (docs/lab-conf.md). */
void print_proto(struct printer *p, const struct proto_match *pm,
		 const struct res *r)
{
	static const char *const icmp_names[] = {
		[0] = "echo-reply",
		[3] = "destination-unreachable",
		[8] = "echo-request",
		[11] = "time-exceeded",
	};

	switch (pm->kind) {
	case PROTO_ALL:
		sb_puts(&p->sb, " all");
		return;
	case PROTO_TCP:
	case PROTO_UDP:
		sb_puts(&p->sb, pm->kind == PROTO_TCP ? " tcp" : " udp");
		if (pm->port_lo > pm->port_hi)
			print_fail(p, -EINVAL, r);
		else if (pm->port_lo == pm->port_hi)
			sb_printf(&p->sb, " %u", pm->port_lo);
		else if (pm->port_lo != 0 || pm->port_hi != 65535)
			sb_printf(&p->sb, " %u-%u", pm->port_lo, pm->port_hi);
		return;
	case PROTO_ICMP:
		sb_puts(&p->sb, " icmp");
		if (pm->icmp_type < 0) {
			/* "every type, code C" has no spelling. */
			if (pm->icmp_code >= 0)
				print_fail(p, -EINVAL, r);
			return;
		}
		if (pm->icmp_type > 255 || pm->icmp_code > 255) {
			print_fail(p, -EINVAL, r);
			return;
		}
		if ((size_t)pm->icmp_type < ARRAY_SIZE(icmp_names) &&
		    icmp_names[pm->icmp_type])
			sb_printf(&p->sb, " %s", icmp_names[pm->icmp_type]);
		else
			sb_printf(&p->sb, " %d", pm->icmp_type);
		if (pm->icmp_code >= 0)
			sb_printf(&p->sb, "/%d", pm->icmp_code);
		return;
	case PROTO_NUMBER:
		sb_printf(&p->sb, " proto %u", pm->number);
		return;
	}
	print_fail(p, -EINVAL, r);
}

/* "associate A B" / "subnets A B": one line for the whole list. */
void print_subnet_list(struct printer *p, const char *kw,
		       struct subnet *const *v, size_t n, const struct res *r)
{
	size_t i;

	if (!n)
		return;
	sb_printf(&p->sb, "\t%s", kw);
	for (i = 0; i < n; i++)
		print_ref(p, v[i] ? &v[i]->r : NULL, r);
	sb_puts(&p->sb, "\n");
}

void print_ip_list(struct printer *p, const char *kw, const uint32_t *v,
		   size_t n)
{
	char ip[IP_BUF];
	size_t i;

	if (!n)
		return;
	sb_printf(&p->sb, "\t%s", kw);
	for (i = 0; i < n; i++)
		sb_printf(&p->sb, " %s", ip_fmt(v[i], ip));
	sb_puts(&p->sb, "\n");
}

void print_sg_list(struct printer *p, struct sg *const *v, size_t n,
		   const struct res *r)
{
	size_t i;

	sb_puts(&p->sb, "\tsecurity-groups");
	for (i = 0; i < n; i++)
		print_ref(p, v[i] ? &v[i]->r : NULL, r);
	sb_puts(&p->sb, "\n");
}

/* The group list is the default one model_build gives when none is
 * written: exactly the VPC's default group. */
bool print_sgs_default(const struct vpc *v, struct sg *const *sgs, size_t n)
{
	return v && n == 1 && sgs[0] == v->default_sg;
}

/* ------------------------------------------------------------------ */
/* Implicit resources: checked, never written */

bool print_is_default_nacl_entry(const struct nacl_entry *e, enum direction dir)
{
	return e->dir == dir && e->number == DEFAULT_NACL_RULE &&
	       e->action == NACL_ALLOW && e->proto.kind == PROTO_ALL &&
	       e->cidr.len == 0;
}

/* The AWS default egress rule: all to 0.0.0.0/0, no description. */
bool print_is_default_egress(const struct sg_rule *x)
{
	return x->dir == DIR_EGRESS && x->proto.kind == PROTO_ALL &&
	       x->peer_kind == SG_PEER_CIDR && x->cidr.len == 0 &&
	       !x->description;
}

/* Whether r is named "VPC" + suffix and has the ID that name gives. */
static bool implicit_name_ok(const struct printer *p, const struct res *r,
			     const struct vpc *v, const char *suffix)
{
	char id[MODEL_ID_MAX];
	size_t vl;

	if (!v || !r->name || !v->r.name)
		return false;
	vl = strlen(v->r.name);
	if (strncmp(r->name, v->r.name, vl) || strcmp(r->name + vl, suffix))
		return false;
	model_make_id(id, res_types[r->kind]->id_prefix, p->lab->name,
		      res_kind_name(r->kind), r->name);
	return !strcmp(id, r->id);
}

void print_check_implicit_rt(struct printer *p, const struct route_table *t)
{
	if (!implicit_name_ok(p, &t->r, t->vpc, ".main") || !t->main ||
	    t->vpc->main_rt != t || t->nassoc || t->nroutes)
		print_fail(p, -ENOTSUP, &t->r);
}

void print_check_implicit_nacl(struct printer *p, const struct nacl *n)
{
	if (!implicit_name_ok(p, &n->r, n->vpc, ".default-acl") ||
	    !n->is_default || n->vpc->default_nacl != n || n->nassoc ||
	    n->nentries != 2 ||
	    !print_is_default_nacl_entry(&n->entries[0], DIR_INGRESS) ||
	    !print_is_default_nacl_entry(&n->entries[1], DIR_EGRESS))
		print_fail(p, -ENOTSUP, &n->r);
}

void print_check_implicit_sg(struct printer *p, const struct sg *g)
{
	const struct sg_rule *x = g->rules;

	if (!implicit_name_ok(p, &g->r, g->vpc, ".default") || !g->is_default ||
	    g->vpc->default_sg != g || g->egress_none ||
	    !str_eq(g->description, DEFAULT_SG_DESCRIPTION) || g->nrules != 2 ||
	    x[0].dir != DIR_INGRESS || x[0].proto.kind != PROTO_ALL ||
	    x[0].peer_kind != SG_PEER_SG || x[0].peer_sg != g ||
	    x[0].description || !print_is_default_egress(&x[1]))
		print_fail(p, -ENOTSUP, &g->r);
}

/* Each VPC has exactly one default ACL and group, both implicit, and an
 * implicit main table exactly when no written table is main: that is what
 * model_build will create again. */
void print_check_vpc_implicit(struct printer *p, const struct vpc *v)
{
	const struct lab *lab = p->lab;
	size_t i, nimpl_rt = 0, nmain = 0, nacl = 0, nsg = 0;

	for (i = 0; i < lab->nroute_tables; i++) {
		const struct route_table *t = lab->route_tables[i];

		if (t->vpc != v)
			continue;
		if (t->r.implicit)
			nimpl_rt++;
		else if (t->main)
			nmain++;
	}
	for (i = 0; i < lab->nnacls; i++)
		nacl += lab->nacls[i]->vpc == v && lab->nacls[i]->r.implicit;
	for (i = 0; i < lab->nsgs; i++)
		nsg += lab->sgs[i]->vpc == v && lab->sgs[i]->r.implicit;
	if (nimpl_rt > 1 || (nimpl_rt == 1) == (nmain > 0) || nacl != 1 ||
	    nsg != 1 || !v->default_nacl || !v->default_nacl->r.implicit ||
	    !v->default_sg || !v->default_sg->r.implicit)
		print_fail(p, -ENOTSUP, &v->r);
}

/* model_build gives the ENIs whose address is not written (interface
 * endpoints', NAT gateways', load balancers') the lowest free addresses
 * from base+4, in lab->enis order, around the written ones (every
 * instance's is: print writes it). Redo it: an address it would not give
 * again cannot be kept, as no attribute holds it. */
static bool ip_written(const struct eni *e)
{
	return e->instance || model_eni_ip_given(e, NULL);
}

static bool ip_taken(const struct lab *lab, const struct subnet *s,
		     uint64_t ip)
{
	size_t i;

	for (i = 0; i < lab->nenis; i++)
		if (lab->enis[i]->subnet == s && ip_written(lab->enis[i]) &&
		    lab->enis[i]->ip == ip)
			return true;
	return false;
}

static void check_auto_ips(struct printer *p)
{
	const struct lab *lab = p->lab;
	size_t si, i;

	for (si = 0; si < lab->nsubnets && !p->err; si++) {
		const struct subnet *s = lab->subnets[si];
		uint64_t next = (uint64_t)s->cidr.addr + 4;

		for (i = 0; i < lab->nenis && !p->err; i++) {
			const struct eni *e = lab->enis[i];

			if (e->subnet != s || ip_written(e))
				continue;
			while (ip_taken(lab, s, next))
				next++;
			if (e->ip != next++)
				print_fail(p, -ENOTSUP, model_eni_owner(e));
		}
	}
}

/* model_build keeps each array in file order with a VPC's implicit
 * resources right after its last written one (at the end for a VPC with
 * none). Printing omits implicit ones, so a written resource placed after
 * its VPC's implicit ones (a daemon that appended a new route table) would
 * come back elsewhere, and with it the kernel table number of every table
 * after it: refuse rather than renumber silently. res[i] and vpc[i]
 * describe element i. */
static void check_order(struct printer *p, const struct res *const *res,
			const struct vpc *const *vpc, size_t n)
{
	size_t i, j, k = 0;

	/* Walk the order model_build would give and compare as we go: each
	 * written resource in turn, its VPC's implicit ones after the last
	 * written one of that VPC, then those of VPCs with none. */
	for (i = 0; i < n && !p->err; i++) {
		bool last = true;

		if (res[i]->implicit)
			continue;
		if (i != k++) {
			print_fail(p, -EINVAL, res[i]);
			return;
		}
		for (j = i + 1; j < n && last; j++)
			last = res[j]->implicit || vpc[j] != vpc[i];
		if (!last || !vpc[i])
			continue;
		for (j = 0; j < n; j++) {
			if (!res[j]->implicit || vpc[j] != vpc[i])
				continue;
			if (j != k++) {
				print_fail(p, -EINVAL, res[j]);
				return;
			}
		}
	}
	for (j = 0; j < n && !p->err; j++) {
		bool placed = false;

		if (!res[j]->implicit)
			continue;
		for (i = 0; i < n && !placed; i++)
			placed = !res[i]->implicit && vpc[i] == vpc[j];
		if (!placed && j != k++) {
			print_fail(p, -EINVAL, res[j]);
			return;
		}
	}
}

#define CHECK_ORDER(p, arr, n)                                                 \
	do {                                                                   \
		const struct res **r_ = calloc((n) + 1, sizeof(*r_));          \
		const struct vpc **v_ = calloc((n) + 1, sizeof(*v_));          \
		size_t i_;                                                     \
		if (r_ && v_) {                                                \
			for (i_ = 0; i_ < (n); i_++) {                         \
				r_[i_] = &(arr)[i_]->r;                        \
				v_[i_] = (arr)[i_]->vpc;                       \
			}                                                      \
			check_order((p), r_, v_, (n));                         \
		} else {                                                       \
			print_fail((p), -ENOMEM, NULL);                        \
		}                                                              \
		free(r_);                                                      \
		free(v_);                                                      \
	} while (0)

/* ------------------------------------------------------------------ */
/* Blocks */

/* ------------------------------------------------------------------ */

int print_lab_to(const struct lab *lab, char **ret_text, struct diags *d)
{
	struct printer pp = { .lab = lab }, *p = &pp;
	size_t k, i;

	*ret_text = NULL;
	if (!lab || !model_name_ok(lab->name))
		return -EINVAL;

	sb_printf(&p->sb, "lab %s\n", lab->name);
	sb_puts(&p->sb, "region");
	print_str(p, lab->region, false, NULL);
	sb_puts(&p->sb, "\naccount");
	print_str(p, lab->account, false, NULL);
	sb_puts(&p->sb, "\n");
	for (i = 0; i < lab->npools; i++) {
		sb_puts(&p->sb, "public-ip-pool");
		print_cidr(p, lab->pools[i]);
		sb_puts(&p->sb, "\n");
	}

	for (k = 0; k < RES__COUNT; k++)
		for (i = 0; res_types[k]->print && i < lab->res[k].n && !p->err;
		     i++)
			res_types[k]->print(p, lab->res[k].v[i]);
	if (!p->err)
		check_auto_ips(p);
	if (!p->err)
		CHECK_ORDER(p, lab->route_tables, lab->nroute_tables);
	if (!p->err)
		CHECK_ORDER(p, lab->nacls, lab->nnacls);
	if (!p->err)
		CHECK_ORDER(p, lab->sgs, lab->nsgs);

	/* As written: the model keeps each line's text, names as given. A
	 * line break inside it (from a quoted word) would not survive. */
	if (lab->nexpects && !p->err)
		sb_puts(&p->sb, "\n");
	for (i = 0; i < lab->nexpects && !p->err; i++) {
		const char *t = lab->expects[i].text;

		if (!t || strchr(t, '\n') || !utf8_ok(t)) {
			print_fail(p, -EINVAL, NULL);
			break;
		}
		sb_printf(&p->sb, "%s\n", t);
	}

	if (!p->err && p->sb.oom)
		p->err = -ENOMEM;
	if (p->err) {
		sb_free(&p->sb);
		if (p->err != -ENOMEM && d)
			diag_error(d, (struct place){ 0 }, "Vpcemu.Unsupported",
				   "The lab file format cannot hold this change%s%s%s%s%s",
				   p->bad ? " (" : "",
				   p->bad ? res_kind_name(p->bad->kind) : "",
				   p->bad ? " " : "",
				   p->bad ? p->bad->name : "", p->bad ? ")" : "");
		return p->err;
	}
	*ret_text = sb_take(&p->sb);
	return *ret_text ? 0 : -ENOMEM;
}

char *print_lab(const struct lab *lab)
{
	char *text;
	int r = print_lab_to(lab, &text, NULL);

	if (r < 0) {
		errno = -r;
		return NULL;
	}
	return text;
}
