// SPDX-License-Identifier: GPL-2.0
/*
 * The ksmbd edge. What SMB clients hold goes into the table as they get
 * it: leases and oplocks when ksmbd grants them (after C1/C3 cut the
 * request down to what NLM locks allow), share modes when an open is
 * checked (refused with STATUS_SHARING_VIOLATION when NLM locks or NFSv4
 * deny modes conflict, C13, V6), byte-range locks after each SMB2 LOCK,
 * and all of it gone at close.
 * ksmbd's structures are private: see ksmbd_obj.h.
 */
#include <linux/delay.h>
#include <linux/filelock.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/unaligned.h>

#include "arbiter.h"
#include "edge.h"
#include "generated/btf.h"
#include "edge_ksmbd.h"
#include "grace.h"
#include "ksmbd_obj.h"
#include "edge_nfsd4.h"
#include "nfsd4_grace.h"
#include "nfsd4_state.h"
#include "ksym.h"
#include "nlm_pending.h"
#include "smb_break.h"
#include "smb_deleg.h"
#include "stats.h"
#include "table.h"
#include "teardown.h"
#include "vfs_sync.h"
#include "xlock_trace.h"

enum { H_GRANT, H_LOCK, H_CLOSE, H_BREAK_ACK, H_SHARE, H_TRANSPORT_DOWN, H_BREAK_ALL, H_BREAK_II };

/* SMB2 header and the fields of an SMB2 LOCK request (MS-SMB2 2.2.26). */
#define SMB2_HDR_LEN		64
#define SMB2_HDR_STATUS		8
#define SMB2_LOCK_COUNT		(SMB2_HDR_LEN + 2)
#define SMB2_LOCK_PERSISTENT	(SMB2_HDR_LEN + 8)
#define SMB2_LOCK_VOLATILE	(SMB2_HDR_LEN + 16)
#define SMB2_LOCK_ELEMENTS	(SMB2_HDR_LEN + 24)
#define SMB2_LOCK_ELEMENT_LEN	24
#define SMB2_LOCKFLAG_SHARED	0x1
#define SMB2_LOCKFLAG_UNLOCK	0x4
#define STATUS_FILE_NOT_AVAILABLE	0xC0000467
#define STATUS_INSUFFICIENT_RESOURCES	0xC000009A
#define RFC1002_LEN		4

static XLOCK_STUB int call_smb_grant_oplock(struct ksmbd_work *work, int req_op_level,
					    u64 pid, struct ksmbd_file *fp, __u16 tid,
					    struct lease_ctx_info *lctx, int share_ret)
{
	xlock_call_unreachable(__func__);
	return -EIO;
}

static XLOCK_STUB int call_smb2_lock(struct ksmbd_work *work)
{
	xlock_call_unreachable(__func__);
	return -EIO;
}

static XLOCK_STUB void call_close_id_del_oplock(struct ksmbd_file *fp)
{
	xlock_call_unreachable(__func__);
}

static XLOCK_STUB int call_smb2_oplock_break(struct ksmbd_work *work)
{
	xlock_call_unreachable(__func__);
	return -EIO;
}

static XLOCK_STUB void call_smb_break_all_oplock(struct ksmbd_work *work, struct ksmbd_file *fp)
{
	xlock_call_unreachable(__func__);
}

static XLOCK_STUB void call_smb_break_levii(struct ksmbd_work *work, struct ksmbd_file *fp,
					    int is_trunc)
{
	xlock_call_unreachable(__func__);
}

static XLOCK_STUB int call_check_shared_mode(struct file *filp, struct ksmbd_file *fp)
{
	xlock_call_unreachable(__func__);
	return -EIO;
}

static XLOCK_STUB struct ksmbd_file *call_lookup_fd_slow(struct ksmbd_work *work, u64 id,
							 u64 pid)
{
	xlock_call_unreachable(__func__);
	return NULL;
}

static XLOCK_STUB void call_fd_put(struct ksmbd_work *work, struct ksmbd_file *fp)
{
	xlock_call_unreachable(__func__);
}

static XLOCK_STUB void call_smb2_set_err_rsp(struct ksmbd_work *work)
{
	xlock_call_unreachable(__func__);
}

static XLOCK_STUB void call_ksmbd_conn_transport_destroy(void)
{
	xlock_call_unreachable(__func__);
}

static XLOCK_STUB struct oplock_info *call_lookup_lease_in_table(struct ksmbd_conn *conn,
								 char *lease_key)
{
	xlock_call_unreachable(__func__);
	return NULL;
}

static XLOCK_STUB struct ksmbd_file *call_lookup_global_fd(unsigned long long id)
{
	xlock_call_unreachable(__func__);
	return NULL;
}

static struct xlock_hook ksmbd_hooks[];
#define HS (&xlock_edge_ksmbd.hs)

static bool is_regular(struct file *filp)
{
	return filp && S_ISREG(file_inode(filp)->i_mode);
}

static void guid_hex(struct ksmbd_conn *conn, char *id, size_t len)
{
	snprintf(id, len, "%16phN", ks_conn_guid(conn));
}

/* The client behind a ksmbd connection: its GUID, shown by its address. */
static struct xlock_client *smb_client(struct ksmbd_conn *conn)
{
	char id[XLOCK_NAME_MAX - 1], addr[48];

	guid_hex(conn, id, sizeof(id));
	xlock_addr_str(ks_conn_addr(conn), addr, sizeof(addr));
	return xlock_client_get(XLOCK_PROTO_SMB, id, addr, ks_conn_guid(conn));
}

static struct xlock_file *smb_file(struct file *filp, bool create)
{
	struct xlock_file *f = xlock_file_get(&filp->f_path, create);

	if (IS_ERR_OR_NULL(f))
		return NULL;
	xlock_file_set_smb_dentry(f, filp->f_path.dentry);
	return f;
}

