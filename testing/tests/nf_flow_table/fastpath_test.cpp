// SPDX-License-Identifier: GPL-2.0
//
// The packet path on raw frames: IPv4/IPv6 x TCP/UDP x no NAT/SNAT/DNAT/both in
// both directions with every checksum recomputed from scratch; L2 rewrite with
// VLAN and PPPoE push and pop; every slowpath reason; counters; partial
// checksums; the three entry points.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "flowlane/flowtable.h"
#include "testing/fakes/fake_conntrack.h"
#include "testing/fakes/fake_platform.h"
#include "testing/fakes/flow_builder.h"
#include "sim/net/frames.h"

using namespace flfake;

namespace {

constexpr size_t kHeadroom = 32;

struct Table {
	struct fl_flowtable *ft = nullptr;
	explicit Table(unsigned flags = 0, fl_u8 family = 0)
	{
		struct fl_flowtable_config cfg = {};
		cfg.flags = flags;
		cfg.family = family;
		cfg.ops = fake_ops();
		REQUIRE(fl_flowtable_create(&cfg, &ft) == 0);
	}
	~Table() { fl_flowtable_destroy(ft); }
};

struct fl_flow *add(struct fl_flowtable *ft, const FlowSpec &spec)
{
	struct fl_flow_params p = make_params(spec);
	struct fl_flow *flow = nullptr;
	REQUIRE(fl_flow_create(ft, &p, &flow) == 0);
	REQUIRE(fl_flowtable_add(ft, flow) == 0);
	return flow;
}

// A frame in a buffer with headroom, run through the fastpath.
struct Run {
	std::vector<uint8_t> buf;
	struct fl_packet pkt = {};
	struct fl_result res = {};

	Run(const Bytes &frame, int iif, uint8_t flags = FL_PKT_BUILD_L2, uint8_t entry = FL_ENTRY_L2,
	    size_t skip = 0)
	{
		buf.assign(kHeadroom, 0);
		buf.insert(buf.end(), frame.begin(), frame.end());
		pkt.data = buf.data() + kHeadroom + skip;
		pkt.len = static_cast<fl_u32>(frame.size() - skip);
		pkt.headlen = pkt.len;
		pkt.headroom = static_cast<fl_u32>(kHeadroom + skip);
		pkt.iifindex = iif;
		pkt.entry = entry;
		pkt.flags = flags;
	}
	void go(struct fl_flowtable *ft)
	{
		fl_rcu_read_lock();
		fl_fastpath(ft, &pkt, &res);
		fl_rcu_read_unlock();
	}
	const uint8_t *l3() const { return res.out_data + res.l3_offset; }
	Bytes out() const { return Bytes(res.out_data, res.out_data + res.out_len); }
};

struct Expect {
	std::string saddr, daddr;
	uint16_t sport, dport;
};

Expect expected_after_nat(const FlowSpec &s, enum fl_dir dir)
{
	if (dir == FL_DIR_ORIGINAL)
		return {s.snat ? s.snat_addr : s.client, s.server, s.snat ? s.snat_port : s.client_port,
			s.server_port};
	return {s.dnat ? s.dnat_addr : s.server, s.client, s.dnat ? s.dnat_port : s.server_port,
		s.client_port};
}

FlowSpec v6_spec()
{
	FlowSpec s;
	s.ipver = 6;
	s.client = "2001:db8:1::2";
	s.server = "2001:db8:2::2";
	s.snat_addr = "2001:db8:ff::1";
	s.dnat_addr = "2001:db8:ee::7";
	return s;
}

} // namespace

TEST_CASE("fastpath: NAT matrix with full checksum recomputation", "[fastpath]")
{
	TestPlatform plat;
	for (int ipver : {4, 6}) {
		for (uint8_t l4 : {FL_IPPROTO_TCP, FL_IPPROTO_UDP}) {
			for (int nat = 0; nat < 4; nat++) {
				FlowSpec s = ipver == 4 ? FlowSpec{} : v6_spec();
				s.l4proto = l4;
				s.snat = nat & 1;
				s.dnat = nat & 2;
				FakeCt ct;
				s.ct = &ct;
				Table t;
				add(t.ft, s);
				for (enum fl_dir dir : {FL_DIR_ORIGINAL, FL_DIR_REPLY}) {
					CAPTURE(ipver, l4, nat, dir);
					FrameSpec fs = flow_frame(s, dir);
					fs.ttl = 17;
					Run r(build_frame(fs), dir == FL_DIR_ORIGINAL ? s.client_if : s.server_if);
					r.go(t.ft);
					REQUIRE(r.res.verdict == FL_VERDICT_XMIT);
					CHECK(r.res.dir == dir);
					CHECK(r.res.l2_written);
					IpView v = read_ip(r.l3());
					Expect e = expected_after_nat(s, dir);
					CHECK(v.saddr == e.saddr);
					CHECK(v.daddr == e.daddr);
					CHECK(v.sport == e.sport);
					CHECK(v.dport == e.dport);
					CHECK(v.ttl == 16);
					CHECK(verify_checksums(r.l3(), r.res.out_len - r.res.l3_offset) == "");
					// Egress L2: router's MAC to the host's MAC.
					const Mac &dmac = dir == FL_DIR_ORIGINAL ? kServerMac : kClientMac;
					const Mac &smac = dir == FL_DIR_ORIGINAL ? kRouterServerMac : kRouterClientMac;
					CHECK(std::memcmp(r.res.out_data, dmac.data(), 6) == 0);
					CHECK(std::memcmp(r.res.out_data + 6, smac.data(), 6) == 0);
				}
			}
		}
	}
	CHECK(plat.leaked_blocks() == 0);
}

