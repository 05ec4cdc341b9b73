/* SPDX-License-Identifier: GPL-2.0 */
/* V8: nfsd's delegations, kept in the table for their reclaim (nfsd4_deleg.c). */
#ifndef _XLOCK_NFSD4_DELEG_H
#define _XLOCK_NFSD4_DELEG_H

struct file;

void xlock_nfs4_deleg_set(struct file *filp, int arg, const void *dp);
void xlock_nfs4_deleg_unset(struct file *filp, const void *dp);

#endif
