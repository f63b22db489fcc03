/* restype.h - one struct res_type per resource kind, and what its file sees.
 *
 * Each kind of resource (model.h's RES_KINDS) lives in emu/res/KIND.c and
 * describes itself with a struct res_type: its lab-file keyword, AWS ID
 * prefix and error codes, and the functions that parse its block, check its
 * AWS rules, print it back as lab-file text, describe it in the EC2 API's
 * JSON and list its details for `vpcemu validate`. The generic passes
 * (model.c, check.c, print.c, describe.c, cli.c) walk lab->res[] by kind and
 * call these; they hold nothing per kind. A kind that a route may point at
 * also carries a struct route_target.
 *
 * Below the table: the helpers the generic modules lend to the kind files
 * (the model builder, the printer, the JSON builder). Only emu/res/ and the
 * modules that define them include this header.
 */
#ifndef VPCEMU_RESTYPE_H
#define VPCEMU_RESTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "vpcemu/model.h"
#include "vpcemu/util.h"

struct conf_block;
struct conf_stmt;
struct conf_word;
struct ec2_state;

struct build;
struct printer;
struct jb;

/* What a route may point at. */
struct route_target {
	/* The route's field in DescribeRouteTables ("GatewayId", ...). */
	const char *describe_key;
	/* AWS's rule for a route of table t to r->target (R-3.7 ...):
	 * queues what is wrong at `at`. */
	void (*check)(const struct route_table *t, const struct route *r,
		      struct place at, struct diags *d);
	/* The device of t's router the route leaves by, or NULL while the
	 * route drops (R-3.9: a peering that is not active). */
	const char *(*dev)(const struct route_table *t,
			   const struct res *target);
	/* The next hop on that device, 0 for none (the far end answers ARP
	 * for everything it routes). May be NULL. */
	uint32_t (*gateway)(const struct res *target);
	/* Whether DescribeRouteTables says "active", with the lifecycle of
	 * st (may be NULL) where the kind has one. */
	bool (*active)(const struct res *target, const struct ec2_state *st);
	/* More fields of the route's JSON object (may be NULL). */
	void (*describe)(struct jb *b, json_t *o, const struct lab *lab,
			 const struct route_table *t,
			 const struct res *target);
};

struct res_type {
	/* Block keyword, also the ID hash input ("route-table"); a kind
	 * with no parse function is never written (ENIs). */
	const char *keyword;
	const char *id_prefix;	/* "rtb-" */
	const char *noun;	/* in messages: "route table" */
	const char *notfound;	/* "InvalidRouteTableID.NotFound" */
	size_t size;		/* of the kind's struct, which starts with
				   struct res */
	/* `vpcemu describe WHAT` and its top-level JSON key; NULL: the
	 * kind has no describe call. */
	const char *describe_what, *describe_key;
	const struct route_target *target;	/* NULL: not a route target */

	/* The block's statements (model.c pass 3). */
	void (*parse)(struct build *b, struct res *r,
		      const struct conf_block *blk);
	/* AWS's rules over every resource of the kind (check.c). */
	void (*check)(struct lab *lab, struct diags *d);
	/* The block as lab-file text (print.c); errors through print_fail. */
	void (*print)(struct printer *p, const struct res *r);
	/* Appends r's JSON object(s) to the array a (describe.c); st and now
	 * carry lifecycles (st may be NULL). */
	void (*describe)(struct jb *b, json_t *a, const struct lab *lab,
			 const struct ec2_state *st, time_t now,
			 const struct res *r);
	/* The row(s) of one of its JSON objects in `vpcemu describe
	 * --output table` (describe.c); set with describe. */
	void (*table)(struct strbuf *sb, const json_t *o);
	/* One line of details for `vpcemu validate` (cli.c). */
	void (*details)(struct strbuf *sb, const struct lab *lab,
			const struct res *r);
	/* Frees what r owns besides its name (NULL: nothing). */
	void (*free)(struct res *r);
};

#define RES_TYPE_DECL_(e, f) extern const struct res_type res_type_##f;
RES_KINDS(RES_TYPE_DECL_)
#undef RES_TYPE_DECL_

/* Indexed by enum res_kind. */
extern const struct res_type *const res_types[RES__COUNT];

/* "a" or "an" before a kind's noun. */
const char *res_article(enum res_kind k);

/* ------------------------------------------------------------------ */
/* The model builder (model.c), for parse functions */

/* One lab-wide name, for duplicates and for references to blocks of a
 * type that is not supported yet (already reported once). */
struct name_ent {
	const char *name;
	const char *type;	/* block type word */
	struct place at;
	bool implicit;		/* then vpc names the owner */
	bool unsupported;
	const char *vpc;
};

