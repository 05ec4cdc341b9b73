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

#define HDR_LEN		40	/* version 2 */
#define HDR1_LEN	32	/* version 1 */
#define REC_HDR_LEN	8
#define REC_MAX		(64 + PENTRY_CLIENT_MAX + PENTRY_PATH_MAX)
#define ENTRY_FIXED	49
#define BATCH_BODY	13
#define BATCH_LEN	(REC_HDR_LEN + BATCH_BODY)

enum { REC_ENTRY = 1, REC_RELEASE = 2, REC_END = 3, REC_BATCH = 4 };

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

/* Room for @n more bytes in @b (exits if out of memory). */
static unsigned char *room(struct jbuf *b, size_t n)
{
	size_t cap;

	if (b->len + n > b->cap) {
		for (cap = b->cap ? b->cap : 65536; b->len + n > cap;)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			die("out of memory for the journal buffer");
		b->cap = cap;
	}
	return b->p + b->len;
}

/* A record's check: its length field @h and its @n-byte body, from @salt. */
static uint32_t rec_check(uint32_t salt, const unsigned char *h, size_t n)
{
	return crc32c(crc32c(salt, h, 4), h + REC_HDR_LEN, n);
}

/* Room for a record with an @n-byte body; returns where the body goes. */
static unsigned char *rec_begin(struct jbuf *b, size_t n)
{
	return room(b, REC_HDR_LEN + n) + REC_HDR_LEN;
}

/* Frame the @n-byte body written where rec_begin() said: length and check. */
static void rec_end(struct jbuf *b, uint32_t salt, size_t n)
{
	unsigned char *h = b->p + b->len;

	put32(h, n);
	put32(h + 4, rec_check(salt, h, n));
	b->len += REC_HDR_LEN + n;
}

static void put_entry(struct jbuf *b, uint32_t salt, const struct pentry *e)
{
	size_t cl = strnlen(e->client, PENTRY_CLIENT_MAX);
	size_t pl = strnlen(e->path, PENTRY_PATH_MAX - 1);
	unsigned char *p = rec_begin(b, ENTRY_FIXED + 4 + cl + pl);
	unsigned char *body = p;

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
	rec_end(b, salt, p - body);
}

static void put_release(struct jbuf *b, uint32_t salt, uint32_t id)
{
	unsigned char *p = rec_begin(b, 5);

	p[0] = REC_RELEASE;
	put32(p + 1, id);
	rec_end(b, salt, 5);
}

static void put_end(struct jbuf *b, uint32_t salt, uint64_t n)
{
	unsigned char *p = rec_begin(b, 9);

	p[0] = REC_END;
	put64(p + 1, n);
	rec_end(b, salt, 9);
}

/* The queued batch, its BATCH record's room reserved (filled at commit). */
static struct jbuf *batch(struct journal *j)
{
	if (!j->q.len) {
		memset(room(&j->q, BATCH_LEN), 0, BATCH_LEN);
		j->q.len = BATCH_LEN;
	}
	j->batch_recs++;
	return &j->q;
}

void journal_add_entry(struct journal *j, const struct pentry *e)
{
	put_entry(batch(j), j->salt, e);
}

