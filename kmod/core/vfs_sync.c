// SPDX-License-Identifier: GPL-2.0
/*
 * NLM and SMB byte-range locks meet in the VFS posix lock list already
 * (C11). Rather than replay POSIX splitting and merging on every request,
 * the table mirrors that list: after a lockd or ksmbd lock operation, the
 * lock entries of that protocol (and owner) are made to match what the
 * inode really holds. lockd's locks carry its lock_manager_operations and
 * an nlm_lockowner; ksmbd's are owned by the ksmbd open's struct file.
 *
 * Per file and incremental (issue 10 e): one mutex per file keeps two
 * reconciliations of it from adding the same lock twice; a lock operation
 * on [start, end] can only have changed its owner's locks that overlap
 * [start - 1, end + 1], so only that window is compared; the locks held
 * are sorted once and each table entry is looked up in them, so a
 * reconciliation costs O((entries + locks) log locks), not their product,
 * under the file's spinlock. Nothing is skipped: a lock the table cannot
 * take (out of memory) is counted (not_recorded) and logged.
 */
#include <linux/filelock.h>
#include <linux/fs.h>
#include <linux/lockd/lockd.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "client.h"
#include "stats.h"
#include "table.h"
#include "vfs_sync.h"

struct held {
	u64 start, end;
	u64 net;			/* the client's key: net cookie and id */
	u32 svid;
	u8 mode;
	bool found;
	char host[XLOCK_NAME_MAX - 1];
	char addr[48];
};

static const void *lockd_lmops;

void xlock_sync_set_lockd(const void *lmops)
{
	WRITE_ONCE(lockd_lmops, lmops);
}

static bool wanted(const struct file_lock *fl, u8 proto, const struct file *owner)
{
	if (proto == XLOCK_PROTO_NLM)
		return lockd_lmops && fl->fl_lmops == lockd_lmops;
	return fl->c.flc_owner == (fl_owner_t)owner;
}

static u64 lock_end(const struct file_lock *fl)
{
	return fl->fl_end == OFFSET_MAX ? XLOCK_END_MAX : fl->fl_end;
}

static bool in_window(u64 start, u64 end, u64 ws, u64 we)
{
	return start <= we && ws <= end;
}

static bool counted(struct file_lock *fl, u8 proto, const struct file *owner, u64 ws, u64 we)
{
	return wanted(fl, proto, owner) && in_window(fl->fl_start, lock_end(fl), ws, we);
}

static void held_fill(struct held *h, struct file_lock *fl, u8 proto)
{
	memset(h, 0, sizeof(*h));
	h->start = fl->fl_start;
	h->end = lock_end(fl);
	h->mode = lock_is_write(fl) ? XLOCK_MODE_EXCL : XLOCK_MODE_SHARED;
	if (proto == XLOCK_PROTO_NLM) {
		const struct nlm_lockowner *lo = fl->c.flc_owner;

		h->svid = lo->pid;
		h->net = xlock_nlm_client_id(lo->host->net, lo->host->h_name, h->host,
					     sizeof(h->host));
		xlock_addr_str((const struct sockaddr *)&lo->host->h_addr, h->addr,
			       sizeof(h->addr));
	}
}

/*
 * Copy the locks of @proto (/@owner) on @inode that overlap [@ws, @we]
 * into a new array (*@hp, NULL if none). One walk of the inode's list
 * fills a small array and counts the rest (a window of a few bytes holds
 * a few locks, but the list may hold thousands); only when more matched
 * than fit is it walked again into an array of the size counted.
 */
static int collect(struct inode *inode, u8 proto, const struct file *owner, u64 ws, u64 we,
		   struct held **hp, unsigned int *np)
{
	struct file_lock_context *ctx = locks_inode_context(inode);
	unsigned int cap = 8, n, tries;
	struct file_lock *fl;
	struct held *h;

