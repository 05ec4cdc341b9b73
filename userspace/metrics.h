/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus text exposition: the module's status (xlockctl metrics, and
 * xlockd's metrics file) and the two helpers xlockd adds its own with.
 */
#ifndef XLOCK_METRICS_H
#define XLOCK_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"

/* One series of a labelled metric: its labels (inside the braces), its value. */
struct metric_value {
	const char *labels;
	uint64_t v;
};

void metrics_print(FILE *f, const struct status *st);
void metric_u64(FILE *f, const char *name, const char *type, const char *help, uint64_t v);
void metric_series(FILE *f, const char *name, const char *type, const char *help,
		   const struct metric_value *s, size_t n);
uint64_t metric_buckets(FILE *f, const char *name, const double *bounds,
			const uint64_t *counts, size_t n);

#endif
