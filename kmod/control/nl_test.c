// SPDX-License-Identifier: GPL-2.0
/*
 * The test commands TEST_ADD and TEST_DEL (entries put into the table by
 * hand, for the selftests): only in the test module (Kbuild, XLOCK_TEST),
 * never in the module users load; even there only with test_api=1.
 */
#include <linux/module.h>
#include <linux/namei.h>
#include <net/genetlink.h>

#include "nl_entries.h"
#include "nl_family.h"
#include "nl_test.h"
#include "table.h"

bool xlock_test_api;
module_param_named(test_api, xlock_test_api, bool, 0444);
MODULE_PARM_DESC(test_api, "Enable XLOCK_CMD_TEST_ADD/DEL (selftests only)");

const struct nla_policy xlock_nl_test_add_policy[XLOCK_A_MAX + 1] = {
	[XLOCK_A_PATH] = { .type = NLA_NUL_STRING, .len = PATH_MAX - 1 },
	[XLOCK_A_PROTO] = NLA_POLICY_RANGE(NLA_U8, XLOCK_PROTO_NLM, XLOCK_PROTO_SMB),
	[XLOCK_A_KIND] = NLA_POLICY_RANGE(NLA_U8, XLOCK_KIND_LOCK, XLOCK_KIND_SHARE),
	[XLOCK_A_CLIENT] = { .type = NLA_NUL_STRING, .len = XLOCK_NAME_MAX - 1 },
	[XLOCK_A_CLIENT_ADDR] = { .type = NLA_NUL_STRING, .len = 47 },
	[XLOCK_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, XLOCK_ENTRY_F_PENDING),
	[XLOCK_A_MODE] = NLA_POLICY_RANGE(NLA_U8, XLOCK_MODE_SHARED, XLOCK_MODE_EXCL),
	[XLOCK_A_START] = { .type = NLA_U64 },
	[XLOCK_A_END] = { .type = NLA_U64 },
	[XLOCK_A_LEASE_STATE] = NLA_POLICY_MASK(NLA_U8, XLOCK_LEASE_ALL),
	[XLOCK_A_SHARE_ACCESS] = NLA_POLICY_MASK(NLA_U8, XLOCK_SHARE_ALL),
	[XLOCK_A_SHARE_ALLOW] = NLA_POLICY_MASK(NLA_U8, XLOCK_SHARE_ALL),
	[XLOCK_A_NLM_SVID] = { .type = NLA_U32 },
	[XLOCK_A_SMB_GUID] = NLA_POLICY_EXACT_LEN(16),
	[XLOCK_A_SMB_LEASE_KEY] = NLA_POLICY_EXACT_LEN(16),
	[XLOCK_A_SMB_FID] = { .type = NLA_U64 },
};

const struct nla_policy xlock_nl_entry_id_policy[XLOCK_A_MAX + 1] = {
	[XLOCK_A_ENTRY_ID] = { .type = NLA_U64 },
};

int xlock_nl_test_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct xlock_entry_init init = {};
	struct xlock_client *c;
	struct xlock_file *f;
	struct sk_buff *msg;
	const char *why;
	struct path path;
	void *hdr;
	u32 id;
	int ret;

	if (!xlock_test_api) {
		NL_SET_ERR_MSG(info->extack, "test entries need the module parameter test_api=1");
		return -EOPNOTSUPP;
	}
	ret = xlock_nl_parse_entry(info, &init);
	if (ret)
		return ret;
	init.flags |= XLOCK_ENTRY_F_TEST;
	ret = kern_path(nla_data(a[XLOCK_A_PATH]), LOOKUP_FOLLOW, &path);
	if (ret) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[XLOCK_A_PATH], "no such file");
		return ret;
	}
	f = xlock_file_get(&path, true);
	path_put(&path);
	if (IS_ERR(f)) {
		NL_SET_ERR_MSG(info->extack, "out of memory");
		return PTR_ERR(f);
	}
	c = xlock_client_get(init.proto, nla_data(a[XLOCK_A_CLIENT]),
			     a[XLOCK_A_CLIENT_ADDR] ? nla_data(a[XLOCK_A_CLIENT_ADDR]) : NULL,
			     a[XLOCK_A_SMB_GUID] ? nla_data(a[XLOCK_A_SMB_GUID]) : NULL);
	if (IS_ERR(c)) {
		ret = PTR_ERR(c);
		NL_SET_ERR_MSG(info->extack, "out of memory");
		goto out_file;
	}
	ret = xlock_entry_add(f, c, &init, &id, &why);
	xlock_client_put(c);
	if (ret) {
		xlock_nl_err(info->extack, NULL, why);
		goto out_file;
	}
	xlock_file_put(f);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = xlock_nl_reply_put(msg, info, XLOCK_CMD_TEST_ADD);
	if (!hdr || nla_put_u64_64bit(msg, XLOCK_A_ENTRY_ID, id, XLOCK_A_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_file:
	xlock_file_put(f);
	return ret;
}

int xlock_nl_test_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	u64 id;
	int ret;

	if (!xlock_test_api) {
		NL_SET_ERR_MSG(info->extack, "test entries need the module parameter test_api=1");
		return -EOPNOTSUPP;
	}
	if (xlock_nl_missing(info, XLOCK_A_ENTRY_ID))
		return -EINVAL;
	id = nla_get_u64(info->attrs[XLOCK_A_ENTRY_ID]);
	ret = id > U32_MAX ? -ENOENT : xlock_entry_del_id(id, XLOCK_ENTRY_F_TEST);
	if (ret == -ENOENT) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[XLOCK_A_ENTRY_ID], "no such entry");
	} else if (ret == -EPERM) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[XLOCK_A_ENTRY_ID],
				    "not a test entry");
		ret = -EINVAL;
	}
	return ret;
}
