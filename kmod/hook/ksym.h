/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Symbol lookup (kallsyms_lookup_name, found through a kprobe, called
 * through a stub of hook.h) and hooksets attached by symbol name.
 */
#ifndef _XLOCK_KSYM_H
#define _XLOCK_KSYM_H

#include "hook.h"

struct module;

int xlock_ksym_init(void);
void xlock_ksym_exit(void);
unsigned long xlock_ksym_lookup(const char *name);
struct module *xlock_ksym_module_get(unsigned long addr);
int xlock_ksym_attach(struct xlock_hookset *hs, char *why, size_t len);

#endif
