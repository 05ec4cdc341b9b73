// SPDX-License-Identifier: GPL-2.0
/*
 * Blocked NLM requests that wait for the SMB side (C5, and the NLM half of
 * C2: an SMB unlock wakes a blocked NLM request).
 *
 * On 6.12, lockd no longer queues blocking requests on file systems
 * without asynchronous lock support (ext4, xfs, ...): it answers
 * NLM4_BLOCKED and the client polls again after 30 s. For requests held up
 * by SMB state xlock keeps the promise of NLM4_BLOCKED itself: when the
 * lease break completes or the SMB lock goes, it takes the POSIX lock for
 * the NLM owner exactly as lockd would (lockd's lock_manager_operations
 * and lock owner, so lockd unlocks and cleans it up later as its own), and
 * sends the client NLM_GRANTED_MSG through lockd's own RPC machinery.
 *
 * While an SMB byte-range lock is in the way, a waiter of ours sits in the
 * VFS behind it (FL_SLEEP, our lm_notify), so the unlock wakes us at once.
 * The GRANTED reply comes back to lockd's nlmsvc_grant_reply(), which the
 * lockd edge passes here: a client that no longer wants the lock gets it
 * released again.
 *
 * Lifetime: a pending is listed (one reference) in its file's bucket and
 * under its cookie; every queued run of its work holds a reference of its
 * own, so a kick or a VFS notify racing a forget never runs on freed
 * memory. p->mutex orders the work against forget/reply: once p->dead is
 * set under it, the work neither locks nor re-arms the VFS waiter. The
 * request holds lockd's nlm_file (as a lockd block does), so the lock it
 * grants is on lockd's own open of the file for that mode, which lockd
 * keeps open while the lock exists.
 */
#include <linux/filelock.h>
#include <linux/fs.h>
#include <linux/hash.h>
#include <linux/lockd/lockd.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/utsname.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "arbiter.h"
#include "client.h"
#include "hook.h"
#include "nlm_pending.h"
#include "stats.h"
#include "table.h"
#include "vfs_sync.h"

/*
 * Call stubs of lockd functions used here; the lockd edge's hookset
 * attaches them (hook.h). Never called through a pointer.
 */
XLOCK_STUB struct nlm_rqst *xlock_call_nlm_alloc_call(struct nlm_host *host)
{
	xlock_call_unreachable(__func__);
	return NULL;
}

XLOCK_STUB int xlock_call_nlm_async_call(struct nlm_rqst *req, u32 proc,
					 const struct rpc_call_ops *ops)
{
	xlock_call_unreachable(__func__);
	return -EIO;
}

XLOCK_STUB struct nlm_host *xlock_call_nlm_get_host(struct nlm_host *host)
{
	xlock_call_unreachable(__func__);
	return host;
}

XLOCK_STUB void xlock_call_nlmsvc_release_host(struct nlm_host *host)
{
	xlock_call_unreachable(__func__);
}

XLOCK_STUB void xlock_call_nlm_release_file(struct nlm_file *file)
{
	xlock_call_unreachable(__func__);
}

#define COOKIE_MAGIC	0x786c636bU	/* "xlck" */
#define MAX_AGE		(10 * 60 * HZ)	/* a waiter nobody cancels */
#define REPLY_WAIT	(60 * HZ)	/* for the client's GRANTED_RES */
#define REAP_EVERY	(30 * HZ)
#define BUCKET_BITS	10

enum { P_WAITING, P_GRANTED };

struct pending {
	struct list_head node;		/* in its file's bucket, under the bucket lock */
	struct work_struct work;
	refcount_t ref;
	struct mutex mutex;		/* state, armed, wfl, dead; the work's run */
	bool dead;			/* finished: the work does nothing more */
	u32 cookie;
	int state;
	unsigned long created;
	struct xlock_file *f;		/* pinned */
	struct nlm_file *nfile;		/* pinned (f_count), as a lockd block does */
	struct file *filp;		/* pinned: lockd's open for the lock's mode */
	struct file_lock fl;		/* the request, as lockd set it up */
	struct file_lock wfl;		/* our waiter in the VFS, when armed */
	bool armed;
	struct nlm_host *host;		/* pinned */
	struct nfs_fh fh;
	u32 svid;
	u8 oh[NLMCLNT_OHSIZE];
	unsigned int oh_len;
	u32 entry;			/* the PENDING table entry */
};

