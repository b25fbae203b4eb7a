# SPDX-License-Identifier: GPL-2.0
# `make bench-kernel`: flowlane.ko against the stock nf_flow_table and
# conntrack alone, pktgen through a router namespace, one guest boot
# (kunit/guest/bench-kernel.sh; method and a recorded run:
# Documentation/benchmarks.rst). Not part of `make check`, which runs
# vm-bench-smoke (check-kernel): one short round at small N, about 3 minutes
# of guest, so the benchmark cannot rot.
# Variables (handed to the guest script): BENCH_NS, BENCH_ROUNDS,
# BENCH_WINDOWS, BENCH_WINDOW (seconds), BENCH_FILL_PPS, BENCH_GC_SECONDS,
# BENCH_STORM_N; BENCH_MEM is the guest's memory (MB).
BENCH_MEM ?= 3072
BENCH_KERNEL_VARS := BENCH_NS BENCH_ROUNDS BENCH_WINDOWS BENCH_WINDOW BENCH_FILL_PPS \
	BENCH_GC_SECONDS BENCH_STORM_N
bench_kernel_args = $(foreach v,$(BENCH_KERNEL_VARS),$(if $($(v)),'$(v)=$($(v))'))

.PHONY: bench-kernel vm-bench-smoke
bench-kernel: module
	testing/vm/run-guest --mem $(BENCH_MEM) --timeout 5400 kunit/guest/bench-kernel.sh $(bench_kernel_args)

vm-bench-smoke: module
	testing/vm/run-guest --timeout 900 kunit/guest/bench-kernel.sh BENCH_NS=1,1000 BENCH_ROUNDS=1 \
		BENCH_WINDOWS=1 BENCH_WINDOW=1 BENCH_GC_SECONDS=2 BENCH_STORM_N=1000
