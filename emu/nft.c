/* nft.c - one nftables transaction per namespace.
 *
 * The context lives in the handle's slot (created inside the namespace on
 * first use, errors buffered). The command itself also runs with the thread inside the
 * namespace: libnftables looks interfaces up through a process-global
 * cache filled from the current namespace, and may reopen its socket; both
 * must see the namespace, never the host.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>

#include <nftables/libnftables.h>

#include "vpcemu/netns.h"
#include "vpcemu/nft.h"

static pthread_mutex_t nftk_lock = PTHREAD_MUTEX_INITIALIZER;

struct nftk_run {
	struct nft_ctx *ctx;
	const char *ruleset;
	bool json;		/* output in JSON (a listing) */
};

/* Frees a context under the lock (nft_ctx_free touches library globals
 * too): the slot's release. */
static void nftk_ctx_free(void *obj)
{
	pthread_mutex_lock(&nftk_lock);
	nft_ctx_free(obj);
	pthread_mutex_unlock(&nftk_lock);
}

/* Inside the namespace: nft_ctx_new() opens its netlink socket at once
 * and exit()s when it cannot, and libnftables select()s on it, which
 * aborts above FD_SETSIZE: make sure a low fd is free first. */
static int nftk_ctx_new_fn(void *data)
{
	struct nft_ctx **ret = data;
	int probe;

	probe = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (probe < 0)
		return -errno;
	close(probe);
	if (probe >= FD_SETSIZE)
		return -EMFILE;
	*ret = nft_ctx_new(NFT_CTX_DEFAULT);
	return *ret ? 0 : -ENOMEM;
}

/* The handle's context, created on first use. Called with the lock held
 * (nft_ctx_free in the slot's release takes it). */
static int nftk_ctx(struct nsh *ns, struct nft_ctx **ret)
{
	struct nft_ctx *ctx = NULL;
	int r;

	*ret = nsh_slot_get(ns, NSH_SLOT_NFT);
	if (*ret)
		return 0;
	r = netns_run(ns, nftk_ctx_new_fn, &ctx);
	if (r < 0) {
		if (ctx)
			nft_ctx_free(ctx);
		return r;
	}
	if (nft_ctx_buffer_error(ctx) || nft_ctx_buffer_output(ctx)) {
		nft_ctx_free(ctx);
		return -ENOMEM;
	}
	/* Closing it after a commit waits for nf_tables (netns.h). */
	nsh_slot_set(ns, NSH_SLOT_NFT, ctx, nftk_ctx_free, true);
	*ret = ctx;
	return 0;
}

static int nftk_run_fn(void *data)
{
	struct nftk_run *run = data;
	unsigned int flags = nft_ctx_output_get_flags(run->ctx);
	int r;

	/* The context is the handle's, shared with nftk_apply: the flag is
	 * put back at once. */
	if (run->json)
		nft_ctx_output_set_flags(run->ctx, flags | NFT_CTX_OUTPUT_JSON);
	r = nft_run_cmd_from_buffer(run->ctx, run->ruleset) ? -EINVAL : 0;
	nft_ctx_output_set_flags(run->ctx, flags);
	return r;
}

/* Runs commands in ns; on success, *ret_out (when given) gets what nft
 * printed, on failure *ret_err its error text (both caller-freed). */
static int nftk_run(struct nsh *ns, const char *cmds, bool json,
		    char **ret_out, char **ret_err)
{
	struct nftk_run run = { .ruleset = cmds, .json = json };
	const char *text;
	int r;

	if (ret_err)
		*ret_err = NULL;
	pthread_mutex_lock(&nftk_lock);
	r = nftk_ctx(ns, &run.ctx);
	if (r < 0)
		goto out;
	r = netns_run(ns, nftk_run_fn, &run);
	/* The buffers are reset by the next command: copy the text now.
	 * Output is always buffered, so that nothing reaches our stdout. */
	text = nft_ctx_get_error_buffer(run.ctx);
	if (r < 0 && ret_err && text && *text)
		*ret_err = strdup(text);
	if (r == 0 && ret_out) {
		*ret_out = strdup(nft_ctx_get_output_buffer(run.ctx));
		if (!*ret_out)
			r = -ENOMEM;
	}
out:
	pthread_mutex_unlock(&nftk_lock);
	return r;
}

int nftk_apply(struct nsh *ns, const char *ruleset, char **ret_err)
{
	return nftk_run(ns, ruleset, false, NULL, ret_err);
}

int nftk_list(struct nsh *ns, const char *cmd, char **ret_json,
	      char **ret_err)
{
	return nftk_run(ns, cmd, true, ret_json, ret_err);
}
