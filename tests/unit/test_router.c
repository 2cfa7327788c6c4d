/*
 * test_router.c: route matching (http/router.c) over the whole route table,
 * and the named request limits of http/api.h.
 *
 * Every route is matched with a concrete path made from its pattern; the
 * match must be that very route (no earlier route shadows it), with its
 * placeholders split out. Then the near misses: other methods, empty
 * segments, trailing slashes, prefixes and over-long paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/api.h"
#include "http/router.h"

#define BUF (API_URL_MAX + 1)

static const char *const values[API_PARAMS_MAX] = {"AB-12", "S-XYZ", "v3", "v4"};

/* Make a concrete path from pattern, with values[i] for the i-th
 * placeholder. Returns the number of placeholders. */
static size_t concrete(const char *pattern, char *out, size_t size)
{
	size_t n = 0, o = 0;

	for (const char *p = pattern; *p;) {
		if (*p == '{') {
			const char *v = values[n++];
			size_t len = strlen(v);
			assert_true(o + len < size);
			memcpy(out + o, v, len);
			o += len;
			p = strchr(p, '}');
			assert_non_null(p);
			p++;
			continue;
		}
		assert_true(o + 1 < size);
		out[o++] = *p++;
	}
	out[o] = 0;
	return n;
}

static enum route_match match(const char *method, const char *path,
			      const struct route **rt, const char **params,
			      size_t *n)
{
	static char buf[BUF];

	return router_match(method, path, buf, sizeof(buf), rt, params, n);
}

static size_t n_routes(void)
{
	size_t n = 0;

	while (api_routes[n].method)
		n++;
	return n;
}

/* Does the table (read directly, not through the matcher) have a route of
 * method whose concrete path is path? */
static int registered(const char *method, const char *path)
{
	char other[BUF];

	for (size_t j = 0; api_routes[j].method; j++) {
		concrete(api_routes[j].pattern, other, sizeof(other));
		if (!strcmp(api_routes[j].method, method) && !strcmp(other, path))
			return 1;
	}
	return 0;
}

/* The routes that need no token: health, the audit log's public key and
 * signed head (anyone may check the log), summons verification by code
 * (CONTRACT.md), and the static web pages, which reach data only through
 * the API. Only GETs, but for the portal callback (signed, docs/channels.md).
 * A new public route must be added here on purpose. */
static int is_public(const struct route *r)
{
	static const char *const public[] = {
		"/healthz", "/v1/audit/key", "/v1/audit/head", "/v1/verify/{code}",
		"/portal", "/portal/", "/portal/{file}", "/console", "/console/",
		"/console/{file}", "/verify", "/verify/", "/verify/{file}",
		"/assets/{file}", NULL,
	};

	/* the external portal's callback: signed, not bearer (docs/channels.md) */
	if (!strcmp(r->method, "POST"))
		return !strcmp(r->pattern, "/v1/channels/portal/callback");
	if (strcmp(r->method, "GET") != 0)
		return 0;
	for (size_t i = 0; public[i]; i++)
		if (!strcmp(r->pattern, public[i]))
			return 1;
	return 0;
}

static void test_table_is_sane(void **state)
{
	(void)state;
	assert_true(n_routes() >= 24);
	for (size_t i = 0; api_routes[i].method; i++) {
		const struct route *r = &api_routes[i];
		assert_non_null(r->pattern);
		assert_non_null(r->handler);
		assert_int_equal(r->pattern[0], '/');
		/* no duplicates of (method, pattern) */
		for (size_t j = 0; j < i; j++)
			if (!strcmp(api_routes[j].method, r->method) &&
			    !strcmp(api_routes[j].pattern, r->pattern))
				fail_msg("duplicate route %s %s", r->method, r->pattern);
		/* public routes are a decision: each is named here */
		if (r->roles == ROLES_ANYONE && !is_public(r))
			fail_msg("route %s %s is public", r->method, r->pattern);
		assert_int_equal(r->roles & ~((1u << ROLE__COUNT) - 1), 0);
	}
}

static void test_every_route_found(void **state)
{
	char path[BUF];

	(void)state;
	for (size_t i = 0; api_routes[i].method; i++) {
		const struct route *r = &api_routes[i], *rt = NULL;
		const char *params[API_PARAMS_MAX] = {NULL};
		size_t want = concrete(r->pattern, path, sizeof(path)), n = 99;
		enum route_match m = match(r->method, path, &rt, params, &n);

		if (m != RM_FOUND)
			fail_msg("%s %s: no match (%d)", r->method, path, (int)m);
		if (rt != r)
			fail_msg("%s %s matched %s %s instead of %s", r->method, path,
				 rt->method, rt->pattern, r->pattern);
		assert_int_equal(n, want);
		for (size_t k = 0; k < n; k++)
			assert_string_equal(params[k], values[k]);
	}
}

