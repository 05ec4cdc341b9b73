// SPDX-License-Identifier: GPL-2.0
/*
 * The nfsd edge: NFS I/O against SMB leases and share modes.
 *
 * Every NFS operation on a file verifies its file handle first; the
 * access it verifies for says what the operation does. So fh_verify() is
 * where NFS meets the SMB side: READ and anything that returns attributes
 * (C9) first make an SMB writer flush, WRITE, SETATTR size and truncating
 * CREATE (C10) first end SMB caching, and SMB share modes deny what they
 * deny (C13, NFS3ERR_ACCES; V5 for NFSv4). REMOVE and RENAME verify the directory only,
 * so those wrappers look up the victim and break its handle leases (C8).
 * Attributes nfsd returns of a file it did not verify (LOOKUP's child,
 * READDIRPLUS entries) are met where NFSv3 replies encode them (C9).
 * An SMB client slow to ack gets nfsd_wait_ms; then the NFS client is told
 * NFS3ERR_JUKEBOX and retries. lockd's own opens (NFSD_MAY_NLM) are left
 * to the lockd edge: lockd's thread never waits here.
 */
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/nfs.h>
#include <linux/nfs4.h>
#include <linux/sunrpc/svc.h>

#include "arbiter.h"
#include "edge.h"
#include "generated/btf.h"
#include "edge_nfsd.h"
#include "edge_nfsd4.h"
#include "stats.h"
#include "table.h"

static unsigned int nfsd_wait_ms = 1000;
module_param(nfsd_wait_ms, uint, 0644);
MODULE_PARM_DESC(nfsd_wait_ms,
		 "How long an nfsd thread waits for an SMB lease ack before NFS3ERR_JUKEBOX (ms)");

struct svc_fh;
struct xdr_stream;

/* nfsd's access flags (fs/nfsd/vfs.h). */
#define NFSD_MAY_WRITE	0x002
#define NFSD_MAY_TRUNC	0x010
#define NFSD_MAY_NLM	0x020
#define NFSD_MAY_READ_IF_EXEC	0x800	/* only NFSv4 OPEN's permission check */

enum { H_VERIFY, H_UNLINK, H_RENAME, H_POST_OP_ATTR };

static XLOCK_STUB __be32 call_fh_verify(struct svc_rqst *rqstp, struct svc_fh *fhp,
					umode_t type, int access)
{
	xlock_call_unreachable(__func__);
	return cpu_to_be32(NFSERR_JUKEBOX);
}

static XLOCK_STUB __be32 call_nfsd_unlink(struct svc_rqst *rqstp, struct svc_fh *fhp,
					  int type, char *fname, int flen)
{
	xlock_call_unreachable(__func__);
	return cpu_to_be32(NFSERR_JUKEBOX);
}

static XLOCK_STUB __be32 call_nfsd_rename(struct svc_rqst *rqstp, struct svc_fh *ffhp,
					  char *fname, int flen, struct svc_fh *tfhp,
					  char *tname, int tlen)
{
	xlock_call_unreachable(__func__);
	return cpu_to_be32(NFSERR_JUKEBOX);
}

static XLOCK_STUB bool call_post_op_attr(struct svc_rqst *rqstp, struct xdr_stream *xdr,
					 const struct svc_fh *fhp)
{
	xlock_call_unreachable(__func__);
	return false;
}

static struct xlock_hook nfsd_hooks[];
#define HS (&xlock_edge_nfsd.hs)

static struct dentry *fh_dentry(struct svc_fh *fhp)
{
	return *(struct dentry **)((char *)fhp + XLOCK_BTF_svc_fh_fh_dentry);
}

/*
 * V5: an SMB share mode refuses an NFSv4 OPEN with NFS4ERR_SHARE_DENIED and
 * a REMOVE or RENAME with NFS4ERR_FILE_OPEN; NFSv3 has only NFS3ERR_ACCES.
 */
static __be32 sharing_status(struct svc_rqst *rqstp, u8 op, bool open4)
{
	if (rqstp->rq_vers != 4)
		return cpu_to_be32(NFSERR_ACCES);
	if (op == XLOCK_OP_NFS_REMOVE)
		return cpu_to_be32(NFS4ERR_FILE_OPEN);
	return cpu_to_be32(open4 ? NFS4ERR_SHARE_DENIED : NFSERR_ACCES);
}

/*
 * Arbitrate an NFS operation on @f; the NFS status to answer, or 0. @resv
 * (may be NULL) is linked to @f if the operation goes on.
 */
static __be32 arbitrate_file(struct svc_rqst *rqstp, struct xlock_file *f, u8 op, bool open4,
			     struct xlock_entry *resv)
{
	struct xlock_rule_req req = { .op = op, .end = XLOCK_END_MAX };
	char who[64], addr[48];

