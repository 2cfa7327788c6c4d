"""test_due_protection.py: the protections at issue (issue 7), end to end
over the test clock, each with its own person and timeline.

- a barred summons is refused with 409 naming the bar, and leaves no trace
  but the audit (no summons, no feed entry; the refusal is in the person's
  access log);
- an override needs a second officer: the requester can never approve it,
  another commissar can; it is single-use and bound to its person, purpose
  and bars; a removal cannot be overridden;
- granting a deferment cancels an open summons whose purpose it covers and
  lifts its restrictions at once (the feed records the lift), and leaves a
  summons of another purpose alone;
- fitness category G bars until its re-examination date and expires on it
  by itself; D bars everything but data_clarification and cancels open
  summonses; the person's fitness follows the latest decision;
- expiry and revocation of a deferment are computed, not flagged.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import check, eq, run, with_ctx  # noqa: E402

T0 = "2026-03-02T09:00:00Z"   # 12:00 Moscow


def setup(c, *nids):
    c.office("MOW", "Europe/Moscow")
    tok = {"clerk": c.token("clerk"), "med": c.token("medical_board"),
           "com1": c.token("commissar", label="first commissar"),
           "com2": c.token("commissar", label="second commissar"),
           "exit": c.token("agency", agency="exit")}
    for nid in nids:
        c.person(nid)
        tok[nid] = c.token("citizen", person=nid)
    return tok


def issue(c, tok, nid, purpose, now, report="2026-03-20T07:00:00Z", **extra):
    body = {"national_id": nid, "purpose": purpose, "report_at": report}
    body.update(extra)
    return c.srv.post("/v1/summonses", body, token=tok["clerk"], now=now)


def feed_of(c, nid):
    r = c.srv.get("/v1/feed/restrictions?after=0&limit=1000", token=c.admin)
    eq(r.status, 200, "feed")
    return [(e["kind"], e["change"], e["at"]) for e in r.json["events"]
            if e["national_id"] == nid]


def status(c, tok, nid, at):
    r = c.srv.get("/v1/persons/%s/status?at=%s" % (nid, at), token=tok["clerk"], now=at)
    eq(r.status, 200, "status: %r" % r)
    return r.json


def access_actions(c, tok, nid, now):
    r = c.srv.get("/v1/me/access-log", token=tok[nid], now=now)
    eq(r.status, 200, "access log: %r" % r)
    entries = r.json.get("entries", r.json.get("log", []))
    return [e["action"] for e in entries]


@with_ctx(profile="ru-2023")
def test_barred_summons_leaves_only_the_audit(c):
    tok = setup(c, "BAR-0001")
    r = c.srv.post("/v1/persons/BAR-0001/exemptions",
                   {"kind": "exemption", "reason": "health", "document": "MB-77/2026"},
                   token=tok["clerk"], now=T0)
    eq(r.status, 201, "grant: %r" % r)
    eid = r.json["id"]
    eq(r.json["state"], "active")
    eq(r.json["bars"], ["medical_exam", "dispatch", "training", "mobilization"])
    for purpose in ("dispatch", "training", "mobilization", "medical_exam"):
        r = issue(c, tok, "BAR-0001", purpose, "2026-03-03T09:00:00Z")
        eq(r.status, 409, "%s must be refused: %r" % (purpose, r))
        eq(r.json["field"], "purpose")
        check(eid in r.json["detail"] and "exemption" in r.json["detail"],
              "the refusal names the bar: %r" % r.json)
    st = status(c, tok, "BAR-0001", "2026-03-03T09:00:00Z")
    eq(st["summonses"], [], "no summons was created")
    eq(st["restrictions"], [])
    eq(feed_of(c, "BAR-0001"), [], "nothing reached the feed")
    actions = access_actions(c, tok, "BAR-0001", "2026-03-03T09:00:00Z")
    eq(actions.count("summons.refused"), 4, "every refusal is audited: %r" % actions)
    check("summons.issue" not in actions, "no summons.issue in the audit")
    # not barred: the clarification of personal data is still possible
    r = issue(c, tok, "BAR-0001", "data_clarification", "2026-03-03T09:00:00Z")
    eq(r.status, 201, "data_clarification is never barred by an exemption: %r" % r)
    eq(st["protections"][0]["basis"], eid)
    check("dispatch to service" in st["protections"][0]["explanation"],
          st["protections"][0]["explanation"])


@with_ctx(profile="ru-2023")
def test_override_needs_a_second_officer(c):
    tok = setup(c, "OVR-0001")
    r = c.srv.post("/v1/persons/OVR-0001/exemptions",
                   {"kind": "deferment", "reason": "studies", "valid_until": "2026-09-01"},
                   token=tok["clerk"], now=T0)
    eq(r.status, 201)
    eid = r.json["id"]
    eq(r.json["valid_until"], "2026-09-01T21:00:00Z", "valid through that day, office time")
    t = "2026-03-03T09:00:00Z"
    # a written reason is required
    r = c.srv.post("/v1/overrides", {"national_id": "OVR-0001", "purpose": "dispatch",
                                     "reason": "needed"}, token=tok["clerk"], now=t)
    eq(r.status, 400, "short reason: %r" % r)
    eq(r.json["field"], "reason")
    # nothing to override for a purpose that is not barred
    r = c.srv.post("/v1/overrides", {"national_id": "OVR-0001", "purpose": "medical_exam",
                                     "reason": "Court order 2a-11/2026 requires it"},
                   token=tok["clerk"], now=t)
    eq(r.status, 400, "medical_exam is not barred: %r" % r)
    # a clerk requests; a clerk cannot approve (role); the requester never can
    r = c.srv.post("/v1/overrides", {"national_id": "OVR-0001", "purpose": "dispatch",
                                     "reason": "Court order 2a-11/2026 requires appearance"},
                   token=tok["clerk"], now=t)
    eq(r.status, 201, "request: %r" % r)
    ov1 = r.json["id"]
    eq(r.json["state"], "pending")
    eq(r.json["bars"], [eid])
    eq(c.srv.post("/v1/overrides/%s/approve" % ov1, {}, token=tok["clerk"], now=t).status, 403)
    r = issue(c, tok, "OVR-0001", "dispatch", t, override=ov1)
    eq(r.status, 409, "a pending override covers nothing: %r" % r)
    eq(r.json["field"], "override")
    # a commissar requests: the same commissar cannot approve, another can
    r = c.srv.post("/v1/overrides", {"national_id": "OVR-0001", "purpose": "training",
                                     "reason": "Reservist list 5/2026, signed by the region"},
                   token=tok["com1"], now=t)
    eq(r.status, 201)
    ov2 = r.json["id"]
    r = c.srv.post("/v1/overrides/%s/approve" % ov2, {}, token=tok["com1"], now=t)
    eq(r.status, 403, "four eyes: %r" % r)
    check("four eyes" in r.json["detail"], r.json["detail"])
    eq(c.srv.post("/v1/overrides/%s/reject" % ov2, {}, token=tok["com1"], now=t).status, 403,
       "nor reject it")
    r = c.srv.post("/v1/overrides/%s/approve" % ov2, {"note": "checked"}, token=tok["com2"], now=t)
    eq(r.status, 200, "second commissar approves: %r" % r)
    eq(r.json["state"], "approved")
    eq(c.srv.post("/v1/overrides/%s/reject" % ov2, {}, token=tok["com2"], now=t).status, 409,
       "decided once")
    r = c.srv.post("/v1/overrides/%s/approve" % ov1, {}, token=tok["com1"], now=t)
    eq(r.status, 200)
    r = c.srv.get("/v1/overrides?state=approved", token=tok["com2"], now=t)
    eq(r.status, 200)
    eq(sorted(o["id"] for o in r.json["overrides"]), sorted([ov1, ov2]))
    # the override is bound to its purpose, and used once
    r = issue(c, tok, "OVR-0001", "mobilization", t, override=ov1)
    eq(r.status, 409, "wrong purpose: %r" % r)
    r = issue(c, tok, "OVR-0001", "dispatch", t, override=ov1)
    eq(r.status, 201, "issue with the approved override: %r" % r)
    sid = r.json["id"]
    r = c.srv.get("/v1/overrides/%s" % ov1, token=tok["clerk"], now=t)
    eq(r.json["state"], "used")
    eq(r.json["summons_id"], sid)
    r = issue(c, tok, "OVR-0001", "dispatch", t, override=ov1)
    eq(r.status, 409, "an override is used once: %r" % r)
    # everything is visible to the person, and audited
    st = c.srv.get("/v1/me/status", token=tok["OVR-0001"], now=t).json
    eq({o["id"]: o["state"] for o in st["overrides"]}, {ov1: "used", ov2: "approved"})
    actions = access_actions(c, tok, "OVR-0001", t)
    for a in ("override.request", "override.approve", "override.claim", "override.use",
              "summons.refused", "summons.issue"):
        check(a in actions, "%s audited: %r" % (a, actions))


@with_ctx(profile="ru-2023")
def test_removal_cannot_be_overridden(c):
    tok = setup(c, "REM-0001")
    r = c.srv.post("/v1/persons/REM-0001/removal", {"reason": "deceased", "date": "2026-02-01"},
                   token=tok["clerk"], now=T0)
    eq(r.status, 200, "removal: %r" % r)
    r = c.srv.post("/v1/overrides", {"national_id": "REM-0001", "purpose": "dispatch",
                                     "reason": "Attempt to override a removal"},
                   token=tok["clerk"], now=T0)
    eq(r.status, 409, "removal is not overridable: %r" % r)
    r = issue(c, tok, "REM-0001", "data_clarification", T0)
    eq(r.status, 409)
    eq(r.json["field"], "national_id")


@with_ctx(profile="ru-2023")
def test_deferment_cancels_open_summons_and_lifts_its_bars(c):
    tok = setup(c, "DEF-0001")
    r = issue(c, tok, "DEF-0001", "dispatch", T0)
    eq(r.status, 201)
    sid = r.json["id"]
    r = issue(c, tok, "DEF-0001", "medical_exam", T0)
    eq(r.status, 201)
    med = r.json["id"]
    handed = "2026-03-02T10:00:00Z"
    for s in (sid, med):
        r = c.srv.post("/v1/summonses/%s/events" % s, {"type": "handed", "at": handed},
                       token=tok["clerk"], now=handed)
        eq(r.status, 201, "handed: %r" % r)
    r = c.srv.get("/v1/checks/exit/DEF-0001", token=tok["exit"], now=handed)
    eq(r.json["permitted"], False)
    t1 = "2026-03-05T09:00:00Z"
    r = c.srv.post("/v1/persons/DEF-0001/exemptions",
                   {"kind": "deferment", "reason": "studies", "document": "University 44-12"},
                   token=tok["clerk"], now=t1)
    eq(r.status, 201, "grant: %r" % r)
    eid = r.json["id"]
    eq(r.json["summonses_cancelled"], [sid], "only the covered summons is cancelled")
    st = status(c, tok, "DEF-0001", t1)
    states = {s["id"]: s["state"] for s in st["summonses"]}
    eq(states[sid], "cancelled")
    eq(states[med], "delivered", "a medical examination is not covered by studies")
    r = c.srv.get("/v1/summonses/%s" % sid, token=tok["clerk"], now=t1)
    last = r.json["events"][-1]
    eq(last["type"], "cancelled")
    check(eid in last["reference"], "the cancellation names the deferment: %r" % last)
    # the exit bar still stands on the medical summons: appear there, then it lifts
    r = c.srv.get("/v1/checks/exit/DEF-0001", token=tok["exit"], now=t1)
    eq(r.json["permitted"], False)
    eq([x["basis"] for x in st["restrictions"]], [med], "only the uncovered summons bars exit")
    t2 = "2026-03-06T09:00:00Z"
    r = c.srv.post("/v1/summonses/%s/events" % med, {"type": "appeared", "at": t2},
                   token=tok["clerk"], now=t2)
    eq(r.status, 201)
    r = c.srv.get("/v1/checks/exit/DEF-0001", token=tok["exit"], now=t2)
    eq(r.json["permitted"], True)
    eq(feed_of(c, "DEF-0001"), [("exit", "imposed", handed), ("exit", "lifted", t2)])


@with_ctx(profile="ru-2023")
def test_deferment_alone_lifts_exit_at_once(c):
    tok = setup(c, "DEF-0002")
    r = issue(c, tok, "DEF-0002", "mobilization", T0)
    sid = r.json["id"]
    handed = "2026-03-02T10:00:00Z"
    eq(c.srv.post("/v1/summonses/%s/events" % sid, {"type": "handed", "at": handed},
                  token=tok["clerk"], now=handed).status, 201)
    t1 = "2026-03-04T08:30:00Z"
    r = c.srv.post("/v1/persons/DEF-0002/exemptions",
                   {"kind": "deferment", "reason": "three_children"},
                   token=tok["med"], now=t1)
    eq(r.status, 201, "medical board may grant too: %r" % r)
    eq(r.json["summonses_cancelled"], [sid])
    r = c.srv.get("/v1/checks/exit/DEF-0002", token=tok["exit"], now=t1)
    eq(r.json, {"permitted": True})
    eq(feed_of(c, "DEF-0002"), [("exit", "imposed", handed), ("exit", "lifted", t1)],
       "the feed records the lift at the grant")
    st = status(c, tok, "DEF-0002", t1)
    eq(st["restrictions"], [])


@with_ctx(profile="ru-2023")
def test_category_g_expires_on_its_date(c):
    tok = setup(c, "FIT-0001")
    body = {"category": "G", "decided_on": "2026-03-01", "reference": "VVK-2026/311",
            "reexamine_on": "2026-04-15"}
    for bad, field in ((dict(body, reexamine_on=None), "reexamine_on"),
                       (dict(body, category="A"), "reexamine_on"),
                       (dict(body, decided_on="2026-03-05"), "decided_on"),
                       (dict(body, category="E"), "category"),
                       (dict(body, reference=""), "reference")):
        bad = {k: v for k, v in bad.items() if v is not None}
        r = c.srv.post("/v1/persons/FIT-0001/fitness", bad, token=tok["med"], now=T0)
        eq(r.status, 400, "bad decision %r: %r" % (bad, r))
        eq(r.json["field"], field)
    r = c.srv.post("/v1/persons/FIT-0001/fitness", body, token=tok["med"], now=T0)
    eq(r.status, 201, "record G: %r" % r)
    fid = r.json["id"]
    eq(r.json["reexamine_at"], "2026-04-14T21:00:00Z", "00:00 office time on that date")
    r = c.srv.get("/v1/persons/FIT-0001", token=tok["clerk"], now=T0)
    eq(r.json["fitness"], "G", "the record follows the latest decision")
    before, on = "2026-04-14T20:59:59Z", "2026-04-14T21:00:00Z"
    for purpose in ("dispatch", "training", "mobilization"):
        r = issue(c, tok, "FIT-0001", purpose, before, report="2026-05-20T07:00:00Z")
        eq(r.status, 409, "%s barred before the date: %r" % (purpose, r))
        check(fid in r.json["detail"], r.json["detail"])
    r = issue(c, tok, "FIT-0001", "medical_exam", before, report="2026-05-20T07:00:00Z")
    eq(r.status, 201, "a re-examination summons is allowed: %r" % r)
    st = status(c, tok, "FIT-0001", before)
    eq([(p["kind"], p["until"]) for p in st["protections"]], [("fitness_G", on)])
    check("15 April 2026" in st["protections"][0]["explanation"],
          st["protections"][0]["explanation"])
    st = status(c, tok, "FIT-0001", on)
    eq(st["protections"], [], "expired on its date, by itself")
    check("has passed" in st["fitness"]["explanation"], st["fitness"]["explanation"])
    r = issue(c, tok, "FIT-0001", "dispatch", on, report="2026-05-20T07:00:00Z")
    eq(r.status, 201, "dispatch allowed from the re-examination date: %r" % r)
    # history is kept
    r = c.srv.post("/v1/persons/FIT-0001/fitness",
                   {"category": "B", "decided_on": "2026-04-15", "reference": "VVK-2026/402"},
                   token=tok["med"], now="2026-04-15T09:00:00Z")
    eq(r.status, 201)
    r = c.srv.get("/v1/persons/FIT-0001/fitness", token=tok["clerk"], now="2026-04-15T09:00:00Z")
    eq([d["category"] for d in r.json["decisions"]], ["G", "B"])
    eq([d["current"] for d in r.json["decisions"]], [False, True])
    eq(r.json["fitness"]["category"], "B")
    r = c.srv.get("/v1/persons/FIT-0001/history", token=tok["clerk"], now="2026-04-15T09:00:00Z")
    eq([v["fitness"] for v in r.json["versions"]][-3:], ["A", "G", "B"])


@with_ctx(profile="ru-2023")
def test_category_d_bars_all_but_data_clarification(c):
    tok = setup(c, "FIT-0002")
    r = issue(c, tok, "FIT-0002", "dispatch", T0)
    sid = r.json["id"]
    r = c.srv.post("/v1/persons/FIT-0002/fitness",
                   {"category": "D", "decided_on": "2026-03-02", "reference": "VVK-2026/12"},
                   token=tok["med"], now="2026-03-02T11:00:00Z")
    eq(r.status, 201, "record D: %r" % r)
    eq(r.json["summonses_cancelled"], [sid], "an unfit person's dispatch summons is cancelled")
    t = "2026-03-03T09:00:00Z"
    for purpose in ("medical_exam", "dispatch", "training", "mobilization"):
        eq(issue(c, tok, "FIT-0002", purpose, t).status, 409, purpose)
    eq(issue(c, tok, "FIT-0002", "data_clarification", t).status, 201)
    st = c.srv.get("/v1/me/status", token=tok["FIT-0002"], now=t).json
    eq(st["fitness"]["category"], "D")
    check("unfit" in st["fitness"]["explanation"], st["fitness"]["explanation"])
    eq(st["protections"][0]["kind"], "fitness_D")


@with_ctx(profile="ru-2023")
def test_deferment_expiry_and_revocation_are_computed(c):
    tok = setup(c, "EXP-0001", "EXP-0002", "EXP-0003")
    r = c.srv.post("/v1/persons/EXP-0001/exemptions",
                   {"kind": "deferment", "reason": "key_worker",
                    "valid_until": "2026-04-01T00:00:00+03:00"},
                   token=tok["clerk"], now=T0)
    eq(r.status, 201)
    eq(r.json["bars"], ["dispatch", "mobilization"])
    eq(issue(c, tok, "EXP-0001", "mobilization", "2026-03-31T20:59:59Z",
             report="2026-04-20T07:00:00Z").status, 409)
    eq(issue(c, tok, "EXP-0001", "training", "2026-03-31T20:59:59Z",
             report="2026-04-20T07:00:00Z").status, 201, "key workers may be trained")
    eq(issue(c, tok, "EXP-0001", "mobilization", "2026-03-31T21:00:00Z",
             report="2026-04-20T07:00:00Z").status, 201, "expired at valid_until")
    r = c.srv.get("/v1/persons/EXP-0001/exemptions", token=tok["clerk"], now="2026-04-02T09:00:00Z")
    eq(r.json["exemptions"][0]["state"], "expired")
    # revocation
    r = c.srv.post("/v1/persons/EXP-0002/exemptions", {"kind": "exemption", "reason": "sole_carer"},
                   token=tok["clerk"], now=T0)
    eid = r.json["id"]
    eq(c.srv.post("/v1/persons/EXP-0002/exemptions/%s/revoke" % eid, {},
                  token=tok["clerk"], now=T0).status, 400, "a revocation needs a reason")
    eq(c.srv.post("/v1/persons/EXP-0001/exemptions/%s/revoke" % eid, {"reason": "wrong person"},
                  token=tok["clerk"], now=T0).status, 404, "the exemption of another person")
    t = "2026-03-10T09:00:00Z"
    r = c.srv.post("/v1/persons/EXP-0002/exemptions/%s/revoke" % eid,
                   {"reason": "the relative moved to a care home"}, token=tok["clerk"], now=t)
    eq(r.status, 200, "revoke: %r" % r)
    eq(r.json["state"], "revoked")
    eq(c.srv.post("/v1/persons/EXP-0002/exemptions/%s/revoke" % eid, {"reason": "again"},
                  token=tok["clerk"], now=t).status, 409)
    eq(issue(c, tok, "EXP-0002", "dispatch", "2026-03-09T09:00:00Z").status, 409)
    eq(issue(c, tok, "EXP-0002", "dispatch", t).status, 201)
    st = status(c, tok, "EXP-0002", t)
    check("revoked" in st["exemptions"][0]["explanation"], st["exemptions"][0]["explanation"])
    # a reason the profile names has the profile's effect; one in the
    # officer's own words has its kind's general effect (CONTRACT.md shows
    # "reason" as free text): a deferment bars dispatch, training and
    # mobilization, an exemption every purpose but data_clarification
    r = c.srv.post("/v1/persons/EXP-0002/exemptions", {"kind": "deferment",
                   "reason": "university student"}, token=tok["clerk"], now=t)
    eq((r.status, r.json.get("bars")), (201, ["dispatch", "training", "mobilization"]),
       "free-text deferment: %r" % r)
    check("university student" in r.json["explanation"], r.json["explanation"])
    eq(issue(c, tok, "EXP-0002", "medical_exam", t, report="2026-05-20T07:00:00Z").status, 201,
       "a deferment leaves the medical exam")
    r = c.srv.post("/v1/persons/EXP-0003/exemptions", {"kind": "exemption",
                   "reason": "medical"}, token=tok["clerk"], now=t)
    eq((r.status, r.json.get("bars")),
       (201, ["medical_exam", "dispatch", "training", "mobilization"]), "%r" % r)
    eq(issue(c, tok, "EXP-0003", "medical_exam", t, report="2026-05-20T07:00:00Z").status, 409)
    eq(issue(c, tok, "EXP-0003", "data_clarification", t, report="2026-05-20T07:00:00Z").status, 201)
    r = c.srv.post("/v1/persons/EXP-0002/exemptions", {"kind": "exemption", "reason": "studies"},
                   token=tok["clerk"], now=t)
    eq(r.status, 400, "studies gives a deferment, not an exemption")
    check("three_children" in r.json["detail"], r.json["detail"])
    for bad in ("", "x" * 128, "line\nbreak"):
        r = c.srv.post("/v1/persons/EXP-0002/exemptions", {"kind": "deferment", "reason": bad},
                       token=tok["clerk"], now=t)
        eq((r.status, r.json.get("field")), (400, "reason"), "reason %r" % bad)


if __name__ == "__main__":
    run(globals())