static int oplock_of_state(u8 state)
{
	switch (xlock_rules_state_oplock(state)) {
	case XLOCK_OPLOCK_BATCH:
		return KS_OPLOCK_BATCH;
	case XLOCK_OPLOCK_EXCL:
		return KS_OPLOCK_EXCL;
	case XLOCK_OPLOCK_II:
		return KS_OPLOCK_II;
	}
	return KS_OPLOCK_NONE;
}

static void entry_init(struct xlock_entry_init *init, struct ksmbd_file *fp, u8 kind,
		       u8 mode, u8 state, const u8 *lease_key)
{
	*init = (struct xlock_entry_init){
		.proto = XLOCK_PROTO_SMB, .kind = kind, .mode = mode, .state = state,
		.end = XLOCK_END_MAX,
	};
	init->owner.smb.fp = (u64)(unsigned long)fp;
	if (lease_key)
		memcpy(init->owner.smb.lease_key, lease_key, sizeof(init->owner.smb.lease_key));
}

/* Leases are recorded as granted (their limit applied at the decision). */
static void record(struct xlock_file *f, struct ksmbd_file *fp, u8 kind, u8 mode, u8 state,
		   const u8 *lease_key)
{
	struct xlock_client *c = smb_client(ks_fp_conn(fp));
	struct xlock_entry_init init;
	const char *why;
	u32 id;

	if (IS_ERR(c))
		return;
	entry_init(&init, fp, kind, mode, state, lease_key);
	if (kind == XLOCK_KIND_LEASE)
		xlock_entry_mirror(f, c, &init);
	else if (xlock_entry_add(f, c, &init, &id, &why))
		pr_info_ratelimited("SMB share mode not recorded: %s\n", why);
	xlock_client_put(c);
}

/*
 * Issue 10 c: a lease or share mode as decided, held in the table until
 * ksmbd granted it and it is recorded. NULL if out of memory.
 */
static struct xlock_entry *smb_resv(struct ksmbd_file *fp, u8 kind, u8 mode, u8 state,
				    const u8 *lease_key)
{
	struct xlock_client *c = smb_client(ks_fp_conn(fp));
	struct xlock_entry_init init;
	struct xlock_entry *e;

	if (IS_ERR(c))
		return NULL;
	entry_init(&init, fp, kind, mode, state, lease_key);
	e = xlock_resv_new(c, &init);
	xlock_client_put(c);
	return e;
}

/* What an SMB open asks, as a C13 request: its access and share mode. */
static void open_req(struct ksmbd_file *fp, struct xlock_rule_req *req)
{
	u32 daccess = ks_fp_daccess(fp);

	memset(req, 0, sizeof(*req));
	req->op = XLOCK_OP_SMB_OPEN;
	if (daccess & (KS_FILE_READ_DATA | KS_FILE_EXECUTE))
		req->mode |= XLOCK_SHARE_READ;
	if (daccess & (KS_FILE_WRITE_DATA | KS_FILE_APPEND_DATA))
		req->mode |= XLOCK_SHARE_WRITE;
	if (daccess & KS_FILE_DELETE)
		req->mode |= XLOCK_SHARE_DELETE;
	req->state = ks_fp_saccess(fp) & XLOCK_SHARE_ALL;
}

/*
 * C13, V6: an SMB open NLM locks or NFSv4 deny modes conflict with is
 * refused. A share mode is decided and reserved in one step (issue 10 c),
 * and nfsd's NFSv4 opens are read after that: an NFSv4 OPEN decided
 * meanwhile was reserved in the table until nfsd held it, so one of the
 * two sees the other (V5 or V6).
 */
static int wrap_check_shared_mode(struct file *filp, struct ksmbd_file *fp)
{
	struct xlock_entry *resv = NULL;
	struct xlock_rule_req req;
	struct xlock_file *f;
	bool denies;	/* a share mode that denies something is recorded */
	int ret, arb;

	xlock_hook_enter(HS, &ksmbd_hooks[H_SHARE]);
	ret = call_check_shared_mode(filp, fp);
	if (ret || !is_regular(filp))
		goto out;
	open_req(fp, &req);
	denies = req.state != XLOCK_SHARE_ALL;
	f = smb_file(filp, denies);
	if (f && denies)
		resv = smb_resv(fp, XLOCK_KIND_SHARE, req.mode, req.state, NULL);
	arb = f ? xlock_arbitrate_resv(f, &req, 0, "smb", NULL, resv) : XLOCK_ARB_GO;
	if (arb == XLOCK_ARB_DENY || arb == XLOCK_ARB_SHARING ||
	    xlock_nfs4_open_refused(file_inode(filp), &req, false)) {	/* V6 */
		ret = -EPERM;	/* ksmbd answers STATUS_SHARING_VIOLATION */
		goto drop;
	}
	if (resv)
		xlock_race_window(XLOCK_RACE_SHARE);
	/*
	 * Past a table limit (NOSPACE) the open goes on as before this
	 * reservation existed: ksmbd would not heed a refusal when no other
	 * open holds an oplock; record() logs the share mode unrecorded.
	 */
	if (f && denies)
		record(f, fp, XLOCK_KIND_SHARE, req.mode, req.state, NULL);
drop:
	xlock_resv_drop(resv);	/* after record: the share mode is in the table by now */
	if (f)
		xlock_file_put(f);
out:
	xlock_hook_exit(HS);
	return ret;
}

/*
 * ksmbd heeds a share-mode refusal only when other opens of the file hold
 * oplocks; one that NLM locks cause (above) must fail the open regardless.
 */
static bool open_refused(struct file *filp, struct ksmbd_file *fp)
{
	struct xlock_rule_req req;
	struct xlock_verdict v;
	struct xlock_file *f;

	if (!is_regular(filp))
		return false;
	open_req(fp, &req);
	if (xlock_nfs4_open_refused(file_inode(filp), &req, true))	/* V6 */
		return true;
	f = smb_file(filp, false);
	if (!f)
		return false;
	trace_xlock_request(&f->key, &req, "smb");
	xlock_file_decide(f, &req, &v, NULL);
	xlock_file_put(f);
	return v.kind == XLOCK_V_DENY;
}

