/*
 * app_notify.c: builds the notice outbox from what happened. It follows
 * the restriction feed and the summons events by cursor, so a notice is
 * never lost to a crash and never made twice (each has a unique key).
 *
 * A notice is never a summons, and each one says so: delivery is a legal
 * fact recorded by the channels, a notice only informs. Texts are in the
 * profile's language (Russian for ru-*, English otherwise).
 */
#include "app/app_notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/daycount.h"

#define NOTIFY_BATCH 200

/* The templates below are constant tables in this file, one per language,
 * each used with the same arguments in both languages. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

struct texts {
	const char *issued, *delivered, *imposed, *lifted, *excused, *appeal, *footer;
};

static const struct texts en = {
	"Summons %s from %s: you are called for %s, report at %s local time.",
	"Summons %s counts as delivered to you from %s.",
	"Since %s you may not %s because of summons %s. It lifts when you appear at the office, when a valid reason is accepted, or when the summons is cancelled.",
	"The bar on your right to %s was lifted at %s.",
	"Your excuse for summons %s was accepted%s.",
	"The appeal against summons %s was decided: %s.",
	" This message is a notice, not a summons.",
};

static const struct texts ru = {
	"Повестка %s от %s: вас вызывают (%s), явиться %s по местному времени.",
	"Повестка %s считается врученной вам с %s.",
	"С %s вам запрещено: %s, на основании повестки %s. Запрет снимается при явке в военкомат, при уважительной причине или отмене повестки.",
	"Ограничение (%s) снято %s.",
	"Уважительная причина по повестке %s принята%s.",
	"Жалоба на повестку %s рассмотрена: %s.",
	" Это уведомление, а не повестка.",
};

/* The restriction kinds in Russian, in enum restr_kind order. */
static const char *const kind_ru[RK__COUNT] = {
	"выезд из России", "получение кредитов и займов", "сделки с недвижимостью",
	"регистрация в качестве предпринимателя или самозанятого",
	"регистрация транспортных средств", "управление транспортными средствами",
	"получение заграничного паспорта",
};

/* The purposes in Russian, in enum purpose order. */
static const char *const purpose_ru[PU__COUNT] = {
	"медицинское освидетельствование", "уточнение данных", "отправка к месту службы",
	"военные сборы", "мобилизация",
};

static const struct texts *texts_for(const struct app *a)
{
	const char *lang = profile_language(a->profile);
	return lang && !strcmp(lang, "ru") ? &ru : &en;
}

static void local(const char *zone, int64_t t, char *buf, size_t size)
{
	char off[16];

	if (daycount_format_local(zone, t, buf, size, off, sizeof(off)) != MU_OK)
		mu_time_format(t, buf, size);
}

struct outbox {
	struct notice *v;
	size_t n, cap;
};

/* Queue one notice per contact channel of the person. */
static enum mu_err push(struct app *a, struct outbox *o, const char *key_base,
			const char *nid, const char *kind, const char *text, int64_t now)
{
	struct person p;

	if (store_person_get(a->st, nid, &p) != MU_OK)
		return MU_OK; /* unknown now: nobody to tell */
	for (int ch = 0; ch < 2; ch++) {
		const char *addr = ch ? p.email : p.phone;
		struct notice *x;
		if (!addr[0])
			continue;
		if (o->n == o->cap) {
			size_t cap = o->cap ? o->cap * 2 : 32;
			struct notice *nv = realloc(o->v, cap * sizeof(*nv));
			if (!nv)
				return MU_ENOMEM;
			o->v = nv;
			o->cap = cap;
		}
		x = &o->v[o->n++];
		memset(x, 0, sizeof(*x));
		snprintf(x->key, sizeof(x->key), "%s:%s", key_base, ch ? "email" : "sms");
		snprintf(x->national_id, sizeof(x->national_id), "%s", nid);
		snprintf(x->channel, sizeof(x->channel), "%s", ch ? "email" : "sms");
		snprintf(x->address, sizeof(x->address), "%s", addr);
		snprintf(x->kind, sizeof(x->kind), "%s", kind);
		snprintf(x->text, sizeof(x->text), "%s%s", text, texts_for(a)->footer);
		x->next_attempt_at = now;
		x->created_at = now;
	}
	return MU_OK;
}

static int delivers(enum ev_type t)
{
	return t == EV_HANDED || t == EV_POST_DELIVERED || t == EV_POST_REFUSED ||
	       t == EV_PLACED_IN_ACCOUNT;
}

