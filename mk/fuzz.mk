# SPDX-License-Identifier: GPL-2.0
# libFuzzer targets (testing/fuzz/*_fuzz.cpp), built with ASan + UBSan against a
# fuzz build of the core, simulator and test rig (with testing/fuzz/NAME.dict as
# the dictionary when there is one).
#
#   make check-fuzz        each target briefly (FUZZ_TIME seconds, default 20), starting
#                          from its generated seeds and its kept corpus
#   make fuzz-long         each target FUZZ_TIME seconds (default 600; FUZZ_TARGETS=NAME...
#                          to pick), then minimise everything it knows into the kept
#                          corpus testing/fuzz/corpus/NAME, so the next run, long or
#                          short, starts where this one ended (commit the corpus)
# The kept corpora are read-only for check-fuzz: its new inputs go to $(BUILD)/fuzz.
FUZZ_LONG_TIME := $(if $(filter command line environment,$(origin FUZZ_TIME)),$(FUZZ_TIME),600)
FUZZ_TIME ?= 20
FUZZ_BINS := $(patsubst testing/fuzz/%.cpp,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_TARGETS ?= $(notdir $(FUZZ_BINS))
FUZZ_CORPUS := testing/fuzz/corpus

$(BUILD)/fuzz/%: testing/fuzz/%.cpp $(RIG_LIBS_fuzz)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD  [fuzz] $@")
	$(Q)$(CXX) $(CXXSTD) $(CPPFLAGS_ALL) $(WARNINGS) $(HOST_FLAGS) -O1 -g -fsanitize=fuzzer,address,undefined \
		-o $@ $< $(RIG_LIBS_fuzz) $(PKG_LIBS) -lpthread

# fuzz_run BIN SECONDS LOG DIRS...: fuzz, new inputs into the first DIR; on a finding
# show it and fail. Sourced as shell functions by both targets below.
define FUZZ_SH
fuzz_dict() { [ -f testing/fuzz/$$1.dict ] && echo -dict=testing/fuzz/$$1.dict || true; }; \
fuzz_run() { \
	bin=$$1 secs=$$2 log=$$3; shift 3; \
	if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
		$$bin -max_total_time=$$secs -print_final_stats=1 -artifact_prefix=$$(dirname $$log)/ \
		$$(fuzz_dict $$(basename $$bin)) "$$@" > $$log 2>&1; then \
		grep -E -A30 'ERROR|runtime error|deadly signal' $$log | head -60; \
		echo "fuzz $$(basename $$bin): FAILED (log: $$log)"; return 1; \
	fi; \
	grep -E '^Done|number_of_executed_units|cov: ' $$log | tail -n 3; \
}; \
fuzz_count() { ls "$$1" 2>/dev/null | wc -l; }
endef

# Each target writes its own seeds (FL_FUZZ_WRITE_SEEDS) into a fresh corpus, and reads
# its kept corpus beside it.
.PHONY: check-fuzz
check-fuzz: $(FUZZ_BINS)
	@set -e; $(FUZZ_SH); for bin in $(FUZZ_BINS); do \
		name=$$(basename $$bin); corpus=$(BUILD)/fuzz/corpus-$$name; kept=$(FUZZ_CORPUS)/$$name; \
		rm -rf $$corpus; mkdir -p $$corpus $$kept; \
		FL_FUZZ_WRITE_SEEDS=$$corpus $$bin >/dev/null 2>&1 || true; \
		echo "--- fuzz $$name: $(FUZZ_TIME) s from $$(fuzz_count $$corpus) seeds and $$(fuzz_count $$kept) kept inputs"; \
		fuzz_run $$bin $(FUZZ_TIME) $$corpus.log $$corpus $$kept; \
	done
CHECK_TARGETS += check-fuzz

# Fuzz from seeds + kept corpus into a scratch directory, then merge (libFuzzer's
# minimisation: the smallest set with the same coverage) into a fresh kept corpus.
.PHONY: fuzz-long
fuzz-long: $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
	@set -e; $(FUZZ_SH); for name in $(FUZZ_TARGETS); do \
		bin=$(BUILD)/fuzz/$$name; work=$(BUILD)/fuzz/long-$$name; kept=$(FUZZ_CORPUS)/$$name; \
		rm -rf $$work; mkdir -p $$work/seeds $$work/new $$work/min $$kept; \
		FL_FUZZ_WRITE_SEEDS=$$work/seeds $$bin >/dev/null 2>&1 || true; \
		before=$$(fuzz_count $$kept); \
		echo "--- fuzz-long $$name: $(FUZZ_LONG_TIME) s from $$(fuzz_count $$work/seeds) seeds and $$before kept inputs"; \
		fuzz_run $$bin $(FUZZ_LONG_TIME) $$work/fuzz.log $$work/new $$kept $$work/seeds; \
		ASAN_OPTIONS=detect_leaks=0 $$bin -merge=1 $$(fuzz_dict $$name) $$work/min \
			$$kept $$work/seeds $$work/new > $$work/merge.log 2>&1 || \
			{ tail -20 $$work/merge.log; echo "fuzz-long $$name: merge FAILED"; exit 1; }; \
		rm -rf $$kept; cp -r $$work/min $$kept; \
		echo "fuzz-long $$name: kept corpus $$before -> $$(fuzz_count $$kept) inputs ($$(du -sk $$kept | cut -f1) KiB)," \
			"$$(grep -oE 'MERGE-OUTER: [0-9]+ new files with [0-9]+ new features' $$work/merge.log | tail -1)"; \
	done
