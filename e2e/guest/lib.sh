# SPDX-License-Identifier: GPL-2.0
#
# Helpers for guest scenarios. Sourced by runner.sh and by every scenario.
# The export is an ext4 file system on a loop device in tmpfs, served by knfsd
# (NFSv3 + NLM, and NFSv4) and ksmbd, and mounted back over loopback at
# /mnt/nfs (NFSv3 with locking; NFSv4.2 with the guest option nfs4) and
# /mnt/smb (cifs, SMB 3.0).

EXPORT=/srv/export
# fsid=0: the export is also the NFSv4 pseudo-root (see nfs_server_up).
EXPORT_OPTS=rw,sync,no_root_squash,insecure,no_subtree_check,fsid=0
NFS_MNT=/mnt/nfs
SMB_MNT=/mnt/smb
SMB_USER=xlock
SMB_PASS=xlock-e2e
# The module built for the running kernel: the debug lane's
# (scripts/debug-lane.sh) is under build/ko/<release>.
XLOCK_KO="$XLOCK_DIR/xlock.ko"
[ ! -f "$XLOCK_DIR/build/ko/$(uname -r)/xlock.ko" ] ||
	XLOCK_KO="$XLOCK_DIR/build/ko/$(uname -r)/xlock.ko"
XLOCKCTL="$XLOCK_DIR/userspace/xlockctl"
XLOCKD="$XLOCK_DIR/userspace/xlockd"

log() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }
fail() { log "FAIL: $*"; echo "$*"; exit 1; }
skip() { log "SKIP: $*"; echo "$*"; exit 4; }
has_opt() { case ",${XLOCK_OPTS:-}," in *",$1,"*) return 0 ;; esac; return 1; }
# opt_val NAME DEFAULT: the value of the guest option NAME=VALUE, else DEFAULT.
opt_val() {
	set -- "$1" "$2" "$(echo ",${XLOCK_OPTS:-}," | sed -n "s/.*,$1=\([^,]*\),.*/\1/p")"
	if [ -n "$3" ]; then echo "$3"; else echo "$2"; fi
}

# The NFS version /mnt/nfs is mounted with: 4.2 with the guest option nfs4.
NFS_VERS=3
has_opt nfs4 && NFS_VERS=4.2

# Wait up to $1 seconds (0.2 s steps) for the command in the other arguments.
wait_for() {
	n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

# The guest's clock in ms since boot (the kernel's timers run on it).
uptime_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

mod_loaded() { [ -d "/sys/module/$1" ] && [ "$(cat /sys/module/$1/initstate 2>/dev/null || echo live)" = live ]; }

guest_base_setup() {
	hostname xlock-guest
	ip link set lo up || return 1
	mkdir -p /var/log /var/lib/nfs /run/rpcbind "$EXPORT" "$NFS_MNT" "$SMB_MNT"
	busybox syslogd -O /var/log/messages || return 1
	sysctl -q kernel.hung_task_timeout_secs=60
	# The power-cut test exports a directory of its own disk (a short boot).
	has_opt powercut && return 0
	modprobe loop || return 1
	truncate -s 256M /tmp/export.img
	mkfs.ext4 -q -F /tmp/export.img || return 1
	dev=$(losetup -f --show /tmp/export.img) || return 1
	mount -t ext4 "$dev" "$EXPORT" || return 1
	chmod 0777 "$EXPORT"
}

# --- xlock -----------------------------------------------------------------

# The test module (make test-module): the same module with the test-only
# commands; loaded instead of xlock.ko when test_api=1 is asked for.
XLOCK_TEST_KO="$XLOCK_DIR/build/test-module/xlock.ko"

# xlock.ko uses the kernel's grace manager (grace.ko), as lockd and nfsd do;
# modprobe resolves that for an installed module, insmod needs it first.
xlock_load() {
	ko=$XLOCK_KO
	case " $* " in *" test_api=1 "*) ko=$XLOCK_TEST_KO ;; esac
	mod_loaded xlock && return 0
	modprobe grace || return 1
	insmod "$ko" "$@" || return 1
}

xlock_unload() {
	mod_loaded xlock || return 0
	rmmod xlock
}

# Print the value of one edge from /sys/module/xlock/parameters/edges.
xlock_edge_state() {
	tr ' ' '\n' </sys/module/xlock/parameters/edges | sed -n "s/^$1=//p"
}

# Print one hook's hit counter from /sys/module/xlock/parameters/hits.
xlock_hits() {
	tr ' ' '\n' </sys/module/xlock/parameters/hits | sed -n "s/^$1=//p"
}

# --- xlockd ----------------------------------------------------------------

XLOCKD_LOG=/tmp/xlockd.log

xlock_persist() { "$XLOCKCTL" --json status 2>/dev/null | grep -q '"persistence":true'; }

# Start xlockd in the background with the given options; wait until attached.
xlockd_start() {
	"$XLOCKD" "$@" >>"$XLOCKD_LOG" 2>&1 &
	XLOCKD_PID=$!
	wait_for 30 xlock_persist || { cat "$XLOCKD_LOG"; return 1; }
}

# Stop it (TERM, or the signal given: xlockd_stop KILL) and wait for it to go.
xlockd_stop() {
	[ -n "${XLOCKD_PID:-}" ] || return 0
	kill -"${1:-TERM}" "$XLOCKD_PID" 2>/dev/null
	wait "$XLOCKD_PID" 2>/dev/null
	XLOCKD_PID=
	wait_for 10 sh -c "! '$XLOCKCTL' --json status | grep -q '\"persistence\":true'"
}

# --- NFS server (knfsd + lockd + statd) -------------------------------------

