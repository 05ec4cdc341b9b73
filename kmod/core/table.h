/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unified lock table: files (one per inode, whichever protocol reaches
 * it), the entries held on them (NLM and SMB locks, SMB leases and share
 * modes), the clients that own entries and the shares that hold policy.
 */
#ifndef _XLOCK_TABLE_H
#define _XLOCK_TABLE_H

#include <linux/fs.h>
#include <linux/path.h>
#include <linux/socket.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/rbtree_types.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "client.h"
#include "rules.h"
#include "share.h"
#include "xlock_types.h"

struct xlock_file {
	struct rhash_head node;
	struct xlock_fkey key;
	refcount_t ref;
	spinlock_t lock;		/* entries, nr, brk_* of its leases */
	struct mutex sync_lock;		/* one VFS reconciliation at a time (vfs_sync.c) */
	struct xlock_rule_entry *head;	/* struct xlock_entry.r, linked */
	struct rb_root_cached locks;	/* its LOCK entries, by range (xlock_file_locks_*) */
	unsigned int nr;
	unsigned int sides[2];		/* linked entries the rules weigh: [0] NFS side, [1] SMB */
	unsigned int admitted;		/* slots of requests decided, not yet recorded */
	struct xlock_share *share;
	struct path path;		/* where we first met it; may be empty */
	struct dentry *smb_dentry;	/* ksmbd's dentry (its inode table key) */
	atomic_t changes;		/* bumped (and waiters woken) on any change */
	struct rcu_head rcu;
};

/* What an entry's owner is, per protocol; only what is shown or matched. */
union xlock_owner {
	struct {
		u32 svid;
		u64 oh_hash;
	} nlm;
	struct {
		u8 lease_key[16];	/* leases */
		u64 fp;			/* the open (ksmbd_file), compared only */
	} smb;
	struct {
		u64 deleg;		/* nfsd's delegation, compared only */
	} nfs4;
};

struct xlock_entry {
	struct xlock_rule_entry r;	/* first: what the rules see */
	struct xlock_rule_entry **pprev;	/* what points at r on the file's list */
	struct rb_node rb;		/* LOCK: in the file's range tree */
	u64 rb_last;			/* LOCK: the largest end below rb */
	struct xlock_file *file;
	struct xlock_client *client;
	u64 created;			/* jiffies64 */
	union xlock_owner owner;
	u32 id;
	u8 flags;			/* XLOCK_ENTRY_F_* */
};

struct xlock_entry_init {
	u8 proto, kind, mode, state, flags;
	u64 start, end;
	union xlock_owner owner;
};

/* Holder details copied out under the file lock (C12 TEST replies, logs). */
struct xlock_holder {
	u8 proto, kind, mode, state;
	u64 start, end;
	char client[XLOCK_NAME_MAX + 8];
};

struct xlock_stats {
	u64 entries, files, clients, nlm_locks, smb_locks, leases, share_modes, delegs;
	u64 limit_hits, generation;
};

extern unsigned int xlock_limit_total, xlock_limit_file, xlock_limit_client;

/*
 * Upward notification: the control layer registers who hears of entry
 * changes (an ops struct of xlock's own functions: IBT-safe). @prepare
 * allocates an event before the file lock (may sleep; NULL: nobody
 * listens), @queue sends a copy of @e (under its file lock; consumes @ev),
 * @cancel frees an event not needed after all.
 */
struct xlock_nl_event;

struct xlock_table_events {
	struct xlock_nl_event *(*prepare)(void);
	void (*queue)(struct xlock_nl_event *ev, u8 event, const struct xlock_entry *e);
	void (*cancel)(struct xlock_nl_event *ev);
};

void xlock_table_set_events(const struct xlock_table_events *ev);

int xlock_table_init(void);
void xlock_table_exit(void);
void xlock_table_stats(struct xlock_stats *st);
u64 xlock_table_generation(void);

