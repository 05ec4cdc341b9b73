// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding of what the kernel reports: see report.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nl.h"
#include "nlattr.h"
#include "report.h"

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		xnl_oom();
	return d;
}

/* --- names -------------------------------------------------------------- */

const char *proto_name(uint8_t proto)
{
	return proto == XLOCK_PROTO_NLM ? "nlm" : proto == XLOCK_PROTO_SMB ? "smb" :
	       proto == XLOCK_PROTO_NFS4 ? "nfs4" : "unknown";
}

const char *kind_name(uint8_t kind)
{
	static const char *const names[] = { "unknown", "lock", "lease", "share", "deleg" };

	return names[kind < 5 ? kind : 0];
}

const char *edge_state_name(uint8_t state)
{
	static const char *const names[] = { "absent", "active", "refused", "unknown" };

	return names[state < 3 ? state : 3];
}

const char *event_name(uint8_t event)
{
	static const char *const names[] = {
		"unknown", "grant", "release", "change", "break", "break_timeout", "conflict",
	};

	return names[event < 7 ? event : 0];
}

const char *outcome_name(uint8_t outcome)
{
	static const char *const names[] = {
		"unknown", "granted", "reduced", "denied", "blocked", "retry",
	};

	return names[outcome < 6 ? outcome : 0];
}

/* The letters of @names whose bits (@masks, in the same order) are in @bits. */
static const char *bit_letters(uint8_t bits, const uint8_t *masks, const char *names,
			       char *buf)
{
	char *p = buf;

	for (; *names; names++, masks++)
		if (bits & *masks)
			*p++ = *names;
	*p = '\0';
	return buf;
}

const char *lease_letters(uint8_t state, char *buf)
{
	static const uint8_t masks[] = { XLOCK_LEASE_R, XLOCK_LEASE_W, XLOCK_LEASE_H };

	return bit_letters(state, masks, "RWH", buf);
}

const char *access_letters(uint8_t bits, char *buf)
{
	static const uint8_t masks[] = {
		XLOCK_SHARE_READ, XLOCK_SHARE_WRITE, XLOCK_SHARE_DELETE,
	};

	return bit_letters(bits, masks, "rwd", buf);
}

/* --- status ------------------------------------------------------------- */

static void edges_parse(struct nlattr *edges, struct status *st)
{
	struct nlattr *tb[XLOCK_A_MAX + 1], *a;
	int rem;

	if (!edges)
		return;
	nla_for_each_nested(a, edges, rem) {
		if (nla_type(a) != XLOCK_A_EDGE || st->nr_edges == MAX_EDGES ||
		    xnl_parse_nested(tb, a))
			continue;
		st->edges[st->nr_edges].name = xnl_strdup(tb[XLOCK_A_NAME]);
		if (!st->edges[st->nr_edges].name)
			st->edges[st->nr_edges].name = xstrdup("?");
		st->edges[st->nr_edges].state = xnl_u8(tb[XLOCK_A_EDGE_STATE], 0xff);
		st->edges[st->nr_edges].reason = xnl_strdup(tb[XLOCK_A_REASON]);
		st->nr_edges++;
	}
}

/* A nest whose attribute types are indexes 1..n into @out. */
static void counters_parse(struct nlattr *nest, uint64_t *out, size_t n)
{
	struct nlattr *a;
	int rem;

	if (!nest)
		return;
	nla_for_each_nested(a, nest, rem)
		if (nla_type(a) >= 1 && (size_t)nla_type(a) <= n && nla_len(a) == 8)
			out[nla_type(a) - 1] = nla_get_u64(a);
}

