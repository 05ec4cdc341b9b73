// SPDX-License-Identifier: GPL-2.0
/*
 * xlockd's in-memory copy of the lock table: an open-addressing hash of
 * entries by id (linear probing, backward-shift deletion).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

/*
 * The slot is taken from the low bits, so every bit of the id must reach
 * them: a bare multiply leaves the low bits of ids that share theirs alike
 * (300k entries loaded slower than 1M, all in long probe runs). Each store
 * mixes in a seed of its own: entries put in the slot order of another
 * store with the same hash (a snapshot is written in that order) would
 * otherwise land in long runs while the table is smaller than the other
 * one (300k loaded from a snapshot: 2738 slots past home per entry, against
 * 2.2 with a seed per store; tests/host/journal_test.c).
 */
static size_t slot_of(const struct store *st, uint32_t id, size_t cap)
{
	uint32_t h = id ^ st->seed;

	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h & (cap - 1);
}

/* Distinct for every store of a process, and from one process to the next. */
static uint32_t seed_next(void)
{
	static uint32_t base, n;
	struct timespec ts;

	if (!base) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		base = ((uint32_t)ts.tv_nsec ^ (uint32_t)getpid() << 16) | 1;
	}
	return base + 0x9e3779b9u * ++n;
}

void store_init(struct store *st)
{
	memset(st, 0, sizeof(*st));
}

void store_clear(struct store *st)
{
	size_t i;

	for (i = 0; i < st->cap; i++) {
		if (st->slots[i].used)
			free(st->slots[i].path);
		st->slots[i].used = false;
	}
	st->count = 0;
}

void store_free(struct store *st)
{
	store_clear(st);
	free(st->slots);
	store_init(st);
}

/* The slot holding @id, or the empty one where it would go (@st->cap > 0). */
static size_t probe(const struct store *st, uint32_t id)
{
	size_t i;

	for (i = slot_of(st, id, st->cap); st->slots[i].used && st->slots[i].id != id;
	     i = (i + 1) & (st->cap - 1))
		;
	return i;
}

static struct pentry *find(const struct store *st, uint32_t id)
{
	size_t i;

	if (!st->cap)
		return NULL;
	i = probe(st, id);
	return st->slots[i].used ? &st->slots[i] : NULL;
}

static int grow(struct store *st)
{
	size_t cap = st->cap ? st->cap * 2 : 1024, i, j;
	struct pentry *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -1;
	/* Empty until now (a zeroed store too): a seed of its own. */
	if (!st->cap)
		st->seed = seed_next();
	for (i = 0; i < st->cap; i++) {
		if (!st->slots[i].used)
			continue;
		for (j = slot_of(st, st->slots[i].id, cap); slots[j].used; j = (j + 1) & (cap - 1))
			;
		slots[j] = st->slots[i];
	}
	free(st->slots);
	st->slots = slots;
	st->cap = cap;
	return 0;
}

/* Insert or replace @e, with @path (allocated) as its path. */
static int put(struct store *st, const struct pentry *e, char *path)
{
	size_t i = st->cap ? probe(st, e->id) : 0;

	if (st->cap && st->slots[i].used) {
		free(st->slots[i].path);
		st->slots[i] = *e;
		st->slots[i].path = path;
		st->slots[i].used = true;
		return 0;
	}
	if ((st->count + 1) * 4 > st->cap * 3) {
		if (grow(st)) {
			free(path);
			return -1;
		}
		i = probe(st, e->id);
	}
	st->probes += (i - slot_of(st, e->id, st->cap)) & (st->cap - 1);
	st->slots[i] = *e;
	st->slots[i].path = path;
	st->slots[i].used = true;
	st->count++;
	return 0;
}

/* Is @h in the cyclic interval (i, j]? */
static bool between(size_t i, size_t h, size_t j)
{
	return i <= j ? h > i && h <= j : h > i || h <= j;
}

void store_del(struct store *st, uint32_t id)
{
	struct pentry *p = find(st, id);
	size_t i, j, home;

	if (!p)
		return;
	free(p->path);
	i = p - st->slots;
	st->slots[i].used = false;
	st->count--;
	/* Shift back what probed past the hole so lookups still find it. */
	for (j = (i + 1) & (st->cap - 1); st->slots[j].used; j = (j + 1) & (st->cap - 1)) {
		home = slot_of(st, st->slots[j].id, st->cap);
		if (!between(i, home, j)) {
			st->slots[i] = st->slots[j];
			st->slots[j].used = false;
			i = j;
		}
	}
}

int store_put(struct store *st, const struct pentry *e)
{
	char *path = strdup(e->path ? e->path : "");

	if (!path)
		return -1;
	return put(st, e, path);
}

int store_put_take(struct store *st, struct pentry *e)
{
	return put(st, e, e->path);
}

struct pentry *store_get(const struct store *st, uint32_t id)
{
	return find(st, id);
}

const struct pentry *store_next(const struct store *st, size_t *i)
{
	for (; *i < st->cap; (*i)++)
		if (st->slots[*i].used)
			return &st->slots[(*i)++];
	return NULL;
}

/* The same lock or lease of the same owner on the same file? */
bool pentry_same(const struct pentry *a, const struct pentry *b)
{
	return a->proto == b->proto && a->kind == b->kind && a->mode == b->mode &&
	       a->start == b->start && a->end == b->end && a->svid == b->svid &&
	       !memcmp(a->lease_key, b->lease_key, sizeof(a->lease_key)) &&
	       !strcmp(a->client, b->client) && !strcmp(a->path, b->path);
}