	*hp = NULL;
	*np = 0;
	if (!ctx)
		return 0;
	for (tries = 0; tries < 16; tries++) {
		h = kvmalloc_array(cap, sizeof(*h), GFP_KERNEL);
		if (!h)
			return -ENOMEM;
		n = 0;
		spin_lock(&ctx->flc_lock);
		for_each_file_lock(fl, &ctx->flc_posix) {
			if (!counted(fl, proto, owner, ws, we))
				continue;
			if (n < cap)
				held_fill(&h[n], fl, proto);
			n++;
		}
		spin_unlock(&ctx->flc_lock);
		if (n <= cap) {
			if (n)
				*hp = h;
			else
				kvfree(h);
			*np = n;
			return 0;
		}
		kvfree(h);
		cap = n + n / 4;	/* room for a few more next time */
	}
	return -EAGAIN;
}

static int key_cmp(u64 s1, u64 e1, u8 m1, u32 v1, u64 n1, const char *h1,
		   u64 s2, u64 e2, u8 m2, u32 v2, u64 n2, const char *h2)
{
	if (s1 != s2)
		return s1 < s2 ? -1 : 1;
	if (e1 != e2)
		return e1 < e2 ? -1 : 1;
	if (m1 != m2)
		return m1 < m2 ? -1 : 1;
	if (v1 != v2)
		return v1 < v2 ? -1 : 1;
	if (n1 != n2)
		return n1 < n2 ? -1 : 1;
	return strcmp(h1, h2);
}

static int held_cmp(const void *a, const void *b)
{
	const struct held *x = a, *y = b;

	return key_cmp(x->start, x->end, x->mode, x->svid, x->net, x->host,
		       y->start, y->end, y->mode, y->svid, y->net, y->host);
}

/* The held lock @e stands for, by binary search in @h (sorted). */
static struct held *lookup(const struct xlock_entry *e, struct held *h, unsigned int n)
{
	bool nlm = e->r.proto == XLOCK_PROTO_NLM;
	unsigned int lo = 0, hi = n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		int c = key_cmp(e->r.start, e->r.end, e->r.mode,
				nlm ? e->owner.nlm.svid : 0, nlm ? e->client->key.net : 0,
				nlm ? e->client->key.id : "",
				h[mid].start, h[mid].end, h[mid].mode, h[mid].svid, h[mid].net,
				h[mid].host);

