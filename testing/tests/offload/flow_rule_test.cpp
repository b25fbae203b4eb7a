// SPDX-License-Identifier: GPL-2.0
//
// Flow -> rule translation: matches, the order and content of actions, the
// regressions of the UCloud report (NAT port mangling direction, Ethernet
// destination) and the action-array overflow of CVE-2026-43329.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <cstring>

#include "flowlane/offload.h"
#include "testing/fakes/fake_conntrack.h"
#include "testing/fakes/fake_platform.h"
#include "testing/fakes/flow_builder.h"
#include "nf_flow_table/flow_table.h"
#include "offload/flow_rule.h"
#include "sim/router/mock_nic.h"

using namespace flfake;

namespace {

struct OneFlow {
	struct fl_flowtable *ft = nullptr;
	struct fl_flow *flow = nullptr;
	explicit OneFlow(const FlowSpec &s)
	{
		struct fl_flowtable_config cfg = {};
		cfg.ops = fake_ops();
		REQUIRE(fl_flowtable_create(&cfg, &ft) == 0);
		struct fl_flow_params p = make_params(s);
		REQUIRE(fl_flow_create(ft, &p, &flow) == 0);
		REQUIRE(fl_flowtable_add(ft, flow) == 0);
	}
	~OneFlow() { fl_flowtable_destroy(ft); }
	struct fl_rule rule(enum fl_dir dir)
	{
		struct fl_rule r;
		REQUIRE(fl_offload_build_rule(flow, dir, &r) == 0);
		return r;
	}
};

// The port word mangle of a rule (TCP or UDP header, offset 0).
const struct fl_action *port_mangle(const struct fl_rule &r)
{
	for (uint32_t i = 0; i < r.num_actions; i++) {
		const struct fl_action &a = r.actions[i];
		if (a.id == FL_ACT_MANGLE && (a.htype == FL_HDR_TCP || a.htype == FL_HDR_UDP))
			return &a;
	}
	return nullptr;
}

int count(const struct fl_rule &r, uint8_t id)
{
	int n = 0;
	for (uint32_t i = 0; i < r.num_actions; i++)
		n += r.actions[i].id == id;
	return n;
}

} // namespace

TEST_CASE("rule: the match is the direction's tuple, FIN and RST excluded", "[offload][rule]")
{
	TestPlatform plat;
	FlowSpec s;
	s.client_encap = {{10, FL_ETH_P_8021Q}};
	OneFlow f(s);
	struct fl_rule r = f.rule(FL_DIR_ORIGINAL);
	const struct fl_rule_match &m = r.match;
	CHECK(m.ingress_ifindex == s.client_if);
	CHECK(m.n_proto == 0x0800);
	CHECK(m.ip_proto == 6);
	CHECK((m.keys & FL_MATCH_IPV4));
	CHECK(std::memcmp(m.src.b, parse_addr(4, s.client).b, 4) == 0);
	CHECK(ntohs(m.sport) == s.client_port);
	CHECK(ntohs(m.dport) == s.server_port);
	CHECK((m.keys & FL_MATCH_TCP_FLAGS));
	CHECK(m.tcp_flags_mask == (0x01 | 0x04));
	CHECK(m.tcp_flags == 0);
	CHECK((m.keys & FL_MATCH_VLAN));
	CHECK(m.vlan.id == 10);
	CHECK(r.cookie != f.rule(FL_DIR_REPLY).cookie);
	// Egress toward the server: no tag there. The reply pushes tag 10 back.
	CHECK(count(r, FL_ACT_VLAN_POP) == 1);
	CHECK(count(r, FL_ACT_VLAN_PUSH) == 0);
	struct fl_rule back = f.rule(FL_DIR_REPLY);
	CHECK(count(back, FL_ACT_VLAN_POP) == 0);
	CHECK(count(back, FL_ACT_VLAN_PUSH) == 1);
	CHECK(back.actions[back.num_actions - 1].id == FL_ACT_REDIRECT);
	CHECK(back.actions[back.num_actions - 1].redirect.ifindex == s.client_if);
}

TEST_CASE("rule: NAT port mangling follows the direction (UCloud: fix the nat port mangle)",
	  "[offload][rule][regression]")
{
	TestPlatform plat;
	SECTION("SNAT: original source port -> reply destination port, and back")
	{
		FlowSpec s;
		s.snat = true;
		OneFlow f(s);
		struct fl_rule ro = f.rule(FL_DIR_ORIGINAL), rr = f.rule(FL_DIR_REPLY);
		const struct fl_action *o = port_mangle(ro);
		REQUIRE(o);
		CHECK(o->mangle.mask == 0x0000ffffu); // source port rewritten, destination kept
		CHECK(o->mangle.val == static_cast<uint32_t>(s.snat_port) << 16);
		const struct fl_action *r = port_mangle(rr);
		REQUIRE(r);
		CHECK(r->mangle.mask == 0xffff0000u); // destination port rewritten
		CHECK(r->mangle.val == s.client_port);
	}
	SECTION("DNAT: original destination port -> reply source port, and back")
	{
		FlowSpec s;
		s.dnat = true;
		OneFlow f(s);
		struct fl_rule ro = f.rule(FL_DIR_ORIGINAL), rr = f.rule(FL_DIR_REPLY);
		const struct fl_action *o = port_mangle(ro);
		REQUIRE(o);
		CHECK(o->mangle.mask == 0xffff0000u);
		CHECK(o->mangle.val == s.server_port);
		const struct fl_action *r = port_mangle(rr);
		REQUIRE(r);
		CHECK(r->mangle.mask == 0x0000ffffu);
		CHECK(r->mangle.val == static_cast<uint32_t>(s.dnat_port) << 16);
	}
}

