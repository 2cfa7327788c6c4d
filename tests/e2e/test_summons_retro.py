"""Facts recorded late, over HTTP on the test clock.

An event is dated when it happened and may be recorded later (a postal
receipt, a clerk catching up). The pure status then rewrites the past, but
the record of changes (the feed) cannot: agencies have already applied it.
What must hold: the record of each (person, kind) alternates imposed /
lifted in time order, it ends in the state the pure function gives, and a
late fact is dated when it happened unless that would put it before a
change already recorded for that kind.

Scripted cases first, then seeded random histories of late facts.
"""
import datetime as dt
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import Server, check, eq, run  # noqa: E402
from summons_world import (DAY20, KINDS, SIX, changes_of, in_world, iso,  # noqa: E402
                           parse, same_changes)




def in_time_order(w, nid):
    by_kind = {}
    for kind, change, at in w.changes(nid):
        by_kind.setdefault(kind, []).append((change, parse(at)))
    for kind, evs in by_kind.items():
        for i, (change, at) in enumerate(evs):
            eq(change, "imposed" if i % 2 == 0 else "lifted", "%s %s: alternation" % (nid, kind))
            check(i == 0 or at >= evs[i - 1][1],
                  "%s %s: change %d dated before the one recorded before it: %r"
                  % (nid, kind, i, evs))
    return by_kind


@in_world("ru-2023")
def test_late_appearance_before_a_recorded_delivery(w):
    """Summons A barred exit on 3-4 March. Summons B was deemed delivered
    at 00:00 on 13 March (Vladivostok) and the bar was recorded. Then an
    appearance on B dated 11 March is recorded: B was never delivered, the
    bar never was; it lifts where it began, not on 4 March."""
    nid = "LA-0001"
    w.person(nid)
    a = w.issue(nid)
    w.event(a, "handed", "2026-03-03T00:00:00Z")
    w.event(a, "appeared", "2026-03-04T00:00:00Z")
    b = w.issue(nid, at="2026-03-05T00:00:00Z")
    deemed_b = "2026-03-12T14:00:00Z"
    w.at("2026-03-13T00:00:00Z")
    eq(w.changes(nid)[-1], ("exit", "imposed", deemed_b), "B's bar recorded")
    w.event(b, "appeared", "2026-03-11T00:00:00Z", now="2026-03-13T00:00:00Z")
    eq(w.one(nid, deemed_b, sid=b)["delivered_at"], None, "B never delivered")
    w.expect(nid, deemed_b, [], what="pure: no bar")
    eq(w.changes(nid), [("exit", "imposed", "2026-03-03T00:00:00Z"),
                        ("exit", "lifted", "2026-03-04T00:00:00Z"),
                        ("exit", "imposed", deemed_b), ("exit", "lifted", deemed_b)],
       "the phantom bar lifts where it began")
    in_time_order(w, nid)


@in_world("ru-2023")
def test_late_delivery_after_a_recorded_lift(w):
    """A barred exit 14-16 March; B's letter, signed for on 15 March, is
    recorded on 17 March. The bar is in force again, recorded from the
    lift on 16 March on (not from 14 March, before the lift)."""
    nid = "LD-0001"
    w.person(nid)
    a = w.issue(nid, at="2026-03-13T00:00:00Z")
    b = w.issue(nid, at="2026-03-13T00:00:00Z")
    w.event(a, "handed", "2026-03-14T00:00:00Z")
    w.event(a, "appeared", "2026-03-16T00:00:00Z")
    w.event(b, "post_delivered", "2026-03-15T00:00:00Z", now="2026-03-17T00:00:00Z")
    w.expect(nid, "2026-03-17T00:00:00Z", ["exit"], since="2026-03-15T00:00:00Z",
             what="pure: B bars exit since its delivery")
    eq(w.changes(nid), [("exit", "imposed", "2026-03-14T00:00:00Z"),
                        ("exit", "lifted", "2026-03-16T00:00:00Z"),
                        ("exit", "imposed", "2026-03-16T00:00:00Z")],
       "re-imposed at the recorded lift, in time order")
    eq(w.check_kind("exit", nid, "2026-03-17T00:00:00Z")["permitted"], False, "check")


@in_world("ru-2023")
def test_late_excuse_dated_before_day_20(w):
    """Day 20 passed and the six were recorded; then an excuse with a new
    date, dated the day before, is recorded. The six lift where they began;
    exit stays; the period restarts from the new date."""
    nid = "LE-0001"
    w.person(nid)
    sid = w.issue(nid)
    w.at("2026-04-10T00:00:00Z")
    exc = "2026-04-08T00:00:00Z"
    w.event(sid, "excused", exc, now="2026-04-12T00:00:00Z",
            new_report_at="2026-04-20T09:00:00+10:00")
    w.expect(nid, DAY20, ["exit"], what="pure: the six never applied")
    same_changes(w.changes(nid)[1:], changes_of(SIX, "imposed", DAY20) +
                 changes_of(SIX, "lifted", DAY20), "the six lift where they began")
    # 00:00 on 11 May Vladivostok: the restarted period.
    w.sharp(nid, "2026-05-10T14:00:00Z", ["exit"], KINDS, what="restarted day 20")
    in_time_order(w, nid)


