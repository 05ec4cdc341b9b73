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
 * V5, V6 and I1 (NFSv4 OPEN), V1 (LOCK), issue 10 c: an OPEN's access and
 * deny mode and a LOCK are reserved in the table from their decision until
 * nfsd holds them, where SMB opens and lease requests then see them.
 * nfsd's own NFSv4 state is read in nfsd4_state.c, V8 is nfsd4_grace.c.
 *
 * This hookset belongs to the nfsd edge: attached once that edge is (its
 * BTF check covers the nfsd functions and fields used here), detached
 * before it goes.
 */
#include <linux/filelock.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/nfs4.h>
#include <linux/slab.h>
#include <linux/sunrpc/svc.h>
#include <linux/sunrpc/svc_xprt.h>

#include "arbiter.h"
#include "edge.h"
#include "generated/btf.h"
#include "edge_nfsd4.h"
#include "ksmbd_obj.h"
#include "ksym.h"
#include "nfsd4.h"
#include "nfsd4_deleg.h"
#include "nfsd4_grace.h"
#include "nfsd4_state.h"
#include "smb_break.h"
#include "stats.h"
#include "table.h"
#include "teardown.h"

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

static XLOCK_STUB void call_nfs4_state_shutdown_net(struct net *net)
{
	xlock_call_unreachable(__func__);
}

static int wrap_kernel_setlease(struct file *filp, int arg, struct file_lease **lease,
				void **priv);
static void wrap_nfs4_state_shutdown_net(struct net *net);
static __be32 wrap_nfsd4_lock(struct svc_rqst *rqstp, struct nfsd4_compound_state *cstate,
			      union nfsd4_op_u *u);
static __be32 wrap_nfsd4_lockt(struct svc_rqst *rqstp, struct nfsd4_compound_state *cstate,
			       union nfsd4_op_u *u);
static __be32 wrap_nfsd4_open(struct svc_rqst *rqstp, struct nfsd4_compound_state *cstate,
			      union nfsd4_op_u *u);

enum { H_SETLEASE, H_LOCK, H_LOCKT, H_OPEN, H_SHUTDOWN };

static struct xlock_hook nfsd4_hooks[] = {
	[H_SETLEASE] = XLOCK_HOOK("kernel_setlease", wrap_kernel_setlease),
	[H_LOCK] = XLOCK_HOOK("nfsd:nfsd4_lock", wrap_nfsd4_lock),
	[H_LOCKT] = XLOCK_HOOK("nfsd:nfsd4_lockt", wrap_nfsd4_lockt),
	[H_OPEN] = XLOCK_HOOK("nfsd:nfsd4_open", wrap_nfsd4_open),
	[H_SHUTDOWN] = XLOCK_HOOK("nfsd:nfs4_state_shutdown_net", wrap_nfs4_state_shutdown_net),
};

static struct xlock_call nfsd4_calls[] = {
	XLOCK_CALL(call_kernel_setlease, "kernel_setlease"),
	XLOCK_CALL(call_nfsd4_lock, "nfsd:nfsd4_lock"),
	XLOCK_CALL(call_nfsd4_lockt, "nfsd:nfsd4_lockt"),
	XLOCK_CALL(call_nfsd4_open, "nfsd:nfsd4_open"),
	XLOCK_CALL(call_nfs4_state_shutdown_net, "nfsd:nfs4_state_shutdown_net"),
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

static bool from_nfsd(unsigned long caller)
{
	struct xlock_edge *e = READ_ONCE(nfsd_edge);
	struct module *mod = e ? READ_ONCE(e->mod) : NULL;

	return mod && within_module(caller, mod);
}

static struct xlock_file *inode_file(struct inode *inode)
{
	struct xlock_fkey key;

