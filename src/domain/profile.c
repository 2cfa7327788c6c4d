/*
 * profile.c: read a jurisdiction profile (rules/<id>.json) into a struct
 * profile for the rules engine. See rules.h and docs/profiles.md.
 *
 * A profile is pure data: a new jurisdiction is a new JSON file, not C.
 * The schema (every key not listed is an error):
 *
 *   {
 *     "id": "ru-2023",              required, [a-z0-9-], < 32 chars
 *     "version": "ru-2023/1",       required, non-empty, < 64 chars
 *     "title": "...",               optional
 *     "language": "ru",             optional, default "en"
 *     "appeal_suspends": false,     optional, default false
 *     "delivery": [                 required, at least one rule
 *       {"rule": "delivery.deemed", "event": "published", "days": 7,
 *        "after": "placed_in_account", "text": "..."}
 *     ],
 *     "restrictions": [             optional, may be empty
 *       {"rule": "no_show.20d", "kinds": ["credit", ...],
 *        "from": "delivery" | "report_date", "days": 20,
 *        "requires_delivery_before_report": true, "text": "..."}
 *     ],
 *     "ends_summons": ["appeared", "cancelled", "appeal_upheld",
 *                      "excused_without_new_date"]   required
 *     "exemption_reasons": [        optional (due process); a reason may
 *                                   appear once per kind
 *       {"reason": "studies", "kinds": ["deferment"],
 *        "bars": ["dispatch", "training", "mobilization"], "text": "..."}
 *     ],
 *     "excuse_reasons": [           optional
 *       {"reason": "illness", "text": "..."}
 *     ],
 *     "correction_working_days": 10, optional, default 10
 *     "holidays": ["2026-01-01"]    optional: public holidays (YYYY-MM-DD)
 *   }
 *
 * "days" absent means "at the anchor's instant"; "days": N (N >= 0) means
 * Rule D: 00:00 local on the anchor's local date + N + 1. The anchor of a
 * delivery rule is the first event of its "event" type ("after": only one
 * preceded, at or before it, by an event of that type); published happens
 * at the issue instant. A delivery rule may not name post_returned, post_sent
 * or any event that is not a delivery channel: the parser enforces the
 * protection "restrictions never apply to a summons never delivered".
 * Rule names are [a-z0-9_.] and unique; the engine exposes them qualified
 * by the profile id ("ru-2023.exit.delivery").
 *
 * Errors are MU_EINVAL with err->field naming the key, as a path
 * ("restrictions[1].kinds[2]"). Must not: do I/O (the text is handed in).
 */
#include "domain/rules.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TEXT_MAX 2000
#define DAYS_MAX 3660
#define RULE_NAME_MAX 48

static const char *const top_keys[] = {"id", "version", "title", "language",
	"appeal_suspends", "delivery", "restrictions", "ends_summons",
	"exemption_reasons", "excuse_reasons", "correction_working_days",
	"holidays", "registered_post", NULL};
static const char *const exemption_keys[] = {"reason", "kinds", "bars", "text",
	NULL};
static const char *const excuse_keys[] = {"reason", "text", NULL};
static const char *const delivery_keys[] = {"rule", "event", "days", "after",
	"text", NULL};
static const char *const restriction_keys[] = {"rule", "kinds", "from",
	"days", "requires_delivery_before_report", "text", NULL};

static const struct {
	const char *name;
	unsigned bit;
} end_names[] = {
	{"appeared", PE_APPEARED},
	{"cancelled", PE_CANCELLED},
	{"appeal_upheld", PE_APPEAL_UPHELD},
	{"excused_without_new_date", PE_EXCUSED_WITHOUT_NEW_DATE},
};

/* Events that may deliver a summons. */
static int delivery_event(int t)
{
	return t == EV_PUBLISHED || t == EV_PLACED_IN_ACCOUNT ||
	       t == EV_VIEWED || t == EV_POST_DELIVERED ||
	       t == EV_POST_REFUSED || t == EV_HANDED;
}