# This namespace's statd (a client namespace may run its own).
statd_running() {
	[ -s /run/rpc.statd.pid ] && kill -0 "$(cat /run/rpc.statd.pid)" 2>/dev/null
}

nfs_server_up() {
	[ -e /proc/fs/nfsd/threads ] && [ "$(cat /proc/fs/nfsd/threads)" -gt 0 ] && return 0
	modprobe lockd || return 1
	# NLM waits for lockd's grace and ours; keep both short in the guest.
	sysctl -q fs.nfs.nlm_grace_period=3 fs.nfs.nlm_timeout=3
	modprobe nfsd || return 1
	mountpoint -q /proc/fs/nfsd || mount -t nfsd nfsd /proc/fs/nfsd || return 1
	pgrep -x rpcbind >/dev/null || rpcbind -w || return 1
	statd_running || rpc.statd --no-notify || return 1
	# nfsd cannot export the guest's / (overlay over 9p), so the export is
	# the NFSv4 pseudo-root: NFSv4 mounts 127.0.0.1:/, NFSv3 mounts it by path.
	echo "$EXPORT 127.0.0.1($EXPORT_OPTS)" >/etc/exports
	exportfs -ra || return 1
	pgrep -x rpc.mountd >/dev/null || rpc.mountd || return 1
	# NFSv4: a 10 s lease (the client renews and expires state on it) and
	# grace; both server-side, the client learns the lease from nfsd.
	rpc.nfsd --grace-time 10 --lease-time 10 4 || return 1
	# No client state to recover in a fresh guest: end both grace periods.
	echo Y >/proc/fs/nfsd/v4_end_grace 2>/dev/null
	echo Y >/proc/fs/lockd/nlm_end_grace 2>/dev/null
	return 0
}

nfs_server_down() {
	if [ -e /proc/fs/nfsd/threads ]; then
		rpc.nfsd 0
		exportfs -ua
	fi
	pkill -x rpc.mountd
	pkill -x rpc.statd
	mountpoint -q /proc/fs/nfsd && umount /proc/fs/nfsd
	wait_for 10 sh -c '! pgrep -x rpc.mountd && ! pgrep -x rpc.statd'
	return 0
}

# --- SMB server (ksmbd) -----------------------------------------------------

# ksmbd's share, user and daemon (the module already loaded).
smb_server_start() {
	mkdir -p /etc/ksmbd
	cat >/etc/ksmbd/ksmbd.conf <<CONF
[global]
	smb2 leases = yes
	server min protocol = SMB2_10
	bind interfaces only = no
[share]
	path = $EXPORT
	read only = no
	oplocks = yes
	force user = root
	force group = root
CONF
	ksmbd.adduser -a -p "$SMB_PASS" "$SMB_USER" >/dev/null 2>&1 ||
		ksmbd.adduser -u -p "$SMB_PASS" "$SMB_USER" >/dev/null || return 1
	ksmbd.mountd
}

smb_server_up() {
	pgrep -x ksmbd.mountd >/dev/null && return 0
	modprobe ksmbd || return 1
	smb_server_start || return 1
	wait_for 10 sh -c 'ss -ltn | grep -q ":445 "'
}

smb_server_down() {
	pgrep -x ksmbd.mountd >/dev/null || return 0
	ksmbd.control --shutdown >/dev/null 2>&1
	wait_for 15 sh -c '! pgrep -x ksmbd.mountd' || pkill -9 -x ksmbd.mountd
	return 0
}

# --- client mounts ----------------------------------------------------------

# nfs_mount_up [VERSION [MOUNTPOINT]]: /mnt/nfs at $NFS_VERS by default.
nfs_mount_up() {
	_v=${1:-$NFS_VERS}
	_m=${2:-$NFS_MNT}
	mountpoint -q "$_m" && return 0
	mkdir -p "$_m"
	case $_v in
	3) mount -t nfs -o vers=3,proto=tcp,hard,timeo=30,retrans=3 \
		"127.0.0.1:$EXPORT" "$_m" ;;
	*) mount -t nfs -o "vers=$_v,proto=tcp,hard,timeo=30,retrans=3" \
		"127.0.0.1:/" "$_m" ;;
	esac
}

smb_mount_up() {
	mountpoint -q "$SMB_MNT" && return 0
	mount -t cifs "//127.0.0.1/share" "$SMB_MNT" \
		-o "username=$SMB_USER,password=$SMB_PASS,vers=3.0,uid=0,gid=0"
}

mounts_down() {
	mountpoint -q "$NFS_MNT" && { umount "$NFS_MNT" || umount -f "$NFS_MNT"; }
	mountpoint -q "$SMB_MNT" && { umount "$SMB_MNT" || umount -f "$SMB_MNT"; }
	# Mounts of a scenario's own (/mnt/nfs4...): they hold the client modules.
	awk '$3 ~ /^(nfs|nfs4|cifs)$/ { print $2 }' /proc/mounts | while read -r m; do
		umount "$m" || umount -f "$m"
	done
	return 0
}

# Everything up: xlock (unless the run says noxlock), both servers, both mounts.
env_up() {
	if ! has_opt noxlock; then
		xlock_load || fail "cannot load xlock.ko"
	fi
	nfs_server_up || fail "NFS server did not start"
	smb_server_up || fail "SMB server did not start"
	nfs_mount_up || fail "NFS mount failed"
	smb_mount_up || fail "SMB mount failed"
}

# Everything down and every module of the stack unloaded (for order tests).
env_down() {
	mounts_down
	smb_server_down
	nfs_server_down
	for m in nfsv4 nfsv3 nfs ksmbd nfsd lockd; do
		mod_loaded "$m" && { modprobe -r "$m" 2>/dev/null || rmmod "$m"; }
	done
	return 0
}
