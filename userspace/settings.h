/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The configuration applied to the module (settings.c).
 */
#ifndef XLOCKD_SETTINGS_H
#define XLOCKD_SETTINGS_H

#include "daemon.h"

/* Apply d->cfg to the module; read the file again and apply it. */
int settings_apply(struct xlockd *d);
void settings_reload(struct xlockd *d);

#endif