static int in_list(const char *key, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(key, list[i]) == 0)
			return 1;
	return 0;
}

/* Reject any key of obj not in allowed; path prefixes the field name. */
static enum mu_err check_keys(json_t *obj, const char *const *allowed,
			      const char *path, struct mu_error *err)
{
	const char *key;
	json_t *v;
	char field[MU_FIELD_MAX];

	if (!json_is_object(obj))
		return mu_fail(err, MU_EINVAL, path[0] ? path : "profile",
			       "%s must be a JSON object",
			       path[0] ? path : "the profile");
	json_object_foreach(obj, key, v) {
		if (in_list(key, allowed))
			continue;
		snprintf(field, sizeof(field), "%s%s%.40s", path,
			 path[0] ? "." : "", key);
		return mu_fail(err, MU_EINVAL, field, "unknown key \"%s\"",
			       field);
	}
	return MU_OK;
}

/* A string member; required or not. *out is NULL when absent. */
static enum mu_err get_str(json_t *obj, const char *key, const char *path,
			   int required, size_t max, const char **out,
			   struct mu_error *err)
{
	json_t *v = json_object_get(obj, key);
	char field[MU_FIELD_MAX];

	snprintf(field, sizeof(field), "%s%s%s", path, path[0] ? "." : "", key);
	*out = NULL;
	if (!v && !required)
		return MU_OK;
	if (!v)
		return mu_fail(err, MU_EINVAL, field, "%s is required", field);
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) >= max)
		return mu_fail(err, MU_EINVAL, field,
			       "%s must be a non-empty string shorter than %zu",
			       field, max);
	*out = json_string_value(v);
	return MU_OK;
}

/* "days": absent -> -1, else an integer in [0, DAYS_MAX]. */
static enum mu_err get_days(json_t *obj, const char *path, int *out,
			    struct mu_error *err)
{
	json_t *v = json_object_get(obj, "days");
	char field[MU_FIELD_MAX];

	snprintf(field, sizeof(field), "%s.days", path);
	*out = -1;
	if (!v)
		return MU_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > DAYS_MAX)
		return mu_fail(err, MU_EINVAL, field,
			       "%s must be a whole number of days from 0 to %d",
			       field, DAYS_MAX);
	*out = (int)json_integer_value(v);
	return MU_OK;
}

static enum mu_err get_bool(json_t *obj, const char *key, const char *path,
			    int *out, struct mu_error *err)
{
	json_t *v = json_object_get(obj, key);
	char field[MU_FIELD_MAX];

	snprintf(field, sizeof(field), "%s%s%s", path, path[0] ? "." : "", key);
	*out = 0;
	if (!v)
		return MU_OK;
	if (!json_is_boolean(v))
		return mu_fail(err, MU_EINVAL, field, "%s must be true or false",
			       field);
	*out = json_is_true(v);
	return MU_OK;
}

static int name_chars_ok(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      strchr(extra, *s)))
			return 0;
	return 1;
}

/* The event name in member key of obj, checked with ok(). */
static enum mu_err get_event(json_t *obj, const char *key, const char *path,
			     int required, int *out, struct mu_error *err)
{
	const char *s;
	char field[MU_FIELD_MAX];
	enum mu_err rc;

	rc = get_str(obj, key, path, required, 32, &s, err);
	*out = -1;
	if (rc != MU_OK || !s)
		return rc;
	snprintf(field, sizeof(field), "%s.%s", path, key);
	*out = ev_type_parse(s);
	if (*out < 0)
		return mu_fail(err, MU_EINVAL, field, "%s: unknown event \"%s\"",
			       field, s);
	return MU_OK;
}

/* Allocate rule slot for name; checks syntax, uniqueness and the limit. */
static enum mu_err new_rule(struct profile *p, const char *name,
			    const char *path, struct profile_rule **out,
			    struct mu_error *err)
{
	char field[MU_FIELD_MAX], id[PROFILE_RULE_ID_MAX];

