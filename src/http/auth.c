/*
 * auth.c: token creation and checking. See auth.h.
 */
#include "http/auth.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "domain/rules.h"
#include "util/rand.h"

void auth_hash(const char *secret, size_t len, unsigned char out[32])
{
	crypto_hash_sha256(out, (const unsigned char *)secret, len);
}

enum mu_err auth_token_validate(struct store *st, const struct token *t,
				struct mu_error *err)
{
	struct office o;
	struct person p;

	if ((int)t->role < 0 || t->role >= ROLE__COUNT)
		return mu_fail(err, MU_EINVAL, "role",
			       "role must be one of admin, clerk, commissar, "
			       "medical_board, agency, citizen, auditor, channel");
	if (t->office[0] && store_office_get(st, t->office, &o) != MU_OK)
		return mu_fail(err, MU_EINVAL, "office",
			       "office '%.40s' is not a known office", t->office);
	if (t->office[0] && t->role != ROLE_CLERK)
		return mu_fail(err, MU_EINVAL, "office",
			       "only a clerk token is scoped to an office");
	if (t->role == ROLE_AGENCY && restr_kind_parse(t->agency) < 0)
		return mu_fail(err, MU_EINVAL, "agency",
			       "an agency token needs --agency KIND, one of exit, credit, "
			       "real_estate, business_registration, vehicle_registration, "
			       "driving, foreign_passport");
	if (t->role != ROLE_AGENCY && t->agency[0])
		return mu_fail(err, MU_EINVAL, "agency",
			       "only an agency token has an agency kind");
	if (t->role == ROLE_CITIZEN &&
	    (!t->person[0] || store_person_get(st, t->person, &p) != MU_OK))
		return mu_fail(err, MU_EINVAL, "person",
			       "a citizen token needs --person NATIONAL_ID of a "
			       "person on the register");
	if (t->role != ROLE_CITIZEN && t->person[0])
		return mu_fail(err, MU_EINVAL, "person",
			       "only a citizen token names a person");
	return MU_OK;
}

enum mu_err auth_token_create(struct store *st, struct token *t, int64_t now,
			      const struct audit_ctx *a, char *secret,
			      size_t size, struct mu_error *err)
{
	unsigned char raw[32], hash[32];
	enum mu_err rc = auth_token_validate(st, t, err);

	if (rc)
		return rc;
	if (size <= AUTH_TOKEN_LEN)
		return mu_fail(err, MU_EINTERNAL, NULL, "token buffer too small");
	randombytes_buf(raw, sizeof(raw));
	memcpy(secret, "mu_", 3);
	sodium_bin2base64(secret + 3, size - 3, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	auth_hash(secret, strlen(secret), hash);
	t->id[0] = 't';
	rand_base32(t->id + 1, sizeof(t->id) - 1, TOKEN_ID_LEN - 1);
	t->created_at = now;
	t->revoked_at = 0;
	rc = store_token_create(st, t, hash, a);
	if (rc) {
		sodium_memzero(secret, size);
		return mu_fail(err, rc, NULL, "the token could not be stored");
	}
	return MU_OK;
}

/* A small cache of recently seen tokens, so a request does not pay a
 * database lookup for its credentials. Entries live AUTH_CACHE_TTL_MS; a
 * revocation through this process clears the cache at once, one made by
 * another process (muster token revoke) takes effect within the TTL (0.1 s). */
#define AUTH_CACHE_SLOTS 1024
#define AUTH_CACHE_TTL_MS 100

struct auth_slot {
	unsigned char hash[32];
	struct token tok;
	int64_t expires_ms;
};

static struct auth_slot auth_cache[AUTH_CACHE_SLOTS];
static pthread_mutex_t auth_mu = PTHREAD_MUTEX_INITIALIZER;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t slot_of(const unsigned char hash[32])
{
	size_t h;

	memcpy(&h, hash, sizeof(h));
	return h % AUTH_CACHE_SLOTS;
}

static int cache_get(const unsigned char hash[32], struct token *out)
{
	struct auth_slot *sl = &auth_cache[slot_of(hash)];
	int hit;

	pthread_mutex_lock(&auth_mu);
	hit = sl->expires_ms > now_ms() && memcmp(sl->hash, hash, 32) == 0;
	if (hit)
		*out = sl->tok;
	pthread_mutex_unlock(&auth_mu);
	return hit;
}

static void cache_put(const unsigned char hash[32], const struct token *t)
{
	struct auth_slot *sl = &auth_cache[slot_of(hash)];

	pthread_mutex_lock(&auth_mu);
	memcpy(sl->hash, hash, 32);
	sl->tok = *t;
	sl->expires_ms = now_ms() + AUTH_CACHE_TTL_MS;
	pthread_mutex_unlock(&auth_mu);
}

void auth_cache_clear(void)
{
	pthread_mutex_lock(&auth_mu);
	memset(auth_cache, 0, sizeof(auth_cache));
	pthread_mutex_unlock(&auth_mu);
}

enum mu_err auth_check(struct store *st, const char *header, struct token *out)
{
	unsigned char hash[32];
	const char *tok;
	size_t len;

	if (!header || strncasecmp(header, "Bearer ", 7) != 0)
		return MU_EUNAUTH;
	tok = header + 7;
	while (*tok == ' ')
		tok++;
	len = strlen(tok);
	if (len != AUTH_TOKEN_LEN || strncmp(tok, "mu_", 3) != 0)
		return MU_EUNAUTH;
	auth_hash(tok, len, hash);
	if (cache_get(hash, out))
		return MU_OK;
	if (store_token_lookup(st, hash, out) != MU_OK || out->revoked_at)
		return MU_EUNAUTH;
	cache_put(hash, out);
	return MU_OK;
}
