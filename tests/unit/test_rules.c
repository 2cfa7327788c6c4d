/*
 * test_rules.c: the legal rules engine against LEGAL_RULES.md.
 *
 * The main test is table-driven: tests/unit/data/rules.tsv holds one
 * scenario per line (profile, zone, issue and report instants, events, query
 * instant, and the expected state, delivery, restrictions in force and next
 * change); the format is described at the top of that file. The other tests
 * cover profile parsing errors, rules_check_event rejections, next_change
 * over several summonses, explanations and the name tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/rules.h"
#include "util/timefmt.h"

#define MAX_EVENTS 16
#define NO_SHOW_KINDS                                                       \
	((1u << RK_CREDIT) | (1u << RK_REAL_ESTATE) |                        \
	 (1u << RK_BUSINESS_REGISTRATION) | (1u << RK_VEHICLE_REGISTRATION) | \
	 (1u << RK_DRIVING) | (1u << RK_FOREIGN_PASSPORT))

static struct profile *load(const char *id)
{
	struct profile *p = NULL;
	struct mu_error err;
	const char *text = rules_builtin_profile(id);

	assert_non_null(text);
	if (profile_parse(text, &p, &err) != MU_OK)
		fail_msg("profile %s: %s: %s", id, err.field, err.detail);
	return p;
}

static int64_t ts(const char *s)
{
	int64_t t;

	if (strcmp(s, "-") == 0)
		return MU_T_NONE;
	if (mu_time_parse(s, &t) != MU_OK)
		fail_msg("bad instant in test data: \"%s\"", s);
	return t;
}

/* One event item: type@instant[>new_report][=outcome]. */
static void parse_event(char *item, struct sm_event *e, int64_t seq)
{
	char *at = strchr(item, '@'), *gt, *eq;

	assert_non_null(at);
	*at++ = '\0';
	memset(e, 0, sizeof(*e));
	e->seq = seq;
	e->new_report_at = MU_T_NONE;
	e->type = (enum ev_type)ev_type_parse(item);
	assert_true(ev_type_parse(item) >= 0);
	if ((eq = strchr(at, '=')) != NULL) {
		*eq++ = '\0';
		e->outcome = strcmp(eq, "upheld") == 0 ? AO_UPHELD : AO_REJECTED;
	}
	if ((gt = strchr(at, '>')) != NULL) {
		*gt++ = '\0';
		e->new_report_at = ts(gt);
	}
	e->at = e->recorded_at = ts(at);
}