	snprintf(field, sizeof(field), "%s.rule", path);
	if (!name_chars_ok(name, "_.") || strlen(name) > RULE_NAME_MAX)
		return mu_fail(err, MU_EINVAL, field,
			       "%s must use only a-z, 0-9, '_' and '.'", field);
	if (p->n_rules >= PROFILE_MAX_RULES)
		return mu_fail(err, MU_EINVAL, field, "more than %d rules",
			       PROFILE_MAX_RULES);
	snprintf(id, sizeof(id), "%s.%s", p->id, name);
	for (int i = 0; i < p->n_rules; i++)
		if (strcmp(p->rules[i].id, id) == 0)
			return mu_fail(err, MU_EINVAL, field,
				       "rule \"%s\" is defined twice", name);
	*out = &p->rules[p->n_rules++];
	memcpy((*out)->id, id, sizeof(id));
	return MU_OK;
}

/* The "rule" and "text" members common to both kinds of rule. */
static enum mu_err rule_head(struct profile *p, json_t *o, const char *path,
			     struct profile_rule **r, struct mu_error *err)
{
	const char *name, *text;
	enum mu_err rc;

	rc = get_str(o, "rule", path, 1, RULE_NAME_MAX + 1, &name, err);
	if (rc == MU_OK)
		rc = get_str(o, "text", path, 1, TEXT_MAX, &text, err);
	if (rc == MU_OK)
		rc = new_rule(p, name, path, r, err);
	if (rc != MU_OK)
		return rc;
	(*r)->text = strdup(text);
	return (*r)->text ? MU_OK : mu_fail(err, MU_ENOMEM, NULL, "out of memory");
}

static enum mu_err parse_delivery(struct profile *p, json_t *o,
				  const char *path, struct mu_error *err)
{
	struct profile_rule *r;
	int ev, after;
	char field[MU_FIELD_MAX];
	enum mu_err rc = check_keys(o, delivery_keys, path, err);

	if (rc == MU_OK)
		rc = rule_head(p, o, path, &r, err);
	if (rc == MU_OK)
		rc = get_event(o, "event", path, 1, &ev, err);
	if (rc == MU_OK)
		rc = get_event(o, "after", path, 0, &after, err);
	if (rc == MU_OK)
		rc = get_days(o, path, &r->days, err);
	if (rc != MU_OK)
		return rc;
	snprintf(field, sizeof(field), "%s.event", path);
	if (!delivery_event(ev))
		return mu_fail(err, MU_EINVAL, field,
			       "%s: %s cannot deliver a summons", field,
			       ev_type_name((enum ev_type)ev));
	r->is_delivery = 1;
	r->event = (enum ev_type)ev;
	r->has_after = after >= 0;
	r->after = after >= 0 ? (enum ev_type)after : EV_ISSUED;
	return MU_OK;
}

/* "kinds": a non-empty array of restriction kind names -> bit set. */
static enum mu_err parse_kinds(json_t *o, const char *path, unsigned *out,
			       struct mu_error *err)
{
	json_t *a = json_object_get(o, "kinds"), *v;
	char field[MU_FIELD_MAX];
	size_t i;

	snprintf(field, sizeof(field), "%s.kinds", path);
	*out = 0;
	if (!json_is_array(a) || json_array_size(a) == 0)
		return mu_fail(err, MU_EINVAL, field,
			       "%s must be a non-empty array of kinds", field);
	json_array_foreach(a, i, v) {
		int k = json_is_string(v) ? restr_kind_parse(json_string_value(v))
					  : -1;
		if (k < 0) {
			snprintf(field, sizeof(field), "%s.kinds[%zu]", path, i);
			return mu_fail(err, MU_EINVAL, field,
				       "%s: unknown restriction kind", field);
		}
		*out |= 1u << k;
	}
	return MU_OK;
}

