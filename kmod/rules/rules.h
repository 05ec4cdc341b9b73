/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cross-protocol conflict rules: pure C, no kernel headers, built into
 * the module and into the host unit tests (tests/host/rules_test.c).
 *
 * The rules only decide between protocols. NLM against NLM and SMB against
 * SMB stay as the stock kernel decides them (behaviour.md C11).
 */
#ifndef _XLOCK_RULES_H
#define _XLOCK_RULES_H

#include "../../include/uapi/linux/xlock.h"

#define XLOCK_NO_BREAK 0xff

/* One entry on a file, as the rules see it; the table links them. */
struct xlock_rule_entry {
	struct xlock_rule_entry *next;
	unsigned long long start;	/* LOCK: first byte */
	unsigned long long end;		/* LOCK: last byte, inclusive */
	unsigned char proto;		/* XLOCK_PROTO_* */
	unsigned char kind;		/* XLOCK_KIND_* */
	unsigned char mode;		/* LOCK: XLOCK_MODE_*; SHARE: access bits */
	unsigned char state;		/* LEASE: R/H/W; SHARE: allow bits */
	unsigned char brk_to;		/* LEASE: break in flight to, or XLOCK_NO_BREAK */
	unsigned char pending;		/* a blocked request, not held */
	unsigned char resv;		/* decided, its server not done yet: counts as held */
};

enum xlock_rule_op {
	XLOCK_OP_NLM_LOCK = 1,	/* mode, start, end */
	XLOCK_OP_NLM_TEST,	/* mode, start, end */
	XLOCK_OP_SMB_LOCK,	/* mode, start, end */
	XLOCK_OP_SMB_LEASE,	/* state: the lease state asked for */
	XLOCK_OP_SMB_OPEN,	/* mode: access bits, state: allow bits */
	XLOCK_OP_NFS_READ,	/* READ, and replies carrying attributes */
	XLOCK_OP_NFS_WRITE,	/* WRITE, SETATTR size, CREATE-truncate */
	XLOCK_OP_NFS_REMOVE,	/* REMOVE or RENAME of it or over it */
	XLOCK_OP_NFS4_DELEG,	/* state: R (read delegation) or R|W (write) */
	__XLOCK_OP_MAX
};

struct xlock_rule_req {
	unsigned char op;
	unsigned char mode;
	unsigned char state;
	unsigned long long start;
	unsigned long long end;
};

enum xlock_verdict_kind {
	XLOCK_V_GRANT = 1,	/* nothing of the other protocol is in the way */
	XLOCK_V_REDUCED,	/* SMB_LEASE: grant only v->state */
	XLOCK_V_DENY,		/* v->holder is in the way (v->sharing: a share mode) */
	XLOCK_V_BREAK,		/* break leases first (xlock_rules_break_to) */
};

struct xlock_verdict {
	unsigned char kind;
	unsigned char state;	/* REDUCED: the lease state that may be granted */
	unsigned char keep;	/* BREAK: lease bits the request leaves alone */
	unsigned char wait;	/* BREAK: decide again once the breaks are acked */
	unsigned char sharing;	/* DENY: because of an SMB share mode */
	unsigned char proto;	/* the requester's protocol */
	unsigned int nbreak;	/* BREAK: leases to break (or waited for) */
	const struct xlock_rule_entry *holder;	/* DENY */
};

void xlock_rules_decide(const struct xlock_rule_req *req,
			const struct xlock_rule_entry *head,
			struct xlock_verdict *v);
unsigned int xlock_rules_break_to(const struct xlock_verdict *v,
				  const struct xlock_rule_entry *e);
int xlock_rules_op_proto(unsigned int op);
unsigned char xlock_rules_oplock_state(unsigned char level);
unsigned char xlock_rules_state_oplock(unsigned char state);

/* SMB2 oplock levels (MS-SMB2 2.2.13). */
#define XLOCK_OPLOCK_NONE	0x00
#define XLOCK_OPLOCK_II		0x01
#define XLOCK_OPLOCK_EXCL	0x08
#define XLOCK_OPLOCK_BATCH	0x09

#endif
