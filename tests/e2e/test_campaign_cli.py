"""`muster campaign` end to end: the command line drafts, shows, approves
and cancels campaigns on the same register a running server serves, under
the same roles, and --json prints exactly what the API answers.

The server runs on the real clock (no --test-clock): the command line has
no test clock, so both sides must agree on what "now" is. Report windows
are therefore dates a few days from today."""
import datetime as dt
import json
import os
import pty
import select
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lib import BIN, Ctx, assert_clean, check, eq, run, run_cli, with_ctx  # noqa: E402

TODAY = dt.datetime.now(dt.timezone.utc)
FROM = (TODAY + dt.timedelta(days=3)).strftime("%Y-%m-%dT00:00:00Z")
TO = (TODAY + dt.timedelta(days=40)).strftime("%Y-%m-%dT00:00:00Z")


def cli(c, *args, token=None):
    """muster campaign ARGS on c's register as the officer of `token`."""
    return run_cli("campaign", args[0], "--db", c.db, "--token", token or c.admin, *args[1:])


def world(c, persons=12):
    """Two offices, `persons` persons born in 2005, a commissar."""
    c.office("KGD", "Europe/Kaliningrad", "West")
    c.office("PKC", "Asia/Kamchatka", "East")
    for i in range(persons):
        off = "KGD" if i % 2 == 0 else "PKC"
        c.person("CLI-%04d" % i, office=off, region="West" if off == "KGD" else "East",
                 birth_date="2005-0%d-10" % (1 + i % 9))
    return c.token("commissar")


def create(c, *extra, token=None):
    return cli(c, "create", "--name", "Autumn call-up", "--legal-basis", "Decree 7",
               "--purpose", "dispatch", "--report-from", FROM, "--report-to", TO,
               "--quota", "8", "--born-from", "2005-01-01", "--born-to", "2005-12-31",
               *extra, token=token)


def created_id(out):
    first = out.splitlines()[0]
    check(first.startswith("campaign C-"), "first line names the campaign: %r" % first)
    return first.split()[1].rstrip(":")


def counts(db):
    con = sqlite3.connect(db)
    try:
        return (con.execute("SELECT count(*) FROM campaigns").fetchone()[0],
                con.execute("SELECT count(*) FROM summonses").fetchone()[0],
                con.execute("SELECT count(*) FROM summons_events").fetchone()[0])
    finally:
        con.close()


@with_ctx(test_clock=False)
def test_create_show_list(c):
    world(c)
    code, out, err = create(c, "--office", "KGD,PKC", "--fitness", "A")
    eq(code, 0, "create: " + err)
    cid = created_id(out)
    check("state:        draft" in out, out)
    check("selected:     8 (eligible 12" in out, "selection shown: " + out)
    check("quota met" in out, out)
    check("by office:    KGD 4, PKC 4" in out, out)
    code, out, err = cli(c, "show", cid)
    eq(code, 0, "show: " + err)
    check(out.startswith("campaign %s: Autumn call-up" % cid), out)
    check("legal basis:  Decree 7" in out, out)
    check("offices     KGD, PKC" in out, out)
    code, out, err = cli(c, "list")
    eq(code, 0, "list: " + err)
    check(cid in out and "draft" in out and out.rstrip().endswith("1 campaigns"), out)
    # the API sees the same draft, created by the admin's token
    r = c.srv.get("/v1/campaigns/%s" % cid, token=c.admin)
    eq(r.status, 200)
    eq(r.json["selected"], 8)
    eq(r.json["criteria"]["offices"], ["KGD", "PKC"])
    eq(r.json["legal_basis"], "Decree 7")
    # recompute: the same register gives the same selection
    code, out, err = cli(c, "recompute", cid, "--json")
    eq(code, 0, "recompute: " + err)
    eq(json.loads(out)["selection_hash"], r.json["selection_hash"], "deterministic")
    eq(json.loads(out)["criteria"], r.json["criteria"], "the stored criteria are kept")
    # --body: the API's JSON, with options laid over it
    body = os.path.join(c.dir, "body.json")
    with open(body, "w") as f:
        json.dump({"name": "From a file", "purpose": "medical_exam", "report_from": FROM,
                   "report_to": TO, "quota": 2,
                   "criteria": {"born_from": "2005-01-01", "born_to": "2005-12-31"}}, f)
    code, out, err = cli(c, "create", "--body", body, "--quota", "3", "--json")
    eq(code, 0, "create --body: " + err)
    o = json.loads(out)
    eq((o["name"], o["quota"], o["purpose"], o["state"]), ("From a file", 3, "medical_exam",
                                                           "draft"))


