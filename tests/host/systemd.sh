#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make install" into a scratch root, then systemd's own checks of the
# units: xlockd.service, and nfs-server and ksmbd with our drop-ins (their
# units copied from this machine when it has them). TAP output.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - # SKIP $*"; }

echo "1..5"
if make -s -C "$TOP" install DESTDIR="$R" >"$R.log" 2>&1; then
	ok "make install DESTDIR=..."
else
	notok "make install: $(tail -n 3 "$R.log")"
fi
rm -f "$R.log"
# The package's conffiles (debian/ marks what is under /etc).
if [ -f "$R/etc/default/xlockd" ] && [ -f "$R/etc/xlock/xlockd.conf" ]; then
	ok "make install puts /etc/default/xlockd and /etc/xlock/xlockd.conf"
else
	notok "make install: /etc/default/xlockd or /etc/xlock/xlockd.conf missing"
fi
U=$R/usr/lib/systemd/system
mkdir -p "$R/sbin" "$R/bin"
cp /bin/kill "$R/bin/" 2>/dev/null
cp /sbin/modprobe "$R/sbin/" 2>/dev/null
if ! command -v systemd-analyze >/dev/null; then
	skip "no systemd-analyze"; skip "no systemd-analyze"; skip "no systemd-analyze"
	exit 0
fi
out=$(systemd-analyze verify --man=no --root="$R" "$U/xlockd.service" 2>&1)
[ -z "$out" ] && ok "xlockd.service verifies" || notok "xlockd.service: $out"
for u in nfs-server ksmbd; do
	if [ ! -e "/lib/systemd/system/$u.service" ]; then
		skip "$u.service not installed here"
		continue
	fi
	cp "/lib/systemd/system/$u.service" "$U/"
	out=$(systemd-analyze verify --man=no --root="$R" "$U/$u.service" 2>&1 |
		grep -v "is not executable\|Unit .* not found\|Failed to prepare\|Failed to create")
	if [ -z "$out" ] && grep -q "^After=xlockd.service" "$U/$u.service.d/xlock.conf"; then
		ok "$u.service with the xlock drop-in verifies, ordered after xlockd"
	else
		notok "$u.service: $out"
	fi
done
