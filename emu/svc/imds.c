/* imds.c - the instance metadata service (imds.h, R-12.9..R-12.15).
 *
 * The first half answers one request from the model alone: IMDSv2 tokens,
 * the access rules, the metadata tree. It owns the token store and
 * borrows the lab for the length of one call. The second half puts it on
 * one httpd server (httpd.h) per VPC router namespace, which owns the
 * sockets; what is left here is turning an HTTP request into an IMDS one
 * and the answer back.
 *
 * What AWS has but a lab does not (launch time, kernel and ramdisk IDs,
 * real credentials) is made up deterministically where a client may compare
 * two answers (AMI IDs, MACs, AZ IDs, access keys within the hour), and is
 * plainly fake where nobody should believe it (the session token).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <jansson.h>

#include "vpcemu/httpd.h"
#include "vpcemu/imds.h"
#include "vpcemu/model.h"
#include "vpcemu/util.h"


/* "AQAEA" like AWS's tokens, then 51 random base64url characters. */
#define TOKEN_PREFIX "AQAEA"
#define TOKEN_RANDOM 51
#define TOKEN_LEN (sizeof(TOKEN_PREFIX) - 1 + TOKEN_RANDOM)

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char upper_alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Versions listed at "/" (AWS lists every one it ever published; these
 * are the recent ones), oldest first, "latest" last as AWS does. */
static const char *const versions[] = {
	"1.0",	      "2009-04-04", "2011-01-01", "2012-01-12",
	"2014-02-25", "2016-09-02", "2018-09-24", "2019-10-01",
	"2020-10-27", "2021-03-23", "2021-07-15", "2022-09-24",
	"2024-04-11", "latest",
};

/* ---- token store ---- */

struct imds_token {
	char tok[TOKEN_LEN + 1];
	char instance_id[MODEL_ID_MAX];
	time_t expires;		/* valid while now < expires */
};

struct imds_tokens {
	struct imds_token *v;
	size_t n, cap;
};

struct imds_tokens *imds_tokens_new(void)
{
	return calloc(1, sizeof(struct imds_tokens));
}

void imds_tokens_free(struct imds_tokens *t)
{
	if (!t)
		return;
	free(t->v);
	free(t);
}

static void tokens_expire(struct imds_tokens *t, time_t now)
{
	size_t i = 0;

	while (i < t->n) {
		if (t->v[i].expires <= now)
			t->v[i] = t->v[--t->n];
		else
			i++;
	}
}

/* Stores a new token for instance_id and returns it, or NULL with *err.
 * A full store drops the token closest to expiry: an instance that asks
 * for thousands of tokens loses its own oldest ones first, most likely. */
static const char *tokens_add(struct imds_tokens *t, const char *instance_id,
			      time_t expires, time_t now, int *err)
{
	unsigned char rnd[TOKEN_RANDOM];
	struct imds_token *k;
	size_t i, got = 0;

	while (got < sizeof(rnd)) {
		ssize_t r = getrandom(rnd + got, sizeof(rnd) - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			*err = -errno;
			return NULL;
		}
		got += (size_t)r;
	}
	tokens_expire(t, now);
	if (t->n >= IMDS_TOKENS_MAX) {
		size_t old = 0;

		for (i = 1; i < t->n; i++)
			if (t->v[i].expires < t->v[old].expires)
				old = i;
		k = &t->v[old];
	} else {
		k = VEC_PUSH(t->v, t->n, t->cap);
		if (!k) {
			*err = -ENOMEM;
			return NULL;
		}
	}
	memcpy(k->tok, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1);
	for (i = 0; i < TOKEN_RANDOM; i++)
		k->tok[sizeof(TOKEN_PREFIX) - 1 + i] = b64url[rnd[i] & 63];
	k->tok[TOKEN_LEN] = '\0';
	snprintf(k->instance_id, sizeof(k->instance_id), "%s", instance_id);
	k->expires = expires;
	return k->tok;
}

/* Seconds tok has left for instance_id; 0 when it is unknown, expired or
 * another instance's (R-12.11: a token works only where it was obtained). */
