/*
 * app_due_claims.c: due process, part two: what the person (or a clerk
 * for them) files and an officer decides: excuses, appeals and correction
 * requests. See app_due.h.
 *
 * A decision that changes a summons records its event first, through
 * app_record_event (so restrictions and the feed follow), and then the
 * decision itself; a decision that changes the person's record writes the
 * change together with the decision. Must not decide a rule of law: the
 * engine says what an event means, the profile which reasons are valid.
 */
#include "app/app_due_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/codec.h"

/* The fields a person may ask to have corrected. The office (a transfer)
 * and the fitness category (the medical board's) are not among them. */
static const char *const correctable[] = {
	"family_name", "given_name", "patronymic", "birth_date", "sex", "region",
	"address", "phone", "email", NULL,
};

/* Load summons id; MU_ENOTFOUND naming "summons_id". */
static enum mu_err load_summons(struct app *a, const char *id,
				struct summons_rec **r, struct mu_error *err)
{
	enum mu_err rc = id ? store_summons_get(a->st, id, r) : MU_ENOTFOUND;

	if (rc == MU_ENOTFOUND)
		return mu_fail(err, rc, "summons_id", "no summons %.32s", id ? id : "");
	return rc ? mu_fail(err, rc, NULL, "cannot read the register") : MU_OK;
}

/* ---- excuses ---- */

static enum mu_err bad_excuse(const struct profile *p, struct mu_error *err)
{
	char list[256] = "";
	size_t len = 0;

	for (int i = 0; profile_excuse_reason(p, i); i++) {
		const char *name = profile_excuse_reason(p, i);
		if (len + strlen(name) + 3 < sizeof(list))
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
						len ? ", " : "", name);
	}
	return mu_fail(err, MU_EINVAL, "reason", "reason must be one this "
		       "jurisdiction recognises: %s", len ? list : "(none)");
}

static int pending_excuse(const struct due_set *d, const char *sid)
{
	for (size_t i = 0; i < d->n_excuses; i++)
		if (!strcmp(d->excuses[i].summons_id, sid) &&
		    d->excuses[i].state == DS_PENDING)
			return 1;
	return 0;
}

static enum mu_err excuse_check(struct app *a, const struct excuse_req *r,
				struct mu_error *err)
{
	enum mu_err rc;

	if (!r->reason || !profile_excuse_text(a->profile, r->reason))
		return bad_excuse(a->profile, err);
	rc = due_text("document", r->document, 0, DUE_REF_MAX, err);
	return rc ? rc : due_text("note", r->note, 0, DUE_TEXT_MAX, err);
}

enum mu_err app_excuse_file(struct app *a, const char *summons_id,
			    const struct excuse_req *r, const struct audit_ctx *ctx,
			    struct excuse_rec *out, struct mu_error *err)
{
	struct summons_rec *s = NULL;
	struct due_view v = {0};
	struct excuse_rec e;
	enum mu_err rc = excuse_check(a, r, err);

	if (rc == MU_OK)
		rc = load_summons(a, summons_id, &s, err);
	if (rc == MU_OK)
		rc = app_due_view(a, s->s.national_id, &v, err);
	if (rc == MU_OK && !due_summons_alive(a, s, ctx->at))
		rc = mu_fail(err, MU_ECONFLICT, "summons_id", "summons %s has ended; "
			     "there is nothing to excuse", s->s.id);
	if (rc == MU_OK && pending_excuse(v.d, s->s.id))
		rc = mu_fail(err, MU_ECONFLICT, "summons_id", "an excuse for summons %s "
			     "is already waiting for a decision", s->s.id);
	if (rc == MU_OK) {
		memset(&e, 0, sizeof(e));
		due_new_id(e.id, sizeof(e.id), "X-");
		snprintf(e.summons_id, sizeof(e.summons_id), "%s", s->s.id);
		snprintf(e.national_id, sizeof(e.national_id), "%s", s->s.national_id);
		snprintf(e.reason, sizeof(e.reason), "%s", r->reason);
		snprintf(e.document, sizeof(e.document), "%s", r->document ? r->document : "");
		snprintf(e.note, sizeof(e.note), "%s", r->note ? r->note : "");
		e.state = DS_PENDING;
		due_stamp_now(&e.filed, ctx);
		e.decided.at = e.new_report_at = MU_T_NONE;
		rc = store_excuse_add(a->st, &e, ctx, err);
		if (rc == MU_OK)
			*out = e;
	}
	due_view_free(&v);
	summons_rec_free(s);
	return rc;
}

