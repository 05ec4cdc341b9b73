// SPDX-License-Identifier: GPL-2.0
/*
 * Breaking SMB leases and oplocks for the other protocol.
 *
 * ksmbd's oplock_break() sends the break and then waits for the client's
 * ack (up to its own 35 s), so it runs here on xlock's workqueue, never on
 * a lockd or nfsd thread. It is a static function of ksmbd: we reach it
 * through a call stub (kmod/hook/hook.h), never through a pointer.
 *
 * Each break walks the lease down until it holds no more than asked (one
 * oplock_break() per step; straight to none when the target has no R).
 * The share's break timeout is ours, not ksmbd's: when it passes, the
 * lease is revoked the way ksmbd revokes on its own timeout (state none,
 * ack wait over), so the waiting NFS request goes ahead.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "arbiter.h"
#include "edge.h"
#include "ksmbd_obj.h"
#include "nlm_pending.h"
#include "smb_break.h"
#include "stats.h"
#include "table.h"
#include "xlock_trace.h"

struct smb_break {
	struct work_struct work;
	struct delayed_work revoke;
	struct list_head node;		/* in breaks, under breaks_lock */
	struct xlock_file *f;		/* pinned */
	u32 id;				/* the lease entry */
	u64 fp;				/* its open: finds the opinfo */
	u8 to;
	unsigned int timeout_ms;
	u64 started;
	spinlock_t lock;		/* op */
	struct oplock_info *op;		/* pinned while the worker breaks it */
};

static struct workqueue_struct *break_wq;
static struct xlock_edge *ksmbd_edge;	/* set once ksmbd is attached */
static DEFINE_SPINLOCK(breaks_lock);
static LIST_HEAD(breaks);
static bool breaks_stopped = true;

XLOCK_STUB int xlock_call_oplock_break(struct oplock_info *op, struct ksmbd_inode *ci,
				       int level, struct ksmbd_work *work)
{
	xlock_call_unreachable(__func__);
	return -EIO;
}

XLOCK_STUB struct ksmbd_inode *xlock_call_ksmbd_inode_lookup_lock(struct dentry *d)
{
	xlock_call_unreachable(__func__);
	return NULL;
}

XLOCK_STUB void xlock_call_ksmbd_inode_put(struct ksmbd_inode *ci)
{
	xlock_call_unreachable(__func__);
}

XLOCK_STUB void xlock_call_opinfo_put(struct oplock_info *op)
{
	xlock_call_unreachable(__func__);
}

/* The opinfo of open @fp on @ci, with a reference, as ksmbd takes them. */
static struct oplock_info *find_op(struct ksmbd_inode *ci, u64 fp)
{
	struct oplock_info *op, *found = NULL;
	struct list_head *pos;

	down_read(ks_ci_lock(ci));
	list_for_each(pos, ks_ci_ops(ci)) {
		op = ks_op_of_entry(pos);
		if ((u64)(unsigned long)ks_op_fp(op) != fp)
			continue;
		if (ks_op_conn(op) && atomic_inc_not_zero(ks_op_ref(op))) {
			if (ks_conn_releasing(ks_op_conn(op)))
				atomic_dec(ks_op_ref(op));
			else
				found = op;
		}
		break;
	}
	up_read(ks_ci_lock(ci));
	return found;
}

/*
 * Revoke a lease whose client did not ack in time: what ksmbd's own
 * wait_for_break_ack() does on its timeout, then wake its waiters.
 */
