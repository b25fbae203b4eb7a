// SPDX-License-Identifier: GPL-2.0
//
// IP tunnels on the packet path: IPIP, IP6IP6 and IPv4 in IPv6 flows (also
// over VLAN) decapsulated on the way in and encapsulated on the way out, with
// every checksum recomputed from scratch; outer headers validated before they
// are read (header length, total length, fragments, options, hop limit);
// packets of another tunnel never touching the flow; headroom grown through the
// platform's expand_head().
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <cstring>
#include <string>
#include <vector>

#include "flowlane/flowtable.h"
#include "testing/fakes/fake_conntrack.h"
#include "testing/fakes/fake_platform.h"
#include "testing/fakes/flow_builder.h"
#include "sim/net/frames.h"

using namespace flfake;

namespace {

constexpr size_t kRoom = 96;

// The client sits behind a tunnel: its packets arrive encapsulated from
// kRemote to kLocal, the server's go back the mirrored way.
struct TunnelSpec {
	FlowSpec flow;
	int outer = 4;
	std::string remote = "192.0.2.10";
	std::string local = "192.0.2.1";
};

TunnelSpec spec_for(int inner, int outer)
{
	TunnelSpec t;
	t.outer = outer;
	t.flow.ipver = inner;
	if (inner == 6) {
		t.flow.client = "2001:db8:1::2";
		t.flow.server = "2001:db8:2::2";
		t.flow.snat_addr = "2001:db8:ff::1";
		t.flow.dnat_addr = "2001:db8:ee::7";
	}
	if (outer == 6) {
		t.remote = "2001:db8:77::10";
		t.local = "2001:db8:77::1";
	}
	return t;
}

struct fl_flow_params tunnel_params(const TunnelSpec &t)
{
	struct fl_flow_params p = make_params(t.flow);
	struct fl_tunnel &tun = p.tun[FL_DIR_ORIGINAL];
	tun.l3proto = t.outer == 4 ? FL_L3_IPV4 : FL_L3_IPV6;
	tun.src = parse_addr(t.outer, t.remote);
	tun.dst = parse_addr(t.outer, t.local);
	return p;
}

struct Table {
	struct fl_flowtable *ft = nullptr;
	Table()
	{
		struct fl_flowtable_config cfg = {};
		cfg.ops = fake_ops();
		REQUIRE(fl_flowtable_create(&cfg, &ft) == 0);
	}
	~Table() { fl_flowtable_destroy(ft); }
	struct fl_flow *add(const struct fl_flow_params &p)
	{
		struct fl_flow *flow = nullptr;
		REQUIRE(fl_flow_create(ft, &p, &flow) == 0);
		REQUIRE(fl_flowtable_add(ft, flow) == 0);
		return flow;
	}
};

// Knobs for outer headers the fastpath must refuse.
struct Outer {
	int ver = 4;
	std::string src, dst;
	uint8_t ihl_words = 5;
	int tot_len_delta = 0;
	bool fragment = false;
	uint8_t ttl = 64;
	int proto = -1; // -1: from the inner version
};

void put16(Bytes &b, size_t off, uint16_t v)
{
	b[off] = static_cast<uint8_t>(v >> 8);
	b[off + 1] = static_cast<uint8_t>(v);
}

uint16_t header_checksum(const uint8_t *h, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += static_cast<uint32_t>(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return static_cast<uint16_t>(~sum);
}

Bytes outer_header(const Outer &o, size_t inner_len, int inner_ver)
{
	uint8_t proto = o.proto >= 0 ? static_cast<uint8_t>(o.proto) : inner_ver == 4 ? 4 : 41;
	struct fl_addr s = parse_addr(o.ver, o.src), d = parse_addr(o.ver, o.dst);
	if (o.ver == 6) {
		Bytes h(40, 0);
		h[0] = 0x60;
		put16(h, 4, static_cast<uint16_t>(inner_len + o.tot_len_delta));
		h[6] = proto;
		h[7] = o.ttl;
		std::memcpy(&h[8], s.b, 16);
		std::memcpy(&h[24], d.b, 16);
		return h;
	}
	size_t hl = o.ihl_words < 5 ? 20 : o.ihl_words * 4u;
	Bytes h(hl, 0);
	h[0] = static_cast<uint8_t>(0x40 | o.ihl_words);
	put16(h, 2, static_cast<uint16_t>(hl + inner_len + o.tot_len_delta));
	put16(h, 6, o.fragment ? 0x2000 : 0x4000);
	h[8] = o.ttl;
	h[9] = proto;
	std::memcpy(&h[12], s.b, 4);
	std::memcpy(&h[16], d.b, 4);
	put16(h, 10, header_checksum(h.data(), h.size()));
	return h;
}

// The client's packet as it arrives on the router: Ethernet (+ tags), outer, inner.
Bytes tunnel_frame(const TunnelSpec &t, const Outer &o, const FrameSpec &inner_spec)
{
	FrameSpec in = inner_spec;
	in.l2 = false;
	in.vlans.clear();
	Bytes inner = build_frame(in);
	FrameSpec eth = inner_spec;
	Bytes l2 = build_frame(eth);
	l2.resize(l3_offset(eth));
	// The L2 header's last ethertype says what follows: the outer header's.
	put16(l2, l2.size() - 2, o.ver == 4 ? 0x0800 : 0x86dd);
	Bytes f = l2;
	Bytes oh = outer_header(o, inner.size(), t.flow.ipver);
	f.insert(f.end(), oh.begin(), oh.end());
	f.insert(f.end(), inner.begin(), inner.end());
	return f;
}

Outer outer_of(const TunnelSpec &t)
{
	Outer o;
	o.ver = t.outer;
	o.src = t.remote;
	o.dst = t.local;
	return o;
}

struct Run {
	Bytes buf;
	struct fl_packet pkt = {};
	struct fl_result res = {};

	Run(const Bytes &frame, int iif, size_t room = kRoom)
	{
		buf.assign(room, 0);
		buf.insert(buf.end(), frame.begin(), frame.end());
		pkt.data = buf.data() + room;
		pkt.len = pkt.headlen = static_cast<fl_u32>(frame.size());
		pkt.headroom = static_cast<fl_u32>(room);
		pkt.iifindex = iif;
		pkt.entry = FL_ENTRY_L2;
		pkt.flags = FL_PKT_BUILD_L2;
	}
	void go(struct fl_flowtable *ft)
	{
		fl_rcu_read_lock();
		fl_fastpath(ft, &pkt, &res);
		fl_rcu_read_unlock();
	}
	const uint8_t *l3() const { return res.out_data + res.l3_offset; }
	size_t l3_len() const { return res.out_len - res.l3_offset; }
};

std::string addr_at(int ver, const uint8_t *p) { return addr_to_string(ver, p); }

} // namespace

TEST_CASE("tunnel: IPIP, IP6IP6 and IPv4-in-IPv6 flows decapsulate in, encapsulate out",
	  "[fastpath][tunnel]")
{
	TestPlatform plat;
	struct Case {
		int inner, outer;
		bool vlan;
	};
	for (Case k : {Case{4, 4, false}, Case{6, 6, false}, Case{4, 6, false}, Case{4, 4, true},
		       Case{6, 6, true}}) {
		CAPTURE(k.inner, k.outer, k.vlan);
		TunnelSpec t = spec_for(k.inner, k.outer);
		t.flow.snat = true;
		if (k.vlan)
			t.flow.client_encap = {fl_encap{10, FL_ETH_P_8021Q}};
		FakeCt ct;
		t.flow.ct = &ct;
		Table tab;
		struct fl_flow *flow = tab.add(tunnel_params(t));
		REQUIRE(fl_flow_tunnel(flow, FL_DIR_ORIGINAL) != nullptr);
		CHECK(fl_flow_tunnel(flow, FL_DIR_REPLY) == nullptr);

		// In: the client's packet comes out of the tunnel, NATed, TTL - 1.
		FrameSpec fs = flow_frame(t.flow, FL_DIR_ORIGINAL);
		fs.ttl = 30;
		Run in(tunnel_frame(t, outer_of(t), fs), t.flow.client_if);
		in.go(tab.ft);
		REQUIRE(in.res.verdict == FL_VERDICT_XMIT);
		CHECK(in.res.tunnel_pushed == 0);
		CHECK(in.res.tunnel_popped == (k.outer == 4 ? FL_L3_IPV4 : FL_L3_IPV6));
		CHECK(in.res.out_ethertype == (k.inner == 4 ? FL_ETH_P_IPV4 : FL_ETH_P_IPV6));
		CHECK(in.res.l3_offset == 14); // the server side: plain Ethernet
		IpView v = read_ip(in.l3());
		CHECK(v.ipver == k.inner);
		CHECK(v.saddr == t.flow.snat_addr);
		CHECK(v.daddr == t.flow.server);
		CHECK(v.ttl == 29);
		CHECK(verify_checksums(in.l3(), in.l3_len()) == "");
		CHECK(std::memcmp(in.res.out_data, kServerMac.data(), 6) == 0);

		// Out: the server's answer leaves in the mirrored outer header.
		FrameSpec rs = flow_frame(t.flow, FL_DIR_REPLY);
		rs.ttl = 40;
		Run out(build_frame(rs), t.flow.server_if);
		out.go(tab.ft);
		REQUIRE(out.res.verdict == FL_VERDICT_XMIT);
		CHECK(out.res.tunnel_pushed == (k.outer == 4 ? FL_L3_IPV4 : FL_L3_IPV6));
		CHECK(out.res.tunnel_popped == 0);
		CHECK(out.res.out_ethertype == (k.outer == 4 ? FL_ETH_P_IPV4 : FL_ETH_P_IPV6));
		CHECK(addr_at(k.outer, out.res.nexthop.b) == t.remote);
		const uint8_t *oh = out.l3();
		size_t ohl = k.outer == 4 ? 20 : 40;
		CHECK(out.res.l3_offset == (k.vlan ? 18u : 14u));
		if (k.vlan) {
			CHECK(out.res.out_data[12] == 0x81);
			CHECK((out.res.out_data[14] << 8 | out.res.out_data[15]) == 10);
			CHECK((out.res.out_data[16] << 8 | out.res.out_data[17]) ==
			      (k.outer == 4 ? 0x0800 : 0x86dd));
		}
		if (k.outer == 4) {
			CHECK(oh[0] == 0x45);
			CHECK(size_t(oh[2] << 8 | oh[3]) == out.l3_len());
			CHECK(oh[8] == 39); // the inner TTL after the decrement
			CHECK(oh[9] == 4);
			CHECK(header_checksum(oh, 20) == 0);
			CHECK(addr_at(4, oh + 12) == t.local);
			CHECK(addr_at(4, oh + 16) == t.remote);
		} else {
			CHECK(oh[0] >> 4 == 6);
			CHECK(size_t(oh[4] << 8 | oh[5]) == out.l3_len() - 40);
			CHECK(oh[6] == (k.inner == 4 ? 4 : 41));
			CHECK(oh[7] == 39);
			CHECK(addr_at(6, oh + 8) == t.local);
			CHECK(addr_at(6, oh + 24) == t.remote);
		}
		IpView iv = read_ip(oh + ohl);
		CHECK(iv.saddr == t.flow.server);
		CHECK(iv.daddr == t.flow.client);
		CHECK(iv.ttl == 39);
		CHECK(verify_checksums(oh + ohl, out.l3_len() - ohl) == "");
		CHECK(ct.teardowns == 0);
	}
}

TEST_CASE("tunnel: outer headers are validated before they are read", "[fastpath][tunnel]")
{
	TestPlatform plat;
	TunnelSpec t = spec_for(4, 4);
	Table tab;
	tab.add(tunnel_params(t));
	FrameSpec fs = flow_frame(t.flow, FL_DIR_ORIGINAL);
	struct Bad {
		const char *what;
		Outer o;
		uint8_t reason;
	};
	std::vector<Bad> bad;
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		Outer o = outer_of(t);
		o.ihl_words = ihl;
		bad.push_back({"ihl below 5", o, FL_SLOW_MALFORMED});
	}
	Outer longer = outer_of(t);
	longer.tot_len_delta = 1;
	bad.push_back({"total length beyond the frame", longer, FL_SLOW_MALFORMED});
	Outer shorter = outer_of(t);
	shorter.tot_len_delta = -8;
	bad.push_back({"inner packet beyond the outer", shorter, FL_SLOW_MALFORMED});
	Outer options = outer_of(t);
	options.ihl_words = 6;
	bad.push_back({"outer options", options, FL_SLOW_TUNNEL});
	Outer frag = outer_of(t);
	frag.fragment = true;
	bad.push_back({"outer fragment", frag, FL_SLOW_TUNNEL});
	Outer ttl = outer_of(t);
	ttl.ttl = 1;
	bad.push_back({"outer ttl 1", ttl, FL_SLOW_TUNNEL});
	Outer sit = outer_of(t);
	sit.proto = 41;
	bad.push_back({"IPv6 in IPv4 (not a tunnel the fastpath takes)", sit, FL_SLOW_NOT_TCP_UDP});
	for (const Bad &b : bad) {
		CAPTURE(b.what);
		Bytes frame = tunnel_frame(t, b.o, fs);
		Run r(frame, t.flow.client_if);
		r.go(tab.ft);
		CHECK(r.res.verdict == FL_VERDICT_SLOWPATH);
		CHECK(r.res.reason == b.reason);
		CHECK(Bytes(r.pkt.data, r.pkt.data + r.pkt.len) == frame); // untouched
	}
	// Truncated in the outer header: a pull request, never a read past the end.
	Bytes frame = tunnel_frame(t, outer_of(t), fs);
	Run cut(frame, t.flow.client_if);
	cut.pkt.headlen = 14 + 12;
	cut.go(tab.ft);
	CHECK(cut.res.reason == FL_SLOW_NEED_PULL);
	CHECK(cut.res.need == 14 + 20);
	Bytes head(frame.begin(), frame.begin() + 14 + 16);
	Run tiny(head, t.flow.client_if);
	tiny.go(tab.ft);
	CHECK(tiny.res.reason == FL_SLOW_MALFORMED);
}

