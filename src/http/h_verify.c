/*
 * h_verify.c: public verification of a paper summons, and the printable
 * summons itself.
 *
 * GET /v1/verify/{code} tells anyone whether a summons is genuine and still
 * valid: office, purpose, report time, state. Never the person. Codes are
 * 20 characters of base32 (100 bits), and each client address gets a small
 * token bucket, so enumeration gets nowhere: 429 with Retry-After.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/daycount.h"
#include "http/api.h"
#include "http/ratelimit.h"
#include "print/summons_pdf.h"

/* a client may make 120 requests at once, then 2 a second */
static struct ratelimit verify_rl = RATELIMIT_INIT(120.0, 2.0);

static int code_shape_ok(const char *code)
{
	size_t n = strlen(code);

	if (n != VCODE_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", code[i]))
			return 0;
	return 1;
}

static json_t *time_json(int64_t t)
{
	char buf[MU_RFC3339_MAX];

	mu_time_format(t, buf, sizeof(buf));
	return json_string(buf);
}

void h_verify(struct api_req *r)
{
	char addr[48];
	struct summons_rec *rec = NULL;
	struct sm_facts f;
	struct sm_eval *ev;
	int wait;
	json_t *o;

	api_client_addr(r, addr, sizeof(addr));
	if ((wait = ratelimit_take(&verify_rl, addr, NULL))) {
		r->retry_after = wait;
		api_fail(r, MU_ELIMIT, NULL, "too many verification requests from your "
			 "address; try again in %d s", wait);
		return;
	}
	if (!code_shape_ok(r->params[0]) ||
	    store_summons_by_code(r->app->st, r->params[0], &rec) != MU_OK) {
		api_json(r, 200, json_pack("{s:b, s:s}", "valid", 0, "reason",
					   "no summons has this verification code"));
		return;
	}
	ev = malloc(sizeof(*ev));
	app_facts(&(struct summons_set){1, rec, 0}, &f);
	if (!ev || rules_eval(r->app->profile, &f, r->now, ev) != MU_OK) {
		free(ev);
		summons_rec_free(rec);
		api_fail(r, MU_EINTERNAL, NULL, "the summons cannot be evaluated");
		return;
	}
	/* the state only as in force or ended: "overdue", "reported" or
	 * "excused" would tell whoever holds the paper (an employer, a
	 * landlord) whether its holder complied, and hence is restricted */
	o = json_pack("{s:b, s:s, s:s, s:s, s:s, s:o, s:o, s:s}",
		      "valid", ev->ended_at == MU_T_NONE, "state",
		      ev->ended_at == MU_T_NONE ? "in_force" : "ended",
		      "office", rec->s.office, "office_name", rec->office_name,
		      "purpose", purpose_name(rec->s.purpose) ?: "",
		      "issued_at", time_json(rec->s.issued_at),
		      "report_at", time_json(ev->report_at), "office_timezone", rec->zone);
	free(ev);
	summons_rec_free(rec);
	api_json(r, 200, o);
}

static void person_line(const struct person *p, char *buf, size_t size)
{
	snprintf(buf, size, "%s %s%s%s", p->family_name, p->given_name,
		 p->patronymic[0] ? " " : "", p->patronymic);
}

static void report_time(const struct summons_rec *rec, char *when, size_t wsize,
			char *zone, size_t zsize)
{
	char off[16] = "";

	if (daycount_format_local(rec->zone, rec->s.report_at, when, wsize, off,
				  sizeof(off)) != MU_OK)
		mu_time_format(rec->s.report_at, when, wsize);
	snprintf(zone, zsize, "%s, UTC%s", rec->zone, off);
}

int api_print_fill(struct app *a, const struct summons_rec *rec, struct print_page *pg)
{
	if (store_person_get(a->st, rec->s.national_id, &pg->person) != MU_OK ||
	    store_office_get(a->st, rec->s.office, &pg->office) != MU_OK)
		return -1;
	person_line(&pg->person, pg->name, sizeof(pg->name));
	report_time(rec, pg->when, sizeof(pg->when), pg->zone, sizeof(pg->zone));
	snprintf(pg->url, sizeof(pg->url), "%s/verify?code=%s", a->public_url,
		 rec->s.verification_code);
	snprintf(pg->basis, sizeof(pg->basis), "%s", profile_version(a->profile));
	pg->sp = (struct summons_print){rec->s.id, pg->name, pg->person.national_id,
					pg->person.address, pg->office.name, pg->office.region,
					purpose_phrase(rec->s.purpose), pg->when, pg->zone,
					pg->basis, pg->url, rec->s.verification_code,
					profile_language(a->profile)};
	return 0;
}

void h_summonses_pdf(struct api_req *r)
{
	struct summons_rec *rec = NULL;
	struct print_page *pg = calloc(1, sizeof(*pg));
	struct mu_error e = {0};
	unsigned char *pdf = NULL;
	size_t size = 0;

	if (!pg || store_summons_get(r->app->st, r->params[0], &rec) != MU_OK ||
	    (r->tok.office[0] && strcmp(r->tok.office, rec->s.office)) ||
	    api_print_fill(r->app, rec, pg)) {
		summons_rec_free(rec);
		free(pg);
		api_fail(r, MU_ENOTFOUND, "id", "no summons %.30s in your scope", r->params[0]);
		return;
	}
	if (api_audit_read(r, "summons.print", rec->s.national_id, "summons", rec->s.id) ||
	    summons_pdf(&pg->sp, &pdf, &size, &e)) {
		if (!r->responded)
			api_problem(r, &e);
		summons_rec_free(rec);
		free(pg);
		return;
	}
	summons_rec_free(rec);
	free(pg);
	r->content_disposition = "inline; filename=\"summons.pdf\"";
	api_raw(r, 200, "application/pdf", pdf, size);
	free(pdf);
}
