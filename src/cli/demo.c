/*
 * demo.c: `muster demo` builds a synthetic register (offices in every
 * Russian time zone, plausible persons, a few summonses in telling states)
 * and a token for each role, prints them, then serves.
 *
 * Deterministic: the same --persons gives the same register.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "http/server.h"

#define DEMO_BATCH 5000

static const struct { const char *id, *name, *region, *zone; } demo_offices[] = {
	{"KGD", "Kaliningrad city enlistment office", "Kaliningrad", "Europe/Kaliningrad"},
	{"MOW", "Moscow central enlistment office", "Moscow", "Europe/Moscow"},
	{"SMR", "Samara enlistment office", "Samara", "Europe/Samara"},
	{"EKB", "Yekaterinburg enlistment office", "Sverdlovsk", "Asia/Yekaterinburg"},
	{"OMS", "Omsk enlistment office", "Omsk", "Asia/Omsk"},
	{"KJA", "Krasnoyarsk enlistment office", "Krasnoyarsk", "Asia/Krasnoyarsk"},
	{"IKT", "Irkutsk enlistment office", "Irkutsk", "Asia/Irkutsk"},
	{"YKS", "Yakutsk enlistment office", "Sakha", "Asia/Yakutsk"},
	{"VVO", "Vladivostok enlistment office", "Primorye", "Asia/Vladivostok"},
	{"GDX", "Magadan enlistment office", "Magadan", "Asia/Magadan"},
	{"PKC", "Petropavlovsk-Kamchatsky enlistment office", "Kamchatka", "Asia/Kamchatka"},
};
#define N_OFFICES (sizeof(demo_offices) / sizeof(demo_offices[0]))

static const char *const family[] = {
	"Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов",
	"Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев",
	"Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев", "Орлов",
	"Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв", "Борисов",
};
static const char *const given_m[] = {
	"Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём",
	"Илья", "Кирилл", "Михаил", "Никита", "Матвей", "Роман", "Егор", "Иван",
};
static const char *const given_f[] = {
	"Анна", "Мария", "Елена", "Дарья", "Алина", "Ирина", "Екатерина", "Полина",
};
static const char *const patr[] = {
	"Александров", "Дмитриев", "Сергеев", "Андреев", "Алексеев", "Михайлов",
	"Иванов", "Николаев", "Владимиров", "Петров",
};
#define PICK(a, r) (a)[(r) % (sizeof(a) / sizeof((a)[0]))]

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void make_person(uint64_t i, uint64_t *seed, int64_t now, struct person *p)
{
	int y, m, d;
	int64_t days = now / 86400 - 18 * 365 - (int64_t)(rng(seed) % (12 * 365));
	size_t o = rng(seed) % N_OFFICES;
	int female = rng(seed) % 10 == 0;
	static const char fit[] = "AAAABBBBVGD";

	memset(p, 0, sizeof(*p));
	snprintf(p->national_id, sizeof(p->national_id), "RU-%010llu", (unsigned long long)i);
	snprintf(p->family_name, sizeof(p->family_name), "%s%s", PICK(family, rng(seed)),
		 female ? "а" : "");
	snprintf(p->given_name, sizeof(p->given_name), "%s",
		 female ? PICK(given_f, rng(seed)) : PICK(given_m, rng(seed)));
	snprintf(p->patronymic, sizeof(p->patronymic), "%s%s", PICK(patr, rng(seed)),
		 female ? "на" : "ич");
	mu_civil_from_days(days, &y, &m, &d);
	snprintf(p->birth_date, sizeof(p->birth_date), "%04d-%02d-%02d", y, m, d);
	p->sex = female ? 'F' : 'M';
	snprintf(p->region, sizeof(p->region), "%s", demo_offices[o].region);
	snprintf(p->office, sizeof(p->office), "%s", demo_offices[o].id);
	snprintf(p->address, sizeof(p->address), "%s, ул. Ленина, д. %llu, кв. %llu",
		 demo_offices[o].region, (unsigned long long)(rng(seed) % 200 + 1),
		 (unsigned long long)(rng(seed) % 300 + 1));
	snprintf(p->phone, sizeof(p->phone), "+79%09llu",
		 (unsigned long long)(rng(seed) % 1000000000ULL));
	p->fitness = female ? 0 : fit[rng(seed) % (sizeof(fit) - 1)];
	if (p->fitness == 'D' && i <= 10)
		p->fitness = 'A'; /* keep the showcase persons summonable */
	snprintf(p->source, sizeof(p->source), "demo");
}

static enum mu_err make_offices(struct store *st, struct mu_error *err)
{
	struct audit_ctx c = {.role = "cli", .purpose = "demo", .at = mu_now()};