/* Pendings hashed by file: add, kick and find touch one file's requests. */
static struct pending_bucket {
	spinlock_t lock;		/* list, and pendings_stopped */
	struct list_head list;
} buckets[1 << BUCKET_BITS];

static DEFINE_XARRAY_ALLOC(cookies);	/* cookie -> listed pending */
static u32 next_cookie;
static bool pendings_stopped = true;	/* written under every bucket lock */
static struct workqueue_struct *pending_wq;
static const struct rpc_call_ops *lockd_callback_ops;
static void reap_fn(struct work_struct *w);
static DECLARE_DELAYED_WORK(reap_work, reap_fn);

static struct pending_bucket *bucket_of(u64 dev, u64 ino)
{
	return &buckets[hash_64(ino ^ (dev << 32) ^ (dev >> 32), BUCKET_BITS)];
}

static struct pending_bucket *bucket_of_inode(const struct inode *inode)
{
	return bucket_of(inode->i_sb->s_dev, inode->i_ino);
}

static void pending_put(struct pending *p)
{
	if (!refcount_dec_and_test(&p->ref))
		return;
	locks_release_private(&p->fl);
	fput(p->filp);
	xlock_call_nlm_release_file(p->nfile);
	xlock_call_nlmsvc_release_host(p->host);
	xlock_file_put(p->f);
	kfree(p);
}

/* Run @p's work once more; the run holds its own reference. */
static void pending_queue(struct pending *p)
{
	refcount_inc(&p->ref);
	if (!queue_work(pending_wq, &p->work))
		refcount_dec(&p->ref);	/* already queued; never the last */
}

/* Give back the lock granted for @p (the client did not take it). */
static void pending_unlock(struct pending *p)
{
	struct file_lock unl;

	locks_init_lock(&unl);
	locks_copy_lock(&unl, &p->fl);
	unl.c.flc_type = F_UNLCK;
	vfs_lock_file(p->filp, F_SETLK, &unl, NULL);
	locks_release_private(&unl);
	xlock_sync_locks(p->f, file_inode(p->filp), XLOCK_PROTO_NLM, NULL, 0, NULL);
}

/*
 * Finish @p (once; the caller holds a reference): off its bucket and
 * cookie, its VFS waiter and table entry gone; with @release a lock
 * already granted for it is given back.
 */
static void pending_finish(struct pending *p, bool release)
{
	struct pending_bucket *b = bucket_of_inode(file_inode(p->filp));
	bool listed;

	spin_lock(&b->lock);
	listed = !list_empty(&p->node);
	list_del_init(&p->node);
	spin_unlock(&b->lock);
	if (!listed)
		return;
	xa_erase(&cookies, p->cookie);
	mutex_lock(&p->mutex);
	p->dead = true;
	if (p->armed)
		locks_delete_block(&p->wfl);
	p->armed = false;
	if (p->state == P_GRANTED && release)
		pending_unlock(p);
	mutex_unlock(&p->mutex);
	xlock_entry_del_id(p->entry, XLOCK_ENTRY_F_PENDING);
	pending_put(p);
}

static void waiter_notify(struct file_lock *wfl)
{
	struct pending *p = container_of(wfl, struct pending, wfl);

	/* Under the VFS's blocked_lock_lock: only queue. */
	pending_queue(p);
}

static const struct lock_manager_operations waiter_lmops = {
	.lm_notify = waiter_notify,
};

/* Wait in the VFS behind whatever holds the range now. */
static void arm(struct pending *p)
{
	int ret;

	lockdep_assert_held(&p->mutex);
	if (p->armed)
		locks_delete_block(&p->wfl);
	locks_init_lock(&p->wfl);
	p->wfl.c.flc_type = p->fl.c.flc_type;
	p->wfl.c.flc_flags = FL_POSIX | FL_SLEEP;
	p->wfl.c.flc_owner = (fl_owner_t)p;
	p->wfl.c.flc_pid = p->fl.c.flc_pid;
	p->wfl.c.flc_file = p->filp;
	p->wfl.fl_start = p->fl.fl_start;
	p->wfl.fl_end = p->fl.fl_end;
	p->wfl.fl_lmops = &waiter_lmops;
	p->armed = true;
	ret = vfs_lock_file(p->filp, F_SETLK, &p->wfl, NULL);
	if (ret == FILE_LOCK_DEFERRED)
		return;
	if (!ret) {
		/* Free already: give the range back and try at once. */
		p->wfl.c.flc_type = F_UNLCK;
		vfs_lock_file(p->filp, F_SETLK, &p->wfl, NULL);
	}
	p->armed = false;
	pending_queue(p);
}

