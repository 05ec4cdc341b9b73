# SPDX-License-Identifier: GPL-2.0
# The netlink selftests (selftests/xlock_nl_test) and the netlink fuzz
# (selftests/xlock_fuzz: XLOCK_FUZZ_N messages from root and as many from an
# unprivileged user), kselftest harness, against a module loaded with
# test_api=1; the normal module is restored afterwards.
T="$XLOCK_DIR/build/selftests/xlock_nl_test"
F="$XLOCK_DIR/build/selftests/xlock_fuzz"
[ -x "$T" ] && [ -x "$F" ] || fail "$T or $F not built (make selftests)"
env_up
xlock_unload || fail "rmmod xlock"
xlock_load test_api=1 || fail "insmod xlock test_api=1"
"$T"
rc=$?
XLOCK_FUZZ_N=${XLOCK_FUZZ_N:-10000} "$F"
frc=$?
xlock_unload || fail "rmmod xlock after the selftests"
xlock_load || fail "insmod xlock"
[ $rc = 0 ] || fail "xlock_nl_test exited with $rc"
[ $frc = 0 ] || fail "xlock_fuzz exited with $frc"
