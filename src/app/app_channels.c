/*
 * app_channels.c: which channels carry a summons, and what each has shown.
 *
 * The plan is decided once, at issue, and stored (summons_channels); the
 * state shown for each channel is derived from the summons' events every
 * time it is rendered, so it cannot drift from the evidence. A channel's
 * evidence is an event whose reference is the channel's own: "inbox:<id>"
 * for the built-in inbox, the portal's message id, the postal tracking
 * number. Notices are never evidence and never appear here.
 *
 * This module does not send anything itself: pushes to an external portal
 * go through an outbox that notify/portal.c drains.
 */
#include "app/app_channels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The profile's optional "registered_post" (default true). */
static int post_planned(const struct app *a)
{
	json_t *p = a->profile_text ? json_loads(a->profile_text, 0, NULL) : NULL;
	json_t *v = p ? json_object_get(p, "registered_post") : NULL;
	int on = !(v && json_is_false(v));

	json_decref(p);
	return on;
}

enum mu_err app_account_set(struct app *a, const char *nid, const char *provider,
			    const struct audit_ctx *ctx, struct mu_error *err)
{
	struct person p;
	enum mu_err rc;

	if (provider && strcmp(provider, "builtin") && strcmp(provider, "external"))
		return mu_fail(err, MU_EINVAL, "provider", "provider must be builtin or external");
	rc = store_person_get(a->st, nid, &p);
	if (rc == MU_ENOTFOUND)
		return mu_fail(err, rc, "id", "no person %.32s on the register", nid);
	if (rc)
		return mu_fail(err, rc, NULL, "cannot read the register");
	return store_account_set(a->st, nid, provider, ctx, err);
}

static void plan_add(struct channel_entry *v, size_t *n, const char *channel,
		     const char *reference)
{
	memset(&v[*n], 0, sizeof(v[*n]));
	snprintf(v[*n].channel, sizeof(v[*n].channel), "%s", channel);
	snprintf(v[*n].state, sizeof(v[*n].state), "planned");
	snprintf(v[*n].reference, sizeof(v[*n].reference), "%s", reference);
	(*n)++;
}

/* The JSON pushed to an external portal (caller frees). */
static char *push_body(const struct summons *sm)
{
	char rep[MU_RFC3339_MAX];
	json_t *o;
	char *s;

	mu_time_format(sm->report_at, rep, sizeof(rep));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "summons_id", sm->id,
		      "national_id", sm->national_id, "office", sm->office,
		      "purpose", purpose_name(sm->purpose), "report_at", rep,
		      "verification_code", sm->verification_code);
	s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return s;
}

static enum mu_err place_in_inbox(struct app *a, const struct summons *sm,
				  const struct audit_ctx *ctx)
{
	struct event_rec e;
	struct audit_ctx c = *ctx;
	struct mu_error err = {0};

	memset(&e, 0, sizeof(e));
	e.ev.type = EV_PLACED_IN_ACCOUNT;
	e.ev.at = e.ev.recorded_at = sm->issued_at;
	e.ev.new_report_at = MU_T_NONE;
	snprintf(e.actor_role, sizeof(e.actor_role), "system");
	snprintf(e.reference, sizeof(e.reference), "inbox:%s", sm->id);
	c.purpose = "place in account";
	return app_record_event(a, sm->id, &e, &c, NULL, &err);
}

void app_channels_issued(struct app *a, const struct summons *sm, int in_person,
			 const struct audit_ctx *ctx)
{
	struct channel_entry v[CHANNELS_MAX];
	char provider[16] = "", ref[SUMMONS_ID_MAX + 8] = "";
	char *push = NULL;
	size_t n = 0;
	enum mu_err rc = store_account_get(a->st, sm->national_id, provider);

	if (rc == MU_OK && !strcmp(provider, "builtin"))
		snprintf(ref, sizeof(ref), "inbox:%s", sm->id);
	if (rc == MU_OK)
		plan_add(v, &n, "account", ref);
	if (rc == MU_OK && !strcmp(provider, "external"))
		push = push_body(sm);
	if (post_planned(a))
		plan_add(v, &n, "post", "");
	if (in_person)
		plan_add(v, &n, "in_person", "");
	if (store_channels_put(a->st, sm->id, v, n, push, sm->issued_at) != MU_OK)
		fprintf(stderr, "muster: channels: cannot store the plan of %s\n", sm->id);
	else if (rc == MU_OK && !strcmp(provider, "builtin") &&
		 place_in_inbox(a, sm, ctx) != MU_OK)
		fprintf(stderr, "muster: channels: cannot place %s in the inbox\n", sm->id);
	free(push);
}

/* The state a channel shows after event type t, or NULL if t is not
 * this channel's evidence. */
