/*
 * due.h: the records of due process and the pure decisions about them
 * (docs/due-process.md).
 *
 * A person's due-process facts are fitness decisions of the medical board,
 * deferments and exemptions, override requests, excuse claims, appeals and
 * correction requests. Each is a plain struct with fixed arrays (no heap),
 * kept by the store and read back as one struct due_set per person. This
 * module decides, without I/O and with the instant as an argument:
 *   - which bars on summoning are in force at an instant (due_bars), so a
 *     bar ends by itself when its date passes, never by a cron flag;
 *   - the effective fitness category at an instant;
 *   - working-day deadlines (corrections) in the office's zone;
 *   - plain-language explanations of all of the above.
 * It must not read a clock, the store or the network.
 *
 * Time: int64 seconds since the epoch, UTC; MU_T_NONE means never / open.
 */
#ifndef MU_DUE_H
#define MU_DUE_H

#include <stddef.h>
#include <stdint.h>

#include "domain/model.h"
#include "domain/rules.h"
#include "util/err.h"

#define DUE_ID_MAX 24          /* "E-" + 12 base32, "AP-" + 12, ... */
#define DUE_REASON_MAX 127     /* a reason: a profile's code, or free text */
#define DUE_REF_MAX 127        /* document or decision reference */
#define DUE_TEXT_MAX 4000      /* free text: grounds, notes, written reasons (UTF-8:
                                  about 2000 Cyrillic letters) */
#define DUE_VALUE_MAX (ADDRESS_MAX_LEN * 4) /* a proposed field value */
#define DUE_BASES_MAX 255      /* the bars an override covers, "E-..,F-.." */
#define DUE_BARS_MAX 24        /* bars in force at once, at most */
#define DUE_MIN_WRITTEN 10     /* a written reason has at least this many bytes */

/* The states of claims and requests. */
enum due_state {
	DS_PENDING,   /* filed, not yet decided (override: requested) */
	DS_ACCEPTED,  /* excuse, correction */
	DS_REJECTED,  /* excuse, correction, appeal, override */
	DS_UPHELD,    /* appeal */
	DS_APPROVED,  /* override: approved, not yet used */
	DS_USED,      /* override: a summons was issued with it */
	DS__COUNT
};

/* Who did something, and when. at is MU_T_NONE when it has not happened. */
struct due_stamp {
	char token[TOKEN_ID_LEN + 1];
	char role[24];
	int64_t at;
};

/* A medical board's fitness decision. No medical details: the category,
 * its basis reference and the author only. */
struct fitness_rec {
	char id[DUE_ID_MAX + 1];
	char national_id[NATIONAL_ID_MAX + 1];
	char category;                  /* A B V G D */
	char decided_on[11];            /* YYYY-MM-DD, the board's date */
	char reference[DUE_REF_MAX + 1];
	char reexamine_on[11];          /* G only, else "" */
	int64_t reexamine_at;           /* G: 00:00 office time that day */
	char previous;                  /* the record's category before, or 0 */
	struct due_stamp recorded;
	int64_t set_aside_at;           /* an upheld appeal; MU_T_NONE if not */
	char set_aside_by[DUE_ID_MAX + 1];
};

struct exemption_rec {
	char id[DUE_ID_MAX + 1];
	char national_id[NATIONAL_ID_MAX + 1];
	enum exemption_kind kind;
	char reason[DUE_REASON_MAX + 1];
	char document[DUE_REF_MAX + 1];
	int64_t valid_until;            /* MU_T_NONE: open-ended */
	struct due_stamp granted;
	struct due_stamp revoked;       /* at MU_T_NONE if not revoked */
	char revoke_reason[DUE_TEXT_MAX + 1];
};

/* A request to summon a person despite a bar (four eyes). */
struct override_rec {
	char id[DUE_ID_MAX + 1];
	char national_id[NATIONAL_ID_MAX + 1];
	int purpose;                    /* enum purpose */
	char reason[DUE_TEXT_MAX + 1];
	char bases[DUE_BASES_MAX + 1];  /* the bars it covers, comma-separated */
	enum due_state state;           /* pending, approved, rejected, used */
	struct due_stamp requested, decided, used;
	char decision_note[DUE_TEXT_MAX + 1];
	char summons_id[SUMMONS_ID_MAX + 1];
};

struct excuse_rec {
	char id[DUE_ID_MAX + 1];
	char summons_id[SUMMONS_ID_MAX + 1];
	char national_id[NATIONAL_ID_MAX + 1];
	char reason[DUE_REASON_MAX + 1];
	char document[DUE_REF_MAX + 1];
	char note[DUE_TEXT_MAX + 1];
	enum due_state state;           /* pending, accepted, rejected */
	struct due_stamp filed, decided;
	char decision_reason[DUE_TEXT_MAX + 1];
	int64_t new_report_at;          /* accepted with a new date, else MU_T_NONE */
	int64_t event_seq;              /* the `excused` event, 0 if none */
};

enum appeal_subject { AS_SUMMONS, AS_FITNESS };

struct appeal_rec {
	char id[DUE_ID_MAX + 1];        /* the case number */
	char national_id[NATIONAL_ID_MAX + 1];
	enum appeal_subject subject;
	char subject_id[DUE_ID_MAX + 1];
	char grounds[DUE_TEXT_MAX + 1];
	enum due_state state;           /* pending, upheld, rejected */
	struct due_stamp filed, decided;
	char reference[DUE_REF_MAX + 1]; /* the decision's reference */
};

struct correction_rec {
	char id[DUE_ID_MAX + 1];
	char national_id[NATIONAL_ID_MAX + 1];
	char field[24];
	char current_value[DUE_VALUE_MAX + 1];
	char proposed_value[DUE_VALUE_MAX + 1];
	char evidence[DUE_REF_MAX + 1];
	enum due_state state;           /* pending, accepted, rejected */
	struct due_stamp filed, decided;
	int64_t deadline;               /* decide before this instant */
	char decision_reason[DUE_TEXT_MAX + 1];
};

