-- 003_merkle: the audit log becomes an RFC 9162 Merkle tree log
-- (docs/audit.md). From here on audit_log.idx is the leaf index (from 0,
-- the log.start entry) and audit_log.hash is the entry's leaf hash
-- SHA-256(0x00 || canonical entry); the writer fills both (sqlite_audit.c).
-- A register written before this migration is converted at its next open.

-- Interior hashes: the root of every complete subtree of 2^level leaves
-- for level >= 4, covering leaves [idx * 2^level, (idx + 1) * 2^level).
-- One row per 8 entries; levels 1..3 are recomputed from at most 8 leaf
-- hashes when a proof needs them, so proofs still read O(log n) rows.
CREATE TABLE audit_nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER audit_nodes_no_update BEFORE UPDATE ON audit_nodes
BEGIN SELECT RAISE(ABORT, 'the audit tree is append-only'); END;
CREATE TRIGGER audit_nodes_no_delete BEFORE DELETE ON audit_nodes
BEGIN SELECT RAISE(ABORT, 'the audit tree is append-only'); END;

-- Signed tree heads: Ed25519 over "muster.audit.sth.v1\0" | size |
-- timestamp_ms | root (big-endian integers), with the key in meta
-- (audit.public_key, audit.secret_key).
CREATE TABLE audit_heads (
    size         INTEGER PRIMARY KEY,
    root         BLOB NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    signature    BLOB NOT NULL
) STRICT;
CREATE TRIGGER audit_heads_no_update BEFORE UPDATE ON audit_heads
BEGIN SELECT RAISE(ABORT, 'signed tree heads are append-only'); END;
CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads
BEGIN SELECT RAISE(ABORT, 'signed tree heads are append-only'); END;

-- Auditors filter by subject. Person subjects are found through
-- audit_person (their subject_id is the person), so the index skips them
-- and the most frequent entries, agency checks, do not pay for it.
CREATE INDEX audit_subject ON audit_log(subject_id, idx) WHERE subject_type <> 'person';
