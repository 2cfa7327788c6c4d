-- 015_restriction_feed_at: a restriction's since and basis are what the
-- person's status says (the earliest start among the summonses barring it
-- now), and what a check answers. feed_at keeps the `at` of the feed's
-- imposition, later than since when the fact was recorded late, so that
-- the feed's lift is never dated before its imposition (app_reconcile.c).
-- 0 in rows from before: the same as since.
ALTER TABLE restrictions ADD COLUMN feed_at INTEGER NOT NULL DEFAULT 0;