const char *const stat_names[XLOCK_STAT_MAX + 1] = {
	[XLOCK_STAT_NFS_VS_LEASE] = "nfs_vs_smb_lease",
	[XLOCK_STAT_NFS_VS_SMB_LOCK] = "nfs_vs_smb_lock",
	[XLOCK_STAT_NFS_VS_SHARE] = "nfs_vs_smb_share_mode",
	[XLOCK_STAT_SMB_VS_NLM] = "smb_vs_nlm_lock",
	[XLOCK_STAT_BREAKS_SENT] = "breaks_sent",
	[XLOCK_STAT_BREAKS_DONE] = "breaks_acked",
	[XLOCK_STAT_BREAKS_TIMED_OUT] = "breaks_timed_out",
	[XLOCK_STAT_NLM_BLOCKED] = "nlm_blocked",
	[XLOCK_STAT_NLM_GRANTED_CB] = "nlm_granted_callbacks",
	[XLOCK_STAT_NLM_RETRY] = "nlm_retry",
	[XLOCK_STAT_NFS_JUKEBOX] = "nfs_jukebox",
	[XLOCK_STAT_DENIED] = "denied",
	[XLOCK_STAT_REDUCED] = "smb_leases_reduced",
	[XLOCK_STAT_NOT_RECORDED] = "not_recorded",
};

const uint32_t latency_bounds[XLOCK_LATENCY_BUCKETS - 1] = XLOCK_LATENCY_BOUNDS_MS;

const char *grace_name(uint8_t state)
{
	switch (state) {
	case XLOCK_GRACE_NONE:
		return "none";
	case XLOCK_GRACE_RUNNING:
		return "running";
	case XLOCK_GRACE_OVER:
		return "over";
	}
	return "?";
}

void status_parse(struct nlattr **tb, struct status *st)
{
	memset(st, 0, sizeof(*st));
	st->version = xnl_strdup(tb[XLOCK_A_VERSION]);
	st->generation = xnl_u64(tb[XLOCK_A_GENERATION], 0);
	edges_parse(tb[XLOCK_A_EDGES], st);
	st->entries = xnl_u64(tb[XLOCK_A_NR_ENTRIES], 0);
	st->files = xnl_u64(tb[XLOCK_A_NR_FILES], 0);
	st->clients = xnl_u64(tb[XLOCK_A_NR_CLIENTS], 0);
	st->nlm_locks = xnl_u64(tb[XLOCK_A_NR_NLM_LOCKS], 0);
	st->smb_locks = xnl_u64(tb[XLOCK_A_NR_SMB_LOCKS], 0);
	st->leases = xnl_u64(tb[XLOCK_A_NR_LEASES], 0);
	st->share_modes = xnl_u64(tb[XLOCK_A_NR_SHARE_MODES], 0);
	st->delegs = xnl_u64(tb[XLOCK_A_NR_DELEGS], 0);
	st->limit_total = xnl_u32(tb[XLOCK_A_LIMIT_TOTAL], 0);
	st->limit_file = xnl_u32(tb[XLOCK_A_LIMIT_FILE], 0);
	st->limit_client = xnl_u32(tb[XLOCK_A_LIMIT_CLIENT], 0);
	st->limit_hits = xnl_u64(tb[XLOCK_A_LIMIT_HITS], 0);
	st->persist = xnl_u8(tb[XLOCK_A_PERSIST], 0);
	st->grace_state = xnl_u8(tb[XLOCK_A_GRACE_STATE], 0);
	st->test_api = xnl_u8(tb[XLOCK_A_TEST_API], 0);
	counters_parse(tb[XLOCK_A_STATS], st->stats + 1, XLOCK_STAT_MAX);
	counters_parse(tb[XLOCK_A_BREAK_LATENCY], st->latency, XLOCK_LATENCY_BUCKETS);
	st->has_latency_sum = tb[XLOCK_A_BREAK_TIME_NS] != NULL;
	st->latency_sum_ns = xnl_u64(tb[XLOCK_A_BREAK_TIME_NS], 0);
}

void status_free(struct status *st)
{
	free(st->version);
	for (size_t i = 0; i < st->nr_edges; i++) {
		free(st->edges[i].name);
		free(st->edges[i].reason);
	}
	memset(st, 0, sizeof(*st));
}

/* --- shares ------------------------------------------------------------- */

