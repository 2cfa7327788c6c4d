-- 001_init: the register of offices, persons, tokens, summonses, their
-- events, materialised restrictions and the audit log.
-- Instants are INTEGER seconds since the epoch, UTC.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE offices (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    region         TEXT NOT NULL,
    timezone       TEXT NOT NULL,
    daily_capacity INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE persons (
    national_id    TEXT PRIMARY KEY,
    family_name    TEXT NOT NULL,
    given_name     TEXT NOT NULL,
    patronymic     TEXT NOT NULL,
    birth_date     TEXT NOT NULL,
    sex            TEXT NOT NULL,
    region         TEXT NOT NULL,
    office         TEXT NOT NULL REFERENCES offices(id),
    address        TEXT NOT NULL,
    phone          TEXT NOT NULL,
    email          TEXT NOT NULL,
    fitness        TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'active',
    removal_reason TEXT NOT NULL DEFAULT '',
    removal_date   TEXT NOT NULL DEFAULT '',
    version        INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    source         TEXT NOT NULL DEFAULT '',
    -- derived-state bookkeeping (app/reconcile.c)
    pver           INTEGER NOT NULL DEFAULT 0,
    reconciled_at  INTEGER NOT NULL DEFAULT 0,
    next_due       INTEGER
) STRICT;
CREATE INDEX persons_office ON persons(office, national_id);
CREATE INDEX persons_region ON persons(region, national_id);
CREATE INDEX persons_name ON persons(family_name, national_id);
CREATE INDEX persons_due ON persons(next_due) WHERE next_due IS NOT NULL;

-- Every earlier version of a person: valid from its updated_at until the
-- next version's updated_at.
CREATE TABLE person_history (
    national_id TEXT NOT NULL,
    version     INTEGER NOT NULL,
    record      TEXT NOT NULL,        -- JSON of the whole record
    updated_at  INTEGER NOT NULL,
    source      TEXT NOT NULL,
    PRIMARY KEY (national_id, version)
) STRICT;

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    hash       BLOB NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    office     TEXT NOT NULL DEFAULT '',
    agency     TEXT NOT NULL DEFAULT '',
    person     TEXT NOT NULL DEFAULT '',
    label      TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE summonses (
    id                TEXT PRIMARY KEY,
    national_id       TEXT NOT NULL REFERENCES persons(national_id),
    office            TEXT NOT NULL REFERENCES offices(id),
    purpose           TEXT NOT NULL,
    issued_at         INTEGER NOT NULL,
    report_at         INTEGER NOT NULL,
    verification_code TEXT NOT NULL UNIQUE,
    created_by        TEXT NOT NULL,
    campaign          TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX summonses_person ON summonses(national_id);

-- Append-only: a correction is a new event, never an UPDATE.
CREATE TABLE summons_events (
    seq           INTEGER PRIMARY KEY,
    summons_id    TEXT NOT NULL REFERENCES summonses(id),
    type          TEXT NOT NULL,
    at            INTEGER NOT NULL,
    recorded_at   INTEGER NOT NULL,
    new_report_at INTEGER,
    outcome       TEXT NOT NULL DEFAULT '',
    actor         TEXT NOT NULL,
    actor_role    TEXT NOT NULL,
    reference     TEXT NOT NULL DEFAULT '',
    audit_idx     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX summons_events_summons ON summons_events(summons_id, seq);
CREATE TRIGGER summons_events_no_update BEFORE UPDATE ON summons_events
BEGIN SELECT RAISE(ABORT, 'summons events are append-only'); END;
CREATE TRIGGER summons_events_no_delete BEFORE DELETE ON summons_events
BEGIN SELECT RAISE(ABORT, 'summons events are append-only'); END;

-- Aggregated restriction per (person, kind), as materialised.
CREATE TABLE restrictions (
    national_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    since       INTEGER NOT NULL,
    basis       TEXT NOT NULL,
    PRIMARY KEY (national_id, kind)
) STRICT, WITHOUT ROWID;

-- The feed: every change of an aggregated restriction, in total order.
CREATE TABLE restriction_changes (
    cursor      INTEGER PRIMARY KEY AUTOINCREMENT,
    national_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    change      TEXT NOT NULL CHECK (change IN ('imposed', 'lifted')),
    at          INTEGER NOT NULL,
    basis       TEXT NOT NULL,
    rule        TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
);
CREATE INDEX restriction_changes_person ON restriction_changes(national_id, cursor);

-- Every write and every read of personal data. Each entry's hash chains
-- the previous one: hash = SHA-256(prev_hash || canonical entry).
CREATE TABLE audit_log (
    idx          INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    actor_token  TEXT NOT NULL,
    actor_role   TEXT NOT NULL,
    actor_office TEXT NOT NULL,
    action       TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    person       TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    detail       TEXT NOT NULL,
    hash         BLOB NOT NULL
) STRICT;
CREATE INDEX audit_person ON audit_log(person, idx) WHERE person <> '';
CREATE INDEX audit_actor ON audit_log(actor_token, idx);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
