/* SPDX-License-Identifier: GPL-2.0 */
/* For the nfsd edge's NFSv4 files: nfsd's private objects by BTF offset. */
#ifndef _XLOCK_NFSD4_H
#define _XLOCK_NFSD4_H

/* A field of an nfsd object at its BTF offset (generated/btf.h). */
#define FIELD(p, off, type) (*(type *)((char *)(p) + (off)))

#endif
