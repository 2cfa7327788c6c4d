"""test_audit.py: the tamper-evident audit log end to end (issue 8).

A real register and the real binary: the signed tree head advancing as
entries arrive, proofs checked by an independent Python implementation of
RFC 9162 (and of docs/audit.md's leaf encoding), the receipt round trip
through `muster audit verify-proof`, the person's access log after clerk,
agency and auditor reads, the auditor's read being logged itself, and
tampering with a stopped register through the sqlite3 command-line tool
(one changed byte, a deleted entry, two swapped entries), each named by
`muster audit verify` at the right first bad index.
"""
import hashlib
import json
import os
import sqlite3
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import Ctx, check, eq, run, run_cli, with_ctx  # noqa: E402

NOW = "2026-03-02T10:00:00Z"
REPORT = "2026-03-20T09:00:00+03:00"
STR_FIELDS = ["actor_token", "actor_role", "actor_office", "action", "subject_type",
              "subject_id", "person", "purpose", "request_id", "detail"]

# ---- RFC 9162 and docs/audit.md, independently of muster's C code ----


def leaf_bytes(e):
    """The canonical leaf encoding of docs/audit.md from an entry's JSON."""
    at = int(time_of(e["at"]))
    b = bytes([1]) + struct.pack(">Q", e["index"]) + struct.pack(">q", at)
    for k in STR_FIELDS:
        v = e[k].encode()
        b += struct.pack(">I", len(v)) + v
    return b


def time_of(s):
    import datetime as dt
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(m, n, root1, root2, proof):
    """RFC 9162 2.1.4.2 (0 < m <= n)."""
    if m == n:
        return not proof and root1 == root2
    if not proof:
        return False
    if m & (m - 1) == 0:
        proof = [root1] + proof
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


def head_message(h):
    return (b"muster.audit.sth.v1\x00" + struct.pack(">Q", h["size"]) +
            struct.pack(">Q", h["timestamp_ms"]) + bytes.fromhex(h["root"]))


def check_signature(h, pk_hex):
    """Ed25519 with the `cryptography` package when it is installed."""
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        return
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(pk_hex)).verify(
        bytes.fromhex(h["signature"]), head_message(h))


def hx(a):
    return [bytes.fromhex(x) for x in a]


# ---- a small world: an office, a clerk, an agency, an auditor, a citizen ----


class World:
    def __init__(self, c, nid="AU-0001"):
        self.c = c
        self.srv = c.srv
        c.office("MOW", "Europe/Moscow", region="Moscow", name="Moscow central office")
        self.nid = nid
        c.person(nid, family_name="Секретнова", given_name="Анна")
        self.clerk = c.token("clerk", office="MOW")
        self.agency = c.token("agency", agency="exit")
        self.auditor = c.token("auditor")
        self.citizen = c.token("citizen", person=nid)

    def issue(self):
        r = self.srv.post("/v1/summonses", {"national_id": self.nid, "office": "MOW",
                                            "purpose": "medical_exam", "report_at": REPORT},
                          token=self.clerk, now=NOW)
        eq(r.status, 201, "issue: %r" % r)
        return r.json

    def head(self):
        r = self.srv.get("/v1/audit/head")
        eq(r.status, 200, "head: %r" % r)
        return r.json

    def key(self):
        r = self.srv.get("/v1/audit/key")
        eq(r.status, 200, "key: %r" % r)
        return r.json["public_key"]

    def wait_head(self, above, timeout=5.0):
        """The head once it covers more than `above` entries (<= ~1 s)."""
        t0 = time.time()
        while time.time() - t0 < timeout:
            h = self.head()
            if h["size"] > above:
                return h, time.time() - t0
            time.sleep(0.05)
        raise AssertionError("no signed head above %d within %ss" % (above, timeout))


def world_test(fn):
    return with_ctx()(lambda c: fn(World(c)))


def named(fn):
    w = world_test(fn)
    w.__name__ = fn.__name__
    return w


# ---- tests ----


