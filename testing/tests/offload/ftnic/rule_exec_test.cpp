// SPDX-License-Identifier: GPL-2.0
//
// The test NIC's flow engine: rules in the kernel's encoding (the masks and
// the action order Linux 6.1's nf_flow_table sends) executed on frames built
// by sim/net/frames.h, compared byte for byte with the frame the software
// path would emit; misses, punts and the rule checks.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <cstring>
#include <vector>

#include "offload/ftnic/rule_exec.h"
#include "sim/net/frames.h"

using namespace flfake;

namespace {

constexpr int kIn = 3, kOut = 4;
constexpr uint32_t kOpts = FTX_DEC_TTL | FTX_FIX_CSUM;
const Mac kNewDst = {0x02, 0xdd, 0, 0, 0, 0x22};
const Mac kNewSrc = {0x02, 0x55, 0, 0, 0, 0x11};

uint32_t be_word(const uint8_t *p)
{
	return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

// Rules as the kernel encodes them, with the words already in host order.
struct RuleBuilder {
	fl_rule r;

	RuleBuilder() { std::memset(&r, 0, sizeof(r)); }

	fl_action &next()
	{
		REQUIRE(r.num_actions < FL_RULE_MAX_ACTIONS);
		return r.actions[r.num_actions++];
	}
	RuleBuilder &mangle(uint8_t htype, uint32_t off, uint32_t mask, uint32_t val)
	{
		fl_action &a = next();
		a.id = FL_ACT_MANGLE;
		a.htype = htype;
		a.mangle.offset = off;
		a.mangle.mask = mask;
		a.mangle.val = val;
		return *this;
	}
	// nf_flow_table_offload.c's granularity: source then destination, two partial words each.
	RuleBuilder &eth(const Mac &dst, const Mac &src)
	{
		mangle(FL_HDR_ETH, 4, 0xffff0000u, uint32_t(src[0]) << 8 | src[1]);
		mangle(FL_HDR_ETH, 8, 0, be_word(&src[2]));
		mangle(FL_HDR_ETH, 0, 0, be_word(&dst[0]));
		return mangle(FL_HDR_ETH, 4, 0x0000ffffu, (uint32_t(dst[4]) << 8 | dst[5]) << 16);
	}
	RuleBuilder &addr(int ipver, bool source, const char *to)
	{
		uint8_t b[16];
		REQUIRE(inet_pton(ipver == 4 ? AF_INET : AF_INET6, to, b) == 1);
		if (ipver == 4)
			return mangle(FL_HDR_IPV4, source ? 12 : 16, 0, be_word(b));
		for (uint32_t w = 0; w < 4; w++)
			mangle(FL_HDR_IPV6, (source ? 8 : 24) + 4 * w, 0, be_word(b + 4 * w));
		return *this;
	}
	RuleBuilder &port(uint8_t htype, bool source, uint16_t to)
	{
		return source ? mangle(htype, 0, 0x0000ffffu, uint32_t(to) << 16)
			      : mangle(htype, 0, 0xffff0000u, to);
	}
	RuleBuilder &simple(uint8_t id)
	{
		next().id = id;
		return *this;
	}
	RuleBuilder &csum(uint32_t flags)
	{
		fl_action &a = next();
		a.id = FL_ACT_CSUM;
		a.csum_flags = flags;
		return *this;
	}
	RuleBuilder &push_vlan(uint16_t id, uint16_t proto = 0x8100)
	{
		fl_action &a = next();
		a.id = FL_ACT_VLAN_PUSH;
		a.vlan.id = id;
		a.vlan.proto = proto;
		return *this;
	}
	RuleBuilder &push_pppoe(uint16_t sid)
	{
		fl_action &a = next();
		a.id = FL_ACT_PPPOE_PUSH;
		a.pppoe.sid = sid;
		return *this;
	}
	RuleBuilder &redirect(int ifindex)
	{
		fl_action &a = next();
		a.id = FL_ACT_REDIRECT;
		a.redirect.ifindex = ifindex;
		return *this;
	}
};

// The match nf_flow_table_offload.c builds for the frame @s describes.
fl_rule_match match_for(const FrameSpec &s, int port = kIn)
{
	fl_rule_match m;
	std::memset(&m, 0, sizeof(m));
	m.keys = FL_MATCH_INGRESS | FL_MATCH_BASIC | FL_MATCH_PORTS;
	m.ingress_ifindex = port;
	m.n_proto = s.ipver == 4 ? 0x0800 : 0x86dd;
	m.n_proto_mask = 0xffff;
	m.ip_proto = s.proto;
	m.ip_proto_mask = 0xff;
	m.l3proto = s.ipver == 4 ? FL_L3_IPV4 : FL_L3_IPV6;
	m.keys |= s.ipver == 4 ? FL_MATCH_IPV4 : FL_MATCH_IPV6;
	int af = s.ipver == 4 ? AF_INET : AF_INET6;
	size_t alen = s.ipver == 4 ? 4 : 16;
	REQUIRE(inet_pton(af, s.saddr.c_str(), m.src.b) == 1);
	REQUIRE(inet_pton(af, s.daddr.c_str(), m.dst.b) == 1);
	std::memset(m.src_mask.b, 0xff, alen);
	std::memset(m.dst_mask.b, 0xff, alen);
	m.sport = htons(s.sport);
	m.dport = htons(s.dport);
	m.sport_mask = m.dport_mask = 0xffff;
	if (s.proto == 6) {
		m.keys |= FL_MATCH_TCP_FLAGS;
		m.tcp_flags_mask = 0x05; // FIN | RST
	}
	return m;
}

// A frame with headroom in front, run through one rule.
struct Run {
	std::vector<uint8_t> buf;
	ftx_frame f;
	ftx_plan plan;
	ftx_result result;

	Run(const fl_rule &r, const Bytes &frame, uint32_t opts = kOpts, int port = kIn,
	    size_t headroom = 32)
	    : buf(headroom + frame.size())
	{
		std::memcpy(buf.data() + headroom, frame.data(), frame.size());
		f = {buf.data() + headroom, uint32_t(frame.size()), uint32_t(headroom)};
		result = ftx_execute(&r, port, &f, opts, &plan);
	}
	Bytes out() const { return Bytes(f.data, f.data + f.len); }
};

void require_same(const Bytes &got, const Bytes &want)
{
	REQUIRE(got.size() == want.size());
	for (size_t i = 0; i < want.size(); i++) {
		INFO("byte " << i);
		REQUIRE(int(got[i]) == int(want[i]));
	}
}

} // namespace

TEST_CASE("ftnic engine: IPv4 TCP SNAT in the kernel's encoding, byte for byte", "[ftnic]")
{
	FrameSpec in;
	RuleBuilder b;
	b.r.match = match_for(in);
	b.eth(kNewDst, kNewSrc).addr(4, true, "192.0.2.1").port(FL_HDR_TCP, true, 50000);
	b.csum(FL_CSUM_IPV4HDR | FL_CSUM_TCP).redirect(kOut);
	REQUIRE(ftx_check_rule(&b.r) == FTX_OK);

	Run run(b.r, build_frame(in));
	REQUIRE(run.result == FTX_OK);
	CHECK(run.plan.egress == kOut);

	FrameSpec want = in;
	want.dst = kNewDst;
	want.src = kNewSrc;
	want.saddr = "192.0.2.1";
	want.sport = 50000;
	want.ttl = 63;
	require_same(run.out(), build_frame(want));
	CHECK(run.plan.out_len == run.f.len);
	CHECK(run.plan.mtu_len == run.f.len - 14);
}

TEST_CASE("ftnic engine: IPv6 UDP DNAT without a checksum action (stock sends none for IPv6)",
	  "[ftnic]")
{
	FrameSpec in;
	in.ipver = 6;
	in.proto = 17;
	in.saddr = "2001:db8:1::2";
	in.daddr = "2001:db8:2::2";
	RuleBuilder b;
	b.r.match = match_for(in);
	b.eth(kNewDst, kNewSrc).addr(6, false, "2001:db8:99::7").port(FL_HDR_UDP, false, 5353);
	b.redirect(kOut);

	FrameSpec want = in;
	want.dst = kNewDst;
	want.src = kNewSrc;
	want.daddr = "2001:db8:99::7";
	want.dport = 5353;
	want.ttl = 63;

	SECTION("the NIC keeps the checksum right, as hardware does")
	{
		Run run(b.r, build_frame(in));
		REQUIRE(run.result == FTX_OK);
		require_same(run.out(), build_frame(want));
	}
	SECTION("without checksum fixing the UDP checksum is left stale")
	{
		Run run(b.r, build_frame(in), FTX_DEC_TTL);
		REQUIRE(run.result == FTX_OK);
		Bytes out = run.out();
		CHECK(verify_checksums(out.data() + 14, out.size() - 14) == "udp checksum");
	}
	SECTION("without the TTL knob the hop limit is kept")
	{
		Run run(b.r, build_frame(in), FTX_FIX_CSUM);
		REQUIRE(run.result == FTX_OK);
		want.ttl = 64;
		require_same(run.out(), build_frame(want));
	}
}

TEST_CASE("ftnic engine: a full checksum action recomputes; zero UDP checksum over IPv4 stays zero",
	  "[ftnic]")
{
	FrameSpec in;
	in.proto = 17;
	in.udp_zero_csum = true;
	RuleBuilder b;
	b.r.match = match_for(in);
	b.eth(kNewDst, kNewSrc).addr(4, false, "198.51.100.9").port(FL_HDR_UDP, false, 8080);
	b.csum(FL_CSUM_IPV4HDR | FL_CSUM_UDP).redirect(kOut);
	Run run(b.r, build_frame(in));
	REQUIRE(run.result == FTX_OK);
	FrameSpec want = in;
	want.dst = kNewDst;
	want.src = kNewSrc;
	want.daddr = "198.51.100.9";
	want.dport = 8080;
	want.ttl = 63;
	require_same(run.out(), build_frame(want));
}

TEST_CASE("ftnic engine: VLAN pop, then two pushes listed outermost first (stock order)", "[ftnic]")
{
	FrameSpec in;
	in.vlans = {{0x8100, 10}};
	RuleBuilder b;
	b.r.match = match_for(in);
	b.r.match.keys |= FL_MATCH_VLAN;
	b.r.match.vlan = {10, 0x0fff, 0x8100};
	b.eth(kNewDst, kNewSrc).simple(FL_ACT_VLAN_POP).push_vlan(100, 0x88a8).push_vlan(200);
	b.redirect(kOut);
	Run run(b.r, build_frame(in));
	REQUIRE(run.result == FTX_OK);
	FrameSpec want = in;
	want.dst = kNewDst;
	want.src = kNewSrc;
	want.vlans = {{0x88a8, 100}, {0x8100, 200}};
	want.ttl = 63;
	require_same(run.out(), build_frame(want));
	CHECK(run.plan.headroom == 4); // one tag popped, two pushed: the frame grows by 4 at most
	CHECK(run.plan.mtu_len == run.f.len - 14 - 8);
}

TEST_CASE("ftnic engine: PPPoE push inside a VLAN push; PPPoE pop of a session frame", "[ftnic]")
{
	FrameSpec plain;
	plain.ipver = 6;
	plain.saddr = "2001:db8:1::2";
	plain.daddr = "2001:db8:2::2";
	FrameSpec session = plain;
	session.vlans = {{0x8100, 100}};
	session.pppoe_session = 7;

	SECTION("push")
	{
		RuleBuilder b;
		b.r.match = match_for(plain);
		b.push_vlan(100).push_pppoe(7).redirect(kOut);
		Run run(b.r, build_frame(plain), FTX_FIX_CSUM);
		REQUIRE(run.result == FTX_OK);
		require_same(run.out(), build_frame(session));
		CHECK(run.plan.mtu_len == run.f.len - 14 - 4); // the PPPoE header counts against the MTU
	}
	SECTION("pop (a rule with the session key)")
	{
		RuleBuilder b;
		b.r.match = match_for(session);
		b.r.match.keys |= FL_MATCH_PPPOE;
		b.r.match.pppoe_sid = 7;
		b.simple(FL_ACT_VLAN_POP).simple(FL_ACT_PPPOE_POP).redirect(kOut);
		Run run(b.r, build_frame(session), FTX_FIX_CSUM);
		REQUIRE(run.result == FTX_OK);
		require_same(run.out(), build_frame(plain));
	}
	SECTION("a session frame never hits a rule without the session key (6.1 sends none)")
	{
		RuleBuilder b;
		b.r.match = match_for(session);
		b.eth(kNewDst, kNewSrc).redirect(kOut);
		Run run(b.r, build_frame(session));
		CHECK(run.result == FTX_MISS);
	}
	SECTION("a PPPoE push must be the innermost header")
	{
		RuleBuilder b;
		b.r.match = match_for(plain);
		b.push_pppoe(7).push_vlan(100).redirect(kOut);
		Run run(b.r, build_frame(plain));
		CHECK(run.result == FTX_PUNT_TAGS);
	}
}

TEST_CASE("ftnic engine: what misses", "[ftnic]")
{
	FrameSpec in;
	in.vlans = {{0x8100, 10}};
	RuleBuilder b;
	b.r.match = match_for(in);
	b.eth(kNewDst, kNewSrc).redirect(kOut);

	CHECK(Run(b.r, build_frame(in)).result == FTX_OK); // no VLAN key: tags are not looked at
	CHECK(Run(b.r, build_frame(in), kOpts, kOut).result == FTX_MISS);
	for (uint8_t flags : {uint8_t(0x11), uint8_t(0x14)}) { // FIN|ACK, RST|ACK reach software
		FrameSpec s = in;
		s.tcp_flags = flags;
		CHECK(Run(b.r, build_frame(s)).result == FTX_MISS);
	}
	FrameSpec other = in;
	other.sport = 40001;
	CHECK(Run(b.r, build_frame(other)).result == FTX_MISS);
	b.r.match.keys |= FL_MATCH_VLAN;
	b.r.match.vlan = {11, 0x0fff, 0x8100};
	CHECK(Run(b.r, build_frame(in)).result == FTX_MISS);
	b.r.match.vlan = {10, 0x0fff, 0};
	CHECK(Run(b.r, build_frame(in)).result == FTX_OK); // tpid 0: any tag protocol
	FrameSpec untagged;
	CHECK(Run(b.r, build_frame(untagged)).result == FTX_MISS);
}

TEST_CASE("ftnic engine: what goes to the software path, untouched", "[ftnic]")
{
	FrameSpec in;
	RuleBuilder b;
	b.r.match = match_for(in);
	b.eth(kNewDst, kNewSrc).redirect(kOut);

	auto punt = [&](const FrameSpec &s, uint32_t opts = kOpts, size_t headroom = 32) {
		Bytes frame = build_frame(s);
		Run run(b.r, frame, opts, kIn, headroom);
		if (run.result != FTX_OK)
			require_same(run.out(), frame); // a punted frame is never written
		return run.result;
	};
	FrameSpec ttl1 = in;
	ttl1.ttl = 1;
	CHECK(punt(ttl1) == FTX_PUNT_TTL);
	CHECK(punt(ttl1, FTX_FIX_CSUM) == FTX_OK); // the knob off: TTL is left alone
	FrameSpec options = in;
	options.ipv4_options = 4;
	CHECK(punt(options) == FTX_PUNT_PARSE);
	FrameSpec fragment = in;
	fragment.fragment = true;
	CHECK(punt(fragment) == FTX_PUNT_PARSE);
	FrameSpec truncated = in;
	truncated.truncate_to = 40;
	CHECK(punt(truncated) == FTX_PUNT_PARSE);
	FrameSpec ext = in;
	ext.ipver = 6;
	ext.saddr = "2001:db8::1";
	ext.daddr = "2001:db8::2";
	ext.ipv6_ext = 0; // hop-by-hop options: the transport is not where the rule looks
	RuleBuilder b6;
	b6.r.match = match_for(ext);
	b6.eth(kNewDst, kNewSrc).redirect(kOut);
	CHECK(Run(b6.r, build_frame(ext)).result == FTX_MISS);

	RuleBuilder pop = b;
	pop.simple(FL_ACT_VLAN_POP);
	b = pop;
	CHECK(punt(in) == FTX_PUNT_TAGS); // nothing to pop

	RuleBuilder push;
	push.r.match = match_for(in);
	push.push_vlan(5).push_vlan(6).redirect(kOut);
	b = push;
	CHECK(punt(in, kOpts, 4) == FTX_PUNT_HEADROOM);
	CHECK(punt(in, kOpts, 8) == FTX_OK);
}

TEST_CASE("ftnic engine: Ethernet padding is not forwarded; IPv4 header checksum after the TTL",
	  "[ftnic]")
{
	FrameSpec in;
	in.payload = 0;
	Bytes frame = build_frame(in);
	size_t ip_end = frame.size();
	frame.resize(60, 0); // a minimum-size frame from the wire
	RuleBuilder b;
	b.r.match = match_for(in);
	b.eth(kNewDst, kNewSrc).redirect(kOut);
	Run run(b.r, frame);
	REQUIRE(run.result == FTX_OK);
	REQUIRE(run.f.len == ip_end);
	Bytes out = run.out();
	CHECK(verify_checksums(out.data() + 14, out.size() - 14) == "");
	CHECK(out[14 + 8] == 63);
}

TEST_CASE("ftnic engine: rule checks and exact-match keys", "[ftnic]")
{
	FrameSpec in;
	RuleBuilder ok;
	ok.r.match = match_for(in);
	ok.eth(kNewDst, kNewSrc).redirect(kOut);
	CHECK(ftx_check_rule(&ok.r) == FTX_OK);

	RuleBuilder nowhere;
	nowhere.eth(kNewDst, kNewSrc);
	CHECK(ftx_check_rule(&nowhere.r) == FTX_PUNT_NO_EGRESS);
	RuleBuilder tunnel;
	tunnel.simple(FL_ACT_TUNNEL_DECAP).redirect(kOut);
	CHECK(ftx_check_rule(&tunnel.r) == FTX_PUNT_ACTION);
	RuleBuilder unaligned;
	unaligned.mangle(FL_HDR_IPV4, 13, 0, 1).redirect(kOut);
	CHECK(ftx_check_rule(&unaligned.r) == FTX_PUNT_ACTION);
	RuleBuilder outside;
	outside.mangle(FL_HDR_UDP, 8, 0, 1).redirect(kOut);
	CHECK(ftx_check_rule(&outside.r) == FTX_PUNT_ACTION);
	RuleBuilder many;
	for (int i = 0; i < 5; i++)
		many.push_vlan(uint16_t(i + 1));
	many.redirect(kOut);
	CHECK(ftx_check_rule(&many.r) == FTX_PUNT_ACTION);
	RuleBuilder oddcsum;
	oddcsum.csum(0x40).redirect(kOut);
	CHECK(ftx_check_rule(&oddcsum.r) == FTX_PUNT_ACTION);

	ftx_key rk, fk;
	REQUIRE(ftx_rule_key(&ok.r.match, &rk));
	Bytes frame = build_frame(in);
	ftx_layout lay;
	REQUIRE(ftx_parse(frame.data(), uint32_t(frame.size()), &lay) == FTX_OK);
	ftx_frame_key(frame.data(), &lay, &fk);
	CHECK(std::memcmp(&rk, &fk, sizeof(rk)) == 0);
	fl_rule_match partial = ok.r.match;
	partial.src_mask.b[3] = 0;
	CHECK_FALSE(ftx_rule_key(&partial, &rk));
	partial = ok.r.match;
	partial.keys &= ~FL_MATCH_PORTS;
	CHECK_FALSE(ftx_rule_key(&partial, &rk));
}

TEST_CASE("ftnic engine: a mangle keeps the bits of its mask and ORs in its value", "[ftnic]")
{
	FrameSpec in;
	Bytes frame = build_frame(in);
	RuleBuilder b;
	b.r.match = match_for(in);
	b.mangle(FL_HDR_ETH, 0, 0x00ff00ffu, 0xab00cd00u).redirect(kOut);
	Run run(b.r, frame, 0);
	REQUIRE(run.result == FTX_OK);
	Bytes out = run.out();
	CHECK(out[0] == 0xab);
	CHECK(out[1] == frame[1]);
	CHECK(out[2] == 0xcd);
	CHECK(out[3] == frame[3]);
	out[0] = frame[0];
	out[2] = frame[2];
	require_same(out, frame);
	CHECK(std::string(ftx_result_name(FTX_PUNT_TTL)) == "ttl");
}
