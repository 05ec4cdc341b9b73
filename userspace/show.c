// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding and printing of what the kernel reports: see show.h.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "nl.h"
#include "show.h"

#define MAJOR(dev) ((unsigned int)((dev) >> 20))	/* the kernel's dev_t split */
#define MINOR(dev) ((unsigned int)((dev) & 0xfffff))

static void oom(void)
{
	fputs("xlockctl: out of memory\n", stderr);
	exit(1);
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		oom();
	return d;
}

/* --- names -------------------------------------------------------------- */

static const char *proto_name(uint8_t proto)
{
	return proto == XLOCK_PROTO_NLM ? "nlm" : proto == XLOCK_PROTO_SMB ? "smb" : "unknown";
}

static const char *kind_name(uint8_t kind)
{
	static const char *const names[] = { "unknown", "lock", "lease", "share" };

	return names[kind < 4 ? kind : 0];
}

static const char *edge_state_name(uint8_t state)
{
	static const char *const names[] = { "absent", "active", "refused", "unknown" };

	return names[state < 3 ? state : 3];
}

static const char *event_name(uint8_t event)
{
	static const char *const names[] = {
		"unknown", "grant", "release", "change", "break", "break_timeout", "conflict",
	};

	return names[event < 7 ? event : 0];
}

static const char *outcome_name(uint8_t outcome)
{
	static const char *const names[] = {
		"unknown", "granted", "reduced", "denied", "blocked", "retry",
	};

	return names[outcome < 6 ? outcome : 0];
}

const char *lease_letters(uint8_t state, char *buf)
{
	char *p = buf;

	if (state & XLOCK_LEASE_R)
		*p++ = 'R';
	if (state & XLOCK_LEASE_W)
		*p++ = 'W';
	if (state & XLOCK_LEASE_H)
		*p++ = 'H';
	*p = '\0';
	return buf;
}

static const char *access_letters(uint8_t bits, char *buf)
{
	char *p = buf;

	if (bits & XLOCK_SHARE_READ)
		*p++ = 'r';
	if (bits & XLOCK_SHARE_WRITE)
		*p++ = 'w';
	if (bits & XLOCK_SHARE_DELETE)
		*p++ = 'd';
	*p = '\0';
	return buf;
}

/* --- text tables -------------------------------------------------------- */

struct table {
	size_t cols, rows, cap;
	char **cell;
};

/* @s with control characters as \xHH, so that one entry stays one line. */
static char *printable(const char *s)
{
	size_t n = 0;
	char *d, *p;

	for (const char *q = s; *q; q++)
		n += ((unsigned char)*q < 0x20 || *q == 0x7f) ? 4 : 1;
	d = malloc(n + 1);
	if (!d)
		oom();
	p = d;
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			p += sprintf(p, "\\x%02x", (unsigned char)*s);
		else
			*p++ = *s;
	}
	*p = '\0';
	return d;
}

static void table_row(struct table *t, ...)
{
	va_list ap;

	if (t->rows == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->cell = realloc(t->cell, t->cap * t->cols * sizeof(*t->cell));
		if (!t->cell)
			oom();
	}
	va_start(ap, t);
	for (size_t c = 0; c < t->cols; c++)
		t->cell[t->rows * t->cols + c] = printable(va_arg(ap, const char *));
	va_end(ap);
	t->rows++;
}

