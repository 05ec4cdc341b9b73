/* SPDX-License-Identifier: GPL-2.0 */
/* One grace period for NLM and SMB, and its reclaim set (grace.c). */
#ifndef _XLOCK_GRACE_H
#define _XLOCK_GRACE_H

#include <linux/types.h>

#include "rules.h"

struct path;
struct xlock_fkey;

/* A reclaim as it arrives: matched against the persisted entries. */
struct xlock_reclaim_desc {
	u8 proto, kind, mode;
	u64 start, end;
	u32 svid;
	u8 lease_key[16];
	char client[XLOCK_NAME_MAX - 1];	/* NLM caller name, SMB GUID in hex */
	u8 state;			/* out: the persisted lease state */
};

struct xlock_grace_info {
	u8 state;			/* enum xlock_grace_state */
	u64 left_ms, total, reclaimed;
};

struct xlock_grace_client {
	char client[XLOCK_NAME_MAX - 1];
	u32 total, reclaimed;
};

extern u64 xlock_instance;

/*
 * Upward notification: the control layer registers who hears of grace
 * periods starting and ending (an ops struct of xlock's own functions).
 */
struct xlock_grace_events {
	void (*grace)(u8 event, u64 n);
};

void xlock_grace_set_events(const struct xlock_grace_events *ev);

/*
 * Sideways: a server whose own grace xlock's grace waits out. pending()
 * says that grace still runs and the server has not tried to end it.
 */
struct xlock_grace_wait_ops {
	bool (*pending)(void);
};

void xlock_grace_set_wait(const struct xlock_grace_wait_ops *ops);

bool xlock_grace_active(void);
int xlock_reclaim_add(const struct path *path, const char *client,
		      const struct xlock_reclaim_rec *recs, unsigned int n,
		      unsigned int *total, const char **why);
int xlock_grace_start(unsigned int secs, const char **why);
int xlock_grace_end(const char *why);
int xlock_reclaim_match(const struct xlock_fkey *key, struct xlock_reclaim_desc *d);
int xlock_reclaim_match_held(const struct xlock_fkey *key, struct xlock_reclaim_desc *d);
void xlock_reclaim_done(void);
void xlock_grace_decide(const struct xlock_fkey *key, const struct xlock_rule_req *req,
			const char *client, struct xlock_verdict *v);
void xlock_grace_info(struct xlock_grace_info *gi);
unsigned int xlock_grace_clients(struct xlock_grace_client *out, unsigned int max);
int xlock_grace_init(void);
void xlock_grace_exit(void);

#endif
