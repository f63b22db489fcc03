/* fuzz_imds.c - libFuzzer target: requests (fuzzhttp.h) to the instance
 * metadata service's HTTP handler, imds_handle, from each instance of one
 * fixed lab and from an address that is no instance; IMDSv2 tokens live
 * across the requests of one input. The lab comes from inline text
 * through the real parser and model builder, once. Must never crash, leak
 * or trip a sanitizer. Built by `make fuzz FUZZ=imds`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzhttp.h"
#include "vpcemu/conf.h"
#include "vpcemu/imds.h"
#include "vpcemu/model.h"

#define NOW ((time_t)1732300000)

/* What IMDS serves, on instances that differ where it answers
 * differently: role, user data, public names and IMDSv1 (A), the defaults
 * (B), the endpoint off (C), another region without DNS hostnames (D). */
static const char lab_text[] =
	"lab fuzz\n"
	"region eu-west-1\n"
	"vpc V { cidr 10.3.0.0/16; dns-hostnames yes }\n"
	"subnet S { vpc V; cidr 10.3.1.0/24 }\n"
	"security-group G { vpc V; description \"g\" }\n"
	"iam-role R { policies AmazonSSMManagedInstanceCore }\n"
	"instance A {\n"
	"	subnet S; security-groups G; iam-instance-profile R\n"
	"	public-ip yes; user-data \"echo hi\"\n"
	"	metadata-tokens optional; metadata-hop-limit 2\n"
	"}\n"
	"instance B { subnet S }\n"
	"instance C { subnet S; metadata-endpoint disabled }\n"
	"vpc E { cidr 10.4.0.0/16; region us-east-1 }\n"
	"subnet ES { vpc E; cidr 10.4.1.0/24 }\n"
	"instance D { subnet ES; public-ip yes; metadata-tokens optional }\n";

static struct lab *lab;

struct ctx {
	struct imds_tokens *tokens;
	const struct instance *in;
};

static void lab_load(void)
{
	struct diags d = { 0 };
	struct conf_file *f;

	f = conf_parse_buffer("fuzz-imds.conf", lab_text, strlen(lab_text), &d);
	if (f)
		lab = model_build(f, NULL, &d);
	if (!lab || d.nerrors || !lab->ninstances)
		abort();	/* the fixed lab itself is broken */
	conf_free(f);
	diags_free(&d);
}

static void handle(void *data, const struct httpd_request *rq,
		   struct httpd_reply *rp)
{
	struct ctx *c = data;

	imds_handle(c->tokens, lab, c->in, NOW - 60, NOW, rq, rp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c = { 0 };

	if (!lab)
		lab_load();
	if (!size)
		return 0;
	/* The first byte picks the client; one past the last is no instance. */
	if (data[0] % (lab->ninstances + 1) < lab->ninstances)
		c.in = lab->instances[data[0] % (lab->ninstances + 1)];
	c.tokens = imds_tokens_new();
	if (!c.tokens)
		abort();
	fuzzhttp_each(data + 1, size - 1, handle, &c);
	imds_tokens_free(c.tokens);
	return 0;
}