static long tokens_check(struct imds_tokens *t, const char *tok,
			 const char *instance_id, time_t now)
{
	size_t i;

	if (strlen(tok) != TOKEN_LEN)
		return 0;
	for (i = 0; i < t->n; i++) {
		const struct imds_token *k = &t->v[i];

		if (strcmp(k->tok, tok))
			continue;
		if (k->expires <= now || strcmp(k->instance_id, instance_id))
			return 0;
		return (long)(k->expires - now);
	}
	return 0;
}

/* ---- deterministic made-up values ---- */

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t hash64(const char *a, const char *b, unsigned round)
{
	uint64_t z = FNV_OFFSET ^ round;
	const char *p;

	for (p = a; *p; p++)
		z = (z ^ (unsigned char)*p) * FNV_PRIME;
	/* A separator, so that ("ab", "c") and ("a", "bc") differ. */
	z = (z ^ 0xff) * FNV_PRIME;
	for (p = b; *p; p++)
		z = (z ^ (unsigned char)*p) * FNV_PRIME;
	/* splitmix64's finaliser, as model.c: spreads the last bytes. */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* n characters of alphabet derived from (what, seed), then a NUL. */
static void derive(char *out, size_t n, const char *alphabet, const char *what,
		   const char *seed)
{
	size_t i, base = strlen(alphabet);
	uint64_t h = 0;

	for (i = 0; i < n; i++) {
		if (i % 8 == 0)
			h = hash64(what, seed, (unsigned)(i / 8));
		out[i] = alphabet[h % base];
		h /= base;
	}
	out[n] = '\0';
}

char *imds_eni_mac(const char *eni_id, char *buf)
{
	uint64_t h = hash64("mac", eni_id ? eni_id : "", 0);

	snprintf(buf, 18, "02:%02x:%02x:%02x:%02x:%02x",
		 (unsigned)(h >> 32) & 0xff, (unsigned)(h >> 24) & 0xff,
		 (unsigned)(h >> 16) & 0xff, (unsigned)(h >> 8) & 0xff,
		 (unsigned)h & 0xff);
	return buf;
}

static bool all_hex(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr("0123456789abcdef", *s))
			return false;
	return true;
}

/* A lab's ami is free text ("al2023"); IMDS answers with an AMI ID. The
 * same text gives the same ID in every lab, like a public AMI; a real ID
 * written in the lab is kept. */
static void ami_id(const char *ami, char *out)
{
	if (!strncmp(ami, "ami-", 4) && strlen(ami) < MODEL_ID_MAX &&
	    (strlen(ami) == 12 || strlen(ami) == 21) && all_hex(ami + 4)) {
		strcpy(out, ami);
		return;
	}
	model_make_id(out, "ami-", "", "ami", ami);
}

/* "apne1" for ap-northeast-1: the region's words, compass ones cut to
 * their initials (northeast -> ne, central -> c), then its number. */
static void region_code(const char *region, char *out, size_t len)
{
	static const char *const compass[] = { "north", "south", "east",
					       "west", "central" };
	struct strbuf b = { 0 };
	const char *p = region, *dash;
	size_t i, wn;

	for (;;) {
		dash = strchr(p, '-');
		wn = dash ? (size_t)(dash - p) : strlen(p);
		if (p == region || !dash) {
			sb_printf(&b, "%.*s", (int)wn, p);
		} else {
			const char *w = p, *end = p + wn;

			while (w < end) {
				for (i = 0; i < ARRAY_SIZE(compass); i++) {
					size_t cl = strlen(compass[i]);

					if ((size_t)(end - w) >= cl &&
					    !strncmp(w, compass[i], cl))
						break;
				}
				sb_printf(&b, "%c", *w);
				if (i < ARRAY_SIZE(compass))
					w += strlen(compass[i]);
				else
					w = end;
			}
		}
		if (!dash)
			break;
		p = dash + 1;
	}
	snprintf(out, len, "%s", b.s ? b.s : "");
	sb_free(&b);
}

/* "apne1-az4": AWS maps AZ letters to IDs per account; ours is a fixed
 * rotation per region, so the letters of one region never share an ID. */
