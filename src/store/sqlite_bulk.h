/*
 * sqlite_bulk.h: the bulk-import methods of the SQLite backend
 * (sqlite_bulk.c), for the method table in sqlite_ops.c.
 */
#ifndef MU_SQLITE_BULK_H
#define MU_SQLITE_BULK_H

#include "store/store.h"

enum mu_err sqb_import_begin(struct store *st, struct import_run *run, int resume,
			     const struct audit_ctx *a, struct mu_error *err);
enum mu_err sqb_import_batches(struct store *st, import_next_fn next, void *arg,
			       const struct audit_ctx *a, struct mu_error *err);
enum mu_err sqb_import_end(struct store *st, struct import_run *run, int ok,
			   const struct audit_ctx *a, struct mu_error *err);
enum mu_err sqb_dup_list(struct store *st, const struct dup_filter *f,
			 struct dup_pair *out, size_t cap, size_t *n);
enum mu_err sqb_dup_get(struct store *st, int64_t id, struct dup_pair *out);
enum mu_err sqb_dup_resolve(struct store *st, int64_t id, const char *state,
			    const char *note, const struct audit_ctx *a, struct mu_error *err);
enum mu_err sqb_person_provenance(struct store *st, const char *id,
				  struct field_source *out);
enum mu_err sqb_person_import_audits(struct store *st, const char *id, int64_t after,
				     int64_t *out, size_t cap, size_t *n);

#endif
