"""The restriction feed end to end: order and completeness over a scripted
timeline on the test clock, cursors stable across a restart, kind scoping,
paging, long-poll wake-up, acks and lag.

The timeline (ru-2023, office MOW in Europe/Moscow, UTC+3). Every summons
is issued on 1 March 09:00Z with the report on 10 March 09:00Z (local date
10 March, so day 20 ends at 00:00 Moscow on 31 March = 30 March 21:00Z):

  A  never handed: deemed delivered at 00:00 Moscow on 9 March (7 days
     after publication by Rule D) -> exit; day 20 -> the six others;
     appeared 5 April -> all seven lift.
  B  handed 2 March -> exit; day 20 -> six; excused with a new report date
     on 2 April -> the six lift, exit stays; appeared 20 April -> exit lifts.
  C  handed 2 March -> exit; cancelled 3 March -> lifts.
  D  handed 2 March -> exit; excused without a new date 4 March -> lifts.
  E  appeared 5 March, before any delivery -> never in the feed.
"""
import http.client
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import Server, check, eq, run, with_ctx  # noqa: E402

KINDS = ["exit", "credit", "real_estate", "business_registration",
         "vehicle_registration", "driving", "foreign_passport"]
SIX = KINDS[1:]
ISSUE = "2026-03-01T09:00:00Z"
REPORT = "2026-03-10T09:00:00Z"
DEEMED = "2026-03-08T21:00:00Z"
DAY20 = "2026-03-30T21:00:00Z"
HANDED = "2026-03-02T10:00:00Z"


def make_token(c, role, **kw):
    body = {"role": role}
    body.update(kw)
    r = c.srv.post("/v1/tokens", body, token=c.admin)
    eq(r.status, 201, "token create %r: %r" % (body, r))
    return r.json["id"], r.json["token"]


def issue(c, clerk, nid, report=REPORT):
    r = c.srv.post("/v1/summonses", {"national_id": nid, "office": "MOW",
                                     "purpose": "medical_exam", "report_at": report},
                   token=clerk, now=ISSUE)
    eq(r.status, 201, "issue: %r" % r)
    return r.json["id"]


def event(c, clerk, sid, typ, at, **kw):
    body = {"type": typ, "at": at}
    body.update(kw)
    r = c.srv.post("/v1/summonses/%s/events" % sid, body, token=clerk, now=at)
    eq(r.status, 201, "event %s: %r" % (typ, r))


def tick(c, at):
    eq(c.srv.get("/healthz", now=at).status, 200, "clock to " + at)


def feed_all(srv, token, limit=1000, extra=""):
    out, after = [], 0
    while True:
        r = srv.get("/v1/feed/restrictions?after=%d&limit=%d%s" % (after, limit, extra),
                    token=token)
        eq(r.status, 200, "feed: %r" % r)
        out += r.json["events"]
        if not r.json["events"]:
            eq(r.json["next"], after, "an empty page keeps the cursor")
            return out
        eq(r.json["next"], r.json["events"][-1]["cursor"], "next is the last cursor")
        after = r.json["next"]


def timeline(c):
    c.office()
    clerk = c.token("clerk")
    for p in "ABCDE":
        c.person("FEED-000" + p)
    s = {p: issue(c, clerk, "FEED-000" + p) for p in "ABCDE"}
    for p in "BCD":
        event(c, clerk, s[p], "handed", HANDED)
    event(c, clerk, s["C"], "cancelled", "2026-03-03T10:00:00Z")
    event(c, clerk, s["D"], "excused", "2026-03-04T10:00:00Z")
    event(c, clerk, s["E"], "appeared", "2026-03-05T10:00:00Z")
    tick(c, "2026-03-09T00:00:00Z")                     # A deemed delivered
    tick(c, "2026-03-31T00:00:00Z")                     # day 20 for A and B
    event(c, clerk, s["B"], "excused", "2026-04-02T09:00:00Z",
          new_report_at="2026-04-20T09:00:00Z")
    event(c, clerk, s["A"], "appeared", "2026-04-05T09:00:00Z")
    event(c, clerk, s["B"], "appeared", "2026-04-20T10:00:00Z")
    tick(c, "2026-06-01T00:00:00Z")                     # nothing more falls due
    return clerk, s


