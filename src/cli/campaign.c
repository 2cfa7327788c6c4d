/*
 * campaign.c: `muster campaign create|list|show|recompute|approve|cancel`,
 * the call-up campaigns of the API (POST /v1/campaigns and the routes under
 * /v1/campaigns/{id}) on the command line.
 *
 * One implementation: each subcommand calls the same use case as its HTTP
 * handler (app/app_campaign.c), and the acting officer is a token of the
 * register (--token or MUSTER_TOKEN), checked as the server checks a bearer
 * token (auth_check) and held to the roles of the route it mirrors, read
 * from the route table itself: admin drafts, a commissar who is not the
 * creator approves and cancels.
 *
 * stdout gets a human-readable account, or with --json exactly the API's
 * answer (compact JSON, one line). stderr gets errors, one line naming the
 * field, and on a terminal the approval's progress bar. Exit status: 0
 * done, 1 refused or bad input (nothing changed), 2 usage.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/app_campaign.h"
#include "cli/cli.h"
#include "http/auth.h"
#include "http/router.h"
#include "util/timefmt.h"

struct camp_args {
	const char *db, *token, *at, *reason, *body;
	int json;
	json_t *fields;             /* create: the body's keys given as options */
	json_t *crit;               /* create: the criteria given as options */
};

struct camp_cmd {
	const char *name;
	const char *method, *pattern; /* the route it mirrors: its roles apply */
	const char *purpose;          /* for the audit log */
	int takes_id;
	int (*run)(struct app *a, const struct camp_args *ca, const char *id,
		   struct audit_ctx *ctx);
};

/* ---- printing ------------------------------------------------------------ */

static const char *s_of(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "-";
}

