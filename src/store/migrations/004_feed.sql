-- 004_feed: how far each agency has applied the restriction feed.
CREATE TABLE feed_acks (
    token_id  TEXT PRIMARY KEY,
    kind      TEXT NOT NULL,
    cursor    INTEGER NOT NULL,
    acked_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX restriction_changes_kind ON restriction_changes(kind, cursor);
