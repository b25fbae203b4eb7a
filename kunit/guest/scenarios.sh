# SPDX-License-Identifier: GPL-2.0
# Guest side of `make vm-scenarios`: flowlane.ko driven by ordinary nft on a
# client -- router -- server topology of network namespaces.
#
#  1. the seed article's ruleset verbatim: the forward chain's counter stops
#     after the handshake, conntrack shows [OFFLOAD], flowlane's hits grow;
#  2. UDP offload, expiry after a shortened timeout, and a conntrack entry
#     handed back with a sane relative timeout;
#  3. TCP hand-back mid-connection (timeout): the connection goes on through
#     the slowpath without a single INVALID packet, with window tracking reset;
#  4. TCP teardown: FIN tears down at once (6.1's, the module's default); with
#     tcp_closing=1 (upstream's) FIN and RST move flows to the closing state,
#     the close rides the fastpath and conntrack gets the entry back in CLOSE;
#  5. device deletion, flowtable deletion, `nft flush ruleset` and rmmod while
#     traffic flows;
#  6. IPIP and IP6IP6: the client reaches the server through a tunnel ending on
#     the router; the flowtable hooks the tunnel's underlay devices, so flowlane
#     decapsulates and encapsulates itself (the tunnel device sees almost none of
#     the packets) and an IPIP packet with a bad header length goes to the
#     classic path (counted as malformed, dropped by IPv4 as ever);
#  7. live updates (on request: scenarios.sh scenario_live_updates): `counter`
#     added to a live flowtable by an nft update makes conntrack count the
#     offloaded packets; a lowered nf_flowtable_tcp_timeout reaches a live flow
#     at its next refresh.
# Every step checks dmesg stays free of WARN/BUG/oops.
set -u
. kunit/guest/flowlane-env.sh

fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }
rt() { ip netns exec rt "$@"; }
cl() { ip netns exec cl "$@"; }
sv() { ip netns exec sv "$@"; }
# Wait (up to 10 s) until the server namespace listens on PROTO (tcp|udp) PORT:
# under emulation a server can take well over a second to start, and a UDP
# client whose first datagram meets a closed port gives up on the ICMP error.
sv_listening() {
	for _ in $(seq 100); do
		sv ss -Hln --"$1" "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	echo "server on $1 port $2 did not start" >&2
	return 1
}

topology()
{
	ip netns add cl; ip netns add rt; ip netns add sv
	ip link add eth0 netns rt type veth peer name eth0 netns cl
	ip link add eth1 netns rt type veth peer name eth0 netns sv
	for ns in cl rt sv; do ip -n $ns link set lo up; done
	ip -n rt link set eth0 up; ip -n rt link set eth1 up
	ip -n cl link set eth0 up; ip -n sv link set eth0 up
	ip -n rt addr add 10.0.1.1/24 dev eth0; ip -n rt addr add 10.0.2.1/24 dev eth1
	ip -n cl addr add 10.0.1.2/24 dev eth0; ip -n sv addr add 10.0.2.2/24 dev eth0
	ip -n cl route add default via 10.0.1.1; ip -n sv route add default via 10.0.2.1
	rt sysctl -qw net.ipv4.ip_forward=1
	rt sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
	cl ping -c1 -W5 10.0.2.2 >/dev/null || { echo "topology: no connectivity"; return 1; }
}

teardown_topology()
{
	ip netns del cl 2>/dev/null; ip netns del rt 2>/dev/null; ip netns del sv 2>/dev/null
	sleep 1
}

chain_packets() { rt nft list chain ip filter y | awk '/counter packets/ {print $3}'; }
ct_list() { rt conntrack -L 2>/dev/null; }
ct_list6() { rt conntrack -L -f ipv6 2>/dev/null; }

# Remaining seconds of a conntrack entry matching $1 (first match).
ct_timeout() { ct_list | grep -- "$1" | head -1 | awk '{print $3}'; }

dmesg_clean()
{
	dmesg > /tmp/scenario.dmesg
	testing/vm/check-dmesg /tmp/scenario.dmesg "$1" >/dev/null
}

