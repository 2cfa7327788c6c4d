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
 * Must not: know anything of the API. The pages reach the register through
 * the public HTTP API with the user's own token, like any other client.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/api.h"

#define WEB_FILE_MAX (4 * 1024 * 1024) /* a file read from --web DIR */
#define WEB_PATH_MAX 256

/* The generated table (cmake/embed.cmake), ended by a NULL path. */
extern const struct web_file {
	const char *path;
	const unsigned char *data;
	size_t size;
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

/* A strong validator: "w-" and 64-bit FNV-1a of the bytes, in hex. */
static void etag_of(const unsigned char *data, size_t size, char out[24])
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < size; i++) {
		h ^= data[i];
		h *= 1099511628211ULL;
	}
	snprintf(out, 24, "\"w-%016llx\"", (unsigned long long)h);
}

/* Does If-None-Match (a list, or "*") name etag? */
static int etag_matches(const char *inm, const char *etag)
{
	return inm && (strstr(inm, etag) || !strcmp(inm, "*"));
}

static void send_file(struct api_req *r, const char *type, const unsigned char *data,
		      size_t size)
{
	char etag[24];
	const char *headers[] = {
		"ETag", etag,
		"Cache-Control", "no-cache",
		"Content-Security-Policy", page_csp,
		NULL, NULL,
	};

	etag_of(data, size, etag);
	if (etag_matches(api_header(r, "If-None-Match"), etag))
		api_raw_headers(r, 304, type, "", 0, headers);
	else
		api_raw_headers(r, 200, type, data, size, headers);
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
			send_file(r, type, f->data, f->size);
		else
			api_fail(r, MU_ENOTFOUND, NULL, "no such page: %.200s", r->path);
		return;
	}
	rc = read_dir_file(path, &data, &size);
	if (rc == MU_OK)
		send_file(r, type, data, size);
	else if (rc == MU_ENOTFOUND)
		api_fail(r, MU_ENOTFOUND, NULL, "no such page: %.200s", r->path);
	else
		api_fail(r, rc, NULL, "cannot read the page %.200s", r->path);
	free(data);
}
