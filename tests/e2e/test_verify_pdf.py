"""The printable summons and public verification: the PDF parses, shows the
report time in the office's local time, and its QR code decodes to the
verification URL; verification of a valid, a cancelled and an unknown code
never shows the person; enumeration is rate-limited with 429."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from lib import check, eq, run, with_ctx  # noqa: E402

NOW = "2026-03-02T06:00:00Z"


def issue(c, clerk, nid="VV-0001"):
    c.office("VVO", "Asia/Vladivostok", region="Primorye", name="Владивостокский военкомат")
    c.person(nid, office="VVO", region="Primorye")
    r = c.srv.post("/v1/summonses", {"national_id": nid, "purpose": "medical_exam",
                                     "report_at": "2026-03-20T09:00:00+10:00"},
                   token=clerk, now=NOW)
    eq(r.status, 201, "issue")
    return r.json


@with_ctx(extra=["--public-url", "https://muster.example.org"])
def test_pdf_local_time_and_qr(c):
    clerk = c.token("clerk")
    s = issue(c, clerk)
    r = c.srv.get("/v1/summonses/%s/pdf" % s["id"], token=clerk, now=NOW)
    eq(r.status, 200, "pdf")
    eq(r.headers["content-type"], "application/pdf")
    tmp = tempfile.mkdtemp()
    try:
        path = os.path.join(tmp, "s.pdf")
        # re-fetch raw bytes (Response decodes text); use curl-free urllib
        import urllib.request
        req = urllib.request.Request("http://127.0.0.1:%d/v1/summonses/%s/pdf" % (c.srv.port, s["id"]),
                                     headers={"Authorization": "Bearer " + clerk})
        with urllib.request.urlopen(req) as f, open(path, "wb") as out:
            out.write(f.read())
        text = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True).stdout
        check("2026-03-20 09:00" in text, "report time in local time: %s" % text[:800])
        check("Asia/Vladivostok" in text and "UTC+10:00" in text, "zone named")
        check("Иванов Иван Иванович" in text, "the person's name is on the paper")
        check(s["verification_code"] in text, "code printed")
        subprocess.run(["pdftoppm", "-png", "-r", "150", path, os.path.join(tmp, "p")], check=True,
                       stderr=subprocess.DEVNULL)
        png = [f for f in os.listdir(tmp) if f.endswith(".png")][0]
        qr = subprocess.run(["zbarimg", "-q", "--raw", os.path.join(tmp, png)],
                            capture_output=True, text=True).stdout.strip()
        eq(qr, "https://muster.example.org/verify?code=" + s["verification_code"], "QR content")
    finally:
        shutil.rmtree(tmp)
    # scope: a clerk of another office cannot print it
    c.office("KGD", "Europe/Kaliningrad", region="West")
    other = c.token("clerk", office="KGD")
    eq(c.srv.get("/v1/summonses/%s/pdf" % s["id"], token=other).status, 404)


@with_ctx()
def test_verify_valid_cancelled_unknown(c):
    clerk = c.token("clerk")
    s = issue(c, clerk)
    r = c.srv.get("/v1/verify/" + s["verification_code"], now=NOW)
    eq(r.status, 200)
    eq(r.json["valid"], True)
    eq(r.json["office"], "VVO")
    eq(r.json["report_at"], "2026-03-19T23:00:00Z")
    eq(r.json["state"], "in_force", "in force or ended, nothing finer")
    for leak in ("VV-0001", "Иванов", "national_id", "family_name"):
        check(leak not in r.raw, "verification leaks %r" % leak)
    r = c.srv.post("/v1/summonses/%s/events" % s["id"], {"type": "cancelled", "at": NOW},
                   token=clerk, now=NOW)
    eq(r.status, 201)
    r = c.srv.get("/v1/verify/" + s["verification_code"], now=NOW)
    eq((r.json["valid"], r.json["state"]), (False, "ended"), "not how it ended")
    r = c.srv.get("/v1/verify/ABCDEFGHJKMNPQRSTVWX", now=NOW)
    eq(r.json, {"valid": False, "reason": "no summons has this verification code"})
    r = c.srv.get("/v1/verify/short", now=NOW)
    eq(r.json["valid"], False, "a malformed code is just unknown")


@with_ctx()
def test_rate_limit(c):
    codes = []
    for i in range(140):
        r = c.srv.get("/v1/verify/%020d" % i)
        codes.append(r.status)
        if r.status == 429:
            check(int(r.headers["retry-after"]) >= 1, "Retry-After")
            eq(r.headers["content-type"], "application/problem+json")
            break
    # the burst is 120 requests; a few more may be refilled (2 a second)
    # while the loop runs
    check(120 <= codes.count(200) < 130, "burst: %d" % codes.count(200))
    eq(codes[-1], 429)


if __name__ == "__main__":
    run(globals())
