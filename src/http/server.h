/*
 * server.h: the HTTP server (libmicrohttpd, epoll, thread pool).
 */
#ifndef MU_SERVER_H
#define MU_SERVER_H

#include "app/app.h"

struct server_opts {
	const char *listen;   /* "HOST:PORT"; default 127.0.0.1:8080 */
	unsigned threads;     /* 0: one per core */
	int access_log;       /* 1: a line per request on stderr */
	int drain_seconds;    /* how long SIGTERM waits for requests in flight */
	const char *notify_url; /* SMS/e-mail gateway; NULL: no notices */
	int notify_backoff_ms;  /* first retry delay of a failed notice */
	int notify_attempts;    /* attempts before a notice fails for good */
};

/* Serve until SIGTERM or SIGINT, then stop accepting, let the requests in
 * flight finish, stop the scheduler and return MU_OK. */
enum mu_err server_run(struct app *a, const struct server_opts *o,
		       struct mu_error *err) MU_MUSTCHECK;

#endif
