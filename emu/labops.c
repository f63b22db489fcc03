/* labops.c - up, apply, down: the lab commands without a process around
 * them (see labops.h). The kernel work itself is lab.c's; this file
 * decides what to build or remove and keeps the state file in step. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vpcemu/diff.h"
#include "vpcemu/fsid.h"
#include "vpcemu/labops.h"
#include "vpcemu/load.h"
#include "vpcemu/model.h"
#include "vpcemu/nsexec.h"
#include "vpcemu/plan.h"
#include "vpcemu/procs.h"
#include "vpcemu/util.h"

/* Queues a failure of the lab's state or plan (not the kernel's: lab.c
 * queues those as Vpcemu.Kernel). */
static void labops_fail(struct diags *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void labops_fail(struct diags *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	diag_vadd(err, DIAG_ERROR, (struct place){ 0 }, "Vpcemu.Lab", fmt, ap);
	va_end(ap);
}

/* A host outside every VPC (where says which side) as s's next entry. */
static void state_host(struct lab_state *s, const struct res *r,
		       char *netns, const char *where, uint32_t ip)
{
	struct state_instance *in = &s->instances[s->ninstances++];

	in->name = r->name;
	in->id = (char *)r->id;
	in->netns = netns;
	in->vpc = (char *)where;
	in->subnet = "-";
	in->ip = ip;
}

/* Fills s with strings borrowed from lab and p (path: PATH_MAX bytes for
 * the lab file's absolute path). */
static int state_of_plan(const struct lab *lab, const struct plan *p,
			 const char *digest, const char *status, char *path,
			 struct lab_state *s)
{
	size_t i;

	*s = (struct lab_state){ 0 };
	s->lab = lab->name;
	s->file = realpath(lab->file, path) ? path : lab->file;
	s->status = (char *)status;
	s->digest = (char *)digest;
	s->netns = calloc(p->nns + 1, sizeof(*s->netns));
	s->instances = calloc(lab->nenis + lab->res[RES_INTERNET_HOST].n +
				      lab->res[RES_ONPREM_HOST].n + 1,
			      sizeof(*s->instances));
	if (!s->netns || !s->instances)
		return -ENOMEM;
	for (i = 0; i < p->nns; i++)
		s->netns[s->nnetns++] = p->ns[i].name;
	for (i = 0; i < lab->nenis; i++) {
		const struct eni *e = lab->enis[i];
		struct state_instance *in = &s->instances[s->ninstances++];

		in->name = e->instance ? e->instance->r.name : e->r.name;
		in->id = (char *)(e->instance ? e->instance->r.id : e->r.id);
		in->netns = e->netns;
		in->vpc = e->subnet->vpc->r.name;
		in->subnet = e->subnet->r.name;
		in->region = e->subnet->vpc->region ? e->subnet->vpc->region
						    : lab->region;
		in->ip = e->ip;
	}
	/* Internet and on-premises hosts too, so that `vpcemu exec` finds
	 * them. */
	for (i = 0; i < lab->res[RES_INTERNET_HOST].n; i++) {
		const struct internet_host *h =
			(const struct internet_host *)lab->res[RES_INTERNET_HOST]
				.v[i];

		state_host(s, &h->r, h->netns, "internet", h->ip);
	}
	for (i = 0; i < lab->res[RES_ONPREM_HOST].n; i++) {
		const struct onprem_host *h =
			(const struct onprem_host *)lab->res[RES_ONPREM_HOST]
				.v[i];

		state_host(s, &h->r, h->netns, "on-premises", h->ip);
	}
	return 0;
}

/* The state above borrows every string: free only its arrays. */
static void state_of_plan_free(struct lab_state *s)
{
	free(s->netns);
	free(s->instances);
}

static bool all_netns_exist(const struct plan *p)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < p->nns; i++) {
		snprintf(path, sizeof(path), "/run/netns/%s", p->ns[i].name);
		if (access(path, F_OK) < 0)
			return false;
	}
	return true;
}

/* Keeps the text lab was built from, for apply. Returns 0 or -errno
 * (err set). */
static int up_store_text(const struct lab *lab, struct diags *err)
{
	int r;

	if (!lab->text)
		return 0;
	r = state_save_text(lab->name, lab->text, lab->text_len);
	if (r)
		labops_fail(err, "keep the text of lab %s in %s: %s", lab->name,
			 state_dir(), strerror(-r));
	return r;
}