static enum mu_err parse_from(json_t *o, const char *path,
			      enum profile_anchor *out, struct mu_error *err)
{
	const char *s;
	char field[MU_FIELD_MAX];
	enum mu_err rc = get_str(o, "from", path, 1, 32, &s, err);

	if (rc != MU_OK)
		return rc;
	snprintf(field, sizeof(field), "%s.from", path);
	if (strcmp(s, "delivery") == 0)
		*out = PA_DELIVERY;
	else if (strcmp(s, "report_date") == 0)
		*out = PA_REPORT_DATE;
	else
		return mu_fail(err, MU_EINVAL, field,
			       "%s must be \"delivery\" or \"report_date\"",
			       field);
	return MU_OK;
}

static enum mu_err parse_restriction(struct profile *p, json_t *o,
				     const char *path, struct mu_error *err)
{
	struct profile_rule *r;
	enum mu_err rc = check_keys(o, restriction_keys, path, err);

	if (rc == MU_OK)
		rc = rule_head(p, o, path, &r, err);
	if (rc == MU_OK)
		rc = parse_kinds(o, path, &r->kinds, err);
	if (rc == MU_OK)
		rc = parse_from(o, path, &r->from, err);
	if (rc == MU_OK)
		rc = get_days(o, path, &r->days, err);
	if (rc == MU_OK)
		rc = get_bool(o, "requires_delivery_before_report", path,
			      &r->requires_delivery_before_report, err);
	return rc;
}

typedef enum mu_err (*rule_parser)(struct profile *, json_t *, const char *,
				   struct mu_error *);

/* Parse the array member key with one parser per element. */
static enum mu_err parse_rules(struct profile *p, json_t *root,
			       const char *key, int need_one, rule_parser fn,
			       struct mu_error *err)
{
	json_t *a = json_object_get(root, key), *v;
	char path[MU_FIELD_MAX];
	size_t i;
	enum mu_err rc;

	if (!a && !need_one)
		return MU_OK;
	if (!json_is_array(a) || (need_one && json_array_size(a) == 0))
		return mu_fail(err, MU_EINVAL, key, "%s must be an array%s", key,
			       need_one ? " with at least one rule" : "");
	json_array_foreach(a, i, v) {
		snprintf(path, sizeof(path), "%s[%zu]", key, i);
		rc = fn(p, v, path, err);
		if (rc != MU_OK)
			return rc;
	}
	return MU_OK;
}

static enum mu_err parse_ends(struct profile *p, json_t *root,
			      struct mu_error *err)
{
	json_t *a = json_object_get(root, "ends_summons"), *v;
	char field[MU_FIELD_MAX];
	size_t i, k;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return mu_fail(err, MU_EINVAL, "ends_summons",
			       "ends_summons must be a non-empty array");
	json_array_foreach(a, i, v) {
		for (k = 0; k < sizeof(end_names) / sizeof(end_names[0]); k++)
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), end_names[k].name) == 0)
				break;
		snprintf(field, sizeof(field), "ends_summons[%zu]", i);
		if (k == sizeof(end_names) / sizeof(end_names[0]))
			return mu_fail(err, MU_EINVAL, field,
				       "%s: unknown ending event", field);
		p->ends |= end_names[k].bit;
	}
	return MU_OK;
}

/* id, version, title, language, appeal_suspends. */
static enum mu_err parse_head(struct profile *p, json_t *root,
			      struct mu_error *err)
{
	const char *id, *version, *title, *lang;
	enum mu_err rc = get_str(root, "id", "", 1, PROFILE_ID_MAX, &id, err);

