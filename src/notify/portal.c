/*
 * portal.c: the external portal channel. See portal.h.
 *
 * A push is signed with the shared secret: the portal checks
 * X-Muster-Signature = "sha256=" hex(HMAC-SHA256(secret, ts "." body)),
 * where ts is X-Muster-Timestamp (Unix seconds). Callbacks from the portal
 * are checked the same way (h_channels.c). Delivery of pushes is
 * at-least-once: the portal must treat a repeated summons_id as one.
 * A push is only a transport; the portal's placed_in_account callback is
 * the evidence.
 */
#include "notify/portal.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notify/post.h"

#define PUSH_BATCH 20
#define PUSH_BACKOFF_CAP_S 3600
#define PUSH_MAX_ATTEMPTS 8

static char secret[PORTAL_SECRET_MAX + 1];

void portal_set_secret(const char *s)
{
	snprintf(secret, sizeof(secret), "%s", s ? s : "");
}

int portal_configured(void)
{
	return secret[0] != 0;
}

void portal_sign(const char *ts, const char *body, size_t len, char *out)
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(out, PORTAL_SIG_HEX + 1, mac, sizeof(mac));
}

int portal_verify(const char *ts, const char *body, size_t len, const char *header)
{
	char want[PORTAL_SIG_HEX + 1];

	if (!portal_configured() || !ts || !header || strncmp(header, "sha256=", 7) ||
	    strlen(header + 7) != PORTAL_SIG_HEX)
		return 0;
	portal_sign(ts, body, len, want);
	return sodium_memcmp(want, header + 7, PORTAL_SIG_HEX) == 0;
}

struct portal_pusher {
	struct app *app;
	char *url;
	int backoff_ms, max_attempts;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
};

/* POST one push, signed; 0 on a 2xx answer, else the error text in err. */
static int post(struct portal_pusher *p, const struct portal_push *x, char *err,
		size_t errsize)
{
	char ts[24], sig[PORTAL_SIG_HEX + 1], hts[64], hsig[PORTAL_SIG_HEX + 40];
	const char *headers[] = {hts, hsig, NULL};

	snprintf(ts, sizeof(ts), "%lld", (long long)app_now(p->app));
	portal_sign(ts, x->body, strlen(x->body), sig);
	snprintf(hts, sizeof(hts), "X-Muster-Timestamp: %s", ts);
	snprintf(hsig, sizeof(hsig), "X-Muster-Signature: sha256=%s", sig);
	return post_json(p->url, x->body, headers, "portal", err, errsize);
}

static void push_due(struct portal_pusher *p)
{
	struct portal_push *v = calloc(PUSH_BATCH, sizeof(*v));
	size_t n = 0;

	if (!v || store_pushes_due(p->app->st, mu_now(), PUSH_BATCH, v, &n) != MU_OK)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		char err[160] = "";
		int attempts = v[i].attempts + 1;
		enum mu_err rc;
		if (post(p, &v[i], err, sizeof(err)) == 0)
			rc = store_push_result(p->app->st, v[i].id, "sent", attempts, 0,
					       mu_now(), "");
		else
			rc = store_push_result(p->app->st, v[i].id,
					       attempts >= p->max_attempts ? "failed" : "pending",
					       attempts, mu_now() + post_backoff(p->backoff_ms, attempts,
										PUSH_BACKOFF_CAP_S), 0, err);
		if (rc)
			fprintf(stderr, "muster: portal: cannot record the push of %s\n",
				v[i].summons_id);
	}
	free(v);
}

static void *pusher_main(void *arg)
{
	struct portal_pusher *p = arg;
	struct timespec ts;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		pthread_mutex_unlock(&p->mu);
		push_due(p);
		pthread_mutex_lock(&p->mu);
		if (p->stop)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct portal_pusher *portal_start(struct app *a, const char *url, int backoff_ms,
				   int max_attempts)
{
	struct portal_pusher *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->app = a;
	p->url = strdup(url);
	p->backoff_ms = backoff_ms > 0 ? backoff_ms : 2000;
	p->max_attempts = max_attempts > 0 ? max_attempts : PUSH_MAX_ATTEMPTS;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!p->url || pthread_create(&p->thread, NULL, pusher_main, p) != 0) {
		curl_global_cleanup();
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p->url);
		free(p);
		return NULL;
	}
	return p;
}

void portal_stop(struct portal_pusher *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	curl_global_cleanup();
	free(p->url);
	free(p);
}
