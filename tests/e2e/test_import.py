"""`muster import`: offices, persons and removals from CSV and NDJSON, against
a real register with a real server running beside it.

All or nothing with exact error lines; --partial and its reject file (which
imports again once fixed); idempotent re-import; updates that keep history
and per-field provenance; repeated ids and --last-wins; columns left out;
duplicate candidates (CLI and API); removals that cancel open summonses;
usage errors. The crash test (kill -9, integrity check, --resume) is in
test_import_crash.py.
"""
import csv
import datetime as dt
import json
import os
import sqlite3
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from lib import Server, check, eq, run, run_cli, with_ctx  # noqa: E402

HEADER = ("national_id,family_name,given_name,patronymic,birth_date,sex,region,"
          "office,address,phone,email,fitness")
OFFICES_CSV = ("id,name,region,timezone,daily_capacity\n"
               "MOW,Moscow central office,Moscow,Europe/Moscow,300\n"
               "VVO,Vladivostok office,Primorye,Asia/Vladivostok,\n")


def row(nid, family="Иванов", given="Иван", patr="Иванович", birth="2000-05-17",
        sex="M", region="Moscow", office="MOW", address="Москва, ул. Ленина, 1",
        phone="+79990000000", email="ivan@example.ru", fitness="A"):
    vals = [nid, family, given, patr, birth, sex, region, office, address, phone,
            email, fitness]
    return ",".join('"%s"' % v.replace('"', '""') if ("," in v or '"' in v) else v
                    for v in vals)


