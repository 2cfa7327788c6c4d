"""Office scope, four eyes and strict input at the edges of the API.

Each test is a defect an adversarial review found (and that is now fixed):
postal evidence for another office's summons, the notice outbox outside a
clerk's office and unaudited, a correction lifting fitness D, unknown body
fields taken silently, dates before a person's birth, an encoded '/' or
NUL in the path, HEAD, and a usage error's exit status.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lib import Ctx, check, eq, run, run_cli, with_ctx  # noqa: E402
from test_notices import Gateway, wait_for  # noqa: E402

NOW = "2026-03-02T06:00:00Z"


def two_offices(c):
    c.office("MOW", "Europe/Moscow")
    c.office("VVO", "Asia/Vladivostok", region="Primorye")
    c.person("SC-MOW1")
    c.person("SC-VVO1", office="VVO", region="Primorye")


def issue(c, token, nid):
    r = c.srv.post("/v1/summonses", {"national_id": nid, "purpose": "medical_exam",
                                     "report_at": "2026-03-20T09:00:00+03:00"},
                   token=token, now=NOW)
    eq(r.status, 201, "issue to %s: %r" % (nid, r))
    return r.json["id"]


@with_ctx()
def test_postal_evidence_stays_in_the_clerks_office(c):
    two_offices(c)
    clerk = c.token("clerk")
    mow = c.token("clerk", office="MOW")
    theirs, ours = issue(c, clerk, "SC-VVO1"), issue(c, clerk, "SC-MOW1")
    body = ("summons_id,type,at,reference\n"
            "%s,post_delivered,2026-03-03T08:00:00Z,RA1\n"
            "S-NOSUCHSUMMONS,post_delivered,2026-03-03T08:00:00Z\n"
            "%s,post_delivered,2026-03-03T08:00:00Z,RA2\n" % (theirs, ours))
    r = c.srv.request("POST", "/v1/post/evidence", raw=body.encode(), token=mow,
                      headers={"Content-Type": "text/csv"}, now="2026-03-04T00:00:00Z")
    eq(r.status, 200, "evidence: %r" % r)
    eq(r.json["accepted"], 1, "only the own office's line: %r" % r.json)
    rej = {x["line"]: x for x in r.json["rejected"]}
    eq(sorted(rej), [2, 3], "rejected lines")
    eq(rej[2]["detail"], "no summons %s in your scope" % theirs, "another office's summons")
    eq(rej[3]["detail"], "no summons S-NOSUCHSUMMONS in your scope",
       "an unknown id gets the same answer: nothing about other offices leaks")
    s = c.srv.get("/v1/summonses/" + theirs, token=clerk).json
    eq([e["type"] for e in s["events"]].count("post_delivered"), 0, "nothing recorded")
    r = c.srv.request("POST", "/v1/post/evidence", raw=body.encode(), token=clerk,
                      headers={"Content-Type": "text/csv"}, now="2026-03-04T00:00:00Z")
    eq(r.json["accepted"], 2, "a national clerk records both: %r" % r.json)


def test_notices_outbox_is_scoped_and_audited():
    gw = Gateway()
    c = Ctx(extra=["--notify-url", gw.url, "--notify-backoff-ms", "100"])
    try:
        two_offices(c)
        clerk = c.token("clerk")
        mow = c.token("clerk", office="MOW")
        issue(c, clerk, "SC-MOW1")
        issue(c, clerk, "SC-VVO1")

        def ids(token, query=""):
            r = c.srv.get("/v1/notices" + query, token=token)
            eq(r.status, 200, "notices: %r" % r)
            return sorted({n["national_id"] for n in r.json["notices"]})
        check(wait_for(lambda: ids(clerk) == ["SC-MOW1", "SC-VVO1"]),
              "both persons have notices: %r" % ids(clerk))
        eq(ids(mow), ["SC-MOW1"], "an office-scoped clerk sees the office's persons only")
        eq(ids(mow, "?national_id=SC-VVO1"), [], "not even by asking for the id")
        for nid in ("SC-MOW1", "SC-VVO1"):
            cit = c.token("citizen", person=nid)
            log = c.srv.get("/v1/me/access-log", token=cit).json["entries"]
            seen = [e for e in log if e["action"] == "notice.list"]
            check(seen, "%s is told that staff read their notices: %r" % (nid, log))
            check(all(len(e["description"]) > 10 for e in seen), "in plain words: %r" % seen)
    finally:
        c.close()
        gw.close()


@with_ctx()
def test_a_correction_cannot_lift_a_barring_fitness(c):
    c.office("MOW", "Europe/Moscow")
    clerk = c.token("clerk")
    for nid, cat in (("FD-0001", "D"), ("FD-0002", "G"), ("FD-0003", "A")):
        c.person(nid, fitness=cat)
    r = c.srv.patch("/v1/persons/FD-0001", {"fitness": "A"}, token=clerk)
    eq((r.status, r.json.get("field")), (409, "fitness"), "D cannot be patched away: %r" % r)
    check("medical board" in r.json["detail"], r.json["detail"])
    eq(c.srv.patch("/v1/persons/FD-0002", {"fitness": None}, token=c.admin).status, 409,
       "G cannot be cleared, not even by the admin")
    p = c.srv.get("/v1/persons/FD-0001", token=clerk).json
    eq((p["fitness"], p["version"]), ("D", 1), "nothing changed")
    r = c.srv.post("/v1/summonses", {"national_id": "FD-0001", "purpose": "mobilization",
                                     "report_at": "2026-03-20T09:00:00+03:00"},
                   token=clerk, now=NOW)
    eq(r.status, 409, "still barred: %r" % r)
    eq(c.srv.patch("/v1/persons/FD-0001", {"phone": "+79990000001"}, token=clerk).status, 200,
       "other corrections of the person go through")
    eq(c.srv.patch("/v1/persons/FD-0003", {"fitness": "B"}, token=clerk).json["fitness"], "B",
       "a category that bars nothing may be corrected")


@with_ctx()
def test_unknown_fields_are_refused_and_change_nothing(c):
    c.office("MOW", "Europe/Moscow")
    c.person("UF-0001")
    clerk = c.token("clerk")
    comm = c.token("commissar")
    agency = c.token("agency", agency="exit")
    cases = [
        ("/v1/tokens", {"role": "citizen", "person": "UF-0001", "expires": "never"},
         c.admin, "expires"),
        ("/v1/checks/exit", {"national_ids": ["UF-0001"], "x": 1}, agency, "x"),
        ("/v1/persons/UF-0001/removal", {"reason": "deceased", "date": "2026-01-01",
                                         "junk": "yes"}, clerk, "junk"),
        ("/v1/persons/UF-0001/account", {"provider": "builtin", "x": 1}, clerk, "x"),
        ("/v1/campaigns/C-NOSUCH/approve", {"junk": "x"}, comm, "junk"),
        ("/v1/campaigns/C-NOSUCH/cancel", {"reason": "r", "junk": "x"}, comm, "junk"),
    ]
    tokens_before = len(c.srv.get("/v1/tokens", token=c.admin).json["tokens"])
    for path, body, tok, field in cases:
        r = c.srv.post(path, body, token=tok, now=NOW)
        eq((r.status, r.json.get("field")), (400, field), "%s: %r" % (path, r))
        check("unknown field" in r.json["detail"], r.json["detail"])
    eq(len(c.srv.get("/v1/tokens", token=c.admin).json["tokens"]), tokens_before,
       "no token was made")
    p = c.srv.get("/v1/persons/UF-0001", token=clerk).json
    eq((p["status"], p["version"]), ("active", 1), "the person was not removed")
    draft = {"name": "c", "purpose": "training", "quota": 5,
             "report_from": "2026-04-01T09:00:00+03:00",
             "report_to": "2026-04-10T18:00:00+03:00",
             "criteria": {"born_from": "2000-01-01", "born_to": "2008-12-31"}}
    for bad, field in ((dict(draft, state="issued"), "state"),
                       (dict(draft, criteria=dict(draft["criteria"], junk=1)), "criteria.junk"),
                       (dict(draft, criteria=dict(draft["criteria"], fitness=["Q"])),
                        "criteria.fitness"),
                       (dict(draft, criteria=dict(draft["criteria"], offices=["NOPE"])),
                        "criteria.offices")):
        r = c.srv.post("/v1/campaigns", bad, token=c.admin, now=NOW)
        eq((r.status, r.json.get("field")), (400, field), "campaign %r: %r" % (bad, r))
    eq(c.srv.get("/v1/campaigns", token=c.admin).json["campaigns"], [], "no campaign drafted")
    eq(c.srv.post("/v1/campaigns", dict(draft, criteria=dict(draft["criteria"],
                                                             fitness=["A", "B"])),
                  token=c.admin, now=NOW).status, 201, "a good draft still goes through")


@with_ctx()
def test_dates_before_birth_are_refused(c):
    c.office("MOW", "Europe/Moscow")
    c.person("BD-0001", birth_date="2004-05-17")
    clerk = c.token("clerk")
    med = c.token("medical_board")
    r = c.srv.post("/v1/persons/BD-0001/removal", {"reason": "deceased", "date": "2004-05-16"},
                   token=clerk, now=NOW)
    eq((r.status, r.json.get("field")), (400, "date"), "removal before birth: %r" % r)
    check("1900" not in r.json["detail"] and "2004-05-17" not in r.json["detail"],
          "the birth date is not repeated in the error: %r" % r.json["detail"])
    r = c.srv.post("/v1/persons/BD-0001/fitness", {"category": "A", "decided_on": "1900-01-01",
                                                   "reference": "MB-2"}, token=med, now=NOW)
    eq((r.status, r.json.get("field")), (400, "decided_on"), "decision before birth: %r" % r)
    eq(c.srv.get("/v1/persons/BD-0001", token=clerk).json["status"], "active", "unchanged")
    c.person("BD-0002", birth_date="1980-01-01")
    path = os.path.join(c.dir, "removals.csv")
    with open(path, "w") as f:
        f.write("national_id,reason,date\nBD-0002,deceased,2026-01-01\n"
                "BD-0001,deceased,1990-01-01\n")
    code, out, err = run_cli("import", "removals", "--db", c.db, path)
    eq(code, 1, "import of a removal before birth: %s" % err)
    check("line 3: date: date 1990-01-01 is before the person's birth date" in err, err)
    eq(c.srv.get("/v1/persons/BD-0002", token=clerk).json["status"], "active",
       "all or nothing: the good row is not written either")
    code, out, err = run_cli("import", "removals", "--db", c.db, path, "--partial")
    eq(code, 0, "partial: %s %s" % (out, err))
    check("1 rejected" in out, out)
    with open(os.path.join(c.dir, "removals.rejects.csv")) as f:
        rej = f.read()
    check("BD-0001" in rej and "before the person's birth date" in rej, rej)
    eq(c.srv.get("/v1/persons/BD-0002", token=clerk).json["status"], "removed",
       "partial: the good row is written")
    eq(c.srv.post("/v1/persons/BD-0001/removal", {"reason": "deceased", "date": "2004-05-17"},
                  token=clerk, now=NOW).status, 200, "on the birth date itself: accepted")


@with_ctx()
def test_encoded_slash_or_nul_in_the_path_and_head(c):
    c.office("MOW", "Europe/Moscow")
    c.person("PA-0001")
    clerk = c.token("clerk")
    eq(c.srv.get("/v1/persons/PA-0001", token=clerk).status, 200, "the plain path")
    for path in ("/v1/persons/PA-0001%00x", "/v1/persons/PA-0001%2Fstatus",
                 "/v1/persons/PA-0001%2fhistory"):
        r = c.srv.get(path, token=clerk)
        eq((r.status, r.json.get("field")), (400, "path"), "%s: %r" % (path, r))
    r = c.srv.get("/v1/persons?q=%2F", token=clerk)
    eq(r.status, 200, "an encoded '/' in the query is a value like any other: %r" % r)
    r = c.srv.request("HEAD", "/healthz")
    eq((r.status, r.raw), (200, ""), "HEAD is GET without the body")
    eq(c.srv.request("HEAD", "/v1/persons/PA-0001").status, 401, "HEAD needs the token too")


@with_ctx()
def test_contract_edges_a_review_found(c):
    # CONTRACT.md: "a token without the right -> 403"; a citizen's token has
    # no right to another person's status, on the register or not
    two_offices(c)
    mine = c.token("citizen", person="SC-MOW1")
    for other in ("SC-VVO1", "SC-NOSUCH1"):
        r = c.srv.get("/v1/persons/%s/status" % other, token=mine)
        eq((r.status, r.json.get("field")), (403, "national_id"), "%s: %r" % (other, r))
        check("SC-VVO1" not in r.raw, "the refusal names nobody")
    eq(c.srv.get("/v1/persons/SC-MOW1/status", token=mine).status, 200, "their own")
    # "GET /healthz: anyone", even with a stale or forged token
    r = c.srv.get("/healthz", token="mst_forged")
    eq((r.status, r.json), (200, {"status": "ok"}), "healthz with a forged token")
    # an unencoded '+' offset in ?at= (the query string makes it a space)
    clerk = c.token("clerk")
    sid = issue(c, clerk, "SC-MOW1")
    plus = c.srv.get("/v1/persons/SC-MOW1/status?at=2026-03-12T11:00:00+03:00", token=clerk)
    enc = c.srv.get("/v1/persons/SC-MOW1/status?at=2026-03-12T11:00:00%2B03:00", token=clerk)
    eq(plus.status, 200, "unencoded +: %r" % plus)
    eq(plus.json, enc.json, "the same instant")
    check(any(s["id"] == sid for s in plus.json["summonses"]), "the summons is there")
    r = c.srv.get("/v1/persons/SC-MOW1/status?at=2026-03-12T11:00:00%2003", token=clerk)
    eq((r.status, r.json.get("field")), (400, "at"), "anything else is still refused")


@with_ctx()
def test_security_review_findings(c):
    # an office-scoped clerk summoning someone elsewhere or no one at all
    # gets the same answer (who is registered elsewhere stays unknown)
    two_offices(c)
    mow = c.token("clerk", office="MOW")
    body = {"purpose": "medical_exam", "report_at": "2026-03-20T09:00:00+03:00"}
    answers = []
    for nid in ("SC-VVO1", "SC-NOSUCH9"):
        r = c.srv.post("/v1/summonses", dict(body, national_id=nid), token=mow, now=NOW)
        answers.append((r.status, r.json["detail"].replace(nid, "ID")))
    eq(answers[0], answers[1], "elsewhere vs nowhere")
    eq(answers[0][0], 404, "404")
    # a path with CR/LF or a terminal escape cannot forge access-log lines
    r = c.srv.get("/nope%0d%0ar999%20GET%20/v1/persons/X%20200%1b[31m")
    eq(r.status, 404)
    # the access-log line is written once the answer is sent: wait for it
    wait_for(lambda: "\\x0d\\x0ar999\\x20GET" in c.srv.log(), timeout=10)
    log = c.srv.log()
    check("\\x0d\\x0ar999\\x20GET" in log, "escaped in the log: %r" % log[-400:])
    check("\nr999 GET" not in log and "\x1b" not in log, "no raw control characters")
    # a number that overflows, or carries a sign or a space, is refused, not
    # clamped (a feed cursor clamped to the maximum skipped every change)
    agency = c.token("agency", agency="exit")
    for q in ("after=99999999999999999999", "after=+5", "after=%205", "limit=10abc"):
        r = c.srv.get("/v1/feed/restrictions?" + q, token=agency)
        eq((r.status, r.json.get("field")), (400, q.split("=")[0]), q)
    eq(c.srv.get("/v1/feed/restrictions?after=0", token=agency).status, 200, "after=0")
    eq(c.srv.get("/v1/persons?limit=5x", token=c.admin).status, 400, "persons limit")
    # a body declared larger than 1 MiB is refused before it is sent
    # ("Expect: 100-continue" gets the 413, not "100 Continue")
    import socket
    with socket.create_connection(("127.0.0.1", c.srv.port), timeout=10) as sk:
        sk.sendall(b"POST /v1/offices HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                   b"\r\nExpect: 100-continue\r\nContent-Length: 10000000000\r\n\r\n")
        head = sk.recv(4096).decode("latin-1")
    check(head.startswith("HTTP/1.1 413"), "early 413: %r" % head[:80])


@with_ctx()
def test_access_log_names_feed_reads_and_tells_reads_from_changes(c):
    c.office("MOW", "Europe/Moscow")
    c.person("AL-0001")
    clerk = c.token("clerk")
    agency = c.token("agency", agency="exit")
    cit = c.token("citizen", person="AL-0001")
    sid = issue(c, clerk, "AL-0001")
    r = c.srv.post("/v1/summonses/%s/events" % sid, {"type": "handed", "at": NOW},
                   token=clerk, now=NOW)
    eq(r.status, 201, "handed: %r" % r)
    feed = c.srv.get("/v1/feed/restrictions", token=agency, now=NOW).json["events"]
    check(any(e["national_id"] == "AL-0001" for e in feed), "the bar is in the feed: %r" % feed)
    eq(c.srv.get("/v1/summonses/%s/pdf" % sid, token=clerk, now=NOW).status, 200, "print")
    eq(c.srv.get("/v1/me/summonses", token=cit, now=NOW).status, 200)
    log = c.srv.get("/v1/me/access-log", token=cit, now=NOW).json["entries"]
    by = {}
    for e in log:
        by.setdefault(e["action"], e)
    check("feed.read" in by, "the agency's feed read is in the access log: %r" % log)
    check("received the changes of your restrictions" in by["feed.read"]["description"],
          by["feed.read"])
    for action in ("feed.read", "summons.print", "person.summonses"):
        eq(by[action]["kind"], "read", "%s is a read" % action)
    for action in ("summons.issue", "summons.event"):
        eq(by[action]["kind"], "change", "%s is a change" % action)
    for e in log:
        check(e["action"] not in e["description"], "plain words, not a code: %r" % e)


@with_ctx()
def test_an_appeal_tells_nothing_about_records_outside_the_scope(c):
    two_offices(c)
    clerk = c.token("clerk")
    mow = c.token("clerk", office="MOW")
    med = c.token("medical_board")
    theirs = issue(c, clerk, "SC-VVO1")
    r = c.srv.post("/v1/persons/SC-VVO1/fitness", {"category": "B", "decided_on": "2026-02-01",
                                                   "reference": "MB-1"}, token=med, now=NOW)
    eq(r.status, 201, "fitness: %r" % r)
    fid = r.json["id"]
    cit = c.token("citizen", person="SC-MOW1")
    for tok, against, real, fake in ((mow, "summons", theirs, "S-AAAAAAAAAAAA"),
                                     (cit, "fitness", fid, "F-AAAAAAAAAAAA")):
        got = []
        for subject in (real, fake):
            r = c.srv.post("/v1/appeals", {"against": against, "subject_id": subject,
                                           "grounds": "g"}, token=tok, now=NOW)
            got.append((r.status, r.json.get("field"),
                        r.json["detail"].replace(subject, "ID")))
        eq(got[0], got[1], "another person's %s and an unknown one answer alike" % against)
        eq(got[0][0], 404, "not found: %r" % (got,))


def test_cli_usage_errors_and_token_fields():
    c = Ctx(serve=False)
    try:
        code, out, err = run_cli("token", "create", "--db", c.db)
        eq(code, 2, "usage error: %s" % err)
        check("--role" in err, err)
        code, out, err = run_cli("token", "list", "--db", c.db, "--role", "x")
        eq(code, 2, "list takes no --role: %s" % err)
        code, out, err = run_cli("init", "--db", c.db + "2", "--bogus")
        eq((code, err), (2, "muster: bad option '--bogus' (see: muster help init)\n"),
           "one line naming the option")
        code, out, err = run_cli("token", "create", "--db", c.db, "--role", "agency",
                                 "--agency", "driving", "--label", "x" * 62 + "й")
        eq(code, 1, "a label over 63 bytes is refused, not cut: %s" % err)
        check("--label is at most 63 bytes" in err, err)
        eq(run_cli("token", "create", "--db", c.db, "--role", "agency", "--agency",
                   "driving", "--label", "x" * 61 + "й")[0], 0, "63 bytes is fine")
    finally:
        c.close()


if __name__ == "__main__":
    run(globals())
