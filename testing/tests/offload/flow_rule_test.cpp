// SPDX-License-Identifier: GPL-2.0
//
// Flow -> rule lowering into Linux 6.1's flowtable rule: the keys, the order,
// granularity and masks of the actions (checked against values worked out by
// hand from the kernel's rule format), the regressions of the UCloud report
// (NAT port mangling direction, Ethernet destination), the bounded action
// array, and what Linux's format cannot carry.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <cstring>
#include <vector>

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
	explicit OneFlow(const FlowSpec &s) : OneFlow(make_params(s)) {}
	explicit OneFlow(const struct fl_flow_params &p)
	{
		struct fl_flowtable_config cfg = {};
		cfg.ops = fake_ops();
		REQUIRE(fl_flowtable_create(&cfg, &ft) == 0);
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
	int build(enum fl_dir dir)
	{
		struct fl_rule r;
		return fl_offload_build_rule(flow, dir, &r);
	}
};

// One expected action, as the kernel's builders would fill it.
struct Want {
	uint8_t id;
	uint8_t htype = 0;
	uint32_t offset = 0, mask = 0, val = 0; // mangles
	uint32_t arg = 0;                       // csum flags, vlan id, sid, ifindex
	uint16_t proto = 0;                     // vlan tpid
};

Want mangle(uint8_t htype, uint32_t offset, uint32_t mask, uint32_t val)
{
	return Want{FL_ACT_MANGLE, htype, offset, mask, val};
}
Want other(uint8_t id, uint32_t arg = 0, uint16_t proto = 0)
{
	Want w{id};
	w.arg = arg;
	w.proto = proto;
	return w;
}

void check_actions(const struct fl_rule &r, const std::vector<Want> &want)
{
	REQUIRE(r.num_actions == want.size());
	for (size_t i = 0; i < want.size(); i++) {
		const struct fl_action &a = r.actions[i];
		const Want &w = want[i];
		CAPTURE(i);
		REQUIRE(static_cast<int>(a.id) == static_cast<int>(w.id));
		switch (a.id) {
		case FL_ACT_MANGLE:
			CHECK(static_cast<int>(a.htype) == static_cast<int>(w.htype));
			CHECK(a.mangle.offset == w.offset);
			CHECK(a.mangle.mask == w.mask);
			CHECK(a.mangle.val == w.val);
			break;
		case FL_ACT_CSUM:
			CHECK(a.csum_flags == w.arg);
			break;
		case FL_ACT_VLAN_PUSH:
			CHECK(a.vlan.id == w.arg);
			CHECK(a.vlan.proto == w.proto);
			break;
		case FL_ACT_PPPOE_PUSH:
			CHECK(a.pppoe.sid == w.arg);
			break;
		case FL_ACT_REDIRECT:
			CHECK(a.redirect.ifindex == static_cast<int32_t>(w.arg));
			break;
		default:
			break;
		}
	}
}

// The port word mangles of a rule (TCP or UDP header, offset 0), in order.
std::vector<const struct fl_action *> port_mangles(const struct fl_rule &r)
{
	std::vector<const struct fl_action *> v;
	for (uint32_t i = 0; i < r.num_actions; i++) {
		const struct fl_action &a = r.actions[i];
		if (a.id == FL_ACT_MANGLE && (a.htype == FL_HDR_TCP || a.htype == FL_HDR_UDP))
			v.push_back(&a);
	}
	return v;
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
	CHECK(m.keys == (FL_MATCH_INGRESS | FL_MATCH_CONTROL | FL_MATCH_BASIC | FL_MATCH_IPV4 |
			 FL_MATCH_TCP_FLAGS | FL_MATCH_PORTS | FL_MATCH_VLAN));
	CHECK(m.ingress_ifindex == s.client_if);
	CHECK(m.n_proto == 0x0800);
	CHECK(m.n_proto_mask == 0xffff);
	CHECK(m.ip_proto == 6);
	CHECK(m.ip_proto_mask == 0xff);
	CHECK(std::memcmp(m.src.b, parse_addr(4, s.client).b, 4) == 0);
	CHECK(ntohs(m.sport) == s.client_port);
	CHECK(ntohs(m.dport) == s.server_port);
	CHECK(m.tcp_flags_mask == (0x01 | 0x04));
	CHECK(m.tcp_flags == 0);
	CHECK(m.vlan.id == 10);
	CHECK(m.vlan.id_mask == 0x0fff);
	CHECK(m.vlan.tpid == FL_ETH_P_8021Q);
	CHECK(r.cookie != f.rule(FL_DIR_REPLY).cookie);
	CHECK(r.priority == 0);
	// Egress toward the server: no tag there. The reply pushes tag 10 back.
	CHECK(count(r, FL_ACT_VLAN_POP) == 1);
	CHECK(count(r, FL_ACT_VLAN_PUSH) == 0);
	struct fl_rule back = f.rule(FL_DIR_REPLY);
	CHECK_FALSE((back.match.keys & FL_MATCH_VLAN));
	CHECK(count(back, FL_ACT_VLAN_POP) == 0);
	CHECK(count(back, FL_ACT_VLAN_PUSH) == 1);
	CHECK(back.actions[back.num_actions - 1].id == FL_ACT_REDIRECT);
	CHECK(back.actions[back.num_actions - 1].redirect.ifindex == s.client_if);
	// UDP has no TCP flags key.
	FlowSpec u;
	u.l4proto = FL_IPPROTO_UDP;
	OneFlow g(u);
	CHECK_FALSE((g.rule(FL_DIR_ORIGINAL).match.keys & FL_MATCH_TCP_FLAGS));
}

