/*
 * protect.c: bars on issuing a summons. See protect.h.
 */
#include "domain/protect.h"

#include <stdio.h>
#include <string.h>

int protect_basis_listed(const char *list, const char *basis)
{
	size_t n = strlen(basis);

	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && n && !strncmp(p, basis, n))
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static int covers(const struct override_rec *o, const struct person *p,
		  enum purpose pu, const struct due_bar *b)
{
	return o && o->state == DS_APPROVED && o->purpose == (int)pu &&
	       !strcmp(o->national_id, p->national_id) &&
	       protect_basis_listed(o->bases, b->basis);
}

/* The bar in plain words, for the clerk reading the refusal. */
static const char *bar_words(const struct due_bar *b)
{
	switch (b->kind) {
	case BAR_FITNESS_D: return "fitness category D (unfit) bars every purpose but "
				   "data_clarification";
	case BAR_FITNESS_G: return "fitness category G (temporarily unfit) bars dispatch, "
				   "training and mobilization until re-examination";
	case BAR_DEFERMENT: return "an active deferment covers this purpose";
	case BAR_EXEMPTION: return "an active exemption covers this purpose";
	default: return "a protection covers this purpose";
	}
}

static enum mu_err refuse(const struct person *p, enum purpose pu,
			  const struct due_bar *b, const struct override_rec *ovr,
			  struct mu_error *err)
{
	char until[MU_RFC3339_MAX] = "";

	if (b->until != MU_T_NONE)
		mu_time_format(b->until, until, sizeof(until));
	if (b->kind == BAR_REMOVED)
		return mu_fail(err, MU_ECONFLICT, "national_id",
			       "person %s was removed from the register (%s on %s) "
			       "and cannot be summoned", p->national_id,
			       p->removal_reason[0] ? p->removal_reason : "removed",
			       p->removal_date[0] ? p->removal_date : "unknown date");
	return mu_fail(err, MU_ECONFLICT, ovr ? "override" : "purpose",
		       "%s. %s bars summoning person %s for %s: %s %s%s%s%s%s%s",
		       bar_words(b),
		       ovr ? "An override does not cover this bar; it" : "Due process",
		       p->national_id, purpose_name(pu), bar_kind_name(b->kind),
		       b->basis, b->reason[0] ? " (" : "", b->reason,
		       b->reason[0] ? ")" : "", until[0] ? ", in force until " : "",
		       until);
}

enum mu_err protect_issue(const struct protect_facts *f, enum purpose pu,
			  int64_t at, const struct override_rec *ovr,
			  struct due_bar *bar, struct mu_error *err)
{
	struct due_bar bars[DUE_BARS_MAX];
	size_t n = due_bars(f->profile, f->person, f->due, at, bars, DUE_BARS_MAX);

	for (size_t i = 0; i < n; i++) {
		const struct due_bar *b = &bars[i];
		if (!(b->purposes & (1u << pu)))
			continue;
		if (b->kind != BAR_REMOVED && covers(ovr, f->person, pu, b))
			continue;
		if (bar)
			*bar = *b;
		return refuse(f->person, pu, b, ovr, err);
	}
	return MU_OK;
}

enum mu_err protect_override_bases(const struct protect_facts *f,
				   enum purpose pu, int64_t at, char *buf,
				   size_t size, size_t *n, struct mu_error *err)
{
	struct due_bar bars[DUE_BARS_MAX];
	size_t nb = due_bars(f->profile, f->person, f->due, at, bars, DUE_BARS_MAX);
	size_t len = 0;

	*n = 0;
	if (size)
		buf[0] = 0;
	for (size_t i = 0; i < nb; i++) {
		const struct due_bar *b = &bars[i];
		if (!(b->purposes & (1u << pu)))
			continue;
		if (b->kind == BAR_REMOVED)
			return refuse(f->person, pu, b, NULL, err);
		if (len + strlen(b->basis) + 2 > size)
			return mu_fail(err, MU_ETOOBIG, "purpose",
				       "too many bars to cover in one override");
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					len ? "," : "", b->basis);
		(*n)++;
	}
	if (!*n)
		return mu_fail(err, MU_EINVAL, "purpose",
			       "nothing bars summoning person %s for %s; there is "
			       "nothing to override", f->person->national_id,
			       purpose_name(pu));
	return MU_OK;
}