static void file_key(struct file *filp, struct xlock_fkey *key)
{
	key->dev = file_inode(filp)->i_sb->s_dev;
	key->ino = file_inode(filp)->i_ino;
}

/*
 * In grace: a lease with the key of a persisted one is its reclaim; any
 * other lease is granted without what entries not yet reclaimed exclude,
 * and without W and H while nfsd's NFSv4 clients may still reclaim (V8).
 */
static u8 grace_lease(struct file *filp, struct ksmbd_file *fp, struct lease_ctx_info *lctx,
		      u8 want, bool nfs4_grace)
{
	struct xlock_rule_req req = { .op = XLOCK_OP_SMB_LEASE, .state = want };
	struct xlock_reclaim_desc d = { .proto = XLOCK_PROTO_SMB, .kind = XLOCK_KIND_LEASE };
	struct xlock_verdict v;
	struct xlock_fkey key;

	file_key(filp, &key);
	guid_hex(ks_fp_conn(fp), d.client, sizeof(d.client));
	if (lctx) {
		memcpy(d.lease_key, KS_AT(lctx, lease_ctx_info, lease_key, u8),
		       sizeof(d.lease_key));
		/* A reclaim gets back at most what was persisted (h). */
		if (!xlock_reclaim_match(&key, &d))
			return want & d.state;
	}
	xlock_grace_decide(&key, &req, d.client, &v);
	if (v.kind == XLOCK_V_REDUCED)
		want = v.state;
	return nfs4_grace ? want & XLOCK_LEASE_R : want;
}

/*
 * In grace: each lock of an SMB2 LOCK request is a reclaim (same client,
 * file, range and type as a persisted lock) or must not touch what is not
 * reclaimed yet; while nfsd's NFSv4 clients may still reclaim (V8), what
 * they will reclaim is unknown: no lock but a reclaim. Returns true if
 * the request is refused.
 */
static bool grace_refuses_lock(struct ksmbd_work *work, const char *req, struct ksmbd_file *fp,
			       bool nfs4_grace)
{
	struct xlock_reclaim_desc d = { .proto = XLOCK_PROTO_SMB, .kind = XLOCK_KIND_LOCK };
	struct file *filp = ks_fp_filp(fp);
	struct xlock_verdict v;
	struct xlock_fkey key;
	u16 count, i;

	if (!is_regular(filp))
		return false;
	file_key(filp, &key);
	guid_hex(ks_fp_conn(fp), d.client, sizeof(d.client));
	count = get_unaligned_le16(req + SMB2_LOCK_COUNT);
	for (i = 0; i < min_t(u16, count, 1024); i++) {
		const char *el = req + SMB2_LOCK_ELEMENTS + i * SMB2_LOCK_ELEMENT_LEN;
		u64 off = get_unaligned_le64(el), len = get_unaligned_le64(el + 8);
		u32 flags = get_unaligned_le32(el + 16);
		struct xlock_rule_req r = { .op = XLOCK_OP_SMB_LOCK };

		if ((flags & SMB2_LOCKFLAG_UNLOCK) || !len)
			continue;
		d.mode = flags & SMB2_LOCKFLAG_SHARED ? XLOCK_MODE_SHARED : XLOCK_MODE_EXCL;
		d.start = off;
		d.end = off + len - 1 < off ? XLOCK_END_MAX : off + len - 1;
		if (!xlock_reclaim_match(&key, &d))
			continue;
		if (nfs4_grace) {
			xlock_conflict_note(NULL,
					    "SMB lock of dev=%u:%u ino=%llu held back: nfsd's NFSv4 clients may still reclaim (grace): STATUS_FILE_NOT_AVAILABLE",
					    MAJOR((dev_t)key.dev), MINOR((dev_t)key.dev), key.ino);
			return true;
		}
		r.mode = d.mode;
		r.start = d.start;
		r.end = d.end;
		xlock_grace_decide(&key, &r, d.client, &v);
		if (v.kind == XLOCK_V_DENY)
			return true;
	}
	return false;
}

/*
 * Does ksmbd hold other opens of @fp's file (each has an opinfo, none or
 * not)? Counted by ksmbd before this open's opinfo is added.
 */
static bool others_open(struct ksmbd_file *fp)
{
	struct ksmbd_inode *ci = *KS_AT(fp, ksmbd_file, f_ci, struct ksmbd_inode *);

	return ci && atomic_read(KS_AT(ci, ksmbd_inode, op_count, atomic_t)) > 0;
}

/*
 * ksmbd changed leases of @fp's file on its own: a break that needs no ack
 * (R to none, by another open's write, lock or truncation) or whose ack
 * never came (ksmbd's own 35 s) leaves no ack to follow. The table takes
 * every lease of the file as ksmbd holds it now (I3).
 */
static void leases_sync(struct ksmbd_file *fp)
{
	struct ksmbd_inode *ci = *KS_AT(fp, ksmbd_file, f_ci, struct ksmbd_inode *);
	struct file *filp = ks_fp_filp(fp);
	struct oplock_info *op;
	struct list_head *pos;
	struct xlock_file *f;

	if (!ci || !is_regular(filp))
		return;
	f = smb_file(filp, false);
	if (!f)
		return;
	down_read(ks_ci_lock(ci));
	list_for_each(pos, ks_ci_ops(ci)) {
		op = ks_op_of_entry(pos);
		xlock_lease_sync(f, NULL, (u64)(unsigned long)ks_op_fp(op), NULL,
				 ks_op_lease_state(op));
	}
	up_read(ks_ci_lock(ci));
	xlock_file_put(f);
}

/*
 * C1, C3 (V2): cut the requested lease (or oplock) down to what the NLM (and NFSv4) locks
 * on the file allow, by rewriting ksmbd's request before it decides; then
 * record what it granted.
 */
