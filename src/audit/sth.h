/*
 * sth.h: signed tree heads (Ed25519 over a fixed byte message) and the
 * offline check of a receipt. Pure: no I/O; the keys are the caller's.
 *
 * The signed message (docs/audit.md):
 *   "muster.audit.sth.v1" 0x00 | u64be size | u64be timestamp_ms | root[32]
 */
#ifndef MU_AUDIT_STH_H
#define MU_AUDIT_STH_H

#include <jansson.h>

#include "store/store.h"

#define AUDIT_HEAD_MSG_LEN 68
#define AUDIT_PK_LEN 32
#define AUDIT_SK_LEN 64

/* The bytes a head's signature covers. */
void audit_head_message(const struct audit_head *h,
			unsigned char msg[AUDIT_HEAD_MSG_LEN]);
/* Fill h->sig from the other fields with secret key sk. */
void audit_head_sign(struct audit_head *h, const unsigned char sk[AUDIT_SK_LEN]);
/* MU_OK when h->sig is pk's signature of h, else MU_ECONFLICT. */
enum mu_err audit_head_verify(const struct audit_head *h,
			      const unsigned char pk[AUDIT_PK_LEN]) MU_MUSTCHECK;

/* {"size","root","timestamp","timestamp_ms","signature"}; hex hashes. */
json_t *audit_head_json(const struct audit_head *h);
/* Parse that form; MU_EINVAL naming the field. */
enum mu_err audit_head_from_json(const json_t *o, struct audit_head *h,
				 struct mu_error *err) MU_MUSTCHECK;

/* A JSON array of hex hashes, and back (at most max; MU_EINVAL naming
 * field when an element is not 64 hex digits). */
json_t *audit_proof_json(const unsigned char (*proof)[32], size_t n);
enum mu_err audit_proof_from_json(const json_t *a, const char *field,
				  unsigned char (*proof)[32], size_t max, size_t *n,
				  struct mu_error *err) MU_MUSTCHECK;

/* Check a receipt (the JSON of GET .../receipt) against public key pk
 * with no database: the entry's recomputed leaf hash is included, by the
 * proof, in the tree whose head pk signed. MU_OK when it holds; else
 * MU_EINVAL (malformed) or MU_ECONFLICT (does not verify), err saying why.
 * On MU_OK *entry (may be NULL) is the receipt's entry. */
enum mu_err audit_receipt_verify(const json_t *receipt,
				 const unsigned char pk[AUDIT_PK_LEN],
				 struct audit_entry *entry,
				 struct mu_error *err) MU_MUSTCHECK;

#endif
