/*
 * post.c: one JSON POST and the backoff of the outgoing channels. See post.h.
 */
#include "notify/post.h"

#include <curl/curl.h>
#include <stdio.h>

static size_t discard(char *ptr, size_t size, size_t n, void *user)
{
	(void)ptr;
	(void)user;
	return size * n;
}

int post_json(const char *url, const char *body, const char *const *headers,
	      const char *peer, char *err, size_t errsize)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	long code = 0;

	for (size_t i = 0; h && headers && headers[i]; i++)
		h = curl_slist_append(h, headers[i]);
	if (c && h) {
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
		rc = curl_easy_perform(c);
	}
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK)
		snprintf(err, errsize, "%s", curl_easy_strerror(rc));
	else if (code < 200 || code > 299)
		snprintf(err, errsize, "%s answered HTTP %ld", peer, code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc == CURLE_OK && code >= 200 && code <= 299 ? 0 : -1;
}

int64_t post_backoff(int first_ms, int attempts, int64_t cap_s)
{
	int64_t ms = first_ms;

	for (int i = 1; i < attempts && ms < cap_s * 1000; i++)
		ms *= 2;
	if (ms > cap_s * 1000)
		ms = cap_s * 1000;
	return ms < 1000 ? 1 : (ms + 999) / 1000;
}
