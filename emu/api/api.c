/* api.c - vpcemud's AWS API over HTTP (api.h).
 *
 * Each request: its parameters (the form body and the query string), its
 * signature checked against our one key pair, then by protocol: Query
 * (Version names EC2, IAM or ELBv2; Action the operation, which must be
 * one a vpcemu command carries out) or JSON 1.1 (X-Amz-Target
 * "AmazonSSM.Op"). A Query request becomes that command's words through
 * the operation's input shape (apiquery.h) and runs as request_aws; its
 * JSON answer becomes the operation's XML. Errors are each protocol's own
 * documents, 4xx for every refusal.
 *
 * Owns the credentials read at start, the listening socket (through
 * httpd.c) and nothing per request beyond the reply, except a
 * DescribeInstanceInformation's while its probes run (its connection
 * suspended meanwhile: httpd_later).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "vpcemu/api.h"
#include "vpcemu/apimodel.h"
#include "vpcemu/apiquery.h"
#include "vpcemu/ctl.h"
#include "vpcemu/ctlsrv.h"
#include "vpcemu/dlog.h"
#include "vpcemu/httpd.h"
#include "vpcemu/peer.h"
#include "vpcemu/request.h"
#include "vpcemu/sigv4.h"
#include "vpcemu/state.h"
#include "vpcemu/util.h"

/* The uid a request acts as when group members can sign (nobody). */
#define API_UID_GROUP 65534
/* How far a request's X-Amz-Date may be from our clock, as AWS allows. */
#define API_SKEW_S (15 * 60)

struct api {
	char akid[32];
	char secret[64];
	struct peer as;		/* whom a request acts as */
};

/* ---- credentials ---- */

/* n random characters of alphabet into out (NUL-terminated). */
static int random_chars(char *out, size_t n, const char *alphabet)
{
	unsigned char r[64];
	size_t k = strlen(alphabet), i;

	if (n > sizeof(r) || getrandom(r, n, 0) != (ssize_t)n)
		return -EIO;
	for (i = 0; i < n; i++)
		out[i] = alphabet[r[i] % k];
	out[n] = '\0';
	explicit_bzero(r, sizeof(r));
	return 0;
}

static int creds_create(const char *path, struct api *a)
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				  "qrstuvwxyz0123456789+/";
	char *dir = strdup(path);
	FILE *f;
	int fd, r;

	if (!dir)
		return -ENOMEM;
	/* The directory of /etc/vpcemu/credentials; an existing one stays
	 * as it is. */
	if (mkdir(dirname(dir), 0755) < 0 && errno != EEXIST) {
		r = -errno;
		free(dir);
		return r;
	}
	free(dir);
	memcpy(a->akid, "AKIA", 4);
	r = random_chars(a->akid + 4, 16, b32);
	if (!r)
		r = random_chars(a->secret, 40, b64);
	if (r)
		return r;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		return r;
	}
	fprintf(f,
		"# vpcemud's API key (vpcemud(8)), an AWS shared credentials "
		"file:\n# AWS_SHARED_CREDENTIALS_FILE=%s aws --endpoint-url "
		"http://127.0.0.1:PORT ...\n[default]\naws_access_key_id = "
		"%s\naws_secret_access_key = %s\n",
		path, a->akid, a->secret);
	r = fclose(f) ? -errno : 0;
	return r;
}

/* The value of "key = value" among the file's lines, into out. */
static bool creds_field(const char *text, const char *key, char *out,
			size_t n)
{
	const char *p = text;
	size_t kl = strlen(key);

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *v = p + strspn(p, " \t");
		size_t len;

		if (strncmp(v, key, kl))
			continue;
		v += kl;
		v += strspn(v, " \t");
		if (*v++ != '=')
			continue;
		v += strspn(v, " \t");
		len = strcspn(v, " \t\r\n");
		if (!len || len >= n)
			return false;
		memcpy(out, v, len);
		out[len] = '\0';
		return true;
	}
	return false;
}

/* Reads path, a root-owned regular file, after giving it the mode the
 * admission asks (0600 root-only, 0640 with the group). */
