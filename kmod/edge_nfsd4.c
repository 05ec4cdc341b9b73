// SPDX-License-Identifier: GPL-2.0
/*
 * nfsd's NFSv4 paths that its NFSv3 paths (edge_nfsd.c) do not cover.
 *
 * V4: nfsd grants no delegation an SMB client's lease or open conflicts
 * with. nfsd's own check before a delegation counts only writers, so a
 * write delegation can be granted while an SMB client has the file open
 * for reading. nfsd sets every delegation with kernel_setlease(FL_DELEG); we
 * wrap it and, for calls from nfsd, ask the rules (XLOCK_OP_NFS4_DELEG,
 * leases and share modes) and ksmbd (any open, for a write delegation). A
 * refusal is -EAGAIN, which nfsd takes as contention: the OPEN succeeds
 * without a delegation. Nothing is broken for a delegation.
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
#include <linux/filelock.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/nfs4.h>
#include <linux/sunrpc/svc.h>

#include "arbiter.h"
#include "edge.h"
#include "generated/btf.h"
#include "nfs4.h"
#include "smb.h"
#include "stats.h"
#include "table.h"

static unsigned int nfs4_wait_ms = 1000;
module_param(nfs4_wait_ms, uint, 0644);
MODULE_PARM_DESC(nfs4_wait_ms,
		 "How long an NFSv4 LOCK waits for an SMB lease ack before NFS4ERR_DELAY (ms)");

struct nfsd4_compound_state;
union nfsd4_op_u;

static XLOCK_STUB int call_kernel_setlease(struct file *filp, int arg,
					   struct file_lease **lease, void **priv)
{
	xlock_call_unreachable(__func__);
	return -EAGAIN;
}

static_assert(__same_type(&call_kernel_setlease, &kernel_setlease));

static XLOCK_STUB __be32 call_nfsd4_lock(struct svc_rqst *rqstp,
					 struct nfsd4_compound_state *cstate,
					 union nfsd4_op_u *u)
{
	xlock_call_unreachable(__func__);
	return cpu_to_be32(NFS4ERR_DELAY);
}

static int wrap_kernel_setlease(struct file *filp, int arg, struct file_lease **lease,
				void **priv);
static __be32 wrap_nfsd4_lock(struct svc_rqst *rqstp, struct nfsd4_compound_state *cstate,
			      union nfsd4_op_u *u);

enum { H_SETLEASE, H_LOCK };

static struct xlock_hook nfsd4_hooks[] = {
	[H_SETLEASE] = XLOCK_HOOK("kernel_setlease", wrap_kernel_setlease),
	[H_LOCK] = XLOCK_HOOK("nfsd:nfsd4_lock", wrap_nfsd4_lock),
};

static struct xlock_call nfsd4_calls[] = {
	XLOCK_CALL(call_kernel_setlease, "kernel_setlease"),
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

static bool from_nfsd(unsigned long caller)
{
	struct module *mod = READ_ONCE(xlock_edge_nfsd.mod);

	return mod && within_module(caller, mod);
}

static struct xlock_file *inode_file(struct inode *inode)
{
	struct xlock_fkey key = { .dev = inode->i_sb->s_dev, .ino = inode->i_ino };

	if (!S_ISREG(inode->i_mode))
		return NULL;
	return xlock_file_lookup(&key);	/* NULL: nothing of SMB's on it */
}

/* Has an SMB client @d's file open? ksmbd keeps a ksmbd_inode while it has. */
static bool smb_has_open(struct dentry *d)
{
	struct ksmbd_inode *ci;

	if (!xlock_edge_get(&xlock_edge_ksmbd))
		return false;
	ci = xlock_call_ksmbd_inode_lookup_lock(d);
	if (ci)
		xlock_call_ksmbd_inode_put(ci);
	xlock_edge_put(&xlock_edge_ksmbd);
	return ci;
}