void labops_applied_free(struct labops_applied *a)
{
	if (!a)
		return;
	plan_free(a->plan);
	free(a->file);
	*a = (struct labops_applied){ 0 };
}

/* Hands plan p to applied (when given); p is then taken, with file (the
 * lab file the state records). up: the state file says status "up" with
 * p's digest, and is stamped. */
static void applied_set(struct labops_applied *applied, struct plan **p,
			const char *file, bool up)
{
	bool next;

	if (!applied)
		return;
	labops_applied_free(applied);
	applied->plan = *p;
	*p = NULL;
	applied->file = strdup(file);
	if (up && (!applied->file ||
		   state_stamp(applied->plan->lab, &applied->stamp, &next) ||
		   next))
		applied->stamp = (struct state_stamp){ 0 };
}

/* The state applied stands for: status "up" with its plan's digest and
 * that plan's namespaces, while the file is the one stamped and no apply
 * is in flight (no next text). Then lists stay empty: applying_netns has
 * nothing to add from them. Returns false when the file must be read. */
static bool applied_state(const struct labops_applied *applied,
			  const char *lab, struct lab_state *ret)
{
	struct state_stamp now;
	bool next;

	if (!applied || !applied->plan || !applied->stamp.ino ||
	    state_stamp(lab, &now, &next) || next ||
	    !state_stamp_equal(&now, &applied->stamp))
		return false;
	*ret = (struct lab_state){ .lab = (char *)lab, .status = "up",
				   .digest = applied->plan->digest };
	return true;
}

int labops_up(const struct lab *lab, enum labops_up_result *ret,
	      struct labops_applied *applied, struct diags *err)
{
	struct lab_state *old = NULL, s;
	char path[PATH_MAX];
	struct plan *p;
	int r;

	*ret = LABOPS_CREATED;
	p = plan_build(lab);
	if (!p) {
		labops_fail(err, "plan lab %s: %s",
			 lab->name, strerror(errno));
		return -errno;
	}
	r = state_load(lab->name, &old);
	if (r == 0) {
		if (strcmp(old->digest, p->digest)) {
			labops_fail(err, "lab %s is up with other content (from %s); "
				 "change it with: vpcemu apply %s --name %s, "
				 "or take it down first: vpcemu down %s",
				 lab->name, old->file, lab->file, lab->name,
				 lab->name);
			r = -EBUSY;
			goto out;
		}
		if (!strcmp(old->status, "applying")) {
			/* An apply from this content did not finish: what
			 * it did must be taken back, which an up (adding
			 * only) would not. */
			struct labops_apply_result res;

			*ret = LABOPS_REPAIRED;
			r = labops_apply(lab, NULL, applied, &res, err);
			labops_apply_result_free(&res);
			goto out;
		}
		if (!strcmp(old->status, "up") && all_netns_exist(p)) {
			*ret = LABOPS_UNCHANGED;
			goto out;
		}
		*ret = LABOPS_REPAIRED;
	} else if (r != -ENOENT) {
		labops_fail(err, "read state of lab %s in %s: %s", lab->name,
			 state_dir(), strerror(-r));
		goto out;
	}

	/* Recorded before the kernel is touched, so that a failure half-way
	 * leaves a lab that down can find. */
	r = state_of_plan(lab, p, p->digest, "building", path, &s);
	if (!r)
		r = state_save(&s);
	if (r) {
		labops_fail(err, "write state of lab %s in %s: %s", lab->name,
			 state_dir(), strerror(-r));
		state_of_plan_free(&s);
		goto out;
	}
	r = lab_apply(p, err);
	if (!r)
		r = up_store_text(lab, err);
	if (!r) {
		s.status = "up";
		r = state_save(&s);
		if (r)
			labops_fail(err, "write state of lab %s: %s", lab->name,
				 strerror(-r));
	}
	state_of_plan_free(&s);
out:
	if (!r)
		applied_set(applied, &p, realpath(lab->file, path) ? path
				      : lab->file, true);
	state_free(old);
	plan_free(p);
	return r;
}

static int add_name(char ***v, size_t *n, size_t *cap, const char *name)
{
	char **slot;
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*v)[i], name))
			return 0;
	slot = VEC_PUSH(*v, *n, *cap);
	if (!slot || !(*slot = strdup(name)))
		return -ENOMEM;
	return 0;
}