static size_t parse_events(char *list, struct sm_event *ev)
{
	char *save = NULL, *item;
	size_t n = 0;

	if (strcmp(list, "-") == 0)
		return 0;
	for (item = strtok_r(list, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		assert_true(n < MAX_EVENTS);
		parse_event(item, &ev[n], (int64_t)n + 1);
		n++;
	}
	return n;
}

/* Expected restrictions: since[kind], MU_T_NONE where not in force. */
static void parse_restrictions(char *list, int64_t since[RK__COUNT])
{
	char *save = NULL, *item;

	for (int k = 0; k < RK__COUNT; k++)
		since[k] = MU_T_NONE;
	if (strcmp(list, "-") == 0)
		return;
	for (item = strtok_r(list, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *at = strchr(item, '@');
		assert_non_null(at);
		*at++ = '\0';
		for (int k = 0; k < RK__COUNT; k++)
			if (strcmp(item, "20d") == 0 ? (NO_SHOW_KINDS >> k) & 1
						      : restr_kind_parse(item) == k)
				since[k] = ts(at);
	}
}

/* since[kind] of the restrictions in force at `at` in ev. */
static void in_force(const struct sm_eval *ev, int64_t at,
		     int64_t since[RK__COUNT])
{
	for (int k = 0; k < RK__COUNT; k++)
		since[k] = MU_T_NONE;
	for (size_t i = 0; i < ev->n_intervals; i++) {
		const struct rule_interval *iv = &ev->intervals[i];
		if (iv->from <= at && at < iv->until && iv->from < since[iv->kind])
			since[iv->kind] = iv->from;
	}
}

struct row {
	int line;
	char *col[11];
};

static const char *tfmt(int64_t t, char *buf)
{
	if (t == MU_T_NONE)
		return "-";
	mu_time_format(t, buf, MU_RFC3339_MAX);
	return buf;
}

static void check_restrictions(const struct row *r, const struct sm_eval *ev,
			       int64_t at, char *want_list)
{
	int64_t want[RK__COUNT], got[RK__COUNT];
	char a[MU_RFC3339_MAX], b[MU_RFC3339_MAX];

	parse_restrictions(want_list, want);
	in_force(ev, at, got);
	for (int k = 0; k < RK__COUNT; k++)
		if (want[k] != got[k])
			fail_msg("rules.tsv:%d: %s since %s, want %s", r->line,
				 restr_kind_name((enum restr_kind)k),
				 tfmt(got[k], a), tfmt(want[k], b));
}

static void check_row(struct row *r, const struct profile *p)
{
	struct sm_event events[MAX_EVENTS];
	struct sm_facts f = {.id = "S-1", .zone = r->col[1]};
	struct sm_eval ev;
	char a[MU_RFC3339_MAX], b[MU_RFC3339_MAX];
	const char *rule;
	int64_t at = ts(r->col[5]), next;

	f.issued_at = ts(r->col[2]);
	f.report_at = ts(r->col[3]);
	f.n_events = parse_events(r->col[4], events);
	f.events = events;
	assert_int_equal(rules_eval(p, &f, at, &ev), MU_OK);
	if (strcmp(summons_state_name(ev.state), r->col[6]) != 0)
		fail_msg("rules.tsv:%d: state %s, want %s", r->line,
			 summons_state_name(ev.state), r->col[6]);
	if (ev.delivered_at != ts(r->col[7]))
		fail_msg("rules.tsv:%d: delivered_at %s, want %s", r->line,
			 tfmt(ev.delivered_at, a), r->col[7]);
	rule = profile_rule_id(p, ev.delivery_rule);
	if (strcmp(r->col[8], "-") == 0 ? rule != NULL
	    : !rule || strcmp(rule + strlen(profile_id(p)) + 1, r->col[8]))
		fail_msg("rules.tsv:%d: delivery rule %s, want %s", r->line,
			 rule ? rule : "-", r->col[8]);
	check_restrictions(r, &ev, at, r->col[9]);
	next = rules_next_change(&ev, 1, at);
	if (next != ts(r->col[10]))
		fail_msg("rules.tsv:%d: next_change %s, want %s", r->line,
			 tfmt(next, a), tfmt(ts(r->col[10]), b));
}

static int split_row(char *line, struct row *r)
{
	char *save = NULL;

	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '#' || line[0] == '\0')
		return 0;
	for (int i = 0; i < 11; i++) {
		r->col[i] = strtok_r(i ? NULL : line, "\t", &save);
		if (!r->col[i])
			fail_msg("rules.tsv:%d: %d columns, want 11", r->line, i);
	}
	return 1;
}

static void test_table(void **state)
{
	const char *dir = getenv("MUSTER_TEST_DATA");
	char path[512], line[2048];
	struct profile *ps[3] = {load("ru-2023"), load("ru-2025"),
				 load("generic")};
	struct row r = {0};
	int rows = 0, seen[3] = {0};
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/rules.tsv",
		 dir ? dir : "tests/unit/data");
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		r.line++;
		if (!split_row(line, &r))
			continue;
		for (int i = 0; i < 3; i++)
			if (strcmp(r.col[0], profile_id(ps[i])) == 0) {
				check_row(&r, ps[i]);
				seen[i]++;
				rows++;
			}
	}
	fclose(fp);
	print_message("rules.tsv: %d rows (ru-2023 %d, ru-2025 %d, generic %d)\n",
		      rows, seen[0], seen[1], seen[2]);
	assert_true(seen[0] > 30 && seen[1] > 5 && seen[2] > 20);
	for (int i = 0; i < 3; i++)
		profile_free(ps[i]);
}

