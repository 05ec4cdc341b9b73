// SPDX-License-Identifier: GPL-2.0
/*
 * Files and entries of the unified lock table.
 *
 * Files live in an rhashtable keyed by (device, inode) and are found under
 * RCU. Each file's entries hang off it in one list under the file's own
 * spinlock, so a conflict check costs what that file holds and nothing
 * more; its byte-range locks are also in an interval tree, so that
 * mirroring one lock operation costs what overlaps it, not the whole file
 * (a file may hold thousands of locks), and each entry knows what points
 * at it, so that it leaves the list without a walk. Every entry is also
 * in an xarray by id, which gives admin commands and dumps a stable order
 * and a cursor that survives between messages.
 *
 * Lifetime: an entry holds a reference on its file and on its client; a
 * file is removed from the hash table when its last reference goes. Lookups
 * only take references on files whose count has not reached zero.
 */
#include <linux/fs.h>
#include <linux/interval_tree_generic.h>
#include <linux/jiffies.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "stats.h"
#include "table.h"
#include "teardown.h"
#include "xlock_trace.h"

unsigned int xlock_limit_total = 1 << 20;
unsigned int xlock_limit_file = 4096;
unsigned int xlock_limit_client = 1 << 18;

static struct kmem_cache *entry_cache;
static struct rhashtable files;
static DEFINE_XARRAY_ALLOC(entries);
static u32 next_id;

static atomic64_t generation;
static atomic64_t nr_entries, nr_files, nr_kind[5], nr_nlm_locks, limit_hits;
static atomic64_t nr_admitted;

static const struct rhashtable_params file_params = {
	.key_len = sizeof(struct xlock_fkey),
	.key_offset = offsetof(struct xlock_file, key),
	.head_offset = offsetof(struct xlock_file, node),
	.automatic_shrinking = true,
};

u64 xlock_table_generation(void)
{
	return atomic64_read(&generation);
}

void xlock_table_stats(struct xlock_stats *st)
{
	st->entries = atomic64_read(&nr_entries);
	st->files = atomic64_read(&nr_files);
	st->nlm_locks = atomic64_read(&nr_nlm_locks);
	st->smb_locks = atomic64_read(&nr_kind[XLOCK_KIND_LOCK]) - st->nlm_locks;
	st->leases = atomic64_read(&nr_kind[XLOCK_KIND_LEASE]);
	st->share_modes = atomic64_read(&nr_kind[XLOCK_KIND_SHARE]);
	st->delegs = atomic64_read(&nr_kind[XLOCK_KIND_DELEG]);
	st->limit_hits = atomic64_read(&limit_hits);
	st->generation = atomic64_read(&generation);
	st->clients = xlock_clients_count();
}

static void file_free_rcu(struct rcu_head *rcu)
{
	kfree(container_of(rcu, struct xlock_file, rcu));
}

void xlock_file_put(struct xlock_file *f)
{
	might_sleep();
	if (!refcount_dec_and_test(&f->ref))
		return;
	rhashtable_remove_fast(&files, &f->node, file_params);
	atomic64_dec(&nr_files);
	/* Every entry pins its file: none can be left, nor counted. */
	WARN_ONCE(f->head || f->sides[0] || f->sides[1], "xlock: file freed with entries counted\n");
	xlock_share_put(f->share);
	if (f->path.dentry)
		path_put(&f->path);
	dput(f->smb_dentry);
	call_rcu(&f->rcu, file_free_rcu);
}

struct xlock_file *xlock_file_lookup(const struct xlock_fkey *key)
{
	struct xlock_file *f;

	rcu_read_lock();
	f = rhashtable_lookup(&files, key, file_params);
	if (f && !refcount_inc_not_zero(&f->ref))
		f = NULL;
	rcu_read_unlock();
	return f;
}

static void fkey_of(const struct path *path, struct xlock_fkey *key)
{
	xlock_fkey_of_inode(d_inode(path->dentry), key);
}

/*
 * The file with @key, with a reference; created (empty) if @create and it
 * is not in the table, remembering @path (may be NULL) for display and
 * share membership. NULL if absent, ERR_PTR on failure.
 */
