/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlockd's on-disk state, format version 1.
 *
 * The state directory (/var/lib/xlockd) holds up to three files:
 *
 *   snapshot   every entry of the lock table as of one moment
 *   journal    what changed since that snapshot, appended as it happens
 *   reclaim    after a restart: the previous instance's entries, kept
 *              until the grace period that lets clients reclaim them ends
 *
 * Every file starts with a 32-byte header, all integers little-endian:
 *
 *   magic[8]   "XLOCKSNP" (snapshot, reclaim) or "XLOCKJNL" (journal)
 *   version    u32, 1
 *   flags      u32, 0
 *   instance   u64, the module instance the entries belong to (see
 *              XLOCK_A_INSTANCE in include/uapi/linux/xlock.h)
 *   seq        u64, the snapshot's sequence number; a journal belongs to
 *              the snapshot with the same seq
 *
 * Then records, each: u32 body length, u32 CRC32C of the body, the body:
 *
 *   u8 type    1 ENTRY: an entry was granted or changed (replaces any
 *                       entry with the same id)
 *              2 RELEASE: an entry went
 *              3 END: last record of a snapshot
 *   ENTRY:   u32 id, u8 proto, u8 kind, u8 mode, u8 state, u32 flags
 *            (XLOCK_ENTRY_F_*; XLOCK_ENTRY_F_TEARDOWN: the server dropped
 *            it while shutting down, kept for its owner to reclaim),
 *            u64 start, u64 end, u32 svid, u8 lease_key[16],
 *            u16 client length, client (the owner's identity: NLM caller
 *            name, SMB client GUID in hex), u16 path length, path
 *   RELEASE: u32 id
 *   END:     u64 number of ENTRY records in the snapshot
 *
 * Writing: journal records are appended and made durable with one
 * fdatasync per batch (group commit). A snapshot is written to a temporary
 * file, fsynced, renamed over the old one, and the directory fsynced; then
 * a new, empty journal with the next seq replaces the old one the same way.
 * A crash between the two leaves a journal older than the snapshot, which
 * loading recognises and ignores (its records are in the snapshot).
 *
 * Loading: a bad magic or version, a header the other file contradicts, a
 * snapshot without its END record or with a wrong count, or a complete
 * record whose CRC does not match is an error that names the file and the
 * offset: nothing is silently dropped, and xlockd does not start. Only the
 * journal's end may be incomplete, a record cut short or a zero-filled
 * tail: what a crash or kill -9 leaves of a write that was never
 * acknowledged. It is cut off, and the log names the offset and size.
 */
#ifndef XLOCKD_JOURNAL_H
#define XLOCKD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define JOURNAL_VERSION 1

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
	unsigned char *buf;	/* records waiting for the next commit */
	size_t len, cap;
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
