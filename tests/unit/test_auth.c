/*
 * test_auth.c: bearer tokens (http/auth.c) against a real register.
 *
 * Each test opens a fresh SQLite register in a temporary directory, as
 * `muster init` makes it (profile in meta, an office, a person), creates
 * tokens through auth_token_create and checks them through auth_check. The
 * register is then read with the sqlite3 C API to see what was stored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "domain/rules.h"
#include "http/auth.h"
#include "store/store.h"
#include "util/timefmt.h"

#define NOW 1773144000LL /* 2026-03-10T12:00:00Z */

struct world {
	char dir[64];
	char path[96];
	struct store *st;
	struct audit_ctx ctx;
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct store_options opt = {.create = 1};
	struct mu_error e = {0};
	struct office o = {.daily_capacity = 10};
	struct person p = {0};
	int changed = 0;

	if (!w)
		return -1;
	snprintf(w->dir, sizeof(w->dir), "/tmp/muster-auth-XXXXXX");
	if (!mkdtemp(w->dir))
		return -1;
	snprintf(w->path, sizeof(w->path), "%s/reg.db", w->dir);
	if (store_open(w->path, &opt, &w->st, &e) != MU_OK) {
		fprintf(stderr, "store_open: %s\n", e.detail);
		return -1;
	}
	w->ctx = (struct audit_ctx){.role = "cli", .purpose = "test", .at = NOW};
	if (store_meta_set(w->st, "profile", rules_builtin_profile("ru-2023")) != MU_OK)
		return -1;
	snprintf(o.id, sizeof(o.id), "MOW");
	snprintf(o.name, sizeof(o.name), "Moscow office");
	snprintf(o.region, sizeof(o.region), "Moscow");
	snprintf(o.timezone, sizeof(o.timezone), "Europe/Moscow");
	if (store_office_create(w->st, &o, &w->ctx, &e) != MU_OK)
		return -1;
	snprintf(p.national_id, sizeof(p.national_id), "AB-1234");
	snprintf(p.family_name, sizeof(p.family_name), "Petrov");
	snprintf(p.given_name, sizeof(p.given_name), "Petr");
	snprintf(p.birth_date, sizeof(p.birth_date), "2004-01-01");
	p.sex = 'M';
	snprintf(p.region, sizeof(p.region), "Moscow");
	snprintf(p.office, sizeof(p.office), "MOW");
	if (store_person_put(w->st, &p, 1, &w->ctx, &changed, &e) != MU_OK)
		return -1;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	char side[128];

