/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of every xlock decision (events/xlock/ in tracefs):
 *
 *   xlock_request        a request of one protocol, before the rules run
 *   xlock_verdict        what the rules said and what the edge does with it:
 *                        result is go, deny, sharing or retry (enum
 *                        xlock_arb), or undecided when the caller decides
 *                        alone or waits for lease acks to decide again
 *   xlock_grace_verdict  a request decided against the reclaim set in grace
 *   xlock_reclaim        a reclaim in grace matched (or not) a persisted entry
 *   xlock_break_sent     a lease break queued to ksmbd
 *   xlock_break_acked    the break finished: the lease is now at @state
 *   xlock_break_timeout  the client did not ack in time: lease revoked
 *   xlock_grace_start    one grace period for NLM and SMB started
 *   xlock_grace_end      it ended; @left entries were never reclaimed
 *
 * Files appear as dev=MAJOR:MINOR ino=N (as xlockctl shows them); ops,
 * protocols, kinds, verdicts and results by name. Clients appear only as
 * @who, a keyed hash (siphash, key random per module load) of the client
 * name: equal within one load, not reversible.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM xlock

#if !defined(_XLOCK_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _XLOCK_TRACE_H

#include <linux/kdev_t.h>
#include <linux/tracepoint.h>

#include "rules.h"
#include "xlock_types.h"

u32 xlock_trace_hash(const char *client);

/* Tools reading an event's format learn these values from here. */
TRACE_DEFINE_ENUM(XLOCK_OP_NLM_LOCK);
TRACE_DEFINE_ENUM(XLOCK_OP_NLM_TEST);
TRACE_DEFINE_ENUM(XLOCK_OP_SMB_LOCK);
TRACE_DEFINE_ENUM(XLOCK_OP_SMB_LEASE);
TRACE_DEFINE_ENUM(XLOCK_OP_SMB_OPEN);
TRACE_DEFINE_ENUM(XLOCK_OP_NFS_READ);
TRACE_DEFINE_ENUM(XLOCK_OP_NFS_WRITE);
TRACE_DEFINE_ENUM(XLOCK_OP_NFS_REMOVE);
TRACE_DEFINE_ENUM(XLOCK_OP_NFS4_DELEG);
TRACE_DEFINE_ENUM(XLOCK_PROTO_NLM);
TRACE_DEFINE_ENUM(XLOCK_PROTO_SMB);
TRACE_DEFINE_ENUM(XLOCK_KIND_LOCK);
TRACE_DEFINE_ENUM(XLOCK_KIND_LEASE);
TRACE_DEFINE_ENUM(XLOCK_KIND_SHARE);
TRACE_DEFINE_ENUM(XLOCK_V_GRANT);
TRACE_DEFINE_ENUM(XLOCK_V_REDUCED);
TRACE_DEFINE_ENUM(XLOCK_V_DENY);
TRACE_DEFINE_ENUM(XLOCK_V_BREAK);
TRACE_DEFINE_ENUM(XLOCK_ARB_GO);
TRACE_DEFINE_ENUM(XLOCK_ARB_DENY);
TRACE_DEFINE_ENUM(XLOCK_ARB_SHARING);
TRACE_DEFINE_ENUM(XLOCK_ARB_WAIT);

#define xlock_show_op(op)					\
	__print_symbolic(op,					\
			 { XLOCK_OP_NLM_LOCK, "nlm_lock" },	\
			 { XLOCK_OP_NLM_TEST, "nlm_test" },	\
			 { XLOCK_OP_SMB_LOCK, "smb_lock" },	\
			 { XLOCK_OP_SMB_LEASE, "smb_lease" },	\
			 { XLOCK_OP_SMB_OPEN, "smb_open" },	\
			 { XLOCK_OP_NFS_READ, "nfs_read" },	\
			 { XLOCK_OP_NFS_WRITE, "nfs_write" },	\
			 { XLOCK_OP_NFS_REMOVE, "nfs_remove" },	\
			 { XLOCK_OP_NFS4_DELEG, "nfs4_deleg" })