/* Print and free @t: columns padded to their widest cell, the last one not. */
static void table_print(struct table *t)
{
	size_t w[16] = { 0 }, r, c, len;

	for (r = 0; r < t->rows; r++)
		for (c = 0; c < t->cols && c < 16; c++) {
			len = strlen(t->cell[r * t->cols + c]);
			if (len > w[c])
				w[c] = len;
		}
	for (r = 0; r < t->rows; r++) {
		for (c = 0; c < t->cols; c++) {
			const char *s = t->cell[r * t->cols + c];

			if (c + 1 < t->cols)
				printf("%-*s  ", (int)w[c], s);
			else
				printf("%s\n", s);
		}
	}
	for (r = 0; r < t->rows * t->cols; r++)
		free(t->cell[r]);
	free(t->cell);
	t->cell = NULL;
	t->rows = t->cap = 0;
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

static const char *const stat_names[XLOCK_STAT_MAX + 1] = {
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

static const uint32_t latency_bounds[] = XLOCK_LATENCY_BOUNDS_MS;

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

static void limits_json(struct json *j, const struct status *st)
{
	json_obj(j, "limits");
	json_u64(j, "total", st->limit_total);
	json_u64(j, "file", st->limit_file);
	json_u64(j, "client", st->limit_client);
	json_obj_end(j);
	json_u64(j, "limit_hits", st->limit_hits);
}

static void status_json(const struct status *st)
{
	struct json j;

	json_init(&j, stdout);
	json_obj(&j, NULL);
	json_str(&j, "version", st->version ? st->version : "");
	json_u64(&j, "generation", st->generation);
	json_arr(&j, "edges");
	for (size_t i = 0; i < st->nr_edges; i++) {
		json_obj(&j, NULL);
		json_str(&j, "name", st->edges[i].name);
		json_str(&j, "state", edge_state_name(st->edges[i].state));
		json_str(&j, "reason", st->edges[i].reason);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_u64(&j, "entries", st->entries);
	json_u64(&j, "files", st->files);
	json_u64(&j, "clients", st->clients);
	json_u64(&j, "nlm_locks", st->nlm_locks);
	json_u64(&j, "smb_locks", st->smb_locks);
	json_u64(&j, "leases", st->leases);
	json_u64(&j, "share_modes", st->share_modes);
	limits_json(&j, st);
	json_bool(&j, "persistence", st->persist);
	json_str(&j, "grace", grace_name(st->grace_state));
	json_bool(&j, "test_api", st->test_api);
	json_obj(&j, "stats");
	for (size_t i = 1; i <= XLOCK_STAT_MAX; i++)
		if (stat_names[i])
			json_u64(&j, stat_names[i], st->stats[i]);
	json_obj_end(&j);
	json_arr(&j, "break_latency_ms");
	for (size_t i = 0; i < XLOCK_LATENCY_BUCKETS; i++) {
		json_obj(&j, NULL);
		if (i < XLOCK_LATENCY_BUCKETS - 1)
			json_u64(&j, "le", latency_bounds[i]);
		else
			json_str(&j, "le", NULL);
		json_u64(&j, "count", st->latency[i]);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	if (st->has_latency_sum)
		json_u64(&j, "break_time_ns", st->latency_sum_ns);
	else
		json_str(&j, "break_time_ns", NULL);
	json_obj_end(&j);
	json_end(&j);
}

void status_print(const struct status *st, bool json)
{
	struct table t = { .cols = 3 };

	if (json) {
		status_json(st);
		return;
	}
	printf("xlock %s, table generation %" PRIu64 "\n",
	       st->version && st->version[0] ? st->version : "(unknown version)", st->generation);
	printf("edges:\n");
	for (size_t i = 0; i < st->nr_edges; i++)
		table_row(&t, "", st->edges[i].name, edge_state_name(st->edges[i].state));
	table_print(&t);
	for (size_t i = 0; i < st->nr_edges; i++)
		if (st->edges[i].reason && st->edges[i].reason[0])
			printf("  %s: %s\n", st->edges[i].name, st->edges[i].reason);
	printf("entries: %" PRIu64 " (NLM locks %" PRIu64 ", SMB locks %" PRIu64
	       ", leases %" PRIu64 ", share modes %" PRIu64 ")\n",
	       st->entries, st->nlm_locks, st->smb_locks, st->leases, st->share_modes);
	printf("files: %" PRIu64 ", clients: %" PRIu64 "\n", st->files, st->clients);
	printf("limits: %u in total, %u per file, %u per client; %" PRIu64
	       " requests refused by a limit\n",
	       st->limit_total, st->limit_file, st->limit_client, st->limit_hits);
	printf("grace: %s\n", grace_name(st->grace_state));
	printf("persistence: %s\n",
	       st->persist ? "on: xlockd attached" : "off: no xlockd attached");
	printf("test api: %s\n", st->test_api ? "enabled (test_api=1)" : "disabled");
	printf("cross-protocol: NFS met SMB leases %" PRIu64 ", SMB locks %" PRIu64
	       ", share modes %" PRIu64 "; SMB met NLM locks %" PRIu64 "\n",
	       st->stats[XLOCK_STAT_NFS_VS_LEASE], st->stats[XLOCK_STAT_NFS_VS_SMB_LOCK],
	       st->stats[XLOCK_STAT_NFS_VS_SHARE], st->stats[XLOCK_STAT_SMB_VS_NLM]);
	printf("lease breaks: %" PRIu64 " sent, %" PRIu64 " acked, %" PRIu64 " timed out\n",
	       st->stats[XLOCK_STAT_BREAKS_SENT], st->stats[XLOCK_STAT_BREAKS_DONE],
	       st->stats[XLOCK_STAT_BREAKS_TIMED_OUT]);
	printf("answers: %" PRIu64 " NLM4_BLOCKED, %" PRIu64 " NLM GRANTED callbacks, %" PRIu64
	       " NLM retries, %" PRIu64 " NFS3ERR_JUKEBOX, %" PRIu64 " denied, %" PRIu64
	       " SMB leases reduced\n",
	       st->stats[XLOCK_STAT_NLM_BLOCKED], st->stats[XLOCK_STAT_NLM_GRANTED_CB],
	       st->stats[XLOCK_STAT_NLM_RETRY], st->stats[XLOCK_STAT_NFS_JUKEBOX],
	       st->stats[XLOCK_STAT_DENIED], st->stats[XLOCK_STAT_REDUCED]);
}

/* A Prometheus metric of one unlabelled value, with its HELP and TYPE. */
void metric_u64(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n", name, help, name, type,
		name, v);
}

/*
 * The _bucket lines of histogram @name: @n bucket counts, bucket i bounded
 * by bounds[i] and the last by +Inf. Returns the total count.
 */
uint64_t metric_buckets(FILE *f, const char *name, const double *bounds,
			const uint64_t *counts, size_t n)
{
	uint64_t cum = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		cum += counts[i];
		if (i < n - 1)
			fprintf(f, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, bounds[i], cum);
		else
			fprintf(f, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, cum);
	}
	return cum;
}

/* Prometheus text exposition (version 0.0.4) of the status counters. */
void metrics_print(FILE *f, const struct status *st)
{
	static const uint8_t edge_states[] = {
		XLOCK_EDGE_ACTIVE, XLOCK_EDGE_REFUSED, XLOCK_EDGE_ABSENT,
	};
	double bounds_s[XLOCK_LATENCY_BUCKETS - 1];
	uint64_t cum;
	size_t i, k;

	fprintf(f, "# HELP xlock_entries Entries in the lock table, by kind.\n");
	fprintf(f, "# TYPE xlock_entries gauge\n");
	fprintf(f, "xlock_entries{kind=\"nlm_lock\"} %" PRIu64 "\n", st->nlm_locks);
	fprintf(f, "xlock_entries{kind=\"smb_lock\"} %" PRIu64 "\n", st->smb_locks);
	fprintf(f, "xlock_entries{kind=\"smb_lease\"} %" PRIu64 "\n", st->leases);
	fprintf(f, "xlock_entries{kind=\"smb_share_mode\"} %" PRIu64 "\n", st->share_modes);
	metric_u64(f, "xlock_files", "gauge", "Files with entries.", st->files);
	metric_u64(f, "xlock_clients", "gauge", "Clients with entries.", st->clients);
	/*
	 * One series per edge and state, 1 for the state it is in: alert on
	 * xlock_edge_state{state="refused"} == 1 (a kernel update changed a
	 * hooked function and that protocol is no longer coordinated).
	 */
	fprintf(f, "# HELP xlock_edge_state Whether xlock's hooks into lockd, nfsd, ksmbd are in that state.\n");
	fprintf(f, "# TYPE xlock_edge_state gauge\n");
	for (i = 0; i < st->nr_edges; i++)
		for (k = 0; k < sizeof(edge_states); k++)
			fprintf(f, "xlock_edge_state{edge=\"%s\",state=\"%s\"} %d\n",
				st->edges[i].name, edge_state_name(edge_states[k]),
				st->edges[i].state == edge_states[k]);
	fprintf(f, "# HELP xlock_conflicts_total Cross-protocol conflicts, by direction and kind.\n");
	fprintf(f, "# TYPE xlock_conflicts_total counter\n");
	fprintf(f, "xlock_conflicts_total{direction=\"nfs_to_smb\",kind=\"lease\"} %" PRIu64 "\n",
	       st->stats[XLOCK_STAT_NFS_VS_LEASE]);
	fprintf(f, "xlock_conflicts_total{direction=\"nfs_to_smb\",kind=\"lock\"} %" PRIu64 "\n",
	       st->stats[XLOCK_STAT_NFS_VS_SMB_LOCK]);
	fprintf(f, "xlock_conflicts_total{direction=\"nfs_to_smb\",kind=\"share_mode\"} %" PRIu64
	       "\n", st->stats[XLOCK_STAT_NFS_VS_SHARE]);
	fprintf(f, "xlock_conflicts_total{direction=\"smb_to_nfs\",kind=\"lock\"} %" PRIu64 "\n",
	       st->stats[XLOCK_STAT_SMB_VS_NLM]);
	fprintf(f, "# HELP xlock_breaks_total SMB lease breaks for the other protocol, by outcome.\n");
	fprintf(f, "# TYPE xlock_breaks_total counter\n");
	fprintf(f, "xlock_breaks_total{outcome=\"sent\"} %" PRIu64 "\n",
	       st->stats[XLOCK_STAT_BREAKS_SENT]);
	fprintf(f, "xlock_breaks_total{outcome=\"acked\"} %" PRIu64 "\n",
	       st->stats[XLOCK_STAT_BREAKS_DONE]);
	fprintf(f, "xlock_breaks_total{outcome=\"timed_out\"} %" PRIu64 "\n",
	       st->stats[XLOCK_STAT_BREAKS_TIMED_OUT]);
	fprintf(f, "# HELP xlock_break_duration_seconds Time from sending a lease break to its end.\n");
	fprintf(f, "# TYPE xlock_break_duration_seconds histogram\n");
	for (i = 0; i < XLOCK_LATENCY_BUCKETS - 1; i++)
		bounds_s[i] = latency_bounds[i] / 1000.0;
	cum = metric_buckets(f, "xlock_break_duration_seconds", bounds_s, st->latency,
			     XLOCK_LATENCY_BUCKETS);
	/* The module adds up each break's own time; an older one does not (NaN). */
	if (st->has_latency_sum)
		fprintf(f, "xlock_break_duration_seconds_sum %.9f\n", st->latency_sum_ns / 1e9);
	else
		fprintf(f, "xlock_break_duration_seconds_sum NaN\n");
	fprintf(f, "xlock_break_duration_seconds_count %" PRIu64 "\n", cum);
	fprintf(f, "# HELP xlock_nlm_answers_total NLM answers xlock gave for SMB state.\n");
	fprintf(f, "# TYPE xlock_nlm_answers_total counter\n");
	fprintf(f, "xlock_nlm_answers_total{answer=\"blocked\"} %" PRIu64 "\n",
	       st->stats[XLOCK_STAT_NLM_BLOCKED]);
	fprintf(f, "xlock_nlm_answers_total{answer=\"granted_callback\"} %" PRIu64 "\n",
	       st->stats[XLOCK_STAT_NLM_GRANTED_CB]);
	fprintf(f, "xlock_nlm_answers_total{answer=\"retry\"} %" PRIu64 "\n",
	       st->stats[XLOCK_STAT_NLM_RETRY]);
	metric_u64(f, "xlock_nfs_jukebox_total", "counter", "NFS requests answered NFS3ERR_JUKEBOX.",
		   st->stats[XLOCK_STAT_NFS_JUKEBOX]);
	metric_u64(f, "xlock_denied_total", "counter",
		   "Requests refused because of the other protocol.", st->stats[XLOCK_STAT_DENIED]);
	metric_u64(f, "xlock_limit_hits_total", "counter", "Requests refused by a table limit.",
		   st->limit_hits);
	metric_u64(f, "xlock_persistence", "gauge", "Whether xlockd is attached (1) or not (0).",
		   st->persist ? 1 : 0);
	metric_u64(f, "xlock_grace", "gauge", "Whether the grace period runs (1) or not (0).",
		   st->grace_state == XLOCK_GRACE_RUNNING);
	fprintf(f, "# HELP xlock_reclaims_total Reclaims in grace, by outcome.\n");
	fprintf(f, "# TYPE xlock_reclaims_total counter\n");
	fprintf(f, "xlock_reclaims_total{outcome=\"granted\"} %" PRIu64 "\n",
		st->stats[XLOCK_STAT_RECLAIMED]);
	fprintf(f, "xlock_reclaims_total{outcome=\"refused\"} %" PRIu64 "\n",
		st->stats[XLOCK_STAT_RECLAIM_REFUSED]);
	metric_u64(f, "xlock_not_recorded_total", "counter",
		   "Locks or leases a server granted that the table could not record.",
		   st->stats[XLOCK_STAT_NOT_RECORDED]);
}

void limits_print(const struct status *st, bool json)
{
	struct json j;

	if (json) {
		json_init(&j, stdout);
		json_obj(&j, NULL);
		limits_json(&j, st);
		json_obj_end(&j);
		json_end(&j);
		return;
	}
	printf("limit-total   %u\n", st->limit_total);
	printf("limit-file    %u\n", st->limit_file);
	printf("limit-client  %u\n", st->limit_client);
	printf("limit-hits    %" PRIu64 "\n", st->limit_hits);
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

static void shares_json(const struct share *s, size_t n)
{
	struct json j;

	json_init(&j, stdout);
	json_obj(&j, NULL);
	json_arr(&j, "shares");
	for (size_t i = 0; i < n; i++) {
		json_obj(&j, NULL);
		json_u64(&j, "id", s[i].id);
		json_str(&j, "name", s[i].name);
		json_str(&j, "path", s[i].path);
		json_bool(&j, "enabled", s[i].flags & XLOCK_SHARE_F_ENABLED);
		json_u64(&j, "break_timeout_ms", s[i].break_timeout_ms);
		json_u64(&j, "grace_s", s[i].grace_s);
		json_u64(&j, "entries", s[i].entries);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_end(&j);
}

void shares_print(const struct share *s, size_t n, bool json)
{
	struct table t = { .cols = 7 };
	char id[16], timeout[16], grace[16], entries[24];

	if (json) {
		shares_json(s, n);
		return;
	}
	table_row(&t, "ID", "NAME", "STATE", "BREAK-TIMEOUT", "GRACE", "ENTRIES", "PATH");
	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%u", s[i].id);
		snprintf(timeout, sizeof(timeout), "%ums", s[i].break_timeout_ms);
		snprintf(grace, sizeof(grace), "%us", s[i].grace_s);
		snprintf(entries, sizeof(entries), "%" PRIu64, s[i].entries);
		table_row(&t, id, s[i].name,
			  s[i].flags & XLOCK_SHARE_F_ENABLED ? "enabled" : "disabled",
			  timeout, grace, entries, s[i].path ? s[i].path : "(every other file)");
	}
	table_print(&t);
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

static void flags_json(struct json *j, uint32_t flags)
{
	json_arr(j, "flags");
	if (flags & XLOCK_ENTRY_F_PENDING)
		json_str(j, NULL, "pending");
	if (flags & XLOCK_ENTRY_F_BREAKING)
		json_str(j, NULL, "breaking");
	if (flags & XLOCK_ENTRY_F_TEST)
		json_str(j, NULL, "test");
	json_arr_end(j);
}

static void kind_json(struct json *j, const struct entry *e)
{
	char buf[4];

	switch (e->kind) {
	case XLOCK_KIND_LOCK:
		json_str(j, "mode", e->mode == XLOCK_MODE_EXCL ? "excl" : "shared");
		json_u64(j, "start", e->start);
		json_u64(j, "end", e->end);
		json_bool(j, "to_eof", e->end == XLOCK_END_MAX);
		break;
	case XLOCK_KIND_LEASE:
		json_str(j, "state", lease_letters(e->state, buf));
		json_str(j, "break_to", e->breaking ? lease_letters(e->break_to, buf) : NULL);
		break;
	case XLOCK_KIND_SHARE:
		json_str(j, "access", access_letters(e->access, buf));
		json_str(j, "allow", access_letters(e->allow, buf));
		break;
	}
}

static void entry_json(struct json *j, const struct entry *e, bool event)
{
	json_obj(j, NULL);
	if (event)
		json_str(j, "event", event_name(e->event));
	json_u64(j, "id", e->id);
	json_str(j, "proto", proto_name(e->proto));
	json_str(j, "kind", kind_name(e->kind));
	flags_json(j, e->flags);
	json_u64(j, "dev", e->dev);
	json_u64(j, "ino", e->ino);
	json_str(j, "path", e->path);
	json_u64(j, "share_id", e->share_id);
	json_str(j, "client", e->client);
	json_str(j, "client_addr", e->client_addr);
	json_u64(j, "age_ms", e->age_ms);
	kind_json(j, e);
	if (e->proto == XLOCK_PROTO_NLM) {
		json_u64(j, "svid", e->svid);
		json_str(j, "oh_hash", e->oh_hash[0] ? e->oh_hash : NULL);
	} else if (e->proto == XLOCK_PROTO_SMB) {
		json_str(j, "guid", e->guid);
		if (e->kind == XLOCK_KIND_LEASE)
			json_str(j, "lease_key", e->lease_key);
		else if (e->has_fid)
			json_u64(j, "fid", e->fid);
		else
			json_null(j, "fid");
	}
	if (event && e->event == XLOCK_EVENT_CONFLICT) {
		json_str(j, "req_client", e->req_client);
		json_str(j, "outcome", outcome_name(e->outcome));
	}
	json_obj_end(j);
}

/* The WHAT column: "excl 0-99", "RWH ->RH", "access=rw allow=r". */
static void entry_what(const struct entry *e, char *buf, size_t size)
{
	const char *mode = e->mode == XLOCK_MODE_EXCL ? "excl" : "shared";
	char a[4], b[4];
	int n = 0;

	switch (e->kind) {
	case XLOCK_KIND_LOCK:
		if (e->end == XLOCK_END_MAX)
			n = snprintf(buf, size, "%s %" PRIu64 "-EOF", mode, e->start);
		else
			n = snprintf(buf, size, "%s %" PRIu64 "-%" PRIu64, mode, e->start, e->end);
		break;
	case XLOCK_KIND_LEASE:
		lease_letters(e->state, a);
		lease_letters(e->break_to, b);
		n = snprintf(buf, size, "%s", a[0] ? a : "none");
		if (e->breaking)
			n += snprintf(buf + n, size - n, " ->%s", b[0] ? b : "none");
		break;
	case XLOCK_KIND_SHARE:
		access_letters(e->access, a);
		access_letters(e->allow, b);
		n = snprintf(buf, size, "access=%s allow=%s", a[0] ? a : "none", b[0] ? b : "none");
		break;
	default:
		n = snprintf(buf, size, "?");
	}
	if (e->flags & XLOCK_ENTRY_F_PENDING)
		snprintf(buf + n, size - n, " (pending)");
}

static void entry_file(const struct entry *e, char *buf, size_t size)
{
	if (e->path)
		snprintf(buf, size, "%s", e->path);
	else
		snprintf(buf, size, "dev=%u:%u,ino=%" PRIu64, MAJOR(e->dev), MINOR(e->dev), e->ino);
}

static void age(uint64_t ms, char *buf, size_t size)
{
	uint64_t s = ms / 1000;

	if (s < 10)
		snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "s", s, ms % 1000 / 100);
	else if (s < 60)
		snprintf(buf, size, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s % 86400 / 3600);
}

void entries_print(const struct entry *e, size_t n, uint64_t generation, bool json)
{
	struct table t = { .cols = 7 };
	char id[24], what[64], file[4200], ago[24];
	struct json j;

	if (json) {
		json_init(&j, stdout);
		json_obj(&j, NULL);
		json_u64(&j, "generation", generation);
		json_arr(&j, "entries");
		for (size_t i = 0; i < n; i++)
			entry_json(&j, &e[i], false);
		json_arr_end(&j);
		json_obj_end(&j);
		json_end(&j);
		return;
	}
	table_row(&t, "ID", "PROTO", "KIND", "CLIENT", "WHAT", "PATH", "AGE");
	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%" PRIu64, e[i].id);
		entry_what(&e[i], what, sizeof(what));
		entry_file(&e[i], file, sizeof(file));
		age(e[i].age_ms, ago, sizeof(ago));
		table_row(&t, id, proto_name(e[i].proto), kind_name(e[i].kind), e[i].client,
			  what, file, ago);
	}
	table_print(&t);
	if (!n)
		printf("(none)\n");
}

void event_print(const struct entry *e, bool json)
{
	char what[64], buf[4200];
	char *client, *file, *req = NULL;
	struct json j;

	if (json) {
		json_init(&j, stdout);
		entry_json(&j, e, true);
		json_end(&j);
		return;
	}
	entry_what(e, what, sizeof(what));
	entry_file(e, buf, sizeof(buf));
	file = printable(buf);
	client = printable(e->client);
	printf("%s %" PRIu64 " %s %s %s %s %s", event_name(e->event), e->id, proto_name(e->proto),
	       kind_name(e->kind), client, what, file);
	if (e->event == XLOCK_EVENT_CONFLICT) {
		req = printable(e->req_client ? e->req_client : "?");
		printf(" requested by %s: %s", req, outcome_name(e->outcome));
	}
	printf("\n");
	fflush(stdout);
	free(client);
	free(file);
	free(req);
}
