/* SPDX-License-Identifier: GPL-2.0 */
/* V8: one grace window for nfsd's NFSv4 clients, NLM and SMB. */
#ifndef _XLOCK_NFSD4_GRACE_H
#define _XLOCK_NFSD4_GRACE_H

#include <linux/types.h>

struct xlock_edge;

void xlock_nfs4_grace_attach(struct xlock_edge *nfsd);
void xlock_nfs4_grace_detach(void);

/* nfsd's NFSv4 clients may still reclaim: SMB holds back. */
bool xlock_nfs4_in_grace(void);

#endif