#define xlock_show_proto(proto)					\
	__print_symbolic(proto,					\
			 { XLOCK_PROTO_NLM, "nlm" },		\
			 { XLOCK_PROTO_SMB, "smb" })

#define xlock_show_kind(kind)					\
	__print_symbolic(kind,					\
			 { XLOCK_KIND_LOCK, "lock" },		\
			 { XLOCK_KIND_LEASE, "lease" },		\
			 { XLOCK_KIND_SHARE, "share" })

#define xlock_show_verdict(verdict)				\
	__print_symbolic(verdict,				\
			 { XLOCK_V_GRANT, "grant" },		\
			 { XLOCK_V_REDUCED, "reduced" },	\
			 { XLOCK_V_DENY, "deny" },		\
			 { XLOCK_V_BREAK, "break" })

/* -1: the caller decides alone, or waits for lease acks to decide again. */
#define xlock_show_result(result)				\
	__print_symbolic(result,				\
			 { -1, "undecided" },			\
			 { XLOCK_ARB_GO, "go" },		\
			 { XLOCK_ARB_DENY, "deny" },		\
			 { XLOCK_ARB_SHARING, "sharing" },	\
			 { XLOCK_ARB_WAIT, "retry" })

DECLARE_EVENT_CLASS(xlock_req_class,
	TP_PROTO(const struct xlock_fkey *key, const struct xlock_rule_req *req,
		 const char *who),
	TP_ARGS(key, req, who),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(u64, ino)
		__field(u64, start)
		__field(u64, end)
		__field(u32, who)
		__field(u8, op)
		__field(u8, mode)
		__field(u8, state)
	),
	TP_fast_assign(
		__entry->dev = key->dev;
		__entry->ino = key->ino;
		__entry->start = req->start;
		__entry->end = req->end;
		__entry->who = xlock_trace_hash(who);
		__entry->op = req->op;
		__entry->mode = req->mode;
		__entry->state = req->state;
	),
	TP_printk("dev=%u:%u ino=%llu op=%s mode=%u state=%#x range=%llu-%llu who=%08x",
		  MAJOR(__entry->dev), MINOR(__entry->dev), __entry->ino,
		  xlock_show_op(__entry->op), __entry->mode,
		  __entry->state, __entry->start, __entry->end, __entry->who)
);

DEFINE_EVENT(xlock_req_class, xlock_request,
	TP_PROTO(const struct xlock_fkey *key, const struct xlock_rule_req *req,
		 const char *who),
	TP_ARGS(key, req, who));

DECLARE_EVENT_CLASS(xlock_verdict_class,
	TP_PROTO(const struct xlock_fkey *key, const struct xlock_rule_req *req,
		 const struct xlock_verdict *v, int result, const char *holder),
	TP_ARGS(key, req, v, result, holder),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(u64, ino)
		__field(int, result)
		__field(u32, nbreak)
		__field(u32, holder)
		__field(u8, op)
		__field(u8, verdict)
		__field(u8, state)
		__field(u8, wait)
	),
	TP_fast_assign(
		__entry->dev = key->dev;
		__entry->ino = key->ino;
		__entry->result = result;
		__entry->nbreak = v->nbreak;
		__entry->holder = holder ? xlock_trace_hash(holder) : 0;
		__entry->op = req->op;
		__entry->verdict = v->kind;
		__entry->state = v->state;
		__entry->wait = v->wait;
	),
	TP_printk("dev=%u:%u ino=%llu op=%s verdict=%s state=%#x breaks=%u wait=%u result=%s holder=%08x",
		  MAJOR(__entry->dev), MINOR(__entry->dev), __entry->ino,
		  xlock_show_op(__entry->op),
		  xlock_show_verdict(__entry->verdict),
		  __entry->state, __entry->nbreak, __entry->wait,
		  xlock_show_result(__entry->result),
		  __entry->holder)
);

