/*
 * test_due.c: the rest of domain/due.c and the due-process part of the
 * profile (docs/profiles.md, docs/due-process.md): working-day deadlines
 * from tests/unit/data/due_deadline.tsv, the profile keys and their
 * errors, older profiles without them, the name tables, the fitness in
 * force, and the explanations of claims (with UTF-8-safe truncation).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/due.h"

static struct profile *load(const char *id)
{
	struct profile *p = NULL;
	struct mu_error err;

	if (profile_parse(rules_builtin_profile(id), &p, &err) != MU_OK)
		fail_msg("profile %s: %s: %s", id, err.field, err.detail);
	return p;
}

static int64_t ts(const char *s)
{
	int64_t t;

	if (mu_time_parse(s, &t) != MU_OK)
		fail_msg("bad instant in test data: \"%s\"", s);
	return t;
}

static void test_deadline_table(void **state)
{
	struct profile *ru = load("ru-2023"), *gen = load("generic");
	const char *dir = getenv("MUSTER_TEST_DATA");
	char path[512], line[512], got[MU_RFC3339_MAX];
	FILE *f;
	int ln = 0, n = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/due_deadline.tsv", dir ? dir : "tests/unit/data");
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		char *col[5], *save = NULL;
		int k = 0;
		int64_t out;
		ln++;
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		for (char *t = strtok_r(line, "\t", &save); t && k < 5;
		     t = strtok_r(NULL, "\t", &save))
			col[k++] = t;
		assert_int_equal(k, 5);
		assert_int_equal(due_working_deadline(!strcmp(col[0], "generic") ? gen : ru,
						      col[1], ts(col[2]), (int)strtol(col[3], NULL, 10),
						      &out), MU_OK);
		mu_time_format(out, got, sizeof(got));
		if (strcmp(got, col[4]))
			fail_msg("due_deadline.tsv line %d: got %s, want %s", ln, got, col[4]);
		n++;
	}
	fclose(f);
	assert_true(n >= 10);
	profile_free(ru);
	profile_free(gen);
}

static void test_deadline_errors(void **state)
{
	struct profile *gen = load("generic");
	int64_t out;

	(void)state;
	assert_int_not_equal(due_working_deadline(gen, "Europe/Moscow", 0, 0, &out), MU_OK);
	assert_int_not_equal(due_working_deadline(gen, "Mars/Olympus", 0, 10, &out), MU_OK);
	assert_int_equal(out, MU_T_NONE);
	profile_free(gen);
}

static void test_profile_due_keys(void **state)
{
	struct profile *p = load("ru-2023");
	const unsigned service = (1u << PU_DISPATCH) | (1u << PU_TRAINING) |
				 (1u << PU_MOBILIZATION);

	(void)state;
	assert_int_equal(profile_exemption_bars(p, "studies", EK_DEFERMENT), service);
	assert_int_equal(profile_exemption_bars(p, "studies", EK_EXEMPTION), 0);
	assert_int_equal(profile_exemption_bars(p, "key_worker", EK_DEFERMENT),
			 (1u << PU_DISPATCH) | (1u << PU_MOBILIZATION));
	assert_int_equal(profile_exemption_bars(p, "health", EK_DEFERMENT), service);
	assert_int_equal(profile_exemption_bars(p, "health", EK_EXEMPTION),
			 service | (1u << PU_MEDICAL_EXAM));
	assert_non_null(strstr(profile_exemption_text(p, "health", EK_EXEMPTION), "exempt"));
	assert_non_null(strstr(profile_exemption_text(p, "health", EK_DEFERMENT), "deferred"));
	assert_null(profile_exemption_text(p, "studies", EK_EXEMPTION));
	/* a reason in the officer's own words: the kind's general effect */
	assert_int_equal(profile_exemption_bars(p, "university student", EK_DEFERMENT), service);
	assert_int_equal(profile_exemption_bars(p, "medical", EK_EXEMPTION),
			 service | (1u << PU_MEDICAL_EXAM));
	assert_int_equal(profile_exemption_kinds(p, "studies"), 1u << EK_DEFERMENT);
	assert_int_equal(profile_exemption_kinds(p, "medical"), 0);
	assert_int_equal(profile_exemption_bars(p, "", EK_DEFERMENT), 0);
	assert_int_equal(profile_exemption_bars(p, NULL, EK_DEFERMENT), 0);
	assert_string_equal(profile_exemption_reason(p, EK_DEFERMENT, 0), "studies");
	assert_string_equal(profile_exemption_reason(p, EK_EXEMPTION, 0), "three_children");
	assert_null(profile_exemption_reason(p, EK_DEFERMENT, 99));
	assert_non_null(profile_excuse_text(p, "illness"));
	assert_non_null(profile_excuse_text(p, "family_emergency"));
	assert_null(profile_excuse_text(p, "hangover"));
	assert_int_equal(profile_correction_days(p), 10);
	assert_true(profile_is_holiday(p, mu_days_from_civil(2026, 2, 23)));
	assert_false(profile_is_holiday(p, mu_days_from_civil(2026, 2, 24)));
	assert_true(due_is_working_day(p, mu_days_from_civil(2026, 2, 24)));
	assert_false(due_is_working_day(p, mu_days_from_civil(2026, 2, 28)));
	profile_free(p);
}

