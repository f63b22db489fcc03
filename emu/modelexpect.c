/* modelexpect.c - the expect lines of a lab file (pass 4 of model.c): what
 * `vpcemu test` probes, with its source, destination, rule and verdict.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/analyze.h"
#include "vpcemu/conf.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

/* An end of an expect line by name: an instance, an internet host or an
 * on-premises host, with its namespace and address (in *ip, which the
 * destination sets again). Any other
 * name gets the instance diagnostics, as when instances were the only
 * ends. */
static struct res *expect_end(struct build *b, const struct conf_word *w,
			      const char **netns, uint32_t *ip)
{
	struct res *r = model_find(b->lab, RES_INTERNET_HOST, w->text);

	if (r) {
		*netns = ((struct internet_host *)r)->netns;
		*ip = ((struct internet_host *)r)->ip;
		return r;
	}
	r = model_find(b->lab, RES_ONPREM_HOST, w->text);
	if (r) {
		*netns = ((struct onprem_host *)r)->netns;
		*ip = ((struct onprem_host *)r)->ip;
		return r;
	}
	r = model_resolve(b, RES_INSTANCE, w);
	if (r) {
		*netns = ((struct instance *)r)->eni->netns;
		*ip = ((struct instance *)r)->private_ip;
	}
	return r;
}

/* expect SRC -> DST RULE reachable|blocked [REASON] */
void model_parse_expect(struct build *b, const struct conf_stmt *st)
{
	static const char form[] = "expect SRC -> DST RULE reachable|blocked [REASON]";
	struct expect x = { .at = st->w[0].at };
	struct strbuf sb = { 0 };
	struct expect *slot;
	const struct conf_word *w;
	bool dst_ok;
	size_t i = 1, k;

	if (st->n < 2) {
		diag_error(b->d, st->w[0].at, "InvalidParameterValue",
			   "Incomplete expect line: %s", form);
		return;
	}
	x.src = expect_end(b, &st->w[i++], &x.src_netns, &x.dst_ip);
	if (!model_expect_word(b, st, &i, "->", form))
		return;
	if (i >= st->n) {
		diag_error(b->d, st->w[i - 1].at, "InvalidParameterValue",
			   "Expected a destination (an instance, a host or an IP) after '->'");
		return;
	}
	w = &st->w[i++];
	if (!ip_parse(w->text, &x.dst_ip)) {
		dst_ok = true;
	} else {
		x.dst = expect_end(b, w, &x.dst_netns, &x.dst_ip);
		dst_ok = x.dst != NULL;
	}
	if (!model_parse_proto(b, st, &i, NULL, true, &x.proto))
		return;
	if (i >= st->n) {
		diag_error(b->d, st->w[i - 1].at, "InvalidParameterValue",
			   "Expected reachable or blocked after the rule");
		return;
	}
	w = &st->w[i++];
	if (!strcmp(w->text, "reachable")) {
		x.reachable = true;
	} else if (!strcmp(w->text, "blocked")) {
		x.reachable = false;
	} else {
		struct suggest s = { .word = w->text };

		model_suggest(&s, "reachable");
		model_suggest(&s, "blocked");
		model_err_suggest(
		    b, w->at, "InvalidParameterValue", &s,
		    "Invalid verdict '%s': expected reachable or blocked",
		    w->text);
		return;
	}
	if (i < st->n) {
		if (x.reachable) {
			diag_error(b->d, st->w[i].at, "InvalidParameterValue",
				   "A reason names what blocks: it goes only with 'blocked'");
			return;
		}
		if (i + 1 < st->n) {
			diag_error(b->d, st->w[i + 1].at,
				   "InvalidParameterValue",
				   "Unexpected '%s' after the reason",
				   st->w[i + 1].text);
			return;
		}
	}
	if (!x.src || !dst_ok)
		return;
	for (k = 0; k < st->n; k++)
		sb_printf(&sb, k ? st->w[k].quoted ? " \"%s\"" : " %s" : "%s",
			  st->w[k].text);
	x.text = sb_take(&sb);
	if (i < st->n) {
		x.reason = model_strdup(b, st->w[i].text);
		/* `vpcemu test` compares the reason with analyze's code:
		 * one analyze never gives can never hold. */
		if (!analyze_code_known(st->w[i].text))
			diag_warning(b->d, st->w[i].at, "Vpcemu.UnknownReason",
				     "'%s' is not an explanation code that vpcemu analyze gives (see vpcemu analyze --help)",
				     st->w[i].text);
	}
	slot = x.text ? MODEL_PUSH(b, b->lab->expects, b->lab->nexpects) : NULL;
	if (!slot) {
		b->oom = true;
		free(x.text);
		free(x.reason);
		return;
	}
	*slot = x;
}
