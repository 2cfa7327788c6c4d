"""The summons surface around the rules: validation (each failure a 400
naming its field, and nothing stored), the protections (removed persons,
fitness category D), the citizen's own status and the refusal of anyone
else's, `muster status` against the API, and the test clock: honoured with
--test-clock, without any effect without it.
"""
import datetime as dt
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lib import Ctx, check, eq, run, run_cli  # noqa: E402
from summons_world import (DAY20, DEEMED, ISSUE, KINDS, World, before, in_world,  # noqa: E402
                           iso, parse, problem, shift)




def post_event(w, sid, body):
    return w.srv.post("/v1/summonses/%s/events" % sid, body, token=w.clerk, now=w.now())


@in_world()
def test_invalid_events_are_400s_naming_the_field(w):
    nid = "VA-0001"
    w.person(nid)
    sid = w.issue(nid)
    now = "2026-03-04T00:00:00Z"
    w.at(now)
    cases = [
        ({"type": "handed", "at": shift(now, seconds=1)}, "at", "future"),
        ({"type": "handed", "at": before(ISSUE)}, "at", "before"),
        ({"type": "delivered_by_pigeon", "at": now}, "type", "not a known event type"),
        ({"type": "issued", "at": now}, "type", "system"),
        ({"type": "published", "at": now}, "type", "system"),
        ({"at": now}, "type", "type"),
        ({"type": "handed"}, "at", "required"),
        ({"type": "handed", "at": "2026-03-03 00:00"}, "at", "RFC 3339"),
        ({"type": "handed", "at": "2026-03-03T00:00:00"}, "at", "offset"),
        ({"type": "appeal_decided", "at": now, "outcome": "rejected"}, "type", "appeal"),
        ({"type": "excused", "at": now, "new_report_at": now}, "new_report_at", "after"),
        ({"type": "excused", "at": now, "new_report_at": "soon"}, "new_report_at", "RFC 3339"),
        ({"type": "excused", "at": now, "new_report_at": "9999-12-31T09:00:00+10:00"},
         "new_report_at", "3660 days"),
        ({"type": "appealed", "at": now, "outcome": "perhaps"}, "outcome", "upheld or rejected"),
        ({"type": "appealed", "at": now, "outcome": "upheld"}, "outcome",
         "only an appeal_decided event"),
        ({"type": "handed", "at": now, "new_report_at": "2026-03-25T09:00:00+10:00"},
         "new_report_at", "only an excused event"),
        ({"type": "handed", "at": now, "colour": "red"}, "colour", "unknown field"),
    ]
    for body, field, words in cases:
        p = problem(post_event(w, sid, body), 400, field, "event %r" % body)
        check(words in p["detail"], "%r: detail %r lacks %r" % (body, p["detail"], words))
    eq(len(w.summons(sid)["events"]), 2, "none of them was stored")
    eq(w.feed(), [], "nor changed anything")
    # An appeal, then decisions without or with a bad outcome.
    w.event(sid, "appealed", now)
    for body in ({"type": "appeal_decided", "at": now},
                 {"type": "appeal_decided", "at": now, "outcome": "maybe"}):
        problem(post_event(w, sid, body), 400, "outcome", "decision %r" % body)
    # The summons ends; nothing may follow except the pending appeal's outcome.
    cancelled = "2026-03-05T00:00:00Z"
    w.event(sid, "cancelled", cancelled)
    for typ in ("appeared", "handed", "excused", "cancelled", "appealed"):
        p = problem(post_event(w, sid, {"type": typ, "at": cancelled}), 400, "type",
                    typ + " after the end")
        check("ended" in p["detail"], "detail: %r" % p["detail"])
    w.event(sid, "appeal_decided", cancelled, outcome="rejected")
    problem(post_event(w, sid, {"type": "appeal_decided", "at": cancelled,
                                "outcome": "upheld"}), 400, "type", "second decision")
    eq([e["type"] for e in w.summons(sid)["events"]],
       ["issued", "published", "appealed", "cancelled", "appeal_decided"], "stored events")


