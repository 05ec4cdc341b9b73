// SPDX-License-Identifier: GPL-2.0
/*
 * Which releases are a server's teardown (its entries go, but are kept for
 * reclaim) rather than a client's unlock: see teardown.h.
 */
#include <linux/sched.h>
#include <linux/spinlock.h>

#include "teardown.h"

/*
 * Teardown is marked per task, not per protocol: the entries a stopping
 * server drops (lockd leaving one network namespace, an edge detaching)
 * are released by the task that stops it, while other namespaces' servers
 * keep releasing their clients' locks for real at the same time (m).
 */
#define TEARDOWN_SLOTS	32

static struct {
	struct task_struct *task;
	u8 proto;
	unsigned int depth;
} teardown[TEARDOWN_SLOTS];
static DEFINE_SPINLOCK(teardown_lock);	/* teardown[], teardown_overflow */
static unsigned int teardown_overflow[XLOCK_PROTO_NFS4 + 1];

void xlock_teardown_begin(u8 proto)
{
	int i, free = -1;

	spin_lock(&teardown_lock);
	for (i = 0; i < TEARDOWN_SLOTS; i++) {
		if (teardown[i].task == current && teardown[i].proto == proto) {
			teardown[i].depth++;
			goto out;
		}
		if (!teardown[i].task && free < 0)
			free = i;
	}
	if (free >= 0) {
		teardown[free].task = current;
		teardown[free].proto = proto;
		teardown[free].depth = 1;
	} else {
		/* More stopping servers than slots: mark every task's, as before. */
		pr_warn_once("more than %d servers stopping at once: teardown marked globally\n",
			     TEARDOWN_SLOTS);
		teardown_overflow[proto]++;
	}
out:
	spin_unlock(&teardown_lock);
}

void xlock_teardown_end(u8 proto)
{
	int i;

	spin_lock(&teardown_lock);
	for (i = 0; i < TEARDOWN_SLOTS; i++) {
		if (teardown[i].task == current && teardown[i].proto == proto) {
			if (!--teardown[i].depth)
				teardown[i].task = NULL;
			goto out;
		}
	}
	if (!WARN_ON_ONCE(!teardown_overflow[proto]))
		teardown_overflow[proto]--;
out:
	spin_unlock(&teardown_lock);
}

/* A server stopping without a task of ours in the way (ksmbd's reset). */
static const struct xlock_teardown_ops *stopping_ops;

void xlock_teardown_set_ops(const struct xlock_teardown_ops *ops)
{
	WRITE_ONCE(stopping_ops, ops);
}

/* The one indirect call here: through the registered ops (check-ibt.sh). */
static noinline bool ops_stopping(const struct xlock_teardown_ops *ops, u8 proto)
{
	return ops->stopping(proto);
}

/* Is the current task stopping a @proto server (its releases are teardown)? */
bool xlock_tearing_down(u8 proto)
{
	const struct xlock_teardown_ops *ops;
	bool ret = false;
	int i;

	if (proto > XLOCK_PROTO_NFS4)
		return false;
	ops = READ_ONCE(stopping_ops);
	if (ops && ops_stopping(ops, proto))
		return true;
	spin_lock(&teardown_lock);
	if (teardown_overflow[proto])
		ret = true;
	for (i = 0; i < TEARDOWN_SLOTS && !ret; i++)
		ret = teardown[i].task == current && teardown[i].proto == proto;
	spin_unlock(&teardown_lock);
	return ret;
}
