"""Agency checks answered from memory (docs/checks.md): the answers are
those of the register at every moment, whoever changed it.

The server keeps every restriction in force in memory. These tests change
the register behind its back: with the command line (another muster
process, which announces its commits through <register>-gen before they
are visible), and with Python's sqlite3 (a program that announces
nothing, noticed through PRAGMA data_version). The server runs on the
wall clock here, as in production: the index answers only between the
latest reconciliation and the next time-driven change, and /metrics says
whether a check was answered from memory.
"""
import datetime as dt
import os
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import Server, check, eq, run, run_cli, with_ctx  # noqa: E402


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def metrics(c):
    r = c.srv.get("/metrics", token=c.admin)
    eq(r.status, 200, "metrics")
    out = {}
    for line in r.raw.splitlines():
        if line.startswith("muster_check_index_"):
            k, v = line.split()
            out[k[len("muster_check_index_"):].replace("_total", "")] = float(v)
    return out


def bar(c, clerk, nid):
    """Issue a summons reporting in 30 days and hand it over now: the rules
    bar exit at once (and the next change is a month away)."""
    report = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)
    r = c.srv.post("/v1/summonses", {"national_id": nid, "office": "MOW",
                                     "purpose": "medical_exam", "report_at": iso(report)},
                   token=clerk)
    eq(r.status, 201, "issue: %r" % r)
    s = r.json
    r = c.srv.post("/v1/summonses/%s/events" % s["id"], {"type": "handed", "at": s["issued_at"]},
                   token=clerk)
    eq(r.status, 201, "handed: %r" % r)
    return s["id"]


def world(c, n=3):
    c.office()
    clerk = c.token("clerk")
    exit_tok = c.token("agency", agency="exit", label="border")
    nids = ["CI-%04d" % i for i in range(n)]
    for nid in nids:
        c.person(nid)
    sids = {nid: bar(c, clerk, nid) for nid in nids[:-1]}  # the last: free
    return clerk, exit_tok, nids, sids


def ask(c, tok, nid):
    r = c.srv.get("/v1/checks/exit/" + nid, token=tok)
    eq(r.status, 200, "check %s: %r" % (nid, r))
    return r.json


def until(cond, what, step):
    """Poll cond every step seconds until it holds; fail after 5 s."""
    deadline = time.time() + 5
    while not cond():
        check(time.time() < deadline, what)
        time.sleep(step)


def wait_valid(c):
    """Until the writer has reloaded the index (at most four times a
    second); its metrics then."""
    until(lambda: metrics(c)["valid"], "the index was never reloaded", 0.02)
    return metrics(c)


def wait_lifted(c, tok, nid, what):
    """Until nid's exit check is permitted, then until the index is valid
    again."""
    until(lambda: ask(c, tok, nid)["permitted"] is not False, what, 0.01)
    wait_valid(c)


def from_memory(c, tok, nid):
    """Ask, and insist that the answer came from memory."""
    before = metrics(c)
    out = ask(c, tok, nid)
    after = metrics(c)
    eq(after["hits"] - before["hits"], 1, "check of %s answered from memory" % nid)
    return out


@with_ctx(test_clock=False)
def test_answers_from_memory_and_follows_the_servers_own_writes(c):
    clerk, tok, nids, sids = world(c)
    m = metrics(c)
    eq((m["enabled"], m["valid"], m["entries"]), (1, 1, 2), "two persons barred, in memory")
    got = from_memory(c, tok, nids[0])
    eq(got["permitted"], False, "barred")
    eq(got["reference"], sids[nids[0]], "the summons")
    eq(from_memory(c, tok, nids[-1]), {"permitted": True}, "free")
    eq(from_memory(c, tok, "ZZ-9999"), {"permitted": True}, "unknown")
    # The server's own write: the person appears, the bar lifts at once.
    r = c.srv.post("/v1/summonses/%s/events" % sids[nids[0]],
                   {"type": "appeared", "at": iso(dt.datetime.now(dt.timezone.utc))},
                   token=clerk)
    eq(r.status, 201, "appeared: %r" % r)
    eq(from_memory(c, tok, nids[0]), {"permitted": True}, "lifted by the appearance")
    eq(metrics(c)["entries"], 1, "one person barred left")
    eq(metrics(c)["rebuilds"], 1, "own writes are applied, not reloaded")


def remove_with_cli(db, nids):
    """`muster import removals` in a process of its own: (code, out, err)."""
    fd, path = tempfile.mkstemp(suffix=".csv")
    with os.fdopen(fd, "w") as f:
        f.write("national_id,reason,date\n")
        for nid in nids:
            f.write("%s,deceased,2026-11-01\n" % nid)
    try:
        return run_cli("import", "removals", "--db", db, path)
    finally:
        os.unlink(path)


@with_ctx(test_clock=False, extra=["--check-index-poll-ms", "600000"])
def test_another_muster_process_is_seen_at_once(c):
    """The command line removes a barred person (their summons is cancelled
    and the bar lifts) while the server runs. The very first check after
    the command returns says permitted. The server's poll for foreign
    commits is off (10 minutes): only the shared counter can make this
    pass."""
    clerk, tok, nids, sids = world(c)
    eq(from_memory(c, tok, nids[0])["permitted"], False, "barred")
    code, out, err = remove_with_cli(c.db, [nids[0]])
    eq(code, 0, "import removals: %s" % err)
    eq(ask(c, tok, nids[0]), {"permitted": True}, "lifted by the other process, at once")
    eq(ask(c, tok, nids[1])["permitted"], False, "the other barred person still barred")
    m = wait_valid(c)
    eq((m["valid"], m["entries"]), (1, 1), "reloaded: one person barred")
    check(m["rebuilds"] >= 2, "rebuilt after the foreign commit: %r" % m)
    eq(from_memory(c, tok, nids[1])["permitted"], False, "from memory again")


