/*
 * dupset.h: which keys of one file occur more than once, in bounded memory.
 *
 * The importer adds the key (a national id or office id, at most
 * DUPSET_KEY_MAX bytes) of every good row while it reads the file; at the
 * end dupset_each reports every key seen more than once, with its
 * occurrences in file order. Up to DUPSET_MEM_ENTRIES entries are kept in
 * memory; past that they spill to DUPSET_PARTS temporary files partitioned
 * by a hash of the key, and each partition is sorted on its own, so memory
 * stays near DUPSET_MEM_ENTRIES entries however long the file is. Exact:
 * keys are compared byte for byte, never by hash alone.
 */
#ifndef MU_DUPSET_H
#define MU_DUPSET_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define DUPSET_KEY_MAX 32
#define DUPSET_MEM_ENTRIES (1u << 20)   /* 48 MiB of entries */
#define DUPSET_PARTS 128

struct dupset_entry {
	char key[DUPSET_KEY_MAX];  /* NUL-padded */
	uint64_t row;
	uint64_t line;
};

struct dupset;

typedef void (*dupset_fn)(void *arg, const struct dupset_entry *occ, size_t n);

/* A new empty set; *out is NULL on failure. */
enum mu_err dupset_new(struct dupset **out) MU_MUSTCHECK;
/* Note key at row/line. Keys longer than DUPSET_KEY_MAX are MU_EINVAL. */
enum mu_err dupset_add(struct dupset *d, const char *key, uint64_t row,
		       uint64_t line) MU_MUSTCHECK;
/* Call fn once for every key seen more than once, with its n occurrences
 * sorted by row. The set is consumed: add nothing after this. */
enum mu_err dupset_each(struct dupset *d, dupset_fn fn, void *arg) MU_MUSTCHECK;
/* Free the set and its temporary files. Accepts NULL. */
void dupset_free(struct dupset *d);

#endif