static long long i_of(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void print_json(json_t *o)
{
	char *txt = json_dumps(o, JSON_COMPACT);

	printf("%s\n", txt ? txt : "{}");
	free(txt);
}

/* "key n, key n, ..." of an object of counts, after a label. */
static void print_counts(const char *label, json_t *o)
{
	const char *k;
	json_t *v;
	int first = 1;

	if (!json_is_object(o))
		return;
	printf("%-14s", label);
	json_object_foreach(o, k, v) {
		printf("%s%s %lld", first ? "" : ", ", k, (long long)json_integer_value(v));
		first = 0;
	}
	printf("%s\n", first ? "none" : "");
}

static void print_list(const char *label, const json_t *crit, const char *key)
{
	json_t *v = json_object_get(crit, key), *x;
	size_t i;

	if (!json_is_array(v))
		return;
	printf("  %-12s", label);
	json_array_foreach(v, i, x) {
		printf("%s%s", i ? ", " : "", json_string_value(x));
	}
	printf("\n");
}

static void print_selection(const json_t *c)
{
	const json_t *sel = json_object_get(c, "selection"), *crit = json_object_get(c, "criteria");

	printf("criteria:     born %s .. %s\n", s_of(crit, "born_from"), s_of(crit, "born_to"));
	print_list("regions", crit, "regions");
	print_list("offices", crit, "offices");
	print_list("fitness", crit, "fitness");
	if (json_object_get(crit, "sex"))
		printf("  %-12s%s\n", "sex", s_of(crit, "sex"));
	printf("selected:     %lld (eligible %lld, capacity %lld, left without a slot %lld, "
	       "quota %s)\n", i_of(c, "selected"), i_of(sel, "eligible"), i_of(sel, "capacity"),
	       i_of(sel, "unplaced_no_capacity"),
	       json_is_true(json_object_get(sel, "quota_met")) ? "met" : "not met");
	print_counts("excluded:", json_object_get(sel, "excluded"));
	print_counts("by region:", json_object_get(sel, "by_region"));
	print_counts("by office:", json_object_get(sel, "by_office"));
}

/* The report: what GET /v1/campaigns/{id} answers, for people; the
 * counts of summonses are as of `at`. */
static void print_campaign(const json_t *c, int64_t at)
{
	const json_t *counts = json_object_get(c, "counts");
	char when[MU_RFC3339_MAX];

	printf("campaign %s: %s\n", s_of(c, "id"), s_of(c, "name"));
	printf("state:        %s\n", s_of(c, "state"));
	printf("legal basis:  %s\n", s_of(c, "legal_basis")[0] ? s_of(c, "legal_basis")
							       : "(none given)");
	printf("purpose:      %s\n", s_of(c, "purpose"));
	printf("report:       %s .. %s\n", s_of(c, "report_from"), s_of(c, "report_to"));
	printf("quota:        %lld\n", i_of(c, "quota"));
	print_selection(c);
	printf("hash:         %s\n", s_of(c, "selection_hash"));
	printf("created by:   %s\n", s_of(c, "created_by"));
	if (json_object_get(c, "approved_by"))
		printf("approved by:  %s\n", s_of(c, "approved_by"));
	if (json_object_get(c, "cancel_reason"))
		printf("cancelled:    %s\n", s_of(c, "cancel_reason"));
	if (!counts)
		return;
	mu_time_format(at, when, sizeof(when));
	printf("issued:       %lld; the summonses as of %s:\n", i_of(c, "issued"), when);
	print_counts("by state:", json_object_get(counts, "by_state"));
	print_counts("by office:", json_object_get(counts, "by_office"));
	print_counts("by channel:", json_object_get(counts, "by_channel"));
	printf("reported:     %lld of quota %lld (%.1f%%)\n", i_of(c, "reported"),
	       i_of(c, "quota"),
	       100 * json_real_value(json_object_get(c, "reported_of_quota")));
}

/* A campaign's answer: the API's JSON with --json, else the report. */
static int answer(const struct camp_args *ca, json_t *o, int64_t at)
{
	if (ca->json)
		print_json(o);
	else
		print_campaign(o, at);
	json_decref(o);
	return 0;
}

/* ---- the approval's progress bar ------------------------------------------- */

struct bar {
	struct campaign_progress pr;
	int stop;                   /* atomic: the approval has returned */
	struct timespec t0;
	pthread_t th;
};

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* How far the issuing transaction is, 0..1, and the members that makes:
 * the store counts its own units of work, the app the members. */
static double bar_frac(struct bar *b, int64_t *members, int64_t *shown)
{
	int64_t units = __atomic_load_n(&b->pr.st.total, __ATOMIC_RELAXED);
	int64_t done = __atomic_load_n(&b->pr.st.done, __ATOMIC_RELAXED);
	double frac = units > 0 ? (double)done / (double)units : 0;

	*members = __atomic_load_n(&b->pr.total, __ATOMIC_RELAXED);
	if (frac > 1)
		frac = 1;
	*shown = (int64_t)(frac * (double)*members);
	return frac;
}

/* One frame, as the importer draws it: issued/total, rate, percentage, ETA. */
static void bar_draw(struct bar *b, double *issue_t0)
{
	int phase = __atomic_load_n(&b->pr.phase, __ATOMIC_RELAXED);
	int64_t members, shown;
	double el, frac = bar_frac(b, &members, &shown), rate;
	char fill[31];

	if (phase != CP_ISSUE) {
		fprintf(stderr, "\r%-10s %s%-60s", phase == CP_PREPARE ? "preparing" : "delivering",
			phase == CP_PREPARE ? "re-checking every member" : "to portal accounts", "");
		return;
	}
	if (*issue_t0 < 0)
		*issue_t0 = since(&b->t0);
	el = since(&b->t0) - *issue_t0;
	/* the first frames of the phase would extrapolate from nothing */
	rate = el > 0.5 ? (double)shown / el : 0;
	memset(fill, '#', (size_t)(frac * 30));
	memset(fill + (int)(frac * 30), '.', (size_t)(30 - (int)(frac * 30)));
	fill[30] = 0;
	if (frac >= 1)
		fprintf(stderr, "\r%-10s [%s] 100%% %10lld/%lld committing...%20s", "issuing",
			fill, (long long)shown, (long long)members, "");
	else
		fprintf(stderr, "\r%-10s [%s] %3.0f%% %10lld/%lld %9.0f/s ETA %4.0fs ", "issuing",
			fill, frac * 100, (long long)shown, (long long)members, rate,
			rate > 0 && frac > 0 ? el / frac - el : 0);
}

/* The last frame stays on the terminal: how far the transaction got. */
static void bar_final(struct bar *b)
{
	int64_t members, shown;

	bar_frac(b, &members, &shown);
	fprintf(stderr, "\r%-10s %lld/%lld members in %.2f s%60s\n", "issuing",
		(long long)shown, (long long)members, since(&b->t0), "");
}

static void *bar_main(void *arg)
{
	struct bar *b = arg;
	double issue_t0 = -1;

	while (!__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE)) {
		bar_draw(b, &issue_t0);
		fflush(stderr);
		usleep(100 * 1000);
	}
	bar_final(b);
	fflush(stderr);
	return NULL;
}

/* ---- the subcommands ----------------------------------------------------- */

static enum mu_err load(struct app *a, const char *id, struct campaign *c,
			struct mu_error *e)
{
	enum mu_err rc = store_campaign_get(a->st, id, c);

