/*
 * leaf.h: the canonical bytes of an audit entry (the Merkle leaf) and the
 * entry's JSON form, as docs/audit.md specifies them for outside auditors.
 *
 * Pure: no I/O. The encoding is versioned by its first byte; changing it
 * changes every leaf hash, so it changes only with a new version byte.
 */
#ifndef MU_AUDIT_LEAF_H
#define MU_AUDIT_LEAF_H

#include <jansson.h>
#include <stddef.h>

#include "store/store.h"

#define AUDIT_LEAF_VERSION 1
#define AUDIT_LEAF_MAX 1024 /* fits any encoded struct audit_entry */
#define AUDIT_LEAF_STRS 10  /* text fields, actor_token .. detail */

/* Encode e into buf[0..cap); returns the length, 0 if cap is too small.
 * lens (may be NULL) gets each text field's byte length, in order. */
size_t audit_leaf_encode(const struct audit_entry *e, unsigned char *buf, size_t cap,
			 size_t lens[AUDIT_LEAF_STRS]);
/* Decode one encoding at the start of buf[0..len) into e; returns its
 * length, 0 if it is not a well-formed encoding that fits e. */
size_t audit_leaf_decode(const unsigned char *buf, size_t len, struct audit_entry *e);
/* The RFC 9162 leaf hash SHA-256(0x00 || encoding) of e; lens as above. */
void audit_leaf_hash(const struct audit_entry *e, unsigned char out[32],
		     size_t lens[AUDIT_LEAF_STRS]);

/* The entry as JSON: every encoded field, "at" as RFC 3339 UTC and
 * "detail" as the exact stored text. New reference, NULL on no memory. */
json_t *audit_entry_json(const struct audit_entry *e);
/* Parse the JSON form back. MU_EINVAL naming the field when a field is
 * missing, mistyped or too long for struct audit_entry. */
enum mu_err audit_entry_from_json(const json_t *o, struct audit_entry *e,
				  struct mu_error *err) MU_MUSTCHECK;

/* Lower-case hex of n bytes into out (2n + 1 bytes). Returns out. */
char *audit_hex(const unsigned char *b, size_t n, char *out);
/* Exactly n bytes from hex text; -1 if it is not 2n hex digits. */
int audit_unhex(const char *hex, unsigned char *out, size_t n);

#endif
