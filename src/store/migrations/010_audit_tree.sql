-- 010_audit_tree: the stored interior hashes (migration 003) keyed in the
-- order they are made. The root of the complete subtree of 2^level leaves
-- [idx * 2^level, (idx + 1) * 2^level) is made when its last leaf is
-- appended, after the lower subtrees ending there, so the key
-- ((idx + 1) << level) * 64 + level only ever grows: every insert lands
-- at the right edge of the table instead of in the middle of its level's
-- range (store/sqlite_audit.c).
CREATE TABLE audit_tree (
    id   INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
) STRICT;

INSERT INTO audit_tree(id, hash)
SELECT (((idx + 1) << level) << 6) | level, hash FROM audit_nodes ORDER BY 1;

DROP TABLE audit_nodes;

CREATE TRIGGER audit_tree_no_update BEFORE UPDATE ON audit_tree
BEGIN SELECT RAISE(ABORT, 'the audit tree is append-only'); END;
CREATE TRIGGER audit_tree_no_delete BEFORE DELETE ON audit_tree
BEGIN SELECT RAISE(ABORT, 'the audit tree is append-only'); END;