void journal_add_release(struct journal *j, uint32_t id)
{
	put_release(batch(j), j->salt, id);
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
	uint32_t version;
	size_t hdr_len;
	uint32_t salt;		/* version 2: the header's check */
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

/* Fail with "DIR/FILE: offset OFF: ..." */
#define bad_at(j, img, off, fmt, ...) \
	fail(j, "%s/%s: offset %zu: " fmt, (j)->dir, (img)->name, (size_t)(off), ##__VA_ARGS__)

static int check_header(struct journal *j, struct file_img *img, const char *magic)
{
	const unsigned char *h = img->data;

	if (img->size < 16 || memcmp(h, magic, 8))
		return img->size < HDR1_LEN ?
		       bad_at(j, img, 0, "%zu bytes, shorter than a header", img->size) :
		       bad_at(j, img, 0, "not an xlockd %s file (bad magic)",
			      magic == MAGIC_JNL ? "journal" : "snapshot");
	img->version = get32(h + 8);
	if (img->version != 1 && img->version != JOURNAL_VERSION)
		return bad_at(j, img, 8, "format version %u, this xlockd reads 1 and %d",
			      img->version, JOURNAL_VERSION);
	img->hdr_len = img->version == 1 ? HDR1_LEN : HDR_LEN;
	if (img->size < img->hdr_len)
		return bad_at(j, img, 0, "%zu bytes, shorter than the %zu-byte header", img->size,
			      img->hdr_len);
	if (img->version > 1) {
		img->salt = get32(h + 36);
		if (crc32c(0, h, 36) != img->salt)
			return bad_at(j, img, 36, "header checksum mismatch");
		if (get32(h + 32))
			return bad_at(j, img, 32, "reserved field is not 0");
	}
	if (get32(h + 12))
		return bad_at(j, img, 12, "unknown flags 0x%x", get32(h + 12));
	img->instance = get64(h + 16);
	img->seq = get64(h + 24);
	return 0;
}

/*
 * The record at @off, which must end by @limit: 0 with its body, or why
 * not: -1 (it runs past @limit) or -2 (it does not check; *@why says how).
 */
static int rec_at(const struct file_img *img, size_t off, size_t limit,
		  const unsigned char **body, size_t *len, const char **why)
{
	const unsigned char *h = img->data + off;
	uint32_t want;
	size_t n;

	*why = "incomplete record";
	if (off > limit || limit - off < REC_HDR_LEN)
		return -1;
	n = get32(h);
	*why = "bad record length";
	if (!n || n > REC_MAX)
		return -2;
	*why = "incomplete record";
	if (n > limit - off - REC_HDR_LEN)
		return -1;
	want = img->version == 1 ? crc32c(0, h + REC_HDR_LEN, n) : rec_check(img->salt, h, n);
	*why = "record checksum mismatch";
	if (get32(h + 4) != want)
		return -2;
	*body = h + REC_HDR_LEN;
	*len = n;
	return 0;
}

static const char *type_name(uint8_t type)
{
	switch (type) {
	case REC_ENTRY:
		return "an ENTRY";
	case REC_RELEASE:
		return "a RELEASE";
	case REC_END:
		return "an END";
	case REC_BATCH:
		return "a BATCH";
	}
	return "an unknown";
}

/* Apply the ENTRY or RELEASE record @b (@len bytes, at @off) to @st. */
static int apply_rec(struct journal *j, const struct file_img *img, size_t off,
		     const unsigned char *b, size_t len, struct store *st)
{
	struct pentry e;

	switch (b[0]) {
	case REC_ENTRY:
		if (parse_entry(b, len, &e))
			return bad_at(j, img, off, "malformed entry record");
		if (store_put_take(st, &e))
			die("out of memory loading the state");
		return 0;
	case REC_RELEASE:
		if (len != 5)
			return bad_at(j, img, off, "malformed release record");
		store_del(st, get32(b + 1));
		return 0;
	}
	return bad_at(j, img, off, "%s record (type %u) where entries were expected",
		      type_name(b[0]), b[0]);
}

/* A snapshot or reclaim file: ENTRY records and their END, nothing torn. */
static int apply_snapshot(struct journal *j, struct file_img *img, struct store *st)
{
	size_t off = img->hdr_len, len, entries = 0;
	const unsigned char *b;
	const char *why;
	int r;

	while (off < img->size) {
		r = rec_at(img, off, img->size, &b, &len, &why);
		if (r == -1)
			return bad_at(j, img, off, "incomplete record (file truncated)");
		if (r)
			return bad_at(j, img, off, "%s", why);
		if (b[0] == REC_END) {
			if (len != 9 || get64(b + 1) != entries)
				return bad_at(j, img, off, "END record does not match the %zu entries before it",
					      entries);
			off += REC_HDR_LEN + len;
			if (off < img->size)
				return bad_at(j, img, off, "data after the END record");
			return 0;
		}
		if (b[0] != REC_ENTRY)
			return bad_at(j, img, off, "%s record in a snapshot", type_name(b[0]));
		if (apply_rec(j, img, off, b, len, st))
			return -1;
		entries++;
		off += REC_HDR_LEN + len;
	}
	return bad_at(j, img, off, "no END record (file truncated)");
}

/*
 * A version 1 journal: records; an incomplete last record, or a tail of
 * zeros (perhaps behind a record header that reached the disk) is cut at
 * *@good.
 */
static int apply_journal_v1(struct journal *j, struct file_img *img, struct store *st,
			    size_t *good)
{
	size_t off = img->hdr_len, len;
	const unsigned char *b;
	const char *why;
	int r;

	for (; off < img->size; off += REC_HDR_LEN + len) {
		r = rec_at(img, off, img->size, &b, &len, &why);
		if (r == -1)
			break;
		if (r && (all_zero(img->data + off, img->size - off) ||
			  all_zero(img->data + off + REC_HDR_LEN, img->size - off - REC_HDR_LEN)))
			break;
		if (r)
			return bad_at(j, img, off, "%s", why);
		if (apply_rec(j, img, off, b, len, st))
			return -1;
	}
	*good = off;
	return 0;
}

/* Is there a BATCH record that checks at @off? Its fields if so. */
static bool batch_at(const struct file_img *img, size_t off, uint32_t *no, uint32_t *recs,
		     uint32_t *bytes)
{
	const unsigned char *b;
	const char *why;
	size_t len;

	if (img->size - off < BATCH_LEN || get32(img->data + off) != BATCH_BODY ||
	    img->data[off + REC_HDR_LEN] != REC_BATCH ||
	    rec_at(img, off, img->size, &b, &len, &why))
		return false;
	*no = get32(b + 1);
	*recs = get32(b + 5);
	*bytes = get32(b + 9);
	return true;
}

/*
 * The records of the batch at @off (its BATCH record says @recs, @bytes):
 * 0 if all are there and check, else -1 with *@bad and *@why for the first
 * that does not (or the batch's end, if its records do not add up).
 */
static int check_batch(const struct file_img *img, size_t off, uint32_t recs, uint64_t end,
		       size_t *bad, const char **why)
{
	size_t p = off + BATCH_LEN, limit = end < img->size ? end : img->size, len;
	const unsigned char *b;
	uint32_t k;

	for (k = 0; k < recs; k++, p += REC_HDR_LEN + len) {
		*bad = p;
		if (rec_at(img, p, limit, &b, &len, why))
			return -1;
		if (b[0] != REC_ENTRY && b[0] != REC_RELEASE) {
			*why = "a record that belongs in no batch";
			return -1;
		}
	}
	*bad = p;
	*why = "its record count and size disagree";
	return p == end ? 0 : -1;
}

/*
 * A version 2 journal: batches. The last batch may be torn (see journal.h):
 * it is cut at *@good, and *@batch_no is the next batch's number.
 */
static int apply_journal(struct journal *j, struct file_img *img, struct store *st,
			 size_t *good, uint32_t *batch_no)
{
	uint32_t n = 1, no, recs, bytes, k;
	size_t off = img->hdr_len, p, bad, len;
	const unsigned char *b;
	const char *why;
	uint64_t end;

	while (off < img->size) {
		if (!batch_at(img, off, &no, &recs, &bytes)) {
			if (!rec_at(img, off, img->size, &b, &len, &why))
				return bad_at(j, img, off, "%s record where batch %u should start",
					      type_name(b[0]), n);
			/* Torn, unless a batch follows: it was written after this one was acked. */
			for (p = off + 1; p < img->size; p++)
				if (batch_at(img, p, &no, &recs, &bytes))
					return bad_at(j, img, off, "batch %u does not check (%s), but batch %u follows at offset %zu: damage, not a torn tail",
						      n, why, no, p);
			break;
		}
		if (no != n)
			return bad_at(j, img, off, "batch %u where batch %u should be", no, n);
		end = (uint64_t)off + BATCH_LEN + bytes;
		if (check_batch(img, off, recs, end, &bad, &why)) {
			if (end >= img->size)
				break;	/* the last batch, torn */
			return bad_at(j, img, bad, "%s; batch %u (offset %zu) is followed by more data, so it was complete: damage, not a torn tail",
				      why, n, off);
		}
		for (p = off + BATCH_LEN, k = 0; k < recs; k++, p += REC_HDR_LEN + len) {
			rec_at(img, p, end, &b, &len, &why);
			if (apply_rec(j, img, p, b, len, st))
				return -1;
		}
		off = end;
		n++;
	}
	*good = off;
	*batch_no = n;
	return 0;
}

/* Load a snapshot-format file into @st; 1 loaded, 0 absent, -1 error. */
static int load_snapshot(struct journal *j, const char *name, struct store *st,
			 struct file_img *img)
{
	int ret = read_file(j, name, img);

	if (ret <= 0)
		return ret;
	ret = check_header(j, img, MAGIC_SNAP) || apply_snapshot(j, img, st) ? -1 : 1;
	free(img->data);
	img->data = NULL;
	return ret;
}

/* --- writing files ------------------------------------------------------ */

static int sync_dir(struct journal *j)
{
	if (fsync(j->dirfd))
		return fail(j, "%s: fsync of the directory: %s", j->dir, strerror(errno));
	return 0;
}

/* A version 2 header at @h; returns its check (its records' salt). */
static uint32_t put_header(unsigned char *h, const char *magic, uint64_t instance,
			   uint64_t seq)
{
	uint32_t c;

	memcpy(h, magic, 8);
	put32(h + 8, JOURNAL_VERSION);
	put32(h + 12, 0);
	put64(h + 16, instance);
	put64(h + 24, seq);
	put32(h + 32, 0);
	c = crc32c(0, h, 36);
	put32(h + 36, c);
	return c;
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

/* @st and @more (may be NULL) as a snapshot-format image in @b. */
static void build_image(struct jbuf *b, const struct store *st, const struct store *more,
			uint64_t instance, uint64_t seq)
{
	const struct pentry *e;
	uint32_t salt;
	size_t i = 0;

	b->len = 0;
	salt = put_header(room(b, HDR_LEN), MAGIC_SNAP, instance, seq);
	b->len = HDR_LEN;
	while ((e = store_next(st, &i)))
		put_entry(b, salt, e);
	for (i = 0; more && (e = store_next(more, &i));)
		put_entry(b, salt, e);
	put_end(b, salt, st->count + (more ? more->count : 0));
}

/* Open the journal for appending at @size (cut there if longer). */
static int open_journal(struct journal *j, uint64_t size, uint32_t salt, uint32_t batch_no)
{
	struct stat sb;

	if (j->fd >= 0)
		close(j->fd);
	j->fd = openat(j->dirfd, "journal", O_WRONLY | O_CLOEXEC);
	if (j->fd < 0)
		return fail(j, "%s/journal: %s", j->dir, strerror(errno));
	if (fstat(j->fd, &sb) || ((uint64_t)sb.st_size != size && ftruncate(j->fd, size)) ||
	    lseek(j->fd, size, SEEK_SET) < 0) {
		fail(j, "%s/journal: cutting it at offset %llu: %s", j->dir,
		     (unsigned long long)size, strerror(errno));
		close(j->fd);
		j->fd = -1;
		return -1;
	}
	j->size = size;
	j->salt = salt;
	j->batch_no = batch_no;
	return 0;
}

/* Drop the queued batch (its records are in the stores). */
static void drop_batch(struct journal *j)
{
	j->q.len = 0;
	j->batch_recs = 0;
}

int journal_snapshot(struct journal *j, const struct store *st, const struct store *more,
		     uint64_t instance)
{
	struct jbuf img = { 0 };
	unsigned char h[HDR_LEN];
	uint64_t seq = j->seq + 1;
	uint32_t salt;
	int ret;

	drop_batch(j);
	build_image(&img, st, more, instance, seq);
	ret = replace_file(j, "snapshot", img.p, img.len);
	free(img.p);
	if (ret)
		return -1;
	j->snapshot_size = img.len;
	salt = put_header(h, MAGIC_JNL, instance, seq);
	if (replace_file(j, "journal", h, HDR_LEN))
		return -1;
	j->seq = seq;
	j->instance = instance;
	return open_journal(j, HDR_LEN, salt, 1);
}

int journal_commit(struct journal *j)
{
	unsigned char *h = j->q.p, *b;

	if (!j->batch_recs)
		return 0;
	if (j->fd < 0) {
		drop_batch(j);
		return fail(j, "%s/journal: not open", j->dir);
	}
	b = h + REC_HDR_LEN;
	b[0] = REC_BATCH;
	put32(b + 1, j->batch_no);
	put32(b + 5, j->batch_recs);
	put32(b + 9, j->q.len - BATCH_LEN);
	put32(h, BATCH_BODY);
	put32(h + 4, rec_check(j->salt, h, BATCH_BODY));
	if (write_all(j, j->fd, "journal", j->q.p, j->q.len, j->size))
		goto err;
	if (fdatasync(j->fd)) {
		fail(j, "%s/journal: fdatasync after offset %llu: %s", j->dir,
		     (unsigned long long)j->size, strerror(errno));
		goto err;
	}
	j->size += j->q.len;
	j->batch_no++;
	drop_batch(j);
	return 0;
err:
	/* Keep the file parseable: cut what may have been half written. */
	if (ftruncate(j->fd, j->size) == 0)
		lseek(j->fd, j->size, SEEK_SET);
	drop_batch(j);
	return -1;
}

int journal_save_reclaim(struct journal *j, const struct store *st, uint64_t instance)
{
	struct jbuf img = { 0 };
	int ret;

	build_image(&img, st, NULL, instance, 0);
	ret = replace_file(j, "reclaim", img.p, img.len);
	free(img.p);
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

/*
 * The journal in @jnl (header checked) against the snapshot loaded: apply
 * it to @st, or ignore it when it is the previous snapshot's (see
 * journal.h). Then, unless read-only, open it for appending.
 */
static int load_journal(struct journal *j, struct file_img *jnl, struct store *st)
{
	uint32_t batch_no = 1;
	size_t good = jnl->size;

	if (j->seq && jnl->seq == j->seq - 1) {
		/* A crash between writing a snapshot and its new journal. */
		log_info("%s/journal: seq %llu, the snapshot's is %llu: written before that snapshot, which holds its records",
			 j->dir, (unsigned long long)jnl->seq, (unsigned long long)j->seq);
		return 0;
	}
	if (jnl->seq != j->seq || jnl->instance != j->instance)
		return bad_at(j, jnl, 16, "instance %016llx seq %llu does not belong to the snapshot (instance %016llx seq %llu; a journal has its seq, or one less if a crash came between the two)",
			      (unsigned long long)jnl->instance, (unsigned long long)jnl->seq,
			      (unsigned long long)j->instance, (unsigned long long)j->seq);
	if (jnl->version == 1 ? apply_journal_v1(j, jnl, st, &good) :
	    apply_journal(j, jnl, st, &good, &batch_no))
		return -1;
	if (good < jnl->size && j->readonly)
		log_warn("%s/journal: offset %zu: %zu bytes of an incomplete last batch (being written, or what a crash left); not cut, read-only",
			 j->dir, good, jnl->size - good);
	else if (good < jnl->size)
		log_warn("%s/journal: offset %zu: cut off %zu bytes of an incomplete last batch (a write a crash interrupted; never acknowledged)",
			 j->dir, good, jnl->size - good);
	if (j->readonly || jnl->version == 1)
		return 0;
	return open_journal(j, good, jnl->salt, batch_no);
}

static int load_files(struct journal *j, struct store *st, struct store *old,
		      uint64_t *old_instance, ino_t *inos, bool *v1)
{
	struct file_img snap, jnl, rec;
	int ret;

	*old_instance = 0;
	ret = load_snapshot(j, "reclaim", old, &rec);
	inos[0] = rec.ino;
	if (ret < 0)
		return -1;
	if (ret)
		*old_instance = rec.instance;
	*v1 = ret && rec.version == 1;

	ret = load_snapshot(j, "snapshot", st, &snap);
	inos[1] = snap.ino;
	if (ret < 0)
		return -1;
	j->instance = ret ? snap.instance : 0;
	j->seq = ret ? snap.seq : 0;
	j->snapshot_size = ret ? snap.size : 0;
	*v1 |= ret && snap.version == 1;

	ret = read_file(j, "journal", &jnl);
	inos[2] = jnl.ino;
	if (ret < 0)
		return -1;
	if (!ret) {
		/* Only the first snapshot can be without its journal (a crash in between). */
		if (j->seq > 1)
			return fail(j, "%s/journal: missing beside the snapshot of seq %llu",
				    j->dir, (unsigned long long)j->seq);
		return 0;
	}
	ret = check_header(j, &jnl, MAGIC_JNL) || load_journal(j, &jnl, st) ? -1 : 0;
	*v1 |= jnl.version == 1;
	free(jnl.data);
	return ret;
}

/* Rewrite what was loaded from version 1 files as version 2. */
static int convert_v1(struct journal *j, const struct store *st, const struct store *old,
		      uint64_t old_instance)
{
	if (old_instance && journal_save_reclaim(j, old, old_instance))
		return -1;
	if (j->seq && journal_snapshot(j, st, NULL, j->instance))
		return -1;
	log_info("%s: the version 1 state is rewritten as version %d", j->dir, JOURNAL_VERSION);
	return 0;
}

/* How often a read-only load starts again because a snapshot replaced the files. */
#define READONLY_TRIES 20

int journal_load(struct journal *j, const char *dir, bool readonly, struct store *st,
		 struct store *old, uint64_t *old_instance)
{
	static const char *const names[] = { "reclaim", "snapshot", "journal" };
	ino_t inos[3];
	int try, ret, i;
	bool v1;

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
	if (!readonly) {
		ret = lock_dir(j);
		if (!ret)
			ret = load_files(j, st, old, old_instance, inos, &v1);
		if (!ret && v1)
			ret = convert_v1(j, st, old, *old_instance);
		return ret;
	}

	/*
	 * The owner may replace the snapshot and journal while we read them
	 * (compaction): read again until all three are the files we read.
	 */
	for (try = 0;; try++) {
		memset(inos, 0, sizeof(inos));
		ret = load_files(j, st, old, old_instance, inos, &v1);
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
	free(j->q.p);
	j->fd = -1;
	j->lockfd = -1;
	j->dirfd = -1;
	j->q.p = NULL;
}