static enum mu_err from_event(struct app *a, struct outbox *o, const struct notify_event *e,
			      int64_t now)
{
	const struct texts *t = texts_for(a);
	char text[900], when[64], key[64], extra[96] = "";
	const char *kind = NULL;

	snprintf(key, sizeof(key), "ev:%lld", (long long)e->seq);
	if (e->type == EV_ISSUED) {
		local(e->zone, e->s.report_at, when, sizeof(when));
		snprintf(text, sizeof(text), t->issued, e->s.id, e->office_name,
			 t == &ru && (unsigned)e->s.purpose < PU__COUNT ? purpose_ru[e->s.purpose]
									: purpose_phrase(e->s.purpose),
			 when);
		kind = "issued";
	} else if (delivers(e->type)) {
		local(e->zone, e->at, when, sizeof(when));
		snprintf(text, sizeof(text), t->delivered, e->s.id, when);
		kind = "delivered";
	} else if (e->type == EV_EXCUSED) {
		if (e->new_report_at != MU_T_NONE) {
			local(e->zone, e->new_report_at, when, sizeof(when));
			snprintf(extra, sizeof(extra), t == &ru ? "; новая дата явки %s"
								: "; new report time %s", when);
		}
		snprintf(text, sizeof(text), t->excused, e->s.id, extra);
		kind = "decided";
	} else if (e->type == EV_APPEAL_DECIDED) {
		snprintf(text, sizeof(text), t->appeal, e->s.id,
			 e->outcome == AO_UPHELD ? (t == &ru ? "удовлетворена, повестка отменена"
							      : "upheld, the summons is cancelled")
						 : (t == &ru ? "отклонена" : "rejected"));
		kind = "decided";
	}
	return kind ? push(a, o, key, e->s.national_id, kind, text, now) : MU_OK;
}

static enum mu_err from_change(struct app *a, struct outbox *o, const struct restr_change *c,
			       int64_t now)
{
	const struct texts *t = texts_for(a);
	char text[900], when[64], key[64];
	struct summons_rec *r = NULL;
	const char *phrase;

	if (store_summons_get(a->st, c->basis, &r) != MU_OK)
		return MU_OK;
	local(r->zone, c->at, when, sizeof(when));
	snprintf(key, sizeof(key), "chg:%lld", (long long)c->cursor);
	phrase = t == &ru && (unsigned)c->kind < RK__COUNT ? kind_ru[c->kind]
							    : restr_kind_phrase(c->kind);
	if (c->imposed)
		snprintf(text, sizeof(text), t->imposed, when, phrase, c->basis);
	else
		snprintf(text, sizeof(text), t->lifted, phrase, when);
	summons_rec_free(r);
	return push(a, o, key, c->national_id, c->imposed ? "imposed" : "lifted", text, now);
}

static int64_t meta_int(struct app *a, const char *key)
{
	char *v = NULL;
	int64_t x = 0;

	if (store_meta_get(a->st, key, &v) == MU_OK && v)
		x = strtoll(v, NULL, 10);
	free(v);
	return x;
}

enum mu_err app_notify_build(struct app *a, int64_t now, size_t *made)
{
	struct notify_event *ev = calloc(NOTIFY_BATCH, sizeof(*ev));
	struct restr_change *ch = calloc(NOTIFY_BATCH, sizeof(*ch));
	struct outbox o = {0};
	int64_t cc = meta_int(a, "notify_change_cursor"), es = meta_int(a, "notify_event_seq");
	size_t ne = 0, nc = 0;
	enum mu_err rc = ev && ch ? MU_OK : MU_ENOMEM;

	*made = 0;
	if (rc == MU_OK)
		rc = store_notify_events(a->st, es, NOTIFY_BATCH, ev, &ne);
	if (rc == MU_OK)
		rc = store_feed_read_kind(a->st, cc, NULL, NOTIFY_BATCH, ch, &nc, &cc);
	for (size_t i = 0; rc == MU_OK && i < ne; i++) {
		rc = from_event(a, &o, &ev[i], now);
		es = ev[i].seq;
	}
	for (size_t i = 0; rc == MU_OK && i < nc; i++)
		rc = from_change(a, &o, &ch[i], now);
	if (rc == MU_OK && (ne || nc))
		rc = store_notices_add(a->st, o.v, o.n, cc, es);
	if (rc == MU_OK)
		*made = o.n;
	free(o.v);
	free(ev);
	free(ch);
	return rc;
}
