/*
 * timefmt.h: instants on the wire.
 *
 * muster keeps every instant as int64 seconds since the Unix epoch (UTC).
 * Input is RFC 3339 with an explicit offset ("Z" or "+03:00"); fractional
 * seconds are accepted and truncated. Output is always UTC with "Z".
 * Calendar dates are "YYYY-MM-DD" and are checked for reality (no 30 Feb).
 *
 * Pure: no time zone database, no global state, no allocation.
 */
#ifndef MU_TIMEFMT_H
#define MU_TIMEFMT_H

#include <stdint.h>
#include <stddef.h>

#include "util/err.h"

/* "never" / "not happened" */
#define MU_T_NONE INT64_MAX

#define MU_RFC3339_MAX 32 /* buffer size that fits any output of mu_time_format */

/* Parse RFC 3339 into *out. MU_EINVAL on anything else (no offset, bad
 * calendar date, hour 24, ...). */
enum mu_err mu_time_parse(const char *s, int64_t *out) MU_MUSTCHECK;

/* Format t as "YYYY-MM-DDTHH:MM:SSZ" into buf (size >= MU_RFC3339_MAX). */
void mu_time_format(int64_t t, char *buf, size_t size);

/* Parse "YYYY-MM-DD" and check it is a real calendar date. */
enum mu_err mu_date_parse(const char *s, int *y, int *m, int *d) MU_MUSTCHECK;

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d, and back. */
int64_t mu_days_from_civil(int y, int m, int d);
void mu_civil_from_days(int64_t days, int *y, int *m, int *d);

/* 1 if y-m-d is a real date. */
int mu_date_valid(int y, int m, int d);

/* The current instant from the system clock. */
int64_t mu_now(void);

#endif