static int wrap_smb_grant_oplock(struct ksmbd_work *work, int req_op_level, u64 pid,
				 struct ksmbd_file *fp, __u16 tid,
				 struct lease_ctx_info *lctx, int share_ret)
{
	struct file *filp = ks_fp_filp(fp);
	struct xlock_entry *resv = NULL;
	struct xlock_file *f = NULL;
	struct oplock_info *op;
	u8 want, got, state = 0;
	u8 key[16];
	int ret;

	xlock_hook_enter(HS, &ksmbd_hooks[H_GRANT]);
	if (share_ret == -EPERM && open_refused(filp, fp)) {
		ret = -EPERM;
		goto out;
	}
	/*
	 * Stock ksmbd looks only at the newest open's oplock: after an open
	 * with none it grants W beside other opens without breaking them
	 * (findings.md), and those clients then cache writes and locks
	 * against each other (I4). As when ksmbd breaks the newest open
	 * first: W only for a sole open.
	 */
	if (lctx && is_regular(filp) && others_open(fp)) {
		want = le32_to_cpu(*ks_lctx_req_state(lctx)) & XLOCK_LEASE_ALL;
		if (want & XLOCK_LEASE_W) {
			/* ksmbd derived the level from the state: both change. */
			*ks_lctx_req_state(lctx) = cpu_to_le32(want & ~XLOCK_LEASE_W);
			req_op_level = oplock_of_state(want & ~XLOCK_LEASE_W);
		}
	}
	/* A lease request creates the file: its decision is reserved on it. */
	if (is_regular(filp))
		f = smb_file(filp, req_op_level != KS_OPLOCK_NONE);
	if (req_op_level != KS_OPLOCK_NONE && is_regular(filp)) {
		bool nfs4_grace = xlock_nfs4_in_grace();

		if (xlock_grace_active() || nfs4_grace) {
			want = lctx ? le32_to_cpu(*ks_lctx_req_state(lctx)) & XLOCK_LEASE_ALL :
				      xlock_rules_oplock_state(req_op_level);
			got = grace_lease(filp, fp, lctx, want, nfs4_grace);
			if (got != want) {
				if (lctx)
					*ks_lctx_req_state(lctx) = cpu_to_le32(got);
				req_op_level = oplock_of_state(got);
			}
		}
	}
	if (f && req_op_level != KS_OPLOCK_NONE) {
		want = lctx ? le32_to_cpu(*ks_lctx_req_state(lctx)) & XLOCK_LEASE_ALL :
			      xlock_rules_oplock_state(req_op_level);
		resv = smb_resv(fp, XLOCK_KIND_LEASE, 0, 0,
				lctx ? KS_AT(lctx, lease_ctx_info, lease_key, u8) : NULL);
		got = resv && want ? xlock_arbitrate_lease(f, want, "smb", resv) : 0;
		/*
		 * nfsd's NFSv4 locks and opens are read after the decision is
		 * reserved: one nfsd sets meanwhile was reserved in the table
		 * until set, so one of the two sees the other. The reservation
		 * may claim more than is granted until it goes: NFS waits.
		 */
		got = xlock_nfs4_lease_cap(f, file_inode(filp), got);	/* V2, I1 */
		if (got != want) {
			if (lctx)
				*ks_lctx_req_state(lctx) = cpu_to_le32(got);
			req_op_level = oplock_of_state(got);
		}
		xlock_race_window(XLOCK_RACE_LEASE);
	}
	ret = call_smb_grant_oplock(work, req_op_level, pid, fp, tid, lctx, share_ret);
	if (!ret && is_regular(filp)) {
		rcu_read_lock();
		op = ks_fp_opinfo(fp);
		if (op) {
			state = ks_op_lease_state(op);
			if (ks_op_is_lease(op))
				memcpy(key, ks_lease_key(ks_op_lease(op)), sizeof(key));
		}
		rcu_read_unlock();
		if (state && !f)
			f = smb_file(filp, true);
		if (state && f)
			record(f, fp, XLOCK_KIND_LEASE, 0, state, op && lctx ? key : NULL);
		/* Other opens' leases ksmbd broke for this one without an ack. */
		leases_sync(fp);
	}
	xlock_resv_drop(resv);	/* after record: the lease is in the table by now */
	if (f)
		xlock_file_put(f);
out:
	xlock_hook_exit(HS);
	return ret;
}

/*
 * How many locks (not unlocks) the SMB2 LOCK at @off of @buf asks for, and
 * the window [@ws, @we] its elements can change (vfs_sync.c); only
 * elements inside the received message are read.
 */
static unsigned int lock_scan(const char *buf, int off, u64 *ws, u64 *we)
{
	u32 len = get_unaligned_be32(buf) & 0xffffff;	/* RFC1002 length */
	const char *req = buf + RFC1002_LEN + off;
	unsigned int n = 0, i, count;
	u64 lo = XLOCK_END_MAX, hi = 0;

	*ws = 0;
	*we = XLOCK_END_MAX;
	if (off < 0 || (u32)off + SMB2_LOCK_ELEMENTS > len)
		return 0;
	count = get_unaligned_le16(req + SMB2_LOCK_COUNT);
	for (i = 0; i < count; i++) {
		const char *el = req + SMB2_LOCK_ELEMENTS + i * SMB2_LOCK_ELEMENT_LEN;
		u64 start = get_unaligned_le64(el), length = get_unaligned_le64(el + 8);
		u64 end = length ? start + length - 1 : start;

		if ((u32)off + SMB2_LOCK_ELEMENTS + (i + 1) * SMB2_LOCK_ELEMENT_LEN > len)
			break;
		if (end < start)
			end = XLOCK_END_MAX;
		lo = min(lo, start);
		hi = max(hi, end);
		if (!(get_unaligned_le32(el + 16) & SMB2_LOCKFLAG_UNLOCK))
			n++;
	}
	if (i && i == count) {
		*ws = lo ? lo - 1 : 0;
		*we = hi == XLOCK_END_MAX ? hi : hi + 1;
	}
	return n;
}

