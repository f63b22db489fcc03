/* diff.c - two plans -> the ordered operations between them (pure: no I/O).
 *
 * Sits between plan.c and lab.c (lab_apply_diff). Each kind of object is
 * sorted on its key in both plans and the two lists are merged, as BIRD's
 * static_reconfigure does: only in the old plan -> remove, only in the new
 * -> add, in both with other content -> change in place. Operations land in
 * one bucket per step of the order diff.h gives, and the buckets are
 * concatenated at the end.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/diff.h"
#include "vpcemu/nftgen.h"
#include "vpcemu/util.h"


/* The steps of diff.h's order; each collects its operations in key order. */
enum step {
	STEP_VETH_DEL,
	STEP_NS_DEL,
	STEP_NS_ADD,
	STEP_SYSCTL_NS,		/* namespace-wide: before the devices */
	STEP_VETH_ADD,
	STEP_SYSCTL_DEV,	/* of one device: after it exists */
	STEP_LINK,
	STEP_ADDR_ADD,
	STEP_ROUTE,		/* add and replace */
	STEP_RULE_ADD,
	STEP_NFT,
	STEP_FILE_WRITE,
	STEP_RULE_DEL,
	STEP_ROUTE_DEL,
	STEP_ADDR_DEL,
	STEP_FILE_DEL,
	STEP__COUNT,
};

struct bucket {
	struct diff_op *ops;
	size_t n, cap;
};

struct dctx {
	const struct plan *old, *new;
	size_t *old_to_new;	/* old ns -> new ns; SIZE_MAX: it goes */
	bool *fresh;		/* new ns created by this diff */
	/* Place of each namespace of old and new in their merged name
	 * order (equal names, equal ranks), once ranked. */
	size_t *rank_old, *rank_new;
	bool ranked;
	/* Namespaces kept with the same hash (plan.h) in old and new: their
	 * objects take no part in the merge. */
	bool *same_old, *same_new;
	struct bucket steps[STEP__COUNT];
	int err;
};

#define NONE SIZE_MAX

/* ---- keys ---------------------------------------------------------------- */

/* Compares object a of plan pa with object b of plan pb on their key. */
typedef int (*key_cmp_fn)(const struct dctx *c, const struct plan *pa,
			  size_t a, const struct plan *pb, size_t b);

static int cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_cidr(struct cidr a, struct cidr b)
{
	return a.addr != b.addr ? cmp_u32(a.addr, b.addr) : cmp_u32(a.len, b.len);
}

/* Namespaces compare by name; once merged (ranked), by their place in the
 * merged order: an integer compare instead of a string one, which is most
 * of a diff's time in a large lab. */
static int cmp_ns(const struct dctx *c, const struct plan *pa,
		  size_t a, const struct plan *pb, size_t b)
{
	const size_t *ra = pa == c->old ? c->rank_old : c->rank_new;
	const size_t *rb = pb == c->old ? c->rank_old : c->rank_new;

	if (!c->ranked)
		return strcmp(pa->ns[a].name, pb->ns[b].name);
	return ra[a] < rb[b] ? -1 : ra[a] > rb[b];
}

static int key_ns(const struct dctx *c, const struct plan *pa,
		  size_t a, const struct plan *pb, size_t b)
{
	return cmp_ns(c, pa, a, pb, b);
}

static int key_veth(const struct dctx *c, const struct plan *pa,
		    size_t a, const struct plan *pb, size_t b)
{
	const struct plan_veth *x = &pa->veths[a], *y = &pb->veths[b];
	int r;

	if ((r = cmp_ns(c, pa, x->ns_a, pb, y->ns_a)) ||
	    (r = strcmp(x->name_a, y->name_a)) ||
	    (r = cmp_ns(c, pa, x->ns_b, pb, y->ns_b)))
		return r;
	return strcmp(x->name_b, y->name_b);
}

static int key_addr(const struct dctx *c, const struct plan *pa,
		    size_t a, const struct plan *pb, size_t b)
{
	const struct plan_addr *x = &pa->addrs[a], *y = &pb->addrs[b];
	int r;

	if ((r = cmp_ns(c, pa, x->ns, pb, y->ns)) || (r = strcmp(x->dev, y->dev)) ||
	    (r = cmp_u32(x->addr, y->addr)))
		return r;
	return cmp_u32(x->prefix, y->prefix);
}

