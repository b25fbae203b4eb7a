# SPDX-License-Identifier: GPL-2.0
# Guest side of `make vm-install`: the Debian packages installed as a user
# installs them, into the guest's root (the runner's overlay) for its kernel.
#
#  1. dpkg -i flowlane-dkms and flowlane: DKMS builds flowlane.ko (and
#     ftnic.ko) for the running kernel from the package's /usr/src tree and
#     installs them to updates/dkms; with PREBUILT, DKMS's archive of the same
#     tree built on the host (make check-deb, dkms mktarball) is where Debian's
#     DKMS postinst looks for one (/usr/share/flowlane-dkms), and DKMS loads it
#     instead of compiling again (under emulation the compile takes most of
#     a quarter of an hour per kernel; make vm-install-build compiles here);
#  2. nft -f of the seed article's ruleset loads flowlane by itself (module
#     aliases, /lib/modprobe.d/flowlane.conf), never the stock
#     nf_flow_table_inet or nft_flow_offload: lsmod before and after;
#  3. a TCP transfer through the router takes flowlane's fastpath (its hits in
#     /proc/net/flowlane), and `flowlane kernel status` shows it;
#  4. the prerm's unload step keeps a module in use; with the ruleset flushed,
#     dpkg -r unloads flowlane and DKMS removes it from every kernel;
#  5. the same ruleset then loads the stock flowtable, which offloads.
# dmesg stays clean throughout.
# usage: install.sh DEB_DIR VERSION [PREBUILT]
set -u
dir=$1 version=$2 prebuilt=${3:-}
kver=$(uname -r)
arch=$(dpkg --print-architecture)
. kunit/guest/install-lib.sh

# modules_state: what lsmod says about the flowtable modules, one line.
modules_state() { echo "lsmod:$(modules)"; }
# dkms_state: DKMS's status lines for flowlane (empty when it has none).
dkms_state() { dkms status -m flowlane 2>/dev/null; }
# stamped LOG: copy stdin to LOG and, indented and stamped with seconds since the start, to the output.
stamped()
{
	local t0 line
	t0=$(date +%s)
	: > "$1"
	while IFS= read -r line; do
		printf '%s\n' "$line" >> "$1"
		printf '    %4d s  %s\n' $(( $(date +%s) - t0 )) "$line"
	done
}

# slim_modules RELEASE: /lib/modules/RELEASE as this test needs it, without the
# rest. DKMS runs depmod for every kernel it installs to, and depmod reads every
# module of the tree: over 9p under TCG, 4000 modules take six minutes per
# kernel, all of it spent on drivers this test never loads. The tree keeps its
# own files (indexes, modules.order, the build link) and, bound read-only from
# the real one, the subsystems nft, conntrack and the flowtables load from
# (net, lib, crypto, arch) and veth; depmod and modprobe then work on it as on
# any tree, and DKMS's updates/dkms lands in it.
# With HEADERS=no the tree leaves out its build link too, so that DKMS sees no
# headers for that kernel and skips it (see the PREBUILT note below).
slim_modules()
{
	local k=$1 headers=$2 full=/lib/modules/$1 orig=/run/modules-orig/$1 d
	mkdir -p "$orig"
	mount --bind "$full" "$orig"
	mount -t tmpfs tmpfs "$full"
	cp -P "$orig"/modules.* "$full"/
	if [ "$headers" = yes ]; then
		for d in build source; do [ -e "$orig/$d" ] && cp -P "$orig/$d" "$full/"; done
	fi
	for d in net lib crypto arch; do
		mkdir -p "$full/kernel/$d"
		mount --bind -o ro "$orig/kernel/$d" "$full/kernel/$d"
	done
	mkdir -p "$full/kernel/drivers/net"
	cp "$orig"/kernel/drivers/net/veth.ko* "$full/kernel/drivers/net/"
}

dmesg -C
echo "guest kernel $kver, flowlane $version"
# The kernels DKMS is to install for: every supported line the host has; with
# PREBUILT only the guest's own. Debian 12's DKMS (3.0.10) loads one kernel's
# build from an archive (dkms ldtarball keeps the first: the same read-only
# locals as its mktarball), and the postinst would compile for any other kernel
# under TCG, a quarter of an hour. Each line's DKMS build and install is
# check-deb's on the host; make vm-install-build compiles for both in here.
all=$(scripts/guest-kver --all)
dkms_kernels=$all
[ -n "$prebuilt" ] && dkms_kernels=$kver
for k in $all; do
	headers=no
	grep -qx "$k" <<< "$dkms_kernels" && headers=yes
	slim_modules "$k" $headers
	echo "/lib/modules/$k: $(find /lib/modules/$k/kernel -name '*.ko*' | wc -l) modules (net, lib, crypto, arch, veth), headers: $headers"