	if (rc == MU_ENOTFOUND)
		return mu_fail(e, rc, "id", "no campaign %.30s", id);
	if (rc)
		return mu_fail(e, rc, "id", "cannot read %.30s", id);
	return MU_OK;
}

/* The draft's body: --body FILE (the API's JSON; '-' is stdin), with the
 * options laid over it. */
static enum mu_err create_body(const struct camp_args *ca, json_t **out, struct mu_error *e)
{
	json_error_t je;
	json_t *b = json_object(), *crit;

	if (ca->body) {
		json_decref(b);
		b = strcmp(ca->body, "-") ? json_load_file(ca->body, 0, &je)
					  : json_loadf(stdin, 0, &je);
		if (!json_is_object(b)) {
			json_decref(b);
			return mu_fail(e, MU_EINVAL, "body", "%.200s: not a JSON object (line %d: "
				       "%.100s)", ca->body, je.line, je.text);
		}
	}
	json_object_update(b, ca->fields);
	crit = json_object_get(b, "criteria");
	if (json_object_size(ca->crit) && json_is_object(crit))
		json_object_update(crit, ca->crit);
	else if (json_object_size(ca->crit))
		json_object_set(b, "criteria", ca->crit);
	*out = b;
	return MU_OK;
}

static int do_create(struct app *a, const struct camp_args *ca, const char *id,
		     struct audit_ctx *ctx)
{
	struct campaign_req q;
	struct campaign c;
	struct mu_error e = {0};
	json_t *b = NULL;
	char *crit = NULL;

	if (create_body(ca, &b, &e) || app_campaign_parse(b, ctx->at, &q, &crit, &e) ||
	    app_campaign_draft(a, &q, ctx, &c, &e)) {
		free(crit);
		json_decref(b);
		return cli_fail(&e);
	}
	free(crit);
	json_decref(b);
	return answer(ca, app_campaign_json(a, &c, ctx->at), ctx->at);
}

static int do_list(struct app *a, const struct camp_args *ca, const char *id,
		   struct audit_ctx *ctx)
{
	struct mu_error e = {0};
	json_t *o = app_campaign_list_json(a), *v;
	size_t i;

	if (!o) {
		mu_fail(&e, MU_EIO, NULL, "cannot list campaigns");
		return cli_fail(&e);
	}
	if (ca->json) {
		print_json(o);
	} else {
		json_array_foreach(json_object_get(o, "campaigns"), i, v) {
			printf("%-14s %-9s %9lld selected %9lld issued  %s\n", s_of(v, "id"),
			       s_of(v, "state"), i_of(v, "selected"), i_of(v, "issued"),
			       s_of(v, "name"));
		}
		printf("%zu campaigns\n", json_array_size(json_object_get(o, "campaigns")));
	}
	json_decref(o);
	return 0;
}

static int do_show(struct app *a, const struct camp_args *ca, const char *id,
		   struct audit_ctx *ctx)
{
	struct campaign c;
	struct mu_error e = {0};
	int64_t at = ctx->at;

	if (ca->at && mu_time_parse(ca->at, &at) != MU_OK) {
		mu_fail(&e, MU_EINVAL, "at", "--at must be an RFC 3339 instant with an offset");
		return cli_fail(&e);
	}
	if (load(a, id, &c, &e))
		return cli_fail(&e);
	return answer(ca, app_campaign_json(a, &c, at), at);
}

static int do_recompute(struct app *a, const struct camp_args *ca, const char *id,
			struct audit_ctx *ctx)
{
	struct campaign c;
	struct mu_error e = {0};

	if (load(a, id, &c, &e) || app_campaign_recompute(a, &c, ctx, &e))
		return cli_fail(&e);
	return answer(ca, app_campaign_json(a, &c, ctx->at), ctx->at);
}

static int do_approve(struct app *a, const struct camp_args *ca, const char *id,
		      struct audit_ctx *ctx)
{
	struct campaign c;
	struct mu_error e = {0};
	struct bar b = {0};
	int tty = isatty(STDERR_FILENO), drawing = 0;
	json_t *rep = NULL;
	enum mu_err rc;

