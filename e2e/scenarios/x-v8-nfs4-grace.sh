# SPDX-License-Identifier: GPL-2.0
# V8: one grace window. xlock's grace period (here started by graceset.py
# with one entry nobody reclaims, as xlockd does after a restart) holds
# lockd and nfsd in grace through the kernel's grace manager; nfsd, though,
# ends its own NFSv4 grace on its own clock and then tells its client
# tracker that grace is done (clients that have not reclaimed yet can no
# longer). With xlock nfsd restarted meanwhile stays in NFSv4 grace
# (/proc/fs/nfsd/v4_end_grace N) past its own 10 s until xlock's grace
# ends, then leaves it at once; new NFSv4 OPENs get NFS4ERR_GRACE until
# then. Stock: there is no grace but nfsd's, which ends after its 10 s.
# Restarts nfsd: run it after the scenarios that need a settled server.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup
GRACESET="/usr/bin/python3 $XLOCK_DIR/e2e/tools/graceset.py"

ended() { cat /proc/fs/nfsd/v4_end_grace; }
# Wait until nfsd's NFSv4 grace is over or $1 s passed (by the clock: a
# loaded guest runs a polling loop slowly).
wait_ended() {
	_t=$(now)
	while [ "$(ended)" != Y ] && [ "$(since "$_t" | cut -d. -f1)" -lt "$1" ]; do
		sleep 1
	done
}
# First line of an NFSv4 OPEN (for reading, no delegation) of file $1.
nfs4_open() { $NFS4OP "$1" open:r:none:nodeleg close 2>&1 | head -n 1; }

if [ "$MODE" = xlock ]; then
	f=$(fresh unreclaimed)
	$GRACESET add "$EXPORT/$f" v8-gone nlm:x:0:9:1 >/tmp/gs.out 2>&1 &&
		$GRACESET start 300 >>/tmp/gs.out 2>&1 || fail "reclaim set: $(cat /tmp/gs.out)"
fi
# nfsd restarts: a new NFSv4 grace of 10 s on its own clock.
rpc.nfsd 0
rpc.nfsd --grace-time 10 --lease-time 10 4 || fail "nfsd restart"
cell "nfsd-in-grace-after-restart" N N "$(ended)"
# Past nfsd's own time (10 s, twice that if a client reclaimed meanwhile).
wait_ended 30
cell "nfsd-grace-past-its-own-time" N Y "$(ended)"
g=$(fresh new-open)
cell "nfs4-new-open-in-unified-grace" "open NFS4ERR_GRACE" "open ok deleg=none" "$(nfs4_open "$g")"
if [ "$MODE" = xlock ]; then
	"$XLOCKCTL" grace end >/dev/null || fail "xlockctl grace end"
	wait_ended 20
fi
cell "nfsd-grace-over-after-unified-end" Y Y "$(ended)"
cell "nfs4-open-after-unified-grace" "open ok deleg=none" "open ok deleg=none" "$(nfs4_open "$g")"
echo Y >/proc/fs/nfsd/v4_end_grace 2>/dev/null
xdone
