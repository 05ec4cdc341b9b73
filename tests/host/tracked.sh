#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# No source hides behind .gitignore: a pattern meant for build products
# (*.d for dependency files once swallowed systemd's *.service.d drop-in
# folders) makes a tree that works here and fails in a clean clone. Every
# ignored path must be a build product, and no build product is committed
# (Python bytecode once was: stale .pyc beside changed sources). TAP output.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
echo "1..4"
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "ok 1 - # SKIP not a git checkout"
	echo "ok 2 - # SKIP not a git checkout"
	echo "ok 3 - # SKIP not a git checkout"
	echo "ok 4 - # SKIP not a git checkout"
	exit 0
fi
ign=$(git ls-files --others --ignored --exclude-standard --directory)

# Folders: only the build output folders may be ignored whole.
dirs=$(echo "$ign" | grep '/$' | grep -vx 'build/\|kmod/generated/\|\.tmp_versions/' | grep -v '\(^\|/\)__pycache__/$')
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

# Committed files that .gitignore says are build output.
trk=$(git ls-files --cached --ignored --exclude-standard)
if [ -z "$trk" ]; then
	echo "ok 3 - no committed file is ignored"
else
	echo "not ok 3 - committed but ignored (build output?): $(echo "$trk" | paste -sd' ')"
fi

# Committed build output whatever .gitignore says: objects, modules,
# libraries, bytecode, kbuild's intermediate files.
out=$(git ls-files | grep -E '(^|/)__pycache__/|\.(o|ko|a|so|pyc|pyo|mod|mod\.c|cmd|order|symvers)$' || true)
if [ -z "$out" ]; then
	echo "ok 4 - no build output is committed"
else
	echo "not ok 4 - committed build output: $(echo "$out" | paste -sd' ')"
fi
