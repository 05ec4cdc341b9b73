// SPDX-License-Identifier: GPL-2.0
/*
 * The "xlock" generic netlink family itself and what its command files
 * share (replies, error messages); the commands are netlink.c's, nl_*.c's.
 */
#include <linux/module.h>
#include <net/genetlink.h>

#include "nl_family.h"

static const char *const attr_names[XLOCK_A_MAX + 1] = {
	[XLOCK_A_PATH] = "path",
	[XLOCK_A_SHARE_ID] = "share id",
	[XLOCK_A_ENTRY_ID] = "entry id",
	[XLOCK_A_CLIENT] = "client",
	[XLOCK_A_PROTO] = "protocol",
	[XLOCK_A_KIND] = "kind",
	[XLOCK_A_MODE] = "mode",
	[XLOCK_A_START] = "start",
	[XLOCK_A_END] = "end",
	[XLOCK_A_LEASE_STATE] = "lease state",
	[XLOCK_A_SHARE_ACCESS] = "share access",
	[XLOCK_A_SHARE_ALLOW] = "share allow",
	[XLOCK_A_RECLAIM_RECS] = "reclaim records",
};

/* A required attribute is absent: say which, by type and by name. */
bool xlock_nl_missing(struct genl_info *info, int type)
{
	if (info->attrs[type])
		return false;
	NL_SET_ERR_ATTR_MISS(info->extack, NULL, type);
	NL_SET_ERR_MSG_FMT(info->extack, "attribute required: %s",
			   attr_names[type] ?: "?");
	return true;
}

/* An error message made at run time (at most 79 characters), @attr may be NULL. */
void xlock_nl_err(struct netlink_ext_ack *extack, const struct nlattr *attr,
		  const char *msg)
{
	NL_SET_ERR_MSG_FMT(extack, "%s", msg);
	if (attr)
		NL_SET_BAD_ATTR(extack, attr);
}

void *xlock_nl_reply_put(struct sk_buff *skb, struct genl_info *info, u8 cmd)
{
	return genlmsg_put(skb, info->snd_portid, info->snd_seq, &xlock_family, 0, cmd);
}

/* A reply carrying one XLOCK_A_NR_ENTRIES. */
int xlock_nl_reply_count(struct genl_info *info, u8 cmd, u64 n)
{
	struct sk_buff *msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	void *hdr;

	if (!msg)
		return -ENOMEM;
	hdr = xlock_nl_reply_put(msg, info, cmd);
	if (!hdr || nla_put_u64_64bit(msg, XLOCK_A_NR_ENTRIES, n, XLOCK_A_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static const struct genl_multicast_group xlock_mcgrps[] = {
	{ .name = XLOCK_GENL_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

/* Its commands come from netlink.c at registration (the layer above). */
struct genl_family xlock_family __ro_after_init = {
	.name = XLOCK_GENL_NAME,
	.version = XLOCK_GENL_VERSION,
	.module = THIS_MODULE,
	.mcgrps = xlock_mcgrps,
	.n_mcgrps = ARRAY_SIZE(xlock_mcgrps),
	/*
	 * No family-wide policy or maxattr: a command without a policy of
	 * its own then gets genetlink's reject-all policy.
	 */
};

int __init xlock_nl_family_register(const struct genl_ops *ops, unsigned int n)
{
	xlock_family.ops = ops;
	xlock_family.n_ops = n;
	return genl_register_family(&xlock_family);
}

void xlock_nl_family_unregister(void)
{
	genl_unregister_family(&xlock_family);
}
