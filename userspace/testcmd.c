// SPDX-License-Identifier: GPL-2.0
/*
 * xlockctl test add / test del: thin wrappers over XLOCK_CMD_TEST_ADD and
 * XLOCK_CMD_TEST_DEL, for tests (the module needs test_api=1).
 */
#include <string.h>

#include "cli.h"
#include "nlattr.h"
#include "testcmd.h"

/* What test add was given; @seen has a bit per option, by its letter. */
struct test_opts {
	uint64_t seen;
	uint8_t proto, kind, mode, state, access, allow;
	uint64_t start, end, len, fid;
	uint32_t svid;
	uint8_t guid[16], lease_key[16];
	const char *client, *addr;
};

#define SEEN(c) (1ULL << ((c) - 'A'))

static const struct option test_add_opts[] = {
	{ "proto", required_argument, NULL, 'P' },
	{ "kind", required_argument, NULL, 'K' },
	{ "client", required_argument, NULL, 'C' },
	{ "addr", required_argument, NULL, 'A' },
	{ "mode", required_argument, NULL, 'M' },
	{ "start", required_argument, NULL, 'S' },
	{ "end", required_argument, NULL, 'E' },
	{ "len", required_argument, NULL, 'L' },
	{ "state", required_argument, NULL, 'T' },
	{ "access", required_argument, NULL, 'a' },
	{ "allow", required_argument, NULL, 'l' },
	{ "svid", required_argument, NULL, 'V' },
	{ "guid", required_argument, NULL, 'G' },
	{ "lease-key", required_argument, NULL, 'k' },
	{ "fid", required_argument, NULL, 'F' },
	{ "pending", no_argument, NULL, 'p' },
	COMMON_OPTS, { 0 }
};

static void test_opt(struct test_opts *o, int c)
{
	switch (c) {
	case 'P':
		if (strcmp(optarg, "nlm") && strcmp(optarg, "smb"))
			usage_error("--proto must be nlm or smb, not '%s'", optarg);
		o->proto = optarg[0] == 'n' ? XLOCK_PROTO_NLM : XLOCK_PROTO_SMB;
		break;
	case 'K':
		o->kind = !strcmp(optarg, "lock") ? XLOCK_KIND_LOCK :
			  !strcmp(optarg, "lease") ? XLOCK_KIND_LEASE :
			  !strcmp(optarg, "share") ? XLOCK_KIND_SHARE : 0;
		if (!o->kind)
			usage_error("--kind must be lock, lease or share, not '%s'", optarg);
		break;
	case 'C':
		o->client = check_len("--client", optarg, XLOCK_NAME_MAX - 1);
		break;
	case 'A':
		o->addr = check_len("--addr", optarg, 47);
		break;
	case 'M':
		if (strcmp(optarg, "shared") && strcmp(optarg, "excl"))
			usage_error("--mode must be shared or excl, not '%s'", optarg);
		o->mode = optarg[0] == 's' ? XLOCK_MODE_SHARED : XLOCK_MODE_EXCL;
		break;
	case 'S':
		o->start = parse_u64("--start", optarg, 0, UINT64_MAX);
		break;
	case 'E':
		o->end = !strcmp(optarg, "EOF") || !strcmp(optarg, "eof") ? XLOCK_END_MAX :
			 parse_u64("--end", optarg, 0, UINT64_MAX);
		break;
	case 'L':
		o->len = parse_u64("--len", optarg, 0, UINT64_MAX);
		break;
	case 'T':
		o->state = parse_lease(optarg);
		break;
	case 'a':
		o->access = parse_access("--access", optarg);
		break;
	case 'l':
		o->allow = parse_access("--allow", optarg);
		break;
	case 'V':
		o->svid = parse_u64("--svid", optarg, 0, UINT32_MAX);
		break;
	case 'G':
		parse_hex16("--guid", optarg, o->guid);
		break;
	case 'k':
		parse_hex16("--lease-key", optarg, o->lease_key);
		break;
	case 'F':
		o->fid = parse_u64("--fid", optarg, 0, UINT64_MAX);
		break;
	}
	o->seen |= SEEN(c);
}

static const char *opt_name(int c)
{
	for (const struct option *o = test_add_opts; o->name; o++)
		if (o->val == c)
			return o->name;
	return "?";
}

/* The range of a lock: --end, or --len from --start (0 = to end of file). */
static uint64_t test_end(const struct test_opts *o)
{
	if (o->seen & SEEN('E')) {
		if (o->end < o->start)
			usage_error("--end is before --start");
		return o->end;
	}
	if (!o->len)
		return XLOCK_END_MAX;
	if (o->len - 1 > XLOCK_END_MAX - o->start)
		usage_error("--start plus --len is past the largest offset");
	return o->start + o->len - 1;
}

