// SPDX-License-Identifier: GPL-2.0
/*
 * V3: an SMB open that conflicts with an NFSv4 delegation waits for it.
 *
 * ksmbd opens files with O_NONBLOCK. The open's lease break makes nfsd
 * queue the delegation recall and then fails with -EWOULDBLOCK, which the
 * SMB client sees as STATUS_UNEXPECTED_IO_ERROR. We wrap dentry_open():
 * when an open from ksmbd fails that way, a work item on our workqueue
 * polls the break until the delegation is returned (or nfsd revokes it,
 * one lease time after the recall), the ksmbd worker waits for that work
 * with a bound, as it waits for its own lease-break acks, and the open is
 * tried again. The same holds for any other conflicting lease. Before it
 * waits, the SMB client gets an interim STATUS_PENDING, as ksmbd sends
 * for its own lease breaks (the ksmbd calls are IBT-safe, see hook.h).
 *
 * This hookset belongs to the ksmbd edge: attached once that edge is (its
 * BTF check covers it), detached before it goes.
 */
#include <linux/delay.h>
#include <linux/filelock.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "hook.h"
#include "ksym.h"
#include "smb_deleg.h"

struct ksmbd_work;
#include "table.h"

static unsigned int deleg_wait_ms = 100000;
module_param(deleg_wait_ms, uint, 0644);
MODULE_PARM_DESC(deleg_wait_ms,
		 "Longest an SMB open waits for an NFSv4 delegation to be returned or revoked (ms; at least the share's break timeout)");

/* MS-ERREF NTSTATUS: the request goes on; the final reply comes later. */
#define XLOCK_STATUS_PENDING cpu_to_le32(0x00000103)

/* How often the recall is checked; a returned delegation is seen this fast. */
#define DELEG_POLL_MS 10

struct deleg_wait {
	struct work_struct work;
	refcount_t ref;
	struct inode *inode;
	unsigned int mode;		/* O_ACCMODE of the open */
	unsigned long deadline;		/* jiffies */
	bool cancel;
	int result;
	struct completion done;
};

static struct workqueue_struct *deleg_wq;
static bool deleg_stopping;

static XLOCK_STUB struct file *call_dentry_open(const struct path *path, int flags,
						const struct cred *cred)
{
	xlock_call_unreachable(__func__);
	return ERR_PTR(-EWOULDBLOCK);
}

static_assert(__same_type(&call_dentry_open, &dentry_open));

static XLOCK_STUB int call_smb2_open(struct ksmbd_work *work)
{
	xlock_call_unreachable(__func__);
	return -EIO;
}

static XLOCK_STUB int call_setup_async_work(struct ksmbd_work *work, void (*fn)(void **),
					    void **arg)
{
	xlock_call_unreachable(__func__);
	return -EIO;
}

static XLOCK_STUB void call_smb2_send_interim_resp(struct ksmbd_work *work, __le32 status)
{
	xlock_call_unreachable(__func__);
}

static XLOCK_STUB void call_release_async_work(struct ksmbd_work *work)
{
	xlock_call_unreachable(__func__);
}

static struct file *wrap_dentry_open(const struct path *path, int flags,
				     const struct cred *cred);
static int wrap_smb2_open(struct ksmbd_work *work);

enum { H_DENTRY_OPEN, H_SMB2_OPEN };

static struct xlock_hook deleg_hooks[] = {
	[H_DENTRY_OPEN] = XLOCK_HOOK("dentry_open", wrap_dentry_open),
	[H_SMB2_OPEN] = XLOCK_HOOK("ksmbd:smb2_open", wrap_smb2_open),
};

static struct xlock_call deleg_calls[] = {
	XLOCK_CALL(call_dentry_open, "dentry_open"),
	XLOCK_CALL(call_smb2_open, "ksmbd:smb2_open"),
	XLOCK_CALL(call_setup_async_work, "ksmbd:setup_async_work"),
	XLOCK_CALL(call_smb2_send_interim_resp, "ksmbd:smb2_send_interim_resp"),
	XLOCK_CALL(call_release_async_work, "ksmbd:release_async_work"),
};

/* Which SMB2 CREATE each ksmbd worker is in (for the interim response). */
struct smb_open_ctx {
	struct list_head node;
	struct task_struct *task;
	struct ksmbd_work *work;
};

static LIST_HEAD(open_ctxs);
static DEFINE_SPINLOCK(open_ctx_lock);

static struct xlock_hookset deleg_hs = {
	.name = "smb-deleg",
	.hooks = deleg_hooks,
	.nr_hooks = ARRAY_SIZE(deleg_hooks),
	.calls = deleg_calls,
	.nr_calls = ARRAY_SIZE(deleg_calls),
};

static struct ksmbd_work *current_smb_work(void)
{
	struct ksmbd_work *work = NULL;
	struct smb_open_ctx *c;

	spin_lock(&open_ctx_lock);
	list_for_each_entry(c, &open_ctxs, node) {
		if (c->task == current) {
			work = c->work;
			break;
		}
	}
	spin_unlock(&open_ctx_lock);
	return work;
}

static int wrap_smb2_open(struct ksmbd_work *work)
{
	struct smb_open_ctx c = { .task = current, .work = work };
	int ret;

	xlock_hook_enter(&deleg_hs, &deleg_hooks[H_SMB2_OPEN]);
	spin_lock(&open_ctx_lock);
	list_add(&c.node, &open_ctxs);
	spin_unlock(&open_ctx_lock);
	ret = call_smb2_open(work);
	spin_lock(&open_ctx_lock);
	list_del(&c.node);
	spin_unlock(&open_ctx_lock);
	xlock_hook_exit(&deleg_hs);
	return ret;
}

