/* SPDX-License-Identifier: GPL-2.0 */
/* The nfsd edge: NFSv3 opens, REMOVE and RENAME meet SMB leases. */
#ifndef _XLOCK_EDGE_NFSD_H
#define _XLOCK_EDGE_NFSD_H

#include "edge.h"

extern struct xlock_edge xlock_edge_nfsd;

#endif
