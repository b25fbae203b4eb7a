# SPDX-License-Identifier: GPL-2.0
# Guest side of `make check-chaos`: flowlane.ko under churn, faults and
# concurrent traffic, in a guest booted with slub_debug=FZPU.
#
# usage: chaos.sh SECONDS TCP_FLOWS UDP_FLOWS [SEED]
#
# A client -- router -- server topology of network namespaces carries TCP_FLOWS
# TCP connections and UDP_FLOWS UDP flows (kunit/guest/flowgen.py, echoed by
# the server) through the router's flowtable (the seed rulesets), while for
# SECONDS a driver loop picks at random: add, update (devices, counter,
# priority) and delete flowtables; nft flush ruleset and reload; add and delete
# veth, VLAN and bridge devices in the flowtable; change routes, neighbours and
# MTUs; conntrack -F; change the flowtable timeouts; rmmod and insmod
# flowlane.ko; arm and disarm fault injection (allocation, route lookup,
# transmit, driver command).
#
# Pass: no WARN/BUG/oops/slub/list-debug report; after the churn traffic flows
# again and takes the fastpath; every conntrack entry marked [OFFLOAD] has a
# flow; once the flowtables are gone the module holds no memory, no entry is
# left [OFFLOAD], the module unloads and slab objects in use + vmalloc return to the
# baseline. Prints operations per kind, faults injected, flows and packets.
set -u
. kunit/guest/flowlane-env.sh

secs=${1:-150} ntcp=${2:-300} nudp=${3:-300} seed=${4:-$$}
RANDOM=$seed
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }
rt() { ip netns exec rt "$@"; }
cl() { ip netns exec cl "$@"; }
sv() { ip netns exec sv "$@"; }
pick() { local a=("$@"); echo "${a[RANDOM % ${#a[@]}]}"; }
FAULT=/sys/kernel/debug/flowlane/fault

declare -A ops refused faults
for s in alloc route xmit hw; do faults[$s]=0; done
ops_total() { local k n=0; for k in "${!ops[@]}"; do n=$((n + ops[$k])); done; echo $n; }
op_done() { ops[$1]=$(( ${ops[$1]:-0} + 1 )); }
op_refused() { refused[$1]=$(( ${refused[$1]:-0} + 1 )); }
# run KIND CMD...: one step of an operation; the kernel may refuse it (faults armed,
# a device gone meanwhile): counted, never fatal. Only kernel reports and the end
# checks fail the run.
run() { local k=$1; shift; "$@" >/dev/null 2>&1 || op_refused "$k"; }

# --------------------------------------------------------------- topology

topology()
{
	ip netns add cl; ip netns add rt; ip netns add sv
	ip link add eth0 netns rt type veth peer name eth0 netns cl
	ip link add eth1 netns rt type veth peer name eth0 netns sv
	for ns in cl rt sv; do ip -n $ns link set lo up; ip -n $ns link set eth0 up; done
	ip -n rt link set eth1 up
	ip -n rt addr add 10.0.1.1/24 dev eth0; ip -n rt addr add 10.0.2.1/24 dev eth1
	ip -n cl addr add 10.0.1.2/24 dev eth0; ip -n sv addr add 10.0.2.2/24 dev eth0
	ip -n cl route add default via 10.0.1.1; ip -n sv route add default via 10.0.2.1
	rt sysctl -qw net.ipv4.ip_forward=1
	# conntrack -F mid-connection: let conntrack pick the connections up again.
	rt sysctl -qw net.netfilter.nf_conntrack_tcp_loose=1
	for ns in cl sv; do ip netns exec $ns sysctl -qw net.ipv4.ip_local_port_range="10000 60000"; done
	cl ping -c1 -W5 10.0.2.2 >/dev/null || { echo "topology: no connectivity"; return 1; }
}

# The seed rulesets: the article's (TCP, ip family), nf_flowtable.rst's with the
# flowtable counter (inet, TCP and UDP).
ruleset_article()
{
	rt nft -f - <<'EOF'
table ip filter {
        flowtable f {
                hook ingress priority 0; devices = { eth0, eth1 };
        }
        chain y {
                type filter hook forward priority 0; policy accept;
                ip protocol tcp flow add @f
                counter
        }
}
EOF
}