// The whole action list of an IPv4 TCP flow with SNAT and DNAT and a VLAN on
// the client side, in both directions, entry for entry. The values follow
// from the kernel's builders: MACs 02:00:00:00:02:01 (router, server side)
// and 02:00:00:00:02:02 (server); the port words keep the other port.
TEST_CASE("rule: stock order and granularity, both directions (IPv4, SNAT + DNAT, VLAN)",
	  "[offload][rule][abi]")
{
	TestPlatform plat;
	FlowSpec s;
	s.snat = s.dnat = true; // 10.0.1.2:40000 -> 198.51.100.7:8080 becomes 192.0.2.1:50000 -> 10.0.2.2:80
	s.client_encap = {{10, FL_ETH_P_8021Q}};
	OneFlow f(s);
	check_actions(f.rule(FL_DIR_ORIGINAL),
		      {
			      mangle(FL_HDR_ETH, 4, 0xffff0000u, 0x00000200u), // source 02:00 ...
			      mangle(FL_HDR_ETH, 8, 0, 0x00000201u),           // ... 00:00:02:01
			      mangle(FL_HDR_ETH, 0, 0, 0x02000000u),           // destination 02:00:00:00 ...
			      mangle(FL_HDR_ETH, 4, 0x0000ffffu, 0x02020000u), // ... 02:02
			      other(FL_ACT_VLAN_POP),
			      mangle(FL_HDR_IPV4, 12, 0, 0xc0000201u), // SNAT: source 192.0.2.1
			      mangle(FL_HDR_TCP, 0, 0x0000ffffu, 50000u << 16),
			      mangle(FL_HDR_IPV4, 16, 0, 0x0a000202u), // DNAT: destination 10.0.2.2
			      mangle(FL_HDR_TCP, 0, 0xffff0000u, 80u),
			      other(FL_ACT_CSUM, FL_CSUM_IPV4HDR | FL_CSUM_TCP),
			      other(FL_ACT_REDIRECT, 2),
		      });
	check_actions(f.rule(FL_DIR_REPLY),
		      {
			      mangle(FL_HDR_ETH, 4, 0xffff0000u, 0x00000200u), // 02:00:00:00:01:01
			      mangle(FL_HDR_ETH, 8, 0, 0x00000101u),
			      mangle(FL_HDR_ETH, 0, 0, 0x02000000u), // 02:00:00:00:01:02
			      mangle(FL_HDR_ETH, 4, 0x0000ffffu, 0x01020000u),
			      other(FL_ACT_VLAN_PUSH, 10, FL_ETH_P_8021Q),
			      mangle(FL_HDR_IPV4, 16, 0, 0x0a000102u), // SNAT undone: destination 10.0.1.2
			      mangle(FL_HDR_TCP, 0, 0xffff0000u, 40000u),
			      mangle(FL_HDR_IPV4, 12, 0, 0xc6336407u), // DNAT undone: source 198.51.100.7
			      mangle(FL_HDR_TCP, 0, 0x0000ffffu, 8080u << 16),
			      other(FL_ACT_CSUM, FL_CSUM_IPV4HDR | FL_CSUM_TCP),
			      other(FL_ACT_REDIRECT, 1),
		      });
}

