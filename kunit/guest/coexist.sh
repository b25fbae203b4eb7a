# SPDX-License-Identifier: GPL-2.0
# Guest side of `make vm-coexist`: flowlane.ko beside the rest of the kernel.
#
#  1. load order: flowlane refuses to load while nf_flow_table_inet or
#     nft_flow_offload is loaded (each would keep serving nft), and loads
#     beside the stock flowtable core nf_flow_table;
#  2. once loaded, it keeps the two modules it replaces out, by modprobe
#     (the modprobe configuration) and past it (the module's own check);
#  3. `modprobe act_ct` succeeds; a router forwards TCP through tc's
#     `action ct` (act_ct's flow table on the stock core: [OFFLOAD] in its
#     conntrack, the ct_state +est filter counting) while a second router's
#     nft flowtable runs on flowlane (its /proc/net/flowlane hits);
#     `flowlane kernel status` shows both namespaces (--json for scripts);
#  4. with flowlane gone the stock modules load again and the status command
#     says the module is not loaded.
# dmesg stays clean throughout.
set -u
. kunit/guest/flowlane-env.sh
ko=${FLOWLANE_KO:-$PWD/flowlane.ko}
cli=${FLOWLANE_CLI:-$PWD/build/rel/flowlane}

. kunit/guest/install-lib.sh

dmesg -C

# --------------------------------------------------------------------- 1
echo "=== load order"
for stock in nf_flow_table_inet nft_flow_offload; do
	modprobe "$stock"
	check "order: $stock loaded first (modules:$(modules))" "loaded $stock"
	modprobe nf_conntrack && modprobe nf_tables
	check "order: flowlane refuses to load while $stock is loaded" "! insmod $ko 2>/dev/null"
	check "order: ... and says why" "dmesg | grep -q 'flowlane: $stock is loaded and would keep serving nft'"
	modprobe -r "$stock"
done
modprobe nf_flow_table
check "order: the stock core nf_flow_table loads on its own" "loaded nf_flow_table && ! loaded nf_flow_table_inet"
check "order: flowlane loads beside nf_flow_table" "flowlane_load >/dev/null"
echo "modules:$(modules)"

# --------------------------------------------------------------------- 2
echo "=== keeping out what flowlane replaces"
for stock in nf_flow_table_inet nft_flow_offload; do
	check "keep out: modprobe $stock fails (modprobe configuration)" "! modprobe $stock 2>/tmp/modprobe.err"
	sed 's/^/    /' /tmp/modprobe.err | head -2
	check "keep out: modprobe --ignore-install $stock fails (flowlane refuses it)" \
		"! modprobe --ignore-install $stock 2>/dev/null"
	check "keep out: ... with flowlane's note in dmesg" "dmesg | grep -q 'flowlane: keeping $stock out'"
	check "keep out: $stock not loaded" "! loaded $stock"
done

# --------------------------------------------------------------------- 3
echo "=== act_ct beside flowlane"
check "act_ct: modprobe act_ct succeeds" "modprobe act_ct"
echo "modules:$(modules)"
topology a && topology b || fail "coexist: topologies"

# Router a: the seed article's ruleset on flowlane.
article_ruleset art
# Router b: conntrack through tc, as OVS offloads it: untracked TCP goes
# through `action ct commit`, then chain 1 counts established packets.
for dev in eth0 eth1; do
	ip netns exec brt tc qdisc add dev $dev ingress
	ip netns exec brt tc filter add dev $dev ingress protocol ip chain 0 prio 1 flower ip_proto tcp ct_state -trk \
		action ct commit action goto chain 1
	ip netns exec brt tc filter add dev $dev ingress protocol ip chain 1 prio 1 flower ip_proto tcp ct_state +trk+est \
		action pass
