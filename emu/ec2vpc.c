/* ec2vpc.c - the commands that build a lab's network from nothing and take
 * it apart: create-/delete-vpc, create-/delete-subnet, create-/delete-
 * route-table, create-/delete-security-group, create-/delete-network-acl,
 * replace-network-acl-association, modify-subnet-attribute and
 * modify-vpc-peering-connection-options.
 *
 * A new resource is added to the working copy with the ID model_build
 * derives from its name (its Name tag, else a free name such as VPC-2),
 * as ec2edge.c adds its kinds; a new VPC is added as lab text instead
 * (ec2ctx.h's add_text), because its main route table, default ACL and
 * default group are model_build's to make. Answers are read from the
 * rebuilt model (POST_RES), in the shapes of botocore's ec2 model.
 *
 * A delete refuses, with AWS's DependencyViolation and nothing changed,
 * while something still needs the resource (a VPC's subnets, groups,
 * tables, ACLs, gateways and live peerings; a subnet's network interfaces;
 * a table's associations; a group's interfaces and the rules that name
 * it; an ACL's associations). Associations of a deleted subnet go with it,
 * as in AWS. Changes only the working copy (ec2ctx.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/describe.h"
#include "vpcemu/ec2ctx.h"
#include "vpcemu/ec2edge.h"
#include "vpcemu/ec2vpc.h"
#include "vpcemu/model.h"
#include "vpcemu/restype.h"
#include "vpcemu/util.h"

/* The answer {key: object} of r, from the rebuilt model. */
static int post_res(struct ec2ctx *c, const char *key, const char *id)
{
	c->post = POST_RES;
	c->post_key = key;
	snprintf(c->post_id, sizeof(c->post_id), "%s", id);
	return 0;
}

/* After a route table, ACL or group is added or deleted, its VPC's
 * implicit ones take the place model_build will give them. */
static int placed(struct ec2ctx *c)
{
	return model_order_implicit(c->m) ? ENOMEM_FAIL(c) : 0;
}

/* Deletes r from the working copy; the answer is empty. */
static int dropped(struct ec2ctx *c, struct res *r)
{
	ec2edge_res_drop(c, r);
	if (placed(c))
		return ENOMEM_FAIL(c);
	c->out = json_object();
	return c->out ? 0 : ENOMEM_FAIL(c);
}

/* A route table or network ACL of --vpc-id, answered as {key: object}. */
static int vpc_child_create(struct ec2ctx *c, enum res_kind k,
			    const char *rtype, const char *base,
			    const char *key)
{
	struct res *r;
	struct vpc *v;
	int ret = 0;

	v = GET_VPC(c, ec2ctx_opt_req(c, "--vpc-id", "vpcId", &ret), &ret);
	if (!v)
		return ret;
	r = ec2edge_res_add(c, k, rtype, base, &ret);
	if (!r)
		return ret;
	if (k == RES_ROUTE_TABLE)
		((struct route_table *)r)->vpc = v;
	else
		((struct nacl *)r)->vpc = v;
	return placed(c) ?: post_res(c, key, r->id);
}

static int dependency(struct ec2ctx *c, const char *what, const struct res *r,
		      const struct res *dep)
{
	return EFAIL(c, "DependencyViolation",
		     "The %s '%s' has dependencies and cannot be deleted (%s %s, %s).",
		     what, r->id, res_types[dep->kind]->noun, dep->name,
		     dep->id);
}

/* --cidr-block, required. */
static int cidr_opt(struct ec2ctx *c, struct cidr *cidr)
{
	int ret = 0;
	const char *s = ec2ctx_opt_req(c, "--cidr-block", "cidrBlock", &ret);

	return s ? ec2ctx_get_cidr(c, s, "cidrBlock", cidr) : ret;
}

/* ------------------------------------------------------------------ */
/* VPCs */

