/*
 * sth.c: signing and checking tree heads, proofs as JSON, and the offline
 * check of a receipt that `muster audit verify-proof` runs.
 *
 * Nothing here trusts the register: a receipt is judged only by the
 * public key the person holds and the hashes it carries.
 */
#include "audit/sth.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "audit/leaf.h"
#include "audit/merkle.h"
#include "util/timefmt.h"

static const char HEAD_TAG[] = "muster.audit.sth.v1"; /* + its NUL */

static void put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

void audit_head_message(const struct audit_head *h, unsigned char msg[AUDIT_HEAD_MSG_LEN])
{
	memcpy(msg, HEAD_TAG, sizeof(HEAD_TAG));
	put_u64(msg + 20, (uint64_t)h->size);
	put_u64(msg + 28, (uint64_t)h->timestamp_ms);
	memcpy(msg + 36, h->root, 32);
}

void audit_head_sign(struct audit_head *h, const unsigned char sk[AUDIT_SK_LEN])
{
	unsigned char msg[AUDIT_HEAD_MSG_LEN];

	audit_head_message(h, msg);
	crypto_sign_detached(h->sig, NULL, msg, sizeof(msg), sk);
}

enum mu_err audit_head_verify(const struct audit_head *h,
			      const unsigned char pk[AUDIT_PK_LEN])
{
	unsigned char msg[AUDIT_HEAD_MSG_LEN];

	audit_head_message(h, msg);
	if (crypto_sign_verify_detached(h->sig, msg, sizeof(msg), pk) != 0)
		return MU_ECONFLICT;
	return MU_OK;
}

json_t *audit_head_json(const struct audit_head *h)
{
	char root[65], sig[129], ts[MU_RFC3339_MAX];

	mu_time_format(h->timestamp_ms / 1000, ts, sizeof(ts));
	return json_pack("{s:I, s:s, s:s, s:I, s:s}", "size", (json_int_t)h->size,
			 "root", audit_hex(h->root, 32, root), "timestamp", ts,
			 "timestamp_ms", (json_int_t)h->timestamp_ms, "signature",
			 audit_hex(h->sig, 64, sig));
}

enum mu_err audit_head_from_json(const json_t *o, struct audit_head *h,
				 struct mu_error *err)
{
	json_t *size = json_object_get(o, "size"), *ts = json_object_get(o, "timestamp_ms");

	memset(h, 0, sizeof(*h));
	if (!json_is_object(o))
		return mu_fail(err, MU_EINVAL, "signed_head", "signed_head must be an object");
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return mu_fail(err, MU_EINVAL, "size", "head size must be an integer >= 0");
	if (!json_is_integer(ts))
		return mu_fail(err, MU_EINVAL, "timestamp_ms",
			       "head timestamp_ms must be an integer");
	h->size = json_integer_value(size);
	h->timestamp_ms = json_integer_value(ts);
	if (audit_unhex(json_string_value(json_object_get(o, "root")), h->root, 32))
		return mu_fail(err, MU_EINVAL, "root", "head root must be 64 hex digits");
	if (audit_unhex(json_string_value(json_object_get(o, "signature")), h->sig, 64))
		return mu_fail(err, MU_EINVAL, "signature",
			       "head signature must be 128 hex digits");
	return MU_OK;
}

json_t *audit_proof_json(const unsigned char (*proof)[32], size_t n)
{
	json_t *a = json_array();
	char hex[65];

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(audit_hex(proof[i], 32, hex)));
	return a;
}

enum mu_err audit_proof_from_json(const json_t *a, const char *field,
				  unsigned char (*proof)[32], size_t max, size_t *n,
				  struct mu_error *err)
{
	size_t i;
	json_t *v;

	*n = 0;
	if (!json_is_array(a) || json_array_size(a) > max)
		return mu_fail(err, MU_EINVAL, field,
			       "%s must be an array of at most %zu hashes", field, max);
	json_array_foreach(a, i, v) {
		if (audit_unhex(json_string_value(v), proof[i], 32))
			return mu_fail(err, MU_EINVAL, field,
				       "%s[%zu] must be 64 hex digits", field, i);
	}
	*n = json_array_size(a);
	return MU_OK;
}

/* The receipt's key must be the one the person trusts. */
static enum mu_err check_key(const json_t *r, const unsigned char pk[AUDIT_PK_LEN],
			     struct mu_error *err)
{
	const char *hex = json_string_value(json_object_get(r, "public_key"));
	unsigned char got[AUDIT_PK_LEN];

	if (!hex)
		return MU_OK;
	if (audit_unhex(hex, got, sizeof(got)))
		return mu_fail(err, MU_EINVAL, "public_key", "public_key must be 64 hex digits");
	if (sodium_memcmp(got, pk, AUDIT_PK_LEN) != 0)
		return mu_fail(err, MU_ECONFLICT, "public_key",
			       "the receipt names another log key than the one given");
	return MU_OK;
}

/* The entry's leaf hash, and that it sits at the receipt's index. */
static enum mu_err receipt_leaf(const json_t *r, struct audit_entry *e,
				unsigned char leaf[32], uint64_t *index,
				struct mu_error *err)
{
	json_t *li = json_object_get(r, "leaf_index");
	const char *lh = json_string_value(json_object_get(r, "leaf_hash"));
	unsigned char claimed[32];
	enum mu_err rc = audit_entry_from_json(json_object_get(r, "entry"), e, err);

	if (rc)
		return rc;
	if (!json_is_integer(li) || json_integer_value(li) != e->idx)
		return mu_fail(err, MU_EINVAL, "leaf_index",
			       "leaf_index must be the entry's index");
	*index = (uint64_t)e->idx;
	audit_leaf_hash(e, leaf, NULL);
	if (lh && (audit_unhex(lh, claimed, 32) || sodium_memcmp(claimed, leaf, 32)))
		return mu_fail(err, MU_ECONFLICT, "leaf_hash",
			       "the entry does not hash to the receipt's leaf_hash: "
			       "the entry was altered");
	return MU_OK;
}

enum mu_err audit_receipt_verify(const json_t *receipt,
				 const unsigned char pk[AUDIT_PK_LEN],
				 struct audit_entry *entry, struct mu_error *err)
{
	unsigned char proof[MERKLE_PROOF_MAX][32], leaf[32];
	struct audit_entry e;
	struct audit_head h;
	uint64_t index = 0;
	size_t n;
	enum mu_err rc;

	if (!json_is_object(receipt))
		return mu_fail(err, MU_EINVAL, NULL, "a receipt is a JSON object");
	if ((rc = check_key(receipt, pk, err)) ||
	    (rc = receipt_leaf(receipt, &e, leaf, &index, err)) ||
	    (rc = audit_head_from_json(json_object_get(receipt, "signed_head"), &h, err)) ||
	    (rc = audit_proof_from_json(json_object_get(receipt, "inclusion_proof"),
					"inclusion_proof", proof, MERKLE_PROOF_MAX, &n, err)))
		return rc;
	if (audit_head_verify(&h, pk) != MU_OK)
		return mu_fail(err, MU_ECONFLICT, "signed_head",
			       "the signed head's signature does not verify with this key");
	rc = merkle_verify_inclusion(index, (uint64_t)h.size, leaf,
				     (const unsigned char(*)[32])proof, n, h.root);
	if (rc != MU_OK)
		return mu_fail(err, MU_ECONFLICT, "inclusion_proof",
			       "the proof does not put entry %llu in the signed tree of "
			       "size %lld", (unsigned long long)index, (long long)h.size);
	if (entry)
		*entry = e;
	return MU_OK;
}
