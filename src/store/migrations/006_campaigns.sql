-- 006_campaigns: call-up campaigns and their selections.
CREATE TABLE campaigns (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    legal_basis    TEXT NOT NULL,
    purpose        TEXT NOT NULL,
    report_from    INTEGER NOT NULL,
    report_to      INTEGER NOT NULL,
    quota          INTEGER NOT NULL,
    criteria       TEXT NOT NULL,          -- JSON as given
    state          TEXT NOT NULL CHECK (state IN ('draft', 'issued', 'cancelled')),
    created_by     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    approved_by    TEXT NOT NULL DEFAULT '',
    approved_at    INTEGER NOT NULL DEFAULT 0,
    selection_hash TEXT NOT NULL DEFAULT '',
    selected       INTEGER NOT NULL DEFAULT 0,
    issued         INTEGER NOT NULL DEFAULT 0,
    cancelled_by   TEXT NOT NULL DEFAULT '',
    cancelled_at   INTEGER NOT NULL DEFAULT 0,
    cancel_reason  TEXT NOT NULL DEFAULT '',
    summary        TEXT NOT NULL DEFAULT '{}' -- breakdown of the selection, JSON
) STRICT;

-- The visible selection of a campaign, in selection order.
CREATE TABLE campaign_members (
    campaign_id TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    national_id TEXT NOT NULL,
    office      TEXT NOT NULL,
    report_at   INTEGER NOT NULL,
    summons_id  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX campaign_members_person ON campaign_members(national_id);
CREATE INDEX summonses_campaign ON summonses(campaign) WHERE campaign <> '';