	for (size_t i = 0; i < N_OFFICES; i++) {
		struct office o = {0};
		enum mu_err rc;
		snprintf(o.id, sizeof(o.id), "%s", demo_offices[i].id);
		snprintf(o.name, sizeof(o.name), "%s", demo_offices[i].name);
		snprintf(o.region, sizeof(o.region), "%s", demo_offices[i].region);
		snprintf(o.timezone, sizeof(o.timezone), "%s", demo_offices[i].zone);
		o.daily_capacity = OFFICE_DEFAULT_CAPACITY;
		if ((rc = store_office_create(st, &o, &c, err)))
			return rc;
	}
	return MU_OK;
}

static enum mu_err make_persons(struct store *st, uint64_t n, struct mu_error *err)
{
	struct person *batch = calloc(DEMO_BATCH, sizeof(*batch));
	struct audit_ctx c = {.role = "cli", .purpose = "demo register", .at = mu_now()};
	uint64_t seed = 0x9E3779B97F4A7C15ULL;
	enum mu_err rc = batch ? MU_OK : MU_ENOMEM;
	size_t changed;

	for (uint64_t i = 1; rc == MU_OK && i <= n;) {
		size_t k = 0;
		while (k < DEMO_BATCH && i <= n)
			make_person(i++, &seed, c.at, &batch[k++]);
		rc = store_person_put_many(st, batch, k, &c, &changed, err);
	}
	free(batch);
	return rc;
}

/* A few summonses that show the law at work, dated in the past. */
static enum mu_err make_showcase(struct app *a, uint64_t n, struct mu_error *err)
{
	static const struct { int person; int issued_days_ago, report_days_ahead;
			      enum ev_type ev; int ev_days_ago; } cases[] = {
		{1, 40, -30, EV__COUNT, 0},     /* overdue: every bar */
		{2, 10, 5, EV__COUNT, 0},       /* deemed delivered: exit bar */
		{3, 2, 10, EV_HANDED, 1},       /* handed: exit bar */
		{4, 40, -30, EV_APPEARED, 31},  /* appeared: nothing */
		{5, 3, 20, EV__COUNT, 0},       /* published, pending */
	};
	int64_t now = mu_now();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) && (uint64_t)cases[i].person <= n; i++) {
		char nid[NATIONAL_ID_MAX + 1];
		struct audit_ctx c = {.role = "cli", .purpose = "demo",
				      .at = now - cases[i].issued_days_ago * 86400LL};
		struct issue_req q = {nid, NULL, "medical_exam",
				      now + cases[i].report_days_ahead * 86400LL, NULL, NULL, 0};
		struct summons s;
		enum mu_err rc;
		snprintf(nid, sizeof(nid), "RU-%010d", cases[i].person);
		if ((rc = app_issue(a, &q, &c, &s, err)))
			return rc;
		if (cases[i].ev != EV__COUNT) {
			struct event_rec ev = {0};
			ev.ev.type = cases[i].ev;
			ev.ev.at = ev.ev.recorded_at = now - cases[i].ev_days_ago * 86400LL;
			ev.ev.new_report_at = MU_T_NONE;
			snprintf(ev.actor_role, sizeof(ev.actor_role), "cli");
			c.at = ev.ev.at;
			if ((rc = app_record_event(a, s.id, &ev, &c, NULL, err)))
				return rc;
		}
	}
	return app_reconcile_due(a, now, &(size_t){0});
}

static enum mu_err print_tokens(struct store *st, uint64_t n, struct mu_error *err)
{
	static const char *const kinds[] = {"exit", "credit", "real_estate",
		"business_registration", "vehicle_registration", "driving",
		"foreign_passport"};
	static const struct { enum role r; const char *office, *label; } roles[] = {
		{ROLE_ADMIN, NULL, "admin"}, {ROLE_CLERK, NULL, "clerk (national)"},
		{ROLE_CLERK, "MOW", "clerk (office MOW)"}, {ROLE_COMMISSAR, NULL, "commissar"},
		{ROLE_MEDICAL_BOARD, NULL, "medical_board"}, {ROLE_AUDITOR, NULL, "auditor"},
		{ROLE_CHANNEL, NULL, "channel"},
	};
	char secret[64];
	enum mu_err rc = MU_OK;

