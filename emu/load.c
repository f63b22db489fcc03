/* load.c - a lab file (or a kept text) to a checked model: parse, model,
 * check, read the user-data files. No kernel work and no state: the CLI
 * links this without the netlink and nftables libraries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vpcemu/check.h"
#include "vpcemu/conf.h"
#include "vpcemu/load.h"
#include "vpcemu/model.h"
#include "vpcemu/util.h"

/* AWS's limit on user data, before base64 (RunInstances). */
#define USER_DATA_MAX 16384

/* Reads ud's user-data-file, relative to the lab file's directory, into
 * ud: the model does no I/O, and the daemon needs the bytes for IMDS and
 * the first boot. Queues an error at `at` when it cannot be read. */
static void load_one(const struct lab *lab, struct user_data *ud,
		     struct place at, struct diags *d)
{
	const char *slash = strrchr(lab->file, '/');
	char *path;
	size_t len;
	int e;

	if (!ud->file || ud->content)
		return;
	if (ud->file[0] == '/' || !slash)
		path = strdup(ud->file);
	else
		path = str_printf("%.*s/%s", (int)(slash - lab->file),
				  lab->file, ud->file);
	e = path ? read_file(path, USER_DATA_MAX + 1, &ud->content, &len) :
		   -ENOMEM;
	if (!e && len > USER_DATA_MAX) {
		free(ud->content);
		ud->content = NULL;
		e = -EFBIG;
	}
	if (e == -EFBIG)
		diag_error(d, at, "InvalidParameterValue",
			   "User data is limited to %d bytes: %s",
			   USER_DATA_MAX, path);
	else if (e)
		diag_error(d, at, "InvalidParameterValue",
			   "Cannot read user-data-file %s: %s",
			   path ? path : ud->file, strerror(-e));
	free(path);
}

/* Every instance's and internet host's user-data-file; one error each. */
static void load_user_data(struct lab *lab, struct diags *d)
{
	const struct res_list *hosts = &lab->res[RES_INTERNET_HOST];
	size_t i;

	for (i = 0; i < lab->ninstances; i++)
		load_one(lab, &lab->instances[i]->ud, lab->instances[i]->r.at,
			 d);
	for (i = 0; i < hosts->n; i++)
		load_one(lab, &((struct internet_host *)hosts->v[i])->ud,
			 hosts->v[i]->at, d);
}

int load_lab_file(const char *file, const char *as, const char *name,
		  struct diags *d, struct lab **ret_lab)
{
	struct conf_file *conf;
	struct lab *lab = NULL;
	char *real;

	*ret_lab = NULL;
	conf = conf_parse_file(file, as, d);
	if (!conf)
		return d->nerrors ? -EINVAL : -ENOMEM;
	lab = model_build(conf, name, d);
	if (lab) {
		lab->text = conf->text;
		lab->text_len = conf->text_len;
		conf->text = NULL;
	}
	conf_free(conf);
	if (!lab)
		return -ENOMEM;
	/* The model names the file as diagnostics do; user data and the
	 * state need where it is. */
	if (as && strcmp(as, file)) {
		real = strdup(file);
		if (!real) {
			lab_free(lab);
			return -ENOMEM;
		}
		free(lab->file);
		lab->file = real;
	}
	/* AWS rules are judged on a complete model only: a model with
	 * errors has holes (unresolved references) the checker would trip
	 * over, and its errors already say what to fix first. */
	if (!d->nerrors)
		check_lab(lab, d);
	if (!d->nerrors)
		load_user_data(lab, d);
	*ret_lab = lab;
	return d->nerrors ? -EINVAL : 0;
}

int load_lab_text(const char *path, const char *text, size_t len,
		  const char *name, struct diags *d, struct lab **ret_lab)
{
	struct conf_file *conf;
	struct lab *lab;

	*ret_lab = NULL;
	conf = conf_parse_buffer(path, text, len, d);
	if (!conf)
		return -ENOMEM;
	lab = d->nerrors ? NULL : model_build(conf, name, d);
	conf_free(conf);
	if (!lab)
		return d->nerrors ? -EINVAL : -ENOMEM;
	if (!d->nerrors)
		check_lab(lab, d);
	if (!d->nerrors)
		load_user_data(lab, d);
	if (d->nerrors) {
		lab_free(lab);
		return -EINVAL;
	}
	*ret_lab = lab;
	return 0;
}
