/*
 * timefmt.c: instants on the wire (RFC 3339) and the proleptic Gregorian
 * calendar. See timefmt.h.
 *
 * Parsing is strict by hand, not sscanf: exactly "YYYY-MM-DDTHH:MM:SS",
 * optional ".fraction" (any number of digits, truncated), then "Z" or
 * "+HH:MM"/"-HH:MM". 't' and 'z' are accepted in lower case as RFC 3339
 * allows. Hour 24 and leap second 60 are rejected, and so is any date that
 * is not on the calendar.
 *
 * The day arithmetic is Howard Hinnant's days_from_civil/civil_from_days,
 * exact for every proleptic Gregorian date. Nothing here touches the time
 * zone database or any global state; only mu_now reads a clock.
 */
#include "util/timefmt.h"

#include <stdio.h>
#include <time.h>

/* Read exactly n decimal digits from s into *v; 0 if any is not a digit. */
static int digits(const char *s, int n, int *v)
{
	int r = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		r = r * 10 + (s[i] - '0');
	}
	*v = r;
	return 1;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int mu_date_valid(int y, int m, int d)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31};

	if (y < 0 || y > 9999 || m < 1 || m > 12 || d < 1)
		return 0;
	if (m == 2 && is_leap(y))
		return d <= 29;
	return d <= mdays[m - 1];
}

int64_t mu_days_from_civil(int y, int m, int d)
{
	int64_t yy = (int64_t)y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* civil_from_days with a 64-bit year, so any int64 instant can be shown. */
static void civil64(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

void mu_civil_from_days(int64_t days, int *y, int *m, int *d)
{
	int64_t yy;

	civil64(days, &yy, m, d);
	*y = (int)yy;
}

enum mu_err mu_date_parse(const char *s, int *y, int *m, int *d)
{
	int yy, mm, dd;

	if (!s || !digits(s, 4, &yy) || s[4] != '-' || !digits(s + 5, 2, &mm) ||
	    s[7] != '-' || !digits(s + 8, 2, &dd) || s[10] != '\0')
		return MU_EINVAL;
	if (!mu_date_valid(yy, mm, dd))
		return MU_EINVAL;
	*y = yy;
	*m = mm;
	*d = dd;
	return MU_OK;
}

/* Parse the zone designator at s: "Z" or "+HH:MM"; offset in seconds east. */
static int parse_offset(const char *s, int64_t *off)
{
	int hh, mi;

	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
		*off = 0;
		return 1;
	}
	if (s[0] != '+' && s[0] != '-')
		return 0;
	if (!digits(s + 1, 2, &hh) || s[3] != ':' || !digits(s + 4, 2, &mi) ||
	    s[6] != '\0' || hh > 23 || mi > 59)
		return 0;
	*off = (int64_t)(hh * 3600 + mi * 60) * (s[0] == '-' ? -1 : 1);
	return 1;
}

/* Parse "HH:MM:SS[.frac]" at s; *rest points after it. */
static int parse_clock(const char *s, int *secs, const char **rest)
{
	int hh, mi, ss;

	if (!digits(s, 2, &hh) || s[2] != ':' || !digits(s + 3, 2, &mi) ||
	    s[5] != ':' || !digits(s + 6, 2, &ss))
		return 0;
	if (hh > 23 || mi > 59 || ss > 59)
		return 0;
	s += 8;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	*secs = hh * 3600 + mi * 60 + ss;
	*rest = s;
	return 1;
}

enum mu_err mu_time_parse(const char *s, int64_t *out)
{
	int y, m, d, secs;
	int64_t off;
	const char *rest;

	if (!s || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) ||
	    s[7] != '-' || !digits(s + 8, 2, &d))
		return MU_EINVAL;
	if (!mu_date_valid(y, m, d) || (s[10] != 'T' && s[10] != 't'))
		return MU_EINVAL;
	if (!parse_clock(s + 11, &secs, &rest) || !parse_offset(rest, &off))
		return MU_EINVAL;
	*out = mu_days_from_civil(y, m, d) * 86400 + secs - off;
	return MU_OK;
}

void mu_time_format(int64_t t, char *buf, size_t size)
{
	int64_t days = t / 86400, secs = t % 86400, y;
	int m, d;

	if (!buf || size == 0)
		return;
	if (secs < 0) { /* floor, for instants before 1970 */
		secs += 86400;
		days--;
	}
	civil64(days, &y, &m, &d);
	snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m,
		 d, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

int64_t mu_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec;
}