def test_init_prints_the_key_before_the_token():
    c = Ctx(serve=False)
    try:
        code, out, err = run_cli("init", "--db", os.path.join(c.dir, "two.db"))
        eq(code, 0, "init: " + err)
        lines = out.strip().splitlines()
        keyline = [ln for ln in lines if "public key" in ln]
        eq(len(keyline), 1, "one public key line: %r" % lines)
        check(lines.index(keyline[0]) < len(lines) - 1, "the key comes before the token")
        check(lines[-1].startswith("mu_"), "the token is the last line: %r" % lines[-1])
        pk = keyline[0].split()[-1]
        eq(len(bytes.fromhex(pk)), 32, "an Ed25519 public key")
        code, out, err = run_cli("audit", "key", "--db", os.path.join(c.dir, "two.db"))
        eq((code, out.strip()), (0, pk), "muster audit key prints the same key")
    finally:
        c.close()


@named
def test_signed_head_advances_and_stays_consistent(w):
    pk = w.key()
    h1 = w.head()
    check_signature(h1, pk)
    w.issue()
    w.c.person("AU-0002")
    h2, waited = w.wait_head(h1["size"])
    check(waited < 3.5, "a new head within about a second, give or take a busy machine "
                        "(%.2fs)" % waited)
    check(h2["timestamp_ms"] >= h1["timestamp_ms"], "heads move forward in time")
    check_signature(h2, pk)
    r = w.srv.get("/v1/audit/proof/consistency?from=%d&to=%d" % (h1["size"], h2["size"]),
                  token=w.auditor)
    eq(r.status, 200, "consistency proof: %r" % r)
    eq(r.json["from_root"], h1["root"], "the old root")
    eq(r.json["to_root"], h2["root"], "the new root")
    check(verify_consistency(h1["size"], h2["size"], bytes.fromhex(h1["root"]),
                             bytes.fromhex(h2["root"]), hx(r.json["proof"])),
          "the consistency proof verifies (RFC 9162, in Python)")
    # every entry up to the head is included, by a proof of O(log n) hashes
    for i in range(h2["size"]):
        r = w.srv.get("/v1/audit/proof/inclusion?index=%d&size=%d" % (i, h2["size"]),
                      token=w.auditor)
        eq(r.status, 200, "inclusion %d: %r" % (i, r))
        check(len(r.json["proof"]) <= h2["size"].bit_length(), "short proof")
        check(verify_inclusion(i, h2["size"], bytes.fromhex(r.json["leaf_hash"]),
                               hx(r.json["proof"]), bytes.fromhex(h2["root"])),
              "inclusion of %d verifies" % i)
    for bad in ("index=%d&size=%d" % (h2["size"], h2["size"]), "index=-1", "size=3",
                "index=0&size=999999"):
        eq(w.srv.get("/v1/audit/proof/inclusion?" + bad, token=w.auditor).status, 400, bad)
    eq(w.srv.get("/v1/audit/proof/consistency?from=0", token=w.auditor).status, 400,
       "from=0")
    eq(w.srv.get("/v1/audit/proof/inclusion?index=0").status, 401, "proofs need a token")
    eq(w.srv.get("/v1/audit/entries", token=w.clerk).status, 403, "clerks do not audit")


