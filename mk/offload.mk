# SPDX-License-Identifier: GPL-2.0
# Hardware offload in a guest: stock and flowlane flowtables with `flags offload`
# on ftnic ports (kunit/guest/offload.sh).
.PHONY: vm-offload vm-offload-quick
vm-offload: module
	testing/vm/run-guest --timeout 1800 kunit/guest/offload.sh
# The four-run comparison only (no lifecycle and fault cases).
vm-offload-quick: module
	testing/vm/run-guest --timeout 900 kunit/guest/offload.sh quick