def expected(s):
    """(national_id, kind, change, at, reference) of every change."""
    want = []
    a, b = "FEED-000A", "FEED-000B"
    want.append((a, "exit", "imposed", DEEMED, s["A"]))
    want.append((a, "exit", "lifted", "2026-04-05T09:00:00Z", s["A"]))
    want.append((b, "exit", "imposed", HANDED, s["B"]))
    want.append((b, "exit", "lifted", "2026-04-20T10:00:00Z", s["B"]))
    for k in SIX:
        want.append((a, k, "imposed", DAY20, s["A"]))
        want.append((a, k, "lifted", "2026-04-05T09:00:00Z", s["A"]))
        want.append((b, k, "imposed", DAY20, s["B"]))
        want.append((b, k, "lifted", "2026-04-02T09:00:00Z", s["B"]))
    for p, at in (("C", "2026-03-03T10:00:00Z"), ("D", "2026-03-04T10:00:00Z")):
        want.append(("FEED-000" + p, "exit", "imposed", HANDED, s[p]))
        want.append(("FEED-000" + p, "exit", "lifted", at, s[p]))
    return sorted(want)


def check_feed(events, s):
    key = [(e["national_id"], e["kind"], e["change"], e["at"], e["reference"])
           for e in events]
    eq(len(set(key)), len(key), "no duplicate changes")
    eq(sorted(key), expected(s), "exactly the changes of the timeline")
    cursors = [e["cursor"] for e in events]
    check(all(x < y for x, y in zip(cursors, cursors[1:])), "cursors strictly increase")
    ats = [e["at"] for e in events]
    check(ats == sorted(ats), "recorded in time order (each fact entered at its instant)")
    for e in events:
        eq(set(e), {"cursor", "national_id", "kind", "change", "at", "reference"},
           "feed event keys")
    per = {}
    for e in events:
        per.setdefault((e["national_id"], e["kind"]), []).append(e["change"])
    for k, changes in per.items():
        eq(changes, ["imposed", "lifted"],
           "every imposed change is followed by its lift %r" % (k,))


# ---- order and completeness ---------------------------------------------


@with_ctx()
def test_feed_over_a_scripted_timeline_survives_restart(c):
    clerk, s = timeline(c)
    full = feed_all(c.srv, c.admin)
    check_feed(full, s)
    eq(len(full), 32, "32 changes")
    # Paging: every page size gives the same sequence.
    for limit in (1, 2, 5, 7, 31):
        eq(feed_all(c.srv, c.admin, limit=limit), full, "pages of %d" % limit)
    mid = full[10]["cursor"]
    r = c.srv.get("/v1/feed/restrictions?after=%d&limit=3" % mid, token=c.admin)
    eq(r.json["events"], full[11:14], "after a cursor in the middle")
    eq(r.json["next"], full[13]["cursor"], "next")
    r = c.srv.get("/v1/feed/restrictions?after=%d" % full[-1]["cursor"], token=c.admin)
    eq((r.json["events"], r.json["next"]), ([], full[-1]["cursor"]), "at the end")
    r = c.srv.get("/v1/feed/restrictions", token=c.admin)
    eq(r.json["events"], full[:100], "after defaults to 0")
    for q in ("after=-1", "after=x", "limit=0", "limit=1001", "wait=61", "wait=-1",
              "kind=fishing"):
        r = c.srv.get("/v1/feed/restrictions?" + q, token=c.admin)
        eq(r.status, 400, q)
        eq(r.headers.get("content-type"), "application/problem+json", q)
    # Restart: the same record, the same cursors; a later clock adds nothing.
    eq(c.srv.stop(), 0, "SIGTERM")
    c.srv = Server(c.db)
    eq(feed_all(c.srv, c.admin), full, "identical after a restart")
    tick(c, "2026-09-01T00:00:00Z")
    time.sleep(1.2)                                    # a scheduler pass
    eq(feed_all(c.srv, c.admin), full, "identical after the clock moved on")


