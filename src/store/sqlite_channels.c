/*
 * sqlite_channels.c: the SQLite side of delivery channels: finding a
 * summons by the verification code printed on it.
 */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

enum mu_err sqch_summons_by_code(struct store *st, const char *code,
				 struct summons_rec **out)
{
	struct sq_conn *c = sq_reader((struct sq_store *)st);
	struct summons_rec *r;
	sqlite3_stmt *q;
	enum mu_err rc;

	if (!c || !(q = sq_stmt(c, "SELECT " SUMMONS_COLS " FROM summonses s JOIN offices o"
				" ON o.id = s.office WHERE s.verification_code = ?")))
		return MU_EIO;
	sqlite3_bind_text(q, 1, code, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_ROW) {
		sqlite3_reset(q);
		return MU_ENOTFOUND;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		sqlite3_reset(q);
		return MU_ENOMEM;
	}
	sq_row_summons(q, r);
	sqlite3_reset(q);
	rc = sq_load_events(c, r);
	if (rc) {
		summons_rec_free(r);
		return rc;
	}
	*out = r;
	return MU_OK;
}

enum mu_err sqch_summonses_issued(struct store *st, const char *office, int64_t from,
				  int64_t to, struct summons_set **out)
{
	struct sq_conn *c = sq_reader((struct sq_store *)st);
	struct summons_set *set = calloc(1, sizeof(*set));
	sqlite3_stmt *q;
	enum mu_err rc;

	if (!set)
		return MU_ENOMEM;
	if (!c || !(q = sq_stmt(c, "SELECT " SUMMONS_COLS " FROM summonses s JOIN offices o"
				" ON o.id = s.office WHERE s.office = ? AND s.issued_at >= ?"
				" AND s.issued_at < ? ORDER BY s.id"))) {
		free(set);
		return MU_EIO;
	}
	sqlite3_bind_text(q, 1, office, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, from);
	sqlite3_bind_int64(q, 3, to);
	if ((rc = sq_load_set(c, q, set))) {
		summons_set_free(set);
		return rc;
	}
	*out = set;
	return MU_OK;
}
