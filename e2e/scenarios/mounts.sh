# SPDX-License-Identifier: GPL-2.0
# Both servers come up on one ext4 export and both loopback mounts work:
# a file written through each mount is read back through the other.
XLOCK_OPTS="${XLOCK_OPTS},noxlock"
env_up
log "both mounts ready"
echo "from nfs" >"$NFS_MNT/via-nfs" || fail "write via NFS"
echo "from smb" >"$SMB_MNT/via-smb" || fail "write via SMB"
sync
[ "$(cat "$SMB_MNT/via-nfs")" = "from nfs" ] || fail "SMB does not see the NFS file"
[ "$(cat "$NFS_MNT/via-smb")" = "from smb" ] || fail "NFS does not see the SMB file"
grep -q " $NFS_MNT nfs4\{0,1\} .*vers=$NFS_VERS" /proc/mounts || fail "NFS mount is not v$NFS_VERS"
grep " $NFS_MNT nfs " /proc/mounts | grep -q nolock && fail "NFS mount has nolock"
rm -f "$NFS_MNT/via-nfs" "$NFS_MNT/via-smb"