struct pending {
	struct res *r;
	const struct conf_block *blk;
};

struct build {
	struct lab *lab;
	struct diags *d;
	bool oom;
	struct name_ent *names;
	size_t nnames, namescap;
	struct strmap name_index;	/* name -> its first entry in names */
	struct pending *pend;
	size_t npend, pendcap;
	const struct conf_stmt **expects;
	size_t nexpects, expectscap;
};

/* "did you mean": the closest of the candidates tried. */
struct suggest {
	const char *word;
	const char *best;
	size_t dist;
};

enum { A_REQ = 1, A_REP = 2 };

struct attr {
	const char *name;
	unsigned flags;
};

/* Allocates a resource of kind k, appends it to lab->res[k] and gives it
 * its name, place and ID. NULL on allocation failure (b->oom set). */
struct res *model_res_new(struct build *b, enum res_kind k, const char *name,
			  struct place at, bool implicit);
/* The attachment of c to a transit gateway, made on first use (a route
 * table may name it before c is parsed); owned by c. */
struct tgw_attachment *vpn_tgw_attachment(struct build *b,
					  struct vpn_connection *c);
/* Registers the lab-wide name of r, an implicit resource that owner
 * has (a transit gateway's default route table). */
void model_name_implicit(struct build *b, const struct res *r,
			 const char *type, const struct res *owner);
/* Appends one zeroed element to *v (count *n); NULL and b->oom on ENOMEM.
 * Arrays grown this way keep a power-of-two capacity. */
void *model_push(struct build *b, void **v, size_t *n, size_t sz);
#define MODEL_PUSH(b, v, n) model_push((b), (void **)&(v), &(n), sizeof(*(v)))
/* The same for an array with a parallel array of places: appends place
 * to *at and one zeroed element to *v, and counts both in *n. */
void *model_push_at(struct build *b, void **v, struct place **at, size_t *n,
		    size_t sz, struct place place);
