/* query.c - AWS's Query protocol against botocore's shapes (apiquery.h).
 *
 * The input side walks the operation's input shape and looks up the
 * parameters each member would be sent as (EC2: "TagSpecification.1.
 * Tag.1.Key"; Query: "Tags.member.1.Key"), so that a parameter no member
 * takes is noticed. The output side walks the output shape along a
 * command's JSON answer, which already has botocore's member names, and
 * writes the XML elements the protocol uses.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vpcemu/apiquery.h"
#include "vpcemu/util.h"

int apiq_fail(struct apiq_error *e, const char *code, const char *fmt, ...)
{
	va_list ap;

	snprintf(e->code, sizeof(e->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- parameters ---- */

int apiq_params_add(struct apiq_params *p, const char *name,
		    const char *value)
{
	struct apiq_param *q;

	if (p->n >= APIQ_PARAMS_MAX)
		return -E2BIG;
	q = VEC_PUSH(p->v, p->n, p->cap);
	if (!q)
		return -ENOMEM;
	q->name = strdup(name);
	q->value = strdup(value ? value : "");
	if (!q->name || !q->value)
		return -ENOMEM;
	return 0;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes n bytes at s into a new string; NULL with *bad set on a bad
 * escape or an embedded NUL. */
static char *form_decode(const char *s, size_t n, bool *bad)
{
	char *o = malloc(n + 1), *w = o;
	size_t i;

	if (!o)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			*w++ = ' ';
		} else if (s[i] == '%') {
			int hi = i + 2 < n ? unhex(s[i + 1]) : -1;
			int lo = hi >= 0 ? unhex(s[i + 2]) : -1;

			if (hi < 0 || lo < 0 || (hi | lo) == 0) {
				*bad = true;
				free(o);
				return NULL;
			}
			*w++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (!s[i]) {
			*bad = true;
			free(o);
			return NULL;
		} else {
			*w++ = s[i];
		}
	}
	*w = '\0';
	return o;
}

int apiq_form_parse(const char *s, size_t len, struct apiq_params *p)
{
	const char *end = s + len;
	int r = 0;

	while (s < end && !r) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(s, '=', (size_t)(stop - s));
		bool bad = false;
		char *name, *value;

		if (stop == s) {	/* "a=1&&b=2": an empty pair */
			s = stop + 1;
			continue;
		}
		name = form_decode(s, (size_t)((eq ? eq : stop) - s), &bad);
		value = eq ? form_decode(eq + 1, (size_t)(stop - eq - 1), &bad) :
			     strdup("");
		if (bad || (name && !name[0]))
			r = -EINVAL;
		else if (!name || !value)
			r = -ENOMEM;
		else
			r = apiq_params_add(p, name, value);
		free(name);
		free(value);
		s = stop + 1;
	}
	return r;
}

const char *apiq_param(struct apiq_params *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].name, name)) {
			p->v[i].used = true;
			return p->v[i].value;
		}
	return NULL;
}

void apiq_params_free(struct apiq_params *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].name);
		free(p->v[i].value);
	}
	free(p->v);
	*p = (struct apiq_params){ 0 };
}

/* ---- input ---- */

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Whether a parameter is prefix itself or below it ("prefix.x"). */
static bool present(const struct apiq_params *p, const char *prefix)
{
	size_t n = strlen(prefix), i;

	for (i = 0; i < p->n; i++)
		if (!strncmp(p->v[i].name, prefix, n) &&
		    (!p->v[i].name[n] || p->v[i].name[n] == '.'))
			return true;
	return false;
}

static int input_value(const json_t *shapes, const char *shape,
		       struct apiq_params *p, const char *prefix, int depth,
		       json_t **ret, struct apiq_error *e);

/* A structure at prefix: absent (NULL) when none of its members is sent,
 * except the request's own (depth 0), whose required members must be
 * there. */
static int input_structure(const json_t *shapes, const json_t *sh,
			   struct apiq_params *p, const char *prefix,
			   int depth, json_t **ret, struct apiq_error *e)
{
	json_t *o = json_object(), *m;
	char *missing = NULL;
	size_t i;
	int r = o ? 0 : -ENOMEM;

	json_array_foreach(json_object_get(sh, "m"), i, m) {
		char *name;
		json_t *v = NULL;

		if (r)
			break;
		name = prefix[0] ? str_printf("%s.%s", prefix, jstr(m, "q")) :
				   strdup(jstr(m, "q"));
		if (!name) {
			r = -ENOMEM;
			break;
		}
		r = input_value(shapes, jstr(m, "s"), p, name, depth + 1, &v,
				e);
		if (!r && v)
			r = json_object_set_new(o, jstr(m, "n"), v) ? -ENOMEM :
								      0;
		else if (!r && !missing && json_is_true(json_object_get(m, "r")))
			missing = name;
		if (name != missing)
			free(name);
	}
	if (!r && missing && (!depth || json_object_size(o)))
		r = apiq_fail(e, "MissingParameter",
			      "The request must contain the parameter %s",
			      missing);
	free(missing);
	if (r || (depth && !json_object_size(o))) {
		json_decref(o);
		o = NULL;
	}
	*ret = o;
	return r;
}

