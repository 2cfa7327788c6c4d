/*
 * sender.c: the notice sender thread. See sender.h.
 *
 * Delivery is at-least-once with an idempotency key: a gateway that
 * receives the same key twice must send the message once. Each outcome is
 * recorded on the notice (attempts, last error, sent_at); after
 * NOTIFY_MAX_ATTEMPTS failures the notice is marked failed and shows in
 * GET /v1/notices?state=failed for clerks.
 */
#include "notify/sender.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app_notify.h"
#include "notify/post.h"

#define SEND_BATCH 50

struct sender {
	struct app *app;
	char *url;
	int backoff_ms;
	int max_attempts;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
};

/* POST one notice; 0 on a 2xx answer, else the error text in err. */
static int post(struct sender *s, const struct notice *x, char *err, size_t errsize)
{
	char idem[128], *body;
	const char *headers[] = {idem, NULL};
	int rc;
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "key", x->key, "channel",
			      x->channel, "to", x->address, "kind", x->kind, "text", x->text,
			      "national_id", x->national_id);

	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!body) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	snprintf(idem, sizeof(idem), "Idempotency-Key: %s", x->key);
	rc = post_json(s->url, body, headers, "gateway", err, errsize);
	free(body);
	return rc;
}

static void send_due(struct sender *s)
{
	struct notice *v = calloc(SEND_BATCH, sizeof(*v));
	size_t n = 0;
	int64_t now = mu_now();

	if (!v || store_notices_due(s->app->st, now, SEND_BATCH, v, &n) != MU_OK)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		char err[160] = "";
		int attempts = v[i].attempts + 1;
		enum mu_err rc;
		if (post(s, &v[i], err, sizeof(err)) == 0)
			rc = store_notice_result(s->app->st, v[i].id, "sent", attempts, 0,
						 mu_now(), "");
		else
			rc = store_notice_result(s->app->st, v[i].id,
						 attempts >= s->max_attempts ? "failed" : "pending",
						 attempts, mu_now() + post_backoff(s->backoff_ms, attempts,
								       NOTIFY_BACKOFF_CAP_S),
						 0, err);
		if (rc)
			fprintf(stderr, "muster: notices: cannot record the outcome of %s\n", v[i].key);
	}
	free(v);
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	struct timespec ts;
	size_t made;

	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		pthread_mutex_unlock(&s->mu);
		do {
			made = 0; /* on the test clock, nothing before its first instant */
			if (app_clock_known(s->app) &&
			    app_notify_build(s->app, app_now(s->app), &made) != MU_OK) {
				fprintf(stderr, "muster: notices: cannot build the outbox\n");
				break;
			}
		} while (made);
		send_due(s);
		pthread_mutex_lock(&s->mu);
		if (s->stop)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

struct sender *sender_start(struct app *a, const char *url, int backoff_ms,
			    int max_attempts)
{
	struct sender *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->app = a;
	s->url = strdup(url);
	s->backoff_ms = backoff_ms > 0 ? backoff_ms : 2000;
	s->max_attempts = max_attempts > 0 ? max_attempts : NOTIFY_MAX_ATTEMPTS;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!s->url || pthread_create(&s->thread, NULL, sender_main, s) != 0) {
		free(s->url);
		free(s);
		return NULL;
	}
	return s;
}

void sender_stop(struct sender *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	curl_global_cleanup();
	free(s->url);
	free(s);
}
