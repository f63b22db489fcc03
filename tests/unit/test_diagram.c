/* test_diagram.c - the lab drawn as DOT: every topology against its
 * golden file (golden/diagram/NAME.dot, VPCEMU_UPDATE_GOLDEN=1 rewrites),
 * and one picture rendered by Graphviz checked for being a real PNG
 * (skipped only where the dot program is missing). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vpcemu/diagram.h"
#include "vpcemu/model.h"

#include "helpers.h"

/* Compares the DOT of lab file path with golden/diagram/STEM.dot. */
static void golden(const char *path, const char *stem)
{
	struct test_lab t;
	char gold[256], *dot;

	test_lab_file(&t, path, NULL, TEST_LAB_CHECK | TEST_LAB_CLEAN);
	dot = diagram_dot(t.lab);
	cr_assert_not_null(dot);
	snprintf(gold, sizeof(gold), "golden/diagram/%s.dot", stem);
	test_golden(gold, dot);
	free(dot);
	test_lab_free(&t);
}

/* Every lab under topologies/, and the internet edge (NAT gateway,
 * Elastic IPs, an internet host). */
Test(diagram, golden_gateway_endpoints)
{
	golden("../topologies/gateway-endpoints.conf", "gateway-endpoints");
}
Test(diagram, golden_privatelink)
{
	golden("../topologies/privatelink.conf", "privatelink");
}
Test(diagram, golden_public_web)
{
	golden("../topologies/public-web.conf", "public-web");
}
Test(diagram, golden_three_tier)
{
	golden("../topologies/three-tier.conf", "three-tier");
}
Test(diagram, golden_transit_gateway)
{
	golden("../topologies/transit-gateway.conf", "transit-gateway");
}
Test(diagram, golden_transitive)
{
	golden("../topologies/transitive.conf", "transitive");
}
Test(diagram, golden_vpc_peering)
{
	golden("../topologies/vpc-peering.conf", "vpc-peering");
}
Test(diagram, golden_internet_edge)
{
	golden("unit/data/internet-edge.conf", "internet-edge");
}

/* What a figure must say whatever the layout: a peering that is not
 * active is drawn dashed with its status; an expect line to an address
 * nobody holds gets a node of its own; a detached gateway stands in the
 * region, unlinked. */
Test(diagram, states_and_strays)
{
	struct lab *lab = test_lab_text(NULL, "strays.conf",
		"vpc A { cidr 10.1.0.0/16 }\n"
		"vpc B { cidr 10.2.0.0/16 }\n"
		"subnet SA { vpc A; cidr 10.1.1.0/24 }\n"
		"subnet SB { vpc B; cidr 10.2.1.0/24 }\n"
		"peering P { requester A; accepter B; status pending-acceptance }\n"
		"internet-gateway Loose { }\n"
		"instance I { subnet SA }\n"
		"expect I -> 10.9.9.9 tcp 80 blocked\n",
		NULL, TEST_LAB_CHECK | TEST_LAB_CLEAN);
	char *dot = diagram_dot(lab);

	cr_assert_not_null(dot);
	cr_expect(strstr(dot, "label=\"P\\npending-acceptance\", "
			      "color=\"#7D8998\", style=dashed") != NULL,
		  "%s", dot);
	cr_expect(strstr(dot, "\"10.9.9.9\" [label=\"10.9.9.9\", "
			      "shape=plaintext];") != NULL, "%s", dot);
	cr_expect(strstr(dot, "\"I\" -> \"10.9.9.9\" [label=\"tcp 80\", "
			      "color=\"#D13212\"") != NULL, "%s", dot);
	cr_expect(strstr(dot, "\"Loose\" [label=\"Loose\\ninternet gateway"
			      "\\n(detached)\"") != NULL, "%s", dot);
	cr_expect(strstr(dot, "\"Loose\" ->") == NULL, "%s", dot);
	cr_expect(strstr(dot, "Internet") == NULL,
		  "no internet without an attached gateway or a host: %s", dot);
	free(dot);
	lab_free(lab);
}

static uint32_t be32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

/* The seed lab through Graphviz: the PNG signature, then IHDR first with
 * its 13 bytes and a picture of some size. */
Test(diagram, renders_a_png)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G',
					      '\r', '\n', 0x1a, '\n' };
	char path[] = "/tmp/vpcemu-diagram-XXXXXX";
	unsigned char head[33];
	struct lab *lab;
	char *dot;
	FILE *f;
	int fd = mkstemp(path), r;

	cr_assert_geq(fd, 0);
	close(fd);
	lab = test_lab_file(NULL, "../topologies/vpc-peering.conf", NULL,
			    TEST_LAB_CHECK | TEST_LAB_CLEAN);
	dot = diagram_dot(lab);
	cr_assert_not_null(dot);
	r = diagram_render(dot, "png", path);
	free(dot);
	lab_free(lab);
	if (r == -ENOENT) {
		unlink(path);
		cr_skip_test("no dot program (Debian package graphviz)");
	}
	cr_assert_eq(r, 0, "diagram_render: %s", strerror(-r));
	f = fopen(path, "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fread(head, 1, sizeof(head), f), sizeof(head));
	fclose(f);
	unlink(path);
	cr_expect_eq(memcmp(head, sig, sizeof(sig)), 0, "not a PNG signature");
	cr_expect_eq(be32(head + 8), 13u, "IHDR length");
	cr_expect_eq(memcmp(head + 12, "IHDR", 4), 0, "first chunk not IHDR");
	cr_expect_gt(be32(head + 16), 100u, "width %u", be32(head + 16));
	cr_expect_gt(be32(head + 20), 100u, "height %u", be32(head + 20));
}

/* --format dot needs no Graphviz: the text goes out as it is. */
Test(diagram, dot_format_writes_the_text)
{
	char path[] = "/tmp/vpcemu-diagram-XXXXXX", *got;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(diagram_render("digraph x {}\n", "dot", path), 0);
	got = test_slurp(path);
	unlink(path);
	cr_expect_str_eq(got, "digraph x {}\n");
	free(got);
	cr_expect_eq(diagram_render("digraph x {}\n", "dot",
				    "/nonexistent/dir/x.dot"), -ENOENT);
}