# --------------------------------------------------------------------- 1
scenario_article()
{
	topology || return
	# The seed article's ruleset, verbatim.
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
	local hits0 hits1 before after
	hits0=$(flowlane_hits)
	sv sh -c 'nc -l -p 80 > /tmp/article.out' &
	sv_listening tcp 80
	# 4 MB from the client, then hold the connection open while we look.
	cl sh -c '(head -c 4000000 /dev/urandom; sleep 4) | nc -N 10.0.2.2 80' &
	sleep 3
	# One sample, printed and judged: a second listing could already see the close.
	local entry
	entry=$(ct_list | grep 'dport=80' | head -1)
	echo "$entry"
	check "article: conntrack shows [OFFLOAD] for the TCP flow" "echo '$entry' | grep -q '\[OFFLOAD\]'"
	before=$(chain_packets)
	wait
	after=$(chain_packets)
	hits1=$(flowlane_hits)
	echo "article: forward chain counted $after packets; flowlane fastpath hits $((hits1 - hits0))"
	check "article: 4 MB received intact" "[ \$(stat -c %s /tmp/article.out) -eq 4000000 ]"
	check "article: forward counter stopped after the handshake (<= 6 during the transfer)" "[ $before -le 6 ]"
	check "article: fastpath hits grew (> 100; GSO packs segments)" "[ $((hits1 - hits0)) -gt 100 ]"
	# UDP is not selected by this ruleset: its packets stay on the classic path.
	sv sh -c 'timeout 3 socat -u UDP-RECV:5353 /dev/null' &
	sv_listening udp 5353
	cl sh -c 'for i in $(seq 20); do echo hello; done | socat -u - UDP-SENDTO:10.0.2.2:5353,sourceport=5353'
	sleep 0.5
	check "article: UDP (not selected) is not offloaded" "! ct_list | grep 'udp' | grep -q OFFLOAD"
	wait
	teardown_topology
}

# --------------------------------------------------------------------- 2
ruleset_all()
{
	rt nft -f - <<'EOF'
table inet x {
	flowtable f {
		hook ingress priority 0; devices = { eth0, eth1 };
		counter
	}
	chain y {
		type filter hook forward priority 0; policy accept;
		ct state invalid counter name invalid drop
		meta l4proto { tcp, udp } flow add @f
		counter
	}
	counter invalid { }
}
EOF
}

invalid_packets() { rt nft list counter inet x invalid | awk '/packets/ {print $2}'; }

scenario_udp_expiry()
{
	topology || return
	ruleset_all
	rt sysctl -qw net.netfilter.nf_flowtable_udp_timeout=2
	# An echo server: every datagram comes back, so the flow has both directions.
	sv sh -c 'timeout 60 socat UDP-LISTEN:5000 EXEC:cat' &
	sv_listening udp 5000
	# 40 pings 0.1 s apart (slower under emulation: no deadline on the pace),
	# looked at while they flow; socat waits 3 s for the last echoes.
	cl sh -c 'for i in $(seq 40); do echo ping; sleep 0.1; done | timeout 50 socat -t 3 - UDP:10.0.2.2:5000,sourceport=6000 > /tmp/udp.echo' &
	local client=$!
	sleep 1
	ct_await ct_list 'dport=5000' OFFLOAD
	check "udp: offloaded ([OFFLOAD])" "grep -q OFFLOAD <<< \"\$entry\""
	wait $client
	check "udp: echoes came back (>= 38 of 40)" "[ \$(wc -l < /tmp/udp.echo) -ge 38 ]"
	pkill -f 'socat UDP-LISTEN:5000' 2>/dev/null
	sleep 5
	local t
	t=$(ct_timeout 'dport=5000')
	ct_list | grep 'dport=5000' | head -1
	check "udp: idle past the 2 s flowtable timeout: no longer offloaded" "! ct_list | grep 'dport=5000' | grep -q OFFLOAD"
	check "udp: handed back with a sane relative timeout (0 < $t <= 180)" "[ -n '$t' ] && [ '$t' -gt 0 ] && [ '$t' -le 180 ]"
	wait
	teardown_topology
}