@with_ctx()
def test_agency_tokens_see_only_their_kind(c):
    clerk, s = timeline(c)
    full = feed_all(c.srv, c.admin)
    for k in KINDS:
        _, tok = make_token(c, "agency", agency=k)
        mine = feed_all(c.srv, tok)
        eq(mine, [e for e in full if e["kind"] == k], "the %s token's feed" % k)
        eq(len(mine), 8 if k == "exit" else 4, "count for " + k)
        eq(feed_all(c.srv, tok, limit=1), mine, "paged one by one: " + k)
        # An agency cannot widen its view with ?kind=.
        other = "credit" if k == "exit" else "exit"
        eq(feed_all(c.srv, tok, extra="&kind=" + other), mine, "kind= ignored for " + k)
        eq(feed_all(c.srv, c.admin, extra="&kind=" + k), mine, "admin ?kind=" + k)
    for role in ("clerk", "commissar", "medical_board", "auditor", "channel"):
        _, tok = make_token(c, role)
        eq(c.srv.get("/v1/feed/restrictions", token=tok).status, 403, role)
    _, tok = make_token(c, "citizen", person="FEED-000A")
    eq(c.srv.get("/v1/feed/restrictions", token=tok).status, 403, "citizen")
    eq(c.srv.get("/v1/feed/restrictions").status, 401, "no token")


# ---- long-poll ------------------------------------------------------------


class Poll(threading.Thread):
    """A GET on its own connection, timed."""

    def __init__(self, port, path, token):
        super().__init__(daemon=True)
        self.port, self.path, self.token = port, path, token
        self.status = self.body = None
        self.t0 = self.t1 = None

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        self.t0 = time.monotonic()
        conn.request("GET", self.path, headers={"Authorization": "Bearer " + self.token})
        r = conn.getresponse()
        self.body = json.loads(r.read())
        self.status = r.status
        self.t1 = time.monotonic()
        conn.close()


def waiting(c):
    r = c.srv.get("/metrics", token=c.admin)
    for line in r.raw.splitlines():
        if line.startswith("muster_feed_waiting "):
            return int(line.split()[1])
    raise AssertionError("no muster_feed_waiting in /metrics")


def until_waiting(c, n):
    for _ in range(200):
        if waiting(c) == n:
            return
        time.sleep(0.02)
    raise AssertionError("%d long-polls never parked" % n)