struct xlock_file *xlock_file_get_key(const struct xlock_fkey *key, const struct path *path,
				      bool create)
{
	struct xlock_file *f, *old;

	for (;;) {
		f = xlock_file_lookup(key);
		if (f || !create)
			return f;
		f = kzalloc(sizeof(*f), GFP_KERNEL);
		if (!f)
			return ERR_PTR(-ENOMEM);
		f->key = *key;
		refcount_set(&f->ref, 1);
		spin_lock_init(&f->lock);
		mutex_init(&f->sync_lock);
		f->locks = RB_ROOT_CACHED;
		f->share = xlock_share_of(path);
		if (path) {
			f->path = *path;
			path_get(&f->path);
		}
		rcu_read_lock();
		old = rhashtable_lookup_get_insert_fast(&files, &f->node, file_params);
		rcu_read_unlock();
		if (!old) {
			atomic64_inc(&nr_files);
			return f;
		}
		xlock_share_put(f->share);
		if (f->path.dentry)
			path_put(&f->path);
		kfree(f);
		if (IS_ERR(old))
			return ERR_CAST(old);
		/* Lost a race, or met a file on its way out: look again. */
		cond_resched();
	}
}

struct xlock_file *xlock_file_get(const struct path *path, bool create)
{
	struct xlock_fkey key;

	fkey_of(path, &key);
	return xlock_file_get_key(&key, path, create);
}

static void holder_copy(const struct xlock_entry *e, struct xlock_holder *h)
{
	h->proto = e->r.proto;
	h->kind = e->r.kind;
	h->mode = e->r.mode;
	h->state = e->r.state;
	h->start = e->r.start;
	h->end = e->r.end;
	strscpy(h->client, e->client->display, sizeof(h->client));
}

static void side_count(struct xlock_file *f, const struct xlock_rule_entry *r, int d)
{
	lockdep_assert_held(&f->lock);
	/* A delegation is kept for its reclaim only: nfsd's state decides (V3, V4). */
	if (r->kind != XLOCK_KIND_DELEG)
		f->sides[r->proto == XLOCK_PROTO_SMB] += d;
}

/*
 * The entries the rules must see for @req: @f's list, or none when @f has
 * no entry of the other protocol side. The rules weigh only the other
 * side's entries (an SMB request meets NFS-side state, an NFS one SMB
 * state; same-protocol conflicts are the server's), so a file crowded
 * with one protocol's locks is not walked for that protocol's requests.
 */
const struct xlock_rule_entry *xlock_file_rules(const struct xlock_file *f,
						const struct xlock_rule_req *req)
{
	lockdep_assert_held(&f->lock);
	if (!f->sides[xlock_rules_op_proto(req->op) != XLOCK_PROTO_SMB])
		return NULL;
	return f->head;
}

/*
 * Run the rules on @f's entries; @holder (if not NULL) gets a DENY's holder.
 * Traced with result -1: the caller acts on the verdict itself.
 */
void xlock_file_decide(struct xlock_file *f, const struct xlock_rule_req *req,
		       struct xlock_verdict *v, struct xlock_holder *holder)
{
	spin_lock(&f->lock);
	xlock_rules_decide(req, xlock_file_rules(f, req), v);
	if (holder && v->kind == XLOCK_V_DENY)
		holder_copy(container_of(v->holder, struct xlock_entry, r), holder);
	v->holder = NULL;	/* not valid once the lock is dropped */
	spin_unlock(&f->lock);
	trace_xlock_verdict(&f->key, req, v, -1, holder && v->kind == XLOCK_V_DENY ?
			    holder->client : NULL);
}

/*
 * Who hears of entry changes (the netlink event group, control/nl_events.c),
 * if anyone yet. An event is prepared (allocated, may sleep) before the
 * file lock, queued under it (a copy, before anything can remove the
 * entry) or cancelled; prepare, queue and cancel of one event go through
 * the same ops.
 */
static const struct xlock_table_events *table_events;

void xlock_table_set_events(const struct xlock_table_events *ops)
{
	WRITE_ONCE(table_events, ops);
}

/* The table's indirect calls: through the registered ops (check-ibt.sh). */
static noinline struct xlock_nl_event *ops_event_prepare(const struct xlock_table_events *ops)
{
	return ops->prepare();
}

static noinline void ops_event_queue(const struct xlock_table_events *ops,
				     struct xlock_nl_event *ev, u8 event,
				     const struct xlock_entry *e)
{
	ops->queue(ev, event, e);
}

static noinline void ops_event_cancel(const struct xlock_table_events *ops,
				      struct xlock_nl_event *ev)
{
	ops->cancel(ev);
}

