// SPDX-License-Identifier: GPL-2.0
/*
 * xlockd's configuration file (userspace/config.c): a file with every
 * setting reads back as written; a missing file is no error unless named;
 * every kind of mistake is refused with the file and line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../userspace/config.h"
#include "tap.h"

static char file[] = "/tmp/xlockd-conf-XXXXXX";

static int read_text(const char *text, struct config *c, char *err, size_t len)
{
	FILE *f = fopen(file, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
	return config_read(file, false, c, err, len);
}

static void test_full(void)
{
	static const char text[] =
		"# xlockd.conf\n"
		"[global]\n"
		"grace_s = 45\n"
		"  break_timeout_ms=5000\n"
		"limit_total = 1000\n"
		"limit_file = 16\n"
		"limit_client = 200\n"
		"lockd_wait_ms = 0\n"
		"nfsd_wait_ms = 1500\n"
		"\n"
		"; a share\n"
		"[share export]\n"
		"path = /srv/export\n"
		"break_timeout_ms = 100\n"
		"grace_s = 3600\n"
		"enabled = no\n"
		"[ share  other ]\n"
		"path = /srv/other dir\n";
	struct config c;
	char err[512] = "";
	int ret;

	ret = read_text(text, &c, err, sizeof(err));
	tap_ok(!ret && c.present && c.grace_s == 45 && c.break_timeout_ms == 5000 &&
	       c.limit_total == 1000 && c.limit_file == 16 && c.limit_client == 200 &&
	       c.lockd_wait_ms == 0 && c.nfsd_wait_ms == 1500, "[global]: every setting (%s)",
	       ret ? err : "ok");
	tap_ok(!ret && c.nr_shares == 2 && !strcmp(c.shares[0].name, "export") &&
	       !strcmp(c.shares[0].path, "/srv/export") && c.shares[0].break_timeout_ms == 100 &&
	       c.shares[0].grace_s == 3600 && c.shares[0].enabled == 0 &&
	       !strcmp(c.shares[1].name, "other") && !strcmp(c.shares[1].path, "/srv/other dir") &&
	       c.shares[1].enabled == -1 && !c.shares[1].grace_s,
	       "[share NAME]: every setting, and what is left out stays unset");
	config_free(&c);
	ret = read_text("[global]\n", &c, err, sizeof(err));
	tap_ok(!ret && c.present && c.lockd_wait_ms == -1 && !c.grace_s && !c.nr_shares,
	       "an empty [global] sets nothing");
	config_free(&c);
}

static void test_missing(void)
{
	struct config c;
	char err[512] = "";
	int ret;

	ret = config_read("/nonexistent/xlockd.conf", false, &c, err, sizeof(err));
	tap_ok(!ret && !c.present, "no file at the default place: nothing is managed");
	ret = config_read("/nonexistent/xlockd.conf", true, &c, err, sizeof(err));
	tap_ok(ret == -1 && !strcmp(err, "/nonexistent/xlockd.conf: No such file or directory"),
	       "a file named with --config must exist: \"%s\"", err);
}

static void refused(const char *text, int line, const char *want)
{
	struct config c;
	char err[512] = "", prefix[128];
	int ret;

	ret = read_text(text, &c, err, sizeof(err));
	snprintf(prefix, sizeof(prefix), "%s:%d: ", file, line);
	tap_ok(ret == -1 && !strncmp(err, prefix, strlen(prefix)) && strstr(err, want),
	       "refused: \"%s\"", err);
	if (!ret)
		config_free(&c);
}

int main(void)
{
	int fd = mkstemp(file);

	if (fd < 0)
		return 1;
	close(fd);
	tap_plan(22);
	test_full();
	test_missing();
	refused("grace_s = 5\n", 1, "before any section");
	refused("[global]\ngrace = 5\n", 2, "unknown setting \"grace\"");
	refused("[global]\ngrace_s = 0\n", 2, "grace_s takes a number from 1 to 3600");
	refused("[global]\ngrace_s = 3601\n", 2, "not \"3601\"");
	refused("[global]\nlimit_file = -1\n", 2, "limit_file takes");
	refused("[global]\nbreak_timeout_ms = 99\n", 2, "from 100 to 3600000");
	refused("[global]\nnfsd_wait_ms = 1s\n", 2, "not \"1s\"");
	refused("[global]\ngrace_s\n", 2, "expected \"key = value\"");
	refused("[globals]\n", 1, "unknown section [globals]");
	refused("[global\n", 1, "a section line is");
	refused("[share a]\npath = relative/dir\n", 2, "absolute path");
	refused("[share a]\nenabled = maybe\n", 2, "enabled takes yes or no");
	refused("[share 42]\n", 1, "is not a number");
	refused("[share a]\npath = /x\n[share a]\npath = /y\n", 3, "[share a] again (line 1)");
	refused("[share a]\npath = /x\n[share b]\npath = /x\n", 4, "/x is the path of [share a]");
	refused("[share a]\nenabled = yes\n[global]\n", 3, "[share a] (line 1) has no path");
	refused("[global]\n[share a]\ngrace_s = 9\n", 2, "[share a] has no path");
	unlink(file);
	return tap_done();
}
