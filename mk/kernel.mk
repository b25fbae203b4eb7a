# SPDX-License-Identifier: GPL-2.0
# The kernel side: flowlane.ko for Debian's 6.1 kernel, the guest tests and KUnit.
KERNEL_PACKAGES := linux-headers-amd64 linux-image-amd64 linux-source-6.1 \
	linux-headers-6.12-amd64 linux-image-6.12-amd64 linux-source-6.12 dwarves g++ make bc flex \
	bison libelf-dev libssl-dev python3 kmod cpio qemu-system-x86 busybox-static
GUEST_PACKAGES := nftables conntrack iproute2 iputils-ping netcat-openbsd socat procps
# Recursive: expanded in recipes, after $(BUILD)/.deps-kernel installed the kernels
# (testing/vm/run-guest discovers the same release itself). GUEST_KVER is the
# default guest (newest 6.1); MODULE_KVERS every kernel `make module` builds for:
# the newest installed of each line (6.1, 6.12), or only KVER= when given.
GUEST_KVER ?= $(shell scripts/guest-kver)
MODULE_KVERS = $(or $(KVER),$(shell scripts/guest-kver --all))
# The headers of release $(1) (KDIR= overrides, for a single KVER).
module_kdir = $(or $(KDIR),$(if $(wildcard /lib/modules/$(1)/build/Makefile),/lib/modules/$(1)/build,/usr/src/linux-headers-$(1)))

$(BUILD)/.deps-kernel: scripts/need-packages
	@mkdir -p $(@D)
	@scripts/need-packages $(KERNEL_PACKAGES) $(GUEST_PACKAGES)
	@touch $@

# The iproute2 plugin behind `ip link add A type ftnic peer name B`: ip loads
# link_ftnic.so from $IP_LIB_DIR (the guest tests point it at $(BUILD)/ip).
FTNIC_IPLIB := $(BUILD)/ip/link_ftnic.so
$(FTNIC_IPLIB): offload/ftnic/iproute2/link_ftnic.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) -shared -fPIC -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -o $@ $<

# Each kernel's modules are built in a tree of its own, $(BUILD)/module/<release>
# (directories, and symbolic links to the sources), so objects of two kernels never
# mix; flowlane.ko and ftnic.ko at the top and in $(BUILD) are the default guest
# kernel's. Guest scripts pick the running kernel's (kunit/guest/flowlane-env.sh).
MODULE_SOURCES := Kbuild dkms.conf include kunit nf_flow_table offload scripts
# No BTF for the modules: Debian 12's pahole (1.24) cannot encode the C++
# objects' DWARF and fails the build (6.12 encodes module BTF; 6.1's headers
# ship no vmlinux and skip it). dkms.conf passes the same.
FLOWLANE_KBUILD_ARGS := CONFIG_DEBUG_INFO_BTF_MODULES=

.PHONY: module module-clean
module: $(BUILD)/.deps-kernel $(FTNIC_IPLIB)
	@set -e; for k in $(MODULE_KVERS); do \
		$(MAKE) --no-print-directory module-one MODULE_ONE=$$k; \
	done
	@def=$(BUILD)/module/$(GUEST_KVER); if [ -f $$def/flowlane.ko ]; then \
		cp -f $$def/flowlane.ko $$def/ftnic.ko . && cp -f $$def/flowlane.ko $$def/ftnic.ko $(BUILD)/; \
		nm -u flowlane.ko | awk '{print $$2}' > $(BUILD)/flowlane.undef; \
	fi

.PHONY: module-one
module-one:
	@echo "--- flowlane.ko for $(MODULE_ONE)"
	@d=$(BUILD)/module/$(MODULE_ONE); mkdir -p $$d; \
		cp -rsf $(addprefix $(TOP)/,$(MODULE_SOURCES)) $$d/; \
		find $$d -xtype l -delete
	$(MAKE) -C $(call module_kdir,$(MODULE_ONE)) M=$(abspath $(BUILD))/module/$(MODULE_ONE) \
		$(FLOWLANE_KBUILD_ARGS) modules
	@d=$(BUILD)/module/$(MODULE_ONE); \
		echo "flowlane.ko ($(MODULE_ONE)): $$(nm -u $$d/flowlane.ko | wc -l) undefined symbols, all resolved by the kernel (checked by modpost)"; \
		echo "ftnic.ko ($(MODULE_ONE)): $$(nm -u $$d/ftnic.ko | wc -l) undefined symbols, all resolved by the kernel (checked by modpost)"

module-clean:
	rm -rf $(BUILD)/module
	rm -f flowlane.ko ftnic.ko

# Boot the guest, load flowlane.ko with its self-check, unload, clean dmesg.
.PHONY: vm-check
vm-check: module
	testing/vm/run-guest --timeout 600 kunit/guest/smoke.sh flowlane.ko

# The Linux 6.1 flowtable selftest with the stock modules (validates the runner).
.PHONY: vm-selftest-stock
vm-selftest-stock: $(BUILD)/.deps-kernel
	testing/vm/run-guest --timeout 1500 kunit/guest/selftest.sh "$$(scripts/fetch-selftest)" stock

# flowlane driven by nft: the Linux 6.1 flowtable selftest (11 PASS lines
# required) and flowlane's own scenarios, with the stock modules kept out.
.PHONY: vm-selftest vm-scenarios
vm-selftest: module
	testing/vm/run-guest --timeout 1500 kunit/guest/selftest.sh "$$(scripts/fetch-selftest)" flowlane
vm-scenarios: module
	testing/vm/run-guest --timeout 900 kunit/guest/scenarios.sh

# KUnit on UML and on x86_64 under QEMU (scratch kernel tree in FLOWLANE_CACHE).
.PHONY: kunit-um kunit-x86
kunit-um: $(BUILD)/.deps-kernel
	scripts/kunit-run um
kunit-x86: $(BUILD)/.deps-kernel
	scripts/kunit-run x86_64

# Everything kernel-side, one after the other (each boots its own guest).
# KUnit runs on UML here; the x86_64 kernel (kunit-x86, kunit-x86-sanitized)
# is a build of its own that a fresh machine pays 10 to 30 minutes for, outside
# make check's hour.
.PHONY: check-kernel
check-kernel: module
	@failed=""; \
	for t in vm-check vm-coexist vm-install vm-scenarios vm-selftest vm-selftest-612 vm-offload-quick vm-equivalence check-hostile check-chaos vm-bench-smoke kunit-um; do \
		echo "--- make $$t"; \
		$(MAKE) --no-print-directory $$t || failed="$$failed $$t"; \
	done; \
	echo "--- kernel summary: failed:$${failed:- none}"; \
	[ -z "$$failed" ]
CHECK_TARGETS += check-kernel
