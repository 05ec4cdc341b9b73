#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print xlock's version, also a valid Debian version that grows with every
# commit:
#   - $XLOCK_VERSION, if set;
#   - else the VERSION file of a source tree that is not a git checkout (the
#     tree DKMS builds in /usr/src/xlock-<version>);
#   - else from git: the newest tag vX.Y.Z as X.Y.Z, with "+git<N>.<hash>"
#     appended when HEAD is N commits past it; without a tag, 0.1.0 and
#     the number of commits since the first.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BASE=0.1.0

if [ -n "${XLOCK_VERSION:-}" ]; then
	echo "$XLOCK_VERSION"
	exit 0
fi
if ! git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
	if [ -s "$TOP/VERSION" ]; then
		cat "$TOP/VERSION"
	else
		echo "$BASE"
	fi
	exit 0
fi
hash=$(git -C "$TOP" rev-parse --short=8 HEAD)
if d=$(git -C "$TOP" describe --tags --long --match 'v[0-9]*' 2>/dev/null); then
	# vX.Y.Z-N-gHASH
	n=${d%-g*}
	n=${n##*-}
	tag=${d%-*-g*}
	tag=${tag#v}
	if [ "$n" = 0 ]; then
		echo "$tag"
	else
		echo "$tag+git$n.$hash"
	fi
else
	echo "$BASE+git$(git -C "$TOP" rev-list --count HEAD).$hash"
fi
