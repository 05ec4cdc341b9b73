/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlockctl's command-line plumbing (cli.c), used by its command files
 * (xlockctl.c, testcmd.c): exit codes, error reporting, the connection,
 * argument parsing.
 */
#ifndef XLOCKCTL_CLI_H
#define XLOCKCTL_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nl.h"

/* Exit codes: scripts rely on them (xlockctl(8), EXIT STATUS). */
enum {
	EXIT_OK,
	EXIT_KERNEL,	/* the kernel refused */
	EXIT_USAGE,
	EXIT_NOMODULE,
	EXIT_PERM,
	EXIT_NOTFOUND,
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

extern const char *cmd_name;	/* the command, for messages: "share add" */
extern const char *topic;	/* its help topic, for the usage hint */
extern bool json_out;
extern struct xnl nl;

void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...);
void __attribute__((noreturn, format(printf, 2, 3))) fail(int code, const char *fmt, ...);
void __attribute__((noreturn)) kernel_error(void);
/* Exit with @code once stdout is flushed, or with 1 if it cannot be written. */
void __attribute__((noreturn)) exit_flushed(int code);
void *xrealloc(void *p, size_t size);

/* Connect to the family (exit 3 if the module is not loaded); send, or exit on failure. */
void connect_xlock(void);
void request(struct nl_msg *msg, xnl_fn fn, void *arg);
/* A reply's new share or entry id, printed as text or {"id":N}. */
int on_id(struct nlattr **tb, const struct nlmsghdr *nlh, void *arg);
void print_id(uint64_t id);

/* Argument checks: each exits with a usage error on bad input. */
uint64_t parse_u64(const char *what, const char *s, uint64_t min, uint64_t max);
char *abs_path(const char *what, const char *p);
uint8_t parse_lease(const char *s);
uint8_t parse_access(const char *what, const char *s);
void parse_hex16(const char *what, const char *s, uint8_t *out);
const char *check_len(const char *what, const char *s, size_t max);

#define COMMON_OPTS { "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }

/* getopt_long that handles COMMON_OPTS itself; the next other option or -1. */
int next_opt(int argc, char **argv, const struct option *opts);
/* After the options: exactly @n positional arguments, described by @names. */
void want_args(int argc, char **argv, int n, const char *names);
/* A command with COMMON_OPTS only and @n positional arguments. */
void no_options(int argc, char **argv, int n, const char *names);

#endif