static int input_list(const json_t *shapes, const json_t *sh,
		      struct apiq_params *p, const char *prefix, int depth,
		      json_t **ret, struct apiq_error *e)
{
	const char *qi = jstr(sh, "qi");
	json_t *a = json_array();
	size_t i;
	int r = a ? 0 : -ENOMEM;

	for (i = 1; !r && i <= p->n; i++) {
		char *name = qi && qi[0] ?
				     str_printf("%s.%s.%zu", prefix, qi, i) :
				     str_printf("%s.%zu", prefix, i);
		json_t *v = NULL;

		if (!name) {
			r = -ENOMEM;
			break;
		}
		if (!present(p, name)) {
			free(name);
			break;
		}
		r = input_value(shapes, jstr(sh, "s"), p, name, depth + 1, &v,
				e);
		free(name);
		if (!r && v && json_array_append_new(a, v))
			r = -ENOMEM;
	}
	if (r || !json_array_size(a)) {
		json_decref(a);
		a = NULL;
	}
	*ret = a;
	return r;
}

/* A scalar parameter, typed. */
static int input_scalar(const char *t, struct apiq_param *q, json_t **ret,
			struct apiq_error *e)
{
	const char *v = q->value;
	char *end;

	q->used = true;
	if (!strcmp(t, "integer") || !strcmp(t, "long")) {
		long long n;

		errno = 0;
		n = strtoll(v, &end, 10);
		if (!v[0] || *end || errno)
			return apiq_fail(e, "InvalidParameterValue",
					 "Value (%s) for parameter %s is "
					 "invalid. Expected an integer.",
					 v, q->name);
		*ret = json_integer(n);
	} else if (!strcmp(t, "boolean")) {
		if (strcasecmp(v, "true") && strcasecmp(v, "false"))
			return apiq_fail(e, "InvalidParameterValue",
					 "Value (%s) for parameter %s is "
					 "invalid. Expected a boolean.",
					 v, q->name);
		*ret = json_boolean(!strcasecmp(v, "true"));
	} else if (!strcmp(t, "double") || !strcmp(t, "float")) {
		double d = strtod(v, &end);

		if (!v[0] || *end)
			return apiq_fail(e, "InvalidParameterValue",
					 "Value (%s) for parameter %s is "
					 "invalid. Expected a number.",
					 v, q->name);
		*ret = json_real(d);
	} else {
		*ret = json_string(v);
	}
	return *ret ? 0 : -ENOMEM;
}

static int input_value(const json_t *shapes, const char *shape,
		       struct apiq_params *p, const char *prefix, int depth,
		       json_t **ret, struct apiq_error *e)
{
	const json_t *sh = json_object_get(shapes, shape);
	const char *t = jstr(sh, "t");
	size_t i;

	*ret = NULL;
	if (!t)
		return 0;
	if (depth > APIQ_DEPTH_MAX)
		return apiq_fail(e, "InvalidParameterValue",
				 "Parameter %s is nested too deeply", prefix);
	if (!strcmp(t, "structure"))
		return input_structure(shapes, sh, p, prefix, depth, ret, e);
	if (!strcmp(t, "list"))
		return input_list(shapes, sh, p, prefix, depth, ret, e);
	if (!strcmp(t, "map"))
		return 0;	/* no served operation takes one */
	for (i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].name, prefix))
			return input_scalar(t, &p->v[i], ret, e);
	return 0;
}

int apiq_input(const json_t *shapes, const char *shape,
	       struct apiq_params *p, json_t **ret, struct apiq_error *e)
{
	size_t i;
	int r;

	*ret = NULL;
	r = input_value(shapes, shape, p, "", 0, ret, e);
	if (r)
		return r;
	if (!*ret && !(*ret = json_object()))
		return -ENOMEM;
	for (i = 0; i < p->n; i++)
		if (!p->v[i].used) {
			json_decref(*ret);
			*ret = NULL;
			return apiq_fail(e, "UnknownParameter",
					 "The parameter %s is not recognized",
					 p->v[i].name);
		}
	return 0;
}

/* ---- command words ---- */