/* Accepting: the summons must still be open; record `excused`. */
static enum mu_err excuse_accept(struct app *a, struct excuse_rec *e,
				 int64_t new_report_at, const struct audit_ctx *ctx,
				 struct mu_error *err)
{
	struct summons_rec *s = NULL;
	char ref[128];
	enum mu_err rc = load_summons(a, e->summons_id, &s, err);

	if (rc == MU_OK && !due_summons_alive(a, s, ctx->at))
		rc = mu_fail(err, MU_ECONFLICT, "id", "summons %s has ended meanwhile; "
			     "the excuse can only be rejected", e->summons_id);
	if (rc == MU_OK && new_report_at != MU_T_NONE && new_report_at <= ctx->at)
		rc = mu_fail(err, MU_EINVAL, "new_report_at", "new_report_at must lie "
			     "in the future");
	if (rc == MU_OK) {
		snprintf(ref, sizeof(ref), "excuse %s: %.60s", e->id, e->reason);
		rc = due_record_event(a, e->summons_id, EV_EXCUSED, new_report_at,
				      AO_NONE, ref, ctx, &e->event_seq, err);
	}
	e->new_report_at = new_report_at;
	summons_rec_free(s);
	return rc;
}

/* Four eyes on claims: whoever filed a claim (a clerk for the person)
 * never decides it; another officer must. */
static enum mu_err not_the_filer(const struct due_stamp *filed, const struct audit_ctx *ctx,
				 const char *what, const char *id, struct mu_error *err)
{
	if (ctx->token_id && ctx->token_id[0] && !strcmp(filed->token, ctx->token_id))
		return mu_fail(err, MU_EFORBIDDEN, "id", "four eyes: the officer who filed %s"
			       " %s cannot decide it; another officer must", what, id);
	return MU_OK;
}

enum mu_err app_excuse_decide(struct app *a, const char *id, int accept,
			      const char *reason, int64_t new_report_at,
			      const struct audit_ctx *ctx, struct excuse_rec *out,
			      struct mu_error *err)
{
	struct due_view v;
	struct excuse_rec e;
	enum mu_err rc = due_text("reason", reason, accept ? 0 : 3, DUE_TEXT_MAX, err);

	if (rc || (rc = due_view_of(a, id, &v, err)))
		return rc;
	if (!due_find_excuse(v.d, id))
		rc = mu_fail(err, MU_ENOTFOUND, "id", "no excuse %.32s", id);
	else if (due_find_excuse(v.d, id)->state != DS_PENDING)
		rc = mu_fail(err, MU_ECONFLICT, "id", "excuse %s was already decided", id);
	else
		rc = not_the_filer(&due_find_excuse(v.d, id)->filed, ctx, "excuse", id, err);
	if (rc == MU_OK) {
		e = *due_find_excuse(v.d, id);
		e.state = accept ? DS_ACCEPTED : DS_REJECTED;
		due_stamp_now(&e.decided, ctx);
		snprintf(e.decision_reason, sizeof(e.decision_reason), "%s", reason ? reason : "");
		if (accept)
			rc = excuse_accept(a, &e, new_report_at, ctx, err);
	}
	if (rc == MU_OK)
		rc = store_excuse_decide(a->st, &e, ctx, err);
	if (rc == MU_OK)
		*out = e;
	due_view_free(&v);
	return rc;
}

/* ---- appeals ---- */

static int pending_appeal(const struct due_set *d, const char *subject)
{
	for (size_t i = 0; i < d->n_appeals; i++)
		if (!strcmp(d->appeals[i].subject_id, subject) &&
		    d->appeals[i].state == DS_PENDING)
			return 1;
	return 0;
}

enum mu_err app_appeal_subject_owner(struct app *a, const struct appeal_req *r,
				     struct person *p, struct mu_error *err)
{
	int subject = appeal_subject_parse(r->against);
	struct summons_rec *s = NULL;
	enum mu_err rc;

	if (subject < 0)
		return mu_fail(err, MU_EINVAL, "against", "against must be summons or fitness");
	if (subject == AS_FITNESS) {
		if (!r->subject_id || strncmp(r->subject_id, "F-", 2))
			return mu_fail(err, MU_ENOTFOUND, "subject_id", "no fitness "
				       "decision %.32s", r->subject_id ? r->subject_id : "");
		return app_due_owner(a, r->subject_id, p, err);
	}
	rc = load_summons(a, r->subject_id, &s, err);
	if (rc == MU_OK && store_person_get(a->st, s->s.national_id, p) != MU_OK)
		rc = mu_fail(err, MU_EIO, NULL, "cannot read the register");
	summons_rec_free(s);
	if (rc && err && !strcmp(err->field, "summons_id"))
		snprintf(err->field, sizeof(err->field), "subject_id");
	return rc;
}

