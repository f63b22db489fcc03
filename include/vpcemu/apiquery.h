/* apiquery.h - AWS's Query protocol against botocore's shapes: a form body
 * into parameters, parameters into an operation's input, the input into
 * the words of the vpcemu command that carries it out, and a command's
 * JSON answer into the operation's XML.
 *
 * The shapes are those gen-apimodel keeps of botocore's models (apimodel.h):
 * {"t": "structure", "m": [{"n": member, "q": query name, "x": XML name,
 * "o": CLI option, "s": shape, "r": required}]}, {"t": "list", "s": item
 * shape, "qi": query item name ("" for EC2), "xi": XML item name},
 * {"t": "map", "k": ..., "v": ...} and scalars {"t": "string"} etc.
 * Pure: no I/O.
 */
#ifndef VPCEMU_APIQUERY_H
#define VPCEMU_APIQUERY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct strbuf;

/* Caps on what one request may carry (a fuzzer or a stray client). */
#define APIQ_PARAMS_MAX 2000
#define APIQ_DEPTH_MAX 16

struct apiq_param {
	char *name, *value;	/* decoded, malloc'd */
	bool used;		/* taken by the input shape */
};

struct apiq_params {
	struct apiq_param *v;
	size_t n, cap;
};

/* An AWS error: its code and message. */
struct apiq_error {
	char code[64];
	char message[512];
};

/* Sets e's code and message (printf); returns -EINVAL. */
int apiq_fail(struct apiq_error *e, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Appends name=value (copied) to p. Returns 0, -E2BIG past
 * APIQ_PARAMS_MAX or -ENOMEM. */
int apiq_params_add(struct apiq_params *p, const char *name,
		    const char *value);
/* Decodes an application/x-www-form-urlencoded body (len bytes) into p:
 * '&'-separated "name=value", '+' a space, %XX a byte. Returns 0, -EINVAL
 * on a bad escape or an empty name, -E2BIG, -ENOMEM. */
int apiq_form_parse(const char *s, size_t len, struct apiq_params *p);
/* The value of parameter name, or NULL; marks it used. */
const char *apiq_param(struct apiq_params *p, const char *name);
void apiq_params_free(struct apiq_params *p);

/* The input of shape (in shapes) from p's parameters as a JSON object
 * (*ret, caller's), typed as the shape says. Errors, in e: a required
 * member absent (MissingParameter), a value of the wrong type
 * (InvalidParameterValue), a parameter no member takes
 * (UnknownParameter). Returns 0, -EINVAL or -ENOMEM. */
int apiq_input(const json_t *shapes, const char *shape,
	       struct apiq_params *p, json_t **ret, struct apiq_error *e);

/* The words of command cmd that carry input in (of shape): cmd, then
 * for each member "--option": a scalar's value ("--option=value"), a
 * list of scalars as one word each, true as the flag alone and false as
 * "--no-option", a structure or list of them as JSON text. *ret_argv is
 * NULL-terminated; free with apiq_argv_free. Returns 0 or -ENOMEM. */
int apiq_argv(const json_t *shapes, const char *shape, const char *cmd,
	      const json_t *in, char ***ret_argv, size_t *ret_argc);
void apiq_argv_free(char **argv, size_t argc);

/* Appends v, a value of shape, as the XML elements of its members (a
 * structure) or of its content: names from the model, lists as their
 * item elements, members the shape does not know left out. */
void apiq_xml(struct strbuf *b, const json_t *shapes, const char *shape,
	      const json_t *v);

#endif
