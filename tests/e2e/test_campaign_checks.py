"""Agency checks while a campaign is approved (issue 6: checks must never
wait on the issuing transaction).

The approval is one long write transaction. The reads answered meanwhile
are audited by group commit, which cannot commit while that transaction
holds the writer; the issuing adopts them into its own transaction
instead (store/sqlite.c sq_audit_adopt), so the read-audit queue does not
fill and the checks are not refused with 503. Every answered check must
still be audited exactly once, and the log must verify.
"""
import datetime as dt
import http.client
import json
import os
import sqlite3
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from lib import Ctx, check, eq, run, run_cli  # noqa: E402

PERSONS = 20000
TODAY = dt.datetime.now(dt.timezone.utc)
FROM = (TODAY + dt.timedelta(days=3)).strftime("%Y-%m-%dT00:00:00Z")
TO = (TODAY + dt.timedelta(days=60)).strftime("%Y-%m-%dT00:00:00Z")


def import_persons(c, n=PERSONS):
    rows = ["national_id,family_name,given_name,patronymic,birth_date,sex,region,office,"
            "address,phone,email,fitness"]
    for i in range(n):
        rows.append("CC-%06d,Петров,Пётр,Петрович,2004-%02d-%02d,M,Moscow,MOW,"
                    "\"Москва, ул. Мира, 1\",+79990000000,p%d@example.ru,A"
                    % (i, 1 + i % 12, 1 + i % 28, i))
    path = os.path.join(c.dir, "persons.csv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    code, out, err = run_cli("import", "persons", "--db", c.db, path)
    eq(code, 0, "import: " + err)


def checker(port, token, stop, statuses, k):
    """Keep-alive checks of random persons until stop is set."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    i = k
    while not stop.is_set():
        con.request("GET", "/v1/checks/exit/CC-%06d" % (i % PERSONS),
                    headers={"Authorization": "Bearer " + token})
        r = con.getresponse()
        r.read()
        statuses.append((r.status, stop.is_set()))
        i += 7919
    con.close()


def approve_under_checks(fail=False):
    """Draft a campaign of PERSONS and approve it while 4 connections ask
    checks; returns (ctx, campaign id, approval response, statuses)."""
    # a read-audit queue of 256 (5 ms of these checks at most): without
    # adoption it is full soon after the approval starts, and every later
    # check is refused with 503 until the campaign commits
    if fail:
        os.environ["MUSTER_STORE_FAIL"] = "campaign_issue_midway"
    try:
        c = Ctx(test_clock=False, extra=("--audit-queue", "256", "--threads", "4"))
    finally:
        os.environ.pop("MUSTER_STORE_FAIL", None)
    r = c.srv.post("/v1/offices", {"id": "MOW", "name": "Moscow", "region": "Moscow",
                                   "timezone": "Europe/Moscow", "daily_capacity": 100000},
                   token=c.admin)
    eq(r.status, 201, "office: %r" % r)
    import_persons(c)
    commissar = c.token("commissar")
    agency = c.token("agency", agency="exit")
    r = c.srv.post("/v1/campaigns", {
        "name": "Autumn", "legal_basis": "Decree 7", "purpose": "training",
        "report_from": FROM, "report_to": TO, "quota": PERSONS,
        "criteria": {"born_from": "2004-01-01", "born_to": "2004-12-31"}},
        token=c.admin)
    eq(r.status, 201, "draft: %r" % r)
    cid = r.json["id"]
    check(r.json["selected"] > PERSONS // 2, "a large selection: %r" % r.json["selected"])
    stop = threading.Event()
    lists = [[] for _ in range(4)]
    threads = [threading.Thread(target=checker, args=(c.srv.port, agency, stop, lists[k], k))
               for k in range(4)]
    for t in threads:
        t.start()
    r = c.srv.post("/v1/campaigns/%s/approve" % cid, {}, token=commissar)
    stop.set()
    for t in threads:
        t.join()
    return c, cid, r, [s for lst in lists for s in lst]


def audited_after_stop(c, cid):
    """Stop the server (a clean stop commits the queue); the number of
    check entries and of the campaign's summonses; the log must verify."""
    eq(c.srv.stop(), 0, "server stops")
    c.srv = None
    con = sqlite3.connect(c.db)
    audited = con.execute("SELECT count(*) FROM audit_log WHERE action = 'check'").fetchone()[0]
    summonses = con.execute("SELECT count(*) FROM summonses WHERE campaign = ?",
                            (cid,)).fetchone()[0]
    con.close()
    code, out, err = run_cli("audit", "verify", "--db", c.db)
    eq(code, 0, "the log verifies: " + out + err)
    return audited, summonses


def test_checks_are_answered_and_audited_during_an_approval():
    c, cid, r, statuses = approve_under_checks()
    try:
        eq(r.status, 200, "approve: %r" % r)
        during = [s for s, after in statuses if not after]
        refused = sum(1 for s in during if s == 503)
        answered = sum(1 for s, _ in statuses if s == 200)
        check(len(during) >= 50, "checks were asked during the approval: %d" % len(during))
        check(refused * 10 <= len(during),
              "at most a tenth refused while the campaign was issued: %d of %d"
              % (refused, len(during)))
        eq(set(s for s, _ in statuses) - {200, 503}, set(), "only answers or refusals")
        audited, summonses = audited_after_stop(c, cid)
        eq(audited, answered, "every answered check audited once")
        eq(summonses, r.json["issued"], "the campaign issued")
    finally:
        c.close()


def test_checks_answered_during_a_failed_approval_are_audited():
    """The approval fails half way and rolls back: the reads it had adopted
    go back to the queue and are committed after all."""
    c, cid, r, statuses = approve_under_checks(fail=True)
    try:
        eq(r.status, 500, "the approval fails: %r" % r)
        answered = sum(1 for s, _ in statuses if s == 200)
        check(answered > 0, "checks were answered")
        audited, summonses = audited_after_stop(c, cid)
        eq(summonses, 0, "all or nothing: no summons")
        eq(audited, answered, "every answered check audited once, none lost with the rollback")
    finally:
        c.close()


def test_report_and_cancel_of_a_large_campaign():
    """20,000 summonses: the report reads them a page (4,096) at a time,
    the members list pages through the selection, and the cancellation
    writes them 256 to a transaction; every one counted, listed once and
    cancelled."""
    c, cid, r, statuses = approve_under_checks()
    try:
        eq(r.status, 200, "approve: %r" % r)
        issued = r.json["issued"]
        check(issued > 3 * 4096, "more summonses than three pages: %d" % issued)
        rep = c.srv.get("/v1/campaigns/" + cid, token=c.admin)
        eq(rep.status, 200, "report: %r" % rep)
        counts = rep.json["counts"]
        eq(sum(counts["by_state"].values()), issued, "by state: %r" % counts["by_state"])
        eq(sum(counts["by_office"].values()), issued, "by office")
        eq(sum(counts["by_channel"].values()), issued, "by channel")
        # the selection page by page: every member once, in order, the same total
        seen, off = [], 0
        while True:
            p = c.srv.get("/v1/campaigns/%s/members?offset=%d&limit=1000" % (cid, off),
                          token=c.admin)
            eq(p.status, 200, "members page at %d: %r" % (off, p))
            if not p.json["members"]:
                break
            seen += [m["national_id"] for m in p.json["members"]]
            off += len(p.json["members"])
        total = p.json["total"]
        eq(len(seen), total, "pages cover the selection")
        eq(len(set(seen)), total, "no member twice")
        check(total >= issued, "the selection holds the issued: %d, %d" % (total, issued))
        one = c.srv.get("/v1/campaigns/%s/members?offset=%d&limit=3" % (cid, total - 2),
                        token=c.admin).json
        eq([m["national_id"] for m in one["members"]], seen[-2:], "a page at the end")
        commissar = c.token("commissar")
        r = c.srv.post("/v1/campaigns/%s/cancel" % cid, {"reason": "decree withdrawn"},
                       token=commissar)
        eq(r.status, 200, "cancel: %r" % r)
        eq(r.json["summonses_cancelled"], issued, "every summons cancelled")
        rep = c.srv.get("/v1/campaigns/" + cid, token=c.admin)
        eq(rep.json["counts"]["by_state"]["cancelled"], issued, "the report says so")
        con = sqlite3.connect(c.db)
        n = con.execute("SELECT count(*) FROM summons_events e JOIN summonses s"
                        " ON s.id = e.summons_id WHERE s.campaign = ? AND e.type = 'cancelled'",
                        (cid,)).fetchone()[0]
        con.close()
        eq(n, issued, "one cancelled event each")
        eq(c.srv.stop(), 0, "server stops")
        c.srv = None
        code, out, err = run_cli("audit", "verify", "--db", c.db)
        eq(code, 0, "the log verifies: " + out + err)
    finally:
        c.close()


def test_checks_are_not_refused_while_the_approval_commits():
    """Between its batches the issuing takes the queued read audits into
    its transaction; while it commits nothing can take them. During an
    approval the queue may hold 8 times its bound (--audit-queue 64: 512),
    so the checks answered meanwhile wait for the commit in memory instead
    of being refused; past that room they are refused (503) as always. The
    approval is held before its commit (a test hook) while the checks are
    asked."""
    os.environ["MUSTER_STORE_FAIL"] = "campaign_issue_hold"
    try:
        c = Ctx(test_clock=False, extra=("--audit-queue", "64"))
    finally:
        os.environ.pop("MUSTER_STORE_FAIL", None)
    hold, held = c.db + "-hold", c.db + "-held"
    try:
        r = c.srv.post("/v1/offices", {"id": "MOW", "name": "Moscow", "region": "Moscow",
                                       "timezone": "Europe/Moscow", "daily_capacity": 1000},
                       token=c.admin)
        eq(r.status, 201, "office: %r" % r)
        import_persons(c, 300)
        commissar = c.token("commissar")
        agency = c.token("agency", agency="exit")
        r = c.srv.post("/v1/campaigns", {
            "name": "Autumn", "legal_basis": "Decree 7", "purpose": "training",
            "report_from": FROM, "report_to": TO, "quota": 300,
            "criteria": {"born_from": "2004-01-01", "born_to": "2004-12-31"}},
            token=c.admin)
        eq(r.status, 201, "draft: %r" % r)
        cid = r.json["id"]
        open(hold, "w").close()
        result = {}

        def approve():
            # its own connection, no retry: the hold may last
            try:
                ac = http.client.HTTPConnection("127.0.0.1", c.srv.port, timeout=300)
                ac.request("POST", "/v1/campaigns/%s/approve" % cid, body=b"{}",
                           headers={"Authorization": "Bearer " + commissar,
                                    "Content-Type": "application/json"})
                ar = ac.getresponse()
                result["status"], result["body"] = ar.status, json.loads(ar.read())
                ac.close()
            except Exception as e:  # noqa: BLE001 (reported below)
                result["error"] = repr(e)
        t = threading.Thread(target=approve)
        t.start()
        for _ in range(3000):
            if os.path.exists(held):
                break
            threading.Event().wait(0.01)
        check(os.path.exists(held), "the approval reached its commit")
        con = http.client.HTTPConnection("127.0.0.1", c.srv.port, timeout=60)
        statuses = []
        for i in range(700):
            con.request("GET", "/v1/checks/exit/CC-%06d" % (i % 300),
                        headers={"Authorization": "Bearer " + agency})
            rr = con.getresponse()
            rr.read()
            statuses.append(rr.status)
        answered = statuses.index(503) if 503 in statuses else len(statuses)
        eq(answered, 8 * 64, "checks answered while the approval commits, before a refusal")
        eq(set(statuses[answered:]), {503}, "past the room: refused, never unaudited")
        os.unlink(hold)
        t.join()
        eq(result.get("error"), None, "the approval request")
        eq(result["status"], 200, "approve: %r" % result.get("body"))
        eq(result["body"]["issued"], 300, "issued")
        # the writer commits the queue right after the campaign: a check
        # may be refused a moment longer, not more
        for _ in range(500):
            con.request("GET", "/v1/checks/exit/CC-000001",
                        headers={"Authorization": "Bearer " + agency})
            rr = con.getresponse()
            body = rr.read()
            if rr.status != 503:
                break
            threading.Event().wait(0.01)
        eq(rr.status, 200, "after the commit the queue drains: %s" % body)
        con.close()
        audited, summonses = audited_after_stop(c, cid)
        eq(audited, answered + 1, "every answered check audited once")
        eq(summonses, 300, "the campaign issued")
    finally:
        if os.path.exists(hold):
            os.unlink(hold)
        c.close()


if __name__ == "__main__":
    run(globals())