static int creds_read(const char *path, const gid_t *group, struct api *a)
{
	char buf[4096];
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode) || st.st_uid != 0)
		r = -EPERM;
	/* Without --group a file readable by a group would let its
	 * members act as root: the mode follows the admission. */
	else if (group ? fchown(fd, 0, *group) || fchmod(fd, 0640) :
			 fchmod(fd, 0600))
		r = -errno;
	n = r ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (!r && n < 0)
		r = -errno;
	close(fd);
	if (r)
		return r;
	buf[n] = '\0';
	if (!creds_field(buf, "aws_access_key_id", a->akid, sizeof(a->akid)) ||
	    !creds_field(buf, "aws_secret_access_key", a->secret,
			 sizeof(a->secret)))
		r = -EINVAL;
	explicit_bzero(buf, sizeof(buf));
	return r;
}

struct api *api_new(const char *path, const gid_t *group)
{
	struct api *a = calloc(1, sizeof(*a));
	int r;

	if (!a)
		return NULL;
	r = creds_create(path, a);
	if (r == -EEXIST || !r)
		r = creds_read(path, group, a);
	if (r) {
		api_free(a);
		errno = -r;
		return NULL;
	}
	if (group) {
		a->as.cred.uid = API_UID_GROUP;
		a->as.cred.gid = *group;
	}
	return a;
}

void api_free(struct api *a)
{
	if (!a)
		return;
	explicit_bzero(a, sizeof(*a));
	free(a);
}

/* ---- replies ---- */

/* The protocols, for their error documents. */
enum proto { P_EC2, P_QUERY, P_JSON };

struct call {
	struct api *api;
	const struct httpd_request *rq;
	struct httpd_reply *rp;
	enum proto proto;
	const char *service;	/* "ec2", "iam", "elbv2", "ssm" */
	char id[37];		/* request ID, a UUID */
};

static void request_id(char out[37])
{
	unsigned char r[16];
	size_t i;
	char *w = out;

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		memset(r, 0, sizeof(r));
	r[6] = (r[6] & 0x0f) | 0x40;	/* version 4 */
	r[8] = (r[8] & 0x3f) | 0x80;
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*w++ = '-';
		w += sprintf(w, "%02x", r[i]);
	}
}

static void reply(struct call *c, int status, const char *type,
		  struct strbuf *b)
{
	httpd_reply_text(c->rp, status, type, b);
	httpd_reply_header(c->rp, "x-amzn-RequestId", "%s", c->id);
}

/* An error in the protocol's shape: EC2's <Response><Errors>, Query's
 * <ErrorResponse>, JSON's {"__type"}. */
static void fail(struct call *c, int status, const char *code,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void fail(struct call *c, int status, const char *code,
		 const char *fmt, ...)
{
	struct strbuf b = { 0 };
	char msg[768];
	va_list ap;
	json_t *j;
	char *s;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->proto == P_JSON) {
		j = json_pack("{s:s, s:s}", "__type", code, "message", msg);
		s = j ? json_dumps(j, JSON_COMPACT) : NULL;
		sb_puts(&b, s ? s : "");
		if (!s)
			b.oom = true;
		free(s);
		json_decref(j);
		reply(c, status, "application/x-amz-json-1.1", &b);
		return;
	}
	sb_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	sb_puts(&b, c->proto == P_EC2 ? "<Response><Errors><Error><Code>" :
					"<ErrorResponse><Error><Type>Sender"
					"</Type><Code>");
	sb_put_xml(&b, code, strlen(code));
	sb_puts(&b, "</Code><Message>");
	sb_put_xml(&b, msg, strlen(msg));
	if (c->proto == P_EC2)
		sb_printf(&b, "</Message></Error></Errors><RequestID>%s"
			  "</RequestID></Response>", c->id);
	else
		sb_printf(&b, "</Message></Error><RequestId>%s</RequestId>"
			  "</ErrorResponse>", c->id);
	reply(c, status, "text/xml", &b);
}

/* ---- signature ---- */

/* Checks rq's signature; on failure answers as the protocol's service
 * does and returns false. */
