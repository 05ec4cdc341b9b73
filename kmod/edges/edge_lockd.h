/* SPDX-License-Identifier: GPL-2.0 */
/* The lockd edge: NLM LOCK, TEST, UNLOCK, CANCEL and GRANTED replies. */
#ifndef _XLOCK_EDGE_LOCKD_H
#define _XLOCK_EDGE_LOCKD_H

#include "edge.h"

extern struct xlock_edge xlock_edge_lockd;

#endif