static int key_route(const struct dctx *c, const struct plan *pa,
		     size_t a, const struct plan *pb, size_t b)
{
	const struct plan_route *x = &pa->routes[a], *y = &pb->routes[b];
	int r;

	if ((r = cmp_ns(c, pa, x->ns, pb, y->ns)) ||
	    (r = cmp_u32(x->table, y->table)))
		return r;
	return cmp_cidr(x->dst, y->dst);
}

static int key_rule(const struct dctx *c, const struct plan *pa,
		    size_t a, const struct plan *pb, size_t b)
{
	const struct plan_rule *x = &pa->rules[a], *y = &pb->rules[b];
	int r;

	if ((r = cmp_ns(c, pa, x->ns, pb, y->ns)) ||
	    (r = cmp_u32(x->pref, y->pref)) || (r = strcmp(x->iif, y->iif)) ||
	    (r = cmp_u32(x->fwmark, y->fwmark)))
		return r;
	return cmp_cidr(x->dst, y->dst);
}

static int key_sysctl(const struct dctx *c, const struct plan *pa,
		      size_t a, const struct plan *pb, size_t b)
{
	const struct plan_sysctl *x = &pa->sysctls[a], *y = &pb->sysctls[b];
	int r;

	if ((r = cmp_ns(c, pa, x->ns, pb, y->ns)))
		return r;
	return strcmp(x->path, y->path);
}

static int key_nft(const struct dctx *c, const struct plan *pa,
		   size_t a, const struct plan *pb, size_t b)
{
	return cmp_ns(c, pa, pa->nfts[a].ns, pb, pb->nfts[b].ns);
}

static int key_file(const struct dctx *c, const struct plan *pa,
		    size_t a, const struct plan *pb, size_t b)
{
	const struct plan_file *x = &pa->files[a], *y = &pb->files[b];
	int r;

	if ((r = cmp_ns(c, pa, x->ns, pb, y->ns)))
		return r;
	return strcmp(x->name, y->name);
}

/* ---- buckets ------------------------------------------------------------- */

/* Frees the strings op owns. */
static void op_release(struct diff_op *op)
{
	if (op->kind == DIFF_NS_DEL || op->kind == DIFF_FILE_DEL)
		free(op->name);
	free(op->delta);
}

static struct diff_op *push(struct dctx *c, enum step s,
			    enum diff_op_kind kind, size_t ns)
{
	struct bucket *b = &c->steps[s];
	struct diff_op *op;

	if (c->err)
		return NULL;
	op = VEC_PUSH(b->ops, b->n, b->cap);
	if (!op) {
		c->err = -ENOMEM;
		return NULL;
	}
	op->kind = kind;
	op->ns = ns;
	return op;
}

static void push_index(struct dctx *c, enum step s, enum diff_op_kind kind,
		       size_t ns, size_t index)
{
	struct diff_op *op = push(c, s, kind, ns);

	if (op)
		op->index = index;
}

static void push_name(struct dctx *c, enum step s, enum diff_op_kind kind,
		      size_t ns, const char *name)
{
	struct diff_op *op = push(c, s, kind, ns);

	if (op && !(op->name = strdup(name))) {
		c->steps[s].n--;
		c->err = -ENOMEM;
	}
}

/* ---- emitters: i indexes the old plan, j the new; NONE when absent ------- */

static void emit_ns(struct dctx *c, size_t i, size_t j)
{
	if (i != NONE && j != NONE &&
	    c->old->ns[i].kind == c->new->ns[j].kind) {
		c->old_to_new[i] = j;
		c->same_old[i] = c->same_new[j] =
			c->old->ns[i].hash == c->new->ns[j].hash;
		return;
	}
	/* A name that changes kind is a different namespace: it goes and
	 * is created again (removals come first in the list). */
	if (i != NONE)
		push_name(c, STEP_NS_DEL, DIFF_NS_DEL, NONE, c->old->ns[i].name);
	if (j != NONE) {
		c->fresh[j] = true;
		push_index(c, STEP_NS_ADD, DIFF_NS_ADD, j, j);
	}
}

