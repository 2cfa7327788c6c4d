"""Call-up campaigns end to end: selection and its exclusions, determinism,
capacity spread across time zones, four eyes, approval after a concurrent
change, all-or-nothing issuance under kill -9, cancellation lifting bars,
and the report adding up."""
import datetime as dt
import os
import signal
import sqlite3
import sys
import threading
import time
import zoneinfo

sys.path.insert(0, os.path.dirname(__file__))
from lib import Ctx, Server, check, eq, run, run_cli, with_ctx  # noqa: E402

NOW = "2026-02-20T10:00:00Z"       # a Friday
FROM = "2026-03-02T00:00:00Z"      # Monday
TO = "2026-03-06T23:59:59Z"        # Friday


def setup_register(c):
    c.srv.post("/v1/offices", {"id": "KGD", "name": "Kaliningrad", "region": "West",
                               "timezone": "Europe/Kaliningrad", "daily_capacity": 2},
               token=c.admin, now=NOW)
    c.srv.post("/v1/offices", {"id": "PKC", "name": "Kamchatka", "region": "East",
                               "timezone": "Asia/Kamchatka", "daily_capacity": 3},
               token=c.admin, now=NOW)
    ids = []
    for i in range(16):
        off = "KGD" if i % 2 == 0 else "PKC"
        nid = "C-%04d" % i
        c.person(nid, office=off, region="West" if off == "KGD" else "East",
                 birth_date="2005-0%d-10" % (1 + i % 9))
        ids.append(nid)
    return ids


def draft(c, quota=100, extra=None, now=NOW):
    body = {"name": "Spring call-up", "legal_basis": "Decree 123 of 2026-02-01",
            "purpose": "dispatch", "report_from": FROM, "report_to": TO, "quota": quota,
            "criteria": {"born_from": "2005-01-01", "born_to": "2005-12-31"}}
    if extra:
        body["criteria"].update(extra)
    return c.srv.post("/v1/campaigns", body, token=c.admin, now=now)


@with_ctx()
def test_exclusions_each_with_its_own_person(c):
    setup_register(c)
    clerk = c.token("clerk")
    # removed
    eq(c.srv.post("/v1/persons/C-0000/removal", {"reason": "deceased", "date": "2026-01-05"},
                  token=c.admin, now=NOW).status, 200)
    # fitness D
    eq(c.srv.patch("/v1/persons/C-0001", {"fitness": "D"}, token=c.admin, now=NOW).status, 200)
    # open summons for the same purpose
    r = c.srv.post("/v1/summonses", {"national_id": "C-0002", "purpose": "dispatch",
                                     "report_at": "2026-02-25T09:00:00+02:00"},
                   token=clerk, now=NOW)
    eq(r.status, 201, "summons")
    # selected by another open campaign
    r = draft(c, quota=1, extra={"offices": ["KGD"]})
    eq(r.status, 201, "first draft: %r" % r)
    eq(r.json["selected"], 1)
    first = c.srv.get("/v1/campaigns/%s/members" % r.json["id"], token=c.admin).json
    taken = first["members"][0]["national_id"]
    eq(taken, "C-0004", "first eligible KGD person in id order")
    r = draft(c)
    eq(r.status, 201)
    ex = r.json["selection"]["excluded"]
    eq(ex, {"removed": 1, "fitness": 1, "open_summons": 1, "other_campaign": 1}, "exclusions")
    members = c.srv.get("/v1/campaigns/%s/members?limit=100" % r.json["id"], token=c.admin).json
    got = {m["national_id"] for m in members["members"]}
    for bad in ("C-0000", "C-0001", "C-0002", taken):
        check(bad not in got, "%s must be excluded" % bad)
    eq(r.json["state"], "draft")


