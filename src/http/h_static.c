/*
 * h_static.c: the web pages (web/: the citizen portal, the clerk console, the
 * summons verification page and their shared assets), served as files.
 *
 * The files are embedded in the binary at build time (cmake/embed.cmake
 * makes web_files[]), so the one binary is the whole product; `muster serve
 * --web DIR` reads them from DIR instead, for editing pages without a
 * rebuild. /portal, /console and /verify (with or without the slash)
 * answer their index.html; any other file answers by its path under web/.
 *
 * Every file goes out with its Content-Type, a strong ETag (a hash of its
 * bytes; a matching If-None-Match answers 304), Cache-Control: no-cache (so
 * the browser revalidates and a new binary is seen at once) and a
 * Content-Security-Policy that allows scripts, styles and requests only from
 * this origin: no inline script, no inline style, no eval. The verification
 * page (/verify?code=...) needs no token: it calls GET /v1/verify/{code}.
 *
 * An embedded text file that gzip shrinks by 10% or more also has a
 * gzip-compressed copy (made at build time by cmake/embed.cmake): a client
 * whose Accept-Encoding takes gzip gets it, with Content-Encoding: gzip and
 * the ETag of the file with "-gz" inside the quotes (another representation,
 * another validator). Either answer of such a file says Vary:
 * Accept-Encoding. Files read from --web DIR always go out as they are.
 * There are no Range requests: a Range header is ignored (200, whole body).
 *
 * Must not: know anything of the API. The pages reach the register through
 * the public HTTP API with the user's own token, like any other client.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/api.h"

#define WEB_FILE_MAX (4 * 1024 * 1024) /* a file read from --web DIR */
#define WEB_PATH_MAX 256

/* The generated table (cmake/embed.cmake), ended by a NULL path. */
extern const struct web_file {
	const char *path;
	const unsigned char *data;
	size_t size;
	const unsigned char *gz; /* gzip -9 -n of data, or NULL: not worth it */
	size_t gz_size;
} web_files[];

static const char page_csp[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
	"connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
	"form-action 'self'; frame-ancestors 'none'";

static const char *web_dir; /* NULL: the embedded files */

void api_web_dir(const char *dir)
{
	web_dir = dir && dir[0] ? dir : NULL;
}

static const struct {
	const char *ext, *type;
} content_types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/x-icon"},
	{".json", "application/json"},
	{".webmanifest", "application/manifest+json"},
	{".woff2", "font/woff2"},
	{".txt", "text/plain; charset=utf-8"},
};

/* The Content-Type for path by its extension; NULL for a type we do not
 * serve (the file is then a 404, not a guess). */
static const char *type_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(content_types) / sizeof(content_types[0]); i++)
		if (!strcmp(dot, content_types[i].ext))
			return content_types[i].type;
	return NULL;
}

/* The web/ path for request path p into out: the pages' roots map to their
 * index.html. Returns -1 for a path that cannot name a file we serve (an
 * empty or dot-led segment, an odd character). */
static int web_path(const char *p, char *out, size_t size)
{
	static const char *const roots[] = {"/portal", "/console", "/verify"};
	const char *seg;

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		size_t n = strlen(roots[i]);
		if (!strncmp(p, roots[i], n) && (!p[n] || !strcmp(p + n, "/"))) {
			snprintf(out, size, "%s/index.html", roots[i]);
			return 0;
		}
	}
	seg = strrchr(p, '/');
	if (!seg || seg[1] == '.' || !seg[1] || strlen(p) >= size)
		return -1;
	for (const char *c = p; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '/' || *c == '.' || *c == '-' ||
		      *c == '_'))
			return -1;
	snprintf(out, size, "%s", p);
	return 0;
}

static const struct web_file *embedded(const char *path)
{
	for (const struct web_file *f = web_files; f->path; f++)
		if (!strcmp(f->path, path))
			return f;
	return NULL;
}

