"""Agency checks end to end: least disclosure, kind scoping, unknown ids that
cannot be told from known ones, every check audited and visible to the
person, 503 when the read-audit queue is full, and what a clean shutdown and
a kill -9 each lose.

The real binary on a real SQLite file; the test clock drives legal time.
The audit rows are read back through the citizen's access log and, for the
fields the citizen does not see (the agency's token id), from the register
file itself, read-only.
"""
import calendar
import http.client
import json
import os
import random
import signal
import sqlite3
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import Server, check, eq, run, run_cli, with_ctx  # noqa: E402

KINDS = ["exit", "credit", "real_estate", "business_registration",
         "vehicle_registration", "driving", "foreign_passport"]
OTHER_ROLES = ["admin", "clerk", "commissar", "medical_board", "citizen",
               "auditor", "channel"]
ISSUE = "2026-03-01T09:00:00Z"
HANDED = "2026-03-01T10:00:00Z"
APPEARED = "2026-03-05T10:00:00Z"
NOW = "2026-04-15T09:00:00Z"          # after day 20 of a 10 March report
DAY20 = "2026-03-30T21:00:00Z"        # 00:00 Moscow on 31 March
ANSWER_KEYS = {"permitted", "since", "reference"}
# Personal data of the default test person (lib.Ctx.person): none of it may
# ever appear in a check answer.
PERSONAL = ["Иванов", "Иван", "Москва", "+7999", "example.ru", "2004-05-17",
            "Moscow", "MOW"]


def make_token(c, role, **kw):
    body = {"role": role}
    body.update(kw)
    r = c.srv.post("/v1/tokens", body, token=c.admin)
    eq(r.status, 201, "token create %r: %r" % (body, r))
    return r.json["id"], r.json["token"]


def issue(c, clerk, nid, report, at=ISSUE):
    r = c.srv.post("/v1/summonses", {"national_id": nid, "office": "MOW",
                                     "purpose": "medical_exam", "report_at": report},
                   token=clerk, now=at)
    eq(r.status, 201, "issue: %r" % r)
    return r.json["id"]


def event(c, clerk, sid, typ, at, **kw):
    body = {"type": typ, "at": at}
    body.update(kw)
    r = c.srv.post("/v1/summonses/%s/events" % sid, body, token=clerk, now=at)
    eq(r.status, 201, "event %s: %r" % (typ, r))


def world(c):
    """BAR: overdue, every bar. EXIT: handed, report ahead: exit bar only.
    LIFTED: appeared, nothing. CLEAN: on the register, never summoned."""
    c.office()
    clerk = c.token("clerk")
    ag = {k: make_token(c, "agency", agency=k, label="agency " + k) for k in KINDS}
    for nid in ("BAR-0001", "EXIT-0001", "LIFTED-0001", "CLEAN-0001"):
        c.person(nid)
    sids = {"BAR-0001": issue(c, clerk, "BAR-0001", "2026-03-10T09:00:00Z"),
            "EXIT-0001": issue(c, clerk, "EXIT-0001", "2026-04-30T09:00:00Z"),
            "LIFTED-0001": issue(c, clerk, "LIFTED-0001", "2026-03-10T09:00:00Z")}
    for nid, sid in sids.items():
        event(c, clerk, sid, "handed", HANDED)
    event(c, clerk, sids["LIFTED-0001"], "appeared", APPEARED)
    eq(c.srv.get("/healthz", now=NOW).status, 200, "clock to NOW")
    return clerk, ag, sids


def expected(nid, kind, sids):
    if nid == "BAR-0001":
        return {"permitted": False, "since": HANDED if kind == "exit" else DAY20,
                "reference": sids[nid]}
    if nid == "EXIT-0001" and kind == "exit":
        return {"permitted": False, "since": HANDED, "reference": sids[nid]}
    return {"permitted": True}


def no_personal_data(raw, what):
    for s in PERSONAL:
        check(s not in raw, "%s discloses %r: %s" % (what, s, raw))


