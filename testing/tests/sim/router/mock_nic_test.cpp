// SPDX-License-Identifier: GPL-2.0
//
// The mock NIC as a device: binding, commands, statistics as deltas, fault
// knobs, and the execution of rules on frames (no match on FIN, on a missing
// tag or on another port; encapsulations; zero UDP checksums).
#include <catch2/catch.hpp>

#include <cstring>

#include "flowlane/offload.h"
#include "testing/fakes/fake_platform.h"
#include "sim/net/frames.h"
#include "testing/fakes/offload_rig.h"
#include "sim/router/mock_nic.h"
#include "sim/router/nic_views.h"

using namespace flfake;

namespace {

FrameSpec client_frame(const FlowSpec &s)
{
	FrameSpec f;
	f.ipver = s.ipver;
	f.proto = s.l4proto;
	f.saddr = s.client;
	f.daddr = s.server;
	f.sport = s.client_port;
	f.dport = s.server_port;
	for (const fl_encap &e : s.client_encap)
		f.vlans.push_back({e.proto, e.id});
	return f;
}

} // namespace

TEST_CASE("mock NIC: statistics come back as deltas since the last poll", "[mocknic]")
{
	TestPlatform plat;
	OffloadRig rig;
	FlowSpec s;
	struct fl_flow *flow = rig.add(s);
	plat.run_work();
	Bytes frame = build_frame(client_frame(s));
	for (int i = 0; i < 5; i++)
		REQUIRE(rig.nic.receive(1, frame, 100));
	struct fl_rule_request req = {};
	req.cmd = FL_RULE_STATS;
	struct fl_rule rule;
	REQUIRE(fl_offload_build_rule(flow, FL_DIR_ORIGINAL, &rule) == 0);
	req.cookie = rule.cookie;
	auto rules = rig.nic.rules_on(1);
	REQUIRE(rules.size() == 1);
	// Through the block callback, as the engine calls it.
	struct fl_block_bind b = {};
	b.command = FL_BLOCK_BIND;
	b.ifindex = 1;
	REQUIRE(flmock::MockNic::setup(&rig.nic, FL_SETUP_FT, &b) == 0);
	REQUIRE(b.cb(FL_SETUP_CLSFLOWER, &req, b.cb_priv) == 0);
	CHECK(req.stats.packets == 5);
	CHECK(req.stats.bytes == 5 * (20 + 20 + 64));
	CHECK(req.stats.lastused == 100);
	req.stats = {};
	REQUIRE(b.cb(FL_SETUP_CLSFLOWER, &req, b.cb_priv) == 0);
	CHECK(req.stats.packets == 0);
	CHECK(req.stats.lastused == 100); // still its last hit
	CHECK(b.cb(FL_SETUP_FT, &req, b.cb_priv) == -95);
}

TEST_CASE("mock NIC: misses are the software path's", "[mocknic]")
{
	TestPlatform plat;
	OffloadRig rig;
	FlowSpec s;
	s.client_encap = {{10, FL_ETH_P_8021Q}};
	rig.add(s);
	plat.run_work();
	FrameSpec f = client_frame(s);
	CHECK(rig.nic.receive(1, build_frame(f), 0));
	CHECK_FALSE(rig.nic.receive(2, build_frame(f), 0)); // another port
	FrameSpec fin = f;
	fin.tcp_flags = 0x11;
	CHECK_FALSE(rig.nic.receive(1, build_frame(fin), 0)); // FIN goes to software
	FrameSpec untagged = f;
	untagged.vlans.clear();
	CHECK_FALSE(rig.nic.receive(1, build_frame(untagged), 0));
	FrameSpec other = f;
	other.vlans[0].id = 11;
	CHECK_FALSE(rig.nic.receive(1, build_frame(other), 0));
}

TEST_CASE("mock NIC: PPPoE is pushed on the way out; arriving in PPPoE stays in software",
	  "[mocknic]")
{
	TestPlatform plat;
	OffloadRig rig;
	FlowSpec s;
	s.client_encap = {{0x1234, FL_ETH_P_PPP_SES}};
	struct fl_flow *flow = rig.add(s);
	plat.run_work();
	// Linux's rule cannot match or pop PPPoE: the flow is not offloaded.
	CHECK(rig.nic.rule_count() == 0);
	CHECK(rig.stats().unsupported == 1);
	// The reply direction's rule pushes the session header; executed, it
	// makes the frame the client expects.
	struct fl_rule rule;
	REQUIRE(fl_offload_build_rule(flow, FL_DIR_REPLY, &rule) == 0);
	FrameSpec f;
	f.saddr = s.server;
	f.daddr = s.client;
	f.sport = s.server_port;
	f.dport = s.client_port;
	auto out = flmock::execute(rule, 2, build_frame(f));
	REQUIRE(out);
	CHECK(out->ifindex == 1);
	CHECK(out->frame[12] == 0x88);
	CHECK(out->frame[13] == 0x64);
	CHECK(out->frame[16] == 0x12);
	CHECK(out->frame[17] == 0x34);
	CHECK(out->frame[20] == 0x00);
	CHECK(out->frame[21] == 0x21); // PPP: IPv4
	CHECK(verify_checksums(out->frame.data() + 22, out->frame.size() - 22) == "");
}

TEST_CASE("views: tc-style rule dump and conntrack-style listing", "[mocknic][views]")
{
	TestPlatform plat;
	OffloadRig rig;
	FlowSpec s;
	s.snat = true;
	rig.add(s);
	FlowSpec t;
	t.client_port = 1234;
	t.l4proto = FL_IPPROTO_UDP;
	rig.nic.refuse_all(false);
	rig.add(t);
	plat.run_work();
	auto name = [](int i) { return i == 1 ? std::string("eth0") : std::string("eth1"); };
	std::string dump = flviews::tc_show(rig.nic, 1, name);
	CHECK(dump.find("filter protocol ip pref 1 flower") != std::string::npos);
	CHECK(dump.find("indev eth0") != std::string::npos);
	CHECK(dump.find("src_ip 10.0.1.2") != std::string::npos);
	CHECK(dump.find("tcp_flags 0x0/0x5") != std::string::npos);
	CHECK(dump.find("mirred (Egress Redirect to device eth1) stolen") != std::string::npos);
	CHECK(dump.find("in_hw in_hw_count 1") != std::string::npos);
	auto lines = flviews::conntrack_list(rig.ft);
	REQUIRE(lines.size() == 2);
	CHECK(lines[0].text.find("[HW_OFFLOAD]") != std::string::npos);
	CHECK(lines[0].text.find("dst=192.0.2.1") != std::string::npos); // SNAT in the reply tuple
	rig.nic.refuse_all(true);
	FlowSpec u;
	u.client_port = 999;
	rig.add(u);
	plat.run_work();
	lines = flviews::conntrack_list(rig.ft);
	REQUIRE(lines.size() == 3);
	int sw = 0;
	for (auto &l : lines)
		sw += l.text.find(" [OFFLOAD]") != std::string::npos;
	CHECK(sw == 1); // refused by the NIC: software offload only
}
