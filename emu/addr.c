/* addr.c - IPv4 addresses and CIDR blocks: parsing, formatting and the
 * questions the AWS rules ask of them (overlap, containment). Pure: no
 * allocation, no model.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vpcemu/addr.h"
#include "vpcemu/restype.h"

static uint32_t prefix_mask(unsigned len)
{
	return len ? ~(uint32_t)0 << (32 - len) : 0;
}

/* Four decimal octets, no leading zeros (they read as octal elsewhere). */
static int parse_octets(const char **sp, uint32_t *ip)
{
	const char *s = *sp;
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned o = 0, nd = 0;

		if (i && *s++ != '.')
			return -EINVAL;
		while (*s >= '0' && *s <= '9') {
			if (nd && o == 0)
				return -EINVAL;
			o = o * 10 + (unsigned)(*s - '0');
			if (++nd > 3 || o > 255)
				return -EINVAL;
			s++;
		}
		if (!nd)
			return -EINVAL;
		v = v << 8 | o;
	}
	*sp = s;
	*ip = v;
	return 0;
}

int ip_parse(const char *s, uint32_t *ip)
{
	uint32_t v;

	if (!s || parse_octets(&s, &v) || *s)
		return -EINVAL;
	*ip = v;
	return 0;
}

int cidr_parse(const char *s, struct cidr *c)
{
	unsigned long len;
	uint32_t v;

	if (!s || parse_octets(&s, &v) || *s++ != '/')
		return -EINVAL;
	if ((s[0] == '0' && s[1]) || model_parse_num(s, strlen(s), 32, &len))
		return -EINVAL;
	c->len = (uint8_t)len;
	c->addr = v & prefix_mask(c->len);
	return 0;
}

bool cidr_eq(struct cidr a, struct cidr b)
{
	return a.addr == b.addr && a.len == b.len;
}

uint32_t cidr_last(struct cidr c)
{
	uint32_t mask = c.len ? 0xffffffffu << (32 - c.len) : 0;

	return c.addr | ~mask;
}

bool cidr_overlap(struct cidr a, struct cidr b)
{
	uint32_t m = prefix_mask(a.len < b.len ? a.len : b.len);

	return (a.addr & m) == (b.addr & m);
}

bool cidr_contains(struct cidr outer, struct cidr inner)
{
	uint32_t m = prefix_mask(outer.len);

	return outer.len <= inner.len && (inner.addr & m) == (outer.addr & m);
}

bool cidr_has_ip(struct cidr c, uint32_t ip)
{
	uint32_t m = prefix_mask(c.len);

	return (ip & m) == (c.addr & m);
}

/* By hand: plans and rulesets of a large lab format tens of thousands of
 * addresses, and snprintf made that a tenth of apply's time. */
char *ip_fmt(uint32_t ip, char *buf)
{
	char *o = buf;
	int shift;

	for (shift = 24; shift >= 0; shift -= 8) {
		unsigned v = (ip >> shift) & 0xff;

		if (v >= 100)
			*o++ = (char)('0' + v / 100);
		if (v >= 10)
			*o++ = (char)('0' + v / 10 % 10);
		*o++ = (char)('0' + v % 10);
		*o++ = shift ? '.' : '\0';
	}
	return buf;
}

char *cidr_fmt(struct cidr c, char *buf)
{
	char ip[16];

	/* len > 32 cannot be stored by cidr_parse; the clamp tells the
	 * compiler the text fits 19 bytes. */
	snprintf(buf, 19, "%s/%u", ip_fmt(c.addr, ip),
		 (unsigned)(c.len > 32 ? 32 : c.len));
	return buf;
}

/* names link-local only; the others are refused by AWS too
 * (unverified) and cannot be unicast addresses in a Linux namespace. */
static const struct {
	struct cidr c;
	const char *what;
} special[] = {
	{CIDR(169, 254, 0, 0, 16), "Link-local addresses (169.254.0.0/16)"},
	{CIDR(0, 0, 0, 0, 8), "Addresses in 0.0.0.0/8"},
	{CIDR(127, 0, 0, 0, 8), "Loopback addresses (127.0.0.0/8)"},
	{CIDR(224, 0, 0, 0, 3), "Multicast and reserved addresses (224.0.0.0/3)"},
};

const char *cidr_special(struct cidr c)
{
	size_t i;

	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (cidr_overlap(special[i].c, c))
			return special[i].what;
	return NULL;
}
