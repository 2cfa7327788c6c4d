/*
 * test_person.c: validation of persons and offices (domain/person.c) and
 * their JSON decoding (domain/codec.c).
 *
 * Every check names the field it refuses: the HTTP API and the importer
 * both repeat that name to the person who sent the record. The current
 * instant is fixed (NOW) so the age and future-date edges are exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "domain/codec.h"
#include "domain/model.h"
#include "util/timefmt.h"

/* 2026-03-10T12:00:00Z */
#define NOW 1773144000LL

static int64_t at(const char *rfc3339)
{
	int64_t t = 0;

	if (mu_time_parse(rfc3339, &t) != MU_OK)
		fail_msg("bad instant in the test itself: %s", rfc3339);
	return t;
}

static struct person valid_person(void)
{
	struct person p;

	memset(&p, 0, sizeof(p));
	snprintf(p.national_id, sizeof(p.national_id), "RU-4510-123456");
	snprintf(p.family_name, sizeof(p.family_name), "Иванов");
	snprintf(p.given_name, sizeof(p.given_name), "Иван");
	snprintf(p.patronymic, sizeof(p.patronymic), "Иванович");
	snprintf(p.birth_date, sizeof(p.birth_date), "2004-05-17");
	p.sex = 'M';
	snprintf(p.region, sizeof(p.region), "Moscow");
	snprintf(p.office, sizeof(p.office), "MOW");
	snprintf(p.address, sizeof(p.address), "Москва, ул. Ленина, 1");
	snprintf(p.phone, sizeof(p.phone), "+79990000000");
	snprintf(p.email, sizeof(p.email), "ivan@example.ru");
	p.fitness = 'A';
	return p;
}

static struct office valid_office(void)
{
	struct office o;

	memset(&o, 0, sizeof(o));
	snprintf(o.id, sizeof(o.id), "MOW-1");
	snprintf(o.name, sizeof(o.name), "Военкомат Москвы");
	snprintf(o.region, sizeof(o.region), "Moscow");
	snprintf(o.timezone, sizeof(o.timezone), "Europe/Moscow");
	o.daily_capacity = OFFICE_DEFAULT_CAPACITY;
	return o;
}

/* Assert that p (at instant now) is accepted. */
#define PERSON_OK(p, now)                                                     \
	do {                                                                  \
		struct mu_error e_ = {0};                                     \
		if (person_validate(&(p), (now), &e_) != MU_OK)               \
			fail_msg("rejected (%s): %s", e_.field, e_.detail);   \
	} while (0)

/* Assert that p is refused with MU_EINVAL naming field. */
#define PERSON_BAD(p, now, fld)                                               \
	do {                                                                  \
		struct mu_error e_ = {0};                                     \
		enum mu_err rc_ = person_validate(&(p), (now), &e_);          \
		if (rc_ != MU_EINVAL)                                         \
			fail_msg("accepted or wrong code %d, want field %s",  \
				 (int)rc_, (fld));                            \
		assert_string_equal(e_.field, (fld));                         \
		assert_true(e_.detail[0] != 0);                               \
	} while (0)

#define OFFICE_OK(o)                                                          \
	do {                                                                  \
		struct mu_error e_ = {0};                                     \
		if (office_validate(&(o), &e_) != MU_OK)                      \
			fail_msg("office rejected (%s): %s", e_.field,        \
				 e_.detail);                                  \
	} while (0)

#define OFFICE_BAD(o, fld)                                                    \
	do {                                                                  \
		struct mu_error e_ = {0};                                     \
		assert_int_equal(office_validate(&(o), &e_), MU_EINVAL);      \
		assert_string_equal(e_.field, (fld));                         \
	} while (0)

/* Copy v into a record field; the test is wrong if it does not fit. */
static void set(char *dst, size_t size, const char *v)
{
	size_t n = strlen(v);

	if (n >= size)
		fail_msg("test value of %zu bytes does not fit a field of %zu", n, size);
	memcpy(dst, v, n + 1);
}
#define SET(field, v) set((field), sizeof(field), (v))