@with_ctx(test_clock=False)
def test_roles_and_four_eyes(c):
    commissar = world(c)
    clerk = c.token("clerk")
    # only an admin drafts
    code, out, err = create(c, token=commissar)
    eq(code, 1, "a commissar may not draft")
    check("token: a commissar token may not POST /v1/campaigns" in err, err)
    code, out, err = create(c)
    eq(code, 0, err)
    cid = created_id(out)
    before = counts(c.db)
    # the creator can never approve; a clerk cannot see it
    code, out, err = cli(c, "approve", cid)
    eq(code, 1, "the creator's admin token may not approve")
    check("may not POST /v1/campaigns/{id}/approve" in err, err)
    code, out, err = cli(c, "show", cid, token=clerk)
    eq(code, 1)
    check("a clerk token may not GET /v1/campaigns/{id}" in err, err)
    # another admin is not the creator, and still not a commissar
    code, out, err = cli(c, "approve", cid, token=c.token("admin"))
    eq(code, 1)
    check("an admin token may not POST /v1/campaigns/{id}/approve" in err, err)
    eq(counts(c.db), before, "nothing changed by the refusals")
    code, out, err = cli(c, "approve", cid, token="mu_" + "x" * 43)
    eq(code, 1)
    check("token: the token is malformed, unknown or revoked" in err, err)
    # no token at all is a usage error
    code, out, err = run_cli("campaign", "list", "--db", c.db, env={"MUSTER_TOKEN": ""})
    eq(code, 2, "no token: " + err)
    # MUSTER_TOKEN keeps it out of the process list
    code, out, err = run_cli("campaign", "list", "--db", c.db, env={"MUSTER_TOKEN": commissar})
    eq(code, 0, "MUSTER_TOKEN: " + err)
    check(cid in out, out)


