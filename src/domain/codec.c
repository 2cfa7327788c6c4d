/*
 * codec.c: JSON encoding and decoding of persons and offices. See codec.h.
 */
#include "domain/codec.h"

#include <stdio.h>
#include <string.h>

const char *const person_columns[] = {
	"national_id", "family_name", "given_name", "patronymic",
	"birth_date", "sex", "region", "office", "address", "phone",
	"email", "fitness", NULL,
};

static enum mu_err set_str(char *dst, size_t size, const char *column,
			   const char *value, struct mu_error *err)
{
	size_t n = strlen(value);

	if (n >= size)
		return mu_fail(err, MU_EINVAL, column,
			       "%s is too long (%zu bytes, at most %zu)", column,
			       n, size - 1);
	memcpy(dst, value, n + 1);
	return MU_OK;
}

static enum mu_err set_char(char *dst, const char *column, const char *value,
			    const char *allowed, struct mu_error *err)
{
	if (!value[0]) {
		*dst = 0;
		return MU_OK;
	}
	if (value[1] || !strchr(allowed, value[0]))
		return mu_fail(err, MU_EINVAL, column,
			       "%s must be %s", column, column[0] == 'f'
			       ? "one of A, B, V, G, D or empty" : "M or F");
	*dst = value[0];
	return MU_OK;
}

#define FIELD(name) {#name, offsetof(struct person, name), sizeof(((struct person *)0)->name)}
static const struct {
	const char *name;
	size_t off, size;
} str_fields[] = {
	FIELD(national_id), FIELD(family_name), FIELD(given_name),
	FIELD(patronymic), FIELD(birth_date), FIELD(region), FIELD(office),
	FIELD(address), FIELD(phone), FIELD(email),
};
#undef FIELD

enum mu_err person_set_field(struct person *p, const char *column,
			     const char *value, struct mu_error *err)
{
	if (strcmp(column, "sex") == 0)
		return set_char(&p->sex, column, value, "MF", err);
	if (strcmp(column, "fitness") == 0)
		return set_char(&p->fitness, column, value, "ABVGD", err);
	for (size_t i = 0; i < sizeof(str_fields) / sizeof(str_fields[0]); i++)
		if (strcmp(column, str_fields[i].name) == 0)
			return set_str((char *)p + str_fields[i].off,
				       str_fields[i].size, column, value, err);
	return mu_fail(err, MU_EINVAL, column, "unknown column '%.40s'", column);
}

json_t *person_to_json(const struct person *p)
{
	char sex[2] = {p->sex, 0}, fit[2] = {p->fitness, 0};
	json_t *o = json_object();

	for (size_t i = 0; i < sizeof(str_fields) / sizeof(str_fields[0]); i++)
		json_object_set_new(o, str_fields[i].name,
				    json_string((const char *)p + str_fields[i].off));
	json_object_set_new(o, "sex", json_string(sex));
	json_object_set_new(o, "fitness", json_string(fit));
	json_object_set_new(o, "status",
			    json_string(p->status == PS_REMOVED ? "removed" : "active"));
	if (p->status == PS_REMOVED) {
		json_object_set_new(o, "removal_reason", json_string(p->removal_reason));
		json_object_set_new(o, "removal_date", json_string(p->removal_date));
	}
	json_object_set_new(o, "version", json_integer(p->version));
	json_object_set_new(o, "source", json_string(p->source));
	return o;
}

enum mu_err person_from_json(const json_t *o, struct person *p, int partial,
			     struct mu_error *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(o))
		return mu_fail(err, MU_EINVAL, "", "the body must be a JSON object");
	if (!partial)
		memset(p, 0, sizeof(*p));
	json_object_foreach((json_t *)o, key, v) {
		const char *s;
		enum mu_err rc;
		if (json_is_null(v))
			s = "";
		else if (json_is_string(v))
			s = json_string_value(v);
		else
			return mu_fail(err, MU_EINVAL, key, "%.40s must be a string", key);
		if (strlen(s) != json_string_length(v))
			return mu_fail(err, MU_EINVAL, key, "%.40s contains a NUL byte", key);
		rc = person_set_field(p, key, s, err);
		if (rc)
			return rc;
	}
	return MU_OK;
}

json_t *office_to_json(const struct office *o)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:i}", "id", o->id, "name",
			 o->name, "region", o->region, "timezone", o->timezone,
			 "daily_capacity", o->daily_capacity);
}

static enum mu_err office_str(const json_t *o, const char *key, char *dst,
			      size_t size, struct mu_error *err)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return mu_fail(err, MU_EINVAL, key, "%s is required", key);
	if (!json_is_string(v))
		return mu_fail(err, MU_EINVAL, key, "%s must be a string", key);
	return set_str(dst, size, key, json_string_value(v), err);
}

enum mu_err office_from_json(const json_t *o, struct office *out,
			     struct mu_error *err)
{
	static const char *const known[] = {"id", "name", "region", "timezone",
					    "daily_capacity", NULL};
	const char *key;
	json_t *v, *cap;
	enum mu_err rc;

	if (!json_is_object(o))
		return mu_fail(err, MU_EINVAL, "", "the body must be a JSON object");
	memset(out, 0, sizeof(*out));
	json_object_foreach((json_t *)o, key, v) {
		size_t i = 0;
		while (known[i] && strcmp(known[i], key) != 0)
			i++;
		if (!known[i])
			return mu_fail(err, MU_EINVAL, key, "unknown field '%.40s'", key);
	}
	if ((rc = office_str(o, "id", out->id, sizeof(out->id), err)) ||
	    (rc = office_str(o, "name", out->name, sizeof(out->name), err)) ||
	    (rc = office_str(o, "region", out->region, sizeof(out->region), err)) ||
	    (rc = office_str(o, "timezone", out->timezone, sizeof(out->timezone), err)))
		return rc;
	out->daily_capacity = OFFICE_DEFAULT_CAPACITY;
	cap = json_object_get(o, "daily_capacity");
	if (cap && !json_is_null(cap)) {
		if (!json_is_integer(cap))
			return mu_fail(err, MU_EINVAL, "daily_capacity",
				       "daily_capacity must be an integer");
		if (json_integer_value(cap) < 1 || json_integer_value(cap) > 100000)
			return mu_fail(err, MU_EINVAL, "daily_capacity",
				       "daily_capacity must be 1..100000");
		out->daily_capacity = (int)json_integer_value(cap);
	}
	return MU_OK;
}