TEST_CASE("fastpath: hits count packets and bytes per direction", "[fastpath]")
{
	TestPlatform plat;
	FakeCt ct;
	Table t(FL_FLOWTABLE_COUNTER);
	FlowSpec s;
	s.ct = &ct;
	struct fl_flow *flow = add(t.ft, s);
	for (int i = 0; i < 3; i++) {
		Run r(build_frame(flow_frame(s, FL_DIR_ORIGINAL)), s.client_if);
		r.go(t.ft);
		REQUIRE(r.res.verdict == FL_VERDICT_XMIT);
	}
	Run r(build_frame(flow_frame(s, FL_DIR_REPLY)), s.server_if);
	r.go(t.ft);
	fl_u64 pk, by;
	fl_flow_counters(flow, FL_DIR_ORIGINAL, &pk, &by);
	CHECK(pk == 3);
	CHECK(by == 3 * (20 + 20 + 64));
	fl_flow_counters(flow, FL_DIR_REPLY, &pk, &by);
	CHECK(pk == 1);
	CHECK(ct.acct_packets[0] == 3);
	CHECK(ct.acct_packets[1] == 1);
	CHECK(ct.acct_bytes[1] == 104);
	struct fl_stats st;
	fl_flowtable_stats(t.ft, &st);
	CHECK(st.hits == 4);
}

TEST_CASE("fastpath: a zero UDP checksum stays zero, NAT or not", "[fastpath]")
{
	TestPlatform plat;
	Table t;
	FlowSpec s;
	s.l4proto = FL_IPPROTO_UDP;
	s.snat = s.dnat = true;
	add(t.ft, s);
	FrameSpec fs = flow_frame(s, FL_DIR_ORIGINAL);
	fs.udp_zero_csum = true;
	Run r(build_frame(fs), s.client_if);
	r.go(t.ft);
	REQUIRE(r.res.verdict == FL_VERDICT_XMIT);
	IpView v = read_ip(r.l3());
	CHECK(v.l4_csum == 0);
	CHECK(v.saddr == s.snat_addr);
	CHECK(verify_checksums(r.l3(), r.res.out_len - r.res.l3_offset) == "");
}

TEST_CASE("fastpath: partial checksums update the pseudo-header sum only", "[fastpath]")
{
	TestPlatform plat;
	Table t;
	FlowSpec s;
	s.snat = s.dnat = true;
	add(t.ft, s);
	// A CHECKSUM_PARTIAL packet: the field holds the folded pseudo-header sum.
	auto pseudo = [](const std::string &src, const std::string &dst, uint16_t l4len) {
		struct fl_addr a = parse_addr(4, src), b = parse_addr(4, dst);
		uint32_t sum = 0;
		for (int i = 0; i < 4; i += 2) {
			sum += static_cast<uint32_t>(a.b[i] << 8 | a.b[i + 1]);
			sum += static_cast<uint32_t>(b.b[i] << 8 | b.b[i + 1]);
		}
		sum += 6 + l4len;
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		return static_cast<uint16_t>(sum);
	};
	FrameSpec fs = flow_frame(s, FL_DIR_ORIGINAL);
	Bytes frame = build_frame(fs);
	size_t csum_at = 14 + 20 + 16;
	uint16_t before = pseudo(fs.saddr, fs.daddr, 20 + 64);
	frame[csum_at] = static_cast<uint8_t>(before >> 8);
	frame[csum_at + 1] = static_cast<uint8_t>(before);
	Run r(frame, s.client_if, FL_PKT_BUILD_L2 | FL_PKT_CSUM_PARTIAL);
	r.go(t.ft);
	REQUIRE(r.res.verdict == FL_VERDICT_XMIT);
	IpView v = read_ip(r.l3());
	CHECK(v.l4_csum == pseudo(s.snat_addr, s.server, 20 + 64));
	CHECK(v.sport == s.snat_port);
	CHECK(v.dport == s.server_port);
}