@in_world()
def test_invalid_summonses_are_400s_naming_the_field(w):
    nid = "VA-0002"
    w.person(nid)
    w.at(ISSUE)
    base = {"national_id": nid, "office": "VVO", "purpose": "medical_exam"}
    cases = [
        (dict(base, report_at=ISSUE), "report_at", "after the issue"),
        (dict(base, report_at=before(ISSUE)), "report_at", "after the issue"),
        (dict(base, report_at="2026-03-02T22:30:00+00:00"), "report_at", "after the issue"),
        (dict(base), "report_at", "required"),
        (dict(base, report_at="next week"), "report_at", "RFC 3339"),
        (dict(base, report_at="9999-12-31T09:00:00+10:00"), "report_at", "3660 days"),
        (dict(base, report_at=shift(ISSUE, days=3660)), "report_at", "3660 days"),
        (dict(base, report_at="2026-03-20T09:00:00+10:00", purpose="party"), "purpose",
         "must be one of"),
        (dict(base, report_at="2026-03-20T09:00:00+10:00", office="NOPE"), "office",
         "not a known office"),
    ]
    for body, field, words in cases:
        r = w.srv.post("/v1/summonses", body, token=w.clerk, now=ISSUE)
        p = problem(r, 400, field, "summons %r" % body)
        check(words in p["detail"], "%r: detail %r lacks %r" % (body, p["detail"], words))
    eq(w.status(nid, ISSUE)["summonses"], [], "none was created")
    # One second after the issue instant is enough, and just under ten
    # years is not too far.
    for report in (shift(ISSUE, seconds=1), shift(ISSUE, days=3660, seconds=-1)):
        r = w.srv.post("/v1/summonses", dict(base, report_at=report), token=w.clerk,
                       now=ISSUE)
        eq(r.status, 201, "report at %s: %r" % (report, r))


@in_world()
def test_removed_person_cannot_be_summoned_and_open_summonses_end(w):
    w.person("PR-0001")
    w.person("PR-0002")
    w.at(ISSUE)
    r = w.srv.post("/v1/persons/PR-0001/removal", {"reason": "deceased", "date": "2026-03-01"},
                   token=w.clerk, now=ISSUE)
    eq(r.status, 200, "removal: %r" % r)
    r = w.srv.post("/v1/summonses", {"national_id": "PR-0001", "office": "VVO",
                                     "purpose": "data_clarification",
                                     "report_at": "2026-03-20T09:00:00+10:00"},
                   token=w.clerk, now=ISSUE)
    p = problem(r, 409, "national_id", "summons for a removed person")
    check("removed" in p["detail"] and "deceased" in p["detail"], "detail: %r" % p["detail"])
    eq(w.status("PR-0001", ISSUE)["summonses"], [], "nothing issued")
    # A person removed while summoned: the summons is cancelled at that instant.
    sid = w.issue("PR-0002")
    handed, removed = "2026-03-04T00:00:00Z", "2026-03-06T03:00:00Z"
    w.event(sid, "handed", handed)
    w.at(removed)
    r = w.srv.post("/v1/persons/PR-0002/removal", {"reason": "over_age", "date": "2026-03-06"},
                   token=w.clerk, now=removed)
    eq((r.status, r.json.get("summonses_cancelled")), (200, 1), "removal cancels: %r" % r)
    s = w.one("PR-0002", removed)
    eq((s["state"], s["ended_at"]), ("cancelled", removed), "cancelled by the removal")
    w.sharp("PR-0002", removed, ["exit"], [], what="removal lifts the bar")
    eq(w.changes("PR-0002"), [("exit", "imposed", handed), ("exit", "lifted", removed)],
       "feed")


