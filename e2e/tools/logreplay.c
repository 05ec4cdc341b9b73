// SPDX-License-Identifier: GPL-2.0
/*
 * logreplay: replay a dm-log-writes log onto a device or image, stopping
 * at every flush and FUA point to run a check (the crash-consistency
 * method fstests uses; this is our own small replayer).
 *
 * usage: logreplay [-c CMD] [-l] LOG TARGET
 *   -c CMD  at each flush/FUA point run "sh -c CMD" with LOGREPLAY_POINT
 *           (1, 2, ...), LOGREPLAY_ENTRY (the entry's index),
 *           LOGREPLAY_MARK (the text of the last mark before it, "" if
 *           none) and LOGREPLAY_WRITES (writes replayed since the previous
 *           point: 0 means the target is as the previous check saw it) in
 *           the environment; a failing CMD stops the replay
 *   -l      print every entry
 * TARGET starts as the device did when logging began (zeros after a
 * fresh mkfs is not enough: copy the device's first state there).
 * Exit status 0 if every check passed, 1 if one failed, 2 on a bad log.
 *
 * The log (drivers/md/dm-log-writes.c): a super block in the first
 * sector (magic, version, nr_entries, sectorsize; little endian), then
 * nr_entries entries, each a header in one sector (sector, nr_sectors,
 * flags, data_len: 64-bit each; a mark's text follows the header in that
 * sector) and, unless it is a discard or a mark, nr_sectors sectors of
 * the data written. Sectors are sectorsize bytes. Writes are logged once
 * a flush covers them, in completion order; FUA writes at completion.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_MAGIC	0x6a736677736872ULL
#define LOG_VERSION	1
#define F_FLUSH		(1 << 0)
#define F_FUA		(1 << 1)
#define F_DISCARD	(1 << 2)
#define F_MARK		(1 << 3)

struct entry_hdr {
	uint64_t sector, nr_sectors, flags, data_len;
};

static int read_at(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	return n == (ssize_t)len ? 0 : -1;
}

static int write_at(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n = pwrite(fd, buf, len, off);

	return n == (ssize_t)len ? 0 : -1;
}

static int run_check(const char *cmd, uint64_t point, uint64_t idx, const char *mark,
		     uint64_t writes)
{
	char p[32], e[32], w[32];
	int st;

	snprintf(p, sizeof(p), "%" PRIu64, point);
	snprintf(e, sizeof(e), "%" PRIu64, idx);
	snprintf(w, sizeof(w), "%" PRIu64, writes);
	setenv("LOGREPLAY_POINT", p, 1);
	setenv("LOGREPLAY_ENTRY", e, 1);
	setenv("LOGREPLAY_MARK", mark, 1);
	setenv("LOGREPLAY_WRITES", w, 1);
	st = system(cmd);
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	uint64_t magic, version, nr, i, points = 0, marks = 0, writes = 0, pos, last = 0;
	const char *cmd = NULL;
	char mark[4096] = "";
	unsigned char sb[512];
	uint32_t ss;
	int c, lfd, tfd, list = 0;
	char *buf = NULL;
	size_t cap = 0;

	while ((c = getopt(argc, argv, "c:l")) != -1) {
		switch (c) {
		case 'c':
			cmd = optarg;
			break;
		case 'l':
			list = 1;
			break;
		default:
			fprintf(stderr, "usage: logreplay [-c CMD] [-l] LOG TARGET\n");
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: logreplay [-c CMD] [-l] LOG TARGET\n");
		return 2;
	}
	lfd = open(argv[optind], O_RDONLY);
	tfd = open(argv[optind + 1], O_RDWR);
	if (lfd < 0 || tfd < 0) {
		fprintf(stderr, "logreplay: %s: %s\n", argv[optind + (lfd >= 0)], strerror(errno));
		return 2;
	}
	if (read_at(lfd, sb, sizeof(sb), 0)) {
		fprintf(stderr, "logreplay: %s: no super block\n", argv[optind]);
		return 2;
	}
	memcpy(&magic, sb, 8);
	memcpy(&version, sb + 8, 8);
	memcpy(&nr, sb + 16, 8);
	memcpy(&ss, sb + 24, 4);
	magic = le64toh(magic);
	version = le64toh(version);
	nr = le64toh(nr);
	ss = le32toh(ss);
	if (magic != LOG_MAGIC || version != LOG_VERSION || ss < 512 || ss > 65536 ||
	    (ss & (ss - 1))) {
		fprintf(stderr, "logreplay: %s: not a dm-log-writes log (magic %#" PRIx64
			", version %" PRIu64 ", sector size %u)\n", argv[optind], magic, version, ss);
		return 2;
	}
	pos = ss;
	for (i = 0; i < nr; i++) {
		struct entry_hdr h;
		size_t len;

		if (cap < ss) {
			cap = ss;
			buf = realloc(buf, cap);
			if (!buf)
				return 2;
		}
		if (read_at(lfd, buf, ss, pos)) {
			fprintf(stderr, "logreplay: entry %" PRIu64 " at %" PRIu64 ": short log\n", i,
				pos);
			return 2;
		}
		memcpy(&h, buf, sizeof(h));
		h.sector = le64toh(h.sector);
		h.nr_sectors = le64toh(h.nr_sectors);
		h.flags = le64toh(h.flags);
		h.data_len = le64toh(h.data_len);
		pos += ss;
		if (list)
			printf("%" PRIu64 " sector=%" PRIu64 " n=%" PRIu64 " flags=%#" PRIx64 "\n", i,
			       h.sector, h.nr_sectors, h.flags);
		if (h.flags & F_MARK) {
			len = h.data_len < sizeof(mark) - 1 ? h.data_len : sizeof(mark) - 1;
			if (len > ss - sizeof(h))
				len = ss - sizeof(h);
			memcpy(mark, buf + sizeof(h), len);
			mark[len] = '\0';
			marks++;
			continue;
		}
		if (h.nr_sectors > (1ULL << 32) / ss) {
			fprintf(stderr, "logreplay: entry %" PRIu64 ": %" PRIu64 " sectors?\n", i,
				h.nr_sectors);
			return 2;
		}
		len = h.nr_sectors * ss;
		if (cap < len) {
			cap = len;
			buf = realloc(buf, cap);
			if (!buf)
				return 2;
		}
		if (h.flags & F_DISCARD) {
			/* What a discarded range reads back as is not promised: zeros. */
			memset(buf, 0, len);
		} else if (len) {
			if (read_at(lfd, buf, len, pos)) {
				fprintf(stderr, "logreplay: entry %" PRIu64 ": short data\n", i);
				return 2;
			}
			pos += len;
		}
		if (len) {
			if (write_at(tfd, buf, len, h.sector * ss)) {
				fprintf(stderr, "logreplay: writing %zu bytes at sector %" PRIu64
					": %s\n", len, h.sector, strerror(errno));
				return 2;
			}
			writes++;
		}
		if (!(h.flags & (F_FLUSH | F_FUA)))
			continue;
		points++;
		if (cmd && (fsync(tfd) || run_check(cmd, points, i, mark, writes - last))) {
			printf("logreplay: check failed at flush/FUA point %" PRIu64
			       " (entry %" PRIu64 " of %" PRIu64 ", after mark \"%s\")\n", points, i,
			       nr, mark);
			return 1;
		}
		last = writes;
	}
	printf("logreplay: %" PRIu64 " entries, %" PRIu64 " writes, %" PRIu64 " marks, %" PRIu64
	       " flush/FUA points%s\n", nr, writes, marks, points, cmd ? " checked" : "");
	return 0;
}
