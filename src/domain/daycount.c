/*
 * daycount.c: calendar days in an office's time zone (Rule D). See daycount.h.
 *
 * The system tz database is the only source of offsets: every conversion
 * sets TZ=":<zone>", calls tzset() and then localtime_r()/mktime(). TZ is
 * process-global, so all of that happens under one static mutex, and the
 * zone last set is remembered so that repeated calls for the same office do
 * not reload the zone file. TZ is NOT restored afterwards: muster itself
 * never relies on the process's local time (logs and the wire are UTC), and
 * no other module may call localtime()/mktime()/strftime("%Z") expecting a
 * particular TZ. A module that needs local time must come through here.
 *
 * Zone names are checked before use (daycount_zone_valid): a name that
 * glibc cannot load would silently mean UTC, which would shift every period
 * by hours. Valid names are remembered in a small cache under the same mutex.
 *
 * Must not: allocate, log, or know any offset by heart.
 */
#include "domain/daycount.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/timefmt.h"

#define ZONEINFO_DIR "/usr/share/zoneinfo/"
#define ZONE_NAME_MAX 96
#define ZONE_CACHE 16

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static char tz_current[ZONE_NAME_MAX + 2]; /* ":<zone>" last set, guarded */
static char zone_cache[ZONE_CACHE][ZONE_NAME_MAX + 1]; /* guarded */
static unsigned zone_cache_next;                       /* guarded */

/* Syntax check: IANA names are letters, digits, '/', '_', '-', '+'. */
static int zone_name_ok(const char *zone)
{
	size_t n = strlen(zone);

	if (n == 0 || n > ZONE_NAME_MAX || zone[0] == '/' || strstr(zone, ".."))
		return 0;
	if (strncmp(zone, "right/", 6) == 0) /* leap-second clocks: not civil */
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = zone[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '/' || c == '_' ||
		      c == '-' || c == '+'))
			return 0;
	}
	return 1;
}

/* 1 if the zone file exists and starts with the TZif magic. */
static int zone_file_ok(const char *zone)
{
	char path[sizeof(ZONEINFO_DIR) + ZONE_NAME_MAX + 1];
	char magic[4];
	FILE *fp;
	size_t got;

	snprintf(path, sizeof(path), "%s%s", ZONEINFO_DIR, zone);
	fp = fopen(path, "rb");
	if (!fp)
		return 0;
	got = fread(magic, 1, sizeof(magic), fp);
	fclose(fp);
	return got == sizeof(magic) && memcmp(magic, "TZif", 4) == 0;
}

/* Caller holds tz_lock. */
static int zone_cached(const char *zone)
{
	for (unsigned i = 0; i < ZONE_CACHE; i++)
		if (strcmp(zone_cache[i], zone) == 0)
			return 1;
	return 0;
}

int daycount_zone_valid(const char *zone)
{
	int ok;

	if (!zone || !zone_name_ok(zone))
		return 0;
	pthread_mutex_lock(&tz_lock);
	ok = zone_cached(zone);
	if (!ok && zone_file_ok(zone)) {
		ok = 1;
		snprintf(zone_cache[zone_cache_next], ZONE_NAME_MAX + 1, "%s",
			 zone);
		zone_cache_next = (zone_cache_next + 1) % ZONE_CACHE;
	}
	pthread_mutex_unlock(&tz_lock);
	return ok;
}

/* Make zone the C library's local zone. Caller holds tz_lock. */
static void tz_use(const char *zone)
{
	char want[sizeof(tz_current)];

	snprintf(want, sizeof(want), ":%s", zone);
	if (strcmp(want, tz_current) == 0)
		return;
	setenv("TZ", want, 1);
	tzset();
	memcpy(tz_current, want, sizeof(want));
}

/* localtime_r of t in the current zone. Caller holds tz_lock. */
static int local_tm(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;

	if ((int64_t)tt != t || !localtime_r(&tt, tm))
		return 0;
	return 1;
}

