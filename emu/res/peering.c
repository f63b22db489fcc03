/* res/peering.c - the VPC peering connection and its lifecycle.
 *
 * A veth between the two routers (plan.c), up only while active. Here: the
 * block, the rules of §6 (overlap makes it failed, one per pair, quotas),
 * and the lifecycle side table of peering.h that keeps what the model
 * cannot say (deleted, expired, timestamps).
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
#include <time.h>

#include "vpcemu/peering.h"

#define ACTIVE_PEERINGS_PER_VPC_MAX 50 /* */

static bool peering_joins(const struct peering *p, const struct vpc *a,
			  const struct vpc *b)
{
	return (p->requester == a && p->accepter == b) ||
	       (p->requester == b && p->accepter == a);
}

/* The peering between a and b that matters for traffic: an active one if
 * any, else the first in the file, else NULL. */
struct peering *peering_between(const struct lab *lab, const struct vpc *a,
				const struct vpc *b)
{
	struct peering *any = NULL;
	size_t i;

	for (i = 0; i < lab->npeerings; i++) {
		struct peering *p = lab->peerings[i];

		if (!peering_joins(p, a, b))
			continue;
		if (p->status == PEERING_ACTIVE)
			return p;
		if (!any)
			any = p;
	}
	return any;
}

/* ---- lab file -------------------------------------------------------- */

static void peering_parse(struct build *b, struct res *res,
			  const struct conf_block *blk)
{
	struct peering *p = (struct peering *)res;
	static const struct attr attrs[] = {
	    {"requester", A_REQ},
	    {"accepter", A_REQ},
	    {"status", 0},
	    {"requester-allows-remote-dns", 0},
	    {"accepter-allows-remote-dns", 0},
	};
	enum { P_REQ, P_ACC, P_STATUS, P_REQ_DNS, P_ACC_DNS };
	static const struct {
		const char *name;
		enum peering_status s;
	} statuses[] = {
	    {"active", PEERING_ACTIVE},
	    {"pending-acceptance", PEERING_PENDING_ACCEPTANCE},
	    {"rejected", PEERING_REJECTED},
	};
	const struct conf_stmt *seen[ARRAY_SIZE(attrs)] = { 0 };
	size_t i, k;

	p->status = PEERING_ACTIVE;
	p->requester_at = p->accepter_at = p->status_at = p->r.at;
	/* Interface names hold 15 bytes: "pcx-" and 8 digits of the ID. */
	snprintf(p->ifname, sizeof(p->ifname), "pcx-%.8s", p->r.id + 4);
	for (i = 0; i < blk->n; i++) {
		const struct conf_stmt *st = &blk->stmts[i];
		struct suggest s;

		switch (model_attr_find(b, "peering", attrs, ARRAY_SIZE(attrs),
					seen, st)) {
		case P_REQ:
			if (!model_want(b, st, 1, 1))
				break;
			p->requester =
			    (struct vpc *)model_resolve(b, RES_VPC, &st->w[1]);
			p->requester_at = st->w[1].at;
			break;
		case P_ACC:
			if (!model_want(b, st, 1, 1))
				break;
			p->accepter =
			    (struct vpc *)model_resolve(b, RES_VPC, &st->w[1]);
			p->accepter_at = st->w[1].at;
			break;
		case P_STATUS:
			if (!model_want(b, st, 1, 1))
				break;
			p->status_at = st->w[1].at;
			s = (struct suggest){ .word = st->w[1].text };
			for (k = 0; k < ARRAY_SIZE(statuses); k++) {
				if (!strcmp(statuses[k].name, st->w[1].text))
					break;
				model_suggest(&s, statuses[k].name);
			}
			if (k < ARRAY_SIZE(statuses))
				p->status = statuses[k].s;
			else
				model_err_suggest(
				    b, st->w[1].at, "InvalidParameterValue", &s,
				    "Invalid peering status '%s': expected active, pending-acceptance or rejected",
				    st->w[1].text);
			break;
		case P_REQ_DNS:
			if (model_want(b, st, 1, 1))
				model_get_bool(b, &st->w[1],
					       &p->requester_allows_remote_dns);
			break;
		case P_ACC_DNS:
			if (model_want(b, st, 1, 1))
				model_get_bool(b, &st->w[1],
					       &p->accepter_allows_remote_dns);
			break;
		}
	}
	model_attrs_required(b, &p->r, attrs, ARRAY_SIZE(attrs), seen);
}