static void test_builtin_profiles(void **state)
{
	struct profile *p = load("ru-2023");

	(void)state;
	assert_string_equal(profile_id(p), "ru-2023");
	assert_string_equal(profile_version(p), "ru-2023/1");
	assert_string_equal(profile_language(p), "ru");
	assert_false(profile_appeal_suspends(p));
	assert_string_equal(profile_rule_id(p, 0), "ru-2023.delivery.handed");
	assert_string_equal(profile_rule_id(p, 5), "ru-2023.exit.delivery");
	assert_string_equal(profile_rule_id(p, 6), "ru-2023.no_show.20d");
	assert_null(profile_rule_id(p, 7));
	assert_null(profile_rule_id(p, -1));
	assert_non_null(strstr(profile_rule_text(p, 5), "leave the country"));
	profile_free(p);
	p = load("generic");
	assert_true(profile_appeal_suspends(p));
	assert_string_equal(profile_rule_id(p, 3), "generic.exit.no_show");
	profile_free(p);
	assert_null(rules_builtin_profile("nowhere"));
	profile_free(NULL);
}

static const char *const minimal =
	"{\"id\":\"x\",\"version\":\"x/1\",\"delivery\":[{\"rule\":\"d\","
	"\"event\":\"handed\",\"text\":\"t\"}],"
	"\"ends_summons\":[\"appeared\"]";

/* minimal + extra + "}" must fail naming field. */
static void expect_profile_error(const char *extra, const char *field)
{
	char text[1024];
	struct profile *p = (struct profile *)1;
	struct mu_error err;

	snprintf(text, sizeof(text), "%s%s}", minimal, extra);
	assert_int_equal(profile_parse(text, &p, &err), MU_EINVAL);
	assert_null(p);
	if (strcmp(err.field, field) != 0)
		fail_msg("profile %s: field \"%s\" (%s), want \"%s\"", extra,
			 err.field, err.detail, field);
	assert_true(strlen(err.detail) > 0);
}

static void expect_profile_error_text(const char *text, const char *field)
{
	struct profile *p = NULL;
	struct mu_error err;

	assert_int_equal(profile_parse(text, &p, &err), MU_EINVAL);
	assert_null(p);
	if (strcmp(err.field, field) != 0)
		fail_msg("profile: field \"%s\" (%s), want \"%s\"", err.field,
			 err.detail, field);
}

