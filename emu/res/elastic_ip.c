/* res/elastic_ip.c - the Elastic IP: a public address the lab keeps.
 *
 * An address of the public pool, given or the pool's first free one
 * (model.c assigns it with the instances' public IPs), optionally
 * associated with an instance, whose public IP it becomes: the internet
 * gateway's 1:1 NAT then carries it (nftgen.c). No kernel object of its
 * own.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/describe.h"
#include "vpcemu/restype.h"

/* ---- lab file -------------------------------------------------------- */

enum { E_ADDRESS, E_INSTANCE };

static const struct attr eip_attrs[] = {
	[E_ADDRESS] = { "address", 0 },
	[E_INSTANCE] = { "instance", 0 },
};

static void eip_parse(struct build *b, struct res *res,
		      const struct conf_block *blk)
{
	struct elastic_ip *e = (struct elastic_ip *)res;
	const struct conf_stmt *seen[ARRAY_SIZE(eip_attrs)] = { 0 };
	size_t i;
	int a;

	e->address_at = e->instance_at = e->r.at;
	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];

		a = model_attr_find(b, "elastic-ip", eip_attrs,
				    ARRAY_SIZE(eip_attrs), seen, st);
		if (a < 0 || !model_want(b, st, 1, 1))
			continue;
		if (a == E_ADDRESS) {
			e->address_given =
				model_get_ip(b, &st->w[1], &e->address);
			e->address_at = st->w[1].at;
		} else {
			e->instance = (struct instance *)model_resolve(
				b, RES_INSTANCE, &st->w[1]);
			e->instance_at = st->w[1].at;
		}
	}
}

/* ---- rules ----------------------------------------------------------- */

static void eip_check_one(const struct lab *lab, size_t i, struct diags *d)
{
	const struct res_list *l = &lab->res[RES_ELASTIC_IP];
	const struct elastic_ip *e = (const struct elastic_ip *)l->v[i];
	char ip[IP_BUF];
	size_t j;

	if (e->address_given && !model_public_pool_has(lab, e->address))
		diag_error(d, e->address_at, "InvalidParameterValue",
			   "Address %s is not in the public IP pool (198.51.100.0/24, 203.0.113.0/24 and the public-ip-pool lines)",
			   ip_fmt(e->address, ip));
	else if (!e->address)
		diag_error(d, e->r.at, "AddressLimitExceeded",
			   "The maximum number of addresses has been reached: the public IP pool has no free address for %s",
			   e->r.name);
	for (j = 0; j < i; j++) {
		const struct elastic_ip *o = (const struct elastic_ip *)l->v[j];

		if (e->address_given && o->address == e->address)
			diag_error(d, e->address_at, "InvalidIPAddress.InUse",
				   "Address %s is already Elastic IP %s",
				   ip_fmt(e->address, ip), o->r.name);
		/* AssociateAddress without reassociation. */
		if (e->instance && o->instance == e->instance)
			diag_error(d, e->instance_at,
				   "Resource.AlreadyAssociated",
				   "Instance %s (%s) is already associated with Elastic IP %s",
				   e->instance->r.name, e->instance->r.id,
				   o->r.name);
	}
}

static void eip_check(struct lab *lab, struct diags *d)
{
	size_t i;

	for (i = 0; i < lab->res[RES_ELASTIC_IP].n; i++)
		eip_check_one(lab, i, d);
}

/* ---- printed back ---------------------------------------------------- */

static void eip_print(struct printer *p, const struct res *res)
{
	const struct elastic_ip *e = (const struct elastic_ip *)res;
	char ip[IP_BUF];

	if (!print_res_ok(p, res))
		return;
	print_block_open(p, res);
	if (e->address_given)
		sb_printf(&p->sb, "\taddress %s\n", ip_fmt(e->address, ip));
	if (e->instance) {
		sb_puts(&p->sb, "\tinstance");
		print_ref(p, &e->instance->r, res);
		sb_puts(&p->sb, "\n");
	}
	print_block_close(p);
}

/* ---- EC2 API --------------------------------------------------------- */

static void eip_describe(struct jb *b, json_t *a, const struct lab *lab,
			 const struct ec2_state *st, time_t now,
			 const struct res *res)
{
	const struct elastic_ip *e = (const struct elastic_ip *)res;
	json_t *o = jb_add(b, a, jb_obj(b));
	char ip[IP_BUF], id[MODEL_ID_MAX];

	jb_put_s(b, o, "AllocationId", e->r.id);
	jb_put_s(b, o, "Domain", "vpc");
	if (e->instance && e->instance->eni) {
		model_make_id(id, "eipassoc-", lab->name, "eip-association",
			      e->r.name);
		jb_put_s(b, o, "AssociationId", id);
		jb_put_s(b, o, "InstanceId", e->instance->r.id);
		jb_put_s(b, o, "NetworkInterfaceId", e->instance->eni->r.id);
		jb_put_s(b, o, "NetworkInterfaceOwnerId", lab->account);
		jb_put_s(b, o, "PrivateIpAddress",
			 ip_fmt(e->instance->private_ip, ip));
	}
	jb_put_s(b, o, "NetworkBorderGroup", lab->region);
	jb_put_s(b, o, "PublicIp", ip_fmt(e->address, ip));
	jb_put_s(b, o, "PublicIpv4Pool", "amazon");
	jb_put_tags(b, o, res);
}

static void eip_table(struct strbuf *sb, const json_t *o)
{
	sb_printf(sb, "  %-24s %-28s %-15s %s\n", describe_tag_name(o),
		  describe_jstr(o, "AllocationId"), describe_jstr(o, "PublicIp"),
		  json_object_get(o, "InstanceId") ?
			  describe_jstr(o, "InstanceId") : "unassociated");
}

static void eip_details(struct strbuf *sb, const struct lab *lab,
			const struct res *res)
{
	const struct elastic_ip *e = (const struct elastic_ip *)res;
	char ip[IP_BUF];

	sb_printf(sb, "%s %s%s", ip_fmt(e->address, ip),
		  e->instance ? "instance=" : "unassociated",
		  e->instance ? e->instance->r.name : "");
}

const struct res_type res_type_elastic_ip = {
	.keyword = "elastic-ip",
	.id_prefix = "eipalloc-",
	.noun = "Elastic IP",
	.notfound = "InvalidAllocationID.NotFound",
	.size = sizeof(struct elastic_ip),
	.describe_what = "addresses",
	.describe_key = "Addresses",
	.parse = eip_parse,
	.check = eip_check,
	.print = eip_print,
	.describe = eip_describe,
	.table = eip_table,
	.details = eip_details,
};