static void send_granted(struct pending *p)
{
	struct nlm_rqst *call = xlock_call_nlm_alloc_call(p->host);
	struct nlm_lock *lock;

	if (!call)
		return;
	lock = &call->a_args.lock;
	call->a_args.cookie.len = 8;
	memcpy(call->a_args.cookie.data, &(u32){ COOKIE_MAGIC }, 4);
	memcpy(call->a_args.cookie.data + 4, &p->cookie, 4);
	lock->caller = utsname()->nodename;
	lock->len = strlen(lock->caller);
	lock->fh = p->fh;
	lock->oh.len = p->oh_len;
	lock->oh.data = call->a_owner;
	memcpy(call->a_owner, p->oh, p->oh_len);
	lock->svid = p->svid;
	lock->fl.c.flc_type = p->fl.c.flc_type;
	lock->fl.fl_start = p->fl.fl_start;
	lock->fl.fl_end = p->fl.fl_end;
	call->a_args.block = 0;
	/*
	 * lockd's own callback ops release the call (and its host reference)
	 * when the RPC is done: no code of ours runs in rpciod.
	 */
	if (xlock_call_nlm_async_call(call, NLMPROC_GRANTED_MSG, lockd_callback_ops) < 0)
		return;
	xlock_stat_inc(XLOCK_STAT_NLM_GRANTED_CB);
}

/* Try to grant @p now: take the lock as lockd would, tell the client. */
static int pending_try(struct pending *p)
{
	struct xlock_rule_req req = {
		.op = XLOCK_OP_NLM_LOCK,
		.mode = lock_is_write(&p->fl) ? XLOCK_MODE_EXCL : XLOCK_MODE_SHARED,
		.start = p->fl.fl_start,
		.end = p->fl.fl_end == OFFSET_MAX ? XLOCK_END_MAX : p->fl.fl_end,
	};
	loff_t start = p->fl.fl_start, end = p->fl.fl_end;
	int ret;

	lockdep_assert_held(&p->mutex);
	/* The SMB side first: a lease that came back is broken again. */
	ret = xlock_arbitrate(p->f, &req, 0, "nlm", NULL);
	if (ret == XLOCK_ARB_WAIT || ret == XLOCK_ARB_SHARING)
		return 0;	/* the break's completion kicks us again */
	/*
	 * An SMB lock in the table: ksmbd's unlock frees the VFS range
	 * before the table drops it, and a grant on the VFS's word alone
	 * would skip the lease breaks this verdict hid (I1). The table's
	 * update (locks_sync, or the close) kicks us.
	 */
	if (ret == XLOCK_ARB_DENY)
		return 0;
	p->fl.c.flc_flags &= ~FL_SLEEP;
	ret = vfs_lock_file(p->filp, F_SETLK, &p->fl, NULL);
	p->fl.fl_start = start;
	p->fl.fl_end = end;
	if (ret == -EAGAIN) {
		arm(p);
		return 0;
	}
	if (ret)
		return ret;
	WRITE_ONCE(p->state, P_GRANTED);
	xlock_entry_del_id(p->entry, XLOCK_ENTRY_F_PENDING);
	xlock_sync_locks(p->f, file_inode(p->filp), XLOCK_PROTO_NLM, NULL, 0, NULL);
	send_granted(p);
	WRITE_ONCE(p->created, jiffies);
	return 0;
}

static void pending_fn(struct work_struct *w)
{
	struct pending *p = container_of(w, struct pending, work);
	int ret = 0;

	mutex_lock(&p->mutex);
	if (!p->dead && p->state == P_WAITING)
		ret = pending_try(p);
	mutex_unlock(&p->mutex);
	if (ret)
		pending_finish(p, false);
	pending_put(p);		/* this run's reference */
}

static bool same_request(const struct pending *p, const struct nlm_host *host,
			 const struct inode *inode, const struct nlm_lock *lock)
{
	return p->host == host && file_inode(p->filp) == inode && p->svid == lock->svid &&
	       p->fl.fl_start == lock->fl.fl_start && p->fl.fl_end == lock->fl.fl_end;
}

