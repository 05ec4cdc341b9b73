/* SPDX-License-Identifier: GPL-2.0 */
/* nfsd's NFSv4 paths: hooksets attached with the nfsd edge. */
#ifndef _XLOCK_NFS4_H
#define _XLOCK_NFS4_H

/* V1, V4: NFSv4 LOCK and delegations against SMB state (edge_nfsd4.c). */
int xlock_nfsd4_attach(void);
void xlock_nfsd4_detach(void);

#endif
