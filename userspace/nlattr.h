/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attribute helpers for the "xlock" family (nlattr.c): reading parsed
 * replies, putting attributes into requests. Shared by xlockctl and xlockd.
 */
#ifndef XLOCK_NLATTR_H
#define XLOCK_NLATTR_H

#include <stdint.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

/* Attribute helpers for parsed replies; absent attributes read as @def. */
uint64_t xnl_u64(struct nlattr *a, uint64_t def);
uint32_t xnl_u32(struct nlattr *a, uint32_t def);
uint8_t xnl_u8(struct nlattr *a, uint8_t def);
/* A copy of string attribute @a (NULL if absent); exits if out of memory. */
char *xnl_strdup(struct nlattr *a);

/* Helpers that put an attribute or exit the program (the message is sized to fit). */
void xnl_put_u8(struct nl_msg *m, int type, uint8_t v);
void xnl_put_u32(struct nl_msg *m, int type, uint32_t v);
void xnl_put_u64(struct nl_msg *m, int type, uint64_t v);
void xnl_put_str(struct nl_msg *m, int type, const char *s);
void xnl_put_bin(struct nl_msg *m, int type, const void *p, int len);

/* Say "out of memory" and exit. */
__attribute__((noreturn)) void xnl_oom(void);

#endif