/* A string of n copies of unit (n * strlen(unit) must fit buf). */
static const char *repeat(char *buf, size_t size, const char *unit, size_t n)
{
	size_t u = strlen(unit);

	assert_true(n * u < size);
	for (size_t i = 0; i < n; i++)
		memcpy(buf + i * u, unit, u);
	buf[n * u] = 0;
	return buf;
}

/* ---- person ---------------------------------------------------------- */

static void test_valid_person(void **state)
{
	struct person p = valid_person();

	(void)state;
	PERSON_OK(p, NOW);
	/* optional fields may be empty */
	p.patronymic[0] = 0;
	p.address[0] = 0;
	p.phone[0] = 0;
	p.email[0] = 0;
	p.fitness = 0;
	PERSON_OK(p, NOW);
}

static void test_national_id(void **state)
{
	static const char *good[] = {
		"AB12", "0000", "----", "A-B-C-1-2-3",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", /* 32 */
	};
	static const char *bad[] = {
		"", "ABC", "ab12", "AB 12", "AB_12", "AB.12", "AB/12", "AB12\t",
		"АБВГ",  /* Cyrillic capitals */
		"ÄB12", "AB12%", "+AB12",
	};
	struct person p = valid_person();

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		SET(p.national_id, good[i]);
		assert_true(person_id_valid(good[i]));
		PERSON_OK(p, NOW);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		SET(p.national_id, bad[i]);
		if (person_id_valid(bad[i]))
			fail_msg("person_id_valid accepted \"%s\"", bad[i]);
		PERSON_BAD(p, NOW, "national_id");
	}
	/* 33 characters do not fit the record: refused by the id check and
	 * by the decoder, which names the key */
	assert_false(person_id_valid("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"));
	{
		struct mu_error e = {0};
		assert_int_equal(person_set_field(&p, "national_id",
						  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", &e),
				 MU_EINVAL);
		assert_string_equal(e.field, "national_id");
	}
}

static void test_names_required_and_bounded(void **state)
{
	char buf[1024];
	struct person p;

	(void)state;
	p = valid_person();
	p.family_name[0] = 0;
	PERSON_BAD(p, NOW, "family_name");
	p = valid_person();
	p.given_name[0] = 0;
	PERSON_BAD(p, NOW, "given_name");

	/* 100 characters is the limit, counted in characters, not bytes */
	p = valid_person();
	SET(p.family_name, repeat(buf, sizeof(buf), "Ж", 100));
	PERSON_OK(p, NOW);
	SET(p.family_name, repeat(buf, sizeof(buf), "Ж", 101));
	PERSON_BAD(p, NOW, "family_name");
	p = valid_person();
	SET(p.given_name, repeat(buf, sizeof(buf), "x", 101));
	PERSON_BAD(p, NOW, "given_name");
	p = valid_person();
	SET(p.patronymic, repeat(buf, sizeof(buf), "я", 101));
	PERSON_BAD(p, NOW, "patronymic");
	/* four-byte characters count once */
	p = valid_person();
	SET(p.family_name, repeat(buf, sizeof(buf), "\xF0\x9F\x98\x80", 100));
	PERSON_OK(p, NOW);
}