#define R_ ",\"restrictions\":[{\"rule\":\"r\",\"text\":\"t\","
static void test_profile_errors(void **state)
{
	struct profile *p = NULL;
	struct mu_error err;
	char text[1024];

	(void)state;
	snprintf(text, sizeof(text), "%s}", minimal);
	assert_int_equal(profile_parse(text, &p, &err), MU_OK);
	assert_string_equal(profile_language(p), "en");
	assert_string_equal(profile_rule_id(p, 0), "x.d");
	profile_free(p);
	expect_profile_error(",\"colour\":1", "colour");
	expect_profile_error(",\"appeal_suspends\":\"yes\"", "appeal_suspends");
	expect_profile_error(",\"language\":\"a-very-long-language\"", "language");
	expect_profile_error_text("{\"version\":\"1\"}", "id");
	expect_profile_error_text("{\"id\":\"x\"}", "version");
	expect_profile_error_text("{\"id\":\"X Y\",\"version\":\"1\"}", "id");
	expect_profile_error_text("not json", "profile");
	expect_profile_error_text("[1]", "profile");
	expect_profile_error_text("{\"id\":\"x\",\"id\":\"y\"}", "profile");
	expect_profile_error_text(
		"{\"id\":\"x\",\"version\":\"1\",\"delivery\":[],"
		"\"restrictions\":[],\"ends_summons\":[\"appeared\"]}",
		"delivery");
	expect_profile_error_text(
		"{\"id\":\"x\",\"version\":\"1\",\"delivery\":[{\"rule\":\"d\","
		"\"event\":\"handed\",\"text\":\"t\",\"when\":1}],"
		"\"restrictions\":[],\"ends_summons\":[\"appeared\"]}",
		"delivery[0].when");
	expect_profile_error_text(
		"{\"id\":\"x\",\"version\":\"1\",\"delivery\":[{\"rule\":\"d\","
		"\"event\":\"handled\",\"text\":\"t\"}],"
		"\"restrictions\":[],\"ends_summons\":[\"appeared\"]}",
		"delivery[0].event");
	expect_profile_error_text(
		"{\"id\":\"x\",\"version\":\"1\",\"delivery\":[{\"rule\":\"d\","
		"\"event\":\"post_returned\",\"text\":\"t\"}],"
		"\"restrictions\":[],\"ends_summons\":[\"appeared\"]}",
		"delivery[0].event");
	expect_profile_error_text(
		"{\"id\":\"x\",\"version\":\"1\",\"delivery\":[{\"rule\":\"d\","
		"\"event\":\"published\",\"days\":-7,\"text\":\"t\"}],"
		"\"restrictions\":[],\"ends_summons\":[\"appeared\"]}",
		"delivery[0].days");
	expect_profile_error_text(
		"{\"id\":\"x\",\"version\":\"1\",\"delivery\":[{\"rule\":\"d\","
		"\"event\":\"viewed\",\"after\":\"placed\",\"text\":\"t\"}],"
		"\"restrictions\":[],\"ends_summons\":[\"appeared\"]}",
		"delivery[0].after");
	expect_profile_error_text(
		"{\"id\":\"x\",\"version\":\"1\",\"delivery\":[{\"rule\":\"d\","
		"\"event\":\"handed\"}],"
		"\"restrictions\":[],\"ends_summons\":[\"appeared\"]}",
		"delivery[0].text");
	expect_profile_error_text(
		"{\"id\":\"x\",\"version\":\"1\",\"delivery\":[{\"rule\":\"d\","
		"\"event\":\"handed\",\"text\":\"t\"},{\"rule\":\"d\","
		"\"event\":\"post_delivered\",\"text\":\"t\"}],"
		"\"restrictions\":[],\"ends_summons\":[\"appeared\"]}",
		"delivery[1].rule");
	expect_profile_error_text(
		"{\"id\":\"x\",\"version\":\"1\",\"delivery\":[{\"rule\":\"d\","
		"\"event\":\"handed\",\"text\":\"t\"}],\"restrictions\":[],"
		"\"ends_summons\":[\"appeared\",\"vanished\"]}",
		"ends_summons[1]");
	expect_profile_error_text(
		"{\"id\":\"x\",\"version\":\"1\",\"delivery\":[{\"rule\":\"d\","
		"\"event\":\"handed\",\"text\":\"t\"}],\"restrictions\":[]}",
		"ends_summons");
	expect_profile_error(R_ "\"kinds\":[\"exit\",\"flying\"],\"from\":"
			     "\"delivery\"}]", "restrictions[0].kinds[1]");
	expect_profile_error(R_ "\"kinds\":[],\"from\":\"delivery\"}]",
			     "restrictions[0].kinds");
	expect_profile_error(R_ "\"kinds\":[\"exit\"],\"from\":\"birth\"}]",
			     "restrictions[0].from");
	expect_profile_error(R_ "\"kinds\":[\"exit\"],\"from\":\"report_date\","
			     "\"days\":-1}]", "restrictions[0].days");
	expect_profile_error(R_ "\"kinds\":[\"exit\"],\"from\":\"report_date\","
			     "\"days\":1.5}]", "restrictions[0].days");
	expect_profile_error(R_ "\"kinds\":[\"exit\"],\"from\":\"delivery\","
			     "\"requires_delivery_before_report\":1}]",
			     "restrictions[0].requires_delivery_before_report");
	expect_profile_error(R_ "\"kinds\":[\"exit\"],\"from\":\"delivery\","
			     "\"lifts\":[]}]", "restrictions[0].lifts");
	expect_profile_error(R_ "\"kinds\":[\"exit\"]}]", "restrictions[0].from");
	expect_profile_error_text(NULL, "profile");
}

