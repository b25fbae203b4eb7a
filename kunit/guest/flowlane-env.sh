# SPDX-License-Identifier: GPL-2.0
# Sourced by guest scripts: install the modprobe snippet that keeps out the two
# stock modules flowlane replaces (nf_flow_table_inet, nft_flow_offload), load flowlane.ko's dependencies and flowlane.ko itself
# (modprobe of each dependency + insmod: `depmod -a` alone takes most of a
# minute under emulation), and read its statistics.

# flowlane_load [PARAM=VALUE...]: module parameters are passed to insmod.
flowlane_load()
{
	local ko dep
	ko=${FLOWLANE_KO:-$PWD/flowlane.ko}
	cp scripts/flowlane-modprobe.conf /etc/modprobe.d/flowlane.conf
	for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do
		modprobe "$dep" || { echo "flowlane_load: modprobe $dep failed"; return 1; }
	done
	insmod "$ko" "$@" || { echo "flowlane_load: insmod $ko failed"; dmesg | tail -5; return 1; }
	lsmod | grep -E '^(flowlane|nf_flow_table|nf_flow_table_inet|nft_flow_offload) ' | awk '{print "loaded: " $1}'
}

flowlane_stats()
{
	echo "flowlane totals:"
	sed 's/^/  /' /sys/kernel/debug/flowlane/totals
}

# flowlane_hits: the total fastpath hits so far.
flowlane_hits()
{
	awk '/^flowtables/ { for (i = 1; i < NF; i++) if ($i == "hits") print $(i + 1) }' \
		/sys/kernel/debug/flowlane/totals
}