TEST_CASE("fastpath: VLAN and PPPoE are popped on ingress and pushed on egress", "[fastpath]")
{
	TestPlatform plat;
	Table t;
	FlowSpec s;
	s.client_encap = {{10, FL_ETH_P_8021Q}};
	s.server_encap = {{100, FL_ETH_P_8021AD}, {20, FL_ETH_P_8021Q}};
	s.snat = true;
	add(t.ft, s);

	// Original: arrives tagged 10, leaves QinQ 100/20 toward the server.
	Run o(build_frame(flow_frame(s, FL_DIR_ORIGINAL)), s.client_if);
	o.go(t.ft);
	REQUIRE(o.res.verdict == FL_VERDICT_XMIT);
	FrameSpec want = flow_frame(s, FL_DIR_REPLY); // same encapsulation as the server side
	REQUIRE(o.res.l3_offset == l3_offset(want));
	const uint8_t *h = o.res.out_data;
	CHECK((h[12] << 8 | h[13]) == 0x88a8);
	CHECK((h[14] << 8 | h[15]) == 100);
	CHECK((h[16] << 8 | h[17]) == 0x8100);
	CHECK((h[18] << 8 | h[19]) == 20);
	CHECK((h[20] << 8 | h[21]) == 0x0800);
	CHECK(verify_checksums(o.l3(), o.res.out_len - o.res.l3_offset) == "");

	// Untagged at the client side: no match (the key includes the encapsulation).
	FrameSpec plain = flow_frame(s, FL_DIR_ORIGINAL);
	plain.vlans.clear();
	Run miss(build_frame(plain), s.client_if);
	miss.go(t.ft);
	CHECK(miss.res.reason == FL_SLOW_NO_ENTRY);

	// Reply: arrives QinQ, leaves tagged 10.
	Run r(build_frame(flow_frame(s, FL_DIR_REPLY)), s.server_if);
	r.go(t.ft);
	REQUIRE(r.res.verdict == FL_VERDICT_XMIT);
	REQUIRE(r.res.l3_offset == 18);
	CHECK((r.res.out_data[12] << 8 | r.res.out_data[13]) == 0x8100);
	CHECK((r.res.out_data[14] << 8 | r.res.out_data[15]) == 10);
}

TEST_CASE("fastpath: PPPoE sessions", "[fastpath]")
{
	TestPlatform plat;
	Table t;
	FlowSpec s = v6_spec();
	s.client_encap = {{0x1234, FL_ETH_P_PPP_SES}};
	add(t.ft, s);
	FrameSpec fs = flow_frame(s, FL_DIR_ORIGINAL);
	fs.vlans.clear();
	fs.pppoe_session = 0x1234;
	Run o(build_frame(fs), s.client_if);
	o.go(t.ft);
	REQUIRE(o.res.verdict == FL_VERDICT_XMIT);
	CHECK(o.res.l3_offset == 14); // plain Ethernet toward the server

	Run r(build_frame(flow_frame(s, FL_DIR_REPLY)), s.server_if);
	r.go(t.ft);
	REQUIRE(r.res.verdict == FL_VERDICT_XMIT);
	REQUIRE(r.res.l3_offset == 22);
	const uint8_t *h = r.res.out_data;
	CHECK((h[12] << 8 | h[13]) == 0x8864);
	CHECK(h[14] == 0x11);
	CHECK((h[16] << 8 | h[17]) == 0x1234);
	CHECK(static_cast<unsigned>(h[18] << 8 | h[19]) == r.res.out_len - 22 + 2);
	CHECK((h[20] << 8 | h[21]) == 0x0057);
}

