/* modelrule.c - RULE of docs/lab-conf.md (all, tcp/udp [PORTS], icmp
 * [TYPE[/CODE]], proto N) into a struct proto_match, for security groups,
 * network ACLs and expect lines, with the word-expecting helper they share.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "vpcemu/conf.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

void model_proto_all(struct proto_match *pm)
{
	*pm = (struct proto_match){
		.kind = PROTO_ALL,
		.port_lo = 0,
		.port_hi = 65535,
		.icmp_type = -1,
		.icmp_code = -1,
	};
}

static bool parse_ports(const char *s, uint16_t *lo, uint16_t *hi,
			bool range_ok)
{
	const char *dash = range_ok ? strchr(s, '-') : NULL;
	unsigned long a, z;

	if (!dash) {
		if (model_parse_num(s, strlen(s), 65535, &a))
			return false;
		*lo = *hi = (uint16_t)a;
		return true;
	}
	if (model_parse_num(s, (size_t)(dash - s), 65535, &a) ||
	    model_parse_num(dash + 1, strlen(dash + 1), 65535, &z) || a > z)
		return false;
	*lo = (uint16_t)a;
	*hi = (uint16_t)z;
	return true;
}

static bool parse_icmp(const char *s, int *type, int *code)
{
	static const struct {
		const char *name;
		int type;
	} names[] = {
		{ "echo-reply", 0 },
		{ "destination-unreachable", 3 },
		{ "echo-request", 8 },
		{ "time-exceeded", 11 },
	};
	const char *slash = strchr(s, '/');
	size_t tl = slash ? (size_t)(slash - s) : strlen(s), i;
	unsigned long v;

	*type = -1;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strlen(names[i].name) == tl &&
		    !strncmp(names[i].name, s, tl))
			*type = names[i].type;
	if (*type < 0) {
		if (model_parse_num(s, tl, 255, &v))
			return false;
		*type = (int)v;
	}
	*code = -1;
	if (slash) {
		if (model_parse_num(slash + 1, strlen(slash + 1), 255, &v))
			return false;
		*code = (int)v;
	}
	return true;
}

/* The next word is an optional argument of the rule unless it is the stop
 * word ("from"/"to") or the quoted description. */
static const struct conf_word *rule_arg(const struct conf_stmt *st, size_t i,
					const char *stop)
{
	if (i >= st->n || st->w[i].quoted || (stop && !strcmp(st->w[i].text, stop)))
		return NULL;
	return &st->w[i];
}

/* "tcp [PORTS]" and "udp [PORTS]"; w is the protocol word. */
static bool parse_proto_ports(struct build *b, const struct conf_stmt *st,
			      size_t *i, const char *stop, bool expect_mode,
			      const struct conf_word *w,
			      struct proto_match *pm)
{
	bool tcp = w->text[0] == 't';
	const struct conf_word *arg;

	pm->kind = tcp ? PROTO_TCP : PROTO_UDP;
	pm->number = tcp ? 6 : 17;
	arg = rule_arg(st, *i, stop);
	/* "tcp reachable" lacks the port rather than misspells it. */
	if (expect_mode && arg && (!strcmp(arg->text, "reachable") ||
				   !strcmp(arg->text, "blocked")))
		arg = NULL;
	if (expect_mode && !arg) {
		diag_error(b->d, w->at, "InvalidParameterValue",
			   "'%s' needs a port in an expect line", w->text);
		return false;
	}
	if (!arg)
		return true;
	(*i)++;
	if (!parse_ports(arg->text, &pm->port_lo, &pm->port_hi,
			 !expect_mode)) {
		diag_error(b->d, arg->at, "InvalidParameterValue",
			   expect_mode ?
				   "Invalid port '%s': expected a number from 0 to 65535" :
				   "Invalid port range '%s': expected N or N-M, 0 to 65535, N <= M",
			   arg->text);
		return false;
	}
	return true;
}

/* "icmp [TYPE[/CODE]]". */
static bool parse_proto_icmp(struct build *b, const struct conf_stmt *st,
			     size_t *i, const char *stop, bool expect_mode,
			     struct proto_match *pm)
{
	const struct conf_word *arg;