/* Everything of one person, each list oldest first. Owned by whoever got
 * it from the store; free with due_set_free (store.h). */
struct due_set {
	size_t n_fitness, n_exemptions, n_overrides, n_excuses, n_appeals,
	       n_corrections;
	struct fitness_rec *fitness;
	struct exemption_rec *exemptions;
	struct override_rec *overrides;
	struct excuse_rec *excuses;
	struct appeal_rec *appeals;
	struct correction_rec *corrections;
};

/* What bars summoning a person, and for which purposes. */
enum bar_kind {
	BAR_REMOVED,     /* removed from the register: never overridable */
	BAR_FITNESS_D,   /* unfit: everything but data_clarification */
	BAR_FITNESS_G,   /* temporarily unfit: dispatch, training, mobilization */
	BAR_DEFERMENT,
	BAR_EXEMPTION,
};

struct due_bar {
	enum bar_kind kind;
	char basis[DUE_ID_MAX + 1];     /* decision or exemption id; for the
					   person record: "record" */
	unsigned purposes;              /* bits 1u << enum purpose */
	int64_t since;                  /* MU_T_NONE if unknown (the record) */
	int64_t until;                  /* MU_T_NONE: until something changes */
	char reason[DUE_REASON_MAX + 1];/* exemption reason; removal reason */
	const struct fitness_rec *fitness;     /* the decision, or NULL */
	const struct exemption_rec *exemption; /* or NULL */
};

/* Names on the wire and back (-1 when unknown). */
const char *due_state_name(enum due_state s);
int due_state_parse(const char *s);
const char *exemption_kind_name(enum exemption_kind k);
int exemption_kind_parse(const char *s);
const char *appeal_subject_name(enum appeal_subject s);
int appeal_subject_parse(const char *s);
const char *bar_kind_name(enum bar_kind k);

/* 1 if exemption e is in force at `at`: granted by then, not yet expired
 * (valid_until is exclusive) and not revoked by then. */
int due_exemption_active(const struct exemption_rec *e, int64_t at);

/* 1 if fitness decision f counts at `at` (recorded by then and not set
 * aside by then). */
int due_fitness_counts(const struct fitness_rec *f, int64_t at);

/* The fitness category in force at `at`: the latest decision that counts;
 * if decisions exist but none counts, the record's category before the
 * first of them; with no decisions, p->fitness. *by (may be NULL) is the
 * decision or NULL. Returns 0 for "none". */
/* A correction of a person's record (not a board decision) that changes
 * fitness from `was` to `now`: MU_ECONFLICT if `was` bars summoning (D,
 * G), which only a medical board or an upheld appeal may lift. */
enum mu_err due_fitness_correction(const char *nid, char was, char now,
				   struct mu_error *err) MU_MUSTCHECK;

char due_fitness_at(const struct person *p, const struct due_set *d, int64_t at,
		    const struct fitness_rec **by);

/*
 * The bars on summoning person p in force at `at`, at most cap into out;
 * returns how many (never more than DUE_BARS_MAX). d may be NULL (only the
 * record counts). Removal, fitness D (all but data_clarification), fitness
 * G (dispatch, training, mobilization, until its re-examination instant)
 * and every active deferment or exemption with the purposes the profile
 * lists for its reason. Pointers in out point into d.
 */
size_t due_bars(const struct profile *prof, const struct person *p,
		const struct due_set *d, int64_t at, struct due_bar *out,
		size_t cap);

/*
 * Working-day deadline: the instant at which a period of n working days,
 * counted from the day after the local date of `from` in zone, ends:
 * 00:00 local on the day after the n-th day that is neither a Saturday, a
 * Sunday nor a holiday of the profile. MU_EINVAL for a bad zone or n < 1.
 */
enum mu_err due_working_deadline(const struct profile *prof, const char *zone,
				 int64_t from, int n, int64_t *out) MU_MUSTCHECK;

/* 1 if the civil day (days since 1970-01-01) is a working day. */
int due_is_working_day(const struct profile *prof, int64_t day);

/*
 * Plain-language explanations (English), written into buf and truncated
 * to size. Dates are local to zone (NULL: UTC).
 */
void due_explain_bar(const struct profile *prof, const struct due_bar *b,
		     const char *zone, char *buf, size_t size);
void due_explain_exemption(const struct profile *prof,
			   const struct exemption_rec *e, int64_t at,
			   const char *zone, char *buf, size_t size);
void due_explain_fitness(const struct fitness_rec *f, int64_t at,
			 const char *zone, char *buf, size_t size);
void due_explain_appeal(const struct profile *prof, const struct appeal_rec *a,
			enum due_state state, const char *zone, char *buf,
			size_t size);
void due_explain_excuse(const struct profile *prof, const struct excuse_rec *e,
			enum due_state state, const char *zone, char *buf,
			size_t size);
void due_explain_correction(const struct correction_rec *c,
			    enum due_state state, int64_t at, const char *zone,
			    char *buf, size_t size);
void due_explain_override(const struct override_rec *o, enum due_state state,
			  const char *zone, char *buf, size_t size);

/* "10 March 2026" (with_time: "10 March 2026 00:00") local to zone. */
void due_local_words(const char *zone, int64_t t, int with_time, char *buf,
		     size_t size);

/* "unfit for military service" for 'D', and so on for A, B, V, G. */
const char *due_category_words(char c);

/* A list of purpose bits as words: "dispatch to service, military training
 * and mobilization". */
void due_purposes_words(unsigned purposes, char *buf, size_t size);

#endif