static const char *evidence_state(const char *channel, enum ev_type t)
{
	if (!strcmp(channel, "account"))
		return t == EV_PLACED_IN_ACCOUNT ? "placed" : t == EV_VIEWED ? "viewed" : NULL;
	if (!strcmp(channel, "post"))
		return t == EV_POST_SENT ? "sent" : t == EV_POST_DELIVERED ? "delivered"
			: t == EV_POST_REFUSED ? "refused" : t == EV_POST_RETURNED ? "returned"
			: NULL;
	return t == EV_HANDED ? "handed" : NULL;
}

static json_t *channel_json(const struct channel_entry *c, const struct summons_rec *r)
{
	const char *state = c->state, *ref = c->reference;

	for (size_t i = 0; i < r->n_events; i++) {
		const char *st = evidence_state(c->channel, r->events[i].type);
		if (!st)
			continue;
		/* placement never hides a viewing; the account's reference is
		 * the placement's, a viewing's only when nothing else says */
		if (strcmp(st, "placed") || strcmp(state, "viewed"))
			state = st;
		if (r->meta && r->meta[i].reference[0] && (strcmp(st, "viewed") || !ref[0]))
			ref = r->meta[i].reference;
	}
	return json_pack("{s:s, s:s, s:s}", "channel", c->channel, "state", state,
			 "reference", ref);
}

json_t *app_channels_json(struct app *a, const struct summons_rec *r)
{
	struct channel_entry v[CHANNELS_MAX];
	size_t n = 0;
	json_t *arr = json_array();

	if (store_channels_get(a->st, r->s.id, v, CHANNELS_MAX, &n) != MU_OK)
		n = 0;
	if (n == 0 && post_planned(a)) /* issued before 008, or by a campaign */
		plan_add(v, &n, "post", "");
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, channel_json(&v[i], r));
	return arr;
}

static int has_event(const struct summons_rec *r, enum ev_type t, const char *ref_prefix)
{
	for (size_t i = 0; i < r->n_events; i++)
		if (r->events[i].type == t &&
		    (!ref_prefix || (r->meta && !strncmp(r->meta[i].reference, ref_prefix,
							   strlen(ref_prefix)))))
			return 1;
	return 0;
}

enum mu_err app_inbox_opened(struct app *a, const struct summons_rec *r,
			     const struct audit_ctx *ctx, struct mu_error *err)
{
	struct event_rec e;
	struct audit_ctx c = *ctx;

	if (!has_event(r, EV_PLACED_IN_ACCOUNT, "inbox:") || has_event(r, EV_VIEWED, NULL))
		return MU_OK;
	memset(&e, 0, sizeof(e));
	snprintf(e.reference, sizeof(e.reference), "inbox:%s", r->s.id);
	/* once: two readers opening it together record one `viewed` */
	if (store_nonce_claim(a->st, e.reference, "viewed", ctx->at) != MU_OK)
		return MU_OK;
	e.ev.type = EV_VIEWED;
	e.ev.at = e.ev.recorded_at = ctx->at;
	e.ev.new_report_at = MU_T_NONE;
	snprintf(e.actor, sizeof(e.actor), "%s", ctx->token_id ? ctx->token_id : "");
	snprintf(e.actor_role, sizeof(e.actor_role), "%s", ctx->role ? ctx->role : "citizen");
	c.purpose = "opened in the inbox";
	return app_record_event(a, r->s.id, &e, &c, NULL, err);
}

enum mu_err app_portal_evidence(struct app *a, const char *summons_id, const char *type,
				int64_t at, const char *message_id,
				const struct audit_ctx *ctx, struct mu_error *err)
{
	struct event_rec e;
	int t = type ? ev_type_parse(type) : -1;
	enum mu_err rc;

	if (t != EV_PLACED_IN_ACCOUNT && t != EV_VIEWED)
		return mu_fail(err, MU_EINVAL, "type", "type must be placed_in_account or viewed");
	if (!message_id || !message_id[0] || strlen(message_id) >= sizeof(e.reference))
		return mu_fail(err, MU_EINVAL, "message_id",
			       "message_id is required (at most 127 bytes)");
	rc = store_nonce_claim(a->st, message_id, type, ctx->at);
	if (rc == MU_ECONFLICT)
		return mu_fail(err, rc, "message_id", "replayed: %.60s %s was already received",
			       message_id, type);
	if (rc)
		return mu_fail(err, rc, NULL, "cannot record the callback");
	memset(&e, 0, sizeof(e));
	e.ev.type = t;
	e.ev.at = at;
	e.ev.recorded_at = ctx->at;
	e.ev.new_report_at = MU_T_NONE;
	snprintf(e.actor, sizeof(e.actor), "portal");
	snprintf(e.actor_role, sizeof(e.actor_role), "channel");
	snprintf(e.reference, sizeof(e.reference), "%s", message_id);
	return app_record_event(a, summons_id, &e, ctx, NULL, err);
}
