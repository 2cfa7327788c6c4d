/*
 * daycount.h: calendar days in an office's time zone (LEGAL_RULES.md, Rule D).
 *
 * Time zones are IANA names resolved by the system tz database through the C
 * library (TZ + tzset + localtime_r/mktime), serialised by one mutex because
 * TZ is process-global. No offsets are written down anywhere in muster.
 * What the C library answers is cached per zone (the UTC offset per 4 days
 * of UTC time, or per hour around a transition) in fixed-size lock-free
 * tables, so the functions below are thread-safe and, once warm, cost well
 * under a microsecond. See daycount.c for what the caches rest on.
 *
 * Rule D: an N-day period that runs from an event whose local date is D
 * expires at 00:00 local time on D + N + 1.
 */
#ifndef MU_DAYCOUNT_H
#define MU_DAYCOUNT_H

#include <stdint.h>
#include <stddef.h>

#include "util/err.h"

/* 1 if zone names a zone of the system tz database (a file under
 * /usr/share/zoneinfo that parses as TZif), 0 otherwise. "UTC" is valid. */
int daycount_zone_valid(const char *zone);

/* Local calendar date of instant t in zone. */
enum mu_err daycount_local_date(const char *zone, int64_t t, int *y, int *m,
				int *d) MU_MUSTCHECK;

/* The instant of 00:00 local time on y-m-d in zone (if 00:00 does not exist
 * that day because of a DST jump, the first instant of that local day). */
enum mu_err daycount_local_midnight(const char *zone, int y, int m, int d,
				    int64_t *out) MU_MUSTCHECK;

/* Rule D: expiry of an n-day period running from the event at instant t. */
enum mu_err daycount_expiry(const char *zone, int64_t t, int n,
			    int64_t *out) MU_MUSTCHECK;

/* Format t as local time in zone, "YYYY-MM-DD HH:MM" into buf, and the
 * local UTC offset as "+03:00" into off (off may be NULL). */
enum mu_err daycount_format_local(const char *zone, int64_t t, char *buf,
				  size_t size, char *off, size_t offsize) MU_MUSTCHECK;

#endif
