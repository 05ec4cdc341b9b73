// SPDX-License-Identifier: GPL-2.0
/*
 * Reading xlockd's configuration file (see config.h and xlockd(8)).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

struct parser {
	struct config *c;
	struct cfg_share *share;	/* the section being read, NULL for [global] */
	unsigned int line;
	char *err;
	size_t len;
};

__attribute__((format(printf, 2, 3)))
static int bad(struct parser *p, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	n = snprintf(p->err, p->len, "%s:%u: ", p->c->file, p->line);
	va_start(ap, fmt);
	if (n < p->len)
		vsnprintf(p->err + n, p->len - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Cut blanks off both ends of @s. */
static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		e--;
	*e = '\0';
	return s;
}

static int number(struct parser *p, const char *key, const char *v, uint64_t min, uint64_t max,
		  uint64_t *out)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (!*v || *end || errno || *v == '-' || n < min || n > max)
		return bad(p, "%s takes a number from %llu to %llu, not \"%s\"", key,
			   (unsigned long long)min, (unsigned long long)max, v);
	*out = n;
	return 0;
}

static int u32_key(struct parser *p, const char *key, const char *v, uint64_t min,
		   uint64_t max, uint32_t *out)
{
	uint64_t n;

	if (number(p, key, v, min, max, &n))
		return -1;
	*out = n;
	return 0;
}

static int boolean(struct parser *p, const char *key, const char *v, int *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*out = 0;
	else
		return bad(p, "%s takes yes or no, not \"%s\"", key, v);
	return 0;
}

/* The ranges the module takes (include/uapi/linux/xlock.h). */
#define GRACE_MAX	3600
#define BREAK_MIN	100
#define BREAK_MAX	3600000
#define WAIT_MAX	3600000

static int global_key(struct parser *p, const char *k, const char *v)
{
	struct config *c = p->c;
	uint64_t n;

	if (!strcmp(k, "grace_s"))
		return u32_key(p, k, v, 1, GRACE_MAX, &c->grace_s);
	if (!strcmp(k, "break_timeout_ms"))
		return u32_key(p, k, v, BREAK_MIN, BREAK_MAX, &c->break_timeout_ms);
	if (!strcmp(k, "limit_total"))
		return u32_key(p, k, v, 1, 1 << 26, &c->limit_total);
	if (!strcmp(k, "limit_file"))
		return u32_key(p, k, v, 1, 1 << 20, &c->limit_file);
	if (!strcmp(k, "limit_client"))
		return u32_key(p, k, v, 1, 1 << 26, &c->limit_client);
	if (!strcmp(k, "lockd_wait_ms") || !strcmp(k, "nfsd_wait_ms")) {
		if (number(p, k, v, 0, WAIT_MAX, &n))
			return -1;
		*(k[0] == 'l' ? &c->lockd_wait_ms : &c->nfsd_wait_ms) = n;
		return 0;
	}
	return bad(p, "unknown setting \"%s\" in [global]", k);
}

static int share_key(struct parser *p, const char *k, const char *v)
{
	struct cfg_share *s = p->share;
	size_t i;

	if (!strcmp(k, "path")) {
		if (v[0] != '/' || strlen(v) >= PATH_MAX)
			return bad(p, "path takes an absolute path, not \"%s\"", v);
		for (i = 0; i < p->c->nr_shares; i++)
			if (p->c->shares[i].path && !strcmp(p->c->shares[i].path, v))
				return bad(p, "%s is the path of [share %s] already", v,
					   p->c->shares[i].name);
		s->path = strdup(v);
		if (!s->path)
			return bad(p, "out of memory");
		return 0;
	}
	if (!strcmp(k, "break_timeout_ms"))
		return u32_key(p, k, v, BREAK_MIN, BREAK_MAX, &s->break_timeout_ms);
	if (!strcmp(k, "grace_s"))
		return u32_key(p, k, v, 1, GRACE_MAX, &s->grace_s);
	if (!strcmp(k, "enabled"))
		return boolean(p, k, v, &s->enabled);
	return bad(p, "unknown setting \"%s\" in [share %s]", k, s->name);
}

