/* nft.h - applying an nftables ruleset inside a namespace (libnftables).
 *
 * Prefix nftk_ because nft_ belongs to libnftables. libnftables is not
 * thread-safe (process-global caches and one-time init): every call here
 * is serialized by one process-wide lock.
 */
#ifndef VPCEMU_NFT_H
#define VPCEMU_NFT_H

struct nsh;

/* Runs ruleset (the whole text: one kernel transaction, all or nothing)
 * inside ns. On failure returns -errno and, when ret_err is given, sets
 * *ret_err to nft's error text (caller frees; NULL when there is none or
 * on allocation failure). Returns 0 or -errno (-EINVAL for a ruleset nft
 * rejected). */
int nftk_apply(struct nsh *ns, const char *ruleset, char **ret_err);

/* Runs cmd (a list command) inside ns and sets *ret_json to its output in
 * nft's JSON (caller frees); errors as nftk_apply's. */
int nftk_list(struct nsh *ns, const char *cmd, char **ret_json,
	      char **ret_err);

#endif