	if (rc == MU_OK && !name_chars_ok(id, "-"))
		rc = mu_fail(err, MU_EINVAL, "id",
			     "id must use only a-z, 0-9 and '-'");
	if (rc == MU_OK)
		rc = get_str(root, "version", "", 1, sizeof(p->version),
			     &version, err);
	if (rc == MU_OK)
		rc = get_str(root, "title", "", 0, TEXT_MAX, &title, err);
	if (rc == MU_OK)
		rc = get_str(root, "language", "", 0, sizeof(p->language), &lang,
			     err);
	if (rc == MU_OK)
		rc = get_bool(root, "appeal_suspends", "", &p->appeal_suspends,
			      err);
	if (rc != MU_OK)
		return rc;
	snprintf(p->id, sizeof(p->id), "%s", id);
	snprintf(p->version, sizeof(p->version), "%s", version);
	snprintf(p->language, sizeof(p->language), "%s", lang ? lang : "en");
	if (title && !(p->title = strdup(title)))
		return mu_fail(err, MU_ENOMEM, NULL, "out of memory");
	return MU_OK;
}

/* ---- due process: reasons, correction deadline, holidays ---- */

/* A list of names from a fixed table into a bit set ("kinds", "bars"). */
static enum mu_err parse_name_bits(json_t *o, const char *key, const char *path,
				   int (*parse)(const char *), unsigned *out,
				   struct mu_error *err)
{
	json_t *a = json_object_get(o, key), *v;
	char field[MU_FIELD_MAX];
	size_t i;

	snprintf(field, sizeof(field), "%s.%s", path, key);
	*out = 0;
	if (!json_is_array(a) || json_array_size(a) == 0)
		return mu_fail(err, MU_EINVAL, field,
			       "%s must be a non-empty array of names", field);
	json_array_foreach(a, i, v) {
		int k = json_is_string(v) ? parse(json_string_value(v)) : -1;
		if (k < 0) {
			snprintf(field, sizeof(field), "%s.%s[%zu]", path, key, i);
			return mu_fail(err, MU_EINVAL, field, "%s: unknown name", field);
		}
		*out |= 1u << k;
	}
	return MU_OK;
}

static int kind_parse(const char *s)
{
	return !strcmp(s, "deferment") ? EK_DEFERMENT :
	       !strcmp(s, "exemption") ? EK_EXEMPTION : -1;
}

/* One reason: "reason" (unique in its list), "text", and for exemptions
 * "kinds" and "bars". */
static enum mu_err parse_reason(json_t *o, const char *path, int exemption,
				struct profile_reason *list, int n,
				struct mu_error *err)
{
	struct profile_reason *r = &list[n];
	const char *name, *text;
	char field[MU_FIELD_MAX];
	enum mu_err rc = check_keys(o, exemption ? exemption_keys : excuse_keys,
				    path, err);

	if (rc == MU_OK)
		rc = get_str(o, "reason", path, 1, PROFILE_REASON_MAX, &name, err);
	if (rc == MU_OK)
		rc = get_str(o, "text", path, 1, TEXT_MAX, &text, err);
	if (rc == MU_OK && exemption)
		rc = parse_name_bits(o, "kinds", path, kind_parse, &r->kinds, err);
	if (rc == MU_OK && exemption)
		rc = parse_name_bits(o, "bars", path, purpose_parse, &r->bars, err);
	if (rc != MU_OK)
		return rc;
	snprintf(field, sizeof(field), "%.50s.reason", path);
	if (!name_chars_ok(name, "_"))
		return mu_fail(err, MU_EINVAL, field,
			       "%s must use only a-z, 0-9 and '_'", field);
	/* a name appears once per kind (excuses: once) */
	for (int i = 0; i < n; i++)
		if (!strcmp(list[i].name, name) &&
		    (!exemption || (list[i].kinds & r->kinds)))
			return mu_fail(err, MU_EINVAL, field,
				       "reason \"%s\" is listed twice", name);
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->text = strdup(text);
	return r->text ? MU_OK : mu_fail(err, MU_ENOMEM, NULL, "out of memory");
}

