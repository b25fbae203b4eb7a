# SPDX-License-Identifier: GPL-2.0
# Reliability under chaos (guests booted with slub_debug=FZPU):
#   make check-chaos       churn + faults + concurrent TCP/UDP flows (kunit/guest/chaos.sh);
#                          CHAOS_MINUTES= for a long run (default: 90 s, part of make check)
#                          CHAOS_TCP= CHAOS_UDP= flows, CHAOS_SEED= to replay a run
CHAOS_MINUTES ?=
CHAOS_SECS = $(if $(CHAOS_MINUTES),$(shell echo $$(( $(CHAOS_MINUTES) * 60 ))),90)
CHAOS_TCP ?= $(if $(CHAOS_MINUTES),1000,200)
CHAOS_UDP ?= $(if $(CHAOS_MINUTES),1000,200)
CHAOS_SEED ?= $(shell echo $$RANDOM)
SLUB_DEBUG_APPEND := --append slub_debug=FZPU
# A soft lockup ends the chaos guest at once (not at the timeout), with the
# stuck CPUs' stacks on the console (loglevel 5 shows the traces' level).
CHAOS_APPEND := $(SLUB_DEBUG_APPEND) --append "softlockup_panic=1 softlockup_all_cpu_backtrace=1 loglevel=5"

.PHONY: check-chaos vm-chaos
check-chaos vm-chaos: module
	@start=$$(date +%s); \
	testing/vm/run-guest --timeout $$(( $(CHAOS_SECS) + 600 )) --mem 3072 $(CHAOS_APPEND) \
		kunit/guest/chaos.sh $(CHAOS_SECS) $(CHAOS_TCP) $(CHAOS_UDP) $(CHAOS_SEED); \
	status=$$?; echo "check-chaos: $$(( $$(date +%s) - start )) s"; exit $$status

#   make check-hostile     hostile frames from a packet socket at the flowtable devices of a
#                          router with offloaded flows (kunit/guest/hostile.sh), seeded from
#                          the fastpath fuzzer's kept corpus; HOSTILE_FRAMES= per device
HOSTILE_FRAMES ?= 3000
HOSTILE_SEED ?= $(shell echo $$RANDOM)

.PHONY: check-hostile vm-hostile
check-hostile vm-hostile: module
	@start=$$(date +%s); \
	testing/vm/run-guest --timeout 900 $(SLUB_DEBUG_APPEND) \
		kunit/guest/hostile.sh $(HOSTILE_FRAMES) $(HOSTILE_SEED); \
	status=$$?; echo "check-hostile: $$(( $$(date +%s) - start )) s"; exit $$status

#   make kunit-x86-sanitized   the KUnit suites on x86_64 under KASAN, PROVE_LOCKING and
#                              DEBUG_ATOMIC_SLEEP (kunit/sanitize.kunitconfig); fails on any
#                              sanitizer report in the kernel log
.PHONY: kunit-x86-sanitized
kunit-x86-sanitized: $(BUILD)/.deps-kernel
	KUNIT_SANITIZE=1 scripts/kunit-run x86_64
