/*
 * codec.h: records to and from JSON (jansson), one implementation for the
 * HTTP API, the importer and the store's history.
 *
 * Decoding checks shape only (types, unknown keys, lengths that fit the
 * record); the rules of content are person_validate / office_validate.
 * Ownership: *_to_json returns a new reference the caller must json_decref.
 */
#ifndef MU_CODEC_H
#define MU_CODEC_H

#include <jansson.h>

#include "domain/model.h"
#include "util/err.h"

json_t *person_to_json(const struct person *p);
/* Decode an import row / POST body. Unknown keys are MU_EINVAL naming the
 * key. Missing optional keys are empty. If partial, keys absent from o leave
 * *p as it was (PATCH). */
enum mu_err person_from_json(const json_t *o, struct person *p, int partial,
			     struct mu_error *err) MU_MUSTCHECK;

json_t *office_to_json(const struct office *o);
enum mu_err office_from_json(const json_t *o, struct office *out,
			     struct mu_error *err) MU_MUSTCHECK;

/* The person columns of CONTRACT.md, in order, NULL-terminated. */
extern const char *const person_columns[];

/* Set one person field from text (the CSV path). MU_EINVAL names the
 * column when the value does not fit or the column is unknown. */
enum mu_err person_set_field(struct person *p, const char *column,
			     const char *value, struct mu_error *err) MU_MUSTCHECK;

#endif