/* Read web_dir + path into a new buffer (caller frees). MU_ENOTFOUND when
 * there is no such regular file, MU_ETOOBIG past WEB_FILE_MAX. */
static enum mu_err read_dir_file(const char *path, unsigned char **data, size_t *size)
{
	char full[4096];
	FILE *fp;
	long n;
	enum mu_err rc = MU_OK;

	*data = NULL;
	*size = 0;
	if ((size_t)snprintf(full, sizeof(full), "%s%s", web_dir, path) >= sizeof(full))
		return MU_ENOTFOUND;
	fp = fopen(full, "rb");
	if (!fp)
		return errno == ENOENT || errno == EISDIR ? MU_ENOTFOUND : MU_EIO;
	if (fseek(fp, 0, SEEK_END) || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET)) {
		rc = MU_ENOTFOUND; /* a directory, or not seekable */
		goto out;
	}
	if (n > WEB_FILE_MAX) {
		rc = MU_ETOOBIG;
		goto out;
	}
	*data = malloc((size_t)n + 1);
	if (!*data) {
		rc = MU_ENOMEM;
		goto out;
	}
	if (fread(*data, 1, (size_t)n, fp) != (size_t)n) {
		free(*data);
		*data = NULL;
		rc = MU_EIO;
		goto out;
	}
	*size = (size_t)n;
out:
	fclose(fp);
	return rc;
}

/* A strong validator: "w-" and 64-bit FNV-1a of the (identity) bytes, in
 * hex; "-gz" after it for the gzip-compressed copy. */
#define ETAG_SIZE 32
static void etag_of(const unsigned char *data, size_t size, int gz, char out[ETAG_SIZE])
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < size; i++) {
		h ^= data[i];
		h *= 1099511628211ULL;
	}
	snprintf(out, ETAG_SIZE, "\"w-%016llx%s\"", (unsigned long long)h, gz ? "-gz" : "");
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Does If-None-Match name etag? It is "*" or a comma-separated list of
 * entity-tags, each perhaps W/-prefixed (If-None-Match compares weakly). */
static int etag_matches(const char *inm, const char *etag)
{
	size_t n = strlen(etag);
	const char *p = inm, *end;

	if (!inm)
		return 0;
	for (;;) {
		while (is_ows(*p) || *p == ',')
			p++;
		if (!*p)
			return 0;
		if (*p == '*')
			return 1;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		if (*p == '"' && (end = strchr(p + 1, '"'))) {
			if ((size_t)(end + 1 - p) == n && !memcmp(p, etag, n))
				return 1;
			p = end + 1;
		}
		while (*p && *p != ',') /* the rest of a malformed member */
			p++;
	}
}

/* An HTTP qvalue ("0", "0.5", "1.000"; RFC 9110 12.4.2) at *p, as 0..1000;
 * *p moves past it. -1: not a qvalue. */
static int qvalue(const char **p)
{
	const char *s = *p;
	int q, scale = 100;

	if (*s != '0' && *s != '1')
		return -1;
	q = (*s++ - '0') * 1000;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9' && scale; s++, scale /= 10)
			q += (*s - '0') * scale;
	if (q > 1000 || (*s >= '0' && *s <= '9'))
		return -1;
	*p = s;
	return q;
}

static int is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Does the Accept-Encoding value ae (NULL: absent) let us send gzip?
 * RFC 9110 12.5.3: a list of codings, each perhaps with ";q=" a weight
 * (0: not acceptable), case-insensitive, "x-gzip" the same as "gzip", "*"
 * any coding not listed. gzip goes out when its weight (its own, else that
 * of "*") is above 0 and not below that of identity (its own, else that of
 * "*", else no preference stated). Absent or empty: identity only. A
 * malformed member is ignored; of a coding listed twice, the first counts. */
