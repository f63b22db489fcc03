/* test_api.c - the API's pure parts: SigV4 against AWS's published test
 * suite vector and requests botocore signed (each twin: one byte changed
 * fails), the Authorization header's parser, form decoding, Query
 * parameters into an operation's input and command words through the
 * model, and a command's JSON into the operation's XML. No root. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/apimodel.h"
#include "vpcemu/apiquery.h"
#include "vpcemu/httpd.h"
#include "vpcemu/sigv4.h"
#include "vpcemu/util.h"

static const char secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/* Whether rq, signed by AKIDEXAMPLE in scope ("DATE/REGION/SERVICE")
 * over signed headers sh at date, has signature want (match) or not. */
static void expect_sig(const struct httpd_request *rq, const char *scope,
		       const char *sh, const char *date, const char *want,
		       bool match)
{
	char *auth = str_printf("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/%s/"
				"aws4_request, SignedHeaders=%s, Signature="
				"%s", scope, sh, want);
	struct sigv4_auth a;
	char got[65];

	cr_assert_eq(sigv4_parse(auth, &a), 0, "%s", auth);
	cr_assert_eq(sigv4_sign(rq, &a, date, secret, got), 0);
	cr_expect_eq(!strcmp(got, want), match, "%s: %s", want, got);
	free(auth);
}

/* AWS's SigV4 test suite, post-x-www-form-urlencoded. */
Test(sigv4, aws_suite_form_post)
{
	struct httpd_field h[] = {
		{ "Content-Type", "application/x-www-form-urlencoded" },
		{ "Host", "example.amazonaws.com" },
		{ "X-Amz-Date", "20150830T123600Z" },
	};
	struct httpd_request rq = { .method = "POST", .path = "/",
				    .headers = h, .nheaders = 3,
				    .body = "Param1=value1", .body_len = 13 };

	static const char sh[] = "content-type;host;x-amz-date",
			  scope[] = "20150830/us-east-1/service",
			  want[] = "ff11897932ad3f4e8b18135d722051e5ac45fc"
				   "38421b1da7b9d196a0fe09473a";

	expect_sig(&rq, scope, sh, "20150830T123600Z", want, true);
	rq.body = "Param1=value2";
	expect_sig(&rq, scope, sh, "20150830T123600Z", want, false);
}

/* What the AWS CLI sends: a form POST to a lab's path, a port in Host,
 * the charset in Content-Type; signature from botocore's SigV4Auth. */
Test(sigv4, botocore_form_post)
{
	static const char body[] =
		"Action=CreateVpc&Version=2016-11-15&CidrBlock=10.1.0.0%2F16&"
		"TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.1."
		"Key=Name&TagSpecification.1.Tag.1.Value=VPC%20A";
	struct httpd_field h[] = {
		{ "Host", "127.0.0.1:4599" },
		{ "Content-Type",
		  " application/x-www-form-urlencoded;  charset=utf-8 " },
		{ "X-Amz-Date", "20261208T000000Z" },
	};
	struct httpd_request rq = { .method = "POST", .path = "/lab-1",
				    .headers = h, .nheaders = 3, .body = body,
				    .body_len = strlen(body) };

	static const char want[] = "9bff112e11e38ced4c996c37cabcadfea8db84"
				   "6b834d760a5bea684c70e75e3d";

	expect_sig(&rq, "20261208/ap-northeast-1/ec2",
		   "content-type;host;x-amz-date", "20261208T000000Z", want,
		   true);
	rq.path = "/lab-2";
	expect_sig(&rq, "20261208/ap-northeast-1/ec2",
		   "content-type;host;x-amz-date", "20261208T000000Z", want,
		   false);
}

/* A GET: the canonical query re-encoded from decoded arguments, sorted. */
Test(sigv4, botocore_get_query)
{
	struct httpd_field h[] = {
		{ "host", "127.0.0.1:4599" },
		{ "x-amz-date", "20261208T000000Z" },
	};
	struct httpd_field args[] = {
		{ "Version", "2016-11-15" },
		{ "Action", "DescribeVpcs" },
		{ "VpcId.1", "vpc-1+2" },
		{ "Filter.1.Value.1", "a b" },
	};
	struct httpd_request rq = { .method = "GET", .path = "/",
				    .headers = h, .nheaders = 2, .args = args,
				    .nargs = 4, .body = "" };

	static const char want[] = "a682646951863d5f948714007b5d13462da279"
				   "2745014214e9f047effc0429c5";

	expect_sig(&rq, "20261208/ap-northeast-1/ec2", "host;x-amz-date",
		   "20261208T000000Z", want, true);
	args[3].value = "a  b";
	expect_sig(&rq, "20261208/ap-northeast-1/ec2", "host;x-amz-date",
		   "20261208T000000Z", want, false);
}

