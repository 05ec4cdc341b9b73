// SPDX-License-Identifier: GPL-2.0
/*
 * xlockd: persists xlock's lock table and runs the grace period after a
 * restart (see xlockd(8) and journal.h).
 *
 * It registers with the module as its one daemon, follows every grant,
 * change and release through the event group, and journals them with
 * group commit: the events that arrive while one fdatasync runs are
 * written by the next. A lock is durable once the batch that holds it is
 * committed; until then a crash of the whole server can lose it, while a
 * crash of xlockd alone cannot (the table is still in the kernel and is
 * read back when xlockd starts again).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "daemon.h"
#include "dmetrics.h"
#include "log.h"
#include "nlattr.h"
#include "reclaim.h"
#include "settings.h"
#include "sync.h"

#ifndef XLOCK_VERSION
#define XLOCK_VERSION "unknown"
#endif

#define EVENT_RCVBUF	(64 << 20)
#define BATCH_MAX	65536		/* records per commit, at most */
#define METRICS_EVERY	5.0		/* seconds */
#define COMPACT_MIN	(16 << 20)	/* journal bytes before compaction is considered */
#define RETRY_EVERY	1.0		/* seconds between snapshot or dump retries */

static volatile sig_atomic_t stop, reload;

/* --- systemd's readiness protocol, without libsystemd --------------------- */

static void sd_notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || !path[0] || strlen(path) >= sizeof(sa.sun_path))
		return;
	strcpy(sa.sun_path, path);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';	/* abstract name space */
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		log_warn("NOTIFY_SOCKET %s: %s", path, strerror(errno));
	close(fd);
}

/* --- the kernel side -------------------------------------------------------- */

static int on_register(struct nlattr **tb, const struct nlmsghdr *nlh, void *arg)
{
	struct xlockd *d = arg;

	(void)nlh;
	d->instance = xnl_u64(tb[XLOCK_A_INSTANCE], 0);
	d->grace_state = xnl_u8(tb[XLOCK_A_GRACE_STATE], XLOCK_GRACE_NONE);
	return 0;
}

/* nlctrl's notices on the event socket: did the xlock family go away? */
static int on_ctrl(const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct xlockd *d = arg;
	const struct genlmsghdr *g;

	if (nlh->nlmsg_type != GENL_ID_CTRL)
		return 0;
	g = nlmsg_data(nlh);
	if (g->cmd != CTRL_CMD_DELFAMILY ||
	    genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, CTRL_ATTR_MAX, NULL) ||
	    !tb[CTRL_ATTR_FAMILY_NAME] ||
	    strcmp(nla_data(tb[CTRL_ATTR_FAMILY_NAME]), XLOCK_GENL_NAME))
		return 0;
	d->family_gone = true;
	return 0;
}

/* Wait for the family; 0 once it is there, -1 if told to stop. */
static int wait_family(struct xlockd *d)
{
	bool said = false;
	int ret;

	for (;;) {
		ret = xnl_open(&d->req);
		if (!ret)
			return 0;
		if (ret != -ENOENT)
			die("netlink: %s", strerror(-ret));
		if (!said) {
			log_info("the xlock module is not loaded: waiting for it");
			sd_notify("STATUS=waiting for the xlock module");
			said = true;
		}
		if (stop)
			return -1;
		sleep(1);
	}
}

