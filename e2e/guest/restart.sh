# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the restart scenarios: clients in their own network (and
# mount and UTS) namespace, so that their state survives when the server
# side restarts (services stopped, xlock reloaded, xlockd restarted).
#
# The client namespace "cli" is 10.99.0.2, the server 10.99.0.1 (veth). It
# runs its own rpcbind and rpc.statd (the NFS client's lockd needs a local
# statd), on a private /run and /var/lib/nfs, and mounts the export over NFSv3
# with locking at /mnt/cli. incli runs a command there.

SRV=10.99.0.1
CLI=10.99.0.2
CLI_MNT=/mnt/cli
STATE=/tmp/xlockd-restart

# nfs_server_up writes /etc/exports for the loopback client only.
cli_export() {
	grep -q "$CLI" /etc/exports ||
		echo "$EXPORT $CLI($EXPORT_OPTS)" >>/etc/exports
	exportfs -ra
}

cli_up() {
	# One client namespace per boot: a later scenario reuses it.
	if [ -s /tmp/cli.pid ] && kill -0 "$(cat /tmp/cli.pid)" 2>/dev/null; then
		CLI_PID=$(cat /tmp/cli.pid)
		cli_export
		return
	fi
	ip link add vsrv type veth peer name vcli || return 1
	ip netns add cli || return 1
	ip link set vcli netns cli
	ip addr add "$SRV/24" dev vsrv
	ip link set vsrv up
	ip netns exec cli sh -c "ip link set lo up && ip addr add $CLI/24 dev vcli && ip link set vcli up" ||
		return 1
	cli_export || return 1
	# sm-notify and statd match hosts by name: give both addresses one.
	printf '%s nfsserver\n%s nfscli\n' "$SRV" "$CLI" >>/etc/hosts
	rm -f /tmp/cli-ready
	# ip netns exec, unshare and sh all exec: $! is the namespaces' holder.
	ip netns exec cli unshare --mount --uts --propagation private sh -c "
		hostname nfscli
		mount -t tmpfs tmpfs /run && mkdir -p /run/rpcbind
		mount -t tmpfs tmpfs /var/lib/nfs && mkdir -p /var/lib/nfs/sm /var/lib/nfs/sm.bak
		rpcbind -w && rpc.statd --no-notify || exit 1
		mkdir -p $CLI_MNT
		mount -t nfs -o vers=3,proto=tcp,hard,timeo=30 $SRV:$EXPORT $CLI_MNT || exit 1
		echo ready >/tmp/cli-ready
		exec sleep 100000" >/tmp/cli.log 2>&1 &
	CLI_PID=$!
	wait_for 60 test -e /tmp/cli-ready || { cat /tmp/cli.log; return 1; }
	echo "$CLI_PID" >/tmp/cli.pid
}

incli() {
	nsenter -t "$CLI_PID" -n -m -u "$@"
}

# Stop the server side as a crash would; $1: how xlockd goes (TERM or KILL).
# A crash leaves statd's list of clients on disk for sm-notify; stopping
# nfsd cleanly while lockd keeps running (for the client namespace) makes
# lockd unmonitor them. Keep the list, and restart statd from it.
server_down() {
	rm -rf /tmp/sm-keep
	cp -a /var/lib/nfs/sm /tmp/sm-keep
	smb_server_down
	rpc.nfsd 0
	kill "$(cat /run/rpc.statd.pid)" && rm -f /run/rpc.statd.pid
	cp -a /tmp/sm-keep/. /var/lib/nfs/sm/
	xlockd_stop "$1"
	xlock_unload || return 1
}

# Bring it back: xlock, xlockd (grace $1 seconds), nfsd, ksmbd; wait for
# the grace period unless $2 is "nograce"; tell the NLM clients.
server_up() {
	xlock_load || { echo "insmod failed"; return 1; }
	xlockd_start --state-dir "$STATE" --grace "$1" || { echo "xlockd failed"; return 1; }
	if [ "${2:-}" != nograce ]; then
		wait_for 60 sh -c "'$XLOCKCTL' grace | grep -q 'grace: running'" ||
			{ echo "no grace period"; return 1; }
	fi
	nfs_server_up || { echo "nfsd failed"; return 1; }
	cli_export || { echo "exportfs failed"; return 1; }
	smb_server_up || { echo "ksmbd failed"; return 1; }
	# In the foreground: done once every client answered.
	out=$(timeout 30 sm-notify -d -f -v nfsserver 2>&1) || { echo "sm-notify failed: $out"; return 1; }
	# nfsd learns the client's export domain on its first request.
	incli ls "$CLI_MNT" >/dev/null
}

# grace_field NAME: a field of "xlockctl --json grace".
grace_field() {
	"$XLOCKCTL" --json grace | python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"
}
