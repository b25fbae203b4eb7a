# SPDX-License-Identifier: GPL-2.0
# Installing flowlane beside the rest of the kernel (Documentation/install.rst).

# flowlane.ko beside nf_flow_table and act_ct: load order, the stock modules it
# replaces kept out, tc's action ct forwarding while nft runs on flowlane.
.PHONY: vm-coexist
vm-coexist: module
	testing/vm/run-guest --timeout 600 kunit/guest/coexist.sh
