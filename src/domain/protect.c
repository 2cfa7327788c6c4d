/*
 * protect.c: bars on issuing a summons. See protect.h.
 */
#include "domain/protect.h"

enum mu_err protect_issue(const struct person *p, enum purpose pu,
			  struct mu_error *err)
{
	if (p->status == PS_REMOVED)
		return mu_fail(err, MU_ECONFLICT, "national_id",
			       "person %s was removed from the register (%s on %s) "
			       "and cannot be summoned", p->national_id,
			       p->removal_reason[0] ? p->removal_reason : "removed",
			       p->removal_date[0] ? p->removal_date : "unknown date");
	if (p->fitness == 'D' && pu != PU_DATA_CLARIFICATION)
		return mu_fail(err, MU_ECONFLICT, "purpose",
			       "person %s is of fitness category D (unfit), which "
			       "bars every purpose but data_clarification",
			       p->national_id);
	return MU_OK;
}
