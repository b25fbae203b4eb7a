# SPDX-License-Identifier: GPL-2.0
# Google Benchmark suite (not part of `make check`): flowlane against
# std::unordered_map, absl::flat_hash_map and liburcu's cds_lfht, one binary,
# one run; testing/bench/report.py prints the table with ratios.
BENCH_PACKAGES := libbenchmark-dev libabsl-dev liburcu-dev python3
BENCH_BIN := $(BUILD)/bench/flowlane_bench
BENCH_OBJS := $(patsubst %.cpp,$(BUILD)/bench/%.o,$(BENCH_SRCS))
BENCH_LIBS := -lbenchmark $(shell pkg-config --libs absl_hash absl_raw_hash_set 2>/dev/null) \
	$(shell pkg-config --libs liburcu-cds liburcu-memb 2>/dev/null) -lpthread
BENCH_ARGS ?=

$(BUILD)/.deps-bench: scripts/need-packages
	@mkdir -p $(@D)
	@scripts/need-packages $(BENCH_PACKAGES)
	@touch $@

$(BUILD)/bench/%.o: %.cpp | $(DEPS_STAMP) $(BUILD)/.deps-bench
	@mkdir -p $(@D)
	$(CXX) $(CXXSTD) $(CPPFLAGS_ALL) $(WARNINGS) -O2 -g -DNDEBUG $(HOST_FLAGS) -c $< -o $@
-include $(BENCH_OBJS:.o=.d)

$(BENCH_BIN): $(BENCH_OBJS) $(RIG_LIBS_rel)
	$(CXX) -O2 -o $@ $(BENCH_OBJS) $(RIG_LIBS_rel) $(BENCH_LIBS) $(PKG_LIBS)

.PHONY: bench
# glibc.malloc.hugetlb=1: every implementation's heap is backed by transparent
# huge pages, as kernel memory is by the direct map; the comparison stays fair.
bench: $(BENCH_BIN)
	GLIBC_TUNABLES=glibc.malloc.hugetlb=1 $(BENCH_BIN) --benchmark_format=json --benchmark_out=$(BUILD)/bench/results.json \
		--benchmark_out_format=json --benchmark_min_time=0.3 --benchmark_repetitions=3 $(BENCH_ARGS) >/dev/null
	python3 testing/bench/report.py $(BUILD)/bench/results.json
