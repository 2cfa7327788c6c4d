/*
 * h_post.c: registered post. The daily print batch of an office (one PDF of
 * every summons it issued that day, plus a CSV manifest for the post), and
 * postal evidence coming back as a CSV file (post_sent, post_delivered,
 * post_refused, post_returned).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/daycount.h"
#include "http/api.h"

#define EVIDENCE_ROWS_MAX 10000

/* The office of {id} within the caller's scope, and the [from, to) instants
 * of local date ?date= there. Answers and returns -1 when not. */
static int batch_scope(struct api_req *r, struct office *o, int64_t *from, int64_t *to)
{
	const char *date = api_query(r, "date");
	int y, m, d, ny, nm, nd;

	if (store_office_get(r->app->st, r->params[0], o) != MU_OK ||
	    (r->tok.office[0] && strcmp(r->tok.office, o->id))) {
		api_fail(r, MU_ENOTFOUND, "id", "no office %.30s in your scope", r->params[0]);
		return -1;
	}
	if (!date || mu_date_parse(date, &y, &m, &d) != MU_OK) {
		api_fail(r, MU_EINVAL, "date", "date must be a local calendar date YYYY-MM-DD");
		return -1;
	}
	mu_civil_from_days(mu_days_from_civil(y, m, d) + 1, &ny, &nm, &nd);
	if (daycount_local_midnight(o->timezone, y, m, d, from) != MU_OK ||
	    daycount_local_midnight(o->timezone, ny, nm, nd, to) != MU_OK) {
		api_fail(r, MU_EINTERNAL, NULL, "cannot resolve the office's day");
		return -1;
	}
	return 0;
}

void h_print_batch(struct api_req *r)
{
	struct office o;
	struct summons_set *set = NULL;
	struct print_page *pages = NULL;
	struct summons_print *sp = NULL;
	struct mu_error e = {0};
	unsigned char *pdf = NULL;
	size_t size = 0, n = 0;
	int64_t from, to;

	if (batch_scope(r, &o, &from, &to))
		return;
	if (store_summonses_issued(r->app->st, o.id, from, to, &set) != MU_OK) {
		api_fail(r, MU_EIO, NULL, "cannot read the summonses");
		return;
	}
	if (!set->n) {
		summons_set_free(set);
		api_fail(r, MU_ENOTFOUND, "date", "office %s issued no summons that day", o.id);
		return;
	}
	pages = calloc(set->n, sizeof(*pages));
	sp = calloc(set->n, sizeof(*sp));
	for (size_t i = 0; pages && sp && i < set->n; i++) {
		if (api_print_fill(r->app, &set->items[i], &pages[n]))
			continue;
		if (api_audit_read(r, "summons.print", set->items[i].s.national_id, "summons",
				   set->items[i].s.id))
			break;
		sp[n] = pages[n].sp;
		n++;
	}
	if (!r->responded && (!pages || !sp || summons_pdf_many(sp, n, &pdf, &size, &e)))
		api_problem(r, &e);
	else if (!r->responded) {
		r->content_disposition = "attachment; filename=\"print-batch.pdf\"";
		api_raw(r, 200, "application/pdf", pdf, size);
	}
	free(pdf);
	free(pages);
	free(sp);
	summons_set_free(set);
}

/* A CSV field: quoted when it holds a comma, a quote or a newline. */
static void csv_field(char **buf, size_t *len, size_t *cap, const char *v, int last)
{
	size_t need = strlen(v) * 2 + 4;
	int quote = strpbrk(v, ",\"\r\n") != NULL;

	if (*len + need >= *cap) {
		size_t nc = (*cap + need) * 2;
		char *nb = realloc(*buf, nc);
		if (!nb)
			return;
		*buf = nb;
		*cap = nc;
	}
	if (quote)
		(*buf)[(*len)++] = '"';
	for (; *v; v++) {
		if (*v == '"')
			(*buf)[(*len)++] = '"';
		(*buf)[(*len)++] = *v;
	}
	if (quote)
		(*buf)[(*len)++] = '"';
	(*buf)[(*len)++] = last ? '\n' : ',';
}