/* An event for later; *@ops says through whom (NULL: nobody listens). */
static struct xlock_nl_event *event_prepare(const struct xlock_table_events **ops)
{
	*ops = READ_ONCE(table_events);
	return *ops ? ops_event_prepare(*ops) : NULL;
}

/* May run under @e's file lock; consumes @ev. */
static void event_queue(const struct xlock_table_events *ops, struct xlock_nl_event *ev,
			u8 event, const struct xlock_entry *e)
{
	if (ev)
		ops_event_queue(ops, ev, event, e);
}

static void event_cancel(const struct xlock_table_events *ops, struct xlock_nl_event *ev)
{
	if (ev)
		ops_event_cancel(ops, ev);
}

static atomic64_t *kind_counter(u8 kind)
{
	return &nr_kind[kind < ARRAY_SIZE(nr_kind) ? kind : 0];
}

static void count(const struct xlock_entry *e, int d)
{
	atomic64_add(d, &nr_entries);
	atomic64_add(d, kind_counter(e->r.kind));
	if (e->r.kind == XLOCK_KIND_LOCK && e->r.proto == XLOCK_PROTO_NLM)
		atomic64_add(d, &nr_nlm_locks);
	atomic64_add(d, &e->file->share->nr_entries);
	atomic_add(d, &e->client->nr_entries);
	atomic64_inc(&generation);
}

/*
 * Room for @n more entries of @c on @f, counting the slots of requests
 * decided but not recorded yet? A refusal is counted as a limit hit.
 */
static int room(struct xlock_file *f, struct xlock_client *c, unsigned int n,
		const char **why)
{
	lockdep_assert_held(&f->lock);
	if ((u64)atomic64_read(&nr_entries) + atomic64_read(&nr_admitted) + n >
	    READ_ONCE(xlock_limit_total))
		*why = "the table is full (limit_total)";
	else if ((u64)atomic_read(&c->nr_entries) + atomic_read(&c->nr_admitted) + n >
		 READ_ONCE(xlock_limit_client))
		*why = "this client holds too many entries (limit_client)";
	else if ((u64)f->nr + f->admitted + n > READ_ONCE(xlock_limit_file))
		*why = "this file holds too many entries (limit_file)";
	else
		return 0;
	atomic64_inc(&limit_hits);
	return -ENOSPC;
}

#define RANGE_START(e) ((e)->r.start)
#define RANGE_END(e) ((e)->r.end)
INTERVAL_TREE_DEFINE(struct xlock_entry, rb, u64, rb_last, RANGE_START, RANGE_END, static,
		     range_tree)

/* @f's LOCK entries that overlap [@start, @end], in order of their start. */
struct xlock_entry *xlock_file_locks_first(struct xlock_file *f, u64 start, u64 end)
{
	lockdep_assert_held(&f->lock);
	return range_tree_iter_first(&f->locks, start, end);
}

/* The next one after @e; @e may be unlinked once this returned. */
struct xlock_entry *xlock_file_locks_next(struct xlock_entry *e, u64 start, u64 end)
{
	lockdep_assert_held(&e->file->lock);
	return range_tree_iter_next(e, start, end);
}

static void entry_link(struct xlock_file *f, struct xlock_entry *e)
{
	lockdep_assert_held(&f->lock);
	e->r.next = f->head;
	if (f->head)
		container_of(f->head, struct xlock_entry, r)->pprev = &e->r.next;
	f->head = &e->r;
	e->pprev = &f->head;
	side_count(f, &e->r, 1);
	if (e->r.kind == XLOCK_KIND_LOCK)
		range_tree_insert(e, &f->locks);
}

static void entry_delink(struct xlock_file *f, struct xlock_entry *e)
{
	lockdep_assert_held(&f->lock);
	*e->pprev = e->r.next;
	if (e->r.next)
		container_of(e->r.next, struct xlock_entry, r)->pprev = e->pprev;
	side_count(f, &e->r, -1);
	if (e->r.kind == XLOCK_KIND_LOCK)
		range_tree_remove(e, &f->locks);
}

static void admit_locked(struct xlock_file *f, struct xlock_client *c, int n)
{
	lockdep_assert_held(&f->lock);
	f->admitted += n;
	atomic64_add(n, &nr_admitted);
	atomic_add(n, &c->nr_admitted);
}

