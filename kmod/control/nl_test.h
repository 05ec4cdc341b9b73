/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test commands (nl_test.c), built only into the test module: Kbuild
 * defines XLOCK_TEST there. The module users load has neither the commands
 * nor the test_api parameter, and reports test_api as false.
 */
#ifndef _XLOCK_NL_TEST_H
#define _XLOCK_NL_TEST_H

#include <net/genetlink.h>

#include "../../include/uapi/linux/xlock.h"

#ifdef XLOCK_TEST
extern bool xlock_test_api;	/* test_api=1: TEST_ADD/DEL (selftests only) */
extern const struct nla_policy xlock_nl_test_add_policy[XLOCK_A_MAX + 1];
extern const struct nla_policy xlock_nl_entry_id_policy[XLOCK_A_MAX + 1];
int xlock_nl_test_add_doit(struct sk_buff *skb, struct genl_info *info);
int xlock_nl_test_del_doit(struct sk_buff *skb, struct genl_info *info);
#else
#define xlock_test_api false
#endif

#endif
