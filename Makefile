# SPDX-License-Identifier: GPL-2.0
#
# flowlane top-level Makefile.
#
#   make            libflowlane (static + shared) and the tools, release build
#   make check      every test: Catch2 (release, ASan+UBSan, TSan), fuzz, freestanding, kernel
#   make demo       the default scenario
#   make bench      Google Benchmark suite
#
# When invoked by Kbuild (make -C $KDIR M=$PWD) this file only hands over to ./Kbuild.

ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

SHELL := /bin/bash
.DEFAULT_GOAL := all
# Build in parallel unless told otherwise (make -j1 ...); sub-makes share the jobserver.
ifeq ($(MAKELEVEL),0)
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc)
endif
endif
TOP := $(abspath .)
BUILD ?= build
ifeq ($(origin CXX),default)
CXX := clang++
endif
ifeq ($(origin CC),default)
CC := clang
endif

# ---------------------------------------------------------------------------
# Debian packages the userspace side needs; `make deps` installs what is missing.
USER_PACKAGES := clang llvm libclang-rt-14-dev g++ make pkg-config liburcu-dev catch2 \
	libbenchmark-dev libabsl-dev libnl-3-dev libnl-route-3-dev libpcap-dev iproute2
DEPS_STAMP := $(BUILD)/.deps-user
# Installed before anything else is parsed: compiler flags below come from
# pkg-config, which needs the packages. The stamp keeps later runs quick.
ifeq ($(filter clean,$(MAKECMDGOALS)),)
ifeq ($(wildcard $(DEPS_STAMP)),)
DEPS_RESULT := $(shell scripts/need-packages $(USER_PACKAGES) 1>&2 && mkdir -p $(BUILD) && \
	touch $(DEPS_STAMP) && echo ok)
ifneq ($(DEPS_RESULT),ok)
$(error could not install the packages flowlane needs: $(USER_PACKAGES))
endif
endif
endif
.PHONY: deps
deps: $(DEPS_STAMP)
$(DEPS_STAMP):
	@mkdir -p $(@D)
	@scripts/need-packages $(USER_PACKAGES)
	@touch $@

