/*
 * store.c: the store_* wrappers over the backend's method table.
 *
 * Thin on purpose (SQLite's os.c is the model): check the arguments, call
 * the method, keep out-pointers NULL on failure. Tests that need a failing
 * store inject faults here with MUSTER_STORE_FAIL=<method name>.
 */
#include "store/store.h"
#include "util/str.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_fault(const char *method)
{
	static const char *want;
	static int init;

	if (!init) {
		want = getenv("MUSTER_STORE_FAIL");
		init = 1;
	}
	return want && strcmp(want, method) == 0;
}

#define CALL(method, ...)                                               \
	do {                                                            \
		assert(st && st->ops && st->ops->method);               \
		if (store_fault(#method))                               \
			return MU_EIO;                                  \
		return st->ops->method(st, __VA_ARGS__);                \
	} while (0)

enum mu_err store_meta_get(struct store *st, const char *key, char **out)
{
	*out = NULL;
	CALL(meta_get, key, out);
}

enum mu_err store_meta_set(struct store *st, const char *key, const char *val)
{
	CALL(meta_set, key, val);
}

enum mu_err store_office_create(struct store *st, const struct office *o,
				const struct audit_ctx *a, struct mu_error *err)
{
	CALL(office_create, o, a, err);
}

enum mu_err store_office_get(struct store *st, const char *id, struct office *o)
{
	CALL(office_get, id, o);
}

enum mu_err store_office_has_summonses(struct store *st, const char *id, int *has)
{
	CALL(office_has_summonses, id, has);
}

enum mu_err store_office_list(struct store *st, struct office **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	CALL(office_list, out, n);
}

enum mu_err store_person_put(struct store *st, const struct person *p,
			     int create_only, const struct audit_ctx *a,
			     int *changed, struct mu_error *err)
{
	CALL(person_put, p, create_only, a, changed, err);
}

enum mu_err store_person_put_many(struct store *st, const struct person *v, size_t n,
				  const struct audit_ctx *a, size_t *changed,
				  struct mu_error *err)
{
	*changed = 0;
	CALL(person_put_many, v, n, a, changed, err);
}

enum mu_err store_person_get(struct store *st, const char *id, struct person *p)
{
	CALL(person_get, id, p);
}

enum mu_err store_person_list(struct store *st, const struct person_filter *f,
			      struct person *out, size_t cap, size_t *n)
{
	*n = 0;
	CALL(person_list, f, out, cap, n);
}

enum mu_err store_person_history(struct store *st, const char *id,
				 struct person *out, size_t cap, size_t *n)
{
	*n = 0;
	CALL(person_history, id, out, cap, n);
}

enum mu_err store_token_create(struct store *st, const struct token *t,
			       const unsigned char hash[32],
			       const struct audit_ctx *a)
{
	CALL(token_create, t, hash, a);
}

enum mu_err store_token_lookup(struct store *st, const unsigned char hash[32],
			       struct token *t)
{
	CALL(token_lookup, hash, t);
}

enum mu_err store_token_list(struct store *st, struct token **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	CALL(token_list, out, n);
}

enum mu_err store_token_revoke(struct store *st, const char *id,
			       const struct audit_ctx *a)
{
	CALL(token_revoke, id, a);
}

enum mu_err store_summons_create(struct store *st, const struct summons *s,
				 const struct restr_update *u,
				 const struct audit_ctx *a, struct mu_error *err)
{
	CALL(summons_create, s, u, a, err);
}

enum mu_err store_summons_get(struct store *st, const char *id,
			      struct summons_rec **out)
{
	*out = NULL;
	CALL(summons_get, id, out);
}

enum mu_err store_summons_of_person(struct store *st, const char *nid,
				    struct summons_set **out)
{
	*out = NULL;
	CALL(summons_of_person, nid, out);
}

enum mu_err store_event_append(struct store *st, const char *summons_id,
			       const struct event_rec *ev,
			       const struct restr_update *u,
			       const struct audit_ctx *a, int64_t *seq,
			       struct mu_error *err)
{
	CALL(event_append, summons_id, ev, u, a, seq, err);
}

enum mu_err store_event_append_many(struct store *st, struct event_batch_item *v, size_t n,
				    const struct audit_ctx *a, struct mu_error *err)
{
	CALL(event_append_many, v, n, a, err);
}

enum mu_err store_campaign_summons_ids(struct store *st, const char *id,
				       struct summons_id **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	CALL(campaign_summons_ids, id, out, n);
}

enum mu_err store_restr_get(struct store *st, const char *nid,
			    struct restr_state *out)
{
	CALL(restr_get, nid, out);
}

enum mu_err store_restr_apply(struct store *st, const struct restr_update *u,
			      const struct audit_ctx *a)
{
	CALL(restr_apply, u, a);
}

enum mu_err store_due_persons(struct store *st, int64_t now,
			      char (*out)[NATIONAL_ID_MAX + 1], size_t cap,
			      size_t *n)
{
	*n = 0;
	CALL(due_persons, now, out, cap, n);
}

enum mu_err store_feed_read(struct store *st, int64_t after, size_t limit,
			    struct restr_change *out, size_t *n)
{
	*n = 0;
	CALL(feed_read, after, limit, out, n);
}

enum mu_err store_audit_append(struct store *st, const struct audit_entry *e)
{
	CALL(audit_append, e);
}

enum mu_err store_audit_list(struct store *st, const struct audit_filter *f,
			     struct audit_entry *out, size_t cap, size_t *n)
{
	*n = 0;
	CALL(audit_list, f, out, cap, n);
}

enum mu_err store_audit_verify(struct store *st, int64_t *n_entries,
			       int64_t *bad_idx, struct mu_error *err)
{
	CALL(audit_verify, n_entries, bad_idx, err);
}

void summons_rec_free(struct summons_rec *r)
{
	if (!r)
		return;
	free(r->events);
	free(r->meta);
	free(r);
}

void summons_set_free(struct summons_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->items[i].events);
		free(s->items[i].meta);
	}
	free(s->items);
	free(s);
}

