-- 002_import: bulk imports (ingest/, store/sqlite_bulk.c, docs/import.md).

-- One row per `muster import` run. A run commits in batches of rows in key
-- order; last_key is the last key committed, so --resume goes on from there
-- after a crash. digest (BLAKE2b-256 of the file's bytes) recognises the
-- file when it is given again.
CREATE TABLE import_runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('offices', 'persons', 'removals')),
    source      TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    digest      BLOB NOT NULL,
    options     TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed', 'abandoned')),
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL DEFAULT 0,
    last_key    TEXT NOT NULL DEFAULT '',
    batches     INTEGER NOT NULL DEFAULT 0,
    rows_read   INTEGER NOT NULL DEFAULT 0,
    inserted    INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    flagged     INTEGER NOT NULL DEFAULT 0,
    cancelled   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX import_runs_file ON import_runs(kind, digest, state);

-- One row per committed batch; its audit entry covers the person versions
-- that point at it (person_history.import_batch).
CREATE TABLE import_batches (
    id        INTEGER PRIMARY KEY,
    run_id    INTEGER NOT NULL REFERENCES import_runs(id),
    seq       INTEGER NOT NULL,
    first_key TEXT NOT NULL,
    last_key  TEXT NOT NULL,
    audit_idx INTEGER NOT NULL DEFAULT -1,
    UNIQUE (run_id, seq)
) STRICT;

-- Which batch wrote a version (NULL: written through the API).
ALTER TABLE person_history ADD COLUMN import_batch INTEGER;

-- The duplicate-matching key of every person: k is a 64-bit hash of the
-- normalised "family|given|patronymic|birth_date" (ingest/match.c).
-- Persons written by an import are keyed as they are written; others are
-- keyed by the next import (rowid watermark in meta 'import.keyed_rowid').
CREATE TABLE person_keys (
    k           INTEGER NOT NULL,
    national_id TEXT NOT NULL,
    PRIMARY KEY (k, national_id)
) STRICT, WITHOUT ROWID;

-- Possible duplicates: different ids, same normalised full name and birth
-- date. Never merged automatically; a clerk resolves them.
CREATE TABLE duplicate_candidates (
    id           INTEGER PRIMARY KEY,
    a            TEXT NOT NULL,
    b            TEXT NOT NULL,
    same_address INTEGER NOT NULL,
    found_at     INTEGER NOT NULL,
    run_id       INTEGER NOT NULL,
    state        TEXT NOT NULL DEFAULT 'open',
    CHECK (a < b),
    UNIQUE (a, b)
) STRICT;
