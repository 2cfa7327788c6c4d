/*
 * test_protect.c: the protections at issue (domain/protect.c) and the bars
 * in force (domain/due.c), against LEGAL_RULES.md "Protections that no
 * profile can switch off" and docs/due-process.md.
 *
 * The main test is table-driven: tests/unit/data/protect.tsv holds one
 * scenario per line (the record, fitness decisions and exemptions, an
 * override, a purpose and an instant, and the expected answer and bars);
 * its format is described at the top of that file. The others cover what
 * an override request must cover, the basis list, the refusal's wording
 * and the bar explanations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/protect.h"

#define MAX_FACTS 8

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

/* Cut s at the first of the marker characters; return the marker found
 * (0 if none) and leave *rest after it. */
static char cut(char *s, const char *markers, char **rest)
{
	char *m = strpbrk(s, markers);
	char c;

	if (!m) {
		*rest = NULL;
		return 0;
	}
	c = *m;
	*m = 0;
	*rest = m + 1;
	return c;
}

/* F<id>:<cat>@<recorded>[><reexamine>][!<set aside>][^<previous>] */
static void parse_fitness(char *item, struct fitness_rec *f)
{
	char *rest, *colon = strchr(item, ':');
	char *p, mark;

	memset(f, 0, sizeof(*f));
	assert_non_null(colon);
	*colon = 0;
	snprintf(f->id, sizeof(f->id), "%s", item);
	f->category = colon[1];
	f->reexamine_at = f->set_aside_at = MU_T_NONE;
	assert_int_equal(colon[2], '@');
	p = colon + 3;
	mark = cut(p, "><!^", &rest);
	f->recorded.at = ts(p);
	while (mark) {
		char *val = rest, next = cut(val, "><!^", &rest);
		if (mark == '>')
			f->reexamine_at = ts(val);
		else if (mark == '!')
			f->set_aside_at = ts(val);
		else if (mark == '^')
			f->previous = val[0];
		mark = next;
	}
	snprintf(f->set_aside_by, sizeof(f->set_aside_by), "AP-1");
	snprintf(f->decided_on, sizeof(f->decided_on), "2026-03-01");
	snprintf(f->reference, sizeof(f->reference), "VVK-1");
}

/* E<id>:<kind>/<reason>@<granted>[<<valid until>][~<revoked>] */
static void parse_exemption(char *item, struct exemption_rec *e)
{
	char *rest, *colon = strchr(item, ':'), *slash, *at, mark;

	memset(e, 0, sizeof(*e));
	assert_non_null(colon);
	*colon = 0;
	snprintf(e->id, sizeof(e->id), "%s", item);
	slash = strchr(colon + 1, '/');
	at = strchr(colon + 1, '@');
	assert_non_null(slash);
	assert_non_null(at);
	*slash = *at = 0;
	e->kind = (enum exemption_kind)exemption_kind_parse(colon + 1);
	snprintf(e->reason, sizeof(e->reason), "%s", slash + 1);
	e->valid_until = e->revoked.at = MU_T_NONE;
	mark = cut(at + 1, "<~", &rest);
	e->granted.at = ts(at + 1);
	while (mark) {
		char *val = rest, next = cut(val, "<~", &rest);
		if (mark == '<')
			e->valid_until = ts(val);
		else
			e->revoked.at = ts(val);
		mark = next;
	}
}

/* <id>:<state>/<purpose>/<bases joined by +> */
static void parse_override(char *item, const char *nid, struct override_rec *o)
{
	char *colon = strchr(item, ':'), *s1, *s2;

	memset(o, 0, sizeof(*o));
	assert_non_null(colon);
	*colon = 0;
	snprintf(o->id, sizeof(o->id), "%s", item);
	s1 = strchr(colon + 1, '/');
	assert_non_null(s1);
	s2 = strchr(s1 + 1, '/');
	assert_non_null(s2);
	*s1 = *s2 = 0;
	o->state = (enum due_state)due_state_parse(colon + 1);
	o->purpose = purpose_parse(s1 + 1);
	for (char *p = s2 + 1; *p; p++)
		if (*p == '+')
			*p = ',';
	snprintf(o->bases, sizeof(o->bases), "%s", s2 + 1);
	snprintf(o->national_id, sizeof(o->national_id), "%s", nid);
}

struct row {
	struct person p;
	struct due_set d;
	struct fitness_rec f[MAX_FACTS];
	struct exemption_rec e[MAX_FACTS];
	struct override_rec o;
	int has_override;
};

