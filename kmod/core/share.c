// SPDX-License-Identifier: GPL-2.0
/*
 * Shares: one per exported directory ("UnifiedLockView"), holding policy.
 * Share 0 ("default") covers every file no registered share contains. A
 * file belongs to the deepest share whose directory contains it, decided
 * when the file enters the table. Readers walk the list under RCU; writers
 * hold share_lock.
 */
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/slab.h>

#include "share.h"

#define DEFAULT_BREAK_TIMEOUT_MS 35000
#define DEFAULT_GRACE_S 90
#define MAX_SHARES 256

static DEFINE_MUTEX(share_lock);
static LIST_HEAD(shares);
static struct xlock_share *default_share;
static u32 next_share_id = 1;

struct mutex *xlock_share_mutex(void)
{
	return &share_lock;
}

struct list_head *xlock_share_list(void)
{
	return &shares;
}

static void share_free_rcu(struct rcu_head *rcu)
{
	kfree(container_of(rcu, struct xlock_share, rcu));
}

void xlock_share_put(struct xlock_share *s)
{
	might_sleep();
	if (!refcount_dec_and_test(&s->ref))
		return;
	path_put(&s->root);
	call_rcu(&s->rcu, share_free_rcu);
}

/* Is @dentry on @mnt at or below @s's directory? */
static bool contains(const struct xlock_share *s, const struct path *p)
{
	return s->root.dentry && p->mnt->mnt_sb == s->root.mnt->mnt_sb &&
	       is_subdir(p->dentry, s->root.dentry);
}

static int depth(const struct dentry *d)
{
	int n = 0;

	while (!IS_ROOT(d)) {
		d = d->d_parent;
		n++;
	}
	return n;
}

/* The share @path (NULL: a file with no path) belongs to, with a reference. */
struct xlock_share *xlock_share_of(const struct path *path)
{
	struct xlock_share *s, *best = default_share;
	int best_depth = -1;

	if (!path) {
		refcount_inc(&best->ref);
		return best;
	}
	rcu_read_lock();
	list_for_each_entry_rcu(s, &shares, node) {
		int d;

		if (s->dead || !contains(s, path))
			continue;
		d = depth(s->root.dentry);
		if (d > best_depth) {
			best = s;
			best_depth = d;
		}
	}
	refcount_inc(&best->ref);
	rcu_read_unlock();
	return best;
}

struct xlock_share *xlock_share_get_id(u32 id)
{
	struct xlock_share *s, *found = NULL;

	rcu_read_lock();
	list_for_each_entry_rcu(s, &shares, node) {
		if (s->id == id && !s->dead && refcount_inc_not_zero(&s->ref)) {
			found = s;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

static struct xlock_share *share_alloc(const char *name, u32 flags, u32 break_timeout_ms,
				       u32 grace_s)
{
	struct xlock_share *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	refcount_set(&s->ref, 1);
	strscpy(s->name, name, sizeof(s->name));
	s->flags = flags;
	s->break_timeout_ms = break_timeout_ms ?: DEFAULT_BREAK_TIMEOUT_MS;
	s->grace_s = grace_s ?: DEFAULT_GRACE_S;
	return s;
}

int xlock_share_add(const struct path *root, const char *name, u32 flags,
		    u32 break_timeout_ms, u32 grace_s, u32 *id, const char **why)
{
	struct xlock_share *s, *n;
	unsigned int count = 0;
	int ret;

	n = share_alloc(name, flags, break_timeout_ms, grace_s);
	if (!n) {
		*why = "out of memory";
		return -ENOMEM;
	}
	n->root = *root;
	path_get(&n->root);

	mutex_lock(&share_lock);
	list_for_each_entry(s, &shares, node) {
		count++;
		if (s->root.dentry == root->dentry && s->root.mnt == root->mnt) {
			*why = "that directory is already a share";
			ret = -EEXIST;
			goto err_unlock;
		}
		if (name[0] && !strcmp(s->name, name)) {
			*why = "a share with that name exists";
			ret = -EEXIST;
			goto err_unlock;
		}
	}
	if (count >= MAX_SHARES) {
		*why = "too many shares";
		ret = -ENOSPC;
		goto err_unlock;
	}
	n->id = next_share_id++;
	if (!name[0])
		snprintf(n->name, sizeof(n->name), "share%u", n->id);
	list_add_tail_rcu(&n->node, &shares);
	*id = n->id;
	mutex_unlock(&share_lock);
	return 0;

err_unlock:
	mutex_unlock(&share_lock);
	xlock_share_put(n);
	return ret;
}

/* Change the policy of share @id; NULL leaves a value as it is. */
int xlock_share_set(u32 id, const u32 *flags, const u32 *break_timeout_ms,
		    const u32 *grace_s, const char **why)
{
	struct xlock_share *s;
	int ret = -ENOENT;

	*why = "no such share";
	mutex_lock(&share_lock);
	list_for_each_entry(s, &shares, node) {
		if (s->id != id || s->dead)
			continue;
		if (flags)
			WRITE_ONCE(s->flags, *flags);
		if (break_timeout_ms)
			WRITE_ONCE(s->break_timeout_ms, *break_timeout_ms);
		if (grace_s)
			WRITE_ONCE(s->grace_s, *grace_s);
		ret = 0;
		break;
	}
	mutex_unlock(&share_lock);
	return ret;
}

int xlock_share_del(u32 id, const char **why)
{
	struct xlock_share *s;
	int ret = -ENOENT;

	*why = "no such share";
	if (!id) {
		*why = "the default share cannot be removed";
		return -EINVAL;
	}
	mutex_lock(&share_lock);
	list_for_each_entry(s, &shares, node) {
		if (s->id != id || s->dead)
			continue;
		if (atomic64_read(&s->nr_entries)) {
			*why = "the share still has entries: clear them first";
			ret = -EBUSY;
			break;
		}
		/* Files hold references; new files no longer pick it. */
		s->dead = true;
		list_del_rcu(&s->node);
		mutex_unlock(&share_lock);
		synchronize_rcu();
		xlock_share_put(s);
		return 0;
	}
	mutex_unlock(&share_lock);
	return ret;
}

int xlock_shares_init(void)
{
	default_share = share_alloc("default", XLOCK_SHARE_F_ENABLED, 0, 0);
	if (!default_share)
		return -ENOMEM;
	list_add_rcu(&default_share->node, &shares);
	return 0;
}

void xlock_shares_exit(void)
{
	struct xlock_share *s, *tmp;
	LIST_HEAD(gone);

	/* No readers are left: netlink and every file went first. */
	mutex_lock(&share_lock);
	list_splice_init(&shares, &gone);
	mutex_unlock(&share_lock);
	list_for_each_entry_safe(s, tmp, &gone, node) {
		list_del(&s->node);
		xlock_share_put(s);
	}
	rcu_barrier();
}