def audit_rows(db, action="check"):
    """Rows of the audit log, read-only from the register file."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(
            "SELECT idx, at, actor_token, actor_role, action, person, purpose,"
            " detail FROM audit_log WHERE action = ? ORDER BY idx", (action,)).fetchall()
    finally:
        con.close()


def settled_rows(db, want, action="check"):
    """The number of audit rows once the group commit has caught up (polls
    up to 10 s for `want`, then looks again: more would also show)."""
    deadline = time.monotonic() + 10
    while len(audit_rows(db, action)) < want and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)
    return len(audit_rows(db, action))


def checks_in_access_log(srv, citizen):
    r = srv.get("/v1/me/access-log", token=citizen)
    eq(r.status, 200, "access log: %r" % r)
    return [e for e in r.json["entries"] if e["action"] == "check"]


# ---- least disclosure --------------------------------------------------


@with_ctx()
def test_answer_discloses_nothing_beyond_permitted_since_reference(c):
    clerk, ag, sids = world(c)
    ids = ["BAR-0001", "EXIT-0001", "LIFTED-0001", "CLEAN-0001", "NOBODY-0001"]
    for kind in KINDS:
        tok = ag[kind][1]
        for nid in ids:
            r = c.srv.get("/v1/checks/%s/%s" % (kind, nid), token=tok, now=NOW)
            eq(r.status, 200, "check %s %s: %r" % (kind, nid, r))
            eq(r.headers.get("content-type"), "application/json", "content type")
            check(set(r.json) <= ANSWER_KEYS, "extra keys in %r" % r.json)
            eq(r.json, expected(nid, kind, sids), "answer %s %s" % (kind, nid))
            if r.json["permitted"]:
                eq(set(r.json), {"permitted"}, "a permitted answer is bare")
            else:
                eq(set(r.json), ANSWER_KEYS, "a refusal names since and reference")
            no_personal_data(r.raw, "check %s %s" % (kind, nid))
            for h in r.headers:
                check(h in ("date", "content-type", "content-length", "x-request-id",
                            "cache-control", "x-content-type-options",
                            "referrer-policy", "content-security-policy", "connection"),
                      "unexpected header %s: %s" % (h, r.headers[h]))
        # Batch: same order, duplicates kept; each result only adds national_id.
        batch = ids + ["BAR-0001", "NOBODY-0002", "CLEAN-0001"]
        r = c.srv.post("/v1/checks/" + kind, {"national_ids": batch}, token=tok, now=NOW)
        eq(r.status, 200, "batch %s: %r" % (kind, r))
        eq(set(r.json), {"results"}, "batch envelope")
        eq([x["national_id"] for x in r.json["results"]], batch, "batch order")
        for nid, x in zip(batch, r.json["results"]):
            check(set(x) <= ANSWER_KEYS | {"national_id"}, "extra keys in %r" % x)
            y = dict(x)
            del y["national_id"]
            eq(y, expected(nid, kind, sids), "batch answer %s %s" % (kind, nid))
        no_personal_data(r.raw, "batch " + kind)
    # The batch bound: 1000 ids answer, 1001 do not, and neither do bad ids.
    tok = ag["exit"][1]
    r = c.srv.post("/v1/checks/exit", {"national_ids": ["CLEAN-0001"] * 1000}, token=tok)
    eq(r.status, 200, "1000 ids")
    eq(len(r.json["results"]), 1000, "1000 answers")
    for body in ({"national_ids": ["CLEAN-0001"] * 1001}, {"national_ids": []},
                 {"national_ids": ["bad id"]}, {"national_ids": "CLEAN-0001"}, {}):
        r = c.srv.post("/v1/checks/exit", body, token=tok)
        eq(r.status, 400, "bad batch %r" % (body,))
        eq(r.headers.get("content-type"), "application/problem+json", "problem")
        check("permitted" not in r.raw and "results" not in r.raw, "no answer in a 400")
    r = c.srv.get("/v1/checks/exit/bad%20id", token=tok)
    eq(r.status, 400, "malformed id")
    # An agency token reads nothing else about a person.
    for path in ("/v1/persons/BAR-0001", "/v1/persons/BAR-0001/status",
                 "/v1/summonses/" + sids["BAR-0001"], "/v1/me/status",
                 "/v1/me/access-log", "/v1/persons"):
        eq(c.srv.get(path, token=tok).status, 403, "agency token on " + path)


@with_ctx()
def test_kind_scoping_table(c):
    clerk, ag, sids = world(c)
    _, citizen = make_token(c, "citizen", person="BAR-0001")
    others = {role: make_token(c, role)[1] for role in OTHER_ROLES if role != "citizen"}
    others["citizen"] = citizen
    others["admin"] = c.admin
    table = []
    for tkind in KINDS:
        row = []
        for kind in KINDS:
            g = c.srv.get("/v1/checks/%s/BAR-0001" % kind, token=ag[tkind][1], now=NOW)
            p = c.srv.post("/v1/checks/" + kind, {"national_ids": ["BAR-0001"]},
                           token=ag[tkind][1], now=NOW)
            want = 200 if tkind == kind else 403
            eq((g.status, p.status), (want, want), "%s token on %s" % (tkind, kind))
            if want == 403:
                check("permitted" not in g.raw and "permitted" not in p.raw,
                      "a 403 carries no answer")
            row.append(g.status)
        table.append(row)
    for role, tok in sorted(others.items()):
        for kind in KINDS:
            g = c.srv.get("/v1/checks/%s/BAR-0001" % kind, token=tok, now=NOW)
            p = c.srv.post("/v1/checks/" + kind, {"national_ids": ["BAR-0001"]},
                           token=tok, now=NOW)
            eq((g.status, p.status), (403, 403), "%s token on %s" % (role, kind))
    for kind in KINDS:
        g = c.srv.get("/v1/checks/%s/BAR-0001" % kind)
        p = c.srv.post("/v1/checks/" + kind, {"national_ids": ["BAR-0001"]})
        eq((g.status, p.status), (401, 401), "no token on " + kind)
        eq(g.headers.get("www-authenticate", "")[:6], "Bearer", "challenge")
        g = c.srv.get("/v1/checks/%s/BAR-0001" % kind, token="mu_not-a-real-token")
        eq(g.status, 401, "unknown token on " + kind)
    # A revoked agency token is no token at all.
    tid, tok = make_token(c, "agency", agency="exit")
    eq(c.srv.get("/v1/checks/exit/BAR-0001", token=tok).status, 200, "fresh token")
    eq(c.srv.post("/v1/tokens/%s/revoke" % tid, {}, token=c.admin).status, 200, "revoke")
    eq(c.srv.get("/v1/checks/exit/BAR-0001", token=tok).status, 401, "revoked token")
    # Only the allowed cells were audited: refusals answered nothing.
    eq(settled_rows(c.db, 7 * 2 + 1), 7 * 2 + 1,
       "audited checks: one GET and one batch per kind, plus one")
    print("     scoping table (rows: token kind, cols: check kind):")
    for tkind, row in zip(KINDS, table):
        print("     %-22s %s" % (tkind, " ".join(str(s) for s in row)))


# ---- unknown ids ---------------------------------------------------------


def timed(conn, path, headers):
    t0 = time.perf_counter()
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    body = r.read()
    return time.perf_counter() - t0, r.status, dict(r.getheaders()), body


def timing_round(port, tok, known, unknown, pairs, rng):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = {"Authorization": "Bearer " + tok}
    tk, tu = [], []
    try:
        for i in range(40):                       # warm up both paths
            timed(conn, "/v1/checks/exit/" + known[i % len(known)], h)
            timed(conn, "/v1/checks/exit/" + unknown[i % len(unknown)], h)
        for i in range(pairs):
            order = [("k", known[i % len(known)]), ("u", unknown[i % len(unknown)])]
            rng.shuffle(order)                    # no systematic first/second bias
            for which, nid in order:
                dt, status, _, body = timed(conn, "/v1/checks/exit/" + nid, h)
                eq((status, body), (200, b'{"permitted":true}'), "answer for " + nid)
                (tk if which == "k" else tu).append(dt)
    finally:
        conn.close()
    slower = sum(1 for a, b in zip(tu, tk) if a > b) / len(tk)
    print("     unknown slower than known in %.0f%% of pairs" % (100 * slower))
    return statistics.median(tk), statistics.median(tu)


@with_ctx()
def test_unknown_id_looks_like_known_unrestricted(c):
    c.office()
    _, tok = make_token(c, "agency", agency="exit")
    known = ["KNOWN-%04d" % i for i in range(30)]
    unknown = ["UNKNOWN-%04d" % i for i in range(30)]
    for nid in known:
        c.person(nid)
    # Shape and size: byte-identical bodies and the same headers.
    a = c.srv.get("/v1/checks/exit/" + known[0], token=tok)
    b = c.srv.get("/v1/checks/exit/" + unknown[0], token=tok)
    eq((a.status, b.status), (200, 200), "both answer")
    eq(a.raw, '{"permitted":true}', "known, unrestricted")
    eq(b.raw, a.raw, "unknown answers byte for byte like known")
    eq(sorted(a.headers), sorted(b.headers), "same header names")
    for h in a.headers:
        if h not in ("date", "x-request-id"):
            eq(b.headers[h], a.headers[h], "header " + h)
    # Batch: the same.
    r = c.srv.post("/v1/checks/exit", {"national_ids": [known[1], unknown[1]]}, token=tok)
    eq([sorted(x.items()) for x in r.json["results"]],
       [[("national_id", known[1]), ("permitted", True)],
        [("national_id", unknown[1]), ("permitted", True)]], "batch")
    # Timing: interleaved pairs in random order on one keep-alive connection,
    # compared by median. The margin is wide (a fifth of the median plus
    # 30 us) so load and sanitizers cannot fail it, yet a distinct code
    # path for unknown ids (a 404 branch, a second query, an exception)
    # costing a fraction of a request would show. A round that fails is
    # repeated; a real difference fails every round.
    rng = random.Random(5)
    pairs = 300
    for attempt in range(3):
        mk, mu = timing_round(c.srv.port, tok, known, unknown, pairs, rng)
        tol = 0.2 * max(mk, mu) + 0.00003
        print("     median known %.1f us, unknown %.1f us, tolerance %.1f us" %
              (mk * 1e6, mu * 1e6, tol * 1e6))
        if abs(mu - mk) <= tol:
            break
    else:
        raise AssertionError("unknown ids are distinguishable by timing: "
                             "median %.1f us vs %.1f us" % (mu * 1e6, mk * 1e6))


# ---- audit ---------------------------------------------------------------


@with_ctx()
def test_every_check_audited_and_shown_to_the_person(c):
    clerk, ag, sids = world(c)
    _, citizen = make_token(c, "citizen", person="BAR-0001")
    _, clean_citizen = make_token(c, "citizen", person="CLEAN-0001")
    before = len(audit_rows(c.db))
    # Checks at distinct instants: (kind, instant, expected answer).
    plan = [("exit", "2026-04-15T09:01:00Z", False),
            ("credit", "2026-04-15T09:02:00Z", False),
            ("driving", "2026-04-15T09:03:00Z", False),
            ("exit", "2026-04-15T09:04:00Z", False)]
    for kind, at, permitted in plan:
        r = c.srv.get("/v1/checks/%s/BAR-0001" % kind, token=ag[kind][1], now=at)
        eq((r.status, r.json["permitted"]), (200, permitted), "check %s" % kind)
    # A batch audits each id it answers, once per occurrence.
    r = c.srv.post("/v1/checks/real_estate",
                   {"national_ids": ["BAR-0001", "CLEAN-0001", "NOBODY-0009", "BAR-0001"]},
                   token=ag["real_estate"][1], now="2026-04-15T09:05:00Z")
    eq(r.status, 200, "batch")
    # Read the person's view at once: the access log flushes the audit
    # queue before it reads, so every check answered before it is there.
    mine = checks_in_access_log(c.srv, citizen)
    clean = checks_in_access_log(c.srv, clean_citizen)
    # The record itself: the agency's token, the kind, the person, the
    # instant and the whole answer. Unknown ids are audited like known ones.
    eq(settled_rows(c.db, before + 8) - before, 8, "eight checks answered, eight rows")
    rows = audit_rows(c.db)[before:]
    tid = {k: ag[k][0] for k in KINDS}
    got = [(r[2], r[3], r[6], r[5], r[1], json.loads(r[7])) for r in rows]
    ts = {at: calendar.timegm(time.strptime(at, "%Y-%m-%dT%H:%M:%SZ"))
          for at in ["2026-04-15T09:0%d:00Z" % i for i in range(1, 6)]}
    want = ([(tid[k], "agency", k, "BAR-0001", ts[at], expected("BAR-0001", k, sids))
             for k, at, _ in plan] +
            [(tid["real_estate"], "agency", "real_estate", nid, ts["2026-04-15T09:05:00Z"],
              expected(nid, "real_estate", sids))
             for nid in ("BAR-0001", "CLEAN-0001", "NOBODY-0009", "BAR-0001")])
    eq(got, want, "audit rows: token, role, kind, person, instant, the whole answer")
    # The person's view, in plain words.
    eq(len(mine), 6, "BAR-0001 was checked six times before reading the access log, "
       "which flushes the audit queue first; it shows %d: %r" % (len(mine), mine))
    want = [(k, at) for k, at, _ in plan] + [("real_estate", "2026-04-15T09:05:00Z")] * 2
    eq([(e["agency_kind"], e["at"]) for e in mine], want, "kinds and instants")
    for e in mine:
        eq(e["actor_role"], "agency", "actor role")
        check(e.get("kind", "read") == "read", "a check is a read of the person's "
              "data, not a change: %r" % e)
        d = e["description"]
        check("answer: not permitted" in d, "answer in plain words: %r" % d)
        check("token" not in d.lower() and "{" not in d, "no jargon: %r" % d)
    eq(mine[0]["description"],
       "The border service checked whether you may leave the country; "
       "answer: not permitted", "border check, in words")
    check("real estate" in mine[4]["description"] or "real-estate" in mine[4]["description"],
          "real-estate check, in words: %r" % mine[4]["description"])
    eq(len(clean), 1, "CLEAN-0001 checked once")
    check(clean[0]["description"].endswith("answer: permitted"), "permitted, in words")
    code, out, err = run_cli("audit", "verify", "--db", c.db)
    eq(code, 0, "audit chain verifies: " + out + err)


def count_checks(srv, citizen):
    """Check entries in the person's whole access log (all pages)."""
    n, after = 0, 0
    while True:
        r = srv.get("/v1/me/access-log?after=%d" % after, token=citizen)
        eq(r.status, 200, "access log: %r" % r)
        n += sum(1 for e in r.json["entries"] if e["action"] == "check")
        if r.json["next"] is None:
            return n
        after = r.json["next"]