/* ---- rules ----------------------------------------------------------- */

/* §6.1: any overlap between any two blocks: the peering is created
 * and fails. */
static void check_peering_overlap(struct peering *p, struct diags *d)
{
	struct vpc *rq = p->requester, *ac = p->accepter;
	char abuf[CIDR_BUF], bbuf[CIDR_BUF];
	size_t a, b;

	for (a = 0; a < rq->ncidrs; a++)
		for (b = 0; b < ac->ncidrs; b++) {
			if (!cidr_overlap(rq->cidrs[a], ac->cidrs[b]))
				continue;
			p->status = PEERING_FAILED;
			diag_warning(
			    d, p->r.at, "Vpcemu.PeeringFailed",
			    "Peering %s (%s) status failed: Failed due to incorrect VPC-ID, Account ID, or overlapping CIDR range (%s of %s overlaps %s of %s); routes to it are blackhole",
			    p->r.name, p->r.id, cidr_fmt(rq->cidrs[a], abuf),
			    rq->r.name, cidr_fmt(ac->cidrs[b], bbuf),
			    ac->r.name);
			return;
		}
}

/* one peering per pair, either way round, at a time. Terminal ones
 * (rejected, failed) no longer count, as in AWS where they linger only to
 * be seen. */
static void check_peering_unique(const struct lab *lab, size_t i,
				 struct diags *d)
{
	const struct peering *p = lab->peerings[i];
	size_t j;

	if (peering_status_terminal(p->status))
		return;
	for (j = 0; j < i; j++) {
		const struct peering *o = lab->peerings[j];

		if (!peering_joins(o, p->requester, p->accepter) ||
		    peering_status_terminal(o->status))
			continue;
		diag_error(d, p->r.at, "VpcPeeringConnectionAlreadyExists",
			   "VPCs %s and %s already have peering %s (%s)",
			   p->requester->r.name, p->accepter->r.name,
			   o->r.name, o->r.id);
		break;
	}
}

/* DNS options need an active peering, then both VPCs' DNS support
 * and host names. */
static void check_peering_dns(const struct peering *p, struct diags *d)
{
	const struct vpc *rq = p->requester, *ac = p->accepter, *off = NULL;

	if (!p->requester_allows_remote_dns && !p->accepter_allows_remote_dns)
		return;
	if (!(rq->dns_support && rq->dns_hostnames))
		off = rq;
	else if (!(ac->dns_support && ac->dns_hostnames))
		off = ac;
	if (p->status != PEERING_ACTIVE)
		diag_error(
		    d, p->r.at, "InvalidVpcPeeringConnectionState",
		    "Peering %s (%s) has status %s; remote DNS resolution can be allowed only on an active peering",
		    p->r.name, p->r.id, peering_status_name(p->status));
	else if (off)
		diag_error(
		    d, p->r.at,
		    "InvalidVpcPeeringConnectionState.DnsHostnamesDisabled",
		    "Remote DNS resolution needs dns-support and dns-hostnames on both VPCs; %s (%s) lacks %s",
		    off->r.name, off->r.id,
		    off->dns_support ? "dns-hostnames" : "dns-support");
}

/* Active peerings before peerings[i] with v at either end. */
static size_t active_peerings_before(const struct lab *lab, size_t i,
				     const struct vpc *v)
{
	size_t j, n = 0;

	for (j = 0; j < i; j++) {
		const struct peering *o = lab->peerings[j];

		if (o->status == PEERING_ACTIVE &&
		    o->requester != o->accepter &&
		    (o->requester == v || o->accepter == v))
			n++;
	}
	return n;
}

