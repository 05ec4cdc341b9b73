// SPDX-License-Identifier: GPL-2.0
/*
 * Applying xlockd's configuration file (config.h) to the module: whenever
 * xlockd attaches (a module loaded anew starts from its defaults) and on
 * SIGHUP. Settings the file gives are set; the shares are made those of the
 * file (added, updated, and any other removed); what the file leaves out
 * keeps its current value. xlockctl's changes last until the next of these.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "nlattr.h"
#include "report.h"
#include "settings.h"

#define PARAMS "/sys/module/xlock/parameters"

struct shares {
	struct share *v;
	size_t n;
};

static int on_share(struct nlattr **tb, const struct nlmsghdr *nlh, void *arg)
{
	struct shares *s = arg;
	struct share *v = realloc(s->v, (s->n + 1) * sizeof(*v));

	(void)nlh;
	if (!v)
		die("out of memory");
	s->v = v;
	share_parse(tb, &s->v[s->n++]);
	return 0;
}

/* A request; on failure log "@what: error" and return -errno. */
static int ask(struct xlockd *d, struct nl_msg *m, xnl_fn fn, void *arg, const char *what)
{
	int ret = xnl_request(&d->req, m, fn, arg, NULL);

	if (ret)
		log_err("%s: %s: %s%s%s", d->cfg.file, what, strerror(-ret),
			d->req.msg[0] ? ": " : "", d->req.msg);
	return ret;
}

static void put_policy(struct nl_msg *m, uint32_t break_ms, uint32_t grace_s, int enabled)
{
	if (break_ms)
		xnl_put_u32(m, XLOCK_A_BREAK_TIMEOUT_MS, break_ms);
	if (grace_s)
		xnl_put_u32(m, XLOCK_A_GRACE_S, grace_s);
	if (enabled >= 0)
		xnl_put_u32(m, XLOCK_A_SHARE_FLAGS, enabled ? XLOCK_SHARE_F_ENABLED : 0);
}