TEST_CASE("rule: IPv6 NAT rewrites four address words and has no checksum action",
	  "[offload][rule][abi]")
{
	TestPlatform plat;
	FlowSpec s;
	s.ipver = 6;
	s.l4proto = FL_IPPROTO_UDP;
	s.client = "2001:db8:1::2";
	s.server = "2001:db8:2::2";
	s.snat = true;
	s.snat_addr = "2001:db8:ff::1";
	OneFlow f(s);
	struct fl_rule r = f.rule(FL_DIR_ORIGINAL);
	check_actions(r, {
				 mangle(FL_HDR_ETH, 4, 0xffff0000u, 0x00000200u),
				 mangle(FL_HDR_ETH, 8, 0, 0x00000201u),
				 mangle(FL_HDR_ETH, 0, 0, 0x02000000u),
				 mangle(FL_HDR_ETH, 4, 0x0000ffffu, 0x02020000u),
				 mangle(FL_HDR_IPV6, 8, 0, 0x20010db8u),
				 mangle(FL_HDR_IPV6, 12, 0, 0x00ff0000u),
				 mangle(FL_HDR_IPV6, 16, 0, 0),
				 mangle(FL_HDR_IPV6, 20, 0, 1),
				 mangle(FL_HDR_UDP, 0, 0x0000ffffu, 50000u << 16),
				 other(FL_ACT_REDIRECT, 2),
			 });
	CHECK((r.match.keys & (FL_MATCH_IPV6 | FL_MATCH_CONTROL)) == (FL_MATCH_IPV6 | FL_MATCH_CONTROL));
	CHECK(r.match.n_proto == 0x86dd);
	CHECK(count(f.rule(FL_DIR_REPLY), FL_ACT_CSUM) == 0);
	// No NAT, IPv4: no checksum action either (the hardware fixes the header after its TTL decrement).
	FlowSpec plain;
	OneFlow g(plain);
	CHECK(count(g.rule(FL_DIR_ORIGINAL), FL_ACT_CSUM) == 0);
	CHECK(g.rule(FL_DIR_ORIGINAL).num_actions == 5);
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
		auto o = port_mangles(ro);
		REQUIRE(o.size() == 1);
		CHECK(o[0]->mangle.mask == 0x0000ffffu); // source port rewritten, destination kept
		CHECK(o[0]->mangle.val == static_cast<uint32_t>(s.snat_port) << 16);
		auto r = port_mangles(rr);
		REQUIRE(r.size() == 1);
		CHECK(r[0]->mangle.mask == 0xffff0000u); // destination port rewritten
		CHECK(r[0]->mangle.val == s.client_port);
	}
	SECTION("DNAT: original destination port -> reply source port, and back")
	{
		FlowSpec s;
		s.dnat = true;
		OneFlow f(s);
		struct fl_rule ro = f.rule(FL_DIR_ORIGINAL), rr = f.rule(FL_DIR_REPLY);
		auto o = port_mangles(ro);
		REQUIRE(o.size() == 1);
		CHECK(o[0]->mangle.mask == 0xffff0000u);
		CHECK(o[0]->mangle.val == s.server_port);
		auto r = port_mangles(rr);
		REQUIRE(r.size() == 1);
		CHECK(r[0]->mangle.mask == 0x0000ffffu);
		CHECK(r[0]->mangle.val == static_cast<uint32_t>(s.dnat_port) << 16);
	}
	SECTION("both: one word per port, SNAT's first (a driver reading masks sees both ports)")
	{
		FlowSpec s;
		s.snat = s.dnat = true;
		OneFlow f(s);
		struct fl_rule ro = f.rule(FL_DIR_ORIGINAL);
		auto o = port_mangles(ro);
		REQUIRE(o.size() == 2);
		CHECK(o[0]->mangle.mask == 0x0000ffffu);
		CHECK(o[1]->mangle.mask == 0xffff0000u);
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
		// Apply the four Ethernet mangles to a header of 0xee bytes.
		uint8_t hdr[12];
		std::memset(hdr, 0xee, sizeof(hdr));
		for (int i = 0; i < 4; i++) {
			const struct fl_action &a = r.actions[i];
			REQUIRE(a.id == FL_ACT_MANGLE);
			REQUIRE(a.htype == FL_HDR_ETH);
			uint32_t w;
			std::memcpy(&w, hdr + a.mangle.offset, 4);
			w = htonl((ntohl(w) & a.mangle.mask) | a.mangle.val);
			std::memcpy(hdr + a.mangle.offset, &w, 4);
		}
		CHECK(std::memcmp(hdr, want_dst.data(), 6) == 0);
		CHECK(std::memcmp(hdr + 6, want_src.data(), 6) == 0);
	}
}

