/* test_imds.c - the instance metadata service: imds_respond's rules
 * (R-12.9..R-12.15), each with a twin that fails when the rule is gone,
 * and the real HTTP server on 127.0.0.1 driven by an evloop. No root. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"
#include "vpcemu/evloop.h"
#include "vpcemu/imds.h"
#include "vpcemu/model.h"

/* A: everything (role, user data, public IP, DNS names, IMDSv1 allowed,
 * hop limit 3, two groups). B: the defaults (tokens required, nothing
 * optional). C: endpoint off. D: us-east-1 with a public IP but no DNS
 * hostnames. */
static const char lab_text[] =
	"lab imds\n"
	"region ap-northeast-1\n"
	"account 123456789012\n"
	"vpc V { cidr 10.1.0.0/16; cidr 10.9.0.0/16; dns-hostnames yes }\n"
	"subnet S { vpc V; cidr 10.1.1.0/24; az ap-northeast-1c }\n"
	"security-group WEB {\n"
	"	vpc V; description \"web\"; ingress tcp 80 from 0.0.0.0/0\n"
	"}\n"
	"security-group DB { vpc V; description \"db\" }\n"
	"iam-role App-Role { policies AmazonSSMManagedInstanceCore }\n"
	"instance A {\n"
	"	subnet S; private-ip 10.1.1.10; security-groups WEB DB\n"
	"	iam-instance-profile App-Role; public-ip yes\n"
	"	ami al2023; instance-type t3.small\n"
	"	user-data \"#!/bin/sh\\necho hi\\n\"\n"
	"	metadata-tokens optional; metadata-hop-limit 3\n"
	"}\n"
	"instance B { subnet S; private-ip 10.1.1.11 }\n"
	"instance C {\n"
	"	subnet S; private-ip 10.1.1.12; metadata-endpoint disabled\n"
	"}\n"
	"vpc E { cidr 10.2.0.0/16; region us-east-1 }\n"
	"subnet ES { vpc E; cidr 10.2.1.0/24 }\n"
	"instance D {\n"
	"	subnet ES; private-ip 10.2.1.10; public-ip yes\n"
	"	metadata-tokens optional\n"
	"}\n";

#define NOW ((time_t)1732300000)	/* 2024-11-22T18:26:40Z */

static struct test_lab t;
static struct imds_tokens *tokens;
static struct imds_response rs;

static void setup(void)
{
	test_lab_text(&t, "imds.conf", lab_text, NULL, TEST_LAB_CLEAN);
	tokens = imds_tokens_new();
	cr_assert_not_null(tokens);
}

static void teardown(void)
{
	imds_response_free(&rs);
	imds_tokens_free(tokens);
	test_lab_free(&t);
}

TestSuite(imds, .init = setup, .fini = teardown, .timeout = 30);

static const struct instance *inst(const char *name)
{
	struct res *r = model_find(t.lab, RES_INSTANCE, name);

	cr_assert_not_null(r, "no instance %s", name);
	return (const struct instance *)r;
}

/* Answers one request into the global rs (freeing the previous one) and
 * returns its status. */
static int ask(const char *who, const char *method, const char *path,
	       const char *token, const char *ttl, time_t now)
{
	struct imds_request rq = {
		.method = method, .path = path, .token = token, .ttl = ttl,
		.launched = NOW - 60,
	};

	imds_response_free(&rs);
	cr_assert_eq(imds_respond(tokens, t.lab, who ? inst(who) : NULL, &rq,
				  now, &rs), 0);
	cr_assert_not_null(rs.body);
	cr_assert_eq(strlen(rs.body), rs.body_len);
	return rs.status;
}

static int get(const char *who, const char *path)
{
	return ask(who, "GET", path, NULL, NULL, NOW);
}

/* A fresh token for who, valid ttl seconds from NOW; caller frees. */
static char *token_for(const char *who, const char *ttl)
{
	cr_assert_eq(ask(who, "PUT", "/latest/api/token", NULL, ttl, NOW), 200);
	return strdup(rs.body);
}