static void test_invalid_utf8_and_controls(void **state)
{
	static const char *bad_text[] = {
		"\xC3\x28",             /* bad continuation */
		"\xD0",                 /* truncated two-byte sequence */
		"\xE2\x82",             /* truncated three-byte sequence */
		"\xC0\xAF",             /* overlong '/' */
		"\xE0\x80\xAF",         /* overlong, three bytes */
		"\xED\xA0\x80",         /* UTF-16 surrogate */
		"\xF4\x90\x80\x80",     /* beyond U+10FFFF */
		"\xF8\x88\x80\x80\x80", /* five-byte form */
		"\xFF",
		"\x80",                 /* lone continuation */
		"Ив\x01ан",             /* C0 control */
		"Ivan\n",
		"Iv\tan",
		"Ivan\x7F",             /* DEL */
		"\x1B[31mIvan",         /* terminal escape */
	};
	static const char *good_text[] = {
		"Ёлкин", "O'Brien-Smith", "Müller", "李", "\xF0\x9F\x98\x80",
		"\xEF\xBF\xBD",         /* U+FFFD itself is fine */
		"\xF4\x8F\xBF\xBF",     /* U+10FFFF */
	};
	static const char *fields[] = {"family_name", "given_name", "patronymic",
				       "region", "address", "email"};
	struct person p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_text) / sizeof(bad_text[0]); i++) {
		if (text_valid(bad_text[i]))
			fail_msg("text_valid accepted bad text #%zu", i);
		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
			p = valid_person();
			switch (f) {
			case 0: SET(p.family_name, bad_text[i]); break;
			case 1: SET(p.given_name, bad_text[i]); break;
			case 2: SET(p.patronymic, bad_text[i]); break;
			case 3: SET(p.region, bad_text[i]); break;
			case 4: SET(p.address, bad_text[i]); break;
			case 5: snprintf(p.email, sizeof(p.email), "a%s@b.ru", bad_text[i]); break;
			}
			PERSON_BAD(p, NOW, fields[f]);
		}
	}
	for (size_t i = 0; i < sizeof(good_text) / sizeof(good_text[0]); i++) {
		assert_true(text_valid(good_text[i]));
		p = valid_person();
		SET(p.family_name, good_text[i]);
		PERSON_OK(p, NOW);
	}
}

static void test_birth_date_calendar(void **state)
{
	static const char *not_dates[] = {
		"", "2004-5-17", "2004/05/17", "17.05.2004", "2004-05-1 ",
		"2004-05-1x", " 004-05-17", "2004_05_17", "+004-05-17", "2004-13-01", "2004-00-10",
		"2004-01-00", "2004-01-32", "2004-04-31", "2004-06-31",
		"2005-02-29", /* not a leap year */
		"2010-02-29", "2004-02-30", "20O4-05-17", "abcd-ef-gh",
	};
	static const char *real_dates[] = {
		"2008-02-29", /* leap year */
		"2000-02-29", /* divisible by 400: leap */
		"2004-02-29", "2004-12-31", "2004-01-01", "2010-04-30",
	};
	struct person p = valid_person();

	(void)state;
	for (size_t i = 0; i < sizeof(not_dates) / sizeof(not_dates[0]); i++) {
		SET(p.birth_date, not_dates[i]);
		PERSON_BAD(p, NOW, "birth_date");
	}
	for (size_t i = 0; i < sizeof(real_dates) / sizeof(real_dates[0]); i++) {
		SET(p.birth_date, real_dates[i]);
		PERSON_OK(p, NOW);
	}
	/* 1900 is not a leap year (divisible by 100, not 400): checked on a
	 * clock where a 1900 birth would be of age. */
	SET(p.birth_date, "1900-02-28");
	PERSON_OK(p, at("1950-06-01T00:00:00Z"));
	SET(p.birth_date, "1900-02-29");
	PERSON_BAD(p, at("1950-06-01T00:00:00Z"), "birth_date");
	/* longer text never reaches the record: the decoder names the key */
	{
		static const char *too_long[] = {"2004-05-17T00:00:00Z", "2004-05-17 ",
						 " 2004-05-17"};
		for (size_t i = 0; i < 3; i++) {
			struct mu_error e = {0};
			assert_int_equal(person_set_field(&p, "birth_date", too_long[i], &e),
					 MU_EINVAL);
			assert_string_equal(e.field, "birth_date");
		}
	}
}