/* An older profile without the due-process keys still parses. */
static void test_profile_without_due_keys(void **state)
{
	static const char *old = "{\"id\":\"x\",\"version\":\"x/1\",\"delivery\":"
		"[{\"rule\":\"d\",\"event\":\"handed\",\"text\":\"t\"}],"
		"\"ends_summons\":[\"appeared\"]}";
	struct profile *p = NULL;
	struct mu_error err;

	(void)state;
	assert_int_equal(profile_parse(old, &p, &err), MU_OK);
	assert_int_equal(profile_correction_days(p), 10);
	assert_null(profile_exemption_reason(p, EK_DEFERMENT, 0));
	assert_null(profile_excuse_reason(p, 0));
	/* it names no reason, so every reason is in the officer's words */
	assert_int_equal(profile_exemption_bars(p, "studies", EK_DEFERMENT),
			 PROFILE_DEFERMENT_DEFAULT_BARS);
	profile_free(p);
}

static void bad_profile(const char *extra, const char *field)
{
	char text[2048];
	struct profile *p = (struct profile *)1;
	struct mu_error err;

	snprintf(text, sizeof(text), "{\"id\":\"x\",\"version\":\"x/1\",\"delivery\":"
		 "[{\"rule\":\"d\",\"event\":\"handed\",\"text\":\"t\"}],"
		 "\"ends_summons\":[\"appeared\"], %s}", extra);
	assert_int_equal(profile_parse(text, &p, &err), MU_EINVAL);
	assert_null(p);
	if (strcmp(err.field, field))
		fail_msg("%s: field %s, want %s (%s)", extra, err.field, field, err.detail);
}

static void test_profile_due_errors(void **state)
{
	(void)state;
	bad_profile("\"correction_working_days\": 0", "correction_working_days");
	bad_profile("\"correction_working_days\": 2.5", "correction_working_days");
	bad_profile("\"holidays\": [\"2026-02-30\"]", "holidays[0]");
	bad_profile("\"holidays\": \"2026-01-01\"", "holidays");
	bad_profile("\"excuse_reasons\": [{\"reason\": \"ill\"}]", "excuse_reasons[0].text");
	bad_profile("\"excuse_reasons\": [{\"reason\": \"Ill\", \"text\": \"t\"}]",
		    "excuse_reasons[0].reason");
	bad_profile("\"excuse_reasons\": [{\"reason\": \"a\", \"text\": \"t\"},"
		    " {\"reason\": \"a\", \"text\": \"t\"}]", "excuse_reasons[1].reason");
	bad_profile("\"excuse_reasons\": [{\"reason\": \"a\", \"text\": \"t\", \"bars\": []}]",
		    "excuse_reasons[0].bars");
	bad_profile("\"exemption_reasons\": [{\"reason\": \"a\", \"text\": \"t\","
		    " \"kinds\": [\"deferment\"], \"bars\": [\"war\"]}]",
		    "exemption_reasons[0].bars[0]");
	bad_profile("\"exemption_reasons\": [{\"reason\": \"a\", \"text\": \"t\","
		    " \"kinds\": [\"pardon\"], \"bars\": [\"dispatch\"]}]",
		    "exemption_reasons[0].kinds[0]");
	bad_profile("\"exemption_reasons\": [{\"reason\": \"a\", \"text\": \"t\","
		    " \"bars\": [\"dispatch\"]}]", "exemption_reasons[0].kinds");
	/* a reason once per kind */
	bad_profile("\"exemption_reasons\": [{\"reason\": \"a\", \"text\": \"t\","
		    " \"kinds\": [\"deferment\", \"exemption\"], \"bars\": [\"dispatch\"]},"
		    " {\"reason\": \"a\", \"text\": \"t\", \"kinds\": [\"exemption\"],"
		    " \"bars\": [\"training\"]}]", "exemption_reasons[1].reason");
}

