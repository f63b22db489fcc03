/* state.c - applied state of each lab, as JSON files (see state.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vpcemu/conf.h"
#include "vpcemu/dns.h"
#include "vpcemu/model.h"
#include "vpcemu/nsexec.h"
#include "vpcemu/state.h"
#include "vpcemu/util.h"

const char *state_dir(void)
{
	const char *d = getenv("VPCEMU_STATE_DIR");

	return d && *d ? d : "/run/vpcemu/labs";
}

static int mkdir_p(const char *dir)
{
	char *p = strdup(dir), *s;
	int r = 0;

	if (!p)
		return -ENOMEM;
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			r = -errno;
		*s = '/';
	}
	if (!r && mkdir(p, 0755) < 0 && errno != EEXIST)
		r = -errno;
	free(p);
	return r;
}

/* Writes len bytes of text to tmp (mode), then renames it over path: a
 * process killed at any point leaves the old file or the new one, whole.
 * No fsync (1-2 ms per file here, on every apply): what these files
 * describe, namespaces, does not outlive the machine either, and their
 * home /run is a tmpfs on most systems. Returns 0 or -errno (tmp
 * removed). */
static int replace_file(const char *tmp, const char *path, const char *text,
			size_t len, mode_t mode)
{
	size_t off = 0;
	ssize_t w;
	int fd, r = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	while (!r && off < len) {
		w = write(fd, text + off, len - off);
		if (w < 0 && errno != EINTR)
			r = -errno;
		else if (w > 0)
			off += (size_t)w;
	}
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}

int state_write_file(const char *path, const char *text, mode_t mode)
{
	char *tmp = str_printf("%s.tmp", path);
	int r = tmp ? replace_file(tmp, path, text, strlen(text), mode)
		    : -ENOMEM;

	free(tmp);
	return r;
}

static char *state_path(const char *lab, const char *suffix)
{
	return str_printf("%s/%s.json%s", state_dir(), lab, suffix);
}

/* A JSON string. jansson reads the state but does not write it: building
 * a 1000-instance state as jansson objects took 2.7 ms, on every apply.
 * Names and IDs never need an escape; the lab file's path may. */
static void put_json_str(struct strbuf *b, const char *s)
{
	const char *run = s;

	sb_putn(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sb_putn(b, run, (size_t)(s - run));
		if (c == '"' || c == '\\')
			sb_printf(b, "\\%c", c);
		else
			sb_printf(b, "\\u%04x", c);
		run = s + 1;
	}
	sb_putn(b, run, (size_t)(s - run));
	sb_putn(b, "\"", 1);
}

/* ,"key":"value" (no comma first when first). */
static void put_json_member(struct strbuf *b, bool first, const char *key,
			    const char *value)
{
	if (!first)
		sb_putn(b, ",", 1);
	put_json_str(b, key);
	sb_putn(b, ":", 1);
	put_json_str(b, value);
}

int state_save(const struct lab_state *s)
{
	struct strbuf b = { 0 };
	char *path = NULL, *tmp = NULL;
	char ip[16];
	size_t i;
	int r;

	sb_putn(&b, "{", 1);
	put_json_member(&b, true, "lab", s->lab);
	put_json_member(&b, false, "file", s->file);
	put_json_member(&b, false, "status", s->status);
	put_json_member(&b, false, "digest", s->digest);
	sb_puts(&b, ",\"namespaces\":[");
	for (i = 0; i < s->nnetns; i++) {
		if (i)
			sb_putn(&b, ",", 1);
		put_json_str(&b, s->netns[i]);
	}
	sb_puts(&b, "],\"instances\":[");
	for (i = 0; i < s->ninstances; i++) {
		const struct state_instance *in = &s->instances[i];

		sb_puts(&b, i ? ",{" : "{");
		put_json_member(&b, true, "name", in->name);
		put_json_member(&b, false, "id", in->id);
		put_json_member(&b, false, "netns", in->netns);
		put_json_member(&b, false, "ip", ip_fmt(in->ip, ip));
		put_json_member(&b, false, "vpc", in->vpc);
		put_json_member(&b, false, "subnet", in->subnet);
		if (in->region)
			put_json_member(&b, false, "region", in->region);
		sb_putn(&b, "}", 1);
	}
	sb_puts(&b, "]}");
	path = state_path(s->lab, "");
	tmp = state_path(s->lab, ".tmp");
	if (b.oom || !path || !tmp)
		r = -ENOMEM;
	else
		r = mkdir_p(state_dir());
	if (!r)
		r = replace_file(tmp, path, b.s, b.len, 0644);
	sb_free(&b);
	free(path);
	free(tmp);
	return r;
}

