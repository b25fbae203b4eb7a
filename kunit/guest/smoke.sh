# SPDX-License-Identifier: GPL-2.0
# Guest side of `make vm-check`: load flowlane.ko with its self-check of the
# core through the kernel shim, unload it, and require a clean dmesg.
set -eu
. kunit/guest/flowlane-env.sh
dmesg -C
flowlane_load selfcheck=1
dmesg | grep -q 'flowlane: self-check passed' || { dmesg | tail -20; exit 1; }
dmesg | grep -E 'flowlane: self-check:' || true
rmmod flowlane
if lsmod | grep -q '^flowlane '; then
	echo "flowlane.ko still loaded"
	exit 1
fi
echo "flowlane.ko unloaded"
dmesg > /tmp/smoke.dmesg
testing/vm/check-dmesg /tmp/smoke.dmesg "module smoke test"
