// SPDX-License-Identifier: GPL-2.0
/*
 * xlockctl: administer the xlock lock table over its generic netlink family
 * (see include/uapi/linux/xlock.h and xlockctl(8)).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "help.h"
#include "json.h"
#include "metrics.h"
#include "nlattr.h"
#include "report.h"
#include "show.h"
#include "testcmd.h"

#ifndef XLOCK_VERSION
#define XLOCK_VERSION "unknown"
#endif

#define DUMP_RETRIES 3

static const struct option no_opts[] = { COMMON_OPTS, { 0 } };

/* --- status and config -------------------------------------------------- */

static int on_status(struct nlattr **tb, const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	status_parse(tb, arg);
	return 0;
}

static void get_status(struct status *st)
{
	memset(st, 0, sizeof(*st));
	request(xnl_new(&nl, XLOCK_CMD_GET_STATUS, false), on_status, st);
}

static int cmd_status(int argc, char **argv)
{
	struct status st;

	no_options(argc, argv, 0, "");
	connect_xlock();
	get_status(&st);
	status_print(&st, json_out);
	status_free(&st);
	return EXIT_OK;
}

static int cmd_metrics(int argc, char **argv)
{
	struct status st;

	no_options(argc, argv, 0, "");
	connect_xlock();
	get_status(&st);
	metrics_print(stdout, &st);
	status_free(&st);
	return EXIT_OK;
}

/*
 * Share and limit changes are the module's until it is loaded anew, and
 * xlockd's configuration file replaces them whenever it is applied: say so
 * where that file exists.
 */
static void runtime_note(void)
{
	if (!access("/etc/xlock/xlockd.conf", F_OK))
		fprintf(stderr, "xlockctl: a runtime change: xlockd applies /etc/xlock/xlockd.conf again at its start, on SIGHUP and after a module load (see xlockd(8))\n");
}

static int cmd_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit-total", required_argument, NULL, XLOCK_A_LIMIT_TOTAL },
		{ "limit-file", required_argument, NULL, XLOCK_A_LIMIT_FILE },
		{ "limit-client", required_argument, NULL, XLOCK_A_LIMIT_CLIENT },
		COMMON_OPTS, { 0 }
	};
	uint64_t limit[XLOCK_A_LIMIT_CLIENT + 1] = { 0 };
	struct nl_msg *msg;
	struct status st;
	bool set = false;
	int c;

	static const char *const what[] = { "--limit-total", "--limit-file", "--limit-client" };

	while ((c = next_opt(argc, argv, opts)) != -1) {
		limit[c] = parse_u64(what[c - XLOCK_A_LIMIT_TOTAL], optarg, 1,
				     c == XLOCK_A_LIMIT_FILE ? 1 << 20 : 1 << 26);
		set = true;
	}
	want_args(argc, argv, 0, "");
	connect_xlock();
	if (!set) {
		get_status(&st);
		limits_print(&st, json_out);
		status_free(&st);
		return EXIT_OK;
	}
	msg = xnl_new(&nl, XLOCK_CMD_SET_CONFIG, false);
	for (c = XLOCK_A_LIMIT_TOTAL; c <= XLOCK_A_LIMIT_CLIENT; c++)
		if (limit[c])
			xnl_put_u32(msg, c, limit[c]);
	request(msg, NULL, NULL);
	runtime_note();
	return EXIT_OK;
}

/* --- shares ------------------------------------------------------------- */

struct shares {
	struct share *v;
	size_t n;
};

static int on_share(struct nlattr **tb, const struct nlmsghdr *nlh, void *arg)
{
	struct shares *s = arg;

	(void)nlh;
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	share_parse(tb, &s->v[s->n++]);
	return 0;
}

static void get_shares(struct shares *s)
{
	memset(s, 0, sizeof(*s));
	request(xnl_new(&nl, XLOCK_CMD_GET_SHARES, true), on_share, s);
}

static void shares_free(struct shares *s)
{
	for (size_t i = 0; i < s->n; i++)
		share_free(&s->v[i]);
	free(s->v);
}

/*
 * A share given as ID, NAME or PATH: a number is an id, something with a
 * '/' (or "." and "..") a directory, anything else a name.
 */
