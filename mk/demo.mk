# SPDX-License-Identifier: GPL-2.0
# `make demo`: the main job on its embedded default scenario.
DEMO_SRCS := $(sort $(wildcard harness/demo/*.cpp))
DEMO_OBJS := $(patsubst %.cpp,$(REL)/host/%.o,$(DEMO_SRCS))
-include $(DEMO_OBJS:.o=.d)
$(REL)/flowlane-demo: $(DEMO_OBJS) $(REL)/libflharness.a $(REL)/libflowlane.a
	$(CXX) -o $@ $(DEMO_OBJS) $(REL)/libflharness.a $(REL)/libflowlane.a $(PKG_LIBS) -lpthread

.PHONY: demo
demo: $(REL)/flowlane-demo
	@$(REL)/flowlane-demo
