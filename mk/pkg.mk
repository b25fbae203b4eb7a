# SPDX-License-Identifier: GPL-2.0
# Installing flowlane beside the rest of the kernel (Documentation/install.rst).

# flowlane.ko beside nf_flow_table and act_ct: load order, the stock modules it
# replaces kept out, tc's action ct forwarding while nft runs on flowlane, and
# `flowlane kernel status` on the real module.
.PHONY: vm-coexist
vm-coexist: module $(REL)/flowlane
	testing/vm/run-guest --timeout 600 kunit/guest/coexist.sh