@with_ctx()
def test_long_poll_wakes_on_a_lift_and_times_out_empty(c):
    c.office()
    clerk = c.token("clerk")
    _, ex = make_token(c, "agency", agency="exit")
    _, cr = make_token(c, "agency", agency="credit")
    c.person("POLL-0001")
    c.person("POLL-0002")
    sid = issue(c, clerk, "POLL-0001")
    sid2 = issue(c, clerk, "POLL-0002")
    event(c, clerk, sid, "handed", HANDED)
    event(c, clerk, sid2, "handed", HANDED)
    tick(c, "2026-03-31T00:00:00Z")                     # day 20 for both
    head = feed_all(c.srv, ex)[-1]["cursor"]
    chead = feed_all(c.srv, cr)[-1]["cursor"]
    # 1. Nothing happens: an empty answer once the wait is over.
    p = Poll(c.srv.port, "/v1/feed/restrictions?after=%d&wait=2" % head, ex)
    p.start()
    p.join(30)
    eq((p.status, p.body), (200, {"events": [], "next": head}), "empty after the wait")
    # Load only lengthens it: the lower bound cannot flake, the upper is generous.
    check(1.9 <= p.t1 - p.t0 < 15, "waited about 2 s: %.2f s" % (p.t1 - p.t0))
    # 2. A change of another kind wakes nobody's exit poll for good: the
    # exit poll keeps waiting while the credit poll answers at once.
    pe = Poll(c.srv.port, "/v1/feed/restrictions?after=%d&wait=3" % head, ex)
    pc = Poll(c.srv.port, "/v1/feed/restrictions?after=%d&wait=10" % chead, cr)
    pe.start()
    pc.start()
    until_waiting(c, 2)
    t = time.monotonic()
    event(c, clerk, sid2, "excused", "2026-04-02T09:00:00Z",
          new_report_at="2026-04-20T09:00:00Z")         # lifts the six, not exit
    pc.join(30)
    eq(pc.status, 200, "credit poll")
    eq([(e["national_id"], e["change"]) for e in pc.body["events"]],
       [("POLL-0002", "lifted")], "the credit lift")
    check(pc.t1 - t < 3, "credit poll woke in %.2f s" % (pc.t1 - t))
    pe.join(30)
    eq(pe.body, {"events": [], "next": head}, "exit poll: nothing of its kind")
    check(pe.t1 - pe.t0 >= 2.9, "exit poll kept waiting: %.2f s" % (pe.t1 - pe.t0))
    # 3. A lift by `appeared` reaches a waiting agency within a second or two,
    # and the check answers permitted at once.
    p = Poll(c.srv.port, "/v1/feed/restrictions?after=%d&wait=10" % head, ex)
    p.start()
    until_waiting(c, 1)
    t = time.monotonic()
    event(c, clerk, sid, "appeared", "2026-04-03T09:00:00Z")
    r = c.srv.get("/v1/checks/exit/POLL-0001", token=ex, now="2026-04-03T09:00:00Z")
    eq(r.json, {"permitted": True}, "permitted at once after appeared")
    p.join(30)
    eq(p.status, 200, "woken poll")
    eq([(e["national_id"], e["kind"], e["change"], e["at"]) for e in p.body["events"]],
       [("POLL-0001", "exit", "lifted", "2026-04-03T09:00:00Z")], "the lift")
    eq(p.body["next"], p.body["events"][0]["cursor"], "next")
    woke = p.t1 - t
    print("     long-poll woke %.3f s after the lift" % woke)
    check(woke < 2.5, "the waiting agency learned of the lift in %.2f s" % woke)
    check(p.t1 - p.t0 < 9, "well before the 10 s wait ran out")
    # 4. A time-driven change (deemed delivery) wakes a waiting agency when
    # it falls due: here when the test clock passes it.
    c.person("POLL-0003")
    r = c.srv.post("/v1/summonses", {"national_id": "POLL-0003", "office": "MOW",
                                     "purpose": "medical_exam",
                                     "report_at": "2026-04-20T09:00:00Z"},
                   token=clerk, now="2026-04-04T09:00:00Z")
    eq(r.status, 201, "issue")
    head = p.body["next"]
    p = Poll(c.srv.port, "/v1/feed/restrictions?after=%d&wait=10" % head, ex)
    p.start()
    until_waiting(c, 1)
    t = time.monotonic()
    tick(c, "2026-04-12T00:00:00Z")                     # 00:00 Moscow on 12 April
    p.join(30)
    eq([(e["national_id"], e["change"], e["at"], e["reference"]) for e in p.body["events"]],
       [("POLL-0003", "imposed", "2026-04-11T21:00:00Z", r.json["id"])], "deemed delivery")
    check(p.t1 - t < 2.5, "woke %.2f s after the clock passed it" % (p.t1 - t))
    # 5. A poll already behind answers at once, without waiting.
    t = time.monotonic()
    r = c.srv.get("/v1/feed/restrictions?after=0&wait=30", token=ex)
    check(r.json["events"] and time.monotonic() - t < 5, "no wait when behind")
    eq(waiting(c), 0, "nobody left waiting")