static void az_id(const char *region, const char *az, char *out, size_t len)
{
	char code[32];
	size_t n = strlen(az);
	unsigned letter = n ? (unsigned)(az[n - 1] - 'a') : 0;
	unsigned num, shift = (unsigned)(hash64("az", region, 0) % 6);

	region_code(region, code, sizeof(code));
	if (letter < 6)
		num = (letter + shift) % 6 + 1;
	else
		num = letter + 1;
	snprintf(out, len, "%s-az%u", code, num);
}

static void iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- the metadata tree ---- */

/* One request's view of its instance. */
struct md {
	const struct lab *lab;
	const struct instance *in;
	const struct subnet *sn;
	const struct vpc *v;
	const char *region, *account, *az, *user_data;
	char ip[16], pub[16], mac[18], ami[MODEL_ID_MAX];
	char host[96], pubhost[112];
	bool has_pub, has_pubhost;
	time_t now, launched;
};

static void dashed_ip(uint32_t ip, char *out)
{
	char *p;

	ip_fmt(ip, out);
	for (p = out; *p; p++)
		if (*p == '.')
			*p = '-';
}

static void md_init(struct md *m, const struct lab *lab,
		    const struct instance *in, time_t now, time_t launched)
{
	char d[16];
	bool east;

	m->lab = lab;
	m->in = in;
	m->sn = in->subnet;
	m->v = m->sn ? m->sn->vpc : NULL;
	m->region = m->v && m->v->region ? m->v->region :
		    lab && lab->region ? lab->region : "us-east-1";
	m->account = m->v && m->v->account ? m->v->account :
		     lab && lab->account ? lab->account : "111111111111";
	m->az = m->sn && m->sn->az ? m->sn->az : "";
	m->user_data = instance_user_data(in);
	if (m->user_data && !*m->user_data)
		m->user_data = NULL;
	m->now = now;
	m->launched = launched ? launched : now;
	ip_fmt(in->private_ip, m->ip);
	imds_eni_mac(in->eni ? in->eni->r.id : in->r.id, m->mac);
	ami_id(in->ami ? in->ami : "al2023", m->ami);

	/* us-east-1 has its own domains. */
	east = !strcmp(m->region, "us-east-1");
	dashed_ip(in->private_ip, d);
	if (east)
		snprintf(m->host, sizeof(m->host), "ip-%s.ec2.internal", d);
	else
		snprintf(m->host, sizeof(m->host), "ip-%s.%s.compute.internal",
			 d, m->region);
	m->has_pub = in->public_ipv4 != 0;
	if (m->has_pub) {
		ip_fmt(in->public_ipv4, m->pub);
		dashed_ip(in->public_ipv4, d);
		if (east)
			snprintf(m->pubhost, sizeof(m->pubhost),
				 "ec2-%s.compute-1.amazonaws.com", d);
		else
			snprintf(m->pubhost, sizeof(m->pubhost),
				 "ec2-%s.%s.compute.amazonaws.com", d,
				 m->region);
		/* a public DNS name needs both DNS attributes. */
		m->has_pubhost = m->v && m->v->dns_support &&
				 m->v->dns_hostnames;
	}
}

/* Appends one listing entry; entries are separated, not ended, by \n. */
static void ent(struct strbuf *b, const char *name)
{
	if (b->len)
		sb_puts(b, "\n");
	sb_puts(b, name);
}

static const char *sg_name(const struct sg *g)
{
	return g->is_default ? "default" : g->r.name;
}

/* Returns s past prefix, or NULL when s does not start with it. */
static const char *after(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) ? NULL : s + n;
}

/* The path below ".../macs/" of the instance's one interface: "" for the
 * MAC itself, "x" for ".../macs/MAC/x"; NULL when it is not ours. */
static const char *mac_rest(const struct md *m, const char *rel)
{
	const char *p = after(rel, "meta-data/network/interfaces/macs/");

	if (!p || !(p = after(p, m->mac)))
		return NULL;
	if (!*p)
		return p;
	return *p == '/' ? p + 1 : NULL;
}

/* Lists directory rel ("" for the version's root, "meta-data", ...,
 * without the trailing slash) into b; false when rel is no directory. */