	if (load(a, id, &c, &e))
		return cli_fail(&e);
	clock_gettime(CLOCK_MONOTONIC, &b.t0);
	/* the bar is drawn by its own thread: the issuing is one transaction on
	 * the writer thread, and this one waits for it */
	if (tty && !ca->json)
		drawing = pthread_create(&b.th, NULL, bar_main, &b) == 0;
	rc = app_campaign_approve(a, &c, ctx, &rep, &b.pr, &e);
	__atomic_store_n(&b.stop, 1, __ATOMIC_RELEASE);
	if (drawing)
		pthread_join(b.th, NULL);
	if (rc)
		return cli_fail(&e);
	if (ca->json)
		print_json(rep);
	else
		printf("campaign %s issued: %lld summonses, %zu members left out%s, %.2f s\n",
		       c.id, i_of(rep, "issued"), json_array_size(json_object_get(rep, "excluded")),
		       json_array_size(json_object_get(rep, "excluded")) ? " (--json lists them)" : "",
		       since(&b.t0));
	json_decref(rep);
	return 0;
}

static int do_cancel(struct app *a, const struct camp_args *ca, const char *id,
		     struct audit_ctx *ctx)
{
	struct campaign c;
	struct mu_error e = {0};
	size_t n = 0;
	json_t *o;

	if (load(a, id, &c, &e) || app_campaign_cancel(a, &c, ca->reason, ctx, &n, &e))
		return cli_fail(&e);
	o = app_campaign_cancel_json(&c, n);
	if (ca->json)
		print_json(o);
	else
		printf("campaign %s cancelled: %zu summonses cancelled, their restrictions "
		       "lifted\n", c.id, n);
	json_decref(o);
	return 0;
}

static const struct camp_cmd camp_cmds[] = {
	{"create", "POST", "/v1/campaigns", "draft campaign", 0, do_create},
	{"list", "GET", "/v1/campaigns", "list campaigns", 0, do_list},
	{"show", "GET", "/v1/campaigns/{id}", "read campaign", 1, do_show},
	{"recompute", "POST", "/v1/campaigns/{id}/recompute", "recompute campaign", 1,
	 do_recompute},
	{"approve", "POST", "/v1/campaigns/{id}/approve", "approve campaign", 1, do_approve},
	{"cancel", "POST", "/v1/campaigns/{id}/cancel", "cancel campaign", 1, do_cancel},
	{NULL, NULL, NULL, NULL, 0, NULL},
};

/* ---- the command line ------------------------------------------------------ */

/* --region a,b --region c: append each comma-separated value. */
static void add_list(json_t *crit, const char *key, const char *v)
{
	json_t *arr = json_object_get(crit, key);
	const char *p = v;

	if (!arr) {
		arr = json_array();
		json_object_set_new(crit, key, arr);
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		if (n)
			json_array_append_new(arr, json_stringn(p, n));
		p += n + (p[n] == ',');
	}
}

/* A quota that is not a number goes on as a string, for the one check to
 * refuse with the field's name. */
static json_t *number_or_text(const char *v)
{
	char *end;
	long long n = strtoll(v, &end, 10);

	return *v && !*end ? json_integer(n) : json_string(v);
}

static const struct option camp_opts[] = {
	{"db", required_argument, NULL, 'd'},
	{"token", required_argument, NULL, 't'},
	{"json", no_argument, NULL, 'j'},
	{"at", required_argument, NULL, 'a'},
	{"reason", required_argument, NULL, 'r'},
	{"body", required_argument, NULL, 'b'},
	{"name", required_argument, NULL, 'N'},
	{"legal-basis", required_argument, NULL, 'L'},
	{"purpose", required_argument, NULL, 'P'},
	{"report-from", required_argument, NULL, 'F'},
	{"report-to", required_argument, NULL, 'T'},
	{"quota", required_argument, NULL, 'Q'},
	{"born-from", required_argument, NULL, 'B'},
	{"born-to", required_argument, NULL, 'E'},
	{"region", required_argument, NULL, 'R'},
	{"office", required_argument, NULL, 'O'},
	{"fitness", required_argument, NULL, 'I'},
	{"sex", required_argument, NULL, 'S'},
	{NULL, 0, NULL, 0},
};

static int parse_opt(int c, struct camp_args *ca)
{
	static const struct { int c; const char *key; int crit; } keys[] = {
		{'N', "name", 0}, {'L', "legal_basis", 0}, {'P', "purpose", 0},
		{'F', "report_from", 0}, {'T', "report_to", 0}, {'B', "born_from", 1},
		{'E', "born_to", 1}, {'S', "sex", 1},
	};

	switch (c) {
	case 'd': ca->db = optarg; return 0;
	case 't': ca->token = optarg; return 0;
	case 'j': ca->json = 1; return 0;
	case 'a': ca->at = optarg; return 0;
	case 'r': ca->reason = optarg; return 0;
	case 'b': ca->body = optarg; return 0;
	case 'Q': json_object_set_new(ca->fields, "quota", number_or_text(optarg)); return 0;
	case 'R': add_list(ca->crit, "regions", optarg); return 0;
	case 'O': add_list(ca->crit, "offices", optarg); return 0;
	case 'I': add_list(ca->crit, "fitness", optarg); return 0;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].c == c) {
			json_object_set_new(keys[i].crit ? ca->crit : ca->fields, keys[i].key,
					    json_string(optarg));
			return 0;
		}
	return -1;
}

