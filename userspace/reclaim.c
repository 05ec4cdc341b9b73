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
#include "xlockd.h"

/* Message room for a full batch, the path and the client. */
#define RECLAIM_MSG_SIZE (XLOCK_RECLAIM_RECS_MAX * sizeof(struct xlock_reclaim_rec) + 8192)

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* By file and owner (one RECLAIM_ADD each), then everything else. */
static int cmp_entry(const void *pa, const void *pb)
{
	const struct pentry *a = *(const struct pentry * const *)pa;
	const struct pentry *b = *(const struct pentry * const *)pb;
	int r;

	if ((r = strcmp(a->path, b->path)) || (r = strcmp(a->client, b->client)) ||
	    (r = cmp_u64(a->proto, b->proto)) || (r = cmp_u64(a->kind, b->kind)) ||
	    (r = cmp_u64(a->start, b->start)) || (r = cmp_u64(a->end, b->end)) ||
	    (r = cmp_u64(a->mode, b->mode)) || (r = cmp_u64(a->svid, b->svid)))
		return r;
	return memcmp(a->lease_key, b->lease_key, sizeof(a->lease_key));
}

/* Every entry of the stores, sorted; the caller frees the array. */
static const struct pentry **sorted(const struct store **sts, int nr, size_t *n)
{
	const struct pentry **v, *e;
	size_t total = 0, i;
	int s;

	for (s = 0; s < nr; s++)
		total += sts[s]->count;
	v = malloc((total + 1) * sizeof(*v));
	if (!v)
		die("out of memory sorting %zu entries", total);
	*n = 0;
	for (s = 0; s < nr; s++)
		for (i = 0; (e = store_next(sts[s], &i));)
			v[(*n)++] = e;
	qsort(v, *n, sizeof(*v), cmp_entry);
	return v;
}

static void to_rec(const struct pentry *e, struct xlock_reclaim_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->proto = e->proto;
	r->kind = e->kind;
	if (e->kind == XLOCK_KIND_LEASE) {
		r->state = e->state;
		r->end = XLOCK_END_MAX;
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
static void load_set(struct xlockd *d, const struct pentry **v, size_t n)
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
		if (b && (b == XLOCK_RECLAIM_RECS_MAX || strcmp(v[i]->path, v[start]->path) ||
			  strcmp(v[i]->client, v[start]->client))) {
			if (send_batch(d, v[start], recs, b))
				goto out;
			b = 0;
		}
		if (!b)
			start = i;
		to_rec(v[i], &recs[b++]);
	}
	if (b)
		send_batch(d, v[start], recs, b);
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
	const struct store *sts[] = { &d->old };
	const struct pentry **v;
	size_t n;

	v = sorted(sts, 1, &n);
	load_set(d, v, n);
	free(v);
	start_grace(d);
}

/*
 * The module restarted (a new instance): everything persisted for the
 * previous one (d->st, d->kept), plus what an earlier, unfinished grace
 * period left (d->old), is the reclaim set.
 */
void reclaim_after_restart(struct xlockd *d)
{
	const struct store *sts[] = { &d->old, &d->st, &d->kept };
	const struct pentry **v;
	struct store set;
	struct pentry e;
	size_t n, i;

	store_init(&set);
	v = sorted(sts, 3, &n);
	for (i = 0; i < n; i++) {
		if (i && !cmp_entry(&v[i - 1], &v[i]))
			continue;	/* reclaimed last time and persisted again */
		e = *v[i];
		e.id = set.count + 1;
		e.flags &= ~XLOCK_ENTRY_F_TEARDOWN;
		if (store_put(&set, &e))
			die("out of memory");
	}
	free(v);
	store_free(&d->old);
	store_clear(&d->st);
	store_clear(&d->kept);
	d->next_kept_id = KEPT_ID_BASE;
	d->old = set;
	if (!d->old.count) {
		journal_drop_reclaim(&d->j);
		return;
	}
	log_info("the module restarted (instance %016llx, was %016llx): %zu persisted entries to reclaim",
		 (unsigned long long)d->instance, (unsigned long long)d->j.instance,
		 d->old.count);
	if (journal_save_reclaim(&d->j, &d->old, d->j.instance))
		log_err("%s: the reclaim set is not saved; a crash during grace loses it",
			d->j.err);
	if (d->grace_state != XLOCK_GRACE_NONE) {
		log_warn("a grace period already ran for this module instance: not starting another");
		return;
	}
	load_and_start(d);
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
