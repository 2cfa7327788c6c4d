-- 007_notices: the outbox of SMS and e-mail notices. A notice is never a
-- summons; it tells the person that something happened. Built from the
-- feed and the summons events by cursor (crash-safe, idempotent by key).
CREATE TABLE notices (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,
    national_id     TEXT NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    address         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    text            TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX notices_due ON notices(state, next_attempt_at);
CREATE INDEX notices_person ON notices(national_id, id);