/*
 * Issue 10 f: room in the table for the locks of this request, held until
 * they are recorded; past a limit the request is refused before the VFS
 * grants anything. Returns the slots held (0: none needed or no file).
 */
static int smb_lock_admit(const char *buf, int off, struct ksmbd_file *fp,
			  struct xlock_file **fpf, struct xlock_client **cp, u64 *ws, u64 *we)
{
	struct file *filp = ks_fp_filp(fp);
	unsigned int n = lock_scan(buf, off, ws, we);
	const char *why;

	*fpf = NULL;
	*cp = NULL;
	if (!n || !is_regular(filp))
		return 0;
	*fpf = smb_file(filp, true);
	*cp = smb_client(ks_fp_conn(fp));
	if (!*fpf || IS_ERR(*cp)) {
		if (*fpf)
			xlock_file_put(*fpf);
		if (!IS_ERR(*cp))
			xlock_client_put(*cp);
		*fpf = NULL;
		*cp = NULL;
		return 0;
	}
	if (!xlock_admit(*fpf, *cp, n, &why))
		return n;
	xlock_conflict_note(xlock_file_path(*fpf),
			    "SMB lock (%s) refused: %s", (*cp)->display, why);
	xlock_file_put(*fpf);
	xlock_client_put(*cp);
	*fpf = NULL;
	*cp = NULL;
	return -ENOSPC;
}

static void smb_lock_admit_done(struct xlock_file *f, struct xlock_client *c, int n)
{
	if (n <= 0)
		return;
	xlock_admit_done(f, c, n);
	xlock_file_put(f);
	xlock_client_put(c);
}

/* Answer an SMB2 LOCK with @status without running it. */
static void smb_lock_refuse(struct ksmbd_work *work, int off, u32 status)
{
	char *rsp = *KS_AT(work, ksmbd_work, response_buf, char *);
	int roff = off ? *KS_AT(work, ksmbd_work, next_smb2_rsp_hdr_off, int) : 0;

	put_unaligned_le32(status, rsp + RFC1002_LEN + roff + SMB2_HDR_STATUS);
	call_smb2_set_err_rsp(work);
}

/*
 * SMB2 LOCK requests inside ksmbd, so inside our wrapper: a blocking one
 * waits in ksmbd for as long as the conflicting lock stays. Unload cannot
 * wait for that (d): xlock_ksmbd_unblock_locks() cancels them as ksmbd
 * cancels one on a client's SMB2 CANCEL (STATUS_CANCELLED; the client may
 * ask again, and then meets ksmbd alone).
 */
struct lock_work {
	struct list_head node;
	struct ksmbd_work *work;
	struct ksmbd_file *fp;		/* its open, referenced by the wrapper */
	u64 ws, we;			/* the window its elements can change */
};

static LIST_HEAD(lock_works);
static DEFINE_SPINLOCK(lock_works_lock);	/* lock_works */

static void cancel_blocked_locks(void)
{
	struct lock_work *lw;

	spin_lock(&lock_works_lock);
	list_for_each_entry(lw, &lock_works, node) {
		struct ksmbd_conn *conn = *KS_AT(lw->work, ksmbd_work, conn, struct ksmbd_conn *);
		spinlock_t *request_lock = KS_AT(conn, ksmbd_conn, request_lock, spinlock_t);
		struct list_head *async = KS_AT(lw->work, ksmbd_work, async_request_entry,
						struct list_head);
		u8 *state = KS_AT(lw->work, ksmbd_work, state, u8);
		void **argv;

		/* As smb2_cancel(): only a deferred (async-listed) ACTIVE work. */
		spin_lock(request_lock);
		argv = *KS_AT(lw->work, ksmbd_work, cancel_argv, void **);
		if (!list_empty(async) &&
		    *state == XLOCK_BTF_KSMBD_WORK_ACTIVE && argv && argv[0]) {
			struct file_lock *flock = argv[0];

			*state = XLOCK_BTF_KSMBD_WORK_CANCELLED;
			locks_delete_block(flock);
			locks_wake_up(flock);
		}
		spin_unlock(request_lock);
	}
	spin_unlock(&lock_works_lock);
}

/*
 * The ksmbd edge's hooks are off: let the wrappers still running return
 * (SMB locks blocked inside them would hold the unload forever).
 */
static void ksmbd_unhooked(struct xlock_edge *e)
{
	atomic_t *active = &xlock_edge_ksmbd.hs.active;

	while (atomic_read(active)) {
		cancel_blocked_locks();
		wait_var_event_timeout(active, !atomic_read(active), HZ / 5);
	}
}

/*
 * For tests only: a table that learns of an SMB lock or unlock late, so
 * that an NLM request meets the VFS and the table disagreeing.
 */
static unsigned int smb_lock_sync_delay_ms;
module_param(smb_lock_sync_delay_ms, uint, 0644);
MODULE_PARM_DESC(smb_lock_sync_delay_ms,
		 "Testing: sleep this long before an SMB2 LOCK's table update (0: off)");

/* Mirror open @fp's byte-range locks in [@ws, @we] into the table. */
static void locks_sync(struct ksmbd_file *fp, u64 ws, u64 we)
{
	unsigned int delay_ms = READ_ONCE(smb_lock_sync_delay_ms);
	struct file *filp = ks_fp_filp(fp);
	struct xlock_client *c;
	struct xlock_file *f;

	if (!is_regular(filp))
		return;
	if (unlikely(delay_ms))
		msleep(min(delay_ms, 5000U));
	f = smb_file(filp, true);
	c = smb_client(ks_fp_conn(fp));
	if (f && !IS_ERR(c))
		xlock_sync_range(f, file_inode(filp), XLOCK_PROTO_SMB, filp,
				 (u64)(unsigned long)fp, c, ws, we);
	if (!IS_ERR(c))
		xlock_client_put(c);
	if (f) {
		/* An unlock may free a range an NLM client waits for. */
		xlock_nlm_pending_kick(f);
		xlock_file_put(f);
	}
}