/* strdup / printf that set b->oom instead of failing. */
char *model_strdup(struct build *b, const char *s);
char *model_printf(struct build *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void model_suggest(struct suggest *s, const char *cand);
/* Queues an error with ", did you mean X?" when s found one. */
void model_err_suggest(struct build *b, struct place at, const char *code,
		       const struct suggest *s, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
const struct name_ent *model_name_lookup(const struct build *b,
					 const char *name);
/* Finds st's keyword among attrs. Unknown and repeated non-repeatable
 * attributes are reported and give -1. seen[i] keeps the first use. */
int model_attr_find(struct build *b, const char *type, const struct attr *attrs,
		    size_t nattrs, const struct conf_stmt **seen,
		    const struct conf_stmt *st);
/* Reports every A_REQ attribute that seen lacks. */
void model_attrs_required(struct build *b, const struct res *r,
			  const struct attr *attrs, size_t nattrs,
			  const struct conf_stmt **seen);
/* Checks the number of values after the keyword; max 0: no limit. */
bool model_want(struct build *b, const struct conf_stmt *st, size_t min,
		size_t max);
/* Values: true when w held one (else reported). */
bool model_get_bool(struct build *b, const struct conf_word *w, bool *out);
bool model_get_cidr(struct build *b, const struct conf_word *w,
		    struct cidr *c);
bool model_get_ip(struct build *b, const struct conf_word *w, uint32_t *ip);
bool model_get_choice(struct build *b, const struct conf_word *w,
		      const char *attr, const char *first, const char *second,
		      bool *is_second);
/* A decimal number from lo to hi for attr; else code at w. */
bool model_get_range(struct build *b, const struct conf_word *w,
		     const char *attr, unsigned lo, unsigned hi,
		     const char *code, unsigned *out);
bool model_get_hop_limit(struct build *b, const struct conf_word *w,
			 unsigned *out);
bool model_get_str(struct build *b, const struct conf_word *w, char **out);
bool model_get_region(struct build *b, const struct conf_word *w, char **out);
bool model_get_account(struct build *b, const struct conf_word *w,
		       char **out);
/* Resolves a reference by name or ID to a resource of kind k; reports an
 * unknown name or one of another kind with k's AWS code. */
struct res *model_resolve(struct build *b, enum res_kind k,
			  const struct conf_word *w);
/* A decimal number of len bytes at s, at most max; 0 or -EINVAL. */
int model_parse_num(const char *s, size_t len, unsigned long max,
		    unsigned long *out);
/* Every protocol, every port. */
void model_proto_all(struct proto_match *pm);
/* RULE of docs/lab-conf.md from word *i on, up to the word stop. */
bool model_parse_proto(struct build *b, const struct conf_stmt *st,
		       size_t *i, const char *stop, bool expect_mode,
		       struct proto_match *pm);
bool model_expect_word(struct build *b, const struct conf_stmt *st,
		       size_t *i, const char *kw, const char *what);
/* Two independent 64-bit hashes of (lab, kind, name) (modelid.c): the
 * stable source of IDs and automatic public addresses. */
void model_id_hash(uint64_t h[2], const char *lab, const char *kind,
		   const char *name);
/* An IAM role's unique ID ("AROA" + 17 of [A-Z0-9]); writes 22 bytes. */
void model_make_role_id(char *out, const char *lab, const char *name);
/* One expect line into lab->expects (modelexpect.c); pass 4 runs it, when
 * every instance has its address. */
void model_parse_expect(struct build *b, const struct conf_stmt *st);
/* user-data and user-data-file of instances and internet hosts, from
 * the statements the block had (either may be NULL). */
void model_parse_user_data(struct build *b, const struct conf_stmt *script,
			   const struct conf_stmt *file, struct user_data *ud);
void user_data_free(struct user_data *ud);
/* "KEYWORD REF...": resources of kind k appended to the array of
 * pointers to their structs at v (a struct X ***), one place each in *at;
 * *n counts both. Unknown references are reported and left out. */
void model_parse_refs(struct build *b, const struct conf_stmt *st,
		      enum res_kind k, void *v, size_t *n, struct place **at);
/* A list of subnets with a place each: "associate SUBNET..." of route
 * tables and network ACLs, "subnets SUBNET..." of endpoints and load
 * balancers. */
void model_parse_assoc(struct build *b, const struct conf_stmt *st,
		       struct subnet ***assoc, size_t *nassoc,
		       struct place **assoc_at);
/* "private-ips IP..." of endpoints and load balancers, a place each. */
void model_parse_ip_list(struct build *b, const struct conf_stmt *st,
			 uint32_t **ips, size_t *nips, struct place **ips_at);
/* "networks CIDR..." of customer gateways, "static-routes CIDR..." of VPN
 * connections, a place each. */
void model_parse_cidr_list(struct build *b, const struct conf_stmt *st,
			   struct cidr **v, size_t *n, struct place **at);
/* The outside and inside addresses of VPN tunnels (res/vpn_connection.c),
 * with the public pool's slots already taken (modeleni.c). */
void vpn_connection_assign(struct build *b, bool *used, size_t nslots,
			   uint32_t (*pick)(const struct lab *lab, bool *used,
					    size_t nslots, const char *name));
/* "security-groups SG..." of instances, endpoints, load balancers. */
void model_parse_sg_list(struct build *b, const struct conf_stmt *st,
			 struct sg ***sgs, size_t *nsgs);
/* No groups given: the VPC's default group. */
bool model_set_default_sg(struct build *b, struct vpc *v, struct sg ***sgs,
			  size_t *nsgs);

/* Pass 4 (modeleni.c): ENIs, then private, then public addresses. */
void model_create_enis(struct build *b);
void model_assign_ips(struct build *b);
void model_assign_public_ips(struct build *b);
/* Kind helpers the implicit resources need (model.c's create_implicit). */
struct nacl_entry *nacl_insert(struct build *b, struct nacl *n,
			       enum direction dir, unsigned number);
bool sg_push_rule(struct build *b, struct sg *g, enum direction dir,
		  struct place at);

/* ------------------------------------------------------------------ */
/* The printer (print.c) */

struct printer {
	const struct lab *lab;
	struct strbuf sb;
	int err;			/* first error, -errno */
	const struct res *bad;		/* the resource it is about */
};

/* Remembers the first failure and the resource it is about. */
void print_fail(struct printer *p, int err, const struct res *r);
/* " WORD", quoted when it must be (or always with quote); fails for
 * text a lab file cannot hold. */
void print_str(struct printer *p, const char *s, bool quote,
	       const struct res *r);
/* Whether r can be written back (its name, its ID). */
bool print_res_ok(struct printer *p, const struct res *r);
/* " NAME" of a referenced resource. */
void print_ref(struct printer *p, const struct res *ref,
	       const struct res *from);
void print_cidr(struct printer *p, struct cidr c);
void print_block_open(struct printer *p, const struct res *r);
void print_block_close(struct printer *p);
/* ud's user-data or user-data-file line. */
void print_user_data(struct printer *p, const struct user_data *ud,
		     const struct res *r);
void print_proto(struct printer *p, const struct proto_match *pm,
		 const struct res *r);
void print_subnet_list(struct printer *p, const char *kw,
		       struct subnet *const *v, size_t n, const struct res *r);
/* "private-ips A B": one line, none when n is 0. */
void print_ip_list(struct printer *p, const char *kw, const uint32_t *v,
		   size_t n);
void print_sg_list(struct printer *p, struct sg *const *v, size_t n,
		   const struct res *r);
/* Whether sgs is what model.c gives when none are written. */
bool print_sgs_default(const struct vpc *v, struct sg *const *sgs, size_t n);
bool print_is_default_nacl_entry(const struct nacl_entry *e,
				 enum direction dir);
bool print_is_default_egress(const struct sg_rule *x);
/* Implicit resources are not written: these check that what the model
 * holds is what model.c would make again. */
void print_check_implicit_rt(struct printer *p, const struct route_table *t);
void print_check_implicit_nacl(struct printer *p, const struct nacl *n);
void print_check_implicit_sg(struct printer *p, const struct sg *g);
void print_check_vpc_implicit(struct printer *p, const struct vpc *v);

/* ------------------------------------------------------------------ */
/* The JSON builder (describe.c): every step remembers an allocation
 * failure in b->oom, and the caller drops the whole object then. */

struct jb {
	bool oom;
};

json_t *jb_put(struct jb *b, json_t *o, const char *k, json_t *v);
json_t *jb_add(struct jb *b, json_t *a, json_t *v);
json_t *jb_obj(struct jb *b);
json_t *jb_arr(struct jb *b);
void jb_put_s(struct jb *b, json_t *o, const char *k, const char *s);
void jb_put_b(struct jb *b, json_t *o, const char *k, bool v);
void jb_put_i(struct jb *b, json_t *o, const char *k, long long v);
void jb_put_cidr(struct jb *b, json_t *o, const char *k, struct cidr c);
/* "Tags": [{"Key": "Name", "Value": r's name}]. */
void jb_put_tags(struct jb *b, json_t *o, const struct res *r);
/* Text of member k of o ("" when absent); o's Name tag ("-" when none);
 * an IpPermission's or ACL entry's ports as "80", "1024-2048", "all". */
const char *describe_jstr(const json_t *o, const char *k);
const char *describe_tag_name(const json_t *o);
void describe_port_text(const json_t *o, char *buf, size_t len);
/* t as the EC2 API writes times ("2026-01-02T03:04:05.000Z"); len >= 25. */
void describe_time(time_t t, char *buf, size_t len);
/* The owner account of v's resources. */
const char *describe_owner(const struct lab *lab, const struct vpc *v);
/* IpPermissions of one direction, grouped as AWS groups them. */
json_t *describe_perms(struct jb *b, const struct lab *lab,
		       const struct sg *g, enum direction dir);
/* GroupName as AWS shows it ("default" for a VPC's default group). */
const char *sg_group_name(const struct sg *g);
/* The objects describe.h's single-resource calls return. */
json_t *peering_json(struct jb *b, const struct lab *lab,
		     const struct ec2_state *st, const struct peering *p);
json_t *instance_json(struct jb *b, const struct lab *lab,
		      const struct instance *in);
json_t *reservation_json(struct jb *b, const struct lab *lab,
			 const struct instance *in);

/* ------------------------------------------------------------------ */
/* ELBv2 kinds (res/load_balancer.c) */

/* ELB's rule for the names of load balancers and target groups. */
void elb_check_name(const struct res *r, struct diags *d);

/* ------------------------------------------------------------------ */
/* Addresses on the emulated internet (res/internet_host.c) */

/* What makes ip unusable for a machine on the emulated internet (an
 * internet host, a customer gateway): text in buf, or NULL. */
const char *internet_host_ip_problem(const struct lab *lab, uint32_t ip,
				     char *buf, size_t len);

/* A route target's `active` for gateways attached to a VPC or not: an
 * internet gateway or a virtual private gateway
 * (res/internet_gateway.c). */
bool gateway_route_attached(const struct res *target,
			    const struct ec2_state *st);

/* Amazon's side ASN (res/transit_gateway.c): a private ASN, 16-bit or
 * 32-bit, parsed from w into *asn; *at gets w's place. */
void model_parse_amazon_asn(struct build *b, const struct conf_word *w,
			    unsigned long *asn, struct place *at);
/* Queues InvalidParameterValue at at unless asn is such an ASN. */
void check_amazon_asn(struct diags *d, unsigned long asn, struct place at,
		      const char *keyword, const char *name);

/* ------------------------------------------------------------------ */
/* Details lines (cli.c's validate) */

/* "a,b,c" */
void res_cidr_list(struct strbuf *sb, const struct cidr *c, size_t n);
void res_sg_list(struct strbuf *sb, struct sg *const *sgs, size_t n);

#endif