Test(sigv4, signed_header_missing_is_an_error)
{
	struct httpd_field h[] = { { "Host", "x" } };
	struct httpd_request rq = { .method = "GET", .path = "/",
				    .headers = h, .nheaders = 1, .body = "" };
	struct sigv4_auth a;
	char out[65];

	cr_assert_eq(sigv4_parse("AWS4-HMAC-SHA256 Credential=K/20261208/r/s/"
				 "aws4_request,SignedHeaders=host;x-amz-date,"
				 "Signature=" "0123456789abcdef0123456789abcdef"
				 "0123456789abcdef0123456789abcdef", &a), 0);
	cr_expect_str_eq(a.akid, "K");
	cr_expect_str_eq(a.region, "r");
	cr_expect_str_eq(a.service, "s");
	cr_expect_eq(sigv4_sign(&rq, &a, "20261208T000000Z", "k", out),
		     -EINVAL);
}

Test(sigv4, malformed_headers)
{
	static const char *const bad[] = {
		"",
		"AWS4-HMAC-SHA1 Credential=K/20261208/r/s/aws4_request, "
		"SignedHeaders=host, Signature=" "0123456789abcdef0123456789ab"
		"cdef0123456789abcdef0123456789abcdef",
		"AWS4-HMAC-SHA256 Credential=K/20261208/r/s/aws5_request, "
		"SignedHeaders=host, Signature=" "0123456789abcdef0123456789ab"
		"cdef0123456789abcdef0123456789abcdef",
		"AWS4-HMAC-SHA256 Credential=K/20261208/r/aws4_request, "
		"SignedHeaders=host, Signature=" "0123456789abcdef0123456789ab"
		"cdef0123456789abcdef0123456789abcdef",
		"AWS4-HMAC-SHA256 Credential=K/20261208/r/s/aws4_request, "
		"SignedHeaders=host, Signature=0123",
		"AWS4-HMAC-SHA256 Credential=K/20261208/r/s/aws4_request, "
		"Signature=" "0123456789abcdef0123456789abcdef0123456789abcdef"
		"0123456789abcdef",
	};
	struct sigv4_auth a;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		cr_expect_eq(sigv4_parse(bad[i], &a), -EINVAL, "%s", bad[i]);
	cr_expect_eq(sigv4_time("20261208T000000Z"), 1796688000);
	cr_expect_eq(sigv4_time("20261208T000000"), -1);
	cr_expect(sigv4_equal("abc", "abc"));
	cr_expect(!sigv4_equal("abc", "abd"));
	cr_expect(!sigv4_equal("abc", "ab"));
}

/* ---- Query ---- */

static void form(const char *s, struct apiq_params *p)
{
	*p = (struct apiq_params){ 0 };
	cr_assert_eq(apiq_form_parse(s, strlen(s), p), 0, "%s", s);
}

Test(apiquery, form_decoding)
{
	struct apiq_params p;

	form("a=1&b=x+y%2Fz&&c&d=", &p);
	cr_assert_eq(p.n, 4);
	cr_expect_str_eq(apiq_param(&p, "b"), "x y/z");
	cr_expect_str_eq(apiq_param(&p, "c"), "");
	cr_expect_str_eq(apiq_param(&p, "d"), "");
	cr_expect_null(apiq_param(&p, "e"));
	apiq_params_free(&p);
	cr_expect_eq(apiq_form_parse("a=%zz", 5, &p), -EINVAL);
	apiq_params_free(&p);
	cr_expect_eq(apiq_form_parse("a=%2", 4, &p), -EINVAL);
	apiq_params_free(&p);
	cr_expect_eq(apiq_form_parse("a=%00", 5, &p), -EINVAL);
	apiq_params_free(&p);
	cr_expect_eq(apiq_form_parse("=1", 2, &p), -EINVAL);
	apiq_params_free(&p);
}

/* The input and words of one EC2 operation from its form body. */
static int ec2_words(const char *action, const char *body, char **ret,
		     struct apiq_error *e)
{
	const json_t *svc = apimodel_service("ec2");
	const json_t *op = json_object_get(json_object_get(svc, "ops"), action);
	const json_t *shapes = json_object_get(svc, "shapes");
	const char *in_shape = json_string_value(json_object_get(op, "in"));
	struct apiq_params p;
	struct strbuf b = { 0 };
	json_t *in = NULL;
	char **argv;
	size_t argc, i;
	int r;

	cr_assert_not_null(op, "%s", action);
	form(body, &p);
	r = apiq_input(shapes, in_shape, &p, &in, e);
	apiq_params_free(&p);
	if (r)
		return r;
	cr_assert_eq(apiq_argv(shapes, in_shape,
			       json_string_value(json_object_get(op, "cmd")),
			       in, &argv, &argc), 0);
	for (i = 0; i < argc; i++)
		sb_printf(&b, "%s%s", i ? " " : "", argv[i]);
	cr_expect_null(argv[argc]);
	apiq_argv_free(argv, argc);
	json_decref(in);
	*ret = sb_take(&b);
	return 0;
}