@with_ctx(test_clock=False, extra=["--check-index-poll-ms", "600000"])
def test_the_counter_is_the_registers_whatever_its_name(c):
    """The command line reaches the register through a symbolic link in
    another directory: it must step the same counter as the server."""
    clerk, tok, nids, sids = world(c)
    eq(from_memory(c, tok, nids[0])["permitted"], False, "barred")
    other = tempfile.mkdtemp(prefix="muster-link-")
    link = os.path.join(other, "alias.db")
    os.symlink(c.db, link)
    code, out, err = remove_with_cli(link, [nids[0]])
    eq(code, 0, "import removals through the link: %s" % err)
    eq(ask(c, tok, nids[0]), {"permitted": True}, "lifted, seen at once")
    check(not os.path.exists(link + "-gen"), "no second counter beside the link")


@with_ctx(test_clock=False, extra=["--check-index-poll-ms", "600000"])
def test_a_process_without_the_counter_may_not_change_restrictions(c):
    """A process that cannot open the counter (here its path is taken by a
    directory; in life, another user's 0600 file) would commit unseen by
    the server: it is refused, says why, and changes nothing."""
    clerk, tok, nids, sids = world(c)
    gen = c.db + "-gen"
    os.rename(gen, gen + ".away")
    os.mkdir(gen)
    try:
        code, out, err = remove_with_cli(c.db, [nids[0]])
    finally:
        os.rmdir(gen)
        os.rename(gen + ".away", gen)
    check(code != 0, "refused: %r %r" % (out, err))
    check(gen in err, "the error names the counter file: %r" % err)
    eq(ask(c, tok, nids[0])["permitted"], False, "nothing changed: still barred")
    db = sqlite3.connect(c.db)
    status = db.execute("SELECT status FROM persons WHERE national_id = ?", (nids[0],)).fetchone()
    db.close()
    eq(status, ("active",), "not removed")


@with_ctx(test_clock=False)
def test_a_deleted_counter_is_noticed(c):
    """Someone deletes the counter file while the server runs; the next
    command line process makes a new one. The server's writer notices
    within the poll and follows the new file."""
    clerk, tok, nids, sids = world(c)
    os.unlink(c.db + "-gen")
    code, out, err = remove_with_cli(c.db, [nids[0]])
    eq(code, 0, "import removals: %s" % err)
    check(os.path.exists(c.db + "-gen"), "a new counter")
    wait_lifted(c, tok, nids[0], "the lift was never seen")
    eq(from_memory(c, tok, nids[0]), {"permitted": True}, "from memory, on the new counter")
    eq(from_memory(c, tok, nids[1])["permitted"], False, "the other bar kept")
    # and the new counter is the one followed: another process's change is
    # seen at once again
    eq(remove_with_cli(c.db, [nids[1]])[0], 0, "second removal")
    eq(ask(c, tok, nids[1]), {"permitted": True}, "seen at once")


@with_ctx(test_clock=False)
def test_an_older_muster_cannot_write_a_newer_register(c):
    """A muster that does not know the register's schema would write
    without the counter: it refuses to open it."""
    eq(c.srv.stop(), 0, "SIGTERM")
    c.srv = None
    db = sqlite3.connect(c.db)
    with db:
        db.execute("INSERT INTO schema_migrations VALUES (999, '999_future', 0)")
    db.close()
    code, out, err = run_cli("status", "--db", c.db, "CI-0000")
    check(code != 0, "refused: %r" % out)
    check("newer than this muster" in err, "says why: %r" % err)


@with_ctx(test_clock=False)
def test_a_program_that_is_not_muster_is_seen_within_the_poll(c):
    """An operator deletes a restriction with the sqlite3 library (never do
    this: restrictions are derived). The server cannot be told; it notices
    the commit through PRAGMA data_version and reloads."""
    clerk, tok, nids, sids = world(c)
    eq(from_memory(c, tok, nids[1])["permitted"], False, "barred")
    db = sqlite3.connect(c.db, timeout=10)
    with db:
        db.execute("DELETE FROM restrictions WHERE national_id = ?", (nids[1],))
    db.close()
    wait_lifted(c, tok, nids[1], "the manual edit was never seen")
    eq(from_memory(c, tok, nids[1]), {"permitted": True}, "from memory, after the reload")
    eq(from_memory(c, tok, nids[0])["permitted"], False, "the other bar kept")


@with_ctx(test_clock=False)
def test_index_survives_restart_and_batches_use_it(c):
    clerk, tok, nids, sids = world(c, n=5)
    eq(c.srv.stop(), 0, "SIGTERM")
    c.srv = Server(c.db, test_clock=False)
    eq(metrics(c)["entries"], 4, "loaded at start")
    before = metrics(c)
    r = c.srv.post("/v1/checks/exit", {"national_ids": nids + ["ZZ-0001"]}, token=tok)
    eq(r.status, 200, "batch: %r" % r)
    eq([a["permitted"] for a in r.json["results"]], [False] * 4 + [True, True], "answers")
    eq(metrics(c)["hits"] - before["hits"], 6, "all six from memory")


if __name__ == "__main__":
    run(globals())
