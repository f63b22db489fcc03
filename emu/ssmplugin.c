/* ssmplugin.c - session-manager-plugin, as the AWS CLI runs it after
 * StartSession: `session-manager-plugin RESPONSE REGION StartSession
 * PROFILE PARAMETERS ENDPOINT`, RESPONSE being StartSession's answer as
 * JSON.
 *
 * A session vpcemud's API started names its lab and instance in its
 * StreamUrl ("vpcemu://LAB/i-..."): the shell opens through `vpcemu ssm
 * start-session --lab LAB --target ID`, the path and identity of vpcemu's
 * own sessions (the agent tried for real, TargetNotConnected otherwise).
 * Any other session is AWS's: it goes to the real plugin when one is
 * installed elsewhere on PATH, else the error says what is missing.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#define PLUGIN "session-manager-plugin"

/* The file next to this program named name, into out (a vpcemu
 * installed beside us is the one that matches us). */
static int beside_me(const char *name, char *out, size_t n)
{
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (len < 0)
		return -1;
	self[len] = '\0';
	if ((size_t)snprintf(out, n, "%s/%s", dirname(self), name) >= n)
		return -1;
	return access(out, X_OK);
}

/* The first session-manager-plugin on PATH that is not this program. */
static int real_plugin(char *out, size_t n)
{
	char self[PATH_MAX], cand[PATH_MAX];
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	int r = -1;

	if (!path || !realpath("/proc/self/exe", self))
		return -1;
	copy = strdup(path);
	for (dir = copy ? strtok_r(copy, ":", &save) : NULL; dir && r;
	     dir = strtok_r(NULL, ":", &save)) {
		char real[PATH_MAX];

		snprintf(cand, sizeof(cand), "%s/%s", dir, PLUGIN);
		if (access(cand, X_OK) || !realpath(cand, real) ||
		    !strcmp(real, self))
			continue;
		snprintf(out, n, "%s", cand);
		r = 0;
	}
	free(copy);
	return r;
}

int main(int argc, char **argv)
{
	char lab[256], target[128], vpcemu[PATH_MAX], other[PATH_MAX];
	const char *url;
	json_t *resp;
	int n = 0;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("%s (vpcemu %s)\n", PLUGIN, VPCEMU_VERSION);
		return 0;
	}
	resp = argc >= 2 ? json_loads(argv[1], 0, NULL) : NULL;
	url = json_string_value(json_object_get(resp, "StreamUrl"));
	if (url &&
	    sscanf(url, "vpcemu://%255[^/]/%127[^/?]%n", lab, target, &n) ==
		    2 &&
	    !url[n]) {
		char *args[] = { "vpcemu", "ssm", "start-session", "--lab", lab,
				 "--target", target, NULL };

		if (beside_me("vpcemu", vpcemu, sizeof(vpcemu)))
			snprintf(vpcemu, sizeof(vpcemu), "vpcemu");
		execvp(vpcemu, args);
		fprintf(stderr, "%s: cannot run %s: %s\n", PLUGIN, vpcemu,
			strerror(errno));
		return 1;
	}
	if (!real_plugin(other, sizeof(other))) {
		execv(other, argv);
		fprintf(stderr, "%s: cannot run %s: %s\n", PLUGIN, other,
			strerror(errno));
		return 1;
	}
	fprintf(stderr,
		"%s: %s, and no other session-manager-plugin is on PATH: "
		"install AWS's Session Manager plugin for sessions to AWS\n",
		PLUGIN,
		resp ? "this session is not vpcemu's" :
		       "expected StartSession's answer as JSON first");
	return 1;
}
