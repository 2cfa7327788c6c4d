/*
 * dupset.c: duplicate keys of a file in bounded memory. See dupset.h.
 */
#include "ingest/dupset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dupset {
	struct dupset_entry *mem;
	size_t n;
	FILE *part[DUPSET_PARTS];
	int spilled;
};

enum mu_err dupset_new(struct dupset **out)
{
	struct dupset *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (!d)
		return MU_ENOMEM;
	*out = d;
	return MU_OK;
}

static unsigned part_of(const char *key)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < DUPSET_KEY_MAX && key[i]; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	return h % DUPSET_PARTS;
}

/* Move every in-memory entry to its partition file. */
static enum mu_err spill(struct dupset *d)
{
	if (!d->spilled) {
		for (size_t i = 0; i < DUPSET_PARTS; i++) {
			d->part[i] = tmpfile();
			if (!d->part[i])
				return MU_EIO;
		}
		d->spilled = 1;
	}
	for (size_t i = 0; i < d->n; i++)
		if (fwrite(&d->mem[i], sizeof(d->mem[i]), 1,
			   d->part[part_of(d->mem[i].key)]) != 1)
			return MU_EIO;
	d->n = 0;
	return MU_OK;
}

enum mu_err dupset_add(struct dupset *d, const char *key, uint64_t row,
		       uint64_t line)
{
	size_t len = strlen(key);
	struct dupset_entry *e;

	if (len > DUPSET_KEY_MAX)
		return MU_EINVAL;
	if (!d->mem) {
		d->mem = malloc(DUPSET_MEM_ENTRIES * sizeof(*d->mem));
		if (!d->mem)
			return MU_ENOMEM;
	}
	if (d->n == DUPSET_MEM_ENTRIES) {
		enum mu_err rc = spill(d);
		if (rc)
			return rc;
	}
	e = &d->mem[d->n++];
	memset(e->key, 0, sizeof(e->key));
	memcpy(e->key, key, len);
	e->row = row;
	e->line = line;
	return MU_OK;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct dupset_entry *x = a, *y = b;
	int c = memcmp(x->key, y->key, DUPSET_KEY_MAX);

	if (c)
		return c;
	return x->row < y->row ? -1 : x->row > y->row;
}

static void report(struct dupset_entry *v, size_t n, dupset_fn fn, void *arg)
{
	size_t i = 0;

	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_entry);
	while (i < n) {
		size_t j = i + 1;
		while (j < n && !memcmp(v[i].key, v[j].key, DUPSET_KEY_MAX))
			j++;
		if (j - i > 1)
			fn(arg, &v[i], j - i);
		i = j;
	}
}

static enum mu_err each_part(struct dupset *d, FILE *f, dupset_fn fn, void *arg)
{
	long size;
	size_t n;
	struct dupset_entry *v;

	if (fflush(f) || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		return MU_EIO;
	n = (size_t)size / sizeof(*v);
	if (!n)
		return MU_OK;
	v = n <= DUPSET_MEM_ENTRIES ? d->mem : malloc(n * sizeof(*v));
	if (!v)
		return MU_ENOMEM;
	if (fread(v, sizeof(*v), n, f) != n) {
		if (v != d->mem)
			free(v);
		return MU_EIO;
	}
	report(v, n, fn, arg);
	if (v != d->mem)
		free(v);
	return MU_OK;
}

enum mu_err dupset_each(struct dupset *d, dupset_fn fn, void *arg)
{
	enum mu_err rc;

	if (!d->spilled) {
		report(d->mem, d->n, fn, arg);
		d->n = 0;
		return MU_OK;
	}
	if ((rc = spill(d)))
		return rc;
	for (size_t i = 0; i < DUPSET_PARTS; i++)
		if ((rc = each_part(d, d->part[i], fn, arg)))
			return rc;
	return MU_OK;
}

void dupset_free(struct dupset *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < DUPSET_PARTS; i++)
		if (d->part[i])
			fclose(d->part[i]);
	free(d->mem);
	free(d);
}