@with_ctx()
def test_access_log_shows_every_check_answered_before_it_under_load(c):
    """Agencies check without pause while the person reads the access log:
    each read shows at least the checks answered before it began, however
    the group commit happens to be placed."""
    c.office()
    _, tok = make_token(c, "agency", agency="exit")
    c.person("LOAD-0001")
    _, citizen = make_token(c, "citizen", person="LOAD-0001")
    answered, stop, errors = [0] * 4, [], []

    def hammer(i):
        conn = http.client.HTTPConnection("127.0.0.1", c.srv.port, timeout=60)
        h = {"Authorization": "Bearer " + tok}
        try:
            while not stop and answered[i] < 300:
                conn.request("GET", "/v1/checks/exit/LOAD-0001", headers=h)
                r = conn.getresponse()
                r.read()
                if r.status == 200:
                    answered[i] += 1
                elif r.status != 503:
                    errors.append(r.status)
        finally:
            conn.close()
    th = [threading.Thread(target=hammer, args=(i,), daemon=True) for i in range(4)]
    for t in th:
        t.start()
    short = []
    try:
        while any(t.is_alive() for t in th):
            time.sleep(0.02)
            before = sum(answered)
            shown = count_checks(c.srv, citizen)
            if shown < before:
                short.append((shown, before))
    finally:
        stop.append(1)
        for t in th:
            t.join(30)
    eq(errors, [], "checks answer 200 or 503")
    check(sum(answered) > 100, "the agencies did check: %d" % sum(answered))
    eq(short, [], "access log reads that missed checks answered before them "
       "(shown, answered)")
    eq(settled_rows(c.db, sum(answered)), sum(answered), "every answered check audited")