/* After an SMB2 LOCK: mirror that open's byte-range locks into the table. */
static int wrap_smb2_lock(struct ksmbd_work *work)
{
	struct lock_work lw;
	char *buf = *KS_AT(work, ksmbd_work, request_buf, char *);
	int off = *KS_AT(work, ksmbd_work, next_smb2_rcv_hdr_off, int);
	struct ksmbd_file *fp = NULL;
	struct xlock_client *ac = NULL;
	struct xlock_file *af = NULL;
	u64 pid, vid, ws = 0, we = XLOCK_END_MAX;
	int ret, slots = 0;
	bool nfs4_grace;

	xlock_hook_enter(HS, &ksmbd_hooks[H_LOCK]);
	if (buf) {
		memcpy(&pid, buf + RFC1002_LEN + off + SMB2_LOCK_PERSISTENT, sizeof(pid));
		memcpy(&vid, buf + RFC1002_LEN + off + SMB2_LOCK_VOLATILE, sizeof(vid));
		fp = call_lookup_fd_slow(work, vid, pid);
	}
	nfs4_grace = fp && xlock_nfs4_in_grace();
	if (fp && (xlock_grace_active() || nfs4_grace) &&
	    grace_refuses_lock(work, buf + RFC1002_LEN + off, fp, nfs4_grace)) {
		/* MS-SMB2's "try again": what a failover server answers. */
		smb_lock_refuse(work, off, STATUS_FILE_NOT_AVAILABLE);
		call_fd_put(work, fp);
		ret = -EAGAIN;
		goto out;
	}
	if (fp)
		slots = smb_lock_admit(buf, off, fp, &af, &ac, &ws, &we);
	if (slots < 0) {
		smb_lock_refuse(work, off, STATUS_INSUFFICIENT_RESOURCES);
		call_fd_put(work, fp);
		ret = -ENOSPC;
		goto out;
	}
	lw.work = work;
	lw.fp = fp;
	lw.ws = ws;
	lw.we = we;
	spin_lock(&lock_works_lock);
	list_add(&lw.node, &lock_works);
	spin_unlock(&lock_works_lock);
	ret = call_smb2_lock(work);
	spin_lock(&lock_works_lock);
	list_del(&lw.node);
	spin_unlock(&lock_works_lock);
	if (!fp)
		goto out;
	locks_sync(fp, ws, we);
	smb_lock_admit_done(af, ac, slots);	/* recorded by now */
	call_fd_put(work, fp);
out:
	xlock_hook_exit(HS);
	return ret;
}

/*
 * After an SMB2 LOCK's locks and unlocks, ksmbd breaks the other opens'
 * leases and waits for their acks (up to its 35 s) before it answers:
 * the table takes that request's locks first, or it would list a lock the
 * VFS already gave to others for that long (the torture run's I2 samples).
 */
static void wrap_smb_break_all_oplock(struct ksmbd_work *work, struct ksmbd_file *fp)
{
	struct lock_work *lw;
	bool locking = false;
	u64 ws = 0, we = 0;

	xlock_hook_enter(HS, &ksmbd_hooks[H_BREAK_ALL]);
	spin_lock(&lock_works_lock);
	list_for_each_entry(lw, &lock_works, node) {
		if (lw->work == work && lw->fp == fp) {
			locking = true;
			ws = lw->ws;
			we = lw->we;
			break;
		}
	}
	spin_unlock(&lock_works_lock);
	if (locking)
		locks_sync(fp, ws, we);
	call_smb_break_all_oplock(work, fp);
	xlock_hook_exit(HS);
}

/* ksmbd breaks R leases for a write, lock or truncation: follow it. */
static void wrap_smb_break_levii(struct ksmbd_work *work, struct ksmbd_file *fp, int is_trunc)
{
	xlock_hook_enter(HS, &ksmbd_hooks[H_BREAK_II]);
	call_smb_break_levii(work, fp, is_trunc);
	leases_sync(fp);
	xlock_hook_exit(HS);
}

/*
 * At close: everything that open held leaves the table. ksmbd runs this
 * only for the final close of an open (never for a durable handle kept
 * for reconnect), then fput()s the file; from a ksmbd kworker that fput
 * is deferred, so the open's byte-range locks (owner: its struct file)
 * would outlive the CLOSE and refuse the client's next lock (a CLOSE
 * releases them, MS-SMB2). Drop them now, as filp_close() does, before
 * the table forgets them.
 */
static void wrap_close_id_del_oplock(struct ksmbd_file *fp)
{
	struct xlock_match m = { .smb_fp = (u64)(unsigned long)fp, .real = true };
	struct file *filp = ks_fp_filp(fp);
	struct xlock_file *f = NULL;

	xlock_hook_enter(HS, &ksmbd_hooks[H_CLOSE]);
	if (!IS_ERR_OR_NULL(filp)) {
		locks_remove_posix(filp, filp);
		f = xlock_file_get(&filp->f_path, false);
	}
	if (!IS_ERR_OR_NULL(f))
		xlock_file_del_matching(f, &m);
	call_close_id_del_oplock(fp);
	if (!IS_ERR_OR_NULL(f)) {
		xlock_nlm_pending_kick(f);
		xlock_file_put(f);
	}
	xlock_hook_exit(HS);
}

/* SMB2 OPLOCK_BREAK acknowledgments (MS-SMB2 2.2.24.1, 2.2.24.2). */
#define SMB2_ACK_SIZE		SMB2_HDR_LEN
#define SMB2_ACK_PERSISTENT	(SMB2_HDR_LEN + 8)
#define SMB2_ACK_VOLATILE	(SMB2_HDR_LEN + 16)
#define SMB2_ACK_LEASE_KEY	(SMB2_HDR_LEN + 8)
#define SMB2_ACK_OPLOCK_LEN	24
#define SMB2_ACK_LEASE_LEN	36