static bool authentic(struct call *c)
{
	static const struct {
		const char *missing, *unknown, *bad, *expired;
		int status;
	} codes[] = {
		[P_EC2] = { "AuthFailure", "AuthFailure", "AuthFailure",
			    "RequestExpired", 401 },
		[P_QUERY] = { "MissingAuthenticationToken",
			      "InvalidClientTokenId", "SignatureDoesNotMatch",
			      "SignatureDoesNotMatch", 403 },
		[P_JSON] = { "MissingAuthenticationTokenException",
			     "UnrecognizedClientException",
			     "InvalidSignatureException",
			     "InvalidSignatureException", 400 },
	};
	const char *h = httpd_header(c->rq, "Authorization");
	const char *date = httpd_header(c->rq, "X-Amz-Date");
	struct sigv4_auth a;
	char sig[65];
	time_t t;

	if (!h) {
		fail(c, codes[c->proto].status, codes[c->proto].missing,
		     "Request is missing Authentication Token");
		return false;
	}
	if (sigv4_parse(h, &a) || !date || strncmp(date, a.date, 8)) {
		fail(c, codes[c->proto].status, codes[c->proto].bad,
		     "Authorization header or X-Amz-Date is malformed");
		return false;
	}
	if (!sigv4_equal(a.akid, c->api->akid)) {
		fail(c, codes[c->proto].status, codes[c->proto].unknown,
		     "The security token included in the request is "
		     "invalid.");
		return false;
	}
	t = sigv4_time(date);
	if (t < 0 || llabs((long long)(time(NULL) - t)) > API_SKEW_S) {
		fail(c, c->proto == P_EC2 ? 400 : codes[c->proto].status,
		     codes[c->proto].expired,
		     "Request has expired: X-Amz-Date %s is more than 15 "
		     "minutes from the server's time", date);
		return false;
	}
	if (sigv4_sign(c->rq, &a, date, c->api->secret, sig) ||
	    !sigv4_equal(sig, a.signature)) {
		fail(c, codes[c->proto].status, codes[c->proto].bad,
		     "The request signature we calculated does not match "
		     "the signature you provided. Check your AWS Secret "
		     "Access Key and signing method.");
		return false;
	}
	return true;
}

/* ---- running a command ---- */

/* The lab the URL's path names: "/LAB", or "/" for the only one up.
 * NULL once answered. */
static char *lab_of(struct call *c)
{
	const char *p = c->rq->path ? c->rq->path : "/";
	char **names = NULL, *one = NULL;
	size_t n = 0;

	p += strspn(p, "/");
	if (*p) {
		struct state_stamp st;
		bool next;

		one = strndup(p, strcspn(p, "/"));
		if (one && (one[0] == '.' ||
			    one[strspn(one, "abcdefghijklmnopqrstuvwxyz"
					    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					    "0123456789._-")] ||
			    state_stamp(one, &st, &next) == -ENOENT)) {
			fail(c, 400, "Vpcemu.LabNotFound",
			     "No lab named %s is up (the endpoint URL's path "
			     "names the lab)", one);
			free(one);
			return NULL;
		}
	} else if (!state_list(&names, &n) && n == 1) {
		one = strdup(names[0]);
	} else {
		fail(c, 400, "Vpcemu.LabNotFound", "%s; name one in the "
		     "endpoint URL: http://127.0.0.1:PORT/LAB",
		     n ? "Several labs are up" : "No lab is up");
		state_names_free(names, n);
		return NULL;
	}
	state_names_free(names, n);
	if (!one)
		fail(c, 400, "Vpcemu.NoMemory", "Out of memory");
	return one;
}

/* Runs command argv of group on lab; the answer in *ret_out, else the
 * failure answered. */
static int run(struct call *c, const char *group, const char *lab,
	       size_t argc, char **argv, json_t **ret_out)
{
	struct request_aws_result res = { 0 };
	struct reply r = { 0 };
	int rc = -1;

	r.out = open_memstream(&r.outbuf, &r.outlen);
	r.err = open_memstream(&r.errbuf, &r.errlen);
	r.result = json_object();
	if (r.out && r.err && r.result)
		request_aws(group, &c->api->as, lab, argc, argv, &r, &res);
	if (r.out)
		fclose(r.out);
	if (r.err)
		fclose(r.err);
	if (res.code[0]) {
		fail(c, 400, res.code, "%s", res.message);
	} else if (!r.result || r.exit != CTL_EXIT_OK) {
		/* Not AWS's refusal but the lab's (not up, not written
		 * back): still the client's to act on, not a 5xx. */
		fail(c, 400, "Vpcemu.RequestFailed", "%s",
		     r.errbuf && r.errbuf[0] ? r.errbuf : "out of memory");
	} else {
		*ret_out = res.out;
		res.out = NULL;
		rc = 0;
	}
	json_decref(res.out);
	json_decref(r.result);
	free(r.outbuf);
	free(r.errbuf);
	return rc;
}