TEST_CASE("fastpath: every bail-out names its reason and leaves the packet alone",
	  "[fastpath]")
{
	TestPlatform plat;
	FakeCt ct;
	FakeRoute route;
	Table t;
	FlowSpec s;
	s.ct = &ct;
	s.xmit_kind = FL_XMIT_NEIGH;
	s.route[0] = s.route[1] = &route;
	s.mtu = 1400;
	add(t.ft, s);
	FlowSpec u;
	u.l4proto = FL_IPPROTO_UDP;
	u.client_port = 5353;
	add(t.ft, u);

	auto reason_of = [&](FrameSpec fs, int iif = 1, uint8_t entry = FL_ENTRY_L2) {
		Bytes frame = build_frame(fs);
		Run r(frame, iif, FL_PKT_BUILD_L2, entry);
		r.go(t.ft);
		CHECK(Bytes(r.buf.begin() + kHeadroom, r.buf.end()) == frame); // untouched
		return static_cast<int>(r.res.reason);
	};
	FrameSpec base = flow_frame(s, FL_DIR_ORIGINAL);

	CHECK(reason_of(base, 7) == FL_SLOW_NO_ENTRY);
	FrameSpec f = base;
	f.fragment = true;
	CHECK(reason_of(f) == FL_SLOW_FRAGMENT);
	f = base;
	f.ipv4_options = 4;
	CHECK(reason_of(f) == FL_SLOW_IP_OPTIONS);
	f = base;
	f.ttl = 1;
	CHECK(reason_of(f) == FL_SLOW_TTL);
	f = base;
	f.proto = 1;
	CHECK(reason_of(f) == FL_SLOW_NOT_TCP_UDP);
	f = base;
	f.tot_len_delta = 10;
	CHECK(reason_of(f) == FL_SLOW_MALFORMED);
	f = base;
	f.truncate_to = 14 + 20 + 10;
	CHECK(reason_of(f) == FL_SLOW_MALFORMED);
	{
		// A header checksum damaged on the wire: an incremental update would
		// carry the damage on, so the classic path gets it (and drops it).
		Bytes frame = build_frame(base);
		frame[14 + 10] ^= 0x40;
		Run r(frame, 1);
		r.go(t.ft);
		CHECK(r.res.reason == FL_SLOW_MALFORMED);
		CHECK(Bytes(r.buf.begin() + kHeadroom, r.buf.end()) == frame);
	}
	f = base;
	f.payload = 1500;
	CHECK(reason_of(f) == FL_SLOW_MTU);
	f = base;
	f.ipver = 6;
	f.saddr = "2001:db8::1";
	f.daddr = "2001:db8::2";
	f.ipv6_ext = 0; // hop-by-hop
	CHECK(reason_of(f) == FL_SLOW_IP_OPTIONS);
	f.ipv6_ext = 0xff;
	f.fragment = true;
	CHECK(reason_of(f) == FL_SLOW_FRAGMENT);

	// Not IP: an ARP frame.
	Bytes arp(60, 0);
	arp[12] = 0x08;
	arp[13] = 0x06;
	Run a(arp, 1);
	a.go(t.ft);
	CHECK(a.res.reason == FL_SLOW_NOT_IP);

	// Stale route: torn down, then "torn down" for the next packet.
	route.valid = false;
	CHECK(reason_of(base) == FL_SLOW_ROUTE_STALE);
	CHECK(ct.last_reason == FL_TEARDOWN_ROUTE_STALE);
	CHECK(reason_of(base) == FL_SLOW_TEARDOWN);
	struct fl_stats st;
	fl_flowtable_stats(t.ft, &st);
	CHECK(st.slow[FL_SLOW_NO_ENTRY] == 1);
	CHECK(st.slow[FL_SLOW_MTU] == 1);
	CHECK(st.slow[FL_SLOW_TEARDOWN] == 1);
	CHECK(st.hits == 0);
}

TEST_CASE("fastpath: TCP FIN and RST tear the flow down", "[fastpath]")
{
	TestPlatform plat;
	for (uint8_t flag : {uint8_t(0x01), uint8_t(0x04)}) {
		FakeCt ct;
		Table t;
		FlowSpec s;
		s.ct = &ct;
		add(t.ft, s);
		FrameSpec fs = flow_frame(s, FL_DIR_REPLY);
		fs.tcp_flags = static_cast<uint8_t>(0x10 | flag);
		Run r(build_frame(fs), s.server_if);
		r.go(t.ft);
		CHECK(r.res.reason == FL_SLOW_TCP_FIN_RST);
		CHECK(ct.teardowns == 1);
		CHECK(ct.last_reason == FL_TEARDOWN_TCP_FIN_RST);
		Run next(build_frame(flow_frame(s, FL_DIR_ORIGINAL)), s.client_if);
		next.go(t.ft);
		CHECK(next.res.reason == FL_SLOW_TEARDOWN);
	}
}

TEST_CASE("fastpath: with TCP_CLOSING, FIN and RST only mark the flow closing", "[fastpath]")
{
	TestPlatform plat;
	for (uint8_t flag : {uint8_t(0x01), uint8_t(0x04)}) {
		CAPTURE(flag);
		FakeCt ct;
		Table t(FL_FLOWTABLE_TCP_CLOSING);
		FlowSpec s;
		s.ct = &ct;
		struct fl_flow *flow = add(t.ft, s);
		FrameSpec fs = flow_frame(s, FL_DIR_REPLY);
		fs.tcp_flags = static_cast<uint8_t>(0x10 | flag);
		Run r(build_frame(fs), s.server_if);
		r.go(t.ft);
		// The FIN/RST itself is forwarded: conntrack is not told yet.
		CHECK(r.res.verdict == FL_VERDICT_XMIT);
		CHECK(ct.teardowns == 0);
		CHECK((fl_flow_flags(flow) & FL_FLOW_CLOSING));
		CHECK_FALSE((fl_flow_flags(flow) & FL_FLOW_TEARDOWN));
		// The rest of the close (the other side's FIN, the last ACK) too.
		FrameSpec ack = flow_frame(s, FL_DIR_ORIGINAL);
		ack.tcp_flags = 0x11;
		Run next(build_frame(ack), s.client_if);
		next.go(t.ft);
		CHECK(next.res.verdict == FL_VERDICT_XMIT);
		CHECK(ct.teardowns == 0);
	}
}

