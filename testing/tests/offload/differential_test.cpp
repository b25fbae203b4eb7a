// SPDX-License-Identifier: GPL-2.0
//
// The differential property test: for thousands of randomized flows (IPv4/IPv6
// x TCP/UDP x no NAT/SNAT/DNAT/both x no VLAN/VLAN/QinQ on either side), every
// packet in both directions comes out byte-identical to what the software
// fastpath produces, with every checksum correct by full recomputation, from
// two independent executors of the same lowered (Linux 6.1 form) rules: the
// mock NIC, and the test NIC's flow engine (offload/ftnic/rule_exec, as
// ftnic.ko runs it: implicit TTL decrement, checksums kept right).
#include <catch2/catch.hpp>

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "flowlane/offload.h"
#include "offload/ftnic/rule_exec.h"
#include "testing/fakes/fake_platform.h"
#include "testing/fakes/flow_builder.h"
#include "sim/net/frames.h"
#include "testing/fakes/offload_rig.h"

using namespace flfake;

namespace {

std::string random_v4(std::mt19937 &rng)
{
	return std::to_string(1 + rng() % 223) + "." + std::to_string(rng() % 256) + "." +
	       std::to_string(rng() % 256) + "." + std::to_string(1 + rng() % 254);
}

std::string random_v6(std::mt19937 &rng)
{
	char buf[64];
	std::snprintf(buf, sizeof(buf), "2001:db8:%x:%x::%x:%x", static_cast<unsigned>(rng() & 0xffff),
		      static_cast<unsigned>(rng() & 0xffff), static_cast<unsigned>(rng() & 0xffff),
		      static_cast<unsigned>(1 + rng() % 0xfffe));
	return buf;
}

std::vector<fl_encap> random_encap(std::mt19937 &rng)
{
	switch (rng() % 4) {
	case 0:
	case 1:
		return {};
	case 2:
		return {{static_cast<fl_u16>(1 + rng() % 4094), FL_ETH_P_8021Q}};
	default:
		return {{static_cast<fl_u16>(1 + rng() % 4094), FL_ETH_P_8021AD},
			{static_cast<fl_u16>(1 + rng() % 4094), FL_ETH_P_8021Q}};
	}
}

FlowSpec random_flow(std::mt19937 &rng, uint32_t i)
{
	FlowSpec s;
	s.ipver = rng() % 2 ? 4 : 6;
	s.l4proto = rng() % 2 ? FL_IPPROTO_TCP : FL_IPPROTO_UDP;
	auto addr = [&] { return s.ipver == 4 ? random_v4(rng) : random_v6(rng); };
	s.client = addr();
	s.server = addr();
	s.snat_addr = addr();
	s.dnat_addr = addr();
	// Distinct ports per flow keep every generated key unique.
	s.client_port = static_cast<uint16_t>(1024 + i);
	s.server_port = static_cast<uint16_t>(1 + rng() % 65535);
	s.snat_port = static_cast<uint16_t>(1024 + i);
	s.dnat_port = static_cast<uint16_t>(1 + rng() % 65535);
	unsigned nat = rng() % 4;
	s.snat = nat & 1;
	s.dnat = nat & 2;
	s.client_encap = random_encap(rng);
	s.server_encap = random_encap(rng);
	s.mtu = 9000;
	return s;
}

FrameSpec packet(const FlowSpec &s, enum fl_dir dir, std::mt19937 &rng)
{
	FrameSpec f;
	f.ipver = s.ipver;
	f.proto = s.l4proto;
	bool o = dir == FL_DIR_ORIGINAL;
	f.saddr = o ? s.client : s.server;
	f.daddr = o ? (s.dnat ? s.dnat_addr : s.server) : (s.snat ? s.snat_addr : s.client);
	f.sport = o ? s.client_port : s.server_port;
	f.dport = o ? (s.dnat ? s.dnat_port : s.server_port) : (s.snat ? s.snat_port : s.client_port);
	f.src = o ? kClientMac : kServerMac;
	f.dst = o ? kRouterClientMac : kRouterServerMac;
	for (const fl_encap &e : o ? s.client_encap : s.server_encap)
		f.vlans.push_back({e.proto, e.id});
	f.ttl = static_cast<uint8_t>(2 + rng() % 250);
	f.payload = rng() % 1400;
	f.tcp_flags = rng() % 2 ? 0x10 : 0x18;
	f.seq = static_cast<uint32_t>(rng());
	f.udp_zero_csum = s.ipver == 4 && s.l4proto == FL_IPPROTO_UDP && rng() % 4 == 0;
	return f;
}

struct Soft {
	int ifindex;
	Bytes frame;
};

Soft software(struct fl_flowtable *ft, const Bytes &frame, int iif)
{
	std::vector<uint8_t> buf(64 + frame.size());
	std::copy(frame.begin(), frame.end(), buf.begin() + 64);
	struct fl_packet pkt = {};
	pkt.data = buf.data() + 64;
	pkt.len = pkt.headlen = static_cast<fl_u32>(frame.size());
	pkt.headroom = 64;
	pkt.iifindex = iif;
	pkt.flags = FL_PKT_BUILD_L2;
	struct fl_result res;
	fl_rcu_read_lock();
	fl_fastpath(ft, &pkt, &res);
	fl_rcu_read_unlock();
	if (res.verdict != FL_VERDICT_XMIT)
		return {0, {}};
	return {res.xmit->ifindex, Bytes(res.out_data, res.out_data + res.out_len)};
}

// The test NIC's engine on the rule the mock NIC forwarded the frame with:
// the frame it makes and where it sends it (0: it does not take the frame).
Soft ftnic_engine(const flmock::MockNic &nic, uint64_t cookie, int iif, const Bytes &frame)
{
	constexpr size_t kHeadroom = 64;
	std::optional<flmock::MockNic::Rule> r = nic.rule(cookie);
	if (!r)
		return {0, {}};
	std::vector<uint8_t> buf(kHeadroom + frame.size());
	std::copy(frame.begin(), frame.end(), buf.begin() + kHeadroom);
	struct ftx_frame f = {buf.data() + kHeadroom, static_cast<fl_u32>(frame.size()),
			      static_cast<fl_u32>(kHeadroom)};
	struct ftx_plan plan;
	if (ftx_execute(&r->rule, iif, &f, FTX_DEC_TTL | FTX_FIX_CSUM, &plan) != FTX_OK)
		return {0, {}};
	return {plan.egress, Bytes(f.data, f.data + f.len)};
}

} // namespace

