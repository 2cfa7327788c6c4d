/*
 * app_notify.h: building the notice outbox (see app_notify.c).
 */
#ifndef MU_APP_NOTIFY_H
#define MU_APP_NOTIFY_H

#include "app/app.h"

/* Turn the next batch of summons events and feed changes into notices.
 * *made is the number of notices queued (0 when nothing new happened). */
enum mu_err app_notify_build(struct app *a, int64_t now, size_t *made) MU_MUSTCHECK;

#endif
