/*
 * err.h: the one error vocabulary of muster.
 *
 * Every fallible function returns enum mu_err (MU_OK is zero) and, where a
 * caller needs to tell a person what went wrong, fills a struct mu_error with
 * the offending field and a one-line detail. The HTTP layer maps codes to
 * status and problem+json in exactly one place (api_problem in http/json.c);
 * the CLI maps them to exit status 1 with the detail on stderr.
 *
 * This module must not allocate, log or do I/O.
 */
#ifndef MU_ERR_H
#define MU_ERR_H

#include <stddef.h>

#define MU_MUSTCHECK __attribute__((warn_unused_result))
#define MU_PRINTF(a, b) __attribute__((format(printf, a, b)))

enum mu_err {
	MU_OK = 0,
	MU_EINVAL,     /* bad input: names a field */
	MU_ENOTFOUND,  /* no such thing (or not visible to the caller) */
	MU_ECONFLICT,  /* the request contradicts the state (exists, barred) */
	MU_EUNAUTH,    /* no, malformed or revoked credentials */
	MU_EFORBIDDEN, /* credentials lack the right */
	MU_ETOOBIG,    /* a named limit was crossed */
	MU_EBUSY,      /* try again later (queue full, shutting down) */
	MU_EIO,        /* storage or system failure */
	MU_ENOMEM,
	MU_EINTERNAL,  /* a bug */
	MU_ELIMIT,     /* too many requests from this client: slow down */
};

#define MU_FIELD_MAX 64
#define MU_DETAIL_MAX 320

struct mu_error {
	enum mu_err code;
	char field[MU_FIELD_MAX];   /* "" when the error is not about one field */
	char detail[MU_DETAIL_MAX]; /* one line, for a person; never personal data */
};

/* Fill *e (may be NULL) and return code. field may be NULL. */
enum mu_err mu_fail(struct mu_error *e, enum mu_err code, const char *field,
		    const char *fmt, ...) MU_PRINTF(4, 5);

/* A short stable name for code ("invalid", "not_found", ...). */
const char *mu_err_name(enum mu_err code);

/* Clear *e to MU_OK. */
void mu_error_clear(struct mu_error *e);

#endif