# ---------------------------------------------------------------------------
# Sources (discovered, so new files need no Makefile edit).
#  core:      freestanding C++ (nf_flow_table/, offload/, the test NIC's engine in
#             offload/ftnic/): no stdlib, no exceptions
#  platform:  the userspace implementation of the boundary (platform/user); with
#             the core it makes libflowlane
#  sim:       the simulator product (sim/, minus the CLI's main): libflsim
#  rig:       the test rig's shared pieces (testing/fakes): libfltesting; the
#             shipped library, simulator and CLI never link it
CORE_SRCS     := $(sort $(wildcard nf_flow_table/*.cpp offload/*.cpp offload/ftnic/*.cpp))
PLATFORM_SRCS := $(sort $(wildcard platform/user/*.cpp))
SIM_SRCS      := $(sort $(shell find sim -name '*.cpp' -not -path 'sim/cli/main.cpp' 2>/dev/null))
CLI_SRCS      := $(wildcard sim/cli/main.cpp)
RIG_SRCS      := $(sort $(wildcard testing/fakes/*.cpp))
TEST_SRCS     := $(sort $(shell find testing/tests -name '*.cpp' 2>/dev/null))
BENCH_SRCS    := $(sort $(shell find testing/bench -name '*.cpp' 2>/dev/null))
FUZZ_SRCS     := $(sort $(shell find testing/fuzz -name '*_fuzz.cpp' 2>/dev/null))

PKG_CFLAGS := $(shell pkg-config --cflags liburcu-memb liburcu-cds libnl-3.0 libnl-route-3.0 libpcap 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs liburcu-memb liburcu-cds libnl-3.0 libnl-route-3.0 libpcap 2>/dev/null)

CPPFLAGS_ALL := -Iinclude -I. -MMD -MP
WARNINGS     := -Wall -Wextra -Werror -Wthread-safety -Wno-unused-parameter -Wshadow \
	-Wno-missing-field-initializers -Wimplicit-fallthrough
CXXSTD       := -std=c++20
CORE_FLAGS   := -fno-exceptions -fno-rtti -fno-threadsafe-statics -DFL_USERSPACE=1
HOST_FLAGS   := $(PKG_CFLAGS) -DFL_USERSPACE=1

# Build variants: rel (optimised), asan (ASan + UBSan), tsan (ThreadSanitizer).
VARIANTS     := rel asan tsan fuzz
OPT_rel      := -O2 -g
OPT_asan     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all -DFL_SANITIZE=1
OPT_tsan     := -O1 -g -fno-omit-frame-pointer -fsanitize=thread -DFL_SANITIZE=1
OPT_fuzz     := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
	-DFL_SANITIZE=1
LD_rel       :=
LD_asan      := -fsanitize=address,undefined
LD_tsan      := -fsanitize=thread
LD_fuzz      := -fsanitize=fuzzer-no-link,address,undefined

# make V=1 shows whole commands.
Q := $(if $(filter 1,$(V)),,@)

define variant_rules
$(BUILD)/$(1)/core/%.o: %.cpp | $(DEPS_STAMP)
	@mkdir -p $$(@D)
	@$(if $(Q),echo "  CXX [$(1)] $$<")
	$(Q)$$(CXX) $$(CXXSTD) $$(CPPFLAGS_ALL) $$(WARNINGS) $$(OPT_$(1)) $$(CORE_FLAGS) -fPIC -c $$< -o $$@
$(BUILD)/$(1)/host/%.o: %.cpp | $(DEPS_STAMP)
	@mkdir -p $$(@D)
	@$(if $(Q),echo "  CXX [$(1)] $$<")
	$(Q)$$(CXX) $$(CXXSTD) $$(CPPFLAGS_ALL) $$(WARNINGS) $$(OPT_$(1)) $$(HOST_FLAGS) -fPIC -c $$< -o $$@

CORE_OBJS_$(1)     := $$(patsubst %.cpp,$(BUILD)/$(1)/core/%.o,$(CORE_SRCS))
PLATFORM_OBJS_$(1) := $$(patsubst %.cpp,$(BUILD)/$(1)/host/%.o,$(PLATFORM_SRCS))
SIM_OBJS_$(1)      := $$(patsubst %.cpp,$(BUILD)/$(1)/host/%.o,$(SIM_SRCS))
RIG_OBJS_$(1)      := $$(patsubst %.cpp,$(BUILD)/$(1)/host/%.o,$(RIG_SRCS))
TEST_OBJS_$(1)     := $$(patsubst %.cpp,$(BUILD)/$(1)/host/%.o,$(TEST_SRCS))

$(BUILD)/$(1)/libflowlane.a: $$(CORE_OBJS_$(1)) $$(PLATFORM_OBJS_$(1))
	@rm -f $$@
	@$(if $(Q),echo "  AR  [$(1)] $$@")
	$(Q)ar rcs $$@ $$^
$(BUILD)/$(1)/libflsim.a: $$(SIM_OBJS_$(1))
	@rm -f $$@
	@$(if $(Q),echo "  AR  [$(1)] $$@")
	$(Q)ar rcs $$@ $$^
$(BUILD)/$(1)/libfltesting.a: $$(RIG_OBJS_$(1))
	@rm -f $$@
	@$(if $(Q),echo "  AR  [$(1)] $$@")
	$(Q)ar rcs $$@ $$^
# What the rig's programs (tests, fuzzers, benchmarks) link, in link order.
RIG_LIBS_$(1) := $(BUILD)/$(1)/libfltesting.a $(BUILD)/$(1)/libflsim.a $(BUILD)/$(1)/libflowlane.a
$(BUILD)/$(1)/flowlane_tests: $$(TEST_OBJS_$(1)) $$(RIG_LIBS_$(1))
	@$(if $(Q),echo "  LD  [$(1)] $$@")
	$(Q)$$(CXX) $$(OPT_$(1)) $$(LD_$(1)) -o $$@ $$(TEST_OBJS_$(1)) $$(RIG_LIBS_$(1)) $$(PKG_LIBS) -lpthread

-include $$(CORE_OBJS_$(1):.o=.d) $$(PLATFORM_OBJS_$(1):.o=.d) $$(SIM_OBJS_$(1):.o=.d) \
	$$(RIG_OBJS_$(1):.o=.d) $$(TEST_OBJS_$(1):.o=.d)
endef
$(foreach v,$(VARIANTS),$(eval $(call variant_rules,$(v))))

REL := $(BUILD)/rel
# The shared library exports the C API (fl_*, include/flowlane/) and nothing
# else (platform/user/libflowlane.map); its SONAME's number changes when that
# API changes incompatibly.
LIBFLOWLANE_SOVERSION := 0
$(REL)/libflowlane.so: $(CORE_OBJS_rel) $(PLATFORM_OBJS_rel) platform/user/libflowlane.map
	$(CXX) -shared -Wl,-soname,libflowlane.so.$(LIBFLOWLANE_SOVERSION) \
		-Wl,--version-script=platform/user/libflowlane.map -Wl,--as-needed -Wl,-z,relro -Wl,-z,now \
		-o $@ $(CORE_OBJS_rel) $(PLATFORM_OBJS_rel) $(PKG_LIBS) -lpthread

CLI_OBJS := $(patsubst %.cpp,$(REL)/host/%.o,$(CLI_SRCS))
# The CLI's --version: flowlane's one version (PACKAGE_VERSION in dkms.conf).
$(CLI_OBJS): HOST_FLAGS += -DFLOWLANE_VERSION='"$(shell scripts/flowlane-version)"'
$(CLI_OBJS): dkms.conf
-include $(CLI_OBJS:.o=.d)
$(REL)/flowlane: $(CLI_OBJS) $(REL)/libflsim.a $(REL)/libflowlane.a
	$(CXX) -o $@ $(CLI_OBJS) $(REL)/libflsim.a $(REL)/libflowlane.a $(PKG_LIBS) -lpthread

.PHONY: all lib tools
lib: $(REL)/libflowlane.a $(REL)/libflowlane.so
tools: $(if $(CLI_SRCS),$(REL)/flowlane)
all: lib tools

# Further targets live in mk/*.mk (tests, freestanding check, bench, fuzz, kernel, vm, demo).
# Each fragment appends the targets `make check` must run to CHECK_TARGETS.
CHECK_TARGETS :=
include $(sort $(wildcard mk/*.mk))
# Quick userspace checks first, the kernel (guests, KUnit) last.
CHECK_TARGETS := $(filter check-unit,$(CHECK_TARGETS)) \
	$(filter-out check-unit check-kernel,$(CHECK_TARGETS)) $(filter check-kernel,$(CHECK_TARGETS))

# `make check`: install what is missing, then run every check target in order, keep going
# after a failure so one run shows everything, and fail at the end if any failed.
.PHONY: check
check: $(DEPS_STAMP)
	@failed=""; \
	for t in $(CHECK_TARGETS); do \
		echo "=== make $$t"; \
		$(MAKE) --no-print-directory $$t || failed="$$failed $$t"; \
	done; \
	echo "=== check summary: $(words $(CHECK_TARGETS)) targets, failed:$${failed:- none}"; \
	[ -z "$$failed" ]

.PHONY: clean
clean:
	rm -rf $(BUILD)
	-$(MAKE) -s module-clean 2>/dev/null || true

endif
