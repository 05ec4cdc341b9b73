/* SPDX-License-Identifier: GPL-2.0 */
/* Shares: the subtrees that carry policy, share 0 for the rest (share.c). */
#ifndef _XLOCK_SHARE_H
#define _XLOCK_SHARE_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/refcount.h>
#include <linux/types.h>

#include "rules.h"

struct xlock_share {
	struct list_head node;		/* in the share list, under share_lock */
	refcount_t ref;
	u32 id;
	bool dead;
	char name[XLOCK_NAME_MAX];
	struct path root;		/* empty for share 0 */
	u32 flags;			/* XLOCK_SHARE_F_* */
	u32 break_timeout_ms;
	u32 grace_s;
	atomic64_t nr_entries;
	struct rcu_head rcu;
};

int xlock_shares_init(void);
void xlock_shares_exit(void);
struct xlock_share *xlock_share_of(const struct path *path);
struct xlock_share *xlock_share_get_id(u32 id);
void xlock_share_put(struct xlock_share *s);
int xlock_share_add(const struct path *root, const char *name, u32 flags,
		    u32 break_timeout_ms, u32 grace_s, u32 *id, const char **why);
int xlock_share_set(u32 id, const u32 *flags, const u32 *break_timeout_ms,
		    const u32 *grace_s, const char **why);
int xlock_share_del(u32 id, const char **why);
/* The share list, for dumps: walk it holding the mutex. */
struct mutex *xlock_share_mutex(void);
struct list_head *xlock_share_list(void);

#endif
