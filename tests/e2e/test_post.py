"""Registered post: the daily print batch (one PDF, a page per summons) and
its CSV manifest, and postal evidence arriving as a CSV file."""
import csv
import re
import io
import os
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from lib import check, eq, run, with_ctx  # noqa: E402

NOW = "2026-03-02T06:00:00Z"  # 16:00 in Vladivostok on 2 March


def raw_get(c, path, token):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (c.srv.port, path),
                                 headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req) as f:
        return f.read()


@with_ctx()
def test_print_batch_and_manifest(c):
    c.office("VVO", "Asia/Vladivostok", region="Primorye")
    clerk = c.token("clerk")
    ids = []
    for i in range(3):
        nid = "PB-%04d" % i
        c.person(nid, office="VVO", region="Primorye", address="Владивосток, ул. Светланская, %d" % i)
        r = c.srv.post("/v1/summonses", {"national_id": nid, "purpose": "medical_exam",
                                         "report_at": "2026-03-20T09:00:00+10:00"},
                       token=clerk, now=NOW)
        eq(r.status, 201)
        ids.append(r.json["id"])
    pdf = raw_get(c, "/v1/offices/VVO/print-batch?date=2026-03-02", clerk)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True).stdout
        check(re.search(r"Pages:\s+3\n", info) is not None, "one page per summons: %s" % info)
        text = subprocess.run(["pdftotext", f.name, "-"], capture_output=True, text=True).stdout
        for sid in ids:
            check(sid in text, "%s printed" % sid)
    man = raw_get(c, "/v1/offices/VVO/print-batch/manifest?date=2026-03-02", clerk).decode()
    rows = list(csv.DictReader(io.StringIO(man)))
    eq(sorted(r["summons_id"] for r in rows), sorted(ids))
    check(all("Светланская" in r["address"] for r in rows), "addresses for the post")
    # the day before: nothing issued
    eq(c.srv.get("/v1/offices/VVO/print-batch?date=2026-03-01", token=clerk).status, 404)
    eq(c.srv.get("/v1/offices/VVO/print-batch?date=2026-02-30", token=clerk).status, 400)


@with_ctx()
def test_postal_evidence_csv(c):
    c.office("MOW", "Europe/Moscow")
    clerk = c.token("clerk")
    post = c.token("channel", label="Russian Post")
    sids = []
    for i in range(2):
        c.person("PE-%04d" % i)
        r = c.srv.post("/v1/summonses", {"national_id": "PE-%04d" % i, "purpose": "medical_exam",
                                         "report_at": "2026-03-20T09:00:00+03:00"},
                       token=clerk, now=NOW)
        sids.append(r.json["id"])
    body = ("summons_id,type,at,reference\r\n"
            "%s,post_sent,2026-03-02T07:00:00Z,RA123456789RU\r\n"
            "%s,post_delivered,2026-03-03T08:00:00Z,RA123456789RU\r\n"
            "%s,post_delivered,not-a-time,RA1\r\n"
            "%s,handed,2026-03-03T08:00:00Z\r\n"
            "S-NOSUCHSUMMONS,post_sent,2026-03-02T07:00:00Z\r\n"
            % (sids[0], sids[0], sids[1], sids[1]))
    r = c.srv.request("POST", "/v1/post/evidence", raw=body.encode(), token=post,
                      headers={"Content-Type": "text/csv"}, now="2026-03-04T00:00:00Z")
    eq(r.status, 200, "evidence: %r" % r)
    eq(r.json["accepted"], 2)
    eq([(x["line"], x["field"]) for x in r.json["rejected"]], [(4, "at"), (5, "type"), (6, "id")])
    s = c.srv.get("/v1/summonses/%s" % sids[0], token=clerk, now="2026-03-04T00:00:00Z").json
    eq(s["delivered_by"], "post_delivered")
    eq(s["delivered_at"], "2026-03-03T08:00:00Z")
    check(any(e.get("reference") == "RA123456789RU" for e in s["events"]), "tracking number kept")
    r = c.srv.request("POST", "/v1/post/evidence", raw=b"id,what\n1,2\n", token=post,
                      headers={"Content-Type": "text/csv"})
    eq(r.status, 400)


if __name__ == "__main__":
    run(globals())