		if (!c)
			return &h[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static bool mine(const struct xlock_entry *e, u8 proto, u64 cookie)
{
	return e->r.proto == proto && e->r.kind == XLOCK_KIND_LOCK && !e->r.pending &&
	       !e->r.resv && !(e->flags & XLOCK_ENTRY_F_TEST) &&
	       (proto == XLOCK_PROTO_NLM || e->owner.smb.fp == cookie);
}

static void reconcile(struct xlock_file *f, u8 proto, u64 cookie,
		      struct xlock_client *smb_client, struct held *h, unsigned int n,
		      u64 ws, u64 we)
{
	struct xlock_entry_init init = { .proto = proto, .kind = XLOCK_KIND_LOCK };
	struct xlock_entry *e, *next;
	struct xlock_rule_entry *gone = NULL;
	unsigned int i;

	spin_lock(&f->lock);
	for (e = xlock_file_locks_first(f, ws, we); e; e = next) {
		struct held *hit;

		next = xlock_file_locks_next(e, ws, we);
		if (!mine(e, proto, cookie))
			continue;
		hit = lookup(e, h, n);
		if (hit && !hit->found) {
			hit->found = true;
			continue;
		}
		xlock_entry_unlink_to(f, e, &gone);
	}
	spin_unlock(&f->lock);
	xlock_entries_release(gone);

	for (i = 0; i < n; i++) {
		struct xlock_client *c = smb_client;

		if (h[i].found)
			continue;
		if (proto == XLOCK_PROTO_NLM) {
			c = xlock_client_get_net(XLOCK_PROTO_NLM, h[i].net, h[i].host,
						 h[i].addr, NULL);
			if (IS_ERR(c)) {
				xlock_stat_inc(XLOCK_STAT_NOT_RECORDED);
				pr_warn_ratelimited("xlock: a granted NLM lock not recorded: no client\n");
				continue;
			}
			init.owner.nlm.svid = h[i].svid;
		} else {
			init.owner.smb.fp = cookie;
		}
		init.mode = h[i].mode;
		init.start = h[i].start;
		init.end = h[i].end;
		xlock_entry_mirror(f, c, &init);
		if (c != smb_client)
			xlock_client_put(c);
		cond_resched();
	}
}

/*
 * Make @f's lock entries of @proto that overlap [@start, @end] match the
 * locks @inode holds there: all of lockd's for NLM; for SMB those owned by
 * @owner, the struct file of the ksmbd open @cookie (whose client is
 * @smb_client). After a lock operation on [s, e], pass [s - 1, e + 1].
 */
void xlock_sync_range(struct xlock_file *f, struct inode *inode, u8 proto,
		      const struct file *owner, u64 cookie, struct xlock_client *smb_client,
		      u64 start, u64 end)
{
	struct held *h;
	unsigned int n;
	int ret;

	mutex_lock(&f->sync_lock);
	ret = collect(inode, proto, owner, start, end, &h, &n);
	if (ret) {
		xlock_stat_inc(XLOCK_STAT_NOT_RECORDED);
		pr_warn_ratelimited("xlock: %s locks not reconciled with the table: %d\n",
				    proto == XLOCK_PROTO_NLM ? "NLM" : "SMB", ret);
		goto out;
	}
	if (n > 1)
		sort(h, n, sizeof(*h), held_cmp, NULL);
	reconcile(f, proto, cookie, smb_client, h, n, start, end);
	kvfree(h);
out:
	mutex_unlock(&f->sync_lock);
}

void xlock_sync_locks(struct xlock_file *f, struct inode *inode, u8 proto,
		      const struct file *owner, u64 cookie, struct xlock_client *smb_client)
{
	xlock_sync_range(f, inode, proto, owner, cookie, smb_client, 0, XLOCK_END_MAX);
}

/* A granted lock entry of lockd's owner (@c, @svid). */
static bool nlm_of(const struct xlock_entry *e, const struct xlock_client *c, u32 svid)
{
	return mine(e, XLOCK_PROTO_NLM, 0) && e->client == c && e->owner.nlm.svid == svid;
}

/*
 * What @op did to lockd's locks, read off the table's mirror instead of
 * the inode's list when the outcome is plain: a lock whose owner held
 * nothing within a byte of it is that one new lock (nothing to merge
 * with), an unlock that covers each of its owner's locks it touches
 * removes them (nothing to split). Anything else is read off the inode.
 * Why: the inode's list is not indexed, and a file of 10000 locks made
 * each round trip walk them all twice more than lockd itself does. A
 * plain lock's reservation is exactly that lock: it becomes its entry.
 */
static bool sync_nlm_plain(struct xlock_file *f, struct xlock_nlm_op *op, u64 ws, u64 we)
{
	struct xlock_entry_init init = {
		.proto = XLOCK_PROTO_NLM, .kind = XLOCK_KIND_LOCK, .mode = op->mode,
		.start = op->start, .end = op->end, .owner.nlm.svid = op->svid,
	};
	struct xlock_client *c = op->client;	/* one client per key: compared by address */
	struct xlock_rule_entry *gone = NULL;
	struct xlock_entry *e, *next;

	lockdep_assert_held(&f->sync_lock);
	if (!c)
		return op->unlock;	/* nothing of the owner's to remove */
	spin_lock(&f->lock);
	for (e = xlock_file_locks_first(f, ws, we); e; e = xlock_file_locks_next(e, ws, we)) {
		if (!nlm_of(e, c, op->svid))
			continue;
		if (op->unlock && (e->r.end < op->start || e->r.start > op->end))
			continue;	/* only touches the window: left as it is */
		if (!op->unlock || e->r.start < op->start || e->r.end > op->end) {
			spin_unlock(&f->lock);
			return false;
		}
	}
	for (e = xlock_file_locks_first(f, op->start, op->end); op->unlock && e; e = next) {
		next = xlock_file_locks_next(e, op->start, op->end);
		if (!nlm_of(e, c, op->svid))
			continue;
		xlock_entry_unlink_to(f, e, &gone);
	}
	spin_unlock(&f->lock);
	xlock_entries_release(gone);
	if (op->unlock)
		return true;
	if (op->resv && op->resv->file == f && !xlock_resv_grant(op->resv))
		op->resv = NULL;
	else
		xlock_entry_mirror(f, c, &init);
	return true;
}

/*
 * Mirror lockd's locks on @filp's inode in [@ws, @we] after a lock
 * operation; @op (may be NULL) is what it did, if it succeeded. A file
 * system with its own ->lock keeps its locks elsewhere: always read.
 */
void xlock_sync_nlm(struct xlock_file *f, struct file *filp, struct xlock_nlm_op *op,
		    u64 ws, u64 we)
{
	bool done = false;

	if (op && !filp->f_op->lock) {
		mutex_lock(&f->sync_lock);
		done = sync_nlm_plain(f, op, ws, we);
		mutex_unlock(&f->sync_lock);
	}
	if (!done)
		xlock_sync_range(f, file_inode(filp), XLOCK_PROTO_NLM, NULL, 0, NULL, ws, we);
}

/* Is @lo a lock owner of the NLM client @c (same namespace, same name)? */
static bool nlm_owner_of(const struct nlm_lockowner *lo, const struct xlock_client *c)
{
	char id[sizeof(c->key.id)];

	return xlock_nlm_client_id(lo->host->net, lo->host->h_name, id, sizeof(id)) ==
	       c->key.net && !strcmp(id, c->key.id);
}

/*
 * Release every lock lockd holds on @inode for the NLM client @c, one owner
 * at a time, the way lockd does when a client reboots. Returns how many went.
 */
unsigned int xlock_release_nlm_client(struct inode *inode, const struct xlock_client *c)
{
	struct file_lock_context *ctx = locks_inode_context(inode);
	unsigned int n = 0, rounds = 0;
	struct file_lock fl, *cur;
	struct file *filp;

	if (!ctx)
		return 0;
	while (rounds++ < 1024) {
		filp = NULL;
		locks_init_lock(&fl);
		spin_lock(&ctx->flc_lock);
		for_each_file_lock(cur, &ctx->flc_posix) {
			const struct nlm_lockowner *lo = cur->c.flc_owner;

			if (!lockd_lmops || cur->fl_lmops != lockd_lmops || !nlm_owner_of(lo, c))
				continue;
			/* Takes a reference on the lock owner, as lockd's copies do. */
			locks_copy_lock(&fl, cur);
			filp = get_file(cur->c.flc_file);
			break;
		}
		spin_unlock(&ctx->flc_lock);
		if (!filp)
			break;
		fl.c.flc_type = F_UNLCK;
		fl.fl_start = 0;
		fl.fl_end = OFFSET_MAX;
		vfs_lock_file(filp, F_SETLK, &fl, NULL);
		locks_release_private(&fl);
		fput(filp);
		n++;
	}
	return n;
}

/*
 * Reconcile the NLM locks of every file where @c holds granted lock
 * entries, each file once; with @release, lockd's locks of @c there go
 * first (admin clear). Returns how many lockd locks were released.
 */
unsigned int xlock_client_nlm_sync(const struct xlock_client *c, bool release)
{
	struct xlock_entry_snap snap;
	struct xlock_fkey last = {};
	unsigned int n = 0;
	u32 id = 0;

	while (!xlock_entry_snapshot(&id, &snap)) {
		const struct xlock_entry *e = &snap.e;
		struct xlock_file *f = e->file;

		if (e->client == c && e->r.proto == XLOCK_PROTO_NLM &&
		    e->r.kind == XLOCK_KIND_LOCK && !e->r.pending &&
		    !(e->flags & XLOCK_ENTRY_F_TEST) && f->path.dentry &&
		    memcmp(&f->key, &last, sizeof(last))) {
			if (release)
				n += xlock_release_nlm_client(d_inode(f->path.dentry), c);
			xlock_sync_locks(f, d_inode(f->path.dentry), XLOCK_PROTO_NLM, NULL, 0,
					 NULL);
			last = f->key;	/* its other entries went with this */
		}
		xlock_entry_snapshot_put(&snap);
		if (++id == 0)
			break;
		cond_resched();
	}
	return n;
}