/* ---- rules_check_event ---- */

static const struct sm_event base_events[] = {
	{1, EV_HANDED, 1772532000, 1772532000, MU_T_NONE, AO_NONE},
};

static void expect_reject(const struct sm_facts *f, struct sm_event ev,
			  int64_t now, const char *field, const char *words)
{
	struct mu_error err;

	assert_int_equal(rules_check_event(f, &ev, now, &err), MU_EINVAL);
	if (strcmp(err.field, field) != 0 || !strstr(err.detail, words))
		fail_msg("check_event %s: got %s \"%s\", want %s \"...%s...\"",
			 ev_type_name(ev.type), err.field, err.detail, field,
			 words);
}

static struct sm_event mk(enum ev_type t, const char *at)
{
	struct sm_event e = {.seq = 99, .type = t, .at = ts(at),
			     .new_report_at = MU_T_NONE};
	e.recorded_at = e.at;
	return e;
}

static void test_check_event(void **state)
{
	struct sm_event evs[4];
	struct sm_facts f = {.id = "S-1", .zone = "Europe/Moscow",
			     .issued_at = ts("2026-03-02T09:00:00Z"),
			     .report_at = ts("2026-03-20T07:00:00Z"),
			     .events = evs, .n_events = 1};
	int64_t now = ts("2026-04-01T00:00:00Z");
	struct sm_event e, e2;
	struct mu_error err;

	(void)state;
	evs[0] = base_events[0];
	assert_int_equal(rules_check_event(&f, &(struct sm_event){0, EV_APPEARED,
		ts("2026-03-20T07:30:00Z"), 0, MU_T_NONE, AO_NONE}, now, &err),
		MU_OK);
	expect_reject(&f, mk(EV_ISSUED, "2026-03-03T00:00:00Z"), now, "type",
		      "system");
	expect_reject(&f, mk(EV_PUBLISHED, "2026-03-03T00:00:00Z"), now, "type",
		      "system");
	expect_reject(&f, mk((enum ev_type)42, "2026-03-03T00:00:00Z"), now,
		      "type", "unknown");
	expect_reject(&f, mk(EV_APPEARED, "2026-04-01T00:00:01Z"), now, "at",
		      "future");
	expect_reject(&f, mk(EV_HANDED, "2026-03-02T08:59:59Z"), now, "at",
		      "before the summons was issued");
	expect_reject(&f, mk(EV_APPEAL_DECIDED, "2026-03-10T00:00:00Z"), now,
		      "type", "pending appeal");
	e = mk(EV_EXCUSED, "2026-03-10T00:00:00Z");
	e.new_report_at = e.at;
	expect_reject(&f, e, now, "new_report_at", "after the excuse");
	e.new_report_at = e.at + 1;
	assert_int_equal(rules_check_event(&f, &e, now, &err), MU_OK);
	e.new_report_at = e.at + (int64_t)RULES_REPORT_AHEAD_MAX_DAYS * 86400;
	expect_reject(&f, e, now, "new_report_at", "3660 days");
	e.new_report_at -= 1;
	assert_int_equal(rules_check_event(&f, &e, now, &err), MU_OK);
	/* the extra fields belong to one type each */
	e = mk(EV_HANDED, "2026-03-10T00:00:00Z");
	e.new_report_at = e.at + 86400;
	expect_reject(&f, e, now, "new_report_at", "only an excused event");
	e = mk(EV_APPEALED, "2026-03-10T00:00:00Z");
	e.outcome = AO_UPHELD;
	expect_reject(&f, e, now, "outcome", "only an appeal_decided event");
	/* an appeal pending: decision needs an outcome, not before the appeal */
	evs[1] = mk(EV_APPEALED, "2026-03-10T00:00:00Z");
	f.n_events = 2;
	expect_reject(&f, mk(EV_APPEAL_DECIDED, "2026-03-12T00:00:00Z"), now,
		      "outcome", "outcome");
	e = mk(EV_APPEAL_DECIDED, "2026-03-09T00:00:00Z");
	e.outcome = AO_REJECTED;
	expect_reject(&f, e, now, "at", "before the appeal");
	e.at = ts("2026-03-12T00:00:00Z");
	assert_int_equal(rules_check_event(&f, &e, now, &err), MU_OK);
	/* ended by appearing: nothing follows but the pending appeal's decision */
	evs[2] = mk(EV_APPEARED, "2026-03-20T07:30:00Z");
	f.n_events = 3;
	expect_reject(&f, mk(EV_HANDED, "2026-03-21T00:00:00Z"), now, "type",
		      "summons already ended by appeared at 2026-03-20T07:30:00Z");
	expect_reject(&f, mk(EV_POST_DELIVERED, "2026-03-20T07:30:00Z"), now, "type",
		      "delivery evidence is taken only when dated before the end");
	/* ... but evidence of delivery dated before the end is a fact of then */
	e2 = mk(EV_POST_DELIVERED, "2026-03-05T10:00:00Z");
	assert_int_equal(rules_check_event(&f, &e2, now, &err), MU_OK);
	e2 = mk(EV_CANCELLED, "2026-03-05T10:00:00Z");
	expect_reject(&f, e2, now, "type", "already ended by appeared");
	assert_int_equal(rules_check_event(&f, &e, now, &err), MU_OK);
	evs[3] = e;
	f.n_events = 4;
	expect_reject(&f, e, now, "type", "already ended by appeared");
	/* ended by an upheld appeal */
	evs[1].type = EV_APPEALED;
	evs[2] = mk(EV_APPEAL_DECIDED, "2026-03-12T00:00:00Z");
	evs[2].outcome = AO_UPHELD;
	f.n_events = 3;
	expect_reject(&f, mk(EV_APPEARED, "2026-03-20T00:00:00Z"), now, "type",
		      "already ended by appeal_decided");
}