	store_close(w->st);
	unlink(w->path);
	snprintf(side, sizeof(side), "%s-wal", w->path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", w->path);
	unlink(side);
	rmdir(w->dir);
	free(w);
	return 0;
}

static struct token tok(enum role role, const char *office, const char *agency,
			const char *person)
{
	struct token t;

	memset(&t, 0, sizeof(t));
	t.role = role;
	snprintf(t.office, sizeof(t.office), "%s", office ? office : "");
	snprintf(t.agency, sizeof(t.agency), "%s", agency ? agency : "");
	snprintf(t.person, sizeof(t.person), "%s", person ? person : "");
	return t;
}

/* Create a token; fail the test if that fails. */
static void make(struct world *w, struct token *t, char *secret, size_t size)
{
	struct mu_error e = {0};

	if (auth_token_create(w->st, t, NOW, &w->ctx, secret, size, &e) != MU_OK)
		fail_msg("token create (%s): %s", e.field, e.detail);
}

static enum mu_err check_secret(struct world *w, const char *prefix,
				const char *secret, struct token *out)
{
	size_t a = strlen(prefix), b = strlen(secret);
	char *hdr = malloc(a + b + 1);
	enum mu_err rc;

	assert_non_null(hdr);
	memcpy(hdr, prefix, a);
	memcpy(hdr + a, secret, b + 1);
	rc = auth_check(w->st, hdr, out);
	free(hdr);
	return rc;
}

static size_t count_rows(struct world *w, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	size_t n = 0;

	assert_int_equal(sqlite3_open_v2(w->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = (size_t)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* ---- hashing --------------------------------------------------------- */

static void test_hash_vectors(void **state)
{
	unsigned char h[32];
	char x[65];

	(void)state;
	/* FIPS 180-2 test vectors */
	auth_hash("abc", 3, h);
	hex(h, 32, x);
	assert_string_equal(x, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	auth_hash("", 0, h);
	hex(h, 32, x);
	assert_string_equal(x, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	auth_hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, h);
	hex(h, 32, x);
	assert_string_equal(x, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* the length is honoured, not the NUL */
	auth_hash("abcdef", 3, h);
	hex(h, 32, x);
	assert_string_equal(x, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* ---- create and check ------------------------------------------------ */

static void test_roundtrip(void **state)
{
	struct world *w = *state;
	struct token t = tok(ROLE_CLERK, "MOW", NULL, NULL), got;
	char secret[64];

	snprintf(t.label, sizeof(t.label), "front desk");
	make(w, &t, secret, sizeof(secret));
	/* shape: "mu_" + 43 base64url characters */
	assert_int_equal(strlen(secret), AUTH_TOKEN_LEN);
	assert_memory_equal(secret, "mu_", 3);
	for (size_t i = 3; i < AUTH_TOKEN_LEN; i++) {
		char c = secret[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			fail_msg("token character %zu is '%c'", i, c);
	}
	/* the public id: "t" + 15 */
	assert_int_equal(strlen(t.id), TOKEN_ID_LEN);
	assert_int_equal(t.id[0], 't');
	assert_int_equal(t.created_at, NOW);
	assert_null(strstr(secret, t.id + 1));

	memset(&got, 0, sizeof(got));
	assert_int_equal(check_secret(w, "Bearer ", secret, &got), MU_OK);
	assert_string_equal(got.id, t.id);
	assert_int_equal(got.role, ROLE_CLERK);
	assert_string_equal(got.office, "MOW");
	assert_string_equal(got.label, "front desk");
	assert_int_equal(got.revoked_at, 0);
	/* the scheme is case-insensitive; extra spaces before the token are fine */
	assert_int_equal(check_secret(w, "bearer ", secret, &got), MU_OK);
	assert_int_equal(check_secret(w, "BEARER   ", secret, &got), MU_OK);
}

static void test_every_role_roundtrip(void **state)
{
	struct world *w = *state;
	struct token ts[] = {
		tok(ROLE_ADMIN, NULL, NULL, NULL),
		tok(ROLE_CLERK, NULL, NULL, NULL),
		tok(ROLE_CLERK, "MOW", NULL, NULL),
		tok(ROLE_COMMISSAR, NULL, NULL, NULL),
		tok(ROLE_MEDICAL_BOARD, NULL, NULL, NULL),
		tok(ROLE_AGENCY, NULL, "exit", NULL),
		tok(ROLE_AGENCY, NULL, "foreign_passport", NULL),
		tok(ROLE_CITIZEN, NULL, NULL, "AB-1234"),
		tok(ROLE_AUDITOR, NULL, NULL, NULL),
		tok(ROLE_CHANNEL, NULL, NULL, NULL),
	};
	enum { N = sizeof(ts) / sizeof(ts[0]) };
	char secrets[N][64];

	for (size_t i = 0; i < N; i++)
		make(w, &ts[i], secrets[i], sizeof(secrets[i]));
	for (size_t i = 0; i < N; i++) {
		struct token got;
		assert_int_equal(check_secret(w, "Bearer ", secrets[i], &got), MU_OK);
		assert_string_equal(got.id, ts[i].id);
		assert_int_equal(got.role, ts[i].role);
		assert_string_equal(got.office, ts[i].office);
		assert_string_equal(got.agency, ts[i].agency);
		assert_string_equal(got.person, ts[i].person);
		/* secrets and ids are all different */
		for (size_t j = 0; j < i; j++) {
			assert_string_not_equal(secrets[i], secrets[j]);
			assert_string_not_equal(ts[i].id, ts[j].id);
		}
	}
}

static void test_only_hash_is_stored(void **state)
{
	struct world *w = *state;
	struct token t = tok(ROLE_ADMIN, NULL, NULL, NULL);
	char secret[64], sql[512], hx[65];
	unsigned char h[32];

	make(w, &t, secret, sizeof(secret));
	auth_hash(secret, strlen(secret), h);
	hex(h, 32, hx);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM tokens WHERE id = '%s' AND lower(hex(hash)) = '%s'",
		 t.id, hx);
	assert_int_equal(count_rows(w, sql), 1);
	/* the secret is in no column of any table we keep */
	snprintf(sql, sizeof(sql),
		 "SELECT (SELECT count(*) FROM tokens WHERE id || role || office || agency"
		 " || person || label LIKE '%%%s%%')"
		 " + (SELECT count(*) FROM audit_log WHERE detail || subject_id || purpose"
		 " LIKE '%%%s%%')"
		 " + (SELECT count(*) FROM meta WHERE value LIKE '%%%s%%')",
		 secret + 3, secret + 3, secret + 3);
	assert_int_equal(count_rows(w, sql), 0);
	/* the creation is audited under the public id */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit_log WHERE action ="
		 " 'token.create' AND subject_id = '%s'", t.id);
	assert_int_equal(count_rows(w, sql), 1);
}

static void test_malformed_and_unknown(void **state)
{
	struct world *w = *state;
	struct token t = tok(ROLE_ADMIN, NULL, NULL, NULL), got;
	char secret[64], bad[128];

	make(w, &t, secret, sizeof(secret));
	assert_int_equal(auth_check(w->st, NULL, &got), MU_EUNAUTH);
	assert_int_equal(auth_check(w->st, "", &got), MU_EUNAUTH);
	assert_int_equal(auth_check(w->st, "Bearer", &got), MU_EUNAUTH);
	assert_int_equal(auth_check(w->st, "Bearer ", &got), MU_EUNAUTH);
	assert_int_equal(auth_check(w->st, "Bearer mu_", &got), MU_EUNAUTH);
	assert_int_equal(auth_check(w->st, secret, &got), MU_EUNAUTH); /* no scheme */
	assert_int_equal(check_secret(w, "Basic ", secret, &got), MU_EUNAUTH);
	assert_int_equal(check_secret(w, "Token ", secret, &got), MU_EUNAUTH);
	assert_int_equal(check_secret(w, "Bearer:", secret, &got), MU_EUNAUTH);
	/* one character too many or too few */
	snprintf(bad, sizeof(bad), "Bearer %sA", secret);
	assert_int_equal(auth_check(w->st, bad, &got), MU_EUNAUTH);
	snprintf(bad, sizeof(bad), "Bearer %.*s", AUTH_TOKEN_LEN - 1, secret);
	assert_int_equal(auth_check(w->st, bad, &got), MU_EUNAUTH);
	/* trailing space makes it a different string */
	snprintf(bad, sizeof(bad), "Bearer %s ", secret);
	assert_int_equal(auth_check(w->st, bad, &got), MU_EUNAUTH);
	/* right length, wrong prefix */
	snprintf(bad, sizeof(bad), "Bearer xx_%s", secret + 3);
	assert_int_equal(auth_check(w->st, bad, &got), MU_EUNAUTH);
	snprintf(bad, sizeof(bad), "Bearer MU_%s", secret + 3);
	assert_int_equal(auth_check(w->st, bad, &got), MU_EUNAUTH);
	/* well formed but unknown: every single character changed in turn */
	for (size_t i = 3; i < AUTH_TOKEN_LEN; i++) {
		snprintf(bad, sizeof(bad), "%s", secret);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		assert_int_equal(check_secret(w, "Bearer ", bad, &got), MU_EUNAUTH);
	}
	/* the public id is not a credential */
	assert_int_equal(check_secret(w, "Bearer ", t.id, &got), MU_EUNAUTH);
	/* the real one still works */
	assert_int_equal(check_secret(w, "Bearer ", secret, &got), MU_OK);
}

static void test_revoked(void **state)
{
	struct world *w = *state;
	struct token a = tok(ROLE_CLERK, NULL, NULL, NULL), b = a, got;
	char sa[64], sb[64];
	struct token *list = NULL;
	size_t n = 0;

	struct token c = a;
	char sc[64];

	make(w, &a, sa, sizeof(sa));
	make(w, &b, sb, sizeof(sb));
	make(w, &c, sc, sizeof(sc));
	/* revoked before it was ever used */
	assert_int_equal(store_token_revoke(w->st, c.id, &w->ctx), MU_OK);
	assert_int_equal(check_secret(w, "Bearer ", sc, &got), MU_EUNAUTH);
	/* revoked after use: the API clears the token cache on revocation */
	assert_int_equal(check_secret(w, "Bearer ", sa, &got), MU_OK);
	assert_int_equal(store_token_revoke(w->st, a.id, &w->ctx), MU_OK);
	auth_cache_clear();
	assert_int_equal(check_secret(w, "Bearer ", sa, &got), MU_EUNAUTH);
	assert_int_equal(check_secret(w, "Bearer ", sc, &got), MU_EUNAUTH);
	/* the other token is untouched */
	assert_int_equal(check_secret(w, "Bearer ", sb, &got), MU_OK);
	/* revoking twice, or an unknown id, is "not found" */
	assert_int_equal(store_token_revoke(w->st, a.id, &w->ctx), MU_ENOTFOUND);
	assert_int_equal(store_token_revoke(w->st, "tAAAAAAAAAAAAAAA", &w->ctx), MU_ENOTFOUND);
	/* the list shows the revocation */
	assert_int_equal(store_token_list(w->st, &list, &n), MU_OK);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(list[i].id, a.id) || !strcmp(list[i].id, c.id))
			assert_true(list[i].revoked_at != 0);
		else
			assert_int_equal(list[i].revoked_at, 0);
	}
	free(list);
}

/* ---- scope validation -------------------------------------------------- */

static void expect_invalid(struct world *w, struct token t, const char *field)
{
	struct mu_error e = {0};
	char secret[64] = "";
	struct token *list = NULL;
	size_t before = 0, after = 0;

	assert_int_equal(store_token_list(w->st, &list, &before), MU_OK);
	free(list);
	assert_int_equal(auth_token_validate(w->st, &t, &e), MU_EINVAL);
	assert_string_equal(e.field, field);
	memset(&e, 0, sizeof(e));
	assert_int_equal(auth_token_create(w->st, &t, NOW, &w->ctx, secret,
					   sizeof(secret), &e), MU_EINVAL);
	assert_string_equal(e.field, field);
	assert_true(e.detail[0] != 0);
	/* nothing was stored */
	list = NULL;
	assert_int_equal(store_token_list(w->st, &list, &after), MU_OK);
	free(list);
	assert_int_equal(after, before);
}

static void test_scope_validation(void **state)
{
	struct world *w = *state;
	struct mu_error e = {0};
	struct token t;

	expect_invalid(w, tok((enum role)ROLE__COUNT, NULL, NULL, NULL), "role");
	expect_invalid(w, tok((enum role)-1, NULL, NULL, NULL), "role");
	expect_invalid(w, tok(ROLE_CLERK, "NOWHERE", NULL, NULL), "office");
	expect_invalid(w, tok(ROLE_ADMIN, "MOW", NULL, NULL), "office");
	expect_invalid(w, tok(ROLE_COMMISSAR, "MOW", NULL, NULL), "office");
	expect_invalid(w, tok(ROLE_AGENCY, NULL, NULL, NULL), "agency");
	expect_invalid(w, tok(ROLE_AGENCY, NULL, "teleport", NULL), "agency");
	expect_invalid(w, tok(ROLE_AGENCY, NULL, "EXIT", NULL), "agency");
	expect_invalid(w, tok(ROLE_CLERK, NULL, "exit", NULL), "agency");
	expect_invalid(w, tok(ROLE_CITIZEN, NULL, NULL, NULL), "person");
	expect_invalid(w, tok(ROLE_CITIZEN, NULL, NULL, "ZZ-0000"), "person");
	expect_invalid(w, tok(ROLE_ADMIN, NULL, NULL, "AB-1234"), "person");
	expect_invalid(w, tok(ROLE_AGENCY, NULL, "exit", "AB-1234"), "person");

	/* every check kind of CONTRACT.md makes an agency token */
	{
		static const char *kinds[] = {"exit", "credit", "real_estate",
					      "business_registration",
					      "vehicle_registration", "driving",
					      "foreign_passport"};
		for (size_t i = 0; i < 7; i++) {
			t = tok(ROLE_AGENCY, NULL, kinds[i], NULL);
			if (auth_token_validate(w->st, &t, &e) != MU_OK)
				fail_msg("agency kind %s refused: %s", kinds[i], e.detail);
		}
	}
	t = tok(ROLE_CLERK, "MOW", NULL, NULL);
	assert_int_equal(auth_token_validate(w->st, &t, &e), MU_OK);
	t = tok(ROLE_CITIZEN, NULL, NULL, "AB-1234");
	assert_int_equal(auth_token_validate(w->st, &t, &e), MU_OK);
}

static void test_small_buffer(void **state)
{
	struct world *w = *state;
	struct token t = tok(ROLE_ADMIN, NULL, NULL, NULL);
	struct mu_error e = {0};
	char secret[AUTH_TOKEN_LEN]; /* one short: no room for the NUL */
	struct token *list = NULL;
	size_t n = 0;

	assert_int_not_equal(auth_token_create(w->st, &t, NOW, &w->ctx, secret,
					       sizeof(secret), &e), MU_OK);
	assert_int_equal(store_token_list(w->st, &list, &n), MU_OK);
	free(list);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_vectors),
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_role_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_hash_is_stored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_and_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_buffer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
