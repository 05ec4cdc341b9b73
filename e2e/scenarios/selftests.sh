# SPDX-License-Identifier: GPL-2.0
# The netlink selftests (selftests/xlock_nl_test, kselftest harness) against
# a module loaded with test_api=1; the normal module is restored afterwards.
T="$XLOCK_DIR/build/selftests/xlock_nl_test"
[ -x "$T" ] || fail "$T not built (make selftests)"
env_up
xlock_unload || fail "rmmod xlock"
xlock_load test_api=1 || fail "insmod xlock test_api=1"
"$T"
rc=$?
xlock_unload || fail "rmmod xlock after the selftests"
xlock_load || fail "insmod xlock"
[ $rc = 0 ] || fail "xlock_nl_test exited with $rc"