/* A Query request: Action of service (its model svc) with p. */
static void query_call(struct call *c, const json_t *svc, const char *action,
		       struct apiq_params *p)
{
	const json_t *op = json_object_get(json_object_get(svc, "ops"), action);
	const json_t *shapes = json_object_get(svc, "shapes");
	const char *out_shape = json_string_value(json_object_get(op, "out"));
	const char *wrap = json_string_value(json_object_get(op, "wrap"));
	struct apiq_error e = { 0 };
	struct strbuf b = { 0 };
	json_t *in = NULL, *out = NULL;
	char **argv = NULL, *lab = NULL;
	size_t argc = 0;
	int r;

	if (!op) {
		fail(c, 400, "InvalidAction", "The action %s is not valid for "
		     "this web service.", action);
		return;
	}
	r = apiq_input(shapes, json_string_value(json_object_get(op, "in")), p,
		       &in, &e);
	if (r == -EINVAL) {
		fail(c, 400, e.code, "%s", e.message);
		goto out;
	}
	/* SDKs fill in idempotency tokens themselves; vpcemu carries out
	 * each request once and keeps no tokens. */
	if (!r)
		json_object_del(in, "ClientToken");
	if (!r)
		r = apiq_argv(shapes, json_string_value(json_object_get(op, "in")),
			      json_string_value(json_object_get(op, "cmd")), in,
			      &argv, &argc);
	if (r) {
		fail(c, 400, "Vpcemu.NoMemory", "Out of memory");
		goto out;
	}
	lab = lab_of(c);
	if (!lab || run(c, json_string_value(json_object_get(svc, "group")),
			lab, argc, argv, &out))
		goto out;
	sb_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		  "<%sResponse xmlns=\"%s\">", action,
		  json_string_value(json_object_get(svc, "xmlns")));
	if (c->proto == P_EC2) {
		sb_printf(&b, "<requestId>%s</requestId>", c->id);
		apiq_xml(&b, shapes, out_shape, out);
	} else {
		if (wrap) {
			sb_printf(&b, "<%s>", wrap);
			apiq_xml(&b, shapes, out_shape, out);
			sb_printf(&b, "</%s>", wrap);
		}
		sb_printf(&b, "<ResponseMetadata><RequestId>%s</RequestId>"
			  "</ResponseMetadata>", c->id);
	}
	sb_printf(&b, "</%sResponse>", action);
	reply(c, 200, "text/xml", &b);
out:
	apiq_argv_free(argv, argc);
	json_decref(in);
	json_decref(out);
	free(lab);
}

/* ---- Session Manager (JSON 1.1) ---- */

static void json_reply(struct call *c, json_t *j)
{
	struct strbuf b = { 0 };
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	if (s)
		sb_puts(&b, s);
	else
		b.oom = true;
	free(s);
	json_decref(j);
	reply(c, 200, "application/x-amz-json-1.1", &b);
}

/* StartSession names the instance and the lab to the
 * session-manager-plugin, which opens the shell through `vpcemu ssm
 * start-session`: the agent's reachability is tried there, for real, by
 * the user who runs the CLI (so a member's shell runs as itself). */
static void ssm_start(struct call *c, const json_t *in)
{
	const char *target = json_string_value(json_object_get(in, "Target"));
	char *argv[] = { "describe-instances", "--instance-ids", NULL, NULL };
	json_t *out = NULL, *inst;
	char *lab, *url = NULL, sid[64], rnd[13];
	const char *id;

	if (!target) {
		fail(c, 400, "ValidationException",
		     "1 validation error detected: Value null at 'target' "
		     "failed to satisfy constraint: Member must not be null");
		return;
	}
	lab = lab_of(c);
	if (!lab)
		return;
	argv[2] = (char *)target;
	if (run(c, "ec2", lab, 3, argv, &out)) {
		/* describe-instances' InvalidInstanceID.NotFound is SSM's
		 * TargetNotConnected: replace the answer. */
		httpd_reply_free(c->rp);
		fail(c, 400, "TargetNotConnected", "%s is not connected.",
		     target);
		free(lab);
		return;
	}
	inst = json_array_get(json_object_get(json_array_get(
		json_object_get(out, "Reservations"), 0), "Instances"), 0);
	id = json_string_value(json_object_get(inst, "InstanceId"));
	if (id)
		url = str_printf("vpcemu://%s/%s", lab, id);
	if (!url || random_chars(rnd, 12, "0123456789abcdef")) {
		fail(c, 400, "TargetNotConnected", "%s is not connected.",
		     target);
	} else {
		snprintf(sid, sizeof(sid), "vpcemu-%s", rnd);
		json_reply(c, json_pack("{s:s, s:s, s:s}", "SessionId", sid,
					"TokenValue", "vpcemu", "StreamUrl",
					url));
	}
	free(url);
	json_decref(out);
	free(lab);
}