/* 50 active peerings per VPC; the 51st is refused. */
static void check_peering_limit(const struct lab *lab, size_t i,
				struct diags *d)
{
	const struct peering *p = lab->peerings[i];
	const struct vpc *ends[2] = { p->requester, p->accepter };
	size_t e;

	if (p->status != PEERING_ACTIVE || ends[0] == ends[1])
		return;
	for (e = 0; e < 2; e++) {
		if (!ends[e] || active_peerings_before(lab, i, ends[e]) !=
				    ACTIVE_PEERINGS_PER_VPC_MAX)
			continue;
		diag_error(
		    d, p->r.at,
		    "ActiveVpcPeeringConnectionPerVpcLimitExceeded",
		    "VPC %s (%s) already has %d active peerings, the maximum",
		    ends[e]->r.name, ends[e]->r.id,
		    ACTIVE_PEERINGS_PER_VPC_MAX);
		break;
	}
}

/* In passes: a failed peering (overlap) no longer counts as a duplicate
 * or an active one. */
static void check_peerings(struct lab *lab, struct diags *d)
{
	size_t i;

	for (i = 0; i < lab->npeerings; i++) {
		struct peering *p = lab->peerings[i];

		if (!p->requester || !p->accepter)
			continue;
		/* no peering of a VPC with itself. The error code is
		 * unverified; AWS documents only that it is refused. */
		if (p->requester == p->accepter) {
			diag_error(
			    d, check_pick(p->accepter_at, p->r.at),
			    "InvalidParameterValue",
			    "Peering %s: a VPC cannot be peered with itself (%s)",
			    p->r.name, p->requester->r.name);
			continue;
		}
		check_peering_overlap(p, d);
	}
	for (i = 0; i < lab->npeerings; i++) {
		struct peering *p = lab->peerings[i];

		if (!p->requester || !p->accepter ||
		    p->requester == p->accepter)
			continue;
		check_peering_unique(lab, i, d);
		check_peering_dns(p, d);
	}
	for (i = 0; i < lab->npeerings; i++)
		check_peering_limit(lab, i, d);
}

/* ---- printed back ---------------------------------------------------- */

static void peering_print(struct printer *p, const struct res *res)
{
	const struct peering *x = (const struct peering *)res;
	if (!print_res_ok(p, &x->r))
		return;
	print_block_open(p, &x->r);
	sb_puts(&p->sb, "\trequester");
	print_ref(p, x->requester ? &x->requester->r : NULL, &x->r);
	sb_puts(&p->sb, "\n\taccepter");
	print_ref(p, x->accepter ? &x->accepter->r : NULL, &x->r);
	sb_puts(&p->sb, "\n");
	switch (x->status) {
	case PEERING_ACTIVE:
	case PEERING_FAILED:
		/* failed: check_lab derives it again from the overlap. */
		break;
	case PEERING_PENDING_ACCEPTANCE:
	case PEERING_REJECTED:
		sb_printf(&p->sb, "\tstatus %s\n",
			  peering_status_name(x->status));
		break;
	case PEERING_DELETED:
	case PEERING_EXPIRED:
	default:
		print_fail(p, -ENOTSUP, &x->r);
		break;
	}
	if (x->requester_allows_remote_dns)
		sb_puts(&p->sb, "\trequester-allows-remote-dns yes\n");
	if (x->accepter_allows_remote_dns)
		sb_puts(&p->sb, "\taccepter-allows-remote-dns yes\n");
	print_block_close(p);
}

/* ---- EC2 API --------------------------------------------------------- */