static void test_names(void **state)
{
	(void)state;
	for (int s = 0; s < DS__COUNT; s++)
		assert_int_equal(due_state_parse(due_state_name(s)), s);
	assert_int_equal(due_state_parse("maybe"), -1);
	assert_null(due_state_name(DS__COUNT));
	for (int k = 0; k < EK__COUNT; k++)
		assert_int_equal(exemption_kind_parse(exemption_kind_name(k)), k);
	assert_int_equal(exemption_kind_parse(NULL), -1);
	assert_int_equal(appeal_subject_parse("summons"), AS_SUMMONS);
	assert_int_equal(appeal_subject_parse("fitness"), AS_FITNESS);
	assert_int_equal(appeal_subject_parse("court"), -1);
	assert_string_equal(bar_kind_name(BAR_FITNESS_G), "fitness_G");
}

static void test_fitness_at(void **state)
{
	struct fitness_rec f[2];
	struct due_set d = {.n_fitness = 2, .fitness = f};
	struct person p;
	const struct fitness_rec *by;

	(void)state;
	memset(&p, 0, sizeof(p));
	memset(f, 0, sizeof(f));
	p.fitness = 'B';
	assert_int_equal(due_fitness_at(&p, NULL, 0, &by), 'B');
	assert_null(by);
	f[0] = (struct fitness_rec){.id = "F-1", .category = 'G', .previous = 'A',
				    .recorded = {.at = 100}, .set_aside_at = MU_T_NONE};
	f[1] = (struct fitness_rec){.id = "F-2", .category = 'B', .previous = 'G',
				    .recorded = {.at = 200}, .set_aside_at = 300};
	assert_int_equal(due_fitness_at(&p, &d, 99, &by), 'A');
	assert_null(by);
	assert_int_equal(due_fitness_at(&p, &d, 150, &by), 'G');
	assert_string_equal(by->id, "F-1");
	assert_int_equal(due_fitness_at(&p, &d, 250, &by), 'B');
	assert_int_equal(due_fitness_at(&p, &d, 300, &by), 'G');
	assert_string_equal(by->id, "F-1");
}

static void test_claim_explanations(void **state)
{
	struct profile *ru = load("ru-2023"), *gen = load("generic");
	struct appeal_rec a;
	struct correction_rec c;
	char text[2048];

	(void)state;
	memset(&a, 0, sizeof(a));
	snprintf(a.id, sizeof(a.id), "AP-1");
	snprintf(a.subject_id, sizeof(a.subject_id), "S-1");
	a.subject = AS_SUMMONS;
	a.filed.at = ts("2026-03-12T10:00:00Z");
	a.decided.at = MU_T_NONE;
	due_explain_appeal(gen, &a, DS_PENDING, "Europe/Moscow", text, sizeof(text));
	assert_non_null(strstr(text, "suspends every restriction"));
	due_explain_appeal(ru, &a, DS_PENDING, "Europe/Moscow", text, sizeof(text));
	assert_non_null(strstr(text, "does not suspend"));
	memset(&c, 0, sizeof(c));
	snprintf(c.field, sizeof(c.field), "family_name");
	snprintf(c.proposed_value, sizeof(c.proposed_value), "Петров-Водкин");
	c.filed.at = ts("2026-02-19T09:00:00Z");
	c.deadline = ts("2026-03-06T21:00:00Z");
	due_explain_correction(&c, DS_PENDING, ts("2026-03-06T21:00:00Z"), "Europe/Moscow",
			       text, sizeof(text));
	assert_non_null(strstr(text, "7 March 2026 00:00"));
	assert_non_null(strstr(text, "overdue"));
	/* cut inside the Cyrillic value: never half a character */
	for (size_t size = 60; size < 90; size++) {
		due_explain_correction(&c, DS_PENDING, 0, "Europe/Moscow", text, size);
		assert_true(text_valid(text));
		assert_true(strlen(text) < size);
	}
	profile_free(ru);
	profile_free(gen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadline_table),
		cmocka_unit_test(test_deadline_errors),
		cmocka_unit_test(test_profile_due_keys),
		cmocka_unit_test(test_profile_without_due_keys),
		cmocka_unit_test(test_profile_due_errors),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_fitness_at),
		cmocka_unit_test(test_claim_explanations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