void share_parse(struct nlattr **tb, struct share *s)
{
	memset(s, 0, sizeof(*s));
	s->id = xnl_u32(tb[XLOCK_A_SHARE_ID], 0);
	s->name = xnl_strdup(tb[XLOCK_A_NAME]);
	if (!s->name)
		s->name = xstrdup("");
	s->path = xnl_strdup(tb[XLOCK_A_PATH]);
	s->flags = xnl_u32(tb[XLOCK_A_SHARE_FLAGS], 0);
	s->break_timeout_ms = xnl_u32(tb[XLOCK_A_BREAK_TIMEOUT_MS], 0);
	s->grace_s = xnl_u32(tb[XLOCK_A_GRACE_S], 0);
	s->entries = xnl_u64(tb[XLOCK_A_NR_ENTRIES], 0);
}

void share_free(struct share *s)
{
	free(s->name);
	free(s->path);
}

/* --- entries ------------------------------------------------------------ */

static void hex(char *dst, const void *src, size_t len)
{
	const unsigned char *p = src;

	for (size_t i = 0; i < len; i++)
		sprintf(dst + 2 * i, "%02x", p[i]);
	dst[2 * len] = '\0';
}

/* Binary attribute @a as hex into @dst (2 * @max + 1 bytes); "" if absent. */
static void hex_attr(char *dst, struct nlattr *a, size_t max)
{
	size_t len = a ? (size_t)nla_len(a) : 0;

	hex(dst, a ? nla_data(a) : "", len < max ? len : max);
}

static void owner_parse(struct nlattr **tb, struct entry *e)
{
	struct nlattr *oh = tb[XLOCK_A_NLM_OH];

	e->svid = xnl_u32(tb[XLOCK_A_NLM_SVID], 0);
	/* A 64-bit hash of the owner handle. */
	if (oh)
		snprintf(e->oh_hash, sizeof(e->oh_hash), "%016" PRIx64, nla_get_u64(oh));
	hex_attr(e->guid, tb[XLOCK_A_SMB_GUID], 16);
	hex_attr(e->lease_key, tb[XLOCK_A_SMB_LEASE_KEY], 16);
	e->fid = xnl_u64(tb[XLOCK_A_SMB_FID], 0);
	e->has_fid = !!tb[XLOCK_A_SMB_FID];
}

void entry_parse(struct nlattr **tb, struct entry *e)
{
	memset(e, 0, sizeof(*e));
	e->id = xnl_u64(tb[XLOCK_A_ENTRY_ID], 0);
	e->proto = xnl_u8(tb[XLOCK_A_PROTO], 0);
	e->kind = xnl_u8(tb[XLOCK_A_KIND], 0);
	e->flags = xnl_u32(tb[XLOCK_A_FLAGS], 0);
	e->dev = xnl_u64(tb[XLOCK_A_DEV], 0);
	e->ino = xnl_u64(tb[XLOCK_A_INO], 0);
	e->path = xnl_strdup(tb[XLOCK_A_PATH]);
	e->share_id = xnl_u32(tb[XLOCK_A_SHARE_ID], 0);
	e->client = xnl_strdup(tb[XLOCK_A_CLIENT]);
	if (!e->client)
		e->client = xstrdup("");
	e->client_addr = xnl_strdup(tb[XLOCK_A_CLIENT_ADDR]);
	e->age_ms = xnl_u64(tb[XLOCK_A_AGE_MS], 0);
	e->mode = xnl_u8(tb[XLOCK_A_MODE], 0);
	e->start = xnl_u64(tb[XLOCK_A_START], 0);
	e->end = xnl_u64(tb[XLOCK_A_END], XLOCK_END_MAX);
	e->state = xnl_u8(tb[XLOCK_A_LEASE_STATE], 0);
	e->breaking = tb[XLOCK_A_BREAK_TO] != NULL;
	e->break_to = xnl_u8(tb[XLOCK_A_BREAK_TO], 0);
	e->access = xnl_u8(tb[XLOCK_A_SHARE_ACCESS], 0);
	e->allow = xnl_u8(tb[XLOCK_A_SHARE_ALLOW], 0);
	owner_parse(tb, e);
	e->event = xnl_u8(tb[XLOCK_A_EVENT], 0);
	e->outcome = xnl_u8(tb[XLOCK_A_OUTCOME], 0);
	e->req_client = xnl_strdup(tb[XLOCK_A_REQ_CLIENT]);
}

void entry_free(struct entry *e)
{
	free(e->path);
	free(e->client);
	free(e->client_addr);
	free(e->req_client);
}
