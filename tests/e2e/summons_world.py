"""summons_world.py: shared vocabulary of the summons end-to-end tests
(test_summons*.py). Not a test file itself.

A World is a Ctx (real binary, real register, --test-clock) with an office
in Asia/Vladivostok (UTC+10 all year, the LEGAL_RULES.md example), a clerk
token and an agency token per check kind. Its methods issue summonses,
record events, move the test clock and read status and the feed; every
call asserts the HTTP status it expects, so a test reads as the timeline
it walks.

The instants of the LEGAL_RULES.md example, worked by hand (Rule D: an
N-day period from an event on local date D expires at 00:00 local time on
D + N + 1):

  issued/published  2026-03-02T22:30:00Z = 3 March 08:30 Vladivostok
  deemed delivery   00:00 on 11 March Vladivostok = 2026-03-10T14:00:00Z
  report time       20 March 09:00 Vladivostok    = 2026-03-19T23:00:00Z
  day 20            00:00 on 10 April Vladivostok = 2026-04-09T14:00:00Z
"""
import datetime as dt
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lib import Ctx, check, eq  # noqa: E402

KINDS = ["exit", "credit", "real_estate", "business_registration",
         "vehicle_registration", "driving", "foreign_passport"]
SIX = KINDS[1:]

ZONE = "Asia/Vladivostok"
OFFICE = "VVO"
OFFICE_NAME = "Vladivostok city office"
ISSUE = "2026-03-02T22:30:00Z"
REPORT = "2026-03-20T09:00:00+10:00"
REPORT_Z = "2026-03-19T23:00:00Z"
DEEMED = "2026-03-10T14:00:00Z"
DAY20 = "2026-04-09T14:00:00Z"


def parse(s):
    """RFC 3339 (Z or offset) -> aware datetime."""
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def iso(t):
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def shift(s, **delta):
    """The instant s moved by a timedelta, as UTC Z."""
    return iso(parse(s) + dt.timedelta(**delta))


def before(s):
    """One second before s."""
    return shift(s, seconds=-1)


def problem(r, status, field, what):
    """r is an RFC 9457 problem with this status naming this field."""
    eq(r.status, status, "%s: status (%r)" % (what, r))
    check(r.headers.get("content-type", "").startswith("application/problem+json"),
          "%s: content type %r" % (what, r.headers.get("content-type")))
    for key in ("type", "title", "status", "detail"):
        check(key in r.json, "%s: problem without %s: %r" % (what, key, r.json))
    eq(r.json["status"], status, what + ": status member")
    eq(r.json.get("field"), field, what + ": field named (%r)" % r.json)
    check(len(r.json["detail"]) > 10, what + ": detail says something")
    return r.json


