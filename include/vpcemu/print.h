/* print.h - a model written back as lab-file text.
 *
 * The daemon changes a running lab through AWS-style commands: it mutates
 * the model, then persists the result as a lab file that parses back to the
 * same model (same names, IDs, addresses, rules and order). Golden tests
 * hold print_lab to that: parse, build, print, parse, build, print gives the
 * same text twice and the same plan.
 *
 * What is written: "lab", "region" and "account" lines; one block per
 * written (non-implicit) resource, kinds in model.h order, resources in the
 * model's array order, each attribute only when it differs from its default
 * (required ones always; an instance's private-ip always, so that a reparse
 * never assigns addresses again); then the expect lines as written.
 * Implicit resources (VPC.main, VPC.default-acl, VPC.default) are left out:
 * model_build creates them again.
 *
 * What cannot be written (NULL, errno ENOTSUP; print_lab_to says which
 * resource):
 *  - an implicit resource that differs from what model_build creates: a
 *    route or an association on the implicit main table, an entry or an
 *    association on the default network ACL, a rule or description change
 *    on the default security group, an implicit main table that is no
 *    longer main. The format has no way to address implicit resources.
 *  - a peering in status deleted or expired (no such "status" value yet).
 *    Status failed is written as nothing: check_lab derives it again from
 *    the overlap of the two VPCs.
 *  - a resource whose ID is not the one its name gives (IDs are a hash of
 *    lab, kind and name; the format keeps names only), or whose name is not
 *    a valid lab name.
 *  - an interface endpoint whose ENI addresses would come out different
 *    (they are always assigned, lowest free address first; the format has
 *    no attribute for them), or an instance or interface endpoint without
 *    security group (a reparse would give it the VPC's default group).
 * A model that is inconsistent (a route target or reference that is NULL, a
 * string that is not UTF-8, an ICMP code without a type) gives EINVAL; so
 * does a route table, network ACL or security group placed after its VPC's
 * implicit ones: model.h's order, which a reparse restores, would move it
 * (and renumber kernel tables). Insert new ones before their VPC's
 * implicit resources, as model_build does.
 */
#ifndef VPCEMU_PRINT_H
#define VPCEMU_PRINT_H

struct diags;
struct lab;

/* Returns the lab as lab-file text, owned by the caller (free()), or NULL
 * with errno ENOMEM, ENOTSUP or EINVAL (see above). Prints nothing. */
char *print_lab(const struct lab *lab);

/* The same, as 0 or -errno; on success *ret_text is the caller's. On
 * -ENOTSUP / -EINVAL the error goes to d (when not NULL) as
 * Vpcemu.Unsupported, naming the resource that cannot be written when the
 * fault is one resource's (not an expect line's). */
int print_lab_to(const struct lab *lab, char **ret_text, struct diags *d);

#endif
