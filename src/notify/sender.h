/*
 * sender.h: the notice sender: a thread that builds the outbox from new
 * events and sends due notices to an HTTP gateway (libcurl), with
 * exponential backoff and a cap, until each is sent or fails for good.
 */
#ifndef MU_SENDER_H
#define MU_SENDER_H

#include "app/app.h"

#define NOTIFY_MAX_ATTEMPTS 8
#define NOTIFY_BACKOFF_CAP_S 3600

struct sender;

/* Start sending to url (POST, JSON body {"key","channel","to","kind",
 * "text"}, header Idempotency-Key). backoff_ms is the first retry delay;
 * max_attempts (0: NOTIFY_MAX_ATTEMPTS) before a notice is failed for good.
 * NULL on failure. */
struct sender *sender_start(struct app *a, const char *url, int backoff_ms,
			    int max_attempts);
/* Stop the thread (finishing the notice in flight) and free. Accepts NULL. */
void sender_stop(struct sender *s);

#endif
