/*
 * audit.c: `muster audit` — check the tamper-evident audit log.
 *
 *   verify --db PATH [--key HEX]       recompute the whole Merkle tree from
 *                                      the entries, check every stored
 *                                      interior hash and signed head; name
 *                                      the first bad index (exit 1)
 *   verify-proof --key HEX RECEIPT     check a receipt offline, no database
 *   key --db PATH                      print the log's public key
 *   bench --db PATH --entries N        (hidden) append N synthetic entries
 *                                      in batches and report entries/s
 *
 * verify opens the file read-only and never through the writer, so it
 * changes nothing, even on a register that was tampered with.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "audit/leaf.h"
#include "audit/sha256.h"
#include "audit/sth.h"
#include "cli/cli.h"

#define RECEIPT_MAX (1024 * 1024)
#define BENCH_BATCH_DEFAULT 10000
#define BENCH_BATCH_MAX 100000

struct audit_opts {
	const char *db;
	const char *key;
	long long entries, batch;
	int existing;             /* bench: append to a file that exists */
	const char *file;
};

static int parse_opts(int argc, char **argv, struct audit_opts *o)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"key", required_argument, NULL, 'k'},
		{"entries", required_argument, NULL, 'n'},
		{"batch", required_argument, NULL, 'b'},
		{"existing", no_argument, NULL, 'x'},
		{NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->batch = BENCH_BATCH_DEFAULT;
	optind = 1;
	while ((c = cli_getopt(argc - 1, argv + 1, opts)) != -1) {
		if (c == 'd')
			o->db = optarg;
		else if (c == 'k')
			o->key = optarg;
		else if (c == 'x')
			o->existing = 1;
		else if (c == 'n' || c == 'b') {
			long long v = strtoll(optarg, &end, 10);
			if (*end || v < 1)
				return cli_usage("audit", "--%s must be a positive number",
						 c == 'n' ? "entries" : "batch");
			*(c == 'n' ? &o->entries : &o->batch) = v;
		} else
			return cli_usage("audit", "bad option '%.60s'", cli_bad_option());
	}
	if (optind + 1 < argc)
		o->file = argv[optind + 1];
	if (optind + 2 < argc)
		return cli_usage("audit", "unexpected argument '%s'", argv[optind + 2]);
	return 0;
}

static int parse_key(const char *hex, unsigned char pk[32])
{
	if (!hex)
		return cli_usage("audit", "--key PUBLIC_KEY (64 hex digits) is required");
	if (audit_unhex(hex, pk, 32))
		return cli_usage("audit", "--key must be 64 hex digits (GET /v1/audit/key)");
	return 0;
}

/* ---- verify ----------------------------------------------------------- */

static int report_broken(const struct audit_report *rep)
{
	printf("audit log BROKEN\n");
	if (rep->bad_idx >= 0)
		printf("first bad index: %lld\n", (long long)rep->bad_idx);
	if (rep->bad_head >= 0)
		printf("first bad signed head: size %lld\n", (long long)rep->bad_head);
	printf("reason: %s\n", rep->reason);
	/* the walk may have read past the bad entry (a chunk is read whole,
	 * a bucket's postings are checked at its end): what verifies is what
	 * comes before the first bad index */
	printf("entries before it verify: %lld; signed heads checked: %lld\n",
	       (long long)(rep->bad_idx >= 0 && rep->bad_idx < rep->entries ? rep->bad_idx
									: rep->entries),
	       (long long)rep->heads);
	if (rep->bad_idx >= 0)
		fprintf(stderr, "muster: audit log broken at index %lld: %s\n",
			(long long)rep->bad_idx, rep->reason);
	else
		fprintf(stderr, "muster: audit log broken: %s\n", rep->reason);
	return EXIT_USER;
}