static void open_events(struct xlockd *d)
{
	int fd, size = EVENT_RCVBUF, grp, ret;

	ret = xnl_open(&d->ev);
	if (ret)
		die("event socket: %s", strerror(-ret));
	d->ev.other = on_ctrl;
	if (xnl_join(&d->ev, XLOCK_GENL_MCGRP_EVENTS))
		die("joining the event group: %s", d->ev.msg[0] ? d->ev.msg : strerror(d->ev.err));
	grp = genl_ctrl_resolve_grp(d->ev.sk, "nlctrl", "notify");
	if (grp < 0 || nl_socket_add_membership(d->ev.sk, grp))
		die("joining nlctrl's notify group failed");
	fd = nl_socket_get_fd(d->ev.sk);
	/* Bursts (a client's thousands of locks cleared at once) must not overrun us. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	nl_socket_set_nonblocking(d->ev.sk);
}

/* Register, join the events, then read the table: no change falls in between. */
static int attach(struct xlockd *d)
{
	int ret;

	if (wait_family(d))
		return -1;
	ret = xnl_request(&d->req, xnl_new(&d->req, XLOCK_CMD_DAEMON_REGISTER, false),
			  on_register, d, NULL);
	if (ret == -EBUSY)
		die("%s", d->req.msg[0] ? d->req.msg : "another xlockd is attached");
	if (ret)
		die("registering with the module: %s%s%s", strerror(-ret),
		    d->req.msg[0] ? ": " : "", d->req.msg);
	open_events(d);
	d->family_gone = false;
	return 0;
}

static void detach(struct xlockd *d)
{
	xnl_close(&d->ev);
	xnl_close(&d->req);
}

/* --- persistence ------------------------------------------------------------ */

/* The batch's ids, in the ack log's format, to @f (flushed). */
static void ack_write(struct xlockd *d, FILE *f)
{
	size_t i;

	for (i = 0; i < d->batch_len; i++)
		fprintf(f, "%c%u\n", d->batch_ids[i] & KEPT_ID_BASE ? '-' : '+',
			d->batch_ids[i] & ~KEPT_ID_BASE);
	fflush(f);
}

/*
 * Before a batch is made durable, its ids go to the in-flight log: a
 * kill between the commit and the acks leaves records durable but not
 * acknowledged, and a checker must know which (a release of an entry
 * acknowledged as held may then be on disk, or not).
 */
static void inflight(struct xlockd *d)
{
	if (d->ack_inflight)
		ack_write(d, d->ack_inflight);
}

static void acked(struct xlockd *d)
{
	double dt = now_s() - d->batch_first;
	size_t i;

	for (i = 0; i < WINDOW_BUCKETS - 1 && dt > window_bounds[i]; i++)
		;
	d->window[i]++;
	d->window_sum += dt;
	if (dt > d->window_max)
		d->window_max = dt;
	if (d->ack)
		ack_write(d, d->ack);
	d->batch_n = 0;
	d->batch_len = 0;
}

/* Persistence is degraded: say so once, and try again in a second. */
static void degraded(struct xlockd *d)
{
	if (d->healthy)
		log_err("%s: persistence degraded, retrying every second; the module keeps enforcing",
			d->j.err);
	d->journal_errors++;
	d->healthy = false;
	d->need_snapshot = true;
	d->retry_at = now_s() + RETRY_EVERY;
}

static int snapshot(struct xlockd *d)
{
	if (journal_snapshot(&d->j, &d->st, &d->kept, d->instance)) {
		degraded(d);
		return -1;
	}
	if (!d->healthy)
		log_info("persistence restored: snapshot of %zu entries written",
			 d->st.count + d->kept.count);
	d->snapshots++;
	d->healthy = true;
	d->need_snapshot = false;
	return 0;
}

/* Make the batch durable: one write and one fdatasync for all its records. */
static void commit(struct xlockd *d)
{
	if (d->need_snapshot) {
		/* Every second, not every pass: a snapshot rewrites everything. */
		if (now_s() < d->retry_at)
			return;
		inflight(d);
		if (!snapshot(d) && d->batch_n)
			acked(d);
		return;
	}
	if (!d->batch_n)
		return;
	inflight(d);
	if (journal_commit(&d->j)) {
		degraded(d);
		return;
	}
	d->commits++;
	acked(d);
	if (d->j.size > COMPACT_MIN && d->j.size > 2 * d->j.snapshot_size)
		snapshot(d);
}

/* Events were lost (the socket overran): read the whole table again. */
static void resync(struct xlockd *d)
{
	if (now_s() < d->resync_at)
		return;
	d->resyncs++;
	if (sync_dump(d)) {
		d->resync_at = now_s() + RETRY_EVERY;
		return;
	}
	log_warn("events overran the socket: re-read %zu entries from the kernel", d->st.count);
	d->need_snapshot = true;
	d->need_resync = false;
}

/*
 * Read the events queued, at most BATCH_MAX per pass. A batch ends when
 * none is left or it is full; while a snapshot is due instead (the disk
 * failed), events are not journaled and no batch fills: keep reading, or
 * the socket stays readable and the loop spins.
 */
static void drain(struct xlockd *d)
{
	size_t n;
	int ret;

	for (n = 0; n < BATCH_MAX && !d->family_gone &&
	     (d->need_snapshot || d->batch_n < BATCH_MAX); n++) {
		ret = xnl_recv(&d->ev, sync_on_event, d);
		if (ret == -EAGAIN || ret == -EWOULDBLOCK)
			return;
		if (ret == -ENOBUFS) {
			d->need_resync = true;
			continue;
		}
		if (ret)
			die("reading events: %s", strerror(-ret));
	}
}

/* How long poll() may wait: until a retry is due, or the metrics are. */
static int poll_ms(const struct xlockd *d, double next_metrics)
{
	double until = next_metrics, t = now_s();

	if (!d->metrics_file)
		until = t + METRICS_EVERY;
	if (d->need_snapshot && d->retry_at < until)
		until = d->retry_at;
	if (d->need_resync && d->resync_at < until)
		until = d->resync_at;
	return until <= t ? 0 : (int)((until - t) * 1000) + 1;
}

/* --- start-up --------------------------------------------------------------- */

static void start(struct xlockd *d)
{
	uint64_t persisted = d->j.instance;

	/* Before grace starts: the file may set its length (share 0's grace_s). */
	settings_apply(d);
	if (persisted && persisted == d->instance) {
		/* xlockd restarted, the module did not: its table is the truth. */
		log_info("same module instance %016" PRIx64 ": reading its table", d->instance);
		reclaim_resume(d);
	} else if (persisted || d->old.count) {
		reclaim_after_restart(d);
	}
	if (sync_dump(d))
		die("cannot read the lock table");
	if (snapshot(d))
		log_err("starting without a snapshot; entries stay in memory until the disk recovers");
	log_info("attached to xlock (instance %016" PRIx64 "): %zu entries persisted, %zu kept from a shutdown, %zu to reclaim",
		 d->instance, d->st.count, d->kept.count, d->old.count);
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		stop = 1;
}

static void run(struct xlockd *d)
{
	double next_metrics = 0, t;
	struct pollfd pfd;

	dmetrics_write(d);
	for (;;) {
		t = now_s();
		if (d->metrics_file && t >= next_metrics) {
			dmetrics_write(d);
			next_metrics = t + METRICS_EVERY;
		}
		pfd.fd = nl_socket_get_fd(d->ev.sk);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, poll_ms(d, next_metrics)) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (pfd.revents & POLLIN)
			drain(d);
		if (stop)
			drain(d);	/* what the kernel sent before the signal */
		if (d->need_resync)
			resync(d);
		commit(d);
		if (reload) {
			reload = 0;
			settings_reload(d);
		}
		if (stop)
			return;
		if (d->family_gone) {
			log_warn("the xlock module was unloaded: its entries stay persisted, to be reclaimed when it is back");
			sd_notify("STATUS=waiting for the xlock module");
			detach(d);
			if (attach(d))
				return;
			start(d);
			sd_notify("STATUS=persisting");
		}
	}
}