done
modules_state

# --------------------------------------------------------------------- 1
echo "=== dpkg -i"
check "before: DKMS knows no flowlane, no flowlane.ko for $kver" \
	"[ -z \"\$(dkms_state)\" ] && ! modinfo -n flowlane >/dev/null 2>&1"
if [ -n "$prebuilt" ]; then
	mkdir -p /usr/share/flowlane-dkms
	cp "$prebuilt" /usr/share/flowlane-dkms/flowlane-$version.dkms.tar.gz
fi
# man-db's trigger re-indexes every manual page of the root (over 9p, under
# TCG: minutes); the index is not what this test is about.
rm -f /var/lib/man-db/auto-update
start=$(date +%s)
DEBIAN_FRONTEND=noninteractive dpkg -i "$dir/flowlane-dkms_${version}_all.deb" "$dir/flowlane_${version}_$arch.deb" \
	"$dir/libflowlane0_${version}_$arch.deb" 2>&1 | stamped /tmp/dpkg-i.log
rc=${PIPESTATUS[0]}
secs=$(( $(date +%s) - start ))
check "dpkg -i: exit 0 (${secs} s)" "[ $rc -eq 0 ]"
echo "--- dkms status"
dkms_state | sed 's/^/    /'
# The postinst installs for the running kernel and the newest one installed
# whose headers it finds.
for k in $dkms_kernels; do
	check "dkms: flowlane/$version installed for $k, vermagic $k" \
		"dkms_state | grep -q \"^flowlane/$version, $k, [^:]*: installed\" && \
		 modinfo -F vermagic /lib/modules/$k/updates/dkms/flowlane.ko* | grep -q '^$k '"
done
if [ -n "$prebuilt" ]; then
	check "dkms: the postinst loaded the host's DKMS build (dkms ldtarball) instead of compiling" \
		"grep -q 'Loading tarball for flowlane-$version' /tmp/dpkg-i.log && \
		 ! grep -q 'Building initial module for' /tmp/dpkg-i.log"
	for k in $all; do
		[ "$k" = "$kver" ] && continue
		check "dkms: $k without headers in this run: skipped, nothing installed for it" \
			"grep -q 'Module build for kernel $k was skipped' /tmp/dpkg-i.log && ! ls /lib/modules/$k/updates/dkms/flowlane.ko* 2>/dev/null"
	done
else
	check "dkms: the postinst built the module for $kver" "grep -q 'Building initial module for $kver' /tmp/dpkg-i.log"
fi
ko=$(modinfo -n flowlane 2>/dev/null)
check "modinfo: flowlane is /lib/modules/$kver/updates/dkms/flowlane.ko (${ko:-none})" \
	"[ \"$ko\" = /lib/modules/$kver/updates/dkms/flowlane.ko ]"
check "modinfo: version $version, vermagic $kver" \
	"[ \"\$(modinfo -F version flowlane)\" = $version ] && modinfo -F vermagic flowlane | grep -q '^$kver '"
check "modinfo: ftnic.ko beside it" "[ \"\$(modinfo -n ftnic)\" = /lib/modules/$kver/updates/dkms/ftnic.ko ]"
# What nft's requests would load (modprobe --dry-run): flowlane, never the stock modules.
for a in nf-flowtable-2 nf-flowtable-10 nf-flowtable-1 nft-expr-flow_offload; do
	modprobe -n -v "$a" > /tmp/alias.txt 2>&1
	check "modprobe $a would load flowlane.ko, no stock flowtable module" \
		"grep -q 'insmod .*/updates/dkms/flowlane.ko' /tmp/alias.txt && ! grep -Eq 'nf_flow_table|nft_flow_offload' /tmp/alias.txt"
done
check "dpkg -i: nothing loaded yet" "! loaded flowlane"

# --------------------------------------------------------------------- 2
echo "=== autoload"
topology a || fail "topology"
before=$(modules_state)
echo "before nft -f: $before"
article_ruleset art
after=$(modules_state)
echo "after nft -f:  $after"
check "autoload: nft -f loaded flowlane" "loaded flowlane"
check "autoload: not the stock nf_flow_table_inet, nft_flow_offload or nf_flow_table" \
	"! loaded nf_flow_table_inet && ! loaded nft_flow_offload && ! loaded nf_flow_table"