static int audit_verify(const struct audit_opts *o)
{
	unsigned char pk[32];
	struct audit_report rep;
	struct mu_error e = {0};
	const char *db = cli_db(o->db);
	enum mu_err rc;

	if (!db)
		return cli_usage("audit", "--db PATH is required");
	if (o->key && parse_key(o->key, pk))
		return EXIT_USAGE;
	rc = store_audit_verify_file(db, o->key ? pk : NULL, &rep, &e);
	if (rc == MU_ECONFLICT)
		return report_broken(&rep);
	if (rc != MU_OK)
		return cli_fail(&e);
	printf("audit log intact: %lld entries, %lld signed heads verified\n",
	       (long long)rep.entries, (long long)rep.heads);
	return 0;
}

/* ---- verify-proof ----------------------------------------------------- */

static char *read_file(const char *path, struct mu_error *err)
{
	FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = NULL;
	size_t n = 0;

	if (!fp) {
		mu_fail(err, MU_ENOTFOUND, "receipt", "cannot open %.200s", path);
		return NULL;
	}
	buf = malloc(RECEIPT_MAX + 1);
	if (buf)
		n = fread(buf, 1, RECEIPT_MAX + 1, fp);
	if (fp != stdin)
		fclose(fp);
	if (!buf || n > RECEIPT_MAX) {
		mu_fail(err, MU_ETOOBIG, "receipt", "%.200s is larger than %d bytes", path,
			RECEIPT_MAX);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static int audit_verify_proof(const struct audit_opts *o)
{
	unsigned char pk[32];
	struct audit_entry ent;
	struct mu_error e = {0};
	json_error_t jerr;
	json_t *r = NULL;
	char *text = NULL;
	int rc = EXIT_USER;

	if (parse_key(o->key, pk))
		return EXIT_USAGE;
	if (!o->file)
		return cli_usage("audit", "give the receipt file (or - for stdin)");
	if (!(text = read_file(o->file, &e)))
		return cli_fail(&e);
	if (!(r = json_loads(text, 0, &jerr))) {
		fprintf(stderr, "muster: receipt: not JSON (line %d: %s)\n", jerr.line,
			jerr.text);
		goto out;
	}
	if (audit_receipt_verify(r, pk, &ent, &e) != MU_OK) {
		printf("receipt INVALID\n");
		fprintf(stderr, "muster: receipt INVALID: %s\n", e.detail);
		goto out;
	}
	printf("receipt valid: entry %lld (%s of %s %s) is in the log of %lld entries "
	       "signed by this key\n", (long long)ent.idx, ent.action, ent.subject_type,
	       ent.subject_id, (long long)json_integer_value(json_object_get(
		       json_object_get(r, "signed_head"), "size")));
	rc = 0;
out:
	json_decref(r);
	free(text);
	return rc;
}

/* ---- key -------------------------------------------------------------- */

static int audit_key(const struct audit_opts *o)
{
	unsigned char pk[32];
	char hex[65];
	struct mu_error e = {0};
	struct store *st;
	const char *db = cli_db(o->db);
	enum mu_err rc;

	if (!db)
		return cli_usage("audit", "--db PATH is required");
	if (store_open(db, NULL, &st, &e))
		return cli_fail(&e);
	rc = store_audit_key(st, pk);
	store_close(st);
	if (rc)
		return cli_fail(&e);
	printf("%s\n", audit_hex(pk, 32, hex));
	return 0;
}

/* ---- bench ------------------------------------------------------------ */

static double seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Synthetic agency checks: the most frequent entries a register logs. */
static void bench_fill(struct audit_entry *v, size_t n, long long from, int64_t at)
{
	for (size_t i = 0; i < n; i++) {
		long long k = from + (long long)i;
		struct audit_entry *e = &v[i];
		memset(e, 0, sizeof(*e));
		e->at = at + k / 1000;
		snprintf(e->actor_token, sizeof(e->actor_token), "tbench%09lld", k % 7);
		snprintf(e->actor_role, sizeof(e->actor_role), "agency");
		snprintf(e->action, sizeof(e->action), "check");
		snprintf(e->subject_type, sizeof(e->subject_type), "person");
		snprintf(e->subject_id, sizeof(e->subject_id), "BENCH-%08lld", k % 100000);
		snprintf(e->person, sizeof(e->person), "BENCH-%08lld", k % 100000);
		snprintf(e->purpose, sizeof(e->purpose), "exit");
		snprintf(e->request_id, sizeof(e->request_id), "r%012lld", k);
		snprintf(e->detail, sizeof(e->detail), "{\"permitted\":%s}",
			 k % 3 ? "true" : "false");
	}
}

static void bench_report(long long n, size_t batch, double wall, double cpu)
{
	printf("appended %lld entries in %.3f s: %.0f entries/s (batch %zu, one "
	       "transaction per batch, synchronous=FULL, SHA-256 %s)\n", n, wall,
	       (double)n / wall, batch,
	       audit_sha256_accelerated() ? "with SHA extensions" : "portable");
	printf("cpu: %.3f s while appending: %.0f entries per cpu-second "
	       "(what an idle core sustains)\n", cpu, (double)n / cpu);
}

static int bench_run(struct store *st, const struct audit_opts *o, struct mu_error *e)
{
	size_t batch = (size_t)(o->batch < BENCH_BATCH_MAX ? o->batch : BENCH_BATCH_MAX);
	struct audit_entry *v = calloc(batch, sizeof(*v));
	double wall = 0, cpu = 0, t0, c0;
	int64_t at = mu_now();

	if (!v)
		return mu_fail(e, MU_ENOMEM, NULL, "out of memory");
	for (long long done = 0; done < o->entries;) {
		size_t n = (size_t)(o->entries - done < (long long)batch ? o->entries - done
									  : (long long)batch);
		bench_fill(v, n, done, at);
		t0 = seconds(CLOCK_MONOTONIC);
		c0 = seconds(CLOCK_PROCESS_CPUTIME_ID); /* the writer's, while we wait */
		if (store_audit_append_many(st, v, n) != MU_OK) {
			free(v);
			return mu_fail(e, MU_EIO, NULL, "append failed after %lld entries", done);
		}
		wall += seconds(CLOCK_MONOTONIC) - t0;
		cpu += seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
		done += (long long)n;
	}
	free(v);
	bench_report(o->entries, batch, wall, cpu);
	return MU_OK;
}

static int audit_bench(const struct audit_opts *o)
{
	struct store_options opt = {.create = 1};
	struct mu_error e = {0};
	struct store *st;
	const char *db = cli_db(o->db);
	enum mu_err rc;

	if (!db || o->entries < 1)
		return cli_usage("audit", "bench needs --db PATH and --entries N");
	/* synthetic entries in a real register's append-only log would stay
	 * there for good: bench makes a new file only (bench/audit.sh) */
	if (access(db, F_OK) == 0 && !o->existing) {
		mu_fail(&e, MU_EINVAL, "db", "audit bench appends synthetic entries: give it"
			" a path that does not exist yet, never a register (--existing: a"
			" test register only)");
		return cli_fail(&e);
	}
	if (store_open(db, &opt, &st, &e))
		return cli_fail(&e);
	rc = bench_run(st, o, &e);
	store_close(st);
	return rc ? cli_fail(&e) : 0;
}

int cmd_audit(int argc, char **argv)
{
	struct audit_opts o;
	const char *sub = argc >= 2 ? argv[1] : "";

	if (parse_opts(argc, argv, &o))
		return EXIT_USAGE;
	if (strcmp(sub, "bench") && (o.entries || o.batch != BENCH_BATCH_DEFAULT || o.existing))
		return cli_usage("audit", "--entries, --batch and --existing are for audit"
				 " bench only");
	if (!strcmp(sub, "verify"))
		return o.file ? cli_usage("audit", "unexpected argument '%s'", o.file)
			      : audit_verify(&o);
	if (!strcmp(sub, "verify-proof"))
		return audit_verify_proof(&o);
	if (!strcmp(sub, "key"))
		return audit_key(&o);
	if (!strcmp(sub, "bench"))
		return audit_bench(&o);
	return cli_usage("audit", "say verify, verify-proof or key");
}
