-- 017_name_search: the person search finds a family name however it is
-- typed. family_key is the name as ingest/match.c normalises it for
-- duplicates (case folded in Latin and Cyrillic, 'ё' read as 'е', spaces,
-- hyphens and apostrophes dropped), so "семенов" finds "Семёнов" and
-- "федоровли" finds "Фёдоров-Ли". The writers set it (store/sqlite_ops.c,
-- store/sqlite_bulk.c); muster_fold() is the same function, registered on
-- the writer's connection for this migration.
ALTER TABLE persons ADD COLUMN family_key TEXT NOT NULL DEFAULT '';
UPDATE persons SET family_key = muster_fold(family_name);
DROP INDEX persons_name;
CREATE INDEX persons_name ON persons(family_key, national_id);