/* Is the subject open to appeal? A summons that has not ended, or a fitness
 * decision not already set aside; and no appeal against it pending. */
static enum mu_err appealable(struct app *a, const struct appeal_rec *r,
			      const struct due_view *v, const struct audit_ctx *ctx,
			      struct mu_error *err)
{
	struct summons_rec *s = NULL;
	struct fitness_rec *f;
	enum mu_err rc = MU_OK;

	if (pending_appeal(v->d, r->subject_id))
		return mu_fail(err, MU_ECONFLICT, "subject_id", "an appeal against %s "
			       "is already pending", r->subject_id);
	if (r->subject == AS_FITNESS) {
		f = due_find_fitness(v->d, r->subject_id);
		if (!f || f->set_aside_at != MU_T_NONE)
			return mu_fail(err, MU_ECONFLICT, "subject_id", "fitness decision "
				       "%s is not in force", r->subject_id);
		return MU_OK;
	}
	rc = load_summons(a, r->subject_id, &s, err);
	if (rc == MU_OK && !due_summons_alive(a, s, ctx->at))
		rc = mu_fail(err, MU_ECONFLICT, "subject_id", "summons %s has ended; "
			     "there is nothing to appeal", r->subject_id);
	summons_rec_free(s);
	return rc;
}

enum mu_err app_appeal_file(struct app *a, const struct appeal_req *r,
			    const struct audit_ctx *ctx, struct appeal_rec *out,
			    struct mu_error *err)
{
	struct appeal_rec ap;
	struct due_view v = {0};
	struct person p;
	enum mu_err rc = due_text("grounds", r->grounds, 3, DUE_TEXT_MAX, err);

	if (rc == MU_OK)
		rc = app_appeal_subject_owner(a, r, &p, err);
	if (rc == MU_OK)
		rc = app_due_view(a, p.national_id, &v, err);
	memset(&ap, 0, sizeof(ap));
	ap.subject = appeal_subject_parse(r->against) == AS_FITNESS ? AS_FITNESS
								    : AS_SUMMONS;
	snprintf(ap.subject_id, sizeof(ap.subject_id), "%s",
		 r->subject_id ? r->subject_id : "");
	if (rc == MU_OK)
		rc = appealable(a, &ap, &v, ctx, err);
	if (rc == MU_OK) {
		due_new_id(ap.id, sizeof(ap.id), "AP-");
		snprintf(ap.national_id, sizeof(ap.national_id), "%s", p.national_id);
		snprintf(ap.grounds, sizeof(ap.grounds), "%s", r->grounds);
		ap.state = DS_PENDING;
		due_stamp_now(&ap.filed, ctx);
		ap.decided.at = MU_T_NONE;
		if (ap.subject == AS_SUMMONS)
			rc = due_record_event(a, ap.subject_id, EV_APPEALED, MU_T_NONE,
					      AO_NONE, ap.id, ctx, NULL, err);
	}
	if (rc == MU_OK)
		rc = store_appeal_add(a->st, &ap, ctx, err);
	if (rc == MU_OK)
		*out = ap;
	due_view_free(&v);
	return rc;
}

/* An upheld appeal sets decision f aside: the person's fitness becomes the
 * category in force without it. */
static void fitness_after(struct due_view *v, struct fitness_rec *f, int64_t at,
			  struct person *np, const char *appeal)
{
	f->set_aside_at = at;
	*np = v->p;
	np->fitness = due_fitness_at(&v->p, v->d, at, NULL);
	snprintf(np->source, sizeof(np->source), "appeal:%s", appeal);
}

static enum mu_err appeal_decide_once(struct app *a, const char *id,
				      enum due_state st, const char *reference,
				      const struct audit_ctx *ctx,
				      struct appeal_rec *out, struct mu_error *err)
{
	struct due_view v;
	struct appeal_rec r;
	struct person np;
	struct person_change pc = {NULL, 0};
	char ref[128];
	enum mu_err rc = due_view_of(a, id, &v, err);

