# SPDX-License-Identifier: GPL-2.0
# Guest side of `make check-hostile`: hostile frames at the flowtable devices of a
# router whose flows are offloaded, in a guest booted with slub_debug=FZPU.
#
# usage: hostile.sh FRAMES [SEED]
#
# A client -- router -- server topology with nf_flowtable.rst's ruleset; a TCP
# and a UDP connection are offloaded. From a packet socket in the client's
# namespace, kunit/guest/hostile.py sends FRAMES frames at the router's eth0:
# the flows' packets broken every way (truncated, bogus ihl and options,
# inconsistent lengths, fragments, TTL 0/1, bad TCP/UDP headers, VLAN/QinQ and
# PPPoE stacks, IPIP and IP6IP6 with broken inner headers, zero and maximum
# lengths, bit flips) and the userspace fastpath fuzzer's corpus as frames.
# Then the same at eth1 from the server's side.
#
# Pass: no WARN/BUG/oops/slub/list-debug report; flowlane's fastpath gave every
# frame the router received a verdict (a hit, or a reason for the classic
# path); everything that came out on the far side is well-formed IP; the
# offloaded flows still work; the module unloads.
set -u
. kunit/guest/flowlane-env.sh

frames=${1:-3000} seed=${2:-$$}
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }
rt() { ip netns exec rt "$@"; }
cl() { ip netns exec cl "$@"; }
sv() { ip netns exec sv "$@"; }
js() { python3 -c "import json; print(json.load(open('$1'))['$2'])"; }
mac() { ip netns exec "$1" cat /sys/class/net/"$2"/address; }
rx_packets() { rt cat /sys/class/net/"$1"/statistics/rx_packets; }
# Fastpath verdicts so far: hits plus every slowpath reason.
verdicts()
{
	awk '/^flowtables/ { for (i = 1; i < NF; i++) if ($i == "hits") n += $(i + 1) }
	     /^slowpath/ { n += $3 } END { print n + 0 }' \
		/sys/kernel/debug/flowlane/totals
}

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
	# IPv6 router too, so the IPv6 frames meet a forwarding path.
	ip -n rt addr add 2001:db8:1::1/64 dev eth0 nodad; ip -n rt addr add 2001:db8:2::1/64 dev eth1 nodad
	rt sysctl -qw net.ipv6.conf.all.forwarding=1
	rt sysctl -qw net.netfilter.nf_flowtable_tcp_timeout=600 net.netfilter.nf_flowtable_udp_timeout=600
	cl ping -c1 -W5 10.0.2.2 >/dev/null || { echo "topology: no connectivity"; return 1; }
	rt nft -f - <<'EOF'