/*
 * What an ack acknowledges: a lease (its opinfo) or an oplock (its open,
 * by its ids), and where the table keeps it.
 */
struct ack_target {
	struct oplock_info *op;		/* referenced; a lease's */
	struct xlock_file *f;		/* referenced */
	struct xlock_client *c;		/* referenced */
	u64 vid, pid;			/* an oplock's open */
	u64 cookie;			/* ... as the table knows it */
	u8 key[16];
};

/*
 * Looked up before ksmbd handles the ack: ksmbd finds a lease by its key
 * only while its break is pending. The open's reference is dropped before
 * ksmbd handles the ack: a CLOSE the client sends once ksmbd answered
 * must not find the open still held by us (its final close, which takes
 * the oplock off the file, would wait for our put, and the client's next
 * open would still meet it). Only bytes inside the message are read.
 */
static void ack_target(struct ksmbd_work *work, struct ack_target *t)
{
	char *buf = *KS_AT(work, ksmbd_work, request_buf, char *);
	int off = *KS_AT(work, ksmbd_work, next_smb2_rcv_hdr_off, int);
	struct ksmbd_conn *conn = *KS_AT(work, ksmbd_work, conn, struct ksmbd_conn *);
	struct ksmbd_file *fp = NULL;
	struct xlock_client *c;
	struct file *filp;
	u32 len;
	u16 size;

	memset(t, 0, sizeof(*t));
	if (!buf || !conn || off < 0)
		return;
	len = get_unaligned_be32(buf) & 0xffffff;	/* RFC1002 length */
	buf += RFC1002_LEN + off;
	if ((u32)off + SMB2_ACK_SIZE + 2 > len)
		return;
	size = get_unaligned_le16(buf + SMB2_ACK_SIZE);
	if ((u32)off + SMB2_HDR_LEN + size > len)
		return;
	if (size == SMB2_ACK_LEASE_LEN) {
		memcpy(t->key, buf + SMB2_ACK_LEASE_KEY, sizeof(t->key));
		t->op = call_lookup_lease_in_table(conn, (char *)t->key);
		/* By the opinfo's (persistent) id, as ksmbd's break does. */
		if (t->op)
			fp = call_lookup_global_fd(READ_ONCE(*KS_AT(t->op, oplock_info, fid,
								    u64)));
	} else if (size == SMB2_ACK_OPLOCK_LEN) {
		t->vid = get_unaligned_le64(buf + SMB2_ACK_VOLATILE);
		t->pid = get_unaligned_le64(buf + SMB2_ACK_PERSISTENT);
		fp = call_lookup_fd_slow(work, t->vid, t->pid);
		t->cookie = (u64)(unsigned long)fp;
	}
	if (!fp)
		return;
	filp = ks_fp_filp(fp);
	t->f = is_regular(filp) ? smb_file(filp, false) : NULL;
	if (t->f) {
		c = smb_client(ks_fp_conn(fp));
		if (IS_ERR(c)) {
			xlock_file_put(t->f);
			t->f = NULL;
		} else {
			t->c = c;
		}
	}
	call_fd_put(work, fp);
}

/*
 * After ksmbd handled the ack: the table takes the state ksmbd now holds
 * for that lease (all opens of the client with its key) or oplock (its
 * open, found again by its ids and held only to read its oplock).
 */
static void ack_sync(struct ksmbd_work *work, struct ack_target *t)
{
	struct oplock_info *op;
	struct ksmbd_file *fp;
	u8 state = 0;
	bool same;

	if (!t->f)
		goto out;
	if (t->op) {
		state = ks_op_lease_state(t->op);
	} else {
		fp = call_lookup_fd_slow(work, t->vid, t->pid);
		if (!fp)
			goto put;		/* closed meanwhile */
		same = (u64)(unsigned long)fp == t->cookie;
		if (same) {
			rcu_read_lock();
			op = ks_fp_opinfo(fp);
			if (op)
				state = ks_op_lease_state(op);
			rcu_read_unlock();
		}
		call_fd_put(work, fp);
		if (!same)
			goto put;
	}
	xlock_lease_sync(t->f, t->c, t->op ? 0 : t->cookie, t->op ? t->key : NULL, state);
put:
	xlock_client_put(t->c);
	xlock_file_put(t->f);
out:
	if (t->op)
		xlock_call_opinfo_put(t->op);
}

/*
 * ksmbd's own SMB-vs-SMB breaks (smb_grant_oplock breaking another
 * client's lease) are acked here; without following them the table would
 * keep, e.g., RWH where ksmbd now holds RH (I3).
 */
static int wrap_smb2_oplock_break(struct ksmbd_work *work)
{
	struct ack_target t;
	int ret;

	xlock_hook_enter(HS, &ksmbd_hooks[H_BREAK_ACK]);
	ack_target(work, &t);
	ret = call_smb2_oplock_break(work);
	ack_sync(work, &t);
	xlock_hook_exit(HS);
	return ret;
}

/*
 * ksmbd drops every connection (reset by ksmbd.control or after losing
 * ksmbd.mountd, or unloading): the opens closed now were not closed by
 * their clients; what they held is teardown, kept for reclaim.
 */
static void wrap_ksmbd_conn_transport_destroy(void)
{
	xlock_hook_enter(HS, &ksmbd_hooks[H_TRANSPORT_DOWN]);
	xlock_teardown_begin(XLOCK_PROTO_SMB);
	call_ksmbd_conn_transport_destroy();
	xlock_teardown_end(XLOCK_PROTO_SMB);
	xlock_hook_exit(HS);
}