void h_print_manifest(struct api_req *r)
{
	struct office o;
	struct summons_set *set = NULL;
	struct print_page *pg = calloc(1, sizeof(*pg));
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	int64_t from, to;
	static const char *const head[] = {"summons_id", "national_id", "name", "address",
					   "verification_code"};

	if (!pg || !buf || batch_scope(r, &o, &from, &to) ||
	    store_summonses_issued(r->app->st, o.id, from, to, &set) != MU_OK) {
		if (!r->responded)
			api_fail(r, MU_EIO, NULL, "cannot read the summonses");
		free(pg);
		free(buf);
		return;
	}
	for (int i = 0; i < 5; i++)
		csv_field(&buf, &len, &cap, head[i], i == 4);
	for (size_t i = 0; i < set->n; i++) {
		const struct summons_rec *s = &set->items[i];
		if (api_print_fill(r->app, s, pg))
			continue;
		if (api_audit_read(r, "summons.manifest", s->s.national_id, "summons", s->s.id))
			break;
		csv_field(&buf, &len, &cap, s->s.id, 0);
		csv_field(&buf, &len, &cap, s->s.national_id, 0);
		csv_field(&buf, &len, &cap, pg->name, 0);
		csv_field(&buf, &len, &cap, pg->person.address, 0);
		csv_field(&buf, &len, &cap, s->s.verification_code, 1);
	}
	if (!r->responded) {
		r->content_disposition = "attachment; filename=\"manifest.csv\"";
		api_raw(r, 200, "text/csv; charset=utf-8", buf, len);
	}
	free(buf);
	free(pg);
	summons_set_free(set);
}

static int postal_type(const char *s)
{
	int t = ev_type_parse(s);
	return t == EV_POST_SENT || t == EV_POST_DELIVERED || t == EV_POST_REFUSED ||
	       t == EV_POST_RETURNED ? t : -1;
}

/* Whether summons id exists and is the caller's to change. */
static int in_scope(struct api_req *r, const char *id)
{
	struct summons_rec *rec = NULL;
	int ok = store_summons_get(r->app->st, id, &rec) == MU_OK &&
		 api_may_touch_summons(r, &rec->s);

	summons_rec_free(rec);
	return ok;
}

/* Record one evidence line "summons_id,type,at[,reference]". */
static void evidence_line(struct api_req *r, char *line, size_t lineno, json_t *rejected,
			  size_t *accepted)
{
	char *f[5] = {0}, *save = NULL;
	size_t n = 0;
	struct event_rec ev = {0};
	struct mu_error e = {0};
	struct audit_ctx c = api_ctx(r, "postal evidence");
	const char *field = "summons_id";

	for (char *t = strtok_r(line, ",", &save); t && n < 5; t = strtok_r(NULL, ",", &save))
		f[n++] = t;
	if (n < 3 || n > 4 || strchr(line, '"')) {
		mu_fail(&e, MU_EINVAL, "line", "expected summons_id,type,at[,reference]");
	} else if (postal_type(f[1]) < 0) {
		field = "type";
		mu_fail(&e, MU_EINVAL, field, "type must be post_sent, post_delivered, "
			"post_refused or post_returned");
	} else if (mu_time_parse(f[2], &ev.ev.at) != MU_OK) {
		mu_fail(&e, MU_EINVAL, "at", "at must be an RFC 3339 instant");
	} else if (!in_scope(r, f[0])) {
		/* the same answer as for an unknown id: nothing is told about
		 * another office's summonses */
		mu_fail(&e, MU_ENOTFOUND, "id", "no summons %.32s in your scope", f[0]);
	} else {
		ev.ev.type = postal_type(f[1]);
		ev.ev.recorded_at = r->now;
		ev.ev.new_report_at = MU_T_NONE;
		snprintf(ev.actor, sizeof(ev.actor), "%s", r->tok.id);
		snprintf(ev.actor_role, sizeof(ev.actor_role), "%s", role_name(r->tok.role));
		snprintf(ev.reference, sizeof(ev.reference), "%s", n == 4 ? f[3] : "");
		if (app_record_event(r->app, f[0], &ev, &c, NULL, &e) == MU_OK) {
			(*accepted)++;
			return;
		}
	}
	json_array_append_new(rejected, json_pack("{s:I, s:s, s:s}", "line", (json_int_t)lineno,
						  "field", e.field[0] ? e.field : field,
						  "detail", e.detail));
}

void h_post_evidence(struct api_req *r)
{
	const char *ct = api_header(r, "Content-Type");
	json_t *rejected;
	char *text, *save = NULL;
	size_t accepted = 0, lineno = 0;

	if (!ct || strncmp(ct, "text/csv", 8) || !r->raw_body) {
		api_fail(r, MU_EINVAL, "Content-Type", "send the post's CSV as text/csv with a "
			 "header row summons_id,type,at,reference");
		return;
	}
	text = strdup(r->raw_body);
	rejected = json_array();
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(l);
		if (len && l[len - 1] == '\r')
			l[len - 1] = 0;
		if (++lineno == 1) {
			if (strncmp(l, "summons_id,type,at", 18)) {
				api_fail(r, MU_EINVAL, "line 1", "the header must be "
					 "summons_id,type,at[,reference]");
				json_decref(rejected);
				free(text);
				return;
			}
			continue;
		}
		if (lineno > EVIDENCE_ROWS_MAX + 1)
			break;
		if (*l)
			evidence_line(r, l, lineno, rejected, &accepted);
	}
	free(text);
	api_json(r, 200, json_pack("{s:I, s:o}", "accepted", (json_int_t)accepted,
				   "rejected", rejected));
}
