/* res/iam_role.c - the IAM role an instance profile carries.
 *
 * No kernel object: Session Manager and IMDS read its policies.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/describe.h"
#include "vpcemu/restype.h"

/* ---- lab file -------------------------------------------------------- */

static void role_parse(struct build *b, struct res *res,
		       const struct conf_block *blk)
{
	struct iam_role *role = (struct iam_role *)res;
	static const struct attr attrs[] = { { "policies", 0 } };
	const struct conf_stmt *seen[ARRAY_SIZE(attrs)] = { 0 };
	size_t i, j;

	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];

		if (model_attr_find(b, "iam-role", attrs, ARRAY_SIZE(attrs),
				    seen, st) != 0 ||
		    !model_want(b, st, 1, 0))
			continue;
		for (j = 1; j < st->n; j++) {
			char **slot =
			    MODEL_PUSH(b, role->policies, role->npolicies);

			if (!slot)
				return;
			*slot = model_strdup(b, st->w[j].text);
		}
	}
}

/* ---- printed back ---------------------------------------------------- */

static void role_print(struct printer *p, const struct res *res)
{
	const struct iam_role *role = (const struct iam_role *)res;
	size_t i;

	if (!print_res_ok(p, &role->r))
		return;
	print_block_open(p, &role->r);
	if (role->npolicies) {
		sb_puts(&p->sb, "\tpolicies");
		for (i = 0; i < role->npolicies; i++)
			print_str(p, role->policies[i], false, &role->r);
		sb_puts(&p->sb, "\n");
	}
	print_block_close(p);
}

static void role_details(struct strbuf *sb, const struct lab *lab,
			 const struct res *r)
{
	const struct iam_role *ro = (const struct iam_role *)r;
	size_t i;

	for (i = 0; i < ro->npolicies; i++)
		sb_printf(sb, "%s%s", i ? "," : "", ro->policies[i]);
}

static void role_free(struct res *r)
{
	struct iam_role *role = (struct iam_role *)r;
	size_t j;

	for (j = 0; j < role->npolicies; j++)
		free(role->policies[j]);
	free(role->policies);
}

const struct res_type res_type_iam_role = {
	.keyword = "iam-role",
	.id_prefix = "AROA",
	.noun = "IAM role",
	.notfound = "NoSuchEntity",
	.size = sizeof(struct iam_role),
	.parse = role_parse,
	.print = role_print,
	.details = role_details,
	.free = role_free,
};