# --------------------------------------------------------------------- 3
scenario_tcp_handback()
{
	topology || return
	ruleset_all
	rt sysctl -qw net.netfilter.nf_flowtable_tcp_timeout=2
	sv sh -c 'nc -l -p 7000 > /tmp/handback.out' &
	sv_listening tcp 7000
	# 1 MB, an 8 s pause (the flow expires and is handed back), 1 MB more.
	cl sh -c '(head -c 1000000 /dev/zero; sleep 8; head -c 1000000 /dev/zero) | nc -N 10.0.2.2 7000' &
	sleep 0.5
	ct_await ct_list 'dport=7000' OFFLOAD
	check "handback: offloaded while busy" "grep -q OFFLOAD <<< \"\$entry\""
	sleep 5
	# One look during the pause: every check below reads this line, as the
	# second megabyte (and the close) may already be on its way under emulation.
	local line t
	line=$(ct_list | grep 'dport=7000' | head -1)
	t=$(echo "$line" | awk '{print $3}')
	echo "$line"
	check "handback: idle flow handed back to conntrack (no [OFFLOAD])" "! echo '$line' | grep -q OFFLOAD"
	check "handback: ESTABLISHED with a relative timeout, not zero, not a day ($t s)" \
		"echo '$line' | grep -q ESTABLISHED && [ '$t' -gt 1000 ] && [ '$t' -le 432000 ]"
	wait
	check "handback: all 2 MB arrived across the hand-back" "[ \$(stat -c %s /tmp/handback.out) -eq 2000000 ]"
	check "handback: conntrack judged no packet INVALID" "[ \$(invalid_packets) -eq 0 ]"
	teardown_topology
}

# --------------------------------------------------------------------- 4
# tcp_closing=1: upstream's closing state. The close rides the
# fastpath and the flow stays offloaded (closing) until it ends; whatever ends
# it, conntrack takes the connection back in CLOSE, ready for a reopen.
scenario_fin_rst()
{
	echo Y > /sys/module/flowlane/parameters/tcp_closing
	topology || return
	ruleset_all
	sv sh -c 'nc -l -p 7100 > /dev/null' &
	sv_listening tcp 7100
	local fin0
	fin0=$(slow_count tcp-fin-rst)
	cl sh -c '(head -c 200000 /dev/zero; sleep 4) | nc -N 10.0.2.2 7100' &
	sleep 1
	ct_await ct_list 'dport=7100' OFFLOAD
	check "fin: offloaded while open" "grep -q OFFLOAD <<< \"\$entry\""
	wait
	sleep 1
	ct_sample ct_list 'dport=7100'
	check "fin: after the close the flow is still offloaded (closing)" "grep -q OFFLOAD <<< \"\$entry\""
	# The totals count since load: earlier scenarios' closes are in them.
	check "fin: the close itself rode the fastpath (tcp-fin-rst slowpath $fin0 -> $(slow_count tcp-fin-rst))" \
		"[ '$(slow_count tcp-fin-rst)' = '$fin0' ]"
	# Ending the flowtable ends the closing flow: conntrack gets CLOSE.
	rt nft delete table inet x
	sleep 2
	ct_list | grep 'dport=7100' | head -1
	check "fin: handed back closed (CLOSE, not ESTABLISHED)" \
		"ct_list | grep 'dport=7100' | grep -q ' CLOSE ' && ! ct_list | grep 'dport=7100' | grep -q OFFLOAD"
	teardown_topology
	echo N > /sys/module/flowlane/parameters/tcp_closing
}

# tcp_closing=0, the module's default: 6.1's immediate teardown.
scenario_fin_teardown()
{
	check "fin0: 6.1's teardown is the module's default" "[ \$(cat /sys/module/flowlane/parameters/tcp_closing) = N ]"
	topology || return
	ruleset_all
	sv sh -c 'nc -l -p 7150 > /dev/null' &
	sv_listening tcp 7150
	cl sh -c '(head -c 200000 /dev/zero; sleep 3) | nc -N 10.0.2.2 7150' &
	sleep 1
	ct_await ct_list 'dport=7150' OFFLOAD
	check "fin0: offloaded while open" "grep -q OFFLOAD <<< \"\$entry\""
	wait
	sleep 1
	ct_list | grep 'dport=7150' | head -1
	check "fin0: closed with FIN: no longer offloaded at once" "! ct_list | grep 'dport=7150' | grep -q OFFLOAD"
	check "fin0: conntrack follows the close (TIME_WAIT/CLOSE/LAST_ACK/FIN_WAIT)" \
		"ct_list | grep 'dport=7150' | grep -qE 'TIME_WAIT|CLOSE|LAST_ACK|FIN_WAIT'"
	teardown_topology
}