@with_ctx()
def test_shutdown_answers_waiting_polls(c):
    c.office()
    _, ex = make_token(c, "agency", agency="exit")
    p = Poll(c.srv.port, "/v1/feed/restrictions?after=0&wait=60", ex)
    p.start()
    until_waiting(c, 1)
    t = time.monotonic()
    eq(c.srv.stop(), 0, "SIGTERM with a poll waiting")
    p.join(30)
    eq((p.status, p.body), (200, {"events": [], "next": 0}), "answered empty")
    check(p.t1 - t < 10, "answered during the drain")
    c.srv = None


# ---- acks and lag -------------------------------------------------------------


def lag_of(c, tid):
    r = c.srv.get("/v1/feed/lag", token=c.admin)
    eq(r.status, 200, "lag: %r" % r)
    rows = [a for a in r.json["agencies"] if a["token_id"] == tid]
    eq(len(rows), 1, "one lag row for %s" % tid)
    return rows[0]


def metric_lag(c, tid, kind):
    r = c.srv.get("/metrics", token=c.admin)
    eq(r.status, 200, "metrics")
    check(r.headers["content-type"].startswith("text/plain"), "prometheus text")
    want = 'muster_feed_lag_changes{token="%s",kind="%s"} ' % (tid, kind)
    for line in r.raw.splitlines():
        if line.startswith(want):
            return int(line[len(want):])
    raise AssertionError("no %s in /metrics:\n%s" % (want, r.raw))


@with_ctx()
def test_ack_and_lag(c):
    clerk, s = timeline(c)
    ex_id, ex = make_token(c, "agency", agency="exit", label="border")
    cr_id, cr = make_token(c, "agency", agency="credit", label="bank")
    exits = feed_all(c.srv, ex)
    credits = feed_all(c.srv, cr)
    row = lag_of(c, ex_id)
    eq((row["kind"], row["label"], row["acked_cursor"], row["acked_at"]),
       ("exit", "border", 0, None), "never acked")
    eq((row["behind"], row["latest_cursor"]), (8, exits[-1]["cursor"]), "behind by 8")
    check(row["lag_seconds"] > 0, "a lag in seconds while behind")
    eq(metric_lag(c, ex_id, "exit"), 8, "metric before ack")
    eq(metric_lag(c, cr_id, "credit"), 4, "credit metric")
    # Ack half way, then all: behind drops to 0 for exit only.
    r = c.srv.post("/v1/feed/restrictions/ack", {"cursor": exits[3]["cursor"]}, token=ex)
    eq((r.status, r.json), (200, {"acked": exits[3]["cursor"]}), "ack")
    eq(lag_of(c, ex_id)["behind"], 4, "behind by 4")
    eq(metric_lag(c, ex_id, "exit"), 4, "metric half way")
    r = c.srv.post("/v1/feed/restrictions/ack", {"cursor": exits[-1]["cursor"]}, token=ex)
    eq(r.status, 200, "ack latest")
    row = lag_of(c, ex_id)
    eq((row["behind"], row["acked_cursor"], row["lag_seconds"]),
       (0, exits[-1]["cursor"], 0), "caught up")
    check(row["acked_at"] is not None, "acked_at set")
    eq(metric_lag(c, ex_id, "exit"), 0, "metric after ack")
    eq(metric_lag(c, cr_id, "credit"), 4, "the bank still lags")
    # An ack never moves back.
    r = c.srv.post("/v1/feed/restrictions/ack", {"cursor": exits[0]["cursor"]}, token=ex)
    eq(r.status, 200, "older ack")
    eq(lag_of(c, ex_id)["acked_cursor"], exits[-1]["cursor"], "ack kept at the max")
    # The bank acks the global head (a cursor of another kind is fine).
    r = c.srv.post("/v1/feed/restrictions/ack",
                   {"cursor": max(exits[-1]["cursor"], credits[-1]["cursor"])}, token=cr)
    eq(lag_of(c, cr_id)["behind"], 0, "bank caught up")
    # A new change puts the border service behind again.
    c.person("FEED-000F")
    sid = issue(c, clerk, "FEED-000F", report="2026-06-20T09:00:00Z")
    event(c, clerk, sid, "handed", "2026-06-02T09:00:00Z")
    eq(lag_of(c, ex_id)["behind"], 1, "one new exit change")
    eq(metric_lag(c, ex_id, "exit"), 1, "metric shows it")
    eq(lag_of(c, cr_id)["behind"], 0, "no credit change")
    # Bad acks.
    for body in ({"cursor": -1}, {"cursor": "5"}, {}, {"cursor": 1.5}):
        r = c.srv.post("/v1/feed/restrictions/ack", body, token=ex)
        eq(r.status, 400, "bad ack %r" % (body,))
    r = c.srv.post("/v1/feed/restrictions/ack", {"cursor": 10 ** 9}, token=ex)
    eq(r.status, 400, "an ack beyond the newest change would hide a stale bar")
    eq(lag_of(c, ex_id)["behind"], 1, "still behind by one")
    eq(c.srv.post("/v1/feed/restrictions/ack", {"cursor": 1}, token=c.admin).status,
       403, "admin does not ack")
    _, clerk_tok = make_token(c, "clerk")
    eq(c.srv.get("/v1/feed/lag", token=clerk_tok).status, 403, "lag is for admin")
    eq(c.srv.get("/metrics", token=ex).status, 403, "metrics are for admin")
    eq(c.srv.get("/metrics").status, 401, "metrics need a token")
    # Acks survive a restart.
    eq(c.srv.stop(), 0, "SIGTERM")
    c.srv = Server(c.db)
    eq(lag_of(c, ex_id)["acked_cursor"], exits[-1]["cursor"], "ack persisted")