TEST_CASE("rule: the Ethernet destination is the direction's next hop (UCloud: fix eth dst)",
	  "[offload][rule][regression]")
{
	TestPlatform plat;
	FlowSpec s;
	OneFlow f(s);
	for (enum fl_dir dir : {FL_DIR_ORIGINAL, FL_DIR_REPLY}) {
		struct fl_rule r = f.rule(dir);
		const std::array<uint8_t, 6> &want_dst = dir == FL_DIR_ORIGINAL ? kServerMac : kClientMac;
		const std::array<uint8_t, 6> &want_src = dir == FL_DIR_ORIGINAL ? kRouterServerMac : kRouterClientMac;
		uint8_t hdr[12];
		for (int w = 0; w < 3; w++) {
			const struct fl_action &a = r.actions[w];
			REQUIRE(a.id == FL_ACT_MANGLE);
			REQUIRE(a.htype == FL_HDR_ETH);
			REQUIRE(a.mangle.offset == 4u * w);
			uint32_t v = htonl(a.mangle.val);
			std::memcpy(hdr + 4 * w, &v, 4);
		}
		CHECK(std::memcmp(hdr, want_dst.data(), 6) == 0);
		CHECK(std::memcmp(hdr + 6, want_src.data(), 6) == 0);
	}
}

TEST_CASE("rule: the worst case fits, and a short array fails cleanly (CVE-2026-43329)",
	  "[offload][rule][regression]")
{
	TestPlatform plat;
	// An IPv6 flow with Ethernet rewrite + SNAT + DNAT + QinQ on both sides + redirect.
	FlowSpec s;
	s.ipver = 6;
	s.client = "2001:db8:1::2";
	s.server = "2001:db8:2::2";
	s.snat = s.dnat = true;
	s.snat_addr = "2001:db8:ff::1";
	s.dnat_addr = "2001:db8:ee::7";
	s.client_encap = {{100, FL_ETH_P_8021AD}, {10, FL_ETH_P_8021Q}};
	s.server_encap = {{200, FL_ETH_P_8021AD}, {20, FL_ETH_P_8021Q}};
	OneFlow f(s);
	struct fl_rule r = f.rule(FL_DIR_ORIGINAL);
	// 3 eth + 9 NAT (4 + 4 address words, one port word) + ttl + csum + 2 pops
	// + 2 pushes + redirect = 19; the kernel's own count for it was 17.
	CHECK(r.num_actions == 19);
	CHECK(r.num_actions <= FL_RULE_WORST_CASE_ACTIONS);

	// The kernel's 16 slots: the builder stops at the bound and says so.
	struct fl_rule small;
	std::memset(&small, 0xab, sizeof(small));
	const fl::Flow &flow = *f.flow;
	fl::Status st = fl::offload::try_build_rule(flow, fl::Dir::Original, small, 16);
	REQUIRE_FALSE(st.ok());
	CHECK(st.error() == fl::Error::TooBig);
	CHECK(small.num_actions == 16);
	for (uint32_t i = 16; i < FL_RULE_MAX_ACTIONS; i++) {
		// Nothing written past the bound.
		const uint8_t *p = reinterpret_cast<const uint8_t *>(&small.actions[i]);
		CHECK(p[0] == 0xab);
	}
}

TEST_CASE("rule: tunnel builders describe encapsulation and decapsulation", "[offload][rule]")
{
	struct fl_action slots[4];
	fl::offload::ActionList l(slots, 4);
	struct fl_addr a = parse_addr(4, "192.0.2.1"), b = parse_addr(4, "192.0.2.2");
	REQUIRE(fl::offload::try_add_tunnel_decap(l).ok());
	REQUIRE(fl::offload::try_add_tunnel_encap(l, 1000, a, b).ok());
	CHECK(slots[0].id == FL_ACT_TUNNEL_DECAP);
	CHECK(slots[1].id == FL_ACT_TUNNEL_ENCAP);
	CHECK(slots[1].tunnel.key_id == 1000);
	CHECK(std::memcmp(slots[1].tunnel.dst.b, b.b, 4) == 0);
	// The mock NIC cannot execute tunnels: it refuses such a rule.
	struct fl_rule r = {};
	r.num_actions = 1;
	r.actions[0] = slots[0];
	flmock::Bytes frame(60, 0);
	CHECK_FALSE(flmock::execute(r, 1, frame));
}
