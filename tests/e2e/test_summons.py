"""Whole summons timelines over HTTP on the test clock, one per profile,
to the second: issue -> deemed delivery -> day 20 -> excuse with a new
report date -> the restarted period -> appearance; cancellation; and the
scheduler catching up after a restart on the real clock.

Every boundary is probed one second before and at the instant, through
the status document (pure), the agency check (materialised state) and the
feed (the record of changes). Instants: see summons_world.py.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lib import Server, check, eq, run  # noqa: E402
from summons_world import (DAY20, DEEMED, ISSUE, KINDS, OFFICE_NAME, REPORT_Z,  # noqa: E402
                           SIX, ZONE, before, changes_of, parse, problem,
                           same_changes, shift, in_world)

# The excuse of the ru timelines: it happened at EXC and was recorded two
# hours later; the new report time is 25 April 10:00 Vladivostok, so the
# restarted 20-day period ends at 00:00 on 16 May Vladivostok.
EXC = "2026-04-15T03:00:00Z"
EXC_RECORDED = "2026-04-15T05:00:00Z"
NEW_REPORT = "2026-04-25T10:00:00+10:00"
NEW_REPORT_Z = "2026-04-25T00:00:00Z"
DAY20_AGAIN = "2026-05-15T14:00:00Z"
APPEARED = "2026-05-20T01:00:00Z"


def explanation(w, nid, at, kind):
    for res in w.status(nid, at)["restrictions"]:
        if res["kind"] == kind:
            return res
    raise AssertionError("no %s restriction at %s" % (kind, at))


def says(text, *phrases):
    for p in phrases:
        check(p in text, "explanation lacks %r: %s" % (p, text))


def deemed_delivery(w, profile, nid, sid):
    st = w.status(nid, ISSUE)
    s = st["summonses"][0]
    eq((s["id"], s["state"], s["delivered_at"], s["report_at"]),
       (sid, "pending", None, REPORT_Z), "just issued")
    eq(st["restrictions"], [], "nothing in force at issue")
    eq(st["next_change"], DEEMED, "next change: the deemed delivery")
    eq(w.one(nid, ISSUE)["office_timezone"], ZONE, "office zone")
    # Not one second early, in any of the three views.
    w.at(before(DEEMED))
    eq(w.changes(nid), [], "feed one second before the deemed delivery")
    eq(w.check_kind("exit", nid, before(DEEMED)), {"permitted": True}, "check before")
    w.sharp(nid, DEEMED, [], ["exit"], what="deemed delivery")
    w.at(DEEMED)
    eq(w.changes(nid), [("exit", "imposed", DEEMED)], "feed once the clock passes")
    eq(w.check_kind("exit", nid, DEEMED),
       {"permitted": False, "since": DEEMED, "reference": sid}, "check at the instant")
    s = w.one(nid, DEEMED)
    eq((s["state"], s["delivered_at"], s["delivered_by"], s["delivery_rule"]),
       ("delivered", DEEMED, "published", profile + ".delivery.deemed"), "deemed")
    eq(w.one(nid, before(DEEMED))["state"], "pending", "pending until then")
    res = explanation(w, nid, DEEMED, "exit")
    eq((res["since"], res["basis"], res["rule"], res["profile"]),
       (DEEMED, sid, profile + ".exit.delivery", profile + "/1"), "exit restriction")
    says(res["explanation"], "Leaving the country is barred since 11 March 2026 00:00",
         ZONE, sid, "deemed delivered 7 days after its publication on 3 March 2026",
         "appear at " + OFFICE_NAME, "cancelled")
    eq(w.status(nid, DEEMED)["next_change"], DAY20, "next change: day 20")


def day_twenty(w, profile, nid, sid):
    eq(w.one(nid, before(REPORT_Z))["state"], "delivered", "before the report time")
    eq(w.one(nid, REPORT_Z)["state"], "overdue", "from the report time")
    w.at(before(DAY20))
    eq(w.changes(nid), [("exit", "imposed", DEEMED)], "feed one second before day 20")
    eq(w.check_kind("credit", nid, before(DAY20)), {"permitted": True}, "credit before")
    w.sharp(nid, DAY20, ["exit"], KINDS, what="day 20")
    w.expect(nid, DAY20, KINDS, since=dict({"exit": DEEMED}, **{k: DAY20 for k in SIX}))
    w.at(DAY20)
    same_changes(w.changes(nid), [("exit", "imposed", DEEMED)] +
                 changes_of(SIX, "imposed", DAY20), "feed after day 20")
    eq(w.check_kind("driving", nid, DAY20),
       {"permitted": False, "since": DAY20, "reference": sid}, "driving check at day 20")
    res = explanation(w, nid, DAY20, "credit")
    eq(res["rule"], profile + ".no_show.20d", "rule of the six")
    says(res["explanation"], "Taking loans or credit is barred since 10 April 2026 00:00",
         "20 March 2026 09:00", "within 20 days", "valid reason")


def excuse_with_new_date(w, profile, nid, sid):
    doc = w.event(sid, "excused", EXC, now=EXC_RECORDED, new_report_at=NEW_REPORT)
    ev = doc["events"][-1]
    eq((ev["type"], ev["at"], ev["recorded_at"], ev["new_report_at"]),
       ("excused", EXC, EXC_RECORDED, NEW_REPORT_Z), "the event keeps both instants")
    for e in doc["events"]:
        check("at" in e and "recorded_at" in e, "every event has at and recorded_at")
    eq((doc["state"], doc["report_at"], doc["original_report_at"]),
       ("delivered", NEW_REPORT_Z, REPORT_Z), "the summons lives on with the new date")
    # The six lift at the excuse's instant (not when it was recorded); the
    # exit bar stays; the period restarts from the new report date.
    w.sharp(nid, EXC, KINDS, ["exit"], what="excuse")
    w.expect(nid, EXC_RECORDED, ["exit"], since=DEEMED)
    eq(w.status(nid, EXC)["next_change"], DAY20_AGAIN, "the restarted period")
    lifted = changes_of(SIX, "lifted", EXC)
    same_changes(w.changes(nid), [("exit", "imposed", DEEMED)] +
                 changes_of(SIX, "imposed", DAY20) + lifted, "feed after the excuse")
    eq(w.check_kind("credit", nid, EXC_RECORDED), {"permitted": True}, "credit again")
    w.at(before(DAY20_AGAIN))
    eq(len(w.changes(nid)), 13, "nothing new one second before the new day 20")
    w.sharp(nid, DAY20_AGAIN, ["exit"], KINDS, what="new day 20")
    w.at(DAY20_AGAIN)
    eq(sorted(w.changes(nid)[13:]), sorted(changes_of(SIX, "imposed", DAY20_AGAIN)),
       "the restarted period in the feed")
    says(explanation(w, nid, DAY20_AGAIN, "real_estate")["explanation"],
         "since 16 May 2026 00:00", "25 April 2026 10:00")


def appearance(w, profile, nid, sid):
    w.event(sid, "appeared", APPEARED)
    w.sharp(nid, APPEARED, KINDS, [], what="appearance")
    s = w.one(nid, APPEARED)
    eq((s["state"], s["ended_at"], s["ended_by"]), ("reported", APPEARED, "appeared"),
       "ended by appearance")
    eq(w.status(nid, APPEARED)["next_change"], None, "nothing further")
    eq(w.check_kind("exit", nid, APPEARED), {"permitted": True}, "exit check after")
    eq(sorted(w.changes(nid)[19:]), sorted(changes_of(KINDS, "lifted", APPEARED)),
       "all seven lift at the appearance")
    # The past is not rewritten: as of 12 April all seven were in force.
    w.expect(nid, "2026-04-12T00:00:00Z", KINDS,
             since=dict({"exit": DEEMED}, **{k: DAY20 for k in SIX}))
    feed = w.changes(nid)
    eq(len(feed), 26, "1 + 6 + 6 + 6 + 7 changes")
    ats = [parse(a) for _, _, a in feed]
    eq(ats, sorted(ats), "the feed is in time order")


def ru_timeline(profile):
    @in_world(profile)
    def body(w):
        w.person("TL-0001")
        sid = w.issue("TL-0001")
        deemed_delivery(w, profile, "TL-0001", sid)
        day_twenty(w, profile, "TL-0001", sid)
        excuse_with_new_date(w, profile, "TL-0001", sid)
        appearance(w, profile, "TL-0001", sid)
    body()


def test_timeline_ru2023():
    ru_timeline("ru-2023")


def test_timeline_ru2025():
    ru_timeline("ru-2025")


@in_world("generic")
def test_timeline_generic(w):
    """generic: no deemed delivery; delivery by viewing after placement;
    the exit bar from 00:00 on the day after the report date; an excuse with
    a new date lifts it at once and restarts it; appearance ends it."""
    nid = "TL-0002"
    w.person(nid)
    sid = w.issue(nid)
    placed, viewed = "2026-03-03T00:00:00Z", "2026-03-05T02:00:00Z"
    w.event(sid, "placed_in_account", placed)
    w.at(DEEMED)
    s = w.one(nid, DEEMED)
    eq((s["state"], s["delivered_at"]), ("pending", None), "no deemed delivery")
    eq(w.status(nid, DEEMED)["next_change"], None, "nothing ahead while undelivered")
    w.event(sid, "viewed", viewed, now=DEEMED)  # recorded late
    s = w.one(nid, viewed)
    eq((s["state"], s["delivered_at"], s["delivered_by"], s["delivery_rule"]),
       ("delivered", viewed, "viewed", "generic.delivery.viewed"), "viewed after placement")
    eq(w.one(nid, before(viewed))["state"], "pending", "not before viewing")
    w.expect(nid, DEEMED, [], what="delivered, but no bar before the report date")
    # 00:00 Vladivostok on 21 March, the day after the report date.
    r1 = "2026-03-20T14:00:00Z"
    eq(w.status(nid, viewed)["next_change"], r1, "next change: the day after")
    w.at(before(r1))
    eq(w.changes(nid), [], "feed before R + 1")
    w.sharp(nid, r1, [], ["exit"], what="R + 1")
    w.at(r1)
    eq(w.changes(nid), [("exit", "imposed", r1)], "feed at R + 1")
    res = explanation(w, nid, r1, "exit")
    eq(res["rule"], "generic.exit.no_show", "generic rule")
    says(res["explanation"], "since 21 March 2026 00:00", "20 March 2026 09:00",
         "suspends it")
    w.expect(nid, shift(r1, days=40), ["exit"], what="no further restrictions, ever")
    # Excuse with a new date: the bar lifts at once, restarts after R'.
    exc, new_r1 = "2026-03-25T03:00:00Z", "2026-04-01T14:00:00Z"
    w.event(sid, "excused", exc, new_report_at="2026-04-01T09:00:00+10:00")
    w.sharp(nid, exc, ["exit"], [], what="excuse")
    w.sharp(nid, new_r1, [], ["exit"], what="R' + 1")
    appeared = "2026-04-08T00:00:00Z"
    w.event(sid, "appeared", appeared)
    w.sharp(nid, appeared, ["exit"], [], what="appearance")
    eq(w.one(nid, appeared)["state"], "reported", "reported")
    same_changes(w.changes(nid), [("exit", "imposed", r1), ("exit", "lifted", exc),
                                  ("exit", "imposed", new_r1),
                                  ("exit", "lifted", appeared)], "generic feed")


@in_world("ru-2023")
def test_cancellation_lifts_everything_and_ends_the_summons(w):
    nid = "TL-0003"
    w.person(nid)
    sid = w.issue(nid)
    w.at(DAY20)
    w.expect(nid, DAY20, KINDS)
    cancelled = "2026-04-11T06:00:00Z"
    doc = w.event(sid, "cancelled", cancelled, now="2026-04-12T00:00:00Z")
    eq((doc["state"], doc["ended_at"], doc["ended_by"]),
       ("cancelled", cancelled, "cancelled"), "ended")
    w.sharp(nid, cancelled, KINDS, [], what="cancellation")
    eq(w.status(nid, cancelled)["next_change"], None, "nothing further")
    same_changes(w.changes(nid), [("exit", "imposed", DEEMED)] +
                 changes_of(SIX, "imposed", DAY20) +
                 changes_of(KINDS, "lifted", cancelled), "feed")
    eq(w.check_kind("foreign_passport", nid, "2026-04-12T00:00:00Z"),
       {"permitted": True}, "check after cancellation")
    # Nothing may follow the end, not even an appearance.
    r = w.event_raw(sid, "appeared", "2026-04-12T00:00:00Z")
    problem(r, 400, "type", "event after cancellation")
    check("cancelled" in r.json["detail"], "the detail says why: %r" % r.json)
    eq(len(w.summons(sid)["events"]), 3, "the refused event was not stored")


@in_world("ru-2023")
def test_restart_on_the_real_clock_catches_up(w):
    """Issued on the test clock in March 2026 and stopped before anything
    fell due; restarted without --test-clock (the real clock is later), the
    scheduler writes the deemed delivery and day 20 at their own instants.
    A second person who appeared in time never enters the feed."""
    c = w.c
    w.person("RS-0001")
    w.person("RS-0002")
    sid = w.issue("RS-0001")
    sid2 = w.issue("RS-0002")
    w.event(sid2, "appeared", "2026-03-05T00:00:00Z")
    w.at(before(DEEMED))
    eq(w.feed(), [], "nothing fell due before the stop")
    eq(c.srv.stop(), 0, "SIGTERM exits 0")
    c.srv = Server(c.db, test_clock=False)
    check("test-clock" not in c.srv.log(), "restarted on the real clock")
    want = [("exit", "imposed", DEEMED)] + changes_of(SIX, "imposed", DAY20)
    got = wait_for_feed(c, len(want))
    eq([e["national_id"] for e in got], ["RS-0001"] * 7, "only the person who was due")
    same_changes([(e["kind"], e["change"], e["at"]) for e in got], want,
                 "caught-up changes carry their own instants")
    eq(got[0]["kind"], "exit", "the earlier change comes first")
    eq({e["reference"] for e in got}, {sid}, "basis")
    # The pure status on the real clock agrees.
    r = c.srv.get("/v1/persons/RS-0001/status", token=w.clerk)
    eq(r.status, 200, "status")
    eq(sorted((x["kind"], x["since"]) for x in r.json["restrictions"]),
       sorted([("exit", DEEMED)] + [(k, DAY20) for k in SIX]), "status now")
    check(parse(r.json["at"]) > parse(DAY20), "real clock is later than the test dates")
    eq(w.check_kind("exit", "RS-0001", r.json["at"]),
       {"permitted": False, "since": DEEMED, "reference": sid}, "exit check")
    eq(w.check_kind("credit", "RS-0002", r.json["at"]), {"permitted": True},
       "the person who appeared")


def wait_for_feed(c, n):
    """The feed once it holds n changes: long-poll until the scheduler's
    first pass has written them (bounded; no timing is asserted)."""
    got, after = [], 0
    for _ in range(30):
        r = c.srv.get("/v1/feed/restrictions?after=%d&limit=1000&wait=2" % after,
                      token=c.admin)
        eq(r.status, 200, "feed")
        got += r.json["events"]
        after = r.json["next"]
        if len(got) >= n:
            return got
    raise AssertionError("the scheduler did not catch up: %r" % got)


if __name__ == "__main__":
    run(globals())
