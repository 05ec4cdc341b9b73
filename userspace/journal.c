// SPDX-License-Identifier: GPL-2.0
/*
 * xlockd's state files: the format is described in journal.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"

#define HDR_LEN		32
#define REC_HDR_LEN	8
#define REC_MAX		(64 + PENTRY_CLIENT_MAX + PENTRY_PATH_MAX)
#define ENTRY_FIXED	49

enum { REC_ENTRY = 1, REC_RELEASE = 2, REC_END = 3 };

static const char MAGIC_SNAP[8] = "XLOCKSNP";
static const char MAGIC_JNL[8] = "XLOCKJNL";

/* --- CRC32C (Castagnoli), reflected, table driven ----------------------- */

static uint32_t crc_table[256];

static void crc_init(void)
{
	uint32_t c, i, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[i] = c;
	}
}

#if defined(__x86_64__)
#include <nmmintrin.h>

/* SSE4.2's crc32 instruction computes the same CRC32C, 8 bytes at a time. */
__attribute__((target("sse4.2")))
static uint32_t crc_hw(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t c = crc, v;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&v, p, 8);
		c = _mm_crc32_u64(c, v);
	}
	crc = c;
	while (len--)
		crc = _mm_crc32_u8(crc, *p++);
	return crc;
}

static bool have_hw(void)
{
	static int have = -1;

	if (have < 0)
		have = __builtin_cpu_supports("sse4.2");
	return have;
}
#else
static uint32_t crc_hw(uint32_t crc, const unsigned char *p, size_t len)
{
	(void)p;
	(void)len;
	return crc;
}

static bool have_hw(void)
{
	return false;
}
#endif

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	if (have_hw())
		return ~crc_hw(~crc, buf, len);
	return crc32c_sw(crc, buf, len);
}

uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (!crc_table[1])
		crc_init();
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* --- little-endian encoding --------------------------------------------- */

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