@named
def test_receipt_round_trip_offline(w):
    s = w.issue()
    ev = s["events"][0]
    check(ev.get("audit_index", 0) > 0, "the issue event carries its log index: %r" % ev)
    r = w.srv.get("/v1/me/summonses/%s/receipt" % s["id"], token=w.citizen)
    eq(r.status, 200, "the citizen's receipt: %r" % r)
    rc = r.json
    eq(rc["leaf_index"], ev["audit_index"], "the receipt is for that entry")
    eq(rc["entry"]["action"], "summons.issue", "the entry")
    eq(rc["public_key"], w.key(), "the receipt names the log key")
    # independently: the entry hashes to the leaf, the leaf is in the signed tree
    leaf = leaf_hash(leaf_bytes(rc["entry"]))
    eq(leaf.hex(), rc["leaf_hash"], "docs/audit.md's encoding gives the leaf hash")
    h = rc["signed_head"]
    check(verify_inclusion(rc["leaf_index"], h["size"], leaf, hx(rc["inclusion_proof"]),
                           bytes.fromhex(h["root"])), "inclusion verifies in Python")
    check_signature(h, rc["public_key"])
    # offline: no database, only the key
    path = os.path.join(w.c.dir, "receipt.json")
    with open(path, "w") as f:
        json.dump(rc, f)
    code, out, err = run_cli("audit", "verify-proof", "--key", w.key(), path)
    eq(code, 0, "verify-proof: %s %s" % (out, err))
    check("valid" in out, out)
    # altered entry, other key, other head: each refused
    for what, change in (("entry", lambda d: d["entry"].update(purpose="nothing")),
                         ("index", lambda d: d["entry"].update(index=d["entry"]["index"] + 1)),
                         ("head", lambda d: d["signed_head"].update(
                             timestamp_ms=d["signed_head"]["timestamp_ms"] + 1)),
                         ("proof", lambda d: d["inclusion_proof"].reverse()
                          if len(d["inclusion_proof"]) > 1 else
                          d["inclusion_proof"].append("00" * 32))):
        bad = json.loads(json.dumps(rc))
        change(bad)
        bad.pop("leaf_hash", None)
        with open(path, "w") as f:
            json.dump(bad, f)
        code, out, err = run_cli("audit", "verify-proof", "--key", w.key(), path)
        eq(code, 1, "a receipt with a changed %s is refused: %s" % (what, out + err))
    with open(path, "w") as f:
        json.dump(rc, f)
    other = "11" * 32
    code, out, err = run_cli("audit", "verify-proof", "--key", other, path)
    eq(code, 1, "another key refuses it")
    # the clerk's receipt for a later event, by seq
    r = w.srv.post("/v1/summonses/%s/events" % s["id"],
                   {"type": "handed", "at": "2026-03-03T10:00:00Z"}, token=w.clerk,
                   now="2026-03-03T11:00:00Z")
    eq(r.status, 201, "record an event: %r" % r)
    seq = r.json["event_seq"]
    r = w.srv.get("/v1/summonses/%s/receipt?event=%d" % (s["id"], seq), token=w.clerk)
    eq(r.status, 200, "the clerk's receipt: %r" % r)
    eq(r.json["entry"]["action"], "summons.event", "the event's entry")
    eq(r.json["event"]["type"], "handed", "the event")
    # nobody else's
    w.c.person("AU-0002")
    other_citizen = w.c.token("citizen", person="AU-0002")
    eq(w.srv.get("/v1/me/summonses/%s/receipt" % s["id"], token=other_citizen).status,
       404, "another citizen gets nothing")
    eq(w.srv.get("/v1/summonses/%s/receipt?event=99999" % s["id"],
                 token=w.clerk).status, 404, "an unknown event")


@named
def test_citizen_proofs_only_for_own_entries(w):
    s = w.issue()
    idx = s["events"][0]["audit_index"]
    r = w.srv.get("/v1/audit/proof/inclusion?index=%d" % idx, token=w.citizen)
    eq(r.status, 200, "own entry: %r" % r)
    eq(w.srv.get("/v1/audit/proof/inclusion?index=0", token=w.citizen).status, 404,
       "the log's first entry is not about them")
    eq(w.srv.get("/v1/audit/entries", token=w.citizen).status, 403,
       "citizens read their access log, not the audit log")


@named
def test_access_log_after_clerk_agency_and_auditor_reads(w):
    s = w.issue()
    eq(w.srv.get("/v1/persons/" + w.nid, token=w.clerk).status, 200, "clerk reads")
    eq(w.srv.get("/v1/checks/exit/" + w.nid, token=w.agency, now=NOW).status, 200,
       "agency checks")
    eq(w.srv.get("/v1/audit/entries?person=" + w.nid, token=w.auditor).status, 200,
       "auditor reads the log about the person")
    r = w.srv.get("/v1/me/access-log", token=w.citizen)
    eq(r.status, 200, "access log: %r" % r)
    entries = r.json["entries"]
    text = json.dumps(r.json, ensure_ascii=False)
    by_action = {}
    for e in entries:
        by_action.setdefault(e["action"], []).append(e)
        check(e["kind"] in ("read", "change"), "read or change: %r" % e)
        check(len(e["description"]) > 10, "plain words: %r" % e)
    clerk_read = by_action["person.read"][0]
    eq(clerk_read["kind"], "read", "a read")
    eq((clerk_read["actor_role"], clerk_read.get("actor_office")), ("clerk", "MOW"),
       "staff reads show role and office")
    check("clerk" in clerk_read["description"] and "MOW" in clerk_read["description"],
          clerk_read["description"])
    agency = by_action["check"][0]
    eq(agency["agency_kind"], "exit", "agency checks show the agency kind")
    check("border" in agency["description"].lower(), agency["description"])
    issue = by_action["summons.issue"][0]
    eq(issue["kind"], "change", "issuing is a change to their data")
    eq(issue["index"], s["events"][0]["audit_index"], "the same log index")
    audit = by_action["audit.read"][0]
    eq(audit["actor_role"], "auditor", "the auditor's read is in the person's log")
    for secret in ("Секретнова", "Анна", "Moscow central office"):
        if secret in text:
            raise AssertionError("the access log must not name anyone: %r" % secret)
    for tok in (w.clerk, w.agency, w.auditor):
        check(tok not in text, "no tokens in the access log")
    check("actor_token" not in text, "no token ids in the access log")