def write(c, name, text):
    path = os.path.join(c.dir, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def imp(c, kind, path, *opts, stdin=None):
    return run_cli("import", kind, "--db", c.db, path, *opts, stdin=stdin)


def setup_offices(c):
    code, out, err = imp(c, "offices", write(c, "offices.csv", OFFICES_CSV))
    eq(code, 0, "offices import: " + err)
    return out


def person(c, nid):
    r = c.srv.get("/v1/persons/" + nid, token=c.admin)
    return r.json if r.status == 200 else None


def count_persons(c):
    r = c.srv.get("/v1/persons?limit=1000", token=c.admin)
    eq(r.status, 200, "list persons: %r" % r)
    return len(r.json["persons"])


def history(c, nid):
    r = c.srv.get("/v1/persons/%s/history" % nid, token=c.admin)
    eq(r.status, 200, "history of %s: %r" % (nid, r))
    return r.json["versions"]


@with_ctx()
def test_offices_csv_then_ndjson_update(c):
    out = setup_offices(c)
    check("2 rows read, 2 inserted" in out, "summary: %r" % out)
    r = c.srv.get("/v1/offices", token=c.admin)
    caps = {o["id"]: o["daily_capacity"] for o in r.json["offices"]}
    eq((caps["MOW"], caps["VVO"]), (300, 200), "capacity given, and the default")
    path = write(c, "offices.ndjson",
                 '{"id":"MOW","name":"Moscow central office","region":"Moscow",'
                 '"timezone":"Europe/Moscow","daily_capacity":450}\n')
    code, out, err = imp(c, "offices", path)
    eq(code, 0, err)
    check("0 inserted, 1 updated" in out, "summary: %r" % out)
    caps = {o["id"]: o["daily_capacity"] for o in c.srv.get("/v1/offices", token=c.admin).json["offices"]}
    eq(caps["MOW"], 450, "updated by the known id")
    bad = write(c, "bad_offices.csv", "id,name,region,timezone\nKGD,K,Kaliningrad,Mars/Olympus\n")
    code, out, err = imp(c, "offices", bad)
    eq(code, 1, "bad zone")
    check("line 2: timezone: timezone 'Mars/Olympus' is not a zone" in err, err)


@with_ctx()
def test_all_or_nothing_lists_exact_lines_and_changes_nothing(c):
    setup_offices(c)
    text = "\n".join([
        HEADER,
        row("AN-0001"),
        row("AN-0002", birth="1999-02-30"),
        row("AN-0003", office="XXX"),
        row("AN-0004", sex="X"),
        row("AN-0001", given="Пётр"),
        row("an-0006"),
        'AN-0007,"Иванов",Иван',
        row("AN-0008"),
    ]) + "\n"
    path = write(c, "persons.csv", text)
    code, out, err = imp(c, "persons", path)
    eq(code, 1, "exit status: " + err)
    want = [
        "line 3: birth_date: birth_date '1999-02-30' is not a real calendar date (YYYY-MM-DD)",
        "line 4: office: office 'XXX' is not a known office (import the offices first)",
        "line 5: sex: sex must be M or F",
        "line 6: national_id: the same national_id as line 2 (give --last-wins to keep the last)",
        "line 7: national_id: national_id must be 4-32 characters of A-Z, 0-9 and '-'",
        "line 8: patronymic: missing value: the row has 3 fields, the header 12",
        "muster: nothing imported: 6 of 8 rows are bad",
    ]
    eq(err.strip().splitlines(), want, "stderr")
    check("8 rows read, 0 inserted" in out and "6 rejected" in out, "summary: %r" % out)
    eq(count_persons(c), 0, "nothing written")
    # --max-errors: the first N, then a count of the rest
    code, out, err = imp(c, "persons", path, "--max-errors", "2")
    eq(err.strip().splitlines(), want[:2] + ["... and 4 more bad rows", want[-1]],
       "stderr with --max-errors 2")
    eq(count_persons(c), 0, "still nothing")


@with_ctx()
def test_partial_writes_good_rows_and_a_reimportable_reject_file(c):
    setup_offices(c)
    text = "\n".join([HEADER, row("PA-0001"), row("PA-0002", birth="2000-13-01"),
                      row("PA-0003", email="no-at-sign", address='a "quoted", address'),
                      row("PA-0004"), row("PA-0001", given="Дубль")]) + "\n"
    path = write(c, "persons.csv", text)
    code, out, err = imp(c, "persons", path, "--partial", "--source", "tax")
    eq(code, 0, "partial import: " + err)
    check("5 rows read, 2 inserted" in out and "3 rejected" in out, "summary: %r" % out)
    rej = os.path.join(c.dir, "persons.rejects.csv")
    check(rej in err, "stderr names the reject file: %r" % err)
    eq(count_persons(c), 2, "the good rows are in")
    with open(rej, encoding="utf-8") as f:
        rejected = f.read()
    lines = rejected.splitlines()
    eq(lines[0], '"' + '","'.join(HEADER.split(",") + ["_error"]) + '"', "reject header")
    eq(len(lines), 4, "three rejected rows: %r" % rejected)
    check("birth_date: birth_date '2000-13-01'" in rejected, rejected)
    check("email: email must look like name@domain" in rejected, rejected)
    check("national_id: the same national_id as line 2" in rejected, rejected)
    check('"a ""quoted"", address"' in rejected, "quoting kept: %r" % rejected)
    # Fix the file as a clerk would, and import it as it is.
    fixed = (rejected.replace("2000-13-01", "2000-12-01").replace("no-at-sign", "a@b.ru")
             .replace('"PA-0001","Иванов","Дубль"', '"PA-0005","Иванов","Дубль"'))
    code, out, err = imp(c, "persons", write(c, "fixed.csv", fixed), "--source", "tax")
    eq(code, 0, "re-import of the fixed reject file: " + err)
    check("3 rows read, 3 inserted" in out, "summary: %r" % out)
    eq(count_persons(c), 5, "all in")
    eq(person(c, "PA-0003")["address"], 'a "quoted", address', "value kept through the reject file")


@with_ctx()
def test_reimport_is_idempotent_and_says_so(c):
    setup_offices(c)
    path = write(c, "persons.csv", "\n".join([HEADER] + [row("ID-%04d" % i) for i in range(1, 51)]) + "\n")
    code, out, err = imp(c, "persons", path)
    eq(code, 0, err)
    check("50 rows read, 50 inserted, 0 updated, 0 unchanged" in out, out)
    code, out, err = imp(c, "persons", path)
    eq(code, 0, err)
    check("50 rows read, 0 inserted, 0 updated, 50 unchanged, 0 rejected" in out, out)
    check("nothing changed" in out, "says so: %r" % out)
    eq(len(history(c, "ID-0001")), 1, "no new version")
    eq(person(c, "ID-0001")["version"], 1, "version")


@with_ctx()
def test_update_keeps_history_and_per_field_provenance(c):
    setup_offices(c)
    code, out, err = imp(c, "persons", write(c, "civil.csv", HEADER + "\n" + row("UP-0001") + "\n"),
                         "--source", "civil_registry")
    eq(code, 0, err)
    # The tax service knows a new address and nothing else: its file has no
    # other optional columns, and the columns it leaves out stay as they are.
    tax = ("national_id,family_name,given_name,birth_date,sex,region,office,address\n"
           "UP-0001,Иванов,Иван,2000-05-17,M,Moscow,MOW,\"Москва, ул. Мира, 5\"\n")
    code, out, err = imp(c, "persons", write(c, "tax.csv", tax), "--source", "tax")
    eq(code, 0, err)
    check("1 updated" in out, out)
    p = person(c, "UP-0001")
    eq((p["version"], p["address"], p["phone"], p["patronymic"], p["source"]),
       (2, "Москва, ул. Мира, 5", "+79990000000", "Иванович", "tax"), "merged record")
    v = history(c, "UP-0001")
    eq([x["version"] for x in v], [1, 2], "both versions")
    eq(v[0]["address"], "Москва, ул. Ленина, 1", "the earlier version stays")
    code, out, err = run_cli("provenance", "--db", c.db, "UP-0001", "--json")
    eq(code, 0, err)
    prov = json.loads(out)
    eq((prov["address"]["source"], prov["address"]["version"]), ("tax", 2), "address from tax")
    eq((prov["phone"]["source"], prov["phone"]["version"]), ("civil_registry", 1),
       "phone from the civil registry")
    eq(prov["family_name"]["source"], "civil_registry", "an unchanged value keeps its source")
    check(prov["address"]["at"] >= prov["phone"]["at"], "dates: %r" % prov)
    # the person sees both imports in their access log, as changes, with
    # the agency named; the unchanged re-import adds nothing
    eq(imp(c, "persons", write(c, "tax2.csv", tax), "--source", "tax")[0], 0, "again")
    me = c.token("citizen", person="UP-0001")
    log = c.srv.get("/v1/me/access-log", token=me).json["entries"]
    imports = [e for e in log if e["action"] == "import.batch"]
    eq([(e["kind"], e["purpose"]) for e in imports],
       [("change", "import persons from civil_registry"), ("change", "import persons from tax")],
       "imports in the access log: %r" % log)
    check(all("import" in e["description"] for e in imports), "described: %r" % imports)
    eq([e["index"] for e in log], sorted(e["index"] for e in log), "in log order")
    page = c.srv.get("/v1/me/access-log?after=%d" % imports[0]["index"], token=me).json
    eq([e["index"] for e in page["entries"]], [e["index"] for e in log
                                               if e["index"] > imports[0]["index"]],
       "the next page starts after the first import")


@with_ctx()
def test_history_across_import_api_and_removal(c):
    """The current version's record lives in the persons row only; every
    writer (import, API, removal) keeps the version it replaces."""
    import sqlite3
    setup_offices(c)
    code, out, err = imp(c, "persons", write(c, "a.csv", HEADER + "\n" + row("HI-0001") + "\n"),
                         "--source", "civil_registry")
    eq(code, 0, err)
    r = c.srv.patch("/v1/persons/HI-0001", {"phone": "+79991112233"}, token=c.admin)
    eq(r.status, 200, "patch: %r" % r)
    code, out, err = imp(c, "persons", write(c, "b.csv", HEADER + "\n" +
                                             row("HI-0001", phone="+79991112233",
                                                 email="new@example.ru") + "\n"),
                         "--source", "tax")
    eq(code, 0, err)
    code, out, err = imp(c, "removals", write(c, "r.csv", "national_id,reason,date\n"
                                              "HI-0001,deregistered,2026-01-05\n"),
                         "--source", "courts")
    eq(code, 0, err)
    v = history(c, "HI-0001")
    eq([x["version"] for x in v], [1, 2, 3, 4], "every version")
    eq([x["phone"] for x in v], ["+79990000000", "+79991112233", "+79991112233",
                                 "+79991112233"], "phones")
    eq([x["email"] for x in v], ["ivan@example.ru"] * 2 + ["new@example.ru"] * 2, "emails")
    eq([x.get("status") for x in v], ["active"] * 3 + ["removed"], "status")
    eq(v[3].get("removal_reason"), "deregistered", "the removal's reason")
    cur = person(c, "HI-0001")
    eq({k: x for k, x in v[3].items() if k != "valid_from"},
       {k: x for k, x in cur.items() if k in v[3]}, "the last version is the person as stored")
    with sqlite3.connect(c.db) as db:
        recs = db.execute("SELECT version, record <> '' FROM person_history"
                          " WHERE national_id = 'HI-0001' ORDER BY version").fetchall()
        current = db.execute("SELECT version FROM persons WHERE national_id = 'HI-0001'"
                             ).fetchall()
    eq(recs, [(1, 1), (2, 1), (3, 1)], "a record kept for every earlier version only")
    eq(current, [(4,)], "the current version is the persons row")
    code, out, err = run_cli("provenance", "--db", c.db, "HI-0001", "--json")
    eq(code, 0, err)
    prov = json.loads(out)
    eq((prov["email"]["source"], prov["email"]["version"]), ("tax", 3), "email from tax")
    eq((prov["address"]["source"], prov["address"]["version"]), ("civil_registry", 1),
       "the address from the first import")


@with_ctx()
def test_repeated_id_is_an_error_unless_last_wins(c):
    setup_offices(c)
    text = "\n".join([HEADER, row("LW-0001", address="first"), row("LW-0002"),
                      row("LW-0001", address="second"), row("LW-0001", address="third")]) + "\n"
    path = write(c, "persons.csv", text)
    code, out, err = imp(c, "persons", path)
    eq(code, 1, "repeated id")
    eq(err.strip().splitlines()[:2], [
        "line 4: national_id: the same national_id as line 2 (give --last-wins to keep the last)",
        "line 5: national_id: the same national_id as line 2 (give --last-wins to keep the last)"],
       "stderr")
    code, out, err = imp(c, "persons", path, "--last-wins")
    eq(code, 0, err)
    check("2 inserted" in out and "2 superseded by later rows" in out, out)
    eq(person(c, "LW-0001")["address"], "third", "the last row won")
    eq(len(history(c, "LW-0001")), 1, "one version, not three")


@with_ctx()
def test_ndjson_from_stdin_and_bad_lines(c):
    setup_offices(c)
    good = {"national_id": "ND-0001", "family_name": "Петров", "given_name": "Пётр",
            "birth_date": "1999-01-02", "sex": "M", "region": "Moscow", "office": "MOW",
            "fitness": None}
    text = json.dumps(good, ensure_ascii=False) + "\n\n" + \
        json.dumps(dict(good, national_id="ND-0002", colour="red")) + "\n" + \
        '{"national_id": "ND-0003", "family_name": "x"\n'
    code, out, err = imp(c, "persons", "-", stdin=text)
    eq(code, 2, "stdin needs --format")
    code, out, err = imp(c, "persons", "-", "--format", "ndjson", stdin=text)
    eq(code, 1, err)
    lines = err.strip().splitlines()
    eq(lines[0], "line 3: colour: unknown column 'colour'", "unknown key")
    check(lines[1].startswith("line 4: not valid JSON"), "truncated line: %r" % lines[1])
    eq(count_persons(c), 0, "nothing written")
    code, out, err = imp(c, "persons", "-", "--format", "ndjson", stdin=text.splitlines()[0] + "\n")
    eq(code, 0, err)
    p = person(c, "ND-0001")
    eq((p["family_name"], p["fitness"], p["patronymic"]), ("Петров", "", ""), "record")


@with_ctx()
def test_duplicate_candidates_are_listed_not_merged(c):
    setup_offices(c)
    clerk_mow = c.token("clerk", office="MOW")
    text = "\n".join([HEADER,
                      row("DU-0001", family="Фёдоров", given="Иван", birth="1990-01-01"),
                      row("DU-0002", family="ФЕДОРОВ", given="иван", birth="1990-01-01",
                          office="VVO", region="Primorye"),
                      row("DU-0003", family="Фёдоров", given="Иван", birth="1990-01-02")]) + "\n"
    code, out, err = imp(c, "persons", write(c, "persons.csv", text))
    eq(code, 0, err)
    check("1 duplicates flagged" in out, out)
    eq(count_persons(c), 3, "not merged")
    code, out, err = run_cli("duplicates", "--db", c.db, "--json")
    eq(code, 0, err)
    d = json.loads(out)["duplicates"]
    eq([(x["a"]["national_id"], x["b"]["national_id"]) for x in d], [("DU-0001", "DU-0002")],
       "one pair")
    eq(d[0]["same_address"], True, "addresses match too")
    r = c.srv.get("/v1/duplicates", token=c.admin)
    eq(r.status, 200, "admin: %r" % r)
    eq(len(r.json["duplicates"]), 1, "api lists it")
    r = c.srv.get("/v1/duplicates", token=clerk_mow)
    eq(r.status, 200, "clerk: %r" % r)
    pair = r.json["duplicates"][0]
    eq(pair["a"]["family_name"], "Фёдоров", "own office in full")
    eq(sorted(pair["b"].keys()), ["national_id", "office"], "the other office: id and office")
    r = c.srv.get("/v1/duplicates", token=c.token("auditor"))
    eq(r.status, 403, "auditor: %r" % r)
    # Importing the same file again flags nothing new.
    code, out, err = imp(c, "persons", write(c, "persons.csv", text))
    check("0 duplicates flagged" in out, out)
    # A person created through the API is compared at the next import.
    c.person("DU-0004", family_name="Фёдоров", given_name="Иван", birth_date="1990-01-02")
    code, out, err = imp(c, "persons", write(c, "other.csv", HEADER + "\n" + row("DU-0009") + "\n"))
    eq(code, 0, err)
    check("1 duplicates flagged" in out, "API person keyed and matched: %r" % out)


@with_ctx()
def test_a_clerk_resolves_a_duplicate_candidate(c):
    setup_offices(c)
    text = "\n".join([HEADER,
                      row("DR-0001", family="Фёдоров", given="Иван", birth="1990-01-01"),
                      row("DR-0002", family="Федоров", given="Иван", birth="1990-01-01")]) + "\n"
    eq(imp(c, "persons", write(c, "persons.csv", text))[0], 0, "import")
    pair = c.srv.get("/v1/duplicates", token=c.admin).json["duplicates"][0]
    path = "/v1/duplicates/%d/resolve" % pair["id"]
    clerk, vvo = c.token("clerk", office="MOW"), c.token("clerk", office="VVO")
    for body, field in (({"resolution": "merge", "note": "x"}, "resolution"),
                        ({"resolution": "distinct"}, "note"),
                        ({"resolution": "distinct", "note": "x", "junk": 1}, "junk")):
        r = c.srv.post(path, body, token=clerk)
        eq((r.status, r.json.get("field")), (400, field), "%r: %r" % (body, r))
    eq(c.srv.post(path, {"resolution": "distinct", "note": "x"}, token=vvo).status, 404,
       "a clerk who sees neither person: as if it did not exist")
    eq(c.srv.post("/v1/duplicates/999/resolve", {"resolution": "distinct", "note": "x"},
                  token=clerk).status, 404, "unknown id")
    r = c.srv.post(path, {"resolution": "distinct", "note": "different fathers, birth"
                          " certificates seen"}, token=clerk)
    eq(r.status, 200, "resolve: %r" % r)
    eq(r.json["state"], "distinct")
    eq(c.srv.post(path, {"resolution": "same_person", "note": "x"}, token=c.admin).status,
       409, "decided once")
    eq(c.srv.get("/v1/duplicates", token=c.admin).json["duplicates"], [],
       "no longer listed as open")
    # the command line decides too, once
    text2 = "\n".join([HEADER, row("DR-0003", family="Жуков", given="Олег", birth="1991-02-03"),
                       row("DR-0004", family="Жуков", given="Олег", birth="1991-02-03")]) + "\n"
    eq(imp(c, "persons", write(c, "more.csv", text2))[0], 0, "import")
    pid = c.srv.get("/v1/duplicates", token=c.admin).json["duplicates"][0]["id"]
    eq(run_cli("duplicates", "resolve", "--db", c.db, str(pid), "--as", "same_person")[0], 2,
       "no note: usage error")
    code, out, err = run_cli("duplicates", "resolve", "--db", c.db, str(pid), "--as",
                             "same_person", "--note", "one passport, two ids")
    eq((code, out.strip()), (0, "duplicate #%d: same_person" % pid), err)
    code, out, err = run_cli("duplicates", "resolve", "--db", c.db, str(pid), "--as",
                             "distinct", "--note", "x")
    eq(code, 1, "decided once: %s" % err)
    check("decided already" in err, err)
    for nid in ("DR-0001", "DR-0002"):
        cit = c.token("citizen", person=nid)
        log = c.srv.get("/v1/me/access-log", token=cit).json["entries"]
        check(any(e["action"] == "duplicate.resolve" for e in log),
              "%s sees the decision in the access log: %r" % (nid, log))


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def issue(c, clerk, nid, now):
    """A medical exam at MOW in 20 days, issued at `now`."""
    return c.srv.post("/v1/summonses", {"national_id": nid, "office": "MOW",
                                        "purpose": "medical_exam",
                                        "report_at": iso(now + dt.timedelta(days=20))},
                      token=clerk, now=iso(now))


@with_ctx()
def test_removals_cancel_open_summonses(c):
    setup_offices(c)
    clerk = c.token("clerk")
    text = "\n".join([HEADER, row("RM-0001"), row("RM-0002"), row("RM-0003")]) + "\n"
    eq(imp(c, "persons", write(c, "persons.csv", text))[0], 0, "persons")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    r = issue(c, clerk, "RM-0001", now)
    eq(r.status, 201, "issue: %r" % r)
    sid = r.json["id"]
    today = now.strftime("%Y-%m-%d")
    bad = write(c, "bad_removals.csv", "national_id,reason,date\nRM-0001,bored,%s\n"
                "RM-0404,deceased,%s\nRM-0002,deceased,2999-01-01\n" % (today, today))
    code, out, err = imp(c, "removals", bad)
    eq(code, 1, err)
    eq(err.strip().splitlines()[:3], [
        "line 2: reason: reason must be deceased, over_age or deregistered",
        "line 3: national_id: no person RM-0404 in the register",
        "line 4: date: date must be a real calendar date (YYYY-MM-DD), not in the future"],
       "stderr")
    path = write(c, "removals.csv", "national_id,reason,date\nRM-0001,deceased,%s\n"
                 "RM-0002,over_age,%s\n" % (today, today))
    code, out, err = imp(c, "removals", path, "--source", "civil_registry")
    eq(code, 0, err)
    check("2 updated" in out and "1 summonses cancelled" in out, out)
    p = person(c, "RM-0001")
    eq((p["status"], p["removal_reason"], p["removal_date"]), ("removed", "deceased", today),
       "removed")
    s = c.srv.get("/v1/summonses/" + sid, token=clerk, now=iso(now)).json
    eq(s["events"][-1]["type"], "cancelled", "the open summons is cancelled")
    r = issue(c, clerk, "RM-0002", now)
    eq(r.status, 409, "a removed person cannot be summoned: %r" % r)
    code, out, err = imp(c, "removals", path)
    eq(code, 0, err)
    check("2 unchanged" in out and "nothing changed" in out, "idempotent: %r" % out)
    # A later person file does not bring a removed person back.
    eq(imp(c, "persons", write(c, "again.csv", HEADER + "\n" + row("RM-0001", phone="+7111") + "\n"))[0], 0,
       "update of a removed person")
    eq(person(c, "RM-0001")["status"], "removed", "still removed")


@with_ctx()
def test_office_zone_is_fixed_once_it_has_summonses(c):
    setup_offices(c)
    clerk = c.token("clerk")
    eq(imp(c, "persons", write(c, "p.csv", HEADER + "\n" + row("TZ-0001") + "\n"))[0], 0,
       "persons")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    r = issue(c, clerk, "TZ-0001", now)
    eq(r.status, 201, "issue: %r" % r)
    before = c.srv.get("/v1/persons/TZ-0001/status", token=clerk, now=iso(now)).json
    moved = write(c, "moved.csv", "id,name,region,timezone\n"
                  "VVO,Vladivostok office,Primorye,Asia/Kamchatka\n"
                  "MOW,Moscow central office,Moscow,Asia/Vladivostok\n")
    code, out, err = imp(c, "offices", moved)
    eq(code, 1, "a zone change under summonses: " + out + err)
    eq(err.strip().splitlines()[0],
       "line 3: timezone: office MOW has summonses, whose periods are counted in "
       "Europe/Moscow; its time zone cannot change to Asia/Vladivostok", "stderr")
    zones = {o["id"]: o["timezone"] for o in c.srv.get("/v1/offices", token=c.admin).json["offices"]}
    eq(zones, {"MOW": "Europe/Moscow", "VVO": "Asia/Vladivostok"},
       "all or nothing: the office without summonses did not move either")
    eq(c.srv.get("/v1/persons/TZ-0001/status", token=clerk, now=iso(now)).json, before,
       "the legal position is unchanged")
    # the rest of the office may change, and the zone of one without summonses
    renamed = write(c, "renamed.csv", "id,name,region,timezone\n"
                    "VVO,Vladivostok office,Primorye,Asia/Kamchatka\n"
                    "MOW,Moscow office no. 1,Moscow,Europe/Moscow\n")
    code, out, err = imp(c, "offices", renamed)
    eq(code, 0, err)
    offices = {o["id"]: o for o in c.srv.get("/v1/offices", token=c.admin).json["offices"]}
    eq((offices["MOW"]["name"], offices["VVO"]["timezone"]),
       ("Moscow office no. 1", "Asia/Kamchatka"), "renamed and moved")


def undo_017(db):
    """The register as it was before migration 017."""
    db.execute("DROP INDEX persons_name")
    db.execute("ALTER TABLE persons DROP COLUMN family_key")
    db.execute("CREATE INDEX persons_name ON persons(family_name, national_id)")
    db.execute("DELETE FROM schema_migrations WHERE version = 17")


@with_ctx(serve=False)
def test_migration_016_on_a_register_that_kept_every_version(c):
    # Registers written before 75511f7 kept the current version's full
    # record in person_history; 016 must take it out, or the next version
    # collides with it and the history lists it twice (diff review).
    setup_offices(c)
    eq(imp(c, "persons", write(c, "p.csv", HEADER + "\n" + row("MG-0001") + "\n"),
           "--source", "civ")[0], 0, "persons")
    with sqlite3.connect(c.db) as db:
        db.execute("INSERT INTO person_history(national_id, version, record, updated_at,"
                   " source, import_batch) SELECT national_id, version, '{\"national_id\":"
                   "\"MG-0001\"}', updated_at, source, import_batch FROM persons")
        db.execute("ALTER TABLE persons DROP COLUMN import_batch")
        undo_017(db)
        db.execute("DELETE FROM schema_migrations WHERE version = 16")
    code, out, err = imp(c, "persons", write(c, "p2.csv", HEADER + "\n" +
                                             row("MG-0001", phone="+7111") + "\n"), "--source", "tax")
    eq(code, 0, "an update after the migration: " + err)
    with sqlite3.connect(c.db) as db:
        eq(db.execute("SELECT version FROM person_history WHERE national_id = 'MG-0001'"
                      " ORDER BY version").fetchall(), [(1,)], "one replaced version")
        eq(db.execute("SELECT version, import_batch IS NOT NULL FROM persons").fetchall(),
           [(2, 1)], "the current version names its batch")


@with_ctx(serve=False)
def test_migration_017_keys_the_names_already_in_the_register(c):
    # A register from before 017 has no family_key: the migration computes
    # it for every person already there, and the search then folds them.
    setup_offices(c)
    eq(imp(c, "persons", write(c, "p.csv", HEADER + "\n" + row("MG-0001", family="Фёдорова")
                               + "\n" + row("MG-0002", family="Ёлкин") + "\n"),
           "--source", "civ")[0], 0, "persons")
    with sqlite3.connect(c.db) as db:
        undo_017(db)
    c.srv = Server(c.db)
    for q, want in (("федорова", ["MG-0001"]), ("елкин", ["MG-0002"]), ("ЁЛ", ["MG-0002"])):
        r = c.srv.get("/v1/persons?q=" + urllib.parse.quote(q), token=c.admin)
        eq([p["national_id"] for p in r.json["persons"]], want, "search %r" % q)
    with sqlite3.connect(c.db) as db:
        eq(db.execute("SELECT family_key FROM persons ORDER BY national_id").fetchall(),
           [("федорова",), ("елкин",)], "keys of the persons already there")
        plan = " ".join(r[3] for r in db.execute(
            "EXPLAIN QUERY PLAN SELECT national_id FROM persons WHERE family_key >= 'a'"
            " AND family_key < 'b'"))
        check("persons_name" in plan, "the search uses the index: " + plan)


@with_ctx()
def test_usage_and_file_errors(c):
    eq(run_cli("import", "--db", c.db)[0], 2, "no kind")
    eq(run_cli("import", "people", "--db", c.db, "x.csv")[0], 2, "unknown kind")
    eq(run_cli("import", "persons", "--db", c.db)[0], 2, "no file")
    eq(run_cli("import", "persons", "--db", c.db, "a.csv", "b.csv")[0], 2, "two files")
    eq(run_cli("import", "persons", "--db", c.db, "a.csv", "--format", "xml")[0], 2, "format")
    code, out, err = run_cli("import", "persons", "--db", c.db, os.path.join(c.dir, "none.csv"))
    eq(code, 1, "missing file")
    check("cannot open" in err, err)
    code, out, err = imp(c, "persons", write(c, "p.txt", HEADER + "\n"))
    eq(code, 1, "unknown extension")
    check("format" in err, err)
    code, out, err = imp(c, "persons", write(c, "cols.csv", HEADER + ",colour\n"))
    eq(code, 1, "unknown column")
    eq(err.strip(), "muster: colour: line 1: unknown column 'colour'", "names the column")
    code, out, err = imp(c, "persons", write(c, "miss.csv", "national_id,family_name\n"))
    eq(code, 1, "missing column")
    check("line 1: missing column 'given_name'" in err, err)
    code, out, err = imp(c, "persons", write(c, "empty.csv", ""))
    eq(code, 1, "empty file")
    code, out, err = run_cli("help", "import")
    eq(code, 0, "help")
    check("--partial" in out and "--resume" in out and "removals" in out, out)


@with_ctx(serve=False)
def test_bad_rows_of_a_long_file_come_in_line_order(c):
    # Pass 1 reads on one thread and checks on another, in blocks of rows:
    # the errors of a file longer than many blocks, of both kinds (the
    # reader's and domain/'s), keep their lines and order, with and without
    # --partial (where the reject file keeps the file's order too).
    setup_offices(c)
    lines, want, good = [HEADER], [], []
    for i in range(6000):
        nid = "LF-%06d" % i
        line = i + 2
        if i % 97 == 5:
            lines.append(nid + ",too,few")
            want.append("line %d: " % line)
        elif i % 89 == 7:
            lines.append(row(nid, birth="2001-02-30"))
            want.append("line %d: birth_date: " % line)
        else:
            lines.append(row(nid, given="Иван%d" % (i % 500)))
            good.append(nid)
    path = write(c, "long.csv", "\n".join(lines) + "\n")
    code, out, err = imp(c, "persons", path, "--max-errors", "1000")
    eq(code, 1, "all or nothing: " + out)
    got = [ln for ln in err.splitlines() if ln.startswith("line ")]
    eq(len(got), len(want), "every bad row listed")
    for g, w in zip(got, want):
        check(g.startswith(w), "in line order: %r, want %r..." % (g, w))
    code, out, err = imp(c, "persons", path, "--max-errors", "5")
    eq(len([ln for ln in err.splitlines() if ln.startswith("line ")]), 5, "capped")
    check("... and %d more bad rows" % (len(want) - 5) in err, err)
    rej = os.path.join(c.dir, "long.rejects.csv")
    code, out, err = imp(c, "persons", path, "--partial", "--reject", rej)
    eq(code, 0, "partial: " + err)
    check("%d inserted" % len(good) in out, out)
    with open(rej, encoding="utf-8", newline="") as f:
        rejected = [r[0] for r in csv.reader(f)][1:]
    eq(rejected, ["LF-%06d" % (int(w.split()[1][:-1]) - 2) for w in want],
       "the reject file in the file's order")


run(globals())