TEST_CASE("rule: the worst case fits, and a short array fails cleanly at its bound",
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
	// 4 eth + 2 pops + 2 pushes + 10 NAT (4 + 4 address words, two port words)
	// + redirect = 19: more than the 16 older kernels reserved.
	CHECK(r.num_actions == 19);
	CHECK(r.num_actions <= FL_RULE_WORST_CASE_ACTIONS);

	// 16 slots: the builder stops at the bound and says so.
	struct fl_rule small;
	std::memset(&small, 0xab, sizeof(small));
	const fl::Flow &flow = *f.flow;
	fl::Status st = fl::offload::try_build_rule(flow, fl::Dir::Original, small, {}, 16);
	REQUIRE_FALSE(st.ok());
	CHECK(st.error() == fl::Error::TooBig);
	CHECK(small.num_actions == 16);
	for (uint32_t i = 16; i < FL_RULE_MAX_ACTIONS; i++) {
		// Nothing written past the bound.
		const uint8_t *p = reinterpret_cast<const uint8_t *>(&small.actions[i]);
		CHECK(p[0] == 0xab);
	}
}

TEST_CASE("rule: QinQ matches outer then inner, pops both, pushes outermost first",
	  "[offload][rule][abi]")
{
	TestPlatform plat;
	FlowSpec s;
	s.client_encap = {{100, FL_ETH_P_8021AD}, {10, FL_ETH_P_8021Q}};
	OneFlow f(s);
	struct fl_rule o = f.rule(FL_DIR_ORIGINAL);
	CHECK((o.match.keys & (FL_MATCH_VLAN | FL_MATCH_CVLAN)) == (FL_MATCH_VLAN | FL_MATCH_CVLAN));
	CHECK(o.match.vlan.id == 100);
	CHECK(o.match.vlan.tpid == FL_ETH_P_8021AD);
	CHECK(o.match.cvlan.id == 10);
	CHECK(o.match.cvlan.tpid == FL_ETH_P_8021Q);
	CHECK(count(o, FL_ACT_VLAN_POP) == 2);
	struct fl_rule r = f.rule(FL_DIR_REPLY);
	REQUIRE(r.actions[4].id == FL_ACT_VLAN_PUSH);
	REQUIRE(r.actions[5].id == FL_ACT_VLAN_PUSH);
	CHECK(r.actions[4].vlan.id == 100);
	CHECK(r.actions[4].vlan.proto == FL_ETH_P_8021AD);
	CHECK(r.actions[5].vlan.id == 10);
	CHECK(r.actions[5].vlan.proto == FL_ETH_P_8021Q);
}

TEST_CASE("rule: PPPoE can be pushed but not matched: ingress PPPoE stays in software",
	  "[offload][rule][abi]")
{
	TestPlatform plat;
	FlowSpec s;
	s.client_encap = {{0x1234, FL_ETH_P_PPP_SES}};
	OneFlow f(s);
	// Linux 6.1's rule has no PPPoE key and no PPPoE pop.
	CHECK(f.build(FL_DIR_ORIGINAL) == -EOPNOTSUPP);
	struct fl_rule r = f.rule(FL_DIR_REPLY);
	REQUIRE(count(r, FL_ACT_PPPOE_PUSH) == 1);
	CHECK(r.actions[4].id == FL_ACT_PPPOE_PUSH);
	CHECK(r.actions[4].pppoe.sid == 0x1234);
}

TEST_CASE("rule: a bridge VLAN the hardware untags is neither matched, popped nor pushed",
	  "[offload][rule][abi]")
{
	TestPlatform plat;
	FlowSpec s;
	s.server_encap = {{20, FL_ETH_P_8021Q}};
	struct fl_flow_params p = make_params(s);
	// The original direction leaves through a bridge port that tags VLAN 20 in hardware.
	p.xmit[FL_DIR_ORIGINAL].hw_vlans = 1;
	OneFlow f(p);
	CHECK(count(f.rule(FL_DIR_ORIGINAL), FL_ACT_VLAN_PUSH) == 0);
	struct fl_rule back = f.rule(FL_DIR_REPLY);
	CHECK_FALSE((back.match.keys & FL_MATCH_VLAN));
	CHECK(count(back, FL_ACT_VLAN_POP) == 0);
	// A hardware bit naming no tag is refused at flow creation.
	struct fl_flow_params bad = make_params(s);
	bad.xmit[FL_DIR_REPLY].hw_vlans = 1; // the client side has no tag
	struct fl_flowtable_config cfg = {};
	cfg.ops = fake_ops();
	struct fl_flowtable *ft;
	REQUIRE(fl_flowtable_create(&cfg, &ft) == 0);
	struct fl_flow *flow;
	CHECK(fl_flow_create(ft, &bad, &flow) == -EINVAL);
	fl_flowtable_destroy(ft);
}