@with_ctx()
def test_check_in_the_past_is_computed_from_facts(c):
    """After the bar is lifted (materialised state moved on), a check as of
    an earlier instant falls back to the facts and answers as the law stood
    then; at once after `appeared` the check is permitted."""
    clerk, ag, sids = world(c)
    tok = ag["exit"][1]
    r = c.srv.get("/v1/checks/exit/BAR-0001", token=tok, now=NOW)
    eq(r.json["permitted"], False, "barred")
    event(c, clerk, sids["BAR-0001"], "appeared", "2026-04-16T09:00:00Z")
    for kind in KINDS:
        r = c.srv.get("/v1/checks/%s/BAR-0001" % kind, token=ag[kind][1],
                      now="2026-04-16T09:00:00Z")
        eq(r.json, {"permitted": True}, "lifted at once: " + kind)
    r = c.srv.get("/v1/checks/credit/BAR-0001", token=ag["credit"][1],
                  now="2026-04-01T00:00:00Z")
    eq(r.json, {"permitted": False, "since": DAY20, "reference": sids["BAR-0001"]},
       "as of 1 April")
    r = c.srv.get("/v1/checks/credit/BAR-0001", token=ag["credit"][1],
                  now="2026-03-20T00:00:00Z")
    eq(r.json, {"permitted": True}, "before day 20")
    r = c.srv.get("/v1/checks/exit/BAR-0001", token=tok, now="2026-03-01T09:30:00Z")
    eq(r.json, {"permitted": True}, "before delivery")


