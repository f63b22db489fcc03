/* ec2ctx.c - the parts every ec2 command module shares: argument reading,
 * AWS-shaped errors, lookups by ID or lab name, new-name choice, the
 * model-array helpers and the Name tag of --tag-specifications.
 *
 * Owns nothing; the working copy these act on belongs to ec2_run (ec2.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/describe.h"
#include "vpcemu/ec2ctx.h"
#include "vpcemu/model.h"
#include "vpcemu/util.h"

int ec2ctx_fail(struct diags *d, int ret, const char *code,
		const char *fmt, ...)
{
	va_list ap;

	if (d) {
		va_start(ap, fmt);
		diag_vadd(d, DIAG_ERROR, (struct place){ 0 }, code, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static bool is_opt(const char *s)
{
	return s[0] == '-' && s[1] == '-';
}

/* Index of option opt, or -1. */
int ec2ctx_arg_index(struct ec2ctx_args *a, const char *opt)
{
	size_t ol = strlen(opt);
	int i;

	for (i = 1; i < a->argc; i++)
		if (!strncmp(a->argv[i], opt, ol) &&
		    (a->argv[i][ol] == '\0' || a->argv[i][ol] == '='))
			return i;
	return -1;
}

/* The value of --opt, or NULL when absent; *missing_value when present
 * without one. */
const char *ec2ctx_arg_get(struct ec2ctx_args *a, const char *opt,
			   bool *missing_value)
{
	int i = ec2ctx_arg_index(a, opt);
	const char *eq;

	if (missing_value)
		*missing_value = false;
	if (i < 0)
		return NULL;
	a->used[i] = true;
	eq = strchr(a->argv[i], '=');
	if (eq)
		return eq + 1;
	if (i + 1 < a->argc && !is_opt(a->argv[i + 1])) {
		a->used[i + 1] = true;
		return a->argv[i + 1];
	}
	if (missing_value)
		*missing_value = true;
	return NULL;
}

bool ec2ctx_arg_flag(struct ec2ctx_args *a, const char *opt)
{
	int i = ec2ctx_arg_index(a, opt);

	if (i < 0)
		return false;
	a->used[i] = true;
	return true;
}

/* The words after --opt up to the next option ("a b c" or "a,b"
 * is left to the caller); *n of them from *first. */
int ec2ctx_arg_list(struct ec2ctx_args *a, const char *opt, int *first)
{
	int i = ec2ctx_arg_index(a, opt), n = 0;

	if (i < 0)
		return -1;
	a->used[i] = true;
	*first = i + 1;
	while (i + 1 + n < a->argc && !is_opt(a->argv[i + 1 + n])) {
		a->used[i + 1 + n] = true;
		n++;
	}
	return n;
}

int ec2ctx_bool_attr(struct ec2ctx *c, const char *opt, int *ret)
{
	char no[64];
	const char *v;
	bool missing;
	json_t *j;

	snprintf(no, sizeof(no), "--no-%s", opt + 2);
	if (ec2ctx_arg_flag(c->a, no))
		return 0;
	v = ec2ctx_arg_get(c->a, opt, &missing);
	if (!v)
		return missing ? 1 : -1;
	if (!strcmp(v, "true") || !strcmp(v, "Value=true"))
		return 1;
	if (!strcmp(v, "false") || !strcmp(v, "Value=false"))
		return 0;
	j = json_loads(v, 0, NULL);
	if (j && json_is_boolean(json_object_get(j, "Value"))) {
		bool b = json_is_true(json_object_get(j, "Value"));

		json_decref(j);
		return b;
	}
	json_decref(j);
	*ret = EFAIL(c, "InvalidParameterValue",
		     "Invalid value '%s' for %s: expected {\"Value\":true|false}",
		     v, opt);
	return -2;
}

void ec2ctx_post_fn(struct ec2ctx *c, const struct res *r,
		    json_t *(*fn)(const struct lab *lab,
				  const struct ec2_state *st, time_t now,
				  const struct res *r))
{
	c->post = POST_FN;
	c->post_fn = fn;
	snprintf(c->post_id, sizeof(c->post_id), "%s", r->id);
}