TEST_CASE("fastpath: a SYN on a closing flow tears it down; conntrack gets it closed",
	  "[fastpath]")
{
	TestPlatform plat;
	FakeCt ct;
	Table t(FL_FLOWTABLE_TCP_CLOSING);
	FlowSpec s;
	s.ct = &ct;
	struct fl_flow *flow = add(t.ft, s);
	// A SYN on an open flow is not a reopen: it rides the fastpath like
	// upstream's (conntrack judges it when the flow ends).
	FrameSpec syn = flow_frame(s, FL_DIR_ORIGINAL);
	syn.tcp_flags = 0x02;
	Run early(build_frame(syn), s.client_if);
	early.go(t.ft);
	CHECK(early.res.verdict == FL_VERDICT_XMIT);

	FrameSpec rst = flow_frame(s, FL_DIR_ORIGINAL);
	rst.tcp_flags = 0x04;
	Run r(build_frame(rst), s.client_if);
	r.go(t.ft);
	REQUIRE((fl_flow_flags(flow) & FL_FLOW_CLOSING));

	Run reopen(build_frame(syn), s.client_if);
	reopen.go(t.ft);
	CHECK(reopen.res.verdict == FL_VERDICT_SLOWPATH);
	CHECK(reopen.res.reason == FL_SLOW_TCP_REOPEN);
	CHECK(ct.teardowns == 1);
	CHECK(ct.last_reason == FL_TEARDOWN_TCP_CLOSED);
	Run after(build_frame(flow_frame(s, FL_DIR_REPLY)), s.server_if);
	after.go(t.ft);
	CHECK(after.res.reason == FL_SLOW_TEARDOWN);
	struct fl_stats st;
	fl_flowtable_stats(t.ft, &st);
	CHECK(st.slow[FL_SLOW_TCP_REOPEN] == 1);
	CHECK(std::string(fl_slow_reason_name(FL_SLOW_TCP_REOPEN)) == "tcp-reopen");
}

TEST_CASE("fastpath: a closing flow that times out goes back to conntrack closed",
	  "[fastpath]")
{
	TestPlatform plat;
	FakeCt ct;
	Table t(FL_FLOWTABLE_TCP_CLOSING);
	FlowSpec s;
	s.ct = &ct;
	add(t.ft, s);
	FrameSpec fin = flow_frame(s, FL_DIR_ORIGINAL);
	fin.tcp_flags = 0x11;
	Run r(build_frame(fin), s.client_if);
	r.go(t.ft);
	REQUIRE(r.res.verdict == FL_VERDICT_XMIT);
	plat.advance_s(31);
	struct fl_gc_result g = {};
	fl_flowtable_gc(t.ft, &g);
	CHECK(g.expired == 1);
	CHECK(ct.teardowns == 1);
	CHECK(ct.last_reason == FL_TEARDOWN_TCP_CLOSED);
}

TEST_CASE("fastpath: UDP ignores TCP_CLOSING; unknown table flags are refused", "[fastpath]")
{
	TestPlatform plat;
	Table t(FL_FLOWTABLE_TCP_CLOSING);
	FlowSpec s;
	s.l4proto = FL_IPPROTO_UDP;
	struct fl_flow *flow = add(t.ft, s);
	Run r(build_frame(flow_frame(s, FL_DIR_ORIGINAL)), s.client_if);
	r.go(t.ft);
	CHECK(r.res.verdict == FL_VERDICT_XMIT);
	CHECK_FALSE((fl_flow_flags(flow) & FL_FLOW_CLOSING));
	struct fl_flowtable_config cfg = {};
	cfg.flags = 0x80;
	cfg.ops = fake_ops();
	struct fl_flowtable *bad = nullptr;
	CHECK(fl_flowtable_create(&cfg, &bad) == -22);
}

