/* ssmreq.c - vpcemud's `vpcemu ssm` requests (ssmreq.h).
 *
 * A request asks one agent (start-session) or every instance with a role
 * (describe-instance-information); each agent is a real probe through the
 * lab (ssm.c), so the reply is deferred until the last probe is done.
 * Owns the requests waiting for their probes; a lab going down cancels
 * its own (their sockets pin the instances' namespaces).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "vpcemu/ctl.h"
#include "vpcemu/ctlsrv.h"
#include "vpcemu/dlog.h"
#include "vpcemu/dns.h"
#include "vpcemu/model.h"
#include "vpcemu/ssm.h"
#include "vpcemu/ssmreq.h"
#include "vpcemu/state.h"
#include "vpcemu/svc.h"

/* One `vpcemu ssm` request: the agents it asked (one for start-session,
 * every instance with a role for describe-instance-information), each a
 * real probe through the lab; the reply goes when the last one is done. */
struct ssm_ask {
	struct ssm_ask *next;	/* asks */
	struct reply *r;
	bool start;		/* start-session, else describe */
	size_t n, pending;
	struct ssm_agent {
		struct ssm_ask *ask;
		char lab[64], id[MODEL_ID_MAX], name[128], netns[160];
		char hostname[DNS_NAME_MAX];	/* the instance's */
		uint32_t ip;
		struct ssm_probe *probe;	/* while it runs */
		bool online;
		char reason[256];
	} *agents;
};

/* Requests waiting for their probes: a lab going down cancels its own
 * (their sockets pin the instances' namespaces). */
static struct ssm_ask *asks;

static void ssm_finish(struct ssm_ask *a)
{
	struct ssm_ask **pp;
	struct reply *r = a->r;
	json_t *list;
	char ip[16], when[32];
	time_t now = time(NULL);
	size_t i;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", localtime(&now));
	if (a->start) {
		struct ssm_agent *g = &a->agents[0];

		if (!g->online) {
			fprintf(r->err, "\nAn error occurred (TargetNotConnected) "
				"when calling the StartSession operation: %s "
				"is not connected.\n", g->id);
			dlog(LOG_NOTICE, g->lab, "ssm start-session %s: not "
			     "connected: %s", g->name, g->reason);
			json_object_set_new(r->result, "reason",
					    json_string(g->reason));
			r->exit = 254;
		} else {
			dlog(LOG_INFO, g->lab, "ssm start-session %s",
			     g->name);
			json_object_set_new(r->result, "netns",
					    json_string(g->netns));
			json_object_set_new(r->result, "instance",
					    json_string(g->id));
			if (g->hostname[0])
				json_object_set_new(r->result, "hostname",
						    json_string(g->hostname));
			r->exit = CTL_EXIT_OK;
		}
		goto out;
	}
	list = json_array();
	for (i = 0; i < a->n; i++) {
		struct ssm_agent *g = &a->agents[i];

		json_array_append_new(list, json_pack(
			"{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s}",
			"InstanceId", g->id,
			"PingStatus", g->online ? "Online" : "ConnectionLost",
			"LastPingDateTime", when,
			"AgentVersion", "3.3.0.0",
			"IsLatestVersion", 1,
			"PlatformType", "Linux",
			"PlatformName", "Amazon Linux",
			"PlatformVersion", "2023",
			"ResourceType", "EC2Instance",
			"IPAddress", ip_fmt(g->ip, ip),
			"ComputerName", g->name));
		if (!g->online)
			json_object_set_new(json_array_get(list, i),
					    "VpcemuReason",
					    json_string(g->reason));
	}
	json_t *o = json_pack("{s:o}", "InstanceInformationList", list);
	char *text = json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER);

	if (text)
		fprintf(r->out, "%s\n", text);
	free(text);
	json_object_set_new(r->result, "InstanceInformationList",
			    json_incref(list));
	json_decref(o);
	r->exit = CTL_EXIT_OK;
out:
	for (pp = &asks; *pp; pp = &(*pp)->next) {
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	}
	free(a->agents);
	free(a);
	ctlsrv_reply_complete(r);
}

static void ssm_done(void *data, const struct ssm_result *res)
{
	struct ssm_agent *g = data;

	g->probe = NULL;	/* freed before done is called */
	g->online = res->online;
	snprintf(g->reason, sizeof(g->reason), "%s", res->reason);
	if (--g->ask->pending == 0)
		ssm_finish(g->ask);
}

static void ssm_add(struct ssm_ask *a, const struct lab *lab,
		    const struct instance *in)
{
	struct ssm_agent *g = &a->agents[a->n++];

	g->ask = a;
	snprintf(g->lab, sizeof(g->lab), "%s", lab->name);
	snprintf(g->id, sizeof(g->id), "%s", in->r.id);
	snprintf(g->name, sizeof(g->name), "%s", in->r.name);
	snprintf(g->netns, sizeof(g->netns), "%s", in->eni->netns);
	g->ip = in->private_ip;
	if (dns_private_hostname(lab, in->subnet->vpc->region, g->ip,
				 g->hostname, sizeof(g->hostname)) < 0)
		g->hostname[0] = '\0';
}