	if (rc)
		return rc;
	if (!due_find_appeal(v.d, id))
		rc = mu_fail(err, MU_ENOTFOUND, "id", "no appeal %.32s", id);
	else if (due_find_appeal(v.d, id)->state != DS_PENDING)
		rc = mu_fail(err, MU_ECONFLICT, "id", "appeal %s was already decided", id);
	else
		rc = not_the_filer(&due_find_appeal(v.d, id)->filed, ctx, "appeal", id, err);
	if (rc == MU_OK) {
		r = *due_find_appeal(v.d, id);
		r.state = st;
		due_stamp_now(&r.decided, ctx);
		snprintf(r.reference, sizeof(r.reference), "%s", reference);
		if (r.subject == AS_FITNESS && st == DS_UPHELD &&
		    due_find_fitness(v.d, r.subject_id)) {
			fitness_after(&v, due_find_fitness(v.d, r.subject_id), ctx->at,
				      &np, r.id);
			pc = (struct person_change){&np, v.p.version};
		}
	}
	if (rc == MU_OK && r.subject == AS_SUMMONS) {
		/* the event first: if the engine refuses it, nothing is decided */
		snprintf(ref, sizeof(ref), "case %s: %s", r.id, reference);
		rc = due_record_event(a, r.subject_id, EV_APPEAL_DECIDED, MU_T_NONE,
				      st == DS_UPHELD ? AO_UPHELD : AO_REJECTED, ref,
				      ctx, NULL, err);
	}
	if (rc == MU_OK)
		rc = store_appeal_decide(a->st, &r, &pc, ctx, err);
	if (rc == MU_OK)
		*out = r;
	due_view_free(&v);
	return rc;
}

enum mu_err app_appeal_decide(struct app *a, const char *id, const char *outcome,
			      const char *reference, const struct audit_ctx *ctx,
			      struct appeal_rec *out, struct mu_error *err)
{
	enum due_state st;
	enum mu_err rc;

	if (!outcome || (strcmp(outcome, "upheld") && strcmp(outcome, "rejected")))
		return mu_fail(err, MU_EINVAL, "outcome", "outcome must be upheld or rejected");
	st = !strcmp(outcome, "upheld") ? DS_UPHELD : DS_REJECTED;
	if ((rc = due_text("reference", reference, 1, DUE_REF_MAX, err)))
		return rc;
	rc = MU_ECONFLICT;
	for (int i = 0; i < DUE_WRITE_TRIES && rc == MU_ECONFLICT; i++) {
		mu_error_clear(err);
		rc = appeal_decide_once(a, id, st, reference, ctx, out, err);
		if (rc == MU_ECONFLICT && err && !strcmp(err->field, "id"))
			break; /* decided already: retrying will not help */
	}
	return rc;
}

/* ---- corrections ---- */

static int is_correctable(const char *field)
{
	for (size_t i = 0; field && correctable[i]; i++)
		if (!strcmp(correctable[i], field))
			return 1;
	return 0;
}

/* The current value of field, as text. */
static void current_value(const struct person *p, const char *field, char *buf,
			  size_t size)
{
	json_t *o = person_to_json(p);
	const char *v = json_string_value(json_object_get(o, field));

	snprintf(buf, size, "%s", v ? v : "");
	json_decref(o);
}

/* p with field set to value, validated as a whole record. */
static enum mu_err corrected(const struct person *p, const char *field,
			     const char *value, int64_t now, struct person *np,
			     struct mu_error *err)
{
	enum mu_err rc;

	*np = *p;
	rc = person_set_field(np, field, value, err);
	return rc ? rc : person_validate(np, now, err);
}

static enum mu_err correction_check(const struct correction_req *r,
				    const struct person *p, int64_t now,
				    struct mu_error *err)
{
	struct person np;
	char cur[DUE_VALUE_MAX + 1];
	enum mu_err rc;

	if (!is_correctable(r->field))
		return mu_fail(err, MU_EINVAL, "field", "field must be one of family_name, "
			       "given_name, patronymic, birth_date, sex, region, "
			       "address, phone, email");
	if (!r->proposed_value)
		return mu_fail(err, MU_EINVAL, "proposed_value", "proposed_value is required");
	if ((rc = due_text("evidence", r->evidence, 1, DUE_REF_MAX, err)))
		return rc;
	if ((rc = corrected(p, r->field, r->proposed_value, now, &np, err))) {
		if (err)
			snprintf(err->field, sizeof(err->field), "proposed_value");
		return rc;
	}
	current_value(p, r->field, cur, sizeof(cur));
	if (!strcmp(cur, r->proposed_value))
		return mu_fail(err, MU_EINVAL, "proposed_value", "the record already "
			       "shows that value");
	return MU_OK;
}

static int pending_correction(const struct due_set *d, const char *field)
{
	for (size_t i = 0; i < d->n_corrections; i++)
		if (!strcmp(d->corrections[i].field, field) &&
		    d->corrections[i].state == DS_PENDING)
			return 1;
	return 0;
}

