// SPDX-License-Identifier: GPL-2.0
/*
 * Arbitration of one protocol request against the other protocol's state
 * on a file: decide with the rules, start the lease breaks the verdict asks
 * for, and wait a bounded time for their acks (a cifs client acks in
 * milliseconds: the retry paths, NLM4_BLOCKED or JUKEBOX, must stay the
 * rare path). The caller says how long it may wait: never long on lockd's
 * single thread.
 */
#include <linux/jiffies.h>
#include <linux/wait_bit.h>

#include "arbiter.h"
#include "smb.h"
#include "stats.h"
#include "table.h"
#include "xlock_trace.h"

#define MAX_BREAKS 8

struct pending_break {
	u32 id;
	u64 fp;
	u8 to;
};

static const char *const op_names[] = {
	[XLOCK_OP_NLM_LOCK] = "NLM lock",
	[XLOCK_OP_NLM_TEST] = "NLM test",
	[XLOCK_OP_SMB_LOCK] = "SMB lock",
	[XLOCK_OP_SMB_LEASE] = "SMB lease",
	[XLOCK_OP_SMB_OPEN] = "SMB open",
	[XLOCK_OP_NFS_READ] = "NFS read",
	[XLOCK_OP_NFS_WRITE] = "NFS write",
	[XLOCK_OP_NFS_REMOVE] = "NFS remove/rename",
	[XLOCK_OP_NFS4_DELEG] = "NFSv4 delegation",
};

const char *xlock_op_name(unsigned int op)
{
	return op < ARRAY_SIZE(op_names) && op_names[op] ? op_names[op] : "?";
}

static const char *kind_name(u8 kind)
{
	switch (kind) {
	case XLOCK_KIND_LOCK:
		return "lock";
	case XLOCK_KIND_LEASE:
		return "lease";
	default:
		return "share mode";
	}
}

static void count_conflict(const struct xlock_rule_req *req, u8 kind)
{
	if (xlock_rules_op_proto(req->op) == XLOCK_PROTO_SMB)
		xlock_stat_inc(XLOCK_STAT_SMB_VS_NLM);
	else if (kind == XLOCK_KIND_LEASE)
		xlock_stat_inc(XLOCK_STAT_NFS_VS_LEASE);
	else if (kind == XLOCK_KIND_LOCK)
		xlock_stat_inc(XLOCK_STAT_NFS_VS_SMB_LOCK);
	else
		xlock_stat_inc(XLOCK_STAT_NFS_VS_SHARE);
}

/* Mark what the verdict breaks (under the file lock); collect the new breaks. */
static unsigned int collect_breaks(struct xlock_file *f, const struct xlock_verdict *v,
				   struct pending_break *pb)
{
	struct xlock_rule_entry *r;
	unsigned int n = 0;

	lockdep_assert_held(&f->lock);
	for (r = f->head; r && n < MAX_BREAKS; r = r->next) {
		struct xlock_entry *e = container_of(r, struct xlock_entry, r);
		unsigned int to = xlock_rules_break_to(v, r);

		if (to == XLOCK_NO_BREAK)
			continue;
		r->brk_to = to;
		pb[n].id = e->id;
		pb[n].fp = e->owner.smb.fp;
		pb[n].to = to;
		n++;
	}
	return n;
}

/*
 * Arbitrate @req on @f, waiting at most @wait_ms for lease acks. @who names
 * the requester in log lines. On DENY, @holder (may be NULL) says what was
 * in the way.
 */
