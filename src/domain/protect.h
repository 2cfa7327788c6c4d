/*
 * protect.h: the protections no profile can switch off (LEGAL_RULES.md).
 *
 * The one door for bars at issue: every path that creates a summons (the
 * API, the demo, campaigns) asks protect_issue first. A person removed from
 * the register can never be summoned; a fitness decision (D, or G until its
 * re-examination date) or an active deferment or exemption bars the purposes
 * it covers unless an override approved by a second officer covers that very
 * bar. Pure: the facts and the instant are arguments (see domain/due.h).
 */
#ifndef MU_PROTECT_H
#define MU_PROTECT_H

#include "domain/due.h"
#include "domain/model.h"
#include "domain/rules.h"

/* What protect_* look at: the person's record, their due-process facts
 * (NULL: none) and the profile (reasons -> barred purposes). */
struct protect_facts {
	const struct person *person;
	const struct due_set *due;
	const struct profile *profile;
};

/*
 * MU_OK when person f->person may be summoned for purpose pu at `at`.
 * Otherwise MU_ECONFLICT with a detail naming the bar (its kind, record id
 * and end), and *bar (may be NULL) set to it: removal from the register
 * (field "national_id", never overridable), or a fitness or exemption bar
 * (field "purpose") that ovr does not cover. ovr may be NULL; it covers a
 * bar when it is approved, names this person and purpose, and lists the
 * bar's basis (field "override" when it does not).
 */
enum mu_err protect_issue(const struct protect_facts *f, enum purpose pu,
			  int64_t at, const struct override_rec *ovr,
			  struct due_bar *bar, struct mu_error *err) MU_MUSTCHECK;

/*
 * The bases of every bar on purpose pu at `at`, comma-separated into buf
 * (what an override request must cover); *n is how many. MU_ECONFLICT when
 * the person is removed (no override can cover that) and MU_EINVAL (field
 * "purpose") when nothing bars pu, since there is nothing to override.
 */
enum mu_err protect_override_bases(const struct protect_facts *f,
				   enum purpose pu, int64_t at, char *buf,
				   size_t size, size_t *n,
				   struct mu_error *err) MU_MUSTCHECK;

/* 1 if basis is one of the comma-separated ids in list. */
int protect_basis_listed(const char *list, const char *basis);

#endif
