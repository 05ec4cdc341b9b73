/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * xlock: one lock table for knfsd/lockd (NLM) and ksmbd (SMB).
 *
 * Documentation
 * =============
 *
 * xlock speaks generic netlink, family XLOCK_GENL_NAME ("xlock"), version
 * XLOCK_GENL_VERSION. All attributes share one name space (XLOCK_A_*); every
 * command has its own policy, and the kernel rejects, with an extended-ack
 * message naming the attribute, any attribute the command does not take,
 * any unknown flag bit, a value out of range and trailing data.
 *
 * Commands marked "admin" need CAP_NET_ADMIN in the network namespace's
 * owning user namespace; unprivileged callers get -EPERM and change nothing.
 *
 * Objects
 * -------
 *
 * A *file* is an inode, whichever protocol reaches it: (XLOCK_A_DEV,
 * XLOCK_A_INO). An *entry* is one thing held on a file:
 *
 *    XLOCK_KIND_LOCK   a byte-range lock, NLM (through lockd) or SMB (SMB2
 *                      LOCK through ksmbd): XLOCK_A_MODE (XLOCK_MODE_SHARED
 *                      or XLOCK_MODE_EXCL), XLOCK_A_START and XLOCK_A_END
 *                      (inclusive; XLOCK_END_MAX for "to end of file").
 *    XLOCK_KIND_LEASE  an SMB lease or oplock: XLOCK_A_LEASE_STATE, a mask of
 *                      XLOCK_LEASE_R (read caching), XLOCK_LEASE_H (handle
 *                      caching), XLOCK_LEASE_W (write caching). Oplocks are
 *                      shown as leases: batch = RWH, exclusive = RW,
 *                      level II = R.
 *    XLOCK_KIND_SHARE  an SMB open's share mode: XLOCK_A_SHARE_ACCESS (what
 *                      the opener does: XLOCK_SHARE_READ|WRITE|DELETE) and
 *                      XLOCK_A_SHARE_ALLOW (what it lets others do, same bits).
 *    XLOCK_KIND_DELEG  an NFSv4 delegation: XLOCK_A_LEASE_STATE XLOCK_LEASE_R
 *                      (read) or XLOCK_LEASE_R|XLOCK_LEASE_W (write). The
 *                      table keeps the delegations nfsd sets only so that
 *                      they can be persisted and reclaimed: conflicts with
 *                      them are decided on nfsd's own state.
 *
 * Every entry has a unique XLOCK_A_ENTRY_ID (below 2^31), a protocol XLOCK_A_PROTO
 * (XLOCK_PROTO_NLM, XLOCK_PROTO_SMB, or XLOCK_PROTO_NFS4 for delegations),
 * an owner and a share. The owner is a client, shown as XLOCK_A_CLIENT,
 * "nlm:<caller name>", "smb:<address>" or "nfs4:<address>",
 * with XLOCK_A_CLIENT_ADDR, plus per protocol: NLM XLOCK_A_NLM_SVID and
 * XLOCK_A_NLM_OH (NLA_U64, a hash of the owner handle, when known); SMB
 * XLOCK_A_SMB_GUID (client GUID) and, for leases, XLOCK_A_SMB_LEASE_KEY.
 * XLOCK_A_SMB_FID is only taken by XLOCK_CMD_TEST_ADD (a test entry's open,
 * which XLOCK_CMD_CLEAR_CLIENT and the rules treat like a real one). XLOCK_A_FLAGS carries
 * XLOCK_ENTRY_F_PENDING (a blocked request waiting to be granted, not held),
 * XLOCK_ENTRY_F_BREAKING (a lease break is in flight; XLOCK_A_BREAK_TO is
 * the state it breaks to) and XLOCK_ENTRY_F_TEST (added by XLOCK_CMD_TEST_ADD).
 * XLOCK_ENTRY_F_TEARDOWN is only set on XLOCK_EVENT_RELEASE: the entry went
 * because its server is shutting down (lockd stopping in its network
 * namespace, ksmbd resetting or unloading, nfsd stopping), not because its owner let it
 * go; the owner may reclaim it after the server restarts, so a persistence
 * daemon keeps it.
 *
 * A *share* (one per exported directory; "UnifiedLockView") holds policy.
 * Share 0, "default", covers every file that no registered share contains
 * and cannot be removed. A file belongs to the deepest share whose directory
 * contains it, decided when its first entry is added.
 *
 * XLOCK_CMD_GET_STATUS
 * --------------------
 *
 * Do, any caller. Returns:
 *
 *    XLOCK_A_VERSION: NLA_STRING, module version
 *    XLOCK_A_GENERATION: NLA_U64, bumped by every change to the table
 *    XLOCK_A_EDGES: NLA_NESTED
 *        XLOCK_A_EDGE: NLA_NESTED, one per protocol module
 *            XLOCK_A_NAME: NLA_STRING, "lockd", "nfsd" or "ksmbd"
 *            XLOCK_A_EDGE_STATE: NLA_U8, XLOCK_EDGE_{ABSENT,ACTIVE,REFUSED}
 *            XLOCK_A_REASON: NLA_STRING, why not active (may be absent)
 *    XLOCK_A_NR_ENTRIES, XLOCK_A_NR_FILES, XLOCK_A_NR_CLIENTS: NLA_U64
 *    XLOCK_A_NR_NLM_LOCKS, XLOCK_A_NR_SMB_LOCKS, XLOCK_A_NR_LEASES,
 *    XLOCK_A_NR_SHARE_MODES, XLOCK_A_NR_DELEGS: NLA_U64, entries by kind
 *                     (XLOCK_A_NR_DELEGS: NFSv4 delegations; absent from
 *                     modules older than the attribute)
 *    XLOCK_A_LIMIT_TOTAL, XLOCK_A_LIMIT_FILE, XLOCK_A_LIMIT_CLIENT: NLA_U32
 *    XLOCK_A_LIMIT_HITS: NLA_U64, requests refused because a limit was hit
 *    XLOCK_A_PERSIST: NLA_U8, 0 = no daemon attached (persistence and reclaim
 *                     verification off; coherence is still enforced)
 *    XLOCK_A_GRACE_STATE: NLA_U8, enum xlock_grace_state (XLOCK_CMD_GET_GRACE)
 *    XLOCK_A_STATS: NLA_NESTED, counters since load: attribute type
 *                   XLOCK_STAT_* (below), each NLA_U64
 *    XLOCK_A_BREAK_LATENCY: NLA_NESTED, histogram of lease break times
 *                   (start to ack, revoke or give-up): attribute type i + 1
 *                   (NLA_U64) counts breaks that took at most
 *                   XLOCK_LATENCY_BOUNDS_MS[i] ms; the last bucket has no
 *                   bound
 *    XLOCK_A_BREAK_TIME_NS: NLA_U64, the sum of those breaks' times (ns)
 *    XLOCK_A_TEST_API: NLA_U8, 1 if XLOCK_CMD_TEST_ADD is enabled
 *
 * XLOCK_CMD_SET_CONFIG
 * --------------------
 *
 * Do, admin. Any of XLOCK_A_LIMIT_TOTAL (1..2^26), XLOCK_A_LIMIT_FILE
 * (1..2^20), XLOCK_A_LIMIT_CLIENT (1..2^26): NLA_U32. Lowering a limit
 * below the current count refuses new entries only; nothing is dropped.
 *
 * XLOCK_CMD_GET_SHARES
 * --------------------
 *
 * Dump, any caller: a share's directory is exported, which the servers
 * already make public (showmount -e, a world-readable /etc/exports); no
 * client is named. One message per share:
 *
 *    XLOCK_A_SHARE_ID: NLA_U32
 *    XLOCK_A_NAME: NLA_STRING, at most XLOCK_NAME_MAX - 1 bytes
 *    XLOCK_A_PATH: NLA_STRING, the directory (absent for share 0)
 *    XLOCK_A_SHARE_FLAGS: NLA_U32, XLOCK_SHARE_F_ENABLED
 *    XLOCK_A_BREAK_TIMEOUT_MS: NLA_U32, lease break timeout (default 35000)
 *    XLOCK_A_GRACE_S: NLA_U32, grace period length (default 90)
 *    XLOCK_A_NR_ENTRIES: NLA_U64
 *
 * XLOCK_CMD_ADD_SHARE, XLOCK_CMD_SET_SHARE, XLOCK_CMD_DEL_SHARE
 * -------------------------------------------------------------
 *
 * Do, admin. ADD takes XLOCK_A_PATH (an absolute path to an existing
 * directory, at most PATH_MAX bytes) and optionally XLOCK_A_NAME and the
 * policy attributes XLOCK_A_SHARE_FLAGS, XLOCK_A_BREAK_TIMEOUT_MS
 * (100..3600000) and XLOCK_A_GRACE_S (1..3600); it answers with
 * XLOCK_A_SHARE_ID. A directory already registered gives -EEXIST. SET takes
 * XLOCK_A_SHARE_ID and any policy attribute. DEL takes XLOCK_A_SHARE_ID; a
 * share with entries gives -EBUSY (clear them first); share 0 gives -EINVAL.
 * A disabled share (no XLOCK_SHARE_F_ENABLED) still records entries but
 * xlock does not change any protocol's answer on it.
 *
 * XLOCK_CMD_GET_LOCKS
 * -------------------
 *
 * Dump, admin. Optional filters, all of which must match: XLOCK_A_SHARE_ID,
 * XLOCK_A_PATH (an absolute path: every entry on that file, whatever the
 * protocol; this is GetAllLocksOnFile), XLOCK_A_CLIENT (exact client string).
 * One message per entry, in entry-id order:
 *
 *    XLOCK_A_ENTRY_ID: NLA_U64
 *    XLOCK_A_PROTO, XLOCK_A_KIND: NLA_U8
 *    XLOCK_A_FLAGS: NLA_U32
 *    XLOCK_A_DEV, XLOCK_A_INO: NLA_U64
 *    XLOCK_A_PATH: NLA_STRING, the file's current path if known
 *    XLOCK_A_SHARE_ID: NLA_U32
 *    XLOCK_A_CLIENT, XLOCK_A_CLIENT_ADDR: NLA_STRING
 *    XLOCK_A_AGE_MS: NLA_U64, time since the entry was added
 *    then by kind: LOCK: XLOCK_A_MODE (NLA_U8), XLOCK_A_START, XLOCK_A_END
 *    (NLA_U64); LEASE: XLOCK_A_LEASE_STATE, XLOCK_A_BREAK_TO (NLA_U8);
 *    DELEG: XLOCK_A_LEASE_STATE;
 *    SHARE: XLOCK_A_SHARE_ACCESS, XLOCK_A_SHARE_ALLOW (NLA_U8);
 *    and by protocol the owner attributes listed under "Objects".
 *
 * With XLOCK_A_PATH (and no XLOCK_A_CLIENT), the file's NFSv4 holders
 * follow the table's entries: nfsd's byte-range locks (XLOCK_KIND_LOCK) and
 * delegations (XLOCK_KIND_DELEG), XLOCK_A_PROTO XLOCK_PROTO_NFS4,
 * XLOCK_A_CLIENT "nfs4:<nfsd's client id, 16 hex digits>@<address>" and
 * XLOCK_A_CLIENT_ADDR.
 * NFSv4 state is nfsd's own: these are read from the VFS when the dump gets
 * to them, are not in the table (their XLOCK_A_ENTRY_ID, 2^31 and up, only
 * numbers them within the dump) and have no XLOCK_A_AGE_MS; the table's
 * own delegation entries are left out of such a dump.
 *
 * The dump resumes where the previous message batch stopped (the cursor is
 * the last entry id sent), so it sees every entry that exists for the whole
 * dump exactly once. Each message carries the table generation
 * (XLOCK_A_GENERATION); when the
 * table changed during the dump, the kernel sets NLM_F_DUMP_INTR on the next
 * message and the caller should start again if it needs a snapshot.
 *
 * XLOCK_CMD_BREAK
 * ---------------
 *
 * Do, admin. XLOCK_A_ENTRY_ID of a lease, optionally XLOCK_A_LEASE_STATE (the
 * state to break to, default none: only bits the lease holds can go, and R
 * only all at once). Starts a break as if another protocol had asked for
 * it; the answer does not wait for the client's ack (XLOCK_EVENT_CHANGE
 * follows). Not a lease, or a state the lease cannot break to: -EINVAL;
 * holding no more than that already: -EALREADY; no such entry: -ENOENT;
 * ksmbd edge not active: -ENOTCONN.
 *
 * XLOCK_CMD_CLEAR_CLIENT
 * ----------------------
 *
 * Do, admin. XLOCK_A_CLIENT, as shown: "nlm:<name>" or "smb:<address>" (an
 * SMB client may also be named "smb:<client GUID in hex>"). Releases what
 * that client holds: its NLM and SMB byte-range locks are released in the
 * VFS (the NLM client is not told, as when lockd drops a rebooted client's
 * locks), its SMB leases are broken to none, its test entries removed.
 * Answers with XLOCK_A_NR_ENTRIES, the number of entries released or broken.
 *
 * XLOCK_CMD_TEST_ADD, XLOCK_CMD_TEST_DEL
 * --------------------------------------
 *
 * Do, admin, and only when the module was loaded with test_api=1 (else
 * -EOPNOTSUPP). TEST_ADD adds an entry with XLOCK_ENTRY_F_TEST set on the
 * file at XLOCK_A_PATH, from XLOCK_A_PROTO, XLOCK_A_KIND, XLOCK_A_CLIENT and
 * the kind's attributes, through the same table code and limits as the
 * protocol edges, and answers with XLOCK_A_ENTRY_ID. TEST_DEL removes the
 * test entry XLOCK_A_ENTRY_ID. Used by the selftests to fill the table.
 *
 * XLOCK_CMD_DAEMON_REGISTER
 * -------------------------
 *
 * Do, admin. The sending socket becomes the persistence daemon (xlockd):
 * XLOCK_A_PERSIST turns 1 in the status until that socket closes. A second
 * registration while the first socket is open gives -EBUSY. The reply has
 * XLOCK_A_INSTANCE (NLA_U64), a random number fixed for this load of the
 * module: a daemon that finds the instance it persisted knows the table it
 * journaled is still in the kernel; a new instance means the module (or the
 * server) restarted and the persisted state is to be reclaimed. It also
 * has XLOCK_A_GRACE_STATE (as for XLOCK_CMD_GET_GRACE) and
 * XLOCK_A_GENERATION.
 *
 * XLOCK_CMD_RECLAIM_ADD
 * ---------------------
 *
 * Do, admin. Adds persisted entries of one owner on one file to the reclaim
 * set, before grace starts (after: -EBUSY). XLOCK_A_PATH is the file (its
 * current inode is looked up; a file that no longer exists gives -ENOENT:
 * nothing on it can be reclaimed), XLOCK_A_CLIENT the owner's identity (NLM
 * caller name, SMB client GUID in 32 hex digits, NFSv4 client address),
 * XLOCK_A_RECLAIM_RECS
 * (NLA_BINARY) an array of struct xlock_reclaim_rec (below), at most
 * XLOCK_RECLAIM_RECS_MAX. A record with an unknown value or a non-zero
 * reserved field rejects the whole message; the extended ack names it.
 * Share modes are not reclaimed (an open does not survive a restart), so
 * only XLOCK_KIND_LOCK, XLOCK_KIND_LEASE and (XLOCK_PROTO_NFS4 only)
 * XLOCK_KIND_DELEG are taken; a delegation is reclaimed when nfsd sets one
 * for that client on that file in grace, and until then SMB opens it
 * would be recalled for get a sharing violation. Answers with
 * XLOCK_A_NR_ENTRIES, the size of the set.
 *
 * XLOCK_CMD_GRACE_START, XLOCK_CMD_GRACE_END
 * ------------------------------------------
 *
 * Do, admin. GRACE_START starts one grace period for NLM and SMB,
 * XLOCK_A_GRACE_S seconds long (default: share 0's grace_s), through the
 * kernel's grace manager, so lockd (and nfsd) hold back every non-reclaim
 * lock while it runs (they also run their own, shorter or not: the grace
 * lasts as long as the longest). During grace a reclaim is granted only if
 * it matches an entry of the reclaim set (NLM: caller name, svid, file,
 * range and type; SMB: client GUID and lease key for a lease, client GUID,
 * file, range and type for a lock); other NLM reclaims are refused
 * (NLM4_DENIED) and logged. SMB requests that conflict with entries not yet
 * reclaimed are refused: an SMB2 LOCK with STATUS_FILE_NOT_AVAILABLE (MS-SMB2's
 * "try again later", which a failing-over server answers), a lease is
 * granted without the caching those entries exclude. Grace ends after its
 * time, when every entry of the set was reclaimed, or on GRACE_END. The
 * first two wait while nfsd (initial network namespace) is in its NFSv4
 * grace and has not tried to end it yet (its clients may still reclaim;
 * XLOCK_A_GRACE_LEFT_MS is then 0), and nfsd's NFSv4 grace in turn ends
 * only with xlock's: one window, the longer of the two. What was not
 * reclaimed is forgotten (XLOCK_EVENT_GRACE_END carries
 * XLOCK_A_NR_ENTRIES, how many). GRACE_END answers with that count; with
 * no grace running it drops a reclaim set that was loaded but not started
 * (a daemon that died half-way through loading), and gives -ENOENT if
 * there is none.
 *
 * XLOCK_CMD_GET_GRACE
 * -------------------
 *
 * Do, any caller. XLOCK_A_GRACE_STATE (NLA_U8, XLOCK_GRACE_NONE: none has
 * run since the module loaded, XLOCK_GRACE_RUNNING, XLOCK_GRACE_OVER),
 * XLOCK_A_GRACE_LEFT_MS (NLA_U64), XLOCK_A_NR_ENTRIES (reclaim set size),
 * XLOCK_A_NR_RECLAIMED (NLA_U64), and, to a caller with CAP_NET_ADMIN only
 * (it names clients, as the lock dump does), XLOCK_A_CLIENTS: NLA_NESTED, one
 * XLOCK_A_CLIENT_RECLAIM (NLA_NESTED: XLOCK_A_CLIENT, XLOCK_A_NR_ENTRIES,
 * XLOCK_A_NR_RECLAIMED) per client of the reclaim set (at most 64).
 *
 * Events
 * ------
 *
 * The multicast group XLOCK_GENL_MCGRP_EVENTS (admin to join) receives
 * XLOCK_CMD_EVENT messages: XLOCK_A_EVENT (NLA_U8, XLOCK_EVENT_*) and the
 * entry's attributes as in GET_LOCKS, with XLOCK_A_PATH while a daemon is
 * registered (for XLOCK_EVENT_CONFLICT, the entry
 * that was in the way, plus XLOCK_A_REQ_CLIENT and XLOCK_A_OUTCOME).
 * Events are sent in batches, at most the module parameter
 * events_batch_ms (default 4, at least a jiffy) after the change, and an
 * entry's events coalesce while they wait: a listener sees the entry's
 * latest state (a GRANT or CHANGE carries the state at send time; a
 * RELEASE ends a CHANGE not sent yet), and an entry added and removed
 * within one batch produces no event at all. A batch's time starts at
 * its first event: an entry that lives less than events_batch_ms while
 * no other event waits is never sent. The xlock tracepoints see every
 * operation.
 *
 * SMB status codes
 * ----------------
 *
 * When xlock refuses an SMB request because of NFS state it uses
 * STATUS_LOCK_NOT_GRANTED for byte-range conflicts and
 * STATUS_SHARING_VIOLATION for share-mode conflicts.
 */
#ifndef _UAPI_LINUX_XLOCK_H
#define _UAPI_LINUX_XLOCK_H

#include <linux/types.h>

#define XLOCK_GENL_NAME "xlock"
#define XLOCK_GENL_VERSION 1
#define XLOCK_GENL_MCGRP_EVENTS "events"

#define XLOCK_NAME_MAX 64
#define XLOCK_END_MAX (~0ULL)

enum xlock_cmd {
	XLOCK_CMD_UNSPEC,
	XLOCK_CMD_GET_STATUS,
	XLOCK_CMD_SET_CONFIG,
	XLOCK_CMD_GET_SHARES,
	XLOCK_CMD_ADD_SHARE,
	XLOCK_CMD_SET_SHARE,
	XLOCK_CMD_DEL_SHARE,
	XLOCK_CMD_GET_LOCKS,
	XLOCK_CMD_BREAK,
	XLOCK_CMD_CLEAR_CLIENT,
	XLOCK_CMD_TEST_ADD,
	XLOCK_CMD_TEST_DEL,
	XLOCK_CMD_EVENT,
	XLOCK_CMD_DAEMON_REGISTER,
	XLOCK_CMD_RECLAIM_ADD,
	XLOCK_CMD_GRACE_START,
	XLOCK_CMD_GRACE_END,
	XLOCK_CMD_GET_GRACE,
	__XLOCK_CMD_MAX
};

#define XLOCK_CMD_MAX (__XLOCK_CMD_MAX - 1)

enum xlock_attr {
	XLOCK_A_UNSPEC,
	XLOCK_A_VERSION,
	XLOCK_A_GENERATION,
	XLOCK_A_EDGES,
	XLOCK_A_EDGE,
	XLOCK_A_NAME,
	XLOCK_A_EDGE_STATE,
	XLOCK_A_REASON,
	XLOCK_A_NR_ENTRIES,
	XLOCK_A_NR_FILES,
	XLOCK_A_NR_CLIENTS,
	XLOCK_A_NR_NLM_LOCKS,
	XLOCK_A_NR_SMB_LOCKS,
	XLOCK_A_NR_LEASES,
	XLOCK_A_NR_SHARE_MODES,
	XLOCK_A_LIMIT_TOTAL,
	XLOCK_A_LIMIT_FILE,
	XLOCK_A_LIMIT_CLIENT,
	XLOCK_A_LIMIT_HITS,
	XLOCK_A_PERSIST,
	XLOCK_A_TEST_API,
	XLOCK_A_SHARE_ID,
	XLOCK_A_PATH,
	XLOCK_A_SHARE_FLAGS,
	XLOCK_A_BREAK_TIMEOUT_MS,
	XLOCK_A_GRACE_S,
	XLOCK_A_ENTRY_ID,
	XLOCK_A_PROTO,
	XLOCK_A_KIND,
	XLOCK_A_FLAGS,
	XLOCK_A_DEV,
	XLOCK_A_INO,
	XLOCK_A_CLIENT,
	XLOCK_A_CLIENT_ADDR,
	XLOCK_A_AGE_MS,
	XLOCK_A_MODE,
	XLOCK_A_START,
	XLOCK_A_END,
	XLOCK_A_LEASE_STATE,
	XLOCK_A_BREAK_TO,
	XLOCK_A_SHARE_ACCESS,
	XLOCK_A_SHARE_ALLOW,
	XLOCK_A_NLM_SVID,
	XLOCK_A_NLM_OH,
	XLOCK_A_SMB_GUID,
	XLOCK_A_SMB_LEASE_KEY,
	XLOCK_A_SMB_FID,
	XLOCK_A_EVENT,
	XLOCK_A_REQ_CLIENT,
	XLOCK_A_OUTCOME,
	XLOCK_A_PAD,
	XLOCK_A_STATS,
	XLOCK_A_BREAK_LATENCY,
	XLOCK_A_INSTANCE,
	XLOCK_A_GRACE_STATE,
	XLOCK_A_GRACE_LEFT_MS,
	XLOCK_A_NR_RECLAIMED,
	XLOCK_A_CLIENTS,
	XLOCK_A_CLIENT_RECLAIM,
	XLOCK_A_RECLAIM_RECS,
	XLOCK_A_BREAK_TIME_NS,
	XLOCK_A_NR_DELEGS,
	__XLOCK_A_MAX
};

#define XLOCK_A_MAX (__XLOCK_A_MAX - 1)

enum xlock_edge_state {
	XLOCK_EDGE_ABSENT,
	XLOCK_EDGE_ACTIVE,
	XLOCK_EDGE_REFUSED,
};

enum xlock_proto {
	XLOCK_PROTO_NLM = 1,
	XLOCK_PROTO_SMB = 2,
	XLOCK_PROTO_NFS4 = 3,	/* delegations, and NFSv4 holders in --path dumps */
};

enum xlock_kind {
	XLOCK_KIND_LOCK = 1,
	XLOCK_KIND_LEASE = 2,
	XLOCK_KIND_SHARE = 3,
	XLOCK_KIND_DELEG = 4,	/* NFSv4 delegation, XLOCK_PROTO_NFS4 only */
};

enum xlock_mode {
	XLOCK_MODE_SHARED = 1,
	XLOCK_MODE_EXCL = 2,
};

/* Lease state bits, the values SMB2 uses on the wire. */
#define XLOCK_LEASE_R 0x01
#define XLOCK_LEASE_H 0x02
#define XLOCK_LEASE_W 0x04
#define XLOCK_LEASE_ALL (XLOCK_LEASE_R | XLOCK_LEASE_H | XLOCK_LEASE_W)

/* Share access and share-allow bits (FILE_SHARE_READ/WRITE/DELETE). */
#define XLOCK_SHARE_READ 0x01
#define XLOCK_SHARE_WRITE 0x02
#define XLOCK_SHARE_DELETE 0x04
#define XLOCK_SHARE_ALL (XLOCK_SHARE_READ | XLOCK_SHARE_WRITE | XLOCK_SHARE_DELETE)

enum xlock_entry_flags {
	XLOCK_ENTRY_F_PENDING = 1U << 0,
	XLOCK_ENTRY_F_BREAKING = 1U << 1,
	XLOCK_ENTRY_F_TEST = 1U << 2,
	XLOCK_ENTRY_F_TEARDOWN = 1U << 3,
	__XLOCK_ENTRY_F_ALL = XLOCK_ENTRY_F_PENDING | XLOCK_ENTRY_F_BREAKING |
			      XLOCK_ENTRY_F_TEST | XLOCK_ENTRY_F_TEARDOWN
};

enum xlock_share_flags {
	XLOCK_SHARE_F_ENABLED = 1U << 0,
	__XLOCK_SHARE_F_ALL = XLOCK_SHARE_F_ENABLED
};

enum xlock_event {
	XLOCK_EVENT_GRANT = 1,		/* an entry was added */
	XLOCK_EVENT_RELEASE,		/* an entry was removed */
	XLOCK_EVENT_CHANGE,		/* a lease changed state */
	XLOCK_EVENT_BREAK,		/* a lease break was sent */
	XLOCK_EVENT_BREAK_TIMEOUT,	/* a lease break was not acked in time */
	XLOCK_EVENT_CONFLICT,		/* a cross-protocol conflict was decided */
	XLOCK_EVENT_GRACE_START,
	XLOCK_EVENT_GRACE_END,		/* XLOCK_A_NR_ENTRIES: not reclaimed */
	XLOCK_EVENT_RECLAIM,		/* an entry was reclaimed */
	XLOCK_EVENT_RECLAIM_REFUSED,	/* a reclaim matched nothing persisted */
};

/* Counters in XLOCK_A_STATS. */
enum xlock_stat {
	XLOCK_STAT_UNSPEC,
	XLOCK_STAT_NFS_VS_LEASE,	/* NFS/NLM request met an SMB lease */
	XLOCK_STAT_NFS_VS_SMB_LOCK,	/* NLM request met an SMB byte-range lock */
	XLOCK_STAT_NFS_VS_SHARE,	/* NFS/NLM request met an SMB share mode */
	XLOCK_STAT_SMB_VS_NLM,		/* SMB lease, lock or open met an NLM lock */
	XLOCK_STAT_BREAKS_SENT,
	XLOCK_STAT_BREAKS_DONE,		/* acked, or nothing left to break */
	XLOCK_STAT_BREAKS_TIMED_OUT,	/* not acked in time: lease revoked */
	XLOCK_STAT_NLM_BLOCKED,		/* NLM4_BLOCKED because of SMB state */
	XLOCK_STAT_NLM_GRANTED_CB,	/* NLM GRANTED callbacks sent by xlock */
	XLOCK_STAT_NLM_RETRY,		/* non-blocking NLM requests left to retry */
	XLOCK_STAT_NFS_JUKEBOX,		/* NFS requests answered NFS3ERR_JUKEBOX */
	XLOCK_STAT_DENIED,		/* requests refused because of the other side */
	XLOCK_STAT_REDUCED,		/* SMB leases granted smaller */
	XLOCK_STAT_RECLAIMED,		/* reclaims matched in grace */
	XLOCK_STAT_RECLAIM_REFUSED,	/* reclaims that matched nothing persisted */
	XLOCK_STAT_NOT_RECORDED,	/* granted by a server, not in the table (no memory) */
	__XLOCK_STAT_MAX
};

#define XLOCK_STAT_MAX (__XLOCK_STAT_MAX - 1)

/* Upper bounds (ms) of the XLOCK_A_BREAK_LATENCY buckets but the last. */
#define XLOCK_LATENCY_BOUNDS_MS { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, \
				  2000, 5000, 10000, 35000 }
