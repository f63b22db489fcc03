/* ec2flow.c - create-flow-logs and delete-flow-logs for ec2_run (ec2.h);
 * describe-flow-logs is the kind's describe (res/flow_log.c).
 *
 * A flow log made here is a flow-log block of the working copy, checked
 * by the rebuild like one written in the lab file, so the file's rules
 * (destination, format) hold for both. vpcemu writes files only: the
 * destination type is "file", the AWS types are refused.
 */
#include <stdlib.h>
#include <string.h>

#include "vpcemu/ec2ctx.h"
#include "vpcemu/ec2edge.h"
#include "vpcemu/ec2flow.h"
#include "vpcemu/ec2plink.h"
#include "vpcemu/restype.h"

/* The resource a flow log of --resource-type type covers, by ID or
 * name; NULL after appending an UnsuccessfulItem to fails. An ENI is
 * taken as its instance, the only owner a lab's flow-log block names. */
static struct res *covered(struct ec2ctx *c, const char *type,
			   const char *ref, json_t *fails, int *ret)
{
	struct eni *e;
	struct res *r;

	if (!strcmp(type, "VPC"))
		r = model_find(c->m, RES_VPC, ref);
	else if (!strcmp(type, "Subnet"))
		r = model_find(c->m, RES_SUBNET, ref);
	else {
		e = (struct eni *)model_find(c->m, RES_ENI, ref);
		r = e && e->instance ? &e->instance->r : NULL;
		if (e && !r) {
			*ret = EUNSUP(c, "%s is not an instance's network interface: vpcemu logs instances, subnets and VPCs",
				      ref);
			return NULL;
		}
	}
	if (!r)
		*ret = ec2plink_unsuccessful(
			c, fails, ref,
			!strcmp(type, "VPC")	  ? "InvalidVpcID.NotFound"
			: !strcmp(type, "Subnet") ? "InvalidSubnetID.NotFound"
				: "InvalidNetworkInterfaceID.NotFound",
			"The resource does not exist");
	return r;
}

/* The options every flow log of the call shares, checked here for AWS's
 * own values; the rebuild checks the rest (destination, format, range). */
struct fl_opts {
	const char *type;
	enum flow_traffic traffic;
	unsigned long interval;
	const char *dest, *format;
};

static int read_opts(struct ec2ctx *c, struct fl_opts *o)
{
	static const char *const traffic[] = { "ALL", "ACCEPT", "REJECT" };
	const char *t, *dtype, *iv;
	char *end;
	size_t i;
	int ret = 0;

	o->type = ec2ctx_opt_req(c, "--resource-type", "ResourceType", &ret);
	t = o->type ? ec2ctx_opt_req(c, "--traffic-type", "TrafficType", &ret)
		    : NULL;
	if (ret)
		return ret;
	if (strcmp(o->type, "VPC") && strcmp(o->type, "Subnet") &&
	    strcmp(o->type, "NetworkInterface"))
		return strncmp(o->type, "TransitGateway", 14)
			       ? EFAIL(c, "InvalidParameterValue",
				       "Invalid value '%s' for ResourceType: VPC, Subnet or NetworkInterface",
				       o->type)
			       : EUNSUP(c, "transit gateway flow logs are not emulated");
	for (i = 0; i < ARRAY_SIZE(traffic) && strcmp(t, traffic[i]); i++)
		;
	if (i == ARRAY_SIZE(traffic))
		return EFAIL(c, "InvalidParameterValue",
			     "Invalid value '%s' for TrafficType: ACCEPT, REJECT or ALL",
			     t);
	o->traffic = i;
	dtype = ec2ctx_arg_get(c->a, "--log-destination-type", NULL);
	if (dtype && strcmp(dtype, "file"))
		return EUNSUP(c, "vpcemu writes flow logs to files (--log-destination-type file), not to %s",
			      dtype);
	o->dest = ec2ctx_arg_get(c->a, "--log-destination", NULL);
	o->format = ec2ctx_arg_get(c->a, "--log-format", NULL);
	iv = ec2ctx_arg_get(c->a, "--max-aggregation-interval", NULL);
	o->interval = 600;
	if (iv) {
		o->interval = strtoul(iv, &end, 10);
		if (*end || !*iv || o->interval < 1 || o->interval > 600)
			return EFAIL(c, "InvalidParameterValue",
				     "Invalid value '%s' for MaxAggregationInterval: 60 or 600 (vpcemu: 1 to 600)",
				     iv);
	}
	return 0;
}

