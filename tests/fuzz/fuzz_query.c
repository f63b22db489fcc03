/* fuzz_query.c - libFuzzer target: what a client of vpcemud's AWS API
 * controls, through the parsers that read it. The input is lines: an
 * Authorization header, an X-Amz-Date, a path, then a form body. The
 * header goes through sigv4_parse and, parsed, sigv4_sign over the
 * request (the body's parameters as query arguments too); the body
 * through apiq_form_parse, its Action and Version to an operation of the
 * model, apiq_input, apiq_argv, and the input back out through apiq_xml.
 * Must never crash, leak or trip a sanitizer. Built by `make fuzz
 * FUZZ=query`. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/apimodel.h"
#include "vpcemu/apiquery.h"
#include "vpcemu/httpd.h"
#include "vpcemu/sigv4.h"
#include "vpcemu/util.h"

/* The next line of *p (n bytes left), NUL-terminated, malloc'd. */
static char *line(const uint8_t **p, size_t *n)
{
	const uint8_t *nl = memchr(*p, '\n', *n);
	size_t len = nl ? (size_t)(nl - *p) : *n;
	char *s = strndup((const char *)*p, len);

	*p += len + (nl != NULL);
	*n -= len + (nl != NULL);
	return s;
}

static void signature(const char *auth, const char *date, const char *path,
		      const char *body, size_t len, struct apiq_params *p)
{
	struct httpd_field h[] = {
		{ "Host", "127.0.0.1:4599" },
		{ "Content-Type", "application/x-www-form-urlencoded" },
		{ "X-Amz-Date", date },
	};
	struct httpd_field args[16];
	struct httpd_request rq = { .method = "POST", .path = path,
				    .headers = h, .nheaders = 3, .args = args,
				    .body = body, .body_len = len };
	struct sigv4_auth a;
	char out[65];

	for (; rq.nargs < p->n && rq.nargs < 16; rq.nargs++) {
		args[rq.nargs].name = p->v[rq.nargs].name;
		args[rq.nargs].value = p->v[rq.nargs].value;
	}
	sigv4_time(date);
	if (!sigv4_parse(auth, &a) && !sigv4_sign(&rq, &a, date, "secret", out))
		sigv4_equal(out, a.signature);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *auth = line(&data, &size), *date = line(&data, &size);
	char *path = line(&data, &size), *body = malloc(size + 1);
	struct apiq_params p = { 0 };
	struct apiq_error e;
	struct strbuf b = { 0 };
	const json_t *svc, *op, *shapes;
	const char *in_shape, *action;
	json_t *in = NULL;
	char **argv;
	size_t argc;

	if (!auth || !date || !path || !body)
		goto out;
	/* As httpd.c hands it over: size bytes, NULs and all, then one. */
	memcpy(body, data, size);
	body[size] = '\0';
	if (apiq_form_parse(body, size, &p))
		goto out;
	signature(auth, date, path, body, size, &p);
	svc = apimodel_service(apimodel_by_version(apiq_param(&p, "Version")));
	action = apiq_param(&p, "Action");
	op = json_object_get(json_object_get(svc, "ops"), action ? action : "");
	shapes = json_object_get(svc, "shapes");
	in_shape = json_string_value(json_object_get(op, "in"));
	if (!op || apiq_input(shapes, in_shape, &p, &in, &e))
		goto out;
	if (!apiq_argv(shapes, in_shape, "cmd", in, &argv, &argc))
		apiq_argv_free(argv, argc);
	apiq_xml(&b, shapes, in_shape, in);
	sb_free(&b);
out:
	json_decref(in);
	apiq_params_free(&p);
	free(auth);
	free(date);
	free(path);
	free(body);
	return 0;
}
