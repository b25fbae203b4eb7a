#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Second stage of the flowlane test guest, run as PID 1 inside the overlay
# root: a minimal system (lo up, a hostname),
# then the test script with its output, exit status and dmesg written to the
# results share, then power off. Placeholders are filled in by run-guest.
R=/flowlane-results
# proc, sys, dev, /tmp, /run and debugfs were mounted by the first stage.
mkdir -p /run/netns /run/lock /dev/pts /dev/shm
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /dev/shm
ln -sf /proc/self/mounts /etc/mtab 2>/dev/null
echo 1 > /proc/sys/kernel/sysrq
hostname flowlane-guest
ip link set lo up
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8 FLOWLANE_GUEST=1
echo "flowlane-vm: guest $(uname -r) up after $(cut -d' ' -f1 /proc/uptime) s" > $R/boot
cd @WORKDIR@ || echo "flowlane-vm: no work directory @WORKDIR@" >> $R/output
# The modules `make module` built for this kernel (build/module/<release>);
# the copies at the top of the checkout are the default guest kernel's.
mods=@WORKDIR@/build/module/@KVER@
[ -f "$mods/flowlane.ko" ] && export FLOWLANE_KO=$mods/flowlane.ko FTNIC_KO=$mods/ftnic.ko
bash $R/script.sh @ARGS@ >> $R/output 2>&1
echo $? > $R/status.tmp
dmesg > $R/dmesg
sync
mv $R/status.tmp $R/status
sync
echo o > /proc/sysrq-trigger
sleep 10
