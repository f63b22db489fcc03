/* test_privatelink.c - Network Load Balancers and endpoint services for
 * real: curl through the load balancer from inside its
 * VPC and through an accepted interface endpoint from a consumer VPC with
 * the same CIDR. Every "passes" has a "blocked" twin: an endpoint not
 * accepted, an endpoint whose group lacks the port, a port no listener
 * has, a load balancer whose group admits another subnet only, the
 * provider's side trying to open a flow into the consumer; cross-zone off
 * keeps a node's flows in its AZ, on spreads them.
 *
 * The lab is "it<pid>-plink"; .fini takes it down after each test.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

/* %1$s: the lab name, so that each web server serves its own directory. */
static const char lab_fmt[] =
	"region ap-northeast-1\n"
	"vpc Provider { cidr 10.0.0.0/16 }\n"
	"subnet P1a { vpc Provider; cidr 10.0.1.0/24; az ap-northeast-1a }\n"
	"subnet P1c { vpc Provider; cidr 10.0.2.0/24; az ap-northeast-1c }\n"
	"security-group Web { vpc Provider; ingress tcp 80 from 10.0.0.0/16\n"
	"  ingress tcp 80 from 192.0.2.10/32 }\n"
	"security-group FromP1c { vpc Provider; ingress tcp 80 from 10.0.2.0/24 }\n"
	TEST_WEB_SERVERS
	"instance Inside { subnet P1a; private-ip 10.0.1.20 }\n"
	"instance Inside2 { subnet P1c; private-ip 10.0.2.20 }\n"
	"internet-gateway IGW { vpc Provider }\n"
	"route-table RPub { vpc Provider; associate P1a P1c\n"
	"  route 0.0.0.0/0 via IGW }\n"
	"internet-host H { ip 192.0.2.10 }\n"
	"load-balancer Public { scheme internet-facing; subnets P1a\n"
	"  private-ips 10.0.1.7 }\n"
	"target-group Webs4 { vpc Provider; port 80; targets Web-1 }\n"
	"listener L4 { load-balancer Public; port 80; forward Webs4 }\n"
	"load-balancer Spread { subnets P1a P1c; cross-zone yes\n"
	"  private-ips 10.0.1.4 10.0.2.4 }\n"
	"load-balancer Zonal { subnets P1a P1c; private-ips 10.0.1.5 10.0.2.5 }\n"
	"load-balancer Narrow { subnets P1a; security-groups FromP1c\n"
	"  private-ips 10.0.1.6 }\n"
	"target-group Webs { vpc Provider; port 80; targets Web-1 Web-2 }\n"
	"target-group Webs2 { vpc Provider; port 80; targets Web-1 Web-2 }\n"
	"target-group Webs3 { vpc Provider; port 80; targets Web-1 }\n"
	"listener L1 { load-balancer Spread; port 80; forward Webs }\n"
	"listener L2 { load-balancer Zonal; port 80; forward Webs2 }\n"
	"listener L3 { load-balancer Narrow; port 80; forward Webs3 }\n"
	"endpoint-service Svc { load-balancers Spread; accept E-ok E-shut }\n"
	"vpc Consumer { cidr 10.0.0.0/16 }\n"
	"subnet C1a { vpc Consumer; cidr 10.0.1.0/24; az ap-northeast-1a }\n"
	"security-group EpOpen { vpc Consumer; ingress tcp 80 from 10.0.0.0/16 }\n"
	"security-group EpShut { vpc Consumer; ingress tcp 22 from 10.0.0.0/16 }\n"
	"instance Client { subnet C1a; private-ip 10.0.1.10 }\n"
	"endpoint E-ok { vpc Consumer; service Svc; subnets C1a\n"
	"  security-groups EpOpen; private-ips 10.0.1.100 }\n"
	"endpoint E-pending { vpc Consumer; service Svc; subnets C1a\n"
	"  security-groups EpOpen; private-ips 10.0.1.101 }\n"
	"endpoint E-shut { vpc Consumer; service Svc; subnets C1a\n"
	"  security-groups EpShut; private-ips 10.0.1.102 }\n";

