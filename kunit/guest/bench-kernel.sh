# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench-kernel` (method: Documentation/benchmarks.rst).
#
# One boot, three namespaces gen -- rt -- sink over veth. pktgen in gen sends
# 64-byte UDP frames over N distinct flows (source address x source port, two
# coprime ranges so that one pass of N packets covers every flow once) to the
# sink, through the router rt, whose receive processing runs on CPU 1 alone
# (RPS); pktgen and the sink (which drops at tc ingress) share CPU 0. Per N and
# round the router is switched between three modes within the same boot, in
# turn: conntrack only, the stock nf_flow_table, flowlane.ko. Per mode:
#   fill     rate-limited passes over the N flows until one pass takes no
#            classic-path packet with no packet dropped on the way (every flow
#            is in the flowtable; for conntrack only: every flow in conntrack)
#   memory   slab + vmalloc growth from before the fill to after it, per flow
#            (conntrack's entries were made by the conntrack-only mode before,
#            so only the flowtable's memory counts)
#   measure  pktgen at full speed; WINDOWS windows of WINDOW seconds: packets
#            forwarded at rt's egress, packets on the classic path, CPU 1's
#            busy time per forwarded packet
# then, at the largest N, pps while the flowtable's GC walks every flow against
# pps between GC passes (workqueue trace events and counter samples on one
# clock), and a new-connection storm: STORM_N new flows at full speed into an
# empty conntrack, flows per second until the classic path goes quiet.
# Every figure is the median over rounds. Prints one line per N.
#
# usage: bench-kernel.sh [BENCH_VAR=VALUE...]  (BENCH_NS BENCH_ROUNDS BENCH_WINDOWS
#        BENCH_WINDOW BENCH_FILL_PPS BENCH_GC_SECONDS BENCH_STORM_N)
set -u
for a in "$@"; do
	case $a in
	BENCH_*=*) export "$a" ;;
	*) echo "bench-kernel: unknown argument $a"; exit 2 ;;
	esac
done
. kunit/guest/flowlane-env.sh
. kunit/guest/install-lib.sh
export FLOWLANE_KO=${FLOWLANE_KO:-$PWD/flowlane.ko}
# Flow counts separated by commas or spaces (commas survive every layer of quoting).
NS=$(echo "${BENCH_NS:-1 1000 100000 1000000}" | tr ',' ' ')
ROUNDS=${BENCH_ROUNDS:-3}
WINDOWS=${BENCH_WINDOWS:-3}
WINDOW=${BENCH_WINDOW:-2}
FILL_PPS=${BENCH_FILL_PPS:-40000}
GC_SECONDS=${BENCH_GC_SECONDS:-8}
STORM_N=${BENCH_STORM_N:-100000}
MODES="conntrack stock flowlane"
out=/tmp/bench
mkdir -p $out
# This shell and everything it starts run on CPU 0; CPU 1 is the router's.
taskset -pc 0 $$ >/dev/null

in_ns() { local ns=$1; shift; nsenter --net=/run/netns/$ns "$@"; }
die() { echo "bench-kernel: $*"; exit 1; }