@with_ctx()
def test_check_answers_as_the_status_whichever_path(c):
    """Two summonses bar the same kind in overlapping periods. The answer
    comes from the materialised state (one lookup) when it is current and
    from the facts when asked about an earlier instant; both must answer as
    the person's status does: of the summonses barring the kind, the one
    whose bar began first, and since when. A summons that has ended is
    never the reference. The feed records the aggregated changes."""
    c.office()
    clerk = c.token("clerk")
    _, tok = make_token(c, "agency", agency="exit")
    c.person("TWO-0001")
    live = {}

    def probe(t):
        r = c.srv.get("/v1/checks/exit/TWO-0001", token=tok, now=t)
        eq(r.status, 200, "check at " + t)
        live[t] = r.json

    s1 = issue(c, clerk, "TWO-0001", "2026-03-20T09:00:00Z")
    probe("2026-03-01T12:00:00Z")
    event(c, clerk, s1, "handed", "2026-03-02T09:00:00Z")
    probe("2026-03-03T12:00:00Z")
    s2 = issue(c, clerk, "TWO-0001", "2026-03-25T09:00:00Z", at="2026-03-04T09:00:00Z")
    event(c, clerk, s2, "handed", "2026-03-05T09:00:00Z")
    probe("2026-03-06T12:00:00Z")
    event(c, clerk, s1, "appeared", "2026-03-10T09:00:00Z")
    probe("2026-03-11T12:00:00Z")                  # s2 alone keeps the bar
    event(c, clerk, s2, "appeared", "2026-03-15T09:00:00Z")
    probe("2026-03-16T12:00:00Z")
    s3 = issue(c, clerk, "TWO-0001", "2026-04-30T09:00:00Z", at="2026-03-20T09:00:00Z")
    event(c, clerk, s3, "handed", "2026-03-20T09:00:00Z")
    probe("2026-03-21T12:00:00Z")
    feed = c.srv.get("/v1/feed/restrictions", token=tok).json["events"]
    eq([(e["change"], e["at"], e["reference"]) for e in feed],
       [("imposed", "2026-03-02T09:00:00Z", s1), ("lifted", "2026-03-15T09:00:00Z", s2),
        ("imposed", "2026-03-20T09:00:00Z", s3)], "the aggregated record")

    def by_status(t):
        st = c.srv.get("/v1/persons/TWO-0001/status?at=" + t, token=clerk).json
        bars = sorted((r["since"], r["basis"]) for r in st["restrictions"]
                      if r["kind"] == "exit")
        if not bars:
            return {"permitted": True}
        return {"permitted": False, "since": bars[0][0], "reference": bars[0][1]}
    eq(live["2026-03-11T12:00:00Z"], {"permitted": False, "since": "2026-03-05T09:00:00Z",
                                      "reference": s2}, "s1 has ended: s2 bars")
    for t in sorted(live):
        eq(live[t], by_status(t), "answer at %s when current vs the status" % t)
        r = c.srv.get("/v1/checks/exit/TWO-0001", token=tok, now=t)
        eq(r.json, by_status(t), "answer about %s asked later (from the facts)" % t)