	xlock_addr_str(svc_addr(rqstp), addr, sizeof(addr));
	snprintf(who, sizeof(who), "nfs:%s", addr);
	switch (xlock_arbitrate_resv(f, &req, READ_ONCE(nfsd_wait_ms), who, NULL, resv)) {
	case XLOCK_ARB_SHARING:
		return sharing_status(rqstp, op, open4);
	case XLOCK_ARB_DENY:
		return cpu_to_be32(NFSERR_ACCES);
	case XLOCK_ARB_WAIT:
		xlock_stat_inc(XLOCK_STAT_NFS_JUKEBOX);
		return cpu_to_be32(NFSERR_JUKEBOX);	/* NFS4ERR_DELAY: the same value */
	case XLOCK_ARB_NOSPACE:
		return cpu_to_be32(NFSERR_JUKEBOX);	/* a table limit: the client retries */
	}
	return 0;
}

/* Arbitrate an NFS operation on @dentry; the NFS status to answer, or 0. */
static __be32 arbitrate(struct svc_rqst *rqstp, struct dentry *dentry, u8 op, bool open4)
{
	struct xlock_fkey key;
	struct xlock_file *f;
	__be32 ret;

	if (!dentry || d_really_is_negative(dentry) || !d_is_reg(dentry))
		return 0;
	key.dev = d_inode(dentry)->i_sb->s_dev;
	key.ino = d_inode(dentry)->i_ino;
	f = xlock_file_lookup(&key);
	if (!f)
		return 0;	/* nothing of SMB's on it */
	ret = arbitrate_file(rqstp, f, op, open4, NULL);
	xlock_file_put(f);
	return ret;
}

/*
 * Issue 10 c for an NFSv4 OPEN (its permission check): decided with its
 * reservation linked (edge_nfsd4.c), so that an SMB open or lease request
 * decided before nfsd holds the open sees it.
 */
static __be32 arbitrate_open4(struct svc_rqst *rqstp, struct svc_fh *fhp, u8 op)
{
	struct xlock_entry *resv;
	struct xlock_file *f;
	struct path path;
	__be32 ret;

	resv = xlock_nfs4_open_resv(rqstp, fhp, &path);
	if (IS_ERR(resv))
		return cpu_to_be32(NFS4ERR_DELAY);
	f = resv ? xlock_file_get(&path, true) : NULL;
	if (IS_ERR_OR_NULL(f))
		return arbitrate(rqstp, fh_dentry(fhp), op, true);
	ret = arbitrate_file(rqstp, f, op, true, resv);
	if (!ret && xlock_nfs4_open_smb_denied(path.dentry, resv))
		ret = cpu_to_be32(NFS4ERR_SHARE_DENIED);
	xlock_file_put(f);
	if (!ret)
		xlock_race_window(XLOCK_RACE_OPEN4);
	return ret;
}

static __be32 wrap_fh_verify(struct svc_rqst *rqstp, struct svc_fh *fhp, umode_t type,
			     int access)
{
	__be32 ret;
	u8 op;

	xlock_hook_enter(HS, &nfsd_hooks[H_VERIFY]);
	ret = call_fh_verify(rqstp, fhp, type, access);
	op = access & (NFSD_MAY_WRITE | NFSD_MAY_TRUNC) ? XLOCK_OP_NFS_WRITE : XLOCK_OP_NFS_READ;
	if (!ret && (access & NFSD_MAY_READ_IF_EXEC))
		ret = arbitrate_open4(rqstp, fhp, op);
	else if (!ret && !(access & NFSD_MAY_NLM))
		ret = arbitrate(rqstp, fh_dentry(fhp), op, false);
	xlock_hook_exit(HS);
	return ret;
}

/*
 * C9 for attributes nfsd returns without verifying the file they describe
 * (LOOKUP's child, each READDIRPLUS entry, ACCESS, ...): every NFSv3 reply
 * encodes them here, in the nfsd thread that answers the client, so an SMB
 * writer is made to flush first. Only where attributes go to a client:
 * composing a handle (a REMOVE's lookup of its victim, a handle asked of
 * /proc/fs/nfsd/filehandle) breaks nothing. If the ack is slow the reply
 * carries no attributes for that file, which NFSv3 allows (the client asks
 * with GETATTR, which waits in fh_verify). Share modes do not hide
 * attributes. READDIRPLUS runs this under the directory's lock: the wait
 * is nfsd_wait_ms at most.
 */