static enum mu_err parse_reasons(struct profile *p, json_t *root, int exemption,
				 struct mu_error *err)
{
	const char *key = exemption ? "exemption_reasons" : "excuse_reasons";
	struct profile_reason *list = exemption ? p->exemption_reasons
						: p->excuse_reasons;
	int *n = exemption ? &p->n_exemption_reasons : &p->n_excuse_reasons;
	json_t *a = json_object_get(root, key), *v;
	char path[MU_FIELD_MAX];
	size_t i;
	enum mu_err rc;

	if (!a)
		return MU_OK;
	if (!json_is_array(a) || json_array_size(a) > PROFILE_MAX_REASONS)
		return mu_fail(err, MU_EINVAL, key,
			       "%s must be an array of at most %d reasons", key,
			       PROFILE_MAX_REASONS);
	json_array_foreach(a, i, v) {
		snprintf(path, sizeof(path), "%s[%zu]", key, i);
		rc = parse_reason(v, path, exemption, list, *n, err);
		if (rc != MU_OK)
			return rc;
		(*n)++;
	}
	return MU_OK;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static enum mu_err parse_holidays(struct profile *p, json_t *root,
				  struct mu_error *err)
{
	json_t *a = json_object_get(root, "holidays"), *v;
	char field[MU_FIELD_MAX];
	size_t i;
	int y, m, d;

	if (!a)
		return MU_OK;
	if (!json_is_array(a) || json_array_size(a) > PROFILE_MAX_HOLIDAYS)
		return mu_fail(err, MU_EINVAL, "holidays",
			       "holidays must be an array of at most %d dates",
			       PROFILE_MAX_HOLIDAYS);
	json_array_foreach(a, i, v) {
		snprintf(field, sizeof(field), "holidays[%zu]", i);
		if (!json_is_string(v) ||
		    mu_date_parse(json_string_value(v), &y, &m, &d) != MU_OK)
			return mu_fail(err, MU_EINVAL, field,
				       "%s must be a date YYYY-MM-DD", field);
		p->holidays[p->n_holidays++] = mu_days_from_civil(y, m, d);
	}
	qsort(p->holidays, (size_t)p->n_holidays, sizeof(p->holidays[0]), cmp_i64);
	return MU_OK;
}

/* The due-process keys; absent keys keep older profiles valid. */
static enum mu_err profile_parse_due(struct profile *p, json_t *root,
				     struct mu_error *err)
{
	json_t *v = json_object_get(root, "correction_working_days");
	enum mu_err rc;

	p->correction_days = 10;
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		  json_integer_value(v) > 365))
		return mu_fail(err, MU_EINVAL, "correction_working_days",
			       "correction_working_days must be a whole number "
			       "from 1 to 365");
	if (v)
		p->correction_days = (int)json_integer_value(v);
	rc = parse_reasons(p, root, 1, err);
	if (rc == MU_OK)
		rc = parse_reasons(p, root, 0, err);
	if (rc == MU_OK)
		rc = parse_holidays(p, root, err);
	return rc;
}

enum mu_err profile_parse(const char *json_text, struct profile **out,
			  struct mu_error *err)
{
	json_error_t jerr;
	json_t *root = NULL;
	struct profile *p = NULL;
	enum mu_err rc;

	*out = NULL;
	root = json_text ? json_loads(json_text, JSON_REJECT_DUPLICATES, &jerr)
			 : NULL;
	if (!root) {
		rc = mu_fail(err, MU_EINVAL, "profile", "not valid JSON: %s",
			     json_text ? jerr.text : "no text");
		goto out;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		rc = mu_fail(err, MU_ENOMEM, NULL, "out of memory");
		goto out;
	}
	rc = check_keys(root, top_keys, "", err);
	if (rc == MU_OK)
		rc = parse_head(p, root, err);
	if (rc == MU_OK)
		rc = parse_rules(p, root, "delivery", 1, parse_delivery, err);
	if (rc == MU_OK)
		rc = parse_rules(p, root, "restrictions", 0, parse_restriction,
				 err);
	if (rc == MU_OK)
		rc = parse_ends(p, root, err);
	if (rc == MU_OK)
		rc = profile_parse_due(p, root, err);
out:
	json_decref(root);
	if (rc != MU_OK) {
		profile_free(p);
		return rc;
	}
	*out = p;
	return MU_OK;
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n_rules; i++)
		free(p->rules[i].text);
	for (int i = 0; i < p->n_exemption_reasons; i++)
		free(p->exemption_reasons[i].text);
	for (int i = 0; i < p->n_excuse_reasons; i++)
		free(p->excuse_reasons[i].text);
	free(p->title);
	free(p);
}