/* --- offline inspection ----------------------------------------------------- */

static void print_store(const char *what, const struct store *st)
{
	const struct pentry *e;
	size_t i = 0;

	while ((e = store_next(st, &i)))
		printf("%s id=%u proto=%u kind=%u mode=%u state=%u flags=%#x start=%" PRIu64
		       " end=%" PRIu64 " svid=%u client=%s path=%s\n",
		       what, e->id, e->proto, e->kind, e->mode, e->state, e->flags, e->start,
		       e->end, e->svid, e->client, e->path);
}

static int print_state(struct xlockd *d)
{
	printf("instance %016" PRIx64 " seq %" PRIu64 " entries %zu reclaim %zu\n",
	       d->j.instance, d->j.seq, d->st.count + d->kept.count, d->old.count);
	print_store("entry", &d->st);
	print_store("entry", &d->kept);
	print_store("reclaim", &d->old);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xlockd [options]\n"
		"  -d, --state-dir DIR       where the state lives (/var/lib/xlockd)\n"
		"  -g, --grace SECONDS       grace period after a restart (default: the\n"
		"                            module's, 90 s unless configured)\n"
		"  -m, --metrics-file PATH   write Prometheus metrics there every 5 s\n"
		"  -c, --config FILE         settings applied at start and on SIGHUP\n"
		"                            (default " CONFIG_FILE ", if it exists)\n"
		"      --with-test-entries   persist entries added by xlockctl test add too\n"
		"      --ack-log PATH        append each entry id once it is durable\n"
		"                            (and to PATH.inflight before its commit)\n"
		"                            (+id granted, -id released; for tests; a\n"
		"                            last line without its newline, cut by a\n"
		"                            kill, acknowledges nothing)\n"
		"      --print-state         print the persisted state and exit (read-only:\n"
		"                            works while xlockd runs)\n"
		"  -V, --version\n"
		"  -h, --help\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "grace", required_argument, NULL, 'g' },
		{ "metrics-file", required_argument, NULL, 'm' },
		{ "config", required_argument, NULL, 'c' },
		{ "with-test-entries", no_argument, NULL, 'T' },
		{ "ack-log", required_argument, NULL, 'A' },
		{ "print-state", no_argument, NULL, 'P' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct xlockd d = { .state_dir = "/var/lib/xlockd", .next_kept_id = KEPT_ID_BASE,
			    .cfg_file = CONFIG_FILE };
	char err[4096 + 256];
	struct sigaction sa = { .sa_handler = on_signal };
	bool print = false;
	char *end;
	long v;
	int c, ret;

	while ((c = getopt_long(argc, argv, "d:g:m:c:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			d.state_dir = optarg;
			break;
		case 'g':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v < 1 || v > 3600) {
				fprintf(stderr, "xlockd: --grace takes 1 to 3600 seconds, not \"%s\"\n",
					optarg);
				return 2;
			}
			d.grace_s = v;
			break;
		case 'm':
			d.metrics_file = optarg;
			break;
		case 'c':
			d.cfg_file = optarg;
			d.cfg_must_exist = true;
			break;
		case 'T':
			d.with_test = true;
			break;
		case 'A':
			d.ack_log = optarg;
			break;
		case 'P':
			print = true;
			break;
		case 'V':
			printf("xlockd %s\n", XLOCK_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	/* A broken file stops us before anything: its settings would not be in force. */
	if (!print && config_read(d.cfg_file, d.cfg_must_exist, &d.cfg, err, sizeof(err))) {
		log_err("%s", err);
		return 1;
	}
	d.load_s = now_s();
	ret = journal_load(&d.j, d.state_dir, print, &d.st, &d.old, &d.old_instance);
	if (ret) {
		log_err("%s", d.j.err);
		if (ret != -EBUSY && !print)
			log_err("not starting: the state is kept as it is for inspection (move it away to start empty)");
		return 1;
	}
	sync_split_kept(&d);
	d.load_s = now_s() - d.load_s;
	if (print)
		return print_state(&d);
	if (d.ack_log) {
		char *p;

		d.ack = fopen(d.ack_log, "a");
		if (!d.ack)
			die("%s: %s", d.ack_log, strerror(errno));
		if (asprintf(&p, "%s.inflight", d.ack_log) < 0)
			die("out of memory");
		d.ack_inflight = fopen(p, "a");
		if (!d.ack_inflight)
			die("%s: %s", p, strerror(errno));
		free(p);
	}

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.healthy = true;
	if (attach(&d))
		return 0;
	start(&d);
	sd_notify("READY=1\nSTATUS=persisting");
	run(&d);
	sd_notify("STOPPING=1");
	commit(&d);
	dmetrics_write(&d);
	detach(&d);
	journal_close(&d.j);
	log_info("stopped: %zu entries persisted", d.st.count + d.kept.count);
	return 0;
}