static int vpc_create(struct ec2ctx *c)
{
	const char *tags;
	char *name = NULL, id[MODEL_ID_MAX], buf[CIDR_BUF];
	struct cidr cidr;
	int ret = 0;

	ret = cidr_opt(c, &cidr);
	if (ret)
		return ret;
	if (ec2ctx_arg_index(c->a, "--amazon-provided-ipv6-cidr-block") >= 0 ||
	    ec2ctx_arg_index(c->a, "--ipv4-ipam-pool-id") >= 0)
		return EUNSUP(c, "IPv6 and IPAM pools are not supported by vpcemu yet");
	tags = ec2ctx_arg_get(c->a, "--tag-specifications", NULL);
	/* Only the default tenancy exists in a lab: the others change
	 * nothing that vpcemu emulates. */
	ec2ctx_arg_get(c->a, "--instance-tenancy", NULL);
	ret = ec2ctx_new_name(c, tags, "vpc", "VPC", &name);
	if (ret)
		return ret;
	c->add_text = str_printf("vpc %s {\n\tcidr %s\n}\n", name,
				 cidr_fmt(cidr, buf));
	model_make_id(id, res_types[RES_VPC]->id_prefix, c->m->name,
		      res_types[RES_VPC]->keyword, name);
	free(name);
	if (!c->add_text)
		return ENOMEM_FAIL(c);
	return post_res(c, "Vpc", id);
}

/* What keeps v from being deleted (its own implicit resources do not),
 * or NULL. Peerings that are over (rejected, deleted, failed) do not. */
static const struct res *vpc_dependent(struct ec2ctx *c, const struct vpc *v)
{
	const struct lab *m = c->m;
	size_t i, k;

	for (i = 0; i < m->nsubnets; i++)
		if (m->subnets[i]->vpc == v)
			return &m->subnets[i]->r;
	for (i = 0; i < m->nroute_tables; i++)
		if (m->route_tables[i]->vpc == v &&
		    !m->route_tables[i]->r.implicit)
			return &m->route_tables[i]->r;
	for (i = 0; i < m->nnacls; i++)
		if (m->nacls[i]->vpc == v && !m->nacls[i]->r.implicit)
			return &m->nacls[i]->r;
	for (i = 0; i < m->nsgs; i++) {
		const struct sg *g = m->sgs[i];

		if (g->vpc == v && !g->r.implicit)
			return &g->r;
		/* A group across a peering naming v's default group. */
		for (k = 0; g->vpc != v && k < g->nrules; k++)
			if (g->rules[k].peer_kind == SG_PEER_SG &&
			    g->rules[k].peer_sg->vpc == v)
				return &g->r;
	}
	for (i = 0; i < m->npeerings; i++) {
		const struct peering *p = m->peerings[i];

		if ((p->requester == v || p->accepter == v) &&
		    !peering_status_terminal(ec2_peering_status(c->st, p)) &&
		    ec2_peering_status(c->st, p) != PEERING_FAILED)
			return &p->r;
	}
	for (i = 0; i < m->nendpoints; i++)
		if (m->endpoints[i]->vpc == v)
			return &m->endpoints[i]->r;
	if (internet_gateway_of(m, v))
		return &internet_gateway_of(m, v)->r;
	for (i = 0; i < m->res[RES_TGW_ATTACHMENT].n; i++) {
		const struct tgw_attachment *a =
			(const void *)m->res[RES_TGW_ATTACHMENT].v[i];

		if (a->vpc == v)
			return &a->r;
	}
	for (i = 0; i < m->res[RES_TARGET_GROUP].n; i++) {
		const struct target_group *t =
			(const void *)m->res[RES_TARGET_GROUP].v[i];

		if (t->vpc == v)
			return &t->r;
	}
	return NULL;
}

