/*
 * due.c: the pure decisions of due process: bars in force, effective
 * fitness, working-day deadlines and explanations. See due.h.
 *
 * Must not: read a clock, the store or the network. Every instant is an
 * argument, so the same facts and instant always give the same answer.
 */
#include "domain/due.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "domain/daycount.h"

#define ALL_PURPOSES ((1u << PU__COUNT) - 1)
#define SERVICE_PURPOSES ((1u << PU_DISPATCH) | (1u << PU_TRAINING) | \
			  (1u << PU_MOBILIZATION))

static const char *const state_names[DS__COUNT] = {
	"pending", "accepted", "rejected", "upheld", "approved", "used",
};

static const char *const kind_names[EK__COUNT] = {"deferment", "exemption"};

static const char *const subject_names[] = {"summons", "fitness"};

static const char *const bar_names[] = {
	"removed", "fitness_D", "fitness_G", "deferment", "exemption",
};

/* Lower-case phrases for purposes, in sentences. */
static const char *const purpose_words[PU__COUNT] = {
	"a medical examination", "the clarification of your personal data",
	"dispatch to service", "military training", "mobilization",
};

static int find_name(const char *const *names, int n, const char *s)
{
	for (int i = 0; s && i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

const char *due_state_name(enum due_state s)
{
	return (unsigned)s < DS__COUNT ? state_names[s] : NULL;
}

int due_state_parse(const char *s)
{
	return find_name(state_names, DS__COUNT, s);
}

const char *exemption_kind_name(enum exemption_kind k)
{
	return (unsigned)k < EK__COUNT ? kind_names[k] : NULL;
}

int exemption_kind_parse(const char *s)
{
	return find_name(kind_names, EK__COUNT, s);
}

const char *appeal_subject_name(enum appeal_subject s)
{
	return (unsigned)s <= AS_FITNESS ? subject_names[s] : NULL;
}

int appeal_subject_parse(const char *s)
{
	return find_name(subject_names, 2, s);
}

const char *bar_kind_name(enum bar_kind k)
{
	return (unsigned)k <= BAR_EXEMPTION ? bar_names[k] : NULL;
}

/* ---- what is in force ---- */

int due_exemption_active(const struct exemption_rec *e, int64_t at)
{
	return e->granted.at <= at && at < e->valid_until && at < e->revoked.at;
}

int due_fitness_counts(const struct fitness_rec *f, int64_t at)
{
	return f->recorded.at <= at && at < f->set_aside_at;
}

char due_fitness_at(const struct person *p, const struct due_set *d, int64_t at,
		    const struct fitness_rec **by)
{
	const struct fitness_rec *best = NULL;

	if (by)
		*by = NULL;
	if (!d || !d->n_fitness)
		return p->fitness;
	for (size_t i = 0; i < d->n_fitness; i++) {
		const struct fitness_rec *f = &d->fitness[i];
		if (due_fitness_counts(f, at) &&
		    (!best || f->recorded.at >= best->recorded.at))
			best = f;
	}
	if (by)
		*by = best;
	return best ? best->category : d->fitness[0].previous;
}

static struct due_bar *next_bar(struct due_bar *out, size_t cap, size_t *n)
{
	struct due_bar *b;

	if (*n >= cap || *n >= DUE_BARS_MAX)
		return NULL;
	b = &out[(*n)++];
	memset(b, 0, sizeof(*b));
	b->since = b->until = MU_T_NONE;
	return b;
}

/* The categories that bar summoning (D every purpose but data
 * clarification, G the service purposes until re-examination). */
static int fitness_bars(char cat)
{
	return cat == 'D' || cat == 'G';
}

enum mu_err due_fitness_correction(const char *nid, char was, char now,
				   struct mu_error *err)
{
	if (fitness_bars(was) && now != was)
		return mu_fail(err, MU_ECONFLICT, "fitness", "fitness category %c bars"
			       " summoning: only a later decision of a medical board"
			       " (POST /v1/persons/%s/fitness) or an upheld appeal changes"
			       " it, not a correction", was, nid);
	return MU_OK;
}

static void fitness_bar(const struct person *p, const struct due_set *d,
			int64_t at, struct due_bar *out, size_t cap, size_t *n)
{
	const struct fitness_rec *by;
	char cat = due_fitness_at(p, d, at, &by);
	struct due_bar *b;

	if (!fitness_bars(cat))
		return;
	if (cat == 'G' && by && at >= by->reexamine_at)
		return; /* the re-examination date has come: the bar is over */
	if (!(b = next_bar(out, cap, n)))
		return;
	b->kind = cat == 'D' ? BAR_FITNESS_D : BAR_FITNESS_G;
	b->purposes = cat == 'D' ? ALL_PURPOSES & ~(1u << PU_DATA_CLARIFICATION)
				 : SERVICE_PURPOSES;
	snprintf(b->basis, sizeof(b->basis), "%s", by ? by->id : "record");
	b->fitness = by;
	if (by) {
		b->since = by->recorded.at;
		b->until = cat == 'G' ? by->reexamine_at : MU_T_NONE;
	}
}

static void exemption_bars(const struct profile *prof, const struct due_set *d,
			   int64_t at, struct due_bar *out, size_t cap, size_t *n)
{
	for (size_t i = 0; d && i < d->n_exemptions; i++) {
		const struct exemption_rec *e = &d->exemptions[i];
		unsigned bars = profile_exemption_bars(prof, e->reason, e->kind);
		struct due_bar *b;

		if (!bars || !due_exemption_active(e, at) ||
		    !(b = next_bar(out, cap, n)))
			continue;
		b->kind = e->kind == EK_EXEMPTION ? BAR_EXEMPTION : BAR_DEFERMENT;
		b->purposes = bars;
		snprintf(b->basis, sizeof(b->basis), "%s", e->id);
		snprintf(b->reason, sizeof(b->reason), "%s", e->reason);
		b->since = e->granted.at;
		b->until = e->valid_until < e->revoked.at ? e->valid_until
							  : e->revoked.at;
		b->exemption = e;
	}
}

size_t due_bars(const struct profile *prof, const struct person *p,
		const struct due_set *d, int64_t at, struct due_bar *out,
		size_t cap)
{
	size_t n = 0;
	struct due_bar *b;

	if (p->status == PS_REMOVED && (b = next_bar(out, cap, &n))) {
		b->kind = BAR_REMOVED;
		b->purposes = ALL_PURPOSES;
		snprintf(b->basis, sizeof(b->basis), "record");
		snprintf(b->reason, sizeof(b->reason), "%s",
			 p->removal_reason[0] ? p->removal_reason : "removed");
	}
	fitness_bar(p, d, at, out, cap, &n);
	exemption_bars(prof, d, at, out, cap, &n);
	return n;
}

/* ---- working days ---- */

int due_is_working_day(const struct profile *prof, int64_t day)
{
	int wd = (int)(((day + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday: 0 = Monday */

	return wd < 5 && !profile_is_holiday(prof, day);
}

enum mu_err due_working_deadline(const struct profile *prof, const char *zone,
				 int64_t from, int n, int64_t *out)
{
	int y, m, d, k = 0;
	int64_t day;
	enum mu_err rc;

	*out = MU_T_NONE;
	if (n < 1 || n > 3660)
		return MU_EINVAL;
	rc = daycount_local_date(zone, from, &y, &m, &d);
	if (rc != MU_OK)
		return rc;
	day = mu_days_from_civil(y, m, d);
	while (k < n) {
		day++;
		k += due_is_working_day(prof, day);
	}
	mu_civil_from_days(day + 1, &y, &m, &d);
	return daycount_local_midnight(zone, y, m, d, out);
}

/* ---- explanations ---- */

struct text {
	char *buf;
	size_t size, len;
};

static void put(struct text *o, const char *fmt, ...) MU_PRINTF(2, 3);

/* Cut a truncated buffer of len bytes back to whole UTF-8 characters. */
static size_t trim_utf8(char *buf, size_t len)
{
	size_t i = len, k = 0, need;
	unsigned char c;

	while (k < 4 && i > 0 && ((unsigned char)buf[i - 1] & 0xC0) == 0x80) {
		i--;
		k++;
	}
	if (i == 0)
		return len;
	c = (unsigned char)buf[i - 1];
	need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	if (need > k + 1) {
		buf[i - 1] = 0;
		return i - 1;
	}
	return len;
}

static void put(struct text *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len + 1 >= o->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < o->size - o->len) {
		o->len += (size_t)n;
		return;
	}
	o->len = trim_utf8(o->buf, o->size - 1);
	o->size = o->len + 1; /* full: nothing more goes in */
}

static struct text text_init(char *buf, size_t size)
{
	if (size)
		buf[0] = 0;
	return (struct text){buf, size, 0};
}

void due_local_words(const char *zone, int64_t t, int with_time, char *buf,
		     size_t size)
{
	static const char *const months[12] = {
		"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"};
	char loc[32];
	int y, mo, d, hh, mi;

	if (daycount_format_local(zone ? zone : "UTC", t, loc, sizeof(loc), NULL,
				  0) != MU_OK ||
	    sscanf(loc, "%d-%d-%d %d:%d", &y, &mo, &d, &hh, &mi) != 5 ||
	    mo < 1 || mo > 12) {
		mu_time_format(t, buf, size);
		return;
	}
	if (with_time)
		snprintf(buf, size, "%d %s %d %02d:%02d", d, months[mo - 1], y, hh, mi);
	else
		snprintf(buf, size, "%d %s %d", d, months[mo - 1], y);
}

void due_purposes_words(unsigned purposes, char *buf, size_t size)
{
	struct text o = text_init(buf, size);
	int total = 0, done = 0;

	for (int i = 0; i < PU__COUNT; i++)
		total += !!(purposes & (1u << i));
	for (int i = 0; i < PU__COUNT; i++) {
		if (!(purposes & (1u << i)))
			continue;
		put(&o, "%s%s", done == 0 ? "" : done == total - 1 ? " or " : ", ",
		    purpose_words[i]);
		done++;
	}
}

const char *due_category_words(char c)
{
	switch (c) {
	case 'A': return "fit for military service";
	case 'B': return "fit for military service with minor restrictions";
	case 'V': return "of limited fitness for military service";
	case 'G': return "temporarily unfit for military service";
	case 'D': return "unfit for military service";
	default: return "of unknown fitness";
	}
}

/* "at the end of 30 June 2026" style end of a validity. */
static void put_until(struct text *o, int64_t until, const char *zone)
{
	char w[64];

	if (until == MU_T_NONE) {
		put(o, " It has no end date: it ends only if it is revoked.");
		return;
	}
	due_local_words(zone, until, 1, w, sizeof(w));
	put(o, " It is in force until %s (office time), unless revoked earlier.", w);
}

static void explain_exemption_bar(const struct profile *prof,
				  const struct due_bar *b, const char *zone,
				  struct text *o)
{
	const struct exemption_rec *e = b->exemption;
	const char *law = profile_exemption_text(prof, b->reason,
						 b->kind == BAR_EXEMPTION ? EK_EXEMPTION
									  : EK_DEFERMENT);
	char w[64], pw[160];

	due_purposes_words(b->purposes, pw, sizeof(pw));
	due_local_words(zone, b->since, 0, w, sizeof(w));
	put(o, "You hold %s %s (reason: %s) granted on %s, record %s",
	    b->kind == BAR_EXEMPTION ? "an" : "a",
	    b->kind == BAR_EXEMPTION ? "exemption" : "deferment", b->reason, w,
	    b->basis);
	if (e && e->document[0])
		put(o, ", document %s", e->document);
	put(o, ". ");
	if (law)
		put(o, "%s ", law);
	put(o, "While it is in force you cannot be summoned for %s.", pw);
	put_until(o, b->until, zone);
}

static void explain_fitness_bar(const struct due_bar *b, const char *zone,
				struct text *o)
{
	const struct fitness_rec *f = b->fitness;
	char w[64], pw[160];

	due_purposes_words(b->purposes, pw, sizeof(pw));
	if (f)
		put(o, "On %s the medical board found you %s (category %c; "
		    "decision %s, reference %s). ", f->decided_on,
		    due_category_words(f->category), f->category, f->id, f->reference);
	else
		put(o, "Your record shows fitness category %c (%s). ",
		    b->kind == BAR_FITNESS_D ? 'D' : 'G',
		    due_category_words(b->kind == BAR_FITNESS_D ? 'D' : 'G'));
	if (b->kind == BAR_FITNESS_D) {
		put(o, "You cannot be summoned for %s; only a summons to clarify "
		    "your personal data is possible.", pw);
		return;
	}
	if (b->until == MU_T_NONE) {
		put(o, "Until the medical board decides again you cannot be "
		    "summoned for %s.", pw);
		return;
	}
	due_local_words(zone, b->until, 0, w, sizeof(w));
	put(o, "Until your re-examination on %s you cannot be summoned for %s. "
	    "The bar ends by itself on that date.", w, pw);
}

void due_explain_bar(const struct profile *prof, const struct due_bar *b,
		     const char *zone, char *buf, size_t size)
{
	struct text o = text_init(buf, size);

	switch (b->kind) {
	case BAR_REMOVED:
		put(&o, "You were removed from the register (%s) and cannot be "
		    "summoned for anything.", b->reason);
		return;
	case BAR_FITNESS_D:
	case BAR_FITNESS_G:
		explain_fitness_bar(b, zone, &o);
		break;
	case BAR_DEFERMENT:
	case BAR_EXEMPTION:
		explain_exemption_bar(prof, b, zone, &o);
		break;
	}
	put(&o, " An officer can summon you despite this only with an override "
	    "that a second officer approved, with a written reason you can see "
	    "here.");
}

void due_explain_exemption(const struct profile *prof,
			   const struct exemption_rec *e, int64_t at,
			   const char *zone, char *buf, size_t size)
{
	struct text o = text_init(buf, size);
	struct due_bar b;
	char w[64];

	if (due_exemption_active(e, at)) {
		memset(&b, 0, sizeof(b));
		b.kind = e->kind == EK_EXEMPTION ? BAR_EXEMPTION : BAR_DEFERMENT;
		b.purposes = profile_exemption_bars(prof, e->reason, e->kind);
		snprintf(b.basis, sizeof(b.basis), "%s", e->id);
		snprintf(b.reason, sizeof(b.reason), "%s", e->reason);
		b.since = e->granted.at;
		b.until = e->valid_until < e->revoked.at ? e->valid_until : e->revoked.at;
		b.exemption = e;
		explain_exemption_bar(prof, &b, zone, &o);
		return;
	}
	if (e->revoked.at <= at) {
		due_local_words(zone, e->revoked.at, 0, w, sizeof(w));
		put(&o, "Your %s %s (reason: %s) was revoked on %s: %s. It no "
		    "longer protects you.", exemption_kind_name(e->kind), e->id,
		    e->reason, w, e->revoke_reason);
		return;
	}
	due_local_words(zone, e->valid_until, 1, w, sizeof(w));
	put(&o, "Your %s %s (reason: %s) expired on %s. It no longer protects you.",
	    exemption_kind_name(e->kind), e->id, e->reason, w);
}

void due_explain_fitness(const struct fitness_rec *f, int64_t at,
			 const char *zone, char *buf, size_t size)
{
	struct text o = text_init(buf, size);
	char w[64];

	put(&o, "On %s the medical board found you %s (category %c; decision %s, "
	    "reference %s).", f->decided_on, due_category_words(f->category),
	    f->category, f->id, f->reference);
	if (f->set_aside_at <= at) {
		put(&o, " The decision was set aside when appeal %s was upheld; it "
		    "no longer counts.", f->set_aside_by);
		return;
	}
	if (f->category != 'G')
		return;
	due_local_words(zone, f->reexamine_at, 0, w, sizeof(w));
	if (at < f->reexamine_at)
		put(&o, " You are to be examined again on %s.", w);
	else
		put(&o, " The re-examination date, %s, has passed: this decision no "
		    "longer bars any summons.", w);
}

static void explain_appeal_summons(const struct profile *prof,
				   const struct appeal_rec *a,
				   enum due_state state, const char *w,
				   const char *dw, struct text *o)
{
	put(o, "On %s you appealed against summons %s (case %s).", w,
	    a->subject_id, a->id);
	if (state == DS_PENDING && profile_appeal_suspends(prof))
		put(o, " The appeal is pending. While it is, the law of this "
		    "jurisdiction suspends every restriction based on that "
		    "summons.");
	else if (state == DS_PENDING)
		put(o, " The appeal is pending. The law of this jurisdiction does "
		    "not suspend the restrictions based on the summons while an "
		    "appeal is pending; they lift if the appeal is upheld.");
	else if (state == DS_UPHELD)
		put(o, " The appeal was upheld on %s (reference %s): the summons "
		    "is cancelled and every restriction based on it is lifted.",
		    dw, a->reference);
	else
		put(o, " The appeal was rejected on %s (reference %s): the summons "
		    "stands%s.", dw, a->reference,
		    profile_appeal_suspends(prof)
			    ? ", and its restrictions apply again from that moment"
			    : "");
}

void due_explain_appeal(const struct profile *prof, const struct appeal_rec *a,
			enum due_state state, const char *zone, char *buf,
			size_t size)
{
	struct text o = text_init(buf, size);
	char w[64], dw[64] = "";

	due_local_words(zone, a->filed.at, 0, w, sizeof(w));
	if (state != DS_PENDING)
		due_local_words(zone, a->decided.at, 0, dw, sizeof(dw));
	if (a->subject == AS_SUMMONS) {
		explain_appeal_summons(prof, a, state, w, dw, &o);
		return;
	}
	put(&o, "On %s you appealed against the medical board's decision %s "
	    "(case %s).", w, a->subject_id, a->id);
	if (state == DS_PENDING)
		put(&o, " The appeal is pending; the decision stays in force until "
		    "the appeal is decided.");
	else if (state == DS_UPHELD)
		put(&o, " The appeal was upheld on %s (reference %s): the decision "
		    "is set aside and no longer counts.", dw, a->reference);
	else
		put(&o, " The appeal was rejected on %s (reference %s): the decision "
		    "stands.", dw, a->reference);
}

void due_explain_excuse(const struct profile *prof, const struct excuse_rec *e,
			enum due_state state, const char *zone, char *buf,
			size_t size)
{
	struct text o = text_init(buf, size);
	const char *law = profile_excuse_text(prof, e->reason);
	char w[64], nw[64];

	due_local_words(zone, e->filed.at, 0, w, sizeof(w));
	put(&o, "On %s a valid reason for not appearing on summons %s was "
	    "reported: %s", w, e->summons_id, e->reason);
	if (e->document[0])
		put(&o, " (document %s)", e->document);
	put(&o, ".%s%s", law ? " " : "", law ? law : "");
	if (state == DS_PENDING) {
		put(&o, " A clerk of the office will decide on it.");
		return;
	}
	due_local_words(zone, e->decided.at, 0, w, sizeof(w));
	if (state == DS_REJECTED) {
		put(&o, " It was rejected on %s: %s", w, e->decision_reason);
		return;
	}
	if (e->new_report_at == MU_T_NONE) {
		put(&o, " It was accepted on %s: the summons is closed and every "
		    "restriction based on it is lifted.", w);
		return;
	}
	due_local_words(zone, e->new_report_at, 1, nw, sizeof(nw));
	put(&o, " It was accepted on %s, with a new report time: %s (office "
	    "time). Restrictions that followed from the missed date are lifted, "
	    "and any period counted from the report date starts again from the "
	    "new one.", w, nw);
}

void due_explain_correction(const struct correction_rec *c,
			    enum due_state state, int64_t at, const char *zone,
			    char *buf, size_t size)
{
	struct text o = text_init(buf, size);
	char w[64], dl[64];

	due_local_words(zone, c->filed.at, 0, w, sizeof(w));
	due_local_words(zone, c->deadline, 1, dl, sizeof(dl));
	put(&o, "On %s a correction of your %s to \"%s\" was requested", w,
	    c->field, c->proposed_value);
	if (c->evidence[0])
		put(&o, " (evidence: %s)", c->evidence);
	put(&o, ".");
	if (state == DS_PENDING) {
		put(&o, " The office must decide before %s (office time).", dl);
		if (at >= c->deadline)
			put(&o, " That deadline has passed without a decision; the "
			    "request is on the overdue list that supervisors see.");
		return;
	}
	due_local_words(zone, c->decided.at, 0, w, sizeof(w));
	if (state == DS_ACCEPTED)
		put(&o, " It was accepted on %s, and your record now shows the "
		    "corrected %s.", w, c->field);
	else
		put(&o, " It was rejected on %s: %s", w, c->decision_reason);
}

void due_explain_override(const struct override_rec *ov, enum due_state state,
			  const char *zone, char *buf, size_t size)
{
	struct text o = text_init(buf, size);
	const char *pu = (unsigned)ov->purpose < PU__COUNT ? purpose_words[ov->purpose]
							   : "a summons";
	char w[64];

	due_local_words(zone, ov->requested.at, 0, w, sizeof(w));
	put(&o, "On %s an officer asked to summon you for %s despite the "
	    "protection that bars it (record %s), with this reason: \"%s\".", w,
	    pu, ov->bases, ov->reason);
	if (state == DS_PENDING) {
		put(&o, " A second officer must approve it before it has any effect.");
		return;
	}
	due_local_words(zone, ov->decided.at, 0, w, sizeof(w));
	if (state == DS_REJECTED) {
		put(&o, " A second officer rejected it on %s.", w);
		return;
	}
	put(&o, " A second officer approved it on %s.", w);
	if (state == DS_USED)
		put(&o, " Summons %s was issued to you under it.", ov->summons_id);
}
