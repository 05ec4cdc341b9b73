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

#include "daemon.h"
#include "dmetrics.h"
#include "log.h"
#include "metrics.h"
#include "report.h"

static int on_status(struct nlattr **tb, const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	status_parse(tb, arg);
	return 0;
}

static void daemon_metrics(FILE *f, const struct xlockd *d)
{
	uint64_t cum;

	metric_u64(f, "xlockd_persist_healthy", "gauge", "Whether the last journal write succeeded.",
		   d->healthy);
	fprintf(f, "# HELP xlockd_entries Entries persisted, by origin.\n");
	fprintf(f, "# TYPE xlockd_entries gauge\n");
	fprintf(f, "xlockd_entries{origin=\"table\"} %zu\n", d->st.count);
	fprintf(f, "xlockd_entries{origin=\"kept_from_shutdown\"} %zu\n", d->kept.count);
	fprintf(f, "xlockd_entries{origin=\"reclaim_set\"} %zu\n", d->old.count);
	metric_u64(f, "xlockd_events_total", "counter", "Events received from the module.",
		   d->events);
	metric_u64(f, "xlockd_records_total", "counter", "Journal records written.", d->records);
	metric_u64(f, "xlockd_commits_total", "counter", "Group commits (one fdatasync each).",
		   d->commits);
	metric_u64(f, "xlockd_snapshots_total", "counter", "Snapshots written.", d->snapshots);
	metric_u64(f, "xlockd_resyncs_total", "counter", "Table re-reads after lost events.",
		   d->resyncs);
	metric_u64(f, "xlockd_journal_errors_total", "counter",
		   "Failed journal or snapshot writes.", d->journal_errors);
	metric_u64(f, "xlockd_journal_bytes", "gauge", "Size of the journal since the last snapshot.",
		   d->j.size);
	fprintf(f, "# HELP xlockd_durable_seconds From an event's arrival to its batch being durable.\n");
	fprintf(f, "# TYPE xlockd_durable_seconds histogram\n");
	cum = metric_buckets(f, "xlockd_durable_seconds", window_bounds, d->window, WINDOW_BUCKETS);
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