static void test_birth_date_future(void **state)
{
	struct mu_error e = {0};
	struct person p = valid_person();

	(void)state;
	SET(p.birth_date, "2026-03-11"); /* tomorrow */
	assert_int_equal(person_validate(&p, NOW, &e), MU_EINVAL);
	assert_string_equal(e.field, "birth_date");
	assert_non_null(strstr(e.detail, "future"));
	SET(p.birth_date, "2099-01-01");
	PERSON_BAD(p, NOW, "birth_date");
	/* the same record is fine once that day has come and 14 years passed */
	SET(p.birth_date, "2026-03-11");
	PERSON_OK(p, at("2040-03-11T00:00:00Z"));
}

static void test_age_bounds(void **state)
{
	struct person p = valid_person();

	(void)state;
	/* NOW is 2026-03-10 (UTC) */
	SET(p.birth_date, "2012-03-10"); /* 14 today */
	PERSON_OK(p, NOW);
	SET(p.birth_date, "2012-03-11"); /* 14 tomorrow */
	PERSON_BAD(p, NOW, "birth_date");
	SET(p.birth_date, "2020-01-01");
	PERSON_BAD(p, NOW, "birth_date");
	SET(p.birth_date, "2026-03-10"); /* born today: age 0 */
	PERSON_BAD(p, NOW, "birth_date");
	SET(p.birth_date, "1926-03-10"); /* 100 today */
	PERSON_OK(p, NOW);
	SET(p.birth_date, "1925-03-11"); /* 101 tomorrow: still 100 */
	PERSON_OK(p, NOW);
	SET(p.birth_date, "1925-03-10"); /* 101 today */
	PERSON_BAD(p, NOW, "birth_date");
	SET(p.birth_date, "1900-01-01");
	PERSON_BAD(p, NOW, "birth_date");
	/* the last second of the day before the 14th birthday */
	SET(p.birth_date, "2012-03-11");
	PERSON_BAD(p, at("2026-03-10T23:59:59Z"), "birth_date");
	PERSON_OK(p, at("2026-03-11T00:00:00Z"));
}

static void test_age_leap_day_birthday(void **state)
{
	struct person p = valid_person();

	(void)state;
	/* born 29 Feb 2012; 2026 is not a leap year */
	SET(p.birth_date, "2012-02-29");
	PERSON_BAD(p, at("2026-02-27T12:00:00Z"), "birth_date"); /* 13 */
	PERSON_OK(p, at("2026-03-01T00:00:00Z"));               /* 14 */
	/* born 29 Feb 2008; 2022 is not a leap year, 2024 is */
	SET(p.birth_date, "2008-02-29");
	PERSON_OK(p, at("2024-02-29T00:00:00Z"));
	PERSON_BAD(p, at("2022-02-27T00:00:00Z"), "birth_date");
}

static void test_sex(void **state)
{
	static const char bad[] = {0, 'X', 'm', 'f', 'W', '1', ' '};
	struct person p = valid_person();

	(void)state;
	p.sex = 'M';
	PERSON_OK(p, NOW);
	p.sex = 'F';
	PERSON_OK(p, NOW);
	for (size_t i = 0; i < sizeof(bad); i++) {
		p.sex = bad[i];
		PERSON_BAD(p, NOW, "sex");
	}
}

static void test_fitness(void **state)
{
	static const char good[] = {0, 'A', 'B', 'V', 'G', 'D'};
	static const char bad[] = {'C', 'E', 'a', 'b', 'Z', '1', ' ', '-'};
	struct person p = valid_person();

	(void)state;
	for (size_t i = 0; i < sizeof(good); i++) {
		p.fitness = good[i];
		PERSON_OK(p, NOW);
	}
	for (size_t i = 0; i < sizeof(bad); i++) {
		p.fitness = bad[i];
		PERSON_BAD(p, NOW, "fitness");
	}
}

