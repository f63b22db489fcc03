/* test_internet_host.c - the internet-host kind (res/internet_host.c) and
 * what the lab's internet looks like in the plan and in a router's ruleset:
 * an address outside every VPC and the public pool is accepted, each kind
 * of wrong address refused; the internet namespace exists only where there
 * is a gateway or a host; NAT rules only in a VPC with a gateway.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vpcemu/diag.h"
#include "vpcemu/load.h"
#include "vpcemu/model.h"
#include "vpcemu/nftgen.h"
#include "vpcemu/plan.h"
#include "vpcemu/print.h"
#include "vpcemu/restype.h"

#include "helpers.h"

#define VPC "vpc V { cidr 10.0.0.0/16 }\nsubnet S { vpc V; cidr 10.0.1.0/24 }\n"

static struct test_lab tl;

static void host_fini(void)
{
	test_lab_free(&tl);
}

TestSuite(internet_host, .fini = host_fini);

static void run(const char *text)
{
	test_lab_free(&tl);
	test_lab_text(&tl, "host.conf", text, NULL, TEST_LAB_CHECK);
}

Test(internet_host, address_outside_every_vpc)
{
	const struct internet_host *h;
	char *text;

	run(VPC "internet-host H { ip 192.0.2.10 }\n");
	cr_assert_eq(tl.d.n, 0);
	h = (const struct internet_host *)tl.lab->res[RES_INTERNET_HOST].v[0];
	cr_expect_eq(h->ip, 0xc000020a);
	cr_expect_str_eq(h->netns, "host-H");
	cr_expect_eq(strncmp(h->ifname, "host-", 5), 0, "%s", h->ifname);
	text = print_lab(tl.lab);
	cr_assert_not_null(text);
	cr_expect_not_null(strstr(text, "\ninternet-host H {\n\tip 192.0.2.10\n}\n"),
			   "%s", text);
	free(text);
}

Test(internet_host, address_in_a_vpc_refused)
{
	run(VPC "internet-host H { ip 10.0.5.5 }\n");
	test_expect_one(&tl.d, "InvalidParameterValue", 3, 0);
}

Test(internet_host, address_in_the_public_pool_refused)
{
	run(VPC "internet-host H { ip 203.0.113.7 }\n");
	test_expect_one(&tl.d, "InvalidParameterValue", 3, 0);
}

Test(internet_host, address_not_unicast_refused)
{
	run(VPC "internet-host H { ip 127.0.0.9 }\n");
	test_expect_one(&tl.d, "InvalidParameterValue", 3, 0);
}

Test(internet_host, two_hosts_one_address_refused)
{
	run(VPC "internet-host H { ip 192.0.2.10 }\n"
		"internet-host G { ip 192.0.2.10 }\n");
	test_expect_one(&tl.d, "InvalidIPAddress.InUse", 4, 0);
}

/* User data as instances have it: inline or from a file beside the lab
 * file, printed back; never both, and a file that cannot be read is an
 * error at load. */
Test(internet_host, user_data_as_for_instances)
{
	char dir[] = "/tmp/vpcemu-host-XXXXXX", path[64], *text;
	const struct internet_host *h;
	struct diags d = { 0 };
	struct lab *lab = NULL;
	FILE *f;

	run(VPC "internet-host H { ip 192.0.2.10; user-data \"echo hi\" }\n");
	cr_assert_eq(tl.d.n, 0);
	h = (const struct internet_host *)tl.lab->res[RES_INTERNET_HOST].v[0];
	cr_expect_str_eq(user_data_script(&h->ud), "echo hi");
	text = print_lab(tl.lab);
	cr_assert_not_null(text);
	cr_expect_not_null(strstr(text, "\tip 192.0.2.10\n\tuser-data \"echo hi\"\n"),
			   "%s", text);
	free(text);
	test_lab_free(&tl);
	test_lab_text(&tl, "host.conf",
		      VPC "internet-host H { ip 192.0.2.10; user-data \"x\"\n"
			  "  user-data-file x.sh }\n",
		      NULL, 0);
	test_expect_one(&tl.d, "InvalidParameterValue", 4, 3);

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ud.sh", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("echo from-file\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/lab.conf", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(VPC "internet-host H { ip 192.0.2.10; user-data-file ud.sh }\n"
	      "internet-host G { ip 192.0.2.11; user-data-file gone.sh }\n", f);
	fclose(f);
	cr_expect_eq(load_lab_file(path, NULL, NULL, &d, &lab), -EINVAL);
	cr_assert_not_null(lab);
	cr_expect_eq(d.nerrors, 1);
	cr_expect_not_null(strstr(d.v[0].message, "gone.sh"), "%s",
			   d.v[0].message);
	h = (const struct internet_host *)model_find(lab, RES_INTERNET_HOST, "H");
	cr_expect_str_eq(user_data_script(&h->ud), "echo from-file\n");
	lab_free(lab);
	diags_free(&d);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ud.sh", dir);
	unlink(path);
	rmdir(dir);
}

static const struct plan_ns *ns_named(const struct plan *p, const char *n)
{
	size_t i;

	for (i = 0; i < p->nns; i++)
		if (!strcmp(p->ns[i].name, n))
			return &p->ns[i];
	return NULL;
}

Test(internet_host, the_internet_only_when_needed)
{
	struct plan *p;

	run(VPC "instance I { subnet S; public-ip yes }\n");
	p = plan_build(tl.lab);
	cr_assert_not_null(p);
	cr_expect_null(ns_named(p, "host-_internet"));
	plan_free(p);

	run(VPC "internet-host H { ip 192.0.2.10 }\n");
	p = plan_build(tl.lab);
	cr_assert_not_null(p);
	cr_expect_eq(ns_named(p, "host-_internet")->kind, PLAN_NS_INTERNET);
	cr_expect_eq(ns_named(p, "host-H")->kind, PLAN_NS_HOST);
	plan_free(p);
}

/* The router of a VPC with a gateway translates its public IPs; one
 * without has no NAT at all. */
Test(internet_host, nat_only_behind_a_gateway)
{
	const struct instance *in;
	char *rs, want[64], pub[IP_BUF];

	run(VPC "instance I { subnet S; private-ip 10.0.1.10; public-ip yes }\n");
	rs = nftgen_router(tl.lab, tl.lab->vpcs[0]);
	cr_assert_not_null(rs);
	cr_expect_null(strstr(rs, "type nat"), "%s", rs);
	free(rs);

	run(VPC "instance I { subnet S; private-ip 10.0.1.10; public-ip yes }\n"
		"instance J { subnet S; private-ip 10.0.1.11; public-ip no }\n"
		"internet-gateway G { vpc V }\n");
	in = tl.lab->instances[0];
	rs = nftgen_router(tl.lab, tl.lab->vpcs[0]);
	cr_assert_not_null(rs);
	snprintf(want, sizeof(want), "%s : 10.0.1.10,",
		 ip_fmt(in->public_ipv4, pub));
	cr_expect_not_null(strstr(rs, want), "no %s in\n%s", want, rs);
	cr_expect_not_null(strstr(rs, "type nat hook prerouting"), "%s", rs);
	cr_expect_not_null(strstr(rs, "type nat hook postrouting"), "%s", rs);
	cr_expect(!strstr(rs, ": 10.0.1.11,") && !strstr(rs, "10.0.1.11 :"),
		  "J has no public IP but is in a NAT map:\n%s", rs);
	free(rs);
}