static bool wrap_post_op_attr(struct svc_rqst *rqstp, struct xdr_stream *xdr,
			      const struct svc_fh *fhp)
{
	/* A handle without a dentry: the encoder writes "no attributes". */
	static const u8 no_attrs[XLOCK_BTF_svc_fh_SIZE] __aligned(8);
	bool ret;

	xlock_hook_enter(HS, &nfsd_hooks[H_POST_OP_ATTR]);
	if (rqstp && fhp &&
	    arbitrate(rqstp, fh_dentry((struct svc_fh *)fhp), XLOCK_OP_NFS_READ, false) ==
	    cpu_to_be32(NFSERR_JUKEBOX))
		fhp = (const struct svc_fh *)no_attrs;
	ret = call_post_op_attr(rqstp, xdr, fhp);
	xlock_hook_exit(HS);
	return ret;
}

/* C8: the file named @name in directory @dirfh, about to be removed or replaced. */
static __be32 arbitrate_name(struct svc_rqst *rqstp, struct svc_fh *dirfh, const char *name,
			     int len)
{
	struct dentry *dir, *child;
	__be32 ret;

	ret = call_fh_verify(rqstp, dirfh, S_IFDIR, 0);
	if (ret)
		return 0;	/* nfsd reports it itself */
	dir = fh_dentry(dirfh);
	child = lookup_one_len_unlocked(name, dir, len);
	if (IS_ERR(child))
		return 0;
	ret = arbitrate(rqstp, child, XLOCK_OP_NFS_REMOVE, false);
	dput(child);
	return ret;
}

static __be32 wrap_nfsd_unlink(struct svc_rqst *rqstp, struct svc_fh *fhp, int type,
			       char *fname, int flen)
{
	__be32 ret;

	xlock_hook_enter(HS, &nfsd_hooks[H_UNLINK]);
	ret = arbitrate_name(rqstp, fhp, fname, flen);
	if (!ret)
		ret = call_nfsd_unlink(rqstp, fhp, type, fname, flen);
	xlock_hook_exit(HS);
	return ret;
}

static __be32 wrap_nfsd_rename(struct svc_rqst *rqstp, struct svc_fh *ffhp, char *fname,
			       int flen, struct svc_fh *tfhp, char *tname, int tlen)
{
	__be32 ret;

	xlock_hook_enter(HS, &nfsd_hooks[H_RENAME]);
	ret = arbitrate_name(rqstp, ffhp, fname, flen);
	if (!ret)
		ret = arbitrate_name(rqstp, tfhp, tname, tlen);
	if (!ret)
		ret = call_nfsd_rename(rqstp, ffhp, fname, flen, tfhp, tname, tlen);
	xlock_hook_exit(HS);
	return ret;
}

static struct xlock_hook nfsd_hooks[] = {
	[H_VERIFY] = XLOCK_HOOK("nfsd:fh_verify", wrap_fh_verify),
	[H_UNLINK] = XLOCK_HOOK("nfsd:nfsd_unlink", wrap_nfsd_unlink),
	[H_RENAME] = XLOCK_HOOK("nfsd:nfsd_rename", wrap_nfsd_rename),
	[H_POST_OP_ATTR] = XLOCK_HOOK("nfsd:svcxdr_encode_post_op_attr", wrap_post_op_attr),
};

static struct xlock_call nfsd_calls[] = {
	XLOCK_CALL(call_fh_verify, "nfsd:fh_verify"),
	XLOCK_CALL(call_nfsd_unlink, "nfsd:nfsd_unlink"),
	XLOCK_CALL(call_nfsd_rename, "nfsd:nfsd_rename"),
	XLOCK_CALL(call_post_op_attr, "nfsd:svcxdr_encode_post_op_attr"),
};

/* nfsd's v4 paths (edge_nfsd4.c) are optional: they log if they cannot attach. */
static int nfsd_attached(struct xlock_edge *e)
{
	xlock_nfsd4_attach(e);
	return 0;
}

static void nfsd_detaching(struct xlock_edge *e)
{
	xlock_nfsd4_detach();
}

static const struct xlock_edge_ops nfsd_edge_ops = {
	.attached = nfsd_attached,
	.detaching = nfsd_detaching,
};

struct xlock_edge xlock_edge_nfsd = {
	.module = "nfsd",
	.ops = &nfsd_edge_ops,
	.hs = {
		.name = "nfsd",
		.hooks = nfsd_hooks,
		.nr_hooks = ARRAY_SIZE(nfsd_hooks),
		.calls = nfsd_calls,
		.nr_calls = ARRAY_SIZE(nfsd_calls),
	},
	.btf_crc = XLOCK_BTF_nfsd_CRC,
	.btf_err = XLOCK_BTF_nfsd_ERR,
};