static void test_wrong_method(void **state)
{
	static const char *methods[] = {"GET", "POST", "PATCH", "PUT", "DELETE",
					"HEAD", "OPTIONS", "get", "post", "TRACE"};
	char path[BUF];

	(void)state;
	for (size_t i = 0; api_routes[i].method; i++) {
		concrete(api_routes[i].pattern, path, sizeof(path));
		for (size_t k = 0; k < sizeof(methods) / sizeof(methods[0]); k++) {
			const struct route *rt = (const struct route *)1;
			const char *params[API_PARAMS_MAX];
			size_t n;
			enum route_match m = match(methods[k], path, &rt, params, &n);

			if (registered(methods[k], path)) {
				assert_int_equal(m, RM_FOUND);
				assert_string_equal(rt->method, methods[k]);
				continue;
			}
			if (m != RM_NO_METHOD)
				fail_msg("%s %s: want RM_NO_METHOD, got %d", methods[k],
					 path, (int)m);
			assert_null(rt);
		}
	}
}

static void test_specific_methods(void **state)
{
	const struct route *rt;
	const char *params[API_PARAMS_MAX];
	size_t n;

	(void)state;
	assert_int_equal(match("DELETE", "/v1/persons/AB12", &rt, params, &n), RM_NO_METHOD);
	assert_int_equal(match("POST", "/v1/persons/AB12", &rt, params, &n), RM_NO_METHOD);
	assert_int_equal(match("GET", "/v1/persons/AB12/removal", &rt, params, &n), RM_NO_METHOD);
	assert_int_equal(match("POST", "/healthz", &rt, params, &n), RM_NO_METHOD);
	assert_int_equal(match("PATCH", "/v1/persons", &rt, params, &n), RM_NO_METHOD);
	assert_int_equal(match("GET", "/v1/tokens/t1/revoke", &rt, params, &n), RM_NO_METHOD);
	assert_int_equal(match("PATCH", "/v1/persons/AB12", &rt, params, &n), RM_FOUND);
	assert_string_equal(rt->pattern, "/v1/persons/{id}");
	assert_string_equal(params[0], "AB12");
}

static void test_unknown_paths(void **state)
{
	static const char *paths[] = {
		"", "/", "//", "healthz", "/healthz/", "//healthz", "/healthzz",
		"/health", "/HEALTHZ", "/v1", "/v1/", "/v2/persons", "/v1/person",
		"/v1/personsX", "/v1/persons/", "/v1/persons//history",
		"/v1/persons/AB12/", "/v1/persons/AB12/history/", "/v1/persons/AB12/history/x",
		"/v1/persons/AB12/unknown", "/v1/checks/exit/",
		"/v1/checks//AB12", "/v1/checks/exit/AB12/x", "/v1/me", "/v1/me/",
		"/v1/offices/", "/v1/offices/MOW", "/v1/tokens/", "/v1/tokens//revoke",
		"/v1/summonses/", "/v1/summonses//events", "/v1//persons",
		"/../v1/persons", "/v1/persons/AB12/../history", "/v1/persons?x=1",
	};
	static const char *methods[] = {"GET", "POST", "PATCH"};

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		for (size_t k = 0; k < 3; k++) {
			const struct route *rt = (const struct route *)1;
			const char *params[API_PARAMS_MAX];
			size_t n;
			enum route_match m = match(methods[k], paths[i], &rt, params, &n);
			if (m == RM_FOUND)
				fail_msg("%s \"%s\" matched %s", methods[k], paths[i], rt->pattern);
			if (m != RM_NO_PATH)
				fail_msg("%s \"%s\": want RM_NO_PATH, got %d", methods[k],
					 paths[i], (int)m);
			assert_null(rt);
		}
	}
}