static bool is_scalar(const json_t *shapes, const char *shape)
{
	const char *t = jstr(json_object_get(shapes, shape), "t");

	return t && strcmp(t, "structure") && strcmp(t, "list") &&
	       strcmp(t, "map");
}

/* A scalar as a command word (malloc'd). */
static char *scalar_word(const json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	return json_dumps(v, JSON_ENCODE_ANY);
}

struct words {
	char **v;
	size_t n, cap;
	bool oom;
};

static void word_add(struct words *w, char *s)
{
	/* One spare slot stays for the NULL that ends argv. */
	if (!s || vec_grow((void **)&w->v, &w->cap, w->n + 1, sizeof(*w->v))) {
		free(s);
		w->oom = true;
		return;
	}
	w->v[w->n++] = s;
}

int apiq_argv(const json_t *shapes, const char *shape, const char *cmd,
	      const json_t *in, char ***ret_argv, size_t *ret_argc)
{
	const json_t *sh = json_object_get(shapes, shape), *m;
	struct words w = { 0 };
	size_t i;

	word_add(&w, strdup(cmd));
	json_array_foreach(json_object_get(sh, "m"), i, m) {
		const json_t *v = json_object_get(in, jstr(m, "n")), *item;
		const char *opt = jstr(m, "o"), *t;
		const json_t *msh = json_object_get(shapes, jstr(m, "s"));
		size_t k;

		if (!v)
			continue;
		t = jstr(msh, "t");
		if (json_is_boolean(v)) {
			word_add(&w, str_printf("--%s%s",
						json_is_true(v) ? "" : "no-",
						opt));
		} else if (t && !strcmp(t, "list") &&
			   is_scalar(shapes, jstr(msh, "s"))) {
			word_add(&w, str_printf("--%s", opt));
			json_array_foreach(v, k, item)
				word_add(&w, scalar_word(item));
		} else if (json_is_object(v) || json_is_array(v)) {
			word_add(&w, str_printf("--%s", opt));
			word_add(&w, json_dumps(v, JSON_COMPACT));
		} else {
			char *s = scalar_word(v);

			word_add(&w, s ? str_printf("--%s=%s", opt, s) : NULL);
			free(s);
		}
	}
	if (w.oom) {
		apiq_argv_free(w.v, w.n);
		return -ENOMEM;
	}
	w.v[w.n] = NULL;
	*ret_argv = w.v;
	*ret_argc = w.n;
	return 0;
}

void apiq_argv_free(char **argv, size_t argc)
{
	size_t i;

	for (i = 0; argv && i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* ---- XML ---- */

static void xml_elem(struct strbuf *b, const json_t *shapes,
		     const char *shape, const char *name, const json_t *v,
		     int depth);

static void xml_content(struct strbuf *b, const json_t *shapes,
			const char *shape, const json_t *v, int depth)
{
	const json_t *sh = json_object_get(shapes, shape), *m, *item;
	const char *t = jstr(sh, "t"), *key;
	size_t i;

	if (!t || depth > APIQ_DEPTH_MAX)
		return;
	if (!strcmp(t, "structure")) {
		json_array_foreach(json_object_get(sh, "m"), i, m)
			xml_elem(b, shapes, jstr(m, "s"), jstr(m, "x"),
				 json_object_get(v, jstr(m, "n")), depth + 1);
	} else if (!strcmp(t, "list")) {
		json_array_foreach(v, i, item)
			xml_elem(b, shapes, jstr(sh, "s"), jstr(sh, "xi"), item,
				 depth + 1);
	} else if (!strcmp(t, "map")) {
		json_object_foreach((json_t *)v, key, item) {
			sb_puts(b, "<entry><key>");
			sb_put_xml(b, key, strlen(key));
			sb_puts(b, "</key>");
			xml_elem(b, shapes, jstr(sh, "v"), "value", item,
				 depth + 1);
			sb_puts(b, "</entry>");
		}
	} else if (json_is_string(v)) {
		sb_put_xml(b, json_string_value(v), json_string_length(v));
	} else if (json_is_boolean(v)) {
		sb_puts(b, json_is_true(v) ? "true" : "false");
	} else if (json_is_integer(v)) {
		sb_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		sb_printf(b, "%.17g", json_real_value(v));
	}
}

static void xml_elem(struct strbuf *b, const json_t *shapes,
		     const char *shape, const char *name, const json_t *v,
		     int depth)
{
	if (!v || json_is_null(v) || !name)
		return;
	sb_printf(b, "<%s>", name);
	xml_content(b, shapes, shape, v, depth);
	sb_printf(b, "</%s>", name);
}

void apiq_xml(struct strbuf *b, const json_t *shapes, const char *shape,
	      const json_t *v)
{
	xml_content(b, shapes, shape, v, 0);
}
