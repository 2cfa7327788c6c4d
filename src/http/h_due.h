/*
 * h_due.h: request helpers shared by the due-process handlers (h_due.c,
 * h_due_claims.c) and nothing else. Each helper that returns nonzero has
 * already answered the request.
 */
#ifndef MU_H_DUE_H
#define MU_H_DUE_H

#include "app/app_due.h"
#include "http/api.h"

/* The string member key of o, or NULL when absent or not a string. */
const char *hd_str(json_t *o, const char *key);
/* 400 naming the first key of o not in known (NULL-terminated), or a key
 * of known whose value is neither a string nor null. */
int hd_keys(struct api_req *r, json_t *o, const char *const *known);
/* Optional RFC 3339 member; *out is MU_T_NONE when absent. 400 when bad. */
int hd_time(struct api_req *r, json_t *o, const char *key, int64_t *out);
/* Person nid in the caller's scope (else 404, as if absent). */
int hd_person(struct api_req *r, const char *nid, struct person *p);
/* The owner of due-process record id, in the caller's scope (else 404). */
int hd_owner(struct api_req *r, const char *id, struct person *p);
/* Queue the audit record of reading record id of person nid (503 when the
 * queue is full). */
int hd_audit_read(struct api_req *r, const char *action, const char *nid,
		  const char *id);
/* Answer a record by id of the given prefix (GET /v1/<kind>/{id}). */
void hd_record(struct api_req *r, const char *prefix, const char *action);
/* The office zone of person nid ("UTC" when unknown) into zone. */
void hd_zone(struct api_req *r, const char *nid, char *zone, size_t size);

#endif