ruleset_doc()
{
	rt nft -f - <<EOF
table inet x {
	flowtable f {
		hook ingress priority ${1:-0}; devices = { eth0, eth1 };
		counter
	}
	chain y {
		type filter hook forward priority 0; policy accept;
		meta l4proto { tcp, udp } flow add @f
		counter
	}
}
EOF
}

# ------------------------------------------------------------- operations

extra_devs() { ip -n rt -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E '^(cv|cw|cb|eth[01]\.)' ; }
# A random one of the churned devices, or nothing.
extra_dev() { local d=($(extra_devs)); [ ${#d[@]} -gt 0 ] && pick "${d[@]}"; }

op_ft_add()
{
	case $((RANDOM % 2)) in
	0) run ft_add ruleset_article ;;
	*) run ft_add ruleset_doc "$(pick 0 -10 10)" ;;
	esac
}

# Update: add or remove a device, or re-create with another priority / counter flag.
op_ft_update()
{
	local dev
	dev=$(extra_dev)
	case $((RANDOM % 3)) in
	0) [ -n "$dev" ] && run ft_update rt nft add flowtable inet x f \
		"{ hook ingress priority 0; devices = { $dev }; }" ;;
	1) [ -n "$dev" ] && run ft_update rt nft delete flowtable inet x f "{ devices = { $dev }; }" ;;
	*) run ft_update rt nft delete table inet x; run ft_update ruleset_doc "$(pick 0 -5 5 20)" ;;
	esac
}

op_ft_delete() { run ft_delete rt nft delete table "$(pick "inet x" "ip filter")"; }

op_flush_reload() { run flush_reload rt nft flush ruleset; run flush_reload "$(pick ruleset_doc ruleset_article)"; }

op_dev_add()
{
	local n=$((RANDOM % 8)) lower
	lower=$(pick eth0 eth1)
	case $((RANDOM % 4)) in
	0) run dev_add ip -n rt link add cv$n type veth peer name cw$n
	   run dev_add ip -n rt link set cv$n up; run dev_add ip -n rt link set cw$n up ;;
	1) run dev_add ip -n rt link add link $lower name $lower.$((100 + n)) type vlan id $((100 + n))
	   run dev_add ip -n rt link set $lower.$((100 + n)) up ;;
	2) run dev_add ip -n rt link add cb$n type bridge
	   run dev_add ip -n rt link set cb$n up ;;
	*) run dev_add ip -n rt link set cw$n master cb$n ;;
	esac
}

op_dev_del()
{
	local dev
	dev=$(extra_dev)
	[ -n "$dev" ] && run dev_del ip -n rt link del "$dev"
}

op_route()
{
	case $((RANDOM % 3)) in
	0) run route ip -n rt route replace 10.0.2.0/24 dev eth1 src 10.0.2.1 metric 0 ;;
	1) run route ip -n rt route replace 10.0.1.0/24 dev eth0 src 10.0.1.1 metric 0 ;;
	*) run route ip -n rt route replace 10.0.2.2/32 dev eth1; run route ip -n rt route del 10.0.2.2/32 ;;
	esac
}

op_neigh() { run neigh ip -n rt neigh flush dev "$(pick eth0 eth1)"; }

op_mtu() { run mtu ip -n rt link set "$(pick eth0 eth1)" mtu "$(pick 1500 1500 1400 1280)"; }

op_ct_flush() { run ct_flush rt conntrack -F; }

op_timeouts()
{
	run timeouts rt sysctl -qw net.netfilter.nf_flowtable_tcp_timeout="$(pick 1 3 30)"
	run timeouts rt sysctl -qw net.netfilter.nf_flowtable_udp_timeout="$(pick 1 3 30)"
}

faults_collect()
{
	local s n
	[ -d $FAULT ] || return 0
	for s in alloc route xmit hw; do
		n=$(cat $FAULT/$s/injected 2>/dev/null || echo 0)
		faults[$s]=$(( ${faults[$s]} + n ))
	done
	echo 1 > $FAULT/reset
}

# The module cannot go while nf_tables holds one of its flowtables: flush first.
op_reload_module()
{
	faults_collect
	hits_total=$((hits_total + $(flowlane_hits)))
	run reload_module rt nft flush ruleset
	if ! rmmod flowlane 2>/dev/null; then op_refused reload_module; return; fi
	run reload_module insmod "$KO"
	run reload_module ruleset_doc
}

