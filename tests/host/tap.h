/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal TAP output for host tests: "ok N - what" / "not ok N - what". */
#ifndef _XLOCK_TAP_H
#define _XLOCK_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed;

static inline void tap_plan(int n)
{
	printf("1..%d\n", n);
}

__attribute__((format(printf, 2, 3)))
static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	return cond;
}

static inline int tap_done(void)
{
	return tap_failed ? 1 : 0;
}

#endif
