/* SPDX-License-Identifier: GPL-2.0 */
/* nfsd's NFSv4 paths: hooksets attached with the nfsd edge. */
#ifndef _XLOCK_NFS4_H
#define _XLOCK_NFS4_H

#include <linux/types.h>

/* V1, V4: NFSv4 LOCK and delegations against SMB state (edge_nfsd4.c). */
int xlock_nfsd4_attach(void);
void xlock_nfsd4_detach(void);

struct inode;
struct xlock_file;

/* V2: what NFSv4 locks on @inode leave of SMB lease state @want. */
u8 xlock_nfs4_lease_cap(struct xlock_file *f, struct inode *inode, u8 want);

#endif