# --------------------------------------------------------------------- 5
scenario_disruption()
{
	topology || return
	ruleset_all
	sv sh -c 'nc -l -k -p 7300 > /dev/null' &
	local srv=$!
	sv_listening tcp 7300
	# Steady traffic (about 2 MB/s) for the whole scenario.
	# Long enough for a loaded emulator; the server's end after rmmod ends it sooner.
	cl sh -c 'while head -c 100000 /dev/zero; do sleep 0.05; done | timeout 90 nc 10.0.2.2 7300' &
	sleep 3
	check "disrupt: offloaded under traffic" "ct_list | grep 'dport=7300' | grep -q OFFLOAD"
	rt nft delete table inet x
	check "disrupt: flowtable deleted under traffic" "! rt nft list tables | grep -q 'inet x'"
	sleep 1
	ruleset_all
	sleep 3
	check "disrupt: flowtable re-created, flow offloaded again" "ct_list | grep 'dport=7300' | grep -q OFFLOAD"
	ip -n rt link del eth1
	sleep 1
	check "disrupt: server device deleted under traffic: flow gone" "! ct_list | grep 'dport=7300' | grep -q OFFLOAD"
	# Back to a working path, offloaded, then flush and unload while it flows.
	ip link add eth1 netns rt type veth peer name eth1b netns sv
	ip -n rt link set eth1 up; ip -n sv link set eth1b up
	ip -n rt addr add 10.0.2.1/24 dev eth1
	ip -n sv addr flush dev eth0; ip -n sv addr add 10.0.2.2/24 dev eth1b
	ip -n sv route replace default via 10.0.2.1
	rt nft flush ruleset
	ruleset_all
	sleep 4
	check "disrupt: offloaded again on the new device" "ct_list | grep 'dport=7300' | grep -q OFFLOAD"
	rt nft flush ruleset
	check "disrupt: nft flush ruleset under traffic" "! ct_list | grep 'dport=7300' | grep -q OFFLOAD"
	flowlane_stats | head -1
	check "disrupt: rmmod flowlane under traffic" "rmmod flowlane"
	sleep 1
	kill $srv 2>/dev/null
	wait
	teardown_topology
	check "disrupt: flowlane.ko reloads" "flowlane_load >/dev/null"
}

# --------------------------------------------------------------------- 6
# Print the first conntrack entry matching $2 from lister $1 and keep it in
# $entry: a check then judges what was printed, not a later listing that could
# already see the connection close.
ct_sample() { entry=$($1 | grep "$2" | head -1); echo "$entry"; }
# Like ct_sample, but looks again every quarter second (up to 10 s) until the
# entry shows $3: a transfer that ends quickly on an idle host is seen while it
# is still open, and a slow one under load gets the time it needs.
ct_await()
{
	local i
	for i in $(seq 40); do
		entry=$($1 | grep "$2" | head -1)
		grep -q "$3" <<< "$entry" && break
		sleep 0.25
	done
	echo "$entry"
}
slow_count() { awk -v r="$1" '$1 == "slowpath" && $2 == r {print $3}' /sys/kernel/debug/flowlane/totals; }
tun_rx() { rt cat /sys/class/net/tun0/statistics/rx_packets; }

