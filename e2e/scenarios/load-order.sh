# SPDX-License-Identifier: GPL-2.0
# xlock loads and unloads cleanly before and after lockd, nfsd and ksmbd in
# every order. X = xlock, N = the NFS stack (nfsd + lockd), S = ksmbd. Each
# of the 6 load orders is undone once in reverse and once in the next
# permutation's order, so every load order and every unload order runs;
# the "full" option runs all 36 pairs. Edges follow their module: active
# while it is loaded, absent once it is gone.
env_down

load() {
	case $1 in
	X) xlock_load || fail "insmod xlock" ;;
	N) modprobe nfsd || fail "modprobe nfsd" ;;
	S) modprobe ksmbd || fail "modprobe ksmbd" ;;
	esac
}

unload() {
	case $1 in
	X) xlock_unload || fail "rmmod xlock" ;;
	N) modprobe -r nfsd lockd || fail "modprobe -r nfsd lockd" ;;
	S) modprobe -r ksmbd || fail "modprobe -r ksmbd" ;;
	esac
}

expect() { # edge state
	mod_loaded xlock || return 0
	got=$(xlock_edge_state "$1")
	[ "$got" = "$2" ] || fail "order $order/$uorder: edge $1 is '$got', expected $2"
}

check_edges() { # which of N S are loaded
	case $1 in *N*) expect lockd active; expect nfsd active ;;
	   *) expect lockd absent; expect nfsd absent ;; esac
	case $1 in *S*) expect ksmbd active ;; *) expect ksmbd absent ;; esac
}

cycle() { # load order, unload order
	order=$1
	uorder=$2
	loaded=
	for m in $(echo $order | sed 's/./& /g'); do
		load $m
		loaded=$loaded$m
		check_edges $loaded
	done
	for m in $(echo $uorder | sed 's/./& /g'); do
		unload $m
		loaded=$(echo $loaded | tr -d $m)
		check_edges $loaded
	done
	n=$((n + 1))
}

perms="XNS XSN NXS NSX SXN SNX"
n=0
set -- $perms
for order in $perms; do
	if has_opt full; then
		for uorder in $perms; do
			cycle $order $uorder
		done
		continue
	fi
	shift
	cycle $order "$(echo $order | rev)"
	cycle $order "${1:-XNS}"
done
log "$n load/unload orders clean"
