/*
 * checkidx.c: an open-addressing hash table (linear probing, backward-shift
 * deletion) of 32-bit references into a dense array of entries. Keys are
 * hashed with SipHash under a key drawn at creation, so that chosen
 * national ids cannot pile up in one probe sequence.
 */
#include "store/checkidx.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct ci_entry {
	char id[NATIONAL_ID_MAX + 1];
	uint8_t mask;      /* kinds in force */
	uint8_t second;    /* bit k: kind k rests on basis[1] */
	uint8_t complex;   /* more than two summonses: ask the register */
	int64_t since[RK__COUNT];
	char basis[2][SUMMONS_ID_MAX + 1];
};

struct checkidx {
	uint32_t *slot;    /* 0 empty, else entry index + 1 */
	size_t cap;        /* slots, a power of two */
	struct ci_entry *e;
	size_t n, ecap;
	unsigned char key[crypto_shorthash_KEYBYTES];
};

static size_t hash(const struct checkidx *ci, const char *id)
{
	uint64_t h;

	crypto_shorthash((unsigned char *)&h, (const unsigned char *)id, strlen(id), ci->key);
	return (size_t)h;
}

/* The slot holding id, or the empty slot where it would go. */
static size_t find(const struct checkidx *ci, const char *id)
{
	size_t m = ci->cap - 1, i = hash(ci, id) & m;

	while (ci->slot[i] && strcmp(ci->e[ci->slot[i] - 1].id, id) != 0)
		i = (i + 1) & m;
	return i;
}

static int grow(struct checkidx *ci)
{
	size_t cap = ci->cap ? ci->cap * 2 : 1024;
	uint32_t *slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return -1;
	free(ci->slot);
	ci->slot = slot;
	ci->cap = cap;
	for (size_t k = 0; k < ci->n; k++)
		ci->slot[find(ci, ci->e[k].id)] = (uint32_t)(k + 1);
	return 0;
}

struct checkidx *ci_new(void)
{
	struct checkidx *ci = calloc(1, sizeof(*ci));

	if (!ci || sodium_init() < 0 || grow(ci) != 0) {
		ci_free(ci);
		return NULL;
	}
	crypto_shorthash_keygen(ci->key);
	return ci;
}

void ci_free(struct checkidx *ci)
{
	if (!ci)
		return;
	free(ci->slot);
	free(ci->e);
	free(ci);
}

/* Compress st into e: at most two distinct summonses, else complex. */
static void encode(struct ci_entry *e, const struct ci_state *st)
{
	int nb = 0;

	e->mask = e->second = e->complex = 0;
	memset(e->since, 0, sizeof(e->since));
	memset(e->basis, 0, sizeof(e->basis));
	for (int k = 0; k < RK__COUNT; k++) {
		int b;
		if (!(st->mask & (1u << k)))
			continue;
		e->mask |= (uint8_t)(1u << k);
		e->since[k] = st->since[k];
		for (b = 0; b < nb && strcmp(e->basis[b], st->basis[k]); b++)
			;
		if (b == nb) {
			if (nb == 2) {
				e->complex = 1;
				continue;
			}
			memcpy(e->basis[nb++], st->basis[k], SUMMONS_ID_MAX + 1);
			e->basis[b][SUMMONS_ID_MAX] = '\0';
		}
		if (b == 1)
			e->second |= (uint8_t)(1u << k);
	}
}

/* Remove the entry in slot i: shift the probe sequence back over the
 * hole, then move the last entry into the freed place of the array. */
static void remove_at(struct checkidx *ci, size_t i)
{
	size_t m = ci->cap - 1, k = ci->slot[i] - 1, j = i;

	ci->slot[i] = 0;
	for (;;) {
		size_t home;
		j = (j + 1) & m;
		if (!ci->slot[j])
			break;
		home = hash(ci, ci->e[ci->slot[j] - 1].id) & m;
		/* may the entry at j move to the hole at i? yes unless its
		 * home lies cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			ci->slot[i] = ci->slot[j];
			ci->slot[j] = 0;
			i = j;
		}
	}
	if (k != ci->n - 1) {
		ci->e[k] = ci->e[ci->n - 1];
		ci->slot[find(ci, ci->e[k].id)] = (uint32_t)(k + 1);
	}
	ci->n--;
}

int ci_put(struct checkidx *ci, const char *id, const struct ci_state *st)
{
	size_t i;

	if (strlen(id) > NATIONAL_ID_MAX)
		return st->mask ? -1 : 0;
	i = find(ci, id);
	if (!st->mask) {
		if (ci->slot[i])
			remove_at(ci, i);
		return 0;
	}
	if (!ci->slot[i]) {
		if ((ci->n + 1) * 2 > ci->cap) {
			if (grow(ci) != 0)
				return -1;
			i = find(ci, id);
		}
		if (ci->n == ci->ecap) {
			size_t ecap = ci->ecap ? ci->ecap * 2 : 512;
			struct ci_entry *e = realloc(ci->e, ecap * sizeof(*e));
			if (!e)
				return -1;
			ci->e = e;
			ci->ecap = ecap;
		}
		memset(&ci->e[ci->n], 0, sizeof(ci->e[0]));
		memcpy(ci->e[ci->n].id, id, strlen(id) + 1);
		ci->slot[i] = (uint32_t)(++ci->n);
	}
	encode(&ci->e[ci->slot[i] - 1], st);
	return 0;
}

int ci_get(const struct checkidx *ci, const char *id, int k, int64_t *since,
	   char basis[SUMMONS_ID_MAX + 1])
{
	size_t i = find(ci, id);
	const struct ci_entry *e;

	if (!ci->slot[i])
		return 0;
	e = &ci->e[ci->slot[i] - 1];
	if (e->complex)
		return -1;
	if (!(e->mask & (1u << k)))
		return 0;
	*since = e->since[k];
	memcpy(basis, e->basis[(e->second >> k) & 1], SUMMONS_ID_MAX + 1);
	return 1;
}

size_t ci_count(const struct checkidx *ci)
{
	return ci->n;
}

size_t ci_bytes(const struct checkidx *ci)
{
	return sizeof(*ci) + ci->cap * sizeof(*ci->slot) + ci->ecap * sizeof(*ci->e);
}
