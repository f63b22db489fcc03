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
#include "vpcemu/util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Defaults of model.c (docs/lab-conf.md). */
#define DEFAULT_AMI "al2023"
#define DEFAULT_INSTANCE_TYPE "t2.micro"
#define DEFAULT_SG_DESCRIPTION "default VPC security group"
#define DEFAULT_NACL_RULE 100u
#define NAME_MAX_LEN 48

/* ID prefixes by kind, as model.c makes them (IAM roles and ENIs are not
 * checked: role IDs have their own scheme, ENIs are never written). */
static const char *const id_prefix[RES__COUNT] = {
	[RES_VPC] = "vpc-",
	[RES_SUBNET] = "subnet-",
	[RES_ROUTE_TABLE] = "rtb-",
	[RES_PEERING] = "pcx-",
	[RES_SG] = "sg-",
	[RES_NACL] = "acl-",
	[RES_INSTANCE] = "i-",
	[RES_ENDPOINT] = "vpce-",
};

/* Prefixes a name must not look like (model.c refuses such names, since a
 * reference may be a name or an ID). */
static const char *const id_like[] = {
	"vpc-", "subnet-", "rtb-", "acl-", "sg-", "sgr-", "eni-", "i-",
	"pcx-", "igw-", "eigw-", "nat-", "vpce-", "vgw-", "tgw-",
	"tgw-attach-", "tgw-rtb-", "pl-", "vpce-svc-",
};

static const char *const short_services[] = {
	"ssm", "ssmmessages", "ec2messages", "s3", "dynamodb",
};

struct printer {
	const struct lab *lab;
	struct strbuf sb;
	int err;			/* first error, -errno */
	const struct res *bad;		/* the resource it is about */
};

static void fail(struct printer *p, int err, const struct res *r)
{
	if (p->err)
		return;
	p->err = err;
	p->bad = r;
}