# ---- audit queue saturation and the crash window -------------------------


@with_ctx(extra=["--audit-queue", "2", "--audit-flush-ms", "60000"])
def test_503_when_the_audit_queue_is_full(c):
    c.office()
    _, tok = make_token(c, "agency", agency="exit")
    c.person("Q-0001")
    _, citizen = make_token(c, "citizen", person="Q-0001")
    # Every write above flushed the queue; three checks now fill it.
    got = [c.srv.get("/v1/checks/exit/Q-0001", token=tok) for _ in range(3)]
    eq([r.status for r in got], [200, 200, 503], "the third check is refused")
    eq(got[2].headers.get("content-type"), "application/problem+json", "problem")
    eq(got[2].json["status"], 503, "problem status")
    check("permitted" not in got[2].raw, "a refusal carries no answer")
    r = c.srv.get("/metrics", token=c.admin)
    check("muster_audit_refusals_total 1\n" in r.raw, "refusals counted:\n" + r.raw)
    eq(len(audit_rows(c.db)), 0, "still queued, nothing written yet")
    # A batch is refused too while the queue is full.
    r = c.srv.post("/v1/checks/exit", {"national_ids": ["Q-0001"]}, token=tok)
    eq(r.status, 503, "batch refused while full")
    # Reading the access log flushes the queue first: checks answer again.
    eq(len(checks_in_access_log(c.srv, citizen)), 2, "the two answered checks")
    r = c.srv.post("/v1/checks/exit", {"national_ids": ["Q-0001", "Q-0001"]}, token=tok)
    eq(r.status, 200, "batch after the flush")
    eq(c.srv.get("/v1/checks/exit/Q-0001", token=tok).status, 503, "full again")
    eq(c.srv.stop(), 0, "clean exit")
    c.srv = None
    # Nothing unaudited was answered: 2 + 2 answers, 4 rows.
    eq(len(audit_rows(c.db)), 4, "every answered check is audited")


