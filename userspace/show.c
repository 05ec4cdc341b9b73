// SPDX-License-Identifier: GPL-2.0
/*
 * xlockctl's printing of what the kernel reports (decoded by report.c):
 * text tables or JSON. See show.h.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "nlattr.h"
#include "show.h"

#define MAJOR(dev) ((unsigned int)((dev) >> 20))	/* the kernel's dev_t split */
#define MINOR(dev) ((unsigned int)((dev) & 0xfffff))

/* --- text tables -------------------------------------------------------- */

struct table {
	size_t cols, rows, cap;
	char **cell;
};

/* @s with control characters as \xHH, so that one entry stays one line. */
static char *printable(const char *s)
{
	size_t n = 0;
	char *d, *p;

	for (const char *q = s; *q; q++)
		n += ((unsigned char)*q < 0x20 || *q == 0x7f) ? 4 : 1;
	d = malloc(n + 1);
	if (!d)
		xnl_oom();
	p = d;
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			p += sprintf(p, "\\x%02x", (unsigned char)*s);
		else
			*p++ = *s;
	}
	*p = '\0';
	return d;
}

static void table_row(struct table *t, ...)
{
	va_list ap;

	if (t->rows == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->cell = realloc(t->cell, t->cap * t->cols * sizeof(*t->cell));
		if (!t->cell)
			xnl_oom();
	}
	va_start(ap, t);
	for (size_t c = 0; c < t->cols; c++)
		t->cell[t->rows * t->cols + c] = printable(va_arg(ap, const char *));
	va_end(ap);
	t->rows++;
}

/* Print and free @t: columns padded to their widest cell, the last one not. */
static void table_print(struct table *t)
{
	size_t w[16] = { 0 }, r, c, len;

	for (r = 0; r < t->rows; r++)
		for (c = 0; c < t->cols && c < 16; c++) {
			len = strlen(t->cell[r * t->cols + c]);
			if (len > w[c])
				w[c] = len;
		}
	for (r = 0; r < t->rows; r++) {
		for (c = 0; c < t->cols; c++) {
			const char *s = t->cell[r * t->cols + c];

			if (c + 1 < t->cols)
				printf("%-*s  ", (int)w[c], s);
			else
				printf("%s\n", s);
		}
	}
	for (r = 0; r < t->rows * t->cols; r++)
		free(t->cell[r]);
	free(t->cell);
	t->cell = NULL;
	t->rows = t->cap = 0;
}

/* --- status ------------------------------------------------------------- */

static void limits_json(struct json *j, const struct status *st)
{
	json_obj(j, "limits");
	json_u64(j, "total", st->limit_total);
	json_u64(j, "file", st->limit_file);
	json_u64(j, "client", st->limit_client);
	json_obj_end(j);
	json_u64(j, "limit_hits", st->limit_hits);
}

