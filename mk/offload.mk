# SPDX-License-Identifier: GPL-2.0
# Hardware offload in a guest: stock and flowlane flowtables with `flags offload`
# on ftnic ports (kunit/guest/offload.sh).
.PHONY: vm-offload vm-offload-quick
vm-offload: module
	testing/vm/run-guest --timeout 1800 kunit/guest/offload.sh
# The four-run comparison, the refusal on devices without ndo_setup_tc, and the
# lifecycle teardown cases (FIN/RST, flush, fault site hw, flowtable and device
# delete, rmmod of either module while traffic flows); not the refusing driver,
# full table and timeout cases.
vm-offload-quick: module
	testing/vm/run-guest --timeout 900 kunit/guest/offload.sh quick
