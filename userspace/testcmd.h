/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlockctl's test commands (testcmd.c): entries put into the table by
 * hand, for the selftests (the module's test_api=1).
 */
#ifndef XLOCKCTL_TESTCMD_H
#define XLOCKCTL_TESTCMD_H

int cmd_test_add(int argc, char **argv);
int cmd_test_del(int argc, char **argv);

#endif
