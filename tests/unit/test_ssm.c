/* test_ssm.c - the pure parts of the SSM probe (role check, resolv.conf,
 * DNS wire format), the probe's paths that send no packet, and the
 * argument checks of the user data runner. No root: packets and
 * namespaces are tests/integration/test_ssm_agent.c's.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "vpcemu/evloop.h"
#include "vpcemu/model.h"
#include "vpcemu/ssm.h"
#include "vpcemu/userdata.h"

#define NAME "ssm.ap-northeast-1.amazonaws.com"

/* ---- role -------------------------------------------------------------- */

static struct iam_role role_with(char **policies, size_t n)
{
	struct iam_role r = { .r.name = "App", .policies = policies,
			      .npolicies = n };

	return r;
}

Test(ssm, role_check)
{
	char *none[] = { "AmazonS3ReadOnlyAccess" };
	char *name[] = { "AmazonS3ReadOnlyAccess", SSM_POLICY };
	char *arn[] = { "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" };
	char *near[] = { "AmazonSSMManagedInstanceCoreX",
			 "amazonssmmanagedinstancecore",
			 "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCoreX",
			 "policy/AmazonSSMManagedInstanceCore",
			 "AmazonEC2RoleforSSM" };
	struct iam_role r;

	cr_expect_not(ssm_role_ok(NULL));
	r = role_with(NULL, 0);
	cr_expect_not(ssm_role_ok(&r));
	r = role_with(none, 1);
	cr_expect_not(ssm_role_ok(&r));
	r = role_with(name, 2);
	cr_expect(ssm_role_ok(&r));
	r = role_with(arn, 1);
	cr_expect(ssm_role_ok(&r));
	r = role_with(near, sizeof(near) / sizeof(near[0]));
	cr_expect_not(ssm_role_ok(&r));
}

/* ---- resolv.conf ------------------------------------------------------- */

/* Text inline: Criterion hands parameters to a re-executed worker, where
 * pointers into the runner's memory mean nothing. */
struct resolv_case {
	char text[96];
	int ret;
	uint32_t ns;
};