static int vpc_delete(struct ec2ctx *c)
{
	const struct res *dep;
	struct vpc *v;
	int ret = 0;
	size_t i;

	v = GET_VPC(c, ec2ctx_opt_req(c, "--vpc-id", "vpcId", &ret), &ret);
	if (!v)
		return ret;
	dep = vpc_dependent(c, v);
	if (dep)
		return dependency(c, "vpc", &v->r, dep);
	/* Its implicit resources and its finished peerings go with it. */
	for (i = c->m->nroute_tables; i-- > 0;)
		if (c->m->route_tables[i]->vpc == v)
			ec2edge_res_drop(c, &c->m->route_tables[i]->r);
	for (i = c->m->nnacls; i-- > 0;)
		if (c->m->nacls[i]->vpc == v)
			ec2edge_res_drop(c, &c->m->nacls[i]->r);
	for (i = c->m->nsgs; i-- > 0;)
		if (c->m->sgs[i]->vpc == v)
			ec2edge_res_drop(c, &c->m->sgs[i]->r);
	for (i = c->m->npeerings; i-- > 0;) {
		struct peering *p = c->m->peerings[i];

		if (p->requester != v && p->accepter != v)
			continue;
		/* The peer's routes to it stay, as blackhole. */
		ec2edge_routes_blackhole(c, &p->r, NULL);
		ec2edge_res_drop(c, &p->r);
	}
	return dropped(c, &v->r);
}

/* ------------------------------------------------------------------ */
/* Subnets */

static int subnet_create(struct ec2ctx *c)
{
	const char *az;
	struct subnet *s;
	struct cidr cidr;
	struct vpc *v;
	int ret = 0;

	v = GET_VPC(c, ec2ctx_opt_req(c, "--vpc-id", "vpcId", &ret), &ret);
	if (!v)
		return ret;
	ret = cidr_opt(c, &cidr);
	if (ret)
		return ret;
	if (ec2ctx_arg_index(c->a, "--availability-zone-id") >= 0 ||
	    ec2ctx_arg_index(c->a, "--ipv6-cidr-block") >= 0)
		return EUNSUP(c, "--availability-zone-id and IPv6 are not supported by vpcemu yet; use --availability-zone");
	az = ec2ctx_arg_get(c->a, "--availability-zone", NULL);
	s = (struct subnet *)ec2edge_res_add(c, RES_SUBNET, "subnet", "Subnet",
					     &ret);
	if (!s)
		return ret;
	s->vpc = v;
	s->cidr = cidr;
	/* AWS picks a zone; the lab's default is the region's first. */
	s->az = az ? strdup(az) : str_printf("%sa", v->region);
	if (!s->az)
		return ENOMEM_FAIL(c);
	return post_res(c, "Subnet", s->r.id);
}

/* A network interface of s (an instance's, an endpoint's, a NAT
 * gateway's, a load balancer node's) or a transit gateway attachment
 * in it, or NULL. */
static const struct res *subnet_dependent(const struct lab *m,
					  const struct subnet *s)
{
	const struct res_list *l = &m->res[RES_TGW_ATTACHMENT];
	size_t i, k;

	for (i = 0; i < m->nenis; i++)
		if (m->enis[i]->subnet == s)
			return model_eni_owner(m->enis[i]);
	for (i = 0; i < l->n; i++) {
		const struct tgw_attachment *a = (const void *)l->v[i];

		for (k = 0; k < a->nsubnets; k++)
			if (a->subnets[k] == s)
				return &a->r;
	}
	return NULL;
}

/* Takes s out of an association list (a route table's or an ACL's). */
static void assoc_drop(struct subnet **v, struct place *at, size_t *n,
		       const struct subnet *s)
{
	size_t i, n2;

	for (i = 0; i < *n; i++) {
		if (v[i] != s)
			continue;
		n2 = *n;
		if (at)
			ec2ctx_remove_at(at, &n2, sizeof(*at), i);
		ec2ctx_remove_at(v, n, sizeof(*v), i);
		return;
	}
}

static int subnet_delete(struct ec2ctx *c)
{
	const struct res *dep;
	struct subnet *s;
	int ret = 0;
	size_t i;

	s = GET_SUBNET(c, ec2ctx_opt_req(c, "--subnet-id", "subnetId", &ret),
		       &ret);
	if (!s)
		return ret;
	dep = subnet_dependent(c->m, s);
	if (dep)
		return dependency(c, "subnet", &s->r, dep);
	for (i = 0; i < c->m->nroute_tables; i++) {
		struct route_table *t = c->m->route_tables[i];

		assoc_drop(t->assoc, t->assoc_at, &t->nassoc, s);
	}
	for (i = 0; i < c->m->nnacls; i++) {
		struct nacl *n = c->m->nacls[i];

		assoc_drop(n->assoc, n->assoc_at, &n->nassoc, s);
	}
	return dropped(c, &s->r);
}

