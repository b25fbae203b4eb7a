# SPDX-License-Identifier: GPL-2.0
# libFuzzer targets (testing/fuzz/*_fuzz.cpp), built with ASan + UBSan against a
# fuzz build of the core, simulator and test rig, each run briefly from generated seeds
# (and with testing/fuzz/NAME.dict as its dictionary when there is one).
FUZZ_TIME ?= 20
FUZZ_BINS := $(patsubst testing/fuzz/%.cpp,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

$(BUILD)/fuzz/%: testing/fuzz/%.cpp $(RIG_LIBS_fuzz)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD  [fuzz] $@")
	$(Q)$(CXX) $(CXXSTD) $(CPPFLAGS_ALL) $(WARNINGS) $(HOST_FLAGS) -O1 -g -fsanitize=fuzzer,address,undefined \
		-o $@ $< $(RIG_LIBS_fuzz) $(PKG_LIBS) -lpthread

# Each target writes its own seeds (FL_FUZZ_WRITE_SEEDS) into a fresh corpus.
.PHONY: check-fuzz
check-fuzz: $(FUZZ_BINS)
	@set -e; for bin in $(FUZZ_BINS); do \
		corpus=$(BUILD)/fuzz/corpus-$$(basename $$bin); \
		rm -rf $$corpus; mkdir -p $$corpus; \
		FL_FUZZ_WRITE_SEEDS=$$corpus $$bin >/dev/null 2>&1 || true; \
		echo "--- fuzz $$(basename $$bin): $(FUZZ_TIME) s from $$(ls $$corpus | wc -l) seeds"; \
		log=$$corpus.log; \
		dict=; [ -f testing/fuzz/$$(basename $$bin).dict ] && dict=-dict=testing/fuzz/$$(basename $$bin).dict; \
		if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
			$$bin -max_total_time=$(FUZZ_TIME) -print_final_stats=1 $$dict $$corpus > $$log 2>&1; then \
			grep -E -A30 'ERROR|runtime error|deadly signal' $$log | head -60; \
			echo "fuzz $$(basename $$bin): FAILED (log: $$log)"; exit 1; \
		fi; \
		grep -E '^Done|number_of_executed_units' $$log; \
	done
CHECK_TARGETS += check-fuzz