TEST_CASE("tunnel: another tunnel's packets, and plain ones, never touch the flow",
	  "[fastpath][tunnel]")
{
	TestPlatform plat;
	TunnelSpec t = spec_for(4, 4);
	FakeCt ct;
	t.flow.ct = &ct;
	Table tab;
	tab.add(tunnel_params(t));
	FrameSpec fin = flow_frame(t.flow, FL_DIR_ORIGINAL);
	fin.tcp_flags = 0x11;
	Outer other = outer_of(t);
	other.src = "203.0.113.66";
	Run spoof(tunnel_frame(t, other, fin), t.flow.client_if);
	spoof.go(tab.ft);
	CHECK(spoof.res.reason == FL_SLOW_NO_ENTRY);
	Run plain(build_frame(fin), t.flow.client_if);
	plain.go(tab.ft);
	CHECK(plain.res.reason == FL_SLOW_NO_ENTRY);
	CHECK(ct.teardowns == 0);
	Run good(tunnel_frame(t, outer_of(t), flow_frame(t.flow, FL_DIR_ORIGINAL)), t.flow.client_if);
	good.go(tab.ft);
	CHECK(good.res.verdict == FL_VERDICT_XMIT);
}

namespace {

// A platform that moves the packet to a bigger buffer, like pskb_expand_head.
struct Grower {
	static Bytes *spare;
	static unsigned calls;
	static fl_u32 asked;
	static bool grow(struct fl_packet *pkt, fl_u32 need)
	{
		calls++;
		asked = need;
		spare->assign(need + 16 + pkt->len, 0);
		std::memcpy(spare->data() + need + 16, pkt->data, pkt->len);
		pkt->data = spare->data() + need + 16;
		pkt->headroom = need + 16;
		pkt->headlen = pkt->len;
		return true;
	}
	static bool refuse(struct fl_packet *, fl_u32) { return false; }
};
Bytes *Grower::spare;
unsigned Grower::calls;
fl_u32 Grower::asked;

} // namespace