table inet x {
	flowtable f {
		hook ingress priority 0; devices = { eth0, eth1 };
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

# attack NS DEV RTDEV CAPNS: hostile frames from NS's DEV at the router's RTDEV,
# captured on CAPNS's eth0 (the far side).
attack()
{
	local ns=$1 dev=$2 rtdev=$3 capns=$4 v0 v1 rx0 rx1 cap
	cap=/tmp/hostile-cap-$rtdev.json
	ip netns exec "$capns" python3 kunit/guest/hostile.py capture --ifname eth0 --stats "$cap" &
	local capture=$!
	sleep 2
	v0=$(verdicts) rx0=$(rx_packets "$rtdev")
	ip netns exec "$ns" python3 kunit/guest/hostile.py send --ifname "$dev" \
		--dst-mac "$(mac rt "$rtdev")" --src-mac "$(mac "$ns" "$dev")" \
		--flow "$tcp_flow" --flow "$udp_flow" --corpus "$corpus" --count "$frames" \
		--seed "$seed" --stats /tmp/hostile-send-$rtdev.json
	sleep 3
	kill -TERM $capture; wait $capture
	v1=$(verdicts) rx1=$(rx_packets "$rtdev")
	echo "at $rtdev: $(cat /tmp/hostile-send-$rtdev.json)"
	echo "  router received $((rx1 - rx0)) frames, fastpath verdicts $((v1 - v0)); far side: $(cat "$cap")"
	local pre
	pre=$(js /tmp/hostile-send-$rtdev.json pre_hook)
	check "$rtdev: every frame that reached the hook got a fastpath verdict ($((v1 - v0)) >= $((rx1 - rx0)) received - $pre short VLAN)" \
		"[ $((v1 - v0)) -ge $((rx1 - rx0 - pre)) ]"
	check "$rtdev: the router received the frames ($((rx1 - rx0)) >= $(js /tmp/hostile-send-$rtdev.json sent) * 9 / 10)" \
		"[ $((rx1 - rx0)) -ge $(( $(js /tmp/hostile-send-$rtdev.json sent) * 9 / 10 )) ]"
	check "$rtdev: everything forwarded is well-formed IP ($(js "$cap" ip_bad) bad of $(js "$cap" ip))" \
		"[ $(js "$cap" ip_bad) -eq 0 ]"
	total_sent=$((total_sent + $(js /tmp/hostile-send-$rtdev.json sent)))
	total_corpus=$((total_corpus + $(js /tmp/hostile-send-$rtdev.json corpus_frames)))
}

# ------------------------------------------------------------------ main
corpus=$PWD/testing/fuzz/corpus/fastpath_fuzz
total_sent=0 total_corpus=0
grep -q 'slub_debug=FZPU' /proc/cmdline && pass "booted with slub_debug=FZPU" || fail "slub_debug=FZPU not on the kernel command line"
dmesg -C
flowlane_load || exit 1
topology || exit 1
check "the fuzzer's corpus is there ($(ls "$corpus" 2>/dev/null | wc -l) inputs)" "[ -d '$corpus' ] && [ \$(ls '$corpus' | wc -l) -gt 0 ]"

# Two offloaded flows: a TCP connection held open, a UDP echo.
sv sh -c 'timeout 300 nc -l -p 7000 > /dev/null' &
sv sh -c 'timeout 300 socat UDP-LISTEN:5000,fork EXEC:cat' &
for _ in $(seq 100); do sv ss -Hln | grep -q ':5000' && sv ss -Hlnt | grep -q ':7000' && break; sleep 0.1; done
cl sh -c '(echo hello; sleep 300) | timeout 300 nc -p 40000 10.0.2.2 7000' &
udp_ping() { cl sh -c "for i in \$(seq $1); do echo ping; sleep 0.2; done | timeout 20 socat -t 2 - UDP:10.0.2.2:5000,sourceport=41000" | wc -l; }
udp_ping 5 >/dev/null
sleep 2
rt conntrack -L 2>/dev/null | grep -E 'dport=(7000|5000)'
check "TCP and UDP flows offloaded" "[ \$(rt conntrack -L 2>/dev/null | grep -E 'dport=(7000|5000)' | grep -c OFFLOAD) -eq 2 ]"
tcp_flow=tcp:10.0.1.2:40000:10.0.2.2:7000
udp_flow=udp:10.0.1.2:41000:10.0.2.2:5000

attack cl eth0 eth0 sv
# The reply direction: the server's side, flows as the router sees them from eth1.
tcp_flow=tcp:10.0.2.2:7000:10.0.1.2:40000
udp_flow=udp:10.0.2.2:5000:10.0.1.2:41000
seed=$((seed + 1))
attack sv eth0 eth1 cl

echoes=$(udp_ping 10)
check "the UDP flow still works ($echoes of 10 echoes)" "[ $echoes -ge 8 ]"
flowlane_stats
rt nft flush ruleset
kill $(jobs -p) 2>/dev/null; wait 2>/dev/null
ip netns del cl; ip netns del rt; ip netns del sv
sleep 1
check "no flowtable: the module holds no memory" "grep -qx 'blocks: 0' /sys/kernel/debug/flowlane/memory"
check "the module unloads" "rmmod flowlane && ! lsmod | grep -q '^flowlane '"
dmesg > /tmp/hostile.dmesg
testing/vm/check-dmesg /tmp/hostile.dmesg "hostile packets" && pass "no WARN/BUG/oops/slub/list-debug report" || fail "kernel reports"
echo "=== hostile summary: $total_sent frames sent ($total_corpus from the fuzzer's corpus), reports: $([ $fails -eq 0 ] && echo 0 || echo "$fails failed checks")"
exit $((fails > 0))
