/*
 * daycount.c: calendar days in an office's time zone (Rule D). See daycount.h.
 *
 * The system tz database is the only source of offsets: every conversion
 * that is not answered from the caches below sets TZ=":<zone>", calls
 * tzset() and then localtime_r()/mktime(). TZ is process-global, so all of
 * that happens under one static mutex (tz_lock), and the zone last set is
 * remembered so that repeated calls for the same office do not reload the
 * zone file. TZ is NOT restored afterwards: muster itself never relies on
 * the process's local time (logs and the wire are UTC), and no other module
 * may call localtime()/mktime()/strftime("%Z") expecting a particular TZ. A
 * module that needs local time must come through here.
 *
 * That slow path costs 10-100 us a call (glibc re-parses the zone's POSIX
 * footer for every instant past the zone's last transition, and mktime
 * converts a dozen times), so its answers are cached, lock-free:
 *
 *  - zones: each valid zone name gets a small id (1..ZONES_MAX-1) in an
 *    open-addressing table that only grows. A name is written before its
 *    slot is published (release/acquire), and never changes afterwards.
 *    Zone names are checked before use: a name that glibc cannot load would
 *    silently mean UTC, which would shift every period by hours.
 *  - offsets: (zone, 4-day block of UTC time) -> UTC offset, for a block
 *    whose first and last seconds show the same offset in localtime_r; an
 *    instant's local date and clock time are then t + offset, exactly what
 *    localtime_r computes. This rests on one fact of the tz database: no
 *    zone has two transitions within 4 days of each other (the closest
 *    pair, over every zone from 1800 to 2100, is 6 days 23 hours apart), so
 *    a block cannot hide a transition and its reversal. The block that
 *    holds a transition falls back to (zone, UTC hour) entries on the same
 *    terms, and the hour that holds it to localtime_r itself, which also
 *    keeps local dates that run backwards (a fall-back at midnight) exact.
 *  - midnights: 00:00 on day D is D*86400 - offset when the offsets two
 *    days either side agree (no transition can lie between). Only a day
 *    near a transition asks the C library, and its answer is cached per
 *    (zone, local day) as its distance from 00:00 UTC of that day.
 *
 * Each cache entry packs the zone id, the key and the value into one 64-bit
 * atomic word, so a reader sees a whole entry or another one, never a torn
 * mix; the caches are direct-mapped (a collision overwrites), so their
 * memory is fixed: ZONES_MAX names (200 KiB) and 40960 words (320 KiB).
 * Keys or values that do not fit an entry, and zones beyond ZONES_MAX, are
 * answered by the slow path every time. The caches live as long as the
 * process: a tzdata upgrade takes effect at restart.
 *
 * Must not: allocate, log, or know any offset by heart.
 */
#include "domain/daycount.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/timefmt.h"

#define ZONEINFO_DIR "/usr/share/zoneinfo/"
#define ZONE_NAME_MAX 96
#define ZONES_MAX 2048    /* zone ids 1..2047; id 0 means "not cached" */
#define ZONE_SLOTS 4096   /* power of two, > ZONES_MAX: probes end */
#define BLOCK (4 * 86400) /* offsets are cached per 4 days of UTC time */
#define BLK_BITS 15       /* 32768 (zone, block) entries */
#define HOUR_BITS 12      /* 4096 (zone, hour) entries, transition blocks */
#define MID_BITS 12       /* 4096 (zone, day) entries, transition days */
#define VAL_BITS 20       /* signed value of an entry, in seconds */
#define VAL_BIAS (1L << (VAL_BITS - 1))

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static char tz_current[ZONE_NAME_MAX + 2]; /* ":<zone>" last set, guarded */

/* zone_names[id] is written once, under tz_lock, before id is published in
 * zone_slots; read without the lock after an acquire load of the slot. */
static char zone_names[ZONES_MAX][ZONE_NAME_MAX + 1];
static unsigned zones_n;                        /* guarded by tz_lock */
static _Atomic uint32_t zone_slots[ZONE_SLOTS]; /* 0 empty, else zone id */

static _Atomic uint64_t blk_cache[1u << BLK_BITS];   /* (zone, block) */
static _Atomic uint64_t hour_cache[1u << HOUR_BITS]; /* (zone, UTC hour) */
static _Atomic uint64_t mid_cache[1u << MID_BITS];   /* (zone, local day) */

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

/* ---- the zone registry ---- */

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Id of zone if it is registered, 0 if not. Lock-free. */
static unsigned zone_find(const char *zone, uint32_t h)
{
	for (unsigned i = 0; i < ZONE_SLOTS; i++) {
		unsigned id = atomic_load_explicit(
			&zone_slots[(h + i) & (ZONE_SLOTS - 1)],
			memory_order_acquire);
		if (id == 0)
			return 0;
		if (strcmp(zone_names[id], zone) == 0)
			return id;
	}
	return 0;
}