def approve_on_a_terminal(c, cid, token):
    """Run approve with stderr on a pseudo-terminal; (code, stdout, stderr)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([BIN, "campaign", "approve", "--db", c.db, "--token", token, cid],
                         stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    chunks = []
    while True:
        r, _, _ = select.select([master], [], [], 60)
        if not r:
            break
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    out = p.stdout.read()
    code = p.wait(60)
    os.close(master)
    err = b"".join(chunks).decode("utf-8", "replace")
    assert_clean(err, "muster campaign approve")
    return code, out, err


@with_ctx(test_clock=False)
def test_approve_report_and_cancel(c):
    commissar = world(c)
    clerk = c.token("clerk")
    exit_agency = c.token("agency", agency="exit")
    code, out, err = create(c)
    eq(code, 0, err)
    cid = created_id(out)
    # on a terminal: the bar on stderr, one summary line on stdout
    code, out, err = approve_on_a_terminal(c, cid, commissar)
    eq(code, 0, "approve: " + err + out)
    lines = out.strip().splitlines()
    eq(len(lines), 1, "one summary line: %r" % out)
    check(lines[0].startswith("campaign %s issued: 8 summonses, 0 members left out" % cid),
          lines[0])
    check("\r" in err, "a progress bar was drawn on the terminal: %r" % err)
    check("8/8 members" in err, "it counts issued/total: %r" % err)
    code, out, err = cli(c, "approve", cid, token=commissar)
    eq(code, 1, "approved once only")
    check("state: campaign %s is issued, not a draft" % cid in err, err)
    # the report's counts add up, on both sides
    code, out, err = cli(c, "show", cid, "--json", token=commissar)
    eq(code, 0, err)
    rep = json.loads(out)
    eq(rep["state"], "issued")
    eq(rep["issued"], 8)
    for k in ("by_state", "by_office", "by_channel"):
        eq(sum(rep["counts"][k].values()), 8, "%s adds up" % k)
    eq(rep["counts"]["by_state"]["pending"], 8)
    eq(rep["reported"], 0)
    code, out, err = cli(c, "show", cid, token=commissar)
    check("by state:     pending 8" in out, out)
    check("reported:     0 of quota 8 (0.0%)" in out, out)
    # hand two summonses over: their exit bars hold at once
    members = c.srv.get("/v1/campaigns/%s/members" % cid, token=c.admin).json["members"]
    handed = members[:2]
    for m in handed:
        s = c.srv.get("/v1/summonses/%s" % m["summons_id"], token=clerk).json
        r = c.srv.post("/v1/summonses/%s/events" % m["summons_id"],
                       {"type": "handed", "at": s["issued_at"]}, token=clerk)
        eq(r.status, 201, "handed: %r" % r)
        r = c.srv.get("/v1/checks/exit/%s" % m["national_id"], token=exit_agency)
        eq(r.json["permitted"], False, "barred after hand-over")
    code, out, err = cli(c, "show", cid, "--json", token=commissar)
    rep = json.loads(out)
    eq(rep["counts"]["by_channel"].get("handed"), 2, "delivered by hand")
    eq(sum(rep["counts"]["by_state"].values()), 8, "still adds up")
    # cancel: a reason is required and nothing changes without one
    before = counts(c.db)
    code, out, err = cli(c, "cancel", cid, token=commissar)
    eq(code, 1)
    check("reason: a written reason" in err, err)
    eq(counts(c.db), before, "nothing changed")
    code, out, err = cli(c, "cancel", cid, "--reason", "decree withdrawn", token=commissar)
    eq(code, 0, "cancel: " + err)
    check("8 summonses cancelled" in out, out)
    for m in handed:
        r = c.srv.get("/v1/checks/exit/%s" % m["national_id"], token=exit_agency)
        eq(r.json["permitted"], True, "the bar is lifted")
    feed = c.srv.get("/v1/feed/restrictions?limit=1000", token=exit_agency).json["events"]
    lifted = {e["national_id"] for e in feed if e["change"] == "lifted"}
    check({m["national_id"] for m in handed} <= lifted, "the feed carries the lifts")
    code, out, err = cli(c, "show", cid, "--json", token=commissar)
    rep = json.loads(out)
    eq(rep["state"], "cancelled")
    eq(rep["counts"]["by_state"]["cancelled"], 8)
    eq(rep["cancel_reason"], "decree withdrawn")


@with_ctx(test_clock=False)
def test_big_approval_rechecks_every_member(c):
    """More members than the store writes in one batch (64): a batch with
    members that became ineligible since the draft, a clean one, a short
    last one. Each ineligible member is left out, everyone else gets
    exactly one summons with its two events."""
    c.office("MOW", "Europe/Moscow", "Moscow")
    rows = ["national_id,family_name,given_name,patronymic,birth_date,sex,region,office,"
            "address,phone,email,fitness"]
    for i in range(200):
        rows.append("BIG-%04d,Петров,Пётр,Петрович,2004-03-%02d,M,Moscow,MOW,"
                    "\"Москва, ул. Мира, 1\",+79990000000,p%d@example.ru,A" % (i, 1 + i % 28, i))
    path = os.path.join(c.dir, "persons.csv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    code, out, err = run_cli("import", "persons", "--db", c.db, path)
    eq(code, 0, "import: " + err)
    commissar = c.token("commissar")
    clerk = c.token("clerk")
    code, out, err = cli(c, "create", "--name", "Big", "--purpose", "training",
                         "--report-from", FROM, "--report-to", TO, "--quota", "200",
                         "--born-from", "2004-01-01", "--born-to", "2004-12-31", "--json")
    eq(code, 0, err)
    cid = json.loads(out)["id"]
    eq(json.loads(out)["selected"], 200)
    # after the draft: two removed, one with an open summons for the purpose
    for nid in ("BIG-0005", "BIG-0070"):
        r = c.srv.post("/v1/persons/%s/removal" % nid,
                       {"reason": "deregistered", "date": TODAY.strftime("%Y-%m-%d")},
                       token=c.admin)
        eq(r.status, 200, "removal: %r" % r)
    r = c.srv.post("/v1/summonses", {"national_id": "BIG-0100", "purpose": "training",
                                     "report_at": TO}, token=clerk)
    eq(r.status, 201, "summons: %r" % r)
    code, out, err = cli(c, "approve", cid, "--json", token=commissar)
    eq(code, 0, "approve: " + err)
    rep = json.loads(out)
    eq(rep["issued"], 197)
    eq(sorted(x["national_id"] for x in rep["excluded"]), ["BIG-0005", "BIG-0070", "BIG-0100"])
    con = sqlite3.connect(c.db)
    try:
        per_person = con.execute(
            "SELECT s.national_id, count(DISTINCT s.id), count(e.seq) FROM summonses s"
            " JOIN summons_events e ON e.summons_id = s.id WHERE s.campaign = ?"
            " GROUP BY s.national_id", (cid,)).fetchall()
        issued = con.execute("SELECT issued, state FROM campaigns WHERE id = ?",
                             (cid,)).fetchone()
    finally:
        con.close()
    eq(len(per_person), 197)
    check(all(n == 1 and ev == 2 for _, n, ev in per_person), "one summons, two events each")
    eq(issued, (197, "issued"))
    r = c.srv.get("/v1/campaigns/%s/members?limit=1000" % cid, token=c.admin)
    eq(r.status, 200, "members: %r" % r)
    members = [(m["national_id"], m["summons_id"]) for m in r.json["members"]]
    eq(len(members), 200, "the whole selection listed")
    con = sqlite3.connect(c.db)
    try:
        truth = dict(con.execute("SELECT national_id, id FROM summonses WHERE campaign = ?",
                                 (cid,)).fetchall())
    finally:
        con.close()
    eq({nid: sid for nid, sid in members if sid}, truth,
       "each issued member points at its summons, the excluded at none")
    code, out, err = cli(c, "show", cid, "--json", token=commissar)
    rep = json.loads(out)
    eq(sum(rep["counts"]["by_state"].values()), 197, "the report adds up")


@with_ctx(test_clock=False)
def test_bad_input_names_the_field_and_changes_nothing(c):
    commissar = world(c)
    before = counts(c.db)
    past = (TODAY - dt.timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")
    cases = [
        (["--quota", "lots"], "quota: quota must be an integer"),
        (["--quota", "0"], "quota: quota must be an integer"),
        (["--purpose", "parade"], "purpose: purpose must be one of"),
        (["--report-from", past], "report_from: report_from must lie in the future"),
        (["--report-to", "tomorrow"], "report_to: report_to must be an RFC 3339"),
        (["--born-from", "2005-02-30"], "criteria.born_from: must be a real calendar date"),
        (["--born-from", "2006-01-01"], "criteria.born_to: born_to must not precede"),
        (["--sex", "X"], "criteria.sex: sex must be M or F"),
        (["--name", ""], "name: name is required"),
    ]
    for extra, want in cases:
        code, out, err = create(c, *extra)
        eq(code, 1, "%r must be refused: %s" % (extra, err))
        check(want in err, "%r: want %r in %r" % (extra, want, err))
        eq(out, "", "nothing on stdout")
    code, out, err = cli(c, "create", "--body", os.path.join(c.dir, "nope.json"))
    eq(code, 1)
    check(err.startswith("muster: body: "), err)
    eq(counts(c.db), before, "nothing changed")
    code, out, err = cli(c, "show", "C-NOSUCH", token=commissar)
    eq(code, 1)
    check("id: no campaign C-NOSUCH" in err, err)
    code, out, err = cli(c, "show", "C-NOSUCH", "--at", "yesterday", token=commissar)
    eq(code, 1)
    check("at: --at must be an RFC 3339 instant" in err, err)
    # usage errors: exit 2
    for args in (["campaign"], ["campaign", "launch", "--db", c.db, "--token", c.admin],
                 ["campaign", "show", "--db", c.db, "--token", c.admin],
                 ["campaign", "approve", "--db", c.db, "--token", commissar, "C-1", "--quota", "5"],
                 ["campaign", "list", "--token", c.admin]):
        code, out, err = run_cli(*args, env={"MUSTER_DB": ""})
        eq(code, 2, "%r: %s" % (args, err))
        check("see: muster help campaign" in err, err)
    eq(counts(c.db), before, "nothing changed")


@with_ctx(test_clock=False)
def test_json_equals_the_api(c):
    commissar = world(c)
    code, out, err = create(c, "--json")
    eq(code, 0, err)
    drafted = json.loads(out)
    cid = drafted["id"]
    api = c.srv.get("/v1/campaigns/%s" % cid, token=c.admin)
    eq(drafted, api.json, "create --json is the API's campaign")
    at = (TODAY + dt.timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    code, out, err = cli(c, "approve", cid, "--json", token=commissar)
    eq(code, 0, err)
    eq(json.loads(out), {"id": cid, "state": "issued", "issued": 8, "excluded": []})
    code, out, err = cli(c, "show", cid, "--at", at, "--json", token=commissar)
    eq(code, 0, err)
    api = c.srv.get("/v1/campaigns/%s?at=%s" % (cid, at), token=commissar)
    eq(out.rstrip("\n"), api.raw, "show --json is the API's answer, byte for byte")
    code, out, err = cli(c, "list", "--json", token=commissar)
    eq(out.rstrip("\n"), c.srv.get("/v1/campaigns", token=commissar).raw, "list --json")
    # a second campaign approved over HTTP answers what the CLI would
    code, out, err = create(c, "--json", "--purpose", "medical_exam")
    cid2 = json.loads(out)["id"]
    r = c.srv.post("/v1/campaigns/%s/approve" % cid2, {}, token=commissar)
    eq(r.status, 200, "%r" % r)
    eq(set(r.json), {"id", "state", "issued", "excluded"})
    code, out, err = cli(c, "cancel", cid, "--reason", "test", "--json", token=commissar)
    eq(code, 0, err)
    eq(json.loads(out), {"id": cid, "state": "cancelled", "summonses_cancelled": 8})


if __name__ == "__main__":
    run(globals())