@named
def test_auditor_reads_are_logged_and_filtered(w):
    w.issue()
    r = w.srv.get("/v1/audit/entries?action=summons.issue", token=w.auditor)
    eq(r.status, 200, "auditor filters by action: %r" % r)
    eq([e["action"] for e in r.json["entries"]], ["summons.issue"], "only issues")
    first = r.json["entries"][0]
    r = w.srv.get("/v1/audit/entries?action=audit.read", token=w.auditor)
    eq(r.status, 200, "the log of log reads")
    reads = r.json["entries"]
    check(len(reads) >= 1, "the previous read was logged: %r" % reads)
    check("summons.issue" in reads[0]["detail"], "with its filter: %r" % reads[0])
    eq(reads[0]["person"], w.nid, "and the person whose entries were seen")
    # the other filters
    tid = first["actor_token"]
    for q, test in (("actor=" + tid, lambda e: e["actor_token"] == tid),
                    ("person=" + w.nid, lambda e: e["person"] == w.nid),
                    ("subject=" + first["subject_id"],
                     lambda e: e["subject_id"] == first["subject_id"]),
                    ("from=2026-03-02T09:59:59Z&to=2026-03-02T10:00:00Z",
                     lambda e: e["at"] == NOW),
                    ("after=%d&limit=2" % first["index"],
                     lambda e: e["index"] > first["index"])):
        r = w.srv.get("/v1/audit/entries?" + q, token=w.auditor)
        eq(r.status, 200, q)
        check(r.json["entries"], "%s finds entries" % q)
        for e in r.json["entries"]:
            check(test(e), "%s: %r" % (q, e))
    eq(len(w.srv.get("/v1/audit/entries?limit=2", token=w.auditor).json["entries"]), 2,
       "limit")
    eq(w.srv.get("/v1/audit/entries?limit=0", token=w.auditor).status, 400, "limit=0")
    eq(w.srv.get("/v1/audit/entries?from=yesterday", token=w.auditor).status, 400,
       "bad time")


# ---- tampering with a stopped register ----


def populated_register():
    """A register with ~25 entries and signed heads, server stopped."""
    c = Ctx()
    w = World(c)
    s = w.issue()
    for i in range(6):
        w.srv.get("/v1/persons/" + w.nid, token=w.clerk)
        w.srv.get("/v1/checks/exit/" + w.nid, token=w.agency, now=NOW)
    w.wait_head(0)
    eq(c.srv.stop(), 0, "server stops")
    c.srv = None
    return c, s


def verify(db):
    code, out, err = run_cli("audit", "verify", "--db", db)
    return code, out, err


def first_bad(out):
    for line in out.splitlines():
        if line.startswith("first bad index:"):
            return int(line.split(":")[1])
    return None


def tamper(db, sql):
    """Through the sqlite3 command-line tool, as an attacker would."""
    subprocess.run(["sqlite3", db, "DROP TRIGGER IF EXISTS audit_chunks_no_update;"
                    "DROP TRIGGER IF EXISTS audit_chunks_no_delete;" + sql],
                   check=True, capture_output=True, text=True)


# The entries are stored by the chunk (docs/audit.md): up to 32 canonical
# encodings one after the other, and their leaf hashes. An attacker with
# the file and that page edits them with any SQLite client; these do it
# with Python's sqlite3 module.