static void test_check_report(void **state)
{
	int64_t from = ts("2026-03-02T09:00:00Z");
	int64_t max = (int64_t)RULES_REPORT_AHEAD_MAX_DAYS * 86400;
	struct mu_error err;

	(void)state;
	assert_int_equal(rules_check_report(from, from + 1, "report_at",
					    "the issue instant", &err), MU_OK);
	assert_int_equal(rules_check_report(from, from + max - 1, "report_at",
					    "the issue instant", &err), MU_OK);
	assert_int_equal(rules_check_report(from, from, "report_at",
					    "the issue instant", &err), MU_EINVAL);
	assert_string_equal(err.field, "report_at");
	assert_string_equal(err.detail,
			    "report_at must lie after the issue instant");
	assert_int_equal(rules_check_report(from, MU_T_NONE, "report_at",
					    "the issue instant", &err), MU_EINVAL);
	assert_int_equal(rules_check_report(from, from + max, "report_at",
					    "the issue instant", &err), MU_EINVAL);
	assert_non_null(strstr(err.detail, "less than 3660 days after"));
}

/* ---- next_change over several summonses, explanations ---- */

static void test_next_change_merge(void **state)
{
	struct sm_eval ev[2];

	(void)state;
	memset(ev, 0, sizeof(ev));
	/* summons A: exit [100, 200), then [200, 300) from another rule:
	 * the set does not change at 200 */
	ev[0].n_intervals = 2;
	ev[0].intervals[0] = (struct rule_interval){RK_EXIT, 0, 100, 200};
	ev[0].intervals[1] = (struct rule_interval){RK_EXIT, 1, 200, 300};
	assert_int_equal(rules_next_change(ev, 1, 0), 100);
	assert_int_equal(rules_next_change(ev, 1, 100), 300);
	assert_int_equal(rules_next_change(ev, 1, 150), 300);
	assert_int_equal(rules_next_change(ev, 1, 300), MU_T_NONE);
	/* summons B: exit [250, open): (kind, summons) pairs differ at 250 */
	ev[1].n_intervals = 1;
	ev[1].intervals[0] = (struct rule_interval){RK_EXIT, 0, 250, MU_T_NONE};
	assert_int_equal(rules_next_change(ev, 2, 150), 250);
	assert_int_equal(rules_next_change(ev, 2, 250), 300);
	assert_int_equal(rules_next_change(ev, 2, 300), MU_T_NONE);
	assert_int_equal(rules_next_change(ev, 0, 0), MU_T_NONE);
}

