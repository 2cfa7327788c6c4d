"""test_due_claims.py: what a person files and an officer decides (issue 7),
end to end over the test clock, each with its own person and timeline.

- an accepted excuse with a new report date lifts the 20-day restrictions
  at once and restarts the period from the new date (ru-2023); a rejected
  one needs a reason; filing and decision reach the person;
- a pending appeal suspends the restrictions of its summons in generic and
  a rejection lets them apply again; in ru-2023 it does not suspend, and an
  upheld appeal cancels the summons; an upheld appeal against a fitness
  decision sets it aside;
- correction requests get a deadline of 10 working days (profile holidays
  count), are accepted through the normal person update (with history) or
  rejected with a reason, and overdue ones are listed for supervisors;
- everything appears in the person's status and in `muster status`.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import check, eq, run, run_cli, with_ctx  # noqa: E402

T0 = "2026-03-02T09:00:00Z"          # issued: 12:00 Moscow
REPORT = "2026-03-10T07:00:00Z"      # 10:00 Moscow, 10 March
HANDED = "2026-03-03T09:00:00Z"
TWENTY = ["business_registration", "credit", "driving", "foreign_passport",
          "real_estate", "vehicle_registration"]


def setup(c, *nids):
    c.office("MOW", "Europe/Moscow")
    tok = {"clerk": c.token("clerk"), "clerk2": c.token("clerk"),
           "med": c.token("medical_board"),
           "com": c.token("commissar"), "exit": c.token("agency", agency="exit"),
           "credit": c.token("agency", agency="credit")}
    for nid in nids:
        c.person(nid)
        tok[nid] = c.token("citizen", person=nid)
    return tok


def handed_summons(c, tok, nid, purpose="medical_exam"):
    r = c.srv.post("/v1/summonses", {"national_id": nid, "purpose": purpose,
                                     "report_at": REPORT}, token=tok["clerk"], now=T0)
    eq(r.status, 201, "issue: %r" % r)
    sid = r.json["id"]
    r = c.srv.post("/v1/summonses/%s/events" % sid, {"type": "handed", "at": HANDED},
                   token=tok["clerk"], now=HANDED)
    eq(r.status, 201, "handed: %r" % r)
    return sid


def kinds_at(c, tok, nid, at):
    r = c.srv.get("/v1/persons/%s/status?at=%s" % (nid, at), token=tok["clerk"], now=at)
    eq(r.status, 200, "status: %r" % r)
    return sorted(x["kind"] for x in r.json["restrictions"])


def feed_of(c, nid, kind):
    r = c.srv.get("/v1/feed/restrictions?after=0&limit=1000", token=c.admin)
    return [(e["change"], e["at"]) for e in r.json["events"]
            if e["national_id"] == nid and e["kind"] == kind]


@with_ctx(profile="ru-2023")
def test_excuse_restarts_the_20_day_period(c):
    tok = setup(c, "EXC-0001", "EXC-0002")
    sid = handed_summons(c, tok, "EXC-0001")
    # 20 days after 10 March (Rule D): 00:00 Moscow on 31 March
    eq(kinds_at(c, tok, "EXC-0001", "2026-03-30T20:59:59Z"), ["exit"])
    eq(kinds_at(c, tok, "EXC-0001", "2026-03-30T21:00:00Z"), sorted(["exit"] + TWENTY))
    t_file = "2026-04-01T08:00:00Z"
    r = c.srv.post("/v1/summonses/%s/excuses" % sid, {"reason": "headache"},
                   token=tok["EXC-0001"], now=t_file)
    eq(r.status, 400, "reasons come from the profile: %r" % r)
    check("illness" in r.json["detail"], r.json["detail"])
    r = c.srv.post("/v1/summonses/%s/excuses" % sid, {"reason": "illness"},
                   token=tok["EXC-0002"], now=t_file)
    eq(r.status, 404, "another person's summons: %r" % r)
    r = c.srv.post("/v1/summonses/%s/excuses" % sid,
                   {"reason": "illness", "document": "Polyclinic 12, certificate 4471"},
                   token=tok["EXC-0001"], now=t_file)
    eq(r.status, 201, "the citizen files: %r" % r)
    xid = r.json["id"]
    eq(r.json["state"], "pending")
    eq(r.json["filed_by_role"], "citizen")
    r = c.srv.post("/v1/summonses/%s/excuses" % sid, {"reason": "illness"},
                   token=tok["clerk"], now=t_file)
    eq(r.status, 409, "one pending excuse per summons")
    st = c.srv.get("/v1/me/status", token=tok["EXC-0001"], now=t_file).json
    eq([(x["id"], x["state"]) for x in st["excuses"]], [(xid, "pending")])
    check("A clerk of the office will decide" in st["excuses"][0]["explanation"],
          st["excuses"][0]["explanation"])
    eq(c.srv.post("/v1/excuses/%s/decision" % xid, {"decision": "accepted"},
                  token=tok["EXC-0001"], now=t_file).status, 403, "a citizen cannot decide")
    t_dec = "2026-04-02T08:00:00Z"
    new_report = "2026-04-10T07:00:00Z"
    r = c.srv.post("/v1/excuses/%s/decision" % xid,
                   {"decision": "accepted", "new_report_at": new_report},
                   token=tok["clerk"], now=t_dec)
    eq(r.status, 200, "accept: %r" % r)
    eq(r.json["state"], "accepted")
    eq(r.json["new_report_at"], new_report)
    eq(c.srv.post("/v1/excuses/%s/decision" % xid, {"decision": "rejected", "reason": "late"},
                  token=tok["clerk"], now=t_dec).status, 409, "decided once")
    r = c.srv.get("/v1/summonses/%s" % sid, token=tok["clerk"], now=t_dec)
    ev = r.json["events"][-1]
    eq((ev["type"], ev.get("new_report_at")), ("excused", new_report))
    check(xid in ev["reference"], ev)
    # lifted at once; the exit bar stays with the living summons
    eq(kinds_at(c, tok, "EXC-0001", t_dec), ["exit"])
    # the period restarts from 10 April: 00:00 Moscow on 1 May
    eq(kinds_at(c, tok, "EXC-0001", "2026-04-30T20:59:59Z"), ["exit"])
    eq(kinds_at(c, tok, "EXC-0001", "2026-04-30T21:00:00Z"), sorted(["exit"] + TWENTY))
    c.srv.get("/healthz", now="2026-05-02T00:00:00Z")
    eq(feed_of(c, "EXC-0001", "credit"),
       [("imposed", "2026-03-30T21:00:00Z"), ("lifted", t_dec),
        ("imposed", "2026-04-30T21:00:00Z")])
    r = c.srv.get("/v1/checks/credit/EXC-0001", token=tok["credit"], now="2026-05-02T00:00:00Z")
    eq(r.json["permitted"], False)
    r = c.srv.get("/v1/excuses/%s" % xid, token=tok["EXC-0001"], now=t_dec)
    eq(r.status, 200)
    check("new report time" in r.json["explanation"], r.json["explanation"])
    eq(c.srv.get("/v1/excuses/%s" % xid, token=tok["EXC-0002"], now=t_dec).status, 404)


@with_ctx(profile="ru-2023")
def test_excuse_rejected_needs_a_reason(c):
    tok = setup(c, "EXC-0003")
    sid = handed_summons(c, tok, "EXC-0003")
    t = "2026-03-09T08:00:00Z"
    r = c.srv.post("/v1/summonses/%s/excuses" % sid, {"reason": "family_emergency",
                                                      "note": "funeral in Omsk"},
                   token=tok["clerk"], now=t)
    eq(r.status, 201, "a clerk files for the person: %r" % r)
    xid = r.json["id"]
    eq(c.srv.post("/v1/excuses/%s/decision" % xid, {"decision": "rejected"},
                  token=tok["clerk2"], now=t).status, 400)
    eq(c.srv.post("/v1/excuses/%s/decision" % xid,
                  {"decision": "rejected", "new_report_at": "2026-04-01T07:00:00Z",
                   "reason": "no document"}, token=tok["clerk2"], now=t).status, 400)
    r = c.srv.post("/v1/excuses/%s/decision" % xid, {"decision": "accepted"},
                   token=tok["clerk"], now=t)
    eq(r.status, 403, "four eyes: the clerk who filed it cannot decide it: %r" % r)
    r = c.srv.post("/v1/excuses/%s/decision" % xid,
                   {"decision": "rejected", "reason": "no death certificate was shown"},
                   token=tok["clerk2"], now=t)
    eq(r.status, 200)
    eq(r.json["state"], "rejected")
    st = c.srv.get("/v1/me/status", token=tok["EXC-0003"], now=t).json
    check("rejected" in st["excuses"][0]["explanation"] and
          "no death certificate" in st["excuses"][0]["explanation"], st["excuses"][0])
    eq(st["summonses"][0]["state"], "delivered", "a rejected excuse changes nothing")


@with_ctx(profile="generic")
def test_appeal_suspends_in_generic(c):
    tok = setup(c, "APL-0001")
    sid = handed_summons(c, tok, "APL-0001")
    # generic: exit from 00:00 Moscow on 11 March without appearance
    t = "2026-03-12T09:00:00Z"
    eq(c.srv.get("/v1/checks/exit/APL-0001", token=tok["exit"], now=t).json["permitted"], False)
    t_file = "2026-03-12T10:00:00Z"
    r = c.srv.post("/v1/appeals", {"against": "summons", "subject_id": sid,
                                   "grounds": "I was in hospital on the report date"},
                   token=tok["APL-0001"], now=t_file)
    eq(r.status, 201, "appeal: %r" % r)
    case = r.json["case_number"]
    check(case.startswith("AP-"), case)
    eq(r.json["suspends_restrictions"], True)
    eq(c.srv.post("/v1/appeals", {"against": "summons", "subject_id": sid,
                                  "grounds": "once more"}, token=tok["clerk"], now=t_file).status,
       409, "one pending appeal per summons")
    eq(c.srv.get("/v1/checks/exit/APL-0001", token=tok["exit"], now=t_file).json,
       {"permitted": True}, "suspended from the appeal")
    st = c.srv.get("/v1/me/status", token=tok["APL-0001"], now=t_file).json
    eq([(a["id"], a["state"]) for a in st["appeals"]], [(case, "pending")])
    check("suspends" in st["appeals"][0]["explanation"], st["appeals"][0]["explanation"])
    eq(st["restrictions"], [])
    eq(c.srv.post("/v1/appeals/%s/decision" % case, {"outcome": "rejected"},
                  token=tok["clerk"], now=t_file).status, 400, "a decision carries a reference")
    t_dec = "2026-03-20T10:00:00Z"
    r = c.srv.post("/v1/appeals/%s/decision" % case,
                   {"outcome": "rejected", "reference": "District court 2a-123/2026"},
                   token=tok["clerk"], now=t_dec)
    eq(r.status, 200, "decide: %r" % r)
    eq((r.json["state"], r.json["outcome"]), ("rejected", "rejected"))
    eq(c.srv.get("/v1/checks/exit/APL-0001", token=tok["exit"], now=t_dec).json["permitted"],
       False, "applies again from the rejection")
    eq(feed_of(c, "APL-0001", "exit"),
       [("imposed", "2026-03-10T21:00:00Z"), ("lifted", t_file), ("imposed", t_dec)])
    r = c.srv.get("/v1/appeals/%s" % case, token=tok["APL-0001"], now=t_dec)
    eq(r.status, 200)
    eq(r.json["reference"], "District court 2a-123/2026")
    eq(c.srv.post("/v1/appeals/%s/decision" % case,
                  {"outcome": "upheld", "reference": "again"}, token=tok["com"], now=t_dec).status,
       409)
    r = c.srv.get("/v1/summonses/%s" % sid, token=tok["clerk"], now=t_dec)
    eq([e["type"] for e in r.json["events"]][-2:], ["appealed", "appeal_decided"])


@with_ctx(profile="ru-2023")
def test_appeal_does_not_suspend_in_ru2023(c):
    tok = setup(c, "APL-0002")
    sid = handed_summons(c, tok, "APL-0002")
    t_file = "2026-03-05T10:00:00Z"
    r = c.srv.post("/v1/appeals", {"against": "summons", "subject_id": sid,
                                   "grounds": "the summons names the wrong office"},
                   token=tok["clerk"], now=t_file)
    eq(r.status, 201)
    case = r.json["id"]
    eq(r.json["suspends_restrictions"], False)
    check("does not suspend" in r.json["explanation"], r.json["explanation"])
    eq(c.srv.get("/v1/checks/exit/APL-0002", token=tok["exit"], now=t_file).json["permitted"],
       False, "ru-2023: an appeal does not suspend")
    t_dec = "2026-03-07T10:00:00Z"
    r = c.srv.post("/v1/appeals/%s/decision" % case,
                   {"outcome": "upheld", "reference": "Garrison court 3-77/2026"},
                   token=tok["com"], now=t_dec)
    eq(r.status, 200, "decide: %r" % r)
    eq(c.srv.get("/v1/checks/exit/APL-0002", token=tok["exit"], now=t_dec).json,
       {"permitted": True})
    eq(feed_of(c, "APL-0002", "exit"), [("imposed", HANDED), ("lifted", t_dec)])
    st = c.srv.get("/v1/me/status", token=tok["APL-0002"], now=t_dec).json
    eq(st["summonses"][0]["state"], "cancelled")
    eq(st["appeals"][0]["state"], "upheld")
    check("cancelled" in st["appeals"][0]["explanation"], st["appeals"][0]["explanation"])
    r = c.srv.post("/v1/appeals", {"against": "summons", "subject_id": sid,
                                   "grounds": "nothing left to appeal"},
                   token=tok["clerk"], now=t_dec)
    eq(r.status, 409, "an ended summons cannot be appealed")


@with_ctx(profile="ru-2023")
def test_appeal_against_a_fitness_decision(c):
    tok = setup(c, "APL-0003", "APL-0004")
    r = c.srv.post("/v1/persons/APL-0003/fitness",
                   {"category": "G", "decided_on": "2026-03-01", "reference": "VVK-2026/9",
                    "reexamine_on": "2026-09-01"}, token=tok["med"], now=T0)
    fid = r.json["id"]
    eq(c.srv.post("/v1/appeals", {"against": "fitness", "subject_id": fid,
                                  "grounds": "the board ignored my records"},
                  token=tok["APL-0004"], now=T0).status, 404, "not their decision")
    r = c.srv.post("/v1/appeals", {"against": "fitness", "subject_id": fid,
                                   "grounds": "the board ignored my records"},
                   token=tok["APL-0003"], now=T0)
    eq(r.status, 201, "appeal: %r" % r)
    case = r.json["id"]
    eq(r.json["against"], {"type": "fitness", "id": fid})
    t = "2026-03-10T09:00:00Z"
    eq(c.srv.post("/v1/summonses", {"national_id": "APL-0003", "purpose": "dispatch",
                                    "report_at": "2026-04-01T07:00:00Z"},
                  token=tok["clerk"], now=t).status, 409, "the decision stays in force meanwhile")
    r = c.srv.post("/v1/appeals/%s/decision" % case,
                   {"outcome": "upheld", "reference": "Regional board 15/2026"},
                   token=tok["clerk"], now=t)
    eq(r.status, 200, "decide: %r" % r)
    r = c.srv.get("/v1/persons/APL-0003", token=tok["clerk"], now=t)
    eq(r.json["fitness"], "A", "the category before the set-aside decision")
    r = c.srv.get("/v1/persons/APL-0003/fitness", token=tok["clerk"], now=t)
    eq(r.json["decisions"][0]["set_aside"], True)
    eq(r.json["decisions"][0]["set_aside_by"], case)
    eq(c.srv.post("/v1/summonses", {"national_id": "APL-0003", "purpose": "dispatch",
                                    "report_at": "2026-04-01T07:00:00Z"},
                  token=tok["clerk"], now=t).status, 201)


@with_ctx(profile="ru-2023")
def test_correction_deadlines_and_the_overdue_list(c):
    tok = setup(c, "COR-0001", "COR-0002")
    filed = "2026-02-19T09:00:00Z"   # Thursday; 23 February is a holiday
    for bad, field in (({"field": "fitness", "proposed_value": "D", "evidence": "x"}, "field"),
                       ({"field": "birth_date", "proposed_value": "2004-02-30",
                         "evidence": "passport"}, "proposed_value"),
                       ({"field": "family_name", "proposed_value": "Иванов",
                         "evidence": "passport"}, "proposed_value"),
                       ({"field": "family_name", "proposed_value": "Петров"}, "evidence")):
        r = c.srv.post("/v1/persons/COR-0001/corrections", bad, token=tok["COR-0001"], now=filed)
        eq(r.status, 400, "bad request %r: %r" % (bad, r))
        eq(r.json["field"], field)
    r = c.srv.post("/v1/persons/COR-0001/corrections",
                   {"field": "family_name", "proposed_value": "Петров",
                    "evidence": "passport 45 12 345678, page 2"},
                   token=tok["COR-0001"], now=filed)
    eq(r.status, 201, "the citizen files: %r" % r)
    cid = r.json["id"]
    # 10 working days after 19 Feb, skipping weekends and 23 Feb: 6 March,
    # so the deadline is 00:00 Moscow on 7 March
    eq(r.json["deadline"], "2026-03-06T21:00:00Z")
    eq(r.json["current_value"], "Иванов")
    eq(c.srv.post("/v1/persons/COR-0002/corrections",
                  {"field": "phone", "proposed_value": "+79991112233", "evidence": "x"},
                  token=tok["COR-0001"], now=filed).status, 404, "only one's own record")
    r = c.srv.post("/v1/persons/COR-0002/corrections",
                   {"field": "address", "proposed_value": "Москва, ул. Мира, 5",
                    "evidence": "registration stamp"}, token=tok["clerk"], now=filed)
    eq(r.status, 201)
    cid2 = r.json["id"]
    r = c.srv.post("/v1/persons/COR-0002/corrections",
                   {"field": "phone", "proposed_value": "+79991112233",
                    "evidence": "operator letter"}, token=tok["clerk"], now=filed)
    cid3 = r.json["id"]
    r = c.srv.post("/v1/corrections/%s/decision" % cid2, {"decision": "accepted"},
                   token=tok["clerk"], now="2026-02-20T09:00:00Z")
    eq(r.status, 403, "four eyes: the clerk who filed it cannot decide it: %r" % r)
    r = c.srv.post("/v1/corrections/%s/decision" % cid2, {"decision": "accepted"},
                   token=tok["clerk2"], now="2026-02-20T09:00:00Z")
    eq(r.status, 200, "accept: %r" % r)
    r = c.srv.get("/v1/persons/COR-0002", token=tok["clerk"], now="2026-02-20T09:00:00Z")
    eq(r.json["address"], "Москва, ул. Мира, 5")
    check(r.json["source"].startswith("correction:"), r.json)
    r = c.srv.get("/v1/persons/COR-0002/history", token=tok["clerk"], now="2026-02-20T09:00:00Z")
    eq([v["address"] for v in r.json["versions"]][-2:],
       ["Москва, ул. Ленина, 1", "Москва, ул. Мира, 5"], "the old value stays in the history")
    eq(c.srv.post("/v1/corrections/%s/decision" % cid3, {"decision": "rejected"},
                  token=tok["clerk2"], now="2026-02-20T09:00:00Z").status, 400)
    r = c.srv.post("/v1/corrections/%s/decision" % cid3,
                   {"decision": "rejected", "reason": "the number belongs to someone else"},
                   token=tok["clerk2"], now="2026-02-20T09:00:00Z")
    eq(r.status, 200)
    eq(c.srv.post("/v1/corrections/%s/decision" % cid3, {"decision": "accepted"},
                  token=tok["clerk2"], now="2026-02-20T09:00:00Z").status, 409)
    # the overdue list
    r = c.srv.get("/v1/corrections/overdue", token=tok["com"], now="2026-03-06T20:59:59Z")
    eq(r.status, 200)
    eq(r.json["corrections"], [])
    r = c.srv.get("/v1/corrections/overdue", token=c.admin, now="2026-03-06T21:00:00Z")
    eq([x["id"] for x in r.json["corrections"]], [cid], "only the undecided one is overdue")
    eq(r.json["corrections"][0]["overdue"], True)
    eq(c.srv.get("/v1/corrections/overdue", token=tok["clerk"],
                 now="2026-03-06T21:00:00Z").status, 403, "for supervisors")
    st = c.srv.get("/v1/me/status", token=tok["COR-0001"], now="2026-03-07T09:00:00Z").json
    check("overdue list" in st["corrections"][0]["explanation"], st["corrections"][0])
    r = c.srv.post("/v1/corrections/%s/decision" % cid, {"decision": "accepted"},
                   token=tok["clerk"], now="2026-03-09T09:00:00Z")
    eq(r.status, 200)
    r = c.srv.get("/v1/corrections/overdue", token=tok["com"], now="2026-03-09T09:00:00Z")
    eq(r.json["corrections"], [], "decided: off the list")
    r = c.srv.get("/v1/persons/COR-0001", token=tok["clerk"], now="2026-03-09T09:00:00Z")
    eq(r.json["family_name"], "Петров")


@with_ctx(profile="generic")
def test_correction_deadline_without_holidays(c):
    tok = setup(c, "COR-0003")
    r = c.srv.post("/v1/persons/COR-0003/corrections",
                   {"field": "email", "proposed_value": "new@example.org", "evidence": "letter"},
                   token=tok["COR-0003"], now="2026-02-19T09:00:00Z")
    eq(r.status, 201)
    eq(r.json["deadline"], "2026-03-05T21:00:00Z", "10 working days, weekends only")


@with_ctx(profile="ru-2023")
def test_everything_in_muster_status(c):
    tok = setup(c, "CLI-0001")
    sid = handed_summons(c, tok, "CLI-0001")
    t = "2026-03-04T09:00:00Z"
    eq(c.srv.post("/v1/persons/CLI-0001/exemptions", {"kind": "deferment", "reason": "key_worker"},
                  token=tok["clerk"], now=t).status, 201)
    eq(c.srv.post("/v1/summonses/%s/excuses" % sid, {"reason": "illness"},
                  token=tok["CLI-0001"], now=t).status, 201)
    eq(c.srv.post("/v1/appeals", {"against": "summons", "subject_id": sid,
                                  "grounds": "wrong address"}, token=tok["CLI-0001"],
                  now=t).status, 201)
    eq(c.srv.post("/v1/persons/CLI-0001/corrections",
                  {"field": "phone", "proposed_value": "+79990000001", "evidence": "bill"},
                  token=tok["CLI-0001"], now=t).status, 201)
    code, out, err = run_cli("status", "--db", c.db, "CLI-0001", "--at", t)
    eq(code, 0, err)
    for words in ("protections", "deferment", "excuses", "appeals", "corrections",
                  "fitness", "key_worker", "illness", "pending"):
        check(words in out, "%r in muster status:\n%s" % (words, out))
    code, out, err = run_cli("status", "--db", c.db, "CLI-0001", "--at", t, "--json")
    eq(code, 0, err)
    doc = json.loads(out)
    for k in ("fitness", "fitness_history", "protections", "exemptions", "overrides",
              "excuses", "appeals", "corrections"):
        check(k in doc, "%s in --json" % k)
    eq(len(doc["appeals"]), 1)

@with_ctx(profile="ru-2023")
def test_a_citizen_may_write_out_an_appeal_in_russian(c):
    # The portal takes 2000 characters of grounds and 1000 of an excuse's
    # note; in Cyrillic that is up to 4000 and 2000 bytes, which the
    # register must take (it took 600 bytes: 300 letters).
    tok = setup(c, "APL-0009")
    sid = handed_summons(c, tok, "APL-0009")
    grounds = ("Повестку не получал: находился в командировке. " * 50)[:2000]
    eq(len(grounds.encode()) > 3600, True, "test data: Cyrillic, two bytes a letter")
    r = c.srv.post("/v1/appeals", {"against": "summons", "subject_id": sid,
                                   "grounds": grounds}, token=tok["APL-0009"], now=HANDED)
    eq(r.status, 201, "2000 Cyrillic letters of grounds: %r" % r)
    eq(c.srv.get("/v1/me/status", token=tok["APL-0009"], now=HANDED).json["appeals"][0]["grounds"],
       grounds, "kept whole")
    r = c.srv.post("/v1/summonses/%s/excuses" % sid, {"reason": "illness",
                                   "document": "Справка ГБУЗ ГП № 2 от 03.03.2026 (форма 095/у)",
                                   "note": ("Был болен, прилагаю справку. " * 40)[:1000]},
                   token=tok["APL-0009"], now=HANDED)
    eq(r.status, 201, "an excuse with a note of 1000 Cyrillic letters: %r" % r)
    r = c.srv.post("/v1/appeals", {"against": "summons", "subject_id": sid,
                                   "grounds": "ж" * 2001}, token=tok["APL-0009"], now=HANDED)
    eq((r.status, r.json.get("field")), (400, "grounds"), "4002 bytes is too long")
    check("4000 bytes" in r.json["detail"], r.json["detail"])



if __name__ == "__main__":
    run(globals())
