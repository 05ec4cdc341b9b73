/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlockd's state, shared by its units (each below xlockd.c, none calling
 * up): xlockd.c runs the daemon (start-up, the event loop, group commit),
 * sync.c keeps the store equal to the kernel's table (dump, events),
 * reclaim.c turns persisted state into a reclaim set and a grace period
 * after a restart, settings.c applies the configuration, dmetrics.c writes
 * the metrics file. daemon.c holds the little they all use.
 */
#ifndef XLOCKD_DAEMON_H
#define XLOCKD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "journal.h"
#include "nl.h"
#include "store.h"

/*
 * Entries the server dropped while shutting down (XLOCK_ENTRY_F_TEARDOWN)
 * are kept under ids of our own, above any kernel entry id.
 */
#define KEPT_ID_BASE 0x80000000u

/* Buckets (seconds) of the event-to-durable histogram; the last is +Inf. */
#define WINDOW_BUCKETS 12

struct xlockd {
	/* options */
	const char *state_dir;
	unsigned int grace_s;		/* 0: the kernel's default */
	const char *metrics_file;
	const char *ack_log;
	bool with_test;
	const char *cfg_file;		/* --config, or CONFIG_FILE */
	bool cfg_must_exist;		/* given with --config */
	struct config cfg;		/* as read last */

	/* the kernel */
	struct xnl req;			/* requests; registered as the daemon */
	struct xnl ev;			/* events and nlctrl notices */
	uint64_t instance;
	uint8_t grace_state;		/* at registration, then from events */
	bool family_gone;

	/* the state */
	struct store st;		/* what this instance's table holds */
	struct store kept;		/* what a shutdown dropped (ids >= KEPT_ID_BASE) */
	struct store old;		/* the reclaim set of an earlier instance */
	uint64_t old_instance;
	struct journal j;
	bool need_snapshot;		/* the journal failed: write a snapshot next */
	bool need_resync;		/* events were lost: dump the table again */
	double retry_at;		/* when to retry the snapshot (monotonic s) */
	double resync_at;		/* ... and the dump */
	uint32_t next_kept_id;
	FILE *ack;
	FILE *ack_inflight;		/* <ack-log>.inflight: batches before their commit */

	/* this batch */
	size_t batch_n;			/* records in it */
	uint32_t *batch_ids;		/* for the ack log: id, or id | 1 << 31 released */
	size_t batch_len, batch_cap;
	double batch_first;		/* when its first event arrived (monotonic s) */

	/* counters, for the metrics file */
	uint64_t events, records, commits, snapshots, resyncs, journal_errors;
	uint64_t reclaim_loaded, reclaim_unloadable;
	uint64_t window[WINDOW_BUCKETS];
	double window_sum, window_max;
	bool healthy;
	double load_s;			/* reading the state files at start */
};

/* Bounds (seconds) of the event-to-durable histogram's buckets. */
extern const double window_bounds[WINDOW_BUCKETS - 1];

/* CLOCK_MONOTONIC in seconds. */
double now_s(void);

#endif