/* A DescribeInstanceInformation waiting for its probes: the connection
 * is suspended (httpd_later) until ssmreq.c completes r. */
struct ssm_wait {
	struct httpd_later *later;
	struct reply *r;
	char id[37];
	bool in_call, done;	/* completed before request_ssm returned */
};

/* Frees r, made by ssm_describe; its streams may be closed already. */
static void ssm_reply_free(struct reply *r)
{
	if (!r)
		return;
	if (r->out)
		fclose(r->out);
	if (r->err)
		fclose(r->err);
	json_decref(r->result);
	free(r->outbuf);
	free(r->errbuf);
	free(r);
}

static void ssm_described_send(struct ssm_wait *w)
{
	struct httpd_reply rp = { 0 };
	struct call c = { .rp = &rp, .proto = P_JSON };
	struct reply *r = w->r;
	json_t *list = json_object_get(r->result, "InstanceInformationList");
	json_t *item;
	size_t i;

	memcpy(c.id, w->id, sizeof(c.id));
	/* errbuf is complete once its stream is closed. */
	if (r->out)
		fclose(r->out);
	if (r->err)
		fclose(r->err);
	r->out = r->err = NULL;
	if (r->exit != CTL_EXIT_OK || !list) {
		fail(&c, 400, "Vpcemu.RequestFailed", "%s",
		     r->errbuf && r->errbuf[0] ? r->errbuf : "out of memory");
	} else {
		/* The JSON protocol's timestamps are epoch seconds; the
		 * CLI command prints them as text. */
		json_array_foreach(list, i, item)
			json_object_set_new(item, "LastPingDateTime",
					    json_integer(time(NULL)));
		json_reply(&c, json_pack("{s:O}", "InstanceInformationList",
					 list));
	}
	httpd_later_reply(w->later, &rp);
	ssm_reply_free(r);
	free(w);
}

static void ssm_described(struct reply *r, void *data)
{
	struct ssm_wait *w = data;

	if (w->in_call)
		w->done = true;
	else
		ssm_described_send(w);
}

/* DescribeInstanceInformation: every instance of the lab with a role,
 * its agent probed for real through the lab, as `vpcemu ssm
 * describe-instance-information` answers. */
static void ssm_describe(struct call *c)
{
	struct ssm_wait *w = calloc(1, sizeof(*w));
	struct reply *r = calloc(1, sizeof(*r));
	json_t *args = NULL;
	char *lab = NULL;

	if (w && r) {
		r->out = open_memstream(&r->outbuf, &r->outlen);
		r->err = open_memstream(&r->errbuf, &r->errlen);
		r->result = json_object();
	}
	if (!w || !r || !r->out || !r->err || !r->result) {
		fail(c, 400, "Vpcemu.NoMemory", "Out of memory");
		goto fail;
	}
	lab = lab_of(c);
	if (!lab)
		goto fail;
	args = json_pack("{s:[s], s:s}", "argv",
			 "describe-instance-information", "lab", lab);
	w->later = args ? httpd_later(c->rq) : NULL;
	if (!w->later) {
		fail(c, 400, "Vpcemu.NoMemory", "Out of memory");
		goto fail;
	}
	memcpy(w->id, c->id, sizeof(w->id));
	w->r = r;
	r->complete = ssm_described;
	r->complete_data = w;
	w->in_call = true;
	request_ssm(args, r);
	w->in_call = false;
	/* r is valid here unless deferred and not yet done: then the probes
	 * have it. */
	if (w->done || !r->deferred)
		ssm_described_send(w);
	json_decref(args);
	free(lab);
	return;
fail:
	ssm_reply_free(r);
	free(w);
	json_decref(args);
	free(lab);
}

static void ssm_call(struct call *c, const char *op)
{
	json_t *in = json_loadb(c->rq->body, c->rq->body_len, 0, NULL);

	if (!json_is_object(in)) {
		fail(c, 400, "SerializationException",
		     "The request body is not a JSON object");
	} else if (!strcmp(op, "StartSession")) {
		ssm_start(c, in);
	} else if (!strcmp(op, "TerminateSession")) {
		/* The plugin's shell ends with its session; nothing to
		 * stop here. */
		json_reply(c, json_pack("{s:O?}", "SessionId",
					json_object_get(in, "SessionId")));
	} else if (!strcmp(op, "DescribeInstanceInformation")) {
		ssm_describe(c);
	} else {
		fail(c, 400, "UnknownOperationException",
		     "vpcemu serves StartSession, TerminateSession and "
		     "DescribeInstanceInformation of AmazonSSM, not %s", op);
	}
	json_decref(in);
}