op_fault()
{
	local site
	faults_collect
	case $((RANDOM % 5)) in
	0) op_done fault_off; return ;;  # all sites disarmed by faults_collect
	1) site=alloc; echo "$(pick 20 50 200)" > $FAULT/alloc/random ;;
	2) site=route; echo "$(pick 2 3 5)" > $FAULT/route/random ;;
	3) site=xmit; echo "$(pick 50 200 1000)" > $FAULT/xmit/random ;;
	*) site=hw; echo "$(pick 2 5)" > $FAULT/hw/random ;;
	esac
	op_done "fault_$site"
}

OPS=(ft_add ft_update ft_update ft_delete flush_reload dev_add dev_add dev_del dev_del
	route route neigh mtu ct_flush timeouts reload_module fault fault fault)

# Rounds of every operation kind in a random order (so a short run still does each
# kind), until the time is up; a fault site is armed from the start.
churn()
{
	local end=$(( $(date +%s) + secs )) op
	op_fault
	while [ "$(date +%s)" -lt $end ]; do
		for op in $(printf '%s\n' "${OPS[@]}" | shuf --random-source=<(yes $RANDOM)); do
			[ "$(date +%s)" -lt $end ] || break
			[ "$op" = fault ] || op_done "$op"
			# One line per operation: a guest that hangs still shows what it was doing.
			say "op $op"
			"op_$op"
			sleep "0.$((RANDOM % 3))"
		done
	done
	faults_collect
}

# --------------------------------------------------------------- measures

