/* res/eni.c - the elastic network interface.
 *
 * Never written in a lab file: model.c makes one per instance and per
 * subnet of an interface endpoint. A veth pair in the kernel (plan.c).
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

static void eni_details(struct strbuf *sb, const struct lab *lab,
			const struct res *r)
{
	const struct eni *e = (const struct eni *)r;
	char ip[CIDR_BUF];

	sb_printf(sb, "%s subnet=%s if=%s sg=", ip_fmt(e->ip, ip),
		  e->subnet->r.name, e->ifname);
	res_sg_list(sb, e->sgs, e->nsgs);
}

static void eni_free(struct res *r)
{
	struct eni *e = (struct eni *)r;

	free(e->sgs);
	free(e->netns);
}

const struct res_type res_type_eni = {
	.keyword = "eni",
	.id_prefix = "eni-",
	.noun = "network interface",
	.notfound = "InvalidNetworkInterfaceID.NotFound",
	.size = sizeof(struct eni),
	.details = eni_details,
	.free = eni_free,
};
