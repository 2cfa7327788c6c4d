/*
 * post.h: what the outgoing channels (the notice gateway, the external
 * portal) share: one JSON POST through libcurl and the retry delay.
 */
#ifndef MU_POST_H
#define MU_POST_H

#include <stddef.h>
#include <stdint.h>

/* POST body (JSON) to url with the extra header lines given (NULL-ended,
 * "Name: value"). 0 on a 2xx answer; otherwise -1 with the reason in err,
 * "<peer> answered HTTP <code>" or curl's own words. */
int post_json(const char *url, const char *body, const char *const *headers,
	      const char *peer, char *err, size_t errsize);

/* Seconds to wait before attempt `attempts` + 1: first_ms doubled per
 * earlier attempt, at most cap_s, at least 1. */
int64_t post_backoff(int first_ms, int attempts, int64_t cap_s);

#endif
