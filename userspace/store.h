/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlockd's in-memory copy of the lock table: the persisted entries, by
 * kernel entry id (ids are unique within one module instance).
 */
#ifndef XLOCKD_STORE_H
#define XLOCKD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PENTRY_CLIENT_MAX 63
#define PENTRY_PATH_MAX 4096

struct pentry {
	uint32_t id;
	uint8_t proto, kind, mode, state;
	uint32_t flags;
	uint64_t start, end;
	uint32_t svid;
	uint8_t lease_key[16];
	char client[PENTRY_CLIENT_MAX + 1];
	char *path;			/* owned; "" if unknown */
	bool used;
};

struct store {
	struct pentry *slots;		/* open addressing, by id */
	size_t cap, count;
	uint32_t seed;			/* of the slot hash: see store.c */
	size_t probes;			/* slots past their home new entries took: clustering */
};

void store_init(struct store *st);
void store_free(struct store *st);
void store_clear(struct store *st);
/* Insert or replace (by id); copies @e and its path. Returns -1 if out of memory. */
int store_put(struct store *st, const struct pentry *e);
/* The same, but @e->path (from malloc) becomes the store's, even on failure. */
int store_put_take(struct store *st, struct pentry *e);
void store_del(struct store *st, uint32_t id);
struct pentry *store_get(const struct store *st, uint32_t id);

/* Iterate: @i starts at 0; returns the next entry or NULL at the end. */
const struct pentry *store_next(const struct store *st, size_t *i);

/* The same lock or lease of the same owner on the same file (state aside)? */
bool pentry_same(const struct pentry *a, const struct pentry *b);

#endif
