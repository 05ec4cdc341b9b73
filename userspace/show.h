/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlockctl's printing of what the kernel reports (report.h): text tables
 * or JSON on stdout.
 */
#ifndef XLOCK_SHOW_H
#define XLOCK_SHOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report.h"

void status_print(const struct status *st, bool json);
void limits_print(const struct status *st, bool json);
void shares_print(const struct share *s, size_t n, bool json);
void entries_print(const struct entry *e, size_t n, uint64_t generation, bool json);
void event_print(const struct entry *e, bool json);

#endif