void audit_entry_from_ctx(struct audit_entry *e, const struct audit_ctx *a,
			  const char *action, const char *subject_type,
			  const char *subject_id, const char *person)
{
	memset(e, 0, sizeof(*e));
	e->at = a ? a->at : 0;
	mu_copy(e->actor_token, sizeof(e->actor_token), a ? a->token_id : NULL);
	mu_copy(e->actor_role, sizeof(e->actor_role), a && a->role ? a->role : "cli");
	mu_copy(e->actor_office, sizeof(e->actor_office), a ? a->office : NULL);
	mu_copy(e->request_id, sizeof(e->request_id), a ? a->request_id : NULL);
	mu_copy(e->purpose, sizeof(e->purpose), a ? a->purpose : NULL);
	mu_copy(e->action, sizeof(e->action), action);
	mu_copy(e->subject_type, sizeof(e->subject_type), subject_type);
	mu_copy(e->subject_id, sizeof(e->subject_id), subject_id);
	mu_copy(e->person, sizeof(e->person), person);
	mu_copy(e->detail, sizeof(e->detail), "{}");
}

enum mu_err store_audit_read(struct store *st, const struct audit_entry *e)
{
	CALL(audit_read, e, 1);
}

enum mu_err store_audit_read_many(struct store *st, const struct audit_entry *v, size_t n)
{
	CALL(audit_read, v, n);
}

enum mu_err store_flush(struct store *st)
{
	assert(st && st->ops && st->ops->flush);
	return st->ops->flush(st);
}

void store_reads_done(struct store *st)
{
	assert(st && st->ops && st->ops->reads_done);
	st->ops->reads_done(st);
}

enum mu_err store_restr_check(struct store *st, const char *nid, enum restr_kind kind,
			      struct check_row *out)
{
	CALL(restr_check, nid, kind, out);
}

enum mu_err store_feed_read_kind(struct store *st, int64_t after, const char *kind,
				 size_t limit, struct restr_change *out, size_t *n,
				 int64_t *scanned_to)
{
	*n = 0;
	*scanned_to = after;
	CALL(feed_read_kind, after, kind, limit, out, n, scanned_to);
}