static bool list_dir(const struct md *m, const char *rel, struct strbuf *b)
{
	const char *p;

	if (!*rel) {
		ent(b, "dynamic/");
		ent(b, "meta-data/");
		if (m->user_data)
			ent(b, "user-data");
	} else if (!strcmp(rel, "meta-data")) {
		ent(b, "ami-id");
		ent(b, "hostname");
		if (m->in->role)
			ent(b, "iam/");
		ent(b, "instance-id");
		ent(b, "instance-type");
		ent(b, "local-hostname");
		ent(b, "local-ipv4");
		ent(b, "mac");
		ent(b, "network/");
		ent(b, "placement/");
		if (m->has_pubhost)
			ent(b, "public-hostname");
		if (m->has_pub)
			ent(b, "public-ipv4");
		ent(b, "security-groups");
	} else if (!strcmp(rel, "meta-data/placement")) {
		ent(b, "availability-zone");
		ent(b, "availability-zone-id");
		ent(b, "region");
	} else if (!strcmp(rel, "meta-data/network")) {
		ent(b, "interfaces/");
	} else if (!strcmp(rel, "meta-data/network/interfaces")) {
		ent(b, "macs/");
	} else if (!strcmp(rel, "meta-data/network/interfaces/macs")) {
		sb_printf(b, "%s/", m->mac);
	} else if ((p = mac_rest(m, rel)) && !*p) {
		ent(b, "device-number");
		ent(b, "interface-id");
		ent(b, "local-hostname");
		ent(b, "local-ipv4s");
		ent(b, "mac");
		ent(b, "owner-id");
		if (m->has_pubhost)
			ent(b, "public-hostname");
		if (m->has_pub)
			ent(b, "public-ipv4s");
		ent(b, "security-group-ids");
		ent(b, "security-groups");
		ent(b, "subnet-id");
		ent(b, "subnet-ipv4-cidr-block");
		ent(b, "vpc-id");
		ent(b, "vpc-ipv4-cidr-block");
		ent(b, "vpc-ipv4-cidr-blocks");
	} else if (m->in->role && !strcmp(rel, "meta-data/iam")) {
		ent(b, "info");
		ent(b, "security-credentials/");
	} else if (m->in->role &&
		   !strcmp(rel, "meta-data/iam/security-credentials")) {
		ent(b, m->in->role->r.name);
	} else if (!strcmp(rel, "dynamic")) {
		ent(b, "instance-identity/");
	} else if (!strcmp(rel, "dynamic/instance-identity")) {
		ent(b, "document");
	} else {
		return false;
	}
	return true;
}

/* Pretty JSON the way AWS indents it, into b. */
static void put_json(struct strbuf *b, json_t *o, bool oom)
{
	char *s = NULL;

	if (o && !oom)
		s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s)
		sb_puts(b, s);
	else
		b->oom = true;
	free(s);
	json_decref(o);
}

static bool set(json_t *o, const char *k, json_t *v)
{
	return !v || !o || json_object_set_new(o, k, v);
}

/* Credentials change every hour, like AWS's rotation, and are the same
 * for every call within it, as a caching SDK expects. */
static void creds_json(const struct md *m, struct strbuf *b)
{
	time_t issued = m->now - m->now % 3600;
	char seed[256], key[21], secret[41], tok[97], full[160], t1[32],
		t2[32];
	json_t *o = json_object();
	bool oom = false;

	snprintf(seed, sizeof(seed), "%s/%s/%s/%lld",
		 m->lab && m->lab->name ? m->lab->name : "", m->in->r.id,
		 m->in->role->r.name, (long long)issued);
	memcpy(key, "ASIA", 4);
	derive(key + 4, 16, upper_alnum, "access-key", seed);
	derive(secret, 40, b64, "secret-key", seed);
	derive(tok, 96, b64, "session-token", seed);
	snprintf(full, sizeof(full), "vpcemu/FAKE/not/a/real/token/%s", tok);
	iso_time(issued, t1, sizeof(t1));
	iso_time(issued + IMDS_CREDS_LIFETIME, t2, sizeof(t2));
	oom |= set(o, "Code", json_string("Success"));
	oom |= set(o, "LastUpdated", json_string(t1));
	oom |= set(o, "Type", json_string("AWS-HMAC"));
	oom |= set(o, "AccessKeyId", json_string(key));
	oom |= set(o, "SecretAccessKey", json_string(secret));
	oom |= set(o, "Token", json_string(full));
	oom |= set(o, "Expiration", json_string(t2));
	put_json(b, o, oom);
}

