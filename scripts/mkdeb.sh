#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the Debian packages xlock and xlock-dkms (debian/) from this tree:
# the tracked files (a git checkout) or the whole tree (an unpacked
# tarball) are copied to OUTDIR/xlock-VERSION, given a changelog entry for
# VERSION, built with dpkg-buildpackage and checked with lintian, which
# must report no error and no warning (debian/*.lintian-overrides explain
# what is overridden).
#
# usage: mkdeb.sh VERSION OUTDIR
set -eu
VERSION=$1
OUT=$2
TOP=$(cd "$(dirname "$0")/.." && pwd)
SRC=$OUT/xlock-$VERSION

rm -rf "$OUT"
mkdir -p "$SRC"
OUT=$(cd "$OUT" && pwd)
SRC=$OUT/xlock-$VERSION
if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$TOP" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 tar -cf - --no-recursion) | tar -xf - -C "$SRC"
	commit="git commit $(git -C "$TOP" rev-parse --short=12 HEAD)"
	[ -z "$(git -C "$TOP" status --porcelain --untracked-files=no)" ] ||
		commit="$commit with local changes"
	when=$(git -C "$TOP" log -1 --format=%ct)
else
	(cd "$TOP" && tar -cf - --exclude=./build .) | tar -xf - -C "$SRC"
	commit="a source tree without git history"
	when=$(date +%s)
fi

# shellcheck disable=SC1091
dist=$(. /etc/os-release && echo "${VERSION_CODENAME:-unstable}")
name=$(sed -n 's/^Maintainer: //p' "$SRC/debian/control")
cat >"$SRC/debian/changelog" <<EOF
xlock ($VERSION) $dist; urgency=medium

  * Built by make deb from $commit.

 -- $name  $(date -R -u -d "@$when")
EOF

cd "$SRC"
SOURCE_DATE_EPOCH=$when dpkg-buildpackage -b -us -uc >"$OUT/build.log" 2>&1 || {
	tail -n 40 "$OUT/build.log" >&2
	echo "mkdeb: dpkg-buildpackage failed (log: $OUT/build.log)" >&2
	exit 1
}
cd "$OUT"
ls -1 ./*.deb
lintian --fail-on error,warning --display-info ./*.changes >lintian.log 2>&1 || {
	cat lintian.log >&2
	echo "mkdeb: lintian found problems (log: $OUT/lintian.log)" >&2
	exit 1
}
cat lintian.log
echo "mkdeb: lintian clean (errors, warnings; info above)"