/* STATUS_PENDING now, the real answer later: what ksmbd does before a break. */
static void smb_interim_pending(void)
{
	struct ksmbd_work *work = current_smb_work();

	if (!work || call_setup_async_work(work, NULL, NULL))
		return;
	call_smb2_send_interim_resp(work, XLOCK_STATUS_PENDING);
	call_release_async_work(work);
}

static void deleg_put(struct deleg_wait *w)
{
	if (!refcount_dec_and_test(&w->ref))
		return;
	iput(w->inode);
	kfree(w);
}

/* Poll the break: the first one queued nfsd's recall, later ones only look. */
static void deleg_work(struct work_struct *work)
{
	struct deleg_wait *w = container_of(work, struct deleg_wait, work);
	int ret;

	for (;;) {
		ret = break_lease(w->inode, w->mode | O_NONBLOCK);
		if (ret != -EWOULDBLOCK || READ_ONCE(w->cancel) || READ_ONCE(deleg_stopping) ||
		    time_after(jiffies, w->deadline))
			break;
		msleep(DELEG_POLL_MS);
	}
	w->result = ret;
	complete(&w->done);
	deleg_put(w);
}

/* Wait until no lease conflicts with opening @inode for @mode, or @deadline. */
static int deleg_wait(struct inode *inode, unsigned int mode, unsigned long deadline)
{
	struct deleg_wait *w;
	long left;
	int ret;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	INIT_WORK(&w->work, deleg_work);
	refcount_set(&w->ref, 2);
	init_completion(&w->done);
	w->inode = igrab(inode);
	if (!w->inode) {
		kfree(w);
		return -ESTALE;
	}
	w->mode = mode;
	w->deadline = deadline;
	queue_work(deleg_wq, &w->work);
	/* Interruptible: a long recall must not look like a hung task. */
	left = wait_for_completion_interruptible_timeout(&w->done,
							 max_t(long, deadline - jiffies, 1) + HZ);
	if (left > 0) {
		ret = w->result;
	} else {
		WRITE_ONCE(w->cancel, true);
		ret = -EWOULDBLOCK;
	}
	deleg_put(w);
	return ret;
}

static unsigned int wait_limit_ms(const struct path *path)
{
	struct xlock_share *s = xlock_share_of(path);
	unsigned int ms = max(READ_ONCE(s->break_timeout_ms), READ_ONCE(deleg_wait_ms));

	xlock_share_put(s);
	return ms;
}

static struct file *open_after_recall(const struct path *path, int flags,
				      const struct cred *cred, struct file *filp)
{
	struct inode *inode = d_inode(path->dentry);
	unsigned long start = jiffies;
	unsigned long deadline = start + msecs_to_jiffies(wait_limit_ms(path));
	int ret;

	smb_interim_pending();
	do {
		ret = deleg_wait(inode, flags & O_ACCMODE, deadline);
		if (ret)
			break;
		filp = call_dentry_open(path, flags, cred);
	} while (IS_ERR(filp) && PTR_ERR(filp) == -EWOULDBLOCK && time_before(jiffies, deadline));
	pr_info_ratelimited("SMB open (%s) of dev=%u:%u ino=%lu waited %u ms for an NFSv4 delegation recall: %s\n",
			    (flags & O_ACCMODE) == O_RDONLY ? "read" : "write",
			    MAJOR(inode->i_sb->s_dev), MINOR(inode->i_sb->s_dev), inode->i_ino,
			    jiffies_to_msecs(jiffies - start), IS_ERR(filp) ? "failed" : "opened");
	return filp;
}

static struct module *ksmbd_mod;	/* set while attached */

static bool from_ksmbd(unsigned long caller)
{
	struct module *mod = READ_ONCE(ksmbd_mod);

	return mod && within_module(caller, mod);
}

static struct file *wrap_dentry_open(const struct path *path, int flags,
				     const struct cred *cred)
{
	unsigned long caller = (unsigned long)__builtin_return_address(0);
	struct file *filp;

	xlock_hook_enter(&deleg_hs, &deleg_hooks[H_DENTRY_OPEN]);
	filp = call_dentry_open(path, flags, cred);
	if (IS_ERR(filp) && PTR_ERR(filp) == -EWOULDBLOCK && (flags & O_NONBLOCK) &&
	    d_is_reg(path->dentry) && from_ksmbd(caller))
		filp = open_after_recall(path, flags, cred, filp);
	xlock_hook_exit(&deleg_hs);
	return filp;
}

int xlock_smb_deleg_attach(struct module *ksmbd)
{
	char why[160];
	int ret;

	WRITE_ONCE(ksmbd_mod, ksmbd);
	deleg_wq = alloc_workqueue("xlock_deleg", WQ_UNBOUND, 0);
	if (!deleg_wq)
		return -ENOMEM;
	WRITE_ONCE(deleg_stopping, false);
	ret = xlock_ksym_attach(&deleg_hs, why, sizeof(why));
	if (ret) {
		pr_warn("SMB opens will not wait for NFSv4 delegations: %s\n", why);
		destroy_workqueue(deleg_wq);
		deleg_wq = NULL;
	}
	return ret;
}

void xlock_smb_deleg_detach(void)
{
	if (!deleg_wq)
		return;
	WRITE_ONCE(deleg_stopping, true);
	xlock_hookset_detach(&deleg_hs);
	destroy_workqueue(deleg_wq);
	deleg_wq = NULL;
}