namespace {

struct NeighCtx {
	bool valid = true;
	int calls = 0;
	struct fl_addr daddr = {};
	int ifindex = 0;
};

int test_neigh(void *priv, void *route, const struct fl_addr *daddr, fl_u8 l3proto, fl_s32 ifindex,
	       fl_u8 *h_dest, fl_u8 *h_source)
{
	auto *n = static_cast<NeighCtx *>(priv);
	n->calls++;
	n->daddr = *daddr;
	n->ifindex = ifindex;
	if (!n->valid)
		return -ENOENT;
	static const uint8_t dest[6] = {0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
	static const uint8_t src[6] = {0x0a, 0x00, 0x00, 0x00, 0x00, 0x01};
	std::memcpy(h_dest, dest, 6);
	std::memcpy(h_source, src, 6);
	return 0;
}

} // namespace

TEST_CASE("rule: neighbour-transmit flows get the next hop's MAC, never zeros",
	  "[offload][rule][neigh]")
{
	TestPlatform plat;
	FlowSpec s;
	s.xmit_kind = FL_XMIT_NEIGH;
	s.snat = true;
	OneFlow f(s);
	// Without a resolver: no rule.
	CHECK(f.build(FL_DIR_ORIGINAL) == -ENOENT);
	NeighCtx n;
	struct fl_offload_ops ops = {};
	ops.neigh_macs = test_neigh;
	fl::offload::Lowering ctx;
	ctx.ops = &ops;
	ctx.priv = &n;
	ctx.priority = static_cast<uint32_t>(-100);
	struct fl_rule r;
	REQUIRE(fl::offload::try_build_rule(*f.flow, fl::Dir::Original, r, ctx).ok());
	CHECK(n.calls == 1);
	// Toward the other direction's source (the server), with the route device's MAC.
	CHECK(std::memcmp(n.daddr.b, parse_addr(4, s.server).b, 16) == 0);
	CHECK(n.ifindex == s.server_if);
	CHECK(r.priority == static_cast<uint32_t>(-100));
	CHECK(r.actions[2].mangle.val == 0x0a0b0c0du);
	CHECK(r.actions[3].mangle.val == 0x0e0f0000u);
	CHECK(r.actions[0].mangle.val == 0x00000a00u);
	CHECK(r.actions[r.num_actions - 1].redirect.ifindex == s.server_if);
	// The reply: toward the client, where the original arrives.
	REQUIRE(fl::offload::try_build_rule(*f.flow, fl::Dir::Reply, r, ctx).ok());
	CHECK(std::memcmp(n.daddr.b, parse_addr(4, s.client).b, 16) == 0);
	CHECK(n.ifindex == s.client_if);
	// Through a VLAN device on the port: its MAC, the port's redirect.
	struct fl_flow_params p = make_params(s);
	p.xmit[FL_DIR_ORIGINAL].ifindex = 7;
	OneFlow v(p);
	REQUIRE(fl::offload::try_build_rule(*v.flow, fl::Dir::Original, r, ctx).ok());
	CHECK(n.ifindex == 7);
	CHECK(r.actions[r.num_actions - 1].redirect.ifindex == s.server_if);
	// An entry that is not NUD_VALID: no rule (the software path goes on).
	n.valid = false;
	fl::Status st = fl::offload::try_build_rule(*f.flow, fl::Dir::Original, r, ctx);
	REQUIRE_FALSE(st.ok());
	CHECK(st.error() == fl::Error::NotFound);
}

TEST_CASE("rule: IPsec transmit has no rule form", "[offload][rule]")
{
	TestPlatform plat;
	FlowSpec s;
	s.xmit_kind = FL_XMIT_XFRM;
	OneFlow f(s);
	CHECK(f.build(FL_DIR_ORIGINAL) == -EOPNOTSUPP);
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