static void entry_fill(struct xlock_entry *e, const struct xlock_entry_init *init)
{
	e->r.proto = init->proto;
	e->r.kind = init->kind;
	e->r.mode = init->mode;
	e->r.state = init->state;
	e->r.start = init->start;
	e->r.end = init->end;
	e->r.brk_to = XLOCK_NO_BREAK;
	e->r.pending = !!(init->flags & XLOCK_ENTRY_F_PENDING);
	e->flags = init->flags;
	e->owner = init->owner;
	e->created = get_jiffies_64();
}

static int entry_add(struct xlock_file *f, struct xlock_client *c,
		     const struct xlock_entry_init *init, u32 *id, const char **why,
		     bool limited)
{
	const struct xlock_table_events *evops;
	struct xlock_nl_event *ev;
	struct xlock_entry *e;
	int ret;

	*why = NULL;
	e = kmem_cache_zalloc(entry_cache, GFP_KERNEL);
	if (!e) {
		*why = "out of memory";
		return -ENOMEM;
	}
	entry_fill(e, init);
	e->file = f;
	e->client = c;

	ret = xa_alloc_cyclic(&entries, &e->id, e, xa_limit_31b, &next_id, GFP_KERNEL);
	if (ret < 0) {
		*why = "out of entry ids";
		kmem_cache_free(entry_cache, e);
		return ret;
	}
	ev = event_prepare(&evops);
	spin_lock(&f->lock);
	if (limited && room(f, c, 1, why)) {
		spin_unlock(&f->lock);
		xa_erase(&entries, e->id);
		kmem_cache_free(entry_cache, e);
		event_cancel(evops, ev);
		return -ENOSPC;
	}
	refcount_inc(&f->ref);
	refcount_inc(&c->ref);
	count(e, 1);
	if (id)
		*id = e->id;
	entry_link(f, e);
	f->nr++;
	/* Queued under the lock: before anything can remove the entry. */
	event_queue(evops, ev, XLOCK_EVENT_GRANT, e);
	spin_unlock(&f->lock);
	xlock_file_changed(f);
	return 0;
}

/*
 * Add an entry to @f for @c, within the table limits: -ENOSPC with @why
 * set when one is reached (requests not yet granted by a server: the test
 * API, blocked NLM requests).
 */
int xlock_entry_add(struct xlock_file *f, struct xlock_client *c,
		    const struct xlock_entry_init *init, u32 *id, const char **why)
{
	return entry_add(f, c, init, id, why, true);
}

/*
 * Record what a server already granted. Limits were applied when the
 * request was decided (xlock_resv_link, xlock_admit): the table must match
 * what the VFS and ksmbd hold (I3), so only a failed allocation can keep
 * this from being recorded, and that is counted and logged.
 */
int xlock_entry_mirror(struct xlock_file *f, struct xlock_client *c,
		       const struct xlock_entry_init *init)
{
	const char *why;
	int ret;

	ret = entry_add(f, c, init, NULL, &why, false);
	if (ret) {
		xlock_stat_inc(XLOCK_STAT_NOT_RECORDED);
		pr_warn_ratelimited("xlock: a granted %s %s not recorded: %s\n",
				    init->proto == XLOCK_PROTO_NLM ? "NLM" :
				    init->proto == XLOCK_PROTO_SMB ? "SMB" : "NFSv4",
				    init->kind == XLOCK_KIND_LEASE ? "lease" :
				    init->kind == XLOCK_KIND_DELEG ? "delegation" : "lock", why);
	}
	return ret;
}

/* A reservation for @c, not linked yet; NULL if out of memory. */
struct xlock_entry *xlock_resv_new(struct xlock_client *c, const struct xlock_entry_init *init)
{
	struct xlock_entry *e = kmem_cache_zalloc(entry_cache, GFP_KERNEL);

	if (!e)
		return NULL;
	entry_fill(e, init);
	e->r.resv = 1;
	e->client = c;
	refcount_inc(&c->ref);
	return e;
}

/*
 * Under the file lock the decision was taken in: hold @e's place on @f.
 * -ENOSPC (with @why) if a table limit leaves no room for it.
 */
int xlock_resv_link(struct xlock_file *f, struct xlock_entry *e, const char **why)
{
	int ret;

	lockdep_assert_held(&f->lock);
	ret = room(f, e->client, 1, why);
	if (ret)
		return ret;
	admit_locked(f, e->client, 1);
	refcount_inc(&f->ref);
	e->file = f;
	entry_link(f, e);
	return 0;
}