static void iam_info_json(const struct md *m, struct strbuf *b)
{
	const struct iam_role *r = m->in->role;
	time_t issued = m->now - m->now % 3600;
	char arn[256], id[MODEL_ID_MAX + 4], t[32];
	json_t *o = json_object();
	bool oom = false;

	snprintf(arn, sizeof(arn), "arn:aws:iam::%s:instance-profile/%s",
		 m->account, r->r.name);
	/* The profile's ID shares the role's unique part: AROA... -> AIPA. */
	snprintf(id, sizeof(id), "AIPA%s",
		 strlen(r->r.id) > 4 ? r->r.id + 4 : r->r.id);
	iso_time(issued, t, sizeof(t));
	oom |= set(o, "Code", json_string("Success"));
	oom |= set(o, "LastUpdated", json_string(t));
	oom |= set(o, "InstanceProfileArn", json_string(arn));
	oom |= set(o, "InstanceProfileId", json_string(id));
	put_json(b, o, oom);
}

static void identity_json(const struct md *m, struct strbuf *b)
{
	const struct instance *in = m->in;
	json_t *o = json_object();
	bool oom = false;
	char t[32];

	iso_time(m->launched, t, sizeof(t));
	oom |= set(o, "accountId", json_string(m->account));
	oom |= set(o, "architecture", json_string("x86_64"));
	oom |= set(o, "availabilityZone", json_string(m->az));
	oom |= set(o, "billingProducts", json_null());
	oom |= set(o, "devpayProductCodes", json_null());
	oom |= set(o, "marketplaceProductCodes", json_null());
	oom |= set(o, "imageId", json_string(m->ami));
	oom |= set(o, "instanceId", json_string(in->r.id));
	oom |= set(o, "instanceType",
		   json_string(in->instance_type ? in->instance_type :
						   "t2.micro"));
	oom |= set(o, "kernelId", json_null());
	oom |= set(o, "pendingTime", json_string(t));
	oom |= set(o, "privateIp", json_string(m->ip));
	oom |= set(o, "ramdiskId", json_null());
	oom |= set(o, "region", json_string(m->region));
	oom |= set(o, "version", json_string("2017-09-30"));
	put_json(b, o, oom);
}

static void sg_lines(const struct md *m, struct strbuf *b, bool ids)
{
	size_t i;

	for (i = 0; i < m->in->nsgs; i++)
		ent(b, ids ? m->in->sgs[i]->r.id : sg_name(m->in->sgs[i]));
}

/* The per-interface leaves under .../macs/MAC/. */
static bool mac_leaf(const struct md *m, const char *k, struct strbuf *b)
{
	char c[20];
	size_t i;

	if (!strcmp(k, "device-number"))
		sb_puts(b, "0");
	else if (!strcmp(k, "interface-id"))
		sb_puts(b, m->in->eni ? m->in->eni->r.id : "");
	else if (!strcmp(k, "local-hostname"))
		sb_puts(b, m->host);
	else if (!strcmp(k, "local-ipv4s"))
		sb_puts(b, m->ip);
	else if (!strcmp(k, "mac"))
		sb_puts(b, m->mac);
	else if (!strcmp(k, "owner-id"))
		sb_puts(b, m->account);
	else if (m->has_pubhost && !strcmp(k, "public-hostname"))
		sb_puts(b, m->pubhost);
	else if (m->has_pub && !strcmp(k, "public-ipv4s"))
		sb_puts(b, m->pub);
	else if (!strcmp(k, "security-group-ids"))
		sg_lines(m, b, true);
	else if (!strcmp(k, "security-groups"))
		sg_lines(m, b, false);
	else if (!strcmp(k, "subnet-id"))
		sb_puts(b, m->sn ? m->sn->r.id : "");
	else if (!strcmp(k, "subnet-ipv4-cidr-block"))
		sb_puts(b, m->sn ? cidr_fmt(m->sn->cidr, c) : "");
	else if (!strcmp(k, "vpc-id"))
		sb_puts(b, m->v ? m->v->r.id : "");
	else if (!strcmp(k, "vpc-ipv4-cidr-block"))
		sb_puts(b, m->v && m->v->ncidrs ? cidr_fmt(m->v->cidrs[0], c) :
						  "");
	else if (!strcmp(k, "vpc-ipv4-cidr-blocks"))
		for (i = 0; m->v && i < m->v->ncidrs; i++)
			ent(b, cidr_fmt(m->v->cidrs[i], c));
	else
		return false;
	return true;
}