# IPIP (4) or IP6IP6 (6) between the client and the router, the client's
# traffic to the server inside it.
tunnel_topology()
{
	topology || return
	if [ "$1" = 4 ]; then
		cl ip link add tun0 type ipip local 10.0.1.2 remote 10.0.1.1
		rt ip link add tun0 type ipip local 10.0.1.1 remote 10.0.1.2
		cl ip addr add 10.9.0.2/30 dev tun0; rt ip addr add 10.9.0.1/30 dev tun0
	else
		for ns in cl rt sv; do ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=0; done
		rt sysctl -qw net.ipv6.conf.all.forwarding=1
		rt ip -6 addr add 2001:db8:1::1/64 dev eth0 nodad; cl ip -6 addr add 2001:db8:1::2/64 dev eth0 nodad
		cl ip link add tun0 type ip6tnl mode ip6ip6 local 2001:db8:1::2 remote 2001:db8:1::1 encaplimit none
		rt ip link add tun0 type ip6tnl mode ip6ip6 local 2001:db8:1::1 remote 2001:db8:1::2 encaplimit none
		cl ip -6 addr add fd00:9::2/64 dev tun0 nodad; rt ip -6 addr add fd00:9::1/64 dev tun0 nodad
		rt ip -6 addr add 2001:db8:2::1/64 dev eth1 nodad; sv ip -6 addr add 2001:db8:2::2/64 dev eth0 nodad
		sv ip -6 route add default via 2001:db8:2::1
	fi
	cl ip link set tun0 up; rt ip link set tun0 up
	if [ "$1" = 4 ]; then
		cl ip route add 10.0.2.0/24 dev tun0 src 10.9.0.2
		cl ping -c1 -W5 10.0.2.2 >/dev/null
	else
		cl ip -6 route add 2001:db8:2::/64 dev tun0 src fd00:9::2
		cl ping -6 -c1 -W5 2001:db8:2::2 >/dev/null || { sleep 2; cl ping -6 -c1 -W5 2001:db8:2::2 >/dev/null; }
	fi
}

# Ten IPIP frames from the client's eth0 to the router whose outer header
# length is 4 words (16 bytes: shorter than the header itself).
send_bad_ihl()
{
	local dmac smac
	dmac=$(rt cat /sys/class/net/eth0/address); smac=$(cl cat /sys/class/net/eth0/address)
	cl python3 -c '
import socket, sys
dst, src = (bytes.fromhex(m.replace(":", "")) for m in sys.argv[1:3])
inner = bytes([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0]) + socket.inet_aton("10.9.0.2") \
	+ socket.inet_aton("10.0.2.2") + bytes(20)
outer = bytes([0x44, 0, 0, 20 + len(inner), 0, 0, 0x40, 0, 64, 4, 0, 0]) \
	+ socket.inet_aton("10.0.1.2") + socket.inet_aton("10.0.1.1")
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
for _ in range(10):
	s.send(dst + src + b"\x08\x00" + outer + inner)
' "$dmac" "$smac"
}

scenario_tunnel()
{
	local v=$1 family=ip srv=10.0.2.2 port=7400 hits0 hits1 rx0 rx1 m0 m1 ct=ct_list six=
	# OpenBSD nc listens on IPv4 only unless told otherwise.
	[ "$v" = 6 ] && family=ip6 srv=2001:db8:2::2 port=7600 ct=ct_list6 six=-6
	tunnel_topology "$v" || { fail "tunnel$v: topology"; teardown_topology; return; }
	rt nft -f - <<EOF
table $family t {
	flowtable f { hook ingress priority 0; devices = { eth0, eth1 }; }
	chain y {
		type filter hook forward priority 0; policy accept;
		meta l4proto tcp flow add @f
	}
}
EOF
	# Bounded: a stalled transfer fails the checks instead of hanging the guest.
	sv sh -c "timeout 240 nc $six -l -p $port > /tmp/tunnel$v.out" &
	sv_listening tcp $port
	head -c 3000000 /dev/urandom > /tmp/tunnel$v.in
	hits0=$(flowlane_hits); rx0=$(tun_rx)
	cl sh -c "(cat /tmp/tunnel$v.in; sleep 3) | timeout 230 nc -N $srv $port" &
	sleep 1
	ct_await $ct "dport=$port" OFFLOAD
	check "tunnel$v: conntrack shows [OFFLOAD] for the tunnelled flow" "grep -q OFFLOAD <<< \"\$entry\""
	wait
	hits1=$(flowlane_hits); rx1=$(tun_rx)
	echo "tunnel$v: flowlane fastpath hits $((hits1 - hits0)); tun0 received $((rx1 - rx0)) packets"
	check "tunnel$v: 3 MB arrived intact" "cmp -s /tmp/tunnel$v.in /tmp/tunnel$v.out"
	check "tunnel$v: packets took flowlane's fastpath (> 100 hits)" "[ $((hits1 - hits0)) -gt 100 ]"
	check "tunnel$v: the tunnel device saw few of them (< 40)" "[ $((rx1 - rx0)) -lt 40 ]"
	if [ "$v" = 4 ]; then
		m0=$(slow_count malformed)
		send_bad_ihl
		sleep 1
		m1=$(slow_count malformed)
		check "tunnel4: IPIP with ihl 4 went to the classic path as malformed ($m0 -> $m1)" "[ $((m1 - m0)) -ge 10 ]"
		check "tunnel4: the router still forwards" "cl ping -c1 -W5 10.0.2.2 >/dev/null"
	fi
	teardown_topology
}
scenario_ipip() { scenario_tunnel 4; }
scenario_ip6ip6() { scenario_tunnel 6; }

