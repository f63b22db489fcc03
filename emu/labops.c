/* labops.c - load, up, down, find: the lab commands without a process
 * around them (see labops.h). The kernel work itself is lab.c's; this file
 * decides what to build or remove and keeps the state file in step. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/labops.h"
#include "vpcemu/model.h"
#include "vpcemu/plan.h"
#include "vpcemu/util.h"

int labops_load(const char *file, const char *name, struct diags *d,
		struct lab **ret_lab)
{
	struct conf_file *conf;
	struct lab *lab = NULL;

	*ret_lab = NULL;
	conf = conf_parse_file(file, d);
	if (!conf)
		return d->nerrors ? -EINVAL : -ENOMEM;
	lab = model_build(conf, name, d);
	conf_free(conf);
	if (!lab)
		return -ENOMEM;
	/* AWS rules are judged on a complete model only: a model with
	 * errors has holes (unresolved references) the checker would trip
	 * over, and its errors already say what to fix first. */
	if (!d->nerrors)
		check_lab(lab, d);
	*ret_lab = lab;
	return d->nerrors ? -EINVAL : 0;
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
	s->instances = calloc(lab->nenis + 1, sizeof(*s->instances));
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
		in->ip = e->ip;
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

int labops_up(const struct lab *lab, enum labops_up_result *ret,
	      struct lab_error *err)
{
	struct lab_state *old = NULL, s;
	char digest[17], path[PATH_MAX];
	struct plan *p;
	int r;

	*ret = LABOPS_CREATED;
	p = plan_build(lab);
	if (!p) {
		snprintf(err->what, sizeof(err->what), "plan lab %s: %s",
			 lab->name, strerror(errno));
		return -errno;
	}
	r = plan_digest(p, digest);
	if (r)
		goto out;
	r = state_load(lab->name, &old);
	if (r == 0) {
		if (strcmp(old->digest, digest)) {
			snprintf(err->what, sizeof(err->what),
				 "lab %s is up with other content (from %s); "
				 "take it down first: vpcemu down %s",
				 lab->name, old->file, lab->name);
			r = -EBUSY;
			goto out;
		}
		if (!strcmp(old->status, "up") && all_netns_exist(p)) {
			*ret = LABOPS_UNCHANGED;
			goto out;
		}
		*ret = LABOPS_REPAIRED;
	} else if (r != -ENOENT) {
		snprintf(err->what, sizeof(err->what),
			 "read state of lab %s in %s: %s", lab->name,
			 state_dir(), strerror(-r));
		goto out;
	}

	/* Recorded before the kernel is touched, so that a failure half-way
	 * leaves a lab that down can find. */
	r = state_of_plan(lab, p, digest, "building", path, &s);
	if (!r)
		r = state_save(&s);
	if (r) {
		snprintf(err->what, sizeof(err->what),
			 "write state of lab %s in %s: %s", lab->name,
			 state_dir(), strerror(-r));
		state_of_plan_free(&s);
		goto out;
	}
	r = lab_apply(p, err);
	if (!r) {
		s.status = "up";
		r = state_save(&s);
		if (r)
			snprintf(err->what, sizeof(err->what),
				 "write state of lab %s: %s", lab->name,
				 strerror(-r));
	}
	state_of_plan_free(&s);
out:
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
		struct lab_error *err)
{
	struct lab_state *s = NULL;
	struct plan *p = NULL;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int r;

	*ret_found = false;
	r = state_load(lab_name, &s);
	if (r && r != -ENOENT) {
		snprintf(err->what, sizeof(err->what),
			 "read state of lab %s: %s", lab_name, strerror(-r));
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
		snprintf(err->what, sizeof(err->what),
			 "list namespaces of lab %s: %s", lab_name,
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
		r = state_remove(lab_name);
		if (r)
			snprintf(err->what, sizeof(err->what),
				 "remove state of lab %s: %s", lab_name,
				 strerror(-r));
	}
out:
	state_names_free(names, n);
	state_free(s);
	plan_free(p);
	return r;
}

int labops_find_instance(const char *lab_name, const char *instance,
			 struct lab_state **ret_state, size_t *ret_index)
{
	char **labs = NULL;
	size_t nlabs = 0, i, j;
	int r;

	*ret_state = NULL;
	if (lab_name) {
		labs = calloc(1, sizeof(*labs));
		if (!labs || !(labs[0] = strdup(lab_name))) {
			free(labs);
			return -ENOMEM;
		}
		nlabs = 1;
	} else {
		r = state_list(&labs, &nlabs);
		if (r)
			return r;
	}
	r = -ENOENT;
	for (i = 0; i < nlabs; i++) {
		struct lab_state *s;

		if (state_load(labs[i], &s))
			continue;
		for (j = 0; j < s->ninstances; j++)
			if (!strcmp(s->instances[j].name, instance) ||
			    !strcmp(s->instances[j].id, instance))
				break;
		if (j == s->ninstances) {
			state_free(s);
			continue;
		}
		if (*ret_state) {
			state_free(s);
			state_free(*ret_state);
			*ret_state = NULL;
			r = -EEXIST;
			break;
		}
		*ret_state = s;
		*ret_index = j;
		r = 0;
	}
	state_names_free(labs, nlabs);
	return r;
}