@with_ctx()
def test_a_test_clock_set_back_reads_the_feed_as_it_was(c):
    """Under --test-clock one request may name an instant earlier than a
    request before it (tests sharing a server). The scheduler has by then
    materialised changes up to the later instant; a feed read ends before
    the first change dated after its own instant."""
    c.office("MOW", "Europe/Moscow")
    clerk = c.token("clerk")
    _, tok = make_token(c, "agency", agency="exit")
    c.person("TC-0001")
    c.srv.get("/healthz", now="2026-10-01T00:00:00Z")   # an earlier test's clock
    sid = issue(c, clerk, "TC-0001")                     # at ISSUE, 1 March

    def feed(now):
        return [(e["change"], e["at"], e["reference"]) for e in
                c.srv.get("/v1/feed/restrictions", token=tok, now=now).json["events"]]
    # the scheduler (working from 1 October) materialises the deemed
    # delivery in the background: wait until the feed, read without the
    # header, holds it
    deadline = time.time() + 30
    while not c.srv.get("/v1/feed/restrictions", token=tok).json["events"]:
        check(time.time() < deadline, "the scheduler never applied the deemed delivery")
        time.sleep(0.1)
    eq(feed("2026-03-01T10:00:00Z"), [], "nothing was known on 1 March")
    page = c.srv.get("/v1/feed/restrictions?wait=1", token=tok,
                     now="2026-03-08T20:59:59Z").json
    eq((page["events"], page["next"]), ([], 0), "a second before the deemed delivery")
    eq(feed(DEEMED), [("imposed", DEEMED, sid)], "at the deemed delivery")
    eq(feed("2026-10-01T00:00:00Z")[:1], [("imposed", DEEMED, sid)], "and later")


if __name__ == "__main__":
    run(globals())