struct xlock_file *xlock_file_get(const struct path *path, bool create);
struct xlock_file *xlock_file_get_key(const struct xlock_fkey *key, const struct path *path,
				      bool create);
struct xlock_file *xlock_file_lookup(const struct xlock_fkey *key);
void xlock_file_put(struct xlock_file *f);
const struct xlock_rule_entry *xlock_file_rules(const struct xlock_file *f,
						const struct xlock_rule_req *req);
void xlock_file_decide(struct xlock_file *f, const struct xlock_rule_req *req,
		       struct xlock_verdict *v, struct xlock_holder *holder);

int xlock_entry_add(struct xlock_file *f, struct xlock_client *c,
		    const struct xlock_entry_init *init, u32 *id, const char **why);
int xlock_entry_mirror(struct xlock_file *f, struct xlock_client *c,
		       const struct xlock_entry_init *init);

/*
 * Deciding and recording as one step per file (issue 10 c): a request
 * decided is linked to its file as a reservation, under the same file lock
 * as the decision, and seen by the other protocol as held. Once the server
 * answered, the edge records what it granted, then drops the reservation.
 * Table limits are applied here, before the server grants (issue 10 f).
 */
struct xlock_entry *xlock_resv_new(struct xlock_client *c, const struct xlock_entry_init *init);
int xlock_resv_link(struct xlock_file *f, struct xlock_entry *e, const char **why);
int xlock_resv_grant(struct xlock_entry *e);
void xlock_resv_drop(struct xlock_entry *e);
int xlock_admit(struct xlock_file *f, struct xlock_client *c, unsigned int n,
		const char **why);
void xlock_admit_done(struct xlock_file *f, struct xlock_client *c, unsigned int n);
int xlock_entry_del_id(u32 id, u8 need_flags);
void xlock_entry_unlink(struct xlock_file *f, struct xlock_entry *e);
struct xlock_entry *xlock_file_locks_first(struct xlock_file *f, u64 start, u64 end);
struct xlock_entry *xlock_file_locks_next(struct xlock_entry *e, u64 start, u64 end);
void xlock_entry_unlink_to(struct xlock_file *f, struct xlock_entry *e,
			   struct xlock_rule_entry **gone);
void xlock_entries_release(struct xlock_rule_entry *gone);
void xlock_entry_release(struct xlock_entry *e);

/* Which entries of a file to act on; zero fields match anything. */
struct xlock_match {
	const struct xlock_client *client;
	u64 smb_fp;
	u64 nfs4_deleg;
	u8 proto, kind, flags;
	bool real;			/* only entries not added by the test API */
};

unsigned int xlock_file_del_matching(struct xlock_file *f, const struct xlock_match *m);
unsigned int xlock_table_del_matching(const struct xlock_match *m);

/* Iteration for dumps: the entry with the smallest id >= *id, pinned. */
struct xlock_entry_snap {
	u32 id;
	struct xlock_entry e;		/* a copy; e.file and e.client pinned */
};

int xlock_entry_snapshot(u32 *id, struct xlock_entry_snap *snap);
void xlock_entry_snapshot_put(struct xlock_entry_snap *snap);

int xlock_lease_set_state(struct xlock_file *f, u32 id, u8 state, u8 done_to);
int xlock_lease_set_breaking(struct xlock_file *f, u32 id, u8 to);
void xlock_lease_sync(struct xlock_file *f, const struct xlock_client *c, u64 fp,
		      const u8 *key, u8 state);
void xlock_file_set_smb_dentry(struct xlock_file *f, struct dentry *d);
void xlock_file_changed(struct xlock_file *f);

/* The table's key of @inode's file. */
static inline void xlock_fkey_of_inode(const struct inode *inode, struct xlock_fkey *key)
{
	key->dev = inode->i_sb->s_dev;
	key->ino = inode->i_ino;
}

/* @f's path for log lines (xlock_conflict_note), NULL for no file. */
static inline const struct path *xlock_file_path(const struct xlock_file *f)
{
	return f ? &f->path : NULL;
}

#endif
