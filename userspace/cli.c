// SPDX-License-Identifier: GPL-2.0
/*
 * xlockctl's error reporting and argument parsing.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "help.h"
#include "cli.h"

const char *cmd_name;
const char *topic = "";
bool json_out;
struct xnl nl;

/* --- errors ------------------------------------------------------------- */

void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, cmd_name ? "xlockctl: %s: " : "xlockctl: ", cmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'xlockctl help%s%s' for more information.\n",
		topic[0] ? " " : "", topic);
	exit(EXIT_USAGE);
}

void __attribute__((noreturn, format(printf, 2, 3))) fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, cmd_name ? "xlockctl: %s: " : "xlockctl: ", cmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/*
 * Report the failed request and exit. The kernel refuses callers without
 * CAP_NET_ADMIN with a bare EPERM; an EPERM that comes with a reason is a
 * refusal of the request itself (e.g. removing share 0), not of the caller.
 */
void __attribute__((noreturn)) kernel_error(void)
{
	int code = EXIT_KERNEL;

	if ((nl.err == EPERM || nl.err == EACCES) && !nl.msg[0]) {
		code = EXIT_PERM;
		snprintf(nl.msg, sizeof(nl.msg), "this command needs CAP_NET_ADMIN");
	} else if (nl.err == ENOENT) {
		code = EXIT_NOTFOUND;
	}
	if (!nl.msg[0] && nl.miss_type)
		snprintf(nl.msg, sizeof(nl.msg), "the request lacks attribute %u", nl.miss_type);
	fprintf(stderr, "xlockctl: %s: %s%s%s\n", cmd_name, strerror(nl.err),
		nl.msg[0] ? ": " : "", nl.msg);
	exit(code);
}

void exit_flushed(int code)
{
	/* What was printed must have got out (a full disk, an output error). */
	if (fflush(stdout) || ferror(stdout))
		fail(EXIT_KERNEL, "cannot write the output: %s", strerror(errno));
	exit(code);
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p)
		fail(EXIT_KERNEL, "out of memory");
	return p;
}

void connect_xlock(void)
{
	int ret = xnl_open(&nl);

	if (ret == -ENOENT)
		fail(EXIT_NOMODULE,
		     "the xlock module is not loaded (no generic netlink family \"%s\"; xlockd.service loads it)",
		     XLOCK_GENL_NAME);
	if (ret)
		fail(EXIT_KERNEL, "cannot open a generic netlink socket: %s", strerror(-ret));
}

void request(struct nl_msg *msg, xnl_fn fn, void *arg)
{
	if (xnl_request(&nl, msg, fn, arg, NULL))
		kernel_error();
}

/* --- arguments ---------------------------------------------------------- */

uint64_t parse_u64(const char *what, const char *s, uint64_t min, uint64_t max)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		usage_error("%s must be a number, not '%s'", what, s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		usage_error("%s must be a number, not '%s'", what, s);
	if (errno == ERANGE || v < min || v > max)
		usage_error("%s must be between %" PRIu64 " and %" PRIu64 ", not %s",
			    what, min, max, s);
	return v;
}

/* An existing path, made absolute (the kernel resolves it in its own context). */
char *abs_path(const char *what, const char *p)
{
	char *r;

	if (!p[0])
		usage_error("%s is empty", what);
	r = realpath(p, NULL);
	if (!r)
		usage_error("%s '%s': %s", what, p, strerror(errno));
	return r;
}

/* Letters of @set (upper case), each at most once, as bits 1 << index; -1 if bad. */
static int parse_letters(const char *s, const char *set)
{
	int bits = 0;
	const char *p;

	if (!strcmp(s, "none") || !strcmp(s, "-"))
		return 0;
	for (; *s; s++) {
		p = strchr(set, toupper((unsigned char)*s));
		if (!p || bits & (1 << (p - set)))
			return -1;
		bits |= 1 << (p - set);
	}
	return bits;
}

/* A lease state: R, RH, RW, RWH (any order, any case) or none. */
uint8_t parse_lease(const char *s)
{
	int l = parse_letters(s, "RWH");
	uint8_t st = 0;

	if (l >= 0) {
		st = (l & 1 ? XLOCK_LEASE_R : 0) | (l & 2 ? XLOCK_LEASE_W : 0) |
		     (l & 4 ? XLOCK_LEASE_H : 0);
	}
	if (l < 0 || (st && !(st & XLOCK_LEASE_R)))
		usage_error("bad lease state '%s': use R, RH, RW, RWH or none", s);
	return st;
}

/* Share access bits: letters r, w, d (read, write, delete) or none. */
uint8_t parse_access(const char *what, const char *s)
{
	int l = parse_letters(s, "RWD");

	if (l < 0)
		usage_error("bad %s '%s': use letters r, w, d (read, write, delete) or none",
			    what, s);
	return (l & 1 ? XLOCK_SHARE_READ : 0) | (l & 2 ? XLOCK_SHARE_WRITE : 0) |
	       (l & 4 ? XLOCK_SHARE_DELETE : 0);
}

static int nibble(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

void parse_hex16(const char *what, const char *s, uint8_t *out)
{
	if (strlen(s) != 32 || strspn(s, "0123456789abcdefABCDEF") != 32)
		usage_error("%s must be 32 hex digits, not '%s'", what, s);
	for (int i = 0; i < 16; i++)
		out[i] = nibble(s[2 * i]) << 4 | nibble(s[2 * i + 1]);
}

const char *check_len(const char *what, const char *s, size_t max)
{
	if (!s[0])
		usage_error("%s is empty", what);
	if (strlen(s) > max)
		usage_error("%s is longer than %zu bytes", what, max);
	return s;
}

/*
 * getopt_long with what every command takes (--json, --help) handled here;
 * returns the next command-specific option or -1.
 */
int next_opt(int argc, char **argv, const struct option *opts)
{
	int c;

	for (;;) {
		c = getopt_long(argc, argv, ":jh", opts, NULL);
		if (c == 'j') {
			json_out = true;
		} else if (c == 'h') {
			help_print(stdout, topic);
			exit_flushed(EXIT_OK);
		} else if (c == '?') {
			usage_error("unknown option '%s'", argv[optind - 1]);
		} else if (c == ':') {
			usage_error("option '%s' needs a value", argv[optind - 1]);
		} else {
			return c;
		}
	}
}

static const struct option no_opts[] = { COMMON_OPTS, { 0 } };

/* After the options: exactly @n positional arguments, named in @names. */
void want_args(int argc, char **argv, int n, const char *names)
{
	if (argc - optind < n)
		usage_error("missing %s", names);
	if (argc - optind > n)
		usage_error("unexpected argument '%s'", argv[optind + n]);
}

void no_options(int argc, char **argv, int n, const char *names)
{
	while (next_opt(argc, argv, no_opts) != -1)
		;
	want_args(argc, argv, n, names);
}

void print_id(uint64_t id)
{
	if (json_out)
		printf("{\"id\":%" PRIu64 "}\n", id);
	else
		printf("%" PRIu64 "\n", id);
}

int on_id(struct nlattr **tb, const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	if (tb[XLOCK_A_SHARE_ID])
		*(uint64_t *)arg = nla_get_u32(tb[XLOCK_A_SHARE_ID]);
	if (tb[XLOCK_A_ENTRY_ID])
		*(uint64_t *)arg = nla_get_u64(tb[XLOCK_A_ENTRY_ID]);
	return 0;
}