static char lab_name[64], file[128];

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("integration tests need root");
	test_lab_write_fmt(lab_name, sizeof(lab_name), file, sizeof(file),
			   "plink", lab_fmt);
}

static void teardown(void)
{
	if (geteuid() == 0) {
		test_lab_down(lab_name, file);
		test_web_servers_clean(lab_name);
	}
}

TestSuite(privatelink, .init = setup, .fini = teardown, .timeout = 120);

/* Up, and both web servers listening (user data starts them; asking
 * them would leave flows that targets_see_the_load_balancer counts). */
static void up(void)
{
	int i;

	test_lab_up(file, lab_name);
	for (i = 0; i < 50; i++) {
		if (!test_sh("for w in Web-1 Web-2; do ip netns exec %s-$w ss "
			     "-Hltn 'sport = :80' | grep -q . || exit 1; done",
			     lab_name))
			return;
		test_pause_ms(100);
	}
	cr_assert_fail("the web servers did not start");
}

/* The body curl gets from who for url, or "" (caller frees). */
static char *get(const char *who, const char *url)
{
	return test_sh_output("ip netns exec %s-%s curl -s -m 2 %s", lab_name,
			      who, url);
}

static void expect_page(const char *who, const char *url)
{
	char *out = get(who, url);

	cr_expect(strstr(out, "page-of-web-") != NULL, "%s -> %s: '%s'", who,
		  url, out);
	free(out);
}

static void expect_nothing(const char *who, const char *url)
{
	char *out = get(who, url);

	cr_expect(out[0] == '\0', "%s -> %s answered: '%s'", who, url, out);
	free(out);
}

/* How many of n requests from who to url each web server answered. */
static void count_pages(const char *who, const char *url, int n, int got[2])
{
	int i;

	got[0] = got[1] = 0;
	for (i = 0; i < n; i++) {
		char *out = get(who, url);

		got[0] += strstr(out, "page-of-web-1") != NULL;
		got[1] += strstr(out, "page-of-web-2") != NULL;
		free(out);
	}
}

Test(privatelink, consumer_reaches_provider_through_an_accepted_endpoint)
{
	up();
	expect_page("Client", "http://10.0.1.100/");
	/* Not accepted: pendingAcceptance carries nothing. */
	expect_nothing("Client", "http://10.0.1.101/");
	/* Accepted, but the endpoint's group does not admit port 80. */
	expect_nothing("Client", "http://10.0.1.102/");
	/* Only the listeners' ports go through. */
	expect_nothing("Client", "http://10.0.1.100:8080/");
}

/* The clients web server w served, by its log, as "A B ..." (caller
 * frees): the source addresses it saw. */
static char *peers_of(const char *w)
{
	return test_sh_output("awk '/GET/ {print $1}' /tmp/%s-w%c.log | "
			      "sort -u | tr '\\n' ' '",
			      lab_name, w[strlen(w) - 1]);
}

/* The targets see the load balancer's addresses, never the consumer's. */
Test(privatelink, targets_see_the_load_balancer)
{
	char *peers, *more;

	up();
	expect_page("Client", "http://10.0.1.100/");
	expect_page("Client", "http://10.0.1.100/");
	/* Spread is cross-zone: either server may have had the flows. */
	peers = peers_of("Web-1");
	more = peers_of("Web-2");
	cr_expect(strstr(peers, "10.0.1.4 ") || strstr(more, "10.0.1.4 "),
		  "peers: %s / %s", peers, more);
	cr_expect(!strstr(peers, "10.0.1.10 ") && !strstr(more, "10.0.1.10 ") &&
			  !strstr(peers, "169.254.") && !strstr(more, "169.254."),
		  "a target saw the consumer's side: %s / %s", peers, more);
	free(more);
	free(peers);
}