static void expect_body(const char *who, const char *path, const char *want)
{
	cr_assert_eq(get(who, path), 200, "GET %s: %d %s", path, rs.status,
		     rs.body);
	cr_expect_str_eq(rs.body, want, "GET %s", path);
}

/* ---- IMDSv2 tokens (R-12.10 ..) ---- */

Test(imds, token_put_ok_and_hop_limit)
{
	char *tok = token_for("A", "21600");

	cr_expect_eq(strlen(tok), 56);
	cr_expect_eq(strncmp(tok, "AQAEA", 5), 0);
	cr_expect_eq(rs.token_ttl, 21600);
	cr_expect_eq(rs.ip_ttl, 3, "A's hop limit is 3, got %u", rs.ip_ttl);
	free(tok);

	/* B has the default hop limit, 1. */
	tok = token_for("B", "1");
	cr_expect_eq(rs.ip_ttl, 1);
	free(tok);

	/* Ordinary answers go out with the default TTL. */
	get("A", "/latest/meta-data/instance-id");
	cr_expect_eq(rs.ip_ttl, 0);
}

Test(imds, token_ttl_invalid)
{
	static const char *const bad[] = { "0", "21601", "", "-5", "10s",
					   " 10", "1e3", "99999999999999999999" };
	size_t i;

	cr_expect_eq(ask("A", "PUT", "/latest/api/token", NULL, NULL, NOW), 400,
		     "missing TTL");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(ask("A", "PUT", "/latest/api/token", NULL, bad[i],
				 NOW), 400, "TTL '%s'", bad[i]);
	cr_expect_eq(ask("A", "PUT", "/latest/api/token", NULL, "1", NOW), 200);
}

Test(imds, token_put_versioned_path_forbidden)
{
	cr_expect_eq(ask("A", "PUT", "/2021-03-23/api/token", NULL, "60", NOW),
		     403);
	cr_expect_eq(ask("A", "PUT", "/1.0/api/token", NULL, "60", NOW), 403);
	cr_expect_eq(ask("A", "PUT", "/latest/api/token", NULL, "60", NOW), 200);
}

Test(imds, token_put_forwarded_forbidden)
{
	struct imds_request rq = { .method = "PUT", .path = "/latest/api/token",
				   .ttl = "60", .forwarded = true };

	cr_assert_eq(imds_respond(tokens, t.lab, inst("A"), &rq, NOW, &rs), 0);
	cr_expect_eq(rs.status, 403);
	imds_response_free(&rs);
	rq.forwarded = false;
	cr_assert_eq(imds_respond(tokens, t.lab, inst("A"), &rq, NOW, &rs), 0);
	cr_expect_eq(rs.status, 200);
}

Test(imds, token_get_ok_expired_foreign_bogus)
{
	const char *p = "/latest/meta-data/instance-id";
	char *ta = token_for("A", "60");
	char *tb = token_for("B", "60");

	cr_expect_eq(ask("A", "GET", p, ta, NULL, NOW + 59), 200);
	cr_expect_str_eq(rs.body, inst("A")->r.id);
	cr_expect_eq(rs.token_ttl, 1, "remaining TTL, got %ld", rs.token_ttl);
	cr_expect_eq(ask("A", "GET", p, ta, NULL, NOW + 60), 401, "expired");
	cr_expect_eq(ask("B", "GET", p, tb, NULL, NOW + 30), 200);
	cr_expect_eq(ask("B", "GET", p, ta, NULL, NOW + 30), 401,
		     "A's token used by B");
	cr_expect_eq(ask("A", "GET", p, tb, NULL, NOW + 30), 401,
		     "B's token used by A");
	/* A bad token is refused even where tokens are optional. */
	cr_expect_eq(ask("A", "GET", p, "AQAEAnot-a-token", NULL, NOW), 401);
	cr_expect_eq(ask("A", "GET", p, "", NULL, NOW), 401);
	free(ta);
	free(tb);
}