/* Register a zone whose file checks out: its id, 0 if the registry is full,
 * -1 if the zone is not valid. Caller holds tz_lock. */
static int zone_add(const char *zone, uint32_t h)
{
	unsigned id, i = h;

	if (!zone_file_ok(zone))
		return -1;
	if (zones_n + 1 >= ZONES_MAX)
		return 0;
	id = ++zones_n;
	snprintf(zone_names[id], sizeof(zone_names[id]), "%s", zone);
	while (atomic_load_explicit(&zone_slots[i & (ZONE_SLOTS - 1)],
				    memory_order_relaxed) != 0)
		i++;
	atomic_store_explicit(&zone_slots[i & (ZONE_SLOTS - 1)], id,
			      memory_order_release);
	return (int)id;
}

/* >0: the zone's id; 0: a valid zone the registry has no room for (served
 * uncached); -1: not a valid zone. */
static int zone_resolve(const char *zone)
{
	uint32_t h;
	int id;

	if (!zone || !zone_name_ok(zone))
		return -1;
	h = name_hash(zone);
	id = (int)zone_find(zone, h);
	if (id > 0)
		return id;
	pthread_mutex_lock(&tz_lock);
	id = (int)zone_find(zone, h);
	if (id == 0)
		id = zone_add(zone, h);
	pthread_mutex_unlock(&tz_lock);
	return id;
}

int daycount_zone_valid(const char *zone)
{
	return zone_resolve(zone) >= 0;
}

/* ---- the caches ---- */

/* Entry: zone id (12 bits) | key (32 bits) | value + VAL_BIAS (20 bits).
 * The id is >= 1, so no entry is 0, the value of an empty slot. */
static uint64_t cache_tag(int id, int64_t key)
{
	return ((uint64_t)id << 32) | (uint32_t)key;
}

static int cache_fits(int id, int64_t key)
{
	return id > 0 && key >= INT32_MIN && key <= INT32_MAX;
}

static _Atomic uint64_t *cache_slot(_Atomic uint64_t *cache, unsigned bits,
				   uint64_t tag)
{
	return &cache[(tag * 0x9E3779B97F4A7C15u) >> (64 - bits)];
}

/* 1 and *val if the cache of 2^bits words holds tag. */
static int cache_get(_Atomic uint64_t *cache, unsigned bits, uint64_t tag,
		     long *val)
{
	uint64_t w = atomic_load_explicit(cache_slot(cache, bits, tag),
					  memory_order_relaxed);

	if (w == 0 || w >> VAL_BITS != tag)
		return 0;
	*val = (long)(w & ((1u << VAL_BITS) - 1)) - VAL_BIAS;
	return 1;
}

