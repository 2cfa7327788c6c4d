"""The rows of LEGAL_RULES.md one by one over HTTP on the test clock:
each delivery channel, a returned letter, delivery after the report time,
ru-2025's placement, generic's viewing, appeals that suspend (generic) and
do not (ru-2023), re-application after a rejected appeal, and an upheld
appeal. Every change is probed one second before and at its instant, and
in the feed. Instants: see summons_world.py.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lib import check, eq, run  # noqa: E402
from summons_world import (DAY20, DEEMED, KINDS, SIX, before, changes_of,  # noqa: E402
                           in_world, same_changes)




def delivered(w, nid, at, by, rule):
    s = w.one(nid, at)
    eq((s["state"], s["delivered_at"], s["delivered_by"], s["delivery_rule"]),
       ("delivered", at, by, rule), "%s delivered" % nid)
    eq(w.one(nid, before(at))["state"], "pending", "%s pending a second earlier" % nid)


@in_world("ru-2023")
def test_each_delivery_channel_delivers_at_its_instant(w):
    """handed, post_delivered, post_refused, placed_in_account deliver at
    the event's instant, even when recorded hours later (the feed says
    when it happened); post_sent does not."""
    cases = [("CH-0001", "handed", "2026-03-04T01:00:00Z", "delivery.handed"),
             ("CH-0002", "post_delivered", "2026-03-05T02:30:00Z", "delivery.post"),
             ("CH-0003", "post_refused", "2026-03-06T03:00:00Z", "delivery.post_refused"),
             ("CH-0004", "placed_in_account", "2026-03-03T01:15:00Z", "delivery.account")]
    sids = {}
    for nid, _, _, _ in cases:
        w.person(nid)
        sids[nid] = w.issue(nid)
    w.event(sids["CH-0002"], "post_sent", "2026-03-03T00:00:00Z")
    w.event(sids["CH-0003"], "post_sent", "2026-03-03T00:00:00Z")
    w.expect("CH-0002", "2026-03-03T00:00:00Z", [], what="post_sent does not deliver")
    # Viewing is informational in ru-2023: only the deemed delivery binds.
    w.person("CH-0005")
    viewed = w.issue("CH-0005")
    w.event(viewed, "viewed", "2026-03-03T00:30:00Z")
    eq(w.one("CH-0005", "2026-03-03T00:30:00Z")["state"], "pending", "viewed only")
    for nid, typ, at, rule in sorted(cases, key=lambda x: x[2]):
        w.event(sids[nid], typ, at, now="2026-03-06T09:00:00Z")
    for nid, typ, at, rule in cases:
        delivered(w, nid, at, typ, "ru-2023." + rule)
        w.sharp(nid, at, [], ["exit"], what=typ)
        eq(w.changes(nid), [("exit", "imposed", at)], "%s: feed at the event instant" % typ)
        eq(w.status(nid, at)["next_change"], DAY20, "%s: day 20 still ahead" % typ)
    delivered(w, "CH-0005", DEEMED, "published", "ru-2023.delivery.deemed")


@in_world("ru-2023")
def test_returned_letter_does_not_deliver(w):
    nid = "RT-0001"
    w.person(nid)
    sid = w.issue(nid)
    w.event(sid, "post_sent", "2026-03-03T00:00:00Z")
    w.event(sid, "post_returned", "2026-03-08T00:00:00Z")
    w.at(before(DEEMED))
    s = w.one(nid, before(DEEMED))
    eq((s["state"], s["delivered_at"]), ("pending", None), "returned: not delivered")
    eq(w.changes(nid), [], "feed")
    # Only the deemed delivery binds it.
    delivered(w, nid, DEEMED, "published", "ru-2023.delivery.deemed")
    w.at(DEEMED)
    eq(w.changes(nid), [("exit", "imposed", DEEMED)], "feed at the deemed delivery")


@in_world("ru-2023")
def test_delivery_after_the_report_time_bars_exit_only(w):
    """Deemed delivery after the report time, and handing over exactly at
    the report time: exit from delivery, never the 20-day restrictions."""
    report, report_z = "2026-03-05T09:00:00+10:00", "2026-03-04T23:00:00Z"
    w.person("LT-0001")
    w.person("LT-0002")
    s1 = w.issue("LT-0001", report=report)
    s2 = w.issue("LT-0002", report=report)
    w.event(s2, "handed", report_z)
    eq(w.one("LT-0001", DEEMED)["state"], "overdue", "delivered after the report time")
    w.sharp("LT-0001", DEEMED, [], ["exit"], what="late deemed delivery")
    w.sharp("LT-0002", report_z, [], ["exit"], what="handed at the report time")
    # Day 20 after a 5 March report date would be 00:00 on 26 March.
    day20 = "2026-03-25T14:00:00Z"
    for nid in ("LT-0001", "LT-0002"):
        w.expect(nid, day20, ["exit"], what=nid + " at its day 20")
        w.expect(nid, "2026-06-01T00:00:00Z", ["exit"], what=nid + " long after")
        eq(w.status(nid, DEEMED)["next_change"], None, nid + ": no change ahead")
    w.at("2026-06-01T00:00:00Z")
    eq(w.changes("LT-0001"), [("exit", "imposed", DEEMED)], "feed LT-0001")
    eq(w.changes("LT-0002"), [("exit", "imposed", report_z)], "feed LT-0002")
    check(s1 != s2, "two summonses")


@in_world("ru-2025")
def test_ru2025_placement_delivers_seven_days_later(w):
    """Placement delivers at 00:00 on the eighth day after it (here the
    same day as the deemed delivery, and its rule is named); an earlier
    handing over wins; a placement on a later day cannot delay the deemed
    delivery by publication (the law keeps ru-2023's rule)."""
    placed = "2026-03-03T00:00:00Z"  # 10:00 on 3 March in Vladivostok
    for nid in ("PL-0001", "PL-0002", "PL-0003"):
        w.person(nid)
    s1, s2, s3 = w.issue("PL-0001"), w.issue("PL-0002"), w.issue("PL-0003")
    w.event(s1, "placed_in_account", placed)
    w.event(s2, "placed_in_account", placed)
    w.expect("PL-0001", placed, [], what="placement does not deliver at once")
    handed = "2026-03-05T02:00:00Z"
    w.event(s2, "handed", handed)
    w.event(s3, "placed_in_account", "2026-03-06T00:00:00Z")
    delivered(w, "PL-0001", DEEMED, "placed_in_account", "ru-2025.delivery.account")
    w.sharp("PL-0001", DEEMED, [], ["exit"], what="placement + 7")
    ex = w.status("PL-0001", DEEMED)["restrictions"][0]["explanation"]
    check("7 days after it was placed in your personal account on 3 March 2026" in ex,
          "explanation names the placement: " + ex)
    delivered(w, "PL-0002", handed, "handed", "ru-2025.delivery.handed")
    w.sharp("PL-0002", handed, [], ["exit"], what="earlier handing over")
    delivered(w, "PL-0003", DEEMED, "published", "ru-2025.delivery.deemed")
    w.at(DAY20)
    same_changes(w.changes("PL-0001"), [("exit", "imposed", DEEMED)] +
                 changes_of(SIX, "imposed", DAY20), "PL-0001 feed")
    same_changes(w.changes("PL-0002"), [("exit", "imposed", handed)] +
                 changes_of(SIX, "imposed", DAY20), "PL-0002 feed")


@in_world("ru-2023")
def test_ru2023_placement_delivers_at_once(w):
    """The same placement as in ru-2025, for contrast."""
    w.person("PL-0004")
    sid = w.issue("PL-0004")
    w.event(sid, "placed_in_account", "2026-03-03T00:00:00Z")
    delivered(w, "PL-0004", "2026-03-03T00:00:00Z", "placed_in_account",
              "ru-2023.delivery.account")


@in_world("generic")
def test_generic_viewing_counts_only_after_placement(w):
    nid = "GV-0001"
    w.person(nid)
    sid = w.issue(nid)
    w.event(sid, "viewed", "2026-03-03T00:00:00Z")
    w.event(sid, "placed_in_account", "2026-03-04T00:00:00Z")
    w.event(sid, "post_refused", "2026-03-04T06:00:00Z")  # not a delivery here
    eq(w.one(nid, "2026-03-04T12:00:00Z")["state"], "pending",
       "viewed before placement, and a refused letter: not delivered")
    w.event(sid, "viewed", "2026-03-05T00:00:00Z")
    delivered(w, nid, "2026-03-05T00:00:00Z", "viewed", "generic.delivery.viewed")
    w.person("GV-0002")
    sid2 = w.issue("GV-0002", at="2026-03-05T00:00:00Z")
    w.event(sid2, "post_delivered", "2026-03-06T00:00:00Z")
    delivered(w, "GV-0002", "2026-03-06T00:00:00Z", "post_delivered",
              "generic.delivery.post")


R1 = "2026-03-20T14:00:00Z"  # 00:00 Vladivostok on 21 March, after the report date


@in_world("generic")
def test_generic_appeal_suspends_and_rejection_reapplies(w):
    nid = "GA-0001"
    w.person(nid)
    sid = w.issue(nid)
    w.event(sid, "handed", "2026-03-04T00:00:00Z")
    w.sharp(nid, R1, [], ["exit"], what="R + 1")
    appealed, rejected = "2026-03-22T00:00:00Z", "2026-03-25T00:00:00Z"
    doc = w.event(sid, "appealed", appealed)
    eq(doc["appeal_pending"], True, "appeal pending")
    w.sharp(nid, appealed, ["exit"], [], what="the appeal suspends")
    eq(w.status(nid, appealed)["next_change"], None, "suspended until decided")
    eq(w.check_kind("exit", nid, "2026-03-23T00:00:00Z"), {"permitted": True},
       "check while suspended")
    doc = w.event(sid, "appeal_decided", rejected, outcome="rejected")
    eq((doc["appeal_pending"], doc["state"]), (False, "overdue"), "rejected: alive")
    w.sharp(nid, rejected, [], ["exit"], what="rejection re-applies")
    res = w.status(nid, rejected)["restrictions"][0]
    eq(res["since"], rejected, "since the decision")
    check("rejected on 25 March 2026 10:00" in res["explanation"],
          "explanation says it applies again: " + res["explanation"])
    # A second appeal, upheld: the summons is cancelled for good.
    appealed2, upheld = "2026-03-27T00:00:00Z", "2026-03-29T00:00:00Z"
    w.event(sid, "appealed", appealed2)
    w.sharp(nid, appealed2, ["exit"], [], what="second appeal")
    doc = w.event(sid, "appeal_decided", upheld, outcome="upheld")
    eq((doc["state"], doc["ended_at"], doc["ended_by"]),
       ("cancelled", upheld, "appeal_decided"), "upheld cancels")
    w.expect(nid, upheld, [], what="after the upheld appeal")
    w.expect(nid, "2026-06-01T00:00:00Z", [], what="for good")
    w.at("2026-06-01T00:00:00Z")
    same_changes(w.changes(nid), [("exit", "imposed", R1), ("exit", "lifted", appealed),
                                  ("exit", "imposed", rejected),
                                  ("exit", "lifted", appealed2)], "feed")


@in_world("generic")
def test_generic_appeal_lodged_before_the_bar_defers_it(w):
    nid = "GA-0002"
    w.person(nid)
    sid = w.issue(nid)
    w.event(sid, "handed", "2026-03-04T00:00:00Z")
    w.event(sid, "appealed", "2026-03-10T00:00:00Z")
    w.expect(nid, R1, [], what="R + 1 under a pending appeal")
    rejected = "2026-03-22T00:00:00Z"
    w.event(sid, "appeal_decided", rejected, outcome="rejected")
    w.sharp(nid, rejected, [], ["exit"], what="the bar starts at the rejection")
    w.at("2026-03-23T00:00:00Z")
    eq(w.changes(nid), [("exit", "imposed", rejected)], "feed: one change, at the decision")


@in_world("ru-2023")
def test_ru2023_appeal_does_not_suspend_but_upheld_lifts(w):
    nid = "RA-0001"
    w.person(nid)
    sid = w.issue(nid)
    appealed = "2026-03-12T00:00:00Z"
    doc = w.event(sid, "appealed", appealed, now="2026-03-12T00:00:00Z")
    eq(doc["appeal_pending"], True, "pending")
    w.expect(nid, appealed, ["exit"], since=DEEMED, what="no suspension in ru-2023")
    w.event(sid, "appeal_decided", "2026-03-14T00:00:00Z", outcome="rejected")
    w.expect(nid, "2026-03-14T00:00:00Z", ["exit"], since=DEEMED, what="rejected")
    w.sharp(nid, DAY20, ["exit"], KINDS, what="day 20 regardless of the appeal")
    appealed2, upheld = "2026-04-12T00:00:00Z", "2026-04-14T00:00:00Z"
    w.event(sid, "appealed", appealed2)
    w.expect(nid, appealed2, KINDS, what="still no suspension")
    doc = w.event(sid, "appeal_decided", upheld, outcome="upheld")
    eq((doc["state"], doc["ended_by"]), ("cancelled", "appeal_decided"), "upheld")
    w.sharp(nid, upheld, KINDS, [], what="upheld appeal lifts everything")
    same_changes(w.changes(nid), [("exit", "imposed", DEEMED)] +
                 changes_of(SIX, "imposed", DAY20) +
                 changes_of(KINDS, "lifted", upheld), "feed: nothing at the appeals")


@in_world("ru-2023")
def test_excuse_without_a_new_date_ends_the_summons(w):
    nid = "EX-0001"
    w.person(nid)
    sid = w.issue(nid)
    exc = "2026-04-20T00:00:00Z"
    w.at(exc)
    doc = w.event(sid, "excused", exc)
    eq((doc["state"], doc["ended_at"]), ("excused", exc), "ended by the excuse")
    w.sharp(nid, exc, KINDS, [], what="excuse without a date lifts all, exit too")
    same_changes(w.changes(nid), [("exit", "imposed", DEEMED)] +
                 changes_of(SIX, "imposed", DAY20) +
                 changes_of(KINDS, "lifted", exc), "feed")


@in_world("ru-2023")
def test_two_summonses_one_person(w):
    """The feed is per person and kind: a second summons that bars exit too
    does not re-impose it, and the bar lifts only when both have ended."""
    nid = "TW-0001"
    w.person(nid)
    s1 = w.issue(nid)
    s2 = w.issue(nid, at="2026-03-04T00:00:00Z", report="2026-04-30T09:00:00+10:00")
    handed = "2026-03-05T00:00:00Z"
    w.event(s2, "handed", handed)
    w.expect(nid, handed, ["exit"], since=handed)
    w.expect(nid, DEEMED, ["exit"], what="both bar exit")
    w.event(s2, "appeared", "2026-03-11T00:00:00Z")
    w.expect(nid, "2026-03-11T00:00:00Z", ["exit"], since=DEEMED,
             what="the other summons still bars exit")
    w.event(s1, "appeared", "2026-03-12T00:00:00Z")
    w.expect(nid, "2026-03-12T00:00:00Z", [], what="both ended")
    eq(w.changes(nid), [("exit", "imposed", handed), ("exit", "lifted", "2026-03-12T00:00:00Z")],
       "feed per person and kind")


if __name__ == "__main__":
    run(globals())