static int accepts_gzip(const char *ae)
{
	int q_gzip = -1, q_star = -1, q_identity = -1;
	const char *p = ae;

	if (!ae)
		return 0;
	for (;;) {
		const char *tok;
		size_t n;
		int q = 1000, bad = 0;

		while (is_ows(*p) || *p == ',')
			p++;
		if (!*p)
			break;
		for (tok = p; is_tchar(*p); p++)
			;
		n = (size_t)(p - tok);
		while (is_ows(*p))
			p++;
		while (*p == ';' && !bad) {
			for (p++; is_ows(*p); p++)
				;
			if ((*p == 'q' || *p == 'Q') && p[1] == '=') {
				p += 2;
				if ((q = qvalue(&p)) < 0)
					bad = 1;
			} else {
				bad = 1; /* a weight is the only parameter */
			}
			while (is_ows(*p))
				p++;
		}
		if (*p && *p != ',')
			bad = 1;
		while (*p && *p != ',')
			p++;
		if (!n || bad)
			continue;
		if ((n == 4 && !strncasecmp(tok, "gzip", 4)) ||
		    (n == 6 && !strncasecmp(tok, "x-gzip", 6))) {
			if (q_gzip < 0)
				q_gzip = q;
		} else if (n == 8 && !strncasecmp(tok, "identity", 8)) {
			if (q_identity < 0)
				q_identity = q;
		} else if (n == 1 && *tok == '*') {
			if (q_star < 0)
				q_star = q;
		}
	}
	if (q_gzip < 0)
		q_gzip = q_star < 0 ? 0 : q_star;
	if (q_identity < 0)
		q_identity = q_star < 0 ? 0 : q_star;
	return q_gzip > 0 && q_gzip >= q_identity;
}

/* Answer the file data (size bytes), or its gzip-compressed copy gz
 * (gz_size bytes; NULL: there is none) when the request takes it. */
static void send_file(struct api_req *r, const char *type, const unsigned char *data,
		      size_t size, const unsigned char *gz, size_t gz_size)
{
	char etag[ETAG_SIZE];
	int use_gz = gz && accepts_gzip(api_header(r, "Accept-Encoding"));
	const char *headers[16] = {
		"ETag", etag,
		"Cache-Control", "no-cache",
		"Content-Security-Policy", page_csp,
	};
	size_t h = 6;

	etag_of(data, size, use_gz, etag);
	if (gz) { /* the answer depends on Accept-Encoding: say so, 304 too */
		headers[h++] = "Vary";
		headers[h++] = "Accept-Encoding";
	}
	if (etag_matches(api_header(r, "If-None-Match"), etag)) {
		api_raw_headers(r, 304, type, "", 0, headers);
		return;
	}
	if (use_gz) {
		headers[h++] = "Content-Encoding";
		headers[h++] = "gzip";
		api_raw_headers(r, 200, type, gz, gz_size, headers);
	} else {
		api_raw_headers(r, 200, type, data, size, headers);
	}
}

void h_static(struct api_req *r)
{
	char path[WEB_PATH_MAX];
	const char *type;
	const struct web_file *f;
	unsigned char *data = NULL;
	size_t size = 0;
	enum mu_err rc;

	if (web_path(r->path, path, sizeof(path)) || !(type = type_of(path))) {
		api_fail(r, MU_ENOTFOUND, NULL, "no such page: %.200s", r->path);
		return;
	}
	if (!web_dir) {
		f = embedded(path);
		if (f)
			send_file(r, type, f->data, f->size, f->gz, f->gz_size);
		else
			api_fail(r, MU_ENOTFOUND, NULL, "no such page: %.200s", r->path);
		return;
	}
	rc = read_dir_file(path, &data, &size);
	if (rc == MU_OK)
		send_file(r, type, data, size, NULL, 0);
	else if (rc == MU_ENOTFOUND)
		api_fail(r, MU_ENOTFOUND, NULL, "no such page: %.200s", r->path);
	else
		api_fail(r, rc, NULL, "cannot read the page %.200s", r->path);
	free(data);
}