# ------------------------------------------------------------------ topology
setup_topology()
{
	local ns
	for ns in gen rt sink; do ip netns add $ns; ip -n $ns link set lo up; done
	ip link add eth0 netns gen type veth peer name eth0 netns rt
	ip link add eth1 netns rt type veth peer name eth0 netns sink
	ip -n gen link set eth0 up; ip -n rt link set eth0 up; ip -n rt link set eth1 up
	ip -n sink link set eth0 up
	ip -n rt addr add 10.1.0.1/16 dev eth0
	ip -n rt addr add 10.2.0.1/24 dev eth1
	ip -n sink addr add 10.2.0.2/24 dev eth0
	in_ns rt sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.eth0.rp_filter=0 net.ipv4.conf.eth1.rp_filter=0
	# Static neighbours: the sink, and every source address pktgen uses.
	ip -n rt neigh add 10.2.0.2 lladdr "$(mac sink eth0)" dev eth1 nud permanent
	for i in $(seq 0 63); do
		ip -n rt neigh add 10.1.1.$((i + 1)) lladdr "$(mac gen eth0)" dev eth0 nud permanent
	done
	# The router's receive path on CPU 1 (mask 2), the sink's on CPU 0.
	ip netns exec rt sh -c 'echo 2 > /sys/class/net/eth0/queues/rx-0/rps_cpus'
	ip netns exec sink sh -c 'echo 1 > /sys/class/net/eth0/queues/rx-0/rps_cpus'
	ip netns exec sink tc qdisc add dev eth0 clsact
	ip netns exec sink tc filter add dev eth0 ingress matchall action drop
}
mac() { ip -n "$1" -j link show "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])'; }

# ------------------------------------------------------------------- pktgen
pg() { in_ns gen sh -c "echo '$2' > /proc/net/pktgen/$1" || die "pktgen $1: $2"; }

# pktgen_flows N: one pass of N packets covers N distinct flows.
pktgen_flows()
{
	local n=$1 ips ports
	case $n in
	1) ips=1 ports=1 ;;
	1000) ips=1 ports=1000 ;;
	100000) ips=32 ports=3125 ;;
	1000000) ips=64 ports=15625 ;;
	*) die "no coprime split for N=$n (use 1, 1000, 100000, 1000000)" ;;
	esac
	pg eth0 "src_min 10.1.1.1"
	pg eth0 "src_max 10.1.1.$ips"
	pg eth0 "udp_src_min 1024"
	# udp_src_max is exclusive; with one port both ends are equal.
	pg eth0 "udp_src_max $((ports == 1 ? 1024 : 1024 + ports))"
}

setup_pktgen()
{
	modprobe pktgen || die "modprobe pktgen"
	pg kpktgend_0 "rem_device_all"
	pg kpktgend_0 "add_device eth0"
	pg eth0 "clone_skb 0"
	pg eth0 "pkt_size 60"
	pg eth0 "burst 1"
	pg eth0 "dst 10.2.0.2"
	pg eth0 "dst_mac $(mac rt eth0)"
	pg eth0 "udp_dst_min 9"
	pg eth0 "udp_dst_max 9"
}

# pktgen_run COUNT PPS: COUNT packets (0: until pktgen_stop) at PPS (0: full speed).
pktgen_run()
{
	pg eth0 "count $1"
	if [ "$2" -gt 0 ]; then pg eth0 "ratep $2"; else pg eth0 "delay 0"; fi
	in_ns gen sh -c 'echo start > /proc/net/pktgen/pgctrl'
}
pktgen_stop() { in_ns gen sh -c 'echo stop > /proc/net/pktgen/pgctrl'; }

# ------------------------------------------------------------------ counters
# forwarded: rt's eth1 transmitted packets, plus those the sink's veth dropped.
forwarded() { in_ns rt cat /proc/net/dev | tr ':' ' ' | awk '$1 == "eth1" { print $11 + $13 }'; }
classic() { in_ns rt nft list counter ip r classic | awk '/packets/ { print $2 }'; }
softnet_drops()
{
	local s=0 d
	while read -r _ d _; do s=$((s + 0x$d)); done < /proc/net/softnet_stat
	echo $s
}
cpu1_busy() { awk '$1 == "cpu1" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
mem_kb() { awk '/^(Slab|VmallocUsed):/ { s += $2 } END { print s }' /proc/meminfo; }
flowlane_flows() { in_ns rt awk '/^flowtable / { print $6 }' /proc/net/flowlane 2>/dev/null; }

# ------------------------------------------------------------------- modes
ruleset()
{
	local mode=$1
	if [ "$mode" = conntrack ]; then
		in_ns rt nft -f - <<-'EOF'
		table ip r {
			counter classic { }
			chain forwarding {
				type filter hook forward priority 0; policy accept;
				ct state new,established counter name "classic"
			}
		}
		EOF
	else
		in_ns rt nft -f - <<-'EOF'
		table ip r {
			counter classic { }
			flowtable f {
				hook ingress priority 0; devices = { eth0, eth1 };
			}
			chain forwarding {
				type filter hook forward priority 0; policy accept;
				meta l4proto udp flow add @f
				ct state new,established counter name "classic"
			}
		}
		EOF
	fi
}

# switch_mode MODE: the ruleset of MODE on the modules of MODE; nothing else loaded.
switch_mode()
{
	local mode=$1
	in_ns rt nft flush ruleset
	# A flushed flowtable lets go of its module after an RCU grace period.
	if [ "$mode" != flowlane ] && loaded flowlane; then
		eventually 10 rmmod flowlane 2>/dev/null || die "rmmod flowlane"
		rm -f /etc/modprobe.d/flowlane.conf
	fi
	if [ "$mode" != stock ] && loaded nf_flow_table_inet; then
		eventually 10 modprobe -r nft_flow_offload nf_flow_table_inet 2>/dev/null ||
			die "modprobe -r nft_flow_offload nf_flow_table_inet"
	fi
	if [ "$mode" = flowlane ] && ! loaded flowlane; then
		flowlane_load >/dev/null || die "flowlane_load"
	fi
	# Flowtables freed by the flush are released from workqueues and RCU.
	sleep 1
	ruleset "$mode" || die "ruleset $mode"
	case $mode in
	stock) loaded nf_flow_table_inet && ! loaded flowlane || die "stock: modules:$(modules)" ;;
	flowlane) loaded flowlane && ! loaded nf_flow_table_inet || die "flowlane: modules:$(modules)" ;;
	esac
}

