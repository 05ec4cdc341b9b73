/* SPDX-License-Identifier: GPL-2.0 */
/* Entry and grace events to the event group, from a worker (nl_events.c). */
#ifndef _XLOCK_NL_EVENTS_H
#define _XLOCK_NL_EVENTS_H

/* Registers with the table and the grace period; exit before the family goes. */
int xlock_events_init(void);
void xlock_events_exit(void);

#endif
