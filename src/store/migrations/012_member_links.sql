-- A campaign member's summons is found through the summonses table (its
-- campaign and national_id, on the summonses_person index) instead of a
-- copy in campaign_members: writing the copy was a fifth pass over a
-- million rows in the approval's transaction (store/sqlite_campaign.c).
ALTER TABLE campaign_members DROP COLUMN summons_id;