def answered_checks(c, tok, n):
    for i in range(n):
        r = c.srv.get("/v1/checks/exit/L-0001", token=tok)
        eq(r.status, 200, "check %d" % i)


def loss_setup(c):
    c.office()
    _, tok = make_token(c, "agency", agency="exit")
    c.person("L-0001")
    _, citizen = make_token(c, "citizen", person="L-0001")
    return tok, citizen


def restart(c, sig, extra=()):
    code = c.srv.stop(sig)
    eq(code, 0 if sig == signal.SIGTERM else -signal.SIGKILL, "exit status on %s" % sig)
    c.srv = Server(c.db, extra=extra)


@with_ctx(extra=["--audit-flush-ms", "60000"])
def test_clean_shutdown_loses_no_audit_record(c):
    tok, citizen = loss_setup(c)
    answered_checks(c, tok, 5)
    eq(len(audit_rows(c.db)), 0, "the five records are still queued")
    restart(c, signal.SIGTERM)
    eq(len(checks_in_access_log(c.srv, citizen)), 5, "all five kept by SIGTERM")
    eq(len(audit_rows(c.db)), 5, "five rows")


@with_ctx()
def test_kill9_after_the_flush_interval_loses_nothing(c):
    tok, citizen = loss_setup(c)
    answered_checks(c, tok, 5)
    time.sleep(0.5)                       # 100 x the default 5 ms interval
    restart(c, signal.SIGKILL)
    eq(len(checks_in_access_log(c.srv, citizen)), 5, "all five survive kill -9")
    code, out, err = run_cli("audit", "verify", "--db", c.db)
    eq(code, 0, "audit chain verifies after kill -9: " + out + err)


@with_ctx(extra=["--audit-flush-ms", "60000"])
def test_kill9_within_the_flush_interval_loses_the_queue(c):
    """The documented crash window: records answered but still queued when
    the process dies are lost; at most --audit-queue records and at most
    --audit-flush-ms of checks (5 ms by default)."""
    tok, citizen = loss_setup(c)
    answered_checks(c, tok, 5)
    restart(c, signal.SIGKILL)
    eq(len(checks_in_access_log(c.srv, citizen)), 0, "all five queued records lost")
    eq(len(audit_rows(c.db)), 0, "no check rows")
    code, out, err = run_cli("audit", "verify", "--db", c.db)
    eq(code, 0, "the chain is intact, only shorter: " + out + err)
    answered_checks(c, tok, 1)            # and the restarted server audits again
    eq(len(checks_in_access_log(c.srv, citizen)), 1, "audited after restart")