static void explain_first(const char *profile, const char *zone,
			  const char *issued, const char *report,
			  const struct sm_event *evs, size_t n, const char *at,
			  enum restr_kind kind, char *buf, size_t size)
{
	struct profile *p = load(profile);
	struct sm_facts f = {.id = "S-1", .zone = zone, .issued_at = ts(issued),
			     .report_at = ts(report), .events = evs,
			     .n_events = n};
	struct sm_eval ev;
	int64_t t = ts(at);

	assert_int_equal(rules_eval(p, &f, t, &ev), MU_OK);
	buf[0] = '\0';
	for (size_t i = 0; i < ev.n_intervals; i++)
		if (ev.intervals[i].kind == kind && ev.intervals[i].from <= t &&
		    t < ev.intervals[i].until)
			rules_explain(p, &f, &ev, &ev.intervals[i], NULL, buf,
				      size);
	profile_free(p);
	print_message("%s\n", buf);
}

static void expect_words(const char *text, const char *words)
{
	if (!strstr(text, words))
		fail_msg("explanation lacks \"%s\": %s", words, text);
}

static void test_explain(void **state)
{
	char buf[1024];
	struct sm_event e[3] = {
		{1, EV_HANDED, ts("2026-03-03T10:00:00Z"), 0, MU_T_NONE, AO_NONE},
		{2, EV_APPEALED, ts("2026-03-25T10:00:00Z"), 0, MU_T_NONE, AO_NONE},
		{3, EV_APPEAL_DECIDED, ts("2026-04-01T10:00:00Z"), 0, MU_T_NONE,
		 AO_REJECTED},
	};

	(void)state;
	explain_first("ru-2023", "Asia/Vladivostok", "2026-03-02T22:30:00Z",
		      "2026-03-20T00:00:00Z", NULL, 0, "2026-03-11T00:00:00Z",
		      RK_EXIT, buf, sizeof(buf));
	assert_string_equal(buf,
		"Leaving the country is barred since 11 March 2026 00:00 "
		"(Asia/Vladivostok time) because summons S-1 was deemed "
		"delivered 7 days after its publication on 3 March 2026. It "
		"lifts when you appear at the office, when the office accepts a "
		"valid reason for your absence without setting a new report "
		"date, when the summons is cancelled, or when an appeal against "
		"it is upheld.");
	explain_first("ru-2023", "Europe/Moscow", "2026-03-02T09:00:00Z",
		      "2026-03-20T07:00:00Z", e, 1, "2026-04-10T00:00:00Z",
		      RK_DRIVING, buf, sizeof(buf));
	expect_words(buf, "Driving (the right to drive is suspended) is barred "
			  "since 10 April 2026 00:00 (Europe/Moscow time)");
	expect_words(buf, "handed to you in person on 3 March 2026 13:00");
	expect_words(buf, "did not appear at the office within 20 days after "
			  "the report date");
	expect_words(buf, "20 March 2026 10:00");
	expect_words(buf, "valid reason for your absence");
	assert_null(strstr(buf, "suspends"));
	explain_first("generic", "Europe/Moscow", "2026-03-02T09:00:00Z",
		      "2026-03-20T07:00:00Z", e, 3, "2026-04-02T00:00:00Z",
		      RK_EXIT, buf, sizeof(buf));
	expect_words(buf, "since 1 April 2026 13:00");
	expect_words(buf, "by the end of the report date");
	expect_words(buf, "your appeal was rejected on 1 April 2026 13:00");
	expect_words(buf, "Lodging an appeal against the summons suspends it");
	/* a small buffer is truncated, never overrun */
	explain_first("generic", "Europe/Moscow", "2026-03-02T09:00:00Z",
		      "2026-03-20T07:00:00Z", e, 3, "2026-04-02T00:00:00Z",
		      RK_EXIT, buf, 20);
	assert_int_equal(strlen(buf), 19);
}