# fill MODE N: passes over the N flows at FILL_PPS until one pass is entirely
# fastpath (a flowtable mode) or leaves N flows in conntrack (conntrack only).
# A pass that drops packets on the way halves the rate. Prints the passes it
# took and the final rate; fails after 8 passes.
fill()
{
	local mode=$1 n=$2 pass c0 d0 c1 d1 rate=$FILL_PPS
	for pass in 1 2 3 4 5 6 7 8; do
		c0=$(classic) d0=$(softnet_drops)
		pktgen_run "$n" "$rate"
		c1=$(classic) d1=$(softnet_drops)
		if [ "$mode" = conntrack ]; then
			[ "$(in_ns rt conntrack -C)" -ge "$n" ] && { echo "$pass at $rate pps"; return 0; }
		elif [ "$pass" -ge 2 ] && [ $((c1 - c0)) -eq 0 ] && [ $((d1 - d0)) -eq 0 ]; then
			echo "$pass at $rate pps"
			return 0
		fi
		[ $((d1 - d0)) -eq 0 ] || rate=$((rate / 2))
	done
	echo "fill $mode N=$n: the last pass had $((c1 - c0)) classic-path packets, $((d1 - d0)) drops" >&2
	return 1
}

# measure MODE N ROUND: full speed, WINDOWS windows; one line of medians to $out/MODE-N.
measure()
{
	local mode=$1 n=$2 round=$3 w f0 f1 c0 c1 b0 b1 pps=() cls=() cpu=()
	pktgen_run 0 0 &
	sleep 1
	for w in $(seq "$WINDOWS"); do
		f0=$(forwarded) c0=$(classic) b0=$(cpu1_busy)
		sleep "$WINDOW"
		f1=$(forwarded) c1=$(classic) b1=$(cpu1_busy)
		pps+=($(( (f1 - f0) / WINDOW )))
		cls+=($((c1 - c0)))
		# /proc/stat counts USER_HZ (100) ticks: 10 ms each.
		cpu+=($(( (b1 - b0) * 10000000 / (f1 - f0 > 0 ? f1 - f0 : 1) )))
	done
	pktgen_stop
	wait
	echo "$round $(median "${pps[@]}") $(median "${cls[@]}") $(median "${cpu[@]}")" >> $out/$mode-$n
}
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# column FILE COL: the median of column COL over the rounds.
column() { awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "-") }'; }

# ------------------------------------------------------------------- GC
# gc_ratio MODE: at the largest N, pps in samples that fall inside a GC pass
# over pps in samples between passes (kunit/guest/bench_gc.py).
gc_ratio()
{
	local mode=$1 t=/sys/kernel/tracing
	[ -d $t/events ] || mount -t tracefs nodev $t
	echo 0 > $t/tracing_on; echo > $t/trace; echo mono > $t/trace_clock
	echo 8192 > $t/buffer_size_kb
	echo 1 > $t/events/workqueue/workqueue_execute_start/enable
	echo 1 > $t/events/workqueue/workqueue_execute_end/enable
	pktgen_run 0 0 &
	sleep 1
	echo 1 > $t/tracing_on
	in_ns rt python3 kunit/guest/bench_gc.py sample "$GC_SECONDS" $t/trace_marker
	echo 0 > $t/tracing_on
	pktgen_stop
	wait
	echo 0 > $t/events/workqueue/enable
	python3 kunit/guest/bench_gc.py analyse "$mode" < $t/trace
}

