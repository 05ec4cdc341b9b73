#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Kernel sources are checkpatch.pl (--strict) and sparse clean. TAP output.
cd "$(dirname "$0")/../.." || exit 1
echo 1..2
if out=$(make -s style 2>&1); then
	echo "ok 1 - checkpatch.pl --strict clean"
else
	echo "$out" | grep -E '^(kmod|include)/' | sed 's/^/# /'
	echo "not ok 1 - checkpatch.pl --strict clean"
fi
out=$(make -s sparse 2>&1)
rc=$?
warn=$(echo "$out" | grep -E '(kmod|include)/.*: (warning|error):')
if [ $rc = 0 ] && [ -z "$warn" ]; then
	echo "ok 2 - sparse (C=2) clean"
else
	echo "$warn" | sed 's/^/# /'
	echo "not ok 2 - sparse (C=2) clean"
fi