static void emit_veth(struct dctx *c, size_t i, size_t j)
{
	struct diff_op *op;

	if (j == NONE) {
		op = push(c, STEP_VETH_DEL, DIFF_VETH_DEL,
			  c->old_to_new[c->old->veths[i].ns_a]);
		if (op) {
			op->veth = c->old->veths[i];
			op->veth.ns_a = c->old_to_new[op->veth.ns_a];
			op->veth.ns_b = c->old_to_new[op->veth.ns_b];
		}
		return;
	}
	if (i == NONE) {
		op = push(c, STEP_VETH_ADD, DIFF_VETH_ADD, c->new->veths[j].ns_a);
		if (op)
			op->veth = c->new->veths[j];
		/* A new veth starts down. */
		if (!c->new->veths[j].up)
			return;
	} else if (c->old->veths[i].up == c->new->veths[j].up) {
		return;
	}
	op = push(c, STEP_LINK, c->new->veths[j].up ? DIFF_VETH_UP :
			DIFF_VETH_DOWN, c->new->veths[j].ns_a);
	if (op)
		op->veth = c->new->veths[j];
}

static void emit_addr(struct dctx *c, size_t i, size_t j)
{
	struct diff_op *op;

	if (i != NONE && j != NONE)
		return;		/* the key is the whole address */
	if (j != NONE) {
		op = push(c, STEP_ADDR_ADD, DIFF_ADDR_ADD, c->new->addrs[j].ns);
		if (op)
			op->addr = c->new->addrs[j];
		return;
	}
	op = push(c, STEP_ADDR_DEL, DIFF_ADDR_DEL,
		  c->old_to_new[c->old->addrs[i].ns]);
	if (op) {
		op->addr = c->old->addrs[i];
		op->addr.ns = op->ns;
	}
}

static bool route_same(const struct plan_route *x, const struct plan_route *y)
{
	return x->type == y->type && x->gateway == y->gateway &&
	       (x->type == PLAN_ROUTE_BLACKHOLE || !strcmp(x->dev, y->dev));
}

static void emit_route(struct dctx *c, size_t i, size_t j)
{
	struct diff_op *op;

	if (j == NONE) {
		op = push(c, STEP_ROUTE_DEL, DIFF_ROUTE_DEL,
			  c->old_to_new[c->old->routes[i].ns]);
		if (op) {
			op->route = c->old->routes[i];
			op->route.ns = op->ns;
		}
		return;
	}
	if (i != NONE && route_same(&c->old->routes[i], &c->new->routes[j]))
		return;
	op = push(c, STEP_ROUTE, i == NONE ? DIFF_ROUTE_ADD : DIFF_ROUTE_REPLACE,
		  c->new->routes[j].ns);
	if (op)
		op->route = c->new->routes[j];
}

static bool rule_same(const struct plan_rule *x, const struct plan_rule *y)
{
	return x->action == y->action &&
	       (x->action == PLAN_RULE_BLACKHOLE || x->table == y->table);
}

static void emit_rule(struct dctx *c, size_t i, size_t j)
{
	struct diff_op *op;

	if (i != NONE && j != NONE &&
	    rule_same(&c->old->rules[i], &c->new->rules[j]))
		return;
	/* Changed: the new rule first, then the old one goes (diff.h). */
	if (j != NONE) {
		op = push(c, STEP_RULE_ADD, DIFF_RULE_ADD, c->new->rules[j].ns);
		if (op)
			op->rule = c->new->rules[j];
	}
	if (i != NONE) {
		op = push(c, STEP_RULE_DEL, DIFF_RULE_DEL,
			  c->old_to_new[c->old->rules[i].ns]);
		if (op) {
			op->rule = c->old->rules[i];
			op->rule.ns = op->ns;
		}
	}
}

static void emit_sysctl(struct dctx *c, size_t i, size_t j)
{
	const struct plan_sysctl *s;

	if (j == NONE)
		return;		/* left as it is (diff.h) */
	s = &c->new->sysctls[j];
	if (i != NONE && !strcmp(c->old->sysctls[i].value, s->value))
		return;
	push_index(c, diff_sysctl_is_device(s->path) ? STEP_SYSCTL_DEV :
			STEP_SYSCTL_NS, DIFF_SYSCTL_SET, s->ns, j);
}

