/*
 * person.c: validation of persons and offices, and role names.
 *
 * One implementation serves the HTTP API and the importer, so a record that
 * one refuses the other refuses too, with the same words. Pure: the current
 * instant is an argument, the time zone check asks daycount.
 */
#include "domain/model.h"

#include <string.h>

#include "domain/daycount.h"
#include "util/timefmt.h"

static const char *const role_names[ROLE__COUNT] = {
	"admin", "clerk", "commissar", "medical_board",
	"agency", "citizen", "auditor", "channel",
};

const char *role_name(enum role r)
{
	return (unsigned)r < ROLE__COUNT ? role_names[r] : "unknown";
}

int role_parse(const char *s)
{
	for (int i = 0; i < ROLE__COUNT; i++)
		if (strcmp(s, role_names[i]) == 0)
			return i;
	return -1;
}

int person_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < NATIONAL_ID_MIN || n > NATIONAL_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

/* Length of the UTF-8 sequence starting at s, 0 if invalid. */
static size_t utf8_seq(const unsigned char *s)
{
	size_t n;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xE0) == 0xC0) {
		n = 2;
		cp = s[0] & 0x1F;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 3;
		cp = s[0] & 0x0F;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

int text_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n;
		if (*p < 0x20 || *p == 0x7F)
			return 0;
		n = utf8_seq(p);
		if (!n)
			return 0;
		p += n;
	}
	return 1;
}

static size_t utf8_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static enum mu_err check_text(const char *v, const char *field, size_t max,
			      int required, struct mu_error *err)
{
	if (required && !v[0])
		return mu_fail(err, MU_EINVAL, field, "%s is required", field);
	if (!text_valid(v))
		return mu_fail(err, MU_EINVAL, field,
			       "%s must be UTF-8 text without control characters",
			       field);
	if (utf8_len(v) > max)
		return mu_fail(err, MU_EINVAL, field,
			       "%s is longer than %zu characters", field, max);
	return MU_OK;
}

static enum mu_err check_birth_date(const char *s, int64_t now,
				    struct mu_error *err)
{
	int y, m, d, ny, nm, nd, age;
	int64_t days;

	if (mu_date_parse(s, &y, &m, &d) != MU_OK)
		return mu_fail(err, MU_EINVAL, "birth_date",
			       "birth_date '%.16s' is not a real calendar date "
			       "(YYYY-MM-DD)", s);
	days = now / 86400;
	mu_civil_from_days(days, &ny, &nm, &nd);
	if (mu_days_from_civil(y, m, d) > days)
		return mu_fail(err, MU_EINVAL, "birth_date",
			       "birth_date %s is in the future", s);
	age = ny - y - ((nm < m || (nm == m && nd < d)) ? 1 : 0);
	if (age < PERSON_MIN_AGE || age > PERSON_MAX_AGE)
		return mu_fail(err, MU_EINVAL, "birth_date",
			       "birth_date %s gives age %d, outside %d..%d", s,
			       age, PERSON_MIN_AGE, PERSON_MAX_AGE);
	return MU_OK;
}

static enum mu_err check_contacts(const struct person *p, struct mu_error *err)
{
	enum mu_err rc;

	for (const char *c = p->phone; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c == '+' && c == p->phone) ||
		      *c == ' ' || *c == '-'))
			return mu_fail(err, MU_EINVAL, "phone",
				       "phone may hold only digits, spaces, "
				       "'-' and a leading '+'");
	rc = check_text(p->email, "email", EMAIL_MAX_LEN, 0, err);
	if (rc)
		return rc;
	if (p->email[0] && (!strchr(p->email, '@') || strchr(p->email, ' ')))
		return mu_fail(err, MU_EINVAL, "email",
			       "email must look like name@domain");
	return MU_OK;
}

enum mu_err person_validate(const struct person *p, int64_t now,
			    struct mu_error *err)
{
	enum mu_err rc;