ParameterizedTestParameters(ssm, resolv)
{
	static struct resolv_case cases[] = {
		/* what plan.c writes */
		{ "nameserver 10.1.0.2\nsearch ap-northeast-1.compute.internal\n",
		  0, 0x0a010002 },
		{ "search ec2.internal\nnameserver 10.2.0.2\n", 0, 0x0a020002 },
		{ "# nameserver 1.1.1.1\n; nameserver 2.2.2.2\n"
		  "nameserver\t10.3.0.2 # comment\n", 0, 0x0a030002 },
		{ "nameserver fd00:ec2::253\nnameserver 169.254.169.253\n", 0,
		  0xa9fea9fd },
		{ "nameserver 10.0.0.2\r\n", 0, 0x0a000002 },
		{ "nameserver 10.0.0.2", 0, 0x0a000002 },	/* no newline */
		{ "nameserver 10.0.0.2\nnameserver 10.0.0.3\n", 0, 0x0a000002 },
		{ " nameserver 10.0.0.2\n", -ENOENT, 0 },	/* not at start */
		{ "nameservers 10.0.0.2\n", -ENOENT, 0 },
		{ "nameserver\n", -ENOENT, 0 },
		{ "nameserver 10.0.0.256\n", -ENOENT, 0 },
		{ "search x\n", -ENOENT, 0 },
		{ "", -ENOENT, 0 },
	};

	return cr_make_param_array(struct resolv_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct resolv_case *c, ssm, resolv)
{
	uint32_t ns = 0;

	cr_expect_eq(ssm_resolv_nameserver(c->text, &ns), c->ret, "%s",
		     c->text);
	if (c->ret == 0)
		cr_expect_eq(ns, c->ns, "%s: %08x", c->text, ns);
}

/* ---- DNS wire format --------------------------------------------------- */

Test(ssm, query_bytes)
{
	static const uint8_t want[] = {
		0xbe, 0xef,		/* id */
		0x01, 0x00,		/* RD, opcode QUERY */
		0, 1, 0, 0, 0, 0, 0, 0,	/* one question */
		3, 's', 's', 'm',
		14, 'a', 'p', '-', 'n', 'o', 'r', 't', 'h', 'e', 'a', 's', 't',
		'-', '1',
		9, 'a', 'm', 'a', 'z', 'o', 'n', 'a', 'w', 's',
		3, 'c', 'o', 'm', 0,
		0, 1, 0, 1,		/* A IN */
	};
	uint8_t *q = NULL;
	size_t len = 0;

	cr_assert_eq(ssm_dns_query(NAME, 0xbeef, &q, &len), 0);
	cr_assert_eq(len, sizeof(want));
	cr_expect_arr_eq(q, want, sizeof(want));
	free(q);
	/* A trailing dot is the same name. */
	cr_assert_eq(ssm_dns_query(NAME ".", 0xbeef, &q, &len), 0);
	cr_assert_eq(len, sizeof(want));
	cr_expect_arr_eq(q, want, sizeof(want));
	free(q);
}

Test(ssm, query_bad_names)
{
	uint8_t *q = NULL;
	size_t len = 0;
	char label[80];

	cr_expect_eq(ssm_dns_query("", 1, &q, &len), -EINVAL);
	cr_expect_eq(ssm_dns_query(NULL, 1, &q, &len), -EINVAL);
	memset(label, 'a', 70);
	strcpy(label + 70, ".com");	/* a 70-byte label: over 63 */
	cr_expect_eq(ssm_dns_query(label, 1, &q, &len), -EINVAL);
	cr_expect_null(q);
}

/* A reply as a server would send it: header fields, the question (qname
 * or none), then answer records in presentation format. Returns malloc'd
 * wire bytes. */
static uint8_t *reply(uint16_t id, bool qr, ldns_pkt_rcode rcode,
		      const char *qname, const char *const *answers,
		      size_t nanswers, size_t *ret_len)
{
	ldns_pkt *p = ldns_pkt_new();
	uint8_t *wire = NULL;
	size_t i;

	cr_assert_not_null(p);
	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, qr);
	ldns_pkt_set_rd(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_rcode(p, rcode);
	if (qname) {
		ldns_rr *q = ldns_rr_new();

		ldns_rr_set_owner(q, ldns_dname_new_frm_str(qname));
		ldns_rr_set_type(q, LDNS_RR_TYPE_A);
		ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
		ldns_rr_set_question(q, true);
		cr_assert(ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q));
	}
	for (i = 0; i < nanswers; i++) {
		ldns_rr *rr = NULL;

		cr_assert_eq(ldns_rr_new_frm_str(&rr, answers[i], 0, NULL,
						 NULL),
			     LDNS_STATUS_OK, "%s", answers[i]);
		cr_assert(ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr));
	}
	cr_assert_eq(ldns_pkt2wire(&wire, p, ret_len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return wire;
}

static enum ssm_dns_verdict judge(uint8_t *wire, size_t len, uint32_t *addr,
				  unsigned *rcode)
{
	enum ssm_dns_verdict v;

	v = ssm_dns_parse(wire, len, 0x1234, NAME, addr, rcode);
	free(wire);
	return v;
}

Test(ssm, parse_answers)
{
	static const char *const a[] = { NAME ". 60 IN A 10.1.1.5",
					 NAME ". 60 IN A 10.1.2.5" };
	static const char *const cname[] = {
		NAME ". 60 IN CNAME vpce-1.ssm.ap-northeast-1.vpce.amazonaws.com.",
		"vpce-1.ssm.ap-northeast-1.vpce.amazonaws.com. 60 IN A 10.1.3.7",
	};
	static const char *const txt[] = { NAME ". 60 IN TXT \"x\"" };
	uint32_t addr = 0;
	unsigned rcode = 0;
	size_t len;
	uint8_t *w;

	w = reply(0x1234, true, LDNS_RCODE_NOERROR, NAME, a, 2, &len);
	cr_expect_eq(judge(w, len, &addr, &rcode), SSM_DNS_ADDR);
	cr_expect_eq(addr, 0x0a010105, "first A: %08x", addr);

	w = reply(0x1234, true, LDNS_RCODE_NOERROR, NAME, cname, 2, &len);
	cr_expect_eq(judge(w, len, &addr, &rcode), SSM_DNS_ADDR);
	cr_expect_eq(addr, 0x0a010307, "A behind the CNAME: %08x", addr);

	/* Names compare without case (0x20 mixing). */
	w = reply(0x1234, true, LDNS_RCODE_NOERROR,
		  "SSM.Ap-Northeast-1.AmazonAWS.com", a, 1, &len);
	cr_expect_eq(judge(w, len, &addr, &rcode), SSM_DNS_ADDR);

	w = reply(0x1234, true, LDNS_RCODE_NOERROR, NAME, txt, 1, &len);
	cr_expect_eq(judge(w, len, &addr, &rcode), SSM_DNS_NODATA);
	w = reply(0x1234, true, LDNS_RCODE_NOERROR, NAME, NULL, 0, &len);
	cr_expect_eq(judge(w, len, &addr, &rcode), SSM_DNS_NODATA);

	w = reply(0x1234, true, LDNS_RCODE_NXDOMAIN, NAME, NULL, 0, &len);
	cr_expect_eq(judge(w, len, &addr, &rcode), SSM_DNS_RCODE);
	cr_expect_eq(rcode, LDNS_RCODE_NXDOMAIN);
	w = reply(0x1234, true, LDNS_RCODE_SERVFAIL, NAME, NULL, 0, &len);
	cr_expect_eq(judge(w, len, &addr, &rcode), SSM_DNS_RCODE);
	cr_expect_eq(rcode, LDNS_RCODE_SERVFAIL);
	/* An error without the question (FORMERR often has none). */
	w = reply(0x1234, true, LDNS_RCODE_FORMERR, NULL, NULL, 0, &len);
	cr_expect_eq(judge(w, len, &addr, &rcode), SSM_DNS_RCODE);
	cr_expect_eq(rcode, LDNS_RCODE_FORMERR);
}

Test(ssm, parse_ignores_others)
{
	static const char *const a[] = { NAME ". 60 IN A 10.1.1.5" };
	static const uint8_t garbage[] = { 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1,
					   0, 0, 0, 0, 60, 'x' };
	uint32_t addr = 0;
	size_t len;
	uint8_t *w;

	/* another id */
	w = reply(0x4321, true, LDNS_RCODE_NOERROR, NAME, a, 1, &len);
	cr_expect_eq(judge(w, len, &addr, NULL), SSM_DNS_IGNORE);
	/* a query, not a response (our own packet looped back) */
	w = reply(0x1234, false, LDNS_RCODE_NOERROR, NAME, a, 1, &len);
	cr_expect_eq(judge(w, len, &addr, NULL), SSM_DNS_IGNORE);
	/* the answer to another question */
	w = reply(0x1234, true, LDNS_RCODE_NOERROR,
		  "ssmmessages.ap-northeast-1.amazonaws.com", a, 1, &len);
	cr_expect_eq(judge(w, len, &addr, NULL), SSM_DNS_IGNORE);
	/* NOERROR without any question cannot be matched to ours */
	w = reply(0x1234, true, LDNS_RCODE_NOERROR, NULL, a, 1, &len);
	cr_expect_eq(judge(w, len, &addr, NULL), SSM_DNS_IGNORE);
	/* too short for a header */
	cr_expect_eq(ssm_dns_parse(garbage, 3, 0x1234, NAME, &addr, NULL),
		     SSM_DNS_IGNORE);
	/* our id, then nonsense */
	cr_expect_eq(ssm_dns_parse(garbage, sizeof(garbage), 0x1234, NAME,
				   &addr, NULL),
		     SSM_DNS_MALFORMED);
	cr_expect_eq(addr, 0);
}

Test(ssm, rcode_names)
{
	char buf[16];

	cr_expect_str_eq(ssm_rcode_name(3, buf, sizeof(buf)), "NXDOMAIN");
	cr_expect_str_eq(ssm_rcode_name(2, buf, sizeof(buf)), "SERVFAIL");
	cr_expect_str_eq(ssm_rcode_name(5, buf, sizeof(buf)), "REFUSED");
	cr_expect_str_eq(ssm_rcode_name(15, buf, sizeof(buf)), "RCODE 15");
}

/* ---- probes that send nothing ------------------------------------------ */

struct outcome {
	int calls;
	struct ssm_result r;
	struct evloop *el;
};

static void on_done(void *data, const struct ssm_result *r)
{
	struct outcome *o = data;

	o->calls++;
	o->r = *r;
	evloop_stop(o->el);
}

static void on_guard(struct evloop *el, uint64_t id, void *data)
{
	evloop_stop(el);
}

/* Starts a probe, checks done did not run inside the call, then runs the
 * loop until done or 3 s. */
static struct outcome probe(const char *netns, const struct iam_role *role)
{
	struct outcome o = { 0 };
	struct ssm_probe *p;

	o.el = evloop_new();
	cr_assert_not_null(o.el);
	p = ssm_probe_start(o.el, netns, "ap-northeast-1", role, on_done, &o);
	cr_assert_not_null(p);
	cr_assert_eq(o.calls, 0, "done ran inside ssm_probe_start");
	cr_assert_neq(evloop_add_timer(o.el, 3000, 0, on_guard, NULL), 0);
	evloop_run(o.el);
	evloop_free(o.el);
	return o;
}

Test(ssm, probe_without_role)
{
	struct outcome o = probe("no-such-ns", NULL);

	cr_assert_eq(o.calls, 1);
	cr_expect_not(o.r.online);
	cr_expect_str_eq(o.r.reason, "no IAM instance profile");
	cr_expect_str_empty(o.r.targets[0].name);
}

Test(ssm, probe_role_lacks_policy)
{
	char *pols[] = { "AmazonS3ReadOnlyAccess" };
	struct iam_role r = role_with(pols, 1);
	struct outcome o = probe("no-such-ns", &r);

	cr_assert_eq(o.calls, 1);
	cr_expect_not(o.r.online);
	cr_expect_str_eq(o.r.reason,
			 "role App lacks AmazonSSMManagedInstanceCore");
}

Test(ssm, probe_namespace_missing)
{
	char *pols[] = { SSM_POLICY };
	struct iam_role r = role_with(pols, 1);
	struct outcome o = probe("vpcemu-unit-no-such-ns", &r);

	cr_assert_eq(o.calls, 1);
	cr_expect_not(o.r.online);
	cr_expect_str_eq(o.r.reason, "cannot open sockets in namespace "
				     "vpcemu-unit-no-such-ns: No such file or "
				     "directory");
	cr_expect_str_eq(o.r.targets[1].name,
			 "ssmmessages.ap-northeast-1.amazonaws.com");
	cr_expect_str_eq(o.r.targets[2].name,
			 "ec2messages.ap-northeast-1.amazonaws.com");
}

Test(ssm, probe_names_china)
{
	char *pols[] = { SSM_POLICY };
	struct iam_role r = role_with(pols, 1);
	struct outcome o = { 0 };

	o.el = evloop_new();
	cr_assert_not_null(o.el);
	cr_assert_not_null(ssm_probe_start(o.el, "vpcemu-unit-no-such-ns",
					   "cn-north-1", &r, on_done, &o));
	cr_assert_neq(evloop_add_timer(o.el, 3000, 0, on_guard, NULL), 0);
	evloop_run(o.el);
	evloop_free(o.el);
	cr_assert_eq(o.calls, 1);
	cr_expect_str_eq(o.r.targets[0].name, "ssm.cn-north-1.amazonaws.com.cn");
}

Test(ssm, probe_cancel_before_done)
{
	struct outcome o = { 0 };
	struct ssm_probe *p;

	o.el = evloop_new();
	cr_assert_not_null(o.el);
	p = ssm_probe_start(o.el, "x", "us-east-1", NULL, on_done, &o);
	cr_assert_not_null(p);
	ssm_probe_cancel(p);
	ssm_probe_cancel(NULL);
	cr_assert_neq(evloop_add_timer(o.el, 50, 0, on_guard, NULL), 0);
	evloop_run(o.el);
	evloop_free(o.el);
	cr_expect_eq(o.calls, 0, "done called after cancel");
}

Test(ssm, probe_bad_arguments)
{
	struct evloop *el = evloop_new();

	cr_assert_not_null(el);
	errno = 0;
	cr_expect_null(ssm_probe_start(el, NULL, "us-east-1", NULL, on_done,
				       NULL));
	cr_expect_eq(errno, EINVAL);
	cr_expect_null(ssm_probe_start(el, "x", "us-east-1", NULL, NULL,
				       NULL));
	evloop_free(el);
}

/* ---- user data: what fails before any fork ----------------------------- */

static void ud_never(void *data, int status)
{
	cr_assert_fail("done called for a run that did not start");
}

Test(userdata, start_errors)
{
	struct evloop *el = evloop_new();

	cr_assert_not_null(el);
	errno = 0;
	cr_expect_null(userdata_start(el, "a/b", NULL, NULL, "true",
				      "/dev/null", ud_never, NULL));
	cr_expect_eq(errno, EINVAL);
	cr_expect_null(userdata_start(el, "..", NULL, NULL, "true",
				      "/dev/null", ud_never, NULL));
	cr_expect_eq(errno, EINVAL);
	cr_expect_null(userdata_start(el, "x", NULL, NULL, NULL, "/dev/null",
				      ud_never, NULL));
	cr_expect_eq(errno, EINVAL);
	cr_expect_null(userdata_start(el, "vpcemu-unit-no-such-ns", NULL,
				      NULL, "true", "/dev/null", ud_never,
				      NULL));
	cr_expect_eq(errno, ENOENT);
	userdata_cancel(NULL);
	cr_expect_eq(userdata_pid(NULL), 0);
	evloop_free(el);
}