static uint32_t resolve_share(const char *arg)
{
	bool is_path = strchr(arg, '/') || !strcmp(arg, ".") || !strcmp(arg, "..");
	char *real = is_path ? realpath(arg, NULL) : NULL;
	bool is_id = arg[0] && strspn(arg, "0123456789") == strlen(arg);
	uint32_t id = is_id ? parse_u64("a share id", arg, 0, UINT32_MAX) : 0;
	struct shares s;
	bool found = false;

	get_shares(&s);
	for (size_t i = 0; i < s.n && !found; i++) {
		const struct share *sh = &s.v[i];

		if (is_id)
			found = sh->id == id;
		else if (is_path)
			found = sh->path && (!strcmp(sh->path, arg) ||
					     (real && !strcmp(sh->path, real)));
		else
			found = !strcmp(sh->name, arg);
		if (found)
			id = sh->id;
	}
	free(real);
	shares_free(&s);
	if (!found)
		fail(EXIT_NOTFOUND, "no share with %s '%s'",
		     is_id ? "id" : is_path ? "path" : "name", arg);
	return id;
}

static int cmd_shares(int argc, char **argv)
{
	struct shares s;

	no_options(argc, argv, 0, "");
	connect_xlock();
	get_shares(&s);
	shares_print(s.v, s.n, json_out);
	shares_free(&s);
	return EXIT_OK;
}

/* Policy options of share add and share set; 0 or -1 means not given. */
struct share_opts {
	uint32_t break_timeout_ms, grace_s;
	int enable;
};

static void share_opt(struct share_opts *o, int c)
{
	switch (c) {
	case 'b':
		o->break_timeout_ms = parse_u64("--break-timeout", optarg, 100, 3600000);
		break;
	case 'g':
		o->grace_s = parse_u64("--grace", optarg, 1, 3600);
		break;
	case 'e':
	case 'd':
		if (o->enable >= 0 && o->enable != (c == 'e'))
			usage_error("--enable and --disable exclude each other");
		o->enable = c == 'e';
		break;
	}
}

static void share_put(struct nl_msg *msg, const struct share_opts *o)
{
	if (o->break_timeout_ms)
		xnl_put_u32(msg, XLOCK_A_BREAK_TIMEOUT_MS, o->break_timeout_ms);
	if (o->grace_s)
		xnl_put_u32(msg, XLOCK_A_GRACE_S, o->grace_s);
	if (o->enable >= 0)
		xnl_put_u32(msg, XLOCK_A_SHARE_FLAGS, o->enable ? XLOCK_SHARE_F_ENABLED : 0);
}

#define POLICY_OPTS { "break-timeout", required_argument, NULL, 'b' }, \
		    { "grace", required_argument, NULL, 'g' }

/* Names are never numbers or paths, so that ID|NAME|PATH stays unambiguous. */
static const char *share_name(const char *name)
{
	check_len("the share name", name, XLOCK_NAME_MAX - 1);
	if (strspn(name, "0123456789") == strlen(name) || strchr(name, '/') ||
	    !strcmp(name, ".") || !strcmp(name, ".."))
		usage_error("a share name cannot be a number or contain '/': '%s'", name);
	return name;
}

static int cmd_share_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "disabled", no_argument, NULL, 'd' },
		POLICY_OPTS, COMMON_OPTS, { 0 }
	};
	struct share_opts o = { .enable = -1 };
	const char *name = NULL;
	struct nl_msg *msg;
	uint64_t id = 0;
	char *path;
	int c;

	while ((c = next_opt(argc, argv, opts)) != -1) {
		if (c == 'n')
			name = share_name(optarg);
		else
			share_opt(&o, c);
	}
	want_args(argc, argv, 1, "PATH");
	path = abs_path("share directory", argv[optind]);
	connect_xlock();
	msg = xnl_new(&nl, XLOCK_CMD_ADD_SHARE, false);
	xnl_put_str(msg, XLOCK_A_PATH, path);
	if (name)
		xnl_put_str(msg, XLOCK_A_NAME, name);
	share_put(msg, &o);
	request(msg, on_id, &id);
	free(path);
	print_id(id);
	runtime_note();
	return EXIT_OK;
}

