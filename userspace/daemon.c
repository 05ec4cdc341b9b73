// SPDX-License-Identifier: GPL-2.0
/*
 * What xlockd's units share besides struct xlockd: see daemon.h.
 */
#include <time.h>

#include "daemon.h"

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

const double window_bounds[WINDOW_BUCKETS - 1] = {
	0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1,
};
