/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlockd's metrics file (dmetrics.c).
 */
#ifndef XLOCKD_DMETRICS_H
#define XLOCKD_DMETRICS_H

#include "daemon.h"

void dmetrics_write(struct xlockd *d);

#endif