	if (!person_id_valid(p->national_id))
		return mu_fail(err, MU_EINVAL, "national_id",
			       "national_id must be %d-%d characters of A-Z, "
			       "0-9 and '-'", NATIONAL_ID_MIN, NATIONAL_ID_MAX);
	if ((rc = check_text(p->family_name, "family_name", NAME_MAX_LEN, 1, err)) ||
	    (rc = check_text(p->given_name, "given_name", NAME_MAX_LEN, 1, err)) ||
	    (rc = check_text(p->patronymic, "patronymic", NAME_MAX_LEN, 0, err)))
		return rc;
	if ((rc = check_birth_date(p->birth_date, now, err)))
		return rc;
	if (p->sex != 'M' && p->sex != 'F')
		return mu_fail(err, MU_EINVAL, "sex", "sex must be M or F");
	if ((rc = check_text(p->region, "region", REGION_MAX_LEN, 1, err)) ||
	    (rc = check_text(p->office, "office", OFFICE_ID_MAX, 1, err)) ||
	    (rc = check_text(p->address, "address", ADDRESS_MAX_LEN, 0, err)))
		return rc;
	if (p->fitness && !strchr("ABVGD", p->fitness))
		return mu_fail(err, MU_EINVAL, "fitness",
			       "fitness must be one of A, B, V, G, D or empty");
	return check_contacts(p, err);
}

enum mu_err office_validate(const struct office *o, struct mu_error *err)
{
	enum mu_err rc;

	if (!o->id[0])
		return mu_fail(err, MU_EINVAL, "id", "id is required");
	for (const char *c = o->id; *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
			return mu_fail(err, MU_EINVAL, "id",
				       "id may hold only letters, digits, '-' "
				       "and '_'");
	if ((rc = check_text(o->name, "name", NAME_MAX_LEN * 2, 1, err)) ||
	    (rc = check_text(o->region, "region", REGION_MAX_LEN, 1, err)))
		return rc;
	if (!o->timezone[0])
		return mu_fail(err, MU_EINVAL, "timezone", "timezone is required");
	if (!daycount_zone_valid(o->timezone))
		return mu_fail(err, MU_EINVAL, "timezone",
			       "timezone '%.64s' is not a zone of the system tz "
			       "database", o->timezone);
	if (o->daily_capacity < 1 || o->daily_capacity > 100000)
		return mu_fail(err, MU_EINVAL, "daily_capacity",
			       "daily_capacity must be 1..100000");
	return MU_OK;
}

enum mu_err office_zone_change_check(const char *id, const char *was_zone,
				     const char *new_zone, int has_summonses,
				     struct mu_error *err)
{
	if (has_summonses && strcmp(was_zone, new_zone))
		return mu_fail(err, MU_EINVAL, "timezone", "office %s has summonses, whose "
			       "periods are counted in %s; its time zone cannot change to %s",
			       id, was_zone, new_zone);
	return MU_OK;
}

enum mu_err person_removal_check(const char *birth_date, const char *reason,
				 const char *date, int64_t now, struct mu_error *err)
{
	static const char *const reasons[] = {"deceased", "over_age", "deregistered"};
	int y, m, d, ok = 0;

	for (size_t i = 0; reason && i < 3; i++)
		ok |= !strcmp(reason, reasons[i]);
	if (!ok)
		return mu_fail(err, MU_EINVAL, "reason", "reason must be deceased, over_age or "
			       "deregistered");
	if (!date || mu_date_parse(date, &y, &m, &d) != MU_OK ||
	    mu_days_from_civil(y, m, d) > now / 86400)
		return mu_fail(err, MU_EINVAL, "date", "date must be a real calendar date "
			       "(YYYY-MM-DD), not in the future");
	if (birth_date && strcmp(date, birth_date) < 0)
		return mu_fail(err, MU_EINVAL, "date", "date %s is before the person's birth "
			       "date", date);
	return MU_OK;
}