static int subnet_modify(struct ec2ctx *c)
{
	struct subnet *s;
	int on, ret = 0;

	s = GET_SUBNET(c, ec2ctx_opt_req(c, "--subnet-id", "subnetId", &ret),
		       &ret);
	if (!s)
		return ret;
	on = ec2ctx_bool_attr(c, "--map-public-ip-on-launch", &ret);
	if (on == -2)
		return ret;
	if (on < 0)
		return EUNSUP(c, "vpcemu changes only --map-public-ip-on-launch of a subnet");
	s->public_ip_on_launch = on;
	c->out = json_object();
	return c->out ? 0 : ENOMEM_FAIL(c);
}

/* ------------------------------------------------------------------ */
/* Route tables */

static int rtb_create(struct ec2ctx *c)
{
	return vpc_child_create(c, RES_ROUTE_TABLE, "route-table",
				"RouteTable", "RouteTable");
}

static int rtb_delete(struct ec2ctx *c)
{
	struct route_table *t;
	int ret = 0;
	size_t i, k;

	t = GET_RTB(c, ec2ctx_opt_req(c, "--route-table-id", "routeTableId",
				      &ret), &ret);
	if (!t)
		return ret;
	/* The main table goes only with its VPC. */
	if (t->main)
		return EFAIL(c, "DependencyViolation",
			     "The routeTable '%s' has dependencies and cannot be deleted (it is the main route table of %s).",
			     t->r.id, t->vpc->r.id);
	if (t->nassoc)
		return dependency(c, "routeTable", &t->r, &t->assoc[0]->r);
	for (i = 0; i < c->m->nendpoints; i++)
		for (k = 0; k < c->m->endpoints[i]->nroute_tables; k++)
			if (c->m->endpoints[i]->route_tables[k] == t)
				return dependency(c, "routeTable", &t->r,
						  &c->m->endpoints[i]->r);
	return dropped(c, &t->r);
}

/* ------------------------------------------------------------------ */
/* Security groups */

static int sg_create(struct ec2ctx *c)
{
	const char *gname, *desc, *tags;
	char *name = NULL, *tag = NULL;
	struct sg *g;
	struct vpc *v;
	int ret = 0;
	size_t i;

	gname = ec2ctx_opt_req(c, "--group-name", "GroupName", &ret);
	if (!gname)
		return ret;
	desc = ec2ctx_opt_req(c, "--description", "GroupDescription", &ret);
	if (!desc)
		return ret;
	v = GET_VPC(c, ec2ctx_arg_get(c->a, "--vpc-id", NULL), &ret);
	if (!v)
		return ret ? ret : EFAIL(c, "VPCIdNotSpecified",
					 "No default VPC for this user: vpcemu labs have none; pass --vpc-id");
	if (!strcmp(gname, "default"))
		return EFAIL(c, "InvalidGroup.Reserved",
			     "The security group 'default' is reserved");
	for (i = 0; i < c->m->nsgs; i++)
		if (c->m->sgs[i]->vpc == v &&
		    !strcmp(sg_group_name(c->m->sgs[i]), gname))
			return EFAIL(c, "InvalidGroup.Duplicate",
				     "The security group '%s' already exists for VPC '%s'",
				     gname, v->r.id);
	/* The group name is its lab name: a Name tag can only repeat it. */
	tags = ec2ctx_arg_get(c->a, "--tag-specifications", NULL);
	ret = ec2ctx_new_name(c, tags, "security-group", gname, &name);
	if (ret)
		return ret;
	if (strcmp(name, gname)) {
		tag = name;
		name = NULL;
		ret = model_find(c->m, RES__COUNT, gname) ?
			EFAIL(c, "InvalidParameterValue",
			      "Group name '%s' is taken by another resource of the lab (lab names are unique across kinds)",
			      gname) :
			EUNSUP(c, "The Name tag '%s' of a group must be its group name '%s' in vpcemu",
			       tag, gname);
		free(tag);
		return ret;
	}
	g = (struct sg *)ec2edge_res_add_named(c, RES_SG, name, &ret);
	if (!g)
		return ret;
	g->vpc = v;
	g->description = strdup(desc);
	/* A new group allows all outbound traffic. */
	g->rules = calloc(1, sizeof(*g->rules));
	if (!g->description || !g->rules)
		return ENOMEM_FAIL(c);
	g->rules[0].dir = DIR_EGRESS;
	model_proto_all(&g->rules[0].proto);
	g->rules[0].peer_kind = SG_PEER_CIDR;
	g->nrules = 1;
	ret = placed(c);
	if (ret)
		return ret;
	c->out = json_pack("{s:s}", "GroupId", g->r.id);
	return c->out ? 0 : ENOMEM_FAIL(c);
}

