/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _XLOCK_TRACE_INIT_H
#define _XLOCK_TRACE_INIT_H

void xlock_trace_init(void);

#endif