@with_ctx()
def test_determinism_and_capacity_across_zones(c):
    setup_register(c)
    r = draft(c)
    eq(r.status, 201, "draft: %r" % r)
    cid = r.json["id"]
    h = r.json["selection_hash"]
    m1 = c.srv.get("/v1/campaigns/%s/members?limit=100" % cid, token=c.admin).json
    r2 = c.srv.post("/v1/campaigns/%s/recompute" % cid, {}, token=c.admin, now=NOW)
    eq(r2.status, 200, "recompute: %r" % r2)
    eq(r2.json["selection_hash"], h, "same register, same selection")
    m2 = c.srv.get("/v1/campaigns/%s/members?limit=100" % cid, token=c.admin).json
    eq(m1, m2, "members identical")
    ids = [m["national_id"] for m in m1["members"]]
    eq(ids, sorted(ids), "selection order is ascending national_id")
    zones = {"KGD": zoneinfo.ZoneInfo("Europe/Kaliningrad"), "PKC": zoneinfo.ZoneInfo("Asia/Kamchatka")}
    caps = {"KGD": 2, "PKC": 3}
    per_day = {}
    for m in m1["members"]:
        t = dt.datetime.strptime(m["report_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
        loc = t.astimezone(zones[m["office"]])
        check(9 <= loc.hour < 17, "%s outside office hours: %s" % (m, loc))
        check(loc.weekday() < 5, "weekend slot %s" % loc)
        key = (m["office"], loc.date())
        per_day[key] = per_day.get(key, 0) + 1
        check(FROM <= m["report_at"] <= TO, "outside the window")
    for (off, day), n in per_day.items():
        check(n <= caps[off], "%s gets %d on %s, capacity %d" % (off, n, day, caps[off]))
    eq(len(m1["members"]), 16, "all fit: KGD 2x5 >= 8, PKC 3x5 >= 8")
    # a window too small: says so and how many fit
    c2 = draft(c, quota=100, extra={"born_from": "2005-01-01"}, now=NOW)
    eq(c2.json["selected"], 0, "everyone already selected by the other draft")


@with_ctx()
def test_window_too_small_says_how_many_fit(c):
    setup_register(c)
    body = {"name": "Tight", "purpose": "medical_exam", "report_from": FROM,
            "report_to": "2026-03-02T23:00:00Z", "quota": 16,
            "criteria": {"born_from": "2005-01-01", "born_to": "2005-12-31"}}
    r = c.srv.post("/v1/campaigns", body, token=c.admin, now=NOW)
    eq(r.status, 201)
    sel = r.json["selection"]
    check(r.json["selected"] < 16, "cannot all fit in one day")
    eq(sel["quota_met"], False)
    check(sel["unplaced_no_capacity"] > 0, "says how many did not fit")
    eq(r.json["selected"] + sel["unplaced_no_capacity"], 16)


def slots_in_window(cap, zone, frm, to):
    """The office's slots (09:00-17:00 local, cap a working day, evenly
    spread) inside [frm, to], counted independently of muster."""
    z = zoneinfo.ZoneInfo(zone)
    a = dt.datetime.strptime(frm, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    b = dt.datetime.strptime(to, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    day, n = a.astimezone(z).date(), 0
    while day <= b.astimezone(z).date():
        if day.weekday() < 5:
            open_ = dt.datetime(day.year, day.month, day.day, 9, tzinfo=z)
            for k in range(cap):
                t = open_ + dt.timedelta(seconds=k * 8 * 3600 // cap)
                n += a <= t <= b
        day += dt.timedelta(days=1)
    return n


@with_ctx()
def test_capacity_counts_the_window_and_slots_already_taken(c):
    """capacity counts only slots inside the window (Kamchatka's 09:00 on
    2 March is 1 March 21:00 UTC, before it), and a second campaign for the
    same days gets the slots the first one left, never the same ones."""
    setup_register(c)
    commissar = c.token("commissar")
    frm, to = "2026-03-02T00:00:00Z", "2026-03-04T00:00:00Z"
    want = slots_in_window(2, "Europe/Kaliningrad", frm, to) + \
        slots_in_window(3, "Asia/Kamchatka", frm, to)
    body = {"name": "One", "purpose": "dispatch", "report_from": frm, "report_to": to,
            "quota": 4, "criteria": {"born_from": "2005-01-01", "born_to": "2005-12-31"}}
    r = c.srv.post("/v1/campaigns", body, token=c.admin, now=NOW)
    eq(r.status, 201, "draft: %r" % r)
    eq(r.json["selection"]["capacity"], want, "slots in the window: %r" % r.json["selection"])
    first = r.json["id"]
    # a second draft over the same days, before the first is approved
    r = c.srv.post("/v1/campaigns", dict(body, name="Two", purpose="training", quota=100),
                   token=c.admin, now=NOW)
    eq(r.status, 201, "second draft: %r" % r)
    second = r.json["id"]
    eq(c.srv.post("/v1/campaigns/%s/approve" % first, {}, token=commissar, now=NOW).status, 200)
    r = c.srv.post("/v1/campaigns/%s/approve" % second, {}, token=commissar, now=NOW)
    eq((r.status, r.json.get("field")), (409, "report_at"),
       "its slots went to the first campaign meanwhile: %r" % r)
    check("recompute" in r.json["detail"], r.json["detail"])
    r = c.srv.post("/v1/campaigns/%s/recompute" % second, {}, token=c.admin, now=NOW)
    eq(r.status, 200, "recompute: %r" % r)
    eq(r.json["selection"]["capacity"], want - 4, "the first campaign's 4 slots are gone")
    eq(r.json["selected"], want - 4, "the rest are used")
    eq(c.srv.post("/v1/campaigns/%s/approve" % second, {}, token=commissar, now=NOW).status, 200)
    zones = {"KGD": zoneinfo.ZoneInfo("Europe/Kaliningrad"),
             "PKC": zoneinfo.ZoneInfo("Asia/Kamchatka")}
    per_day, times = {}, []
    for cid in (first, second):
        for m in c.srv.get("/v1/campaigns/%s/members" % cid, token=c.admin).json["members"]:
            t = dt.datetime.strptime(m["report_at"], "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=dt.timezone.utc)
            key = (m["office"], t.astimezone(zones[m["office"]]).date())
            per_day[key] = per_day.get(key, 0) + 1
            times.append((m["office"], m["report_at"]))
    for (off, day), n in per_day.items():
        check(n <= {"KGD": 2, "PKC": 3}[off], "%s gets %d on %s" % (off, n, day))
    eq(len(times), len(set(times)), "no slot handed out twice")


def single_summonses(c, office, times):
    """Summonses issued one by one (no capacity check) to persons of office."""
    clerk = c.token("clerk")
    nids = [m for m in ("C-%04d" % i for i in range(16))
            if (int(m[2:]) % 2 == 0) == (office == "KGD")]
    for nid, at in zip(nids, times):
        r = c.srv.post("/v1/summonses", {"national_id": nid, "office": office,
                                         "purpose": "medical_exam", "report_at": at},
                       token=clerk, now=NOW)
        eq(r.status, 201, "summons: %r" % r)


@with_ctx()
def test_a_day_overfull_elsewhere_does_not_block_an_approval(c):
    setup_register(c)
    single_summonses(c, "KGD", ["2026-03-02T07:10:00Z"] * 3)  # 3 on a day of capacity 2
    cid = draft(c, quota=4, extra={"offices": ["PKC"]}).json["id"]
    r = c.srv.post("/v1/campaigns/%s/approve" % cid, {}, token=c.token("commissar"), now=NOW)
    eq(r.status, 200, "no PKC day is overfull: %r" % r)


@with_ctx()
def test_people_due_earlier_that_day_count_against_its_capacity(c):
    """KGD (capacity 2) has two people at 09:10 and 09:20 on 2 March; a
    window from 12:00 to 17:00 that day has no room left at KGD."""
    setup_register(c)
    single_summonses(c, "KGD", ["2026-03-02T07:10:00Z", "2026-03-02T07:20:00Z"])
    body = {"name": "Afternoon", "purpose": "dispatch", "quota": 5,
            "report_from": "2026-03-02T10:00:00Z", "report_to": "2026-03-02T15:00:00Z",
            "criteria": {"born_from": "2005-01-01", "born_to": "2005-12-31",
                         "offices": ["KGD"]}}
    r = c.srv.post("/v1/campaigns", body, token=c.admin, now=NOW)
    eq(r.status, 201, "draft: %r" % r)
    eq((r.json["selected"], r.json["selection"]["capacity"]), (0, 0),
       "the day is full: %r" % r.json["selection"])


@with_ctx()
def test_four_eyes_concurrent_change_and_cancel(c):
    setup_register(c)
    commissar = c.token("commissar")
    clerk = c.token("clerk")
    r = draft(c, quota=6)
    cid = r.json["id"]
    # the creator (admin) cannot approve; a clerk cannot either
    eq(c.srv.post("/v1/campaigns/%s/approve" % cid, {}, token=c.admin, now=NOW).status, 403)
    eq(c.srv.post("/v1/campaigns/%s/approve" % cid, {}, token=clerk, now=NOW).status, 403)
    members = c.srv.get("/v1/campaigns/%s/members" % cid, token=c.admin).json["members"]
    gone = members[0]["national_id"]
    eq(c.srv.post("/v1/persons/%s/removal" % gone, {"reason": "deregistered",
                  "date": "2026-02-19"}, token=c.admin, now=NOW).status, 200)
    r = c.srv.post("/v1/campaigns/%s/approve" % cid, {}, token=commissar, now=NOW)
    eq(r.status, 200, "approve: %r" % r)
    eq(r.json["issued"], 5)
    eq([x["national_id"] for x in r.json["excluded"]], [gone], "newly ineligible reported")
    eq(c.srv.post("/v1/campaigns/%s/approve" % cid, {}, token=commissar, now=NOW).status, 409)
    rep = c.srv.get("/v1/campaigns/%s" % cid, token=commissar, now=NOW).json
    eq(rep["state"], "issued")
    eq(sum(rep["counts"]["by_state"].values()), 5, "counts add up")
    eq(sum(rep["counts"]["by_office"].values()), 5)
    # 8 days later every summons is deemed delivered: exit bars
    later = "2026-02-28T12:00:00Z"
    rep = c.srv.get("/v1/campaigns/%s" % cid, token=commissar, now=later).json
    eq(rep["counts"]["by_state"]["delivered"], 5, "deemed delivered")
    feed = c.srv.get("/v1/feed/restrictions?limit=1000", token=c.admin, now=later).json["events"]
    eq(sum(1 for e in feed if e["change"] == "imposed"), 5, "5 exit bars imposed")
    r = c.srv.post("/v1/campaigns/%s/cancel" % cid, {"reason": "decree withdrawn"},
                   token=commissar, now=later)
    eq(r.status, 200, "cancel: %r" % r)
    eq(r.json["summonses_cancelled"], 5)
    feed = c.srv.get("/v1/feed/restrictions?limit=1000", token=c.admin, now=later).json["events"]
    eq(sum(1 for e in feed if e["change"] == "lifted"), 5, "every bar lifted")
    rep = c.srv.get("/v1/campaigns/%s" % cid, token=commissar, now=later).json
    eq(rep["state"], "cancelled")
    eq(rep["counts"]["by_state"]["cancelled"], 5)


@with_ctx()
def test_every_campaign_summons_is_logged_for_its_person(c):
    """A campaign's summons is in the audit log like one issued alone: the
    person's access log shows it (and who saw them in the members list),
    and its receipt proves the entry offline."""
    import json
    setup_register(c)
    commissar = c.token("commissar")
    cid = draft(c, quota=4).json["id"]
    r = c.srv.post("/v1/campaigns/%s/approve" % cid, {}, token=commissar, now=NOW)
    eq(r.status, 200, "approve: %r" % r)
    members = c.srv.get("/v1/campaigns/%s/members?limit=2" % cid, token=commissar).json["members"]
    eq(len(members), 2, "a page of two")
    cits = {}
    for m in c.srv.get("/v1/campaigns/%s/members" % cid, token=commissar).json["members"]:
        nid, sid = m["national_id"], m["summons_id"]
        cit = cits[nid] = c.token("citizen", person=nid)
        log = c.srv.get("/v1/me/access-log", token=cit).json["entries"]
        issue = [e for e in log if e["action"] == "summons.issue"]
        eq(len(issue), 1, "%s: one summons.issue entry: %r" % (nid, log))
        seen = [e for e in log if e["action"] == "campaign.members"]
        eq(len(seen), 2 if nid in [x["national_id"] for x in members] else 1,
           "%s: each members page that showed them" % nid)
        s = c.srv.get("/v1/me/summonses", token=cit).json["summonses"][0]
        ev = s["events"][0]
        eq(ev["type"], "issued")
        check(ev.get("audit_index", 0) > 0, "the issued event names its entry: %r" % ev)
        rc = c.srv.get("/v1/me/summonses/%s/receipt" % sid, token=cit).json
        eq((rc["entry"]["action"], rc["entry"]["person"], rc["entry"]["subject_id"]),
           ("summons.issue", nid, sid), "the receipt's entry")
        path = os.path.join(c.dir, "receipt-%s.json" % nid)
        with open(path, "w") as f:
            json.dump(rc, f)
        key = c.srv.get("/v1/audit/key").json["public_key"]
        code, out, err = run_cli("audit", "verify-proof", "--key", key, path)
        eq(code, 0, "verify-proof: %s %s" % (out, err))
    eq(len(cits), 4, "four summonses")
    code, out, err = run_cli("audit", "verify", "--db", c.db)
    eq(code, 0, "the log verifies: %s %s" % (out, err))


@with_ctx()
def test_a_cancellation_cut_short_is_finished_by_asking_again(c):
    """The summonses' write fails (an injected fault) after the campaign was
    marked cancelled: its bars stay. Asking again, on a healthy server,
    cancels what was left open, under the first reason."""
    setup_register(c)
    commissar = c.token("commissar")
    cid = draft(c, quota=6).json["id"]
    r = c.srv.post("/v1/campaigns/%s/approve" % cid, {}, token=commissar, now=NOW)
    eq(r.status, 200, "approve: %r" % r)
    issued = r.json["issued"]
    later = "2026-02-28T12:00:00Z"
    eq(c.srv.get("/v1/campaigns/%s" % cid, token=commissar, now=later).json["counts"]
       ["by_state"]["delivered"], issued, "deemed delivered: barred")
    eq(c.srv.stop(), 0, "SIGTERM")
    os.environ["MUSTER_STORE_FAIL"] = "event_append_many"
    try:
        c.srv = Server(c.db)
    finally:
        os.environ.pop("MUSTER_STORE_FAIL", None)
    r = c.srv.post("/v1/campaigns/%s/cancel" % cid, {"reason": "decree withdrawn"},
                   token=commissar, now=later)
    eq(r.status, 500, "the write fails: %r" % r)
    check("ask again" in r.json.get("detail", ""), "says what to do: %r" % r.json)
    rep = c.srv.get("/v1/campaigns/%s" % cid, token=commissar, now=later).json
    eq((rep["state"], rep["counts"]["by_state"]["cancelled"]), ("cancelled", 0),
       "marked cancelled, its summonses still open")
    eq(c.srv.stop(), 0, "SIGTERM")
    c.srv = Server(c.db)
    r = c.srv.post("/v1/campaigns/%s/cancel" % cid, {"reason": "second try"},
                   token=commissar, now=later)
    eq(r.status, 200, "asked again: %r" % r)
    eq(r.json["summonses_cancelled"], issued, "the rest cancelled")
    rep = c.srv.get("/v1/campaigns/%s" % cid, token=commissar, now=later).json
    eq(rep["counts"]["by_state"]["cancelled"], issued, "all cancelled")
    eq(rep["cancel_reason"], "decree withdrawn", "the first reason stands")
    feed = c.srv.get("/v1/feed/restrictions?limit=1000", token=c.admin, now=later).json["events"]
    eq(sum(1 for e in feed if e["change"] == "lifted"), issued, "every bar lifted")
    r = c.srv.post("/v1/campaigns/%s/cancel" % cid, {"reason": "third"}, token=commissar,
                   now=later)
    eq((r.status, r.json["summonses_cancelled"]), (200, 0), "nothing left: 0")


def test_all_or_nothing_under_kill9():
    c = Ctx(serve=False)
    try:
        os.unlink(c.db)
        code, out, err = run_cli("demo", "--db", c.db, "--persons", "6000", "--no-serve")
        eq(code, 0, "demo: " + err)
        tokens = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[-1].startswith("mu_"):
                tokens[" ".join(parts[:-1])] = parts[-1]
        admin, commissar = tokens["admin"], tokens["commissar"]
        srv = Server(c.db, test_clock=False)
        today = dt.datetime.now(dt.timezone.utc)
        body = {"name": "Big", "purpose": "medical_exam",
                "report_from": (today + dt.timedelta(days=3)).strftime("%Y-%m-%dT00:00:00Z"),
                "report_to": (today + dt.timedelta(days=60)).strftime("%Y-%m-%dT00:00:00Z"),
                "quota": 5000, "criteria": {"born_from": "1900-01-01", "born_to": "2100-01-01"}}
        r = srv.post("/v1/campaigns", body, token=admin)
        eq(r.status, 201, "draft: %r" % r)
        cid, selected = r.json["id"], r.json["selected"]
        check(selected > 1000, "a big selection")
        def approve():
            try:
                srv.post("/v1/campaigns/%s/approve" % cid, {}, token=commissar)
            except OSError:
                pass  # the server was killed under us: that is the point
        t = threading.Thread(target=approve)
        t.start()
        time.sleep(0.05)
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait()
        t.join(10)
        db = sqlite3.connect(c.db)
        eq(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        n = db.execute("SELECT count(*) FROM summonses WHERE campaign = ?", (cid,)).fetchone()[0]
        state = db.execute("SELECT state, issued FROM campaigns WHERE id = ?", (cid,)).fetchone()
        db.close()
        check(n == 0 and state[0] == "draft" or n == state[1] and state[0] == "issued",
              "all or nothing: %d summonses, campaign %r" % (n, state))
    finally:
        import shutil
        shutil.rmtree(c.dir, ignore_errors=True)


@with_ctx()
def test_campaign_summons_reaches_the_portal_account(c):
    ids = setup_register(c)
    commissar = c.token("commissar")
    clerk = c.token("clerk")
    r = c.srv.post("/v1/persons/%s/account" % ids[3], {"provider": "builtin"},
                   token=c.admin, now=NOW)
    eq(r.status in (200, 201), True, "open account: %r" % r)
    r = draft(c, quota=4)
    eq(r.status, 201)
    r = c.srv.post("/v1/campaigns/%s/approve" % r.json["id"], {}, token=commissar, now=NOW)
    eq(r.status, 200)
    members = c.srv.get("/v1/campaigns/%s/members" % r.json["id"], token=c.admin).json["members"]
    by_id = {m["national_id"]: m["summons_id"] for m in members}
    check(ids[3] in by_id, "the account holder is selected")
    s = c.srv.get("/v1/summonses/%s" % by_id[ids[3]], token=clerk, now=NOW).json
    eq(s["delivered_by"], "placed_in_account", "placed in the account at issue")
    other = [sid for nid, sid in by_id.items() if nid != ids[3]][0]
    s = c.srv.get("/v1/summonses/%s" % other, token=clerk, now=NOW).json
    eq(s["state"], "pending", "no account: post only, not yet delivered")


if __name__ == "__main__":
    run(globals())