/* ---- dispatch ---- */

/* The request's parameters: the query string's, then a form body's. */
static int params_of(const struct httpd_request *rq, struct apiq_params *p)
{
	const char *type = httpd_header(rq, "Content-Type");
	size_t i;
	int r = 0;

	for (i = 0; !r && i < rq->nargs; i++)
		r = apiq_params_add(p, rq->args[i].name, rq->args[i].value);
	if (!r && rq->body_len &&
	    (!type || !strncasecmp(type, "application/x-www-form-urlencoded",
				   33)))
		r = apiq_form_parse(rq->body, rq->body_len, p);
	return r;
}

void api_handle(void *data, const struct httpd_request *rq,
		struct httpd_reply *rp)
{
	struct call c = { .api = data, .rq = rq, .rp = rp, .proto = P_EC2 };
	const char *target = httpd_header(rq, "X-Amz-Target");
	struct apiq_params p = { 0 };
	const char *action, *version;
	const json_t *svc = NULL;
	int r;

	request_id(c.id);
	if (target) {
		c.proto = P_JSON;
		if (strncmp(target, "AmazonSSM.", 10))
			fail(&c, 400, "UnknownOperationException",
			     "vpcemu serves AmazonSSM's JSON API, not %s",
			     target);
		else if (rq->body_too_large)
			fail(&c, 413, "SerializationException",
			     "The request body is too large");
		else if (authentic(&c))
			ssm_call(&c, target + 10);
		return;
	}
	r = params_of(rq, &p);
	version = r ? NULL : apiq_param(&p, "Version");
	c.service = apimodel_by_version(version);
	svc = apimodel_service(c.service ? c.service : "ec2");
	if (svc && strcmp(json_string_value(json_object_get(svc, "protocol")),
			  "ec2"))
		c.proto = P_QUERY;
	if (rq->body_too_large) {
		fail(&c, 413, "RequestEntityTooLarge",
		     "The request body is over %d bytes", 1 << 20);
	} else if (r == -EINVAL || r == -E2BIG) {
		fail(&c, 400, "MalformedQueryString",
		     r == -EINVAL ? "The request body is no valid "
				    "x-www-form-urlencoded text" :
				    "The request has over %d parameters",
		     APIQ_PARAMS_MAX);
	} else if (r || !svc) {
		fail(&c, 400, "Vpcemu.NoMemory", "Out of memory");
	} else if (!authentic(&c)) {
		;
	} else if (!(action = apiq_param(&p, "Action"))) {
		fail(&c, 400, "MissingAction",
		     "The request must contain the parameter Action");
	} else if (!version) {
		fail(&c, 400, "MissingParameter",
		     "The request must contain the parameter Version");
	} else if (!c.service) {
		fail(&c, 400, "InvalidAction", "vpcemu serves no API of "
		     "version %s (EC2's 2016-11-15, IAM's 2010-05-08, "
		     "ELBv2's 2015-12-01)", version);
	} else {
		query_call(&c, svc, action, &p);
	}
	apiq_params_free(&p);
}

/* ---- the server ---- */

static struct {
	struct api *api;
	struct httpd *httpd;
} A;

int api_start(struct evloop *el, const struct api_config *cfg)
{
	struct httpd_limits lim = {
		.conns = 32,
		.conns_per_ip = 32,
		.idle_timeout = 30,
		.conn_memory = 64 * 1024,
		.body_max = 1 << 20,	/* run-instances' user data fits */
		.later = true,		/* SSM's answers wait for probes */
	};
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(cfg->port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int one = 1, fd, r;

	if (!cfg->port)
		return 0;
	A.api = api_new(cfg->credentials, cfg->group);
	if (!A.api)
		return -errno;
	/* The host's namespace, loopback only: a listening socket, no
	 * address, route or rule added. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64)) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		api_stop();
		return r;
	}
	A.httpd = httpd_start(el, fd, &lim, api_handle, A.api);
	if (!A.httpd) {
		r = -errno;
		api_stop();
		return r;
	}
	return 0;
}

void api_stop(void)
{
	httpd_stop(A.httpd);
	api_free(A.api);
	A.httpd = NULL;
	A.api = NULL;
}
