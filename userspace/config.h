/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlockd's configuration file, /etc/xlock/xlockd.conf: the settings xlock
 * loses when the module is loaded anew (shares, their break timeouts and
 * grace periods, the table's limits, lockd's and nfsd's waits), which
 * xlockd applies whenever it attaches to the module and on SIGHUP. The
 * format is documented in xlockd(8):
 *
 *   # comment
 *   [global]
 *   grace_s = 90
 *   break_timeout_ms = 35000
 *   limit_total = 1048576
 *   limit_file = 4096
 *   limit_client = 65536
 *   lockd_wait_ms = 100
 *   nfsd_wait_ms = 1000
 *
 *   [share NAME]
 *   path = /srv/export
 *   break_timeout_ms = 35000
 *   grace_s = 90
 *   enabled = yes
 *
 * This file only reads it; settings.c applies it.
 */
#ifndef XLOCKD_CONFIG_H
#define XLOCKD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/xlock.h>

#define CONFIG_FILE "/etc/xlock/xlockd.conf"

/* A setting left out of the file is 0 (or -1 where 0 is a value). */
struct cfg_share {
	char name[XLOCK_NAME_MAX];
	char *path;
	uint32_t break_timeout_ms, grace_s;
	int enabled;			/* -1: not set (a new share is enabled) */
	unsigned int line;		/* where its section starts */
};

struct config {
	bool present;			/* a file was read */
	char file[4096];
	uint32_t grace_s, break_timeout_ms;	/* share 0's, the default share */
	uint32_t limit_total, limit_file, limit_client;
	int64_t lockd_wait_ms, nfsd_wait_ms;	/* -1: not set */
	struct cfg_share *shares;
	size_t nr_shares;
};

/*
 * Read @file into @c. A missing file is no error unless @must_exist (then
 * c->present is false and nothing is managed). 0, or -1 with @err set to
 * "FILE:LINE: what is wrong" (or "FILE: why it cannot be read").
 */
int config_read(const char *file, bool must_exist, struct config *c, char *err, size_t len);
void config_free(struct config *c);

#endif