static void emit_nft(struct dctx *c, size_t i, size_t j)
{
	struct diff_op *op;

	if (j == NONE)
		return;
	if (i != NONE &&
	    !strcmp(c->old->nfts[i].ruleset, c->new->nfts[j].ruleset))
		return;
	op = push(c, STEP_NFT, DIFF_NFT_APPLY, c->new->nfts[j].ns);
	if (!op)
		return;
	op->index = j;
	if (i == NONE)
		return;
	/* A router that stays gets only what changed in its ruleset. */
	op->delta = nftgen_delta(c->old->nfts[i].ruleset,
				 c->new->nfts[j].ruleset);
	if (!op->delta && errno == ENOMEM)
		c->err = -ENOMEM;
}

static void emit_file(struct dctx *c, size_t i, size_t j)
{
	if (j == NONE) {
		push_name(c, STEP_FILE_DEL, DIFF_FILE_DEL,
			  c->old_to_new[c->old->files[i].ns],
			  c->old->files[i].name);
		return;
	}
	if (i != NONE &&
	    !strcmp(c->old->files[i].content, c->new->files[j].content))
		return;
	push_index(c, STEP_FILE_WRITE, DIFF_FILE_WRITE, c->new->files[j].ns, j);
}

/* ---- sort and merge ------------------------------------------------------ */

/* One kind of object: how many a plan has, the namespaces each lives in
 * (up to two), its key, what to emit. */
struct kind {
	size_t (*count)(const struct plan *p);
	void (*where)(const struct plan *p, size_t i, size_t *a, size_t *b);
	key_cmp_fn key;
	void (*emit)(struct dctx *c, size_t i, size_t j);
};

#define COUNT_FN(field, n)                                                    \
	static size_t count_##field(const struct plan *p) { return p->n; }
COUNT_FN(ns, nns)
COUNT_FN(veths, nveths)
COUNT_FN(addrs, naddrs)
COUNT_FN(routes, nroutes)
COUNT_FN(rules, nrules)
COUNT_FN(sysctls, nsysctls)
COUNT_FN(nfts, nnfts)
COUNT_FN(files, nfiles)
#undef COUNT_FN

#define WHERE_FN(field)                                                       \
	static void where_##field(const struct plan *p, size_t i, size_t *a,  \
				  size_t *b)                                  \
	{                                                                     \
		*a = *b = p->field[i].ns;                                     \
	}
WHERE_FN(addrs)
WHERE_FN(routes)
WHERE_FN(rules)
WHERE_FN(sysctls)
WHERE_FN(nfts)
WHERE_FN(files)
#undef WHERE_FN

static void where_veths(const struct plan *p, size_t i, size_t *a, size_t *b)
{
	*a = p->veths[i].ns_a;
	*b = p->veths[i].ns_b;
}

static const struct kind kinds[] = {
	/* Namespaces first: the others need old_to_new and fresh. */
	{ count_ns, NULL, key_ns, emit_ns },
	{ count_veths, where_veths, key_veth, emit_veth },
	{ count_addrs, where_addrs, key_addr, emit_addr },
	{ count_routes, where_routes, key_route, emit_route },
	{ count_rules, where_rules, key_rule, emit_rule },
	{ count_sysctls, where_sysctls, key_sysctl, emit_sysctl },
	{ count_nfts, where_nfts, key_nft, emit_nft },
	{ count_files, where_files, key_file, emit_file },
};

struct sort_arg {
	const struct dctx *c;
	const struct plan *p;
	key_cmp_fn key;
};

static int sort_cmp(const void *x, const void *y, void *arg)
{
	const struct sort_arg *s = arg;

	return s->key(s->c, s->p, *(const size_t *)x, s->p,
		      *(const size_t *)y);
}

/* Indexes of the objects of p that take part, sorted on the key: of the
 * old plan those whose namespaces stay (the others go with them), of the
 * new plan all; but none whose namespaces are the same in both. Returns
 * NULL only on allocation failure (n > 0). */
static size_t *sorted(struct dctx *c, const struct kind *k,
		      const struct plan *p, bool old, size_t *ret_n)
{
	struct sort_arg arg = { c, p, k->key };
	const bool *same = old ? c->same_old : c->same_new;
	size_t n = k->count(p), i, a, b, *v;

	*ret_n = 0;
	v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < n; i++) {
		if (k->where) {
			k->where(p, i, &a, &b);
			if (old && (c->old_to_new[a] == NONE ||
				    c->old_to_new[b] == NONE))
				continue;
			if (same[a] && same[b])
				continue;
		}
		v[(*ret_n)++] = i;
	}
	qsort_r(v, *ret_n, sizeof(*v), sort_cmp, &arg);
	return v;
}

