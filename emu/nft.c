/* nft.c - one nftables transaction per namespace.
 *
 * The context comes from the handle (created inside the namespace, errors
 * buffered). The command itself also runs with the thread inside the
 * namespace: libnftables looks interfaces up through a process-global
 * cache filled from the current namespace, and may reopen its socket; both
 * must see the namespace, never the host.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "vpcemu/netns.h"
#include "vpcemu/nft.h"

static pthread_mutex_t nftk_lock = PTHREAD_MUTEX_INITIALIZER;

struct nftk_run {
	struct nft_ctx *ctx;
	const char *ruleset;
};

static int nftk_run_fn(void *data)
{
	struct nftk_run *run = data;

	return nft_run_cmd_from_buffer(run->ctx, run->ruleset) ? -EINVAL : 0;
}

int nftk_apply(struct nsh *ns, const char *ruleset, char **ret_err)
{
	struct nftk_run run = { .ruleset = ruleset };
	const char *text;
	int r;

	if (ret_err)
		*ret_err = NULL;
	pthread_mutex_lock(&nftk_lock);
	r = nsh_nft(ns, &run.ctx);
	if (r < 0)
		goto out;
	r = netns_run(ns, nftk_run_fn, &run);
	/* The buffers are reset by the next command: copy the text now.
	 * nft's output buffer is unused (no echo), but buffered so that
	 * nothing reaches our stdout. */
	text = nft_ctx_get_error_buffer(run.ctx);
	if (r < 0 && ret_err && text && *text)
		*ret_err = strdup(text);
out:
	pthread_mutex_unlock(&nftk_lock);
	return r;
}

void nftk_ctx_free(struct nft_ctx *ctx)
{
	if (!ctx)
		return;
	pthread_mutex_lock(&nftk_lock);
	nft_ctx_free(ctx);
	pthread_mutex_unlock(&nftk_lock);
}