Test(imds, tokens_independent_per_store)
{
	char *tok = token_for("A", "60");
	struct imds_tokens *other = imds_tokens_new();
	struct imds_request rq = { .method = "GET", .path = "/latest/meta-data/",
				   .token = tok };

	cr_assert_not_null(other);
	imds_response_free(&rs);
	cr_assert_eq(imds_respond(other, t.lab, inst("A"), &rq, NOW, &rs), 0);
	cr_expect_eq(rs.status, 401, "another VPC's server knows no token");
	imds_tokens_free(other);
	free(tok);
}

Test(imds, v1_optional_vs_required)
{
	cr_expect_eq(get("A", "/latest/meta-data/instance-id"), 200,
		     "tokens optional: IMDSv1 served");
	cr_expect_eq(get("B", "/latest/meta-data/instance-id"), 401,
		     "tokens required (the default): 401");
	cr_expect_eq(get("B", "/"), 401);
	cr_expect_eq(get("B", "/latest/nothing-here"), 401,
		     "401 before 404");
}

Test(imds, disabled_forbidden)
{
	char *tok;

	cr_expect_eq(get("C", "/latest/meta-data/instance-id"), 403);
	cr_expect_eq(ask("C", "PUT", "/latest/api/token", NULL, "60", NOW), 403);
	cr_expect_eq(ask("C", "DELETE", "/latest/", NULL, NULL, NOW), 403);
	tok = token_for("B", "60");
	cr_expect_eq(ask("B", "GET", "/latest/meta-data/instance-id", tok, NULL,
			 NOW), 200, "the twin with the endpoint on");
	free(tok);
}

Test(imds, unknown_source_forbidden)
{
	cr_expect_eq(get(NULL, "/latest/meta-data/instance-id"), 403);
	cr_expect_eq(ask(NULL, "PUT", "/latest/api/token", NULL, "60", NOW), 403);
}

Test(imds, other_methods)
{
	cr_expect_eq(ask("A", "POST", "/latest/meta-data/", NULL, NULL, NOW),
		     405);
	cr_expect_str_eq(rs.allow, "GET, PUT");
	cr_expect_eq(ask("A", "DELETE", "/latest/api/token", NULL, NULL, NOW),
		     405);
	cr_expect_eq(get("A", "/latest/api/token"), 405);
	cr_expect_str_eq(rs.allow, "PUT");
	cr_expect_eq(ask("A", "PUT", "/latest/meta-data/", NULL, "60", NOW),
		     405);
	cr_expect_eq(get("A", "/latest/meta-data/"), 200);
}

/* ---- the tree (R-12.9, R-12.13, R-12.15) ---- */