static void merge(struct dctx *c, const struct kind *k)
{
	size_t *o, *n, no, nn, i = 0, j = 0, rank = 0;
	int r;

	o = sorted(c, k, c->old, true, &no);
	n = sorted(c, k, c->new, false, &nn);
	if (!o || !n) {
		c->err = -ENOMEM;
		goto out;
	}
	while (!c->err && (i < no || j < nn)) {
		if (i == no)
			r = 1;
		else if (j == nn)
			r = -1;
		else
			r = k->key(c, c->old, o[i], c->new, n[j]);
		if (k->key == key_ns && !c->err) {
			if (r <= 0)
				c->rank_old[o[i]] = rank;
			if (r >= 0)
				c->rank_new[n[j]] = rank;
			rank++;
		}
		if (r < 0)
			k->emit(c, o[i++], NONE);
		else if (r > 0)
			k->emit(c, NONE, n[j++]);
		else
			k->emit(c, o[i++], n[j++]);
	}
	if (k->key == key_ns)
		c->ranked = true;
out:
	free(o);
	free(n);
}

/* ---- the diff ------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_touched(struct diff *d, size_t *cap, const char *name)
{
	char **slot = VEC_PUSH(d->touched, d->ntouched, *cap);

	if (!slot || !(*slot = strdup(name)))
		return -ENOMEM;
	return 0;
}

/* The sorted, unique names of the namespaces the operations work in. */
static int collect_touched(struct diff *d, const struct plan *new)
{
	size_t cap = 0, i, k;
	int r = 0;

	for (i = 0; !r && i < d->nops; i++) {
		const struct diff_op *op = &d->ops[i];

		if (op->kind == DIFF_NS_DEL) {
			r = add_touched(d, &cap, op->name);
			continue;
		}
		r = add_touched(d, &cap, new->ns[op->ns].name);
		if (!r && (op->kind == DIFF_VETH_ADD ||
			   op->kind == DIFF_VETH_DEL ||
			   op->kind == DIFF_VETH_UP ||
			   op->kind == DIFF_VETH_DOWN) &&
		    op->veth.ns_b != op->ns)
			r = add_touched(d, &cap, new->ns[op->veth.ns_b].name);
	}
	if (r)
		return r;
	if (d->ntouched)
		qsort(d->touched, d->ntouched, sizeof(*d->touched), cmp_str);
	for (i = k = 0; i < d->ntouched; i++) {
		if (k && !strcmp(d->touched[k - 1], d->touched[i])) {
			free(d->touched[i]);
			continue;
		}
		d->touched[k++] = d->touched[i];
	}
	d->ntouched = k;
	return 0;
}

struct diff *diff_compute(const struct plan *old, const struct plan *new)
{
	static const struct plan empty;
	struct dctx c = { .old = old ? old : &empty, .new = new };
	struct diff *d = calloc(1, sizeof(*d));
	size_t i, total = 0, s;