static json_t *pcx_vpc_info(struct jb *b, const struct lab *lab,
			    const struct vpc *v, bool allow_dns)
{
	json_t *o = jb_obj(b), *set;
	size_t i;

	if (!v)
		return o;
	jb_put_cidr(b, o, "CidrBlock", v->cidrs[0]);
	set = jb_put(b, o, "CidrBlockSet", jb_arr(b));
	for (i = 0; i < v->ncidrs; i++)
		jb_put_cidr(b, jb_add(b, set, jb_obj(b)), "CidrBlock",
			    v->cidrs[i]);
	jb_put_s(b, o, "OwnerId", describe_owner(lab, v));
	jb_put(
	    b, o, "PeeringOptions",
	    json_pack("{s:b}", "AllowDnsResolutionFromRemoteVpc", allow_dns));
	jb_put_s(b, o, "VpcId", v->r.id);
	jb_put_s(b, o, "Region", v->region);
	return o;
}

json_t *peering_json(struct jb *b, const struct lab *lab,
		     const struct ec2_state *st, const struct peering *p)
{
	const struct ec2_peering_rec *rec =
	    st ? ec2_state_find(st, p->r.id) : NULL;
	enum peering_status s = ec2_peering_status(st, p);
	json_t *o = jb_obj(b), *x;
	char msg[128], tbuf[40];

	jb_put(
	    b, o, "AccepterVpcInfo",
	    pcx_vpc_info(b, lab, p->accepter, p->accepter_allows_remote_dns));
	if (rec && s == PEERING_PENDING_ACCEPTANCE) {
		describe_time(rec->created + EC2_PEERING_EXPIRY, tbuf, sizeof(tbuf));
		jb_put_s(b, o, "ExpirationTime", tbuf);
	}
	jb_put(
	    b, o, "RequesterVpcInfo",
	    pcx_vpc_info(b, lab, p->requester, p->requester_allows_remote_dns));
	x = jb_put(b, o, "Status", jb_obj(b));
	jb_put_s(b, x, "Code", ec2_status_code(s));
	jb_put_s(b, x, "Message",
		 ec2_status_message(s,
				    p->accepter
					? describe_owner(lab, p->accepter)
					: lab->account,
				    msg, sizeof(msg)));
	jb_put_tags(b, o, &p->r);
	jb_put_s(b, o, "VpcPeeringConnectionId", p->r.id);
	return o;
}

/* one account: failed, rejected and deleted stay visible 2 h,
 * expired 2 days. */
static bool pcx_visible(const struct ec2_state *st, const struct peering *p,
			time_t now)
{
	const struct ec2_peering_rec *rec =
	    st ? ec2_state_find(st, p->r.id) : NULL;
	enum peering_status s;
	time_t keep;

	if (!rec)
		return true;
	s = ec2_peering_status(st, p);
	switch (s) {
	case PEERING_FAILED:
	case PEERING_REJECTED:
	case PEERING_DELETED:
		keep = 2 * 3600;
		break;
	case PEERING_EXPIRED:
		keep = 2 * 24 * 3600;
		break;
	default:
		return true;
	}
	return now - rec->changed < keep;
}

static void peering_table(struct strbuf *sb, const json_t *o)
{
	const json_t *x = json_object_get(o, "RequesterVpcInfo");
	const json_t *y = json_object_get(o, "AccepterVpcInfo");

	sb_printf(sb, "  %-24s %-22s %s -> %s  %s\n", describe_tag_name(o),
		  describe_jstr(o, "VpcPeeringConnectionId"),
		  describe_jstr(x, "VpcId"), describe_jstr(y, "VpcId"),
		  describe_jstr(json_object_get(o, "Status"), "Code"));
}

static void peering_details(struct strbuf *sb, const struct lab *lab,
			    const struct res *r)
{
	const struct peering *p = (const struct peering *)r;

	sb_printf(sb, "%s->%s %s", p->requester->r.name, p->accepter->r.name,
		  peering_status_name(p->status));
}

/* ------------------------------------------------------------------ */
/* Lifecycle side table (peering.h) */

void ec2_state_free(struct ec2_state *st)
{
	if (!st)
		return;
	free(st->v);
	if (st->d) {
		diags_free(st->d);
		free(st->d);
	}
	memset(st, 0, sizeof(*st));
}