/* The DNS name of load balancer lb, as `describe` gives it (caller
 * frees). */
static char *lb_name(const char *lb)
{
	char *name = test_sh_output("%s describe load-balancers --lab %s "
				    "--output json | grep -o '%s-[0-9a-f]*"
				    "\\.elb[^\"]*'",
				    vpcemu(), lab_name, lb);

	name[strcspn(name, "\n")] = '\0';
	cr_assert(name[0], "no DNS name for %s", lb);
	return name;
}


/* Inside the VPC, and from the internet, instance targets see the
 * client's own address (the node forwards it as is, and the router
 * brings the replies back through the node). */
Test(privatelink, targets_see_their_clients_in_the_vpc)
{
	char *peers, *name, url[300];

	up();
	expect_page("Inside", "http://10.0.1.5/");
	name = lb_name("Public");
	snprintf(url, sizeof(url), "http://%s/", name);
	expect_page("H", url);
	free(name);
	peers = peers_of("Web-1");
	cr_expect(strstr(peers, "10.0.1.20 ") != NULL, "peers: %s", peers);
	cr_expect(strstr(peers, "192.0.2.10 ") != NULL, "peers: %s", peers);
	cr_expect(strstr(peers, "10.0.1.5 ") == NULL, "peers: %s", peers);
	free(peers);
}

/* the provider's side never opens a flow into the consumer, not
 * even from the node that holds the PrivateLink link. */
Test(privatelink, provider_cannot_reach_the_consumer)
{
	up();
	expect_page("Client", "http://10.0.1.100/");
	cr_expect_neq(test_sh("ip netns exec %s-Spread-P1a ping -q -c 1 -W 1 "
			      "169.254.192.2 >/dev/null",
			      lab_name), 0);
	cr_expect_neq(test_sh("ip netns exec %s-Spread-P1a curl -s -m 1 "
			      "http://169.254.192.2/ >/dev/null",
			      lab_name), 0);
	expect_nothing("Web-1", "http://10.0.1.100/");
}

/* Inside the provider VPC: cross-zone on spreads flows over both AZs'
 * targets; off keeps the AZ-a node's flows on Web-1. The name resolves
 * to the nodes. */
Test(privatelink, cross_zone_spreads_flows)
{
	char *name, url[300];
	int got[2];

	up();
	count_pages("Inside", "http://10.0.1.4/", 16, got);
	cr_expect(got[0] > 0 && got[1] > 0 && got[0] + got[1] == 16,
		  "cross-zone: web-1 %d, web-2 %d", got[0], got[1]);
	count_pages("Inside", "http://10.0.1.5/", 8, got);
	cr_expect(got[0] == 8 && got[1] == 0, "zonal: web-1 %d, web-2 %d",
		  got[0], got[1]);
	name = lb_name("Spread");
	snprintf(url, sizeof(url), "http://%s/", name);
	expect_page("Inside", url);
	free(name);
}

/* A load balancer's group filters what reaches its nodes. */
Test(privatelink, load_balancer_group_filters)
{
	up();
	expect_page("Inside2", "http://10.0.1.6/");
	expect_nothing("Inside", "http://10.0.1.6/");
}

/* An internet-facing load balancer has a public IP per node, which its
 * name resolves to on the internet; an internal one's name resolves to
 * private addresses, which the internet cannot reach. */
Test(privatelink, internet_facing_from_the_internet)
{
	char *pub, *in, url[300];

	up();
	pub = lb_name("Public");
	in = lb_name("Spread");
	snprintf(url, sizeof(url), "http://%s/", pub);
	expect_page("H", url);
	snprintf(url, sizeof(url), "http://%s/", in);
	expect_nothing("H", url);
	free(pub);
	free(in);
}

Test(privatelink, down_leaves_nothing)
{
	char out[4096];

	up();
	cr_expect_eq(RUN(out, (char *)vpcemu(), "down", lab_name), 0, "%s",
		     out);
	test_assert_no_leak(lab_name);
}
