-- 005_due_process: fitness decisions, deferments and exemptions, overrides
-- (four eyes), excuses, appeals and correction requests
-- (docs/due-process.md). Instants are INTEGER seconds since the epoch,
-- UTC; NULL means "not (yet)". Nothing here is ever deleted, and a decided
-- claim cannot be decided again: triggers enforce both. Each write commits
-- with its audit record (sqlite_due.c).

-- The medical board's decisions. No medical details: the category, its
-- basis reference and the author. History is every row; the person's
-- fitness column mirrors the latest one that counts.
CREATE TABLE fitness_decisions (
    id           TEXT PRIMARY KEY,
    national_id  TEXT NOT NULL REFERENCES persons(national_id),
    category     TEXT NOT NULL CHECK (category IN ('A','B','V','G','D')),
    decided_on   TEXT NOT NULL,
    reference    TEXT NOT NULL,
    reexamine_on TEXT NOT NULL DEFAULT '',
    reexamine_at INTEGER,
    previous     TEXT NOT NULL DEFAULT '',
    author       TEXT NOT NULL,
    author_role  TEXT NOT NULL,
    recorded_at  INTEGER NOT NULL,
    audit_idx    INTEGER NOT NULL DEFAULT 0,
    CHECK ((category = 'G') = (reexamine_at IS NOT NULL))
) STRICT;
CREATE INDEX fitness_person ON fitness_decisions(national_id, recorded_at);
CREATE TRIGGER fitness_no_update BEFORE UPDATE ON fitness_decisions
BEGIN SELECT RAISE(ABORT, 'fitness decisions are append-only'); END;
CREATE TRIGGER fitness_no_delete BEFORE DELETE ON fitness_decisions
BEGIN SELECT RAISE(ABORT, 'fitness decisions are append-only'); END;

