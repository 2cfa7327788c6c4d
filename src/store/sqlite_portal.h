/*
 * sqlite_portal.h: the SQLite side of portal accounts, channel plans, the
 * external portal's push outbox and its callback nonces (sqlite_portal.c).
 * Only sqlite_ops.c's method table uses these; everyone else calls the
 * store_* wrappers.
 */
#ifndef MU_SQLITE_PORTAL_H
#define MU_SQLITE_PORTAL_H

#include "store/store.h"

enum mu_err sqp_account_set(struct store *st, const char *nid, const char *provider,
			    const struct audit_ctx *a, struct mu_error *err);
enum mu_err sqp_account_get(struct store *st, const char *nid, char provider[16]);
enum mu_err sqp_channels_put(struct store *st, const char *summons_id,
			     const struct channel_entry *v, size_t n,
			     const char *push_body, int64_t at);
enum mu_err sqp_channels_get(struct store *st, const char *summons_id,
			     struct channel_entry *out, size_t cap, size_t *n);
enum mu_err sqp_nonce_claim(struct store *st, const char *message_id,
			    const char *type, int64_t at);
enum mu_err sqp_pushes_due(struct store *st, int64_t now, size_t limit,
			   struct portal_push *out, size_t *n);
enum mu_err sqp_push_result(struct store *st, int64_t id, const char *state,
			    int attempts, int64_t next_attempt_at, int64_t sent_at,
			    const char *error);

#endif