int xlock_arbitrate(struct xlock_file *f, const struct xlock_rule_req *req,
		    unsigned int wait_ms, const char *who, struct xlock_holder *holder)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(wait_ms);
	struct pending_break pb[MAX_BREAKS];
	struct xlock_holder h;
	struct xlock_verdict v;
	bool noted = false;
	unsigned int n, i;
	long left;
	int seen;

	if (!(READ_ONCE(f->share->flags) & XLOCK_SHARE_F_ENABLED))
		return XLOCK_ARB_GO;
	trace_xlock_request(&f->key, req, who);
	for (;;) {
		spin_lock(&f->lock);
		xlock_rules_decide(req, f->head, &v);
		if (v.kind == XLOCK_V_DENY) {
			const struct xlock_entry *e =
				container_of(v.holder, struct xlock_entry, r);

			h.proto = e->r.proto;
			h.kind = e->r.kind;
			h.mode = e->r.mode;
			h.state = e->r.state;
			h.start = e->r.start;
			h.end = e->r.end;
			strscpy(h.client, e->client->display, sizeof(h.client));
			spin_unlock(&f->lock);
			count_conflict(req, h.kind);
			xlock_stat_inc(XLOCK_STAT_DENIED);
			xlock_conflict_note(f, "%s (%s) vs SMB %s (%s): denied",
					    xlock_op_name(req->op), who, kind_name(h.kind),
					    h.client);
			if (holder)
				*holder = h;
			trace_xlock_verdict(&f->key, req, &v, v.sharing ? XLOCK_ARB_SHARING :
					    XLOCK_ARB_DENY, h.client);
			return v.sharing ? XLOCK_ARB_SHARING : XLOCK_ARB_DENY;
		}
		n = v.kind == XLOCK_V_BREAK ? collect_breaks(f, &v, pb) : 0;
		seen = atomic_read(&f->changes);
		spin_unlock(&f->lock);

		if (v.kind == XLOCK_V_BREAK && !noted) {
			count_conflict(req, XLOCK_KIND_LEASE);
			xlock_conflict_note(f, "%s (%s) vs SMB lease: breaking %u lease(s)%s",
					    xlock_op_name(req->op), who, v.nbreak,
					    v.wait ? ", waiting for the ack" : "");
			noted = true;
		}
		for (i = 0; i < n; i++)
			xlock_smb_break(f, pb[i].id, pb[i].fp, pb[i].to,
					READ_ONCE(f->share->break_timeout_ms));
		if (v.kind != XLOCK_V_BREAK || !v.wait) {
			trace_xlock_verdict(&f->key, req, &v, XLOCK_ARB_GO, NULL);
			return XLOCK_ARB_GO;
		}
		left = (long)(deadline - jiffies);
		/* result -1: waiting for the acks, to decide again */
		trace_xlock_verdict(&f->key, req, &v, left <= 0 ? XLOCK_ARB_WAIT : -1, NULL);
		if (left <= 0)
			return XLOCK_ARB_WAIT;
		wait_var_event_timeout(f, atomic_read(&f->changes) != seen, left);
	}
}

/* The SMB lease state an NLM lock leaves an SMB lease request (C1, C3). */
u8 xlock_arbitrate_lease(struct xlock_file *f, u8 want, const char *who)
{
	struct xlock_rule_req req = { .op = XLOCK_OP_SMB_LEASE, .state = want };
	struct xlock_verdict v;

	if (!(READ_ONCE(f->share->flags) & XLOCK_SHARE_F_ENABLED))
		return want;
	trace_xlock_request(&f->key, &req, who);
	xlock_file_decide(f, &req, &v, NULL);
	if (v.kind != XLOCK_V_REDUCED)
		return want;
	xlock_stat_inc(XLOCK_STAT_SMB_VS_NLM);
	xlock_stat_inc(XLOCK_STAT_REDUCED);
	xlock_conflict_note(f, "SMB lease request %s%s%s (%s) vs NLM lock: granted %s%s%s",
			    want & XLOCK_LEASE_R ? "R" : "", want & XLOCK_LEASE_W ? "W" : "",
			    want & XLOCK_LEASE_H ? "H" : "", who,
			    v.state ? "" : "none", v.state & XLOCK_LEASE_R ? "R" : "",
			    v.state & XLOCK_LEASE_H ? "H" : "");
	return v.state;
}