TEST_CASE("fastpath: GSO packets fit when their segments do", "[fastpath]")
{
	TestPlatform plat;
	Table t;
	FlowSpec s;
	s.mtu = 1500;
	add(t.ft, s);
	FrameSpec fs = flow_frame(s, FL_DIR_ORIGINAL);
	fs.payload = 4000;
	Run big(build_frame(fs), s.client_if);
	big.go(t.ft);
	CHECK(big.res.reason == FL_SLOW_MTU);
	Run gso(build_frame(fs), s.client_if, FL_PKT_BUILD_L2 | FL_PKT_GSO);
	gso.pkt.gso_size = 1460; // 20 + 20 + 1460 = 1500 per segment
	gso.go(t.ft);
	CHECK(gso.res.verdict == FL_VERDICT_XMIT);
	Run fat(build_frame(fs), s.client_if, FL_PKT_BUILD_L2 | FL_PKT_GSO);
	fat.pkt.gso_size = 1461;
	fat.go(t.ft);
	CHECK(fat.res.reason == FL_SLOW_MTU);
}

TEST_CASE("fastpath: the kernel's ethertype entry and raw L3 entry", "[fastpath]")
{
	TestPlatform plat;
	Table t;
	FlowSpec s;
	s.client_encap = {{10, FL_ETH_P_8021Q}};
	s.xmit_kind = FL_XMIT_NEIGH;
	add(t.ft, s);
	Bytes frame = build_frame(flow_frame(s, FL_DIR_ORIGINAL));

	SECTION("ethertype entry: data after the Ethernet header")
	{
		Run r(frame, s.client_if, 0, FL_ENTRY_ETHERTYPE, 14);
		r.pkt.ethertype = 0x8100;
		r.go(t.ft);
		REQUIRE(r.res.verdict == FL_VERDICT_XMIT);
		CHECK_FALSE(r.res.l2_written);
		CHECK(r.res.l3_offset == 0);
		CHECK(r.res.out_data == r.pkt.data + 4); // VLAN header popped
		CHECK(r.res.out_ethertype == 0x0800);
		CHECK(r.res.xmit_kind == FL_XMIT_NEIGH);
	}
	SECTION("an already stripped (hardware) tag")
	{
		Run r(build_frame([&] {
			      FrameSpec f = flow_frame(s, FL_DIR_ORIGINAL);
			      f.vlans.clear();
			      return f;
		      }()),
		      s.client_if, FL_PKT_HW_VLAN, FL_ENTRY_ETHERTYPE, 14);
		r.pkt.ethertype = 0x0800;
		r.pkt.hw_vlan_id = 10;
		r.pkt.hw_vlan_proto = FL_ETH_P_8021Q;
		r.go(t.ft);
		CHECK(r.res.verdict == FL_VERDICT_XMIT);
	}
	SECTION("headers not contiguous: ask for a pull")
	{
		Run r(frame, s.client_if, 0, FL_ENTRY_ETHERTYPE, 14);
		r.pkt.ethertype = 0x8100;
		r.pkt.headlen = 30;
		r.go(t.ft);
		CHECK(r.res.reason == FL_SLOW_NEED_PULL);
		CHECK(r.res.need == 4 + 20 + 20);
		r.pkt.headlen = r.res.need;
		r.go(t.ft);
		CHECK(r.res.verdict == FL_VERDICT_XMIT);
	}
}

TEST_CASE("fastpath: building L2 needs headroom", "[fastpath]")
{
	TestPlatform plat;
	Table t;
	FlowSpec s;
	s.server_encap = {{100, FL_ETH_P_8021AD}, {20, FL_ETH_P_8021Q}};
	add(t.ft, s);
	FrameSpec fs = flow_frame(s, FL_DIR_ORIGINAL);
	fs.l2 = false;
	Bytes ip = build_frame(fs);
	Run r(ip, s.client_if, FL_PKT_BUILD_L2, FL_ENTRY_L3);
	r.pkt.headroom = 10;
	r.go(t.ft);
	CHECK(r.res.reason == FL_SLOW_NO_HEADROOM);
	r.pkt.headroom = 22;
	r.go(t.ft);
	CHECK(r.res.verdict == FL_VERDICT_XMIT);
	CHECK(r.res.l3_offset == 22);
}

namespace {

// A platform that unshares its packet before the first write: copy into a new
// buffer and point the packet there (as skb_try_make_writable may).
struct Unshare {
	std::vector<uint8_t> copy;
	int calls = 0;
	fl_u32 asked = 0;
	bool refuse = false;
};

bool unshare(struct fl_packet *pkt, fl_u32 len)
{
	auto *u = static_cast<Unshare *>(pkt->priv);
	u->calls++;
	u->asked = len;
	if (u->refuse)
		return false;
	u->copy.assign(pkt->data - pkt->headroom, pkt->data + pkt->len);
	pkt->data = u->copy.data() + pkt->headroom;
	return true;
}

} // namespace

