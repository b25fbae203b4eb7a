// SPDX-License-Identifier: GPL-2.0
//
// A mock NIC for flowlane's offload engine: it implements the driver side of
// include/flowlane/offload.h (bind through FL_SETUP_FT, then FL_SETUP_CLSFLOWER
// commands on its block callback), stores the rules, and *executes* them on
// frames as hardware does with Linux's flowtable rules: match, apply the
// actions in order (a rule's pushes nest, outermost first), decrement the TTL
// and fix the IPv4 header checksum itself (Linux sends no TTL action), update
// the L4 checksum of rewritten IPv6 packets (Linux sends no checksum action
// for IPv6), emit on the egress device. One callback serves all its ports;
// rules for other ports' ingress are refused with -EOPNOTSUPP, as mlx5 does
// with the broadcast. It keeps per-rule statistics (added into the request as
// deltas, like drivers do; optionally only lastused, like MediaTek in Linux
// 6.1) and has fault knobs: fail the Nth add, refuse everything with
// EOPNOTSUPP, a capacity (-ENOSPC), a delay in every command.
#ifndef FLOWLANE_HARNESS_MOCK_NIC_H
#define FLOWLANE_HARNESS_MOCK_NIC_H

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "flowlane/offload.h"

namespace flmock {

using Bytes = std::vector<uint8_t>;

struct Emitted {
	int ifindex;
	Bytes frame;
	uint64_t cookie; // the rule that forwarded it
};

class MockNic {
public:
	struct Rule {
		struct fl_rule rule;
		int port; // the bound ingress port it was installed on
		uint64_t packets = 0, bytes = 0;
		uint64_t reported_packets = 0, reported_bytes = 0;
		uint32_t lastused = 0;
		bool used = false;
	};

	explicit MockNic(std::string name, std::set<int> ports);

	// The device entry point to pass to fl_offload_bind() with this NIC as dev_priv.
	static int setup(void *dev_priv, enum fl_setup_type type, void *type_data);

	// A frame arrives on @port. nullopt: no rule matched (the software path takes it).
	std::optional<Emitted> receive(int port, const Bytes &frame, uint32_t now_ticks);

	// Faults and behaviours.
	void fail_nth_add(unsigned n); // the Nth REPLACE from now fails with -EIO
	void refuse_all(bool on);      // every REPLACE fails with -EOPNOTSUPP
	void set_capacity(size_t rules); // more fail with -ENOSPC (0: unlimited)
	void set_lastused_only(bool on); // STATS report no packets, only lastused
	void set_delay_us(unsigned us);

	// Views.
	std::vector<Rule> rules() const;
	std::vector<Rule> rules_on(int port) const;
	std::optional<Rule> rule(uint64_t cookie) const;
	size_t rule_count() const;
	const std::string &name() const { return name_; }
	bool bound(int port) const;
	unsigned replaces() const { return replaces_; }
	unsigned destroys() const { return destroys_; }
	unsigned refused() const { return refused_; }
	// REPLACEs of a cookie already installed (software still saw the flow).
	unsigned duplicate_replaces() const { return duplicates_; }
	// Rules still installed on a port when it was unbound (never destroyed).
	unsigned stale_at_unbind() const { return stale_at_unbind_; }
	// Setup calls with a type the NIC does not expect there (regression checks).
	unsigned wrong_types() const { return wrong_types_; }

private:
	static int block_cb(enum fl_setup_type type, void *type_data, void *cb_priv);
	int bind(struct fl_block_bind &b);
	int command(struct fl_rule_request &req);
	int replace(const struct fl_rule &rule);
	void delay() const;

	const std::string name_;
	const std::set<int> ports_;
	mutable std::mutex mu_;
	std::set<int> bound_;
	std::map<uint64_t, Rule> rules_;
	unsigned fail_at_ = 0, adds_seen_ = 0;
	bool refuse_ = false, lastused_only_ = false;
	size_t capacity_ = 0;
	unsigned delay_us_ = 0;
	unsigned replaces_ = 0, destroys_ = 0, refused_ = 0, wrong_types_ = 0, duplicates_ = 0,
		 stale_at_unbind_ = 0;
};

// The NIC's execution of one rule on one frame (exposed for tests). nullopt
// when the rule does not match.
std::optional<Emitted> execute(const struct fl_rule &rule, int port, const Bytes &frame);

} // namespace flmock

#endif // FLOWLANE_HARNESS_MOCK_NIC_H