	if (!S_ISREG(inode->i_mode))
		return NULL;
	xlock_fkey_of_inode(inode, &key);
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

/*
 * Does an SMB client have @d's file open for an access in @deny
 * (XLOCK_SHARE_READ/WRITE)? ksmbd's share modes that deny nothing are not
 * in the table: its list of the file's opens is read. ksmbd links an open
 * there before its share check, which sees an NFSv4 OPEN's reservation,
 * so an SMB open and an OPEN deciding at once cannot both miss the other.
 */
static bool smb_open_denied(struct dentry *d, u8 deny)
{
	struct xlock_edge *e = READ_ONCE(ksmbd_edge);
	struct ksmbd_inode *ci;
	struct list_head *pos;
	bool hit = false;
	u32 mask = 0;

	if (deny & XLOCK_SHARE_READ)
		mask |= KS_FILE_READ_DATA | KS_FILE_EXECUTE;
	if (deny & XLOCK_SHARE_WRITE)
		mask |= KS_FILE_WRITE_DATA | KS_FILE_APPEND_DATA;
	if (!mask || !e || !xlock_edge_get(e))
		return false;
	ci = xlock_call_ksmbd_inode_lookup_lock(d);
	if (ci) {
		down_read(ks_ci_lock(ci));
		list_for_each(pos, ks_ci_fps(ci)) {
			struct ksmbd_file *fp = ks_fp_of_node(pos);

			if (ks_fp_data_open(fp) && (ks_fp_daccess(fp) & mask)) {
				hit = true;
				break;
			}
		}
		up_read(ks_ci_lock(ci));
		xlock_call_ksmbd_inode_put(ci);
	}
	xlock_edge_put(e);
	return hit;
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

/*
 * V4 refuses a delegation SMB state conflicts with; V8 keeps the ones nfsd
 * sets, and forgets those it takes off, in the table (nfsd4_deleg.c).
 */
static int wrap_kernel_setlease(struct file *filp, int arg, struct file_lease **lease,
				void **priv)
{
	unsigned long caller = (unsigned long)__builtin_return_address(0);
	bool deleg = (arg == F_RDLCK || arg == F_WRLCK) && lease && *lease &&
		     ((*lease)->c.flc_flags & FL_DELEG) && from_nfsd(caller);
	/* The lease may be consumed by the call: its owner is nfsd's delegation. */
	void *dp = deleg ? (*lease)->c.flc_owner : NULL;
	int ret;

	xlock_hook_enter(&nfsd4_hs, &nfsd4_hooks[H_SETLEASE]);
	if (deleg && deleg_refused(filp, arg)) {
		ret = -EAGAIN;
		goto out;
	}
	ret = call_kernel_setlease(filp, arg, lease, priv);
	if (deleg && !ret)
		xlock_nfs4_deleg_set(filp, arg, dp);
	else if (arg == F_UNLCK && priv && *priv && from_nfsd(caller))
		xlock_nfs4_deleg_unset(filp, *priv);
out:
	xlock_hook_exit(&nfsd4_hs);
	return ret;
}

/*
 * nfsd stops serving @net: the delegations it drops now were not
 * returned by their clients, who reclaim them once nfsd is back (V8).
 */
static void wrap_nfs4_state_shutdown_net(struct net *net)
{
	xlock_hook_enter(&nfsd4_hs, &nfsd4_hooks[H_SHUTDOWN]);
	xlock_teardown_begin(XLOCK_PROTO_NFS4);
	call_nfs4_state_shutdown_net(net);
	xlock_teardown_end(XLOCK_PROTO_NFS4);
	xlock_hook_exit(&nfsd4_hs);
}

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

/*
 * V6 the other way round: the deny mode of an NFSv4 OPEN, as its
 * reservation @resv (linked to @d's file) holds it, against SMB opens that
 * deny nothing; true if one holds an access it denies. SMB opens with a
 * share mode are in the table, where the OPEN's decision met them.
 */
bool xlock_nfs4_open_smb_denied(struct dentry *d, const struct xlock_entry *resv)
{
	u8 deny = ~resv->r.state & (XLOCK_SHARE_READ | XLOCK_SHARE_WRITE);
	struct inode *inode = d_inode(d);

	if (!smb_open_denied(d, deny))
		return false;
	pr_info_ratelimited("NFSv4 OPEN denying %s%s on dev=%u:%u ino=%lu refused: an SMB client has it open for that\n",
			    deny & XLOCK_SHARE_READ ? "r" : "", deny & XLOCK_SHARE_WRITE ? "w" : "",
			    MAJOR(inode->i_sb->s_dev), MINOR(inode->i_sb->s_dev), inode->i_ino);
	return true;
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
	xlock_nfs4_state_attach(e);
	xlock_nfs4_grace_attach(e);
	return ret;
}

void xlock_nfsd4_detach(void)
{
	xlock_nfs4_state_detach();
	xlock_nfs4_grace_detach();
	if (nfsd4_on)
		xlock_hookset_detach(&nfsd4_hs);
	nfsd4_on = false;
}