TEST_CASE("fastpath: prepare_write runs once before any write and may move the packet",
	  "[fastpath]")
{
	TestPlatform plat;
	Table t;
	FlowSpec s;
	s.snat = true;
	add(t.ft, s);
	Bytes frame = build_frame(flow_frame(s, FL_DIR_ORIGINAL));

	Unshare u;
	Run r(frame, s.client_if);
	r.pkt.prepare_write = unshare;
	r.pkt.priv = &u;
	r.go(t.ft);
	REQUIRE(r.res.verdict == FL_VERDICT_XMIT);
	CHECK(u.calls == 1);
	CHECK(u.asked == 14 + 20 + 20);
	// The rewrite happened in the new buffer; the original is untouched.
	CHECK(r.res.out_data >= u.copy.data());
	CHECK(r.res.out_data < u.copy.data() + u.copy.size());
	CHECK(Bytes(r.buf.begin() + kHeadroom, r.buf.end()) == frame);
	CHECK(read_ip(r.l3()).saddr == s.snat_addr);
	CHECK(verify_checksums(r.l3(), r.res.out_len - r.res.l3_offset) == "");

	Unshare no;
	no.refuse = true;
	Run refused(frame, s.client_if);
	refused.pkt.prepare_write = unshare;
	refused.pkt.priv = &no;
	refused.go(t.ft);
	CHECK(refused.res.reason == FL_SLOW_NOT_WRITABLE);
	CHECK(Bytes(refused.buf.begin() + kHeadroom, refused.buf.end()) == frame);

	// Misses never ask.
	Unshare miss;
	Run m(frame, 99);
	m.pkt.prepare_write = unshare;
	m.pkt.priv = &miss;
	m.go(t.ft);
	CHECK(miss.calls == 0);
}

TEST_CASE("fastpath: an ip or ip6 flowtable takes only its own family", "[fastpath]")
{
	TestPlatform plat;
	for (fl_u8 family : {fl_u8(FL_L3_IPV4), fl_u8(FL_L3_IPV6)}) {
		Table t(0, family);
		FlowSpec v4;
		FlowSpec v6 = v6_spec();
		add(t.ft, v4);
		add(t.ft, v6);
		Run r4(build_frame(flow_frame(v4, FL_DIR_ORIGINAL)), v4.client_if);
		r4.go(t.ft);
		Run r6(build_frame(flow_frame(v6, FL_DIR_ORIGINAL)), v6.client_if);
		r6.go(t.ft);
		CHECK(r4.res.verdict == (family == FL_L3_IPV4 ? FL_VERDICT_XMIT : FL_VERDICT_SLOWPATH));
		CHECK(r6.res.verdict == (family == FL_L3_IPV6 ? FL_VERDICT_XMIT : FL_VERDICT_SLOWPATH));
		CHECK((family == FL_L3_IPV4 ? r6 : r4).res.reason == FL_SLOW_NOT_IP);
	}
}

// Frames another host should get (promiscuous mode, a bridge port, broadcast or
// multicast) are never forwarded by the fastpath, even when their tuple is a flow's.
TEST_CASE("fastpath: frames not addressed to this host take the slowpath", "[fastpath]")
{
	TestPlatform plat;
	Table t;
	FlowSpec s;
	add(t.ft, s);
	Bytes frame = build_frame(flow_frame(s, FL_DIR_ORIGINAL));
	Run other(frame, s.client_if, FL_PKT_BUILD_L2 | FL_PKT_NOT_HOST);
	other.go(t.ft);
	CHECK(other.res.verdict == FL_VERDICT_SLOWPATH);
	CHECK(other.res.reason == FL_SLOW_NOT_HOST);
	CHECK(Bytes(other.pkt.data, other.pkt.data + other.pkt.len) == frame);
	struct fl_stats st;
	fl_flowtable_stats(t.ft, &st);
	CHECK(st.slow[FL_SLOW_NOT_HOST] == 1);
	CHECK(std::string(fl_slow_reason_name(FL_SLOW_NOT_HOST)) == "not-host");

	Run ours(frame, s.client_if);
	ours.go(t.ft);
	CHECK(ours.res.verdict == FL_VERDICT_XMIT);
}