@in_world()
def test_fitness_d_bars_every_purpose_but_data_clarification(w):
    w.person("PD-0001", fitness="D")
    w.at(ISSUE)
    for purpose in ("medical_exam", "dispatch", "training", "mobilization"):
        r = w.srv.post("/v1/summonses", {"national_id": "PD-0001", "office": "VVO",
                                         "purpose": purpose,
                                         "report_at": "2026-03-20T09:00:00+10:00"},
                       token=w.clerk, now=ISSUE)
        p = problem(r, 409, "purpose", "category D, " + purpose)
        check(re.search(r"fitness[ _:]*(category )?D\b|category D", p["detail"]),
              "detail names the bar: %r" % p["detail"])
    eq(w.status("PD-0001", ISSUE)["summonses"], [], "none issued")
    w.issue("PD-0001", purpose="data_clarification")


@in_world()
def test_citizen_reads_own_status_and_nobody_elses(w):
    w.person("CZ-0001")
    w.person("CZ-0002", family_name="Петров")
    mine, other = w.issue("CZ-0001"), w.issue("CZ-0002")
    w.at(DAY20)
    me = w.c.token("citizen", person="CZ-0001")
    clerk_view = w.status("CZ-0001", DAY20)
    eq(sorted(r["kind"] for r in clerk_view["restrictions"]), sorted(KINDS), "all seven")
    for path in ("/v1/me/status?at=" + DAY20, "/v1/persons/CZ-0001/status?at=" + DAY20):
        r = w.srv.get(path, token=me, now=DAY20)
        eq(r.status, 200, "%s: %r" % (path, r))
        eq(r.json, clerk_view, path + ": the same document the clerk sees")
    r = w.srv.get("/v1/me/status", token=me, now=DAY20)
    eq((r.status, r.json["at"]), (200, DAY20), "default instant: now")
    eq(r.json["summonses"][0]["id"], mine, "own summons")
    # Someone else's status: refused, and refused the same way as a person
    # who does not exist, so the refusal tells nothing.
    refusals = []
    for nid in ("CZ-0002", "CZ-9999"):
        r = w.srv.get("/v1/persons/%s/status" % nid, token=me, now=DAY20)
        check(r.status in (403, 404), "another person's status refused: %r" % r)
        check(other not in r.raw and "Петров" not in r.raw, "nothing disclosed: %r" % r)
        refusals.append((r.status, r.json.get("field")))
    eq(refusals[0], refusals[1], "existing and unknown persons look alike")
    for path in ("/v1/summonses/" + other, "/v1/summonses/" + mine):
        eq(w.srv.get(path, token=me, now=DAY20).status, 403, "citizen may not " + path)
    r = w.srv.post("/v1/summonses/%s/events" % mine, {"type": "appeared", "at": DAY20},
                   token=me, now=DAY20)
    eq(r.status, 403, "a citizen cannot record events: %r" % r)
    eq(w.srv.get("/v1/me/status").status, 401, "no token")
    eq(w.srv.get("/v1/me/status", token=w.clerk).status, 403, "clerk has no 'me'")