static void parse_facts(char *list, struct row *w)
{
	char *save = NULL;

	w->d.fitness = w->f;
	w->d.exemptions = w->e;
	if (!strcmp(list, "-"))
		return;
	for (char *it = strtok_r(list, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
		if (it[0] == 'F')
			parse_fitness(it, &w->f[w->d.n_fitness++]);
		else if (it[0] == 'E')
			parse_exemption(it, &w->e[w->d.n_exemptions++]);
		else
			fail_msg("bad fact \"%s\"", it);
		assert_true(w->d.n_fitness < MAX_FACTS && w->d.n_exemptions < MAX_FACTS);
	}
}

/* "kind:basis" of each bar joined by '+', or "-". */
static void bars_text(const struct due_bar *b, size_t n, char *buf, size_t size)
{
	size_t len = 0;

	snprintf(buf, size, "-");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s:%s", i ? "+" : "",
					bar_kind_name(b[i].kind), b[i].basis);
}

static void run_row(char **col, int line, struct profile *prof)
{
	struct row w;
	struct due_bar bar, bars[DUE_BARS_MAX];
	struct mu_error err;
	char got[256], all[512];
	enum mu_err rc;
	int pu = purpose_parse(col[5]);
	size_t n;

	memset(&w, 0, sizeof(w));
	snprintf(w.p.national_id, sizeof(w.p.national_id), "P-0001");
	w.p.fitness = strcmp(col[1], "-") ? col[1][0] : 0;
	w.p.status = !strcmp(col[2], "removed") ? PS_REMOVED : PS_ACTIVE;
	parse_facts(col[3], &w);
	if (strcmp(col[4], "-"))
		parse_override(col[4], "P-0001", &w.o);
	assert_true(pu >= 0);
	rc = protect_issue(&(struct protect_facts){&w.p, &w.d, prof}, pu, ts(col[6]),
			   strcmp(col[4], "-") ? &w.o : NULL, &bar, &err);
	if (rc == MU_OK)
		snprintf(got, sizeof(got), "ok");
	else
		snprintf(got, sizeof(got), "%s:%s", bar_kind_name(bar.kind), bar.basis);
	if (strcmp(got, col[7]))
		fail_msg("protect.tsv line %d: got %s, want %s (%s)", line, got, col[7],
			 err.detail);
	if (rc != MU_OK)
		assert_int_equal(rc, MU_ECONFLICT);
	n = due_bars(prof, &w.p, &w.d, ts(col[6]), bars, DUE_BARS_MAX);
	bars_text(bars, n, all, sizeof(all));
	if (strcmp(all, col[8]))
		fail_msg("protect.tsv line %d: bars %s, want %s", line, all, col[8]);
}

static void test_table(void **state)
{
	char path[512], line[2048];
	const char *dir = getenv("MUSTER_TEST_DATA");
	struct profile *ru = load("ru-2023"), *gen = load("generic");
	FILE *f;
	int n = 0, ln = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/protect.tsv", dir ? dir : "tests/unit/data");
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		char *col[9], *save = NULL;
		int k = 0;
		ln++;
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		for (char *t = strtok_r(line, "\t", &save); t && k < 9;
		     t = strtok_r(NULL, "\t", &save))
			col[k++] = t;
		if (k != 9)
			fail_msg("protect.tsv line %d: %d columns", ln, k);
		run_row(col, ln, !strcmp(col[0], "generic") ? gen : ru);
		n++;
	}
	fclose(f);
	assert_true(n >= 40);
	profile_free(ru);
	profile_free(gen);
}

static struct person person(char fitness, enum person_status st)
{
	struct person p;

	memset(&p, 0, sizeof(p));
	snprintf(p.national_id, sizeof(p.national_id), "P-0002");
	p.fitness = fitness;
	p.status = st;
	return p;
}

static void test_override_bases(void **state)
{
	struct profile *prof = load("ru-2023");
	struct exemption_rec e[2];
	struct due_set d = {.n_exemptions = 2, .exemptions = e};
	struct person p = person('G', PS_ACTIVE);
	struct mu_error err;
	char buf[DUE_BASES_MAX + 1];
	size_t n;

	(void)state;
	memset(e, 0, sizeof(e));
	for (int i = 0; i < 2; i++) {
		snprintf(e[i].id, sizeof(e[i].id), "E-%d", i);
		e[i].kind = EK_DEFERMENT;
		snprintf(e[i].reason, sizeof(e[i].reason), i ? "key_worker" : "studies");
		e[i].valid_until = e[i].revoked.at = MU_T_NONE;
	}
	assert_int_equal(protect_override_bases(&(struct protect_facts){&p, &d, prof},
						PU_MOBILIZATION, 0, buf, sizeof(buf), &n, &err), MU_OK);
	assert_string_equal(buf, "record,E-0,E-1");
	assert_int_equal(n, 3);
	assert_int_equal(protect_override_bases(&(struct protect_facts){&p, &d, prof},
						PU_TRAINING, 0, buf, sizeof(buf), &n, &err), MU_OK);
	assert_string_equal(buf, "record,E-0");
	/* nothing bars a medical examination: nothing to override */
	assert_int_equal(protect_override_bases(&(struct protect_facts){&p, &d, prof},
						PU_MEDICAL_EXAM, 0, buf, sizeof(buf), &n, &err),
			 MU_EINVAL);
	assert_string_equal(err.field, "purpose");
	/* a removal is never overridable */
	p.status = PS_REMOVED;
	assert_int_equal(protect_override_bases(&(struct protect_facts){&p, &d, prof},
						PU_MEDICAL_EXAM, 0, buf, sizeof(buf), &n, &err),
			 MU_ECONFLICT);
	assert_string_equal(err.field, "national_id");
	profile_free(prof);
}

