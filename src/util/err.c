/*
 * err.c: formatting of struct mu_error. See err.h.
 */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum mu_err mu_fail(struct mu_error *e, enum mu_err code, const char *field,
		    const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
	return code;
}

void mu_error_clear(struct mu_error *e)
{
	if (e)
		memset(e, 0, sizeof(*e));
}

const char *mu_err_name(enum mu_err code)
{
	switch (code) {
	case MU_OK: return "ok";
	case MU_EINVAL: return "invalid";
	case MU_ENOTFOUND: return "not_found";
	case MU_ECONFLICT: return "conflict";
	case MU_EUNAUTH: return "unauthorized";
	case MU_EFORBIDDEN: return "forbidden";
	case MU_ETOOBIG: return "too_large";
	case MU_EBUSY: return "unavailable";
	case MU_EIO: return "storage";
	case MU_ENOMEM: return "out_of_memory";
	case MU_EINTERNAL: return "internal";
	case MU_ELIMIT: return "rate_limited";
	}
	return "internal";
}