static void revoke_fn(struct work_struct *w)
{
	struct smb_break *b = container_of(to_delayed_work(w), struct smb_break, revoke);
	bool revoked = false;
	struct oplock_info *op;

	spin_lock(&b->lock);
	op = b->op;
	if (op) {
		spin_lock(ks_op_lock(op));
		if (*ks_op_state(op) == KS_OPLOCK_ACK_WAIT) {
			if (ks_op_is_lease(op))
				WRITE_ONCE(*ks_lease_state(ks_op_lease(op)), 0);
			WRITE_ONCE(*ks_op_level(op), KS_OPLOCK_NONE);
			WRITE_ONCE(*ks_op_state(op), KS_OPLOCK_STATE_NONE);
			revoked = true;
		}
		spin_unlock(ks_op_lock(op));
		if (revoked) {
			atomic_dec_if_positive(ks_op_breaking(op));
			wake_up_interruptible_all(ks_op_ack_q(op));
			wake_up_interruptible_all(ks_op_brk_q(op));
		}
	}
	spin_unlock(&b->lock);
	if (revoked) {
		trace_xlock_break_timeout(&b->f->key, b->id, b->to, 0,
					  ktime_get_ns() - b->started);
		xlock_stat_inc(XLOCK_STAT_BREAKS_TIMED_OUT);
		xlock_conflict_note(xlock_file_path(b->f),
				    "lease break not acked in %u ms: SMB lease revoked",
				    b->timeout_ms);
	}
}

static u8 break_op(struct smb_break *b, struct ksmbd_inode *ci, struct oplock_info *op)
{
	u8 cur = ks_op_lease_state(op), next;
	int ret;

	while (cur & ~b->to) {
		bool *trunc = ks_op_open_trunc(op), saved = READ_ONCE(*trunc);

		/* ksmbd breaks one step at a time; open_trunc makes it none. */
		if (!(b->to & XLOCK_LEASE_R))
			WRITE_ONCE(*trunc, true);
		ret = xlock_call_oplock_break(op, ci, KS_OPLOCK_NONE, NULL);
		if (!(b->to & XLOCK_LEASE_R))
			WRITE_ONCE(*trunc, saved);
		next = ks_op_lease_state(op);
		if (ret < 0 || next == cur)
			break;
		cur = next;
	}
	return cur;
}

/*
 * For tests only: a break that ends late, so that a request decided after
 * the client's ack comes before the break's end updates the table.
 */
static unsigned int break_end_delay_ms;
module_param(break_end_delay_ms, uint, 0644);
MODULE_PARM_DESC(break_end_delay_ms,
		 "Testing: sleep this long between a break's end and its table update (0: off)");

static void break_end_delay(void)
{
	unsigned int ms = READ_ONCE(break_end_delay_ms);

	if (unlikely(ms))
		msleep(min(ms, 5000U));
}

static void break_fn(struct work_struct *w)
{
	struct smb_break *b = container_of(w, struct smb_break, work);
	struct xlock_edge *edge = READ_ONCE(ksmbd_edge);
	struct ksmbd_inode *ci = NULL;
	struct oplock_info *op = NULL;
	struct dentry *d;
	u8 state = 0;

	if (!edge || !xlock_edge_get(edge))
		goto done;
	d = READ_ONCE(b->f->smb_dentry);
	if (d)
		ci = xlock_call_ksmbd_inode_lookup_lock(d);
	if (ci)
		op = find_op(ci, b->fp);
	if (op) {
		/*
		 * Under breaks_lock: a breaks_stop() either comes after the
		 * op is set and our timer armed (its zero delay wins), or
		 * before, and we see it stopped.
		 */
		spin_lock(&breaks_lock);
		spin_lock(&b->lock);
		b->op = op;
		spin_unlock(&b->lock);
		mod_delayed_work(break_wq, &b->revoke, breaks_stopped ? 0 :
				 msecs_to_jiffies(b->timeout_ms));
		spin_unlock(&breaks_lock);
		state = break_op(b, ci, op);
		cancel_delayed_work_sync(&b->revoke);
		spin_lock(&b->lock);
		b->op = NULL;
		spin_unlock(&b->lock);
		xlock_call_opinfo_put(op);
	}
	if (ci)
		xlock_call_ksmbd_inode_put(ci);
	xlock_edge_put(edge);
	if (!(state & ~b->to))
		xlock_stat_inc(XLOCK_STAT_BREAKS_DONE);
	xlock_stat_latency(ktime_get_ns() - b->started);
done:
	/* No opinfo: the open is gone, and with it the lease. */
	trace_xlock_break_acked(&b->f->key, b->id, b->to, state, ktime_get_ns() - b->started);
	break_end_delay();
	xlock_lease_set_state(b->f, b->id, state, b->to);
	xlock_nlm_pending_kick(b->f);
	spin_lock(&breaks_lock);
	list_del(&b->node);
	spin_unlock(&breaks_lock);
	xlock_file_put(b->f);
	kfree(b);
}

