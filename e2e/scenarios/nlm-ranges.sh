# SPDX-License-Identifier: GPL-2.0
# An NLM unlock reconciles the table with the VFS only over its range and
# a byte each side (all the owner's locks it can have changed), not the
# whole file: splits, a read lock inside a write lock, unlocks that end on
# a piece's edge, a lock joining pieces, to EOF. After each step the
# table's locks on the file are exactly what /proc/locks shows, another
# owner's 50 locks elsewhere on the file included.
. "$XLOCK_DIR/e2e/guest/xproto.sh"
xsetup
f=$(fresh ranges)
# The file's id in /proc/locks (the export's device, not the NFS client's).
set -- $(stat -c '%d %i' "$EXPORT/$f")
id=$(printf '%02x:%02x:%s' $((($1 >> 8) & 0xfff)) $((($1 & 0xff) | (($1 >> 12) & 0xfff00))) "$2")

/usr/bin/python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
for i in range(50):
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 1000 + 2 * i)
print("held", flush=True)
sys.stdin.read()' "$NFS_MNT/$f" </dev/zero >/tmp/ranges-other.out 2>&1 &
# /dev/zero never ends: the holder keeps its locks until it is killed.
BG_PIDS="$BG_PIDS $!"
wait_for 60 grep -q held /tmp/ranges-other.out || fail "other owner: $(cat /tmp/ranges-other.out)"

/usr/bin/python3 -c '
import fcntl, json, os, subprocess, sys
nfs, path, xlockctl, fid = sys.argv[1:5]
fd = os.open(nfs, os.O_RDWR)

def table():
    out = subprocess.check_output([xlockctl, "--json", "locks", "--path", path])
    return sorted(("WRITE" if x["mode"] == "excl" else "READ", str(x["start"]),
                   "EOF" if x["to_eof"] else str(x["end"]))
                  for x in json.loads(out)["entries"] if x["kind"] == "lock")

def vfs():
    out = []
    for line in open("/proc/locks"):
        p = line.split()
        if p[1] == "POSIX" and p[5] == fid:
            out.append((p[3], p[6], p[7]))
    return sorted(out)

EX, SH, UN = fcntl.LOCK_EX | fcntl.LOCK_NB, fcntl.LOCK_SH | fcntl.LOCK_NB, fcntl.LOCK_UN
steps = [
    ("write lock 0-99", EX, 100, 0),
    ("unlock 40-59 (split)", UN, 20, 40),
    ("read lock 10-19 inside the write lock", SH, 10, 10),
    ("unlock 39-60 (each end on a piece)", UN, 22, 39),
    ("write lock 30-69 (joining)", EX, 40, 30),
    ("write lock 2000-EOF", EX, 0, 2000),
    ("unlock 3000-EOF", UN, 0, 3000),
    ("unlock 5-5", UN, 1, 5),
    ("unlock 0-EOF", UN, 0, 0),
]
bad = 0
for name, op, length, start in steps:
    try:
        fcntl.lockf(fd, op, length, start)
    except OSError as e:
        print("FAIL %s: %s" % (name, e.strerror))
        bad += 1
        continue
    t, v = table(), vfs()
    ok = t == v and sum(1 for x in t if int(x[1]) >= 1000 and x[2] != "EOF") >= 50
    print("%s %s: table %d, vfs %d" % ("ok" if ok else "FAIL", name, len(t), len(v)))
    if not ok:
        bad += 1
        print("  only in the table:", sorted(set(t) - set(v))[:6])
        print("  only in the VFS:", sorted(set(v) - set(t))[:6])
sys.exit(1 if bad else 0)
' "$NFS_MNT/$f" "$EXPORT/$f" "$XLOCKCTL" "$id" >/tmp/ranges.out 2>&1
rc=$?
cat /tmp/ranges.out
xkill
[ $rc = 0 ] || fail "table and VFS differ after an NLM unlock: $(grep -c FAIL /tmp/ranges.out) steps"
log "9 steps, the table matched /proc/locks after each"