/* The pending for this request, with a reference, or NULL. */
static struct pending *find_get(const struct nlm_host *host, const struct inode *inode,
				const struct nlm_lock *lock)
{
	struct pending_bucket *b = bucket_of_inode(inode);
	struct pending *p, *found = NULL;

	spin_lock(&b->lock);
	list_for_each_entry(p, &b->list, node) {
		if (same_request(p, host, inode, lock)) {
			refcount_inc(&p->ref);
			found = p;
			break;
		}
	}
	spin_unlock(&b->lock);
	return found;
}

/* Reaping: a granted request whose reply never came, a waiter nobody wants. */
static bool expired(const struct pending *p)
{
	return time_after(jiffies, READ_ONCE(p->created) +
			  (READ_ONCE(p->state) == P_GRANTED ? REPLY_WAIT : MAX_AGE));
}

/*
 * Finish (without giving locks back) every pending that has expired
 * (@reap), or else every one of @host (NULL: all).
 */
static void finish_matching(const struct nlm_host *host, bool reap)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(buckets); i++) {
		struct pending_bucket *b = &buckets[i];
		struct pending *p;

		for (;;) {
			bool found = false;

			spin_lock(&b->lock);
			list_for_each_entry(p, &b->list, node) {
				if (reap ? expired(p) : !host || p->host == host) {
					refcount_inc(&p->ref);
					found = true;
					break;
				}
			}
			spin_unlock(&b->lock);
			if (!found)
				break;
			pending_finish(p, false);
			pending_put(p);
		}
	}
}

/* Forget granted requests whose reply never came, and waiters nobody wants. */
static void reap_fn(struct work_struct *w)
{
	finish_matching(NULL, true);
	if (!READ_ONCE(pendings_stopped))
		queue_delayed_work(pending_wq, &reap_work, REAP_EVERY);
}

/*
 * lockd answers NLM4_BLOCKED to @lock for @host on @file (@f in the table):
 * keep the request and grant it when the SMB side lets go. Runs on lockd's
 * thread, inside the request that holds @file.
 */
int xlock_nlm_pending_add(struct xlock_file *f, struct nlm_file *file, struct nlm_host *host,
			  struct nlm_lock *lock)
{
	struct xlock_entry_init init = {
		.proto = XLOCK_PROTO_NLM, .kind = XLOCK_KIND_LOCK,
		.flags = XLOCK_ENTRY_F_PENDING,
		.mode = lock_is_write(&lock->fl) ? XLOCK_MODE_EXCL : XLOCK_MODE_SHARED,
		.start = lock->fl.fl_start,
		.end = lock->fl.fl_end == OFFSET_MAX ? XLOCK_END_MAX : lock->fl.fl_end,
		.owner.nlm.svid = lock->svid,
	};
	/* lockd's open of the file for this lock's mode: the grant uses it. */
	struct file *filp = lock->fl.c.flc_file;
	struct pending_bucket *b;
	struct xlock_client *c;
	struct pending *p;
	const char *why;
	int ret;

	if (lock->oh.len > NLMCLNT_OHSIZE || !lockd_callback_ops || !filp)
		return -EINVAL;		/* the client's polling will do */
	p = find_get(host, file_inode(filp), lock);
	if (p) {
		pending_put(p);
		return 0;
	}

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	c = xlock_nlm_host_client(host, true);
	if (IS_ERR(c)) {
		kfree(p);
		return PTR_ERR(c);
	}
	ret = xlock_entry_add(f, c, &init, &p->entry, &why);
	xlock_client_put(c);
	if (ret) {
		kfree(p);
		return ret;
	}
	INIT_LIST_HEAD(&p->node);
	INIT_WORK(&p->work, pending_fn);
	mutex_init(&p->mutex);
	refcount_set(&p->ref, 1);
	p->created = jiffies;
	refcount_inc(&f->ref);
	p->f = f;
	/* lockd itself counts its blocks so, on this thread (nlmsvc_create_block). */
	file->f_count++;
	p->nfile = file;
	p->filp = get_file(filp);
	locks_init_lock(&p->fl);
	locks_copy_lock(&p->fl, &lock->fl);
	p->host = xlock_call_nlm_get_host(host);
	p->fh = lock->fh;
	p->svid = lock->svid;
	p->oh_len = lock->oh.len;
	memcpy(p->oh, lock->oh.data, lock->oh.len);