static void test_phone(void **state)
{
	static const char *good[] = {"", "+79990000000", "89990000000",
				     "8 999 000-00-00", "+7-999"};
	static const char *bad[] = {"79+990000000", "++79990000000", "call me",
				    "+7999000000x", "+7(999)0000000", "7999;DROP",
				    "+7 (999)", "\xD9\xA1\xD9\xA2" /* Arabic-Indic digits */};
	struct person p = valid_person();

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		SET(p.phone, good[i]);
		PERSON_OK(p, NOW);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		SET(p.phone, bad[i]);
		PERSON_BAD(p, NOW, "phone");
	}
}

static void test_email(void **state)
{
	char buf[512];
	struct person p = valid_person();

	(void)state;
	SET(p.email, "");
	PERSON_OK(p, NOW);
	SET(p.email, "a@b");
	PERSON_OK(p, NOW);
	SET(p.email, "иван@пример.рф");
	PERSON_OK(p, NOW);
	SET(p.email, "ivan.example.ru");
	PERSON_BAD(p, NOW, "email");
	SET(p.email, "ivan @example.ru");
	PERSON_BAD(p, NOW, "email");
	SET(p.email, "ivan@example.ru\r\nBcc: x@y");
	PERSON_BAD(p, NOW, "email");
	/* 254 is the limit */
	repeat(buf, sizeof(buf), "a", 250);
	memcpy(buf + 250, "@b.r", 5);
	SET(p.email, buf);
	PERSON_OK(p, NOW);
}

static void test_region_office_address(void **state)
{
	char buf[2048];
	struct person p;

	(void)state;
	p = valid_person();
	p.region[0] = 0;
	PERSON_BAD(p, NOW, "region");
	p = valid_person();
	p.office[0] = 0;
	PERSON_BAD(p, NOW, "office");
	p = valid_person();
	SET(p.address, repeat(buf, sizeof(buf), "д", 300));
	PERSON_OK(p, NOW);
	SET(p.address, repeat(buf, sizeof(buf), "д", 301));
	PERSON_BAD(p, NOW, "address");
}

static void test_first_bad_field_is_named(void **state)
{
	struct mu_error e = {0};
	struct person p = valid_person();

	(void)state;
	/* with several bad fields, one of them is named, never an empty one */
	p.sex = 'X';
	p.fitness = 'Q';
	assert_int_equal(person_validate(&p, NOW, &e), MU_EINVAL);
	assert_true(strcmp(e.field, "sex") == 0 || strcmp(e.field, "fitness") == 0);
	/* NULL err is allowed */
	assert_int_equal(person_validate(&p, NOW, NULL), MU_EINVAL);
}

/* ---- office ---------------------------------------------------------- */

static void test_office_valid(void **state)
{
	static const char *zones[] = {"Europe/Moscow", "Europe/Kaliningrad",
				      "Asia/Kamchatka", "Asia/Vladivostok",
				      "UTC", "Etc/GMT-3", "America/Argentina/Buenos_Aires"};
	struct office o = valid_office();

	(void)state;
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		SET(o.timezone, zones[i]);
		OFFICE_OK(o);
	}
	SET(o.id, "a_Z-9");
	OFFICE_OK(o);
	o.daily_capacity = 1;
	OFFICE_OK(o);
	o.daily_capacity = 100000;
	OFFICE_OK(o);
}

static void test_office_fields(void **state)
{
	char buf[1024];
	struct office o;

	(void)state;
	o = valid_office();
	o.id[0] = 0;
	OFFICE_BAD(o, "id");
	SET(o.id, "MOW 1");
	OFFICE_BAD(o, "id");
	SET(o.id, "MOW/1");
	OFFICE_BAD(o, "id");
	SET(o.id, "МОСКВА");
	OFFICE_BAD(o, "id");
	o = valid_office();
	o.name[0] = 0;
	OFFICE_BAD(o, "name");
	SET(o.name, "bad\x01name");
	OFFICE_BAD(o, "name");
	SET(o.name, repeat(buf, sizeof(buf), "n", 200));
	OFFICE_OK(o);
	o = valid_office();
	o.region[0] = 0;
	OFFICE_BAD(o, "region");
	SET(o.region, "\xC3\x28");
	OFFICE_BAD(o, "region");
	o = valid_office();
	o.daily_capacity = 0;
	OFFICE_BAD(o, "daily_capacity");
	o.daily_capacity = -5;
	OFFICE_BAD(o, "daily_capacity");
	o.daily_capacity = 100001;
	OFFICE_BAD(o, "daily_capacity");
}

