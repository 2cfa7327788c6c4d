/*
 * protect.h: the protections no profile can switch off (LEGAL_RULES.md).
 *
 * Pure checks made before a summons is issued. The due-process work adds
 * exemptions and overrides here; callers already pass through this one door.
 */
#ifndef MU_PROTECT_H
#define MU_PROTECT_H

#include "domain/model.h"
#include "domain/rules.h"

/* MU_ECONFLICT naming the bar when person p may not be summoned for
 * purpose pu: removed from the register, or fitness category D ("unfit")
 * for anything but data_clarification. */
enum mu_err protect_issue(const struct person *p, enum purpose pu,
			  struct mu_error *err) MU_MUSTCHECK;

#endif