const char *profile_id(const struct profile *p)
{
	return p->id;
}

const char *profile_version(const struct profile *p)
{
	return p->version;
}

const char *profile_language(const struct profile *p)
{
	return p->language;
}

int profile_appeal_suspends(const struct profile *p)
{
	return p->appeal_suspends;
}

const char *profile_rule_id(const struct profile *p, int i)
{
	return p && i >= 0 && i < p->n_rules ? p->rules[i].id : NULL;
}

const char *profile_rule_text(const struct profile *p, int i)
{
	return p && i >= 0 && i < p->n_rules ? p->rules[i].text : NULL;
}

/* The entry for name (and, for exemption reasons, kind bit; 0 = any). */
static const struct profile_reason *find_reason(const struct profile_reason *list,
						int n, const char *name,
						unsigned kind)
{
	for (int i = 0; name && i < n; i++)
		if (!strcasecmp(list[i].name, name) && (!kind || (list[i].kinds & kind)))
			return &list[i];
	return NULL;
}

unsigned profile_exemption_kinds(const struct profile *p, const char *reason)
{
	const struct profile_reason *r =
		find_reason(p->exemption_reasons, p->n_exemption_reasons, reason, 0);

	return r ? r->kinds : 0;
}

unsigned profile_exemption_bars(const struct profile *p, const char *reason,
				enum exemption_kind k)
{
	const struct profile_reason *r;

	if ((unsigned)k >= EK__COUNT || !reason || !reason[0])
		return 0;
	r = find_reason(p->exemption_reasons, p->n_exemption_reasons, reason, 1u << k);
	if (r)
		return r->bars;
	if (profile_exemption_kinds(p, reason))
		return 0; /* the profile's reason for the other kind */
	/* a reason in the officer's own words: the kind's general effect */
	return k == EK_EXEMPTION ? PROFILE_EXEMPTION_DEFAULT_BARS
				 : PROFILE_DEFERMENT_DEFAULT_BARS;
}

const char *profile_exemption_reason(const struct profile *p,
				     enum exemption_kind k, int i)
{
	for (int j = 0; i >= 0 && (unsigned)k < EK__COUNT &&
			j < p->n_exemption_reasons; j++)
		if ((p->exemption_reasons[j].kinds & (1u << k)) && i-- == 0)
			return p->exemption_reasons[j].name;
	return NULL;
}

const char *profile_exemption_text(const struct profile *p, const char *reason,
				   enum exemption_kind k)
{
	const struct profile_reason *r =
		(unsigned)k < EK__COUNT ? find_reason(p->exemption_reasons,
						      p->n_exemption_reasons, reason,
						      1u << k) : NULL;
	return r ? r->text : NULL;
}

const char *profile_excuse_reason(const struct profile *p, int i)
{
	return i >= 0 && i < p->n_excuse_reasons ? p->excuse_reasons[i].name : NULL;
}

const char *profile_excuse_text(const struct profile *p, const char *reason)
{
	const struct profile_reason *r =
		find_reason(p->excuse_reasons, p->n_excuse_reasons, reason, 0);
	return r ? r->text : NULL;
}

int profile_correction_days(const struct profile *p)
{
	return p->correction_days > 0 ? p->correction_days : 10;
}

int profile_is_holiday(const struct profile *p, int64_t day)
{
	return bsearch(&day, p->holidays, (size_t)p->n_holidays,
		       sizeof(p->holidays[0]), cmp_i64) != NULL;
}