enum mu_err store_feed_ack(struct store *st, const char *token_id, const char *kind,
			   int64_t cursor, int64_t at)
{
	CALL(feed_ack, token_id, kind, cursor, at);
}

enum mu_err store_feed_lags(struct store *st, struct feed_lag **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	CALL(feed_lags, out, n);
}

enum mu_err store_audit_key(struct store *st, unsigned char pk[32])
{
	CALL(audit_key, pk);
}

enum mu_err store_audit_head(struct store *st, struct audit_head *out)
{
	memset(out, 0, sizeof(*out));
	CALL(audit_head, out);
}

enum mu_err store_audit_publish(struct store *st, struct audit_head *out)
{
	memset(out, 0, sizeof(*out));
	CALL(audit_publish, out);
}

enum mu_err store_audit_get(struct store *st, int64_t idx, struct audit_entry *e,
			    unsigned char leaf_hash[32])
{
	CALL(audit_get, idx, e, leaf_hash);
}

enum mu_err store_audit_size(struct store *st, int64_t *size)
{
	*size = 0;
	CALL(audit_size, size);
}

enum mu_err store_audit_inclusion(struct store *st, int64_t idx, int64_t size,
				  unsigned char (*proof)[32], size_t *n,
				  unsigned char root[32])
{
	*n = 0;
	CALL(audit_inclusion, idx, size, proof, n, root);
}

enum mu_err store_audit_consistency(struct store *st, int64_t from, int64_t to,
				    unsigned char (*proof)[32], size_t *n,
				    unsigned char from_root[32], unsigned char to_root[32])
{
	*n = 0;
	CALL(audit_consistency, from, to, proof, n, from_root, to_root);
}

enum mu_err store_audit_append_many(struct store *st, struct audit_entry *v, size_t n)
{
	CALL(audit_append_many, v, n);
}

enum mu_err store_campaign_scan(struct store *st, int purpose, const char *born_from,
				const char *born_to, const char *exclude_id,
				campaign_scan_cb cb, void *ctx)
{
	CALL(campaign_scan, purpose, born_from, born_to, exclude_id, cb, ctx);
}

enum mu_err store_slots_taken(struct store *st, int64_t from, int64_t to,
			      slot_taken_cb cb, void *ctx)
{
	CALL(slots_taken, from, to, cb, ctx);
}

enum mu_err store_campaign_put(struct store *st, const struct campaign *c,
			       const struct campaign_member *m, size_t n, int replace,
			       const struct audit_ctx *a, struct mu_error *err)
{
	CALL(campaign_put, c, m, n, replace, a, err);
}

enum mu_err store_campaign_get(struct store *st, const char *id, struct campaign *c)
{
	CALL(campaign_get, id, c);
}

enum mu_err store_campaign_list(struct store *st, struct campaign **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	CALL(campaign_list, out, n);
}

enum mu_err store_campaign_members(struct store *st, const char *id, int64_t offset,
				   size_t limit, struct campaign_member **out, size_t *n,
				   int64_t *total)
{
	*out = NULL;
	*n = 0;
	*total = 0;
	CALL(campaign_members, id, offset, limit, out, n, total);
}

enum mu_err store_campaign_member_scan(struct store *st, const char *id,
				       campaign_scan_cb cb, void *ctx)
{
	CALL(campaign_member_scan, id, cb, ctx);
}

enum mu_err store_campaign_issue(struct store *st, const struct campaign *c,
				 struct campaign_member *m, size_t n,
				 const struct audit_ctx *a, struct store_progress *pr,
				 size_t *issued, struct mu_error *err)
{
	*issued = 0;
	CALL(campaign_issue, c, m, n, a, pr, issued, err);
}

enum mu_err store_campaign_cancel(struct store *st, const char *id, const char *reason,
				  const struct audit_ctx *a, struct mu_error *err)
{
	CALL(campaign_cancel, id, reason, a, err);
}

enum mu_err store_campaign_summonses(struct store *st, const char *id, int64_t *after,
				     size_t limit, struct summons_set **out)
{
	*out = NULL;
	CALL(campaign_summonses, id, after, limit, out);
}