-- Deferments and exemptions. Expiry is computed from valid_until; the only
-- change a row ever sees is its revocation, once.
CREATE TABLE exemptions (
    id            TEXT PRIMARY KEY,
    national_id   TEXT NOT NULL REFERENCES persons(national_id),
    kind          TEXT NOT NULL CHECK (kind IN ('deferment','exemption')),
    reason        TEXT NOT NULL,
    document      TEXT NOT NULL DEFAULT '',
    valid_until   INTEGER,
    granted_by    TEXT NOT NULL,
    granted_role  TEXT NOT NULL,
    granted_at    INTEGER NOT NULL,
    revoked_by    TEXT NOT NULL DEFAULT '',
    revoked_role  TEXT NOT NULL DEFAULT '',
    revoked_at    INTEGER,
    revoke_reason TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX exemptions_person ON exemptions(national_id, granted_at);
CREATE TRIGGER exemptions_revoke_once BEFORE UPDATE ON exemptions
WHEN OLD.revoked_at IS NOT NULL OR NEW.id <> OLD.id OR NEW.national_id <> OLD.national_id
  OR NEW.kind <> OLD.kind OR NEW.reason <> OLD.reason OR NEW.granted_at <> OLD.granted_at
  OR NEW.valid_until IS NOT OLD.valid_until
BEGIN SELECT RAISE(ABORT, 'an exemption changes only by its revocation, once'); END;
CREATE TRIGGER exemptions_no_delete BEFORE DELETE ON exemptions
BEGIN SELECT RAISE(ABORT, 'exemptions are never deleted'); END;

-- Requests to summon despite a bar: pending -> approved | rejected;
-- approved -> used (claimed by an issue), then linked to its summons, or
-- released back to approved if that issue failed. The approver is never
-- the requester.
CREATE TABLE overrides (
    id             TEXT PRIMARY KEY,
    national_id    TEXT NOT NULL REFERENCES persons(national_id),
    purpose        TEXT NOT NULL,
    reason         TEXT NOT NULL,
    bases          TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending','approved','rejected','used')),
    requested_by   TEXT NOT NULL,
    requested_role TEXT NOT NULL,
    requested_at   INTEGER NOT NULL,
    decided_by     TEXT NOT NULL DEFAULT '',
    decided_role   TEXT NOT NULL DEFAULT '',
    decided_at     INTEGER,
    decision_note  TEXT NOT NULL DEFAULT '',
    used_by        TEXT NOT NULL DEFAULT '',
    used_role      TEXT NOT NULL DEFAULT '',
    used_at        INTEGER,
    summons_id     TEXT NOT NULL DEFAULT '',
    CHECK (decided_by = '' OR decided_by <> requested_by)
) STRICT;
CREATE INDEX overrides_person ON overrides(national_id, requested_at);
CREATE INDEX overrides_state ON overrides(state, requested_at);
CREATE TRIGGER overrides_forward_only BEFORE UPDATE ON overrides
WHEN NOT ((OLD.state = 'pending' AND NEW.state IN ('approved','rejected'))
       OR (OLD.state = 'approved' AND NEW.state = 'used')
       OR (OLD.state = 'used' AND OLD.summons_id = '' AND NEW.state IN ('used','approved')))
  OR NEW.requested_by <> OLD.requested_by OR NEW.bases <> OLD.bases
  OR NEW.purpose <> OLD.purpose OR NEW.national_id <> OLD.national_id
BEGIN SELECT RAISE(ABORT, 'an override only moves forward'); END;
CREATE TRIGGER overrides_no_delete BEFORE DELETE ON overrides
BEGIN SELECT RAISE(ABORT, 'overrides are never deleted'); END;

-- Valid-reason claims for not appearing: pending -> accepted | rejected.
CREATE TABLE excuses (
    id              TEXT PRIMARY KEY,
    summons_id      TEXT NOT NULL REFERENCES summonses(id),
    national_id     TEXT NOT NULL REFERENCES persons(national_id),
    reason          TEXT NOT NULL,
    document        TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending','accepted','rejected')),
    filed_by        TEXT NOT NULL,
    filed_role      TEXT NOT NULL,
    filed_at        INTEGER NOT NULL,
    decided_by      TEXT NOT NULL DEFAULT '',
    decided_role    TEXT NOT NULL DEFAULT '',
    decided_at      INTEGER,
    decision_reason TEXT NOT NULL DEFAULT '',
    new_report_at   INTEGER,
    event_seq       INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX excuses_person ON excuses(national_id, filed_at);
CREATE TRIGGER excuses_decide_once BEFORE UPDATE ON excuses
WHEN OLD.state <> 'pending'
BEGIN SELECT RAISE(ABORT, 'an excuse is decided once'); END;
CREATE TRIGGER excuses_no_delete BEFORE DELETE ON excuses
BEGIN SELECT RAISE(ABORT, 'excuses are never deleted'); END;

-- Appeals against a summons or a fitness decision; id is the case number.
CREATE TABLE appeals (
    id            TEXT PRIMARY KEY,
    national_id   TEXT NOT NULL REFERENCES persons(national_id),
    subject_type  TEXT NOT NULL CHECK (subject_type IN ('summons','fitness')),
    subject_id    TEXT NOT NULL,
    grounds       TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending','upheld','rejected')),
    filed_by      TEXT NOT NULL,
    filed_role    TEXT NOT NULL,
    filed_at      INTEGER NOT NULL,
    decided_by    TEXT NOT NULL DEFAULT '',
    decided_role  TEXT NOT NULL DEFAULT '',
    decided_at    INTEGER,
    reference     TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX appeals_person ON appeals(national_id, filed_at);
CREATE INDEX appeals_subject ON appeals(subject_type, subject_id);
CREATE TRIGGER appeals_decide_once BEFORE UPDATE ON appeals
WHEN OLD.state <> 'pending'
BEGIN SELECT RAISE(ABORT, 'an appeal is decided once'); END;
CREATE TRIGGER appeals_no_delete BEFORE DELETE ON appeals
BEGIN SELECT RAISE(ABORT, 'appeals are never deleted'); END;

-- Requests to correct a person's data, with a computed deadline.
CREATE TABLE corrections (
    id              TEXT PRIMARY KEY,
    national_id     TEXT NOT NULL REFERENCES persons(national_id),
    field           TEXT NOT NULL,
    current_value   TEXT NOT NULL,
    proposed_value  TEXT NOT NULL,
    evidence        TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending','accepted','rejected')),
    filed_by        TEXT NOT NULL,
    filed_role      TEXT NOT NULL,
    filed_at        INTEGER NOT NULL,
    deadline        INTEGER NOT NULL,
    decided_by      TEXT NOT NULL DEFAULT '',
    decided_role    TEXT NOT NULL DEFAULT '',
    decided_at      INTEGER,
    decision_reason TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX corrections_person ON corrections(national_id, filed_at);
CREATE INDEX corrections_open ON corrections(deadline) WHERE state = 'pending';
CREATE TRIGGER corrections_decide_once BEFORE UPDATE ON corrections
WHEN OLD.state <> 'pending'
BEGIN SELECT RAISE(ABORT, 'a correction request is decided once'); END;
CREATE TRIGGER corrections_no_delete BEFORE DELETE ON corrections
BEGIN SELECT RAISE(ABORT, 'correction requests are never deleted'); END;
