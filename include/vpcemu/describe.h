/* describe.h - a lab's resources in the EC2 API's JSON shapes.
 *
 * describe_lab() gives what "aws ec2 describe-vpcs", "describe-subnets",
 * "describe-route-tables", "describe-vpc-peering-connections",
 * "describe-security-groups", "describe-network-acls" and
 * "describe-instances" print, with the EC2 API's field names (Vpcs[],
 * RouteTables[].Routes[].State active|blackhole, VpcPeeringConnections[]
 * .Status.Code, Reservations[].Instances[], ...). With what NULL, one object
 * holding every one of those top-level keys.
 *
 * Pure: reads the model (and, for describe_lab_state, the lifecycle side
 * table of ec2.h), allocates JSON, prints nothing.
 */
#ifndef VPCEMU_DESCRIBE_H
#define VPCEMU_DESCRIBE_H

#include <time.h>

#include <jansson.h>

struct lab;
struct peering;
struct instance;
struct sg;
struct sg_rule;
struct ec2_state;

/* what: NULL (all), "vpcs", "subnets", "route-tables",
 * "vpc-peering-connections", "security-groups", "network-acls",
 * "instances". NULL with errno EINVAL for an unknown what, ENOMEM. */
json_t *describe_lab(const struct lab *lab, const char *what);

/* The same, with peering statuses and timestamps from st (may be NULL);
 * finished peerings are left out once AWS would hide them. */
json_t *describe_lab_state(const struct lab *lab, const struct ec2_state *st,
			   const char *what, time_t now);

/* Whether what is one of the names above. */
int describe_what_ok(const char *what);

/* One VpcPeeringConnection / Instance / SecurityGroupRule object, for the
 * outputs of ec2.c's commands. NULL on ENOMEM. */
json_t *describe_peering(const struct lab *lab, const struct ec2_state *st,
			 const struct peering *p);
json_t *describe_instance(const struct lab *lab, const struct instance *in);
json_t *describe_sg_rule(const struct lab *lab, const struct sg *g,
			 const struct sg_rule *r);
/* {"Groups": [], "Instances": [in], "OwnerId", "ReservationId"}. */
json_t *describe_reservation(const struct lab *lab, const struct instance *in);

/* The ID of route table rtb_id's association with subnet_id (or "main"
 * for the main association): "rtbassoc-" + 17 hex, stable. out holds at
 * least MODEL_ID_MAX bytes. */
void describe_assoc_id(const struct lab *lab, const char *rtb_id,
		       const char *subnet_id, char *out);
/* The ID of network ACL acl_id's association with subnet_id:
 * "aclassoc-" + 17 hex, stable; a subnet that moves gets another. */
void describe_acl_assoc_id(const struct lab *lab, const char *acl_id,
			   const char *subnet_id, char *out);

/* ---- paging, as the AWS APIs page describe-* ---- */

/* How one API names it: the request's page size and token (as AWS CLI
 * options), the answer's key for the next token, and the page sizes it
 * takes. */
struct describe_paging {
	const char *size_opt, *token_opt, *next_key;
	long min, max;
};

/* EC2: --max-results (MaxResults) 5 to 1000, --next-token, NextToken.
 * ELBv2: --page-size (PageSize) 1 to 400, --marker, NextMarker. */
extern const struct describe_paging describe_paging_ec2;
extern const struct describe_paging describe_paging_elbv2;

#define DESCRIBE_TOKEN_MAX 40

/* The token of the page that starts at item offset, into buf
 * (DESCRIBE_TOKEN_MAX bytes), and back (0, or -EINVAL for a token that is
 * not one). The CLI makes one too, to resume after --max-items. */
void describe_token(size_t offset, char *buf);
int describe_token_offset(const char *token, size_t *ret_offset);

/* The key of out's only array (what is paged), or NULL when it has none
 * or several (vpcemu describe of every type). */
const char *describe_paged_key(const json_t *out);

/* Cuts out (a describe answer) to one page: the items from token's
 * (NULL: the first), at most max (0: all), with next_key set to the next
 * page's token when more follow. Returns 0, -EINVAL for a token past the
 * items, -ENOTSUP when out has no single array, -ENOMEM. */
int describe_page(json_t *out, const char *next_key, size_t max,
		  const char *token);

/* A readable table of a describe_lab result (one section per top-level
 * key, one row per resource), malloc'd, or NULL on ENOMEM. */
char *describe_table(json_t *j);

#endif