/* Options that only make sense for some kinds or protocols; a lock's range. */
static void test_check(struct test_opts *o)
{
	static const struct {
		char opt;
		uint8_t kind, proto;	/* 0: any */
	} only[] = {
		{ 'M', XLOCK_KIND_LOCK, 0 }, { 'S', XLOCK_KIND_LOCK, 0 },
		{ 'E', XLOCK_KIND_LOCK, 0 }, { 'L', XLOCK_KIND_LOCK, 0 },
		{ 'T', XLOCK_KIND_LEASE, 0 }, { 'a', XLOCK_KIND_SHARE, 0 },
		{ 'l', XLOCK_KIND_SHARE, 0 }, { 'V', 0, XLOCK_PROTO_NLM },
		{ 'G', 0, XLOCK_PROTO_SMB }, { 'k', XLOCK_KIND_LEASE, XLOCK_PROTO_SMB },
		{ 'F', 0, XLOCK_PROTO_SMB },
	};

	if (!(o->seen & SEEN('P')) || !(o->seen & SEEN('K')) || !(o->seen & SEEN('C')))
		usage_error("--proto, --kind and --client are required");
	if (o->proto == XLOCK_PROTO_NLM && o->kind != XLOCK_KIND_LOCK)
		usage_error("NLM only holds locks: use --kind lock with --proto nlm");
	for (size_t i = 0; i < ARRAY_SIZE(only); i++) {
		if (!(o->seen & SEEN(only[i].opt)))
			continue;
		if ((only[i].kind && only[i].kind != o->kind) ||
		    (only[i].proto && only[i].proto != o->proto))
			usage_error("--%s does not apply to this --proto and --kind",
				    opt_name(only[i].opt));
	}
	if ((o->seen & SEEN('E')) && (o->seen & SEEN('L')))
		usage_error("give --end or --len, not both");
	if (o->kind == XLOCK_KIND_LEASE && !(o->seen & SEEN('T')))
		usage_error("a lease needs --state");
	if (o->kind == XLOCK_KIND_SHARE && (!(o->seen & SEEN('a')) || !(o->seen & SEEN('l'))))
		usage_error("a share mode needs --access and --allow");
	if (o->kind == XLOCK_KIND_LOCK)
		o->end = test_end(o);
}

static void test_put(struct nl_msg *msg, const struct test_opts *o)
{
	xnl_put_u8(msg, XLOCK_A_PROTO, o->proto);
	xnl_put_u8(msg, XLOCK_A_KIND, o->kind);
	xnl_put_str(msg, XLOCK_A_CLIENT, o->client);
	if (o->addr)
		xnl_put_str(msg, XLOCK_A_CLIENT_ADDR, o->addr);
	if (o->seen & SEEN('p'))
		xnl_put_u32(msg, XLOCK_A_FLAGS, XLOCK_ENTRY_F_PENDING);
	if (o->kind == XLOCK_KIND_LOCK) {
		xnl_put_u8(msg, XLOCK_A_MODE, o->mode ? o->mode : XLOCK_MODE_EXCL);
		xnl_put_u64(msg, XLOCK_A_START, o->start);
		xnl_put_u64(msg, XLOCK_A_END, o->end);
	} else if (o->kind == XLOCK_KIND_LEASE) {
		xnl_put_u8(msg, XLOCK_A_LEASE_STATE, o->state);
	} else {
		xnl_put_u8(msg, XLOCK_A_SHARE_ACCESS, o->access);
		xnl_put_u8(msg, XLOCK_A_SHARE_ALLOW, o->allow);
	}
	if (o->seen & SEEN('V'))
		xnl_put_u32(msg, XLOCK_A_NLM_SVID, o->svid);
	if (o->seen & SEEN('G'))
		xnl_put_bin(msg, XLOCK_A_SMB_GUID, o->guid, 16);
	if (o->seen & SEEN('k'))
		xnl_put_bin(msg, XLOCK_A_SMB_LEASE_KEY, o->lease_key, 16);
	if (o->seen & SEEN('F'))
		xnl_put_u64(msg, XLOCK_A_SMB_FID, o->fid);
}

int cmd_test_add(int argc, char **argv)
{
	struct test_opts o = { 0 };
	struct nl_msg *msg;
	uint64_t id = 0;
	char *path;
	int c;

	topic = "test";
	while ((c = next_opt(argc, argv, test_add_opts)) != -1)
		test_opt(&o, c);
	want_args(argc, argv, 1, "PATH");
	test_check(&o);
	path = abs_path("PATH", argv[optind]);
	connect_xlock();
	msg = xnl_new(&nl, XLOCK_CMD_TEST_ADD, false);
	xnl_put_str(msg, XLOCK_A_PATH, path);
	test_put(msg, &o);
	request(msg, on_id, &id);
	free(path);
	print_id(id);
	return EXIT_OK;
}

int cmd_test_del(int argc, char **argv)
{
	struct nl_msg *msg;
	uint64_t id;

	no_options(argc, argv, 1, "the entry ID");
	id = parse_u64("the entry ID", argv[optind], 0, UINT64_MAX);
	connect_xlock();
	msg = xnl_new(&nl, XLOCK_CMD_TEST_DEL, false);
	xnl_put_u64(msg, XLOCK_A_ENTRY_ID, id);
	request(msg, NULL, NULL);
	return EXIT_OK;
}