static uint16_t get16(const unsigned char *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t get32(const unsigned char *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const unsigned char *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static int fail(struct journal *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->err, sizeof(j->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* --- records -------------------------------------------------------------- */

/* Room for @n more bytes in the commit buffer (exits if out of memory). */
static unsigned char *room(struct journal *j, size_t n)
{
	if (j->len + n > j->cap) {
		size_t cap = j->cap ? j->cap : 65536;

		while (j->len + n > cap)
			cap *= 2;
		j->buf = realloc(j->buf, cap);
		if (!j->buf)
			die("out of memory for the journal buffer");
		j->cap = cap;
	}
	return j->buf + j->len;
}

/* Frame the body the caller wrote at @body (@n bytes): length and CRC first. */
static void seal(struct journal *j, size_t n)
{
	unsigned char *h = j->buf + j->len;

	put32(h, n);
	put32(h + 4, crc32c(0, h + REC_HDR_LEN, n));
	j->len += REC_HDR_LEN + n;
}

void journal_add_entry(struct journal *j, const struct pentry *e)
{
	size_t cl = strnlen(e->client, PENTRY_CLIENT_MAX);
	size_t pl = strnlen(e->path, PENTRY_PATH_MAX - 1);
	unsigned char *p = room(j, REC_HDR_LEN + ENTRY_FIXED + 4 + cl + pl) + REC_HDR_LEN;
	unsigned char *b = p;

	*p++ = REC_ENTRY;
	put32(p, e->id);
	p += 4;
	*p++ = e->proto;
	*p++ = e->kind;
	*p++ = e->mode;
	*p++ = e->state;
	put32(p, e->flags);
	p += 4;
	put64(p, e->start);
	p += 8;
	put64(p, e->end);
	p += 8;
	put32(p, e->svid);
	p += 4;
	memcpy(p, e->lease_key, 16);
	p += 16;
	put16(p, cl);
	memcpy(p + 2, e->client, cl);
	p += 2 + cl;
	put16(p, pl);
	memcpy(p + 2, e->path, pl);
	p += 2 + pl;
	seal(j, p - b);
}

void journal_add_release(struct journal *j, uint32_t id)
{
	unsigned char *p = room(j, REC_HDR_LEN + 5) + REC_HDR_LEN;

	p[0] = REC_RELEASE;
	put32(p + 1, id);
	seal(j, 5);
}

static void add_end(struct journal *j, uint64_t n)
{
	unsigned char *p = room(j, REC_HDR_LEN + 9) + REC_HDR_LEN;

	p[0] = REC_END;
	put64(p + 1, n);
	seal(j, 9);
}

static int parse_entry(const unsigned char *b, size_t n, struct pentry *e)
{
	const unsigned char *p = b + 1, *end = b + n;
	size_t cl, pl;

	if (n < ENTRY_FIXED + 4)
		return -1;
	memset(e, 0, sizeof(*e));
	e->id = get32(p);
	p += 4;
	e->proto = *p++;
	e->kind = *p++;
	e->mode = *p++;
	e->state = *p++;
	e->flags = get32(p);
	p += 4;
	e->start = get64(p);
	p += 8;
	e->end = get64(p);
	p += 8;
	e->svid = get32(p);
	p += 4;
	memcpy(e->lease_key, p, 16);
	p += 16;
	cl = get16(p);
	p += 2;
	if (cl > PENTRY_CLIENT_MAX || end - p < (ptrdiff_t)cl + 2)
		return -1;
	memcpy(e->client, p, cl);
	p += cl;
	pl = get16(p);
	p += 2;
	if (pl >= PENTRY_PATH_MAX || end - p != (ptrdiff_t)pl)
		return -1;
	e->path = strndup((const char *)p, pl);
	if (!e->path)
		die("out of memory loading the state");
	return 0;
}

/* --- reading files ------------------------------------------------------ */

static bool all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

struct file_img {
	const char *name;
	unsigned char *data;
	size_t size;
	uint64_t instance, seq;
	ino_t ino;		/* which file it was, 0 if absent */
};

/* Read @name in the state directory: 1 if read, 0 if it does not exist, -1. */
static int read_file(struct journal *j, const char *name, struct file_img *img)
{
	struct stat sb;
	size_t got = 0;
	ssize_t n;
	int fd;

	memset(img, 0, sizeof(*img));
	img->name = name;
	fd = openat(j->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : fail(j, "%s/%s: %s", j->dir, name, strerror(errno));
	if (fstat(fd, &sb)) {
		close(fd);
		return fail(j, "%s/%s: %s", j->dir, name, strerror(errno));
	}
	img->size = sb.st_size;
	img->ino = sb.st_ino;
	img->data = malloc(img->size + 1);
	if (!img->data)
		die("out of memory reading %s/%s", j->dir, name);
	while (got < img->size) {
		n = read(fd, img->data + got, img->size - got);
		if (n <= 0) {
			close(fd);
			return fail(j, "%s/%s: read at offset %zu: %s", j->dir, name, got,
				    n ? strerror(errno) : "file shrank");
		}
		got += n;
	}
	close(fd);
	return 1;
}

static int check_header(struct journal *j, struct file_img *img, const char *magic)
{
	if (img->size < HDR_LEN)
		return fail(j, "%s/%s: offset 0: %zu bytes, shorter than the %d-byte header",
			    j->dir, img->name, img->size, HDR_LEN);
	if (memcmp(img->data, magic, 8))
		return fail(j, "%s/%s: offset 0: not an xlockd %s file (bad magic)", j->dir,
			    img->name, magic == MAGIC_JNL ? "journal" : "snapshot");
	if (get32(img->data + 8) != JOURNAL_VERSION)
		return fail(j, "%s/%s: offset 8: format version %u, this xlockd reads %d",
			    j->dir, img->name, get32(img->data + 8), JOURNAL_VERSION);
	if (get32(img->data + 12))
		return fail(j, "%s/%s: offset 12: unknown flags 0x%x", j->dir, img->name,
			    get32(img->data + 12));
	img->instance = get64(img->data + 16);
	img->seq = get64(img->data + 24);
	return 0;
}

/*
 * Apply the records of @img to @st. A snapshot must end with a matching END
 * record; a journal may end with one incomplete record (cut at *@good).
 */
static int apply(struct journal *j, struct file_img *img, struct store *st, bool snapshot,
		 size_t *good)
{
	size_t off = HDR_LEN, len, entries = 0;
	const unsigned char *b;
	struct pentry e;
	bool ended = false;

	while (off < img->size) {
		if (ended)
			return fail(j, "%s/%s: offset %zu: data after the END record", j->dir,
				    img->name, off);
		if (img->size - off < REC_HDR_LEN ||
		    (len = get32(img->data + off)) > img->size - off - REC_HDR_LEN) {
			if (snapshot)
				return fail(j, "%s/%s: offset %zu: incomplete record (file truncated)",
					    j->dir, img->name, off);
			break;
		}
		if (!len || len > REC_MAX) {
			/* A zero-filled tail is what a crash can leave after the last write. */
			if (!snapshot && all_zero(img->data + off, img->size - off))
				break;
			return fail(j, "%s/%s: offset %zu: bad record length %zu", j->dir,
				    img->name, off, len);
		}
		b = img->data + off + REC_HDR_LEN;
		if (crc32c(0, b, len) != get32(img->data + off + 4))
			return fail(j, "%s/%s: offset %zu: record checksum mismatch", j->dir,
				    img->name, off);
		switch (b[0]) {
		case REC_ENTRY:
			if (parse_entry(b, len, &e))
				return fail(j, "%s/%s: offset %zu: malformed entry record", j->dir,
					    img->name, off);
			if (store_put_take(st, &e))
				die("out of memory loading the state");
			entries++;
			break;
		case REC_RELEASE:
			if (len != 5 || snapshot)
				return fail(j, "%s/%s: offset %zu: malformed release record",
					    j->dir, img->name, off);
			store_del(st, get32(b + 1));
			break;
		case REC_END:
			if (len != 9 || !snapshot || get64(b + 1) != entries)
				return fail(j, "%s/%s: offset %zu: END record does not match the %zu entries before it",
					    j->dir, img->name, off, entries);
			ended = true;
			break;
		default:
			return fail(j, "%s/%s: offset %zu: unknown record type %u", j->dir,
				    img->name, off, b[0]);
		}
		off += REC_HDR_LEN + len;
	}
	if (snapshot && !ended)
		return fail(j, "%s/%s: offset %zu: no END record (file truncated)", j->dir,
			    img->name, off);
	*good = off;
	return 0;
}

/* Load a snapshot-format file into @st; 1 loaded, 0 absent, -1 error. */
static int load_snapshot(struct journal *j, const char *name, struct store *st,
			 struct file_img *img)
{
	size_t good;
	int ret = read_file(j, name, img);

	if (ret <= 0)
		return ret;
	if (check_header(j, img, MAGIC_SNAP) || apply(j, img, st, true, &good)) {
		free(img->data);
		return -1;
	}
	free(img->data);
	return 1;
}

/* --- writing files ------------------------------------------------------ */

static int sync_dir(struct journal *j)
{
	if (fsync(j->dirfd))
		return fail(j, "%s: fsync of the directory: %s", j->dir, strerror(errno));
	return 0;
}

static void put_header(unsigned char *h, const char *magic, uint64_t instance, uint64_t seq)
{
	memcpy(h, magic, 8);
	put32(h + 8, JOURNAL_VERSION);
	put32(h + 12, 0);
	put64(h + 16, instance);
	put64(h + 24, seq);
}

static int write_all(struct journal *j, int fd, const char *name, const void *buf,
		     size_t len, uint64_t off)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(j, "%s/%s: write at offset %llu: %s", j->dir, name,
				    (unsigned long long)off, strerror(errno));
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

/*
 * Write @len bytes as file @name atomically: a temporary file, fsynced,
 * renamed over it, the directory fsynced.
 */
static int replace_file(struct journal *j, const char *name, const void *buf, size_t len)
{
	char tmp[64];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	fd = openat(j->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(j, "%s/%s: %s", j->dir, tmp, strerror(errno));
	if (write_all(j, fd, tmp, buf, len, 0))
		goto err;
	if (fsync(fd)) {
		fail(j, "%s/%s: fsync: %s", j->dir, tmp, strerror(errno));
		goto err;
	}
	close(fd);
	if (renameat(j->dirfd, tmp, j->dirfd, name)) {
		fail(j, "%s/%s: rename to %s: %s", j->dir, tmp, name, strerror(errno));
		unlinkat(j->dirfd, tmp, 0);
		return -1;
	}
	return sync_dir(j);
err:
	close(fd);
	unlinkat(j->dirfd, tmp, 0);
	return -1;
}

/* @st and @more (may be NULL) as a snapshot-format image in j->buf. */
static void build_image(struct journal *j, const struct store *st, const struct store *more,
			uint64_t instance, uint64_t seq)
{
	const struct pentry *e;
	size_t i = 0;

	j->len = 0;
	put_header(room(j, HDR_LEN), MAGIC_SNAP, instance, seq);
	j->len = HDR_LEN;
	while ((e = store_next(st, &i)))
		journal_add_entry(j, e);
	for (i = 0; more && (e = store_next(more, &i));)
		journal_add_entry(j, e);
	add_end(j, st->count + (more ? more->count : 0));
}

static int open_journal(struct journal *j, uint64_t size)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = openat(j->dirfd, "journal", O_WRONLY | O_CLOEXEC);
	if (j->fd < 0)
		return fail(j, "%s/journal: %s", j->dir, strerror(errno));
	if (ftruncate(j->fd, size) || lseek(j->fd, size, SEEK_SET) < 0) {
		fail(j, "%s/journal: cutting it at offset %llu: %s", j->dir,
		     (unsigned long long)size, strerror(errno));
		close(j->fd);
		j->fd = -1;
		return -1;
	}
	j->size = size;
	return 0;
}

int journal_snapshot(struct journal *j, const struct store *st, const struct store *more,
		     uint64_t instance)
{
	unsigned char h[HDR_LEN];
	uint64_t seq = j->seq + 1;

	build_image(j, st, more, instance, seq);
	if (replace_file(j, "snapshot", j->buf, j->len))
		goto err;
	j->snapshot_size = j->len;
	put_header(h, MAGIC_JNL, instance, seq);
	if (replace_file(j, "journal", h, HDR_LEN))
		goto err;
	j->len = 0;
	j->seq = seq;
	j->instance = instance;
	return open_journal(j, HDR_LEN);
err:
	/* The records queued before are in @st: nothing is lost by dropping them. */
	j->len = 0;
	return -1;
}

int journal_commit(struct journal *j)
{
	if (!j->len)
		return 0;
	if (j->fd < 0)
		return fail(j, "%s/journal: not open", j->dir);
	if (write_all(j, j->fd, "journal", j->buf, j->len, j->size) || fdatasync(j->fd)) {
		if (!j->err[0] || errno)
			fail(j, "%s/journal: at offset %llu: %s", j->dir,
			     (unsigned long long)j->size, strerror(errno));
		/* Keep the file parseable: cut what may have been half written. */
		if (ftruncate(j->fd, j->size) == 0)
			lseek(j->fd, j->size, SEEK_SET);
		j->len = 0;
		return -1;
	}
	j->size += j->len;
	j->len = 0;
	return 0;
}

int journal_save_reclaim(struct journal *j, const struct store *st, uint64_t instance)
{
	int ret;

	build_image(j, st, NULL, instance, 0);
	ret = replace_file(j, "reclaim", j->buf, j->len);
	j->len = 0;
	return ret;
}

int journal_drop_reclaim(struct journal *j)
{
	if (unlinkat(j->dirfd, "reclaim", 0) && errno != ENOENT)
		return fail(j, "%s/reclaim: %s", j->dir, strerror(errno));
	return sync_dir(j);
}

/* --- loading ------------------------------------------------------------ */

/*
 * Make @j->dir ours: flock() its file "lock" (held until journal_close() or
 * the process ends, however it ends) and note our pid in it for the message
 * another xlockd gets.
 */
static int lock_dir(struct journal *j)
{
	char pid[32] = "";
	ssize_t n;

	j->lockfd = openat(j->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (j->lockfd < 0)
		return fail(j, "%s/lock: %s", j->dir, strerror(errno));
	if (flock(j->lockfd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK)
			return fail(j, "%s/lock: %s", j->dir, strerror(errno));
		n = pread(j->lockfd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		fail(j, "%s is in use by another xlockd (pid %s): one xlockd per state directory",
		     j->dir, pid[0] ? pid : "unknown");
		return -EBUSY;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(j->lockfd, 0) || pwrite(j->lockfd, pid, n, 0) != n)
		log_warn("%s/lock: writing our pid: %s", j->dir, strerror(errno));
	return 0;
}

/* Is @name still the file @ino that was read (0: absent)? */
static bool unchanged(struct journal *j, const char *name, ino_t ino)
{
	struct stat sb;

	if (fstatat(j->dirfd, name, &sb, 0))
		return !ino && errno == ENOENT;
	return sb.st_ino == ino;
}

static int load_files(struct journal *j, struct store *st, struct store *old,
		      uint64_t *old_instance, ino_t *inos)
{
	struct file_img snap, jnl, rec;
	size_t good = HDR_LEN;
	int ret;

	*old_instance = 0;
	ret = load_snapshot(j, "reclaim", old, &rec);
	inos[0] = rec.ino;
	if (ret < 0)
		return -1;
	if (ret)
		*old_instance = rec.instance;

	ret = load_snapshot(j, "snapshot", st, &snap);
	inos[1] = snap.ino;
	if (ret < 0)
		return -1;
	j->instance = ret ? snap.instance : 0;
	j->seq = ret ? snap.seq : 0;
	j->snapshot_size = ret ? snap.size : 0;

	ret = read_file(j, "journal", &jnl);
	inos[2] = jnl.ino;
	if (ret < 0)
		return -1;
	if (!ret)
		return 0;	/* no journal: the caller writes a snapshot */
	if (check_header(j, &jnl, MAGIC_JNL))
		goto err;
	if (jnl.seq < j->seq) {
		/* A crash between writing a snapshot and its new journal. */
		log_info("%s/journal: seq %llu is older than the snapshot's %llu: its records are in the snapshot",
			 j->dir, (unsigned long long)jnl.seq, (unsigned long long)j->seq);
		free(jnl.data);
		return 0;
	}
	if (jnl.seq > j->seq || jnl.instance != j->instance) {
		fail(j, "%s/journal: offset 16: instance %016llx seq %llu does not belong to the snapshot (instance %016llx seq %llu)",
		     j->dir, (unsigned long long)jnl.instance, (unsigned long long)jnl.seq,
		     (unsigned long long)j->instance, (unsigned long long)j->seq);
		goto err;
	}
	if (apply(j, &jnl, st, false, &good))
		goto err;
	free(jnl.data);
	if (good < jnl.size && j->readonly)
		log_warn("%s/journal: offset %zu: %zu bytes of an incomplete last record (being written, or what a crash left); not cut, read-only",
			 j->dir, good, jnl.size - good);
	else if (good < jnl.size)
		log_warn("%s/journal: offset %zu: cut off %zu bytes of an incomplete last record (a write interrupted by a crash; never acknowledged)",
			 j->dir, good, jnl.size - good);
	return j->readonly ? 0 : open_journal(j, good);
err:
	free(jnl.data);
	return -1;
}

/* How often a read-only load starts again because a snapshot replaced the files. */
#define READONLY_TRIES 20

int journal_load(struct journal *j, const char *dir, bool readonly, struct store *st,
		 struct store *old, uint64_t *old_instance)
{
	static const char *const names[] = { "reclaim", "snapshot", "journal" };
	ino_t inos[3];
	int try, ret, i;

	memset(j, 0, sizeof(*j));
	j->fd = -1;
	j->lockfd = -1;
	j->readonly = readonly;
	snprintf(j->dir, sizeof(j->dir), "%s", dir);
	if (!readonly && mkdir(dir, 0700) && errno != EEXIST)
		return fail(j, "%s: %s", dir, strerror(errno));
	j->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dirfd < 0)
		return fail(j, "%s: %s", dir, strerror(errno));
	if (!readonly)
		return lock_dir(j) ?: load_files(j, st, old, old_instance, inos);

	/*
	 * The owner may replace the snapshot and journal while we read them
	 * (compaction): read again until all three are the files we read.
	 */
	for (try = 0;; try++) {
		memset(inos, 0, sizeof(inos));
		ret = load_files(j, st, old, old_instance, inos);
		for (i = 0; i < 3; i++)
			if (!unchanged(j, names[i], inos[i]))
				break;
		if (i == 3 || try == READONLY_TRIES)
			return ret;
		store_clear(st);
		store_clear(old);
		j->err[0] = '\0';
	}
}

void journal_close(struct journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	if (j->lockfd >= 0)
		close(j->lockfd);	/* the directory is free again */
	if (j->dirfd > 0)
		close(j->dirfd);
	free(j->buf);
	j->fd = -1;
	j->lockfd = -1;
	j->dirfd = -1;
	j->buf = NULL;
}
