// SPDX-License-Identifier: GPL-2.0
//
// The simulator against what Linux does with frames captured on real hosts:
// TCP super-packets (GRO/TSO) forwarded when their segments fit the egress
// MTU, partial checksums kept partial through NAT, `conntrack -L` as 6.1 prints
// offloaded entries, down links, and flowtables in hook-priority order.
#include <catch2/catch.hpp>

#include <string>

#include "sim/net/frames.h"
#include "sim/net/packet.h"
#include "sim/router/router.h"

using namespace flsim;

namespace {

template <typename T> T ok(Parsed<T> p)
{
	if (auto *d = std::get_if<Diag>(&p))
		FAIL(d->str());
	return std::get<T>(std::move(p));
}

std::unique_ptr<Router> make_router(const std::string &rs, const std::string &topo)
{
	return ok(Router::create(ok(parse_ruleset(rs, "test.nft")), ok(parse_topology(topo, "test.ip"))));
}

bool contains(const std::string &hay, const std::string &needle) { return hay.find(needle) != std::string::npos; }

const char *kFlowtable = R"(table inet filter {
	flowtable f { hook ingress priority 0; devices = { eth0, eth1 }; }
	chain forward { type filter hook forward priority 0; policy accept; meta l4proto tcp flow add @f; }
}
)";

const char *kPlain = R"(table inet filter {
	chain forward { type filter hook forward priority 0; policy accept; }
}
)";

const char *kMasquerade = R"(table inet nat {
	chain post { type nat hook postrouting priority srcnat; policy accept; oifname "eth1" masquerade; }
}
)";

std::string topology(int eth1_mtu = 1500, bool eth1_up = true)
{
	std::string t = "ip link add eth0 type veth peer name c\nip link add eth1 type veth peer name s\n"
			"ip link set eth0 up\nip addr add 10.0.1.1/24 dev eth0\nip addr add 10.0.2.1/24 dev eth1\n";
	if (eth1_up)
		t += "ip link set eth1 up\n";
	t += "ip link set eth1 mtu " + std::to_string(eth1_mtu) + "\n";
	return t;
}

uint16_t get16(const Bytes &f, size_t at) { return static_cast<uint16_t>(f[at] << 8 | f[at + 1]); }

