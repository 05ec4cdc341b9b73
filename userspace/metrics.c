// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text exposition of the module's status: see metrics.h.
 */
#include <inttypes.h>
#include <stdio.h>

#include "metrics.h"

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
