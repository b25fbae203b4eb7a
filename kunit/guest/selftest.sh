# SPDX-License-Identifier: GPL-2.0
# Guest side: run a kernel line's own flowtable selftest unchanged
# (scripts/fetch-selftest LINE; any guest kernel), then count its PASS and FAIL
# lines (both print "FAIL: ipsec ..." without changing their exit status).
#  6.1:  tools/testing/selftests/netfilter/nft_flowtable.sh, with a pinned seed
#        (a ~9 MB transfer file) and its sleeps stretched three-fold for
#        emulation; 11 PASS lines when everything passes.
#  6.12: tools/testing/selftests/net/netfilter/nft_flowtable.sh from its own
#        directory (it sources lib.sh and ../lib.sh), its default MTUs and
#        transfer size passed explicitly, lib.sh's wait timeout (WAIT_TIMEOUT,
#        its only sleep knob) stretched three-fold; 17 PASS lines.
# usage: selftest.sh SELFTEST_PATH MODE   (MODE: stock | flowlane)
set -u
selftest=$1 mode=$2
kver=$(uname -r)
dir=$(mktemp -d)
# Which selftest: 6.12's sits in net/netfilter/ beside its lib.sh.
line=6.1
[ -f "$(dirname "$selftest")/lib.sh" ] && line=6.12
case "$line" in
6.1)
	want=11
	cp "$selftest" "$dir/nft_flowtable.sh"
	run=$dir
	cmd='sleep() { command sleep $(( ${1%.*} * 3 )); }; RANDOM=2; source ./nft_flowtable.sh'
	;;
6.12)
	want=17
	# The selftest's net/ directory: nft_flowtable.sh and lib.sh in netfilter/, lib.sh above.
	cp -r "$(dirname "$selftest")/.." "$dir/net"
	run=$dir/net/netfilter
	cmd='WAIT_TIMEOUT=60 bash ./nft_flowtable.sh -o 9000 -l 1500 -r 2000 -s 2097152'
	;;
esac
source=$(cat "$(dirname "$selftest")/source" 2>/dev/null || true)
[ -n "$source" ] || source=$(cat "$(dirname "$selftest")/../../source" 2>/dev/null || echo "unknown source")
if [ "$mode" = flowlane ]; then
	. kunit/guest/flowlane-env.sh
	flowlane_load || exit 1
fi
cd "$run"
start=$(date +%s)
bash -c "$cmd" > "$dir/out.txt" 2>&1
rc=$?
cd - >/dev/null
end=$(date +%s)
grep -E '^(PASS|FAIL|ERROR|SKIP)' "$dir/out.txt"
pass=$(grep -c '^PASS' "$dir/out.txt" || true)
fail=$(grep -cE '^(FAIL|ERROR)' "$dir/out.txt" || true)
echo "selftest ($mode): kernel $kver, nft_flowtable.sh of $source: exit $rc, $pass PASS (of $want), $fail FAIL, $((end - start)) s"
lsmod | grep -E '^(nf_flow_table|nft_flow_offload|flowlane)' | awk '{print "module loaded: " $1}'
if [ "$mode" = flowlane ]; then
	flowlane_stats
	if lsmod | grep -qE '^(nf_flow_table_inet|nft_flow_offload) '; then
		echo "the stock flowtable types or expression were loaded"
		exit 1
	fi
	echo "lsmod: no nf_flow_table_inet or nft_flow_offload; flowlane loaded"
	[ "$(flowlane_hits)" -gt 0 ] || { echo "flowlane's fastpath saw no hit"; exit 1; }
	dmesg > /tmp/selftest.dmesg
	testing/vm/check-dmesg /tmp/selftest.dmesg "selftest with flowlane" || exit 1
fi
[ "$rc" -eq 0 ] && [ "$pass" -eq "$want" ] && [ "$fail" -eq 0 ] || { tail -n 30 "$dir/out.txt"; exit 1; }
