-- 009_audit_chunks: the audit log's entries are stored by the chunk, and
-- found through sealed postings instead of three indexes (docs/audit.md,
-- store/sqlite_audit_chunk.c). The tree, its hashes and its signed heads
-- do not change: every entry keeps its index and its leaf hash. The rows
-- of the old table (renamed audit_log_v1 here) are moved into chunks by
-- the next open (sqlite_audit.c), which then drops it.
ALTER TABLE audit_log RENAME TO audit_log_v1;

-- Up to 32 consecutive entries of one append per row, never across a
-- bucket's end (see below). `entries` holds their canonical encodings
-- (docs/audit.md: version, index, instant, ten length-prefixed strings)
-- one after the other; `hashes` their leaf hashes SHA-256(0x00 ||
-- encoding), 32 bytes each. One B-tree insert per chunk instead of one
-- row and three index entries per entry.
CREATE TABLE audit_chunks (
    first   INTEGER PRIMARY KEY,
    n       INTEGER NOT NULL CHECK (n BETWEEN 1 AND 32),
    entries BLOB NOT NULL,
    hashes  BLOB NOT NULL
) STRICT;
CREATE TRIGGER audit_chunks_no_update BEFORE UPDATE ON audit_chunks
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_chunks_no_delete BEFORE DELETE ON audit_chunks
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Postings of sealed buckets. Bucket b holds entries [b * 2048,
-- (b + 1) * 2048); when the log passes its end, the writer writes one row
-- per kind of value: 1 person, 2 actor token, 3 subject id (subjects
-- other than persons), 4 action. recs holds one 10-byte record per entry
-- with such a value: the value's 64-bit SipHash as an unsigned big-endian
-- integer, then the entry's offset in the bucket (16-bit big-endian),
-- sorted, so a reader finds a value by binary search. Four rows per 2048
-- entries, inserted in key order: the table only grows at its right
-- edge. Derived data: audit verify rebuilds and compares it, since a
-- removed posting would hide a read from the person's access log.
CREATE TABLE audit_postings (
    bucket INTEGER NOT NULL,
    kind   INTEGER NOT NULL,
    recs   BLOB NOT NULL,
    PRIMARY KEY (bucket, kind)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER audit_postings_no_update BEFORE UPDATE ON audit_postings
BEGIN SELECT RAISE(ABORT, 'the audit index is append-only'); END;
CREATE TRIGGER audit_postings_no_delete BEFORE DELETE ON audit_postings
BEGIN SELECT RAISE(ABORT, 'the audit index is append-only'); END;

-- One row per entry, decoded, read-only: for people and tools that look
-- with SQL (sqlite3 register.db "SELECT * FROM audit_log WHERE ...").
-- It walks each chunk's encodings field by field; slow on a big log, and
-- muster itself never reads it.
CREATE VIEW audit_log AS
WITH RECURSIVE
  h(v) AS (SELECT X'000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff'),
  w(first, b, hashes, n, k, fi, off) AS (
    SELECT first, entries, hashes, n, 0, 0, 1 FROM audit_chunks
    UNION ALL
    SELECT w.first, w.b, w.hashes, w.n,
           CASE WHEN w.fi = 10 THEN w.k + 1 ELSE w.k END,
           CASE WHEN w.fi = 10 THEN 0 ELSE w.fi + 1 END,
           CASE WHEN w.fi = 0 THEN w.off + 17 ELSE w.off + 4 + ((instr(h.v, substr(w.b, w.off, 1)) - 1) * 16777216 + (instr(h.v, substr(w.b, w.off + 1, 1)) - 1) * 65536 + (instr(h.v, substr(w.b, w.off + 2, 1)) - 1) * 256 + (instr(h.v, substr(w.b, w.off + 3, 1)) - 1)) END
    FROM w, h WHERE w.fi < 10 OR w.k + 1 < w.n
  ),
  f(first, k, fi, hash, at, val) AS (
    SELECT w.first, w.k, w.fi, substr(w.hashes, 32 * w.k + 1, 32),
           CASE WHEN w.fi = 0 THEN (((instr(h.v, substr(w.b, w.off + 9, 1)) - 1) * 16777216 + (instr(h.v, substr(w.b, w.off + 9 + 1, 1)) - 1) * 65536 + (instr(h.v, substr(w.b, w.off + 9 + 2, 1)) - 1) * 256 + (instr(h.v, substr(w.b, w.off + 9 + 3, 1)) - 1)) * 4294967296 + ((instr(h.v, substr(w.b, w.off + 13, 1)) - 1) * 16777216 + (instr(h.v, substr(w.b, w.off + 13 + 1, 1)) - 1) * 65536 + (instr(h.v, substr(w.b, w.off + 13 + 2, 1)) - 1) * 256 + (instr(h.v, substr(w.b, w.off + 13 + 3, 1)) - 1))) END,
           CASE WHEN w.fi > 0 THEN CAST(substr(w.b, w.off + 4, ((instr(h.v, substr(w.b, w.off, 1)) - 1) * 16777216 + (instr(h.v, substr(w.b, w.off + 1, 1)) - 1) * 65536 + (instr(h.v, substr(w.b, w.off + 2, 1)) - 1) * 256 + (instr(h.v, substr(w.b, w.off + 3, 1)) - 1))) AS TEXT) END
    FROM w, h
  )
SELECT first + k AS idx,
       max(at) AS at,
       max(CASE WHEN fi = 1 THEN val END) AS actor_token,
       max(CASE WHEN fi = 2 THEN val END) AS actor_role,
       max(CASE WHEN fi = 3 THEN val END) AS actor_office,
       max(CASE WHEN fi = 4 THEN val END) AS action,
       max(CASE WHEN fi = 5 THEN val END) AS subject_type,
       max(CASE WHEN fi = 6 THEN val END) AS subject_id,
       max(CASE WHEN fi = 7 THEN val END) AS person,
       max(CASE WHEN fi = 8 THEN val END) AS purpose,
       max(CASE WHEN fi = 9 THEN val END) AS request_id,
       max(CASE WHEN fi = 10 THEN val END) AS detail,
       max(hash) AS hash
FROM f GROUP BY first, k;
