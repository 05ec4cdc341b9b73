/* SPDX-License-Identifier: GPL-2.0 */
/* nfsd's NFSv4 paths: hooksets attached with the nfsd edge. */
#ifndef _XLOCK_EDGE_NFSD4_H
#define _XLOCK_EDGE_NFSD4_H

#include <linux/types.h>

/* V1, V4: NFSv4 LOCK and delegations against SMB state (edge_nfsd4.c). */
struct xlock_edge;

int xlock_nfsd4_attach(struct xlock_edge *nfsd);
void xlock_nfsd4_set_ksmbd(struct xlock_edge *ksmbd);
void xlock_nfsd4_detach(void);

struct inode;
struct xlock_file;

/* V2: what NFSv4 locks on @inode leave of SMB lease state @want. */
u8 xlock_nfs4_lease_cap(struct xlock_file *f, struct inode *inode, u8 want);

/* An NFSv4 holder of a file, for `xlockctl locks --path`. */
struct xlock_nfs4_holder {
	u8 kind;	/* XLOCK_KIND_LOCK, _DELEG or _SHARE (an open with a deny mode) */
	u8 mode;	/* LOCK: XLOCK_MODE_*; DELEG: R or R|W; SHARE: access bits */
	u8 allow;	/* SHARE: XLOCK_SHARE_* bits its deny mode leaves to others */
	u64 start, end;
	u64 clientid;	/* nfsd's client id: boot << 32 | id */
	char addr[48];
};

#define XLOCK_NFS4_HOLDERS_MAX 64

struct xlock_rule_req;
struct xlock_entry;
struct svc_rqst;
struct svc_fh;
struct path;

/* Issue 10 c: the reservation of the NFSv4 OPEN being checked in this thread. */
struct xlock_entry *xlock_nfs4_open_resv(struct svc_rqst *rqstp, struct svc_fh *fhp,
					 struct path *path);

/* V6: does an NFSv4 open's deny mode refuse SMB open @req of @inode? */
bool xlock_nfs4_open_refused(struct inode *inode, const struct xlock_rule_req *req,
			     bool again);

/* V8: nfsd's NFSv4 clients may still reclaim: SMB holds back. */
bool xlock_nfs4_in_grace(void);

int xlock_nfs4_holders(struct inode *inode, struct xlock_nfs4_holder *h, int max);

#endif
