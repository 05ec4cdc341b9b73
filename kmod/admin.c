// SPDX-License-Identifier: GPL-2.0
/*
 * Administrative actions on entries (xlockctl break, clear-client): they
 * act as another protocol's request would, through the owning edge, so
 * that the table never claims something the protocol server does not do.
 */
#include <linux/xarray.h>

#include "edge.h"
#include "netlink.h"
#include "table.h"

/*
 * Break lease @id to @to. Test entries (no client behind them) take the new
 * state at once, as if acked.
 */
int xlock_lease_break_admin(u64 id, u8 to)
{
	struct xlock_entry_snap snap;
	u32 cur = id;
	int ret;

	if (id > U32_MAX || xlock_entry_snapshot(&cur, &snap) || cur != id)
		return -ENOENT;
	ret = -EINVAL;
	if (snap.e.r.kind != XLOCK_KIND_LEASE)
		goto out;
	ret = -EALREADY;
	if (!(snap.e.r.state & ~to))
		goto out;
	if (snap.e.flags & XLOCK_ENTRY_F_TEST)
		ret = xlock_lease_set_state(snap.e.file, cur, to);
	else
		ret = -ENOTCONN;	/* real leases: the ksmbd edge's job */
out:
	xlock_entry_snapshot_put(&snap);
	return ret;
}

/* Release everything @c holds; returns how many entries went. */
unsigned int xlock_client_clear(struct xlock_client *c)
{
	struct xlock_match m = { .client = c, .flags = XLOCK_ENTRY_F_TEST };

	return xlock_table_del_matching(&m);
}