	c.old_to_new = malloc((c.old->nns + 1) * sizeof(*c.old_to_new));
	c.fresh = calloc(new->nns + 1, sizeof(*c.fresh));
	c.rank_old = malloc((c.old->nns + 1) * sizeof(*c.rank_old));
	c.rank_new = malloc((new->nns + 1) * sizeof(*c.rank_new));
	c.same_old = calloc(c.old->nns + 1, sizeof(*c.same_old));
	c.same_new = calloc(new->nns + 1, sizeof(*c.same_new));
	if (!d || !c.old_to_new || !c.fresh || !c.rank_old || !c.rank_new ||
	    !c.same_old || !c.same_new) {
		c.err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c.old->nns; i++)
		c.old_to_new[i] = NONE;
	for (i = 0; !c.err && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		merge(&c, &kinds[i]);
	if (c.err)
		goto out;

	for (s = 0; s < STEP__COUNT; s++)
		total += c.steps[s].n;
	d->ops = calloc(total + 1, sizeof(*d->ops));
	if (!d->ops) {
		c.err = -ENOMEM;
		goto out;
	}
	for (s = 0; s < STEP__COUNT; s++) {
		for (i = 0; i < c.steps[s].n; i++) {
			d->ops[d->nops] = c.steps[s].ops[i];
			d->count[d->ops[d->nops].kind]++;
			d->nops++;
		}
		/* The names moved into d->ops. */
		c.steps[s].n = 0;
	}
	c.err = collect_touched(d, new);
out:
	for (s = 0; s < STEP__COUNT; s++) {
		for (i = 0; i < c.steps[s].n; i++)
			op_release(&c.steps[s].ops[i]);
		free(c.steps[s].ops);
	}
	free(c.old_to_new);
	free(c.fresh);
	free(c.rank_old);
	free(c.rank_new);
	free(c.same_old);
	free(c.same_new);
	if (c.err) {
		diff_free(d);
		errno = -c.err;
		return NULL;
	}
	return d;
}

struct diff *diff_removal(char *const *names, size_t n)
{
	static const struct plan empty;
	struct diff *d = calloc(1, sizeof(*d));
	size_t i;
	int r = 0;

	if (d)
		d->ops = calloc(n + 1, sizeof(*d->ops));
	if (!d || !d->ops) {
		diff_free(d);
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		d->ops[i] = (struct diff_op){ .kind = DIFF_NS_DEL,
					      .ns = SIZE_MAX,
					      .name = strdup(names[i]) };
		if (!d->ops[i].name) {
			r = -ENOMEM;
			break;
		}
		d->nops++;
		d->count[DIFF_NS_DEL]++;
	}
	if (!r)
		r = collect_touched(d, &empty);
	if (r) {
		diff_free(d);
		errno = -r;
		return NULL;
	}
	return d;
}

void diff_free(struct diff *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->nops; i++)
		op_release(&d->ops[i]);
	for (i = 0; i < d->ntouched; i++)
		free(d->touched[i]);
	free(d->touched);
	free(d->ops);
	free(d);
}

/* ---- text ---------------------------------------------------------------- */

static const struct {
	const char *name, *one, *many, *verb;
} op_text[DIFF_OP__COUNT] = {
	[DIFF_VETH_DEL] = { "veth-del", "veth", "veths", "removed" },
	[DIFF_NS_DEL] = { "ns-del", "namespace", "namespaces", "removed" },
	[DIFF_NS_ADD] = { "ns-add", "namespace", "namespaces", "added" },
	[DIFF_SYSCTL_SET] = { "sysctl", "sysctl", "sysctls", "set" },
	[DIFF_VETH_ADD] = { "veth-add", "veth", "veths", "added" },
	[DIFF_VETH_UP] = { "veth-up", "veth", "veths", "set up" },
	[DIFF_VETH_DOWN] = { "veth-down", "veth", "veths", "set down" },
	[DIFF_ADDR_ADD] = { "addr-add", "address", "addresses", "added" },
	[DIFF_ROUTE_ADD] = { "route-add", "route", "routes", "added" },
	[DIFF_ROUTE_REPLACE] = { "route-replace", "route", "routes",
				 "replaced" },
	[DIFF_RULE_ADD] = { "rule-add", "rule", "rules", "added" },
	[DIFF_NFT_APPLY] = { "nft", "nftables ruleset", "nftables rulesets",
			     "applied" },
	[DIFF_FILE_WRITE] = { "file-write", "file", "files", "written" },
	[DIFF_RULE_DEL] = { "rule-del", "rule", "rules", "removed" },
	[DIFF_ROUTE_DEL] = { "route-del", "route", "routes", "removed" },
	[DIFF_ADDR_DEL] = { "addr-del", "address", "addresses", "removed" },
	[DIFF_FILE_DEL] = { "file-del", "file", "files", "removed" },
};

const char *diff_op_name(enum diff_op_kind kind)
{
	return (unsigned)kind < DIFF_OP__COUNT ? op_text[kind].name : "?";
}

char *diff_summary(const size_t count[DIFF_OP__COUNT])
{
	struct strbuf b = { 0 };
	size_t k;

	sb_puts(&b, "");
	for (k = 0; k < DIFF_OP__COUNT; k++)
		if (count[k])
			sb_printf(&b, "%s%zu %s %s", b.len ? ", " : "",
				  count[k], count[k] == 1 ? op_text[k].one :
				  op_text[k].many, op_text[k].verb);
	return sb_take(&b);
}

