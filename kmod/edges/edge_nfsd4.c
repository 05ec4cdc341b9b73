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
 * V8: nfsd ends its NFSv4 grace no earlier than xlock's (nfs4_grace_*);
 * SMB is held back while nfsd is in NFSv4 grace (xlock_nfs4_in_grace).
 *
 * V6: NFSv4 opens are nfsd's own (its nfs4_file per inode), so an SMB
 * open's share check reads them there (xlock_nfs4_open_refused) and the
 * rules decide both ways, as among SMB opens: an NFSv4 deny mode against
 * the SMB open's access, the SMB share mode against the NFSv4 open's
 * access (the Linux client always opens with deny none). Nothing is
 * copied into the table, so nothing can outlive a CLOSE or a client's
 * expiry.
 *
 * This hookset belongs to the nfsd edge: attached once that edge is (its
 * BTF check covers the nfsd functions and fields used here), detached
 * before it goes.
 */
#include <linux/filelock.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/nfs4.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/sunrpc/svc.h>
#include <linux/sunrpc/svc_xprt.h>
#include <linux/workqueue.h>
#include <net/netns/generic.h>

#include "arbiter.h"
#include "edge.h"
#include "generated/btf.h"
#include "edge_nfsd4.h"
#include "grace.h"
#include "ksym.h"
#include "smb_break.h"
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

static XLOCK_STUB __be32 call_nfsd4_lockt(struct svc_rqst *rqstp,
					  struct nfsd4_compound_state *cstate,
					  union nfsd4_op_u *u)
{
	xlock_call_unreachable(__func__);
	return cpu_to_be32(NFS4ERR_DELAY);
}