Test(imds, listings)
{
	char mac[18], dir[80];

	cr_assert_eq(get("A", "/"), 200);
	cr_expect(strstr(rs.body, "\nlatest") && !strchr(rs.body, '/'),
		  "root: %s", rs.body);
	expect_body("A", "/latest/", "dynamic/\nmeta-data/\nuser-data");
	expect_body("D", "/latest", "dynamic/\nmeta-data/");
	expect_body("D", "/2021-03-23/", "dynamic/\nmeta-data/");
	expect_body("A", "/latest/meta-data/",
		    "ami-id\nhostname\niam/\ninstance-id\ninstance-type\n"
		    "local-hostname\nlocal-ipv4\nmac\nnetwork/\nplacement/\n"
		    "public-hostname\npublic-ipv4\nsecurity-groups");
	/* No role, no public IP: not listed. */
	expect_body("D", "/latest/meta-data/",
		    "ami-id\nhostname\ninstance-id\ninstance-type\n"
		    "local-hostname\nlocal-ipv4\nmac\nnetwork/\nplacement/\n"
		    "public-ipv4\nsecurity-groups");
	expect_body("A", "/latest/meta-data/placement/",
		    "availability-zone\navailability-zone-id\nregion");
	expect_body("A", "/latest/meta-data/placement",
		    "availability-zone\navailability-zone-id\nregion");
	expect_body("A", "/latest/meta-data/network/", "interfaces/");
	expect_body("A", "/latest/meta-data/network/interfaces/", "macs/");
	imds_eni_mac(inst("A")->eni->r.id, mac);
	snprintf(dir, sizeof(dir), "%s/", mac);
	expect_body("A", "/latest/meta-data/network/interfaces/macs/", dir);
	snprintf(dir, sizeof(dir), "/latest/meta-data/network/interfaces/macs/%s/",
		 mac);
	expect_body("A", dir,
		    "device-number\ninterface-id\nlocal-hostname\nlocal-ipv4s\n"
		    "mac\nowner-id\npublic-hostname\npublic-ipv4s\n"
		    "security-group-ids\nsecurity-groups\nsubnet-id\n"
		    "subnet-ipv4-cidr-block\nvpc-id\nvpc-ipv4-cidr-block\n"
		    "vpc-ipv4-cidr-blocks");
	expect_body("A", "/latest/dynamic/", "instance-identity/");
	expect_body("A", "/latest/dynamic/instance-identity/", "document");
	expect_body("A", "/latest/meta-data/iam/", "info\nsecurity-credentials/");
	expect_body("A", "/latest/meta-data/iam/security-credentials/",
		    "App-Role");
}

Test(imds, unknown_paths)
{
	static const char *const bad[] = {
		"/nope", "/latest/nope", "/latest/meta-data/nope",
		"/latest/meta-data/instance-id/", "/latest//", "/latest/meta-data//",
		"/2021-3-23/meta-data/", "/LATEST/", "/latest/meta-data/iam/x",
		"/latest/meta-data/network/interfaces/macs/02:00:00:00:00:00/mac",
		"/latest/dynamic/instance-identity/document/", "",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(get("A", bad[i]), 404, "GET '%s': %d", bad[i],
			     rs.status);
		cr_expect_str_eq(rs.body, "404 - Not Found");
	}
	cr_expect_eq(get("A", "/latest/meta-data/instance-id"), 200);
}