def split_encodings(blob, n):
    out, off = [], 0
    for _ in range(n):
        start = off
        off += 17
        for _ in STR_FIELDS:
            (size,) = struct.unpack(">I", blob[off:off + 4])
            off += 4 + size
        out.append(blob[start:off])
    return out


def parse_encoding(b):
    e = {"index": struct.unpack(">Q", b[1:9])[0], "at": struct.unpack(">q", b[9:17])[0]}
    off = 17
    for k in STR_FIELDS:
        (size,) = struct.unpack(">I", b[off:off + 4])
        e[k] = b[off + 4:off + 4 + size].decode()
        off += 4 + size
    return e


def encode(e):
    b = bytes([1]) + struct.pack(">Q", e["index"]) + struct.pack(">q", e["at"])
    for k in STR_FIELDS:
        v = e[k].encode()
        b += struct.pack(">I", len(v)) + v
    return b


def chunk_at(db, k):
    """(first, encodings, hashes) of the chunk holding entry k."""
    con = sqlite3.connect(db)
    first, n, blob, hashes = con.execute(
        "SELECT first, n, entries, hashes FROM audit_chunks WHERE first <= ?"
        " ORDER BY first DESC LIMIT 1", (k,)).fetchone()
    con.close()
    return first, split_encodings(blob, n), [hashes[32 * i:32 * i + 32] for i in range(n)]


def write_chunk(db, first, encs, hashes):
    con = sqlite3.connect(db)
    con.executescript("DROP TRIGGER IF EXISTS audit_chunks_no_update;"
                      "DROP TRIGGER IF EXISTS audit_chunks_no_delete;")
    if encs:
        con.execute("UPDATE audit_chunks SET n = ?, entries = ?, hashes = ? WHERE first = ?",
                    (len(encs), b"".join(encs), b"".join(hashes), first))
    else:
        con.execute("DELETE FROM audit_chunks WHERE first = ?", (first,))
    con.commit()
    con.close()


def log_size(db):
    con = sqlite3.connect(db)
    n = con.execute("SELECT coalesce(sum(n), 0) FROM audit_chunks").fetchone()[0]
    con.close()
    return n


def tamper_case(name, change, want):
    def t():
        c, s = populated_register()
        try:
            code, out, err = verify(c.db)
            eq(code, 0, "intact before: " + out + err)
            n = log_size(c.db)
            check(n > 12, "enough entries (%d)" % n)
            bad = change(c.db, n)
            code, out, err = verify(c.db)
            eq(code, 1, "%s is detected: %s" % (name, out + err))
            eq(first_bad(out), want if want is not None else bad,
               "%s: the first bad index named (%s)" % (name, out))
            check(str(first_bad(out)) in err, "stderr names it too: " + err)
        finally:
            c.close()
    t.__name__ = name
    return t


def one_byte(db, n):
    """Flip one bit of the last byte of entry n/2 (its detail)."""
    k = n // 2
    first, encs, hashes = chunk_at(db, k)
    e = bytearray(encs[k - first])
    e[-1] ^= 1
    encs[k - first] = bytes(e)
    write_chunk(db, first, encs, hashes)
    return k


def deletion(db, n):
    k = n // 3
    first, encs, hashes = chunk_at(db, k)
    del encs[k - first], hashes[k - first]
    write_chunk(db, first, encs, hashes)
    return k


def swap(db, n):
    """Swap two entries' stored forms, hashes with them."""
    i, j = n // 3, n // 3 + 4
    fi, ei, hi = chunk_at(db, i)
    fj, ej, hj = chunk_at(db, j)
    a, ha = ei[i - fi], hi[i - fi]
    if fi == fj:
        ei[i - fi], hi[i - fi] = ei[j - fi], hi[j - fi]
        ei[j - fi], hi[j - fi] = a, ha
        write_chunk(db, fi, ei, hi)
    else:
        ei[i - fi], hi[i - fi] = ej[j - fj], hj[j - fj]
        ej[j - fj], hj[j - fj] = a, ha
        write_chunk(db, fi, ei, hi)
        write_chunk(db, fj, ej, hj)
    return i


def rewritten(db, n):
    """Change an entry and write its recomputed leaf hash too: the stored
    interior hashes and the signed heads still catch it."""
    k = n // 2
    first, encs, hashes = chunk_at(db, k)
    e = parse_encoding(encs[k - first])
    e["purpose"] = "nothing to see"
    encs[k - first] = encode(e)
    hashes[k - first] = leaf_hash(encs[k - first])
    write_chunk(db, first, encs, hashes)
    return k


