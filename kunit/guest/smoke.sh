# SPDX-License-Identifier: GPL-2.0
# Guest side of `make vm-check`: load flowlane.ko with its self-check of the
# core through the kernel shim, unload it, and require a clean dmesg.
set -eu
ko=${1:-flowlane.ko}
dmesg -C
insmod "$ko" selfcheck=1
grep -q 'flowlane: self-check passed' <(dmesg) || { dmesg | tail -20; exit 1; }
dmesg | grep -E 'flowlane: self-check:' || true
lsmod | grep -q '^flowlane ' && echo "flowlane.ko loaded"
rmmod flowlane
lsmod | grep -q '^flowlane ' && { echo "flowlane.ko still loaded"; exit 1; }
echo "flowlane.ko unloaded"
dmesg > /tmp/smoke.dmesg
harness/vm/check-dmesg /tmp/smoke.dmesg "module smoke test"