@in_world()
def test_cli_status_matches_the_api(w):
    nid = "CL-0001"
    w.person(nid)
    sid = w.issue(nid)
    w.at(DAY20)
    api = w.status(nid, DAY20)
    code, out, err = run_cli("status", "--db", w.c.db, nid, "--at", DAY20, "--json")
    eq(code, 0, "status --json: " + err)
    eq(json.loads(out), api, "--json is the API's document")
    # The same instant given with an offset is the same instant.
    code, out, err = run_cli("status", "--db", w.c.db, nid, "--at",
                             "2026-04-10T00:00:00+10:00", "--json")
    eq((code, json.loads(out)), (0, api), "--at with an offset")
    code, text, err = run_cli("status", "--db", w.c.db, nid, "--at", DAY20)
    eq(code, 0, "status text: " + err)
    check(nid in text and sid in text, "text names the person and summons")
    eq(len(api["restrictions"]), 7, "seven restrictions")
    for res in api["restrictions"]:
        check(res["explanation"] in text, "text carries the explanation of " + res["kind"])
        check(res["kind"] in text, "text names " + res["kind"])
    code, out, err = run_cli("status", "--db", w.c.db, nid, "--at", before(DEEMED), "--json")
    eq((code, json.loads(out)["restrictions"]), (0, []), "an earlier instant")
    code, out, err = run_cli("status", "--db", w.c.db, nid, "--at", "tomorrow")
    eq(code, 1, "bad --at is a user error")
    check("--at" in err and err.count("\n") == 1, "one line naming --at: %r" % err)
    code, out, err = run_cli("status", "--db", w.c.db, "CL-9999")
    eq(code, 1, "unknown person: %r" % err)
    check("CL-9999" in err, "names the person: %r" % err)
    code, out, err = run_cli("status", "--db", w.c.db)
    eq(code, 2, "no id is a usage error")
    # The reads above were audited by another process: the server still
    # writes, and the audit chain is whole.
    w.person("CL-0002")
    w.issue("CL-0002", at=DAY20, report="2026-05-20T09:00:00+10:00")
    code, out, err = run_cli("audit", "verify", "--db", w.c.db)
    eq(code, 0, "audit chain after CLI reads: %s %s" % (out, err))


# ---- the test clock --------------------------------------------------

def clock_probe(c, w, far):
    """The same requests with and without --test-clock; what they did."""
    real = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    report = iso(real + dt.timedelta(days=30))
    w.person("TC-0001")
    r = w.srv.post("/v1/summonses", {"national_id": "TC-0001", "office": "VVO",
                                     "purpose": "medical_exam", "report_at": report},
                   token=w.clerk, now=ISSUE)
    eq(r.status, 201, "issue: %r" % r)
    sid, issued = r.json["id"], r.json["issued_at"]
    # An event one day after the issue (in the future on the real clock).
    r = w.srv.post("/v1/summonses/%s/events" % sid,
                   {"type": "handed", "at": shift(issued, days=1)},
                   token=w.clerk, now=shift(issued, days=2))
    event_status = r.status
    st = w.srv.get("/v1/persons/TC-0001/status", token=w.clerk, now=far)
    eq(st.status, 200, "status")
    check_r = w.check_kind("exit", "TC-0001", far)
    feed = w.feed()
    return {"issued": issued, "event": event_status, "status_at": st.json["at"],
            "exit": check_r["permitted"], "feed": len(feed), "real": real}


def test_test_clock_header_has_no_effect_without_the_flag():
    far = "2031-01-01T00:00:00Z"
    results = {}
    for flag in (True, False):
        c = Ctx(profile="ru-2023", test_clock=flag)
        try:
            w = World(c)
            results[flag] = clock_probe(c, w, far)
        except Exception:
            c.close()
            sys.stderr.write(c.srv.log()[-3000:])
            raise
        c.close()
    on, off = results[True], results[False]
    # With the flag the header is the clock...
    eq((on["issued"], on["event"], on["status_at"], on["exit"]),
       (ISSUE, 201, far, False), "with --test-clock")
    check(on["feed"] >= 1, "with --test-clock the far clock materialised the bar")
    # ...without it, the same header changes nothing: issued on the real
    # clock, the handed event is in the future, status is as of now, and
    # no time-driven change was materialised.
    check(parse(off["issued"]) >= off["real"], "issued on the real clock: %r" % off)
    check(parse(off["issued"]) < parse(far), "not at the header's instant")
    eq(off["event"], 400, "an event after the real now is in the future")
    check(parse(off["status_at"]) < parse(far), "status as of the real now: %r" % off)
    eq((off["exit"], off["feed"]), (True, 0), "nothing fell due on the real clock")


if __name__ == "__main__":
    run(globals())
