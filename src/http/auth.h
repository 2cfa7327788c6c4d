/*
 * auth.h: bearer tokens.
 *
 * A token is "mu_" + 43 characters of base64url: 256 random bits from
 * libsodium. It is shown once; the register keeps only its SHA-256. Each
 * token also has a public id ("t" + 15 base32) that appears in logs and
 * audit records instead of the secret.
 */
#ifndef MU_AUTH_H
#define MU_AUTH_H

#include <stddef.h>

#include "domain/model.h"
#include "store/store.h"

#define AUTH_TOKEN_LEN 46 /* "mu_" + 43 */

/* Make a new token for t (role and scope set by the caller; id and
 * created_at are filled in), store its hash, and write the secret into
 * secret (size > AUTH_TOKEN_LEN). */
enum mu_err auth_token_create(struct store *st, struct token *t, int64_t now,
			      const struct audit_ctx *a, char *secret,
			      size_t size, struct mu_error *err) MU_MUSTCHECK;

/* Check scope fields against the role (clerk office exists, agency kind is
 * a check kind, citizen person exists). */
enum mu_err auth_token_validate(struct store *st, const struct token *t,
				struct mu_error *err) MU_MUSTCHECK;

/* Look up the token in an "Authorization: Bearer ..." header value.
 * MU_EUNAUTH for missing, malformed, unknown or revoked. */
enum mu_err auth_check(struct store *st, const char *header,
		       struct token *out) MU_MUSTCHECK;

/* Forget every cached token (after a revocation). */
void auth_cache_clear(void);

/* SHA-256 of the secret. */
void auth_hash(const char *secret, size_t len, unsigned char out[32]);

#endif