/*
 * The server granted exactly what @e reserved on its file: @e becomes that
 * granted entry in place, rather than a copy being added and @e dropped
 * (an NLM round trip paid for both). Nonzero, with nothing changed, if no
 * entry id is left; @e is then still the caller's to drop.
 */
int xlock_resv_grant(struct xlock_entry *e)
{
	const struct xlock_table_events *evops;
	struct xlock_file *f = e->file;
	struct xlock_nl_event *ev;
	u32 id;
	int ret;

	/* The id is held empty until @e is whole: listings skip it till then. */
	ret = xa_alloc_cyclic(&entries, &id, NULL, xa_limit_31b, &next_id, GFP_KERNEL);
	if (ret < 0)
		return ret;
	ev = event_prepare(&evops);
	spin_lock(&f->lock);
	admit_locked(f, e->client, -1);
	e->r.resv = 0;
	e->id = id;
	count(e, 1);
	f->nr++;
	xa_store(&entries, id, e, GFP_NOWAIT);	/* its slot is allocated: cannot fail */
	event_queue(evops, ev, XLOCK_EVENT_GRANT, e);
	spin_unlock(&f->lock);
	xlock_file_changed(f);
	return 0;
}

/* The server answered and its answer is recorded: free @e (may be NULL). */
void xlock_resv_drop(struct xlock_entry *e)
{
	struct xlock_file *f;

	if (!e)
		return;
	f = e->file;
	if (f) {
		spin_lock(&f->lock);
		entry_delink(f, e);
		admit_locked(f, e->client, -1);
		spin_unlock(&f->lock);
		xlock_file_changed(f);
		xlock_file_put(f);
	}
	xlock_client_put(e->client);
	kmem_cache_free(entry_cache, e);
}

/* Hold @n slots on @f for @c while a server grants (SMB byte-range locks). */
int xlock_admit(struct xlock_file *f, struct xlock_client *c, unsigned int n,
		const char **why)
{
	int ret;

	spin_lock(&f->lock);
	ret = room(f, c, n, why);
	if (!ret)
		admit_locked(f, c, n);
	spin_unlock(&f->lock);
	return ret;
}

void xlock_admit_done(struct xlock_file *f, struct xlock_client *c, unsigned int n)
{
	spin_lock(&f->lock);
	admit_locked(f, c, -(int)n);
	spin_unlock(&f->lock);
}

/* Set under the file lock once an entry is off its file (see del_id). */
#define ENTRY_DEAD 0x80

void xlock_entry_unlink(struct xlock_file *f, struct xlock_entry *e)
{
	lockdep_assert_held(&f->lock);
	if (WARN_ONCE(e->file != f || (e->flags & ENTRY_DEAD),
		      "xlock: entry %u not on its file\n", e->id))
		return;
	entry_delink(f, e);
	f->nr--;
	e->flags |= ENTRY_DEAD;
}

/*
 * Unlink @e and chain it on *@gone (through r.next, free once unlinked),
 * for xlock_entries_release() once @f's lock is dropped.
 */
void xlock_entry_unlink_to(struct xlock_file *f, struct xlock_entry *e,
			   struct xlock_rule_entry **gone)
{
	xlock_entry_unlink(f, e);
	e->r.next = *gone;
	*gone = &e->r;
}

/* Release the entries xlock_entry_unlink_to() chained on @gone. */
void xlock_entries_release(struct xlock_rule_entry *gone)
{
	while (gone) {
		struct xlock_entry *e = container_of(gone, struct xlock_entry, r);

		gone = gone->next;
		xlock_entry_release(e);
	}
}

/* Final teardown of an entry already unlinked from its file. */
void xlock_entry_release(struct xlock_entry *e)
{
	const struct xlock_table_events *evops;
	struct xlock_file *f = e->file;
	struct xlock_client *c = e->client;
	struct xlock_nl_event *ev;

	xa_erase(&entries, e->id);
	count(e, -1);
	xlock_file_changed(f);
	if (xlock_tearing_down(e->r.proto))
		e->flags |= XLOCK_ENTRY_F_TEARDOWN;
	ev = event_prepare(&evops);
	event_queue(evops, ev, XLOCK_EVENT_RELEASE, e);
	kmem_cache_free(entry_cache, e);
	xlock_client_put(c);
	xlock_file_put(f);
}

