/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlockd's on-disk state, format version 2 (version 1 is still read, and
 * rewritten as version 2 when xlockd starts on it).
 *
 * The state directory (/var/lib/xlockd) holds up to three state files and
 * the lock file:
 *
 *   snapshot   every entry of the lock table as of one moment
 *   journal    what changed since that snapshot, appended in batches
 *   reclaim    after a restart: the previous instance's entries, kept
 *              until the grace period that lets clients reclaim them ends
 *   lock       flock()ed by the xlockd that owns the directory (its pid)
 *
 * All integers are little-endian. Every state file starts with a 40-byte
 * header:
 *
 *   magic[8]   "XLOCKSNP" (snapshot, reclaim) or "XLOCKJNL" (journal)
 *   version    u32, 2
 *   flags      u32, 0
 *   instance   u64, the module instance the entries belong to (see
 *              XLOCK_A_INSTANCE in include/uapi/linux/xlock.h)
 *   seq        u64, the snapshot's sequence number (0 in a reclaim file);
 *              a journal belongs to the snapshot with the same seq
 *   reserved   u32, 0
 *   check      u32, CRC32C of the 36 bytes before it
 *
 * Then records, each: u32 body length, u32 check, the body. A record's
 * check is the CRC32C of its length field and its body, computed on from
 * the header's check as initial value: a damaged length does not check,
 * and neither does a record copied from another file. The body:
 *
 *   u8 type    1 ENTRY: an entry was granted or changed (replaces any
 *                       entry with the same id)
 *              2 RELEASE: an entry went
 *              3 END: last record of a snapshot or reclaim file
 *              4 BATCH: starts a batch of the journal
 *   ENTRY:   u32 id, u8 proto, u8 kind, u8 mode, u8 state, u32 flags
 *            (XLOCK_ENTRY_F_*; XLOCK_ENTRY_F_TEARDOWN: the server dropped
 *            it while shutting down, kept for its owner to reclaim),
 *            u64 start, u64 end, u32 svid, u8 lease_key[16],
 *            u16 client length, client (the owner's identity: NLM caller
 *            name, SMB client GUID in hex), u16 path length, path
 *   RELEASE: u32 id
 *   END:     u64 number of ENTRY records in the file
 *   BATCH:   u32 number (1 for the first batch of a journal, then +1),
 *            u32 records, u32 bytes: the ENTRY and RELEASE records that
 *            follow and belong to the batch, and their size
 *
 * A snapshot or reclaim file is ENTRY records and an END. A journal is
 * batches: a BATCH record and its records, written with one write() and
 * made durable with one fdatasync() (group commit); xlockd acknowledges
 * the batch's records (--ack-log) only after that fdatasync returned, and
 * writes the next batch only after that.
 *
 * Writing a snapshot: a temporary file, fsynced, renamed over the old one,
 * the directory fsynced; then a new, empty journal with the snapshot's seq
 * replaces the old one the same way. A crash between the two leaves the
 * journal of the previous snapshot (seq one lower), whose records are all
 * in the new snapshot.
 *
 * Loading: a bad magic, version, flag or header check, a snapshot without
 * its END or with a wrong count, a record that does not check, has the
 * wrong type or a malformed body, is an error that names the file and the
 * offset, and xlockd does not start; nothing is silently dropped. So is a
 * journal whose seq is neither the snapshot's nor one lower (only one lower
 * is the crash above, and that journal is then ignored), a journal of
 * another instance, or a missing journal beside a snapshot other than the
 * first. A journal may end with a torn batch, what a crash leaves of a
 * write that was never acknowledged, and only that: when the last batch
 * does not check (a record cut short, zeros where a write did not reach
 * the disk, the batch header alone on disk, a damaged byte), and nothing
 * follows it (its BATCH record says it reaches the end of the file, or,
 * when the BATCH record itself does not check, no valid BATCH record comes
 * after it). That batch is cut off as a whole and the log says where and
 * how much. Damage anywhere before a batch that follows it is an error:
 * a batch is written only after the one before it was acknowledged.
 *
 * Version 1 (read only): a 32-byte header without reserved and check
 * fields, records checked over their body alone (CRC32C from 0), no BATCH
 * records; an incomplete last record or a zero-filled tail is cut off.
 */
#ifndef XLOCKD_JOURNAL_H
#define XLOCKD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define JOURNAL_VERSION 2

struct jbuf {
	unsigned char *p;
	size_t len, cap;
};

struct journal {
	int dirfd;
	int lockfd;		/* "lock", flock()ed while we own the directory */
	int fd;			/* the open journal, appending */
	bool readonly;		/* loaded to look at: never writes */
	char dir[4096];
	uint64_t instance;
	uint64_t seq;
	uint64_t size;		/* journal bytes, for compaction */
	uint64_t snapshot_size;
	uint32_t salt;		/* the journal header's check: seeds its records' */
	uint32_t batch_no;	/* the next batch's number */
	uint32_t batch_recs;	/* records queued in it */
	struct jbuf q;		/* the batch waiting for the next commit */
	char err[512];		/* why the last call failed */
};

/*
 * Load the state in @dir into @st (and the reclaim file into @old, with the
 * instance it came from in *@old_instance, 0 if there is none). 0, -EBUSY
 * if another xlockd owns @dir, or -1; j->err says why (for a damaged file:
 * which, and at what offset).
 *
 * Unless @readonly, the directory becomes ours first: it is created if
 * missing and its file "lock" is flock()ed for as long as @j is open (the
 * kernel drops the lock when the process dies), so a second xlockd on the
 * same directory fails here, before it reads or writes anything. Then an
 * incomplete journal tail is cut off, and the journal is open for appending.
 *
 * @readonly (xlockd --print-state) takes no lock and writes nothing, so it
 * can look at the state of a running xlockd: an incomplete tail is reported,
 * not cut, and a snapshot replaced while it reads makes it read again.
 */
int journal_load(struct journal *j, const char *dir, bool readonly, struct store *st,
		 struct store *old, uint64_t *old_instance);

/* Queue records; they are written by journal_commit(). */
void journal_add_entry(struct journal *j, const struct pentry *e);
void journal_add_release(struct journal *j, uint32_t id);

/* Write and fdatasync what is queued: 0 (durable), or -1 (j->err). */
int journal_commit(struct journal *j);

/*
 * Write @st and @more (may be NULL) as the new snapshot for @instance and
 * start an empty journal: 0 or -1 (j->err). Used at start, for compaction
 * and after a resync or a failed commit. Queued records are dropped: the
 * stores hold them.
 */
int journal_snapshot(struct journal *j, const struct store *st, const struct store *more,
		     uint64_t instance);

/* Keep @st (the entries of @instance) as the reclaim file; drop it. */
int journal_save_reclaim(struct journal *j, const struct store *st, uint64_t instance);
int journal_drop_reclaim(struct journal *j);

void journal_close(struct journal *j);

uint32_t crc32c(uint32_t crc, const void *buf, size_t len);
/* The same without the CPU's help (what crc32c() uses when it has none). */
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len);

#endif