TEST_CASE("tunnel: the platform grows the headroom for the outer and Ethernet headers",
	  "[fastpath][tunnel]")
{
	TestPlatform plat;
	TunnelSpec t = spec_for(6, 6);
	t.flow.client_encap = {fl_encap{7, FL_ETH_P_8021Q}};
	Table tab;
	tab.add(tunnel_params(t));
	Bytes frame = build_frame(flow_frame(t.flow, FL_DIR_REPLY));
	// 14 bytes of Ethernet and 2 of headroom, 40 + 18 to push.
	Run none(frame, t.flow.server_if, 2);
	none.go(tab.ft);
	CHECK(none.res.reason == FL_SLOW_NO_HEADROOM);
	Run refused(frame, t.flow.server_if, 2);
	refused.pkt.expand_head = Grower::refuse;
	refused.go(tab.ft);
	CHECK(refused.res.reason == FL_SLOW_NO_HEADROOM);
	CHECK(Bytes(refused.pkt.data, refused.pkt.data + refused.pkt.len) == frame);

	Bytes spare;
	Grower::spare = &spare;
	Grower::calls = 0;
	Run grown(frame, t.flow.server_if, 2);
	grown.pkt.expand_head = Grower::grow;
	grown.go(tab.ft);
	REQUIRE(grown.res.verdict == FL_VERDICT_XMIT);
	CHECK(Grower::calls == 1);
	CHECK(Grower::asked == 40 + 18 - 14);
	CHECK(grown.res.out_data >= spare.data());
	CHECK(grown.res.l3_offset == 18);
	CHECK(verify_checksums(grown.l3() + 40, grown.l3_len() - 40) == "");

	// Enough room already: never called.
	Grower::calls = 0;
	Run roomy(frame, t.flow.server_if);
	roomy.pkt.expand_head = Grower::grow;
	roomy.go(tab.ft);
	CHECK(roomy.res.verdict == FL_VERDICT_XMIT);
	CHECK(Grower::calls == 0);
}

