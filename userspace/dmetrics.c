// SPDX-License-Identifier: GPL-2.0
/*
 * The metrics file: Prometheus text exposition of the module's counters
 * (as xlockctl metrics prints them) and xlockd's own, written to a
 * temporary file and renamed, as node_exporter's textfile collector wants.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "show.h"
#include "xlockd.h"

static int on_status(struct nlattr **tb, const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	status_parse(tb, arg);
	return 0;
}

static void daemon_metrics(FILE *f, const struct xlockd *d)
{
	uint64_t cum = 0;
	size_t i;

	fprintf(f, "# HELP xlockd_persist_healthy Whether the last journal write succeeded.\n");
	fprintf(f, "# TYPE xlockd_persist_healthy gauge\nxlockd_persist_healthy %d\n", d->healthy);
	fprintf(f, "# HELP xlockd_entries Entries persisted, by origin.\n");
	fprintf(f, "# TYPE xlockd_entries gauge\n");
	fprintf(f, "xlockd_entries{origin=\"table\"} %zu\n", d->st.count);
	fprintf(f, "xlockd_entries{origin=\"kept_from_shutdown\"} %zu\n", d->kept.count);
	fprintf(f, "xlockd_entries{origin=\"reclaim_set\"} %zu\n", d->old.count);
	fprintf(f, "# HELP xlockd_events_total Events received from the module.\n");
	fprintf(f, "# TYPE xlockd_events_total counter\nxlockd_events_total %" PRIu64 "\n",
		d->events);
	fprintf(f, "# HELP xlockd_records_total Journal records written.\n");
	fprintf(f, "# TYPE xlockd_records_total counter\nxlockd_records_total %" PRIu64 "\n",
		d->records);
	fprintf(f, "# HELP xlockd_commits_total Group commits (one fdatasync each).\n");
	fprintf(f, "# TYPE xlockd_commits_total counter\nxlockd_commits_total %" PRIu64 "\n",
		d->commits);
	fprintf(f, "# HELP xlockd_snapshots_total Snapshots written.\n");
	fprintf(f, "# TYPE xlockd_snapshots_total counter\nxlockd_snapshots_total %" PRIu64 "\n",
		d->snapshots);
	fprintf(f, "# HELP xlockd_resyncs_total Table re-reads after lost events.\n");
	fprintf(f, "# TYPE xlockd_resyncs_total counter\nxlockd_resyncs_total %" PRIu64 "\n",
		d->resyncs);
	fprintf(f, "# HELP xlockd_journal_errors_total Failed journal or snapshot writes.\n");
	fprintf(f, "# TYPE xlockd_journal_errors_total counter\n");
	fprintf(f, "xlockd_journal_errors_total %" PRIu64 "\n", d->journal_errors);
	fprintf(f, "# HELP xlockd_journal_bytes Size of the journal since the last snapshot.\n");
	fprintf(f, "# TYPE xlockd_journal_bytes gauge\nxlockd_journal_bytes %" PRIu64 "\n",
		d->j.size);
	fprintf(f, "# HELP xlockd_durable_seconds From an event's arrival to its batch being durable.\n");
	fprintf(f, "# TYPE xlockd_durable_seconds histogram\n");
	for (i = 0; i < WINDOW_BUCKETS; i++) {
		cum += d->window[i];
		if (i < WINDOW_BUCKETS - 1)
			fprintf(f, "xlockd_durable_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
				window_bounds[i], cum);
		else
			fprintf(f, "xlockd_durable_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", cum);
	}
	fprintf(f, "xlockd_durable_seconds_sum %.6f\nxlockd_durable_seconds_count %" PRIu64 "\n",
		d->window_sum, cum);
	fprintf(f, "# HELP xlockd_durable_seconds_max Longest time to durable seen.\n");
	fprintf(f, "# TYPE xlockd_durable_seconds_max gauge\nxlockd_durable_seconds_max %.6f\n",
		d->window_max);
}

void dmetrics_write(struct xlockd *d)
{
	struct status st;
	char tmp[4096];
	FILE *f;
	int ret;

	if (!d->metrics_file)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->metrics_file);
	f = fopen(tmp, "w");
	if (!f) {
		log_warn("%s: %s", tmp, strerror(errno));
		return;
	}
	memset(&st, 0, sizeof(st));
	ret = xnl_request(&d->req, xnl_new(&d->req, XLOCK_CMD_GET_STATUS, false), on_status, &st,
			  NULL);
	if (!ret)
		metrics_print(f, &st);
	status_free(&st);
	daemon_metrics(f, d);
	if (fclose(f) || rename(tmp, d->metrics_file)) {
		log_warn("%s: %s", d->metrics_file, strerror(errno));
		remove(tmp);
	}
}
