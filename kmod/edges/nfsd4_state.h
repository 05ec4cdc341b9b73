/* SPDX-License-Identifier: GPL-2.0 */
/* nfsd's NFSv4 locks, delegations and opens, read where nfsd keeps them. */
#ifndef _XLOCK_NFSD4_STATE_H
#define _XLOCK_NFSD4_STATE_H

#include <linux/types.h>

struct inode;
struct xlock_edge;
struct xlock_file;
struct xlock_rule_req;

void xlock_nfs4_state_attach(struct xlock_edge *nfsd);
void xlock_nfs4_state_detach(void);

/* V2, I1: what NFSv4 locks and opens of @inode leave of SMB lease state @want. */
u8 xlock_nfs4_lease_cap(struct xlock_file *f, struct inode *inode, u8 want);

/* V6: does an NFSv4 open's deny mode refuse SMB open @req of @inode? */
bool xlock_nfs4_open_refused(struct inode *inode, const struct xlock_rule_req *req,
			     bool again);

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

int xlock_nfs4_holders(struct inode *inode, struct xlock_nfs4_holder *h, int max);
const void *xlock_nfs4_deleg_clp(const void *dp);
/* @h's client id and address from nfsd's client @clp (NULL: none). */
void xlock_nfs4_holder_client(struct xlock_nfs4_holder *h, const void *clp);

#endif