enum mu_err store_import_begin(struct store *st, struct import_run *run, int resume,
			       const struct audit_ctx *a, struct mu_error *err)
{
	CALL(import_begin, run, resume, a, err);
}

static struct import_batch *once(void *arg)
{
	struct import_batch **b = arg, *give = *b;

	*b = NULL;
	return give;
}

enum mu_err store_import_batch(struct store *st, struct import_batch *b,
			       const struct audit_ctx *a, struct mu_error *err)
{
	struct import_batch *one = b;

	assert(b && b->run && (b->n == 0 || b->rows));
	memset(&b->c, 0, sizeof(b->c));
	CALL(import_batches, once, &one, a, err);
}

enum mu_err store_import_batches(struct store *st, import_next_fn next, void *arg,
				 const struct audit_ctx *a, struct mu_error *err)
{
	assert(next);
	CALL(import_batches, next, arg, a, err);
}

enum mu_err store_import_end(struct store *st, struct import_run *run, int ok,
			     const struct audit_ctx *a, struct mu_error *err)
{
	CALL(import_end, run, ok, a, err);
}

enum mu_err store_dup_get(struct store *st, int64_t id, struct dup_pair *out)
{
	CALL(dup_get, id, out);
}

enum mu_err store_dup_resolve(struct store *st, int64_t id, const char *state,
			      const char *note, const struct audit_ctx *a,
			      struct mu_error *err)
{
	CALL(dup_resolve, id, state, note, a, err);
}

enum mu_err store_dup_list(struct store *st, const struct dup_filter *f,
			   struct dup_pair *out, size_t cap, size_t *n)
{
	*n = 0;
	CALL(dup_list, f, out, cap, n);
}

enum mu_err store_person_provenance(struct store *st, const char *id,
				    struct field_source *out)
{
	CALL(person_provenance, id, out);
}

enum mu_err store_person_import_audits(struct store *st, const char *id, int64_t after,
				       int64_t *out, size_t cap, size_t *n)
{
	*n = 0;
	CALL(person_import_audits, id, after, out, cap, n);
}

/* ---- due process ---- */

enum mu_err store_due_of_person(struct store *st, const char *nid,
				struct due_set **out)
{
	*out = NULL;
	CALL(due_of_person, nid, out);
}

void due_set_free(struct due_set *d)
{
	if (!d)
		return;
	free(d->fitness);
	free(d->exemptions);
	free(d->overrides);
	free(d->excuses);
	free(d->appeals);
	free(d->corrections);
	free(d);
}

enum mu_err store_due_owner(struct store *st, const char *id,
			    char nid[NATIONAL_ID_MAX + 1])
{
	nid[0] = 0;
	CALL(due_owner, id, nid);
}

enum mu_err store_fitness_add(struct store *st, const struct fitness_rec *f,
			      const struct person_change *pc, const struct audit_ctx *a,
			      struct mu_error *err)
{
	CALL(fitness_add, f, pc, a, err);
}

enum mu_err store_exemption_add(struct store *st, const struct exemption_rec *e,
				const struct audit_ctx *a, struct mu_error *err)
{
	CALL(exemption_add, e, a, err);
}

enum mu_err store_exemption_revoke(struct store *st, const struct exemption_rec *e,
				   const struct audit_ctx *a, struct mu_error *err)
{
	CALL(exemption_revoke, e, a, err);
}

enum mu_err store_override_add(struct store *st, const struct override_rec *o,
			       const struct audit_ctx *a, struct mu_error *err)
{
	CALL(override_add, o, a, err);
}

enum mu_err store_override_step(struct store *st, const struct override_rec *o,
				enum override_step step, const struct audit_ctx *a,
				struct mu_error *err)
{
	CALL(override_step, o, step, a, err);
}

enum mu_err store_override_list(struct store *st, enum due_state state,
				struct override_rec **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	CALL(override_list, state, out, n);
}

enum mu_err store_excuse_add(struct store *st, const struct excuse_rec *e,
			     const struct audit_ctx *a, struct mu_error *err)
{
	CALL(excuse_add, e, a, err);
}