static void test_office_unknown_zone(void **state)
{
	static const char *bad[] = {
		"", "Mars/Olympus_Mons", "Europe/Moskva", "europe/moscow",
		"Europe", "Europe/Moscow/", "/etc/passwd", "../../etc/passwd",
		"Europe/../../../etc/passwd", "right/Europe/Moscow", "MSK+3",
		"Europe/Mos cow", "Europe/Moscow\n", "zone.tab", "tzdata.zi",
	};
	struct office o = valid_office();

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mu_error e = {0};
		SET(o.timezone, bad[i]);
		if (office_validate(&o, &e) != MU_EINVAL)
			fail_msg("zone \"%s\" accepted", bad[i]);
		assert_string_equal(e.field, "timezone");
	}
	{
		/* the detail names the zone */
		struct mu_error e = {0};
		SET(o.timezone, "Mars/Olympus_Mons");
		assert_int_equal(office_validate(&o, &e), MU_EINVAL);
		assert_non_null(strstr(e.detail, "Mars/Olympus_Mons"));
	}
}

/* ---- codec ----------------------------------------------------------- */

static json_t *valid_json(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "national_id", "AB-1234", "family_name", "Петров",
			 "given_name", "Пётр", "patronymic", "Петрович",
			 "birth_date", "2001-12-31", "sex", "F", "region", "Omsk",
			 "office", "OMS", "address", "", "phone", "+7 381",
			 "email", "p@x.ru", "fitness", "B");
}

static void test_codec_roundtrip(void **state)
{
	struct person p;
	struct mu_error e = {0};
	json_t *o = valid_json(), *back;

	(void)state;
	assert_int_equal(person_from_json(o, &p, 0, &e), MU_OK);
	assert_string_equal(p.national_id, "AB-1234");
	assert_string_equal(p.given_name, "Пётр");
	assert_string_equal(p.birth_date, "2001-12-31");
	assert_int_equal(p.sex, 'F');
	assert_int_equal(p.fitness, 'B');
	PERSON_OK(p, NOW);
	back = person_to_json(&p);
	for (const char *const *c = person_columns; *c; c++)
		assert_true(json_equal(json_object_get(o, *c), json_object_get(back, *c)));
	json_decref(back);
	json_decref(o);
}

static void test_codec_unknown_key(void **state)
{
	static const char *keys[] = {"nickname", "Sex", "national-id", "",
				     "status", "version"};
	struct person p;

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct mu_error e = {0};
		json_t *o = valid_json();
		json_object_set_new(o, keys[i], json_string("x"));
		assert_int_equal(person_from_json(o, &p, 0, &e), MU_EINVAL);
		assert_string_equal(e.field, keys[i]);
		if (keys[i][0])
			assert_non_null(strstr(e.detail, keys[i]));
		json_decref(o);
	}
}

static void test_codec_non_string_values(void **state)
{
	struct person p;

	(void)state;
	for (const char *const *c = person_columns; *c; c++) {
		json_t *vals[] = {json_integer(1), json_real(1.5), json_true(),
				  json_false(), json_array(), json_object()};
		for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			struct mu_error e = {0};
			json_t *o = valid_json();
			json_object_set_new(o, *c, vals[i]);
			assert_int_equal(person_from_json(o, &p, 0, &e), MU_EINVAL);
			assert_string_equal(e.field, *c);
			json_decref(o);
		}
	}
}

