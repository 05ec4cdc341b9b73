#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug-kernel lane's kernel: Debian's linux-source-6.12 with
# Debian's config, trimmed to the modules the guest loads, plus lockdep,
# KASAN, kmemleak, debug objects and list debugging. The build is cached
# outside the repo ($XLOCK_DEBUG_CACHE, default /var/cache/xlock-debug) and
# reused; the kernel is installed as /boot/vmlinuz-$DKVER and
# /lib/modules/$DKVER so the guest (which boots the host root) finds it.
#
# usage: debug-kernel.sh          build (if needed) and install; print DKVER
#        debug-kernel.sh --kver   print DKVER only
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
SELF=$TOP/scripts/debug-kernel.sh
BASE=$("$TOP/e2e/kver.sh")
CACHE=${XLOCK_DEBUG_CACHE:-/var/cache/xlock-debug}
SRC=$CACHE/linux-source-6.12
TARBALL=/usr/src/linux-source-6.12.tar.xz
# "6.12.117+deb12-amd64" -> "6.12.117-xlockdbg"
DKVER=${BASE%%+*}-xlockdbg

if [ "${1:-}" = --kver ]; then
	echo "$DKVER"
	exit 0
fi

# What the guest loads (e2e/mkinitramfs.sh, e2e/guest/lib.sh) and its deps.
MODS="9p 9pnet 9pnet_virtio netfs overlay ext4 jbd2 mbcache crc16 loop veth
nfsd lockd grace sunrpc auth_rpcgss nfs_acl nfs nfsv3 nfsv4 rpcsec_gss_krb5
ksmbd cifs cifs_arc4 cifs_md4 nls_ucs2_utils nls_utf8 dns_resolver
virtio_net net_failover failover virtio_blk virtio-rng libcrc32c
crc32c_generic crc32c-intel crc32_generic crc32-pclmul"

stamp=$CACHE/built-$DKVER
if [ -f "$stamp" ] && [ -f "/boot/vmlinuz-$DKVER" ] &&
   [ -d "/lib/modules/$DKVER/kernel" ]; then
	echo "$DKVER"
	exit 0
fi

# What a kernel build needs beyond scripts/deps.sh.
need=
for p in flex bison bc libelf-dev libssl-dev dwarves; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need="$need $p"
done
if [ -n "$need" ]; then
	echo "debug-kernel: installing$need" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >/dev/null
fi
[ -r "$TARBALL" ] || { echo "debug-kernel: $TARBALL missing (scripts/deps.sh)" >&2; exit 1; }
mkdir -p "$CACHE"
if [ ! -f "$SRC/Makefile" ]; then
	echo "debug-kernel: extracting $TARBALL to $CACHE" >&2
	tar -C "$CACHE" -xJf "$TARBALL"
fi

cd "$SRC"
if [ ! -f .config-xlock ] || [ "$SELF" -nt .config-xlock ]; then
	cp "/boot/config-$BASE" .config
	# localmodconfig keeps only the modules named here (as if loaded).
	lsmod=$CACHE/lsmod
	{
		echo "Module Size Used by"
		for m in $MODS; do echo "$(echo "$m" | tr - _) 1 0"; done
	} >"$lsmod"
	yes '' | make LSMOD="$lsmod" localmodconfig >"$CACHE/config.log" 2>&1 || {
		tail -n 20 "$CACHE/config.log" >&2
		exit 1
	}
	# Crypto the SMB servers and clients ask for by name at run time.
	grep '^CONFIG_CRYPTO_.*=m' "/boot/config-$BASE" | sed 's/=m$//' |
	while read -r c; do
		./scripts/config --module "$c"
	done
	./scripts/config \
		--set-str LOCALVERSION "" --disable LOCALVERSION_AUTO \
		--set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
		--disable MODULE_SIG --disable MODULE_SIG_ALL --set-str MODULE_SIG_KEY "" \
		--disable MODULE_COMPRESS --disable MODULE_SIG_ALL \
		--enable PROVE_LOCKING --enable DEBUG_LOCKDEP --enable DEBUG_ATOMIC_SLEEP \
		--enable KASAN --enable KASAN_GENERIC --enable KASAN_INLINE \
		--enable DEBUG_KMEMLEAK --disable DEBUG_KMEMLEAK_DEFAULT_OFF \
		--disable DEBUG_KMEMLEAK_AUTO_SCAN \
		--set-val DEBUG_KMEMLEAK_MEM_POOL_SIZE 64000 \
		--enable DEBUG_OBJECTS --enable DEBUG_OBJECTS_FREE \
		--enable DEBUG_OBJECTS_TIMERS --enable DEBUG_OBJECTS_WORK \
		--enable DEBUG_OBJECTS_RCU_HEAD --enable DEBUG_OBJECTS_PERCPU_COUNTER \
		--enable DEBUG_LIST --enable DEBUG_INFO_BTF --enable DEBUG_INFO_BTF_MODULES \
		--disable DEBUG_INFO_DWARF5 --enable DEBUG_INFO_DWARF4 \
		--disable DRM --disable SOUND --disable WLAN --disable MEDIA_SUPPORT \
		--disable INFINIBAND --disable BT --disable STAGING
	sed -i 's/^EXTRAVERSION =.*/EXTRAVERSION = -xlockdbg/' Makefile
	make olddefconfig >/dev/null
	cp .config .config-xlock
fi
# The release string must be the one the install paths use.
rel=$(make -s kernelrelease)
[ "$rel" = "$DKVER" ] || { echo "debug-kernel: release $rel, expected $DKVER" >&2; exit 1; }

echo "debug-kernel: building $DKVER in $SRC (-j$(nproc))" >&2
make -j"$(nproc)" bzImage modules >"$CACHE/build.log" 2>&1 || {
	tail -n 30 "$CACHE/build.log" >&2
	exit 1
}
make INSTALL_MOD_STRIP=1 modules_install >>"$CACHE/build.log" 2>&1
cp arch/x86/boot/bzImage "/boot/vmlinuz-$DKVER"
cp System.map "/boot/System.map-$DKVER"
cp .config "/boot/config-$DKVER"
touch "$stamp"
echo "$DKVER"