static void test_eval_errors(void **state)
{
	struct profile *p = load("ru-2023");
	struct sm_facts f = {.id = "S-1", .zone = "Mars/Olympus",
			     .issued_at = 0, .report_at = 86400 * 30};
	struct sm_event many[RULES_MAX_INTERVALS];
	struct sm_eval ev;

	(void)state;
	assert_int_equal(rules_eval(p, &f, 86400, &ev), MU_EINVAL);
	/* repeated excuses each restarting the 20-day period: too many */
	f.zone = "UTC";
	f.report_at = 86400;
	for (int i = 0; i < RULES_MAX_INTERVALS; i++) {
		many[i] = (struct sm_event){i + 1, EV_EXCUSED,
			86400LL * 40 * (i + 1), 0, 86400LL * (40 * (i + 1) + 1),
			AO_NONE};
	}
	f.events = many;
	f.n_events = RULES_MAX_INTERVALS;
	assert_int_equal(rules_eval(p, &f, 86400LL * 40 * 80, &ev), MU_ETOOBIG);
	profile_free(p);
}

static void test_names(void **state)
{
	(void)state;
	for (int t = 0; t < EV__COUNT; t++)
		assert_int_equal(ev_type_parse(ev_type_name((enum ev_type)t)), t);
	for (int k = 0; k < RK__COUNT; k++) {
		assert_int_equal(restr_kind_parse(restr_kind_name((enum restr_kind)k)), k);
		assert_non_null(restr_kind_phrase((enum restr_kind)k));
	}
	for (int u = 0; u < PU__COUNT; u++) {
		assert_int_equal(purpose_parse(purpose_name((enum purpose)u)), u);
		assert_non_null(purpose_phrase((enum purpose)u));
	}
	assert_string_equal(summons_state_name(SS_OVERDUE), "overdue");
	assert_string_equal(restr_kind_phrase(RK_EXIT), "leave the country");
	assert_string_equal(purpose_phrase(PU_MEDICAL_EXAM), "Medical examination");
	assert_null(ev_type_name(EV__COUNT));
	assert_null(restr_kind_name(RK__COUNT));
	assert_null(summons_state_name((enum summons_state)6));
	assert_null(purpose_name(PU__COUNT));
	assert_int_equal(ev_type_parse("nothing"), -1);
	assert_int_equal(ev_type_parse(NULL), -1);
	assert_int_equal(restr_kind_parse("nothing"), -1);
	assert_int_equal(purpose_parse("nothing"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_builtin_profiles),
		cmocka_unit_test(test_profile_errors),
		cmocka_unit_test(test_check_event),
		cmocka_unit_test(test_check_report),
		cmocka_unit_test(test_next_change_merge),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_eval_errors),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
