"""Random histories over the real API: the materialised record of
restriction changes (the feed) must equal what the pure status function says
at every instant, and the engine's invariants must hold.

Seeded and deterministic; the clock is the test clock."""
import datetime as dt
import os
import random
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lib import check, eq, run, with_ctx  # noqa: E402

KINDS = ["exit", "credit", "real_estate", "business_registration",
         "vehicle_registration", "driving", "foreign_passport"]
OFFICES = [("KGD", "Europe/Kaliningrad"), ("MOW", "Europe/Moscow"),
           ("PKC", "Asia/Kamchatka")]
EVENTS = ["placed_in_account", "viewed", "post_sent", "post_delivered",
          "post_refused", "post_returned", "handed", "appeared", "excused",
          "excused_new_date", "cancelled", "appealed", "appeal_decided"]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")


def feed_all(srv, token):
    out, after = [], 0
    while True:
        r = srv.get("/v1/feed/restrictions?after=%d&limit=1000" % after, token=token)
        eq(r.status, 200, "feed")
        out += r.json["events"]
        if r.json["next"] == after:
            return out
        after = r.json["next"]


def simulate(c, rng, clerk, persons, steps):
    now = dt.datetime(2026, 3, 1, 0, 0, 0)
    summonses = []
    for _ in range(steps):
        now += dt.timedelta(minutes=rng.randint(30, 3 * 24 * 60))
        act = rng.random()
        if act < 0.3 or not summonses:
            pid, off = rng.choice(persons)
            report = now + dt.timedelta(hours=rng.randint(2, 20 * 24))
            r = c.srv.post("/v1/summonses", {"national_id": pid, "office": off,
                                             "purpose": "medical_exam",
                                             "report_at": iso(report)},
                           token=clerk, now=iso(now))
            eq(r.status, 201, "issue: %r" % r)
            summonses.append(r.json["id"])
        elif act < 0.95:
            sid = rng.choice(summonses)
            typ = rng.choice(EVENTS)
            body = {"type": typ, "at": iso(now)}
            if typ == "excused_new_date":
                body["type"] = "excused"
                body["new_report_at"] = iso(now + dt.timedelta(days=rng.randint(1, 15)))
            if typ == "appeal_decided":
                body["outcome"] = rng.choice(["upheld", "rejected"])
            r = c.srv.post("/v1/summonses/%s/events" % sid, body, token=clerk, now=iso(now))
            check(r.status in (201, 400), "event: %r" % r)
        else:
            c.srv.get("/healthz", now=iso(now))
    end = now + dt.timedelta(days=60)
    eq(c.srv.get("/healthz", now=iso(end)).status, 200)
    return end


def recorded_timelines(feed):
    tl = {}
    for ev in feed:
        tl.setdefault((ev["national_id"], ev["kind"]), []).append(ev)
    for key, evs in tl.items():
        for i, ev in enumerate(evs):
            want = "imposed" if i % 2 == 0 else "lifted"
            eq(ev["change"], want, "alternation for %r at %d" % (key, i))
            if i:
                check(parse(ev["at"]) >= parse(evs[i - 1]["at"]),
                      "changes of %r out of time order" % (key,))
    return tl


def recorded_state(evs, t):
    state = False
    for ev in evs:
        if parse(ev["at"]) <= t:
            state = ev["change"] == "imposed"
    return state


def check_person(c, clerk, pid, tl, samples, end):
    for t in samples:
        r = c.srv.get("/v1/persons/%s/status?at=%s" % (pid, iso(t)), token=clerk,
                      now=iso(end))
        eq(r.status, 200, "status")
        delivered = {s["id"]: s["delivered_at"] for s in r.json["summonses"]}
        pure = set()
        for res in r.json["restrictions"]:
            pure.add(res["kind"])
            d = delivered.get(res["basis"])
            check(d is not None and parse(d) <= t,
                  "restriction without delivery: %r at %s" % (res, iso(t)))
            check(parse(res["since"]) <= t, "restriction from the future")
        for k in KINDS:
            rec = recorded_state(tl.get((pid, k), []), t)
            eq(rec, k in pure, "%s %s at %s: record vs pure" % (pid, k, iso(t)))


def sample_instants(tl_person, rng, start, end):
    pts = set()
    for evs in tl_person:
        for ev in evs:
            t = parse(ev["at"])
            pts.update([t - dt.timedelta(seconds=1), t, t + dt.timedelta(seconds=1)])
    span = int((end - start).total_seconds())
    for _ in range(6):
        pts.add(start + dt.timedelta(seconds=rng.randint(0, span)))
    return sorted(p for p in pts if start <= p <= end)


def property_run(profile, seed):
    @with_ctx(profile=profile)
    def body(c):
        rng = random.Random(seed)
        for oid, tz in OFFICES:
            c.office(oid, tz, region=oid)
        clerk = c.token("clerk")
        persons = []
        for i in range(16):
            oid = OFFICES[i % len(OFFICES)][0]
            c.person("P-%04d" % i, office=oid, region=oid)
            persons.append(("P-%04d" % i, oid))
        end = simulate(c, rng, clerk, persons, 400)
        tl = recorded_timelines(feed_all(c.srv, c.admin))
        check(tl, "the random history imposed nothing: the test would prove nothing")
        start = dt.datetime(2026, 3, 1)
        for pid, _ in persons:
            mine = [v for (p, k), v in tl.items() if p == pid]
            check_person(c, clerk, pid, tl, sample_instants(mine, rng, start, end), end)
    body()


def test_record_equals_pure_ru2023():
    property_run("ru-2023", 20261122)


def test_record_equals_pure_ru2025():
    property_run("ru-2025", 7)


def test_record_equals_pure_generic():
    property_run("generic", 99)


if __name__ == "__main__":
    run(globals())