/* An ENI that has g, or a group with a rule that names g, or NULL. */
static const struct res *sg_dependent(const struct lab *m, const struct sg *g)
{
	size_t i, k;

	for (i = 0; i < m->nenis; i++)
		for (k = 0; k < m->enis[i]->nsgs; k++)
			if (m->enis[i]->sgs[k] == g)
				return model_eni_owner(m->enis[i]);
	for (i = 0; i < m->nsgs; i++)
		for (k = 0; m->sgs[i] != g && k < m->sgs[i]->nrules; k++)
			if (m->sgs[i]->rules[k].peer_kind == SG_PEER_SG &&
			    m->sgs[i]->rules[k].peer_sg == g)
				return &m->sgs[i]->r;
	return NULL;
}

static int sg_delete(struct ec2ctx *c)
{
	const struct res *dep;
	struct sg *g;
	int ret = 0;

	g = ec2ctx_group_arg(c, &ret);
	if (!g)
		return ret;
	if (g->is_default)
		return EFAIL(c, "CannotDelete",
			     "the specified group: \"%s\" name: \"default\" cannot be deleted by a user",
			     g->r.id);
	dep = sg_dependent(c->m, g);
	if (dep)
		return EFAIL(c, "DependencyViolation",
			     "resource %s has a dependent object (%s %s, %s)",
			     g->r.id, res_types[dep->kind]->noun, dep->name,
			     dep->id);
	return dropped(c, &g->r);
}

/* ------------------------------------------------------------------ */
/* Network ACLs */

/* No entry: only the final '*' deny of both directions. */
static int acl_create(struct ec2ctx *c)
{
	return vpc_child_create(c, RES_NACL, "network-acl", "NetworkAcl",
				"NetworkAcl");
}

static int acl_delete(struct ec2ctx *c)
{
	struct nacl *n;
	int ret = 0;

	n = GET_ACL(c, ec2ctx_opt_req(c, "--network-acl-id", "networkAclId",
				      &ret), &ret);
	if (!n)
		return ret;
	if (n->is_default)
		return EFAIL(c, "InvalidParameterValue",
			     "cannot delete default network ACL %s", n->r.id);
	if (n->nassoc)
		return dependency(c, "networkAcl", &n->r, &n->assoc[0]->r);
	return dropped(c, &n->r);
}

