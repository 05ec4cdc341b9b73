// SPDX-License-Identifier: GPL-2.0
/*
 * Administrative actions on entries (xlockctl break, clear-client): they
 * act as another protocol's request would, through the protocols' own
 * machinery, so that the table never claims something the protocol
 * server does not do.
 */
#include <linux/fs.h>
#include <linux/xarray.h>

#include "admin.h"
#include "edge.h"
#include "edge_ksmbd.h"
#include "smb_break.h"
#include "table.h"
#include "vfs_sync.h"

/*
 * Break lease @id to @to, as another protocol's request would. Test
 * entries (no client behind them) take the new state at once, as if acked.
 */
int xlock_lease_break_admin(u64 id, u8 to)
{
	struct xlock_entry_snap snap;
	u32 cur = id;
	u8 state;
	int ret;

	if (id > U32_MAX || xlock_entry_snapshot(&cur, &snap))
		return -ENOENT;
	ret = -ENOENT;
	if (cur != id)
		goto out;
	ret = -EINVAL;
	if (snap.e.r.kind != XLOCK_KIND_LEASE)
		goto out;
	state = snap.e.r.state;
	ret = -EDOM;		/* breaks only take bits away, and R goes last */
	if ((to & ~state) || (to && !(to & XLOCK_LEASE_R)))
		goto out;
	ret = -EALREADY;
	if (!(state & ~to))
		goto out;
	if (snap.e.flags & XLOCK_ENTRY_F_TEST) {
		ret = xlock_lease_set_state(snap.e.file, cur, to, XLOCK_NO_BREAK);
		goto out;
	}
	ret = -ENOTCONN;
	if (!xlock_edge_active(&xlock_edge_ksmbd))
		goto out;
	xlock_lease_set_breaking(snap.e.file, cur, to);
	ret = xlock_smb_break(snap.e.file, cur, snap.e.owner.smb.fp, to,
			      READ_ONCE(snap.e.file->share->break_timeout_ms));
out:
	xlock_entry_snapshot_put(&snap);
	return ret;
}

/*
 * Release what @c holds: its NLM locks in the VFS (lockd forgets them as
 * it does for a client that rebooted), its SMB leases broken to none, its
 * test entries removed. SMB byte-range locks stay: only the SMB client or
 * its close can release them in ksmbd. Returns how many entries went.
 */
unsigned int xlock_client_clear(struct xlock_client *c)
{
	struct xlock_match test = { .client = c, .flags = XLOCK_ENTRY_F_TEST };
	struct xlock_entry_snap snap;
	unsigned int n = 0;
	u32 id = 0;

	while (!xlock_entry_snapshot(&id, &snap)) {
		const struct xlock_entry *e = &snap.e;

		if (e->client == c && !(e->flags & XLOCK_ENTRY_F_TEST) &&
		    e->r.kind == XLOCK_KIND_LEASE && e->r.state &&
		    !xlock_lease_break_admin(snap.id, 0))
			n++;
		xlock_entry_snapshot_put(&snap);
		if (++id == 0)
			break;
		cond_resched();
	}
	n += xlock_client_nlm_sync(c, true);
	return n + xlock_table_del_matching(&test);
}