const struct ec2ctx_cmd *ec2ctx_cmd_find(const struct ec2ctx_cmd *v,
					 size_t n, const char *name)
{
	size_t i;

	for (i = 0; name && i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

const char *ec2ctx_opt_req(struct ec2ctx *c, const char *opt, const char *param,
			   int *ret)
{
	bool missing;
	const char *v = ec2ctx_arg_get(c->a, opt, &missing);

	if (!v)
		*ret = EFAIL(c, "MissingParameter",
			     "The request must contain the parameter %s",
			     param);
	return v;
}

int ec2ctx_page(struct ec2ctx_args *a, const struct describe_paging *pg,
		json_t *out, struct diags *err)
{
	const char *size = ec2ctx_arg_get(a, pg->size_opt, NULL);
	const char *token = ec2ctx_arg_get(a, pg->token_opt, NULL);
	long max = 0;
	int r;

	if (size && !ec2ctx_parse_long(size, pg->min, pg->max, &max))
		return ec2ctx_fail(err, -EINVAL, "InvalidParameterValue",
				   "Value ( %s ) for parameter %s is invalid. "
				   "Expecting a value between %ld and %ld.",
				   size, pg->size_opt + 2, pg->min, pg->max);
	if (!size && !token)
		return 0;
	r = describe_page(out, pg->next_key, (size_t)max, token);
	if (r == -EINVAL)
		return ec2ctx_fail(err, r, "InvalidPaginationToken",
				   "The pagination token %s is not valid.",
				   token);
	if (r == -ENOTSUP)
		return ec2ctx_fail(err, -EINVAL, "InvalidParameterCombination",
				   "%s pages the resources of one type only",
				   pg->size_opt);
	return r == -ENOMEM ? EC2CTX_NOMEM(err) : r;
}

int ec2_page(int argc, char **argv, const struct describe_paging *pg,
	     json_t *out, struct diags *err)
{
	struct ec2ctx_args a = { argc, argv, NULL };
	int r;

	a.used = calloc((size_t)argc + 1, sizeof(*a.used));
	if (!a.used)
		return EC2CTX_NOMEM(err);
	r = ec2ctx_page(&a, pg, out, err);
	free(a.used);
	return r;
}

/* ------------------------------------------------------------------ */
/* Lookups */

void *ec2ctx_get_res(struct ec2ctx *c, enum res_kind k, const char *ref,
		     const char *code, const char *what, int *ret)
{
	struct res *r = ref ? model_find(c->m, k, ref) : NULL;

	/* A required option that was missing said so already. */
	if (!ref && *ret)
		return NULL;
	if (!r)
		*ret = EFAIL(c, code, "The %s ID '%s' does not exist", what,
			     ref ? ref : "");
	return r;
}
struct sg *ec2ctx_get_sg(struct ec2ctx *c, const char *ref, int *ret)
{
	struct sg *g = ref ? (struct sg *)model_find(c->m, RES_SG, ref) : NULL;

	if (!ref && *ret)
		return NULL;
	if (!g)
		*ret = EFAIL(c, "InvalidGroup.NotFound",
			     "The security group '%s' does not exist",
			     ref ? ref : "");
	return g;
}

struct sg *ec2ctx_group_arg(struct ec2ctx *c, int *ret)
{
	const char *ref = ec2ctx_arg_get(c->a, "--group-id", NULL);

	if (!ref)
		ref = ec2ctx_arg_get(c->a, "--group-name", NULL);
	if (!ref) {
		*ret = EFAIL(c, "MissingParameter",
			     "The request must contain the parameter groupId");
		return NULL;
	}
	return ec2ctx_get_sg(c, ref, ret);
}

int ec2ctx_get_cidr(struct ec2ctx *c, const char *s, const char *param,
		    struct cidr *out)
{
	if (!s || cidr_parse(s, out))
		return EFAIL(c, "InvalidParameterValue",
			     "Value (%s) for parameter %s is invalid. This is not a valid CIDR block.",
			     s ? s : "", param);
	return 0;
}

bool ec2ctx_parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

bool ec2ctx_name_ok(const char *s)
{
	static const char *const id_like[] = {
		"vpc-", "subnet-", "rtb-", "acl-", "sg-", "sgr-", "eni-", "i-",
		"pcx-", "igw-", "eigw-", "nat-", "vpce-", "vgw-", "tgw-", "pl-",
		"eipalloc-", "eipassoc-",
	};
	size_t i, n = strlen(s);

	if (!n || n > EC2CTX_NAME_MAX || !isalnum((unsigned char)s[0]))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	for (i = 0; i < ARRAY_SIZE(id_like); i++)
		if (!strncmp(s, id_like[i], strlen(id_like[i])))
			return false;
	return true;
}

/* A name for a new resource: base, else base-2, base-3, ... */
static char *unique_name(const struct lab *m, const char *base)
{
	char buf[EC2CTX_NAME_MAX + 1];
	unsigned k;

	for (k = 1; k < 100000; k++) {
		if (k == 1)
			snprintf(buf, sizeof(buf), "%s", base);
		else
			snprintf(buf, sizeof(buf), "%.*s-%u",
				 EC2CTX_NAME_MAX - 7, base, k);
		if (ec2ctx_name_ok(buf) && !model_find(m, RES__COUNT, buf))
			return strdup(buf);
	}
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* R-2.6 (vpcemu): the lowest free address from base+4. */
int ec2ctx_free_ip(struct ec2ctx *c, const struct subnet *s, uint32_t *ip)
{
	uint32_t *used = calloc(c->m->nenis + 1, sizeof(*used));
	uint64_t next = (uint64_t)s->cidr.addr + 4;
	uint64_t last = (uint64_t)s->cidr.addr +
			((uint64_t)1 << (32 - s->cidr.len)) - 1;
	size_t i, n = 0;

	if (!used)
		return ENOMEM_FAIL(c);
	for (i = 0; i < c->m->nenis; i++)
		if (c->m->enis[i]->subnet == s)
			used[n++] = c->m->enis[i]->ip;
	qsort(used, n, sizeof(*used), cmp_u32);
	while (next < last && bsearch(&(uint32_t){ (uint32_t)next }, used, n,
				      sizeof(*used), cmp_u32))
		next++;
	free(used);
	if (next >= last)
		return EFAIL(c, "InsufficientFreeAddressesInSubnet",
			     "There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.",
			     s->r.id);
	*ip = (uint32_t)next;
	return 0;
}

/* Array helpers: the model's arrays are plain malloc'd memory. */
int ec2ctx_grow(void **v, size_t n, size_t sz)
{
	void *p = reallocarray(*v, n + 1, sz);

	if (!p)
		return -ENOMEM;
	*v = p;
	memset((char *)p + n * sz, 0, sz);
	return 0;
}

void ec2ctx_remove_at(void *v, size_t *n, size_t sz, size_t i)
{
	char *b = v;

	memmove(b + i * sz, b + (i + 1) * sz, (*n - i - 1) * sz);
	(*n)--;
}

/* ------------------------------------------------------------------ */
/* Tags: "ResourceType=instance,Tags=[{Key=Name,Value=X}]" or the JSON
 * form; returns the Name tag's value (malloc'd) or NULL in *ret_name. */

static int tag_name(struct ec2ctx *c, const char *spec, const char *rtype,
		    char **ret_name)
{
	json_t *j, *o, *t, *tags;
	size_t i, k;
	const char *p;

	*ret_name = NULL;
	if (!spec)
		return 0;
	j = json_loads(spec, JSON_DECODE_ANY, NULL);
	if (j) {
		if (json_is_object(j)) {
			json_t *arr = json_array();

			if (!arr || json_array_append(arr, j)) {
				json_decref(arr);
				json_decref(j);
				return ENOMEM_FAIL(c);
			}
			json_decref(j);
			j = arr;
		}
		json_array_foreach(j, i, o) {
			const char *rt = json_string_value(
				json_object_get(o, "ResourceType"));

			if (rt && strcmp(rt, rtype))
				continue;
			tags = json_object_get(o, "Tags");
			json_array_foreach(tags, k, t) {
				const char *key = json_string_value(
					json_object_get(t, "Key"));
				const char *val = json_string_value(
					json_object_get(t, "Value"));

				if (key && val && !strcmp(key, "Name")) {
					*ret_name = strdup(val);
					json_decref(j);
					return *ret_name ? 0 : ENOMEM_FAIL(c);
				}
			}
		}
		json_decref(j);
		return 0;
	}
	/* Shorthand: find "Key=Name,Value=" and read up to '}' or ','. */
	if (strstr(spec, "ResourceType=") &&
	    !strstr(spec, rtype))
		return 0;
	p = strstr(spec, "Key=Name,Value=");
	if (!p)
		return 0;
	p += strlen("Key=Name,Value=");
	*ret_name = strndup(p, strcspn(p, "},]"));
	return *ret_name ? 0 : ENOMEM_FAIL(c);
}

int ec2ctx_new_name(struct ec2ctx *c, const char *tags, const char *rtype,
		    const char *base, char **ret_name)
{
	char *name;
	int ret;

	ret = tag_name(c, tags, rtype, &name);
	if (ret)
		return ret;
	if (name && (!ec2ctx_name_ok(name) ||
		     model_find(c->m, RES__COUNT, name))) {
		ret = EFAIL(c, "InvalidParameterValue",
			    "Name tag '%s' is not a valid or free lab name ([A-Za-z0-9][A-Za-z0-9._-]{0,47}, not ID-like, unique in the lab)",
			    name);
		free(name);
		return ret;
	}
	if (!name) {
		name = unique_name(c->m, base);
		if (!name)
			return ENOMEM_FAIL(c);
	}
	*ret_name = name;
	return 0;
}
