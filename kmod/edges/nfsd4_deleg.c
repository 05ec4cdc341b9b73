// SPDX-License-Identifier: GPL-2.0
/*
 * V8: nfsd's delegations, kept in the table for their reclaim. Everything
 * else about a delegation is nfsd's state, read where nfsd keeps it (V3,
 * V4: nfsd4_state.c, smb_deleg.c); but after a restart nfsd knows none
 * until its clients reclaim them, and an SMB client could meanwhile open
 * for write a file an NFSv4 client still holds dirty data of. So each
 * delegation nfsd sets is an entry of kind deleg, which the rules do not
 * weigh, that xlockd persists like a lease. The delegations nfsd drops
 * while it stops are teardown (kept for reclaim); after a restart one not
 * reclaimed yet holds back the SMB opens it would conflict with (grace.c),
 * and nfsd setting a delegation of that client on that file in grace is
 * its reclaim.
 *
 * nfsd names the delegation (its nfs4_delegation) as the lease's owner
 * when it sets it, and as the private pointer when it takes it off.
 */
#include <linux/filelock.h>
#include <linux/fs.h>

#include "client.h"
#include "grace.h"
#include "nfsd4_deleg.h"
#include "nfsd4_state.h"
#include "table.h"

/* The delegation @dp's client, as its address; "" if nfsd has none. */
static void deleg_addr(const void *dp, char *addr, size_t size)
{
	struct xlock_nfs4_holder h;

	xlock_nfs4_holder_client(&h, xlock_nfs4_deleg_clp(dp));
	strscpy(addr, h.addr, size);
}

/*
 * nfsd set delegation @dp (a lease of type @arg) on @filp: record it. In
 * grace it is a reclaim if one was persisted; one that was not is nfsd's
 * to allow (CLAIM_PREVIOUS), as before.
 */
void xlock_nfs4_deleg_set(struct file *filp, int arg, const void *dp)
{
	struct xlock_entry_init init = {
		.proto = XLOCK_PROTO_NFS4, .kind = XLOCK_KIND_DELEG,
		.state = arg == F_WRLCK ? XLOCK_LEASE_R | XLOCK_LEASE_W : XLOCK_LEASE_R,
		.end = XLOCK_END_MAX, .owner.nfs4.deleg = (unsigned long)dp,
	};
	struct xlock_reclaim_desc d = {
		.proto = XLOCK_PROTO_NFS4, .kind = XLOCK_KIND_DELEG, .end = XLOCK_END_MAX,
	};
	struct inode *inode = file_inode(filp);
	struct xlock_client *c;
	struct xlock_file *f;

	if (!dp || !S_ISREG(inode->i_mode))
		return;
	deleg_addr(dp, d.client, sizeof(d.client));
	if (!d.client[0])
		return;
	if (xlock_grace_active()) {
		struct xlock_fkey key;

		xlock_fkey_of_inode(inode, &key);
		xlock_reclaim_match(&key, &d);
	}
	f = xlock_file_get(&filp->f_path, true);
	if (IS_ERR_OR_NULL(f))
		goto nomem;
	c = xlock_client_get_net(XLOCK_PROTO_NFS4, 0, d.client, d.client, NULL);
	if (IS_ERR(c)) {
		xlock_file_put(f);
		goto nomem;
	}
	xlock_entry_mirror(f, c, &init);	/* logs if it cannot */
	xlock_client_put(c);
	xlock_file_put(f);
	return;
nomem:
	pr_warn_ratelimited("NFSv4 delegation of %s on ino=%lu not recorded: out of memory (not kept across a restart)\n",
			    d.client, inode->i_ino);
}

/* nfsd took delegation @dp on @filp off (returned, revoked, or nfsd stopping). */
void xlock_nfs4_deleg_unset(struct file *filp, const void *dp)
{
	struct xlock_match m = { .nfs4_deleg = (unsigned long)dp };
	struct xlock_file *f;

	if (!dp || !S_ISREG(file_inode(filp)->i_mode))
		return;
	f = xlock_file_get(&filp->f_path, false);
	if (IS_ERR_OR_NULL(f))
		return;
	xlock_file_del_matching(f, &m);
	xlock_file_put(f);
}