/* a subnet has one ACL; the association moves, and gets a new ID. */
static int acl_replace_assoc(struct ec2ctx *c)
{
	const char *aref;
	char id[MODEL_ID_MAX];
	struct subnet *s = NULL;
	struct nacl *n;
	int ret = 0;
	size_t i;

	aref = ec2ctx_opt_req(c, "--association-id", "associationId", &ret);
	if (!aref)
		return ret;
	n = GET_ACL(c, ec2ctx_opt_req(c, "--network-acl-id", "networkAclId",
				      &ret), &ret);
	if (!n)
		return ret;
	for (i = 0; !s && i < c->m->nsubnets; i++) {
		describe_acl_assoc_id(c->m, c->m->subnets[i]->nacl->r.id,
				      c->m->subnets[i]->r.id, id);
		if (!strcmp(id, aref))
			s = c->m->subnets[i];
	}
	if (!s)
		return EFAIL(c, "InvalidAssociationID.NotFound",
			     "The association ID '%s' does not exist", aref);
	if (s->vpc != n->vpc)
		return EFAIL(c, "InvalidParameterValue",
			     "Network ACL %s and subnet %s belong to different networks",
			     n->r.id, s->r.id);
	if (s->nacl && !s->nacl->is_default)
		assoc_drop(s->nacl->assoc, s->nacl->assoc_at,
			   &s->nacl->nassoc, s);
	/* The default ACL takes no written association: a subnet without
	 * one has it. */
	if (!n->is_default) {
		if (ec2ctx_grow((void **)&n->assoc, n->nassoc,
				sizeof(*n->assoc)) ||
		    ec2ctx_grow((void **)&n->assoc_at, n->nassoc,
				sizeof(*n->assoc_at)))
			return ENOMEM_FAIL(c);
		n->assoc[n->nassoc++] = s;
	}
	describe_acl_assoc_id(c->m, n->r.id, s->r.id, id);
	c->out = json_pack("{s:s}", "NewAssociationId", id);
	return c->out ? 0 : ENOMEM_FAIL(c);
}

/* ------------------------------------------------------------------ */
/* Peering options */

/* One side's --*-peering-connection-options: "AllowDnsResolutionFrom
 * RemoteVpc=true" or its JSON; *on is left as it is when absent. */
static int pcx_option(struct ec2ctx *c, const char *opt, bool *on,
		      json_t *out, const char *key)
{
	const char *s = ec2ctx_arg_get(c->a, opt, NULL);
	json_t *j, *v;
	int b = -1;

	if (!s)
		return 0;
	j = json_loads(s, 0, NULL);
	if (j) {
		v = json_object_get(j, "AllowDnsResolutionFromRemoteVpc");
		if (json_is_boolean(v) && json_object_size(j) == 1)
			b = json_is_true(v);
		json_decref(j);
	} else if (!strcmp(s, "AllowDnsResolutionFromRemoteVpc=true")) {
		b = 1;
	} else if (!strcmp(s, "AllowDnsResolutionFromRemoteVpc=false")) {
		b = 0;
	}
	if (b < 0)
		return EUNSUP(c, "%s: vpcemu takes AllowDnsResolutionFromRemoteVpc=true|false only (ClassicLink is gone from AWS)",
			      opt);
	*on = b;
	if (json_object_set_new(out, key,
				json_pack("{s:b}",
					  "AllowDnsResolutionFromRemoteVpc",
					  b)))
		return ENOMEM_FAIL(c);
	return 0;
}

static int pcx_modify_options(struct ec2ctx *c)
{
	struct peering *p;
	int ret = 0;

	p = GET_PCX(c, ec2ctx_opt_req(c, "--vpc-peering-connection-id",
				      "vpcPeeringConnectionId", &ret), &ret);
	if (!p)
		return ret;
	c->out = json_object();
	if (!c->out)
		return ENOMEM_FAIL(c);
	/* Whether the peering is active and both VPCs resolve host names
	 * is check's, judged on the changed lab. */
	ret = pcx_option(c, "--requester-peering-connection-options",
			 &p->requester_allows_remote_dns, c->out,
			 "RequesterPeeringConnectionOptions");
	if (!ret)
		ret = pcx_option(c, "--accepter-peering-connection-options",
				 &p->accepter_allows_remote_dns, c->out,
				 "AccepterPeeringConnectionOptions");
	if (!ret && !json_object_size(c->out))
		ret = EFAIL(c, "MissingParameter",
			    "The request must contain requesterPeeringConnectionOptions or accepterPeeringConnectionOptions");
	return ret;
}

/* ------------------------------------------------------------------ */