static int create(struct ec2ctx *c)
{
	struct fl_opts o = { 0 };
	json_t *ids = json_array(), *fails = json_array();
	struct flow_log *f;
	struct res *r;
	int n, first, i, ret;

	ret = !ids || !fails ? ENOMEM_FAIL(c) : read_opts(c, &o);
	n = ret ? 0 : ec2ctx_arg_list(c->a, "--resource-ids", &first);
	if (!ret && n <= 0)
		ret = EFAIL(c, "MissingParameter",
			    "The request must contain the parameter ResourceIds");
	for (i = 0; !ret && i < n; i++) {
		r = covered(c, o.type, c->a->argv[first + i], fails, &ret);
		if (!r)
			continue;
		f = (struct flow_log *)ec2edge_res_add(c, RES_FLOW_LOG,
						       "vpc-flow-log",
						       "flow-log", &ret);
		if (!f)
			break;
		f->resource = r;
		f->traffic = o.traffic;
		f->interval = (unsigned)o.interval;
		f->destination = o.dest ? strdup(o.dest) : NULL;
		f->format = o.format ? strdup(o.format) : NULL;
		if ((o.dest && !f->destination) || (o.format && !f->format) ||
		    json_array_append_new(ids, json_string(f->r.id)))
			ret = ENOMEM_FAIL(c);
	}
	c->out = ret ? NULL
		     : json_pack("{s:o, s:o}", "FlowLogIds", ids,
				 "Unsuccessful", fails);
	if (ret) {
		json_decref(ids);
		json_decref(fails);
	}
	return ret ? ret : c->out ? 0 : ENOMEM_FAIL(c);
}

static int delete_one(struct ec2ctx *c, const char *ref, json_t *fails)
{
	struct res *r = model_find(c->m, RES_FLOW_LOG, ref);

	if (!r)
		return ec2plink_unsuccessful(c, fails, ref,
					     "InvalidFlowLogId.NotFound",
					     "The flow log does not exist");
	ec2edge_res_drop(c, r);
	return 0;
}

static int delete(struct ec2ctx *c)
{
	return ec2plink_each(c, "--flow-log-ids", "FlowLogIds", delete_one);
}

static const struct ec2ctx_cmd flow_cmds[] = {
	{ "create-flow-logs", create,
	  "create-flow-logs --resource-type VPC|Subnet|NetworkInterface\n"
	  "    --resource-ids ID... --traffic-type ACCEPT|REJECT|ALL\n"
	  "    [--log-destination-type file] [--log-destination PATH]\n"
	  "    [--max-aggregation-interval 60|600|N] [--log-format FORMAT]\n"
	  "    [--tag-specifications SPEC]\n\n"
	  "A flow log per resource (an instance's network interface logs its\n"
	  "instance), written from the kernel's verdicts to PATH (under\n"
	  "/var/log/vpcemu/LAB/, default /var/log/vpcemu/LAB/NAME.log) every\n"
	  "interval seconds; FORMAT is AWS's \"${field} ...\". Answers\n"
	  "FlowLogIds and Unsuccessful (an unknown resource).\n" },
	{ "delete-flow-logs", delete,
	  "delete-flow-logs --flow-log-ids ID...\n\n"
	  "Stops the flow logs (what they hold is written first); the files\n"
	  "stay. An unknown one is InvalidFlowLogId.NotFound in Unsuccessful.\n" },
};

const struct ec2ctx_cmd *ec2flow_cmd(const char *cmd)
{
	return ec2ctx_cmd_find(flow_cmds, ARRAY_SIZE(flow_cmds), cmd);
}
