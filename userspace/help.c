// SPDX-License-Identifier: GPL-2.0
/*
 * xlockctl's --help and "help CMD" texts; xlockctl(8) has the details.
 */
#include <string.h>

#include "help.h"

static const struct {
	const char *topic;
	const char *text;
} topics[] = {
	{ "status",
	  "  status\n"
	  "      The module's version, table generation, edges (lockd, nfsd, ksmbd),\n"
	  "      entry counts, limits, persistence, whether the test API is on, and\n"
	  "      the cross-protocol counters (conflicts, lease breaks, answers).\n" },
	{ "metrics",
	  "  metrics\n"
	  "      The counters in Prometheus text format (for node_exporter's textfile\n"
	  "      collector: xlockctl metrics > DIR/xlock.prom.tmp && mv ...).\n" },
	{ "shares",
	  "  shares | share [list]\n"
	  "      List the shares (one per exported directory; share 0 is the default).\n" },
	{ "share",
	  "  share add PATH [--name N] [--break-timeout MS] [--grace S] [--disabled]\n"
	  "      Register directory PATH as a share; prints the new share's id.\n"
	  "  share set ID|NAME|PATH [--break-timeout MS] [--grace S] [--enable|--disable]\n"
	  "      Change a share's policy.\n"
	  "  share del ID|NAME|PATH\n"
	  "      Remove a share; it must hold no entries.\n"
	  "  share list\n"
	  "      Same as 'shares'.\n" },
	{ "locks",
	  "  locks [--share ID|NAME|PATH] [--path P] [--client C]\n"
	  "      List the entries (locks, leases, share modes) matching every filter:\n"
	  "      of one share, on one file (all protocols), or of one client\n"
	  "      ('nlm:host', 'smb:address').\n" },
	{ "break",
	  "  break ID [--to STATE]\n"
	  "      Break lease ID to STATE (R, RH, RW or none; default none).\n" },
	{ "clear-client",
	  "  clear-client CLIENT\n"
	  "      Release everything CLIENT holds; prints how many entries went.\n" },
	{ "config",
	  "  config [--limit-total N] [--limit-file N] [--limit-client N]\n"
	  "      Set entry limits; without options, show them.\n" },
	{ "test",
	  "  test add PATH --proto nlm|smb --kind lock|lease|share --client C\n"
	  "           [--addr A] [--mode shared|excl] [--start N] [--end N|--len N]\n"
	  "           [--state RWH] [--access rwd] [--allow rwd] [--svid N]\n"
	  "           [--guid HEX32] [--lease-key HEX32] [--fid N] [--pending]\n"
	  "      Add a test entry on file PATH; prints its id. For tests only: needs\n"
	  "      the module loaded with test_api=1.\n"
	  "  test del ID\n"
	  "      Remove test entry ID.\n" },
	{ "grace",
	  "  grace [status]\n"
	  "      The grace period after a restart: running or not, time left, and\n"
	  "      per client how many persisted entries it has reclaimed.\n"
	  "  grace start [--seconds S]\n"
	  "      Start one grace period for NLM and SMB now (default: share 0's\n"
	  "      grace time); xlockd does this itself after a restart.\n"
	  "  grace end\n"
	  "      End it now; what was not reclaimed is forgotten.\n" },
	{ "events",
	  "  events\n"
	  "      Print one line per table event (grant, release, change, break,\n"
	  "      break_timeout, conflict) until interrupted.\n" },
	{ "help",
	  "  help [COMMAND]\n"
	  "      This text, or only COMMAND's part of it.\n" },
};

static const char header[] =
	"usage: xlockctl [--json] [COMMAND [ARGS]] [--json]\n"
	"Administer xlock, the lock table shared by knfsd/lockd and ksmbd.\n"
	"Without a command: status.\n\n"
	"Commands:\n";

static const char footer[] =
	"\nOptions:\n"
	"  --json       machine-readable output (one JSON document per line)\n"
	"  --help       help (of the command it follows)\n"
	"  --version    the version of xlockctl\n\n"
	"Exit status: 0 success, 1 the kernel refused, 2 usage error, 3 module not\n"
	"loaded, 4 permission denied, 5 not found. See xlockctl(8).\n";

bool help_print(FILE *f, const char *topic)
{
	size_t i, n = sizeof(topics) / sizeof(topics[0]);

	if (!topic[0]) {
		fputs(header, f);
		for (i = 0; i < n; i++)
			if (strcmp(topics[i].topic, "shares"))
				fputs(topics[i].text, f);
		fputs(footer, f);
		return true;
	}
	for (i = 0; i < n; i++) {
		if (!strcmp(topics[i].topic, topic)) {
			fprintf(f, "usage:\n%s", topics[i].text);
			return true;
		}
	}
	return false;
}
