/*
 * leaf.c: the canonical encoding of an audit entry and its JSON form.
 *
 * Encoding, version 1 (docs/audit.md has the same table for auditors):
 *
 *   u8  version (1)
 *   u64 idx, big-endian                 (the leaf index, from 0)
 *   i64 at, big-endian two's complement (seconds since 1970-01-01 UTC)
 *   10 strings, each u32 big-endian byte length then UTF-8 bytes:
 *       actor_token actor_role actor_office action subject_type
 *       subject_id person purpose request_id detail
 *
 * Every field is length-prefixed so no two entries encode alike, and the
 * index is inside the leaf so an entry moved to another position no
 * longer matches its stored hash.
 */
#include "audit/leaf.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "audit/sha256.h"
#include "util/timefmt.h"

#define N_STR AUDIT_LEAF_STRS

/* The string fields in encoding order, with their JSON keys. */
static void str_fields(const struct audit_entry *e, const char *v[N_STR])
{
	v[0] = e->actor_token;
	v[1] = e->actor_role;
	v[2] = e->actor_office;
	v[3] = e->action;
	v[4] = e->subject_type;
	v[5] = e->subject_id;
	v[6] = e->person;
	v[7] = e->purpose;
	v[8] = e->request_id;
	v[9] = e->detail;
}

static const char *const str_keys[N_STR] = {
	"actor_token", "actor_role", "actor_office", "action", "subject_type",
	"subject_id", "person", "purpose", "request_id", "detail",
};

static void put_be(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

size_t audit_leaf_encode(const struct audit_entry *e, unsigned char *buf, size_t cap,
			 size_t lens[AUDIT_LEAF_STRS])
{
	const char *v[N_STR];
	size_t off = 17;

	if (cap < off)
		return 0;
	buf[0] = AUDIT_LEAF_VERSION;
	put_be(buf + 1, (uint64_t)e->idx, 8);
	put_be(buf + 9, (uint64_t)e->at, 8);
	str_fields(e, v);
	for (int i = 0; i < N_STR; i++) {
		size_t len = strlen(v[i]);
		if (lens)
			lens[i] = len;
		if (cap - off < 4 + len)
			return 0;
		put_be(buf + off, len, 4);
		memcpy(buf + off + 4, v[i], len);
		off += 4 + len;
	}
	return off;
}

void audit_leaf_hash(const struct audit_entry *e, unsigned char out[32],
		     size_t lens[AUDIT_LEAF_STRS])
{
	unsigned char buf[1 + AUDIT_LEAF_MAX];
	size_t n = audit_leaf_encode(e, buf + 1, AUDIT_LEAF_MAX, lens);

	buf[0] = 0x00; /* RFC 9162 leaf prefix, encoded in place: one pass */
	audit_sha256(buf, n + 1, out);
}

static uint64_t get_be(const unsigned char *p, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

static void str_dests(struct audit_entry *e, char *d[N_STR], size_t sz[N_STR]);

size_t audit_leaf_decode(const unsigned char *buf, size_t len, struct audit_entry *e)
{
	char *d[N_STR];
	size_t sz[N_STR], off = 17;

	memset(e, 0, sizeof(*e));
	if (len < off || buf[0] != AUDIT_LEAF_VERSION)
		return 0;
	e->idx = (int64_t)get_be(buf + 1, 8);
	e->at = (int64_t)get_be(buf + 9, 8);
	str_dests(e, d, sz);
	for (int i = 0; i < N_STR; i++) {
		size_t n;
		if (len - off < 4)
			return 0;
		n = (size_t)get_be(buf + off, 4);
		off += 4;
		/* no room, or a NUL inside: not what audit_leaf_encode writes */
		if (n >= sz[i] || len - off < n || memchr(buf + off, 0, n))
			return 0;
		memcpy(d[i], buf + off, n);
		d[i][n] = 0;
		off += n;
	}
	return off;
}

json_t *audit_entry_json(const struct audit_entry *e)
{
	char at[MU_RFC3339_MAX];
	const char *v[N_STR];
	json_t *o;

	mu_time_format(e->at, at, sizeof(at));
	o = json_pack("{s:I, s:s}", "index", (json_int_t)e->idx, "at", at);
	if (!o)
		return NULL;
	str_fields(e, v);
	for (int i = 0; i < N_STR; i++)
		json_object_set_new(o, str_keys[i], json_string(v[i]));
	return o;
}

/* Destinations of the string fields, parallel to str_keys. */
static void str_dests(struct audit_entry *e, char *d[N_STR], size_t sz[N_STR])
{
	char *p[N_STR] = {e->actor_token, e->actor_role, e->actor_office, e->action,
			  e->subject_type, e->subject_id, e->person, e->purpose,
			  e->request_id, e->detail};
	size_t s[N_STR] = {sizeof(e->actor_token), sizeof(e->actor_role),
			   sizeof(e->actor_office), sizeof(e->action),
			   sizeof(e->subject_type), sizeof(e->subject_id),
			   sizeof(e->person), sizeof(e->purpose),
			   sizeof(e->request_id), sizeof(e->detail)};

	memcpy(d, p, sizeof(p));
	memcpy(sz, s, sizeof(s));
}

enum mu_err audit_entry_from_json(const json_t *o, struct audit_entry *e,
				  struct mu_error *err)
{
	json_t *idx = json_object_get(o, "index"), *at = json_object_get(o, "at");
	char *d[N_STR];
	size_t sz[N_STR];

	memset(e, 0, sizeof(*e));
	if (!json_is_integer(idx) || json_integer_value(idx) < 0)
		return mu_fail(err, MU_EINVAL, "index", "entry index must be an integer >= 0");
	e->idx = json_integer_value(idx);
	if (!json_is_string(at) || mu_time_parse(json_string_value(at), &e->at) != MU_OK)
		return mu_fail(err, MU_EINVAL, "at", "entry at must be an RFC 3339 instant");
	str_dests(e, d, sz);
	for (int i = 0; i < N_STR; i++) {
		json_t *s = json_object_get(o, str_keys[i]);
		if (!json_is_string(s) || json_string_length(s) >= sz[i] ||
		    strlen(json_string_value(s)) != json_string_length(s))
			return mu_fail(err, MU_EINVAL, str_keys[i],
				       "entry %s must be a string of at most %zu bytes",
				       str_keys[i], sz[i] - 1);
		memcpy(d[i], json_string_value(s), json_string_length(s) + 1);
	}
	return MU_OK;
}

char *audit_hex(const unsigned char *b, size_t n, char *out)
{
	return sodium_bin2hex(out, 2 * n + 1, b, n);
}

int audit_unhex(const char *hex, unsigned char *out, size_t n)
{
	size_t got = 0;
	const char *end = NULL;

	if (!hex || strlen(hex) != 2 * n)
		return -1;
	if (sodium_hex2bin(out, n, hex, 2 * n, NULL, &got, &end) != 0 || got != n ||
	    *end)
		return -1;
	return 0;
}