# ------------------------------------------------------------------- storm
# storm MODE: STORM_N new flows at full speed; flows per second from the start
# until a 0.5 s period without classic-path packets.
storm()
{
	local mode=$1 start now last prev cur
	switch_mode "$mode"
	in_ns rt conntrack -F >/dev/null 2>&1
	pktgen_flows "$STORM_N"
	start=$(date +%s%N) prev=-1 last=$start
	pktgen_run 0 0 &
	while :; do
		sleep 0.5
		cur=$(classic) now=$(date +%s%N)
		[ "$cur" = "$prev" ] && break
		prev=$cur last=$now
		[ $((now - start)) -lt 120000000000 ] || { echo "storm $mode: classic path still busy after 120 s" >&2; break; }
	done
	pktgen_stop
	wait
	echo "$(( STORM_N * 1000000000 / (last - start) ))"
}

# ------------------------------------------------------------------- main
maxn=$(printf '%s\n' $NS | sort -n | tail -1)
modprobe nf_conntrack || die "modprobe nf_conntrack"
echo $((maxn + 65536)) > /sys/module/nf_conntrack/parameters/hashsize
sysctl -qw net.netfilter.nf_conntrack_max=$((2 * maxn + 65536))
setup_topology || die "topology"
# Unreplied UDP conntrack entries and flowtable entries outlive the whole run.
in_ns rt sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600 net.netfilter.nf_flowtable_udp_timeout=3600
setup_pktgen
dmesg -C
echo "bench-kernel: N = $NS; $ROUNDS rounds of modes $MODES; $WINDOWS windows of $WINDOW s; fill at $FILL_PPS pps"

for n in $NS; do
	pktgen_flows "$n"
	for round in $(seq "$ROUNDS"); do
		for mode in $MODES; do
			switch_mode "$mode"
			m0=$(mem_kb)
			passes=$(fill "$mode" "$n") || die "fill $mode N=$n failed"
			m1=$(mem_kb)
			[ "$mode" = flowlane ] && [ "$(flowlane_flows)" -ne "$n" ] &&
				die "flowlane N=$n: /proc/net/flowlane has $(flowlane_flows) flows"
			echo "$round $(( (m1 - m0) * 1024 / n ))" >> $out/mem-$mode-$n
			measure "$mode" "$n" "$round"
			echo "  N=$n round $round $mode: filled in $passes passes; pps/classic/ns: $(tail -1 $out/$mode-$n | cut -d' ' -f2-)"
		done
	done
	line="N=$n"
	for mode in $MODES; do
		line+=" $mode: pps $(column $out/$mode-$n 2) classic $(column $out/$mode-$n 3) ns/pkt $(column $out/$mode-$n 4)"
		[ "$mode" = conntrack ] || line+=" B/flow $(column $out/mem-$mode-$n 2)"
		line+=";"
	done
	ratio=$(awk -v f="$(column $out/flowlane-$n 2)" -v s="$(column $out/stock-$n 2)" 'BEGIN { printf "%.2f", s ? f / s : 0 }')
	echo "$line flowlane/stock=$ratio" | tee -a $out/summary
done

pktgen_flows "$maxn"
for mode in stock flowlane; do
	switch_mode "$mode"
	fill "$mode" "$maxn" >/dev/null || die "fill $mode N=$maxn failed"
	echo "GC N=$maxn $mode: $(gc_ratio "$mode")" | tee -a $out/summary
done
for mode in stock flowlane; do
	echo "storm N=$STORM_N $mode: $(storm "$mode") flows/s reach the fastpath" | tee -a $out/summary
done
in_ns rt nft flush ruleset

dmesg > $out/dmesg
testing/vm/check-dmesg $out/dmesg bench-kernel || exit 1
echo "=== bench-kernel summary"
cat $out/summary
