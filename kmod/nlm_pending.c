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
 */
#include <linux/filelock.h>
#include <linux/fs.h>
#include <linux/lockd/lockd.h>
#include <linux/slab.h>
#include <linux/utsname.h>
#include <linux/workqueue.h>

#include "arbiter.h"
#include "nlm.h"
#include "stats.h"
#include "table.h"
#include "vfs_sync.h"

#define COOKIE_MAGIC	0x786c636bU	/* "xlck" */
#define MAX_AGE		(10 * 60 * HZ)	/* a waiter nobody cancels */
#define REPLY_WAIT	(60 * HZ)	/* for the client's GRANTED_RES */

enum { P_WAITING, P_GRANTED };

struct pending {
	struct list_head node;		/* in pendings, under pending_lock */
	struct work_struct work;
	refcount_t ref;
	u32 cookie;
	int state;
	unsigned long created;
	struct xlock_file *f;		/* pinned */
	struct file *filp;		/* pinned: lockd's open of the file */
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

static DEFINE_SPINLOCK(pending_lock);
static LIST_HEAD(pendings);
static u32 next_cookie;
static bool pendings_stopped = true;
static struct workqueue_struct *pending_wq;
static const struct rpc_call_ops *lockd_callback_ops;

static void pending_put(struct pending *p)
{
	if (!refcount_dec_and_test(&p->ref))
		return;
	locks_release_private(&p->fl);
	fput(p->filp);
	xlock_call_nlmsvc_release_host(p->host);
	xlock_file_put(p->f);
	kfree(p);
}

/* Take @p off the list (once): its table entry and VFS waiter go too. */
static void pending_drop(struct pending *p)
{
	bool listed;

	spin_lock(&pending_lock);
	listed = !list_empty(&p->node);
	list_del_init(&p->node);
	spin_unlock(&pending_lock);
	if (!listed)
		return;
	if (p->armed)
		locks_delete_block(&p->wfl);
	xlock_entry_del_id(p->entry, XLOCK_ENTRY_F_PENDING);
	pending_put(p);
}

static void waiter_notify(struct file_lock *wfl)
{
	struct pending *p = container_of(wfl, struct pending, wfl);

	/* Under the VFS's blocked_lock_lock: only queue. */
	queue_work(pending_wq, &p->work);
}

static const struct lock_manager_operations waiter_lmops = {
	.lm_notify = waiter_notify,
};

/* Wait in the VFS behind whatever holds the range now. */
static void arm(struct pending *p)
{
	int ret;

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
	queue_work(pending_wq, &p->work);
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
static void pending_fn(struct work_struct *w)
{
	struct pending *p = container_of(w, struct pending, work);
	struct xlock_rule_req req = {
		.op = XLOCK_OP_NLM_LOCK,
		.mode = lock_is_write(&p->fl) ? XLOCK_MODE_EXCL : XLOCK_MODE_SHARED,
		.start = p->fl.fl_start,
		.end = p->fl.fl_end == OFFSET_MAX ? XLOCK_END_MAX : p->fl.fl_end,
	};
	loff_t start = p->fl.fl_start, end = p->fl.fl_end;
	int ret;

	if (p->state != P_WAITING || list_empty(&p->node))
		return;
	/* The SMB side first: a lease that came back is broken again. */
	ret = xlock_arbitrate(p->f, &req, 0, "nlm", NULL);
	if (ret == XLOCK_ARB_WAIT || ret == XLOCK_ARB_SHARING)
		return;		/* the break's completion kicks us again */
	p->fl.c.flc_flags &= ~FL_SLEEP;
	ret = vfs_lock_file(p->filp, F_SETLK, &p->fl, NULL);
	p->fl.fl_start = start;
	p->fl.fl_end = end;
	if (ret == -EAGAIN) {
		arm(p);
		return;
	}
	if (ret) {
		pending_drop(p);
		return;
	}
	p->state = P_GRANTED;
	xlock_entry_del_id(p->entry, XLOCK_ENTRY_F_PENDING);
	xlock_sync_locks(p->f, file_inode(p->filp), XLOCK_PROTO_NLM, NULL, 0, NULL);
	send_granted(p);
	p->created = jiffies;
}

static bool same_request(const struct pending *p, const struct nlm_host *host,
			 const struct inode *inode, const struct nlm_lock *lock)
{
	return p->host == host && file_inode(p->filp) == inode && p->svid == lock->svid &&
	       p->fl.fl_start == lock->fl.fl_start && p->fl.fl_end == lock->fl.fl_end;
}

static struct pending *find(const struct nlm_host *host, const struct inode *inode,
			    const struct nlm_lock *lock)
{
	struct pending *p;

	list_for_each_entry(p, &pendings, node)
		if (same_request(p, host, inode, lock))
			return p;
	return NULL;
}

/* Forget granted requests whose reply never came, and waiters nobody wants. */
static void reap(void)
{
	struct pending *p;

	for (;;) {
		spin_lock(&pending_lock);
		list_for_each_entry(p, &pendings, node)
			if (time_after(jiffies, p->created +
				       (p->state == P_GRANTED ? REPLY_WAIT : MAX_AGE)))
				break;
		if (list_entry_is_head(p, &pendings, node)) {
			spin_unlock(&pending_lock);
			return;
		}
		refcount_inc(&p->ref);
		spin_unlock(&pending_lock);
		cancel_work_sync(&p->work);
		pending_drop(p);
		pending_put(p);
	}
}

/*
 * lockd answers NLM4_BLOCKED to @lock for @host on @f: keep the request and
 * grant it when the SMB side lets go.
 */
int xlock_nlm_pending_add(struct xlock_file *f, struct file *filp, struct nlm_host *host,
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
	struct xlock_client *c;
	struct pending *p;
	const char *why;
	char addr[48];
	int ret;

	if (lock->oh.len > NLMCLNT_OHSIZE || !lockd_callback_ops)
		return -EINVAL;		/* the client's polling will do */
	reap();
	spin_lock(&pending_lock);
	p = find(host, file_inode(filp), lock);
	spin_unlock(&pending_lock);
	if (p)
		return 0;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	xlock_addr_str((struct sockaddr *)&host->h_addr, addr, sizeof(addr));
	c = xlock_client_get(XLOCK_PROTO_NLM, host->h_name, addr, NULL);
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
	refcount_set(&p->ref, 1);
	p->created = jiffies;
	refcount_inc(&f->ref);
	p->f = f;
	p->filp = get_file(filp);
	locks_init_lock(&p->fl);
	locks_copy_lock(&p->fl, &lock->fl);
	p->host = xlock_call_nlm_get_host(host);
	p->fh = lock->fh;
	p->svid = lock->svid;
	p->oh_len = lock->oh.len;
	memcpy(p->oh, lock->oh.data, lock->oh.len);

	spin_lock(&pending_lock);
	if (pendings_stopped) {
		spin_unlock(&pending_lock);
		xlock_entry_del_id(p->entry, XLOCK_ENTRY_F_PENDING);
		pending_put(p);
		return -ENOTCONN;
	}
	p->cookie = ++next_cookie;
	list_add(&p->node, &pendings);
	spin_unlock(&pending_lock);
	xlock_stat_inc(XLOCK_STAT_NLM_BLOCKED);
	queue_work(pending_wq, &p->work);
	return 0;
}

/* Something on @f changed (a break finished, an SMB lock or open went). */
void xlock_nlm_pending_kick(struct xlock_file *f)
{
	struct pending *p;

	spin_lock(&pending_lock);
	list_for_each_entry(p, &pendings, node)
		if (p->f == f && p->state == P_WAITING)
			queue_work(pending_wq, &p->work);
	spin_unlock(&pending_lock);
}

/* The client cancelled, or asked again and lockd answered itself. */
void xlock_nlm_pending_forget(const struct nlm_host *host, const struct inode *inode,
			      const struct nlm_lock *lock)
{
	struct pending *p;

	spin_lock(&pending_lock);
	p = find(host, inode, lock);
	if (p)
		refcount_inc(&p->ref);
	spin_unlock(&pending_lock);
	if (!p)
		return;
	cancel_work_sync(&p->work);
	pending_drop(p);
	pending_put(p);
}

/* FREE_ALL or a reboot of @host: lockd drops its state, we drop ours. */
void xlock_nlm_pending_forget_host(const struct nlm_host *host)
{
	struct pending *p;

	for (;;) {
		spin_lock(&pending_lock);
		list_for_each_entry(p, &pendings, node)
			if (!host || p->host == host)
				break;
		if (list_entry_is_head(p, &pendings, node)) {
			spin_unlock(&pending_lock);
			return;
		}
		refcount_inc(&p->ref);
		spin_unlock(&pending_lock);
		cancel_work_sync(&p->work);
		pending_drop(p);
		pending_put(p);
	}
}

/*
 * The client's answer to a GRANTED_MSG of ours (lockd passes every
 * GRANTED_RES to nlmsvc_grant_reply()). Returns false if the cookie is not
 * ours. A client that did not take the lock gets it released.
 */
bool xlock_nlm_pending_reply(const struct nlm_cookie *cookie, __be32 status)
{
	struct pending *p, *found = NULL;
	u32 magic, id;

	if (cookie->len != 8)
		return false;
	memcpy(&magic, cookie->data, 4);
	memcpy(&id, cookie->data + 4, 4);
	if (magic != COOKIE_MAGIC)
		return false;
	spin_lock(&pending_lock);
	list_for_each_entry(p, &pendings, node) {
		if (p->cookie == id && p->state == P_GRANTED) {
			refcount_inc(&p->ref);
			found = p;
			break;
		}
	}
	spin_unlock(&pending_lock);
	if (!found)
		return true;
	if (status != nlm_granted) {
		struct file_lock unl;

		locks_init_lock(&unl);
		locks_copy_lock(&unl, &found->fl);
		unl.c.flc_type = F_UNLCK;
		vfs_lock_file(found->filp, F_SETLK, &unl, NULL);
		locks_release_private(&unl);
		xlock_sync_locks(found->f, file_inode(found->filp), XLOCK_PROTO_NLM, NULL, 0, NULL);
	}
	pending_drop(found);
	pending_put(found);
	return true;
}

void xlock_nlm_pendings_start(const struct rpc_call_ops *callback_ops)
{
	spin_lock(&pending_lock);
	lockd_callback_ops = callback_ops;
	pendings_stopped = false;
	spin_unlock(&pending_lock);
}

/* lockd is going (or xlock is): nothing stays pending on its behalf. */
void xlock_nlm_pendings_stop(void)
{
	spin_lock(&pending_lock);
	pendings_stopped = true;
	spin_unlock(&pending_lock);
	xlock_nlm_pending_forget_host(NULL);
	flush_workqueue(pending_wq);
	lockd_callback_ops = NULL;
}

int xlock_nlm_pendings_init(void)
{
	pending_wq = alloc_workqueue("xlock_nlm", WQ_UNBOUND, 0);
	return pending_wq ? 0 : -ENOMEM;
}

void xlock_nlm_pendings_exit(void)
{
	xlock_nlm_pendings_stop();
	destroy_workqueue(pending_wq);
}