static void test_codec_shapes(void **state)
{
	char buf[2048];
	struct person p;
	struct mu_error e = {0};
	json_t *o;

	(void)state;
	/* not an object */
	o = json_array();
	assert_int_equal(person_from_json(o, &p, 0, &e), MU_EINVAL);
	json_decref(o);
	o = json_string("AB12");
	assert_int_equal(person_from_json(o, &p, 0, &e), MU_EINVAL);
	json_decref(o);
	assert_int_equal(person_from_json(NULL, &p, 0, &e), MU_EINVAL);

	/* null is an empty value; missing keys are empty */
	o = json_pack("{s:s, s:n}", "national_id", "AB12", "patronymic");
	assert_int_equal(person_from_json(o, &p, 0, &e), MU_OK);
	assert_string_equal(p.patronymic, "");
	assert_string_equal(p.family_name, "");
	json_decref(o);

	/* an embedded NUL */
	o = valid_json();
	json_object_set_new(o, "family_name", json_stringn("Ив\0ан", 9));
	assert_int_equal(person_from_json(o, &p, 0, &e), MU_EINVAL);
	assert_string_equal(e.field, "family_name");
	json_decref(o);

	/* sex and fitness are one letter of their alphabets */
	o = valid_json();
	json_object_set_new(o, "sex", json_string("MF"));
	assert_int_equal(person_from_json(o, &p, 0, &e), MU_EINVAL);
	assert_string_equal(e.field, "sex");
	json_object_set_new(o, "sex", json_string("X"));
	assert_int_equal(person_from_json(o, &p, 0, &e), MU_EINVAL);
	assert_string_equal(e.field, "sex");
	json_object_set_new(o, "sex", json_string("M"));
	json_object_set_new(o, "fitness", json_string("AB"));
	assert_int_equal(person_from_json(o, &p, 0, &e), MU_EINVAL);
	assert_string_equal(e.field, "fitness");
	json_object_set_new(o, "fitness", json_string(""));
	assert_int_equal(person_from_json(o, &p, 0, &e), MU_OK);
	assert_int_equal(p.fitness, 0);
	json_decref(o);

	/* a value longer than the record can hold names its key */
	o = valid_json();
	json_object_set_new(o, "national_id",
			    json_string(repeat(buf, sizeof(buf), "A", 33)));
	assert_int_equal(person_from_json(o, &p, 0, &e), MU_EINVAL);
	assert_string_equal(e.field, "national_id");
	json_object_set_new(o, "national_id", json_string("AB12"));
	json_object_set_new(o, "phone", json_string(repeat(buf, sizeof(buf), "1", 21)));
	assert_int_equal(person_from_json(o, &p, 0, &e), MU_EINVAL);
	assert_string_equal(e.field, "phone");
	json_object_set_new(o, "phone", json_string(""));
	json_object_set_new(o, "address", json_string(repeat(buf, sizeof(buf), "x", 1201)));
	assert_int_equal(person_from_json(o, &p, 0, &e), MU_EINVAL);
	assert_string_equal(e.field, "address");
	json_decref(o);
}

static void test_codec_partial(void **state)
{
	struct person p;
	struct mu_error e = {0};
	json_t *o = valid_json(), *patch;

	(void)state;
	assert_int_equal(person_from_json(o, &p, 0, &e), MU_OK);
	patch = json_pack("{s:s, s:s}", "phone", "+7 000", "fitness", "G");
	assert_int_equal(person_from_json(patch, &p, 1, &e), MU_OK);
	assert_string_equal(p.phone, "+7 000");
	assert_int_equal(p.fitness, 'G');
	assert_string_equal(p.family_name, "Петров"); /* untouched */
	assert_string_equal(p.birth_date, "2001-12-31");
	json_decref(patch);
	/* a partial decode still refuses unknown keys */
	patch = json_pack("{s:s}", "shoe_size", "44");
	assert_int_equal(person_from_json(patch, &p, 1, &e), MU_EINVAL);
	assert_string_equal(e.field, "shoe_size");
	json_decref(patch);
	json_decref(o);
}