/* With neither a state file nor the lab file, the lab's namespaces are the
 * ones named "LAB-..." that no other lab's state claims. */
static int sweep_names(const char *lab_name, char ***v, size_t *n,
		       size_t *cap)
{
	size_t plen = strlen(lab_name), nlabs = 0, i, j;
	char **labs = NULL;
	struct dirent *e;
	DIR *d;
	int r;

	r = state_list(&labs, &nlabs);
	if (r)
		return r;
	d = opendir("/run/netns");
	if (!d) {
		state_names_free(labs, nlabs);
		return errno == ENOENT ? 0 : -errno;
	}
	while (!r && (e = readdir(d))) {
		bool claimed = false;

		if (strncmp(e->d_name, lab_name, plen) || e->d_name[plen] != '-')
			continue;
		for (i = 0; !claimed && i < nlabs; i++) {
			struct lab_state *other;

			if (!strcmp(labs[i], lab_name) ||
			    state_load(labs[i], &other))
				continue;
			for (j = 0; j < other->nnetns; j++)
				if (!strcmp(other->netns[j], e->d_name))
					claimed = true;
			state_free(other);
		}
		if (!claimed)
			r = add_name(v, n, cap, e->d_name);
	}
	closedir(d);
	state_names_free(labs, nlabs);
	return r;
}

int labops_down(const char *lab_name, const struct lab *lab, bool *ret_found,
		struct diags *err)
{
	struct lab_state *s = NULL;
	struct plan *p = NULL;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int r;

	*ret_found = false;
	r = state_load(lab_name, &s);
	if (r && r != -ENOENT) {
		labops_fail(err, "read state of lab %s: %s", lab_name, strerror(-r));
		goto out;
	}
	r = 0;
	for (i = 0; s && !r && i < s->nnetns; i++)
		r = add_name(&names, &n, &cap, s->netns[i]);
	if (lab && !r) {
		p = plan_build(lab);
		if (!p)
			r = -errno;
		for (i = 0; p && !r && i < p->nns; i++)
			r = add_name(&names, &n, &cap, p->ns[i].name);
	}
	if (!s && !lab && !r)
		r = sweep_names(lab_name, &names, &n, &cap);
	if (r) {
		labops_fail(err, "list namespaces of lab %s: %s", lab_name,
			 strerror(-r));
		goto out;
	}
	*ret_found = s != NULL;
	for (i = 0; !*ret_found && i < n; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "/run/netns/%s", names[i]);
		*ret_found = access(path, F_OK) == 0;
	}
	r = lab_teardown(names, n, err);
	if (!r) {
		size_t left;
		int r2;

		/* Groups whose namespace went before (a crash, an older
		 * down): the last trace of the lab's processes. */
		r2 = procs_sweep(lab_name, &left);
		if (r2 < 0 || left)
			labops_fail(err, "remove cgroups of lab %s: %s",
				    lab_name, r2 < 0 ? strerror(-r2)
				    : "a process outside the lab is in one");
		r = r2 < 0 ? r2 : left ? -EBUSY : 0;
	}
	if (!r) {
		r = state_remove(lab_name);
		if (r)
			labops_fail(err, "remove state of lab %s: %s", lab_name,
				 strerror(-r));
	}
out:
	state_names_free(names, n);
	state_free(s);
	plan_free(p);
	return r;
}

/* Completes s->netns (the new plan's) into the list an "applying" state
 * records: then the old plan's namespaces, then those an unfinished apply
 * left that neither plan has, which also go to *extra (removed once the
 * apply is through). Every name is borrowed. Returns 0 or -ENOMEM. */