static int cmd_share_set(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "enable", no_argument, NULL, 'e' },
		{ "disable", no_argument, NULL, 'd' },
		POLICY_OPTS, COMMON_OPTS, { 0 }
	};
	struct share_opts o = { .enable = -1 };
	struct nl_msg *msg;
	uint32_t id;
	int c;

	while ((c = next_opt(argc, argv, opts)) != -1)
		share_opt(&o, c);
	want_args(argc, argv, 1, "ID, NAME or PATH of the share");
	check_len("the share", argv[optind], PATH_MAX - 1);
	if (!o.break_timeout_ms && !o.grace_s && o.enable < 0)
		usage_error("nothing to change: use --break-timeout, --grace, --enable or --disable");
	connect_xlock();
	id = resolve_share(argv[optind]);
	msg = xnl_new(&nl, XLOCK_CMD_SET_SHARE, false);
	xnl_put_u32(msg, XLOCK_A_SHARE_ID, id);
	share_put(msg, &o);
	request(msg, NULL, NULL);
	runtime_note();
	return EXIT_OK;
}

static int cmd_share_del(int argc, char **argv)
{
	struct nl_msg *msg;
	uint32_t id;

	no_options(argc, argv, 1, "ID, NAME or PATH of the share");
	check_len("the share", argv[optind], PATH_MAX - 1);
	connect_xlock();
	id = resolve_share(argv[optind]);
	msg = xnl_new(&nl, XLOCK_CMD_DEL_SHARE, false);
	xnl_put_u32(msg, XLOCK_A_SHARE_ID, id);
	request(msg, NULL, NULL);
	runtime_note();
	return EXIT_OK;
}

/* --- locks -------------------------------------------------------------- */

struct entries {
	struct entry *v;
	size_t n, cap;
	uint64_t generation;
	bool has_generation;
};

static int on_entry(struct nlattr **tb, const struct nlmsghdr *nlh, void *arg)
{
	struct entries *es = arg;

	(void)nlh;
	if (es->n == es->cap) {
		es->cap = es->cap ? 2 * es->cap : 64;
		es->v = xrealloc(es->v, es->cap * sizeof(*es->v));
	}
	entry_parse(tb, &es->v[es->n++]);
	/* Newer kernels may stamp each message; then the first one's is exact. */
	if (!es->has_generation && tb[XLOCK_A_GENERATION]) {
		es->generation = nla_get_u64(tb[XLOCK_A_GENERATION]);
		es->has_generation = true;
	}
	return 0;
}

static void entries_free(struct entries *es)
{
	for (size_t i = 0; i < es->n; i++)
		entry_free(&es->v[i]);
	free(es->v);
	memset(es, 0, sizeof(*es));
}

struct locks_filter {
	bool by_share;
	uint32_t share_id;
	char *path;
	const char *client;
};

/* Dump the entries; start again (up to DUMP_RETRIES times) if the table changed meanwhile. */
static void dump_locks(const struct locks_filter *f, struct entries *es)
{
	struct status st;
	struct nl_msg *msg;
	bool intr = false;

	for (int try = 0; try <= DUMP_RETRIES; try++) {
		entries_free(es);
		get_status(&st);
		es->generation = st.generation;
		status_free(&st);
		msg = xnl_new(&nl, XLOCK_CMD_GET_LOCKS, true);
		if (f->by_share)
			xnl_put_u32(msg, XLOCK_A_SHARE_ID, f->share_id);
		if (f->path)
			xnl_put_str(msg, XLOCK_A_PATH, f->path);
		if (f->client)
			xnl_put_str(msg, XLOCK_A_CLIENT, f->client);
		if (xnl_request(&nl, msg, on_entry, es, &intr))
			kernel_error();
		if (!intr)
			return;
	}
	fprintf(stderr, "xlockctl: %s: warning: the table kept changing during %d dumps; "
		"this list may mix states\n", cmd_name, DUMP_RETRIES + 1);
}

