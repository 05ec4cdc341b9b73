/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XLOCK_ARBITER_H
#define _XLOCK_ARBITER_H

#include <linux/types.h>

#include "rules.h"
#include "xlock_types.h"

struct xlock_file;
struct xlock_holder;

struct xlock_entry;

int xlock_arbitrate(struct xlock_file *f, const struct xlock_rule_req *req,
		    unsigned int wait_ms, const char *who, struct xlock_holder *holder);
int xlock_arbitrate_resv(struct xlock_file *f, const struct xlock_rule_req *req,
			 unsigned int wait_ms, const char *who, struct xlock_holder *holder,
			 struct xlock_entry *resv);
u8 xlock_arbitrate_lease(struct xlock_file *f, u8 want, const char *who,
			 struct xlock_entry *resv);
void xlock_lease_reduced(struct xlock_file *f, u8 want, u8 got, const char *who,
			 const char *against);
/* Testing (race_window_ms): which decisions (or teardowns) the window widens. */
#define XLOCK_RACE_LOCK		0x1
#define XLOCK_RACE_LEASE	0x2
#define XLOCK_RACE_OPEN4	0x4
#define XLOCK_RACE_SHARE	0x8
#define XLOCK_RACE_TEARDOWN	0x10
#define XLOCK_RACE_ALL		0x1f
void xlock_race_window(unsigned int where);

/*
 * Upward notification: the SMB edge registers how leases are broken
 * (xlock's own function: an IBT-safe indirect call). @brk queues the break
 * of lease entry @id (ksmbd file @fp) of @f to state @to.
 */
struct xlock_breaker_ops {
	int (*brk)(struct xlock_file *f, u32 id, u64 fp, u8 to, unsigned int timeout_ms);
};

void xlock_arbiter_set_breaker(const struct xlock_breaker_ops *b);
const char *xlock_op_name(unsigned int op);

#endif