static const struct ec2ctx_cmd vpc_cmds[] = {
	{ "create-vpc", vpc_create,
	  "create-vpc --cidr-block CIDR [--tag-specifications SPEC]\n\n"
	  "A VPC with its main route table, default network ACL and default\n"
	  "security group (NAME.main, NAME.default-acl, NAME.default). Its lab\n"
	  "name is its Name tag, else VPC, VPC-2, ... Answers Vpc.\n" },
	{ "delete-vpc", vpc_delete,
	  "delete-vpc --vpc-id VPC\n\n"
	  "Only once its subnets, route tables, ACLs, groups, gateways,\n"
	  "endpoints and live peerings are gone (DependencyViolation).\n" },
	{ "create-subnet", subnet_create,
	  "create-subnet --vpc-id VPC --cidr-block CIDR\n"
	  "    [--availability-zone AZ] [--tag-specifications SPEC]\n\n"
	  "A subnet (AZ: the region's first when omitted). Its lab name is its\n"
	  "Name tag, else Subnet, Subnet-2, ... Answers Subnet.\n" },
	{ "delete-subnet", subnet_delete,
	  "delete-subnet --subnet-id SUBNET\n\n"
	  "Only once no network interface is in it (DependencyViolation);\n"
	  "its route table and ACL associations go with it.\n" },
	{ "modify-subnet-attribute", subnet_modify,
	  "modify-subnet-attribute --subnet-id SUBNET\n"
	  "    --map-public-ip-on-launch | --no-map-public-ip-on-launch\n\n"
	  "Whether instances launched later get a public IPv4.\n" },
	{ "create-route-table", rtb_create,
	  "create-route-table --vpc-id VPC [--tag-specifications SPEC]\n\n"
	  "A route table with the local routes only. Answers RouteTable.\n" },
	{ "delete-route-table", rtb_delete,
	  "delete-route-table --route-table-id RTB\n\n"
	  "Not the main table, nor one with associations or gateway\n"
	  "endpoints (DependencyViolation).\n" },
	{ "create-security-group", sg_create,
	  "create-security-group --group-name NAME --description TEXT\n"
	  "    --vpc-id VPC [--tag-specifications SPEC]\n\n"
	  "A group with AWS's default egress rule (all to 0.0.0.0/0); NAME is\n"
	  "its lab name. Answers GroupId.\n" },
	{ "delete-security-group", sg_delete,
	  "delete-security-group --group-id SG | --group-name NAME\n\n"
	  "Not the default group (CannotDelete), nor one an interface has or a\n"
	  "rule names (DependencyViolation).\n" },
	{ "create-network-acl", acl_create,
	  "create-network-acl --vpc-id VPC [--tag-specifications SPEC]\n\n"
	  "An ACL that denies everything until entries are added. Answers\n"
	  "NetworkAcl.\n" },
	{ "delete-network-acl", acl_delete,
	  "delete-network-acl --network-acl-id ACL\n\n"
	  "Not the default ACL, nor one with associations.\n" },
	{ "replace-network-acl-association", acl_replace_assoc,
	  "replace-network-acl-association --association-id ACLASSOC\n"
	  "    --network-acl-id ACL\n\n"
	  "Moves a subnet (its association, as describe-network-acls shows\n"
	  "it) to ACL. Answers NewAssociationId.\n" },
	{ "modify-vpc-peering-connection-options",
	  pcx_modify_options,
	  "modify-vpc-peering-connection-options --vpc-peering-connection-id PCX\n"
	  "    [--requester-peering-connection-options AllowDnsResolutionFromRemoteVpc=true|false]\n"
	  "    [--accepter-peering-connection-options AllowDnsResolutionFromRemoteVpc=true|false]\n\n"
	  "Remote DNS resolution across an active peering whose VPCs both\n"
	  "have DNS support and host names.\n" },
};

const struct ec2ctx_cmd *ec2vpc_cmd(const char *cmd)
{
	return ec2ctx_cmd_find(vpc_cmds, ARRAY_SIZE(vpc_cmds), cmd);
}

void ec2vpc_names(void (*fn)(void *arg, const char *name), void *arg)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vpc_cmds); i++)
		fn(arg, vpc_cmds[i].name);
}