static bool str_eq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
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
static void put_str(struct printer *p, const char *s, bool quote,
		    const struct res *r)
{
	if (!s || !utf8_ok(s)) {
		fail(p, -EINVAL, r);
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
static bool name_ok(const char *s)
{
	size_t i, j, n = s ? strlen(s) : 0;

#define ALNUM(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || \
		  ((c) >= '0' && (c) <= '9'))
	if (n < 1 || n > NAME_MAX_LEN || !ALNUM(s[0]))
		return false;
	for (i = 1; i < n; i++)
		if (!ALNUM(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
#undef ALNUM
	for (i = 0; i < ARRAY_SIZE(id_like); i++) {
		size_t pl = strlen(id_like[i]), hl = n - pl;

		if (strncmp(s, id_like[i], pl) || hl < 8 || hl > 17)
			continue;
		for (j = pl; j < n && ((s[j] >= '0' && s[j] <= '9') ||
				       (s[j] >= 'a' && s[j] <= 'f'));
		     j++)
			;
		if (j == n)
			return false;
	}
	if (!strncmp(s, "AROA", 4) && n == 21) {
		for (j = 4; j < n && ((s[j] >= 'A' && s[j] <= 'Z') ||
				      (s[j] >= '0' && s[j] <= '9'));
		     j++)
			;
		if (j == n)
			return false;
	}
	return true;
}

/* A resource written by name: the name must parse, and give the same ID
 * again (IDs hash lab, kind and name; the file keeps only the name). */
static bool res_ok(struct printer *p, const struct res *r)
{
	char id[MODEL_ID_MAX];

	if (!name_ok(r->name)) {
		fail(p, -ENOTSUP, r);
		return false;
	}
	if (!id_prefix[r->kind])
		return true;
	model_make_id(id, id_prefix[r->kind], p->lab->name,
		      res_kind_name(r->kind), r->name);
	if (strcmp(id, r->id)) {
		fail(p, -ENOTSUP, r);
		return false;
	}
	return true;
}

/* " NAME" of a referenced resource; NULL is a broken model. */
static void put_ref(struct printer *p, const struct res *ref,
		    const struct res *from)
{
	if (!ref || !ref->name) {
		fail(p, -EINVAL, from);
		return;
	}
	sb_printf(&p->sb, " %s", ref->name);
}

static void put_cidr(struct printer *p, struct cidr c)
{
	char buf[20];

	sb_printf(&p->sb, " %s", cidr_fmt(c, buf));
}

static void block_open(struct printer *p, const struct res *r)
{
	sb_printf(&p->sb, "\n%s %s {\n", res_kind_name(r->kind), r->name);
}

static void block_close(struct printer *p)
{
	sb_puts(&p->sb, "}\n");
}

/* RULE of security groups and network ACLs (docs/lab-conf.md). */
static void put_proto(struct printer *p, const struct proto_match *pm,
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
			fail(p, -EINVAL, r);
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
				fail(p, -EINVAL, r);
			return;
		}
		if (pm->icmp_type > 255 || pm->icmp_code > 255) {
			fail(p, -EINVAL, r);
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
	fail(p, -EINVAL, r);
}

/* "associate A B" / "subnets A B": one line for the whole list. */
static void put_subnet_list(struct printer *p, const char *kw,
			    struct subnet *const *v, size_t n,
			    const struct res *r)
{
	size_t i;

	if (!n)
		return;
	sb_printf(&p->sb, "\t%s", kw);
	for (i = 0; i < n; i++)
		put_ref(p, v[i] ? &v[i]->r : NULL, r);
	sb_puts(&p->sb, "\n");
}

static void put_sg_list(struct printer *p, struct sg *const *v, size_t n,
			const struct res *r)
{
	size_t i;

	sb_puts(&p->sb, "\tsecurity-groups");
	for (i = 0; i < n; i++)
		put_ref(p, v[i] ? &v[i]->r : NULL, r);
	sb_puts(&p->sb, "\n");
}

/* The group list is the default one model_build gives when none is
 * written: exactly the VPC's default group. */
static bool sgs_default(const struct vpc *v, struct sg *const *sgs, size_t n)
{
	return v && n == 1 && sgs[0] == v->default_sg;
}

/* ------------------------------------------------------------------ */
/* Implicit resources: checked, never written */

static bool is_default_nacl_entry(const struct nacl_entry *e,
				  enum direction dir)
{
	return e->dir == dir && e->number == DEFAULT_NACL_RULE &&
	       e->action == NACL_ALLOW && e->proto.kind == PROTO_ALL &&
	       e->cidr.len == 0;
}

/* The AWS default egress rule: all to 0.0.0.0/0, no description. */
static bool is_default_egress(const struct sg_rule *x)
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
	model_make_id(id, id_prefix[r->kind], p->lab->name,
		      res_kind_name(r->kind), r->name);
	return !strcmp(id, r->id);
}

static void check_implicit_rt(struct printer *p, const struct route_table *t)
{
	if (!implicit_name_ok(p, &t->r, t->vpc, ".main") || !t->main ||
	    t->vpc->main_rt != t || t->nassoc || t->nroutes)
		fail(p, -ENOTSUP, &t->r);
}

static void check_implicit_nacl(struct printer *p, const struct nacl *n)
{
	if (!implicit_name_ok(p, &n->r, n->vpc, ".default-acl") ||
	    !n->is_default || n->vpc->default_nacl != n || n->nassoc ||
	    n->nentries != 2 ||
	    !is_default_nacl_entry(&n->entries[0], DIR_INGRESS) ||
	    !is_default_nacl_entry(&n->entries[1], DIR_EGRESS))
		fail(p, -ENOTSUP, &n->r);
}

static void check_implicit_sg(struct printer *p, const struct sg *g)
{
	const struct sg_rule *x = g->rules;

	if (!implicit_name_ok(p, &g->r, g->vpc, ".default") ||
	    !g->is_default || g->vpc->default_sg != g || g->egress_none ||
	    !str_eq(g->description, DEFAULT_SG_DESCRIPTION) ||
	    g->nrules != 2 || x[0].dir != DIR_INGRESS ||
	    x[0].proto.kind != PROTO_ALL || x[0].peer_kind != SG_PEER_SG ||
	    x[0].peer_sg != g || x[0].description ||
	    !is_default_egress(&x[1]))
		fail(p, -ENOTSUP, &g->r);
}

/* Each VPC has exactly one default ACL and group, both implicit, and an
 * implicit main table exactly when no written table is main: that is what
 * model_build will create again. */
static void check_vpc_implicit(struct printer *p, const struct vpc *v)
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
		fail(p, -ENOTSUP, &v->r);
}

/* model_build gives interface endpoints' ENIs the lowest free addresses
 * from base+4, in endpoint then subnet order, after every instance (whose
 * addresses are written). Redo it: an address it would not give again
 * cannot be kept, as no attribute holds it. */
static bool ip_taken(const struct lab *lab, const struct subnet *s,
		     uint64_t ip)
{
	size_t i;

	for (i = 0; i < lab->ninstances; i++)
		if (lab->instances[i]->subnet == s &&
		    lab->instances[i]->private_ip == ip)
			return true;
	return false;
}

static void check_endpoint_ips(struct printer *p)
{
	const struct lab *lab = p->lab;
	size_t si, i, j;

	for (si = 0; si < lab->nsubnets && !p->err; si++) {
		const struct subnet *s = lab->subnets[si];
		uint64_t next = (uint64_t)s->cidr.addr + 4;

		for (i = 0; i < lab->nendpoints && !p->err; i++) {
			const struct endpoint *e = lab->endpoints[i];

			if (e->type != ENDPOINT_INTERFACE)
				continue;
			if (e->nenis != e->nsubnets) {
				fail(p, -EINVAL, &e->r);
				break;
			}
			for (j = 0; j < e->nenis; j++) {
				if (!e->enis[j] || e->subnets[j] != s)
					continue;
				while (ip_taken(lab, s, next))
					next++;
				if (e->enis[j]->ip != next++) {
					fail(p, -ENOTSUP, &e->r);
					break;
				}
			}
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
			fail(p, -EINVAL, res[i]);
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
				fail(p, -EINVAL, res[j]);
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
			fail(p, -EINVAL, res[j]);
			return;
		}
	}
}

#define CHECK_ORDER(p, arr, n)                                                \
	do {                                                                  \
		const struct res **r_ = calloc((n) + 1, sizeof(*r_));         \
		const struct vpc **v_ = calloc((n) + 1, sizeof(*v_));         \
		size_t i_;                                                    \
		if (r_ && v_) {                                               \
			for (i_ = 0; i_ < (n); i_++) {                        \
				r_[i_] = &(arr)[i_]->r;                       \
				v_[i_] = (arr)[i_]->vpc;                      \
			}                                                     \
			check_order((p), r_, v_, (n));                        \
		} else {                                                      \
			fail((p), -ENOMEM, NULL);                             \
		}                                                             \
		free(r_);                                                     \
		free(v_);                                                     \
	} while (0)

/* ------------------------------------------------------------------ */
/* Blocks */

static void print_vpc(struct printer *p, const struct vpc *v)
{
	const struct lab *lab = p->lab;
	size_t i;

	check_vpc_implicit(p, v);
	if (!res_ok(p, &v->r))
		return;
	if (!v->ncidrs) {
		fail(p, -EINVAL, &v->r);
		return;
	}
	block_open(p, &v->r);
	for (i = 0; i < v->ncidrs; i++) {
		sb_puts(&p->sb, "\tcidr");
		put_cidr(p, v->cidrs[i]);
		sb_puts(&p->sb, "\n");
	}
	if (!v->dns_support)
		sb_puts(&p->sb, "\tdns-support no\n");
	if (v->dns_hostnames)
		sb_puts(&p->sb, "\tdns-hostnames yes\n");
	if (!str_eq(v->region, lab->region)) {
		sb_puts(&p->sb, "\tregion");
		put_str(p, v->region, false, &v->r);
		sb_puts(&p->sb, "\n");
	}
	if (!str_eq(v->account, lab->account)) {
		sb_puts(&p->sb, "\taccount");
		put_str(p, v->account, false, &v->r);
		sb_puts(&p->sb, "\n");
	}
	block_close(p);
}

static void print_subnet(struct printer *p, const struct subnet *s)
{
	char *az;

	if (!res_ok(p, &s->r))
		return;
	if (!s->vpc) {
		fail(p, -EINVAL, &s->r);
		return;
	}
	block_open(p, &s->r);
	sb_printf(&p->sb, "\tvpc %s\n\tcidr", s->vpc->r.name);
	put_cidr(p, s->cidr);
	sb_puts(&p->sb, "\n");
	az = str_printf("%sa", s->vpc->region ? s->vpc->region : "");
	if (!az) {
		fail(p, -ENOMEM, NULL);
		return;
	}
	if (!str_eq(s->az, az)) {
		sb_puts(&p->sb, "\taz");
		put_str(p, s->az, false, &s->r);
		sb_puts(&p->sb, "\n");
	}
	free(az);
	if (s->public_ip_on_launch)
		sb_puts(&p->sb, "\tpublic-ip-on-launch yes\n");
	block_close(p);
}

static void print_route(struct printer *p, const struct route_table *t,
			const struct route *rt)
{
	const struct res *target = NULL;

	sb_puts(&p->sb, "\troute");
	put_cidr(p, rt->dst);
	sb_puts(&p->sb, " via");
	switch (rt->target_kind) {
	case TARGET_BLACKHOLE:
		sb_puts(&p->sb, " blackhole\n");
		return;
	case TARGET_PEERING:
		target = rt->peering ? &rt->peering->r : NULL;
		break;
	case TARGET_INSTANCE:
		target = rt->instance ? &rt->instance->r : NULL;
		break;
	case TARGET_ENDPOINT:
		target = rt->endpoint ? &rt->endpoint->r : NULL;
		break;
	}
	put_ref(p, target, &t->r);
	sb_puts(&p->sb, "\n");
}

static void print_route_table(struct printer *p, const struct route_table *t)
{
	size_t i;

	if (t->r.implicit) {
		check_implicit_rt(p, t);
		return;
	}
	if (!res_ok(p, &t->r))
		return;
	block_open(p, &t->r);
	sb_puts(&p->sb, "\tvpc");
	put_ref(p, t->vpc ? &t->vpc->r : NULL, &t->r);
	sb_puts(&p->sb, "\n");
	if (t->main)
		sb_puts(&p->sb, "\tmain yes\n");
	put_subnet_list(p, "associate", t->assoc, t->nassoc, &t->r);
	for (i = 0; i < t->nroutes; i++)
		print_route(p, t, &t->routes[i]);
	block_close(p);
}

static void print_peering(struct printer *p, const struct peering *x)
{
	if (!res_ok(p, &x->r))
		return;
	block_open(p, &x->r);
	sb_puts(&p->sb, "\trequester");
	put_ref(p, x->requester ? &x->requester->r : NULL, &x->r);
	sb_puts(&p->sb, "\n\taccepter");
	put_ref(p, x->accepter ? &x->accepter->r : NULL, &x->r);
	sb_puts(&p->sb, "\n");
	switch (x->status) {
	case PEERING_ACTIVE:
	case PEERING_FAILED:
		/* failed: check_lab derives it again from the overlap. */
		break;
	case PEERING_PENDING_ACCEPTANCE:
	case PEERING_REJECTED:
		sb_printf(&p->sb, "\tstatus %s\n",
			  peering_status_name(x->status));
		break;
	case PEERING_DELETED:
	case PEERING_EXPIRED:
	default:
		fail(p, -ENOTSUP, &x->r);
		break;
	}
	if (x->requester_allows_remote_dns)
		sb_puts(&p->sb, "\trequester-allows-remote-dns yes\n");
	if (x->accepter_allows_remote_dns)
		sb_puts(&p->sb, "\taccepter-allows-remote-dns yes\n");
	block_close(p);
}

static void print_sg_rule(struct printer *p, const struct sg *g,
			  const struct sg_rule *x)
{
	bool in = x->dir == DIR_INGRESS;

	sb_puts(&p->sb, in ? "\tingress" : "\tegress");
	put_proto(p, &x->proto, &g->r);
	sb_puts(&p->sb, in ? " from" : " to");
	if (x->peer_kind == SG_PEER_CIDR)
		put_cidr(p, x->cidr);
	else if (x->peer_sg == g)
		sb_puts(&p->sb, " self");
	else
		put_ref(p, x->peer_sg ? &x->peer_sg->r : NULL, &g->r);
	/* Always a string: the parser knows a description by its quotes. */
	if (x->description)
		put_str(p, x->description, true, &g->r);
	sb_puts(&p->sb, "\n");
}

static void print_sg(struct printer *p, const struct sg *g)
{
	size_t i, negress = 0;
	bool skip_last = false;

	if (g->r.implicit) {
		check_implicit_sg(p, g);
		return;
	}
	if (!res_ok(p, &g->r))
		return;
	for (i = 0; i < g->nrules; i++)
		negress += g->rules[i].dir == DIR_EGRESS;
	/* With no egress line model_build appends the default egress rule
	 * after the others: leave it out only where it would come back to
	 * the same place. */
	if (negress == 1 && is_default_egress(&g->rules[g->nrules - 1]))
		skip_last = true;
	block_open(p, &g->r);
	sb_puts(&p->sb, "\tvpc");
	put_ref(p, g->vpc ? &g->vpc->r : NULL, &g->r);
	sb_puts(&p->sb, "\n");
	if (g->description && g->description[0]) {
		sb_puts(&p->sb, "\tdescription");
		put_str(p, g->description, true, &g->r);
		sb_puts(&p->sb, "\n");
	}
	for (i = 0; i < g->nrules - skip_last; i++)
		print_sg_rule(p, g, &g->rules[i]);
	/* The rules are the truth: egress_none set beside an egress rule
	 * (a daemon that authorized one and left the flag) is dropped. */
	if (!negress)
		sb_puts(&p->sb, "\tegress none\n");
	block_close(p);
}

static void print_nacl(struct printer *p, const struct nacl *n)
{
	size_t i;

	if (n->r.implicit) {
		check_implicit_nacl(p, n);
		return;
	}
	if (!res_ok(p, &n->r))
		return;
	block_open(p, &n->r);
	sb_puts(&p->sb, "\tvpc");
	put_ref(p, n->vpc ? &n->vpc->r : NULL, &n->r);
	sb_puts(&p->sb, "\n");
	put_subnet_list(p, "associate", n->assoc, n->nassoc, &n->r);
	for (i = 0; i < n->nentries; i++) {
		const struct nacl_entry *e = &n->entries[i];
		bool in = e->dir == DIR_INGRESS;

		if (e->number < 1 || e->number > 32766) {
			fail(p, -EINVAL, &n->r);
			break;
		}
		sb_printf(&p->sb, "\t%s %u %s", in ? "ingress" : "egress",
			  e->number,
			  e->action == NACL_ALLOW ? "allow" : "deny");
		put_proto(p, &e->proto, &n->r);
		sb_puts(&p->sb, in ? " from" : " to");
		put_cidr(p, e->cidr);
		sb_puts(&p->sb, "\n");
	}
	block_close(p);
}

static void print_role(struct printer *p, const struct iam_role *role)
{
	size_t i;

	if (!res_ok(p, &role->r))
		return;
	block_open(p, &role->r);
	if (role->npolicies) {
		sb_puts(&p->sb, "\tpolicies");
		for (i = 0; i < role->npolicies; i++)
			put_str(p, role->policies[i], false, &role->r);
		sb_puts(&p->sb, "\n");
	}
	block_close(p);
}

static void print_instance(struct printer *p, const struct instance *in)
{
	const struct subnet *s = in->subnet;
	char ip[16];

	if (!res_ok(p, &in->r))
		return;
	if (!s || !s->vpc) {
		fail(p, -EINVAL, &in->r);
		return;
	}
	/* No group would come back as the VPC's default group. */
	if (!in->nsgs) {
		fail(p, -ENOTSUP, &in->r);
		return;
	}
	block_open(p, &in->r);
	sb_printf(&p->sb, "\tsubnet %s\n", s->r.name);
	/* Always: a reparse must not assign addresses again. */
	sb_printf(&p->sb, "\tprivate-ip %s\n", ip_fmt(in->private_ip, ip));
	if (!sgs_default(s->vpc, in->sgs, in->nsgs))
		put_sg_list(p, in->sgs, in->nsgs, &in->r);
	if (in->role) {
		sb_puts(&p->sb, "\tiam-instance-profile");
		put_ref(p, &in->role->r, &in->r);
		sb_puts(&p->sb, "\n");
	}
	if (in->public_ip != s->public_ip_on_launch)
		sb_printf(&p->sb, "\tpublic-ip %s\n",
			  in->public_ip ? "yes" : "no");
	if (!str_eq(in->ami, DEFAULT_AMI)) {
		sb_puts(&p->sb, "\tami");
		put_str(p, in->ami, false, &in->r);
		sb_puts(&p->sb, "\n");
	}
	if (!str_eq(in->instance_type, DEFAULT_INSTANCE_TYPE)) {
		sb_puts(&p->sb, "\tinstance-type");
		put_str(p, in->instance_type, false, &in->r);
		sb_puts(&p->sb, "\n");
	}
	if (in->user_data) {
		sb_puts(&p->sb, "\tuser-data");
		put_str(p, in->user_data, true, &in->r);
		sb_puts(&p->sb, "\n");
	}
	if (in->user_data_file) {
		sb_puts(&p->sb, "\tuser-data-file");
		put_str(p, in->user_data_file, false, &in->r);
		sb_puts(&p->sb, "\n");
	}
	if (!in->metadata_tokens_required)
		sb_puts(&p->sb, "\tmetadata-tokens optional\n");
	if (in->metadata_disabled)
		sb_puts(&p->sb, "\tmetadata-endpoint disabled\n");
	if (in->metadata_hop_limit != 1)
		sb_printf(&p->sb, "\tmetadata-hop-limit %u\n",
			  in->metadata_hop_limit);
	block_close(p);
}

/* The short form when model_build would expand it to the same service:
 * a short name in the endpoint's VPC's region. */
static bool service_is_short(const struct endpoint *e)
{
	static const char pfx[] = "com.amazonaws.";
	const char *rg = e->vpc->region, *sh = e->service_short;
	size_t i, pl = sizeof(pfx) - 1, rl;

	if (!rg || !sh || strncmp(e->service, pfx, pl))
		return false;
	rl = strlen(rg);
	if (strncmp(e->service + pl, rg, rl) || e->service[pl + rl] != '.' ||
	    strcmp(e->service + pl + rl + 1, sh))
		return false;
	for (i = 0; i < ARRAY_SIZE(short_services); i++)
		if (!strcmp(sh, short_services[i]))
			return true;
	return false;
}

static void print_endpoint(struct printer *p, const struct endpoint *e)
{
	enum endpoint_type deftype;
	size_t i;

	if (!res_ok(p, &e->r))
		return;
	if (!e->vpc || !e->service) {
		fail(p, -EINVAL, &e->r);
		return;
	}
	if (e->type == ENDPOINT_INTERFACE && !e->nsgs) {
		fail(p, -ENOTSUP, &e->r);
		return;
	}
	deftype = str_eq(e->service_short, "s3") ||
				  str_eq(e->service_short, "dynamodb") ?
			  ENDPOINT_GATEWAY :
			  ENDPOINT_INTERFACE;
	block_open(p, &e->r);
	sb_printf(&p->sb, "\tvpc %s\n\tservice", e->vpc->r.name);
	put_str(p, service_is_short(e) ? e->service_short : e->service, false,
		&e->r);
	sb_puts(&p->sb, "\n");
	if (e->type != deftype)
		sb_printf(&p->sb, "\ttype %s\n",
			  e->type == ENDPOINT_GATEWAY ? "gateway" :
							"interface");
	put_subnet_list(p, "subnets", e->subnets, e->nsubnets, &e->r);
	if (e->nsgs && !(e->type == ENDPOINT_INTERFACE &&
			 sgs_default(e->vpc, e->sgs, e->nsgs)))
		put_sg_list(p, e->sgs, e->nsgs, &e->r);
	if (e->private_dns != (e->type == ENDPOINT_INTERFACE))
		sb_printf(&p->sb, "\tprivate-dns %s\n",
			  e->private_dns ? "yes" : "no");
	if (e->nroute_tables) {
		sb_puts(&p->sb, "\troute-tables");
		for (i = 0; i < e->nroute_tables; i++)
			put_ref(p, e->route_tables[i] ?
					   &e->route_tables[i]->r : NULL,
				&e->r);
		sb_puts(&p->sb, "\n");
	}
	block_close(p);
}

/* ------------------------------------------------------------------ */

int print_lab_to(const struct lab *lab, char **ret_text,
		 const struct res **ret_bad)
{
	struct printer pp = { .lab = lab }, *p = &pp;
	size_t i;

	*ret_text = NULL;
	if (ret_bad)
		*ret_bad = NULL;
	if (!lab || !name_ok(lab->name))
		return -EINVAL;

	sb_printf(&p->sb, "lab %s\n", lab->name);
	sb_puts(&p->sb, "region");
	put_str(p, lab->region, false, NULL);
	sb_puts(&p->sb, "\naccount");
	put_str(p, lab->account, false, NULL);
	sb_puts(&p->sb, "\n");

	for (i = 0; i < lab->nvpcs && !p->err; i++)
		print_vpc(p, lab->vpcs[i]);
	for (i = 0; i < lab->nsubnets && !p->err; i++)
		print_subnet(p, lab->subnets[i]);
	for (i = 0; i < lab->nroute_tables && !p->err; i++)
		print_route_table(p, lab->route_tables[i]);
	for (i = 0; i < lab->npeerings && !p->err; i++)
		print_peering(p, lab->peerings[i]);
	for (i = 0; i < lab->nsgs && !p->err; i++)
		print_sg(p, lab->sgs[i]);
	for (i = 0; i < lab->nnacls && !p->err; i++)
		print_nacl(p, lab->nacls[i]);
	for (i = 0; i < lab->nroles && !p->err; i++)
		print_role(p, lab->roles[i]);
	for (i = 0; i < lab->ninstances && !p->err; i++)
		print_instance(p, lab->instances[i]);
	for (i = 0; i < lab->nendpoints && !p->err; i++)
		print_endpoint(p, lab->endpoints[i]);
	if (!p->err)
		check_endpoint_ips(p);
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
			fail(p, -EINVAL, NULL);
			break;
		}
		sb_printf(&p->sb, "%s\n", t);
	}

	if (!p->err && p->sb.oom)
		p->err = -ENOMEM;
	if (p->err) {
		sb_free(&p->sb);
		if (ret_bad)
			*ret_bad = p->bad;
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
