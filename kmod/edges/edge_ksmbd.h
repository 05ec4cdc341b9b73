/* SPDX-License-Identifier: GPL-2.0 */
/* The ksmbd edge: SMB leases, oplocks, byte-range locks and closes. */
#ifndef _XLOCK_EDGE_KSMBD_H
#define _XLOCK_EDGE_KSMBD_H

#include "edge.h"

extern struct xlock_edge xlock_edge_ksmbd;

#endif
