/*
 * app_channels.h: delivery channels of a summons (see app_channels.c and
 * docs/channels.md): portal accounts, the channel plan decided at issue,
 * placement in the built-in inbox, and the evidence an external portal
 * reports. Evidence is always an event recorded through app_record_event.
 */
#ifndef MU_APP_CHANNELS_H
#define MU_APP_CHANNELS_H

#include <jansson.h>

#include "app/app.h"

/* Open (provider "builtin" or "external") the portal account of a person
 * on the register, or close it (provider NULL). Audited. */
enum mu_err app_account_set(struct app *a, const char *nid, const char *provider,
			    const struct audit_ctx *ctx, struct mu_error *err) MU_MUSTCHECK;

/* After a successful issue: decide and store the plan (account if the
 * person has one, post unless the profile's "registered_post" is false,
 * in person when asked), queue the push to an external portal, and for a
 * built-in account record placed_in_account at the issue instant.
 * Runs after the issue transaction; a failure here is logged and leaves
 * the summons issued (the plan then shows the post only). */
void app_channels_issued(struct app *a, const struct summons *sm, int in_person,
			 const struct audit_ctx *ctx);

/* The plan of r with each channel's state and reference derived from its
 * events: [{"channel","state","reference"}]. New reference; NULL if out
 * of memory. */
json_t *app_channels_json(struct app *a, const struct summons_rec *r);

/* The person opened r in the built-in inbox: record `viewed` once, if it
 * was placed there and not viewed yet. */
enum mu_err app_inbox_opened(struct app *a, const struct summons_rec *r,
			     const struct audit_ctx *ctx, struct mu_error *err) MU_MUSTCHECK;

/* Evidence from the external portal (already authenticated): type is
 * placed_in_account or viewed; message_id becomes the event's reference.
 * MU_ECONFLICT ("replayed") when (message_id, type) was seen before. */
enum mu_err app_portal_evidence(struct app *a, const char *summons_id, const char *type,
				int64_t at, const char *message_id,
				const struct audit_ctx *ctx, struct mu_error *err) MU_MUSTCHECK;

#endif
