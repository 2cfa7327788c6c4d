/*
 * rules.h: the legal rules engine (LEGAL_RULES.md), pure.
 *
 * A jurisdiction profile (rules/<id>.json) is parsed once into a struct
 * profile. The engine takes the facts of a summons (its events), the
 * profile, and an instant, and computes the summons' state, its delivery,
 * and the intervals during which each restriction kind applies. Nothing here
 * reads a clock, a file or the network: the instant is an argument, and the
 * profile text is handed in by the caller.
 *
 * Time: int64 seconds since the epoch, UTC. MU_T_NONE (INT64_MAX) means
 * "never" / "open".
 */
#ifndef MU_RULES_H
#define MU_RULES_H

#include <stdint.h>
#include <stddef.h>

#include "util/err.h"
#include "util/timefmt.h"

enum ev_type {
	EV_ISSUED,
	EV_PUBLISHED,
	EV_PLACED_IN_ACCOUNT,
	EV_VIEWED,
	EV_POST_SENT,
	EV_POST_DELIVERED,
	EV_POST_REFUSED,
	EV_POST_RETURNED,
	EV_HANDED,
	EV_APPEARED,
	EV_EXCUSED,
	EV_CANCELLED,
	EV_APPEALED,
	EV_APPEAL_DECIDED,
	EV__COUNT
};

enum restr_kind {
	RK_EXIT,
	RK_CREDIT,
	RK_REAL_ESTATE,
	RK_BUSINESS_REGISTRATION,
	RK_VEHICLE_REGISTRATION,
	RK_DRIVING,
	RK_FOREIGN_PASSPORT,
	RK__COUNT
};

enum summons_state {
	SS_PENDING,   /* not (yet) delivered */
	SS_DELIVERED, /* delivered, report time not yet passed */
	SS_OVERDUE,   /* delivered, report time passed, summons not ended */
	SS_REPORTED,  /* ended by appeared */
	SS_EXCUSED,   /* ended by excused without a new report date */
	SS_CANCELLED, /* ended by cancelled or an upheld appeal */
};

enum appeal_outcome { AO_NONE = 0, AO_UPHELD, AO_REJECTED };

/* Purposes of a summons. */
enum purpose {
	PU_MEDICAL_EXAM,
	PU_DATA_CLARIFICATION,
	PU_DISPATCH,
	PU_TRAINING,
	PU_MOBILIZATION,
	PU__COUNT
};

/* Kinds of release from being summoned (due process, domain/due.h). */
enum exemption_kind { EK_DEFERMENT, EK_EXEMPTION, EK__COUNT };

struct sm_event {
	int64_t seq;           /* order of recording; ties in `at` break by seq */
	enum ev_type type;
	int64_t at;            /* when it happened */
	int64_t recorded_at;   /* when muster learned of it */
	int64_t new_report_at; /* EV_EXCUSED: new report time, or MU_T_NONE */
	enum appeal_outcome outcome; /* EV_APPEAL_DECIDED only */
};

/* The facts of one summons: the input of the engine. The engine does not
 * keep pointers after it returns. events need not be sorted. */
struct sm_facts {
	const char *id;
	const char *zone;      /* IANA zone of the issuing office */
	int64_t issued_at;     /* also the `issued` and `published` instant */
	int64_t report_at;
	const struct sm_event *events;
	size_t n_events;
};

/* One piece of time during which one restriction kind applies because of
 * one summons under one rule of the profile: [from, until). */
struct rule_interval {
	enum restr_kind kind;
	int rule;       /* index into the profile's rules (profile_rule_id) */
	int64_t from;
	int64_t until;  /* MU_T_NONE when open-ended */
};

#define RULES_MAX_INTERVALS 64 /* per summons; more is MU_ETOOBIG */

struct sm_eval {
	enum summons_state state;
	int64_t delivered_at;      /* MU_T_NONE if not delivered by `at` */
	enum ev_type delivered_by; /* the event type delivery counts from */
	int delivery_rule;         /* index of the delivery rule, -1 if none */
	int64_t report_at;         /* effective report time (after excuses) */
	int64_t ended_at;          /* MU_T_NONE if the summons is alive */
	enum ev_type ended_by;     /* event that ended it, if ended */
	int appeal_pending;        /* 1 if appealed and not yet decided */
	size_t n_intervals;
	struct rule_interval intervals[RULES_MAX_INTERVALS];
};

struct profile;

/* Parse profile JSON text. On success *out owns a new profile (free with
 * profile_free); on failure *out is NULL and err names the bad key. */
enum mu_err profile_parse(const char *json_text, struct profile **out,
			  struct mu_error *err) MU_MUSTCHECK;