const struct ec2_peering_rec *ec2_state_find(const struct ec2_state *st,
					     const char *id)
{
	size_t i;

	for (i = 0; st && id && i < st->n; i++)
		if (!strcmp(st->v[i].id, id))
			return &st->v[i];
	return NULL;
}

static struct ec2_peering_rec *rec_find(struct ec2_state *st, const char *id)
{
	return (struct ec2_peering_rec *)ec2_state_find(st, id);
}

struct ec2_peering_rec *ec2_state_add(struct ec2_state *st, const char *id,
				      time_t now)
{
	struct ec2_peering_rec *r = rec_find(st, id);

	if (r)
		return r;
	r = VEC_PUSH(st->v, st->n, st->cap);
	if (!r)
		return NULL;
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->created = r->changed = now;
	r->status = PEERING_ACTIVE;
	return r;
}

enum peering_status ec2_peering_status(const struct ec2_state *st,
				       const struct peering *p)
{
	const struct ec2_peering_rec *r = ec2_state_find(st, p->r.id);

	return r && r->override ? r->status : p->status;
}

const char *ec2_status_code(enum peering_status s)
{
	return peering_status_name(s);
}

const char *ec2_status_message(enum peering_status s, const char *account,
			       char *buf, size_t len)
{
	switch (s) {
	case PEERING_ACTIVE:
		snprintf(buf, len, "Active");
		break;
	case PEERING_PENDING_ACCEPTANCE:
		snprintf(buf, len, "Pending Acceptance by %s",
			 account ? account : "");
		break;
	case PEERING_REJECTED:
		snprintf(buf, len, "Rejected by %s", account ? account : "");
		break;
	case PEERING_FAILED:
		snprintf(
		    buf, len,
		    "Failed due to incorrect VPC-ID, Account ID, or overlapping CIDR range");
		break;
	case PEERING_DELETED:
		snprintf(buf, len, "Deleted by %s", account ? account : "");
		break;
	case PEERING_EXPIRED:
		snprintf(buf, len, "Expired");
		break;
	default:
		snprintf(buf, len, "?");
	}
	return buf;
}

json_t *ec2_state_to_json(const struct ec2_state *st)
{
	json_t *root = json_object(), *arr = json_array();
	size_t i;

	if (!root || !arr)
		goto oom;
	for (i = 0; st && i < st->n; i++) {
		const struct ec2_peering_rec *r = &st->v[i];
		json_t *o = json_pack("{s:s, s:I, s:I}", "id", r->id, "created",
				      (json_int_t)r->created, "changed",
				      (json_int_t)r->changed);

		if (!o)
			goto oom;
		if (r->override &&
		    json_object_set_new(
			o, "status", json_string(ec2_status_code(r->status)))) {
			json_decref(o);
			goto oom;
		}
		if (json_array_append_new(arr, o))
			goto oom;
	}
	if (json_object_set_new(root, "peerings", arr)) {
		arr = NULL;
		goto oom;
	}
	return root;
oom:
	json_decref(root);
	json_decref(arr);
	return NULL;
}

int ec2_state_from_json(struct ec2_state *st, const json_t *j)
{
	const json_t *arr = json_object_get(j, "peerings"), *o;
	struct ec2_peering_rec *v = NULL;
	size_t i, n;

	if (!json_is_array(arr))
		return -EINVAL;
	n = json_array_size(arr);
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	json_array_foreach(arr, i, o)
	{
		const json_t *id = json_object_get(o, "id");
		const json_t *cr = json_object_get(o, "created");
		const json_t *ch = json_object_get(o, "changed");
		const json_t *s = json_object_get(o, "status");

		if (!json_is_string(id) || !json_is_integer(cr) ||
		    !json_is_integer(ch) || (s && !json_is_string(s)) ||
		    strlen(json_string_value(id)) >= MODEL_ID_MAX)
			goto bad;
		snprintf(v[i].id, sizeof(v[i].id), "%s", json_string_value(id));
		v[i].created = (time_t)json_integer_value(cr);
		v[i].changed = (time_t)json_integer_value(ch);
		v[i].status = PEERING_ACTIVE;
		if (s) {
			if (peering_status_parse(json_string_value(s),
						 &v[i].status))
				goto bad;
			v[i].override = true;
		}
	}
	free(st->v);
	st->v = v;
	st->n = n;
	st->cap = n + 1;
	return 0;
bad:
	free(v);
	return -EINVAL;
}