/* Writes leaf rel's value into b; false when rel is no leaf. */
static bool leaf(const struct md *m, const char *rel, struct strbuf *b)
{
	const struct instance *in = m->in;
	const char *k;
	char buf[64];

	if (!strcmp(rel, "user-data")) {
		if (!m->user_data)
			return false;
		sb_puts(b, m->user_data);
		return true;
	}
	if (!strcmp(rel, "dynamic/instance-identity/document")) {
		identity_json(m, b);
		return true;
	}
	if ((k = mac_rest(m, rel)) && *k)
		return mac_leaf(m, k, b);
	if (!(k = after(rel, "meta-data/")))
		return false;
	if (!strcmp(k, "ami-id"))
		sb_puts(b, m->ami);
	else if (!strcmp(k, "instance-id"))
		sb_puts(b, in->r.id);
	else if (!strcmp(k, "instance-type"))
		sb_puts(b, in->instance_type ? in->instance_type : "t2.micro");
	else if (!strcmp(k, "local-ipv4"))
		sb_puts(b, m->ip);
	else if (!strcmp(k, "local-hostname") || !strcmp(k, "hostname"))
		sb_puts(b, m->host);
	else if (!strcmp(k, "mac"))
		sb_puts(b, m->mac);
	else if (m->has_pub && !strcmp(k, "public-ipv4"))
		sb_puts(b, m->pub);
	else if (m->has_pubhost && !strcmp(k, "public-hostname"))
		sb_puts(b, m->pubhost);
	else if (!strcmp(k, "security-groups"))
		sg_lines(m, b, false);
	else if (!strcmp(k, "placement/availability-zone"))
		sb_puts(b, m->az);
	else if (!strcmp(k, "placement/availability-zone-id")) {
		az_id(m->region, m->az, buf, sizeof(buf));
		sb_puts(b, buf);
	} else if (!strcmp(k, "placement/region"))
		sb_puts(b, m->region);
	else if (in->role && !strcmp(k, "iam/info"))
		iam_info_json(m, b);
	else if (in->role && (k = after(k, "iam/security-credentials/")) &&
		 !strcmp(k, in->role->r.name))
		creds_json(m, b);
	else
		return false;
	return true;
}

/* ---- requests ---- */

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	default: return "Internal Server Error";
	}
}

/* Finishes rs with status and b's text; a status without text gets AWS's
 * error title ("404 - Not Found"). Takes b. */
static int answer(struct imds_response *rs, int status, struct strbuf *b)
{
	struct strbuf e = { 0 };

	if (!b) {
		sb_printf(&e, "%d - %s", status, status_text(status));
		b = &e;
	}
	if (b->oom) {
		sb_free(b);
		*rs = (struct imds_response){ 0 };
		return -ENOMEM;
	}
	rs->status = status;
	rs->body_len = b->len;
	rs->body = sb_take(b);
	return rs->body ? 0 : -ENOMEM;
}

