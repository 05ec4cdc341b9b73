// SPDX-License-Identifier: GPL-2.0
/*
 * nfsd's NFSv4 paths that its NFSv3 paths (edge_nfsd.c) do not cover.
 *
 * V1: NFSv4 LOCK. Its file handle check already breaks W like a READ
 * (edge_nfsd.c); an exclusive lock also breaks R (C4), and a lease whose
 * ack is slow is answered NFS4ERR_DELAY (the client retries). Conflicts
 * with SMB byte-range locks are the VFS's: both servers lock through it.
 *
 * This hookset belongs to the nfsd edge: attached once that edge is (its
 * BTF check covers the nfsd functions and fields used here), detached
 * before it goes.
 */
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/nfs4.h>
#include <linux/sunrpc/svc.h>

#include "arbiter.h"
#include "edge.h"
#include "generated/btf.h"
#include "nfs4.h"
#include "stats.h"
#include "table.h"

static unsigned int nfs4_wait_ms = 1000;
module_param(nfs4_wait_ms, uint, 0644);
MODULE_PARM_DESC(nfs4_wait_ms,
		 "How long an NFSv4 LOCK waits for an SMB lease ack before NFS4ERR_DELAY (ms)");

struct nfsd4_compound_state;
union nfsd4_op_u;

static XLOCK_STUB __be32 call_nfsd4_lock(struct svc_rqst *rqstp,
					 struct nfsd4_compound_state *cstate,
					 union nfsd4_op_u *u)
{
	xlock_call_unreachable(__func__);
	return cpu_to_be32(NFS4ERR_DELAY);
}

static __be32 wrap_nfsd4_lock(struct svc_rqst *rqstp, struct nfsd4_compound_state *cstate,
			      union nfsd4_op_u *u);

enum { H_LOCK };

static struct xlock_hook nfsd4_hooks[] = {
	[H_LOCK] = XLOCK_HOOK("nfsd:nfsd4_lock", wrap_nfsd4_lock),
};

static struct xlock_call nfsd4_calls[] = {
	XLOCK_CALL(call_nfsd4_lock, "nfsd:nfsd4_lock"),
};

static struct xlock_hookset nfsd4_hs = {
	.name = "nfsd4",
	.hooks = nfsd4_hooks,
	.nr_hooks = ARRAY_SIZE(nfsd4_hooks),
	.calls = nfsd4_calls,
	.nr_calls = ARRAY_SIZE(nfsd4_calls),
};

static bool nfsd4_on;

static struct xlock_file *inode_file(struct inode *inode)
{
	struct xlock_fkey key = { .dev = inode->i_sb->s_dev, .ino = inode->i_ino };

	if (!S_ISREG(inode->i_mode))
		return NULL;
	return xlock_file_lookup(&key);	/* NULL: nothing of SMB's on it */
}

#define FIELD(p, off, type) (*(type *)((char *)(p) + (off)))

/* V1: leases an NFSv4 LOCK cannot live with; the NFS status, or 0 to go on. */
static __be32 lock_arbitrate(struct svc_rqst *rqstp, struct nfsd4_compound_state *cstate,
			     union nfsd4_op_u *u)
{
	u32 type = FIELD(u, XLOCK_BTF_nfsd4_lock_lk_type, u32);
	u64 off = FIELD(u, XLOCK_BTF_nfsd4_lock_lk_offset, u64);
	u64 len = FIELD(u, XLOCK_BTF_nfsd4_lock_lk_length, u64);
	struct dentry *d = FIELD(cstate, XLOCK_BTF_nfsd4_compound_state_current_fh +
				 XLOCK_BTF_svc_fh_fh_dentry, struct dentry *);
	struct xlock_rule_req req = { .op = XLOCK_OP_NLM_LOCK, .start = off };
	char who[64], addr[48];
	struct xlock_file *f;
	__be32 ret = 0;

	if (!d || d_really_is_negative(d))
		return 0;
	if (!len || len == NFS4_MAX_UINT64)
		req.end = XLOCK_END_MAX;		/* to the end of the file */
	else if (len - 1 <= XLOCK_END_MAX - off)
		req.end = off + len - 1;
	else
		return 0;	/* nfsd answers a bad range itself */
	req.mode = type == NFS4_WRITE_LT || type == NFS4_WRITEW_LT ? XLOCK_MODE_EXCL :
								     XLOCK_MODE_SHARED;
	f = inode_file(d_inode(d));
	if (!f)
		return 0;
	xlock_addr_str(svc_addr(rqstp), addr, sizeof(addr));
	snprintf(who, sizeof(who), "nfs4:%s", addr);
	/* DENY (an SMB lock) is left to the VFS, where both servers' locks meet. */
	if (xlock_arbitrate(f, &req, READ_ONCE(nfs4_wait_ms), who, NULL) == XLOCK_ARB_WAIT) {
		xlock_stat_inc(XLOCK_STAT_NFS_JUKEBOX);
		ret = cpu_to_be32(NFS4ERR_DELAY);
	}
	xlock_file_put(f);
	return ret;
}

static __be32 wrap_nfsd4_lock(struct svc_rqst *rqstp, struct nfsd4_compound_state *cstate,
			      union nfsd4_op_u *u)
{
	__be32 ret;

	xlock_hook_enter(&nfsd4_hs, &nfsd4_hooks[H_LOCK]);
	ret = lock_arbitrate(rqstp, cstate, u);
	if (!ret)
		ret = call_nfsd4_lock(rqstp, cstate, u);
	xlock_hook_exit(&nfsd4_hs);
	return ret;
}

int xlock_nfsd4_attach(void)
{
	char why[160];
	int ret;

	ret = xlock_hookset_attach(&nfsd4_hs, why, sizeof(why));
	if (ret)
		pr_warn("NFSv4 locks will not heed SMB leases: %s\n", why);
	nfsd4_on = !ret;
	return ret;
}

void xlock_nfsd4_detach(void)
{
	if (nfsd4_on)
		xlock_hookset_detach(&nfsd4_hs);
	nfsd4_on = false;
}