static int cmd_locks(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "share", required_argument, NULL, 's' },
		{ "path", required_argument, NULL, 'p' },
		{ "client", required_argument, NULL, 'c' },
		COMMON_OPTS, { 0 }
	};
	struct locks_filter f = { 0 };
	const char *share = NULL;
	struct entries es = { 0 };
	int c;

	while ((c = next_opt(argc, argv, opts)) != -1) {
		if (c == 's')
			share = check_len("--share", optarg, PATH_MAX - 1);
		else if (c == 'p')
			f.path = abs_path("--path", optarg);
		else
			f.client = check_len("--client", optarg, XLOCK_NAME_MAX + 7);
	}
	want_args(argc, argv, 0, "");
	connect_xlock();
	if (share) {
		f.by_share = true;
		f.share_id = resolve_share(share);
	}
	dump_locks(&f, &es);
	entries_print(es.v, es.n, es.generation, json_out);
	entries_free(&es);
	free(f.path);
	return EXIT_OK;
}

/* --- break, clear-client ------------------------------------------------ */

static int cmd_break(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		COMMON_OPTS, { 0 }
	};
	struct nl_msg *msg;
	int c, to = -1;
	uint64_t id;

	while ((c = next_opt(argc, argv, opts)) != -1)
		to = parse_lease(optarg);
	want_args(argc, argv, 1, "the entry ID");
	id = parse_u64("the entry ID", argv[optind], 0, UINT64_MAX);
	connect_xlock();
	msg = xnl_new(&nl, XLOCK_CMD_BREAK, false);
	xnl_put_u64(msg, XLOCK_A_ENTRY_ID, id);
	if (to >= 0)
		xnl_put_u8(msg, XLOCK_A_LEASE_STATE, to);
	request(msg, NULL, NULL);
	return EXIT_OK;
}

static int on_count(struct nlattr **tb, const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	*(uint64_t *)arg = xnl_u64(tb[XLOCK_A_NR_ENTRIES], 0);
	return 0;
}

static int cmd_clear_client(int argc, char **argv)
{
	struct nl_msg *msg;
	uint64_t n = 0;

	no_options(argc, argv, 1, "CLIENT");
	check_len("CLIENT", argv[optind], XLOCK_NAME_MAX + 7);
	connect_xlock();
	msg = xnl_new(&nl, XLOCK_CMD_CLEAR_CLIENT, false);
	xnl_put_str(msg, XLOCK_A_CLIENT, argv[optind]);
	request(msg, on_count, &n);
	if (json_out)
		printf("{\"released\":%" PRIu64 "}\n", n);
	else
		printf("released %" PRIu64 " %s\n", n, n == 1 ? "entry" : "entries");
	return EXIT_OK;
}

/* --- grace ------------------------------------------------------------- */

#define MAX_GRACE_CLIENTS 64

struct grace {
	uint8_t state;
	uint64_t left_ms, total, reclaimed;
	struct {
		char *client;
		uint64_t total, reclaimed;
	} c[MAX_GRACE_CLIENTS];
	size_t n;
	bool listed;	/* the kernel sent the client list (CAP_NET_ADMIN) */
};

static int on_grace(struct nlattr **tb, const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *one, *ctb[XLOCK_A_MAX + 1];
	struct grace *g = arg;
	int rem;

	(void)nlh;
	g->state = xnl_u8(tb[XLOCK_A_GRACE_STATE], 0);
	g->left_ms = xnl_u64(tb[XLOCK_A_GRACE_LEFT_MS], 0);
	g->total = xnl_u64(tb[XLOCK_A_NR_ENTRIES], 0);
	g->reclaimed = xnl_u64(tb[XLOCK_A_NR_RECLAIMED], 0);
	if (!tb[XLOCK_A_CLIENTS])
		return 0;
	g->listed = true;
	nla_for_each_nested(one, tb[XLOCK_A_CLIENTS], rem) {
		if (g->n == MAX_GRACE_CLIENTS || xnl_parse_nested(ctb, one))
			break;
		g->c[g->n].client = xnl_strdup(ctb[XLOCK_A_CLIENT]);
		g->c[g->n].total = xnl_u64(ctb[XLOCK_A_NR_ENTRIES], 0);
		g->c[g->n].reclaimed = xnl_u64(ctb[XLOCK_A_NR_RECLAIMED], 0);
		if (g->c[g->n].client)
			g->n++;
	}
	return 0;
}