TEST_CASE("offload: both NIC engines executing the rules equal the software fastpath, byte for byte",
	  "[offload][differential]")
{
	TestPlatform plat;
	constexpr uint32_t kFlows = 2000;
	constexpr int kPacketsPerDir = 3;
	std::mt19937 rng(20261123);
	OffloadRig rig;
	std::vector<FlowSpec> specs;
	for (uint32_t i = 0; i < kFlows; i++) {
		specs.push_back(random_flow(rng, i));
		rig.add(specs.back());
	}
	plat.run_work();
	REQUIRE(rig.stats().adds == kFlows);
	REQUIRE(rig.nic.rule_count() == 2 * kFlows);

	uint64_t compared = 0, mismatches = 0;
	for (const FlowSpec &s : specs) {
		for (enum fl_dir dir : {FL_DIR_ORIGINAL, FL_DIR_REPLY}) {
			int iif = dir == FL_DIR_ORIGINAL ? s.client_if : s.server_if;
			for (int k = 0; k < kPacketsPerDir; k++) {
				Bytes frame = build_frame(packet(s, dir, rng));
				auto hw = rig.nic.receive(iif, frame, flplat::now_ticks());
				Soft ft = hw ? ftnic_engine(rig.nic, hw->cookie, iif, frame) : Soft{0, {}};
				Soft sw = software(rig.ft, frame, iif);
				compared++;
				bool same = hw && sw.ifindex && hw->ifindex == sw.ifindex && hw->frame == sw.frame &&
					    ft.ifindex == sw.ifindex && ft.frame == sw.frame;
				if (!same) {
					mismatches++;
					if (mismatches <= 3) {
						CAPTURE(s.ipver, s.l4proto, s.snat, s.dnat, s.client_encap.size(),
							s.server_encap.size(), dir, bool(hw), ft.ifindex);
						CHECK(same);
					}
					continue;
				}
				// Leaving toward the other side, with its encapsulation (VLANs here).
				size_t l3 = 14 + 4 * (dir == FL_DIR_ORIGINAL ? s.server_encap.size()
									     : s.client_encap.size());
				CHECK(verify_checksums(sw.frame.data() + l3, sw.frame.size() - l3) == "");
			}
		}
	}
	std::printf("differential: %u randomized flows, %llu packets compared (mock NIC, ftnic engine, "
		    "software), %llu mismatches\n",
		    kFlows, static_cast<unsigned long long>(compared),
		    static_cast<unsigned long long>(mismatches));
	CHECK(compared == 2ull * kFlows * kPacketsPerDir);
	CHECK(mismatches == 0);
}
