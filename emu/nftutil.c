/* nftutil.c - pieces of a router's ruleset that nftgen.c and nftsg.c both
 * write (nftutil.h). Owns nothing: every function appends to the caller's
 * buffer or answers a question about the model.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vpcemu/model.h"
#include "vpcemu/nftutil.h"
#include "vpcemu/util.h"

bool nftutil_eni_here(const struct eni *e, const struct vpc *vpc)
{
	return e->subnet && e->subnet->vpc == vpc;
}

/* The other VPC of a peering vpc takes part in, or NULL. */
const struct vpc *nftutil_peer_of(const struct peering *p,
				  const struct vpc *vpc)
{
	if (p->requester == vpc)
		return p->accepter;
	if (p->accepter == vpc)
		return p->requester;
	return NULL;
}

/* Appends an identifier: prefix, then the part of an ID or interface name
 * after its last '-', with anything but [A-Za-z0-9_] made '_'. */
void nftutil_ident(struct strbuf *b, const char *prefix, const char *id)
{
	const char *hex = strrchr(id, '-');
	char buf[MODEL_ID_MAX];
	size_t i;

	hex = hex ? hex + 1 : id;
	for (i = 0; hex[i] && i < sizeof(buf) - 1; i++) {
		char c = hex[i];

		buf[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') ? c : '_';
	}
	buf[i] = '\0';
	sb_puts(b, prefix);
	sb_puts(b, buf);
}

/* One element line of a set or map keyed by an interface name:
 * \t\t\t"IFNAME" then tail. Large labs write thousands of them: no
 * format string. */
void nftutil_element(struct strbuf *b, const char *ifname, const char *tail)
{
	sb_puts(b, "\t\t\t\"");
	sb_puts(b, ifname);
	sb_puts(b, "\"");
	sb_puts(b, tail);
}

/* Appends lead, then comment "TEXT". nft strings have no escapes and nft
 * refuses a comment over 128 bytes (libnftnl's NFTNL_UDATA_COMMENT_MAXLEN),
 * which would fail the whole transaction: the text is cut at 128 bytes and
 * anything but printable ASCII, quote and backslash excluded, becomes '_'. */
void nftutil_comment(struct strbuf *b, const char *lead, const char *fmt, ...)
{
	char buf[129];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (i = 0; buf[i]; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			buf[i] = '_';
	}
	sb_printf(b, "%scomment \"%s\"", lead, buf);
}

void nftutil_range(struct strbuf *b, uint32_t lo, uint32_t hi)
{
	if (lo == hi)
		sb_printf(b, "%u", lo);
	else
		sb_printf(b, "%u-%u", lo, hi);
}

bool nftutil_in_attachment_az(const struct tgw_attachment *a,
			      const struct subnet *sn)
{
	size_t i;

	for (i = 0; i < a->nsubnets; i++)
		if (!strcmp(a->subnets[i]->az, sn->az))
			return true;
	return false;
}

void nftutil_drop(struct strbuf *b, bool logged, bool out)
{
	if (logged)
		sb_printf(b, "log prefix \"%s\" group %d ", out ? "o" : "i",
			  NFTUTIL_FLOWLOG_GROUP);
	sb_puts(b, "drop");
}