Test(imds, leaves)
{
	const struct instance *a = inst("A");
	char mac[18], path[128], ami[MODEL_ID_MAX];

	expect_body("A", "/latest/meta-data/instance-id", a->r.id);
	expect_body("A", "/2009-04-04/meta-data/instance-id", a->r.id);
	expect_body("A", "/latest/meta-data/instance-type", "t3.small");
	expect_body("D", "/latest/meta-data/instance-type", "t2.micro");
	expect_body("A", "/latest/meta-data/local-ipv4", "10.1.1.10");
	expect_body("A", "/latest/meta-data/local-hostname",
		    "ip-10-1-1-10.ap-northeast-1.compute.internal");
	expect_body("A", "/latest/meta-data/hostname",
		    "ip-10-1-1-10.ap-northeast-1.compute.internal");
	expect_body("D", "/latest/meta-data/local-hostname",
		    "ip-10-2-1-10.ec2.internal");
	expect_body("A", "/latest/meta-data/security-groups", "WEB\nDB");
	expect_body("D", "/latest/meta-data/security-groups", "default");
	expect_body("A", "/latest/meta-data/placement/availability-zone",
		    "ap-northeast-1c");
	expect_body("A", "/latest/meta-data/placement/region",
		    "ap-northeast-1");
	expect_body("D", "/latest/meta-data/placement/region", "us-east-1");
	expect_body("D", "/latest/meta-data/placement/availability-zone",
		    "us-east-1a");

	/* AMI: a stable ami-<17 hex> for the text, the same for A and D. */
	cr_assert_eq(get("A", "/latest/meta-data/ami-id"), 200);
	cr_expect_eq(strlen(rs.body), 21);
	cr_expect_eq(strncmp(rs.body, "ami-", 4), 0);
	strcpy(ami, rs.body);
	expect_body("D", "/latest/meta-data/ami-id", ami);

	/* MAC: 02:xx:..., stable, different per ENI. */
	imds_eni_mac(a->eni->r.id, mac);
	cr_expect_eq(strlen(mac), 17);
	cr_expect_eq(strncmp(mac, "02:", 3), 0);
	expect_body("A", "/latest/meta-data/mac", mac);
	cr_assert_eq(get("D", "/latest/meta-data/mac"), 200);
	cr_expect_str_neq(rs.body, mac);

	snprintf(path, sizeof(path),
		 "/latest/meta-data/network/interfaces/macs/%s/", mac);
#define MAC_LEAF(k, v)                                                         \
	do {                                                                   \
		char p_[160];                                                  \
		snprintf(p_, sizeof(p_), "%s%s", path, k);                     \
		expect_body("A", p_, v);                                       \
	} while (0)
	MAC_LEAF("device-number", "0");
	MAC_LEAF("interface-id", a->eni->r.id);
	MAC_LEAF("local-ipv4s", "10.1.1.10");
	MAC_LEAF("local-hostname", "ip-10-1-1-10.ap-northeast-1.compute.internal");
	MAC_LEAF("mac", mac);
	MAC_LEAF("owner-id", "123456789012");
	MAC_LEAF("subnet-id", a->subnet->r.id);
	MAC_LEAF("subnet-ipv4-cidr-block", "10.1.1.0/24");
	MAC_LEAF("vpc-id", a->subnet->vpc->r.id);
	MAC_LEAF("vpc-ipv4-cidr-block", "10.1.0.0/16");
	MAC_LEAF("vpc-ipv4-cidr-blocks", "10.1.0.0/16\n10.9.0.0/16");
	MAC_LEAF("security-groups", "WEB\nDB");
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "%s",
		 "security-group-ids");
	cr_assert_eq(get("A", path), 200);
	cr_expect_eq(strncmp(rs.body, a->sgs[0]->r.id, strlen(a->sgs[0]->r.id)),
		     0);
	cr_expect(strstr(rs.body, a->sgs[1]->r.id));
#undef MAC_LEAF
}

Test(imds, availability_zone_id)
{
	char first[32];

	cr_assert_eq(get("A", "/latest/meta-data/placement/availability-zone-id"),
		     200);
	cr_expect_eq(strncmp(rs.body, "apne1-az", 8), 0, "got %s", rs.body);
	strcpy(first, rs.body);
	cr_assert_eq(get("D", "/latest/meta-data/placement/availability-zone-id"),
		     200);
	cr_expect_eq(strncmp(rs.body, "use1-az", 7), 0, "got %s", rs.body);
	cr_assert_eq(get("A", "/latest/meta-data/placement/availability-zone-id"),
		     200);
	cr_expect_str_eq(rs.body, first, "stable");
}

Test(imds, public_ip_and_hostname)
{
	char ip[16], want[96], *p;
	const struct instance *a = inst("A"), *d = inst("D");

	cr_assert(a->public_ipv4 && d->public_ipv4);
	expect_body("A", "/latest/meta-data/public-ipv4", ip_fmt(a->public_ipv4, ip));
	for (p = ip; *p; p++)
		if (*p == '.')
			*p = '-';
	snprintf(want, sizeof(want), "ec2-%s.ap-northeast-1.compute.amazonaws.com",
		 ip);
	expect_body("A", "/latest/meta-data/public-hostname", want);
	/* D: public IP, but its VPC has no DNS hostnames. */
	expect_body("D", "/latest/meta-data/public-ipv4", ip_fmt(d->public_ipv4, ip));
	cr_expect_eq(get("D", "/latest/meta-data/public-hostname"), 404);
	/* B has none at all. */
	cr_expect_eq(ask("B", "GET", "/latest/meta-data/public-ipv4",
			 NULL, NULL, NOW), 401);
	{
		char *tok = token_for("B", "60");

		cr_expect_eq(ask("B", "GET", "/latest/meta-data/public-ipv4",
				 tok, NULL, NOW), 404);
		cr_expect_eq(ask("B", "GET", "/latest/meta-data/public-hostname",
				 tok, NULL, NOW), 404);
		free(tok);
	}
}