static int set_param(struct xlockd *d, const char *name, int64_t v)
{
	char path[128];
	FILE *f;

	if (v < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", PARAMS, name);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%lld\n", (long long)v) < 0 || fclose(f)) {
		log_err("%s: %s: %s", d->cfg.file, path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	return 0;
}

/* The module-wide settings: limits, waits, share 0. */
static int apply_global(struct xlockd *d)
{
	const struct config *c = &d->cfg;
	struct nl_msg *m;
	int err = 0;

	if (c->limit_total || c->limit_file || c->limit_client) {
		m = xnl_new(&d->req, XLOCK_CMD_SET_CONFIG, false);
		if (c->limit_total)
			xnl_put_u32(m, XLOCK_A_LIMIT_TOTAL, c->limit_total);
		if (c->limit_file)
			xnl_put_u32(m, XLOCK_A_LIMIT_FILE, c->limit_file);
		if (c->limit_client)
			xnl_put_u32(m, XLOCK_A_LIMIT_CLIENT, c->limit_client);
		err |= ask(d, m, NULL, NULL, "setting the limits");
	}
	err |= set_param(d, "lockd_wait_ms", c->lockd_wait_ms);
	err |= set_param(d, "nfsd_wait_ms", c->nfsd_wait_ms);
	if (c->break_timeout_ms || c->grace_s) {
		m = xnl_new(&d->req, XLOCK_CMD_SET_SHARE, false);
		xnl_put_u32(m, XLOCK_A_SHARE_ID, 0);
		put_policy(m, c->break_timeout_ms, c->grace_s, -1);
		err |= ask(d, m, NULL, NULL, "setting the default share");
	}
	return err ? -1 : 0;
}

/* Make the module's shares those of the file. */
static int apply_shares(struct xlockd *d, unsigned int *added, unsigned int *kept,
			unsigned int *removed)
{
	const struct config *c = &d->cfg;
	struct shares have = { 0 };
	struct nl_msg *m;
	char real[PATH_MAX], what[PATH_MAX + XLOCK_NAME_MAX + 64];
	bool *wanted;
	size_t i, k;
	int err = 0;

	if (ask(d, xnl_new(&d->req, XLOCK_CMD_GET_SHARES, true), on_share, &have,
		"reading the shares"))
		return -1;
	wanted = calloc(have.n + 1, sizeof(*wanted));
	if (!wanted)
		die("out of memory");
	for (i = 0; i < c->nr_shares; i++) {
		const struct cfg_share *s = &c->shares[i];

		/* The module keeps the directory's real path. */
		if (!realpath(s->path, real)) {
			log_err("%s: [share %s]: %s: %s", c->file, s->name, s->path, strerror(errno));
			err = -1;
			continue;
		}
		for (k = 0; k < have.n; k++)
			if (have.v[k].path && !strcmp(have.v[k].path, real))
				break;
		if (k < have.n) {
			wanted[k] = true;
			if (!have.v[k].name || strcmp(have.v[k].name, s->name))
				log_warn("%s: [share %s]: %s is share \"%s\" already: keeping that name (a share is renamed by removing it)",
					 c->file, s->name, real, have.v[k].name ?: "");
			m = xnl_new(&d->req, XLOCK_CMD_SET_SHARE, false);
			xnl_put_u32(m, XLOCK_A_SHARE_ID, have.v[k].id);
			put_policy(m, s->break_timeout_ms, s->grace_s, s->enabled);
			snprintf(what, sizeof(what), "[share %s]: updating %s", s->name, real);
			err |= ask(d, m, NULL, NULL, what);
			(*kept)++;
			continue;
		}
		m = xnl_new(&d->req, XLOCK_CMD_ADD_SHARE, false);
		xnl_put_str(m, XLOCK_A_PATH, real);
		xnl_put_str(m, XLOCK_A_NAME, s->name);
		put_policy(m, s->break_timeout_ms, s->grace_s, s->enabled);
		snprintf(what, sizeof(what), "[share %s]: adding %s", s->name, real);
		if (ask(d, m, NULL, NULL, what))
			err = -1;
		else
			(*added)++;
	}
	for (k = 0; k < have.n; k++) {
		if (!have.v[k].id || wanted[k])
			continue;
		m = xnl_new(&d->req, XLOCK_CMD_DEL_SHARE, false);
		xnl_put_u32(m, XLOCK_A_SHARE_ID, have.v[k].id);
		if (xnl_request(&d->req, m, NULL, NULL, NULL) == -EBUSY) {
			log_warn("%s: share \"%s\" (%s) is not in the file but holds entries: kept until they are gone",
				 c->file, have.v[k].name, have.v[k].path);
		} else {
			(*removed)++;
		}
	}
	free(wanted);
	for (k = 0; k < have.n; k++)
		share_free(&have.v[k]);
	free(have.v);
	return err;
}

int settings_apply(struct xlockd *d)
{
	unsigned int added = 0, kept = 0, removed = 0;
	int err;

	if (!d->cfg.present)
		return 0;
	err = apply_global(d);
	err |= apply_shares(d, &added, &kept, &removed);
	log_info("%s applied%s: %zu shares (%u added, %u updated, %u removed)", d->cfg.file,
		 err ? " with errors (above)" : "", d->cfg.nr_shares, added, kept, removed);
	return err ? -1 : 0;
}

void settings_reload(struct xlockd *d)
{
	struct config c;
	char err[4096 + 256];

	if (config_read(d->cfg_file, d->cfg_must_exist, &c, err, sizeof(err))) {
		log_err("SIGHUP: %s; the settings in force are kept", err);
		return;
	}
	config_free(&d->cfg);
	d->cfg = c;
	if (!c.present) {
		log_info("SIGHUP: %s is gone: the settings in force are kept", d->cfg_file);
		return;
	}
	settings_apply(d);
}
