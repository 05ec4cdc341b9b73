/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlockd's log: one line per event on stderr (journald keeps it under
 * systemd), with a syslog priority prefix journald understands.
 */
#ifndef XLOCKD_LOG_H
#define XLOCKD_LOG_H

__attribute__((format(printf, 1, 2))) void log_info(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_warn(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_err(const char *fmt, ...);
/* Log and exit(1): for what xlockd cannot go on without (memory). */
__attribute__((format(printf, 1, 2), noreturn)) void die(const char *fmt, ...);

#endif