Test(apiquery, ec2_input_to_words)
{
	struct apiq_error e = { 0 };
	char *w = NULL;

	cr_assert_eq(ec2_words("CreateVpc",
			       "CidrBlock=10.1.0.0%2F16&TagSpecification.1."
			       "ResourceType=vpc&TagSpecification.1.Tag.1.Key="
			       "Name&TagSpecification.1.Tag.1.Value=A",
			       &w, &e), 0, "%s", e.message);
	cr_expect_str_eq(w, "create-vpc --cidr-block=10.1.0.0/16 "
			    "--tag-specifications [{\"ResourceType\":\"vpc\","
			    "\"Tags\":[{\"Key\":\"Name\",\"Value\":\"A\"}]}]");
	free(w);
	/* Lists of scalars are words; booleans flags; integers typed. */
	cr_assert_eq(ec2_words("RunInstances",
			       "MinCount=1&MaxCount=1&SecurityGroupId.1=sg-1&"
			       "SecurityGroupId.2=sg-2&DisableApiTermination="
			       "false&Monitoring.Enabled=true",
			       &w, &e), 0, "%s", e.message);
	cr_expect_str_eq(w, "run-instances --max-count=1 --min-count=1 "
			    "--monitoring {\"Enabled\":true} "
			    "--security-group-ids sg-1 sg-2 "
			    "--no-disable-api-termination");
	free(w);
}

Test(apiquery, ec2_input_errors)
{
	struct apiq_error e = { 0 };
	char *w = NULL;

	cr_expect_eq(ec2_words("CreateSubnet", "CidrBlock=10.1.1.0%2F24", &w,
			       &e), -EINVAL);
	cr_expect_str_eq(e.code, "MissingParameter");
	cr_expect(strstr(e.message, "VpcId"), "%s", e.message);
	cr_expect_eq(ec2_words("DescribeVpcs", "MaxResults=ten", &w, &e),
		     -EINVAL);
	cr_expect_str_eq(e.code, "InvalidParameterValue");
	cr_expect_eq(ec2_words("DescribeVpcs", "VpcIds.1=vpc-1", &w, &e),
		     -EINVAL);
	cr_expect_str_eq(e.code, "UnknownParameter");
	/* A structure not sent needs none of its required members. */
	cr_expect_eq(ec2_words("RunInstances", "MinCount=1&MaxCount=1", &w,
			       &e), 0);
	free(w);
	w = NULL;
	cr_expect_eq(ec2_words("RunInstances", "MinCount=1&MaxCount=1&"
			       "Monitoring.Foo=1", &w, &e), -EINVAL);
	cr_expect_str_eq(e.code, "UnknownParameter");
}

/* IAM's lists are Name.member.N. */
Test(apiquery, iam_input)
{
	const json_t *svc = apimodel_service("iam");
	const json_t *shapes = json_object_get(svc, "shapes");
	struct apiq_error e = { 0 };
	struct apiq_params p;
	json_t *in = NULL;
	char *s;

	form("RoleName=R&AssumeRolePolicyDocument=%7B%7D&Tags.member.1.Key=k&"
	     "Tags.member.1.Value=v", &p);
	cr_assert_eq(apiq_input(shapes, "CreateRoleRequest", &p, &in, &e), 0,
		     "%s", e.message);
	s = json_dumps(in, JSON_COMPACT | JSON_SORT_KEYS);
	cr_expect_str_eq(s, "{\"AssumeRolePolicyDocument\":\"{}\",\"RoleName\":"
			    "\"R\",\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}");
	free(s);
	json_decref(in);
	apiq_params_free(&p);
	cr_expect_str_eq(apimodel_by_version("2010-05-08"), "iam");
	cr_expect_str_eq(apimodel_by_version("2016-11-15"), "ec2");
	cr_expect_null(apimodel_by_version("2099-01-01"));
}

/* The answer's XML: EC2's lowerCamel names and <item> lists, escaped
 * text, booleans, members the model does not know left out. */
Test(apiquery, ec2_output_xml)
{
	const json_t *svc = apimodel_service("ec2");
	const json_t *shapes = json_object_get(svc, "shapes");
	json_t *out = json_loads(
		"{\"Vpcs\":[{\"VpcId\":\"vpc-1\",\"IsDefault\":false,"
		"\"Tags\":[{\"Key\":\"Name\",\"Value\":\"a<b&c\"}],"
		"\"Vpcemu\":\"x\"}],\"NextToken\":\"t\"}", 0, NULL);
	struct strbuf b = { 0 };

	cr_assert_not_null(out);
	apiq_xml(&b, shapes, "DescribeVpcsResult", out);
	cr_expect_str_eq(b.s, "<vpcSet><item><vpcId>vpc-1</vpcId>"
			      "<isDefault>false</isDefault><tagSet><item>"
			      "<key>Name</key><value>a&lt;b&amp;c</value>"
			      "</item></tagSet></item></vpcSet>"
			      "<nextToken>t</nextToken>");
	sb_free(&b);
	json_decref(out);
}
