/* SPDX-License-Identifier: GPL-2.0 */
/* SMB opens of ksmbd wait for an NFSv4 delegation recall (smb_deleg.c). */
#ifndef _XLOCK_SMB_DELEG_H
#define _XLOCK_SMB_DELEG_H

struct module;

int xlock_smb_deleg_attach(struct module *ksmbd);
void xlock_smb_deleg_detach(void);

#endif
