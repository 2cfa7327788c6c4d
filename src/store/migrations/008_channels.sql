-- 008_channels: delivery channels (docs/channels.md). Portal accounts,
-- the channel plan decided at issue, the outbox of pushes to an external
-- portal, and the callback nonces already seen (replay protection).
CREATE TABLE portal_accounts (
    national_id TEXT PRIMARY KEY,
    provider    TEXT NOT NULL CHECK (provider IN ('builtin', 'external')),
    created_at  INTEGER NOT NULL,
    closed_at   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE summons_channels (
    summons_id  TEXT NOT NULL REFERENCES summonses(id),
    channel     TEXT NOT NULL CHECK (channel IN ('account', 'post', 'in_person')),
    state       TEXT NOT NULL DEFAULT 'planned',
    reference   TEXT NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (summons_id, channel)
) STRICT;
CREATE TABLE portal_outbox (
    id              INTEGER PRIMARY KEY,
    summons_id      TEXT NOT NULL UNIQUE REFERENCES summonses(id),
    body            TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX portal_outbox_due ON portal_outbox(state, next_attempt_at);
CREATE TABLE portal_nonces (
    message_id TEXT NOT NULL,
    type       TEXT NOT NULL,
    seen_at    INTEGER NOT NULL,
    PRIMARY KEY (message_id, type)
) STRICT;
