/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ksmbd's private objects, reached through the byte offsets scripts/btfgen
 * read from the target ksmbd.ko's BTF (kmod/btf.spec lists each field with
 * its type). No ksmbd header is used: these structures change between
 * Debian point releases, and the edge refuses to attach to a ksmbd whose
 * BTF differs from the one checked at build time.
 */
#ifndef _XLOCK_KSMBD_OBJ_H
#define _XLOCK_KSMBD_OBJ_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/rwsem.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "generated/btf.h"
#include "rules.h"

struct ksmbd_file;
struct ksmbd_inode;
struct ksmbd_conn;
struct ksmbd_work;
struct oplock_info;
struct lease;
struct lease_ctx_info;

#define KS_AT(p, s, f, type) ((type *)((char *)(p) + XLOCK_BTF_##s##_##f))

/* MS-SMB2 2.2.13 oplock levels and ksmbd's op_state values (oplock.h). */
#define KS_OPLOCK_NONE		0x00
#define KS_OPLOCK_II		0x01
#define KS_OPLOCK_EXCL		0x08
#define KS_OPLOCK_BATCH		0x09
#define KS_OPLOCK_STATE_NONE	0x00
#define KS_OPLOCK_ACK_WAIT	0x01

/* The access bits ksmbd keeps in fp->daccess (MS-SMB2). */
#define KS_FILE_READ_DATA	0x00000001
#define KS_FILE_WRITE_DATA	0x00000002
#define KS_FILE_APPEND_DATA	0x00000004
#define KS_FILE_EXECUTE		0x00000020
#define KS_FILE_DELETE		0x00010000

static inline struct file *ks_fp_filp(struct ksmbd_file *fp)
{
	return *KS_AT(fp, ksmbd_file, filp, struct file *);
}

static inline struct ksmbd_conn *ks_fp_conn(struct ksmbd_file *fp)
{
	return *KS_AT(fp, ksmbd_file, conn, struct ksmbd_conn *);
}

static inline u32 ks_fp_daccess(struct ksmbd_file *fp)
{
	return le32_to_cpu(*KS_AT(fp, ksmbd_file, daccess, __le32));
}

static inline u32 ks_fp_saccess(struct ksmbd_file *fp)
{
	return le32_to_cpu(*KS_AT(fp, ksmbd_file, saccess, __le32));
}

static inline struct oplock_info *ks_fp_opinfo(struct ksmbd_file *fp)
{
	return rcu_dereference(*KS_AT(fp, ksmbd_file, f_opinfo, struct oplock_info __rcu *));
}

static inline struct ksmbd_file *ks_op_fp(struct oplock_info *op)
{
	return READ_ONCE(*KS_AT(op, oplock_info, o_fp, struct ksmbd_file *));
}

static inline struct ksmbd_conn *ks_op_conn(struct oplock_info *op)
{
	return READ_ONCE(*KS_AT(op, oplock_info, conn, struct ksmbd_conn *));
}

static inline int *ks_op_level(struct oplock_info *op)
{
	return KS_AT(op, oplock_info, level, int);
}

static inline int *ks_op_state(struct oplock_info *op)
{
	return KS_AT(op, oplock_info, op_state, int);
}

static inline spinlock_t *ks_op_lock(struct oplock_info *op)
{
	return KS_AT(op, oplock_info, state_lock, spinlock_t);
}

static inline atomic_t *ks_op_ref(struct oplock_info *op)
{
	return KS_AT(op, oplock_info, refcount, atomic_t);
}

static inline atomic_t *ks_op_breaking(struct oplock_info *op)
{
	return KS_AT(op, oplock_info, breaking_cnt, atomic_t);
}

static inline bool ks_op_is_lease(struct oplock_info *op)
{
	return *KS_AT(op, oplock_info, is_lease, bool);
}

static inline bool *ks_op_open_trunc(struct oplock_info *op)
{
	return KS_AT(op, oplock_info, open_trunc, bool);
}

static inline struct lease *ks_op_lease(struct oplock_info *op)
{
	return *KS_AT(op, oplock_info, o_lease, struct lease *);
}

static inline wait_queue_head_t *ks_op_ack_q(struct oplock_info *op)
{
	return KS_AT(op, oplock_info, oplock_q, wait_queue_head_t);
}

static inline wait_queue_head_t *ks_op_brk_q(struct oplock_info *op)
{
	return KS_AT(op, oplock_info, oplock_brk, wait_queue_head_t);
}

static inline struct oplock_info *ks_op_of_entry(struct list_head *node)
{
	return (struct oplock_info *)((char *)node - XLOCK_BTF_oplock_info_op_entry);
}

static inline __le32 *ks_lease_state(struct lease *l)
{
	return KS_AT(l, lease, state, __le32);
}

static inline const u8 *ks_lease_key(struct lease *l)
{
	return (const u8 *)KS_AT(l, lease, lease_key, u8);
}

static inline struct rw_semaphore *ks_ci_lock(struct ksmbd_inode *ci)
{
	return KS_AT(ci, ksmbd_inode, m_lock, struct rw_semaphore);
}

static inline struct list_head *ks_ci_ops(struct ksmbd_inode *ci)
{
	return KS_AT(ci, ksmbd_inode, m_op_list, struct list_head);
}

static inline struct list_head *ks_ci_fps(struct ksmbd_inode *ci)
{
	return KS_AT(ci, ksmbd_inode, m_fp_list, struct list_head);
}

static inline struct ksmbd_file *ks_fp_of_node(struct list_head *node)
{
	return (struct ksmbd_file *)((char *)node - XLOCK_BTF_ksmbd_file_node);
}

/* An open of the file's attributes only, or of a named stream: no data access. */
static inline bool ks_fp_data_open(struct ksmbd_file *fp)
{
	char *stream = (char *)KS_AT(fp, ksmbd_file, stream, u8) + XLOCK_BTF_stream_name;

	return !*KS_AT(fp, ksmbd_file, attrib_only, bool) && !*(char **)stream;
}

static inline const u8 *ks_conn_guid(struct ksmbd_conn *conn)
{
	return (const u8 *)KS_AT(conn, ksmbd_conn, clientguid, u8);
}

static inline const struct sockaddr *ks_conn_addr(struct ksmbd_conn *conn)
{
	return (const struct sockaddr *)KS_AT(conn, ksmbd_conn, peer_addr, u8);
}

static inline bool ks_conn_releasing(struct ksmbd_conn *conn)
{
	return READ_ONCE(*KS_AT(conn, ksmbd_conn, status, int)) == XLOCK_BTF_KSMBD_SESS_RELEASING;
}

static inline __le32 *ks_lctx_req_state(struct lease_ctx_info *lctx)
{
	return KS_AT(lctx, lease_ctx_info, req_state, __le32);
}

/* The lease state an opinfo holds: its lease's, or its oplock level's. */
static inline u8 ks_op_lease_state(struct oplock_info *op)
{
	if (!ks_op_is_lease(op))
		return xlock_rules_oplock_state(READ_ONCE(*ks_op_level(op)));
	return le32_to_cpu(READ_ONCE(*ks_lease_state(ks_op_lease(op)))) & XLOCK_LEASE_ALL;
}

#endif