TEST_CASE("tunnel: flow parameters are checked", "[fastpath][tunnel]")
{
	TestPlatform plat;
	Table tab;
	struct fl_flow *flow = nullptr;
	{
		TunnelSpec t = spec_for(6, 4); // IPv6 in IPv4: not taken
		struct fl_flow_params p = tunnel_params(t);
		CHECK(fl_flow_create(tab.ft, &p, &flow) == -22);
	}
	{
		TunnelSpec t = spec_for(4, 4);
		t.flow.client_encap = {fl_encap{7, FL_ETH_P_8021Q}, fl_encap{8, FL_ETH_P_8021Q}};
		struct fl_flow_params p = tunnel_params(t);
		CHECK(fl_flow_create(tab.ft, &p, &flow) == -22); // no slot left for the tunnel
	}
	{
		TunnelSpec t = spec_for(4, 4);
		struct fl_flow_params p = tunnel_params(t);
		p.tun[FL_DIR_ORIGINAL].src.b[7] = 1; // IPv4 with bytes beyond the address
		CHECK(fl_flow_create(tab.ft, &p, &flow) == -22);
		p = tunnel_params(t);
		p.tun[FL_DIR_REPLY].src.b[0] = 1; // no tunnel, yet addresses
		CHECK(fl_flow_create(tab.ft, &p, &flow) == -22);
	}
	// A tunnel flow that was added is freed with its tail (ASan checks the size).
	TunnelSpec a = spec_for(4, 4);
	tab.add(tunnel_params(a));
	CHECK(fl_flowtable_count(tab.ft) == 1);
}