/* The options that only `create` takes, given to another subcommand. */
static int misplaced(const struct camp_cmd *cc, const struct camp_args *ca)
{
	int draft = !strcmp(cc->name, "create");

	if (!draft && (ca->body || json_object_size(ca->fields) || json_object_size(ca->crit)))
		return cli_usage("campaign", "only create takes the campaign's fields");
	if (ca->at && strcmp(cc->name, "show"))
		return cli_usage("campaign", "only show takes --at");
	if (ca->reason && strcmp(cc->name, "cancel"))
		return cli_usage("campaign", "only cancel takes --reason");
	return 0;
}

static int parse(int argc, char **argv, struct camp_args *ca, const struct camp_cmd **cmd)
{
	const struct camp_cmd *cc = camp_cmds;
	int c, want;

	if (argc < 2)
		return cli_usage("campaign", "say what to do: create, list, show, recompute, "
				 "approve or cancel");
	while (cc->name && strcmp(cc->name, argv[1]))
		cc++;
	if (!cc->name)
		return cli_usage("campaign", "no subcommand '%.40s'", argv[1]);
	optind = 2;
	while ((c = cli_getopt(argc, argv, camp_opts)) != -1)
		if (parse_opt(c, ca))
			return cli_usage("campaign", "bad option '%.60s'", cli_bad_option());
	ca->db = cli_db(ca->db);
	if (!ca->token)
		ca->token = getenv("MUSTER_TOKEN");
	if (!ca->db)
		return cli_usage("campaign", "--db PATH is required");
	if (!ca->token || !ca->token[0])
		return cli_usage("campaign", "--token TOKEN (or MUSTER_TOKEN) is required");
	want = optind + cc->takes_id;
	if (argc != want)
		return cli_usage("campaign", cc->takes_id ? "give one campaign ID" :
				 "no arguments besides the options");
	*cmd = cc;
	return misplaced(cc, ca);
}

/* The acting officer: a valid token whose role the mirrored route admits,
 * with the server's own words when it does not. */
static enum mu_err officer(struct app *a, const struct camp_cmd *cc, const char *secret,
			   struct token *t, struct mu_error *e)
{
	char header[128];
	const struct route *rt = api_routes;

	snprintf(header, sizeof(header), "Bearer %.100s", secret);
	if (auth_check(a->st, header, t) != MU_OK)
		return mu_fail(e, MU_EUNAUTH, "token", "the token is malformed, unknown or revoked");
	while (rt->method && (strcmp(rt->method, cc->method) || strcmp(rt->pattern, cc->pattern)))
		rt++;
	if (!rt->method)
		return mu_fail(e, MU_EINTERNAL, NULL, "no route %s %s", cc->method, cc->pattern);
	if (!(rt->roles & ROLE_BIT(t->role)))
		return mu_fail(e, MU_EFORBIDDEN, "token", "%s %s token may not %s %s",
			       strchr("aeiou", role_name(t->role)[0]) ? "an" : "a",
			       role_name(t->role), rt->method, rt->pattern);
	return MU_OK;
}

static int run(const struct camp_cmd *cc, const struct camp_args *ca, const char *id)
{
	struct mu_error e = {0};
	struct token t;
	struct audit_ctx ctx = {.request_id = "cli"};
	struct app *a;
	int st;

	if (app_open(ca->db, NULL, &a, &e))
		return cli_fail(&e);
	if (officer(a, cc, ca->token, &t, &e)) {
		app_close(a);
		return cli_fail(&e);
	}
	ctx.token_id = t.id;
	ctx.role = role_name(t.role);
	ctx.office = t.office;
	ctx.purpose = cc->purpose;
	ctx.at = mu_now();
	st = cc->run(a, ca, id, &ctx);
	app_close(a);
	return st;
}

int cmd_campaign(int argc, char **argv)
{
	struct camp_args ca = {0};
	const struct camp_cmd *cc = NULL;
	int st;

	ca.fields = json_object();
	ca.crit = json_object();
	st = parse(argc, argv, &ca, &cc);
	if (st == 0)
		st = run(cc, &ca, cc->takes_id ? argv[optind] : NULL);
	json_decref(ca.fields);
	json_decref(ca.crit);
	return st;
}