static int applying_netns(struct lab_state *s, const struct plan *old,
			  const struct lab_state *st, char ***extra,
			  size_t *nextra)
{
	struct strmap seen = { 0 };
	size_t i;
	char **v;
	int r = 0;

	v = realloc(s->netns, (s->nnetns + old->nns + st->nnetns + 1) *
			      sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->netns = v;
	*extra = calloc(st->nnetns + 1, sizeof(**extra));
	if (!*extra)
		return -ENOMEM;
	for (i = 0; !r && i < s->nnetns; i++)
		r = strmap_add(&seen, v[i], 0);
	for (i = 0; !r && i < old->nns; i++) {
		if (strmap_get(&seen, old->ns[i].name))
			continue;
		r = strmap_add(&seen, old->ns[i].name, 0);
		v[s->nnetns++] = old->ns[i].name;
	}
	for (i = 0; !r && i < st->nnetns; i++) {
		if (strmap_get(&seen, st->netns[i]))
			continue;
		r = strmap_add(&seen, st->netns[i], 0);
		v[s->nnetns++] = st->netns[i];
		(*extra)[(*nextra)++] = st->netns[i];
	}
	v[s->nnetns] = NULL;
	strmap_free(&seen);
	return r;
}

void labops_apply_result_free(struct labops_apply_result *res)
{
	size_t i;

	if (!res)
		return;
	for (i = 0; i < res->ntouched; i++)
		free(res->touched[i]);
	free(res->touched);
	*res = (struct labops_apply_result){ 0 };
}

/* The model of a kept text of lab (next: LAB.conf.next, else LAB.conf)
 * under the lab's name, file its path for diagnostics. The text's
 * user-data files are read again, with the file access of the lab's owner
 * (state.h), as its up read them with the client's: a member who swaps
 * such a file for a link to a root-only one must not have root read it
 * into the lab's metadata. Returns 0, -ENOENT when there is no such text,
 * -EINVAL when it gives no lab (the first reason in why, when not NULL),
 * or -errno. */
static int kept_lab(const char *lab, const char *file, bool next,
		    struct lab **ret_lab, char *why, size_t whylen)
{
	struct nsexec_cred owner = { .uid = 0 };
	struct fsid_saved saved;
	struct diags d = { 0 };
	char *text = NULL;
	size_t len = 0;
	int r;

	*ret_lab = NULL;
	r = next ? state_load_next_text(lab, &text, &len)
		 : state_load_text(lab, &text, &len);
	/* No record: a lab up before owners were, root's. */
	if (!r && (r = state_load_owner(lab, &owner)) == -ENOENT)
		r = 0;
	if (!r)
		r = fsid_take(&owner, &saved);
	if (!r) {
		r = load_lab_text(file, text, len, lab, &d, ret_lab);
		fsid_restore(&saved, "reading a lab's user data");
		if (r == -EINVAL && why)
			snprintf(why, whylen, "%s", diag_first_message(&d));
	}
	if (r) {
		lab_free(*ret_lab);
		*ret_lab = NULL;
	}
	diags_free(&d);
	free(text);
	return r;
}

/* kept_lab of lab st, and its plan. */
static int kept_plan(const struct lab_state *st, bool next,
		     struct lab **ret_lab, struct plan **ret_plan,
		     char *why, size_t whylen)
{
	int r;

	*ret_plan = NULL;
	r = kept_lab(st->lab, st->file, next, ret_lab, why, whylen);
	if (r)
		return r;
	*ret_plan = plan_build(*ret_lab);
	if (!*ret_plan) {
		r = -errno;
		lab_free(*ret_lab);
		*ret_lab = NULL;
	}
	return r;
}

/* The old lab as applied, rebuilt from the kept text under the lab's
 * name; its plan must give the digest that was applied, or the text does
 * not describe the kernel (written by another vpcemu version). */
static int old_plan(const struct lab_state *st, struct lab **ret_lab,
		    struct plan **ret_plan, struct diags *err)
{
	char why[512] = "another vpcemu version?";
	int r;

	r = kept_plan(st, false, ret_lab, ret_plan, why, sizeof(why));
	if (!r && strcmp((*ret_plan)->digest, st->digest)) {
		plan_free(*ret_plan);
		lab_free(*ret_lab);
		*ret_plan = NULL;
		*ret_lab = NULL;
		r = -ESTALE;
	}
	/* An apply that stopped (killed) between saving the state file as
	 * "up" with its plan and putting its text in place of the old one:
	 * the next text is the applied one; finish the move. */
	if (r == -ESTALE || r == -EINVAL) {
		if (!kept_plan(st, true, ret_lab, ret_plan, NULL, 0) &&
		    !strcmp((*ret_plan)->digest, st->digest) &&
		    !state_commit_next_text(st->lab))
			return 0;
		plan_free(*ret_plan);
		lab_free(*ret_lab);
		*ret_plan = NULL;
		*ret_lab = NULL;
	}
	if (r == -ENOENT) {
		labops_fail(err, "lab %s has no record of the file it was brought up "
			 "from; take it down and up again: vpcemu down %s",
			 st->lab, st->lab);
		r = -ENODATA;
	} else if (r == -EINVAL || r == -ESTALE) {
		labops_fail(err, "the kept text of lab %s no longer gives what was "
			 "applied (%s); take it down and up again: vpcemu "
			 "down %s", st->lab, why, st->lab);
		r = -ESTALE;
	} else if (r) {
		labops_fail(err, "read the text of lab %s in %s: %s", st->lab,
			 state_dir(), strerror(-r));
	}
	return r;
}

/* An apply that did not finish (status "applying": killed, or a kernel
 * error) left the kernel with the old plan and part of the one it was
 * bringing, whose text is LAB.conf.next. Takes that part back (the diff
 * from that plan to old, whose additions exist already and whose
 * removals may not), so that what comes next starts from old. Nothing to
 * do when there is no next text or when it is old's or the plan wanted
 * now (digest): going on from old converges then. */
static int roll_back(const struct lab_state *st, const struct plan *old,
		     const char *digest, struct diags *err)
{
	struct lab *next_lab = NULL;
	struct plan *next = NULL;
	struct diff *d = NULL;
	int r;

	r = kept_plan(st, true, &next_lab, &next, NULL, 0);
	if (r == -ENOENT || r == -EINVAL)
		return 0;
	if (r) {
		labops_fail(err, "read the next text of lab %s in %s: %s", st->lab,
			 state_dir(), strerror(-r));
		return r;
	}
	if (!strcmp(next->digest, digest) || !strcmp(next->digest, st->digest))
		goto out;
	d = diff_compute(next, old);
	if (!d) {
		r = -errno;
		labops_fail(err, "diff lab %s: %s",
			 st->lab, strerror(-r));
		goto out;
	}
	r = lab_apply_diff(old, d, err);
out:
	diff_free(d);
	plan_free(next);
	lab_free(next_lab);
	return r;
}

/* One apply in progress: what labops_apply reads, builds and records. */
struct apply_ctx {
	const struct lab *lab;
	struct labops_applied *applied;
	struct diags *err;
	struct lab_state *st, cached;	/* st: the file's, or cached */
	struct lab *old_lab;		/* rebuilt's model */
	struct plan *rebuilt, *p;
	const struct plan *old;		/* applied's plan, or rebuilt */
	struct diff *d;
	struct lab_state s;		/* the state being recorded */
	char **extra;			/* namespaces of an unfinished apply */
	size_t nextra;
	char path[PATH_MAX];
};

/* The lab's state: from applied when it still stands for the file, else
 * read. It must be "up" or "applying" (an apply that did not finish: the
 * kernel holds part of another plan; diffing from the old one and
 * applying again converges on everything that plan and this one share). */
static int apply_state(struct apply_ctx *c)
{
	const struct lab *lab = c->lab;
	int r = 0;

	if (applied_state(c->applied, lab->name, &c->cached))
		c->st = &c->cached;
	else
		r = state_load(lab->name, &c->st);
	if (r == -ENOENT) {
		labops_fail(c->err, "lab %s is not up; bring it up first: vpcemu up %s",
			 lab->name, lab->file);
		return r;
	} else if (r) {
		labops_fail(c->err, "read state of lab %s in %s: %s", lab->name,
			 state_dir(), strerror(-r));
		return r;
	}
	if (strcmp(c->st->status, "up") && strcmp(c->st->status, "applying")) {
		labops_fail(c->err, "lab %s is half-built (%s); finish it first: vpcemu "
			 "up FILE, or vpcemu down %s", lab->name,
			 c->st->status, lab->name);
		return -EBUSY;
	}
	return 0;
}

/* The old plan and the new one. The plan remembered is the old one only
 * if it is what the state file says was applied (another vpcemud, or
 * none, may have worked since). */
static int apply_plans(struct apply_ctx *c)
{
	int r;

	if (c->applied && c->applied->plan &&
	    !strcmp(c->applied->plan->digest, c->st->digest)) {
		c->old = c->applied->plan;
	} else {
		r = old_plan(c->st, &c->old_lab, &c->rebuilt, c->err);
		if (r)
			return r;
		c->old = c->rebuilt;
	}
	c->p = plan_build(c->lab);
	if (!c->p) {
		r = -errno;
		labops_fail(c->err, "plan lab %s: %s", c->lab->name, strerror(-r));
		return r;
	}
	return 0;
}

/* Recorded before the kernel is touched: the new text (roll_back's,
 * should this apply not finish; alone, it marks the apply in flight,
 * state.h) and, when namespaces come or an earlier apply did not finish,
 * every namespace of either plan (and of that apply), so that down finds
 * them all whatever happens next. The digest stays the applied one until
 * the new plan is in. A state "up" lists exactly the old plan's
 * namespaces. */
static int apply_record(struct apply_ctx *c, const char *text, size_t len)
{
	int r;

	r = state_save_next_text(c->lab->name, text, len);
	if (!r && (c->d->count[DIFF_NS_ADD] || strcmp(c->st->status, "up"))) {
		r = state_of_plan(c->lab, c->p, c->st->digest, "applying",
				  c->path, &c->s);
		if (!r)
			r = applying_netns(&c->s, c->old, c->st, &c->extra,
					   &c->nextra);
		if (!r)
			r = state_save(&c->s);
	}
	if (r)
		labops_fail(c->err, "write state of lab %s in %s: %s", c->lab->name,
			 state_dir(), strerror(-r));
	return r;
}

/* The new plan is in: the state file first, so that an apply killed
 * before the text moves is finished by old_plan (the next text gives the
 * digest), then the text. */
static int apply_commit(struct apply_ctx *c, struct labops_apply_result *res)
{
	int r;

	state_of_plan_free(&c->s);
	r = state_of_plan(c->lab, c->p, c->p->digest, "up", c->path, &c->s);
	if (!r)
		r = state_save(&c->s);
	if (!r)
		r = state_commit_next_text(c->lab->name);
	if (r) {
		labops_fail(c->err, "write state of lab %s in %s: %s", c->lab->name,
			 state_dir(), strerror(-r));
		return r;
	}
	res->nops = c->d->nops;
	memcpy(res->count, c->d->count, sizeof(res->count));
	res->touched = c->d->touched;
	res->ntouched = c->d->ntouched;
	c->d->touched = NULL;
	c->d->ntouched = 0;
	return 0;
}

/* The diff from old to new, recorded, then carried out. */
static int apply_diff(struct apply_ctx *c, const char *text, size_t len,
		      struct labops_apply_result *res)
{
	int r;

	c->d = diff_compute(c->old, c->p);
	if (!c->d) {
		r = -errno;
		labops_fail(c->err, "diff lab %s: %s", c->lab->name, strerror(-r));
		return r;
	}
	r = apply_record(c, text, len);
	if (r)
		return r;
	res->changed = true;	/* from here on, even on failure */
	r = lab_apply_diff(c->p, c->d, c->err);
	if (!r && c->nextra)
		r = lab_teardown(c->extra, c->nextra, c->err);
	if (!r)
		r = apply_commit(c, res);
	return r;
}

/* Nothing for the kernel to do; the lab may still have changed where the
 * plan does not look (a target group no listener forwards to yet, an
 * endpoint service's principals), and the kept text is what the next
 * command starts from: it takes the new text when that differs. The
 * plan, and so the state's digest, stay as they are. */
static int keep_text(struct apply_ctx *c, const char *text, size_t len,
		     struct labops_apply_result *res)
{
	char *old = NULL;
	size_t olen = 0;
	int r;

	r = state_load_text(c->lab->name, &old, &olen);
	if (!r && olen == len && !memcmp(old, text, len)) {
		free(old);
		return 0;
	}
	free(old);
	r = state_save_text(c->lab->name, text, len);
	if (r)
		labops_fail(c->err, "write the text of lab %s in %s: %s",
			    c->lab->name, state_dir(), strerror(-r));
	/* The daemon's services follow the text (a flow log added to a
	 * VPC that has one already changes no kernel object). */
	res->changed = !r;
	return r;
}

int labops_apply(const struct lab *lab, const char *given_text,
		 struct labops_applied *applied,
		 struct labops_apply_result *res, struct diags *err)
{
	struct apply_ctx c = { .lab = lab, .applied = applied, .err = err };
	const char *text = given_text ? given_text : lab->text;
	size_t len = given_text ? strlen(given_text) : lab->text_len;
	int r;

	*res = (struct labops_apply_result){ 0 };
	r = apply_state(&c);
	if (r)
		goto out;
	if (!text) {
		labops_fail(err, "lab %s comes with no "
			 "text to keep for the next apply", lab->name);
		r = -ENODATA;
		goto out;
	}
	r = apply_plans(&c);
	if (r)
		goto out;
	if (!strcmp(c.p->digest, c.st->digest) && !strcmp(c.st->status, "up")) {
		r = keep_text(&c, text, len, res);
		goto out;
	}
	if (!strcmp(c.st->status, "applying")) {
		res->changed = true;
		r = roll_back(c.st, c.old, c.p->digest, err);
		if (r)
			goto out;
	}
	r = apply_diff(&c, text, len, res);
out:
	state_of_plan_free(&c.s);
	free(c.extra);
	diff_free(c.d);
	/* old may be applied's plan: replaced only now. */
	if (!r)
		applied_set(applied, &c.p, realpath(lab->file, c.path) ? c.path
					   : lab->file, true);
	plan_free(c.p);
	plan_free(c.rebuilt);
	lab_free(c.old_lab);
	if (c.st != &c.cached)
		state_free(c.st);
	return r;
}

int labops_running_lab(const char *name, struct lab **ret_lab,
		       struct labops_applied *applied,
		       struct diags *err)
{
	struct lab_state *st = NULL, cached;
	struct plan *p = NULL;
	int r;

	*ret_lab = NULL;
	/* The state file of a big lab is megabytes of JSON and its plan
	 * costs more than the model: in a 10,000-instance lab, reading and
	 * planning took 2/3 of an AWS-style command. Any failure here goes
	 * the long way, which says what is wrong. */
	if (applied_state(applied, name, &cached) && applied->file &&
	    !kept_lab(name, applied->file, false, ret_lab, NULL, 0))
		return 0;
	r = state_load(name, &st);
	if (r) {
		labops_fail(err, r == -ENOENT
			 ? "lab %s is not up" : "read state of lab %s: %s",
			 name, strerror(-r));
		return r;
	}
	r = old_plan(st, ret_lab, &p, err);
	if (!r)
		applied_set(applied, &p, st->file, !strcmp(st->status, "up"));
	plan_free(p);
	state_free(st);
	return r;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *labops_limits(const struct lab *lab, char *const *only, size_t n)
{
	struct strbuf sb = { 0 };
	const char *missing, *gone = NULL, *unknown = NULL;
	struct procs_limits lim;
	size_t i, nunknown = 0;
	int r, failed = 0;

	for (i = 0; i < lab->ninstances; i++) {
		const struct instance *in = lab->instances[i];
		const char *ns = in->eni->netns;

		/* An apply in a 1,000-instance lab touches a namespace or
		 * two: the others keep what up gave them. */
		if (only && !bsearch(&ns, only, n, sizeof(*only), cmp_name))
			continue;
		if (procs_type_limits(in->instance_type, &lim) < 0 &&
		    in->instance_type) {
			unknown = in->instance_type;
			nunknown++;
		}
		r = procs_group_limit(in->eni->netns, &lim, &missing);
		if (r < 0)
			failed = r;
		else if (*missing)
			gone = missing;
	}
	if (gone)
		sb_printf(&sb, "note: instance types set no %s limit: "
			  "this machine's cgroup v2 does not offer the %s "
			  "controller%s (cgroup v1 holds %s)\n",
			  !strcmp(gone, "cpu memory") ? "vCPU or memory"
			  : !strcmp(gone, "cpu") ? "vCPU" : "memory",
			  !strcmp(gone, "cpu memory") ? "cpu and memory" : gone,
			  strchr(gone, ' ') ? "s" : "",
			  strchr(gone, ' ') ? "them" : "it");
	if (nunknown)
		sb_printf(&sb, "note: instance type %s%s is not in vpcemu's "
			  "table: no vCPU or memory limit\n", unknown,
			  nunknown > 1 ? " (and others)" : "");
	if (failed)
		sb_printf(&sb, "note: no cgroup for the instances' processes "
			  "(%s): down finds them by namespace only\n",
			  strerror(-failed));
	return sb_take(&sb);
}