void profile_free(struct profile *p);
const char *profile_id(const struct profile *p);      /* "ru-2023" */
const char *profile_version(const struct profile *p); /* "ru-2023/1" */
const char *profile_language(const struct profile *p); /* "ru" or "en" */
int profile_appeal_suspends(const struct profile *p);
/* Rule id of rule index i ("ru-2023.exit.delivery"), NULL if out of range. */
const char *profile_rule_id(const struct profile *p, int i);
/* Plain-words description of rule i, in English, for explanations. */
const char *profile_rule_text(const struct profile *p, int i);

/* Due process (docs/due-process.md): the reasons a profile recognises.
 * profile_exemption_bars: the purposes (bits 1u << enum purpose) that an
 * active deferment or exemption of kind k for `reason` bars; 0 for no
 * reason, or for a reason the profile names only for the other kind. */
unsigned profile_exemption_bars(const struct profile *p, const char *reason,
				enum exemption_kind k);
/* A reason the profile does not name at all (free text: "medical",
 * "university student") has its kind's general effect: an exemption bars
 * every purpose but data_clarification, a deferment bars dispatch,
 * training and mobilization. A reason the profile names only for the other
 * kind bars nothing (and is refused when granted). */
#define PROFILE_DEFERMENT_DEFAULT_BARS \
	((1u << PU_DISPATCH) | (1u << PU_TRAINING) | (1u << PU_MOBILIZATION))
#define PROFILE_EXEMPTION_DEFAULT_BARS \
	(PROFILE_DEFERMENT_DEFAULT_BARS | (1u << PU_MEDICAL_EXAM))
/* The kinds (bits 1u << enum exemption_kind) the profile names reason
 * for; 0 if it does not name it. */
unsigned profile_exemption_kinds(const struct profile *p, const char *reason);
/* The i-th reason a record of kind k may have / the i-th excuse reason,
 * and a reason's plain-words text; NULL past the end or when unknown. */
const char *profile_exemption_reason(const struct profile *p,
				     enum exemption_kind k, int i);
const char *profile_exemption_text(const struct profile *p, const char *reason,
				   enum exemption_kind k);
const char *profile_excuse_reason(const struct profile *p, int i);
const char *profile_excuse_text(const struct profile *p, const char *reason);
/* Working days a correction request may wait for a decision (default 10). */
int profile_correction_days(const struct profile *p);
/* 1 if the civil day (days since 1970-01-01) is a public holiday. */
int profile_is_holiday(const struct profile *p, int64_t day);

/*
 * Evaluate one summons as known at instant `at`: only events with
 * event.at <= at are taken into account (a later `at` with the same events is
 * a projection that assumes no new events). Fills *out. Intervals are
 * computed over all time (they may start or end after `at`); a restriction is
 * in force at `at` iff from <= at < until for one of its intervals.
 * MU_EINVAL if facts are inconsistent (bad zone), MU_ETOOBIG if more than
 * RULES_MAX_INTERVALS intervals would result.
 */
enum mu_err rules_eval(const struct profile *p, const struct sm_facts *f,
		       int64_t at, struct sm_eval *out) MU_MUSTCHECK;

/* The earliest instant > at at which the set of (kind, summons) restrictions
 * in force changes without a new event, over the evaluations ev[0..n) made at
 * `at`; MU_T_NONE if it never changes. */
int64_t rules_next_change(const struct sm_eval *ev, size_t n, int64_t at);

/*
 * Validate a new event against the summons as recorded (profile-independent,
 * LEGAL_RULES.md "Protections"): `now` is the current instant. Rejects
 * (MU_EINVAL with field "at", "type", "new_report_at" or "outcome"):
 * issued/published (system-only), an instant in the future or before issue,
 * any event on an ended summons except appeal_decided while an appeal is
 * pending, appeal_decided without a pending appeal or without an outcome,
 * new_report_at not after the event instant (or too far after it, see
 * rules_check_report), new_report_at on anything but excused, an outcome on
 * anything but appeal_decided.
 */
enum mu_err rules_check_event(const struct sm_facts *f,
			      const struct sm_event *ev, int64_t now,
			      struct mu_error *err) MU_MUSTCHECK;

/* How far a report time may lie after the instant that sets it (the issue,
 * or an excuse with a new date): further is a typing error, and periods
 * counted from a report time past the year 9999 cannot be counted at all. */
#define RULES_REPORT_AHEAD_MAX_DAYS 3660

/*
 * Check a report time `report` set at instant `from` (MU_T_NONE: missing):
 * it must lie after `from` and at most RULES_REPORT_AHEAD_MAX_DAYS later.
 * MU_EINVAL naming `field` otherwise; `what` names `from` in the detail
 * ("the issue instant").
 */