/*
 * Lease @id on @f now holds @state: a break of ours to @done_to ended, or
 * (@done_to XLOCK_NO_BREAK) an admin change of a test entry. A later break
 * to less than @done_to may still be in flight (the rules start one when
 * a request needs more than the running break takes away): the entry
 * stays breaking until that one ends too (I1: an earlier ack must not make
 * the lease look settled beside what the later break was for).
 */
int xlock_lease_set_state(struct xlock_file *f, u32 id, u8 state, u8 done_to)
{
	const struct xlock_table_events *evops;
	struct xlock_nl_event *ev = event_prepare(&evops);
	struct xlock_rule_entry *r;
	struct xlock_entry *e;

	spin_lock(&f->lock);
	for (r = f->head; r; r = r->next) {
		e = container_of(r, struct xlock_entry, r);
		if (r->resv || e->id != id)
			continue;
		e->r.state = state;
		if (done_to == XLOCK_NO_BREAK || done_to == r->brk_to || !(state & ~r->brk_to))
			r->brk_to = XLOCK_NO_BREAK;
		event_queue(evops, ev, XLOCK_EVENT_CHANGE, e);
		spin_unlock(&f->lock);
		xlock_file_changed(f);
		return 0;
	}
	spin_unlock(&f->lock);
	event_cancel(evops, ev);
	return -ENOENT;
}

/*
 * ksmbd changed a lease on its own (an ack of its SMB-vs-SMB break, or a
 * break that needs no ack or timed out): the leases of @c (any client if
 * NULL) on @f with open @fp (if not 0) or lease key @key (if not NULL) now
 * hold @state, as ksmbd has them (I3). A break of ours in flight is over
 * once the state is within its target.
 */
void xlock_lease_sync(struct xlock_file *f, const struct xlock_client *c, u64 fp,
		      const u8 *key, u8 state)
{
	const struct xlock_table_events *evops;
	struct xlock_nl_event *ev;
	struct xlock_rule_entry *r;
	struct xlock_entry *e;

again:
	ev = event_prepare(&evops);
	spin_lock(&f->lock);
	for (r = f->head; r; r = r->next) {
		e = container_of(r, struct xlock_entry, r);
		if (r->resv || r->kind != XLOCK_KIND_LEASE || (c && e->client != c) ||
		    (fp && e->owner.smb.fp != fp) ||
		    (key && memcmp(e->owner.smb.lease_key, key, sizeof(e->owner.smb.lease_key))) ||
		    r->state == state)
			continue;
		r->state = state;
		if (r->brk_to != XLOCK_NO_BREAK && !(state & ~r->brk_to))
			r->brk_to = XLOCK_NO_BREAK;
		event_queue(evops, ev, XLOCK_EVENT_CHANGE, e);
		spin_unlock(&f->lock);
		xlock_file_changed(f);
		goto again;
	}
	spin_unlock(&f->lock);
	event_cancel(evops, ev);
}

static bool matches(const struct xlock_entry *e, const struct xlock_match *m)
{
	return !e->r.resv &&
	       (!m->client || e->client == m->client) &&
	       (!m->proto || e->r.proto == m->proto) &&
	       (!m->kind || e->r.kind == m->kind) &&
	       (!m->flags || (e->flags & m->flags)) &&
	       (!m->real || !(e->flags & XLOCK_ENTRY_F_TEST)) &&
	       (!m->smb_fp || (e->r.proto == XLOCK_PROTO_SMB && e->owner.smb.fp == m->smb_fp)) &&
	       (!m->nfs4_deleg ||
		(e->r.kind == XLOCK_KIND_DELEG && e->owner.nfs4.deleg == m->nfs4_deleg));
}

/* Something on @f changed that a waiting request may care about. */
void xlock_file_changed(struct xlock_file *f)
{
	atomic_inc(&f->changes);
	atomic64_inc(&generation);
	wake_up_var(f);
}

/* Remember ksmbd's dentry for @f (the key of its inode table), once. */
void xlock_file_set_smb_dentry(struct xlock_file *f, struct dentry *d)
{
	struct dentry *old;

	if (READ_ONCE(f->smb_dentry))
		return;
	d = dget(d);
	old = cmpxchg(&f->smb_dentry, NULL, d);
	if (old)
		dput(d);
}