stat_of() { python3 -c "import json,sys; print(json.load(open('$1'))['$2'])"; }
flows_now() { rt awk '/^flowtable/ { for (i = 1; i < NF; i++) if ($i == "flows") n += $(i + 1) } END { print n + 0 }' /proc/net/flowlane; }
offloaded_ct() { rt conntrack -L 2>/dev/null | grep -c '\[OFFLOAD\]'; }
# Slab objects in use (reclaimable or not) plus vmalloc, in kB, with every cache
# shrunk first and RCU callbacks given time to run. Objects, not slab pages: pages
# half filled by thousands of freed sockets and skbs stay with their caches and
# are no leak; an object the module (or anything) still holds counts.
kernel_mem()
{
	local c
	sync; echo 3 > /proc/sys/vm/drop_caches
	sleep 2
	for c in /sys/kernel/slab/*/shrink; do echo 1 > "$c"; done 2>/dev/null
	{ awk 'NR > 2 { s += $2 * $4 } END { print int(s / 1024) }' /proc/slabinfo
	  awk '/^VmallocUsed:/ { print $2 }' /proc/meminfo; } | awk '{ s += $1 } END { print s }'
}
# The same once namespace teardown (a workqueue) and RCU have finished: until it stops falling.
kernel_mem_settled()
{
	local prev now i
	prev=$(kernel_mem)
	for i in $(seq 10); do
		sleep 2
		now=$(kernel_mem)
		[ "$now" -ge "$prev" ] && break
		prev=$now
	done
	echo "$now"
}
# Where the TCP connections stand: the client's retransmission timers (a
# connection that lost segments during the churn waits out its backoff), the
# router's conntrack states, flowlane's slowpath reasons.
tcp_health()
{
	echo "client TCP sockets by retransmission timeout:"
	cl ss -Htin state established "( dport = :5001 )" |
		awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^rto:/) { r = substr($i, 5) / 1000
			print (r < 1 ? "<1s" : r < 10 ? "1-10s" : r < 60 ? "10-60s" : ">=60s") } }' |
		sort | uniq -c | sed 's/^/  /'
	echo "client TCP sockets with unacknowledged data: $(cl ss -Htin state established "( dport = :5001 )" | grep -c 'unacked:')"
	echo "router conntrack TCP entries by state:"
	rt conntrack -L -p tcp 2>/dev/null | awk '{ print ($4 ~ /=/) ? "offloaded (no state shown)" : $4 }' | sort | uniq -c | sed 's/^/  /'
	flowlane_stats
}
# Slab caches whose objects in use grew between two /proc/slabinfo snapshots,
# biggest first (kB).
slab_growth()
{
	awk 'FNR == NR { if (FNR > 2) b[$1] = $2 * $4; next }
	     FNR > 2 { d = ($2 * $4 - b[$1]) / 1024; if (d > 32) printf "  %-28s +%d kB\n", $1, d }' "$1" "$2" |
		sort -t+ -k2 -rn | head -12
}
t0=$(date +%s)
say() { echo "[+$(( $(date +%s) - t0 ))s] $*"; }
dmesg_clean() { dmesg > /tmp/chaos.dmesg; testing/vm/check-dmesg /tmp/chaos.dmesg "$1"; }

# ------------------------------------------------------------------ main

KO=${FLOWLANE_KO:-$PWD/flowlane.ko}
hits_total=0
ulimit -n 65536
grep -q 'slub_debug=FZPU' /proc/cmdline && pass "booted with slub_debug=FZPU" || fail "slub_debug=FZPU not on the kernel command line"
dmesg -C
for dep in $(modinfo -F depends "$KO" | tr ',' ' '); do modprobe "$dep"; done
for m in nf_conntrack nf_conntrack_netlink nft_ct 8021q bridge veth; do modprobe $m; done
# A warm-up round, so that what the kernel loads or allocates once (modules nft and
# conntrack pull in, per-CPU caches) is in the baseline: the rulesets once, then
# module and namespaces gone.
topology || exit 1
flowlane_load || exit 1
ruleset_doc; ruleset_article; rt nft flush ruleset
rmmod flowlane
ip netns del cl; ip netns del rt; ip netns del sv
lsmod | awk 'NR > 1 {print $1}' | sort > /tmp/modules.before
mem0=$(kernel_mem_settled)
cp /proc/slabinfo /tmp/slabinfo.before
topology || exit 1
insmod "$KO" || exit 1
ruleset_doc
# Started with ip netns exec itself, not through the sv/cl functions: $! is then
# python3's own PID (ip execs it), so the TERM below reaches flowgen, not a subshell
# that would die and leave flowgen running, its sockets holding the namespaces.
ip netns exec sv python3 kunit/guest/flowgen.py serve --port 5001 --udp-flows 16 &
server=$!
sleep 2
ip netns exec cl python3 kunit/guest/flowgen.py client --server 10.0.2.2 --port 5001 --tcp "$ntcp" --udp "$nudp" \
	--udp-ports 16 --interval 2 --stats /tmp/flowgen.json &
client=$!
# Let every connection open (emulated, it takes a while) before the churn starts.
for _ in $(seq 60); do
	[ -f /tmp/flowgen.json ] && [ "$(stat_of /tmp/flowgen.json tcp_live)" -ge "$ntcp" ] && break
	sleep 1
done
say "chaos: $(stat_of /tmp/flowgen.json tcp_live) TCP connections up, $(flows_now) flows offloaded; churning ${secs}s (seed $seed)"
check "before the churn: flows are offloaded" "[ $(flows_now) -gt 0 ]"

churn
say "churn done: $(ops_total) operations"
dmesg_clean "during the churn" || fail "kernel reports during the churn"

# The churn is over: a calm state, the article's ruleset of the docs again.
echo 1 > $FAULT/reset 2>/dev/null
lsmod | grep -q '^flowlane ' || insmod "$KO"
rt nft flush ruleset; ruleset_doc
for d in eth0 eth1; do ip -n rt link set $d mtu 1500; done
rt sysctl -qw net.netfilter.nf_flowtable_tcp_timeout=30 net.netfilter.nf_flowtable_udp_timeout=30
sleep 8
hits0=$(flowlane_hits) msgs0=$(stat_of /tmp/flowgen.json tcp_msgs) udp0=$(stat_of /tmp/flowgen.json udp_echoed)
sleep 15
hits1=$(flowlane_hits) msgs1=$(stat_of /tmp/flowgen.json tcp_msgs) udp1=$(stat_of /tmp/flowgen.json udp_echoed)
say "after the churn: 15 s: fastpath hits +$((hits1 - hits0)), TCP echoes +$((msgs1 - msgs0)), UDP echoes +$((udp1 - udp0)), $(flows_now) flows, $(offloaded_ct) entries [OFFLOAD]"
tcp_health
check "after the churn: TCP traffic flows again" "[ $((msgs1 - msgs0)) -gt $((ntcp / 2)) ]"
check "after the churn: UDP traffic flows again" "[ $((udp1 - udp0)) -gt $((nudp / 2)) ]"
check "after the churn: traffic takes the fastpath" "[ $((hits1 - hits0)) -gt $((ntcp / 2)) ]"
# A fresh connection end to end: 1 MB intact, offloaded.
sv sh -c 'timeout 60 nc -l -p 7000 > /tmp/fresh.out' &
nsrv=$!
for _ in $(seq 50); do sv ss -Hlnt 'sport = :7000' | grep -q . && break; sleep 0.2; done
cl sh -c '(head -c 1000000 /dev/urandom; sleep 3) | timeout 60 nc -N 10.0.2.2 7000' &
ncl=$!
sleep 2
new_offloaded() { for _ in $(seq 20); do rt conntrack -L 2>/dev/null | grep 'dport=7000' | grep -q OFFLOAD && return 0; sleep 0.5; done; return 1; }
check "after the churn: a new TCP connection is offloaded" new_offloaded
wait $ncl $nsrv
check "after the churn: 1 MB arrived intact on a new connection" "[ \$(stat -c %s /tmp/fresh.out) -eq 1000000 ]"

# Stop the traffic; every entry still marked [OFFLOAD] must have its flow.
kill -TERM $client; wait $client
kill -TERM $server; wait $server
sleep 1
n_off=$(offloaded_ct) n_flows=$(flows_now)
hits_total=$((hits_total + $(flowlane_hits)))
check "every [OFFLOAD] conntrack entry has a flow ($n_off entries, $n_flows flows)" "[ $n_off -le $n_flows ]"
rt nft flush ruleset
sleep 2
check "no flowtable: no conntrack entry left [OFFLOAD] ($(offloaded_ct))" "[ $(offloaded_ct) -eq 0 ]"
cat /sys/kernel/debug/flowlane/memory
check "no flowtable: the module holds no memory" "grep -qx 'blocks: 0' /sys/kernel/debug/flowlane/memory"
check "no kvmalloc'd block of the module left" "! grep -q 'fl_alloc' /proc/vmallocinfo"
check "the module unloads" "rmmod flowlane && ! lsmod | grep -q '^flowlane '"
# The namespaces go too (with their sockets, conntrack entries, devices, routes), so
# what is left beside the baseline is what the module would have leaked.
ip netns del cl; ip netns del rt; ip netns del sv
mem1=$(kernel_mem_settled)
cp /proc/slabinfo /tmp/slabinfo.after
lsmod | awk 'NR > 1 {print $1}' | sort > /tmp/modules.after
echo "modules loaded during the run: $(comm -13 /tmp/modules.before /tmp/modules.after | tr '\n' ' ')"
say "slab objects + vmalloc: ${mem0} kB before loading and creating the namespaces, ${mem1} kB after unloading and deleting them"
echo "slab caches whose objects in use grew:"; slab_growth /tmp/slabinfo.before /tmp/slabinfo.after
check "slab objects + vmalloc back to the baseline (+$((mem1 - mem0)) kB <= 1024 kB)" "[ $((mem1 - mem0)) -le 1024 ]"
dmesg_clean "chaos run" && pass "no WARN/BUG/oops/slub/list-debug report" || fail "kernel reports"

total_ops=$(ops_total)
echo "=== chaos summary (${secs}s churn, seed $seed)"
echo "operations: $total_ops"
for k in $(printf '%s\n' "${!ops[@]}" | sort); do
	printf '  %-14s %6d (steps refused %d)\n' "$k" "${ops[$k]}" "${refused[$k]:-0}"
done
echo "faults injected: alloc ${faults[alloc]} route ${faults[route]} xmit ${faults[xmit]} hw ${faults[hw]}"
echo "flows: TCP connections opened $(stat_of /tmp/flowgen.json tcp_opened) (broken $(stat_of /tmp/flowgen.json tcp_broken), $ntcp kept open), UDP flows $nudp"
echo "packets: TCP echoes $(stat_of /tmp/flowgen.json tcp_msgs) ($(stat_of /tmp/flowgen.json tcp_bytes) bytes), UDP datagrams sent $(stat_of /tmp/flowgen.json udp_sent) echoed $(stat_of /tmp/flowgen.json udp_echoed), fastpath hits $hits_total"
echo "reports: $([ $fails -eq 0 ] && echo 0 || echo "$fails failed checks")"
exit $((fails > 0))