static void test_basis_listed(void **state)
{
	(void)state;
	assert_true(protect_basis_listed("E-1,F-2", "E-1"));
	assert_true(protect_basis_listed("E-1,F-2", "F-2"));
	assert_false(protect_basis_listed("E-1,F-2", "E-"));
	assert_false(protect_basis_listed("E-10", "E-1"));
	assert_false(protect_basis_listed("", "E-1"));
	assert_false(protect_basis_listed("E-1", ""));
	assert_true(protect_basis_listed("record", "record"));
}

static void test_refusal_names_the_bar(void **state)
{
	struct profile *prof = load("ru-2023");
	struct exemption_rec e;
	struct due_set d = {.n_exemptions = 1, .exemptions = &e};
	struct person p = person('A', PS_ACTIVE);
	struct mu_error err;

	(void)state;
	memset(&e, 0, sizeof(e));
	snprintf(e.id, sizeof(e.id), "E-ABC");
	e.kind = EK_EXEMPTION;
	snprintf(e.reason, sizeof(e.reason), "health");
	e.valid_until = ts("2026-09-01T21:00:00Z");
	e.revoked.at = MU_T_NONE;
	assert_int_equal(protect_issue(&(struct protect_facts){&p, &d, prof}, PU_DISPATCH,
				       ts("2026-03-01T00:00:00Z"), NULL, NULL, &err),
			 MU_ECONFLICT);
	assert_string_equal(err.field, "purpose");
	assert_non_null(strstr(err.detail, "E-ABC"));
	assert_non_null(strstr(err.detail, "exemption"));
	assert_non_null(strstr(err.detail, "health"));
	assert_non_null(strstr(err.detail, "2026-09-01T21:00:00Z"));
	/* no due-process facts at all: the record alone */
	assert_int_equal(protect_issue(&(struct protect_facts){&p, NULL, prof}, PU_DISPATCH,
				       0, NULL, NULL, &err), MU_OK);
	profile_free(prof);
}

static void test_explanations(void **state)
{
	struct profile *prof = load("ru-2023");
	struct fitness_rec f;
	struct due_set d = {.n_fitness = 1, .fitness = &f};
	struct person p = person('G', PS_ACTIVE);
	struct due_bar b[DUE_BARS_MAX];
	char text[2048];
	size_t n;

	(void)state;
	memset(&f, 0, sizeof(f));
	snprintf(f.id, sizeof(f.id), "F-1");
	f.category = 'G';
	snprintf(f.decided_on, sizeof(f.decided_on), "2026-03-01");
	snprintf(f.reference, sizeof(f.reference), "VVK-9");
	f.recorded.at = ts("2026-03-01T09:00:00Z");
	f.reexamine_at = ts("2026-04-14T21:00:00Z");
	f.set_aside_at = MU_T_NONE;
	n = due_bars(prof, &p, &d, ts("2026-03-02T00:00:00Z"), b, DUE_BARS_MAX);
	assert_int_equal(n, 1);
	due_explain_bar(prof, &b[0], "Europe/Moscow", text, sizeof(text));
	assert_non_null(strstr(text, "temporarily unfit"));
	assert_non_null(strstr(text, "15 April 2026"));
	assert_non_null(strstr(text, "dispatch to service, military training or mobilization"));
	assert_non_null(strstr(text, "second officer"));
	/* truncation keeps whole UTF-8 characters and a terminated string */
	due_explain_bar(prof, &b[0], "Europe/Moscow", text, 40);
	assert_true(strlen(text) < 40);
	profile_free(prof);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_override_bases),
		cmocka_unit_test(test_basis_listed),
		cmocka_unit_test(test_refusal_names_the_bar),
		cmocka_unit_test(test_explanations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