static void cache_put(_Atomic uint64_t *cache, unsigned bits, uint64_t tag,
		      long val)
{
	if (val <= -VAL_BIAS || val >= VAL_BIAS)
		return;
	atomic_store_explicit(cache_slot(cache, bits, tag),
			      tag << VAL_BITS | (uint64_t)(val + VAL_BIAS),
			      memory_order_relaxed);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

/* ---- the slow path: the C library under tz_lock ---- */

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

/* 1 and *off if localtime_r shows the same offset at a and at b. Caller
 * holds tz_lock. */
static int same_offset(int64_t a, int64_t b, long *off)
{
	struct tm x, y;

	if (!local_tm(a, &x) || !local_tm(b, &y) || x.tm_gmtoff != y.tm_gmtoff)
		return 0;
	*off = x.tm_gmtoff;
	return 1;
}

/* The C library's answer for offset_at, cached where it holds for a whole
 * block or hour. Caller holds tz_lock, with zone in use. */
static int offset_locked(int id, int64_t t, long *off)
{
	int64_t blk = floor_div(t, BLOCK), hour = floor_div(t, 3600);
	struct tm tm;

	if (cache_fits(id, blk) &&
	    same_offset(blk * BLOCK, blk * BLOCK + BLOCK - 1, off)) {
		cache_put(blk_cache, BLK_BITS, cache_tag(id, blk), *off);
		return 1;
	}
	if (cache_fits(id, hour) &&
	    same_offset(hour * 3600, hour * 3600 + 3599, off)) {
		cache_put(hour_cache, HOUR_BITS, cache_tag(id, hour), *off);
		return 1;
	}
	if (!local_tm(t, &tm))
		return 0;
	*off = tm.tm_gmtoff;
	return 1;
}

/* The UTC offset of zone at t (seconds east), from the caches or the C
 * library; id as from zone_resolve. 0 if t cannot be converted. */
static int offset_at(const char *zone, int id, int64_t t, long *off)
{
	int64_t blk = floor_div(t, BLOCK), hour = floor_div(t, 3600);
	int ok;

	if (cache_fits(id, blk) &&
	    cache_get(blk_cache, BLK_BITS, cache_tag(id, blk), off))
		return 1;
	if (cache_fits(id, hour) &&
	    cache_get(hour_cache, HOUR_BITS, cache_tag(id, hour), off))
		return 1;
	pthread_mutex_lock(&tz_lock);
	tz_use(zone);
	ok = offset_locked(id, t, off);
	pthread_mutex_unlock(&tz_lock);
	return ok;
}

/* Local date and clock time of t in zone. */
struct local {
	int y, m, d, hh, mm;
	long off;
};

static enum mu_err local_of(const char *zone, int64_t t, struct local *l)
{
	int id = zone_resolve(zone);
	int64_t s, days;

	if (id < 0 || !offset_at(zone, id, t, &l->off))
		return MU_EINVAL;
	s = t + l->off;
	days = floor_div(s, 86400);
	mu_civil_from_days(days, &l->y, &l->m, &l->d);
	s -= days * 86400;
	l->hh = (int)(s / 3600);
	l->mm = (int)(s / 60 % 60);
	return MU_OK;
}

enum mu_err daycount_local_date(const char *zone, int64_t t, int *y, int *m,
				int *d)
{
	struct local l;
	enum mu_err rc = local_of(zone, t, &l);

	if (rc != MU_OK)
		return rc;
	*y = l.y;
	*m = l.m;
	*d = l.d;
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

/* Is t a reading of 00:00:00 on local day `day`? Caller holds tz_lock. */
static int reads_midnight(int64_t t, int64_t day)
{
	struct tm tm;

	return local_tm(t, &tm) && tm.tm_hour == 0 && tm.tm_min == 0 &&
	       tm.tm_sec == 0 && local_day_cmp(t, day) == 0;
}

/* 00:00 local on y-m-d: the earliest instant that reads 00:00:00 on that
 * day, else the first instant of the day (a DST gap at midnight). The
 * candidates are mktime's two DST readings, and 00:00 under the offsets in
 * force two days either side: mktime alone misses the earlier reading when
 * a clock falls back over midnight without a change of the DST flag
 * (Europe/Moscow, 16 September 1918). Caller holds tz_lock. */
static int midnight_locked(int y, int m, int d, int64_t *out)
{
	int64_t day = mu_days_from_civil(y, m, d), best = MU_T_NONE;
	int64_t cand[4] = {MU_T_NONE, MU_T_NONE, MU_T_NONE, MU_T_NONE};
	struct tm lo, hi;

	for (int isdst = 0; isdst <= 1; isdst++) {
		struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1,
				.tm_mday = d, .tm_isdst = isdst};
		time_t t = mktime(&tm);

		if (t != (time_t)-1)
			cand[isdst] = t;
	}
	if (local_tm(day * 86400 - 2 * 86400, &lo) &&
	    local_tm(day * 86400 + 2 * 86400, &hi)) {
		cand[2] = day * 86400 - lo.tm_gmtoff;
		cand[3] = day * 86400 - hi.tm_gmtoff;
	}
	for (int i = 0; i < 4; i++)
		if (cand[i] < best && reads_midnight(cand[i], day))
			best = cand[i];
	if (best != MU_T_NONE) {
		*out = best;
		return 1;
	}
	return first_instant_of(day, day * 86400, out);
}

enum mu_err daycount_local_midnight(const char *zone, int y, int m, int d,
				    int64_t *out)
{
	int64_t day;
	uint64_t tag;
	long val, before, after;
	int id, ok;

	if (!mu_date_valid(y, m, d) || (id = zone_resolve(zone)) < 0)
		return MU_EINVAL;
	day = mu_days_from_civil(y, m, d);
	/* One offset over [D - 2 days, D + 2 days]: no transition lies within,
	 * so 00:00 reads exactly once, at D*86400 - offset. */
	if (offset_at(zone, id, day * 86400 - 2 * 86400, &before) &&
	    offset_at(zone, id, day * 86400 + 2 * 86400, &after) &&
	    before == after) {
		*out = day * 86400 - before;
		return MU_OK;
	}
	tag = cache_fits(id, day) ? cache_tag(id, day) : 0;
	if (tag && cache_get(mid_cache, MID_BITS, tag, &val)) {
		*out = day * 86400 + val;
		return MU_OK;
	}
	pthread_mutex_lock(&tz_lock);
	tz_use(zone);
	ok = midnight_locked(y, m, d, out);
	pthread_mutex_unlock(&tz_lock);
	if (!ok)
		return MU_EINVAL;
	if (tag)
		cache_put(mid_cache, MID_BITS, tag, (long)(*out - day * 86400));
	return MU_OK;
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
	struct local l;
	enum mu_err rc = local_of(zone, t, &l);

	if (rc != MU_OK)
		return rc;
	snprintf(buf, size, "%04d-%02d-%02d %02d:%02d", l.y, l.m, l.d, l.hh,
		 l.mm);
	if (off && offsize)
		snprintf(off, offsize, "%c%02ld:%02ld", l.off < 0 ? '-' : '+',
			 labs(l.off) / 3600, labs(l.off) / 60 % 60);
	return MU_OK;
}
