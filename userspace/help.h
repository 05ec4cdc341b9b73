/* SPDX-License-Identifier: GPL-2.0 */
/* xlockctl's --help and "help CMD" texts. */
#ifndef XLOCK_HELP_H
#define XLOCK_HELP_H

#include <stdbool.h>
#include <stdio.h>

/* Print the help for command @topic ("" for all); false if there is no such command. */
bool help_print(FILE *f, const char *topic);

#endif