static XLOCK_STUB __be32 call_nfsd4_open(struct svc_rqst *rqstp,
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
static __be32 wrap_nfsd4_lockt(struct svc_rqst *rqstp, struct nfsd4_compound_state *cstate,
			       union nfsd4_op_u *u);
static __be32 wrap_nfsd4_open(struct svc_rqst *rqstp, struct nfsd4_compound_state *cstate,
			      union nfsd4_op_u *u);

enum { H_SETLEASE, H_LOCK, H_LOCKT, H_OPEN };

static struct xlock_hook nfsd4_hooks[] = {
	[H_SETLEASE] = XLOCK_HOOK("kernel_setlease", wrap_kernel_setlease),
	[H_LOCK] = XLOCK_HOOK("nfsd:nfsd4_lock", wrap_nfsd4_lock),
	[H_LOCKT] = XLOCK_HOOK("nfsd:nfsd4_lockt", wrap_nfsd4_lockt),
	[H_OPEN] = XLOCK_HOOK("nfsd:nfsd4_open", wrap_nfsd4_open),
};

static struct xlock_call nfsd4_calls[] = {
	XLOCK_CALL(call_kernel_setlease, "kernel_setlease"),
	XLOCK_CALL(call_nfsd4_lock, "nfsd:nfsd4_lock"),
	XLOCK_CALL(call_nfsd4_lockt, "nfsd:nfsd4_lockt"),
	XLOCK_CALL(call_nfsd4_open, "nfsd:nfsd4_open"),
};

static struct xlock_hookset nfsd4_hs = {
	.name = "nfsd4",
	.hooks = nfsd4_hooks,
	.nr_hooks = ARRAY_SIZE(nfsd4_hooks),
	.calls = nfsd4_calls,
	.nr_calls = ARRAY_SIZE(nfsd4_calls),
};

static bool nfsd4_on;
/* The nfsd and ksmbd edges, handed in when they attach (no call up). */
static struct xlock_edge *nfsd_edge, *ksmbd_edge;

/* A reference on the nfsd edge (set at its attach, never unset): see edge.h. */
static bool nfsd_get(void)
{
	struct xlock_edge *e = READ_ONCE(nfsd_edge);

	return e && xlock_edge_get(e);
}

static void nfsd_put(void)
{
	xlock_edge_put(READ_ONCE(nfsd_edge));
}

static bool from_nfsd(unsigned long caller)
{
	struct xlock_edge *e = READ_ONCE(nfsd_edge);
	struct module *mod = e ? READ_ONCE(e->mod) : NULL;

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
	struct xlock_edge *e = READ_ONCE(ksmbd_edge);
	struct ksmbd_inode *ci;

	if (!e || !xlock_edge_get(e))
		return false;
	ci = xlock_call_ksmbd_inode_lookup_lock(d);
	if (ci)
		xlock_call_ksmbd_inode_put(ci);
	xlock_edge_put(e);
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

/* The requester as log lines name it: "nfs4:<address>". */
static void nfs4_who(struct svc_rqst *rqstp, char *who, size_t size)
{
	char addr[48];

	xlock_addr_str(svc_addr(rqstp), addr, sizeof(addr));
	snprintf(who, size, "nfs4:%s", addr);
}

/*
 * Issue 10 c for NFSv4: a LOCK or OPEN as decided, held in the table until
 * nfsd has set it (the lock in the VFS, the open's stateid), where SMB
 * requests then see it. The client is the requester's address in its
 * network namespace; NULL if out of memory (logged: the client retries).
 */
static struct xlock_entry *nfs4_resv(struct svc_rqst *rqstp, const struct xlock_entry_init *init)
{
	struct net *net = SVC_NET(rqstp);
	struct xlock_client *c;
	struct xlock_entry *e = NULL;
	char addr[48];

	xlock_addr_str(svc_addr(rqstp), addr, sizeof(addr));
	c = xlock_client_get_net(XLOCK_PROTO_NFS4, net_eq(net, &init_net) ? 0 : net->net_cookie,
				 addr, addr, NULL);
	if (!IS_ERR(c)) {
		e = xlock_resv_new(c, init);
		xlock_client_put(c);
	}
	if (!e)
		pr_warn_ratelimited("NFSv4 %s from %s: no memory to reserve it: NFS4ERR_DELAY\n",
				    init->kind == XLOCK_KIND_LOCK ? "LOCK" : "OPEN", addr);
	return e;
}

/*
 * The regular file @fhp (an svc_fh) has verified, as a path on its
 * export's mount: the table names files by path. False if it has none.
 */
static bool fh_path(void *fhp, struct path *path)
{
	struct dentry *d = FIELD(fhp, XLOCK_BTF_svc_fh_fh_dentry, struct dentry *);
	void *exp = FIELD(fhp, XLOCK_BTF_svc_fh_fh_export, void *);

	if (!d || d_really_is_negative(d) || !S_ISREG(d_inode(d)->i_mode) || !exp)
		return false;
	path->mnt = FIELD(exp, XLOCK_BTF_svc_export_ex_path, struct path).mnt;
	path->dentry = d;
	return true;
}

/*
 * V1: leases an NFSv4 LOCK cannot live with; the NFS status, or 0 to go on
 * with @resv (the lock's reservation, may be NULL) linked to the file.
 * @denied: the file, with its reference, when the table had an SMB lock in
 * the way (left to nfsd, see below); else NULL.
 */
static __be32 lock_arbitrate(struct svc_rqst *rqstp, struct nfsd4_compound_state *cstate,
			     union nfsd4_op_u *u, struct xlock_file **denied,
			     struct xlock_entry **resv)
{
	u32 type = FIELD(u, XLOCK_BTF_nfsd4_lock_lk_type, u32);
	u64 off = FIELD(u, XLOCK_BTF_nfsd4_lock_lk_offset, u64);
	u64 len = FIELD(u, XLOCK_BTF_nfsd4_lock_lk_length, u64);
	struct xlock_rule_req req = { .op = XLOCK_OP_NLM_LOCK, .start = off };
	struct xlock_entry_init init = { .proto = XLOCK_PROTO_NFS4, .kind = XLOCK_KIND_LOCK };
	struct xlock_file *f;
	struct path path;
	__be32 ret = 0;
	char who[64];
	int arb;

	if (!fh_path((char *)cstate + XLOCK_BTF_nfsd4_compound_state_current_fh, &path))
		return 0;	/* not a regular file: nfsd refuses the LOCK itself */
	if (!len || len == NFS4_MAX_UINT64)
		req.end = XLOCK_END_MAX;		/* to the end of the file */
	else if (len - 1 <= XLOCK_END_MAX - off)
		req.end = off + len - 1;
	else
		return 0;	/* nfsd answers a bad range itself */
	req.mode = type == NFS4_WRITE_LT || type == NFS4_WRITEW_LT ? XLOCK_MODE_EXCL :
								     XLOCK_MODE_SHARED;
	/* Created now: the decision is reserved on it. */
	f = xlock_file_get(&path, true);
	if (IS_ERR(f))
		return 0;
	nfs4_who(rqstp, who, sizeof(who));
	init.mode = req.mode;
	init.start = req.start;
	init.end = req.end;
	*resv = nfs4_resv(rqstp, &init);
	arb = *resv ? xlock_arbitrate_resv(f, &req, READ_ONCE(nfs4_wait_ms), who, NULL, *resv) :
		      XLOCK_ARB_NOSPACE;
	/*
	 * DENY (an SMB lock) is left to the VFS, where both servers' locks
	 * meet: nfsd's own denial keeps NFSv4.0's seqids in step.
	 */
	switch (arb) {
	case XLOCK_ARB_WAIT:
		xlock_stat_inc(XLOCK_STAT_NFS_JUKEBOX);
		ret = cpu_to_be32(NFS4ERR_DELAY);
		break;
	case XLOCK_ARB_NOSPACE:
		/* No room for the reservation: the client retries. */
		ret = cpu_to_be32(NFS4ERR_DELAY);
		break;
	case XLOCK_ARB_DENY:
		*denied = f;
		return 0;
	}
	xlock_file_put(f);
	return ret;
}

/* The file of the current file handle, or NULL. */
static struct dentry *current_dentry(struct nfsd4_compound_state *cstate)
{
	struct dentry *d = FIELD(cstate, XLOCK_BTF_nfsd4_compound_state_current_fh +
				 XLOCK_BTF_svc_fh_fh_dentry, struct dentry *);

	return d && !d_really_is_negative(d) ? d : NULL;
}

/*
 * nfsd granted a LOCK the table denied: ksmbd's unlock had freed the VFS
 * range before the table dropped the SMB lock. The lease breaks that
 * verdict hid are due now (I1), before the client has the reply: the
 * lease rules of NFS I/O of the lock's kind (C9, C10) are the lock's own
 * without its byte-range check.
 */
static void lock_granted_late(struct svc_rqst *rqstp, struct xlock_file *f, u32 type)
{
	struct xlock_rule_req req = {
		.op = type == NFS4_WRITE_LT || type == NFS4_WRITEW_LT ? XLOCK_OP_NFS_WRITE :
									XLOCK_OP_NFS_READ,
		.end = XLOCK_END_MAX,
	};
	char who[64];

	nfs4_who(rqstp, who, sizeof(who));
	xlock_arbitrate(f, &req, READ_ONCE(nfs4_wait_ms), who, NULL);
}

/*
 * V1: nfsd names the holder in a LOCK or LOCKT denial only when it is one
 * of its own lock owners; for another server's lock the owner is empty.
 * If the table has an SMB holder in the way of the request (its lock, or
 * a lease with W, which keeps the client's locks), it is named instead:
 * owner "smb:<client>", the lock's range (the whole file for a lease).
 * nfsd frees the owner with kfree after encoding the reply.
 */
static void denied_holder(struct dentry *d, u32 type, u64 off, u64 len, void *denied)
{
	struct xdr_netobj *owner = &FIELD(denied, XLOCK_BTF_nfsd4_lock_denied_ld_owner,
					  struct xdr_netobj);
	struct xlock_rule_req req = { .op = XLOCK_OP_NLM_TEST, .start = off };
	struct xlock_holder h;
	struct xlock_verdict v;
	struct xlock_file *f;
	char *name;

	if (owner->len || !d)
		return;
	if (!len || len == NFS4_MAX_UINT64)
		req.end = XLOCK_END_MAX;
	else if (len - 1 <= XLOCK_END_MAX - off)
		req.end = off + len - 1;
	else
		return;
	req.mode = type == NFS4_WRITE_LT || type == NFS4_WRITEW_LT ? XLOCK_MODE_EXCL :
								     XLOCK_MODE_SHARED;
	f = inode_file(d_inode(d));
	if (!f)
		return;
	xlock_file_decide(f, &req, &v, &h);
	xlock_file_put(f);
	if (v.kind != XLOCK_V_DENY || h.proto != XLOCK_PROTO_SMB)
		return;
	name = kstrdup(h.client, GFP_KERNEL);
	if (!name)
		return;
	owner->data = name;
	owner->len = strlen(name);
	if (h.kind == XLOCK_KIND_LOCK) {
		FIELD(denied, XLOCK_BTF_nfsd4_lock_denied_ld_start, u64) = h.start;
		FIELD(denied, XLOCK_BTF_nfsd4_lock_denied_ld_length, u64) =
			h.end == XLOCK_END_MAX ? NFS4_MAX_UINT64 : h.end - h.start + 1;
		FIELD(denied, XLOCK_BTF_nfsd4_lock_denied_ld_type, u32) =
			h.mode == XLOCK_MODE_EXCL ? NFS4_WRITE_LT : NFS4_READ_LT;
	} else {
		FIELD(denied, XLOCK_BTF_nfsd4_lock_denied_ld_start, u64) = 0;
		FIELD(denied, XLOCK_BTF_nfsd4_lock_denied_ld_length, u64) = NFS4_MAX_UINT64;
		FIELD(denied, XLOCK_BTF_nfsd4_lock_denied_ld_type, u32) = NFS4_WRITE_LT;
	}
}

static __be32 wrap_nfsd4_lock(struct svc_rqst *rqstp, struct nfsd4_compound_state *cstate,
			      union nfsd4_op_u *u)
{
	struct xlock_file *denied = NULL;
	struct xlock_entry *resv = NULL;
	__be32 ret;

	xlock_hook_enter(&nfsd4_hs, &nfsd4_hooks[H_LOCK]);
	ret = lock_arbitrate(rqstp, cstate, u, &denied, &resv);
	if (!ret) {
		if (resv)
			xlock_race_window(XLOCK_RACE_LOCK);
		ret = call_nfsd4_lock(rqstp, cstate, u);
	}
	if (denied) {
		if (!ret)
			lock_granted_late(rqstp, denied,
					  FIELD(u, XLOCK_BTF_nfsd4_lock_lk_type, u32));
		xlock_file_put(denied);
	}
	xlock_resv_drop(resv);	/* nfsd's lock is in the VFS by now */
	if (ret == cpu_to_be32(NFS4ERR_DENIED))
		denied_holder(current_dentry(cstate), FIELD(u, XLOCK_BTF_nfsd4_lock_lk_type, u32),
			      FIELD(u, XLOCK_BTF_nfsd4_lock_lk_offset, u64),
			      FIELD(u, XLOCK_BTF_nfsd4_lock_lk_length, u64),
			      (char *)u + XLOCK_BTF_nfsd4_lock_lk_denied);
	xlock_hook_exit(&nfsd4_hs);
	return ret;
}

/*
 * Issue 10 c for NFSv4 OPEN: the open's access and deny mode, as decided
 * in its permission check (nfsd's fh_verify, edge_nfsd.c), held in the
 * table until nfsd4_open returns, by when nfsd's open stateid holds them
 * (read by SMB opens, V6, and SMB lease requests, I1). The check runs in
 * the nfsd thread of the OPEN, deeper in nfsd4_open: it finds the open by
 * its thread. Only that thread touches its context.
 */
struct open_ctx {
	struct list_head node;
	struct task_struct *task;
	struct xlock_entry_init init;
	struct xlock_entry *resv;
};

static DEFINE_SPINLOCK(opens_lock);
static LIST_HEAD(opens);

/*
 * The reservation for the NFSv4 OPEN whose permission check @fhp is in
 * this thread, with its file in @path: NULL if there is none to make (not
 * in an OPEN, made already, not a regular file), ERR_PTR(-ENOMEM).
 */
struct xlock_entry *xlock_nfs4_open_resv(struct svc_rqst *rqstp, struct svc_fh *fhp,
					 struct path *path)
{
	struct open_ctx *c, *mine = NULL;

	spin_lock(&opens_lock);
	list_for_each_entry(c, &opens, node) {
		if (c->task == current) {
			mine = c;
			break;
		}
	}
	spin_unlock(&opens_lock);
	if (!mine || mine->resv || !fh_path(fhp, path))
		return NULL;
	mine->resv = nfs4_resv(rqstp, &mine->init);
	return mine->resv ?: ERR_PTR(-ENOMEM);
}

/* NFSv4 share access or deny bits (the same values) as XLOCK_SHARE_* bits. */
static_assert((NFS4_SHARE_DENY_READ ^ NFS4_SHARE_ACCESS_READ) == 0);
static_assert((NFS4_SHARE_DENY_WRITE ^ NFS4_SHARE_ACCESS_WRITE) == 0);
static u8 nfs4_share_bits(u32 bits)
{
	return (bits & NFS4_SHARE_ACCESS_READ ? XLOCK_SHARE_READ : 0) |
	       (bits & NFS4_SHARE_ACCESS_WRITE ? XLOCK_SHARE_WRITE : 0);
}

static __be32 wrap_nfsd4_open(struct svc_rqst *rqstp, struct nfsd4_compound_state *cstate,
			      union nfsd4_op_u *u)
{
	u32 access = FIELD(u, XLOCK_BTF_nfsd4_open_op_share_access, u32);
	u32 deny = FIELD(u, XLOCK_BTF_nfsd4_open_op_share_deny, u32);
	struct open_ctx ctx = {
		.task = current,
		.init = {
			.proto = XLOCK_PROTO_NFS4, .kind = XLOCK_KIND_SHARE,
			.mode = nfs4_share_bits(access),
			.state = XLOCK_SHARE_ALL & ~nfs4_share_bits(deny),
			.end = XLOCK_END_MAX,
		},
	};
	__be32 ret;

	xlock_hook_enter(&nfsd4_hs, &nfsd4_hooks[H_OPEN]);
	spin_lock(&opens_lock);
	list_add(&ctx.node, &opens);
	spin_unlock(&opens_lock);
	ret = call_nfsd4_open(rqstp, cstate, u);
	spin_lock(&opens_lock);
	list_del(&ctx.node);
	spin_unlock(&opens_lock);
	xlock_resv_drop(ctx.resv);	/* nfsd's open stateid holds it by now */
	xlock_hook_exit(&nfsd4_hs);
	return ret;
}

static __be32 wrap_nfsd4_lockt(struct svc_rqst *rqstp, struct nfsd4_compound_state *cstate,
			       union nfsd4_op_u *u)
{
	__be32 ret;

	xlock_hook_enter(&nfsd4_hs, &nfsd4_hooks[H_LOCKT]);
	ret = call_nfsd4_lockt(rqstp, cstate, u);
	if (ret == cpu_to_be32(NFS4ERR_DENIED))
		denied_holder(current_dentry(cstate), FIELD(u, XLOCK_BTF_nfsd4_lockt_lt_type, u32),
			      FIELD(u, XLOCK_BTF_nfsd4_lockt_lt_offset, u64),
			      FIELD(u, XLOCK_BTF_nfsd4_lockt_lt_length, u64),
			      (char *)u + XLOCK_BTF_nfsd4_lockt_lt_denied);
	xlock_hook_exit(&nfsd4_hs);
	return ret;
}

static bool nfs4_opens_decide(struct inode *inode, const struct xlock_rule_req *req,
			      struct xlock_rule_entry *e, struct xlock_verdict *v);

/*
 * V2 (C1, C3): NFSv4 byte-range locks are not in the table; nfsd's locks
 * are the VFS posix locks carrying nfsd's lock manager operations. Any of
 * them takes W from an SMB lease asked for on the file (the cifs client
 * would keep its own locks local under W), an exclusive one R as well.
 * I1: an NFSv4 open for write (nfsd's open stateids) takes W too.
 * The rules decide, with the locks and opens as NFS-side entries.
 */
u8 xlock_nfs4_lease_cap(struct xlock_file *f, struct inode *inode, u8 want)
{
	struct xlock_rule_entry e[3] = {
		{ .proto = XLOCK_PROTO_NLM, .kind = XLOCK_KIND_LOCK, .mode = XLOCK_MODE_SHARED,
		  .end = XLOCK_END_MAX, .brk_to = XLOCK_NO_BREAK },
		{ .proto = XLOCK_PROTO_NLM, .kind = XLOCK_KIND_LOCK, .mode = XLOCK_MODE_EXCL,
		  .end = XLOCK_END_MAX, .brk_to = XLOCK_NO_BREAK },
		{ .proto = XLOCK_PROTO_NFS4, .kind = XLOCK_KIND_SHARE,
		  .end = XLOCK_END_MAX, .brk_to = XLOCK_NO_BREAK },
	};
	struct xlock_rule_req req = { .op = XLOCK_OP_SMB_LEASE, .state = want };
	struct xlock_verdict v = { .kind = XLOCK_V_GRANT };
	struct xlock_rule_entry *head = NULL;
	struct file_lock_context *ctx;
	bool shared = false, excl = false;
	struct file_lock *fl;
	struct xlock_edge *ne;
	struct module *mod;

	ctx = locks_inode_context(inode);
	ne = READ_ONCE(nfsd_edge);
	if (!want || !ne || !xlock_edge_get(ne))
		return want;
	mod = ne->mod;
	if (ctx) {
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
	}
	xlock_edge_put(ne);
	if (excl) {
		e[1].next = head;
		head = &e[1];
	}
	if (shared) {
		e[0].next = head;
		head = &e[0];
	}
	if (head) {
		xlock_rules_decide(&req, head, &v);
		if (v.kind == XLOCK_V_REDUCED) {
			xlock_lease_reduced(f, want, v.state, NULL,
					    excl ? "NFSv4 exclusive lock" : "NFSv4 shared lock");
			req.state = v.state;
		}
	}
	if (req.state & XLOCK_LEASE_W && nfs4_opens_decide(inode, &req, &e[2], &v) &&
	    v.kind == XLOCK_V_REDUCED) {
		xlock_lease_reduced(f, req.state, v.state, NULL, "NFSv4 open for write");
		req.state = v.state;
	}
	return req.state;
}

/*
 * V6: nfsd's table of nfs4_files, keyed by inode pointer. nfsd creates it
 * when its first server starts and destroys it when the last one stops,
 * both under nfsd_mutex with nfsd_users counting the servers, so it is
 * read under that mutex and only while nfsd_users says it exists. The
 * lookup is rhashtable's inline code with nfsd's own parameters (checked
 * at attach): no call into nfsd. NULL: V6 off.
 */
static struct rhltable *nfs4_files;
static struct mutex *nfsd_mutex_p;
static int *nfsd_users_p;

static const struct rhashtable_params nfs4_file_params = {
	.key_len = sizeof(struct inode *),
	.key_offset = XLOCK_BTF_nfs4_file_fi_inode,
	.head_offset = XLOCK_BTF_nfs4_file_fi_rlist,
};

/* An nfsd bmap of share bits (bit n set for share value n) as XLOCK_SHARE_* bits. */
static u8 bmap_share(u8 bmap)
{
	u8 share = 0;
	int n;

	for (n = NFS4_SHARE_ACCESS_READ; n <= NFS4_SHARE_ACCESS_BOTH; n++)
		if (bmap & BIT(n))
			share |= n;
	return share;
}

#define FI(fi, field, type) FIELD(fi, XLOCK_BTF_nfs4_file_##field, type)
#define ST(st, field, type) FIELD(st, XLOCK_BTF_nfs4_ol_stateid_##field, type)

/*
 * Between these two, nfsd's table of nfs4_files exists; its entries are
 * freed after an RCU grace period, so they are read under rcu_read_lock.
 * Caller holds the nfsd edge. False: nfsd has no table now.
 */
static bool nfs4_files_lock(void)
{
	if (!READ_ONCE(nfs4_files))
		return false;
	mutex_lock(nfsd_mutex_p);
	if (!READ_ONCE(*nfsd_users_p)) {
		mutex_unlock(nfsd_mutex_p);
		return false;
	}
	return true;
}

static void nfs4_files_unlock(void)
{
	mutex_unlock(nfsd_mutex_p);
}

/* @inode's nfs4_files: more than one when it has aliased file handles. */
static struct rhlist_head *nfs4_files_of(struct inode *inode)
{
	return rhltable_lookup(nfs4_files, &inode, nfs4_file_params);
}

#define fi_of(pos) ((void *)((char *)(pos) - XLOCK_BTF_nfs4_file_fi_rlist))

/* The nfsd client of an open or lock stateid. */
static void *st_client(void *st)
{
	return FIELD(st, XLOCK_BTF_nfs4_ol_stateid_st_stid + XLOCK_BTF_nfs4_stid_sc_client,
		     void *);
}

/*
 * A client whose lease ran out but whose state nfsd kept (a courtesy
 * client) gives way, as in nfsd's own deny-mode conflicts: it is marked
 * expirable, and nfsd's laundromat removes its state at its next run (I5:
 * a dead client's deny mode does not hold SMB off for nfsd's 24 hours).
 */
static bool client_expired(void *clp)
{
	unsigned int *state = &FIELD(clp, XLOCK_BTF_nfs4_client_cl_state, unsigned int);

	cmpxchg(state, XLOCK_BTF_NFSD4_COURTESY, XLOCK_BTF_NFSD4_EXPIRABLE);
	return READ_ONCE(*state) == XLOCK_BTF_NFSD4_EXPIRABLE;
}

static void grace_note(const struct inode *inode, const struct xlock_rule_req *req)
{
	xlock_conflict_note(NULL,
			    "SMB open of dev=%u:%u ino=%lu allowing %s%s%s held back: nfsd's NFSv4 clients may still reclaim (grace): STATUS_SHARING_VIOLATION",
			    MAJOR(inode->i_sb->s_dev), MINOR(inode->i_sb->s_dev), inode->i_ino,
			    req->state & XLOCK_SHARE_READ ? "r" : "",
			    req->state & XLOCK_SHARE_WRITE ? "w" : "",
			    req->state & XLOCK_SHARE_DELETE ? "d" : "");
}

/*
 * The rules on SMB request @req against each NFSv4 open of @inode, as an
 * NFSv4 share entry (its access, and the access its deny mode leaves to
 * others; deny none leaves all), until one is in the way (its verdict in
 * @v, the entry in @e: true). Lock stateids copy their open's bits and
 * are skipped; so are a courtesy client's opens (client_expired).
 */
static bool nfs4_opens_decide(struct inode *inode, const struct xlock_rule_req *req,
			      struct xlock_rule_entry *e, struct xlock_verdict *v)
{
	struct list_head *l, *head;
	struct rhlist_head *pos;
	bool found = false;
	void *st;

	if (!nfsd_get())
		return false;
	if (nfs4_files_lock()) {
		rcu_read_lock();
		rhl_for_each_rcu(pos, nfs4_files_of(inode)) {
			void *fi = fi_of(pos);

			head = &FI(fi, fi_stateids, struct list_head);
			spin_lock(&FI(fi, fi_lock, spinlock_t));
			list_for_each(l, head) {
				st = (char *)l - XLOCK_BTF_nfs4_ol_stateid_st_perfile;
				if (ST(st, st_openstp, void *))
					continue;
				e->mode = bmap_share(ST(st, st_access_bmap, u8));
				e->state = XLOCK_SHARE_ALL & ~bmap_share(ST(st, st_deny_bmap, u8));
				xlock_rules_decide(req, e, v);
				if (v->kind != XLOCK_V_GRANT && !client_expired(st_client(st))) {
					found = true;
					break;
				}
			}
			spin_unlock(&FI(fi, fi_lock, spinlock_t));
			if (found)
				break;
		}
		rcu_read_unlock();
		nfs4_files_unlock();
	}
	nfsd_put();
	return found;
}

/*
 * V6: does an NFSv4 open of @inode conflict with SMB open @req? The rules
 * decide, as among SMB opens. In nfsd's NFSv4 grace, the opens not
 * reclaimed yet count too (V8).
 * @again: the same open asked a second time (not counted nor logged).
 */
bool xlock_nfs4_open_refused(struct inode *inode, const struct xlock_rule_req *req, bool again)
{
	struct xlock_rule_entry e = {
		.proto = XLOCK_PROTO_NFS4, .kind = XLOCK_KIND_SHARE,
		.end = XLOCK_END_MAX, .brk_to = XLOCK_NO_BREAK,
	};
	struct xlock_verdict v;

	if (!S_ISREG(inode->i_mode))
		return false;
	if (xlock_nfs4_in_grace()) {
		/*
		 * V8: opens nfsd's clients may still reclaim are unknown here
		 * (xlock persists no NFSv4 state); each is taken for what the
		 * Linux client holds, read and write denying nothing.
		 */
		e.mode = XLOCK_SHARE_READ | XLOCK_SHARE_WRITE;
		e.state = XLOCK_SHARE_ALL;
		xlock_rules_decide(req, &e, &v);
		if (v.kind == XLOCK_V_DENY) {
			if (!again)
				grace_note(inode, req);
			return true;
		}
	}
	if (!nfs4_opens_decide(inode, req, &e, &v) || v.kind != XLOCK_V_DENY)
		return false;
	if (again)
		return true;
	xlock_stat_inc(XLOCK_STAT_SMB_VS_NLM);
	xlock_conflict_note(NULL,
			    "SMB open of dev=%u:%u ino=%lu for %s%s%s allowing %s%s%s vs NFSv4 open for %s%s allowing %s%s%s: STATUS_SHARING_VIOLATION",
			    MAJOR(inode->i_sb->s_dev), MINOR(inode->i_sb->s_dev), inode->i_ino,
			    req->mode & XLOCK_SHARE_READ ? "r" : "",
			    req->mode & XLOCK_SHARE_WRITE ? "w" : "",
			    req->mode & XLOCK_SHARE_DELETE ? "d" : "",
			    req->state & XLOCK_SHARE_READ ? "r" : "",
			    req->state & XLOCK_SHARE_WRITE ? "w" : "",
			    req->state & XLOCK_SHARE_DELETE ? "d" : "",
			    e.mode & XLOCK_SHARE_READ ? "r" : "",
			    e.mode & XLOCK_SHARE_WRITE ? "w" : "",
			    e.state & XLOCK_SHARE_READ ? "r" : "",
			    e.state & XLOCK_SHARE_WRITE ? "w" : "",
			    e.state & XLOCK_SHARE_DELETE ? "d" : "");
	return true;
}

/* nfsd's params for its table, as ours: anything else and we read it wrong. */
static bool nfs4_params_same(const struct rhashtable_params *p)
{
	return p->key_len == nfs4_file_params.key_len &&
	       p->key_offset == nfs4_file_params.key_offset &&
	       p->head_offset == nfs4_file_params.head_offset &&
	       !p->hashfn && !p->obj_hashfn && !p->obj_cmpfn;
}

static void nfs4_files_find(void)
{
	unsigned long tbl = xlock_ksym_lookup("nfsd:nfs4_file_rhltable");
	unsigned long params = xlock_ksym_lookup("nfsd:nfs4_file_rhash_params");
	unsigned long users = xlock_ksym_lookup("nfsd:nfsd_users");

	if (!tbl || !params || !users || !nfsd_mutex_p ||
	    !nfs4_params_same((const struct rhashtable_params *)params)) {
		pr_warn("SMB opens will not heed NFSv4 deny modes: nfsd's nfs4_file table not found as expected\n");
		return;
	}
	nfsd_users_p = (int *)users;
	WRITE_ONCE(nfs4_files, (struct rhltable *)tbl);
}

/*
 * V8: one grace window. nfsd ends its NFSv4 grace on its own clock (its
 * laundromat, or the last client's RECLAIM_COMPLETE) and then tells its
 * client tracker that grace is done, which forgets the clients that have
 * not reclaimed yet: their reclaims fail, although xlock's grace still
 * holds every new lock back (lockd and nfsd ask the kernel's grace
 * manager, which xlock is part of). So while xlock's grace runs, nfsd's
 * end of grace in the initial net namespace (xlock's grace is that net's)
 * is put off; once xlock's grace is over, nfsd's laundromat is run at
 * once, which ends it, as `echo Y >/proc/fs/nfsd/v4_end_grace` would.
 */
struct nfsd_net;

static XLOCK_STUB void call_nfsd4_end_grace(struct nfsd_net *nn)
{
	xlock_call_unreachable(__func__);
}

static void wrap_nfsd4_end_grace(struct nfsd_net *nn);

static struct xlock_hook grace_hooks[] = {
	XLOCK_HOOK("nfsd:nfsd4_end_grace", wrap_nfsd4_end_grace),
};

static struct xlock_call grace_calls[] = {
	XLOCK_CALL(call_nfsd4_end_grace, "nfsd:nfsd4_end_grace"),
};

static struct xlock_hookset grace_hs = {
	.name = "nfsd4-grace",
	.hooks = grace_hooks,
	.nr_hooks = ARRAY_SIZE(grace_hooks),
	.calls = grace_calls,
	.nr_calls = ARRAY_SIZE(grace_calls),
};

static bool grace_on;
static bool grace_held;
static unsigned int *nfsd_net_id_p;
static struct workqueue_struct **laundry_wq_p;

static void grace_kick_fn(struct work_struct *w);
static DECLARE_DELAYED_WORK(grace_kick, grace_kick_fn);

static void *init_nn(void)
{
	return net_generic(&init_net, READ_ONCE(*nfsd_net_id_p));
}

static void wrap_nfsd4_end_grace(struct nfsd_net *nn)
{
	xlock_hook_enter(&grace_hs, &grace_hooks[0]);
	/* nfsd's laundromat calls it on every run, also once grace ended */
	if (xlock_grace_active() && (void *)nn == init_nn() &&
	    !test_bit(XLOCK_BTF_NFSD_NET_GRACE_ENDED,
		      &FIELD(nn, XLOCK_BTF_nfsd_net_flags, unsigned long))) {
		if (!xchg(&grace_held, true))
			pr_info("NFSv4 grace held until xlock's grace period ends\n");
		mod_delayed_work(system_wq, &grace_kick, HZ);
	} else {
		call_nfsd4_end_grace(nn);
	}
	xlock_hook_exit(&grace_hs);
}

/* Once xlock's grace is over, nfsd's laundromat ends nfsd's. */
static void grace_kick_fn(struct work_struct *w)
{
	unsigned long *flags;
	void *nn;

	if (xlock_grace_active()) {
		schedule_delayed_work(&grace_kick, HZ);
		return;
	}
	if (!nfsd_get())
		return;
	/* nfsd starts and stops a net's NFSv4 state under nfsd_mutex */
	mutex_lock(nfsd_mutex_p);
	nn = init_nn();
	flags = &FIELD(nn, XLOCK_BTF_nfsd_net_flags, unsigned long);
	if (test_bit(XLOCK_BTF_NFSD_NET_UP, flags) &&
	    !test_bit(XLOCK_BTF_NFSD_NET_GRACE_ENDED, flags)) {
		pr_info("xlock's grace period is over: NFSv4 grace ends now\n");
		mod_delayed_work(READ_ONCE(*laundry_wq_p),
				 &FIELD(nn, XLOCK_BTF_nfsd_net_laundromat_work,
					struct delayed_work), 0);
	}
	mutex_unlock(nfsd_mutex_p);
	nfsd_put();
	WRITE_ONCE(grace_held, false);
}

static void nfs4_grace_attach(void)
{
	unsigned long id = xlock_ksym_lookup("nfsd:nfsd_net_id");
	unsigned long wq = xlock_ksym_lookup("nfsd:laundry_wq");
	char why[160];

	if (!id || !wq || !nfsd_mutex_p) {
		pr_warn("nfsd may end NFSv4 grace before xlock's: nfsd_net_id or laundry_wq not found\n");
		return;
	}
	WRITE_ONCE(nfsd_net_id_p, (unsigned int *)id);
	laundry_wq_p = (struct workqueue_struct **)wq;
	if (xlock_ksym_attach(&grace_hs, why, sizeof(why))) {
		pr_warn("nfsd may end NFSv4 grace before xlock's: %s\n", why);
		return;
	}
	grace_on = true;
}

static void nfs4_grace_detach(void)
{
	if (grace_on)
		xlock_hookset_detach(&grace_hs);
	grace_on = false;
	cancel_delayed_work_sync(&grace_kick);
	grace_held = false;
}

/*
 * V8: is nfsd (initial net) in its NFSv4 grace, not ended by the admin?
 * Its clients may then still reclaim state xlock never saw (it persists
 * nothing of NFSv4), so an SMB request is held back as lockd and nfsd hold
 * back new NLM and NFSv4 ones. nfsd's grace lasts its own time (its rules,
 * its client tracker) or xlock's, whichever ends last (nfsd4_end_grace
 * above), so SMB waits out both.
 */
bool xlock_nfs4_in_grace(void)
{
	unsigned long *flags;
	bool in;

	if (!READ_ONCE(nfsd_net_id_p) || !nfsd_get())
		return false;
	flags = &FIELD(init_nn(), XLOCK_BTF_nfsd_net_flags, unsigned long);
	in = test_bit(XLOCK_BTF_NFSD_NET_UP, flags) &&
	     !test_bit(XLOCK_BTF_NFSD_NET_GRACE_ENDED, flags) &&
	     !test_bit(XLOCK_BTF_NFSD_NET_GRACE_END_FORCED, flags);
	nfsd_put();
	return in;
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
 * V6: the NFSv4 opens of @inode with a deny mode, from each nfs4_file's
 * stateids under its fi_lock. CLOSE and a client's expiry take them off that list.
 * Caller holds the nfsd edge.
 */
static int nfs4_deny_holders(struct inode *inode, struct xlock_nfs4_holder *h, int max)
{
	struct rhlist_head *pos;
	struct list_head *l, *head;
	int n = 0;
	void *st;

	if (max <= 0 || !S_ISREG(inode->i_mode) || !nfs4_files_lock())
		return 0;
	rcu_read_lock();
	rhl_for_each_rcu(pos, nfs4_files_of(inode)) {
		void *fi = fi_of(pos);

		head = &FI(fi, fi_stateids, struct list_head);
		spin_lock(&FI(fi, fi_lock, spinlock_t));
		list_for_each(l, head) {
			if (n == max)
				break;
			st = (char *)l - XLOCK_BTF_nfs4_ol_stateid_st_perfile;
			/*
			 * Lock stateids copy their open's bits. Deny-none opens
			 * (bit 0; every Linux client open) are not listed: they
			 * can refuse an SMB open all the same, which the INFO line
			 * of that refusal names.
			 */
			if (ST(st, st_openstp, void *) ||
			    !bmap_share(ST(st, st_deny_bmap, u8)))
				continue;
			holder_client(&h[n], st_client(st));
			h[n].kind = XLOCK_KIND_SHARE;
			h[n].mode = bmap_share(ST(st, st_access_bmap, u8));
			h[n].allow = XLOCK_SHARE_ALL & ~bmap_share(ST(st, st_deny_bmap, u8));
			h[n].start = 0;
			h[n].end = XLOCK_END_MAX;
			n++;
		}
		spin_unlock(&FI(fi, fi_lock, spinlock_t));
	}
	rcu_read_unlock();
	nfs4_files_unlock();
	return n;
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

	if (!nfsd_get())
		return 0;
	if (!ctx) {
		n = nfs4_deny_holders(inode, h, max);
		nfsd_put();
		return n;
	}
	mod = READ_ONCE(nfsd_edge)->mod;
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
	n += nfs4_deny_holders(inode, h + n, max - n);
	nfsd_put();
	return n;
}

/* The ksmbd edge is attached: SMB opens can be looked up (V4). */
void xlock_nfsd4_set_ksmbd(struct xlock_edge *e)
{
	WRITE_ONCE(ksmbd_edge, e);
}

int xlock_nfsd4_attach(struct xlock_edge *e)
{
	char why[160];
	int ret;

	WRITE_ONCE(nfsd_edge, e);
	ret = xlock_ksym_attach(&nfsd4_hs, why, sizeof(why));
	if (ret)
		pr_warn("NFSv4 delegations and locks will not heed SMB state: %s\n", why);
	nfsd4_on = !ret;
	nfsd_mutex_p = (struct mutex *)xlock_ksym_lookup("nfsd:nfsd_mutex");
	nfs4_files_find();
	nfs4_grace_attach();
	return ret;
}

void xlock_nfsd4_detach(void)
{
	WRITE_ONCE(nfs4_files, NULL);
	nfs4_grace_detach();
	if (nfsd4_on)
		xlock_hookset_detach(&nfsd4_hs);
	nfsd4_on = false;
}
