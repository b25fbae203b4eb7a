# SPDX-License-Identifier: GPL-2.0
# Guest side of `make vm-equivalence`: for each scenario, a real router in a
# network namespace built from the simulator's own topology and ruleset files,
# the frames the simulator received (DEV.in.pcap) injected at the far ends of
# its wires in order, and every frame it sends captured there.
#
# usage: guest.sh WORKDIR SCENARIO...
#   WORKDIR  the host's run directory: SCENARIO/sim holds the simulator's
#            captures; the kernel's go to the results share, SCENARIO/IMPL
# Every scenario runs with Linux's nf_flow_table (stock), then, with the stock
# modules unloaded, with flowlane.ko (one guest boot for both).
set -u
here=${EQUIVALENCE_DIR:-testing/tests/sim/equivalence}
work=$1
shift
R=${EQUIVALENCE_RESULTS:-/flowlane-results}
fails=0
rt() { ip netns exec rt "$@"; }
wire() { ip netns exec wire "$@"; }

. kunit/guest/flowlane-env.sh

# Router devices and the wire ends facing them: "eth0 c0" per veth line.
pairs() { sed -n 's/^ip link add \([^ ]*\) type veth peer name \([^ ]*\).*/\1 \2/p' "$here/topology.ip"; }

build_router()
{
	ip netns add rt && ip netns add wire
	rt sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	wire sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	# The topology file is iproute2 command lines: run each in the router.
	grep -v '^\s*\(#\|$\)' "$here/topology.ip" | while read -r _ cmd; do
		eval "ip -n rt $cmd" || { echo "topology: ip $cmd failed"; return 1; }
	done
	pairs | while read -r dev peer; do
		ip -n rt link set "$peer" netns wire
		wire sysctl -qw "net.ipv6.conf.$peer.disable_ipv6=1"
		ip -n wire link set "$peer" up
	done
	rt sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
}

destroy_router()
{
	ip netns del rt 2>/dev/null; ip netns del wire 2>/dev/null
	sleep 0.5
}

run_scenario()
{
	local scen=$1 ruleset=$2 sim=$work/$1/sim out=$R/$1/$impl dev peer inputs pids hits0 hits1
	mkdir -p "$out"
	destroy_router
	build_router || return 1
	rt nft -f "$here/$ruleset" || { echo "$scen: nft -f $ruleset failed"; return 1; }
	sleep 1 # links settle (no DAD, but carrier and MLD)
	inputs="" pids=""
	while read -r dev peer; do
		ip netns exec wire tcpdump -q -U -i "$peer" -Q in -w "$out/$dev.pcap" 2>/dev/null &
		pids="$pids $!"
		[ -f "$sim/$dev.in.pcap" ] && inputs="$inputs $peer=$sim/$dev.in.pcap"
	done < <(pairs)
	sleep 1.5 # tcpdump is listening
	[ "$impl" = flowlane ] && hits0=$(flowlane_hits)
	wire python3 "$here/inject.py" $inputs
	sleep 1
	[ "$impl" = flowlane ] && hits1=$(flowlane_hits) && echo "$((hits1 - hits0))" > "$out/fastpath-hits"
	kill -INT $pids; wait $pids 2>/dev/null
	rt conntrack -L > "$out/conntrack" 2>/dev/null
	grep -c OFFLOAD "$out/conntrack" > "$out/offloaded" || true
	echo "$scen ($impl): conntrack -L in the router:"
	sed 's/^/  /' "$out/conntrack"
	destroy_router
}

# The list is read on fd 3: the tools a scenario runs must not eat it.
run_all()
{
	while read -r line <&3; do
		scen=$(echo "$line" | cut -d'|' -f1 | xargs)
		ruleset=$(echo "$line" | cut -d'|' -f2 | xargs)
		for want in "$@"; do
			[ "$want" = "$scen" ] || continue
			run_scenario "$scen" "$ruleset" < /dev/null || fails=$((fails + 1))
		done
	done 3< <(grep -v '^\s*\(#\|$\)' "$here/scenarios")
}

impl=stock
run_all "$@"
# The stock flowtable modules make way for flowlane.ko (which refuses to load
# beside them).
for m in nft_flow_offload nf_flow_table_inet nf_flow_table_ipv4 nf_flow_table_ipv6 nf_flow_table; do
	grep -q "^$m " /proc/modules && { rmmod "$m" || echo "FAIL: rmmod $m"; }
done
impl=flowlane
if flowlane_load; then
	run_all "$@"
else
	echo "FAIL: flowlane.ko did not load"
	fails=$((fails + 1))
fi

dmesg > /tmp/equivalence.dmesg
testing/vm/check-dmesg /tmp/equivalence.dmesg equivalence || fails=$((fails + 1))
exit $fails
