// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text exposition of the module's status: see metrics.h.
 */
#include <inttypes.h>
#include <stdio.h>

#include "metrics.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The HELP and TYPE lines that open metric @name. */
static void metric_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A Prometheus metric of one unlabelled value, with its HELP and TYPE. */
void metric_u64(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	metric_head(f, name, type, help);
	fprintf(f, "%s %" PRIu64 "\n", name, v);
}

/* A metric of @n series, each with its labels, with its HELP and TYPE. */
void metric_series(FILE *f, const char *name, const char *type, const char *help,
		   const struct metric_value *s, size_t n)
{
	size_t i;

	metric_head(f, name, type, help);
	for (i = 0; i < n; i++)
		fprintf(f, "%s{%s} %" PRIu64 "\n", name, s[i].labels, s[i].v);
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
	const uint64_t *c = st->stats;
	const struct metric_value entries[] = {
		{ "kind=\"nlm_lock\"", st->nlm_locks },
		{ "kind=\"smb_lock\"", st->smb_locks },
		{ "kind=\"smb_lease\"", st->leases },
		{ "kind=\"smb_share_mode\"", st->share_modes },
		{ "kind=\"nfs4_deleg\"", st->delegs },
	};
	const struct metric_value conflicts[] = {
		{ "direction=\"nfs_to_smb\",kind=\"lease\"", c[XLOCK_STAT_NFS_VS_LEASE] },
		{ "direction=\"nfs_to_smb\",kind=\"lock\"", c[XLOCK_STAT_NFS_VS_SMB_LOCK] },
		{ "direction=\"nfs_to_smb\",kind=\"share_mode\"", c[XLOCK_STAT_NFS_VS_SHARE] },
		{ "direction=\"smb_to_nfs\",kind=\"lock\"", c[XLOCK_STAT_SMB_VS_NLM] },
	};
	const struct metric_value breaks[] = {
		{ "outcome=\"sent\"", c[XLOCK_STAT_BREAKS_SENT] },
		{ "outcome=\"acked\"", c[XLOCK_STAT_BREAKS_DONE] },
		{ "outcome=\"timed_out\"", c[XLOCK_STAT_BREAKS_TIMED_OUT] },
	};
	const struct metric_value nlm_answers[] = {
		{ "answer=\"blocked\"", c[XLOCK_STAT_NLM_BLOCKED] },
		{ "answer=\"granted_callback\"", c[XLOCK_STAT_NLM_GRANTED_CB] },
		{ "answer=\"retry\"", c[XLOCK_STAT_NLM_RETRY] },
	};
	const struct metric_value reclaims[] = {
		{ "outcome=\"granted\"", c[XLOCK_STAT_RECLAIMED] },
		{ "outcome=\"refused\"", c[XLOCK_STAT_RECLAIM_REFUSED] },
	};
	double bounds_s[XLOCK_LATENCY_BUCKETS - 1];
	uint64_t cum;
	size_t i, k;

	metric_series(f, "xlock_entries", "gauge", "Entries in the lock table, by kind.",
		      entries, ARRAY_LEN(entries));
	metric_u64(f, "xlock_files", "gauge", "Files with entries.", st->files);
	metric_u64(f, "xlock_clients", "gauge", "Clients with entries.", st->clients);
	/*
	 * One series per edge and state, 1 for the state it is in: alert on
	 * xlock_edge_state{state="refused"} == 1 (a kernel update changed a
	 * hooked function and that protocol is no longer coordinated).
	 */
	metric_head(f, "xlock_edge_state", "gauge",
		    "Whether xlock's hooks into lockd, nfsd, ksmbd are in that state.");
	for (i = 0; i < st->nr_edges; i++)
		for (k = 0; k < sizeof(edge_states); k++)
			fprintf(f, "xlock_edge_state{edge=\"%s\",state=\"%s\"} %d\n",
				st->edges[i].name, edge_state_name(edge_states[k]),
				st->edges[i].state == edge_states[k]);
	metric_series(f, "xlock_conflicts_total", "counter",
		      "Cross-protocol conflicts, by direction and kind.",
		      conflicts, ARRAY_LEN(conflicts));
	metric_series(f, "xlock_breaks_total", "counter",
		      "SMB lease breaks for the other protocol, by outcome.",
		      breaks, ARRAY_LEN(breaks));
	metric_head(f, "xlock_break_duration_seconds", "histogram",
		    "Time from sending a lease break to its end.");
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
	metric_series(f, "xlock_nlm_answers_total", "counter",
		      "NLM answers xlock gave for SMB state.", nlm_answers, ARRAY_LEN(nlm_answers));
	metric_u64(f, "xlock_nfs_jukebox_total", "counter", "NFS requests answered NFS3ERR_JUKEBOX.",
		   c[XLOCK_STAT_NFS_JUKEBOX]);
	metric_u64(f, "xlock_denied_total", "counter",
		   "Requests refused because of the other protocol.", c[XLOCK_STAT_DENIED]);
	metric_u64(f, "xlock_limit_hits_total", "counter", "Requests refused by a table limit.",
		   st->limit_hits);
	metric_u64(f, "xlock_persistence", "gauge", "Whether xlockd is attached (1) or not (0).",
		   st->persist ? 1 : 0);
	metric_u64(f, "xlock_grace", "gauge", "Whether the grace period runs (1) or not (0).",
		   st->grace_state == XLOCK_GRACE_RUNNING);
	metric_series(f, "xlock_reclaims_total", "counter", "Reclaims in grace, by outcome.",
		      reclaims, ARRAY_LEN(reclaims));
	metric_u64(f, "xlock_not_recorded_total", "counter",
		   "Locks or leases a server granted that the table could not record.",
		   c[XLOCK_STAT_NOT_RECORDED]);
}
