/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XLOCK_ARBITER_H
#define _XLOCK_ARBITER_H

#include <linux/types.h>

#include "rules.h"

struct xlock_file;
struct xlock_holder;

enum xlock_arb {
	XLOCK_ARB_GO,		/* nothing of the other protocol is in the way (now) */
	XLOCK_ARB_DENY,		/* a byte-range lock of the other protocol */
	XLOCK_ARB_SHARING,	/* an SMB share mode (C13) */
	XLOCK_ARB_WAIT,		/* lease breaks still in flight: answer "retry" */
	XLOCK_ARB_NOSPACE,	/* a table limit: refuse before the server grants */
};

struct xlock_entry;

int xlock_arbitrate(struct xlock_file *f, const struct xlock_rule_req *req,
		    unsigned int wait_ms, const char *who, struct xlock_holder *holder);
int xlock_arbitrate_resv(struct xlock_file *f, const struct xlock_rule_req *req,
			 unsigned int wait_ms, const char *who, struct xlock_holder *holder,
			 struct xlock_entry *resv);
u8 xlock_arbitrate_lease(struct xlock_file *f, u8 want, const char *who,
			 struct xlock_entry *resv);
void xlock_race_window(void);
const char *xlock_op_name(unsigned int op);

#endif
