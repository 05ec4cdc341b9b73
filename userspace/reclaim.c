// SPDX-License-Identifier: GPL-2.0
/*
 * After a restart: what was persisted becomes the kernel's reclaim set and
 * one grace period starts for NLM and SMB. The set is also kept on disk
 * (the reclaim file) until that grace period ends, so a crash during grace
 * loses nothing that could still be reclaimed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "daemon.h"
#include "nlattr.h"
#include "reclaim.h"

/* Message room for a full batch, the path and the client. */
#define RECLAIM_MSG_SIZE (XLOCK_RECLAIM_RECS_MAX * sizeof(struct xlock_reclaim_rec) + 8192)

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* One entry in sort order: a hash of its file and owner first (cheap to compare). */
struct item {
	uint64_t h;
	const struct pentry *e;
};

static uint64_t group_hash(const struct pentry *e)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */
	const char *p;

	for (p = e->path; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	for (p = e->client; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	return h;
}

/* The same file and owner (one RECLAIM_ADD each)? */
static bool same_group(const struct item *a, const struct item *b)
{
	return a->h == b->h && !strcmp(a->e->path, b->e->path) &&
	       !strcmp(a->e->client, b->e->client);
}

/* By file and owner (hash first, so groups are contiguous), then the rest. */
static int cmp_item(const void *pa, const void *pb)
{
	const struct item *x = pa, *y = pb;
	const struct pentry *a = x->e, *b = y->e;
	int r;

	if ((r = cmp_u64(x->h, y->h)) || (r = strcmp(a->path, b->path)) ||
	    (r = strcmp(a->client, b->client)) ||
	    (r = cmp_u64(a->proto, b->proto)) || (r = cmp_u64(a->kind, b->kind)) ||
	    (r = cmp_u64(a->start, b->start)) || (r = cmp_u64(a->end, b->end)) ||
	    (r = cmp_u64(a->mode, b->mode)) || (r = cmp_u64(a->svid, b->svid)))
		return r;
	return memcmp(a->lease_key, b->lease_key, sizeof(a->lease_key));
}

/* Every entry of the stores, sorted; the caller frees the array. */
static struct item *sorted(const struct store **sts, int nr, size_t *n)
{
	const struct pentry *e;
	size_t total = 0, i;
	struct item *v;
	int s;

	for (s = 0; s < nr; s++)
		total += sts[s]->count;
	v = malloc((total + 1) * sizeof(*v));
	if (!v)
		die("out of memory sorting %zu entries", total);
	*n = 0;
	for (s = 0; s < nr; s++)
		for (i = 0; (e = store_next(sts[s], &i));)
			v[(*n)++] = (struct item){ .h = group_hash(e), .e = e };
	qsort(v, *n, sizeof(*v), cmp_item);
	return v;
}

/*
 * The entries of one store, grouped by file and owner in linear time (a
 * counting sort on group numbers found through a hash table): what loading
 * needs when there is nothing to deduplicate. The caller frees the array.
 */
static struct item *grouped(const struct store *st, size_t *n)
{
	size_t cap = 16, i, k, ng = 0, sum = 0, c;
	uint32_t *group, *slot_group, *count;
	struct item *in, *out;
	const struct pentry *e;
	int64_t *slot;

	*n = 0;
	while (cap < 2 * st->count)
		cap *= 2;
	in = malloc((st->count + 1) * sizeof(*in));
	out = malloc((st->count + 1) * sizeof(*out));
	group = malloc((st->count + 1) * sizeof(*group));
	slot = malloc(cap * sizeof(*slot));
	slot_group = malloc(cap * sizeof(*slot_group));
	count = calloc(st->count + 1, sizeof(*count));
	if (!in || !out || !group || !slot || !slot_group || !count)
		die("out of memory grouping %zu entries", st->count);
	memset(slot, 0xff, cap * sizeof(*slot));
	for (i = 0; (e = store_next(st, &i));)
		in[(*n)++] = (struct item){ .h = group_hash(e), .e = e };
	for (i = 0; i < *n; i++) {
		for (k = in[i].h & (cap - 1); slot[k] >= 0; k = (k + 1) & (cap - 1))
			if (same_group(&in[slot[k]], &in[i]))
				break;
		if (slot[k] < 0) {
			slot[k] = i;
			slot_group[k] = ng++;
		}
		group[i] = slot_group[k];
		count[group[i]]++;
	}
	for (k = 0; k < ng; k++) {
		c = count[k];
		count[k] = sum;
		sum += c;
	}
	for (i = 0; i < *n; i++)
		out[count[group[i]]++] = in[i];
	free(in);
	free(group);
	free(slot);
	free(slot_group);
	free(count);
	return out;
}

static void to_rec(const struct pentry *e, struct xlock_reclaim_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->proto = e->proto;
	r->kind = e->kind;
	if (e->kind == XLOCK_KIND_LEASE || e->kind == XLOCK_KIND_DELEG) {
		r->state = e->state;
		r->end = XLOCK_END_MAX;
		if (e->kind == XLOCK_KIND_LEASE)
			memcpy(r->lease_key, e->lease_key, sizeof(r->lease_key));
		return;
	}
	r->mode = e->mode;
	r->start = e->start;
	r->end = e->end;
	if (e->proto == XLOCK_PROTO_NLM)
		r->svid = e->svid;
}

static int send_batch(struct xlockd *d, const struct pentry *first,
		      const struct xlock_reclaim_rec *recs, size_t n)
{
	struct nl_msg *m;
	int ret;

	if (!first->path[0]) {
		log_warn("%zu entries of %s cannot be reclaimed: their file's path was never known",
			 n, first->client);
		d->reclaim_unloadable += n;
		return 0;
	}
	m = xnl_new_size(&d->req, XLOCK_CMD_RECLAIM_ADD, false, RECLAIM_MSG_SIZE);
	xnl_put_str(m, XLOCK_A_PATH, first->path);
	xnl_put_str(m, XLOCK_A_CLIENT, first->client);
	xnl_put_bin(m, XLOCK_A_RECLAIM_RECS, recs, n * sizeof(*recs));
	ret = xnl_request(&d->req, m, NULL, NULL, NULL);
	if (!ret) {
		d->reclaim_loaded += n;
		return 0;
	}
	d->reclaim_unloadable += n;
	if (ret == -ENOENT && d->req.msg[0]) {
		log_warn("%s: %zu entries of %s cannot be reclaimed: the file is gone",
			 first->path, n, first->client);
		return 0;
	}
	log_err("%s: loading %zu entries of %s to reclaim: %s%s%s", first->path, n,
		first->client, strerror(-ret), d->req.msg[0] ? ": " : "", d->req.msg);
	/* The set is closed or full: the rest would fail the same way. */
	return ret == -EBUSY || ret == -ENOSPC ? ret : 0;
}

/* Load @v (sorted) into the kernel's reclaim set, one message per file and owner. */
static void load_set(struct xlockd *d, const struct item *v, size_t n)
{
	struct xlock_reclaim_rec *recs;
	size_t i, b = 0, start = 0;
	double t0 = now_s();

	recs = calloc(XLOCK_RECLAIM_RECS_MAX, sizeof(*recs));
	if (!recs)
		die("out of memory");
	d->reclaim_loaded = 0;
	d->reclaim_unloadable = 0;
	for (i = 0; i < n; i++) {
		if (b && (b == XLOCK_RECLAIM_RECS_MAX || !same_group(&v[i], &v[start]))) {
			if (send_batch(d, v[start].e, recs, b))
				goto out;
			b = 0;
		}
		if (!b)
			start = i;
		to_rec(v[i].e, &recs[b++]);
	}
	if (b)
		send_batch(d, v[start].e, recs, b);
out:
	free(recs);
	log_info("reclaim set loaded: %llu entries in %.3f s, %llu cannot be reclaimed",
		 (unsigned long long)d->reclaim_loaded, now_s() - t0,
		 (unsigned long long)d->reclaim_unloadable);
}

static void start_grace(struct xlockd *d)
{
	struct nl_msg *m = xnl_new(&d->req, XLOCK_CMD_GRACE_START, false);
	int ret;

	if (d->grace_s)
		xnl_put_u32(m, XLOCK_A_GRACE_S, d->grace_s);
	ret = xnl_request(&d->req, m, NULL, NULL, NULL);
	if (ret)
		log_err("starting the grace period: %s%s%s", strerror(-ret),
			d->req.msg[0] ? ": " : "", d->req.msg);
}

/* Load d->old into the kernel and start grace. */
static void load_and_start(struct xlockd *d)
{
	struct item *v;
	size_t n;

	v = grouped(&d->old, &n);
	load_set(d, v, n);
	free(v);
	start_grace(d);
}

/*
 * The union of @sts without duplicates (an entry reclaimed during an
 * unfinished grace period is persisted twice), as a new store. With one
 * non-empty store, that store is moved instead of copied.
 */
static void merge(struct store *out, struct store **sts, int nr, const struct item *v,
		  size_t n)
{
	struct store set;
	struct pentry e;
	int s, full = 0, which = 0;
	size_t i;

	for (s = 0; s < nr; s++)
		if (sts[s]->count) {
			full++;
			which = s;
		}
	if (full <= 1) {
		set = *sts[which];
		store_init(sts[which]);
	} else {
		store_init(&set);
		for (i = 0; i < n; i++) {
			e = *v[i].e;
			e.id = set.count + 1;
			if (store_put(&set, &e))
				die("out of memory");
		}
	}
	for (s = 0; s < nr; s++)
		store_free(sts[s]);
	*out = set;
}

/*
 * The module restarted (a new instance): everything persisted for the
 * previous one (d->st, d->kept), plus what an earlier, unfinished grace
 * period left (d->old), is the reclaim set.
 */
void reclaim_after_restart(struct xlockd *d)
{
	struct store *sts[] = { &d->old, &d->st, &d->kept };
	const struct store *csts[] = { &d->old, &d->st, &d->kept };
	double t0 = now_s(), t1, t2;
	struct item *v;
	size_t n, m, i;

	for (i = 0, m = 0; i < 3; i++)
		m += !!sts[i]->count;
	if (m <= 1) {
		/* One source: nothing to deduplicate, so no need to sort. */
		v = grouped(d->old.count ? &d->old : d->st.count ? &d->st : &d->kept, &n);
		m = n;
	} else {
		v = sorted(csts, 3, &n);
		for (i = 0, m = 0; i < n; i++)
			if (!m || cmp_item(&v[m - 1], &v[i]))
				v[m++] = v[i];
	}
	if (!m) {
		free(v);
		journal_drop_reclaim(&d->j);
		return;
	}
	log_info("the module restarted (instance %016llx, was %016llx): %zu persisted entries to reclaim",
		 (unsigned long long)d->instance, (unsigned long long)d->j.instance, m);
	/* The set is loaded from @v before the stores move (they own its entries). */
	t1 = now_s();
	if (d->grace_state == XLOCK_GRACE_NONE)
		load_set(d, v, m);
	t2 = now_s();
	merge(&d->old, sts, 3, v, m);
	free(v);
	d->next_kept_id = KEPT_ID_BASE;
	if (d->grace_state != XLOCK_GRACE_NONE)
		log_warn("a grace period already ran for this module instance: not starting another");
	else
		start_grace(d);
	/*
	 * Until this file is written the snapshot still holds the previous
	 * instance's state: a crash now reclaims it again on the next start.
	 */
	if (journal_save_reclaim(&d->j, &d->old, d->j.instance))
		log_err("%s: the reclaim set is not saved; a crash during grace loses it",
			d->j.err);
	log_info("recovery of %zu entries: %.3f s reading the state, %.3f s grouping, %.3f s into the module, %.3f s saving the reclaim file",
		 d->old.count, d->load_s, t1 - t0, t2 - t1, now_s() - t2);
}

/* Same instance, a reclaim file: finish what the last run of xlockd started. */
void reclaim_resume(struct xlockd *d)
{
	int ret;

	if (!d->old.count)
		return;
	switch (d->grace_state) {
	case XLOCK_GRACE_RUNNING:
		log_info("grace period running: %zu persisted entries may be reclaimed",
			 d->old.count);
		return;
	case XLOCK_GRACE_OVER:
		reclaim_grace_ended(d, 0);
		return;
	}
	/* Died while loading the set: start it again. */
	ret = xnl_request(&d->req, xnl_new(&d->req, XLOCK_CMD_GRACE_END, false), NULL, NULL,
			  NULL);
	if (ret && ret != -ENOENT)
		log_err("dropping a half-loaded reclaim set: %s", strerror(-ret));
	load_and_start(d);
}

void reclaim_grace_ended(struct xlockd *d, uint64_t unclaimed)
{
	if (!d->old.count)
		return;
	log_info("grace period over: %llu persisted entries not reclaimed, forgotten",
		 (unsigned long long)unclaimed);
	store_clear(&d->old);
	if (journal_drop_reclaim(&d->j))
		log_err("%s", d->j.err);
}