time_t ec2_clock_now(const struct ec2_clock *clock)
{
	return clock ? clock->now : time(NULL);
}

bool peering_status_terminal(enum peering_status s)
{
	return s == PEERING_REJECTED || s == PEERING_FAILED ||
	       s == PEERING_DELETED || s == PEERING_EXPIRED;
}

int ec2_tick(struct lab *lab, struct ec2_state *st,
	     const struct ec2_clock *clock)
{
	time_t now = ec2_clock_now(clock);
	int changed = 0;
	size_t i;

	for (i = 0; i < lab->npeerings; i++) {
		struct peering *p = lab->peerings[i];
		struct ec2_peering_rec *r = rec_find(st, p->r.id);

		if (!r) {
			r = ec2_state_add(st, p->r.id, now);
			if (!r)
				return -ENOMEM;
		}
		if (!r->override && p->status == PEERING_PENDING_ACCEPTANCE &&
		    now - r->created >= EC2_PEERING_EXPIRY) {
			p->status = PEERING_REJECTED; /* stand-in */
			r->override = true;
			r->status = PEERING_EXPIRED;
			r->changed = r->created + EC2_PEERING_EXPIRY;
			changed = 1;
		}
	}
	return changed;
}

static void peering_describe(struct jb *b, json_t *a, const struct lab *lab,
			     const struct ec2_state *st, time_t now,
			     const struct res *r)
{
	const struct peering *p = (const struct peering *)r;

	if (pcx_visible(st, p, now))
		jb_add(b, a, peering_json(b, lab, st, p));
}

/* A peering as a route target: the veth between the two routers. */
static void peering_route_check(const struct route_table *t,
				const struct route *r, struct place at,
				struct diags *d)
{
	const struct peering *p = (const struct peering *)r->target;

	/* R-6.9 (vpcemu): only the two peers route into a peering; AWS's
	 * code for a foreign one is unverified. */
	if (p->requester != t->vpc && p->accepter != t->vpc)
		diag_error(
		    d, at, "InvalidParameterValue",
		    "Peering %s (%s) does not involve VPC %s of route table %s",
		    p->r.name, p->r.id, t->vpc->r.name, t->r.name);
}

/* A route to a peering that is not active is a blackhole (R-3.9,
 * */
static const char *peering_route_dev(const struct route_table *t,
				     const struct res *target)
{
	const struct peering *p = (const struct peering *)target;

	return p->status == PEERING_ACTIVE ? p->ifname : NULL;
}

static bool peering_route_active(const struct res *target,
				 const struct ec2_state *st)
{
	return ec2_peering_status(st, (const struct peering *)target) ==
	       PEERING_ACTIVE;
}

static const struct route_target peering_target = {
	.describe_key = "VpcPeeringConnectionId",
	.check = peering_route_check,
	.dev = peering_route_dev,
	.active = peering_route_active,
};

const struct res_type res_type_peering = {
	.keyword = "peering",
	.id_prefix = "pcx-",
	.noun = "peering",
	.notfound = "InvalidVpcPeeringConnectionID.NotFound",
	.size = sizeof(struct peering),
	.describe_what = "vpc-peering-connections",
	.describe_key = "VpcPeeringConnections",
	.target = &peering_target,
	.parse = peering_parse,
	.check = check_peerings,
	.print = peering_print,
	.describe = peering_describe,
	.table = peering_table,
	.details = peering_details,
};