static struct xlock_hook ksmbd_hooks[] = {
	[H_GRANT] = XLOCK_HOOK("ksmbd:smb_grant_oplock", wrap_smb_grant_oplock),
	[H_LOCK] = XLOCK_HOOK("ksmbd:smb2_lock", wrap_smb2_lock),
	[H_CLOSE] = XLOCK_HOOK("ksmbd:close_id_del_oplock", wrap_close_id_del_oplock),
	[H_BREAK_ACK] = XLOCK_HOOK("ksmbd:smb2_oplock_break", wrap_smb2_oplock_break),
	[H_SHARE] = XLOCK_HOOK("ksmbd:ksmbd_smb_check_shared_mode", wrap_check_shared_mode),
	[H_TRANSPORT_DOWN] = XLOCK_HOOK("ksmbd:ksmbd_conn_transport_destroy",
					wrap_ksmbd_conn_transport_destroy),
	[H_BREAK_ALL] = XLOCK_HOOK("ksmbd:smb_break_all_oplock", wrap_smb_break_all_oplock),
	[H_BREAK_II] = XLOCK_HOOK("ksmbd:smb_break_all_levII_oplock", wrap_smb_break_levii),
};

static struct xlock_call ksmbd_calls[] = {
	XLOCK_CALL(call_smb_grant_oplock, "ksmbd:smb_grant_oplock"),
	XLOCK_CALL(call_smb2_lock, "ksmbd:smb2_lock"),
	XLOCK_CALL(call_close_id_del_oplock, "ksmbd:close_id_del_oplock"),
	XLOCK_CALL(call_smb2_oplock_break, "ksmbd:smb2_oplock_break"),
	XLOCK_CALL(call_check_shared_mode, "ksmbd:ksmbd_smb_check_shared_mode"),
	XLOCK_CALL(call_smb_break_all_oplock, "ksmbd:smb_break_all_oplock"),
	XLOCK_CALL(call_smb_break_levii, "ksmbd:smb_break_all_levII_oplock"),
	XLOCK_CALL(call_lookup_fd_slow, "ksmbd:ksmbd_lookup_fd_slow"),
	XLOCK_CALL(call_fd_put, "ksmbd:ksmbd_fd_put"),
	XLOCK_CALL(call_smb2_set_err_rsp, "ksmbd:smb2_set_err_rsp"),
	XLOCK_CALL(call_ksmbd_conn_transport_destroy, "ksmbd:ksmbd_conn_transport_destroy"),
	XLOCK_CALL(call_lookup_lease_in_table, "ksmbd:lookup_lease_in_table"),
	XLOCK_CALL(call_lookup_global_fd, "ksmbd:ksmbd_lookup_global_fd"),
	XLOCK_CALL(xlock_call_oplock_break, "ksmbd:oplock_break"),
	XLOCK_CALL(xlock_call_ksmbd_inode_lookup_lock, "ksmbd:ksmbd_inode_lookup_lock"),
	XLOCK_CALL(xlock_call_ksmbd_inode_put, "ksmbd:ksmbd_inode_put"),
	XLOCK_CALL(xlock_call_opinfo_put, "ksmbd:opinfo_put"),
};

static unsigned int __rcu *ksmbd_state;	/* &server_conf.state, while attached */

/* Is ksmbd resetting (ksmbd.control --shutdown) or unloading? */
static bool ksmbd_stopping(u8 proto)
{
	unsigned int *state;
	bool ret = false;

	if (proto != XLOCK_PROTO_SMB)
		return false;
	rcu_read_lock();
	state = rcu_dereference(ksmbd_state);
	if (state)
		ret = READ_ONCE(*state) >= XLOCK_BTF_SERVER_STATE_RESETTING;
	rcu_read_unlock();
	return ret;
}

static const struct xlock_teardown_ops ksmbd_teardown_ops = {
	.stopping = ksmbd_stopping,
};

/* The edge is live: SMB breaks may go out. */
static int ksmbd_attached(struct xlock_edge *e)
{
	unsigned long conf = xlock_ksym_lookup("ksmbd:server_conf");

	if (conf)
		rcu_assign_pointer(ksmbd_state,
				   KS_AT((void *)conf, ksmbd_server_config, state, unsigned int));
	else
		pr_warn("ksmbd:server_conf not found: SMB entries dropped by a ksmbd reset will not be kept for reclaim\n");
	xlock_teardown_set_ops(&ksmbd_teardown_ops);
	xlock_smb_breaks_start(e);
	xlock_nfsd4_set_ksmbd(e);
	xlock_smb_deleg_attach(e->mod);	/* optional: logs if it cannot */
	return 0;
}

/*
 * ksmbd is going (or xlock is): no break runs any more, no SMB entry stays;
 * what goes with the module was not released by its owners: teardown.
 */
static void ksmbd_detaching(struct xlock_edge *e)
{
	struct xlock_match m = { .proto = XLOCK_PROTO_SMB, .real = true };

	xlock_teardown_begin(XLOCK_PROTO_SMB);
	xlock_smb_deleg_detach();
	xlock_smb_breaks_stop();
	xlock_table_del_matching(&m);
	RCU_INIT_POINTER(ksmbd_state, NULL);
	synchronize_rcu();
	xlock_teardown_set_ops(NULL);
	xlock_teardown_end(XLOCK_PROTO_SMB);
}

static const struct xlock_edge_ops ksmbd_edge_ops = {
	.attached = ksmbd_attached,
	.detaching = ksmbd_detaching,
	.unhooked = ksmbd_unhooked,
};

struct xlock_edge xlock_edge_ksmbd = {
	.module = "ksmbd",
	.ops = &ksmbd_edge_ops,
	.hs = {
		.name = "ksmbd",
		.hooks = ksmbd_hooks,
		.nr_hooks = ARRAY_SIZE(ksmbd_hooks),
		.calls = ksmbd_calls,
		.nr_calls = ARRAY_SIZE(ksmbd_calls),
	},
	.btf_crc = XLOCK_BTF_ksmbd_CRC,
	.btf_err = XLOCK_BTF_ksmbd_ERR,
};