// The pseudo-header sum of the IP packet at @l3 (folded, not inverted), computed
// here independently of the simulator's own helpers.
uint16_t pseudo_sum(const Bytes &f, size_t l3)
{
	bool v4 = (f[l3] >> 4) == 4;
	size_t ihl = v4 ? (f[l3] & 0xf) * 4u : 40;
	size_t l3len = v4 ? get16(f, l3 + 2) : 40u + get16(f, l3 + 4);
	uint32_t s = (v4 ? f[l3 + 9] : f[l3 + 6]) + static_cast<uint32_t>(l3len - ihl);
	for (size_t i = l3 + (v4 ? 12 : 8); i < l3 + (v4 ? 20 : 40); i += 2)
		s += get16(f, i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return static_cast<uint16_t>(s);
}

size_t csum_at(const Bytes &f, size_t l3)
{
	bool v4 = (f[l3] >> 4) == 4;
	size_t ihl = v4 ? (f[l3] & 0xf) * 4u : 40;
	uint8_t proto = v4 ? f[l3 + 9] : f[l3 + 6];
	return l3 + ihl + (proto == 6 ? 16 : 6);
}

// As the sending host hands the frame to a checksumming NIC: the L4 field
// holds the pseudo-header sum.
void make_partial(Bytes &f, size_t l3)
{
	uint16_t p = pseudo_sum(f, l3);
	f[csum_at(f, l3)] = static_cast<uint8_t>(p >> 8);
	f[csum_at(f, l3) + 1] = static_cast<uint8_t>(p);
}

// A TCP SYN announcing @mss: four payload bytes become the MSS option.
Bytes syn_with_mss(flfake::FrameSpec s, uint16_t mss)
{
	s.payload = 4;
	Bytes f = flfake::build_frame(s);
	size_t l3 = flfake::l3_offset(s), l4 = l3 + (s.ipver == 4 ? 20 : 40);
	f[l4 + 12] = 6 << 4; // data offset: 24 bytes
	f[l4 + 20] = 2;
	f[l4 + 21] = 4;
	f[l4 + 22] = static_cast<uint8_t>(mss >> 8);
	f[l4 + 23] = static_cast<uint8_t>(mss);
	// Refresh the checksum: the old one, the pseudo-header, and the new bytes.
	f[l4 + 16] = f[l4 + 17] = 0;
	uint32_t sum = pseudo_sum(f, l3);
	for (size_t i = l4; i < f.size(); i += 2)
		sum += get16(f, i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	f[l4 + 16] = static_cast<uint8_t>(~sum >> 8);
	f[l4 + 17] = static_cast<uint8_t>(~sum);
	return f;
}

// Client 10.0.1.2:40000 on eth0, server 10.0.2.2:80 on eth1.
struct Wire {
	Router &r;
	flfake::FrameSpec client, server;
	bool partial = false;

	explicit Wire(Router &router) : r(router)
	{
		client.dst = r.topology().link("eth0")->mac;
		server.dst = r.topology().link("eth1")->mac;
		server.saddr = "10.0.2.2";
		server.daddr = "10.0.1.2";
		server.sport = 80;
		server.dport = 40000;
	}
	std::vector<EmittedFrame> send(const std::string &dev, Bytes f)
	{
		if (partial)
			make_partial(f, 14);
		return r.receive(dev, f);
	}
	std::vector<EmittedFrame> from_client(uint8_t flags, size_t payload)
	{
		client.tcp_flags = flags;
		client.payload = payload;
		return send("eth0", flfake::build_frame(client));
	}
	std::vector<EmittedFrame> from_server(uint8_t flags, size_t payload)
	{
		server.tcp_flags = flags;
		server.payload = payload;
		return send("eth1", flfake::build_frame(server));
	}
	void handshake(uint16_t client_mss, uint16_t server_mss)
	{
		client.tcp_flags = 0x02;
		REQUIRE(send("eth0", syn_with_mss(client, client_mss)).size() == 1);
		server.tcp_flags = 0x12;
		REQUIRE(send("eth1", syn_with_mss(server, server_mss)).size() == 1);
		REQUIRE(from_client(0x10, 0).size() == 1);
	}
};

} // namespace

TEST_CASE("sim: TCP super-packets pass when their segments fit the egress MTU", "[sim][router][gso]")
{
	bool offload = GENERATE(false, true);
	CAPTURE(offload);
	auto r = make_router(offload ? kFlowtable : kPlain, topology(1200));
	Wire w(*r);
	// The server's MSS keeps the client's segments within eth1's MTU of 1200.
	w.handshake(1460, 1160);
	auto out = w.from_client(0x18, 8000);
	REQUIRE(out.size() == 1);
	CHECK(out[0].dev == "eth1");
	CHECK(out[0].frame.size() == 14 + 20 + 20 + 8000); // forwarded whole, as GRO built it
	CHECK(r->trace().back().path == (offload ? "fast" : "slow"));
	// The reply direction: the client announced 1460, but eth1's wire carried at most 1160.
	out = w.from_server(0x18, 6000);
	REQUIRE(out.size() == 1);
	CHECK(out[0].dev == "eth0");
	CHECK(r->trace().back().path == (offload ? "fast" : "slow"));
	// UDP has no segments here: larger than the MTU is larger than the MTU.
	flfake::FrameSpec udp = w.client;
	udp.proto = 17;
	udp.payload = 3000;
	CHECK(r->receive("eth0", flfake::build_frame(udp)).empty());
	CHECK(contains(r->trace().back().reason, "larger than eth1's MTU 1200"));
}

TEST_CASE("sim: super-packets whose segments do not fit are refused", "[sim][router][gso]")
{
	bool offload = GENERATE(false, true);
	CAPTURE(offload);
	auto r = make_router(offload ? kFlowtable : kPlain, topology(1200));
	Wire w(*r);
	w.handshake(1460, 1460); // client segments of 1460 bytes: 1500 on eth1's 1200 wire
	CHECK(w.from_client(0x18, 8000).empty());
	const TraceLine &tl = r->trace().back();
	CHECK(tl.path == "drop");
	CHECK(contains(tl.reason, "larger than eth1's MTU 1200"));
	// A plain segment of the same connection still goes through.
	CHECK(w.from_client(0x18, 1000).size() == 1);
}

TEST_CASE("sim: partial checksums are detected and stay partial through NAT", "[sim][router][csum]")
{
	SECTION("detection")
	{
		flfake::FrameSpec s;
		for (uint8_t proto : {6, 17}) {
			for (int ipver : {4, 6}) {
				CAPTURE(proto, ipver);
				s.proto = proto;
				s.ipver = ipver;
				s.saddr = ipver == 4 ? "10.0.1.2" : "2001:db8:1::2";
				s.daddr = ipver == 4 ? "10.0.2.2" : "2001:db8:2::2";
				Bytes f = flfake::build_frame(s);
				CHECK_FALSE(parse_packet(f)->csum_partial);
				make_partial(f, 14);
				CHECK(parse_packet(f)->csum_partial);
				f[csum_at(f, 14)] ^= 0x40; // neither full nor partial: a bad checksum
				CHECK_FALSE(parse_packet(f)->csum_partial);
			}
		}
	}
	SECTION("masquerade, slow and fast")
	{
		bool partial = GENERATE(false, true);
		CAPTURE(partial);
		auto r = make_router(std::string(kFlowtable) + kMasquerade, topology());
		Wire w(*r);
		w.partial = partial;
		w.server.daddr = "10.0.2.1"; // the server answers the masqueraded source
		w.handshake(1460, 1460);
		for (int i = 0; i < 3; i++) {
			auto out = w.from_client(0x18, 500);
			REQUIRE(out.size() == 1);
			const Bytes &f = out[0].frame;
			auto v = parse_packet(f);
			REQUIRE(v);
			CHECK(v->src.str() == "10.0.2.1");
			CHECK(r->trace().back().path == "fast");
			if (partial) {
				// The device will finish it: the field is the new pseudo-header sum.
				CHECK(get16(f, csum_at(f, 14)) == pseudo_sum(f, 14));
				CHECK(flfake::verify_checksums(f.data() + 14, v->l3len()) != "");
			} else {
				CHECK(flfake::verify_checksums(f.data() + 14, v->l3len()) == "");
			}
		}
		// The handshake's last ACK went the classic path: the same rule there.
		auto out = w.from_server(0x10, 0);
		REQUIRE(out.size() == 1);
		const Bytes &f = out[0].frame;
		if (partial)
			CHECK(get16(f, csum_at(f, 14)) == pseudo_sum(f, 14));
		else
			CHECK(flfake::verify_checksums(f.data() + 14, f.size() - 14) == "");
	}
}

TEST_CASE("sim: conntrack -L prints no timeout and no TCP state for offloaded entries", "[sim][router][conntrack]")
{
	auto r = make_router(kFlowtable, topology());
	Wire w(*r);
	w.handshake(1460, 1460);
	std::string list = r->conntrack_list();
	CAPTURE(list);
	CHECK(contains(list, "tcp      6 src=10.0.1.2 dst=10.0.2.2 sport=40000 dport=80"));
	CHECK(contains(list, "[OFFLOAD]"));
	CHECK_FALSE(contains(list, "ESTABLISHED"));
	// A FIN tears the flow down: conntrack's own timer and state are back.
	w.from_client(0x11, 0);
	list = r->conntrack_list();
	CHECK_FALSE(contains(list, "[OFFLOAD]"));
	CHECK(contains(list, "tcp      6 120 FIN_WAIT src=10.0.1.2"));
}

TEST_CASE("sim: a link that is down neither receives nor forwards", "[sim][router][link]")
{
	auto r = make_router(kPlain, topology(1500, false));
	Wire w(*r);
	CHECK(w.from_client(0x02, 0).empty());
	CHECK(r->trace().back().reason == "no route to 10.0.2.2");
	CHECK(w.from_server(0x12, 0).empty());
	CHECK(r->trace().back().reason == "eth1 is down");
	CHECK(r->stats().dropped == 2);
	// A VLAN device over an up parent but itself down.
	auto rv = make_router(kPlain, topology() + "ip link add link eth0 name eth0.5 type vlan id 5\n"
						   "ip addr add 10.0.5.1/24 dev eth0.5\n");
	flfake::FrameSpec s;
	s.dst = rv->topology().link("eth0")->mac;
	s.vlans = {{0x8100, 5}};
	s.saddr = "10.0.5.2";
	CHECK(rv->receive("eth0", flfake::build_frame(s)).empty());
	CHECK(rv->trace().back().reason == "eth0.5 is down");
}

TEST_CASE("sim: flowtables run in hook-priority order", "[sim][router][priority]")
{
	auto r = make_router(R"(table ip a {
	flowtable late { hook ingress priority 10; devices = { eth0, eth1 }; }
	flowtable first { hook ingress priority -5; devices = { eth0, eth1 }; }
	flowtable second { hook ingress priority 10; devices = { eth0, eth1 }; }
	chain forward { type filter hook forward priority 0; policy accept; ip protocol tcp flow add @second; }
}
)",
			     topology());
	std::string st = r->flowtable_stats();
	CAPTURE(st);
	size_t first = st.find(" first:"), late = st.find(" late:"), second = st.find(" second:");
	REQUIRE(first != std::string::npos);
	CHECK(first < late);
	CHECK(late < second); // equal priorities: in the order they were added
	Wire w(*r);
	w.handshake(1460, 1460);
	w.from_client(0x18, 100);
	CHECK(r->trace().back().reason == "hit original in second");
}