static void status_json(const struct status *st)
{
	struct json j;

	json_init(&j, stdout);
	json_obj(&j, NULL);
	json_str(&j, "version", st->version ? st->version : "");
	json_u64(&j, "generation", st->generation);
	json_arr(&j, "edges");
	for (size_t i = 0; i < st->nr_edges; i++) {
		json_obj(&j, NULL);
		json_str(&j, "name", st->edges[i].name);
		json_str(&j, "state", edge_state_name(st->edges[i].state));
		json_str(&j, "reason", st->edges[i].reason);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_u64(&j, "entries", st->entries);
	json_u64(&j, "files", st->files);
	json_u64(&j, "clients", st->clients);
	json_u64(&j, "nlm_locks", st->nlm_locks);
	json_u64(&j, "smb_locks", st->smb_locks);
	json_u64(&j, "leases", st->leases);
	json_u64(&j, "share_modes", st->share_modes);
	json_u64(&j, "delegations", st->delegs);
	limits_json(&j, st);
	json_bool(&j, "persistence", st->persist);
	json_str(&j, "grace", grace_name(st->grace_state));
	json_bool(&j, "test_api", st->test_api);
	json_obj(&j, "stats");
	for (size_t i = 1; i <= XLOCK_STAT_MAX; i++)
		if (stat_names[i])
			json_u64(&j, stat_names[i], st->stats[i]);
	json_obj_end(&j);
	json_arr(&j, "break_latency_ms");
	for (size_t i = 0; i < XLOCK_LATENCY_BUCKETS; i++) {
		json_obj(&j, NULL);
		if (i < XLOCK_LATENCY_BUCKETS - 1)
			json_u64(&j, "le", latency_bounds[i]);
		else
			json_str(&j, "le", NULL);
		json_u64(&j, "count", st->latency[i]);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	if (st->has_latency_sum)
		json_u64(&j, "break_time_ns", st->latency_sum_ns);
	else
		json_str(&j, "break_time_ns", NULL);
	json_obj_end(&j);
	json_end(&j);
}

void status_print(const struct status *st, bool json)
{
	struct table t = { .cols = 3 };

	if (json) {
		status_json(st);
		return;
	}
	printf("xlock %s, table generation %" PRIu64 "\n",
	       st->version && st->version[0] ? st->version : "(unknown version)", st->generation);
	printf("edges:\n");
	for (size_t i = 0; i < st->nr_edges; i++)
		table_row(&t, "", st->edges[i].name, edge_state_name(st->edges[i].state));
	table_print(&t);
	for (size_t i = 0; i < st->nr_edges; i++)
		if (st->edges[i].reason && st->edges[i].reason[0])
			printf("  %s: %s\n", st->edges[i].name, st->edges[i].reason);
	printf("entries: %" PRIu64 " (NLM locks %" PRIu64 ", SMB locks %" PRIu64
	       ", leases %" PRIu64 ", share modes %" PRIu64 ", NFSv4 delegations %" PRIu64 ")\n",
	       st->entries, st->nlm_locks, st->smb_locks, st->leases, st->share_modes, st->delegs);
	printf("files: %" PRIu64 ", clients: %" PRIu64 "\n", st->files, st->clients);
	printf("limits: %u in total, %u per file, %u per client; %" PRIu64
	       " requests refused by a limit\n",
	       st->limit_total, st->limit_file, st->limit_client, st->limit_hits);
	printf("grace: %s\n", grace_name(st->grace_state));
	printf("persistence: %s\n",
	       st->persist ? "on: xlockd attached" : "off: no xlockd attached");
	printf("test api: %s\n", st->test_api ? "enabled (test_api=1)" : "disabled");
	printf("cross-protocol: NFS met SMB leases %" PRIu64 ", SMB locks %" PRIu64
	       ", share modes %" PRIu64 "; SMB met NLM locks %" PRIu64 "\n",
	       st->stats[XLOCK_STAT_NFS_VS_LEASE], st->stats[XLOCK_STAT_NFS_VS_SMB_LOCK],
	       st->stats[XLOCK_STAT_NFS_VS_SHARE], st->stats[XLOCK_STAT_SMB_VS_NLM]);
	printf("lease breaks: %" PRIu64 " sent, %" PRIu64 " acked, %" PRIu64 " timed out\n",
	       st->stats[XLOCK_STAT_BREAKS_SENT], st->stats[XLOCK_STAT_BREAKS_DONE],
	       st->stats[XLOCK_STAT_BREAKS_TIMED_OUT]);
	printf("answers: %" PRIu64 " NLM4_BLOCKED, %" PRIu64 " NLM GRANTED callbacks, %" PRIu64
	       " NLM retries, %" PRIu64 " NFS3ERR_JUKEBOX, %" PRIu64 " denied, %" PRIu64
	       " SMB leases reduced\n",
	       st->stats[XLOCK_STAT_NLM_BLOCKED], st->stats[XLOCK_STAT_NLM_GRANTED_CB],
	       st->stats[XLOCK_STAT_NLM_RETRY], st->stats[XLOCK_STAT_NFS_JUKEBOX],
	       st->stats[XLOCK_STAT_DENIED], st->stats[XLOCK_STAT_REDUCED]);
}

void limits_print(const struct status *st, bool json)
{
	struct json j;

	if (json) {
		json_init(&j, stdout);
		json_obj(&j, NULL);
		limits_json(&j, st);
		json_obj_end(&j);
		json_end(&j);
		return;
	}
	printf("limit-total   %u\n", st->limit_total);
	printf("limit-file    %u\n", st->limit_file);
	printf("limit-client  %u\n", st->limit_client);
	printf("limit-hits    %" PRIu64 "\n", st->limit_hits);
}

/* --- shares ------------------------------------------------------------- */

static void shares_json(const struct share *s, size_t n)
{
	struct json j;

	json_init(&j, stdout);
	json_obj(&j, NULL);
	json_arr(&j, "shares");
	for (size_t i = 0; i < n; i++) {
		json_obj(&j, NULL);
		json_u64(&j, "id", s[i].id);
		json_str(&j, "name", s[i].name);
		json_str(&j, "path", s[i].path);
		json_bool(&j, "enabled", s[i].flags & XLOCK_SHARE_F_ENABLED);
		json_u64(&j, "break_timeout_ms", s[i].break_timeout_ms);
		json_u64(&j, "grace_s", s[i].grace_s);
		json_u64(&j, "entries", s[i].entries);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_end(&j);
}

void shares_print(const struct share *s, size_t n, bool json)
{
	struct table t = { .cols = 7 };
	char id[16], timeout[16], grace[16], entries[24];

	if (json) {
		shares_json(s, n);
		return;
	}
	table_row(&t, "ID", "NAME", "STATE", "BREAK-TIMEOUT", "GRACE", "ENTRIES", "PATH");
	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%u", s[i].id);
		snprintf(timeout, sizeof(timeout), "%ums", s[i].break_timeout_ms);
		snprintf(grace, sizeof(grace), "%us", s[i].grace_s);
		snprintf(entries, sizeof(entries), "%" PRIu64, s[i].entries);
		table_row(&t, id, s[i].name,
			  s[i].flags & XLOCK_SHARE_F_ENABLED ? "enabled" : "disabled",
			  timeout, grace, entries, s[i].path ? s[i].path : "(every other file)");
	}
	table_print(&t);
}

/* --- entries ------------------------------------------------------------ */

static void flags_json(struct json *j, uint32_t flags)
{
	json_arr(j, "flags");
	if (flags & XLOCK_ENTRY_F_PENDING)
		json_str(j, NULL, "pending");
	if (flags & XLOCK_ENTRY_F_BREAKING)
		json_str(j, NULL, "breaking");
	if (flags & XLOCK_ENTRY_F_TEST)
		json_str(j, NULL, "test");
	json_arr_end(j);
}

static void kind_json(struct json *j, const struct entry *e)
{
	char buf[4];

	switch (e->kind) {
	case XLOCK_KIND_LOCK:
		json_str(j, "mode", e->mode == XLOCK_MODE_EXCL ? "excl" : "shared");
		json_u64(j, "start", e->start);
		json_u64(j, "end", e->end);
		json_bool(j, "to_eof", e->end == XLOCK_END_MAX);
		break;
	case XLOCK_KIND_LEASE:
		json_str(j, "state", lease_letters(e->state, buf));
		json_str(j, "break_to", e->breaking ? lease_letters(e->break_to, buf) : NULL);
		break;
	case XLOCK_KIND_SHARE:
		json_str(j, "access", access_letters(e->access, buf));
		json_str(j, "allow", access_letters(e->allow, buf));
		break;
	case XLOCK_KIND_DELEG:
		json_str(j, "deleg", e->state & XLOCK_LEASE_W ? "write" : "read");
		break;
	}
}

static void entry_json(struct json *j, const struct entry *e, bool event)
{
	json_obj(j, NULL);
	if (event)
		json_str(j, "event", event_name(e->event));
	json_u64(j, "id", e->id);
	json_str(j, "proto", proto_name(e->proto));
	json_str(j, "kind", kind_name(e->kind));
	flags_json(j, e->flags);
	json_u64(j, "dev", e->dev);
	json_u64(j, "ino", e->ino);
	json_str(j, "path", e->path);
	json_u64(j, "share_id", e->share_id);
	json_str(j, "client", e->client);
	json_str(j, "client_addr", e->client_addr);
	json_u64(j, "age_ms", e->age_ms);
	kind_json(j, e);
	if (e->proto == XLOCK_PROTO_NLM) {
		json_u64(j, "svid", e->svid);
		json_str(j, "oh_hash", e->oh_hash[0] ? e->oh_hash : NULL);
	} else if (e->proto == XLOCK_PROTO_SMB) {
		json_str(j, "guid", e->guid);
		if (e->kind == XLOCK_KIND_LEASE)
			json_str(j, "lease_key", e->lease_key);
		else if (e->has_fid)
			json_u64(j, "fid", e->fid);
		else
			json_null(j, "fid");
	}
	if (event && e->event == XLOCK_EVENT_CONFLICT) {
		json_str(j, "req_client", e->req_client);
		json_str(j, "outcome", outcome_name(e->outcome));
	}
	json_obj_end(j);
}

/* The WHAT column: "excl 0-99", "RWH ->RH", "access=rw allow=r". */
static void entry_what(const struct entry *e, char *buf, size_t size)
{
	const char *mode = e->mode == XLOCK_MODE_EXCL ? "excl" : "shared";
	char a[4], b[4];
	int n = 0;

	switch (e->kind) {
	case XLOCK_KIND_LOCK:
		if (e->end == XLOCK_END_MAX)
			n = snprintf(buf, size, "%s %" PRIu64 "-EOF", mode, e->start);
		else
			n = snprintf(buf, size, "%s %" PRIu64 "-%" PRIu64, mode, e->start, e->end);
		break;
	case XLOCK_KIND_LEASE:
		lease_letters(e->state, a);
		lease_letters(e->break_to, b);
		n = snprintf(buf, size, "%s", a[0] ? a : "none");
		if (e->breaking)
			n += snprintf(buf + n, size - n, " ->%s", b[0] ? b : "none");
		break;
	case XLOCK_KIND_SHARE:
		access_letters(e->access, a);
		access_letters(e->allow, b);
		n = snprintf(buf, size, "access=%s allow=%s", a[0] ? a : "none", b[0] ? b : "none");
		break;
	case XLOCK_KIND_DELEG:
		n = snprintf(buf, size, "%s", e->state & XLOCK_LEASE_W ? "write" : "read");
		break;
	default:
		n = snprintf(buf, size, "?");
	}
	if (e->flags & XLOCK_ENTRY_F_PENDING)
		snprintf(buf + n, size - n, " (pending)");
}

static void entry_file(const struct entry *e, char *buf, size_t size)
{
	if (e->path)
		snprintf(buf, size, "%s", e->path);
	else
		snprintf(buf, size, "dev=%u:%u,ino=%" PRIu64, MAJOR(e->dev), MINOR(e->dev), e->ino);
}

static void age(uint64_t ms, char *buf, size_t size)
{
	uint64_t s = ms / 1000;

	if (s < 10)
		snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "s", s, ms % 1000 / 100);
	else if (s < 60)
		snprintf(buf, size, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s % 86400 / 3600);
}

void entries_print(const struct entry *e, size_t n, uint64_t generation, bool json)
{
	struct table t = { .cols = 7 };
	char id[24], what[64], file[4200], ago[24];
	struct json j;

	if (json) {
		json_init(&j, stdout);
		json_obj(&j, NULL);
		json_u64(&j, "generation", generation);
		json_arr(&j, "entries");
		for (size_t i = 0; i < n; i++)
			entry_json(&j, &e[i], false);
		json_arr_end(&j);
		json_obj_end(&j);
		json_end(&j);
		return;
	}
	table_row(&t, "ID", "PROTO", "KIND", "CLIENT", "WHAT", "PATH", "AGE");
	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%" PRIu64, e[i].id);
		entry_what(&e[i], what, sizeof(what));
		entry_file(&e[i], file, sizeof(file));
		age(e[i].age_ms, ago, sizeof(ago));
		table_row(&t, id, proto_name(e[i].proto), kind_name(e[i].kind), e[i].client,
			  what, file, ago);
	}
	table_print(&t);
	if (!n)
		printf("(none)\n");
}

void event_print(const struct entry *e, bool json)
{
	char what[64], buf[4200];
	char *client, *file, *req = NULL;
	struct json j;

	if (json) {
		json_init(&j, stdout);
		entry_json(&j, e, true);
		json_end(&j);
		return;
	}
	entry_what(e, what, sizeof(what));
	entry_file(e, buf, sizeof(buf));
	file = printable(buf);
	client = printable(e->client);
	printf("%s %" PRIu64 " %s %s %s %s %s", event_name(e->event), e->id, proto_name(e->proto),
	       kind_name(e->kind), client, what, file);
	if (e->event == XLOCK_EVENT_CONFLICT) {
		req = printable(e->req_client ? e->req_client : "?");
		printf(" requested by %s: %s", req, outcome_name(e->outcome));
	}
	printf("\n");
	fflush(stdout);
	free(client);
	free(file);
	free(req);
}
