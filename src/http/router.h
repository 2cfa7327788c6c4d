/*
 * router.h: the route table (method, path pattern, handler, roles) and its
 * matcher. Patterns are literal segments and {name} placeholders that match
 * one non-empty segment.
 */
#ifndef MU_ROUTER_H
#define MU_ROUTER_H

#include "http/api.h"

#define ROLES_ANYONE 0u /* no token needed */

struct route {
	const char *method;
	const char *pattern;
	api_handler handler;
	unsigned roles; /* ROLE_BIT()s allowed; ROLES_ANYONE for public */
};

extern const struct route api_routes[];

enum route_match { RM_FOUND, RM_NO_PATH, RM_NO_METHOD };

/* Find the route of method+path. On RM_FOUND *out is the route and
 * params[0..*n) point into buf (a copy of path, size >= strlen(path)+1). */
enum route_match router_match(const char *method, const char *path, char *buf,
			      size_t bufsize, const struct route **out,
			      const char **params, size_t *n);

/* The methods that path accepts, comma-separated ("" if none). The string
 * lives in a thread-local buffer until the next call. */
const char *router_allowed(const char *path);

#endif