	pm->kind = PROTO_ICMP;
	pm->number = 1;
	if (expect_mode) {
		/* A probe is a ping: one echo request. */
		pm->icmp_type = 8;
		pm->icmp_code = 0;
		return true;
	}
	arg = rule_arg(st, *i, stop);
	if (!arg)
		return true;
	(*i)++;
	if (!parse_icmp(arg->text, &pm->icmp_type, &pm->icmp_code)) {
		diag_error(b->d, arg->at, "InvalidParameterValue",
			   "Invalid ICMP type '%s': expected TYPE[/CODE] with numbers from 0 to 255 or echo-request, echo-reply, destination-unreachable, time-exceeded",
			   arg->text);
		return false;
	}
	return true;
}

/* "proto N"; w is the word "proto". */
static bool parse_proto_number(struct build *b, const struct conf_stmt *st,
			       size_t *i, const char *stop,
			       const struct conf_word *w,
			       struct proto_match *pm)
{
	const struct conf_word *arg = rule_arg(st, *i, stop);
	unsigned long v;

	if (!arg) {
		diag_error(b->d, w->at, "InvalidParameterValue",
			   "'proto' needs an IP protocol number");
		return false;
	}
	(*i)++;
	if (model_parse_num(arg->text, strlen(arg->text), 255, &v)) {
		diag_error(b->d, arg->at, "InvalidParameterValue",
			   "Invalid protocol number '%s': expected 0 to 255",
			   arg->text);
		return false;
	}
	/* tcp, udp and icmp by number mean every port or type, as AWS
	 * stores them. */
	if (v == 6 || v == 17 || v == 1) {
		pm->kind = v == 6 ? PROTO_TCP :
			   v == 17 ? PROTO_UDP : PROTO_ICMP;
	} else {
		pm->kind = PROTO_NUMBER;
	}
	pm->number = (uint8_t)v;
	return true;
}

/* An unknown protocol word, with the nearest one the mode allows. */
static void bad_proto(struct build *b, const struct conf_word *w,
		      bool expect_mode)
{
	static const char *const protos[] = { "all", "tcp", "udp", "icmp",
					      "proto" };
	struct suggest s = { .word = w->text };
	size_t k;

	for (k = 0; k < ARRAY_SIZE(protos); k++)
		if (!expect_mode || (k != 0 && k != 4))
			model_suggest(&s, protos[k]);
	model_err_suggest(
	    b, w->at, "InvalidParameterValue", &s,
	    "Invalid rule '%s': expected %s", w->text,
	    expect_mode
		? "icmp, tcp PORT or udp PORT"
		: "all, tcp [PORTS], udp [PORTS], icmp [TYPE[/CODE]] or proto N");
}

/* Parses RULE at st->w[*i], leaving *i past it. In expect mode only
 * "icmp", "tcp PORT" and "udp PORT" are allowed. */
bool model_parse_proto(struct build *b, const struct conf_stmt *st, size_t *i,
		       const char *stop, bool expect_mode,
		       struct proto_match *pm)
{
	const struct conf_word *w;

	model_proto_all(pm);
	if (*i >= st->n) {
		diag_error(b->d, st->w[st->n - 1].at, "InvalidParameterValue",
			   "Expected a rule (%s) after '%s'",
			   expect_mode ? "icmp, tcp PORT or udp PORT" :
					 "all, tcp, udp, icmp or proto N",
			   st->w[st->n - 1].text);
		return false;
	}
	w = &st->w[(*i)++];
	if (!strcmp(w->text, "all") && !expect_mode)
		return true;
	if (!strcmp(w->text, "tcp") || !strcmp(w->text, "udp"))
		return parse_proto_ports(b, st, i, stop, expect_mode, w, pm);
	if (!strcmp(w->text, "icmp"))
		return parse_proto_icmp(b, st, i, stop, expect_mode, pm);
	if (!strcmp(w->text, "proto") && !expect_mode)
		return parse_proto_number(b, st, i, stop, w, pm);
	bad_proto(b, w, expect_mode);
	return false;
}

/* Expects the word at st->w[*i] to be kw; reports where it is missing. */
bool model_expect_word(struct build *b, const struct conf_stmt *st, size_t *i,
		       const char *kw, const char *what)
{
	if (*i < st->n && !strcmp(st->w[*i].text, kw)) {
		(*i)++;
		return true;
	}
	if (*i < st->n)
		diag_error(b->d, st->w[*i].at, "InvalidParameterValue",
			   "Expected '%s' here, got '%s' (%s)", kw,
			   st->w[*i].text, what);
	else
		diag_error(b->d, st->w[st->n - 1].at, "InvalidParameterValue",
			   "Expected '%s' after '%s' (%s)", kw,
			   st->w[st->n - 1].text, what);
	return false;
}