/* Does SMB state on @filp's file refuse an NFSv4 delegation of type @arg? */
static bool deleg_refused(struct file *filp, int arg)
{
	struct xlock_rule_req req = {
		.op = XLOCK_OP_NFS4_DELEG,
		.state = arg == F_WRLCK ? XLOCK_LEASE_R | XLOCK_LEASE_W : XLOCK_LEASE_R,
		.end = XLOCK_END_MAX,
	};
	struct inode *inode = file_inode(filp);
	struct xlock_file *f;
	bool refused;

	if (arg == F_WRLCK && S_ISREG(inode->i_mode) && smb_has_open(filp->f_path.dentry)) {
		pr_info_ratelimited("no NFSv4 write delegation on dev=%u:%u ino=%lu: an SMB client has it open\n",
				    MAJOR(inode->i_sb->s_dev), MINOR(inode->i_sb->s_dev),
				    inode->i_ino);
		return true;
	}
	f = inode_file(inode);
	if (!f)
		return false;
	refused = xlock_arbitrate(f, &req, 0, "nfs4", NULL) != XLOCK_ARB_GO;
	xlock_file_put(f);
	return refused;
}

static int wrap_kernel_setlease(struct file *filp, int arg, struct file_lease **lease,
				void **priv)
{
	unsigned long caller = (unsigned long)__builtin_return_address(0);
	int ret;

	xlock_hook_enter(&nfsd4_hs, &nfsd4_hooks[H_SETLEASE]);
	if ((arg == F_RDLCK || arg == F_WRLCK) && lease && *lease &&
	    ((*lease)->c.flc_flags & FL_DELEG) && from_nfsd(caller) &&
	    deleg_refused(filp, arg))
		ret = -EAGAIN;
	else
		ret = call_kernel_setlease(filp, arg, lease, priv);
	xlock_hook_exit(&nfsd4_hs);
	return ret;
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

/*
 * V2 (C1, C3): NFSv4 byte-range locks are not in the table; nfsd's locks
 * are the VFS posix locks carrying nfsd's lock manager operations. Any of
 * them takes W from an SMB lease asked for on the file (the cifs client
 * would keep its own locks local under W), an exclusive one R as well.
 * The rules decide, with the locks as NFS-side entries.
 */
u8 xlock_nfs4_lease_cap(struct xlock_file *f, struct inode *inode, u8 want)
{
	struct xlock_rule_entry e[2] = {
		{ .proto = XLOCK_PROTO_NLM, .kind = XLOCK_KIND_LOCK, .mode = XLOCK_MODE_SHARED,
		  .end = XLOCK_END_MAX, .brk_to = XLOCK_NO_BREAK },
		{ .proto = XLOCK_PROTO_NLM, .kind = XLOCK_KIND_LOCK, .mode = XLOCK_MODE_EXCL,
		  .end = XLOCK_END_MAX, .brk_to = XLOCK_NO_BREAK },
	};
	struct xlock_rule_req req = { .op = XLOCK_OP_SMB_LEASE, .state = want };
	struct xlock_verdict v = { .kind = XLOCK_V_GRANT };
	struct xlock_rule_entry *head = NULL;
	struct file_lock_context *ctx;
	bool shared = false, excl = false;
	struct file_lock *fl;
	struct module *mod;

	ctx = locks_inode_context(inode);
	if (!want || !ctx || !xlock_edge_get(&xlock_edge_nfsd))
		return want;
	mod = xlock_edge_nfsd.mod;
	spin_lock(&ctx->flc_lock);
	list_for_each_entry(fl, &ctx->flc_posix, c.flc_list) {
		if (!fl->fl_lmops || !within_module((unsigned long)fl->fl_lmops, mod))
			continue;
		if (fl->c.flc_type == F_WRLCK)
			excl = true;
		else
			shared = true;
	}
	spin_unlock(&ctx->flc_lock);
	xlock_edge_put(&xlock_edge_nfsd);
	if (excl) {
		e[1].next = head;
		head = &e[1];
	}
	if (shared) {
		e[0].next = head;
		head = &e[0];
	}
	if (!head)
		return want;
	xlock_rules_decide(&req, head, &v);
	if (v.kind != XLOCK_V_REDUCED)
		return want;
	xlock_stat_inc(XLOCK_STAT_SMB_VS_NLM);
	xlock_stat_inc(XLOCK_STAT_REDUCED);
	xlock_conflict_note(f, "SMB lease request %s%s%s vs NFSv4 %s lock: granted %s%s%s",
			    want & XLOCK_LEASE_R ? "R" : "", want & XLOCK_LEASE_W ? "W" : "",
			    want & XLOCK_LEASE_H ? "H" : "", excl ? "exclusive" : "shared",
			    v.state ? "" : "none", v.state & XLOCK_LEASE_R ? "R" : "",
			    v.state & XLOCK_LEASE_H ? "H" : "");
	return v.state;
}

/* The NFSv4 client of an nfsd client struct: its client id and address. */
static void holder_client(struct xlock_nfs4_holder *h, const void *clp)
{
	h->clientid = 0;
	h->addr[0] = '\0';
	if (!clp)
		return;
	/* clientid_t: cl_boot, then cl_id */
	h->clientid = (u64)FIELD(clp, XLOCK_BTF_nfs4_client_cl_clientid, u32) << 32 |
		      FIELD(clp, XLOCK_BTF_nfs4_client_cl_clientid + 4, u32);
	xlock_addr_str((const struct sockaddr *)((const char *)clp +
						 XLOCK_BTF_nfs4_client_cl_addr),
		       h->addr, sizeof(h->addr));
}

/*
 * `xlockctl locks --path` (issue 13): NFSv4 state is nfsd's own, not in the
 * table, so the NFSv4 holders of @inode are read from the VFS lists under
 * their lock: nfsd's byte-range locks (posix locks with its lock manager)
 * and its delegations (FL_DELEG leases it set), with their nfsd client.
 * nfsd frees a lock owner or a delegation only after taking its lock or
 * lease off these lists. At most @max; the number found.
 */
int xlock_nfs4_holders(struct inode *inode, struct xlock_nfs4_holder *h, int max)
{
	struct file_lock_context *ctx = locks_inode_context(inode);
	struct file_lease *fl;
	struct file_lock *lk;
	struct module *mod;
	int n = 0;

	if (!ctx || !xlock_edge_get(&xlock_edge_nfsd))
		return 0;
	mod = xlock_edge_nfsd.mod;
	spin_lock(&ctx->flc_lock);
	list_for_each_entry(lk, &ctx->flc_posix, c.flc_list) {
		if (n == max)
			break;
		if (!lk->fl_lmops || !within_module((unsigned long)lk->fl_lmops, mod) ||
		    !lk->c.flc_owner)
			continue;
		holder_client(&h[n], FIELD(lk->c.flc_owner, XLOCK_BTF_nfs4_lockowner_lo_owner +
					   XLOCK_BTF_nfs4_stateowner_so_client, void *));
		h[n].kind = XLOCK_KIND_LOCK;
		h[n].mode = lk->c.flc_type == F_WRLCK ? XLOCK_MODE_EXCL : XLOCK_MODE_SHARED;
		h[n].start = lk->fl_start;
		h[n].end = lk->fl_end == OFFSET_MAX ? XLOCK_END_MAX : lk->fl_end;
		n++;
	}
	list_for_each_entry(fl, &ctx->flc_lease, c.flc_list) {
		if (n == max)
			break;
		if (!(fl->c.flc_flags & FL_DELEG) || !fl->fl_lmops ||
		    !within_module((unsigned long)fl->fl_lmops, mod) || !fl->c.flc_owner)
			continue;
		holder_client(&h[n], FIELD(fl->c.flc_owner, XLOCK_BTF_nfs4_delegation_dl_stid +
					   XLOCK_BTF_nfs4_stid_sc_client, void *));
		h[n].kind = XLOCK_KIND_DELEG;
		h[n].mode = fl->c.flc_type == F_WRLCK ? XLOCK_LEASE_R | XLOCK_LEASE_W :
							XLOCK_LEASE_R;
		h[n].start = 0;
		h[n].end = XLOCK_END_MAX;
		n++;
	}
	spin_unlock(&ctx->flc_lock);
	xlock_edge_put(&xlock_edge_nfsd);
	return n;
}

int xlock_nfsd4_attach(void)
{
	char why[160];
	int ret;

	ret = xlock_hookset_attach(&nfsd4_hs, why, sizeof(why));
	if (ret)
		pr_warn("NFSv4 delegations and locks will not heed SMB state: %s\n", why);
	nfsd4_on = !ret;
	return ret;
}

void xlock_nfsd4_detach(void)
{
	if (nfsd4_on)
		xlock_hookset_detach(&nfsd4_hs);
	nfsd4_on = false;
}