	printf("\ntokens (shown once):\n");
	for (size_t i = 0; rc == MU_OK && i < sizeof(roles) / sizeof(roles[0]); i++) {
		rc = cli_make_token(st, roles[i].r, roles[i].office, NULL, NULL,
				    roles[i].label, secret, sizeof(secret), err);
		if (rc == MU_OK)
			printf("  %-28s %s\n", roles[i].label, secret);
	}
	for (size_t i = 0; rc == MU_OK && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		rc = cli_make_token(st, ROLE_AGENCY, NULL, kinds[i], NULL, kinds[i], secret,
				    sizeof(secret), err);
		if (rc == MU_OK)
			printf("  agency %-21s %s\n", kinds[i], secret);
	}
	for (int i = 1; rc == MU_OK && i <= 5 && (uint64_t)i <= n; i++) {
		char nid[NATIONAL_ID_MAX + 1];
		snprintf(nid, sizeof(nid), "RU-%010d", i);
		rc = cli_make_token(st, ROLE_CITIZEN, NULL, NULL, nid, "demo citizen", secret,
				    sizeof(secret), err);
		if (rc == MU_OK)
			printf("  citizen %-20s %s\n", nid, secret);
	}
	return rc;
}

struct demo_args {
	const char *db, *listen, *profile;
	uint64_t persons;
	int serve, test_clock;
};

static int parse_args(int argc, char **argv, struct demo_args *d)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"persons", required_argument, NULL, 'n'},
		{"listen", required_argument, NULL, 'l'},
		{"profile", required_argument, NULL, 'p'},
		{"no-serve", no_argument, NULL, 's'},
		{"test-clock", no_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		switch (c) {
		case 'd': d->db = optarg; break;
		case 'l': d->listen = optarg; break;
		case 'p': d->profile = optarg; break;
		case 's': d->serve = 0; break;
		case 'c': d->test_clock = 1; break;
		case 'n':
			d->persons = strtoull(optarg, &end, 10);
			if (*end || d->persons < 10 || d->persons > 50000000)
				return cli_usage("demo", "--persons must be 10..50000000");
			break;
		default: return cli_usage("demo", "bad option '%.60s'", cli_bad_option());
		}
	}
	d->db = cli_db(d->db);
	if (!d->db)
		return cli_usage("demo", "--db PATH is required");
	return 0;
}

static enum mu_err build(struct demo_args *d, struct app **out, struct mu_error *err)
{
	const char *text = rules_builtin_profile(d->profile);
	struct store_options opt = {.create = 1};
	struct store *st = NULL;
	enum mu_err rc;

	if (!text)
		return mu_fail(err, MU_EINVAL, "profile", "unknown profile '%.40s'", d->profile);
	rc = store_open(d->db, &opt, &st, err);
	if (rc == MU_OK)
		rc = store_meta_set(st, "profile", text);
	if (rc == MU_OK)
		rc = store_meta_set(st, "profile_id", d->profile);
	if (rc == MU_OK)
		rc = make_offices(st, err);
	if (rc == MU_OK)
		rc = make_persons(st, d->persons, err);
	store_close(st);
	if (rc == MU_OK)
		rc = app_open(d->db, NULL, out, err);
	if (rc == MU_OK)
		rc = make_showcase(*out, d->persons, err);
	if (rc == MU_OK)
		rc = print_tokens((*out)->st, d->persons, err);
	return rc;
}

int cmd_demo(int argc, char **argv)
{
	struct demo_args d = {.listen = "127.0.0.1:8080", .profile = "ru-2023",
			      .persons = 100000, .serve = 1};
	struct server_opts so = {.access_log = 1, .drain_seconds = 30};
	struct mu_error e = {0};
	struct app *a = NULL;
	struct stat sb;
	int rc = parse_args(argc, argv, &d);

	if (rc)
		return rc;
	if (stat(d.db, &sb) == 0) {
		mu_fail(&e, MU_ECONFLICT, "db", "%.200s already exists; remove it first", d.db);
		return cli_fail(&e);
	}
	fprintf(stderr, "muster demo: building %llu persons in %zu offices...\n",
		(unsigned long long)d.persons, N_OFFICES);
	if (build(&d, &a, &e)) {
		app_close(a);
		return cli_fail(&e);
	}
	printf("\nregister: %s (profile %s)\nshowcase: RU-0000000001 overdue (every bar), "
	       "RU-0000000002 deemed delivered, RU-0000000003 handed, RU-0000000004 "
	       "appeared, RU-0000000005 pending\n", d.db, profile_version(a->profile));
	printf("API: http://%s/v1/  (try: curl -H 'Authorization: Bearer TOKEN' "
	       "http://%s/v1/me/status)\n", d.listen, d.listen);
	printf("citizen portal: http://%s/portal   clerk console: http://%s/console   "
	       "verify a paper summons: http://%s/verify\n", d.listen, d.listen, d.listen);
	fflush(stdout);
	if (d.serve) {
		a->test_clock = d.test_clock;
		so.listen = d.listen;
		snprintf(a->public_url, sizeof(a->public_url), "http://%s", d.listen);
		rc = server_run(a, &so, &e) ? cli_fail(&e) : 0;
	}
	app_close(a);
	return rc;
}