Test(imds, public_hostname_us_east_1)
{
	struct test_lab e = { 0 };
	struct imds_request rq = { .method = "GET",
				   .path = "/latest/meta-data/public-hostname" };
	const struct instance *in;
	char ip[16], want[96], *p;

	test_lab_text(&e, "east.conf",
		      "vpc V { cidr 10.0.0.0/16; dns-hostnames yes }\n"
		      "subnet S { vpc V; cidr 10.0.1.0/24 }\n"
		      "instance I {\n"
		      "	subnet S; public-ip yes; metadata-tokens optional\n"
		      "}\n",
		      NULL, TEST_LAB_CLEAN);
	in = (const struct instance *)model_find(e.lab, RES_INSTANCE, "I");
	cr_assert(in && in->public_ipv4);
	imds_response_free(&rs);
	cr_assert_eq(imds_respond(tokens, e.lab, in, &rq, NOW, &rs), 0);
	cr_assert_eq(rs.status, 200);
	ip_fmt(in->public_ipv4, ip);
	for (p = ip; *p; p++)
		if (*p == '.')
			*p = '-';
	snprintf(want, sizeof(want), "ec2-%s.compute-1.amazonaws.com", ip);
	cr_expect_str_eq(rs.body, want);
	imds_response_free(&rs);
	test_lab_free(&e);
}

Test(imds, user_data_vs_none)
{
	char *tok;

	expect_body("A", "/latest/user-data", "#!/bin/sh\necho hi\n");
	cr_expect_eq(rs.body_len, 18);
	tok = token_for("B", "60");
	cr_expect_eq(ask("B", "GET", "/latest/user-data", tok, NULL, NOW), 404);
	free(tok);
}

#define CREDS "/latest/meta-data/iam/security-credentials/"
#define JS(j, k) json_string_value(json_object_get(j, k))

