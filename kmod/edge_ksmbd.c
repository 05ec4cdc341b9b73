// SPDX-License-Identifier: GPL-2.0
/*
 * The ksmbd edge: oplock/lease grants, lease break acks, closes and SMB2
 * LOCK requests as ksmbd serves them. ksmbd's structures are private and
 * only passed through here.
 */
#include <linux/module.h>

#include "edge.h"
#include "generated/btf.h"

struct ksmbd_work;
struct ksmbd_file;
struct lease_ctx_info;

enum { H_GRANT, H_LOCK, H_CLOSE, H_BREAK_ACK };

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

static struct xlock_hook ksmbd_hooks[];
#define HS (&xlock_edge_ksmbd.hs)

static int wrap_smb_grant_oplock(struct ksmbd_work *work, int req_op_level, u64 pid,
				 struct ksmbd_file *fp, __u16 tid,
				 struct lease_ctx_info *lctx, int share_ret)
{
	int ret;

	xlock_hook_enter(HS, &ksmbd_hooks[H_GRANT]);
	ret = call_smb_grant_oplock(work, req_op_level, pid, fp, tid, lctx, share_ret);
	xlock_hook_exit(HS);
	return ret;
}

static int wrap_smb2_lock(struct ksmbd_work *work)
{
	int ret;

	xlock_hook_enter(HS, &ksmbd_hooks[H_LOCK]);
	ret = call_smb2_lock(work);
	xlock_hook_exit(HS);
	return ret;
}

static void wrap_close_id_del_oplock(struct ksmbd_file *fp)
{
	xlock_hook_enter(HS, &ksmbd_hooks[H_CLOSE]);
	call_close_id_del_oplock(fp);
	xlock_hook_exit(HS);
}

static int wrap_smb2_oplock_break(struct ksmbd_work *work)
{
	int ret;

	xlock_hook_enter(HS, &ksmbd_hooks[H_BREAK_ACK]);
	ret = call_smb2_oplock_break(work);
	xlock_hook_exit(HS);
	return ret;
}

static struct xlock_hook ksmbd_hooks[] = {
	[H_GRANT] = XLOCK_HOOK("ksmbd:smb_grant_oplock", wrap_smb_grant_oplock),
	[H_LOCK] = XLOCK_HOOK("ksmbd:smb2_lock", wrap_smb2_lock),
	[H_CLOSE] = XLOCK_HOOK("ksmbd:close_id_del_oplock", wrap_close_id_del_oplock),
	[H_BREAK_ACK] = XLOCK_HOOK("ksmbd:smb2_oplock_break", wrap_smb2_oplock_break),
};

static struct xlock_call ksmbd_calls[] = {
	XLOCK_CALL(call_smb_grant_oplock, "ksmbd:smb_grant_oplock"),
	XLOCK_CALL(call_smb2_lock, "ksmbd:smb2_lock"),
	XLOCK_CALL(call_close_id_del_oplock, "ksmbd:close_id_del_oplock"),
	XLOCK_CALL(call_smb2_oplock_break, "ksmbd:smb2_oplock_break"),
};

struct xlock_edge xlock_edge_ksmbd = {
	.module = "ksmbd",
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
