// SPDX-License-Identifier: GPL-2.0
/*
 * NLM and SMB byte-range locks meet in the VFS posix lock list already
 * (C11). Rather than replay POSIX splitting and merging on every request,
 * the table mirrors that list: after a lockd or ksmbd lock operation, the
 * lock entries of that protocol (and owner) are made to match what the
 * inode really holds. lockd's locks carry its lock_manager_operations and
 * an nlm_lockowner; ksmbd's are owned by the ksmbd open's struct file.
 */
#include <linux/filelock.h>
#include <linux/fs.h>
#include <linux/lockd/lockd.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "table.h"
#include "vfs_sync.h"

struct held {
	u64 start, end;
	u8 mode;
	bool found;
	u32 svid;
	char host[XLOCK_NAME_MAX - 1];
	char addr[48];
};

/* Serialises the reconciliations, so that two never add the same lock twice. */
static DEFINE_MUTEX(sync_lock);

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

/* Copy the locks of @proto (/@owner) held on @inode; -E2BIG: more than @cap. */
static int collect(struct inode *inode, u8 proto, const struct file *owner,
		   struct held *h, unsigned int cap, unsigned int *n)
{
	struct file_lock_context *ctx = locks_inode_context(inode);
	struct file_lock *fl;
	int ret = 0;

	*n = 0;
	if (!ctx)
		return 0;
	spin_lock(&ctx->flc_lock);
	for_each_file_lock(fl, &ctx->flc_posix) {
		if (!wanted(fl, proto, owner))
			continue;
		if (*n == cap) {
			ret = -E2BIG;
			break;
		}
		memset(&h[*n], 0, sizeof(h[*n]));
		h[*n].start = fl->fl_start;
		h[*n].end = fl->fl_end == OFFSET_MAX ? XLOCK_END_MAX : fl->fl_end;
		h[*n].mode = lock_is_write(fl) ? XLOCK_MODE_EXCL : XLOCK_MODE_SHARED;
		if (proto == XLOCK_PROTO_NLM) {
			const struct nlm_lockowner *lo = fl->c.flc_owner;

			h[*n].svid = lo->pid;
			strscpy(h[*n].host, lo->host->h_name, sizeof(h[*n].host));
			xlock_addr_str((const struct sockaddr *)&lo->host->h_addr, h[*n].addr,
				       sizeof(h[*n].addr));
		}
		(*n)++;
	}
	spin_unlock(&ctx->flc_lock);
	return ret;
}

static bool same(const struct xlock_entry *e, const struct held *h)
{
	if (e->r.start != h->start || e->r.end != h->end || e->r.mode != h->mode)
		return false;
	if (e->r.proto == XLOCK_PROTO_NLM)
		return e->owner.nlm.svid == h->svid && !strcmp(e->client->key.id, h->host);
	return true;
}

static bool mine(const struct xlock_entry *e, u8 proto, u64 cookie)
{
	return e->r.proto == proto && e->r.kind == XLOCK_KIND_LOCK && !e->r.pending &&
	       !e->r.resv &&
	       !(e->flags & XLOCK_ENTRY_F_TEST) &&
	       (proto == XLOCK_PROTO_NLM || e->owner.smb.fp == cookie);
}

static void reconcile(struct xlock_file *f, u8 proto, u64 cookie,
		      struct xlock_client *smb_client, struct held *h, unsigned int n)
{
	struct xlock_rule_entry *r, *next, *gone = NULL;
	struct xlock_entry_init init = { .proto = proto, .kind = XLOCK_KIND_LOCK };
	unsigned int i;

	spin_lock(&f->lock);
	for (r = f->head; r; r = next) {
		struct xlock_entry *e = container_of(r, struct xlock_entry, r);

		next = r->next;
		if (!mine(e, proto, cookie))
			continue;
		for (i = 0; i < n; i++) {
			if (!h[i].found && same(e, &h[i])) {
				h[i].found = true;
				break;
			}
		}
		if (i < n)
			continue;
		xlock_entry_unlink(f, e);
		e->r.next = gone;
		gone = &e->r;
	}
	spin_unlock(&f->lock);
	while (gone) {
		struct xlock_entry *e = container_of(gone, struct xlock_entry, r);

		gone = gone->next;
		xlock_entry_release(e);
	}

	for (i = 0; i < n; i++) {
		struct xlock_client *c = smb_client;

		if (h[i].found)
			continue;
		if (proto == XLOCK_PROTO_NLM) {
			c = xlock_client_get(XLOCK_PROTO_NLM, h[i].host, h[i].addr, NULL);
			if (IS_ERR(c))
				continue;
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
	}
}

/*
 * Make @f's lock entries of @proto match the locks @inode holds: all of
 * lockd's for NLM; for SMB those owned by @owner, the struct file of the
 * ksmbd open @cookie (whose client is @smb_client).
 */
void xlock_sync_locks(struct xlock_file *f, struct inode *inode, u8 proto,
		      const struct file *owner, u64 cookie, struct xlock_client *smb_client)
{
	/* Most files hold a lock or two: no allocation for those. */
	struct held few[2], *h = few;
	unsigned int cap = ARRAY_SIZE(few), n;
	int ret;

	mutex_lock(&sync_lock);
	for (;;) {
		ret = collect(inode, proto, owner, h, cap, &n);
		if (ret != -E2BIG)
			break;
		if (h != few)
			kvfree(h);
		h = NULL;
		if (cap >= READ_ONCE(xlock_limit_file))
			goto out;
		cap *= 8;
		h = kvmalloc_array(cap, sizeof(*h), GFP_KERNEL);
		if (!h)
			goto out;
	}
	reconcile(f, proto, cookie, smb_client, h, n);
out:
	if (h != few)
		kvfree(h);
	mutex_unlock(&sync_lock);
}

/*
 * Release every lock lockd holds on @inode for client @host, one owner at a
 * time, the way lockd does when a client reboots. Returns how many went.
 */
unsigned int xlock_release_nlm_client(struct inode *inode, const char *host)
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

			if (!lockd_lmops || cur->fl_lmops != lockd_lmops ||
			    strcmp(lo->host->h_name, host))
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
