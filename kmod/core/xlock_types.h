/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types the core's units and its tracepoints (xlock_trace.h) share: the
 * key of a file in the table, the arbiter's results.
 */
#ifndef _XLOCK_TYPES_H
#define _XLOCK_TYPES_H

#include <linux/types.h>

struct xlock_fkey {
	u64 dev;
	u64 ino;
};

enum xlock_arb {
	XLOCK_ARB_GO,		/* nothing of the other protocol is in the way (now) */
	XLOCK_ARB_DENY,		/* a byte-range lock of the other protocol */
	XLOCK_ARB_SHARING,	/* an SMB share mode (C13) */
	XLOCK_ARB_WAIT,		/* lease breaks still in flight: answer "retry" */
	XLOCK_ARB_NOSPACE,	/* a table limit: refuse before the server grants */
};

#endif