# --------------------------------------------------------------------- 7
ct_packets() { ct_list | grep -- "$1" | head -1 | sed -n 's/.*packets=\([0-9]*\).*/\1/p'; }

scenario_live_updates()
{
	topology || return
	rt sysctl -qw net.netfilter.nf_conntrack_acct=1
	rt sysctl -qw net.netfilter.nf_flowtable_tcp_timeout=30
	rt nft -f - <<'EOF'
table inet x {
	flowtable f {
		hook ingress priority 0; devices = { eth0, eth1 };
	}
	chain y {
		type filter hook forward priority 0; policy accept;
		meta l4proto tcp flow add @f
	}
}
EOF
	sv sh -c 'nc -l -p 7400 > /dev/null' &
	sv_listening tcp 7400
	# A line every 0.2 s for 10 s (the flow refreshes all along), then 12 s
	# of silence with the connection open (no FIN to tear the flow down).
	cl sh -c '(for i in $(seq 50); do echo line; sleep 0.2; done; sleep 12) | nc -N 10.0.2.2 7400' &
	local client=$! p0 p1
	sleep 3
	check "live: offloaded" "ct_list | grep 'dport=7400' | grep -q OFFLOAD"
	p0=$(ct_packets 'dport=7400')
	sleep 2
	check "live: without the counter flag conntrack counts no offloaded packet ($p0)" \
		"[ '$(ct_packets 'dport=7400')' = '$p0' ]"
	rt nft add flowtable inet x f '{ hook ingress priority 0; devices = { eth0, eth1 }; counter; }'
	check "live: the update set the counter flag" "rt nft list flowtable inet x f | grep -q counter"
	sleep 2
	p1=$(ct_packets 'dport=7400')
	check "live: after the update conntrack counts them ($p0 -> $p1)" "[ -n '$p1' ] && [ '$p1' -gt '$p0' ]"
	rt sysctl -qw net.netfilter.nf_flowtable_tcp_timeout=2
	# The last packets refreshed the flow with the new 2 s, not the 30 s it
	# was added with: some 6 s after them it is handed back, connection open.
	sleep 9
	check "live: the lowered timeout reached the live flow (handed back within 5 s)" \
		"! ct_list | grep 'dport=7400' | grep -q OFFLOAD"
	wait $client
	wait
	teardown_topology
}

dmesg -C
flowlane_load || exit 1
# scenario_ip6ip6 is run on request only until it has passed in a guest: its
# first run hung on an IPv4-only listener (fixed, not re-run yet).
# scenario_live_updates likewise (written, not yet run in a guest).
for s in ${*:-scenario_article scenario_udp_expiry scenario_tcp_handback scenario_fin_rst scenario_fin_teardown scenario_disruption scenario_ipip}; do
	echo "=== $s"
	$s
	check "$s: dmesg clean" "dmesg_clean $s"
done
flowlane_stats | head -3
echo "scenarios: $fails failed"
[ $fails -eq 0 ]