class World:
    def __init__(self, c):
        self.c = c
        self.clock = None
        c.office(OFFICE, ZONE, region="Primorye", name=OFFICE_NAME)
        self.clerk = c.token("clerk")
        self.agency = {}

    @property
    def srv(self):
        return self.c.srv  # follows a restart

    # ---- the clock ----

    def at(self, t):
        """Move the test clock to t (it never goes back): the server then
        materialises the time-driven changes that fell due by t."""
        if self.clock is None or parse(t) > parse(self.clock):
            self.clock = t
        eq(self.srv.get("/healthz", now=self.clock).status, 200, "clock to " + t)

    def now(self):
        return self.clock or ISSUE

    # ---- register ----

    def person(self, nid, **kw):
        return self.c.person(nid, office=OFFICE, region="Primorye", **kw)

    def issue(self, nid, report=REPORT, at=ISSUE, purpose="medical_exam"):
        self.at(at)
        r = self.srv.post("/v1/summonses", {"national_id": nid, "office": OFFICE,
                                            "purpose": purpose, "report_at": report},
                          token=self.clerk, now=at)
        eq(r.status, 201, "issue for %s: %r" % (nid, r))
        eq(r.json["issued_at"], iso(parse(at)), "issued at the clock's instant")
        return r.json["id"]

    def event_raw(self, sid, typ, at, now=None, **kw):
        """POST an event; the request's clock is `now` (moved forward to),
        else the current clock."""
        body = {"type": typ, "at": at}
        body.update(kw)
        if now:
            self.at(now)
        return self.srv.post("/v1/summonses/%s/events" % sid, body, token=self.clerk,
                             now=self.now())

    def event(self, sid, typ, at, now=None, **kw):
        """Record an event, expecting 201; the clock moves to `now`
        (default: the event's own instant, when later than the clock)."""
        r = self.event_raw(sid, typ, at, now=now or max_t(at, self.now()), **kw)
        eq(r.status, 201, "event %s at %s: %r" % (typ, at, r))
        return r.json

    def summons(self, sid, at=None):
        q = "?at=" + at if at else ""
        r = self.srv.get("/v1/summonses/%s%s" % (sid, q), token=self.clerk, now=self.now())
        eq(r.status, 200, "summons %s: %r" % (sid, r))
        return r.json

    # ---- status ----

    def status(self, nid, at):
        r = self.srv.get("/v1/persons/%s/status?at=%s" % (nid, at), token=self.clerk,
                         now=self.now())
        eq(r.status, 200, "status %s at %s: %r" % (nid, at, r))
        eq(r.json["at"], iso(parse(at)), "status echoes its instant")
        return r.json

    def kinds(self, nid, at):
        """{kind: since} of the restrictions in force at `at`."""
        out = {}
        for res in self.status(nid, at)["restrictions"]:
            out.setdefault(res["kind"], res["since"])
        return out

    def expect(self, nid, at, kinds, since=None, what=""):
        """Exactly `kinds` are in force at `at`; `since` is a dict
        kind -> instant or one instant for all."""
        got = self.kinds(nid, at)
        eq(sorted(got), sorted(kinds), "%s: kinds in force for %s at %s" % (what, nid, at))
        if since is not None:
            for k in kinds:
                want = since[k] if isinstance(since, dict) else since
                eq(got[k], want, "%s: %s since, at %s" % (what, k, at))

    def sharp(self, nid, t, before_kinds, after_kinds, what=""):
        """The set of kinds changes exactly at t: one second earlier it is
        before_kinds, at t it is after_kinds."""
        self.expect(nid, before(t), before_kinds, what=what + " (1 s before)")
        self.expect(nid, t, after_kinds, what=what + " (at the instant)")

    def one(self, nid, at, sid=None):
        """The summons document (from status) of nid's only or named summons."""
        sums = self.status(nid, at)["summonses"]
        if sid is None:
            eq(len(sums), 1, "one summons")
            return sums[0]
        return [s for s in sums if s["id"] == sid][0]

    # ---- agencies ----

    def check_kind(self, kind, nid, now):
        if kind not in self.agency:
            self.agency[kind] = self.c.token("agency", agency=kind)
        self.at(now)
        r = self.srv.get("/v1/checks/%s/%s" % (kind, nid), token=self.agency[kind],
                         now=self.clock)
        eq(r.status, 200, "check %s %s: %r" % (kind, nid, r))
        return r.json

    def feed(self, nid=None):
        """Every change in the feed (admin view), in cursor order; only
        nid's when given."""
        out, after = [], 0
        while True:
            r = self.srv.get("/v1/feed/restrictions?after=%d&limit=1000" % after,
                             token=self.c.admin, now=self.now())
            eq(r.status, 200, "feed: %r" % r)
            out += r.json["events"]
            if r.json["next"] == after or not r.json["events"]:
                break
            after = r.json["next"]
        return [e for e in out if nid is None or e["national_id"] == nid]

    def changes(self, nid):
        """nid's feed as (kind, change, at) triples, in cursor order."""
        return [(e["kind"], e["change"], e["at"]) for e in self.feed(nid)]


def max_t(a, b):
    return a if parse(a) >= parse(b) else b


def changes_of(kinds, change, at):
    return [(k, change, at) for k in kinds]


def same_changes(got, want, what):
    """The same changes, whatever their order among equal instants."""
    eq(sorted(got, key=lambda c: (parse(c[2]), c)),
       sorted(want, key=lambda c: (parse(c[2]), c)), what)


def world(profile="ru-2023", **kw):
    """A fresh Ctx and World (the caller closes c)."""
    c = Ctx(profile=profile, **kw)
    return c, World(c)


def in_world(profile="ru-2023"):
    """Decorator: run the test on a World of a fresh register with the
    profile; close it (the server must exit 0, sanitizer-clean), and show
    the server's log when the test fails."""
    def deco(fn):
        def wrapper():
            c, w = world(profile)
            try:
                fn(w)
            except Exception:
                try:
                    c.close()
                finally:
                    sys.stderr.write("--- server log (tail) ---\n" + c.srv.log()[-3000:])
                raise
            c.close()
        wrapper.__name__ = fn.__name__
        return wrapper
    return deco
