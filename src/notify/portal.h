/*
 * portal.h: the external portal channel (docs/channels.md): signing and
 * checking messages with HMAC-SHA256 over "timestamp.body", and a thread
 * that pushes queued summonses to the portal with backoff.
 */
#ifndef MU_PORTAL_H
#define MU_PORTAL_H

#include <stddef.h>
#include <stdint.h>

#include "app/app.h"

#define PORTAL_SIG_HEX 64          /* hex of an HMAC-SHA256 */
#define PORTAL_SKEW_S 300          /* callbacks older or newer are replays */
#define PORTAL_SECRET_MAX 256

/* Set the shared secret (before any thread starts); NULL or "" clears. */
void portal_set_secret(const char *secret);
/* 1 if a secret is configured. */
int portal_configured(void);

/* hex(HMAC-SHA256(secret, ts "." body)) into out (size > PORTAL_SIG_HEX). */
void portal_sign(const char *ts, const char *body, size_t len, char *out);
/* 1 if header is "sha256=<hex>" and matches ts and body (constant time). */
int portal_verify(const char *ts, const char *body, size_t len, const char *header);

struct portal_pusher;

/* Push pending summonses to url (POST JSON, X-Muster-Timestamp and
 * X-Muster-Signature headers); backoff_ms is the first retry delay,
 * max_attempts before a push fails for good. NULL on failure. */
struct portal_pusher *portal_start(struct app *a, const char *url, int backoff_ms,
				   int max_attempts);
/* Stop the thread and free. Accepts NULL. */
void portal_stop(struct portal_pusher *p);

#endif