static void grace_print(const struct grace *g)
{
	struct json j;
	size_t i;

	if (json_out) {
		json_init(&j, stdout);
		json_obj(&j, NULL);
		json_str(&j, "state", grace_name(g->state));
		json_u64(&j, "left_ms", g->left_ms);
		json_u64(&j, "entries", g->total);
		json_u64(&j, "reclaimed", g->reclaimed);
		if (!g->listed) {
			json_str(&j, "clients", NULL);
			json_obj_end(&j);
			json_end(&j);
			return;
		}
		json_arr(&j, "clients");
		for (i = 0; i < g->n; i++) {
			json_obj(&j, NULL);
			json_str(&j, "client", g->c[i].client);
			json_u64(&j, "entries", g->c[i].total);
			json_u64(&j, "reclaimed", g->c[i].reclaimed);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
		json_end(&j);
		return;
	}
	printf("grace: %s", grace_name(g->state));
	if (g->state == XLOCK_GRACE_RUNNING)
		printf(", %" PRIu64 ".%03" PRIu64 " s left", g->left_ms / 1000, g->left_ms % 1000);
	printf("\nreclaimed: %" PRIu64 " of %" PRIu64 " persisted entries\n", g->reclaimed,
	       g->total);
	if (!g->listed && g->total)
		printf("clients: not shown (needs CAP_NET_ADMIN)\n");
	if (!g->n)
		return;
	printf("%-40s %10s %10s  %s\n", "CLIENT", "ENTRIES", "RECLAIMED", "");
	for (i = 0; i < g->n; i++)
		printf("%-40s %10" PRIu64 " %10" PRIu64 "  %s\n", g->c[i].client, g->c[i].total,
		       g->c[i].reclaimed,
		       g->c[i].reclaimed == g->c[i].total ? "done" : "missing");
}

static int cmd_grace_status(int argc, char **argv)
{
	struct grace g = { 0 };
	size_t i;

	no_options(argc, argv, 0, "");
	connect_xlock();
	request(xnl_new(&nl, XLOCK_CMD_GET_GRACE, false), on_grace, &g);
	grace_print(&g);
	for (i = 0; i < g.n; i++)
		free(g.c[i].client);
	return EXIT_OK;
}

/*
 * Start one grace period by hand (xlockd starts it after a restart): lockd
 * and nfsd hold back new locks while it runs, SMB too where it conflicts
 * with what is left to reclaim.
 */
static int cmd_grace_start(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		COMMON_OPTS, { 0 }
	};
	uint32_t secs = 0;
	struct nl_msg *msg;
	int c;

	while ((c = next_opt(argc, argv, opts)) != -1)
		if (c == 's')
			secs = parse_u64("--seconds", optarg, 1, 3600);
	want_args(argc, argv, 0, "");
	connect_xlock();
	msg = xnl_new(&nl, XLOCK_CMD_GRACE_START, false);
	if (secs)
		xnl_put_u32(msg, XLOCK_A_GRACE_S, secs);
	request(msg, NULL, NULL);
	if (json_out)
		printf("{\"started\":true}\n");
	else
		printf("grace started\n");
	return EXIT_OK;
}

static int cmd_grace_end(int argc, char **argv)
{
	uint64_t n = 0;

	no_options(argc, argv, 0, "");
	connect_xlock();
	request(xnl_new(&nl, XLOCK_CMD_GRACE_END, false), on_count, &n);
	if (json_out)
		printf("{\"unclaimed\":%" PRIu64 "}\n", n);
	else
		printf("grace ended: %" PRIu64 " persisted %s not reclaimed, forgotten\n", n,
		       n == 1 ? "entry" : "entries");
	return EXIT_OK;
}

/* --- events ------------------------------------------------------------- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int on_event(struct nlattr **tb, const struct nlmsghdr *nlh, void *arg)
{
	struct entry e;

	(void)nlh;
	(void)arg;
	entry_parse(tb, &e);
	event_print(&e, json_out);
	entry_free(&e);
	return ferror(stdout) ? -EIO : 0;
}

static int cmd_events(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd pfd = { .events = POLLIN };
	sigset_t block, old;
	int ret;

	no_options(argc, argv, 0, "");
	connect_xlock();
	if (xnl_join(&nl, XLOCK_GENL_MCGRP_EVENTS))
		kernel_error();
	/* Signals only get through inside ppoll(): no event is cut off half printed. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pfd.fd = nl_socket_get_fd(nl.sk);
	while (!stop) {
		ret = ppoll(&pfd, 1, NULL, &old);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			fail(EXIT_KERNEL, "poll: %s", strerror(errno));
		ret = xnl_recv(&nl, on_event, NULL);
		if (ret == -ENOBUFS)
			fprintf(stderr,
				"xlockctl: events: warning: events lost (receive buffer full)\n");
		else if (ret == -EIO && ferror(stdout))
			fail(EXIT_KERNEL, "cannot write the events");
		else if (ret)
			kernel_error();
	}
	return EXIT_OK;
}

/* --- dispatch ----------------------------------------------------------- */

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct cmd share_cmds[] = {
	{ "list", cmd_shares },
	{ "add", cmd_share_add },
	{ "set", cmd_share_set },
	{ "del", cmd_share_del },
	{ NULL, NULL }
};