enum mu_err app_correction_file(struct app *a, const char *nid,
				const struct correction_req *r,
				const struct audit_ctx *ctx, struct correction_rec *out,
				struct mu_error *err)
{
	struct due_view v;
	struct correction_rec c;
	enum mu_err rc = app_due_view(a, nid, &v, err);

	if (rc)
		return rc;
	rc = correction_check(r, &v.p, ctx->at, err);
	if (rc == MU_OK && pending_correction(v.d, r->field))
		rc = mu_fail(err, MU_ECONFLICT, "field", "a correction of %s is already "
			     "waiting for a decision", r->field);
	memset(&c, 0, sizeof(c));
	if (rc == MU_OK &&
	    due_working_deadline(a->profile, v.zone, ctx->at,
				 profile_correction_days(a->profile), &c.deadline))
		rc = mu_fail(err, MU_EINTERNAL, NULL, "cannot compute the deadline");
	if (rc == MU_OK) {
		due_new_id(c.id, sizeof(c.id), "C-");
		snprintf(c.national_id, sizeof(c.national_id), "%s", v.p.national_id);
		snprintf(c.field, sizeof(c.field), "%s", r->field);
		current_value(&v.p, r->field, c.current_value, sizeof(c.current_value));
		snprintf(c.proposed_value, sizeof(c.proposed_value), "%s", r->proposed_value);
		snprintf(c.evidence, sizeof(c.evidence), "%s", r->evidence);
		c.state = DS_PENDING;
		due_stamp_now(&c.filed, ctx);
		c.decided.at = MU_T_NONE;
		rc = store_correction_add(a->st, &c, ctx, err);
	}
	if (rc == MU_OK)
		*out = c;
	due_view_free(&v);
	return rc;
}

static enum mu_err correction_decide_once(struct app *a, const char *id, int accept,
					  const char *reason,
					  const struct audit_ctx *ctx,
					  struct correction_rec *out,
					  struct mu_error *err)
{
	struct due_view v;
	struct correction_rec c;
	struct person np;
	struct person_change pc = {NULL, 0};
	enum mu_err rc = due_view_of(a, id, &v, err);

	if (rc)
		return rc;
	if (!due_find_correction(v.d, id))
		rc = mu_fail(err, MU_ENOTFOUND, "id", "no correction request %.32s", id);
	else if (due_find_correction(v.d, id)->state != DS_PENDING)
		rc = mu_fail(err, MU_ECONFLICT, "id", "correction request %s was already "
			     "decided", id);
	else
		rc = not_the_filer(&due_find_correction(v.d, id)->filed, ctx,
				   "correction request", id, err);
	if (rc == MU_OK) {
		c = *due_find_correction(v.d, id);
		c.state = accept ? DS_ACCEPTED : DS_REJECTED;
		due_stamp_now(&c.decided, ctx);
		snprintf(c.decision_reason, sizeof(c.decision_reason), "%s", reason ? reason : "");
		if (accept && corrected(&v.p, c.field, c.proposed_value, ctx->at, &np, err)) {
			char why[MU_DETAIL_MAX];
			snprintf(why, sizeof(why), "%s", err ? err->detail : "");
			rc = mu_fail(err, MU_ECONFLICT, "id", "the correction no longer "
				     "fits the record: %.200s", why);
		}
	}
	if (rc == MU_OK && accept) {
		snprintf(np.source, sizeof(np.source), "correction:%s", c.id);
		pc = (struct person_change){&np, v.p.version};
	}
	if (rc == MU_OK)
		rc = store_correction_decide(a->st, &c, &pc, ctx, err);
	if (rc == MU_OK)
		*out = c;
	due_view_free(&v);
	return rc;
}

enum mu_err app_correction_decide(struct app *a, const char *id, int accept,
				  const char *reason, const struct audit_ctx *ctx,
				  struct correction_rec *out, struct mu_error *err)
{
	enum mu_err rc = due_text("reason", reason, accept ? 0 : 3, DUE_TEXT_MAX, err);

	if (rc)
		return rc;
	rc = MU_ECONFLICT;
	for (int i = 0; i < DUE_WRITE_TRIES && rc == MU_ECONFLICT; i++) {
		mu_error_clear(err);
		rc = correction_decide_once(a, id, accept, reason, ctx, out, err);
		if (rc == MU_ECONFLICT && err && !strcmp(err->field, "id"))
			break; /* decided already, or no longer applicable */
	}
	return rc;
}
