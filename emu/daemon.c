/* daemon.c - vpcemud, the privileged daemon that will own every lab.
 *
 * Until the daemon lands (control socket, live changes, services), vpcemu
 * does its kernel work in its own process through labops.c, which the
 * daemon will call unchanged. This main only answers --help/--version so
 * that packaging and scripts can rely on the binary being there.
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("vpcemud %s\n", VPCEMU_VERSION);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: vpcemud [--help] [--version]\n\n"
		       "The vpcemu daemon. Not needed yet: vpcemu up/down/exec/"
		       "test work on their own.\n");
		return 0;
	}
	fprintf(stderr, "vpcemud: the daemon is not implemented yet; "
		"use vpcemu directly (vpcemu --help)\n");
	return 1;
}