#define XLOCK_LATENCY_BUCKETS 15

/* XLOCK_A_OUTCOME of a conflict event. */
enum xlock_outcome {
	XLOCK_OUTCOME_GRANTED = 1,	/* after breaking the other side */
	XLOCK_OUTCOME_REDUCED,		/* granted with a smaller lease */
	XLOCK_OUTCOME_DENIED,
	XLOCK_OUTCOME_BLOCKED,		/* queued, granted later */
	XLOCK_OUTCOME_RETRY,		/* client told to retry */
};

/* XLOCK_A_GRACE_STATE */
enum xlock_grace_state {
	XLOCK_GRACE_NONE,
	XLOCK_GRACE_RUNNING,
	XLOCK_GRACE_OVER,
};

/*
 * One persisted entry in XLOCK_A_RECLAIM_RECS, native byte order. LOCK:
 * mode, start, end (inclusive), svid for NLM; LEASE (SMB only): state and
 * lease_key, start 0 and end XLOCK_END_MAX. Unused fields are zero.
 */
struct xlock_reclaim_rec {
	__u64 start;
	__u64 end;
	__u32 svid;
	__u8 proto;
	__u8 kind;
	__u8 mode;
	__u8 state;
	__u8 lease_key[16];
	__u64 reserved;
};

#define XLOCK_RECLAIM_RECS_MAX 1024

#endif /* _UAPI_LINUX_XLOCK_H */
