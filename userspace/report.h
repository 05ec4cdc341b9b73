/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kernel reports (status, shares, entries, events), decoded from
 * netlink attributes into plain structs; shared by xlockctl and xlockd.
 */
#ifndef XLOCK_REPORT_H
#define XLOCK_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netlink/attr.h>

#include <linux/xlock.h>

#define MAX_EDGES 8

struct edge {
	char *name;
	uint8_t state;		/* XLOCK_EDGE_* */
	char *reason;		/* NULL when active */
};

struct status {
	char *version;
	uint64_t generation;
	struct edge edges[MAX_EDGES];
	size_t nr_edges;
	uint64_t entries, files, clients, nlm_locks, smb_locks, leases, share_modes, delegs;
	uint32_t limit_total, limit_file, limit_client;
	uint64_t limit_hits;
	bool persist, test_api;
	uint8_t grace_state;		/* XLOCK_GRACE_* */
	uint64_t stats[XLOCK_STAT_MAX + 1];		/* by XLOCK_STAT_* */
	uint64_t latency[XLOCK_LATENCY_BUCKETS];	/* break time histogram */
	uint64_t latency_sum_ns;			/* ... the sum of its times */
	bool has_latency_sum;				/* (an older module sends none) */
};

struct share {
	uint32_t id;
	char *name;
	char *path;		/* NULL for share 0 */
	uint32_t flags;		/* XLOCK_SHARE_F_* */
	uint32_t break_timeout_ms, grace_s;
	uint64_t entries;
};

struct entry {
	uint64_t id, dev, ino, age_ms;
	uint8_t proto, kind;
	uint32_t flags, share_id;
	char *path;			/* NULL if unknown */
	char *client, *client_addr;
	/* by kind */
	uint8_t mode;			/* lock */
	uint64_t start, end;
	uint8_t state, break_to;	/* lease */
	bool breaking;
	uint8_t access, allow;		/* share mode */
	/* by protocol: the owner */
	uint32_t svid;
	char oh_hash[17];		/* "" if not reported */
	char guid[33], lease_key[33];
	uint64_t fid;
	bool has_fid;
	/* events only */
	uint8_t event, outcome;
	char *req_client;
};

void status_parse(struct nlattr **tb, struct status *st);
void status_free(struct status *st);
void share_parse(struct nlattr **tb, struct share *s);
void share_free(struct share *s);
void entry_parse(struct nlattr **tb, struct entry *e);
void entry_free(struct entry *e);

/* Names of the values the kernel reports, for text and JSON. */
const char *grace_name(uint8_t state);
const char *proto_name(uint8_t proto);
const char *kind_name(uint8_t kind);
const char *edge_state_name(uint8_t state);
const char *event_name(uint8_t event);
const char *outcome_name(uint8_t outcome);
/* "RWH" order of lease bits into @buf (at least 4 bytes); "" for none. */
const char *lease_letters(uint8_t state, char *buf);
/* "rwd" order of share-mode bits into @buf (at least 4 bytes). */
const char *access_letters(uint8_t bits, char *buf);
/* XLOCK_STAT_* names (NULL for unused slots) and the break-time buckets (ms). */
extern const char *const stat_names[XLOCK_STAT_MAX + 1];
extern const uint32_t latency_bounds[XLOCK_LATENCY_BUCKETS - 1];

#endif
