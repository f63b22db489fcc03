/* nftutil.h - what the two halves of a router's ruleset (nftgen.c, the
 * router and its network ACLs; nftsg.c, its security groups) both need:
 * which ENIs and peerings are the router's, and nft syntax for
 * identifiers, set elements, comments and ranges (pure).
 */
#ifndef VPCEMU_NFTUTIL_H
#define VPCEMU_NFTUTIL_H

#include <stdbool.h>
#include <stdint.h>

struct eni;
struct peering;
struct strbuf;
struct subnet;
struct tgw_attachment;
struct vpc;

/* Whether ENI e is a port of vpc's router. */
bool nftutil_eni_here(const struct eni *e, const struct vpc *vpc);

/* The other VPC of a peering vpc takes part in, or NULL. */
const struct vpc *nftutil_peer_of(const struct peering *p,
				  const struct vpc *vpc);

/* Whether subnet sn is in the AZ of one of a's subnets: only such
 * subnets reach the transit gateway. */
bool nftutil_in_attachment_az(const struct tgw_attachment *a,
			      const struct subnet *sn);

/* Appends an identifier: prefix, then the part of an ID or interface name
 * after its last '-', with anything but [A-Za-z0-9_] made '_'. */
void nftutil_ident(struct strbuf *b, const char *prefix, const char *id);

/* One element line of a set or map keyed by an interface name:
 * \t\t\t"IFNAME" then tail. */
void nftutil_element(struct strbuf *b, const char *ifname, const char *tail);

/* Appends lead, then comment "TEXT", cut and cleaned so that nft takes
 * it whatever the lab's names hold. */
void nftutil_comment(struct strbuf *b, const char *lead, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The NFLOG group of the flow log service (svc/flowlog.c). */
#define NFTUTIL_FLOWLOG_GROUP 14

/* "drop", preceded, when logged (the router's VPC has a flow log), by an
 * NFLOG statement whose prefix names the side of the ENI whose rules drop
 * the packet: "o" its input device (the sender's egress: its group, its
 * subnet's outbound ACL), "i" its output device (the receiver's
 * ingress). Nothing is logged in routers without a flow log. */
void nftutil_drop(struct strbuf *b, bool logged, bool out);

/* "LO" or "LO-HI". */
void nftutil_range(struct strbuf *b, uint32_t lo, uint32_t hi);

#endif
