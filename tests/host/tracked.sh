#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# No source hides behind .gitignore: a pattern meant for build products
# (*.d for dependency files once swallowed systemd's *.service.d drop-in
# folders) makes a tree that works here and fails in a clean clone. Every
# ignored path must be a build product. TAP output.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
echo "1..2"
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "ok 1 - # SKIP not a git checkout"
	echo "ok 2 - # SKIP not a git checkout"
	exit 0
fi
ign=$(git ls-files --others --ignored --exclude-standard --directory)

# Folders: only the build output folders may be ignored whole.
dirs=$(echo "$ign" | grep '/$' | grep -vx 'build/\|kmod/generated/\|\.tmp_versions/')
if [ -z "$dirs" ]; then
	echo "ok 1 - no source folder is ignored"
else
	echo "not ok 1 - ignored folders (tracked nowhere): $(echo "$dirs" | paste -sd' ')"
fi

# Files: nothing that looks like a source, a script or a config, but for
# the kselftest header that the build extracts from linux-source.
src=$(echo "$ign" | grep -v '/$' |
	grep -E '\.(c|h|S|sh|py|conf|service|default|md|in|txt|json|lds)$' |
	grep -v '^selftests/kselftest.*\.h$\|\.mod\.c$')
if [ -z "$src" ]; then
	echo "ok 2 - no source file is ignored"
else
	echo "not ok 2 - ignored source files: $(echo "$src" | paste -sd' ')"
fi