	ret = xa_alloc_cyclic(&cookies, &p->cookie, p, XA_LIMIT(1, U32_MAX), &next_cookie,
			      GFP_KERNEL);
	if (ret < 0)
		goto fail;
	b = bucket_of_inode(file_inode(filp));
	spin_lock(&b->lock);
	if (pendings_stopped) {
		spin_unlock(&b->lock);
		xa_erase(&cookies, p->cookie);
		ret = -ENOTCONN;
		goto fail;
	}
	list_add_tail(&p->node, &b->list);
	spin_unlock(&b->lock);
	xlock_stat_inc(XLOCK_STAT_NLM_BLOCKED);
	pending_queue(p);
	return 0;
fail:
	xlock_entry_del_id(p->entry, XLOCK_ENTRY_F_PENDING);
	pending_put(p);
	return ret;
}

/* Something on @f changed (a break finished, an SMB lock or open went). */
void xlock_nlm_pending_kick(struct xlock_file *f)
{
	struct pending_bucket *b = bucket_of(f->key.dev, f->key.ino);
	struct pending *p;

	spin_lock(&b->lock);
	list_for_each_entry(p, &b->list, node)
		if (p->f == f && READ_ONCE(p->state) == P_WAITING)
			pending_queue(p);
	spin_unlock(&b->lock);
}

/*
 * lockd answered the request itself (@cancel false: the lock, if we
 * granted it, is the client's now), or the client cancelled it (@cancel:
 * a lock we granted in the meantime is given back).
 */
void xlock_nlm_pending_forget(const struct nlm_host *host, const struct inode *inode,
			      const struct nlm_lock *lock, bool cancel)
{
	struct pending *p = find_get(host, inode, lock);

	if (!p)
		return;
	pending_finish(p, cancel);
	pending_put(p);
}

/* FREE_ALL or a reboot of @host (NULL: all): lockd drops its state, we drop ours. */
void xlock_nlm_pending_forget_host(const struct nlm_host *host)
{
	finish_matching(host, false);
}

/*
 * The client's answer to a GRANTED_MSG of ours (lockd passes every
 * GRANTED_RES to nlmsvc_grant_reply()). Returns false if the cookie is not
 * ours. A client that did not take the lock gets it released.
 */
bool xlock_nlm_pending_reply(const struct nlm_cookie *cookie, __be32 status)
{
	struct pending *p;
	u32 magic, id;
	bool granted;

	if (cookie->len != 8)
		return false;
	memcpy(&magic, cookie->data, 4);
	memcpy(&id, cookie->data + 4, 4);
	if (magic != COOKIE_MAGIC)
		return false;
	xa_lock(&cookies);
	p = xa_load(&cookies, id);
	if (p)
		refcount_inc(&p->ref);
	xa_unlock(&cookies);
	if (!p)
		return true;
	mutex_lock(&p->mutex);
	granted = p->state == P_GRANTED;
	mutex_unlock(&p->mutex);
	if (granted)
		pending_finish(p, status != nlm_granted);
	pending_put(p);
	return true;
}

static void set_stopped(bool stopped)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(buckets); i++) {
		spin_lock(&buckets[i].lock);
		WRITE_ONCE(pendings_stopped, stopped);
		spin_unlock(&buckets[i].lock);
	}
}

void xlock_nlm_pendings_start(const struct rpc_call_ops *callback_ops)
{
	lockd_callback_ops = callback_ops;
	set_stopped(false);
	queue_delayed_work(pending_wq, &reap_work, REAP_EVERY);
}

/* lockd is going (or xlock is): nothing stays pending on its behalf. */
void xlock_nlm_pendings_stop(void)
{
	set_stopped(true);
	cancel_delayed_work_sync(&reap_work);
	xlock_nlm_pending_forget_host(NULL);
	flush_workqueue(pending_wq);
	lockd_callback_ops = NULL;
}

int xlock_nlm_pendings_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(buckets); i++) {
		spin_lock_init(&buckets[i].lock);
		INIT_LIST_HEAD(&buckets[i].list);
	}
	pending_wq = alloc_workqueue("xlock_nlm", WQ_UNBOUND, 0);
	return pending_wq ? 0 : -ENOMEM;
}

void xlock_nlm_pendings_exit(void)
{
	xlock_nlm_pendings_stop();
	destroy_workqueue(pending_wq);
}