/* "latest", "1.0" or a date version "YYYY-MM-DD", n bytes at s. */
static bool is_version(const char *s, size_t n)
{
	size_t i;

	if ((n == 6 && !strncmp(s, "latest", 6)) ||
	    (n == 3 && !strncmp(s, "1.0", 3)))
		return true;
	if (n != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < n; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	return true;
}

/* Splits "/VERSION[/REST]": *ret_rest points past "/VERSION" ("" or
 * "/..."); false when the first segment is no version. */
static bool split_version(const char *path, const char **ret_ver,
			  size_t *ret_n, const char **ret_rest)
{
	const char *slash;

	if (path[0] != '/')
		return false;
	slash = strchr(path + 1, '/');
	*ret_ver = path + 1;
	*ret_n = slash ? (size_t)(slash - path - 1) : strlen(path + 1);
	*ret_rest = path + 1 + *ret_n;
	return is_version(*ret_ver, *ret_n);
}

/* PUT /latest/api/token. */
static int put_token(struct imds_tokens *t, const struct instance *in,
		     const struct imds_request *rq, time_t now,
		     struct imds_response *rs)
{
	const char *ver, *rest, *tok;
	struct strbuf b = { 0 };
	unsigned long ttl;
	char *end;
	size_t n;
	int err = 0;

	if (!split_version(rq->path, &ver, &n, &rest) ||
	    strcmp(rest, "/api/token")) {
		rs->allow = "GET";
		return answer(rs, 405, NULL);
	}
	/* A proxy in front of the instance adds X-Forwarded-For: refusing it
	 * keeps tokens from being minted through one. */
	if (rq->forwarded)
		return answer(rs, 403, NULL);
	if (n != 6 || strncmp(ver, "latest", 6))
		return answer(rs, 403, NULL);
	if (!rq->ttl || rq->ttl[0] < '0' || rq->ttl[0] > '9')
		return answer(rs, 400, NULL);
	errno = 0;
	ttl = strtoul(rq->ttl, &end, 10);
	if (errno || *end || ttl < 1 || ttl > IMDS_TOKEN_TTL_MAX)
		return answer(rs, 400, NULL);
	tok = tokens_add(t, in->r.id, now + (time_t)ttl, now, &err);
	if (!tok)
		return err;
	sb_puts(&b, tok);
	rs->token_ttl = (long)ttl;
	/* the hop limit is the TTL of the token's packets, so a
	 * token cannot reach a container behind the instance. */
	rs->ip_ttl = in->metadata_hop_limit ? in->metadata_hop_limit : 1;
	return answer(rs, 200, &b);
}

int imds_respond(struct imds_tokens *t, const struct lab *lab,
		 const struct instance *in, const struct imds_request *rq,
		 time_t now, struct imds_response *rs)
{
	const char *ver, *rest, *rel;
	struct strbuf b = { 0 };
	struct md m = { 0 };
	size_t n, len;
	bool dir;
	char *relbuf;
	int r;

	*rs = (struct imds_response){ 0 };
	/* An address that is no instance's gets what a switched-off
	 * endpoint gives: nothing to see here. */
	if (!in || in->metadata_disabled)
		return answer(rs, 403, NULL);
	if (!strcmp(rq->method, "PUT"))
		return put_token(t, in, rq, now, rs);
	if (strcmp(rq->method, "GET")) {
		rs->allow = "GET, PUT";
		return answer(rs, 405, NULL);
	}
	if (split_version(rq->path, &ver, &n, &rest) &&
	    !strcmp(rest, "/api/token")) {
		rs->allow = "PUT";
		return answer(rs, 405, NULL);
	}

	/* a token, when sent, must be good even where tokens are
	 * optional; without one, IMDSv1 is served only if optional. */
	if (rq->token) {
		rs->token_ttl = tokens_check(t, rq->token, in->r.id, now);
		if (!rs->token_ttl)
			return answer(rs, 401, NULL);
	} else if (in->metadata_tokens_required) {
		return answer(rs, 401, NULL);
	}

	if (!strcmp(rq->path, "/")) {
		for (n = 0; n < ARRAY_SIZE(versions); n++)
			ent(&b, versions[n]);
		return answer(rs, 200, &b);
	}
	if (!split_version(rq->path, &ver, &n, &rest))
		return answer(rs, 404, NULL);

	/* rest is "", "/" or "/a/b[/]": rel drops the slashes at both ends.
	 * A directory answers with or without its trailing slash; a leaf
	 * only without. */
	rel = *rest ? rest + 1 : rest;
	len = strlen(rel);
	dir = len && rel[len - 1] == '/';
	relbuf = strndup(rel, dir ? len - 1 : len);
	if (!relbuf)
		return -ENOMEM;
	md_init(&m, lab, in, now, rq->launched);
	if (*rel == '/')
		r = answer(rs, 404, NULL);	/* "/latest//" */
	else if (!dir && leaf(&m, relbuf, &b))
		r = answer(rs, 200, &b);
	else if (list_dir(&m, relbuf, &b))
		r = answer(rs, 200, &b);
	else
		r = answer(rs, 404, NULL);	/* b is still empty */
	free(relbuf);
	return r;
}

void imds_response_free(struct imds_response *rs)
{
	if (!rs)
		return;
	free(rs->body);
	*rs = (struct imds_response){ 0 };
}

/* ---- the server ---- */

struct imds_server {
	struct httpd *httpd;
	struct imds_tokens *tokens;
	imds_lookup_fn lookup;
	void *data;
	time_t started;
};

/* Requests are a few headers: nothing in a body is ever read. */
static const struct httpd_limits imds_limits = {
	.conns = 128,			/* per VPC */
	.conns_per_ip = 16,		/* per instance */
	.idle_timeout = 10,		/* seconds */
	.conn_memory = 16 * 1024,
	.body_max = 0,
};

void imds_handle(struct imds_tokens *t, const struct lab *lab,
		 const struct instance *in, time_t launched, time_t now,
		 const struct httpd_request *hrq, struct httpd_reply *rp)
{
	struct imds_response rs = { 0 };
	struct imds_request rq = {
		.method = hrq->method,
		.path = hrq->path,
		.token = httpd_header(hrq, "X-aws-ec2-metadata-token"),
		.ttl = httpd_header(hrq, "X-aws-ec2-metadata-token-ttl-seconds"),
		.forwarded = httpd_header(hrq, "X-Forwarded-For") != NULL,
		.launched = launched,
	};
	struct strbuf b = { 0 };

	if (imds_respond(t, lab, in, &rq, now, &rs) < 0) {
		sb_puts(&b, "500 - Internal Server Error");
		httpd_reply_text(rp, 500, "text/plain", &b);
		return;
	}
	rp->status = rs.status;
	httpd_reply_header(rp, "Content-Type", "text/plain");
	httpd_reply_header(rp, "Server", "EC2ws");
	if (rs.token_ttl > 0)
		httpd_reply_header(rp, "X-Aws-Ec2-Metadata-Token-Ttl-Seconds",
				   "%ld", rs.token_ttl);
	if (rs.allow)
		httpd_reply_header(rp, "Allow", "%s", rs.allow);
	/* a token leaves with the hop limit as its TTL; httpd
	 * drops the reply rather than send it with a larger one. */
	rp->ip_ttl = rs.ip_ttl;
	httpd_reply_body(rp, rs.body, rs.body_len, free, rs.body);
}

static void on_request(void *data, const struct httpd_request *hrq,
		       struct httpd_reply *rp)
{
	struct imds_server *s = data;
	const struct instance *in = NULL;
	const struct lab *lab = NULL;

	if (hrq->src)
		in = s->lookup(s->data, hrq->src, &lab);
	imds_handle(s->tokens, lab, in, s->started, time(NULL), hrq, rp);
}

struct imds_server *imds_server_start(struct evloop *el, int listen_fd,
				      imds_lookup_fn lookup, void *data)
{
	struct imds_server *s = calloc(1, sizeof(*s));
	int err = ENOMEM;

	if (!s)
		goto fail;
	s->lookup = lookup;
	s->data = data;
	s->started = time(NULL);
	s->tokens = imds_tokens_new();
	if (!s->tokens)
		goto fail;
	s->httpd = httpd_start(el, listen_fd, &imds_limits, on_request, s);
	listen_fd = -1;		/* httpd_start took it */
	if (!s->httpd) {
		err = errno;
		goto fail;
	}
	return s;

fail:
	if (listen_fd >= 0)
		close(listen_fd);
	imds_server_stop(s);
	errno = err;
	return NULL;
}

void imds_server_stop(struct imds_server *s)
{
	if (!s)
		return;
	httpd_stop(s->httpd);
	imds_tokens_free(s->tokens);
	free(s);
}
