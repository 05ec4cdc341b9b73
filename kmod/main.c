// SPDX-License-Identifier: GPL-2.0
/*
 * xlock: one lock table for knfsd/lockd and ksmbd.
 */
#include <linux/module.h>

#include "edge.h"
#include "generated/btf.h"
#include "generated/version.h"
#include "edge_ksmbd.h"
#include "edge_lockd.h"
#include "edge_nfsd.h"
#include "grace.h"
#include "hook.h"
#include "ksym.h"
#include "netlink.h"
#include "nlm_pending.h"
#include "smb_break.h"
#include "table.h"
#include "trace.h"

/* The protocol edges, in the order they are listed (edges= parameter). */
static struct xlock_edge *const edges[] = {
	&xlock_edge_lockd,
	&xlock_edge_nfsd,
	&xlock_edge_ksmbd,
};

static int __init xlock_init(void)
{
	int ret;

	xlock_trace_init();
	ret = xlock_grace_init();
	if (ret)
		goto err;
	ret = xlock_shares_init();
	if (ret)
		goto err_grace;
	ret = xlock_table_init();
	if (ret)
		goto err_shares;
	ret = xlock_smb_breaks_init();
	if (ret)
		goto err_table;
	ret = xlock_nlm_pendings_init();
	if (ret)
		goto err_breaks;
	ret = xlock_ksym_init();
	if (ret)
		goto err_pendings;
	ret = xlock_edges_init(edges, ARRAY_SIZE(edges));
	if (ret)
		goto err_ksym;
	ret = xlock_genl_init();
	if (ret)
		goto err_edges;
	pr_info("loaded (built for %s)\n", XLOCK_BTF_KVER);
	return 0;

err_edges:
	xlock_edges_exit();
err_ksym:
	xlock_ksym_exit();
err_pendings:
	xlock_nlm_pendings_exit();
err_breaks:
	xlock_smb_breaks_exit();
err_table:
	xlock_table_exit();
err_shares:
	xlock_shares_exit();
err_grace:
	xlock_grace_exit();
err:
	return ret;
}

static void __exit xlock_exit(void)
{
	xlock_genl_exit();
	xlock_edges_exit();
	xlock_ksym_exit();
	xlock_nlm_pendings_exit();
	xlock_smb_breaks_exit();
	xlock_table_exit();
	xlock_shares_exit();
	xlock_grace_exit();
	pr_info("unloaded\n");
}

module_init(xlock_init);
module_exit(xlock_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Unified NLM/SMB lock table for knfsd and ksmbd");
MODULE_AUTHOR("The xlock developers");
MODULE_VERSION(XLOCK_VERSION);