#ifdef XLOCK_TEST
/* A break that cannot start, as on an allocation failure (test module only). */
static bool fail_breaks;
module_param(fail_breaks, bool, 0644);
MODULE_PARM_DESC(fail_breaks, "Test knob: no lease break can start (test module only)");

static bool breaks_fail(void)
{
	return READ_ONCE(fail_breaks);
}
#else
static bool breaks_fail(void)
{
	return false;
}
#endif

/*
 * Start breaking lease entry @id (open @fp) of @f to @to; the caller has
 * marked the entry as breaking. Returns -ENOTCONN when the ksmbd edge is
 * not active.
 */
int xlock_smb_break(struct xlock_file *f, u32 id, u64 fp, u8 to, unsigned int timeout_ms)
{
	struct smb_break *b = kzalloc(sizeof(*b), GFP_KERNEL);

	if (b && breaks_fail()) {
		kfree(b);
		b = NULL;
	}
	if (!b)
		goto fail;
	INIT_WORK(&b->work, break_fn);
	INIT_DELAYED_WORK(&b->revoke, revoke_fn);
	spin_lock_init(&b->lock);
	refcount_inc(&f->ref);
	b->f = f;
	b->id = id;
	b->fp = fp;
	b->to = to;
	b->timeout_ms = timeout_ms;
	b->started = ktime_get_ns();
	spin_lock(&breaks_lock);
	if (breaks_stopped) {
		spin_unlock(&breaks_lock);
		xlock_file_put(f);
		kfree(b);
		goto fail;
	}
	list_add(&b->node, &breaks);
	queue_work(break_wq, &b->work);
	spin_unlock(&breaks_lock);
	trace_xlock_break_sent(&f->key, id, to, 0, 0);
	xlock_stat_inc(XLOCK_STAT_BREAKS_SENT);
	return 0;

fail:
	/*
	 * Nothing was sent: the lease stays as it is, only no longer
	 * breaking. Waiters are not woken (they would only try again at
	 * once); they answer "later" at their deadline.
	 */
	xlock_lease_set_breaking(f, id, XLOCK_NO_BREAK);
	return -ENOTCONN;
}

/* ksmbd is attached (edge @e): breaks may be queued. */
void xlock_smb_breaks_start(struct xlock_edge *e)
{
	WRITE_ONCE(ksmbd_edge, e);
	spin_lock(&breaks_lock);
	breaks_stopped = false;
	spin_unlock(&breaks_lock);
}

/*
 * ksmbd is detaching: refuse new breaks, revoke the running ones at once
 * (a client that never acks must not hold up an unload) and wait for all.
 */
void xlock_smb_breaks_stop(void)
{
	struct smb_break *b;

	spin_lock(&breaks_lock);
	breaks_stopped = true;
	list_for_each_entry(b, &breaks, node)
		mod_delayed_work(break_wq, &b->revoke, 0);
	spin_unlock(&breaks_lock);
	flush_workqueue(break_wq);
}

/* How the arbiter (core) has SMB leases broken without calling up. */
static const struct xlock_breaker_ops smb_breaker_ops = {
	.brk = xlock_smb_break,
};

int xlock_smb_breaks_init(void)
{
	break_wq = alloc_workqueue("xlock_break", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!break_wq)
		return -ENOMEM;
	xlock_arbiter_set_breaker(&smb_breaker_ops);
	return 0;
}

void xlock_smb_breaks_exit(void)
{
	xlock_arbiter_set_breaker(NULL);
	xlock_smb_breaks_stop();
	destroy_workqueue(break_wq);
}
