/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XLOCK_VFS_SYNC_H
#define _XLOCK_VFS_SYNC_H

#include <linux/types.h>

struct file;
struct inode;
struct nlm_host;
struct xlock_client;
struct xlock_entry;
struct xlock_file;

void xlock_sync_set_lockd(const void *lmops);
unsigned int xlock_release_nlm_client(struct inode *inode, const struct xlock_client *c);
unsigned int xlock_client_nlm_sync(const struct xlock_client *c, bool release);
void xlock_sync_locks(struct xlock_file *f, struct inode *inode, u8 proto,
		      const struct file *owner, u64 cookie, struct xlock_client *smb_client);
void xlock_sync_range(struct xlock_file *f, struct inode *inode, u8 proto,
		      const struct file *owner, u64 cookie, struct xlock_client *smb_client,
		      u64 start, u64 end);

/*
 * A lockd lock or unlock that succeeded, as asked (before lockd merged it):
 * its owner's client (NULL for an unlock: the owner has nothing in the
 * table) and, for a lock, the reservation it was decided with (NULL once
 * that became the lock's entry).
 */
struct xlock_nlm_op {
	struct xlock_client *client;
	struct xlock_entry *resv;
	u64 start, end;
	u32 svid;
	u8 mode;
	bool unlock;
};

void xlock_sync_nlm(struct xlock_file *f, struct file *filp, struct xlock_nlm_op *op,
		    u64 ws, u64 we);

#endif
