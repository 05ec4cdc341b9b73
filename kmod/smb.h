/* SPDX-License-Identifier: GPL-2.0 */
/* The ksmbd side: lease breaks for the other protocol. */
#ifndef _XLOCK_SMB_H
#define _XLOCK_SMB_H

#include "hook.h"

struct xlock_file;
struct ksmbd_inode;
struct ksmbd_work;
struct oplock_info;
struct dentry;

/* Call stubs the ksmbd edge's hookset attaches (kmod/hook.h). */
int xlock_call_oplock_break(struct oplock_info *op, struct ksmbd_inode *ci, int level,
			    struct ksmbd_work *work);
struct ksmbd_inode *xlock_call_ksmbd_inode_lookup_lock(struct dentry *d);
void xlock_call_ksmbd_inode_put(struct ksmbd_inode *ci);
void xlock_call_opinfo_put(struct oplock_info *op);

void xlock_ksmbd_attached(void);
void xlock_ksmbd_detaching(void);
void xlock_ksmbd_unblock_locks(void);
bool xlock_ksmbd_stopping(void);

/* V3: SMB opens wait for NFSv4 delegation recalls (smb_deleg.c). */
int xlock_smb_deleg_attach(void);
void xlock_smb_deleg_detach(void);

int xlock_smb_break(struct xlock_file *f, u32 id, u64 fp, u8 to, unsigned int timeout_ms);
void xlock_smb_breaks_start(void);
void xlock_smb_breaks_stop(void);
int xlock_smb_breaks_init(void);
void xlock_smb_breaks_exit(void);

#endif