@with_ctx()
def test_a_late_fact_dates_the_check_when_it_happened(c):
    """A delivery recorded late is dated when it happened, in the check as
    in the status; the feed, which stays in time order, may date its record
    later (found by a review against LEGAL_RULES.md)."""
    c.office()
    clerk = c.token("clerk")
    _, tok = make_token(c, "agency", agency="exit")
    c.person("LATE-0001")
    c.person("LATE-0002")

    def post(sid, typ, at, now):
        r = c.srv.post("/v1/summonses/%s/events" % sid, {"type": typ, "at": at},
                       token=clerk, now=now)
        eq(r.status, 201, "%s: %r" % (typ, r))

    def check_at(nid, now):
        return c.srv.get("/v1/checks/exit/" + nid, token=tok, now=now).json

    # first delivery recorded two days late, after another event was recorded
    s1 = issue(c, clerk, "LATE-0001", "2026-03-20T09:00:00Z")
    post(s1, "post_sent", "2026-03-05T00:00:00Z", "2026-03-05T00:00:00Z")
    post(s1, "handed", "2026-03-04T10:00:00Z", "2026-03-06T00:00:00Z")
    want = {"permitted": False, "since": "2026-03-04T10:00:00Z", "reference": s1}
    eq(check_at("LATE-0001", "2026-03-06T00:00:00Z"), want, "current state")
    eq(check_at("LATE-0001", "2026-03-07T00:00:00Z"), want, "a day later")
    eq(check_at("LATE-0001", "2026-03-05T12:00:00Z"), want, "from the facts")
    # an earlier delivery recorded while the deemed one already bars
    s2 = issue(c, clerk, "LATE-0002", "2026-03-20T09:00:00Z")
    eq(check_at("LATE-0002", "2026-03-10T00:00:00Z"),
       {"permitted": False, "since": "2026-03-08T21:00:00Z", "reference": s2}, "deemed")
    post(s2, "post_delivered", "2026-03-04T10:00:00Z", "2026-03-11T00:00:00Z")
    eq(check_at("LATE-0002", "2026-03-11T00:00:00Z"),
       {"permitted": False, "since": "2026-03-04T10:00:00Z", "reference": s2},
       "the earlier delivery")
    st = c.srv.get("/v1/persons/LATE-0002/status", token=clerk, now="2026-03-11T00:00:00Z").json
    eq([r["since"] for r in st["restrictions"] if r["kind"] == "exit"],
       ["2026-03-04T10:00:00Z"], "as the status says")
    feed = [e for e in c.srv.get("/v1/feed/restrictions", token=tok).json["events"]
            if e["national_id"] == "LATE-0001"]
    eq([(e["change"], e["at"]) for e in feed], [("imposed", "2026-03-05T00:00:00Z")],
       "the feed keeps its time order")
    # a receipt signed before the appearance, entered after it, is taken:
    # the status of the days between shows the bar; nothing bars now
    c.person("LATE-0003")
    s3 = issue(c, clerk, "LATE-0003", "2026-03-20T09:00:00Z")
    post(s3, "appeared", "2026-03-08T10:00:00Z", "2026-03-08T10:00:00Z")
    post(s3, "post_delivered", "2026-03-04T10:00:00Z", "2026-03-09T00:00:00Z")
    r = c.srv.post("/v1/summonses/%s/events" % s3, {"type": "handed",
                   "at": "2026-03-08T11:00:00Z"}, token=clerk, now="2026-03-09T00:00:00Z")
    eq((r.status, r.json.get("field")), (400, "type"), "evidence after the end: %r" % r)
    st = c.srv.get("/v1/persons/LATE-0003/status?at=2026-03-06T00:00:00Z", token=clerk,
                   now="2026-03-09T00:00:00Z").json
    eq([(r["kind"], r["since"]) for r in st["restrictions"]],
       [("exit", "2026-03-04T10:00:00Z")], "as of 6 March")
    eq(check_at("LATE-0003", "2026-03-09T00:00:00Z"), {"permitted": True}, "now")


if __name__ == "__main__":
    run(globals())