static const struct cmd grace_cmds[] = {
	{ "status", cmd_grace_status },
	{ "start", cmd_grace_start },
	{ "end", cmd_grace_end },
	{ NULL, NULL }
};

static const struct cmd test_cmds[] = {
	{ "add", cmd_test_add },
	{ "del", cmd_test_del },
	{ NULL, NULL }
};

static int cmd_help(int argc, char **argv);

/* "share" and "test" take a second word; @sub is their table. */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const struct cmd *sub;
} cmds[] = {
	{ "status", cmd_status, NULL },
	{ "shares", cmd_shares, NULL },
	{ "share", NULL, share_cmds },
	{ "locks", cmd_locks, NULL },
	{ "break", cmd_break, NULL },
	{ "clear-client", cmd_clear_client, NULL },
	{ "config", cmd_config, NULL },
	{ "test", NULL, test_cmds },
	{ "grace", NULL, grace_cmds },
	{ "events", cmd_events, NULL },
	{ "metrics", cmd_metrics, NULL },
	{ "help", cmd_help, NULL },
};

static int cmd_help(int argc, char **argv)
{
	const char *what;

	while (next_opt(argc, argv, no_opts) != -1)
		;
	if (argc - optind > 1)
		usage_error("unexpected argument '%s'", argv[optind + 1]);
	what = argc > optind ? argv[optind] : "";
	if (!help_print(stdout, what)) {
		topic = "";
		usage_error("no command '%s'", what);
	}
	return EXIT_OK;
}

static char name_buf[64];

static int run_sub(const struct cmd *sub, const char *word, int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		help_print(stdout, word);
		exit_flushed(EXIT_OK);
	}
	/* A bare "share" lists, a bare "grace" shows; with --json too. */
	if (argc < 2 || argv[1][0] == '-') {
		if (sub == share_cmds)
			return cmd_shares(argc, argv);
		if (sub == grace_cmds)
			return cmd_grace_status(argc, argv);
		usage_error("missing subcommand: add or del");
	}
	for (; sub->name; sub++) {
		if (!strcmp(sub->name, argv[1])) {
			snprintf(name_buf, sizeof(name_buf), "%s %s", word, sub->name);
			cmd_name = name_buf;
			return sub->fn(argc - 1, argv + 1);
		}
	}
	usage_error("unknown subcommand '%s'", argv[1]);
}

/* Options before the command: --json, --help, --version. */
static int global_opts(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			json_out = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			help_print(stdout, "");
			exit_flushed(EXIT_OK);
		} else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf("xlockctl %s\n", XLOCK_VERSION);
			exit_flushed(EXIT_OK);
		} else if (!strcmp(argv[i], "--")) {
			return i + 1;
		} else {
			usage_error("unknown option '%s'", argv[i]);
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	static char *status_argv[] = { "status", NULL };
	int i = global_opts(argc, argv);

	opterr = 0;
	if (i == argc) {
		cmd_name = "status";
		topic = "status";
		exit_flushed(cmd_status(1, status_argv));
	}
	argc -= i;
	argv += i;
	for (size_t c = 0; c < ARRAY_SIZE(cmds); c++) {
		if (strcmp(cmds[c].name, argv[0]))
			continue;
		cmd_name = cmds[c].name;
		topic = cmds[c].name;
		if (cmds[c].sub)
			exit_flushed(run_sub(cmds[c].sub, cmds[c].name, argc, argv));
		exit_flushed(cmds[c].fn(argc, argv));
	}
	usage_error("unknown command '%s'", argv[0]);
}