done
transfer a 80 2000000 /tmp/coexist-a.out
transfer b 80 2000000 /tmp/coexist-b.out
check "nft: router a's flow is offloaded" "eventually 8 offloaded art 80"
check "act_ct: router b's flow is in act_ct's flow table (stock core)" "eventually 8 offloaded brt 80"
ip netns exec art conntrack -L 2>/dev/null | grep 'dport=80' | head -1
ip netns exec brt conntrack -L 2>/dev/null | grep 'dport=80' | head -1
wait
est=$(ip netns exec brt tc -s filter show dev eth1 ingress chain 1 | awk '/Sent/ {print $4; exit}')
hits=$(flowlane_table_hits art)
echo "router a: /proc/net/flowlane:"
ip netns exec art sed 's/^/    /' /proc/net/flowlane
echo "router b: tc ct_state +trk+est on eth1 counted ${est:-0} packets"
check "act_ct: 2 MB forwarded intact through action ct" "[ \$(stat -c %s /tmp/coexist-b.out) -eq 2000000 ]"
check "act_ct: the ct_state +trk+est filter matched the reply stream (${est:-0} > 10)" "[ ${est:-0} -gt 10 ]"
check "nft: 2 MB forwarded intact through flowlane" "[ \$(stat -c %s /tmp/coexist-a.out) -eq 2000000 ]"
check "nft: router a's flowtable ran on flowlane (${hits:-0} fastpath hits > 100)" "[ ${hits:-0} -gt 100 ]"
check "nft: router b has no flowlane flowtable" "! ip netns exec brt grep -q '^flowtable' /proc/net/flowlane"
check "lsmod: act_ct and nf_flow_table beside flowlane, no stock flowtable types or expression" \
	"loaded act_ct && loaded nf_flow_table && loaded flowlane && ! loaded nf_flow_table_inet && ! loaded nft_flow_offload"

echo "--- flowlane kernel status"
"$cli" kernel status > /tmp/status.txt
rc=$?
cat /tmp/status.txt
check "status: exit 0 with the module loaded" "[ $rc -eq 0 ]"
check "status: nft runs on flowlane beside nf_flow_table and act_ct" \
	"grep -q \"nft's flowtables run on flowlane\" /tmp/status.txt && grep -q 'beside it: nf_flow_table, act_ct' /tmp/status.txt"
check "status: router a's flowtable with its hits" "grep -A1 '^netns art:' /tmp/status.txt | grep -q 'ip filter f: flows [0-9]*, hits $hits,'"
check "status: router b has no flowtables" "grep -q '^netns brt: no flowtables' /tmp/status.txt"
"$cli" kernel status --json > /tmp/status.json
check "status --json: router a's hits, totals from debugfs" "python3 -c '
import json, sys
d = json.load(open(\"/tmp/status.json\"))
ns = {n[\"name\"]: n for n in d[\"namespaces\"]}
ft = ns[\"art\"][\"flowtables\"][0]
assert d[\"module\"][\"nft_uses\"] == \"flowlane\", d[\"module\"]
assert (ft[\"family\"], ft[\"table\"], ft[\"name\"]) == (\"ip\", \"filter\", \"f\"), ft
assert ft[\"stats\"][\"hits\"] == $hits and ft[\"stats\"][\"slowpath\"][\"no-entry\"] > 0, ft
assert d[\"debugfs\"][\"totals\"][\"hits\"] >= $hits, d[\"debugfs\"]
'"

# --------------------------------------------------------------------- 4
echo "=== flowlane removed"
ip netns exec art nft flush ruleset
teardown acl art asv bcl brt bsv
sleep 1
check "remove: rmmod flowlane" "rmmod flowlane"
"$cli" kernel status > /tmp/status.txt 2>&1
rc=$?
sed 's/^/    /' /tmp/status.txt
check "status: exit 1 and says so when the module is not loaded" \
	"[ $rc -eq 1 ] && grep -q 'flowlane kernel module is not loaded' /tmp/status.txt"
check "remove: act_ct still loaded and unloads on its own" "loaded act_ct && modprobe -r act_ct"
check "remove: the stock flowtable types load again" "modprobe --ignore-install nf_flow_table_inet"
check "remove: the stock flow_offload expression loads again" "modprobe --ignore-install nft_flow_offload"
modprobe -r nft_flow_offload nf_flow_table_inet
rm -f /etc/modprobe.d/flowlane.conf
echo "modules:$(modules)"

dmesg > /tmp/coexist.dmesg
check "dmesg clean" "testing/vm/check-dmesg /tmp/coexist.dmesg coexist"
echo "coexist: $fails failed"
[ $fails -eq 0 ]
