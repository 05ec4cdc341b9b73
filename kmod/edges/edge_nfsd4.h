/* SPDX-License-Identifier: GPL-2.0 */
/* nfsd's NFSv4 paths: hooksets attached with the nfsd edge. */
#ifndef _XLOCK_EDGE_NFSD4_H
#define _XLOCK_EDGE_NFSD4_H

#include <linux/types.h>

/* V1, V4, V5, V6: NFSv4 LOCK, OPEN and delegations against SMB state. */
struct xlock_edge;

int xlock_nfsd4_attach(struct xlock_edge *nfsd);
void xlock_nfsd4_set_ksmbd(struct xlock_edge *ksmbd);
void xlock_nfsd4_detach(void);

struct xlock_entry;
struct svc_rqst;
struct svc_fh;
struct path;
struct dentry;

/* Issue 10 c: the reservation of the NFSv4 OPEN being checked in this thread. */
struct xlock_entry *xlock_nfs4_open_resv(struct svc_rqst *rqstp, struct svc_fh *fhp,
					 struct path *path);
/* V6 the other way: SMB opens against the deny mode of that OPEN's reservation. */
bool xlock_nfs4_open_smb_denied(struct dentry *d, const struct xlock_entry *resv);

#endif