TEST_CASE("xfrm: IPv6 flows over IPsec routes take the fastpath like IPv4's", "[fastpath][xfrm]")
{
	TestPlatform plat;
	for (int ipver : {4, 6}) {
		CAPTURE(ipver);
		TunnelSpec t = spec_for(ipver, ipver);
		FakeRoute out, back;
		FakeCt ct;
		t.flow.xmit_kind = FL_XMIT_XFRM;
		t.flow.route[0] = &out;
		t.flow.route[1] = &back;
		t.flow.ct = &ct;
		Table tab;
		tab.add(make_params(t.flow));
		FrameSpec fs = flow_frame(t.flow, FL_DIR_ORIGINAL);
		fs.ttl = 9;
		Run r(build_frame(fs), t.flow.client_if);
		r.pkt.flags = 0; // the kernel hands IPsec packets to dst_output at L3
		r.go(tab.ft);
		REQUIRE(r.res.verdict == FL_VERDICT_XMIT);
		CHECK(r.res.xmit_kind == FL_XMIT_XFRM);
		CHECK(r.res.xmit->route == &out);
		CHECK(r.res.l3_offset == 0);
		CHECK(read_ip(r.l3()).ttl == 8);
		CHECK(verify_checksums(r.l3(), r.l3_len()) == "");
		// The policy changed (a stale bundle): the flow goes back to conntrack.
		out.valid = false;
		Run stale(build_frame(fs), t.flow.client_if);
		stale.go(tab.ft);
		CHECK(stale.res.reason == FL_SLOW_ROUTE_STALE);
		CHECK(ct.last_reason == FL_TEARDOWN_ROUTE_STALE);
	}
}