enum mu_err daycount_local_date(const char *zone, int64_t t, int *y, int *m,
				int *d)
{
	struct tm tm;
	int ok;

	if (!daycount_zone_valid(zone))
		return MU_EINVAL;
	pthread_mutex_lock(&tz_lock);
	tz_use(zone);
	ok = local_tm(t, &tm);
	pthread_mutex_unlock(&tz_lock);
	if (!ok)
		return MU_EINVAL;
	*y = tm.tm_year + 1900;
	*m = tm.tm_mon + 1;
	*d = tm.tm_mday;
	return MU_OK;
}

/* Compare the local date of t with day number `day` (days since epoch):
 * <0, 0, >0. -2 on conversion failure. Caller holds tz_lock. */
static int local_day_cmp(int64_t t, int64_t day)
{
	struct tm tm;
	int64_t have;

	if (!local_tm(t, &tm))
		return -2;
	have = mu_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	return have < day ? -1 : have > day ? 1 : 0;
}

/* First instant whose local date is >= day, near the guess g (within a day
 * or two: offsets are under 26 hours). Caller holds tz_lock. */
static int first_instant_of(int64_t day, int64_t g, int64_t *out)
{
	int64_t lo = g - 2 * 86400, hi = g + 2 * 86400;

	if (local_day_cmp(lo, day) >= 0 || local_day_cmp(hi, day) < 0)
		return 0;
	/* invariant: date(lo) < day <= date(hi) */
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		int c = local_day_cmp(mid, day);
		if (c == -2)
			return 0;
		if (c < 0)
			lo = mid;
		else
			hi = mid;
	}
	*out = hi;
	return 1;
}

/* 00:00 local on y-m-d through mktime; the earliest candidate of the two
 * DST readings that really shows 00:00 on that day, else the first instant
 * of the day (a DST gap at midnight). Caller holds tz_lock. */
static int midnight_locked(int y, int m, int d, int64_t *out)
{
	int64_t day = mu_days_from_civil(y, m, d), best = MU_T_NONE;

	for (int isdst = 0; isdst <= 1; isdst++) {
		struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1,
				.tm_mday = d, .tm_isdst = isdst};
		struct tm back;
		time_t t = mktime(&tm);

		if (t == (time_t)-1 || !local_tm(t, &back))
			continue;
		if (back.tm_hour == 0 && back.tm_min == 0 && back.tm_sec == 0 &&
		    local_day_cmp(t, day) == 0 && t < best)
			best = t;
	}
	if (best != MU_T_NONE) {
		*out = best;
		return 1;
	}
	return first_instant_of(day, day * 86400, out);
}

enum mu_err daycount_local_midnight(const char *zone, int y, int m, int d,
				    int64_t *out)
{
	int ok;

	if (!mu_date_valid(y, m, d) || !daycount_zone_valid(zone))
		return MU_EINVAL;
	pthread_mutex_lock(&tz_lock);
	tz_use(zone);
	ok = midnight_locked(y, m, d, out);
	pthread_mutex_unlock(&tz_lock);
	return ok ? MU_OK : MU_EINVAL;
}

enum mu_err daycount_expiry(const char *zone, int64_t t, int n, int64_t *out)
{
	int y, m, d;
	enum mu_err rc;

	if (n < 0)
		return MU_EINVAL;
	rc = daycount_local_date(zone, t, &y, &m, &d);
	if (rc != MU_OK)
		return rc;
	mu_civil_from_days(mu_days_from_civil(y, m, d) + n + 1, &y, &m, &d);
	return daycount_local_midnight(zone, y, m, d, out);
}

enum mu_err daycount_format_local(const char *zone, int64_t t, char *buf,
				  size_t size, char *off, size_t offsize)
{
	struct tm tm;
	long g;
	int ok;

	if (!daycount_zone_valid(zone))
		return MU_EINVAL;
	pthread_mutex_lock(&tz_lock);
	tz_use(zone);
	ok = local_tm(t, &tm);
	pthread_mutex_unlock(&tz_lock);
	if (!ok)
		return MU_EINVAL;
	snprintf(buf, size, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
	if (off && offsize) {
		g = tm.tm_gmtoff;
		snprintf(off, offsize, "%c%02ld:%02ld", g < 0 ? '-' : '+',
			 labs(g) / 3600, labs(g) / 60 % 60);
	}
	return MU_OK;
}