/* "[global]" or "[share NAME]" (NAME as xlockctl share add --name takes it). */
static int section(struct parser *p, char *s)
{
	struct config *c = p->c;
	struct cfg_share *sh;
	char *name;
	size_t i;

	if (p->share && !p->share->path)
		return bad(p, "[share %s] (line %u) has no path", p->share->name, p->share->line);
	s = trim(s);
	if (!strcmp(s, "global")) {
		p->share = NULL;
		return 0;
	}
	if (strncmp(s, "share", 5) || (s[5] != ' ' && s[5] != '\t'))
		return bad(p, "unknown section [%s]: [global] or [share NAME]", s);
	name = trim(s + 5);
	if (!*name || strlen(name) >= XLOCK_NAME_MAX || strchr(name, '/') ||
	    strspn(name, "0123456789") == strlen(name) || strpbrk(name, " \t[]"))
		return bad(p, "a share name has 1 to %d characters, no '/' or blank, and is not a number: \"%s\"",
			   XLOCK_NAME_MAX - 1, name);
	for (i = 0; i < c->nr_shares; i++)
		if (!strcmp(c->shares[i].name, name))
			return bad(p, "[share %s] again (line %u)", name, c->shares[i].line);
	sh = realloc(c->shares, (c->nr_shares + 1) * sizeof(*sh));
	if (!sh)
		return bad(p, "out of memory");
	c->shares = sh;
	p->share = &sh[c->nr_shares++];
	memset(p->share, 0, sizeof(*p->share));
	strcpy(p->share->name, name);
	p->share->enabled = -1;
	p->share->line = p->line;
	return 0;
}

static int parse_line(struct parser *p, char *line, bool *in_section)
{
	char *s = trim(line), *eq, *end;

	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		end = strchr(s, ']');
		if (!end || trim(end + 1)[0])
			return bad(p, "a section line is [global] or [share NAME]");
		*end = '\0';
		*in_section = true;
		return section(p, s + 1);
	}
	if (!*in_section)
		return bad(p, "a setting before any section: start with [global] or [share NAME]");
	eq = strchr(s, '=');
	if (!eq)
		return bad(p, "expected \"key = value\"");
	*eq = '\0';
	s = trim(s);
	return p->share ? share_key(p, s, trim(eq + 1)) : global_key(p, s, trim(eq + 1));
}

int config_read(const char *file, bool must_exist, struct config *c, char *err, size_t len)
{
	struct parser p = { .c = c, .err = err, .len = len };
	bool in_section = false;
	char line[PATH_MAX + 256];
	FILE *f;
	int ret = 0;

	memset(c, 0, sizeof(*c));
	c->lockd_wait_ms = -1;
	c->nfsd_wait_ms = -1;
	snprintf(c->file, sizeof(c->file), "%s", file);
	f = fopen(file, "r");
	if (!f) {
		if (errno == ENOENT && !must_exist)
			return 0;
		snprintf(err, len, "%s: %s", file, strerror(errno));
		return -1;
	}
	c->present = true;
	while (!ret && fgets(line, sizeof(line), f)) {
		p.line++;
		if (!strchr(line, '\n') && !feof(f))
			ret = bad(&p, "line too long");
		else
			ret = parse_line(&p, line, &in_section);
	}
	if (!ret && ferror(f)) {
		snprintf(err, len, "%s: %s", file, strerror(errno));
		ret = -1;
	}
	if (!ret && p.share && !p.share->path) {
		p.line = p.share->line;
		ret = bad(&p, "[share %s] has no path", p.share->name);
	}
	fclose(f);
	if (ret)
		config_free(c);
	return ret;
}

void config_free(struct config *c)
{
	size_t i;

	for (i = 0; i < c->nr_shares; i++)
		free(c->shares[i].path);
	free(c->shares);
	c->shares = NULL;
	c->nr_shares = 0;
}