enum mu_err rules_check_report(int64_t from, int64_t report, const char *field,
			       const char *what, struct mu_error *err) MU_MUSTCHECK;

/* Names on the wire. *_name returns NULL for out-of-range; *_parse returns
 * -1 for an unknown name. */
const char *ev_type_name(enum ev_type t);
/* Evidence of delivery: handed, placed_in_account, viewed and the post_*
 * events (a delivery channel records all but handed). */
int ev_is_delivery_evidence(enum ev_type t);
int ev_type_parse(const char *s);
const char *restr_kind_name(enum restr_kind k);
int restr_kind_parse(const char *s);
const char *summons_state_name(enum summons_state s);
const char *purpose_name(enum purpose p);
int purpose_parse(const char *s);

/* Plain-words phrases in English for people: "leave the country",
 * "take loans or credit", ... (restriction kinds) and "Medical examination"
 * (purposes). */
const char *restr_kind_phrase(enum restr_kind k);
const char *purpose_phrase(enum purpose p);

/*
 * Write the plain-language explanation of one restriction in force into buf
 * (English), e.g. "Leaving the country is barred since 11 March 2026 00:00
 * (Asia/Vladivostok time) because summons S-1 was deemed delivered 7 days
 * after its publication on 3 March 2026. It lifts when you appear at the
 * office, ..., or when an appeal against it is upheld." Dates are local to
 * f->zone. iv is one of ev->intervals; office_name may be NULL. The text is
 * truncated to fit size.
 */
void rules_explain(const struct profile *p, const struct sm_facts *f,
		   const struct sm_eval *ev, const struct rule_interval *iv,
		   const char *office_name, char *buf, size_t size);

/* Embedded profile texts (generated at build time from the JSON files in
 * rules/):
 * returns the JSON text of the named profile, NULL if unknown. */
const char *rules_builtin_profile(const char *id);
/* The id of the k-th embedded profile (sorted by id), NULL past the end. */
const char *rules_builtin_profile_name(size_t k);

/*
 * ---- Internal: the parsed profile, shared by domain/profile.c (which
 * builds it) and domain/rules.c (which reads it). Every other module uses
 * the profile_* accessors above and must not look inside. ----
 *
 * Rules live in one index space: the delivery rules first, in file order,
 * then the restriction rules, in file order.
 */
#define PROFILE_MAX_RULES 32
#define PROFILE_ID_MAX 32
#define PROFILE_RULE_ID_MAX 96

/* What a restriction rule counts from. */
enum profile_anchor { PA_DELIVERY, PA_REPORT_DATE };

/* Events that end a summons (bits of profile.ends). */
enum profile_end {
	PE_APPEARED = 1,
	PE_CANCELLED = 2,
	PE_APPEAL_UPHELD = 4,
	PE_EXCUSED_WITHOUT_NEW_DATE = 8,
};

struct profile_rule {
	char id[PROFILE_RULE_ID_MAX]; /* "<profile id>.<rule>" */
	char *text;                   /* owned */
	int is_delivery;
	/* delivery rules */
	enum ev_type event;
	int has_after;
	enum ev_type after;           /* only if has_after */
	/* restriction rules */
	unsigned kinds;               /* bit (1u << enum restr_kind) */
	enum profile_anchor from;
	int requires_delivery_before_report;
	/* both: -1 = at the instant itself, N >= 0 = Rule D with N days */
	int days;
};

#define PROFILE_MAX_REASONS 16
#define PROFILE_MAX_HOLIDAYS 256
#define PROFILE_REASON_MAX 32

/* An exemption reason (kinds, bars) or an excuse reason (text only). */
struct profile_reason {
	char name[PROFILE_REASON_MAX];
	unsigned kinds;               /* bits 1u << enum exemption_kind */
	unsigned bars;                /* bits 1u << enum purpose */
	char *text;                   /* owned */
};

struct profile {
	char id[PROFILE_ID_MAX];
	char version[64];
	char language[8];
	char *title; /* owned, may be NULL */
	int appeal_suspends;
	unsigned ends; /* enum profile_end bits */
	int n_rules;
	struct profile_rule rules[PROFILE_MAX_RULES];
	/* due process (all optional in the JSON) */
	int n_exemption_reasons, n_excuse_reasons;
	struct profile_reason exemption_reasons[PROFILE_MAX_REASONS];
	struct profile_reason excuse_reasons[PROFILE_MAX_REASONS];
	int correction_days;
	int n_holidays;
	int64_t holidays[PROFILE_MAX_HOLIDAYS]; /* civil days, ascending */
};

#endif