/* LAB.conf: the text of the lab file as applied; LAB.conf.next: the text
 * an apply is bringing the lab to. Not ".json", so state_list never takes
 * them for labs; no lab name plus ".conf" ends in ".next". */
static char *text_path(const char *lab, const char *suffix)
{
	return str_printf("%s/%s.conf%s", state_dir(), lab, suffix);
}

#define NEXT ".next"

static bool next_text_kept(const char *lab)
{
	char *path = text_path(lab, NEXT);
	bool kept = path && access(path, F_OK) == 0;

	free(path);
	return kept;
}

int state_stamp(const char *lab, struct state_stamp *ret, bool *ret_next)
{
	char *path = state_path(lab, "");
	struct stat sb;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	if (!path)
		return -ENOMEM;
	if (stat(path, &sb) < 0)
		r = -errno;
	free(path);
	if (r)
		return r;
	ret->dev = sb.st_dev;
	ret->ino = sb.st_ino;
	ret->size = sb.st_size;
	ret->mtime = sb.st_mtim;
	*ret_next = next_text_kept(lab);
	return 0;
}

bool state_stamp_equal(const struct state_stamp *a,
		       const struct state_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static char *dup_member(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return strdup(v ? v : "");
}

int state_load(const char *lab, struct lab_state **ret)
{
	struct lab_state *s = NULL;
	json_t *root = NULL, *a;
	json_error_t jerr;
	char *path = state_path(lab, "");
	size_t i;
	int r = 0;

	if (!path)
		return -ENOMEM;
	if (access(path, F_OK) < 0) {
		r = -errno;
		goto out;
	}
	root = json_load_file(path, 0, &jerr);
	s = calloc(1, sizeof(*s));
	if (!root || !s) {
		r = root ? -ENOMEM : -EINVAL;
		goto out;
	}
	s->lab = dup_member(root, "lab");
	s->file = dup_member(root, "file");
	s->status = dup_member(root, "status");
	s->digest = dup_member(root, "digest");
	a = json_object_get(root, "namespaces");
	s->netns = calloc(json_array_size(a) + 1, sizeof(*s->netns));
	for (i = 0; s->netns && i < json_array_size(a); i++) {
		const char *n = json_string_value(json_array_get(a, i));

		s->netns[s->nnetns++] = strdup(n ? n : "");
	}
	a = json_object_get(root, "instances");
	s->instances = calloc(json_array_size(a) + 1, sizeof(*s->instances));
	for (i = 0; s->instances && i < json_array_size(a); i++) {
		json_t *o = json_array_get(a, i);
		struct state_instance *in = &s->instances[s->ninstances++];
		const char *ip = json_string_value(json_object_get(o, "ip"));

		in->name = dup_member(o, "name");
		in->id = dup_member(o, "id");
		in->netns = dup_member(o, "netns");
		in->vpc = dup_member(o, "vpc");
		in->subnet = dup_member(o, "subnet");
		if (json_object_get(o, "region"))
			in->region = dup_member(o, "region");
		if (!ip || ip_parse(ip, &in->ip) < 0)
			r = -EINVAL;
	}
	if (!s->lab || !s->file || !s->status || !s->digest || !s->netns ||
	    !s->instances)
		r = -ENOMEM;
	if (!r && !strcmp(s->status, "up") && next_text_kept(lab)) {
		free(s->status);
		s->status = strdup("applying");
		if (!s->status)
			r = -ENOMEM;
	}
out:
	json_decref(root);
	free(path);
	if (r) {
		state_free(s);
		s = NULL;
	}
	*ret = s;
	return r;
}


/* Writes LAB.conf + kind atomically (temp file, rename), 0600. */
static int text_save(const char *lab, const char *kind, const char *text,
		     size_t len)
{
	char *path = NULL, *tmp = NULL;
	int r;

	r = mkdir_p(state_dir());
	if (r)
		return r;
	path = text_path(lab, kind);
	tmp = str_printf("%s/%s.conf%s.tmp", state_dir(), lab, kind);
	r = path && tmp ? replace_file(tmp, path, text, len, 0600) : -ENOMEM;
	free(path);
	free(tmp);
	return r;
}

int state_save_text(const char *lab, const char *text, size_t len)
{
	return text_save(lab, "", text, len);
}

int state_save_next_text(const char *lab, const char *text, size_t len)
{
	return text_save(lab, NEXT, text, len);
}

static int text_load(const char *lab, const char *kind, char **ret_text,
		     size_t *ret_len)
{
	char *path = text_path(lab, kind);
	int r;

	*ret_text = NULL;
	*ret_len = 0;
	if (!path)
		return -ENOMEM;
	/* A kept text is a lab file: the same bound as reading one. */
	r = read_file(path, CONF_MAX_FILE, ret_text, ret_len);
	free(path);
	return r;
}

int state_load_text(const char *lab, char **ret_text, size_t *ret_len)
{
	return text_load(lab, "", ret_text, ret_len);
}

int state_load_next_text(const char *lab, char **ret_text, size_t *ret_len)
{
	return text_load(lab, NEXT, ret_text, ret_len);
}

int state_commit_next_text(const char *lab)
{
	char *next = text_path(lab, NEXT), *path = text_path(lab, "");
	int r = 0;

	if (!next || !path)
		r = -ENOMEM;
	else if (rename(next, path) < 0)
		r = -errno;
	free(next);
	free(path);
	return r;
}

char *state_ec2_path(const char *lab)
{
	return str_printf("%s/%s.ec2.json", state_dir(), lab);
}

char *state_userdata_path(const char *lab, const char *instance,
			  const char *suffix)
{
	if (!instance)
		return str_printf("%s/%s.userdata", state_dir(), lab);
	return str_printf("%s/%s.userdata/%s.%s", state_dir(), lab, instance,
			  suffix);
}

/* Empties and removes the lab's user-data directory (flat: logs and
 * status files only). */
static int remove_userdata(const char *lab)
{
	char *dir = state_userdata_path(lab, NULL, NULL);
	struct dirent *e;
	DIR *d;
	int r = 0;

	if (!dir)
		return -ENOMEM;
	d = opendir(dir);
	if (!d) {
		r = errno == ENOENT ? 0 : -errno;
		free(dir);
		return r;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' &&
		    unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT)
			r = -errno;
	closedir(d);
	if (!r && rmdir(dir) < 0 && errno != ENOENT)
		r = -errno;
	free(dir);
	return r;
}

static char *owner_path(const char *lab)
{
	return str_printf("%s/%s.owner", state_dir(), lab);
}

/* "UID GID GROUP...\n": a line of numbers, read without a JSON library. */
int state_save_owner(const char *lab, const struct nsexec_cred *c)
{
	struct strbuf b = { 0 };
	char *path = owner_path(lab), *tmp = str_printf("%s/%s.owner.tmp",
							state_dir(), lab);
	size_t i;
	int r;

	sb_printf(&b, "%u %u", (unsigned)c->uid, (unsigned)c->gid);
	for (i = 0; i < c->ngroups; i++)
		sb_printf(&b, " %u", (unsigned)c->groups[i]);
	sb_putn(&b, "\n", 1);
	r = mkdir_p(state_dir());
	if (!r)
		r = b.oom || !path || !tmp ? -ENOMEM
			: replace_file(tmp, path, b.s, b.len, 0644);
	sb_free(&b);
	free(path);
	free(tmp);
	return r;
}

int state_load_owner(const char *lab, struct nsexec_cred *ret)
{
	char *path = owner_path(lab), line[1024], *p, *end;
	unsigned long v[2 + NSEXEC_GROUPS_MAX];
	size_t n = 0;
	FILE *f;
	int r = 0;

	*ret = (struct nsexec_cred){ 0 };
	f = path ? fopen(path, "re") : NULL;
	if (!f) {
		r = path ? -errno : -ENOMEM;
		free(path);
		return r;
	}
	if (!fgets(line, sizeof(line), f) || !strchr(line, '\n'))
		r = -EINVAL;
	for (p = line; !r && *p != '\n'; p = end) {
		if (n == sizeof(v) / sizeof(v[0]))
			r = -EINVAL;
		errno = 0;
		if (!r)
			v[n] = strtoul(p, &end, 10);
		if (!r && (end == p || errno || v[n] >= UINT32_MAX))
			r = -EINVAL;
		n++;
	}
	if (!r && n < 2)
		r = -EINVAL;
	fclose(f);
	free(path);
	if (r)
		return r;
	ret->uid = (uid_t)v[0];
	ret->gid = (gid_t)v[1];
	for (ret->ngroups = 0; ret->ngroups < n - 2; ret->ngroups++)
		ret->groups[ret->ngroups] = (gid_t)v[2 + ret->ngroups];
	return 0;
}

int state_remove(const char *lab)
{
	char *path = state_path(lab, ""), *text = text_path(lab, "");
	char *next = text_path(lab, NEXT), *ec2 = state_ec2_path(lab);
	char *owner = owner_path(lab);
	int r = 0;

	if (!path || !text || !next || !ec2 || !owner) {
		r = -ENOMEM;
		goto out;
	}
	/* The texts first: a state file without text is a lab that apply
	 * refuses, never one with a stale text. The AWS-side record goes
	 * too, or a new lab of the same name would inherit it. */
	if (unlink(next) < 0 && errno != ENOENT)
		r = -errno;
	if (!r && unlink(text) < 0 && errno != ENOENT)
		r = -errno;
	if (!r && unlink(ec2) < 0 && errno != ENOENT)
		r = -errno;
	if (!r && unlink(owner) < 0 && errno != ENOENT)
		r = -errno;
	if (!r)
		r = remove_userdata(lab);
	if (!r && unlink(path) < 0 && errno != ENOENT)
		r = -errno;
out:
	free(path);
	free(text);
	free(next);
	free(ec2);
	free(owner);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int state_list(char ***ret_names, size_t *ret_n)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;

	*ret_names = NULL;
	*ret_n = 0;
	d = opendir(state_dir());
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char **slot;

		/* LAB.json, not the AWS-side record LAB.ec2.json. */
		if (len <= 5 || strcmp(e->d_name + len - 5, ".json") ||
		    (len > 9 && !strcmp(e->d_name + len - 9, ".ec2.json")))
			continue;
		slot = VEC_PUSH(names, n, cap);
		if (!slot || !(*slot = strndup(e->d_name, len - 5))) {
			closedir(d);
			state_names_free(names, n);
			return -ENOMEM;
		}
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	*ret_names = names;
	*ret_n = n;
	return 0;
}

void state_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

void state_free(struct lab_state *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nnetns; i++)
		free(s->netns[i]);
	for (i = 0; i < s->ninstances; i++) {
		free(s->instances[i].name);
		free(s->instances[i].id);
		free(s->instances[i].netns);
		free(s->instances[i].vpc);
		free(s->instances[i].subnet);
		free(s->instances[i].region);
	}
	free(s->netns);
	free(s->instances);
	free(s->lab);
	free(s->file);
	free(s->status);
	free(s->digest);
	free(s);
}

int state_find_instance(const char *lab_name, const char *instance,
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

int state_instance_hostname(const struct state_instance *in, char *buf,
			    size_t len)
{
	if (!strcmp(in->vpc, "internet"))
		return snprintf(buf, len, "%s", in->name) < (int)len ? 0
								      : -ENOSPC;
	if (!in->region)
		return -ENOENT;
	return dns_private_hostname(NULL, in->region, in->ip, buf, len) < 0
		       ? -ENOSPC : 0;
}

void state_find_instance_error(FILE *f, const char *cmd, int e,
			       const char *lab, const char *instance)
{
	if (e == -EEXIST)
		fprintf(f, "vpcemu %s: %s is in several labs; say which with "
			"--lab\n", cmd, instance);
	else
		fprintf(f, "vpcemu %s: no running lab has an instance %s%s%s\n",
			cmd, instance, lab ? " in lab " : "", lab ? lab : "");
}