DEFINE_EVENT(xlock_verdict_class, xlock_verdict,
	TP_PROTO(const struct xlock_fkey *key, const struct xlock_rule_req *req,
		 const struct xlock_verdict *v, int result, const char *holder),
	TP_ARGS(key, req, v, result, holder));

DEFINE_EVENT(xlock_verdict_class, xlock_grace_verdict,
	TP_PROTO(const struct xlock_fkey *key, const struct xlock_rule_req *req,
		 const struct xlock_verdict *v, int result, const char *holder),
	TP_ARGS(key, req, v, result, holder));

TRACE_EVENT(xlock_reclaim,
	TP_PROTO(const struct xlock_fkey *key, u8 proto, u8 kind, const char *who, int result),
	TP_ARGS(key, proto, kind, who, result),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(u64, ino)
		__field(int, result)
		__field(u32, who)
		__field(u8, proto)
		__field(u8, kind)
	),
	TP_fast_assign(
		__entry->dev = key->dev;
		__entry->ino = key->ino;
		__entry->result = result;
		__entry->who = xlock_trace_hash(who);
		__entry->proto = proto;
		__entry->kind = kind;
	),
	TP_printk("dev=%u:%u ino=%llu proto=%s kind=%s who=%08x result=%d",
		  MAJOR(__entry->dev), MINOR(__entry->dev), __entry->ino,
		  xlock_show_proto(__entry->proto),
		  xlock_show_kind(__entry->kind), __entry->who,
		  __entry->result)
);

DECLARE_EVENT_CLASS(xlock_break_class,
	TP_PROTO(const struct xlock_fkey *key, u32 id, u8 to, u8 state, u64 ns),
	TP_ARGS(key, id, to, state, ns),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(u64, ino)
		__field(u64, us)
		__field(u32, id)
		__field(u8, to)
		__field(u8, state)
	),
	TP_fast_assign(
		__entry->dev = key->dev;
		__entry->ino = key->ino;
		__entry->us = ns / 1000;
		__entry->id = id;
		__entry->to = to;
		__entry->state = state;
	),
	TP_printk("dev=%u:%u ino=%llu entry=%u to=%#x state=%#x after_us=%llu",
		  MAJOR(__entry->dev), MINOR(__entry->dev), __entry->ino, __entry->id,
		  __entry->to, __entry->state, __entry->us)
);

DEFINE_EVENT(xlock_break_class, xlock_break_sent,
	TP_PROTO(const struct xlock_fkey *key, u32 id, u8 to, u8 state, u64 ns),
	TP_ARGS(key, id, to, state, ns));

DEFINE_EVENT(xlock_break_class, xlock_break_acked,
	TP_PROTO(const struct xlock_fkey *key, u32 id, u8 to, u8 state, u64 ns),
	TP_ARGS(key, id, to, state, ns));

DEFINE_EVENT(xlock_break_class, xlock_break_timeout,
	TP_PROTO(const struct xlock_fkey *key, u32 id, u8 to, u8 state, u64 ns),
	TP_ARGS(key, id, to, state, ns));

DECLARE_EVENT_CLASS(xlock_grace_class,
	TP_PROTO(unsigned int secs, unsigned int entries, unsigned int left),
	TP_ARGS(secs, entries, left),
	TP_STRUCT__entry(
		__field(u32, secs)
		__field(u32, entries)
		__field(u32, left)
	),
	TP_fast_assign(
		__entry->secs = secs;
		__entry->entries = entries;
		__entry->left = left;
	),
	TP_printk("secs=%u entries=%u left=%u", __entry->secs, __entry->entries,
		  __entry->left)
);

DEFINE_EVENT(xlock_grace_class, xlock_grace_start,
	TP_PROTO(unsigned int secs, unsigned int entries, unsigned int left),
	TP_ARGS(secs, entries, left));

DEFINE_EVENT(xlock_grace_class, xlock_grace_end,
	TP_PROTO(unsigned int secs, unsigned int entries, unsigned int left),
	TP_ARGS(secs, entries, left));

#endif /* _XLOCK_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE xlock_trace
#include <trace/define_trace.h>