static void test_set_field_csv(void **state)
{
	struct person p;
	struct mu_error e = {0};

	(void)state;
	memset(&p, 0, sizeof(p));
	for (const char *const *c = person_columns; *c; c++)
		assert_int_equal(person_set_field(&p, *c, "", &e), MU_OK);
	assert_int_equal(person_set_field(&p, "nickname", "x", &e), MU_EINVAL);
	assert_string_equal(e.field, "nickname");
	assert_int_equal(person_set_field(&p, "sex", "F", &e), MU_OK);
	assert_int_equal(p.sex, 'F');
	assert_int_equal(person_set_field(&p, "fitness", "V", &e), MU_OK);
	assert_int_equal(p.fitness, 'V');
	/* the contract's twelve columns, in order */
	{
		static const char *want[] = {"national_id", "family_name", "given_name",
					     "patronymic", "birth_date", "sex", "region",
					     "office", "address", "phone", "email",
					     "fitness"};
		size_t n = 0;
		for (; person_columns[n]; n++) {
			assert_true(n < 12);
			assert_string_equal(person_columns[n], want[n]);
		}
		assert_int_equal(n, 12);
	}
}

static void test_office_from_json(void **state)
{
	struct office o;
	struct mu_error e = {0};
	json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "id", "KGD", "name", "Kaliningrad",
			      "region", "Kaliningrad", "timezone", "Europe/Kaliningrad");

	(void)state;
	assert_int_equal(office_from_json(j, &o, &e), MU_OK);
	assert_int_equal(o.daily_capacity, OFFICE_DEFAULT_CAPACITY);
	OFFICE_OK(o);
	json_object_set_new(j, "daily_capacity", json_string("10"));
	assert_int_equal(office_from_json(j, &o, &e), MU_EINVAL);
	assert_string_equal(e.field, "daily_capacity");
	json_object_set_new(j, "daily_capacity", json_integer(10));
	assert_int_equal(office_from_json(j, &o, &e), MU_OK);
	assert_int_equal(o.daily_capacity, 10);
	json_object_set_new(j, "capacity", json_integer(10));
	assert_int_equal(office_from_json(j, &o, &e), MU_EINVAL);
	assert_string_equal(e.field, "capacity");
	json_object_del(j, "capacity");
	json_object_del(j, "timezone");
	assert_int_equal(office_from_json(j, &o, &e), MU_EINVAL);
	assert_string_equal(e.field, "timezone");
	json_object_set_new(j, "timezone", json_integer(3));
	assert_int_equal(office_from_json(j, &o, &e), MU_EINVAL);
	assert_string_equal(e.field, "timezone");
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_person),
		cmocka_unit_test(test_national_id),
		cmocka_unit_test(test_names_required_and_bounded),
		cmocka_unit_test(test_invalid_utf8_and_controls),
		cmocka_unit_test(test_birth_date_calendar),
		cmocka_unit_test(test_birth_date_future),
		cmocka_unit_test(test_age_bounds),
		cmocka_unit_test(test_age_leap_day_birthday),
		cmocka_unit_test(test_sex),
		cmocka_unit_test(test_fitness),
		cmocka_unit_test(test_phone),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_region_office_address),
		cmocka_unit_test(test_first_bad_field_is_named),
		cmocka_unit_test(test_office_valid),
		cmocka_unit_test(test_office_fields),
		cmocka_unit_test(test_office_unknown_zone),
		cmocka_unit_test(test_codec_roundtrip),
		cmocka_unit_test(test_codec_unknown_key),
		cmocka_unit_test(test_codec_non_string_values),
		cmocka_unit_test(test_codec_shapes),
		cmocka_unit_test(test_codec_partial),
		cmocka_unit_test(test_set_field_csv),
		cmocka_unit_test(test_office_from_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