test_tamper_one_byte = tamper_case("test_tamper_one_byte", one_byte, None)
test_tamper_delete = tamper_case("test_tamper_delete", deletion, None)
test_tamper_swap = tamper_case("test_tamper_swap", swap, None)


def test_tamper_with_rewritten_leaf_hash():
    c, s = populated_register()
    try:
        k = rewritten(c.db, log_size(c.db))
        code, out, err = verify(c.db)
        eq(code, 1, "a consistent rewrite of one entry is detected: " + out)
        bad = first_bad(out)
        check(bad is not None and bad <= k, "names a bad index at or before %d: %s" % (k, out))
    finally:
        c.close()


def test_tamper_delete_the_tail_and_forge_a_head():
    c, s = populated_register()
    try:
        n = log_size(c.db)
        first, encs, hashes = chunk_at(c.db, n - 1)
        write_chunk(c.db, first, encs[:-1], hashes[:-1])
        code, out, err = verify(c.db)
        eq(code, 1, "cutting the last entry is detected: " + out)
        eq(first_bad(out), n - 1, "the first missing index")
        # the server refuses to write on top of it
        code, out, err = run_cli("token", "create", "--db", c.db, "--role", "auditor")
        eq(code, 1, "no writes on a log that lost signed entries: " + err)
    finally:
        c.close()
    c, s = populated_register()
    try:
        subprocess.run(["sqlite3", c.db, "DROP TRIGGER audit_heads_no_update;"
                        "UPDATE audit_heads SET timestamp_ms = timestamp_ms + 1 "
                        "WHERE size = (SELECT max(size) FROM audit_heads);"], check=True)
        code, out, err = verify(c.db)
        eq(code, 1, "an altered head is detected: " + out)
        check("first bad signed head" in out, out)
    finally:
        c.close()


def test_tamper_with_the_index_is_detected():
    """The postings are derived data, but taking one away would hide a read
    from the person's access log: verify rebuilds and compares them."""
    c = Ctx(serve=False)
    try:
        db = os.path.join(c.dir, "bench.db")
        eq(run_cli("audit", "bench", "--db", db, "--entries", "5000")[0], 0, "bench")
        eq(verify(db)[0], 0, "intact before")
        tamper(db, "DROP TRIGGER audit_postings_no_update;"
               "UPDATE audit_postings SET recs = substr(recs, 11)"
               " WHERE bucket = 1 AND kind = 1;")
        code, out, err = verify(db)
        eq(code, 1, "a posting taken away is detected: " + out)
        eq(first_bad(out), 2048, "names the first entry of the bucket: " + out)
    finally:
        c.close()


def test_shutdown_signs_the_last_head():
    c, s = populated_register()
    try:
        con = sqlite3.connect(c.db)
        n = log_size(c.db)
        h = con.execute("SELECT max(size) FROM audit_heads").fetchone()[0]
        eq(h, n, "SIGTERM leaves a signed head over every entry")
        code, out, err = verify(c.db)
        eq(code, 0, out + err)
        check("%d entries" % n in out, out)
        # the decoded view shows the same entries as the chunks hold
        rows = con.execute("SELECT idx, action, hash FROM audit_log ORDER BY idx").fetchall()
        eq([r[0] for r in rows], list(range(n)), "the view: every index once")
        eq(rows[0][1], "log.start", "entry 0 starts the log")
        first, encs, hashes = chunk_at(c.db, n - 1)
        eq(rows[-1][2], hashes[-1], "the view's hash is the stored one")
        eq(rows[-1][1], parse_encoding(encs[-1])["action"], "and its action the encoded one")
    finally:
        c.close()


