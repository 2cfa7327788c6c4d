"""test_static_gzip.py: the web pages gzip-compressed for a client that
takes gzip (src/http/h_static.c, cmake/embed.cmake).

- Accept-Encoding that takes gzip ("gzip", "GZIP", "x-gzip", "*", weights,
  spaces around commas): Content-Encoding: gzip, a body that gunzips to
  exactly the identity body, Content-Length of the compressed bytes, and
  compressed reproducibly (gzip -n: no name, no time);
- one that does not (absent, empty, "gzip;q=0", "br" only, "*;q=0",
  identity preferred, a malformed weight): the identity body;
- Vary: Accept-Encoding on both answers, 304 included;
- the two have different ETags, each answers 304 to its own If-None-Match
  and 200 to the other's;
- HEAD is GET without the body, for both; a Range header is ignored (no
  Range support: 200, the whole body);
- a file gzip does not shrink by 10% gets no compressed copy (embed.cmake
  run on a scratch tree), and files served from --web DIR go out as they
  are, without Vary.
"""
import gzip
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Ctx, Response, check, eq, run, with_ctx  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
WEB = os.path.join(ROOT, "web")

# request path -> file under web/; every text file of the portal page load
# and one of each other page and type
FILES = {
    "/portal": "portal/index.html",
    "/portal/portal.js": "portal/portal.js",
    "/assets/i18n.js": "assets/i18n.js",
    "/assets/style.css": "assets/style.css",
    "/assets/icon.svg": "assets/icon.svg",
    "/console/": "console/index.html",
    "/verify/verify.js": "verify/verify.js",
}

TAKES_GZIP = ["gzip", "GZIP", "x-gzip", "*", "gzip;q=0.5", "br, gzip", "br ,gzip ;q=1",
              "deflate,\tGzip; Q=0.001 , br", "gzip, deflate, br, zstd", "*;q=0, gzip",
              "gzip;q=1.000, identity;q=0.5", "gzip;q=0.5, *;q=0", "identity;q=0, *",
              "br;q=abc, gzip"]
NO_GZIP = [None, "", "identity", "br", "br, deflate", "gzip;q=0", "GZIP;Q=0",
           "gzip;q=0.000", " gzip ; q=0 , br", "*;q=0", "br, *;q=0",
           "gzip;q=0, *", "gzip;q=0.5, identity", "gzip;q=0.5, *",
           "gzip;q=abc", "gzip;q=1.5", "gzip;level=9", "gzipx", "x-gzip;q=0"]


def web_bytes(rel):
    with open(os.path.join(WEB, rel), "rb") as f:
        return f.read()


def get(c, path, ae=None, method="GET", **headers):
    """method path with Accept-Encoding ae (None: no such header at all;
    http.client would otherwise send "identity") and the other headers."""
    conn = http.client.HTTPConnection("127.0.0.1", c.srv.port, timeout=60)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        if ae is not None:
            conn.putheader("Accept-Encoding", ae)
        for k, v in headers.items():
            conn.putheader(k.replace("_", "-"), v)
        conn.endheaders()
        r = conn.getresponse()
        data = r.read()
        resp = Response(r.status, {k.lower(): v for k, v in r.getheaders()},
                        data.decode("utf-8", "replace"))
        resp.data = data  # the bytes as received (raw is decoded text)
        return resp
    finally:
        conn.close()


def vary_ae(r):
    return any(v.strip().lower() == "accept-encoding"
               for v in r.headers.get("vary", "").split(","))


def is_gzip(r, ident, what):
    eq(r.status, 200, what)
    eq(r.headers.get("content-encoding"), "gzip", what + ": Content-Encoding")
    check(vary_ae(r), "%s: no Vary: Accept-Encoding: %r" % (what, r.headers))
    eq(gzip.decompress(r.data), ident, what + ": gunzipped body")
    check(len(r.data) * 10 <= len(ident) * 9,
          "%s: %d compressed bytes of %d" % (what, len(r.data), len(ident)))
    eq(r.headers.get("content-length"), str(len(r.data)), what + ": Content-Length")


