// SPDX-License-Identifier: GPL-2.0
//
// libFuzzer target: arbitrary bytes as a pcap capture into the simulator. The
// reader must reject malformed files with an error (never crash, over-read or
// leak); every frame it accepts goes through a router with a hardware-offload
// flowtable and NAT — mock NIC, fastpath, conntrack, nft evaluation — which
// must take anything without crashing and account for every frame.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/net/frames.h"
#include "testing/fuzz/fuzz_seeds.h"
#include "sim/net/pcap_io.h"
#include "sim/router/router.h"

namespace {

const char *kRuleset = R"(table inet filter {
	flowtable f { hook ingress priority 0; devices = { eth0, eth1 }; flags offload; counter; }
	chain forward {
		type filter hook forward priority 0; policy accept;
		meta l4proto { tcp, udp } flow add @f
		counter
	}
}
table ip nat {
	chain pre { type nat hook prerouting priority dstnat; tcp dport 8080 dnat to 10.0.2.2:80; }
	chain post { type nat hook postrouting priority srcnat; oifname "eth1" udp dport 53 masquerade; }
}
)";

const char *kTopology = R"(ip link add eth0 type veth peer name c
ip link add eth1 type veth peer name s
ip link add link eth0 name eth0.7 type vlan id 7
ip link set eth0 up
ip link set eth1 up
ip link set eth0.7 up
ip addr add 10.0.1.1/24 dev eth0
ip addr add 10.0.3.1/24 dev eth0.7
ip addr add 10.0.2.1/24 dev eth1
ip -6 addr add 2001:db8:1::1/64 dev eth0
ip -6 addr add 2001:db8:2::1/64 dev eth1
ip link set eth1 mtu 1400
)";

constexpr size_t kMaxFrames = 64;

std::unique_ptr<flsim::Router> make_router()
{
	auto rs = flsim::parse_ruleset(kRuleset, "fuzz.nft");
	auto topo = flsim::parse_topology(kTopology, "fuzz.ip");
	if (!std::holds_alternative<flsim::Ruleset>(rs) || !std::holds_alternative<flsim::Topology>(topo))
		std::abort();
	auto r = flsim::Router::create(std::get<flsim::Ruleset>(std::move(rs)), std::get<flsim::Topology>(std::move(topo)));
	if (!std::holds_alternative<std::unique_ptr<flsim::Router>>(r))
		std::abort();
	return std::get<std::unique_ptr<flsim::Router>>(std::move(r));
}

void write_seeds(const char *dir)
{
	auto r = make_router();
	flfake::Mac eth0 = r->topology().link("eth0")->mac, eth1 = r->topology().link("eth1")->mac;
	struct Seed {
		int ipver;
		uint8_t proto;
		uint16_t dport;
		bool vlan;
	};
	const Seed seeds[] = {{4, 6, 80, false}, {4, 6, 8080, false}, {4, 17, 53, false}, {6, 17, 5000, false},
			      {4, 6, 22, true}};
	int n = 0;
	for (const Seed &s : seeds) {
		flsim::PcapWriter w;
		if (w.open(flfuzz::seed_path(dir, n++)) != "")
			continue;
		const uint8_t flags[] = {0x02, 0x12, 0x10, 0x18, 0x10, 0x11, 0x11, 0x10};
		for (int i = 0; i < 8; i++) {
			bool reply = i % 2;
			flfake::FrameSpec f;
			f.ipver = s.ipver;
			f.proto = s.proto;
			std::string c = s.ipver == 4 ? (s.vlan ? "10.0.3.2" : "10.0.1.2") : "2001:db8:1::2";
			std::string sv = s.ipver == 4 ? "10.0.2.2" : "2001:db8:2::2";
			f.saddr = reply ? sv : c;
			f.daddr = reply ? c : sv;
			f.sport = reply ? s.dport : 40000;
			f.dport = reply ? 40000 : s.dport;
			f.tcp_flags = flags[i];
			f.dst = reply ? eth1 : eth0;
			if (s.vlan && !reply)
				f.vlans.push_back({0x8100, 7});
			w.write(static_cast<uint64_t>(i) * 1000, flfake::build_frame(f));
		}
	}
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
	flfuzz::write_seeds_if_asked(write_seeds);
	return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	auto frames = flsim::read_pcap_bytes(data, size, "fuzz.pcap");
	if (auto *d = std::get_if<flsim::Diag>(&frames)) {
		if (d->str().rfind("fuzz.pcap", 0) != 0)
			std::abort();
		return 0;
	}
	auto &list = std::get<std::vector<flsim::PcapFrame>>(frames);
	auto r = make_router();
	const flsim::MacAddr &eth0 = r->topology().link("eth0")->mac;
	size_t n = 0;
	for (const flsim::PcapFrame &f : list) {
		if (n++ == kMaxFrames)
			break;
		// Frames for eth0's MAC arrive on eth0, the others on eth1.
		bool to_eth0 = f.data.size() >= 6 && std::equal(eth0.begin(), eth0.end(), f.data.begin());
		r->receive(to_eth0 ? "eth0" : "eth1", f.data);
		r->advance_ms(f.ts_us % 4000);
	}
	flsim::RouterStats st = r->stats();
	if (st.received != std::min(n, kMaxFrames))
		std::abort();
	if (st.hw + st.fast + st.slow + st.bridged + st.local + st.dropped + st.ignored != st.received)
		std::abort(); // every frame is accounted for exactly once
	return 0;
}