static void test_placeholders(void **state)
{
	const struct route *rt;
	const char *params[API_PARAMS_MAX] = {NULL};
	char buf[64];
	size_t n;

	(void)state;
	assert_int_equal(router_match("GET", "/v1/checks/exit/RU-00012", buf, sizeof(buf),
				      &rt, params, &n), RM_FOUND);
	assert_string_equal(rt->pattern, "/v1/checks/{kind}/{id}");
	assert_int_equal(n, 2);
	assert_string_equal(params[0], "exit");
	assert_string_equal(params[1], "RU-00012");
	/* parameters point into buf, not into the caller's path */
	assert_true(params[0] >= buf && params[0] < buf + sizeof(buf));
	assert_true(params[1] >= buf && params[1] < buf + sizeof(buf));

	/* a placeholder takes any one non-empty segment, including one that
	 * looks like a literal elsewhere */
	assert_int_equal(router_match("GET", "/v1/persons/history/history", buf,
				      sizeof(buf), &rt, params, &n), RM_FOUND);
	assert_string_equal(rt->pattern, "/v1/persons/{id}/history");
	assert_string_equal(params[0], "history");
	assert_int_equal(router_match("POST", "/v1/summonses/x/events", buf, sizeof(buf),
				      &rt, params, &n), RM_FOUND);
	assert_string_equal(params[0], "x");
	/* odd characters are the handler's business, not the router's */
	assert_int_equal(router_match("GET", "/v1/persons/%2F..%00", buf, sizeof(buf),
				      &rt, params, &n), RM_FOUND);
	assert_string_equal(params[0], "%2F..%00");
	/* the literal routes are not placeholders */
	assert_int_equal(router_match("GET", "/v1/me/status", buf, sizeof(buf), &rt,
				      params, &n), RM_FOUND);
	assert_int_equal(n, 0);
	assert_int_equal(router_match("GET", "/v1/me/other", buf, sizeof(buf), &rt,
				      params, &n), RM_NO_PATH);
}

static void test_long_paths(void **state)
{
	const struct route *rt = NULL;
	const char *params[API_PARAMS_MAX];
	char small[9];
	size_t n, len = API_URL_MAX * 4;
	char *path = malloc(len + 1), *buf = malloc(BUF);

	(void)state;
	assert_non_null(path);
	assert_non_null(buf);
	/* the buffer must hold the path and its NUL */
	assert_int_equal(router_match("GET", "/healthz", small, 8, &rt, params, &n),
			 RM_NO_PATH);
	assert_null(rt);
	assert_int_equal(router_match("GET", "/healthz", small, 9, &rt, params, &n),
			 RM_FOUND);
	/* a path longer than the buffer is no path, and nothing overflows */
	memcpy(path, "/v1/persons/", 12);
	memset(path + 12, 'A', len - 12);
	path[len] = 0;
	assert_int_equal(router_match("GET", path, buf, BUF, &rt, params, &n), RM_NO_PATH);
	assert_null(rt);
	/* the longest path that fits still matches */
	path[BUF - 1] = 0;
	assert_int_equal(strlen(path), API_URL_MAX);
	assert_int_equal(router_match("GET", path, buf, BUF, &rt, params, &n), RM_FOUND);
	assert_int_equal(strlen(params[0]), API_URL_MAX - 12);
	/* many segments */
	for (size_t i = 0; i + 1 < API_URL_MAX; i += 2)
		memcpy(path + i, "/a", 2);
	path[API_URL_MAX] = 0;
	assert_int_equal(router_match("GET", path, buf, BUF, &rt, params, &n), RM_NO_PATH);
	free(path);
	free(buf);
}

static void test_named_limits(void **state)
{
	(void)state;
	/* the issue fixes the body limit; the others are documented in api.h */
	assert_int_equal(API_BODY_MAX, 1024 * 1024);
	assert_int_equal(API_HEADER_MAX, 16 * 1024);
	assert_int_equal(API_URL_MAX, 2048);
	assert_true(API_JSON_DEPTH_MAX >= 4 && API_JSON_DEPTH_MAX <= 64);
	/* the route with the most placeholders fits the parameter array */
	for (size_t i = 0; api_routes[i].method; i++) {
		size_t k = 0;
		for (const char *p = api_routes[i].pattern; *p; p++)
			k += *p == '{';
		assert_true(k <= API_PARAMS_MAX);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_sane),
		cmocka_unit_test(test_every_route_found),
		cmocka_unit_test(test_wrong_method),
		cmocka_unit_test(test_specific_methods),
		cmocka_unit_test(test_unknown_paths),
		cmocka_unit_test(test_placeholders),
		cmocka_unit_test(test_long_paths),
		cmocka_unit_test(test_named_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