enum mu_err store_excuse_decide(struct store *st, const struct excuse_rec *e,
				const struct audit_ctx *a, struct mu_error *err)
{
	CALL(excuse_decide, e, a, err);
}

enum mu_err store_appeal_add(struct store *st, const struct appeal_rec *r,
			     const struct audit_ctx *a, struct mu_error *err)
{
	CALL(appeal_add, r, a, err);
}

enum mu_err store_appeal_decide(struct store *st, const struct appeal_rec *r,
				const struct person_change *pc, const struct audit_ctx *a,
				struct mu_error *err)
{
	CALL(appeal_decide, r, pc, a, err);
}

enum mu_err store_correction_add(struct store *st, const struct correction_rec *c,
				 const struct audit_ctx *a, struct mu_error *err)
{
	CALL(correction_add, c, a, err);
}

enum mu_err store_correction_decide(struct store *st, const struct correction_rec *c,
				    const struct person_change *pc,
				    const struct audit_ctx *a, struct mu_error *err)
{
	CALL(correction_decide, c, pc, a, err);
}

enum mu_err store_correction_overdue(struct store *st, int64_t now,
				     struct correction_rec **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	CALL(correction_overdue, now, out, n);
}

enum mu_err store_summons_by_code(struct store *st, const char *code,
				  struct summons_rec **out)
{
	*out = NULL;
	CALL(summons_by_code, code, out);
}

enum mu_err store_notify_events(struct store *st, int64_t after_seq, size_t limit,
				struct notify_event *out, size_t *n)
{
	*n = 0;
	CALL(notify_events, after_seq, limit, out, n);
}

enum mu_err store_notices_add(struct store *st, const struct notice *v, size_t n,
			      int64_t change_cursor, int64_t event_seq)
{
	CALL(notices_add, v, n, change_cursor, event_seq);
}

enum mu_err store_notices_due(struct store *st, int64_t now, size_t limit,
			      struct notice *out, size_t *n)
{
	*n = 0;
	CALL(notices_due, now, limit, out, n);
}

enum mu_err store_notice_result(struct store *st, int64_t id, const char *state,
				int attempts, int64_t next_attempt_at, int64_t sent_at,
				const char *error)
{
	CALL(notice_result, id, state, attempts, next_attempt_at, sent_at, error);
}

enum mu_err store_notices_list(struct store *st, const char *state, const char *nid,
			       const char *office, size_t limit, struct notice *out, size_t *n)
{
	*n = 0;
	CALL(notices_list, state, nid, office, limit, out, n);
}

enum mu_err store_summonses_issued(struct store *st, const char *office, int64_t from,
				   int64_t to, struct summons_set **out)
{
	*out = NULL;
	CALL(summonses_issued, office, from, to, out);
}

enum mu_err store_account_set(struct store *st, const char *nid, const char *provider,
			      const struct audit_ctx *a, struct mu_error *err)
{
	CALL(account_set, nid, provider, a, err);
}

enum mu_err store_account_get(struct store *st, const char *nid, char provider[16])
{
	provider[0] = 0;
	CALL(account_get, nid, provider);
}

enum mu_err store_channels_put(struct store *st, const char *summons_id,
			       const struct channel_entry *v, size_t n,
			       const char *push_body, int64_t at)
{
	CALL(channels_put, summons_id, v, n, push_body, at);
}

enum mu_err store_channels_get(struct store *st, const char *summons_id,
			       struct channel_entry *out, size_t cap, size_t *n)
{
	*n = 0;
	CALL(channels_get, summons_id, out, cap, n);
}

enum mu_err store_nonce_claim(struct store *st, const char *message_id,
			      const char *type, int64_t at)
{
	CALL(nonce_claim, message_id, type, at);
}

enum mu_err store_pushes_due(struct store *st, int64_t now, size_t limit,
			     struct portal_push *out, size_t *n)
{
	*n = 0;
	CALL(pushes_due, now, limit, out, n);
}

enum mu_err store_push_result(struct store *st, int64_t id, const char *state,
			      int attempts, int64_t next_attempt_at, int64_t sent_at,
			      const char *error)
{
	CALL(push_result, id, state, attempts, next_attempt_at, sent_at, error);
}
