/* SPDX-License-Identifier: GPL-2.0 */
/* The ksmbd side: lease breaks for the other protocol. */
#ifndef _XLOCK_SMB_BREAK_H
#define _XLOCK_SMB_BREAK_H

#include "hook.h"

struct xlock_edge;
struct xlock_file;
struct ksmbd_inode;
struct ksmbd_work;
struct oplock_info;
struct dentry;

/* Call stubs the ksmbd edge's hookset attaches (kmod/hook/hook.h). */
int xlock_call_oplock_break(struct oplock_info *op, struct ksmbd_inode *ci, int level,
			    struct ksmbd_work *work);
struct ksmbd_inode *xlock_call_ksmbd_inode_lookup_lock(struct dentry *d);
void xlock_call_ksmbd_inode_put(struct ksmbd_inode *ci);
void xlock_call_opinfo_put(struct oplock_info *op);

int xlock_smb_break(struct xlock_file *f, u32 id, u64 fp, u8 to, unsigned int timeout_ms);
void xlock_smb_breaks_start(struct xlock_edge *e);
void xlock_smb_breaks_stop(void);
int xlock_smb_breaks_init(void);
void xlock_smb_breaks_exit(void);

#endif