/* A break of lease @id to @to is in flight. */
int xlock_lease_set_breaking(struct xlock_file *f, u32 id, u8 to)
{
	struct xlock_rule_entry *r;
	int ret = -ENOENT;

	spin_lock(&f->lock);
	for (r = f->head; r; r = r->next) {
		struct xlock_entry *e = container_of(r, struct xlock_entry, r);

		if (!r->resv && e->id == id) {
			e->r.brk_to = to;
			ret = 0;
			break;
		}
	}
	spin_unlock(&f->lock);
	return ret;
}

/* Remove the entry with id @id if it has all of @need_flags. */
int xlock_entry_del_id(u32 id, u8 need_flags)
{
	struct xlock_entry *e;
	struct xlock_file *f;

	xa_lock(&entries);
	e = xa_load(&entries, id);
	if (!e) {
		xa_unlock(&entries);
		return -ENOENT;
	}
	if ((e->flags & need_flags) != need_flags) {
		xa_unlock(&entries);
		return -EPERM;
	}
	f = e->file;
	refcount_inc(&f->ref);
	xa_unlock(&entries);

	/*
	 * Still on its file once we hold the file lock? Then it is ours. The
	 * xarray lock keeps @e from being freed while we look at it.
	 */
	spin_lock(&f->lock);
	xa_lock(&entries);
	if (xa_load(&entries, id) != e || (e->flags & ENTRY_DEAD)) {
		xa_unlock(&entries);
		spin_unlock(&f->lock);
		xlock_file_put(f);
		return -ENOENT;
	}
	xa_unlock(&entries);
	xlock_entry_unlink(f, e);
	spin_unlock(&f->lock);
	xlock_entry_release(e);
	xlock_file_put(f);
	return 0;
}

unsigned int xlock_file_del_matching(struct xlock_file *f, const struct xlock_match *m)
{
	struct xlock_rule_entry **pp, *gone = NULL;
	unsigned int n = 0;

	spin_lock(&f->lock);
	pp = &f->head;
	while (*pp) {
		struct xlock_entry *e = container_of(*pp, struct xlock_entry, r);

		if (!matches(e, m)) {
			pp = &(*pp)->next;
			continue;
		}
		xlock_entry_unlink_to(f, e, &gone);
		n++;
	}
	spin_unlock(&f->lock);
	xlock_entries_release(gone);
	return n;
}

/* Remove matching entries from every file (admin clear, client gone). */
unsigned int xlock_table_del_matching(const struct xlock_match *m)
{
	struct xlock_entry_snap snap;
	unsigned int n = 0;
	u32 id = 0;

	while (!xlock_entry_snapshot(&id, &snap)) {
		if (matches(&snap.e, m))
			n += xlock_file_del_matching(snap.e.file, m);
		xlock_entry_snapshot_put(&snap);
		if (++id == 0)
			break;
		cond_resched();
	}
	return n;
}

/*
 * Copy the entry with the smallest id >= *@id and pin its file and client
 * (the copy's pointers stay valid until xlock_entry_snapshot_put()).
 */
int xlock_entry_snapshot(u32 *id, struct xlock_entry_snap *snap)
{
	unsigned long index = *id;
	struct xlock_entry *e;

	xa_lock(&entries);
	e = xa_find(&entries, &index, U32_MAX, XA_PRESENT);
	if (!e) {
		xa_unlock(&entries);
		return -ENOENT;
	}
	snap->e = *e;
	snap->id = index;
	refcount_inc(&e->file->ref);
	refcount_inc(&e->client->ref);
	xa_unlock(&entries);
	*id = index;
	return 0;
}

void xlock_entry_snapshot_put(struct xlock_entry_snap *snap)
{
	xlock_client_put(snap->e.client);
	xlock_file_put(snap->e.file);
}

int xlock_table_init(void)
{
	int ret;

	entry_cache = KMEM_CACHE(xlock_entry, 0);
	if (!entry_cache)
		return -ENOMEM;
	ret = rhashtable_init(&files, &file_params);
	if (ret)
		goto err_cache;
	ret = xlock_clients_init();
	if (ret)
		goto err_files;
	return 0;

err_files:
	rhashtable_destroy(&files);
err_cache:
	kmem_cache_destroy(entry_cache);
	return ret;
}

void xlock_table_exit(void)
{
	struct xlock_match all = {};

	xlock_table_del_matching(&all);
	WARN_ON(!xa_empty(&entries));
	xa_destroy(&entries);
	xlock_clients_exit();
	rhashtable_destroy(&files);
	rcu_barrier();
	kmem_cache_destroy(entry_cache);
}