def is_identity(r, ident, what):
    eq(r.status, 200, what)
    check("content-encoding" not in r.headers,
          "%s: Content-Encoding %r" % (what, r.headers.get("content-encoding")))
    eq(r.data, ident, what + ": body")
    eq(r.headers.get("content-length"), str(len(ident)), what + ": Content-Length")


@with_ctx()
def test_gzip_when_accepted(c):
    for path, rel in FILES.items():
        ident = web_bytes(rel)
        plain = get(c, path)
        for ae in TAKES_GZIP:
            r = get(c, path, ae)
            what = "%s, Accept-Encoding %r" % (path, ae)
            is_gzip(r, ident, what)
            eq(r.headers.get("content-type"), plain.headers.get("content-type"),
               what + ": Content-Type")
            for h in ("cache-control", "content-security-policy", "x-content-type-options"):
                eq(r.headers.get(h), plain.headers.get(h), what + ": " + h)
        # reproducible: gzip -n, no file name (FLG.FNAME) and no time (MTIME)
        r = get(c, path, "gzip")
        eq(r.data[:3], b"\x1f\x8b\x08", path + ": gzip magic")
        eq(r.data[3] & 0x08, 0, path + ": a file name in the gzip header")
        eq(r.data[4:8], b"\0\0\0\0", path + ": a time in the gzip header")


@with_ctx()
def test_identity_when_gzip_not_accepted(c):
    for path, rel in FILES.items():
        ident = web_bytes(rel)
        for ae in NO_GZIP:
            r = get(c, path, ae)
            what = "%s, Accept-Encoding %r" % (path, ae)
            is_identity(r, ident, what)
            # this answer too depends on Accept-Encoding: a cache must know
            check(vary_ae(r), "%s: no Vary: Accept-Encoding: %r" % (what, r.headers))


@with_ctx()
def test_etags_differ_and_each_revalidates(c):
    for path in FILES:
        ident, gz = get(c, path), get(c, path, "gzip")
        e_id, e_gz = ident.headers.get("etag"), gz.headers.get("etag")
        check(e_id and e_gz, "%s: ETags %r, %r" % (path, e_id, e_gz))
        check(e_id != e_gz, "%s: the same ETag for both encodings: %r" % (path, e_id))
        check(re.fullmatch(r'"[^"]+"', e_id) and re.fullmatch(r'"[^"]+-gz"', e_gz),
              "%s: ETags %r, %r" % (path, e_id, e_gz))
        # each answers 304 to its own validator, with Vary and its ETag
        for ae, etag in ((None, e_id), ("gzip", e_gz)):
            for inm in (etag, "W/" + etag, '"nope", ' + etag, ' "nope" ,W/%s , "x"' % etag, "*"):
                r = get(c, path, ae, **{"If-None-Match": inm})
                what = "%s, Accept-Encoding %r, If-None-Match %r" % (path, ae, inm)
                eq(r.status, 304, what)
                eq(r.data, b"", what + ": body")
                eq(r.headers.get("etag"), etag, what + ": ETag")
                check(vary_ae(r), "%s: no Vary: %r" % (what, r.headers))
        # ... and 200 to the other's
        r = get(c, path, "gzip", **{"If-None-Match": e_id})
        is_gzip(r, ident.data, "%s, gzip, the identity ETag" % path)
        eq(r.headers.get("etag"), e_gz, path + ": gzip ETag")
        r = get(c, path, None, **{"If-None-Match": e_gz})
        is_identity(r, ident.data, "%s, identity, the gzip ETag" % path)
        eq(r.headers.get("etag"), e_id, path + ": identity ETag")
        # a tag that merely contains the other is no match
        r = get(c, path, "gzip", **{"If-None-Match": e_id[:-1] + '-gzx"'})
        eq(r.status, 200, path + ": a longer tag matched")


