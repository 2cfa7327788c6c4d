/*
 * sha256.h: one-shot SHA-256 for the audit log's hot path.
 *
 * The Merkle log hashes every entry and about one interior node per entry;
 * libsodium's portable SHA-256 made that half the cost of an append. On
 * x86-64 processors with the SHA extensions this uses them (about ten
 * times faster); everywhere else it is libsodium's crypto_hash_sha256.
 * Both give the same digest (tests/unit/test_merkle.c compares them).
 * Pure: no I/O, no allocation.
 */
#ifndef MU_AUDIT_SHA256_H
#define MU_AUDIT_SHA256_H

#include <stddef.h>

/* out = SHA-256(data[0..n)). */
void audit_sha256(const void *data, size_t n, unsigned char out[32]);
/* 1 when the SHA extensions are in use (for the bench's report). */
int audit_sha256_accelerated(void);
/* For tests: 0 makes audit_sha256 use libsodium from now on; 1 goes back
 * to the extensions when the processor has them. */
void audit_sha256_use_accelerated(int on);

#endif