static void dump_veth(const struct plan *p, const struct plan_veth *v,
		      FILE *out)
{
	fprintf(out, " %s:%s %s:%s", p->ns[v->ns_a].name, v->name_a,
		p->ns[v->ns_b].name, v->name_b);
}

static void dump_route(const struct plan *p, const struct plan_route *r,
		       FILE *out)
{
	char c[20], g[16];

	fprintf(out, " %s table %u %s", p->ns[r->ns].name, r->table,
		cidr_fmt(r->dst, c));
	if (r->type == PLAN_ROUTE_BLACKHOLE)
		fprintf(out, " blackhole");
	else if (r->gateway)
		fprintf(out, " via %s dev %s", ip_fmt(r->gateway, g), r->dev);
	else
		fprintf(out, " dev %s", r->dev);
}

static void dump_rule(const struct plan *p, const struct plan_rule *r,
		      FILE *out)
{
	char c[20];

	fprintf(out, " %s pref %u", p->ns[r->ns].name, r->pref);
	if (r->iif[0])
		fprintf(out, " iif %s", r->iif);
	if (r->dst.len)
		fprintf(out, " to %s", cidr_fmt(r->dst, c));
	if (r->action == PLAN_RULE_BLACKHOLE)
		fprintf(out, " blackhole");
	else
		fprintf(out, " lookup %u", r->table);
}

void diff_dump(const struct diff *d, const struct plan *new, FILE *out)
{
	const struct diff_op *op;
	char a[16];
	size_t i;

	for (i = 0; i < d->nops; i++) {
		op = &d->ops[i];
		fputs(diff_op_name(op->kind), out);
		switch (op->kind) {
		case DIFF_VETH_DEL:
		case DIFF_VETH_ADD:
		case DIFF_VETH_UP:
		case DIFF_VETH_DOWN:
			dump_veth(new, &op->veth, out);
			break;
		case DIFF_NS_DEL:
			fprintf(out, " %s", op->name);
			break;
		case DIFF_NS_ADD:
			fprintf(out, " %s", new->ns[op->index].name);
			break;
		case DIFF_SYSCTL_SET:
			fprintf(out, " %s %s=%s", new->ns[op->ns].name,
				new->sysctls[op->index].path,
				new->sysctls[op->index].value);
			break;
		case DIFF_ADDR_ADD:
		case DIFF_ADDR_DEL:
			fprintf(out, " %s %s %s/%u", new->ns[op->ns].name,
				op->addr.dev, ip_fmt(op->addr.addr, a),
				op->addr.prefix);
			break;
		case DIFF_ROUTE_ADD:
		case DIFF_ROUTE_REPLACE:
		case DIFF_ROUTE_DEL:
			dump_route(new, &op->route, out);
			break;
		case DIFF_RULE_ADD:
		case DIFF_RULE_DEL:
			dump_rule(new, &op->rule, out);
			break;
		case DIFF_NFT_APPLY:
			fprintf(out, " %s", new->ns[op->ns].name);
			break;
		case DIFF_FILE_WRITE:
			fprintf(out, " %s %s", new->ns[op->ns].name,
				new->files[op->index].name);
			break;
		case DIFF_FILE_DEL:
			fprintf(out, " %s %s", new->ns[op->ns].name, op->name);
			break;
		case DIFF_OP__COUNT:
			break;
		}
		fputc('\n', out);
	}
}

bool diff_sysctl_is_device(const char *path)
{
	const char *c[5];
	size_t n = 0;
	const char *s = path;

	while (n < 5) {
		c[n++] = s;
		s = strchr(s, '/');
		if (!s)
			break;
		s++;
	}
	if (n < 5 || strncmp(c[0], "net/", 4) ||
	    (strncmp(c[1], "ipv4/", 5) && strncmp(c[1], "ipv6/", 5)) ||
	    (strncmp(c[2], "conf/", 5) && strncmp(c[2], "neigh/", 6)))
		return false;
	return strncmp(c[3], "all/", 4) && strncmp(c[3], "default/", 8);
}