@in_world("ru-2023")
def test_scheduler_waits_for_the_test_clock(w):
    """A server started with --test-clock has no time until a request
    brings one. Its scheduler once fell back to the wall clock until then:
    after a restart, or in the instant before the first header arrived, it
    materialised everything due by today (the deemed delivery, day 20) and
    dated its reconciliation today, so that a late excuse recorded on the
    test clock could no longer lift the six bars (seen in CI). The scheduler
    must do nothing until the test clock is set."""
    nid = "SW-0001"
    w.person(nid)
    w.issue(nid)
    eq(w.changes(nid), [], "nothing due at the issue")
    eq(w.c.srv.stop(), 0, "SIGTERM")
    w.c.srv = Server(w.c.db)
    time.sleep(1.3)                  # the first scheduler pass and the next
    r = w.srv.get("/v1/feed/restrictions?limit=1000", token=w.c.admin)
    eq(r.json["events"], [], "no time-driven change before the test clock is set")
    w.clock = None
    w.at("2026-03-11T00:00:00Z")
    eq(w.changes(nid), [("exit", "imposed", "2026-03-10T14:00:00Z")],
       "the deemed delivery, on the test clock")


@in_world("ru-2023")
def test_late_appearance_after_day_20_lifts_at_its_instant(w):
    nid = "LP-0001"
    w.person(nid)
    sid = w.issue(nid)
    appeared = "2026-04-11T05:00:00Z"
    w.at("2026-04-14T00:00:00Z")
    w.event(sid, "appeared", appeared, now="2026-04-14T00:00:00Z")
    same_changes(w.changes(nid)[7:], changes_of(KINDS, "lifted", appeared),
                 "lifted at the appearance, not when it was recorded")


# ---- random histories of late facts ----------------------------------

# Weighted towards what changes restrictions: deliveries and endings.
EVENTS = (["handed", "post_delivered", "post_refused", "placed_in_account", "viewed"] * 2 +
          ["appeared", "cancelled", "excused", "excused_new_date"] * 2 +
          ["post_returned", "appealed", "appeal_decided", "appeal_decided"])


def random_history(w, rng, persons, steps):
    now = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    summonses = []
    for _ in range(steps):
        now += dt.timedelta(minutes=rng.randint(60, 2 * 24 * 60))
        if rng.random() < 0.3 or not summonses:
            nid = rng.choice(persons)
            report = now + dt.timedelta(hours=rng.randint(2, 15 * 24))
            summonses.append((w.issue(nid, report=iso(report), at=iso(now)), now))
            continue
        sid, issued = rng.choice(summonses)
        # dated up to ten days back, never before the issue
        at = max(issued, now - dt.timedelta(minutes=rng.randint(0, 10 * 24 * 60)))
        typ = rng.choice(EVENTS)
        body = {}
        if typ == "excused_new_date":
            typ = "excused"
            body["new_report_at"] = iso(now + dt.timedelta(days=rng.randint(1, 12)))
        if typ == "appeal_decided":
            body["outcome"] = rng.choice(["upheld", "rejected"])
        r = w.event_raw(sid, typ, iso(at), now=iso(now), **body)
        check(r.status in (201, 400), "event: %r" % r)
    return now + dt.timedelta(days=40)


def random_run(profile, seed, steps, n_persons):
    @in_world(profile)
    def body(w):
        rng = random.Random(seed)
        persons = ["RR-%04d" % i for i in range(n_persons)]
        for nid in persons:
            w.person(nid)
        end = random_history(w, rng, persons, steps)
        w.at(iso(end))
        n_changes = 0
        for nid in persons:
            by_kind = in_time_order(w, nid)
            final = w.kinds(nid, iso(end))
            for k in KINDS:
                evs = by_kind.get(k, [])
                recorded = bool(evs) and evs[-1][0] == "imposed"
                eq(recorded, k in final, "%s %s: final state, record vs pure" % (nid, k))
            n_changes += sum(len(v) for v in by_kind.values())
        check(n_changes > 12, "the history changed little (%d changes): the test "
              "would prove little" % n_changes)
    body()


def test_random_late_facts_ru2023():
    # This seed, on the code before the fix, recorded a lift dated before
    # the imposition it lifted.
    random_run("ru-2023", 4, 160, 4)


def test_random_late_facts_generic():
    random_run("generic", 2, 300, 3)


if __name__ == "__main__":
    run(globals())