Test(imds, iam_role_vs_none)
{
	json_t *j;
	const char *key;
	char *tok;

	cr_assert_eq(get("A", CREDS "App-Role"), 200);
	j = json_loads(rs.body, 0, NULL);
	cr_assert_not_null(j, "not JSON: %s", rs.body);
	cr_expect_str_eq(JS(j, "Code"), "Success");
	cr_expect_str_eq(JS(j, "Type"), "AWS-HMAC");
	key = JS(j, "AccessKeyId");
	cr_assert_not_null(key);
	cr_expect_eq(strlen(key), 20);
	cr_expect_eq(strncmp(key, "ASIA", 4), 0);
	for (const char *p = key; *p; p++)
		cr_expect((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'));
	cr_expect_eq(strlen(JS(j, "SecretAccessKey")), 40);
	cr_expect(strstr(JS(j, "Token"), "vpcemu"));
	/* Issued at the hour, valid 6 h: 18:00 + 6 h. */
	cr_expect_str_eq(JS(j, "LastUpdated"), "2024-11-22T18:00:00Z");
	cr_expect_str_eq(JS(j, "Expiration"), "2024-11-23T00:00:00Z");
	json_decref(j);

	cr_assert_eq(get("A", "/latest/meta-data/iam/info"), 200);
	j = json_loads(rs.body, 0, NULL);
	cr_assert_not_null(j);
	cr_expect_str_eq(JS(j, "Code"), "Success");
	cr_expect_str_eq(JS(j, "InstanceProfileArn"),
			 "arn:aws:iam::123456789012:instance-profile/App-Role");
	cr_expect_eq(strncmp(JS(j, "InstanceProfileId"), "AIPA", 4), 0);
	json_decref(j);

	cr_expect_eq(get("A", CREDS "Other"), 404);
	/* D has no role: every iam path is 404. */
	cr_expect_eq(get("D", "/latest/meta-data/iam/"), 404);
	cr_expect_eq(get("D", "/latest/meta-data/iam/info"), 404);
	cr_expect_eq(get("D", CREDS), 404);
	cr_expect_eq(get("D", CREDS "App-Role"), 404);
	tok = token_for("B", "60");
	cr_expect_eq(ask("B", "GET", "/latest/meta-data/iam/info", tok, NULL,
			 NOW), 404);
	free(tok);
}

Test(imds, credentials_rotate_hourly)
{
	char first[32];
	json_t *j;

	get("A", CREDS "App-Role");
	j = json_loads(rs.body, 0, NULL);
	cr_assert_not_null(j);
	snprintf(first, sizeof(first), "%s", JS(j, "AccessKeyId"));
	json_decref(j);
	cr_assert_eq(ask("A", "GET", CREDS "App-Role", NULL, NULL, NOW + 60),
		     200);
	cr_expect(strstr(rs.body, first), "same key within the hour");
	cr_assert_eq(ask("A", "GET", CREDS "App-Role", NULL, NULL, NOW + 3600),
		     200);
	cr_expect_null(strstr(rs.body, first), "new key the next hour");
}

Test(imds, identity_document)
{
	const struct instance *a = inst("A");
	json_t *j;

	cr_assert_eq(get("A", "/latest/dynamic/instance-identity/document"), 200);
	cr_expect(strstr(rs.body, "{\n  \"accountId\": \"123456789012\",\n"),
		  "pretty-printed, key order kept: %s", rs.body);
	j = json_loads(rs.body, 0, NULL);
	cr_assert_not_null(j);
#define S(k) json_string_value(json_object_get(j, k))
	cr_expect_str_eq(S("accountId"), "123456789012");
	cr_expect_str_eq(S("architecture"), "x86_64");
	cr_expect_str_eq(S("availabilityZone"), "ap-northeast-1c");
	cr_expect_eq(strncmp(S("imageId"), "ami-", 4), 0);
	cr_expect_str_eq(S("instanceId"), a->r.id);
	cr_expect_str_eq(S("instanceType"), "t3.small");
	cr_expect_str_eq(S("pendingTime"), "2024-11-22T18:25:40Z");
	cr_expect_str_eq(S("privateIp"), "10.1.1.10");
	cr_expect_str_eq(S("region"), "ap-northeast-1");
	cr_expect_str_eq(S("version"), "2017-09-30");
#undef S
	json_decref(j);
}

Test(imds, token_store_bounded)
{
	char *first = token_for("A", "21600"), *last;
	size_t i;

	for (i = 0; i < IMDS_TOKENS_MAX; i++)
		cr_assert_eq(ask("A", "PUT", "/latest/api/token", NULL, "21600",
				 NOW + 1 + (time_t)i % 100), 200);
	last = strdup(rs.body);
	cr_expect_eq(ask("A", "GET", "/latest/meta-data/", first, NULL, NOW + 2),
		     401, "the token closest to expiry was dropped");
	cr_expect_eq(ask("A", "GET", "/latest/meta-data/", last, NULL, NOW + 2),
		     200, "the newest is kept");
	free(first);
	free(last);
}

Test(imds, eni_mac_stable)
{
	char a[18], b[18], c[18];

	imds_eni_mac("eni-0123456789abcdef0", a);
	imds_eni_mac("eni-0123456789abcdef0", b);
	imds_eni_mac("eni-0123456789abcdef1", c);
	cr_expect_str_eq(a, b);
	cr_expect_str_neq(a, c);
}

/* ---- the real server ---- */

struct srv {
	const struct lab *lab;
	const struct instance *in;
	uint32_t want_src;
	int lookups;
};

static const struct instance *lookup(void *data, uint32_t src,
				     const struct lab **ret_lab)
{
	struct srv *v = data;

	v->lookups++;
	if (src != v->want_src)
		return NULL;
	*ret_lab = v->lab;
	return v->in;
}

Test(imds, real_server)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct srv v = { .lab = t.lab, .in = inst("B"),
			 .want_src = INADDR_LOOPBACK };
	struct evloop *el = evloop_new();
	struct imds_server *s;
	char req[512], *resp, *tok;
	int fd, before;
	uint16_t port;

	cr_assert_not_null(el);
	before = test_count_fds();	/* the loop's epoll fd included */
	fd = test_listen_loopback(&port);
	s = imds_server_start(el, fd, lookup, &v);
	cr_assert_not_null(s, "imds_server_start: %s", strerror(errno));

	/* B needs a token: IMDSv1 is refused. */
	resp = test_http_exchange(el, port,
			"GET /latest/meta-data/instance-id HTTP/1.1\r\n"
			"Host: 169.254.169.254\r\nConnection: close\r\n\r\n");
	cr_expect_eq(strncmp(resp, "HTTP/1.1 401 ", 13), 0, "%s", resp);
	free(resp);

	resp = test_http_exchange(el, port,
			"PUT /latest/api/token HTTP/1.1\r\n"
			"Host: 169.254.169.254\r\nConnection: close\r\n"
			"X-aws-ec2-metadata-token-ttl-seconds: 21600\r\n"
			"Content-Length: 0\r\n\r\n");
	cr_assert_eq(strncmp(resp, "HTTP/1.1 200 ", 13), 0, "%s", resp);
	cr_expect(test_http_has_header(resp, "\r\nX-Aws-Ec2-Metadata-Token-Ttl-Seconds: "
				   "21600\r\n"), "%s", resp);
	tok = strdup(test_http_body(resp));
	cr_expect_eq(strlen(tok), 56, "token: %s", tok);
	free(resp);

	snprintf(req, sizeof(req),
		 "GET /latest/meta-data/instance-id HTTP/1.1\r\n"
		 "Host: 169.254.169.254\r\nConnection: close\r\n"
		 "x-aws-ec2-metadata-token: %s\r\n\r\n", tok);
	resp = test_http_exchange(el, port, req);
	cr_expect_eq(strncmp(resp, "HTTP/1.1 200 ", 13), 0, "%s", resp);
	cr_expect(test_http_has_header(resp, "\r\nContent-Type: text/plain\r\n"), "%s",
		  resp);
	cr_expect(test_http_has_header(resp, "\r\nServer: EC2ws\r\n"), "%s", resp);
	cr_expect_str_eq(test_http_body(resp), inst("B")->r.id);
	free(resp);

	/* X-Forwarded-For on the token PUT: 403. */
	resp = test_http_exchange(el, port,
			"PUT /latest/api/token HTTP/1.1\r\n"
			"Host: 169.254.169.254\r\nConnection: close\r\n"
			"X-Forwarded-For: 10.1.1.99\r\n"
			"X-aws-ec2-metadata-token-ttl-seconds: 60\r\n"
			"Content-Length: 0\r\n\r\n");
	cr_expect_eq(strncmp(resp, "HTTP/1.1 403 ", 13), 0, "%s", resp);
	free(resp);

	/* A source that is no instance: 403. */
	v.want_src = 0;
	resp = test_http_exchange(el, port,
			"GET /latest/meta-data/ HTTP/1.1\r\n"
			"Host: 169.254.169.254\r\nConnection: close\r\n\r\n");
	cr_expect_eq(strncmp(resp, "HTTP/1.1 403 ", 13), 0, "%s", resp);
	free(resp);
	cr_expect_eq(v.lookups, 5);

	/* A connection left open is closed by stop, with everything else. */
	{
		int idle = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		sa.sin_port = htons(port);
		cr_assert_eq(connect(idle, (struct sockaddr *)&sa, sizeof(sa)), 0);
		test_run_for(el, 100);	/* MHD accepts it */
		imds_server_stop(s);
		close(idle);
	}
	cr_expect_eq(test_count_fds(), before, "fds leaked by the server");
	evloop_free(el);
	free(tok);
}