/* Starts a probe per agent of a; the last one done sends the reply. */
static void ssm_start_probes(struct evloop *el, const struct svc *svc,
			     struct ssm_ask *a)
{
	size_t i;

	/* + 1 until every probe is started: a probe that cannot start is
	 * done at once. */
	a->pending = a->n + 1;
	for (i = 0; i < a->n; i++) {
		struct ssm_agent *g = &a->agents[i];
		const struct lab *lab = svc_lab_model(svc, g->lab);
		const struct instance *in = (const struct instance *)model_find(
			lab, RES_INSTANCE, g->id);

		g->probe = ssm_probe_start(el, g->netns,
					   in->subnet->vpc->region, in->role,
					   ssm_done, g);
		if (!g->probe) {
			struct ssm_result fail = { .online = false };

			snprintf(fail.reason, sizeof(fail.reason),
				 "the probe could not start: %s",
				 strerror(errno));
			ssm_done(g, &fail);
		}
	}
	if (--a->pending == 0)
		ssm_finish(a);
}

/* vpcemu ssm start-session --target ID|NAME | describe-instance-information:
 * answered once the agents were probed for real (ssm.c). */
void ssmreq_run(struct evloop *el, const struct svc *svc, json_t *args,
		struct reply *r)
{
	json_t *jargv = json_object_get(args, "argv");
	const char *cmd = json_string_value(json_array_get(jargv, 0));
	const char *want_lab = json_string_value(json_object_get(args, "lab"));
	const char *target = NULL;
	const struct lab *labs[64];
	char **names = NULL;
	size_t n = 0, nlabs = 0, i, j, total = 0;
	struct ssm_ask *a = NULL;

	r->exit = CTL_EXIT_USAGE;
	for (i = 1; i + 1 < json_array_size(jargv); i++)
		if (!strcmp(json_string_value(json_array_get(jargv, i)),
			    "--target"))
			target = json_string_value(json_array_get(jargv,
								  i + 1));
	if (!strcmp(cmd, "start-session") && !target) {
		fprintf(r->err, "vpcemu ssm start-session: --target is "
			"required\n");
		return;
	}
	r->exit = CTL_EXIT_FAIL;
	if (want_lab) {
		labs[nlabs] = svc_lab_model(svc, want_lab);
		nlabs += labs[nlabs] != NULL;
	} else if (!state_list(&names, &n)) {
		for (i = 0; i < n && nlabs < 64; i++) {
			labs[nlabs] = svc_lab_model(svc, names[i]);
			nlabs += labs[nlabs] != NULL;
		}
		state_names_free(names, n);
	}
	for (i = 0; i < nlabs; i++)
		total += labs[i]->ninstances;
	a = calloc(1, sizeof(*a));
	if (a)
		a->agents = calloc(total + 1, sizeof(*a->agents));
	if (!a || !a->agents) {
		fprintf(r->err, "vpcemud: out of memory\n");
		if (a)
			free(a->agents);
		free(a);
		return;
	}
	a->r = r;
	a->start = !strcmp(cmd, "start-session");
	for (i = 0; i < nlabs; i++) {
		for (j = 0; j < labs[i]->ninstances; j++) {
			const struct instance *in = labs[i]->instances[j];

			if (a->start ? (!strcmp(in->r.name, target) ||
					!strcmp(in->r.id, target))
				     : ssm_role_ok(in->role))
				ssm_add(a, labs[i], in);
		}
	}
	if (a->start && a->n > 1) {
		/* Not a connectivity verdict: the command line does not say
		 * which instance it means. */
		fprintf(r->err, "vpcemu ssm start-session: %s names an "
			"instance in several labs (", target);
		for (i = 0; i < a->n; i++)
			fprintf(r->err, "%s%s", i ? ", " : "", a->agents[i].lab);
		fprintf(r->err, "): say which with --lab LAB\n");
		r->exit = CTL_EXIT_USAGE;
		free(a->agents);
		free(a);
		return;
	}
	if (a->start && a->n == 0) {
		/* AWS says the same of an instance it does not know. */
		fprintf(r->err, "\nAn error occurred (TargetNotConnected) when "
			"calling the StartSession operation: %s is not "
			"connected.\n", target);
		r->exit = 254;
		free(a->agents);
		free(a);
		return;
	}
	r->deferred = true;
	a->next = asks;
	asks = a;
	ssm_start_probes(el, svc, a);
}

void ssmreq_cancel_lab(const char *name)
{
	struct ssm_ask *a, *next;
	struct ssm_result gone = { .online = false };
	size_t i;

	snprintf(gone.reason, sizeof(gone.reason), "the lab went down");
	for (a = asks; a; a = next) {
		next = a->next;
		/* The last done frees a: stop looking at it then. */
		for (i = 0; i < a->n; i++) {
			struct ssm_agent *g = &a->agents[i];
			bool last = a->pending == 1;

			if (!g->probe || strcmp(g->lab, name))
				continue;
			ssm_probe_cancel(g->probe);
			ssm_done(g, &gone);
			if (last)
				break;
		}
	}
}