@with_ctx()
def test_head_and_range(c):
    for path, rel in FILES.items():
        ident = web_bytes(rel)
        gz = get(c, path, "gzip")
        for ae, n, enc, etag in ((None, len(ident), None, get(c, path).headers.get("etag")),
                                 ("gzip", len(gz.data), "gzip", gz.headers.get("etag"))):
            r = get(c, path, ae, method="HEAD")
            what = "HEAD %s, Accept-Encoding %r" % (path, ae)
            eq(r.status, 200, what)
            eq(r.data, b"", what + ": body")
            eq(r.headers.get("content-length"), str(n), what + ": Content-Length")
            eq(r.headers.get("content-encoding"), enc, what + ": Content-Encoding")
            eq(r.headers.get("etag"), etag, what + ": ETag")
            check(vary_ae(r), what + ": no Vary")
        # no Range support, with or without gzip: the whole body
        r = get(c, path, "gzip", Range="bytes=0-9")
        is_gzip(r, ident, "%s, gzip, Range" % path)
        check("content-range" not in r.headers, path + ": Content-Range")
        r = get(c, path, None, Range="bytes=0-9")
        is_identity(r, ident, "%s, Range" % path)


def run_embed(src, out):
    """cmake/embed.cmake on the tree src; the generated C."""
    cmake, gz = shutil.which("cmake"), shutil.which("gzip")
    check(cmake and gz, "cmake and gzip are needed")
    p = subprocess.run([cmake, "-DOUT=" + out, "-DSRC=" + src, "-DGZIP=" + gz,
                        "-DGZDIR=" + os.path.join(os.path.dirname(out), "gz"),
                        "-P", os.path.join(ROOT, "cmake", "embed.cmake")],
                       capture_output=True, text=True, timeout=120)
    eq(p.returncode, 0, "embed.cmake: " + p.stderr)
    with open(out, encoding="utf-8") as f:
        return f.read()


def test_no_compressed_copy_unless_worth_it():
    """embed.cmake: a compressed copy only where gzip saves 10% and only of
    a text type; such a file, and every file of --web DIR, goes out as it is
    (no Vary: nothing varies)."""
    d = tempfile.mkdtemp(prefix="muster-e2e-")
    try:
        src = os.path.join(d, "src")
        files = {
            "tiny.js": b"x",  # gzip's 20 bytes of header and trailer
            "random.css": os.urandom(3000),  # does not compress
            "long.js": b"export const a = 'aaaaaaaaaaaaaaaa';\n" * 200,
            "icon.png": b"\x89PNG" + b"\0" * 4000,  # not a text type
            "page.html": b"<!doctype html><p>" + b"hello " * 300,
        }
        os.makedirs(os.path.join(src, "web", "assets"))
        os.makedirs(os.path.join(src, "rules"))
        os.makedirs(os.path.join(src, "src", "store", "migrations"))
        for name, data in files.items():
            with open(os.path.join(src, "web", "assets", name), "wb") as f:
                f.write(data)
        os.makedirs(os.path.join(d, "out"))
        c_src = run_embed(src, os.path.join(d, "out", "embedded.c"))
        rows = dict(re.findall(r'\{"(/assets/[^"]+)", (web_\d+, \d+, [^}]*)\}', c_src))
        eq(sorted(rows), sorted("/assets/" + n for n in files), "the table's files")
        for name in ("tiny.js", "random.css", "icon.png"):
            check(rows["/assets/" + name].endswith(", NULL, 0"),
                  "%s: a compressed copy: %r" % (name, rows["/assets/" + name]))
        for name in ("long.js", "page.html"):
            m = re.fullmatch(r"web_\d+, (\d+), web_gz_\d+, (\d+)", rows["/assets/" + name])
            check(m, "%s: no compressed copy: %r" % (name, rows["/assets/" + name]))
            eq(int(m.group(1)), len(files[name]), name + " size")
            check(int(m.group(2)) * 10 <= len(files[name]) * 9, name + ": gz size")
        # the same input, the same output (gzip -n)
        eq(run_embed(src, os.path.join(d, "out", "again.c")), c_src, "embed.cmake output")

        # --web DIR: no compressed copies, so identity and no Vary
        web = os.path.join(src, "web")
        c = Ctx(extra=["--web", web])
        try:
            for name, data in files.items():
                if name == "icon.png":
                    continue
                r = get(c, "/assets/" + name, "gzip")
                is_identity(r, data, "--web /assets/" + name)
                check("vary" not in r.headers, "--web %s: Vary %r" % (name, r.headers.get("vary")))
        finally:
            c.close()
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run(globals())