def test_register_from_before_chunks_is_converted():
    """A register whose entries are rows of the old audit_log table (before
    migration 009) has them moved into chunks, hashes as they were, at its
    next open; then it verifies and finds entries by person as before."""
    c = Ctx(serve=False)
    try:
        db = c.db  # a register with its profile: bench needs --existing
        eq(run_cli("audit", "bench", "--db", db, "--entries", "5000")[0], 1,
           "bench refuses an existing register")
        eq(run_cli("audit", "bench", "--db", db, "--entries", "5000", "--existing")[0], 0,
           "bench")
        before = sqlite3.connect(db).execute(
            "SELECT idx, action, person, hash FROM audit_log ORDER BY idx").fetchall()
        # a copy as a register file before 009 looks: tables audit_log and
        # audit_nodes
        old = os.path.join(c.dir, "v8.db")
        subprocess.run(["sqlite3", db, "VACUUM INTO '%s'" % old], check=True)
        subprocess.run(["sqlite3", old, "CREATE TABLE v AS SELECT * FROM audit_log;"
                        "DROP VIEW audit_log; ALTER TABLE v RENAME TO audit_log;"
                        "CREATE TABLE audit_nodes AS SELECT id & 63 AS level,"
                        " ((id >> 6) >> (id & 63)) - 1 AS idx, hash FROM audit_tree;"
                        "DROP TABLE audit_tree;"
                        "DROP TRIGGER audit_chunks_no_delete; DELETE FROM audit_chunks;"],
                       check=True)
        code, out, err = verify(old)
        eq(code, 0, "verify reads a register before 009 as it is: " + out + err)
        check("%d entries" % len(before) in out, out)
        subprocess.run(["sqlite3", old, "UPDATE audit_log SET purpose = 'x' WHERE idx = 77"],
                       check=True)
        code, out, err = verify(old)
        eq((code, first_bad(out)), (1, 77), "and finds a change in it: " + out)
        # back to the old layout: one row per entry, no chunks, no postings
        subprocess.run(["sqlite3", db,
                        "CREATE TABLE audit_log_v1 AS SELECT * FROM audit_log;"
                        "DROP TRIGGER audit_chunks_no_delete;"
                        "DROP TRIGGER audit_postings_no_delete;"
                        "DELETE FROM audit_chunks; DELETE FROM audit_postings;"], check=True)
        code, out, err = run_cli("token", "create", "--db", db, "--role", "auditor")
        eq(code, 0, "the old register opens: " + err)
        check("moved into chunks (%d entries)" % len(before) in err, "and says so: " + err)
        code, out, err = verify(db)
        eq(code, 0, "then verifies: " + out + err)
        after = sqlite3.connect(db).execute(
            "SELECT idx, action, person, hash FROM audit_log ORDER BY idx").fetchall()
        eq(after[:len(before)], before, "every entry and hash as it was")
        eq(len(after), len(before) + 1, "and the new token's entry after them")
        check("audit_log_v1" not in " ".join(r[0] for r in sqlite3.connect(db).execute(
            "SELECT name FROM sqlite_master").fetchall()), "the old table is gone")
    finally:
        c.close()


@named
def test_cli_and_server_append_to_one_log(w):
    """A command-line write while the server runs: both append to the same
    tree and sign heads without stepping on each other."""
    for i in range(3):
        w.issue()
        eq(run_cli("token", "create", "--db", w.c.db, "--role", "auditor")[0], 0, "cli")
        w.c.person("AU-01%02d" % i)
    h, _ = w.wait_head(0)
    time.sleep(1.2)
    w.c.person("AU-0200")
    h2, _ = w.wait_head(h["size"])
    r = w.srv.get("/v1/audit/proof/consistency?from=%d" % h["size"], token=w.auditor)
    eq(r.status, 200, "consistency: %r" % r)
    code = w.c.srv.stop()
    eq(code, 0, "stops")
    log = w.c.srv.log()
    w.c.srv = None
    check("cannot sign" not in log and "lost" not in log, "no head or record lost:\n" + log)
    code, out, err = verify(w.c.db)
    eq(code, 0, "one consistent log: " + out + err)


def test_bench_appends_and_verifies():
    c = Ctx(serve=False)
    try:
        db = os.path.join(c.dir, "bench.db")
        code, out, err = run_cli("audit", "bench", "--db", db, "--entries", "5000",
                                 "--batch", "777")
        eq(code, 0, "bench: " + err)
        check("entries/s" in out, out)
        code, out, err = verify(db)
        eq(code, 0, out + err)
        check("5001 entries" in out, "every entry and entry 0: " + out)
    finally:
        c.close()


if __name__ == "__main__":
    run(globals())
