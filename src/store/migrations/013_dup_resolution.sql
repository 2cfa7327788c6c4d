-- 013_dup_resolution: a clerk's decision on a possible duplicate. state
-- goes from 'open' to 'distinct' (two people) or 'same_person' (one person
-- holding two ids: the agency that issues ids must put it right); who
-- decided, when, and why.
ALTER TABLE duplicate_candidates ADD COLUMN resolved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE duplicate_candidates ADD COLUMN resolved_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE duplicate_candidates ADD COLUMN note TEXT NOT NULL DEFAULT '';