check "autoload: the loaded flowlane is DKMS's" \
	"[ \"\$(cat /sys/module/flowlane/version)\" = $version ] && [ \"\$(cat /sys/module/flowlane/srcversion)\" = \"\$(modinfo -F srcversion flowlane)\" ]"

# --------------------------------------------------------------------- 3
echo "=== traffic"
transfer a 80 2000000 /tmp/install.out
check "fastpath: the flow is offloaded" "eventually 8 offloaded art 80"
wait
hits=$(flowlane_table_hits art)
ip netns exec art sed 's/^/    /' /proc/net/flowlane
check "fastpath: 2 MB forwarded intact" "[ \$(stat -c %s /tmp/install.out) -eq 2000000 ]"
check "fastpath: flowlane's flowtable counted ${hits:-0} hits (> 100)" "[ ${hits:-0} -gt 100 ]"
echo "--- flowlane kernel status"
flowlane kernel status > /tmp/status.txt
rc=$?
sed 's/^/    /' /tmp/status.txt
check "status: /usr/bin/flowlane from the package" "[ \"\$(command -v flowlane)\" = /usr/bin/flowlane ]"
check "status: exit 0, nft runs on flowlane $version" \
	"[ $rc -eq 0 ] && grep -q \"nft's flowtables run on flowlane\" /tmp/status.txt"
check "status: router's flowtable with its $hits hits" \
	"grep -A1 '^netns art:' /tmp/status.txt | grep -q 'ip filter f: flows [0-9]*, hits $hits,'"

# --------------------------------------------------------------------- 4
echo "=== dpkg -r"
/usr/lib/flowlane-dkms/unload-if-unused > /tmp/unload.log 2>&1
sed 's/^/    /' /tmp/unload.log
check "prerm's unload step: a ruleset with a flowtable keeps flowlane loaded" \
	"loaded flowlane && grep -q 'in use' /tmp/unload.log"
ip netns exec art nft flush ruleset
teardown acl art asv
# The flowtable is freed after an RCU grace period, and with it its module reference.
check "the ruleset flushed: nothing uses flowlane" "eventually 10 grep -qx 0 /sys/module/flowlane/refcnt"
start=$(date +%s)
DEBIAN_FRONTEND=noninteractive dpkg -r flowlane-dkms flowlane libflowlane0 2>&1 | stamped /tmp/dpkg-r.log
rc=${PIPESTATUS[0]}
echo "dpkg -r took $(( $(date +%s) - start )) s"
echo "after dpkg -r: $(modules_state)"
echo "--- dkms status: '$(dkms_state)'"
check "dpkg -r: exit 0" "[ $rc -eq 0 ]"
check "dpkg -r: flowlane unloaded" "! loaded flowlane && grep -q 'flowlane: unloaded' /tmp/dpkg-r.log"
check "dpkg -r: DKMS has no flowlane, no flowlane.ko or ftnic.ko left for $kver" \
	"[ -z \"\$(dkms_state)\" ] && ! modinfo -n flowlane >/dev/null 2>&1 && ! modinfo -n ftnic >/dev/null 2>&1 && \
	 [ ! -e /lib/modules/$kver/updates/dkms/flowlane.ko ]"
check "dpkg -r: modprobe configuration and sources gone" \
	"[ ! -e /lib/modprobe.d/flowlane.conf ] && [ ! -e /usr/src/flowlane-$version ]"

# --------------------------------------------------------------------- 5
echo "=== the stock flowtable again"
topology b || fail "topology"
article_ruleset brt
echo "after nft -f: $(modules_state)"
check "stock: nft -f loaded nf_flow_table_inet and nft_flow_offload" \
	"loaded nf_flow_table_inet && loaded nft_flow_offload && ! loaded flowlane"
transfer b 80 2000000 /tmp/stock.out
check "stock: the flow is offloaded by the stock flowtable" "eventually 8 offloaded brt 80"
wait
check "stock: 2 MB forwarded intact" "[ \$(stat -c %s /tmp/stock.out) -eq 2000000 ]"
check "stock: no /proc/net/flowlane" "[ ! -e /proc/net/flowlane ]"
ip netns exec brt nft flush ruleset
teardown bcl brt bsv

dmesg > /tmp/install.dmesg
check "dmesg clean" "testing/vm/check-dmesg /tmp/install.dmesg install"
echo "install: $fails failed"
[ $fails -eq 0 ]