// The kernel keys a VLAN on the whole tag control field: a frame whose priority
// (or DEI) bits are not the flow's takes the slowpath, in band or stripped.
TEST_CASE("fastpath: VLAN priority bits are part of the key", "[fastpath]")
{
	TestPlatform plat;
	Table t;
	FlowSpec s;
	s.client_encap = {{10, FL_ETH_P_8021Q}};
	add(t.ft, s);
	FrameSpec fs = flow_frame(s, FL_DIR_ORIGINAL);

	Run plain(build_frame(fs), s.client_if);
	plain.go(t.ft);
	CHECK(plain.res.verdict == FL_VERDICT_XMIT);

	for (uint16_t bits : {uint16_t(5u << 13), uint16_t(1u << 12)}) {
		FrameSpec tagged = fs;
		tagged.vlans[0].id = static_cast<uint16_t>(10 | bits);
		Run r(build_frame(tagged), s.client_if);
		r.go(t.ft);
		CHECK(r.res.reason == FL_SLOW_NO_ENTRY);

		FrameSpec stripped = fs;
		stripped.vlans.clear();
		Run hw(build_frame(stripped), s.client_if, FL_PKT_HW_VLAN, FL_ENTRY_ETHERTYPE, 14);
		hw.pkt.ethertype = 0x0800;
		hw.pkt.hw_vlan_id = static_cast<uint16_t>(10 | bits);
		hw.pkt.hw_vlan_proto = FL_ETH_P_8021Q;
		hw.go(t.ft);
		CHECK(hw.res.reason == FL_SLOW_NO_ENTRY);
	}
}

// A platform pulls exactly what the fastpath asks for and calls again: the
// deepest untunnelled encapsulations need one round per header (QinQ: two
// tags, the IP header, the TCP header; PPPoE behind a VLAN tag as many), within
// FL_FASTPATH_MAX_PULLS (which leaves one more for a tunnel's outer header).
TEST_CASE("fastpath: non-linear headers need at most FL_FASTPATH_MAX_PULLS pulls", "[fastpath]")
{
	TestPlatform plat;
	Table t;
	FlowSpec s;
	SECTION("QinQ")
	{
		s.client_encap = {{100, FL_ETH_P_8021AD}, {20, FL_ETH_P_8021Q}};
	}
	SECTION("PPPoE behind a VLAN tag")
	{
		s.client_encap = {{30, FL_ETH_P_8021Q}, {0x1234, FL_ETH_P_PPP_SES}};
	}
	SECTION("PPPoE behind a VLAN tag, IPv6")
	{
		s = v6_spec();
		s.client_encap = {{30, FL_ETH_P_8021Q}, {0x1234, FL_ETH_P_PPP_SES}};
	}
	add(t.ft, s);
	FrameSpec fs = flow_frame(s, FL_DIR_ORIGINAL);
	if (s.client_encap.back().proto == FL_ETH_P_PPP_SES) {
		fs.vlans.resize(1);
		fs.pppoe_session = 0x1234;
	}
	Run r(build_frame(fs), s.client_if, 0, FL_ENTRY_ETHERTYPE, 14);
	r.pkt.ethertype = fs.vlans[0].proto;
	r.pkt.headlen = 0; // nothing linear: every header needs its own pull
	unsigned pulls = 0;
	for (;;) {
		r.go(t.ft);
		if (r.res.reason != FL_SLOW_NEED_PULL)
			break;
		REQUIRE(r.res.need > r.pkt.headlen);
		r.pkt.headlen = r.res.need;
		pulls++;
		REQUIRE(pulls <= FL_FASTPATH_MAX_PULLS);
	}
	CHECK(r.res.verdict == FL_VERDICT_XMIT);
	CHECK(pulls == FL_ENCAP_MAX + 2);
}

// `nft add flowtable ... { counter; }` as an update of a live table: conntrack
// counts the packets after it, and stops counting after the flag is cleared.
TEST_CASE("fastpath: a counter flag update applies to the next packets", "[fastpath]")
{
	TestPlatform plat;
	FakeCt ct;
	Table t;
	FlowSpec s;
	s.ct = &ct;
	add(t.ft, s);
	auto send = [&] {
		Run r(build_frame(flow_frame(s, FL_DIR_ORIGINAL)), s.client_if);
		r.go(t.ft);
		REQUIRE(r.res.verdict == FL_VERDICT_XMIT);
	};
	send();
	CHECK(ct.acct_packets[0] == 0);
	REQUIRE(fl_flowtable_set_flags(t.ft, FL_FLOWTABLE_COUNTER) == 0);
	CHECK(fl_flowtable_flags_get(t.ft) == FL_FLOWTABLE_COUNTER);
	send();
	send();
	CHECK(ct.acct_packets[0] == 2);
	REQUIRE(fl_flowtable_set_flags(t.ft, 0) == 0);
	send();
	CHECK(ct.acct_packets[0] == 2);
	// Hardware offload is bound at creation; unknown flags are refused.
	CHECK(fl_flowtable_set_flags(t.ft, FL_FLOWTABLE_HW_OFFLOAD) == -EINVAL);
	CHECK(fl_flowtable_set_flags(t.ft, 0x80) == -EINVAL);
	CHECK(fl_flowtable_flags_get(t.ft) == 0);
}
