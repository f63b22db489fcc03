/* addr.h - IPv4 addresses (host order) and CIDR blocks (addr.c). Pure
 * helpers: parse, format and compare; model.h includes this header, so its
 * users need not.
 */
#ifndef VPCEMU_ADDR_H
#define VPCEMU_ADDR_H

#include <stdbool.h>
#include <stdint.h>

struct cidr {
	uint32_t addr;		/* network address (host bits cleared, R-1.2) */
	uint8_t len;
};

/* An IPv4 block from its four octets and prefix length. */
#define CIDR(a, b, c, d, l)                                                    \
	((struct cidr){.addr = ((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | \
			       ((uint32_t)(c) << 8) | (uint32_t)(d),           \
		       .len = (l)})

/* Buffer sizes for cidr_fmt / ip_fmt. */
#define CIDR_BUF 19
#define IP_BUF 16

bool cidr_eq(struct cidr a, struct cidr b);
/* The last address of c. */
uint32_t cidr_last(struct cidr c);
/* Whether a and b share any address. */
bool cidr_overlap(struct cidr a, struct cidr b);
/* Whether inner lies inside outer (or equals it). */
bool cidr_contains(struct cidr outer, struct cidr inner);
bool cidr_has_ip(struct cidr c, uint32_t ip);
/* "10.1.0.0/16" into c (host bits cleared, R-1.2); 0 or -EINVAL. */
int cidr_parse(const char *s, struct cidr *c);
int ip_parse(const char *s, uint32_t *ip);
/* The ranges that are never unicast addresses of a network (0.0.0.0/8,
 * loopback, link-local, multicast and reserved): what one that c overlaps
 * is ("Loopback addresses (127.0.0.0/8)"), or NULL. */
const char *cidr_special(struct cidr c);
/* Formats into buf (>= 19 bytes) and returns buf. */
char *cidr_fmt(struct cidr c, char *buf);
char *ip_fmt(uint32_t ip, char *buf);	/* buf >= 16 bytes */

#endif
